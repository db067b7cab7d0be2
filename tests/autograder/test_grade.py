"""autograder.grade: pre-validation and repair, honest grading, missing work, pre-flight."""
from __future__ import annotations

import copy
import io
import json

import nbformat
import pytest

from autograder import grade as G
from autograder import results as store
from tests.autograder.conftest import CORRECT_ANSWERS, FIXTURE_POINTS, student_notebook


def _gid(cell):
    return cell.get("metadata", {}).get("nbgrader", {}).get("grade_id")


@pytest.fixture
def release(released_copy):
    return released_copy, nbformat.read(str(released_copy.release_nb), as_version=4)


def test_release_questions(release):
    course, rel = release
    qs = G.release_questions(rel)
    assert {q: v["max_score"] for q, v in qs.items()} == FIXTURE_POINTS
    assert qs["answer_flip"]["manual"] and not qs["flip"]["manual"]


def test_prevalidate_clean_notebook_has_no_flags(release):
    course, rel = release
    nb = student_notebook(course.release_nb, CORRECT_ANSWERS)
    repaired, err, flags = G.prevalidate(nbformat.writes(nb), rel)
    assert err is None and flags == {}
    src = {_gid(c): c.source for c in repaired.cells if _gid(c)}
    assert src["flip"] == CORRECT_ANSWERS["flip"]
    assert src["test_flip"] == next(c.source for c in rel.cells if _gid(c) == "test_flip")


@pytest.mark.parametrize("text, why", [("{not json", "invalid notebook JSON"),
                                       ('{"cells": 3}', "invalid notebook JSON"),
                                       ("[]", "invalid notebook JSON")])
def test_prevalidate_invalid_json(release, text, why):
    _, rel = release
    nb, err, _ = G.prevalidate(text, rel)
    assert nb is None and err.startswith(why)


def test_prevalidate_other_assignment(release):
    _, rel = release
    other = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(
        "x = 1", metadata={"nbgrader": {"grade_id": "lstm_forward", "solution": True,
                                        "grade": False, "locked": False}})])
    nb, err, _ = G.prevalidate(nbformat.writes(other), rel)
    assert nb is None and "another assignment" in err


def test_prevalidate_repairs_tampering_and_keeps_extra_cells(release):
    course, rel = release
    nb = student_notebook(course.release_nb, CORRECT_ANSWERS)
    cells = nb.cells
    i = next(k for k, c in enumerate(cells) if _gid(c) == "test_flip")
    cells[i].source = "pass"                                     # edited test
    j = next(k for k, c in enumerate(cells) if _gid(c) == "test_conv_output_size")
    cells[j].metadata["nbgrader"]["points"] = 99                 # changed points
    cells.insert(i, nbformat.v4.new_code_cell("def helper():\n    return 1\n"))  # extra cell
    cells.append(copy.deepcopy(cells[j]))                        # duplicated test
    repaired, err, flags = G.prevalidate(nbformat.writes(nb), rel)
    assert err is None
    assert set(flags) == {"flip", "conv_output_size"}
    assert "edited" in flags["flip"] and "points" in flags["conv_output_size"]
    assert "duplicated" in flags["conv_output_size"]
    gids = [_gid(c) for c in repaired.cells]
    assert gids.count("test_conv_output_size") == 1
    rel_tests = {_gid(c): (c.source, c.metadata) for c in rel.cells if _gid(c)}
    for c in repaired.cells:
        if _gid(c) and _gid(c).startswith("test_"):
            assert (c.source, c.metadata) == rel_tests[_gid(c)]
    helper = [c for c in repaired.cells if "def helper" in c.source]
    assert len(helper) == 1
    # the extra cell stays after the graded cell it followed (the flip answer)
    k = repaired.cells.index(helper[0])
    assert _gid(repaired.cells[k - 1]) == "flip"


def test_prevalidate_deleted_test_cell_restored(release):
    course, rel = release
    nb = student_notebook(course.release_nb, CORRECT_ANSWERS)
    nb.cells = [c for c in nb.cells if _gid(c) != "test_flip"]
    repaired, err, flags = G.prevalidate(nbformat.writes(nb), rel)
    assert "deleted" in flags["flip"]
    assert [_gid(c) for c in repaired.cells] == [_gid(c) for c in rel.cells]


def test_progress_bar_reports_eta():
    buf = io.StringIO()
    bar = G.Progress(4, stream=buf)
    for _ in range(4):
        bar.update("alice/w01")
    out = buf.getvalue()
    assert "4/4" in out and "ETA" in out and out.endswith("\n")


def test_grade_honest_blank_partial_and_missing(released_copy):
    """Expected scores for a correct, a blank and a half-correct student; one missing."""
    course = released_copy
    course.submit("alice", CORRECT_ANSWERS, markdown={"answer_flip": "Because reversing twice."})
    course.submit("bob", {})
    course.submit("carol", {"flip": CORRECT_ANSWERS["flip"],
                            "conv_output_size": "def conv_output_size(n, f, p=0, s=1):\n"
                                                "    return n - f + 1\n"})
    res = G.grade([course.assignment], students=["alice", "bob", "carol", "dave"],
                  root=course.root, jobs=2, progress=False)
    by = {r["student"]: r for r in res}
    assert set(by) == {"alice", "bob", "carol", "dave"}
    q = {s: {n: (v["score"], v["status"]) for n, v in r["questions"].items()} for s, r in by.items()}
    assert q["alice"] == {"flip": (1.0, "graded"), "conv_output_size": (2.0, "graded"),
                          "answer_flip": (0.0, "pending")}
    assert q["bob"]["flip"] == (0.0, "graded") and q["bob"]["conv_output_size"] == (0.0, "graded")
    assert q["carol"]["flip"] == (1.0, "graded") and q["carol"]["conv_output_size"][0] == 0.0
    assert by["dave"]["status"] == "missing" and by["dave"]["reason"]
    assert all(v["status"] == "missing" for v in by["dave"]["questions"].values())
    # the store holds the same results
    for s in by:
        assert store.read_result(course.assignment, s, course.root) == by[s]
    # nbgrader's own gradebook agrees for the graded students
    from nbgrader.api import Gradebook

    with Gradebook(course.db_url) as gb:
        assert gb.find_submission(course.assignment, "alice").score == 3.0


def test_grade_unknown_assignment(released_copy):
    with pytest.raises(ValueError, match="no release notebook"):
        G.grade(["w99_nothing"], root=released_copy.root, progress=False)


def test_preflight_fails_loudly_without_solutions_lib(monkeypatch, tmp_path):
    """A kernel that cannot import solutions_lib.grading aborts grading with a clear error."""
    import sys

    def broken_spec(data_dir=None):
        d = tmp_path / "jupyter" / "kernels" / G.sandbox.KERNEL_NAME
        d.mkdir(parents=True, exist_ok=True)
        (d / "kernel.json").write_text(json.dumps({
            "argv": [sys.executable, "-I", "-m", "ipykernel_launcher", "-f", "{connection_file}"],
            "display_name": "broken", "language": "python"}))
        monkeypatch.setenv("JUPYTER_PATH", str(tmp_path / "jupyter"))
        return tmp_path / "jupyter"

    monkeypatch.setattr(G.sandbox, "install_kernel_spec", broken_spec)
    with pytest.raises(G.PreflightError, match="solutions_lib.grading"):
        G.preflight()


def test_preflight_passes():
    assert "solutions_lib" in G.preflight()


def _verdict(name, passed, mistake=None, message="msg"):
    from collections import namedtuple

    try:
        from solutions_lib.grading.verdict import Verdict
    except ImportError:
        Verdict = namedtuple("Verdict", "name passed mistake message n_cases")
    return Verdict(name, passed, mistake, message, 5)


@pytest.mark.parametrize("cell_score, verdicts, status, score", [
    (1.0, [("flip", True)], "graded", 1.0),              # honest pass
    (1.0, [], "flagged", 0.0),                           # passed without reaching the verifier
    (1.0, [("flip", False)], "flagged", 0.0),            # kernel hid a failing verdict
    (0.0, [("flip", False)], "graded", 0.0),             # honest failure, mistake recorded
    (0.0, [], "graded", 0.0),                            # e.g. NameError before check()
])
def test_apply_verdicts(cell_score, verdicts, status, score):
    qs = {"flip": dict(score=cell_score, max_score=1.0, status="graded", mistake=None,
                       message="kernel said"),
          "answer_flip": dict(score=0.0, max_score=1.0, status="pending", mistake=None,
                              message=None)}
    vs = [_verdict(n, p, mistake=None if p else "not_flipped",
                   message="ok" if p else "not flipped") for n, p in verdicts]
    G._apply_verdicts(qs, vs)
    assert qs["flip"]["status"] == status and qs["flip"]["score"] == score
    assert qs["answer_flip"]["status"] == "pending"
    if verdicts and not verdicts[0][1] and status == "graded":
        assert qs["flip"]["mistake"] == "not_flipped"
    if status == "flagged":
        assert "tampering" in qs["flip"]["message"]


def test_scan_signals():
    assert G._scan("def flip(a):\n    return a[::-1]\n") == []
    for code in ("from solutions_lib import flip", "import sys\nsys.modules['x'] = 1",
                 "import os\nos._exit(0)", "np.testing.assert_allclose = lambda *a: None"):
        assert G._scan(code), code


def test_reference_failure_is_errored_not_zero():
    """A verifier that cannot import the reference must not look like the student's 0."""
    qs = {"flip": dict(score=0.0, max_score=1.0, status="graded", mistake=None, message=None)}
    msg = "flip: no valid results from the kernel (ModuleNotFoundError: No module named " \
          "'solutions_lib.convolution')"
    G._apply_verdicts(qs, [_verdict("flip", False, message=msg)])
    assert qs["flip"]["status"] == "errored" and "grader error" in qs["flip"]["message"]


def test_failure_line_names_the_cause_not_nbgraders_summary():
    log = ("[AutogradeApp] ERROR | There was an error processing assignment\n"
           "Traceback (most recent call last):\n  File \"x\", line 1, in <module>\n"
           "RuntimeError: Kernel didn't respond in 60 seconds\n"
           "nbgrader.converters.base.NbGraderException: Please see the the above traceback for "
           "details on the specific errors on the above failures.\n")
    assert G._failure_line(log) == "RuntimeError: Kernel didn't respond in 60 seconds"
    assert G._failure_line("something odd happened\n") == "something odd happened"
    assert G._failure_line("") == "unknown"
