"""W2: the GAN book's MNIST classifier: MLP 784-200-10, sigmoid after both layers, MSE to the
one-hot target, SGD lr 0.01.

Two cases: batch 64 for an epoch (781 steps), and batch 1 for 2,000 steps, the
book's per-sample loop (torch and minigrad get one unbatched (784,) sample, as
in the book; the other frameworks a (1, 784) row).  W5 reuses these builders
with other batch sizes and hidden widths (``case["hidden"]``).
"""
from __future__ import annotations

import numpy as np

from ..harness import Impl, NotApplicable
from . import _common

LR = 0.01


def cases(quick):
    return [dict(id="W2-b64", title="W2 MLP 784-200-10 sigmoid/MSE/SGD, batch 64 (epoch)", bs=64, hidden=200,
                 steps=100 if quick else 781, unit="us/step"),
            dict(id="W2-b1", title="W2 MLP 784-200-10, batch 1 (GAN book per-sample loop)", bs=1, hidden=200,
                 steps=200 if quick else 2000, unit="us/step")]


def _nb(data, bs):
    return len(data.x) // bs


# ------------------------------------------------- minigrad and torch ==

def torchlike(name):
    def build(data, case):
        torch = _common.module(name)
        nn = torch.nn
        bs, hidden = case["bs"], case.get("hidden", 200)
        nb = _nb(data, bs)
        model = nn.Sequential(nn.Linear(784, hidden), nn.Sigmoid(), nn.Linear(hidden, 10), nn.Sigmoid())
        (w1, b1), (w2, b2) = data.mlp_weights(hidden)
        model.load_state_dict({"0.weight": torch.from_numpy(w1), "0.bias": torch.from_numpy(b1),
                               "2.weight": torch.from_numpy(w2), "2.bias": torch.from_numpy(b2)})
        loss_function = nn.MSELoss()
        optimiser = torch.optim.SGD(model.parameters(), lr=LR)
        x_train, t_train = torch.from_numpy(data.x), torch.from_numpy(data.onehot)

        def train(inputs, targets):
            outputs = model(inputs)
            loss = loss_function(outputs, targets)
            optimiser.zero_grad()
            loss.backward()
            optimiser.step()
            return loss

        if bs == 1:                      # the book: one (784,) image tensor and (10,) target per call
            def step(i):
                i %= nb
                return train(x_train[i], t_train[i])
        else:
            def step(i):
                i %= nb
                return train(x_train[i * bs:(i + 1) * bs], t_train[i * bs:(i + 1) * bs])
        return Impl(step, value=lambda l: l.item())
    return build


# ------------------------------------------------------ the NumPy floor ==

def numpy_floor(data, case):
    bs, hidden = case["bs"], case.get("hidden", 200)
    nb = _nb(data, bs)
    (w1, b1), (w2, b2) = data.mlp_weights(hidden)
    W1, B1, W2, B2 = np.ascontiguousarray(w1.T), b1.copy(), np.ascontiguousarray(w2.T), b2.copy()
    x, t = data.x, data.onehot
    lr = np.float32(LR)
    scale = np.float32(2 / (bs * 10))

    def step(i):
        i %= nb
        xb, tb = x[i * bs:(i + 1) * bs], t[i * bs:(i + 1) * bs]
        h = 1 / (1 + np.exp(-(xb @ W1 + B1)))
        o = 1 / (1 + np.exp(-(h @ W2 + B2)))
        d = o - tb
        loss = (d * d).mean()
        da2 = d * scale * o * (1 - o)
        dh = da2 @ W2.T
        da1 = dh * h * (1 - h)
        W2.__isub__(lr * (h.T @ da2))
        B2.__isub__(lr * da2.sum(0))
        W1.__isub__(lr * (xb.T @ da1))
        B1.__isub__(lr * da1.sum(0))
        return loss
    return Impl(step)


# ------------------------------------------------------ HIPS autograd ==

def hips_autograd(data, case):
    import autograd.numpy as anp
    from autograd import value_and_grad
    bs, hidden = case["bs"], case.get("hidden", 200)
    nb = _nb(data, bs)
    (w1, b1), (w2, b2) = data.mlp_weights(hidden)
    params = [np.ascontiguousarray(w1.T), b1.copy(), np.ascontiguousarray(w2.T), b2.copy()]
    x, t = data.x, data.onehot

    def sigmoid(z):
        return 1 / (1 + anp.exp(-z))

    def loss_fn(params, xb, tb):
        W1, b1, W2, b2 = params
        o = sigmoid(anp.dot(sigmoid(anp.dot(xb, W1) + b1), W2) + b2)
        return anp.mean((o - tb) ** 2)
    loss_and_grad = value_and_grad(loss_fn)

    def step(i):
        i %= nb
        loss, grads = loss_and_grad(params, x[i * bs:(i + 1) * bs], t[i * bs:(i + 1) * bs])
        for p, g in zip(params, grads):
            p -= LR * g
        return loss
    return Impl(step)


# -------------------------------------------------------------- MyGrad ==

def mygrad_impl(data, case):
    import mygrad as mg
    from mygrad.nnet.activations import sigmoid
    bs, hidden = case["bs"], case.get("hidden", 200)
    nb = _nb(data, bs)
    (w1, b1), (w2, b2) = data.mlp_weights(hidden)
    W1, B1, W2, B2 = params = [mg.tensor(np.ascontiguousarray(w1.T)), mg.tensor(b1), mg.tensor(np.ascontiguousarray(w2.T)),
                               mg.tensor(b2)]
    x, t = data.x, data.onehot

    def step(i):
        i %= nb
        xb, tb = x[i * bs:(i + 1) * bs], t[i * bs:(i + 1) * bs]
        o = sigmoid(sigmoid(xb @ W1 + B1) @ W2 + B2)
        loss = mg.mean((o - tb) ** 2)
        loss.backward()
        for p in params:
            p.data -= LR * p.grad
        return loss
    return Impl(step, value=lambda l: float(l.item()))


# -------------------------------------------------------------- DeZero ==

def dezero_impl(data, case):
    import dezero
    import dezero.functions as F
    import dezero.layers as L
    bs, hidden = case["bs"], case.get("hidden", 200)
    nb = _nb(data, bs)
    (w1, b1), (w2, b2) = data.mlp_weights(hidden)

    class Net(dezero.Model):
        def __init__(self):
            super().__init__()
            self.l1 = L.Linear(hidden, in_size=784)
            self.l2 = L.Linear(10, in_size=hidden)

        def forward(self, x):
            return F.sigmoid(self.l2(F.sigmoid(self.l1(x))))
    model = Net()
    model.l1.W.data, model.l1.b.data = np.ascontiguousarray(w1.T), b1.copy()      # DeZero: W (in, out)
    model.l2.W.data, model.l2.b.data = np.ascontiguousarray(w2.T), b2.copy()
    optimizer = dezero.optimizers.SGD(LR).setup(model)
    x, t = data.x, data.onehot

    def step(i):
        i %= nb
        y = model(x[i * bs:(i + 1) * bs])
        diff = y - t[i * bs:(i + 1) * bs]
        loss = F.sum(diff * diff) / diff.size       # DeZero's mean_squared_error divides by the batch only
        model.cleargrads()
        loss.backward()
        optimizer.update()
        return loss
    return Impl(step, value=lambda l: float(l.data))


# ------------------------------------------------------------- Chainer ==

def chainer_impl(data, case):
    import chainer
    import chainer.functions as F
    import chainer.links as L
    bs, hidden = case["bs"], case.get("hidden", 200)
    nb = _nb(data, bs)
    (w1, b1), (w2, b2) = data.mlp_weights(hidden)

    class Net(chainer.Chain):
        def __init__(self):
            super().__init__()
            with self.init_scope():
                self.l1 = L.Linear(784, hidden, initialW=w1, initial_bias=b1)    # Chainer: W (out, in)
                self.l2 = L.Linear(hidden, 10, initialW=w2, initial_bias=b2)

        def forward(self, x):
            return F.sigmoid(self.l2(F.sigmoid(self.l1(x))))
    model = Net()
    optimizer = chainer.optimizers.SGD(lr=LR)
    optimizer.setup(model)
    x, t = data.x, data.onehot

    def step(i):
        i %= nb
        loss = F.mean_squared_error(model(x[i * bs:(i + 1) * bs]), t[i * bs:(i + 1) * bs])
        model.cleargrads()
        loss.backward()
        optimizer.update()
        return loss
    return Impl(step, value=lambda l: float(l.array))


# ----------------------------------------------------------- micrograd ==

def micrograd_impl(data, case):
    """Per-sample only: 784*200 multiplies are 157k Python objects a step."""
    from micrograd.engine import Value
    bs, hidden = case["bs"], case.get("hidden", 200)
    if bs != 1 or hidden != 200:
        raise NotApplicable("scalar engine: batch 64 would be ~10M Python nodes a step; see W2 batch 1")
    _common.micrograd_recursion()
    (w1, b1), (w2, b2) = data.mlp_weights(hidden)
    W1 = [[Value(v) for v in row] for row in w1.tolist()]
    B1 = [Value(v) for v in b1.tolist()]
    W2 = [[Value(v) for v in row] for row in w2.tolist()]
    B2 = [Value(v) for v in b2.tolist()]
    params = [p for row in W1 for p in row] + B1 + [p for row in W2 for p in row] + B2
    x, t = data.x, data.onehot
    nb = len(x)
    sig = _common.mg_sigmoid

    def step(i):
        i %= nb
        row, target = x[i].tolist(), t[i].tolist()
        h = [sig(sum((w * v for w, v in zip(W1[o], row)), B1[o])) for o in range(hidden)]
        out = [sig(sum((w * v for w, v in zip(W2[k], h)), B2[k])) for k in range(10)]
        loss = sum((o - tk) ** 2 for o, tk in zip(out, target)) * 0.1
        for p in params:
            p.grad = 0
        loss.backward()
        for p in params:
            p.data -= LR * p.grad
        return loss
    return Impl(step, value=lambda l: l.data, max_steps=2, check_steps=2,
                note="scalar engine: a few steps timed, extrapolated")


# ------------------------------------------------------------ tinygrad ==

def tinygrad_impl(data, case):
    from tinygrad import Context, Tensor, TinyJit, nn
    bs, hidden = case["bs"], case.get("hidden", 200)
    nb = min(_nb(data, bs), case.get("tiny_batches", _common.TINY_BATCHES))
    xs = _common.tiny_batches(data.x, bs, nb)
    ts = _common.tiny_batches(data.onehot, bs, nb)
    (w1, b1), (w2, b2) = data.mlp_weights(hidden)
    l1, l2 = nn.Linear(784, hidden), nn.Linear(hidden, 10)
    l1.weight, l1.bias = Tensor(w1.copy()).realize(), Tensor(b1.copy()).realize()
    l2.weight, l2.bias = Tensor(w2.copy()).realize(), Tensor(b2.copy()).realize()
    opt = nn.optim.SGD(nn.state.get_parameters([l1, l2]), lr=LR)

    @TinyJit
    def train_step(xb, tb):
        with Context(TRAINING=1):
            opt.zero_grad()
            out = l2(l1(xb).sigmoid()).sigmoid()
            loss = ((out - tb) ** 2).mean()
            loss.backward()
            Tensor.realize(loss, *opt.schedule_step())
            return loss

    def step(i):
        i %= nb
        return train_step(xs[i], ts[i])
    return Impl(step, sync=_common.tiny_sync, value=_common.tiny_value,
                note=_common.TINY_NOTE)


# ----------------------------------------------------------------- jax ==

def jax_impl(jit):
    def build(data, case):
        import jax
        import jax.numpy as jnp
        bs, hidden = case["bs"], case.get("hidden", 200)
        nb = _nb(data, bs)
        (w1, b1), (w2, b2) = data.mlp_weights(hidden)
        state = {"params": [jnp.asarray(w1.T), jnp.asarray(b1), jnp.asarray(w2.T), jnp.asarray(b2)]}
        x, t = data.x, data.onehot

        def loss_fn(params, xb, tb):
            W1, b1, W2, b2 = params
            o = jax.nn.sigmoid(jax.nn.sigmoid(xb @ W1 + b1) @ W2 + b2)
            return jnp.mean((o - tb) ** 2)

        def update(params, xb, tb):
            loss, grads = jax.value_and_grad(loss_fn)(params, xb, tb)
            return [p - LR * g for p, g in zip(params, grads)], loss
        if jit:
            update = jax.jit(update)

        def step(i):
            i %= nb
            state["params"], loss = update(state["params"], x[i * bs:(i + 1) * bs], t[i * bs:(i + 1) * bs])
            return loss
        return Impl(step, sync=_common.jax_sync(state))
    return build


IMPLS = {"minigrad": torchlike("minigrad"), "torch": torchlike("torch"), "numpy": numpy_floor,
         "autograd": hips_autograd, "mygrad": mygrad_impl, "dezero": dezero_impl, "chainer": chainer_impl,
         "micrograd": micrograd_impl, "tinygrad": tinygrad_impl, "jax": jax_impl(False), "jax-jit": jax_impl(True)}
