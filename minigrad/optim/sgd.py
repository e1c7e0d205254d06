"""SGD with momentum, dampening, Nesterov momentum, weight decay and maximize (``torch.optim.SGD``).

The update is torch 2.13's ``_single_tensor_sgd`` (torch/optim/sgd.py), the
path torch takes for CPU tensors, with the same operation order::

    g = -grad if maximize else grad
    if weight_decay != 0:  g = g + weight_decay * p
    if momentum != 0:
        b = clone(g)                                   on the first step
        b = momentum * b + (1 - dampening) * g         afterwards (b.mul_(m).add_(g, alpha=1-d))
        g = g + momentum * b  if nesterov  else  b
    p = p - lr * g                                     (p.add_(g, alpha=-lr))
"""
from __future__ import annotations

from .._tensor import Tensor
from .optimizer import Optimizer, _bump, _clone, _grad_array, _no_grad_step, _to_float


class SGD(Optimizer):
    """Stochastic gradient descent (optionally with momentum), as ``torch.optim.SGD``."""

    def __init__(self, params, lr=1e-3, momentum=0, dampening=0, weight_decay=0, nesterov=False, *,
                 maximize=False, foreach=None, differentiable=False, fused=None):
        if lr < 0.0:
            raise ValueError(f"Invalid learning rate: {lr}")
        if momentum < 0.0:
            raise ValueError(f"Invalid momentum value: {momentum}")
        if weight_decay < 0.0:
            raise ValueError(f"Invalid weight_decay value: {weight_decay}")
        defaults = dict(lr=lr, momentum=momentum, dampening=dampening, weight_decay=weight_decay,
                        nesterov=nesterov, maximize=maximize, foreach=foreach, differentiable=differentiable,
                        fused=fused)
        if nesterov and (momentum <= 0 or dampening != 0):
            raise ValueError("Nesterov momentum requires a momentum and zero dampening")
        super().__init__(params, defaults)

    def __setstate__(self, state):
        super().__setstate__(state)
        for group in self.param_groups:
            group.setdefault("nesterov", False)
            group.setdefault("maximize", False)
            group.setdefault("foreach", None)
            group.setdefault("differentiable", False)
            group.setdefault("fused", False)

    @_no_grad_step
    def step(self, closure=None):
        """Perform a single optimization step; returns the closure's loss (or None)."""
        loss = self._closure_loss(closure)
        for group in self.param_groups:
            lr = _to_float(group["lr"])
            momentum = float(group["momentum"])
            dampening = float(group["dampening"])
            weight_decay = float(group["weight_decay"])
            nesterov, maximize = group["nesterov"], group["maximize"]
            for p in group["params"]:
                if p.grad is None:
                    continue
                d = p._data
                g = _grad_array(p, maximize)
                if weight_decay != 0:
                    g = g + weight_decay * d
                if momentum != 0:
                    state = self.state[p]
                    buf = state.get("momentum_buffer")
                    if buf is None:
                        buf = Tensor._make(_clone(g))        # memory of its own, never p.grad's
                        state["momentum_buffer"] = buf
                    else:
                        b = buf._data
                        b *= momentum
                        b += (1 - dampening) * g
                        _bump(buf)
                    g = g + momentum * buf._data if nesterov else buf._data
                d += -lr * g
                _bump(p)
        return loss
