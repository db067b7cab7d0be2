"""Byte encoding of the values exchanged between the kernel and the verifier.

A message is ``4-byte big-endian header length | JSON header | npy blob | npy blob ...``.
The JSON header holds the structure (dicts, lists, tuples, numbers, strings, ``None``);
every numpy array or numpy scalar in it is replaced by ``{"__nd__": i}``, the index of an
``.npy`` blob written with ``np.save`` and read back with ``np.load(allow_pickle=False)``.
Nothing is ever unpickled. A value of any other type is sent as
``{"__obj__": type name, "repr": short repr}`` so that the verifier can say what it got.

On a socket a message is framed by an 8-byte big-endian length.

Only the standard library and numpy are imported (this module runs in the student's kernel).
"""
from __future__ import annotations

import io
import json
import struct

import numpy as np

#: Largest message accepted (bytes); outputs of graded functions are small.
MAX_MESSAGE = 256 * 1024 * 1024

_np_save = np.save
_np_load = np.load
_ndarray = np.ndarray
_np_generic = np.generic


def _encode_value(value, blobs: list):
    if value is None or isinstance(value, (bool, str)):
        return value
    if isinstance(value, int):
        return value
    if isinstance(value, float):
        if value != value or value in (float("inf"), float("-inf")):
            return {"__float__": repr(value)}
        return value
    if isinstance(value, (_ndarray, _np_generic)):
        arr = np.asarray(value)
        if arr.dtype.kind not in "biufc":
            return {"__obj__": f"ndarray[{arr.dtype}]", "repr": _short_repr(value)}
        buf = io.BytesIO()
        _np_save(buf, arr, allow_pickle=False)
        blobs.append(buf.getvalue())
        return {"__nd__": len(blobs) - 1, "scalar": isinstance(value, _np_generic)}
    if isinstance(value, tuple):
        return {"__tuple__": [_encode_value(v, blobs) for v in value]}
    if isinstance(value, list):
        return [_encode_value(v, blobs) for v in value]
    if isinstance(value, dict):
        return {"__dict__": [[_encode_value(k, blobs), _encode_value(v, blobs)] for k, v in value.items()]}
    return {"__obj__": type(value).__name__, "repr": _short_repr(value)}


def _short_repr(value, limit: int = 80) -> str:
    try:
        text = repr(value)
    except Exception:  # a hostile __repr__
        text = "<unrepresentable>"
    return text if len(text) <= limit else text[: limit - 3] + "..."


def encode(value) -> bytes:
    """Encode ``value`` (nested dict/list/tuple of arrays, numbers, strings, None) to bytes."""
    blobs: list[bytes] = []
    tree = _encode_value(value, blobs)
    header = json.dumps({"v": tree, "sizes": [len(b) for b in blobs]}, allow_nan=False).encode()
    return struct.pack(">I", len(header)) + header + b"".join(blobs)


def _decode_value(node, arrays: list):
    if isinstance(node, list):
        return [_decode_value(v, arrays) for v in node]
    if isinstance(node, dict):
        if "__nd__" in node:
            arr = arrays[int(node["__nd__"])]
            return arr[()] if node.get("scalar") else arr
        if "__tuple__" in node:
            return tuple(_decode_value(v, arrays) for v in node["__tuple__"])
        if "__dict__" in node:
            return {_hashable(_decode_value(k, arrays)): _decode_value(v, arrays) for k, v in node["__dict__"]}
        if "__float__" in node:
            return float(node["__float__"])
        if "__obj__" in node:
            return Opaque(str(node["__obj__"]), str(node.get("repr", "")))
        raise ValueError(f"unknown node in message: {sorted(node)}")
    return node


def _hashable(key):
    if isinstance(key, list):
        return tuple(key)
    if isinstance(key, _ndarray):
        return key.item() if key.ndim == 0 else tuple(key.ravel().tolist())
    return key


class Opaque:
    """Stands for a value that could not be sent (not an array, number, string or container)."""

    def __init__(self, type_name: str, text: str):
        self.type_name = type_name
        self.text = text

    def __repr__(self):
        return f"<{self.type_name}: {self.text}>"


def decode(data: bytes):
    """Inverse of :func:`encode`; never unpickles (``allow_pickle=False``)."""
    if len(data) < 4:
        raise ValueError("message too short")
    (n,) = struct.unpack(">I", data[:4])
    header = json.loads(data[4 : 4 + n].decode())
    pos = 4 + n
    arrays = []
    for size in header["sizes"]:
        size = int(size)
        if size < 0 or pos + size > len(data):
            raise ValueError("truncated message")
        arrays.append(_np_load(io.BytesIO(data[pos : pos + size]), allow_pickle=False))
        pos += size
    return _decode_value(header["v"], arrays)


def send_msg(sock, value) -> None:
    """Send ``encode(value)`` framed by its 8-byte length."""
    data = encode(value)
    sock.sendall(struct.pack(">Q", len(data)) + data)


def _recv_exact(sock, n: int) -> bytes:
    chunks = []
    while n:
        chunk = sock.recv(min(n, 1 << 20))
        if not chunk:
            raise ConnectionError("connection closed by the other side")
        chunks.append(chunk)
        n -= len(chunk)
    return b"".join(chunks)


def recv_msg(sock):
    """Receive one framed message and decode it."""
    (n,) = struct.unpack(">Q", _recv_exact(sock, 8))
    if n > MAX_MESSAGE:
        raise ValueError(f"message of {n} bytes exceeds the limit")
    return decode(_recv_exact(sock, n))
