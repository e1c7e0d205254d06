"""minigrad.save / minigrad.load: round trips, shared storage, refusal of damaged or hostile files, atomic writes.

The format is minigrad's own (a zip of one .npy file per storage plus a JSON
manifest, see minigrad/serialization.py), so these tests exercise minigrad
directly.  Version 1 files (one .npy per tensor, written before storages
existed) are built here by ``v1_archive`` and must still load.
"""
from __future__ import annotations

import collections
import hashlib
import io
import json
import os
import pickle
import re
import signal
import subprocess
import sys
import textwrap
import time
import zipfile
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, strategies as st
from hypothesis.extra import numpy as hnp

import minigrad as mg
from minigrad.serialization import CheckpointError, load, save

DTYPES = ["float32", "float64", "float16", "int64", "int32", "int16", "int8", "uint8", "bool"]


# ----------------------------------------------------------------- helpers --
def assert_same(got, want, path="obj"):
    """Same types (OrderedDict vs dict, tuple vs list, int vs bool), same key order, same tensors."""
    assert type(got) is type(want), f"{path}: {type(got).__name__} vs {type(want).__name__}"
    if isinstance(want, mg.Tensor):
        assert got.dtype is want.dtype and got.shape == want.shape, path
        assert got.requires_grad == want.requires_grad and got.is_leaf, path
        np.testing.assert_array_equal(got.detach().numpy(), want.detach().numpy(), err_msg=path)
    elif isinstance(want, np.ndarray):
        assert got.dtype == want.dtype and got.shape == want.shape, path
        np.testing.assert_array_equal(got, want, err_msg=path)
    elif isinstance(want, dict):
        assert list(got.keys()) == list(want.keys()), path
        assert [type(k) for k in got] == [type(k) for k in want], path
        for k in want:
            assert_same(got[k], want[k], f"{path}[{k!r}]")
    elif isinstance(want, (list, tuple)):
        assert len(got) == len(want), path
        for i, (a, b) in enumerate(zip(got, want)):
            assert_same(a, b, f"{path}[{i}]")
    elif isinstance(want, float):
        assert (got == want and np.signbit(got) == np.signbit(want)) or (got != got and want != want), path
    else:
        assert got == want, path


def roundtrip(obj, tmp_path=None, **load_kw):
    if tmp_path is None:
        buf = io.BytesIO()
        save(obj, buf)
        buf.seek(0)
        return load(buf, **load_kw)
    path = tmp_path / "ckpt.mg"
    save(obj, path)
    return load(path, **load_kw)


def archive_bytes(obj) -> bytes:
    buf = io.BytesIO()
    save(obj, buf)
    return buf.getvalue()


def rebuild(members: dict[str, bytes]) -> bytes:
    """A zip archive with the given members (stored, fresh CRCs): what a deliberate tamperer would write."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_STORED) as zf:
        for name, data in members.items():
            zf.writestr(name, data)
    return out.getvalue()


def members_of(data: bytes) -> dict[str, bytes]:
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        return {n: zf.read(n) for n in zf.namelist()}


def seal(manifest: dict) -> bytes:
    """Re-sign a manifest's body digest, as an attacker who knows the format can."""
    body = manifest["body"]
    canon = json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=True).encode()
    manifest["body_sha256"] = hashlib.sha256(canon).hexdigest()
    return json.dumps(manifest).encode()


def load_bytes(data: bytes, **kw):
    return load(io.BytesIO(data), **kw)


def manifest_of(data: bytes) -> dict:
    return json.loads(members_of(data)["manifest.json"])


def sha_of(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def npy_bytes(arr) -> bytes:
    buf = io.BytesIO()
    np.lib.format.write_array(buf, np.asarray(arr), allow_pickle=False)
    return buf.getvalue()


def v1_archive(obj) -> bytes:
    """The bytes that minigrad.save wrote in format version 1 (one row-major .npy per tensor, nothing shared),
    for dicts, lists, strings, ints, tensors and arrays: what a checkpoint saved before storages holds."""
    arrays, entries = [], []

    def enc(o):
        if isinstance(o, (mg.Tensor, np.ndarray)):
            k = len(arrays)
            if isinstance(o, mg.Tensor):
                arr = np.array(o.detach().numpy(), order="C")
                entry = {"kind": "tensor", "dtype": o.dtype.name, "device": str(o.device),
                         "requires_grad": o.requires_grad, "parameter": isinstance(o, mg.nn.Parameter)}
            else:
                arr = np.array(o, order="C")
                entry = {"kind": "ndarray", "dtype": arr.dtype.str}
            entry.update(file=f"tensors/{k}.npy", shape=list(arr.shape))
            arrays.append(arr)
            entries.append(entry)
            return {"type": "tensor" if isinstance(o, mg.Tensor) else "ndarray", "id": k}
        if isinstance(o, dict):
            return {"type": "dict", "items": [[enc(k), enc(v)] for k, v in o.items()]}
        if isinstance(o, list):
            return {"type": "list", "items": [enc(x) for x in o]}
        return {"type": type(o).__name__, "value": o}

    root = enc(obj)
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_STORED, allowZip64=True) as zf:
        for arr, entry in zip(arrays, entries):
            data = npy_bytes(arr)
            with zf.open(entry["file"], "w") as member:
                member.write(data)
            entry["sha256"] = sha_of(data)
        body = {"root": root, "tensors": entries}
        canon = json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=True).encode()
        manifest = {"format": "minigrad.save", "version": 1, "body": body, "body_sha256": sha_of(canon)}
        info = zipfile.ZipInfo("manifest.json")
        zf.writestr(info, json.dumps(manifest, separators=(",", ":")))
    return out.getvalue()


# ============================================================ round trips ==
tensors = st.builds(
    lambda arr, rg: mg.tensor(arr, requires_grad=rg and arr.dtype.kind == "f"),
    st.sampled_from(DTYPES).flatmap(lambda d: hnp.arrays(np.dtype(d), hnp.array_shapes(min_dims=0, max_dims=3,
                                                                                          min_side=0, max_side=4))),
    st.booleans())
keys = st.one_of(st.text(max_size=8), st.integers(-10, 10**20), st.booleans(), st.none(),
                 st.floats(allow_nan=False), st.tuples(st.integers(0, 5), st.text(max_size=3)))
leaves = st.one_of(st.none(), st.booleans(), st.integers(-(2**70), 2**70), st.floats(), st.text(max_size=10),
                   st.binary(max_size=10), tensors,
                   hnp.arrays(st.sampled_from([np.float32, np.int16, np.uint8, np.complex64, np.bool_]),
                              hnp.array_shapes(max_dims=2, max_side=3)))
structures = st.recursive(
    leaves,
    lambda inner: st.one_of(st.lists(inner, max_size=4), st.lists(inner, max_size=4).map(tuple),
                            st.dictionaries(keys, inner, max_size=4),
                            st.dictionaries(keys, inner, max_size=4).map(collections.OrderedDict)),
    max_leaves=12)


@given(obj=structures)
def test_roundtrip_nested_structures(obj):
    assert_same(roundtrip(obj), obj)


def test_roundtrip_state_dicts(tmp_path):
    sd = collections.OrderedDict([("fc2.weight", mg.randn(3, 4)), ("fc1.bias", mg.zeros(4, dtype=mg.float64)),
                                  ("bn.num_batches_tracked", mg.tensor(7)), ("mask", mg.tensor([True, False]))])
    sd._metadata = collections.OrderedDict([("", {"version": 1}), ("fc1", {"version": 2})])
    got = roundtrip(sd, tmp_path)
    assert_same(got, sd)
    assert got._metadata == sd._metadata and type(got._metadata) is collections.OrderedDict

    opt_sd = {"state": {0: {"step": mg.tensor(3.0), "exp_avg": mg.randn(2)}, 2: {"momentum_buffer": None}},
              "param_groups": [{"lr": 1e-3, "betas": (0.9, 0.999), "eps": 1e-8, "amsgrad": False,
                                "foreach": None, "params": [0, 1, 2]}]}
    assert_same(roundtrip(opt_sd, tmp_path), opt_sd)


def test_roundtrip_special_values_and_types(tmp_path):
    obj = [float("nan"), float("inf"), -float("inf"), -0.0, 5e-324, 2**100, -(2**63), "ünïcødé", b"\x00\xff",
           mg.float16, mg.int64, mg.device("cpu"), mg.Size([2, 0, 3]), np.float32(1.5), np.int8(-3),
           np.bool_(True), np.arange(6, dtype=np.int32).reshape(2, 3).T, ()]
    got = roundtrip(obj, tmp_path)
    assert_same(got[:9], obj[:9])
    assert got[9] is mg.float16 and got[10] is mg.int64 and got[11] == mg.device("cpu")
    assert type(got[12]) is mg.Size and got[12] == (2, 0, 3)
    assert type(got[13]) is np.float32 and got[13] == 1.5 and type(got[14]) is np.int8 and got[14] == -3
    assert type(got[15]) is np.bool_ and got[15]
    np.testing.assert_array_equal(got[16], obj[16])
    assert got[17] == ()


def test_tensor_attributes(tmp_path):
    w = mg.randn(3, requires_grad=True)
    (w * 2).sum().backward()
    nonleaf = w * 3
    got = roundtrip({"w": w, "d": w.detach(), "n": nonleaf, "t": mg.randn(4, 3).t()}, tmp_path)
    assert got["w"].requires_grad and got["w"].is_leaf and got["w"].grad is None      # grads are not saved
    assert not got["d"].requires_grad
    assert got["n"].requires_grad and got["n"].is_leaf                                  # as torch.load
    np.testing.assert_array_equal(got["t"].numpy(), got["t"].numpy().copy())
    assert got["t"].shape == (3, 4)
    got["w"].data.mul_(2)                                                               # loaded arrays are writable


def test_shared_tensors_stay_shared():
    t = mg.randn(2)
    got = roundtrip({"a": t, "b": [t, t]})
    assert got["a"] is got["b"][0] is got["b"][1]


# ========================================================= shared storage ==
def storage_count(data: bytes) -> int:
    return len(manifest_of(data)["body"]["storages"])


def test_views_load_as_views_of_one_storage(tmp_path):
    """torch.save/torch.load keep views: writing into the loaded base shows in the loaded view."""
    x = mg.arange(4.0)
    data = archive_bytes({"a": x, "v": x[1:3]})
    assert storage_count(data) == 1
    got = roundtrip({"a": x, "v": x[1:3]}, tmp_path)
    np.testing.assert_array_equal(got["v"].numpy(), [1.0, 2.0])
    version = got["v"]._version
    got["a"].add_(10)
    np.testing.assert_array_equal(got["v"].numpy(), [11.0, 12.0])
    assert got["v"]._version > version                # one version counter, as views share
    got["v"].mul_(0)
    np.testing.assert_array_equal(got["a"].numpy(), [10.0, 0.0, 0.0, 13.0])
    assert got["a"]._version == got["v"]._version


def test_layouts_from_view_ops_round_trip_shared():
    w = mg.tensor(np.arange(60, dtype=np.float32).reshape(3, 4, 5))
    views = {"w": w, "t": w.transpose(0, 2), "step": w[1:, ::2, 1::3], "row": w[2], "col": w[:, 1, 3],
             "perm": w.permute(1, 2, 0)[::3], "expand": w[:, :1, 2:4].expand(3, 6, 2), "unsq": w[0].unsqueeze(1),
             "elem": w[1, 2, 3], "flat": w.view(60)[7:50:7], "empty": w[:, 2:2], "np": w.numpy()[::-1, 2]}
    data = archive_bytes(views)
    assert storage_count(data) == 2                    # the empty slice has an empty storage of its own
    got = load_bytes(data)
    for k, v in views.items():
        want = v if isinstance(v, np.ndarray) else v.numpy()
        have = got[k] if isinstance(v, np.ndarray) else got[k].numpy()
        assert have.shape == want.shape, k
        np.testing.assert_array_equal(have, want, err_msg=k)
    got["w"].sub_(100)
    for k, v in views.items():
        want = (v if isinstance(v, np.ndarray) else v.numpy()) - 100
        have = got[k] if isinstance(v, np.ndarray) else got[k].numpy()
        np.testing.assert_array_equal(have, want, err_msg=k)
    versions = {k: got[k]._version for k in views if k not in ("np", "empty")}
    assert len(set(versions.values())) == 1, versions


@given(data=st.data())
def test_random_views_keep_their_sharing(data):
    """Views made by slicing (with steps), transposing, selecting and expanding come back sharing memory exactly
    as the originals do: the same in-place write on both sides leaves equal values everywhere."""
    shape = data.draw(st.lists(st.integers(1, 4), min_size=1, max_size=3), label="shape")
    base = mg.tensor(np.arange(np.prod(shape), dtype=np.float64).reshape(shape))
    objs = {"base": base} if data.draw(st.booleans(), label="keep base") else {}
    for i in range(data.draw(st.integers(1, 3), label="views")):
        index = tuple(slice(data.draw(st.integers(0, n - 1)), None, data.draw(st.integers(1, 3))) for n in shape)
        v = base[index]
        if v.ndim >= 2 and data.draw(st.booleans()):
            v = v.transpose(0, -1)
        if data.draw(st.booleans()):
            v = v.unsqueeze(0).expand(2, *v.shape)
        objs[f"v{i}"] = v
    got = roundtrip(objs)
    for k in objs:
        np.testing.assert_array_equal(got[k].numpy(), objs[k].numpy(), err_msg=k)
    written = next((k for k in objs if k == "base" or objs[k].ndim == 0 or objs[k].shape[0] == 1
                    or objs[k].numpy().strides[0] != 0), None)
    if written is not None:
        objs[written].add_(0.5)
        got[written].add_(0.5)
        for k in objs:
            np.testing.assert_array_equal(got[k].numpy(), objs[k].numpy(), err_msg=f"write {written}, read {k}")


def test_expanded_tensor_writes_its_storage_not_its_elements():
    """torch.save writes the 1-element storage (about 1.6 kB); minigrad.save did write 20 MB of zeros."""
    data = archive_bytes(mg.zeros(1).expand(5_000_000))
    assert len(data) < 2048
    got = load_bytes(data)
    assert got.shape == (5_000_000,) and float(got.sum()) == 0.0
    big = mg.arange(1_000_000.0)
    assert len(archive_bytes(big[10:13])) < 2048                  # only the bytes the view covers


def test_sharing_rules():
    x = mg.arange(6.0)
    assert storage_count(archive_bytes([x[:2], x[4:]])) == 2       # disjoint windows: two storages
    assert storage_count(archive_bytes([x[::2], x[1::2]])) == 1    # interleaved: one
    assert storage_count(archive_bytes([x, x.numpy()])) == 1       # a tensor and its NumPy array: one
    got = roundtrip([x, x.numpy(), x.detach()])
    got[1][0] = 42.0
    assert float(got[0][0]) == 42.0 and float(got[2][0]) == 42.0
    raw = np.arange(8, dtype=np.float32)
    assert storage_count(archive_bytes([raw, raw.view(np.int32)])) == 2   # other dtype: not shared


def test_plain_tensors_are_not_views():
    """A tensor alone on its storage loads as a tensor of its own (as state dict entries always did)."""
    got = roundtrip({"w": mg.ones(2, 3), "b": mg.zeros(3)})
    for t in got.values():
        assert t.is_leaf and t.numpy().base is not None       # NumPy-wise a window on the file buffer ...
        t.add_(1)                                             # ... and writable
    assert got["w"]._version == 1 and got["b"]._version == 1


def test_shared_parameters_and_grad_flags():
    p = mg.nn.Parameter(mg.ones(4))
    got = roundtrip({"p": p, "half": p.detach()[:2]})
    assert type(got["p"]) is mg.nn.Parameter and got["p"].requires_grad and got["p"].is_leaf
    assert not got["half"].requires_grad
    with mg.no_grad():
        got["p"].mul_(3)
    np.testing.assert_array_equal(got["half"].numpy(), [3.0, 3.0])


def test_map_location_is_called_per_storage(device):
    mg.zeros(1, device=device)
    x = mg.tensor(np.arange(6.0), device=device)
    # x.view(2, 3)[:, 1:] is cut from whole rows that end one element past x: the mapped storage gets padded
    data = archive_bytes({"a": x, "v": x[2:5], "s": x[::2], "c": x.view(2, 3)[:, 1:], "other": mg.ones(2)})
    calls = []

    def mover(storage, location):
        calls.append((tuple(storage.shape), location))
        return storage.to("cpu").clone()

    got = load_bytes(data, map_location=mover)
    assert sorted(calls) == sorted([((6,), str(x.device)), ((2,), "cpu")])
    got["a"].add_(1)
    np.testing.assert_array_equal(got["v"].numpy(), [3.0, 4.0, 5.0])
    np.testing.assert_array_equal(got["s"].numpy(), [1.0, 3.0, 5.0])
    np.testing.assert_array_equal(got["c"].numpy(), [[2.0, 3.0], [5.0, 6.0]])
    for loc in ("cpu", {str(x.device): "cpu"}):
        got = load_bytes(data, map_location=loc)
        got["a"].add_(1)
        np.testing.assert_array_equal(got["v"].numpy(), [3.0, 4.0, 5.0])
    with pytest.raises(RuntimeError, match="map_location returned a tensor of shape"):
        load_bytes(data, map_location=lambda storage, loc: storage.to("cpu")[:1].clone())


def test_version_1_checkpoints_still_load(tmp_path):
    w = mg.tensor(np.arange(6, dtype=np.float32).reshape(2, 3), requires_grad=True)
    obj = {"w": w, "t": w.detach().t(), "mask": mg.tensor([True, False]), "n": np.arange(4, dtype=np.int16),
           "steps": [1, 2], "name": "lenet", "p": mg.nn.Parameter(mg.zeros(2))}
    path = tmp_path / "old.mg"
    path.write_bytes(v1_archive(obj))
    got = load(path)
    assert_same(got, obj)
    assert type(got["p"]) is mg.nn.Parameter
    got["w"].data.add_(1)                                 # v1 never shared: the transposed copy is its own
    np.testing.assert_array_equal(got["t"].numpy(), obj["t"].numpy())
    members = members_of(path.read_bytes())
    members["tensors/0.npy"] = members["tensors/0.npy"][:-1] + b"\x00"
    with pytest.raises(CheckpointError, match="checksum mismatch for 'tensors/0.npy'"):
        load_bytes(rebuild(members))


def test_path_forms_and_determinism(tmp_path):
    obj = {"w": mg.arange(5.0)}
    save(obj, str(tmp_path / "a.mg"))
    save(obj, tmp_path / "b.mg")
    assert (tmp_path / "a.mg").read_bytes() == (tmp_path / "b.mg").read_bytes() == archive_bytes(obj)
    assert_same(load(str(tmp_path / "a.mg")), obj)
    with open(tmp_path / "a.mg", "rb") as fh:
        assert_same(load(fh), obj)
    with pytest.raises(FileNotFoundError):
        load(tmp_path / "missing.mg")


def test_file_mode(tmp_path):
    path = tmp_path / "m.mg"
    save({}, path)
    mask = os.umask(0)
    os.umask(mask)
    assert path.stat().st_mode & 0o777 == 0o666 & ~mask
    os.chmod(path, 0o600)
    save({"x": 1}, path)
    assert path.stat().st_mode & 0o777 == 0o600
    assert [p.name for p in tmp_path.iterdir()] == ["m.mg"]          # no temporary file left behind


def test_map_location(device):
    mg.zeros(1, device=device)        # registers the device's dtypes (core issue, see report)
    t = mg.tensor(np.arange(4.0), device=device)
    data = archive_bytes({"t": t})
    assert str(load_bytes(data)["t"].device).startswith(device)                  # the saved device by default
    for loc in ("cpu", mg.device("cpu"), {str(t.device): "cpu"}, lambda storage, loc: storage):
        got = load_bytes(data, map_location=loc)["t"]
        assert got.device == mg.device("cpu")
        np.testing.assert_array_equal(got.numpy(), np.arange(4.0))


@pytest.mark.skipif(mg.cuda.is_available(), reason="checks the message on machines without CUDA")
def test_cuda_checkpoint_on_cpu_machine():
    members = members_of(archive_bytes({"t": mg.ones(2)}))
    manifest = json.loads(members["manifest.json"])
    manifest["body"]["storages"][0]["device"] = "cuda:0"
    members["manifest.json"] = seal(manifest)
    data = rebuild(members)
    with pytest.raises(RuntimeError, match="Attempting to deserialize object on a CUDA device"):
        load_bytes(data)
    assert load_bytes(data, map_location="cpu")["t"].device == mg.device("cpu")


@pytest.mark.parametrize("obj,match", [
    (object(), "cannot store an object of type builtins.object"),
    ({1, 2}, "cannot store an object of type builtins.set"),
    (lambda: 0, "save model.state_dict()"),
    ({frozenset(): 1}, "dict keys must be"),
    (np.array(["a"]), "NumPy array of dtype <U1"),
    (np.array([object()]), "NumPy array of dtype object"),
])
def test_unsupported_objects_are_refused(obj, match):
    with pytest.raises(TypeError, match=match):
        save(obj, io.BytesIO())


def test_self_referencing_container():
    a = []
    a.append(a)
    with pytest.raises(ValueError, match="contains itself"):
        save(a, io.BytesIO())


def test_failed_save_keeps_previous_file(tmp_path):
    path = tmp_path / "c.mg"
    save({"v": 1}, path)
    with pytest.raises(TypeError):
        save({"v": 2, "bad": object()}, path)
    assert load(path) == {"v": 1}


@pytest.mark.skipif(not hasattr(getattr(mg, "nn", None), "Parameter"), reason="minigrad.nn.Parameter not there yet")
def test_parameters_come_back_as_parameters():
    p = mg.nn.Parameter(mg.randn(3))
    got = roundtrip([p])[0]
    assert type(got) is type(p) and got.requires_grad


# ================================================ damaged files refused ==
SMALL = {"w": mg.tensor([[1.0, -2.0, 3.5]]), "k": {0: (1, 2.5)}, "s": "x"}


def test_every_single_bit_flip_is_refused_or_harmless():
    """Flip one bit anywhere: load either raises CheckpointError or returns the original object."""
    data = archive_bytes(SMALL)
    refused = 0
    for i in range(len(data)):
        for bit in (0x01, 0x10, 0x80):
            damaged = bytearray(data)
            damaged[i] ^= bit
            try:
                got = load_bytes(bytes(damaged))
            except CheckpointError:
                refused += 1
                continue
            assert_same(got, SMALL, f"bit flip at byte {i}")    # only metadata (timestamps ...) was hit
    assert refused > 2 * len(data)


def test_every_truncation_is_refused():
    data = archive_bytes(SMALL)
    for n in range(len(data)):
        with pytest.raises(CheckpointError):
            load_bytes(data[:n])
    with pytest.raises(CheckpointError, match="truncated"):
        load_bytes(data[: len(data) // 2])


def test_tampered_payload_with_valid_zip_crc():
    members = members_of(archive_bytes(SMALL))
    npy = bytearray(members["storages/0.npy"])
    npy[-1] ^= 0x40                                   # change a value; the zip gets a fresh CRC
    members["storages/0.npy"] = bytes(npy)
    with pytest.raises(CheckpointError, match=r"checksum mismatch for 'storages/0.npy'"):
        load_bytes(rebuild(members))


def test_tampered_manifest_with_valid_zip_crc():
    members = members_of(archive_bytes(SMALL))
    manifest = json.loads(members["manifest.json"])
    manifest["body"]["root"]["items"][2][1]["value"] = "y"
    members["manifest.json"] = json.dumps(manifest).encode()
    with pytest.raises(CheckpointError, match="checksum mismatch for the manifest"):
        load_bytes(rebuild(members))


def test_not_a_checkpoint():
    for data, match in [(b"", "not a zip"), (b"hello world", "not a zip"),
                        (rebuild({"a.txt": b"x"}), "no manifest.json"),
                        (rebuild({"manifest.json": b"{not json"}), "not valid JSON"),
                        (rebuild({"manifest.json": b'{"format": "other"}'}), "no 'format'")]:
        with pytest.raises(CheckpointError, match=match):
            load_bytes(data)
    members = members_of(archive_bytes(SMALL))
    manifest = json.loads(members["manifest.json"])
    manifest["version"] = 99
    members["manifest.json"] = json.dumps(manifest).encode()
    with pytest.raises(CheckpointError, match="unsupported checkpoint version 99"):
        load_bytes(rebuild(members))


def _with_entry(data: bytes, edit) -> bytes:
    """``data`` with its manifest body edited by ``edit(body)`` and re-sealed, as a format-aware attacker can."""
    members = members_of(data)
    manifest = json.loads(members["manifest.json"])
    edit(manifest["body"])
    members["manifest.json"] = seal(manifest)
    return rebuild(members)


LAYOUT_ATTACKS = {
    # (edit of the body of {"x": arange(6.0), "v": x[1:3]} or of {"n": ndarray}, what the refusal says)
    "offset past the end": (lambda b: b["tensors"][1].update(offset=5), "reaches elements 5..6 of a storage of 6"),
    "stride past the end": (lambda b: b["tensors"][1].update(strides=[5]), "reaches elements 1..6 of a storage"),
    "huge stride": (lambda b: b["tensors"][1].update(strides=[2**40]), "reaches elements"),
    "negative offset": (lambda b: b["tensors"][1].update(offset=-1), "malformed offset"),
    "negative tensor stride": (lambda b: b["tensors"][1].update(offset=3, strides=[-1]), "a layout minigrad never"),
    "overlapping tensor windows": (lambda b: b["tensors"][1].update(shape=[2, 3], strides=[1, 1]),
                                   "a layout minigrad never"),
    "shape longer than strides": (lambda b: b["tensors"][1].update(shape=[2, 1]), "malformed offset, shape"),
    "bool offset": (lambda b: b["tensors"][1].update(offset=True), "malformed offset"),
    "float stride": (lambda b: b["tensors"][1].update(strides=[1.0]), "malformed offset"),
    "too many dims": (lambda b: b["tensors"][1].update(shape=[1] * 65, strides=[0] * 65), "malformed offset"),
    "astronomic broadcast": (lambda b: b["tensors"][1].update(shape=[2**40, 2**40], strides=[0, 0]),
                             "implausibly large"),
    "unknown storage": (lambda b: b["tensors"][1].update(storage=1), "names a storage 1 that does not exist"),
    "numel beyond the file": (lambda b: b["storages"][0].update(numel=10**9), "its manifest entry needs"),
    "numel below the file": (lambda b: (b["storages"][0].update(numel=5), b["tensors"][0].update(shape=[5])),
                             "holds float32[6], the manifest says <f4[5]"),
    "storage nobody uses": (lambda b: b["storages"].append(dict(b["storages"][0], file="storages/1.npy")),
                            "storage 1 is used by no tensor"),
    "non-native storage dtype": (lambda b: b["storages"][0].update(dtype=">f4" if sys.byteorder == "little"
                                                                    else "<f4"), "unsupported dtype"),
    "int storage that requires grad": (lambda b: (b["storages"][0].update(dtype="<i4"),
                                                  b["tensors"][1].update(requires_grad=True)),
                                       "only floating point tensors can require grad"),
}


@pytest.mark.parametrize("attack", list(LAYOUT_ATTACKS))
def test_layout_attacks_are_refused(attack):
    """A manifest re-sealed with windows outside their storage, or layouts minigrad never writes: a clear
    CheckpointError before any element is read, never an out-of-bounds view."""
    x = mg.arange(6.0)
    data = archive_bytes({"x": x, "v": x[1:3]})
    edit, match = LAYOUT_ATTACKS[attack]
    with pytest.raises(CheckpointError, match=re.escape(match)):
        load_bytes(_with_entry(data, edit))


def test_ndarray_windows_are_bounds_checked():
    arr = np.arange(6.0)
    data = archive_bytes({"n": arr[::-1][1:4]})                 # negative strides are fine for NumPy arrays
    np.testing.assert_array_equal(load_bytes(data)["n"], arr[::-1][1:4])
    for edit in (lambda b: b["tensors"][0].update(offset=1, strides=[-2]),
                 lambda b: b["tensors"][0].update(strides=[2])):
        with pytest.raises(CheckpointError, match="reaches elements"):
            load_bytes(_with_entry(data, edit))


def test_old_and_new_fields_do_not_mix():
    x = mg.arange(3.0)
    with pytest.raises(CheckpointError, match="unexpected fields"):      # a v2 body labelled version 1
        members = members_of(archive_bytes({"x": x}))
        manifest = json.loads(members["manifest.json"])
        manifest["version"] = 1
        members["manifest.json"] = seal(manifest)
        load_bytes(rebuild(members))
    with pytest.raises(CheckpointError, match="unexpected fields"):      # a v1 body labelled version 2
        members = members_of(v1_archive({"x": x}))
        manifest = json.loads(members["manifest.json"])
        manifest["version"] = 2
        members["manifest.json"] = seal(manifest)
        load_bytes(rebuild(members))


# ============================================== nothing can execute code ==
class Evil:
    """Unpickling this creates ``marker``: proof that code ran."""

    def __init__(self, marker):
        self.marker = str(marker)

    def __reduce__(self):
        return (open, (self.marker, "w"))


def _hostile_archives(marker, version):
    """Archives a format-aware attacker could write, each carrying a pickle that would create ``marker``."""
    payload = pickle.dumps(Evil(marker))
    obj_npy = io.BytesIO()
    np.save(obj_npy, np.array([Evil(marker)], dtype=object), allow_pickle=True)
    obj_npy = obj_npy.getvalue()
    base = members_of(archive_bytes({"w": mg.ones(2)}) if version == 2 else v1_archive({"w": mg.ones(2)}))
    npy = "storages/0.npy" if version == 2 else "tensors/0.npy"
    out = {}

    def variant(name, edit_manifest, files):
        manifest = json.loads(base["manifest.json"])
        body = manifest["body"]
        # the entry holding the file's name, dtype and digest: the storage (v2) or the tensor (v1)
        edit_manifest(body, body["storages"][0] if version == 2 else body["tensors"][0])
        members = {k: v for k, v in base.items() if k != "manifest.json"}
        members.update(files)
        members["manifest.json"] = seal(manifest)
        out[name] = rebuild(members)

    def object_npy(body, file_entry):
        file_entry.update(sha256=sha_of(obj_npy), dtype="|O")
        body["tensors"][0]["kind"] = "ndarray"
        body["tensors"][0].pop("requires_grad"), body["tensors"][0].pop("parameter")
        body["tensors"][0].pop("device", None)
        body["root"]["items"][0][1]["type"] = "ndarray"

    def object_npy_as_float(body, file_entry):          # the manifest claims float64; the file holds objects
        file_entry.update(sha256=sha_of(obj_npy), dtype="float64" if version == 1 else "<f8")
        if version == 1:
            file_entry["shape"] = [1]
        else:
            file_entry["numel"] = 1
            body["tensors"][0]["shape"] = [1]

    def pickle_node(body, file_entry):
        body["root"] = {"type": "pickle", "value": payload.hex()}

    def class_node(body, file_entry):
        body["root"] = {"type": "object", "module": "builtins", "name": "open", "args": [str(marker), "w"]}

    variant("pickle bytes in place of the .npy", lambda b, f: f.update(sha256=sha_of(payload)), {npy: payload})
    variant("object-dtype .npy", object_npy, {npy: obj_npy})
    variant("object-dtype .npy claimed as float64", object_npy_as_float, {npy: obj_npy})
    variant("a 'pickle' node", pickle_node, {})
    variant("an object node naming a callable", class_node, {})
    variant("an entry pointing at data.pkl", lambda b, f: f.update(file="data.pkl", sha256=sha_of(payload)),
            {"data.pkl": payload})
    variant("a path outside the archive", lambda b, f: f.update(file="../../" + npy), {})
    variant("an extra pickle member", lambda b, f: None, {"extra.pkl": payload})
    return out


@pytest.mark.parametrize("version", [2, 1])
def test_hostile_archives_are_refused_without_running_anything(tmp_path, version):
    marker = tmp_path / "pwned"
    for name, data in _hostile_archives(marker, version).items():
        with pytest.raises(CheckpointError):
            load_bytes(data, weights_only=False)
        assert not marker.exists(), name


@pytest.mark.parametrize("zipped", [True, False], ids=["torch zip format", "torch legacy pickle"])
def test_torch_checkpoints_are_refused_without_unpickling(tmp_path, zipped):
    torch = pytest.importorskip("torch")
    marker = tmp_path / "pwned"
    path = tmp_path / "model.pt"
    torch.save({"w": torch.ones(2), "evil": Evil(marker)}, path, _use_new_zipfile_serialization=zipped)
    assert not marker.exists()
    with pytest.raises(CheckpointError, match="minigrad never unpickles"):
        load(path)
    with pytest.raises(CheckpointError, match="PyTorch checkpoint" if zipped else "pickle file"):
        load(path, weights_only=False)
    assert not marker.exists()


# ========================================================= atomic writes ==
WRITER = textwrap.dedent("""
    import sys
    import numpy as np
    import minigrad as mg
    from minigrad.serialization import save
    path = sys.argv[1]
    base = np.zeros((1000, 1000), np.float32)          # 4 MB per version
    version = 0
    while True:
        version += 1
        save({"version": version, "w": mg.tensor(base + version)}, path)
        print(version, flush=True)
""")


def test_writer_killed_mid_save_leaves_a_complete_checkpoint(tmp_path):
    """SIGKILL a process that saves in a loop: the target always loads, whole and consistent."""
    path = tmp_path / "ckpt.mg"
    save({"version": 0, "w": mg.zeros(1000, 1000)}, path)       # the previous checkpoint
    script = tmp_path / "writer.py"
    script.write_text(WRITER)
    env = dict(os.environ, PYTHONPATH=str(Path(mg.__file__).resolve().parents[1]))
    rng = np.random.default_rng(0)
    last_version = 0

    def leftovers():
        return [p.name for p in tmp_path.iterdir() if p.name not in ("ckpt.mg", "writer.py")]

    # At least 3 kills; more until one has landed inside a save's write (a kill between two saves leaves
    # no temporary file, and where a random delay falls depends on the machine's speed).
    for attempt in range(30):
        if attempt >= 3 and leftovers():
            break
        proc = subprocess.Popen([sys.executable, str(script), str(path)], stdout=subprocess.PIPE, env=env,
                                text=True)
        try:
            assert proc.stdout.readline().strip()                 # one full save done: the loop is running
            time.sleep(float(rng.uniform(0.0, 0.05)))              # then kill it somewhere in a later save
        finally:
            proc.send_signal(signal.SIGKILL)
            proc.wait()
        got = load(path)                                           # never a torn file
        v = got["version"]
        assert v >= 1
        np.testing.assert_array_equal(got["w"].numpy(), np.full((1000, 1000), v, np.float32))
        last_version = v
    assert last_version >= 1
    # the killed writers' temporary files: evidence that kills landed mid-save
    left = leftovers()
    assert left and all(name.startswith(".ckpt.mg.") and name.endswith(".tmp") for name in left)
