"""Every array-library-specific line of minigrad lives in this module.

minigrad's ops are written once against the Python array API: ``xp.exp``,
``xp.sum(x, axis=..., keepdims=...)``, ``xp.matmul`` ... where ``xp`` is the
namespace of the arrays at hand.  This module decides which namespace a device
uses and supplies the few things the array API lacks (scatter-add, moving
arrays between libraries).

Devices:

- ``cpu``    -> NumPy
- ``cuda``   -> CuPy (imported lazily; ``cuda.is_available()`` says whether it works)
- ``strict`` -> ``array_api_strict`` on its non-default device ``device1``.  A
  test-only device: it accepts nothing outside the array API standard, so the
  parity suite run on it catches NumPy-only calls and device mixing, which are
  exactly the things that would break on CuPy.
"""
from __future__ import annotations

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


def matrix_transpose(a):
    """xp.matrix_transpose; a NumPy matrix's ``.T`` directly (np.matrix_transpose is Python-level code
    that costs ~1.5 us a call, and a training step makes a dozen of them)."""
    return a.T if type(a) is np.ndarray and a.ndim == 2 else array_namespace(a).matrix_transpose(a)


def permute_dims(a, dims):
    """xp.permute_dims; a NumPy array's own ``transpose`` method (np.permute_dims adds a Python wrapper)."""
    return a.transpose(dims) if type(a) is np.ndarray else array_namespace(a).permute_dims(a, dims)


def add_into(out, c):
    """``out + c`` for a fresh ``out`` that ``c`` broadcasts to: NumPy adds in place (no second array)."""
    if type(out) is np.ndarray and type(c) is np.ndarray and c.dtype == out.dtype and c.ndim <= out.ndim:
        return np.add(out, c, out=out)
    return c + out


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
    """Row-major without gaps (NumPy/CuPy strides); the array API has no strides: always True there."""
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


def reshapes_without_copy(a, shape) -> bool:
    """Whether ``a`` can be viewed with ``shape`` (torch's ``view`` rule)."""
    if is_contiguous(a) or not hasattr(a, "strides"):
        return True
    try:
        a.reshape(shape, copy=False)
        return True
    except ValueError:
        return False


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
