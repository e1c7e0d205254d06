"""``minigrad.save`` / ``minigrad.load``: checkpoints in a format that cannot execute code.

``torch.save`` pickles, and unpickling a file can run arbitrary code.  A
minigrad checkpoint is a plain (uncompressed) zip archive holding

- ``tensors/<k>.npy``: one NumPy ``.npy`` file per tensor or array, read
  back with ``numpy.load(allow_pickle=False)``;
- ``manifest.json``: ``{"format": "minigrad.save", "version": 1,
  "body": {"root": <node>, "tensors": [<entry>, ...]}, "body_sha256": ...}``.

``root`` describes the saved object as a tree of tagged nodes, so that
everything a state dict needs comes back exactly: ``{"type": "OrderedDict",
"items": [[key, value], ...]}`` keeps order and non-string keys (the int
keys of an optimizer's state), ``"tuple"`` and ``"list"`` stay distinct,
floats are stored as ``float.hex`` (exact, inf/nan included), and
``{"type": "tensor", "id": k}`` points into ``tensors``.  Each tensor entry
records the file, dtype, shape, device, ``requires_grad`` and the SHA-256 of
the file's bytes; ``body_sha256`` is the SHA-256 of the canonical JSON of
``body``, so it covers the whole payload.

Loading checks, before trusting anything: the zip's structure (stored
entries only, exactly the expected members), the body digest, each file's
digest, and that every ``.npy`` header agrees with the manifest.  A
truncated, corrupted or tampered file raises ``CheckpointError`` (a
``RuntimeError``) naming the problem; nothing in the file can name a Python
object to build or a function to call.  PyTorch checkpoints (pickles) are
recognised and refused with instructions, never unpickled.

Saving to a path is atomic: the archive is written to a temporary file in
the target's directory, flushed and fsync'ed, then ``os.replace``d onto the
target, so a writer killed mid-save leaves the previous file intact.
"""
from __future__ import annotations

import base64
import collections
import hashlib
import io
import json
import math
import os
import re
import sys
import tempfile
import zipfile
from typing import Any

import numpy as np

from . import _backend, _dtype
from ._tensor import Size, Tensor

__all__ = ["save", "load", "CheckpointError"]

FORMAT = "minigrad.save"
VERSION = 1
MANIFEST = "manifest.json"
_TENSOR_FILE = re.compile(r"tensors/(0|[1-9][0-9]{0,8})\.npy")
_MAX_MANIFEST_BYTES = 1 << 30
_NPY_HEADER_SLACK = 1 << 16            # the .npy header is far smaller than this
_TENSOR_DTYPES = frozenset(d.name for d in _dtype.ALL)
_PICKLE_HINT = ("minigrad never unpickles (a pickle can run arbitrary code). Convert it once with PyTorch: "
                "sd = torch.load(path, weights_only=True), then minigrad.save({k: minigrad.tensor(v.numpy()) "
                "for k, v in sd.items()}, new_path)")


class CheckpointError(RuntimeError):
    """A file that ``minigrad.load`` refuses: truncated, corrupted, tampered with, or not a minigrad checkpoint."""


# =================================================================== save ==

def _is_parameter(t) -> bool:
    """Whether ``t`` is an ``nn.Parameter`` (looked up lazily: nn imports after this module)."""
    parameter = getattr(sys.modules.get("minigrad.nn"), "Parameter", None)
    return parameter is not None and isinstance(t, parameter)


class _Encoder:
    """Turns an object into manifest nodes, collecting tensors and arrays in ``arrays``."""

    def __init__(self):
        self.arrays: list[np.ndarray] = []
        self.entries: list[dict[str, Any]] = []
        self._memo: dict[int, int] = {}         # id(tensor or array) -> index in ``arrays``
        self._keep: list[Any] = []              # keep memoised objects alive so ids stay unique
        self._active: set[int] = set()          # containers being encoded (cycle detection)

    def _array(self, obj, kind: str) -> int:
        key = id(obj)
        if key in self._memo:
            return self._memo[key]
        if kind == "tensor":
            arr = _backend.to_numpy(obj._data)
            entry = {"kind": "tensor", "dtype": obj.dtype.name, "device": str(obj.device),
                     "requires_grad": bool(obj.requires_grad),
                     "parameter": _is_parameter(obj)}
        else:
            arr = np.asarray(obj)
            if arr.dtype.kind not in "biufc" or arr.dtype.fields is not None:
                raise TypeError(f"minigrad.save cannot store a NumPy array of dtype {arr.dtype} (only boolean and "
                                "numeric arrays: object/string arrays would need pickling)")
            if not arr.dtype.isnative:
                arr = arr.astype(arr.dtype.newbyteorder("="))
            entry = {"kind": kind, "dtype": arr.dtype.str}
        if not arr.flags.c_contiguous:
            arr = arr.copy(order="C")
        k = len(self.arrays)
        entry.update(file=f"tensors/{k}.npy", shape=list(arr.shape))
        self.arrays.append(arr)
        self.entries.append(entry)
        self._memo[key] = k
        self._keep.append(obj)
        return k

    def encode(self, obj) -> dict[str, Any]:
        if obj is None:
            return {"type": "none"}
        if isinstance(obj, bool):
            return {"type": "bool", "value": obj}
        if isinstance(obj, Tensor):
            return {"type": "tensor", "id": self._array(obj, "tensor")}
        if type(obj) is int:
            return {"type": "int", "value": obj}
        if type(obj) is float:
            return {"type": "float", "value": float.hex(obj)}
        if type(obj) is str:
            return {"type": "str", "value": obj}
        if type(obj) is bytes:
            return {"type": "bytes", "value": base64.b64encode(obj).decode("ascii")}
        if isinstance(obj, np.ndarray):
            return {"type": "ndarray", "id": self._array(obj, "ndarray")}
        if isinstance(obj, np.generic):
            return {"type": "npscalar", "id": self._array(obj, "npscalar")}
        if isinstance(obj, _dtype.dtype):
            return {"type": "dtype", "value": obj.name}
        if isinstance(obj, _backend.device):
            return {"type": "device", "value": str(obj)}
        if type(obj) is Size:
            return {"type": "size", "items": [int(n) for n in obj]}
        if type(obj) in (list, tuple, dict, collections.OrderedDict):
            if id(obj) in self._active:
                raise ValueError("minigrad.save: cannot save a container that contains itself")
            self._active.add(id(obj))
            try:
                if type(obj) in (list, tuple):
                    return {"type": type(obj).__name__, "items": [self.encode(x) for x in obj]}
                node = {"type": type(obj).__name__,
                        "items": [[self._key(k), self.encode(v)] for k, v in obj.items()]}
                metadata = getattr(obj, "_metadata", None)     # nn.Module.state_dict's version info
                if metadata is not None:
                    node["metadata"] = self.encode(metadata)
                return node
            finally:
                self._active.discard(id(obj))
        if isinstance(obj, (int, float)):                   # NumPy-free int/float subclasses (e.g. IntEnum)
            return self.encode(int(obj) if isinstance(obj, int) else float(obj))
        raise TypeError(
            f"minigrad.save cannot store an object of type {type(obj).__module__}.{type(obj).__qualname__}: it "
            "stores tensors, NumPy arrays, numbers, strings, bytes, None, dtypes, devices and dicts/lists/tuples "
            "of them, never pickles. To save a model, save model.state_dict() (and load it with "
            "model.load_state_dict(minigrad.load(path))).")

    def _key(self, k) -> dict[str, Any]:
        if k is None or isinstance(k, (bool, int, float, str, bytes, _dtype.dtype)):
            return self.encode(k)
        if type(k) is tuple:
            return {"type": "tuple", "items": [self._key(x) for x in k]}
        raise TypeError(f"minigrad.save: dict keys must be None, bools, numbers, strings, bytes or tuples of them, "
                        f"not {type(k).__name__}")


def _canonical(body) -> bytes:
    return json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=True,
                      allow_nan=False).encode("ascii")


class _HashingWriter:
    """A write-only file wrapper that hashes what goes through it."""

    def __init__(self, raw):
        self._raw = raw
        self.sha = hashlib.sha256()

    def write(self, b):
        self.sha.update(b)
        return self._raw.write(b)

    def flush(self):
        pass


def _write_archive(fh, encoder: _Encoder, root) -> None:
    with zipfile.ZipFile(fh, "w", compression=zipfile.ZIP_STORED, allowZip64=True) as zf:
        for arr, entry in zip(encoder.arrays, encoder.entries):
            big = arr.nbytes > (1 << 30)
            with zf.open(entry["file"], "w", force_zip64=big) as member:
                w = _HashingWriter(member)
                np.lib.format.write_array(w, arr, allow_pickle=False)
            entry["sha256"] = w.sha.hexdigest()
        body = {"root": root, "tensors": encoder.entries}
        manifest = {"format": FORMAT, "version": VERSION, "body": body,
                    "body_sha256": hashlib.sha256(_canonical(body)).hexdigest()}
        info = zipfile.ZipInfo(MANIFEST)           # fixed 1980 timestamp: the same object gives the same bytes
        info.compress_type = zipfile.ZIP_STORED
        zf.writestr(info, json.dumps(manifest, separators=(",", ":"), allow_nan=False))


def _umask() -> int:
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def save(obj, f, pickle_module=None, pickle_protocol=2, _use_new_zipfile_serialization=True,
         _disable_byteorder_record=False) -> None:
    """Save ``obj`` (a state dict, an optimizer state dict, nested containers of tensors ...) to ``f``.

    ``f`` is a path (``str`` / ``os.PathLike``) or a binary file object.  A
    path is written atomically (temporary file, fsync, ``os.replace``).  The
    pickle-related arguments exist for torch's signature and are ignored:
    minigrad never pickles.
    """
    encoder = _Encoder()
    root = encoder.encode(obj)
    if not isinstance(f, (str, os.PathLike)):
        _write_archive(f, encoder, root)
        return
    path = os.fspath(f)
    directory = os.path.dirname(os.path.abspath(path))
    if not os.path.isdir(directory):
        raise RuntimeError(f"Parent directory {os.path.dirname(path) or directory} does not exist.")
    mode = (os.stat(path).st_mode & 0o777) if os.path.isfile(path) else (0o666 & ~_umask())
    fd, tmp = tempfile.mkstemp(prefix="." + os.path.basename(path) + ".", suffix=".tmp", dir=directory)
    try:
        with os.fdopen(fd, "wb") as fh:
            _write_archive(fh, encoder, root)
            fh.flush()
            os.fsync(fh.fileno())
        os.chmod(tmp, mode)
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise
    try:                                   # make the rename itself durable
        dir_fd = os.open(directory, os.O_RDONLY)
        try:
            os.fsync(dir_fd)
        finally:
            os.close(dir_fd)
    except OSError:
        pass


# =================================================================== load ==

def _refuse(what: str, problem: str):
    raise CheckpointError(f"minigrad.load: {what}: {problem}")


class _Decoder:
    """Rebuilds the saved object from validated manifest nodes and the archive's arrays."""

    def __init__(self, zf: zipfile.ZipFile, entries: list, archive_size: int, map_location, what: str):
        self.zf, self.entries, self.archive_size = zf, entries, archive_size
        self.map_location, self.what = map_location, what
        self._loaded: dict[int, Any] = {}

    def fail(self, problem):
        _refuse(self.what, problem)

    # ------------------------------------------------------------ arrays --
    def _read_array(self, k: int) -> np.ndarray:
        entry = self.entries[k]
        name = entry["file"]
        info = self.zf.getinfo(name)
        expected = math.prod(entry["shape"]) * np.dtype(self._np_dtype(entry)).itemsize
        if info.file_size > expected + _NPY_HEADER_SLACK or info.file_size > self.archive_size:
            self.fail(f"'{name}' is larger than its manifest entry allows")
        buf = bytearray(info.file_size)
        view = memoryview(buf)
        with self.zf.open(info) as member:           # zipfile checks the CRC-32 at the end
            pos = 0
            while pos < len(buf):
                n = member.readinto(view[pos: pos + (1 << 24)])
                if not n:
                    self.fail(f"'{name}' ends early (truncated?)")
                pos += n
            if member.read(1):
                self.fail(f"'{name}' is longer than its zip header says")
        if hashlib.sha256(buf).hexdigest() != entry["sha256"]:
            self.fail(f"checksum mismatch for '{name}': the file is corrupted or was modified")
        arr = self._parse_npy(buf, name)
        if arr.dtype != np.dtype(self._np_dtype(entry)) or list(arr.shape) != entry["shape"]:
            self.fail(f"'{name}' holds {arr.dtype}{list(arr.shape)}, the manifest says "
                      f"{self._np_dtype(entry)}{entry['shape']}")
        return arr

    def _parse_npy(self, buf: bytearray, name: str) -> np.ndarray:
        """The array in a .npy file's bytes, sharing ``buf`` (no copy); headers are parsed without pickle."""
        fp = io.BytesIO(memoryview(buf)[:_NPY_HEADER_SLACK])
        version = np.lib.format.read_magic(fp)
        if version not in ((1, 0), (2, 0)):
            self.fail(f"'{name}' has an unsupported .npy version {version}")
        read_header = np.lib.format.read_array_header_1_0 if version == (1, 0) else \
            np.lib.format.read_array_header_2_0
        shape, fortran_order, dtype = read_header(fp)
        if fortran_order or dtype.hasobject or dtype.fields is not None:
            self.fail(f"'{name}' is not a plain C-ordered numeric array")
        count = math.prod(shape)
        if len(buf) - fp.tell() != count * dtype.itemsize:
            self.fail(f"'{name}' has {len(buf) - fp.tell()} data bytes, its header needs {count * dtype.itemsize}")
        return np.frombuffer(buf, dtype=dtype, count=count, offset=fp.tell()).reshape(shape)

    @staticmethod
    def _np_dtype(entry) -> str:
        return entry["dtype"]

    def _device(self, saved: str):
        loc = self.map_location
        try:
            if loc is None:
                dev = _backend.as_device(saved)
            elif isinstance(loc, dict):
                dev = _backend.as_device(loc.get(saved, saved))
            else:
                dev = _backend.as_device(loc)
        except RuntimeError as e:
            self.fail(f"bad device: {e}")
        if dev.type == "cuda" and not _backend.cuda_is_available():
            raise RuntimeError("Attempting to deserialize object on a CUDA device but minigrad.cuda.is_available() "
                               "is False. If you are running on a CPU-only machine, please use minigrad.load with "
                               "map_location=minigrad.device('cpu') to map your storages to the CPU.")
        return dev

    def array(self, k, kind):
        if not isinstance(k, int) or isinstance(k, bool) or not 0 <= k < len(self.entries):
            self.fail(f"tensor id {k!r} is out of range")
        entry = self.entries[k]
        if entry["kind"] != kind:
            self.fail(f"tensor id {k} is a {entry['kind']}, referenced as a {kind}")
        if k in self._loaded:
            return self._loaded[k]
        arr = self._read_array(k)
        if kind == "ndarray":
            out = arr
        elif kind == "npscalar":
            out = arr[()]
        else:
            if callable(self.map_location):
                t = Tensor._make(arr)
                out = self.map_location(t, entry["device"])
                if not isinstance(out, Tensor):
                    out = t
            else:
                out = Tensor._make(_backend.asarray(arr, self._device(entry["device"])))
            if entry["requires_grad"]:
                out._requires_grad = True
            if entry["parameter"]:
                from . import nn
                parameter = getattr(nn, "Parameter", None)
                if parameter is not None:
                    out = parameter(out, requires_grad=entry["requires_grad"])
        self._loaded[k] = out
        return out

    # ------------------------------------------------------------- nodes --
    _FIELDS = {"none": {"type"}, "bool": {"type", "value"}, "int": {"type", "value"}, "float": {"type", "value"},
               "str": {"type", "value"}, "bytes": {"type", "value"}, "dtype": {"type", "value"},
               "device": {"type", "value"}, "size": {"type", "items"}, "list": {"type", "items"},
               "tuple": {"type", "items"}, "tensor": {"type", "id"}, "ndarray": {"type", "id"},
               "npscalar": {"type", "id"}}

    def node(self, n, key=False):
        if not isinstance(n, dict) or not isinstance(n.get("type"), str):
            self.fail(f"malformed manifest node {str(n)[:80]!r}")
        t = n["type"]
        allowed = self._FIELDS.get(t)
        if t in ("dict", "OrderedDict") and not key:
            allowed = {"type", "items", "metadata"}
        if allowed is None or not set(n) <= allowed or not (set(n) >= allowed - {"metadata"}):
            self.fail(f"unknown or malformed node of type {t!r} in the manifest")
        if key and t not in ("none", "bool", "int", "float", "str", "bytes", "tuple", "dtype"):
            self.fail(f"a dict key cannot be a {t!r}")
        v = n.get("value")
        if t == "none":
            return None
        if t == "bool":
            return self._typed(v, bool)
        if t == "int":
            if type(v) is not int:
                self.fail("an int node holds a non-integer")
            return v
        if t == "float":
            try:
                return float.fromhex(self._typed(v, str))
            except ValueError:
                self.fail(f"bad float {v!r}")
        if t == "str":
            return self._typed(v, str)
        if t == "bytes":
            try:
                return base64.b64decode(self._typed(v, str), validate=True)
            except ValueError:
                self.fail("bad base64 in a bytes node")
        if t == "dtype":
            if v not in _TENSOR_DTYPES:
                self.fail(f"unknown dtype {v!r}")
            return _dtype.from_name(v)
        if t == "device":
            try:
                return _backend.as_device(self._typed(v, str))
            except RuntimeError:
                self.fail(f"unknown device {v!r}")
        if t in ("tensor", "ndarray", "npscalar"):
            return self.array(n["id"], t)
        items = n["items"]
        if not isinstance(items, list):
            self.fail(f"the items of a {t} node are not a list")
        if t == "size":
            if not all(type(x) is int for x in items):
                self.fail("a size node holds a non-integer")
            return Size(items)
        if t in ("list", "tuple"):
            out = [self.node(x, key=key) for x in items]
            return tuple(out) if t == "tuple" else out
        out = collections.OrderedDict() if t == "OrderedDict" else {}
        for pair in items:
            if not isinstance(pair, list) or len(pair) != 2:
                self.fail("a dict item is not a [key, value] pair")
            k = self.node(pair[0], key=True)
            if k in out:
                self.fail(f"duplicate dict key {k!r}")
            out[k] = self.node(pair[1])
        if "metadata" in n:
            if t != "OrderedDict":
                self.fail("only an OrderedDict node can carry metadata")
            out._metadata = self.node(n["metadata"])
        return out

    def _typed(self, v, typ):
        if type(v) is not typ:
            self.fail(f"expected a {typ.__name__} value in the manifest, got {type(v).__name__}")
        return v


def _no_duplicates(pairs):
    d = {}
    for k, v in pairs:
        if k in d:
            raise ValueError(f"duplicate key {k!r} in the manifest")
        d[k] = v
    return d


def _reject_constant(name):
    raise ValueError(f"non-finite number {name} in the manifest")


def _check_entries(entries, what):
    if not isinstance(entries, list):
        _refuse(what, "the manifest's tensor table is not a list")
    for k, e in enumerate(entries):
        if not isinstance(e, dict) or e.get("kind") not in ("tensor", "ndarray", "npscalar"):
            _refuse(what, f"malformed tensor entry {k}")
        keys = {"kind", "file", "dtype", "shape", "sha256"}
        if e["kind"] == "tensor":
            keys |= {"device", "requires_grad", "parameter"}
        if set(e) != keys:
            _refuse(what, f"tensor entry {k} has fields {sorted(e)}, expected {sorted(keys)}")
        if e["file"] != f"tensors/{k}.npy" or not _TENSOR_FILE.fullmatch(e["file"]):
            _refuse(what, f"tensor entry {k} names an unexpected file {e['file']!r}")
        if not isinstance(e["shape"], list) or not all(type(n) is int and n >= 0 for n in e["shape"]):
            _refuse(what, f"tensor entry {k} has a malformed shape")
        if not isinstance(e["sha256"], str) or not re.fullmatch(r"[0-9a-f]{64}", e["sha256"]):
            _refuse(what, f"tensor entry {k} has a malformed sha256")
        if e["kind"] == "tensor":
            if e["dtype"] not in _TENSOR_DTYPES:
                _refuse(what, f"tensor entry {k} has an unsupported dtype {e['dtype']!r}")
            e["dtype"] = np.dtype(e["dtype"]).str      # compare as NumPy dtype strings from here on
            if type(e["requires_grad"]) is not bool or type(e["parameter"]) is not bool or \
                    not isinstance(e["device"], str):
                _refuse(what, f"tensor entry {k} has malformed fields")
            if e["requires_grad"] and not np.dtype(e["dtype"]).kind == "f":
                _refuse(what, f"tensor entry {k}: only floating point tensors can require grad")
        else:
            if not isinstance(e["dtype"], str) or not re.fullmatch(r"[<>|][biufc][0-9]{1,2}", e["dtype"]):
                _refuse(what, f"array entry {k} has an unsupported dtype {e['dtype']!r}")
            try:
                if np.dtype(e["dtype"]).str != e["dtype"]:
                    raise TypeError
            except TypeError:
                _refuse(what, f"array entry {k} has an unsupported dtype {e['dtype']!r}")
            if e["kind"] == "npscalar" and e["shape"] != []:
                _refuse(what, f"scalar entry {k} is not 0-dimensional")


def _open_archive(fh, what: str):
    head = fh.read(4)
    fh.seek(0)
    if head[:1] == b"\x80" and head[1:2] in (b"\x02", b"\x03", b"\x04", b"\x05"):
        _refuse(what, "this is a pickle file (e.g. a legacy torch.save checkpoint). " + _PICKLE_HINT)
    if head not in (b"PK\x03\x04", b"PK\x05\x06"):
        _refuse(what, "not a minigrad checkpoint (it is not a zip archive)")
    try:
        zf = zipfile.ZipFile(fh, "r")
    except zipfile.BadZipFile as e:
        _refuse(what, f"the archive is truncated or corrupted ({e})")
    names = zf.namelist()
    if any(n == "data.pkl" or n.endswith("/data.pkl") for n in names):
        _refuse(what, "this is a PyTorch checkpoint (torch.save output: a zip around a pickle). " + _PICKLE_HINT)
    return zf, names


def _load_from(fh, map_location, what: str):
    fh.seek(0, os.SEEK_END)
    archive_size = fh.tell()
    fh.seek(0)
    zf, names = _open_archive(fh, what)
    with zf:
        if MANIFEST not in names:
            _refuse(what, f"not a minigrad checkpoint (no {MANIFEST} in the archive)")
        if len(set(names)) != len(names):
            _refuse(what, "the archive has duplicate member names")
        for info in zf.infolist():
            if info.compress_type != zipfile.ZIP_STORED or info.file_size != info.compress_size:
                _refuse(what, f"member '{info.filename}' is compressed; minigrad writes stored members only")
            if info.flag_bits & 0x1:
                _refuse(what, f"member '{info.filename}' is marked as encrypted; minigrad never writes that")
            if info.header_offset + info.file_size > archive_size:
                _refuse(what, f"member '{info.filename}' runs past the end of the file (truncated?)")
        info = zf.getinfo(MANIFEST)
        if info.file_size > min(_MAX_MANIFEST_BYTES, archive_size):
            _refuse(what, "the manifest is implausibly large")
        raw = zf.read(MANIFEST)
        try:
            manifest = json.loads(raw.decode("utf-8"), object_pairs_hook=_no_duplicates,
                                  parse_constant=_reject_constant)
        except (ValueError, RecursionError) as e:
            _refuse(what, f"the manifest is not valid JSON ({e})")
        if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
            _refuse(what, "not a minigrad checkpoint (the manifest has no 'format': 'minigrad.save')")
        if manifest.get("version") != VERSION:
            _refuse(what, f"unsupported checkpoint version {manifest.get('version')!r} (this minigrad reads "
                          f"version {VERSION})")
        if set(manifest) != {"format", "version", "body", "body_sha256"} or not isinstance(manifest["body"], dict):
            _refuse(what, "the manifest has unexpected fields")
        body = manifest["body"]
        if hashlib.sha256(_canonical(body)).hexdigest() != manifest["body_sha256"]:
            _refuse(what, "checksum mismatch for the manifest: the file is corrupted or was modified")
        if set(body) != {"root", "tensors"}:
            _refuse(what, "the manifest body has unexpected fields")
        _check_entries(body["tensors"], what)
        expected = {MANIFEST} | {e["file"] for e in body["tensors"]}
        if set(names) != expected:
            extra, missing = sorted(set(names) - expected), sorted(expected - set(names))
            _refuse(what, f"the archive's members do not match its manifest (unexpected: {extra}, "
                          f"missing: {missing})")
        decoder = _Decoder(zf, body["tensors"], archive_size, map_location, what)
        try:
            return decoder.node(body["root"])
        except RecursionError:
            _refuse(what, "the saved structure is nested too deeply")


def load(f, map_location=None, pickle_module=None, *, weights_only=True, mmap=None, **pickle_load_args):
    """Load an object saved by ``minigrad.save``.

    Tensors come back with their dtype, ``requires_grad`` and device; like
    ``torch.load``, ``map_location`` (a device, a string, a ``{saved: new}``
    dict, or a function ``(tensor, saved_location) -> tensor``) moves them.
    Nothing in the file can execute code, so ``weights_only`` changes
    nothing; the pickle arguments are accepted for torch's signature.
    """
    if isinstance(f, (str, os.PathLike)):
        what = repr(os.fspath(f))
        with open(f, "rb") as fh:
            return _load_checked(fh, map_location, what)
    what = "the file object"
    if not (hasattr(f, "seekable") and f.seekable()):
        f = io.BytesIO(f.read())
    return _load_checked(f, map_location, what)


def _load_checked(fh, map_location, what):
    try:
        return _load_from(fh, map_location, what)
    except CheckpointError:
        raise
    except (zipfile.BadZipFile, zipfile.LargeZipFile, EOFError, KeyError, ValueError, OverflowError,
            UnicodeDecodeError, NotImplementedError, OSError) as e:
        raise CheckpointError(f"minigrad.load: {what} is corrupted or truncated: {type(e).__name__}: {e}") from e
