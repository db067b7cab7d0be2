"""Week 3 notebook (source/w03_dense_backprop): runs, points, release, grading through the pipeline.

Mirrors the graded names of ``w03_dense_backprop``. The grading tests autograde submissions
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

WEEK = "w03_dense_backprop"
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
    "dense_forward": '''
import numpy as np

def dense_forward(x, W, b):
    x = np.array(x, dtype=float); W = np.array(W, dtype=float); b = np.array(b, dtype=float)
    if x.ndim != 2 or W.ndim != 2 or x.shape[1] != W.shape[0] or b.shape != W.shape[1:]:
        raise ValueError("shapes of x, W, b do not fit")
    return np.einsum("ni,io->no", x, W) + b[None, :]
''',
    "dense_backward": '''
import numpy as np

def dense_backward(delta, x, W):
    delta, x, W = (np.array(t, dtype=float) for t in (delta, x, W))
    if x.shape[1] != W.shape[0] or delta.shape != (x.shape[0], W.shape[1]):
        raise ValueError("shape mismatch")
    dW = np.zeros_like(W)
    db = np.zeros(W.shape[1])
    for n in range(x.shape[0]):
        dW += np.outer(x[n], delta[n])
        db += delta[n]
    dx = np.stack([W @ delta[n] for n in range(x.shape[0])])
    return dx, dW, db
''',
    "relu_backward": '''
import numpy as np

def relu_backward(x, delta):
    if np.shape(x) != np.shape(delta):
        raise ValueError("x and delta differ in shape")
    return np.where(np.asarray(x) > 0, np.asarray(delta, dtype=float), 0.0)
''',
    "sigmoid": '''
import numpy as np

def sigmoid(x):
    return 0.5 * (1.0 + np.tanh(0.5 * np.asarray(x, dtype=float)))
''',
    "sigmoid_backward": '''
import numpy as np

def sigmoid_backward(x, delta):
    x = np.asarray(x, dtype=float)
    if x.shape != np.shape(delta):
        raise ValueError("x and delta differ in shape")
    s = np.exp(-np.logaddexp(0.0, -x))
    return np.asarray(delta) * (s - s * s)
''',
    "softmax_cross_entropy": '''
import numpy as np

def softmax_cross_entropy(logits, labels):
    logits = np.asarray(logits, dtype=float)
    labels = np.asarray(labels)
    if logits.ndim != 2 or labels.shape != (logits.shape[0],):
        raise ValueError("need logits (N, K) and N labels")
    if labels.min() < 0 or labels.max() >= logits.shape[1]:
        raise ValueError("label out of range")
    n = len(labels)
    total, grad = 0.0, np.zeros_like(logits)
    for i in range(n):
        row = logits[i]
        m = row.max()
        lse = m + np.log(np.sum(np.exp(row - m)))
        total += lse - row[labels[i]]
        grad[i] = np.exp(row - lse)
        grad[i, labels[i]] -= 1
    return total / n, grad / n
''',
    "two_layer_gradients": '''
import numpy as np

def two_layer_gradients(x, y, V, W):
    x, y, V, W = (np.asarray(t, dtype=float) for t in (x, y, V, W))
    if V.shape[0] != x.shape[1] + 1 or W.shape[0] != V.shape[1] + 1 or y.shape != (x.shape[0], W.shape[1]):
        raise ValueError("shapes do not fit (bias rows?)")
    s = lambda t: 1.0 / (1.0 + np.exp(-t))
    dV, dW = np.zeros_like(V), np.zeros_like(W)
    for xn, yn in zip(x, y):
        xi = np.concatenate([[1.0], xn])
        a = np.concatenate([[1.0], s(xi @ V)])
        out = s(a @ W)
        d_o = (out - yn) * out * (1 - out)
        for j in range(W.shape[0]):
            for k in range(W.shape[1]):
                dW[j, k] += d_o[k] * a[j]
        d_h = np.array([a[j + 1] * (1 - a[j + 1]) * np.sum(d_o * W[j + 1]) for j in range(V.shape[1])])
        dV += np.outer(xi, d_h)
    return dV, dW
''',
    "SGD": '''
import numpy as np

class SGD:
    def __init__(self, eta=0.1):
        self.eta = eta

    def update(self, params, grads):
        for i in range(len(params)):
            np.subtract(params[i], self.eta * np.asarray(grads[i]), out=params[i])
''',
    "Momentum": '''
import numpy as np

class Momentum:
    def __init__(self, eta=0.1, mu=0.9):
        self.eta, self.mu, self.velocity = eta, mu, {}

    def update(self, params, grads):
        for i, (p, g) in enumerate(zip(params, grads)):
            m = self.velocity.setdefault(i, np.zeros_like(p, dtype=float))
            m *= self.mu
            m += (1 - self.mu) * np.asarray(g)
            p -= self.eta * m
''',
    "DenseLayer": '''
import numpy as np

class DenseLayer:
    _ACT = {
        "identity": (lambda z: z, lambda a: np.ones_like(a)),
        "relu": (lambda z: z * (z > 0), lambda a: (a > 0).astype(float)),
        "sigmoid": (lambda z: 1 / (1 + np.exp(-z)), lambda a: a * (1 - a)),
    }

    def __init__(self, n_in, n_out, activation="sigmoid", optimizer=None, rng=None):
        rng = rng or np.random.default_rng(0)
        self.g, self.dg = self._ACT[activation]
        self.W = rng.normal(0, 1 / np.sqrt(n_in), (n_in, n_out))
        self.b = np.zeros(n_out)
        self.optimizer = optimizer

    def forward(self, x):
        self.inp = np.asarray(x, dtype=float)
        self.out = self.g(self.inp @ self.W + self.b)
        return self.out

    def backward(self, delta):
        dz = np.asarray(delta) * self.dg(self.out)       # derivative from the output a
        self.dW = np.einsum("ni,no->io", self.inp, dz)
        self.db = np.einsum("no->o", dz)
        return np.einsum("no,io->ni", dz, self.W)

    def update(self):
        self.optimizer.update([self.W, self.b], [self.dW, self.db])
''',
    "SequentialNet": '''
import numpy as np
from functools import reduce

class SequentialNet:
    def __init__(self, layers, loss="sum_of_squares"):
        self.layers, self.loss = layers, loss

    def forward(self, x):
        return reduce(lambda a, layer: layer.forward(a), self.layers, x)

    def backward(self, delta):
        return reduce(lambda d, layer: layer.backward(d), self.layers[::-1], delta)

    def loss_and_delta(self, x, y):
        out = self.forward(x)
        n = len(out)
        if self.loss == "sum_of_squares":
            return np.sum((out - y) ** 2) / (2 * n), (out - y) / n
        z = out - np.max(out, axis=1, keepdims=True)
        p = np.exp(z) / np.exp(z).sum(axis=1, keepdims=True)
        onehot = np.eye(out.shape[1])[np.asarray(y, dtype=int)]
        return -np.mean(np.sum(onehot * np.log(p), axis=1)), (p - onehot) / n

    def train(self, x, y, batch_size, epochs, rng=None):
        rng = rng if rng is not None else np.random.default_rng()
        history = []
        for _ in range(epochs):
            order = np.arange(len(x))
            rng.shuffle(order)
            batch_losses = []
            for idx in np.array_split(order, int(np.ceil(len(x) / batch_size))):
                loss, delta = self.loss_and_delta(x[idx], y[idx])
                self.backward(delta)
                for layer in self.layers:
                    layer.update()
                batch_losses.append(loss)
            history.append(float(np.mean(batch_losses)))
        return history
''',
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
