"""What the course's grader decided, shown in formgrader: a note on each question's cell.

nbgrader's formgrader shows, for every solution cell of a submission, a comment box whose
placeholder is the gradebook's ``Comment.auto_comment``. The course's grader decides more than
nbgrader's points: a question ``flagged`` (e.g. it imported the reference) or ``errored`` (a
kernel died in its cell), and the named mistake with the checker's message. :func:`annotate`
writes that decision into the ``auto_comment`` of the question's solution cell (the graded
name's code cell; the answer cell for a written answer), so an instructor grading in formgrader
reads it beside the student's code, not only in the CSV. The manual comment a grader types is
left untouched.
"""
from __future__ import annotations

from autograder.feedback import mistake_explanation, sanitize_text

#: Every note starts with this, so a reader knows who wrote it.
PREFIX = "nnmath grader:"


def note(entry: dict) -> str:
    """The note of one question's result entry, or '' when there is nothing to add."""
    status, mistake = entry.get("status"), entry.get("mistake")
    message = sanitize_text(entry.get("message")).strip()
    if status == "graded" and not mistake and (entry.get("score", 0) >= entry.get("max_score", 0)
                                                or not message):
        return ""
    if status == "pending":
        return ""
    parts = [f"{PREFIX} {status} ({entry.get('score', 0):g} / {entry.get('max_score', 0):g})"]
    if mistake:
        why = mistake_explanation(entry.get("question", ""), mistake)
        parts.append(f"recognised mistake {mistake}" + (f": {why}" if why else ""))
    if message:
        parts.append(message)
    return "\n".join(parts)


def annotate(results, db_url: str | None = None, root=None) -> int:
    """Write the note of every question of ``results`` into the gradebook; return how many.

    ``results``: the result dicts of :func:`autograder.grade.grade` (``student``,
    ``assignment``, ``questions``). A submission the gradebook does not have is skipped.
    """
    from nbgrader.api import Gradebook, MissingEntry

    from autograder.course import gradebook_url
    from autograder.release import course_root

    url = db_url or gradebook_url(course_root(root))
    written = 0
    with Gradebook(url) as gb:
        for result in results:
            try:
                sub = gb.find_submission(result["assignment"], result["student"])
            except MissingEntry:
                continue
            for nb in sub.notebooks:
                comments = {c.name: c for c in nb.comments}
                for question, entry in (result.get("questions") or {}).items():
                    comment = comments.get(question)
                    text = note(dict(entry, question=question))
                    if comment is not None and text and comment.auto_comment != text:
                        comment.auto_comment = text
                        written += 1
        gb.db.commit()
    return written
