"""minigrad's random numbers: one NumPy Generator, seeded by ``manual_seed``.

Numbers are always drawn on the host with NumPy and then moved to the
tensor's device, so a seed gives the same values on every backend.
"""
from __future__ import annotations

import numpy as np

from . import _backend

_generator = np.random.default_rng()


class Generator:
    """``minigrad.Generator()``: an independent stream, as ``torch.Generator``."""

    def __init__(self, device="cpu"):
        self._rng = np.random.default_rng()
        self._seed = None

    def manual_seed(self, seed):
        self._seed = int(seed)
        self._rng = np.random.default_rng(self._seed)
        return self

    def initial_seed(self):
        return self._seed

    def get_state(self):
        return self._rng.bit_generator.state

    def set_state(self, state):
        self._rng.bit_generator.state = state


def manual_seed(seed):
    global _generator
    _generator = np.random.default_rng(int(seed))
    return _generator


def seed():
    global _generator
    _generator = np.random.default_rng()


def _rng(generator):
    return generator._rng if generator is not None else _generator


def _finish(host, dtype, device):
    return _backend.asarray(host.astype(dtype.name, copy=False), _backend.as_device(device))


def uniform_array(shape, low, high, dtype, device, generator=None):
    return _finish(_rng(generator).uniform(low, high, size=tuple(shape)), dtype, device)


def normal_array(shape, mean, std, dtype, device, generator=None):
    return _finish(_rng(generator).normal(mean, std, size=tuple(shape)), dtype, device)


def integers_array(shape, low, high, dtype, device, generator=None):
    return _finish(_rng(generator).integers(low, high, size=tuple(shape)), dtype, device)


def permutation(n, generator=None):
    return _rng(generator).permutation(n)
