"""minigrad.nn.functional: as ``torch.nn.functional``.

Almost everything is composed from the differentiable primitives in
``_ops.py``, so it needs no backward of its own and is differentiable to any
order:

- ``log_softmax`` is ``x - m - log(sum(exp(x - m)))`` with a detached max ``m``;
- ``layer_norm`` is built from mean, biased variance and sqrt;
- ``conv2d`` is im2col (``_conv_ops.py``) followed by one matrix product;
- ``avg_pool2d`` averages over the window axis of the same im2col array.

``max_pool2d`` sends its gradient to ONE element per window, as torch's does
(``amax`` would split ties).  ``_max_pool2d_reference`` builds it as im2col +
``max(dim)`` (the arg-max route); ``max_pool2d`` itself is a fused op in
``_conv_ops.py`` (the composite spent most of a LeNet step in ``argmax`` over a
middle axis), and the tests check that the two agree.

Three losses are fused ``Op``s, each with its derivative in the docstring,
because the composite would be wrong or would print a different ``grad_fn``:
``mse_loss`` (``MseLossBackward0``, printed by the 60-minute blitz),
``nll_loss`` (``NllLossBackward0``) and ``binary_cross_entropy``, whose
gradient torch computes as ``(p - t) / max(p (1 - p), 1e-12)``: at p in {0, 1}
the clamped-log composite would give a zero gradient where torch gives 1e12.
Their backward formulas use the array-API namespace of the gradient, so they
too work under ``create_graph=True``.

``embedding`` is a fused op too (``EmbeddingBackward0``, a scatter-add
backward with torch's padding_idx / scale_grad_by_freq rules); ``batch_norm``
is composed, so its ``grad_fn`` is the last op's where torch prints
``NativeBatchNormBackward0``.
"""
from __future__ import annotations

import math
import warnings

import numpy as np

from .. import _backend, _dtype, _ops
from .._tensor import (Tensor, _C_NAMES, _SCALAR_NAMES, _broadcast_shapes, _check_castable, cat, legacy_type_name,
                       matmul, where)
from ..autograd.engine import namespace
from ..autograd.function import Op
from ._conv_ops import Im2col, MaxPool2d as _MaxPool2dOp, arange, out_size

__all__ = ["linear", "conv2d", "max_pool2d", "avg_pool2d", "adaptive_avg_pool2d", "relu", "relu_", "sigmoid",
           "tanh", "leaky_relu", "softmax", "log_softmax", "layer_norm", "dropout", "mse_loss", "nll_loss",
           "cross_entropy", "binary_cross_entropy", "binary_cross_entropy_with_logits", "one_hot", "embedding",
           "batch_norm"]


# ================================================================= helpers ==

def _pair(v, name="kernel_size"):
    if isinstance(v, (tuple, list)):
        if len(v) == 1:
            return (int(v[0]),) * 2
        if len(v) != 2:
            raise RuntimeError(f"{name} must either be a single int, or a tuple of two ints")
        return tuple(int(x) for x in v)
    return (int(v), int(v))


def _xp(a):
    return _backend.array_namespace(a)


def _wrap(a, g):
    """A constant array as an operand of a backward formula: a Tensor when ``g`` is one (create_graph)."""
    return Tensor._make(a) if isinstance(g, Tensor) and a is not None and not isinstance(a, Tensor) else a


def _scalar_name(dt):
    return _SCALAR_NAMES[dt.name]


def _c_name(dt):
    """The C++ name torch's kernels print for a dtype (``float``, ``double``)."""
    return _C_NAMES.get(dt.name, dt.name)


def _check_reduction(reduction):
    if reduction not in ("none", "mean", "sum"):
        if reduction == "elementwise_mean":
            warnings.warn("reduction='elementwise_mean' is deprecated. Please use reduction='mean' instead.")
            return "mean"
        raise ValueError(f"{reduction} is not a valid value for reduction")
    return reduction


def _legacy_reduction(size_average, reduce, emit_warning=True):
    """torch's ``_Reduction.legacy_get_string``: the pre-0.4 ``size_average``/``reduce`` flags."""
    size_average = True if size_average is None else size_average
    reduce = True if reduce is None else reduce
    ret = "mean" if size_average and reduce else "sum" if reduce else "none"
    if emit_warning:
        warnings.warn(f"size_average and reduce args will be deprecated, please use reduction='{ret}' instead.")
    return ret


def _resolve_reduction(size_average, reduce, reduction):
    if size_average is not None or reduce is not None:
        return _legacy_reduction(size_average, reduce)
    return _check_reduction(reduction)


def _reduce(loss, reduction):
    if reduction == "mean":
        return loss.mean()
    if reduction == "sum":
        return loss.sum()
    return loss


def _constant(host, like):
    """A NumPy array as a constant tensor with ``like``'s dtype and device."""
    return Tensor._make(_backend.asarray(np.asarray(host), like.device, like.dtype.name))


# ================================================================== linear ==

def linear(input, weight, bias=None):
    """y = input @ weight^T + bias.  2-D input gives torch's ``AddmmBackward0`` node.

    As torch: with a bias, a 2-D input (or any input when the bias has dims) takes the fused addmm
    (bias, input flattened to 2-D, weight^T); otherwise input @ weight^T, then a 0-d bias added in place.
    """
    if input.ndim == 0 or weight.ndim == 0:
        raise RuntimeError(f"both arguments to linear need to be at least 1D, but they are {input.ndim}D and "
                           f"{weight.ndim}D")
    if bias is not None and (input.ndim == 2 or bias.ndim):
        if weight.ndim > 2:
            weight.t()                                   # torch's error: the weight is transposed first
        # backend dtypes: cheaper than Tensor.dtype on this hot path
        if bias._data.dtype != weight._data.dtype:
            raise RuntimeError(f"self and mat2 must have the same dtype, but got {_scalar_name(bias.dtype)} and "
                               f"{_scalar_name(weight.dtype)}")
        if input._data.dtype != weight._data.dtype:
            raise RuntimeError(f"mat1 and mat2 must have the same dtype, but got {_scalar_name(input.dtype)} and "
                               f"{_scalar_name(weight.dtype)}")
        if weight.ndim != 2:
            raise RuntimeError(f"mat2 must be a matrix, got {weight.ndim}-D tensor")
        if input.ndim != 2:      # as torch: fold the leading dims into one, then unfold the result
            out = linear(input.reshape(-1, input.shape[-1]), weight, bias)
            return out.reshape(tuple(input.shape[:-1]) + (weight.shape[0],))
        if input.shape[1] != weight.shape[1]:
            raise RuntimeError(f"mat1 and mat2 shapes cannot be multiplied ({input.shape[0]}x{input.shape[1]} and "
                               f"{weight.shape[1]}x{weight.shape[0]})")
        if bias.shape != (weight.shape[0],) and bias.ndim:
            bias.expand(input.shape[0], weight.shape[0])      # torch's "The expanded size of the tensor ..." error
        return _ops.Addmm.apply(bias, input, weight.t())
    if weight.ndim == 1:
        out = matmul(input, weight)
    elif input.ndim != 2:        # fold the leading dims into one, then unfold the result
        out = linear(input.reshape(-1, input.shape[-1]), weight)
        out = out.reshape(tuple(input.shape[:-1]) + (weight.shape[0],))
    else:
        out = matmul(input, weight.t())
    if bias is None:
        return out
    dt = out.dtype                       # torch adds the 0-d bias in place: the output keeps its dtype
    _check_castable(_dtype.result_type(out, bias), dt)
    out = out + bias
    return out if out.dtype is dt else out.to(dt)


# ============================================================ convolution ==

def _padding4(padding, kernel, dilation, stride, where="conv2d"):
    """torch's padding argument as (top, bottom, left, right)."""
    if isinstance(padding, str):
        if padding == "valid":
            return (0, 0, 0, 0)
        if padding == "same":
            if stride != (1, 1):
                raise RuntimeError("padding='same' is not supported for strided convolutions")
            pads = []
            for k, d in zip(kernel, dilation):
                total = d * (k - 1)
                pads += [total // 2, total - total // 2]   # the odd extra cell goes bottom/right, as torch
            return tuple(pads)
        raise RuntimeError(f"Invalid padding string: '{padding}'")
    ph, pw = _pair(padding, "padding")
    return (ph, ph, pw, pw)


def conv2d(input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1):
    """2-D cross-correlation: im2col, then ``weight.reshape(O, -1) @ cols`` (+ bias).

    With ``groups=g`` the channels split into g independent convolutions: ``cols`` (C*KH*KW, L) is
    ``(g, C/g*KH*KW, L)`` for free (C is its leading axis) and one batched matmul with the weight as
    ``(g, O/g, C/g*KH*KW)`` does them all, so every derivative order still comes from Im2col and matmul.
    """
    if input.ndim not in (3, 4):
        raise RuntimeError(f"Expected 3D (unbatched) or 4D (batched) input to conv2d, but got input of size: "
                           f"{list(input.shape)}")
    if groups <= 0:
        raise RuntimeError("non-positive groups is not supported")
    if weight.ndim != 4:
        st = list(_pair(stride, "stride"))
        raise RuntimeError(f"expected stride to be a single integer value or a list of {weight.ndim - 2} values to "
                           f"match the convolution dimensions, but got stride={st}")
    unbatched = input.ndim == 3
    if unbatched:
        input = input.unsqueeze(0)
    out_ch, in_ch, kh, kw = weight.shape
    # torch's order: bias dtype, then check_shape_forward (padding, stride, groups vs weight, channels,
    # bias shape, sizes), then the weight dtype
    stride, dilation = _pair(stride, "stride"), _pair(dilation, "dilation")
    pads = _padding4(padding, (kh, kw), dilation, stride)
    if bias is not None and bias.dtype is not input.dtype:
        raise RuntimeError(f"Input type ({_c_name(input.dtype)}) and bias type ({_c_name(bias.dtype)}) should be "
                           "the same")
    if min(pads) < 0:
        raise RuntimeError("negative padding is not supported")
    if min(stride) <= 0:
        raise RuntimeError("non-positive stride is not supported")
    if out_ch < groups:
        raise RuntimeError(f"Given groups={groups}, expected weight to be at least {groups} at dimension 0, but got "
                           f"weight of size {list(weight.shape)} instead")
    if out_ch % groups:
        raise RuntimeError(f"Given groups={groups}, expected weight to be divisible by {groups} at dimension 0, but "
                           f"got weight of size [{list(weight.shape)}] instead")
    if input.shape[1] != in_ch * groups:
        raise RuntimeError(f"Given groups={groups}, weight of size {list(weight.shape)}, expected input"
                           f"{list(input.shape)} to have {in_ch * groups} channels, but got {input.shape[1]} "
                           f"channels instead")
    if bias is not None and (bias.ndim != 1 or bias.shape[0] != out_ch):
        raise RuntimeError(f"Given weight of size {list(weight.shape)}, expected bias to be 1-dimensional with "
                           f"{out_ch} elements, but got bias of size {list(bias.shape)} instead")
    n, c, h, w = input.shape
    if n and c and (h == 0 or w == 0):
        raise RuntimeError(f"Only zero batch or zero channel inputs are supported, but got input shape: "
                           f"{list(input.shape) if not unbatched else list(input.shape[1:])}")
    eff = (dilation[0] * (kh - 1) + 1, dilation[1] * (kw - 1) + 1)
    if h + pads[0] + pads[1] < eff[0] or w + pads[2] + pads[3] < eff[1]:
        raise RuntimeError(f"Calculated padded input size per channel: ({h + pads[0] + pads[1]} x "
                           f"{w + pads[2] + pads[3]}). Kernel size: ({eff[0]} x {eff[1]}). Kernel size can't be "
                           f"greater than actual input size")
    if weight.dtype is not input.dtype:
        if input.dtype is _dtype.float64:
            raise RuntimeError(f"expected scalar type {_scalar_name(input.dtype)} but found "
                               f"{_scalar_name(weight.dtype)}")
        raise RuntimeError(f"Input type ({legacy_type_name(input.dtype.name, input.device)}) and weight type "
                           f"({legacy_type_name(weight.dtype.name, weight.device)}) should be the same or input "
                           f"should be a MKLDNN tensor and weight is a dense tensor")
    oh = out_size(h, kh, stride[0], pads[0], pads[1], dilation[0])
    ow = out_size(w, kw, stride[1], pads[2], pads[3], dilation[1])
    cols = Im2col.apply(input, kernel=(kh, kw), stride=stride, padding=pads, dilation=dilation)
    if groups == 1:
        cols = cols.reshape(c * kh * kw, n * oh * ow)
        w2 = weight.reshape(out_ch, c * kh * kw)
        if bias is None:
            out = matmul(w2, cols)
        else:
            out = _ops.Addmm.apply(bias.reshape(out_ch, 1), w2, cols)
    else:
        cols = cols.reshape(groups, in_ch * kh * kw, n * oh * ow)
        out = matmul(weight.reshape(groups, out_ch // groups, in_ch * kh * kw), cols)   # (g, O/g, N*OH*OW)
        if bias is not None:
            out = out + bias.reshape(groups, out_ch // groups, 1)
    # torch returns a contiguous (N, O, OH, OW) tensor; tutorial code relies on it (x.view(-1, n) after conv)
    out = out.reshape(out_ch, n, oh, ow).permute(1, 0, 2, 3).contiguous()
    return out.squeeze(0) if unbatched else out


# ================================================================= pooling ==

def _pool_out(size, k, s, p, d, ceil_mode):
    """torch's pooling_output_shape."""
    span = size + 2 * p - d * (k - 1) - 1
    out = (span + (s - 1 if ceil_mode else 0)) // s + 1
    if ceil_mode and (out - 1) * s >= size + p:    # the last window must start inside the input or left padding
        out -= 1
    return out


def _pool_setup(input, kernel_size, stride, padding, dilation, ceil_mode, what):
    if input.ndim not in (3, 4) or input.numel() == 0:
        raise RuntimeError("non-empty 3D or 4D (batch mode) tensor expected for input")
    k = _pair(kernel_size)
    s = k if stride is None or (isinstance(stride, (list, tuple)) and len(stride) == 0) else _pair(stride, "stride")
    p, d = _pair(padding, "padding"), _pair(dilation, "dilation")
    for i in range(2):
        if what == "max" and p[i] > (d[i] * (k[i] - 1) + 1) // 2:
            raise RuntimeError(f"pad should be at most half of effective kernel size, but got pad={p[i]}, "
                               f"kernel_size={k[i]} and dilation={d[i]}")
        if what == "avg" and p[i] > k[i] // 2:
            raise RuntimeError(f"pad should be at most half of effective kernel size, but got pad={p[i]}, "
                               f"kernel_size={k[i]} and dilation=1")
    if what == "max" and (p[0] > k[0] // 2 or p[1] > k[1] // 2):
        raise RuntimeError(f"pad should be smaller than or equal to half of kernel size, but got padW = {p[1]}, "
                           f"padH = {p[0]}, kW = {k[1]}, kH = {k[0]}")
    unbatched = input.ndim == 3
    x = input.unsqueeze(0) if unbatched else input
    n, c, h, w = x.shape
    oh = _pool_out(h, k[0], s[0], p[0], d[0], ceil_mode)
    ow = _pool_out(w, k[1], s[1], p[1], d[1], ceil_mode)
    if oh <= 0 or ow <= 0:
        raise RuntimeError(f"Given input size: ({c}x{h}x{w}). Calculated output size: ({c}x{max(oh, 0)}x"
                           f"{max(ow, 0)}). Output size is too small")
    # ceil_mode may need extra cells at the bottom/right for the last window
    pb = max(p[0], (oh - 1) * s[0] + d[0] * (k[0] - 1) + 1 - h - p[0])
    pr = max(p[1], (ow - 1) * s[1] + d[1] * (k[1] - 1) + 1 - w - p[1])
    return x, unbatched, k, s, p, d, (p[0], pb, p[1], pr), (oh, ow)


def _windows(x, k, s, pads, d, out, pad_value):
    """Im2col for pooling: ``(C, KH*KW, N, OH, OW)``."""
    n, c = x.shape[:2]
    cols = Im2col.apply(x, kernel=k, stride=s, padding=pads, dilation=d, pad_value=pad_value)
    return cols.reshape(c, k[0] * k[1], n, out[0], out[1])


def max_pool2d(input, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False, return_indices=False):
    """Max over each window; the gradient goes to ONE cell per window (the first maximal one), as torch's.

    Padding cells hold -inf, so they never win; NaN wins (the last NaN, as torch).
    """
    x, unbatched, k, s, p, d, pads, out = _pool_setup(input, kernel_size, stride, padding, dilation, ceil_mode,
                                                      "max")
    values, offset = _MaxPool2dOp.apply(x, kernel=k, stride=s, padding=pads, dilation=d)
    if return_indices:
        indices = _flat_indices(offset, x.shape[3], k, s, p, d)
        return (values.squeeze(0), indices.squeeze(0)) if unbatched else (values, indices)
    return values.squeeze(0) if unbatched else values


def _flat_indices(offset, width, k, s, p, d):
    """torch's max-pool indices: the winner's position in the flattened H*W input plane."""
    xp = _xp(offset._data)
    o = xp.astype(offset._data, xp.int64)            # the op keeps offsets as uint8
    rows = xp.reshape(arange(xp, o.shape[2], o), (1, 1, -1, 1)) * s[0] - p[0] + (o // k[1]) * d[0]
    cols = xp.reshape(arange(xp, o.shape[3], o), (1, 1, 1, -1)) * s[1] - p[1] + (o % k[1]) * d[1]
    return Tensor._make(xp.astype(rows * width + cols, o.dtype))


def _max_pool2d_reference(input, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False):
    """max_pool2d composed from im2col and ``max(dim)`` (the arg-max route); the fused op must agree."""
    x, unbatched, k, s, p, d, pads, out = _pool_setup(input, kernel_size, stride, padding, dilation, ceil_mode,
                                                      "max")
    values, _ = _ops.MaxDim.apply(_windows(x, k, s, pads, d, out, -math.inf), dim=1)
    values = values.permute(1, 0, 2, 3)
    return values.squeeze(0) if unbatched else values


def avg_pool2d(input, kernel_size, stride=None, padding=0, ceil_mode=False, count_include_pad=True,
               divisor_override=None):
    """Mean over each window (zero padding); the divisor follows torch's rules at the borders.

    int64 input gives int64 sums divided rounding toward zero (torch's kernel divides in C++)."""
    if input.ndim < 3:
        input.size(-3)      # torch reads the channel count first: its IndexError
    x, unbatched, k, s, p, d, pads, out = _pool_setup(input, kernel_size, stride, padding, 1, ceil_mode, "avg")
    h, w = x.shape[2:]
    if not x.dtype.is_floating_point and x.dtype is not _dtype.int64:
        raise NotImplementedError(f'"avg_pool2d" not implemented for \'{_scalar_name(x.dtype)}\'')
    cols = _windows(x, k, s, pads, d, out, 0)
    if divisor_override:
        div = divisor_override
    else:
        div = np.outer(_divisors(h, k[0], s[0], p[0], out[0], count_include_pad),
                       _divisors(w, k[1], s[1], p[1], out[1], count_include_pad))
    if x.dtype is _dtype.int64:     # no gradient: plain arrays; floor division, then moved toward zero
        xp, dv = _xp(x._data), div if divisor_override else _constant(div, x)._data
        total = xp.sum(cols._data, axis=1)
        q = total // dv
        y = Tensor._make(q + xp.astype((q < 0) & (q * dv != total), q.dtype))
    elif divisor_override:
        y = cols.sum(1) / divisor_override
    elif np.all(div == k[0] * k[1]):
        y = cols.mean(1)
    else:
        y = cols.sum(1) / _constant(div, x)
    y = y.permute(1, 0, 2, 3).contiguous()      # torch's pooling output is contiguous (view() works on it)
    return y.squeeze(0) if unbatched else y


def _divisors(size, k, s, p, n_out, count_include_pad):
    """Per output position along one axis: the cells torch divides by (aten's AvgPool2d kernel)."""
    start = np.arange(n_out) * s - p
    end = np.minimum(start + k, size + p)
    if count_include_pad:
        return end - start
    return np.minimum(end, size) - np.maximum(start, 0)


def adaptive_avg_pool2d(input, output_size):
    """Average over torch's adaptive windows [floor(i*H/OH), ceil((i+1)*H/OH)).

    Output 1x1 is a mean (as torch); evenly dividing sizes are an avg_pool2d;
    anything else averages gathered windows, one axis after the other.
    """
    if isinstance(output_size, (tuple, list)):
        # torch's Python fills None entries from the input's trailing sizes first
        if input.ndim <= len(output_size):
            raise ValueError(f"Input dimension should be at least {len(output_size) + 1}")
        if len(output_size) != 2:
            raise RuntimeError("adaptive_avg_pool2d: output_size must be 2")
        oh, ow = (input.shape[i - 2] if v is None else int(v) for i, v in enumerate(output_size))
    else:
        oh = ow = int(output_size)
    if (oh, ow) == (1, 1):      # torch takes this mean before any check of the input's dims
        return input.mean((-2, -1), keepdim=True)
    if input.ndim not in (3, 4):
        raise RuntimeError(f"adaptive_avg_pool2d(): Expected 3D or 4D tensor, but got {list(input.shape)}")
    h, w = input.shape[-2:]
    for d, n in ((input.ndim - 2, h), (input.ndim - 1, w)):
        if n == 0:
            raise RuntimeError(f"adaptive_avg_pool2d(): Expected input to have non-zero size for non-batch "
                               f"dimensions, but input has sizes {list(input.shape)} with dimension {d} being empty")
    if not input.dtype.is_floating_point:
        if input.numel():      # (torch's kernel never runs on an empty batch: no dtype check then)
            raise NotImplementedError(f'"adaptive_avg_pool2d" not implemented for \'{_scalar_name(input.dtype)}\'')
        return input.new_zeros(tuple(input.shape[:-2]) + (oh, ow))
    if h % oh == 0 and w % ow == 0:
        return avg_pool2d(input, (h // oh, w // ow))
    return _adaptive_axis(_adaptive_axis(input, input.ndim - 2, oh), input.ndim - 1, ow)


def _adaptive_axis(x, dim, n_out):
    """Means over torch's adaptive windows along ``dim``, one slice per output.  (Not an averaging matmul:
    it multiplies the cells outside a window by 0, and 0 * inf is nan.  Slices also run on every backend.)"""
    size, lead = x.shape[dim], (slice(None),) * dim
    windows = (slice(i * size // n_out, -(-(i + 1) * size // n_out)) for i in range(n_out))
    return cat([x[lead + (w,)].mean(dim, keepdim=True) for w in windows], dim)


# ============================================================= activations ==

def relu(input, inplace=False):
    _tensor_input("relu", input)
    return input.relu_() if inplace else input.relu()


def _tensor_input(name, input):
    if not isinstance(input, Tensor):     # torch's argument parser, not an AttributeError from inside
        raise TypeError(f"{name}(): argument 'input' (position 1) must be Tensor, not {type(input).__name__}")


def relu_(input):
    return input.relu_()


def sigmoid(input):
    return input.sigmoid()


def tanh(input):
    return input.tanh()


def leaky_relu(input, negative_slope=0.01, inplace=False):
    _tensor_input("leaky_relu", input)
    if not input.dtype.is_floating_point:
        raise NotImplementedError(f'"leaky_relu_cpu" not implemented for \'{_scalar_name(input.dtype)}\'')
    if inplace:
        return input._inplace(lambda s: _ops.LeakyRelu.apply(s, negative_slope=negative_slope))
    return _ops.LeakyRelu.apply(input, negative_slope=negative_slope)


def _softmax_dim(name, ndim, stacklevel):
    warnings.warn(f"Implicit dimension choice for {name} has been deprecated. Change the call to include dim=X "
                  "as an argument.", stacklevel=stacklevel)
    return 0 if ndim in (0, 1, 3) else 1


def _softmax_trivial(name, input, dim):
    """torch's checks: an empty input comes back as it is (any dtype); otherwise it must be floating point."""
    d = input._dim(dim)
    if input.numel() == 0:
        return True
    if not input.dtype.is_floating_point:
        kernel = f"{name}_lastdim_kernel_impl" if input.ndim == 0 or d == input.ndim - 1 else f"{name}_kernel_impl"
        raise NotImplementedError(f'"{kernel}" not implemented for \'{_scalar_name(input.dtype)}\'')
    return False


def log_softmax(input, dim=None, _stacklevel=3, dtype=None):
    if dim is None:
        dim = _softmax_dim("log_softmax", input.ndim, _stacklevel)
    if dtype is not None:
        input = input.to(dtype)
    if _softmax_trivial("log_softmax", input, dim) and not input.dtype.is_floating_point:
        return input.clone()
    return _along(_LogSoftmax, input, dim)


def softmax(input, dim=None, _stacklevel=3, dtype=None):
    if dim is None:
        dim = _softmax_dim("softmax", input.ndim, _stacklevel)
    if dtype is not None:
        input = input.to(dtype)
    if _softmax_trivial("softmax", input, dim) and not input.dtype.is_floating_point:
        return input.clone()
    return _along(_Softmax, input, dim)


def _along(op, input, dim):
    """Apply a softmax Op along ``dim`` (a 0-d input: along no axis, one node as in torch)."""
    if input.ndim == 0:
        return op.apply(input, dim=None)
    return op.apply(input, dim=input._dim(dim))


class _LogSoftmax(Op):
    """y = x - m - log(sum(exp(x - m))), m = max(x) along dim (any m gives the same y: it only keeps exp
    from overflowing);  dy/dx: g - exp(y) * sum(g)"""
    node_name = "LogSoftmaxBackward0"

    @staticmethod
    def forward(ctx, x, *, dim):
        if x.size == 0:          # nothing to normalise (and no max over an empty axis)
            ctx.dim = dim
            ctx.save_for_backward(x)
            return _backend.contiguous(x)
        xp = _xp(x)
        shifted = x - xp.max(x, axis=dim, keepdims=True)
        y = _backend.contiguous(shifted - xp.log(xp.sum(xp.exp(shifted), axis=dim, keepdims=True)))
        ctx.dim = dim
        ctx.save_for_backward(y)
        return y

    @staticmethod
    def backward(ctx, g):
        y, = ctx.saved_tensors
        xp = namespace(g)
        return g - xp.exp(y) * xp.sum(g, axis=ctx.dim, keepdims=True)


class _Softmax(Op):
    """y = exp(x - m) / sum(exp(x - m)), m = max(x) along dim;  dy/dx: y * (g - sum(g * y))"""
    node_name = "SoftmaxBackward0"

    @staticmethod
    def forward(ctx, x, *, dim):
        if x.size == 0:          # nothing to normalise (and no max over an empty axis)
            ctx.dim = dim
            ctx.save_for_backward(x)
            return _backend.contiguous(x)
        xp = _xp(x)
        e = xp.exp(x - xp.max(x, axis=dim, keepdims=True))
        y = _backend.contiguous(e / xp.sum(e, axis=dim, keepdims=True))     # torch's softmax is contiguous
        ctx.dim = dim
        ctx.save_for_backward(y)
        return y

    @staticmethod
    def backward(ctx, g):
        y, = ctx.saved_tensors
        xp = namespace(g)
        return y * (g - xp.sum(g * y, axis=ctx.dim, keepdims=True))


# =========================================================== normalization ==

def layer_norm(input, normalized_shape, weight=None, bias=None, eps=1e-5):
    """(x - mean) / sqrt(var + eps) * weight + bias over the last dims (biased variance, as torch)."""
    shape = (normalized_shape,) if isinstance(normalized_shape, int) else tuple(normalized_shape)
    k = len(shape)
    if input.ndim < k or tuple(input.shape[input.ndim - k:]) != shape:
        raise RuntimeError(f"Given normalized_shape={list(shape)}, expected input with shape [*, "
                           f"{', '.join(map(str, shape))}], but got input of size{list(input.shape)}")
    for param in (weight, bias):
        if param is not None and param.dtype is not input.dtype:
            raise RuntimeError("mixed dtype (CPU): expect parameter to have scalar type of Float"
                               if input.dtype is _dtype.float32 else
                               "mixed dtype (CPU): all inputs must share same datatype.")
    if not input.dtype.is_floating_point:
        raise NotImplementedError(f'"LayerNormKernelImpl" not implemented for \'{_scalar_name(input.dtype)}\'')
    dims = tuple(range(-k, 0))
    centered = input - input.mean(dims, keepdim=True)
    var = (centered * centered).mean(dims, keepdim=True)
    out = centered / (var + eps).sqrt()
    if weight is not None:
        out = out * weight
    if bias is not None:
        out = out + bias
    if out._grad_fn is not None:       # torch's layer norm node saves its input: modifying it is an error
        out._grad_fn._save_extra([input])
    return out


# ================================================================= dropout ==

def dropout(input, p=0.5, training=True, inplace=False):
    """Zero each element with probability p and scale the rest by 1/(1-p) (only when training).

    The mask is torch's CPU noise, drawn from the default generator in torch's order (see
    ``_random.dropout_mask``), so after the same ``manual_seed`` the same elements are dropped."""
    if p < 0.0 or p > 1.0:
        raise ValueError(f"dropout probability has to be between 0 and 1, but got {p}")
    if not training or p == 0.0 or input.numel() == 0:
        return input
    if p == 1.0:    # torch multiplies by a 0-d zero of input's dtype (ints stay ints, inf gives nan), drawing nothing
        mask = Tensor._make(_backend.zeros((), like=input._data))
    elif not input.dtype.is_floating_point:     # torch scales its integer noise in place by 1 / (1 - p)
        raise RuntimeError(f"result type Float can't be cast to the desired output type {_scalar_name(input.dtype)}")
    else:
        from .._random import dropout_mask
        mask = Tensor._make(_backend.asarray(dropout_mask(input, p), input.device))
    if inplace:
        return input.mul_(mask)
    return input * mask


# ================================================================== losses ==

class _MseLoss(Op):
    """y = reduce((a - b)^2);  dy/da = 2 (a - b) g / n (n = element count for 'mean', else 1),  dy/db = -dy/da"""
    node_name = "MseLossBackward0"

    @staticmethod
    def forward(ctx, a, b, *, reduction):
        xp = _xp(a)
        d = a - b
        ctx.save_for_backward(a, b)
        ctx.reduction, ctx.n = reduction, math.prod(d.shape)
        sq = _backend.binary(d * d, a, b)       # laid out as torch's (input, target) TensorIterator
        if reduction == "mean":        # not xp.mean: NumPy warns "Mean of empty slice" from its own module
            return xp.sum(sq) / ctx.n
        if reduction == "sum":
            return xp.sum(sq)
        return sq

    @staticmethod
    def backward(ctx, g):
        a, b = ctx.saved_tensors
        ga = g * (a - b) * (2.0 / max(ctx.n, 1) if ctx.reduction == "mean" else 2.0)   # empty: empty grads
        return (ga if ctx.needs_input_grad[0] else None), (-ga if ctx.needs_input_grad[1] else None)


def mse_loss(input, target, size_average=None, reduce=None, reduction="mean", weight=None):
    """Mean squared error (``MseLossBackward0``); input and target broadcast, with torch's warning."""
    if size_average is not None or reduce is not None:
        reduction = _legacy_reduction(size_average, reduce)
    if not isinstance(target, Tensor):
        target = Tensor._make(_backend.asarray(target, input.device, input.dtype.name))
    if target.shape != input.shape:
        warnings.warn(f"Using a target size ({target.shape}) that is different to the input size ({input.shape}). "
                      "This will likely lead to incorrect results due to broadcasting. Please ensure they have "
                      "the same size.", stacklevel=2)
        _broadcast_shapes(tuple(input.shape), tuple(target.shape))
    reduction = _check_reduction(reduction)     # torch broadcasts before it reads the reduction string
    dt = _dtype.promote_types(input.dtype, target.dtype)   # torch broadcasts first: no 0-d promotion rule
    if not dt.is_floating_point:
        raise NotImplementedError(f'"mse_cpu" not implemented for \'{_scalar_name(dt)}\'')
    a, b = input.to(dt), target.to(dt)
    if weight is not None:
        return _reduce((a - b) ** 2 * weight, reduction)
    return _MseLoss.apply(a, b, reduction=reduction)


def _class_mask(xp, target, n_classes, class_shape, axis=1):
    """one_hot(target) as booleans, the class axis at ``axis`` (of length 1 in ``class_shape``' others)."""
    classes = xp.astype(xp.reshape(arange(xp, n_classes, target), class_shape), target.dtype)
    return classes == xp.expand_dims(target, axis=axis)


def _target_weights(xp, target, mask, weight, ignore_index, dtype, axis=1):
    """w[target] per sample (1 without weights), 0 where target == ignore_index."""
    kept = target != ignore_index
    if weight is None:
        return xp.astype(kept, dtype)
    wb = xp.reshape(weight, tuple(weight.shape[0] if i == axis else 1 for i in range(mask.ndim)))
    return xp.where(kept, xp.sum(xp.where(mask, wb, 0.0), axis=axis), 0.0)


class _NllLoss(Op):
    """y_i = -w[t_i] x[i, t_i] (0 where t_i == ignore_index), reduced; 'mean' divides by sum_i w[t_i];
    dy/dx[i, c] = -w[t_i] g_i [c == t_i]  (/ sum_i w[t_i] for 'mean')"""
    node_name = "NllLossBackward0"

    @staticmethod
    def forward(ctx, x, *, target, weight, ignore_index, reduction):
        xp = _xp(x)
        # torch's forward reads a 1-element target of 1-D input as 0-d, but its backward refuses it
        ctx.mismatch = None
        if x.ndim == 1 and target.ndim == 1:
            ctx.mismatch = f"size mismatch (got input: {list(x.shape)}, target: {list(target.shape)})"
            target = xp.reshape(target, ())
        axis = 0 if x.ndim == 1 else 1                    # the class axis (unbatched input: 0)
        class_shape = tuple(x.shape[axis] if i == axis else 1 for i in range(x.ndim))
        mask = _class_mask(xp, target, x.shape[axis], class_shape, axis)
        mask = mask & xp.expand_dims(target != ignore_index, axis=axis)
        w_t = _target_weights(xp, target, mask, weight, ignore_index, x.dtype, axis)
        losses = -(xp.sum(xp.where(mask, x, 0.0), axis=axis) * w_t)
        ctx.mask, ctx.w_t, ctx.reduction, ctx.axis = mask, w_t, reduction, axis
        if reduction == "none":
            return _backend.contiguous(losses)
        if reduction == "sum":
            return xp.sum(losses)
        ctx.total = xp.sum(w_t)
        with np.errstate(invalid="ignore", divide="ignore"):    # all targets ignored: nan, as torch
            return xp.sum(losses) / ctx.total

    @staticmethod
    def backward(ctx, g):
        if ctx.mismatch:
            raise RuntimeError(ctx.mismatch)
        xp = namespace(g)
        coef = g * _wrap(ctx.w_t, g)
        if ctx.reduction == "mean":
            with np.errstate(invalid="ignore", divide="ignore"):
                coef = coef / _wrap(ctx.total, g)
        return xp.where(_wrap(ctx.mask, g), -xp.expand_dims(coef, axis=ctx.axis), 0.0)


class _NllLoss2d(_NllLoss):
    """nll_loss of K-dimensional input ``(N, C, d1, ...)``: the same formula, torch's node name"""
    node_name = "NllLoss2DBackward0"


def _check_class_target(input, target, ignore_index, what="nll_loss"):
    if input.ndim < 1:
        raise ValueError(f"Expected 1 or more dimensions (got {input.ndim})")
    if input.ndim == 1 or input.ndim == 2:
        if target.ndim > 1:
            raise RuntimeError("0D or 1D target tensor expected, multi-target not supported")
        if input.ndim == 2 and target.ndim == 1 and input.shape[0] != target.shape[0]:
            raise ValueError(f"Expected input batch_size ({input.shape[0]}) to match target batch_size "
                             f"({target.shape[0]}).")
        if input.ndim == 2 and target.ndim == 0:
            raise RuntimeError(f"Expected input batch_size ({input.shape[0]}) to match target batch_size (1).")
    else:
        expected = (input.shape[0],) + tuple(input.shape[2:])
        if tuple(target.shape) != expected:
            raise RuntimeError(f"Expected target size {list(expected)}, got {list(target.shape)}")
    if target.dtype not in (_dtype.int64, _dtype.uint8):
        raise RuntimeError(f"expected target dtype to be Long or Byte, but got {_scalar_name(target.dtype)}")
    if input.ndim == 1 and target.ndim == 1 and target.shape[0] != 1:
        raise ValueError(f"For 1D input, 1D target must have size 1, but got target size: {target.shape[0]}")
    return input.shape[0] if input.ndim == 1 else input.shape[1]


def _check_bounds(target, n_classes, ignore_index):
    t = _backend.to_numpy(target._data)
    bad = ((t < 0) | (t >= n_classes)) & (t != ignore_index)
    if bad.any():
        raise IndexError(f"Target {t[bad].flat[0]} is out of bounds.")


def _check_weight(weight, n_classes):
    if weight is not None and (weight.ndim != 1 or weight.shape[0] != n_classes):
        raise RuntimeError(f"weight tensor should be defined either for all {n_classes} classes or no classes but "
                           f"got weight tensor of shape: {list(weight.shape)}")


def nll_loss(input, target, weight=None, size_average=None, ignore_index=-100, reduce=None, reduction="mean"):
    """Negative log likelihood of class-index targets (``NllLossBackward0``), with weights and ignore_index."""
    reduction = _resolve_reduction(size_average, reduce, reduction)
    if input.ndim > 1:
        # torch's first check (nll_loss_nd), before the target's dimensions: it reads a 0-d target's batch
        # size as 0, so a 0-d target only gets past it with an empty batch, then fails on target.size(0)
        target_batch = target.shape[0] if target.ndim else 0
        if input.shape[0] != target_batch:
            raise ValueError(f"Expected input batch_size ({input.shape[0]}) to match target batch_size "
                             f"({target_batch}).")
        if input.ndim == 2 and target.ndim == 0:
            raise IndexError("Dimension specified as 0 but tensor has no dimensions")
    n_classes = _check_class_target(input, target, ignore_index)
    _check_weight(weight, n_classes)
    # torch's kernel checks, in its order: input dtype, then the weight's (never cast), then each target
    if not input.dtype.is_floating_point:
        frame = "nll_loss_out_frame" if input.ndim <= 2 else "nll_loss2d_forward_out_frame"
        raise NotImplementedError(f'"{frame}" not implemented for \'{_scalar_name(input.dtype)}\'')
    if weight is not None and weight.dtype is not input.dtype:
        raise RuntimeError(f"expected scalar type {_scalar_name(input.dtype)} but found {_scalar_name(weight.dtype)}")
    _check_bounds(target, n_classes, ignore_index)
    w = None if weight is None else weight._data
    op = _NllLoss if input.ndim <= 2 else _NllLoss2d
    out = op.apply(input, target=target._data, weight=w, ignore_index=ignore_index, reduction=reduction)
    if out._grad_fn is not None:        # torch saves the target (and weight): versions checked, freed after backward
        out._grad_fn._save_extra([target] + ([weight] if weight is not None else []))
    if input.ndim > 2 and reduction == "none" and input.ndim != 4:
        out = out.view(tuple(out.shape))    # torch runs these through the 4-D kernel and views the result back
    return out


def cross_entropy(input, target, weight=None, size_average=None, ignore_index=-100, reduce=None,
                  reduction="mean", label_smoothing=0.0):
    """nll_loss(log_softmax(input)), plus label smoothing and class-probability targets, as torch."""
    reduction = _resolve_reduction(size_average, reduce, reduction)
    if not 0.0 <= label_smoothing <= 1.0:
        raise RuntimeError(f"label_smoothing must be between 0.0 and 1.0. Got: {label_smoothing}")
    class_dim = 0 if input.ndim == 1 else 1
    logp = log_softmax(input, class_dim)
    n_classes = input.shape[class_dim]
    bshape = tuple(n_classes if i == class_dim else 1 for i in range(input.ndim))
    if tuple(target.shape) == tuple(input.shape):          # class probabilities
        if not target.dtype.is_floating_point:
            raise RuntimeError(f"Expected floating point type for target with class probabilities, got "
                               f"{_scalar_name(target.dtype)}")
        if ignore_index >= 0:
            raise RuntimeError("ignore_index is not supported for floating point target")
        if label_smoothing > 0:
            target = target * (1 - label_smoothing) + label_smoothing / n_classes
        terms = logp * target
        if weight is not None:
            terms = terms * weight.reshape(bshape)
        if reduction == "none":
            return -terms.sum(class_dim)
        if reduction == "sum":
            return -terms.sum()
        return -terms.sum() / (input.numel() / n_classes)
    nll = nll_loss(logp, target, weight, ignore_index=ignore_index, reduction=reduction)
    if label_smoothing <= 0:
        return nll
    ignored = target == ignore_index
    if weight is not None:
        smooth = -(logp * weight.reshape(bshape)).sum(class_dim)
    else:
        smooth = -logp.sum(class_dim)
    _check_inplace_shape(smooth, ignored.shape)            # torch fills smooth in place
    smooth = smooth.masked_fill(ignored, 0.0)
    if reduction == "mean":
        if weight is not None:
            xp = _xp(logp._data)
            mask = _class_mask(xp, target._data, n_classes, bshape, class_dim)
            w_t = _target_weights(xp, target._data, mask, weight._data, ignore_index,
                                  logp._data.dtype, class_dim)
            ret = smooth.sum() / Tensor._make(xp.sum(w_t))
        else:
            ret = smooth.sum() / (~ignored).sum()
    elif reduction == "sum":
        ret = smooth.sum()
    else:
        ret = smooth
    return (1 - label_smoothing) * nll + ret * (label_smoothing / n_classes)


class _BinaryCrossEntropy(Op):
    """y = -w (t log p + (1 - t) log(1 - p)), each log clamped at -100, reduced;
    dy/dp = w (p - t) / max(p (1 - p), 1e-12) g,   dy/dt = w (log(1 - p) - log p) g   (/ n for 'mean')"""
    node_name = "BinaryCrossEntropyBackward0"
    EPS = 1e-12

    @staticmethod
    def forward(ctx, p, t, *, weight, reduction):
        xp = _xp(p)
        with np.errstate(divide="ignore", invalid="ignore"):
            log_p = xp.clip(xp.log(p), -100.0, None)
            log_q = xp.clip(xp.log1p(-p), -100.0, None)      # log1p, as torch: tiny p gives a tiny loss, not 0
        loss = -(t * log_p + (1 - t) * log_q)
        if weight is not None:
            loss = loss * weight
        ctx.save_for_backward(p, t)
        ctx.weight, ctx.reduction, ctx.n = weight, reduction, math.prod(p.shape)
        if reduction == "mean":
            return xp.mean(loss)
        if reduction == "sum":
            return xp.sum(loss)
        return _backend.preserve(loss, p)        # torch fills an empty_like(input)

    @staticmethod
    def backward(ctx, g):
        p, t = ctx.saved_tensors
        xp = namespace(g)
        scale = g / ctx.n if ctx.reduction == "mean" else g
        w = _wrap(ctx.weight, g)
        if w is not None:
            scale = scale * w
        gp = gt = None
        if ctx.needs_input_grad[0]:
            d = p * (1 - p)
            gp = scale * (p - t) / xp.where(d > _BinaryCrossEntropy.EPS, d, _BinaryCrossEntropy.EPS)
        if ctx.needs_input_grad[1]:
            with np.errstate(divide="ignore", invalid="ignore"):
                gt = scale * (xp.log(1 - p) - xp.log(p))
        return gp, gt


def binary_cross_entropy(input, target, weight=None, size_average=None, reduce=None, reduction="mean"):
    """BCE on probabilities, with torch's log clamp at -100 (so p in {0, 1} gives a loss of 100)."""
    reduction = _resolve_reduction(size_average, reduce, reduction)
    if tuple(target.shape) != tuple(input.shape):
        raise ValueError(f"Using a target size ({target.shape}) that is different to the input size "
                         f"({input.shape}) is deprecated. Please ensure they have the same size.")
    if weight is not None:          # torch's Python wrapper broadcasts the weight to the target's shape first
        _broadcast_shapes(tuple(target.shape), tuple(weight.shape))
    if target.dtype is not input.dtype:           # before the input's dtype, as torch
        raise RuntimeError(f"Found dtype {_scalar_name(target.dtype)} but expected {_scalar_name(input.dtype)}")
    if not input.dtype.is_floating_point:
        raise NotImplementedError(f'"binary_cross_entropy" not implemented for \'{_scalar_name(input.dtype)}\'')
    data = _backend.to_numpy(input._data)
    if not np.all((data >= 0) & (data <= 1)):
        raise RuntimeError("all elements of input should be between 0 and 1")
    t = target
    w = None
    if weight is not None:
        _check_inplace_shape(input, weight.shape)
        w = _xp(input._data).broadcast_to(weight.to(input.dtype)._data, tuple(input.shape))
    return _BinaryCrossEntropy.apply(input, t, weight=w, reduction=reduction)


def binary_cross_entropy_with_logits(input, target, weight=None, size_average=None, reduce=None,
                                     reduction="mean", pos_weight=None):
    """BCE on logits: (1 - t) x - lw * log_sigmoid(x), lw = 1 + (pos_weight - 1) t  (torch's stable form)."""
    reduction = _resolve_reduction(size_average, reduce, reduction)
    if tuple(target.shape) != tuple(input.shape):
        raise ValueError(f"Target size ({target.shape}) must be the same as input size ({input.shape})")
    # torch's checks, in its order: log_sigmoid(input); log_sigmoid(input) *= (pos_weight - 1) * target + 1;
    # loss = (1 - target) *= input (so the loss has the target's dtype); loss *= weight
    if not input.dtype.is_floating_point:
        raise NotImplementedError(f'"log_sigmoid_cpu" not implemented for \'{_scalar_name(input.dtype)}\'')
    if pos_weight is not None:
        _check_inplace_shape(input, _broadcast_shapes(tuple(pos_weight.shape), tuple(target.shape)))
    if target.dtype is _dtype.bool_:
        raise RuntimeError("Subtraction, the `-` operator, with two bool tensors is not supported. "
                           "Use the `^` or `logical_xor()` operator instead.")
    if not target.dtype.is_floating_point:
        raise RuntimeError(f"result type {_scalar_name(input.dtype)} can't be cast to the desired output type "
                           f"{_scalar_name(target.dtype)}")
    if weight is not None:
        _check_inplace_shape(input, weight.shape)
    log_sig = _LogSigmoid.apply(input)
    if pos_weight is not None:
        loss = (1 - target) * input - ((pos_weight - 1) * target + 1) * log_sig
    else:
        loss = (1 - target) * input - log_sig
    if weight is not None:
        loss = loss * weight
    if loss.dtype is not target.dtype:
        loss = loss.to(target.dtype)
    return _reduce(loss, reduction)


class _LogSigmoid(Op):
    """y = log sigmoid(x) = min(x, 0) - log1p(exp(-|x|)) (torch's kernel: exp never overflows, and log1p keeps
    the digits that cancel against x in the loss);  dy/dx = sigmoid(-x) = 1 / (1 + z) for x < 0, else z / (1 + z),
    z = exp(-|x|)"""
    node_name = "LogSigmoidBackward0"

    @staticmethod
    def forward(ctx, x):
        xp = _xp(x)
        ctx.save_for_backward(x)
        return _backend.contiguous(xp.minimum(x, xp.zeros_like(x)) - xp.log1p(xp.exp(-xp.abs(x))))

    @staticmethod
    def backward(ctx, g):
        x, = ctx.saved_tensors
        xp = namespace(g)
        neg = x < 0
        z = xp.exp(xp.where(neg, x, -x))
        return g * xp.where(neg, 1.0, z) / (1 + z)


def _check_inplace_shape(out, other_shape):
    """torch computes these losses with in-place ops on ``out``: the other operand must broadcast to its shape."""
    shape = tuple(out.shape)
    full = _broadcast_shapes(shape, tuple(other_shape))
    if full != shape:
        raise RuntimeError(f"output with shape {list(shape)} doesn't match the broadcast shape {list(full)}")


# ================================================================== others ==

def one_hot(tensor, num_classes=-1):
    """int64 one-hot encoding along a new last dim."""
    if tensor.dtype is not _dtype.int64:
        raise RuntimeError("one_hot is only applicable to index tensor of type LongTensor.")
    t = _backend.to_numpy(tensor._data)
    if t.size and t.min() < 0:
        raise RuntimeError("Class values must be non-negative.")
    if num_classes == -1 or (num_classes <= 0 and t.size == 0):
        if t.size == 0:
            raise RuntimeError("Can not infer total number of classes from empty tensor.")
        num_classes = int(t.max()) + 1
    elif t.size and t.max() >= num_classes:
        raise RuntimeError("Class values must be smaller than num_classes.")
    xp = _xp(tensor._data)
    classes = arange(xp, num_classes, tensor._data)
    hot = xp.expand_dims(tensor._data, axis=-1) == xp.astype(classes, tensor._data.dtype)
    return Tensor._make(_backend.contiguous(xp.astype(hot, tensor._data.dtype)))    # torch's is contiguous


# =============================================================== embedding ==

class _Embedding(Op):
    """y = weight[indices] (one row per index);  dy/dweight = zeros with g's rows added at their indices:
    the padding_idx row gets nothing, and with scale_grad_by_freq each row is divided by its index's count
    in this batch (torch's ``embedding_dense_backward``)"""
    node_name = "EmbeddingBackward0"

    @staticmethod
    def forward(ctx, weight, *, indices, padding_idx, scale_grad_by_freq):
        xp = _xp(weight)
        flat = xp.reshape(indices, (-1,))
        ctx.shape, ctx.flat, ctx.padding_idx, ctx.scale = weight.shape, flat, padding_idx, scale_grad_by_freq
        rows = xp.take(weight, flat, axis=0)
        return _backend.contiguous(xp.reshape(rows, tuple(indices.shape) + (weight.shape[1],)))

    @staticmethod
    def backward(ctx, g):
        if isinstance(g, Tensor):       # create_graph: a node of its own, differentiable in g
            return _EmbeddingDenseBackward.apply(g, flat=ctx.flat, shape=ctx.shape, padding_idx=ctx.padding_idx,
                                                 scale_grad_by_freq=ctx.scale)
        return _embedding_dense_backward(g, ctx.flat, ctx.shape, ctx.padding_idx, ctx.scale)


def _embedding_dense_backward(g, flat, shape, padding_idx, scale_grad_by_freq):
    """zeros(shape) with g's rows added at ``flat`` (padding_idx skipped; divided by the counts when scaling)."""
    xp = _xp(g)
    n, d = shape
    host = _backend.to_numpy(flat)
    g2 = xp.reshape(g, (host.size, d))
    if scale_grad_by_freq:               # torch divides each row by the count of its index
        counts = np.bincount(host, minlength=n)[host].astype(_backend.dtype_name(g2.dtype))
        g2 = g2 / _backend.asarray(counts.reshape(-1, 1), _backend.device_of(g))
    if padding_idx >= 0 and (host == padding_idx).any():
        keep = _backend.asarray((host != padding_idx).reshape(-1, 1), _backend.device_of(g))
        g2 = xp.where(keep, g2, xp.zeros_like(g2))
    return _ops.index_add_to_zeros(g2, (flat,), (n, d), False)


class _EmbeddingDenseBackward(Op):
    """y = embedding's weight gradient from g;  dy/dg = the rows of gg at the indices, padding rows zero and
    NOT divided by the counts under scale_grad_by_freq (torch's ``embedding_dense_double_backward``)"""
    node_name = "EmbeddingDenseBackward0"

    @staticmethod
    def forward(ctx, g, *, flat, shape, padding_idx, scale_grad_by_freq):
        ctx.flat, ctx.gshape, ctx.padding_idx = flat, g.shape, padding_idx
        return _embedding_dense_backward(g, flat, shape, padding_idx, scale_grad_by_freq)

    @staticmethod
    def backward(ctx, gg):
        flat = ctx.flat
        host = _backend.to_numpy(flat)
        if isinstance(gg, Tensor):
            rows = _Embedding.apply(gg, indices=flat, padding_idx=-1, scale_grad_by_freq=False)
        else:
            rows = _xp(gg).take(gg, flat, axis=0)
        if ctx.padding_idx >= 0 and (host == ctx.padding_idx).any():
            keep = _wrap(_backend.asarray((host != ctx.padding_idx).reshape(-1, 1), _backend.device_of(flat)), gg)
            rows = namespace(gg).where(keep, rows, 0.0)
        return rows.reshape(tuple(ctx.gshape)) if isinstance(rows, Tensor) else \
            _xp(rows).reshape(rows, tuple(ctx.gshape))


_SPARSE_UNSUPPORTED = ("sparse=True is not supported: minigrad has no sparse tensors, so the embedding gradient "
                       "cannot be a sparse tensor; use sparse=False (the default), which gives the same values "
                       "as a dense gradient")


def _check_indices(indices, what):
    if indices.dtype.name not in ("int64", "int32"):
        got = "CPUBoolType" if indices.dtype is _dtype.bool_ else legacy_type_name(indices.dtype.name,
                                                                                   indices.device)
        raise RuntimeError(f"Expected tensor for argument #{2 if what == 'embedding_renorm_' else 1} 'indices' to "
                           f"have one of the following scalar types: Long, Int; but got {got} instead (while "
                           f"checking arguments for {what})")


def _embedding_renorm_(weight, indices, max_norm, norm_type):
    """torch's ``embedding_renorm_`` under no_grad: each distinct index's row, in sorted order, is scaled by
    max_norm / (norm + 1e-7) when its norm exceeds max_norm (in place, on the weight itself)."""
    from ..autograd.grad_mode import no_grad
    if weight.ndim != 2:
        raise RuntimeError(f"Expected 2-dimensional tensor, but got {weight.ndim}-dimensional tensor for argument "
                           f"#1 'self' (while checking arguments for embedding_renorm_)")
    _check_indices(indices, "embedding_renorm_")
    counter = weight._version_counter
    version = counter.value
    try:
        with no_grad():
            for i in np.unique(_backend.to_numpy(indices._data)).tolist():
                row = weight.select(0, int(i))
                if not weight.dtype.is_floating_point:
                    raise RuntimeError(f"norm(): input dtype should be either floating point or complex. Got "
                                       f"{_scalar_name(weight.dtype)} instead.")
                norm = float(row.norm(norm_type))
                if norm > max_norm:
                    row.mul_(max_norm / (norm + 1e-7))
    finally:
        counter.value = version + 1          # one in-place op on the weight, as torch's (even if none moved)
    return weight


def embedding(input, weight, padding_idx=None, max_norm=None, norm_type=2.0, scale_grad_by_freq=False,
              sparse=False):
    """Rows of ``weight`` looked up by the integer ``input`` (``EmbeddingBackward0``), as torch's.

    ``padding_idx``: that row gets no gradient.  ``max_norm``: the looked-up rows whose ``norm_type``-norm
    exceeds it are first rescaled in place, under no_grad (torch's ``embedding_renorm_``).
    ``scale_grad_by_freq``: each row's gradient is divided by its index's count in ``input``.
    ``sparse=True`` raises a ``NotImplementedError`` (minigrad has no sparse tensors)."""
    if not isinstance(input, Tensor):
        raise TypeError(f"embedding(): argument 'indices' (position 2) must be Tensor, not {type(input).__name__}")
    if padding_idx is not None:
        if isinstance(padding_idx, bool) or not isinstance(padding_idx, (int, np.integer)):
            raise TypeError(f"embedding(): argument 'padding_idx' (position 3) must be int, not "
                            f"{type(padding_idx).__name__}")
        if padding_idx > 0:
            if padding_idx >= weight.shape[0]:
                raise AssertionError("Padding_idx must be within num_embeddings")
        elif padding_idx < 0:
            if padding_idx < -weight.shape[0]:
                raise AssertionError("Padding_idx must be within num_embeddings")
            padding_idx = weight.shape[0] + padding_idx
    else:
        padding_idx = -1
    if sparse:
        raise NotImplementedError(_SPARSE_UNSUPPORTED)
    if max_norm is not None:
        input = input.contiguous()
        _embedding_renorm_(weight, input, max_norm, norm_type)
    if weight.ndim != 2:
        from ..autograd.grad_mode import is_grad_enabled
        if weight.ndim == 0 and weight.requires_grad and is_grad_enabled():   # torch's autograd reads size(0)
            raise IndexError("Dimension specified as 0 but tensor has no dimensions")
        raise RuntimeError("'weight' must be 2-D")
    _check_indices(input, "embedding")
    data = input._data
    if input.numel():
        xp = _xp(data)
        if xp.min(data) < 0 or xp.max(data) >= weight.shape[0]:
            if not weight.numel():          # torch's index_select over an empty weight checks like this
                host = _backend.to_numpy(data).ravel()
                bad = host[(host < 0) | (host >= weight.shape[0])][0]
                raise RuntimeError(f"INDICES element is out of DATA bounds, id={bad} axis_dim={weight.shape[0]}")
            raise IndexError("index out of range in self")
    out = _Embedding.apply(weight, indices=data, padding_idx=int(padding_idx),
                           scale_grad_by_freq=bool(scale_grad_by_freq))
    node = out._grad_fn
    if node is not None:                # torch saves the indices: modifying them before backward is an error
        node._save_extra([input])
    return out


# =========================================================== batch norm ==

def _verify_batch_size(size):
    prod = size[0]
    for s in size[2:]:
        prod *= s
    if prod == 1:
        raise ValueError(f"Expected more than 1 value per channel when training, got input size {size!r}")


def batch_norm(input, running_mean, running_var, weight=None, bias=None, training=False, momentum=0.1, eps=1e-05):
    """Normalize each channel (dim 1) by its mean and biased variance over the other dims.

    Training: the batch's statistics, and (given running buffers) ``running = (1 - momentum) running +
    momentum stat`` in place, with the unbiased variance, the statistics accumulated in float64 as torch's
    CPU kernel.  Evaluation: the running statistics.  Composed from differentiable ops (so its ``grad_fn``
    is the last op's, where torch prints ``NativeBatchNormBackward0``)."""
    if training:
        _verify_batch_size(input.size())
    if training and eps <= 0.0:
        raise ValueError(f"batch_norm eps must be positive during training, but got {eps}")
    elif eps < 0.0:
        raise ValueError(f"batch_norm eps must be non-negative, but got {eps}")
    if momentum is None or isinstance(momentum, bool) or not isinstance(momentum, (int, float, np.floating,
                                                                                   np.integer)):
        raise TypeError(f"batch_norm(): argument 'momentum' (position 7) must be float, not "
                        f"{type(momentum).__name__}")
    if input.numel() == 0:               # torch returns before any other check: a copy, times weight[0] + bias[0]
        out = input.clone()
        if weight is not None:
            out = out * weight[0]
        if bias is not None:
            out = out + bias[0]
        return out
    c = input.shape[1] if input.ndim > 1 else 0
    for name, t in (("running_mean", running_mean), ("running_var", running_var)):
        if t is not None:
            if t.numel() != c:
                raise RuntimeError(f"{name} should contain {c} elements not {t.numel()}")
        elif not training:
            raise RuntimeError(f"{name} must be defined in evaluation mode")
    for name, t in (("weight", weight), ("bias", bias)):
        if t is not None and t.numel() != c:
            raise RuntimeError(f"{name} should contain {c} elements not {t.numel()}")
    if input.ndim < 2 and training:      # torch's training kernel reads size(1) first...
        input.size(1)
    if (running_mean is None) != (running_var is None) and training:
        raise ValueError("running_mean and running_var must either both be None or neither be None")
    if not input.dtype.is_floating_point:
        raise NotImplementedError(f'"batch_norm" not implemented for \'{_scalar_name(input.dtype)}\'')
    params = (weight, bias, running_mean, running_var)
    _check_batch_norm_dtypes(input, params, mixed=True)
    if input.ndim < 2:                   # ... its evaluation kernel after the mixed-dtype checks
        input.size(1)
    _check_batch_norm_dtypes(input, params, mixed=False)
    shape = (1, c) + (1,) * (input.ndim - 2)
    dims = (0,) + tuple(range(2, input.ndim))
    if training:
        mean = input.mean(dims, keepdim=True)
        centered = input - mean
        var = (centered * centered).mean(dims, keepdim=True)
        out = centered / (var + eps).sqrt()
        if weight is not None:
            out = out * weight.reshape(shape)
        if bias is not None:
            out = out + bias.reshape(shape)
        if running_mean is not None:
            _update_running_stats(input, dims, running_mean, running_var, float(momentum))
    else:       # torch's inference form: input * alpha + beta, alpha = weight / sqrt(var + eps)
        alpha = 1 / (running_var + eps).sqrt()
        if weight is not None:
            alpha = alpha * weight
        beta = -running_mean * alpha if bias is None else bias - running_mean * alpha
        out = input * alpha.reshape(shape) + beta.reshape(shape)
    if out._grad_fn is not None:         # torch's node saves these: modifying one before backward is an error
        out._grad_fn._save_extra([t for t in (input, weight, running_mean, running_var) if t is not None])
    return out


def _check_batch_norm_dtypes(input, params, mixed):
    """torch's CPU kernel: when the first given parameter's dtype differs from the input's, every parameter
    must be float32 and the input a reduced float type (``mixed``); otherwise every parameter must have the
    input's dtype (checked later, as each one is read)."""
    given = [t for t in params if t is not None]
    if not given or (given[0].dtype is not input.dtype) != mixed:
        return
    if mixed:
        if any(t.dtype is not _dtype.float32 for t in given):
            raise RuntimeError("mixed dtype (CPU): expect parameter to have scalar type of Float")
        raise RuntimeError("mixed dtype (CPU): all inputs must share same datatype.")
    for t in given:
        if t.dtype is not input.dtype:
            raise RuntimeError(f"expected scalar type {_scalar_name(input.dtype)} but found "
                               f"{_scalar_name(t.dtype)}")


def _update_running_stats(input, dims, running_mean, running_var, momentum):
    """torch's CPU update, in float64: mean and unbiased variance of each channel, then the moving average."""
    x = _backend.to_numpy(input._data).astype(np.float64)
    n = x.size // input.shape[1]
    mean = x.mean(axis=dims)
    var_sum = ((x - mean.reshape((1, -1) + (1,) * (x.ndim - 2))) ** 2).sum(axis=dims)
    with np.errstate(divide="ignore", invalid="ignore"):
        unbiased = var_sum / (n - 1)
    for buf, stat in ((running_mean, mean), (running_var, unbiased)):
        old = _backend.to_numpy(buf._data).astype(np.float64).reshape(-1)
        new = momentum * stat + (1 - momentum) * old
        # written in place without a version bump, as torch's kernel (a second forward before backward is fine)
        buf._data[...] = _backend.asarray(new.reshape(tuple(buf.shape)), buf.device, buf.dtype.name)
