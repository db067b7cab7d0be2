"""The sandbox kernel spec: limits, uid drop, hidden reference modules (autograder.sandbox)."""
from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

import course_config as cc
from autograder import sandbox


def _fresh_uids():
    """Sandbox uids of this test process: a block of its own, far from the grader's blocks.

    pytest-xdist runs this module in several processes at once, and a kernel's teardown kills
    every process of its uid; a block shared between workers let one worker's teardown kill
    another worker's kernel mid-test.
    """
    first = sandbox.SANDBOX_UID_BASE + 2**30 + 100 * os.getpid()   # above every uid_block()
    return iter(range(first, first + 100))


_UIDS = _fresh_uids()


@pytest.fixture
def kernel(tmp_path, monkeypatch):
    """Run code in a kernel started exactly as the grader starts it; yields ``run(code)``."""
    from autograder.kernel_run import open_kernel

    monkeypatch.setenv("JUPYTER_PATH", os.environ.get("JUPYTER_PATH", ""))
    sandbox.install_kernel_spec(tmp_path / "jupyter")
    uid = next(_UIDS)   # a fresh uid per kernel: no process budget shared between tests
    work = tmp_path / "work"
    work.mkdir()
    with open_kernel(work, uid=uid, verifier=False,
                     unsandboxed=sandbox.jail_unavailable() is not None) as k:
        def run(code):
            return k.run(code)

        run.uid = uid
        run.pid = k.pid
        run.send = k.kc.execute          # no wait for the reply (for code that kills the kernel)
        run.scratch = k.scratch
        yield run


def test_kernel_spec_is_the_launcher(tmp_path, monkeypatch):
    monkeypatch.setenv("JUPYTER_PATH", "")
    data = sandbox.install_kernel_spec(tmp_path)
    spec = json.loads((data / "kernels" / sandbox.KERNEL_NAME / "kernel.json").read_text())
    assert spec["argv"][1:4] == ["-m", "autograder.sandbox", "-f"]
    assert os.environ["JUPYTER_PATH"].split(os.pathsep)[0] == str(tmp_path)


def test_limits_applied_in_kernel(kernel):
    status, text, _ = kernel(
        "import resource, json\n"
        "print(json.dumps({k: resource.getrlimit(getattr(resource, k))[0] for k in "
        "['RLIMIT_AS', 'RLIMIT_NPROC', 'RLIMIT_CORE', 'RLIMIT_FSIZE', 'RLIMIT_CPU']}))")
    assert status == "ok"
    lim = json.loads(text)
    assert lim["RLIMIT_AS"] == cc.KERNEL_MEMORY_MB * 1024 * 1024
    if sandbox.can_drop_uid():
        assert lim["RLIMIT_NPROC"] == cc.KERNEL_MAX_PROCESSES
    else:   # shared with the user's other processes: the cap is on top of those
        assert lim["RLIMIT_NPROC"] >= cc.KERNEL_MAX_PROCESSES
    assert lim["RLIMIT_CORE"] == 0
    assert lim["RLIMIT_FSIZE"] == sandbox.MAX_FILE_MB * 1024 * 1024
    assert 0 < lim["RLIMIT_CPU"] <= cc.NOTEBOOK_TIMEOUT_S + 5


def test_figures_are_text_unless_configured(kernel):
    assert not cc.AUTOGRADE_RENDERS_FIGURES, "this test checks the default: no rasterised figures"
    status, text, errs = kernel(
        "%matplotlib inline\n"
        "import matplotlib.pyplot as plt\n"
        "from matplotlib_inline.config import InlineBackend\n"
        "print(sorted(InlineBackend.instance().figure_formats))\n"
        "fig = plt.figure(); plt.plot([0, 1]); plt.show()")
    assert status == "ok", errs
    assert text.strip() == "[]"


def test_memory_bomb_gets_memory_error(kernel):
    status, _, errs = kernel("x = bytearray(%d)" % ((cc.KERNEL_MEMORY_MB + 512) * 1024 * 1024))
    assert status == "error" and errs == ["MemoryError"]
    assert kernel("print(1 + 1)")[1].strip() == "2"     # the kernel survived


@pytest.mark.skipif(sandbox.jail_unavailable() is not None, reason="no kernel jail here")
def test_checker_is_the_jails_copy_and_the_course_is_not_importable(kernel):
    status, text, errs = kernel(
        "import json, checker\nfound = []\n"
        "for m in ('solutions_lib', 'course_config', 'autograder', 'source'):\n"
        "    try:\n        __import__(m); found.append(m)\n"
        "    except ImportError:\n        pass\n"
        "print(json.dumps([checker.__file__, found]))")
    assert status == "ok", errs
    where, found = json.loads(text)
    assert where == f"{sandbox.JAIL_LIB}/checker/__init__.py"
    assert found == []


@pytest.mark.skipif(not sandbox.can_drop_uid(), reason="uid drop needs root")
def test_root_drops_uid_and_process_cap_holds(kernel):
    status, text, _ = kernel("import os; print(os.getuid(), os.getgid())")
    uid, gid = map(int, text.split())
    assert uid == kernel.uid and gid == sandbox.SANDBOX_GID
    # a (bounded) fork bomb hits the process cap instead of the machine
    status, text, errs = kernel(
        "import os, time\npids = []\n"
        "try:\n    for _ in range(500):\n        p = os.fork()\n"
        "        if p == 0:\n            time.sleep(30)\n            os._exit(0)\n"
        "        pids.append(p)\nexcept OSError as e:\n    print('capped', len(pids))\n")
    assert "capped" in text, (status, text, errs)
    assert int(text.split()[1]) < cc.KERNEL_MAX_PROCESSES
    sandbox.kill_sandbox(kernel.pid(), kernel.uid)
    sandbox.reap()


def test_kill_sandbox_kills_process_group(kernel):
    pid = kernel.pid()
    os.kill(pid, 0)
    sandbox.kill_sandbox(pid, None)
    import time

    for _ in range(50):
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            break
        if open(f"/proc/{pid}/stat").read().split()[2] == "Z":
            break
        time.sleep(0.1)
    else:
        pytest.fail("kernel still alive")


def test_apply_limits_in_child():
    import subprocess
    import sys

    code = ("import resource, autograder.sandbox as s; s.apply_limits(); "
            "print(resource.getrlimit(resource.RLIMIT_AS)[0])")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         cwd=str(cc.COURSE_ROOT), check=True).stdout
    assert int(out) == cc.KERNEL_MEMORY_MB * 1024 * 1024


def test_uid_blocks_of_live_processes_are_disjoint():
    """Two graders at once never share a uid, whatever their pids (no wrap-around modulus)."""
    import subprocess
    import sys

    code = "from autograder import sandbox; print(sandbox.uid_block())"
    others = {int(subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                                 check=True).stdout) for _ in range(3)}
    blocks = others | {sandbox.uid_block()}
    assert len(blocks) == 4
    assert all(abs(a - b) >= 100 for a in blocks for b in blocks if a != b)
    assert sandbox.SANDBOX_UID_BASE + 100 * 2**22 < next(_fresh_uids())   # tests' uids apart


def test_launcher_failure_is_logged_in_the_scratch_folder(tmp_path):
    """A launcher that cannot start the kernel says why in kernel.log and exits non-zero."""
    import subprocess
    import sys

    scratch = sandbox.new_scratch()
    try:
        (scratch / sandbox.RUN_DIR).mkdir()
        sandbox.write_settings(scratch, uid=None)         # a jail without a uid: refused
        conn = tmp_path / "connection.json"
        conn.write_text(json.dumps({"transport": "ipc", "ip": sandbox.kernel_ip(scratch)}))
        proc = subprocess.run([sys.executable, "-m", "autograder.sandbox", "-f", str(conn)],
                              cwd=str(tmp_path), capture_output=True, timeout=60)
        assert proc.returncode == 70
        assert int((scratch / sandbox.PID_FILE).read_text()) > 0
        why = sandbox.kernel_log_tail(scratch)
        assert why.startswith("[nnmath sandbox] the kernel could not start")
        assert "no sandbox uid" in why
    finally:
        sandbox.remove_scratch(scratch)
    assert not scratch.exists()


def test_launcher_without_settings_refuses(tmp_path):
    """A kernel started by hand (TCP, no settings) is refused, with the reason on stderr."""
    import subprocess
    import sys

    conn = tmp_path / "connection.json"
    conn.write_text(json.dumps({"transport": "tcp", "ip": "127.0.0.1"}))
    proc = subprocess.run([sys.executable, "-m", "autograder.sandbox", "-f", str(conn)],
                          capture_output=True, text=True, timeout=60)
    assert proc.returncode == 70
    assert "needs IPC transport" in proc.stderr


@pytest.mark.parametrize("log, quoted", [
    ("", ""),
    ("a warning of no consequence\n", ""),
    ("Traceback (most recent call last):\n  File \"x\", line 1\nMemoryError\n", "MemoryError"),
    ("noise\nFatal Python error: Segmentation fault\n\nCurrent thread 0x1:\n  File \"<cell>\"\n",
     "Fatal Python error: Segmentation fault"),
])
def test_kernel_log_tail_quotes_only_fatal_lines(tmp_path, log, quoted):
    (tmp_path / sandbox.LOG_FILE).write_text(log)
    assert sandbox.kernel_log_tail(tmp_path) == quoted
    assert sandbox.kernel_log_tail(tmp_path / "nothing-here") == ""
    assert sandbox.kernel_log_tail(None) == ""


def test_crash_in_a_cell_leaves_its_trace_in_the_log(kernel):
    """A segfaulting kernel (C-level crash) is diagnosed from kernel.log by the grader."""
    import time

    status, text, _ = kernel("import os\nos.write(1, b'fd-level output\\n')\nprint('alive')")
    assert status == "ok" and text == "alive\n"   # fd 1 goes to the log, not the notebook
    assert "fd-level output" in (kernel.scratch / sandbox.LOG_FILE).read_text()
    kernel.send("import os, signal\nos.kill(os.getpid(), signal.SIGSEGV)")
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and not sandbox.kernel_log_tail(kernel.scratch):
        time.sleep(0.2)
    assert sandbox.kernel_log_tail(kernel.scratch) == "Fatal Python error: Segmentation fault"


def test_scratch_of_a_killed_grader_is_swept(tmp_path):
    """A grader killed mid-task leaves its scratch (and run-folder tmpfs): the next one removes it."""
    import subprocess
    import sys

    code = ("from autograder import sandbox\n"
            "s = sandbox.new_scratch(); sandbox.prepare_run(s, None)\n"
            "print(s, flush=True)\nimport os, signal; os.kill(os.getpid(), signal.SIGKILL)\n")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True).stdout
    left = Path(out.strip())
    assert left.is_dir()
    mine = sandbox.new_scratch()      # a live grader's scratch is left alone
    try:
        assert sandbox.sweep_stale_scratch() >= 1
        assert not left.exists() and str(left) not in Path("/proc/mounts").read_text()
        assert mine.is_dir()
    finally:
        sandbox.remove_scratch(mine)
