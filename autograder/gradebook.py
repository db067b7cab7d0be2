"""The gradebook seen by the grader: one writer, private gradebooks for the graders, a lock.

nbgrader's gradebook writes are look-up-then-insert and not safe under concurrent writers
(several processes creating the same new student collide on SQLite and on PostgreSQL alike).
So the grader keeps one rule: **only the coordinator writes the course's gradebook**.

- :func:`ensure_students`: the coordinator creates every student of a run once, before any
  grading fans out;
- :func:`template`: the assignment's definition (notebooks, grade, solution, task and source
  cells, hidden tests included) copied into a small SQLite file, sent to every grader;
- a grader runs nbgrader's autograde against its own copy of the template
  (:func:`private_copy`) and returns what autograde recorded there (:func:`read_submission`,
  plain data);
- :func:`write_submission`: the coordinator writes that record into the course's gradebook in
  one transaction (a repeated record writes the same values again: idempotent);
- :func:`coordinator_lock`: at most one coordinator per assignment and gradebook (a PostgreSQL
  advisory lock, a file lock next to a SQLite file); the second one raises
  :class:`GradingLocked`.

A gradebook that cannot be reached raises :class:`GradebookUnavailable` (one line, the
password of the URL hidden).
"""
from __future__ import annotations

import contextlib
import fcntl
import hashlib
import os
import tempfile
from pathlib import Path


class GradingLocked(RuntimeError):
    """Another coordinator is grading the same assignment into the same gradebook."""


class GradebookUnavailable(RuntimeError):
    """The course's gradebook cannot be read or written (server gone, refused, ...)."""


def safe_url(url: str) -> str:
    """``url`` with its password hidden (for messages)."""
    from sqlalchemy.engine import make_url

    try:
        return make_url(url).render_as_string(hide_password=True)
    except Exception:
        return url.split("@")[-1]


def is_sqlite(url: str) -> bool:
    return url.startswith("sqlite:")


def sqlite_path(url: str) -> Path | None:
    """The file of a ``sqlite:///`` URL (None for another database)."""
    return Path(url[len("sqlite:///"):]) if url.startswith("sqlite:///") else None


@contextlib.contextmanager
def unavailable_as_error(url: str, doing: str):
    """Turn a database connection failure into :class:`GradebookUnavailable`."""
    from sqlalchemy.exc import DBAPIError, OperationalError

    try:
        yield
    except (OperationalError, DBAPIError) as exc:
        first = str(getattr(exc, "orig", exc)).strip().splitlines()[:1] or [type(exc).__name__]
        raise GradebookUnavailable(
            f"the gradebook {safe_url(url)} could not be {doing}: {first[0]}") from None


# --------------------------------------------------------------------------------------
# before fan-out
# --------------------------------------------------------------------------------------
def ensure_students(url: str, students, course_id: str | None = None) -> int:
    """Create the students of ``students`` missing from the gradebook; return how many."""
    from nbgrader.api import Student

    with unavailable_as_error(url, "read"), _gradebook(url, course_id) as gb:
        known = {s.id for s in gb.db.query(Student.id)}
        new = sorted(set(students) - known)
        for sid in new:
            gb.db.add(Student(id=sid))
        if new:
            gb.db.commit()
    return len(new)


def template(url: str, assignment: str, course_id: str | None = None) -> bytes:
    """The definition of ``assignment`` in the gradebook at ``url``, as a SQLite file's bytes.

    Notebooks, grade, solution and task cells and the source cells (which hold the hidden
    tests nbgrader writes back into the notebook it grades); no student. Raises
    ``ValueError`` when the gradebook does not know the assignment (generate it first).
    """
    from nbgrader.api import Assignment, Base, MissingEntry
    from sqlalchemy import create_engine, text

    with tempfile.TemporaryDirectory(prefix="nnmath-template-") as tmp:
        path = Path(tmp) / "gradebook.db"
        dst_url = f"sqlite:///{path}"
        with unavailable_as_error(url, "read"), _gradebook(url, course_id) as src:
            try:
                a = src.find_assignment(assignment)
            except MissingEntry:
                raise ValueError(f"assignment {assignment!r} is not in the gradebook "
                                 f"{safe_url(url)}: generate it first") from None
            version = src.db.execute(text("SELECT version_num FROM alembic_version")).scalar()
            engine = create_engine(dst_url, future=True)
            Base.metadata.create_all(bind=engine)
            with engine.begin() as conn:     # so nbgrader does not run alembic to stamp it
                conn.execute(text("CREATE TABLE alembic_version (version_num VARCHAR(32) NOT NULL)"))
                conn.execute(text("INSERT INTO alembic_version VALUES (:v)"), {"v": version})
            engine.dispose()
            with _gradebook(dst_url, course_id) as dst:
                dst.db.add(Assignment(name=a.name, duedate=a.duedate, course_id=dst.course_id))
                dst.db.commit()
                _copy_cells(a, dst)
        return path.read_bytes()


def _copy_cells(a, dst) -> None:
    from nbgrader.api import GradeCell, Notebook, SolutionCell, SourceCell, TaskCell

    target = dst.find_assignment(a.name)
    for nb in a.notebooks:
        new = Notebook(name=nb.name, assignment=target)
        for c in nb.grade_cells:
            GradeCell(name=c.name, max_score=c.max_score, cell_type=c.cell_type, notebook=new)
        for c in nb.solution_cells:
            SolutionCell(name=c.name, notebook=new)
        for c in nb.task_cells:
            TaskCell(name=c.name, max_score=c.max_score, cell_type=c.cell_type, notebook=new)
        for c in nb.source_cells:
            SourceCell(name=c.name, cell_type=c.cell_type, locked=c.locked, source=c.source,
                       checksum=c.checksum, notebook=new)
        dst.db.add(new)
    dst.db.commit()


# --------------------------------------------------------------------------------------
# in a grader
# --------------------------------------------------------------------------------------
def private_copy(template_bytes: bytes, folder: Path) -> str:
    """Write a grader's own gradebook (a copy of the template) into ``folder``; its URL."""
    path = Path(folder) / "gradebook.db"
    path.write_bytes(template_bytes)
    return f"sqlite:///{path}"


def read_submission(url: str, assignment: str, student: str) -> dict | None:
    """What autograde recorded for one submission in a grader's private gradebook.

    Returns
    -------
    dict or None
        ``{"timestamp": ISO str or None, "grades": {notebook: {grade id: auto score}},
        "comments": {notebook: {grade id: auto comment}}}``; None when autograde recorded
        no submission.
    """
    from nbgrader.api import MissingEntry

    with _gradebook(url) as gb:
        try:
            sub = gb.find_submission(assignment, student)
        except MissingEntry:
            return None
        out = {"timestamp": sub.timestamp.isoformat() if sub.timestamp else None,
               "grades": {}, "comments": {}}
        for nb in sub.notebooks:
            out["grades"][nb.name] = {g.name: g.auto_score for g in nb.grades}
            out["comments"][nb.name] = {c.name: c.auto_comment for c in nb.comments}
    return out


# --------------------------------------------------------------------------------------
# the coordinator's write
# --------------------------------------------------------------------------------------
def write_submission(gb, assignment: str, student: str, record: dict) -> None:
    """Write one grader's ``record`` (:func:`read_submission`) into ``gb`` in one transaction.

    Mirrors nbgrader's own autograde: the submission (with its timestamp) and its notebooks,
    grades and comments are created if missing; every auto score and auto comment is set; a
    grade with a manual score, or without an auto score, needs a manual grade. A manual
    score is never touched. Writing the same record twice gives the same rows.
    """
    from nbgrader import utils
    from nbgrader.api import Comment, Grade, MissingEntry, SubmittedAssignment, SubmittedNotebook

    db = gb.db
    stamp = utils.parse_utc(record["timestamp"]) if record.get("timestamp") else None
    try:
        with db.no_autoflush:
            try:
                sub = gb.find_submission(assignment, student)
                if stamp is not None:
                    sub.timestamp = stamp
            except MissingEntry:
                sub = SubmittedAssignment(assignment=gb.find_assignment(assignment),
                                          student=gb.find_student(student), timestamp=stamp)
                for notebook in sub.assignment.notebooks:
                    nb = SubmittedNotebook(notebook=notebook, assignment=sub)
                    for cell in notebook.grade_cells:
                        Grade(cell_id=cell.id, notebook=nb)
                    for cell in notebook.solution_cells:
                        Comment(cell_id=cell.id, notebook=nb)
                    for cell in notebook.task_cells:
                        Comment(cell_id=cell.id, notebook=nb)
                        Grade(cell_id=cell.id, notebook=nb)
                db.add(sub)
        db.flush()
        for nb in sub.notebooks:
            grades = record["grades"].get(nb.name, {})
            for g in nb.grades:
                if g.name in grades:
                    g.auto_score = grades[g.name]
                    g.needs_manual_grade = g.manual_score is not None or g.auto_score is None
            comments = record["comments"].get(nb.name, {})
            for c in nb.comments:
                if c.name in comments:
                    c.auto_comment = comments[c.name]
        db.commit()
    except BaseException:
        db.rollback()
        raise


class Writer:
    """The coordinator's one session on the course's gradebook (see :func:`write_submission`)."""

    def __init__(self, url: str, course_id: str | None = None):
        self.url = url
        with unavailable_as_error(url, "opened"):
            self.gb = _gradebook(url, course_id)

    def write(self, assignment: str, student: str, record: dict) -> None:
        with unavailable_as_error(self.url, "written"):
            try:
                write_submission(self.gb, assignment, student, record)
            finally:
                self.gb.db.expunge_all()     # the session stays small over a whole class

    def close(self) -> None:
        with contextlib.suppress(Exception):
            self.gb.close()
        with contextlib.suppress(Exception):
            self.gb.engine.dispose()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


def _gradebook(url: str, course_id: str | None = None):
    from nbgrader.api import Gradebook

    import course_config as cc

    return Gradebook(url, course_id or cc.COURSE_ID)


# --------------------------------------------------------------------------------------
# one coordinator per assignment
# --------------------------------------------------------------------------------------
def _lock_key(assignment: str) -> int:
    """A signed 64-bit key of the assignment (PostgreSQL advisory locks take a bigint)."""
    digest = hashlib.sha256(f"nnmath-grade:{assignment}".encode()).digest()
    return int.from_bytes(digest[:8], "big", signed=True)


@contextlib.contextmanager
def coordinator_lock(url: str, assignments, lock_dir: Path | None = None):
    """Hold the grading lock of every assignment of ``assignments`` in the gradebook ``url``.

    PostgreSQL: a session advisory lock per assignment, held by one connection for the whole
    run (the server drops it if the coordinator dies). SQLite: ``fcntl`` locks on files next
    to the gradebook file (or in ``lock_dir``); the kernel drops them when the process dies.
    Raises :class:`GradingLocked` when another coordinator holds one of them.
    """
    assignments = sorted(set(assignments))
    if is_sqlite(url):
        path = sqlite_path(url)
        folder = Path(lock_dir) if lock_dir is not None else (path.parent if path else Path(tempfile.gettempdir()))
        stem = path.name if path else "memory"
        folder.mkdir(parents=True, exist_ok=True)
        with contextlib.ExitStack() as stack:
            for aid in assignments:
                lock = folder / f".{stem}.{aid}.lock"
                fd = os.open(lock, os.O_RDWR | os.O_CREAT, 0o644)
                stack.callback(os.close, fd)
                try:
                    fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                except BlockingIOError:
                    holder = os.pread(fd, 64, 0).decode(errors="replace").strip() or "?"
                    raise GradingLocked(
                        f"{aid} is being graded into {safe_url(url)} by another grader "
                        f"(pid {holder}); wait for it to finish") from None
                os.ftruncate(fd, 0)
                os.pwrite(fd, str(os.getpid()).encode(), 0)
            yield
        return
    from sqlalchemy import create_engine, text

    engine = create_engine(url, future=True, pool_size=1, max_overflow=0)
    try:
        with unavailable_as_error(url, "locked"):
            conn = engine.connect()
        try:
            for aid in assignments:
                with unavailable_as_error(url, "locked"):
                    got = conn.execute(text("SELECT pg_try_advisory_lock(:k)"),
                                       {"k": _lock_key(aid)}).scalar()
                    conn.commit()
                if not got:
                    raise GradingLocked(f"{aid} is being graded into {safe_url(url)} by another "
                                        "grader (its advisory lock is held); wait for it to finish")
            yield
        finally:
            with contextlib.suppress(Exception):
                conn.close()     # closing the session releases its advisory locks
    finally:
        with contextlib.suppress(Exception):
            engine.dispose()

