"""Scores of one graded task: the gradebook's numbers, the checker's words, the signed verdicts.

After nbgrader's autograde of a repaired submission, :func:`score` builds the task's result:
the points nbgrader recorded (:func:`read_scores`), the checker's messages from the autograded
notebook (:func:`add_messages`), the reconciliation with the verifier's signed verdicts
(:func:`apply_verdicts`: a test that passed in the kernel without a passing signed verdict is
``flagged``), and the flags of pre-validation and of the static scan.

One rule for flags, wherever they come from (pre-validation, the verifier, the scan): a flagged
question scores 0 until an instructor reviews it.
"""
from __future__ import annotations

import re
from pathlib import Path

import nbformat

import course_config as cc
from autograder import cells
from autograder import results as store
from autograder.course import Course
from solutions_lib.grading import reconcile


def limit_error(enames: set):
    """Reason when an answer cell hit a grading limit (None otherwise)."""
    if enames & {"CellTimeoutError", "TimeoutError"} or "KeyboardInterrupt" in enames:
        return f"cell time limit ({cc.CELL_TIMEOUT_S} s) exceeded, the cell was interrupted"
    if "MemoryError" in enames:
        return f"memory limit ({cc.KERNEL_MEMORY_MB} MiB) exceeded"
    if "BlockingIOError" in enames:
        return f"process limit ({cc.KERNEL_MAX_PROCESSES}) exceeded"
    return None


def read_scores(student: str, aid: str, course: Course, qs: dict) -> dict:
    """question -> entry of the points nbgrader recorded for ``student``'s ``aid``."""
    from nbgrader.api import Gradebook

    out = {}
    with Gradebook(course.gradebook_url) as gb:
        sub = gb.find_submission(aid, student)
        for nb in sub.notebooks:
            for g in nb.grades:
                q = cells.question_of(g.name)
                maxs = float(qs.get(q, {}).get("max_score", g.max_score or 0))
                if g.cell_type == "markdown" or (qs.get(q, {}).get("manual")):
                    if g.manual_score is None:
                        out[q] = dict(score=0.0, max_score=maxs, status="pending",
                                      mistake=None, message="awaiting manual grading")
                    else:
                        out[q] = dict(score=min(float(g.score), maxs), max_score=maxs,
                                      status="graded", mistake=None, message=None)
                else:
                    out[q] = dict(score=min(float(g.score or 0.0), maxs), max_score=maxs,
                                  status="graded", mistake=None, message=None)
    return out


def add_messages(questions: dict, autograded: Path) -> None:
    """Add the checker's last words (and limit errors of answer cells) to ``questions``."""
    for path in autograded.glob("*.ipynb"):
        try:
            nb = nbformat.read(str(path), as_version=4)
        except Exception:
            continue
        for cell in nb.cells:
            gid = cells.nbgrader(cell).get("grade_id", "")
            q = cells.question_of(gid)
            if q not in questions or cell.cell_type != "code":
                continue
            msgs = []
            if not gid.startswith(cells.TEST_PREFIX):
                enames = {o.get("ename") for o in cell.get("outputs", [])
                          if o.get("output_type") == "error"}
                why = limit_error(enames)
                if why and questions[q]["status"] == "graded":
                    questions[q]["status"] = "errored"
                    questions[q]["message"] = f"your answer cell: {why}"
                continue
            for o in cell.get("outputs", []):
                if o.get("output_type") == "error":
                    msgs.append(f"{o.get('ename')}: {o.get('evalue')}"[:500])
                elif o.get("output_type") == "stream" and o.get("name") == "stdout":
                    lines = [ln for ln in o.get("text", "").splitlines() if ln.strip()]
                    if lines:
                        msgs.append(lines[-1][:300])
            if msgs:
                text = " | ".join(msgs[-2:])
                if questions[q]["status"] == "errored" and questions[q].get("message"):
                    text = f"{questions[q]['message']} | {text}"
                questions[q]["message"] = text


#: a verifier verdict saying the reference itself could not be imported: the grader's fault
_REFERENCE_BROKEN = re.compile(r"No module named '?solutions_lib\.(?!grading)")


def apply_verdicts(questions: dict, verdicts) -> None:
    """Signed verdicts decide: a test nbgrader passed without a passing verdict is flagged.

    Uses :func:`solutions_lib.grading.reconcile` (the checker's own rule); a flagged question
    scores 0 until an instructor reviews it.

    Parameters
    ----------
    questions : dict
        question -> entry (``score``, ``max_score``, ``status``, ``mistake``, ``message``),
        changed in place.
    verdicts : list of Verdict
        The verifier's authenticated verdicts, in order.
    """
    auto = {q: e for q, e in questions.items() if e["status"] != "pending"}
    cell_passed = {q: e["score"] >= e["max_score"] > 0 for q, e in auto.items()}
    last = {v.name: v for v in verdicts}
    for q, (status, reason) in reconcile(cell_passed, verdicts).items():
        entry = auto[q]
        v = last.get(q)
        if v is not None and not v.passed:
            entry["mistake"] = v.mistake
            msg = (v.message or "").strip()
            if msg:
                entry["message"] = msg if entry["status"] == "graded" else (
                    f"{entry['message']} | {msg}" if entry.get("message") else msg)
            if _REFERENCE_BROKEN.search(v.message or ""):
                # the verifier could not run the reference: a grader fault, not the student's 0
                entry.update(status="errored", score=0.0,
                             message="grader error (reference unavailable in the verifier): " + msg[:300])
                continue
        if status == "flagged":
            entry.update(status="flagged", score=0.0, message=f"suspected tampering: {reason}")
        elif status == "failed" and entry["score"] > 0 and entry["score"] >= entry["max_score"]:
            entry["score"] = 0.0


def score(student: str, aid: str, course: Course, qs: dict, run, findings) -> dict:
    """The result of one task whose autograde run succeeded.

    Parameters
    ----------
    student, aid : str
        The task.
    course : Course
        Where the gradebook and the autograded notebooks are.
    qs : dict
        The release's questions (:func:`autograder.cells.release_questions`).
    run : outcome of the kernel run
        Its ``verdicts`` (signed, in order) and ``forged`` lines.
    findings : Findings
        What pre-validation, the scan and the salvage rounds found (flags, stubbed cells, errors).

    Returns
    -------
    dict
        A result in the store's format (:func:`autograder.results.new_result`).
    """
    questions = read_scores(student, aid, course, qs)
    add_messages(questions, course.folder("autograded") / student / aid)
    apply_verdicts(questions, run.verdicts)
    for q, why in findings.stubbed.items():
        if q in questions:
            questions[q].update(status="errored", score=0.0,
                                message=f"{why}; the cell was removed and the rest graded")
    for q, why in findings.flags.items():
        if q in questions:
            previous = questions[q].get("message")
            questions[q].update(status="flagged", score=0.0,
                                message=why + (f" | {previous}" if previous else ""))
    for gid, signals in findings.scan_flags.items():
        q = cells.question_of(gid)
        if q in questions:
            questions[q].update(status="flagged", score=0.0,
                                message=f"suspected tampering: {', '.join(signals)}")
    outside = list(findings.outside_flags)
    refused: dict = {}
    for name, cell in run.refusals:
        # a query the verifier refused (a name not graded in this notebook, or over the
        # budget): the question of the cell that made it, else the whole submission
        q = cells.question_of(cell[2]) if cell and cell[2] else None
        if q in questions and questions[q]["status"] != "pending":
            refused.setdefault(q, [])
            if name not in refused[q]:
                refused[q].append(name)
        else:
            outside.append(f"the verifier was asked for {name!r} outside any graded cell")
    for q, names in refused.items():
        previous = questions[q].get("message")
        why = ("suspected tampering: the verifier was asked for "
               f"{', '.join(repr(n) for n in names)}, refused in this notebook")
        questions[q].update(status="flagged", score=0.0,
                            message=why + (f" | {previous}" if previous else ""))
    if run.forged:
        outside.append(f"{len(run.forged)} forged or unsigned verifier line(s)")
    status, reason = "graded", None
    flagged = [q for q, v in questions.items() if v["status"] == "flagged"]
    errored = [q for q, v in questions.items() if v["status"] == "errored"]
    if outside:
        status = "flagged"
        reason = "suspected tampering outside answer cells: " + ", ".join(sorted(set(outside)))
    elif flagged:
        status, reason = "flagged", "; ".join(f"{q}: {questions[q]['message']}" for q in flagged)
    elif errored or findings.errors:
        status = "errored"
        reason = "; ".join(findings.errors + [f"{q}: {questions[q]['message']}" for q in errored])
    for q in qs:
        if q not in questions:
            questions[q] = store.question(0.0, qs[q]["max_score"], "errored", message="not in the gradebook")
    return store.new_result(student, aid, status, reason=reason,
                            questions={q: store.question(**v) for q, v in questions.items()})
