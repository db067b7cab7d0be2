"""The sandboxed kernel that runs a student's notebook under autograde.

Two halves:

* :func:`install_kernel_spec` (run by the grader) writes a dedicated Jupyter kernel spec,
  :data:`KERNEL_NAME`, into a private data folder and puts that folder first on
  ``JUPYTER_PATH``; the grader selects it with ``Execute.kernel_name`` (so the kernelspec a
  student wrote into the notebook's metadata is ignored). Its ``argv`` is this module as a
  launcher: ``python -m autograder.sandbox -f {connection_file}``.
* The launcher (``main``) runs in the kernel's process before ipykernel exists, applies the
  limits, and ``exec``-s ipykernel in the same process (same pid, so the grader's process-group
  kill reaches it):

  - ``RLIMIT_AS`` = ``course_config.KERNEL_MEMORY_MB`` (memory bomb -> ``MemoryError``),
    ``RLIMIT_NPROC`` = ``KERNEL_MAX_PROCESSES`` (fork bomb -> ``BlockingIOError``),
    ``RLIMIT_FSIZE`` = :data:`MAX_FILE_MB`, ``RLIMIT_CORE`` = 0, ``RLIMIT_CPU`` =
    ``NOTEBOOK_TIMEOUT_S`` (a CPU-bound loop that survives everything else gets ``SIGXCPU``);
  - BLAS / OpenMP single-threaded (predictable with parallel workers, fewer threads to count);
  - matplotlib figures are not rasterised unless ``course_config.AUTOGRADE_RENDERS_FIGURES``
    (the kernel spec sets ``InlineBackend.figure_formats`` empty: a figure is shown as text);
  - when started as root: a private mount namespace in which ``<course root>/solutions_lib``
    is replaced by a tmpfs holding only the lazy ``__init__.py`` and a read-only bind of
    ``grading/`` — the reference modules do not exist for the kernel, and the instructor's
    checkout is untouched. The paths in ``NNMATH_SANDBOX_HIDE`` (the grader passes
    ``source/``, ``submitted/``, the gradebook, ``grades/``) are covered the same way, and
    folders others cannot traverse on the way to the interpreter or the notebook folder
    (e.g. ``/root`` holding a pyenv Python) are exposed one path deep
    (:func:`expose_to_others`). Then it drops to an unprivileged uid (``NNMATH_SANDBOX_UID``
    from the grader: a fresh uid per task and per worker, so one student's fork bomb, or
    its zombies, cannot use up another task's process budget; ``RLIMIT_NPROC`` is not
    enforced for root) and gid ``nogroup``, with a fresh ``HOME`` it owns. The connection
    file is copied into that ``HOME``. The grader is a child subreaper
    (:func:`become_subreaper`) and kills and reaps every process of the uid after the task.
  - When not root, the limits still apply and ``solutions_lib`` is shadowed through
    ``PYTHONPATH`` (a copy with only ``__init__`` and ``grading``), which keeps honest imports
    away from the reference but cannot stop a student who opens the files by path (the static
    scan flags that).

The grader gives every kernel a scratch folder of its own (:func:`new_scratch`, passed in
``NNMATH_SANDBOX_SCRATCH``) and removes it after the task (:func:`remove_scratch`). The
launcher writes there its pid (``kernel.pid``: the grader enforces the whole-notebook wall limit
by killing the kernel's process group and, when a uid was dropped, every process of that uid),
the kernel's ``HOME`` and its mount staging folder, and points the kernel's file descriptors
1 and 2 at ``kernel.log`` (launcher failures, Python's fatal-error traces via
``PYTHONFAULTHANDLER``, output of C code; the cells' Python output still goes to the
notebook), which the grader quotes when a kernel dies (:func:`kernel_log_tail`). Without a
scratch folder (a kernel started by hand) the pid is not written and the other folders are
new temporary ones.
"""
from __future__ import annotations

import atexit
import ctypes
import json
import os
import resource
import shutil
import signal
import sys
import tempfile
from pathlib import Path

import course_config as cc

#: Name of the kernel spec the grader installs and selects.
KERNEL_NAME = "nnmath-sandbox"
#: Largest file a student's kernel may write, MiB.
MAX_FILE_MB = 64
#: Lowest sandbox uid; each grading process takes its own block of 100 (see :func:`uid_block`).
SANDBOX_UID_BASE = 61000


def uid_block() -> int:
    """First of the 100 sandbox uids of this grading process.

    Derived from the whole pid (no modulus: pids wrap around, and two live processes whose
    pids agree modulo anything would share a block), so two graders running at once
    (parallel workers, two test processes) never share a uid: cleaning up one kernel's
    processes by uid cannot kill another's kernel. The largest Linux pid (2**22) gives
    uids below 2**29.
    """
    return SANDBOX_UID_BASE + 100 * os.getpid()
#: gid of the sandboxed kernel (``nogroup``).
SANDBOX_GID = 65534

_ENV_UID = "NNMATH_SANDBOX_UID"
_ENV_HIDE = "NNMATH_SANDBOX_HIDE"          # more paths to hide (source/, gradebook ...)
_ENV_NOSANDBOX = "NNMATH_SANDBOX_DISABLE"   # tests of the launcher itself only
_ENV_SCRATCH = "NNMATH_SANDBOX_SCRATCH"    # the kernel's own folder (pid, HOME, log)
#: Files the launcher writes into the scratch folder.
PID_FILE, LOG_FILE = "kernel.pid", "kernel.log"
#: How much of the end of a kernel log is searched for the fatal error (a crash trace of
#: every thread is a few KiB).
_LOG_TAIL_BYTES = 65536
_CANNOT_START = "[nnmath sandbox] the kernel could not start"

_MS_RDONLY, _MS_NOSUID, _MS_NODEV, _MS_BIND, _MS_REC, _MS_PRIVATE = 1, 2, 4, 4096, 16384, 1 << 18
_CLONE_NEWNS = 0x00020000


# --------------------------------------------------------------------------------------
# grader side
# --------------------------------------------------------------------------------------
def install_kernel_spec(data_dir: str | Path | None = None) -> Path:
    """Write the sandbox kernel spec and put its data folder first on ``JUPYTER_PATH``.

    Parameters
    ----------
    data_dir : path, optional
        A Jupyter data folder; default a new temporary folder. The spec goes to
        ``<data_dir>/kernels/nnmath-sandbox/kernel.json``.

    Returns
    -------
    Path
        The data folder (kept for the life of the process).
    """
    if data_dir is None:
        data_dir = tempfile.mkdtemp(prefix="nnmath-kernels-")
        atexit.register(shutil.rmtree, data_dir, True)   # kept for the life of the process
    data_dir = Path(data_dir)
    spec_dir = data_dir / "kernels" / KERNEL_NAME
    spec_dir.mkdir(parents=True, exist_ok=True)
    argv = [sys.executable, "-m", "autograder.sandbox", "-f", "{connection_file}",
            "--IPKernelApp.log_level=ERROR",
            # file descriptors 1 and 2 stay on the kernel log (see main): a crash's trace
            # is kept there instead of dying in a forwarding pipe
            "--IPKernelApp.capture_fd_output=False"]
    if not cc.AUTOGRADE_RENDERS_FIGURES:
        argv.append("--InlineBackend.figure_formats=[]")   # figures shown as text: no rasterising
    spec = {
        "argv": argv,
        "display_name": "nnmath sandbox (autograde)",
        "language": "python",
        "metadata": {"debugger": False},
    }
    (spec_dir / "kernel.json").write_text(json.dumps(spec, indent=1))
    parts = [p for p in os.environ.get("JUPYTER_PATH", "").split(os.pathsep) if p]
    if str(data_dir) not in parts:
        os.environ["JUPYTER_PATH"] = os.pathsep.join([str(data_dir), *parts])
    # The launcher imports autograder and course_config: the course root must be importable.
    root = str(cc.COURSE_ROOT)
    pp = [p for p in os.environ.get("PYTHONPATH", "").split(os.pathsep) if p]
    if root not in pp:
        os.environ["PYTHONPATH"] = os.pathsep.join([root, *pp])
    return data_dir


def new_scratch() -> Path:
    """A fresh scratch folder for one kernel (mode 0711: its sandbox uid can reach its HOME).

    Returns
    -------
    Path
        The folder; pass it in ``NNMATH_SANDBOX_SCRATCH`` and give it to
        :func:`remove_scratch` when the kernel is gone.
    """
    path = Path(tempfile.mkdtemp(prefix="nnmath-kernel-"))
    os.chmod(path, 0o711)
    return path


def remove_scratch(path: str | Path | None) -> None:
    """Delete a kernel's scratch folder (its HOME and files, whoever owns them)."""
    if path:
        shutil.rmtree(path, ignore_errors=True)


def kernel_log_tail(scratch: str | Path | None) -> str:
    """What a kernel's ``kernel.log`` says about why it died ('' if nothing useful).

    The kernel's standard error also holds harmless warnings, so only a fatal error is
    quoted: Python's ``Fatal Python error: ...`` line (a crash), else the exception line that
    ends the last traceback (e.g. ``MemoryError`` while ipykernel starts), else the
    launcher's own ``[nnmath sandbox] ...`` message. A launcher failure counts as fatal.

    Parameters
    ----------
    scratch : path or None
        The kernel's scratch folder (:func:`new_scratch`).
    """
    if not scratch:
        return ""
    try:
        with open(Path(scratch) / LOG_FILE, "rb") as fh:
            fh.seek(0, os.SEEK_END)
            fh.seek(max(0, fh.tell() - _LOG_TAIL_BYTES))
            text = fh.read().decode("utf-8", errors="replace")
    except OSError:
        return ""
    lines = [ln.rstrip() for ln in text.splitlines() if ln.strip()]
    fatal = [ln for ln in lines if ln.startswith(("Fatal Python error", _CANNOT_START))]
    if fatal:
        return fatal[-1][:300]
    tb = [k for k, ln in enumerate(lines) if ln.startswith("Traceback (most recent call last)")]
    if tb:
        ends = [ln for ln in lines[tb[-1] + 1:] if not ln[:1].isspace()]
        if ends:
            return ends[-1][:300]
    own = [ln for ln in lines if ln.startswith("[nnmath sandbox]")]
    return own[-1][:300] if own else ""


def can_drop_uid() -> bool:
    """True when the grader runs as root, so kernels get their own unprivileged uid."""
    return hasattr(os, "geteuid") and os.geteuid() == 0


def kill_sandbox(pid: int | None, uid: int | None) -> None:
    """Kill the kernel's process group and, if ``uid`` is a sandbox uid, all its processes."""
    if pid:
        for sig in (signal.SIGKILL,):
            try:
                os.killpg(pid, sig)
            except (ProcessLookupError, PermissionError):
                try:
                    os.kill(pid, sig)
                except (ProcessLookupError, PermissionError):
                    pass
    if uid is not None and uid >= SANDBOX_UID_BASE and can_drop_uid():
        for _ in range(3):   # a fork bomb may still be forking: sweep a few times
            found = False
            for entry in Path("/proc").iterdir():
                if not entry.name.isdigit():
                    continue
                try:
                    if entry.stat().st_uid == uid:
                        found = True
                        os.kill(int(entry.name), signal.SIGKILL)
                except (FileNotFoundError, ProcessLookupError, PermissionError):
                    continue
            if not found:
                break


def become_subreaper() -> bool:
    """Make this process adopt orphaned descendants (Linux ``PR_SET_CHILD_SUBREAPER``).

    A student's forked children outlive their kernel; adopted by the grader they can be
    killed and reaped (:func:`reap`), instead of lingering as zombies that still count
    against the sandbox uid's process limit.
    """
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        return libc.prctl(36, 1, 0, 0, 0) == 0
    except (OSError, AttributeError):
        return False


def reap() -> int:
    """Reap every finished child (adopted orphans included); return how many."""
    n = 0
    while True:
        try:
            pid, _ = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            return n
        if pid == 0:
            return n
        n += 1


def uid_processes(uid: int) -> list[int]:
    """Pids of live or zombie processes owned by ``uid``."""
    out = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if entry.stat().st_uid == uid:
                    out.append(int(entry.name))
            except FileNotFoundError:
                continue
    return out


def shadow_solutions_lib(dest: str | Path) -> Path:
    """A folder holding ``solutions_lib/`` with only ``__init__.py`` and ``grading/``.

    Used as the kernel's ``PYTHONPATH`` entry when no mount namespace is available.
    """
    dest = Path(dest)
    pkg = dest / "solutions_lib"
    if not pkg.exists():
        real = cc.COURSE_ROOT / "solutions_lib"
        pkg.mkdir(parents=True)
        shutil.copy2(real / "__init__.py", pkg / "__init__.py")
        if (real / "grading").is_dir():
            shutil.copytree(real / "grading", pkg / "grading",
                            ignore=shutil.ignore_patterns("__pycache__"))
        for p in [dest, *dest.rglob("*")]:
            os.chmod(p, 0o755 if p.is_dir() else 0o644)
    return dest


# --------------------------------------------------------------------------------------
# kernel side (the launcher)
# --------------------------------------------------------------------------------------
def _set_limit(which: int, value: int) -> None:
    soft, hard = resource.getrlimit(which)
    if hard != resource.RLIM_INFINITY and value > hard:
        value = hard
    resource.setrlimit(which, (value, value))


def apply_limits() -> None:
    """Memory, process, file-size, core and CPU limits of ``course_config`` for this process."""
    _set_limit(resource.RLIMIT_AS, cc.KERNEL_MEMORY_MB * 1024 * 1024)
    _set_limit(resource.RLIMIT_FSIZE, MAX_FILE_MB * 1024 * 1024)
    _set_limit(resource.RLIMIT_CORE, 0)
    _set_limit(resource.RLIMIT_CPU, int(cc.NOTEBOOK_TIMEOUT_S) + 5)
    nproc = cc.KERNEL_MAX_PROCESSES
    if not can_drop_uid():
        # without a uid of its own the kernel shares the count with every process (thread)
        # of this user: allow KERNEL_MAX_PROCESSES more than exist now.
        nproc += _count_tasks(os.getuid())
    _set_limit(resource.RLIMIT_NPROC, nproc)


def _count_tasks(uid: int) -> int:
    """Threads of all processes of ``uid`` (what ``RLIMIT_NPROC`` counts)."""
    n = 0
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if entry.stat().st_uid == uid:
                    n += len(os.listdir(entry / "task"))
            except (FileNotFoundError, PermissionError):
                continue
    return n


def _mount(libc, src, target, fstype, flags, data=None) -> None:
    if libc.mount(src and src.encode(), target.encode(), fstype and fstype.encode(), flags,
                  data and data.encode()) != 0:
        err = ctypes.get_errno()
        raise OSError(err, f"mount {src} -> {target}: {os.strerror(err)}")


def hide_reference_modules(stage: str) -> bool:
    """In a new mount namespace, replace ``solutions_lib`` by its ``__init__`` + ``grading``.

    Needs root (``CAP_SYS_ADMIN``). Returns False (and changes nothing visible outside this
    process) when the namespace or a mount is not permitted.
    """
    real = cc.COURSE_ROOT / "solutions_lib"
    if not real.is_dir():
        return False
    libc = ctypes.CDLL(None, use_errno=True)
    if libc.unshare(_CLONE_NEWNS) != 0:
        return False
    try:
        _mount(libc, None, "/", None, _MS_REC | _MS_PRIVATE)
        keep = Path(stage) / "grading"
        keep.mkdir()
        has_grading = (real / "grading").is_dir()
        if has_grading:
            _mount(libc, str(real / "grading"), str(keep), None, _MS_BIND | _MS_REC)
        init = (real / "__init__.py").read_bytes()
        _mount(libc, "tmpfs", str(real), "tmpfs", _MS_NOSUID | _MS_NODEV, "mode=0755,size=4m")
        (real / "__init__.py").write_bytes(init)
        os.chmod(real / "__init__.py", 0o644)
        if has_grading:
            (real / "grading").mkdir(mode=0o755)
            _mount(libc, str(keep), str(real / "grading"), None, _MS_BIND | _MS_REC)
            _mount(libc, None, str(real / "grading"), None,
                   _MS_BIND | _MS_REC | _MS_RDONLY | 32)   # 32 = MS_REMOUNT
        os.chmod(real, 0o555)
        for extra in os.environ.get(_ENV_HIDE, "").split(os.pathsep):
            if extra and os.path.isdir(extra):
                _mount(libc, "tmpfs", extra, "tmpfs", _MS_NOSUID | _MS_NODEV, "mode=0555,size=64k")
            elif extra and os.path.isfile(extra):
                _mount(libc, "/dev/null", extra, None, _MS_BIND)
        return True
    except OSError as exc:
        print(f"[nnmath sandbox] could not hide the reference modules: {exc}", file=sys.stderr)
        return False


def expose_to_others(path: str | Path, stage: str | Path) -> None:
    """Make ``path`` reachable for other users inside this mount namespace.

    For each ancestor folder that others cannot traverse (e.g. ``/root`` holding a pyenv
    interpreter), mount a tmpfs over it (mode 0755) holding a bind of the one child on the
    way to ``path``. Only this process's private mount namespace sees the change.
    """
    libc = ctypes.CDLL(None, use_errno=True)
    path = Path(os.path.realpath(path))
    chain = list(reversed(path.parents))[1:] + [path]
    for k, folder in enumerate(chain[:-1]):
        mode = os.stat(folder).st_mode
        if mode & 0o001:
            continue
        child = chain[k + 1]
        keep = Path(tempfile.mkdtemp(prefix="nnmath-expose-", dir=stage))
        _mount(libc, str(child), str(keep), None, _MS_BIND | _MS_REC)
        _mount(libc, "tmpfs", str(folder), "tmpfs", _MS_NOSUID | _MS_NODEV, "mode=0755,size=64k")
        (folder / child.name).mkdir(mode=0o755)
        _mount(libc, str(keep), str(folder / child.name), None, _MS_BIND | _MS_REC)


def _others_can_reach(path) -> bool:
    p = Path(os.path.realpath(path))
    return all(os.stat(d).st_mode & 0o001 for d in [*p.parents, p])


def main(argv=None) -> None:
    """Launcher: limits, (root) namespace + uid drop, then ``exec`` ipykernel."""
    argv = list(sys.argv[1:] if argv is None else argv)
    if "-f" not in argv:
        raise SystemExit("usage: python -m autograder.sandbox -f <connection file>")
    scratch = os.environ.get(_ENV_SCRATCH)
    if scratch:
        # what the kernel writes on file descriptors 1 and 2 (not its cells' Python output,
        # which goes to the notebook) ends in the log the grader quotes if the kernel dies,
        # never on the grader's terminal; RLIMIT_FSIZE caps its size
        fd = os.open(os.path.join(scratch, LOG_FILE), os.O_WRONLY | os.O_CREAT | os.O_APPEND,
                     0o600)
        os.dup2(fd, 1)
        os.dup2(fd, 2)
        os.close(fd)
    try:
        _launch(argv, scratch)
    except BaseException as exc:
        if isinstance(exc, SystemExit) and exc.code in (0, None):
            raise
        import traceback

        traceback.print_exc()
        print(f"{_CANNOT_START}: {type(exc).__name__}: {exc}", file=sys.stderr, flush=True)
        raise SystemExit(70) from None


def _launch(argv: list, scratch: str | None) -> None:
    """Limits, namespace, uid drop and ``exec`` of ipykernel (see :func:`main`)."""
    conn = argv[argv.index("-f") + 1]
    if scratch:
        Path(scratch, PID_FILE).write_text(str(os.getpid()))
    env = dict(os.environ)
    for var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
        env[var] = "1"
    env["MPLBACKEND"] = "Agg"
    env.pop("NNMATH_SANDBOX_UID", None)
    env.pop(_ENV_HIDE, None)
    env.pop(_ENV_SCRATCH, None)
    env["PYTHONFAULTHANDLER"] = "1"      # a crash in C code leaves its trace in the log
    home = Path(tempfile.mkdtemp(prefix="nnmath-kernel-home-", dir=scratch))
    env["HOME"] = str(home)
    env["IPYTHONDIR"] = str(home / ".ipython")
    env["MPLCONFIGDIR"] = str(home / ".mpl")
    new_conn = home / "connection.json"
    shutil.copyfile(conn, new_conn)
    os.chmod(new_conn, 0o600)
    argv[argv.index("-f") + 1] = str(new_conn)
    uid = int(os.environ.get(_ENV_UID, SANDBOX_UID_BASE))
    cwd = os.getcwd()
    disabled = os.environ.get(_ENV_NOSANDBOX) == "1"
    hidden = False
    if can_drop_uid() and not disabled:
        stage = tempfile.mkdtemp(prefix="nnmath-stage-", dir=scratch)
        hidden = hide_reference_modules(stage)
        if hidden:
            for needed in {sys.base_prefix, os.path.realpath(sys.executable), sys.prefix,
                           cwd}:
                try:
                    expose_to_others(needed, stage)
                except OSError as exc:
                    print(f"[nnmath sandbox] cannot expose {needed}: {exc}", file=sys.stderr)
        for p in [home, new_conn]:
            os.chown(p, uid, SANDBOX_GID)
    if not hidden:
        shadow = shadow_solutions_lib(Path(tempfile.mkdtemp(prefix="nnmath-shadow-")))
        rest = [p for p in env.get("PYTHONPATH", "").split(os.pathsep)
                if p and Path(p).resolve() != cc.COURSE_ROOT]
        env["PYTHONPATH"] = os.pathsep.join([str(shadow), *rest])
    else:
        # the course root stays importable for solutions_lib (now only __init__ + grading),
        # but autograder/ and course_config stay visible: harmless, they hold no solutions.
        pass
    if not disabled:
        apply_limits()
        if can_drop_uid() and (hidden or _others_can_reach(sys.base_prefix)):
            os.setgroups([])
            os.setgid(SANDBOX_GID)
            os.setuid(uid)
    os.chdir(cwd)
    os.execve(sys.executable, [sys.executable, "-m", "ipykernel_launcher", *argv], env)


if __name__ == "__main__":
    main()
