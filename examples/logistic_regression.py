"""Logistic regression on MNIST from scratch: "What is torch.nn really?", part 1 (seeds 000, 002, 003).

No ``torch.nn``: the weights are plain tensors, ``log_softmax`` and the
negative log-likelihood are written out, and SGD is two in-place updates
under ``no_grad``.  ``torch`` is whichever framework ``--framework`` names::

    python examples/logistic_regression.py                      # minigrad, mnist5k, 2 epochs
    python examples/logistic_regression.py --framework torch --out runs/lr-torch
"""
from __future__ import annotations

import math
import sys

if __package__:                 # loaded by `python -m minigrad` or the tests
    from . import common
else:                           # run as a script
    import common

USES_OPTIM = False      # SGD is written out: no torch.optim, so no need to warm it up before timing


def describe(args):
    return (f"logistic regression from scratch, {common.plural(args.epochs, 'epoch')} of batch {args.bs}, "
            f"SGD lr {args.lr}")


def parser():
    return common.parser(__doc__.splitlines()[0], epochs=2, lr=0.5, bs=64)


def train(torch, data, args, rec):
    # x_train, y_train, x_valid, y_valid를 모두 torch.tensor 타입으로 바꿈
    x_train, y_train, x_valid, y_valid = map(
        torch.tensor, (data.x_train, data.y_train, data.x_valid, data.y_valid)
    )
    n, c = x_train.shape

    weights = torch.randn(784, 10) / math.sqrt(784)
    weights.requires_grad_()
    bias = torch.zeros(10, requires_grad=True)
    rec.watch({"weights": weights, "bias": bias})

    def log_softmax(x):
        return x - x.exp().sum(-1).log().unsqueeze(-1)

    def model(xb):
        return log_softmax(xb @ weights + bias)

    def nll(input, target):
        return -input[range(target.shape[0]), target].mean()

    def accuracy(out, yb):
        preds = torch.argmax(out, dim=1)
        return (preds == yb).float().mean()

    lr = args.lr            # 0.5
    epochs = args.epochs    # 2
    bs = args.bs            # 64

    loss_func = nll

    for epoch in range(epochs):
        for i in range((n - 1) // bs + 1):
            start_i = i * bs
            end_i = start_i + bs
            xb = x_train[start_i:end_i]
            yb = y_train[start_i:end_i]
            pred = model(xb)
            loss = loss_func(pred, yb)

            loss.backward()
            with torch.no_grad():
                weights -= weights.grad * lr
                bias -= bias.grad * lr
                weights.grad.zero_()
                bias.grad.zero_()
            rec.step(loss, pred, yb)

    rec.log(loss_func(model(xb), yb), accuracy(model(xb), yb))
    return dict(predict=model, x_train=x_train, x_valid=x_valid,
                params={"weights": weights, "bias": bias})


def main(argv=None):
    return common.main(sys.modules[__name__], argv)


if __name__ == "__main__":
    main()
