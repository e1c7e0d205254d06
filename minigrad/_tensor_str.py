"""``repr(tensor)`` laid out the way torch prints tensors.

torch picks one format for the whole tensor: integers-valued floats print as
``1.``, other floats with 4 decimals, and scientific notation when the
magnitudes span more than 1000x (or exceed 1e8, or go below 1e-4).  Every
element is padded to the widest one; rows wrap at 80 columns; tensors over
1000 elements show their first and last 3 items per dimension.
"""
from __future__ import annotations

import math

import numpy as np

from . import _backend

LINEWIDTH = 80
THRESHOLD = 1000
EDGEITEMS = 3
PRECISION = 4


class _Formatter:
    """One format for all elements; the width counts only the nonzero finite values (as torch's)."""

    def __init__(self, values: np.ndarray):
        self.floating = values.dtype.kind == "f"
        self.int_mode = True
        self.sci = False
        self.width = 1
        if not self.floating:
            self.width = max((len(self._plain(v)) for v in values.flat), default=1)
            return
        finite = values[np.isfinite(values) & (values != 0)].astype(np.float64)
        if not finite.size:
            return
        absv = np.abs(finite)
        lo, hi = absv.min(), absv.max()
        self.int_mode = bool(np.all(np.ceil(finite) == finite))
        if self.int_mode:
            self.sci = hi / lo > 1000.0 or hi > 1.0e8
        else:
            self.sci = hi / lo > 1000.0 or hi > 1.0e8 or lo < 1.0e-4
        self.width = max(len(self._fmt(float(v))) for v in finite)

    @staticmethod
    def _plain(v) -> str:
        return str(bool(v)) if isinstance(v, (bool, np.bool_)) else str(int(v))

    def _fmt(self, v: float) -> str:
        if self.sci:
            return f"{v:.{PRECISION}e}"
        if self.int_mode:
            return f"{v:.0f}" + ("" if math.isinf(v) or math.isnan(v) else ".")
        return f"{v:.{PRECISION}f}"

    def format(self, v) -> str:
        text = self._fmt(float(v)) if self.floating else self._plain(v)
        return text.rjust(self.width)


def _summarized(a: np.ndarray) -> bool:
    return a.size > THRESHOLD


def _edges(a: np.ndarray, summarize: bool) -> np.ndarray:
    """The values that will be shown (for choosing the format)."""
    if not summarize or a.ndim == 0:
        return a.reshape(-1)
    if a.shape[0] > 2 * EDGEITEMS:
        parts = [a[:EDGEITEMS], a[-EDGEITEMS:]]
    else:
        parts = [a]
    return np.concatenate([_edges(p_i, summarize) for p in parts for p_i in p] or [a.reshape(-1)[:0]])


def _vector(a, fmt, indent, summarize):
    elem_len = fmt.width + 2
    per_line = max(1, int(math.floor((LINEWIDTH - indent) / elem_len)))
    if summarize and a.shape[0] > 2 * EDGEITEMS:
        items = [fmt.format(v) for v in a[:EDGEITEMS]] + [" ..."] + [fmt.format(v) for v in a[-EDGEITEMS:]]
    else:
        items = [fmt.format(v) for v in a]
    lines = [items[i:i + per_line] for i in range(0, len(items), per_line)]
    return "[" + (",\n" + " " * (indent + 1)).join(", ".join(line) for line in lines) + "]"


def _nested(a, fmt, indent, summarize):
    if a.ndim == 0:
        return fmt.format(a.item())
    if a.ndim == 1:
        return _vector(a, fmt, indent, summarize)
    if summarize and a.shape[0] > 2 * EDGEITEMS:
        rows = [_nested(a[i], fmt, indent + 1, summarize) for i in range(EDGEITEMS)] + ["..."] + \
               [_nested(a[i], fmt, indent + 1, summarize) for i in range(a.shape[0] - EDGEITEMS, a.shape[0])]
    else:
        rows = [_nested(r, fmt, indent + 1, summarize) for r in a]
    sep = "," + "\n" * (a.ndim - 1) + " " * (indent + 1)
    return "[" + sep.join(rows) + "]"


def _add_suffixes(text, suffixes, indent):
    """Append ``, dtype=...`` etc., moving one to a new line when it would pass the line width."""
    last_line_len = len(text) - text.rfind("\n") + 1
    for suffix in suffixes:
        if last_line_len + len(suffix) + 2 > LINEWIDTH:
            text += ",\n" + " " * indent + suffix
            last_line_len = indent + len(suffix)
        else:
            text += ", " + suffix
            last_line_len += len(suffix) + 2
    return text + ")"


def tensor_repr(t, prefix="tensor(") -> str:
    a = _backend.to_numpy(t._data)
    indent = len(prefix)
    name = t.dtype.name
    suffixes = []
    dev = t.device
    if dev.type != "cpu":
        suffixes.append(f"device='{dev}'")
    if a.size == 0:
        body = "[]"
        if a.ndim != 1:
            suffixes.append(f"size={tuple(a.shape)}")
        if name != "float32":                 # nothing to infer the dtype from
            suffixes.append(f"dtype=minigrad.{name}")
    else:
        summarize = _summarized(a)
        body = _nested(a, _Formatter(_edges(a, summarize)), indent, summarize)
        if name not in ("float32", "int64", "bool"):
            suffixes.append(f"dtype=minigrad.{name}")
    if t.grad_fn is not None:
        suffixes.append(f"grad_fn=<{t.grad_fn.name()}>")
    elif t.requires_grad:
        suffixes.append("requires_grad=True")
    return _add_suffixes(prefix + body, suffixes, indent)
