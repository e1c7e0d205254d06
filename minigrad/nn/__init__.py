"""minigrad.nn: as ``torch.nn`` (Module, Parameter, layers, losses; ``functional`` and ``init``)."""
from .parameter import Parameter
from .modules import *  # noqa: F401,F403
from .modules import __all__ as _modules_all
from . import functional, init, modules, parameter

__all__ = ["Parameter", "functional", "init", *_modules_all]
