"""``autograder.feedback``: the student's code, scores and messages — no hidden tests, no reference."""
from __future__ import annotations

import nbformat
import pytest

from autograder import results as rs
from autograder.feedback import FeedbackLeak, feedback, leaks, render_html, sanitize_text
from autograder.release import nbgrader_api
from tests.autograder.conftest import CORRECT_ANSWERS, FIXTURE_ASSIGNMENT

A = FIXTURE_ASSIGNMENT
HOSTILE_FLIP = ("import solutions_lib\n"
                "from solutions_lib import flip as _ref  # cheat\n"
                "def flip(a):\n    return _ref(a)  # STUDENT_MARKER\n")


def test_sanitize_text():
    text = ("x = 1\n### BEGIN HIDDEN TESTS\nfrom checker import check\n"
            "check(\"flip\", flip)\n### END HIDDEN TESTS\ny = 2\n"
            "### BEGIN SOLUTION\nsecret = 3\n### END SOLUTION\nz = solutions_lib.flip\n"
            "check('flip', flip)\n")
    out = sanitize_text(text)
    assert out == "x = 1\ny = 2"
    assert leaks(out) == []
    assert leaks("check(&quot;flip&quot;, flip)") == ["check("]
    assert sanitize_text(None) == ""


def _grade_with_nbgrader(course, student):
    """Real nbgrader autograde: restores the hidden tests in autograded/ (what leaks by default)."""
    api = nbgrader_api(course.root)
    api.autograde(A, student, force=True, create=True)
    return course.root / "autograded" / student / A / f"{A}.ipynb"


def test_feedback_shows_code_scores_messages_and_no_hidden_tests(released_copy):
    course = released_copy
    answers = dict(CORRECT_ANSWERS, flip=HOSTILE_FLIP)
    course.submit("alice", answers, markdown={"answer_flip": "Reversing twice is the identity."})
    autograded = _grade_with_nbgrader(course, "alice")
    assert "BEGIN HIDDEN TESTS" in autograded.read_text()  # nbgrader put them back
    rs.write_result(rs.new_result("alice", A, "flagged", reason="imported solutions_lib", questions={
        "flip": rs.question(0, 1, "flagged",
                            message="flip: imported the reference (solutions_lib) — flagged"),
        "conv_output_size": rs.question(1, 2, mistake="no_stride_floor",
                                        message="conv_output_size(7, 3, s=2): expected 3, got 3.0"),
        "answer_flip": rs.question(0, 1, "pending")}), course.root)
    paths = feedback([A], root=course.root)
    assert paths == [course.root / "feedback" / "alice" / A / f"{A}.html"]
    page = paths[0].read_text()
    assert "STUDENT_MARKER" in page                         # their code
    assert "Reversing twice is the identity." in page       # their answer
    assert "1 / 2" in page and "no_stride_floor" in page    # score and mistake
    assert "expected 3, got 3.0" in page                    # checker message
    assert "assert flip(np.array([1, 2, 3]))" in page      # visible test stays
    assert leaks(page) == []
    for bad in ("BEGIN HIDDEN", "solutions_lib", "check(", "slice(None, None, -1)"):
        assert bad not in page
    # nbgrader's own files are in place for release/fetch, and nothing there leaks either
    folder = course.root / "feedback" / "alice" / A
    assert (folder / "timestamp.txt").exists()
    for f in folder.rglob("*"):
        if f.is_file():
            assert leaks(f.read_text(errors="replace")) == [], f


def test_feedback_for_unreadable_notebook_and_missing_cells(released_copy):
    course = released_copy
    folder = course.root / "submitted" / "bob" / A
    folder.mkdir(parents=True)
    (folder / f"{A}.ipynb").write_text("{ not json")
    rs.write_result(rs.new_result("bob", A, "errored", reason="invalid JSON", questions={
        "flip": rs.question(0, 1, "errored", message="invalid JSON")}), course.root)
    page = render_html("bob", A, A, course.root)
    assert "could not be read" in page and "invalid JSON" in page and "flip" in page
    nb = nbformat.read(str(course.release_nb), as_version=4)
    nb.cells = [c for c in nb.cells if c.metadata.get("nbgrader", {}).get("grade_id") != "test_flip"]
    nbformat.write(nb, str(folder / f"{A}.ipynb"))
    page = render_html("bob", A, A, course.root)
    assert "flip" in page and leaks(page) == []


def test_unsanitizable_message_is_refused(released_copy):
    course = released_copy
    course.submit("carl", CORRECT_ANSWERS)
    rs.write_result(rs.new_result("carl", A, "graded", questions={
        "flip": rs.question(0, 1, message="raw: BEGIN SOLUTION leaked")}), course.root)
    with pytest.raises(FeedbackLeak):
        render_html("carl", A, A, course.root)
