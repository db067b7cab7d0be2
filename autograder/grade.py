"""Resumable autograding of submissions: one task = one (student, assignment).

:func:`grade` finds the tasks that have no result yet and runs :func:`grade_task` for each in
the local worker pool (:mod:`autograder.pool`). A task is made of small steps, one module each:

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
5. the result is written atomically to the store (:mod:`autograder.results`).

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

import nbformat

from autograder import cells, pool
from autograder import results as store
from autograder.course import Course, tools_on_path
from autograder.kernel_run import PreflightError, RunOutcome, _run_nbgrader, preflight
from autograder.repair import prevalidate
from autograder.scoring import score
from solutions_lib.grading import scan_source

__all__ = ["grade", "grade_task", "preflight", "PreflightError", "MAX_SALVAGE_ROUNDS", "MAX_KERNEL_RESTARTS"]

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
          unsandboxed=False):
    """Autograde submissions in parallel into the results store.

    Parameters
    ----------
    assignments : str or list of str
        Assignment ids.
    students : list of str, optional
        Only these students (default: every student with a submission, plus gradebook
        students without one, recorded as ``missing``).
    jobs : int, optional
        Worker processes (default ``os.cpu_count()``).
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

    Returns
    -------
    list of dict
        The result of every requested task (newly graded or already stored), in the store's
        format, sorted by assignment then student.
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
    tasks = [(sid, aid) for aid in assignments for sid in roster[aid]
             if force or store.read_result(aid, sid, course.root) is None]
    if tasks:
        pool.run_tasks(tasks, jobs, course.root, progress,
                       task=functools.partial(grade_task, unsandboxed=bool(unsandboxed)),
                       before=lambda: preflight(course.root, unsandboxed=bool(unsandboxed)))
    out = []
    for aid in assignments:
        for sid in roster[aid]:
            r = store.read_result(aid, sid, course.root)
            if r is not None:
                out.append(r)
    return out


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


def grade_task(student: str, aid: str, root, worker: int = 0, unsandboxed: bool = False) -> dict:
    """Grade one student's one assignment and write its result; never raises for the student."""
    course = Course.at(root)
    t0 = time.monotonic()
    release = {p.stem: nbformat.read(str(p), as_version=4) for p in course.release_notebooks(aid)}
    qs = {}
    for nb in release.values():
        qs.update(cells.release_questions(nb))
    sub_dir = course.folder("submitted") / student / aid
    try:
        if not sub_dir.is_dir() or not any(sub_dir.glob("*.ipynb")):
            result = _missing_result(student, aid, qs, "no submission")
        else:
            result = _grade_submission(student, aid, course, release, qs, worker, unsandboxed)
    except Exception as exc:   # a grader bug must cost this task only, with the reason
        tb = traceback.format_exc(limit=3)
        result = _missing_result(student, aid, qs, f"grader error: {exc!r}", status="errored")
        result["reason"] = f"grader error: {exc!r} | {tb.splitlines()[-1]}"
    result["seconds"] = round(time.monotonic() - t0, 3)
    if pool.STOP.is_set():
        # Ctrl-C arrived while grading (nbgrader swallows KeyboardInterrupt): this result may
        # be an artefact of the interruption, so it is not stored; a re-run grades it again.
        raise KeyboardInterrupt
    store.write_result(result, course.root)
    return result


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

