"""Resumable autograding of submissions: one task = one (student, assignment).

:func:`grade` is the coordinator: it finds the tasks that have no result yet, creates their
students in the gradebook, takes the week's grading lock (:mod:`autograder.gradebook`) and runs
:func:`evaluate` for each on an engine — the local worker pool (:mod:`autograder.pool`) or a
Dask cluster (:mod:`autograder.cluster`, ``scheduler=``). A grader works on the task as plain
data (:mod:`autograder.task`) in a private folder with a private gradebook and returns the
outcome; only the coordinator writes the course (:class:`Recorder`). A task is made of small
steps, one module each:

1. **pre-validation and repair** (:mod:`autograder.repair`): invalid JSON or a notebook of
   another assignment -> ``errored`` (that task only); deleted, duplicated or edited locked
   cells and changed nbgrader metadata -> those questions ``flagged``, and the notebook is
   rebuilt from the release with the student's answers, so nbgrader's "Inconsistent checksums"
   never aborts the student. The student's file in ``submitted/`` is not changed: nbgrader grades
   a repaired copy in ``<root>/.grading/submitted``. The static scan
   (:func:`solutions_lib.grading.scan_source`) flags tampering signals in the student's code;
2. **the kernel run** (:mod:`autograder.kernel_run`): the verifier first, then nbgrader's
   ``autograde`` in the sandbox kernel (:mod:`autograder.sandbox`) under the cell and notebook
   limits, returning a :class:`~autograder.kernel_run.RunOutcome`;
3. **salvage** (here): when the kernel died in a student's cell (``os._exit``, a limit, a
   crash) that cell is replaced by a stub that raises and the notebook is graded again — the
   questions that depended on it are ``errored`` with the reason, the others keep their scores.
   A run that failed before any cell ran, or while a locked cell of the release ran, is not the
   student's doing and is repeated with a new kernel (:data:`MAX_KERNEL_RESTARTS`);
4. **scoring** (:mod:`autograder.scoring`): the gradebook's points, the checker's messages, the
   signed verdicts (a test that passed without a passing verdict is ``flagged``) and the flags
   of step 1; a flagged question scores 0 until an instructor reviews it;
5. back in the coordinator: the autograded folder, the gradebook's rows (one transaction),
   then the result, atomically, to the store (:mod:`autograder.results`).

Re-running grades only tasks without a result file (``force`` regrades). Ctrl-C stops the
workers; finished results are kept.
"""
from __future__ import annotations

import functools
import os
import shutil
import time
import traceback
from dataclasses import dataclass, field
from pathlib import Path

import nbformat

from autograder import cells, gradebook, pool, task
from autograder import results as store
from autograder.course import Course, tools_on_path
from autograder.kernel_run import PreflightError, RunOutcome, _run_nbgrader, preflight
from autograder.repair import prevalidate
from autograder.scoring import score
from solutions_lib.grading import scan_source

__all__ = ["grade", "grade_task", "evaluate", "pool_task", "Recorder", "preflight", "PreflightError",
           "MAX_SALVAGE_ROUNDS", "MAX_KERNEL_RESTARTS"]

MAX_SALVAGE_ROUNDS = 3

#: How many times a run that failed outside the student's cells (before any cell ran, or in
#: a locked setup cell of the release) is repeated with a new kernel before
#: the task is ``errored``.
MAX_KERNEL_RESTARTS = 2

_STUB = ("raise RuntimeError('this cell was removed by the grader: {why}')\n")



@dataclass
class Findings:
    """What a task learnt about a submission outside the kernel's verdicts.

    Attributes
    ----------
    flags : dict
        question -> why pre-validation flagged it (tampered cells or metadata).
    scan_flags : dict
        grade id of an answer cell -> tampering signals of the static scan.
    outside_flags : list of str
        Signals in cells the student added outside the answer cells (the whole task is flagged).
    errors : list of str
        Notebooks of the assignment that could not be graded (missing, invalid).
    stubbed : dict
        question -> why its cell was replaced by a stub in a salvage round.
    """

    flags: dict = field(default_factory=dict)
    scan_flags: dict = field(default_factory=dict)
    outside_flags: list = field(default_factory=list)
    errors: list = field(default_factory=list)
    stubbed: dict = field(default_factory=dict)


def grade(assignments, students=None, jobs=None, root=None, progress=True, force=False,
          unsandboxed=False, scheduler=None):
    """Autograde submissions in parallel into the results store and the gradebook.

    This process is the coordinator: it creates the students in the gradebook, takes the
    grading lock of each assignment (:func:`autograder.gradebook.coordinator_lock`), fans the
    tasks out to the graders and writes every result they return — the autograded notebooks,
    the gradebook's rows (one session, one transaction per task), then the result file,
    which marks the task done. Graders never write the course.

    Parameters
    ----------
    assignments : str or list of str
        Assignment ids.
    students : list of str, optional
        Only these students (default: every student with a submission, plus gradebook
        students without one, recorded as ``missing``).
    jobs : int, optional
        Worker processes of the local pool (default ``os.cpu_count()``); ignored with
        ``scheduler``.
    root : path, optional
        Course root (default ``course_config.COURSE_ROOT``).
    progress : bool
        Progress bar with ETA on stderr.
    force : bool
        Regrade tasks that already have a result.
    unsandboxed : bool
        Grade without the kernel jail (:mod:`autograder.sandbox`) when it cannot be built;
        only on the instructor's explicit request (``--unsandboxed``): the pre-flight
        refuses otherwise.
    scheduler : str, optional
        Address of a Dask scheduler (``tcp://host:8786``) or a ``distributed.Client``: the
        tasks run on its workers (:mod:`autograder.cluster`) instead of the local pool.

    Returns
    -------
    list of dict
        The result of every requested task (newly graded or already stored), in the store's
        format, sorted by assignment then student.

    Raises
    ------
    autograder.gradebook.GradingLocked
        Another coordinator is grading one of the assignments into the same gradebook.
    autograder.gradebook.GradebookUnavailable
        The gradebook went away; the results written so far are kept, a re-run resumes.
    """
    if isinstance(assignments, str):
        assignments = [assignments]
    course = Course.at(root)
    jobs = max(1, int(jobs or os.cpu_count() or 1))
    tools_on_path()
    roster = {}
    for aid in assignments:
        if not course.release_notebooks(aid):
            raise ValueError(f"assignment {aid!r} has no release notebook in {course.folder('release')}")
        roster[aid] = sorted(set(students)) if students else course.students(aid)
    with gradebook.coordinator_lock(course.gradebook_url, assignments, lock_dir=_lock_dir(course)):
        tasks = [(sid, aid) for aid in assignments for sid in roster[aid]
                 if force or store.read_result(aid, sid, course.root) is None]
        if tasks:
            _fan_out(course, tasks, jobs, progress, bool(unsandboxed), scheduler)
    out = []
    for aid in assignments:
        for sid in roster[aid]:
            r = store.read_result(aid, sid, course.root)
            if r is not None:
                out.append(r)
    return out


def _lock_dir(course: Course):
    """Where the file locks of a SQLite gradebook live: next to it (None = its folder)."""
    return None if gradebook.sqlite_path(course.gradebook_url) else course.grading


def _fan_out(course: Course, tasks, jobs, progress, unsandboxed, scheduler) -> None:
    """Prepare the gradebook, run the tasks on the engine, record what comes back."""
    gradebook.ensure_students(course.gradebook_url, {sid for sid, _ in tasks})
    templates = {aid: gradebook.template(course.gradebook_url, aid) for _, aid in tasks}
    with Recorder(course) as recorder:
        if scheduler is not None:
            from autograder import cluster

            cluster.run_tasks(scheduler, course, tasks, templates, recorder.record, progress,
                              unsandboxed=unsandboxed)
            return
        course.grading.mkdir(parents=True, exist_ok=True)
        paths = {}
        for aid, data in templates.items():
            paths[aid] = course.grading / f"template-{aid}.db"
            paths[aid].write_bytes(data)
        pool.run_tasks(tasks, jobs, course.root, progress,
                       task=functools.partial(pool_task, templates=paths, unsandboxed=unsandboxed),
                       before=lambda: preflight(course.root, unsandboxed=unsandboxed),
                       on_result=recorder.record)


class Recorder:
    """The coordinator's writes: each task's outcome into the course, exactly once.

    :meth:`record` writes the autograded folder, the gradebook's rows (one session for the
    whole run, :class:`autograder.gradebook.Writer`) and last the result file (the mark of a
    finished task: a failure before it leaves the task to the next run). An outcome of a
    task already recorded in this run (same student, assignment and digest: a task repeated
    after its worker died) is ignored.
    """

    def __init__(self, course: Course):
        self.course = course
        self.writer = None
        self.seen: set = set()

    def __enter__(self):
        self.writer = gradebook.Writer(self.course.gradebook_url)
        return self

    def __exit__(self, *exc):
        if self.writer is not None:
            self.writer.close()

    def record(self, outcome: dict) -> str:
        """Write one outcome (see :func:`evaluate`); return the task's status."""
        result = outcome["result"]
        sid, aid = result["student"], result["assignment"]
        key = (sid, aid, outcome.get("digest"))
        if key in self.seen:
            return result["status"]
        done = self.course.folder("autograded") / sid / aid
        if outcome.get("autograded") is not None:
            task.write_folder(done, outcome["autograded"])
        elif outcome.get("ran") and done.exists():
            shutil.rmtree(done)     # as nbgrader does with the folder of a failed autograde
        if outcome.get("gradebook") is not None:
            self.writer.write(aid, sid, outcome["gradebook"])
        store.write_result(result, self.course.root)
        self.seen.add(key)
        return result["status"]


def pool_task(student: str, aid: str, root, worker: int = 0, templates=None,
              unsandboxed: bool = False) -> dict:
    """The local pool's job: pack the task from the shared course folder and grade it.

    Reads the course (the submission, the release, the template gradebook written by the
    coordinator) and writes nothing of it: the outcome goes back to the coordinator.
    """
    spec = task.pack(Course.at(root), student, aid)
    return evaluate(spec, Path(templates[aid]).read_bytes(), worker=worker,
                    unsandboxed=unsandboxed)


def grade_task(student: str, aid: str, root, worker: int = 0, unsandboxed: bool = False) -> dict:
    """Grade one student's one assignment in this process and record it; return the result.

    Coordinator and grader at once (the tests, a single regrade): the same steps as
    :func:`grade` for one task, without the pool and without the lock.
    """
    course = Course.at(root)
    gradebook.ensure_students(course.gradebook_url, [student])
    outcome = evaluate(task.pack(course, student, aid),
                       gradebook.template(course.gradebook_url, aid),
                       worker=worker, unsandboxed=unsandboxed)
    with Recorder(course) as recorder:
        recorder.record(outcome)
    return outcome["result"]


_SWEPT = []


def evaluate(spec: dict, template: bytes, worker: int = 0, unsandboxed: bool = False) -> dict:
    """Grade one packed task (:func:`autograder.task.pack`) in a private course folder.

    The grader's whole job, wherever it runs: nothing of the course is written, a private
    copy of the gradebook ``template`` receives nbgrader's writes. Never raises for the
    student (a grader bug costs this task only, with the reason).

    Returns
    -------
    dict
        ``result`` (the store's format), ``autograded`` (``{path: bytes}`` of the
        autograded folder, or None), ``gradebook`` (what autograde recorded,
        :func:`autograder.gradebook.read_submission`, or None), ``ran`` (autograde was
        started) and ``digest``.
    """
    if not _SWEPT:
        task.sweep_stale()      # what a killed grader left behind
        _SWEPT.append(True)
    sid, aid = spec["student"], spec["assignment"]
    t0 = time.monotonic()
    folder = task.new_folder()
    outcome = {"digest": spec.get("digest"), "autograded": None, "gradebook": None, "ran": False}
    try:
        qs = {}
        try:
            course = task.unpack(spec, folder, gradebook.private_copy(template, folder))
            release = {p.stem: nbformat.read(str(p), as_version=4)
                       for p in course.release_notebooks(aid)}
            for nb in release.values():
                qs.update(cells.release_questions(nb))
            sub_dir = course.folder("submitted") / sid / aid
            if not sub_dir.is_dir() or not any(sub_dir.glob("*.ipynb")):
                result = _missing_result(sid, aid, qs, "no submission")
            else:
                outcome["ran"] = True
                result = _grade_submission(sid, aid, course, release, qs, worker, unsandboxed)
                outcome["gradebook"] = gradebook.read_submission(course.gradebook_url, aid, sid)
                done = course.folder("autograded") / sid / aid
                outcome["autograded"] = task.read_folder(done) if done.is_dir() else None
        except Exception as exc:   # a grader bug must cost this task only, with the reason
            tb = traceback.format_exc(limit=3)
            result = _missing_result(sid, aid, qs, f"grader error: {exc!r}", status="errored")
            result["reason"] = f"grader error: {exc!r} | {tb.splitlines()[-1]}"
            outcome["gradebook"] = outcome["autograded"] = None
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    result["seconds"] = round(time.monotonic() - t0, 3)
    if pool.STOP.is_set():
        # Ctrl-C arrived while grading (nbgrader swallows KeyboardInterrupt): this result may
        # be an artefact of the interruption, so it is not returned; a re-run grades it again.
        raise KeyboardInterrupt
    outcome["result"] = result
    return outcome


def _scan(code: str) -> list:
    """Tampering signals of the static scan (none for code that does not parse)."""
    try:
        return list(scan_source(code))
    except SyntaxError:
        return []


def _missing_result(student, aid, qs, reason, status="missing"):
    questions = {q: store.question(0.0, v["max_score"], status="missing" if status == "missing"
                                   else "errored", message=reason) for q, v in qs.items()}
    return store.new_result(student, aid, status, reason=reason, questions=questions)


def _grade_submission(student, aid, course: Course, release, qs, worker, unsandboxed=False):
    sub_dir = course.folder("submitted") / student / aid
    stage = course.grading / "submitted" / student / aid
    if stage.exists():
        shutil.rmtree(stage)
    stage.mkdir(parents=True)
    for f in sub_dir.iterdir():
        if f.is_file() and f.suffix != ".ipynb":
            shutil.copy2(f, stage / f.name)
    # the week's own helper modules (drawing code, the data module) as released, whatever the
    # student handed in under those names: an LMS zip holds the notebook alone
    for f in course.folder("release").joinpath(aid).iterdir():
        if f.is_file() and f.suffix != ".ipynb":
            shutil.copy2(f, stage / f.name)
    found = Findings()
    repaired = {}
    for name, rel in release.items():
        path = sub_dir / f"{name}.ipynb"
        if not path.is_file():
            cands = sorted(sub_dir.glob("*.ipynb"))
            path = cands[0] if len(release) == 1 and len(cands) == 1 else None
        if path is None:
            found.errors.append(f"{name}.ipynb not submitted")
            continue
        text = path.read_text(encoding="utf-8", errors="replace")
        nb, err, fl = prevalidate(text, rel)
        if err:
            found.errors.append(err)
            continue
        found.flags.update(fl)
        repaired[name] = nb
        for cell in nb.cells:
            if cell.cell_type != "code":
                continue
            m = cells.nbgrader(cell)
            if m.get("locked") and not m.get("solution"):
                continue
            signals = _scan(cell.source)
            if signals and m.get("solution"):
                found.scan_flags[m["grade_id"]] = signals
            elif signals:
                found.outside_flags.extend(signals)
        nbformat.write(nb, str(stage / f"{name}.ipynb"))
    if not repaired:
        return _missing_result(student, aid, qs, "; ".join(found.errors), status="errored")

    outcome = None
    restarts = 0
    for _round in range(MAX_SALVAGE_ROUNDS + MAX_KERNEL_RESTARTS + 1):
        outcome = _run_nbgrader(student, aid, course.root, worker, unsandboxed=unsandboxed,
                                db_url=course.gradebook_url,
                                names=[q for q, v in qs.items() if v["grade_id"].startswith(cells.TEST_PREFIX)])
        if outcome.success:
            break
        culprit = outcome.culprit
        why = outcome.why
        if _round - restarts >= MAX_SALVAGE_ROUNDS:
            break
        if _not_the_students_cell(outcome, repaired) and restarts < MAX_KERNEL_RESTARTS:
            restarts += 1       # the grading kernel failed outside the student's cells: again
            continue
        if culprit is None:
            break
        hit = _stub_culprit(repaired, culprit, why)
        if hit is None:
            break
        found.stubbed[hit] = why
        for name, nb in repaired.items():
            nbformat.write(nb, str(stage / f"{name}.ipynb"))

    if not outcome.success:
        res = _missing_result(student, aid, qs, outcome.why, status="errored")
        for q, why in found.flags.items():
            if q in res["questions"]:
                res["questions"][q].update(status="flagged", message=why)
        return res
    return score(student, aid, course, qs, outcome, found)


def _not_the_students_cell(outcome: RunOutcome, repaired: dict) -> bool:
    """True when the run failed before any cell ran or while a locked setup cell ran.

    Neither is the student's doing (their cells had not run yet, or a cell of the release
    was running): the task is graded again with a new kernel instead of being lost. Time
    limits are never retried.
    """
    if outcome.success or outcome.failure not in ("kernel died", "nbgrader"):
        return False
    if not outcome.started:
        return True
    culprit = outcome.culprit
    if culprit is None:
        return False
    cid = culprit[1]
    for nb in repaired.values():
        for cell in nb.cells:
            if cell.get("id") == cid:
                return cells.is_locked_setup(cell)
    return False


def _stub_culprit(repaired: dict, culprit: tuple, why: str):
    """Replace the cell that killed the kernel by a raising stub; return its question."""
    index, cid, gid = culprit
    for nb in repaired.values():
        for cell in nb.cells:
            if cell.get("id") == cid or (gid and cells.nbgrader(cell).get("grade_id") == gid):
                m = cells.nbgrader(cell)
                target = cell
                if cells.is_test_cell(cell):
                    # the test cell ran the student's function: stub the answer cell instead
                    name = cells.question_of(m["grade_id"])
                    target = next((c for c in nb.cells if cells.nbgrader(c).get("grade_id") == name),
                                  None)
                    if target is None or target.get("_nnmath_stubbed"):
                        return None
                elif m.get("locked") and not m.get("solution"):
                    return None
                if target.source.startswith("raise RuntimeError('this cell was removed"):
                    return None
                target.source = _STUB.format(why=why.replace("'", ""))
                tg = cells.nbgrader(target).get("grade_id")
                return cells.question_of(tg) if tg else f"cell {index}"
    return None

