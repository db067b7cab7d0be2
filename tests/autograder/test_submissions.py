"""``autograder.submissions``: the sample and hostile submission builders."""
from __future__ import annotations

import json

import nbformat
import pytest

from autograder import submissions as sb
from tests.autograder.conftest import FIXTURE_ASSIGNMENT as A


def _cells(text):
    nb = nbformat.reads(text, as_version=4)
    return {c.metadata.get("nbgrader", {}).get("grade_id"): c for c in nb.cells}


def test_reference_answers_strip_markers(released_copy):
    ref = sb.reference_answers(released_copy.source_nb)
    assert set(ref) == {"flip", "conv_output_size", "answer_flip"}
    assert "BEGIN SOLUTION" not in ref["flip"] and "slice(None, None, -1)" in ref["flip"]
    assert ref["flip"].startswith("def flip(a):\n    a = np.asarray(a)")
    assert sb.graded_names(released_copy.release_nb) == ["flip", "conv_output_size"]


def test_reference_and_blank(released_copy):
    c = released_copy
    ref = sb.reference_submission("r", c.release_nb, c.source_nb)
    cells = _cells(ref.text)
    assert "slice(None, None, -1)" in cells["flip"].source
    assert "BEGIN HIDDEN" not in ref.text and "check(" not in ref.text  # built from the release
    blank = sb.blank_submission("b", c.release_nb)
    assert "raise NotImplementedError" in _cells(blank.text)["flip"].source


@pytest.mark.parametrize("key", sorted(sb.HOSTILE))
def test_each_hostile_case_changes_the_notebook(released_copy, key):
    c = released_copy
    s = sb.hostile_submission(key, c.release_nb, c.source_nb)
    assert s.student == f"hostile{key}" and "_" not in s.student
    ref = sb.reference_submission("r", c.release_nb, c.source_nb).text
    assert s.text != ref
    assert set(s.expect) == {"flip", "conv_output_size"}
    if key == "invalidjson":
        assert not sb.is_valid_json(s.text)
        return
    assert sb.is_valid_json(s.text)
    cells = _cells(s.text)
    if key in ("editedtest", "points", "unlocked", "checksum"):
        assert cells["test_flip"].source != _cells(ref)["test_flip"].source or \
            cells["test_flip"].metadata != _cells(ref)["test_flip"].metadata
        assert s.expect["conv_output_size"] == {"graded"}
    if key == "deletedtest":
        assert "test_flip" not in cells
    if key == "duplicatedtest":
        nb = nbformat.reads(s.text, as_version=4)
        ids = [x.metadata.get("nbgrader", {}).get("grade_id") for x in nb.cells]
        assert ids.count("test_flip") == 2


def test_hostile_code_compiles(released_copy):
    c = released_copy
    for key in sb.HOSTILE:
        s = sb.hostile_submission(key, c.release_nb, c.source_nb)
        if not sb.is_valid_json(s.text):
            continue
        for cell in nbformat.reads(s.text, as_version=4).cells:
            if cell.cell_type == "code":
                compile(cell.source, key, "exec")


def test_unknown_hostile_case(released_copy):
    with pytest.raises(ValueError, match="unknown hostile case"):
        sb.hostile_submission("nope", released_copy.release_nb, released_copy.source_nb)


def test_sample_class_and_write(released_copy):
    c = released_copy
    samples = sb.sample_class(c.release_nb, c.source_nb)
    names = [s.student for s in samples]
    assert names[:2] == ["reference", "blank"] and len(set(names)) == len(names)
    assert {f"hostile{k}" for k in sb.DEMO_HOSTILE} <= set(names)
    path = sb.write_sample(samples[0], c.root, A)
    assert path == c.root / "submitted" / "reference" / A / f"{A}.ipynb"
    assert (path.parent / "timestamp.txt").exists()
    assert json.loads(path.read_text())["cells"]


@pytest.mark.parametrize("begin,end", [("### BEGIN SOLUTION", "### END SOLUTION"),
                                       ("BEGIN SOLUTION", "END SOLUTION"),
                                       ("=== BEGIN SOLUTION ===", "=== END SOLUTION ===")])
def test_markdown_answers_lose_their_solution_markers(tmp_path, begin, end):
    """A filled-in written answer reads as the student's text: no "### BEGIN SOLUTION" heading."""
    meta = {"nbgrader": {"grade_id": "answer_x", "solution": True, "grade": True, "points": 1,
                         "locked": False, "schema_version": 3}}
    answer = "Flipping twice reverses **every axis** twice.\n\n### A heading of the answer\nkept."
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_markdown_cell(f"{begin}\n{answer}\n{end}\n", metadata=meta)])
    nbformat.write(nb, tmp_path / "source.ipynb")
    got = sb.reference_answers(tmp_path / "source.ipynb")["answer_x"]
    assert got.strip() == answer and "SOLUTION" not in got
