"""W1: the seed tutorial's from-scratch logistic regression ("What is torch.nn really?", part 1).

Batch 64, 784 -> 10, a hand-written log_softmax ``x - x.exp().sum(-1).log().unsqueeze(-1)``
and negative log-likelihood ``-input[range(n), target].mean()``, manual SGD (lr 0.5)
under no_grad.  One epoch = 781 full batches of 64 (49,984 of the 50,000 rows; the
16-row tail is dropped so every step has one shape).  Unit: microseconds per step.
"""
from __future__ import annotations

import numpy as np

from ..harness import Impl, NotApplicable
from . import _common

LR = 0.5
TITLE = "W1 logistic regression (batch 64, 784->10, hand-written log_softmax/nll, manual SGD)"


def cases(quick):
    return [dict(id="W1", title=TITLE, bs=64, steps=100 if quick else 781, unit="us/step",
                 micrograd_bs=2 if quick else 8)]


def _nb(data, bs):
    return len(data.x) // bs


# ------------------------------------------------- minigrad and torch ==

def torchlike(name):
    def build(data, case):
        torch = _common.module(name)        # the tutorial's code below, with `torch` either module
        bs, nb = case["bs"], _nb(data, case["bs"])
        x_train, y_train = torch.from_numpy(data.x), torch.from_numpy(data.y)
        w0, b0 = data.logreg_weights()
        weights = torch.tensor(w0, requires_grad=True)
        bias = torch.tensor(b0, requires_grad=True)
        lr = LR

        def log_softmax(x):
            return x - x.exp().sum(-1).log().unsqueeze(-1)

        def model(xb):
            return log_softmax(xb @ weights + bias)

        def nll(input, target):
            return -input[range(target.shape[0]), target].mean()

        def step(i):
            nonlocal weights, bias
            i %= nb
            xb, yb = x_train[i * bs:(i + 1) * bs], y_train[i * bs:(i + 1) * bs]
            loss = nll(model(xb), yb)
            loss.backward()
            with torch.no_grad():
                weights -= weights.grad * lr
                bias -= bias.grad * lr
                weights.grad.zero_()
                bias.grad.zero_()
            return loss
        return Impl(step, value=lambda l: l.item())
    return build


# ------------------------------------------------------ the NumPy floor ==

def numpy_floor(data, case):
    """Forward and backward by hand: dL/dz = (softmax(z) - onehot(y)) / n."""
    bs, nb = case["bs"], _nb(data, case["bs"])
    x, y = data.x, data.y
    W, b = (a.copy() for a in data.logreg_weights())
    rows = np.arange(bs)
    lr = np.float32(LR)

    def step(i):
        i %= nb
        xb, yb = x[i * bs:(i + 1) * bs], y[i * bs:(i + 1) * bs]
        z = xb @ W + b
        e = np.exp(z)
        s = e.sum(-1, keepdims=True)
        logp = z - np.log(s)
        loss = -logp[rows, yb].mean()
        dz = e / s
        dz[rows, yb] -= 1
        dz *= np.float32(1 / bs)
        W.__isub__(lr * (xb.T @ dz))
        b.__isub__(lr * dz.sum(0))
        return loss
    return Impl(step)


# ------------------------------------------------------ HIPS autograd ==

def hips_autograd(data, case):
    import autograd.numpy as anp
    from autograd import value_and_grad
    bs, nb = case["bs"], _nb(data, case["bs"])
    x, y = data.x, data.y
    params = [a.copy() for a in data.logreg_weights()]
    rows = np.arange(bs)

    def loss_fn(params, xb, yb):
        W, b = params
        z = anp.dot(xb, W) + b
        logp = z - anp.expand_dims(anp.log(anp.sum(anp.exp(z), -1)), -1)
        return -anp.mean(logp[rows, yb])
    loss_and_grad = value_and_grad(loss_fn)

    def step(i):
        i %= nb
        loss, grads = loss_and_grad(params, x[i * bs:(i + 1) * bs], y[i * bs:(i + 1) * bs])
        for p, g in zip(params, grads):
            p -= LR * g
        return loss
    return Impl(step)


# -------------------------------------------------------------- MyGrad ==

def mygrad_impl(data, case):
    import mygrad as mg
    bs, nb = case["bs"], _nb(data, case["bs"])
    x, y = data.x, data.y
    w0, b0 = data.logreg_weights()
    W, b = mg.tensor(w0.copy()), mg.tensor(b0.copy())
    rows = np.arange(bs)

    def step(i):
        i %= nb
        xb, yb = x[i * bs:(i + 1) * bs], y[i * bs:(i + 1) * bs]
        z = xb @ W + b
        logp = z - mg.expand_dims(mg.log(mg.sum(mg.exp(z), axis=-1)), -1)
        loss = -logp[rows, yb].mean()
        loss.backward()
        W.data -= LR * W.grad
        b.data -= LR * b.grad
        return loss
    return Impl(step, value=lambda l: float(l.item()))


# -------------------------------------------------------------- DeZero ==

def dezero_impl(data, case):
    import dezero
    import dezero.functions as F
    bs, nb = case["bs"], _nb(data, case["bs"])
    x, y = data.x, data.y
    w0, b0 = data.logreg_weights()
    W, b = dezero.Parameter(w0.copy()), dezero.Parameter(b0.copy())
    rows = np.arange(bs)

    def step(i):
        i %= nb
        xb, yb = x[i * bs:(i + 1) * bs], y[i * bs:(i + 1) * bs]
        z = F.matmul(xb, W) + b
        logp = z - F.expand_dims(F.log(F.sum(F.exp(z), axis=1)), 1)   # DeZero's expand_dims(-1) misplaces the axis
        loss = -F.sum(logp[rows, yb]) / bs            # DeZero has no mean()
        W.cleargrad()
        b.cleargrad()
        loss.backward()
        W.data -= LR * W.grad.data
        b.data -= LR * b.grad.data
        return loss
    return Impl(step, value=lambda l: float(l.data))


# ------------------------------------------------------------- Chainer ==

def chainer_impl(data, case):
    import chainer
    import chainer.functions as F
    bs, nb = case["bs"], _nb(data, case["bs"])
    x, y = data.x, data.y
    w0, b0 = data.logreg_weights()
    W, b = chainer.Parameter(np.ascontiguousarray(w0.T)), chainer.Parameter(b0.copy())   # F.linear: W (out, in)

    def step(i):
        i %= nb
        xb, yb = x[i * bs:(i + 1) * bs], y[i * bs:(i + 1) * bs]
        z = F.linear(xb, W, b)
        lse = F.expand_dims(F.log(F.sum(F.exp(z), axis=-1)), -1)
        logp = z - F.broadcast_to(lse, z.shape)        # Chainer does not broadcast implicitly
        loss = -F.mean(F.select_item(logp, yb))
        W.cleargrad()
        b.cleargrad()
        loss.backward()
        W.array -= LR * W.grad
        b.array -= LR * b.grad
        return loss
    return Impl(step, value=lambda l: float(l.array))


# ----------------------------------------------------------- micrograd ==

def micrograd_impl(data, case):
    """Scalar autograd: every multiply is a Python object.  One step per repeat is timed, on a
    batch of ``micrograd_bs`` rows (8; 2 in --quick), and scaled to 64 rows (a scalar engine's
    cost is linear in the rows); the epoch is extrapolated from that."""
    from micrograd.engine import Value
    _common.micrograd_recursion()
    bs_true = case["bs"]
    bs = case.get("micrograd_bs", bs_true)
    nb = len(data.x) // bs
    x, y = data.x, data.y
    w0, b0 = data.logreg_weights()
    W = [[Value(float(w0[j, k])) for k in range(10)] for j in range(784)]
    b = [Value(float(v)) for v in b0]
    params = [p for row in W for p in row] + b

    def step(i):
        i %= nb
        xb, yb = x[i * bs:(i + 1) * bs].tolist(), y[i * bs:(i + 1) * bs].tolist()
        total = Value(0.0)
        for row, t in zip(xb, yb):
            z = [sum((W[j][k] * row[j] for j in range(784)), b[k]) for k in range(10)]
            lse = _common.mg_log(sum(_common.mg_exp(zk) for zk in z))
            total = total + (z[t] - lse)                 # log_softmax(z)[target]
        loss = total * (-1.0 / bs)
        for p in params:
            p.grad = 0
        loss.backward()
        for p in params:
            p.data -= LR * p.grad
        return loss
    note = "scalar engine: a few steps timed, epoch extrapolated"
    scale = bs_true / bs
    if scale != 1:
        note += f"; batch {bs} timed, scaled x{scale:g} to batch {bs_true}"
    return Impl(step, value=lambda l: l.data, scale=scale, note=note, max_steps=1, check_steps=1)


# ------------------------------------------------------------ tinygrad ==

def tinygrad_impl(data, case):
    from tinygrad import Tensor, TinyJit
    bs, nb = case["bs"], _nb(data, case["bs"])
    nb = min(nb, case.get("tiny_batches", _common.TINY_BATCHES))
    xs = _common.tiny_batches(data.x, bs, nb)
    ys = _common.tiny_batches(data.y, bs, nb, np.int32)
    w0, b0 = data.logreg_weights()
    W, b = Tensor(w0.copy()).realize(), Tensor(b0.copy()).realize()
    rows = Tensor.arange(bs).realize()

    @TinyJit
    def train_step(xb, yb):
        z = xb @ W + b
        logp = z - z.exp().sum(-1).log().unsqueeze(-1)
        loss = -logp[rows, yb].mean()
        W.grad, b.grad = None, None
        loss.backward()
        W.assign(W - LR * W.grad)
        b.assign(b - LR * b.grad)
        Tensor.realize(loss, W, b)
        return loss

    def step(i):
        i %= nb
        return train_step(xs[i], ys[i])
    return Impl(step, sync=_common.tiny_sync, value=_common.tiny_value,
                note=_common.TINY_NOTE)


# ----------------------------------------------------------------- jax ==

def jax_impl(jit):
    def build(data, case):
        import jax
        import jax.numpy as jnp
        bs, nb = case["bs"], _nb(data, case["bs"])
        x, y = data.x, data.y.astype(np.int32)
        state = {"params": [jnp.asarray(a) for a in data.logreg_weights()]}
        rows = np.arange(bs)

        def loss_fn(params, xb, yb):
            W, b = params
            z = xb @ W + b
            logp = z - jnp.expand_dims(jnp.log(jnp.sum(jnp.exp(z), -1)), -1)
            return -jnp.mean(logp[rows, yb])

        def update(params, xb, yb):
            loss, grads = jax.value_and_grad(loss_fn)(params, xb, yb)
            return [p - LR * g for p, g in zip(params, grads)], loss
        if jit:
            update = jax.jit(update)

        def step(i):
            i %= nb
            state["params"], loss = update(state["params"], x[i * bs:(i + 1) * bs], y[i * bs:(i + 1) * bs])
            return loss
        return Impl(step, sync=_common.jax_sync(state))
    return build


IMPLS = {"minigrad": torchlike("minigrad"), "torch": torchlike("torch"), "numpy": numpy_floor,
         "autograd": hips_autograd, "mygrad": mygrad_impl, "dezero": dezero_impl, "chainer": chainer_impl,
         "micrograd": micrograd_impl, "tinygrad": tinygrad_impl, "jax": jax_impl(False), "jax-jit": jax_impl(True)}

__all__ = ["IMPLS", "cases", "NotApplicable"]
