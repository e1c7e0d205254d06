"""gradcheck / gradgradcheck: compare analytical gradients with central differences.

Slow mode, as torch's default: the full numerical Jacobian (one pair of
evaluations per input element) against the analytical one (one backward per
output element), accepted when |a - n| <= atol + rtol |n|.  Only float64
inputs give meaningful results; others warn, as in torch.
"""
from __future__ import annotations

import warnings

import numpy as np


class GradcheckError(RuntimeError):
    pass


def _as_tuple(x):
    return tuple(x) if isinstance(x, (list, tuple)) else (x,)


def _outputs(func, inputs):
    from .._tensor import Tensor
    return tuple(o for o in _as_tuple(func(*inputs)) if isinstance(o, Tensor))


def _numerical_jacobian(func, inputs, diff_idx, eps):
    """J[k][i] = d out_k / d input_i, each of shape (out_k.numel(), input_i.numel())."""
    from .grad_mode import no_grad
    with no_grad():
        base = _outputs(func, inputs)
    jac = [[np.zeros((o.numel(), inputs[i].numel())) for i in diff_idx] for o in base]
    for col, i in enumerate(diff_idx):
        x = inputs[i]
        flat = x._data.reshape(-1) if hasattr(x._data, "reshape") else x._data
        for j in range(x.numel()):
            orig = float(flat[j])
            values = []
            for delta in (eps, -eps):
                flat[j] = orig + delta
                with no_grad():
                    values.append([o.detach().cpu().numpy().astype(np.float64).reshape(-1) for o in _outputs(func, inputs)])
            flat[j] = orig
            for k in range(len(base)):
                jac[k][col][:, j] = (values[0][k] - values[1][k]) / (2 * eps)
    return jac


def _analytical_jacobian(func, inputs, diff_idx):
    from . import grad
    outs = _outputs(func, inputs)
    jac = [[np.zeros((o.numel(), inputs[i].numel())) for i in diff_idx] for o in outs]
    for k, o in enumerate(outs):
        if not o.requires_grad:
            continue
        for r in range(o.numel()):
            cot = np.zeros(o.numel())
            cot[r] = 1.0
            from .._factories import tensor
            g = tensor(cot.reshape(tuple(o.shape)), dtype=o.dtype, device=o.device)
            gs = grad(o, [inputs[i] for i in diff_idx], g, retain_graph=True, allow_unused=True)
            for col, gi in enumerate(gs):
                if gi is not None:
                    jac[k][col][r, :] = gi.detach().cpu().numpy().reshape(-1)
    return jac


def gradcheck(func, inputs, *, eps=1e-6, atol=1e-5, rtol=1e-3, raise_exception=True, nondet_tol=0.0,
              check_undefined_grad=True, check_grad_dtypes=False, check_batched_grad=False,
              check_backward_ad=True, fast_mode=False, masked=None, check_forward_ad=False):
    from .._tensor import Tensor
    inputs = _as_tuple(inputs)
    diff_idx = [i for i, x in enumerate(inputs) if isinstance(x, Tensor) and x.requires_grad]
    for i in diff_idx:
        if inputs[i].dtype.name != "float64":
            warnings.warn(f"Input #{i} requires gradient and is not a double precision floating point or complex. "
                          "This check will likely fail if all the inputs are not of double precision floating "
                          "point or complex. ")
    numerical = _numerical_jacobian(func, inputs, diff_idx, eps)
    analytical = _analytical_jacobian(func, inputs, diff_idx)
    for k, (num_row, ana_row) in enumerate(zip(numerical, analytical)):
        for col, (n, a) in enumerate(zip(num_row, ana_row)):
            if not np.all(np.abs(a - n) <= atol + rtol * np.abs(n)):
                msg = (f"Jacobian mismatch for output {k} with respect to input {diff_idx[col]},\n"
                       f"numerical:{n}\nanalytical:{a}\n")
                if raise_exception:
                    raise GradcheckError(msg)
                return False
    return True


def gradgradcheck(func, inputs, grad_outputs=None, *, eps=1e-6, atol=1e-5, rtol=1e-3,
                  gen_non_contig_grad_outputs=False, raise_exception=True, nondet_tol=0.0,
                  check_undefined_grad=True, check_grad_dtypes=False, check_batched_grad=False,
                  fast_mode=False, masked=False):
    """gradcheck of x -> d(func)/dx · v, so backward itself must be differentiable."""
    from .._tensor import Tensor
    from .._factories import tensor
    from . import grad
    inputs = _as_tuple(inputs)
    outs = _outputs(func, inputs)
    if grad_outputs is None:
        rng = np.random.default_rng(0)
        grad_outputs = tuple(tensor(rng.uniform(-1, 1, tuple(o.shape)), dtype=o.dtype, device=o.device,
                                    requires_grad=True) for o in outs)
    grad_outputs = _as_tuple(grad_outputs)
    n_in = len(inputs)
    diff_idx = [i for i, x in enumerate(inputs) if isinstance(x, Tensor) and x.requires_grad]

    def first_grads(*args):
        ins, vs = args[:n_in], args[n_in:]
        o = _outputs(func, ins)
        gs = grad(o, [ins[i] for i in diff_idx], vs, create_graph=True, allow_unused=True)
        return tuple(g for g in gs if g is not None)

    return gradcheck(first_grads, inputs + grad_outputs, eps=eps, atol=atol, rtol=rtol,
                     raise_exception=raise_exception)
