"""minigrad: reverse-mode automatic differentiation with PyTorch's API, on NumPy.

``import minigrad as torch`` runs tensor/autograd/nn code written for PyTorch.
Read in this order: _backend, _dtype, autograd/{grad_mode,function,engine},
_ops, _tensor, _factories, nn, optim, utils.data.
"""
from __future__ import annotations

import warnings as _warnings

# torch computes log(0) = -inf, x/0 = inf silently; NumPy would warn from inside minigrad's ops.
_warnings.filterwarnings("ignore", category=RuntimeWarning, module=r"minigrad\.")

from . import _dtype
from ._backend import device
from ._dtype import (bool_ as bool, dtype, float16, float32, float64, get_default_dtype, int8, int16, int32,
                     int64, set_default_dtype, uint8)
from ._dtype import ALIASES as _ALIASES
from ._tensor import Size, Tensor, bmm, cat, concat, concatenate, matmul, maximum, minimum, mm, stack, where
from ._factories import (BoolTensor, ByteTensor, DoubleTensor, FloatTensor, IntTensor, LongTensor, arange,
                         as_tensor, bernoulli, empty, empty_like, eye, from_numpy, full, full_like,
                         get_default_device, linspace, multinomial, normal, ones, ones_like, poisson, rand,
                         rand_like, randint, randint_like, randn, randn_like, randperm, set_default_device,
                         set_default_tensor_type, tensor, zeros, zeros_like)
from ._random import Generator, default_generator
from .random import get_rng_state, initial_seed, manual_seed, seed, set_rng_state
from . import random
from .autograd.grad_mode import enable_grad, inference_mode, is_grad_enabled, no_grad, set_grad_enabled
from . import autograd, cuda, nn, optim, utils
from .autograd.anomaly_mode import is_anomaly_check_nan_enabled, is_anomaly_enabled
from .serialization import load, save

float, double, half, long, int, short = (_ALIASES[k] for k in ("float", "double", "half", "long", "int", "short"))


def _method_as_function(name):
    """``minigrad.exp(x)`` is ``x.exp()``: the functional forms share the method's code."""
    method = getattr(Tensor, name)

    def function(input, *args, **kwargs):
        if not isinstance(input, Tensor):     # torch's argument parser, not an AttributeError from inside
            raise TypeError(f"{name}(): argument 'input' (position 1) must be Tensor, not {type(input).__name__}")
        return method(input, *args, **kwargs)
    function.__name__ = name
    function.__doc__ = f"``minigrad.{name}(input, ...)`` is ``input.{name}(...)``."
    return function


_FUNCTIONS = ("add sub mul div pow neg exp log sqrt rsqrt abs sigmoid tanh relu clamp clip square sign floor ceil "
              "round sum mean prod var std norm max min amax amin argmax argmin all any eq ne lt le gt ge equal "
              "allclose isnan isinf isfinite reshape flatten unflatten unsqueeze squeeze transpose swapaxes t "
              "permute clone detach numel reciprocal logical_not chunk split index_select gather masked_fill "
              "softmax log_softmax dot multiply subtract divide true_divide negative absolute").split()
for _name in _FUNCTIONS:
    globals()[_name] = _method_as_function(_name)
greater, less, greater_equal, less_equal, not_equal = gt, lt, ge, le, ne  # noqa: F821


def is_tensor(obj) -> bool:
    return isinstance(obj, Tensor)


def is_floating_point(input) -> bool:
    return input.dtype.is_floating_point


def result_type(a, b):
    return _dtype.result_type(a, b)


def promote_types(a, b):
    return _dtype.promote_types(a, b)


def set_num_threads(n):
    """Accepted for compatibility: NumPy's BLAS threads are set by OMP_NUM_THREADS/threadpoolctl."""


def get_num_threads():
    return 1


__version__ = "0.1.0"

__all__ = ["Tensor", "Size", "dtype", "device", "tensor", "as_tensor", "from_numpy", "zeros", "ones", "full",
           "empty", "arange", "linspace", "eye", "rand", "randn", "randint", "randperm", "zeros_like",
           "ones_like", "full_like", "empty_like", "rand_like", "randn_like", "randint_like", "FloatTensor",
           "DoubleTensor", "LongTensor", "IntTensor", "ByteTensor", "BoolTensor", "manual_seed", "seed",
           "initial_seed", "get_rng_state", "set_rng_state", "default_generator", "random", "normal", "bernoulli",
           "multinomial", "poisson", "Generator", "float", "float32", "double", "float64", "half", "float16", "long",
           "int64", "int",
           "int32", "short", "int16", "int8", "uint8", "bool", "get_default_dtype", "set_default_dtype",
           "set_default_device", "get_default_device", "set_default_tensor_type", "no_grad", "enable_grad",
           "set_grad_enabled", "is_grad_enabled", "inference_mode", "cat", "concat", "concatenate", "stack",
           "where", "maximum", "minimum", "matmul", "mm", "bmm", "is_tensor", "is_floating_point",
           "result_type", "promote_types", "greater", "less", "greater_equal", "less_equal", "not_equal",
           "set_num_threads", "get_num_threads", "autograd", "cuda", "nn", "optim", "utils", "save", "load", *_FUNCTIONS]
