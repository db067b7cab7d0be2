"""The main job (``python -m autograder demo``) on the fixture course, in a subprocess.

The demo checks every sample's verdict against what it was built to show (reference = full
marks, blank = zeros, hostile cases = flagged/errored on the affected question only) and
exits 1 otherwise, so this test fails whenever the pipeline lets one of them through.
Short time limits keep the infinite-loop case quick.
"""
from __future__ import annotations

import os
import subprocess
import sys

from autograder import results as rs
from autograder.submissions import DEMO_HOSTILE
from tests.autograder.conftest import FIXTURE_ASSIGNMENT as A
from tests.autograder.conftest import ROOT


def test_demo_on_fixture_course(course):
    env = dict(os.environ, NNMATH_CELL_TIMEOUT_S="10", NNMATH_NOTEBOOK_TIMEOUT_S="60")
    cmd = [sys.executable, "-m", "autograder", "demo", "--root", str(course.root), "--jobs", "2"]
    out = subprocess.run(cmd, capture_output=True, text=True, cwd=ROOT, env=env, timeout=900)
    assert out.returncode == 0, out.stdout[-4000:] + out.stderr[-4000:]
    assert "every verdict as expected" in out.stdout
    assert "Summary" in out.stdout and "hostileimportref" in out.stdout
    results = {r["student"]: r for r in rs.load_results([A], root=course.root)}
    assert {"reference", "blank"} | {f"hostile{k}" for k in DEMO_HOSTILE} <= set(results)
    assert rs.totals(results["reference"])[0] == 3  # 3 autograded points, answer pending
    assert (course.root / "exports" / "grades.csv").is_file()
    assert (course.root / "reports" / f"{A}.png").is_file()
    assert (course.root / "feedback" / "reference" / A / f"{A}.html").is_file()
