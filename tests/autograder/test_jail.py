"""The kernel jail from the inside: real kernels, real attacks (autograder.sandbox).

Two kernels run at once, each started exactly as the grader starts them
(:func:`autograder.kernel_run.open_kernel`): ``attacker`` and ``victim``. Around them: a
course folder of another class (submitted and autograded notebooks of classmates, the
reference), and a second copy of the course outside any course root
(``/tmp/nnmath-backup-*``). From inside the attacker's jail:

- every readable file is listed: none is course material, a classmate's or the copy's;
- every process is listed: only the jail's own (bwrap's init and the kernel);
- every TCP port of 127.0.0.1 and every socket of the victim (its IPC channels, its
  verifier) is tried: all refused, and nothing of the victim's output is heard;
- another notebook's name is queried through the checker: refused, and recorded;
- the disk is filled: capped, and nothing is left on the host after the task.
"""
from __future__ import annotations

import json
import os
import shutil
import tempfile
import time
from pathlib import Path

import pytest

import course_config as cc
from autograder import sandbox
from autograder.kernel_run import open_kernel

pytestmark = [
    pytest.mark.skipif(sandbox.jail_unavailable() is not None,
                       reason=f"no kernel jail here: {sandbox.jail_unavailable()}"),
    pytest.mark.xdist_group("jail"),
]

_UID0 = sandbox.SANDBOX_UID_BASE + 2**30 + 50 + 100 * os.getpid()


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    """A classmates' course, a course copy outside the root, and two kernels side by side."""
    os.environ.setdefault("JUPYTER_PATH", "")
    sandbox.install_kernel_spec(tmp_path_factory.mktemp("jupyter"))
    other = tmp_path_factory.mktemp("jail") / "course"
    for rel in ("submitted/bob/w00_fixture/w00_fixture.ipynb",
                "autograded/bob/w00_fixture/w00_fixture.ipynb",
                "source/w00_fixture/w00_fixture.ipynb"):
        (other / rel).parent.mkdir(parents=True)
        (other / rel).write_text('{"cells": [], "secret": "def flip(a): return a[::-1]"}')
    for name in ("attacker", "victim"):
        d = other / ".grading" / "submitted" / name / "w00_fixture"
        d.mkdir(parents=True)
        (d / "w00_fixture.ipynb").write_text("{}")
        (d / "data.txt").write_text("given with the assignment")
    backup = Path(tempfile.mkdtemp(prefix="nnmath-backup-"))
    shutil.copytree(cc.COURSE_ROOT / "solutions_lib", backup / "solutions_lib",
                    ignore=shutil.ignore_patterns("__pycache__"))
    os.chmod(backup, 0o755)
    cwd = other / ".grading" / "submitted" / "attacker" / "w00_fixture"
    with open_kernel(other / ".grading" / "submitted" / "victim" / "w00_fixture",
                     uid=_UID0 + 1, names=["conv_output_size"], label="victim") as victim, \
            open_kernel(cwd, uid=_UID0, names=["flip"], label="attacker") as attacker:
        # the victim runs a correct answer, as an honest student graded at the same time
        assert victim.run("def conv_output_size(n, f, p=0, s=1):\n"
                          "    return (n + 2 * p - f) // s + 1\n")[0] == "ok"
        yield {"attacker": attacker, "victim": victim, "other": other, "backup": backup,
               "cwd": cwd}
    shutil.rmtree(backup, ignore_errors=True)


def _run_json(kernel, code, timeout=120):
    status, text, errs = kernel.run(code, timeout=timeout)
    assert status == "ok", (errs, getattr(kernel, "errors", None), text[-2000:])
    return json.loads(text.strip().splitlines()[-1])


_WALK = r'''
import json, os, stat
readable, dirs = [], 0
for top, ds, fs in os.walk("/"):
    if top == "/":
        ds[:] = [d for d in ds if d not in ("proc", "sys", "dev")]
    dirs += 1
    for f in fs:
        p = os.path.join(top, f)
        try:
            st = os.stat(p)
        except OSError:
            continue
        if stat.S_ISREG(st.st_mode) and os.access(p, os.R_OK):
            readable.append(p)
print(json.dumps({"n": len(readable), "dirs": dirs, "top": sorted(os.listdir("/")),
                  "outside_system": [p for p in readable if not p.startswith(%(system)r)]}))
'''


def test_filesystem_walk_finds_nothing_of_the_course_or_classmates(world):
    k = world["attacker"]
    system = ("/usr/", "/etc/", sys_prefix := os.path.realpath(os.sys.base_prefix) + "/")
    r = _run_json(k, _WALK % {"system": system})
    outside = r["outside_system"]
    root = str(cc.COURSE_ROOT)
    allowed = (f"{root}/.venv/", f"{cc.DATA_DIR}/", f"{sandbox.JAIL_LIB}/checker/",
               str(world["cwd"]) + "/", str(k.run_dir) + "/", "/tmp/home/")
    strays = [p for p in outside if not p.startswith(allowed)]
    assert strays == [], strays
    for p in outside:
        assert not p.startswith((str(world["other"]) + "/submitted", str(world["other"]) + "/autograded",
                                 str(world["other"]) + "/source", str(world["backup"]),
                                 f"{root}/solutions_lib", f"{root}/source", f"{root}/submitted",
                                 f"{root}/autograded", f"{root}/downloaded")), p
        assert "solutions_lib" not in p, p
    # its own folder is a private copy
    assert f"{world['cwd']}/data.txt" in outside
    assert set(r["top"]) <= {"usr", "etc", "bin", "sbin", "lib", "lib32", "lib64", "libx32",
                             "root", "work", "opt", "proc", "dev", "tmp", "home"} | {
        Path(sys_prefix).parts[1], Path(root).parts[1]}, r["top"]
    print(f"\njail: {r['n']} readable files in {r['dirs']} folders; outside /usr, /etc and "
          f"the Python prefix: {len(outside)}, e.g. {sorted(outside)[:3]}")


def test_process_list_is_the_jails_own(world):
    r = _run_json(world["attacker"], r'''
import json, os
ps = {}
for pid in sorted(int(p) for p in os.listdir("/proc") if p.isdigit()):
    try:
        ps[pid] = open(f"/proc/{pid}/cmdline", "rb").read().split(b"\0")[0].decode()
    except OSError:
        ps[pid] = "?"
print(json.dumps({"me": os.getpid(), "uid": os.getuid(), "ps": ps}))
''')
    assert r["me"] == 2 and r["uid"] == _UID0
    assert set(r["ps"]) == {"1", "2"}, r["ps"]
    assert "bwrap" in r["ps"]["1"] and "python" in r["ps"]["2"]


def test_other_kernels_are_out_of_reach(world):
    """TCP to every port of 127.0.0.1, the victim's IPC sockets and verifier: refused."""
    victim = world["victim"]
    conn = json.loads((victim.run_dir / "connection.json").read_text())
    assert conn["transport"] == "ipc"
    targets = [f"{conn['ip']}-{conn[k]}" for k in ("shell_port", "iopub_port", "stdin_port",
                                                   "control_port", "hb_port")]
    targets.append(victim.verifier.socket_path)
    assert all(os.path.exists(t) for t in targets)   # they are there, outside the jail
    r = _run_json(world["attacker"], r'''
import json, os, socket, time
import zmq
open_tcp = []
for port in range(1, 65536):
    s = socket.socket(); s.settimeout(0.05)
    try:
        if s.connect_ex(("127.0.0.1", port)) == 0 and s.getsockname()[1] != port:
            open_tcp.append(port)     # (a TCP self-connect to its own source port is no peer)
    finally:
        s.close()
unix = {}
for t in %(targets)r:
    s = socket.socket(socket.AF_UNIX)
    try:
        s.connect(t); unix[t] = "connected"
    except OSError as e:
        unix[t] = type(e).__name__
    finally:
        s.close()
ctx = zmq.Context.instance(); sub = ctx.socket(zmq.SUB); sub.setsockopt(zmq.SUBSCRIBE, b"")
sub.connect("ipc://%(iopub)s")
heard = []
t0 = time.time()
while time.time() - t0 < 2:
    if sub.poll(100):
        heard.append(sub.recv_multipart()[-1][:100].decode(errors="replace"))
tcp_table = [ln for ln in open("/proc/net/tcp").read().splitlines()[1:]]
print(json.dumps({"open_tcp": open_tcp, "unix": unix, "heard": heard, "tcp": tcp_table}))
''' % {"targets": targets, "iopub": targets[1]}, timeout=300)
    # meanwhile the victim keeps working (and broadcasting on its IOPub)
    assert victim.run("print(conv_output_size(5, 3))")[1].strip() == "3"
    # a network namespace of its own: whatever answers on 127.0.0.1 is the jail's own
    # kernel (ipykernel listens on one TCP port of its loopback), nobody else's
    own = {int(ln.split()[1].split(":")[1], 16) for ln in r["tcp"] if ln.split()[3] == "0A"}
    assert set(r["open_tcp"]) <= own, r
    assert all(int(ln.split()[7]) == _UID0 for ln in r["tcp"] if ln.split()[3] == "0A"), r["tcp"]
    assert set(r["unix"].values()) == {"FileNotFoundError"}, r["unix"]
    assert r["heard"] == []


def test_another_notebooks_name_is_refused_and_recorded(world):
    k = world["attacker"]
    status, text, errs = k.run(
        "from checker import check\n"
        "def f(*a, **k):\n    return None\n"
        "try:\n    check('conv_output_size', f)\n"
        "except AssertionError as e:\n    print('refused:', e)\n")
    assert status == "ok", errs
    assert "refused:" in text and "not graded in this notebook" in text, text
    assert len(text.strip().splitlines()) == 1      # one calm line
    refused = [v for v in k.verifier.verdicts if v.name == "conv_output_size"]
    assert refused and refused[-1].mistake == "not_in_notebook" and not refused[-1].passed
    # its own name is answered, at most 3 times
    code = "def flip(a):\n    import numpy as np\n    return np.flip(np.asarray(a)).copy()\n"
    assert k.run(code)[0] == "ok"
    outs = [k.run("try:\n    check('flip', flip); print('ok')\n"
                  "except AssertionError as e:\n    print('no', e)\n")[1] for _ in range(4)]
    assert [o.split()[0] for o in outs] == ["flip:", "flip:", "flip:", "no"], outs
    assert "already checked 3 times" in outs[-1]


def test_disk_is_capped_and_nothing_survives(tmp_path):
    cwd = tmp_path / "nb"
    cwd.mkdir()
    uid = _UID0 + 2
    with open_kernel(cwd, uid=uid, verifier=False, label="filler") as k:
        run_dir, scratch = str(k.run_dir), k.scratch
        r = _run_json(k, r'''
import json, os
out = {}
for place in ("/tmp", os.environ["HOME"], os.getcwd(), %(run)r):
    n, k = 0, 0
    try:
        while n < 2048:
            with open(os.path.join(place, f"fill{k}"), "wb") as fh:
                for _ in range(32):
                    fh.write(b"x" * (1 << 20)); n += 1
            k += 1
    except OSError as e:
        out[place] = [n, type(e).__name__]
    else:
        out[place] = [n, None]
print(json.dumps(out))
''' % {"run": run_dir}, timeout=300)
        assert all(err is not None for _, err in r.values()), r       # every place is capped
        assert r["/tmp"][0] + r["/tmp/home"][0] <= sandbox.DISK_MB + 1, r
        assert r[str(cwd)][0] <= sandbox.DISK_MB + 1, r
        assert r[run_dir][0] <= sandbox.RUN_MB + 1, r
        assert not any((cwd / f).exists() for f in ("fill0", "fill1")), "the host's folder was written"
    assert not scratch.exists()
    assert run_dir not in Path("/proc/mounts").read_text()
    deadline = time.monotonic() + 10        # the jail's processes die with its pid namespace
    while _alive(uid) and time.monotonic() < deadline:
        sandbox.reap()
        time.sleep(0.1)
    assert _alive(uid) == []
    left = [str(p) for p in Path("/tmp").glob("*") if _owned_by(p, uid)]
    assert left == [], left
    print(f"\ndisk fill: {r}")


def _alive(uid: int) -> list:
    """Processes of ``uid`` that are not zombies."""
    out = []
    for pid in sandbox.uid_processes(uid):
        try:
            if Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z":
                out.append(pid)
        except OSError:
            continue
    return out


def _owned_by(p: Path, uid: int) -> bool:
    try:
        return p.lstat().st_uid == uid
    except OSError:
        return False
