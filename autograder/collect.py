"""``collect``: bring submissions into ``<root>/submitted/<student>/<assignment>/``.

Two sources, both handled by nbgrader itself:

- :func:`collect_exchange` — nbgrader's file-system exchange (``nbgrader collect`` after the
  students' ``nbgrader submit``), through :class:`nbgrader.apps.NbGraderAPI`.
- :func:`collect_zip` — an LMS download: a zip of per-student files named
  ``<student>_<notebook>.ipynb`` (the pattern is :data:`LMS_FILENAME_REGEXP`, overridable),
  extracted and filed by nbgrader's ``ZipCollectApp`` (``nbgrader zip_collect``).

A notebook under an unexpected name (e.g. from another assignment) is still filed — nbgrader
warns but copies it — so that grading records it as an error for that student instead of it
vanishing silently.
"""
from __future__ import annotations

import shutil
import zipfile
from pathlib import Path

from autograder.release import course_root, nbgrader_api, resolve_assignments

#: ``<anything>/<student>_<notebook>.ipynb``; student ids contain no underscore.
LMS_FILENAME_REGEXP = r".*/(?P<student_id>[^/_]+)_(?P<file_id>[^/]+\.ipynb)$"


class CollectError(RuntimeError):
    """nbgrader reported a failure while collecting."""


def submitted_students(assignment: str, root=None) -> list[str]:
    """Students with a folder ``submitted/<student>/<assignment>/``, sorted."""
    base = course_root(root) / "submitted"
    if not base.is_dir():
        return []
    return sorted(p.name for p in base.iterdir() if (p / assignment).is_dir())


def collect_exchange(assignments=None, root=None, exchange_root=None, db_url=None,
                     update: bool = True) -> dict[str, list[str]]:
    """Run nbgrader's ``collect`` for each assignment (every source week by default).

    Parameters
    ----------
    assignments : list of str or None
        Assignment ids; ``None`` = every week in ``source/``.
    root : path, optional
        Course root.
    exchange_root : path, optional
        The exchange directory (nbgrader's ``Exchange.root``); default nbgrader's.
    update : bool
        Replace an already collected submission by a newer one.

    Returns
    -------
    dict
        assignment id -> students now in ``submitted/`` for it.
    """
    root = course_root(root)
    extra = {"Exchange.root": str(exchange_root)} if exchange_root is not None else {}
    api = nbgrader_api(root, db_url, **extra)
    out = {}
    for aid in resolve_assignments(assignments, root):
        result = api.collect(aid, update=update)
        if not result.get("success"):
            raise CollectError(f"{aid}: nbgrader collect failed:\n"
                               f"{result.get('error') or result.get('log')}")
        out[aid] = submitted_students(aid, root)
    return out


def collect_zip(assignment: str, zip_path, root=None, db_url=None,
                named_regexp: str = LMS_FILENAME_REGEXP) -> dict[str, list[str]]:
    """File an LMS zip of per-student notebooks into ``submitted/`` with nbgrader zip_collect.

    The zip is copied into ``<root>/downloaded/<assignment>/archive/`` (where nbgrader
    expects it), then ``ZipCollectApp`` extracts it and files every ``.ipynb`` whose name
    matches ``named_regexp`` (groups ``student_id`` and ``file_id``).

    Returns
    -------
    dict
        ``{assignment: [students in submitted/]}``.
    """
    from nbgrader.apps.api import capture_log
    from nbgrader.apps.zipcollectapp import ZipCollectApp
    from nbgrader.utils import temp_attrs

    root = course_root(root)
    zip_path = Path(zip_path)
    if not zipfile.is_zipfile(zip_path):
        raise ValueError(f"{zip_path} is not a zip file")
    archive = root / "downloaded" / assignment / "archive"
    if archive.exists():
        shutil.rmtree(archive)
    archive.mkdir(parents=True)
    shutil.copy2(zip_path, archive / zip_path.name)
    api = nbgrader_api(root, db_url)
    api.config.FileNameCollectorPlugin.named_regexp = named_regexp
    with temp_attrs(api.coursedir, assignment_id=assignment):
        app = ZipCollectApp(coursedir=api.coursedir, parent=api)
        app.force = True
        # its log (a line per file, 300 lines for a class of 40) goes only into the result, which
        # a failure quotes: the terminal shows the grader's progress, not nbgrader's chatter
        for handler in list(app.log.handlers):
            app.log.removeHandler(handler)
        app.log.propagate = False
        result = capture_log(app)
    if not result.get("success"):
        raise CollectError(f"{assignment}: nbgrader zip_collect failed:\n"
                           f"{result.get('error') or result.get('log')}")
    return {assignment: submitted_students(assignment, root)}


def make_lms_zip(files: dict[str, bytes | str], dest) -> Path:
    """Write an LMS-style zip: ``files`` maps archive names to contents. For tests and demo."""
    dest = Path(dest)
    dest.parent.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(dest, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        for name, data in files.items():
            zf.writestr(name, data)
    return dest
