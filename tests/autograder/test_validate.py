"""``autograder.validate``: per question passed / failed / not attempted, calmly, in a real kernel."""
from __future__ import annotations

import json
import subprocess
import sys

import nbformat

from autograder.validate import format_checks, lab_response, validate
from tests.autograder.conftest import CORRECT_ANSWERS, student_notebook

WRONG_SIZE = "def conv_output_size(n, f, p=0, s=1):\n    return n - f  # forgot the + 1\n"


def _write(course, tmp_path, answers, markdown=None):
    path = tmp_path / "work.ipynb"
    nbformat.write(student_notebook(course.release_nb, answers, markdown), path)
    return path


def test_one_function_done_one_wrong_one_answer_missing(released_copy, tmp_path):
    path = _write(released_copy, tmp_path, {"flip": CORRECT_ANSWERS["flip"], "conv_output_size": WRONG_SIZE})
    checks = {c.question: c for c in validate(path)}
    assert checks["flip"].status == "passed"
    assert checks["conv_output_size"].status == "failed"
    assert checks["conv_output_size"].detail.startswith("AssertionError")
    assert checks["answer_flip"].status == "not attempted"
    text = format_checks(list(checks.values()))
    assert all(len(line) < 80 for line in text.splitlines()), text
    assert "Traceback" not in text and len(text.splitlines()) <= 5
    assert text.splitlines()[-1] == "1 passed, 1 failed, 1 not attempted"
    response = lab_response(list(checks.values()))     # what JupyterLab's Validate dialog shows
    assert response["success"] and "flip: passed" in response["value"]["failed"][0]["source"]


def test_blank_notebook_is_not_attempted_and_all_done_passes(released_copy, tmp_path):
    checks = validate(_write(released_copy, tmp_path, {}))
    assert {c.question: c.status for c in checks} == {
        "flip": "not attempted", "conv_output_size": "not attempted", "answer_flip": "not attempted"}
    done = validate(_write(released_copy, tmp_path, CORRECT_ANSWERS, {"answer_flip": "Twice reversed."}))
    assert [c.status for c in done] == ["passed", "passed", "answered"]
    assert lab_response(done) == {"success": True, "value": {}}


def test_command_line_is_calm(released_copy, tmp_path):
    """``python -m autograder validate``: no kernel warning, no traceback, exit 1 until all pass."""
    path = _write(released_copy, tmp_path, {"flip": CORRECT_ANSWERS["flip"]})
    done = subprocess.run([sys.executable, "-m", "autograder", "validate", str(path)],
                          capture_output=True, text=True)
    assert done.returncode == 1
    assert done.stderr == "" and "TCP" not in done.stdout and "Traceback" not in done.stdout
    assert done.stdout.splitlines() == ["ok    flip: passed", "todo  conv_output_size: not attempted",
                                        "todo  answer_flip: not attempted", "1 passed, 2 not attempted"]
    as_json = subprocess.run([sys.executable, "-m", "autograder", "validate", "--json", str(path)],
                             capture_output=True, text=True)
    assert [c["status"] for c in json.loads(as_json.stdout)] == ["passed", "not attempted", "not attempted"]


def test_edited_test_cell_is_reported(released_copy, tmp_path):
    nb = student_notebook(released_copy.release_nb, CORRECT_ANSWERS)
    for cell in nb.cells:
        if cell.metadata.get("nbgrader", {}).get("grade_id") == "test_flip":
            cell.source = "pass\n"
    path = tmp_path / "edited.ipynb"
    nbformat.write(nb, path)
    checks = {c.question: c for c in validate(path)}
    assert checks["flip"].status == "changed" and checks["conv_output_size"].status == "passed"
