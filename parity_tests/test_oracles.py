"""Test the tester: deliberately wrong ops must fail the oracles.

The "library under test" here is torch itself with one function swapped for
a ``torch.autograd.Function`` whose forward is right and whose backward (or
dtype, or error) is wrong.  Correct ops are exercised against torch by
``test_ops.py`` in self-check mode (``MINIGRAD_UNDER_TEST=torch``).
"""

from __future__ import annotations

import numpy as np
import pytest
import torch
from hypothesis import HealthCheck, given, settings

import oracles
from ops_table import OPS_BY_NAME, OpSpec, ties
from strategies import F32, F64, Sample, samples, single


class FakeFramework:
    """torch, except for the attributes given as overrides."""

    def __init__(self, **overrides):
        self._overrides = overrides

    def __getattr__(self, name):
        if name in self._overrides:
            return self._overrides[name]
        return getattr(torch, name)


# ==========================================================================
# Deliberately wrong ops
# ==========================================================================
class ExpScaledGrad(torch.autograd.Function):
    """exp whose backward is 1.01x too large (gradcheck's classic example)."""

    @staticmethod
    def forward(ctx, x):
        y = torch.exp(x)
        ctx.save_for_backward(y)
        return y

    @staticmethod
    def backward(ctx, g):
        (y,) = ctx.saved_tensors
        return g * y * 1.01


class ExpDetachedGrad(torch.autograd.Function):
    """exp whose backward is right in value but not differentiable (detaches)."""

    @staticmethod
    def forward(ctx, x):
        y = torch.exp(x)
        ctx.save_for_backward(y)
        return y

    @staticmethod
    def backward(ctx, g):
        (y,) = ctx.saved_tensors
        return g * y.detach()


class MatmulTransposedGrad(torch.autograd.Function):
    """a @ b with d/da = g @ b instead of g @ b.T (only shape-valid for square b)."""

    @staticmethod
    def forward(ctx, a, b):
        ctx.save_for_backward(a, b)
        return a @ b

    @staticmethod
    def backward(ctx, g):
        a, b = ctx.saved_tensors
        return g @ b, a.T @ g


class AmaxFirstIndex(torch.autograd.Function):
    """Full max whose backward routes the whole gradient to the first maximum
    (max(dim)'s convention) instead of splitting it evenly between ties."""

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return x.amax()

    @staticmethod
    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        onehot = torch.zeros_like(x).flatten()
        onehot[x.flatten().argmax()] = 1.0
        return g * onehot.reshape(x.shape)


class MaximumTiesToFirst(torch.autograd.Function):
    """maximum giving the whole gradient to ``a`` on ties (torch: 0.5 each)."""

    @staticmethod
    def forward(ctx, a, b):
        ctx.save_for_backward(a, b)
        return torch.maximum(a, b)

    @staticmethod
    def backward(ctx, g):
        a, b = ctx.saved_tensors
        return g * (a >= b), g * (b > a)


class MulMeanUnbroadcast(torch.autograd.Function):
    """a * b (b broadcast along dim 0) whose d/db averages instead of summing."""

    @staticmethod
    def forward(ctx, a, b):
        ctx.save_for_backward(a, b)
        return a * b

    @staticmethod
    def backward(ctx, g):
        a, b = ctx.saved_tensors
        return g * b, (g * a).mean(0)


class ScaleByOneWithZeroGradForOther(torch.autograd.Function):
    """f(a, b) = a, but reports a zero (not None) gradient for the unused b."""

    @staticmethod
    def forward(ctx, a, b):
        return a.clone()

    @staticmethod
    def backward(ctx, g):
        return g, torch.zeros_like(g)


class AddWithGraphToInputs(torch.autograd.Function):
    """a + b whose backward keeps a (zero-valued) graph edge to the inputs:
    second-order gradients are zeros where torch's are None."""

    @staticmethod
    def forward(ctx, a, b):
        ctx.save_for_backward(a, b)
        return a + b

    @staticmethod
    def backward(ctx, g):
        a, b = ctx.saved_tensors
        return g + 0 * a, g + 0 * b


class AddWithSpuriousSecondOrder(torch.autograd.Function):
    """a + b whose backward depends on a: non-zero second order where torch has None."""

    @staticmethod
    def forward(ctx, a, b):
        ctx.save_for_backward(a, b)
        return a + b

    @staticmethod
    def backward(ctx, g):
        a, b = ctx.saved_tensors
        return g + 1e-3 * (a - a.detach()), g  # value g, but d/da of it is 1e-3


# ==========================================================================
# Specs and fixed samples
# ==========================================================================
EXP = OpSpec("exp", lambda m, a: m.exp(a))
MATMUL = OpSpec("matmul", lambda m, a, b: m.matmul(a, b), arity=2, kind="reduction")
AMAX = OpSpec("amax", lambda m, a: m.amax(a), kind="reduction", shapes=single(min_dims=1, min_side=1),
              kinks=ties, distinct=True)
MAXIMUM = OpSpec("maximum", lambda m, a, b: m.maximum(a, b), arity=2)
MUL = OpSpec("mul", lambda m, a, b: m.mul(a, b), arity=2)
FIRST = OpSpec("first", lambda m, a, b: a * 1 if m is torch else m.first(a, b), arity=2)  # b unused
ADD = OpSpec("add", lambda m, a, b: m.add(a, b), arity=2)
MEAN = OpSpec("mean", lambda m, a: m.mean(a), dtypes=(np.int64,), kind="reduction", torch_raises=True)

rng = np.random.default_rng(0)
X = Sample((rng.uniform(-2, 2, (3, 4)),), {}, seed=1)
X32 = Sample((X.args[0].astype(np.float32),), {}, seed=1)
SQUARE = Sample((rng.uniform(-2, 2, (3, 3)), rng.uniform(-2, 2, (3, 3))), {}, seed=2)
TIES = Sample((np.array([[1.0, 3.0, 3.0], [0.0, -1.0, 2.0]]),), {}, seed=3)
DISTINCT = Sample((np.array([[1.0, 3.5, 3.0], [0.0, -1.0, 2.0]]),), {}, seed=3)
TIES2 = Sample((np.array([1.0, 2.0, -1.0, 0.5]), np.array([1.0, 0.0, -1.0, 0.25])), {}, seed=4)
BCAST = Sample((rng.uniform(-2, 2, (4, 3)), rng.uniform(-2, 2, (3,))), {}, seed=5)
PAIR = Sample((rng.uniform(-2, 2, (2, 3)), rng.uniform(-2, 2, (2, 3))), {}, seed=6)
INTS = Sample((np.array([1, 2, 3], dtype=np.int64),), {}, seed=7)


def _fails(check, *args, match=None, **kwargs):
    with pytest.raises(AssertionError, match=match):
        check(*args, **kwargs)


# ==========================================================================
# Correct ops pass (the oracles are not trivially failing)
# ==========================================================================
@pytest.mark.parametrize("spec,sample", [(EXP, X), (EXP, X32), (MATMUL, SQUARE), (AMAX, TIES), (MAXIMUM, TIES2),
                                         (MUL, BCAST), (ADD, PAIR)])
def test_correct_ops_pass(spec, sample):
    oracles.check_parity(spec, sample, m_test=torch)
    smooth = sample.args[0].dtype == F64 and sample is not TIES and sample is not TIES2
    if smooth:
        oracles.check_numeric_grad(spec, sample, m_test=torch)
    oracles.check_gradgrad(spec, sample, m_test=torch, numeric=smooth)


# ==========================================================================
# backward x 1.01: A, B and C all fail
# ==========================================================================
EXP_SCALED = FakeFramework(exp=ExpScaledGrad.apply)


def test_scaled_grad_fails_A():
    _fails(oracles.check_parity, EXP, X, m_test=EXP_SCALED, match="gradient 0")
    _fails(oracles.check_parity, EXP, X32, m_test=EXP_SCALED, match="gradient 0")


def test_scaled_grad_fails_B():
    _fails(oracles.check_numeric_grad, EXP, X, m_test=EXP_SCALED, match="numerical gradient mismatch")


def test_scaled_grad_fails_C():
    _fails(oracles.check_gradgrad, EXP, X, m_test=EXP_SCALED, numeric=False, match="create_graph first-order")
    # C's numerical part alone (no torch): the VJP function's derivative is off by 1.01 too
    _fails(oracles.check_gradgrad, EXP, X, m_test=EXP_SCALED, compare_torch=False, numeric=True,
           match="numerical second order")


def test_scaled_grad_found_by_search():
    """The Hypothesis strategy finds the bug on its own (not only on a fixed sample)."""

    @settings(max_examples=50, database=None, deadline=None, derandomize=True,
              suppress_health_check=[HealthCheck.too_slow])
    @given(sample=samples(OPS_BY_NAME["exp"], "parity"))
    def search(sample):
        oracles.check_parity(OpSpec("exp", lambda m, a: m.exp(a)), sample, m_test=EXP_SCALED)

    with pytest.raises(AssertionError):
        search()


# ==========================================================================
# Transposed matmul gradient: A, B and C all fail
# ==========================================================================
MM_T = FakeFramework(matmul=MatmulTransposedGrad.apply)


def test_transposed_matmul_grad_fails_A():
    _fails(oracles.check_parity, MATMUL, SQUARE, m_test=MM_T, match="gradient 0")


def test_transposed_matmul_grad_fails_B():
    _fails(oracles.check_numeric_grad, MATMUL, SQUARE, m_test=MM_T, match="input 0")


def test_transposed_matmul_grad_fails_C():
    _fails(oracles.check_gradgrad, MATMUL, SQUARE, m_test=MM_T, numeric=False, match="create_graph first-order")
    # C's numerical part checks that the backward is *differentiable* consistently
    # with itself; a wrong first-order formula built from correct primitives is
    # self-consistent, so only the torch comparison (and oracles A, B) catch it.
    oracles.check_gradgrad(MATMUL, SQUARE, m_test=MM_T, compare_torch=False, numeric=True)


def test_failure_message_shows_jacobians():
    with pytest.raises(AssertionError) as info:
        oracles.check_numeric_grad(MATMUL, SQUARE, m_test=MM_T)
    assert "numerical\n" in str(info.value) and "analytical\n" in str(info.value)


# ==========================================================================
# Wrong tie conventions: A (at kinks) and C (first order) fail; B avoids kinks
# by design, so it must not flag the op on kink-free inputs.
# ==========================================================================
AMAX_FIRST = FakeFramework(amax=AmaxFirstIndex.apply)
MAXIMUM_FIRST = FakeFramework(maximum=MaximumTiesToFirst.apply)


def test_wrong_tie_convention_fails_A_and_C():
    _fails(oracles.check_parity, AMAX, TIES, m_test=AMAX_FIRST, match="gradient 0")
    _fails(oracles.check_gradgrad, AMAX, TIES, m_test=AMAX_FIRST, numeric=False)
    _fails(oracles.check_parity, MAXIMUM, TIES2, m_test=MAXIMUM_FIRST, match="gradient")
    _fails(oracles.check_gradgrad, MAXIMUM, TIES2, m_test=MAXIMUM_FIRST, numeric=False)


def test_wrong_tie_convention_passes_B_away_from_ties():
    oracles.check_numeric_grad(AMAX, DISTINCT, m_test=AMAX_FIRST)
    oracles.check_parity(AMAX, DISTINCT, m_test=AMAX_FIRST)  # no tie, same gradient


def test_kink_strategy_finds_wrong_tie_convention():
    @settings(max_examples=50, database=None, deadline=None, derandomize=True,
              suppress_health_check=[HealthCheck.too_slow])
    @given(sample=samples(AMAX, "kinks"))
    def search(sample):
        oracles.check_parity(AMAX, sample, m_test=AMAX_FIRST)

    with pytest.raises(AssertionError):
        search()


def test_numeric_strategy_avoids_ties():
    """B's samples for a tie-prone op never contain ties (so B cannot misfire)."""

    @settings(max_examples=30, database=None, deadline=None)
    @given(sample=samples(AMAX, "numeric"))
    def check(sample):
        a = sample.args[0]
        assert np.unique(a).size == a.size
        oracles.check_numeric_grad(AMAX, sample, m_test=AMAX_FIRST)

    check()


# ==========================================================================
# Other bug classes
# ==========================================================================
def test_non_differentiable_backward_fails_C_only():
    fake = FakeFramework(exp=ExpDetachedGrad.apply)
    oracles.check_parity(EXP, X, m_test=fake)  # first order is right
    oracles.check_numeric_grad(EXP, X, m_test=fake)
    _fails(oracles.check_gradgrad, EXP, X, m_test=fake, numeric=False, match="second-order")
    _fails(oracles.check_gradgrad, EXP, X, m_test=fake, compare_torch=False, numeric=True)


def test_wrong_unbroadcast_fails_A_and_B():
    fake = FakeFramework(mul=MulMeanUnbroadcast.apply)
    _fails(oracles.check_parity, MUL, BCAST, m_test=fake, match="gradient 1")
    _fails(oracles.check_numeric_grad, MUL, BCAST, m_test=fake, match="input 1")


def test_wrong_dtype_fails_A():
    fake = FakeFramework(exp=lambda x: torch.exp(x.double()))
    _fails(oracles.check_parity, EXP, X32, m_test=fake, match="dtype float64, torch gives float32")


def test_wrong_value_fails_A():
    fake = FakeFramework(exp=lambda x: torch.exp(x) * (1 + 1e-4))
    _fails(oracles.check_parity, EXP, X, m_test=fake, match="output 0")


def test_wrong_exception_type_fails_A():
    def mean_value_error(x):
        raise ValueError("mean of ints")

    _fails(oracles.check_parity, MEAN, INTS, m_test=FakeFramework(mean=mean_value_error), match="RuntimeError")
    # not raising where torch raises fails too
    _fails(oracles.check_parity, MEAN, INTS, m_test=FakeFramework(mean=lambda x: x.double().mean()),
           match="the library does not")
    oracles.check_parity(MEAN, INTS, m_test=torch)  # same error type passes


def test_unexpected_torch_error_is_a_harness_error():
    """A spec whose strategy draws inputs torch rejects fails loudly (torch_raises=False)."""
    bad = OpSpec("mean", lambda m, a: m.mean(a), dtypes=(np.int64,), kind="reduction")
    _fails(oracles.check_parity, bad, INTS, m_test=torch, match="torch_raises")


def test_none_versus_zero_policy():
    # first order: zeros where torch returns None (input not in the graph) fails
    fake = FakeFramework(first=ScaleByOneWithZeroGradForOther.apply)
    _fails(oracles.check_parity, FIRST, PAIR, m_test=fake, match="None")
    # second order: zeros where torch returns None pass ...
    oracles.check_gradgrad(ADD, PAIR, m_test=FakeFramework(add=AddWithGraphToInputs.apply), numeric=False)
    # ... non-zero where torch returns None fails
    _fails(oracles.check_gradgrad, ADD, PAIR, m_test=FakeFramework(add=AddWithSpuriousSecondOrder.apply),
           numeric=False, match="second-order")


def test_noncontiguous_layout_runs_both_frameworks_on_views():
    oracles.check_parity(MATMUL, SQUARE, m_test=torch, layout="noncontig")
    _fails(oracles.check_parity, MATMUL, SQUARE, m_test=MM_T, layout="noncontig")


def test_mutation_is_detected():
    def exp_in_place(x):
        with torch.no_grad():
            x.mul_(1.0000001)  # mutates its input
        return torch.exp(x)

    _fails(oracles.check_no_mutation, EXP, X, m_test=FakeFramework(exp=exp_in_place), match="modified")
    oracles.check_no_mutation(EXP, X, m_test=torch)


def test_tolerance_table_matches_guide():
    spec = OPS_BY_NAME["exp"]
    assert oracles.tolerance(spec, F64, "fwd") == (1e-7, 1e-7)
    assert oracles.tolerance(spec, F32, "fwd") == (1.3e-6, 1e-5)
    assert oracles.tolerance(spec, F32, "bwd") == (1e-5, 1e-5)
    red = OPS_BY_NAME["sum"]
    assert oracles.tolerance(red, F32, "fwd") == (1e-4, 1e-4)
    assert oracles.tolerance(red, F64, "bwd") == (1e-7, 1e-7)
    assert oracles.tolerance(spec, F32, "fwd", device="cuda") == (1e-4, 1e-4)
    assert (oracles.NUMERIC_EPS, oracles.NUMERIC_ATOL, oracles.NUMERIC_RTOL) == (1e-6, 1e-5, 1e-3)


def test_sample_repr_round_trips():
    s = Sample((np.zeros((0, 3), np.float32), np.array(2.5)),
               {"idx": (slice(None, 2, None), Ellipsis, None, np.array([0, -1])), "r": range(3)}, seed=9)
    again = eval(repr(s), {"np": np, "Sample": Sample})
    assert repr(again) == repr(s)
    assert again.args[0].shape == (0, 3) and again.args[0].dtype == np.float32
