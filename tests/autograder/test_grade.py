"""autograder.grade: honest grading, missing work, the static scan, pre-flight."""
from __future__ import annotations

import json

import pytest

from autograder import grade as G
from autograder import kernel_run
from autograder import results as store
from tests.autograder.conftest import CORRECT_ANSWERS


def test_grade_honest_blank_partial_and_missing(released_copy):
    """Expected scores for a correct, a blank and a half-correct student; one missing."""
    course = released_copy
    course.submit("alice", CORRECT_ANSWERS, markdown={"answer_flip": "Because reversing twice."})
    course.submit("bob", {})
    course.submit("carol", {"flip": CORRECT_ANSWERS["flip"],
                            "conv_output_size": "def conv_output_size(n, f, p=0, s=1):\n"
                                                "    return n - f + 1\n"})
    res = G.grade([course.assignment], students=["alice", "bob", "carol", "dave"],
                  root=course.root, jobs=2, progress=False)
    by = {r["student"]: r for r in res}
    assert set(by) == {"alice", "bob", "carol", "dave"}
    q = {s: {n: (v["score"], v["status"]) for n, v in r["questions"].items()} for s, r in by.items()}
    assert q["alice"] == {"flip": (1.0, "graded"), "conv_output_size": (2.0, "graded"),
                          "answer_flip": (0.0, "pending")}
    assert q["bob"]["flip"] == (0.0, "graded") and q["bob"]["conv_output_size"] == (0.0, "graded")
    assert q["carol"]["flip"] == (1.0, "graded") and q["carol"]["conv_output_size"][0] == 0.0
    assert by["dave"]["status"] == "missing" and by["dave"]["reason"]
    assert all(v["status"] == "missing" for v in by["dave"]["questions"].values())
    # the store holds the same results
    for s in by:
        assert store.read_result(course.assignment, s, course.root) == by[s]
    # nbgrader's own gradebook agrees for the graded students
    from nbgrader.api import Gradebook

    with Gradebook(course.db_url) as gb:
        assert gb.find_submission(course.assignment, "alice").score == 3.0


def test_grade_unknown_assignment(released_copy):
    with pytest.raises(ValueError, match="no release notebook"):
        G.grade(["w99_nothing"], root=released_copy.root, progress=False)


def _plain_spec(monkeypatch, tmp_path, *flags):
    """Replace the sandbox kernel spec by a plain, unjailed ipykernel (``python *flags``)."""
    import sys

    from autograder import sandbox

    def plain_spec(data_dir=None):
        d = tmp_path / "jupyter" / "kernels" / sandbox.KERNEL_NAME
        d.mkdir(parents=True, exist_ok=True)
        (d / "kernel.json").write_text(json.dumps({
            "argv": [sys.executable, *flags, "-f", "{connection_file}"],
            "display_name": "plain", "language": "python"}))
        monkeypatch.setenv("JUPYTER_PATH", str(tmp_path / "jupyter"))
        return tmp_path / "jupyter"

    monkeypatch.setattr(sandbox, "install_kernel_spec", plain_spec)


def test_preflight_fails_loudly_without_the_checker(monkeypatch, tmp_path):
    """A kernel that cannot import the checker aborts grading with a clear error."""
    _plain_spec(monkeypatch, tmp_path, "-I", "-c", "import sys; sys.modules['checker'] = None; "
                "from ipykernel import kernelapp; kernelapp.launch_new_instance()")
    with pytest.raises(G.PreflightError, match="cannot import the checker"):
        G.preflight(unsandboxed=True)


def test_preflight_refuses_a_kernel_outside_the_jail(monkeypatch, tmp_path):
    """A kernel that imports the checker but sees the course (no jail) is refused."""
    from autograder import sandbox

    if sandbox.jail_unavailable():
        pytest.skip(f"no kernel jail here: {sandbox.jail_unavailable()}")
    _plain_spec(monkeypatch, tmp_path, "-I", "-m", "ipykernel_launcher")
    with pytest.raises(G.PreflightError, match="not jailed"):
        G.preflight()


def test_preflight_without_a_jail_refuses_unless_asked(monkeypatch):
    """No jail (not root, no bwrap ...): refused with the reason; --unsandboxed grades."""
    from autograder import sandbox

    monkeypatch.setattr(sandbox, "jail_unavailable", lambda: "bwrap is not installed")
    with pytest.raises(G.PreflightError, match="bwrap is not installed.*--unsandboxed"):
        G.preflight()
    assert G.preflight(unsandboxed=True).endswith("checker/__init__.py")


def test_preflight_passes():
    from autograder import sandbox

    if sandbox.jail_unavailable():
        pytest.skip(f"no kernel jail here: {sandbox.jail_unavailable()}")
    assert G.preflight() == f"{sandbox.JAIL_LIB}/checker/__init__.py"


def test_scan_signals():
    assert G._scan("def flip(a):\n    return a[::-1]\n") == []
    for code in ("from solutions_lib import flip", "import sys\nsys.modules['x'] = 1",
                 "import os\nos._exit(0)", "np.testing.assert_allclose = lambda *a: None"):
        assert G._scan(code), code


def test_failure_line_names_the_cause_not_nbgraders_summary():
    log = ("[AutogradeApp] ERROR | There was an error processing assignment\n"
           "Traceback (most recent call last):\n  File \"x\", line 1, in <module>\n"
           "RuntimeError: Kernel didn't respond in 60 seconds\n"
           "nbgrader.converters.base.NbGraderException: Please see the the above traceback for "
           "details on the specific errors on the above failures.\n")
    assert kernel_run._failure_line(log) == "RuntimeError: Kernel didn't respond in 60 seconds"
    assert kernel_run._failure_line("something odd happened\n") == "something odd happened"
    assert kernel_run._failure_line("") == "unknown"


def test_the_weeks_helper_modules_are_graded_as_released(released_copy):
    """A week's helper module reaches the kernel as released, even when the student handed in
    only the notebook (an LMS zip) or a doctored copy of the module."""
    course = released_copy
    helper = course.release_nb.parent / "week_helpers.py"
    helper.write_text("VALUE = 42\n")
    course.submit("alice", CORRECT_ANSWERS)
    doctored = course.submit("bob", CORRECT_ANSWERS).parent / "week_helpers.py"
    doctored.write_text("VALUE = 0\n")
    G.grade([course.assignment], students=["alice", "bob"], root=course.root, jobs=1, progress=False)
    for student in ("alice", "bob"):
        graded = course.root / "autograded" / student / course.assignment / "week_helpers.py"
        assert graded.read_text() == "VALUE = 42\n", student


def test_the_cell_log_survives_the_config_copy():
    """nbgrader deep-copies its config, hook included: the copy must record into the run's log."""
    import copy

    log = kernel_run.CellLog()
    hook = copy.deepcopy({"on_cell_start": log.started})["on_cell_start"]
    hook(cell={"id": "c1", "metadata": {"nbgrader": {"grade_id": "test_flip"}}}, cell_index=3)
    assert log.current == (3, "c1", "test_flip") and log.at(log.history[0][0]) == log.current
