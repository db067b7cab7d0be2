"""The sandbox kernel spec: limits, uid drop, hidden reference modules (autograder.sandbox)."""
from __future__ import annotations

import json
import os
import resource

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
    from jupyter_client.manager import start_new_kernel

    monkeypatch.setenv("JUPYTER_PATH", os.environ.get("JUPYTER_PATH", ""))
    monkeypatch.setenv("PYTHONPATH", os.environ.get("PYTHONPATH", ""))
    sandbox.install_kernel_spec(tmp_path / "jupyter")
    secret = tmp_path / "secret"
    secret.mkdir()
    (secret / "answers.txt").write_text("top secret")
    monkeypatch.setenv(sandbox._ENV_HIDE, str(secret))
    uid = next(_UIDS)   # a fresh uid per kernel: no process budget shared between tests
    monkeypatch.setenv(sandbox._ENV_UID, str(uid))
    scratch = sandbox.new_scratch()
    monkeypatch.setenv(sandbox._ENV_SCRATCH, str(scratch))
    work = tmp_path / "work"
    work.mkdir()
    km, kc = start_new_kernel(kernel_name=sandbox.KERNEL_NAME, cwd=str(work), startup_timeout=60)

    def run(code):
        out = []
        reply = kc.execute_interactive(code, timeout=60, output_hook=out.append)
        text = "".join(m["content"].get("text", "") for m in out if m["msg_type"] == "stream")
        errs = [m["content"]["ename"] for m in out if m["msg_type"] == "error"]
        return reply["content"]["status"], text, errs

    run.secret = secret
    run.uid = uid
    run.pid = lambda: int((scratch / sandbox.PID_FILE).read_text())
    run.send = kc.execute          # no wait for the reply (for code that kills the kernel)
    run.scratch = scratch
    try:
        yield run
    finally:
        kc.stop_channels()
        km.shutdown_kernel(now=True)
        sandbox.kill_sandbox(None, uid)
        sandbox.remove_scratch(scratch)


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


def test_solutions_lib_grading_importable_reference_hidden(kernel):
    status, text, errs = kernel(
        "import os, json, solutions_lib, solutions_lib.grading\n"
        "d = os.path.dirname(solutions_lib.__file__)\n"
        "print(json.dumps(sorted(os.listdir(d))))")
    assert status == "ok", errs
    visible = set(json.loads(text)) - {"__pycache__"}
    assert visible <= {"__init__.py", "grading"}, visible


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


@pytest.mark.skipif(not sandbox.can_drop_uid(), reason="mount namespace needs root")
def test_hidden_paths_and_root_files_unreadable(kernel):
    status, text, _ = kernel(
        f"import os\ntry:\n    print(os.listdir({str(kernel.secret)!r}))\n"
        "except OSError:\n    print('[]')\n"
        "try:\n    open('/root/.bashrc').read(); print('read')\n"
        "except OSError: print('denied')\n")
    assert status == "ok"
    assert text.splitlines()[0] == "[]"
    assert "read" not in text.splitlines()[1:]


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
        env = dict(os.environ, **{sandbox._ENV_SCRATCH: str(scratch),
                                  sandbox._ENV_NOSANDBOX: "1"})
        proc = subprocess.run([sys.executable, "-m", "autograder.sandbox", "-f",
                               str(tmp_path / "missing-connection.json")],
                              env=env, cwd=str(cc.COURSE_ROOT), capture_output=True, timeout=60)
        assert proc.returncode == 70
        assert int((scratch / sandbox.PID_FILE).read_text()) > 0
        why = sandbox.kernel_log_tail(scratch)
        assert why.startswith("[nnmath sandbox] the kernel could not start")
        assert "FileNotFoundError" in why and "missing-connection.json" in why
    finally:
        sandbox.remove_scratch(scratch)
    assert not scratch.exists()


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
