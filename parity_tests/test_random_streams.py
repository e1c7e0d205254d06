"""Same seed, same numbers: minigrad's random streams against torch's CPU streams.

Every draw must equal torch's bit for bit (the float32 normal kernel too), and
the generator's 5056-byte state must equal torch's afterwards, so states
interchange between the two libraries.
"""

from __future__ import annotations

import math
import warnings

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from frameworks import MG_IS_TORCH, mg, to_np, torch

pytestmark = pytest.mark.skipif(MG_IS_TORCH, reason="compares minigrad with torch")


def _torch_bernoulli_takes_the_mkl_route():
    """On Intel CPUs torch's MKL builds draw ``bernoulli_(float p)`` (so dropout) from an MKL stream seeded
    with one word; elsewhere two words per element, as minigrad.  Ask torch which route it takes here."""
    g = torch.Generator().manual_seed(0)
    torch.empty(64).bernoulli_(0.5, generator=g)
    return int(to_np(g.get_state())[16:24].view(np.uint64)[0]) != 128      # mt19937's read position


MKL_BERNOULLI = _torch_bernoulli_takes_the_mkl_route()
needs_portable_bernoulli = pytest.mark.skipif(MKL_BERNOULLI, reason="this torch draws bernoulli_(float p) and "
                                              "dropout from MKL's stream on this (Intel) CPU: not reproduced")


def bits_equal(a, b):
    """Arrays equal bit for bit (NaN == NaN), with the same shape and dtype."""
    a, b = np.asarray(a), np.asarray(b)
    assert a.shape == b.shape and a.dtype == b.dtype, (a.shape, a.dtype, b.shape, b.dtype)
    if a.dtype.kind == "f":
        view = f"u{a.itemsize}"
        np.testing.assert_array_equal(a.view(view), b.view(view))
    else:
        np.testing.assert_array_equal(a, b)


def both(fn, seed=0, generator=False):
    """Run ``fn(lib, gen)`` after the same seeding in torch and in minigrad; compare every output and the
    generators' states bit for bit.  The default generator is seeded with ``seed``; ``gen`` is None, or
    with ``generator=True`` a Generator seeded with ``seed + 1``."""
    results = []
    for lib in (torch, mg):
        lib.manual_seed(seed)
        gen = lib.Generator().manual_seed((seed + 1) % 2 ** 64) if generator else None
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            out = fn(lib, gen)
        out = out if isinstance(out, (list, tuple)) else [out]
        states = [lib.get_rng_state()] + ([gen.get_state()] if generator else [])
        results.append(([to_np(o) if hasattr(o, "detach") else np.asarray(o) for o in out],
                        [to_np(s) for s in states]))
    (t_out, t_states), (m_out, m_states) = results
    assert len(t_out) == len(m_out)
    for a, b in zip(m_out, t_out):
        bits_equal(a, b)
    for a, b in zip(m_states, t_states):
        bits_equal(a, b)


# ======================================================= interleaved calls ==
# Each op is ``(name, fn(lib, gen))``: a hypothesis test strings a few of them together after one seed.

@st.composite
def ops(draw):
    kinds = ["randn", "rand", "randint", "randperm", "normal_", "uniform_", "linear", "random_", "exponential_",
             "multinomial", "transposed"] + ([] if MKL_BERNOULLI else ["bernoulli", "dropout"])
    kind = draw(st.sampled_from(kinds))
    shape = tuple(draw(st.lists(st.integers(0, 9), min_size=1, max_size=3)))
    dtype = draw(st.sampled_from(["float32", "float64"]))
    a = draw(st.floats(-3, 3, allow_nan=False, width=32))
    b = a + draw(st.floats(0.0625, 4, width=32))
    if kind == "randn":
        return kind, lambda L, g: L.randn(*shape, dtype=getattr(L, dtype), generator=g)
    if kind == "rand":
        return kind, lambda L, g: L.rand(*shape, dtype=getattr(L, dtype), generator=g)
    if kind == "randint":
        hi = draw(st.sampled_from([1, 7, 1000, 2 ** 28 - 1, 2 ** 28, 2 ** 40]))
        lo = draw(st.integers(-5, 0))
        return kind, lambda L, g: L.randint(lo, hi, shape, generator=g)
    if kind == "randperm":
        n = draw(st.integers(0, 300))
        return kind, lambda L, g: L.randperm(n, generator=g)
    if kind == "normal_":
        return kind, lambda L, g: L.empty(shape, dtype=getattr(L, dtype)).normal_(a, b - a, generator=g)
    if kind == "uniform_":
        return kind, lambda L, g: L.empty(shape, dtype=getattr(L, dtype)).uniform_(a, b, generator=g)
    if kind == "bernoulli":
        p = draw(st.floats(0, 1))
        return kind, lambda L, g: L.empty(shape, dtype=getattr(L, dtype)).bernoulli_(p, generator=g)
    if kind == "dropout":                  # the default generator only, as torch
        p = draw(st.floats(0.05, 0.95))
        return kind, lambda L, g: L.nn.functional.dropout(L.ones(shape), p)
    if kind == "linear":                   # nn.Linear draws from the default generator
        i, o = draw(st.integers(1, 12)), draw(st.integers(1, 12))
        return kind, lambda L, g: [p.detach() for p in L.nn.Linear(i, o).parameters()]
    if kind == "random_":
        return kind, lambda L, g: L.empty(shape, dtype=L.int64).random_(generator=g)
    if kind == "exponential_":
        lam = draw(st.floats(0.1, 5))
        return kind, lambda L, g: L.empty(shape, dtype=getattr(L, dtype)).exponential_(lam, generator=g)
    if kind == "multinomial":
        k = draw(st.integers(1, 6))
        repl = draw(st.booleans())
        return kind, lambda L, g: L.multinomial(L.arange(1.0, 7.0), k, repl, generator=g)
    rows, cols = draw(st.integers(1, 9)), draw(st.integers(1, 9))    # a non-contiguous (transposed) target
    return kind, lambda L, g: L.empty(rows, cols, dtype=getattr(L, dtype)).t().normal_(generator=g)


@given(seed=st.integers(0, 2 ** 64 - 1), calls=st.lists(ops(), min_size=1, max_size=5), generator=st.booleans())
def test_interleaved_calls_match_torch(seed, calls, generator):
    both(lambda L, g: [x for _, fn in calls for x in (lambda r: r if isinstance(r, list) else [r])(fn(L, g))],
         seed, generator)


# ================================================================== normal ==

def test_seed_zero_randn_is_torchs():
    mg.manual_seed(0)
    bits_equal(to_np(mg.randn(3)), np.array([1.5409961, -0.2934289, -2.1787894], np.float32))


@pytest.mark.parametrize("n", [1, 15, 16, 17, 31, 32, 33, 1000, 70007])
@pytest.mark.parametrize("dtype", ["float16", "float32", "float64"])
def test_normal_both_paths_bit_exact(n, dtype):
    """Below 16 elements torch draws scalar Box-Muller pairs (caching the second value); from 16 it fills
    16-value blocks, redrawing the last partial one.  70007 spans several of minigrad's chunks."""
    both(lambda L, g: [L.randn(n, dtype=getattr(L, dtype)), L.empty(n, dtype=getattr(L, dtype)).normal_(-1.5, 0.75),
                       L.randn(3, dtype=getattr(L, dtype))])


def test_normal_cache_survives_state_round_trip():
    torch.manual_seed(5)
    torch.randn(3)                          # leaves a cached second normal value
    state = torch.get_rng_state()
    mg.set_rng_state(mg.from_numpy(to_np(state).copy()))
    bits_equal(to_np(mg.get_rng_state()), to_np(state))
    bits_equal(to_np(mg.randn(5)), to_np(torch.randn(5)))


@pytest.mark.parametrize("overload", ["tt", "tf", "ft", "ff", "broadcast"])
def test_normal_overloads(overload):
    mean = np.arange(20, dtype=np.float32).reshape(4, 5) / 7
    std = (np.arange(20, dtype=np.float32).reshape(4, 5) + 1) / 9
    calls = {"tt": lambda L: L.normal(L.tensor(mean), L.tensor(std)),
             "tf": lambda L: L.normal(L.tensor(mean), 0.5),
             "ft": lambda L: L.normal(1.5, L.tensor(std)),
             "ff": lambda L: L.normal(1.5, 0.25, (5, 7)),
             "broadcast": lambda L: L.normal(L.zeros(1, 3), L.ones(2, 1))}
    both(lambda L, g: calls[overload](L))


# ============================================================ other draws ==

@pytest.mark.parametrize("dtype", ["bool", "uint8", "int8", "int16", "int32", "int64", "float32", "float64"])
def test_random_forms(dtype):
    def draws(L, g):
        d = getattr(L, dtype)
        out = [L.empty(20, dtype=d).random_(generator=g)]
        if dtype != "bool":
            out += [L.empty(20, dtype=d).random_(7, generator=g), L.empty(20, dtype=d).random_(2, None, generator=g)]
        if dtype in ("int64", "float32", "float64"):
            out.append(L.empty(20, dtype=d).random_(-2 ** 63, None, generator=g))
        return out
    both(draws, seed=3, generator=True)


@pytest.mark.parametrize("low,high", [(0, 10), (-5, 5), (0, 2 ** 28 - 1), (0, 2 ** 28), (-2 ** 40, 2 ** 40)])
def test_randint_switches_to_64_bit_draws_at_2_pow_28(low, high):
    both(lambda L, g: [L.randint(low, high, (50,), generator=g),
                       L.randint(low, high, (5,), dtype=L.float64, generator=g)], generator=True)


@pytest.mark.parametrize("n", [0, 1, 2, 3, 10, 1000, 65536, 65537, 100003])
def test_randperm(n):
    both(lambda L, g: [L.randperm(n, generator=g), L.randperm(5, dtype=L.float32, generator=g)], seed=n,
         generator=True)


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_continuous_laws(dtype):
    def draws(L, g):
        def e():
            return L.empty(40, dtype=getattr(L, dtype))
        out = [e().exponential_(1.7, generator=g), e().cauchy_(0.3, 2.1, generator=g),
               e().log_normal_(0.3, 0.7, generator=g), e().geometric_(0.3, generator=g),
               e().uniform_(-1 / 28, 1 / 28, generator=g)]
        if not MKL_BERNOULLI:
            out.append(e().bernoulli_(0.3, generator=g))
        return out + [L.rand(40, dtype=getattr(L, dtype), generator=g),
                      L.empty(10, dtype=L.int64).geometric_(0.2, generator=g)]
    both(draws, seed=11, generator=True)


def test_bernoulli_with_probability_tensors():
    p32 = np.linspace(0, 1, 30).astype(np.float32)
    both(lambda L, g: [L.bernoulli(L.tensor(p32), generator=g), L.bernoulli(L.tensor(p32.astype(np.float64))),
                       L.empty(10).bernoulli_(L.full((10,), 0.5, dtype=L.float64)),
                       L.empty(4, 5).bernoulli_(L.tensor(p32[:5]))])


@needs_portable_bernoulli
def test_bernoulli_with_a_float_probability():
    both(lambda L, g: [L.bernoulli(L.zeros(10), 0.4), L.empty(7, dtype=L.int64).bernoulli_(0.5, generator=g)])


def test_multinomial_and_poisson():
    probs = np.random.default_rng(0).random((3, 7)).astype(np.float32)
    rates = np.array([0.0, 0.5, 3.0, 9.9, 10.0, 25.0, 1e3], np.float32)
    both(lambda L, g: [L.multinomial(L.tensor(probs), 9, True, generator=g),
                       L.multinomial(L.tensor(probs), 1, True, generator=g),
                       L.multinomial(L.tensor(probs), 5, generator=g),
                       L.multinomial(L.tensor(probs[0].astype(np.float64)), 7, generator=g),
                       L.poisson(L.tensor(rates), generator=g)], generator=True)


def test_bernoulli_and_multinomial_methods():
    """``input.bernoulli()`` draws with the probabilities in input, ``input.bernoulli(p)`` with the number p
    (a 0-d tensor gives its value); ``input.multinomial`` is ``torch.multinomial(input, ...)``."""
    p = np.linspace(0, 1, 12).astype(np.float32).reshape(3, 4)
    w = np.arange(1, 13, dtype=np.float32).reshape(3, 4)

    def draws(L, g):
        out = [L.tensor(p).bernoulli(generator=g), L.tensor(p).t().bernoulli(),
               L.tensor(p.astype(np.float64)).bernoulli(generator=g), L.tensor(p.astype(np.float16)).bernoulli(),
               L.empty(10).bernoulli_(L.full((10,), 0.5, dtype=L.float16), generator=g),
               L.tensor(w).multinomial(3, generator=g), L.tensor(w).multinomial(6, True),
               L.tensor(w[0]).t().multinomial(4, replacement=False, generator=g),
               L.tensor(w).multinomial(L.tensor(2), generator=g)]
        if not MKL_BERNOULLI:
            out += [L.tensor(p).bernoulli(0.3, generator=g), L.ones(5, dtype=L.int64).bernoulli(p=0.5),
                    L.tensor(p).bernoulli(L.tensor(0.7))]
        return out
    both(draws, seed=13, generator=True)


_DRAWS_IN_PLACE = [("uniform_", (-1.0, 2.0)), ("normal_", (0.5, 2.0)), ("random_", ()), ("random_", (5,)),
                   ("random_", (1, 5)), ("exponential_", ()), ("cauchy_", ()), ("log_normal_", ()),
                   ("geometric_", (0.5,))] + ([] if MKL_BERNOULLI else [("bernoulli_", (0.25,))])


@pytest.mark.parametrize("view", [False, True])
@pytest.mark.parametrize("name,args", _DRAWS_IN_PLACE)
def test_in_place_draws_are_recorded_with_zero_gradient(name, args, view):
    """An in-place draw into a non-leaf that requires grad is a node of torch's name (drawn into a view, the
    base gets CopySlices around it): no gradient flows through the values it overwrote."""
    results = []
    for L in (torch, mg):
        L.manual_seed(1)
        a = L.tensor(np.arange(1, 7, dtype=np.float32) / 7, requires_grad=True)
        b = a * 2
        getattr(b[:4] if view else b, name)(*args)
        (b * L.arange(1.0, 7.0)).sum().backward()
        results.append((type(b.grad_fn).__name__ if view else b.grad_fn.name(), to_np(b.detach()), to_np(a.grad)))
    (t_name, t_b, t_grad), (m_name, m_b, m_grad) = results
    assert m_name == t_name
    bits_equal(m_b, t_b)
    bits_equal(m_grad, t_grad)


def test_bernoulli_draws_in_the_graph():
    for L in (torch, mg):
        L.manual_seed(2)
        x = L.tensor([0.2, 0.5, 0.9], requires_grad=True)
        y = x.bernoulli()
        assert y.grad_fn.name() == "BernoulliBackward0" and L.bernoulli(x).grad_fn.name() == "BernoulliBackward0"
        (y * 3).sum().backward()
        bits_equal(to_np(x.grad), np.zeros(3, np.float32))
        with pytest.raises(RuntimeError, match="derivative for aten::bernoulli is not implemented"):
            x.bernoulli(0.5).sum().backward()
        p = L.full((3,), 0.5, requires_grad=True)         # a probability tensor that requires grad
        b = L.zeros(2, 3)
        b.bernoulli_(p)
        assert b.grad_fn.name() == "BernoulliBackward1" and b.requires_grad
        (b * L.arange(6.0).reshape(2, 3)).sum().backward()
        bits_equal(to_np(p.grad), np.zeros(3, np.float32))
        with L.no_grad():
            z = x * 2
            z.uniform_()
        assert z.grad_fn is None


def test_float16_and_upper_bound_uniforms():
    """float16 draws a float32 uniform with the bounds as float32, then rounds; in every dtype a value that
    rounds to the upper bound becomes the lower one ([from, to) as torch keeps it)."""
    def draws(L, g):
        out = [L.rand(20000, dtype=L.float16, generator=g), L.rand_like(L.zeros(3000, dtype=L.float16))]
        for lo, hi in [(0.1, 0.3), (-1 / 3, 2 / 3), (3, 5), (100, 101)]:
            out.append(L.empty(20000, dtype=L.float16).uniform_(lo, hi, generator=g))
        for dtype, lo, hi in [("float32", 1, 1.001), ("float32", 100, 101), ("float64", 1, 1 + 1e-15)]:
            out.append(L.empty(20000, dtype=getattr(L, dtype)).uniform_(lo, hi, generator=g))
        return out
    both(draws, seed=21, generator=True)


def test_cuda_manual_seed_leaves_the_cpu_stream_alone():
    both(lambda L, g: [L.rand(3), L.cuda.manual_seed(5) or L.rand(3), L.cuda.manual_seed_all(7) or L.rand(3)])


def test_like_factories():
    both(lambda L, g: [L.rand_like(L.zeros(3, 4), generator=g), L.randn_like(L.zeros(20, dtype=L.float64)),
                       L.randint_like(L.zeros(5), 3, 9, generator=g), L.randint_like(L.zeros(5), 4)])


def test_non_contiguous_targets_fill_in_memory_order():
    both(lambda L, g: [L.empty(6, 5).t().normal_(generator=g), L.empty(6, 20).t().normal_(generator=g),
                       L.empty(3, 4, 5).permute(2, 0, 1).uniform_(generator=g),
                       L.zeros(6, 10)[:, ::2].normal_(generator=g),
                       L.empty(7, 3, dtype=L.int64).t().random_(100, generator=g)], generator=True)


# ============================================================ nn and data ==

def test_layers_and_initializers_draw_torchs_weights():
    def build(L, g):
        out = [p.detach() for m in (L.nn.Linear(13, 7), L.nn.Linear(5, 3, bias=False), L.nn.Conv2d(3, 5, 3),
                                    L.nn.Conv2d(4, 6, (3, 2), groups=2)) for p in m.parameters()]
        for name, kw in [("uniform_", dict(a=-0.3, b=0.9)), ("normal_", dict(mean=0.2, std=0.5)),
                         ("xavier_uniform_", dict(gain=1.7)), ("xavier_normal_", {}),
                         ("kaiming_uniform_", dict(a=0.1)), ("kaiming_normal_", dict(mode="fan_out")),
                         ("kaiming_uniform_", dict(nonlinearity="tanh"))]:
            t = L.empty(6, 9)
            getattr(L.nn.init, name)(t, **kw)
            out.append(t)
        return out
    both(build, seed=2)


@needs_portable_bernoulli
def test_dropout_masks():
    x = np.arange(20, dtype=np.float32).reshape(4, 5)
    both(lambda L, g: [L.nn.functional.dropout(L.ones(7, 9), 0.3), L.nn.functional.dropout(L.tensor(x).t(), 0.5),
                       L.nn.functional.dropout(L.ones(10, dtype=L.float64), 0.1), L.nn.Dropout(0.25)(L.ones(4, 8)),
                       L.nn.functional.dropout(L.ones(33), 0.2, inplace=True),
                       L.nn.functional.dropout(L.ones(50, dtype=L.float16), 0.3)])


def _epochs(L, **kw):
    ds = L.utils.data.TensorDataset(L.arange(23))
    loader = L.utils.data.DataLoader(ds, batch_size=5, **kw)
    seen = []
    for _ in range(3):
        for (b,) in loader:
            seen.append(b)
            seen.append(L.rand(1))            # draws between batches interleave with the loader's
    return seen


@pytest.mark.parametrize("kw", [dict(shuffle=True), dict(shuffle=True, drop_last=True), dict(shuffle=False)])
def test_dataloader_epochs_visit_torchs_order(kw):
    both(lambda L, g: _epochs(L, **kw), seed=3)


def test_dataloader_with_a_generator():
    both(lambda L, g: _epochs(L, shuffle=True, generator=L.Generator().manual_seed(11)), seed=3)


def test_samplers_and_random_split():
    def draws(L, g):
        ds = L.utils.data.TensorDataset(L.arange(10))
        data = L.utils.data
        out = [list(data.RandomSampler(ds, replacement=True, num_samples=70)),
               list(data.RandomSampler(ds, num_samples=25)),
               list(data.RandomSampler(ds, num_samples=20, generator=L.Generator().manual_seed(5))),
               list(data.SubsetRandomSampler([5, 7, 9, 11, 2])),
               [list(s.indices) for s in data.random_split(range(30), [0.3, 0.3, 0.4])],
               [list(s.indices) for s in data.random_split(range(9), [4, 5], generator=L.Generator().manual_seed(1))]]
        return [np.asarray(sum(o, []) if o and isinstance(o[0], list) else o) for o in out]
    both(draws, seed=4)


# ========================================================= generator API ==

def test_generator_defaults_and_seeds():
    assert mg.Generator().initial_seed() == torch.Generator().initial_seed() == 67280421310721
    for seed in (0, 1, -1, -2 ** 63, 2 ** 63, 2 ** 64 - 1, 2 ** 32 + 5):
        assert mg.Generator().manual_seed(seed).initial_seed() == torch.Generator().manual_seed(seed).initial_seed()
        both(lambda L, g: L.rand(5), seed=seed)
    assert mg.manual_seed(7) is mg.default_generator and mg.initial_seed() == 7
    assert mg.random.initial_seed() == 7
    g = mg.Generator()
    assert g.manual_seed(3) is g and g.set_state(g.get_state()) is g
    assert str(g.device) == "cpu"
    s = mg.seed()
    assert mg.initial_seed() == s and 0 <= s < 2 ** 64


def test_states_interchange_with_torch():
    torch.manual_seed(9)
    torch.rand(700)                          # past a twist of the 624-word state
    t_state = torch.get_rng_state()
    m = mg.Generator().set_state(mg.from_numpy(to_np(t_state).copy()))
    bits_equal(to_np(m.get_state()), to_np(t_state))
    bits_equal(to_np(mg.rand(10, generator=m)), to_np(torch.rand(10)))
    mg.manual_seed(4)
    mg.randn(3)
    torch.set_rng_state(torch.from_numpy(to_np(mg.get_rng_state()).copy()))
    bits_equal(to_np(torch.randn(20)), to_np(mg.randn(20)))


@pytest.mark.parametrize("left,nxt", [(1, 0), (1, 624), (1, 17), (5, 0), (10, 600), (624, 1), (300, 325)])
def test_any_valid_engine_position(left, nxt):
    """States torch accepts, including ones its get_state never makes (left + next != 625)."""
    state = to_np(torch.Generator().manual_seed(1).get_state()).copy()
    state[8:12].view(np.int32)[0] = left
    state[16:24].view(np.uint64)[0] = nxt
    t = torch.Generator().set_state(torch.from_numpy(state.copy()))
    m = mg.Generator().set_state(mg.from_numpy(state.copy()))
    bits_equal(to_np(m.get_state()), to_np(t.get_state()))
    bits_equal(to_np(mg.randint(0, 2 ** 31, (700,), generator=m)),
               to_np(torch.randint(0, 2 ** 31, (700,), generator=t)))
    bits_equal(to_np(m.get_state()), to_np(t.get_state()))


def test_fork_rng_restores_the_state():
    mg.manual_seed(1)
    before = to_np(mg.get_rng_state())
    with mg.random.fork_rng():
        mg.randn(100)
    bits_equal(to_np(mg.get_rng_state()), before)
    with mg.random.fork_rng(enabled=False):
        mg.rand(3)
    assert not np.array_equal(to_np(mg.get_rng_state()), before)


def test_generator_pickles_with_its_state():
    import copy
    import pickle
    g = mg.Generator().manual_seed(12)
    mg.randn(3, generator=g)
    for clone in (copy.deepcopy(g), pickle.loads(pickle.dumps(g))):
        bits_equal(to_np(clone.get_state()), to_np(g.get_state()))
    bits_equal(to_np(mg.randn(4, generator=copy.deepcopy(g))), to_np(mg.randn(4, generator=g)))


# ================================================================ errors ==

def _same_error(fn):
    errors = []
    for lib in (torch, mg):
        with pytest.raises(Exception) as info:
            fn(lib)
        errors.append(info.value)
    t_err, m_err = errors
    assert type(m_err) is type(t_err)
    assert str(m_err).split("\n")[0] == str(t_err).split("\n")[0].replace("torch.", "minigrad.")


@pytest.mark.parametrize("call", [
    lambda L: L.empty(3, dtype=L.int64).uniform_(),
    lambda L: L.empty(3, dtype=L.int64).normal_(),
    lambda L: L.empty(3).uniform_(1, 0),
    lambda L: L.empty(3).uniform_(-3e38, 3e38),
    lambda L: L.empty(3).normal_(0, -1),
    lambda L: L.empty(3).bernoulli_(1.5),
    lambda L: L.bernoulli(L.tensor([0.5, 1.5, 0.2])),
    lambda L: L.empty(3).exponential_(0),
    lambda L: L.empty(3, dtype=L.int64).exponential_(),
    lambda L: L.empty(3).geometric_(1),
    lambda L: L.empty(3).log_normal_(0, 0),
    lambda L: L.empty(3).cauchy_(0, -1),
    lambda L: L.empty(3, dtype=L.int8).random_(-1000, 5),
    lambda L: L.empty(3, dtype=L.int16).random_(0, 100000),
    lambda L: L.empty(3, dtype=L.int32).random_(5, 5),
    lambda L: L.empty(3, dtype=L.int32).random_(-2 ** 63, None),
    lambda L: L.randint(5, 3, (3,)),
    lambda L: L.randperm(-1),
    lambda L: L.randperm(2 ** 24 + 2, dtype=L.float32),
    lambda L: L.randperm(300, dtype=L.uint8),
    lambda L: L.multinomial(L.tensor([1.0, -1.0]), 1),
    lambda L: L.multinomial(L.tensor([1.0, float("nan")]), 2, True),
    lambda L: L.multinomial(L.tensor([0.0, 0.0]), 2, True),
    lambda L: L.multinomial(L.tensor([1.0, 1.0]), 3),
    lambda L: L.multinomial(L.tensor(1.0), 1),
    lambda L: L.multinomial(L.tensor([1, 1]), 1),
    lambda L: L.normal(L.zeros(3), L.tensor([1.0, -1.0, 1.0])),
    lambda L: L.normal(L.zeros(3), -1.0),
    lambda L: L.poisson(L.tensor([-1.0])),
    lambda L: L.zeros(3, requires_grad=True).uniform_(),
    lambda L: L.set_rng_state(L.zeros(5056)),
    lambda L: L.set_rng_state(L.zeros(10, dtype=L.uint8)),
    lambda L: L.set_rng_state(L.zeros(5056, dtype=L.uint8)),
    lambda L: L.Generator().manual_seed(1.5),
    lambda L: L.manual_seed(2 ** 64),
    lambda L: L.randperm(3, dtype=L.bool),
    lambda L: L.randint(0, 5.5, (2,)),
    lambda L: L.randint(5.5, (2,)),
    lambda L: L.empty(2).random_(1.5),
    lambda L: L.empty(2).uniform_(0, "a"),
    lambda L: L.empty(2).normal_("a"),
    lambda L: L.empty(2).bernoulli_("a"),
    lambda L: L.multinomial(L.ones(3), 1.5),
    lambda L: L.normal(0.0, 1.0, 3),
    lambda L: L.normal(0.0, 1.0),
    lambda L: L.normal(L.zeros(2), L.ones(3)),
    lambda L: L.zeros(1, 3).expand(4, 3).uniform_(),
    lambda L: L.rand(3).bernoulli(L.rand(3)),
    lambda L: L.rand(3).bernoulli(None),
    lambda L: L.rand(3).bernoulli(0.1, 0.2),
    lambda L: L.rand(3).bernoulli(1.5),
    lambda L: (L.rand(3) + 1).bernoulli(),
    lambda L: L.ones(3, dtype=L.int64).bernoulli(),
    lambda L: L.bernoulli(L.rand(3), L.rand(3)),
    lambda L: L.ones(3).multinomial(1.5),
    lambda L: L.ones(3).multinomial(2, 1),
    lambda L: L.multinomial(L.ones(3), 2, 1),
    lambda L: L.ones(3).multinomial(4),
    lambda L: L.cuda.manual_seed("a"),
])
def test_bad_arguments_raise_torchs_errors(call):
    _same_error(call)


def test_draws_on_other_devices_are_the_cpu_stream(device):
    """Numbers are drawn on the host: a seed gives torch's CPU values on every backend."""
    def draws(L, g):
        kw = {} if L is torch else {"device": device}
        return [L.randn(40, **kw), L.rand(5, **kw), L.randint(0, 9, (6,), **kw), L.randperm(12, **kw),
                L.zeros(20, **kw).normal_(1.0, 2.0), L.nn.functional.dropout(L.ones(8, **kw), 0.5)]
    if not MKL_BERNOULLI:
        both(draws, seed=6)
    assert math.isfinite(mg.randn(2, device=device).sum().item())
