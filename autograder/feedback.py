"""``feedback``: per-student HTML with the student's code, the score per question and the
checker's message — and neither hidden-test source nor reference code.

nbgrader's own ``generate_feedback`` renders the *autograded* notebook, whose test cells
nbgrader has restored from ``source/`` including the hidden tests (measured: they are
printed). So the HTML here is rendered by :func:`render_html` from

- the student's *submitted* notebook (their code and written answers; outputs are left out),
- the *release* version of every locked cell (visible tests, instructions),
- the results store (score, status, checker message per question),

after :func:`sanitize_text` removes anything between hidden-test markers, any line that
mentions ``solutions_lib`` and any solution region. nbgrader's ``generate_feedback`` still
runs (it writes ``timestamp.txt``/``submission_secret.txt`` that ``release_feedback`` and
students' ``fetch_feedback`` rely on), and its HTML is then replaced by ours, so what
reaches students through the exchange is the sanitized version too. :func:`leaks` is the
final check over every feedback file.
"""
from __future__ import annotations

import html
import re
import shutil
from pathlib import Path

import nbformat

from autograder import cells
from autograder import results as rs
from autograder.release import course_root, nbgrader_api, resolve_assignments

#: Text whose presence in a feedback file means a leak.
LEAK_PATTERNS = (
    "BEGIN HIDDEN TESTS", "END HIDDEN TESTS", "BEGIN SOLUTION", "END SOLUTION", "solutions_lib",
)
_HIDDEN = re.compile(r"#+\s*BEGIN HIDDEN TESTS.*?(#+\s*END HIDDEN TESTS[^\n]*\n?|\Z)", re.S)
_SOLUTION = re.compile(r"#+\s*BEGIN SOLUTION.*?(#+\s*END SOLUTION[^\n]*\n?|\Z)", re.S)


class FeedbackLeak(RuntimeError):
    """A feedback file contains text students must not see."""


def sanitize_text(text: str | None) -> str:
    """``text`` without hidden-test regions, solution regions, ``check(...)`` calls of the
    hidden tests, or any line mentioning ``solutions_lib``/``grading.check``."""
    if not text:
        return ""
    text = _HIDDEN.sub("", text)
    text = _SOLUTION.sub("", text)
    keep = []
    for line in text.splitlines():
        low = line.lower()
        if "solutions_lib" in low or "hidden tests" in low or re.search(r"\bcheck\(\s*['\"]", line):
            continue
        keep.append(line)
    return "\n".join(keep)


def leaks(text: str) -> list[str]:
    """The leak patterns found in ``text``."""
    found = [p for p in LEAK_PATTERNS if p in text]
    if re.search(r"\bcheck\(\s*(&quot;|&#x27;|['\"])", text):
        found.append("check(")
    return found


def _read_notebook(path: Path):
    try:
        return nbformat.read(str(path), as_version=4), None
    except Exception as exc:  # invalid JSON, wrong schema, unreadable
        return None, f"your notebook could not be read ({type(exc).__name__})"


def _release_cells(assignment, notebook, root) -> dict:
    path = course_root(root) / "release" / assignment / f"{notebook}.ipynb"
    nb, _ = _read_notebook(path)
    if nb is None:
        return {}
    return {cells.grade_id(c): c for c in nb.cells if cells.grade_id(c)}


_CSS = """
body{font-family:sans-serif;max-width:60em;margin:2em auto;color:#222}
pre{background:#f6f8fa;padding:.6em;border:1px solid #ddd;overflow-x:auto}
.q{border-left:4px solid #888;padding:.2em .8em;margin:1em 0}
.graded.full{border-color:#2a2}.graded{border-color:#d80}.errored,.flagged{border-color:#c22}
.pending,.missing{border-color:#888}.msg{white-space:pre-wrap;font-family:monospace}
table{border-collapse:collapse}td,th{border:1px solid #ccc;padding:.2em .6em}
"""


def _question_box(name, q) -> str:
    if q is None:
        return (f'<div class="q missing"><b>{html.escape(name)}</b>: not graded '
                "(the question's cell was not found)</div>")
    full = " full" if q["status"] == "graded" and q["score"] >= q["max_score"] else ""
    parts = [f'<div class="q {html.escape(q["status"])}{full}"><b>{html.escape(name)}</b>: '
             f'{q["score"]:g} / {q["max_score"]:g} — {html.escape(q["status"])}']
    if q.get("mistake"):
        parts.append(f'<br>Recognised mistake: <code>{html.escape(q["mistake"])}</code>')
    msg = sanitize_text(q.get("message"))
    if msg:
        parts.append(f'<div class="msg">{html.escape(msg)}</div>')
    parts.append("</div>")
    return "".join(parts)


def render_html(student: str, assignment: str, notebook: str, root=None) -> str:
    """The feedback page of one student's notebook (a complete HTML document)."""
    root = course_root(root)
    result = rs.read_result(assignment, student, root) or rs.new_result(
        student, assignment, "missing", reason="not graded yet")
    questions = result.get("questions", {})
    score, max_score = rs.totals(result)
    out = ["<!DOCTYPE html><html><head><meta charset='utf-8'>",
           f"<title>Feedback {html.escape(assignment)} — {html.escape(student)}</title>",
           f"<style>{_CSS}</style></head><body>",
           f"<h1>{html.escape(assignment)}: feedback for {html.escape(student)}</h1>",
           f"<p>Score: <b>{score:g} / {max_score:g}</b>; status: {html.escape(result['status'])}"]
    if result.get("reason") and result["status"] != "graded":
        out.append(f" — {html.escape(sanitize_text(result['reason']))}")
    out.append("</p><table><tr><th>question</th><th>score</th><th>status</th></tr>")
    for name, q in questions.items():
        out.append(f"<tr><td>{html.escape(name)}</td><td>{q['score']:g} / {q['max_score']:g}"
                   f"</td><td>{html.escape(q['status'])}</td></tr>")
    out.append("</table>")

    sub = root / "submitted" / student / assignment / f"{notebook}.ipynb"
    nb, error = _read_notebook(sub) if sub.exists() else (None, "no submitted notebook")
    shown = set()
    if nb is None:
        out.append(f"<p><i>{html.escape(error)}</i></p>")
    else:
        release = _release_cells(assignment, notebook, root)
        for cell in nb.cells:
            meta = cells.nbgrader(cell)
            gid = meta.get("grade_id")
            source = cell.source
            if gid in release and cells.nbgrader(release[gid]).get("locked"):
                source = release[gid].source  # locked cells: what the course released
            source = sanitize_text(source)
            if cell.cell_type == "markdown":
                out.append(f"<pre>{html.escape(source)}</pre>" if meta.get("solution")
                           else f"<div>{html.escape(source)}</div>")
            elif source.strip():
                out.append(f"<pre>{html.escape(source)}</pre>")
            question = None
            if gid and (gid.startswith(cells.TEST_PREFIX) or cells.is_written_answer(gid)):
                question = cells.question_of(gid)
            if question and question not in shown:
                shown.add(question)
                out.append(_question_box(question, questions.get(question)))
    for name, q in questions.items():
        if name not in shown:
            out.append(_question_box(name, q))
    out.append("</body></html>")
    page = "\n".join(out)
    found = leaks(page)
    if found:  # a message we could not sanitize: refuse to write it
        raise FeedbackLeak(f"feedback of {student}/{assignment} would leak {found}")
    return page


def _notebooks(assignment, root) -> list[str]:
    names = [p.stem for p in sorted((course_root(root) / "release" / assignment).glob("*.ipynb"))]
    return names or [assignment]


def _students(assignment, root, students) -> list[str]:
    if students:
        return sorted(students)
    found = {r["student"] for r in rs.load_results([assignment], root=root)}
    sub = course_root(root) / "submitted"
    if sub.is_dir():
        found |= {p.name for p in sub.iterdir() if (p / assignment).is_dir()}
    return sorted(found)


def feedback(assignments=None, students=None, root=None, db_url=None,
             nbgrader_feedback: bool = True, release: bool = False,
             exchange_root=None) -> list[Path]:
    """Write ``<root>/feedback/<student>/<assignment>/<notebook>.html`` for every graded student.

    Parameters
    ----------
    assignments, students : list of str or None
        Which ones (default: all with a result or a submission).
    nbgrader_feedback : bool
        Also run nbgrader's ``generate_feedback`` first (its HTML is then replaced).
    release : bool
        Then run nbgrader's ``release_feedback`` (students ``fetch_feedback`` it).
    exchange_root : path, optional
        nbgrader's ``Exchange.root``.

    Returns
    -------
    list of Path
        The HTML files written.
    """
    root = course_root(root)
    extra = {"Exchange.root": str(exchange_root)} if exchange_root is not None else {}
    api = nbgrader_api(root, db_url, **extra) if (nbgrader_feedback or release) else None
    written = []
    for aid in resolve_assignments(assignments, root):
        for student in _students(aid, root, students):
            folder = root / "feedback" / student / aid
            if nbgrader_feedback and (root / "autograded" / student / aid).is_dir():
                api.generate_feedback(aid, student, force=True)  # failures: ours still written
            folder.mkdir(parents=True, exist_ok=True)
            for extra_file in ("timestamp.txt", "submission_secret.txt"):
                src = root / "submitted" / student / aid / extra_file
                if not (folder / extra_file).exists() and src.exists():
                    shutil.copy2(src, folder / extra_file)
            for nb_name in _notebooks(aid, root):
                path = folder / f"{nb_name}.html"
                path.write_text(render_html(student, aid, nb_name, root), encoding="utf-8")
                written.append(path)
            for other in folder.rglob("*"):  # anything else nbgrader left there
                if other.is_file() and other not in written and other.suffix in (".html", ".ipynb"):
                    other.unlink()
            _assert_clean(folder)
        if release:
            result = api.release_feedback(aid)
            if not result.get("success"):
                raise RuntimeError(f"{aid}: nbgrader release_feedback failed:\n"
                                   f"{result.get('error') or result.get('log')}")
    return written


def _assert_clean(folder: Path) -> None:
    for path in folder.rglob("*"):
        if path.is_file():
            found = leaks(path.read_text(encoding="utf-8", errors="replace"))
            if found:
                raise FeedbackLeak(f"{path} contains {found}")
