"""Shared pytest configuration for ``parity_tests/``.

Kept generic on purpose: every test module in this directory (op parity,
semantics, nn, optim, MNIST ...) shares it.

* Thread pinning.  NumPy (OpenBLAS) and torch (OpenMP) interleaved in one
  process oversubscribe the cores and run 20-40x slower, so
  the thread-count variables are forced to 1 *before* numpy or torch is
  imported, and torch's intra/inter-op pools are set to one thread.
* Hypothesis profiles ``dev``, ``ci`` and ``thorough``.
* The ``device`` fixture over which the library under test runs.
"""

from __future__ import annotations

import os
import sys

# --------------------------------------------------------------------------
# Thread pinning: must run before numpy / torch are imported anywhere.
# --------------------------------------------------------------------------
_THREAD_VARS = (
    "OMP_NUM_THREADS",
    "OPENBLAS_NUM_THREADS",
    "MKL_NUM_THREADS",
    "VECLIB_MAXIMUM_THREADS",
    "NUMEXPR_NUM_THREADS",
)
for _var in _THREAD_VARS:
    os.environ[_var] = "1"
# cuBLAS must not use TF32 when a cupy run is compared with CPU torch (6.5).
os.environ.setdefault("NVIDIA_TF32_OVERRIDE", "0")

if "numpy" in sys.modules:  # imported before us (a plugin?): env vars come too late
    try:
        from threadpoolctl import threadpool_limits

        threadpool_limits(1)
    except ImportError:  # pragma: no cover - best effort only
        pass

try:  # torch is a test-only dependency; backend-only runs may lack it
    import torch
except ImportError:  # pragma: no cover
    torch = None
else:
    torch.set_num_threads(1)
    try:
        torch.set_num_interop_threads(1)
    except RuntimeError:  # already set, or parallel work already started
        pass

# Sibling helper modules (frameworks.py, strategies.py, ...) are imported by
# plain name whatever pytest's import mode is.
_HERE = os.path.dirname(os.path.abspath(__file__))
if _HERE not in sys.path:
    sys.path.insert(0, _HERE)

import pytest  # noqa: E402
from hypothesis import HealthCheck, settings  # noqa: E402

# --------------------------------------------------------------------------
# Hypothesis profiles
# --------------------------------------------------------------------------
settings.register_profile(
    "dev",
    max_examples=10,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
# Re-registering the built-in name "ci": Hypothesis auto-loads "ci" when it
# detects a CI environment (CI=true, GITHUB_ACTIONS, ...), and re-registering
# the current profile reloads it, so nothing has to call load_profile here.
settings.register_profile(
    "ci",
    parent=settings.get_profile("ci"),
    derandomize=True,
    database=None,
    print_blob=True,
    deadline=None,
    max_examples=40,
    suppress_health_check=[HealthCheck.too_slow],
)
settings.register_profile(
    "thorough",
    max_examples=500,
    derandomize=False,
    deadline=None,
    print_blob=True,
    suppress_health_check=[HealthCheck.too_slow],
)


def pytest_configure(config):
    """Pick the profile: ``--hypothesis-profile`` > $HYPOTHESIS_PROFILE > CI > dev.

    ``--hypothesis-profile`` is applied by Hypothesis's own plugin; we load
    nothing when it is given so that it always wins, whichever of the two
    ``pytest_configure`` hooks runs first.
    """
    try:
        cli_profile = config.getoption("hypothesis_profile")
    except ValueError:  # hypothesis plugin disabled
        cli_profile = None
    if cli_profile:
        return
    env_profile = os.environ.get("HYPOTHESIS_PROFILE")
    if env_profile:
        settings.load_profile(env_profile)
    elif settings.get_current_profile_name() == "ci":
        pass  # auto-loaded under CI; our re-registration above is in effect
    else:
        settings.load_profile("dev")


def pytest_report_header(config):
    return (
        f"parity_tests: library under test = "
        f"{os.environ.get('MINIGRAD_UNDER_TEST', 'minigrad')!r}, "
        f"hypothesis profile = {settings.get_current_profile_name()!r} "
        f"(max_examples={settings.default.max_examples})"
    )


# --------------------------------------------------------------------------
# Devices
# --------------------------------------------------------------------------
UNDER_TEST = os.environ.get("MINIGRAD_UNDER_TEST", "minigrad")
# "cpu": NumPy arrays.  "strict": the library maps this string to
# array_api_strict arrays on its non-default device "device1", which catches
# NumPy-only calls (what would break CuPy).  "cuda": CuPy, skipped unless
# available.  torch standing in for minigrad (self-check) only knows "cpu".
DEVICES = ("cpu",) if UNDER_TEST == "torch" else ("cpu", "strict", "cuda")


@pytest.fixture(scope="session", params=DEVICES)
def device(request):
    """Device string passed as ``device=`` when creating tensors under test."""
    dev = request.param
    if dev == "cuda":
        import importlib

        lib = importlib.import_module(UNDER_TEST)
        cuda = getattr(lib, "cuda", None)
        if cuda is None or not cuda.is_available():
            pytest.skip(f"{UNDER_TEST}.cuda.is_available() is False")
    return dev
