"""nn.Embedding, nn.BatchNorm1d / BatchNorm2d and their functionals against torch 2.13.

Unlike ``test_nn.py`` no weights are copied: both frameworks build their layers
after the same ``manual_seed`` (minigrad's ``init.normal_`` draws torch's
numbers), so the initialisation is checked too.  Forward, input and parameter
gradients under a random cotangent, running statistics over several SGD
steps, state-dict round trips both ways, reprs and error messages.
"""
from __future__ import annotations

from collections import OrderedDict

import numpy as np
import pytest
import torch
import torch.nn as tnn
import torch.nn.functional as TF
from hypothesis import given, settings, strategies as st

from frameworks import MG_IS_TORCH, mg, to_np
from test_module_api import raises_alike, same_text     # torch's exception class and text, shared

mnn = mg.nn
MF = mg.nn.functional
PREFIX = mg.__name__ + "."

TOL = {np.dtype(np.float64): (1e-7, 1e-7), np.dtype(np.float32): (1e-4, 1e-4)}
DTYPES = st.sampled_from(["float64", "float32"])
SEEDS = st.integers(0, 2 ** 31 - 1)
minigrad_only = pytest.mark.skipif(MG_IS_TORCH, reason="tests a minigrad-only behaviour")


# ================================================================ helpers ==

def close(actual, expected, what="", tol=None):
    a, e = to_np(actual), to_np(expected)
    assert a.shape == e.shape, f"{what}: shape {a.shape} != {e.shape}"
    assert a.dtype == e.dtype, f"{what}: dtype {a.dtype} != {e.dtype}"
    rtol, atol = tol or TOL.get(e.dtype, (0, 0))
    np.testing.assert_allclose(a, e, rtol=rtol, atol=atol, equal_nan=True, err_msg=what)



def both(build, seed=0):
    """The same model built by each framework after the same manual_seed (nothing copied)."""
    torch.manual_seed(seed)
    t = build(torch)
    mg.manual_seed(seed)
    m = build(mg)
    return t, m


def pair(x, requires_grad=True):
    x = np.asarray(x)
    rg = requires_grad and x.dtype.kind == "f"
    return torch.tensor(x, requires_grad=rg), mg.tensor(x, requires_grad=rg)


def cotangent(shape, dtype, seed):
    return np.random.default_rng(seed).standard_normal(tuple(shape)).astype(dtype)


def check_state(tmod, mmod, what=""):
    """Every parameter and buffer of the two modules agrees (values, dtypes, names, order)."""
    ts, ms = tmod.state_dict(), mmod.state_dict()
    assert list(ts) == list(ms), (list(ts), list(ms))
    for k in ts:
        close(ms[k], ts[k], f"{what} {k}")


def check_grads(tmod, mmod):
    tp, mp = dict(tmod.named_parameters()), dict(mmod.named_parameters())
    assert list(tp) == list(mp)
    for name, p in tp.items():
        if p.grad is None:
            assert mp[name].grad is None, name
        else:
            close(mp[name].grad, p.grad, f"grad of {name}")


# =============================================================== embedding ==

def test_embedding_init_draws_torchs_numbers():
    for dtype in ("float32", "float64"):
        for pad in (None, 0, 3, -1, -7):
            tmod, mmod = both(lambda lib: lib.nn.Embedding(7, 5, padding_idx=pad, dtype=getattr(lib, dtype)), 11)
            check_state(tmod, mmod, f"{dtype} pad={pad}")
            assert mmod.padding_idx == tmod.padding_idx
            assert mmod.weight.requires_grad and type(mmod.weight) is mnn.Parameter
    tmod, mmod = both(lambda lib: lib.nn.Embedding(4, 3, _freeze=True))
    assert not mmod.weight.requires_grad and not tmod.weight.requires_grad
    check_state(tmod, mmod)


@settings(max_examples=60, deadline=None)
@given(n=st.integers(1, 9), d=st.integers(1, 5), shape=st.sampled_from([(), (0,), (4,), (3, 5), (2, 3, 4)]),
       pad=st.one_of(st.none(), st.integers(-9, 8)), freq=st.booleans(),
       max_norm=st.sampled_from([None, None, 0.5, 1.5]), norm_type=st.sampled_from([2.0, 1.0, 3, float("inf")]),
       index_dtype=st.sampled_from([np.int64, np.int32]), dtype=DTYPES, seed=SEEDS)
def test_embedding_forward_backward(n, d, shape, pad, freq, max_norm, norm_type, index_dtype, dtype, seed):
    if pad is not None and not -n <= pad < n:
        pad = None
    rng = np.random.default_rng(seed)
    idx = rng.integers(0, n, size=shape).astype(index_dtype)
    if pad is not None and idx.size:           # the padding row is looked up too
        idx.reshape(-1)[0] = pad % n

    def build(lib):
        return lib.nn.Embedding(n, d, padding_idx=pad, max_norm=max_norm, norm_type=norm_type,
                                scale_grad_by_freq=freq, dtype=getattr(lib, dtype))

    tmod, mmod = both(build, seed % 1000)
    check_state(tmod, mmod, "init")
    yt, ym = tmod(torch.tensor(idx)), mmod(mg.tensor(idx))
    close(ym, yt, "forward")
    check_state(tmod, mmod, "after renorm")         # max_norm rescales the looked-up rows in place
    assert type(ym.grad_fn).__name__ == type(yt.grad_fn).__name__ == "EmbeddingBackward0"
    g = cotangent(yt.shape, dtype, seed)
    yt.backward(torch.tensor(g))
    ym.backward(mg.tensor(g))
    check_grads(tmod, mmod)


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_embedding_functional_padding_freq_and_second_order(dtype):
    rng = np.random.default_rng(0)
    w = rng.standard_normal((6, 3)).astype(dtype)
    idx = np.array([[1, 4, 1, 0], [4, 4, 2, 1]])
    g = rng.standard_normal((2, 4, 3)).astype(dtype)
    for kw in ({}, {"padding_idx": 4}, {"padding_idx": -2, "scale_grad_by_freq": True},
               {"scale_grad_by_freq": True}):
        wt, wm = pair(w)
        yt, ym = TF.embedding(torch.tensor(idx), wt, **kw), MF.embedding(mg.tensor(idx), wm, **kw)
        close(ym, yt, f"forward {kw}")
        gt, gm = pair(g)
        (dwt,) = torch.autograd.grad(yt, wt, gt, create_graph=True)
        (dwm,) = mg.autograd.grad(ym, wm, gm, create_graph=True)
        close(dwm, dwt, f"grad {kw}")
        c = rng.standard_normal(w.shape).astype(dtype)       # d<dw, c>/dg: second order through the cotangent
        (dw2t,) = torch.autograd.grad((dwt * torch.tensor(c)).sum(), gt)
        (dw2m,) = mg.autograd.grad((dwm * mg.tensor(c)).sum(), gm)
        close(dw2m, dw2t, f"second order {kw}")


def test_embedding_max_norm_renorms_weight_in_place_like_torch():
    for norm_type in (2.0, 1, 3.5, float("inf")):
        w = np.array([[3.0, 4.0], [1.0, 0.0], [0.1, 0.2], [-6.0, 8.0]], dtype=np.float32)
        wt, wm = torch.tensor(w, requires_grad=True), mg.tensor(w, requires_grad=True)
        idx = np.array([3, 0, 0, 2])
        yt = TF.embedding(torch.tensor(idx), wt, max_norm=1.0, norm_type=norm_type)
        ym = MF.embedding(mg.tensor(idx), wm, max_norm=1.0, norm_type=norm_type)
        close(ym, yt, f"p={norm_type}")
        close(wm, wt, f"weight after renorm p={norm_type}")          # row 1 untouched: it was not looked up
        assert wm._version == wt._version if not MG_IS_TORCH else True


def test_embedding_repr_state_dict_and_from_pretrained():
    for kw in ({}, {"padding_idx": 1}, {"padding_idx": -1, "max_norm": 1.0, "norm_type": 3,
                                        "scale_grad_by_freq": True}, {"max_norm": 2.0, "norm_type": 2.0}):
        tmod, mmod = both(lambda lib: lib.nn.Embedding(5, 3, **kw))
        same_text(repr(mmod), repr(tmod))
        assert list(mmod.state_dict()) == list(tmod.state_dict()) == ["weight"]
    tmod, mmod = both(lambda lib: lib.nn.Sequential(OrderedDict(
        [("emb", lib.nn.Embedding(10, 4, padding_idx=0)), ("bn", lib.nn.BatchNorm1d(4)),
         ("fc", lib.nn.Linear(4, 2))])))
    same_text(repr(mmod), repr(tmod))
    check_state(tmod, mmod)

    w = np.arange(8.0, dtype=np.float32).reshape(4, 2)
    for kw in ({}, {"freeze": False, "padding_idx": 1}, {"max_norm": 1.0}):
        et = tnn.Embedding.from_pretrained(torch.tensor(w), **kw)
        wm = mg.tensor(w)
        em = mnn.Embedding.from_pretrained(wm, **kw)
        same_text(repr(em), repr(et))
        assert em.weight.requires_grad == et.weight.requires_grad
        close(em.weight, et.weight, "padding row not zeroed")
        em.weight.data[0, 0] = 42.0                       # shares memory with the tensor passed in
        assert float(wm[0, 0]) == 42.0


def test_embedding_load_state_dict_both_ways():
    tmod, mmod = both(lambda lib: lib.nn.Embedding(6, 3, padding_idx=2), 1)
    torch.manual_seed(5)
    other = tnn.Embedding(6, 3)
    r = mmod.load_state_dict({k: mg.tensor(v.numpy()) for k, v in other.state_dict().items()})
    assert not r.missing_keys and not r.unexpected_keys
    check_state(other, mmod)
    r = tmod.load_state_dict({k: torch.tensor(to_np(v)) for k, v in mmod.state_dict().items()})
    check_state(tmod, mmod)


def test_embedding_errors_like_torch():
    w = np.random.default_rng(0).standard_normal((5, 3)).astype(np.float32)
    cases = [
        ([10], {}), ([-1], {}), ([[1, 5]], {}), ([1.0], {}), ([True], {}),
        ([1], {"padding_idx": 5}), ([1], {"padding_idx": -6}), ([1], {"padding_idx": 2.5}),
        ([1.0], {"max_norm": 1.0}), ([10], {"max_norm": 1.0}), ([-7, 1], {"max_norm": 1.0}),
    ]
    for idx, kw in cases:
        raises_alike(lambda: TF.embedding(torch.tensor(idx), torch.tensor(w), **kw),
                     lambda: MF.embedding(mg.tensor(idx), mg.tensor(w), **kw))
    for dt in ("int16", "uint8"):
        raises_alike(lambda: TF.embedding(torch.tensor([1], dtype=getattr(torch, dt)), torch.tensor(w)),
                     lambda: MF.embedding(mg.tensor([1], dtype=getattr(mg, dt)), mg.tensor(w)))
    for idx, kw in (([1], {}), ([1.0], {}), ([1], {"max_norm": 1.0})):      # a 1-D weight
        raises_alike(lambda: TF.embedding(torch.tensor(idx), torch.tensor(w[0]), **kw),
                     lambda: MF.embedding(mg.tensor(idx), mg.tensor(w[0]), **kw))
    raises_alike(lambda: TF.embedding([1], torch.tensor(w)), lambda: MF.embedding([1], mg.tensor(w)))
    raises_alike(lambda: TF.embedding(torch.tensor([1]), torch.arange(6).reshape(3, 2), max_norm=1.0),
                 lambda: MF.embedding(mg.tensor([1]), mg.arange(6).reshape(3, 2), max_norm=1.0))
    for kw in ({"padding_idx": 5}, {"padding_idx": -6}):
        raises_alike(lambda: tnn.Embedding(5, 3, **kw), lambda: mnn.Embedding(5, 3, **kw))
    raises_alike(lambda: tnn.Embedding(5, 3, _weight=torch.zeros(4, 3)),
                 lambda: mnn.Embedding(5, 3, _weight=mg.zeros(4, 3)))
    raises_alike(lambda: tnn.Embedding.from_pretrained(torch.zeros(4)),
                 lambda: mnn.Embedding.from_pretrained(mg.zeros(4)))
    # integer weights: a lookup without gradient
    yt = TF.embedding(torch.tensor([[1, 2]]), torch.arange(15).reshape(5, 3))
    ym = MF.embedding(mg.tensor([[1, 2]]), mg.arange(15).reshape(5, 3))
    close(ym, yt, "int weight")


def test_embedding_modified_indices_is_a_version_error_like_torch():
    def run(lib):
        w = lib.ones(4, 2, requires_grad=True)
        idx = lib.tensor([0, 1])
        y = lib.nn.functional.embedding(idx, w)
        idx.add_(1)
        y.sum().backward()
    with pytest.raises(RuntimeError) as et:
        run(torch)
    with pytest.raises(RuntimeError) as em:
        run(mg)
    # the engine names its own tensor type but torch's anomaly switch, verbatim
    assert str(em.value) == str(et.value).replace("[torch.", "[" + PREFIX)


@minigrad_only
def test_embedding_sparse_is_a_clear_error():
    for call in (lambda: mnn.Embedding(5, 3, sparse=True),
                 lambda: mnn.Embedding.from_pretrained(mg.zeros(5, 3), sparse=True),
                 lambda: MF.embedding(mg.tensor([1]), mg.zeros(5, 3), sparse=True)):
        with pytest.raises(NotImplementedError, match="sparse=True is not supported: minigrad has no sparse"):
            call()


# ============================================================== batch norm ==

def _bn(lib, kind, c, dtype, **kw):
    return getattr(lib.nn, kind)(c, dtype=getattr(lib, dtype), **kw)


@settings(max_examples=60, deadline=None)
@given(case=st.sampled_from([("BatchNorm1d", (5, 3)), ("BatchNorm1d", (4, 2, 6)), ("BatchNorm1d", (2, 4, 1)),
                             ("BatchNorm2d", (3, 2, 4, 5)), ("BatchNorm2d", (2, 3, 1, 2)),
                             ("BatchNorm2d", (1, 2, 3, 3))]),
       affine=st.booleans(), bias=st.booleans(), track=st.booleans(),
       momentum=st.sampled_from([0.1, 0.5, None, 0.0, 1.0]), eps=st.sampled_from([1e-5, 1e-3, 0.5]),
       train=st.booleans(), dtype=DTYPES, seed=SEEDS)
def test_batchnorm_forward_backward(case, affine, bias, track, momentum, eps, train, dtype, seed):
    kind, shape = case
    c = shape[1]
    kw = dict(affine=affine, bias=bias, track_running_stats=track, momentum=momentum, eps=eps)
    tmod, mmod = both(lambda lib: _bn(lib, kind, c, dtype, **kw))
    tmod.train(train)
    mmod.train(train)
    rng = np.random.default_rng(seed)
    if affine:                                   # non-trivial parameters, the same in both (set, not drawn)
        for name, p in tmod.named_parameters():
            v = rng.standard_normal(tuple(p.shape)).astype(dtype)
            with torch.no_grad():
                p.copy_(torch.tensor(v))
            with mg.no_grad():
                getattr(mmod, name).copy_(mg.tensor(v))
    if track and not train:                      # eval with non-trivial running statistics
        for name in ("running_mean", "running_var"):
            v = rng.uniform(0.2, 2.0, size=c).astype(dtype)
            getattr(tmod, name).copy_(torch.tensor(v))
            getattr(mmod, name).copy_(mg.tensor(v))
    x = (rng.standard_normal(shape) * 3 + 1).astype(dtype)
    for step in range(2):
        xt, xm = pair(x + step)
        yt, ym = tmod(xt), mmod(xm)
        close(ym, yt, f"forward step {step}")
        check_state(tmod, mmod, f"state step {step}")
        g = cotangent(yt.shape, dtype, seed + step)
        yt.backward(torch.tensor(g))
        ym.backward(mg.tensor(g))
        close(xm.grad, xt.grad, f"input grad step {step}")
        check_grads(tmod, mmod)


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("momentum", [0.1, None])
def test_sgd_loop_with_embedding_and_batchnorm(dtype, momentum):
    """A small language-model-ish classifier: embedding -> BatchNorm1d (3-D) -> BatchNorm2d -> linear,
    trained with SGD for several steps, then evaluated; nothing copied between the frameworks."""
    def build(lib):
        nn = lib.nn

        class Net(nn.Module):
            def __init__(self):
                super().__init__()
                self.emb = nn.Embedding(12, 6, padding_idx=0, dtype=getattr(lib, dtype))
                self.bn1 = nn.BatchNorm1d(6, momentum=momentum, dtype=getattr(lib, dtype))
                self.bn2 = nn.BatchNorm2d(6, dtype=getattr(lib, dtype))
                self.fc = nn.Linear(6, 3, dtype=getattr(lib, dtype))

            def forward(self, idx):
                h = self.emb(idx).transpose(1, 2)                  # (N, 6, L)
                h = lib.relu(self.bn1(h))
                h = self.bn2(h.unsqueeze(-1)).squeeze(-1)        # (N, 6, L, 1)
                return self.fc(h.mean(2))
        return Net()

    tnet, mnet = both(build, 3)
    topt = torch.optim.SGD(tnet.parameters(), lr=0.1, momentum=0.9)
    mopt = mg.optim.SGD(mnet.parameters(), lr=0.1, momentum=0.9)
    rng = np.random.default_rng(0)
    tol = (2e-4, 2e-4) if dtype == "float32" else None
    for step in range(6):
        idx = rng.integers(0, 12, size=(8, 5))
        target = rng.integers(0, 3, size=8)
        lt = TF.cross_entropy(tnet(torch.tensor(idx)), torch.tensor(target))
        lm = MF.cross_entropy(mnet(mg.tensor(idx)), mg.tensor(target))
        close(lm, lt, f"loss step {step}", tol)
        topt.zero_grad()
        mopt.zero_grad()
        lt.backward()
        lm.backward()
        topt.step()
        mopt.step()
        for k, v in tnet.state_dict().items():
            close(mnet.state_dict()[k], v, f"step {step}: {k}", tol)
    tnet.eval()
    mnet.eval()
    idx = rng.integers(0, 12, size=(1, 5))                         # batch of 1: fine in eval
    close(mnet(mg.tensor(idx)), tnet(torch.tensor(idx)), "eval", tol)


def test_batchnorm_repr_and_state_dict_keys():
    for kind in ("BatchNorm1d", "BatchNorm2d"):
        for kw in ({}, {"eps": 1e-3, "momentum": None}, {"affine": False}, {"track_running_stats": False},
                   {"affine": False, "track_running_stats": False}, {"bias": False}):
            tmod, mmod = both(lambda lib: getattr(lib.nn, kind)(4, **kw))
            same_text(repr(mmod), repr(tmod))
            check_state(tmod, mmod, f"{kind} {kw}")
            assert [n for n, _ in mmod.named_buffers()] == [n for n, _ in tmod.named_buffers()]
            assert [n for n, _ in mmod.named_parameters()] == [n for n, _ in tmod.named_parameters()]
    _, mmod = both(lambda lib: lib.nn.BatchNorm2d(3))
    assert list(mmod.state_dict()) == ["weight", "bias", "running_mean", "running_var", "num_batches_tracked"]
    assert mmod.num_batches_tracked.dtype is mg.int64


def test_batchnorm_load_state_dict_both_ways():
    tmod, mmod = both(lambda lib: lib.nn.BatchNorm2d(3))
    x = np.random.default_rng(0).standard_normal((4, 3, 2, 2)).astype(np.float32)
    for _ in range(3):
        tmod(torch.tensor(x))
    r = mmod.load_state_dict({k: mg.tensor(v.numpy()) for k, v in tmod.state_dict().items()})
    assert not r.missing_keys and not r.unexpected_keys
    check_state(tmod, mmod, "torch -> minigrad")
    mmod(mg.tensor(x * 2))
    tmod2 = tnn.BatchNorm2d(3)
    tmod2.load_state_dict({k: torch.tensor(to_np(v)) for k, v in mmod.state_dict().items()})
    check_state(tmod2, mmod, "minigrad -> torch")
    assert int(tmod2.num_batches_tracked) == 4
    # a version-1 state dict (no num_batches_tracked) loads it as 0, as torch
    old = mmod.state_dict()
    del old["num_batches_tracked"]
    old._metadata[""]["version"] = 1
    r = mmod.load_state_dict(old)
    assert not r.missing_keys and int(mmod.num_batches_tracked) == 4   # kept: torch keeps its own buffer
    fresh = mnn.BatchNorm2d(3)
    del old._metadata[""]["version"]
    fresh.load_state_dict(old)
    assert int(fresh.num_batches_tracked) == 0
    with pytest.raises(RuntimeError, match="Missing key"):              # a version-2 state dict needs it
        old._metadata[""]["version"] = 2
        fresh.load_state_dict(old)


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_batch_norm_functional(dtype):
    rng = np.random.default_rng(1)
    x = rng.standard_normal((4, 3, 5)).astype(dtype)
    w, b = rng.standard_normal(3).astype(dtype), rng.standard_normal(3).astype(dtype)
    rm, rv = rng.standard_normal(3).astype(dtype), rng.uniform(0.5, 2, 3).astype(dtype)
    for training in (True, False):
        for with_running in ((True, False) if training else (True,)):
            for affine in (True, False):
                xt, xm = pair(x)
                wt, wm = pair(w)
                bt, bm = pair(b)
                rmt, rmm = (torch.tensor(rm), mg.tensor(rm)) if with_running else (None, None)
                rvt, rvm = (torch.tensor(rv), mg.tensor(rv)) if with_running else (None, None)
                kw = dict(training=training, momentum=0.3, eps=1e-3)
                yt = TF.batch_norm(xt, rmt, rvt, wt if affine else None, bt if affine else None, **kw)
                ym = MF.batch_norm(xm, rmm, rvm, wm if affine else None, bm if affine else None, **kw)
                what = f"training={training} running={with_running} affine={affine}"
                close(ym, yt, what)
                if with_running:
                    close(rmm, rmt, what + " running_mean")
                    close(rvm, rvt, what + " running_var")
                g = cotangent(yt.shape, dtype, 0)
                yt.backward(torch.tensor(g))
                ym.backward(mg.tensor(g))
                close(xm.grad, xt.grad, what + " input grad")
                if affine:
                    close(wm.grad, wt.grad, what + " weight grad")
                    close(bm.grad, bt.grad, what + " bias grad")
    # an empty batch: empty output, running statistics untouched
    rmt, rmm, rvt, rvm = torch.zeros(3), mg.zeros(3), torch.ones(3), mg.ones(3)
    close(MF.batch_norm(mg.zeros(0, 3), rmm, rvm, training=True), TF.batch_norm(torch.zeros(0, 3), rmt, rvt,
                                                                                 training=True))
    close(rmm, rmt)
    close(rvm, rvt)


def test_batch_norm_second_order():
    x = np.random.default_rng(2).standard_normal((5, 2)).astype(np.float64)
    xt, xm = pair(x)
    yt = TF.batch_norm(xt, None, None, training=True)
    ym = MF.batch_norm(xm, None, None, training=True)
    (gt,) = torch.autograd.grad((yt ** 3).sum(), xt, create_graph=True)
    (gm,) = mg.autograd.grad((ym ** 3).sum(), xm, create_graph=True)
    close(gm, gt)
    (ggt,) = torch.autograd.grad((gt * gt).sum(), xt)
    (ggm,) = mg.autograd.grad((gm * gm).sum(), xm)
    close(ggm, ggt)


@pytest.mark.parametrize("training", [True, False])
def test_batch_norm_saved_tensors_like_torch(training):
    """torch's node saves input, weight and the running statistics: modifying one before backward is a version
    error; its own running-statistics update is not, so a second forward before backward is fine (GANs)."""
    def run(lib, what):
        x = lib.tensor(np.random.default_rng(0).standard_normal((4, 3)).astype(np.float32), requires_grad=True)
        w = lib.ones(3, requires_grad=True)
        rm, rv = lib.zeros(3), lib.ones(3)
        h = x * 1
        y = lib.nn.functional.batch_norm(h, rm, rv, w, training=training)
        with lib.no_grad():
            {"x": h, "w": w, "rm": rm, "rv": rv}.get(what, lib.zeros(1)).add_(1)
        if what == "twice":
            lib.nn.functional.batch_norm(h, rm, rv, w, training=training)
        y.sum().backward()
        return x.grad, rm, rv

    for what in ("x", "w", "rm", "rv"):
        with pytest.raises(RuntimeError) as et:
            run(torch, what)
        with pytest.raises(RuntimeError) as em:
            run(mg, what)
        assert str(em.value) == str(et.value).replace("[torch.", "[" + PREFIX), what
    for got, want in zip(run(mg, "twice"), run(torch, "twice")):
        close(got, want)
    assert run(mg, "twice")[1]._version == 0 if not MG_IS_TORCH else True


def test_batchnorm_errors_like_torch():
    def call(lib, kind, shape, train=True, c=3):
        m = getattr(lib.nn, kind)(c)
        m.train(train)
        return m(lib.zeros(*shape))

    for kind, shape, c in (("BatchNorm1d", (2, 3, 4, 5), 3), ("BatchNorm1d", (3,), 3), ("BatchNorm1d", (1, 3), 3),
                           ("BatchNorm1d", (1, 3, 1), 3), ("BatchNorm1d", (2, 4), 3), ("BatchNorm2d", (2, 3, 4), 3),
                           ("BatchNorm2d", (1, 3, 1, 1), 3), ("BatchNorm2d", (2, 2, 2, 2), 3)):
        raises_alike(lambda: call(torch, kind, shape, c=c), lambda: call(mg, kind, shape, c=c))
    # num_batches_tracked is incremented before the batch-size check, as torch
    tb, mb = tnn.BatchNorm1d(3), mnn.BatchNorm1d(3)
    for m, lib in ((tb, torch), (mb, mg)):
        with pytest.raises(ValueError):
            m(lib.zeros(1, 3))
    assert int(mb.num_batches_tracked) == int(tb.num_batches_tracked) == 1
    close(mb.eval()(mg.ones(1, 3)), tb.eval()(torch.ones(1, 3)), "eval with one value per channel")

    def f(lib, shape=(4, 3), rm=3, rv=3, w=None, b=None, training=False, dtype="float32", rdtype=None, **kw):
        F = lib.nn.functional
        dt, rdt = getattr(lib, dtype), getattr(lib, rdtype or dtype)
        x = lib.zeros(*shape, dtype=dt) if dtype != "int64" else lib.zeros(*shape, dtype=lib.int64)
        mk = lambda n, fill: None if n is None else lib.full((n,), fill, dtype=rdt)   # noqa: E731
        return F.batch_norm(x, mk(rm, 0.0), mk(rv, 1.0), mk(w, 1.0), mk(b, 0.0), training=training, **kw)

    for kw in ({"rm": 4}, {"rv": 4}, {"w": 4}, {"b": 4}, {"rm": 4, "w": 5}, {"w": 3, "b": 5}, {"rm": None},
               {"rv": None}, {"rm": None, "rv": None}, {"rv": None, "training": True},
               {"rm": None, "training": True}, {"shape": (3,)}, {"shape": (3,), "training": True},
               {"shape": (1, 3), "training": True}, {"training": True, "eps": 0}, {"eps": -1.0},
               {"dtype": "float64", "rdtype": "float32"}, {"rdtype": "float64"},
               {"w": 3, "rdtype": "float32", "dtype": "float64"}, {"w": 3, "rdtype": "float64", "training": True},
               {"dtype": "int64"}, {"dtype": "int64", "rm": 4}, {"training": True, "momentum": None}):
        raises_alike(lambda: f(torch, **kw), lambda: f(mg, **kw))


def test_nn_names_present():
    for name in ("Embedding", "BatchNorm1d", "BatchNorm2d"):
        assert hasattr(mnn, name) and (MG_IS_TORCH or name in mnn.__all__), name
    for name in ("embedding", "batch_norm"):
        assert callable(getattr(MF, name)) and (MG_IS_TORCH or name in MF.__all__), name
