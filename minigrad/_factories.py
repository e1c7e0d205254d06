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
    return _finish(_python_layout(_backend.asarray(host, dev, name, copy=True), from_python), requires_grad)


def _python_layout(a, from_python):
    """torch lays out a tensor made from Python data contiguously, also an empty one (where NumPy's strides
    are all zero; from a NumPy array, torch keeps those)."""
    if from_python and not a.size and type(a) in _backend._STRIDED:
        return _backend.laid_out(a, _backend.c_strides(a.shape))
    return a


def as_tensor(data, dtype=None, device=None):
    """Like ``tensor`` but shares memory with a NumPy array or tensor when it can."""
    if isinstance(data, Tensor):
        return data.to(device=device, dtype=dtype) if (device or dtype) else data
    host, from_python = _to_host(data)
    name = dtype.name if dtype is not None else _default_dtype_of(host, from_python)
    return Tensor._make(_python_layout(_backend.asarray(host, _backend.as_device(device), name), from_python))


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


def _like(out, input):
    """torch's *_like keep a dense input's layout (memory_format=torch.preserve_format)."""
    if out.device == input.device:
        out._data = _backend.preserve(out._data, input._data)      # (a fresh tensor: nothing else holds it)
    return out


def zeros_like(input, dtype=None, device=None, requires_grad=False, memory_format=None):
    return _like(zeros(input.shape, dtype=dtype or input.dtype, device=device or input.device,
                       requires_grad=requires_grad), input)


def ones_like(input, dtype=None, device=None, requires_grad=False, memory_format=None):
    return _like(ones(input.shape, dtype=dtype or input.dtype, device=device or input.device,
                      requires_grad=requires_grad), input)


def empty_like(input, dtype=None, device=None, requires_grad=False, memory_format=None):
    return zeros_like(input, dtype, device, requires_grad)


def full_like(input, fill_value, dtype=None, device=None, requires_grad=False, memory_format=None):
    return _like(full(input.shape, fill_value, dtype=dtype or input.dtype, device=device or input.device,
                      requires_grad=requires_grad), input)


# ------------------------------------------------------------------- random --
# Each makes an empty tensor and fills it the way torch does (``empty(size).uniform_()`` ...), so the draws
# come from torch's CPU stream in torch's order: see _random.py.

def _empty_for(size, dtype, device):
    """A tensor to draw into; its memory is only allocated (host side) for the dtype and shape checks."""
    name, dev = _resolve(dtype, device)
    return Tensor._make(np.empty(_new_shape(size), name) if dev.type == "cpu" else
                        _backend.asarray(np.empty(_new_shape(size), name), dev))


def _random_result(t, requires_grad):
    if requires_grad:
        _check_float_for_grad(t.dtype, constructor=True)
        t._requires_grad = True
    return t


def rand(*size, generator=None, out=None, dtype=None, layout=None, device=None, requires_grad=False,
         pin_memory=False):
    t = _random.uniform_(_empty_for(size, dtype, device), 0.0, 1.0, generator, fresh=True)
    return _random_result(t, requires_grad)


def randn(*size, generator=None, out=None, dtype=None, layout=None, device=None, requires_grad=False,
          pin_memory=False):
    t = _random.normal_(_empty_for(size, dtype, device), 0.0, 1.0, generator, fresh=True)
    return _random_result(t, requires_grad)


def randint(low=0, high=None, size=None, *, generator=None, out=None, dtype=None, layout=None, device=None,
            requires_grad=False):
    single = high is None or (size is None and isinstance(high, (tuple, list)))
    if high is None:
        low, high = 0, low
    elif size is None and isinstance(high, (tuple, list)):     # randint(high, size)
        low, high, size = 0, low, high
    if size is None:
        raise TypeError("randint() missing required argument 'size'")
    if single and (isinstance(high, bool) or not isinstance(high, numbers.Integral)):
        raise TypeError(f"randint(): argument 'high' (position 1) must be int, not {type(high).__name__}")
    if any(isinstance(v, bool) or not isinstance(v, numbers.Integral) for v in (low, high)):
        raise TypeError(f"randint() received an invalid combination of arguments - got ({type(low).__name__}, "
                        f"{type(high).__name__}, {type(size).__name__}), but expected one of:\n * (int high, tuple "
                        "of ints size)\n * (int low, int high, tuple of ints size)")
    t = _empty_for((size,), dtype or _dtype.int64, device)
    t = _random.random_(t, int(low), int(high), generator=generator, fresh=True)
    return _random_result(t, requires_grad)


def rand_like(input, *, generator=None, dtype=None, layout=None, device=None, requires_grad=False,
              memory_format=None):
    return rand(input.shape, generator=generator, dtype=dtype or input.dtype, device=device or input.device,
                requires_grad=requires_grad)


def randn_like(input, *, generator=None, dtype=None, layout=None, device=None, requires_grad=False,
               memory_format=None):
    return randn(input.shape, generator=generator, dtype=dtype or input.dtype, device=device or input.device,
                 requires_grad=requires_grad)


def randint_like(input, low=0, high=None, *, generator=None, dtype=None, layout=None, device=None,
                 requires_grad=False, memory_format=None):
    return randint(low, high, input.shape, generator=generator, dtype=dtype or input.dtype,
                   device=device or input.device, requires_grad=requires_grad)


def randperm(n, *, generator=None, out=None, dtype=None, layout=None, device=None, requires_grad=False,
             pin_memory=False):
    """A random permutation of ``0 .. n - 1``: torch's Fisher-Yates shuffle on its CPU stream."""
    if isinstance(n, bool) or not isinstance(n, numbers.Integral):
        raise TypeError(f"randperm(): argument 'n' (position 1) must be int, not {type(n).__name__}")
    n = int(n)
    if n < 0:
        raise RuntimeError(f"Trying to create tensor with negative dimension {n}: [{n}]")
    dtype = dtype or _dtype.int64
    if dtype is _dtype.bool_:
        raise NotImplementedError('"randperm" not implemented for \'Bool\'')
    limit = {"float16": 2 ** 11 + 1, "float32": 2 ** 24 + 1, "float64": 2 ** 53 + 1}.get(dtype.name)
    if limit is not None and n > limit:
        raise RuntimeError(f"n cannot be greater than 2^{limit.bit_length() - 1}+1 for "
                           f"{_random._dtype_title(dtype)} type.")
    if dtype.name in _random._INT_RANGE and n - 1 > _random._INT_RANGE[dtype.name][1]:
        raise RuntimeError(f"value cannot be converted to type {_random._CPP_INT_NAME[dtype.name]} without "
                           "overflow")
    gen = _random._gen(generator, device if device is not None else _default_device)
    perm = _random.randperm(gen, n).astype(dtype.name)
    dev = _backend.as_device(device if device is not None else _default_device)
    return _random_result(Tensor._make(_backend.asarray(perm, dev)), requires_grad)


def normal(mean, std=1.0, size=None, *, generator=None, out=None, dtype=None, layout=None, device=None,
           pin_memory=False, requires_grad=False):
    """``normal(mean, std)`` with tensors or numbers (torch: a standard normal, then ``* std + mean``), or
    ``normal(mean, std, size)`` with numbers (``empty(size).normal_(mean, std)``)."""
    mt, st = isinstance(mean, Tensor), isinstance(std, Tensor)
    if not mt and not st:
        if not isinstance(size, (tuple, list)):
            got = ", ".join(type(a).__name__ for a in (mean, std) + (() if size is None else (size,)))
            raise TypeError(f"normal() received an invalid combination of arguments - got ({got}), but expected "
                            "one of:\n * (Tensor mean, Tensor std)\n * (Tensor mean, float std)\n"
                            " * (float mean, Tensor std)\n * (float mean, float std, tuple of ints size)")
        if not std >= 0.0:
            raise RuntimeError(f"normal expects std >= 0.0, but found std {std:g}")
        t = _random.normal_(_empty_for((size,), dtype, device), mean, std, generator, fresh=True)
        return _random_result(t, requires_grad)
    from .autograd.grad_mode import no_grad
    with no_grad():
        if st and std.numel() and not bool((std >= 0).all()):
            raise RuntimeError("normal expects all elements of std >= 0.0")
        if not st and not std >= 0.0:
            raise RuntimeError(f"normal expects std >= 0.0, but found std {std:g}")
        like = mean if mt else std
        if mt and st:
            try:
                shape = tuple(np.broadcast_shapes(tuple(mean.shape), tuple(std.shape)))
            except ValueError:
                mean.detach() + std.detach()          # raises torch's "The size of tensor a ..." error
                raise
        else:
            shape = tuple(like.shape)
        out_t = Tensor._make(_backend.asarray(np.empty(shape, like.dtype.name), like.device))
        if mt and not st:                             # torch: normal(0, std) then + mean
            return _random.normal_(out_t, 0.0, std, generator).add_(mean)
        _random.normal_(out_t, 0.0, 1.0, generator)
        if not mt:                                    # torch adds mean as a 0-d tensor of the output's dtype
            return out_t.mul_(std).add_(full((), mean, dtype=out_t.dtype, device=out_t.device))
        return out_t.mul_(std).add_(mean)


def bernoulli(input, p=None, *, generator=None, out=None):
    """0/1 draws with probabilities ``input`` (or the number ``p``), in input's dtype."""
    if p is not None:
        p = _random.bernoulli_p(p, "bernoulli", (input, p), [
            ("Tensor input, *, minigrad.Generator generator = None, Tensor out = None", []),
            ("Tensor input, float p, *, minigrad.Generator generator = None", ["Tensor", "Number"])])
    return _random.bernoulli_of(input, p, generator)


def multinomial(input, num_samples, replacement=False, *, generator=None, out=None, _first=2):
    """Indices drawn from the rows of ``input`` (weights), as torch's CPU kernel draws them.  (``_first``: the
    position torch's errors give ``num_samples``: 1 for the method ``input.multinomial``.)"""
    if isinstance(num_samples, Tensor) and num_samples.ndim == 0 and not num_samples.dtype.is_floating_point \
            and num_samples.dtype is not _dtype.bool_:
        num_samples = num_samples.item()         # torch takes a 0-d integer tensor for an int
    if isinstance(num_samples, bool) or not isinstance(num_samples, numbers.Integral):
        raise TypeError(f"multinomial(): argument 'num_samples' (position {_first}) must be int, not "
                        f"{Tensor._type_name(num_samples)}")
    if not isinstance(replacement, bool):
        raise TypeError(f"multinomial(): argument 'replacement' (position {_first + 1}) must be bool, not "
                        f"{Tensor._type_name(replacement)}")
    if not 0 < input.ndim <= 2:
        raise RuntimeError("prob_dist must be 1 or 2 dim")
    if not input.dtype.is_floating_point:
        raise RuntimeError(f"multinomial only supports floating-point dtypes for input, got: "
                           f"{_random._dtype_title(input.dtype)}")
    if num_samples <= 0:
        raise RuntimeError("cannot sample n_sample <= 0 samples")
    cats = input.shape[-1]
    if not replacement and num_samples > cats:
        raise RuntimeError("cannot sample n_sample > prob_dist.size(-1) samples without replacement")
    if cats > 2 ** 24:
        raise RuntimeError("number of categories cannot exceed 2^24")
    host = _backend.to_numpy(input._data)
    probs = host.reshape(-1, cats) if input.ndim == 2 else host.reshape(1, cats)
    with np.errstate(invalid="ignore"):
        if not replacement or num_samples == 1:
            if probs.size and not (np.max(probs) < np.inf and np.min(probs) >= 0):
                raise RuntimeError("probability tensor contains either `inf`, `nan` or element < 0")
            if (probs.sum(axis=1) == 0).any():
                raise RuntimeError("invalid multinomial distribution (sum of probabilities <= 0)")
        else:
            if not (probs >= 0).all():
                raise RuntimeError("invalid multinomial distribution (encountering probability entry < 0)")
            if not np.isfinite(probs).all():
                raise RuntimeError("invalid multinomial distribution (encountering probability entry = infinity "
                                   "or NaN)")
    gen = _random._gen(generator, input.device)
    if not replacement or num_samples == 1:
        # torch draws the exponentials into empty_like(input): input's memory order when it is dense
        data = input._data
        perm = _random._order(data) if _random._dense(data) else None
        q = _random._arrange(_random.exponential(gen, probs.size, 1.0).astype(probs.dtype), tuple(input.shape),
                             perm).reshape(probs.shape)
        idx = _random.multinomial_from_exponentials(probs, q, num_samples)
    else:
        idx = _random.multinomial(gen, probs, num_samples, replacement)
    idx = idx.reshape((num_samples,) if input.ndim == 1 else (probs.shape[0], num_samples))
    return Tensor._make(_backend.asarray(idx, input.device))


def poisson(input, generator=None):
    """Poisson draws with rates ``input`` (torch's CPU sampler, in input's dtype)."""
    host = _backend.to_numpy(input._data).astype(np.float64)
    if host.size and not (host >= 0).all():
        raise RuntimeError("invalid Poisson rate, expected rate to be non-negative")
    gen = _random._gen(generator, input.device)
    values = _random.poisson(gen, np.ascontiguousarray(host))
    return Tensor._make(_backend.asarray(values.reshape(host.shape).astype(input.dtype.name), input.device))


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
