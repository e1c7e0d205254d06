"""repr(tensor) is torch's, up to the module name (``minigrad.float64`` for ``torch.float64``).

minigrad's suffix text is 3 characters longer than torch's, so it may move to
its own line where torch's does not: line breaks before a suffix are ignored.
"""
import re

import numpy as np
import pytest
import torch
from hypothesis import given, settings, strategies as st
from hypothesis.extra import numpy as hnp

import minigrad


def _normalized(text):
    text = text.replace("minigrad.", "torch.")
    return re.sub(r",\n\s+(dtype|grad_fn|requires_grad|size|device)=", r", \1=", text)


def same_repr(array, requires_grad=False):
    t = torch.tensor(array, requires_grad=requires_grad)
    m = minigrad.tensor(array, requires_grad=requires_grad)
    assert _normalized(repr(m)) == _normalized(repr(t))


FLOATS = st.one_of(
    st.floats(-1e3, 1e3, width=32), st.floats(-2.0**-10, 2.0**-10, width=32), st.floats(-2.0**33, 2.0**33, width=32),
    st.sampled_from([0.0, 1.0, -2.0, 100.0, 0.5, float("nan"), float("inf"), -float("inf"), 1e-5, 123456.0]))


@settings(max_examples=150, deadline=None)
@given(hnp.arrays(st.sampled_from([np.float32, np.float64]), hnp.array_shapes(min_dims=0, max_dims=3, max_side=7),
                  elements=FLOATS))
def test_float_repr(a):
    same_repr(a)


@settings(max_examples=50, deadline=None)
@given(hnp.arrays(st.sampled_from([np.int64, np.int32, np.uint8, np.bool_]),
                  hnp.array_shapes(min_dims=0, max_dims=3, max_side=6)))
def test_int_bool_repr(a):
    same_repr(a)


@pytest.mark.parametrize("shape", [(2000,), (40, 40), (3, 1000), (5, 5, 60)])
def test_summarized_repr(shape):
    rng = np.random.default_rng(0)
    same_repr(rng.standard_normal(shape).astype(np.float32))


@pytest.mark.parametrize("shape", [(0,), (0, 3), (2, 0)])
def test_empty_repr(shape):
    same_repr(np.zeros(shape, np.float32))
    same_repr(np.zeros(shape, np.int64))


def test_requires_grad_and_grad_fn_suffixes():
    same_repr(np.array(3.5, np.float32), requires_grad=True)
    same_repr(np.ones((2, 2), np.float64), requires_grad=True)
    for m in (torch, minigrad):
        x = m.ones(2, 2, requires_grad=True)
        y = x + 2
        r = repr(y * y * 3)
        assert r.endswith("grad_fn=<MulBackward0>)") and "27." in r
    t = repr((torch.ones(2, requires_grad=True) * 2).mean())
    m = repr((minigrad.ones(2, requires_grad=True) * 2).mean())
    assert m == t
