"""Memory layout parity: every op's output has torch's strides, so ``stride()``, ``is_contiguous()``,
``contiguous()`` and ``view()`` behave as in torch; plus the forward semantics that hang on layout
(reshape copies that are no views, repeat always copying) and torch's nested-list indexing rule.

Each scenario is a function of the framework module ``m``, run with torch and with minigrad on the same
NumPy data; the outputs must agree in values, shape, ``stride()`` and ``is_contiguous()``.  Inputs are
built as strided views (transposed, sliced) the same way in both: ``tensor()`` of a NumPy array keeps the
array's strides in both libraries, so the views start from identical layouts.
"""
from __future__ import annotations

import warnings

import numpy as np
import pytest
import torch
from hypothesis import given, strategies as st
from hypothesis.extra import numpy as hnp

import minigrad



def _layout(t):
    return tuple(t.shape), tuple(t.stride()), bool(t.is_contiguous())


def _compare(make):
    """``make(m)`` with torch and with minigrad; the outputs must agree in values and layouts."""
    outs = []
    for m in (torch, minigrad):
        out = make(m)
        outs.append(out if isinstance(out, (tuple, list)) else (out,))
    assert len(outs[0]) == len(outs[1])
    for r, t in zip(*outs):
        assert _layout(t) == _layout(r), f"minigrad {_layout(t)}, torch {_layout(r)}"
        np.testing.assert_allclose(t.detach().numpy(), r.detach().numpy(), rtol=1e-6, atol=1e-6)


def _check(fn, *arrays):
    """``fn(m, *tensors)`` of tensors made from ``arrays`` (NumPy), in both frameworks."""
    _compare(lambda m: fn(m, *[m.tensor(a) for a in arrays]))


def _values(shape):
    """Deterministic values of both signs (masks and maxima vary with the position)."""
    n = int(np.prod(shape))
    return (np.arange(n) * 0.37 % 2.0 - 1.0).reshape(shape)


# ------------------------------------------------------------ strided inputs ==

@st.composite
def strided_of(draw, shape):
    """(array, dims, steps) such that ``tensor(array).permute(dims)[::steps]`` has ``shape``: a view in one of
    many layouts (any dim order, every other element along some dims)."""
    shape = tuple(shape)
    if not shape:
        return np.asarray(0.5), (), ()
    order = draw(st.permutations(range(len(shape))))
    steps = tuple(draw(st.sampled_from([1, 1, 2])) for _ in shape)
    array = _values(tuple(shape[d] * steps[d] for d in order))
    return array, tuple(int(i) for i in np.argsort(order)), steps


@st.composite
def strided(draw, min_dims=0, max_dims=4, min_side=0, max_side=3):
    shape = draw(hnp.array_shapes(min_dims=min_dims, max_dims=max_dims, min_side=min_side, max_side=max_side))
    return draw(strided_of(shape))


def view(m, spec):
    array, dims, steps = spec
    t = m.tensor(array)
    return t.permute(*dims)[tuple(slice(None, None, s) for s in steps)] if array.ndim else t


def _both(fn, *specs):
    """``fn(m, *views)`` of views built from ``specs``, in both frameworks."""
    _compare(lambda m: fn(m, *[view(m, s) for s in specs]))


@given(strided())
def test_views_start_alike(spec):
    """The harness itself: both libraries see the same input layout."""
    _both(lambda m, x: x, spec)


# ------------------------------------------------ the reported failures (R9) ==

R9 = {
    "advanced index": lambda m, x: x[:, [0, 2]].view(-1),
    "index_select": lambda m, x: x.index_select(1, m.tensor([0, 2])).view(-1),
    "mask": lambda m, x: x[:, m.tensor([True, False, True, False])].view(-1),
    "softmax of a transpose": lambda m, x: x.reshape(3, 2, 2).transpose(0, 2).softmax(-1).view(-1),
    "sum of a transpose": lambda m, x: x.reshape(3, 2, 2).transpose(0, 2).sum(0).view(-1),
    "cat of mT": lambda m, x: m.cat([x.mT, x.mT]).view(-1),
}


@pytest.mark.parametrize("name", list(R9))
def test_views_of_contiguous_results(name):
    _check(R9[name], _values((3, 4)))


def test_contiguous_returns_self_exactly_when_torch_does():
    """log_softmax is contiguous, so contiguous() returns it and an in-place change shows through."""
    for m in (torch, minigrad):
        x = m.tensor(_values((2, 3, 4)))
        y = x[0].t().log_softmax(0)
        z = y.contiguous()
        y.neg_()
        assert z is y and bool((z == y).all())
        t = x[0].t()
        assert not t.is_contiguous() and t.contiguous() is not t and t.contiguous().is_contiguous()
        e = x[0, :, :0].t()                     # empty: contiguous whatever its strides
        assert e.is_contiguous() and e.contiguous() is e


def test_stride_api():
    for m in (torch, minigrad):
        x = m.tensor(_values((2, 3, 4))).permute(2, 0, 1)
        assert x.stride() == (1, 12, 4) and x.stride(0) == 1 and x.stride(-1) == 4
        assert m.tensor(1.0).stride() == ()
    errors = []
    for m in (torch, minigrad):
        row = []
        for call in (lambda: m.tensor(1.0).stride(0), lambda: m.ones(2, 3).stride(2),
                     lambda: m.ones(2, 3).stride(-3), lambda: m.ones(2, 3).stride(1.0)):
            with pytest.raises(Exception) as info:
                call()
            row.append((type(info.value), str(info.value)))
        errors.append(row)
    assert errors[0] == errors[1]


def test_stride_on_the_strict_device():
    x = minigrad.ones(2, 3, device="strict")
    with pytest.raises(RuntimeError, match="do not have strides"):
        x.stride()
    assert x.is_contiguous() and x.t().reshape(6).shape == (6,)


@pytest.mark.parametrize("make", [
    lambda m: m.tensor(_values((1, 3))).t(),            # (3, 1) with strides (1, 1)
    lambda m: m.tensor(_values((3, 4)))[:, :1],          # a size-1 dim with stride 1
    lambda m: m.tensor(_values((4, 3))).t()[:1],         # (1, 4) with strides (1, 3)
    lambda m: m.tensor(_values((3, 4)))[:, :0],          # empty
    lambda m: m.tensor(np.zeros((0, 3))),                # NumPy's empty arrays: strides 0
    lambda m: m.tensor(_values((2, 1, 3))).permute(1, 2, 0),
    lambda m: m.tensor(1.5),
])
def test_is_contiguous_and_strides_of_corner_layouts(make):
    _check(lambda m: make(m))
    _check(lambda m: make(m).exp())
    _check(lambda m: make(m) * 2.0)
    _check(lambda m: make(m).contiguous())
    _check(lambda m: make(m).clone())


# ------------------------------------------------------------ elementwise ops ==

UNARY = {
    "exp": lambda m, x: x.exp(), "neg": lambda m, x: -x, "sigmoid": lambda m, x: x.sigmoid(),
    "relu": lambda m, x: x.relu(), "abs": lambda m, x: x.abs(), "clamp": lambda m, x: x.clamp(-0.5, 0.5),
    "pow": lambda m, x: x ** 2, "mul scalar": lambda m, x: x * 2.0, "rsub": lambda m, x: 1.0 - x,
    "rpow": lambda m, x: 2.0 ** x, "rdiv": lambda m, x: 1.0 / (x.abs() + 1), "clone": lambda m, x: x.clone(),
    "where scalar": lambda m, x: m.where(m.tensor(np.ones(x.shape, bool)), x, 0.0), "floor": lambda m, x: x.floor(),
    "leaky_relu": lambda m, x: m.nn.functional.leaky_relu(x, 0.1), "detach": lambda m, x: x.detach(),
}


@pytest.mark.parametrize("name", list(UNARY))
@given(spec=strided())
def test_unary_layout(name, spec):
    """A contiguous input gives a contiguous output; a dense one, its own strides; any other, dense strides
    in its order (TensorIterator).  A Python number as second operand sorts by the tensor's strides."""
    _both(UNARY[name], spec)


@given(spec=strided(max_dims=3))
def test_differentiable_cast_keeps_the_layout(spec):
    def fn(m, x):
        leaf = x.detach().requires_grad_()
        return leaf.float()
    _both(fn, spec)


@st.composite
def broadcast_pair(draw):
    """Two strided views whose shapes broadcast: one full, the other a suffix of it with some dims 1."""
    shape = draw(hnp.array_shapes(min_dims=0, max_dims=4, min_side=0, max_side=3))
    k = draw(st.integers(0, len(shape)))
    small = tuple(n if draw(st.booleans()) else 1 for n in shape[len(shape) - k:])
    pair = (draw(strided_of(shape)), draw(strided_of(small)))
    return pair if draw(st.booleans()) else pair[::-1]


BINARY = {
    "add": lambda m, x, y: x + y, "mul": lambda m, x, y: x * y, "sub": lambda m, x, y: x - y,
    "maximum": lambda m, x, y: m.maximum(x, y),
    "where": lambda m, x, y: m.where(m.tensor(np.ones(np.broadcast_shapes(x.shape, y.shape), bool)), x, y),
    "pow": lambda m, x, y: x.abs() ** y,
}


@pytest.mark.parametrize("name", list(BINARY))
@given(pair=broadcast_pair())
def test_binary_layout(name, pair):
    """Mixed layouts and broadcasting: the first operand's order wins, broadcast dims do not vote."""
    _both(BINARY[name], *pair)


# ------------------------------------------------------------------- views ==

VIEWS = {
    "flatten": lambda m, x: x.flatten(),
    "reshape to 1-d": lambda m, x: x.reshape(-1),
    "reshape with 1s": lambda m, x: x.reshape(tuple(n for n in x.shape if n != 1) + (1,)),
    "permute": lambda m, x: x.permute(tuple(reversed(range(x.ndim)))),
    "squeeze all": lambda m, x: x.squeeze(),
    "unsqueeze first": lambda m, x: x.unsqueeze(0) if not x.ndim or x.shape[0] != 1 else x,
    "unsqueeze last": lambda m, x: x.unsqueeze(-1) if not x.ndim or x.shape[-1] != 1 else x,
    "squeeze dim": lambda m, x: x.squeeze(0) if x.ndim and x.shape[0] == 1 and (x.ndim == 1 or x.shape[1] != 1) else x,
    "None and Ellipsis": lambda m, x: x[None, ..., None],
    "slice then None": lambda m, x: x[1:, None] if x.ndim else x[None],
    "expand": lambda m, x: x.expand(2, *x.shape),
    "expand size-1 dims": lambda m, x: x[..., :1].expand(*x.shape[:-1], 2) if x.ndim and x.shape[-1] else x,
    "t": lambda m, x: x.t() if x.ndim <= 2 else x,
}


@pytest.mark.parametrize("name", list(VIEWS))
@given(spec=strided())
def test_view_layout(name, spec):
    _both(VIEWS[name], spec)


def test_unsqueeze_next_to_a_size1_dim():
    """In a run of size-1 dims the new stride depends on the dim named (Tensor.unsqueeze passes it on)."""
    _check(lambda m, x: x[::2].unsqueeze(0), _values(2))      # (1,) with stride 2


@given(spec=strided(min_dims=1))
def test_view_refuses_exactly_where_torch_does(spec):
    """view() follows torch's rule for what memory can be viewed (computeStride), not NumPy's."""
    results = []
    for m in (torch, minigrad):
        x = view(m, spec)
        try:
            results.append(_layout(x.view(-1)))
        except RuntimeError as e:
            results.append(str(e))
    assert results[0] == results[1]


# ------------------------------------------------------- contiguous results ==

CONTIGUOUS = {
    "sum dim": lambda m, x: x.sum(0),
    "sum keepdim": lambda m, x: x.sum(-1, keepdim=True),
    "mean": lambda m, x: x.mean(0),
    "amax": lambda m, x: x.amax(-1, keepdim=True),
    "max dim": lambda m, x: x.max(0),
    "var": lambda m, x: x.var(-1) if x.shape[-1] > 1 else x.sum(-1),
    "norm": lambda m, x: x.norm(dim=0),
    "prod": lambda m, x: x.prod(0),
    "softmax": lambda m, x: x.softmax(0),
    "log_softmax": lambda m, x: x.log_softmax(-1),
    "index list": lambda m, x: x[[0, 0]],
    "index last dim": lambda m, x: x[..., m.tensor([0, 0])],
    "index middle": lambda m, x: x[:, [0]] if x.ndim > 1 else x[[0]],
    "index two arrays": lambda m, x: x[[0, 0], ..., [0, 0]] if x.ndim > 1 else x[[0, 0]],
    "mask": lambda m, x: x[x > 0],
    "row mask": lambda m, x: x[:, x[0] > 0] if x.ndim > 1 else x[x > 0],
    "index_select": lambda m, x: x.index_select(x.ndim - 1, m.tensor([0, 0])),
    "gather": lambda m, x: x.gather(0, m.zeros((1,) + tuple(x.shape[1:]), dtype=m.int64)),
    "cat": lambda m, x: m.cat([x, x], 0),
    "stack": lambda m, x: m.stack([x, x], x.ndim),
    "stack first": lambda m, x: m.stack([x, x], 0),
    "repeat": lambda m, x: x.repeat(*([1] * x.ndim)),
    "repeat 2": lambda m, x: x.repeat(2, *([1] * x.ndim)),
    "matmul": lambda m, x: x @ x.mT if x.ndim >= 2 else x @ x,
}


@pytest.mark.parametrize("name", list(CONTIGUOUS))
@given(spec=strided(min_dims=1, min_side=1))
def test_contiguous_results(name, spec):
    _both(CONTIGUOUS[name], spec)


@given(st.integers(0, 3), st.integers(0, 3), st.integers(0, 3), st.booleans())
def test_matmul_layouts_with_a_batch(n, k, p, grad):
    """A matrix that requires grad times a batch: torch folds it and transposes the product back."""
    a, b, c = _values((n, k)), _values((2, k, p)), _values((2, n, k))
    for x, y in ((a, b), (a[None], b), (c, b[0]), (c, b)):
        _check(lambda m, u, v: (u.requires_grad_() if grad else u) @ v, x, y)


def test_channels_last_cat_and_stack():
    x = _values((2, 3, 4, 5))
    _check(lambda m, t: m.cat([t.permute(0, 2, 3, 1)] * 2, 1), x)
    _check(lambda m, t: m.cat([t.permute(0, 2, 3, 1).contiguous().permute(0, 3, 1, 2)] * 2, 0), x)
    _check(lambda m, t: m.stack([t.permute(0, 2, 3, 1).contiguous().permute(0, 3, 1, 2)] * 2, 1), x)


# ------------------------------------------------------------------- repeat (R4) ==

@pytest.mark.parametrize("sizes", [(1, 1), (1, 1, 1), (2, 1), (1, 0), (0, 1, 1)])
def test_repeat_always_copies(sizes):
    for m in (torch, minigrad):
        x = m.tensor(_values((2, 3)))
        y = x.repeat(*sizes)
        before = y.clone()
        x.add_(1.0)
        assert bool((y == before).all()) and y.is_contiguous()
    _check(lambda m, t: t.t().repeat(*sizes), _values((3, 2)))


# ------------------------------------------------------- nested lists (R11) ==

NESTED = [
    [[0, 1], [1, 0]],              # a list of lists: two index arrays
    [0, slice(1, 3)],              # a slice inside: a tuple
    [0, None],
    [0, Ellipsis],
    [np.array([0, 1]), 1],
    [(0, 1)],
    [range(2)],
    [0, 1],                        # ints only: one index array
    [True, False, True],           # bools only: one mask
    list(range(2)) * 16,           # 32 items: one index array whatever they hold
]


@pytest.mark.parametrize("index", NESTED, ids=[str(i)[:30] for i in range(len(NESTED))])
def test_nested_list_indices(index):
    """torch's rule (NumPy's old one): a short non-tuple sequence holding a sequence, slice, tensor, None or
    Ellipsis is a tuple of indices, with a deprecation warning; otherwise it is one index."""
    results = []
    for m in (torch, minigrad):
        x = m.tensor(np.arange(12.0).reshape(3, 4))
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            out = x[index]
        messages = [str(w.message).split(" (Triggered internally")[0] for w in caught
                    if issubclass(w.category, UserWarning)]
        results.append((out.shape, out.tolist(), messages))
    assert results[0] == results[1]


def test_nested_list_with_a_tensor_and_setitem():
    for index in ([[0, 2], [1, 3]], [0, [1, 3]]):
        outs = []
        for m in (torch, minigrad):
            x = m.tensor(np.arange(12.0).reshape(3, 4))
            idx = [m.tensor(i) if isinstance(i, list) else i for i in index]
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                got = x[idx].tolist()
                x[index] = -1.0
            outs.append((got, x.tolist()))
        assert outs[0] == outs[1]


# ------------------------------------------------------- copying reshapes (R16) ==

def test_reshape_that_copies_is_no_view():
    names = []
    for m in (torch, minigrad):
        x = m.tensor(_values((3, 4)), requires_grad=True)
        for y in (x.t().reshape(12), x.t().flatten(), x.t()[:, :2].reshape(8)):
            assert y._base is None and y.is_contiguous()
            names.append((type(y.grad_fn).__name__, type(y.grad_fn.next_functions[0][0]).__name__))
        v = x.reshape(12)
        assert v._base is x and type(v.grad_fn).__name__ == "ViewBackward0"
        with m.no_grad():
            base = m.tensor(_values((3, 4)))
            y = base.t().reshape(12)
            y.add_(1.0)
            assert base._version == 0 and y._version == 1 and y._base is None
            w = base.reshape(12)
            w.add_(1.0)
            assert base._version == 1 and w._base is base
    assert names[:3] == names[3:] == [("UnsafeViewBackward0", "CloneBackward0")] * 3


def test_reshape_copy_gradient():
    grads = []
    for m in (torch, minigrad):
        x = m.tensor(_values((3, 4)), requires_grad=True)
        (x.t().reshape(12) * m.arange(12.0, dtype=m.float64)).sum().backward()
        grads.append(x.grad.numpy())
    np.testing.assert_allclose(grads[1], grads[0])


def test_view_of_a_non_viewable_layout_raises_torch_error():
    messages = []
    for m in (torch, minigrad):
        with pytest.raises(RuntimeError) as info:
            m.tensor(_values((3, 4))).t().view(12)
        messages.append(str(info.value))
        m.tensor(_values((3, 4))).t().view(2, 2, 3)       # splitting a dim always views
    assert messages[0] == messages[1]


# ------------------------------------------------------------------- nn ops ==

NN = {
    "max_pool2d": lambda m, x: m.nn.functional.max_pool2d(x, 2).view(-1),
    "avg_pool2d": lambda m, x: m.nn.functional.avg_pool2d(x, 2).view(-1),
    "adaptive_avg_pool2d": lambda m, x: m.nn.functional.adaptive_avg_pool2d(x, (3, 2)),
    "conv2d": lambda m, x: m.nn.functional.conv2d(x, m.ones(2, 3, 2, 2, dtype=m.float64)).view(-1),
    "linear": lambda m, x: m.nn.functional.linear(x.flatten(1).t(), m.ones(3, 2, dtype=m.float64)),
    "linear 3-d": lambda m, x: m.nn.functional.linear(x.permute(2, 0, 3, 1), m.ones(2, 3, dtype=m.float64),
                                                      m.ones(2, dtype=m.float64)),
    "mse none": lambda m, x: m.nn.functional.mse_loss(x.transpose(1, 3), x.transpose(1, 3).detach() * 0.5,
                                                      reduction="none"),
    "bce none": lambda m, x: m.nn.functional.binary_cross_entropy(x.transpose(0, 2).sigmoid(),
                                                                  x.transpose(0, 2).sigmoid().detach(),
                                                                  reduction="none"),
    "cross_entropy none": lambda m, x: m.nn.functional.cross_entropy(x.flatten(1).t(), m.zeros(48, dtype=m.int64),
                                                                     reduction="none"),
    "dropout": lambda m, x: m.nn.functional.dropout(x.transpose(1, 2), 0.0),
}


@pytest.mark.parametrize("name", list(NN))
def test_nn_layouts(name):
    _check(NN[name], _values((2, 3, 4, 4)).transpose(0, 1, 3, 2))
