"""Each speed shortcut against the plain NumPy call it replaces: same numbers, bit for bit
(the chunked matmul: the same sum in another order, to rounding).

minigrad keeps a few fast paths where NumPy's general routine costs more than
the work on small arrays (see benchmarks/results/profiles.md).  Each must give
exactly what the clear reference form gives, on every shape hypothesis draws.
"""
from __future__ import annotations

import numpy as np
from hypothesis import given, strategies as st
from hypothesis.extra import numpy as hnp

from minigrad import _backend
from minigrad._ops import _matmul

dtypes = st.sampled_from([np.float32, np.float64])
batch_shapes = hnp.array_shapes(min_dims=0, max_dims=2, min_side=1, max_side=3)


def _arrays(dtype, shape):
    return hnp.arrays(dtype, shape, elements=st.floats(-1e3, 1e3, width=32))


@given(st.data(), dtypes, batch_shapes, st.integers(1, 9), st.integers(1, 9), st.integers(1, 3))
def test_outer_product_matmul_is_bitwise_matmul(data, dtype, batch, n, m, k):
    """``_matmul`` multiplies by broadcasting when the contracted size is 1, else calls matmul."""
    x = data.draw(_arrays(dtype, batch + (n, k)))
    y = data.draw(_arrays(dtype, batch[-1:] + (k, m)))      # fewer batch dims: they broadcast
    expected = np.matmul(x, y)
    got = _matmul(np, x, y)
    assert got.shape == expected.shape and got.dtype == expected.dtype
    np.testing.assert_array_equal(got, expected)
    if k == 1:      # a transposed (non-contiguous) operand, as in a^T @ g
        xt = np.swapaxes(data.draw(_arrays(dtype, batch + (k, n))), -1, -2)
        np.testing.assert_array_equal(_matmul(np, xt, y), np.matmul(xt, y))


@given(st.data(), st.sampled_from([np.float32, np.float64, np.int32, np.int64, np.bool_]),
       hnp.array_shapes(min_dims=0, max_dims=4, min_side=0, max_side=5), st.booleans())
def test_backend_sum_is_np_sum(data, dtype, shape, keepdims):
    a = data.draw(hnp.arrays(dtype, shape))
    axis = data.draw(st.none() | st.lists(st.integers(0, max(len(shape) - 1, 0)), unique=True,
                                          max_size=len(shape)).map(tuple))
    expected = np.sum(a, axis=axis, keepdims=keepdims)
    got = _backend.sum(a, axis=axis, keepdims=keepdims)
    assert np.asarray(got).dtype == np.asarray(expected).dtype
    np.testing.assert_array_equal(got, expected)


@given(st.data(), dtypes, hnp.mutually_broadcastable_shapes(num_shapes=1, min_dims=0, max_dims=4, max_side=4))
def test_backend_broadcast_to_is_np_broadcast_to(data, dtype, shapes):
    (shape,), target = shapes.input_shapes, shapes.result_shape
    a = data.draw(_arrays(dtype, shape))
    got = _backend.broadcast_to(a, target)
    np.testing.assert_array_equal(got, np.broadcast_to(a, target))
    assert got.shape == target and not got.flags.writeable


@given(st.data(), st.sampled_from([np.float16, np.float32, np.float64]),
       hnp.mutually_broadcastable_shapes(num_shapes=2, min_dims=0, max_dims=3, max_side=4))
def test_zero_where_is_np_where(data, dtype, shapes):
    """The bitwise ``where(mask, 0, x)``: the same bits as np.where, nan/inf/-0.0 included."""
    mask_shape, x_shape = shapes.input_shapes
    mask = data.draw(hnp.arrays(np.bool_, mask_shape))
    x = data.draw(hnp.arrays(dtype, x_shape, elements=st.sampled_from([0.0, -0.0, 1.5, -2.0, np.inf, -np.inf,
                                                                       np.nan])))
    if data.draw(st.booleans()) and x.ndim >= 2:           # a strided view, as a permuted gradient
        full = np.broadcast_shapes(mask.shape, x.shape)     # swap x's first two dims, and the mask's same dims
        lead = len(full) - x.ndim
        mask = np.swapaxes(np.broadcast_to(mask, full), lead, lead + 1)
        x = np.swapaxes(x, 0, 1)
    expected = np.where(mask, dtype(0), x)
    got = _backend.zero_where(mask, x)
    assert got.shape == expected.shape and got.dtype == expected.dtype
    assert np.ascontiguousarray(got).tobytes() == np.ascontiguousarray(expected).tobytes()


@given(st.data(), dtypes, st.integers(1, 4), st.integers(1, 4), st.integers(1, 40), st.booleans())
def test_chunked_long_matmul_is_matmul(data, dtype, m, n, k, transposed):
    """``_backend.matmul`` sums K-chunks when the output is small and K long.  The bounds are
    lowered here so that small arrays take that route (chunks of 2..8); only the order of the sum changes."""
    saved = _backend._SMALL_GEMM, _backend._MIN_CHUNK
    _backend._SMALL_GEMM, _backend._MIN_CHUNK = m * n * data.draw(st.integers(2, 8)), 2
    try:
        x = data.draw(_arrays(dtype, (m, k)))
        y = data.draw(_arrays(dtype, (n, k) if transposed else (k, n)))
        got = _backend.matmul(x, y.T if transposed else y)     # transposed: as g @ cols^T
    finally:
        _backend._SMALL_GEMM, _backend._MIN_CHUNK = saved
    expected = x.astype(np.float64) @ (y.T if transposed else y).astype(np.float64)
    assert got.dtype == dtype and got.shape == (m, n)
    eps = np.finfo(dtype).eps
    # eps bounds each rounding relative to the operands, except where a product or sum falls below the smallest
    # normal number: there the rounding error is absolute, up to half the smallest subnormal per operation
    # (0.5 * 1.4e-45 rounds to 0 in float32); k products and k - 1 sums add at most k smallest subnormals
    underflow = k * np.finfo(dtype).smallest_subnormal
    np.testing.assert_allclose(got, expected, rtol=0,
                               atol=4 * k * eps * np.abs(x).max() * np.abs(y).max() + underflow)


def test_chunked_matmul_on_a_conv_weight_gradient_shape():
    rng = np.random.default_rng(0)
    g, cols = rng.standard_normal((6, 57600), np.float32), rng.standard_normal((9, 57600), np.float32)
    expected = g.astype(np.float64) @ cols.T.astype(np.float64)
    np.testing.assert_allclose(_backend.matmul(g, cols.T), expected, rtol=0, atol=1e-6 * np.abs(expected).max())


def test_root_gradient_ones_like():
    for dtype in (np.float32, np.float64):
        g = _backend.ones_like(np.zeros((), dtype))
        assert g.shape == () and g.dtype == dtype and g == 1


@given(st.data(), dtypes, hnp.array_shapes(min_dims=0, max_dims=3, max_side=4),
       st.sampled_from(["add_", "sub_", "mul_", "div_"]), st.sampled_from(["same", "one", "float", "int"]))
def test_inplace_ufunc_is_the_general_inplace(data, dtype, shape, method, kind):
    """``w -= g * lr`` under no_grad writes with ``out=``; the general route computes out of place and copies."""
    import minigrad as mg
    a = data.draw(_arrays(dtype, shape))
    if kind == "same":
        other = mg.tensor(data.draw(_arrays(dtype, shape)))
    elif kind == "one":
        other = mg.tensor(data.draw(_arrays(dtype, (1,) * data.draw(st.integers(0, len(shape))))))
    else:
        other = data.draw(st.floats(-1e3, 1e3, width=32) if kind == "float" else st.integers(-1000, 1000))
    fast, general = mg.tensor(a.copy()), mg.tensor(a.copy())
    op = {"add_": "add", "sub_": "sub", "mul_": "mul", "div_": "div"}[method]
    with mg.no_grad():
        v0 = fast._version
        assert getattr(fast, method)(other) is fast and fast._version == v0 + 1
        general._inplace(lambda s: getattr(s, op)(other), other)
    assert fast.numpy().tobytes() == general.numpy().tobytes()
    with mg.no_grad():
        fast.zero_()
        general._inplace(lambda s: mg._ops.Fill.apply(s, value=0))
    assert fast.numpy().tobytes() == general.numpy().tobytes()


# ------------------------------------------------------------ layout shortcuts ==
# The layout helpers skip torch's stride rules when the operands are row-major; each shortcut must give the
# strides the general rule gives (_backend.elementwise / view_strides / c_strides), in elements.

@st.composite
def _strided_arrays(draw, shape=None):
    """A NumPy view in one of many layouts: permuted, every other element along some dims, size-1 dims."""
    if shape is None:
        shape = draw(hnp.array_shapes(min_dims=0, max_dims=4, min_side=0, max_side=3))
    order = draw(st.permutations(range(len(shape))))
    steps = tuple(draw(st.sampled_from([1, 1, 2])) for _ in shape)
    base = np.arange(float(np.prod([n * s for n, s in zip(shape, steps)]))).reshape(
        tuple(shape[d] * steps[d] for d in order))
    return base.transpose(np.argsort(order))[tuple(slice(None, None, s) for s in steps)]


def _st(a):
    return tuple(s // a.itemsize for s in a.strides)


@given(_strided_arrays())
def test_unary_layout_shortcut_is_the_rule(a):
    y = np.exp(a)
    assert _st(_backend.unary(y, a)) == _st(_backend.elementwise(np.exp(a), a))


@given(st.data(), hnp.array_shapes(min_dims=0, max_dims=4, min_side=0, max_side=3))
def test_binary_layout_shortcut_is_the_rule(data, shape):
    a = data.draw(_strided_arrays(shape))
    k = data.draw(st.integers(0, len(shape)))
    b = data.draw(_strided_arrays(tuple(n if data.draw(st.booleans()) else 1 for n in shape[len(shape) - k:]))
                  | st.sampled_from([2.0, 3]))
    if data.draw(st.booleans()):
        a, b = b, a
    got = _backend.binary(np.add(a, b), a, b)
    assert _st(got) == _st(_backend.elementwise(np.add(a, b), a, b))
    np.testing.assert_array_equal(got, np.add(a, b))


@given(_strided_arrays())
def test_contiguous_layout_shortcut_is_the_rule(a):
    got = _backend.contiguous(a.copy(order="K"))
    assert _st(got) == _backend.c_strides(a.shape)
    np.testing.assert_array_equal(got, a)


@given(_strided_arrays())
def test_view_shortcut_is_the_rule(a):
    """A row-major array is reshaped by NumPy; the strides are computeStride's all the same."""
    c = np.ascontiguousarray(a)
    for shape in ((c.size,), tuple(reversed(c.shape)), tuple(n for n in c.shape if n != 1) + (1,)):
        got = _backend.view(c, shape)
        assert _st(got) == _backend.view_strides(c.shape, _backend.strides(c), shape)
        np.testing.assert_array_equal(got, c.reshape(shape))


@given(st.data(), dtypes, st.integers(1, 5), st.integers(1, 5), st.booleans())
def test_add_into_is_a_row_major_add(data, dtype, m, n, transposed):
    """Addmm's bias add: in place into a row-major product, into a new row-major array for a transposed one."""
    p = data.draw(_arrays(dtype, (n, m) if transposed else (m, n)))
    p = p.T if transposed else p
    c = data.draw(_arrays(dtype, (n,)))
    expected = p + c
    got = _backend.add_into(p.copy(order="K"), c)
    np.testing.assert_array_equal(got, expected)
    assert _st(got) == _backend.c_strides((m, n))
