"""nn.Module / Parameter / containers: the API surface tutorials touch, against torch 2.13.

Reprs and error messages are compared with torch's after replacing ``torch.``
by ``minigrad.`` (where torch names one of its own types, minigrad names its
own: ``minigrad.Size([3, 2])``, ``minigrad.FloatTensor``).
"""
from __future__ import annotations

import copy
from collections import OrderedDict

import numpy as np
import pytest
import torch
import torch.nn as tnn

from frameworks import mg, to_np

mnn = mg.nn
PREFIX = mg.__name__ + "."


def same_text(m_text, t_text):
    assert m_text == t_text.replace("torch.", PREFIX)


def raises_alike(fn_t, fn_m):
    with pytest.raises(Exception) as et:
        fn_t()
    with pytest.raises(Exception) as em:
        fn_m()
    assert type(em.value) is type(et.value), (em.value, et.value)
    same_text(str(em.value), str(et.value))


def both(build):
    """Build the same model with each framework's ``nn``."""
    return build(tnn), build(mnn)


# ================================================================== repr ==

def _zoo(nn):
    class Lambda(nn.Module):
        def __init__(self, fn):
            super().__init__()
            self.fn = fn

        def forward(self, x):
            return self.fn(x)

    class Net(nn.Module):
        def __init__(self):
            super().__init__()
            self.conv1 = nn.Conv2d(1, 6, 3)
            self.conv2 = nn.Conv2d(6, 16, (3, 2), stride=2, padding=1, dilation=(2, 1), bias=False)
            self.conv3 = nn.Conv2d(16, 4, 3, padding="same")
            self.pool = nn.MaxPool2d(2)
            self.pool2 = nn.MaxPool2d((2, 3), 1, padding=1, dilation=2, ceil_mode=True)
            self.avg = nn.AvgPool2d(4)
            self.avg2 = nn.AvgPool2d((2, 2), stride=(1, 2), padding=1)
            self.adapt = nn.AdaptiveAvgPool2d((1, None))
            self.adapt2 = nn.AdaptiveAvgPool2d(1)
            self.flat = nn.Flatten()
            self.unflat = nn.Unflatten(1, (2, 3))
            self.fc = nn.Linear(576, 120)
            self.fc_nobias = nn.Linear(120, 84, bias=False)
            self.acts = nn.Sequential(nn.ReLU(), nn.ReLU(inplace=True), nn.Sigmoid(), nn.Tanh(), nn.LeakyReLU(),
                                      nn.LeakyReLU(0.02), nn.Softmax(dim=1), nn.Softmax(), nn.LogSoftmax(1),
                                      nn.Identity(), nn.Dropout(), nn.Dropout(0.2, inplace=True))
            self.norms = nn.ModuleList([nn.LayerNorm(200), nn.LayerNorm((3, 4), eps=1e-3, elementwise_affine=False),
                                        nn.LayerNorm(5, bias=False)])
            self.losses = nn.ModuleDict({"mse": nn.MSELoss(), "nll": nn.NLLLoss(), "ce": nn.CrossEntropyLoss(),
                                         "bce": nn.BCELoss(), "bcel": nn.BCEWithLogitsLoss(reduction="sum")})
            self.repeated = nn.ModuleList([nn.Linear(2, 2) for _ in range(3)] + [nn.ReLU()] * 2 + [nn.Tanh()])
            self.empty = nn.ModuleList()
            self.lam = Lambda(lambda x: x)
            self.ordered = nn.Sequential(OrderedDict([("first", nn.Linear(3, 4)), ("act", nn.ReLU())]))
    return Net()


def test_repr_matches_torch_for_every_layer():
    tnet, mnet = both(_zoo)
    same_text(repr(mnet), repr(tnet))
    same_text(str(mnet), str(tnet))


def test_blitz_and_gan_book_reprs():
    def blitz(nn):
        class Net(nn.Module):
            def __init__(self):
                super(Net, self).__init__()
                self.conv1 = nn.Conv2d(1, 6, 3)
                self.conv2 = nn.Conv2d(6, 16, 3)
                self.fc1 = nn.Linear(16 * 6 * 6, 120)
                self.fc2 = nn.Linear(120, 84)
                self.fc3 = nn.Linear(84, 10)
        return Net()
    tnet, mnet = both(blitz)
    assert repr(mnet) == (
        "Net(\n"
        "  (conv1): Conv2d(1, 6, kernel_size=(3, 3), stride=(1, 1))\n"
        "  (conv2): Conv2d(6, 16, kernel_size=(3, 3), stride=(1, 1))\n"
        "  (fc1): Linear(in_features=576, out_features=120, bias=True)\n"
        "  (fc2): Linear(in_features=120, out_features=84, bias=True)\n"
        "  (fc3): Linear(in_features=84, out_features=10, bias=True)\n"
        ")") == repr(tnet)

    def gan(nn):
        class Classifier(nn.Module):
            def __init__(self):
                super().__init__()
                self.model = nn.Sequential(nn.Linear(784, 200), nn.LeakyReLU(0.02), nn.LayerNorm(200),
                                           nn.Linear(200, 10), nn.Sigmoid())
                self.loss_function = nn.BCELoss()
        return Classifier()
    tnet, mnet = both(gan)
    same_text(repr(mnet), repr(tnet))


def test_custom_extra_repr_and_single_line():
    def build(nn):
        class Scale(nn.Module):
            def __init__(self):
                super().__init__()
                self.k = 3

            def extra_repr(self):
                return f"k={self.k}"

        class Multi(nn.Module):
            def extra_repr(self):
                return "a=1\nb=2"

        class Outer(nn.Module):
            def __init__(self):
                super().__init__()
                self.s, self.m = Scale(), Multi()

            def extra_repr(self):
                return "outer"
        return Outer()
    tnet, mnet = both(build)
    same_text(repr(mnet), repr(tnet))


def test_parameter_repr_and_semantics():
    pt, pm = tnn.Parameter(torch.ones(2, 3)), mnn.Parameter(mg.ones(2, 3))
    same_text(repr(pm), repr(pt))
    same_text(repr(mnn.Parameter(mg.ones(2), requires_grad=False)), repr(tnn.Parameter(torch.ones(2),
                                                                                           requires_grad=False)))
    same_text(repr(mnn.Parameter()), repr(tnn.Parameter()))
    assert isinstance(pm, mg.Tensor) and pm.is_leaf and pm.requires_grad
    assert type(pm * 2) is mg.Tensor and type(pm.detach()) is mg.Tensor and type(pm.data) is mg.Tensor
    data = mg.zeros(3)
    p = mnn.Parameter(data)
    with mg.no_grad():
        p.add_(1)
    assert to_np(data).tolist() == [1, 1, 1]            # shares memory, as torch
    raises_alike(lambda: tnn.Parameter(torch.tensor([1, 2])), lambda: mnn.Parameter(mg.tensor([1, 2])))


# ============================================================ state_dict ==

def _small(nn):
    class Net(nn.Module):
        def __init__(self):
            super().__init__()
            self.conv = nn.Conv2d(1, 2, 3)
            self.fc = nn.Linear(4, 3)
            self.seq = nn.Sequential(nn.Linear(3, 3), nn.ReLU(), nn.LayerNorm(3))
            self.register_buffer("running", torch.zeros(3) if nn is tnn else mg.zeros(3))
            self.register_buffer("scratch", torch.zeros(1) if nn is tnn else mg.zeros(1), persistent=False)
            self.shared = self.fc        # the same module twice

        def forward(self, x):
            return self.seq(self.fc(x))
    return Net()


def test_state_dict_keys_order_and_detached_shared_memory():
    tnet, mnet = both(_small)
    assert list(mnet.state_dict()) == list(tnet.state_dict())
    sd = mnet.state_dict()
    assert isinstance(sd, OrderedDict) and sd._metadata[""] == {"version": 1}
    assert all(not v.requires_grad and type(v) is mg.Tensor for v in sd.values())
    with mg.no_grad():
        sd["fc.weight"].fill_(7.0)
    assert (to_np(mnet.fc.weight) == 7.0).all()          # values share the parameters' memory
    assert list(mnet.state_dict(keep_vars=True)["fc.weight"].shape) == [3, 4]
    assert mnet.state_dict(keep_vars=True)["fc.weight"] is mnet.fc.weight
    assert [n for n, _ in mnet.named_buffers()] == [n for n, _ in tnet.named_buffers()]


def test_load_state_dict_copies_in_place():
    tnet, mnet = both(_small)
    weight = mnet.fc.weight
    result = mnet.load_state_dict({k: mg.tensor(v.numpy()) for k, v in tnet.state_dict().items()})
    assert repr(result) == "<All keys matched successfully>" == repr(tnet.load_state_dict(tnet.state_dict()))
    assert mnet.fc.weight is weight and weight.requires_grad and weight.is_leaf
    np.testing.assert_array_equal(to_np(weight), tnet.fc.weight.detach().numpy())
    out = mnet(mg.ones(2, 4))
    np.testing.assert_allclose(to_np(out), tnet(torch.ones(2, 4)).detach().numpy(), rtol=1e-5, atol=1e-6)


def test_load_state_dict_errors_like_torch():
    tnet, mnet = both(_small)
    tsd, msd = tnet.state_dict(), mnet.state_dict()
    for drop in (["fc.bias"], ["fc.bias", "seq.2.weight"]):
        raises_alike(lambda: tnet.load_state_dict({k: v for k, v in tsd.items() if k not in drop}),
                     lambda: mnet.load_state_dict({k: v for k, v in msd.items() if k not in drop}))
    raises_alike(lambda: tnet.load_state_dict(dict(tsd, extra=torch.ones(1), **{"seq.9.weight": torch.ones(1)})),
                 lambda: mnet.load_state_dict(dict(msd, extra=mg.ones(1), **{"seq.9.weight": mg.ones(1)})))
    raises_alike(lambda: tnet.load_state_dict(dict(tsd, **{"fc.weight": torch.ones(3, 3)})),
                 lambda: mnet.load_state_dict(dict(msd, **{"fc.weight": mg.ones(3, 3)})))
    raises_alike(lambda: tnet.load_state_dict({"fc.weight": torch.ones(3, 3), "extra": torch.ones(1)}),
                 lambda: mnet.load_state_dict({"fc.weight": mg.ones(3, 3), "extra": mg.ones(1)}))
    raises_alike(lambda: tnet.load_state_dict(dict(tsd, **{"fc.weight": 3})),
                 lambda: mnet.load_state_dict(dict(msd, **{"fc.weight": 3})))
    raises_alike(lambda: tnet.load_state_dict([1, 2]), lambda: mnet.load_state_dict([1, 2]))
    # the exact text of the brief's example
    raises_alike(lambda: tnn.Linear(2, 3).load_state_dict({"weight": torch.ones(3, 3)}),
                 lambda: mnn.Linear(2, 3).load_state_dict({"weight": mg.ones(3, 3)}))
    with pytest.raises(RuntimeError) as e:
        mnn.Linear(2, 3).load_state_dict({"weight": mg.ones(3, 3)})
    assert str(e.value) == (
        'Error(s) in loading state_dict for Linear:\n\tMissing key(s) in state_dict: "bias". \n\tsize mismatch for '
        f"weight: copying a param with shape {PREFIX}Size([3, 3]) from checkpoint, the shape in current model is "
        f"{PREFIX}Size([3, 2]).")


def test_load_state_dict_non_strict_returns_incompatible_keys():
    tnet, mnet = both(_small)
    tsd = {k: v for k, v in tnet.state_dict().items() if k != "fc.bias"}
    msd = {k: v for k, v in mnet.state_dict().items() if k != "fc.bias"}
    rt = tnet.load_state_dict(dict(tsd, foo=torch.ones(1)), strict=False)
    rm = mnet.load_state_dict(dict(msd, foo=mg.ones(1)), strict=False)
    assert rm.missing_keys == rt.missing_keys == ["fc.bias"] and rm.unexpected_keys == rt.unexpected_keys == ["foo"]
    assert repr(rm) == repr(rt)


# ============================================================ traversal ==

def test_named_parameters_modules_children_like_torch():
    tnet, mnet = both(_small)
    assert [n for n, _ in mnet.named_parameters()] == [n for n, _ in tnet.named_parameters()]
    assert [n for n, _ in mnet.named_parameters(remove_duplicate=False)] == \
        [n for n, _ in tnet.named_parameters(remove_duplicate=False)]
    assert [n for n, _ in mnet.named_parameters(prefix="net", recurse=False)] == []
    assert [n for n, _ in mnet.fc.named_parameters(prefix="fc")] == ["fc.weight", "fc.bias"]
    assert [n for n, _ in mnet.named_modules()] == [n for n, _ in tnet.named_modules()]
    assert [n for n, _ in mnet.named_children()] == [n for n, _ in tnet.named_children()]
    assert [type(m).__name__ for m in mnet.modules()] == [type(m).__name__ for m in tnet.modules()]
    assert [type(m).__name__ for m in mnet.children()] == [type(m).__name__ for m in tnet.children()]
    assert len(list(mnet.parameters())) == len(list(tnet.parameters())) == 8
    assert [n for n, _ in mnet.named_buffers()] == ["running", "scratch"]
    assert mnet.get_submodule("seq.2") is mnet.seq[2]
    assert mnet.get_parameter("seq.0.bias") is mnet.seq[0].bias


def test_shared_parameter_counted_once():
    def build(nn):
        class Tied(nn.Module):
            def __init__(self):
                super().__init__()
                self.a = nn.Linear(3, 3)
                self.b = nn.Linear(3, 3)
                self.b.weight = self.a.weight
        return Tied()
    tnet, mnet = both(build)
    assert [n for n, _ in mnet.named_parameters()] == [n for n, _ in tnet.named_parameters()]
    assert list(mnet.state_dict()) == list(tnet.state_dict())


def test_apply_visits_children_first():
    tnet, mnet = both(_small)
    seen_t, seen_m = [], []
    tnet.apply(lambda m: seen_t.append(type(m).__name__))
    assert mnet.apply(lambda m: seen_m.append(type(m).__name__)) is mnet
    assert seen_m == seen_t


# ================================================================ modes ==

def test_train_eval_flags_recursive():
    tnet, mnet = both(_small)
    assert mnet.training and all(m.training for m in mnet.modules())
    assert mnet.eval() is mnet
    assert not any(m.training for m in mnet.modules())
    mnet.seq.train()
    assert mnet.seq[1].training and not mnet.training
    assert mnet.train() is mnet and all(m.training for m in mnet.modules())
    raises_alike(lambda: tnet.train(3), lambda: mnet.train(3))


def test_module_overriding_train_with_other_signature():
    """The GAN book's Classifier: train(self, inputs, targets); nothing in Module may call self.train()."""
    def build(nn):
        class Classifier(nn.Module):
            def __init__(self):
                super().__init__()
                self.model = nn.Sequential(nn.Linear(4, 3), nn.Sigmoid())
                self.loss_function = nn.MSELoss()
                self.calls = 0

            def forward(self, inputs):
                return self.model(inputs)

            def train(self, inputs, targets):
                loss = self.loss_function(self.forward(inputs), targets)
                self.zero_grad()
                loss.backward()
                self.calls += 1
                return loss
        return Classifier()
    tnet, mnet = both(build)
    mnet.load_state_dict({k: mg.tensor(v.numpy()) for k, v in tnet.state_dict().items()})
    mnet.to(mg.float32).float().requires_grad_(True)
    copy.deepcopy(mnet)
    repr(mnet)
    lm = mnet.train(mg.ones(4), mg.zeros(3))
    lt = tnet.train(torch.ones(4), torch.zeros(3))
    assert mnet.calls == 1 and abs(lm.item() - lt.item()) < 1e-6
    assert mnet.model[0].weight.grad is not None
    raises_alike(lambda: tnet.eval(), lambda: mnet.eval())       # both call self.train(False)


def test_zero_grad():
    net = mnn.Linear(3, 2)
    net(mg.ones(4, 3)).sum().backward()
    grad = net.weight.grad
    net.zero_grad(set_to_none=False)
    assert net.weight.grad is grad and (to_np(grad) == 0).all()
    net.zero_grad()
    assert net.weight.grad is None and net.bias.grad is None


def test_requires_grad_():
    net = mnn.Sequential(mnn.Linear(3, 2), mnn.LayerNorm(2))
    assert net.requires_grad_(False) is net
    assert not any(p.requires_grad for p in net.parameters())
    net.requires_grad_()
    assert all(p.requires_grad for p in net.parameters())


# ======================================================= type and device ==

def test_to_double_float_half_type_keep_parameter_identity():
    net = _small(mnn)
    w = net.fc.weight
    net(mg.ones(2, 4)).sum().backward()
    assert net.double() is net and net.fc.weight is w
    assert w.dtype is mg.float64 and w.grad.dtype is mg.float64 and net.running.dtype is mg.float64
    assert w.requires_grad and w.is_leaf
    net.to(mg.float32)
    assert w.dtype is mg.float32 and net.running.dtype is mg.float32
    net.half()
    assert w.dtype is mg.float16
    net.float().to("cpu").cpu()
    assert w.dtype is mg.float32 and w.device == mg.device("cpu")
    net.to(mg.ones(1, dtype=mg.float64))
    assert w.dtype is mg.float64
    net.type(mg.float32)
    assert w.dtype is mg.float32
    raises_alike(lambda: tnn.Linear(2, 2).to(torch.int64), lambda: mnn.Linear(2, 2).to(mg.int64))
    if not mg.cuda.is_available():
        with pytest.raises(Exception):
            mnn.Linear(2, 2).cuda()


def test_module_factory_kwargs():
    lin = mnn.Linear(3, 2, dtype=mg.float64)
    conv = mnn.Conv2d(1, 2, 3, dtype=mg.float64, device="cpu")
    norm = mnn.LayerNorm(4, dtype=mg.float64)
    assert all(p.dtype is mg.float64 for m in (lin, conv, norm) for p in m.parameters())


# =============================================================== attributes ==

def test_attribute_registration_reassignment_and_deletion():
    net = mnn.Module()
    net.w = mnn.Parameter(mg.ones(2))
    net.sub = mnn.Linear(2, 2)
    net.plain = [1, 2]
    assert list(net._parameters) == ["w"] and list(net._modules) == ["sub"] and net.plain == [1, 2]
    tnet = tnn.Module()
    tnet.w = tnn.Parameter(torch.ones(2))
    raises_alike(lambda: setattr(tnet, "w", tnn.Linear(2, 2)), lambda: setattr(net, "w", mnn.Linear(2, 2)))
    net.sub = mnn.Parameter(mg.ones(1))       # a Parameter replaces the Module of the same name
    assert "sub" in net._parameters and "sub" not in net._modules
    del net.sub
    net.plain2 = 5
    net.plain2 = mnn.Linear(2, 2)             # ... and a Module replaces a plain attribute
    assert "plain2" in net._modules and "plain2" not in net.__dict__
    net.sub = mnn.Linear(2, 2)
    del net.w, net.plain2
    net.w = mnn.Linear(2, 2)
    assert "w" not in net._parameters and "w" in net._modules
    net.sub = None
    assert net.sub is None and [n for n, _ in net.named_children()] == ["w"]
    del net.w
    assert "w" not in net._modules
    net.p = mnn.Parameter(mg.ones(1))
    net.p = None
    assert net.p is None and list(net.parameters()) == []
    del net.plain
    assert not hasattr(net, "plain")
    d = dir(_small(mnn))
    assert "fc" in d and "running" in d and "forward" in d


def test_attribute_errors_like_torch():
    tnet, mnet = both(_small)
    raises_alike(lambda: tnet.foo, lambda: mnet.foo)
    raises_alike(lambda: setattr(tnet.fc, "weight", torch.ones(3, 4)),
                 lambda: setattr(mnet.fc, "weight", mg.ones(3, 4)))
    raises_alike(lambda: setattr(tnet, "fc", 3), lambda: setattr(mnet, "fc", 3))
    raises_alike(lambda: setattr(tnet, "running", 3), lambda: setattr(mnet, "running", 3))
    raises_alike(lambda: tnet.fc.register_parameter("bias", torch.ones(3)),
                 lambda: mnet.fc.register_parameter("bias", mg.ones(3)))
    raises_alike(lambda: tnet.fc.register_parameter("a.b", None), lambda: mnet.fc.register_parameter("a.b", None))
    raises_alike(lambda: tnet.register_buffer("fc", torch.ones(3)), lambda: mnet.register_buffer("fc", mg.ones(3)))
    raises_alike(lambda: tnet.register_buffer("x", 3), lambda: mnet.register_buffer("x", 3))
    raises_alike(lambda: tnet.add_module("fc2", 3), lambda: mnet.add_module("fc2", 3))
    raises_alike(lambda: tnet.add_module("a.b", tnn.ReLU()), lambda: mnet.add_module("a.b", mnn.ReLU()))
    raises_alike(lambda: tnet.add_module("running", tnn.ReLU()), lambda: mnet.add_module("running", mnn.ReLU()))
    raises_alike(lambda: tnn.Module()(1), lambda: mnn.Module()(1))
    raises_alike(lambda: tnn.Module(3), lambda: mnn.Module(3))

    class Early(mnn.Module):
        def __init__(self):
            self.w = mnn.Parameter(mg.ones(1))

    class EarlyT(tnn.Module):
        def __init__(self):
            self.w = tnn.Parameter(torch.ones(1))
    raises_alike(EarlyT, Early)


def test_buffers_persistent_flag():
    net = mnn.Module()
    net.register_buffer("a", mg.ones(2))
    net.register_buffer("b", mg.ones(2), persistent=False)
    net.register_buffer("c", None)
    assert [n for n, _ in net.named_buffers()] == ["a", "b"]
    assert list(net.state_dict()) == ["a"]
    net.a = mg.zeros(3)                       # assigning a tensor to a buffer name replaces the buffer
    assert tuple(net.a.shape) == (3,) and net._buffers["a"] is net.a


def test_forward_hooks():
    net = mnn.Linear(2, 2)
    calls = []
    h1 = net.register_forward_pre_hook(lambda m, args: (args[0] * 0,))
    h2 = net.register_forward_hook(lambda m, args, out: calls.append(out.shape) or out + 1)
    y = net(mg.ones(3, 2))
    np.testing.assert_allclose(to_np(y), np.broadcast_to(to_np(net.bias) + 1, (3, 2)), rtol=1e-6)
    assert calls == [mg.Size([3, 2])]
    h1.remove()
    h2.remove()
    x = np.ones((1, 2), np.float32)
    np.testing.assert_allclose(to_np(net(mg.tensor(x))), x @ to_np(net.weight).T + to_np(net.bias), rtol=1e-6)
    assert len(calls) == 1


def test_deepcopy_module():
    net = _small(mnn)
    clone = copy.deepcopy(net)
    assert clone.fc.weight is not net.fc.weight and isinstance(clone.fc.weight, mnn.Parameter)
    assert clone.shared is clone.fc                                       # sharing survives the copy
    np.testing.assert_array_equal(to_np(clone.fc.weight), to_np(net.fc.weight))
    assert [n for n, _ in clone.named_parameters()] == [n for n, _ in net.named_parameters()]


# ============================================================= containers ==

def test_sequential_indexing_slicing_and_mutation():
    def build(nn):
        return nn.Sequential(nn.Linear(2, 3), nn.ReLU(), nn.Linear(3, 1), nn.Sigmoid())
    ts, ms = both(build)
    assert len(ms) == 4 and type(ms[0]).__name__ == "Linear" and type(ms[-1]).__name__ == "Sigmoid"
    assert type(ms[1:3]) is mnn.Sequential and len(ms[1:3]) == 2
    same_text(repr(ms[1:3]), repr(ts[1:3]))
    same_text(repr(ms[::-1]), repr(ts[::-1]))
    assert [type(m).__name__ for m in ms] == [type(m).__name__ for m in ts]
    raises_alike(lambda: ts[4], lambda: ms[4])
    raises_alike(lambda: ts[-5], lambda: ms[-5])
    ts[1], ms[1] = tnn.Tanh(), mnn.Tanh()
    ts.append(tnn.ReLU())
    assert ms.append(mnn.ReLU()) is ms
    del ts[0]
    del ms[0]
    same_text(repr(ms), repr(ts))
    assert list(ms._modules) == ["0", "1", "2", "3"]
    same_text(repr(ms + mnn.Sequential(mnn.ReLU())), repr(ts + tnn.Sequential(tnn.ReLU())))
    ms.insert(0, mnn.Identity())
    ts.insert(0, tnn.Identity())
    same_text(repr(ms), repr(ts))
    ms.extend([mnn.ReLU()])
    ts.extend([tnn.ReLU()])
    same_text(repr(ms), repr(ts))


def test_sequential_ordered_dict_and_forward():
    seq = mnn.Sequential(OrderedDict([("fc", mnn.Linear(3, 2)), ("act", mnn.ReLU())]))
    assert list(seq._modules) == ["fc", "act"] and seq.fc is seq[0]
    x = mg.randn(4, 3)
    np.testing.assert_allclose(to_np(seq(x)), to_np(seq.act(seq.fc(x))))
    assert [n for n, _ in seq.named_parameters()] == ["fc.weight", "fc.bias"]


def test_module_list_and_dict():
    def build(nn):
        return nn.ModuleList([nn.Linear(2, 2), nn.Linear(2, 2), nn.ReLU()])
    tl, ml = both(build)
    same_text(repr(ml), repr(tl))
    assert len(ml) == 3 and type(ml[-1]).__name__ == "ReLU" and type(ml[:2]) is mnn.ModuleList
    raises_alike(lambda: tl[3], lambda: ml[3])
    ml.append(mnn.Tanh())
    tl.append(tnn.Tanh())
    ml.extend([mnn.ReLU(), mnn.ReLU()])
    tl.extend([tnn.ReLU(), tnn.ReLU()])
    ml.insert(1, mnn.Identity())
    tl.insert(1, tnn.Identity())
    del ml[0]
    del tl[0]
    ml[0] = mnn.Sigmoid()
    tl[0] = tnn.Sigmoid()
    same_text(repr(ml), repr(tl))
    assert [n for n, _ in ml.named_parameters()] == [n for n, _ in tl.named_parameters()]
    raises_alike(lambda: tl.extend(3), lambda: ml.extend(3))

    td = tnn.ModuleDict({"a": tnn.Linear(2, 2), "b": tnn.ReLU()})
    md = mnn.ModuleDict({"a": mnn.Linear(2, 2), "b": mnn.ReLU()})
    md["c"] = mnn.Tanh()
    td["c"] = tnn.Tanh()
    md.update([("d", mnn.Identity())])
    td.update([("d", tnn.Identity())])
    same_text(repr(md), repr(td))
    assert list(md.keys()) == list(td.keys()) and "a" in md and len(md) == 4
    assert type(md.pop("b")).__name__ == "ReLU" and list(md) == ["a", "c", "d"]
    assert [n for n, _ in md.named_parameters()] == ["a.weight", "a.bias"]


def test_nn_namespace_matches_scope():
    names = ["Module", "Parameter", "Linear", "Conv2d", "MaxPool2d", "AvgPool2d", "AdaptiveAvgPool2d", "Flatten",
             "Unflatten", "Sequential", "ModuleList", "ModuleDict", "Identity", "ReLU", "Sigmoid", "Tanh", "LeakyReLU",
             "Softmax", "LogSoftmax", "LayerNorm", "Dropout", "MSELoss", "NLLLoss", "CrossEntropyLoss", "BCELoss",
             "BCEWithLogitsLoss"]
    for name in names:
        assert hasattr(mnn, name), name
    for name in ["linear", "conv2d", "max_pool2d", "avg_pool2d", "adaptive_avg_pool2d", "relu", "sigmoid", "tanh",
                 "leaky_relu", "softmax", "log_softmax", "layer_norm", "dropout", "mse_loss", "nll_loss",
                 "cross_entropy", "binary_cross_entropy", "binary_cross_entropy_with_logits", "one_hot"]:
        assert callable(getattr(mnn.functional, name)), name
    for name in ["uniform_", "normal_", "zeros_", "ones_", "constant_", "kaiming_uniform_", "kaiming_normal_",
                 "xavier_uniform_", "xavier_normal_", "calculate_gain", "_calculate_fan_in_and_fan_out"]:
        assert callable(getattr(mnn.init, name)), name
