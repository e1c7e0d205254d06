"""The frameworks compared, how each is imported, and what is recorded about it.

A peer that is missing or fails to import is reported as "not installed:
<reason>" and its cells are skipped; nothing here is fatal.  Compatibility
shims (for peers written before NumPy 2) are applied here, before the import,
and listed in the results.
"""
from __future__ import annotations

import contextlib
import importlib
import importlib.metadata
import os
import sys
import types
from dataclasses import dataclass, field

ORDER = ["minigrad", "torch", "torch-default", "numpy", "autograd", "mygrad", "dezero", "chainer", "micrograd",
         "tinygrad", "jax", "jax-jit"]
# the module each framework needs, and the distribution whose version is reported
MODULE = {"minigrad": "minigrad", "torch": "torch", "torch-default": "torch", "numpy": "numpy",
          "autograd": "autograd", "mygrad": "mygrad", "dezero": "dezero", "chainer": "chainer",
          "micrograd": "micrograd", "tinygrad": "tinygrad", "jax": "jax", "jax-jit": "jax"}
NUMPY_PEERS = ["autograd", "mygrad", "dezero", "chainer"]   # the "NumPy-based peers"
DEFAULT_THREADS = os.cpu_count() or 1


def label(fw: str) -> str:
    return {"torch": "torch (1 thread)", "torch-default": f"torch ({DEFAULT_THREADS} threads)",
            "numpy": "NumPy floor", "tinygrad": "tinygrad (TinyJit)", "jax": "jax (eager)",
            "jax-jit": "jax (jit)", "autograd": "autograd (HIPS)"}.get(fw, fw)


@dataclass
class Framework:
    name: str
    module: object = None
    version: str = ""
    status: str = "ok"
    shims: list = field(default_factory=list)

    @property
    def ok(self):
        return self.status == "ok"


# ----------------------------------------------------------------- shims ==

def _shim_dezero(shims):
    """dezero 0.0.13 uses ``np.int`` (removed in NumPy 1.24) as a default argument at import."""
    import numpy as np
    if "int" not in np.__dict__:
        np.int = int
        shims.append("np.int = int (dezero.transforms uses the alias removed in NumPy 1.24)")


def _shim_chainer(shims):
    """chainer 7.8.1 (2020) imports ``np.sctypes``, ``pkg_resources`` and ``numpy.distutils`` at import."""
    import numpy as np
    if "sctypes" not in np.__dict__:
        np.sctypes = {"int": [np.int8, np.int16, np.int32, np.int64],
                      "uint": [np.uint8, np.uint16, np.uint32, np.uint64],
                      "float": [np.float16, np.float32, np.float64, np.longdouble],
                      "complex": [np.complex64, np.complex128, np.clongdouble],
                      "others": [bool, object, bytes, str, np.void]}
        shims.append("np.sctypes restored (removed in NumPy 2.0)")
    try:
        import pkg_resources  # noqa: F401
    except ImportError:
        m = types.ModuleType("pkg_resources")

        class DistributionNotFound(Exception):
            pass

        class VersionConflict(Exception):
            pass

        def require(requirement):
            raise DistributionNotFound(requirement)
        m.DistributionNotFound, m.VersionConflict, m.require = DistributionNotFound, VersionConflict, require
        sys.modules["pkg_resources"] = m
        shims.append("stub pkg_resources (only chainer's optional-dependency check uses it)")
    try:
        import numpy.distutils.system_info  # noqa: F401
    except ImportError:
        d, s = types.ModuleType("numpy.distutils"), types.ModuleType("numpy.distutils.system_info")
        s.get_info = lambda name: {}
        d.system_info = s
        sys.modules["numpy.distutils"], sys.modules["numpy.distutils.system_info"] = d, s
        shims.append("stub numpy.distutils.system_info (a macOS-only check)")


SHIMS = {"dezero": _shim_dezero, "chainer": _shim_chainer}


def _version(dist):
    try:
        return importlib.metadata.version(dist)
    except importlib.metadata.PackageNotFoundError:
        return "?"


def load(name: str) -> Framework:
    fw = Framework(name)
    mod = MODULE[name]
    try:
        if mod in SHIMS:
            SHIMS[mod](fw.shims)
        fw.module = importlib.import_module(mod)
        if mod == "chainer":
            importlib.import_module("chainer.functions")
            importlib.import_module("chainer.links")
        if mod == "tinygrad":
            from tinygrad import Device, Tensor
            (Tensor([1.0, 2.0]) * 2).realize()          # the CPU device needs clang to compile
            fw.shims.append(f"device {Device.DEFAULT}")
        fw.version = _version(mod)
    except ModuleNotFoundError as e:
        fw.status = f"not installed: {e}"
    except Exception as e:              # noqa: BLE001  e.g. a peer that no longer works with NumPy 2
        fw.status = f"not installed: import failed: {type(e).__name__}: {str(e).splitlines()[0][:200]}"
    return fw


def load_all(names) -> dict:
    return {n: load(n) for n in names}


@contextlib.contextmanager
def torch_threads(n):
    """torch-default: torch's intra-op pool at n threads for the duration; set back afterwards."""
    import torch
    old = torch.get_num_threads()
    torch.set_num_threads(n)
    try:
        yield
    finally:
        torch.set_num_threads(old)


def thread_settings(frameworks: dict) -> dict:
    """Per framework, the threads it computes with in this run."""
    out = {}
    if frameworks.get("torch") and frameworks["torch"].ok:
        import torch
        out["torch"] = f"torch.get_num_threads() = {torch.get_num_threads()}, interop {torch.get_num_interop_threads()}"
        out["torch-default"] = f"torch.set_num_threads({DEFAULT_THREADS}) around its blocks (os.cpu_count())"
    if frameworks.get("tinygrad") and frameworks["tinygrad"].ok:
        from tinygrad.helpers import NUM_CPU_THREADS
        out["tinygrad"] = f"NUM_CPU_THREADS = {NUM_CPU_THREADS.value}"
    if any(frameworks.get(k) and frameworks[k].ok for k in ("jax", "jax-jit")):
        out["jax"] = f"XLA_FLAGS = {os.environ.get('XLA_FLAGS', '')}"
    out["numpy-based (minigrad, NumPy floor, autograd, mygrad, dezero, chainer, micrograd)"] = \
        "NumPy's BLAS, pinned by OPENBLAS/OMP/MKL_NUM_THREADS=1 and threadpoolctl"
    return out
