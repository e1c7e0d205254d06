"""The example scripts and ``python -m minigrad`` run, under both frameworks, on real MNIST digits.

Smoke tests through the scripts' ``main(argv)`` and the CLI's ``main(argv)``
(one subprocess checks ``python -m minigrad`` from a clean interpreter):
each example trains under torch and under minigrad with its framework's own
initialisation and writes its metrics; both frameworks draw the same initial
weights from the same ``--seed`` (nothing is copied between them); ``train``
writes a PNG and a checkpoint that ``minigrad.load`` reads back; ``compare``
prints its table, from ``manual_seed`` alone; ``graph`` writes DOT (and
SVG/PNG when Graphviz is installed).  Parity over longer runs is checked in
``test_mnist_parity.py``.
"""
from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import torch

import minigrad
from minigrad.__main__ import EXAMPLES, load_example
from minigrad.__main__ import main as cli

REPO = Path(__file__).resolve().parent.parent
PNG_MAGIC = b"\x89PNG\r\n\x1a\n"

# (script, arguments): every example and every model/variant, a few steps each
SCRIPTS = {
    "logistic": ("logistic_regression", ["--limit", "256"]),
    "nn": ("nn_refactor", ["--limit", "256"]),
    "cnn": ("nn_refactor", ["--model", "cnn", "--limit", "256"]),
    "cnn-sequential": ("nn_refactor", ["--model", "sequential", "--limit", "128"]),
    "lenet": ("lenet", ["--limit", "64"]),
    **{f"gan-{v}": ("gan_classifier", ["--variant", v, "--limit", "40"])
       for v in ("mse", "bce", "leaky_layernorm", "adam")},
}


@pytest.mark.parametrize("framework", ["torch", "minigrad"])
@pytest.mark.parametrize("case", list(SCRIPTS))
def test_script_main_runs_and_writes_metrics(case, framework, tmp_path):
    script, argv = SCRIPTS[case]
    result = load_example(script).main([*argv, "--epochs", "1", "--framework", framework, "--quiet",
                                        "--out", str(tmp_path)])
    metrics = json.loads((tmp_path / "metrics.json").read_text())
    assert metrics["framework"] == framework and metrics["steps"] == len(metrics["losses"]) > 0
    assert metrics["n_train"] == int(argv[-1]) and metrics["n_valid"] == 500
    assert np.isfinite(metrics["losses"]).all() and metrics["seconds"] > 0
    assert 0 <= metrics["train_acc"] <= 1 and 0 <= metrics["valid_acc"] <= 1
    with np.load(tmp_path / "params.npz") as params:
        assert sorted(params.files) == sorted(result["params"])
        for name, value in result["params"].items():
            assert value.dtype == np.float32
            np.testing.assert_array_equal(params[name], value)


def test_script_runs_as_a_program(tmp_path):
    """``python examples/<script>.py``: the plain-script import path (``import common``)."""
    out = subprocess.run([sys.executable, str(REPO / "examples" / "logistic_regression.py"), "--limit", "128",
                          "--epochs", "1", "--quiet", "--out", str(tmp_path)],
                         capture_output=True, text=True, timeout=120, env=_clean_env(), cwd=tmp_path)
    assert out.returncode == 0, out.stderr
    assert json.loads((tmp_path / "metrics.json").read_text())["steps"] == 2


def test_the_seed_alone_gives_both_frameworks_the_same_weights_and_batches():
    """LeNet (nn.Conv2d/nn.Linear default init, DataLoader(shuffle=True)) from --seed only: the initial weights
    are equal bit for bit and the 16 steps' losses agree (a different batch order would not); another seed
    draws other weights and other losses."""
    common = load_example("common")
    example = load_example("lenet")
    runs = {}
    for fw, seed in ((torch, 0), (minigrad, 0), (minigrad, 1)):
        args = common.parse(example.parser(), ["--quiet", "--limit", "64", "--epochs", "1", "--seed", str(seed),
                                               "--framework", fw.__name__])
        runs[fw.__name__, seed] = common.run(example, fw, args)
    expected, same, other = runs["torch", 0], runs["minigrad", 0], runs["minigrad", 1]
    assert sorted(same["snapshots"][0]) == sorted(expected["snapshots"][0]) == sorted(expected["params"])
    for name, value in expected["snapshots"][0].items():
        np.testing.assert_array_equal(same["snapshots"][0][name], value, err_msg=name)
        assert not np.array_equal(other["snapshots"][0][name], value), name
    assert same["steps"] == expected["steps"] == 16
    np.testing.assert_allclose(same["losses"], expected["losses"], rtol=0, atol=1e-5)
    assert np.abs(np.asarray(other["losses"]) - expected["losses"]).max() > 1e-3


# ======================================================================= CLI ==

def test_cli_train_writes_png_metrics_and_a_checkpoint(tmp_path, capsys):
    out = tmp_path / "run"
    assert cli(["train", "--example", "lenet", "--epochs", "1", "--limit", "64", "--out", str(out), "--quiet"]) == 0
    text = capsys.readouterr().out
    assert "validation accuracy" in text and "checkpoint" in text
    assert (out / "progress.png").read_bytes()[:8] == PNG_MAGIC
    state = minigrad.load(out / "checkpoint.ckpt")
    with np.load(out / "params.npz") as params:
        assert list(state) == ["conv1.weight", "conv1.bias", "conv2.weight", "conv2.bias", "fc1.weight", "fc1.bias",
                               "fc2.weight", "fc2.bias", "fc3.weight", "fc3.bias"]
        for name, tensor in state.items():
            assert isinstance(tensor, minigrad.Tensor)
            np.testing.assert_array_equal(tensor.numpy(), params[name])


def test_cli_train_torch_and_the_from_scratch_example(tmp_path, capsys):
    """A torch run checkpoints through minigrad.save as well; the from-scratch model saves its two tensors."""
    out = tmp_path / "run"
    assert cli(["train", "--example", "logistic", "--framework", "torch", "--limit", "128", "--epochs", "1",
                "--out", str(out), "--quiet"]) == 0
    state = minigrad.load(out / "checkpoint.ckpt")
    assert list(state) == ["weights", "bias"] and tuple(state["weights"].shape) == (784, 10)
    assert (out / "progress.png").read_bytes()[:8] == PNG_MAGIC
    assert json.loads((out / "metrics.json").read_text())["framework"] == "torch"


def _table(text):
    """The compare table's rows as {label: [minigrad, torch]}, and the two differences."""
    rows = {}
    for line in text.splitlines():
        m = re.match(r"(final batch loss|mean loss, last 50|train accuracy|validation accuracy|training time)"
                     r"\s+([\d.]+)(?: s|%)?\s+([\d.]+)", line)
        if m:
            rows[m.group(1)] = [float(m.group(2)), float(m.group(3))]
    m = re.search(r"largest parameter difference: (\S+); largest per-step loss difference: (\S+)", text)
    return rows, (float(m.group(1)), float(m.group(2).rstrip(".")))


@pytest.mark.parametrize("example,seed", [("nn", 0), ("gan", 1)])
def test_cli_compare_prints_the_table_and_plots(example, seed, tmp_path, capsys):
    plot = tmp_path / "curves.png"
    limit = {"nn": "640", "gan": "60"}[example]
    assert cli(["compare", "--example", example, "--epochs", "1", "--limit", limit, "--plot", str(plot),
                "--quiet", "--seed", str(seed)]) == 0
    text = capsys.readouterr().out
    assert text.startswith("data: mnist5k: ")
    assert f"starts from manual_seed({seed}) alone" in text and "no weights copied" in text
    assert "initial parameters drawn from the same seed: largest difference 0.00e+00 (identical)" in text
    assert re.search(r"^\s+minigrad\s+torch$", text, re.M)
    rows, (dp, dl) = _table(text)
    assert len(rows) == 5
    assert rows["final batch loss"][0] == pytest.approx(rows["final batch loss"][1], abs=1e-5)
    assert rows["validation accuracy"][0] == pytest.approx(rows["validation accuracy"][1], abs=0.5)
    assert dp <= 1e-5 and dl <= 1e-5
    assert plot.read_bytes()[:8] == PNG_MAGIC


def test_cli_default_command_is_compare(tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert cli(["--epochs", "1", "--limit", "256", "--quiet"]) == 0
    text = capsys.readouterr().out
    assert "logistic regression from scratch" in text and "largest parameter difference" in text
    assert (tmp_path / "minigrad_vs_torch.png").read_bytes()[:8] == PNG_MAGIC


@pytest.mark.parametrize("example,names", [
    ("lenet", ["conv1.weight", "conv2.bias", "fc1.weight", "fc3.bias"]),
    ("logistic", ["weights", "bias"]),
    ("gan", ["model.0.weight", "model.2.bias"]),
])
def test_cli_graph_writes_dot(example, names, tmp_path, capsys):
    out = tmp_path / f"graph_{example}"
    assert cli(["graph", "--example", example, "--out", str(out)]) == 0
    dot = (tmp_path / f"graph_{example}.dot").read_text()
    assert dot.startswith("digraph {") and dot.rstrip().endswith("}")
    assert "AddmmBackward0" in dot or "MmBackward0" in dot or "AddBackward0" in dot
    for name in names:
        assert re.search(rf'label="{re.escape(name)}\n\(', dot), name        # leaf: name, a newline, the shape
    if shutil.which("dot"):
        assert "<svg" in (tmp_path / f"graph_{example}.svg").read_text()
        assert (tmp_path / f"graph_{example}.png").read_bytes()[:8] == PNG_MAGIC
    assert "written:" in capsys.readouterr().out


def test_cli_help_lists_the_subcommands(capsys):
    assert cli(["--help"]) == 0
    text = capsys.readouterr().out
    assert all(word in text for word in ("compare", "train", "graph", *EXAMPLES))


def _clean_env():
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTEST", "OMP_", "OPENBLAS_", "MKL_"))}
    env.pop("PYTHONPATH", None)
    return env


def test_python_dash_m_minigrad_from_a_clean_process(tmp_path):
    """`python -m minigrad` (the README's main command), small, in a fresh interpreter started elsewhere."""
    out = subprocess.run([sys.executable, "-m", "minigrad", "--epochs", "1", "--limit", "256", "--quiet"],
                         capture_output=True, text=True, timeout=300, env=_clean_env(), cwd=tmp_path)
    assert out.returncode == 0, out.stderr
    rows, (dp, dl) = _table(out.stdout)
    assert "manual_seed(0) alone" in out.stdout and "largest difference 0.00e+00 (identical)" in out.stdout
    assert rows["validation accuracy"][0] == rows["validation accuracy"][1]
    assert dp <= 1e-5 and dl <= 1e-5
    assert (tmp_path / "minigrad_vs_torch.png").is_file()


# ===================================================== memory layout parity ==

def test_conv2d_output_is_contiguous_like_torch():
    """The blitz's x.view(-1, n) after conv + pool needs a contiguous conv output, as torch's."""
    x = minigrad.randn(4, 1, 12, 12)
    y = minigrad.nn.functional.max_pool2d(minigrad.nn.Conv2d(1, 6, 3)(x), 2)
    assert y.is_contiguous() == torch.nn.functional.max_pool2d(
        torch.nn.Conv2d(1, 6, 3)(torch.randn(4, 1, 12, 12)), 2).is_contiguous()
    y.view(4, -1)
