"""``autograder.release``: nbgrader generation plus the release checks, on the fixture course."""
from __future__ import annotations

import json
import subprocess
import sys

import nbformat
import pytest

from autograder import release
from autograder.release import FORBIDDEN_TEXT, ReleaseError, check_release, generate
from tests.autograder.conftest import FIXTURE_ASSIGNMENT, ROOT


def _cli(*args, cwd=None):
    return subprocess.run([sys.executable, "-m", "autograder", *args], capture_output=True,
                          text=True, cwd=cwd or ROOT)


def test_generate_makes_a_clean_release(released_copy):
    course = released_copy
    assert check_release(None, course.root) == []
    text = course.release_nb.read_text()
    for bad in FORBIDDEN_TEXT + ("check(", "return (n + 2 * p - f)", "slice(None, None, -1)"):
        assert bad not in text
    nb = nbformat.read(str(course.release_nb), as_version=4)
    ids = [c.metadata.get("nbgrader", {}).get("grade_id") for c in nb.cells]
    assert {"flip", "test_flip", "conv_output_size", "test_conv_output_size", "answer_flip"} <= set(ids)
    # visible tests stay, hidden ones go
    test_cell = nb.cells[ids.index("test_flip")]
    assert "assert flip(" in test_cell.source


def test_generate_records_assignment_in_gradebook(released_copy):
    from nbgrader.api import Gradebook

    with Gradebook(released_copy.db_url, "nnmath") as gb:
        assert gb.find_assignment(FIXTURE_ASSIGNMENT).name == FIXTURE_ASSIGNMENT


def test_due_date_from_course_config(course, monkeypatch):
    from nbgrader.api import Gradebook

    import course_config as cc

    monkeypatch.setitem(cc.DUE_DATES, FIXTURE_ASSIGNMENT, "2027-01-02T03:04:00")
    generate([FIXTURE_ASSIGNMENT], root=course.root)
    with Gradebook(course.db_url, "nnmath") as gb:
        assert str(gb.find_assignment(FIXTURE_ASSIGNMENT).duedate).startswith("2027-01-02 03:04")


def _mutate(course, fn):
    nb = json.loads(course.release_nb.read_text())
    fn(nb)
    course.release_nb.write_text(json.dumps(nb))


def _cell(nb, gid):
    return next(c for c in nb["cells"] if c["metadata"].get("nbgrader", {}).get("grade_id") == gid)


@pytest.mark.parametrize("mutation, expected", [
    (lambda nb: _cell(nb, "imports").update(outputs=[{"output_type": "stream", "name": "stdout",
                                                       "text": "hi"}]), "has outputs"),
    (lambda nb: _cell(nb, "imports").update(execution_count=3), "execution count"),
    (lambda nb: _cell(nb, "test_flip")["metadata"]["nbgrader"].update(locked=False),
     "test cell but not locked"),
    (lambda nb: _cell(nb, "test_flip")["metadata"].update(editable=True),
     "locked but editable"),
    (lambda nb: _cell(nb, "test_flip")["metadata"]["nbgrader"].pop("checksum"), "no checksum"),
    (lambda nb: _cell(nb, "flip")["metadata"]["nbgrader"].update(locked=True),
     "solution cell but locked"),
    (lambda nb: _cell(nb, "flip").update(source="### BEGIN SOLUTION\nx = 1\n"), "BEGIN SOLUTION"),
    (lambda nb: _cell(nb, "test_flip").update(source="### BEGIN HIDDEN TESTS\n"),
     "BEGIN HIDDEN TESTS"),
    (lambda nb: nb["cells"].append(nbformat.v4.new_markdown_cell("see solutions_lib")),
     "solutions_lib"),
])
def test_check_release_catches_each_violation(released_copy, mutation, expected):
    _mutate(released_copy, mutation)
    violations = check_release(None, released_copy.root)
    assert any(expected in v for v in violations), violations


def test_check_release_catches_invalid_json_and_leaks_in_other_files(released_copy):
    folder = released_copy.release_nb.parent
    (folder / "helper.py").write_text("from solutions_lib import flip\n")
    (folder / "broken.ipynb").write_text("{not json")
    violations = check_release(None, released_copy.root)
    assert any("helper.py" in v and "solutions_lib" in v for v in violations)
    assert any("broken.ipynb" in v and "not valid JSON" in v for v in violations)


def test_points_must_agree_with_course_config(released_copy, monkeypatch):
    import course_config as cc

    monkeypatch.setitem(cc.POINTS, FIXTURE_ASSIGNMENT, dict(released_copy.points))
    assert check_release(None, released_copy.root) == []
    monkeypatch.setitem(cc.POINTS, FIXTURE_ASSIGNMENT, {**released_copy.points, "flip": 5})
    assert any("disagree with course_config.POINTS" in v
               for v in check_release(None, released_copy.root))


def test_regenerate_follows_source_changes(released_copy):
    course = released_copy
    nb = nbformat.read(str(course.source_nb), as_version=4)
    nb.cells[0].source = "# Fixture week, second edition"
    nbformat.write(nb, str(course.source_nb))
    generate(None, root=course.root)  # forced: nbgrader would otherwise skip silently
    assert "second edition" in course.release_nb.read_text()


def test_generate_fails_on_a_leaking_source(course):
    nb = nbformat.read(str(course.source_nb), as_version=4)
    nb.cells.append(nbformat.v4.new_code_cell("import solutions_lib  # oops, visible"))
    nbformat.write(nb, str(course.source_nb))
    with pytest.raises(ReleaseError, match="solutions_lib"):
        generate(None, root=course.root)


def test_cli_generate_exit_codes(course):
    ok = _cli("generate", "--root", str(course.root))
    assert ok.returncode == 0, ok.stderr
    assert FIXTURE_ASSIGNMENT in ok.stdout
    nb = nbformat.read(str(course.source_nb), as_version=4)
    nb.cells.append(nbformat.v4.new_markdown_cell("Hint: peek at solutions_lib."))
    nbformat.write(nb, str(course.source_nb))
    bad = _cli("generate", "--root", str(course.root))
    assert bad.returncode == 1
    assert "FAILED" in bad.stderr and "solutions_lib" in bad.stderr
    unknown = _cli("generate", "--root", str(course.root), "w99_nothing")
    assert unknown.returncode == 1 and "unknown assignment" in unknown.stderr


def test_resolve_assignments(course):
    assert release.resolve_assignments(None, course.root) == [FIXTURE_ASSIGNMENT]
    assert release.resolve_assignments("all", course.root) == [FIXTURE_ASSIGNMENT]
    with pytest.raises(ValueError, match="unknown assignment"):
        release.resolve_assignments(["nope"], course.root)


@pytest.mark.parametrize("command", ["generate", "collect", "grade", "feedback", "export",
                                     "report", "demo"])
def test_every_command_has_help(command):
    out = _cli(command, "--help")
    assert out.returncode == 0 and "--root" in out.stdout
