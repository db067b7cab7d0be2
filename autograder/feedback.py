"""``feedback``: per-student HTML with the student's code, the score per question and the
checker's message — and neither hidden-test source nor reference code.

nbgrader's own ``generate_feedback`` renders the *autograded* notebook, whose test cells
nbgrader has restored from ``source/`` including the hidden tests (measured: they are
printed). So the HTML here is rendered by :func:`render_html` from

- the student's *submitted* notebook (their code and written answers; outputs are left out),
- the *release* version of every locked cell (visible tests, instructions),
- the results store (score, status, checker message per question),

after :func:`sanitize_text` removes anything between hidden-test markers, any line that
mentions ``solutions_lib`` and any solution region. nbgrader's ``generate_feedback`` is not
run (its page, with the hidden tests, would be written only to be replaced): the feedback
folder gets what nbgrader's ``release_feedback`` and the students' ``fetch_feedback`` read —
the HTML pages, ``timestamp.txt`` and ``submission_secret.txt`` — and the other files of the
autograded folder (the week's helper modules), as nbgrader's converter copies them.
:func:`leaks` is the final check over every feedback file.

The offline MathJax (2 MB of script, the same in every page) is put into a page after its
leak check (:func:`with_mathjax`), and the final check skips it: the checks and nbconvert's
HTML parsing read the page's own few kilobytes.
"""
from __future__ import annotations

import functools
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


def visible_text(page: str) -> str:
    """The text of an HTML page as a reader sees it: tags removed, entities decoded.

    Highlighted code splits ``check("flip"`` into one ``<span>`` per token: the leak check
    reads this text as well as the markup.
    """
    return html.unescape(re.sub(r"<[^>]*>", "", page))


def leaks(text: str) -> list[str]:
    """The leak patterns found in ``text`` (plain text or HTML: its markup and its visible text)."""
    found = []
    for variant in (text, visible_text(text)):
        found += [p for p in LEAK_PATTERNS if p in variant and p not in found]
        if "check(" not in found and re.search(r"\bcheck\(\s*(&quot;|&#x27;|['\"])", variant):
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
.nn-summary{max-width:70em;margin:1.5em auto;padding:0 1em;font-family:var(--jp-ui-font-family,sans-serif)}
.nn-summary table{border-collapse:collapse;margin:.6em 0}
.nn-summary td,.nn-summary th{border:1px solid #ccc;padding:.25em .7em;text-align:left}
.nn-summary td.num{text-align:right}
.q{border-left:6px solid #888;background:#f7f7f7;padding:.4em .9em;margin:.3em 0 1.2em 0;
   font-family:var(--jp-ui-font-family,sans-serif)}
.q.graded.full{border-color:#2a9d3a;background:#eef8ef}.q.graded{border-color:#e0902b;background:#fdf5ea}
.q.errored,.q.flagged{border-color:#c0392b;background:#fbeeee}.q.pending,.q.missing{border-color:#888}
.q .msg{white-space:pre-wrap;font-family:var(--jp-code-font-family,monospace);margin-top:.3em}
.q .mistake{margin-top:.3em}
main{max-width:70em;margin:auto}
"""

_STATUS_TEXT = {"graded": "graded", "pending": "to be graded by hand", "errored": "errored",
                "flagged": "flagged for review (0 until an instructor reviews it)",
                "missing": "not found"}


def mistake_explanation(question: str, mistake: str | None) -> str:
    """The catalogue's explanation of the named ``mistake`` of ``question``, or ''."""
    if not mistake:
        return ""
    from solutions_lib.grading import catalogue

    found = [m.message for m in catalogue.mistakes(question) if m.key == mistake]
    return sanitize_text(found[0]) if found else ""


def _question_box(name, q) -> str:
    if q is None:
        return (f'<div class="q missing" data-question="{html.escape(name)}"><b>{html.escape(name)}</b>:'
                " not graded (the question's cell was not found)</div>")
    full = " full" if q["status"] == "graded" and q["score"] >= q["max_score"] else ""
    parts = [f'<div class="q {html.escape(q["status"])}{full}" data-question="{html.escape(name)}">'
             f'<b>{html.escape(name)}</b>: {q["score"]:g} / {q["max_score"]:g} — '
             f'{html.escape(_STATUS_TEXT.get(q["status"], q["status"]))}']
    if q.get("mistake"):
        why = mistake_explanation(name, q["mistake"])
        parts.append(f'<div class="mistake">Recognised mistake: <code>{html.escape(q["mistake"])}</code>'
                     + (f" — {html.escape(why)}" if why else "") + "</div>")
    msg = sanitize_text(q.get("message"))
    if msg:
        parts.append(f'<div class="msg">{html.escape(msg)}</div>')
    parts.append("</div>")
    return "".join(parts)


def _question_order(release_nb, questions: dict) -> list[str]:
    """The questions in notebook order (the release's), then any the release does not have."""
    order = list(cells.release_questions(release_nb)) if release_nb is not None else []
    return [q for q in order if q in questions] + [q for q in questions if q not in order]


def _summary(student, assignment, result, questions, order) -> str:
    score, max_score = rs.totals(result)
    out = ['<div class="nn-summary">',
           f"<h1>{html.escape(assignment)}: feedback for {html.escape(student)}</h1>",
           f'<p>Score: <b class="total">{score:g} / {max_score:g}</b>; status: '
           f"{html.escape(result['status'])}"]
    if result.get("reason") and result["status"] != "graded":
        out.append(f" — {html.escape(sanitize_text(result['reason']))}")
    out.append('</p><table class="scores"><tr><th>question</th><th>score</th><th>status</th>'
               "<th>recognised mistake</th></tr>")
    for name in order:
        q = questions[name]
        out.append(f'<tr><td><a href="#q-{html.escape(name)}">{html.escape(name)}</a></td>'
                   f'<td class="num">{q["score"]:g} / {q["max_score"]:g}</td>'
                   f"<td>{html.escape(q['status'])}</td><td>{html.escape(q.get('mistake') or '')}</td></tr>")
    out.append("</table></div>")
    return "".join(out)


def feedback_notebook(submitted, release_cells: dict, boxes: dict):
    """The sanitized notebook a student's feedback page renders.

    ``submitted``: the student's notebook; ``release_cells``: ``grade_id -> release cell`` (a
    locked cell shows what the course released, not an edited copy); ``boxes``: ``grade_id ->
    HTML`` of the question box shown under that cell. Every source goes through
    :func:`sanitize_text`; outputs, attachments and metadata other than the box are dropped.
    """
    nb = nbformat.v4.new_notebook(metadata={"language_info": {"name": "python"},
                                            "kernelspec": {"name": "python3", "language": "python",
                                                           "display_name": "Python 3"}})
    for cell in submitted.cells:
        gid = cells.grade_id(cell)
        source = cell.source
        if gid in release_cells and cells.nbgrader(release_cells[gid]).get("locked"):
            source = release_cells[gid].source
        source = sanitize_text(source)
        if cell.cell_type == "markdown":
            if not cells.nbgrader(release_cells.get(gid, {})).get("locked"):
                source = source.replace("<", "&lt;")  # the student's text: no markup of theirs runs
            new = nbformat.v4.new_markdown_cell(source)
        elif cell.cell_type == "code":
            new = nbformat.v4.new_code_cell(source)
        else:
            new = nbformat.v4.new_raw_cell(source)
        if gid in boxes:
            new.metadata["nnmath_box"] = f'<a id="q-{html.escape(cells.question_of(gid))}"></a>' + boxes[gid]
        nb.cells.append(new)
    return nb


@functools.lru_cache(maxsize=1)
def mathjax_source() -> str:
    """MathJax 3 (TeX input, SVG output: no font files), from the pinned django-static-mathjax."""
    import mathjax

    return (Path(mathjax.__file__).parent / "static" / "mathjax" / "es5" / "tex-svg.js").read_text(
        encoding="utf-8")


#: Where a page's ``<script>`` holds MathJax until :func:`with_mathjax` puts it in.
MATHJAX_SLOT = "/* nnmath: MathJax 3 goes here */"


def to_html(nb, title: str, summary: str = "", mathjax: bool = True) -> str:
    """``nb`` as JupyterLab shows it (nbconvert's lab template), with typeset maths, offline.

    With ``mathjax=False`` the page's MathJax script holds :data:`MATHJAX_SLOT` instead of
    MathJax (:func:`with_mathjax` fills it).
    """
    body, _ = _exporter().from_notebook_node(nb, resources={
        "metadata": {"name": title}, "nnmath_mathjax": MATHJAX_SLOT, "nnmath_css": _CSS,
        "nnmath_summary": summary})
    return with_mathjax(body) if mathjax else body


#: What rendered markdown may hold in a feedback page (what markdown itself produces).
MARKDOWN_TAGS = frozenset({
    "a", "abbr", "b", "blockquote", "br", "code", "del", "details", "div", "em", "h1", "h2", "h3",
    "h4", "h5", "h6", "hr", "i", "img", "kbd", "li", "ol", "p", "pre", "s", "span", "strong",
    "sub", "summary", "sup", "table", "tbody", "td", "th", "thead", "tr", "ul"})
MARKDOWN_ATTRIBUTES = {"*": ["class", "id", "title"], "a": ["href", "title"],
                       "img": ["src", "alt", "width", "height"], "td": ["align"], "th": ["align"]}


def clean_markdown_html(text: str) -> str:
    """Rendered markdown with only :data:`MARKDOWN_TAGS` and :data:`MARKDOWN_ATTRIBUTES` live.

    A student's ``<script>``, ``onerror=`` or ``javascript:`` link becomes text, so it never
    runs in the browser of whoever opens the page (the student, a TA, the instructor).
    nbconvert's own ``sanitize_html`` would also turn headings and paragraphs into text.
    """
    import bleach

    return bleach.clean(text, tags=MARKDOWN_TAGS, attributes=MARKDOWN_ATTRIBUTES,
                        protocols={"http", "https", "mailto"})


@functools.lru_cache(maxsize=1)
def _exporter():
    """One HTML exporter per process (its templates are compiled once)."""
    from nbconvert import HTMLExporter

    return HTMLExporter(template_name="nnmath_feedback",
                        extra_template_basedirs=[str(Path(__file__).parent / "templates")],
                        exclude_input_prompt=True, exclude_output_prompt=True,
                        filters={"nnmath_clean_markdown": clean_markdown_html})


def with_mathjax(page: str) -> str:
    """``page`` (from :func:`to_html` with ``mathjax=False``) with MathJax in its slot."""
    if page.count(MATHJAX_SLOT) != 1:
        raise ValueError("the page has no MathJax slot (or several)")
    return page.replace(MATHJAX_SLOT, mathjax_source())


def without_mathjax(page: str) -> str:
    """``page`` with the course's MathJax source taken out (what the leak check reads)."""
    return page.replace(mathjax_source(), MATHJAX_SLOT)


def render_html(student: str, assignment: str, notebook: str, root=None) -> str:
    """The feedback page of one student's notebook (a complete HTML document).

    The score table in notebook order on top, then the student's notebook rendered as
    JupyterLab would (markdown, typeset maths, highlighted code; no outputs), each question's
    box (score, status, the named mistake and its explanation, the checker's message) under
    the cell that scores it. Raises :class:`FeedbackLeak` when the final HTML fails
    :func:`leaks`.
    """
    root = course_root(root)
    result = rs.read_result(assignment, student, root) or rs.new_result(
        student, assignment, "missing", reason="not graded yet")
    questions = result.get("questions", {})
    release_path = root / "release" / assignment / f"{notebook}.ipynb"
    release_nb, _ = _read_notebook(release_path)
    order = _question_order(release_nb, questions)
    summary = _summary(student, assignment, result, questions, order)

    sub = root / "submitted" / student / assignment / f"{notebook}.ipynb"
    nb, error = _read_notebook(sub) if sub.exists() else (None, "no submitted notebook")
    if nb is None:
        nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_markdown_cell(f"*{error}*")])
    release = _release_cells(assignment, notebook, root)
    boxes, shown = {}, set()
    for cell in nb.cells:
        gid = cells.grade_id(cell)
        if gid and (gid.startswith(cells.TEST_PREFIX) or cells.is_written_answer(gid)):
            question = cells.question_of(gid)
            if question not in shown:
                shown.add(question)
                boxes[gid] = _question_box(question, questions.get(question))
    sanitized = feedback_notebook(nb, release, boxes)
    rest = "".join(_question_box(name, questions[name]) for name in order if name not in shown)
    if rest:
        sanitized.cells.append(nbformat.v4.new_markdown_cell("**Questions whose cell was not found**"))
        sanitized.cells[-1].metadata["nnmath_box"] = rest
    page = to_html(sanitized, f"Feedback {assignment} — {student}", summary, mathjax=False)
    found = leaks(page)
    if found:  # a message we could not sanitize: refuse to write it
        raise FeedbackLeak(f"feedback of {student}/{assignment} would leak {found}")
    return with_mathjax(page)


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


#: The files of a submission that nbgrader's ``release_feedback`` reads next to the pages.
SUBMISSION_FILES = ("timestamp.txt", "submission_secret.txt")


def _copy_side_files(root: Path, student: str, aid: str, folder: Path) -> None:
    """What nbgrader's feedback converter puts next to the pages, without its pages.

    The non-notebook files of the autograded folder (the week's helper modules, the
    submission's ``timestamp.txt``), and :data:`SUBMISSION_FILES` from the autograded or else
    the submitted folder.
    """
    graded = root / "autograded" / student / aid
    if graded.is_dir():
        for f in graded.iterdir():
            if f.is_file() and f.suffix not in (".ipynb", ".html"):
                shutil.copy2(f, folder / f.name)
    for name in SUBMISSION_FILES:
        src = root / "submitted" / student / aid / name
        if not (folder / name).exists() and src.exists():
            shutil.copy2(src, folder / name)


def feedback(assignments=None, students=None, root=None, db_url=None,
             release: bool = False, exchange_root=None) -> list[Path]:
    """Write ``<root>/feedback/<student>/<assignment>/<notebook>.html`` for every graded student.

    Parameters
    ----------
    assignments, students : list of str or None
        Which ones (default: all with a result or a submission).
    db_url : str, optional
        The gradebook nbgrader's ``release_feedback`` uses (default: the course's).
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
    api = nbgrader_api(root, db_url, **extra) if release else None
    written = []
    for aid in resolve_assignments(assignments, root):
        for student in _students(aid, root, students):
            folder = root / "feedback" / student / aid
            folder.mkdir(parents=True, exist_ok=True)
            _copy_side_files(root, student, aid, folder)
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
            found = leaks(without_mathjax(path.read_text(encoding="utf-8", errors="replace")))
            if found:
                raise FeedbackLeak(f"{path} contains {found}")
