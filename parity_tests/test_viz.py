"""minigrad.viz.make_dot: DOT text of the graph, torchviz-style labels, no recursion."""
import shutil

import minigrad
from minigrad.viz import make_dot


def test_dot_names_ops_and_parameters(tmp_path):
    x = minigrad.randn(4, 3)
    w = minigrad.randn(3, 2, requires_grad=True)
    b = minigrad.zeros(2, requires_grad=True)
    loss = ((x @ w + b).relu() ** 2).mean()
    dot = make_dot(loss, params={"fc.weight": w, "fc.bias": b}).source
    for label in ("MeanBackward0", "PowBackward0", "ReluBackward0", "AddBackward0", "MmBackward0",
                  "fc.weight\\n(3, 2)", "fc.bias\\n(2)", "output ()"):
        assert label.replace("\\n", "\n") in dot.replace("\\n", "\n"), label
    assert dot.count("->") == 7           # 4 op-to-op edges, 2 leaf edges, 1 to the output
    out = make_dot(loss).render(tmp_path / "g", "svg")
    assert out.endswith(".svg" if shutil.which("dot") else ".dot")


def test_deep_graph_without_recursion():
    x = minigrad.tensor(1.0, requires_grad=True)
    y = x
    for _ in range(5000):
        y = y + 1.0
    assert make_dot(y).source.count("AddBackward0") == 5000
