"""minigrad.cuda: as ``torch.cuda``, backed by CuPy when it is installed and a GPU is present."""
from __future__ import annotations

from . import _backend, _factories, _dtype


def is_available() -> bool:
    return _backend.cuda_is_available()


def device_count() -> int:
    if not is_available():
        return 0
    return _backend._cupy.cuda.runtime.getDeviceCount()


def get_device_name(device=0) -> str:
    if not is_available():
        raise AssertionError("Torch not compiled with CUDA enabled (minigrad: CuPy or a GPU is missing)")
    props = _backend._cupy.cuda.runtime.getDeviceProperties(device if isinstance(device, int) else 0)
    name = props["name"]
    return name.decode() if isinstance(name, bytes) else name


def synchronize(device=None):
    if is_available():
        _backend._cupy.cuda.Device().synchronize()


def manual_seed(seed):
    """Seeds nothing, as torch's leaves the CPU stream alone: minigrad draws every device's numbers from the
    CPU generator (torch's CUDA streams are not reproduced), which ``minigrad.manual_seed`` seeds.  torch
    checks ``int(seed)`` first."""
    int(seed)


manual_seed_all = manual_seed

FloatTensor = _factories._legacy(_dtype.float32, "cuda")
DoubleTensor = _factories._legacy(_dtype.float64, "cuda")
LongTensor = _factories._legacy(_dtype.int64, "cuda")
