"""Grad mode: whether ops record a graph.  Thread-local, as in torch.

``no_grad``, ``enable_grad`` and ``set_grad_enabled`` work as context managers
and as decorators, and nest safely (each restores the mode it found).
"""
from __future__ import annotations

import functools
import threading

class _State(threading.local):
    enabled = True        # the default every new thread starts with


_state = _State()


def is_grad_enabled() -> bool:
    return _state.enabled


def _set(mode: bool) -> None:
    _state.enabled = mode


class _Mode:
    """Base of the three managers: enter sets a mode, exit restores the previous one."""
    _mode: bool

    def __enter__(self):
        self._prev_stack = getattr(self, "_prev_stack", [])
        self._prev_stack.append(is_grad_enabled())
        _set(self._mode)

    def __exit__(self, *exc):
        _set(self._prev_stack.pop())
        return False

    def __call__(self, fn):
        @functools.wraps(fn)
        def wrapper(*args, **kwargs):
            with self.__class__(*self._ctor_args()):
                return fn(*args, **kwargs)
        return wrapper

    def _ctor_args(self):
        return ()

    def clone(self):
        return self.__class__(*self._ctor_args())


class no_grad(_Mode):
    """Ops inside record no graph: their results have ``requires_grad=False``."""
    _mode = False


class enable_grad(_Mode):
    """Re-enable recording inside a ``no_grad`` block."""
    _mode = True


class set_grad_enabled(_Mode):
    """``set_grad_enabled(False)`` sets the mode at once (like torch), and restores it on exit when used with ``with``."""

    def __init__(self, mode: bool):
        self._prev_stack = [is_grad_enabled()]
        self._mode = bool(mode)
        _set(self._mode)

    def __enter__(self):
        pass                     # the mode was already set by __init__

    def __exit__(self, *exc):
        _set(self._prev_stack.pop())
        return False

    def _ctor_args(self):
        return (self._mode,)

    def __call__(self, fn):
        _set(self._prev_stack[0])   # as a decorator, the call in __init__ must not stick
        return super().__call__(fn)


class inference_mode(no_grad):
    """Accepted for compatibility; behaves as ``no_grad``."""

    def __init__(self, mode: bool = True):
        self._mode = not mode

    def _ctor_args(self):
        return (not self._mode,)
