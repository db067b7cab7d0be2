"""Week 7 notebook (source/w07_peephole_lstm): the checks of :class:`tests.notebooks.weekly.WeeklyNotebookTests`,
the sheet's numbers in the executed notebook, the survival widget's arithmetic against the reference,
and correct implementations written differently (stacked gates, lists over time) passing the checker.
"""
from __future__ import annotations

import importlib.util
import re

import nbformat
import numpy as np
import pytest

from solutions_lib import delta_c, lstm_backward, lstm_forward, lstm_step_forward
from solutions_lib.grading import catalogue
from solutions_lib.grading.judge import judge, outcome
from tests.notebooks import harness
from tests.notebooks.weekly import WeeklyNotebookTests

WEEK = "w07_peephole_lstm"
pytestmark = pytest.mark.xdist_group(WEEK)


def _plots():
    path = harness.SOURCE / WEEK / f"{WEEK}_plots.py"
    spec = importlib.util.spec_from_file_location(f"{WEEK}_plots", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _params(r, D, H, scale=0.5):
    p = {k: scale * r.standard_normal((D, H)) for k in ("W_f", "W_i", "W_o", "W_c")}
    p.update({k: scale * r.standard_normal((H, H)) for k in ("W_fc", "W_ic", "W_oc")})
    p.update({k: 0.1 * r.standard_normal(H) for k in ("b_f", "b_i", "b_o", "b_c")})
    return p


class TestW07PeepholeLstm(WeeklyNotebookTests):
    week = WEEK

    @pytest.fixture(scope="class")
    @classmethod
    def executed(cls):
        nb, _ = harness.run_notebook(harness.source_notebook_path(WEEK), timeout=120)
        return {c.metadata["nbgrader"]["grade_id"]: "".join(o.get("text", "") for o in c.outputs)
                for c in nb.cells if c.cell_type == "code"}

    def test_worked_example_numbers_match_the_reference(self, executed):
        """δc_1 of the scalar example: finite differences, routes 1-2, and the reference's delta_c."""
        p = {k: np.array(v, float) for k, v in dict(
            W_f=[[0.5]], W_fc=[[1.0]], b_f=[0.0], W_i=[[1.0]], W_ic=[[-1.0]], b_i=[0.0],
            W_o=[[-0.5]], W_oc=[[2.0]], b_o=[0.0], W_c=[[1.0]], b_c=[0.0]).items()}
        _, _, caches = lstm_forward(np.array([1.0, -1.0]).reshape(2, 1, 1), np.array([[0.5]]), p)
        one = np.ones((1, 1))
        d2 = delta_c(one, caches[1], p)
        d1 = float(delta_c(one, caches[0], p, dh_next=one, dc_next=d2, cache_next=caches[1])[0, 0])
        two = float(((1 - caches[0]["h"] ** 2) * caches[0]["o"] + d2 * caches[1]["f"])[0, 0])
        text = executed["sheet_example_numbers"]
        assert f"delta c_1 by finite differences : {d1:.6f}" in text
        assert f"routes 1 and 2 only             : {two:.6f}" in text
        assert f"the three peephole routes add   : {d1 - two:.6f}" in text
        assert f"{d1:.6f}" == "1.243022"

    def test_with_your_code_cells_run_on_the_reference(self, executed):
        assert "agrees with finite differences" in executed["yours_gradient_check"]
        yours, figure = re.search(r"yours (\S+), the figure's (\S+)", executed["yours_gradient_check"]).groups()
        assert yours == figure
        acc = float(re.search(r"test accuracy ([\d.]+)%", executed["yours_sign_task"]).group(1))
        assert acc >= 95.0

    def test_survival_widget_matches_the_reference_backward(self):
        """The figure's complex-step norms equal ‖dc0‖ of the reference BPTT (C_T = Σ_j h_T,j)."""
        plots = _plots()
        setup = plots.survival_setup(H=16, D=4, T_max=30, seed=0)
        for b_f in (-1.0, 0.0, 3.0):
            norms = plots.lstm_gradient_norms(setup, b_f)
            p = dict(setup["lstm"], b_f=np.full(16, b_f))
            for T in (1, 7, 30):
                _, _, caches = lstm_forward(setup["xs"][:T], setup["c0"], p)
                dhs = np.zeros((T, 1, 16))
                dhs[-1] = 1.0
                ref = np.linalg.norm(lstm_backward(dhs, caches, p)[1])
                assert np.isclose(norms[T - 1], ref, rtol=1e-10, atol=0), (b_f, T)

    def test_survival_rnn_norms_match_a_manual_backward(self):
        plots = _plots()
        setup = plots.survival_setup(H=16, D=4, T_max=25, seed=0)
        W, U, b = (setup["rnn"][k] for k in ("W", "U", "b"))
        hs, h = [], setup["c0"]
        for x in setup["xs"]:
            h = np.tanh(x @ W + h @ U + b)
            hs.append(h)
        norms = plots.rnn_gradient_norms(setup)
        for T in (1, 10, 25):
            d = np.ones((1, 16))
            for t in range(T - 1, -1, -1):
                d = (d * (1 - hs[t] ** 2)) @ U.T
            assert np.isclose(norms[T - 1], np.linalg.norm(d), rtol=1e-10)

    def test_survival_figure_shows_vanishing_and_the_forget_gate_fixing_it(self):
        plots = _plots()
        setup = plots.survival_setup(H=16, D=4, T_max=60, seed=0)
        rnn = plots.rnn_gradient_norms(setup)
        at0, at3 = plots.lstm_gradient_norms(setup, 0.0), plots.lstm_gradient_norms(setup, 3.0)
        assert rnn[-1] < 1e-10 and at0[-1] < 1e-10          # both vanish at b_f = 0
        assert at3[-1] > 1e-2                                # a large forget bias keeps it
        assert np.all(np.diff(np.log(at3[5:])) < 0.5)         # and it does not explode

    def test_stacked_gate_and_list_implementations_pass_the_checker(self):
        """Correct code written differently (one matrix product for all gates, lists over time) passes."""
        src = '''
import numpy as np

GATES = ("f", "i", "o", "c")

def _stack(params):
    p = {k: np.asarray(v, float) for k, v in params.items()}
    return (np.concatenate([p["W_" + g] for g in GATES], axis=1),
            np.concatenate([p["W_fc"], p["W_ic"], p["W_oc"], np.zeros_like(p["W_fc"])], axis=1),
            np.concatenate([p["b_" + g] for g in GATES]))

def lstm_step_forward(x_t, c_prev, params):
    Wx, Wc, b = _stack(params)
    x_t, c_prev = np.asarray(x_t, float), np.asarray(c_prev, float)
    H = Wc.shape[0]
    if x_t.ndim != 2 or x_t.shape[1] != Wx.shape[0] or c_prev.shape != (x_t.shape[0], H):
        raise ValueError("shapes do not fit")
    z = x_t @ Wx + c_prev @ Wc + b
    f, i, o = (1 / (1 + np.exp(-z[:, k * H:(k + 1) * H])) for k in range(3))
    g = np.tanh(z[:, 3 * H:])
    c = f * c_prev + i * g
    h = np.tanh(o * c)
    return h, c, dict(x=x_t, c_prev=c_prev, f=f, i=i, o=o, g=g, c=c, h=h)

def lstm_backward(dhs, caches, params):
    Wx, Wc, _ = _stack(params)
    dhs = np.asarray(dhs, float)
    if dhs.ndim != 3 or len(dhs) != len(caches) or not caches:
        raise ValueError("one dh per cache")
    H = Wc.shape[0]
    dWx, dWc, db, dxs = np.zeros_like(Wx), np.zeros_like(Wc), np.zeros(4 * H), []
    carry = np.zeros(dhs.shape[1:])
    for t in reversed(range(len(caches))):
        k = caches[t]
        du = dhs[t] * (1 - k["h"] ** 2)
        dc = du * k["o"] + carry
        dz = np.concatenate([dc * k["c_prev"] * k["f"] * (1 - k["f"]), dc * k["g"] * k["i"] * (1 - k["i"]),
                             du * k["c"] * k["o"] * (1 - k["o"]), dc * k["i"] * (1 - k["g"] ** 2)], axis=1)
        dWx += k["x"].T @ dz
        dWc += k["c_prev"].T @ dz
        db += dz.sum(0)
        dxs.insert(0, dz @ Wx.T)
        carry = dc * k["f"] + dz @ Wc.T
    grads = {}
    for n, g in enumerate(GATES):
        grads["W_" + g] = dWx[:, n * H:(n + 1) * H]
        grads["b_" + g] = db[n * H:(n + 1) * H]
        if g != "c":
            grads["W_" + g + "c"] = dWc[:, n * H:(n + 1) * H]
    return np.stack(dxs), carry, grads
'''
        ns = {}
        exec(compile(src, "<stacked>", "exec"), ns)
        for name in ("lstm_step_forward", "lstm_backward"):
            ref = {"lstm_step_forward": lstm_step_forward, "lstm_backward": lstm_backward}[name]
            results = [list(outcome(ns[name], c)) for c in catalogue.make_cases(name)]
            v = judge(name, ref, results, [])
            assert v.passed, v.message

    def test_every_catalogued_mistake_fails_a_visible_test(self):
        """The visible part of each test cell catches every catalogued mistake of its name."""
        nb = nbformat.read(harness.source_notebook_path(WEEK), as_version=4)
        visible = {c.metadata["nbgrader"]["grade_id"][5:]:
                   re.sub(r"### BEGIN HIDDEN TESTS.*?### END HIDDEN TESTS\n", "", c.source, flags=re.S)
                   for c in nb.cells if c.metadata["nbgrader"].get("grade")
                   and c.metadata["nbgrader"]["grade_id"].startswith("test_")}
        for name in ("lstm_step_forward", "lstm_forward", "delta_c", "lstm_backward"):
            for m in catalogue.mistakes(name):
                ns = {}
                exec(compile(m.source, f"<{m.key}>", "exec"), ns)
                with pytest.raises(AssertionError):
                    exec(compile(visible[name], f"<visible {name}>", "exec"), ns)
