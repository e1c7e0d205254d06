"""The array API over minigrad Tensors, for backward formulas under ``create_graph=True``.

A backward formula calls ``xp = namespace(g)`` and then ``xp.sum``,
``xp.where``, ``xp.matmul``...  When ``g`` is a plain array those are the
array library's; when ``g`` is a Tensor (a higher-order backward), they are
these, which call minigrad's differentiable ops and so record a graph.
Only the functions backward formulas use are here.
"""
from __future__ import annotations

from types import SimpleNamespace

from . import _ops


def _t(x, like):
    """Wrap a non-Tensor operand (a backend array or number) so ops can take it."""
    from ._tensor import Tensor
    if isinstance(x, Tensor):
        return x
    if isinstance(x, (int, float, bool)):
        return x
    return Tensor._make(x)


def where(cond, a, b):
    from ._tensor import where as _where
    return _where(_t(cond, a), _t(a, b), _t(b, a))


def sum(x, axis=None, keepdims=False):
    return x.sum(dim=axis, keepdim=keepdims)


def mean(x, axis=None, keepdims=False):
    return x.mean(dim=axis, keepdim=keepdims)


def prod(x, axis=None, keepdims=False):
    from . import _ops
    op = _ops.ProdAll if axis is None else _ops.Prod
    return op.apply(x, dim=axis, keepdim=keepdims)


def reshape(x, shape):
    return x.reshape(tuple(shape))


def broadcast_to(x, shape):
    return x.expand(tuple(shape))


def permute_dims(x, axes):
    return x.permute(tuple(axes))


def expand_dims(x, axis):
    return x.unsqueeze(axis)


def matrix_transpose(x):
    return x.transpose(-2, -1)


def matmul(a, b):
    return _t(a, b) @ _t(b, a)


def astype(x, dtype):
    from . import _backend, _dtype
    if not isinstance(dtype, _dtype.dtype):
        dtype = _dtype.from_name(_backend.dtype_name(dtype))
    return x.to(dtype)


def zeros_like(x):
    """Zeros as a constant: a zero gradient has no dependence to record."""
    from ._tensor import Tensor
    return Tensor._make(_backend_zeros_like(x._data))


def _backend_zeros_like(a):
    from . import _backend
    return _backend.zeros(a.shape, like=a)


def exp(x):
    return x.exp()


def log(x):
    return x.log()


def sign(x):
    return x.sign()


def sqrt(x):
    return x.sqrt()


def sin(x):
    return x.sin()


def cos(x):
    return x.cos()


def sinh(x):
    return x.sinh()


def cosh(x):
    return x.cosh()


def isfinite(x):
    return x.isfinite()


tensor_namespace = SimpleNamespace(
    where=where, sum=sum, mean=mean, prod=prod, reshape=reshape, broadcast_to=broadcast_to,
    permute_dims=permute_dims, expand_dims=expand_dims, matrix_transpose=matrix_transpose,
    matmul=matmul, astype=astype, zeros_like=zeros_like, exp=exp, log=log, sign=sign, sqrt=sqrt, _ops=_ops,
    sin=sin, cos=cos, sinh=sinh, cosh=cosh, isfinite=isfinite)
