"""RMSprop (``torch.optim.RMSprop``), with ``centered``, ``momentum``, ``weight_decay`` and ``maximize``.

The update is torch 2.13's ``_single_tensor_rmsprop`` (torch/optim/rmsprop.py),
the path torch takes for CPU tensors, with the same operation order::

    step += 1
    g = -grad if maximize else grad
    if weight_decay != 0:  g = g + weight_decay * p
    v = v * alpha + ((1 - alpha) * g) * g              (mul_(alpha).addcmul_(g, g, value=1 - alpha))
    if centered:
        m = lerp(m, g, 1 - alpha)
        avg = sqrt(v + (-1 * m) * m)                   (v.addcmul(m, m, value=-1).sqrt_())
    else:
        avg = sqrt(v)
    avg = avg + eps
    if momentum > 0:
        b = b * momentum + (1 * g) / avg               (b.mul_(momentum).addcdiv_(g, avg))
        p = p - lr * b
    else:
        p = p + (-lr * g) / avg                        (p.addcdiv_(g, avg, value=-lr))
"""
from __future__ import annotations

from .. import _backend
from .optimizer import Optimizer, _bump, _grad_array, _lerp_, _no_grad_step, _step_tensor, _to_float, _zeros_like


class RMSprop(Optimizer):
    """RMSprop (Hinton), as ``torch.optim.RMSprop`` (default ``lr=1e-2``, ``alpha=0.99``)."""

    def __init__(self, params, lr=1e-2, alpha=0.99, eps=1e-8, weight_decay=0, momentum=0, centered=False,
                 capturable=False, foreach=None, maximize=False, differentiable=False):
        if not 0.0 <= lr:
            raise ValueError(f"Invalid learning rate: {lr}")
        if not 0.0 <= eps:
            raise ValueError(f"Invalid epsilon value: {eps}")
        if not 0.0 <= momentum:
            raise ValueError(f"Invalid momentum value: {momentum}")
        if not 0.0 <= weight_decay:
            raise ValueError(f"Invalid weight_decay value: {weight_decay}")
        if not 0.0 <= alpha:
            raise ValueError(f"Invalid alpha value: {alpha}")
        defaults = dict(lr=lr, momentum=momentum, alpha=alpha, eps=eps, centered=centered,
                        weight_decay=weight_decay, capturable=capturable, foreach=foreach, maximize=maximize,
                        differentiable=differentiable)
        super().__init__(params, defaults)

    def __setstate__(self, state):
        super().__setstate__(state)
        for group in self.param_groups:
            group.setdefault("momentum", 0)
            group.setdefault("centered", False)
            group.setdefault("foreach", None)
            group.setdefault("maximize", False)
            group.setdefault("differentiable", False)
            group.setdefault("capturable", False)
        self._steps_as_tensors()

    @_no_grad_step
    def step(self, closure=None):
        """Perform a single optimization step; returns the closure's loss (or None)."""
        loss = self._closure_loss(closure)
        for group in self.param_groups:
            lr = _to_float(group["lr"])
            alpha, eps = float(group["alpha"]), float(group["eps"])
            weight_decay, momentum = float(group["weight_decay"]), float(group["momentum"])
            centered, maximize = group["centered"], group["maximize"]
            for p in group["params"]:
                if p.grad is None:
                    continue
                state = self.state[p]
                if len(state) == 0:                      # lazy initialisation, in torch's key order
                    state["step"] = _step_tensor(0.0)
                    state["square_avg"] = _zeros_like(p)
                    if momentum > 0:
                        state["momentum_buffer"] = _zeros_like(p)
                    if centered:
                        state["grad_avg"] = _zeros_like(p)
                d = p._data
                xp = _backend.array_namespace(d)
                g = _grad_array(p, maximize)
                state["step"]._data += 1
                _bump(state["step"])
                if weight_decay != 0:
                    g = g + weight_decay * d

                square_avg = state["square_avg"]._data
                square_avg *= alpha
                square_avg += ((1 - alpha) * g) * g
                _bump(state["square_avg"])

                if centered:
                    grad_avg = _lerp_(state["grad_avg"]._data, g, 1 - alpha)
                    _bump(state["grad_avg"])
                    avg = xp.sqrt(square_avg + (-1.0 * grad_avg) * grad_avg)
                else:
                    avg = xp.sqrt(square_avg)
                avg += eps

                if momentum > 0:
                    buf = state["momentum_buffer"]._data
                    buf *= momentum
                    buf += g / avg
                    _bump(state["momentum_buffer"])
                    d += -lr * buf
                else:
                    d += (-lr * g) / avg
                _bump(p)
        return loss
