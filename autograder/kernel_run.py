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
import itertools
import json
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

import course_config as cc
from autograder import cells, sandbox
from autograder.course import tools_on_path
from solutions_lib.grading import VerifierProcess


class PreflightError(RuntimeError):
    """Grading would be wrong or unsafe: no jail, or the jailed kernel cannot import the checker."""


@dataclass
class RunOutcome:
    """What one kernel run of a task gave."""

    success: bool
    verdicts: list | None = None          # signed verdicts of the verifier, in order
    culprit: tuple | None = None          # (index, id, grade id) of the cell that failed
    why: str | None = None                # the reason of a failure
    forged: list = field(default_factory=list)   # unsigned or forged verifier lines
    started: bool = False                 # some cell started
    failure: str | None = None            # "kernel died", "notebook time limit", ...
    #: refused verifier queries: (name, cell (index, id, grade id) running then, or None)
    refusals: list = field(default_factory=list)


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
            kw = {} if budget is None else {"budget": budget}
            v = ctx.enter_context(VerifierProcess(label=label, names=names, socket_dir=run, **kw))
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
    tools_on_path()
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
class CellLog:
    """Which cell ran when, in one run: nbclient's ``on_cell_start`` hook is :meth:`started`.

    A cell is ``(index, cell id, grade id)``. The log names the cell that was running when a
    kernel died, the cell that ran past the cell limit, and the cell that made a refused
    verifier query.
    """

    def __init__(self):
        self.history: list[tuple[float, tuple]] = []

    def __deepcopy__(self, memo):
        # traitlets deep-copies the config that holds the hook (a bound method: its instance
        # too); the copy nbclient calls must write into this log
        return self

    def started(self, cell=None, cell_index=None, **_) -> None:
        self.history.append((time.monotonic(), (cell_index, cell.get("id") if cell is not None else None,
                                                cells.grade_id(cell) if cell is not None else None)))

    @property
    def current(self):
        """The cell that started last (None before any)."""
        return self.history[-1][1] if self.history else None

    def slow_cell(self):
        """The first cell that ran for at least the cell time limit (None if none)."""
        for k, (t, cell) in enumerate(self.history):
            end = self.history[k + 1][0] if k + 1 < len(self.history) else time.monotonic()
            if end - t >= cc.CELL_TIMEOUT_S * 0.9:
                return cell
        return None

    def at(self, t: float):
        """The cell that was running at monotonic time ``t`` (None before the first cell)."""
        cell = None
        for start, c in self.history:
            if start > t:
                break
            cell = c
        return cell


#: Mistake keys of the verifier's refusals (a query it did not answer).
REFUSED = ("not_in_notebook",)


# ======================================================================================
# one autograde
# ======================================================================================
#: Runs of this process so far: each takes the next uid of the process's block.
_RUN_NUMBER = itertools.count(1)


def _run_nbgrader(student, aid, root, worker, *, names=None, unsandboxed: bool = False,
                  db_url: str | None = None) -> RunOutcome:
    """One nbgrader autograde of one student in the jailed kernel, under the wall limit.

    ``names``: the graded names of the notebook (the verifier answers for these only);
    ``unsandboxed``: no jail (the instructor asked for it); ``db_url``: the gradebook
    autograde writes (a grader's private copy, :mod:`autograder.gradebook`; default the
    course's).
    """
    from nbgrader.apps.api import NbGraderAPI

    from autograder.course import GRADING_DIR, gradebook_url
    from autograder.nbconfig import nbgrader_settings

    root = Path(root)
    cfg = nbgrader_settings(root=root, db_url=db_url or gradebook_url(root))
    cfg.CourseDirectory.submitted_directory = f"{GRADING_DIR}/submitted"
    cfg.Execute.kernel_name = sandbox.KERNEL_NAME
    log = CellLog()
    cfg.Execute.on_cell_start = log.started
    cfg.Execute.startup_timeout = 60
    cfg.Execute.raise_on_iopub_timeout = False
    cfg.Execute.shutdown_kernel = "immediate"   # the kernel is thrown away anyway
    number = next(_RUN_NUMBER)
    if number == 1:
        sandbox.sweep_stale_scratch()     # what a killed grader left behind
    uid = sandbox.uid_block() + number % 99
    scratch = sandbox.new_scratch()
    pidfile = scratch / sandbox.PID_FILE
    v = None
    res: dict = {}
    killed = threading.Event()

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
        with VerifierProcess(label=f"{student}/{aid}", names=names, socket_dir=run) as v:
            sock = v.socket_path
            _share_socket(sock, uid)
            sandbox.write_settings(scratch, uid=uid, verifier_socket=sock,
                                   unsandboxed=unsandboxed)
            timer.start()
            for attempt in range(4):
                api = NbGraderAPI(config=cfg)
                res = api.autograde(aid, student, force=True, create=True)
                text = (res.get("log") or "") + (res.get("error") or "")
                if res.get("success") or "database is locked" not in text or killed.is_set():
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
    verdicts = list(v.verdicts) if v is not None else []
    refusals = [(verdict.name, log.at(at)) for verdict, at in zip(verdicts, v.received_at if v else [])
                if verdict.mistake in REFUSED]
    success = bool(res.get("success"))
    out = RunOutcome(success=success, verdicts=verdicts, forged=list(v.rejected) if v is not None else [],
                     started=bool(log.history), refusals=refusals)
    if not success:
        text = (res.get("log") or "") + "\n" + (res.get("error") or "")
        out.culprit = log.current
        if killed.is_set():
            out.failure = "notebook time limit"
            out.why = f"notebook time limit ({cc.NOTEBOOK_TIMEOUT_S} s) exceeded"
            out.culprit = log.slow_cell() or out.culprit
        elif "DeadKernel" in text or "Kernel died" in text or "kernel died" in text:
            out.failure = "kernel died"
            out.why = "the kernel died (os._exit, a crash or a resource limit)"
            if not out.started:
                out.why = "the grading kernel died before running any cell"
            if kernel_log:
                out.why += f" [kernel log: {kernel_log}]"
        elif "CellTimeoutError" in text or "Timeout waiting" in text:
            out.failure = "cell time limit"
            out.why = f"cell time limit ({cc.CELL_TIMEOUT_S} s) exceeded"
        else:
            # inconsistent checksums are the notebook's, and would fail again: not repeated
            out.failure = "checksums" if "Inconsistent" in text else "nbgrader"
            out.why = f"nbgrader autograde failed: {_failure_line(text)}"
            if kernel_log:
                out.why += f" [kernel log: {kernel_log}]"
            out.culprit = None if "Inconsistent" in text else out.culprit
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
