"""``python -m minigrad`` / ``minigrad``: train on real MNIST digits in minigrad and in PyTorch, side by side.

The model is the seed tutorials' from-scratch network ("What is torch.nn
really?", part 1): ``log_softmax(x @ W + b)``, a hand-written negative
log-likelihood, and SGD written out under ``no_grad``.  The same function
runs with ``m = minigrad`` and ``m = torch``, from one set of initial weights
and one batch order, so the two loss curves should coincide.
"""
from __future__ import annotations

import argparse
import math
import os
import sys
import time

import numpy as np


def train_logistic_regression(m, data, w0, b0, epochs=2, bs=64, lr=0.5, progress=None):
    """The tutorial's training loop, verbatim except that ``torch`` is the parameter ``m``."""
    (x_train, y_train), (x_valid, y_valid) = [(m.tensor(x), m.tensor(y)) for x, y in data]
    weights = m.tensor(w0, requires_grad=True)
    bias = m.tensor(b0, requires_grad=True)

    def model(xb):
        z = xb @ weights + bias
        return z - z.exp().sum(-1).log().unsqueeze(-1)

    def nll(input, target):
        return -input[range(target.shape[0]), target].mean()

    def accuracy(out, yb):
        return (m.argmax(out, dim=1) == yb).float().mean()

    n = x_train.shape[0]
    losses = []
    start = time.perf_counter()
    for _ in range(epochs):
        for i in range((n - 1) // bs + 1):
            xb, yb = x_train[i * bs:(i + 1) * bs], y_train[i * bs:(i + 1) * bs]
            loss = nll(model(xb), yb)
            loss.backward()
            with m.no_grad():
                weights -= weights.grad * lr
                bias -= bias.grad * lr
                weights.grad.zero_()
                bias.grad.zero_()
            losses.append(loss.item())
            if progress is not None:
                progress.update(1)
                progress.set_postfix(loss=f"{losses[-1]:.4f}")
    seconds = time.perf_counter() - start
    with m.no_grad():
        valid = accuracy(model(x_valid), y_valid).item()
    return dict(losses=losses, seconds=seconds, valid_acc=valid,
                weights=weights.detach().numpy(), bias=bias.detach().numpy())


def _progress(total, desc):
    try:
        from tqdm import tqdm
        return tqdm(total=total, desc=desc, unit="step", leave=True)
    except ImportError:
        return None


def compare(args) -> int:
    import minigrad
    from minigrad.datasets import load_mnist

    (x, y), (xv, yv), _ = load_mnist(args.data)
    rng = np.random.default_rng(args.seed)
    w0 = (rng.standard_normal((784, 10)) / math.sqrt(784)).astype(np.float32)
    b0 = np.zeros(10, np.float32)
    data = [(x, y), (xv, yv)]
    steps = args.epochs * ((len(x) - 1) // 64 + 1)
    print(f"data: {args.data}: {len(x)} training and {len(xv)} validation digits; "
          f"{args.epochs} epochs of batch 64, SGD lr 0.5, same initial weights in both frameworks")

    runs = {}
    bar = _progress(steps, "minigrad")
    runs["minigrad"] = train_logistic_regression(minigrad, data, w0, b0, args.epochs, progress=bar)
    if bar is not None:
        bar.close()
    try:
        import torch
    except ImportError:
        print("PyTorch is not installed: `pip install torch==2.13.0` (the CPU build) for the comparison.")
    else:
        torch.set_num_threads(1)   # a fair one-thread comparison; NumPy's BLAS is pinned the same way
        bar = _progress(steps, "torch   ")
        runs["torch"] = train_logistic_regression(torch, data, w0, b0, args.epochs, progress=bar)
        if bar is not None:
            bar.close()

    print(f"\n{'':24}" + "".join(f"{k:>14}" for k in runs))
    rows = [("final batch loss", lambda r: f"{r['losses'][-1]:.6f}"),
            ("mean loss, last 50", lambda r: f"{np.mean(r['losses'][-50:]):.6f}"),
            ("validation accuracy", lambda r: f"{100 * r['valid_acc']:.2f}%"),
            ("training time", lambda r: f"{r['seconds']:.2f} s"),
            ("time per step", lambda r: f"{1e6 * r['seconds'] / len(r['losses']):.0f} us")]
    for label, fmt in rows:
        print(f"{label:24}" + "".join(f"{fmt(r):>14}" for r in runs.values()))
    if "torch" in runs:
        a, b = runs["minigrad"], runs["torch"]
        dp = max(np.abs(a["weights"] - b["weights"]).max(), np.abs(a["bias"] - b["bias"]).max())
        dl = np.abs(np.array(a["losses"]) - np.array(b["losses"])).max()
        print(f"\nlargest parameter difference: {dp:.2e}; largest per-step loss difference: {dl:.2e}")
        print(f"minigrad/torch time ratio: {a['seconds'] / b['seconds']:.2f} "
              f"(threads: OMP_NUM_THREADS={os.environ.get('OMP_NUM_THREADS', 'unset')}, torch 1)")
        if args.plot:
            _plot(runs, args.plot)
    return 0


def _plot(runs, path):
    try:
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        print("matplotlib is not installed: no plot")
        return
    fig, ax = plt.subplots(figsize=(9, 4.5))
    for (name, r), style in zip(runs.items(), ("-", "--")):
        ax.plot(r["losses"], style, label=name, alpha=0.8)
    ax.set_xlabel("step")
    ax.set_ylabel("training loss (batch)")
    ax.set_title("Same weights, same batches: minigrad vs PyTorch")
    ax.grid(True, alpha=0.3)
    ax.legend()
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    print(f"loss curves: {path}")


def main(argv=None) -> int:
    os.environ.setdefault("OMP_NUM_THREADS", "1")
    parser = argparse.ArgumentParser(prog="minigrad", description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command")
    p = sub.add_parser("compare", help="train in minigrad and PyTorch from the same weights (the default)")
    for q in (parser, p):
        q.add_argument("--data", default="mnist5k", help="mnist5k (default), a mnist.pkl.gz, an IDX folder or a CSV")
        q.add_argument("--epochs", type=int, default=2)
        q.add_argument("--seed", type=int, default=0)
        q.add_argument("--plot", default="minigrad_vs_torch.png", help="PNG of both loss curves ('' for none)")
    args = parser.parse_args(argv)
    return compare(args)


if __name__ == "__main__":
    sys.exit(main())
