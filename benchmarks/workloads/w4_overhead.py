"""W4: per-op overhead: ``(a*b + a).sum()`` forward and backward, on 1-element and 64x64 tensors.

Four ops forward (mul, add, sum, and the graph they leave) and their backward;
``a`` and ``b`` are leaves that require grad, their gradients set to None before
each step (``zero_grad``'s default).  At one element this is nearly all
framework overhead; at 64x64 the arithmetic is still tiny.  Unit: microseconds
per forward+backward.
"""
from __future__ import annotations

import numpy as np

from ..harness import Impl
from . import _common


def cases(quick):
    return [dict(id="W4-1", title="W4 (a*b+a).sum() fwd+bwd, 1-element tensors", shape=(1,),
                 steps=300 if quick else 3000, unit="us/step"),
            dict(id="W4-64", title="W4 (a*b+a).sum() fwd+bwd, 64x64 tensors", shape=(64, 64),
                 steps=300 if quick else 3000, unit="us/step")]


def _inputs(data, case):
    rng = data.rng(f"w4{case['shape']}")
    return rng.random(case["shape"], dtype=np.float32), rng.random(case["shape"], dtype=np.float32)


# ------------------------------------------------- minigrad and torch ==

def torchlike(name):
    def build(data, case):
        torch = _common.module(name)
        a0, b0 = _inputs(data, case)
        a, b = torch.tensor(a0, requires_grad=True), torch.tensor(b0, requires_grad=True)

        def step(i):
            a.grad = None
            b.grad = None
            y = (a * b + a).sum()
            y.backward()
            return y
        return Impl(step, value=lambda y: y.item())
    return build


# ------------------------------------------------------ the NumPy floor ==

def numpy_floor(data, case):
    a, b = _inputs(data, case)
    grads = {}

    def step(i):
        y = (a * b + a).sum()
        g = np.ones_like(a)                 # d sum / d (a*b + a)
        grads["a"] = g * b + g
        grads["b"] = g * a
        return y
    return Impl(step)


def hips_autograd(data, case):
    import autograd.numpy as anp
    from autograd import value_and_grad
    ab = _inputs(data, case)
    f = value_and_grad(lambda ab: anp.sum(ab[0] * ab[1] + ab[0]))

    def step(i):
        y, (ga, gb) = f(ab)
        return y
    return Impl(step)


def mygrad_impl(data, case):
    import mygrad as mg
    a0, b0 = _inputs(data, case)
    a, b = mg.tensor(a0), mg.tensor(b0)

    def step(i):
        y = mg.sum(a * b + a)
        y.backward()
        return y
    return Impl(step, value=lambda y: float(y.item()))


def dezero_impl(data, case):
    import dezero
    import dezero.functions as F
    a0, b0 = _inputs(data, case)
    a, b = dezero.Variable(a0), dezero.Variable(b0)

    def step(i):
        a.cleargrad()
        b.cleargrad()
        y = F.sum(a * b + a)
        y.backward()
        return y
    return Impl(step, value=lambda y: float(y.data))


def chainer_impl(data, case):
    import chainer
    import chainer.functions as F
    a0, b0 = _inputs(data, case)
    a, b = chainer.Variable(a0), chainer.Variable(b0)

    def step(i):
        a.cleargrad()
        b.cleargrad()
        y = F.sum(a * b + a)
        y.backward()
        return y
    return Impl(step, value=lambda y: float(y.array))


def micrograd_impl(data, case):
    from micrograd.engine import Value
    _common.micrograd_recursion()
    a0, b0 = _inputs(data, case)
    a = [Value(v) for v in a0.ravel().tolist()]
    b = [Value(v) for v in b0.ravel().tolist()]

    def step(i):
        for v in a:
            v.grad = 0
        for v in b:
            v.grad = 0
        y = sum(ai * bi + ai for ai, bi in zip(a, b))
        y.backward()
        return y
    return Impl(step, value=lambda y: y.data)


def tinygrad_impl(data, case):
    from tinygrad import Tensor, TinyJit
    a0, b0 = _inputs(data, case)
    a, b = Tensor(a0).realize(), Tensor(b0).realize()

    @TinyJit
    def fwd_bwd():
        a.grad, b.grad = None, None
        y = (a * b + a).sum()
        y.backward()
        Tensor.realize(y, a.grad, b.grad)
        return y

    def step(i):
        return fwd_bwd()
    return Impl(step, sync=_common.tiny_sync, value=_common.tiny_value, note="TinyJit")


def jax_impl(jit):
    def build(data, case):
        import jax
        import jax.numpy as jnp
        a0, b0 = _inputs(data, case)
        state = {"ab": (jnp.asarray(a0), jnp.asarray(b0)), "out": None}
        f = jax.value_and_grad(lambda a, b: jnp.sum(a * b + a), argnums=(0, 1))
        if jit:
            f = jax.jit(f)

        def step(i):
            state["out"] = f(*state["ab"])
            return state["out"][0]
        return Impl(step, sync=_common.jax_sync(state, "out"))
    return build


IMPLS = {"minigrad": torchlike("minigrad"), "torch": torchlike("torch"), "numpy": numpy_floor,
         "autograd": hips_autograd, "mygrad": mygrad_impl, "dezero": dezero_impl, "chainer": chainer_impl,
         "micrograd": micrograd_impl, "tinygrad": tinygrad_impl, "jax": jax_impl(False), "jax-jit": jax_impl(True)}
