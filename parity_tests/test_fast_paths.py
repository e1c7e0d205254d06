"""Each speed shortcut against the plain NumPy call it replaces: same numbers, bit for bit.

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


def test_root_gradient_ones_like():
    for dtype in (np.float32, np.float64):
        g = _backend.ones_like(np.zeros((), dtype))
        assert g.shape == () and g.dtype == dtype and g == 1
