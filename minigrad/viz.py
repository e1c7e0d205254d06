"""Pictures of the computation graph, like torchviz: ``make_dot(loss, params=dict(model.named_parameters()))``.

``make_dot`` returns a :class:`Digraph` holding Graphviz DOT text (always
available); ``render`` runs Graphviz's ``dot`` program when it is installed.
Nodes are the recorded ops, labelled with torch's names (``AddmmBackward0``)
and, for leaves, the parameter's name and shape.
"""
from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

from .autograd.function import AccumulateGrad


def _shape(t) -> str:
    return "(" + ", ".join(str(n) for n in t.shape) + ")"


def _quote(s: str) -> str:
    return '"' + s.replace("\\", "\\\\").replace('"', '\\"') + '"'


class Digraph:
    """DOT source plus ``render``; ``str(graph)`` / ``graph.source`` is the text."""

    def __init__(self, lines):
        self.source = "\n".join(["digraph {", '  graph [rankdir=BT, fontname="Helvetica"];',
                                 '  node [fontname="Helvetica", fontsize=10, style=filled, shape=box];',
                                 *lines, "}"]) + "\n"

    def __str__(self):
        return self.source

    def _repr_svg_(self):   # inline pictures in notebooks, when dot exists
        if shutil.which("dot"):
            return subprocess.run(["dot", "-Tsvg"], input=self.source, capture_output=True, text=True).stdout
        return None

    def save(self, path):
        Path(path).write_text(self.source)
        return str(path)

    def render(self, path, format: str = "svg") -> str:
        """Write ``path.dot`` and, if Graphviz's ``dot`` is on PATH, ``path.<format>``; returns what was written last."""
        path = Path(path)
        dot_file = self.save(path.with_suffix(".dot"))
        if shutil.which("dot") is None:
            return dot_file
        out = path.with_suffix("." + format)
        subprocess.run(["dot", f"-T{format}", dot_file, "-o", str(out)], check=True)
        return str(out)


def make_dot(output, params=None, show_saved=False) -> Digraph:
    """The graph that produced ``output`` (a tensor or a tuple of tensors)."""
    outputs = output if isinstance(output, (tuple, list)) else (output,)
    names = {id(p): name for name, p in (params or {}).items()}
    lines, seen = [], set()

    def node_id(obj):
        return f"n{id(obj)}"

    def add_node(fn):
        if isinstance(fn, AccumulateGrad):
            var = fn.variable
            label = f"{names.get(id(var), '')}\n{_shape(var)}".strip()
            lines.append(f"  {node_id(fn)} [label={_quote(label)}, fillcolor=lightblue];")
        else:
            label = fn.name()
            if show_saved and fn._saved:
                shapes = [_shape(v) for v, *_ in fn._saved if v is not None and hasattr(v, "shape")]
                label += "\nsaved: " + ", ".join(shapes)
            lines.append(f"  {node_id(fn)} [label={_quote(label)}, fillcolor=lightgrey];")

    stack = []
    for t in outputs:
        lines.append(f"  {node_id(t)} [label={_quote('output ' + _shape(t))}, fillcolor=darkolivegreen1];")
        if t.grad_fn is not None:
            lines.append(f"  {node_id(t.grad_fn)} -> {node_id(t)};")
            stack.append(t.grad_fn)
    while stack:                      # explicit stack: deep graphs need no recursion
        fn = stack.pop()
        if id(fn) in seen:
            continue
        seen.add(id(fn))
        add_node(fn)
        for child, _ in fn.next_functions:
            if child is not None:
                lines.append(f"  {node_id(child)} -> {node_id(fn)};")
                stack.append(child)
    return Digraph(lines)
