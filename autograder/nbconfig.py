"""Build nbgrader's configuration from ``course_config.py``.

Both ``nbgrader_config.py`` (read by the ``nbgrader`` command line and formgrader) and the
autograder's Python-API calls use :func:`nbgrader_settings`: with nbgrader 0.9.6 a
hand-built ``Config()`` does not read ``nbgrader_config.py``, so a caller that built its
own would silently lose the course settings.
"""
from __future__ import annotations

import warnings
from pathlib import Path

from traitlets.config import Config

import course_config as cc
from autograder.course import gradebook_url
from autograder.kernel_client import CLIENT_FACTORY

# nbgrader 0.9.6's Gradebook.add_submission builds the submission through relationships before
# adding it to the session; SQLAlchemy 2 warns about each object ("... not in session, add
# operation along 'Assignment.submissions' will not proceed") and nbgrader then adds it itself.
# The rows are right (the gradebook tests read them back); the warnings only bury the output.
warnings.filterwarnings("ignore", message=r"Object of type <\w+> not in session, add operation along",
                        module=r"nbgrader\.api")


def nbgrader_settings(root: str | Path | None = None, db_url: str | None = None) -> Config:
    """The nbgrader ``Config`` of this course (course id, folders, gradebook, timeouts).

    Parameters
    ----------
    root : path, optional
        Course root holding ``source/``, ``release/``, ``submitted/`` ...; default
        ``course_config.COURSE_ROOT``. Tests pass a temporary folder.
    db_url : str, optional
        Gradebook URL; default the course's (:func:`autograder.course.gradebook_url`).
    """
    root = Path(root).resolve() if root is not None else cc.COURSE_ROOT
    db_url = db_url or gradebook_url(root)
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
    c.KernelManager.client_factory = CLIENT_FACTORY   # no execute_reply left unread (see the module)
    c.LimitOutput.max_lines = cc.MAX_OUTPUT_LINES
    c.ClearSolutions.code_stub = {"python": "# YOUR CODE HERE\nraise NotImplementedError()"}
    return c
