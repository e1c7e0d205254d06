"""``python -m minigrad`` / ``minigrad``: train the seed tutorials on real MNIST digits, in minigrad and in PyTorch.

Subcommands (``python -m minigrad <command> --help``)::

    compare  the same example in minigrad and in PyTorch, each from manual_seed(--seed) alone (each
             framework draws its own initial weights and batch order; nothing is copied between them):
             a side-by-side table, overlaid loss curves (PNG), the largest initial-parameter, final-parameter
             and per-step loss differences.  The default command: `python -m minigrad` = `python -m minigrad
             compare`.
    train    one example in one framework: a progress bar (loss, accuracy, images/s), a loss-and-accuracy
             PNG, metrics.json, params.npz and a checkpoint written with minigrad.save.
    graph    the computation graph of one training step, as Graphviz DOT (rendered to SVG and PNG when
             Graphviz's `dot` is installed).

``--example`` picks the tutorial: ``logistic`` (from scratch, the default), ``nn``
(nn.Module/DataLoader refactor), ``cnn`` (its Mnist_CNN), ``lenet`` (the blitz's Net)
or ``gan`` (the GAN book's classifier, ``--variant mse|bce|leaky_layernorm|adam``).
Every other option goes to the example: ``--data``, ``--epochs``, ``--seed``, ``--limit``,
``--dtype``, ``--lr``, ``--bs``, ``--variant``; see ``python examples/<script>.py --help``.

The examples are the scripts in the repository's ``examples/`` folder (one
source per tutorial, run with ``torch`` bound to either framework); this
command loads them from there, so it needs the repository checkout that
``pip install -e .`` installs from.
"""
from __future__ import annotations

import argparse
import importlib
import importlib.util
import shutil
import sys
from pathlib import Path

import numpy as np

EXAMPLES_DIR = Path(__file__).resolve().parent.parent / "examples"
# --example name -> (script in examples/, arguments it always gets)
EXAMPLES = {
    "logistic": ("logistic_regression", []),
    "nn": ("nn_refactor", ["--model", "logistic"]),
    "cnn": ("nn_refactor", ["--model", "cnn"]),
    "lenet": ("lenet", []),
    "gan": ("gan_classifier", []),
}
COMMANDS = ("compare", "train", "graph")
EXAMPLE_OPTIONS = ("example options (passed to the script): --data SRC (mnist5k, a mnist.pkl.gz, an IDX folder "
                   "or a CSV), --epochs N, --seed N (manual_seed, default 0), --limit N (first N training rows), "
                   "--dtype float32|float64, --lr X, --bs N, --variant mse|bce|leaky_layernorm|adam (gan); "
                   "python examples/<script>.py --help lists them with the tutorial's defaults")


# ================================================================ examples ==

def load_example(name: str):
    """The module of ``examples/<name>.py`` (``name`` is a script name or an ``--example`` name).

    The folder is imported as the package ``minigrad_examples`` straight from
    the repository, so nothing named ``examples`` or ``common`` lands on
    ``sys.path``.
    """
    module = EXAMPLES[name][0] if name in EXAMPLES else name
    if "minigrad_examples" not in sys.modules:
        init = EXAMPLES_DIR / "__init__.py"
        if not init.is_file():
            raise SystemExit(f"minigrad: the examples are not at {EXAMPLES_DIR}: this command runs the scripts "
                             "in the repository's examples/ folder; install minigrad from a checkout "
                             "(pip install -e '.[examples]')")
        spec = importlib.util.spec_from_file_location("minigrad_examples", init,
                                                      submodule_search_locations=[str(EXAMPLES_DIR)])
        package = importlib.util.module_from_spec(spec)
        sys.modules[spec.name] = package
        spec.loader.exec_module(package)
    return importlib.import_module(f"minigrad_examples.{module}")


def _example_args(name, rest, *extra):
    """Parse the pass-through options with the example's own parser (so its defaults apply)."""
    example = load_example(name)
    common = load_example("common")
    args = common.parse(example.parser(), [*EXAMPLES[name][1], *rest, *extra])
    return example, common, args


# ================================================================= compare ==

def compare(opts, rest) -> int:
    example, common, args = _example_args(opts.example, rest)
    out, args.out = args.out, None                # --out DIR: DIR/minigrad and DIR/torch
    data = common.load_data(args)
    print(f"data: {args.data}: {len(data.y_train)} training and {len(data.y_valid)} validation digits; "
          f"{example.describe(args)}; {args.dtype}")
    print(f"each framework starts from manual_seed({args.seed}) alone: it draws its own initial weights and "
          "shuffling (no weights copied)")
    runs = {}
    for name in ("minigrad", "torch"):
        try:
            fw = common.framework(name)
        except ImportError:
            print("PyTorch is not installed: `pip install torch==2.13.0` (the CPU build) for the comparison.")
            continue
        rec = common.Recorder(args.epochs * len(data.y_train), desc=f"{name:8}", progress=not args.quiet)
        runs[name] = common.run(example, fw, args, data, rec)
        if out:
            common.write(runs[name], Path(out) / name)

    print(f"\n{'':24}" + "".join(f"{k:>14}" for k in runs))
    rows = [("final batch loss", lambda r: f"{r['losses'][-1]:.6f}"),
            ("mean loss, last 50", lambda r: f"{np.mean(r['losses'][-50:]):.6f}"),
            ("train accuracy", lambda r: f"{100 * r['train_acc']:.2f}%"),
            ("validation accuracy", lambda r: f"{100 * r['valid_acc']:.2f}%"),
            ("training time", lambda r: f"{r['seconds']:.2f} s"),
            ("time per step", lambda r: f"{1e6 * r['seconds'] / max(1, r['steps']):.0f} us")]
    for label, fmt in rows:
        print(f"{label:24}" + "".join(f"{fmt(r):>14}" for r in runs.values()))
    if "torch" in runs:
        d0 = initial_difference(runs["minigrad"], runs["torch"])
        dp, dl = differences(runs["minigrad"], runs["torch"])
        print(f"\ninitial parameters drawn from the same seed: largest difference {d0:.2e}"
              + (" (identical)" if d0 == 0 else ""))
        print(f"largest parameter difference: {dp:.2e}; largest per-step loss difference: {dl:.2e}")
        a, b = runs["minigrad"], runs["torch"]
        print(f"minigrad/torch time ratio: {a['seconds'] / b['seconds']:.2f} (one thread each)")
        plot = opts.plot if opts.plot is not None else (
            "minigrad_vs_torch.png" if opts.example == "logistic" else f"minigrad_vs_torch_{opts.example}.png")
        if plot:
            _plot_compare(runs, plot, f"{opts.example}: {example.describe(args)}")
    return 0


def initial_difference(a: dict, b: dict) -> float:
    """Largest |difference| of two runs' initial parameters (snapshot 0), each drawn by its own framework."""
    a0, b0 = a["snapshots"][0], b["snapshots"][0]
    return max(float(np.abs(a0[k] - b0[k]).max()) for k in a0)


def differences(a: dict, b: dict):
    """(largest |parameter difference|, largest |per-step loss difference|) of two runs."""
    dp = max(float(np.abs(a["params"][k] - b["params"][k]).max()) for k in a["params"])
    dl = float(np.abs(np.asarray(a["losses"]) - np.asarray(b["losses"])).max())
    return dp, dl


def _pyplot():
    try:
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        print("matplotlib is not installed: no plot")
        return None
    return plt


def _smooth(values, window):
    values = np.asarray(values, dtype=float)
    if window <= 1 or len(values) < window:
        return np.arange(len(values)), values
    kernel = np.ones(window) / window
    return np.arange(window - 1, len(values)), np.convolve(values, kernel, mode="valid")


def _plot_compare(runs, path, title):
    plt = _pyplot()
    if plt is None:
        return
    fig, (ax, ax2) = plt.subplots(2, 1, figsize=(10, 7), sharex=True, gridspec_kw=dict(height_ratios=(3, 1.3)))
    steps = len(next(iter(runs.values()))["losses"])
    window = max(1, steps // 100)
    for (name, r), style in zip(runs.items(), ("-", "--")):
        if window > 1:
            ax.plot(r["losses"], ".", markersize=2, alpha=0.08, color="C0" if name == "minigrad" else "C1")
        x, y = _smooth(r["losses"], window)
        label = name + (f" (mean of {window} steps)" if window > 1 else "")
        ax.plot(x, y, style, label=label, color="C0" if name == "minigrad" else "C1", linewidth=1.6)
    ax.set_ylabel("training loss")
    ax.set_ylim(bottom=0)
    ax.set_title(f"Same seed, nothing copied: minigrad vs PyTorch\n{title}", fontsize=10)
    ax.grid(True, alpha=0.3)
    ax.legend()
    if "torch" in runs:
        d = np.abs(np.asarray(runs["minigrad"]["losses"]) - np.asarray(runs["torch"]["losses"]))
        ax2.semilogy(np.maximum(d, 1e-17), ".", markersize=2, color="C3")
        ax2.set_ylabel("|loss difference|\n(1e-17 = equal)")
        ax2.grid(True, alpha=0.3)
    ax2.set_xlabel("training step")
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    print(f"loss curves: {path}")


# =================================================================== train ==

def train(opts, rest) -> int:
    import minigrad
    example, common, args = _example_args(opts.example, rest, "--framework", opts.framework)
    fw = common.framework(args.framework)
    data = common.load_data(args)
    print(f"{opts.example} in {args.framework}: {len(data.y_train)} training and {len(data.y_valid)} validation "
          f"digits from {args.data}; {example.describe(args)}")
    rec = common.Recorder(args.epochs * len(data.y_train), desc=args.framework, progress=not args.quiet,
                          verbose=not args.quiet)
    result = common.run(example, fw, args, data, rec)
    out = Path(opts.out or f"runs/{opts.example}-{args.framework}")
    common.write(result, out)
    model = result["_model"]
    state = model.state_dict() if model is not None else result["params"]
    checkpoint = out / "checkpoint.ckpt"
    minigrad.save({k: minigrad.tensor(np.asarray(v.detach().numpy() if hasattr(v, "detach") else v))
                   for k, v in state.items()}, checkpoint)
    print(common.summary(result))
    _plot_progress(result, out / "progress.png", f"{opts.example} ({args.framework}): {example.describe(args)}")
    print(f"metrics: {out / 'metrics.json'}; parameters: {out / 'params.npz'}; checkpoint (minigrad.load): "
          f"{checkpoint}")
    return 0


def _plot_progress(result, path, title):
    """Loss per step (the GAN book's plot_progress: dots, alpha 0.1, grid) and accuracy, one above the other."""
    plt = _pyplot()
    if plt is None:
        return
    losses = result["losses"]
    window = max(10, len(losses) // 50)
    fig, (ax, ax2) = plt.subplots(2, 1, figsize=(10, 7), sharex=True)
    ax.plot(losses, ".", alpha=0.1, markersize=3, color="C0", label="loss of each step")
    x, y = _smooth(losses, window)
    ax.plot(x, y, "-", color="C0", linewidth=1.5, label=f"mean of {window} steps")
    ax.set_ylabel("training loss")
    ax.set_ylim(bottom=0)
    ax.grid(True)
    ax.legend(loc="upper right")
    ax.set_title(title, fontsize=10)
    acc = [a for a in result["batch_acc"] if a is not None]
    if acc:
        x, y = _smooth(acc, window)
        ax2.plot(x, 100 * y, "-", color="C2", label=f"training batches (mean of {window} steps)")
    ax2.axhline(100 * result["valid_acc"], color="C3", linestyle="--",
                label=f"final validation accuracy {100 * result['valid_acc']:.1f}%")
    ax2.set_ylabel("accuracy (%)")
    ax2.set_ylim(0, 100)
    ax2.set_xlabel("training step")
    ax2.grid(True)
    ax2.legend(loc="lower right")
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    print(f"progress plot: {path}")


# =================================================================== graph ==

def graph(opts, rest) -> int:
    import minigrad
    from minigrad.viz import make_dot
    example, common, args = _example_args(opts.example, rest, "--framework", "minigrad", "--quiet")
    if args.limit is None:
        args.limit = args.bs        # one batch is all one step needs
    rec = common.Recorder(stop_after=1)
    result = common.run(example, minigrad, args, rec=rec)
    loss = result["_loss"]
    dot = make_dot(loss, params=rec.params)
    out = Path(opts.out or f"graph_{opts.example}")
    out.parent.mkdir(parents=True, exist_ok=True)
    written = [dot.save(out.with_suffix(".dot"))]
    if shutil.which("dot"):
        written += [dot.render(out, format=f) for f in opts.format.split(",") if f]
    nodes = dot.source.count("[label=")
    print(f"{opts.example}: the graph of one training step (loss {loss.item():.4f}, {nodes} nodes, "
          f"grad_fn {type(loss.grad_fn).__name__ if loss.grad_fn is not None else None})")
    print("written: " + ", ".join(str(w) for w in written)
          + ("" if shutil.which("dot") else "  (install Graphviz for SVG/PNG: `dot` is not on PATH)"))
    return 0


# ==================================================================== main ==

def _parser(command):
    p = argparse.ArgumentParser(prog=f"python -m minigrad {command}", epilog=EXAMPLE_OPTIONS,
                                description={"compare": "Train one example in minigrad and in PyTorch, each "
                                             "from torch.manual_seed(--seed) alone (no weights copied), and "
                                             "compare.",
                                             "train": "Train one example in one framework.",
                                             "graph": "Draw the computation graph of one training step."}[command])
    p.add_argument("--example", choices=tuple(EXAMPLES), default="logistic", help="the tutorial (default logistic)")
    if command == "compare":
        p.add_argument("--plot", default=None, metavar="PNG",
                       help="PNG of both loss curves (default minigrad_vs_torch[_EXAMPLE].png; '' for none)")
    if command == "train":
        p.add_argument("--framework", choices=("minigrad", "torch"), default="minigrad")
        p.add_argument("--out", default=None, metavar="DIR",
                       help="metrics.json, params.npz, progress.png, checkpoint.ckpt (default runs/EXAMPLE-FRAMEWORK)")
    if command == "graph":
        p.add_argument("--out", default=None, metavar="PATH",
                       help="PATH.dot (+ .svg, .png with Graphviz); default graph_EXAMPLE")
        p.add_argument("--format", default="svg,png", help="comma-separated Graphviz formats (default svg,png)")
    return p


def main(argv=None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv and argv[0] in ("-h", "--help"):
        print(__doc__.strip())
        return 0
    command = argv.pop(0) if argv and argv[0] in COMMANDS else "compare"
    opts, rest = _parser(command).parse_known_args(argv)
    return {"compare": compare, "train": train, "graph": graph}[command](opts, rest)


if __name__ == "__main__":
    sys.exit(main())
