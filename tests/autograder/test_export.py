"""``autograder.export`` (and the results store it reads): statuses never look like honest zeros."""
from __future__ import annotations

import csv
import subprocess
import sys

import pytest

from autograder import results as rs
from autograder.export import COLUMNS, PENDING_REASON, export, read_csv, rows
from tests.autograder.conftest import FIXTURE_ASSIGNMENT, ROOT

A = FIXTURE_ASSIGNMENT


def _q(score, mx, status="graded", mistake=None, message=None):
    return rs.question(score, mx, status, mistake, message)


def _store(course):
    """Five students covering every status; returns their expected per-question rows."""
    root = course.root
    rs.write_result(rs.new_result("alice", A, "graded", questions={
        "flip": _q(1, 1), "conv_output_size": _q(2, 2), "answer_flip": _q(0, 1, "pending")}), root)
    rs.write_result(rs.new_result("bob", A, "errored", reason="invalid JSON in the notebook",
                                  questions={}), root)
    rs.write_result(rs.new_result("carol", A, "flagged", reason="test cell test_flip edited",
                                  questions={
        "flip": _q(0, 1, "flagged", message="test cell test_flip was changed"),
        "conv_output_size": _q(0, 2, "graded", mistake="no_stride_floor",
                               message="conv_output_size(7, 3, 0, 2) gave 2.5"),
        "answer_flip": _q(0, 1, "pending")}), root)
    rs.write_result(rs.new_result("erin", A, "graded", questions={
        "flip": _q(0, 1, "errored", message="cell timed out after 60 s"),
        "conv_output_size": _q(2, 2), "answer_flip": _q(0, 1, "pending")}), root)
    # dave submitted nothing but is enrolled (a folder in submitted/ for another week)
    (root / "submitted" / "dave" / "w99_other").mkdir(parents=True)


def _by(rows_):
    return {(r["student"], r["question"]): r for r in rows_}


def test_results_store_roundtrip_and_validation(tmp_path):
    r = rs.new_result("s1", A, "graded", questions={"flip": _q(1, 1)}, seconds=1.5)
    path = rs.write_result(r, tmp_path)
    assert path == tmp_path.resolve() / "grades" / A / "s1.json"
    assert rs.read_result(A, "s1", tmp_path) == r
    assert not list(path.parent.glob(".*tmp"))  # no temporary file left
    assert rs.totals(r) == (1.0, 1.0)
    with pytest.raises(ValueError, match="needs a reason"):
        rs.new_result("s1", A, "errored")
    with pytest.raises(ValueError, match="status"):
        rs.new_result("s1", A, "great")
    with pytest.raises(ValueError, match="outside"):
        rs.question(3, 2)
    with pytest.raises(ValueError, match="invalid student"):
        rs.result_path(A, "../evil", tmp_path)
    assert rs.read_result(A, "nobody", tmp_path) is None


def test_export_statuses(released_copy):
    course = released_copy
    _store(course)
    got = _by(rows(None, course.root))
    assert got[("alice", "flip")]["status"] == "graded" and got[("alice", "flip")]["score"] == 1
    assert got[("alice", "answer_flip")]["status"] == "pending"
    assert got[("alice", "answer_flip")]["reason"] == PENDING_REASON
    for q in ("flip", "conv_output_size", "answer_flip"):
        assert got[("bob", q)]["status"] == "errored"
        assert got[("bob", q)]["reason"] == "invalid JSON in the notebook"
        assert got[("dave", q)]["status"] == "missing" and got[("dave", q)]["score"] == 0
    assert got[("carol", "flip")]["status"] == "flagged"
    assert "test_flip" in got[("carol", "flip")]["reason"]
    assert got[("carol", "conv_output_size")]["mistake"] == "no_stride_floor"
    assert got[("carol", "conv_output_size")]["status"] == "graded"
    assert got[("carol", "answer_flip")]["status"] == "pending"
    assert got[("erin", "flip")]["status"] == "errored"
    assert "timed out" in got[("erin", "flip")]["reason"]
    assert {r["max_score"] for r in got.values() if r["question"] == "conv_output_size"} == {2.0}
    assert len(got) == 5 * 3


def test_manual_score_from_gradebook_ends_pending(released_copy):
    from nbgrader.api import Gradebook

    course = released_copy
    _store(course)
    with Gradebook(course.db_url, "nnmath") as gb:
        gb.update_or_create_student("alice")
        gb.add_submission(A, "alice")
        grade = gb.find_grade("answer_flip", A, A, "alice")
        grade.manual_score = 0.5
        gb.db.commit()
    got = _by(rows(None, course.root))
    assert got[("alice", "answer_flip")]["status"] == "graded"
    assert got[("alice", "answer_flip")]["score"] == 0.5
    assert got[("erin", "answer_flip")]["status"] == "pending"


def test_export_csv_and_cli(released_copy):
    course = released_copy
    _store(course)
    path = export(None, course.root)
    assert path == course.root / "exports" / "grades.csv"
    with open(path, newline="") as f:
        assert next(csv.reader(f)) == COLUMNS
    data = read_csv(path)
    assert _by(data) == _by(rows(None, course.root))
    out = subprocess.run([sys.executable, "-m", "autograder", "export", "--root", str(course.root),
                          "--out", str(course.root / "x.csv")], capture_output=True, text=True,
                         cwd=ROOT)
    assert out.returncode == 0, out.stderr
    assert read_csv(course.root / "x.csv") == data


def test_summary_table():
    r = rs.new_result("s1", A, "flagged", reason="imported the reference",
                      questions={"flip": _q(0, 1, "flagged"), "conv_output_size": _q(2, 2)})
    table = rs.format_table(rs.summary_rows([r]), ["student", "assignment", "score", "status"])
    assert "2/3" in table and "flagged: imported the reference" in table
