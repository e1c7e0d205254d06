"""``minigrad.save`` / ``minigrad.load``: checkpoints in a format that cannot execute code.

``torch.save`` pickles, and unpickling a file can run arbitrary code.  A
minigrad checkpoint is a plain (uncompressed) zip archive holding

- ``storages/<s>.npy``: one NumPy ``.npy`` file per storage, a 1-D array,
  its header parsed without pickle;
- ``manifest.json``: ``{"format": "minigrad.save", "version": 2,
  "body": {"root": <node>, "storages": [<storage>, ...], "tensors": [<entry>, ...]},
  "body_sha256": ...}``.

``root`` describes the saved object as a tree of tagged nodes, so that
everything a state dict needs comes back exactly: ``{"type": "OrderedDict",
"items": [[key, value], ...]}`` keeps order and non-string keys (the int
keys of an optimizer's state), ``"tuple"`` and ``"list"`` stay distinct,
floats are stored as ``float.hex`` (exact, inf/nan included), and
``{"type": "tensor", "id": k}`` (or ``"ndarray"``, ``"npscalar"``) points
into ``tensors``.

Storages.  As ``torch.save`` does, a checkpoint stores each block of memory
once, and each tensor as a window on it.  A storage entry is ``{"file",
"dtype"`` (a NumPy dtype string in native byte order, e.g. ``"<f4"``),
``"numel", "device"`` (the saved tensors' device; ``"cpu"`` for NumPy
arrays), ``"sha256"}``; a tensor entry is ``{"kind", "storage",
"offset", "shape", "strides"}`` (offset and strides in elements; element
``(i0, i1, ...)`` is ``storage[offset + i0 * strides[0] + i1 * strides[1] + ...]``),
plus ``"requires_grad"`` and ``"parameter"`` for tensors.  ``save`` finds
the sharing in NumPy's memory: arrays of one dtype whose byte ranges overlap
go into one storage, which holds the bytes they cover (not the whole of an
underlying buffer that they only partly use), so ``{"a": x, "v": x[1:3]}``
writes ``x`` once and ``zeros(1).expand(5_000_000)`` writes one element.
Not shared: arrays that alias one another with different dtypes or at
misaligned addresses (each gets its own storage), tensors whose host memory
is a fresh copy (CUDA tensors: each is its own storage), and a tensor whose
layout minigrad's view ops cannot rebuild (negative or overlapping strides:
it is written as a row-major copy).

``body_sha256`` is the SHA-256 of the canonical JSON of ``body`` and each
storage entry holds the SHA-256 of its file's bytes, so together they cover
the whole payload.

Loading checks, before trusting anything: the zip's structure (stored
entries only, exactly the expected members), the body digest, that every
window lies inside its storage and (for tensors) is one minigrad can build
with view ops, each file's size and digest, and that every ``.npy`` header
agrees with the manifest.  A truncated, corrupted or tampered file raises
``CheckpointError`` (a ``RuntimeError``) naming the problem; nothing in the
file can name a Python object to build or a function to call.  PyTorch
checkpoints (pickles) are recognised and refused with instructions, never
unpickled.  A tensor alone on its storage and covering all of it row-major
(what a state dict mostly holds) loads as a plain tensor; every other tensor
is a view, made with minigrad's view ops (slicing, ``view``, ``permute``,
``unsqueeze``, ``expand``), of one flat tensor over its storage, so tensors
that shared memory when saved share memory and a version counter when
loaded.  Version 1 checkpoints (one ``tensors/<k>.npy`` per tensor, in its
own shape, nothing shared) still load.

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
from ._factories import from_numpy, zeros
from ._tensor import Size, Tensor, cat

__all__ = ["save", "load", "CheckpointError"]

FORMAT = "minigrad.save"
VERSION = 2                      # what save writes
READABLE_VERSIONS = (1, 2)
MANIFEST = "manifest.json"
_V1_TENSOR_FILE = re.compile(r"tensors/(0|[1-9][0-9]{0,8})\.npy")
_MAX_MANIFEST_BYTES = 1 << 30
_NPY_HEADER_SLACK = 1 << 16            # the .npy header is far smaller than this
_MAX_NDIM = 64                         # NumPy's limit
_MAX_BYTES = 2 ** 62                   # any array's extent in bytes stays far inside NumPy's intp
_TENSOR_DTYPES = frozenset(d.name for d in _dtype.ALL)
_TENSOR_STORAGE_DTYPES = frozenset(np.dtype(name).str for name in _TENSOR_DTYPES)
_PICKLE_HINT = ("minigrad never unpickles (a pickle can run arbitrary code). Convert it once with PyTorch: "
                "sd = torch.load(path, weights_only=True), then minigrad.save({k: minigrad.tensor(v.numpy()) "
                "for k, v in sd.items()}, new_path)")


class CheckpointError(RuntimeError):
    """A file that ``minigrad.load`` refuses: truncated, corrupted, tampered with, or not a minigrad checkpoint."""


# ================================================================ layouts ==
# Shared by save (what it may write) and load (what it accepts and how it builds it).

def _row_major(shape, strides) -> bool:
    """Whether (shape, strides) in elements is the row-major layout of ``shape`` (size-1 dims' strides ignored)."""
    expected = 1
    for n, s in zip(reversed(shape), reversed(strides)):
        if n != 1 and s != expected:
            return False
        expected *= n
    return True


def _smallest_divisor(n: int, at_least: int):
    """The smallest divisor of ``n`` that is >= ``at_least``, or None (O(sqrt(n)); n is below the storage's size)."""
    if at_least > n:
        return None
    if n % at_least == 0:
        return at_least
    best, i = n, 1
    while i * i <= n:
        if n % i == 0:
            for p in (i, n // i):
                if at_least <= p < best:
                    best = p
        i += 1
    return best


def _view_plan(shape, strides):
    """How minigrad's view ops build the layout (shape, strides) from a flat tensor, or None when they cannot.

    Returns (order, chunks, length): ``order`` lists the dims of size > 1 and stride != 0, largest stride
    first.  The tensor is cut from ``length`` consecutive elements: viewed as rows of ``chunks[0]``
    elements and stepped through by ``strides[order[0]] // chunks[0]`` rows, then each row likewise for the
    next dim (the innermost, whose chunk is 1, is a plain step slice).  A chunk must divide its dim's stride
    and hold everything inside it; the smallest such divisor is taken, innermost first.  None: negative
    strides, or a dim whose elements' windows overlap the next one's (as ``unfold`` or ``as_strided`` make).
    """
    order = [d for d, (n, s) in enumerate(zip(shape, strides)) if n > 1 and s != 0]
    if any(strides[d] < 0 for d in order):
        return None
    order.sort(key=lambda d: -strides[d])
    chunks = [1] * len(order)
    need = 1                                   # elements the dims inside the current one span
    for i in reversed(range(len(order))):
        d = order[i]
        if i < len(order) - 1:
            chunks[i] = _smallest_divisor(strides[d], need)
            if chunks[i] is None:
                return None
        need = (shape[d] - 1) * strides[d] + chunks[i]
    return order, chunks, need


def _rows_end(offset, shape, strides) -> int:
    """One past the last storage element that building this tensor with view ops slices out: up to a chunk
    minus one past the tensor's own last element."""
    if math.prod(shape) == 0:
        return offset
    return offset + _view_plan(shape, strides)[2]


def _tensor_view(flat: Tensor, offset, shape, strides) -> Tensor:
    """The tensor (offset, shape, strides) over the 1-D ``flat``, built with view ops only (so it shares
    ``flat``'s memory and version counter).  ``flat`` must extend to ``_rows_end``."""
    if math.prod(shape) == 0:
        return flat[offset:offset].view(tuple(shape))
    order, chunks, length = _view_plan(shape, strides)
    t = flat[offset: offset + length]
    for i, (d, chunk) in enumerate(zip(order, chunks)):
        span = (shape[d] - 1) * strides[d] + chunk
        if i:
            t = t[..., :span]
        if chunk == 1:                         # the innermost dim
            t = t[..., :: strides[d]]
        else:
            t = t.view(tuple(t.shape[:-1]) + (span // chunk, chunk))
            if strides[d] != chunk:
                t = t[..., :: strides[d] // chunk, :]
    if not order:
        t = t[0]
    perm = sorted(range(len(order)), key=lambda i: order[i])
    if perm != list(range(len(order))):
        t = t.permute(perm)
    for d in range(len(shape)):                # size-1 and stride-0 dims
        if d not in order:
            t = t.unsqueeze(d)
    return t.expand(tuple(shape)) if tuple(t.shape) != tuple(shape) else t


def _ndarray_view(host: np.ndarray, offset, shape, strides) -> np.ndarray:
    """The NumPy array (offset, shape, strides) over the 1-D ``host``; the caller checked the bounds."""
    if math.prod(shape) == 0:
        return host[offset:offset].reshape(shape)
    return np.lib.stride_tricks.as_strided(host[offset:], shape=tuple(shape),
                                           strides=tuple(s * host.itemsize for s in strides))


# =================================================================== save ==

def _is_parameter(t) -> bool:
    """Whether ``t`` is an ``nn.Parameter`` (looked up lazily: nn imports after this module)."""
    parameter = getattr(sys.modules.get("minigrad.nn"), "Parameter", None)
    return parameter is not None and isinstance(t, parameter)


def _lowest_element(arr: np.ndarray) -> np.ndarray:
    """A one-element view of the element of ``arr`` at the lowest address."""
    if arr.ndim == 0:
        return arr[None]
    return arr[tuple(slice(n - 1, n) if s < 0 else slice(0, 1) for n, s in zip(arr.shape, arr.strides))]


class _Encoder:
    """Turns an object into manifest nodes, collecting tensors and arrays, then groups them into storages."""

    def __init__(self):
        # Host arrays stay referenced until the archive is written: their addresses identify shared memory,
        # so none may be freed (and its address reused) meanwhile.
        self.arrays: list[np.ndarray] = []
        self.devices: list[str] = []
        self.entries: list[dict[str, Any]] = []
        self.storages: list[np.ndarray] = []
        self.storage_devices: list[str] = []
        self._memo: dict[int, int] = {}         # id(tensor or array) -> index in ``entries``
        self._keep: list[Any] = []              # keep memoised objects alive so ids stay unique
        self._active: set[int] = set()          # containers being encoded (cycle detection)

    def _array(self, obj, kind: str) -> int:
        key = id(obj)
        if key in self._memo:
            return self._memo[key]
        if kind == "tensor":
            arr = obj.detach().numpy(force=True)         # the tensor's own memory on the CPU, a copy elsewhere
            device = str(obj.device)
            entry = {"kind": "tensor", "requires_grad": bool(obj.requires_grad), "parameter": _is_parameter(obj)}
        else:
            arr = np.asarray(obj)
            if arr.dtype.kind not in "biufc" or arr.dtype.fields is not None:
                raise TypeError(f"minigrad.save cannot store a NumPy array of dtype {arr.dtype} (only boolean and "
                                "numeric arrays: object/string arrays would need pickling)")
            if not arr.dtype.isnative:
                arr = arr.astype(arr.dtype.newbyteorder("="))
            device = "cpu"
            entry = {"kind": kind}
        k = len(self.entries)
        self.arrays.append(arr)
        self.devices.append(device)
        self.entries.append(entry)
        self._memo[key] = k
        self._keep.append(obj)
        return k

    def assign_storages(self) -> None:
        """Fill each entry's storage, offset, shape and strides, and ``storages`` with the memory to write."""
        groups: dict[tuple, list] = {}
        empty = []
        for k, arr in enumerate(self.arrays):
            if arr.size == 0:
                empty.append(k)
                continue
            item = arr.itemsize
            if any(s % item for s in arr.strides) or (
                    self.entries[k]["kind"] == "tensor"
                    and _view_plan(arr.shape, [s // item for s in arr.strides]) is None):
                arr = self.arrays[k] = np.array(arr, order="C")     # a private row-major copy
            ptr = arr.__array_interface__["data"][0]
            low = ptr + sum((n - 1) * s for n, s in zip(arr.shape, arr.strides) if s < 0)
            high = ptr + sum((n - 1) * s for n, s in zip(arr.shape, arr.strides) if s > 0) + item
            # Overlapping byte ranges can only be one allocation; the residue keeps offsets whole elements.
            groups.setdefault((arr.dtype.str, self.devices[k], ptr % item), []).append((low, high, k))
        clusters = []                                   # [lo, hi, [k, ...]]: one per run of overlapping ranges
        for members in groups.values():
            members.sort()
            run = None
            for low, high, k in members:
                if run is not None and low < run[1]:
                    run[1] = max(run[1], high)
                    run[2].append(k)
                else:
                    run = [low, high, [k]]              # its first member holds the lowest address
                    clusters.append(run)
        clusters += [[None, None, [k]] for k in empty]
        clusters.sort(key=lambda c: min(c[2]))          # storages numbered in the order objects were met
        for sid, (lo, hi, ks) in enumerate(clusters):
            first = self.arrays[ks[0]]
            item = first.itemsize
            if lo is None:                              # an empty array: an empty storage of its own
                storage = np.empty(0, first.dtype)
            else:                                       # the bytes lo..hi, read in place
                storage = np.lib.stride_tricks.as_strided(_lowest_element(first), shape=((hi - lo) // item,),
                                                          strides=(item,), writeable=False)
            self.storages.append(storage)
            self.storage_devices.append(self.devices[ks[0]])
            for k in ks:
                arr = self.arrays[k]
                if lo is None:
                    offset, strides = 0, _c_strides(arr.shape)
                else:
                    offset = (arr.__array_interface__["data"][0] - lo) // item
                    strides = [s // item for s in arr.strides]
                self.entries[k].update(storage=sid, offset=offset, shape=list(arr.shape), strides=strides)

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


def _c_strides(shape) -> list[int]:
    out, step = [], 1
    for n in reversed(shape):
        out.append(step)
        step *= n
    return out[::-1]


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
    storages = []
    with zipfile.ZipFile(fh, "w", compression=zipfile.ZIP_STORED, allowZip64=True) as zf:
        for sid, (arr, device) in enumerate(zip(encoder.storages, encoder.storage_devices)):
            name = f"storages/{sid}.npy"
            with zf.open(name, "w", force_zip64=arr.nbytes > (1 << 30)) as member:
                w = _HashingWriter(member)
                np.lib.format.write_array(w, arr, allow_pickle=False)
            storages.append({"file": name, "dtype": arr.dtype.str, "numel": int(arr.size), "device": device,
                             "sha256": w.sha.hexdigest()})
        body = {"root": root, "storages": storages, "tensors": encoder.entries}
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
    path is written atomically (temporary file, fsync, ``os.replace``).
    Tensors and arrays that share memory are written once, as one storage,
    and load sharing it again (see the module docstring).  The
    pickle-related arguments exist for torch's signature and are ignored:
    minigrad never pickles.
    """
    encoder = _Encoder()
    root = encoder.encode(obj)
    encoder.assign_storages()
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
    """Rebuilds the saved object from validated manifest nodes, storages and tensor entries."""

    def __init__(self, zf: zipfile.ZipFile, storages: list, entries: list, archive_size: int, map_location,
                 what: str):
        self.zf, self.storages, self.entries, self.archive_size = zf, storages, entries, archive_size
        self.map_location, self.what = map_location, what
        self._loaded: dict[int, Any] = {}
        self._host: dict[int, np.ndarray] = {}          # storage id -> its elements (plus padding), on the host
        self._flat: dict[int, Tensor] = {}              # storage id -> one flat tensor over it, on its device
        users = collections.Counter(e["storage"] for e in entries)
        # A tensor alone on its storage and covering it row-major loads as a plain tensor, as version 1 did.
        self._plain = [users[e["storage"]] == 1 and e["offset"] == 0 and _row_major(e["shape"], e["strides"])
                       and math.prod(e["shape"]) == storages[e["storage"]]["numel"] for e in entries]
        # Views are cut from whole rows of one flat slice, which may run past the storage's last element: the
        # host buffer gets that many extra (zero, never visible) elements; fewer than the storage has.
        self._pad = [0] * len(storages)
        for k, e in enumerate(entries):
            if e["kind"] == "tensor" and not self._plain[k]:
                s = e["storage"]
                end = _rows_end(e["offset"], e["shape"], e["strides"])
                self._pad[s] = max(self._pad[s], end - storages[s]["numel"])

    def fail(self, problem):
        _refuse(self.what, problem)

    # ---------------------------------------------------------- storages --
    def _host_array(self, s: int) -> np.ndarray:
        if s in self._host:
            return self._host[s]
        st = self.storages[s]
        name, dtype = st["file"], np.dtype(st["dtype"])
        info = self.zf.getinfo(name)
        nbytes = st["numel"] * dtype.itemsize
        if not nbytes <= info.file_size <= nbytes + _NPY_HEADER_SLACK or info.file_size > self.archive_size:
            self.fail(f"'{name}' has {info.file_size} bytes, its manifest entry needs {nbytes} plus a header")
        buf = bytearray(info.file_size + self._pad[s] * dtype.itemsize)     # padding checked <= nbytes
        view = memoryview(buf)[: info.file_size]
        with self.zf.open(info) as member:           # zipfile checks the CRC-32 at the end
            pos = 0
            while pos < len(view):
                n = member.readinto(view[pos: pos + (1 << 24)])
                if not n:
                    self.fail(f"'{name}' ends early (truncated?)")
                pos += n
            if member.read(1):
                self.fail(f"'{name}' is longer than its zip header says")
        if hashlib.sha256(view).hexdigest() != st["sha256"]:
            self.fail(f"checksum mismatch for '{name}': the file is corrupted or was modified")
        header = self._parse_npy_header(view, name)
        shape, file_dtype, data_start = header
        if file_dtype != dtype or list(shape) != st["npy_shape"]:
            self.fail(f"'{name}' holds {file_dtype}{list(shape)}, the manifest says {dtype.str}{st['npy_shape']}")
        if info.file_size - data_start != nbytes:
            self.fail(f"'{name}' has {info.file_size - data_start} data bytes, its header needs {nbytes}")
        arr = np.frombuffer(buf, dtype=dtype, count=st["numel"] + self._pad[s], offset=data_start)
        self._host[s] = arr
        return arr

    def _parse_npy_header(self, view, name: str):
        """(shape, dtype, data offset) of a .npy file's bytes; the header is parsed without pickle."""
        fp = io.BytesIO(view[:_NPY_HEADER_SLACK])
        version = np.lib.format.read_magic(fp)
        if version not in ((1, 0), (2, 0)):
            self.fail(f"'{name}' has an unsupported .npy version {version}")
        read_header = np.lib.format.read_array_header_1_0 if version == (1, 0) else \
            np.lib.format.read_array_header_2_0
        shape, fortran_order, dtype = read_header(fp)
        if fortran_order or dtype.hasobject or dtype.fields is not None:
            self.fail(f"'{name}' is not a plain C-ordered numeric array")
        return shape, dtype, fp.tell()

    def _flat_tensor(self, s: int) -> Tensor:
        """One flat tensor over storage ``s`` (and its padding) on the load device: the base of its views."""
        if s in self._flat:
            return self._flat[s]
        host = self._host_array(s)
        n, pad, saved = self.storages[s]["numel"], self._pad[s], self.storages[s]["device"]
        flat = from_numpy(host)
        if callable(self.map_location):
            arg = flat[:n] if pad else flat
            out = self.map_location(arg, saved)
            if isinstance(out, Tensor) and out is not arg:
                if tuple(out.shape) != (n,) or out.dtype is not arg.dtype:
                    raise RuntimeError(f"minigrad.load: map_location returned a tensor of shape {list(out.shape)} "
                                       f"and dtype {out.dtype} for a storage of {n} elements of {arg.dtype}; it "
                                       "must return a tensor of the same shape and dtype")
                if pad:
                    out = cat([out, zeros(pad, dtype=out.dtype, device=out.device)])
                flat = out
        else:
            dev = self._device(saved)
            if dev != flat.device:
                flat = flat.to(dev)
        self._flat[s] = flat
        return flat

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

    # ----------------------------------------------------------- tensors --
    def array(self, k, kind):
        if not isinstance(k, int) or isinstance(k, bool) or not 0 <= k < len(self.entries):
            self.fail(f"tensor id {k!r} is out of range")
        entry = self.entries[k]
        if entry["kind"] != kind:
            self.fail(f"tensor id {k} is a {entry['kind']}, referenced as a {kind}")
        if k in self._loaded:
            return self._loaded[k]
        s, offset, shape, strides = entry["storage"], entry["offset"], entry["shape"], entry["strides"]
        if kind != "tensor":
            host = self._host_array(s)          # (a plain entry is alone on its storage: no padding)
            arr = host.reshape(shape) if self._plain[k] else _ndarray_view(host, offset, shape, strides)
            out = arr if kind == "ndarray" else arr[()]
        else:
            if self._plain[k]:
                out = self._place(from_numpy(self._host_array(s).reshape(shape)), self.storages[s]["device"])
            else:
                out = _tensor_view(self._flat_tensor(s), offset, shape, strides)
            if entry["requires_grad"]:
                out.requires_grad_(True)
            if entry["parameter"]:
                from . import nn
                parameter = getattr(nn, "Parameter", None)
                if parameter is not None:
                    out = parameter(out, requires_grad=entry["requires_grad"])
        self._loaded[k] = out
        return out

    def _place(self, t: Tensor, saved: str) -> Tensor:
        if callable(self.map_location):
            out = self.map_location(t, saved)
            return out if isinstance(out, Tensor) else t
        dev = self._device(saved)
        return t if dev == t.device else t.to(dev)

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


def _ints(x, lo=None) -> bool:
    return isinstance(x, list) and all(type(n) is int and (lo is None or n >= lo) for n in x)


def _check_flags(e, k, dtype: np.dtype, what):
    if dtype.str not in _TENSOR_STORAGE_DTYPES:
        _refuse(what, f"tensor entry {k} has an unsupported dtype {dtype.str!r}")
    if type(e["requires_grad"]) is not bool or type(e["parameter"]) is not bool:
        _refuse(what, f"tensor entry {k} has malformed fields")
    if e["requires_grad"] and dtype.kind != "f":
        _refuse(what, f"tensor entry {k}: only floating point tensors can require grad")


def _check_layout(e, k, st, what):
    """The window (offset, shape, strides) of entry ``k`` lies inside storage ``st``; tensors are buildable."""
    shape, strides, offset, n = e["shape"], e["strides"], e["offset"], st["numel"]
    itemsize = np.dtype(st["dtype"]).itemsize
    if not _ints(shape, 0) or len(shape) > _MAX_NDIM or not _ints(strides) or len(strides) != len(shape) \
            or type(offset) is not int or offset < 0:
        _refuse(what, f"tensor entry {k} has a malformed offset, shape or strides")
    if math.prod(shape) * itemsize > _MAX_BYTES or any(abs(s) * itemsize > _MAX_BYTES for s in strides):
        _refuse(what, f"tensor entry {k} has an implausibly large shape or strides")
    if math.prod(shape) == 0:
        if offset > n:
            _refuse(what, f"tensor entry {k} starts at element {offset} of a storage of {n}")
    else:
        first = offset + sum((m - 1) * s for m, s in zip(shape, strides) if s < 0)
        last = offset + sum((m - 1) * s for m, s in zip(shape, strides) if s > 0)
        if first < 0 or last >= n:
            _refuse(what, f"tensor entry {k} reaches elements {first}..{last} of a storage of {n} elements")
    if e["kind"] == "tensor" and _view_plan(shape, strides) is None:
        _refuse(what, f"tensor entry {k} has strides {strides} for shape {shape}, a layout minigrad never writes "
                      "(negative or overlapping strides)")
    if e["kind"] == "npscalar" and shape != []:
        _refuse(what, f"scalar entry {k} is not 0-dimensional")


def _storage_dtype(dt, what, where) -> np.dtype:
    if not isinstance(dt, str) or not re.fullmatch(r"[<>|][biufc][0-9]{1,2}", dt):
        _refuse(what, f"{where} has an unsupported dtype {dt!r}")
    try:
        out = np.dtype(dt)
    except TypeError:
        _refuse(what, f"{where} has an unsupported dtype {dt!r}")
    if out.str != dt or not out.isnative:
        _refuse(what, f"{where} has an unsupported dtype {dt!r}")
    return out


def _check_v2(body, what):
    """Validated (storages, entries) of a version 2 body."""
    if set(body) != {"root", "storages", "tensors"}:
        _refuse(what, "the manifest body has unexpected fields")
    storages, entries = body["storages"], body["tensors"]
    if not isinstance(storages, list) or not isinstance(entries, list):
        _refuse(what, "the manifest's storage or tensor table is not a list")
    for s, st in enumerate(storages):
        if not isinstance(st, dict) or set(st) != {"file", "dtype", "numel", "device", "sha256"}:
            _refuse(what, f"malformed storage entry {s}")
        if st["file"] != f"storages/{s}.npy":
            _refuse(what, f"storage entry {s} names an unexpected file {st['file']!r}")
        dtype = _storage_dtype(st["dtype"], what, f"storage entry {s}")
        if type(st["numel"]) is not int or not 0 <= st["numel"] * dtype.itemsize <= _MAX_BYTES:
            _refuse(what, f"storage entry {s} has a malformed numel")
        if not isinstance(st["device"], str):
            _refuse(what, f"storage entry {s} has a malformed device")
        if not isinstance(st["sha256"], str) or not re.fullmatch(r"[0-9a-f]{64}", st["sha256"]):
            _refuse(what, f"storage entry {s} has a malformed sha256")
    storages = [dict(st, npy_shape=[st["numel"]]) for st in storages]
    used = set()
    for k, e in enumerate(entries):
        if not isinstance(e, dict) or e.get("kind") not in ("tensor", "ndarray", "npscalar"):
            _refuse(what, f"malformed tensor entry {k}")
        keys = {"kind", "storage", "offset", "shape", "strides"}
        if e["kind"] == "tensor":
            keys |= {"requires_grad", "parameter"}
        if set(e) != keys:
            _refuse(what, f"tensor entry {k} has fields {sorted(e)}, expected {sorted(keys)}")
        s = e["storage"]
        if type(s) is not int or not 0 <= s < len(storages):
            _refuse(what, f"tensor entry {k} names a storage {s!r} that does not exist")
        used.add(s)
        if e["kind"] == "tensor":
            _check_flags(e, k, np.dtype(storages[s]["dtype"]), what)
        _check_layout(e, k, storages[s], what)
    if len(used) != len(storages):
        _refuse(what, f"storage {min(set(range(len(storages))) - used)} is used by no tensor")
    return storages, entries


def _check_v1(body, what):
    """A version 1 body (one shaped .npy per tensor) as (storages, entries) of the version 2 layout."""
    if set(body) != {"root", "tensors"}:
        _refuse(what, "the manifest body has unexpected fields")
    entries = body["tensors"]
    if not isinstance(entries, list):
        _refuse(what, "the manifest's tensor table is not a list")
    storages, out = [], []
    for k, e in enumerate(entries):
        if not isinstance(e, dict) or e.get("kind") not in ("tensor", "ndarray", "npscalar"):
            _refuse(what, f"malformed tensor entry {k}")
        keys = {"kind", "file", "dtype", "shape", "sha256"}
        if e["kind"] == "tensor":
            keys |= {"device", "requires_grad", "parameter"}
        if set(e) != keys:
            _refuse(what, f"tensor entry {k} has fields {sorted(e)}, expected {sorted(keys)}")
        if e["file"] != f"tensors/{k}.npy" or not _V1_TENSOR_FILE.fullmatch(e["file"]):
            _refuse(what, f"tensor entry {k} names an unexpected file {e['file']!r}")
        if not _ints(e["shape"], 0) or len(e["shape"]) > _MAX_NDIM:
            _refuse(what, f"tensor entry {k} has a malformed shape")
        if not isinstance(e["sha256"], str) or not re.fullmatch(r"[0-9a-f]{64}", e["sha256"]):
            _refuse(what, f"tensor entry {k} has a malformed sha256")
        if e["kind"] == "tensor":
            if e["dtype"] not in _TENSOR_DTYPES:
                _refuse(what, f"tensor entry {k} has an unsupported dtype {e['dtype']!r}")
            dtype = np.dtype(e["dtype"])
            if not isinstance(e["device"], str):
                _refuse(what, f"tensor entry {k} has malformed fields")
            _check_flags(e, k, dtype, what)
        else:
            dtype = _storage_dtype(e["dtype"], what, f"array entry {k}")
        numel = math.prod(e["shape"])
        if numel * dtype.itemsize > _MAX_BYTES:
            _refuse(what, f"tensor entry {k} has an implausibly large shape")
        storages.append({"file": e["file"], "dtype": dtype.str, "numel": numel, "device": e.get("device", "cpu"),
                         "sha256": e["sha256"], "npy_shape": e["shape"]})
        entry = {"kind": e["kind"], "storage": k, "offset": 0, "shape": e["shape"],
                 "strides": _c_strides(e["shape"])}
        if e["kind"] == "tensor":
            entry.update(requires_grad=e["requires_grad"], parameter=e["parameter"])
        _check_layout(entry, k, storages[k], what)
        out.append(entry)
    return storages, out


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
        version = manifest.get("version")
        if type(version) is not int or version not in READABLE_VERSIONS:
            _refuse(what, f"unsupported checkpoint version {version!r} (this minigrad reads versions "
                          f"{', '.join(map(str, READABLE_VERSIONS))})")
        if set(manifest) != {"format", "version", "body", "body_sha256"} or not isinstance(manifest["body"], dict):
            _refuse(what, "the manifest has unexpected fields")
        body = manifest["body"]
        if hashlib.sha256(_canonical(body)).hexdigest() != manifest["body_sha256"]:
            _refuse(what, "checksum mismatch for the manifest: the file is corrupted or was modified")
        storages, entries = (_check_v1 if version == 1 else _check_v2)(body, what)
        expected = {MANIFEST} | {st["file"] for st in storages}
        if set(names) != expected:
            extra, missing = sorted(set(names) - expected), sorted(expected - set(names))
            _refuse(what, f"the archive's members do not match its manifest (unexpected: {extra}, "
                          f"missing: {missing})")
        decoder = _Decoder(zf, storages, entries, archive_size, map_location, what)
        try:
            return decoder.node(body["root"])
        except RecursionError:
            _refuse(what, "the saved structure is nested too deeply")


def load(f, map_location=None, pickle_module=None, *, weights_only=True, mmap=None, **pickle_load_args):
    """Load an object saved by ``minigrad.save``.

    Tensors come back with their dtype, ``requires_grad`` and device, and
    those that shared memory when saved share it (and a version counter)
    again.  Like ``torch.load``, ``map_location`` (a device, a string, a
    ``{saved: new}`` dict, or a function ``(tensor, saved_location) ->
    tensor``) moves them; the function is called once per storage, with a
    1-D tensor over it (or, for a tensor that is all of its storage, with
    that tensor), and must return it or a tensor of its shape and dtype.
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
