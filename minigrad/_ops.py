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

from . import _backend
from .autograd.engine import namespace
from .autograd.function import Op


def _xp(a):
    return _backend.array_namespace(a)


# ======================================================= elementwise binary ==
# Operands arrive with one dtype (Tensor casts them first, with torch's
# promotion rules); Python numbers stay Python numbers.

class Add(Op):
    """y = a + b;  dy/da = 1,  dy/db = 1"""
    node_name = "AddBackward0"

    @staticmethod
    def forward(ctx, a, b):
        return a + b

    @staticmethod
    def backward(ctx, g):
        return g, g


class Sub(Op):
    """y = a - b;  dy/da = 1,  dy/db = -1"""
    node_name = "SubBackward0"

    @staticmethod
    def forward(ctx, a, b):
        return a - b

    @staticmethod
    def backward(ctx, g):
        return g, -g


class Rsub(Op):
    """y = c - a for a number c;  dy/da = -1"""
    node_name = "RsubBackward1"

    @staticmethod
    def forward(ctx, a, *, c):
        return c - a

    @staticmethod
    def backward(ctx, g):
        return -g


class Mul(Op):
    """y = a * b;  dy/da = b,  dy/db = a"""
    node_name = "MulBackward0"

    @staticmethod
    def forward(ctx, a, b):
        ctx.save_for_backward(a, b)
        return a * b

    @staticmethod
    def backward(ctx, g):
        a, b = ctx.saved_tensors
        need_a, need_b = ctx.needs_input_grad
        ga = g * b if need_a else None
        gb = g * a if need_b else None
        return ga, gb


class Div(Op):
    """y = a / b;  dy/da = 1/b,  dy/db = -a/b^2"""
    node_name = "DivBackward0"

    @staticmethod
    def forward(ctx, a, b):
        ctx.save_for_backward(a, b)
        return a / b

    @staticmethod
    def backward(ctx, g):
        a, b = ctx.saved_tensors
        need_a, need_b = ctx.needs_input_grad
        ga = g / b if need_a else None
        gb = -g * a / (b * b) if need_b else None
        return ga, gb


class Reciprocal(Op):
    """y = 1/a;  dy/da = -y^2"""
    node_name = "ReciprocalBackward0"

    @staticmethod
    def forward(ctx, a):
        y = 1 / a
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
        return a ** exponent

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

    @staticmethod
    def forward(ctx, a, b):
        y = a ** b
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
        y = base ** a
        ctx.save_for_backward(y)
        ctx.base = base
        return y

    @staticmethod
    def backward(ctx, g):
        y, = ctx.saved_tensors
        if ctx.base == 0:
            return g * 0
        return g * y * math.log(ctx.base)


class Maximum(Op):
    """y = max(a, b);  the gradient goes to the larger input, split in half on ties (torch)"""
    node_name = "MaximumBackward0"

    @staticmethod
    def forward(ctx, a, b):
        ctx.save_for_backward(a, b)
        return _xp(a).maximum(a, b)

    @staticmethod
    def backward(ctx, g):
        a, b = ctx.saved_tensors
        return _split_by_winner(g, a > b, a == b)


class Minimum(Op):
    """y = min(a, b);  the gradient goes to the smaller input, split in half on ties (torch)"""
    node_name = "MinimumBackward0"

    @staticmethod
    def forward(ctx, a, b):
        ctx.save_for_backward(a, b)
        return _xp(a).minimum(a, b)

    @staticmethod
    def backward(ctx, g):
        a, b = ctx.saved_tensors
        return _split_by_winner(g, a < b, a == b)


def _split_by_winner(g, a_wins, tie):
    xp = namespace(g)
    half = g / 2
    ga = xp.where(a_wins, g, xp.where(tie, half, 0.0))
    gb = xp.where(a_wins, 0.0, xp.where(tie, half, g))
    return ga, gb


# ======================================================== elementwise unary ==

class Neg(Op):
    """y = -a;  dy/da = -1"""
    node_name = "NegBackward0"

    @staticmethod
    def forward(ctx, a):
        return -a

    @staticmethod
    def backward(ctx, g):
        return -g


class Exp(Op):
    """y = e^a;  dy/da = y"""
    node_name = "ExpBackward0"

    @staticmethod
    def forward(ctx, a):
        y = _xp(a).exp(a)
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
        return _xp(a).log(a)

    @staticmethod
    def backward(ctx, g):
        a, = ctx.saved_tensors
        return g / a


class Sqrt(Op):
    """y = sqrt(a);  dy/da = 1/(2y)"""
    node_name = "SqrtBackward0"

    @staticmethod
    def forward(ctx, a):
        y = _xp(a).sqrt(a)
        ctx.save_for_backward(y)
        return y

    @staticmethod
    def backward(ctx, g):
        y, = ctx.saved_tensors
        return g / (2 * y)


class Abs(Op):
    """y = |a|;  dy/da = sign(a)  (0 at 0)"""
    node_name = "AbsBackward0"

    @staticmethod
    def forward(ctx, a):
        ctx.save_for_backward(a)
        return _xp(a).abs(a)

    @staticmethod
    def backward(ctx, g):
        a, = ctx.saved_tensors
        return g * namespace(g).sign(a)


class Sigmoid(Op):
    """y = 1/(1+e^-a);  dy/da = y(1-y)"""
    node_name = "SigmoidBackward0"

    @staticmethod
    def forward(ctx, a):
        xp = _xp(a)
        # split by sign so neither branch overflows: e^-|a| is always <= 1
        e = xp.exp(-xp.abs(a))
        y = xp.where(a >= 0, 1 / (1 + e), e / (1 + e))
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
        y = _xp(a).tanh(a)
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
        y = _xp(a).maximum(a, 0)
        ctx.save_for_backward(y)
        return y

    @staticmethod
    def backward(ctx, g):
        y, = ctx.saved_tensors
        return namespace(g).where(y > 0, g, 0.0)


class LeakyRelu(Op):
    """y = a if a > 0 else s*a;  dy/da = 1 if a > 0 else s"""
    node_name = "LeakyReluBackward0"

    @staticmethod
    def forward(ctx, a, *, negative_slope):
        ctx.save_for_backward(a)
        ctx.slope = negative_slope
        return _xp(a).where(a > 0, a, a * negative_slope)

    @staticmethod
    def backward(ctx, g):
        a, = ctx.saved_tensors
        return namespace(g).where(a > 0, g, g * ctx.slope)


class Clamp(Op):
    """y = min(max(a, lo), hi);  dy/da = 1 where lo <= a <= hi, else 0"""
    node_name = "ClampBackward1"

    @staticmethod
    def forward(ctx, a, *, min=None, max=None):
        ctx.save_for_backward(a)
        ctx.lo, ctx.hi = min, max
        return _xp(a).clip(a, min, max)

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
        return _xp(condition).where(condition, a, b)

    @staticmethod
    def backward(ctx, g):
        cond, = ctx.saved_tensors
        xp = namespace(g)
        return xp.where(cond, g, 0.0), xp.where(cond, 0.0, g)


class Cast(Op):
    """y = a converted to another floating dtype;  dy/da = 1 (cast back)"""
    node_name = "ToCopyBackward0"

    @staticmethod
    def forward(ctx, a, *, dtype):
        ctx.in_dtype = a.dtype
        return _xp(a).astype(a, dtype)

    @staticmethod
    def backward(ctx, g):
        return namespace(g).astype(g, ctx.in_dtype)


class Clone(Op):
    """y = a (a copy);  dy/da = 1"""
    node_name = "CloneBackward0"

    @staticmethod
    def forward(ctx, a):
        return _xp(a).asarray(a, copy=True)

    @staticmethod
    def backward(ctx, g):
        return g


# =============================================================== reductions ==

def _axes(dim, ndim):
    """torch's ``dim`` (None, int or tuple) as a tuple of non-negative axes."""
    if dim is None:
        return tuple(range(ndim))
    return tuple(sorted(d % ndim if ndim else 0 for d in (dim if isinstance(dim, tuple) else (dim,))))


def _expand_back(g, shape, axes, keepdim):
    """Broadcast a reduced gradient back over the reduced axes."""
    xp = namespace(g)
    if not keepdim:
        g = xp.reshape(g, tuple(1 if i in axes else n for i, n in enumerate(shape)))
    return xp.broadcast_to(g, shape)


class Sum(Op):
    """y = sum a over dims;  dy/da = 1 (broadcast back)"""
    node_name = "SumBackward1"

    @staticmethod
    def forward(ctx, a, *, dim=None, keepdim=False, dtype=None):
        ctx.shape, ctx.axes, ctx.keepdim = a.shape, _axes(dim, a.ndim), keepdim
        return _xp(a).sum(a, axis=ctx.axes, keepdims=keepdim, dtype=dtype)

    @staticmethod
    def backward(ctx, g):
        return _expand_back(g, ctx.shape, ctx.axes, ctx.keepdim)


class SumAll(Sum):
    """y = sum of all elements;  dy/da = 1"""
    node_name = "SumBackward0"


class Mean(Op):
    """y = mean a over dims;  dy/da = 1/n"""
    node_name = "MeanBackward1"

    @staticmethod
    def forward(ctx, a, *, dim=None, keepdim=False):
        ctx.shape, ctx.axes, ctx.keepdim = a.shape, _axes(dim, a.ndim), keepdim
        ctx.n = math.prod(a.shape[i] for i in ctx.axes)
        return _xp(a).mean(a, axis=ctx.axes, keepdims=keepdim)

    @staticmethod
    def backward(ctx, g):
        return _expand_back(g / ctx.n, ctx.shape, ctx.axes, ctx.keepdim)


class MeanAll(Mean):
    """y = mean of all elements;  dy/da = 1/n"""
    node_name = "MeanBackward0"


class Var(Op):
    """y = sum (a - mean)^2 / (n - c);  dy/da = 2 (a - mean) / (n - c)"""
    node_name = "VarBackward0"

    @staticmethod
    def forward(ctx, a, *, dim=None, correction=1, keepdim=False):
        xp = _xp(a)
        ctx.shape, ctx.axes, ctx.keepdim = a.shape, _axes(dim, a.ndim), keepdim
        ctx.dof = max(math.prod(a.shape[i] for i in ctx.axes) - correction, 0)
        ctx.save_for_backward(a)
        return xp.var(a, axis=ctx.axes, correction=correction, keepdims=keepdim)

    @staticmethod
    def backward(ctx, g):
        a, = ctx.saved_tensors
        xp = namespace(g)
        centered = a - xp.mean(a, axis=ctx.axes, keepdims=True)
        return _expand_back(g, ctx.shape, ctx.axes, ctx.keepdim) * centered * (2 / ctx.dof if ctx.dof else math.inf)


class Std(Op):
    """y = sqrt(var a);  dy/da = (a - mean) / ((n - c) y)"""
    node_name = "StdBackward0"

    @staticmethod
    def forward(ctx, a, *, dim=None, correction=1, keepdim=False):
        xp = _xp(a)
        ctx.shape, ctx.axes, ctx.keepdim = a.shape, _axes(dim, a.ndim), keepdim
        ctx.dof = max(math.prod(a.shape[i] for i in ctx.axes) - correction, 0)
        y = xp.std(a, axis=ctx.axes, correction=correction, keepdims=keepdim)
        ctx.save_for_backward(a, y)
        return y

    @staticmethod
    def backward(ctx, g):
        a, y = ctx.saved_tensors
        xp = namespace(g)
        centered = a - xp.mean(a, axis=ctx.axes, keepdims=True)
        scale = _expand_back(g / (y * ctx.dof) if ctx.dof else g * math.inf, ctx.shape, ctx.axes, ctx.keepdim)
        return scale * centered


class Norm(Op):
    """y = sqrt(sum a^2);  dy/da = a / y  (0 where y == 0, as torch)"""
    node_name = "LinalgVectorNormBackward0"

    @staticmethod
    def forward(ctx, a, *, dim=None, keepdim=False):
        xp = _xp(a)
        ctx.shape, ctx.axes, ctx.keepdim = a.shape, _axes(dim, a.ndim), keepdim
        y = xp.sqrt(xp.sum(a * a, axis=ctx.axes, keepdims=keepdim))
        ctx.save_for_backward(a, y)
        return y

    @staticmethod
    def backward(ctx, g):
        a, y = ctx.saved_tensors
        xp = namespace(g)
        scale = xp.where(y == 0, 0.0, g / y)
        return _expand_back(scale, ctx.shape, ctx.axes, ctx.keepdim) * a


class Amax(Op):
    """y = max over dims;  dy/da = 1 at the maxima, split evenly between ties (torch's amax/max())"""
    node_name = "AmaxBackward0"
    _reduce = "max"

    @staticmethod
    def forward(ctx, a, *, dim=None, keepdim=False):
        xp = _xp(a)
        ctx.shape, ctx.axes, ctx.keepdim = a.shape, _axes(dim, a.ndim), keepdim
        y = getattr(xp, ctx._fn._reduce)(a, axis=ctx.axes, keepdims=keepdim)
        ctx.save_for_backward(a, y)
        return y

    @staticmethod
    def backward(ctx, g):
        a, y = ctx.saved_tensors
        xp = namespace(g)
        y_full = _expand_back(y, ctx.shape, ctx.axes, ctx.keepdim)
        hit = xp.astype(a == y_full, a.dtype)
        count = xp.sum(hit, axis=ctx.axes, keepdims=True)
        return _expand_back(g, ctx.shape, ctx.axes, ctx.keepdim) * hit / count


class Amin(Amax):
    """y = min over dims;  dy/da = 1 at the minima, split evenly between ties"""
    node_name = "AminBackward0"
    _reduce = "min"


class MaxAll(Amax):
    node_name = "MaxBackward1"


class MinAll(Amin):
    node_name = "MinBackward1"


class MaxDim(Op):
    """(values, indices) = max along dim;  dy/da = 1 at the one returned index"""
    node_name = "MaxBackward0"
    _pick = "argmax"

    @staticmethod
    def forward(ctx, a, *, dim, keepdim=False):
        xp = _xp(a)
        axis = dim % a.ndim if a.ndim else 0
        a1 = a if a.ndim else xp.reshape(a, (1,))
        idx = getattr(xp, ctx._fn._pick)(a1, axis=axis, keepdims=True)
        values = xp.take_along_axis(a1, idx, axis=axis)
        ctx.shape, ctx.axis, ctx.keepdim, ctx.idx = a.shape, axis, keepdim, idx
        if not keepdim or not a.ndim:
            values, idx = xp.squeeze(values, axis=axis), xp.squeeze(idx, axis=axis)
        idx = xp.astype(idx, _backend.backend_dtype(xp, "int64"))
        ctx.mark_non_differentiable(idx)
        return values, idx

    @staticmethod
    def backward(ctx, g, _g_indices=None):
        xp = namespace(g)
        shape = ctx.shape if ctx.shape else (1,)
        if not ctx.keepdim or not ctx.shape:
            g = xp.expand_dims(g, axis=ctx.axis)
        full = _put_along_axis(xp, g, ctx.idx, shape, ctx.axis)
        return xp.reshape(full, ctx.shape)


class MinDim(MaxDim):
    """(values, indices) = min along dim;  dy/da = 1 at the one returned index"""
    node_name = "MinBackward0"
    _pick = "argmin"


def _put_along_axis(xp, g, idx, shape, axis):
    """zeros(shape) with ``g`` written at ``idx`` along ``axis`` (one index per lane)."""
    positions = xp.arange(shape[axis], dtype=idx.dtype if hasattr(idx, "dtype") else None)
    positions = xp.reshape(positions, tuple(-1 if i == axis else 1 for i in range(len(shape))))
    return xp.where(positions == idx, g, 0.0)


# ==================================================================== shape ==

class Reshape(Op):
    """y = a viewed with a new shape;  dy/da = g reshaped back"""
    node_name = "ViewBackward0"

    @staticmethod
    def forward(ctx, a, *, shape):
        ctx.shape = a.shape
        return _xp(a).reshape(a, shape)

    @staticmethod
    def backward(ctx, g):
        return namespace(g).reshape(g, ctx.shape)


class Unsqueeze(Reshape):
    node_name = "UnsqueezeBackward0"


class Squeeze(Reshape):
    node_name = "SqueezeBackward1"


class SqueezeAll(Reshape):
    node_name = "SqueezeBackward0"


class Permute(Op):
    """y = a with axes permuted;  dy/da = g with the inverse permutation"""
    node_name = "PermuteBackward0"

    @staticmethod
    def forward(ctx, a, *, dims):
        ctx.inverse = tuple(sorted(range(len(dims)), key=dims.__getitem__))
        return _xp(a).permute_dims(a, dims)

    @staticmethod
    def backward(ctx, g):
        return namespace(g).permute_dims(g, ctx.inverse)


class Transpose(Permute):
    node_name = "TransposeBackward0"


class T(Permute):
    node_name = "TBackward0"


class Expand(Op):
    """y = a broadcast to a shape;  dy/da = g summed back (done by the engine)"""
    node_name = "ExpandBackward0"

    @staticmethod
    def forward(ctx, a, *, shape):
        return _xp(a).broadcast_to(a, shape)

    @staticmethod
    def backward(ctx, g):
        return g


class Index(Op):
    """y = a[index];  dy/da = zeros with g added at index (repeated indices add up)"""
    node_name = "IndexBackward0"

    @staticmethod
    def forward(ctx, a, *, index, basic):
        ctx.shape, ctx.index, ctx.basic = a.shape, index, basic
        return a[index]

    @staticmethod
    def backward(ctx, g):
        if _is_tensor(g):
            return IndexAddToZeros.apply(g, index=ctx.index, shape=ctx.shape, basic=ctx.basic)
        return index_add_to_zeros(g, ctx.index, ctx.shape, ctx.basic)


class Select(Index):
    node_name = "SelectBackward0"


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
    if basic:
        out[index] = g              # a basic index never repeats a position
    else:
        _backend.scatter_add(out, index, g)
    return out


class IndexPut(Op):
    """y = a with y[index] = v;  dy/da = g with index zeroed,  dy/dv = g[index] (summed to v's shape)"""
    node_name = "CopySlices"

    @staticmethod
    def forward(ctx, a, v, *, index):
        ctx.index = index
        out = _xp(a).asarray(a, copy=True)
        out[index] = v
        return out

    @staticmethod
    def backward(ctx, g):
        xp = namespace(g)
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

    @staticmethod
    def forward(ctx, *arrays, dim):
        xp = _xp(arrays[0])
        ctx.axis = dim % arrays[0].ndim
        ctx.sizes = [a.shape[ctx.axis] for a in arrays]
        return xp.concat(arrays, axis=ctx.axis)

    @staticmethod
    def backward(ctx, g):
        out, start = [], 0
        for n in ctx.sizes:
            index = (slice(None),) * ctx.axis + (slice(start, start + n),)
            out.append(g[index])
            start += n
        return tuple(out)


class Stack(Op):
    """y = arrays stacked along a new dim;  dy/da_i = g[..., i, ...]"""
    node_name = "StackBackward0"

    @staticmethod
    def forward(ctx, *arrays, dim):
        ctx.axis = dim % (arrays[0].ndim + 1)
        return _xp(arrays[0]).stack(arrays, axis=ctx.axis)

    @staticmethod
    def backward(ctx, g):
        n = g.shape[ctx.axis]
        return tuple(g[(slice(None),) * ctx.axis + (i,)] for i in range(n))


# =================================================================== matmul ==

class Matmul(Op):
    """y = a @ b (1-D, 2-D or batched);  dy/da = g @ b^T,  dy/db = a^T @ g"""
    node_name = "MmBackward0"

    @staticmethod
    def forward(ctx, a, b):
        ctx.save_for_backward(a, b)
        return _xp(a).matmul(a, b)

    @staticmethod
    def backward(ctx, g):
        a, b = ctx.saved_tensors
        xp = namespace(g)
        # Treat 1-D operands as a row (a) / column (b) matrix, as matmul does.
        a2 = xp.expand_dims(a, axis=0) if a.ndim == 1 else a
        b2 = xp.expand_dims(b, axis=-1) if b.ndim == 1 else b
        g2 = g
        if a.ndim == 1:
            g2 = xp.expand_dims(g2, axis=-2)
        if b.ndim == 1:
            g2 = xp.expand_dims(g2, axis=-1)
        ga = gb = None
        if ctx.needs_input_grad[0]:
            ga = xp.matmul(g2, xp.matrix_transpose(b2))
            ga = xp.reshape(ga, ga.shape[:-2] + (ga.shape[-1],)) if a.ndim == 1 else ga
        if ctx.needs_input_grad[1]:
            gb = xp.matmul(xp.matrix_transpose(a2), g2)
            gb = xp.reshape(gb, gb.shape[:-1]) if b.ndim == 1 else gb
        return ga, gb


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

    @staticmethod
    def forward(ctx, c, a, b):
        ctx.save_for_backward(a, b)
        return c + a @ b

    @staticmethod
    def backward(ctx, g):
        a, b = ctx.saved_tensors
        xp = namespace(g)
        _, need_a, need_b = ctx.needs_input_grad
        ga = xp.matmul(g, xp.matrix_transpose(b)) if need_a else None
        gb = xp.matmul(xp.matrix_transpose(a), g) if need_b else None
        return g, ga, gb
