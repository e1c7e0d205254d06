"""minigrad.utils.data against torch.utils.data.

Sequential loading is deterministic in both frameworks, so batches are
compared with torch's.  Shuffled orders come from each framework's own
random streams (minigrad's are NumPy's), so shuffling is checked for
reproducibility, for being a permutation, and for the TensorDataset fast path
giving exactly what sample-by-sample collation gives for the same order.
"""
from __future__ import annotations

import collections
import time
import warnings

import numpy as np
import pytest
from hypothesis import given, strategies as st

from frameworks import MG_IS_TORCH, mg, to_np, torch

mdata = mg.utils.data
tdata = torch.utils.data


# ----------------------------------------------------------------- helpers --
def assert_same(m, t, path="batch"):
    """A collated minigrad structure equals torch's: same containers, tensor dtypes, shapes and values."""
    if isinstance(t, torch.Tensor):
        assert isinstance(m, mg.Tensor), f"{path}: {type(m).__name__}, torch has a tensor"
        assert str(m.dtype).split(".")[-1] == str(t.dtype).split(".")[-1], f"{path}: {m.dtype} vs {t.dtype}"
        assert tuple(m.shape) == tuple(t.shape), path
        np.testing.assert_array_equal(to_np(m), to_np(t), err_msg=path)
    elif isinstance(t, dict):
        assert type(m) is type(t) or (isinstance(m, dict) and type(t) is dict), path
        assert list(m.keys()) == list(t.keys()), path
        for k in t:
            assert_same(m[k], t[k], f"{path}[{k!r}]")
    elif isinstance(t, (list, tuple)):
        assert type(m).__name__ == type(t).__name__, f"{path}: {type(m).__name__} vs {type(t).__name__}"
        assert len(m) == len(t), path
        for i, (a, b) in enumerate(zip(m, t)):
            assert_same(a, b, f"{path}[{i}]")
    else:
        assert type(m) is type(t) and m == t, f"{path}: {m!r} vs {t!r}"


def both(fn):
    """Run ``fn(lib)`` for minigrad and torch."""
    return fn(mg), fn(torch)


def make_xy(n, seed=0):
    rng = np.random.default_rng(seed)
    return rng.standard_normal((n, 3)).astype(np.float32), rng.integers(0, 10, n)


class PlainDataset:
    """A map-style dataset that is not a TensorDataset: forces sample-by-sample collation."""

    def __init__(self, lib, x, y):
        self.x, self.y = lib.tensor(x), lib.tensor(y)

    def __getitem__(self, i):
        return self.x[i], self.y[i]

    def __len__(self):
        return len(self.x)


# ======================================================= sequential order ==
@given(n=st.integers(1, 40), batch_size=st.integers(1, 12), drop_last=st.booleans(),
       kind=st.sampled_from(["tensor", "plain", "subset"]))
def test_sequential_batches_match_torch(n, batch_size, drop_last, kind):
    x, y = make_xy(n)

    def load(lib):
        if kind == "plain":
            ds = PlainDataset(lib, x, y)
        else:
            ds = lib.utils.data.TensorDataset(lib.tensor(x), lib.tensor(y))
            if kind == "subset":
                ds = lib.utils.data.Subset(ds, list(range(n - 1, -1, -2)))
        dl = lib.utils.data.DataLoader(ds, batch_size=batch_size, drop_last=drop_last)
        return len(dl), list(dl)

    (mlen, mb), (tlen, tb) = both(load)
    assert mlen == tlen == len(tb)
    assert_same(mb, tb)


def test_batch_size_none_and_custom_collate_match_torch():
    x, y = make_xy(5)
    for kw in (dict(batch_size=None), dict(batch_size=2, collate_fn=lambda b: b),
               dict(batch_size=2, sampler=[4, 0, 3]), dict(batch_sampler=[[0, 2], [1], [4, 3, 2]])):
        mb, tb = both(lambda lib: list(lib.utils.data.DataLoader(PlainDataset(lib, x, y), **kw)))
        assert_same(mb, tb, str(kw))


@given(n=st.integers(0, 30), batch_size=st.integers(1, 8), drop_last=st.booleans())
def test_iterable_dataset_matches_torch(n, batch_size, drop_last):
    def load(lib):
        class Stream(lib.utils.data.IterableDataset):
            def __iter__(self):
                return iter(range(n))

            def __len__(self):
                return n
        dl = lib.utils.data.DataLoader(Stream(), batch_size=batch_size, drop_last=drop_last)
        return len(dl), list(dl)
    (mlen, mb), (tlen, tb) = both(load)
    assert mlen == tlen
    assert_same(mb, tb)


# ============================================================== shuffling ==
def _epoch_indices(dl):
    """The order a loader over TensorDataset(arange(n)) visits the samples in."""
    return np.concatenate([to_np(b[0]) for b in dl])


@pytest.mark.parametrize("n,batch_size", [(10, 3), (64, 64), (101, 8)])
def test_shuffle_reproducible_with_manual_seed(n, batch_size):
    ds = mdata.TensorDataset(mg.arange(n))
    dl = mdata.DataLoader(ds, batch_size=batch_size, shuffle=True)
    mg.manual_seed(0)
    a1, a2 = _epoch_indices(dl), _epoch_indices(dl)
    mg.manual_seed(0)
    b1, b2 = _epoch_indices(dl), _epoch_indices(dl)
    np.testing.assert_array_equal(a1, b1)
    np.testing.assert_array_equal(a2, b2)
    assert sorted(a1.tolist()) == list(range(n)) == sorted(a2.tolist())
    assert not np.array_equal(a1, a2) or n < 3            # each epoch draws a new order
    assert not np.array_equal(a1, np.arange(n))


def test_shuffle_with_generator_is_independent_of_global_seed():
    ds = mdata.TensorDataset(mg.arange(50))
    orders = []
    for global_seed in (1, 2):
        mg.manual_seed(global_seed)
        dl = mdata.DataLoader(ds, batch_size=7, shuffle=True, generator=mg.Generator().manual_seed(0))
        orders.append((_epoch_indices(dl), _epoch_indices(dl)))
    np.testing.assert_array_equal(orders[0][0], orders[1][0])
    np.testing.assert_array_equal(orders[0][1], orders[1][1])
    assert not np.array_equal(orders[0][0], orders[0][1])
    mg.manual_seed(5)                                    # the generator leaves the global stream alone
    r1 = mg.rand(3)
    mg.manual_seed(5)
    list(mdata.DataLoader(ds, batch_size=7, shuffle=True, generator=mg.Generator().manual_seed(0)))
    np.testing.assert_array_equal(to_np(mg.rand(3)), to_np(r1))


@given(n=st.integers(1, 50), batch_size=st.integers(1, 9), drop_last=st.booleans(), seed=st.integers(0, 1000),
       subset=st.booleans())
def test_fast_path_equals_sample_by_sample_collation(n, batch_size, drop_last, seed, subset):
    """TensorDataset batches (one indexing per tensor) == stacking the same samples one by one."""
    x, y = make_xy(n, seed)
    fast_ds = mdata.TensorDataset(mg.tensor(x), mg.tensor(y))
    slow_ds = PlainDataset(mg, x, y)
    if subset:
        idx = list(np.random.default_rng(seed).permutation(n)[: max(1, n // 2)])
        fast_ds, slow_ds = mdata.Subset(fast_ds, idx), mdata.Subset(slow_ds, idx)
    fast = list(mdata.DataLoader(fast_ds, batch_size=batch_size, shuffle=True, drop_last=drop_last,
                                 generator=mg.Generator().manual_seed(seed)))
    slow = list(mdata.DataLoader(slow_ds, batch_size=batch_size, shuffle=True, drop_last=drop_last,
                                 generator=mg.Generator().manual_seed(seed)))
    assert len(fast) == len(slow)
    for (fx, fy), (sx, sy) in zip(fast, slow):
        assert fx.dtype == sx.dtype == mg.float32 and fy.dtype == sy.dtype == mg.int64
        np.testing.assert_array_equal(to_np(fx), to_np(sx))
        np.testing.assert_array_equal(to_np(fy), to_np(sy))


def test_batches_do_not_alias_the_dataset():
    x = mg.zeros(6, 2)
    for shuffle in (False, True):
        for xb, in mdata.DataLoader(mdata.TensorDataset(x), batch_size=4, shuffle=shuffle):
            xb += 1
    assert to_np(x).sum() == 0


def test_samplers():
    ds = mdata.TensorDataset(mg.arange(10))
    assert list(mdata.SequentialSampler(ds)) == list(range(10))
    mg.manual_seed(3)
    perm = list(mdata.RandomSampler(ds))
    assert sorted(perm) == list(range(10))
    draws = list(mdata.RandomSampler(ds, replacement=True, num_samples=25))
    assert len(draws) == 25 and set(draws) <= set(range(10))
    assert len(list(mdata.RandomSampler(ds, num_samples=25))) == 25
    assert sorted(mdata.SubsetRandomSampler([3, 5, 7])) == [3, 5, 7]
    assert list(mdata.BatchSampler(range(7), 3, False)) == [[0, 1, 2], [3, 4, 5], [6]]
    assert list(mdata.BatchSampler(range(7), 3, True)) == [[0, 1, 2], [3, 4, 5]]
    dl = mdata.DataLoader(ds, batch_size=4, sampler=mdata.SubsetRandomSampler([1, 2, 3, 4, 5]))
    assert sorted(np.concatenate([to_np(b[0]) for b in dl]).tolist()) == [1, 2, 3, 4, 5]


# ============================================================== collation ==
Point = collections.namedtuple("Point", "a b")


def _samples(lib):
    """Sample lists exercising every branch of default_collate (same values for both frameworks)."""
    rng = np.random.default_rng(0)
    arrs = [rng.standard_normal((2, 3)).astype(np.float32) for _ in range(3)]
    return {
        "python ints": [1, 2, 3],
        "python floats": [1.5, 2.0, -3.25],
        "python bools": [True, False, True],
        "numpy scalars f32": [np.float32(1.5), np.float32(2)],
        "numpy scalars i32": [np.int32(1), np.int32(-2)],
        "numpy scalars u8": [np.uint8(1), np.uint8(200)],
        "numpy scalars f64": [np.float64(1.5), np.float64(2)],
        "numpy scalars bool": [np.bool_(True), np.bool_(False)],
        "numpy arrays": arrs,
        "numpy int16 arrays": [np.arange(4, dtype=np.int16), np.arange(4, dtype=np.int16) * 3],
        "tensors": [lib.tensor(a) for a in arrs],
        "int64 tensors": [lib.tensor([1, 2]), lib.tensor([3, 4])],
        "tuples": [(lib.tensor(a), i, 0.5 * i) for i, a in enumerate(arrs)],
        "lists": [[1, 2.5], [3, 4.5]],
        "dicts": [{"x": a, "label": i, "name": f"s{i}"} for i, a in enumerate(arrs)],
        "ordered dicts": [collections.OrderedDict(b=1.0, a=i) for i in range(3)],
        "namedtuples": [Point(i, float(i)) for i in range(3)],
        "nested": [{"pair": (i, [np.float64(i), True])} for i in range(2)],
        "strings": ["a", "bc"],
        "bytes": [b"a", b"bc"],
    }


@pytest.mark.parametrize("case", list(_samples(mg)))
def test_default_collate_matches_torch(case):
    m = mdata.default_collate(_samples(mg)[case])
    t = tdata.default_collate(_samples(torch)[case])
    assert_same(m, t, case)


@pytest.mark.parametrize("case", ["python floats", "numpy arrays", "dicts", "tuples", "nested"])
def test_default_convert_matches_torch(case):
    for m_sample, t_sample in zip(_samples(mg)[case], _samples(torch)[case]):
        assert_same(mdata.default_convert(m_sample), tdata.default_convert(t_sample), case)


@pytest.mark.parametrize("bad", [[object()], [np.array(["a"])], [[1, 2], [3]]])
def test_default_collate_errors_match_torch(bad):
    def outcome(fn):
        try:
            fn(bad)
        except Exception as e:  # noqa: BLE001
            return type(e).__name__, str(e)
    assert outcome(mdata.default_collate) == outcome(tdata.default_collate) is not None


# =============================================================== datasets ==
def test_dataset_subclass_iterates_through_getitem():
    """The GAN book's ``for label, image, target in mnist_dataset`` (legacy iteration, ends at IndexError)."""
    assert not hasattr(mdata.Dataset, "__iter__")

    class MnistLike(mdata.Dataset):
        def __init__(self):
            self.rows = [(i, np.full(4, i, np.float32)) for i in range(5)]

        def __len__(self):
            return len(self.rows)

        def __getitem__(self, index):
            label, pixels = self.rows[index]         # a list raises IndexError past the end
            target = mg.zeros(10)
            target[label] = 1.0
            return label, mg.tensor(pixels) / 255.0, target

    seen = [(label, float(image.sum()), int(target.argmax())) for label, image, target in MnistLike()]
    assert [s[0] for s in seen] == list(range(5)) == [s[2] for s in seen]
    with pytest.raises(NotImplementedError):
        mdata.Dataset()[0]


def test_tensor_dataset_indexing_and_slicing():
    x, y = make_xy(10)
    (mds, tds) = both(lambda lib: lib.utils.data.TensorDataset(lib.tensor(x), lib.tensor(y)))
    assert len(mds) == len(tds) == 10
    for index in (3, -1, slice(2, 6), slice(None, None, 3), [1, 4, 4]):
        m, t = mds[index], tds[index]
        assert type(m) is tuple and len(m) == 2
        assert_same(list(m), list(t), repr(index))
    bs, i = 4, 1
    xb, yb = mds[i * bs: i * bs + bs]                   # "What is torch.nn really?"
    np.testing.assert_array_equal(to_np(xb), x[4:8])
    errs = both(lambda lib: pytest.raises(AssertionError, lib.utils.data.TensorDataset,
                                          lib.zeros(3), lib.zeros(4)).value.args)
    assert errs[0] == errs[1] == ("Size mismatch between tensors",)


def test_concat_and_add():
    a = mdata.TensorDataset(mg.arange(3))
    b = mdata.TensorDataset(mg.arange(10, 12))
    c = a + b
    assert len(c) == 5 and [int(c[i][0]) for i in range(-5, 5)] == [0, 1, 2, 10, 11] * 2


@given(n=st.integers(0, 60), parts=st.lists(st.floats(0.0, 1.0), min_size=1, max_size=4), seed=st.integers(0, 99))
def test_random_split_sizes_match_torch(n, parts, seed):
    total = sum(parts)
    if total == 0:
        fractions = [1.0] + [0.0] * (len(parts) - 1)
    else:
        fractions = [p / total for p in parts]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            t_splits = tdata.random_split(range(n), fractions, generator=torch.Generator().manual_seed(seed))
        except ValueError:
            with pytest.raises(ValueError):
                mdata.random_split(range(n), fractions, generator=mg.Generator().manual_seed(seed))
            return
        m_splits = mdata.random_split(range(n), fractions, generator=mg.Generator().manual_seed(seed))
    assert [len(s) for s in m_splits] == [len(s) for s in t_splits]
    flat = [i for s in m_splits for i in s]          # Subsets iterate through __getitem__ too
    assert sorted(flat) == list(range(n))            # disjoint, and together everything


def test_random_split_lengths_generator_and_errors():
    ds = mdata.TensorDataset(mg.arange(20))
    a = mdata.random_split(ds, [5, 15], generator=mg.Generator().manual_seed(1))
    b = mdata.random_split(ds, [5, 15], generator=mg.Generator().manual_seed(1))
    assert [len(s) for s in a] == [5, 15]
    assert a[0].indices == b[0].indices and a[1].indices == b[1].indices
    assert not set(a[0].indices) & set(a[1].indices)
    mg.manual_seed(7)
    c = mdata.random_split(ds, [10, 10])
    mg.manual_seed(7)
    assert mdata.random_split(ds, [10, 10])[0].indices == c[0].indices
    errs = both(lambda lib: pytest.raises(ValueError, lib.utils.data.random_split, range(10), [3, 3]).value.args)
    assert errs[0] == errs[1]
    with pytest.warns(UserWarning, match="Length of split at index 2 is 0"):
        mdata.random_split(range(10), [0.5, 0.5, 0.0])
    # a DataLoader over a split of a TensorDataset takes the fast path and sees exactly that split
    got = np.concatenate([to_np(xb) for xb, in mdata.DataLoader(a[0], batch_size=2)])
    assert got.tolist() == a[0].indices


# ============================================================= DataLoader ==
def test_iterator_protocol_and_len():
    ds = mdata.TensorDataset(mg.arange(10))
    dl = mdata.DataLoader(ds, batch_size=4, shuffle=True, num_workers=2)
    assert len(dl) == 3
    it = iter(dl)
    assert len(it) == 3
    # the old ``dataiter.next()`` idiom of pre-2.0 tutorials still works (torch 2.13 removed it)
    first, second = (next(it) if MG_IS_TORCH else it.next()), next(it)
    assert first[0].shape == (4,) and second[0].shape == (4,)
    assert next(it)[0].shape == (2,)
    with pytest.raises(StopIteration):
        next(it)
    assert len(mdata.DataLoader(ds, batch_size=4, drop_last=True)) == 2


@pytest.mark.parametrize("kw", [dict(sampler=[1, 2], shuffle=True), dict(batch_sampler=[[1]], batch_size=2),
                                dict(batch_size=None, drop_last=True), dict(num_workers=-1),
                                dict(prefetch_factor=2), dict(persistent_workers=True)])
def test_dataloader_argument_errors_match_torch(kw):
    def outcome(lib):
        try:
            lib.utils.data.DataLoader(lib.utils.data.TensorDataset(lib.arange(4)), **kw)
        except Exception as e:  # noqa: BLE001
            return type(e).__name__, str(e)
    assert outcome(mg) == outcome(torch) is not None


def test_accepted_compat_arguments():
    ds = mdata.TensorDataset(mg.arange(6))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")             # pin_memory without an accelerator warns, as in torch
        dl = mdata.DataLoader(ds, batch_size=4, num_workers=2, pin_memory=True, timeout=5, prefetch_factor=4,
                              persistent_workers=True)
    assert [to_np(b[0]).tolist() for b in dl] == [[0, 1, 2, 3], [4, 5]]
    assert mdata.get_worker_info() is None


def test_mnist_sized_epoch_is_fast():
    """Pure loading of 50,000 x 784 float32 at batch 64 (shuffled) takes well under a second."""
    rng = np.random.default_rng(0)
    x = mg.tensor(rng.random((50_000, 784), dtype=np.float32))
    y = mg.tensor(rng.integers(0, 10, 50_000))
    dl = mdata.DataLoader(mdata.TensorDataset(x, y), batch_size=64, shuffle=True)
    best = float("inf")
    for _ in range(2):
        start = time.perf_counter()
        n = sum(1 for _ in dl)
        best = min(best, time.perf_counter() - start)
    assert n == len(dl) == 782
    assert best < 0.5, f"one epoch of loading took {best:.3f}s"
