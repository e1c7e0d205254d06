"""The "What is torch.nn really?" refactor: nn.Module, nn.Linear, optim.SGD, TensorDataset, DataLoader, then a CNN.

``--model logistic`` (default) is the tutorial's ``Mnist_Logistic`` trained
by its ``fit()``/``loss_batch()``; ``--model cnn`` is its ``Mnist_CNN``
(three stride-2 convolutions, then ``avg_pool2d``), SGD with momentum 0.9;
``--model sequential`` is the same CNN as ``nn.Sequential`` with the
tutorial's ``Lambda`` layers and ``nn.AdaptiveAvgPool2d(1)``::

    python examples/nn_refactor.py --model cnn --framework torch
"""
from __future__ import annotations

import sys

import numpy as np

if __package__:                 # loaded by `python -m minigrad` or the tests
    from . import common
else:                           # run as a script
    import common

MODELS = ("logistic", "cnn", "sequential")
TUTORIAL_LR = {"logistic": 0.5, "cnn": 0.1, "sequential": 0.1}


def describe(args):
    name = {"logistic": "Mnist_Logistic (nn.Linear)", "cnn": "Mnist_CNN (3 conv + avg_pool2d)",
            "sequential": "the CNN as nn.Sequential (Lambda, AdaptiveAvgPool2d)"}[args.model]
    lr = TUTORIAL_LR[args.model] if args.lr is None else args.lr
    momentum = "" if args.model == "logistic" else ", momentum 0.9"
    return f"{name}, {common.plural(args.epochs, 'epoch')} of batch {args.bs}, SGD lr {lr}{momentum}, cross_entropy"


def parser():
    p = common.parser(__doc__.splitlines()[0], epochs=2, lr=None, bs=64)
    p.add_argument("--model", choices=MODELS, default="logistic",
                   help="Mnist_Logistic (lr 0.5), Mnist_CNN or its nn.Sequential form (lr 0.1, momentum 0.9)")
    return p


def train(torch, data, args, rec):
    nn = torch.nn
    F = torch.nn.functional
    optim = torch.optim
    TensorDataset = torch.utils.data.TensorDataset
    DataLoader = torch.utils.data.DataLoader

    x_train, y_train, x_valid, y_valid = map(
        torch.tensor, (data.x_train, data.y_train, data.x_valid, data.y_valid)
    )

    class Mnist_Logistic(nn.Module):
        def __init__(self):
            super().__init__()
            self.lin = nn.Linear(784, 10)

        def forward(self, xb):
            return self.lin(xb)

    class Mnist_CNN(nn.Module):
        def __init__(self):
            super().__init__()
            self.conv1 = nn.Conv2d(1, 16, kernel_size=3, stride=2, padding=1)
            self.conv2 = nn.Conv2d(16, 16, kernel_size=3, stride=2, padding=1)
            self.conv3 = nn.Conv2d(16, 10, kernel_size=3, stride=2, padding=1)

        def forward(self, xb):
            xb = xb.view(-1, 1, 28, 28)
            xb = F.relu(self.conv1(xb))
            xb = F.relu(self.conv2(xb))
            xb = F.relu(self.conv3(xb))
            xb = F.avg_pool2d(xb, 4)
            return xb.view(-1, xb.size(1))

    class Lambda(nn.Module):
        def __init__(self, func):
            super().__init__()
            self.func = func

        def forward(self, x):
            return self.func(x)

    def preprocess(x):
        return x.view(-1, 1, 28, 28)

    def Sequential_CNN():
        return nn.Sequential(
            Lambda(preprocess),
            nn.Conv2d(1, 16, kernel_size=3, stride=2, padding=1),
            nn.ReLU(),
            nn.Conv2d(16, 16, kernel_size=3, stride=2, padding=1),
            nn.ReLU(),
            nn.Conv2d(16, 10, kernel_size=3, stride=2, padding=1),
            nn.ReLU(),
            nn.AdaptiveAvgPool2d(1),
            Lambda(lambda x: x.view(x.size(0), -1)),
        )

    if args.lr is None:
        args.lr = TUTORIAL_LR[args.model]
    lr = args.lr
    bs = args.bs
    epochs = args.epochs
    loss_func = F.cross_entropy

    def get_model():
        if args.model in ("cnn", "sequential"):
            model = Mnist_CNN() if args.model == "cnn" else Sequential_CNN()
            rec.watch(dict(model.named_parameters()))
            return model, optim.SGD(model.parameters(), lr=lr, momentum=0.9)
        model = Mnist_Logistic()
        rec.watch(dict(model.named_parameters()))
        return model, optim.SGD(model.parameters(), lr=lr)

    def get_data(train_ds, valid_ds, bs):
        return (
            DataLoader(train_ds, batch_size=bs, shuffle=True),
            DataLoader(valid_ds, batch_size=bs * 2),
        )

    def loss_batch(model, loss_func, xb, yb, opt=None):
        out = model(xb)
        loss = loss_func(out, yb)

        if opt is not None:
            loss.backward()
            opt.step()
            opt.zero_grad()
            rec.step(loss, out, yb)

        return loss.item(), len(xb)

    def fit(epochs, model, loss_func, opt, train_dl, valid_dl):
        for epoch in range(epochs):
            model.train()
            for xb, yb in train_dl:
                loss_batch(model, loss_func, xb, yb, opt)

            model.eval()
            with torch.no_grad():
                losses, nums = zip(
                    *[loss_batch(model, loss_func, xb, yb) for xb, yb in valid_dl]
                )
            val_loss = np.sum(np.multiply(losses, nums)) / np.sum(nums)

            rec.log(epoch, val_loss)
            valid_losses.append(float(val_loss))

    valid_losses = []
    train_ds = TensorDataset(x_train, y_train)
    valid_ds = TensorDataset(x_valid, y_valid)
    train_dl, valid_dl = get_data(train_ds, valid_ds, bs)
    model, opt = get_model()
    fit(epochs, model, loss_func, opt, train_dl, valid_dl)

    return dict(predict=model, x_train=x_train, x_valid=x_valid, params=dict(model.named_parameters()),
                model=model, valid_losses=valid_losses)


def main(argv=None):
    return common.main(sys.modules[__name__], argv)


if __name__ == "__main__":
    main()
