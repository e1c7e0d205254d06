"""Functions that create tensors: ``tensor``, ``zeros``, ``randn``, ``arange``, legacy ``FloatTensor``..."""
from __future__ import annotations

import math
import numbers

import numpy as np

from . import _backend, _dtype, _random
from ._tensor import Tensor, _check_float_for_grad, _new_shape, _shape_arg


def _finish(data, requires_grad):
    t = Tensor._make(data)
    if requires_grad:
        _check_float_for_grad(t.dtype, constructor=True)
        t._requires_grad = True
    return t


def _default_dtype_of(host: np.ndarray, from_python: bool) -> str:
    """torch's inference: Python floats -> default float dtype; NumPy arrays keep theirs."""
    kind = host.dtype.kind
    if from_python:
        if kind == "f":
            return _dtype.get_default_dtype().name
        if kind in "iu":
            return "int64"
        if kind == "b":
            return "bool"
    if host.dtype.name not in _backend._NAMES:
        raise TypeError(f"can't convert np.ndarray of type numpy.{host.dtype.name}. The only supported types are: "
                        "float64, float32, float16, int64, int32, int16, int8, uint8, and bool.")
    return host.dtype.name


def _to_host(data, dtype=None):
    """Python data (nested lists, scalars, tensors) as a NumPy array, and whether it came from Python."""
    if isinstance(data, Tensor):
        return _backend.to_numpy(data._data), False
    if isinstance(data, np.ndarray):
        return data, False
    if isinstance(data, np.generic):
        return np.asarray(data), False
    if isinstance(data, (list, tuple)):
        flat = _flatten_tensors(data)
        try:
            host = np.asarray(flat)
        except ValueError:              # ragged
            host = None
        if host is None or host.dtype.kind not in "biuf":     # ragged, str or None items: torch's error
            _check_data(data, dtype)
            raise ValueError("expected sequence of equal-length sequences of numbers")
        if any(isinstance(x, np.floating) for x in _iter_leaves(data)):
            return host, False
        return host, True
    if isinstance(data, numbers.Number):
        return np.asarray(data), True
    if isinstance(data, str):
        raise TypeError("new(): invalid data type 'str'")
    raise RuntimeError(f"Could not infer dtype of {type(data).__name__}")


def _check_data(data, dtype):
    """Raise torch's error for nested data NumPy cannot make a numeric array of, found as torch does: the
    shape from the first items, then every item's dtype, then every sequence's length against the shape."""
    sizes, seq = [], data
    while isinstance(seq, (list, tuple, str)):
        if len(sizes) == 32:            # ['a']: a str is a sequence of strs
            raise ValueError(f"too many dimensions '{type(seq).__name__}'")
        sizes.append(len(seq))
        if not seq:
            break
        seq = seq[0]

    def infer(x):
        if isinstance(x, (list, tuple)):
            for v in x:
                infer(v)
        elif isinstance(x, str):
            raise TypeError("new(): invalid data type 'str'")
        elif not isinstance(x, (numbers.Number, np.generic, Tensor)):
            raise RuntimeError(f"Could not infer dtype of {type(x).__name__}")
    infer(data)
    is_float = dtype.is_floating_point if dtype is not None else \
        any(isinstance(v, (float, np.floating)) for v in _iter_leaves(data))

    def store(x, dim):
        if dim == len(sizes):
            if isinstance(x, (list, tuple)):
                raise TypeError(f"must be real number, not {type(x).__name__}" if is_float else
                                f"'{type(x).__name__}' object cannot be interpreted as an integer")
            return
        if not isinstance(x, (list, tuple)):
            raise TypeError("not a sequence")
        if len(x) != sizes[dim]:
            raise ValueError(f"expected sequence of length {sizes[dim]} at dim {dim} (got {len(x)})")
        for v in x:
            store(v, dim + 1)
    store(data, 0)


def _iter_leaves(data):
    for x in data:
        if isinstance(x, (list, tuple)):
            yield from _iter_leaves(x)
        else:
            yield x


def _flatten_tensors(data):
    """Lists may hold 0-d tensors (``tensor([t1, t2])``): replace them with their values."""
    return [(_flatten_tensors(x) if isinstance(x, (list, tuple)) else
             x.item() if isinstance(x, Tensor) else x) for x in data]


def tensor(data, dtype=None, device=None, requires_grad=False, pin_memory=False):
    """A new tensor holding a copy of ``data``; dtype inferred as torch does (Python floats -> float32)."""
    host, from_python = _to_host(data, dtype)
    name = dtype.name if dtype is not None else _default_dtype_of(host, from_python)
    dev = _backend.as_device(device if device is not None else _default_device)
    return _finish(_backend.asarray(host, dev, name, copy=True), requires_grad)


def as_tensor(data, dtype=None, device=None):
    """Like ``tensor`` but shares memory with a NumPy array or tensor when it can."""
    if isinstance(data, Tensor):
        return data.to(device=device, dtype=dtype) if (device or dtype) else data
    host, from_python = _to_host(data)
    name = dtype.name if dtype is not None else _default_dtype_of(host, from_python)
    return Tensor._make(_backend.asarray(host, _backend.as_device(device), name))


def from_numpy(array: np.ndarray):
    """A tensor sharing memory with ``array``."""
    if not isinstance(array, np.ndarray):
        raise TypeError(f"expected np.ndarray (got {type(array).__name__})")
    _default_dtype_of(array, False)
    return Tensor._make(array)


def _resolve(dtype, device):
    dev = _backend.as_device(device if device is not None else _default_device)
    return (dtype or _dtype.get_default_dtype()).name, dev


def _filled(size, value, dtype, device, requires_grad):
    name, dev = _resolve(dtype, device)
    xp = _backend.namespace_for(dev)
    shape = _new_shape(size)
    data = xp.full(shape, value, dtype=_backend.backend_dtype(xp, name),
                   device=_backend._native_device(xp, dev)) if xp is not np else \
        np.full(shape, value, dtype=name)
    return _finish(data, requires_grad)


def zeros(*size, dtype=None, device=None, requires_grad=False, out=None):
    if min(_shape_arg(size), default=0) < 0:       # zeros has its own message
        raise RuntimeError("zeros: Dimension size must be non-negative.")
    return _filled(size, 0, dtype, device, requires_grad)


def ones(*size, dtype=None, device=None, requires_grad=False, out=None):
    return _filled(size, 1, dtype, device, requires_grad)


def empty(*size, dtype=None, device=None, requires_grad=False, out=None, memory_format=None):
    return _filled(size, 0, dtype, device, requires_grad)


def full(size, fill_value, dtype=None, device=None, requires_grad=False):
    if not isinstance(fill_value, (numbers.Number, np.generic, Tensor)):
        raise TypeError(f"full(): argument 'fill_value' (position 2) must be Number, not {type(fill_value).__name__}")
    if dtype is None:
        dtype = _dtype.python_scalar_dtype(fill_value)
    return _filled((size,) if isinstance(size, int) else size, fill_value, dtype, device, requires_grad)


def _like(t, dtype, device):
    return dtype or t.dtype, device or t.device


def zeros_like(input, dtype=None, device=None, requires_grad=False, memory_format=None):
    return zeros(input.shape, dtype=dtype or input.dtype, device=device or input.device, requires_grad=requires_grad)


def ones_like(input, dtype=None, device=None, requires_grad=False, memory_format=None):
    return ones(input.shape, dtype=dtype or input.dtype, device=device or input.device, requires_grad=requires_grad)


def empty_like(input, dtype=None, device=None, requires_grad=False, memory_format=None):
    return zeros_like(input, dtype, device, requires_grad)


def full_like(input, fill_value, dtype=None, device=None, requires_grad=False, memory_format=None):
    return full(input.shape, fill_value, dtype=dtype or input.dtype, device=device or input.device,
                requires_grad=requires_grad)


def rand(*size, generator=None, dtype=None, device=None, requires_grad=False):
    name, dev = _resolve(dtype, device)
    return _finish(_random.uniform_array(_new_shape(size), 0.0, 1.0, _dtype.from_name(name), dev, generator),
                   requires_grad)


def randn(*size, generator=None, dtype=None, device=None, requires_grad=False):
    name, dev = _resolve(dtype, device)
    return _finish(_random.normal_array(_new_shape(size), 0.0, 1.0, _dtype.from_name(name), dev, generator),
                   requires_grad)


def randint(low=0, high=None, size=None, *, generator=None, dtype=None, device=None, requires_grad=False):
    if high is None:
        low, high = 0, low
    elif size is None and isinstance(high, (tuple, list)):     # randint(high, size)
        low, high, size = 0, low, high
    if size is None:
        raise TypeError("randint() missing required argument 'size'")
    dev = _backend.as_device(device if device is not None else _default_device)
    shape = _new_shape((size,))
    if low >= high:
        raise RuntimeError(f"random_ expects 'from' to be less than 'to', but got from={low} >= to={high}")
    return _finish(_random.integers_array(shape, low, high, dtype or _dtype.int64, dev, generator),
                   requires_grad)


def rand_like(input, dtype=None, device=None, requires_grad=False):
    return rand(input.shape, dtype=dtype or input.dtype, device=device or input.device, requires_grad=requires_grad)


def randn_like(input, dtype=None, device=None, requires_grad=False):
    return randn(input.shape, dtype=dtype or input.dtype, device=device or input.device, requires_grad=requires_grad)


def randint_like(input, low=0, high=None, dtype=None, device=None, requires_grad=False):
    return randint(low, high, input.shape, dtype=dtype or input.dtype, device=device or input.device)


def randperm(n, generator=None, dtype=None, device=None):
    _new_shape((n,))
    dev = _backend.as_device(device if device is not None else _default_device)
    perm = _random.permutation(n, generator).astype((dtype or _dtype.int64).name)
    return Tensor._make(_backend.asarray(perm, dev))


def arange(start, end=None, step=1, dtype=None, device=None, requires_grad=False):
    if end is None:
        start, end = 0, start
    values = [v.item() if isinstance(v, Tensor) else v for v in (start, end, step)]
    if dtype is None:
        is_float = any(isinstance(v, float) for v in values)
        dtype = _dtype.get_default_dtype() if is_float else _dtype.int64
    if values[2] == 0:
        raise RuntimeError("step must be nonzero")
    if not (math.isfinite(values[0]) and math.isfinite(values[1])):
        raise RuntimeError(f"unsupported range: {values[0]:g} -> {values[1]:g}")
    if not ((values[2] > 0 and values[1] >= values[0]) or (values[2] < 0 and values[1] <= values[0])):
        raise RuntimeError("upper bound and lower bound inconsistent with step sign")
    host = np.arange(*values, dtype=np.float64 if dtype.is_floating_point else np.int64)
    return _finish(_backend.asarray(host, _backend.as_device(device), dtype.name), requires_grad)


def linspace(start, end, steps, dtype=None, device=None, requires_grad=False):
    if steps < 0:
        raise RuntimeError("number of steps must be non-negative")
    host = np.linspace(start, end, steps)
    name, dev = _resolve(dtype, device)
    return _finish(_backend.asarray(host, dev, name), requires_grad)


def eye(n, m=None, dtype=None, device=None, requires_grad=False):
    for arg, k in (("n", n), ("m", m)):
        if k is not None and k < 0:
            raise RuntimeError(f"{arg} must be greater or equal to 0, got {k}")
    name, dev = _resolve(dtype, device)
    return _finish(_backend.asarray(np.eye(n, m if m is not None else n), dev, name), requires_grad)


# ----------------------------------------------------- legacy constructors --

def _legacy(dtype, device=None):
    def construct(*args):
        if len(args) == 1 and not isinstance(args[0], int):
            data = args[0]
            host = _backend.to_numpy(data._data) if isinstance(data, Tensor) else np.asarray(data)
            return Tensor._make(_backend.asarray(host, _backend.as_device(device), dtype.name, copy=True))
        return zeros(*args, dtype=dtype, device=device)
    construct.__name__ = {"float32": "FloatTensor", "float64": "DoubleTensor", "int64": "LongTensor",
                          "int32": "IntTensor", "uint8": "ByteTensor", "bool": "BoolTensor"}[dtype.name]
    construct.dtype = dtype
    construct.is_cuda = device == "cuda"
    return construct


FloatTensor = _legacy(_dtype.float32)
DoubleTensor = _legacy(_dtype.float64)
LongTensor = _legacy(_dtype.int64)
IntTensor = _legacy(_dtype.int32)
ByteTensor = _legacy(_dtype.uint8)
BoolTensor = _legacy(_dtype.bool_)


# --------------------------------------------------------- default device --

_default_device = None


def set_default_device(device):
    """Device used by factories when none is given (the GAN book puts everything on CUDA this way)."""
    global _default_device
    _default_device = None if device is None else _backend.as_device(device)


def get_default_device():
    return _backend.as_device(_default_device)


def set_default_tensor_type(t):
    """Legacy: ``set_default_tensor_type(torch.cuda.FloatTensor)`` -> default device cuda, float32."""
    set_default_device("cuda" if getattr(t, "is_cuda", False) else "cpu")
    _dtype.set_default_dtype(t.dtype)
