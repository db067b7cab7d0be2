"""Parallel grading equals sequential grading; a killed run resumes without losing grades."""
from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time

import pytest

from autograder import grade as G
from autograder import results as store
from tests.autograder.conftest import CORRECT_ANSWERS

WRONG_CONV = "def conv_output_size(n, f, p=0, s=1):\n    return n - f + 1\n"
WRONG_FLIP = "def flip(a):\n    return a\n"


def _class(course, n=6):
    variants = [CORRECT_ANSWERS, {}, {"flip": CORRECT_ANSWERS["flip"], "conv_output_size": WRONG_CONV},
                {"flip": WRONG_FLIP, "conv_output_size": CORRECT_ANSWERS["conv_output_size"]}]
    students = [f"s{i:02d}" for i in range(n)]
    for i, s in enumerate(students):
        course.submit(s, variants[i % len(variants)])
    return students


def _scores(results):
    return {(r["student"], q): (v["score"], v["status"])
            for r in results for q, v in r["questions"].items()}


def test_parallel_equals_sequential(released_copy, tmp_path):
    course = released_copy
    students = _class(course)
    twin = tmp_path / "twin"
    shutil.copytree(course.root, twin)
    seq = G.grade([course.assignment], root=course.root, jobs=1, progress=False)
    par = G.grade([course.assignment], root=twin, jobs=2, progress=False)
    assert len(seq) == len(par) == len(students)
    assert _scores(seq) == _scores(par)
    assert {r["status"] for r in par} == {"graded"}
    # expected totals per variant
    totals = {r["student"]: store.totals(r)[0] for r in par}
    assert [totals[s] for s in students] == [3.0, 0.0, 1.0, 2.0, 3.0, 0.0]


@pytest.mark.parametrize("sig", [signal.SIGKILL, signal.SIGINT])
def test_killed_run_resumes(released_copy, sig):
    """Kill a grading run after its first results; re-running grades only what is missing."""
    course = released_copy
    students = _class(course, 6)
    code = ("import sys; from autograder.grade import grade; "
            "grade([sys.argv[1]], root=sys.argv[2], jobs=1, progress=False)")
    proc = subprocess.Popen([sys.executable, "-c", code, course.assignment, str(course.root)],
                            start_new_session=True, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)
    folder = store.grades_dir(course.root) / course.assignment
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        if folder.is_dir() and len(list(folder.glob("*.json"))) >= 2:
            break
        if proc.poll() is not None:
            break
        time.sleep(0.2)
    os.killpg(proc.pid, sig)
    try:
        proc.wait(30)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()
    time.sleep(1)
    done_before = {p.stem: p.read_text() for p in folder.glob("*.json")}
    assert 1 <= len(done_before) < len(students), "the run was not interrupted midway"
    for p in folder.glob("*.json"):        # every file left behind is complete
        json.loads(p.read_text())
    assert not list(folder.glob(".*.tmp")) or sig == signal.SIGKILL
    graded = []
    orig = G.grade_task

    def spy(student, aid, root, worker=0):
        graded.append(student)
        return orig(student, aid, root, worker)

    # count the tasks the re-run does (tasks are chosen in the parent, before the workers)
    missing = [s for s in students if s not in done_before]
    res = G.grade([course.assignment], root=course.root, jobs=2, progress=False)
    assert sorted(r["student"] for r in res) == students
    for s, text in done_before.items():     # finished grades are kept as they were
        assert (folder / f"{s}.json").read_text() == text
    new = [r for r in res if r["student"] in missing]
    assert all(r["status"] == "graded" for r in new), [(r["student"], r["status"], r["reason"])
                                                       for r in new]
    totals = {r["student"]: store.totals(r)[0] for r in res}
    assert [totals[s] for s in students] == [3.0, 0.0, 1.0, 2.0, 3.0, 0.0]
