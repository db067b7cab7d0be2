"""autograder.cells: the cell conventions the pipeline and the tests share."""
from __future__ import annotations

import nbformat

from autograder import cells


def _cell(grade_id, cell_type="code", **meta):
    make = nbformat.v4.new_code_cell if cell_type == "code" else nbformat.v4.new_markdown_cell
    return make("x = 1", metadata={"nbgrader": {"grade_id": grade_id, **meta}})


def test_questions_of_grade_ids():
    assert cells.question_of("test_flip") == "flip"
    assert cells.question_of("answer_flip") == "answer_flip"
    assert cells.question_of("flip") == "flip"
    assert cells.test_cell_id("flip") == "test_flip"
    assert cells.is_written_answer("answer_rotation") and not cells.is_written_answer("flip")


def test_kinds_of_cells():
    test = _cell("test_flip", grade=True, locked=True, points=1)
    setup = _cell("imports", locked=True)
    answer = _cell("flip", solution=True)
    assert cells.is_test_cell(test) and not cells.is_test_cell(answer)
    assert cells.is_locked_setup(setup) and not cells.is_locked_setup(test) and not cells.is_locked_setup(answer)
    assert cells.nbgrader(nbformat.v4.new_code_cell("y")) == {} and cells.grade_id(setup) == "imports"


def test_graded_names_and_questions_in_notebook_order():
    nb = nbformat.v4.new_notebook(cells=[
        _cell("flip", solution=True), _cell("test_flip", grade=True, locked=True, points=1),
        _cell("answer_flip", "markdown", solution=True, grade=True, points=2),
        _cell("relu", solution=True), _cell("test_relu", grade=True, locked=True, points=3)])
    assert cells.graded_names(nb) == ["flip", "relu"]
    qs = cells.release_questions(nb)
    assert list(qs) == ["flip", "answer_flip", "relu"]
    assert qs["answer_flip"] == {"max_score": 2.0, "manual": True, "grade_id": "answer_flip"}
    assert qs["relu"]["manual"] is False


def test_the_hidden_region_calls_only_the_checker():
    assert cells.hidden_check("flip") == 'from checker import check\ncheck("flip", flip)\n'
