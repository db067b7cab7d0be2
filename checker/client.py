"""Kernel side of ``check``: fetch cases, run the student's object, send outputs back.

Protocol on one socket connection (framed messages of :mod:`.wire`):

1. kernel -> verifier ``{"name": name}``
2. verifier -> kernel ``{"cases": [{"driver", "args", "kwargs"}, ...]}``
3. kernel -> verifier ``{"results": [outcome, ...], "flags": [...]}`` with each outcome
   ``["ok", output, args_after_call]`` or ``["raised", type name, message, is_ValueError]``
4. verifier -> kernel ``{"verdict": {"name", "passed", "mistake", "message", "n_cases"}}``

No reference code is imported here (in local mode, outside autograde, the private
verifier is started from :mod:`solutions_lib.grading.verifier`). References to the standard-library and numpy
functions used are taken when this module is imported; in local mode student code that
ran before could still have patched them (see the package docstring).
"""
from __future__ import annotations

import atexit
import contextlib
import io
import os
import socket as _socket
import sys
import threading
import warnings

from . import drivers, wire

_AF_UNIX = _socket.AF_UNIX
_SOCK_STREAM = _socket.SOCK_STREAM
_socket_cls = _socket.socket
_environ_get = os.environ.get
_modules = sys.modules
_catch_warnings = warnings.catch_warnings
_simplefilter = warnings.simplefilter
_redirect_stderr = contextlib.redirect_stderr
_StringIO = io.StringIO
_print = print
_isinstance = isinstance
_AssertionError = AssertionError

_local = None
_local_lock = threading.Lock()


def _reference_modules() -> set:
    return {m for m in list(_modules) if m == "solutions_lib" or m.startswith("solutions_lib.")}


def _local_socket() -> str:
    """Start (once per process) a private verifier; weaker than autograde mode."""
    global _local
    with _local_lock:
        if _local is None:
            from solutions_lib.grading.verifier import VerifierProcess
            _local = VerifierProcess(label=f"local/{os.getpid()}").start()
            atexit.register(_local.stop)
        return _local.socket_path


def socket_path() -> str:
    """The verifier socket: ``$NNMATH_VERIFIER_SOCKET`` or a private verifier's."""
    return _environ_get("NNMATH_VERIFIER_SOCKET") or _local_socket()


def _run_cases(obj, cases):
    results, flags = [], []
    module = getattr(obj, "__module__", "") or ""
    if _isinstance(module, str) and module.split(".")[0] == "solutions_lib":
        flags.append(f"the object under test comes from the reference library ({module})")
    for case in cases:
        before = _reference_modules()
        try:
            out, after = drivers.run(obj, case)
            results.append(["ok", out, after])
        except Exception as exc:
            try:
                text = str(exc)[:300]
            except Exception:
                text = "<unprintable>"
            results.append(["raised", type(exc).__name__, text, _isinstance(exc, ValueError)])
        new = _reference_modules() - before
        if new:
            flags.append(f"reference module(s) {sorted(new)} were imported while your code ran")
    return results, flags


def check(name: str, obj) -> None:
    """Grade ``obj`` (the student's function or class called ``name``).

    Returns ``None`` and prints one line when every hidden case passes; raises
    ``AssertionError`` with the verifier's explanation otherwise. Nothing is written to
    stderr: warnings and stderr output of the student's code are captured.
    """
    sink = _StringIO()
    with _redirect_stderr(sink), _catch_warnings(record=True):
        _simplefilter("always")
        try:
            verdict = _exchange(name, obj)
        except (OSError, ValueError, KeyError, TypeError) as exc:
            verdict = {"passed": False, "message": f"{name}: could not talk to the grader's verifier "
                       f"({type(exc).__name__}: {exc})"}
    if verdict.get("passed"):
        _print(str(verdict.get("message", f"{name}: passed")))
        return None
    raise _AssertionError(str(verdict.get("message", f"{name}: failed")))


def _exchange(name, obj) -> dict:
    import numpy as np
    path = socket_path()
    sock = _socket_cls(_AF_UNIX, _SOCK_STREAM)
    try:
        sock.connect(path)
        wire.send_msg(sock, {"name": name})
        reply = wire.recv_msg(sock)
        if "verdict" in reply:
            return reply["verdict"]
        with np.errstate(all="ignore"):
            results, flags = _run_cases(obj, reply["cases"])
        try:
            wire.send_msg(sock, {"results": results, "flags": flags})
        except (ValueError, TypeError) as exc:
            wire.send_msg(sock, {"results": [], "flags": [], "error": str(exc)[:200]})
        return wire.recv_msg(sock)["verdict"]
    finally:
        sock.close()
