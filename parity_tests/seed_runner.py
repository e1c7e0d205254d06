"""Run a seed tutorial's code blocks, unchanged, under torch and under minigrad-as-torch.

The blocks of one tutorial share a namespace (as in a notebook).  After each
block, tensors the block drew at random are copied from the torch run into
the minigrad run, so both continue from the same weights; then both runs
must have succeeded or failed alike, and every tensor they both hold must
agree within the training tolerance.
"""
from __future__ import annotations

import ast
import contextlib
import io
import re
import sys
import types

import numpy as np
import torch

import minigrad
from torch_alias import aliased_torch

FENCE = re.compile(r"^```[a-zA-Z]*\n(.*?)^```", re.S | re.M)
RANDOM_CALLS = {"randn", "rand", "randint", "randn_like", "rand_like"}


def code_blocks(text: str) -> list[str]:
    return [b for b in FENCE.findall(text) if b.strip()]


def random_assignments(source: str) -> set[str]:
    """Names a block assigns from a random draw (``w = torch.randn(...) / 28``) or that build modules."""
    try:
        tree = ast.parse(source)
    except SyntaxError:
        return set()
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Assign):
            calls = {n.func.attr if isinstance(n.func, ast.Attribute) else getattr(n.func, "id", "")
                     for n in ast.walk(node.value) if isinstance(n, ast.Call)}
            if calls & RANDOM_CALLS or any(c[:1].isupper() for c in calls):   # Net(), nn.Linear(...)
                names |= {t.id for t in node.targets if isinstance(t, ast.Name)}
    return names


def _run(code, ns, out):
    try:
        with contextlib.redirect_stdout(out):
            exec(code, ns)
        return None
    except Exception as e:  # noqa: BLE001 - the class is compared
        return f"{type(e).__name__}: {e}"


def _sync(name, t_val, m_val):
    """Give minigrad's object torch's random values (in place, so identity and flags stay)."""
    if isinstance(t_val, torch.Tensor) and isinstance(m_val, minigrad.Tensor):
        with minigrad.no_grad():
            m_val.copy_(minigrad.tensor(t_val.detach().numpy()))
    elif isinstance(t_val, torch.nn.Module) and hasattr(m_val, "load_state_dict"):
        m_val.load_state_dict({k: minigrad.tensor(v.detach().numpy()) for k, v in t_val.state_dict().items()})


def _stub_modules(fake_data):
    """Stand-ins for what the tutorials import but the tests cannot use (network, notebooks, plots)."""
    noop = lambda *a, **k: None  # noqa: E731
    pyplot = types.SimpleNamespace(imshow=noop, show=noop, title=noop, plot=noop, figure=noop)
    mods = {
        "requests": types.SimpleNamespace(get=lambda *a, **k: (_ for _ in ()).throw(
            RuntimeError("the test must not download"))),
        "matplotlib": types.SimpleNamespace(pyplot=pyplot),
        "matplotlib.pyplot": pyplot,
        "IPython": types.SimpleNamespace(),
        "IPython.core": types.SimpleNamespace(),
        "IPython.core.debugger": types.SimpleNamespace(set_trace=noop),
    }
    if fake_data is not None:
        keras = types.SimpleNamespace(datasets=types.SimpleNamespace(
            mnist=types.SimpleNamespace(load_data=lambda: fake_data)))
        mods["tensorflow"] = types.SimpleNamespace(keras=keras)
    return mods


@contextlib.contextmanager
def _modules(mods):
    saved = {k: sys.modules.get(k) for k in mods}
    sys.modules.update(mods)
    try:
        yield
    finally:
        for k, v in saved.items():
            if v is None:
                sys.modules.pop(k, None)
            else:
                sys.modules[k] = v


def run_both(text: str, fake_keras_data=None, preamble=""):
    """Run every block in both frameworks, statement by statement.

    Statements run alternately in the two namespaces so that a random draw
    can be copied from torch to minigrad before anything uses it.  Returns
    ``[(block, torch_error, minigrad_error, torch_stdout, minigrad_stdout)]``
    (errors are None when the block ran) and both namespaces.
    """
    t_ns, m_ns = {"__name__": "__seed__"}, {"__name__": "__seed__"}
    torch.manual_seed(0)     # torch's draws are copied to minigrad: seeded, a run does not depend on test order
    results = []
    with _modules(_stub_modules(fake_keras_data)):
        for block in ([preamble] if preamble else []) + code_blocks(text):
            t_out, m_out = io.StringIO(), io.StringIO()
            try:
                statements = ast.parse(block).body
            except SyntaxError as e:
                err = f"SyntaxError: {e.msg}"
                results.append((block, err, err, "", ""))
                continue
            t_err = m_err = None
            for stmt in statements:
                code = compile(ast.Module([stmt], type_ignores=[]), "<seed block>", "exec")
                if t_err is None:
                    t_err = _run(code, t_ns, t_out)
                if m_err is None:
                    with aliased_torch():
                        m_err = _run(code, m_ns, m_out)
                for name in random_assignments(ast.unparse(stmt)):
                    if name in t_ns and name in m_ns:
                        _sync(name, t_ns[name], m_ns[name])
            results.append((block, t_err, m_err, t_out.getvalue(), m_out.getvalue()))
    return results, t_ns, m_ns


def compare_namespaces(t_ns, m_ns, atol=1e-5, rtol=1e-5):
    """Every tensor held under the same name in both runs agrees; returns the names compared."""
    compared = []
    for name, t_val in t_ns.items():
        m_val = m_ns.get(name)
        if isinstance(t_val, torch.Tensor) and isinstance(m_val, minigrad.Tensor):
            t_arr, m_arr = t_val.detach().numpy(), m_val.detach().numpy()
            assert t_arr.shape == m_arr.shape, name
            assert str(t_val.dtype).split(".")[-1] == str(m_val.dtype).split(".")[-1], name
            np.testing.assert_allclose(m_arr, t_arr, atol=atol, rtol=rtol, err_msg=name)
            compared.append(name)
            if t_val.is_leaf and t_val.grad is not None:
                assert m_val.grad is not None, f"{name}.grad"
                np.testing.assert_allclose(m_val.grad.numpy(), t_val.grad.numpy(), atol=atol, rtol=rtol,
                                           err_msg=f"{name}.grad")
                compared.append(f"{name}.grad")
    return compared
