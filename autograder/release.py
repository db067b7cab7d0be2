"""``generate``: build ``release/`` from ``source/`` with nbgrader, then check what students get.

nbgrader's own ``GenerateAssignment`` (through :class:`nbgrader.apps.NbGraderAPI`, always
with ``force``, since without it nbgrader silently keeps a stale release) writes the student
version and records the assignment in the gradebook; :func:`generate` then sets the due date
from ``course_config`` and runs :func:`check_release`, which fails loudly on anything a student
must not see or could not be graded on:

- every release notebook parses as JSON and validates as nbformat 4;
- no code cell has outputs or an execution count;
- every cell carrying nbgrader ``grade``/``solution`` metadata has a checksum; test cells and
  read-only cells are locked, solution cells are not;
- points agree with ``course_config.POINTS`` (for the weeks it lists);
- no file anywhere under ``release/<week>/`` (notebooks or not) contains solution markers,
  hidden-test markers or the text ``solutions_lib``.
"""
from __future__ import annotations

import json
import logging
from pathlib import Path

import course_config as cc
from autograder import cells
from autograder.course import Course
from autograder.nbconfig import nbgrader_settings

log = logging.getLogger(__name__)

#: Text that must not occur anywhere in a student's release (case-sensitive byte search).
FORBIDDEN_TEXT = (
    "BEGIN SOLUTION",
    "END SOLUTION",
    "BEGIN HIDDEN TESTS",
    "END HIDDEN TESTS",
    "solutions_lib",
)


class ReleaseError(RuntimeError):
    """Generation failed or the release violates a check; ``violations`` lists why."""

    def __init__(self, violations: list[str]):
        self.violations = list(violations)
        super().__init__("release check failed:\n  " + "\n  ".join(self.violations))


def course_root(root: str | Path | None = None) -> Path:
    """``root`` as an absolute path, ``course_config.COURSE_ROOT`` by default."""
    return Course.at(root).root


def source_assignments(root: str | Path | None = None) -> list[str]:
    """Assignment ids present in ``<root>/source/`` (folders holding a notebook).

    Ordered as in ``course_config.ASSIGNMENT_IDS``; ids it does not list follow, sorted.
    """
    src = course_root(root) / "source"
    found = {p.name for p in src.iterdir() if p.is_dir() and any(p.glob("*.ipynb"))} \
        if src.is_dir() else set()
    known = [a for a in cc.ASSIGNMENT_IDS if a in found]
    return known + sorted(found - set(known))


def resolve_assignments(assignments, root=None) -> list[str]:
    """``None``/``"all"``/``[]`` -> every source assignment; else the given ids, validated."""
    available = source_assignments(root)
    if assignments is None or assignments == "all" or list(assignments) in ([], ["all"]):
        return available
    if isinstance(assignments, str):
        assignments = [assignments]
    unknown = [a for a in assignments if a not in available]
    if unknown:
        raise ValueError(f"unknown assignment(s) {unknown}; source/ has {available}")
    return list(assignments)


def nbgrader_api(root=None, db_url=None, **extra):
    """An :class:`nbgrader.apps.NbGraderAPI` on the course's settings (root overridable).

    ``extra`` maps dotted names to values added to the config, e.g.
    ``{"Exchange.root": "/tmp/exchange"}``.
    """
    from nbgrader.apps import NbGraderAPI
    from nbgrader.coursedir import CourseDirectory

    config = nbgrader_settings(root=course_root(root), db_url=db_url)
    for key, value in extra.items():
        section, name = key.rsplit(".", 1)
        setattr(config[section], name, value)
    coursedir = CourseDirectory(config=config)
    return NbGraderAPI(coursedir=coursedir, config=config)


def generate(assignments=None, root=None, db_url=None, check: bool = True) -> list[str]:
    """Generate ``release/<week>/`` for ``assignments`` (all in ``source/`` by default).

    Parameters
    ----------
    assignments : list of str, str or None
        Assignment ids; ``None`` or ``"all"`` for every week present in ``source/``.
    root : path, optional
        Course root; default ``course_config.COURSE_ROOT``.
    db_url : str, optional
        Gradebook URL (default: see :func:`autograder.nbconfig.nbgrader_settings`).
    check : bool
        Run :func:`check_release` afterwards.

    Returns
    -------
    list of str
        The assignment ids generated.

    Raises
    ------
    ReleaseError
        If nbgrader fails or the release violates a check.
    """
    root = course_root(root)
    ids = resolve_assignments(assignments, root)
    if not ids:
        raise ReleaseError([f"no assignment found in {root / 'source'}"])
    api = nbgrader_api(root, db_url)
    errors = []
    for aid in ids:
        result = api.generate_assignment(aid, force=True, create=True)
        if not result.get("success"):
            errors.append(f"{aid}: nbgrader generate_assignment failed:\n"
                          f"{result.get('error') or result.get('log')}")
            continue
        _set_due_date(api, aid)
    if errors:
        raise ReleaseError(errors)
    if check:
        violations = check_release(ids, root)
        if violations:
            raise ReleaseError(violations)
    return ids


def _set_due_date(api, aid: str) -> None:
    gb = api.gradebook
    try:
        if aid in cc.DUE_DATES:
            gb.update_or_create_assignment(aid, duedate=cc.DUE_DATES[aid])
        else:
            gb.update_or_create_assignment(aid)
    finally:
        gb.close()


def _expected_points(aid: str) -> dict | None:
    return getattr(cc, "POINTS", {}).get(aid)


def check_notebook(path: Path, aid: str | None = None) -> list[str]:
    """Violations of one release notebook (empty list when it is fine)."""
    import nbformat

    where = str(path)
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        return [f"{where}: not valid JSON ({exc})"]
    try:
        nb = nbformat.from_dict(data)
        nbformat.validate(nb)
    except Exception as exc:  # nbformat raises several types
        return [f"{where}: not a valid nbformat 4 notebook ({exc})"]
    out = []
    points = {}
    for i, cell in enumerate(nb.cells):
        label = f"{where}: cell {i}"
        if cell.cell_type == "code":
            if cell.get("outputs"):
                out.append(f"{label} has outputs")
            if cell.get("execution_count") is not None:
                out.append(f"{label} has an execution count")
        meta = cells.nbgrader(cell)
        if not meta:
            continue
        gid = meta.get("grade_id", "?")
        label = f"{where}: cell {i} ({gid})"
        grade, solution, locked = (bool(meta.get(k)) for k in ("grade", "solution", "locked"))
        if (grade or solution or locked) and not meta.get("checksum"):
            out.append(f"{label} has no checksum")
        if grade and not solution and not locked:
            out.append(f"{label} is a test cell but not locked")
        if locked and (cell.metadata.get("editable", True) or cell.metadata.get("deletable", True)):
            out.append(f"{label} is locked but editable or deletable")
        if solution and locked:
            out.append(f"{label} is a solution cell but locked")
        if not grade and not solution and not locked:
            out.append(f"{label} carries nbgrader metadata but is neither graded, solution nor locked")
        if grade:
            points[cells.question_of(gid)] = float(meta.get("points", 0))
    expected = _expected_points(aid) if aid else None
    if expected is not None:
        exp = {k: float(v) for k, v in expected.items()}
        if points != exp:
            out.append(f"{where}: points {points} disagree with course_config.POINTS {exp}")
    return out


def check_release(assignments=None, root=None) -> list[str]:
    """Every violation in ``<root>/release/<week>/`` for ``assignments`` (all by default)."""
    root = course_root(root)
    release = root / "release"
    ids = resolve_assignments(assignments, root)
    out = []
    for aid in ids:
        folder = release / aid
        notebooks = sorted(folder.rglob("*.ipynb")) if folder.is_dir() else []
        if not notebooks:
            out.append(f"{folder}: no release notebook")
        for path in notebooks:
            out += check_notebook(path, aid)
        if folder.is_dir():
            for path in sorted(folder.rglob("*")):
                if path.is_file():
                    data = path.read_bytes()
                    for text in FORBIDDEN_TEXT:
                        if text.encode() in data:
                            out.append(f"{path}: contains {text!r}")
    return out


def release_notebooks(assignment: str, root=None) -> list[Path]:
    """The release notebooks of ``assignment``."""
    return sorted((course_root(root) / "release" / assignment).glob("*.ipynb"))
