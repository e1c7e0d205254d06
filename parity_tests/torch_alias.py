"""Run code written for PyTorch against minigrad: ``torch`` and its submodules resolve to minigrad's.

Every minigrad submodule is registered under its ``torch`` name, and a
``sys.meta_path`` finder resolves any other ``torch.X`` to ``minigrad.X``, so
``import torch.nn as nn`` finds the already-imported ``minigrad.nn`` rather
than executing a second copy of it.  On exit the real torch
modules (if any were imported) are put back.
"""
from __future__ import annotations

import contextlib
import importlib
import importlib.abc
import importlib.util
import pkgutil
import sys

import minigrad


class _AliasFinder(importlib.abc.MetaPathFinder, importlib.abc.Loader):
    """Resolves any ``torch.X`` not yet in sys.modules to the module ``minigrad.X``."""

    def find_spec(self, fullname, path, target=None):
        if fullname != "torch" and not fullname.startswith("torch."):
            return None
        try:
            module = importlib.import_module("minigrad" + fullname[len("torch"):])
        except ImportError:
            return None
        return importlib.util.spec_from_loader(fullname, self, origin=module.__name__)

    def create_module(self, spec):
        return importlib.import_module(spec.origin)

    def exec_module(self, module):
        pass


@contextlib.contextmanager
def aliased_torch():
    for info in pkgutil.walk_packages(minigrad.__path__, "minigrad."):
        if info.name != "minigrad.__main__":
            importlib.import_module(info.name)
    saved = {k: v for k, v in sys.modules.items() if k == "torch" or k.startswith("torch.")}
    for k in saved:
        del sys.modules[k]
    for name, module in list(sys.modules.items()):
        if name == "minigrad" or name.startswith("minigrad."):
            sys.modules["torch" + name[len("minigrad"):]] = module
    finder = _AliasFinder()
    sys.meta_path.insert(0, finder)
    try:
        yield minigrad
    finally:
        sys.meta_path.remove(finder)
        for k in [k for k in sys.modules if k == "torch" or k.startswith("torch.")]:
            del sys.modules[k]
        sys.modules.update(saved)
