"""Shared fixtures of the autograder tests: a tiny course in ``tmp_path``.

The fixture course follows the conventions of the weekly notebooks (``docs/architecture.md``)
without depending on them:

- one assignment, :data:`FIXTURE_ASSIGNMENT`, with one notebook of the same name;
- solution cells with grade id ``<name>`` for two real graded names (``flip``,
  ``conv_output_size``), each followed by a test cell ``test_<name>`` holding a visible
  assert and a hidden ``check("<name>", <name>)`` region;
- one manually graded markdown answer ``answer_flip``;
- nbgrader settings from :func:`autograder.nbconfig.nbgrader_settings` with the course root
  and the SQLite gradebook moved into the temporary folder.

Helpers (plain functions, importable as ``from tests.autograder.conftest import ...`` or used
through the fixtures): :func:`fixture_notebook`, :func:`student_notebook`,
:func:`write_submission`.
"""
from __future__ import annotations

import datetime as _dt
import os
import sys
from dataclasses import dataclass, field
from pathlib import Path

import nbformat
import pytest

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from autograder.nbconfig import nbgrader_settings  # noqa: E402

#: Assignment id of the fixture course.
FIXTURE_ASSIGNMENT = "w00_fixture"

#: Points of the fixture notebook, question -> points (same keys as ``course_config.POINTS``).
FIXTURE_POINTS = {"flip": 1.0, "conv_output_size": 2.0, "answer_flip": 1.0}

#: Reference solution source of each graded code cell (the part between the markers).
FIXTURE_SOLUTIONS = {
    "flip": (
        "def flip(a):\n"
        "    ### BEGIN SOLUTION\n"
        "    a = np.asarray(a)\n"
        "    return a[(slice(None, None, -1),) * a.ndim].copy()\n"
        "    ### END SOLUTION\n"
    ),
    "conv_output_size": (
        "def conv_output_size(n, f, p=0, s=1):\n"
        "    ### BEGIN SOLUTION\n"
        "    if any(v != int(v) for v in (n, f, p, s)):\n"
        "        raise ValueError('sizes and stride must be whole numbers')\n"
        "    if n < 0 or f < 1 or p < 0:\n"
        "        raise ValueError('sizes must be non-negative and the filter at least 1')\n"
        "    if s < 1:\n"
        "        raise ValueError('stride s must be at least 1')\n"
        "    if f > n + 2 * p:\n"
        "        raise ValueError('filter larger than the padded input')\n"
        "    return (n + 2 * p - f) // s + 1\n"
        "    ### END SOLUTION\n"
    ),
}

#: Student-version code of each graded code cell, correct and solution-free.
CORRECT_ANSWERS = {
    "flip": "def flip(a):\n    a = np.asarray(a)\n    return a[(slice(None, None, -1),) * a.ndim].copy()\n",
    "conv_output_size": FIXTURE_SOLUTIONS["conv_output_size"]
    .replace("    ### BEGIN SOLUTION\n", "")
    .replace("    ### END SOLUTION\n", ""),
}

VISIBLE_TESTS = {
    "flip": "assert flip(np.array([1, 2, 3])).tolist() == [3, 2, 1]\n",
    "conv_output_size": "assert conv_output_size(5, 3) == 3\n",
}


def _meta(grade_id, *, solution=False, grade=False, locked=False, points=None):
    meta = {"grade_id": grade_id, "solution": solution, "grade": grade, "locked": locked,
            "schema_version": 3}
    if points is not None:
        meta["points"] = points
    return {"nbgrader": meta}


def fixture_notebook() -> nbformat.NotebookNode:
    """The instructor (source) version of the fixture notebook."""
    cells = [
        nbformat.v4.new_markdown_cell(
            "# Fixture week\nTwo graded functions and one written answer.",
            metadata=_meta("intro", locked=True)),
        nbformat.v4.new_code_cell("import numpy as np", metadata=_meta("imports", locked=True)),
    ]
    for name in ("flip", "conv_output_size"):
        cells.append(nbformat.v4.new_code_cell(FIXTURE_SOLUTIONS[name],
                                               metadata=_meta(name, solution=True)))
        cells.append(nbformat.v4.new_code_cell(
            VISIBLE_TESTS[name]
            + "### BEGIN HIDDEN TESTS\n"
            + "from checker import check\n"
            + f'check("{name}", {name})\n'
            + "### END HIDDEN TESTS\n",
            metadata=_meta(f"test_{name}", grade=True, locked=True,
                           points=FIXTURE_POINTS[name])))
    cells.append(nbformat.v4.new_markdown_cell(
        "Why does flipping twice give back the input?", metadata=_meta("q_flip", locked=True)))
    cells.append(nbformat.v4.new_markdown_cell(
        "YOUR ANSWER HERE",
        metadata=_meta("answer_flip", solution=True, grade=True,
                       points=FIXTURE_POINTS["answer_flip"])))
    nb = nbformat.v4.new_notebook(cells=cells)
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3",
                                 "language": "python"}
    nb.metadata["language_info"] = {"name": "python"}
    return nb


def student_notebook(release_nb_path: Path | str, answers: dict | None = None,
                     markdown: dict | None = None) -> nbformat.NotebookNode:
    """A student's notebook: the release with the cells of ``answers`` (grade id -> source) filled in.

    ``markdown`` fills manually graded answer cells the same way.
    """
    nb = nbformat.read(str(release_nb_path), as_version=4)
    answers = dict(answers or {})
    answers.update(markdown or {})
    for cell in nb.cells:
        gid = cell.get("metadata", {}).get("nbgrader", {}).get("grade_id")
        if gid in answers:
            cell.source = answers[gid]
    return nb


def write_submission(root: Path | str, assignment: str, student: str, nb, *,
                     name: str | None = None, raw: str | None = None) -> Path:
    """Put a submission into ``<root>/submitted/<student>/<assignment>/`` as nbgrader expects.

    ``raw`` writes the text as is (e.g. invalid JSON) instead of the notebook ``nb``.
    """
    folder = Path(root) / "submitted" / student / assignment
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{name or assignment}.ipynb"
    if raw is not None:
        path.write_text(raw)
    else:
        nbformat.write(nb, str(path))
    stamp = _dt.datetime.now(_dt.UTC).strftime("%Y-%m-%d %H:%M:%S.%f %Z")
    (folder / "timestamp.txt").write_text(stamp)
    return path


@dataclass
class FixtureCourse:
    """A course folder in ``tmp_path`` with one source assignment."""

    root: Path
    assignment: str = FIXTURE_ASSIGNMENT
    points: dict = field(default_factory=lambda: dict(FIXTURE_POINTS))

    @property
    def db_url(self) -> str:
        return f"sqlite:///{self.root / 'gradebook.db'}"

    def config(self):
        """nbgrader ``Config`` of this course (``nbgrader_settings`` with the root moved here)."""
        return nbgrader_settings(root=self.root, db_url=self.db_url)

    @property
    def source_nb(self) -> Path:
        return self.root / "source" / self.assignment / f"{self.assignment}.ipynb"

    @property
    def release_nb(self) -> Path:
        return self.root / "release" / self.assignment / f"{self.assignment}.ipynb"

    def submit(self, student: str, answers: dict | None = None, **kw) -> Path:
        """Write a submission of ``student`` made from the release with ``answers`` filled in."""
        nb = student_notebook(self.release_nb, answers, kw.pop("markdown", None))
        return write_submission(self.root, self.assignment, student, nb, **kw)


def make_fixture_course(root: Path) -> FixtureCourse:
    """Create the fixture course's ``source/`` under ``root``."""
    course = FixtureCourse(root=Path(root).resolve())
    course.source_nb.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(fixture_notebook(), str(course.source_nb))
    return course


@pytest.fixture
def course(tmp_path) -> FixtureCourse:
    """A fresh fixture course (source only) in ``tmp_path / 'course'``."""
    return make_fixture_course(tmp_path / "course")


@pytest.fixture
def released_course(course) -> FixtureCourse:
    """The fixture course with ``release/`` generated (and checked) by ``autograder.release``."""
    from autograder.release import generate

    generate([course.assignment], root=course.root)
    return course


@pytest.fixture(scope="session")
def released_template(tmp_path_factory) -> Path:
    """A generated fixture course shared by a session (copy it, never change it)."""
    from autograder.release import generate

    course = make_fixture_course(tmp_path_factory.mktemp("template") / "course")
    generate([course.assignment], root=course.root)
    return course.root


@pytest.fixture
def released_copy(released_template, tmp_path) -> FixtureCourse:
    """A private copy of the session's generated fixture course (faster than regenerating)."""
    import shutil

    dest = tmp_path / "course"
    shutil.copytree(released_template, dest)
    return FixtureCourse(root=dest.resolve())


os.environ.setdefault("MPLBACKEND", "Agg")
