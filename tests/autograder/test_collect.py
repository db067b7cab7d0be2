"""``autograder.collect``: LMS zip through nbgrader zip_collect (the exchange path is covered
end to end in ``test_exchange_e2e.py``)."""
from __future__ import annotations

import nbformat
import pytest

from autograder.collect import collect_zip, make_lms_zip, submitted_students
from tests.autograder.conftest import CORRECT_ANSWERS, FIXTURE_ASSIGNMENT, student_notebook


def test_zip_collect_files_every_student(released_copy, tmp_path):
    course = released_copy
    good = nbformat.writes(student_notebook(course.release_nb, CORRECT_ANSWERS))
    blank = course.release_nb.read_text()
    zpath = make_lms_zip({
        f"alice_{FIXTURE_ASSIGNMENT}.ipynb": good,
        f"bob_{FIXTURE_ASSIGNMENT}.ipynb": blank,
        f"carol_{FIXTURE_ASSIGNMENT}.ipynb": "{ this is not json",
        "dave_w01_convolution.ipynb": good,  # wrong assignment: still filed, graded as an error
        "notes.txt": "not a submission",
    }, tmp_path / "lms.zip")
    done = collect_zip(FIXTURE_ASSIGNMENT, zpath, root=course.root)
    assert done == {FIXTURE_ASSIGNMENT: ["alice", "bob", "carol", "dave"]}
    sub = course.root / "submitted"
    assert nbformat.read(str(sub / "alice" / FIXTURE_ASSIGNMENT / f"{FIXTURE_ASSIGNMENT}.ipynb"),
                         as_version=4).cells == nbformat.reads(good, as_version=4).cells
    assert (sub / "carol" / FIXTURE_ASSIGNMENT / f"{FIXTURE_ASSIGNMENT}.ipynb").read_text() \
        == "{ this is not json"
    assert (sub / "dave" / FIXTURE_ASSIGNMENT / "w01_convolution.ipynb").is_file()
    assert not (sub / "notes").exists()


def test_zip_collect_rerun_replaces(released_copy, tmp_path):
    course = released_copy
    first = make_lms_zip({f"alice_{FIXTURE_ASSIGNMENT}.ipynb": course.release_nb.read_text()},
                         tmp_path / "a.zip")
    collect_zip(FIXTURE_ASSIGNMENT, first, root=course.root)
    good = nbformat.writes(student_notebook(course.release_nb, CORRECT_ANSWERS))
    second = make_lms_zip({f"alice_{FIXTURE_ASSIGNMENT}.ipynb": good}, tmp_path / "b.zip")
    collect_zip(FIXTURE_ASSIGNMENT, second, root=course.root)
    path = course.root / "submitted" / "alice" / FIXTURE_ASSIGNMENT / f"{FIXTURE_ASSIGNMENT}.ipynb"
    assert "np.asarray(a)" in path.read_text()
    assert submitted_students(FIXTURE_ASSIGNMENT, course.root) == ["alice"]


def test_zip_collect_rejects_non_zip(released_copy, tmp_path):
    bad = tmp_path / "x.zip"
    bad.write_text("not a zip")
    with pytest.raises(ValueError, match="not a zip"):
        collect_zip(FIXTURE_ASSIGNMENT, bad, root=released_copy.root)


def test_cli_collect_zip(released_copy, tmp_path):
    import subprocess
    import sys

    from tests.autograder.conftest import ROOT

    course = released_copy
    zpath = make_lms_zip({f"zed_{FIXTURE_ASSIGNMENT}.ipynb": course.release_nb.read_text()},
                         tmp_path / "lms.zip")
    out = subprocess.run([sys.executable, "-m", "autograder", "collect", "--root",
                          str(course.root), "--zip", str(zpath), FIXTURE_ASSIGNMENT],
                         capture_output=True, text=True, cwd=ROOT)
    assert out.returncode == 0, out.stderr
    assert "collected 1 submission(s): zed" in out.stdout
    assert "ZipCollectApp" not in out.stderr + out.stdout, "nbgrader's per-file log reached the terminal"
    assert submitted_students(FIXTURE_ASSIGNMENT, course.root) == ["zed"]
