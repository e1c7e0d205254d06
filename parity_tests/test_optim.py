"""minigrad.optim against torch.optim: same model, same initial weights, same batches, N steps.

Two kinds of runs:

* model runs: a small MLP written with raw parameter tensors (matmul, tanh,
  mean), trained for a few steps in each framework; the optimizer sees each
  framework's own gradients, so this checks the whole training loop.
* injected-gradient runs: a fixed sequence of gradients is assigned to
  ``p.grad`` in both frameworks, so the optimizers see identical inputs and
  can be compared over wide hyperparameter ranges (isolates the update rule
  and torch's operation order).

Tolerances: float64 1e-10 abs, float32 1e-5 abs.
"""
from __future__ import annotations

import copy
import warnings

import numpy as np
import pytest
from hypothesis import given, strategies as st

from frameworks import MG_IS_TORCH, mg, to_np, torch

TOL = {np.float64: 1e-10, np.float32: 1e-5}
RTOL_STATE = {np.float64: 1e-9, np.float32: 1e-5}    # moment estimates can be large (g**2 with g ~ 30)
DTYPES = [np.float64, np.float32]
SHAPES = [(4, 6), (6,), (6, 3), (3,)]          # W1, b1, W2, b2 of a 4-6-3 MLP
N_BATCH = 5


# ----------------------------------------------------------------- helpers --
def initial_weights(dtype, seed=0):
    rng = np.random.default_rng(seed)
    return [(rng.standard_normal(s) * 0.5).astype(dtype) for s in SHAPES]


def batches(dtype, n, seed=1):
    rng = np.random.default_rng(seed)
    return [(rng.standard_normal((N_BATCH, 4)).astype(dtype), rng.standard_normal((N_BATCH, 3)).astype(dtype))
            for _ in range(n)]


def make_params(lib, weights, device="cpu"):
    kw = {"device": device} if lib is mg else {}
    return [lib.tensor(w.copy(), requires_grad=True, **kw) for w in weights]


def forward_loss(lib, params, x, y, sign=1.0):
    w1, b1, w2, b2 = params[:4]
    h = (x @ w1 + b1).tanh()
    out = h @ w2 + b2
    return ((out - y) ** 2).mean() * sign


def train(lib, opt_cls_name, kwargs, weights, data, extra_unused=False, groups=None):
    """Train the MLP; returns (params, optimizer)."""
    params = make_params(lib, weights)
    if extra_unused:                       # a parameter that never gets a gradient
        params.append(lib.tensor(np.ones(3, dtype=weights[0].dtype), requires_grad=True))
    opt_cls = getattr(lib.optim, opt_cls_name)
    if groups is None:
        opt = opt_cls(params, **kwargs)
    else:
        opt = opt_cls([dict(params=[params[i] for i in idx], **g) for idx, g in groups], **kwargs)
    sign = -1.0 if kwargs.get("maximize") else 1.0     # maximize -MSE: training stays stable
    for xb, yb in data:
        opt.zero_grad()
        loss = forward_loss(lib, params, lib.tensor(xb), lib.tensor(yb), sign)
        loss.backward()
        opt.step()
    return params, opt


def inject(lib, opt_cls_name, kwargs, weights, grads, device="cpu"):
    """Step an optimizer over a fixed sequence of gradients (lists of arrays, None = no grad)."""
    params = make_params(lib, weights, device)
    opt = getattr(lib.optim, opt_cls_name)(params, **kwargs)
    kw = {"device": device} if lib is mg else {}
    for step_grads in grads:
        for p, g in zip(params, step_grads):
            p.grad = None if g is None else lib.tensor(g, **kw)
        opt.step()
    return params, opt


def assert_params_close(got, want, dtype):
    for g, w in zip(got, want):
        a, b = to_np(g), to_np(w)
        assert a.dtype == b.dtype == dtype
        np.testing.assert_allclose(a, b, rtol=0, atol=TOL[dtype])


def assert_state_close(mg_opt, t_opt, dtype):
    """state_dict structure equal to torch's: same keys, step counts, param_groups; values close."""
    ms, ts = mg_opt.state_dict(), t_opt.state_dict()
    assert ms.keys() == ts.keys() == {"state", "param_groups"}
    assert list(ms["state"].keys()) == list(ts["state"].keys())
    for k in ts["state"]:
        assert list(ms["state"][k].keys()) == list(ts["state"][k].keys())
        for name, tv in ts["state"][k].items():
            mv = ms["state"][k][name]
            if name == "step":
                assert str(mv.dtype).split(".")[-1] == str(tv.dtype).split(".")[-1]
                assert mv.item() == tv.item()
                assert mv.ndim == 0
            else:
                assert to_np(mv).dtype == to_np(tv).dtype == dtype
                np.testing.assert_allclose(to_np(mv), to_np(tv), rtol=RTOL_STATE[dtype], atol=TOL[dtype] * 10)
    assert ms["param_groups"] == ts["param_groups"]


# ------------------------------------------------------ strategies (hyper) --
lr = st.floats(1e-4, 0.3)
wd = st.sampled_from([0.0]) | st.floats(1e-4, 0.5)
dtype_st = st.sampled_from(DTYPES)
steps_st = st.integers(1, 8)


@st.composite
def sgd_kwargs(draw, lr=lr):
    nesterov = draw(st.booleans())
    momentum = draw(st.floats(0.05, 0.95)) if nesterov else draw(st.sampled_from([0.0]) | st.floats(0.05, 0.95))
    dampening = 0.0 if nesterov else draw(st.sampled_from([0.0]) | st.floats(0.0, 0.9))
    return dict(lr=draw(lr), momentum=momentum, dampening=dampening, weight_decay=draw(wd), nesterov=nesterov,
                maximize=draw(st.booleans()))


@st.composite
def adam_kwargs(draw, lr=st.floats(1e-4, 0.01), beta2=st.floats(0.9, 0.9999), decoupled=False):
    # Adam and RMSprop scale each step to ~lr whatever the gradient's size, so a gradient component that is
    # small (a cancelling sum, known to a few ulps relative) still moves its parameter by ~lr with that
    # relative error: model runs keep their usual lr <= 1e-2 so float32 stays within 1e-5.
    # A small beta2 makes Adam a sign method (step ~ lr * m/|g|), discontinuous where g crosses 0: with each
    # framework's own (ulp-different) model gradients that is ill-conditioned, so model runs keep Adam's
    # usual regime; injected-gradient runs (identical inputs) cover lr up to 2 and beta2 down to 0.
    kw = dict(lr=draw(lr), betas=(draw(st.floats(0.0, 0.99)), draw(beta2)),
              eps=draw(st.sampled_from([1e-8, 1e-6, 1e-3])), weight_decay=draw(wd), amsgrad=draw(st.booleans()),
              maximize=draw(st.booleans()))
    if kw["betas"][1] < 0.5 and not decoupled:
        kw["weight_decay"] = 0.0     # L2 decay with beta2 ~ 0: the step ~ m/|g + wd*p| cancels as p drifts
    return kw


@st.composite
def rmsprop_kwargs(draw, lr=st.floats(1e-4, 0.01), small_alpha=False):
    # centered RMSprop divides by sqrt(E[g^2] - E[g]^2): with a small alpha that difference cancels
    # catastrophically (alpha=0: exactly), and torch's fused multiply-add (AVX2 addcmul) rounds it differently
    # from NumPy's separate multiply and add.  Parity is only meaningful where the update is well conditioned.
    # Without centering, a small alpha makes the step ~ g / (|g| + eps): where |g| ~ eps it turns the
    # last-bit differences between two frameworks' computed gradients (matmul summation order) into
    # percent-level step differences (seen: alpha=6e-8, 2.5% in one momentum entry after 6 steps).  So
    # small alphas are drawn only where both frameworks get identical gradients (``small_alpha``).
    centered = draw(st.booleans())
    alpha = draw(st.floats(0.0, 0.999) if small_alpha and not centered else st.floats(0.5, 0.999))
    # Likewise a small alpha with L2 decay: the step ~ g'/|g'| with g' = g + wd*p, which torch computes
    # with one rounding (FMA) and NumPy with two, cancels where p has drifted to -g/wd.
    weight_decay = draw(wd) if alpha >= 0.5 else 0.0
    return dict(lr=draw(lr), alpha=alpha, eps=draw(st.sampled_from([1e-8, 1e-6, 1e-3])),
                weight_decay=weight_decay, momentum=draw(st.sampled_from([0.0]) | st.floats(0.05, 0.9)),
                centered=centered, maximize=draw(st.booleans()))


KWARGS = {"SGD": sgd_kwargs(), "Adam": adam_kwargs(), "AdamW": adam_kwargs(decoupled=True),
          "RMSprop": rmsprop_kwargs()}
WIDE = {"SGD": sgd_kwargs(lr=st.floats(1e-4, 5.0)),
        "Adam": adam_kwargs(lr=st.floats(1e-4, 2.0), beta2=st.floats(0.0, 0.9999)),
        "AdamW": adam_kwargs(lr=st.floats(1e-4, 2.0), beta2=st.floats(0.0, 0.9999), decoupled=True),
        "RMSprop": rmsprop_kwargs(lr=st.floats(1e-4, 1.0), small_alpha=True)}
NAMES = list(KWARGS)


# ================================================================= parity ==
@pytest.mark.parametrize("name", NAMES)
@given(data=st.data(), dtype=dtype_st, steps=steps_st)
def test_model_training_matches_torch(name, data, dtype, steps):
    kwargs = data.draw(KWARGS[name], label="kwargs")
    weights, batch_list = initial_weights(dtype), batches(dtype, steps)
    mp, mo = train(mg, name, kwargs, weights, batch_list)
    tp, to = train(torch, name, kwargs, weights, batch_list)
    assert_params_close(mp, tp, dtype)
    assert_state_close(mo, to, dtype)


@pytest.mark.parametrize("name", NAMES)
@given(data=st.data(), dtype=dtype_st, steps=st.integers(1, 12), seed=st.integers(0, 2**16))
def test_injected_gradients_match_torch(name, data, dtype, steps, seed):
    """Identical gradients each step, wide hyperparameter ranges, some gradients None (skipped)."""
    kwargs = data.draw(WIDE[name], label="kwargs")
    rng = np.random.default_rng(seed)
    weights = initial_weights(dtype, seed)
    grads = [[None if rng.random() < 0.15 else (rng.standard_normal(s) * rng.choice([1e-3, 1.0, 30.0])
                                                  ).astype(dtype) for s in SHAPES] for _ in range(steps)]
    mp, mo = inject(mg, name, kwargs, weights, grads)
    tp, to = inject(torch, name, kwargs, weights, grads)
    for g, w in zip(mp, tp):       # relative to the parameter's scale: big lr * many steps move far
        scale = max(1.0, float(np.abs(to_np(w)).max()))
        np.testing.assert_allclose(to_np(g), to_np(w), rtol=0, atol=TOL[dtype] * scale)
    assert_state_close(mo, to, dtype)


@pytest.mark.parametrize("name,kwargs", [
    ("SGD", dict(lr=0.1, momentum=0.9, nesterov=True, weight_decay=0.01)),
    ("Adam", dict(lr=0.05, amsgrad=True, betas=(0.3, 0.6))),      # beta1 <= 0.5: lerp's other branch
    ("RMSprop", dict(lr=0.01, centered=True, momentum=0.5, alpha=0.3))])
def test_other_devices(name, kwargs, device):
    """The update code is array-API clean: the strict device (array_api_strict) gives the same numbers."""
    dtype = np.float64
    rng = np.random.default_rng(0)
    weights = initial_weights(dtype)
    grads = [[rng.standard_normal(s).astype(dtype) for s in SHAPES] for _ in range(4)]
    mg.zeros(1, device=device)      # registers the device's dtypes (core issue: tensor(np, device='strict') fails)
    mp, _ = inject(mg, name, kwargs, weights, grads, device=device)
    tp, _ = inject(torch, name, kwargs, weights, grads)
    assert_params_close(mp, tp, dtype)
    assert all(str(p.device).startswith(device) for p in mp)


@pytest.mark.parametrize("name", NAMES)
@pytest.mark.parametrize("dtype", DTYPES)
def test_default_hyperparameters(name, dtype):
    """Constructor defaults (SGD lr=1e-3, AdamW weight_decay=1e-2, RMSprop lr=1e-2 ...) as torch's."""
    weights, data = initial_weights(dtype), batches(dtype, 5)
    mp, mo = train(mg, name, {}, weights, data)
    tp, to = train(torch, name, {}, weights, data)
    assert_params_close(mp, tp, dtype)
    assert mo.defaults == to.defaults
    assert repr(mo) == repr(to)


# =========================================================== semantics ==
@pytest.mark.parametrize("name", NAMES)
def test_params_without_grad_are_skipped(name):
    dtype = np.float64
    kwargs = {"SGD": dict(lr=0.1, momentum=0.9)}.get(name, {})
    weights, data = initial_weights(dtype), batches(dtype, 3)
    mp, mo = train(mg, name, kwargs, weights, data, extra_unused=True)
    tp, to = train(torch, name, kwargs, weights, data, extra_unused=True)
    assert mp[-1].grad is None
    np.testing.assert_array_equal(to_np(mp[-1]), np.ones(3))
    assert mp[-1] not in mo.state
    assert_params_close(mp, tp, dtype)
    assert_state_close(mo, to, dtype)


@pytest.mark.parametrize("name", NAMES)
@pytest.mark.parametrize("dtype", DTYPES)
def test_param_groups_with_different_options(name, dtype):
    groups = [((0, 1), dict(lr=0.05)), ((2, 3), dict(lr=0.2, weight_decay=0.1))]
    if name == "SGD":
        groups[1][1]["momentum"] = 0.5
    weights, data = initial_weights(dtype), batches(dtype, 6)
    mp, mo = train(mg, name, dict(lr=0.01), weights, data, groups=groups)
    tp, to = train(torch, name, dict(lr=0.01), weights, data, groups=groups)
    assert_params_close(mp, tp, dtype)
    assert_state_close(mo, to, dtype)
    assert repr(mo) == repr(to)


def test_add_param_group_later():
    dtype = np.float64
    results = []
    for lib in (mg, torch):
        params = make_params(lib, initial_weights(dtype))
        opt = lib.optim.SGD(params[:2], lr=0.1, momentum=0.9)
        for i, (xb, yb) in enumerate(batches(dtype, 6)):
            if i == 3:
                opt.add_param_group({"params": params[2:], "lr": 0.01})
            opt.zero_grad()
            forward_loss(lib, params, lib.tensor(xb), lib.tensor(yb)).backward()
            opt.step()
        results.append((params, opt))
    assert_params_close(results[0][0], results[1][0], dtype)
    assert_state_close(results[0][1], results[1][1], dtype)


def test_update_is_in_place_and_leaves_grad_alone():
    p = mg.tensor([1.0, 2.0], requires_grad=True)
    opt = mg.optim.Adam([p], lr=0.1, weight_decay=0.1)
    (p * p).sum().backward()
    grad, grad_values, version = p.grad, to_np(p.grad).copy(), p._version
    opt.step()
    assert p.is_leaf and p.requires_grad and p.grad_fn is None
    assert p.grad is grad
    np.testing.assert_array_equal(to_np(p.grad), grad_values)
    assert p._version > version
    assert opt.state[p]["exp_avg"].dtype == p.dtype
    assert not opt.state[p]["exp_avg"].requires_grad


@pytest.mark.parametrize("dtype", DTYPES)
def test_state_dtypes_follow_parameters(dtype):
    for lib in (mg, torch):
        p = lib.tensor(np.ones(3, dtype), requires_grad=True)
        for cls, kw in ((lib.optim.Adam, dict(amsgrad=True)), (lib.optim.RMSprop, dict(momentum=0.1, centered=True)),
                        (lib.optim.SGD, dict(momentum=0.9))):
            opt = cls([p], **kw)
            p.grad = lib.tensor(np.ones(3, dtype))
            opt.step()
            for key, v in opt.state[p].items():
                want = {np.float64: "float64", np.float32: "float32"}[dtype] if key != "step" else "float32"
                assert str(v.dtype).split(".")[-1] == want, (lib.__name__, cls.__name__, key)


def test_closure_runs_with_grad_and_step_returns_its_loss():
    w = mg.tensor([1.0, -2.0], requires_grad=True)
    opt = mg.optim.SGD([w], lr=0.1)
    seen = []

    def closure():
        opt.zero_grad()
        loss = (w * w).sum()
        seen.append(mg.is_grad_enabled())
        loss.backward()
        return loss

    with mg.no_grad():
        loss = opt.step(closure)
    assert seen == [True]
    assert loss.item() == 5.0
    np.testing.assert_allclose(to_np(w), [0.8, -1.6])
    assert opt.step() is None


def test_zero_grad():
    for lib in (mg, torch):
        p = lib.tensor([1.0, 2.0], requires_grad=True)
        opt = lib.optim.SGD([p], lr=0.1)
        (p * 3).sum().backward()
        g = p.grad
        opt.zero_grad(set_to_none=False)
        assert p.grad is g and to_np(p.grad).tolist() == [0.0, 0.0]
        opt.zero_grad()
        assert p.grad is None


# ============================================================== errors ==
def _ctor_cases(lib):
    p = lib.tensor([1.0], requires_grad=True)
    q = lib.tensor([2.0], requires_grad=True)
    o = lib.optim
    return [
        lambda: o.SGD([p], lr=-1),
        lambda: o.SGD([p], lr=0.1, momentum=-0.5),
        lambda: o.SGD([p], lr=0.1, weight_decay=-1e-3),
        lambda: o.SGD([p], lr=0.1, nesterov=True),
        lambda: o.SGD([p], lr=0.1, momentum=0.9, dampening=0.1, nesterov=True),
        lambda: o.SGD([], lr=0.1),
        lambda: o.SGD(p, lr=0.1),
        lambda: o.SGD([p, 3.0], lr=0.1),
        lambda: o.SGD([{"params": [p]}, {"params": [p, q]}], lr=0.1),
        lambda: o.SGD([p * 2], lr=0.1),
        lambda: o.SGD([{"params": {p, q}}], lr=0.1),
        lambda: o.Adam([p], lr=-1),
        lambda: o.Adam([p], eps=-1.0),
        lambda: o.Adam([p], betas=(1.0, 0.999)),
        lambda: o.Adam([p], betas=(0.9, -0.1)),
        lambda: o.Adam([p], weight_decay=-1.0),
        lambda: o.AdamW([p], lr=-0.5),
        lambda: o.RMSprop([p], lr=-1),
        lambda: o.RMSprop([p], alpha=-0.1),
        lambda: o.RMSprop([p], eps=-1.0),
        lambda: o.RMSprop([p], momentum=-1.0),
        lambda: o.RMSprop([p], weight_decay=-1.0),
    ]


@pytest.mark.parametrize("case", range(len(_ctor_cases(torch))))
def test_constructor_errors_match_torch(case):
    def outcome(lib):
        try:
            _ctor_cases(lib)[case]()
        except Exception as e:           # noqa: BLE001 - comparing whatever torch raises
            return type(e).__name__, str(e).replace("torch.", "").replace("minigrad.", "")
        return None
    want = outcome(torch)
    assert want is not None
    assert outcome(mg) == want


def test_duplicate_params_in_group_warn():
    for lib in (mg, torch):
        p = lib.tensor([1.0], requires_grad=True)
        with pytest.warns(UserWarning, match="duplicate parameters"):
            lib.optim.SGD([p, p], lr=0.1)


def test_load_state_dict_errors():
    for lib in (mg, torch):
        a, b = (lib.tensor([1.0], requires_grad=True) for _ in range(2))
        sd = lib.optim.SGD([a, b], lr=0.1).state_dict()
        with pytest.raises(ValueError, match="doesn't match the size of optimizer's group"):
            lib.optim.SGD([a], lr=0.1).load_state_dict(sd)
        with pytest.raises(ValueError, match="different number of parameter groups"):
            lib.optim.SGD([{"params": [a]}, {"params": [b]}], lr=0.1).load_state_dict(sd)


# ========================================================== state dict ==
def _resume(name, kwargs, dtype, k, m, via_file, tmp_path):
    weights, data = initial_weights(dtype), batches(dtype, k + m)
    full, _ = train(mg, name, kwargs, weights, data)

    params, opt = train(mg, name, kwargs, weights, data[:k])
    sd = opt.state_dict()
    if via_file:
        path = tmp_path / "opt.ckpt"
        save(sd, path)
        del opt, sd
        sd = load(path)
    resumed = make_params(mg, [to_np(p).copy() for p in params])       # fresh parameter objects
    opt2 = getattr(mg.optim, name)(resumed, **kwargs)
    opt2.load_state_dict(sd)
    for xb, yb in data[k:]:
        opt2.zero_grad()
        forward_loss(mg, resumed, mg.tensor(xb), mg.tensor(yb)).backward()
        opt2.step()
    for a, b in zip(resumed, full):
        np.testing.assert_array_equal(to_np(a), to_np(b))      # bit for bit: the same arithmetic
    return opt2


def _save_load():
    if MG_IS_TORCH:
        return torch.save, torch.load
    from minigrad.serialization import load, save
    return getattr(mg, "save", save), getattr(mg, "load", load)


save, load = _save_load()
RESUME_CASES = [("SGD", dict(lr=0.1, momentum=0.9, nesterov=True)), ("SGD", dict(lr=0.1)),
                ("Adam", dict(lr=0.01, amsgrad=True)), ("AdamW", dict(lr=0.01)),
                ("RMSprop", dict(lr=0.01, momentum=0.5, centered=True))]


@pytest.mark.parametrize("name,kwargs", RESUME_CASES)
@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("via_file", [False, True], ids=["memory", "file"])
def test_state_dict_round_trip_resumes_exactly(name, kwargs, dtype, via_file, tmp_path):
    opt2 = _resume(name, kwargs, dtype, k=3, m=4, via_file=via_file, tmp_path=tmp_path)
    if name != "SGD" or kwargs.get("momentum"):
        assert len(opt2.state) == 4


def test_state_dict_layout_matches_torch():
    dtype = np.float32
    weights, data = initial_weights(dtype), batches(dtype, 3)
    for name, kwargs in RESUME_CASES:
        _, mo = train(mg, name, kwargs, weights, data)
        _, to = train(torch, name, kwargs, weights, data)
        assert_state_close(mo, to, dtype)
        ms, ts = mo.state_dict(), to.state_dict()
        assert [list(g) for g in ms["param_groups"]] == [list(g) for g in ts["param_groups"]]  # key order
        if ts["state"] and "step" in ts["state"][0]:
            assert ms["state"][0]["step"].item() == 3.0


def test_loaded_state_is_cast_to_parameter_dtype():
    p64 = mg.tensor(np.ones(2), requires_grad=True)
    opt = mg.optim.Adam([p64])
    p64.grad = mg.tensor(np.ones(2))
    opt.step()
    sd = copy.deepcopy(opt.state_dict())
    p32 = mg.tensor(np.ones(2, np.float32), requires_grad=True)
    opt32 = mg.optim.Adam([p32])
    opt32.load_state_dict(sd)
    assert opt32.state[p32]["exp_avg"].dtype == mg.float32
    assert opt32.state[p32]["step"].dtype == mg.float32            # step is never cast


# ======================================================= lr_scheduler ==
@pytest.mark.parametrize("sched,kwargs", [("StepLR", dict(step_size=3, gamma=0.5)),
                                          ("MultiStepLR", dict(milestones=[2, 5, 5], gamma=0.1)),
                                          ("ExponentialLR", dict(gamma=0.9))])
def test_lr_schedulers_match_torch(sched, kwargs):
    lrs = []
    for lib in (mg, torch):
        p = lib.tensor([1.0], requires_grad=True)
        opt = lib.optim.SGD([{"params": [p]}, {"params": [lib.tensor([2.0], requires_grad=True)], "lr": 0.3}],
                            lr=0.1, momentum=0.9)
        s = getattr(lib.optim.lr_scheduler, sched)(opt, **kwargs)
        seen = []
        for _ in range(8):
            p.grad = lib.tensor([1.0])
            opt.step()
            s.step()
            seen.append(s.get_last_lr() + [g["lr"] for g in opt.param_groups])
        lrs.append((seen, repr(opt)))
    assert lrs[0] == lrs[1]


def test_lambda_lr_matches_torch():
    out = []
    for lib in (mg, torch):
        opt = lib.optim.Adam([lib.tensor([1.0], requires_grad=True)], lr=0.1)
        s = lib.optim.lr_scheduler.LambdaLR(opt, lambda epoch: 0.5 ** epoch)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")          # step() before optimizer.step(): torch warns
            for _ in range(4):
                s.step()
        out.append(s.get_last_lr())
    assert out[0] == out[1]


# ========================================================= with nn.Module ==
@pytest.mark.skipif(not all(hasattr(getattr(mg, "nn", None), n) for n in ("Linear", "Sequential", "ReLU")),
                    reason="minigrad.nn is not there yet")
@pytest.mark.parametrize("name,kwargs", [("SGD", dict(lr=0.1, momentum=0.9)), ("Adam", dict(lr=1e-2))])
def test_module_training_and_checkpoint(name, kwargs, tmp_path):
    """The tutorials' loop: model.parameters() into the optimizer, DataLoader batches, save/load both state dicts."""
    rng = np.random.default_rng(0)
    x, y = rng.random((96, 20), dtype=np.float32), rng.standard_normal((96, 5)).astype(np.float32)

    def build(lib, init=None):
        model = lib.nn.Sequential(lib.nn.Linear(20, 16), lib.nn.ReLU(), lib.nn.Linear(16, 5))
        if init is not None:
            with lib.no_grad():
                for p, w in zip(model.parameters(), init):
                    p.copy_(lib.tensor(w))
        return model, getattr(lib.optim, name)(model.parameters(), **kwargs)

    def epoch(lib, model, opt):
        dl = lib.utils.data.DataLoader(lib.utils.data.TensorDataset(lib.tensor(x), lib.tensor(y)), batch_size=16)
        for xb, yb in dl:
            opt.zero_grad()
            ((model(xb) - yb) ** 2).mean().backward()
            opt.step()

    init = [to_np(p).copy() for p in build(torch)[0].parameters()]
    (mm, mo), (tm, to) = build(mg, init), build(torch, init)
    epoch(mg, mm, mo)
    epoch(torch, tm, to)
    assert_params_close(list(mm.parameters()), list(tm.parameters()), np.float32)
    assert_state_close(mo, to, np.float32)

    save({"model": mm.state_dict(), "optimizer": mo.state_dict()}, tmp_path / "ckpt")
    ckpt = load(tmp_path / "ckpt")
    m2, o2 = build(mg)
    m2.load_state_dict(ckpt["model"])
    o2.load_state_dict(ckpt["optimizer"])
    for lib, model, opt in ((mg, mm, mo), (mg, m2, o2), (torch, tm, to)):
        epoch(lib, model, opt)
    for a, b in zip(m2.parameters(), mm.parameters()):
        np.testing.assert_array_equal(to_np(a), to_np(b))          # resumed == uninterrupted, bit for bit
    assert_params_close(list(m2.parameters()), list(tm.parameters()), np.float32)
