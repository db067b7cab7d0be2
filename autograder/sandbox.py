"""The jailed kernel that runs a student's notebook under autograde (an allow-list jail).

Two halves:

* the grader side: :func:`install_kernel_spec` writes a dedicated Jupyter kernel spec,
  :data:`KERNEL_NAME`, into a private data folder and puts that folder first on
  ``JUPYTER_PATH`` (the grader selects it with ``Execute.kernel_name``, so the kernelspec a
  student wrote into the notebook's metadata is ignored); :func:`new_scratch` and
  :func:`prepare_run` make a task's scratch folder and :func:`write_settings` the small
  JSON file that tells the launcher what it needs (uid, verifier socket, unsandboxed);
  :func:`jail_unavailable` says why no jail can be built on this machine.
* the launcher (``python -m autograder.sandbox -f {connection_file}``, :func:`main`): runs as
  the grader's user outside the jail, reads the task's settings, applies the limits and
  ``exec``-s `bubblewrap <https://github.com/containers/bubblewrap>`_ (``bwrap``), which
  starts ipykernel inside the jail.

The kernel's world (everything else does not exist for it):

- the system (``/usr``, ``/etc``, the ``/bin``, ``/lib*`` links), the base Python prefix and
  the venv, read-only, at their own paths;
- the checker client: ``<course root>/checker`` read-only at ``/opt/nnmath/checker``
  (``PYTHONPATH=/opt/nnmath``); nothing else of the course root (the editable install's
  finder points at folders that do not exist in the jail);
- the course's data folder (``course_config.DATA_DIR``) read-only, if it exists;
- ``/proc`` of its own pid namespace, a minimal ``/dev``;
- ``/tmp`` (holding ``HOME``) and the working folder (a private copy of the notebook's
  folder, at the same path as outside so that nbgrader's paths still mean something): two
  tmpfs of :data:`DISK_MB` MiB each, gone with the jail;
- the task's run folder (``<scratch>/run``, at the same path): the kernel's IPC sockets, its
  connection file and the verifier's socket. When the grader is root it is a tmpfs of
  :data:`RUN_MB` MiB mounted by the grader and unmounted after the task.

Namespaces: network (the kernel's channels are IPC sockets in the run folder; no TCP socket
of another kernel is reachable), pid (the kernel is pid 2 and sees no other process),
IPC, UTS, cgroup; ``--die-with-parent`` and ``--new-session``. Inside, ``setpriv`` drops to
the task's unprivileged uid (a fresh uid per task and per worker, so one student's fork
bomb cannot use up another task's process budget) and gid ``nogroup``, with no
capabilities and ``no_new_privs``. Limits (set by the launcher before the jail, inherited):
``RLIMIT_AS`` = ``course_config.KERNEL_MEMORY_MB`` (memory bomb -> ``MemoryError``),
``RLIMIT_NPROC`` = ``KERNEL_MAX_PROCESSES`` (fork bomb -> ``BlockingIOError``),
``RLIMIT_FSIZE`` = :data:`MAX_FILE_MB`, ``RLIMIT_CORE`` = 0, ``RLIMIT_CPU`` =
``NOTEBOOK_TIMEOUT_S``. The environment is an allow-list too (no ``NBGRADER_EXECUTION``,
nothing of the grader's): ``PATH``, ``HOME``, ``PYTHONPATH``, locale, single-threaded BLAS,
``MPLBACKEND=Agg``, ``PYTHONFAULTHANDLER``, and the verifier's socket.

The jail needs root and ``bwrap`` (Debian's ``bubblewrap``; ``make sandbox`` installs it).
When it cannot be built, grading refuses (:func:`jail_unavailable`, checked by the
pre-flight) unless the instructor asks for ``--unsandboxed``: then the kernel runs with the
limits only, as the grader's user, and can read everything the grader can.

Scratch folder (one per kernel, :func:`new_scratch`, removed by :func:`remove_scratch`):
``launch.json`` (the settings), ``kernel.pid`` (the launcher's pid = bwrap's: killing its
process group ends the jail, ``--die-with-parent`` and the pid namespace take every process
inside with it), ``kernel.log`` (file descriptors 1 and 2 of the kernel and of bwrap:
launcher failures, Python's fatal-error traces, quoted by :func:`kernel_log_tail`) and
``run/``. It is named after the grader's pid: what a grader killed mid-task leaves behind is
removed by the next one (:func:`sweep_stale_scratch`).
"""
from __future__ import annotations

import atexit
import ctypes
import functools
import json
import os
import resource
import shutil
import signal
import subprocess
import sys
import tempfile
from pathlib import Path

import course_config as cc

#: Name of the kernel spec the grader installs and selects.
KERNEL_NAME = "nnmath-sandbox"
#: Largest file a student's kernel may write, MiB.
MAX_FILE_MB = 64
#: Size of each of the kernel's two writable tmpfs (``/tmp`` with HOME, the working folder), MiB.
DISK_MB = 128
#: Size of the run folder's tmpfs (sockets, connection file), MiB.
RUN_MB = 4
#: Where the checker package is mounted inside the jail (``PYTHONPATH`` of the kernel).
JAIL_LIB = "/opt/nnmath"
#: The kernel's HOME inside the jail.
JAIL_HOME = "/tmp/home"
#: Files of the notebook's folder larger than this are bound read-only instead of copied.
_COPY_LIMIT = 16 * 1024 * 1024
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

#: Files the launcher and the grader keep in the scratch folder.
PID_FILE, LOG_FILE, SETTINGS_FILE, RUN_DIR = "kernel.pid", "kernel.log", "launch.json", "run"
#: How much of the end of a kernel log is searched for the fatal error (a crash trace of
#: every thread is a few KiB).
_LOG_TAIL_BYTES = 65536
_CANNOT_START = "[nnmath sandbox] the kernel could not start"

_MS_NOSUID, _MS_NODEV = 2, 4
_MNT_DETACH = 2


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
        # the kernel interrupts itself (a signal to the launcher's pid would reach bwrap)
        "interrupt_mode": "message",
        "metadata": {"debugger": False},
    }
    (spec_dir / "kernel.json").write_text(json.dumps(spec, indent=1))
    parts = [p for p in os.environ.get("JUPYTER_PATH", "").split(os.pathsep) if p]
    if str(data_dir) not in parts:
        os.environ["JUPYTER_PATH"] = os.pathsep.join([str(data_dir), *parts])
    return data_dir


def bwrap_path() -> str | None:
    """The ``bwrap`` executable (``$NNMATH_BWRAP`` or on ``PATH``), None if missing."""
    return shutil.which(os.environ.get("NNMATH_BWRAP", "bwrap"))


@functools.lru_cache(maxsize=1)
def jail_unavailable() -> str | None:
    """Why the jail cannot be built here (None when it can): checked once per process.

    Needs root (the jail drops to a fresh uid per task and mounts the run folder), ``bwrap``,
    and a trial jail with the same namespaces as a kernel's that runs ``true``.
    """
    if not can_drop_uid():
        return ("the grader is not root: the kernel jail needs root (it runs each kernel "
                "under its own uid)")
    bw = bwrap_path()
    if bw is None:
        return ("bubblewrap (bwrap) is not installed: `make sandbox` (apt-get install "
                "bubblewrap)")
    args = [bw, *_system_binds(), "--proc", "/proc", "--dev", "/dev", "--unshare-net",
            "--unshare-pid", "--unshare-ipc", "--unshare-uts", "--die-with-parent",
            "--new-session", "--", "setpriv", "--reuid", str(SANDBOX_UID_BASE), "--regid",
            str(SANDBOX_GID), "--clear-groups", "--no-new-privs", "true"]
    try:
        proc = subprocess.run(args, capture_output=True, text=True, timeout=30)
    except (OSError, subprocess.TimeoutExpired) as exc:
        return f"bwrap could not run: {exc}"
    if proc.returncode != 0:
        return ("bwrap cannot build the jail here (user or mount namespaces not permitted?): "
                + (proc.stderr.strip().splitlines() or ["exit status %d" % proc.returncode])[-1])
    return None


def new_scratch() -> Path:
    """A fresh scratch folder for one kernel (mode 0711: its sandbox uid can reach ``run/``).

    Returns
    -------
    Path
        The folder; :func:`prepare_run` makes its run folder, :func:`remove_scratch`
        removes it when the kernel is gone.
    """
    path = Path(tempfile.mkdtemp(prefix=f"{_SCRATCH_PREFIX}{os.getpid()}-"))
    os.chmod(path, 0o711)
    return path


_SCRATCH_PREFIX = "nnmath-kernel-"


def sweep_stale_scratch() -> int:
    """Remove the scratch folders (and run-folder mounts) of graders that no longer exist.

    A grader killed in the middle of a task (``SIGKILL``, a crash) cannot clean up after
    itself; its scratch folder is named after its pid, so the next grader on the machine
    removes it. Returns how many were removed.
    """
    n = 0
    for d in Path(tempfile.gettempdir()).glob(f"{_SCRATCH_PREFIX}*-*"):
        pid = d.name[len(_SCRATCH_PREFIX):].split("-", 1)[0]
        if not pid.isdigit() or Path(f"/proc/{pid}").exists():
            continue
        remove_scratch(d)
        n += 1
    return n


def prepare_run(scratch: str | Path, uid: int | None, jail: bool = True) -> Path:
    """Make ``<scratch>/run``, the folder shared by the jail and the grader.

    With ``jail`` (root): a tmpfs of :data:`RUN_MB` MiB owned by ``uid`` (mode 0700), so the
    kernel cannot fill the host's disk through it. Raises ``OSError`` if ``scratch`` is not
    usable.
    """
    run = Path(scratch) / RUN_DIR
    run.mkdir(mode=0o700)
    if jail and can_drop_uid():
        _mount_tmpfs(run, f"size={RUN_MB}m,mode=0700")
    if uid is not None and can_drop_uid():
        os.chown(run, uid, SANDBOX_GID)
    return run


def kernel_ip(scratch: str | Path) -> str:
    """``KernelManager.ip`` for IPC transport: the kernel's sockets are ``<run>/kernel-N``."""
    return str(Path(scratch) / RUN_DIR / "kernel")


def write_settings(scratch: str | Path, *, uid: int | None, verifier_socket: str | None = None,
                   unsandboxed: bool = False) -> Path:
    """Write the launcher's settings for one kernel (``<scratch>/launch.json``, mode 0600)."""
    path = Path(scratch) / SETTINGS_FILE
    body = {"uid": uid, "verifier_socket": verifier_socket, "unsandboxed": bool(unsandboxed),
            "scratch": str(scratch)}
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as fh:
        json.dump(body, fh)
    return path


def remove_scratch(path: str | Path | None) -> None:
    """Delete a kernel's scratch folder (unmounting its run folder first)."""
    if not path:
        return
    run = Path(path) / RUN_DIR
    if os.path.ismount(run):
        _umount(run)
    shutil.rmtree(path, ignore_errors=True)


def _mount_tmpfs(target: Path, options: str) -> None:
    libc = ctypes.CDLL(None, use_errno=True)
    if libc.mount(b"tmpfs", str(target).encode(), b"tmpfs", _MS_NOSUID | _MS_NODEV,
                  options.encode()) != 0:
        err = ctypes.get_errno()
        raise OSError(err, f"mount tmpfs on {target}: {os.strerror(err)}")


def _umount(target: Path) -> None:
    libc = ctypes.CDLL(None, use_errno=True)
    libc.umount2(str(target).encode(), _MNT_DETACH)


def kernel_log_tail(scratch: str | Path | None) -> str:
    """What a kernel's ``kernel.log`` says about why it died ('' if nothing useful).

    The kernel's standard error also holds harmless warnings, so only a fatal error is
    quoted: Python's ``Fatal Python error: ...`` line (a crash) or a ``bwrap:`` error, else
    the exception line that ends the last traceback (e.g. ``MemoryError`` while ipykernel
    starts), else the launcher's own ``[nnmath sandbox] ...`` message. A launcher failure
    counts as fatal.

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
    fatal = [ln for ln in lines if ln.startswith(("Fatal Python error", _CANNOT_START, "bwrap:"))]
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
        try:
            os.killpg(pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            try:
                os.kill(pid, signal.SIGKILL)
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


# --------------------------------------------------------------------------------------
# kernel side (the launcher)
# --------------------------------------------------------------------------------------
def _set_limit(which: int, value: int) -> None:
    soft, hard = resource.getrlimit(which)
    if hard != resource.RLIM_INFINITY and value > hard:
        value = hard
    resource.setrlimit(which, (value, value))


def apply_limits(own_uid: bool | None = None) -> None:
    """Memory, process, file-size, core and CPU limits of ``course_config`` for this process.

    ``own_uid``: the kernel will run under a uid of its own (default: when root). Otherwise
    it shares the process count with every process of this user, so the cap is on top of
    those.
    """
    _set_limit(resource.RLIMIT_AS, cc.KERNEL_MEMORY_MB * 1024 * 1024)
    _set_limit(resource.RLIMIT_FSIZE, MAX_FILE_MB * 1024 * 1024)
    _set_limit(resource.RLIMIT_CORE, 0)
    _set_limit(resource.RLIMIT_CPU, int(cc.NOTEBOOK_TIMEOUT_S) + 5)
    nproc = cc.KERNEL_MAX_PROCESSES
    if not (can_drop_uid() if own_uid is None else own_uid):
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


def _system_binds() -> list[str]:
    """bwrap arguments for the read-only system: /usr, /etc and the top-level links."""
    args = ["--ro-bind", "/usr", "/usr", "--ro-bind", "/etc", "/etc"]
    for name in ("bin", "sbin", "lib", "lib32", "lib64", "libx32"):
        p = Path("/") / name
        if p.is_symlink():
            args += ["--symlink", os.readlink(p), str(p)]
        elif p.is_dir():
            args += ["--ro-bind", str(p), str(p)]
    return args


def _python_paths() -> list[str]:
    """Folders of this Python (base prefix, venv, their real locations), outside /usr."""
    out = []
    for p in (sys.base_prefix, sys.base_exec_prefix, sys.prefix, sys.exec_prefix,
              os.path.dirname(os.path.dirname(os.path.realpath(sys.executable)))):
        for q in (os.path.abspath(p), os.path.realpath(p)):
            if q not in out and not q.startswith(("/usr/", "/etc/")) and q not in ("/", "/usr"):
                out.append(q)
    # a folder bound inside another one is bound twice: keep the outermost ones only
    return [p for p in out if not any(p != o and p.startswith(o + "/") for o in out)]


def _copy_folder_args(src: str, fds: list) -> list[str]:
    """bwrap arguments that fill the working tmpfs ``src`` with a copy of the folder ``src``.

    Small files are copied (``--file FD``: writable copies owned by nobody in particular,
    mode 0666); larger ones are bound read-only. Open descriptors are appended to ``fds``.
    """
    args = []
    for dirpath, dirnames, filenames in os.walk(src):
        dirnames.sort()
        for d in dirnames:
            args += ["--perms", "0777", "--dir", os.path.join(dirpath, d)]
        for f in sorted(filenames):
            path = os.path.join(dirpath, f)
            if os.path.islink(path) or not os.path.isfile(path):
                continue
            if os.path.getsize(path) > _COPY_LIMIT:
                args += ["--ro-bind", path, path]
                continue
            fd = os.open(path, os.O_RDONLY)
            os.set_inheritable(fd, True)
            fds.append(fd)
            args += ["--perms", "0666", "--file", str(fd), path]
    return args


class _Dirs:
    """``--dir`` (mode 0755) for every folder on the way to a mount point, once each.

    bwrap would create them with mode 0700 for a mount below e.g. ``/root`` (a pyenv
    Python): the kernel's uid could not reach its own interpreter.
    """

    def __init__(self):
        self.made = {"/"}

    def __call__(self, target: str, base: str = "/") -> list[str]:
        args = []
        parents = [str(p) for p in reversed(Path(target).parents)]
        for d in parents:
            if d in self.made or not d.startswith(base.rstrip("/") + "/"):
                continue
            self.made.add(d)
            args += ["--perms", "0755", "--dir", d]
        return args


def jail_argv(kernel_argv: list[str], *, cwd: str, run: str, uid: int, fds: list) -> list[str]:
    """The ``bwrap`` command line that runs ``kernel_argv`` in the jail (see the module doc)."""
    dirs = _Dirs()
    args = [bwrap_path() or "bwrap", "--die-with-parent", "--new-session", "--unshare-net",
            "--unshare-pid", "--unshare-ipc", "--unshare-uts", "--unshare-cgroup-try",
            "--hostname", "nnmath-kernel"]
    args += _system_binds()
    # /tmp first: everything below is bound on top of it (bwrap applies mounts in order), so a
    # venv, a data folder or a course checked out under /tmp stays reachable
    size = str(DISK_MB * 1024 * 1024)
    args += ["--perms", "1777", "--size", size, "--tmpfs", "/tmp",
             "--perms", "0777", "--dir", JAIL_HOME]
    dirs.made = {d for d in dirs.made if not d.startswith("/tmp/")} | {"/tmp"}
    for p in _python_paths():
        args += dirs(p) + ["--ro-bind", os.path.realpath(p), p]
    args += dirs(f"{JAIL_LIB}/checker")
    args += ["--ro-bind", str(cc.COURSE_ROOT / "checker"), f"{JAIL_LIB}/checker"]
    data = Path(cc.DATA_DIR)
    if data.is_dir():
        args += dirs(str(data)) + ["--ro-bind", os.path.realpath(data), str(data)]
    args += ["--proc", "/proc", "--dev", "/dev"]
    args += dirs(run) + ["--bind", run, run]
    args += dirs(cwd) + ["--perms", "0777", "--size", size, "--tmpfs", cwd]
    args += _copy_folder_args(cwd, fds)
    args += ["--chdir", cwd, "--",
             "setpriv", "--reuid", str(uid), "--regid", str(SANDBOX_GID), "--clear-groups",
             "--no-new-privs", "--inh-caps=-all", "--bounding-set=-all", *kernel_argv]
    return args


def kernel_env(verifier_socket: str | None, jail: bool) -> dict:
    """The kernel's whole environment (an allow-list: nothing of the grader's is passed)."""
    bindir = os.path.dirname(sys.executable)
    env = {
        "PATH": os.pathsep.join([bindir, "/usr/local/bin", "/usr/bin", "/bin"]),
        "LANG": "C.UTF-8", "LC_ALL": "C.UTF-8",
        "OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1",
        "MPLBACKEND": "Agg",
        "PYTHONFAULTHANDLER": "1",      # a crash in C code leaves its trace in the log
        "PYTHONDONTWRITEBYTECODE": "1",
    }
    if jail:
        env.update(HOME=JAIL_HOME, IPYTHONDIR=f"{JAIL_HOME}/.ipython",
                   MPLCONFIGDIR=f"{JAIL_HOME}/.mpl", PYTHONPATH=JAIL_LIB)
    if verifier_socket:
        env["NNMATH_VERIFIER_SOCKET"] = verifier_socket
    if Path(cc.DATA_DIR).is_dir():
        # the data module finds the read-only data folder (course_config is out of reach)
        env["NNMATH_DATA_DIR"] = str(cc.DATA_DIR)
    return env


def _settings_for(conn: str) -> dict:
    """The task's settings: ``launch.json`` next to the run folder named by the connection file."""
    with open(conn) as fh:
        info = json.load(fh)
    if info.get("transport") != "ipc":
        raise RuntimeError("the sandbox kernel needs IPC transport "
                           "(KernelManager.transport = 'ipc', ip = <scratch>/run/kernel)")
    scratch = Path(info["ip"]).parent.parent
    with open(scratch / SETTINGS_FILE) as fh:
        settings = json.load(fh)
    settings["scratch"] = str(scratch)
    return settings


def main(argv=None) -> None:
    """Launcher: settings, log, limits, then ``exec`` bwrap (or ipykernel when unsandboxed)."""
    argv = list(sys.argv[1:] if argv is None else argv)
    if "-f" not in argv:
        raise SystemExit("usage: python -m autograder.sandbox -f <connection file>")
    conn = argv[argv.index("-f") + 1]
    try:
        settings = _settings_for(conn)
    except BaseException as exc:
        print(f"{_CANNOT_START}: no settings for this kernel: {type(exc).__name__}: {exc}",
              file=sys.stderr, flush=True)
        raise SystemExit(70) from None
    scratch = settings["scratch"]
    # what the kernel writes on file descriptors 1 and 2 (not its cells' Python output,
    # which goes to the notebook) ends in the log the grader quotes if the kernel dies,
    # never on the grader's terminal; RLIMIT_FSIZE caps its size
    fd = os.open(os.path.join(scratch, LOG_FILE), os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
    os.dup2(fd, 1)
    os.dup2(fd, 2)
    os.close(fd)
    try:
        _launch(argv, settings)
    except BaseException as exc:
        if isinstance(exc, SystemExit) and exc.code in (0, None):
            raise
        import traceback

        traceback.print_exc()
        print(f"{_CANNOT_START}: {type(exc).__name__}: {exc}", file=sys.stderr, flush=True)
        raise SystemExit(70) from None


def _launch(argv: list, settings: dict) -> None:
    """Connection file into the run folder, limits, ``exec`` (see :func:`main`)."""
    scratch = Path(settings["scratch"])
    Path(scratch, PID_FILE).write_text(str(os.getpid()))
    run = scratch / RUN_DIR
    jail = not settings.get("unsandboxed")
    uid = settings.get("uid")
    conn = argv[argv.index("-f") + 1]
    new_conn = run / "connection.json"
    shutil.copyfile(conn, new_conn)
    os.chmod(new_conn, 0o600)
    argv[argv.index("-f") + 1] = str(new_conn)
    cwd = os.getcwd()
    env = kernel_env(settings.get("verifier_socket"), jail)
    kernel_argv = [sys.executable, "-m", "ipykernel_launcher", *argv]
    if not jail:
        # explicitly unsandboxed: limits only, as the grader's user, a HOME in the scratch
        home = scratch / "home"
        home.mkdir(exist_ok=True)
        env.update(HOME=str(home), IPYTHONDIR=str(home / ".ipython"),
                   MPLCONFIGDIR=str(home / ".mpl"),
                   PYTHONPATH=os.pathsep.join(p for p in sys.path if p and os.path.isdir(p)))
        apply_limits(own_uid=False)
        os.execve(sys.executable, kernel_argv, env)
    if uid is None:
        raise RuntimeError("no sandbox uid in the settings")
    if bwrap_path() is None:
        raise RuntimeError("bubblewrap (bwrap) is not installed")
    os.chown(new_conn, int(uid), SANDBOX_GID)
    fds: list = []
    args = jail_argv(kernel_argv, cwd=os.path.realpath(cwd), run=str(run), uid=int(uid),
                     fds=fds)
    apply_limits(own_uid=True)
    os.execve(args[0], args, env)


if __name__ == "__main__":
    main()
