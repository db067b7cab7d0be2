"""``export``: one CSV row per student x question, with a ``status`` that never hides an error.

Columns: ``student, assignment, question, score, max_score, status, reason, mistake``.

``status`` of a row:

- ``graded`` — scored by the autograder (or, for a written answer, by a human in formgrader);
- ``pending`` — a manually graded answer without a manual score in nbgrader's gradebook yet;
- ``errored`` — the question (or the whole notebook) could not be graded; ``reason`` says why;
- ``flagged`` — suspected tampering, for the instructor to review; ``reason`` says what;
- ``missing`` — no submission from this student (or the question's cell is gone).

The results store (:mod:`autograder.results`) is the source of every status; the gradebook
adds the manual scores. Students are the union of the gradebook's students, everyone with a
result and everyone with a folder in ``submitted/``: a student without a submission gets
``missing`` rows instead of disappearing from the sheet.
"""
from __future__ import annotations

import csv
from pathlib import Path

import nbformat

import course_config as cc
from autograder import cells
from autograder import results as rs
from autograder.course import gradebook_url
from autograder.release import course_root, resolve_assignments

COLUMNS = ["student", "assignment", "question", "score", "max_score", "status", "reason",
           "mistake"]
PENDING_REASON = "written answer awaiting manual grading in formgrader"


def question_points(assignment: str, root=None) -> dict[str, float]:
    """Question -> max points, from the grade cells of the source (or release) notebooks.

    Test cells ``test_<name>`` count for question ``<name>``, other grade cells (written
    answers) under their own grade id. Falls back to ``course_config.POINTS``.
    """
    root = course_root(root)
    out = {}
    for folder in (root / "source" / assignment, root / "release" / assignment):
        for path in sorted(folder.glob("*.ipynb")):
            nb = nbformat.read(str(path), as_version=4)
            out.update({q: v["max_score"] for q, v in cells.release_questions(nb).items()})
        if out:
            return out
    return {k: float(v) for k, v in cc.POINTS.get(assignment, {}).items()}


def is_manual(question: str) -> bool:
    """Written answers (graded by hand) have grade ids ``answer_<topic>``."""
    return cells.is_written_answer(question)


def manual_scores(assignment: str, root=None, db_url=None) -> dict[tuple[str, str], float]:
    """``(student, question) -> manual score`` of every answer graded in formgrader."""
    from nbgrader.api import Gradebook, MissingEntry

    root = course_root(root)
    db_url = db_url or gradebook_url(root)
    out = {}
    try:
        gb = Gradebook(db_url, cc.COURSE_ID)
    except Exception:
        return out
    try:
        try:
            asg = gb.find_assignment(assignment)
        except MissingEntry:
            return out
        for sub in asg.submissions:
            for nb in sub.notebooks:
                for grade in nb.grades:
                    if grade.manual_score is not None:
                        out[(sub.student.id, grade.name)] = float(grade.manual_score)
    finally:
        gb.close()
    return out


def known_students(root=None, db_url=None) -> set[str]:
    """Students in the gradebook, in ``submitted/`` or in the results store."""
    from nbgrader.api import Gradebook

    root = course_root(root)
    out = {r["student"] for r in rs.load_results(root=root)}
    sub = root / "submitted"
    if sub.is_dir():
        out |= {p.name for p in sub.iterdir() if p.is_dir()}
    db_url = db_url or gradebook_url(root)
    try:
        with Gradebook(db_url, cc.COURSE_ID) as gb:
            out |= {s.id for s in gb.students}
    except Exception:
        pass
    return out


def rows(assignments=None, root=None, db_url=None, students=None) -> list[dict]:
    """The export's rows (dicts keyed by :data:`COLUMNS`), sorted by assignment, student."""
    root = course_root(root)
    ids = resolve_assignments(assignments, root)
    everyone = sorted(students if students is not None else known_students(root, db_url))
    out = []
    for aid in ids:
        points = question_points(aid, root)
        manual = manual_scores(aid, root, db_url)
        for student in everyone:
            result = rs.read_result(aid, student, root)
            out += _rows_of(aid, student, result, points, manual)
    return out


def _rows_of(aid, student, result, points, manual) -> list[dict]:
    out = []
    if result is None:
        for q, pts in points.items():
            out.append(_row(student, aid, q, 0.0, pts, "missing", "no submission", None))
        return out
    qres = result.get("questions", {})
    names = list(points) + [q for q in qres if q not in points]
    for q in names:
        entry = qres.get(q)
        max_score = float(points.get(q, entry["max_score"] if entry else 0.0))
        if entry is None:
            status = result["status"] if result["status"] != "graded" else "missing"
            reason = result.get("reason") or "question not found in the graded notebook"
            out.append(_row(student, aid, q, 0.0, max_score, status, reason, None))
            continue
        status, score = entry["status"], float(entry["score"])
        reason = entry.get("message") if status != "graded" else None
        if status != "graded" and not reason:
            reason = result.get("reason")
        if is_manual(q) and status in ("pending", "graded"):
            if (student, q) in manual:
                status, score, reason = "graded", manual[(student, q)], None
            else:
                status, score, reason = "pending", 0.0, PENDING_REASON
        out.append(_row(student, aid, q, score, max_score, status, reason, entry.get("mistake")))
    return out


def _row(student, aid, q, score, max_score, status, reason, mistake) -> dict:
    return {"student": student, "assignment": aid, "question": q, "score": float(score),
            "max_score": float(max_score), "status": status, "reason": reason or "",
            "mistake": mistake or ""}


def export(assignments=None, root=None, out=None, db_url=None) -> Path:
    """Write the CSV (default ``<root>/exports/grades.csv``) and return its path."""
    root = course_root(root)
    path = Path(out) if out is not None else root / "exports" / "grades.csv"
    path.parent.mkdir(parents=True, exist_ok=True)
    data = rows(assignments, root, db_url)
    tmp = path.with_suffix(".csv.tmp")
    with open(tmp, "w", newline="", encoding="utf-8") as f:
        writer = csv.DictWriter(f, fieldnames=COLUMNS)
        writer.writeheader()
        for row in data:
            writer.writerow({**row, "score": f"{row['score']:g}",
                             "max_score": f"{row['max_score']:g}"})
    tmp.replace(path)
    return path


def read_csv(path) -> list[dict]:
    """Rows of an exported CSV (scores as floats)."""
    with open(path, newline="", encoding="utf-8") as f:
        return [{**r, "score": float(r["score"]), "max_score": float(r["max_score"])}
                for r in csv.DictReader(f)]
