"""Week 4 notebook (source/w04_kernel_gradient): runs, points, release, grading through the pipeline.

Mirrors the graded names of ``w04_kernel_gradient``. The grading tests autograde submissions
built from the release notebook (``tests.notebooks.harness.grade_submissions``): the reference
solution, a blank release, differently written correct solutions, and submissions carrying the
mistakes of :mod:`solutions_lib.grading.mistakes` (one per question, several questions at once).
"""
from __future__ import annotations

import re
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

import course_config
from tests.notebooks import harness

WEEK = "w04_kernel_gradient"
POINTS = course_config.POINTS[WEEK]
AUTO = [q for q in POINTS if not q.startswith("answer_")]


def _grade(submissions):
    grade = getattr(harness, "grade_submissions", None)
    if grade is None:
        return _grade_with_cli(submissions)
    return grade(WEEK, submissions)


def _grade_with_cli(submissions):
    """Stand-in for ``harness.grade_submissions`` (same result shape) until the harness has it:
    ``python -m autograder generate`` and ``grade`` on a temporary course."""
    import json
    import os
    import shutil
    import subprocess
    import sys
    import tempfile
    root = Path(tempfile.mkdtemp(prefix=f"nnmath_{WEEK}_"))
    try:
        shutil.copytree(harness.SOURCE / WEEK, root / "source" / WEEK)
        for name in ("nbgrader_config.py", "course_config.py"):
            shutil.copy(harness.ROOT / name, root / name)
        env = dict(os.environ, PYTHONPATH=str(harness.ROOT),
                   NNMATH_GRADEBOOK_URL=f"sqlite:///{root / 'gradebook.db'}",
                   PATH=f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}")
        run = lambda *args: subprocess.run([sys.executable, "-m", "autograder", *args, "--root", str(root)],
                                           cwd=harness.ROOT, env=env, check=True, capture_output=True, text=True)
        run("generate", WEEK)
        release = nbformat.read(root / "release" / WEEK / f"{WEEK}.ipynb", as_version=4)
        for student, cells in submissions.items():
            nb = nbformat.from_dict(release)
            for cell in nb.cells:
                gid = cell.get("metadata", {}).get("nbgrader", {}).get("grade_id")
                if cell.cell_type == "code" and gid in cells:
                    cell.source = cells[gid]
            folder = root / "submitted" / student / WEEK
            folder.mkdir(parents=True)
            nbformat.write(nb, folder / f"{WEEK}.ipynb")
        run("grade", WEEK, "--jobs", "2", "--force")
        out = {}
        for student in submissions:
            data = json.loads((root / "grades" / WEEK / f"{student}.json").read_text())
            out[student] = {q: harness.Score(v["score"], v["max_score"], v["status"], v["message"])
                            for q, v in data["questions"].items()}
        return out
    finally:
        shutil.rmtree(root, ignore_errors=True)


def _release_copy(tmp_path):
    """The student version, made with nbgrader's own preprocessors, in tmp_path."""
    from nbgrader.preprocessors import ClearHiddenTests, ClearSolutions
    nb = nbformat.read(harness.source_notebook_path(WEEK), as_version=4)
    nb, _ = ClearSolutions().preprocess(nb, {})
    nb, _ = ClearHiddenTests().preprocess(nb, {})
    path = tmp_path / f"{WEEK}.ipynb"
    nbformat.write(nb, path)
    return nb, path


# --- the source notebook -------------------------------------------------------------------

def test_source_notebook_runs_top_to_bottom_under_60s():
    nb, seconds = harness.run_notebook(harness.source_notebook_path(WEEK), timeout=120)
    assert seconds < 60, f"the source notebook took {seconds:.1f} s (limit 60 s)"
    passed = "".join(o.get("text", "") for c in nb.cells if c.cell_type == "code" for o in c.outputs)
    for name in AUTO:
        assert f"{name}: " in passed, f"the hidden check of {name} printed nothing"


def test_points_in_notebook_equal_course_config():
    assert harness.notebook_points(WEEK) == {k: float(v) for k, v in POINTS.items()}


def test_cells_follow_the_conventions():
    nb = nbformat.read(harness.source_notebook_path(WEEK), as_version=4)
    assert nb.metadata["kernelspec"]["name"] == "python3"
    ids = [c.metadata["nbgrader"]["grade_id"] for c in nb.cells]
    assert len(ids) == len(set(ids)), "grade ids must be unique"
    sol = harness.solution_sources(WEEK)
    for name in AUTO:
        assert name in sol, f"no solution cell {name}"
        assert "### BEGIN SOLUTION" in sol[name] and "### END SOLUTION" in sol[name]
        assert "solutions_lib" not in sol[name]
        assert f"test_{name}" in ids
    for c in nb.cells:
        if c.cell_type == "code":
            assert c.outputs == [] and c.execution_count is None, "outputs must be stripped"
            meta = c.metadata["nbgrader"]
            if meta.get("grade"):
                # hidden check first (so a known mistake is named before a visible assert stops
                # the cell), then the visible part, which alone survives in the release
                hidden = re.fullmatch(r"### BEGIN HIDDEN TESTS\n(.*?)### END HIDDEN TESTS\n(.*)", c.source, re.S)
                assert hidden, f"{meta['grade_id']}: expected the hidden region first"
                body, visible = hidden.group(1).strip().splitlines(), hidden.group(2)
                assert "solutions_lib" not in visible, f"{meta['grade_id']}: visible part imports solutions_lib"
                name = meta["grade_id"][len("test_"):]
                assert body == ["from solutions_lib.grading import check", f'check("{name}", {name})']


def test_release_leaks_nothing_and_errors_only_in_student_cells(tmp_path):
    nb, path = _release_copy(tmp_path)
    text = "\n".join(c.source for c in nb.cells)
    for secret in ("BEGIN SOLUTION", "HIDDEN TESTS", "solutions_lib", "Rubric", "check("):
        assert secret not in text, f"the release contains {secret!r}"
    client = NotebookClient(nb, timeout=120, kernel_name="python3", allow_errors=True,
                            resources={"metadata": {"path": str(tmp_path)}})
    client.execute()
    errors = [c.metadata["nbgrader"] for c in nb.cells if c.cell_type == "code"
              and any(o.output_type == "error" for o in c.outputs)]
    assert errors, "the blank release should fail its tests"
    for meta in errors:
        assert meta.get("solution") or meta.get("grade"), f"teaching cell {meta['grade_id']} errors in the release"
    failing_tests = {m["grade_id"] for m in errors if m.get("grade")}
    assert failing_tests == {f"test_{n}" for n in AUTO}


# --- grading through the pipeline -----------------------------------------------------------

def _assert_full(scores, who):
    for q in AUTO:
        s = scores[q]
        assert s.score == s.max_score == POINTS[q], f"{who}: {q} scored {s.score}/{s.max_score}: {s.message}"


@pytest.fixture(scope="module")
def graded():
    """Every submission of this module, autograded in one run: reference, blank, alternative,
    and the mistake submissions (one known mistake per question, several questions at once)."""
    subs, expected = _mistake_submissions()
    subs.update({"reference": harness.solution_sources(WEEK), "blank": {}, "alternative": dict(ALTERNATIVES)})
    return _grade(subs), expected


def test_reference_earns_every_point_and_blank_earns_none(graded):
    result, _ = graded
    _assert_full(result["reference"], "reference")
    for q in AUTO:
        assert result["blank"][q].score == 0, f"blank release earned points for {q}"


ALTERNATIVES = {
    "kernel_gradient": """
import numpy as np

def kernel_gradient(a, delta):
    a, delta = np.asarray(a, dtype=float), np.asarray(delta, dtype=float)
    if a.ndim != 2 or delta.ndim != 2 or delta.shape[0] > a.shape[0] or delta.shape[1] > a.shape[1]:
        raise ValueError("need 2-D a and a delta no larger than a")
    kh, kw = a.shape[0] - delta.shape[0] + 1, a.shape[1] - delta.shape[1] + 1
    dh, dw = delta.shape
    g = np.zeros((kh, kw))
    for p in range(kh):
        for q in range(kw):
            r, c = kh - 1 - p, kw - 1 - q
            g[p, q] = np.sum(delta * a[r:r + dh, c:c + dw])
    return g
""",
    "backward_filters": """
import numpy as np

def backward_filters(w):
    w = np.asarray(w, dtype=float)
    if w.ndim != 4:
        raise ValueError("w must be 4-D")
    return np.rot90(w, 2, axes=(0, 1)).swapaxes(2, 3)
""",
    "conv2d_backward": """
import numpy as np

def conv2d_backward(delta, x, w, stride=1, padding=0):
    delta, x, w = (np.asarray(t, dtype=float) for t in (delta, x, w))
    if x.ndim != 4 or w.ndim != 4 or x.shape[3] != w.shape[2]:
        raise ValueError("x and w do not fit")
    n, h, wd, c = x.shape
    kh, kw, _, k = w.shape
    ho, wo = (h + 2 * padding - kh) // stride + 1, (wd + 2 * padding - kw) // stride + 1
    if delta.shape != (n, ho, wo, k):
        raise ValueError("delta has the wrong shape")
    xp = np.pad(x, ((0, 0), (padding, padding), (padding, padding), (0, 0)))
    dxp, dw = np.zeros_like(xp), np.zeros_like(w)
    for i in range(ho):                      # loop over output positions, vectorised over batch
        for j in range(wo):
            r, s = i * stride, j * stride
            patch = xp[:, r:r + kh, s:s + kw, :]
            dw += np.tensordot(patch, delta[:, i, j, :], axes=([0], [0]))
            dxp[:, r:r + kh, s:s + kw, :] += np.tensordot(delta[:, i, j, :], w, axes=([1], [3]))
    return dxp[:, padding:padding + h, padding:padding + wd, :], dw, delta.sum(axis=(0, 1, 2))
""",
    "maxpool2d_backward": """
import numpy as np

def maxpool2d_backward(delta, x, size=2, stride=2):
    delta, x = np.asarray(delta, dtype=float), np.asarray(x, dtype=float)
    if x.ndim != 4 or size < 1 or stride < 1 or size > x.shape[1] or size > x.shape[2]:
        raise ValueError("bad pooling parameters")
    n, h, w, c = x.shape
    ho, wo = (h - size) // stride + 1, (w - size) // stride + 1
    if delta.shape != (n, ho, wo, c):
        raise ValueError("delta has the wrong shape")
    dx = np.zeros_like(x)
    nn, cc = np.meshgrid(np.arange(n), np.arange(c), indexing="ij")
    for i in range(ho):
        for j in range(wo):
            win = x[:, i * stride:i * stride + size, j * stride:j * stride + size, :].reshape(n, size * size, c)
            first = np.argmax(win, axis=1)            # first maximum, row-major
            r, s = i * stride + first // size, j * stride + first % size
            np.add.at(dx, (nn, r, s, cc), delta[:, i, j, :])
    return dx
""",
    "avgpool2d_forward": """
import numpy as np

def avgpool2d_forward(x, size=2, stride=2):
    x = np.asarray(x, dtype=float)
    if x.ndim != 4 or size < 1 or stride < 1 or size > x.shape[1] or size > x.shape[2]:
        raise ValueError("bad pooling parameters")
    ho, wo = (x.shape[1] - size) // stride + 1, (x.shape[2] - size) // stride + 1
    out = np.zeros((x.shape[0], ho, wo, x.shape[3]))
    for i in range(ho):
        for j in range(wo):
            out[:, i, j, :] = x[:, i * stride:i * stride + size, j * stride:j * stride + size, :].sum(axis=(1, 2))
    return out / size ** 2
""",
    "avgpool2d_backward": """
import numpy as np

def avgpool2d_backward(delta, x, size=2, stride=2):
    delta, x = np.asarray(delta, dtype=float), np.asarray(x, dtype=float)
    if x.ndim != 4 or size < 1 or stride < 1 or size > x.shape[1] or size > x.shape[2]:
        raise ValueError("bad pooling parameters")
    n, h, w, c = x.shape
    ho, wo = (h - size) // stride + 1, (w - size) // stride + 1
    if delta.shape != (n, ho, wo, c):
        raise ValueError("delta has the wrong shape")
    dx = np.zeros_like(x)
    for i in range(ho):
        for j in range(wo):
            dx[:, i * stride:i * stride + size, j * stride:j * stride + size, :] += delta[:, i:i + 1, j:j + 1, :] / size ** 2
    return dx
""",
    "grad_w1111": """
import numpy as np

def grad_w1111(I, w, b, v, y_hat, sigma, dsigma):
    I, w, b, v, y_hat = (np.asarray(t, dtype=float) for t in (I, w, b, v, y_hat))
    kh, kw, c, k = w.shape
    ho, wo = I.shape[0] - kh + 1, I.shape[1] - kw + 1
    if I.shape[2] != c or v.shape[:3] != (ho, wo, k) or b.shape != (k,) or y_hat.shape != v.shape[3:]:
        raise ValueError("shapes do not fit")
    a = np.zeros((ho, wo, k))
    for i in range(ho):
        for j in range(wo):
            a[i, j] = b + np.tensordot(I[i:i + kh, j:j + kw, :], w, axes=3)
    y = np.tensordot(sigma(a), v, axes=3)
    total = 0.0
    for o in range(len(y_hat)):
        for i in range(ho):
            for j in range(wo):
                total -= (y_hat[o] - y[o]) * v[i, j, 0, o] * dsigma(a[i, j, 0]) * I[i, j, 0]
    return total
""",
}


def test_alternative_correct_solutions_earn_full_points(graded):
    assert set(ALTERNATIVES) == set(AUTO)
    result, _ = graded
    _assert_full(result["alternative"], "alternative")


def _mistake_submissions():
    """Submission i carries the i-th known mistake of every question that has one."""
    from solutions_lib.grading.mistakes import MISTAKES, mistake_source
    reference = harness.solution_sources(WEEK)
    keys = {q: [m.key for m in MISTAKES.get(q, [])] for q in AUTO}
    assert all(keys[q] for q in AUTO), f"questions without a catalogued mistake: {[q for q in AUTO if not keys[q]]}"
    subs, expected = {}, {}
    for i in range(max(len(k) for k in keys.values())):
        code = dict(reference)
        planted = {}
        for q in AUTO:
            if i < len(keys[q]):
                code[q] = mistake_source(q, keys[q][i])
                planted[q] = keys[q][i]
        subs[f"mistakes_{i}"] = code
        expected[f"mistakes_{i}"] = planted
    return subs, expected


def test_each_mistake_loses_its_question_only_and_is_named(graded):
    result, expected = graded
    for student, planted in expected.items():
        for q in AUTO:
            s = result[student][q]
            if q in planted:
                assert s.score == 0, f"{student}: mistake {planted[q]} of {q} earned {s.score}"
                assert planted[q] in s.message, f"{student}: feedback of {q} does not name {planted[q]}: {s.message}"
            else:
                assert s.score == POINTS[q], f"{student}: {q} lost points without a mistake: {s.message}"


def test_visible_tests_pass_for_the_reference_without_solutions_lib(tmp_path):
    """The visible parts alone (hidden regions removed) pass with the solutions in."""
    nb = nbformat.read(harness.source_notebook_path(WEEK), as_version=4)
    for c in nb.cells:
        if c.cell_type == "code":
            c.source = re.sub(r"### BEGIN HIDDEN TESTS.*?### END HIDDEN TESTS", "", c.source, flags=re.S)
    path = tmp_path / "visible.ipynb"
    nbformat.write(nb, path)
    nb, _ = harness.run_notebook(path)
    for c in nb.cells:
        if c.cell_type == "code" and c.metadata["nbgrader"].get("grade"):
            assert any("visible tests passed" in o.get("text", "") for o in c.outputs), c.metadata["nbgrader"]["grade_id"]
