"""The library under test (``mg``) and the reference (``torch``), plus converters.

``MINIGRAD_UNDER_TEST`` names the module under test (default ``minigrad``);
``MINIGRAD_UNDER_TEST=torch`` runs the whole harness with torch standing in
for minigrad, which checks the harness's own plumbing.
"""

from __future__ import annotations

import importlib
import os

for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")  # conftest forces these; this covers direct imports

import numpy as np  # noqa: E402
import torch  # noqa: E402

MG_NAME = os.environ.get("MINIGRAD_UNDER_TEST", "minigrad")
mg = importlib.import_module(MG_NAME)
MG_IS_TORCH = mg is torch


def to_mg(a, device: str = "cpu", requires_grad: bool = False, m=None):
    """NumPy array -> tensor of the library under test (``m`` defaults to ``mg``)."""
    m = mg if m is None else m
    return m.tensor(np.asarray(a), device=device, requires_grad=requires_grad)


def to_torch(a, requires_grad: bool = False):
    """NumPy array -> CPU torch tensor (copies; keeps the dtype)."""
    return torch.tensor(np.asarray(a), requires_grad=requires_grad)


def to_np(t) -> np.ndarray:
    """Tensor of either framework -> NumPy array (``t.detach().cpu().numpy()``)."""
    t = t.detach().cpu()
    if isinstance(t, torch.Tensor):  # force=True: torch's second-order grads may be ZeroTensors
        return np.asarray(t.numpy(force=True))
    return np.asarray(t.numpy())


def is_tensor(x) -> bool:
    """Duck-typed: a tensor of either framework (not a NumPy array)."""
    return hasattr(x, "detach") and hasattr(x, "requires_grad") and not isinstance(x, np.ndarray)
