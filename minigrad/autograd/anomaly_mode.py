"""Anomaly detection: report which forward op produced a NaN gradient."""
from __future__ import annotations

import threading

class _State(threading.local):
    enabled = False


_state = _State()


def is_anomaly_enabled() -> bool:
    return _state.enabled


class set_detect_anomaly:
    """``set_detect_anomaly(True)`` turns on NaN checks in backward; usable as a context manager."""

    def __init__(self, mode: bool, check_nan: bool = True):
        self.prev = is_anomaly_enabled()
        _state.enabled = bool(mode)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        _state.enabled = self.prev
        return False


class detect_anomaly(set_detect_anomaly):
    def __init__(self, check_nan: bool = True):
        self.check_nan = check_nan

    def __enter__(self):
        self.prev = is_anomaly_enabled()
        _state.enabled = True
        return self


def record_trace(node):
    """Remember where a node was created, for the error message (only while anomaly mode is on)."""
    import traceback
    node._trace = "".join(traceback.format_stack()[:-3])


def check_nan(node, grads):
    """Raise if a backward produced NaN, naming the forward op that created the node."""
    from .. import _backend
    for i, g in enumerate(grads):
        if g is None:
            continue
        data = getattr(g, "_data", g)
        xp = _backend.array_namespace(data)
        if bool(xp.any(xp.isnan(data))):
            msg = f"Function '{node.name()}' returned nan values in its {i}th output."
            trace = getattr(node, "_trace", None)
            if trace:
                msg += "\nTraceback of the forward call that created it:\n" + trace
            raise RuntimeError(msg)
