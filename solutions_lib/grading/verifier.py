"""The verifier process and :class:`VerifierProcess`, the context manager that runs it.

Run as ``python -m solutions_lib.grading.verifier --socket PATH``: reads an HMAC key (first
line) and a label (second line) on stdin, makes itself non-dumpable, serves the Unix
socket ``PATH`` (one connection per ``check`` call, see :mod:`.client` for the protocol),
and writes one signed JSON line per verdict on stdout. It exits when stdin is closed.

The first stdout line is a signed ``{"ready": true}``; each verdict line's body is
``{"label", "seq", "name", "passed", "mistake", "message", "n_cases"}``.
"""
from __future__ import annotations

import argparse
import os
import secrets
import shutil
import socket
import socketserver
import subprocess
import sys
import tempfile
import threading
from pathlib import Path

import course_config

from .verdict import Verdict, sign_line, verify_line

#: seconds the verifier waits for the kernel's results of one check
RESULT_TIMEOUT_S = 2 * course_config.CELL_TIMEOUT_S + 30


def make_non_dumpable() -> bool:
    """``prctl(PR_SET_DUMPABLE, 0)`` on Linux: no ptrace, no /proc/<pid>/mem|fd|environ for same-uid processes."""
    if not sys.platform.startswith("linux"):
        return False
    import ctypes
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        return libc.prctl(4, 0, 0, 0, 0) == 0  # PR_SET_DUMPABLE = 4
    except (OSError, AttributeError):
        return False


class _Server:
    def __init__(self, key: str, label: str, out):
        self.key, self.label, self.out = key, label, out
        self.lock = threading.Lock()
        self.seq = 0

    def emit(self, body: dict) -> None:
        with self.lock:
            self.seq += 1
            body = dict(body, label=self.label, seq=self.seq)
            self.out.write(sign_line(self.key, body) + "\n")
            self.out.flush()

    def handle(self, conn) -> None:
        from . import wire
        from .cases import GRADED_NAMES, make_cases
        from .judge import judge

        conn.settimeout(RESULT_TIMEOUT_S)
        request = wire.recv_msg(conn)
        name = request.get("name") if isinstance(request, dict) else None
        if name not in GRADED_NAMES:
            verdict = Verdict(str(name)[:60], False, None, f"check: unknown graded name {str(name)[:60]!r}", 0)
            wire.send_msg(conn, {"verdict": verdict._asdict()})
            self.emit(verdict._asdict())
            return
        try:
            cases = make_cases(name)
        except Exception as exc:  # e.g. the reference module is not importable
            verdict = Verdict(name, False, None, f"{name}: internal error of the grader while making the cases "
                              f"({type(exc).__name__}: {exc}); tell your instructor", 0)
            wire.send_msg(conn, {"verdict": verdict._asdict()})
            self.emit(verdict._asdict())
            return
        wire.send_msg(conn, {"cases": [{k: c[k] for k in ("driver", "args", "kwargs")} for c in cases]})
        try:
            import solutions_lib
            reference = getattr(solutions_lib, name)
        except Exception as exc:
            reference = None
            ref_error = f"{type(exc).__name__}: {exc}"
        try:
            reply = wire.recv_msg(conn)
            results = list(reply["results"])
            flags = [str(f)[:200] for f in reply.get("flags", [])]
            if reference is None:
                verdict = Verdict(name, False, None, f"{name}: internal error of the grader: the reference is not "
                                  f"available ({ref_error}); tell your instructor", len(cases))
            else:
                verdict = judge(name, reference, results, flags)
        except Exception as exc:  # malformed reply or a closed connection
            verdict = Verdict(name, False, None, f"{name}: no valid results from the kernel ({type(exc).__name__}: {exc})",
                              len(cases))
        self.emit(verdict._asdict())
        try:
            wire.send_msg(conn, {"verdict": verdict._asdict()})
        except OSError:
            pass


def serve(socket_path: str, key: str, label: str) -> None:
    """Serve ``socket_path`` until stdin is closed."""
    make_non_dumpable()
    srv = _Server(key, label, sys.stdout)

    class Handler(socketserver.BaseRequestHandler):
        def handle(self):
            try:
                srv.handle(self.request)
            except Exception:
                pass

    server = socketserver.ThreadingUnixStreamServer(socket_path, Handler)
    server.daemon_threads = True
    os.chmod(socket_path, 0o600)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    srv.emit({"ready": True, "pid": os.getpid()})
    while sys.stdin.readline():
        pass
    server.shutdown()
    server.server_close()


class VerifierError(RuntimeError):
    """The verifier did not start, or wrote a line that is not properly signed."""


class VerifierProcess:
    """Start a verifier outside the kernel; collect its signed verdicts.

    ::

        with VerifierProcess(label="alice/w01_convolution") as v:
            run_kernel(extra_env=v.env)      # NNMATH_VERIFIER_SOCKET=...
        v.verdicts                           # [Verdict(name, passed, mistake, message, n_cases), ...]

    Every stdout line of the verifier must carry a valid HMAC-SHA256 signature made with
    a key only this object and the verifier know (sent on the verifier's stdin). A line
    that is unsigned or forged is not a verdict: it is kept in :attr:`rejected` and
    :attr:`tampered` becomes true (``strict=True`` raises :class:`VerifierError` on exit).
    """

    def __init__(self, label: str = "", cwd: str | os.PathLike | None = None, python: str | None = None,
                 socket_dir: str | os.PathLike | None = None, strict: bool = False, start_timeout: float = 30.0):
        self.label = label
        self.cwd = Path(cwd or course_config.COURSE_ROOT)
        self.python = python or sys.executable
        self._socket_parent = socket_dir
        self.strict = strict
        self.start_timeout = start_timeout
        self.verdicts: list[Verdict] = []
        self.rejected: list[str] = []
        self._key = secrets.token_hex(32)
        self._proc = None
        self._dir = None
        self._reader = None
        self._ready = threading.Event()
        self._lock = threading.Lock()

    @property
    def tampered(self) -> bool:
        return bool(self.rejected)

    @property
    def pid(self) -> int | None:
        """Process id of the running verifier (``None`` when stopped)."""
        return None if self._proc is None else self._proc.pid

    @property
    def socket_path(self) -> str:
        return str(Path(self._dir) / "verifier.sock")

    @property
    def env(self) -> dict:
        """Environment variables to add to the kernel's environment."""
        return {"NNMATH_VERIFIER_SOCKET": self.socket_path}

    def _accept_line(self, line: str) -> None:
        line = line.strip()
        if not line:
            return
        try:
            body = verify_line(self._key, line)
        except ValueError:
            with self._lock:
                self.rejected.append(line[:200])
            return
        if body.get("ready"):
            self._ready.set()
            return
        try:
            verdict = Verdict(str(body["name"]), bool(body["passed"]), body.get("mistake"), str(body["message"]),
                              int(body["n_cases"]))
        except (KeyError, TypeError, ValueError):
            with self._lock:
                self.rejected.append(line[:200])
            return
        with self._lock:
            self.verdicts.append(verdict)

    def _read(self):
        for raw in self._proc.stdout:
            self._accept_line(raw.decode(errors="replace"))

    def start(self) -> "VerifierProcess":
        self._dir = tempfile.mkdtemp(prefix="nnmath-verifier-", dir=self._socket_parent)
        os.chmod(self._dir, 0o700)
        env = dict(os.environ)
        env.pop("NNMATH_VERIFIER_SOCKET", None)
        env["PYTHONPATH"] = os.pathsep.join([str(self.cwd)] + [p for p in env.get("PYTHONPATH", "").split(os.pathsep) if p])
        self._stderr = tempfile.TemporaryFile()
        self._proc = subprocess.Popen(
            [self.python, "-m", "solutions_lib.grading.verifier", "--socket", self.socket_path],
            cwd=str(self.cwd), env=env, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=self._stderr)
        self._proc.stdin.write(f"{self._key}\n{self.label}\n".encode())
        self._proc.stdin.flush()
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()
        if not self._ready.wait(self.start_timeout):
            self.stop()
            raise VerifierError(f"the verifier did not start: {self.stderr_text()[-500:]}")
        return self

    def stderr_text(self) -> str:
        try:
            self._stderr.seek(0)
            return self._stderr.read().decode(errors="replace")
        except (OSError, ValueError, AttributeError):
            return ""

    def stop(self) -> None:
        if self._proc is None:
            return
        try:
            self._proc.stdin.close()
        except OSError:
            pass
        try:
            self._proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self._proc.kill()
            self._proc.wait()
        if self._reader is not None:
            self._reader.join(timeout=5)
        self._proc = None
        if self._dir:
            shutil.rmtree(self._dir, ignore_errors=True)

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()
        if self.strict and self.rejected and exc[0] is None:
            raise VerifierError(f"{len(self.rejected)} unsigned or forged verdict line(s): {self.rejected[0][:80]!r}")
        return False


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--socket", required=True, help="path of the Unix socket to serve")
    args = parser.parse_args(argv)
    key = sys.stdin.readline().strip()
    label = sys.stdin.readline().rstrip("\n")
    if len(key) < 32:
        print("verifier: no HMAC key on stdin", file=sys.stderr)
        return 2
    serve(args.socket, key, label)
    return 0


if __name__ == "__main__":
    sys.exit(main())
