"""Anomaly detection: report which forward op produced a NaN gradient."""
from __future__ import annotations

import warnings


class _State:
    """Process-wide, as torch's AnomalyMode (a thread started inside detect_anomaly() sees it on)."""
    enabled = False
    check_nan = True


_state = _State()


def is_anomaly_enabled() -> bool:
    return _state.enabled


def is_anomaly_check_nan_enabled() -> bool:
    return _state.check_nan


class set_detect_anomaly:
    """``set_detect_anomaly(True)`` turns on NaN checks in backward; usable as a context manager."""

    def __init__(self, mode: bool, check_nan: bool = True):
        self.prev = (_state.enabled, _state.check_nan)
        _state.enabled, _state.check_nan = bool(mode), bool(check_nan)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        _state.enabled, _state.check_nan = self.prev
        return False


class detect_anomaly(set_detect_anomaly):
    def __init__(self, check_nan: bool = True):
        self.check_nan = check_nan
        warnings.warn("Anomaly Detection has been enabled. This mode will increase the runtime and should only be "
                      "enabled for debugging.", UserWarning, stacklevel=2)

    def __enter__(self):
        self.prev = (_state.enabled, _state.check_nan)
        _state.enabled, _state.check_nan = True, bool(self.check_nan)
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
