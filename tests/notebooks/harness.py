"""Run and grade the weekly notebooks through the real pipeline, for the notebook tests.

- :func:`run_notebook` executes a notebook top to bottom in a real kernel.
- :func:`solution_sources` reads the solution cells of a source notebook.
- :func:`notebook_points` reads the points the notebook's metadata states.
- :func:`grade_submissions` builds student submissions from the release notebook with some
  solution cells replaced, and autogrades them with ``autograder`` (nbgrader underneath,
  the verifier and the kernel sandbox included) in a temporary course.
"""
from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import nbformat

from autograder import cells
from autograder.kernel_client import notebook_client
from autograder.results import read_result
from autograder.submissions import fill

ROOT = Path(__file__).resolve().parents[2]
SOURCE = ROOT / "source"


@dataclass(frozen=True)
class Score:
    """One question of one graded submission."""

    score: float
    max_score: float
    status: str
    message: str


def source_notebook_path(week: str) -> Path:
    return SOURCE / week / f"{week}.ipynb"


def run_notebook(path: Path | str, timeout: int = 120) -> tuple[nbformat.NotebookNode, float]:
    """Execute the notebook at ``path`` in a fresh kernel; return it and the seconds taken.

    Runs with the notebook's folder as working directory and the course root importable.
    Raises ``nbclient.exceptions.CellExecutionError`` on the first failing cell.
    """
    path = Path(path)
    nb = nbformat.read(path, as_version=4)
    client = notebook_client(
        nb,
        timeout=timeout,
        kernel_name="python3",
        resources={"metadata": {"path": str(path.parent)}},
    )
    start = time.perf_counter()
    client.execute()
    return nb, time.perf_counter() - start


def solution_sources(week: str) -> dict[str, str]:
    """``grade_id -> source`` of the code solution cells of the source notebook of ``week``."""
    nb = nbformat.read(source_notebook_path(week), as_version=4)
    out = {}
    for cell in nb.cells:
        meta = cells.nbgrader(cell)
        if meta.get("solution") and cell.cell_type == "code":
            out[meta["grade_id"]] = cell.source
    return out


def notebook_points(week: str) -> dict[str, float]:
    """Question -> points as the source notebook's nbgrader metadata states them.

    Test cells ``test_<name>`` count for question ``<name>``; answer cells for their grade id.
    """
    nb = nbformat.read(source_notebook_path(week), as_version=4)
    return {q: v["max_score"] for q, v in cells.release_questions(nb).items()}


def grade_submissions(week: str, submissions: dict[str, dict[str, str]], jobs: int = 2) -> dict[str, dict[str, Score]]:
    """Autograde ``student -> {grade_id: code}`` submissions of ``week`` through the pipeline.

    Each submission is the release notebook with the code cells named in its dict replaced.
    A temporary course (a copy of ``source/<week>``, the course's configuration, its own SQLite
    gradebook) runs ``python -m autograder generate`` and ``grade --jobs`` as subprocesses, so the
    verifier, the kernel sandbox and nbgrader are exactly those of a real run.

    Returns ``student -> question -> Score``.
    """
    root = Path(tempfile.mkdtemp(prefix=f"nnmath_{week}_"))
    try:
        shutil.copytree(SOURCE / week, root / "source" / week)
        for name in ("nbgrader_config.py", "course_config.py"):
            shutil.copy(ROOT / name, root / name)
        env = dict(os.environ, NNMATH_GRADEBOOK_URL=f"sqlite:///{root / 'gradebook.db'}")

        def autograder(*args):
            subprocess.run([sys.executable, "-m", "autograder", *args, "--root", str(root)],
                           cwd=ROOT, env=env, check=True, capture_output=True, text=True)

        autograder("generate", week)
        release = root / "release" / week / f"{week}.ipynb"
        for student, cells in submissions.items():
            folder = root / "submitted" / student / week
            folder.mkdir(parents=True)
            nbformat.write(fill(release, cells), folder / f"{week}.ipynb")
        autograder("grade", week, "--jobs", str(jobs), "--force")
        out = {}
        for student in submissions:
            data = read_result(week, student, root)
            assert data is not None, f"the grader stored no result for {student}"
            out[student] = {q: Score(v["score"], v["max_score"], v["status"], v["message"])
                            for q, v in data["questions"].items()}
        return out
    finally:
        shutil.rmtree(root, ignore_errors=True)


def release_notebook_path(week: str) -> Path:
    """The generated student release of ``week`` (``release/<week>/<week>.ipynb``)."""
    return ROOT / "release" / week / f"{week}.ipynb"


def release_from_source(week: str) -> nbformat.NotebookNode:
    """The source notebook of ``week`` as students get it, made in memory with nbgrader's own
    preprocessors (solutions cleared, hidden tests removed)."""
    from nbgrader.preprocessors import ClearHiddenTests, ClearSolutions
    nb = nbformat.read(source_notebook_path(week), as_version=4)
    nb, _ = ClearSolutions().preprocess(nb, {})
    nb, _ = ClearHiddenTests().preprocess(nb, {})
    return nb


def run_all(path: Path | str, timeout: int = 120) -> tuple[nbformat.NotebookNode, int | None]:
    """Run the notebook at ``path`` as JupyterLab's *Run All* does: top to bottom, stopping at
    the first cell that raises. Returns the notebook (outputs of the cells that ran) and the
    index of the cell that raised (``None`` if none did)."""
    from nbclient.exceptions import CellExecutionError
    path = Path(path)
    nb = nbformat.read(path, as_version=4)
    client = notebook_client(nb, timeout=timeout, kernel_name="python3",
                            resources={"metadata": {"path": str(path.parent)}})
    try:
        client.execute()
    except CellExecutionError:
        failed = [i for i, c in enumerate(nb.cells) if c.cell_type == "code"
                  and any(o.output_type == "error" for o in c.get("outputs", []))]
        return nb, failed[0]
    return nb, None


class Kernel:
    """One live kernel running cells one at a time (``with Kernel(folder) as k: k.run(src)``).

    :meth:`run` executes a source as a code cell and returns that cell, outputs included; an
    error is recorded in the outputs, never raised (see :func:`raised`).
    """

    def __init__(self, folder: Path | str, timeout: int = 120):
        nb = nbformat.v4.new_notebook()
        nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
        self._client = notebook_client(nb, timeout=timeout, kernel_name="python3", allow_errors=True,
                                      resources={"metadata": {"path": str(folder)}})
        self._context = None

    def __enter__(self) -> Kernel:
        self._context = self._client.setup_kernel()
        self._context.__enter__()
        return self

    def __exit__(self, *exc):
        return self._context.__exit__(*exc)

    def run(self, source: str) -> nbformat.NotebookNode:
        cell = nbformat.v4.new_code_cell(source)
        self._client.nb.cells.append(cell)
        self._client.execute_cell(cell, len(self._client.nb.cells) - 1)
        return cell


def raised(cell) -> str | None:
    """The ``"Name: message"`` of the exception an executed code cell raised, or ``None``."""
    for o in cell.get("outputs", []):
        if o.output_type == "error":
            return f"{o.ename}: {o.evalue}"
    return None
