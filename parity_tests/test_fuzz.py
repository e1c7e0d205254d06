"""Fuzzing every public op: random shapes, dtypes, values and arguments, thrown at torch and minigrad alike.

Each public function of ``minigrad`` (``minigrad.__all__``) and of
``minigrad.nn.functional`` is called through ``getattr(m, name)`` with the
same drawn arguments in torch and in minigrad:

* shapes of 0-3 dims with sides 0-3 (empty dims included); dtypes float32,
  float64, int64 and bool; float values include NaN, +-inf, +-0 and large
  numbers; float inputs sometimes require grad;
* arguments drawn around the valid range: dims one or two beyond it, random
  ``keepdim``, second operands of the same, a broadcastable or an arbitrary
  (often non-broadcastable) shape and any dtype, Python scalars, bad
  ``reduction`` strings, out-of-range class indices...

The contract checked for every example:

* both succeed -> equal results (dtype, shape, values within the oracles' tolerances,
  NaN positions equal); when the output needs grad and every float input is
  finite, the gradients of ``sum(out * cotangent)`` are compared too;
* both raise -> the *same* exception class (exact: ``numpy.exceptions.AxisError``
  is not ``IndexError``);
* never one raising and the other not, never an exception class from NumPy,
  never a hang (each example runs under a 20 s alarm).

Known bugs.  A divergence that matches the signature of a bug already filed
in ``test_errors.BUGS`` (its deterministic repro is a strict xfail there) is
tolerated and counted rather than failing, so the fuzzer keeps covering the
rest of the op; an op that hit any known bug ends as ``xfail`` naming the bug
ids, and passes again once they are fixed.  Any *other* divergence fails.

Budget: ``max(FUZZ_EXAMPLES, profile max_examples)`` examples per op,
derandomized, so the per-op outcome is reproducible.  The number of examples
actually run is attached to each test as the ``examples`` user property
(``--junitxml`` shows it).
"""
from __future__ import annotations

import inspect
import math
import re
import signal
import warnings

import numpy as np
import pytest
import torch
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import minigrad
import minigrad.nn.functional as MF
from test_errors import _plain, assert_same_value

FUZZ_EXAMPLES = 50
EXAMPLE_TIMEOUT_S = 20

F32, F64, I64, BOOL = np.dtype("float32"), np.dtype("float64"), np.dtype("int64"), np.dtype("bool")
DTYPES = (F32, F64, I64, BOOL)
# +-1e30 stay out: float32 cancellation then differs by FMA/summation order (not a bug); overflow is a
# deterministic case in test_errors (std_float32_overflow).
SPECIAL = (math.nan, math.inf, -math.inf, 0.0, -0.0, 1.0, -1.0, 0.5, 3.0, -2.5)


# ----------------------------------------------------------------------------------------------
# Drawn arguments: framework-free (NumPy arrays), turned into tensors per framework
# ----------------------------------------------------------------------------------------------
class T:
    """A tensor argument: a NumPy array (its dtype is the tensor's) and whether it requires grad."""

    def __init__(self, array, requires_grad=False):
        self.array, self.requires_grad = array, requires_grad

    def __repr__(self):
        text = f"np.array({self.array.tolist()!r}, dtype={self.array.dtype.name!r})"
        if self.array.size == 0 or self.array.ndim == 0:
            text += f".reshape({self.array.shape})"
        return f"T({text}{', requires_grad=True' if self.requires_grad else ''})"


def _materialize(obj, m, leaves):
    if isinstance(obj, T):
        t = m.tensor(obj.array.copy(), requires_grad=obj.requires_grad)
        if obj.requires_grad:
            leaves.append(t)
        return t
    if isinstance(obj, list):
        return [_materialize(o, m, leaves) for o in obj]
    if isinstance(obj, tuple):
        return tuple(_materialize(o, m, leaves) for o in obj)
    if isinstance(obj, dict):
        return {k: _materialize(v, m, leaves) for k, v in obj.items()}
    if isinstance(obj, np.dtype):
        return getattr(m, obj.name if obj != BOOL else "bool")
    return obj


def _elements(dtype):
    if dtype.kind == "f":
        width = 32 if dtype == F32 else 64
        return st.one_of(st.sampled_from(SPECIAL), st.floats(-10, 10, width=width))
    if dtype.kind == "i":
        return st.integers(-4, 5)
    return st.booleans()


shapes = hnp.array_shapes(min_dims=0, max_dims=3, min_side=0, max_side=3)


@st.composite
def arrays(draw, shape=None, dtypes=DTYPES, grad=True):
    dtype = draw(st.sampled_from(dtypes))
    shape = draw(shapes) if shape is None else shape
    arr = draw(hnp.arrays(dtype, shape, elements=_elements(dtype)))
    rg = grad and dtype.kind == "f" and draw(st.booleans())
    return T(arr, rg)


@st.composite
def related_shape(draw, shape):
    """Same, broadcastable (dims dropped or set to 1, new leading dims) or arbitrary."""
    kind = draw(st.sampled_from(["same", "same", "broadcast", "broadcast", "any"]))
    if kind == "same":
        return shape
    if kind == "any":
        return draw(shapes)
    tail = [1 if draw(st.booleans()) else s for s in shape[draw(st.integers(0, len(shape))):]]
    lead = draw(st.lists(st.integers(1, 3), max_size=max(0, 3 - len(tail))))
    return tuple(lead + tail)


def dim_for(nd, extra=2):
    """A dim, up to ``extra`` beyond the valid range on either side (a 0-d tensor accepts 0 and -1)."""
    n = max(nd, 1)
    return st.integers(-n - extra, n - 1 + extra)


@st.composite
def dims_for(draw, nd):
    kind = draw(st.sampled_from(["int", "int", "tuple", "none"]))
    if kind == "none":
        return None
    if kind == "int":
        return draw(dim_for(nd, 1))
    return tuple(draw(st.lists(dim_for(nd, 1), min_size=0, max_size=3)))


scalars = st.one_of(st.integers(-3, 3), st.sampled_from([0.5, -1.5, 2.0, math.nan, math.inf, True, False]))


# ----------------------------------------------------------------------------------------------
# Call builders: draw -> (args, kwargs)
# ----------------------------------------------------------------------------------------------
def unary(draw):
    return (draw(arrays()),), {}


def binary(draw):
    a = draw(arrays())
    if draw(st.integers(0, 4)) == 0:
        return (a, draw(scalars)), {}
    b = draw(arrays(shape=draw(related_shape(a.array.shape))))
    if draw(st.booleans()):
        return (b, a), {}
    return (a, b), {}


def binary_tensors(draw):
    a = draw(arrays())
    return (a, draw(arrays(shape=draw(related_shape(a.array.shape))))), {}


def add_like(draw):
    args, kw = binary(draw)
    if draw(st.booleans()):
        kw["alpha"] = draw(st.sampled_from([2, 0.5, -1, True]))
    return args, kw


def div_like(draw):
    args, kw = binary(draw)
    if draw(st.booleans()):
        kw["rounding_mode"] = draw(st.sampled_from([None, "floor", "trunc", "bogus"]))
    return args, kw


def allclose_like(draw):
    args, kw = binary_tensors(draw)
    if draw(st.booleans()):
        kw["equal_nan"] = True
    return args, kw


@st.composite
def matmul_shapes(draw):
    nd_a, nd_b = draw(st.integers(0, 3)), draw(st.integers(0, 3))
    side = st.sampled_from([0, 1, 2, 3, 3])
    a = [draw(side) for _ in range(nd_a)]
    b = [draw(side) for _ in range(nd_b)]
    if nd_a and nd_b and draw(st.integers(0, 3)):   # usually make the inner dims agree
        b[-2 if nd_b >= 2 else 0] = a[-1]
    return tuple(a), tuple(b)


def matmul_like(draw):
    sa, sb = draw(matmul_shapes())
    fl = (F32, F32, F64, I64)
    return (draw(arrays(sa, dtypes=fl)), draw(arrays(sb, dtypes=fl))), {}


def reduction(dim_required=False, keepdim=True, dtype_kw=False):
    def build(draw):
        a = draw(arrays())
        nd = a.array.ndim
        kw = {}
        if dim_required or draw(st.booleans()):
            kw["dim"] = draw(dim_for(nd)) if dim_required else draw(dims_for(nd))
        if keepdim and "dim" in kw and draw(st.booleans()):
            kw["keepdim"] = draw(st.booleans())
        if dtype_kw and draw(st.integers(0, 3)) == 0:
            kw["dtype"] = draw(st.sampled_from([F32, F64, I64]))
        return (a,), kw
    return build


def single_dim_reduction(draw):
    """max/min/argmax/argmin: no dim, an int dim (+keepdim); tuples are a TypeError in torch too."""
    a = draw(arrays())
    kw = {}
    if draw(st.booleans()):
        kw["dim"] = draw(dim_for(a.array.ndim))
        if draw(st.booleans()):
            kw["keepdim"] = draw(st.booleans())
    return (a,), kw


def var_like(draw):
    (a,), kw = reduction()(draw)
    if draw(st.booleans()):
        kw["correction"] = draw(st.sampled_from([0, 1, 2]))
    return (a,), kw


def norm_like(draw):
    (a,), kw = reduction()(draw)
    if draw(st.booleans()):
        kw["p"] = draw(st.sampled_from(["fro", 1, 2, math.inf, -math.inf, 0, 0.5, 3]))
    return (a,), kw


def softmax_like(draw):
    a = draw(arrays())
    return (a,), {"dim": draw(dim_for(a.array.ndim))}


def clamp_like(draw):
    a = draw(arrays())
    bound = st.one_of(st.none(), scalars, arrays(shape=draw(related_shape(a.array.shape)), grad=False))
    return (a, draw(bound), draw(bound)), {}


@st.composite
def shape_target(draw, numel):
    """A reshape target: usually right (maybe with -1), sometimes wrong."""
    if draw(st.integers(0, 3)) == 0:
        return tuple(draw(st.lists(st.integers(-2, 4), max_size=3)))
    dims, rest = [], numel
    for _ in range(draw(st.integers(0, 2))):
        d = draw(st.sampled_from([k for k in (1, 2, 3) if rest % k == 0] or [1])) if rest else draw(st.integers(0, 2))
        dims.append(d)
        rest = rest // d if d else rest
    dims.append(rest)
    if draw(st.booleans()):
        dims[draw(st.integers(0, len(dims) - 1))] = -1
    return tuple(draw(st.permutations(dims)))


def reshape_like(draw):
    a = draw(arrays())
    return (a, draw(shape_target(a.array.size))), {}


def flatten_like(draw):
    a = draw(arrays())
    kw = {}
    if draw(st.booleans()):
        kw["start_dim"] = draw(dim_for(a.array.ndim, 1))
    if draw(st.booleans()):
        kw["end_dim"] = draw(dim_for(a.array.ndim, 1))
    return (a,), kw


def unflatten_like(draw):
    a = draw(arrays(shape=draw(hnp.array_shapes(min_dims=1, max_dims=3, max_side=4))))
    nd = a.array.ndim
    d = draw(dim_for(nd, 1))
    size = a.array.shape[d] if -nd <= d < nd else 2
    sizes = draw(st.sampled_from([(size,), (1, size), (size, 1), (-1, 1), (2, -1), (2, 2), (-1, -1)]))
    return (a, d, sizes), {}


def one_dim(draw):
    a = draw(arrays())
    return (a, draw(dim_for(a.array.ndim))), {}


def squeeze_like(draw):
    a = draw(arrays(shape=draw(st.lists(st.sampled_from([1, 1, 2, 0]), max_size=3).map(tuple))))
    if draw(st.booleans()):
        return (a,), {}
    return (a, draw(st.one_of(dim_for(a.array.ndim), st.lists(dim_for(a.array.ndim), max_size=2).map(tuple)))), {}


def two_dims(draw):
    a = draw(arrays())
    return (a, draw(dim_for(a.array.ndim)), draw(dim_for(a.array.ndim))), {}


def permute_like(draw):
    a = draw(arrays())
    nd = a.array.ndim
    if draw(st.integers(0, 2)):
        dims = draw(st.permutations(range(nd)))
        dims = [d - nd if draw(st.booleans()) else d for d in dims]
    else:
        dims = draw(st.lists(dim_for(nd, 1), max_size=4))
    return (a, tuple(dims)), {}


def chunk_like(draw):
    a = draw(arrays())
    kw = {"dim": draw(dim_for(a.array.ndim))} if draw(st.booleans()) else {}
    return (a, draw(st.integers(-1, 4))), kw


def split_like(draw):
    a = draw(arrays())
    kw = {"dim": draw(dim_for(a.array.ndim))} if draw(st.booleans()) else {}
    size = draw(st.one_of(st.integers(-1, 4), st.lists(st.integers(0, 3), max_size=3)))
    return (a, size), kw


@st.composite
def index_array(draw, n, shape=None):
    shape = draw(st.lists(st.integers(0, 3), max_size=2).map(tuple)) if shape is None else shape
    dtype = draw(st.sampled_from([I64, I64, I64, F32, BOOL]))
    elements = st.integers(-n - 1, n) if dtype == I64 else _elements(dtype)
    return T(draw(hnp.arrays(dtype, shape, elements=elements)))


def index_select_like(draw):
    a = draw(arrays())
    d = draw(dim_for(a.array.ndim, 1))
    n = a.array.shape[d] if -a.array.ndim <= d < a.array.ndim else 1
    shape = draw(st.sampled_from([(2,), (0,), (), (1, 1)]))
    return (a, d, draw(index_array(n, shape))), {}


def gather_like(draw):
    a = draw(arrays())
    d = draw(dim_for(a.array.ndim, 1))
    n = a.array.shape[d] if -a.array.ndim <= d < a.array.ndim else 1
    shape = tuple(max(0, s - draw(st.integers(0, 1))) for s in a.array.shape) if draw(st.integers(0, 3)) else None
    return (a, d, draw(index_array(n, shape))), {}


def masked_fill_like(draw):
    a = draw(arrays())
    mask = draw(arrays(shape=draw(related_shape(a.array.shape)), dtypes=(BOOL, BOOL, BOOL, I64), grad=False))
    value = draw(st.one_of(scalars, arrays(shape=(), grad=False)))
    return (a, mask, value), {}


def where_like(draw):
    c = draw(arrays(dtypes=(BOOL, BOOL, BOOL, F32), grad=False))
    x = draw(arrays(shape=draw(related_shape(c.array.shape))))
    y = draw(st.one_of(scalars, arrays(shape=draw(related_shape(c.array.shape)))))
    return (c, x, y), {}


def join_like(draw):
    a = draw(arrays())
    n = draw(st.integers(0, 3))
    items = [a] + [draw(arrays(shape=draw(related_shape(a.array.shape)))) for _ in range(n - 1)] if n else []
    kw = {"dim": draw(dim_for(a.array.ndim))} if draw(st.booleans()) else {}
    return (items,), kw


def linear_like(draw):
    fl = (F32, F32, F64, I64)
    x = draw(arrays(shape=draw(hnp.array_shapes(min_dims=0, max_dims=3, max_side=3)), dtypes=fl))
    in_f = x.array.shape[-1] if x.array.ndim and draw(st.integers(0, 3)) else draw(st.integers(0, 3))
    w = draw(arrays(shape=draw(st.sampled_from([(2, in_f), (in_f,), (1, 2, in_f)])), dtypes=fl))
    out = w.array.shape[0] if w.array.ndim == 2 else 1
    b = draw(st.one_of(st.none(), arrays(shape=draw(st.sampled_from([(out,), (), (out + 1,)])), dtypes=fl)))
    return (x, w, b), {}


def conv_like(draw):
    fl = (F32, F32, F64, I64)
    n, c, h, w = (draw(st.integers(1, 2)), draw(st.integers(1, 2)), draw(st.integers(0, 5)), draw(st.integers(1, 5)))
    xshape = draw(st.sampled_from([(n, c, h, w), (n, c, h, w), (c, h, w), (h, w)]))
    kc = c if draw(st.integers(0, 4)) else c + 1
    wshape = (draw(st.integers(1, 2)), kc, draw(st.integers(1, 3)), draw(st.integers(1, 3)))
    x, wt = draw(arrays(xshape, dtypes=fl)), draw(arrays(wshape, dtypes=fl))
    bias = draw(st.one_of(st.none(), arrays((wshape[0],), dtypes=fl)))
    kw = {}
    if draw(st.booleans()):
        kw["stride"] = draw(st.sampled_from([1, 2, (1, 2), 0]))
    if draw(st.booleans()):
        kw["padding"] = draw(st.sampled_from([0, 1, (1, 0), "same", "valid", -1]))
    if draw(st.booleans()):
        kw["dilation"] = draw(st.sampled_from([1, 2]))
    return (x, wt, bias), kw


def pool_like(avg=False):
    def build(draw):
        shape = draw(st.sampled_from([(1, 1), (1, 2), (2,), ()])) + (draw(st.integers(0, 5)), draw(st.integers(1, 5)))
        x = draw(arrays(shape, dtypes=(F32, F32, F64, I64)))
        kw = {"kernel_size": draw(st.sampled_from([1, 2, 3, (2, 1)]))}
        if draw(st.booleans()):
            kw["stride"] = draw(st.sampled_from([1, 2, (2, 1)]))
        if draw(st.booleans()):
            kw["padding"] = draw(st.sampled_from([0, 1]))
        if draw(st.booleans()):
            kw["ceil_mode"] = True
        if avg and draw(st.booleans()):
            kw["count_include_pad"] = False
        return (x,), kw
    return build


def adaptive_like(draw):
    shape = draw(st.sampled_from([(1, 1), (2,), ()])) + (draw(st.integers(0, 5)), draw(st.integers(1, 5)))
    x = draw(arrays(shape, dtypes=(F32, F64, I64)))
    return (x, draw(st.sampled_from([1, 2, 3, (2, 1), (1, None)]))), {}


def layer_norm_like(draw):
    a = draw(arrays(dtypes=(F32, F32, F64, I64)))
    shape = a.array.shape
    ns = shape[-draw(st.integers(1, len(shape))):] if shape and draw(st.integers(0, 3)) else (draw(st.integers(1, 3)),)
    kw = {}
    if draw(st.booleans()):
        kw["weight"] = draw(arrays(ns, dtypes=(F32, F64)))
        kw["bias"] = draw(arrays(ns, dtypes=(F32, F64)))
    return (a, tuple(ns)), kw


def dropout_like(draw):
    """Only deterministic draws: p=0 or p=1, or training=False (the mask is random otherwise)."""
    a = draw(arrays())
    kw = draw(st.sampled_from([{"p": 0.0}, {"p": 1.0}, {"p": 0.5, "training": False}, {"p": 1.5}, {"p": -0.1}]))
    return (a,), kw


def leaky_like(draw):
    a = draw(arrays())
    return (a,), ({"negative_slope": draw(st.sampled_from([0.0, 0.1, -2.0]))} if draw(st.booleans()) else {})


def reduction_kw(draw):
    return {"reduction": draw(st.sampled_from(["mean", "sum", "none", "bogus"]))} if draw(st.booleans()) else {}


def mse_like(draw):
    args, _ = binary_tensors(draw)
    return args, reduction_kw(draw)


def bce_like(logits=False):
    def build(draw):
        a = draw(arrays(dtypes=(F32, F32, F64, I64)))
        if not logits and a.array.dtype.kind == "f":   # keep most inputs in [0, 1]
            with np.errstate(invalid="ignore"):
                a.array = np.where(np.isfinite(a.array), np.abs(a.array) % 1.0001, a.array).astype(a.array.dtype)
        b = draw(arrays(shape=draw(related_shape(a.array.shape)), dtypes=(F32, F32, F64, I64), grad=False))
        if b.array.dtype.kind == "f":
            b.array = np.clip(np.nan_to_num(b.array), 0, 1).astype(b.array.dtype)
        kw = reduction_kw(draw)
        if draw(st.integers(0, 3)) == 0:
            kw["weight"] = draw(arrays(shape=draw(related_shape(a.array.shape)), dtypes=(F32, F64), grad=False))
        return (a, b), kw
    return build


def class_loss(draw):
    """nll_loss / cross_entropy: (N, C), (C,) or (N, C, d) input; class targets, sometimes out of range."""
    n, c = draw(st.integers(0, 3)), draw(st.integers(1, 4))
    shape = draw(st.sampled_from([(n, c), (n, c), (c,), (n, c, 2)]))
    x = draw(arrays(shape, dtypes=(F32, F32, F64, I64)))
    tshape = (n,) if len(shape) == 2 else (() if len(shape) == 1 else (n, 2))
    if draw(st.integers(0, 5)) == 0:
        tshape = draw(shapes)
    tdtype = draw(st.sampled_from([I64, I64, I64, F32, BOOL]))
    if tdtype == I64:
        elem = st.one_of(st.integers(0, c - 1), st.sampled_from([-100, -1, c]))
        target = T(draw(hnp.arrays(I64, tshape, elements=elem)))
    elif tdtype == F32 and draw(st.booleans()):       # class probabilities
        target = T(draw(hnp.arrays(F32, shape, elements=st.floats(0, 1, width=32))))
    else:
        target = T(draw(hnp.arrays(tdtype, tshape, elements=_elements(tdtype))))
    kw = reduction_kw(draw)
    if draw(st.integers(0, 3)) == 0:
        kw["weight"] = T(draw(hnp.arrays(F32, (draw(st.sampled_from([c, c, c + 1])),),
                                         elements=st.floats(0, 2, width=32))))
    if draw(st.integers(0, 3)) == 0:
        kw["ignore_index"] = draw(st.sampled_from([0, 1, -1]))
    return (x, target), kw


def cross_entropy_like(draw):
    args, kw = class_loss(draw)
    if draw(st.integers(0, 3)) == 0:
        kw["label_smoothing"] = draw(st.sampled_from([0.1, 0.0, 1.0, 1.5]))
    return args, kw


def one_hot_like(draw):
    x = draw(arrays(dtypes=(I64, I64, I64, F32), grad=False))
    if x.array.dtype == I64:
        x.array = np.abs(x.array) if draw(st.integers(0, 3)) else x.array
    return (x,) + ((draw(st.integers(-1, 6)),) if draw(st.booleans()) else ()), {}


def binary_either_scalar(draw):
    """binary(), and sometimes a Python number first (xlogy / remainder have a (Number self, Tensor other) form)."""
    args, kw = binary(draw)
    if draw(st.integers(0, 4)) == 0:
        return (draw(scalars), args[0]), kw
    return args, kw


def logit_like(draw):
    a = draw(arrays())
    if draw(st.booleans()):
        return (a,), {}
    eps = draw(st.sampled_from([None, 0.0, 1e-6, 0.1, 0.6, 1.0, -0.1, math.nan, 2]))
    return ((a, eps), {}) if draw(st.booleans()) else ((a,), {"eps": eps})


def nan_to_num_like(draw):
    a = draw(arrays())
    kw = {}
    for name in ("nan", "posinf", "neginf"):
        if draw(st.booleans()):
            kw[name] = draw(st.sampled_from([None, 0.0, 2.5, -1, 1e300, -1e300, True]))
    return (a,), kw


def lerp_like(draw):
    a = draw(arrays())
    end = draw(arrays(shape=draw(related_shape(a.array.shape))))
    if draw(st.booleans()):
        weight = draw(st.sampled_from([0.0, 0.3, 0.5, 1.0, -2.0, 1.5, 2]))
    else:
        weight = draw(arrays(shape=draw(related_shape(a.array.shape))))
    return (a, end, weight), {}


def addc_like(draw):
    a = draw(arrays())
    t1 = draw(arrays(shape=draw(related_shape(a.array.shape))))
    t2 = draw(arrays(shape=draw(related_shape(a.array.shape))))
    kw = {"value": draw(st.sampled_from([1, 0.5, -2, True, 2.5]))} if draw(st.booleans()) else {}
    return (a, t1, t2), kw


def isclose_like(draw):
    args, kw = allclose_like(draw)
    if draw(st.booleans()):
        kw["rtol"] = draw(st.sampled_from([0.0, 1e-3, 0.5, -1.0]))
    if draw(st.booleans()):
        kw["atol"] = draw(st.sampled_from([0.0, 1e-3, 1.0, -1e-9]))
    return args, kw


def scan_like(dtype_kw=False):
    """cumsum/cumprod/cummax/cummin: a required int dim, sometimes spelled axis=; dtype= for cumsum/cumprod."""
    def build(draw):
        a = draw(arrays())
        dim = draw(dim_for(a.array.ndim))
        kw = {"axis": dim} if draw(st.integers(0, 3)) == 0 else {}
        if dtype_kw and draw(st.integers(0, 3)) == 0:
            kw["dtype"] = draw(st.sampled_from([F32, F64, I64]))
        return ((a,) if "axis" in kw else (a, dim)), kw
    return build


def logsumexp_like(draw):
    """An int or a non-empty tuple of dims (torch's logsumexp(x, ()) fails inside its kernel: not fuzzed)."""
    a = draw(arrays())
    nd = a.array.ndim
    dim = draw(st.one_of(dim_for(nd), st.lists(dim_for(nd, 1), min_size=1, max_size=3).map(tuple)))
    kw = {"keepdim": draw(st.booleans())} if draw(st.booleans()) else {}
    return (a, dim), kw


def aminmax_like(draw):
    a = draw(arrays())
    kw = {}
    if draw(st.booleans()):
        kw["dim"] = draw(dim_for(a.array.ndim))
    if draw(st.booleans()):
        kw["keepdim"] = draw(st.booleans())
    return (a,), kw


def count_nonzero_like(draw):
    a = draw(arrays())
    return (a,), ({"dim": draw(dims_for(a.array.ndim))} if draw(st.booleans()) else {})


def kthvalue_like(draw):
    a = draw(arrays())
    kw = {}
    if draw(st.booleans()):
        kw["dim"] = draw(dim_for(a.array.ndim))
        if draw(st.booleans()):
            kw["keepdim"] = draw(st.booleans())
    return (a, draw(st.integers(-1, 4))), kw


# Which builder drives each public name.  Names not listed must be in NOT_OPS (coverage meta-test below).
TOP = {
    **{n: unary for n in "exp log sqrt rsqrt abs absolute sigmoid tanh relu square sign floor ceil round neg negative "
                         "reciprocal logical_not isnan isinf isfinite clone detach numel t is_floating_point "
                         "is_tensor".split()},
    **{n: binary for n in "mul pow maximum minimum eq ne lt le gt ge greater less greater_equal less_equal not_equal "
                          "multiply true_divide".split()},
    **{n: add_like for n in ("add", "sub", "subtract")},
    **{n: div_like for n in ("div", "divide")},
    "equal": binary_tensors, "allclose": allclose_like,
    **{n: matmul_like for n in ("matmul", "mm", "bmm", "dot")},
    **{n: reduction(dtype_kw=True) for n in ("sum", "mean")},
    "prod": reduction(dtype_kw=True, keepdim=True), "amax": reduction(), "amin": reduction(),
    "all": reduction(), "any": reduction(),
    **{n: single_dim_reduction for n in ("max", "min", "argmax", "argmin")},
    "var": var_like, "std": var_like, "norm": norm_like,
    "softmax": softmax_like, "log_softmax": softmax_like,
    "clamp": clamp_like, "clip": clamp_like,
    "reshape": reshape_like, "flatten": flatten_like, "unflatten": unflatten_like,
    "unsqueeze": one_dim, "squeeze": squeeze_like,
    "transpose": two_dims, "swapaxes": two_dims, "permute": permute_like,
    "chunk": chunk_like, "split": split_like,
    "index_select": index_select_like, "gather": gather_like, "masked_fill": masked_fill_like,
    "where": where_like, **{n: join_like for n in ("cat", "concat", "concatenate", "stack")},
    # elementwise math
    **{n: unary for n in "sin cos tan asin acos atan sinh cosh asinh acosh atanh log2 log10 log1p expm1 exp2 erf "
                         "erfc erfinv trunc frac sgn deg2rad rad2deg".split()},
    **{n: binary for n in ("atan2", "hypot", "fmod", "copysign")},
    **{n: binary_either_scalar for n in ("xlogy", "remainder")},
    "logit": logit_like, "nan_to_num": nan_to_num_like, "lerp": lerp_like, "addcmul": addc_like,
    "addcdiv": addc_like, "isclose": isclose_like,
    # reductions and scans
    "cumsum": scan_like(dtype_kw=True), "cumprod": scan_like(dtype_kw=True), "cummax": scan_like(),
    "cummin": scan_like(), "logsumexp": logsumexp_like, "nansum": reduction(dtype_kw=True),
    "nanmean": reduction(dtype_kw=True), "count_nonzero": count_nonzero_like, "aminmax": aminmax_like,
    "var_mean": var_like, "std_mean": var_like, "median": single_dim_reduction, "nanmedian": single_dim_reduction,
    "mode": single_dim_reduction, "kthvalue": kthvalue_like,
}


def embedding_like(draw):
    """A 2-D weight (sometimes not), indices sometimes out of range or not integers; padding_idx, max_norm
    (which rescales the weight in place), norm_type, scale_grad_by_freq."""
    n, d = draw(st.integers(1, 4)), draw(st.integers(0, 3))
    wshape = (n, d) if draw(st.integers(0, 5)) else draw(shapes)
    w = draw(arrays(wshape, dtypes=(F32, F32, F64, I64)))
    idx = draw(index_array(n))
    kw = {}
    if draw(st.booleans()):
        kw["padding_idx"] = draw(st.sampled_from([None, 0, n - 1, -1, -n, n, -n - 1]))
    if draw(st.integers(0, 3)) == 0:
        kw["max_norm"] = draw(st.sampled_from([0.5, 1.0, 100.0]))
        kw["norm_type"] = draw(st.sampled_from([2.0, 1.0, 3.0, float("inf")]))
    if draw(st.booleans()):
        kw["scale_grad_by_freq"] = True
    return (idx, w), kw


def batch_norm_like(draw):
    """(N, C, ...) input; running statistics, weight and bias of C elements (sometimes not, or None);
    training or not, with the batch-size, eps and dtype errors."""
    # no 0-d input: torch 2.13 fails there with an internal "SmallVector unable to grow" error
    x = draw(arrays(draw(shapes.filter(len)), dtypes=(F32, F32, F64, I64)))
    c = x.array.shape[1] if x.array.ndim > 1 else 0
    c_other = c if draw(st.integers(0, 5)) else draw(st.integers(0, 3))

    def vec(positive=False):
        dt = x.array.dtype if x.array.dtype.kind == "f" and draw(st.integers(0, 5)) else draw(
            st.sampled_from([F32, F64]))
        el = st.floats(0.25, 4.0, width=32) if positive else st.floats(-4.0, 4.0, width=32)
        return T(draw(hnp.arrays(dt, (c_other,), elements=el)), False)

    training = draw(st.booleans())
    running = draw(st.integers(0, 4))
    rm = vec() if running else None
    rv = vec(True) if running else None
    if running == 1:          # only one of them
        rv = None
    kw = {"training": training}
    pdt = (x.array.dtype if x.array.dtype.kind == "f" else F32, F64)
    if draw(st.booleans()):
        kw["weight"] = draw(arrays((c_other,), dtypes=pdt))
    if draw(st.booleans()):
        kw["bias"] = draw(arrays((c_other,), dtypes=pdt))
    if draw(st.integers(0, 3)) == 0:
        kw["momentum"] = draw(st.sampled_from([0.0, 0.5, 1.0]))
    # eps always large: on a constant channel torch's fused x * alpha + beta (an FMA) leaves rounding noise of
    # ulp(x / sqrt(eps)) where the exact result is 0; minigrad's (x - mean) / sqrt(var + eps) gives the 0
    kw["eps"] = draw(st.sampled_from([0.5, 1.0, 2.0, 0.0, -1.0]))
    return (x, rm, rv), kw


FUNCTIONAL = {
    "relu": unary, "relu_": unary, "sigmoid": unary, "tanh": unary, "leaky_relu": leaky_like,
    "softmax": softmax_like, "log_softmax": softmax_like,
    "linear": linear_like, "conv2d": conv_like,
    "max_pool2d": pool_like(), "avg_pool2d": pool_like(avg=True), "adaptive_avg_pool2d": adaptive_like,
    "layer_norm": layer_norm_like, "dropout": dropout_like,
    "mse_loss": mse_like, "binary_cross_entropy": bce_like(), "binary_cross_entropy_with_logits": bce_like(True),
    "nll_loss": class_loss, "cross_entropy": cross_entropy_like, "one_hot": one_hot_like,
    "embedding": embedding_like, "batch_norm": batch_norm_like,
}

# Public names of minigrad that are not ops on tensors (types, dtypes, factories, state, modules, I/O).
NOT_OPS = frozenset(
    "Tensor Size dtype device tensor as_tensor from_numpy zeros ones full empty arange linspace eye rand randn "
    "randint randperm zeros_like ones_like full_like empty_like rand_like randn_like randint_like FloatTensor "
    "DoubleTensor LongTensor IntTensor ByteTensor BoolTensor manual_seed seed Generator float float32 double "
    "float64 half float16 long int64 int int32 short int16 int8 uint8 bool get_default_dtype set_default_dtype "
    "set_default_device get_default_device set_default_tensor_type no_grad enable_grad set_grad_enabled "
    "is_grad_enabled inference_mode result_type promote_types set_num_threads get_num_threads autograd cuda nn "
    "optim utils save load "
    # random draws and the generator's state: compared with torch's streams in test_random_streams.py
    "initial_seed get_rng_state set_rng_state default_generator random normal bernoulli multinomial poisson".split())


def _functional_names():
    return sorted(n for n, v in vars(MF).items()
                  if inspect.isfunction(v) and v.__module__ == MF.__name__ and not n.startswith("_"))


def _op_ids():
    top = sorted(set(minigrad.__all__) - NOT_OPS)
    return [("", n) for n in top] + [("F", n) for n in _functional_names()]


# ----------------------------------------------------------------------------------------------
# Known bugs: a predicate on the divergence -> repro id in test_errors.BUGS
# ----------------------------------------------------------------------------------------------
OK = "ok"


class Divergence:
    """What a known-bug predicate sees: the op, its drawn arguments and both outcomes."""

    def __init__(self, where, name, args, kwargs, t_out, m_out):
        self.where, self.name, self.args, self.kwargs, self.t, self.m = where, name, args, kwargs, t_out, m_out

    def _raised(self, out, cls, msg):
        if out[0] == OK or (cls and out[0].__name__ != cls):
            return False
        return msg is None or re.search(msg, out[1]) is not None

    def t_raised(self, cls=None, msg=None):
        return self._raised(self.t, cls, msg)

    def m_raised(self, cls=None, msg=None):
        return self._raised(self.m, cls, msg)

    @property
    def t_ok(self):
        return self.t[0] == OK

    @property
    def m_ok(self):
        return self.m[0] == OK

    def op(self, *names, functional=None):
        return self.name in names and (functional is None or bool(self.where) == functional)

    def tensors(self):
        out = []

        def walk(o):
            if isinstance(o, T):
                out.append(o.array)
            elif isinstance(o, (list, tuple)):
                for x in o:
                    walk(x)
            elif isinstance(o, dict):
                for x in o.values():
                    walk(x)
        walk((self.args, self.kwargs))
        return out

    def any_dtype(self, kind):
        return any(a.dtype.kind == kind for a in self.tensors())

    def has_nan(self):
        return any(a.dtype.kind == "f" and np.isnan(a).any() for a in self.tensors())

    def scalar_args(self):
        return [a for a in self.args if not isinstance(a, (T, list))]


# Ordered: the first matching predicate names the bug.  Keep each as narrow as the bug it stands for.
KNOWN = []


# Divergences that are not minigrad bugs: torch disagrees with itself.  Tolerated, counted, never an xfail.
QUIRKS = [
    # torch's conv2d gives inf or nan at zero-padded positions times an inf weight depending on the batch size
    # (different kernels: conv2d(full((1,1,1,1), inf), full((1,1,2,2), inf), padding=1) is nan, batch 2 is inf);
    # minigrad's explicit zero padding gives 0 * inf = nan consistently.
    ("T1", lambda d: d.op("conv2d") and d.t_ok and d.m_ok and "padding" in d.kwargs
     and any(a.dtype.kind == "f" and np.isinf(a).any() for a in d.tensors())),
    # torch's pow(float, bool tensor) computes its forward, but its backward evaluates exponent - 1 on the bool
    # exponent and raises "Subtraction ... with a bool tensor"; minigrad returns the gradient b * a ** (b - 1).
    ("T2", lambda d: d.op("pow") and d.t_ok and d.m_ok and len(d.tensors()) == 2 and d.tensors()[1].dtype == BOOL
     and isinstance(d.t[2], tuple) and re.search("Subtraction, the `-` operator, with a bool", d.t[2][1])
     and not isinstance(d.m[2], tuple)),
    # torch's addcdiv backward raises "result type Float can't be cast to the desired output type Long" for
    # tensor1's gradient when tensor2 is an integer tensor (its C++ `value / tensor2` fills an integer tensor with
    # value and divides it in place); minigrad returns the gradient grad * value / tensor2.
    ("T3", lambda d: d.op("addcdiv") and d.t_ok and d.m_ok and len(d.tensors()) == 3
     and d.tensors()[2].dtype.kind in "biu" and isinstance(d.t[2], tuple)
     and re.search("can't be cast to the desired output type", d.t[2][1]) and not isinstance(d.m[2], tuple)),
    # torch's atan2 backward computes other's gradient as grad * -self * recip with self as given: a bool self
    # raises "Negation ... on a bool tensor"; minigrad (which casts self to the float dtype first) returns it.
    ("T4", lambda d: d.op("atan2") and d.t_ok and d.m_ok and len(d.tensors()) == 2 and d.tensors()[0].dtype == BOOL
     and isinstance(d.t[2], tuple) and re.search("Negation, the `-` operator, on a bool", d.t[2][1])
     and not isinstance(d.m[2], tuple)),
]


def classify(div):
    """The known bug id (or torch quirk id) a divergence belongs to, or None."""
    for bug, predicate in QUIRKS + KNOWN:
        if predicate(div):
            return bug
    return None


# ----------------------------------------------------------------------------------------------
# Running one example
# ----------------------------------------------------------------------------------------------
class ExampleTimeout(Exception):
    pass


def _alarm(signum, frame):
    raise ExampleTimeout(f"example ran longer than {EXAMPLE_TIMEOUT_S} s")


def _call(m, where, name, args, kwargs):
    """(outcome, value-or-message, gradients) of one call in framework ``m``."""
    mod = m if where == "" else m.nn.functional
    leaves = []
    a = _materialize(args, m, leaves)
    kw = _materialize(kwargs, m, leaves)
    fn = getattr(mod, name)
    try:
        out = fn(*a, **kw)
        value = _plain(out)
    except ExampleTimeout:
        raise
    except Exception as e:  # noqa: BLE001
        return type(e), str(e), None
    grads = None
    outs = out if isinstance(out, tuple) else (out,)
    dense = (lambda g: torch.zeros_like(g) if isinstance(g, torch.Tensor) and g._is_zerotensor() else g)
    diff = [o for o in outs if isinstance(o, (torch.Tensor, minigrad.Tensor)) and o.grad_fn is not None]
    if diff and leaves:
        try:
            total = sum(((o * _cotangent(m, o)).sum() for o in diff), m.tensor(0.0, dtype=m.float64))
            g = (m.autograd.grad(total, leaves, allow_unused=True))
            grads = [_plain(dense(x)) if x is not None else None for x in g]   # (torch's ZeroTensors too)
        except ExampleTimeout:
            raise
        except Exception as e:  # noqa: BLE001
            grads = (type(e), str(e))
    return "ok", value, grads


def _cotangent(m, o):
    n = o.numel() if callable(getattr(o, "numel", None)) else 1
    c = (np.arange(n, dtype=np.float64) % 3 - 1).reshape(tuple(o.shape))
    return m.tensor(c, dtype=o.dtype)


def _finite_inputs(obj):
    """Gradients are compared only for finite inputs of moderate magnitude (subnormals and overflow excluded)."""
    if isinstance(obj, T):
        a = np.abs(obj.array.astype(np.float64))
        return obj.array.dtype.kind != "f" or bool(np.isfinite(a).all() and (a < 1e6).all()
                                                   and ((a == 0) | (a > 1e-6)).all())
    if isinstance(obj, (list, tuple)):
        return all(_finite_inputs(o) for o in obj)
    if isinstance(obj, dict):
        return all(_finite_inputs(o) for o in obj.values())
    return not (isinstance(obj, float) and not math.isfinite(obj))


def check_example(where, name, args, kwargs, known_hits):
    """Run one example in both frameworks and assert the contract; known-bug divergences go to ``known_hits``."""
    old = signal.signal(signal.SIGALRM, _alarm)
    signal.alarm(EXAMPLE_TIMEOUT_S)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            t_out = _call(torch, where, name, args, kwargs)
            m_out = _call(minigrad, where, name, args, kwargs)
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, old)
    call = f"{'F.' if where else ''}{name}(*{args!r}, **{kwargs!r})"

    def diverged(what):
        bug = classify(Divergence(where, name, args, kwargs, t_out, m_out))
        if bug:
            known_hits[bug] = known_hits.get(bug, 0) + 1
            return
        raise AssertionError(f"{call}\n{what}\n torch:    {_show(t_out)}\n minigrad: {_show(m_out)}")

    if m_out[0] != OK and m_out[0].__module__.startswith("numpy"):
        return diverged(f"NumPy exception class leaked: {m_out[0].__module__}.{m_out[0].__name__}")
    if (t_out[0] == OK) != (m_out[0] == OK) or (t_out[0] != OK and t_out[0] is not m_out[0]):
        return diverged("different outcome")
    if t_out[0] != OK:
        return
    try:
        assert_same_value(m_out[1], t_out[1], "forward")
    except AssertionError as e:
        return diverged(f"forward values differ: {e}")
    if t_out[2] is None or m_out[2] is None or not (_finite_inputs(args) and _finite_inputs(kwargs)):
        return
    tg, mg = t_out[2], m_out[2]
    if isinstance(tg, tuple) or isinstance(mg, tuple):   # backward raised in one or both
        if not (isinstance(tg, tuple) and isinstance(mg, tuple) and tg[0] is mg[0]):
            return diverged(f"backward: torch {tg!r} minigrad {mg!r}")
        return
    for i, (a, b) in enumerate(zip(mg, tg)):
        if b is None or a is None:
            continue   # torch leaves some all-zero grads as None (allow_unused); not this test's subject
        try:
            assert_same_value(a, b, f"grad[{i}]")
        except AssertionError as e:
            return diverged(f"gradients differ: {e}")


def _show(out):
    return "returned " + repr(out[1])[:300] if out[0] == OK else f"raised {out[0].__name__}: {out[1][:300]}"


# ----------------------------------------------------------------------------------------------
# The tests
# ----------------------------------------------------------------------------------------------
def _builder(where, name):
    return (FUNCTIONAL if where else TOP)[name]


def test_every_public_name_is_fuzzed_or_listed():
    top = set(minigrad.__all__)
    missing = sorted(top - NOT_OPS - set(TOP))
    assert not missing, f"public names with no fuzz builder (add to TOP or NOT_OPS): {missing}"
    stale = sorted((set(TOP) | NOT_OPS) - top)
    assert not stale, f"names listed here but not public in minigrad: {stale}"
    missing_f = sorted(set(_functional_names()) - set(FUNCTIONAL))
    assert not missing_f, f"nn.functional functions with no fuzz builder: {missing_f}"
    for name in _functional_names():
        assert hasattr(torch.nn.functional, name), name


@pytest.mark.parametrize("where, name", _op_ids(), ids=[f"{w or 'torch'}.{n}" for w, n in _op_ids()])
def test_fuzz(where, name, record_property):
    build = _builder(where, name)
    count = [0]
    known = {}
    n_examples = max(FUZZ_EXAMPLES, settings.default.max_examples)

    @settings(max_examples=n_examples, derandomize=True, database=None, deadline=None,
              suppress_health_check=list(HealthCheck), phases=[Phase.explicit, Phase.generate, Phase.shrink],
              print_blob=True)
    @given(st.data())
    def run(data):
        args, kwargs = data.draw(st.composite(lambda draw: build(draw))(), label="call")
        count[0] += 1
        check_example(where, name, args, kwargs, known)

    run()
    record_property("examples", count[0])
    record_property("known_bugs", dict(known))
    bugs = {k: v for k, v in known.items() if not k.startswith("T")}
    if bugs:
        pytest.xfail("known bugs hit: " + ", ".join(f"{k} x{v}" for k, v in sorted(bugs.items())))


def test_known_bug_ids_are_filed():
    """Every bug the fuzzer tolerates has a description and a deterministic strict-xfail repro in test_errors."""
    from test_errors import BUGS
    missing = sorted({bug for bug, _ in KNOWN} - set(BUGS))
    assert not missing, missing
