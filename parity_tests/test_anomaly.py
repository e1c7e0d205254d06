"""Anomaly detection, and thread-safety of the autograd modes.

``minigrad.autograd.set_detect_anomaly(True)`` and ``with
minigrad.autograd.detect_anomaly():`` make a NaN produced by a backward
formula raise torch's RuntimeError, "Function 'SqrtBackward0' returned nan
values in its 0th output.", and point at the forward line that created the
node (torch puts that traceback in a UserWarning, minigrad in the message:
either place counts).  With anomaly mode off nothing is raised and the NaN
gradients equal torch's.  Each scenario runs in both frameworks.

Grad mode is per thread in both frameworks: a stress test runs two threads
toggling ``no_grad`` while a third trains.
"""
from __future__ import annotations

import inspect
import threading
import warnings

import numpy as np
import pytest
import torch

import minigrad
from test_errors import _plain, assert_same_value

# minigrad silences NumPy's RuntimeWarnings from its own modules at import (torch computes inf/NaN silently);
# pytest drops filters installed while it collects, so the same filter is restated for these tests.
pytestmark = pytest.mark.filterwarnings("ignore::RuntimeWarning:minigrad")

# ----------------------------------------------------------------------------------------------
# Scenarios: each returns the gradients; the line marked "# FORWARD" creates the node that yields NaN
# ----------------------------------------------------------------------------------------------
def sqrt_of_zero(m):
    x = m.tensor([0.0, 4.0], requires_grad=True)
    y = x.sqrt()  # FORWARD
    (y * 0).sum().backward()
    return x.grad


def relu_then_sqrt(m):
    x = m.tensor([-1.0, 4.0], requires_grad=True)
    h = x.relu()
    z = h.sqrt()  # FORWARD
    (z * 0).sum().backward()
    return x.grad


def div_self(m):
    x = m.tensor([0.0, 1.0], requires_grad=True)
    y = x / x  # FORWARD
    y.sum().backward()
    return x.grad


def pow_half_grad(m):
    x = m.tensor([0.0, 1.0], requires_grad=True)
    g, = m.autograd.grad((x ** 0.5 * 0).sum(), x)  # FORWARD
    return g


def create_graph(m):
    x = m.tensor([0.0, 4.0], requires_grad=True)
    y = x.sqrt()  # FORWARD
    g, = m.autograd.grad((y * 0).sum(), x, create_graph=True)
    return g


def nan_constant_operand(m):
    x = m.tensor([1.0, 2.0], requires_grad=True)
    w = m.tensor([float("nan"), 1.0])
    y = x * w  # FORWARD
    y.sum().backward()
    return x.grad


def nan_seed_gradient(m):
    x = m.tensor([1.0, 2.0], requires_grad=True)
    s = (x * 2).sum()  # FORWARD
    s.backward(m.tensor(float("nan")))
    return x.grad


def hook_returns_nan(m):
    x = m.tensor([1.0], requires_grad=True)
    y = x * 2  # FORWARD
    y.register_hook(lambda g: g * float("nan"))
    y.sum().backward()
    return x.grad


def custom_function(m):
    class Bad(m.autograd.Function):
        @staticmethod
        def forward(ctx, a):
            return a * 2

        @staticmethod
        def backward(ctx, g):
            return g * float("nan")

    x = m.tensor([1.0], requires_grad=True)
    y = Bad.apply(x)  # FORWARD
    y.sum().backward()
    return x.grad


def linear_inf_weight(m):
    x = m.tensor([[1.0, 2.0]], requires_grad=True)
    w = m.tensor([[float("inf"), 1.0]])
    y = m.nn.functional.linear(x, w)  # FORWARD
    (y * 0).sum().backward()
    return x.grad


def log_softmax_all_minus_inf(m):
    x = m.tensor([[float("-inf"), float("-inf")]], requires_grad=True)
    y = m.nn.functional.log_softmax(x, dim=1)  # FORWARD
    y.sum().backward()
    return x.grad


NAN_SCENARIOS = [sqrt_of_zero, relu_then_sqrt, div_self, pow_half_grad, create_graph, nan_constant_operand,
                 nan_seed_gradient, hook_returns_nan, custom_function, linear_inf_weight, log_softmax_all_minus_inf]


def forward_only_nan(m):
    """NaN in the forward pass only: log(-1) masked by where; no backward formula returns NaN."""
    x = m.tensor([-1.0, 2.0], requires_grad=True)
    y = m.where(x > 0, x.log(), m.zeros(2))
    y.sum().backward()
    return x.grad


def inf_gradient_is_not_nan(m):
    x = m.tensor([0.0, 4.0], requires_grad=True)
    x.sqrt().sum().backward()     # grad inf at 0: not an anomaly
    return x.grad


CLEAN_SCENARIOS = [forward_only_nan, inf_gradient_is_not_nan]


def _forward_line(fn):
    lines, start = inspect.getsourcelines(fn)
    for k, text in enumerate(lines):
        if "# FORWARD" in text:
            return start + k
    raise AssertionError(fn.__name__)


MODES = {
    "set_detect_anomaly(True)": lambda m: _global_mode(m),
    "with set_detect_anomaly(True)": lambda m: m.autograd.set_detect_anomaly(True),
    "with detect_anomaly()": lambda m: m.autograd.detect_anomaly(),
}


class _global_mode:
    """``set_detect_anomaly(True)`` called as a function, then switched back off."""

    def __init__(self, m):
        self.m = m

    def __enter__(self):
        self.m.autograd.set_detect_anomaly(True)

    def __exit__(self, *exc):
        self.m.autograd.set_detect_anomaly(False)
        return False


def _run(fn, m, mode):
    """(outcome, value or message, [warning texts])."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            if mode is None:
                result = ("ok", _plain(fn(m)))
            else:
                with MODES[mode](m):
                    result = ("ok", _plain(fn(m)))
        except Exception as e:  # noqa: BLE001
            result = (type(e), str(e))
    return result + ([str(w.message) for w in caught],)


@pytest.mark.parametrize("mode", list(MODES))
@pytest.mark.parametrize("fn", NAN_SCENARIOS, ids=lambda f: f.__name__)
def test_nan_in_backward_raises_naming_node_and_forward_line(fn, mode):
    t_kind, t_msg, t_warn = _run(fn, torch, mode)
    m_kind, m_msg, m_warn = _run(fn, minigrad, mode)
    assert t_kind is RuntimeError, (t_kind, t_msg)
    assert m_kind is RuntimeError, f"minigrad: {m_kind}: {m_msg}\ntorch: {t_msg}"
    first = t_msg.splitlines()[0]
    assert first.startswith("Function '") and "returned nan values in its" in first, t_msg
    assert m_msg.splitlines()[0] == first, f"\n torch:    {first!r}\n minigrad: {m_msg.splitlines()[0]!r}"
    # the forward line: torch's "Error detected in ..." warning has it; minigrad's message (or a warning)
    here = f'{__file__}", line {_forward_line(fn)}'
    assert any(here in w for w in t_warn), "sanity: torch's traceback warning names the forward line"
    assert here in m_msg or any(here in w for w in m_warn), \
        f"minigrad does not point at {here}:\n{m_msg}\n{m_warn}"
    # and the mode is off again afterwards
    assert not minigrad.autograd.is_anomaly_enabled()


@pytest.mark.parametrize("fn", NAN_SCENARIOS + CLEAN_SCENARIOS, ids=lambda f: f.__name__)
def test_anomaly_off_no_error_same_grads(fn):
    t_kind, t_val, _ = _run(fn, torch, None)
    m_kind, m_val, _ = _run(fn, minigrad, None)
    assert t_kind == "ok", t_val
    assert m_kind == "ok", m_val
    assert_same_value(m_val, t_val)


@pytest.mark.parametrize("mode", list(MODES))
@pytest.mark.parametrize("fn", CLEAN_SCENARIOS, ids=lambda f: f.__name__)
def test_no_false_positive(fn, mode):
    t_kind, t_val, _ = _run(fn, torch, mode)
    m_kind, m_val, _ = _run(fn, minigrad, mode)
    assert t_kind == "ok" and m_kind == "ok", (t_val, m_val)
    assert_same_value(m_val, t_val)


def test_mode_state_nesting_and_restore():
    def f(m):
        seen = []
        with m.autograd.detect_anomaly():
            seen.append(m.is_anomaly_enabled() if m is torch else m.autograd.is_anomaly_enabled())
            with m.autograd.set_detect_anomaly(False):
                seen.append(m.is_anomaly_enabled() if m is torch else m.autograd.is_anomaly_enabled())
            seen.append(m.is_anomaly_enabled() if m is torch else m.autograd.is_anomaly_enabled())
        seen.append(m.is_anomaly_enabled() if m is torch else m.autograd.is_anomaly_enabled())
        try:
            with m.autograd.detect_anomaly():
                raise KeyError("inside")
        except KeyError:
            pass
        seen.append(m.is_anomaly_enabled() if m is torch else m.autograd.is_anomaly_enabled())
        return seen
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        assert f(minigrad) == f(torch) == [True, False, True, False, False]


def test_error_leaves_graph_usable_state():
    """After an anomaly error, anomaly mode is off again and a clean backward works."""
    with pytest.raises(RuntimeError, match="returned nan values"):
        with minigrad.autograd.detect_anomaly():
            sqrt_of_zero(minigrad)
    assert not minigrad.autograd.is_anomaly_enabled()
    x = minigrad.tensor([1.0, 4.0], requires_grad=True)
    x.sqrt().sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), [0.5, 0.25])


@pytest.mark.parametrize("how", ["set_detect_anomaly", "detect_anomaly"])
def test_check_nan_false_does_not_raise(how):
    def f(m):
        ctx = (m.autograd.set_detect_anomaly(True, check_nan=False) if how == "set_detect_anomaly"
               else m.autograd.detect_anomaly(check_nan=False))
        with ctx:
            return sqrt_of_zero(m)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        t = _plain(f(torch))
        assert_same_value(_plain(f(minigrad)), t)


def test_top_level_anomaly_queries():
    assert minigrad.is_anomaly_enabled() is torch.is_anomaly_enabled() is False
    assert minigrad.is_anomaly_check_nan_enabled() is torch.is_anomaly_check_nan_enabled() is True


def test_detect_anomaly_warns_like_torch():
    for m in (torch, minigrad):
        with pytest.warns(UserWarning, match="Anomaly Detection has been enabled"):
            with m.autograd.detect_anomaly():
                pass


def test_log_softmax_is_one_node_like_torch():
    for m in (torch, minigrad):
        x = m.ones(2, 3, requires_grad=True)
        names = (type(m.nn.functional.log_softmax(x, 1).grad_fn).__name__,
                 type(m.nn.functional.softmax(x, 1).grad_fn).__name__)
        assert names == ("LogSoftmaxBackward0", "SoftmaxBackward0"), (m.__name__, names)


def test_anomaly_mode_is_process_wide_like_torch():
    def seen_by_thread(m):
        out = {}

        def worker():
            out["enabled"] = m.is_anomaly_enabled() if m is torch else m.autograd.is_anomaly_enabled()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            with m.autograd.detect_anomaly():
                t = threading.Thread(target=worker)
                t.start()
                t.join()
        return out["enabled"]
    assert seen_by_thread(torch) is True
    assert seen_by_thread(minigrad) is True


# ----------------------------------------------------------------------------------------------
# Threads: grad mode is thread-local
# ----------------------------------------------------------------------------------------------
def test_grad_mode_thread_local_stress():
    """Two threads toggle no_grad / set_grad_enabled as fast as they can while a third trains a small MLP."""
    stop = threading.Event()
    errors = []
    toggles = [0, 0]

    def toggler(k):
        try:
            while not stop.is_set():
                assert minigrad.is_grad_enabled()
                with minigrad.no_grad():
                    assert not minigrad.is_grad_enabled()
                    y = minigrad.ones(2, requires_grad=True) * 2
                    assert y.grad_fn is None and not y.requires_grad
                    with minigrad.enable_grad():
                        assert minigrad.is_grad_enabled()
                    assert not minigrad.is_grad_enabled()
                minigrad.set_grad_enabled(False)
                assert not minigrad.is_grad_enabled()
                minigrad.set_grad_enabled(True)
                toggles[k] += 1
        except BaseException as e:  # noqa: BLE001
            errors.append(("toggler", k, repr(e)))
            stop.set()

    rng = np.random.default_rng(0)
    X = minigrad.tensor(rng.standard_normal((8, 5)).astype(np.float32))
    Y = minigrad.tensor(rng.integers(0, 3, 8))
    model = minigrad.nn.Sequential(minigrad.nn.Linear(5, 8), minigrad.nn.ReLU(), minigrad.nn.Linear(8, 3))
    opt = minigrad.optim.SGD(model.parameters(), lr=0.1)
    losses = []

    def trainer():
        try:
            for _ in range(300):
                assert minigrad.is_grad_enabled()
                opt.zero_grad()
                loss = minigrad.nn.functional.cross_entropy(model(X), Y)
                assert loss.grad_fn is not None and loss.requires_grad
                loss.backward()
                assert all(p.grad is not None for p in model.parameters())
                opt.step()
                losses.append(loss.item())
        except BaseException as e:  # noqa: BLE001
            errors.append(("trainer", repr(e)))
        finally:
            stop.set()

    threads = [threading.Thread(target=toggler, args=(k,)) for k in range(2)] + [threading.Thread(target=trainer)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert not any(t.is_alive() for t in threads), "a thread hung"
    assert not errors, errors
    assert len(losses) == 300 and losses[-1] < losses[0], (losses[0], losses[-1])
    assert min(toggles) > 0, toggles
    assert minigrad.is_grad_enabled()


def test_grad_mode_in_thread_does_not_leak_back():
    def f(m):
        seen = {}

        def worker():
            m.set_grad_enabled(False)
            seen["worker"] = m.is_grad_enabled()
        t = threading.Thread(target=worker)
        t.start()
        t.join()
        return seen["worker"], m.is_grad_enabled()
    assert f(minigrad) == f(torch) == (False, True)
