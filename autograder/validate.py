"""``validate``: what a student needs before submitting — per question passed, failed or not attempted.

``nbgrader validate`` on a week with one function done prints hundreds of lines: every
``NotImplementedError`` traceback of the functions not written yet, each test cell's source,
and the kernel's own "running over TCP without encryption" warning. :func:`validate` runs the
notebook once (a kernel on IPC sockets, its own stderr discarded, every cell run even after an
error, as *Restart and Run All* would) and reads, per question of the notebook:

- ``passed``: the solution ran and its visible test cell raised nothing;
- ``not attempted``: the solution cell, or the function it defines when the test calls it,
  still raises ``NotImplementedError`` (a written answer still reads ``YOUR ANSWER HERE``);
- ``failed``: the solution or its test cell raised; the detail is the error's first line,
  shortened to fewer than 80 characters;
- ``changed``: a locked cell (a test) was edited; the grader restores it, so passing now means
  nothing;
- ``answered``: a written answer, graded by hand.

Only the visible tests run here (a release has no hidden test): ``passed`` is necessary, not
sufficient, for full marks.

Two front ends: the command ``python -m autograder validate NOTEBOOK`` (:func:`main`; ``--json``
for programs), and a Jupyter server extension (:func:`_load_jupyter_server_extension`) that
answers JupyterLab's **Validate** button (nbgrader's lab extension posts to
``/assignments/validate``) with the same per-question lines instead of nbgrader's tracebacks.
The student set-up (:mod:`autograder.student_setup`) enables it in place of nbgrader's.
"""
from __future__ import annotations

import argparse
import html
import json
import re
import subprocess
import sys
from dataclasses import asdict, dataclass
from pathlib import Path

import nbformat

from autograder import cells
from autograder.kernel_client import CLIENT_FACTORY

#: What a written answer's cell reads before the student writes anything.
ANSWER_PLACEHOLDER = "YOUR ANSWER HERE"
#: The longest detail line shown (the first line of an error).
MAX_DETAIL = 79
_ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")
_MARK = {"passed": "ok  ", "failed": "FAIL", "not attempted": "todo", "changed": "EDIT",
         "answered": "ok  "}


@dataclass(frozen=True)
class QuestionCheck:
    """One question of a validated notebook."""

    question: str
    status: str          # passed | failed | not attempted | changed | answered
    detail: str = ""     # one line, < 80 characters


def _short(text: str) -> str:
    line = _ANSI.sub("", text or "").strip().splitlines()
    line = line[0].strip() if line else ""
    return line if len(line) <= MAX_DETAIL else line[:MAX_DETAIL - 1] + "…"


def _error(cell) -> dict | None:
    for out in cell.get("outputs", []):
        if out.get("output_type") == "error":
            return out
    return None


def _error_line(err: dict) -> str:
    return _short(f"{err.get('ename', 'Error')}: {err.get('evalue', '')}".rstrip(": "))


def _edited(cell) -> bool:
    from nbgrader.utils import compute_checksum

    meta = cells.nbgrader(cell)
    return bool(meta.get("locked") and meta.get("checksum")
                and compute_checksum(cell) != meta["checksum"])


def read_checks(nb) -> list[QuestionCheck]:
    """The per-question result of an *executed* notebook ``nb``, in notebook order."""
    by_id = {cells.grade_id(c): c for c in nb.cells if cells.grade_id(c)}
    out = []
    for cell in nb.cells:
        gid = cells.grade_id(cell)
        meta = cells.nbgrader(cell)
        if not gid or not meta.get("grade"):
            continue
        question = cells.question_of(gid)
        if cell.cell_type == "markdown":
            text = cell.source.strip()
            done = text and text != ANSWER_PLACEHOLDER
            out.append(QuestionCheck(question, "answered" if done else "not attempted",
                                     "graded by hand" if done else "write your answer in its cell"))
            continue
        solution = by_id.get(question)
        sol_err = _error(solution) if solution is not None else None
        test_err = _error(cell)
        if _edited(cell):
            out.append(QuestionCheck(question, "changed",
                                     "its test cell was edited: restore it (it is graded as released)"))
        elif "NotImplementedError" in ((sol_err or {}).get("ename"), (test_err or {}).get("ename")):
            out.append(QuestionCheck(question, "not attempted",
                                     f"{question} still raises NotImplementedError"))
        elif sol_err:
            out.append(QuestionCheck(question, "failed",
                                     _short(f"solution cell: {_error_line(sol_err)}")))
        elif test_err:
            out.append(QuestionCheck(question, "failed", _error_line(test_err)))
        else:
            out.append(QuestionCheck(question, "passed", "the visible tests pass"))
    return out


def _cell_timeout() -> int:
    try:
        import course_config
        return int(course_config.CELL_TIMEOUT_S)
    except (ImportError, AttributeError):  # a student's machine without the course package
        return 120


def execute(path: Path | str, timeout: int | None = None):
    """Run the notebook at ``path`` top to bottom, every cell even after an error; return it."""
    from jupyter_client.manager import KernelManager
    from nbclient import NotebookClient

    path = Path(path).resolve()
    nb = nbformat.read(str(path), as_version=4)
    from jupyter_core.paths import jupyter_runtime_dir

    # IPC sockets in the runtime folder: no TCP port, so no "running over TCP" warning either
    runtime = Path(jupyter_runtime_dir())
    runtime.mkdir(parents=True, exist_ok=True)
    km = KernelManager(kernel_name="python3", transport="ipc", ip=str(runtime / f"validate-{path.stem}"),
                       client_factory=CLIENT_FACTORY)
    client = NotebookClient(nb, km=km, timeout=timeout or _cell_timeout(), allow_errors=True,
                            resources={"metadata": {"path": str(path.parent)}})
    client.execute(stderr=subprocess.DEVNULL, stdout=subprocess.DEVNULL)
    return nb


def validate(path: Path | str, timeout: int | None = None) -> list[QuestionCheck]:
    """Run the notebook at ``path`` and return its per-question checks in notebook order."""
    return read_checks(execute(path, timeout))


def format_checks(checks: list[QuestionCheck]) -> str:
    """The calm text a student reads: one line per question (a failure's first line under it),
    then one summary line."""
    lines = []
    for c in checks:
        lines.append(f"{_MARK.get(c.status, '    ')}  {c.question}: {c.status}")
        if c.status in ("failed", "changed") and c.detail:
            lines.append(f"      {c.detail}")
    counts = {s: sum(c.status == s for c in checks)
              for s in ("passed", "failed", "not attempted", "changed", "answered")}
    lines.append(", ".join(f"{n} {s}" for s, n in counts.items() if n) or "no graded question")
    return "\n".join(lines)


def all_passed(checks: list[QuestionCheck]) -> bool:
    """True when every question passed (or is a written answer that was written)."""
    return all(c.status in ("passed", "answered") for c in checks)


def lab_response(checks: list[QuestionCheck]) -> dict:
    """The answer nbgrader's lab extension expects from ``/assignments/validate``.

    Its dialog shows ``value.failed[i].source`` as text and ``.error`` as HTML, or "Success!"
    when nothing failed: one entry carries the whole per-question list.
    """
    if all_passed(checks):
        return {"success": True, "value": {}}
    return {"success": True, "value": {"failed": [{
        "source": format_checks(checks),
        "error": html.escape("Only the visible tests ran: passing them is needed, not enough."),
        "raw_error": ""}]}}


def main(argv=None) -> int:
    """``python -m autograder validate NOTEBOOK``: exit 0 when every question passed."""
    p = argparse.ArgumentParser(prog="python -m autograder validate",
                                description="Run a week's notebook and say per question: "
                                "passed, failed (first line of the error), not attempted.")
    p.add_argument("notebook", type=Path)
    p.add_argument("--json", action="store_true", help="one JSON list of {question, status, detail}")
    p.add_argument("--timeout", type=int, default=None, help="seconds per cell")
    args = p.parse_args(argv)
    if not args.notebook.is_file():
        print(f"validate: no notebook at {args.notebook}", file=sys.stderr)
        return 2
    try:
        checks = validate(args.notebook, args.timeout)
    except Exception as exc:  # unreadable JSON, no kernel: one line, not a traceback
        print(f"validate: could not run {args.notebook.name}: {_short(f'{type(exc).__name__}: {exc}')}",
              file=sys.stderr)
        return 1
    print(json.dumps([asdict(c) for c in checks]) if args.json else format_checks(checks))
    return 0 if all_passed(checks) else 1


# --- the Jupyter server extension behind JupyterLab's Validate button -------------------

def _jupyter_server_extension_points():
    return [{"module": "autograder.validate"}]


def _load_jupyter_server_extension(serverapp):
    import asyncio

    from jupyter_server.base.handlers import JupyterHandler
    from jupyter_server.utils import url_path_join
    from tornado import web

    root = Path(serverapp.root_dir).resolve()

    class CalmValidateHandler(JupyterHandler):
        @web.authenticated
        async def post(self):
            path = self.get_argument("path", None) or (self.get_json_body() or {}).get("path", "")
            target = (root / path).resolve()
            if not target.is_relative_to(root) or not target.is_file():
                raise web.HTTPError(403 if not target.is_relative_to(root) else 404)
            proc = await asyncio.create_subprocess_exec(
                sys.executable, "-m", "autograder.validate", "--json", str(target),
                stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE, cwd=str(target.parent))
            out, err = await proc.communicate()
            try:
                checks = [QuestionCheck(**c) for c in json.loads(out.decode())]
            except ValueError:
                self.finish(json.dumps({"success": False, "value": err.decode().strip()[-500:]}))
                return
            self.finish(json.dumps(lab_response(checks)))

    from nbgrader.server_extensions.validate_assignment.handlers import NbGraderVersionHandler

    base = serverapp.web_app.settings["base_url"]
    # nbgrader's toolbar button asks for the version first: answered here, as nbgrader's would
    serverapp.web_app.add_handlers(".*$", [
        (url_path_join(base, "/assignments/validate"), CalmValidateHandler),
        (url_path_join(base, "/nbgrader_version"), NbGraderVersionHandler)])
    serverapp.log.info("nnmath: calm Validate answers /assignments/validate")


if __name__ == "__main__":
    sys.exit(main())
