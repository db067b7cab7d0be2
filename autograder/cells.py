"""The course's notebook-cell conventions, in one place: nbgrader metadata, grade ids, questions.

A week's notebook (see ``docs/architecture.md``) has

- a solution cell per graded name, ``grade_id`` = the name (``convolve_full``);
- its test cell ``test_<name>``: the hidden region :func:`hidden_check` first, then visible asserts;
- hand-graded markdown answers ``answer_<topic>``.

A *question* is what a score belongs to: the graded name for a test cell (``test_flip`` ->
``flip``), the grade id itself for an answer. The pipeline (grading, feedback, export,
release checks) and the tests read cells only through these functions.
"""
from __future__ import annotations

#: Prefix of the grade id of a graded name's test cell.
TEST_PREFIX = "test_"
#: Prefix of the grade id of a hand-graded written answer.
ANSWER_PREFIX = "answer_"


def nbgrader(cell) -> dict:
    """The nbgrader metadata of ``cell`` (a notebook cell or a plain dict), ``{}`` if none."""
    return dict((cell.get("metadata") or {}).get("nbgrader") or {})


def grade_id(cell) -> str | None:
    """The cell's nbgrader ``grade_id`` (``None`` for a cell nbgrader does not track)."""
    return nbgrader(cell).get("grade_id")


def test_cell_id(name: str) -> str:
    """Grade id of the test cell of the graded ``name``."""
    return f"{TEST_PREFIX}{name}"


def question_of(grade_id: str) -> str:
    """The question a grade id scores: ``test_<name>`` -> ``<name>``; others their grade id."""
    return grade_id[len(TEST_PREFIX):] if grade_id.startswith(TEST_PREFIX) else grade_id


def is_test_cell(cell) -> bool:
    """True for a graded ``test_<name>`` cell."""
    meta = nbgrader(cell)
    return bool(meta.get("grade")) and str(meta.get("grade_id", "")).startswith(TEST_PREFIX)


def is_written_answer(question: str) -> bool:
    """True for a hand-graded written answer (``answer_<topic>``)."""
    return question.startswith(ANSWER_PREFIX)


def is_locked_setup(cell) -> bool:
    """True for a locked cell of the release that is neither a solution nor a test cell."""
    meta = nbgrader(cell)
    return bool(meta.get("locked")) and not meta.get("solution") and not meta.get("grade")


def graded_names(nb) -> list[str]:
    """The autograded names of a notebook, in notebook order (one per ``test_<name>`` cell)."""
    return [question_of(grade_id(c)) for c in nb["cells"] if is_test_cell(c)]


def hidden_check(name: str) -> str:
    """The hidden-test region's code for ``name``: the course's checker, nothing else."""
    return f'from checker import check\ncheck("{name}", {name})\n'


def release_questions(nb) -> dict:
    """``{question: {"max_score", "manual", "grade_id"}}`` of the graded cells of a notebook."""
    questions = {}
    for cell in nb["cells"]:
        meta = nbgrader(cell)
        if meta.get("grade"):
            questions[question_of(meta["grade_id"])] = {
                "max_score": float(meta.get("points", 0)),
                "manual": bool(meta.get("solution")) or cell["cell_type"] == "markdown",
                "grade_id": meta["grade_id"]}
    return questions
