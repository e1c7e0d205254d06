"""Hypothesis strategies for the op-parity harness.

Everything here is framework-free: strategies produce NumPy arrays and plain
Python objects, and ``oracles.py`` turns them into tensors of each framework.

Sample
    What one example of an op is: the tensor arguments (NumPy arrays whose
    dtype is the tensor dtype), the keyword arguments (Python objects; any
    NumPy array inside them becomes a non-differentiable tensor, e.g. index
    tensors or ``where`` conditions) and the seed of the random cotangent.
    It is the ``@given`` argument, so ``@example(sample=Sample(...))`` works;
    its ``repr`` is valid Python (with ``import numpy as np``).

samples(spec, mode)
    ``mode="parity"``  oracle A: per-argument domains, ties and zeros allowed
                       (Hypothesis favours them; arrays use a fill value).
    ``mode="kinks"``   oracle A at the conventions: every float element from
                       ``spec.kinks`` (ties, zeros, bounds).
    ``mode="numeric"`` oracle B: float64 only, ``spec.numeric_domains``, values
                       kept away from kinks (``spec.numeric_avoid``) and, for
                       ``spec.distinct`` ops (max, maximum, std ...), all float
                       elements distinct and well separated, so finite
                       differences are valid.
    ``mode="smooth"``  oracle C: as "numeric" but every dtype of the spec
                       (float32 second order is compared with torch only).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

F32 = np.dtype(np.float32)
F64 = np.dtype(np.float64)
FLOAT_DTYPES = (F64, F32)  # float16 stays out until the engine claims it (6.3)

MAX_DIMS = 4
MAX_SIDE = 4  # 4**4 = 256 elements at most (6.8)
NUMERIC_KINK_RADIUS = 1e-3  # oracle B keeps |x - kink| >= this (6.3); eps is 1e-6


# ==========================================================================
# Sample
# ==========================================================================
def _src(obj: Any) -> str:
    """``repr`` that is valid Python for the objects a Sample holds."""
    if isinstance(obj, np.ndarray):
        body = repr(obj.tolist())
        text = f"np.array({body}, dtype={obj.dtype.name!r})"
        if obj.size == 0 or obj.ndim == 0:
            text += f".reshape({tuple(obj.shape)!r})"
        return text
    if isinstance(obj, np.generic):
        return _src(np.asarray(obj))
    if isinstance(obj, tuple):
        inner = ", ".join(_src(x) for x in obj)
        return f"({inner},)" if len(obj) == 1 else f"({inner})"
    if isinstance(obj, list):
        return "[" + ", ".join(_src(x) for x in obj) + "]"
    if isinstance(obj, dict):
        return "{" + ", ".join(f"{k!r}: {_src(v)}" for k, v in obj.items()) + "}"
    if isinstance(obj, slice):
        return f"slice({_src(obj.start)}, {_src(obj.stop)}, {_src(obj.step)})"
    return repr(obj)


@dataclass
class Sample:
    args: tuple  # NumPy arrays, one per tensor argument
    kwargs: dict = field(default_factory=dict)
    seed: int = 0  # seeds the cotangent and the random projections

    def __repr__(self) -> str:
        return f"Sample(args={_src(tuple(self.args))}, kwargs={_src(self.kwargs)}, seed={self.seed})"

    def _repr_pretty_(self, p, cycle) -> None:  # Hypothesis's failure report uses this
        p.text(repr(self))


def cotangent(seed: int, shape, dtype, salt: int = 0) -> np.ndarray:
    """Random cotangent in [-1, 1): reproducible from the drawn seed (6.3)."""
    rng = np.random.default_rng([seed, salt])
    return rng.uniform(-1.0, 1.0, size=tuple(shape)).astype(dtype)


# ==========================================================================
# Elements and domains
# ==========================================================================
@dataclass(frozen=True)
class Domain:
    """Open interval (lo, hi) for one argument, minus |x - p| < radius for p in avoid.

    ``avoid`` applies in every mode except "kinks" (e.g. a divisor keeps
    |x| >= 1e-2).  Kinks for oracle B alone go in ``OpSpec.numeric_avoid``.
    """

    lo: float = -10.0
    hi: float = 10.0
    avoid: tuple = ()
    radius: float = 1e-2


DEFAULT_DOMAIN = Domain()


def _f32_inward(lo: float, hi: float) -> tuple[float, float]:
    """Bounds representable in float32, rounded towards the inside."""
    lo32, hi32 = np.float32(lo), np.float32(hi)
    if float(lo32) < lo:
        lo32 = np.nextafter(lo32, np.float32(np.inf))
    if float(hi32) > hi:
        hi32 = np.nextafter(hi32, np.float32(-np.inf))
    return float(lo32), float(hi32)


def elements(domain: Domain, dtype) -> st.SearchStrategy:
    """Scalar strategy for one array element of ``dtype`` inside ``domain``."""
    dtype = np.dtype(dtype)
    if dtype.kind == "b":
        return st.booleans()
    if dtype.kind in "iu":
        return st.integers(math.ceil(domain.lo), math.floor(domain.hi))
    if dtype.kind == "f":
        width = dtype.itemsize * 8
        lo, hi = (domain.lo, domain.hi) if width == 64 else _f32_inward(domain.lo, domain.hi)
        return st.floats(
            lo, hi, exclude_min=True, exclude_max=True, allow_nan=False,
            allow_infinity=False, allow_subnormal=False, width=width,
        )
    raise TypeError(f"no element strategy for dtype {dtype}")


def push_away(arr: np.ndarray, points, radius: float, domain: Domain) -> np.ndarray:
    """Move elements closer than ``radius`` to any of ``points`` out to the edge.

    A map, not a filter: valid values are constructed directly (6.8).
    """
    if not points or arr.size == 0:
        return arr
    dtype = arr.dtype
    if dtype.kind in "iu":
        radius = max(1, math.ceil(radius))
    x = arr.astype(np.float64)
    for p in points:
        d = x - p
        close = np.abs(d) < radius
        if not close.any():
            continue
        up, down = p + radius, p - radius
        target = np.where(d >= 0, up, down)
        target = np.where(target >= domain.hi, down, target)
        target = np.where(target <= domain.lo, up, target)
        x = np.where(close, target, x)
    return x.astype(dtype)


# ==========================================================================
# Shapes
# ==========================================================================
def elementwise(n: int, max_dims: int = MAX_DIMS, max_side: int = MAX_SIDE) -> st.SearchStrategy:
    """n mutually broadcastable shapes: 0-d, size-1 and empty dims included."""
    return hnp.mutually_broadcastable_shapes(
        num_shapes=n, min_dims=0, max_dims=max_dims, min_side=0, max_side=max_side
    ).map(lambda r: tuple(r.input_shapes))


def gufunc(signature: str, max_dims: int = 2, min_side: int = 0, max_side: int = MAX_SIDE):
    """Shapes for a generalized ufunc signature, e.g. matmul's (6.3)."""
    return hnp.mutually_broadcastable_shapes(
        signature=signature, max_dims=max_dims, min_side=min_side, max_side=max_side
    ).map(lambda r: tuple(r.input_shapes))


def single(min_dims: int = 0, max_dims: int = MAX_DIMS, min_side: int = 0, max_side: int = MAX_SIDE):
    """One array shape, as a 1-tuple of shapes."""
    return hnp.array_shapes(
        min_dims=min_dims, max_dims=max_dims, min_side=min_side, max_side=max_side
    ).map(lambda s: (s,))


def same_shapes(n: int, min_dims: int = 0, max_dims: int = 3, min_side: int = 0, max_side: int = MAX_SIDE):
    """n identical shapes (stack)."""
    return hnp.array_shapes(
        min_dims=min_dims, max_dims=max_dims, min_side=min_side, max_side=max_side
    ).map(lambda s: (s,) * n)


squeezable = st.lists(st.sampled_from([1, 1, 1, 2, 3, 0]), max_size=MAX_DIMS).map(lambda s: (tuple(s),))


@st.composite
def mm_shapes(draw, batched: bool = False):
    m, n, p = (draw(st.integers(0, 5)) for _ in range(3))
    if batched:
        b = draw(st.integers(0, 3))
        return ((b, m, n), (b, n, p))
    return ((m, n), (n, p))


@st.composite
def inplace_shapes(draw):
    """(a, b) with b broadcastable *to* a's shape (in-place ops keep a's shape)."""
    a = draw(hnp.array_shapes(min_dims=0, max_dims=MAX_DIMS, min_side=0, max_side=MAX_SIDE))
    k = draw(st.integers(0, len(a)))
    tail = a[len(a) - k:]
    b = tuple(1 if draw(st.booleans()) else s for s in tail)
    return (a, b)


@st.composite
def cat_shapes(draw, n: int = 3):
    """n shapes equal except along one dim (ndim >= 1)."""
    ndim = draw(st.integers(1, 3))
    base = [draw(st.integers(0, 3)) for _ in range(ndim)]
    d = draw(st.integers(0, ndim - 1))
    shapes = []
    for _ in range(n):
        s = list(base)
        s[d] = draw(st.integers(0, 3))
        shapes.append(tuple(s))
    return tuple(shapes)


@st.composite
def expand_shapes(draw):
    """(base,) and a concrete expand target; the target is returned as a 2nd shape."""
    base = tuple(draw(st.lists(st.sampled_from([1, 1, 2, 3]), max_size=3)))
    lead = draw(st.lists(st.integers(0, 3), max_size=3 - len(base) + 1))
    tgt = [s if s != 1 else draw(st.sampled_from([1, 2, 3, 0])) for s in base]
    return (base, tuple(lead) + tuple(tgt))


# ==========================================================================
# kwargs helpers: dims, reshape targets, permutations ...
# ==========================================================================
def _maybe_neg(draw, d: int, ndim: int) -> int:
    return d - ndim if draw(st.booleans()) else d


@st.composite
def dim_int(draw, shape, extra: int = 0):
    """A valid int dim (negative allowed).  0-d tensors accept 0/-1 in torch."""
    nd = max(len(shape), 1) + extra
    return draw(st.integers(-nd, nd - 1))


@st.composite
def dim_any(draw, shape, allow_none: bool = False):
    """None, an int or a tuple of distinct dims (negative ones included)."""
    nd = len(shape)
    options = ["int"] + (["none"] if allow_none else []) + (["tuple"] if nd >= 1 else [])
    kind = draw(st.sampled_from(options))
    if kind == "none":
        return None
    if kind == "int":
        return draw(dim_int(shape))
    axes = draw(hnp.valid_tuple_axes(nd, min_size=1))  # already mixes negative axes
    return tuple(axes)


def dim_keepdim(shapes, allow_tuple: bool = True, nonempty: bool = False):
    """kwargs {dim, keepdim} for reductions over shapes[0]."""
    shape = shapes[0]
    dim = dim_any(shape) if allow_tuple else dim_int(shape)
    return st.fixed_dictionaries({"dim": dim, "keepdim": st.booleans()})


def _divisors(n: int) -> list[int]:
    return [d for d in range(1, n + 1) if n % d == 0]


@st.composite
def reshape_target(draw, shape, allow_infer: bool = True):
    size = int(np.prod(shape)) if len(shape) else 1
    if size == 0:
        ndim = draw(st.integers(1, 4))
        target = [draw(st.integers(0, 3)) for _ in range(ndim)]
        target[draw(st.integers(0, ndim - 1))] = 0
        return tuple(target)
    ndim = draw(st.integers(0 if size == 1 else 1, 4))
    if ndim == 0:
        return ()
    target, rem = [], size
    for _ in range(ndim - 1):
        d = draw(st.sampled_from(_divisors(rem)))
        target.append(d)
        rem //= d
    target.append(rem)
    target = list(draw(st.permutations(target)))
    if allow_infer and draw(st.booleans()):
        target[draw(st.integers(0, ndim - 1))] = -1
    return tuple(target)


@st.composite
def permutation(draw, shape):
    nd = len(shape)
    perm = draw(st.permutations(range(nd)))
    return tuple(_maybe_neg(draw, p, nd) for p in perm)


@st.composite
def flatten_dims(draw, shape):
    nd = len(shape)
    if nd == 0:
        return draw(st.sampled_from([{}, {"start_dim": 0, "end_dim": -1}]))
    s = draw(st.integers(0, nd - 1))
    e = draw(st.integers(s, nd - 1))
    return {"start_dim": _maybe_neg(draw, s, nd), "end_dim": _maybe_neg(draw, e, nd)}


@st.composite
def expand_target(draw, base, target):
    """Replace some existing (non-leading) sizes by -1 (keep this size)."""
    lead = len(target) - len(base)
    out = list(target)
    for i, s in enumerate(base):
        if out[lead + i] == s and draw(st.booleans()):
            out[lead + i] = -1
    return tuple(out)


def valid_cat_dims(shapes) -> list[int]:
    nd = len(shapes[0])
    good = []
    for d in range(nd):
        rest = {s[:d] + s[d + 1:] for s in shapes}
        if len(rest) == 1:
            good += [d, d - nd]
    return good


# Python scalars for the scalar operand of binary ops (float32-representable,
# so torch and NumPy see the same value whatever the tensor dtype).
scalars = st.one_of(
    st.sampled_from([0, 1, 2, -1, 3]),
    st.floats(-3, 3, allow_nan=False, allow_subnormal=False, width=32),
)
nonzero_scalars = st.one_of(
    st.sampled_from([1, 2, -1, 3, -4]),
    st.floats(0.25, 3, width=32),
    st.floats(-3, -0.25, width=32),
)
clamp_grid = st.sampled_from([-1.0, -0.5, 0.0, 0.5, 1.0, 2.0])  # also the clamp kink values


@st.composite
def clamp_bounds(draw, which: str):
    lo = draw(clamp_grid)
    hi = draw(clamp_grid.filter(lambda v: v >= lo))
    if which == "min":
        return {"min": lo}
    if which == "max":
        return {"max": hi}
    return {"min": lo, "max": hi}


# ==========================================================================
# Index expressions (built from the drawn shape)
# ==========================================================================
@st.composite
def _basic_part(draw, n: int):
    kinds = ["int", "slice", "full"] if n > 0 else ["slice", "full"]
    kind = draw(st.sampled_from(kinds))
    if kind == "int":
        return draw(st.integers(-n, n - 1))
    if kind == "full":
        return slice(None)
    bound = st.none() | st.integers(-n - 2, n + 2)  # negative starts included
    step = st.none() | st.integers(1, 3)  # torch rejects steps <= 0
    return slice(draw(bound), draw(bound), draw(step))


@st.composite
def basic_index(draw, shape):
    """ints, slices with steps (negative starts too), None and Ellipsis."""
    nd = len(shape)
    parts: list = []
    if nd and draw(st.booleans()):  # Ellipsis standing for dims [i, j)
        i = draw(st.integers(0, nd))
        j = draw(st.integers(i, nd))
        parts = [draw(_basic_part(n)) for n in shape[:i]] + [Ellipsis]
        parts += [draw(_basic_part(n)) for n in shape[j:]]
    else:
        parts = [draw(_basic_part(n)) for n in shape]
        parts = parts[: draw(st.integers(0, nd))] if nd else parts  # trailing dims implicit
    for _ in range(draw(st.integers(0, 2))):
        parts.insert(draw(st.integers(0, len(parts))), None)
    if len(parts) == 1 and draw(st.booleans()):
        return parts[0]
    return tuple(parts)


def int_index_array(n: int, shape=None):
    """int64 index array into a dim of size n (n >= 1), repeats and negatives included."""
    shape = shape if shape is not None else hnp.array_shapes(min_dims=0, max_dims=2, min_side=0, max_side=4)
    return hnp.arrays(np.int64, shape, elements=st.integers(-n, n - 1))


@st.composite
def tensor_index(draw, shape):
    """a[idx] with an int64 index tensor (into dim 0)."""
    return draw(int_index_array(shape[0]))


@st.composite
def multi_tensor_index(draw, shape):
    """Two broadcasting index tensors, adjacent (a[i, j]) or separated (a[i, :, j])."""
    nd = len(shape)
    sep = nd >= 3 and draw(st.booleans())
    dims = (0, 2) if sep else (0, 1)
    s1, s2 = draw(hnp.mutually_broadcastable_shapes(num_shapes=2, min_dims=0, max_dims=2, max_side=3)).input_shapes
    i1 = draw(int_index_array(shape[dims[0]], st.just(s1)))
    i2 = draw(int_index_array(shape[dims[1]], st.just(s2)))
    return (i1, slice(None), i2) if sep else (i1, i2)


@st.composite
def list_index(draw, shape):
    """A Python list of ints (repeats allowed), optionally followed by a slice."""
    n = shape[0]
    lst = draw(st.lists(st.integers(-n, n - 1), min_size=1, max_size=5))
    if len(shape) >= 2 and draw(st.booleans()):
        return (lst, draw(_basic_part(shape[1])))
    return lst


@st.composite
def range_index(draw, shape):
    """``a[range(...)]`` or the tutorial's ``a[range(n), target]``."""
    n = shape[0]
    if len(shape) >= 2 and draw(st.booleans()):
        target = draw(hnp.arrays(np.int64, (n,), elements=st.integers(0, shape[1] - 1)))
        return (range(n), target)
    start = draw(st.integers(0, n - 1))
    stop = draw(st.integers(start, n))
    return range(start, stop, draw(st.integers(1, 2)))


@st.composite
def mask_index(draw, shape):
    """A bool mask over the leading k dims (k >= 1)."""
    k = draw(st.integers(1, len(shape)))
    return draw(hnp.arrays(np.bool_, shape[:k], elements=st.booleans()))


@st.composite
def mixed_index(draw, shape):
    """One int64 tensor among ints / slices / Ellipsis (torch's rules where an
    int separates from the tensor differ from NumPy's: a[0, :, idx])."""
    nd = len(shape)
    p = draw(st.integers(0, nd - 1))
    parts = [draw(_basic_part(n)) for n in shape]
    parts[p] = draw(int_index_array(shape[p]))
    if p > 0 and draw(st.booleans()):
        parts = [Ellipsis] + parts[p:]
    return tuple(parts)


# ==========================================================================
# Samples
# ==========================================================================
def _dtype_options(spec, mode: str) -> list[tuple]:
    opts = []
    for d in spec.dtypes:
        per_arg = tuple(np.dtype(x) for x in (d if isinstance(d, tuple) else (d,) * spec.arity))
        if mode in ("numeric", "smooth") and not any(x.kind == "f" for x in per_arg):
            continue
        if mode == "numeric":
            per_arg = tuple(F64 if x.kind == "f" else x for x in per_arg)
        if per_arg not in opts:
            opts.append(per_arg)
    return opts


def has_numeric_dtypes(spec) -> bool:
    return bool(_dtype_options(spec, "numeric"))


def _avoid_points(spec, kwargs) -> tuple:
    pts = spec.numeric_avoid
    if callable(pts):
        pts = pts(kwargs)
    return tuple(pts or ())


def samples(spec, mode: str = "parity") -> st.SearchStrategy:
    """Strategy of ``Sample`` for ``spec`` (an ``OpSpec``) in the given mode."""
    if mode not in ("parity", "kinks", "numeric", "smooth"):
        raise ValueError(mode)
    dtype_opts = _dtype_options(spec, mode)
    if not dtype_opts:
        raise ValueError(f"{spec.name}: no dtype usable in mode {mode!r}")
    smooth = mode in ("numeric", "smooth")
    shape_strategy = spec.numeric_shapes if (smooth and spec.numeric_shapes is not None) else spec.shapes

    @st.composite
    def _sample(draw):
        dtypes = draw(st.sampled_from(dtype_opts))
        shapes = draw(shape_strategy)
        kwargs = draw(spec.kwargs(shapes)) if spec.kwargs is not None else {}
        shapes = tuple(shapes)[: spec.arity]  # extra shapes (expand target ...) serve kwargs only
        doms = [spec.domain(i, numeric=smooth) for i in range(spec.arity)]
        args = []
        if smooth and spec.distinct:
            sizes = [int(np.prod(s)) for s in shapes]
            total = sum(sizes)
            rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
            ranks = rng.permutation(total).astype(np.float64) if total else np.zeros(0)
            off = 0
            for shape, dt, dom, size in zip(shapes, dtypes, doms, sizes):
                lo, hi = max(dom.lo, -8.0), min(dom.hi, 8.0)
                vals = lo + (hi - lo) * (ranks[off:off + size] + 0.5) / max(total, 1)
                args.append(vals.reshape(shape).astype(dt))
                off += size
        else:
            for i, (shape, dt, dom) in enumerate(zip(shapes, dtypes, doms)):
                if mode == "kinks" and spec.kinks is not None and dt.kind == "f":
                    elems = spec.kinks[i] if isinstance(spec.kinks, tuple) else spec.kinks
                elif mode == "parity" and spec.parity_elements is not None and dt.kind == "f":
                    elems = spec.parity_elements
                else:
                    elems = elements(dom, dt)
                arr = draw(hnp.arrays(dt, shape, elements=elems))
                if mode != "kinks" and dom.avoid:
                    arr = push_away(arr, dom.avoid, dom.radius, dom)
                args.append(arr)
        if smooth:
            pts = _avoid_points(spec, kwargs)
            args = [push_away(a, pts, NUMERIC_KINK_RADIUS, dom) if a.dtype.kind == "f" else a
                    for a, dom in zip(args, doms)]
        seed = draw(st.integers(0, 2**32 - 1))
        return Sample(tuple(args), kwargs, seed)

    return _sample()
