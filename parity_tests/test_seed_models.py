"""Seed tutorials 001 (blitz LeNet) and 004 (GAN book classifier), run unchanged with ``torch`` resolved to minigrad.

The tutorial code is executed twice, chunk by chunk: once with the real torch
and once with ``import torch`` (and every ``torch.*`` submodule) resolved to
minigrad through ``sys.modules`` plus a ``sys.meta_path`` finder.  Between
chunks the minigrad model receives the torch model's initial weights (through
``load_state_dict``), and ``torch.randn`` draws, in both runs, from one shared
NumPy stream, so the two runs see the same numbers.  Printed output is compared
with numbers masked out (float32 printing may round a last digit differently);
values are compared numerically at the suite's float32 training tolerance.
"""
from __future__ import annotations

import contextlib
import importlib
import io
import re
import sys

import numpy as np
import pytest
import torch

import minigrad
from torch_alias import aliased_torch

RTOL, ATOL = 1e-4, 1e-5
needs_sgd = pytest.mark.skipif(not hasattr(minigrad.optim, "SGD"), reason="minigrad.optim.SGD not written yet")
needs_adam = pytest.mark.skipif(not hasattr(minigrad.optim, "Adam"), reason="minigrad.optim.Adam not written yet")
needs_dataset = pytest.mark.skipif(not hasattr(minigrad.utils.data, "Dataset"),
                                   reason="minigrad.utils.data.Dataset not written yet")


# ========================================================== torch -> minigrad ==

def test_alias_registers_every_submodule_once():
    with aliased_torch():
        import torch as t
        import torch.nn as nn
        import torch.nn.functional as F
        import torch.optim as optim
        import torch.utils.data as data
        from torch.nn.modules.module import Module
        assert t is minigrad and nn is minigrad.nn and F is minigrad.nn.functional
        assert Module is minigrad.nn.Module and t.nn.Linear is minigrad.nn.Linear
        assert optim is minigrad.optim and data is minigrad.utils.data
        assert sys.modules["torch.autograd"] is minigrad.autograd
        copies = [k for k, m in sys.modules.items()
                  if (k == "torch" or k.startswith("torch.")) and not m.__name__.startswith("minigrad")]
        assert not copies
    assert sys.modules["torch"] is torch and sys.modules["torch.nn"] is torch.nn


# =================================================================== runner ==

class SharedRandn:
    """``randn`` for both frameworks from one NumPy stream (float32, as torch's default)."""

    def __init__(self, monkeypatch, seed=0):
        self.monkeypatch, self.seed = monkeypatch, seed

    def install(self, fw):
        rng = np.random.default_rng(self.seed)

        def randn(*size, dtype=None, requires_grad=False, **kwargs):
            shape = tuple(size[0]) if len(size) == 1 and isinstance(size[0], (tuple, list)) else size
            t = fw.tensor(rng.standard_normal(shape).astype(np.float32))
            if dtype is not None:
                t = t.to(dtype)
            return t.requires_grad_() if requires_grad else t
        self.monkeypatch.setattr(fw, "randn", randn)


class TwinRun:
    """Runs tutorial chunks with torch and with minigrad-as-torch, keeping their stdout."""

    def __init__(self, monkeypatch):
        # torch's layers initialise from its global generator, and sync_weights copies them to minigrad.
        # Seeded, so a test does not depend on which tests ran before it in the worker.  Unseeded, 4 of 25
        # seeds failed the leaky-layernorm-mse-adam case (before and after the 2026-11-23 session's changes):
        # one weight of 156,800 off by 3e-5 (relative 2e-3) after 40 Adam steps, on pixel 582, which is
        # non-zero in 3 of the 40 rows.  Likely Adam's normalised step: between those rows the gradient is 0
        # and the moments alone move the weight, so a last-bit difference at one of the 3 steps is amplified.
        torch.manual_seed(0)
        self.randn = SharedRandn(monkeypatch)
        self.randn.install(torch)
        self.randn.install(minigrad)
        self.ns_t, self.ns_m = {"__name__": "seed_torch"}, {"__name__": "seed_minigrad"}

    def run(self, code):
        out_t, out_m = io.StringIO(), io.StringIO()
        with contextlib.redirect_stdout(out_t):
            exec(compile(code, "<tutorial>", "exec"), self.ns_t)
        with aliased_torch(), contextlib.redirect_stdout(out_m):
            exec(compile(code, "<tutorial>", "exec"), self.ns_m)
        assert normalize(out_m.getvalue()) == normalize(out_t.getvalue())
        return out_t.getvalue(), out_m.getvalue()

    def sync_weights(self, name):
        """The minigrad model takes the torch model's initial weights, in place."""
        tm, mm = self.ns_t[name], self.ns_m[name]
        mm.load_state_dict({k: minigrad.tensor(v.detach().numpy()) for k, v in tm.state_dict().items()})

    def close(self, expr):
        a, e = eval(expr, self.ns_m), eval(expr, self.ns_t)
        np.testing.assert_allclose(np.asarray(a.detach().numpy()), e.detach().numpy(), rtol=RTOL, atol=ATOL,
                                   err_msg=expr)

    def close_params(self, name):
        mparams = dict(self.ns_m[name].named_parameters())
        for k, p in self.ns_t[name].named_parameters():
            np.testing.assert_allclose(mparams[k].detach().numpy(), p.detach().numpy(), rtol=RTOL, atol=ATOL,
                                       err_msg=k)
            if p.grad is None:
                assert mparams[k].grad is None, k
            else:
                np.testing.assert_allclose(mparams[k].grad.numpy(), p.grad.numpy(), rtol=RTOL, atol=ATOL,
                                           err_msg=f"grad of {k}")


_NUMBER = re.compile(r"-?\d+\.\d*(?:e[+-]?\d+)?")


def normalize(text):
    """Printed output with module names, addresses and decimals masked; layout and names kept."""
    text = text.replace("torch.", "minigrad.")
    text = re.sub(r" object at 0x[0-9a-fA-F]+", " object at 0x", text)
    text = re.sub(r"<(?:[A-Za-z_][\w]*\.)+(\w+ object at)", r"<\1", text)    # node classes print without module
    return _NUMBER.sub("#", text)


# ============================================================ seed 001 ==

SEED_001_NET = '''
import torch
import torch.nn as nn
import torch.nn.functional as F


class Net(nn.Module):

    def __init__(self):
        super(Net, self).__init__()
        # 1 input image channel, 6 output channels, 3x3 square convolution
        # kernel
        self.conv1 = nn.Conv2d(1, 6, 3)
        self.conv2 = nn.Conv2d(6, 16, 3)
        # an affine operation: y = Wx + b
        self.fc1 = nn.Linear(16 * 6 * 6, 120)  # 6*6 from image dimension
        self.fc2 = nn.Linear(120, 84)
        self.fc3 = nn.Linear(84, 10)

    def forward(self, x):
        # Max pooling over a (2, 2) window
        x = F.max_pool2d(F.relu(self.conv1(x)), (2, 2))
        # If the size is a square you can only specify a single number
        x = F.max_pool2d(F.relu(self.conv2(x)), 2)
        x = x.view(-1, self.num_flat_features(x))
        x = F.relu(self.fc1(x))
        x = F.relu(self.fc2(x))
        x = self.fc3(x)
        return x

    def num_flat_features(self, x):
        size = x.size()[1:]  # all dimensions except the batch dimension
        num_features = 1
        for s in size:
            num_features *= s
        return num_features


net = Net()
print(net)
'''

SEED_001_PARAMS = '''
params = list(net.parameters())
print(len(params))
print(params[0].size())  # conv1's .weight
'''

SEED_001_FORWARD = '''
input = torch.randn(1, 1, 32, 32)
out = net(input)
print(out)
'''

SEED_001_BACKWARD = '''
net.zero_grad()
out.backward(torch.randn(1, 10))
'''

SEED_001_LOSS = '''
output = net(input)
target = torch.randn(10)  # a dummy target, for example
target = target.view(1, -1)  # make it the same shape as output
criterion = nn.MSELoss()

loss = criterion(output, target)
print(loss)
'''

SEED_001_GRAPH = '''
print(loss.grad_fn)  # MSELoss
print(loss.grad_fn.next_functions[0][0])  # Linear
print(loss.grad_fn.next_functions[0][0].next_functions[0][0])  # ReLU
'''

SEED_001_BACKPROP = '''
net.zero_grad()     # zeroes the gradient buffers of all parameters

print('conv1.bias.grad before backward')
print(net.conv1.bias.grad)

loss.backward()

print('conv1.bias.grad after backward')
print(net.conv1.bias.grad)
'''

SEED_001_MANUAL_SGD = '''
learning_rate = 0.01
for f in net.parameters():
    f.data.sub_(f.grad.data * learning_rate)
'''

SEED_001_OPTIM = '''
import torch.optim as optim

# create your optimizer
optimizer = optim.SGD(net.parameters(), lr=0.01)

# in your training loop:
optimizer.zero_grad()   # zero the gradient buffers
output = net(input)
loss = criterion(output, target)
loss.backward()
optimizer.step()    # Does the update
'''


@pytest.fixture
def blitz(monkeypatch):
    twin = TwinRun(monkeypatch)
    out_t, out_m = twin.run(SEED_001_NET)
    assert out_m == out_t                      # print(net): identical text
    twin.sync_weights("net")
    return twin


def test_seed_001_net_params_forward_backward(blitz):
    out_t, out_m = blitz.run(SEED_001_PARAMS)
    assert out_m == out_t.replace("torch.", "minigrad.") == "10\nminigrad.Size([6, 1, 3, 3])\n"
    out_t, out_m = blitz.run(SEED_001_FORWARD)
    assert "grad_fn=<AddmmBackward0>)" in out_m
    blitz.close("out")
    blitz.run(SEED_001_BACKWARD)
    blitz.close_params("net")


def test_seed_001_loss_graph_backprop_and_manual_sgd(blitz):
    blitz.run(SEED_001_FORWARD)
    out_t, out_m = blitz.run(SEED_001_LOSS)
    assert "grad_fn=<MseLossBackward0>" in out_m
    blitz.close("loss")
    out_t, out_m = blitz.run(SEED_001_GRAPH)
    names = [re.search(r"<(?:\w+\.)*(\w+) object", line).group(1) for line in out_m.splitlines()]
    assert names == ["MseLossBackward0", "AddmmBackward0", "AccumulateGrad"]
    out_t, out_m = blitz.run(SEED_001_BACKPROP)
    assert out_m.splitlines()[1] == "None"
    blitz.close_params("net")
    blitz.run(SEED_001_MANUAL_SGD)
    blitz.close_params("net")


@needs_sgd
def test_seed_001_optimizer_step(blitz):
    blitz.run(SEED_001_FORWARD + SEED_001_LOSS)
    blitz.run(SEED_001_OPTIM)
    blitz.close("loss")
    blitz.close_params("net")


# ============================================================ seed 004 ==

SEED_004_CLASSIFIER = '''
import torch
import torch.nn as nn #torch.nn모듈은 nn이라는 이름으로 임포트하는 것이 관습

class Classifier(nn.Module):
  def __init__(self):
    super().__init__()

    self.model = nn.Sequential(
{layers}
    )

    self.loss_function = {loss}

    self.optimiser = {optimiser}

    self.counter = 0
    self.progress = []

    pass

  def forward(self, inputs):
    return self.model(inputs)

  def train(self, inputs, targets):
    outputs = self.forward(inputs)

    loss = self.loss_function(outputs, targets)

    #각 노드마다 오차기울기를 계산하고, 노드에 연결된 가중치 수정
    self.optimiser.zero_grad()#기울기 초기화
    loss.backward()#역전파 실행
    self.optimiser.step()#가중치 갱신

    self.counter += 1
    if(self.counter%10 == 0):
      self.progress.append(loss.item())
      pass

    if(self.counter %10000 == 0):
      print("counter = ", self.counter)
      pass

C = Classifier()
print(C)
'''

SEED_004_LAYERS = {
    "sigmoid": '''        nn.Linear(784, 200), #784개의 노드로부터 200개의 노드까지 완전 연결 매핑
        nn.Sigmoid(), #S모양의 로지스틱 활성화 함수로 이전레이어부터의 출력에 적용
        nn.Linear(200,10), #200개의 노드로부터 10개의 노드로 완전 연결 매칭
        nn.Sigmoid() #신경망의 최종 출력''',
    "layernorm": '''	nn.Linear(784, 200),
        nn.LeakyReLU(0.02),

        nn.LayerNorm(200),

        nn.Linear(200, 10),
        nn.LeakyReLU(0.02)''',
    "layernorm_sigmoid": '''        nn.Linear(784, 200),
        nn.LeakyReLU(0.02),
        nn.LayerNorm(200),
        nn.Linear(200, 10),
        nn.Sigmoid()''',
}
SGD = "torch.optim.SGD(self.parameters(), lr = 0.01)#확률적 경사하강법 , 학습 파라미터 업데이트"
ADAM = "torch.optim.Adam(self.parameters())"

SEED_004_DATASET = '''
from torch.utils.data import Dataset

class MnistDataset(Dataset):
  def __init__(self, rows):
    self.data_df = rows          # the tutorial reads a CSV with pandas; here the same rows as an array

  def __len__(self): #데이터 셋의 길이를 반환
    return len(self.data_df)

  def __getitem__(self, index): #데이터셋의 n번째 아이템을 반환
    label = int(self.data_df[index, 0])
    target = torch.zeros((10))
    target[label] = 1.0

    image_values = torch.FloatTensor(self.data_df[index, 1:]) / 255 #각 픽셀을 255로 나눔 -> 정규화, 0~1사이의 값을 갖는다

    return label, image_values, target

mnist_dataset = MnistDataset(rows)
'''

SEED_004_TRAIN = '''
epochs = 1

for i in range(epochs):
  print("training epoch =", i+1, "of", epochs)
  for label, image_data_tensor, target_tensor in mnist_dataset:
    C.train(image_data_tensor, target_tensor)
    pass
  pass
'''

SEED_004_QUERY = '''
record = 7
image_data = mnist_dataset[record][1]
output = C.forward(image_data)

score = 0
items = 0

for label, image_data_tensor, target_tensor in mnist_dataset:
  answer = C.forward(image_data_tensor).detach().numpy()
  if(answer.argmax() == label):
    score += 1
    pass
  items += 1

  pass

print(score, items, score/items) #분류기 성능 출력
'''


def _mnist_like_rows(n=40, seed=0):
    """CSV-MNIST-shaped rows: a label, then 784 pixel values in 0..255 (many zeros, as MNIST)."""
    rng = np.random.default_rng(seed)
    pixels = rng.integers(0, 256, size=(n, 784)) * (rng.random((n, 784)) < 0.3)
    return np.concatenate([rng.integers(0, 10, size=(n, 1)), pixels], axis=1).astype(np.int64)


@needs_dataset
@pytest.mark.parametrize("layers,loss,optimiser", [
    pytest.param("sigmoid", "nn.MSELoss()", SGD, marks=needs_sgd, id="mse-sgd"),
    pytest.param("sigmoid", "nn.BCELoss()", SGD, marks=needs_sgd, id="bce-sgd"),
    pytest.param("sigmoid", "nn.BCELoss()", ADAM, marks=needs_adam, id="bce-adam"),
    pytest.param("layernorm", "nn.MSELoss()", ADAM, marks=needs_adam, id="leaky-layernorm-mse-adam"),
    pytest.param("layernorm_sigmoid", "nn.BCELoss()", ADAM, marks=needs_adam, id="leaky-layernorm-bce-adam"),
])
def test_seed_004_classifier_trains_like_torch(monkeypatch, layers, loss, optimiser):
    twin = TwinRun(monkeypatch)
    twin.ns_t["rows"] = twin.ns_m["rows"] = _mnist_like_rows()
    out_t, out_m = twin.run(SEED_004_CLASSIFIER.format(layers=SEED_004_LAYERS[layers], loss=loss,
                                                       optimiser=optimiser))
    assert out_m == out_t                                   # print(C): identical text
    twin.sync_weights("C")
    twin.run(SEED_004_DATASET)
    twin.close("mnist_dataset[3][1]")
    twin.run(SEED_004_TRAIN)
    assert twin.ns_m["C"].counter == 40
    np.testing.assert_allclose(twin.ns_m["C"].progress, twin.ns_t["C"].progress, rtol=RTOL, atol=ATOL)
    twin.close_params("C")
    out_t, out_m = twin.run(SEED_004_QUERY)
    assert out_m == out_t
    twin.close("output")


def test_seed_004_eval_raises_like_torch(monkeypatch):
    """Calling .eval() on the Classifier fails in torch too: train() was overridden."""
    twin = TwinRun(monkeypatch)
    twin.run(SEED_004_CLASSIFIER.format(layers=SEED_004_LAYERS["sigmoid"], loss="nn.MSELoss()", optimiser="None"))
    with pytest.raises(TypeError):
        twin.ns_t["C"].eval()
    with pytest.raises(TypeError):
        twin.ns_m["C"].eval()
