"""``student-setup``: the JupyterLab configuration a student works in — no instructor tool in it.

nbgrader installs one lab extension and four server extensions for everyone: the student's
*Assignments* list and *Validate* button, but also the instructor's *Create Assignment* panel,
*Formgrader* and *Courses* list. :func:`write` fills a ``JUPYTER_CONFIG_DIR`` (start JupyterLab
with ``JUPYTER_CONFIG_DIR=<folder> jupyter lab``) so that a student's JupyterLab has

- ``labconfig/page_config.json``: the lab plugins of formgrader, *Create Assignment*, the
  courses list and nbgrader's menu (whose entries open those) disabled; the *Assignments*
  list and the notebook toolbar's *Validate* stay;
- ``jupyter_server_config.json``: the server extensions of formgrader and the course list
  off, nbgrader's validate handler replaced by the course's calm one
  (:mod:`autograder.validate`: per question passed / failed / not attempted);
- ``nbgrader_config.py``: the course id and the exchange the *Assignments* list fetches from
  and submits to;
- ``lab/user-settings``: no news or update checks (students may be offline).
"""
from __future__ import annotations

import json
from pathlib import Path

import course_config as cc

#: nbgrader's lab plugins an instructor uses and a student must not see.
INSTRUCTOR_LAB_PLUGINS = (
    "@jupyter/nbgrader:formgrader",
    "@jupyter/nbgrader:create-assignment",
    "@jupyter/nbgrader:course-list",
    "@jupyter/nbgrader:menu",
)
#: nbgrader's server extensions for instructors, or replaced by the course's.
SERVER_EXTENSIONS = {
    "nbgrader.server_extensions.formgrader": False,
    "nbgrader.server_extensions.course_list": False,
    "nbgrader.server_extensions.validate_assignment": False,
    "nbgrader.server_extensions.assignment_list": True,
    "autograder.validate": True,
}


def write(config_dir, exchange=None, course_id: str | None = None, student_id: str | None = None) -> Path:
    """Write the student configuration into ``config_dir`` (created); return its path.

    Parameters
    ----------
    config_dir : path
        The folder to use as ``JUPYTER_CONFIG_DIR``.
    exchange : path, optional
        nbgrader's exchange root (``Exchange.root``); default nbgrader's own.
    course_id : str, optional
        Default ``course_config.COURSE_ID``.
    student_id : str, optional
        The student's id in the exchange; default nbgrader's, the login name.
    """
    folder = Path(config_dir).resolve()
    (folder / "labconfig").mkdir(parents=True, exist_ok=True)
    (folder / "labconfig" / "page_config.json").write_text(json.dumps(
        {"disabledExtensions": {name: True for name in INSTRUCTOR_LAB_PLUGINS}}, indent=2) + "\n")
    (folder / "jupyter_server_config.json").write_text(json.dumps(
        {"ServerApp": {"jpserver_extensions": SERVER_EXTENSIONS}}, indent=2) + "\n")
    lines = ['"""nbgrader settings of a student of the nnmath course (written by student-setup)."""',
             "c = get_config()  # noqa: F821",
             f"c.CourseDirectory.course_id = {course_id or cc.COURSE_ID!r}"]
    if student_id is not None:
        lines.append(f"c.CourseDirectory.student_id = {student_id!r}")
    if exchange is not None:
        lines.append(f"c.Exchange.root = {str(Path(exchange).resolve())!r}")
    (folder / "nbgrader_config.py").write_text("\n".join(lines) + "\n")
    settings = folder / "lab" / "user-settings" / "@jupyterlab" / "apputils-extension"
    settings.mkdir(parents=True, exist_ok=True)
    (settings / "notification.jupyterlab-settings").write_text(
        '{"fetchNews": "false", "checkForUpdates": false}\n')
    return folder
