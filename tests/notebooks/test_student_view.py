"""What a student sees: every release notebook in a real JupyterLab, in a real headless Chromium.

For each week in ``release/``, the student notebook with the reference solutions filled in (a
student who did the work) is opened in JupyterLab and run with *Run All Cells*. Then:

- every code cell ran (no ``[*]`` or empty prompt left), no cell shows an error or stderr;
- the LaTeX is typeset (MathJax elements present), the matplotlib figures are images;
- the ipywidgets exploration renders as live controls, and operating its first control (a slider
  step, a toggle button, a checkbox) redraws its figure — the kernel round trip a static page
  cannot make;
- no cell floods the browser: the server's output rate limit is a tenth of its default here, so a
  cell that sends thousands of messages (a progress bar redrawn every step) fails on any machine,
  not only on the slow laptop or busy hub where the default limit drops a student's output.

A screenshot of each week's widget lands in ``$NNMATH_SCREENSHOT_DIR`` (default: the test's
temporary folder). Chromium is Debian's (``make test`` installs it as root); Playwright drives
it through ``executable_path`` and downloads nothing.
"""
from __future__ import annotations

import os
import secrets
import shutil
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

from autograder import submissions as sb
from tests.browser.lab import SCREENSHOTS, chromium_browser, free_port, wait_until_up
from tests.notebooks import harness

pytestmark = pytest.mark.xdist_group("student_view")

RELEASE = harness.ROOT / "release"
WEEKS = sorted(p.name for p in RELEASE.iterdir() if (p / f"{p.name}.ipynb").is_file()) if RELEASE.is_dir() else []
RUN_ALL_TIMEOUT_MS = 120_000
# jupyter_server's default is 1000 messages a second over a 3 s window (status, comm_open and
# execute_input not counted); a busy server reads a backlog in one burst and sees a higher rate
IOPUB_MSG_RATE_LIMIT = 100


@pytest.fixture(scope="module")
def lab(tmp_path_factory):
    """A JupyterLab server on loopback serving the solved release notebooks; yields (url, token, folder, log)."""
    folder = tmp_path_factory.mktemp("lab")
    for week in WEEKS:
        nb = sb.fill(RELEASE / week / f"{week}.ipynb", sb.reference_answers(harness.SOURCE / week / f"{week}.ipynb"))
        nbformat.write(nb, folder / f"{week}.ipynb")
        # the week's other files (data loaders, ...) sit beside the notebook, as in a student's folder
        for extra in (RELEASE / week).iterdir():
            if extra.is_file() and extra.suffix != ".ipynb":
                shutil.copy(extra, folder / extra.name)
    port, token = free_port(), secrets.token_hex(16)
    home = tmp_path_factory.mktemp("jupyter_home")
    # a student's JupyterLab that never asks for or fetches news (this machine has no internet)
    settings = home / "user-settings" / "@jupyterlab" / "apputils-extension"
    settings.mkdir(parents=True)
    (settings / "notification.jupyterlab-settings").write_text('{"fetchNews": "false", "checkForUpdates": false}')
    # JupyterLab's default windowing ("defer") attaches cells outside the viewport only when
    # the CPU is idle: on a busy 2-core machine figures and formulas were then missing from
    # the page at random. Attach every cell, so what is checked is the notebook, not the load.
    tracker = home / "user-settings" / "@jupyterlab" / "notebook-extension"
    tracker.mkdir(parents=True)
    (tracker / "tracker.jupyterlab-settings").write_text('{"windowingMode": "none"}')
    env = dict(os.environ, JUPYTER_CONFIG_DIR=str(home / "config"), JUPYTER_RUNTIME_DIR=str(home / "runtime"),
               JUPYTERLAB_WORKSPACES_DIR=str(home / "workspaces"), MPLBACKEND="module://matplotlib_inline.backend_inline")
    log_path = home / "lab.log"
    log = open(log_path, "w")
    server = subprocess.Popen(
        [str(Path(sys.executable).parent / "jupyter"), "lab", "--no-browser", "--allow-root", "--ip=127.0.0.1",
         f"--port={port}", f"--IdentityProvider.token={token}", f"--ServerApp.root_dir={folder}",
         "--LabApp.expose_app_in_browser=True", f"--LabApp.user_settings_dir={home / 'user-settings'}",
         f"--ServerApp.iopub_msg_rate_limit={IOPUB_MSG_RATE_LIMIT}"],
        env=env, stdout=log, stderr=subprocess.STDOUT, cwd=folder)
    url = f"http://127.0.0.1:{port}"
    # a generous bound that says what it waited for (JupyterLab importing its extensions on a
    # loaded machine took over 60 s)
    wait_until_up(url, token, server, log_path, "the student-view JupyterLab")
    try:
        yield url, token, folder, log_path
    finally:
        server.terminate()
        try:
            server.wait(timeout=20)
        except subprocess.TimeoutExpired:
            server.kill()
        log.close()


@pytest.fixture(scope="module")
def browser():
    with chromium_browser() as b:
        yield b


# JavaScript run in the page, on the notebook open in the main area (its model, not the DOM:
# the model knows every cell, run or not, and every output).
_NOTEBOOK = "window.jupyterapp.shell.currentWidget"
_KERNEL_IDLE = (f"() => {{ const k = {_NOTEBOOK} && {_NOTEBOOK}.sessionContext.session"
                " && " + _NOTEBOOK + ".sessionContext.session.kernel;"
                " return !!k && k.connectionStatus === 'connected' && k.status === 'idle'; }")
_STATE = f"""() => {{
  const code = [...{_NOTEBOOK}.content.model.cells].filter(c => c.type === 'code');
  const outputs = code.flatMap(c => c.outputs.toJSON());
  return {{cells: code.length, ran: code.filter(c => c.executionCount !== null).length,
          errors: outputs.filter(o => o.output_type === 'error').map(o => o.ename + ': ' + o.evalue),
          stderr: outputs.filter(o => o.output_type === 'stream' && o.name === 'stderr').map(o => [].concat(o.text).join(''))}};
}}"""
_DONE = f"() => {{ const s = ({_STATE})(); return s.ran === s.cells || s.errors.length > 0; }}"
_WIDGET_FIGURE = f"() => {{ const i = {_NOTEBOOK}.node.querySelector('.widget-output img'); return i ? i.src : null; }}"
# true once the first widget has not moved since the previous poll (formulas above it being
# typeset move it down, and a click aimed at a moving button lands beside it)
_WIDGET_SETTLED = f"""() => {{
  const w = {_NOTEBOOK}.node.querySelector('.jupyter-widgets');
  if (!w) return false;
  const r = w.getBoundingClientRect(), where = [r.top, r.left, r.width, r.height].join();
  const same = window.__widgetWhere === where;
  window.__widgetWhere = where;
  return same;
}}"""


def _first_control(notebook):
    """The first widget control and a change to it: ``(name, operate)``.

    ``operate(attempt)`` moves a slider one step further, or selects a toggle button, checkbox
    state or dropdown option other than the one shown at the start: the same one for a checkbox,
    the next one along for toggle buttons and dropdowns. So a second try never undoes the first,
    and still sends the kernel a new value if the first change reached the page but not the
    kernel.
    """
    slider = notebook.locator(".widget-slider .noUi-handle").first
    if slider.count():
        def step(attempt):
            slider.focus()
            slider.press("ArrowRight")
        return "slider", step
    toggles = notebook.locator(".widget-toggle-buttons").first
    if toggles.count():
        others = toggles.locator("button:not(.mod-active)").all_inner_texts()

        def click(attempt):
            toggles.get_by_role("button", name=others[attempt % len(others)], exact=True).click()
        return "toggle button", click
    checkbox = notebook.locator(".widget-checkbox input").first
    if checkbox.count():
        change = checkbox.uncheck if checkbox.is_checked() else checkbox.check
        return "checkbox", lambda attempt: change()
    dropdown = notebook.locator(".widget-dropdown select").first
    if dropdown.count():
        shown = dropdown.evaluate("s => s.options[s.selectedIndex].text")
        others = [o for o in dropdown.locator("option").all_text_contents() if o != shown]
        return "dropdown", lambda attempt: dropdown.select_option(label=others[-1 - attempt % len(others)])
    pytest.fail("the widget has no slider, toggle button, checkbox or dropdown to operate")


# what the page shows of the widget and the kernel, for a failure message
_WIDGET_STATE = f"""() => {{
  const nb = {_NOTEBOOK}, k = nb && nb.sessionContext.session && nb.sessionContext.session.kernel;
  const out = nb && nb.node.querySelector('.widget-output');
  return {{current: nb ? nb.title.label : null, kernel: k ? k.status + '/' + k.connectionStatus : null,
          active: [...(nb ? nb.node.querySelectorAll('.widget-toggle-buttons .mod-active') : [])].map(b => b.innerText),
          output: out ? out.innerText.slice(0, 300) : null, images: out ? out.querySelectorAll('img').length : 0}};
}}"""


def _tail(path, lines=15):
    text = Path(path).read_text(errors="replace").splitlines() if Path(path).is_file() else []
    return "\n".join(text[-lines:])


@pytest.mark.skipif(not WEEKS, reason="no week in release/ yet")
@pytest.mark.parametrize("week", WEEKS)
def test_release_notebook_runs_and_its_widget_responds_in_jupyterlab(week, lab, browser, tmp_path):
    url, token, _, log = lab
    shots = SCREENSHOTS          # screenshots/ of the checkout (NNMATH_SCREENSHOT_DIR to move it)
    shots.mkdir(parents=True, exist_ok=True)
    page = browser.new_page(viewport={"width": 1400, "height": 1000})
    try:
        # a workspace of its own, so no other week's notebook is restored beside this one
        page.goto(f"{url}/lab/workspaces/{week}/tree/{week}.ipynb?token={token}")
        page.wait_for_selector(".jp-Notebook .jp-CodeCell", timeout=60_000)
        page.wait_for_function(_KERNEL_IDLE, timeout=60_000)   # Run All before the kernel is up queues to nothing
        page.evaluate("() => window.jupyterapp.commands.execute('notebook:run-all-cells')")
        try:
            page.wait_for_function(_DONE, timeout=RUN_ALL_TIMEOUT_MS)
        except Exception:
            pass
        state = page.evaluate(_STATE)
        assert not state["errors"], f"a cell raised: {state['errors']}"
        assert state["ran"] == state["cells"], \
            f"only {state['ran']} of {state['cells']} code cells ran in {RUN_ALL_TIMEOUT_MS / 1000:.0f} s"
        assert not state["stderr"], f"a cell writes to stderr: {state['stderr']}"

        notebook = page.locator(".jp-NotebookPanel:not(.lm-mod-hidden) .jp-Notebook")
        assert notebook.locator("mjx-container").count() > 0, "the LaTeX is not typeset"
        assert notebook.locator(".jp-OutputArea-output img").count() > 0, "no matplotlib figure"
        assert notebook.get_by_text("Error displaying widget").count() == 0, "a widget failed to render"
        assert notebook.locator(".jupyter-widgets.widget-output").count() > 0, "no interactive widget"

        first_widget = notebook.locator(".jupyter-widgets").first
        first_widget.scroll_into_view_if_needed()
        page.wait_for_function(_WIDGET_FIGURE, timeout=30_000)
        try:
            page.wait_for_function(_WIDGET_SETTLED, polling=500, timeout=20_000)
        except Exception:
            pass                     # still moving after 20 s: operate it anyway (and retry below)
        before = page.evaluate(_WIDGET_FIGURE)
        redrawn = f"() => {{ const s = ({_WIDGET_FIGURE})(); return s && s !== {before!r}; }}"
        control, operate = _first_control(notebook)
        for attempt in range(2):
            # a click can land while the widget is still being laid out (seen in CI): operate
            # the control a second time, to another value, before calling the widget broken
            operate(attempt)
            try:
                page.wait_for_function(redrawn, timeout=30_000)
                break
            except Exception:
                if attempt == 1:
                    pytest.fail(f"operating the widget's {control} twice did not redraw its figure; "
                                f"the page: {page.evaluate(_WIDGET_STATE)}; the server's log ends:\n{_tail(log)}")
        first_widget.scroll_into_view_if_needed()
        page.screenshot(path=str(shots / f"{week}_widget.png"))
    finally:
        page.close()
