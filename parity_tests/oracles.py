"""The three oracles, plus the no-mutation check.

A  ``check_parity``        torch parity: forward value / dtype / shape /
                           requires_grad / stride() / is_contiguous(),
                           exception type, and the backward
                           with a RANDOM cotangent (``autograd.grad``).
B  ``check_numeric_grad``  float64 central differences of the library ALONE,
                           gradcheck's fast vᵀJu formulation and defaults.
C  ``check_gradgrad``      second order: ``create_graph`` gradients and the
                           gradient of Σ_i (g_i · w_i).sum() compared with
                           torch; in float64 also a numerical check of the
                           VJP function itself (gradgradcheck, fast mode).

Every oracle takes ``m_test`` (the module under test, default
``frameworks.mg``) so that ``test_oracles.py`` can hand it a deliberately
wrong framework.  All failures are ``AssertionError``s; an exception raised by
the library where torch raises none propagates as is.

None versus zeros
-----------------
* First order (A, and the create_graph gradients of C): STRICT.  torch returns
  ``None`` (with ``allow_unused=True``) exactly when an input is not in the
  graph of the outputs; the library must return ``None`` there too, and a
  tensor elsewhere.  (``FIRST_ORDER_NONE_EQUALS_ZERO`` switches this.)
* Second order (C): ``None`` and an all-zero tensor are EQUAL.  Whether a
  backward formula keeps a graph edge to an input it does not really depend
  on is an implementation detail (torch's add backward has none; a library
  computing ``grad * ones_like(x)`` has one).  A ``None`` on either side
  matches a tensor whose elements are all within the backward atol of 0 (a
  tensor on the other side must be zeros); ``None`` matches ``None``.  When no
  first-order gradient requires grad at all, the second-order gradients are
  all ``None`` without calling ``autograd.grad`` (torch would raise).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import torch

import frameworks
from frameworks import is_tensor, to_np
from strategies import F32, F64, cotangent

# ==========================================================================
# Tolerances.  |actual - expected| <= atol + rtol * |expected|,
# dtype and shape asserted equal first; NaN/inf positions must match.  Per-op
# overrides live in ops_table.py (OpSpec.tol), each with its reason.
# ==========================================================================
TOLERANCES = {
    # (kind, phase): {dtype: (rtol, atol)}
    ("elementwise", "fwd"): {F64: (1e-7, 1e-7), F32: (1.3e-6, 1e-5)},  # assert_close defaults
    ("elementwise", "bwd"): {F64: (1e-7, 1e-7), F32: (1e-5, 1e-5)},  # one extra multiply by the cotangent
    ("reduction", "fwd"): {F64: (1e-7, 1e-7), F32: (1e-4, 1e-4)},  # f32 sums / matmul K=784: 6e-5 abs
    ("reduction", "bwd"): {F64: (1e-7, 1e-7), F32: (1e-4, 1e-4)},
}
# Oracle B (and C's numerical part): gradcheck defaults, fast mode, float64 only.
NUMERIC_EPS = 1e-6
NUMERIC_ATOL = 1e-5  # scaled by sum(u) * sum(v) as gradcheck's _adjusted_atol
NUMERIC_RTOL = 1e-3
SLOW_JACOBIAN_MAX_NUMEL = 64  # full Jacobians in the failure message only up to this size

FIRST_ORDER_NONE_EQUALS_ZERO = False
# C also differentiates Σ(g·w) with respect to the cotangents (as gradgradcheck
# does): this catches a backward that detaches its incoming gradient.
GRADGRAD_WRT_COTANGENT = True


def tolerance(spec, dtype, phase: str, device: str = "cpu") -> tuple[float, float]:
    """(rtol, atol) for comparing a ``dtype`` tensor in phase "fwd" or "bwd"."""
    dtype = np.dtype(dtype)
    if dtype.kind != "f":
        return (0.0, 0.0)
    for (dt, ph), val in spec.tol.items():
        if np.dtype(dt) == dtype and ph == phase:
            return val
    kind = spec.kind
    if device == "cuda" and dtype == F32:  # GPU: the float32 reduction row everywhere (6.5)
        kind = "reduction"
    try:
        return TOLERANCES[(kind, phase)][dtype]
    except KeyError:
        raise KeyError(f"no tolerance for {dtype} ({kind}, {phase}); add it to TOLERANCES") from None


def assert_close(actual: np.ndarray, expected: np.ndarray, rtol: float, atol: float, what: str) -> None:
    if actual.dtype != expected.dtype:
        raise AssertionError(f"{what}: dtype {actual.dtype}, torch gives {expected.dtype}")
    if actual.shape != expected.shape:
        raise AssertionError(f"{what}: shape {actual.shape}, torch gives {expected.shape}")
    if expected.dtype.kind in "biu":
        np.testing.assert_array_equal(actual, expected, err_msg=what)
    else:
        np.testing.assert_allclose(actual, expected, rtol=rtol, atol=atol, equal_nan=True, err_msg=what)


# ==========================================================================
# Running an op in one framework
# ==========================================================================
class Framework:
    """One framework on one device: makes tensors and runs ``spec.fn``."""

    def __init__(self, m, device: str = "cpu"):
        self.m = m
        self.device = device

    def tensor(self, arr, requires_grad: bool = False):
        return frameworks.to_mg(arr, self.device, requires_grad, m=self.m)

    def convert(self, obj, created: list):
        """NumPy arrays anywhere in ``obj`` -> tensors (no grad); the rest as is."""
        if isinstance(obj, np.ndarray):
            t = self.tensor(obj)
            created.append((obj, obj.copy(), t))
            return t
        if isinstance(obj, tuple):
            return tuple(self.convert(x, created) for x in obj)
        if isinstance(obj, list):
            return [self.convert(x, created) for x in obj]
        if isinstance(obj, dict):
            return {k: self.convert(v, created) for k, v in obj.items()}
        return obj

    def grad(self, outs, inputs, cots, *, create_graph=False, retain_graph=None, cot_requires_grad=False):
        cot_t = [self.tensor(c, requires_grad=cot_requires_grad) for c in cots]
        g = self.m.autograd.grad(list(outs), list(inputs), grad_outputs=cot_t, allow_unused=True,
                                 create_graph=create_graph, retain_graph=retain_graph)
        return list(g), cot_t


@dataclass
class Run:
    leaves: list  # one leaf tensor per argument (for "noncontig", the base the view is cut from)
    diff: list  # indices of the arguments whose leaves require grad
    outs: tuple = ()
    exc: BaseException | None = None
    created: list = field(default_factory=list)  # (array, copy, tensor) made from kwargs

    @property
    def diff_leaves(self):
        return [self.leaves[i] for i in self.diff]

    def diff_outs(self) -> list[int]:
        return [k for k, o in enumerate(self.outs)
                if is_tensor(o) and o.requires_grad and to_np(o).dtype.kind == "f"]


def diff_indices(spec, args) -> list[int]:
    allowed = range(len(args)) if spec.diff_args is None else spec.diff_args
    return [i for i in allowed if np.asarray(args[i]).dtype.kind == "f"]


def _noncontig(fw: Framework, arr: np.ndarray, requires_grad: bool):
    """(leaf, view): ``view`` holds ``arr``'s values but is not contiguous."""
    if arr.ndim >= 2:  # a transposed base, permuted back
        perm = tuple(reversed(range(arr.ndim)))
        leaf = fw.tensor(np.ascontiguousarray(arr.transpose(perm)), requires_grad)
        return leaf, leaf.permute(*perm)
    base = np.empty(2 * arr.shape[0], dtype=arr.dtype)  # every other element (1-D)
    base[0::2] = arr
    base[1::2] = arr[::-1]  # filler from the same domain
    leaf = fw.tensor(base, requires_grad)
    return leaf, leaf[::2]


def _as_tuple(out) -> tuple:
    return tuple(out) if isinstance(out, (tuple, list)) else (out,)


def run_op(fw: Framework, spec, args, kwargs, layout: str = "plain", requires_grad: bool = True) -> Run:
    diff = diff_indices(spec, args) if requires_grad else []
    leaves, xs = [], []
    for i, arr in enumerate(args):
        arr = np.asarray(arr)
        rg = i in diff
        if layout == "noncontig" and arr.ndim >= 1:
            leaf, x = _noncontig(fw, arr, rg)
        else:
            leaf = x = fw.tensor(arr, rg)
        leaves.append(leaf)
        xs.append(x)
    run = Run(leaves, diff)
    kw = fw.convert(kwargs, run.created)
    try:
        run.outs = _as_tuple(spec.fn(fw.m, *xs, **kw))
    except Exception as e:  # noqa: BLE001 - exception parity is part of the contract
        run.exc = e
    return run


def _exc_kind(e: BaseException) -> type:
    """The builtin exception class torch's error is an instance of (RuntimeError ...)."""
    for cls in type(e).__mro__:
        if cls.__module__ == "builtins":
            return cls
    return Exception


def _check_exceptions(ref_exc, tst_exc, what: str, spec=None, layout="plain") -> bool:
    """Exception parity.  Returns True when both raised (nothing more to compare)."""
    if ref_exc is None and tst_exc is None:
        return False
    if ref_exc is None:
        raise tst_exc  # the library failed where torch works: show its own traceback
    if spec is not None and layout == "plain" and not spec.torch_raises:
        raise AssertionError(
            f"{what}: torch raised {type(ref_exc).__name__}: {ref_exc} -- the spec's strategies "
            f"should only draw valid inputs (set torch_raises=True if this is intended)")
    if tst_exc is None:
        raise AssertionError(f"{what}: torch raises {type(ref_exc).__name__} ({ref_exc}), the library does not")
    kind = _exc_kind(ref_exc)
    if not isinstance(tst_exc, kind):
        raise AssertionError(
            f"{what}: torch raises {kind.__name__} ({ref_exc}), the library raises "
            f"{type(tst_exc).__name__} ({tst_exc})") from tst_exc
    return True


def _compare_outputs(spec, ref: Run, tst: Run, device: str, what: str) -> None:
    if len(tst.outs) != len(ref.outs):
        raise AssertionError(f"{what}: {len(tst.outs)} outputs, torch gives {len(ref.outs)}")
    for k, (o_r, o_t) in enumerate(zip(ref.outs, tst.outs)):
        if not is_tensor(o_r):
            assert o_t == o_r, f"{what}: output {k} is {o_t!r}, torch gives {o_r!r}"
            continue
        if not is_tensor(o_t):
            raise AssertionError(f"{what}: output {k} is a {type(o_t).__name__}, torch gives a tensor")
        r, t = to_np(o_r), to_np(o_t)
        if tuple(o_t.shape) != tuple(o_r.shape):
            raise AssertionError(f"{what}: output {k} .shape {tuple(o_t.shape)}, torch gives {tuple(o_r.shape)}")
        assert_close(t, r, *tolerance(spec, r.dtype, "fwd", device), f"{what}: output {k}")
        if bool(o_t.requires_grad) != bool(o_r.requires_grad):
            raise AssertionError(
                f"{what}: output {k} requires_grad={bool(o_t.requires_grad)}, torch gives {bool(o_r.requires_grad)}")
        if check_layout(spec, device):
            _compare_layout(o_r, o_t, f"{what}: output {k}")


def check_layout(spec, device: str) -> bool:
    """Whether outputs' memory layouts are compared: not on the "strict" device (array-API arrays have no
    strides) nor for a spec that gives the reason it cannot match."""
    return device != "strict" and getattr(spec, "layout", True) is True


def _compare_layout(o_r, o_t, what: str) -> None:
    """stride() and is_contiguous() as torch's: they decide whether view() works, and what it returns."""
    if tuple(o_t.stride()) != tuple(o_r.stride()):
        raise AssertionError(f"{what} .stride() {tuple(o_t.stride())}, torch gives {tuple(o_r.stride())} "
                             f"(shape {tuple(o_r.shape)})")
    if bool(o_t.is_contiguous()) != bool(o_r.is_contiguous()):
        raise AssertionError(f"{what} .is_contiguous() {o_t.is_contiguous()}, torch gives {o_r.is_contiguous()}")


def _is_zero(t, atol: float) -> bool:
    a = to_np(t)
    return bool(np.all(np.abs(a) <= atol))


def compare_grads(spec, ref_grads, tst_grads, device: str, what: str, none_equals_zero: bool) -> None:
    if len(tst_grads) != len(ref_grads):
        raise AssertionError(f"{what}: {len(tst_grads)} gradients, torch gives {len(ref_grads)}")
    for i, (g_r, g_t) in enumerate(zip(ref_grads, tst_grads)):
        if g_r is None or g_t is None:
            if g_r is None and g_t is None:
                continue
            present = g_t if g_r is None else g_r
            if none_equals_zero:
                atol = tolerance(spec, to_np(present).dtype, "bwd", device)[1]
                if _is_zero(present, atol):
                    continue
                raise AssertionError(
                    f"{what}: gradient {i} is {'None' if g_t is None else 'non-zero'} in the library and "
                    f"{'None' if g_r is None else 'non-zero'} in torch:\n{to_np(present)}")
            raise AssertionError(
                f"{what}: gradient {i} is {'None' if g_t is None else 'a tensor'} in the library, "
                f"torch gives {'None' if g_r is None else 'a tensor'} (None = input not in the graph)")
        r, t = to_np(g_r), to_np(g_t)
        assert_close(t, r, *tolerance(spec, r.dtype, "bwd", device), f"{what}: gradient {i}")


def _cotangents(run: Run, douts: list[int], seed: int) -> list[np.ndarray]:
    return [cotangent(seed, tuple(run.outs[k].shape), to_np(run.outs[k]).dtype, salt=k) for k in douts]


# ==========================================================================
# Oracle A: torch parity (forward + backward, one example)
# ==========================================================================
def check_parity(spec, sample, m_test=None, device: str = "cpu", layout: str = "plain") -> None:
    """Forward value/dtype/shape/requires_grad/layout and random-cotangent backward vs torch."""
    m_test = frameworks.mg if m_test is None else m_test
    ref_fw, tst_fw = Framework(torch, "cpu"), Framework(m_test, device)
    ref = run_op(ref_fw, spec, sample.args, sample.kwargs, layout)
    tst = run_op(tst_fw, spec, sample.args, sample.kwargs, layout)
    what = f"[{spec.name}] forward"
    if _check_exceptions(ref.exc, tst.exc, what, spec, layout):
        return
    _compare_outputs(spec, ref, tst, device, what)

    douts = ref.diff_outs()
    if not (spec.grad and douts and ref.diff):
        return
    cots = _cotangents(ref, douts, sample.seed)
    ref_exc = tst_exc = None
    try:
        g_r, _ = ref_fw.grad([ref.outs[k] for k in douts], ref.diff_leaves, cots)
    except Exception as e:  # noqa: BLE001
        ref_exc = e
    try:
        g_t, _ = tst_fw.grad([tst.outs[k] for k in douts], tst.diff_leaves, cots)
    except Exception as e:  # noqa: BLE001
        tst_exc = e
    if _check_exceptions(ref_exc, tst_exc, f"[{spec.name}] backward", spec, layout):
        return
    compare_grads(spec, g_r, g_t, device, f"[{spec.name}] backward (random cotangent)",
                  none_equals_zero=FIRST_ORDER_NONE_EQUALS_ZERO)


# ==========================================================================
# Oracle B: numerical gradient of the library alone (float64, fast vᵀJu)
# ==========================================================================
def _unit(rng: np.random.Generator, shape) -> np.ndarray | None:
    """Positive random unit vector (gradcheck's _vec_from_tensor); None if empty."""
    v = rng.random(size=tuple(shape))
    n = np.linalg.norm(v)
    return None if v.size == 0 or n == 0 else v / n


def _eval_outputs(fw: Framework, spec, sample, douts, args) -> list[np.ndarray]:
    run = run_op(fw, spec, args, sample.kwargs, requires_grad=False)
    if run.exc is not None:
        raise run.exc
    return [to_np(run.outs[k]).astype(np.float64) for k in douts]


def _require_float64(run: Run, what: str) -> None:
    for i in run.diff:
        dt = to_np(run.leaves[i]).dtype
        if dt != F64:
            raise ValueError(f"{what}: numerical checks need float64 inputs, input {i} is {dt}")


def check_numeric_grad(spec, sample, m_test=None, device: str = "cpu", *, eps: float = NUMERIC_EPS,
                       atol: float = NUMERIC_ATOL, rtol: float = NUMERIC_RTOL) -> None:
    """gradcheck's fast mode: vᵀ(J u) by central differences against (Jᵀv)·u by backward.

    One pair of forward evaluations per input, one backward per output; the
    atol is scaled by sum(u)·sum(v) as gradcheck does; on failure the full
    Jacobians are computed for the message when the op is small.
    """
    m_test = frameworks.mg if m_test is None else m_test
    fw = Framework(m_test, device)
    what = f"[{spec.name}] numerical gradient"
    run = run_op(fw, spec, sample.args, sample.kwargs)
    if run.exc is not None:
        raise run.exc
    _require_float64(run, what)
    # float64 outputs only (a .float() output has no meaningful finite differences)
    douts = [k for k in run.diff_outs() if to_np(run.outs[k]).dtype == F64]
    if not douts or not run.diff:
        return
    rng = np.random.default_rng([sample.seed, 1])
    vs = {k: _unit(rng, run.outs[k].shape) for k in douts}
    us = {i: _unit(rng, np.shape(sample.args[i])) for i in run.diff}

    analytic: dict = {}
    for k in douts:
        if vs[k] is None:
            continue
        g, _ = fw.grad([run.outs[k]], run.diff_leaves, [vs[k]], retain_graph=True)
        for i, gi in zip(run.diff, g):
            if us[i] is not None:
                analytic[i, k] = 0.0 if gi is None else float(np.sum(to_np(gi) * us[i]))

    failures = []
    for i in run.diff:
        if us[i] is None:
            continue
        args_p = list(sample.args)
        args_m = list(sample.args)
        args_p[i] = np.asarray(sample.args[i], dtype=np.float64) + eps * us[i]
        args_m[i] = np.asarray(sample.args[i], dtype=np.float64) - eps * us[i]
        f_p = _eval_outputs(fw, spec, sample, douts, args_p)
        f_m = _eval_outputs(fw, spec, sample, douts, args_m)
        for j, k in enumerate(douts):
            if vs[k] is None:
                continue
            num = float(np.sum(vs[k] * (f_p[j] - f_m[j])) / (2 * eps))
            ana = analytic[i, k]
            adj = atol * float(us[i].sum()) * float(vs[k].sum())
            if not (np.isfinite(num) and np.isfinite(ana) and abs(ana - num) <= adj + rtol * abs(num)):
                failures.append(f"input {i}, output {k}: analytical vᵀJu = {ana!r}, numerical = {num!r} "
                                f"(allowed |diff| <= {adj + rtol * abs(num):.3g})")
    if failures:
        msg = f"{what} mismatch (eps={eps}, atol={atol}, rtol={rtol}):\n  " + "\n  ".join(failures)
        raise AssertionError(msg + _slow_jacobians(fw, spec, sample, run, douts, eps))


def _slow_jacobians(fw, spec, sample, run, douts, eps) -> str:
    """Full numerical and analytical Jacobians (for the failure message only)."""
    n_in = sum(np.size(sample.args[i]) for i in run.diff)
    n_out = sum(np.size(to_np(run.outs[k])) for k in douts)
    if n_in > SLOW_JACOBIAN_MAX_NUMEL or n_out > SLOW_JACOBIAN_MAX_NUMEL:
        return "\n(Jacobians not shown: more than %d elements)" % SLOW_JACOBIAN_MAX_NUMEL
    lines = []
    with np.printoptions(precision=6, suppress=True, linewidth=120):
        for i in run.diff:
            x = np.asarray(sample.args[i], dtype=np.float64)
            for j, k in enumerate(douts):
                out_shape = to_np(run.outs[k]).shape
                num = np.zeros((int(np.prod(out_shape)), x.size))
                for c in range(x.size):
                    e = np.zeros(x.size)
                    e[c] = eps
                    args_p, args_m = list(sample.args), list(sample.args)
                    args_p[i] = x + e.reshape(x.shape)
                    args_m[i] = x - e.reshape(x.shape)
                    fp = _eval_outputs(fw, spec, sample, douts, args_p)[j]
                    fm = _eval_outputs(fw, spec, sample, douts, args_m)[j]
                    num[:, c] = ((fp - fm) / (2 * eps)).ravel()
                ana = np.zeros_like(num)
                for r in range(ana.shape[0]):
                    onehot = np.zeros(ana.shape[0])
                    onehot[r] = 1.0
                    g, _ = fw.grad([run.outs[k]], [run.leaves[i]], [onehot.reshape(out_shape)], retain_graph=True)
                    ana[r] = 0.0 if g[0] is None else to_np(g[0]).ravel()
                lines.append(f"d output {k} / d input {i}:\n numerical\n{num}\n analytical\n{ana}")
    return "\n" + "\n".join(lines)


# ==========================================================================
# Oracle C: second order
# ==========================================================================
@dataclass
class SecondOrder:
    first: list  # create_graph first-order grads, one per diff leaf (None allowed)
    second: list  # grads of Σ(g·w) w.r.t. the diff leaves (+ the cotangents)


def _sum_terms(terms):
    s = terms[0]
    for t in terms[1:]:
        s = s + t
    return s


def _second_order(fw: Framework, spec, sample) -> tuple[SecondOrder | None, BaseException | None]:
    run = run_op(fw, spec, sample.args, sample.kwargs)
    if run.exc is not None:
        return None, run.exc
    douts = run.diff_outs()
    if not douts or not run.diff:
        return SecondOrder([], []), None
    try:
        cots = _cotangents(run, douts, sample.seed)
        first, cot_t = fw.grad([run.outs[k] for k in douts], run.diff_leaves, cots, create_graph=True,
                               cot_requires_grad=GRADGRAD_WRT_COTANGENT)
        wrt = run.diff_leaves + (cot_t if GRADGRAD_WRT_COTANGENT else [])
        terms = []
        for i, g in zip(run.diff, first):
            if g is not None and g.requires_grad:
                w = cotangent(sample.seed, tuple(g.shape), to_np(g).dtype, salt=100 + i)
                terms.append((g * fw.tensor(w)).sum())
        if not terms:  # no first-order gradient depends on anything: all second-order grads are None
            return SecondOrder(first, [None] * len(wrt)), None
        second = list(fw.m.autograd.grad(_sum_terms(terms), wrt, allow_unused=True))
    except Exception as e:  # noqa: BLE001
        return None, e
    return SecondOrder(first, second), None


def check_gradgrad(spec, sample, m_test=None, device: str = "cpu", *, compare_torch: bool = True,
                   numeric: bool | None = None, eps: float = NUMERIC_EPS, atol: float = NUMERIC_ATOL,
                   rtol: float = NUMERIC_RTOL) -> None:
    """create_graph gradients and second-order gradients vs torch; in float64
    (``numeric=None`` = when every float input is float64) also a numerical
    check of the VJP function x -> g(x) = Jᵀ(x)·cot of the library alone."""
    m_test = frameworks.mg if m_test is None else m_test
    tst_fw = Framework(m_test, device)
    if compare_torch:
        ref, ref_exc = _second_order(Framework(torch, "cpu"), spec, sample)
        tst, tst_exc = _second_order(tst_fw, spec, sample)
        if _check_exceptions(ref_exc, tst_exc, f"[{spec.name}] gradgrad", spec):
            return
        compare_grads(spec, ref.first, tst.first, device, f"[{spec.name}] create_graph first-order",
                      none_equals_zero=FIRST_ORDER_NONE_EQUALS_ZERO)
        compare_grads(spec, ref.second, tst.second, device, f"[{spec.name}] second-order",
                      none_equals_zero=True)
    if numeric is None:
        numeric = spec.numeric and all(np.asarray(a).dtype != F32 for a in sample.args)
    if numeric:
        _check_numeric_vjp(tst_fw, spec, sample, eps, atol, rtol)


def _first_order_np(fw, spec, sample, args, douts, cots) -> list:
    run = run_op(fw, spec, args, sample.kwargs)
    if run.exc is not None:
        raise run.exc
    g, _ = fw.grad([run.outs[k] for k in douts], run.diff_leaves, cots)
    return [None if gi is None else to_np(gi).astype(np.float64) for gi in g]


def _check_numeric_vjp(fw: Framework, spec, sample, eps, atol, rtol) -> None:
    what = f"[{spec.name}] numerical second order"
    run = run_op(fw, spec, sample.args, sample.kwargs)
    if run.exc is not None:
        raise run.exc
    _require_float64(run, what)
    if any(to_np(run.outs[k]).dtype != F64 for k in run.diff_outs()):
        return  # a float32 output somewhere: finite differences are meaningless
    douts = run.diff_outs()
    if not douts or not run.diff:
        return
    cots = _cotangents(run, douts, sample.seed)
    first, _ = fw.grad([run.outs[k] for k in douts], run.diff_leaves, cots, create_graph=True)
    rng = np.random.default_rng([sample.seed, 2])
    shapes = [np.shape(sample.args[i]) for i in run.diff]
    sizes = [int(np.prod(s)) for s in shapes]
    if sum(sizes) == 0:
        return
    u_all = rng.random(sum(sizes))
    w_all = rng.random(sum(sizes))
    u_all /= np.linalg.norm(u_all)
    w_all /= np.linalg.norm(w_all)
    splits = np.cumsum(sizes)[:-1]
    us = [u.reshape(s) for u, s in zip(np.split(u_all, splits), shapes)]
    ws = [w.reshape(s) for w, s in zip(np.split(w_all, splits), shapes)]

    terms = [(g * fw.tensor(w)).sum() for g, w in zip(first, ws) if g is not None and g.requires_grad]
    analytic = 0.0
    if terms:
        second = fw.m.autograd.grad(_sum_terms(terms), run.diff_leaves, allow_unused=True)
        analytic = sum(0.0 if gg is None else float(np.sum(to_np(gg) * u)) for gg, u in zip(second, us))

    def G(sign):
        args = list(sample.args)
        for i, u in zip(run.diff, us):
            args[i] = np.asarray(sample.args[i], dtype=np.float64) + sign * eps * u
        g = _first_order_np(fw, spec, sample, args, douts, cots)
        return sum(0.0 if gi is None else float(np.sum(gi * w)) for gi, w in zip(g, ws))

    num = (G(+1) - G(-1)) / (2 * eps)
    adj = atol * float(u_all.sum()) * float(w_all.sum())
    if not (np.isfinite(num) and np.isfinite(analytic) and abs(analytic - num) <= adj + rtol * abs(num)):
        raise AssertionError(
            f"{what} mismatch: analytical wᵀ(d g / dx)u = {analytic!r}, numerical = {num!r} "
            f"(allowed |diff| <= {adj + rtol * abs(num):.3g}; g = VJP with the random cotangent)")


# ==========================================================================
# No input mutation
# ==========================================================================
def check_no_mutation(spec, sample, m_test=None, device: str = "cpu") -> None:
    """Forward + backward leave the inputs, kwargs tensors, source arrays and the
    cotangent unchanged (an in-place spec works on a clone, so the clone must copy)."""
    m_test = frameworks.mg if m_test is None else m_test
    fw = Framework(m_test, device)
    copies = [np.array(a, copy=True) for a in sample.args]
    run = run_op(fw, spec, sample.args, sample.kwargs)
    if run.exc is not None:
        return  # exception parity is oracle A's business
    douts = run.diff_outs()
    cots = []
    if spec.grad and douts and run.diff:
        cots = _cotangents(run, douts, sample.seed)
        cot_copies = [c.copy() for c in cots]
        _, cot_t = fw.grad([run.outs[k] for k in douts], run.diff_leaves, cots)
        for k, (c, c0, t) in enumerate(zip(cots, cot_copies, cot_t)):
            np.testing.assert_array_equal(to_np(t), c0, err_msg=f"[{spec.name}] backward modified cotangent {k}")
    for i, (leaf, orig, src) in enumerate(zip(run.leaves, copies, sample.args)):
        np.testing.assert_array_equal(to_np(leaf), orig, err_msg=f"[{spec.name}] input {i} was modified")
        np.testing.assert_array_equal(src, orig, err_msg=f"[{spec.name}] the NumPy array behind input {i} "
                                                         f"was modified (tensor() must copy)")
    for n, (src, orig, t) in enumerate(run.created):
        np.testing.assert_array_equal(to_np(t), orig, err_msg=f"[{spec.name}] kwargs tensor {n} was modified")
        np.testing.assert_array_equal(src, orig, err_msg=f"[{spec.name}] kwargs array {n} was modified")
