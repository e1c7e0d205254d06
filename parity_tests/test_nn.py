"""nn layers and functionals against torch 2.13.

Every layer test builds the torch module, copies its weights into the
minigrad module by name through ``load_state_dict``, and compares the output,
the input gradient and every parameter gradient under a random cotangent, on
Hypothesis-drawn shapes and hyperparameters.  Pooling inputs are drawn from
{-1, 0, 1, 2} so that windows have ties (torch sends a max-pool gradient to
ONE cell per window).  Tolerances are the op table's reduction/conv row.
"""
from __future__ import annotations

import math
import warnings

import numpy as np
import pytest
import torch
import torch.nn as tnn
import torch.nn.functional as TF
from hypothesis import assume, given, strategies as st

from frameworks import MG_IS_TORCH, mg, to_np

mnn = mg.nn
MF = mg.nn.functional

TOL = {np.dtype(np.float64): (1e-7, 1e-7), np.dtype(np.float32): (1e-4, 1e-4)}
DTYPES = st.sampled_from([np.float64, np.float32])
SEEDS = st.integers(0, 2 ** 31 - 1)
minigrad_only = pytest.mark.skipif(MG_IS_TORCH, reason="tests minigrad internals")


# ================================================================ helpers ==

def close(actual, expected, what="", extra_atol=0.0):
    """|a - e| <= atol + rtol |e| with the dtype's tolerance (plus ``extra_atol``, where a caller says why);
    shapes and dtypes equal."""
    a, e = to_np(actual), to_np(expected)
    assert a.shape == e.shape, f"{what}: shape {a.shape} != {e.shape}"
    assert a.dtype == e.dtype, f"{what}: dtype {a.dtype} != {e.dtype}"
    rtol, atol = TOL.get(e.dtype, (0, 0))
    np.testing.assert_allclose(a, e, rtol=rtol, atol=atol + extra_atol, equal_nan=True, err_msg=what)


def copy_weights(mmod, tmod):
    """torch module's state_dict -> minigrad module, through load_state_dict (the path under test)."""
    result = mmod.load_state_dict({k: mg.tensor(v.detach().numpy()) for k, v in tmod.state_dict().items()})
    assert not result.missing_keys and not result.unexpected_keys


def pair(x, requires_grad=True):
    """The same NumPy data as a (torch, minigrad) pair of leaves."""
    x = np.asarray(x)
    rg = requires_grad and x.dtype.kind == "f"
    return torch.tensor(x, requires_grad=rg), mg.tensor(x, requires_grad=rg)


def backward_both(yt, ym, seed):
    g = np.random.default_rng(seed).standard_normal(tuple(yt.shape)).astype(to_np(yt).dtype)
    yt.backward(torch.tensor(g))
    ym.backward(mg.tensor(g))


def check_module(tmod, mmod, x, seed, dtype, input_atol=0.0):
    """Output, input gradient and every parameter gradient of the two modules agree."""
    if dtype == np.float64:
        tmod, mmod = tmod.double(), mmod.double()
    copy_weights(mmod, tmod)
    xt, xm = pair(np.asarray(x, dtype=dtype))
    yt, ym = tmod(xt), mmod(xm)
    close(ym, yt, "forward")
    backward_both(yt, ym, seed)
    close(xm.grad, xt.grad, "input grad", input_atol)
    tparams, mparams = dict(tmod.named_parameters()), dict(mmod.named_parameters())
    assert list(tparams) == list(mparams)
    for name, pt in tparams.items():
        close(mparams[name].grad, pt.grad, f"grad of {name}")


def check_fn(tf, mf, arrays, seed, grad_mask=None):
    """A functional of several arrays: forward and the gradient of every floating argument."""
    ts, ms = zip(*(pair(a, grad_mask is None or grad_mask[i]) for i, a in enumerate(arrays)))
    yt, ym = tf(*ts), mf(*ms)
    close(ym, yt, "forward")
    backward_both(yt, ym, seed)
    for i, (t, m) in enumerate(zip(ts, ms)):
        if t.requires_grad:
            close(m.grad, t.grad, f"grad of argument {i}")
    return yt, ym


def draw_array(seed, shape, dtype, ties=False, low=-3.0, high=3.0):
    rng = np.random.default_rng(seed)
    if ties:
        return rng.integers(-1, 3, size=shape).astype(dtype)
    return rng.uniform(low, high, size=shape).astype(dtype)


def second_order(tf, mf, arrays, seed):
    """Oracle C: gradients taken with create_graph=True, then differentiated again, match torch's."""
    rng = np.random.default_rng(seed)
    ts, ms = zip(*(pair(a) for a in arrays))
    yt, ym = tf(*ts), mf(*ms)
    v = rng.standard_normal(tuple(yt.shape)).astype(to_np(yt).dtype)
    vt, vm = pair(v)
    gt = torch.autograd.grad(yt, ts, vt, create_graph=True, allow_unused=True)
    gm = mg.autograd.grad(ym, ms, vm, create_graph=True, allow_unused=True)
    ws = [rng.standard_normal(tuple(t.shape)).astype(to_np(t).dtype) for t in ts]
    st_ = sum((g * torch.tensor(w)).sum() for g, w in zip(gt, ws) if g is not None and g.requires_grad)
    sm = sum((g * mg.tensor(w)).sum() for g, w in zip(gm, ws) if g is not None and g.requires_grad)
    for g_t, g_m in zip(gt, gm):
        close(g_m, g_t, "first-order grad")
    if not isinstance(st_, torch.Tensor):
        return
    hits_t = torch.autograd.grad(st_, ts + (vt,), allow_unused=True)
    hits_m = mg.autograd.grad(sm, ms + (vm,), allow_unused=True)
    for i, (h_t, h_m) in enumerate(zip(hits_t, hits_m)):
        ref = h_t if h_t is not None else torch.zeros_like((ts + (vt,))[i])
        got = h_m if h_m is not None else mg.zeros_like((ms + (vm,))[i])
        close(got, ref, f"second-order grad {i}")


def messages_match(fn_t, fn_m, exc=Exception):
    """Both raise the same exception type with the same text (torch.* type names read minigrad.*)."""
    with pytest.raises(exc) as et:
        fn_t()
    with pytest.raises(exc) as em:
        fn_m()
    assert type(em.value) is type(et.value)
    assert str(em.value) == str(et.value).replace("torch.", mg.__name__ + ".")


# ================================================================= linear ==

@given(in_f=st.integers(1, 6), out_f=st.integers(1, 5), batch=st.lists(st.integers(1, 3), max_size=2),
       bias=st.booleans(), dtype=DTYPES, seed=SEEDS)
def test_linear(in_f, out_f, batch, bias, dtype, seed):
    x = draw_array(seed, tuple(batch) + (in_f,), dtype)
    check_module(tnn.Linear(in_f, out_f, bias=bias), mnn.Linear(in_f, out_f, bias=bias), x, seed, dtype)


def test_linear_grad_fn_like_torch():
    lin = mnn.Linear(4, 3)
    out = lin(mg.randn(2, 4))
    assert out.grad_fn.name() == "AddmmBackward0"
    names = [(type(n).__name__ if n is not None else None, nr) for n, nr in out.grad_fn.next_functions]
    assert names == [("AccumulateGrad", 0), (None, 0), ("TBackward0", 0)]
    assert lin(mg.randn(4)).grad_fn.name() == "ViewBackward0"
    assert mnn.Linear(4, 3, bias=False)(mg.randn(2, 4)).grad_fn.name() == "MmBackward0"


def test_linear_default_init_bounds():
    lin = mnn.Linear(784, 200)
    bound = 1 / math.sqrt(784)
    for p in (lin.weight, lin.bias):
        a = to_np(p)
        assert a.dtype == np.float32 and np.abs(a).max() <= bound and np.abs(a).max() > 0.9 * bound
    assert tuple(lin.weight.shape) == (200, 784) and tuple(lin.bias.shape) == (200,)


def test_linear_errors_like_torch():
    messages_match(lambda: tnn.Linear(785, 10)(torch.randn(64, 784)),
                   lambda: mnn.Linear(785, 10)(mg.randn(64, 784)), RuntimeError)
    messages_match(lambda: tnn.Linear(785, 10)(torch.randn(784)), lambda: mnn.Linear(785, 10)(mg.randn(784)))
    messages_match(lambda: tnn.Linear(785, 10)(torch.randn(3, 5, 784)),
                   lambda: mnn.Linear(785, 10)(mg.randn(3, 5, 784)))
    messages_match(lambda: tnn.Linear(784, 10)(torch.randn(64, 784, dtype=torch.float64)),
                   lambda: mnn.Linear(784, 10)(mg.randn(64, 784, dtype=mg.float64)), RuntimeError)
    messages_match(lambda: tnn.Linear(784, 10)(torch.randn(784, dtype=torch.float64)),
                   lambda: mnn.Linear(784, 10)(mg.randn(784, dtype=mg.float64)), RuntimeError)


# ================================================================= conv2d ==

@st.composite
def conv_cases(draw):
    kh, kw = draw(st.integers(1, 3)), draw(st.integers(1, 3))
    dil = (draw(st.integers(1, 2)), draw(st.integers(1, 2)))
    padding = draw(st.one_of(st.integers(0, 2), st.tuples(st.integers(0, 2), st.integers(0, 2)),
                             st.sampled_from(["same", "valid"])))
    stride = (1, 1) if padding == "same" else draw(st.tuples(st.integers(1, 3), st.integers(1, 3)))
    if isinstance(padding, str):
        ph = pw = 0 if padding == "valid" else None
    else:
        ph, pw = (padding, padding) if isinstance(padding, int) else padding
    min_h = 1 if ph is None else max(1, dil[0] * (kh - 1) + 1 - 2 * ph)
    min_w = 1 if pw is None else max(1, dil[1] * (kw - 1) + 1 - 2 * pw)
    h, w = draw(st.integers(min_h, min_h + 5)), draw(st.integers(min_w, min_w + 5))
    return dict(n=draw(st.integers(1, 2)), c=draw(st.integers(1, 3)), o=draw(st.integers(1, 3)), h=h, w=w,
                kernel=(kh, kw), stride=stride, padding=padding, dilation=dil, bias=draw(st.booleans()),
                unbatched=draw(st.booleans()))


@given(case=conv_cases(), dtype=DTYPES, seed=SEEDS)
def test_conv2d(case, dtype, seed):
    kw = dict(kernel_size=case["kernel"], stride=case["stride"], padding=case["padding"],
              dilation=case["dilation"], bias=case["bias"])
    shape = (case["c"], case["h"], case["w"]) if case["unbatched"] else (case["n"], case["c"], case["h"], case["w"])
    check_module(tnn.Conv2d(case["c"], case["o"], **kw), mnn.Conv2d(case["c"], case["o"], **kw),
                 draw_array(seed, shape, dtype), seed, dtype)


def test_conv2d_functional_int_args():
    x, w, b = (draw_array(s, shape, np.float64) for s, shape in ((1, (2, 3, 7, 6)), (2, (4, 3, 3, 2)), (3, (4,))))
    check_fn(lambda x, w, b: TF.conv2d(x, w, b, 2, 1, 2), lambda x, w, b: MF.conv2d(x, w, b, 2, 1, 2),
             (x, w, b), 4)


def test_conv2d_errors_like_torch():
    messages_match(lambda: tnn.Conv2d(3, 6, 3)(torch.randn(2, 1, 8, 8)),
                   lambda: mnn.Conv2d(3, 6, 3)(mg.randn(2, 1, 8, 8)), RuntimeError)
    messages_match(lambda: tnn.Conv2d(3, 6, 3)(torch.randn(1, 8, 8)), lambda: mnn.Conv2d(3, 6, 3)(mg.randn(1, 8, 8)))
    messages_match(lambda: tnn.Conv2d(3, 6, 3)(torch.randn(8, 8)), lambda: mnn.Conv2d(3, 6, 3)(mg.randn(8, 8)))
    messages_match(lambda: tnn.Conv2d(3, 6, 3)(torch.randn(2, 3, 2, 2)),
                   lambda: mnn.Conv2d(3, 6, 3)(mg.randn(2, 3, 2, 2)))
    messages_match(lambda: tnn.Conv2d(3, 6, 3, padding="same", stride=2),
                   lambda: mnn.Conv2d(3, 6, 3, padding="same", stride=2), ValueError)
    messages_match(lambda: tnn.Conv2d(3, 6, 3, padding="foo"), lambda: mnn.Conv2d(3, 6, 3, padding="foo"), ValueError)
    messages_match(lambda: TF.conv2d(torch.randn(1, 3, 8, 8), torch.randn(6, 3, 3, 3), padding="same", stride=2),
                   lambda: MF.conv2d(mg.randn(1, 3, 8, 8), mg.randn(6, 3, 3, 3), padding="same", stride=2))
    messages_match(lambda: tnn.Conv2d(3, 6, 3)(torch.randn(2, 3, 8, 8, dtype=torch.float64)),
                   lambda: mnn.Conv2d(3, 6, 3)(mg.randn(2, 3, 8, 8, dtype=mg.float64)))
    messages_match(lambda: tnn.Conv2d(3, 6, 3, bias=False)(torch.randn(2, 3, 8, 8, dtype=torch.float64)),
                   lambda: mnn.Conv2d(3, 6, 3, bias=False)(mg.randn(2, 3, 8, 8, dtype=mg.float64)))


# (groups, in_channels, out_channels, kernel, stride, padding, dilation, bias); in == groups is depthwise
CONV_GROUPS = [
    (2, 4, 6, (3, 3), 1, 1, 1, True),
    (2, 4, 2, (3, 2), (2, 1), (1, 0), (1, 2), False),
    (3, 6, 9, (2, 3), 2, 0, 1, True),
    (3, 3, 3, (3, 3), 1, 1, 1, True),                # depthwise
    (4, 4, 8, (3, 3), (1, 2), 2, 2, False),          # depthwise, channel multiplier 2
    (4, 4, 4, (3, 3), 1, "same", (2, 1), True),      # depthwise, padding="same"
    (2, 6, 4, (1, 1), 1, "valid", 1, True),
]


@pytest.mark.parametrize("groups,c,o,kernel,stride,padding,dilation,bias", CONV_GROUPS)
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("unbatched", [False, True])
def test_conv2d_groups(groups, c, o, kernel, stride, padding, dilation, bias, dtype, unbatched):
    kw = dict(kernel_size=kernel, stride=stride, padding=padding, dilation=dilation, groups=groups, bias=bias)
    tmod, mmod = tnn.Conv2d(c, o, **kw), mnn.Conv2d(c, o, **kw)
    assert tuple(mmod.weight.shape) == tuple(tmod.weight.shape) == (o, c // groups) + kernel
    shape = (c, 7, 6) if unbatched else (2, c, 7, 6)
    check_module(tmod, mmod, draw_array(groups + o, shape, dtype), groups * 31 + c, dtype)


def test_conv2d_groups_functional():
    x, w, b = (draw_array(s, shape, np.float64) for s, shape in ((1, (2, 6, 7, 6)), (2, (4, 3, 3, 2)), (3, (4,))))
    check_fn(lambda x, w, b: TF.conv2d(x, w, b, 2, 1, 2, 2), lambda x, w, b: MF.conv2d(x, w, b, 2, 1, 2, 2),
             (x, w, b), 4)
    x, w = draw_array(4, (1, 5, 6, 6), np.float32), draw_array(5, (5, 1, 3, 3), np.float32)
    check_fn(lambda x, w: TF.conv2d(x, w, padding=1, groups=5), lambda x, w: MF.conv2d(x, w, padding=1, groups=5),
             (x, w), 6)


def test_conv2d_groups_init_bounds_like_torch():
    """fan_in = in_channels / groups * kh * kw for both the weight and the bias bound."""
    mg.manual_seed(0)
    m = mnn.Conv2d(8, 4, (3, 2), groups=4)
    bound = 1 / math.sqrt(8 // 4 * 3 * 2)
    for p in (m.weight, m.bias):
        a = to_np(p.detach())
        assert np.all(np.abs(a) <= bound) and np.abs(a).max() > 0.5 * bound
    assert mnn.init._calculate_fan_in_and_fan_out(m.weight) == \
        tnn.init._calculate_fan_in_and_fan_out(tnn.Conv2d(8, 4, (3, 2), groups=4).weight)


def test_conv2d_groups_errors_like_torch():
    o = torch.ones
    cases = [((1, 5, 8, 8), (4, 3, 3, 3), None, 2), ((1, 6, 8, 8), (3, 3, 3, 3), None, 2),
             ((1, 6, 8, 8), (1, 2, 3, 3), None, 3), ((1, 6, 8, 8), (4, 3, 3, 3), None, 0),
             ((1, 6, 8, 8), (4, 3, 3, 3), None, -1), ((5, 8, 8), (4, 3, 3, 3), None, 2),
             ((1, 6, 8, 8), (4, 3, 3, 3), (3,), 2), ((1, 6, 8, 8), (3, 3, 3, 3), (3,), 2)]
    for xs, ws, bs, g in cases:
        messages_match(lambda: TF.conv2d(o(xs), o(ws), None if bs is None else o(bs), groups=g),
                       lambda: MF.conv2d(mg.ones(xs), mg.ones(ws), None if bs is None else mg.ones(bs), groups=g),
                       RuntimeError)
    messages_match(lambda: tnn.Conv2d(4, 6, 3, groups=2)(o(1, 6, 8, 8)),
                   lambda: mnn.Conv2d(4, 6, 3, groups=2)(mg.ones(1, 6, 8, 8)), RuntimeError)
    for args in [(3, 4, 3, 1, 0, 1, 2), (4, 3, 3, 1, 0, 1, 2), (4, 4, 3, 1, 0, 1, 0), (4, 4, 3, 1, 0, 1, -2)]:
        messages_match(lambda: tnn.Conv2d(*args), lambda: mnn.Conv2d(*args), ValueError)


# ================================================================ pooling ==

def _pool_out(size, k, s, p, d, ceil_mode):
    span = size + 2 * p - d * (k - 1) - 1
    out = (span + (s - 1 if ceil_mode else 0)) // s + 1
    if ceil_mode and (out - 1) * s >= size + p:
        out -= 1
    return out


@st.composite
def pool_cases(draw, kind):
    k = (draw(st.integers(1, 3)), draw(st.integers(1, 3)))
    stride = draw(st.one_of(st.none(), st.tuples(st.integers(1, 3), st.integers(1, 3))))
    d = (draw(st.integers(1, 2)), draw(st.integers(1, 2))) if kind == "max" else (1, 1)
    limit = [k[i] // 2 for i in range(2)]       # torch's max_pool2d also wants pad <= kernel_size / 2
    p = (draw(st.integers(0, limit[0])), draw(st.integers(0, limit[1])))
    ceil_mode = draw(st.booleans())
    h, w = draw(st.integers(1, 8)), draw(st.integers(1, 8))
    s = stride or k
    outs = [_pool_out(n, k[i], s[i], p[i], d[i], ceil_mode) for i, n in enumerate((h, w))]
    assume(min(outs) > 0)
    # a window made only of padding (dilation stepping over the input) makes torch write out of bounds
    assume(all(any(0 <= o * s[i] - p[i] + j * d[i] < n for j in range(k[i])) for i, n in enumerate((h, w))
               for o in range(outs[i])))
    shape = (draw(st.integers(1, 3)), h, w) if draw(st.booleans()) else (draw(st.integers(1, 2)),
                                                                         draw(st.integers(1, 3)), h, w)
    kw = dict(kernel_size=k if draw(st.booleans()) or k[0] != k[1] else k[0], stride=stride, padding=p,
              ceil_mode=ceil_mode)
    if kind == "max":
        kw["dilation"] = d
    return shape, kw


@given(case=pool_cases("max"), dtype=DTYPES, seed=SEEDS)
def test_max_pool2d_ties(case, dtype, seed):
    shape, kw = case
    x = draw_array(seed, shape, dtype, ties=True)
    check_module(tnn.MaxPool2d(**kw), mnn.MaxPool2d(**kw), x, seed, dtype)
    vt, it = TF.max_pool2d(torch.tensor(x), return_indices=True, **kw)
    vm, im = MF.max_pool2d(mg.tensor(x), return_indices=True, **kw)
    close(vm, vt)
    np.testing.assert_array_equal(to_np(im), to_np(it))
    assert to_np(im).dtype == np.int64


@minigrad_only
@given(case=pool_cases("max"), seed=SEEDS)
def test_max_pool2d_fused_matches_argmax_reference(case, seed):
    """The fused op and the im2col + max(dim) composite agree, values and (tied) gradients."""
    shape, kw = case
    x = draw_array(seed, shape, np.float64, ties=True)
    a, b = mg.tensor(x, requires_grad=True), mg.tensor(x, requires_grad=True)
    ya, yb = MF.max_pool2d(a, **kw), MF._max_pool2d_reference(b, **kw)
    close(ya, yb)
    g = mg.tensor(np.random.default_rng(seed).standard_normal(tuple(ya.shape)))
    ya.backward(g)
    yb.backward(g)
    close(a.grad, b.grad)


def test_max_pool2d_nan_and_inf_like_torch():
    x = np.array([[[[np.nan, 1, 0], [1, np.nan, 0], [0, 0, -np.inf]]]])
    vt, it = TF.max_pool2d(torch.tensor(x), 2, stride=1, return_indices=True)
    vm, im = MF.max_pool2d(mg.tensor(x), 2, stride=1, return_indices=True)
    close(vm, vt)
    np.testing.assert_array_equal(to_np(im), to_np(it))      # torch keeps the last NaN
    g = np.array([[[[np.inf, 1.0], [np.nan, 2.0]]]])         # non-finite cotangents reach only the winners
    xt, xm = pair(np.arange(9.0).reshape(1, 1, 3, 3))
    TF.max_pool2d(xt, 2, stride=1).backward(torch.tensor(g))
    MF.max_pool2d(xm, 2, stride=1).backward(mg.tensor(g))
    close(xm.grad, xt.grad)
    # disjoint windows (stride >= kernel) store the gradients instead of adding them: same rule
    xt, xm = pair(np.arange(16.0).reshape(1, 1, 4, 4))
    TF.max_pool2d(xt, 2).backward(torch.tensor(g))
    MF.max_pool2d(xm, 2).backward(mg.tensor(g))
    close(xm.grad, xt.grad)
    assert not np.signbit(to_np(xm.grad)).any()              # the cells no window picked hold +0.0


@pytest.mark.parametrize("kernel,stride", [((17, 17), 1), ((16, 16), 4), ((3, 2), (3, 2))])
def test_max_pool2d_offset_widths(kernel, stride):
    """Window offsets are kept as uint8 up to 256 cells per window and as int64 beyond: both give torch's
    indices and gradients (17x17 = 289 cells; 16x16 = 256, the last that fits)."""
    x = np.random.default_rng(0).standard_normal((2, 3, 20, 21))
    vt, it = TF.max_pool2d(torch.tensor(x), kernel, stride=stride, return_indices=True)
    vm, im = MF.max_pool2d(mg.tensor(x), kernel, stride=stride, return_indices=True)
    close(vm, vt)
    np.testing.assert_array_equal(to_np(im), to_np(it))
    assert to_np(im).dtype == np.int64
    xt, xm = pair(x)
    TF.max_pool2d(xt, kernel, stride=stride).sum().backward()
    MF.max_pool2d(xm, kernel, stride=stride).sum().backward()
    close(xm.grad, xt.grad)


def test_max_pool2d_grad_fn_name():
    assert MF.max_pool2d(mg.randn(1, 1, 4, 4, requires_grad=True), 2).grad_fn.name() == \
        TF.max_pool2d(torch.randn(1, 1, 4, 4, requires_grad=True), 2).grad_fn.name()


@given(case=pool_cases("avg"), include_pad=st.booleans(), divisor=st.sampled_from([None, 3]), dtype=DTYPES,
       seed=SEEDS)
def test_avg_pool2d(case, include_pad, divisor, dtype, seed):
    shape, kw = case
    kw = dict(kw, count_include_pad=include_pad, divisor_override=divisor)
    check_module(tnn.AvgPool2d(**kw), mnn.AvgPool2d(**kw), draw_array(seed, shape, dtype), seed, dtype)


@given(h=st.integers(1, 7), w=st.integers(1, 7), out=st.data(), unbatched=st.booleans(), dtype=DTYPES, seed=SEEDS)
def test_adaptive_avg_pool2d(h, w, out, unbatched, dtype, seed):
    oh = out.draw(st.one_of(st.none(), st.integers(1, h)))
    ow = out.draw(st.one_of(st.none(), st.integers(1, w)))
    size = out.draw(st.sampled_from([(oh, ow), oh or 1]))
    shape = (2, h, w) if unbatched else (2, 2, h, w)
    check_module(tnn.AdaptiveAvgPool2d(size), mnn.AdaptiveAvgPool2d(size), draw_array(seed, shape, dtype), seed,
                 dtype)


def test_pool_errors_like_torch():
    messages_match(lambda: TF.max_pool2d(torch.randn(2, 3, 2, 2), 3), lambda: MF.max_pool2d(mg.randn(2, 3, 2, 2), 3))
    messages_match(lambda: TF.avg_pool2d(torch.randn(2, 3, 2, 2), 3), lambda: MF.avg_pool2d(mg.randn(2, 3, 2, 2), 3))
    messages_match(lambda: TF.max_pool2d(torch.randn(2, 3, 4, 4), 2, padding=2),
                   lambda: MF.max_pool2d(mg.randn(2, 3, 4, 4), 2, padding=2))
    messages_match(lambda: TF.max_pool2d(torch.randn(3, 4), 2), lambda: MF.max_pool2d(mg.randn(3, 4), 2))
    messages_match(lambda: TF.max_pool2d(torch.randn(2, 1, 5, 5), (3, 1), padding=(2, 0), dilation=2),
                   lambda: MF.max_pool2d(mg.randn(2, 1, 5, 5), (3, 1), padding=(2, 0), dilation=2))


# ============================================================ activations ==

ACTIVATIONS = [
    ("ReLU", {}), ("Sigmoid", {}), ("Tanh", {}), ("LeakyReLU", {}), ("LeakyReLU", {"negative_slope": 0.2}),
    ("Softmax", {"dim": -1}), ("Softmax", {"dim": 0}), ("LogSoftmax", {"dim": -1}), ("LogSoftmax", {"dim": 0}),
    ("Identity", {}), ("Flatten", {}), ("Flatten", {"start_dim": 0, "end_dim": 1}),
]


@pytest.mark.parametrize("name,kwargs", ACTIVATIONS)
@given(shape=st.lists(st.integers(1, 4), min_size=2, max_size=3), dtype=DTYPES, seed=SEEDS)
def test_activation_modules(name, kwargs, shape, dtype, seed):
    check_module(getattr(tnn, name)(**kwargs), getattr(mnn, name)(**kwargs), draw_array(seed, shape, dtype, ties=True),
                 seed, dtype)


def test_unflatten():
    check_module(tnn.Unflatten(1, (2, 3)), mnn.Unflatten(1, (2, 3)), draw_array(0, (4, 6, 2), np.float64), 1,
                 np.float64)


@pytest.mark.parametrize("fn", ["relu", "sigmoid", "tanh", "leaky_relu"])
def test_activation_grad_fn_names(fn):
    xt, xm = pair(np.array([-1.0, 0.0, 2.0]))
    yt, ym = getattr(TF, fn)(xt), getattr(MF, fn)(xm)
    assert ym.grad_fn.name() == yt.grad_fn.name()
    close(ym, yt)


def test_leaky_relu_default_slope_and_functional_forms():
    assert mnn.LeakyReLU().negative_slope == 0.01
    x = draw_array(3, (4, 5), np.float64)
    check_fn(lambda a: TF.leaky_relu(a, 0.02), lambda a: MF.leaky_relu(a, 0.02), (x,), 0)
    check_fn(lambda a: TF.softmax(a, dim=1), lambda a: MF.softmax(a, dim=1), (x,), 1)
    check_fn(lambda a: a.log_softmax(0), lambda a: a.log_softmax(0), (x,), 2)


def test_softmax_implicit_dim_warns_like_torch():
    x = draw_array(0, (3, 4), np.float64)
    with pytest.warns(UserWarning, match="Implicit dimension choice for softmax"):
        ym = MF.softmax(mg.tensor(x))
    close(ym, TF.softmax(torch.tensor(x), 1))


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_log_softmax_stable_at_1000(dtype):
    x = np.array([[1000.0, -1000.0, 0.0], [-1000.0, -1000.0, -999.0], [1000.0, 1000.0, 1000.0]], dtype=dtype)
    yt, ym = check_fn(lambda a: TF.log_softmax(a, 1), lambda a: MF.log_softmax(a, 1), (x,), 0)
    assert np.isfinite(to_np(ym)).all()
    check_fn(lambda a: TF.cross_entropy(a, torch.tensor([1, 2, 0])),
             lambda a: MF.cross_entropy(a, mg.tensor([1, 2, 0])), (x,), 1)


# ========================================================== normalization ==

@given(shape=st.lists(st.integers(1, 4), min_size=1, max_size=3), k=st.integers(1, 2), affine=st.booleans(),
       bias=st.booleans(), eps=st.sampled_from([1e-5, 1e-3]), as_int=st.booleans(), dtype=DTYPES, seed=SEEDS)
def test_layer_norm(shape, k, affine, bias, eps, as_int, dtype, seed):
    k = min(k, len(shape))
    ns = shape[-1] if as_int and k == 1 else tuple(shape[-k:])
    kw = dict(eps=eps, elementwise_affine=affine, bias=bias)
    tmod, mmod = tnn.LayerNorm(ns, **kw), mnn.LayerNorm(ns, **kw)
    if affine:        # random affine parameters, so their gradients are tested at non-trivial values
        with torch.no_grad():
            for p in tmod.parameters():
                p.copy_(torch.tensor(draw_array(seed + 1, tuple(p.shape), np.float32)))
    # A group of one element normalises to 0 whatever its value, so the input gradient is exactly 0; torch's
    # fused kernel leaves rounding noise there of the order of eps(dtype) * rstd * |g w| (1.2e-4 seen in
    # float32 with eps=1e-5, where rstd = 316), which minigrad's composed formula does not.
    single = math.prod(shape[-k:]) == 1
    input_atol = 64 * np.finfo(dtype).eps / math.sqrt(eps) if single else 0.0
    check_module(tmod, mmod, draw_array(seed, shape, dtype), seed, dtype, input_atol)


def test_layer_norm_unbatched_vector_and_error():
    check_module(tnn.LayerNorm(200), mnn.LayerNorm(200), draw_array(0, (200,), np.float32), 1, np.float32)
    messages_match(lambda: tnn.LayerNorm(4)(torch.randn(3, 5)), lambda: mnn.LayerNorm(4)(mg.randn(3, 5)),
                   RuntimeError)


# ================================================================ dropout ==

def test_dropout_train_and_eval():
    x = mg.ones(2000, requires_grad=True)
    drop = mnn.Dropout(0.25)
    assert drop.training
    y = drop(x)
    vals = to_np(y)
    kept = vals != 0
    assert 0.6 < kept.mean() < 0.9
    np.testing.assert_allclose(vals[kept], 1 / 0.75, rtol=1e-6)
    y.sum().backward()
    np.testing.assert_allclose(to_np(x.grad), vals, rtol=1e-6)        # the gradient is the scaled mask
    drop.eval()
    assert drop(x) is x
    assert MF.dropout(x, 0.5, training=False) is x
    assert (to_np(MF.dropout(mg.ones(10), 1.0)) == 0).all()
    assert not (to_np(MF.dropout(mg.ones(1000))) == 1).all()           # F.dropout defaults to training=True


def test_dropout_errors_like_torch():
    messages_match(lambda: tnn.Dropout(1.5), lambda: mnn.Dropout(1.5), ValueError)
    messages_match(lambda: TF.dropout(torch.ones(2), -0.1), lambda: MF.dropout(mg.ones(2), -0.1), ValueError)


# ================================================================= losses ==

REDUCTIONS = st.sampled_from(["mean", "sum", "none"])


@given(shape=st.lists(st.integers(1, 4), min_size=0, max_size=3), reduction=REDUCTIONS, dtype=DTYPES, seed=SEEDS)
def test_mse_loss(shape, reduction, dtype, seed):
    x, y = draw_array(seed, shape, dtype), draw_array(seed + 1, shape, dtype)
    yt, ym = check_fn(lambda a, b: tnn.MSELoss(reduction=reduction)(a, b),
                      lambda a, b: mnn.MSELoss(reduction=reduction)(a, b), (x, y), seed)
    assert ym.grad_fn.name() == yt.grad_fn.name() == "MseLossBackward0"


def test_mse_loss_broadcast_warning_and_int_target():
    x = draw_array(0, (1, 10), np.float32)
    with pytest.warns(UserWarning, match=rf"Using a target size \({mg.__name__}.Size\(\[10\]\)\) that is different"):
        ym = MF.mse_loss(mg.tensor(x), mg.arange(10))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        yt = TF.mse_loss(torch.tensor(x), torch.arange(10))
    close(ym, yt)


@st.composite
def class_cases(draw):
    """(input shape, target shape, n_classes): batched, unbatched and K-dimensional."""
    c = draw(st.integers(2, 5))
    kind = draw(st.sampled_from(["batched", "unbatched", "kdim"]))
    if kind == "unbatched":
        return (c,), (), c
    n = draw(st.integers(1, 4))
    if kind == "batched":
        return (n, c), (n,), c
    d = draw(st.integers(1, 3))
    return (n, c, d), (n, d), c


@given(case=class_cases(), reduction=REDUCTIONS, weighted=st.booleans(), ignore=st.sampled_from([None, 0, -100]),
       dtype=DTYPES, seed=SEEDS)
def test_nll_loss(case, reduction, weighted, ignore, dtype, seed):
    in_shape, t_shape, c = case
    rng = np.random.default_rng(seed)
    x = draw_array(seed, in_shape, dtype)
    t = rng.integers(0, c, size=t_shape)
    if ignore == -100 and t.size:
        t.flat[0] = -100
    kw = dict(reduction=reduction)
    if ignore is not None:
        kw["ignore_index"] = ignore
    w = rng.uniform(0.5, 2.0, c).astype(dtype) if weighted else None
    yt, ym = check_fn(lambda a: TF.nll_loss(a, torch.tensor(t), None if w is None else torch.tensor(w), **kw),
                      lambda a: MF.nll_loss(a, mg.tensor(t), None if w is None else mg.tensor(w), **kw), (x,), seed)
    assert ym.grad_fn.name() == yt.grad_fn.name()
    tmod = tnn.NLLLoss(None if w is None else torch.tensor(w), **kw)
    mmod = mnn.NLLLoss(None if w is None else mg.tensor(w), **kw)
    close(mmod(mg.tensor(x), mg.tensor(t)), tmod(torch.tensor(x), torch.tensor(t)))


@given(case=class_cases(), reduction=REDUCTIONS, weighted=st.booleans(), ignore=st.sampled_from([None, 1, -100]),
       smoothing=st.sampled_from([0.0, 0.1, 0.5]), probs=st.booleans(), dtype=DTYPES, seed=SEEDS)
def test_cross_entropy(case, reduction, weighted, ignore, smoothing, probs, dtype, seed):
    in_shape, t_shape, c = case
    rng = np.random.default_rng(seed)
    x = draw_array(seed, in_shape, dtype)
    kw = dict(reduction=reduction, label_smoothing=smoothing)
    w = rng.uniform(0.5, 2.0, c).astype(dtype) if weighted else None
    if probs:
        t = rng.dirichlet(np.ones(c), size=int(np.prod(in_shape)) // c).astype(dtype)
        class_dim = 0 if len(in_shape) == 1 else 1
        t = np.moveaxis(t.reshape(tuple(np.delete(in_shape, class_dim)) + (c,)), -1, class_dim)
    else:
        t = rng.integers(0, c, size=t_shape)
        if ignore == -100 and t.size:
            t.flat[-1] = -100
        if ignore is not None:
            kw["ignore_index"] = ignore
    check_fn(lambda a: tnn.CrossEntropyLoss(None if w is None else torch.tensor(w), **kw)(a, torch.tensor(t)),
             lambda a: mnn.CrossEntropyLoss(None if w is None else mg.tensor(w), **kw)(a, mg.tensor(t)), (x,), seed)


def test_nll_all_targets_ignored_is_nan_like_torch():
    x = draw_array(0, (2, 3), np.float64)
    check_fn(lambda a: TF.nll_loss(a, torch.tensor([-100, -100])), lambda a: MF.nll_loss(a, mg.tensor([-100, -100])),
             (x,), 0)


@given(shape=st.lists(st.integers(1, 4), min_size=0, max_size=3), reduction=REDUCTIONS, weighted=st.booleans(),
       dtype=DTYPES, seed=SEEDS)
def test_binary_cross_entropy(shape, reduction, weighted, dtype, seed):
    rng = np.random.default_rng(seed)
    p = rng.uniform(0.02, 0.98, size=shape).astype(dtype)
    t = rng.uniform(0, 1, size=shape).astype(dtype)
    w = rng.uniform(0.5, 2, size=shape[-1:]).astype(dtype) if weighted else None
    yt, ym = check_fn(
        lambda a, b: tnn.BCELoss(None if w is None else torch.tensor(w), reduction=reduction)(a, b),
        lambda a, b: mnn.BCELoss(None if w is None else mg.tensor(w), reduction=reduction)(a, b), (p, t), seed)
    assert ym.grad_fn.name() == yt.grad_fn.name()


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_binary_cross_entropy_clamps_like_torch(dtype):
    p, t = np.array([0.0, 1.0, 0.0, 1.0], dtype=dtype), np.array([1.0, 0.0, 0.0, 1.0], dtype=dtype)
    for reduction in ("mean", "sum", "none"):
        yt, ym = check_fn(lambda a: TF.binary_cross_entropy(a, torch.tensor(t), reduction=reduction),
                          lambda a: MF.binary_cross_entropy(a, mg.tensor(t), reduction=reduction), (p,), 0)
    close(MF.binary_cross_entropy(mg.tensor(p[:1]), mg.tensor(t[:1])), torch.tensor(100.0, dtype=torch.float64
                                                                                    if dtype == np.float64 else None))


@given(shape=st.lists(st.integers(1, 4), min_size=1, max_size=3), reduction=REDUCTIONS, weighted=st.booleans(),
       pos=st.booleans(), dtype=DTYPES, seed=SEEDS)
def test_binary_cross_entropy_with_logits(shape, reduction, weighted, pos, dtype, seed):
    rng = np.random.default_rng(seed)
    x = rng.choice([-50.0, -3.0, -1.0, 0.0, 0.5, 2.0, 40.0], size=shape).astype(dtype)
    t = rng.uniform(0, 1, size=shape).astype(dtype)
    w = rng.uniform(0.5, 2, size=shape[-1:]).astype(dtype) if weighted else None
    pw = rng.uniform(0.5, 3, size=shape[-1:]).astype(dtype) if pos else None

    def tf(a, b):
        return tnn.BCEWithLogitsLoss(None if w is None else torch.tensor(w), reduction=reduction,
                                     pos_weight=None if pw is None else torch.tensor(pw))(a, b)

    def mf(a, b):
        return mnn.BCEWithLogitsLoss(None if w is None else mg.tensor(w), reduction=reduction,
                                     pos_weight=None if pw is None else mg.tensor(pw))(a, b)
    check_fn(tf, mf, (x, t), seed)


def test_loss_errors_like_torch():
    x = torch.randn(2, 10)
    m = mg.randn(2, 10)
    messages_match(lambda: TF.nll_loss(x, torch.tensor([10, 1])), lambda: MF.nll_loss(m, mg.tensor([10, 1])),
                   IndexError)
    messages_match(lambda: TF.nll_loss(x, torch.tensor([-1, 1])), lambda: MF.nll_loss(m, mg.tensor([-1, 1])))
    messages_match(lambda: TF.cross_entropy(x, torch.tensor([10, 1])), lambda: MF.cross_entropy(m, mg.tensor([10, 1])))
    messages_match(lambda: TF.nll_loss(x, torch.tensor([1.0, 1.0])), lambda: MF.nll_loss(m, mg.tensor([1.0, 1.0])),
                   RuntimeError)
    messages_match(lambda: TF.nll_loss(x, torch.tensor([1, 1], dtype=torch.int32)),
                   lambda: MF.nll_loss(m, mg.tensor([1, 1], dtype=mg.int32)))
    messages_match(lambda: TF.nll_loss(x, torch.tensor([1, 1, 1])), lambda: MF.nll_loss(m, mg.tensor([1, 1, 1])),
                   ValueError)
    messages_match(lambda: TF.cross_entropy(x, torch.rand(2, 5)), lambda: MF.cross_entropy(m, mg.rand(2, 5)))
    messages_match(lambda: TF.cross_entropy(x, torch.tensor([1, 1]), label_smoothing=1.5),
                   lambda: MF.cross_entropy(m, mg.tensor([1, 1]), label_smoothing=1.5))
    messages_match(lambda: TF.nll_loss(x, torch.tensor([1, 1]), weight=torch.ones(3)),
                   lambda: MF.nll_loss(m, mg.tensor([1, 1]), weight=mg.ones(3)))
    for fn in ("mse_loss", "binary_cross_entropy"):
        messages_match(lambda: getattr(TF, fn)(torch.rand(3), torch.rand(3), reduction="foo"),
                       lambda: getattr(MF, fn)(mg.rand(3), mg.rand(3), reduction="foo"), ValueError)
    messages_match(lambda: TF.binary_cross_entropy(torch.rand(3) * 2 + 1, torch.rand(3)),
                   lambda: MF.binary_cross_entropy(mg.rand(3) * 2 + 1, mg.rand(3)), RuntimeError)
    messages_match(lambda: TF.binary_cross_entropy(torch.rand(3), torch.rand(4)),
                   lambda: MF.binary_cross_entropy(mg.rand(3), mg.rand(4)), ValueError)
    messages_match(lambda: TF.binary_cross_entropy_with_logits(torch.rand(3), torch.rand(4)),
                   lambda: MF.binary_cross_entropy_with_logits(mg.rand(3), mg.rand(4)), ValueError)


def test_legacy_size_average_reduce_args():
    x, y = draw_array(0, (3, 4), np.float64), draw_array(1, (3, 4), np.float64)
    for kw in (dict(size_average=False), dict(reduce=False)):
        with pytest.warns(UserWarning, match="size_average and reduce args will be deprecated"):
            ym = mnn.MSELoss(**kw)(mg.tensor(x), mg.tensor(y))
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            yt = tnn.MSELoss(**kw)(torch.tensor(x), torch.tensor(y))
        close(ym, yt)


def test_weighted_loss_keeps_weight_as_buffer():
    w = np.array([1.0, 2.0, 3.0], dtype=np.float32)
    assert list(mnn.CrossEntropyLoss(mg.tensor(w)).state_dict()) == \
        list(tnn.CrossEntropyLoss(torch.tensor(w)).state_dict()) == ["weight"]
    assert list(mnn.BCEWithLogitsLoss(pos_weight=mg.tensor(w)).state_dict()) == ["pos_weight"]


def test_one_hot_like_torch():
    t = np.array([[0, 2], [1, 3]])
    np.testing.assert_array_equal(to_np(MF.one_hot(mg.tensor(t), 5)), to_np(TF.one_hot(torch.tensor(t), 5)))
    np.testing.assert_array_equal(to_np(MF.one_hot(mg.tensor(t))), to_np(TF.one_hot(torch.tensor(t))))
    assert MF.one_hot(mg.tensor(t)).dtype == mg.int64
    messages_match(lambda: TF.one_hot(torch.tensor([0, 5]), 4), lambda: MF.one_hot(mg.tensor([0, 5]), 4),
                   RuntimeError)


# ======================================================== second order (C) ==

SECOND_ORDER = {
    "linear": (lambda F: (lambda x, w, b: F.linear(x, w, b)), [(3, 4), (2, 4), (2,)]),
    "linear_1d": (lambda F: (lambda x, w: F.linear(x, w)), [(4,), (2, 4)]),
    "conv2d": (lambda F: (lambda x, w, b: F.conv2d(x, w, b, stride=(2, 1), padding=1, dilation=(1, 2))),
               [(2, 2, 5, 6), (3, 2, 2, 3), (3,)]),
    "conv2d_groups": (lambda F: (lambda x, w, b: F.conv2d(x, w, b, stride=(1, 2), padding=1, dilation=(2, 1),
                                                           groups=2)),
                      [(2, 4, 5, 6), (6, 2, 2, 3), (6,)]),
    "conv2d_depthwise": (lambda F: (lambda x, w: F.conv2d(x, w, padding=1, groups=3)), [(1, 3, 4, 5), (3, 1, 3, 3)]),
    "log_softmax": (lambda F: (lambda x: F.log_softmax(x, 1)), [(3, 4)]),
    "softmax": (lambda F: (lambda x: F.softmax(x, 0)), [(3, 4)]),
    "mse": (lambda F: (lambda x, y: F.mse_loss(x, y)), [(3, 4), (3, 4)]),
    "mse_none": (lambda F: (lambda x, y: F.mse_loss(x, y, reduction="none")), [(3, 4), (3, 4)]),
    "layer_norm": (lambda F: (lambda x, w, b: F.layer_norm(x, (4,), w, b)), [(3, 4), (4,), (4,)]),
    "max_pool2d": (lambda F: (lambda x: F.max_pool2d(x, 2, 1)), [(1, 2, 4, 4)]),
    "avg_pool2d": (lambda F: (lambda x: F.avg_pool2d(x, 3, 2, 1)), [(1, 2, 5, 5)]),
    "tanh": (lambda F: (lambda x: F.tanh(x)), [(3, 4)]),
    "bce_logits": (lambda F: (lambda x, t: F.binary_cross_entropy_with_logits(x, t)), [(3, 4), (3, 4)]),
}


@pytest.mark.parametrize("name", sorted(SECOND_ORDER))
def test_second_order_matches_torch(name):
    make, shapes = SECOND_ORDER[name]
    arrays = [draw_array(i + 10, s, np.float64) for i, s in enumerate(shapes)]
    if name == "bce_logits":
        arrays[1] = np.abs(arrays[1]) / 3
    second_order(make(TF), make(MF), arrays, 7)


def test_second_order_cross_entropy_and_nll():
    x = draw_array(0, (4, 3), np.float64)
    t = np.array([0, 2, 1, 2])
    w = np.array([0.5, 1.0, 2.0])
    second_order(lambda a: TF.cross_entropy(a, torch.tensor(t), torch.tensor(w)),
                 lambda a: MF.cross_entropy(a, mg.tensor(t), mg.tensor(w)), [x], 3)
    second_order(lambda a: TF.nll_loss(a, torch.tensor(t), reduction="none"),
                 lambda a: MF.nll_loss(a, mg.tensor(t), reduction="none"), [x], 4)


def test_second_order_cross_entropy_label_smoothing():
    x = draw_array(0, (4, 3), np.float64)
    t = np.array([0, 2, 1, 2])
    second_order(lambda a: TF.cross_entropy(a, torch.tensor(t), label_smoothing=0.2),
                 lambda a: MF.cross_entropy(a, mg.tensor(t), label_smoothing=0.2), [x], 3)


def test_second_order_bce():
    p = np.random.default_rng(0).uniform(0.1, 0.9, (3, 2))
    t = np.random.default_rng(1).uniform(0, 1, (3, 2))
    second_order(TF.binary_cross_entropy, MF.binary_cross_entropy, [p, t], 5)


# ===================================================================== init ==

def test_init_gains_and_fans_like_torch():
    for args in [("linear",), ("sigmoid",), ("tanh",), ("relu",), ("leaky_relu",), ("leaky_relu", 0.2), ("selu",),
                 ("conv2d",)]:
        assert mnn.init.calculate_gain(*args) == tnn.init.calculate_gain(*args)
    for shape in [(3, 4), (6, 3, 5, 2)]:
        assert mnn.init._calculate_fan_in_and_fan_out(mg.zeros(shape)) == \
            tnn.init._calculate_fan_in_and_fan_out(torch.zeros(shape))
    messages_match(lambda: tnn.init.calculate_gain("foo"), lambda: mnn.init.calculate_gain("foo"), ValueError)
    messages_match(lambda: tnn.init.xavier_uniform_(torch.zeros(3)), lambda: mnn.init.xavier_uniform_(mg.zeros(3)))


@pytest.mark.parametrize("name,kwargs,bound", [
    ("uniform_", dict(a=-0.5, b=0.25), None),
    ("kaiming_uniform_", dict(a=math.sqrt(5)), 1 / math.sqrt(60)),
    ("kaiming_uniform_", dict(nonlinearity="relu", mode="fan_out"), math.sqrt(6 / 40)),
    ("xavier_uniform_", dict(gain=2.0), 2 * math.sqrt(6 / 100)),
])
def test_uniform_inits_fill_within_torch_bounds(name, kwargs, bound):
    t = mg.zeros(40, 60)
    with mg.no_grad():
        out = getattr(mnn.init, name)(t, **kwargs)
    assert out is t
    a = to_np(t)
    lo, hi = (kwargs["a"], kwargs["b"]) if bound is None else (-bound, bound)
    assert a.min() >= lo and a.max() <= hi and a.max() - a.min() > 0.9 * (hi - lo)


def test_normal_and_constant_inits():
    p = mnn.Parameter(mg.zeros(200, 300))
    mnn.init.normal_(p, 1.0, 2.0)
    assert abs(to_np(p).mean() - 1.0) < 0.05 and abs(to_np(p).std() - 2.0) < 0.05
    assert p.is_leaf and p.requires_grad
    mnn.init.kaiming_normal_(p)
    assert abs(to_np(p).std() - math.sqrt(2 / (1 + 0.01 ** 2)) / math.sqrt(300)) < 0.01
    mnn.init.xavier_normal_(p)
    assert abs(to_np(p).std() - math.sqrt(2 / 500)) < 0.005
    for fn, value in ((mnn.init.zeros_, 0.0), (mnn.init.ones_, 1.0), (lambda t: mnn.init.constant_(t, 3.5), 3.5)):
        fn(p)
        assert (to_np(p) == value).all()
    mnn.init.eye_(p)
    np.testing.assert_array_equal(to_np(p), np.eye(200, 300, dtype=np.float32))


def test_manual_seed_makes_init_reproducible():
    mg.manual_seed(3)
    a = to_np(mnn.Linear(5, 4).weight)
    mg.manual_seed(3)
    b = to_np(mnn.Linear(5, 4).weight)
    np.testing.assert_array_equal(a, b)


# ============================================================ other devices ==

def _device_works(device):
    try:
        mg.tensor([1.0], device=device) * 2
        return True
    except Exception:
        return False


@minigrad_only
def test_layers_on_every_device(device):
    """The xp-agnostic code paths (im2col, pooling, losses) on each backend, against NumPy minigrad."""
    if device != "cpu" and not _device_works(device):
        pytest.skip(f"the core cannot create tensors on {device!r} yet")
    rng = np.random.default_rng(0)
    cases = [
        (lambda x, w, b: MF.conv2d(x, w, b, 1, 1), [(2, 3, 6, 5), (4, 3, 3, 2), (4,)]),
        (lambda x, w, b: MF.conv2d(x, w, b, 1, 1, 1, 3), [(2, 3, 6, 5), (6, 1, 3, 2), (6,)]),
        (lambda x: MF.max_pool2d(x, 3, 2, 1, ceil_mode=True), [(2, 3, 6, 5)]),
        (lambda x: MF.avg_pool2d(x, 3, 2, 1, ceil_mode=True, count_include_pad=False), [(2, 3, 6, 5)]),
        (lambda x: MF.adaptive_avg_pool2d(x, (4, 3)), [(2, 3, 6, 5)]),
        (lambda x: MF.layer_norm(MF.log_softmax(x, 1), (3,)), [(5, 3)]),
        (lambda x: MF.cross_entropy(x, mg.tensor([0, 2, 1, -100, 0], device=x.device), label_smoothing=0.1),
         [(5, 3)]),
        (lambda x, y: MF.mse_loss(x, y) + MF.binary_cross_entropy_with_logits(x, y.sigmoid()), [(5, 3), (5, 3)]),
        (lambda x: MF.binary_cross_entropy(x.sigmoid(), mg.ones(5, 3, dtype=x.dtype, device=x.device)), [(5, 3)]),
    ]
    for fn, shapes in cases:
        arrays = [rng.standard_normal(s) for s in shapes]
        on_dev = [mg.tensor(a, device=device, requires_grad=True) for a in arrays]
        on_cpu = [mg.tensor(a, requires_grad=True) for a in arrays]
        yd, yc = fn(*on_dev), fn(*on_cpu)
        close(yd.cpu(), yc)
        g = rng.standard_normal(tuple(yc.shape))
        yd.backward(mg.tensor(g, device=device))
        yc.backward(mg.tensor(g))
        for d, c in zip(on_dev, on_cpu):
            close(d.grad.cpu(), c.grad)
