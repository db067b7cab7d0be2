"""``autograder.feedback``: the student's code, scores and messages — no hidden tests, no reference.

The page is nbconvert's rendering of the sanitized notebook: its text is read through
:func:`visible_text` (highlighted code is one ``<span>`` per token).
"""
from __future__ import annotations

import re

import nbformat
import pytest

from autograder import results as rs
from autograder.feedback import (
    MATHJAX_SLOT,
    FeedbackLeak,
    _assert_clean,
    feedback,
    feedback_notebook,
    leaks,
    mathjax_source,
    render_html,
    sanitize_text,
    to_html,
    visible_text,
    without_mathjax,
)
from autograder.release import nbgrader_api
from tests.autograder.conftest import CORRECT_ANSWERS, FIXTURE_ASSIGNMENT

A = FIXTURE_ASSIGNMENT
HOSTILE_FLIP = ("import solutions_lib\n"
                "from solutions_lib import flip as _ref  # cheat\n"
                "def flip(a):\n    return _ref(a)  # STUDENT_MARKER\n")


def test_sanitize_text():
    text = ("x = 1\n### BEGIN HIDDEN TESTS\nfrom checker import check\n"
            "check(\"flip\", flip)\n### END HIDDEN TESTS\ny = 2\n"
            "### BEGIN SOLUTION\nsecret = 3\n### END SOLUTION\nz = solutions_lib.flip\n"
            "check('flip', flip)\n")
    out = sanitize_text(text)
    assert out == "x = 1\ny = 2"
    assert leaks(out) == []
    assert leaks("check(&quot;flip&quot;, flip)") == ["check("]
    assert sanitize_text(None) == ""


def _grade_with_nbgrader(course, student):
    """Real nbgrader autograde: restores the hidden tests in autograded/ (what leaks by default)."""
    api = nbgrader_api(course.root)
    api.autograde(A, student, force=True, create=True)
    return course.root / "autograded" / student / A / f"{A}.ipynb"


def test_feedback_shows_code_scores_messages_and_no_hidden_tests(released_copy):
    course = released_copy
    answers = dict(CORRECT_ANSWERS, flip=HOSTILE_FLIP)
    course.submit("alice", answers, markdown={"answer_flip": "Reversing twice is the identity."})
    autograded = _grade_with_nbgrader(course, "alice")
    assert "BEGIN HIDDEN TESTS" in autograded.read_text()  # nbgrader put them back
    rs.write_result(rs.new_result("alice", A, "flagged", reason="imported solutions_lib", questions={
        "flip": rs.question(0, 1, "flagged",
                            message="flip: imported the reference (solutions_lib) — flagged"),
        "conv_output_size": rs.question(1, 2, mistake="no_stride_floor",
                                        message="conv_output_size(7, 3, s=2): expected 3, got 3.0"),
        "answer_flip": rs.question(0, 1, "pending")}), course.root)
    paths = feedback([A], root=course.root)
    assert paths == [course.root / "feedback" / "alice" / A / f"{A}.html"]
    page = paths[0].read_text()
    text = visible_text(page)
    assert "STUDENT_MARKER" in text                         # their code
    assert "Reversing twice is the identity." in page       # their answer
    assert "1 / 2" in page and "no_stride_floor" in page    # score and mistake
    assert "expected 3, got 3.0" in page                    # checker message
    assert "assert flip(np.array([1, 2, 3]))" in text      # visible test stays
    assert leaks(page) == []
    for bad in ("BEGIN HIDDEN", "solutions_lib", "check(", "slice(None, None, -1)"):
        assert bad not in page and bad not in text
    # nbgrader's own files are in place for release/fetch, and nothing there leaks either
    folder = course.root / "feedback" / "alice" / A
    assert (folder / "timestamp.txt").exists()
    for f in folder.rglob("*"):
        if f.is_file():
            assert leaks(f.read_text(errors="replace")) == [], f


def test_feedback_for_unreadable_notebook_and_missing_cells(released_copy):
    course = released_copy
    folder = course.root / "submitted" / "bob" / A
    folder.mkdir(parents=True)
    (folder / f"{A}.ipynb").write_text("{ not json")
    rs.write_result(rs.new_result("bob", A, "errored", reason="invalid JSON", questions={
        "flip": rs.question(0, 1, "errored", message="invalid JSON")}), course.root)
    page = render_html("bob", A, A, course.root)
    assert "could not be read" in page and "invalid JSON" in page and "flip" in page
    nb = nbformat.read(str(course.release_nb), as_version=4)
    nb.cells = [c for c in nb.cells if c.metadata.get("nbgrader", {}).get("grade_id") != "test_flip"]
    nbformat.write(nb, str(folder / f"{A}.ipynb"))
    page = render_html("bob", A, A, course.root)
    assert "flip" in page and leaks(page) == []


def test_unsanitizable_message_is_refused(released_copy):
    course = released_copy
    course.submit("carl", CORRECT_ANSWERS)
    rs.write_result(rs.new_result("carl", A, "graded", questions={
        "flip": rs.question(0, 1, message="raw: BEGIN SOLUTION leaked")}), course.root)
    with pytest.raises(FeedbackLeak):
        render_html("carl", A, A, course.root)


def test_page_renders_markdown_maths_and_code_offline(released_copy):
    """Headings and emphasis as HTML, the LaTeX left for the inlined MathJax, nothing fetched."""
    course = released_copy
    course.submit("dora", CORRECT_ANSWERS,
                  markdown={"answer_flip": "**Twice** reversed: $\\mathbf a_{k-1-i}$ is $a_i$."})
    rs.write_result(rs.new_result("dora", A, "graded", questions={
        "answer_flip": rs.question(1, 1, "graded"), "conv_output_size": rs.question(2, 2),
        "flip": rs.question(1, 1)}), course.root)
    page = render_html("dora", A, A, course.root)
    assert '<h1 id="Fixture-week"' in page and "# Fixture week" not in visible_text(page)
    assert "<strong>Twice</strong>" in page and "**Twice**" not in page
    assert "$\\mathbf a_{k-1-i}$" in page                    # MathJax typesets it in the browser
    assert "window.MathJax" in page and len(page) > 1_000_000  # MathJax itself is in the page
    assert not re.search(r"<(script|link|img)[^>]+(src|href)=", page)  # nothing loaded from outside
    assert 'class="highlight' in page                          # code is highlighted
    # the score table is in notebook order, whatever order the result stored
    table = page[page.index('class="scores"'):page.index("</table>")]
    assert [table.index(q) for q in ("flip", "conv_output_size", "answer_flip")] == sorted(
        table.index(q) for q in ("flip", "conv_output_size", "answer_flip"))
    # each question's box follows the cell that scores it
    before, after = page.split('data-question="flip"', 1)
    between = after.split('data-question="conv_output_size"', 1)[0]
    assert "flip(np.array([1, 2, 3]))" in visible_text(before)
    assert "conv_output_size(5, 3)" in visible_text(between)


def test_leak_check_catches_a_hidden_test_or_reference_code_in_rendered_html():
    """The final check reads the highlighted page: a hidden test or reference code that got past
    sanitizing would be found there, token spans or not."""
    def rendered(source):
        nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(source)])
        return to_html(nb, "t")
    assert "check(" in leaks(rendered('from checker import check\ncheck("flip", flip)\n'))
    assert "BEGIN HIDDEN TESTS" in leaks(rendered("### BEGIN HIDDEN TESTS\nx = 1\n"))
    assert "solutions_lib" in leaks(rendered("from solutions_lib import flip\n"))
    assert "BEGIN SOLUTION" in leaks(rendered("### BEGIN SOLUTION\nx = 1\n### END SOLUTION\n"))
    assert leaks(rendered("y = flip(x)\n")) == []
    # sanitizing first leaves none of them in the page
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(
        'x = 1\n### BEGIN HIDDEN TESTS\nfrom checker import check\ncheck("flip", flip)\n### END HIDDEN TESTS\n')])
    assert leaks(to_html(feedback_notebook(nb, {}, {}), "t")) == []


def test_student_markup_stays_text_in_code_and_is_cleaned_in_markdown():
    """Code is shown through Pygments (every character escaped), markdown through clean_html."""
    nb = nbformat.v4.new_notebook(cells=[
        nbformat.v4.new_code_cell('s = "</div><script>alert(1)</script>"\n'),
        nbformat.v4.new_markdown_cell('## Answer\n**Yes** <script>alert(2)</script> <img src=x onerror="alert(3)">'
                                      ' [a](javascript:alert(4)) <div onclick="alert(5)">d</div>')])
    page = without_mathjax(to_html(nb, "t"))
    assert "<script>alert(1)" not in page and "alert(1)" in visible_text(page)
    assert "<script>alert(2)" not in page and "alert(2)" in visible_text(page)   # shown as text
    assert not re.search(r"<img[^>]*onerror", page) and "javascript:" not in page
    assert "onclick" not in page and "<div>d</div>" in page
    assert page.count("<script>") == 2      # MathJax's settings and MathJax itself, nothing else
    assert re.search(r"<h2 id=\"Answer\"", page) and "<strong>Yes</strong>" in page   # markdown stays


def test_mathjax_goes_in_after_the_leak_check_and_the_final_check_reads_the_rest(released_copy):
    course = released_copy
    course.submit("erin", CORRECT_ANSWERS)
    rs.write_result(rs.new_result("erin", A, "graded", questions={"flip": rs.question(1, 1)}),
                    course.root)
    page = render_html("erin", A, A, course.root)
    assert page.count(mathjax_source()) == 1 and MATHJAX_SLOT not in page
    assert MATHJAX_SLOT in without_mathjax(page) and len(without_mathjax(page)) < len(page) - 1_000_000
    folder = course.root / "feedback" / "erin" / A
    folder.mkdir(parents=True)
    (folder / f"{A}.html").write_text(page.replace("</main>", "BEGIN HIDDEN TESTS</main>"))
    with pytest.raises(FeedbackLeak):
        _assert_clean(folder)
