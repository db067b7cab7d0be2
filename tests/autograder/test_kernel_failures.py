"""Kernels that die: at start-up (graded again with a new kernel), persistently (errored
with the kernel's own last words), or in a student's cell (that question only).

The grader runs in this process (``grade_task``), so the failures are injected for real:
a scratch folder that does not exist, a memory cap ipykernel cannot start under, a
segmentation fault in an answer cell.
"""
from __future__ import annotations

import os

import pytest

from autograder import grade as G
from autograder import sandbox
from autograder.course import tools_on_path
from tests.autograder.conftest import CORRECT_ANSWERS


@pytest.fixture
def grader(monkeypatch, tmp_path, released_copy):
    """``grade_task`` in this process (as a worker runs it), recording every kernel run."""
    for var in ("JUPYTER_PATH", "PATH", "PYTHONPATH"):
        monkeypatch.setenv(var, os.environ.get(var, ""))
    sandbox.install_kernel_spec(tmp_path / "jupyter")
    tools_on_path()
    runs, scratches = [], []
    real_run, real_scratch = G._run_nbgrader, sandbox.new_scratch

    def run(*a, **kw):
        out = real_run(*a, **kw)
        runs.append(out)
        return out

    def scratch():
        path = real_scratch()
        scratches.append(path)
        return path

    monkeypatch.setattr(G, "_run_nbgrader", run)
    monkeypatch.setattr(sandbox, "new_scratch", scratch)

    def grade_one(student):
        return G.grade_task(student, released_copy.assignment, released_copy.root)

    grade_one.course, grade_one.runs, grade_one.scratches = released_copy, runs, scratches
    return grade_one


def test_kernel_dying_at_start_up_is_replaced(grader, monkeypatch, tmp_path):
    """The first kernel cannot start (its scratch folder is gone): the task is not lost."""
    grader.course.submit("alice", CORRECT_ANSWERS)
    real = sandbox.new_scratch
    calls = []

    def first_one_broken():
        calls.append(1)
        return tmp_path / "no-such-folder" if len(calls) == 1 else real()

    monkeypatch.setattr(sandbox, "new_scratch", first_one_broken)
    r = grader("alice")
    assert len(grader.runs) == 2
    assert not grader.runs[0].success and not grader.runs[0].started
    assert "before running any cell" in grader.runs[0].why
    assert r["status"] == "graded", r
    assert {q: v["score"] for q, v in r["questions"].items()} == {
        "flip": 1.0, "conv_output_size": 2.0, "answer_flip": 0.0}


def test_kernel_that_never_starts_errors_with_its_log(grader, monkeypatch):
    """A kernel that cannot start under the memory cap: tried 1 + MAX_KERNEL_RESTARTS times,
    then every question errored, and the reason quotes the kernel's own error."""
    grader.course.submit("bob", CORRECT_ANSWERS)
    monkeypatch.setenv("NNMATH_KERNEL_MEMORY_MB", "40")   # read by the launcher process
    r = grader("bob")
    assert len(grader.runs) == 1 + G.MAX_KERNEL_RESTARTS
    assert r["status"] == "errored"
    assert "the grading kernel died before running any cell" in r["reason"]
    # the kernel's own words: Python's MemoryError, or the OS refusing a mapping while importing
    assert "MemoryError" in r["reason"] or "Cannot allocate memory" in r["reason"], r["reason"]
    assert all(q["status"] == "errored" and q["score"] == 0.0
               for n, q in r["questions"].items()), r
    assert grader.scratches and not any(p.exists() for p in grader.scratches)


def test_crash_in_an_answer_cell_costs_that_question_only(grader):
    """A segmentation fault in the student's flip: flip errored with the crash named, the
    other question graded in full, no kernel restarted for nothing, nothing left behind."""
    crash = "import os, signal\nos.kill(os.getpid(), signal.SIGSEGV)\n"
    grader.course.submit("carol", {"flip": crash + CORRECT_ANSWERS["flip"],
                                   "conv_output_size": CORRECT_ANSWERS["conv_output_size"]})
    r = grader("carol")
    assert len(grader.runs) == 2      # the crash, then the notebook with flip's cell removed
    flip, other = r["questions"]["flip"], r["questions"]["conv_output_size"]
    assert flip["status"] == "errored" and flip["score"] == 0.0
    assert "Fatal Python error: Segmentation fault" in flip["message"], flip
    assert other["status"] == "graded" and other["score"] == 2.0
    assert grader.scratches and not any(p.exists() for p in grader.scratches)


def test_run_failing_before_any_cell_is_repeated_then_names_the_cause(grader, monkeypatch, tmp_path):
    """nbgrader cannot even start the kernel (its spec is gone): not the student's doing, so
    repeated; the reason is nbgrader's real error, not its generic summary line."""
    grader.course.submit("dave", CORRECT_ANSWERS)
    empty = tmp_path / "no-kernels"
    empty.mkdir()
    monkeypatch.setenv("JUPYTER_PATH", str(empty))
    monkeypatch.setenv("JUPYTER_DATA_DIR", str(empty))
    r = grader("dave")
    assert len(grader.runs) == 1 + G.MAX_KERNEL_RESTARTS
    assert all(not o.started and o.failure == "nbgrader" for o in grader.runs)
    assert r["status"] == "errored"
    assert "NoSuchKernel" in r["reason"], r["reason"]
    assert "Please see the the above traceback" not in r["reason"]
