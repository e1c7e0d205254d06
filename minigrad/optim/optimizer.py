"""Optimizer: the base class of every ``minigrad.optim`` algorithm, as ``torch.optim.Optimizer``.

What it keeps, in torch's layout:

- ``param_groups``: a list of dicts, each with ``'params'`` (a list of tensors)
  and that group's hyperparameters (the constructor's ``defaults`` fill in
  whatever a group leaves out).
- ``state``: a ``defaultdict(dict)`` keyed by the parameter tensor itself
  (minigrad tensors hash by identity, as torch's do).

``state_dict()`` replaces the tensors by their position over all groups
(``{'state': {0: {...}}, 'param_groups': [{..., 'params': [0, 1]}]}``), so
it can be saved with ``minigrad.save`` and loaded into a fresh optimizer over
new parameter objects.

Subclasses implement ``step``: it runs the closure (if any) under
``enable_grad``, then updates each parameter whose ``.grad`` is not None,
in place, under ``no_grad``.  Updates work on the backend arrays
(``p._data``), never touch ``p.grad``, and bump the parameter's version
counter once per in-place write, as torch's in-place ops do.

Each algorithm follows torch 2.13's ``_single_tensor_*`` function (the path
torch takes for CPU tensors) operation by operation; ``foreach``, ``fused``
and ``capturable`` are accepted and change nothing.  One difference cannot
be mirrored: torch's vectorised CPU kernels (``add_(alpha=)``, ``addcmul_``,
``lerp_``) round a multiply-add once (FMA), NumPy rounds the product and the
sum separately.  Results agree to a few ulps, except where an update divides
by a cancelling difference (centered RMSprop with a tiny ``alpha``).
"""
from __future__ import annotations

import functools
from collections import defaultdict
from copy import deepcopy
from itertools import chain
from typing import Any

import numpy as np

from .. import _backend, _dtype
from .._tensor import Tensor
from ..autograd.grad_mode import enable_grad, no_grad


class _RequiredParameter:
    """Singleton marking a hyperparameter that has no default (torch.optim.optimizer.required)."""

    def __repr__(self):
        return "<required parameter>"


required = _RequiredParameter()


def _typename(obj) -> str:
    """torch.typename: ``'torch.FloatTensor'`` style for tensors, the qualified class name otherwise."""
    if isinstance(obj, Tensor):
        return obj.type()
    cls = type(obj)
    module = cls.__module__ or ""
    return cls.__qualname__ if module in ("", "builtins") else f"{module}.{cls.__qualname__}"


def _to_float(x) -> float:
    """A hyperparameter as a Python float (torch accepts 1-element tensors for lr and betas)."""
    if isinstance(x, Tensor):
        if x.numel() != 1:
            raise ValueError("Tensor lr must be 1-element")
        return float(x.item())
    return float(x)


def _scalar_dtype() -> _dtype.dtype:
    """dtype of the ``step`` counters: float64 when that is the default dtype, else float32 (as torch)."""
    return _dtype.float64 if _dtype.get_default_dtype() is _dtype.float64 else _dtype.float32


def _step_tensor(value: float = 0.0) -> Tensor:
    """A 0-d CPU tensor holding a step count (torch keeps ``state['step']`` as a CPU tensor)."""
    return Tensor._make(np.asarray(value, dtype=_scalar_dtype().name))


def _zeros_like(p: Tensor) -> Tensor:
    """Optimizer state: zeros with the parameter's shape, dtype and device."""
    return Tensor._make(_backend.zeros(p._data.shape, like=p._data))


def _bump(p: Tensor) -> None:
    """One in-place write to ``p``: its version counter goes up, as after torch's ``add_``."""
    p._version_counter.value += 1


def _lerp_(start, end, weight: float):
    """``start.lerp_(end, weight)`` in place, with ATen's two-branch formula.

    ATen computes ``start + w*(end - start)`` for ``|w| < 0.5`` and
    ``end - (end - start)*(1 - w)`` otherwise, with ``1 - w`` in the tensor's
    own precision (``opmath``, float32 for float32).
    """
    if abs(weight) < 0.5:
        start += weight * (end - start)
    else:
        dt = np.dtype(_backend.dtype_name(start.dtype))
        one_minus = float(np.asarray(1, dt) - np.asarray(weight, dt))
        start[...] = end - (end - start) * one_minus
    return start


def _clone(a):
    """A copy of backend array ``a`` (same dtype and device)."""
    return _backend.array_namespace(a).asarray(a, copy=True)


def _grad_array(p: Tensor, maximize: bool):
    """``p.grad`` as a backend array, negated (a new array) when maximizing; never mutated."""
    g = p._grad._data
    return -g if maximize else g


class Optimizer:
    """Base class for all optimizers (``torch.optim.Optimizer``).

    Parameters
    ----------
    params : iterable of Tensor, or of dict
        The tensors to optimize, or parameter groups: dicts with ``'params'``
        and per-group options overriding ``defaults``.
    defaults : dict
        The default hyperparameters of every group.
    """

    def __init__(self, params, defaults: dict[str, Any]) -> None:
        self.defaults = defaults
        if defaults.get("differentiable"):
            raise NotImplementedError("minigrad: differentiable=True (backpropagating through optimizer steps) is "
                                      "not supported")
        if isinstance(params, Tensor):
            raise TypeError("params argument given to the optimizer should be an iterable of Tensors or dicts, "
                            "but got " + _typename(params))
        self.state: defaultdict = defaultdict(dict)
        self.param_groups: list[dict[str, Any]] = []
        param_groups = list(params)
        if len(param_groups) == 0:
            raise ValueError("optimizer got an empty parameter list")
        if not isinstance(param_groups[0], dict):
            param_groups = [{"params": param_groups}]
        for param_group in param_groups:
            self.add_param_group(param_group)

    # ------------------------------------------------------------ pickling --
    def __getstate__(self) -> dict[str, Any]:
        return {"defaults": self.defaults, "state": self.state, "param_groups": self.param_groups}

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__dict__.update(state)
        self.defaults.setdefault("differentiable", False)

    def __repr__(self) -> str:
        format_string = self.__class__.__name__ + " ("
        for i, group in enumerate(self.param_groups):
            format_string += "\n"
            format_string += f"Parameter Group {i}\n"
            for key in sorted(group.keys()):
                if key != "params":
                    format_string += f"    {key}: {group[key]}\n"
        format_string += ")"
        return format_string

    # ----------------------------------------------------------- groups --
    def add_param_group(self, param_group: dict[str, Any]) -> None:
        """Add a group of parameters with its own options (e.g. unfreezing layers while fine-tuning)."""
        if not isinstance(param_group, dict):
            raise TypeError(f"param_group must be a dict, but got {type(param_group)}")
        params = param_group["params"]
        if isinstance(params, Tensor):
            param_group["params"] = [params]
        elif isinstance(params, set):
            raise TypeError("optimizer parameters need to be organized in ordered collections, but the ordering "
                            "of tensors in sets will change between runs. Please use a list instead.")
        else:
            param_group["params"] = list(params)

        tensors, names = [], []
        for param in param_group["params"]:
            if isinstance(param, tuple):          # named_parameters(): (name, tensor)
                names.append(param[0])
                tensors.append(param[1])
            else:
                tensors.append(param)
        param_group["params"] = tensors
        if names:
            if len(names) != len(tensors):
                raise ValueError("all optimizer params should be with/without names. Some param names are missing")
            param_group["param_names"] = names

        for param in param_group["params"]:
            if not isinstance(param, Tensor):
                raise TypeError("optimizer can only optimize Tensors, but one of the params is " + _typename(param))
            if not self.defaults.get("differentiable", None) and not (param.is_leaf or param.retains_grad):
                raise ValueError("can't optimize a non-leaf Tensor")

        for name, default in self.defaults.items():
            if default is required and name not in param_group:
                raise ValueError(f"parameter group didn't specify a value of required optimization parameter {name}")
            param_group.setdefault(name, default)

        params = param_group["params"]
        if len(params) != len(set(params)):
            import warnings
            warnings.warn("optimizer contains a parameter group with duplicate parameters; in future, this will "
                          "cause an error; see github.com/pytorch/pytorch/issues/40967 for more information",
                          stacklevel=3)

        param_set: set = set()
        for group in self.param_groups:
            param_set.update(set(group["params"]))
            if ("param_names" in param_group) != ("param_names" in group):
                txt = "with names" if "param_names" in param_group else "without names"
                raise ValueError("all optimizer param groups should be with/without names. "
                                 f"cannot add param group {txt} to the optimizer")
        if not param_set.isdisjoint(set(param_group["params"])):
            raise ValueError("some parameters appear in more than one parameter group")
        self.param_groups.append(param_group)

    # ------------------------------------------------------------- grads --
    def zero_grad(self, set_to_none: bool = True) -> None:
        """Reset every parameter's ``.grad``: to None (the default since torch 2.0), or to zeros in place."""
        for group in self.param_groups:
            for p in group["params"]:
                if p.grad is not None:
                    if set_to_none:
                        p.grad = None
                    else:
                        if p.grad.grad_fn is not None:
                            p.grad.detach_()
                        else:
                            p.grad.requires_grad_(False)
                        p.grad.zero_()

    def step(self, closure=None):
        """Perform a single optimization step (implemented by each algorithm)."""
        raise NotImplementedError

    def _closure_loss(self, closure):
        """torch's step prologue: the closure re-evaluates the model with grad enabled."""
        if closure is None:
            return None
        with enable_grad():
            return closure()

    # -------------------------------------------------------- state dict --
    def state_dict(self) -> dict[str, Any]:
        """The optimizer's state with parameters replaced by their index over all groups.

        As in torch, the per-parameter state dicts are the live ones (not copies).
        """
        param_mappings: dict[int, int] = {}
        start_index = 0

        def pack_group(group):
            nonlocal start_index
            packed = {k: v for k, v in group.items() if k != "params"}
            param_mappings.update({id(p): i for i, p in enumerate(group["params"], start_index)
                                   if id(p) not in param_mappings})
            packed["params"] = [param_mappings[id(p)] for p in group["params"]]
            start_index += len(packed["params"])
            return packed

        param_groups = [pack_group(g) for g in self.param_groups]
        packed_state = {(param_mappings[id(k)] if isinstance(k, Tensor) else k): v for k, v in self.state.items()}
        return {"state": packed_state, "param_groups": param_groups}

    @staticmethod
    def _process_value(param: Tensor, value: Tensor, key=None) -> Tensor:
        """torch's policy: floating state follows the parameter's dtype and device; ``step`` is kept as is."""
        if key == "step":
            return value
        if param.is_floating_point():
            return value.to(dtype=param.dtype, device=param.device)
        return value.to(device=param.device)

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        """Load a ``state_dict()`` (possibly from ``minigrad.load``) into this optimizer.

        Groups are matched by position and parameters by their index, as in
        torch: the group count and sizes must agree.
        """
        state_dict = state_dict.copy()
        groups = self.param_groups
        saved_groups = deepcopy(state_dict["param_groups"])
        if len(groups) != len(saved_groups):
            raise ValueError("loaded state dict has a different number of parameter groups")
        if any(len(g["params"]) != len(s["params"]) for g, s in zip(groups, saved_groups)):
            raise ValueError("loaded state dict contains a parameter group that doesn't match the size of "
                             "optimizer's group")
        id_map = dict(zip(chain.from_iterable(g["params"] for g in saved_groups),
                          chain.from_iterable(g["params"] for g in groups)))

        def cast(param, value, key=None):
            if isinstance(value, Tensor):
                return Optimizer._process_value(param, value, key)
            if isinstance(value, dict):
                return {k: cast(param, v, key=k) for k, v in value.items()}
            if isinstance(value, (list, tuple)):
                return type(value)(cast(param, v) for v in value)
            return value

        state: defaultdict = defaultdict(dict)
        for k, v in state_dict["state"].items():
            if k in id_map:
                param = id_map[k]
                state[param] = cast(param, v)
            else:
                state[k] = v

        def update_group(group, new_group):
            new_group["params"] = group["params"]
            if "param_names" in group and "param_names" not in new_group:
                new_group["param_names"] = group["param_names"]
            return new_group

        param_groups = [update_group(g, ng) for g, ng in zip(groups, saved_groups)]
        self.__setstate__({"state": state, "param_groups": param_groups})

    def _steps_as_tensors(self) -> None:
        """Old state dicts may hold ``step`` as a number: make it a tensor, as torch's ``__setstate__`` does."""
        for group in self.param_groups:
            for p in group["params"]:
                p_state = self.state.get(p, {})
                if len(p_state) != 0 and "step" in p_state and not isinstance(p_state["step"], Tensor):
                    p_state["step"] = _step_tensor(float(p_state["step"]))


def _no_grad_step(step):
    """Run a ``step`` method under ``no_grad`` (the closure re-enables grad itself)."""
    @functools.wraps(step)
    def wrapper(self, *args, **kwargs):
        with no_grad():
            return step(self, *args, **kwargs)
    return wrapper
