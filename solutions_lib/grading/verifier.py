"""The verifier process and :class:`VerifierProcess`, the context manager that runs it.

Run as ``python -m solutions_lib.grading.verifier --socket PATH``: reads an HMAC key (first
line), a label (second line) and optionally its scope (third line, JSON ``{"names": [...] or
null, "budget": n}``) on stdin, makes itself non-dumpable, serves the Unix socket ``PATH``
(one connection per ``check`` call, see :mod:`checker.client` for the protocol), and writes
one signed JSON line per verdict on stdout. It exits when stdin is closed.

**One notebook.** Under autograde the verifier serves the graded names of the notebook being
graded only, each at most ``budget`` times (:data:`QUERY_BUDGET`): a query for any other
name, or beyond the budget, gets no cases; the kernel's ``check`` raises ``AssertionError``
with a one-line reason, and a signed verdict with mistake :data:`REFUSED` records the
refusal (the grader flags the question whose cell made the query).

The first stdout line is a signed ``{"ready": true}``; each verdict line's body is
``{"label", "seq", "name", "passed", "mistake", "message", "n_cases"}``.
"""
from __future__ import annotations

import argparse
import json
import os
import secrets
import shutil
import socketserver
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import course_config

from .verdict import Verdict, sign_line, verify_line

#: seconds the verifier waits for the kernel's results of one check
RESULT_TIMEOUT_S = 2 * course_config.CELL_TIMEOUT_S + 30
#: queries answered per name and notebook (a failing message shows one expected entry)
QUERY_BUDGET = 3
#: mistake key of a refused query (a name not graded in this notebook, or over the budget)
REFUSED = "not_in_notebook"


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
    def __init__(self, key: str, label: str, out, names=None, budget: int | None = None):
        self.key, self.label, self.out = key, label, out
        self.names = None if names is None else frozenset(names)
        self.budget = budget
        self.queries: dict = {}
        self.lock = threading.Lock()
        self.seq = 0

    def emit(self, body: dict) -> None:
        with self.lock:
            self.seq += 1
            body = dict(body, label=self.label, seq=self.seq)
            self.out.write(sign_line(self.key, body) + "\n")
            self.out.flush()

    def handle(self, conn) -> None:
        from checker import wire

        from .catalogue import graded_names, make_cases
        from .judge import judge

        conn.settimeout(RESULT_TIMEOUT_S)
        request = wire.recv_msg(conn)
        name = request.get("name") if isinstance(request, dict) else None
        refusal = None
        if isinstance(name, str) and self.names is not None and name not in self.names:
            refusal = (f"check: {name[:60]!r} is not graded in this notebook; the query was "
                       "refused and recorded")
        elif isinstance(name, str) and self.budget is not None:
            with self.lock:
                self.queries[name] = self.queries.get(name, 0) + 1
                n = self.queries[name]
            if n > self.budget:
                refusal = (f"check: {name!r} was already checked {self.budget} times in this "
                           "notebook; the query was refused and recorded")
        if refusal is not None:
            verdict = Verdict(name[:60], False, REFUSED, refusal, 0)
            # recorded before the kernel hears of it (and a moment before): the grader
            # attributes the refusal to the cell running when the record arrives
            self.emit(verdict._asdict())
            time.sleep(0.05)
            wire.send_msg(conn, {"verdict": verdict._asdict()})
            return
        if name not in graded_names():
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


def serve(socket_path: str, key: str, label: str, names=None, budget: int | None = None) -> None:
    """Serve ``socket_path`` until stdin is closed (only ``names``, if given, ``budget`` times each)."""
    make_non_dumpable()
    srv = _Server(key, label, sys.stdout, names=names, budget=budget)

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

    ``names`` (the graded names of the notebook being graded) limits what the verifier
    answers; ``budget`` the queries per name (default :data:`QUERY_BUDGET` when ``names`` is
    given, unlimited otherwise). :attr:`received_at` holds the ``time.monotonic()`` at which
    each verdict arrived (the grader maps a refusal to the cell running then).
    """

    def __init__(self, label: str = "", cwd: str | os.PathLike | None = None, python: str | None = None,
                 socket_dir: str | os.PathLike | None = None, strict: bool = False, start_timeout: float = 30.0,
                 names=None, budget: int | None = None):
        self.label = label
        self.names = None if names is None else sorted(set(names))
        self.budget = budget if budget is not None else (QUERY_BUDGET if names is not None else None)
        self.received_at: list[float] = []
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
            self.received_at.append(time.monotonic())

    def _read(self):
        for raw in self._proc.stdout:
            self._accept_line(raw.decode(errors="replace"))

    def start(self) -> VerifierProcess:
        self._dir = tempfile.mkdtemp(prefix="nnmath-verifier-", dir=self._socket_parent)
        os.chmod(self._dir, 0o700)
        env = dict(os.environ)
        env.pop("NNMATH_VERIFIER_SOCKET", None)
        self._stderr = tempfile.TemporaryFile()
        self._proc = subprocess.Popen(
            [self.python, "-m", "solutions_lib.grading.verifier", "--socket", self.socket_path],
            cwd=str(self.cwd), env=env, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=self._stderr)
        scope = json.dumps({"names": self.names, "budget": self.budget})
        self._proc.stdin.write(f"{self._key}\n{self.label}\n{scope}\n".encode())
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
    scope_line = sys.stdin.readline().strip()
    scope = json.loads(scope_line) if scope_line.startswith("{") else {}
    serve(args.socket, key, label, names=scope.get("names"), budget=scope.get("budget"))
    return 0


if __name__ == "__main__":
    sys.exit(main())
