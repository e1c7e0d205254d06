"""W5: scaling, to see where fixed per-op overhead ends and BLAS time begins.

- W2's training step (the ``w2_mlp`` builders) against batch size (1..4096, hidden 200)
  and against hidden width (64..4096, batch 64);
- a chain of n elementwise ops on a 64-element vector (n = 10^3..10^5), alternately
  ``y * 1.0001`` and ``y + 0.0001``, then ``.sum()``: the time of ``backward()`` alone
  (the graph is built untimed before each repeat), and, in a fresh subprocess per
  (framework, n), the memory the graph holds (see ``chain_memory_child``).
"""
from __future__ import annotations

import numpy as np

from ..harness import Impl, NotApplicable
from . import _common

BATCHES = [1, 4, 16, 64, 256, 1024, 4096]
WIDTHS = [64, 256, 1024, 4096]
CHAINS = [1_000, 3_000, 10_000, 30_000, 100_000]
QUICK_BATCHES, QUICK_WIDTHS, QUICK_CHAINS = [1, 64, 1024], [64, 1024], [1_000, 10_000]
SWEEP_FRAMEWORKS = ["minigrad", "torch", "torch-default", "numpy", "jax-jit"]
QUICK_SWEEP_FRAMEWORKS = ["minigrad", "torch", "numpy"]
CHAIN_FRAMEWORKS = ["minigrad", "torch", "autograd", "mygrad", "dezero", "chainer", "jax"]
QUICK_CHAIN_FRAMEWORKS = ["minigrad", "torch"]
CHAIN_LEN = 64


def sweep_cases(quick):
    out = []
    for bs in (QUICK_BATCHES if quick else BATCHES):
        out.append(dict(id=f"W5-batch-{bs}", sweep="batch", x=bs, bs=bs, hidden=200, steps=50 if quick else 400,
                        unit="us/step"))
    for h in (QUICK_WIDTHS if quick else WIDTHS):
        out.append(dict(id=f"W5-width-{h}", sweep="width", x=h, bs=64, hidden=h, steps=50 if quick else 400,
                        unit="us/step"))
    return out


def chain_cases(quick):
    return [dict(id=f"W5-chain-{n}", sweep="chain", x=n, n=n, steps=1, unit="us/backward")
            for n in (QUICK_CHAINS if quick else CHAINS)]


def _x0(data):
    return data.rng("chain").random(CHAIN_LEN, dtype=np.float32)


# A chain builder returns (build, backward): build() makes the graph and returns what backward needs.

def _chain_torchlike(name):
    def make(data, n):
        torch = _common.module(name)
        x = torch.tensor(_x0(data), requires_grad=True)

        def build():
            y = x
            for k in range(n):
                y = y * 1.0001 if k % 2 == 0 else y + 0.0001
            return y.sum()

        def backward(s):
            s.backward()
            x.grad = None
        return build, backward
    return make


def _chain_autograd(data, n):
    from autograd import make_vjp

    def f(x):
        y = x
        for k in range(n):
            y = y * 1.0001 if k % 2 == 0 else y + 0.0001
        return y.sum()
    x = _x0(data)
    return (lambda: make_vjp(f)(x)[0]), (lambda vjp: vjp(np.float32(1.0)))


def _chain_mygrad(data, n):
    import mygrad as mg
    x = mg.tensor(_x0(data))

    def build():
        y = x
        for k in range(n):
            y = y * 1.0001 if k % 2 == 0 else y + 0.0001
        return y.sum()
    return build, (lambda s: s.backward())


def _chain_dezero(data, n):
    import dezero
    x = dezero.Variable(_x0(data))

    def build():
        y = x
        for k in range(n):
            y = y * 1.0001 if k % 2 == 0 else y + 0.0001
        return dezero.functions.sum(y)

    def backward(s):
        x.cleargrad()
        s.backward()
    return build, backward


def _chain_chainer(data, n):
    import chainer
    import chainer.functions as F
    x = chainer.Variable(_x0(data))

    def build():
        y = x
        for k in range(n):
            y = y * 1.0001 if k % 2 == 0 else y + 0.0001
        return F.sum(y)

    def backward(s):
        x.cleargrad()
        s.backward()
    return build, backward


def _chain_jax(data, n):
    import jax
    import jax.numpy as jnp
    x = jnp.asarray(_x0(data))

    def f(x):
        y = x
        for k in range(n):
            y = y * 1.0001 if k % 2 == 0 else y + 0.0001
        return y.sum()

    def build():
        return jax.vjp(f, x)[1]                        # eager: the forward runs op by op

    def backward(vjp):
        jax.block_until_ready(vjp(jnp.float32(1.0)))
    return build, backward


CHAIN_IMPLS = {"minigrad": _chain_torchlike("minigrad"), "torch": _chain_torchlike("torch"),
               "autograd": _chain_autograd, "mygrad": _chain_mygrad, "dezero": _chain_dezero,
               "chainer": _chain_chainer, "jax": _chain_jax}


def chain_builder(fw):
    make = CHAIN_IMPLS.get(fw)

    def build(data, case):
        if make is None:
            raise NotApplicable("no graph (NumPy), or a scalar/compiled engine (micrograd, tinygrad)")
        build_graph, backward = make(data, case["n"])
        state = {}

        def prepare():
            state["g"] = None
            state["g"] = build_graph()

        def step(i):
            backward(state["g"])
            state["g"] = None
        return Impl(step, prepare=prepare)
    return build


def chain_memory_child(fw, n, data):
    """In a fresh process: RSS before the graph, with the graph alive, and the high-water mark after backward."""
    import gc
    from ..harness import peak_mb, reset_peak, rss_mb
    build_graph, backward = CHAIN_IMPLS[fw](data, min(n, 1000))
    backward(build_graph())                            # warm: first-call allocations, lazy imports
    build_graph, backward = CHAIN_IMPLS[fw](data, n)
    gc.collect()
    before = rss_mb()
    reset = reset_peak()
    g = build_graph()
    alive = rss_mb()
    backward(g)
    del g
    peak = peak_mb() if reset else max(alive, rss_mb())
    return {"framework": fw, "n": n, "rss_before_mb": before, "rss_graph_alive_mb": alive,
            "peak_mb": peak, "peak_growth_mb": peak - before, "bytes_per_op": (peak - before) * 2**20 / n,
            "peak_source": "VmHWM after resetting the high-water mark" if reset else "RSS samples"}
