"""Run code written for PyTorch against minigrad: ``torch`` and its submodules resolve to minigrad's.

Every ``torch.X`` submodule is registered under its ``torch`` name, so
``import torch.nn as nn`` finds the already-imported ``minigrad.nn`` rather
than executing a second copy of it (STYLE.md §4.1).  On exit the real
modules (if any were imported) are put back.
"""
from __future__ import annotations

import contextlib
import importlib
import sys

SUBMODULES = ("autograd", "nn", "nn.functional", "nn.init", "optim", "utils", "utils.data", "cuda")


@contextlib.contextmanager
def aliased_torch():
    import minigrad
    names = ["torch"] + [f"torch.{s}" for s in SUBMODULES]
    saved = {n: sys.modules[n] for n in list(sys.modules) if n == "torch" or n.startswith("torch.")}
    for n in saved:
        del sys.modules[n]
    sys.modules["torch"] = minigrad
    for s in SUBMODULES:
        try:
            sys.modules[f"torch.{s}"] = importlib.import_module(f"minigrad.{s}")
        except ModuleNotFoundError:     # not written yet: code importing it fails loudly
            pass
    try:
        yield minigrad
    finally:
        for n in [n for n in list(sys.modules) if n == "torch" or n.startswith("torch.")]:
            del sys.modules[n]
        sys.modules.update(saved)
        assert all(n in sys.modules for n in names if n in saved)
