"""The course on disk: its root, its gradebook and its folders, decided in one place.

``Course.at(root)`` is built once by the CLI (and by any caller that has only a root); every
module that needs a folder or the gradebook asks it instead of joining paths itself.

The gradebook rule: ``NNMATH_GRADEBOOK_URL`` when set (a Postgres server, or a SQLite file
elsewhere); otherwise ``course_config.GRADEBOOK_URL`` for the course's own root, and the
embedded SQLite file ``<root>/gradebook.db`` for any other root (a temporary course of the
tests or the benchmarks).
"""
from __future__ import annotations

import os
import sys
from dataclasses import dataclass
from pathlib import Path

import course_config as cc

#: Folder (under the root) where nbgrader reads the repaired copies of submissions.
GRADING_DIR = ".grading"


def gradebook_url(root: Path | str | None = None) -> str:
    """The gradebook of the course at ``root`` (see the module docstring for the rule)."""
    explicit = os.environ.get("NNMATH_GRADEBOOK_URL")
    if explicit:
        return explicit
    root = Path(root).resolve() if root is not None else cc.COURSE_ROOT
    if root == cc.COURSE_ROOT:
        return cc.GRADEBOOK_URL
    return f"sqlite:///{root / 'gradebook.db'}"


def tools_on_path() -> None:
    """Put this interpreter's ``bin/`` first on ``PATH``: nbgrader runs ``alembic`` from it.

    The one place the grader touches ``PATH`` (the project is installed, so nothing touches
    ``PYTHONPATH``).
    """
    bindir = str(Path(sys.executable).parent)
    parts = os.environ.get("PATH", "").split(os.pathsep)
    if parts[:1] != [bindir]:
        os.environ["PATH"] = os.pathsep.join([bindir, *[p for p in parts if p != bindir]])


@dataclass(frozen=True)
class Course:
    """A course directory and its gradebook.

    Attributes
    ----------
    root : Path
        The course root (``source/``, ``release/``, ``submitted/`` ... live below it).
    gradebook_url : str
        The nbgrader gradebook (SQLAlchemy URL).
    """

    root: Path
    gradebook_url: str

    @classmethod
    def at(cls, root: Path | str | None = None) -> Course:
        """The course at ``root`` (default ``course_config.COURSE_ROOT``)."""
        root = Path(root).resolve() if root is not None else cc.COURSE_ROOT
        return cls(root, gradebook_url(root))

    def folder(self, name: str) -> Path:
        """A top-level folder of the course: ``source``, ``release``, ``submitted``, ..."""
        return self.root / name

    @property
    def grading(self) -> Path:
        """Where the repaired copies of submissions are graded from."""
        return self.root / GRADING_DIR

    def release_notebooks(self, assignment: str) -> list[Path]:
        """The release notebooks of ``assignment``, sorted."""
        return sorted((self.root / "release" / assignment).glob("*.ipynb"))

    def students(self, assignment: str) -> list[str]:
        """Every student with a submission of ``assignment`` or a row in the gradebook."""
        found = {p.parent.name for p in (self.root / "submitted").glob(f"*/{assignment}") if p.is_dir()}
        if self._gradebook_exists():
            from nbgrader.api import Gradebook

            with Gradebook(self.gradebook_url) as gb:
                found |= {s.id for s in gb.students}
        return sorted(s for s in found if s and not s.startswith("."))

    def _gradebook_exists(self) -> bool:
        if self.gradebook_url.startswith("sqlite:///"):
            return Path(self.gradebook_url[len("sqlite:///"):]).is_file()
        return True
