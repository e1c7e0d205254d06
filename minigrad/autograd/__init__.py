"""minigrad.autograd: as ``torch.autograd``."""
from __future__ import annotations

from .. import _backend
from . import engine
from .function import Function, Node, once_differentiable
from .grad_mode import enable_grad, inference_mode, is_grad_enabled, no_grad, set_grad_enabled
from .gradcheck import gradcheck, gradgradcheck
from .anomaly_mode import detect_anomaly, set_detect_anomaly, is_anomaly_enabled, is_anomaly_check_nan_enabled

__all__ = ["Function", "backward", "grad", "gradcheck", "gradgradcheck", "no_grad", "enable_grad",
           "set_grad_enabled", "is_grad_enabled", "inference_mode", "detect_anomaly", "set_detect_anomaly"]


def _as_tuple(x):
    if x is None:
        return None
    if isinstance(x, (list, tuple)):
        return tuple(x)
    return (x,)


def _grads_tuple(grads, n):
    """torch's reading of a gradient argument: None, one Tensor, or an iterable of them (``tuple(2.0)`` is
    Python's TypeError there, as in torch)."""
    from .._tensor import Tensor
    if grads is None:
        return (None,) * n
    return (grads,) if isinstance(grads, Tensor) else tuple(grads)


def backward(tensors, grad_tensors=None, retain_graph=None, create_graph=False, grad_variables=None, inputs=None):
    """Accumulate gradients of ``tensors`` into the ``.grad`` of the leaves (or of ``inputs`` only)."""
    tensors = _as_tuple(tensors)
    grads = _grads_tuple(grad_tensors if grad_tensors is not None else grad_variables, len(tensors))
    if retain_graph is None:
        retain_graph = create_graph
    if create_graph:
        engine.warn_create_graph_cycle()
    inputs = _as_tuple(inputs)
    if inputs is not None and not inputs:
        raise RuntimeError("`inputs` argument to `backward()` cannot be empty.")
    engine.run_backward(tensors, grads, retain_graph, create_graph, inputs=inputs, accumulate=True)


def grad(outputs, inputs, grad_outputs=None, retain_graph=None, create_graph=False, only_inputs=True,
         allow_unused=None, is_grads_batched=False, materialize_grads=False):
    """The gradients of ``outputs`` with respect to ``inputs``, returned as a tuple; ``.grad`` is left alone."""
    from .._tensor import Tensor
    single_input = isinstance(inputs, Tensor)
    outputs, inputs = _as_tuple(outputs), _as_tuple(inputs)
    grads = _grads_tuple(grad_outputs, len(outputs))
    if allow_unused is None:
        allow_unused = materialize_grads
    if retain_graph is None:
        retain_graph = create_graph
    for t in inputs:
        if not isinstance(t, Tensor):
            raise RuntimeError(f"all inputs have to be Tensors or GradientEdges, but got {type(t).__name__}")
    for i, t in enumerate(outputs):           # torch checks the outputs first
        if not (t._requires_grad or t.grad_fn is not None):
            raise RuntimeError(f"element {i} of tensors does not require grad and does not have a grad_fn")
    for t in inputs:
        if not t.requires_grad:
            raise RuntimeError("One of the differentiated Tensors does not require grad")
    result = engine.run_backward(outputs, grads, retain_graph, create_graph, inputs=inputs, accumulate=False)
    out, made = [], {}     # inputs that are one edge of the graph get one gradient object, as in torch
    for k, (t, g) in enumerate(zip(inputs, result)):
        if g is None:
            if not allow_unused:
                raise RuntimeError(f"The differentiated Tensor at index {k} appears to not have been used in the "
                                   "graph. Set allow_unused=True if this is the desired behavior.")
            if materialize_grads:
                from .._factories import zeros_like
                g = zeros_like(t)
            out.append(g)
        elif isinstance(g, Tensor):
            out.append(g)
        else:
            if id(g) not in made:
                made[id(g)] = Tensor._make(_backend.layout_copy(g))   # torch returns the gradient as computed
            out.append(made[id(g)])
    return tuple(out)


class Variable:
    """Pre-0.4 ``Variable(tensor)``: returns the tensor itself (with requires_grad if asked)."""

    def __new__(cls, data, requires_grad=False):
        return data.requires_grad_(requires_grad) if requires_grad else data
