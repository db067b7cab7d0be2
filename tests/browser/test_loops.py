"""The student's and the instructor's whole loop, in a real JupyterLab in headless Chromium.

One course in a temporary folder (week 1, the cheapest; its own SQLite gradebook and nbgrader
exchange), two JupyterLab servers on loopback: the instructor's (formgrader) serving the course
root, and a student's configured by ``python -m autograder student-setup``. The tests run in
order, each continuing the loop where the previous one stopped:

1. formgrader lists the week; the instructor releases it there;
2. the student (alice) sees no instructor tool, fetches the week in the *Assignments* list,
   opens it, writes two functions (one right, one with a catalogued mistake), presses
   **Validate** and reads one line per question; then submits. A second student (bob) submits
   through nbgrader's exchange API;
3. the instructor collects and grades with the course's grader (``python -m autograder
   collect``/``grade``, the verifier and the kernel jail), and formgrader shows what the grader
   decided (the named mistake) on the student's submission;
4. two graders at once (two browser contexts) score alice's and bob's written derivation with a
   comment; both reach the gradebook and ``python -m autograder export``'s CSV;
5. the instructor writes and releases feedback (``feedback --release``); the student fetches
   it in the *Assignments* list and opens it: scores, the named mistake, typeset maths, no
   hidden test, no reference code.

Screenshots of each step land in ``screenshots/`` (gitignored; the README's are in
``docs/img/``). Waits are generous (a loaded 2-core machine) and each says what it waited for.
"""
from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import nbformat
import pytest
from playwright.sync_api import TimeoutError as PlaywrightTimeout

from autograder import submissions as sb
from autograder.feedback import leaks, visible_text
from tests.browser import lab as L

pytestmark = pytest.mark.xdist_group("loops")

ROOT = Path(__file__).resolve().parents[2]
WEEK = "w01_convolution"
WAIT_MS = 120_000          # one UI step on a loaded machine: generous, and every wait names its target
STEPS: dict[str, float] = {}


def _step(name, start):
    STEPS[name] = time.monotonic() - start
    print(f"{name}: {STEPS[name]:.1f} s")


def _catalogue_mistake(name, key):
    from solutions_lib.grading import catalogue
    return catalogue.mistake_source(name, key)


@pytest.fixture(scope="module")
def course(tmp_path_factory):
    """A course root with week 1 generated, its gradebook and an empty exchange."""
    base = tmp_path_factory.mktemp("loops")
    root, exchange = base / "course", base / "exchange"
    exchange.mkdir()
    shutil.copytree(ROOT / "source" / WEEK, root / "source" / WEEK)
    shutil.copy(ROOT / "course_config.py", root / "course_config.py")
    (root / "nbgrader_config.py").write_text(
        "from autograder.nbconfig import nbgrader_settings\n"
        "c = get_config()  # noqa: F821\n"
        f"c.merge(nbgrader_settings({str(root)!r}))\n"
        f"c.Exchange.root = {str(exchange)!r}\n")
    env = dict(os.environ, NNMATH_GRADEBOOK_URL=f"sqlite:///{root / 'gradebook.db'}")

    def autograder(*args):
        start = time.monotonic()
        done = subprocess.run([sys.executable, "-m", "autograder", *args, "--root", str(root)],
                              cwd=root, env=env, capture_output=True, text=True)
        assert done.returncode == 0, f"autograder {' '.join(args)} failed:\n{done.stdout}\n{done.stderr}"
        _step(f"autograder {args[0]}", start)
        return done.stdout

    autograder("generate", WEEK)
    source = ROOT / "source" / WEEK / f"{WEEK}.ipynb"
    return type("Course", (), dict(root=root, exchange=exchange, base=base, env=env, run=staticmethod(autograder),
                                   reference=sb.reference_answers(source)))


@pytest.fixture(scope="module")
def browser():
    with L.chromium_browser() as b:
        yield b


@pytest.fixture(scope="module")
def instructor_lab(course):
    with L.start_lab(course.root, course.base / "instructor",
                     env={"NNMATH_GRADEBOOK_URL": course.env["NNMATH_GRADEBOOK_URL"]},
                     what="the instructor's JupyterLab (formgrader)") as lab:
        yield lab


@pytest.fixture(scope="module")
def student_lab(course):
    home = course.base / "alice"
    work = home / "work"
    work.mkdir(parents=True)
    done = subprocess.run([sys.executable, "-m", "autograder", "student-setup", str(home / "config"),
                           "--exchange", str(course.exchange), "--student-id", "alice"],
                          capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    with L.start_lab(work, home, env={"USER": "alice", "LOGNAME": "alice", "HOME": str(home)},
                     what="the student's JupyterLab (student-setup)") as lab:
        yield lab


def _formgrader(browser, lab, path="formgrader"):
    # formgrader's pages call its API by XHR: the token goes in a header (the URL's token logs in
    # the page only)
    page = browser.new_page(viewport={"width": 1300, "height": 850}, extra_http_headers=lab.auth_header)
    page.goto(lab.page_url(path))
    return page


# --- 1. the instructor releases the week in formgrader ------------------------------------

def test_formgrader_lists_the_week_and_releases_it(course, instructor_lab, browser):
    start = time.monotonic()
    page = _formgrader(browser, instructor_lab)
    try:
        row = page.locator("#main-table tr", has_text=WEEK)
        row.wait_for(timeout=WAIT_MS)                      # waited for: the week's row
        assert row.locator("td.status").inner_text().strip() == "draft"
        row.locator("td.release a").click()
        page.locator("#main-table td.status", has_text="released").wait_for(timeout=WAIT_MS)
        L.shot(page, "formgrader_released")
    finally:
        page.close()
    assert (course.exchange / "nnmath" / "outbound" / WEEK / f"{WEEK}.ipynb").is_file()
    _step("formgrader: release", start)


# --- 2. the student: fetch, work, validate, submit ----------------------------------------

_APP = "window.jupyterapp"
_NB = f"{_APP}.shell.currentWidget"


def _open_assignments(page):
    page.evaluate(f"() => {_APP}.commands.execute('nbgrader:open-assignment-list')")
    # waited for: the Assignments panel (its lists stay hidden while empty)
    page.locator("#fetched_assignments_list").wait_for(state="attached", timeout=WAIT_MS)


def test_student_lab_has_no_instructor_tool(student_lab, browser):
    page = browser.new_page(viewport={"width": 1300, "height": 850})
    try:
        page.goto(student_lab.page_url("lab"))
        page.wait_for_function(f"() => {_APP} && {_APP}.commands.hasCommand('nbgrader:open-assignment-list')",
                               timeout=WAIT_MS)           # waited for: JupyterLab with nbgrader's plugins
        commands = page.evaluate(f"() => {_APP}.commands.listCommands().filter(c => c.startsWith('nbgrader:'))")
        assert "nbgrader:open-assignment-list" in commands
        for tool in ("nbgrader:open-formgrader", "nbgrader:open-create-assignment", "nbgrader:open-course-list",
                     "nbgrader:open-formgrader-local"):
            assert tool not in commands, f"the student's JupyterLab offers {tool}"
        assert page.locator("#jp-mainmenu-nbgrader").count() == 0, "nbgrader's instructor menu is shown"
        assert page.get_by_text("Formgrader").count() == 0 and page.get_by_text("Create Assignment").count() == 0
    finally:
        page.close()
    # and the server has no formgrader or course list to reach by URL
    assert student_lab.get("formgrader")[0] == 404
    assert student_lab.get("formgraders")[0] == 404


def test_student_fetches_works_validates_and_submits(course, student_lab, browser):
    start = time.monotonic()
    page = browser.new_page(viewport={"width": 1300, "height": 900})
    try:
        page.goto(student_lab.page_url("lab"))
        page.wait_for_function(f"() => {_APP} && {_APP}.commands.hasCommand('nbgrader:open-assignment-list')",
                               timeout=WAIT_MS)
        _open_assignments(page)
        released = page.locator("#released_assignments_list .list_item", has_text=WEEK)
        released.wait_for(timeout=WAIT_MS)                 # waited for: the week in "Released assignments"
        L.shot(page, "student_assignments_released")
        released.get_by_role("button", name="Fetch").click()
        fetched = page.locator("#fetched_assignments_list .list_item", has_text=WEEK).first
        fetched.wait_for(timeout=WAIT_MS)                  # waited for: the week under "Downloaded assignments"
        nb_path = student_lab.root / WEEK / f"{WEEK}.ipynb"
        assert nb_path.is_file()

        # alice writes flip right and correlate_valid with the flipped kernel (a catalogued mistake)
        answers = {"flip": course.reference["flip"],
                   "correlate_valid": _catalogue_mistake("correlate_valid", "kernel_flipped")}
        page.evaluate(f"() => {_APP}.commands.execute('docmanager:open', {{path: '{WEEK}/{WEEK}.ipynb'}})")
        page.locator(".jp-NotebookPanel .jp-Notebook .jp-Cell").first.wait_for(timeout=WAIT_MS)
        page.wait_for_function(f"() => {_NB} && {_NB}.context && {_NB}.context.isReady", timeout=WAIT_MS)
        for gid, code in answers.items():
            done = page.evaluate("""([gid, code]) => {
                const nb = window.jupyterapp.shell.currentWidget;
                for (const cell of nb.content.model.cells) {
                  const meta = cell.getMetadata('nbgrader');
                  if (meta && meta.grade_id === gid) { cell.sharedModel.setSource(code); return true; }
                }
                return false; }""", [gid, code])
            assert done, f"no cell {gid} in the student's notebook"
        page.locator(".jp-NotebookPanel .validate-button").first.click()   # saves, then validates
        dialog = page.locator(".jp-Dialog #validation-message")
        dialog.wait_for(timeout=WAIT_MS)                   # waited for: the Validate dialog's result
        text = dialog.inner_text()
        L.shot(page, "student_validate")
        lines = [ln for ln in text.splitlines() if ln.strip()]
        assert len(lines) < 20, f"Validate printed {len(lines)} lines:\n{text}"
        assert all(len(ln) < 100 for ln in lines), text
        assert "Traceback" not in text and "TCP" not in text
        assert any("flip" in ln and "passed" in ln for ln in lines), text
        assert any("correlate_valid" in ln and "failed" in ln for ln in lines), text
        assert any("convolve_full" in ln and "not attempted" in ln for ln in lines), text
        page.locator(".jp-Dialog .jp-mod-accept").click()

        _open_assignments(page)
        page.locator("#fetched_assignments_list .list_item", has_text=WEEK).first.get_by_role(
            "button", name="Submit").click()
        page.locator("#submitted_assignments_list .list_item", has_text=WEEK).first.wait_for(timeout=WAIT_MS)
        L.shot(page, "student_submitted")
    finally:
        page.close()
    inbound = course.exchange / "nnmath" / "inbound"
    names = [p.name for p in inbound.iterdir()]
    assert any(n.startswith(f"alice+{WEEK}+") for n in names), names
    _step("student: fetch, validate, submit", start)


def test_second_student_submits_through_the_exchange(course):
    """bob submits with nbgrader's exchange API (no browser): convolve_full right, and a derivation."""
    from nbgrader import exchange as ex
    from nbgrader.auth import Authenticator
    from nbgrader.coursedir import CourseDirectory
    from traitlets.config import Config

    home = course.base / "bob"
    home.mkdir()

    def run(cls):
        c = Config()
        c.CourseDirectory.course_id = "nnmath"
        c.CourseDirectory.root = str(home)
        c.CourseDirectory.assignment_id = WEEK
        c.CourseDirectory.student_id = "bob"
        c.Exchange.root = str(course.exchange)
        c.Exchange.cache = str(home / ".nbgrader_cache")
        c.Exchange.assignment_dir = str(home)
        getattr(ex.default, cls)(coursedir=CourseDirectory(config=c), authenticator=Authenticator(config=c),
                                 config=c).start()

    run("ExchangeFetchAssignment")
    path = home / WEEK / f"{WEEK}.ipynb"
    nb = sb.fill(path, {"convolve_full": course.reference["convolve_full"],
                        "answer_commutativity": "Substitute $m = n - k$: the sum runs over the same pairs."})
    nbformat.write(nb, path)
    run("ExchangeSubmit")


# --- 3. collect and grade with the course's grader; formgrader shows its decisions ---------

def test_collect_grade_and_formgrader_shows_the_graders_decisions(course, instructor_lab, browser):
    out = course.run("collect", WEEK, "--exchange", str(course.exchange))
    assert "alice" in out and "bob" in out
    course.run("grade", WEEK, "--jobs", "2")
    start = time.monotonic()
    page = _formgrader(browser, instructor_lab, f"formgrader/manage_submissions/{WEEK}")
    try:
        row = page.locator("tr", has_text="alice")
        row.wait_for(timeout=WAIT_MS)                      # waited for: alice's submission row
        L.shot(page, "formgrader_submissions")
        page.goto(instructor_lab.page_url(f"formgrader/manage_students/alice/{WEEK}"))
        page.locator("td a", has_text=WEEK).first.click()
        page.locator(".cell").first.wait_for(timeout=WAIT_MS)   # waited for: the graded notebook's cells
        # The cells are served as HTML; formgrader's script sets each comment box's placeholder (the
        # autograder's comment, or its default text) only once it has fetched the grades.
        named = page.locator("textarea.comment[placeholder*='kernel_flipped']").first
        try:
            named.wait_for(state="attached", timeout=WAIT_MS)   # waited for: the grader's comment
        except PlaywrightTimeout:
            comments = page.locator("textarea.comment")
            placeholders = [comments.nth(i).get_attribute("placeholder") or "" for i in range(comments.count())]
            pytest.fail(f"formgrader shows no comment naming the grader's mistake: {placeholders}")
        named.scroll_into_view_if_needed()
        L.shot(page, "formgrader_named_mistake")
    finally:
        page.close()
    _step("formgrader: the grader's decisions", start)


# --- 4. two graders at once ---------------------------------------------------------------

def test_two_graders_score_written_answers_at_once(course, instructor_lab, browser):
    from nbgrader.api import Gradebook

    start = time.monotonic()
    graders = {"alice": (1.0, "Right idea; the index change needs its bounds."),
               "bob": (2.0, "Complete: the substitution m = n - k, both ways.")}
    contexts = {s: browser.new_context(viewport={"width": 1300, "height": 850},
                                       extra_http_headers=instructor_lab.auth_header) for s in graders}
    pages = {}
    try:
        for student in graders:
            page = contexts[student].new_page()
            page.goto(instructor_lab.page_url(f"formgrader/manage_students/{student}/{WEEK}"))
            page.locator("td a", has_text=WEEK).first.click()
            # formgrader's script gives each comment box a placeholder once it has bound the box to
            # its grade; a box filled before then is not saved
            page.locator("#answer_commutativity-comment[placeholder]").wait_for(
                state="attached", timeout=WAIT_MS)                   # waited for: the grading view, bound
            pages[student] = page
        # both graders type at the same time: fill both, then leave both fields
        for student, (score, comment) in graders.items():
            pages[student].locator("#answer_commutativity").fill(str(score))
            pages[student].locator("#answer_commutativity-comment").fill(comment)
        for student in graders:   # leaving a field saves it (formgrader's autosave)
            pages[student].locator("#answer_commutativity").press("Tab")
            pages[student].locator("#answer_commutativity-comment").press("Tab")
        for student in graders:
            pages[student].wait_for_timeout(1500)
        L.shot(pages["bob"], "formgrader_manual_grading")
    finally:
        for c in contexts.values():
            c.close()
    deadline = time.monotonic() + 60
    while True:
        with Gradebook(course.env["NNMATH_GRADEBOOK_URL"]) as gb:
            got = {}
            for student in graders:
                grade = gb.find_grade("answer_commutativity", WEEK, WEEK, student)
                comment = gb.find_comment("answer_commutativity", WEEK, WEEK, student)
                got[student] = (grade.manual_score, comment.manual_comment)
        if all(got[s] == graders[s] for s in graders) or time.monotonic() > deadline:
            break
        time.sleep(1)
    assert got == graders, f"the gradebook has {got}"
    out = course.run("export", WEEK)
    rows = {(r["student"], r["question"]): r for r in _read_csv(course.root)}
    for student, (score, _) in graders.items():
        row = rows[(student, "answer_commutativity")]
        assert float(row["score"]) == score and row["status"] == "graded", row
    assert "wrote" in out
    _step("two graders + export", start)


def _read_csv(root):
    import csv
    with open(root / "exports" / "grades.csv", newline="") as f:
        return list(csv.DictReader(f))


# --- 5. feedback: released, fetched and read by the student --------------------------------

def test_student_fetches_and_reads_feedback(course, student_lab, browser):
    course.run("feedback", WEEK, "--release", "--exchange", str(course.exchange))
    start = time.monotonic()
    page = browser.new_page(viewport={"width": 1300, "height": 900})
    try:
        page.goto(student_lab.page_url("lab/workspaces/feedback"))   # a fresh layout: one Assignments panel
        page.wait_for_function(f"() => {_APP} && {_APP}.commands.hasCommand('nbgrader:open-assignment-list')",
                               timeout=WAIT_MS)
        _open_assignments(page)
        item = page.locator("#submitted_assignments_list .list_item", has_text=WEEK).first
        item.wait_for(timeout=WAIT_MS)
        button = item.get_by_role("button", name="Fetch Feedback")
        button.wait_for(state="visible", timeout=WAIT_MS)  # waited for: the list done loading
        button.click()
        page.get_by_text("(view feedback)").first.wait_for(timeout=WAIT_MS)   # waited for: the fetched feedback
        L.shot(page, "student_feedback_fetched")
        pages = sorted((student_lab.root / WEEK / "feedback").rglob(f"{WEEK}.html"))
        assert pages, "no feedback file in the student's folder"
        rel = pages[-1].relative_to(student_lab.root)
        html_text = pages[-1].read_text()
        assert leaks(html_text) == []
        text = visible_text(html_text)
        for bad in ("BEGIN HIDDEN", "check(", "solutions_lib", "sliding_window_view(x, k.shape)"):
            assert bad not in text
        page.goto(student_lab.page_url(f"files/{rel}"))
        page.locator("mjx-container").first.wait_for(timeout=WAIT_MS)   # waited for: MathJax's typeset maths
        assert page.locator("mjx-container").count() > 10
        assert page.locator("text=$\\mathbf").count() == 0, "LaTeX source left untypeset"
        assert page.locator("h1", has_text="Week 1").count() == 1
        body = page.locator("body").inner_text()
        assert "kernel_flipped" in body and "cross-correlation" in body
        assert "1 / 1" in body                              # flip's score
        box = page.locator('.q[data-question="correlate_valid"]')
        box.scroll_into_view_if_needed()
        L.shot(page, "feedback_page")
    finally:
        page.close()
    _step("student: feedback", start)
