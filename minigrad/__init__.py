"""minigrad: reverse-mode automatic differentiation with PyTorch's API, on NumPy.

``import minigrad as torch`` runs tensor/autograd/nn code written for PyTorch.
Read in this order: _backend, _dtype, autograd/{grad_mode,function,engine},
_ops, _tensor, _factories, nn, optim, utils.data.
"""
from __future__ import annotations

import builtins as _builtins
import warnings as _warnings

# torch computes log(0) = -inf, x/0 = inf silently; NumPy would warn from inside minigrad's ops.
_warnings.filterwarnings("ignore", category=RuntimeWarning, module=r"minigrad\.")

from . import _dtype
from ._backend import device
from ._dtype import (bool_ as bool, dtype, float16, float32, float64, get_default_dtype, int8, int16, int32,
                     int64, set_default_dtype, uint8)
from ._dtype import ALIASES as _ALIASES
from ._tensor import Size, Tensor, bmm, cat, concat, concatenate, matmul, maximum, minimum, mm, stack, where
from ._tensor import _SCALAR_NAMES, _SCALAR_TYPES as _NUMBERS
from . import _tensor as _tensor_module     # (int, float and bool are dtypes in here)
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


# ======================================================== elementwise math ==
# minigrad.X(input, ..., *, out=None) for torch's pointwise math: the Tensor methods of the same names, with
# torch's argument errors for the function forms, and out= (written in place, torch's checks).

def _with_out(name, compute, out, tensors):
    """``compute()``; with ``out=``: torch's refusal under autograd, then the result stored into ``out`` (cast to
    its dtype where torch casts)."""
    if out is None:
        return compute()
    if not isinstance(out, Tensor):
        raise TypeError(f"{name}(): argument 'out' must be Tensor, not {Tensor._type_name(out)}")
    if is_grad_enabled() and _builtins.any(isinstance(t, Tensor) and t.requires_grad for t in (*tensors, out)):
        raise RuntimeError(f"{name}(): functions with out=... arguments don't support automatic differentiation, "
                           "but one of the arguments requires grad.")
    with no_grad():
        result = compute()
    if out.dtype is not result.dtype and name in _SAME_DTYPE_OUT:
        a, b = (_SCALAR_NAMES[t.dtype.name] for t in (out, result))
        raise RuntimeError(f"nan_to_num: dtype of out: {a} should be same as input: {b}" if name == "nan_to_num"
                           else f"Found dtype {a} but expected {b}")
    return out._assign_out(result)


_SAME_DTYPE_OUT = {"trunc", "frac", "sgn", "nan_to_num"}     # their out= is never cast


def _check_tensor(name, x, arg, position):
    if not isinstance(x, Tensor):
        raise TypeError(f"{name}(): argument '{arg}' (position {position}) must be Tensor, not "
                        f"{Tensor._type_name(x)}")


def _unary_math(name):
    method = getattr(Tensor, name)

    def function(input, *, out=None):
        _check_tensor(name, input, "input", 1)
        return _with_out(name, lambda: method(input), out, (input,))
    function.__name__ = name
    function.__doc__ = f"``minigrad.{name}(input, *, out=None)``: ``input.{name}()``."
    return function


def _binary_math(name):
    """(Tensor input, Tensor other, *, Tensor out = None)."""
    method = getattr(Tensor, name)

    def function(input, other, *, out=None):
        _check_tensor(name, input, "input", 1)
        _check_tensor(name, other, "other", 2)
        return _with_out(name, lambda: method(input, other), out, (input, other))
    function.__name__ = name
    function.__doc__ = f"``minigrad.{name}(input, other, *, out=None)``: ``input.{name}(other)``."
    return function


_T_T = ("Tensor input, Tensor other, *, Tensor out = None", ["Tensor"] * 3)
_T_N = ("Tensor input, Number other, *, Tensor out = None", ["Tensor", "Number", "Tensor"])


def _tensor_or_number_math(name, number_self=None):
    """(Tensor input, Tensor or Number other, *, Tensor out = None); ``number_self`` "out" or "no out": there
    is a (Number self, Tensor other) overload too (``Tensor._<name>_number_self``), with out= or without."""
    method = getattr(Tensor, name)
    signatures = [_T_T, _T_N]
    if number_self is not None:
        with_out = number_self == "out"
        text = "Number self, Tensor other" + (", *, Tensor out = None" if with_out else "")
        signatures.insert(1, (text, ["Number", "Tensor"] + ["Tensor"] * with_out))

    def function(input, other, *, out=None):
        if isinstance(input, Tensor) and isinstance(other, (Tensor, *_NUMBERS)):
            return _with_out(name, lambda: method(input, other), out, (input, other))
        if number_self is not None and isinstance(input, _NUMBERS) and isinstance(other, Tensor) and \
                (out is None or with_out):
            return _with_out(name, lambda: getattr(Tensor, f"_{name}_number_self")(input, other), out, (other,))
        raise Tensor._invalid_arguments(name, (input, other), signatures, {"out": out})
    function.__name__ = name
    function.__doc__ = f"``minigrad.{name}(input, other, *, out=None)``: ``input.{name}(other)``."
    return function


_UNARY_MATH = ("sin cos tan asin acos atan sinh cosh asinh acosh atanh log2 log10 log1p expm1 exp2 erf erfc erfinv "
               "trunc frac sgn deg2rad rad2deg").split()
for _name in _UNARY_MATH:
    globals()[_name] = _unary_math(_name)
atan2, hypot = _binary_math("atan2"), _binary_math("hypot")
fmod, copysign = _tensor_or_number_math("fmod"), _tensor_or_number_math("copysign")
xlogy = _tensor_or_number_math("xlogy", number_self="out")
remainder = _tensor_or_number_math("remainder", number_self="no out")


def logit(input, eps=None, *, out=None):
    _check_tensor("logit", input, "input", 1)
    if eps is not None:
        eps = Tensor._float_arg("logit", "eps", eps, 2)
    return _with_out("logit", lambda: input.logit(eps), out, (input,))


def nan_to_num(input, nan=0.0, posinf=None, neginf=None, *, out=None):
    _check_tensor("nan_to_num", input, "input", 1)
    return _with_out("nan_to_num", lambda: input.nan_to_num(nan, posinf, neginf), out, (input,))


def lerp(input, end, weight, *, out=None):
    if not (isinstance(input, Tensor) and isinstance(end, Tensor) and isinstance(weight, (Tensor, *_NUMBERS))):
        raise Tensor._invalid_arguments("lerp", (input, end, weight), [
            ("Tensor input, Tensor end, Tensor weight, *, Tensor out = None", ["Tensor"] * 4),
            ("Tensor input, Tensor end, Number weight, *, Tensor out = None",
             ["Tensor", "Tensor", "Number", "Tensor"])], {"out": out})
    return _with_out("lerp", lambda: input.lerp(end, weight), out, (input, end, weight))


def _addc_function(name):
    def function(input, tensor1, tensor2, *rest, value=Tensor._UNSET, out=None):
        _check_tensor(name, input, "input", 1)
        if rest and value is not Tensor._UNSET:     # the deprecated (input, value, tensor1, tensor2) with value=
            if out is None:
                raise TypeError(f"{name}() takes 3 positional arguments but {3 + len(rest)} were given")
            raise TypeError(f"{name}() received an invalid combination of arguments - got unrecognized keyword "
                            "arguments: out, value")
        tensor1, tensor2, value = Tensor._deprecated_addc(name, tensor1, tensor2, rest, value, (
            "Tensor input, Number value, Tensor tensor1, Tensor tensor2, *, Tensor out = None",
            "Tensor input, Tensor tensor1, Tensor tensor2, *, Number value = 1, Tensor out = None"))
        _check_tensor(name, tensor1, "tensor1", 2)
        _check_tensor(name, tensor2, "tensor2", 3)
        return _with_out(name, lambda: getattr(input, name)(tensor1, tensor2, value=value), out,
                         (input, tensor1, tensor2))
    function.__name__ = name
    function.__doc__ = f"``minigrad.{name}(input, tensor1, tensor2, *, value=1, out=None)``."
    return function


addcmul, addcdiv = _addc_function("addcmul"), _addc_function("addcdiv")


def isclose(input, other, rtol=1e-05, atol=1e-08, equal_nan=False):
    _check_tensor("isclose", input, "input", 1)
    _check_tensor("isclose", other, "other", 2)
    return input.isclose(other, rtol, atol, equal_nan)


def allclose(input, other, rtol=1e-05, atol=1e-08, equal_nan=False):
    _check_tensor("allclose", input, "input", 1)
    _check_tensor("allclose", other, "other", 2)
    return input.allclose(other, rtol, atol, equal_nan)


_MATH_FUNCTIONS = _UNARY_MATH + ["atan2", "hypot", "fmod", "copysign", "xlogy", "remainder", "logit", "nan_to_num",
                                 "lerp", "addcmul", "addcdiv", "isclose"]


# ===================================================== reductions and scans ==
# minigrad.X(input, ..., *, out=None) for torch's scans and the reductions of _ops.py's "reductions and scans"
# section: the Tensor methods of the same names (axis=/keepdims= accepted, as torch does), with out=.

_NO_ARG = _tensor_module._NO_DIM


def _with_out_pair(name, compute, out, tensors):
    """``compute()`` returning two tensors; with ``out=(a, b)`` both are written (torch's checks as _with_out)."""
    if out is None:
        return compute()
    if not (isinstance(out, (tuple, list)) and len(out) == 2 and _builtins.all(isinstance(o, Tensor) for o in out)):
        raise TypeError(f"{name}(): argument 'out' must be tuple of Tensors, not {Tensor._type_name(out)}")
    if is_grad_enabled() and _builtins.any(t.requires_grad for t in (*tensors, *out)):
        raise RuntimeError(f"{name}(): functions with out=... arguments don't support automatic differentiation, "
                           "but one of the arguments requires grad.")
    with no_grad():
        result = compute()
    out[0]._assign_out(result[0])
    out[1]._assign_out(result[1])
    if isinstance(result, tuple) and hasattr(result, "_fields"):     # torch.return_types.<name>_out
        return type(result)(result._name + "_out", result._fields, out[0], out[1])
    return tuple(out)


def _scan_function(name):
    method = getattr(Tensor, name)

    def function(input, dim=_NO_ARG, *, dtype=None, out=None, axis=_NO_ARG):
        _check_tensor(name, input, "input", 1)
        dim = Tensor._alias(name, dim, axis, "dim", "axis")
        return _with_out(name, lambda: method(input, dim, dtype=dtype), out, (input,))
    function.__name__ = name
    function.__doc__ = f"``minigrad.{name}(input, dim, *, dtype=None, out=None)``: ``input.{name}(dim)``."
    return function


cumsum, cumprod = _scan_function("cumsum"), _scan_function("cumprod")


def _cum_extreme_function(name):
    method = getattr(Tensor, name)

    def function(input, dim=_NO_ARG, *, out=None, axis=_NO_ARG):
        _check_tensor(name, input, "input", 1)
        dim = Tensor._alias(name, dim, axis, "dim", "axis")
        return _with_out_pair(name, lambda: method(input, dim), out, (input,))
    function.__name__ = name
    function.__doc__ = f"``minigrad.{name}(input, dim, *, out=None)``: (values, indices)."
    return function


cummax, cummin = _cum_extreme_function("cummax"), _cum_extreme_function("cummin")


def logsumexp(input, dim=_NO_ARG, keepdim=_NO_ARG, *, out=None, axis=_NO_ARG, keepdims=_NO_ARG):
    _check_tensor("logsumexp", input, "input", 1)
    dim = Tensor._alias("logsumexp", dim, axis, "dim", "axis")
    keepdim = Tensor._alias("logsumexp", keepdim, keepdims, "keepdim", "keepdims", default=False)
    return _with_out("logsumexp", lambda: input.logsumexp(dim, keepdim), out, (input,))


def _nan_reduction(name):
    method = getattr(Tensor, name)

    def function(input, dim=None, keepdim=_NO_ARG, *, dtype=None, out=None, axis=_NO_ARG, keepdims=_NO_ARG):
        _check_tensor(name, input, "input", 1)
        dim = Tensor._alias(name, _NO_ARG if dim is None else dim, axis, "dim", "axis", default=None)
        keepdim = Tensor._alias(name, keepdim, keepdims, "keepdim", "keepdims", default=False)
        return _with_out(name, lambda: method(input, dim, keepdim, dtype=dtype), out, (input,))
    function.__name__ = name
    function.__doc__ = f"``minigrad.{name}(input, dim=None, keepdim=False, *, dtype=None, out=None)``."
    return function


nansum, nanmean = _nan_reduction("nansum"), _nan_reduction("nanmean")


def count_nonzero(input, dim=None, *, axis=_NO_ARG):
    _check_tensor("count_nonzero", input, "input", 1)
    return input.count_nonzero(dim, axis=axis)


def aminmax(input, *, dim=None, keepdim=False, out=None):
    _check_tensor("aminmax", input, "input", 1)
    return _with_out_pair("aminmax", lambda: input.aminmax(dim=dim, keepdim=keepdim), out, (input,))


def _moments_function(name, op):
    def function(input, dim=None, unbiased=None, keepdim=_NO_ARG, *, correction=None, out=None, axis=_NO_ARG,
                 keepdims=_NO_ARG):
        _check_tensor(name, input, "input", 1)
        dim = Tensor._alias(name, _NO_ARG if dim is None else dim, axis, "dim", "axis", default=None)
        keepdim = Tensor._alias(name, keepdim, keepdims, "keepdim", "keepdims", default=False)
        return _with_out_pair(name, lambda: input._var_mean(name, op, dim, unbiased, keepdim, correction), out,
                              (input,))
    function.__name__ = name
    function.__doc__ = (f"``minigrad.{name}(input, dim=None, *, correction=1, keepdim=False, out=None)``: a plain "
                        "tuple, as torch's.")
    return function


var_mean = _moments_function("var_mean", _tensor_module._ops.VarMean)
std_mean = _moments_function("std_mean", _tensor_module._ops.StdMean)

def _median_function(name):
    method = getattr(Tensor, name)

    def function(input, dim=_NO_ARG, keepdim=_NO_ARG, *, out=None, axis=_NO_ARG, keepdims=_NO_ARG):
        _check_tensor(name, input, "input", 1)
        dim = Tensor._alias(name, dim, axis, "dim", "axis", default=None)
        keepdim = Tensor._alias(name, keepdim, keepdims, "keepdim", "keepdims", default=False)
        if dim is None:         # median(input): one value, no out= in torch's overload
            if out is not None or keepdim:
                raise TypeError(f"{name}() missing 1 required positional arguments: \"dim\"")
            return method(input)
        return _with_out_pair(name, lambda: method(input, dim, keepdim), out, (input,))
    function.__name__ = name
    function.__doc__ = f"``minigrad.{name}(input)`` or ``minigrad.{name}(input, dim, keepdim=False, *, out=None)``."
    return function


median, nanmedian = _median_function("median"), _median_function("nanmedian")


def kthvalue(input, k, dim=_NO_ARG, keepdim=_NO_ARG, *, out=None, axis=_NO_ARG, keepdims=_NO_ARG):
    _check_tensor("kthvalue", input, "input", 1)
    dim = Tensor._alias("kthvalue", dim, axis, "dim", "axis", default=-1)
    keepdim = Tensor._alias("kthvalue", keepdim, keepdims, "keepdim", "keepdims", default=False)
    return _with_out_pair("kthvalue", lambda: input.kthvalue(k, dim, keepdim, _position=2), out, (input,))


def mode(input, dim=_NO_ARG, keepdim=_NO_ARG, *, out=None, axis=_NO_ARG, keepdims=_NO_ARG):
    _check_tensor("mode", input, "input", 1)
    dim = Tensor._alias("mode", dim, axis, "dim", "axis", default=-1)
    keepdim = Tensor._alias("mode", keepdim, keepdims, "keepdim", "keepdims", default=False)
    return _with_out_pair("mode", lambda: input.mode(dim, keepdim), out, (input,))


_SCAN_FUNCTIONS = ["median", "nanmedian", "kthvalue", "mode", "cumsum", "cumprod", "cummax", "cummin", "logsumexp", "nansum", "nanmean", "count_nonzero",
                   "aminmax", "var_mean", "std_mean"]


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
           "set_num_threads", "get_num_threads", "autograd", "cuda", "nn", "optim", "utils", "save", "load",
           *_FUNCTIONS, *_MATH_FUNCTIONS, *_SCAN_FUNCTIONS]
