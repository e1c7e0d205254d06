"""W3: the 60-minute blitz LeNet, one training step on a batch of 64 images of 1x32x32.

conv 1->6 3x3, relu, maxpool 2, conv 6->16 3x3, relu, maxpool 2, flatten (576),
fc 120, relu, fc 84, relu, fc 10; the blitz's MSELoss (here to the one-hot
label) and SGD lr 0.01: zero_grad, forward, loss, backward, step.  16 batches
of synthetic images are cycled.  Unit: microseconds per step.
"""
from __future__ import annotations

import numpy as np

from ..harness import Impl, NotApplicable
from . import _common

LR = 0.01


def cases(quick):
    return [dict(id="W3", title="W3 blitz LeNet, batch 64 of 1x32x32, forward+backward+SGD step", bs=64,
                 steps=10 if quick else 60, unit="us/step")]


def _nb(data, bs):
    return len(data.img) // bs


# ------------------------------------------------- minigrad and torch ==

def torchlike(name):
    def build(data, case):
        torch = _common.module(name)
        nn, F = torch.nn, torch.nn.functional
        if not hasattr(nn, "Conv2d"):
            raise NotApplicable(f"{name}.nn.Conv2d is not available")
        bs, nb = case["bs"], _nb(data, case["bs"])

        class Net(nn.Module):
            def __init__(self):
                super().__init__()
                self.conv1 = nn.Conv2d(1, 6, 3)
                self.conv2 = nn.Conv2d(6, 16, 3)
                self.fc1 = nn.Linear(16 * 6 * 6, 120)
                self.fc2 = nn.Linear(120, 84)
                self.fc3 = nn.Linear(84, 10)

            def forward(self, x):
                x = F.max_pool2d(F.relu(self.conv1(x)), (2, 2))
                x = F.max_pool2d(F.relu(self.conv2(x)), 2)
                x = torch.flatten(x, 1)
                x = F.relu(self.fc1(x))
                x = F.relu(self.fc2(x))
                return self.fc3(x)
        net = Net()
        net.load_state_dict({f"{k}.{p}": torch.from_numpy(a) for k, (w, b) in data.lenet_weights().items()
                             for p, a in (("weight", w), ("bias", b))})
        criterion = nn.MSELoss()
        optimizer = torch.optim.SGD(net.parameters(), lr=LR)
        images, targets = torch.from_numpy(data.img), torch.from_numpy(data.img_onehot)

        def step(i):
            i %= nb
            input, target = images[i * bs:(i + 1) * bs], targets[i * bs:(i + 1) * bs]
            optimizer.zero_grad()
            output = net(input)
            loss = criterion(output, target)
            loss.backward()
            optimizer.step()
            return loss
        return Impl(step, value=lambda l: l.item())
    return build


# ------------------------------------------------------ the NumPy floor ==

def numpy_floor(data, case):
    """Forward and backward by hand, channels-last (NHWC) so every GEMM and copy is contiguous:
    im2col as 9 slice copies and one matmul, 2x2 max pooling as three maximums of strided views.
    fc1's rows are permuted once at setup to the NHWC flattening order (the same function)."""
    bs, nb = case["bs"], _nb(data, case["bs"])
    wts = data.lenet_weights()
    P = {}
    for k in ("conv1", "conv2"):                     # (O, C, 3, 3) -> (3*3*C, O), rows in (i, j, c) order
        w, b = wts[k]
        P[k] = [np.ascontiguousarray(w.transpose(2, 3, 1, 0).reshape(-1, w.shape[0])), b.copy()]
    w, b = wts["fc1"]                                # inputs in torch's (c, h, w) order -> (h, w, c)
    P["fc1"] = [np.ascontiguousarray(w.T.reshape(16, 6, 6, 120).transpose(1, 2, 0, 3).reshape(576, 120)), b.copy()]
    for k in ("fc2", "fc3"):
        w, b = wts[k]
        P[k] = [np.ascontiguousarray(w.T), b.copy()]
    images = np.ascontiguousarray(data.img.transpose(0, 2, 3, 1))    # NHWC, once
    lr = np.float32(LR)

    def conv(x, Wm, b):
        n, h, w, c = x.shape
        oh, ow = h - 2, w - 2
        cols = np.empty((n, oh, ow, 3, 3, c), np.float32)
        for i in range(3):
            for j in range(3):
                cols[:, :, :, i, j, :] = x[:, i:i + oh, j:j + ow, :]
        cols = cols.reshape(n * oh * ow, 9 * c)
        return (cols @ Wm + b).reshape(n, oh, ow, -1), cols

    def conv_back(d, cols, Wm, x_shape, need_dx):
        d2 = d.reshape(-1, d.shape[-1])
        dW, db = cols.T @ d2, d2.sum(0)
        if not need_dx:
            return dW, db, None
        n, oh, ow, _ = d.shape
        dcols = (d2 @ Wm.T).reshape(n, oh, ow, 3, 3, -1)
        dx = np.zeros(x_shape, np.float32)
        for i in range(3):
            for j in range(3):
                dx[:, i:i + oh, j:j + ow, :] += dcols[:, :, :, i, j, :]
        return dW, db, dx

    def pool(x):
        h, w = x.shape[1] // 2 * 2, x.shape[2] // 2 * 2
        q = (x[:, 0:h:2, 0:w:2], x[:, 0:h:2, 1:w:2], x[:, 1:h:2, 0:w:2], x[:, 1:h:2, 1:w:2])
        out = np.maximum(np.maximum(q[0], q[1]), np.maximum(q[2], q[3]))
        return out, q

    def pool_back(d, out, q, x_shape):
        dx = np.zeros(x_shape, np.float32)
        h, w = x_shape[1] // 2 * 2, x_shape[2] // 2 * 2
        taken = np.zeros(out.shape, bool)
        for (di, dj), v in zip(((0, 0), (0, 1), (1, 0), (1, 1)), q):    # the first maximum wins, as in torch
            win = (v == out) & ~taken
            taken |= win
            dx[:, di:h:2, dj:w:2] = d * win
        return dx

    def step(i):
        i %= nb
        x, t = images[i * bs:(i + 1) * bs], data.img_onehot[i * bs:(i + 1) * bs]
        (K1, k1), (K2, k2) = P["conv1"], P["conv2"]
        (F1, c1), (F2, c2), (F3, c3) = P["fc1"], P["fc2"], P["fc3"]
        a1, cols1 = conv(x, K1, k1)
        r1 = np.maximum(a1, 0)
        p1, q1 = pool(r1)
        a2, cols2 = conv(p1, K2, k2)
        r2 = np.maximum(a2, 0)
        p2, q2 = pool(r2)
        f = p2.reshape(bs, -1)
        h1 = np.maximum(f @ F1 + c1, 0)
        h2 = np.maximum(h1 @ F2 + c2, 0)
        out = h2 @ F3 + c3
        d = out - t
        loss = (d * d).mean()
        d = d * np.float32(2 / d.size)
        g = {"fc3": (h2.T @ d, d.sum(0))}
        d = (d @ F3.T) * (h2 > 0)
        g["fc2"] = (h1.T @ d, d.sum(0))
        d = (d @ F2.T) * (h1 > 0)
        g["fc1"] = (f.T @ d, d.sum(0))
        d = (d @ F1.T).reshape(p2.shape)
        d = pool_back(d, p2, q2, r2.shape) * (a2 > 0)
        dW2, db2, d = conv_back(d, cols2, K2, p1.shape, True)
        g["conv2"] = (dW2, db2)
        d = pool_back(d, p1, q1, r1.shape) * (a1 > 0)
        dW1, db1, _ = conv_back(d, cols1, K1, x.shape, False)
        g["conv1"] = (dW1, db1)
        for k, (gw, gb) in g.items():
            P[k][0] -= lr * gw
            P[k][1] -= lr * gb
        return loss
    return Impl(step)


# ------------------------------------------------------ HIPS autograd ==

def hips_autograd(data, case):
    """As HIPS's convnet example: autograd.scipy.signal.convolve (a true convolution, so the
    kernels are stored flipped, as (C_in, C_out, kh, kw)) and reshape-max pooling."""
    import autograd.numpy as anp
    from autograd import value_and_grad
    from autograd.scipy.signal import convolve
    bs, nb = case["bs"], _nb(data, case["bs"])
    wts = data.lenet_weights()
    params = []
    for k in ("conv1", "conv2"):
        w, b = wts[k]
        params += [np.ascontiguousarray(w.transpose(1, 0, 2, 3)[:, :, ::-1, ::-1]), b.reshape(1, -1, 1, 1).copy()]
    for k in ("fc1", "fc2", "fc3"):
        w, b = wts[k]
        params += [np.ascontiguousarray(w.T), b.copy()]

    def conv_layer(x, W, b):
        return convolve(x, W, axes=([2, 3], [2, 3]), dot_axes=([1], [0]), mode="valid") + b

    def maxpool(x):
        n, c, h, w = x.shape
        r = x[:, :, :h // 2 * 2, :w // 2 * 2].reshape(n, c, h // 2, 2, w // 2, 2)
        return anp.max(anp.max(r, axis=3), axis=4)

    def relu(x):
        return anp.maximum(x, 0.0)

    def loss_fn(params, x, t):
        K1, k1, K2, k2, F1, c1, F2, c2, F3, c3 = params
        h = maxpool(relu(conv_layer(x, K1, k1)))
        h = maxpool(relu(conv_layer(h, K2, k2)))
        h = anp.reshape(h, (h.shape[0], -1))
        h = relu(anp.dot(h, F1) + c1)
        h = relu(anp.dot(h, F2) + c2)
        out = anp.dot(h, F3) + c3
        return anp.mean((out - t) ** 2)
    loss_and_grad = value_and_grad(loss_fn)

    def step(i):
        i %= nb
        loss, grads = loss_and_grad(params, data.img[i * bs:(i + 1) * bs], data.img_onehot[i * bs:(i + 1) * bs])
        for p, g in zip(params, grads):
            p -= LR * g
        return loss
    return Impl(step)


# -------------------------------------------------------------- MyGrad ==

def mygrad_impl(data, case):
    import mygrad as mg
    from mygrad.nnet.activations import relu
    from mygrad.nnet.layers import conv_nd, max_pool
    bs, nb = case["bs"], _nb(data, case["bs"])
    wts = data.lenet_weights()
    P = {}
    for k, (w, b) in wts.items():
        if k.startswith("conv"):
            P[k] = (mg.tensor(w), mg.tensor(b.reshape(1, -1, 1, 1)))
        else:
            P[k] = (mg.tensor(np.ascontiguousarray(w.T)), mg.tensor(b))
    params = [p for pair in P.values() for p in pair]

    def forward(x):
        (K1, k1), (K2, k2) = P["conv1"], P["conv2"]
        h = max_pool(relu(conv_nd(x, K1, stride=1) + k1), (2, 2), 2)
        h = relu(conv_nd(h, K2, stride=1) + k2)
        h = max_pool(h[:, :, :12, :12], (2, 2), 2)      # MyGrad's pooling needs windows that tile (13 -> 12)
        h = h.reshape(h.shape[0], -1)
        h = relu(h @ P["fc1"][0] + P["fc1"][1])
        h = relu(h @ P["fc2"][0] + P["fc2"][1])
        return h @ P["fc3"][0] + P["fc3"][1]

    def step(i):
        i %= nb
        out = forward(data.img[i * bs:(i + 1) * bs])
        loss = mg.mean((out - data.img_onehot[i * bs:(i + 1) * bs]) ** 2)
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
    bs, nb = case["bs"], _nb(data, case["bs"])
    wts = data.lenet_weights()

    class Net(dezero.Model):
        def __init__(self):
            super().__init__()
            self.conv1 = L.Conv2d(6, 3, in_channels=1)
            self.conv2 = L.Conv2d(16, 3, in_channels=6)
            self.fc1 = L.Linear(120, in_size=576)
            self.fc2 = L.Linear(84, in_size=120)
            self.fc3 = L.Linear(10, in_size=84)

        def forward(self, x):
            x = F.pooling(F.relu(self.conv1(x)), 2, 2)
            x = F.pooling(F.relu(self.conv2(x)), 2, 2)
            x = F.reshape(x, (x.shape[0], -1))
            x = F.relu(self.fc1(x))
            x = F.relu(self.fc2(x))
            return self.fc3(x)
    model = Net()
    for k, (w, b) in wts.items():
        layer = getattr(model, k)
        layer.W.data = w.copy() if k.startswith("conv") else np.ascontiguousarray(w.T)
        layer.b.data = b.copy()
    optimizer = dezero.optimizers.SGD(LR).setup(model)

    def step(i):
        i %= nb
        y = model(data.img[i * bs:(i + 1) * bs])
        diff = y - data.img_onehot[i * bs:(i + 1) * bs]
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
    bs, nb = case["bs"], _nb(data, case["bs"])
    wts = data.lenet_weights()

    class Net(chainer.Chain):
        def __init__(self):
            super().__init__()
            with self.init_scope():
                self.conv1 = L.Convolution2D(1, 6, 3, initialW=wts["conv1"][0], initial_bias=wts["conv1"][1])
                self.conv2 = L.Convolution2D(6, 16, 3, initialW=wts["conv2"][0], initial_bias=wts["conv2"][1])
                self.fc1 = L.Linear(576, 120, initialW=wts["fc1"][0], initial_bias=wts["fc1"][1])
                self.fc2 = L.Linear(120, 84, initialW=wts["fc2"][0], initial_bias=wts["fc2"][1])
                self.fc3 = L.Linear(84, 10, initialW=wts["fc3"][0], initial_bias=wts["fc3"][1])

        def forward(self, x):
            x = F.max_pooling_2d(F.relu(self.conv1(x)), 2, cover_all=False)
            x = F.max_pooling_2d(F.relu(self.conv2(x)), 2, cover_all=False)
            x = F.relu(self.fc1(x))                  # L.Linear flattens (N, 16, 6, 6) itself
            x = F.relu(self.fc2(x))
            return self.fc3(x)
    model = Net()
    optimizer = chainer.optimizers.SGD(lr=LR)
    optimizer.setup(model)

    def step(i):
        i %= nb
        loss = F.mean_squared_error(model(data.img[i * bs:(i + 1) * bs]), data.img_onehot[i * bs:(i + 1) * bs])
        model.cleargrads()
        loss.backward()
        optimizer.update()
        return loss
    return Impl(step, value=lambda l: float(l.array))


def micrograd_impl(data, case):
    raise NotApplicable("scalar engine: a LeNet step is ~30M Python nodes")


# ------------------------------------------------------------ tinygrad ==

def tinygrad_impl(data, case):
    from tinygrad import Context, Tensor, TinyJit, nn
    bs, nb = case["bs"], min(_nb(data, case["bs"]), _common.TINY_BATCHES)
    xs = _common.tiny_batches(data.img, bs, nb)
    ts = _common.tiny_batches(data.img_onehot, bs, nb)
    wts = data.lenet_weights()

    class Net:
        def __init__(self):
            self.conv1, self.conv2 = nn.Conv2d(1, 6, 3), nn.Conv2d(6, 16, 3)
            self.fc1, self.fc2, self.fc3 = nn.Linear(576, 120), nn.Linear(120, 84), nn.Linear(84, 10)

        def __call__(self, x):
            x = self.conv1(x).relu().max_pool2d((2, 2))
            x = self.conv2(x).relu().max_pool2d((2, 2))
            x = x.flatten(1)
            return self.fc3(self.fc2(self.fc1(x).relu()).relu())
    net = Net()
    for k, (w, b) in wts.items():
        layer = getattr(net, k)
        layer.weight, layer.bias = Tensor(w.copy()).realize(), Tensor(b.copy()).realize()
    opt = nn.optim.SGD(nn.state.get_parameters(net), lr=LR)

    @TinyJit
    def train_step(x, t):
        with Context(TRAINING=1):
            opt.zero_grad()
            loss = ((net(x) - t) ** 2).mean()
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
        from jax import lax
        bs, nb = case["bs"], _nb(data, case["bs"])
        wts = data.lenet_weights()
        params = {}
        for k, (w, b) in wts.items():
            params[k] = (jnp.asarray(w), jnp.asarray(b)) if k.startswith("conv") else (jnp.asarray(w.T), jnp.asarray(b))
        state = {"params": params}

        def conv(x, W, b):
            y = lax.conv_general_dilated(x, W, (1, 1), "VALID", dimension_numbers=("NCHW", "OIHW", "NCHW"))
            return y + b[None, :, None, None]

        def maxpool(x):
            return lax.reduce_window(x, -jnp.inf, lax.max, (1, 1, 2, 2), (1, 1, 2, 2), "VALID")

        def loss_fn(p, x, t):
            h = maxpool(jax.nn.relu(conv(x, *p["conv1"])))
            h = maxpool(jax.nn.relu(conv(h, *p["conv2"])))
            h = h.reshape(h.shape[0], -1)
            h = jax.nn.relu(h @ p["fc1"][0] + p["fc1"][1])
            h = jax.nn.relu(h @ p["fc2"][0] + p["fc2"][1])
            out = h @ p["fc3"][0] + p["fc3"][1]
            return jnp.mean((out - t) ** 2)

        def update(p, x, t):
            loss, grads = jax.value_and_grad(loss_fn)(p, x, t)
            return jax.tree_util.tree_map(lambda a, g: a - LR * g, p, grads), loss
        if jit:
            update = jax.jit(update)

        def step(i):
            i %= nb
            state["params"], loss = update(state["params"], data.img[i * bs:(i + 1) * bs],
                                           data.img_onehot[i * bs:(i + 1) * bs])
            return loss
        return Impl(step, sync=_common.jax_sync(state))
    return build


IMPLS = {"minigrad": torchlike("minigrad"), "torch": torchlike("torch"), "numpy": numpy_floor,
         "autograd": hips_autograd, "mygrad": mygrad_impl, "dezero": dezero_impl, "chainer": chainer_impl,
         "micrograd": micrograd_impl, "tinygrad": tinygrad_impl, "jax": jax_impl(False), "jax-jit": jax_impl(True)}
