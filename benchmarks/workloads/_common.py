"""Small helpers shared by the workload modules."""
from __future__ import annotations

import math


def module(name):
    """``minigrad`` or ``torch``: the torch-API code in each workload runs with either as ``T``."""
    import importlib
    return importlib.import_module(name)


# ------------------------------------------------------------- tinygrad ==

def tiny_sync():
    from tinygrad import Device
    Device[Device.DEFAULT].synchronize()


def tiny_value(t):
    return float(t.item())


TINY_BATCHES = 32     # distinct batches made for tinygrad (each costs ~5 ms to realize); cycled
TINY_NOTE = f"TinyJit; {TINY_BATCHES} batches pre-made as realized Tensors at setup and cycled"


def tiny_batches(arrays, bs, nb, dtype=None):
    """Realized tinygrad batches, made untimed at setup (a TinyJit takes realized inputs of one shape)."""
    from tinygrad import Tensor
    out = []
    for i in range(nb):
        a = arrays[i * bs:(i + 1) * bs]
        out.append(Tensor(a if dtype is None else a.astype(dtype)).realize())
    return out


# ------------------------------------------------------------------ jax ==

def jax_sync(state, key="params"):
    import jax
    return lambda: jax.block_until_ready(state[key])


# ------------------------------------------------------------ micrograd ==
# micrograd's Value has +, *, ** and relu only; exp, log and sigmoid are added in
# its own style (as in the "building micrograd" lecture), one closure per node.

def mg_exp(v):
    from micrograd.engine import Value
    out = Value(math.exp(v.data), (v,), "exp")

    def _backward():
        v.grad += out.data * out.grad
    out._backward = _backward
    return out


def mg_log(v):
    from micrograd.engine import Value
    out = Value(math.log(v.data), (v,), "log")

    def _backward():
        v.grad += out.grad / v.data
    out._backward = _backward
    return out


def mg_sigmoid(v):
    from micrograd.engine import Value
    s = 1.0 / (1.0 + math.exp(-v.data))
    out = Value(s, (v,), "sigmoid")

    def _backward():
        v.grad += s * (1.0 - s) * out.grad
    out._backward = _backward
    return out


def micrograd_recursion():
    """micrograd's backward sorts the graph recursively: a 784-term sum is a chain 784 deep."""
    import sys
    sys.setrecursionlimit(max(sys.getrecursionlimit(), 200_000))
