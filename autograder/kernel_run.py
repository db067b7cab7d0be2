"""One kernel run of a task: nbgrader's autograde in the jailed kernel, under the limits.

- :func:`preflight`: before grading, a kernel started exactly as for grading must import
  the checker from the jail (and see nothing of the course root); else
  :class:`PreflightError` says why, in one line. Without the jail (not root, no ``bwrap``)
  grading is refused unless the instructor asks for ``unsandboxed``.
- :func:`_run_nbgrader`: one autograde of one student. Per run: a scratch folder
  (:mod:`autograder.sandbox`), its run folder (a small tmpfs), a verifier serving only the
  notebook's graded ``names`` (socket inside the run folder), the launcher's settings
  (``launch.json``: uid, verifier socket, unsandboxed — the launcher is a separate process
  and gets nothing through this process's environment), nbgrader with IPC transport
  (``KernelManager.transport = "ipc"``, ``ip = <run>/kernel``), the whole-notebook wall
  limit; returns a :class:`RunOutcome`.
- :func:`open_kernel`: the same kernel outside nbgrader (pre-flight, tests).
- the nbclient ``on_cell_start`` hook records which cell runs when (:data:`_RUNNING`): it
  names the cell that killed a kernel, and the cell that made a refused verifier query
  (:attr:`RunOutcome.refusals`).
"""
from __future__ import annotations

import contextlib
import json
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

import course_config as cc
from autograder import sandbox


def _nbmeta(cell) -> dict:
    return dict(cell.get("metadata", {}).get("nbgrader", {}) or {})


def _ensure_path() -> None:
    from autograder.course import tools_on_path

    tools_on_path()


class PreflightError(RuntimeError):
    """Grading would be wrong or unsafe: no jail, or the jailed kernel cannot import the checker."""


@dataclass
class RunOutcome:
    """What one kernel run of a task gave (also readable as ``outcome["key"]``)."""

    success: bool
    verdicts: list | None = None          # signed verdicts of the verifier, in order
    culprit: tuple | None = None          # (index, id, grade id) of the cell that failed
    why: str | None = None                # the reason of a failure
    forged: list = field(default_factory=list)   # unsigned or forged verifier lines
    started: bool = False                 # some cell started
    failure: str | None = None            # "kernel died", "notebook time limit", ...
    #: refused verifier queries: (name, cell (index, id, grade id) running then, or None)
    refusals: list = field(default_factory=list)

    def __getitem__(self, key):
        return getattr(self, key)

    def get(self, key, default=None):
        return getattr(self, key, default)


# ======================================================================================
# a kernel outside nbgrader (pre-flight, tests)
# ======================================================================================
class KernelHandle:
    """A running jailed kernel (see :func:`open_kernel`)."""

    def __init__(self, km, kc, scratch: Path, uid: int, verifier):
        self.km, self.kc, self.scratch, self.uid, self.verifier = km, kc, scratch, uid, verifier

    def run(self, code: str, timeout: float = 60):
        """Execute ``code``; return ``(status, stdout text, [error names])``."""
        out = []
        reply = self.kc.execute_interactive(code, timeout=timeout, output_hook=out.append)
        text = "".join(m["content"].get("text", "") for m in out if m["msg_type"] == "stream")
        self.errors = [f"{m['content']['ename']}: {m['content']['evalue']}" for m in out
                       if m["msg_type"] == "error"]
        return reply["content"]["status"], text, [e.split(":", 1)[0] for e in self.errors]

    def pid(self) -> int:
        """The launcher's (= bwrap's) pid."""
        return int((self.scratch / sandbox.PID_FILE).read_text())

    @property
    def run_dir(self) -> Path:
        return self.scratch / sandbox.RUN_DIR


@contextlib.contextmanager
def open_kernel(cwd, *, uid: int | None = None, names=None, budget: int | None = None,
                verifier: bool = True, unsandboxed: bool = False, label: str = "kernel",
                startup_timeout: float = 60):
    """Start a kernel exactly as the grader does (jail, settings, IPC, verifier); yield it.

    Parameters
    ----------
    cwd : path
        The notebook's folder (the jail gets a private copy of it at the same path).
    uid : int, optional
        Sandbox uid (default the last of this process's block).
    names : iterable of str, optional
        The names the verifier serves (default every graded name).
    verifier : bool
        Start a verifier and give the kernel its socket.
    unsandboxed : bool
        No jail: the limits only (see :mod:`autograder.sandbox`).
    """
    from jupyter_client.manager import KernelManager

    uid = sandbox.uid_block() + 99 if uid is None else uid
    scratch = sandbox.new_scratch()
    km = kc = None
    ctx = contextlib.ExitStack()
    try:
        run = sandbox.prepare_run(scratch, uid, jail=not unsandboxed)
        v = None
        if verifier:
            v_cls = _verifier()
            kw = {} if budget is None else {"budget": budget}
            v = ctx.enter_context(v_cls(label=label, names=names, socket_dir=run, **kw))
            _share_socket(v.socket_path, uid)
        sandbox.write_settings(scratch, uid=uid, unsandboxed=unsandboxed,
                               verifier_socket=v.socket_path if v is not None else None)
        km = KernelManager(kernel_name=sandbox.KERNEL_NAME, transport="ipc",
                           ip=sandbox.kernel_ip(scratch))
        km.start_kernel(cwd=str(cwd))
        kc = km.client()
        kc.start_channels()
        kc.wait_for_ready(timeout=startup_timeout)
        yield KernelHandle(km, kc, scratch, uid, v)
    finally:
        if kc is not None:
            kc.stop_channels()
        if km is not None:
            try:
                km.shutdown_kernel(now=True)
            except Exception:
                pass
        try:
            pid = int((scratch / sandbox.PID_FILE).read_text())
        except (OSError, ValueError):
            pid = None
        sandbox.kill_sandbox(pid, uid)
        ctx.close()
        _last_log[0] = sandbox.kernel_log_tail(scratch)
        sandbox.remove_scratch(scratch)


_last_log = [""]    # the kernel log's last words of the last kernel of open_kernel

_PREFLIGHT_CODE = r'''
import json, os
_r = {"uid": os.getuid(), "pid": os.getpid()}
try:
    import checker
    from checker import check
    _r["checker"] = checker.__file__
except Exception as _e:
    _r["checker_error"] = f"{type(_e).__name__}: {_e}"
_r["visible"] = [p for p in %(paths)r if os.path.exists(p)]
_r["importable"] = []
for _m in ("solutions_lib", "course_config", "autograder"):
    try:
        __import__(_m)
        _r["importable"].append(_m)
    except Exception:
        pass
print("NNMATH-OK", json.dumps(_r))
'''


def preflight(root=None, unsandboxed: bool = False) -> str:
    """Check that a kernel started exactly as for grading imports the checker, jailed.

    Returns the checker's file as the kernel sees it. Raises :class:`PreflightError` (one
    line, with the reason) when the jail cannot be built and ``unsandboxed`` is false, when
    the kernel cannot import ``checker`` (every correct student would silently score 0), or
    when the jailed kernel can see the course root's ``solutions_lib``, ``source`` or
    ``submitted`` or import anything of the course but the checker.
    """
    _ensure_path()
    if not unsandboxed:
        reason = sandbox.jail_unavailable()
        if reason:
            raise PreflightError(
                f"pre-flight failed: cannot build the kernel jail: {reason}. Fix it, or grade "
                "without the jail only if you trust every submission: --unsandboxed")
    sandbox.install_kernel_spec()
    sandbox.sweep_stale_scratch()     # what a killed grader left behind
    roots = {cc.COURSE_ROOT.resolve()} | ({Path(root).resolve()} if root else set())
    secret = [str(r / d) for r in roots for d in ("solutions_lib", "source", "submitted",
                                                  "autograded", "gradebook.db")]
    with contextlib.ExitStack() as stack:
        cwd = Path(stack.enter_context(_temp_dir()))
        try:
            k = stack.enter_context(open_kernel(cwd, verifier=False, unsandboxed=unsandboxed,
                                                label="preflight"))
            status, text, _ = k.run(_PREFLIGHT_CODE % {"paths": secret})
        except PreflightError:
            raise
        except Exception as exc:   # kernel did not start, timeouts ...
            log = _last_log[0]
            raise PreflightError(f"pre-flight failed: could not run the grading kernel: {exc!r}"
                                 + (f" [kernel log: {log}]" if log else "")) from None
    if status != "ok" or "NNMATH-OK" not in text:
        raise PreflightError(f"pre-flight failed: the grading kernel cannot run the check "
                             f"({text.strip() or 'no output'})")
    r = json.loads(text.split("NNMATH-OK", 1)[1])
    if "checker" not in r:
        raise PreflightError(
            "pre-flight failed: the grading kernel cannot import the checker "
            f"({r.get('checker_error')}). Every student would score 0; fix the installation "
            "before grading.")
    if not unsandboxed:
        leaks = r["visible"] + [f"import {m}" for m in r["importable"]]
        if not r["checker"].startswith(sandbox.JAIL_LIB + "/") or leaks or r["uid"] == 0:
            raise PreflightError(
                "pre-flight failed: the grading kernel is not jailed (checker from "
                f"{r['checker']}, uid {r['uid']}, sees {leaks or 'nothing'}); refusing to grade")
    return r["checker"]


@contextlib.contextmanager
def _temp_dir():
    import shutil
    import tempfile

    d = tempfile.mkdtemp(prefix="nnmath-preflight-")
    try:
        yield d
    finally:
        shutil.rmtree(d, ignore_errors=True)


# ======================================================================================
# the nbclient hook
# ======================================================================================
_RUNNING = {"cell": None, "history": []}   # set by the nbclient hook: cells as they start


def _on_cell_start(cell=None, cell_index=None, **_):
    _RUNNING["cell"] = (cell_index, cell.get("id") if cell is not None else None,
                        _nbmeta(cell).get("grade_id") if cell is not None else None)
    _RUNNING["history"].append((time.monotonic(), _RUNNING["cell"]))


def _slow_cell():
    """The first cell that ran for at least the cell time limit (None if none)."""
    hist = _RUNNING["history"]
    for k, (t, cell) in enumerate(hist):
        end = hist[k + 1][0] if k + 1 < len(hist) else time.monotonic()
        if end - t >= cc.CELL_TIMEOUT_S * 0.9:
            return cell
    return None


def _cell_at(t: float):
    """The cell that was running at monotonic time ``t`` (None before the first cell)."""
    cell = None
    for start, c in _RUNNING["history"]:
        if start > t:
            break
        cell = c
    return cell


def _verifier():
    """``solutions_lib.grading.VerifierProcess`` (None if the checker predates it)."""
    try:
        from solutions_lib.grading import VerifierProcess  # type: ignore
        return VerifierProcess
    except ImportError:
        try:
            from solutions_lib.grading.verifier import VerifierProcess  # type: ignore
            return VerifierProcess
        except ImportError:
            return None


#: Mistake keys of the verifier's refusals (a query it did not answer).
REFUSED = ("not_in_notebook",)


# ======================================================================================
# one autograde
# ======================================================================================
_TASK_COUNTER = [0]


def _run_nbgrader(student, aid, root, worker, *, names=None, unsandboxed: bool = False
                  ) -> RunOutcome:
    """One nbgrader autograde of one student in the jailed kernel, under the wall limit.

    ``names``: the graded names of the notebook (the verifier answers for these only);
    ``unsandboxed``: no jail (the instructor asked for it).
    """
    from nbgrader.apps.api import NbGraderAPI

    from autograder.course import GRADING_DIR, gradebook_url
    from autograder.nbconfig import nbgrader_settings

    root = Path(root)
    cfg = nbgrader_settings(root=root, db_url=gradebook_url(root))
    cfg.CourseDirectory.submitted_directory = f"{GRADING_DIR}/submitted"
    cfg.Execute.kernel_name = sandbox.KERNEL_NAME
    cfg.Execute.on_cell_start = _on_cell_start
    cfg.Execute.startup_timeout = 60
    cfg.Execute.raise_on_iopub_timeout = False
    cfg.Execute.shutdown_kernel = "immediate"   # the kernel is thrown away anyway
    if _TASK_COUNTER[0] == 0:
        sandbox.sweep_stale_scratch()     # what a killed grader left behind
    _TASK_COUNTER[0] += 1
    uid = sandbox.uid_block() + _TASK_COUNTER[0] % 99
    scratch = sandbox.new_scratch()
    pidfile = scratch / sandbox.PID_FILE
    v_cls = _verifier()
    v = None
    res: dict = {}
    killed = threading.Event()
    _RUNNING["cell"] = None
    _RUNNING["history"] = []

    def watchdog():
        killed.set()
        pid = None
        try:
            pid = int(pidfile.read_text())
        except (OSError, ValueError):
            pass
        sandbox.kill_sandbox(pid, uid if sandbox.can_drop_uid() else None)

    timer = threading.Timer(cc.NOTEBOOK_TIMEOUT_S, watchdog)
    try:
        try:
            run = sandbox.prepare_run(scratch, uid, jail=not unsandboxed)
        except OSError as exc:
            res = {"success": False, "error": f"DeadKernel: the kernel's scratch folder: {exc}"}
            raise _Abort from None
        cfg.KernelManager.transport = "ipc"
        cfg.KernelManager.ip = sandbox.kernel_ip(scratch)
        ctx = (v_cls(label=f"{student}/{aid}", names=names, socket_dir=run)
               if v_cls is not None else _NullCtx())
        with ctx as v:
            sock = getattr(v, "socket_path", None) if v_cls is not None else None
            if sock:
                _share_socket(sock, uid)
            sandbox.write_settings(scratch, uid=uid, verifier_socket=sock,
                                   unsandboxed=unsandboxed)
            timer.start()
            for attempt in range(4):
                api = NbGraderAPI(config=cfg)
                res = api.autograde(aid, student, force=True, create=True)
                log = (res.get("log") or "") + (res.get("error") or "")
                if res.get("success") or "database is locked" not in log or killed.is_set():
                    break
                time.sleep(0.5 + attempt)
            timer.cancel()
    except _Abort:
        pass
    finally:
        timer.cancel()
        try:
            pid = int(pidfile.read_text())
        except (OSError, ValueError):
            pid = None
        sandbox.kill_sandbox(pid, uid if sandbox.can_drop_uid() else None)
        sandbox.reap()
        kernel_log = sandbox.kernel_log_tail(scratch)
        sandbox.remove_scratch(scratch)
    verdicts = forged = None
    refusals = []
    if v is not None and v_cls is not None:
        verdicts = list(getattr(v, "verdicts", []) or [])
        forged = list(getattr(v, "rejected", []) or [])
        times = list(getattr(v, "received_at", []) or [])
        for k, verdict in enumerate(verdicts):
            if getattr(verdict, "mistake", None) in REFUSED:
                at = times[k] if k < len(times) else None
                refusals.append((verdict.name, _cell_at(at) if at is not None else None))
    success = bool(res.get("success"))
    out = RunOutcome(success=success, verdicts=verdicts, forged=forged or [],
                     started=bool(_RUNNING["history"]), refusals=refusals)
    if not success:
        log = (res.get("log") or "") + "\n" + (res.get("error") or "")
        out.culprit = _RUNNING["cell"]
        if killed.is_set():
            out.failure = "notebook time limit"
            out.why = f"notebook time limit ({cc.NOTEBOOK_TIMEOUT_S} s) exceeded"
            out.culprit = _slow_cell() or out.culprit
        elif "DeadKernel" in log or "Kernel died" in log or "kernel died" in log:
            out.failure = "kernel died"
            out.why = "the kernel died (os._exit, a crash or a resource limit)"
            if not out.started:
                out.why = "the grading kernel died before running any cell"
            if kernel_log:
                out.why += f" [kernel log: {kernel_log}]"
        elif "CellTimeoutError" in log or "Timeout waiting" in log:
            out.failure = "cell time limit"
            out.why = f"cell time limit ({cc.CELL_TIMEOUT_S} s) exceeded"
        else:
            # inconsistent checksums are the notebook's, and would fail again: not repeated
            out.failure = "checksums" if "Inconsistent" in log else "nbgrader"
            out.why = f"nbgrader autograde failed: {_failure_line(log)}"
            if kernel_log:
                out.why += f" [kernel log: {kernel_log}]"
            out.culprit = None if "Inconsistent" in log else out.culprit
    return out


class _Abort(Exception):
    pass


#: ``SomeError: ...`` or ``package.module.SomeException: ...``: how a traceback ends.
_EXCEPTION_LINE = __import__("re").compile(r"^([A-Za-z_]\w*\.)*[A-Z]\w*: .+")


def _failure_line(log: str) -> str:
    """The most telling line of a failed autograde's log (at most 300 characters).

    nbgrader ends its log with a generic ``NbGraderException: Please see the above
    traceback``; the cause is the last other exception line above it.
    """
    lines = [ln.strip() for ln in log.splitlines() if ln.strip()]
    causes = [ln for ln in lines if _EXCEPTION_LINE.match(ln)
              and "Please see the the above traceback" not in ln]
    return ((causes or lines or ["unknown"])[-1])[:300]


class _NullCtx:
    env: dict = {}
    verdicts = None

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False


def _share_socket(path: str | None, uid: int) -> None:
    """Let the sandbox uid reach the verifier's socket (its folder is mode 0700)."""
    import os

    if not path or not sandbox.can_drop_uid():
        return
    for p in (Path(path).parent, Path(path)):
        try:
            os.chown(p, uid, sandbox.SANDBOX_GID)
        except OSError:
            pass
