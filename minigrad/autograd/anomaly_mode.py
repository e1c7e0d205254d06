"""Anomaly detection: report which forward op produced a NaN gradient."""
from __future__ import annotations

import threading

_state = threading.local()


def is_anomaly_enabled() -> bool:
    return getattr(_state, "enabled", False)


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
