"""Random programs against the autograd engine, run in torch and in the library under test.

``engine_fuzz.py`` holds the machinery (program generation, the interpreter, the comparison after every
line, the worker process, minimization, repros).  Budget:

* CI / dev profiles: ``CI_PROGRAMS`` programs, well under a minute;
* ``HYPOTHESIS_PROFILE=thorough``: ``THOROUGH_PROGRAMS`` (>= 20,000) programs;
* ``ENGINE_FUZZ_PROGRAMS=n`` overrides both; ``ENGINE_FUZZ_ALL=1`` also runs the features that
  ``engine_fuzz.DISABLED`` leaves out until their root cause is fixed.

On a divergence the program is cut down to the lines that still show it, and the failure message is a
runnable side-by-side repro (``m = torch`` / ``m = minigrad``).  The number of programs run is printed.
"""
from __future__ import annotations

import os
import re
import time

import numpy as np
import pytest
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import seed as hypothesis_seed

import engine_fuzz as ef

CI_PROGRAMS = 300
FIXED_SEED = 20261203      # CI and dev runs replay the same programs, whichever profile is loaded
THOROUGH_PROGRAMS = 20_000


def n_programs():
    if os.environ.get("ENGINE_FUZZ_PROGRAMS"):
        return int(os.environ["ENGINE_FUZZ_PROGRAMS"])
    return THOROUGH_PROGRAMS if settings.get_current_profile_name() == "thorough" else CI_PROGRAMS


@pytest.fixture(scope="module")
def worker():
    w = ef.Worker()
    yield w
    w.close()


def test_engine_fuzz(worker, capsys, record_property):
    enabled = ef.features()
    checks = {c for c in ef.CHECKS if f"check:{c}" in enabled}
    stats = {"programs": 0, "torch_crashes": 0}
    minimized: dict = {}
    n = n_programs()
    start = time.monotonic()

    # No Hypothesis shrinking: each step would run both frameworks; ef.minimize cuts lines instead.
    # the same programs on every run of the test command (a new finding must not make it flaky); the thorough
    # profile and ENGINE_FUZZ_PROGRAMS explore new ones
    fixed = settings.get_current_profile_name() != "thorough" and not os.environ.get("ENGINE_FUZZ_PROGRAMS")

    @settings(max_examples=n, deadline=None, suppress_health_check=list(HealthCheck), derandomize=False,
              database=None if fixed else settings.default.database,
              phases=[Phase.explicit, Phase.reuse, Phase.generate])
    @given(ef.program_strategy(enabled))
    def run(program):
        stats["programs"] += 1
        out = ef.run_program(worker, program, checks)
        if out.torch_crash:          # torch's own crash (it kills a torch-only worker too): not ours to judge
            stats["torch_crashes"] += 1
            return
        if out.died:
            pytest.fail(f"the worker {out.died} on this program (torch alone did not):\n"
                        + "\n".join(ef.render(line) for line in program), pytrace=False)
        if out.divergence is not None:
            key = repr(program)
            if key not in minimized:       # Hypothesis replays a failing example once more
                minimized[key] = ef.minimize(worker, program, checks, out.divergence)
            small, div = minimized[key]
            pytest.fail(f"{ef.describe(small, div)}\n\nrepro:\n{ef.repro(small, div)}", pytrace=False)

    if fixed:
        run = hypothesis_seed(FIXED_SEED)(run)
    try:
        run()
    finally:
        elapsed = time.monotonic() - start
        record_property("programs", stats["programs"])
        with capsys.disabled():
            print(f"\nengine fuzz: {stats['programs']} programs in {elapsed:.1f} s "
                  f"({stats['torch_crashes']} skipped: torch crashed); "
                  f"disabled: {sorted(ef.ALL_FEATURES - enabled) or 'none'}")


# ----------------------------------------------------------------------------------------------
# The harness itself
# ----------------------------------------------------------------------------------------------
def test_disabled_features_name_a_root_cause():
    """Each entry of DISABLED is a known feature and names the test id of what must be fixed first."""
    for feature, cause in ef.DISABLED.items():
        assert feature in ef.ALL_FEATURES, feature
        assert re.fullmatch(r"(R|E|F)\d+", cause), (feature, cause)
    assert ef.features(all_enabled=True) == ef.ALL_FEATURES


def test_every_line_kind_renders_and_generates():
    """Every line kind is generated and renders to valid Python."""
    seen = set()

    @settings(max_examples=80, database=None, deadline=None, phases=[Phase.generate],
              suppress_health_check=list(HealthCheck), derandomize=True)
    @given(ef.program_strategy(ef.ALL_FEATURES))
    def run(program):
        assert 1 <= len(program) <= 40
        for line in program:
            compile(ef.render(line), "<line>", "exec")
            seen.add(line[0])
    run()
    assert seen == set(ef.LINE_KINDS), f"never generated: {sorted(set(ef.LINE_KINDS) - seen)}"


def test_disabled_features_are_not_generated():
    off = frozenset({"inplace", "setitem", "view", "check:stride"})
    enabled = ef.ALL_FEATURES - off

    @settings(max_examples=60, database=None, deadline=None, phases=[Phase.generate],
              suppress_health_check=list(HealthCheck), derandomize=True)
    @given(ef.program_strategy(enabled))
    def run(program):
        assert not ef.program_tags(program) & off
    run()


def test_comparison_flags_each_kind_of_difference():
    """compare() reports outcome, message, value, flag and hook differences (a tester that can fail)."""
    prog = [("leaf", 0, [1.0], True)]
    checks = set(ef.CHECKS)

    def rec(outcome=("ok",), values=np.array([1.0], np.float32), rg=True, calls=()):
        return [(outcome, {0: {"shape": (1,), "dtype": "float32", "values": values, "requires_grad": rg}},
                 list(calls))]
    same = ef.compare(prog, rec(), rec(), checks)
    assert same is None
    assert ef.compare(prog, rec(), rec(("raised", "RuntimeError", "x")), checks).check == "exception"
    msg = "a leaf Variable that requires grad is being used in an in-place operation."
    d = ef.compare(prog, rec(("raised", "RuntimeError", msg)), rec(("raised", "RuntimeError", msg + "!")), checks)
    assert d.check == "message"
    assert ef.compare(prog, rec(("raised", "RuntimeError", "other text")),
                      rec(("raised", "RuntimeError", "different")), checks) is None     # not in the table
    d = ef.compare(prog, rec(), rec(values=np.array([1.001], np.float32)), checks)
    assert d.check == "values" and d.numeric
    assert ef.compare(prog, rec(), rec(values=np.array([1.0 + 1e-7], np.float32)), checks) is None
    d = ef.compare(prog, rec(), rec(values=np.array([1.0])), checks)              # float64, not float32
    assert d.check == "values" and not d.numeric
    d = ef.compare(prog, rec(), rec(values=np.array([np.nan], np.float32)), checks)
    assert d.check == "values"
    assert ef.compare(prog, rec(), rec(rg=False), checks).check == "requires_grad"
    calls = [("h1", ("tensor", "float32", np.array([2.0], np.float32)))]
    assert ef.compare(prog, rec(calls=calls), rec(), checks).check == "hook_calls"
    assert ef.compare(prog, rec(calls=calls), rec(calls=calls), checks) is None
    # the node named in a version-counter message is compared only with check:grad_fn on
    t_msg = ("one of the variables needed for gradient computation has been modified by an inplace operation: "
             "[torch.FloatTensor []], which is output 0 of Max1, is at version 1; expected version 0 instead.")
    m_msg = t_msg.replace("torch.", "minigrad.").replace("Max1", "Max")
    t_rec, m_rec = rec(("raised", "RuntimeError", t_msg)), rec(("raised", "RuntimeError", m_msg))
    assert ef.compare(prog, t_rec, m_rec, checks).check == "message"
    assert ef.compare(prog, t_rec, m_rec, checks - {"grad_fn"}) is None


class _Perturbed:
    """torch, except that tensors made by ``tensor()`` in the given dtypes are off by a relative 1e-4."""

    def __init__(self, dtypes):
        import torch
        self._torch, self._dtypes = torch, dtypes

    def __getattr__(self, name):
        return getattr(self._torch, name)

    def tensor(self, data, dtype=None, requires_grad=False):
        t = self._torch.tensor(data, dtype=dtype)
        if t.dtype in self._dtypes:
            t = t * (1 + 1e-4)
        return t.requires_grad_(requires_grad)


def test_float32_difference_is_confirmed_in_float64():
    """A float32-only value difference is not reported; one that float64 confirms is, as float64."""
    import torch
    program = [("leaf", 0, [[0.5, -1.5], [2.0, 1.0]], True), ("unary", 1, 0, "exp"),
               ("reduce", 2, 1, "sum", None, False), ("backward", 2, None, False, None)]
    checks = set(ef.CHECKS)
    assert ef.check_program(program, checks, (torch, _Perturbed({torch.float32}))) is None
    div = ef.check_program(program, checks, (torch, _Perturbed({torch.float32, torch.float64})))
    assert div is not None and div.dtype == "float64" and div.check == "values" and div.line == 0


def test_repro_is_runnable_python():
    program = [("leaf", 0, [1.0, 2.0], True), ("unary", 1, 0, "exp"), ("inplace", 1, "mul_", ("scalar", 2.0)),
               ("reduce", 2, 1, "sum", None, False), ("backward", 2, None, False, None)]
    div = ef.Divergence(4, "exception", None, ("raised", "RuntimeError", "x"), ("ok",))
    src = ef.repro(program, div)
    compile(src, "<repro>", "exec")
    assert "for m in (torch, " in src and "t1.mul_(2.0)" in src


def test_worker_survives_a_crash(worker):
    """A program that kills the process (as a torch segfault would) is skipped, and the worker restarts."""
    crash = [("leaf", 0, [1.0], True), ("_exit",)]
    out = ef.run_program(worker, crash, set(ef.CHECKS))
    assert out.torch_crash and out.divergence is None
    ok = ef.run_program(worker, [("leaf", 0, [1.0], True)], set(ef.CHECKS) - {"stride"})
    assert not ok.torch_crash and not ok.died
