"""Every array-library-specific line of minigrad lives in this module.

minigrad's ops are written once against the Python array API: ``xp.exp``,
``xp.sum(x, axis=..., keepdims=...)``, ``xp.matmul`` ... where ``xp`` is the
namespace of the arrays at hand.  This module decides which namespace a device
uses and supplies the few things the array API lacks (scatter-add, moving
arrays between libraries, and torch's memory layouts: the strides each op
gives its output, see "memory layout" below).

Devices:

- ``cpu``    -> NumPy
- ``cuda``   -> CuPy (imported lazily; ``cuda.is_available()`` says whether it works)
- ``strict`` -> ``array_api_strict`` on its non-default device ``device1``.  A
  test-only device: it accepts nothing outside the array API standard, so the
  parity suite run on it catches NumPy-only calls and device mixing, which are
  exactly the things that would break on CuPy.
"""
from __future__ import annotations

import builtins
import sys

import numpy as np

_cupy = None          # the cupy module once imported successfully
_cupy_error = None    # why importing cupy failed, for the error message


def _import_cupy():
    global _cupy, _cupy_error
    if _cupy is None and _cupy_error is None:
        try:
            import cupy
            cupy.cuda.runtime.getDeviceCount()   # raises without a driver/GPU
            _cupy = cupy
            _STRIDED.add(cupy.ndarray)
        except Exception as e:  # ImportError, CUDARuntimeError, ...
            _cupy_error = e
    return _cupy


def cuda_is_available() -> bool:
    return _import_cupy() is not None


def _import_strict():
    import array_api_strict
    if (array_api_strict, "float32") not in _to_backend:
        _register(array_api_strict)
    return array_api_strict


# ----------------------------------------------------------------- devices --

class device:
    """``minigrad.device('cpu')``, ``device('cuda:0')``, ``device('cuda', 0)``: like ``torch.device``."""

    __slots__ = ("type", "index")

    def __init__(self, type, index=None):
        if isinstance(type, device):
            type, index = type.type, type.index
        elif isinstance(type, str) and ":" in type:
            type, _, idx = type.partition(":")
            if not idx.isdigit():
                raise RuntimeError(f"Invalid device string: '{type}:{idx}'")
            index = int(idx)
        if type not in ("cpu", "cuda", "strict"):
            raise RuntimeError(
                "Expected one of cpu, cuda, strict device type at start of device string: " + str(type))
        self.type = type
        self.index = index

    def __eq__(self, other):
        if isinstance(other, str):
            other = device(other)
        if not isinstance(other, device):
            return NotImplemented
        return self.type == other.type and (self.index or 0) == (other.index or 0)

    def __hash__(self):
        return hash((self.type, self.index or 0))

    def __str__(self):
        return self.type if self.index is None else f"{self.type}:{self.index}"

    def __repr__(self):
        if self.index is None:
            return f"device(type='{self.type}')"
        return f"device(type='{self.type}', index={self.index})"


CPU = device("cpu")


def as_device(d) -> device:
    if d is None:
        return CPU
    if isinstance(d, int):   # torch accepts an int as a CUDA ordinal
        return device("cuda", d)
    return d if isinstance(d, device) else device(d)


def namespace_for(dev: device):
    """The array namespace that holds a device's arrays."""
    if dev.type == "cpu":
        return np
    if dev.type == "cuda":
        cp = _import_cupy()
        if cp is None:
            raise AssertionError(f"Torch not compiled with CUDA enabled (minigrad: CuPy is unusable here: {_cupy_error})")
        return cp
    return _import_strict()


def array_namespace(a):
    """Namespace of a backend array (fast path for NumPy, the common case)."""
    t = type(a)
    if t is np.ndarray or isinstance(a, np.generic):
        return np
    return a.__array_namespace__()


def device_of(a) -> device:
    t = type(a)
    if t is np.ndarray or isinstance(a, np.generic):
        return CPU
    if _cupy is not None and t is _cupy.ndarray:
        return device("cuda", a.device.id)
    return device("strict")


def _native_device(xp, dev: device):
    """The namespace's own device object for ``dev`` (None = the library default)."""
    if dev.type == "strict":
        return xp.Device("device1")
    return None


# ------------------------------------------------------------------ dtypes --

_NAMES = ("bool", "uint8", "int8", "int16", "int32", "int64", "float16", "float32", "float64")
_to_backend: dict = {}     # (xp, name) -> backend dtype
_from_backend: dict = {}   # non-NumPy backend dtype -> name (NumPy dtypes carry their name)
_NUMPY_NAMES = {np.dtype(n): n for n in _NAMES}   # keyed by dtype: np.dtype.name is slow Python code


def _register(xp):
    for name in _NAMES:
        bd = np.dtype(name) if xp is np or xp is _cupy else getattr(xp, name, None)
        if bd is not None:
            _to_backend[(xp, name)] = bd
            if not isinstance(bd, np.dtype):
                _from_backend[bd] = name


_register(np)


def backend_dtype(xp, name: str):
    try:
        return _to_backend[(xp, name)]
    except KeyError:
        _register(xp)
        if (xp, name) not in _to_backend:
            raise TypeError(f"dtype {name} is not supported by the {xp.__name__} backend") from None
        return _to_backend[(xp, name)]


def dtype_name(backend_dt) -> str:
    """Name (``'float32'``...) of a backend dtype."""
    if isinstance(backend_dt, np.dtype):       # NumPy and CuPy
        name = _NUMPY_NAMES.get(backend_dt)
        if name is not None:
            return name
    else:
        name = _from_backend.get(backend_dt)
        if name is not None:
            return name
    raise TypeError(f"minigrad does not support arrays of dtype {backend_dt}")


# ---------------------------------------------------------- array creation --

def asarray(obj, dev: device = CPU, name: str | None = None, copy: bool = False):
    """``obj`` (nested lists, scalar, NumPy or other backend array) as an array on ``dev``.

    ``name`` is a dtype name (``'float32'``); None keeps the dtype of ``obj``.
    """
    xp = namespace_for(dev)
    if xp is np:
        if copy:
            if type(obj) is np.ndarray:      # torch.tensor() of an array keeps its layout (empty_like's rule)
                return copy_array(obj, name)
            return np.array(obj, dtype=name)
        return np.asarray(obj, dtype=name)
    if not isinstance(obj, (np.ndarray, np.generic, list, tuple, int, float, bool)):
        if device_of(obj) == dev:
            return xp.asarray(obj, dtype=None if name is None else backend_dtype(xp, name), copy=copy)
        obj = to_numpy(obj)
    host = np.asarray(obj, dtype=name)       # every other backend is fed from host memory
    if xp is _cupy:
        return _cupy.asarray(host)
    return xp.asarray(host, device=_native_device(xp, dev), copy=True)


def to_numpy(a) -> np.ndarray:
    if type(a) is np.ndarray:
        return a
    if isinstance(a, np.generic):
        return np.asarray(a)
    if _cupy is not None and type(a) is _cupy.ndarray:
        return _cupy.asnumpy(a)
    # array_api_strict: go through the buffer protocol on its CPU device
    xp = a.__array_namespace__()
    return np.asarray(xp.asarray(a, device=xp.Device("CPU_DEVICE")))


def to_device(a, dev: device):
    """Copy array ``a`` to device ``dev`` (no copy if it is already there)."""
    if device_of(a) == dev:
        return a
    return asarray(to_numpy(a), dev)


# --------------------------------------------------- what the API lacks --

def is_floating(backend_dt) -> bool:
    return backend_dt.kind == "f" if isinstance(backend_dt, np.dtype) else dtype_name(backend_dt).startswith("float")


def ones_like(a):
    if type(a) is np.ndarray and a.shape == ():
        return np.array(1, dtype=a.dtype)       # the usual root gradient: np.ones_like is slow Python
    return array_namespace(a).ones_like(a)


def broadcast_to(a, shape):
    """xp.broadcast_to; for a contiguous NumPy array, a zero-stride view built directly
    (np.broadcast_to's Python-level checks cost more than the work on small arrays)."""
    if type(a) is np.ndarray and a.flags.c_contiguous and a.ndim <= len(shape):
        lead = len(shape) - a.ndim
        strides, ok = [0] * lead, True
        for n, m, st in zip(a.shape, shape[lead:], a.strides):
            if n == m:
                strides.append(st)
            elif n == 1:
                strides.append(0)
            else:
                ok = False
                break
        if ok:
            out = np.ndarray(shape, a.dtype, a, 0, tuple(strides))
            out.flags.writeable = False
            return out
    return array_namespace(a).broadcast_to(a, shape)


def expand(a, shape):
    """torch's expand: a zero-stride view of ``a`` that, unlike ``np.broadcast_to``'s, can be written
    through (torch writes into the base; in-place ops refuse overlapping targets themselves), with torch's
    strides (inferExpandGeometry: a new leading dim of size 1 gets the next dim's size * stride)."""
    if type(a) in _STRIDED:
        return as_strided(a, shape, expand_strides(a.shape, strides(a), shape))
    return array_namespace(a).broadcast_to(a, shape)


def has_internal_overlap(a) -> bool:
    """Do two elements of ``a`` share memory (a zero stride over more than one element)?"""
    strides = getattr(a, "strides", None)
    return strides is not None and a.size > 0 and any(st == 0 and n > 1 for n, st in zip(a.shape, strides))


def data_ptr(a) -> int:
    """The address of ``a``'s first element (torch's data_ptr())."""
    return a.ctypes.data if type(a) is np.ndarray else a.data.ptr


def same_elements(a, b) -> bool:
    """Are ``a`` and ``b`` the same elements of the same memory, laid out alike (torch's is_same_data)?"""
    return a is b or (type(a) is type(b) and type(a) in _STRIDED and a.dtype == b.dtype and a.shape == b.shape
                      and a.strides == b.strides and data_ptr(a) == data_ptr(b))


def memory_overlap(a, b) -> str:
    """torch's get_overlap_status: "full" when ``a`` and ``b`` span the same memory with the same strides,
    "partial" when their memory ranges meet otherwise, "none" else.  As torch, only non-overlapping dense
    arrays are judged (any dim order); anything else (a gap, a zero stride) is too hard and counts as "none"."""
    if type(a) is not np.ndarray or type(b) is not np.ndarray or not a.size or not b.size:
        return "none"
    if not np.may_share_memory(a, b) or not (_is_dense(a.shape, strides(a)) and _is_dense(b.shape, strides(b))):
        return "none"
    a0, b0 = data_ptr(a), data_ptr(b)
    a1, b1 = a0 + a.size * a.itemsize, b0 + b.size * b.itemsize
    if a0 == b0 and a1 == b1:
        return "full" if strides(a) == strides(b) else "partial"
    return "partial" if a0 < b1 and b0 < a1 else "none"


def matrix_transpose(a):
    """xp.matrix_transpose; a NumPy matrix's ``.T`` directly (np.matrix_transpose is Python-level code
    that costs ~1.5 us a call, and a training step makes a dozen of them)."""
    return a.T if type(a) is np.ndarray and a.ndim == 2 else array_namespace(a).matrix_transpose(a)


def permute_dims(a, dims):
    """xp.permute_dims; a NumPy array's own ``transpose`` method (np.permute_dims adds a Python wrapper)."""
    return a.transpose(dims) if type(a) is np.ndarray else array_namespace(a).permute_dims(a, dims)


def add_into(out, c):
    """``out + c`` for a fresh product ``out`` that ``c`` broadcasts to, row-major as torch's addmm output:
    NumPy adds in place into a row-major ``out`` (no second array), else into a new row-major array (one
    pass either way: ``out`` comes out transposed when it was computed as (b^T a^T)^T)."""
    if type(out) is np.ndarray and type(c) is np.ndarray and c.dtype == out.dtype and c.ndim <= out.ndim \
            and out.size:
        return np.add(out, c, out=out if _row_major(out) else np.empty(out.shape, out.dtype))
    return contiguous(c + out)


def sum(a, axis=None, keepdims=False, dtype=None):
    """xp.sum; for NumPy the ufunc reduction itself (np.sum is a Python wrapper around it that
    costs as much as summing a small array)."""
    if type(a) is np.ndarray:
        return np.add.reduce(a, axis=axis, dtype=dtype, keepdims=keepdims)
    return array_namespace(a).sum(a, axis=axis, keepdims=keepdims, dtype=dtype)


# OpenBLAS (NumPy's BLAS) runs a product with M*N*K up to about 5e5 through an unpacked
# "small matrix" kernel and packs its operands above that.  For a tiny M x N output with a long K,
# a convolution's weight gradient such as (6, 57600) @ (57600, 9), the packed route is 4-5x slower
# than reading the operands once (benchmarks/results/profiles.md); sums of K-chunks sized for the
# small kernel are not.
_SMALL_GEMM = 2 ** 19
_MIN_CHUNK = 512          # below this the chunks' Python loop costs more than it saves


def matmul(x, y):
    """``x @ y``; for NumPy float matrices with a small output and a long inner dimension, a sum
    of ``x[:, chunk] @ y[chunk, :]`` products (the same sum, added in a different order)."""
    if type(x) is np.ndarray and type(y) is np.ndarray and x.ndim == 2 and y.ndim == 2 \
            and x.dtype == y.dtype and x.dtype.kind == "f":
        m, k = x.shape
        chunk = _SMALL_GEMM // max(m * y.shape[1], 1)
        if chunk >= _MIN_CHUNK and k >= 2 * chunk:
            out = x[:, :chunk] @ y[:chunk]
            for start in range(chunk, k, chunk):
                out += x[:, start:start + chunk] @ y[start:start + chunk]
            return out
    return array_namespace(x).matmul(x, y)


_UINT_OF_WIDTH = {2: np.uint16, 4: np.uint32, 8: np.uint64}


def zero_where(mask, x, xp=None):
    """``where(mask, 0, x)`` for a float array ``x``: +0.0 where ``mask`` holds (inf and nan there
    too), ``x`` elsewhere.  The gradient of relu, max pooling and the other routing ops.

    NumPy's ``where`` branches per element and takes ~1.4 ms on a random mask of 350k
    float32 (a relu's), 7x a multiply.  For NumPy the same bits come without a branch:
    ``x`` AND a word that is all ones where ``mask`` is False (False - 1 wraps around)
    and all zeros where it is True.
    """
    if type(x) is np.ndarray and x.dtype.kind == "f" and type(mask) is np.ndarray and (x.ndim or mask.ndim):
        uint = _UINT_OF_WIDTH[x.dtype.itemsize]
        bits = np.subtract(mask, uint(1), dtype=uint)
        out = bits if bits.shape == np.broadcast_shapes(mask.shape, x.shape) else None
        return np.bitwise_and(x.view(uint), bits, out=out).view(x.dtype)
    return (xp or array_namespace(x)).where(mask, 0.0, x)    # xp: minigrad's namespace under create_graph


def scalar_to_array(x):
    """NumPy returns scalars, not 0-d arrays, from operations on 0-d arrays: give a 0-d array back."""
    return np.asarray(x) if isinstance(x, np.generic) else x


def full(shape, value, like):
    """An array of ``value`` with ``like``'s dtype, on ``like``'s device."""
    xp = array_namespace(like)
    if xp is np or xp is _cupy:
        return xp.full(shape, value, dtype=like.dtype)
    return xp.full(shape, value, dtype=like.dtype, device=like.device)


def zeros(shape, like):
    xp = array_namespace(like)
    if xp is np or xp is _cupy:           # np.zeros gets pre-zeroed pages; np.full writes every byte
        return xp.zeros(shape, dtype=like.dtype)
    return full(shape, 0, like)


def arange(n, like, dtype=None):
    """0, 1, ..., n-1 on ``like``'s device (``dtype``: a backend dtype; default ``like``'s)."""
    xp = array_namespace(like)
    dt = like.dtype if dtype is None else dtype
    if xp is np or xp is _cupy:
        return xp.arange(n, dtype=dt)
    return xp.arange(n, dtype=dt, device=like.device)


def is_contiguous(a) -> bool:
    """torch's is_contiguous(): row-major whatever the strides of size-1 dims, and every empty array, which is
    what NumPy's/CuPy's flag says.  The array API has no strides: always True there."""
    flags = getattr(a, "flags", None)
    return True if flags is None else bool(flags.c_contiguous)


def is_transposed(a) -> bool:
    """A matrix stored column-major, such as ``W.t()`` (NumPy/CuPy strides; never for other arrays)."""
    flags = getattr(a, "flags", None)
    return flags is not None and a.ndim == 2 and flags.f_contiguous and not flags.c_contiguous


def _refs_to_base(a):
    base = a.base
    return sys.getrefcount(base)


# What _refs_to_base counts when the view is the only holder of its base (the exact count
# depends on how the interpreter counts temporaries, so it is measured, not assumed).
_SOLE_VIEW_REFS = _refs_to_base(np.zeros(2)[:])


def can_keep(a) -> bool:
    """May ``a`` be stored (as a leaf's ``.grad``) without a copy?  True when it owns its memory, or
    when it is a row-major view covering the whole of an array that nothing else references (torch's
    AccumulateGrad likewise steals a gradient nobody else holds).  Without strides: never."""
    base = getattr(a, "base", False)
    if base is None:
        return True
    if not (type(base) is type(a) and base.base is None and a.size == base.size
            and a.flags.c_contiguous and a.flags.writeable):
        return False
    del base            # our own reference must not be counted
    return _refs_to_base(a) <= _SOLE_VIEW_REFS


def contiguous_copy(a):
    """A row-major copy (a plain copy where there are no strides)."""
    xp = array_namespace(a)
    if xp is np or xp is _cupy:
        return xp.array(a, order="C", copy=True)      # (ascontiguousarray would turn 0-d into 1-d)
    return xp.asarray(a, copy=True)


def layout_copy(a):
    """A copy with ``a``'s layout where that is dense (size-1 dims' strides included), else row-major."""
    if type(a) is np.ndarray and a.ndim > 1 and not _row_major(a) and _is_dense(a.shape, strides(a)):
        out = empty_strided(a.shape, strides(a), a)
        out[...] = a
        return out
    return contiguous_copy(a)


def reshapes_without_copy(a, shape) -> bool:
    """Whether ``a`` can be viewed with ``shape`` (torch's ``view`` rule, computeStride); a contiguous
    array always can.  Without strides (the array API): always."""
    if type(a) not in _STRIDED or a.flags.c_contiguous:
        return True
    return view_strides(a.shape, strides(a), shape) is not None


def scatter_add(target, index, values):
    """``target[index] += values`` with repeated indices summed (in place)."""
    xp = array_namespace(target)
    if xp is np:
        np.add.at(target, index, values)
    elif xp is _cupy:
        import cupyx
        cupyx.scatter_add(target, index, values)
    else:
        raise NotImplementedError(
            "index backward needs scatter-add, which the array API standard does not have")
    return target


def index_to_backend(index, xp):
    """Turn NumPy integer/bool index arrays inside an indexing tuple into ``xp`` arrays."""
    if xp is np:
        return index
    return tuple(asarray(i, xp) if isinstance(i, np.ndarray) else i for i in index)


def random_generator(seed=None):
    """minigrad's random numbers always come from NumPy, so a seed gives the same
    numbers on every device; arrays are then moved to the tensor's device."""
    return np.random.default_rng(seed)


# ----------------------------------------------------------- memory layout --
# torch reports strides in elements, and each op lays out its output by a rule of its own: elementwise ops
# follow their operands (TensorIterator), clone/to keep the input's layout (empty_like), reductions,
# softmax, indexing and most others are contiguous.  NumPy agrees for exactly row-major operands and differs
# elsewhere: the strides of size-1 dims, mixed layouts, reductions, fancy indexing, and the all-zero strides
# of the empty arrays it allocates.  The helpers below give an op's output torch's layout: a cheap check
# when the operands are row-major (the common case), torch's rule in Python otherwise, then a view with the
# right strides when only those of size-1 dims differ, a copy when the order differs.  Arrays without
# strides (array_api_strict) pass through unchanged.

_STRIDED = {np.ndarray}      # array types with strides (CuPy's joins on import)
_ndarray = np.ndarray
_NUMBERS = (int, float, bool)


def has_strides(a) -> bool:
    """A NumPy or CuPy array (array_api_strict's have no strides)."""
    return type(a) in _STRIDED


def c_strides(shape) -> tuple:
    """torch's contiguous strides for ``shape`` (a size-0 dim counts as 1, as in torch)."""
    out, n = [], 1
    for s in reversed(shape):
        out.append(n)
        if s > 1:
            n *= s
    return tuple(reversed(out))


def strides(a) -> tuple:
    """A NumPy/CuPy array's strides in elements (torch's ``stride()``).  NumPy allocates empty arrays with
    all-zero strides; so does torch.tensor() of such an array, but torch's own ops allocate theirs
    contiguous, and so do the helpers below."""
    n = a.itemsize
    return tuple(s // n for s in a.strides)


_ROW_MAJOR_BYTES: dict = {}      # (shape, itemsize) -> torch's contiguous strides in bytes


def _row_major(a) -> bool:
    """Are ``a``'s strides exactly torch's contiguous ones (size-1 dims included)?  NumPy's flag decides
    when no dim has size 0 or 1; else a comparison with strides cached per shape (an op's hot path)."""
    shape = a.shape
    if 1 not in shape and 0 not in shape:
        return a.flags.c_contiguous
    key = (shape, a.itemsize)
    st = _ROW_MAJOR_BYTES.get(key)
    if st is None:
        if len(_ROW_MAJOR_BYTES) > 4096:
            _ROW_MAJOR_BYTES.clear()
        st = _ROW_MAJOR_BYTES[key] = tuple(s * a.itemsize for s in c_strides(shape))
    return a.strides == st


def _is_contiguous(shape, st) -> bool:
    """torch's is_contiguous(): row-major, ignoring the strides of size-1 dims; every empty tensor is."""
    if 0 in shape:
        return True
    n = 1
    for s, x in zip(reversed(shape), reversed(st)):
        if s != 1:
            if x != n:
                return False
            n *= s
    return True


def _is_channels_last(shape, st) -> bool:
    """torch's is_contiguous(memory_format=torch.channels_last), 4-D only (NHWC order in memory)."""
    if len(shape) != 4:
        return False
    n = 1
    for d in (1, 3, 2, 0):
        if shape[d] != 1:
            if st[d] != n:
                return False
            n *= shape[d]
    return True


def _is_dense(shape, st) -> bool:
    """torch's is_non_overlapping_and_dense() (every contiguous tensor is, the empty ones included)."""
    if _is_contiguous(shape, st) or _is_channels_last(shape, st):
        return True
    if len(shape) == 1:
        return shape[0] < 2 or st[0] == 1
    n = 1
    for d in sorted((d for d in range(len(shape)) if shape[d] >= 2), key=st.__getitem__):
        if st[d] != n:
            return False
        n *= shape[d]
    return True


def _sorted_dims(shape, rows):
    """TensorIterator's reorder_dimensions: the dims, fastest-moving first, by the strides of each operand
    in turn (``rows``: one stride tuple per operand, 0 for broadcast dims)."""
    nd = len(shape)
    perm = list(range(nd - 1, -1, -1))

    def should_swap(d0, d1):
        for st in rows:
            s0, s1 = st[d0], st[d1]
            if s0 == 0 or s1 == 0:
                continue
            if s0 != s1:
                return 1 if s0 > s1 else -1
            if shape[d0] > shape[d1]:
                return 1
        return 0

    for i in range(1, nd):
        d1 = i
        for d0 in range(i - 1, -1, -1):
            c = should_swap(perm[d0], perm[d1])
            if c > 0:
                perm[d0], perm[d1] = perm[d1], perm[d0]
                d1 = d0
            elif c < 0:
                break
    return perm


def iter_strides(shape, operands) -> tuple:
    """The strides torch's TensorIterator gives the output of an elementwise op: ``operands`` is a
    (shape, strides) pair per input, in torch's order, with ((), ()) for a Python number."""
    shape = tuple(shape)
    if all(s == shape for s, _ in operands):       # torch's fast setup
        if all(_is_contiguous(s, st) for s, st in operands):
            return c_strides(shape)
        if all(_is_channels_last(s, st) for s, st in operands):
            return _format_strides(shape, True)
        first = operands[0][1]
        if all(st == first and _is_dense(s, st) for s, st in operands):
            return first
    nd = len(shape)
    if nd <= 1:
        return c_strides(shape)
    rows = []
    for s, st in operands:        # broadcast dims (and missing leading dims) get stride 0
        lead = nd - len(s)
        rows.append((0,) * lead + tuple(0 if n == 1 and shape[lead + i] != 1 else x
                                        for i, (n, x) in enumerate(zip(s, st))))
    perm = _sorted_dims(shape, rows)
    if perm == list(range(nd - 1, -1, -1)):
        return c_strides(shape)
    out, n = [0] * nd, 1
    for d in perm:
        out[d] = n
        n *= shape[d]
    return tuple(out)


def dense_strides(shape, st) -> tuple:
    """torch's layout for a copy that keeps ``(shape, st)``'s layout (empty_like's preserve_format):
    the same strides when those are dense, else dense ones in the same order (infer_dense_strides)."""
    if _is_dense(shape, st):
        return tuple(st)
    nd = len(shape)
    if nd <= 1:
        return (1,) * nd
    out, n = [0] * nd, 1
    for d in _sorted_dims(shape, (st,)):
        out[d] = n
        if shape[d] > 1:
            n *= shape[d]
    return tuple(out)


def view_strides(shape, st, new_shape):
    """torch's computeStride: the strides of ``new_shape`` viewing a ``(shape, st)`` tensor's memory, or None
    when no view can (reshape then copies; view raises)."""
    new_shape = tuple(new_shape)
    if not shape:
        return (1,) * len(new_shape)
    if 0 in shape:                 # no element is out of place: any strides will do
        return tuple(st) if tuple(shape) == new_shape else c_strides(new_shape)
    out = [0] * len(new_shape)
    view_d = len(new_shape) - 1
    base = st[-1]
    tensor_numel = view_numel = 1
    for d in range(len(shape) - 1, -1, -1):
        tensor_numel *= shape[d]
        if d == 0 or (shape[d - 1] != 1 and st[d - 1] != tensor_numel * base):
            while view_d >= 0 and (view_numel < tensor_numel or new_shape[view_d] == 1):
                out[view_d] = view_numel * base
                view_numel *= new_shape[view_d]
                view_d -= 1
            if view_numel != tensor_numel:
                return None
            if d > 0:
                base = st[d - 1]
                tensor_numel = view_numel = 1
    if view_d != -1:
        return None
    return tuple(out)


def _cupy_strided(a, shape, byte_strides):
    from cupy.lib.stride_tricks import as_strided
    return as_strided(a, shape, byte_strides)


def as_strided(a, shape, st):
    """A view of ``a``'s memory (from its first element) with ``shape`` and element strides ``st``."""
    n = a.itemsize
    bst = tuple(s * n for s in st)
    if type(a) is np.ndarray:
        return np.lib.stride_tricks.as_strided(a, shape, bst)
    return _cupy_strided(a, shape, bst)


def _restrided(a, st):
    """``a`` with element strides ``st`` that address the same elements (they differ only at size-1 dims,
    or ``a`` is empty): a view, made without as_strided's Python overhead where NumPy allows."""
    if type(a) is np.ndarray:
        n = a.itemsize
        bst = tuple(s * n for s in st)
        if not a.size:
            return np.ndarray(a.shape, a.dtype, np.empty(0, a.dtype), 0, bst)
        if a.flags.c_contiguous or a.flags.f_contiguous:     # the buffer protocol takes these as they are
            return np.ndarray(a.shape, a.dtype, a, 0, bst)
    return as_strided(a, a.shape, st)


def empty_strided(shape, st, like, dtype=None):
    """An uninitialised array of ``like``'s dtype (or ``dtype``) and device with ``shape`` and element strides
    ``st`` (each dim's stride at least that of the dims it encloses, as torch's layouts are)."""
    xp = array_namespace(like)
    if dtype is not None:
        like = xp.empty(0, dtype=dtype)
    size = 0
    if 0 not in shape:
        size = 1
        for n, s in zip(shape, st):
            size += (n - 1) * s
    flat = xp.empty(size, dtype=like.dtype)
    n = like.itemsize
    if xp is np:
        return np.ndarray(tuple(shape), like.dtype, flat, 0, tuple(s * n for s in st))
    return _cupy_strided(flat, tuple(shape), tuple(s * n for s in st))


def expand_strides(shape, st, new_shape) -> tuple:
    """torch's strides for ``(shape, st)`` expanded to ``new_shape`` (same size or 1 -> anything)."""
    out = [0] * len(new_shape)
    lead = len(new_shape) - len(shape)
    for i in range(len(new_shape) - 1, -1, -1):
        d = i - lead
        if d >= 0:
            n, s = shape[d], st[d]
        else:                  # a new dim: 0 for a 0-d tensor, else as if it sat on the next one
            n, s = 1, (new_shape[i + 1] * out[i + 1] if i + 1 < len(new_shape) and shape else 0)
        out[i] = s if n == new_shape[i] else 0
    return tuple(out)


def _reshape_keeps_layout(a) -> bool:
    """Is a plain reshape already torch's layout?  For row-major NumPy arrays (checked the fast way first),
    and for arrays without strides."""
    if type(a) is _ndarray:
        s = a.shape
        return (1 not in s and 0 not in s and a.flags.c_contiguous) or bool(a.size and _row_major(a))
    return type(a) not in _STRIDED


def view(a, shape):
    """``a`` viewed with ``shape``, with torch's strides (computeStride); a copy only when no view can
    (callers check first)."""
    if _reshape_keeps_layout(a):
        return a.reshape(shape) if type(a) is _ndarray else array_namespace(a).reshape(a, shape)
    st = view_strides(a.shape, strides(a), shape)
    if st is None:
        return contiguous(array_namespace(a).reshape(a, shape))
    return as_strided(a, tuple(shape), st)


def unsqueeze(a, shape, dim=None):
    """``a`` with a size-1 dim inserted at ``dim`` (``shape`` the result's shape) and torch's stride for
    it: the next dim's size * stride, 1 at the end.  Without ``dim`` the insertion point is the last one
    that ``shape`` allows; in a run of size-1 dims torch's choice depends on which dim was named."""
    if _reshape_keeps_layout(a):
        return a.reshape(shape) if type(a) is _ndarray else array_namespace(a).reshape(a, shape)
    if dim is None:
        dim = next(p for p in range(len(shape) - 1, -1, -1) if shape[p] == 1 and shape[:p] + shape[p + 1:] == a.shape)
    st = strides(a)
    new = st[dim] * a.shape[dim] if dim < a.ndim else 1
    return as_strided(a, tuple(shape), st[:dim] + (new,) + st[dim:])


def squeeze(a, shape, dims=None):
    """``a`` without some size-1 dims (``shape`` the result's shape): the other dims keep their strides.
    Without ``dims`` the dims dropped are the first size-1 ones that ``shape`` allows."""
    if _reshape_keeps_layout(a):
        return a.reshape(shape) if type(a) is _ndarray else array_namespace(a).reshape(a, shape)
    if dims is None:
        dims = _dropped_dims(a.shape, shape)
    st = strides(a)
    return as_strided(a, tuple(shape), tuple(s for d, s in enumerate(st) if d not in dims))


def _dropped_dims(old, new):
    """The size-1 dims of ``old`` that ``new`` lacks: the first ones of each run of size-1 dims."""
    dropped, d, j = [], 0, 0
    while d < len(old):
        if old[d] != 1:
            d, j = d + 1, j + 1
            continue
        e, k = d, j
        while e < len(old) and old[e] == 1:
            e += 1
        while k < len(new) and new[k] == 1:
            k += 1
        dropped.extend(range(d, e - (k - j)))
        d, j = e, k
    return dropped


def basic_index(a, index):
    """``a[index]`` for an index of ints, slices, None and Ellipsis, with torch's strides: NumPy gives a
    new (None) dim stride 0, torch the size * stride of the dim that follows it (1 at the end); and a slice
    of length 0 keeps its stride in NumPy, where torch multiplies it by the step as for any other."""
    y = a[index]
    if (y.size and None not in index) or type(a) not in _STRIDED:
        return y
    st, shape, out, d = strides(a), a.shape, [], 0
    consumed = builtins.sum(1 for i in index if i is not None and i is not Ellipsis)
    for i in index:
        if i is None:
            out.append(shape[d] * st[d] if d < len(shape) else 1)
        elif i is Ellipsis:
            k = len(shape) - consumed
            out.extend(st[d:d + k])
            d += k
        elif isinstance(i, slice):
            out.append(st[d] * (i.step or 1))
            d += 1
        else:
            d += 1
    return _restrided(y, tuple(out) + st[d:])        # (dims past the index are kept whole)


def advanced_index(a, index):
    """``a[index]`` for an index holding integer or boolean arrays, laid out as torch's ``index``: its
    TensorIterator runs over ``a`` restrided to the result's shape (0 along the indexed dims) and the
    index arrays broadcast to it, so the result follows ``a``'s layout in the dims not indexed."""
    y = a[index]
    if type(y) not in _STRIDED:
        return y
    if y.ndim <= 1:          # (a fresh non-empty 1-d result has stride 1 already)
        return y if y.ndim and y.size and type(y) is _ndarray else contiguous(y)
    st = _index_strides(a, index)
    return contiguous(y) if st is None or len(st) != y.ndim else laid_out(y, st)


def _index_strides(a, index):
    consumed = builtins.sum(i.ndim if _is_bool_array(i) else 1 for i in index
                            if i is not None and i is not Ellipsis)
    basic, found, pos = [], {}, 0      # found: dim of the sliced view -> (shape, strides) of its index
    for i in index:                    # torch applies slices and None first (views), then the arrays
        if i is None or i is Ellipsis or isinstance(i, (slice, int)):
            basic.append(i)
            pos += 1 if i is None or isinstance(i, slice) else (a.ndim - consumed if i is Ellipsis else 0)
        elif _is_bool_array(i) and i.ndim == 0:    # torch: unsqueeze, then index with [0] or []
            basic.append(None)
            found[pos] = ((1 if bool(i) else 0,), (1,))
            pos += 1
        elif _is_bool_array(i):          # a mask: one column of nonzero()'s (count, k) result per dim
            k, count = i.ndim, int(array_namespace(i).count_nonzero(i))
            basic.extend([slice(None)] * k)
            for j in range(k):
                found[pos + j] = ((count,), (k,))
            pos += k
        else:
            basic.append(slice(None))
            found[pos] = (tuple(i.shape), strides(i))
            pos += 1
    src = basic_index(a, tuple(basic))
    shape, st = list(src.shape), list(strides(src))
    b = ()
    for s, _ in found.values():
        b = _broadcast(b, s)
    dims = sorted(found)
    idx = [(b, s if tuple(sh) == b else expand_strides(sh, s, b)) for sh, s in (found[d] for d in dims)]
    if dims != list(range(dims[0], dims[0] + len(dims))):    # not adjacent: torch moves them to the front
        order = dims + [d for d in range(len(shape)) if d not in found]
        shape, st, before = [shape[d] for d in order], [st[d] for d in order], 0
    else:
        before = dims[0]
    after = len(shape) - before - len(dims)
    out_shape = tuple(shape[:before]) + b + tuple(shape[before + len(dims):])
    operands = [(out_shape, tuple(st[:before]) + (0,) * len(b) + tuple(st[before + len(dims):]))]
    for sh, s in idx:
        new = (1,) * before + b + (1,) * after
        operands.append((new, view_strides(sh, s, new)))
    return iter_strides(out_shape, operands)


def _is_bool_array(i) -> bool:
    return hasattr(i, "dtype") and dtype_name(i.dtype) == "bool"


def _broadcast(s1, s2) -> tuple:
    n = max(len(s1), len(s2))
    s1, s2 = (1,) * (n - len(s1)) + tuple(s1), (1,) * (n - len(s2)) + tuple(s2)
    return tuple(y if x == 1 else x for x, y in zip(s1, s2))


def _like_channels_last(shape, st) -> bool:
    """torch's is_strides_like_channels_last (4-D: NHWC, 5-D: NDHWC): what suggest_memory_format reads."""
    order = {4: (1, 3, 2, 0), 5: (1, 4, 3, 2, 0)}.get(len(shape))
    if order is None or st[1] == 0:
        return False
    low = 0
    for d in order:
        if shape[d] == 0 or st[d] < low or (d == 0 and low == st[1]):
            return False
        low = st[d] * shape[d] if shape[d] > 1 else st[d]
    return True


def _format_strides(shape, channels_last) -> tuple:
    """Contiguous strides, or channels-last ones (torch's get_channels_last_strides_2d/3d)."""
    if not channels_last:
        return c_strides(shape)
    out, n = [0] * len(shape), 1
    for d in ((1, 3, 2, 0) if len(shape) == 4 else (1, 4, 3, 2, 0)):
        out[d] = n
        n *= shape[d]
    return tuple(out)


def _cat_format(inputs) -> bool:
    """torch's cat_compute_output_memory_format: channels-last only when every input suggests it."""
    return all(len(s) in (4, 5) and _like_channels_last(s, st) for s, st in inputs) and \
        len({len(s) for s, _ in inputs}) == 1


def cat_layout(y, arrays):
    """``y`` = the concatenation of ``arrays``, laid out as torch's cat: contiguous, or channels-last when
    every input is laid out so (4-D and 5-D)."""
    if type(y) not in _STRIDED:
        return y
    if any(a.ndim in (4, 5) for a in arrays) and _cat_format([_operand(a) for a in arrays]):
        return laid_out(y, _format_strides(y.shape, True))
    return contiguous(y)


def stack_layout(y, arrays, dim):
    """``y`` = ``arrays`` stacked at ``dim``, laid out as torch's stack: a cat along ``dim`` viewed with the
    new dim split off (or, at the end, a cat of the inputs unsqueezed there)."""
    if type(y) not in _STRIDED:
        return y
    a = arrays[0]
    if a.ndim + 1 < 4 or not any(x.ndim + 1 in (4, 5) or x.ndim in (4, 5) for x in arrays):
        return contiguous(y)
    ops = [_operand(x) for x in arrays]
    if dim == a.ndim:
        ops = [(s + (1,), st + (1,)) for s, st in ops]
        return laid_out(y, _format_strides(y.shape, _cat_format(ops)))
    cat_shape = a.shape[:dim] + (len(arrays) * a.shape[dim],) + a.shape[dim + 1:]
    st = view_strides(cat_shape, _format_strides(cat_shape, _cat_format(ops)), y.shape)
    return laid_out(y, st if st is not None else c_strides(y.shape))


def folded_mT(y):
    """A contiguous product ``y`` that torch computes as the transpose ``(b^T a^T)^T`` then makes contiguous:
    ``.contiguous()`` keeps the transposed strides when torch counts them contiguous already (an empty result,
    or a size-1 dim among the last two)."""
    if type(y) not in _STRIDED or y.ndim < 2:
        return y
    st = c_strides(y.shape[:-2] + (y.shape[-1], y.shape[-2]))
    st = st[:-2] + (st[-1], st[-2])
    return laid_out(y, st) if _is_contiguous(y.shape, st) else y


def is_row_major(a) -> bool:
    """Are ``a``'s strides exactly torch's contiguous ones?  (Always, without strides.)"""
    return type(a) not in _STRIDED or _row_major(a)


def laid_out(y, st):
    """``y``'s values with element strides ``st``: a view when they address the same elements (only
    size-1 dims, or an empty array, differ), else a copy."""
    if y.strides == tuple(s * y.itemsize for s in st):
        return y
    if not y.size or all(n == 1 or a == s * y.itemsize for n, a, s in zip(y.shape, y.strides, st)):
        return _restrided(y, st)
    out = empty_strided(y.shape, st, y)
    out[...] = y
    return out


def _operand(x):
    return (x.shape, strides(x)) if hasattr(x, "shape") else ((), ())


def elementwise(y, *operands):
    """``y``, computed elementwise from ``operands`` (arrays or Python numbers, in torch's argument order),
    laid out as torch's TensorIterator lays out the output."""
    if type(y) not in _STRIDED:
        return y                 # a NumPy scalar (0-d result), or no strides
    return laid_out(y, iter_strides(y.shape, [_operand(x) for x in operands]))


def unary(y, a):
    """``y`` = f(``a``) elementwise (NumPy's fresh result), in torch's layout.

    The hot path reads only what is cheap: a non-empty 1-d result has stride 1 in both libraries; and when
    the operand has the result's shape (its size, for an operand that broadcasts to it) and strides, with no
    dim of size 0 or 1 (whose strides the two libraries pick apart), it is dense and alone decides torch's
    order, so torch's output has its strides, as NumPy's does.  Else: a contiguous ``a`` gives torch a
    row-major output, and NumPy's usually is."""
    if type(y) is _ndarray:
        s = y.shape
        if len(s) == 1:
            if s[0]:
                return y
        elif type(a) is _ndarray and 1 not in s and 0 not in s and a.strides == y.strides and a.size == y.size:
            return y
        if type(a) is _ndarray and a.flags.c_contiguous and _row_major(y):
            return y
    elif type(y) not in _STRIDED:
        return y                 # a NumPy scalar (0-d result), or no strides
    return elementwise(y, a)


def binary(y, a, b):
    """``y`` = f(``a``, ``b``) elementwise (either may be a Python number), in torch's layout.  The hot
    path is unary's, with ``a``, the first operand, deciding (torch sorts dims by the first operand's
    strides).  Else: contiguous operands of one shape give a row-major output in torch (NumPy's usually is);
    exactly row-major ones of different shapes, or with a number, too (and NumPy's then is)."""
    if type(y) is not _ndarray:
        return elementwise(y, a, b)
    s = y.shape
    ta = type(a)
    if ta is _ndarray and a.strides == y.strides and 1 not in s and 0 not in s and a.size == y.size:
        return y
    if len(s) == 1 and s[0]:
        return y
    tb = type(b)
    if ta is _ndarray:
        if tb is _ndarray:
            if a.shape == b.shape:
                if a.flags.c_contiguous and b.flags.c_contiguous and _row_major(y):
                    return y
            elif y.size and _row_major(a) and _row_major(b):
                return y
        elif tb in _NUMBERS and y.size and _row_major(a):
            return y
    elif ta in _NUMBERS and tb is _ndarray and y.size and _row_major(b):
        return y
    return elementwise(y, a, b)


def contiguous(y):
    """``y`` with torch's contiguous strides (reductions, softmax, indexing, matmul... allocate so)."""
    if type(y) is _ndarray:
        s = y.shape
        if 1 not in s and 0 not in s:          # (_row_major's first case, inline: the hot path)
            if y.flags.c_contiguous:
                return y
        elif _row_major(y):
            return y
    elif type(y) not in _STRIDED:
        return y
    return laid_out(y, c_strides(y.shape))


def preserve(y, a):
    """``y``, a copy of (or computed from) ``a`` alone, laid out as torch's clone()/to() lay out their
    result: ``a``'s strides when those are dense, else dense strides in ``a``'s order."""
    if type(y) not in _STRIDED:
        return y
    if type(a) is np.ndarray and _row_major(a):
        return contiguous(y)
    return laid_out(y, dense_strides(a.shape, strides(a)))


def copy(a):
    """A copy of ``a`` laid out as torch's clone() lays it out."""
    if type(a) not in _STRIDED:
        return array_namespace(a).asarray(a, copy=True)
    return copy_array(a)


def copy_array(a, name=None):
    """A copy of a NumPy/CuPy array (converted to the dtype named ``name``), laid out as torch's clone() and
    to() lay out theirs: ``a``'s strides when those are dense, else dense ones in ``a``'s order."""
    dtype = a.dtype if name is None else np.dtype(name)
    if type(a) is np.ndarray and a.size and _row_major(a):
        return np.array(a, dtype=dtype)      # (NumPy copies a row-major array row-major)
    out = empty_strided(a.shape, dense_strides(a.shape, strides(a)), a, dtype)
    out[...] = a
    return out


# ============================================================ special functions ==
# What the array API lacks for torch's elementwise math: fmod, exp2 and the error functions.  Written once
# against the array API (NumPy's or CuPy's own kernel where the namespace has one), so they run on every device.

def fmod(a, b):
    """C's fmod (the remainder that takes the dividend's sign), exactly: for operands of one sign it is the
    array API's remainder of their magnitudes."""
    xp = array_namespace(a)
    fn = getattr(xp, "fmod", None)
    if fn is not None:
        return fn(a, b)
    r = xp.remainder(xp.abs(a), xp.abs(b) if hasattr(b, "shape") else builtins.abs(b))
    if xp.isdtype(a.dtype, "real floating"):
        return xp.copysign(r, a)
    return xp.where(a < 0, -r, r)


def exp2(a):
    """2 ** a."""
    xp = array_namespace(a)
    fn = getattr(xp, "exp2", None)
    return fn(a) if fn is not None else xp.pow(2.0, a)


# erf and erfc: the rational approximations of fdlibm's s_erf.c (Sun Microsystems, as glibc's; error below
# 1 ulp in float64), evaluated for every element and selected by range.  Lower precisions are computed in
# float64 and rounded once, which is what torch's float32 kernels achieve (<= 0.5 ulp measured).
_INF, _NAN = float("inf"), float("nan")
_ERX = 8.45062911510467529297e-01
_ERF_PP = (1.28379167095512558561e-01, -3.25042107247001499370e-01, -2.84817495755985104766e-02,
           -5.77027029648944159157e-03, -2.37630166566501626084e-05)
_ERF_QQ = (1.0, 3.97917223959155352819e-01, 6.50222499887672944485e-02, 5.08130628187576562776e-03,
           1.32494738004321644526e-04, -3.96022827877536812320e-06)
_ERF_PA = (-2.36211856075265944077e-03, 4.14856118683748331666e-01, -3.72207876035701323847e-01,
           3.18346619901161753674e-01, -1.10894694282396677476e-01, 3.54783043256182359371e-02,
           -2.16637559486879084300e-03)
_ERF_QA = (1.0, 1.06420880400844228286e-01, 5.40397917702171048937e-01, 7.18286544141962662868e-02,
           1.26171219808761642112e-01, 1.36370839120290507362e-02, 1.19844998467991074170e-02)
_ERF_RA = (-9.86494403484714822705e-03, -6.93858572707181764372e-01, -1.05586262253232909814e+01,
           -6.23753324503260060396e+01, -1.62396669462573470355e+02, -1.84605092906711035994e+02,
           -8.12874355063065934246e+01, -9.81432934416914548592e+00)
_ERF_SA = (1.0, 1.96512716674392571292e+01, 1.37657754143519042600e+02, 4.34565877475229228821e+02,
           6.45387271733267880336e+02, 4.29008140027567833386e+02, 1.08635005541779435134e+02,
           6.57024977031928170135e+00, -6.04244152148580987438e-02)
_ERF_RB = (-9.86494292470009928597e-03, -7.99283237680523006574e-01, -1.77579549177547519889e+01,
           -1.60636384855821916062e+02, -6.37566443368389627722e+02, -1.02509513161107724954e+03,
           -4.83519191608651397019e+02)
_ERF_SB = (1.0, 3.03380607434824582924e+01, 3.25792512996573918826e+02, 1.53672958608443695994e+03,
           3.19985821950859553908e+03, 2.55305040643316442583e+03, 4.74528541206955367215e+02,
           -2.24409524465858183362e+01)


def _poly(coefficients, z):
    """c0 + c1 z + c2 z^2 + ... (Horner)."""
    out = coefficients[-1]
    for c in coefficients[-2::-1]:
        out = out * z + c
    return out


def _as_float64(a):
    xp = array_namespace(a)
    return xp, xp.astype(a, backend_dtype(xp, "float64"), copy=False)


def _piecewise(xp, x, pieces):
    """An array like ``x`` (float64) holding ``f(x[mask])`` where ``mask``, for each (mask, f) of ``pieces``, and
    nan elsewhere: each range's formula runs on its own elements only."""
    out = xp.full_like(x, _NAN)
    for mask, f in pieces:
        if bool(xp.any(mask)):
            out[mask] = f(x[mask])
    return out


def _erf_small(x):
    """|x| < 0.84375: the odd rational part, erf(x) = x + x r/s."""
    z = x * x
    return _poly(_ERF_PP, z) / _poly(_ERF_QQ, z)


def _erf_mid(ax):
    """0.84375 <= |x| < 1.25: erf(|x|) = erx + P/Q."""
    s = ax - 1.0
    return _poly(_ERF_PA, s) / _poly(_ERF_QA, s)


def _erf_tail(xp, ax):
    """1.25 <= |x| < 28: erfc(|x|) = exp(-x^2 - 0.5625 + R/S) / |x|, with x^2 split exactly."""
    s = 1.0 / (ax * ax)
    ratio = xp.where(ax < 1 / 0.35, _poly(_ERF_RA, s) / _poly(_ERF_SA, s), _poly(_ERF_RB, s) / _poly(_ERF_SB, s))
    z = xp.trunc(ax * 65536.0) / 65536.0      # ax with <= 21 significant bits: z * z is exact
    return xp.exp(-z * z - 0.5625) * xp.exp((z - ax) * (z + ax) + ratio) / ax


def _special_result(a, x, y):
    """``y`` (float64, computed from ``x``) in ``a``'s dtype, NaN where ``x`` is NaN."""
    xp = array_namespace(a)
    y = xp.where(x != x, x, y)
    return xp.astype(y, a.dtype, copy=False)


def _erf64(xp, x):
    ax = xp.abs(x)

    def signed(f):                 # f(|v|) with v's sign
        def g(v):
            r = f(xp.abs(v))
            return xp.where(v < 0, -r, r)
        return g
    return _piecewise(xp, x, [
        (ax < 0.84375, lambda v: v + v * _erf_small(v)),
        ((ax >= 0.84375) & (ax < 1.25), signed(lambda t: _ERX + _erf_mid(t))),
        ((ax >= 1.25) & (ax < 6.0), signed(lambda t: 1.0 - _erf_tail(xp, t))),
        (ax >= 6.0, xp.sign),                    # +-1 (also at +-inf)
    ])


def _erfc64(xp, x):
    ax = xp.abs(x)

    def small(v):
        r = _erf_small(v)
        return xp.where(v < 0.25, 1.0 - (v + v * r), 0.5 - (v * r + (v - 0.5)))

    def mid(v):
        q = _erf_mid(xp.abs(v))
        return xp.where(v >= 0, (1.0 - _ERX) - q, 1.0 + (_ERX + q))

    def tail(v):
        t = _erf_tail(xp, xp.abs(v))
        return xp.where(v > 0, t, xp.where(v < -6.0, 2.0, 2.0 - t))
    return _piecewise(xp, x, [
        (ax < 0.84375, small),
        ((ax >= 0.84375) & (ax < 1.25), mid),
        ((ax >= 1.25) & (ax < 28.0), tail),
        (ax >= 28.0, lambda v: 1.0 - xp.sign(v)),     # 0 or 2
    ])


def erf(a):
    """The error function of a floating array."""
    xp, x = _as_float64(a)
    return _special_result(a, x, _erf64(xp, x))


def erfc(a):
    """1 - erf(a), accurate where erf(a) is close to 1."""
    xp, x = _as_float64(a)
    return _special_result(a, x, _erfc64(xp, x))


# erfinv: a rational first estimate (Pavlis's translation of MATLAB 2.0's erfinv, as torch's), then Newton
# steps: two on erf(x) = y for |y| <= 0.7, and three on erfc(|x|) = 1 - |y| beyond, where 1 - |y| is exact and
# erf's values near 1 would be too coarse (torch is accurate to 1 ulp up to |y| = 1 - 2^-53); nan outside
# [-1, 1], +-inf at +-1.
_ERFINV_A = (0.886226899, -1.645349621, 0.914624893, -0.140543331)
_ERFINV_B = (1.0, -2.118377725, 1.442710462, -0.329097515, 0.012229801)
_ERFINV_C = (-1.970840454, -1.624906493, 3.429567803, 1.641345311)
_ERFINV_D = (1.0, 3.543889200, 1.637067800)
_TWO_OVER_SQRT_PI = 1.1283791670955126      # 2 / sqrt(pi)


def erfinv(a):
    """The inverse of erf on [-1, 1]."""
    xp, y = _as_float64(a)
    ay = xp.abs(y)

    def newton(x, residual, steps):       # x - (erf(x) - y) / erf'(x)
        for _ in range(steps):
            x = x - residual(x) / (_TWO_OVER_SQRT_PI * xp.exp(-x * x))
        return x

    def central(v):
        z = v * v
        return newton(v * _poly(_ERFINV_A, z) / _poly(_ERFINV_B, z), lambda x: _erf64(xp, x) - v, 2)

    def outer(v):                  # on |v|: erfc(x) = 1 - |v|, exact here; the sign restored after
        av = xp.abs(v)
        q = 1.0 - av
        w = xp.sqrt(-xp.log(q / 2.0))
        x = newton(_poly(_ERFINV_C, w) / _poly(_ERFINV_D, w), lambda x: q - _erfc64(xp, x), 3)  # (far tail)
        return xp.where(v < 0, -x, x)
    x = _piecewise(xp, y, [(ay <= 0.7, central), ((ay > 0.7) & (ay < 1.0), outer),
                           (ay == 1.0, lambda v: v * _INF)])
    return _special_result(a, y, x)
