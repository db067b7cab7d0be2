"""autograder.repair: pre-validation of a submission against its release, and its repair."""
from __future__ import annotations

import copy

import nbformat
import pytest

from autograder import cells, repair
from tests.autograder.conftest import CORRECT_ANSWERS, FIXTURE_POINTS, student_notebook


def _gid(cell):
    return cell.get("metadata", {}).get("nbgrader", {}).get("grade_id")


@pytest.fixture
def release(released_copy):
    return released_copy, nbformat.read(str(released_copy.release_nb), as_version=4)


def test_release_questions(release):
    course, rel = release
    qs = cells.release_questions(rel)
    assert {q: v["max_score"] for q, v in qs.items()} == FIXTURE_POINTS
    assert qs["answer_flip"]["manual"] and not qs["flip"]["manual"]


def test_prevalidate_clean_notebook_has_no_flags(release):
    course, rel = release
    nb = student_notebook(course.release_nb, CORRECT_ANSWERS)
    repaired, err, flags = repair.prevalidate(nbformat.writes(nb), rel)
    assert err is None and flags == {}
    src = {_gid(c): c.source for c in repaired.cells if _gid(c)}
    assert src["flip"] == CORRECT_ANSWERS["flip"]
    assert src["test_flip"] == next(c.source for c in rel.cells if _gid(c) == "test_flip")


@pytest.mark.parametrize("text, why", [("{not json", "invalid notebook JSON"),
                                       ('{"cells": 3}', "invalid notebook JSON"),
                                       ("[]", "invalid notebook JSON")])
def test_prevalidate_invalid_json(release, text, why):
    _, rel = release
    nb, err, _ = repair.prevalidate(text, rel)
    assert nb is None and err.startswith(why)


def test_prevalidate_other_assignment(release):
    _, rel = release
    other = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(
        "x = 1", metadata={"nbgrader": {"grade_id": "lstm_forward", "solution": True,
                                        "grade": False, "locked": False}})])
    nb, err, _ = repair.prevalidate(nbformat.writes(other), rel)
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
    repaired, err, flags = repair.prevalidate(nbformat.writes(nb), rel)
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
    repaired, err, flags = repair.prevalidate(nbformat.writes(nb), rel)
    assert "deleted" in flags["flip"]
    assert [_gid(c) for c in repaired.cells] == [_gid(c) for c in rel.cells]
