"""Tests generated from the op table.

Each test is parametrized over ``OPS`` (ids = spec names) and over the
``device`` fixture.  Inside, a Hypothesis test is built for the spec (its
strategy depends on the spec, and ``Sample`` stays a ``@given`` argument so
``OpSpec.examples`` can pin cases with ``@example``); its database key and
derandomized seed are tied to the pytest node id, so every spec x device
has its own.

Budget per test, as a fraction of the profile's ``max_examples`` (scaled
again by ``OpSpec.max_examples_scale``) -- see ``BUDGET``.
"""

from __future__ import annotations

import importlib

import pytest
from hypothesis import HealthCheck, example, given, settings

import oracles
from frameworks import MG_IS_TORCH, MG_NAME, mg
from ops_table import COVERAGE_MODULES, OPS
from strategies import has_numeric_dtypes, samples

pytestmark = [
    # expected at the drawn edge cases (var of one element, log(0), x/0 ...): values are compared
    pytest.mark.filterwarnings("ignore:.*degrees of freedom is <= 0:UserWarning"),
    pytest.mark.filterwarnings("ignore::RuntimeWarning"),
]

BUDGET = {
    "parity": 1.0,  # oracle A, forward + backward merged
    "kinks": 0.5,  # oracle A at ties / zeros / bounds
    "numeric": 0.6,  # oracle B
    "gradgrad": 0.5,  # oracle C
    "noncontig": 0.3,
    "mutation": 0.25,
}
MIN_EXAMPLES = 3


def _param(spec):
    marks = []
    if spec.xfail and not MG_IS_TORCH:
        marks.append(pytest.mark.xfail(reason=spec.xfail, strict=False))
    return pytest.param(spec, id=spec.name, marks=marks)


ALL = [_param(s) for s in OPS]
WITH_KINKS = [_param(s) for s in OPS if s.kinks is not None]
NUMERIC = [_param(s) for s in OPS if s.numeric and has_numeric_dtypes(s)]
GRADGRAD = [_param(s) for s in OPS if s.gradgrad]


def _skip_unsupported(spec, device):
    if device == "strict" and spec.strict is not True:
        pytest.skip(f"not on array_api_strict: {spec.strict}")


def run_hypothesis(request, spec, strategy, check, budget: str, pinned=()):
    """Run ``check(sample)`` under Hypothesis with a per-node database key."""
    n = max(MIN_EXAMPLES, round(settings.default.max_examples * BUDGET[budget] * spec.max_examples_scale))

    def body(sample):
        check(sample)

    for ex in pinned:
        body = example(sample=ex)(body)
    test = settings(max_examples=n, deadline=None,
                    suppress_health_check=[HealthCheck.too_slow])(given(sample=strategy)(body))
    # What Hypothesis's pytest plugin does for parametrized @given tests: key the
    # example database (and the derandomize seed) on the node id, so specs and
    # devices do not share entries.
    test.hypothesis.inner_test._hypothesis_internal_add_digest = request.node.nodeid.encode()
    test()


# ==========================================================================
# Generated tests
# ==========================================================================
@pytest.mark.parametrize("spec", ALL)
def test_forward_backward_parity(spec, device, request):
    """Oracle A: forward (value, dtype, shape, requires_grad, stride, is_contiguous, exception type) and
    backward with a random cotangent, against torch."""
    _skip_unsupported(spec, device)
    run_hypothesis(request, spec, samples(spec, "parity"),
                   lambda s: oracles.check_parity(spec, s, device=device), "parity", pinned=spec.examples)


@pytest.mark.parametrize("spec", WITH_KINKS)
def test_kink_parity(spec, device, request):
    """Oracle A where torch has conventions: ties, zeros, clamp bounds, x/0 ..."""
    _skip_unsupported(spec, device)
    run_hypothesis(request, spec, samples(spec, "kinks"),
                   lambda s: oracles.check_parity(spec, s, device=device), "kinks")


@pytest.mark.parametrize("spec", NUMERIC)
def test_numeric_grad(spec, device, request):
    """Oracle B: float64 central differences of the library alone (fast vᵀJu)."""
    _skip_unsupported(spec, device)
    run_hypothesis(request, spec, samples(spec, "numeric"),
                   lambda s: oracles.check_numeric_grad(spec, s, device=device), "numeric")


@pytest.mark.parametrize("spec", GRADGRAD)
def test_gradgrad(spec, device, request):
    """Oracle C: create_graph and second-order gradients vs torch; numerical in float64."""
    _skip_unsupported(spec, device)
    run_hypothesis(request, spec, samples(spec, "smooth"),
                   lambda s: oracles.check_gradgrad(spec, s, device=device), "gradgrad")


@pytest.mark.parametrize("spec", ALL)
def test_noncontiguous(spec, device, request):
    """Oracle A on transposed / strided views of the inputs (grads w.r.t. the bases); the outputs' layouts
    follow the inputs' there."""
    _skip_unsupported(spec, device)
    run_hypothesis(request, spec, samples(spec, "parity"),
                   lambda s: oracles.check_parity(spec, s, device=device, layout="noncontig"), "noncontig")


@pytest.mark.parametrize("spec", ALL)
def test_no_input_mutation(spec, device, request):
    _skip_unsupported(spec, device)
    run_hypothesis(request, spec, samples(spec, "parity"),
                   lambda s: oracles.check_no_mutation(spec, s, device=device), "mutation")


# ==========================================================================
# Meta-tests
# ==========================================================================
def test_threads_pinned():
    """conftest.py pins BLAS/OpenMP threads (20-40x slowdown otherwise)."""
    import os

    import torch

    assert os.environ.get("OMP_NUM_THREADS") == "1"
    assert torch.get_num_threads() == 1


def test_spec_table_is_well_formed():
    names = [s.name for s in OPS]
    dupes = sorted({n for n in names if names.count(n) > 1})
    assert not dupes, f"duplicate spec names: {dupes}"
    for s in OPS:
        for (dt, phase) in s.tol:
            assert phase in ("fwd", "bwd"), f"{s.name}: tolerance phase {phase!r}"
        if s.strict is not True:
            assert isinstance(s.strict, str) and s.strict, f"{s.name}: strict must be True or a reason"
        assert s.arity >= 1, s.name


def test_public_names_covered():
    """Every name in the library's ``__all__`` is exercised by a spec or allow-listed."""
    if MG_IS_TORCH:
        pytest.skip("checks the library's __all__; torch is only standing in")
    covered = {n for s in OPS for n in s.covered_names}
    problems = []
    for sub, allowed in COVERAGE_MODULES.items():
        mod = mg if not sub else importlib.import_module(f"{MG_NAME}.{sub}")
        names = getattr(mod, "__all__", None)
        if names is None:
            problems.append(f"{mod.__name__} defines no __all__")
            continue
        missing = sorted(n for n in names if n not in covered and n not in allowed)
        if missing:
            problems.append(f"{mod.__name__}: {len(missing)} public names neither covered by an OpSpec "
                            f"(name or covers=) nor listed in ops_table.NOT_OPS/COVERAGE_MODULES:\n  "
                            + ", ".join(missing))
    assert not problems, "\n".join(problems)
