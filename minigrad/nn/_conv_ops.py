"""im2col / col2im and max pooling: the window ops behind ``conv2d`` and the pooling functions.

``im2col`` copies every kernel window of a (padded) ``(N, C, H, W)`` input into
one array ``cols`` of shape ``(C, KH, KW, N, OH, OW)``::

    cols[c, i, j, n, oh, ow] = xpad[n, c, oh*sh + i*dh, ow*sw + j*dw]

with one strided-slice copy per kernel offset ``(i, j)`` (KH*KW copies, each
as big as the output), as DeZero and Chainer do.  Only slicing, ``zeros``,
``permute_dims`` and element-wise functions are used, so everything here runs
on every array-API backend (NumPy, CuPy, array-api-strict).

The layout is chosen so that the follow-up steps need no copy:

- conv2d: ``cols.reshape(C*KH*KW, N*OH*OW)`` is free, the convolution is one
  matrix product ``weight.reshape(O, C*KH*KW) @ cols`` of shape ``(O, N*OH*OW)``,
  and the ``(N, O, OH, OW)`` result is a permuted view of it;
- pooling: ``cols.reshape(C, KH*KW, N, OH, OW)`` reduces over axis 1.

Both results are then copied once into torch's contiguous ``(N, C, H, W)``
layout (``view()`` must work on them as on torch's); the next ``im2col`` reads
its input through a ``(C, N, H, W)`` permuted view.

``Im2col`` and ``Col2im`` are each other's derivative (the linear map and its
adjoint), DeZero's pair, so conv2d and pooling are differentiable to any order.
``MaxPool2d`` is fused for speed; under ``create_graph`` its backward is
written with ``where`` and ``Col2im``, so it is differentiable too.
"""
from __future__ import annotations

import math

import numpy as np

from .. import _backend
from .._tensor import Tensor, where
from ..autograd.function import Op


# ================================================================= helpers ==

def _is_tensor(x):
    return isinstance(x, Tensor)     # Tensors (create_graph) vs backend arrays


def out_size(size, k, s, pad_lo, pad_hi, d):
    """Number of window positions along one axis."""
    return (size + pad_lo + pad_hi - d * (k - 1) - 1) // s + 1


def arange(xp, n, like):
    """``xp.arange(n)`` (int64) on ``like``'s device."""
    if xp is np:
        return np.arange(n)
    try:
        return xp.arange(n, device=like.device)
    except TypeError:        # CuPy: arrays go to the current device
        return xp.arange(n)


def _slices(i, j, oh, ow, stride, dilation):
    """The cells of a (C, N, Hp, Wp) array that kernel offset (i, j) reads, for every window."""
    sh, sw = stride
    dh, dw = dilation
    return (slice(None), slice(None),
            slice(i * dh, i * dh + sh * (oh - 1) + 1, sh),
            slice(j * dw, j * dw + sw * (ow - 1) + 1, sw))


def _alloc(shape, like, zero=True):
    """A new array of ``like``'s dtype and device: zeros, or (``zero=False``) one every cell of which the
    caller overwrites.  NumPy gets ``np.zeros`` (calloc: untouched pages cost nothing) / ``np.empty``;
    other backends ``_backend.zeros``."""
    if type(like) is np.ndarray:
        return np.zeros(shape, like.dtype) if zero else np.empty(shape, like.dtype)
    return _backend.zeros(shape, like)


def _padded_t(x, padding, pad_value):
    """``x`` (N, C, H, W) as (C, N, H + pt + pb, W + pl + pr), the border filled with ``pad_value``."""
    xp = _backend.array_namespace(x)
    xt = xp.permute_dims(x, (1, 0, 2, 3))
    pt, pb, pl, pr = padding
    if not (pt or pb or pl or pr):
        return xt
    n, c, h, w = x.shape
    out = _alloc((c, n, h + pt + pb, w + pl + pr), x, zero=pad_value == 0)
    if pad_value != 0:
        out[...] = pad_value
    out[:, :, pt:pt + h, pl:pl + w] = xt
    return out


def _unpad_t(out, shape, padding):
    """The inverse of ``_padded_t`` for a (C, N, Hp, Wp) gradient: crop, back to (N, C, H, W)."""
    h, w = shape[2:]
    pt, pb, pl, pr = padding
    if pt or pb or pl or pr:
        out = out[:, :, pt:pt + h, pl:pl + w]
    return _backend.array_namespace(out).permute_dims(out, (1, 0, 2, 3))


def _zeros_padded_t(shape, padding, like):
    n, c, h, w = shape
    pt, pb, pl, pr = padding
    return _alloc((c, n, h + pt + pb, w + pl + pr), like)


# ========================================================= im2col, col2im ==

def im2col(x, kernel, stride, padding, dilation, pad_value=0.0):
    """``(N, C, H, W)`` array -> ``(C, KH, KW, N, OH, OW)`` windows (see module docstring).

    ``padding`` is ``(top, bottom, left, right)``; padded cells hold ``pad_value``.
    """
    n, c, h, w = x.shape
    kh, kw = kernel
    oh = out_size(h, kh, stride[0], padding[0], padding[1], dilation[0])
    ow = out_size(w, kw, stride[1], padding[2], padding[3], dilation[1])
    xt = _padded_t(x, padding, pad_value)
    cols = _alloc((c, kh, kw, n, oh, ow), x, zero=False)     # every cell is written below
    for i in range(kh):
        for j in range(kw):
            cols[:, i, j, ...] = xt[_slices(i, j, oh, ow, stride, dilation)]
    return cols


def col2im(cols, shape, kernel, stride, padding, dilation):
    """The adjoint of ``im2col``: add every window entry back to the input cell it came from."""
    kh, kw = kernel
    oh, ow = cols.shape[-2:]
    out = _zeros_padded_t(shape, padding, cols)
    for i in range(kh):
        for j in range(kw):
            out[_slices(i, j, oh, ow, stride, dilation)] += cols[:, i, j, ...]
    return _unpad_t(out, shape, padding)


class Im2col(Op):
    """cols[c,i,j,n,oh,ow] = xpad[n, c, oh*sh + i*dh, ow*sw + j*dw];  dx = col2im(g)"""
    node_name = "Im2ColBackward0"

    @staticmethod
    def forward(ctx, x, *, kernel, stride, padding, dilation, pad_value=0.0):
        ctx.geometry = dict(shape=x.shape, kernel=kernel, stride=stride, padding=padding, dilation=dilation)
        return im2col(x, kernel, stride, padding, dilation, pad_value)

    @staticmethod
    def backward(ctx, g):
        if _is_tensor(g):
            return Col2im.apply(g, **ctx.geometry)
        return col2im(g, **ctx.geometry)


class Col2im(Op):
    """x[n,c,h,w] = sum of the window entries taken from (h, w);  dcols = im2col(g) (zero padding)"""
    node_name = "Col2ImBackward0"

    @staticmethod
    def forward(ctx, cols, *, shape, kernel, stride, padding, dilation):
        ctx.geometry = dict(kernel=kernel, stride=stride, padding=padding, dilation=dilation)
        return col2im(cols, shape, kernel, stride, padding, dilation)

    @staticmethod
    def backward(ctx, g):
        if _is_tensor(g):
            return Im2col.apply(g, **ctx.geometry)
        return im2col(g, **ctx.geometry)


# ============================================================= max pooling ==

class MaxPool2d(Op):
    """(y, k) = max over each window, and the offset k of the winning cell: the first maximal one,
    or the last NaN (torch's rule);  dy/dx = g at that one cell per window (summed where windows overlap)

    Fused for speed: one pass per kernel offset and no (C, KH*KW, N, OH, OW)
    array.  ``functional._max_pool2d_reference`` composes the same from im2col
    and ``max(dim)``; the tests check that the two agree.
    """
    node_name = "MaxPool2DWithIndicesBackward0"

    @staticmethod
    def forward(ctx, x, *, kernel, stride, padding, dilation):
        xp = _backend.array_namespace(x)
        h, w = x.shape[2:]
        oh = out_size(h, kernel[0], stride[0], padding[0], padding[1], dilation[0])
        ow = out_size(w, kernel[1], stride[1], padding[2], padding[3], dilation[1])
        low = -math.inf if xp.isdtype(x.dtype, "real floating") else xp.iinfo(x.dtype).min   # int: no -inf
        xt = _padded_t(x, padding, low)
        # As torch's kernel: start from -inf at the window's first in-bounds cell and take a
        # cell when it is greater (or NaN).  np.where is slow on random masks (branch
        # mispredictions), so the running max is ``maximum`` (which propagates NaN) and the
        # winner's offset is the largest k at which a new maximum appeared.
        first = [np.maximum(0, -((np.arange(o) * stride[a] - padding[2 * a]) // dilation[a]))
                 for a, o in enumerate((oh, ow))]
        # the offset k < KH*KW fits a uint8 for every usual kernel: 8x less memory traffic than int64
        offset_dtype = xp.uint8 if kernel[0] * kernel[1] <= 256 else xp.int64
        idx0 = xp.astype(_backend.asarray(first[0][:, None] * kernel[1] + first[1][None, :], _backend.device_of(x)),
                         offset_dtype)
        has_nan = low == -math.inf and bool(xp.any(xp.isnan(x)))
        best = idx = None
        for k in range(kernel[0] * kernel[1]):
            v = xt[_slices(k // kernel[1], k % kernel[1], oh, ow, stride, dilation)]
            if best is None:
                best, idx = xp.full_like(v, low), xp.broadcast_to(idx0, v.shape)
            better = v > best
            if has_nan:
                better = better | xp.isnan(v)          # a NaN always takes over: the last NaN wins
            best = xp.maximum(best, v)
            idx = xp.maximum(idx, xp.astype(better, idx.dtype) * k)
        ctx.geometry = dict(shape=x.shape, kernel=kernel, stride=stride, padding=padding, dilation=dilation)
        ctx.idx = idx                                    # (C, N, OH, OW)
        # (N, C, OH, OW) contiguous, as torch's (a view of the (C, N, OH, OW) arrays would not view() as torch's)
        idx = _backend.contiguous(xp.permute_dims(idx, (1, 0, 2, 3)))
        ctx.mark_non_differentiable(idx)
        return _backend.contiguous(xp.permute_dims(best, (1, 0, 2, 3))), idx

    @staticmethod
    def backward(ctx, g, _g_idx=None):
        geo = ctx.geometry
        kh, kw = geo["kernel"]
        c, n, oh, ow = ctx.idx.shape
        if _is_tensor(g):
            # create_graph: the same routing with differentiable ops (linear in g; zero second derivative in x)
            xp = _backend.array_namespace(ctx.idx)
            positions = xp.astype(xp.reshape(arange(xp, kh * kw, ctx.idx), (1, -1, 1, 1, 1)), ctx.idx.dtype)
            hit = Tensor._make(positions == xp.expand_dims(ctx.idx, axis=1))
            gcols = where(hit, g.permute(1, 0, 2, 3).unsqueeze(1), 0.0)
            return Col2im.apply(gcols.reshape(c, kh, kw, n, oh, ow), **geo)
        xp = _backend.array_namespace(g)
        gt = xp.permute_dims(g, (1, 0, 2, 3))
        out = _zeros_padded_t(geo["shape"], geo["padding"], g)
        # windows that cannot overlap (stride >= the dilated kernel) send each input cell at most one
        # gradient: store it instead of adding it to the zeros
        disjoint = all(s >= d * (k - 1) + 1 for s, d, k in zip(geo["stride"], geo["dilation"], geo["kernel"]))
        for k in range(kh * kw):
            part = _backend.zero_where(ctx.idx != k, gt)
            cells = _slices(k // kw, k % kw, oh, ow, geo["stride"], geo["dilation"])
            if disjoint:
                out[cells] = part
            else:
                out[cells] += part
        return _unpad_t(out, geo["shape"], geo["padding"])
