"""The primitive differentiable ops: forward and backward side by side.

Each op's docstring states its derivative.  ``forward`` receives backend
arrays; ``backward`` receives the upstream gradient ``g`` and the saved
values, as arrays in an ordinary backward or as Tensors under
``create_graph=True``; ``xp = namespace(g)`` is the matching namespace, so the
same formula serves both (see ``autograd/function.py``).  Gradients of
broadcast operands are summed back to shape by the engine.

Everything else (softmax, losses, layer norm, conv ...) is composed from
these in Python, so it needs no backward of its own.
"""
from __future__ import annotations

import math
import warnings

import numpy as np

from . import _backend
from .autograd.engine import namespace
from .autograd.function import Op


def _xp(a):
    return _backend.array_namespace(a)


# ======================================================= elementwise binary ==
# Operands arrive with one dtype (Tensor casts them first, with torch's
# promotion rules); Python numbers stay Python numbers.

class Add(Op):
    """y = a + alpha b;  dy/da = 1,  dy/db = alpha"""
    node_name = "AddBackward0"

    @staticmethod
    def forward(ctx, a, b, *, alpha=1):
        ctx.alpha = alpha
        return _backend.binary(a + b if alpha == 1 else a + alpha * b, a, b)

    @staticmethod
    def backward(ctx, g):
        return g, (g if ctx.alpha == 1 else g * ctx.alpha)


class Sub(Op):
    """y = a - alpha b;  dy/da = 1,  dy/db = -alpha"""
    node_name = "SubBackward0"

    @staticmethod
    def forward(ctx, a, b, *, alpha=1):
        ctx.alpha = alpha
        return _backend.binary(a - b if alpha == 1 else a - alpha * b, a, b)

    @staticmethod
    def backward(ctx, g):
        return g, (-g if ctx.alpha == 1 else g * -ctx.alpha)


class Rsub(Op):
    """y = c - a for a number c;  dy/da = -1"""
    node_name = "RsubBackward1"

    @staticmethod
    def forward(ctx, a, *, c):
        return _backend.binary(c - a, c, a)

    @staticmethod
    def backward(ctx, g):
        return -g


class Mul(Op):
    """y = a * b;  dy/da = b,  dy/db = a"""
    node_name = "MulBackward0"
    unpack_order = (1, 0)
    saved_for = ((1,), (0,))        # a only for b's gradient, b only for a's

    @staticmethod
    def forward(ctx, a, b):
        ctx.save_for_backward(a, b)
        return _backend.binary(a * b, a, b)

    @staticmethod
    def backward(ctx, g):
        a, b = ctx.saved_tensors
        need_a, need_b = ctx.needs_input_grad
        ga = g * b if need_a else None
        gb = g * a if need_b else None
        return ga, gb


class Div(Op):
    """y = a / b;  dy/da = 1/b,  dy/db = -((a/b)/b)  (torch's grouping, which its second order follows)"""
    node_name = "DivBackward0"
    unpack_order = (1, 0)
    saved_for = ((1,), (0, 1))

    @staticmethod
    def forward(ctx, a, b):
        ctx.save_for_backward(a, b)
        return _backend.binary(a / b, a, b)

    @staticmethod
    def backward(ctx, g):
        a, b = ctx.saved_tensors
        need_a, need_b = ctx.needs_input_grad
        ga = g / b if need_a else None
        gb = -g * ((a / b) / b) if need_b else None
        return ga, gb


class Reciprocal(Op):
    """y = 1/a;  dy/da = -y^2"""
    node_name = "ReciprocalBackward0"

    @staticmethod
    def forward(ctx, a):
        y = _backend.unary(1 / a, a)
        ctx.save_for_backward(y)
        return y

    @staticmethod
    def backward(ctx, g):
        y, = ctx.saved_tensors
        return -g * y * y


class PowScalar(Op):
    """y = a^p for a number p;  dy/da = p a^(p-1)  (0 where p == 0, as torch)"""
    node_name = "PowBackward0"

    @staticmethod
    def forward(ctx, a, *, exponent):
        ctx.save_for_backward(a)
        ctx.exponent = exponent
        return _backend.unary(a ** exponent, a)

    @staticmethod
    def backward(ctx, g):
        a, = ctx.saved_tensors
        p = ctx.exponent
        if p == 0:
            return g * 0
        return g * p * a ** (p - 1)


class Pow(Op):
    """y = a^b;  dy/da = b a^(b-1),  dy/db = y ln a  (0 where a == 0 and b >= 0, as torch)"""
    node_name = "PowBackward1"
    unpack_order = (1, 2, 0)
    saved_for = ((0, 1), (0, 1), (1,))

    @staticmethod
    def forward(ctx, a, b):
        y = _backend.binary(a ** b, a, b)
        ctx.save_for_backward(a, b, y)
        return y

    @staticmethod
    def backward(ctx, g):
        a, b, y = ctx.saved_tensors
        xp = namespace(g)
        ga = gb = None
        if ctx.needs_input_grad[0]:
            ga = xp.where(b == 0, 0.0, g * b * a ** (b - 1))
        if ctx.needs_input_grad[1]:
            gb = xp.where((a == 0) & (b >= 0), 0.0, g * y * xp.log(a))
        return ga, gb


class RPow(Op):
    """y = c^a for a number c;  dy/da = y ln c"""
    node_name = "PowBackward2"

    @staticmethod
    def forward(ctx, a, *, base):
        y = _backend.contiguous(base ** a)       # torch allocates pow(number, tensor)'s output contiguous
        ctx.save_for_backward(a, y)      # torch saves the exponent too (and checks its version)
        ctx.base = base
        return y

    @staticmethod
    def backward(ctx, g):
        _, y = ctx.saved_tensors
        if ctx.base == 0:
            return g * 0
        return g * y * math.log(ctx.base)


class Maximum(Op):
    """y = max(a, b);  the gradient goes to the larger input, split in half on ties (torch)"""
    node_name = "MaximumBackward0"
    unpack_order = (1, 0)

    @staticmethod
    def forward(ctx, a, b):
        ctx.save_for_backward(a, b)
        return _backend.binary(_xp(a).maximum(a, b), a, b)

    @staticmethod
    def backward(ctx, g):
        a, b = ctx.saved_tensors
        return _split_by_winner(g, a > b, a < b, a == b)


class Minimum(Op):
    """y = min(a, b);  the gradient goes to the smaller input, split in half on ties (torch)"""
    node_name = "MinimumBackward0"
    unpack_order = (1, 0)

    @staticmethod
    def forward(ctx, a, b):
        ctx.save_for_backward(a, b)
        return _backend.binary(_xp(a).minimum(a, b), a, b)

    @staticmethod
    def backward(ctx, g):
        a, b = ctx.saved_tensors
        return _split_by_winner(g, a < b, a > b, a == b)


def _split_by_winner(g, a_wins, b_wins, tie):
    """torch's rule: half to each on a tie, nothing to the loser; a comparison with NaN has no loser, so both
    get the whole gradient there."""
    xp = namespace(g)
    shared = xp.where(tie, g / 2, g)
    return xp.where(b_wins, 0.0, shared), xp.where(a_wins, 0.0, shared)


# ======================================================== elementwise unary ==

class Neg(Op):
    """y = -a;  dy/da = -1"""
    node_name = "NegBackward0"

    @staticmethod
    def forward(ctx, a):
        return _backend.unary(-a, a)

    @staticmethod
    def backward(ctx, g):
        return -g


class Exp(Op):
    """y = e^a;  dy/da = y"""
    node_name = "ExpBackward0"

    @staticmethod
    def forward(ctx, a):
        y = _backend.unary(_xp(a).exp(a), a)
        ctx.save_for_backward(y)
        return y

    @staticmethod
    def backward(ctx, g):
        y, = ctx.saved_tensors
        return g * y


class Log(Op):
    """y = ln a;  dy/da = 1/a"""
    node_name = "LogBackward0"

    @staticmethod
    def forward(ctx, a):
        ctx.save_for_backward(a)
        return _backend.unary(_xp(a).log(a), a)

    @staticmethod
    def backward(ctx, g):
        a, = ctx.saved_tensors
        return g / a


class Sqrt(Op):
    """y = sqrt(a);  dy/da = 1/(2y)"""
    node_name = "SqrtBackward0"

    @staticmethod
    def forward(ctx, a):
        y = _backend.unary(_xp(a).sqrt(a), a)
        ctx.save_for_backward(y)
        return y

    @staticmethod
    def backward(ctx, g):
        y, = ctx.saved_tensors
        return g / (2 * y)


def _torch_sign(xp, a):
    """sign(a), and 0 at nan as torch's (NumPy's sign(nan) is nan)."""
    return xp.where(a != a, xp.zeros_like(a), xp.sign(a))


class Abs(Op):
    """y = |a|;  dy/da = sign(a)  (0 at 0)"""
    node_name = "AbsBackward0"

    @staticmethod
    def forward(ctx, a):
        ctx.save_for_backward(a)
        return _backend.unary(_xp(a).abs(a), a)

    @staticmethod
    def backward(ctx, g):
        a, = ctx.saved_tensors
        return g * _torch_sign(namespace(g), a)


class Sigmoid(Op):
    """y = 1/(1+e^-a);  dy/da = y(1-y)"""
    node_name = "SigmoidBackward0"

    @staticmethod
    def forward(ctx, a):
        xp = _xp(a)
        # torch's formula.  e^-a overflows to inf for a < -88 (float32), and 1/(1+inf) is the right 0;
        # splitting by sign instead costs an np.where, 2.5x the time of the whole formula
        with np.errstate(over="ignore"):
            y = _backend.unary(1 / (1 + xp.exp(-a)), a)
        ctx.save_for_backward(y)
        return y

    @staticmethod
    def backward(ctx, g):
        y, = ctx.saved_tensors
        return g * y * (1 - y)


class Tanh(Op):
    """y = tanh a;  dy/da = 1 - y^2"""
    node_name = "TanhBackward0"

    @staticmethod
    def forward(ctx, a):
        y = _backend.unary(_xp(a).tanh(a), a)
        ctx.save_for_backward(y)
        return y

    @staticmethod
    def backward(ctx, g):
        y, = ctx.saved_tensors
        return g * (1 - y * y)


class Relu(Op):
    """y = max(a, 0);  dy/da = 1 where y > 0, else 0 (0 at a == 0, as torch)"""
    node_name = "ReluBackward0"

    @staticmethod
    def forward(ctx, a):
        y = _backend.unary(_xp(a).maximum(a, 0), a)
        ctx.save_for_backward(y)
        return y

    @staticmethod
    def backward(ctx, g):
        y, = ctx.saved_tensors
        if _is_tensor(g):        # as an op of its own, whose output requires grad when y does (torch)
            return ThresholdBackward.apply(g, y)
        return _backend.zero_where(y <= 0, g)     # nan passes the gradient, as torch's threshold_backward


class ThresholdBackward(Op):
    """y = g where r > 0 else 0 (relu's gradient);  dy/dg = the same mask,  dy/dr = 0"""
    node_name = "ThresholdBackwardBackward0"

    @staticmethod
    def forward(ctx, g, r):
        ctx.save_for_backward(r)
        return _backend.zero_where(r <= 0, g)

    @staticmethod
    def backward(ctx, gg):
        r, = ctx.saved_tensors
        need_g, need_r = ctx.needs_input_grad
        dg = (ThresholdBackward.apply(gg, r) if _is_tensor(gg) else _backend.zero_where(r <= 0, gg)) if need_g else None
        return dg, (namespace(gg).zeros_like(r) if need_r else None)


class LeakyRelu(Op):
    """y = a if a > 0 else s*a;  dy/da = 1 if a > 0 else s"""
    node_name = "LeakyReluBackward0"

    @staticmethod
    def forward(ctx, a, *, negative_slope):
        ctx.save_for_backward(a)
        ctx.slope = negative_slope
        return _backend.unary(_xp(a).where(a > 0, a, a * negative_slope), a)

    @staticmethod
    def backward(ctx, g):
        a, = ctx.saved_tensors
        if _is_tensor(g):        # as an op of its own, whose output requires grad when a does (torch)
            return LeakyReluBackward.apply(g, a, negative_slope=ctx.slope)
        return namespace(g).where(a > 0, g, g * ctx.slope)


class LeakyReluBackward(Op):
    """y = g where a > 0 else s*g (leaky relu's gradient);  dy/dg = 1 or s,  dy/da = 0"""
    node_name = "LeakyReluBackwardBackward0"

    @staticmethod
    def forward(ctx, g, a, *, negative_slope):
        ctx.save_for_backward(a)
        ctx.slope = negative_slope
        return _xp(g).where(a > 0, g, g * negative_slope)

    @staticmethod
    def backward(ctx, gg):
        a, = ctx.saved_tensors
        need_g, need_a = ctx.needs_input_grad
        dg = None
        if need_g:
            dg = LeakyReluBackward.apply(gg, a, negative_slope=ctx.slope) if _is_tensor(gg) else \
                _xp(gg).where(a > 0, gg, gg * ctx.slope)
        return dg, (namespace(gg).zeros_like(a) if need_a else None)


class Clamp(Op):
    """y = min(max(a, lo), hi);  dy/da = 1 where lo <= a <= hi, else 0"""
    node_name = "ClampBackward1"

    @staticmethod
    def forward(ctx, a, *, min=None, max=None):
        ctx.save_for_backward(a)
        ctx.lo, ctx.hi = min, max
        return _backend.unary(_xp(a).clip(a, min, max), a)

    @staticmethod
    def backward(ctx, g):
        a, = ctx.saved_tensors
        xp = namespace(g)
        if ctx.lo is not None:
            g = xp.where(a >= ctx.lo, g, 0.0)
        if ctx.hi is not None:
            g = xp.where(a <= ctx.hi, g, 0.0)
        return g


class Where(Op):
    """y = a where cond else b;  dy/da = cond,  dy/db = not cond"""
    node_name = "WhereBackward0"

    @staticmethod
    def forward(ctx, a, b, *, condition):
        ctx.save_for_backward(condition)
        return _backend.elementwise(_xp(condition).where(condition, a, b), condition, a, b)

    @staticmethod
    def backward(ctx, g):
        cond, = ctx.saved_tensors
        xp = namespace(g)
        return xp.where(cond, g, 0.0), xp.where(cond, 0.0, g)


class Floor(Op):
    """y = floor a;  dy/da = 0 (piecewise constant)"""
    node_name = "FloorBackward0"
    _fn_name = "floor"

    @staticmethod
    def forward(ctx, a):
        return _backend.unary(getattr(_xp(a), ctx._fn._fn_name)(a), a)

    @staticmethod
    def backward(ctx, g):
        return namespace(g).zeros_like(g)


class Ceil(Floor):
    """y = ceil a;  dy/da = 0"""
    node_name = "CeilBackward0"
    _fn_name = "ceil"


class Round(Floor):
    """y = a rounded half to even;  dy/da = 0"""
    node_name = "RoundBackward0"
    _fn_name = "round"


class Sign(Floor):
    """y = sign a (0 at nan, as torch);  dy/da = 0"""
    node_name = "SignBackward0"
    _fn_name = "sign"

    @staticmethod
    def forward(ctx, a):
        return _backend.unary(_torch_sign(_xp(a), a), a)


class Fill(Op):
    """y = a constant (fill_ with a number);  dy/da = 0"""
    node_name = "FillBackward2"

    @staticmethod
    def forward(ctx, a, *, value):
        return _backend.full(a.shape, value, like=a)

    @staticmethod
    def backward(ctx, g):
        return namespace(g).zeros_like(g)


class Zero(Fill):
    node_name = "ZeroBackward0"


class FillTensor(Op):
    """y = a filled with the 0-d tensor v (fill_ with a tensor);  dy/da = 0,  dy/dv = sum g"""
    node_name = "FillBackward3"

    @staticmethod
    def forward(ctx, a, v):
        return _backend.contiguous_copy(_xp(a).broadcast_to(v, a.shape))

    @staticmethod
    def backward(ctx, g):
        need_a, need_v = ctx.needs_input_grad
        xp = namespace(g)
        return (xp.zeros_like(g) if need_a else None), (xp.sum(g) if need_v else None)


class Copy(Op):
    """y = b broadcast to a's shape (a.copy_(b));  dy/da = 0,  dy/db = 1 (summed back to b's shape)"""
    node_name = "CopyBackwards"

    @staticmethod
    def forward(ctx, a, b):
        return _backend.contiguous_copy(_xp(a).broadcast_to(b, a.shape)) if b.shape != a.shape else \
            _xp(a).asarray(b, copy=True)

    @staticmethod
    def backward(ctx, g):
        need_a, need_b = ctx.needs_input_grad
        return (namespace(g).zeros_like(g) if need_a else None), (g if need_b else None)


class Cast(Op):
    """y = a converted to another floating dtype;  dy/da = 1 (cast back)"""
    node_name = "ToCopyBackward0"

    @staticmethod
    def forward(ctx, a, *, dtype):
        ctx.in_dtype = a.dtype
        return _backend.preserve(_xp(a).astype(a, dtype), a)     # torch's to() keeps a's layout

    @staticmethod
    def backward(ctx, g):
        return namespace(g).astype(g, ctx.in_dtype)


class Clone(Op):
    """y = a (a copy);  dy/da = 1"""
    node_name = "CloneBackward0"

    @staticmethod
    def forward(ctx, a):
        return _backend.copy(a)          # laid out as a is, as torch's clone()

    @staticmethod
    def backward(ctx, g):
        return g


class Contiguous(Op):
    """y = a copied into row-major order;  dy/da = 1"""
    node_name = "CloneBackward0"

    @staticmethod
    def forward(ctx, a):
        return _backend.contiguous(_backend.contiguous_copy(a))

    @staticmethod
    def backward(ctx, g):
        return g


# =============================================================== reductions ==

def _axes(dim, ndim):
    """torch's ``dim`` (None, int or tuple) as a tuple of non-negative axes."""
    if dim is None:
        return tuple(range(ndim))
    if ndim == 0:             # torch accepts dim 0 / -1 on a 0-d tensor: nothing to reduce
        return ()
    return tuple(sorted(d % ndim for d in (dim if isinstance(dim, tuple) else (dim,))))


def _expand_back(g, shape, axes, keepdim):
    """Broadcast a reduced gradient back over the reduced axes."""
    if _is_tensor(g):
        if not keepdim:
            g = g.reshape(tuple(1 if i in axes else n for i, n in enumerate(shape)))
        return g.expand(tuple(shape))
    if not keepdim and len(axes) != len(shape):     # (a full reduction broadcasts from 0-d as it is)
        g = _xp(g).reshape(g, tuple(1 if i in axes else n for i, n in enumerate(shape)))
    return _backend.broadcast_to(g, tuple(shape))


class Sum(Op):
    """y = sum a over dims;  dy/da = 1 (broadcast back)"""
    node_name = "SumBackward1"

    @staticmethod
    def forward(ctx, a, *, dim=None, keepdim=False, dtype=None):
        ctx.shape, ctx.axes, ctx.keepdim = a.shape, _axes(dim, a.ndim), keepdim
        return _backend.contiguous(_backend.sum(a, axis=ctx.axes, keepdims=keepdim, dtype=dtype))

    @staticmethod
    def backward(ctx, g):
        return _expand_back(g, ctx.shape, ctx.axes, ctx.keepdim)


class SumAll(Op):
    """y = sum of all elements;  dy/da = 1"""
    node_name = "SumBackward0"

    @staticmethod
    def forward(ctx, a):
        ctx.shape = a.shape
        return _backend.sum(a)

    @staticmethod
    def backward(ctx, g):
        return _expand_back(g, ctx.shape, None, keepdim=True)     # y is 0-d: it broadcasts as it is


class Mean(Op):
    """y = mean a over dims;  dy/da = 1/n"""
    node_name = "MeanBackward1"

    @staticmethod
    def forward(ctx, a, *, dim=None, keepdim=False):
        ctx.shape, ctx.axes, ctx.keepdim = a.shape, _axes(dim, a.ndim), keepdim
        ctx.n = math.prod(a.shape[i] for i in ctx.axes)
        return _backend.contiguous(_divide_by(_xp(a).sum(a, axis=ctx.axes, keepdims=keepdim), ctx.n))

    @staticmethod
    def backward(ctx, g):
        # broadcast first, then divide (torch's order): with n == 0 the result is empty, not 0/0
        return _expand_back(g, ctx.shape, ctx.axes, ctx.keepdim) / ctx.n if ctx.n else \
            _expand_back(g, ctx.shape, ctx.axes, ctx.keepdim) * math.inf


class MeanAll(Mean):
    """y = mean of all elements;  dy/da = 1/n"""
    node_name = "MeanBackward0"


def _centered(xp, a, axes):
    n = math.prod(a.shape[i] for i in axes)
    return a - _divide_by(xp.sum(a, axis=axes, keepdims=True), n)


class Prod(Op):
    """y = product over dims;  dy/da_i = product of the others (exact with zeros, no division by 0)"""
    node_name = "ProdBackward1"

    @staticmethod
    def forward(ctx, a, *, dim=None, keepdim=False):
        ctx.shape, ctx.axes, ctx.keepdim = a.shape, _axes(dim, a.ndim), keepdim
        y = _backend.contiguous(_xp(a).prod(a, axis=ctx.axes, keepdims=keepdim))
        ctx.save_for_backward(a, y)
        return y

    @staticmethod
    def backward(ctx, g):
        a, y = ctx.saved_tensors
        xp = namespace(g)
        is_zero = a == 0
        zeros = xp.sum(xp.astype(is_zero, a.dtype), axis=ctx.axes, keepdims=True)
        others = xp.prod(xp.where(is_zero, 1.0, a), axis=ctx.axes, keepdims=True)   # product of the nonzeros
        y_full = _expand_back(y, ctx.shape, ctx.axes, ctx.keepdim)
        # no zero in the lane: y / a;  one zero: the others' product at the zero, 0 elsewhere;  more: 0
        local = xp.where(zeros == 0, y_full / xp.where(is_zero, 1.0, a),
                         xp.where((zeros == 1) & is_zero, others, 0.0))
        return _expand_back(g, ctx.shape, ctx.axes, ctx.keepdim) * local


class ProdAll(Prod):
    node_name = "ProdBackward0"


class Var(Op):
    """y = sum (a - mean)^2 / (n - c);  dy/da = 2 (a - mean) / (n - c)"""
    node_name = "VarBackward0"

    @staticmethod
    def forward(ctx, a, *, dim=None, correction=1, keepdim=False):
        xp = _xp(a)
        ctx.shape, ctx.axes, ctx.keepdim = a.shape, _axes(dim, a.ndim), keepdim
        # torch divides by max(n - c, 0) in forward (0/0 = nan) but by n - c in backward
        ctx.dof = math.prod(a.shape[i] for i in ctx.axes) - correction
        _warn_dof("var", ctx.dof)
        ctx.save_for_backward(a)
        return _backend.contiguous(_wide_var(xp, a, ctx.axes, keepdim, ctx.dof))

    @staticmethod
    def backward(ctx, g):
        a, = ctx.saved_tensors
        xp = namespace(g)
        return _divide_by(_expand_back(g, ctx.shape, ctx.axes, ctx.keepdim) * _centered(xp, a, ctx.axes) * 2,
                          ctx.dof)


def _wide_var(xp, a, axes, keepdim, dof, root=False):
    """sum (a - mean)^2 / max(dof, 0) (its sqrt if root) in a's dtype, accumulated in float64 as torch's CPU
    Welford does, so the squares of large float32 values (1e30) do not overflow."""
    c = _centered(xp, xp.astype(a, _backend.backend_dtype(xp, "float64"), copy=False), axes)
    v = _divide_by(xp.sum(c * c, axis=axes, keepdims=keepdim), max(dof, 0))
    with np.errstate(over="ignore"):        # beyond float32's range is inf, silently as in torch
        return xp.astype(xp.sqrt(v) if root else v, a.dtype)


def _divide_by(x, n):
    """x / n for a Python number n that may be 0: x/0 is +-inf, and 0/0 nan (IEEE, as in torch)."""
    if n:
        return x / n
    return namespace(x).where(x == 0, math.nan, x * math.inf)


def _warn_dof(name, dof):
    if dof <= 0:
        warnings.warn(f"{name}(): degrees of freedom is <= 0. Correction should be strictly less than the "
                      "reduction factor (input numel divided by output numel).", UserWarning, stacklevel=5)


class Std(Op):
    """y = sqrt(var a);  dy/da = (a - mean) / ((n - c) y)  (0 where y == 0, as torch)"""
    node_name = "StdBackward0"

    @staticmethod
    def forward(ctx, a, *, dim=None, correction=1, keepdim=False):
        xp = _xp(a)
        ctx.shape, ctx.axes, ctx.keepdim = a.shape, _axes(dim, a.ndim), keepdim
        ctx.dof = math.prod(a.shape[i] for i in ctx.axes) - correction      # as in Var
        _warn_dof("std", ctx.dof)
        y = _backend.contiguous(_wide_var(xp, a, ctx.axes, keepdim, ctx.dof, root=True))
        ctx.save_for_backward(a, y)
        return y

    @staticmethod
    def backward(ctx, g):
        a, y = ctx.saved_tensors
        xp = namespace(g)
        zero = y == 0
        scale = xp.where(zero, 0.0, _divide_by(g / xp.where(zero, 1.0, y), ctx.dof))
        return _expand_back(scale, ctx.shape, ctx.axes, ctx.keepdim) * _centered(xp, a, ctx.axes)


class Norm(Op):
    """y = sqrt(sum a^2);  dy/da = a / y  (0 where y == 0, as torch)"""
    node_name = "LinalgVectorNormBackward0"

    @staticmethod
    def forward(ctx, a, *, dim=None, keepdim=False):
        xp = _xp(a)
        ctx.shape, ctx.axes, ctx.keepdim = a.shape, _axes(dim, a.ndim), keepdim
        y = _backend.contiguous(xp.sqrt(xp.sum(a * a, axis=ctx.axes, keepdims=keepdim)))
        ctx.save_for_backward(a, y)
        return y

    @staticmethod
    def backward(ctx, g):
        a, y = ctx.saved_tensors
        xp = namespace(g)
        zero = y == 0
        # divide by a safe 1 where y == 0, so the masked branch has no 0/0 in higher derivatives
        scale = xp.where(zero, 0.0, g / xp.where(zero, 1.0, y))
        return _expand_back(scale, ctx.shape, ctx.axes, ctx.keepdim) * a


class NormZero(Op):
    """y = the number of non-zeros over dims (the "0-norm");  dy/da = 0 (recorded, as torch's)"""
    node_name = "LinalgVectorNormBackward0"

    @staticmethod
    def forward(ctx, a, *, dim=None, keepdim=False):
        ctx.shape, ctx.axes, ctx.keepdim = a.shape, _axes(dim, a.ndim), keepdim
        return _xp(a).astype(_backend.sum(a != 0, axis=ctx.axes, keepdims=keepdim), a.dtype)

    @staticmethod
    def backward(ctx, g):
        return _expand_back(g, ctx.shape, ctx.axes, ctx.keepdim) * 0


class Amax(Op):
    """y = max over dims;  dy/da = 1 at the maxima, split evenly between ties (torch's amax/max())"""
    node_name = "AmaxBackward0"
    _reduce = "max"
    _nan_hits = False       # max()/min() (not amax/amin) send the gradient to the NaNs that made y NaN

    @staticmethod
    def forward(ctx, a, *, dim=None, keepdim=False):
        xp = _xp(a)
        ctx.shape, ctx.axes, ctx.keepdim = a.shape, _axes(dim, a.ndim), keepdim
        y = _backend.contiguous(getattr(xp, ctx._fn._reduce)(a, axis=ctx.axes, keepdims=keepdim))
        ctx.save_for_backward(a, y)
        return y

    @staticmethod
    def backward(ctx, g):
        a, y = ctx.saved_tensors
        xp = namespace(g)
        y_full = _expand_back(y, ctx.shape, ctx.axes, ctx.keepdim)
        hit = a == y_full
        if ctx._fn._nan_hits:
            hit = hit | ((a != a) & (y_full != y_full))
        hit = xp.astype(hit, a.dtype)
        count = xp.sum(hit, axis=ctx.axes, keepdims=True)
        return _expand_back(g, ctx.shape, ctx.axes, ctx.keepdim) * hit / count


class Amin(Amax):
    """y = min over dims;  dy/da = 1 at the minima, split evenly between ties"""
    node_name = "AminBackward0"
    _reduce = "min"


class MaxAll(Amax):
    node_name = "MaxBackward1"
    _nan_hits = True


class MinAll(Amin):
    node_name = "MinBackward1"
    _nan_hits = True


class MaxDim(Op):
    """(values, indices) = max along dim;  dy/da = 1 at the one returned index (the first of ties)"""
    node_name = "MaxBackward0"
    _pick = "argmax"

    @staticmethod
    def forward(ctx, a, *, dim, keepdim=False):
        xp = _xp(a)
        a1 = a if a.ndim else xp.reshape(a, (1,))
        axis = dim % a1.ndim
        idx = getattr(xp, ctx._fn._pick)(a1, axis=axis, keepdims=True)
        values = xp.take_along_axis(a1, idx, axis=axis)
        positions = _backend.arange(a1.shape[axis], like=idx)
        positions = xp.reshape(positions, tuple(-1 if i == axis else 1 for i in range(a1.ndim)))
        ctx.save_for_backward(positions == idx)      # the route: one True per lane
        ctx.shape, ctx.axis, ctx.keepdim = a.shape, axis, keepdim
        if not keepdim or not a.ndim:
            values, idx = xp.squeeze(values, axis=axis), xp.squeeze(idx, axis=axis)
        values = _backend.contiguous(values)
        idx = _backend.contiguous(xp.astype(idx, _backend.backend_dtype(xp, "int64")))
        ctx.mark_non_differentiable(idx)
        return values, idx

    @staticmethod
    def backward(ctx, g, _g_indices=None):
        route, = ctx.saved_tensors
        xp = namespace(g)
        if not ctx.keepdim or not ctx.shape:
            g = xp.expand_dims(g, axis=ctx.axis)
        return xp.reshape(xp.where(route, g, 0.0), ctx.shape)


class MinDim(MaxDim):
    """(values, indices) = min along dim;  dy/da = 1 at the one returned index"""
    node_name = "MinBackward0"
    _pick = "argmin"


# ==================================================================== shape ==

class Reshape(Op):
    """y = a viewed with a new shape;  dy/da = g reshaped back"""
    node_name = "ViewBackward0"

    @staticmethod
    def forward(ctx, a, *, shape):
        ctx.shape = a.shape
        return _backend.view(a, shape)       # torch's strides (computeStride); callers check a view exists

    @staticmethod
    def backward(ctx, g):
        return namespace(g).reshape(g, ctx.shape)


class ReshapeAlias(Reshape):
    """reshape's view of a non-contiguous tensor (torch calls _reshape_alias there, view only when contiguous)"""
    node_name = "ReshapeAliasBackward0"


class UnsafeView(Reshape):
    """y = a (a fresh contiguous copy) with a new shape: the second half of a reshape that had to copy"""
    node_name = "UnsafeViewBackward0"


class Unsqueeze(Reshape):
    node_name = "UnsqueezeBackward0"

    @staticmethod
    def forward(ctx, a, *, shape, dim=None):
        ctx.shape = a.shape
        return _backend.unsqueeze(a, shape, dim)     # torch's stride for the new dim


class Squeeze(Reshape):
    node_name = "SqueezeBackward1"

    @staticmethod
    def forward(ctx, a, *, shape, dims=None):
        ctx.shape = a.shape
        return _backend.squeeze(a, shape, dims)      # the other dims keep their strides


class SqueezeAll(Reshape):
    node_name = "SqueezeBackward0"

    @staticmethod
    def forward(ctx, a, *, shape):
        ctx.shape = a.shape
        return _backend.squeeze(a, shape, tuple(d for d, n in enumerate(a.shape) if n == 1))


class Permute(Op):
    """y = a with axes permuted;  dy/da = g with the inverse permutation"""
    node_name = "PermuteBackward0"

    @staticmethod
    def forward(ctx, a, *, dims):
        ctx.inverse = tuple(sorted(range(len(dims)), key=dims.__getitem__))
        return _backend.permute_dims(a, dims)

    @staticmethod
    def backward(ctx, g):
        return namespace(g).permute_dims(g, ctx.inverse) if _is_tensor(g) else _backend.permute_dims(g, ctx.inverse)


class Transpose(Permute):
    node_name = "TransposeBackward0"


class T(Permute):
    node_name = "TBackward0"


class Expand(Op):
    """y = a broadcast to a shape;  dy/da = g summed back (done by the engine)"""
    node_name = "ExpandBackward0"

    @staticmethod
    def forward(ctx, a, *, shape):
        return _backend.expand(a, shape)

    @staticmethod
    def backward(ctx, g):
        return g


class Index(Op):
    """y = a[index];  dy/da = zeros with g added at index (repeated indices add up)"""
    node_name = "IndexBackward0"

    @staticmethod
    def forward(ctx, a, *, index, basic):
        ctx.shape, ctx.index, ctx.basic = a.shape, index, basic
        if not basic:        # torch saves the indices (and frees them after backward)
            ctx.save_for_backward(*[i for i in index if hasattr(i, "shape")])
            return _backend.advanced_index(a, index)
        return _backend.basic_index(a, index)

    @staticmethod
    def backward(ctx, g):
        if not ctx.basic:
            ctx.saved_tensors       # the version checks, and torch's error once freed
        if _is_tensor(g):
            return IndexAddToZeros.apply(g, index=ctx.index, shape=ctx.shape, basic=ctx.basic)
        return index_add_to_zeros(g, ctx.index, ctx.shape, ctx.basic)


class Select(Index):
    node_name = "SelectBackward0"


class SliceUnsqueeze(Index):      # a basic index whose last step is a None
    node_name = "UnsqueezeBackward0"


class SliceAlias(Index):          # a basic index that selects everything
    node_name = "AliasBackward0"


class IndexSelect(Index):
    node_name = "IndexSelectBackward0"

    @staticmethod
    def forward(ctx, a, *, index, basic):
        # row-major, empty results included, as torch's index_select and gather (indexing follows a's layout)
        return _backend.contiguous(Index.forward(ctx, a, index=index, basic=basic))


class Gather(Index):
    node_name = "GatherBackward0"
    forward = staticmethod(IndexSelect.forward)


class Alias(Op):
    """y = a, as a view (``a[...]``);  dy/da = 1"""
    node_name = "AliasBackward0"

    @staticmethod
    def forward(ctx, a):
        return a[...]

    @staticmethod
    def backward(ctx, g):
        return g


class Slice(Index):
    node_name = "SliceBackward0"


class IndexAddToZeros(Op):
    """y = zeros(shape) with g added at index;  dy/dg = y_grad[index]  (index's backward, differentiable)"""
    node_name = "IndexPutBackward0"

    @staticmethod
    def forward(ctx, g, *, index, shape, basic):
        ctx.index, ctx.basic = index, basic
        return index_add_to_zeros(g, index, shape, basic)

    @staticmethod
    def backward(ctx, gg):
        return gg[ctx.index]


def _is_tensor(x):
    return hasattr(x, "grad_fn")     # Tensors (create_graph) vs backend arrays


def index_add_to_zeros(g, index, shape, basic):
    out = _backend.zeros(shape, like=g)
    if basic:                       # a basic index never repeats a position: plain assignment
        if any(i is None for i in index):      # the array API assigns only through None-free keys
            index = tuple(i for i in index if i is not None)
            g = _xp(g).reshape(g, out[index].shape)
        out[index] = g
    else:
        _backend.scatter_add(out, index, g)
    return out


class IndexPut(Op):
    """y = a with y[index] = v;  dy/da = g with index zeroed,  dy/dv = g[index] (summed to v's shape)"""
    node_name = "IndexPutBackward0"

    @staticmethod
    def forward(ctx, a, v, *, index):
        ctx.index = index
        out = _xp(a).asarray(a, copy=True)
        out[index] = v
        return out

    @staticmethod
    def backward(ctx, g):
        ga = gv = None
        if ctx.needs_input_grad[0]:
            ga = IndexPut.apply(g, 0.0, index=ctx.index) if _is_tensor(g) else _put_zero(g, ctx.index)
        if ctx.needs_input_grad[1]:
            gv = g[ctx.index]
        return ga, gv


def _put_zero(g, index):
    out = _xp(g).asarray(g, copy=True)
    out[index] = 0
    return out


class Cat(Op):
    """y = concatenation along dim;  dy/da_i = the slice of g that a_i filled"""
    node_name = "CatBackward0"
    list_inputs = True

    @staticmethod
    def forward(ctx, *arrays, dim):
        # torch skips legacy empty 1-D tensors of shape (0,) whatever the other shapes are
        kept = [a for a in arrays if a.shape != (0,)] or list(arrays[:1])
        xp = _xp(kept[0])
        ctx.axis = dim
        ctx.sizes = [a.shape[dim] if a.shape != (0,) or a is kept[0] else None for a in arrays]
        return _backend.cat_layout(xp.concat(kept, axis=dim), arrays)

    @staticmethod
    def backward(ctx, g):
        out, start = [], 0
        for n in ctx.sizes:
            if n is None:                        # a skipped (0,) input: an empty gradient
                out.append(namespace(g).reshape(g, (-1,))[0:0])
                continue
            out.append(g[(slice(None),) * ctx.axis + (slice(start, start + n), Ellipsis)])
            start += n
        return tuple(out)


class Split(Op):
    """(y_1, ..., y_k) = consecutive slices of a along dim, views of a;  dy/da = the gradients concatenated"""
    node_name = "SplitBackward0"

    @staticmethod
    def forward(ctx, a, *, dim, sizes):
        ctx.dim = dim
        return tuple(a[index] for index in split_indices(dim, sizes))

    @staticmethod
    def backward(ctx, *grads):
        if _is_tensor(grads[0]):
            from ._tensor import cat
            return cat(list(grads), ctx.dim)
        return _xp(grads[0]).concat(grads, axis=ctx.dim)


class SplitWithSizes(Split):
    node_name = "SplitWithSizesBackward0"


def split_indices(dim, sizes):
    """The basic index of each piece of a split."""
    out, start = [], 0
    for n in sizes:
        out.append((slice(None),) * dim + (slice(start, start + n), Ellipsis))
        start += n
    return out


class Unbind(Op):
    """(y_1, ..., y_n) = a[..., i, ...] along dim, views of a;  dy/da = the gradients stacked"""
    node_name = "UnbindBackward0"

    @staticmethod
    def forward(ctx, a, *, dim):
        ctx.dim = dim
        return tuple(a[(slice(None),) * dim + (i, Ellipsis)] for i in range(a.shape[dim]))

    @staticmethod
    def backward(ctx, *grads):
        if _is_tensor(grads[0]):
            from ._tensor import stack
            return stack(list(grads), ctx.dim)
        return _xp(grads[0]).stack(grads, axis=ctx.dim)


class Stack(Op):
    """y = arrays stacked along a new dim;  dy/da_i = g[..., i, ...]"""
    node_name = "StackBackward0"
    list_inputs = True

    @staticmethod
    def forward(ctx, *arrays, dim):
        ctx.axis = dim % (arrays[0].ndim + 1)
        return _backend.stack_layout(_xp(arrays[0]).stack(arrays, axis=ctx.axis), arrays, ctx.axis)

    @staticmethod
    def backward(ctx, g):
        n = g.shape[ctx.axis]
        return tuple(g[(slice(None),) * ctx.axis + (i, Ellipsis)] for i in range(n))


# =================================================================== matmul ==

def _matmul(xp, x, y):
    """x @ y for a backward formula.  When the contracted dimension has size 1 (a batch-1 weight
    gradient a^T @ g) the product is an outer product: a broadcast multiply gives the same numbers
    (one product per element, nothing summed) several times faster than BLAS on that shape."""
    if _is_tensor(x):
        return xp.matmul(x, y)
    if x.shape[-1] == 1 and x.ndim >= 2 and y.ndim >= 2:
        return x * y
    return _backend.matmul(x, y)


def _mT(xp, x):
    """The matrix transpose: minigrad's op under create_graph, else the backend's."""
    return xp.matrix_transpose(x) if _is_tensor(x) else _backend.matrix_transpose(x)


def _matmul_for(transposed, xp, x, y):
    """x @ y laid out like ``operand``: for an operand stored transposed (a weight used as ``W.t()``)
    it is computed as (y^T @ x^T)^T.  Gradients: as torch's mm backward, so the gradient reaching ``W``
    is row-major and is kept without a transposing copy.  Forward: OpenBLAS runs a (64, 784) batch
    times a transposed (784, 200) weight ~25% slower than the same product taken the other way round."""
    if transposed:
        return _mT(xp, _matmul(xp, _mT(xp, y), _mT(xp, x)))
    return _matmul(xp, x, y)


class Matmul(Op):
    """y = a @ b (1-D, 2-D or batched);  dy/da = g @ b^T,  dy/db = a^T @ g"""
    node_name = "MmBackward0"
    saved_for = ((1,), (0,))        # a only for b's gradient, b only for a's

    @staticmethod
    def forward(ctx, a, b, *, folded_mT=False):
        ctx.save_for_backward(a, b)
        ctx.shapes = (a.shape, b.shape)
        ctx.transposed = (_backend.is_transposed(a), _backend.is_transposed(b))
        y = _backend.contiguous(_xp(a).matmul(a, b))      # torch's products are contiguous
        return _backend.folded_mT(y) if folded_mT else y

    @staticmethod
    def backward(ctx, g):
        a, b = ctx.saved_tensors
        xp = namespace(g)
        need_a, need_b = ctx.needs_input_grad
        a_shape, b_shape = ctx.shapes
        # A 1-D operand acts as a row (a) or column (b) matrix; view g as that matrix product's output.
        a2_shape = (1,) + a_shape if len(a_shape) == 1 else a_shape
        b2_shape = b_shape + (1,) if len(b_shape) == 1 else b_shape
        batch = _broadcast_shape(a2_shape[:-2], b2_shape[:-2])
        g2 = xp.reshape(g, batch + (a2_shape[-2], b2_shape[-1]))
        ga = gb = None
        if need_a:
            b2 = xp.reshape(b, b2_shape) if len(b_shape) == 1 else b
            ga = _matmul_for(ctx.transposed[0], xp, g2, _mT(xp, b2))    # batch + (n, k); the engine sums the batch
            ga = ga[..., 0, :] if len(a_shape) == 1 else ga
        if need_b:
            a2 = xp.reshape(a, a2_shape) if len(a_shape) == 1 else a
            gb = _matmul_for(ctx.transposed[1], xp, _mT(xp, a2), g2)    # batch + (k, m)
            gb = gb[..., 0] if len(b_shape) == 1 else gb
        return ga, gb


def _broadcast_shape(s1, s2):
    """NumPy/torch broadcasting of two shapes."""
    n = max(len(s1), len(s2))
    s1, s2 = (1,) * (n - len(s1)) + s1, (1,) * (n - len(s2)) + s2
    return tuple(y if x == 1 else x for x, y in zip(s1, s2))


class Dot(Matmul):
    node_name = "DotBackward0"


class Mv(Matmul):
    node_name = "MvBackward0"


class Bmm(Matmul):
    node_name = "BmmBackward0"


class BatchedMatmul(Matmul):
    node_name = "UnsafeViewBackward0"


class VecMat(Matmul):
    node_name = "SqueezeBackward4"


class Addmm(Op):
    """y = c + a @ b (nn.Linear on 2-D input);  dy/dc = 1,  dy/da = g @ b^T,  dy/db = a^T @ g"""
    node_name = "AddmmBackward0"
    saved_for = ((2,), (1,))        # a only for b's gradient, b only for a's

    @staticmethod
    def forward(ctx, c, a, b):
        ctx.save_for_backward(a, b)
        ctx.transposed = (_backend.is_transposed(a), _backend.is_transposed(b))
        # for W.t(): (W @ a^T)^T, faster with OpenBLAS; c broadcasts to the product (its callers check)
        return _backend.add_into(_matmul_for(ctx.transposed[1], _xp(a), a, b), c)

    @staticmethod
    def backward(ctx, g):
        a, b = ctx.saved_tensors
        xp = namespace(g)
        _, need_a, need_b = ctx.needs_input_grad
        ga = _matmul_for(ctx.transposed[0], xp, g, _mT(xp, b)) if need_a else None
        gb = _matmul_for(ctx.transposed[1], xp, _mT(xp, a), g) if need_b else None
        return g, ga, gb


# ========================================================= elementwise math ==
# torch's pointwise math functions (sin ... addcdiv, torch.X / Tensor.X / Tensor.X_).  Operands arrive in
# their result dtype (Tensor casts them first).  Each backward is torch's formula from derivatives.yaml, in
# its order of operations, and each op saves what torch's node saves.

_LN2 = 0.6931471805599453
_LN10 = 2.3025850929940456
_PI_180 = 0.017453292519943295769236907684886127134428718885417          # deg2rad's factor (M_PI_180)
_180_PI = 57.295779513082320876798154814105170332405472466564321549160243861      # rad2deg's (M_180_PI)
_TWO_OVER_SQRT_PI = 1.1283791670955126       # 2 / sqrt(pi)
_HALF_SQRT_PI = 0.886226925452758            # sqrt(pi) / 2


class _OfInput(Op):
    """y = f(a) elementwise, saving a for the gradient; f is the subclass's ``f(xp, a)``."""

    @staticmethod
    def forward(ctx, a):
        ctx.save_for_backward(a)
        return _backend.unary(ctx._fn.f(_xp(a), a), a)


class _OfOutput(Op):
    """y = f(a) elementwise, saving y for the gradient."""

    @staticmethod
    def forward(ctx, a):
        y = _backend.unary(ctx._fn.f(_xp(a), a), a)
        ctx.save_for_backward(y)
        return y


class Sin(_OfInput):
    """y = sin a;  dy/da = cos a"""
    node_name = "SinBackward0"
    f = staticmethod(lambda xp, a: xp.sin(a))

    @staticmethod
    def backward(ctx, g):
        a, = ctx.saved_tensors
        return g * namespace(g).cos(a)


class Cos(_OfInput):
    """y = cos a;  dy/da = -sin a"""
    node_name = "CosBackward0"
    f = staticmethod(lambda xp, a: xp.cos(a))

    @staticmethod
    def backward(ctx, g):
        a, = ctx.saved_tensors
        return g * -namespace(g).sin(a)


class Tan(_OfOutput):
    """y = tan a;  dy/da = 1 + y^2"""
    node_name = "TanBackward0"
    f = staticmethod(lambda xp, a: xp.tan(a))

    @staticmethod
    def backward(ctx, g):
        y, = ctx.saved_tensors
        return g * (1 + y * y)


class Asin(_OfInput):
    """y = asin a;  dy/da = 1/sqrt(1 - a^2)"""
    node_name = "AsinBackward0"
    f = staticmethod(lambda xp, a: xp.asin(a))

    @staticmethod
    def backward(ctx, g):
        a, = ctx.saved_tensors
        return g * (1 / namespace(g).sqrt(-a * a + 1))


class Acos(_OfInput):
    """y = acos a;  dy/da = -1/sqrt(1 - a^2)"""
    node_name = "AcosBackward0"
    f = staticmethod(lambda xp, a: xp.acos(a))

    @staticmethod
    def backward(ctx, g):
        a, = ctx.saved_tensors
        return g * -(1 / namespace(g).sqrt(-a * a + 1))


class Atan(_OfInput):
    """y = atan a;  dy/da = 1/(1 + a^2)"""
    node_name = "AtanBackward0"
    f = staticmethod(lambda xp, a: xp.atan(a))

    @staticmethod
    def backward(ctx, g):
        a, = ctx.saved_tensors
        return g / (a * a + 1)


class Sinh(_OfInput):
    """y = sinh a;  dy/da = cosh a"""
    node_name = "SinhBackward0"
    f = staticmethod(lambda xp, a: xp.sinh(a))

    @staticmethod
    def backward(ctx, g):
        a, = ctx.saved_tensors
        return g * namespace(g).cosh(a)


class Cosh(_OfInput):
    """y = cosh a;  dy/da = sinh a"""
    node_name = "CoshBackward0"
    f = staticmethod(lambda xp, a: xp.cosh(a))

    @staticmethod
    def backward(ctx, g):
        a, = ctx.saved_tensors
        return g * namespace(g).sinh(a)


class Asinh(_OfInput):
    """y = asinh a;  dy/da = 1/sqrt(a^2 + 1)"""
    node_name = "AsinhBackward0"
    f = staticmethod(lambda xp, a: xp.asinh(a))

    @staticmethod
    def backward(ctx, g):
        a, = ctx.saved_tensors
        return g * (1 / namespace(g).sqrt(a * a + 1))


class Acosh(_OfInput):
    """y = acosh a;  dy/da = 1/sqrt(a^2 - 1)"""
    node_name = "AcoshBackward0"
    f = staticmethod(lambda xp, a: xp.acosh(a))

    @staticmethod
    def backward(ctx, g):
        a, = ctx.saved_tensors
        return g * (1 / namespace(g).sqrt(a * a - 1))


class Atanh(_OfInput):
    """y = atanh a;  dy/da = 1/(1 - a^2)"""
    node_name = "AtanhBackward0"
    f = staticmethod(lambda xp, a: xp.atanh(a))

    @staticmethod
    def backward(ctx, g):
        a, = ctx.saved_tensors
        return g / (1 - a * a)


class Log2(_OfInput):
    """y = log2 a;  dy/da = 1/(a ln 2)"""
    node_name = "Log2Backward0"
    f = staticmethod(lambda xp, a: xp.log2(a))

    @staticmethod
    def backward(ctx, g):
        a, = ctx.saved_tensors
        return g / (a * _LN2)


class Log10(_OfInput):
    """y = log10 a;  dy/da = 1/(a ln 10)"""
    node_name = "Log10Backward0"
    f = staticmethod(lambda xp, a: xp.log10(a))

    @staticmethod
    def backward(ctx, g):
        a, = ctx.saved_tensors
        return g / (a * _LN10)


class Log1p(_OfInput):
    """y = ln(1 + a);  dy/da = 1/(1 + a)"""
    node_name = "Log1PBackward0"
    f = staticmethod(lambda xp, a: xp.log1p(a))

    @staticmethod
    def backward(ctx, g):
        a, = ctx.saved_tensors
        return g / (a + 1)


class Expm1(_OfOutput):
    """y = e^a - 1;  dy/da = y + 1"""
    node_name = "Expm1Backward0"
    f = staticmethod(lambda xp, a: xp.expm1(a))

    @staticmethod
    def backward(ctx, g):
        y, = ctx.saved_tensors
        return g * (y + 1)


class Exp2(_OfOutput):
    """y = 2^a;  dy/da = y ln 2"""
    node_name = "Exp2Backward0"
    f = staticmethod(lambda xp, a: _backend.exp2(a))

    @staticmethod
    def backward(ctx, g):
        y, = ctx.saved_tensors
        return g * y * _LN2


class Erf(_OfInput):
    """y = erf a;  dy/da = 2/sqrt(pi) e^(-a^2)"""
    node_name = "ErfBackward0"
    f = staticmethod(lambda xp, a: _backend.erf(a))

    @staticmethod
    def backward(ctx, g):
        a, = ctx.saved_tensors
        return _TWO_OVER_SQRT_PI * namespace(g).exp(-(a * a)) * g


class Erfc(_OfInput):
    """y = 1 - erf a;  dy/da = -2/sqrt(pi) e^(-a^2)"""
    node_name = "ErfcBackward0"
    f = staticmethod(lambda xp, a: _backend.erfc(a))

    @staticmethod
    def backward(ctx, g):
        a, = ctx.saved_tensors
        return -_TWO_OVER_SQRT_PI * namespace(g).exp(-(a * a)) * g


class Erfinv(_OfInput):
    """y = erfinv a;  dy/da = sqrt(pi)/2 e^(erfinv(a)^2)  (erfinv recomputed from the saved a, as torch)"""
    node_name = "ErfinvBackward0"
    f = staticmethod(lambda xp, a: _backend.erfinv(a))

    @staticmethod
    def backward(ctx, g):
        a, = ctx.saved_tensors
        y = Erfinv.apply(a) if _is_tensor(a) else _backend.erfinv(a)
        return _HALF_SQRT_PI * namespace(g).exp(y * y) * g


class Deg2Rad(Op):
    """y = a pi/180;  dy/da = pi/180"""
    node_name = "Deg2RadBackward0"
    _factor = _PI_180

    @staticmethod
    def forward(ctx, a):
        return _backend.preserve(a * ctx._fn._factor, a)      # torch writes into empty_like(a)

    @staticmethod
    def backward(ctx, g):
        return g * ctx._fn._factor


class Rad2Deg(Deg2Rad):
    """y = a 180/pi;  dy/da = 180/pi"""
    node_name = "Rad2DegBackward0"
    _factor = _180_PI


class Trunc(Floor):
    """y = a rounded towards 0;  dy/da = 0"""
    node_name = "TruncBackward0"
    _fn_name = "trunc"


class Frac(Op):
    """y = a - trunc a;  dy/da = 1"""
    node_name = "FracBackward0"

    @staticmethod
    def forward(ctx, a):
        return _backend.unary(a - _xp(a).trunc(a), a)

    @staticmethod
    def backward(ctx, g):
        return g


class Sgn(Op):
    """y = sgn a (sign for real a, 0 at nan);  dy/da = 0 for real a (torch saves a and y for the complex
    formula)"""
    node_name = "SgnBackward0"

    @staticmethod
    def forward(ctx, a):
        y = _backend.unary(_torch_sign(_xp(a), a), a)
        ctx.save_for_backward(a, y)
        return y

    @staticmethod
    def backward(ctx, g):
        ctx.saved_tensors       # the version checks
        return namespace(g).zeros_like(g)


class NanToNum(Op):
    """y = a with nan, +inf and -inf replaced by numbers;  dy/da = 1 where a is finite, else 0"""
    node_name = "NanToNumBackward0"

    @staticmethod
    def forward(ctx, a, *, nan, posinf, neginf):
        ctx.save_for_backward(a)
        xp = _xp(a)
        y = xp.where(a != a, nan, xp.where(a == math.inf, posinf, xp.where(a == -math.inf, neginf, a)))
        return _backend.preserve(y, a)       # torch writes into empty_like(a): clone's layout

    @staticmethod
    def backward(ctx, g):
        a, = ctx.saved_tensors
        xp = namespace(g)
        return g * xp.astype(xp.isfinite(a), g.dtype)


class Logit(Op):
    """y = ln(x/(1-x)) with x = a clamped to [eps, 1-eps] when eps is given;  dy/da = 1/(a(1-a)) inside the
    bounds, 0 outside them (nan outside [0, 1] without eps)"""
    node_name = "LogitBackward0"

    @staticmethod
    def forward(ctx, a, *, eps=None):
        ctx.save_for_backward(a)
        ctx.eps = eps
        xp = _xp(a)
        x = a
        if eps is not None and eps >= 0:      # torch's kernel clamps only then (a nan eps clamps nothing)
            lo, hi = _logit_bounds(a, eps)
            x = xp.where(a < lo, lo, xp.where(a > hi, hi, a))
        with np.errstate(divide="ignore", invalid="ignore"):
            y = xp.where(x == 1, math.inf, xp.log(x / (1 - x)))
        return _backend.unary(y, a)

    @staticmethod
    def backward(ctx, g):
        a, = ctx.saved_tensors
        xp = namespace(g)
        eps = ctx.eps
        if _is_tensor(g):      # torch's infinitely differentiable formula, used under grad mode
            inside = g / (a * (1 - a))
            if eps is None:
                return xp.where((a >= 0) & (a <= 1), inside, math.nan)
            lo, hi = 1.0 * eps, 1.0 - eps
            return xp.where((a >= lo) & (a <= hi), inside, 0.0)
        # torch's logit_backward kernel: eps None (or < 0) gives nan outside [0, 1]; at 0 and 1, g * inf
        with np.errstate(divide="ignore", invalid="ignore"):
            inside = xp.where((a == 0) | (a == 1), g * math.inf, g / (a * (1 - a)))
        if eps is None or eps < 0:
            return xp.where((a < 0) | (a > 1), math.nan, inside)
        lo, hi = _logit_bounds(a, eps)
        return xp.where((a < lo) | (a > hi), 0.0, inside)


def _logit_bounds(a, eps):
    """eps and 1 - eps as the kernel has them: in a's dtype."""
    dt = np.dtype(_backend.dtype_name(a.dtype))
    lo = dt.type(eps)
    return float(lo), float(dt.type(1) - lo)


# -- binary --

class Atan2(Op):
    """y = atan2(a, b);  dy/da = b/(a^2 + b^2),  dy/db = -a/(a^2 + b^2)  (0 where a^2 + b^2 is 0, as torch)"""
    node_name = "Atan2Backward0"

    @staticmethod
    def forward(ctx, a, b):
        ctx.save_for_backward(b, a)       # torch's order (its version checks report the first changed one)
        return _backend.binary(_xp(a).atan2(a, b), a, b)

    @staticmethod
    def backward(ctx, g):
        b, a = ctx.saved_tensors
        need_a, need_b = ctx.needs_input_grad
        d = a * a + b * b
        with np.errstate(divide="ignore"):
            recip = namespace(g).where(d == 0, 0.0, 1 / d)
        return (g * b * recip if need_a else None), (g * -a * recip if need_b else None)


class Hypot(Op):
    """y = sqrt(a^2 + b^2);  dy/da = a/y,  dy/db = b/y"""
    node_name = "HypotBackward0"
    saved_for = ((1,), (0,), (0, 1))

    @staticmethod
    def forward(ctx, a, b):
        y = _backend.binary(_xp(a).hypot(a, b), a, b)
        ctx.save_for_backward(b, a, y)     # torch's order
        return y

    @staticmethod
    def backward(ctx, g):
        b, a, y = ctx.saved_tensors
        need_a, need_b = ctx.needs_input_grad
        return (g * a / y if need_a else None), (g * b / y if need_b else None)


def _xlogy(x, y):
    """x ln y, 0 where x == 0 (unless y is nan): torch's kernel, on arrays or (differentiably) Tensors."""
    if _is_tensor(x) or _is_tensor(y):
        return Xlogy.apply(x, y)
    if not hasattr(x, "shape"):          # a number times the log of an array
        xp = _xp(y)
        with np.errstate(divide="ignore", invalid="ignore"):
            out = x * xp.log(y) if x != 0 else xp.zeros_like(y)
        return xp.where(y != y, math.nan, out)
    xp = _xp(x)
    if not hasattr(y, "shape"):          # an array times the log of a number
        if y != y:
            return xp.full_like(x, math.nan)
        log_y = math.log(y) if y > 0 else (-math.inf if y == 0 else math.nan)
        with np.errstate(invalid="ignore"):
            return xp.where(x == 0, 0.0, x * log_y)
    with np.errstate(divide="ignore", invalid="ignore"):
        out = xp.where(x == 0, 0.0, x * xp.log(y))
    return xp.where(y != y, math.nan, out)


class Xlogy(Op):
    """y = a ln b (0 at a == 0, nan at b nan);  dy/da = ln b (0 where a == 0 and b <= 0),  dy/db = a/b"""
    node_name = "XlogyBackward0"

    @staticmethod
    def forward(ctx, a, b):
        ctx.save_for_backward(b, a)       # torch's order
        return _backend.binary(_xlogy(a, b), a, b)

    @staticmethod
    def backward(ctx, g):
        b, a = ctx.saved_tensors
        need_a, need_b = ctx.needs_input_grad
        xp = namespace(g)
        ga = xp.where((a == 0) & (b <= 0), 0.0, _xlogy(g, b)) if need_a else None
        return ga, (g * a / b if need_b else None)


class XlogyScalarSelf(Op):
    """y = c ln b for a number c;  dy/db = c/b"""
    node_name = "XlogyBackward1"

    @staticmethod
    def forward(ctx, b, *, c):
        ctx.save_for_backward(b)
        ctx.c = c
        return _backend.binary(_xlogy(c, b), c, b)

    @staticmethod
    def backward(ctx, g):
        b, = ctx.saved_tensors
        return g * ctx.c / b


class XlogyScalarOther(Op):
    """y = a ln c for a number c;  dy/da = ln c (0 where a == 0 if c <= 0)"""
    node_name = "XlogyBackward2"

    @staticmethod
    def forward(ctx, a, *, c):
        ctx.save_for_backward(a)
        ctx.c = c
        return _backend.binary(_xlogy(a, c), a, c)

    @staticmethod
    def backward(ctx, g):
        a, = ctx.saved_tensors
        c = ctx.c
        ga = _xlogy(g, c) if not _is_tensor(g) else Xlogy.apply(g, _scalar_like(g, c))
        return ga if c > 0 else namespace(g).where(a == 0, 0.0, ga)


def _scalar_like(t, c):
    """The number c as a 0-d Tensor of t's dtype and device (an operand that needs no gradient)."""
    return t.new_tensor(c)


def _div_rounded(a, b, mode):
    """a / b rounded towards -inf ("floor") or 0 ("trunc"), as torch's div(rounding_mode=...), on arrays or
    (recorded, with derivative 0) Tensors."""
    if _is_tensor(a) or _is_tensor(b):
        return DivRounded.apply(a, b, mode=mode)
    xp = _xp(a)
    return xp.floor_divide(a, b) if mode == "floor" else xp.trunc(a / b)


class DivRounded(Op):
    """y = a / b rounded (floor or trunc);  dy/da = dy/db = 0 (torch records it, with zero gradients)"""
    node_name = "DivBackward2"

    @staticmethod
    def forward(ctx, a, b, *, mode):
        return _backend.binary(_div_rounded(a, b, mode), a, b)

    @staticmethod
    def backward(ctx, g):
        need_a, need_b = ctx.needs_input_grad
        zeros = namespace(g).zeros_like(g)
        return (zeros if need_a else None), (zeros if need_b else None)


class Fmod(Op):
    """y = fmod(a, b) (the sign of a);  dy/da = 1,  dy/db = -trunc(a/b)"""
    node_name = "FmodBackward1"
    saved_for = ((1,), (1,))

    @staticmethod
    def forward(ctx, a, b):
        ctx.save_for_backward(b, a)       # torch's order
        return _backend.binary(_backend.fmod(a, b), a, b)

    @staticmethod
    def backward(ctx, g):
        b, a = ctx.saved_tensors
        need_a, need_b = ctx.needs_input_grad
        return (g if need_a else None), (-g * _div_rounded(a, b, "trunc") if need_b else None)


class FmodScalar(Op):
    """y = fmod(a, c) for a number c;  dy/da = 1"""
    node_name = "FmodBackward0"

    @staticmethod
    def forward(ctx, a, *, c):
        return _backend.binary(_backend.fmod(a, c), a, c)

    @staticmethod
    def backward(ctx, g):
        return g


def _remainder(a, b):
    """Python's modulo (the sign of b): torch's kernel, fmod then a shift by b (so -4 % 2 is -0.0)."""
    xp = _xp(a) if hasattr(a, "shape") else _xp(b)
    if not hasattr(a, "shape"):
        a = _backend.full(b.shape, a, like=b)
    if not _backend.is_floating(a.dtype):
        return xp.remainder(a, b)
    m = _backend.fmod(a, b)
    return xp.where((m != 0) & ((m < 0) != (b < 0)), m + b, m)


class Remainder(Op):
    """y = a mod b (the sign of b);  dy/da = 1,  dy/db = -floor(a/b)"""
    node_name = "RemainderBackward1"
    saved_for = ((1,), (1,))

    @staticmethod
    def forward(ctx, a, b):
        ctx.save_for_backward(b, a)       # torch's order
        return _backend.binary(_remainder(a, b), a, b)

    @staticmethod
    def backward(ctx, g):
        b, a = ctx.saved_tensors
        need_a, need_b = ctx.needs_input_grad
        return (g if need_a else None), (-g * _div_rounded(a, b, "floor") if need_b else None)


class RemainderScalar(Op):
    """y = a mod c for a number c;  dy/da = 1"""
    node_name = "RemainderBackward0"

    @staticmethod
    def forward(ctx, a, *, c):
        return _backend.binary(_remainder(a, c), a, c)

    @staticmethod
    def backward(ctx, g):
        return g


class RemainderScalarSelf(Op):
    """y = c mod b for a number c: torch has no derivative for it (its node raises in backward)"""
    node_name = "torch::autograd::NotImplemented"

    @staticmethod
    def forward(ctx, b, *, c):
        return _backend.binary(_remainder(c, b), c, b)

    @staticmethod
    def backward(ctx, g):
        raise RuntimeError("derivative for aten::remainder is not implemented")


class Copysign(Op):
    """y = |a| with the sign of b;  dy/da = y/a (0 at a == 0),  dy/db = 0"""
    node_name = "CopysignBackward0"
    saved_for = ((0,), (0,))

    @staticmethod
    def forward(ctx, a, b):
        y = _backend.binary(_xp(a).copysign(a, b), a, b)
        ctx.save_for_backward(a, y)
        return y

    @staticmethod
    def backward(ctx, g):
        a, y = ctx.saved_tensors
        need_a, need_b = ctx.needs_input_grad
        ga = _copysign_grad(g, a, y) if need_a else None
        return ga, (namespace(g).zeros_like(g) if need_b else None)


def _copysign_grad(g, a, y):
    xp = namespace(g)
    with np.errstate(divide="ignore", invalid="ignore"):
        return g * xp.where(a == 0, 0.0, y / a)


class CopysignScalar(Op):
    """y = |a| with the sign of the number c;  dy/da = y/a (0 at a == 0)"""
    node_name = "CopysignBackward1"

    @staticmethod
    def forward(ctx, a, *, c):
        y = _backend.binary(_xp(a).copysign(a, c), a, c)
        ctx.save_for_backward(a, y)
        return y

    @staticmethod
    def backward(ctx, g):
        a, y = ctx.saved_tensors
        return _copysign_grad(g, a, y)


# -- three operands --

def _lerp(xp, a, b, w):
    """a + w (b - a), as torch computes it: from the nearer end, so w = 1 gives b exactly."""
    if not hasattr(w, "shape"):
        return a + w * (b - a) if abs(w) < 0.5 else b - (b - a) * (1 - w)
    return xp.where(xp.abs(w) < 0.5, a + w * (b - a), b - (b - a) * (1 - w))


class LerpScalar(Op):
    """y = a + w (b - a) for a number w;  dy/da = 1 - w,  dy/db = w"""
    node_name = "LerpBackward0"

    @staticmethod
    def forward(ctx, a, b, *, weight):
        ctx.weight = weight
        return _backend.elementwise(_lerp(_xp(a), a, b, weight), a, b)

    @staticmethod
    def backward(ctx, g):
        need_a, need_b = ctx.needs_input_grad
        w = ctx.weight
        return (g * (1 - w) if need_a else None), (g * w if need_b else None)


class Lerp(Op):
    """y = a + w (b - a);  dy/da = 1 - w,  dy/db = w,  dy/dw = b - a"""
    node_name = "LerpBackward1"
    saved_for = ((2,), (2,), (0, 1))

    @staticmethod
    def forward(ctx, a, b, w):
        ctx.save_for_backward(b, a, w)    # torch's order: end, self, weight
        return _backend.elementwise(_lerp(_xp(a), a, b, w), a, b, w)

    @staticmethod
    def backward(ctx, g):
        b, a, w = ctx.saved_tensors
        need_a, need_b, need_w = ctx.needs_input_grad
        return (g * (1 - w) if need_a else None), (g * w if need_b else None), (g * (b - a) if need_w else None)


class Addcmul(Op):
    """y = a + v t1 t2 for a number v;  dy/da = 1,  dy/dt1 = v t2,  dy/dt2 = v t1"""
    node_name = "AddcmulBackward0"
    saved_for = ((2,), (1,))

    @staticmethod
    def forward(ctx, a, t1, t2, *, value):
        ctx.save_for_backward(t1, t2)
        ctx.value = value
        return _backend.elementwise(a + value * t1 * t2, a, t1, t2)

    @staticmethod
    def backward(ctx, g):
        t1, t2 = ctx.saved_tensors
        need_a, need_1, need_2 = ctx.needs_input_grad
        v = ctx.value
        return (g if need_a else None), (g * (t2 * v) if need_1 else None), (g * (t1 * v) if need_2 else None)


class Addcdiv(Op):
    """y = a + v t1 / t2 for a number v;  dy/da = 1,  dy/dt1 = v / t2,  dy/dt2 = -v t1 / t2^2"""
    node_name = "AddcdivBackward0"
    saved_for = ((2,), (1, 2))

    @staticmethod
    def forward(ctx, a, t1, t2, *, value):
        ctx.save_for_backward(t1, t2)
        ctx.value = value
        return _backend.elementwise(a + value * t1 / t2, a, t1, t2)

    @staticmethod
    def backward(ctx, g):
        t1, t2 = ctx.saved_tensors
        need_a, need_1, need_2 = ctx.needs_input_grad
        v = ctx.value
        g1 = g * (v / t2) if need_1 else None
        g2 = -g * (v * t1 / (t2 * t2)) if need_2 else None
        return (g if need_a else None), g1, g2


class _InplaceNotDifferentiable(Op):
    """torch's asinh_/acosh_/atanh_: the same values, recorded by a node whose backward raises (torch has no
    derivative for these in-place versions)."""

    @staticmethod
    def forward(ctx, a):
        return _backend.unary(ctx._fn.f(_xp(a), a), a)

    @staticmethod
    def backward(ctx, g):
        raise NotImplementedError(f"the derivative for 'inplace version of {ctx._fn._name}' is not implemented.")


class AsinhInplace(_InplaceNotDifferentiable):
    node_name = "AsinhBackward1"
    _name = "asinh"
    f = Asinh.f


class AcoshInplace(_InplaceNotDifferentiable):
    node_name = "AcoshBackward1"
    _name = "acosh"
    f = Acosh.f


class AtanhInplace(_InplaceNotDifferentiable):
    node_name = "AtanhBackward1"
    _name = "atanh"
    f = Atanh.f


# ===================================================== reductions and scans ==
# torch's scans (cumsum, cumprod, cummax, cummin) and the reductions logsumexp, nansum, aminmax, var_mean and
# std_mean.  Each backward is torch's formula (derivatives.yaml / FunctionsManual.cpp) and each op saves what
# torch's node saves.  Tensor.X / minigrad.X are in _tensor.py / __init__.py.

def _scan(xp, name, a, axis):
    """The array API's cumulative_sum/cumulative_prod (NumPy >= 2.1), else the backend's cumsum/cumprod."""
    fn = getattr(xp, "cumulative_" + name, None)
    if fn is not None:
        return fn(a, axis=axis)
    return getattr(xp, "cum" + name)(a, axis=axis)


class Flip(Op):
    """y = a reversed along dims;  dy/da = g reversed along them (torch's flip; reversed_cumsum's, here)"""
    node_name = "FlipBackward0"

    @staticmethod
    def forward(ctx, a, *, dims):
        ctx.dims = dims
        return _backend.contiguous(_xp(a).flip(a, axis=dims))

    @staticmethod
    def backward(ctx, g):
        return _reversed(g, ctx.dims)


def _reversed(x, axis):
    """x reversed along axis (differentiable under create_graph)."""
    if _is_tensor(x):
        return Flip.apply(x, dims=axis)
    return _xp(x).flip(x, axis=axis)


def _cumsum_any(x, axis):
    if _is_tensor(x):
        return Cumsum.apply(x, dim=axis)
    return _scan(_xp(x), "sum", x, axis)


def _reversed_cumsum(x, axis):
    """torch's reversed_cumsum: flip, cumsum, flip."""
    return _reversed(_cumsum_any(_reversed(x, axis), axis), axis)


def _scan_axis(a, dim):
    """(a viewed as at least 1-d, its axis): torch scans a 0-d tensor as one element."""
    if a.ndim:
        return a, dim % a.ndim
    return _xp(a).reshape(a, (1,)), 0


class Cumsum(Op):
    """y_i = sum_{j <= i} a_j along dim;  dy/da = the reversed cumulative sum of g (torch's cumsum_backward)"""
    node_name = "CumsumBackward0"

    @staticmethod
    def forward(ctx, a, *, dim):
        ctx.shape = a.shape
        a1, ctx.axis = _scan_axis(a, dim)
        return _backend.contiguous(_xp(a).reshape(_scan(_xp(a), "sum", a1, ctx.axis), a.shape))

    @staticmethod
    def backward(ctx, g):
        if math.prod(ctx.shape) <= 1 or (ctx.shape and ctx.shape[ctx.axis] == 1):
            return g
        return _reversed_cumsum(g, ctx.axis)


class Cumprod(Op):
    """y_i = prod_{j <= i} a_j along dim;  dy/da_k = sum_{j >= k} g_j prod_{m <= j, m != k} a_m
    (torch's cumprod_backward: reversed_cumsum(g y) / a without zeros, else products that skip a_k)"""
    node_name = "CumprodBackward0"

    @staticmethod
    def forward(ctx, a, *, dim):
        a1, ctx.axis = _scan_axis(a, dim)
        y = _backend.contiguous(_xp(a).reshape(_scan(_xp(a), "prod", a1, ctx.axis), a.shape))
        ctx.save_for_backward(a, y)
        return y

    @staticmethod
    def backward(ctx, g):
        a, y = ctx.saved_tensors
        xp = namespace(g)
        shape, axis = tuple(a.shape), ctx.axis
        if math.prod(shape) <= 1 or shape[axis] == 1:
            return g
        if not bool(xp.any(a == 0) if not _is_tensor(a) else (a == 0).any()):
            return _reversed_cumsum(y * g, axis) / a
        if not _is_tensor(g):
            return _cumprod_grad_with_zeros(xp, g, a, y, axis)
        # with zeros, under create_graph: for each k, omega_jk = prod_{m < k} a_m * prod_{k < m <= j} a_m (j >= k),
        # torch's differentiable O(n^2) branch
        n = shape[axis]
        take = (lambda x, lo, hi: x[(slice(None),) * axis + (slice(lo, hi), Ellipsis)])
        ones_shape = tuple(1 if i == axis else s for i, s in enumerate(shape))
        parts = []
        for k in range(n):
            pieces = []
            if k > 0:
                before = xp.prod(take(a, 0, k), axis=axis, keepdims=True)
                pieces.append(before)
            else:
                before = None
            if k < n - 1:
                after = _cumprod_any(take(a, k + 1, n), axis)
                pieces.append(after if before is None else before * after)
            if before is None:
                pieces.insert(0, _ones_like_shape(g, ones_shape))
            omega = pieces[0] if len(pieces) == 1 else _concat(pieces, axis)
            parts.append(xp.sum(take(g, k, n) * omega, axis=axis, keepdims=True))
        return _concat(parts, axis)


def _cumprod_grad_with_zeros(xp, g, a, y, axis):
    """torch's O(n) cumprod gradient for inputs with zeros (an ordinary backward): before the first zero of a
    lane reversed_cumsum(g y) / a; at the first zero sum_{z1 <= j < z2} g_j prod_{z1 < m <= j} a_m times
    y_{z1-1}; 0 after it."""
    int64 = _backend.backend_dtype(xp, "int64")
    zeros = _scan(xp, "sum", xp.astype(a == 0, int64), axis)
    before = zeros == 0
    zero_g = xp.zeros_like(g)
    safe_a = xp.where(before, a, xp.ones_like(a))
    out = xp.where(before, _reversed_cumsum(xp.where(before, y * g, zero_g), axis) / safe_a, zero_g)
    span = zeros == 1
    first = xp.argmax(xp.astype(span, int64), axis=axis, keepdims=True)
    positions = xp.reshape(_backend.arange(a.shape[axis], like=first),
                           tuple(-1 if i == axis else 1 for i in range(a.ndim)))
    at_first = (positions == first) & span
    rest = span & ~at_first
    partial = _scan(xp, "prod", xp.where(rest, a, xp.ones_like(a)), axis)
    total = xp.sum(partial * xp.where(span, g, zero_g), axis=axis, keepdims=True)
    prev = xp.take_along_axis(y, xp.where(first > 0, first - 1, xp.zeros_like(first)), axis=axis)
    total = total * xp.where(first == 0, xp.ones_like(prev), prev)
    return xp.where(at_first, total, out)


def _cumprod_any(x, axis):
    if _is_tensor(x):
        return Cumprod.apply(x, dim=axis)
    return _scan(_xp(x), "prod", x, axis)


def _ones_like_shape(like, shape):
    if _is_tensor(like):
        from ._tensor import Tensor
        return Tensor._make(_backend.full(shape, 1, like=like._data))
    return _backend.full(shape, 1, like=like)


def _concat(parts, axis):
    if _is_tensor(parts[0]):
        from ._tensor import cat
        return cat(parts, axis)
    return _xp(parts[0]).concat(parts, axis=axis)


class _CumExtreme(Op):
    """(values, indices) = running max (cummax) or min (cummin) along dim, with torch's ties: the index of the
    last element equal to the running value (its >= / <=), and of the last NaN once a NaN was seen;
    dy/da = g scattered-added to the indices (torch's cummaxmin_backward)"""
    saved_for = ((0,), (0,))

    @staticmethod
    def forward(ctx, a, *, dim):
        xp = _xp(a)
        a1, axis = _scan_axis(a, dim)
        idx = _cum_extreme_indices(xp, a1, axis, ctx._fn._reduce)
        values = xp.reshape(xp.take_along_axis(a1, idx, axis=axis), a.shape)
        idx = xp.reshape(idx, a.shape)
        ctx.shape, ctx.axis = a.shape, axis
        values, idx = _backend.contiguous(values), _backend.contiguous(idx)
        ctx.save_for_backward(a, idx)        # torch's node saves self and the indices
        ctx.mark_non_differentiable(idx)
        return values, idx

    @staticmethod
    def backward(ctx, g, _g_indices=None):
        a, idx = ctx.saved_tensors
        shape = tuple(ctx.shape)
        if not math.prod(shape):
            return g
        if not shape:
            return g
        if _is_tensor(idx):
            idx = idx._data
        xp = _xp(idx)
        if xp is not np and xp is not _backend._cupy:
            return _add_at_indices_one_hot(g, idx, ctx.axis)
        index = _scatter_index(idx, ctx.axis)
        if _is_tensor(g):
            return IndexAddToZeros.apply(g, index=index, shape=shape, basic=False)
        return index_add_to_zeros(g, index, shape, basic=False)


def _add_at_indices_one_hot(g, idx, axis):
    """zeros with g_i added at idx_i along axis, for array libraries without scatter-add (the array API):
    sum_i g_i [idx_i == j] through an (n x n) one-hot per lane (differentiable under create_graph)."""
    xp = _xp(idx)
    n = idx.shape[axis]
    positions = xp.reshape(_backend.arange(n, like=idx), tuple(-1 if i == axis + 1 else 1
                                                                 for i in range(idx.ndim + 1)))
    one_hot = xp.expand_dims(idx, axis=axis + 1) == positions            # [..., i, j, ...]
    if _is_tensor(g):
        from ._tensor import Tensor
        w = Tensor._make(xp.astype(one_hot, g._data.dtype))
        return (g.unsqueeze(axis + 1) * w).sum(dim=axis)
    return xp.sum(xp.expand_dims(g, axis=axis + 1) * xp.astype(one_hot, g.dtype), axis=axis)


def _scatter_index(idx, axis):
    """The advanced index that puts element i of ``idx``'s lane at position idx[i] along axis."""
    xp = _xp(idx)
    out = []
    for d, n in enumerate(idx.shape):
        if d == axis:
            out.append(idx)
        else:
            r = _backend.arange(n, like=idx)
            out.append(xp.broadcast_to(xp.reshape(r, tuple(-1 if i == d else 1 for i in range(idx.ndim))),
                                       idx.shape))
    return tuple(out)


def _cum_extreme_indices(xp, a, axis, reduce):
    """int64 indices of torch's cummax/cummin: the last j <= i where a_j equals the running extreme (or is
    NaN, once one was seen)."""
    int64 = _backend.backend_dtype(xp, "int64")
    n = a.shape[axis]
    floating = _backend.is_floating(a.dtype)
    if xp is np:
        ufunc = np.maximum if reduce == "max" else np.minimum
        run = ufunc.accumulate(a, axis=axis) if n else a
        hit = (a == run) | (a != a) if floating else a == run
        positions = np.arange(n, dtype=np.int64).reshape(tuple(-1 if i == axis else 1 for i in range(a.ndim)))
        return np.maximum.accumulate(np.where(hit, positions, 0), axis=axis) if n else \
            np.zeros(a.shape, np.int64)
    # other backends: one vectorized step per position along the axis (torch's loop)
    if a.dtype == _backend.backend_dtype(xp, "bool"):      # the array API orders numbers only
        a = xp.astype(a, _backend.backend_dtype(xp, "int8"))
    take = (lambda x, i: x[(slice(None),) * axis + (slice(i, i + 1), Ellipsis)])
    out = [None] * n
    best = idx = None
    for i in range(n):
        cur = take(a, i)
        if i == 0:
            best, idx = cur, xp.astype(_backend.zeros(cur.shape, like=cur), int64)
        else:
            better = cur >= best if reduce == "max" else cur <= best
            if floating:
                better = (cur != cur) | ((best == best) & better)
            best = xp.where(better, cur, best)
            idx = xp.where(better, _backend.full(cur.shape, i, like=idx), idx)
        out[i] = idx
    return xp.concat(out, axis=axis) if n else xp.astype(_backend.zeros(a.shape, like=a), int64)


class Cummax(_CumExtreme):
    node_name = "CummaxBackward0"
    _reduce = "max"


class Cummin(_CumExtreme):
    node_name = "CumminBackward0"
    _reduce = "min"


class Logsumexp(Op):
    """y = log sum exp a over dims (shifted by the finite max);  dy/da = g exp(a - y)"""
    node_name = "LogsumexpBackward0"

    @staticmethod
    def forward(ctx, a, *, dim, keepdim=False):
        xp = _xp(a)
        ctx.shape, ctx.axes, ctx.keepdim = a.shape, _axes(dim, a.ndim), keepdim
        if math.prod(a.shape):
            m = xp.max(a, axis=ctx.axes, keepdims=True)
            m = xp.where(xp.abs(m) == math.inf, xp.zeros_like(m), m)
            s = xp.sum(xp.exp(a - m), axis=ctx.axes, keepdims=keepdim)
            y = xp.log(s) + (m if keepdim else xp.reshape(m, s.shape))
        else:
            y = xp.log(xp.sum(xp.exp(a), axis=ctx.axes, keepdims=keepdim))
        y = _backend.contiguous(y)
        ctx.save_for_backward(a, y)
        return y

    @staticmethod
    def backward(ctx, g):
        a, y = ctx.saved_tensors
        xp = namespace(g)
        if not ctx.keepdim and len(ctx.shape):
            g = _expand_back(g, ctx.shape, ctx.axes, False)
            y = _expand_back(y, ctx.shape, ctx.axes, False)
        return g * xp.exp(a - y)


class Nansum(Op):
    """y = sum of the non-NaN elements over dims;  dy/da = 1 where a is not NaN, else 0"""
    node_name = "NansumBackward0"

    @staticmethod
    def forward(ctx, a, *, dim=None, keepdim=False):
        xp = _xp(a)
        ctx.shape, ctx.axes, ctx.keepdim = a.shape, _axes(dim, a.ndim), keepdim
        ctx.save_for_backward(a)
        clean = xp.where(a != a, xp.zeros_like(a), a) if _backend.is_floating(a.dtype) else a
        return _backend.contiguous(_backend.sum(clean, axis=ctx.axes, keepdims=keepdim))

    @staticmethod
    def backward(ctx, g):
        a, = ctx.saved_tensors
        xp = namespace(g)
        return _expand_back(g, ctx.shape, ctx.axes, ctx.keepdim) * xp.astype(a == a, g.dtype)


class Aminmax(Op):
    """(min, max) over dim (or all);  dy/da = g_min split evenly between the minima + g_max between the
    maxima (torch's amin/amax rule)"""
    node_name = "AminmaxBackward0"

    @staticmethod
    def forward(ctx, a, *, dim=None, keepdim=False):
        xp = _xp(a)
        ctx.shape, ctx.axes, ctx.keepdim = a.shape, _axes(dim, a.ndim), keepdim
        b = a
        if a.dtype == _backend.backend_dtype(xp, "bool"):      # the array API orders numbers only
            b = xp.astype(a, _backend.backend_dtype(xp, "int8"))
        lo = _backend.contiguous(xp.astype(xp.min(b, axis=ctx.axes, keepdims=keepdim), a.dtype))
        hi = _backend.contiguous(xp.astype(xp.max(b, axis=ctx.axes, keepdims=keepdim), a.dtype))
        ctx.save_for_backward(a, lo, hi)
        ctx.set_materialize_grads(False)     # torch adds the terms of the gradients it got
        return lo, hi

    @staticmethod
    def backward(ctx, g_min, g_max):
        a, lo, hi = ctx.saved_tensors
        xp = namespace(g_min if g_min is not None else g_max)
        out = 0
        for g, y in ((g_min, lo), (g_max, hi)):
            if g is None:
                continue
            hit = xp.astype(a == _expand_back(y, ctx.shape, ctx.axes, ctx.keepdim), a.dtype)
            count = xp.sum(hit, axis=ctx.axes, keepdims=True)
            out = out + _expand_back(g, ctx.shape, ctx.axes, ctx.keepdim) * hit / count
        return out


class VarMean(Op):
    """(var, mean) over dims;  dy/da = 2 (a - mean) g_var / (n - c) + g_mean / n"""
    node_name = "VarMeanBackward0"
    _root = False

    @staticmethod
    def forward(ctx, a, *, dim=None, correction=1, keepdim=False):
        xp = _xp(a)
        ctx.shape, ctx.axes, ctx.keepdim = a.shape, _axes(dim, a.ndim), keepdim
        ctx.n = math.prod(a.shape[i] for i in ctx.axes)
        ctx.dof = ctx.n - correction
        root = ctx._fn._root
        _warn_dof("std_mean" if root else "var_mean", ctx.dof)
        v = _backend.contiguous(_wide_var(xp, a, ctx.axes, keepdim, ctx.dof, root=root))
        mean = _backend.contiguous(_divide_by(xp.sum(a, axis=ctx.axes, keepdims=keepdim), ctx.n))
        ctx.save_for_backward(*((a, v) if root else (a,)))     # std_mean's node saves the std too
        ctx.set_materialize_grads(False)     # torch adds the terms of the gradients it got
        return v, mean

    @staticmethod
    def backward(ctx, g_var, g_mean):
        saved = ctx.saved_tensors
        a = saved[0]
        xp = namespace(g_var if g_var is not None else g_mean)
        gv = None
        if g_var is None:
            pass
        elif ctx._fn._root:
            y = saved[1]
            zero = y == 0
            scale = xp.where(zero, 0.0, _divide_by(g_var / xp.where(zero, 1.0, y), ctx.dof))
            gv = _expand_back(scale, ctx.shape, ctx.axes, ctx.keepdim) * _centered(xp, a, ctx.axes)
        else:
            gv = _divide_by(_expand_back(g_var, ctx.shape, ctx.axes, ctx.keepdim) * _centered(xp, a, ctx.axes) * 2,
                            ctx.dof)
        if g_mean is None:
            return gv
        gm = _expand_back(g_mean, ctx.shape, ctx.axes, ctx.keepdim)
        gm = gm / ctx.n if ctx.n else gm * math.inf
        return gm if gv is None else gv + gm


class StdMean(VarMean):
    """(std, mean) over dims;  dy/da = (a - mean) g_std / ((n - c) std) (0 where std == 0) + g_mean / n"""
    node_name = "StdMeanBackward0"
    _root = True


# -- order statistics: median, nanmedian, kthvalue, mode --
# torch's CPU kernels pick the index among equal values deterministically: median/nanmedian by nth_element with
# ties broken by position (so the element at the median's rank in a stable sort, NaNs last), kthvalue by its own
# quickselect (quick_select_template, ported below for the lanes where the k-th value is tied), mode by the last
# element of the mode's run after std::sort (a stable insertion sort for lanes of up to 16 elements).

def _host(xp, a):
    """a backend array as NumPy (the Python loops below run on the host)."""
    return np.asarray(a) if xp is np else _backend.to_numpy(a)


def _int64_like(xp, host, like):
    """int64 host indices on ``like``'s device."""
    return host if xp is np else _backend.asarray(np.ascontiguousarray(host, dtype=np.int64),
                                                   _backend.device_of(like))


def _lane_rank(xp, a, axis, ignore_nan):
    """Indices (keepdims) of median (ignore_nan False) or nanmedian along axis."""
    int64 = _backend.backend_dtype(xp, "int64")
    n = a.shape[axis]
    order = xp.argsort(a, axis=axis, stable=True)          # NaNs last, equal values in position order
    if _backend.is_floating(a.dtype):
        isnan = a != a
        nans = xp.sum(xp.astype(isnan, int64), axis=axis, keepdims=True)
    else:
        isnan, nans = None, xp.astype(_backend.zeros(order.shape[:axis] + (1,) + order.shape[axis + 1:],
                                                     like=order), int64)
    if ignore_nan:
        rank = xp.where(n - nans > 0, (n - nans - 1) // 2, xp.zeros_like(nans))
    else:
        rank = nans * 0 + (n - 1) // 2
    idx = xp.take_along_axis(order, xp.astype(rank, order.dtype), axis=axis)
    if isnan is not None and not ignore_nan:               # median: the first NaN, if any
        first_nan = xp.argmax(xp.astype(isnan, int64), axis=axis, keepdims=True)
        idx = xp.where(nans > 0, xp.astype(first_nan, idx.dtype), idx)
    elif isnan is not None:                                # nanmedian of NaNs only: where nth_element leaves
        idx = xp.where(nans == n, xp.astype(nans * 0 + _nth_of_equivalent(n), idx.dtype), idx)
    return xp.astype(idx, int64)


def _nth_of_equivalent(n):
    """The position libstdc++'s std::nth_element(first, first, last) moves to the front when no element is less
    than another (nanmedian of a lane of NaNs): its introselect's partitions, replayed on the positions."""
    idx = list(range(n))
    first, last = 0, n
    while last - first > 3:
        mid = first + (last - first) // 2
        idx[first], idx[mid] = idx[mid], idx[first]      # __move_median_to_first: every comparison false
        lo, hi = first + 1, last
        while True:                                      # __unguarded_partition: every comparison false
            hi -= 1
            if not lo < hi:
                break
            idx[lo], idx[hi] = idx[hi], idx[lo]
            lo += 1
        if lo <= 0:
            first = lo
        else:
            last = lo
    return idx[0]


def _quick_select(vals, k):
    """torch's quick_select_template (NaN greater than everything): the index the k-th value ends with."""
    arr, idx = list(vals), list(range(len(vals)))

    def gt(x, y):
        return (x != x and y == y) or x > y

    def swap(i, j):
        arr[i], arr[j] = arr[j], arr[i]
        idx[i], idx[j] = idx[j], idx[i]
    lo, hi = 0, len(arr) - 1
    while hi > lo:
        if hi == lo + 1:
            if gt(arr[lo], arr[hi]):
                swap(lo, hi)
            break
        p = lo + (hi - lo) // 2
        swap(p, lo + 1)
        if gt(arr[lo + 1], arr[hi]):
            swap(lo + 1, hi)
        if gt(arr[lo], arr[hi]):
            swap(lo, hi)
        if gt(arr[lo + 1], arr[lo]):
            swap(lo + 1, lo)
        i, j, piv = lo + 1, hi, arr[lo]
        while True:
            i += 1
            while gt(piv, arr[i]):
                i += 1
            j -= 1
            while gt(arr[j], piv):
                j -= 1
            if j < i:
                break
            swap(i, j)
        swap(lo, j)
        if j <= k:
            lo = i
        if j >= k:
            hi = j - 1
    return idx[k]


def _kth_index(xp, a, axis, k):
    """Indices (keepdims) of kthvalue: the k-th smallest (NaN largest); torch's quickselect decides ties."""
    h = _host(xp, a)
    order = np.argsort(h, axis=axis, kind="stable")
    idx = np.take(order, [k - 1], axis=axis)
    v = np.take_along_axis(h, idx, axis=axis)
    same = (h == v) | ((h != h) & (v != v)) if h.dtype.kind == "f" else h == v
    tied = np.sum(same, axis=axis, keepdims=True) > 1
    if tied.any():
        lanes = np.moveaxis(h, axis, -1)
        out = np.moveaxis(idx, axis, -1).copy()
        for pos in np.argwhere(np.moveaxis(tied, axis, -1)[..., 0]):
            pos = tuple(int(p) for p in pos)
            out[pos + (0,)] = _quick_select(lanes[pos].tolist(), k - 1)
        idx = np.moveaxis(out, -1, axis)
    return _int64_like(xp, idx.astype(np.int64), a)


def _mode_index(xp, a, axis):
    """Indices (keepdims) of mode: the most frequent value (the smallest of equally frequent ones), at the last
    position among its copies (std::sort's insertion sort keeps them in order)."""
    h = _host(xp, a)
    n = h.shape[axis]
    order = np.argsort(h, axis=axis, kind="stable")
    s = np.take_along_axis(h, order, axis=axis)
    shape1 = tuple(-1 if i == axis else 1 for i in range(h.ndim))
    pos = np.arange(n).reshape(shape1)
    first = np.take(s, range(1, n), axis=axis) != np.take(s, range(n - 1), axis=axis)
    ones = np.ones(tuple(1 if i == axis else m for i, m in enumerate(h.shape)), bool)
    starts = np.concatenate([ones, first], axis=axis)
    ends = np.concatenate([first, ones], axis=axis)
    start_at = np.maximum.accumulate(np.where(starts, pos, 0), axis=axis)
    freq = np.where(ends, pos - start_at + 1, 0)
    best = np.argmax(freq, axis=axis, keepdims=True)       # the first (smallest value) of the most frequent
    idx = np.take_along_axis(order, best, axis=axis).astype(np.int64)
    # introsort is not stable past 16 elements, and NaNs (never less, never equal) make any sort order its own:
    # replay std::sort on the lanes whose mode has copies there, and on the lanes with NaNs
    replay = np.zeros(np.moveaxis(idx, axis, -1).shape[:-1], bool)
    if n > 16:
        replay |= np.moveaxis(np.take_along_axis(freq, best, axis=axis), axis, -1)[..., 0] > 1
    if h.dtype.kind == "f":
        replay |= np.moveaxis(np.isnan(h), axis, -1).any(axis=-1)
    if replay.any():
        lanes = np.moveaxis(h, axis, -1)
        out = np.moveaxis(idx, axis, -1).copy()
        for pos in np.argwhere(replay):
            pos = tuple(int(p) for p in pos)
            out[pos + (0,)] = _mode_of_sorted(_std_sort(lanes[pos].tolist()))
        idx = np.moveaxis(out, -1, axis)
    return _int64_like(xp, idx, a)


def _mode_of_sorted(pairs):
    """torch's mode loop over the (value, position) pairs std::sort left: the last position of the first longest
    run."""
    best, where, run = 0, 0, 0
    for i, (v, p) in enumerate(pairs):
        run += 1
        if i == len(pairs) - 1 or v != pairs[i + 1][0]:
            if run > best:
                best, where = run, p
            run = 0
    return where


def _std_sort(vals):
    """libstdc++'s std::sort (introsort: median-of-three partitions down to 16 elements, heap sort past the depth
    limit, then insertion sort) of (value, position) pairs compared by value, as torch's mode kernel sorts."""
    a = [(v, i) for i, v in enumerate(vals)]

    def lt(x, y):
        return x[0] < y[0]

    def swap(i, j):
        a[i], a[j] = a[j], a[i]

    def move_median_to_first(r, x, y, z):
        if lt(a[x], a[y]):
            if lt(a[y], a[z]):
                swap(r, y)
            elif lt(a[x], a[z]):
                swap(r, z)
            else:
                swap(r, x)
        elif lt(a[x], a[z]):
            swap(r, x)
        elif lt(a[y], a[z]):
            swap(r, z)
        else:
            swap(r, y)

    def unguarded_partition(first, last, pivot):
        while True:
            while lt(a[first], a[pivot]):
                first += 1
            last -= 1
            while lt(a[pivot], a[last]):
                last -= 1
            if not first < last:
                return first
            swap(first, last)
            first += 1

    def adjust_heap(base, hole, length, value):
        top, child = hole, hole
        while child < (length - 1) // 2:
            child = 2 * (child + 1)
            if lt(a[base + child], a[base + child - 1]):
                child -= 1
            a[base + hole] = a[base + child]
            hole = child
        if length % 2 == 0 and child == (length - 2) // 2:
            child = 2 * (child + 1)
            a[base + hole] = a[base + child - 1]
            hole = child - 1
        parent = (hole - 1) // 2
        while hole > top and lt(a[base + parent], value):
            a[base + hole] = a[base + parent]
            hole = parent
            parent = (hole - 1) // 2
        a[base + hole] = value

    def heap_sort(first, last):
        length = last - first
        if length >= 2:
            for parent in range((length - 2) // 2, -1, -1):
                adjust_heap(first, parent, length, a[first + parent])
        while last - first > 1:
            last -= 1
            value = a[last]
            a[last] = a[first]
            adjust_heap(first, 0, last - first, value)

    def introsort_loop(first, last, depth):
        while last - first > 16:
            if depth == 0:
                heap_sort(first, last)
                return
            depth -= 1
            move_median_to_first(first, first + 1, first + (last - first) // 2, last - 1)
            cut = unguarded_partition(first + 1, last, first)
            introsort_loop(cut, last, depth)
            last = cut

    def insertion(i, first, guarded):
        val, j = a[i], i
        if guarded and lt(val, a[first]):
            a[first + 1:i + 1] = a[first:i]
            a[first] = val
            return
        while lt(val, a[j - 1]):
            a[j] = a[j - 1]
            j -= 1
        a[j] = val

    n = len(a)
    if n > 1:
        introsort_loop(0, n, 2 * (n.bit_length() - 1))
        for i in range(1, min(n, 16)):
            insertion(i, 0, True)
        for i in range(16, n):
            insertion(i, 0, False)
    return a


class _SelectAlongDim(MaxDim):
    """(values, indices) = one selected element per lane along dim;  dy/da = g at the index (torch's
    value_selecting_reduction_backward)"""

    @staticmethod
    def forward(ctx, a, *, dim, keepdim=False, k=None):
        xp = _xp(a)
        a1 = a if a.ndim else xp.reshape(a, (1,))
        axis = dim % a1.ndim
        if a1.shape[axis]:
            idx = ctx._fn._select(xp, a1, axis, k)
        else:
            idx = xp.astype(_backend.zeros(a1.shape, like=a1), _backend.backend_dtype(xp, "int64"))
        values = xp.take_along_axis(a1, idx, axis=axis)
        positions = _backend.arange(a1.shape[axis], like=idx)
        positions = xp.reshape(positions, tuple(-1 if i == axis else 1 for i in range(a1.ndim)))
        ctx.save_for_backward(positions == idx)
        ctx.shape, ctx.axis, ctx.keepdim = a.shape, axis, keepdim
        if not keepdim or not a.ndim:
            values, idx = xp.squeeze(values, axis=axis), xp.squeeze(idx, axis=axis)
        values, idx = _backend.contiguous(values), _backend.contiguous(idx)
        ctx.mark_non_differentiable(idx)
        return values, idx


class MedianDim(_SelectAlongDim):
    node_name = "MedianBackward1"
    _select = staticmethod(lambda xp, a, axis, k: _lane_rank(xp, a, axis, ignore_nan=False))


class NanmedianDim(_SelectAlongDim):
    node_name = "NanmedianBackward1"
    _select = staticmethod(lambda xp, a, axis, k: _lane_rank(xp, a, axis, ignore_nan=True))


class Kthvalue(_SelectAlongDim):
    node_name = "KthvalueBackward0"
    _select = staticmethod(_kth_index)


class Mode(_SelectAlongDim):
    node_name = "ModeBackward0"
    _select = staticmethod(lambda xp, a, axis, k: _mode_index(xp, a, axis))


class MedianAll(Op):
    """y = the lower median of all elements (NaN if any);  dy/da = g split evenly between the elements equal to
    y (the NaNs when y is NaN: torch's evenly_distribute_backward)"""
    node_name = "MedianBackward0"
    _ignore_nan = False

    @staticmethod
    def forward(ctx, a):
        xp = _xp(a)
        flat = xp.reshape(a, (-1,))
        if flat.shape[0]:
            idx = _lane_rank(xp, flat, 0, ctx._fn._ignore_nan)
            y = xp.reshape(xp.take(flat, xp.reshape(idx, (-1,)), axis=0), ())
        else:           # NaN in a's dtype, as torch's fill: True for bool, the lowest value for integers
            kind = np.dtype(_backend.dtype_name(a.dtype)).kind
            y = _backend.full((), True if kind == "b" else math.nan if kind == "f" else
                              int(np.iinfo(_backend.dtype_name(a.dtype)).min), like=a)
        ctx.save_for_backward(a, y)
        return y

    @staticmethod
    def backward(ctx, g):
        a, y = ctx.saved_tensors
        xp = namespace(g)
        mask = xp.where(y != y, a != a, a == y)
        mask = xp.astype(mask, g.dtype)
        return mask * (g / xp.sum(mask))


class NanmedianAll(MedianAll):
    """y = the lower median of the non-NaN elements (NaN if none);  dy/da as median()'s"""
    node_name = "NanmedianBackward0"
    _ignore_nan = True
