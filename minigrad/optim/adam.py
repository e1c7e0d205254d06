"""Adam and AdamW (``torch.optim.Adam``, ``torch.optim.AdamW``).

The update is torch 2.13's ``_single_tensor_adam`` (torch/optim/adam.py,
the non-capturable branch, which torch takes for CPU tensors), with the same
operation order, since that decides the float32 results::

    step += 1                                   (a float32 CPU tensor, as torch's)
    g = -grad if maximize else grad
    if weight_decay != 0:
        p = p * (1 - lr * weight_decay)         AdamW (decoupled)
        g = g + weight_decay * p                Adam
    m = lerp(m, g, 1 - beta1)                   (exp_avg.lerp_(grad, 1 - beta1))
    v = v * beta2 + ((1 - beta2) * g) * g       (mul_(beta2).addcmul_(g, g, value=1 - beta2))
    bias_correction1 = 1 - beta1 ** step
    bias_correction2 = 1 - beta2 ** step
    step_size = lr / bias_correction1
    v_max = maximum(v_max, v)                   amsgrad only; then used instead of v below
    denom = sqrt(v) / bias_correction2 ** 0.5 + eps
    p = p + (-step_size * m) / denom            (p.addcdiv_(m, denom, value=-step_size))
"""
from __future__ import annotations

from .. import _backend
from .._tensor import Tensor
from .optimizer import (Optimizer, _bump, _grad_array, _lerp_, _no_grad_step, _step_tensor, _to_float,
                        _zeros_like)


class Adam(Optimizer):
    """Adam (Kingma & Ba), with torch's options: ``amsgrad``, ``weight_decay`` (L2), ``maximize``.

    ``decoupled_weight_decay=True`` turns it into AdamW.
    """

    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0, amsgrad=False, *,
                 foreach=None, maximize=False, capturable=False, differentiable=False, fused=None,
                 decoupled_weight_decay=False):
        if not 0.0 <= lr:
            raise ValueError(f"Invalid learning rate: {lr}")
        if not 0.0 <= eps:
            raise ValueError(f"Invalid epsilon value: {eps}")
        if not 0.0 <= betas[0] < 1.0:
            raise ValueError(f"Invalid beta parameter at index 0: {betas[0]}")
        if not 0.0 <= betas[1] < 1.0:
            raise ValueError(f"Invalid beta parameter at index 1: {betas[1]}")
        if not 0.0 <= weight_decay:
            raise ValueError(f"Invalid weight_decay value: {weight_decay}")
        if not (all(isinstance(b, float) for b in betas[:2]) or all(isinstance(b, Tensor) for b in betas[:2])):
            raise ValueError("betas must be either both floats or both Tensors")
        betas = tuple(b if isinstance(b, float) else _to_float(b) for b in betas)
        defaults = dict(lr=lr, betas=betas, eps=eps, weight_decay=weight_decay, amsgrad=amsgrad, maximize=maximize,
                        foreach=foreach, capturable=capturable, differentiable=differentiable, fused=fused,
                        decoupled_weight_decay=decoupled_weight_decay)
        super().__init__(params, defaults)

    def __setstate__(self, state):
        super().__setstate__(state)
        for group in self.param_groups:
            group.setdefault("amsgrad", False)
            group.setdefault("maximize", False)
            group.setdefault("foreach", None)
            group.setdefault("capturable", False)
            group.setdefault("differentiable", False)
            group.setdefault("decoupled_weight_decay", False)
            group.setdefault("fused", None)
        self._steps_as_tensors()

    @_no_grad_step
    def step(self, closure=None):
        """Perform a single optimization step; returns the closure's loss (or None)."""
        loss = self._closure_loss(closure)
        for group in self.param_groups:
            lr = _to_float(group["lr"])
            beta1, beta2 = (_to_float(b) for b in group["betas"])
            eps = float(group["eps"])
            weight_decay = float(group["weight_decay"])
            amsgrad, maximize = group["amsgrad"], group["maximize"]
            decoupled = group["decoupled_weight_decay"]
            for p in group["params"]:
                if p.grad is None:
                    continue
                state = self.state[p]
                if len(state) == 0:                      # lazy initialisation, in torch's key order
                    state["step"] = _step_tensor(0.0)
                    state["exp_avg"] = _zeros_like(p)
                    state["exp_avg_sq"] = _zeros_like(p)
                    if amsgrad:
                        state["max_exp_avg_sq"] = _zeros_like(p)
                d = p._data
                g = _grad_array(p, maximize)
                exp_avg, exp_avg_sq = state["exp_avg"]._data, state["exp_avg_sq"]._data

                state["step"]._data += 1
                _bump(state["step"])
                if weight_decay != 0:
                    if decoupled:
                        d *= 1 - lr * weight_decay
                        _bump(p)
                    else:
                        g = g + weight_decay * d

                _lerp_(exp_avg, g, 1 - beta1)
                exp_avg_sq *= beta2
                exp_avg_sq += ((1 - beta2) * g) * g
                _bump(state["exp_avg"])
                _bump(state["exp_avg_sq"])

                step = float(state["step"].item())
                bias_correction1 = 1 - beta1 ** step
                bias_correction2 = 1 - beta2 ** step
                step_size = lr / bias_correction1
                bias_correction2_sqrt = bias_correction2 ** 0.5

                xp = _backend.array_namespace(d)
                if amsgrad:
                    max_sq = state["max_exp_avg_sq"]._data
                    max_sq[...] = xp.maximum(max_sq, exp_avg_sq)
                    _bump(state["max_exp_avg_sq"])
                    denom = xp.sqrt(max_sq) / bias_correction2_sqrt
                else:
                    denom = xp.sqrt(exp_avg_sq) / bias_correction2_sqrt
                denom += eps
                d += (-step_size * exp_avg) / denom
                _bump(p)
        return loss


class AdamW(Adam):
    """Adam with decoupled weight decay (Loshchilov & Hutter), default ``weight_decay=1e-2``."""

    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=1e-2, amsgrad=False, *,
                 maximize=False, foreach=None, capturable=False, differentiable=False, fused=None):
        super().__init__(params, lr, betas, eps, weight_decay, amsgrad, foreach=foreach, maximize=maximize,
                         capturable=capturable, differentiable=differentiable, fused=fused,
                         decoupled_weight_decay=True)

    def __setstate__(self, state):
        super().__setstate__(state)
        for group in self.param_groups:
            group["decoupled_weight_decay"] = True
