"""Build nbgrader's configuration from ``course_config.py``.

Both ``nbgrader_config.py`` (read by the ``nbgrader`` command line and formgrader) and the
autograder's Python-API calls use :func:`nbgrader_settings`: with nbgrader 0.9.6 a
hand-built ``Config()`` does not read ``nbgrader_config.py``, so a caller that built its
own would silently lose the course settings.
"""
from __future__ import annotations

import importlib.util
import os
import sys
from pathlib import Path

from traitlets.config import Config

import course_config as cc


def solutions_lib_path() -> Path:
    """Folder that must be on ``sys.path`` for hidden tests to import ``solutions_lib``."""
    return cc.COURSE_ROOT


def ensure_solutions_lib_importable() -> None:
    """Put the course root on ``PYTHONPATH`` for every kernel nbgrader starts, loudly.

    Kernels inherit the environment of the process that starts them, so setting
    ``PYTHONPATH`` here makes ``import solutions_lib`` work in hidden tests whatever the
    caller's shell or working directory. Raises ``RuntimeError`` if the package is not
    where the configuration says: without it every correct student would score 0.
    """
    root = str(solutions_lib_path())
    init = Path(root) / "solutions_lib" / "__init__.py"
    if not init.is_file():
        raise RuntimeError(
            f"solutions_lib not found at {init}: hidden tests could not import the reference "
            "and every student would score 0. Run nbgrader from the course repository."
        )
    parts = [p for p in os.environ.get("PYTHONPATH", "").split(os.pathsep) if p]
    if root not in parts:
        os.environ["PYTHONPATH"] = os.pathsep.join([root, *parts])
    if root not in sys.path:
        sys.path.insert(0, root)
    spec = importlib.util.find_spec("solutions_lib")
    if spec is None or Path(spec.origin).resolve() != init.resolve():
        raise RuntimeError(
            f"'import solutions_lib' resolves to {spec.origin if spec else None}, not {init}"
        )


def nbgrader_settings(root: str | Path | None = None, db_url: str | None = None) -> Config:
    """The nbgrader ``Config`` of this course (course id, folders, gradebook, timeouts).

    Parameters
    ----------
    root : path, optional
        Course root holding ``source/``, ``release/``, ``submitted/`` ...; default
        ``course_config.COURSE_ROOT``. Tests pass a temporary folder.
    db_url : str, optional
        Gradebook URL; default ``course_config.GRADEBOOK_URL`` for the default root, else
        ``sqlite:///<root>/gradebook.db``.
    """
    ensure_solutions_lib_importable()
    if root is None:
        root = cc.COURSE_ROOT
        if db_url is None:
            db_url = cc.GRADEBOOK_URL
    root = Path(root).resolve()
    if db_url is None:
        db_url = f"sqlite:///{root / 'gradebook.db'}"
    c = Config()
    c.CourseDirectory.course_id = cc.COURSE_ID
    c.CourseDirectory.root = str(root)
    c.CourseDirectory.db_url = db_url
    c.CourseDirectory.source_directory = "source"
    c.CourseDirectory.release_directory = "release"
    c.CourseDirectory.submitted_directory = "submitted"
    c.CourseDirectory.autograded_directory = "autograded"
    c.CourseDirectory.feedback_directory = "feedback"
    c.Execute.timeout = cc.CELL_TIMEOUT_S
    c.Execute.interrupt_on_timeout = True
    c.LimitOutput.max_lines = cc.MAX_OUTPUT_LINES
    c.ClearSolutions.code_stub = {"python": "# YOUR CODE HERE\nraise NotImplementedError()"}
    return c
