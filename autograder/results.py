"""The results store: one JSON file per student x assignment, the single source of truth.

``<root>/grades/<assignment>/<student>.json``::

    {"student": str, "assignment": str,
     "status": "graded" | "missing" | "errored" | "flagged",
     "reason": str | None,
     "questions": {name: {"score": float, "max_score": float,
                          "status": "graded" | "errored" | "flagged" | "pending" | "missing",
                          "mistake": str | None, "message": str | None}},
     "graded_at": ISO 8601 UTC str, "seconds": float}

Files are written atomically (temporary file in the same folder, then ``os.replace``) by the
coordinator alone (:class:`autograder.grade.Recorder`, after the task's gradebook rows), so a
crash or Ctrl-C leaves either the old or the new complete file, never half of one, and a file
means the task is recorded everywhere.
"""
from __future__ import annotations

import datetime as _dt
import json
import os
import tempfile
from pathlib import Path

import course_config as cc

#: Status of a whole submission.
STATUSES = ("graded", "missing", "errored", "flagged")
#: Status of one question.
QUESTION_STATUSES = ("graded", "errored", "flagged", "pending", "missing")


def _root(root) -> Path:
    return Path(root if root is not None else cc.COURSE_ROOT).resolve()


def grades_dir(root=None) -> Path:
    """``<root>/grades``."""
    return _root(root) / "grades"


def result_path(assignment: str, student: str, root=None) -> Path:
    """``<root>/grades/<assignment>/<student>.json``."""
    for part, what in ((assignment, "assignment"), (student, "student")):
        if not part or "/" in part or part.startswith("."):
            raise ValueError(f"invalid {what} id {part!r}")
    return grades_dir(root) / assignment / f"{student}.json"


def question(score: float, max_score: float, status: str = "graded", mistake: str | None = None,
             message: str | None = None) -> dict:
    """One question's entry; ``ValueError`` for an unknown status or a score out of range."""
    if status not in QUESTION_STATUSES:
        raise ValueError(f"question status {status!r} not in {QUESTION_STATUSES}")
    score, max_score = float(score), float(max_score)
    if max_score < 0 or not (0 <= score <= max_score):
        raise ValueError(f"score {score} outside [0, max_score={max_score}]")
    return {"score": score, "max_score": max_score, "status": status,
            "mistake": mistake, "message": message}


def new_result(student: str, assignment: str, status: str, reason: str | None = None,
               questions: dict | None = None, seconds: float | None = None) -> dict:
    """A result dict in the store's format (validated); ``graded_at`` is now (UTC)."""
    result = {
        "student": student,
        "assignment": assignment,
        "status": status,
        "reason": reason,
        "questions": dict(questions or {}),
        "graded_at": _dt.datetime.now(_dt.UTC).isoformat(timespec="seconds"),
        "seconds": None if seconds is None else float(seconds),
    }
    validate(result)
    return result


def validate(result: dict) -> None:
    """``ValueError`` naming the first problem of a result dict."""
    for key in ("student", "assignment", "status", "reason", "questions"):
        if key not in result:
            raise ValueError(f"result lacks key {key!r}")
    if result["status"] not in STATUSES:
        raise ValueError(f"status {result['status']!r} not in {STATUSES}")
    if result["status"] in ("errored", "flagged", "missing") and not result.get("reason"):
        raise ValueError(f"status {result['status']!r} needs a reason")
    for name, q in result["questions"].items():
        if q.get("status") not in QUESTION_STATUSES:
            raise ValueError(f"question {name!r}: status {q.get('status')!r}")
        if not (0 <= float(q["score"]) <= float(q["max_score"])):
            raise ValueError(f"question {name!r}: score {q['score']} > max {q['max_score']}")


def write_result(result: dict, root=None) -> Path:
    """Write ``result`` atomically to its file in the store; return the path."""
    validate(result)
    path = result_path(result["assignment"], result["student"], root)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.stem}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            json.dump(result, f, indent=1, sort_keys=True)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except FileNotFoundError:
            pass
        raise
    return path


def read_result(assignment: str, student: str, root=None) -> dict | None:
    """The stored result, or ``None`` if there is none (or it is unreadable)."""
    path = result_path(assignment, student, root)
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (FileNotFoundError, json.JSONDecodeError):
        return None


def load_results(assignments=None, students=None, root=None) -> list[dict]:
    """Every stored result, optionally only of some assignments/students; sorted."""
    base = grades_dir(root)
    out = []
    if not base.is_dir():
        return out
    for folder in sorted(p for p in base.iterdir() if p.is_dir()):
        if assignments and folder.name not in assignments:
            continue
        for path in sorted(folder.glob("*.json")):
            if students and path.stem not in students:
                continue
            try:
                out.append(json.loads(path.read_text(encoding="utf-8")))
            except json.JSONDecodeError:
                continue
    order = {a: i for i, a in enumerate(cc.ASSIGNMENT_IDS)}
    out.sort(key=lambda r: (order.get(r["assignment"], len(order)), r["assignment"], r["student"]))
    return out


def totals(result: dict) -> tuple[float, float]:
    """``(score, max_score)`` summed over the questions of one result."""
    qs = result.get("questions", {}).values()
    return (sum(float(q["score"]) for q in qs), sum(float(q["max_score"]) for q in qs))


def summary_rows(results) -> list[dict]:
    """One row per result: student, assignment, score ``"x/y"``, status (+ reason)."""
    rows = []
    for r in results:
        if r is None:
            continue
        score, max_score = totals(r)
        status = r["status"]
        if r.get("reason") and status != "graded":
            status = f"{status}: {r['reason']}"
        pending = [n for n, q in r.get("questions", {}).items() if q["status"] == "pending"]
        rows.append({"student": r["student"], "assignment": r["assignment"],
                     "score": f"{score:g}/{max_score:g}", "status": status,
                     "pending": len(pending)})
    return rows


def format_table(rows, columns, max_width: int = 70) -> str:
    """A plain-text table of ``rows`` (dicts) with the given ``columns``."""
    cells = [[str(c) for c in columns]]
    for row in rows:
        vals = []
        for c in columns:
            v = str(row.get(c, "") if row.get(c) is not None else "")
            v = v.replace("\n", " ")
            vals.append(v if len(v) <= max_width else v[: max_width - 1] + "…")
        cells.append(vals)
    widths = [max(len(r[i]) for r in cells) for i in range(len(columns))]
    lines = ["  ".join(v.ljust(w) for v, w in zip(r, widths)).rstrip() for r in cells]
    lines.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(lines)
