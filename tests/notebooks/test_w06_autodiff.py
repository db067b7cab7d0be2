"""Week 6 notebook (source/w06_autodiff): the checks of :class:`tests.notebooks.weekly.WeeklyNotebookTests`,
the sheets' numbers in the executed notebook, and the widget's and the figure's own arithmetic
against the reference engine.
"""
from __future__ import annotations

import importlib.util
import math

import numpy as np
import pytest

from solutions_lib import autodiff as ad
from tests.notebooks import harness
from tests.notebooks.weekly import WeeklyNotebookTests

WEEK = "w06_autodiff"
pytestmark = pytest.mark.xdist_group(WEEK)


def _plots():
    path = harness.SOURCE / WEEK / f"{WEEK}_plots.py"
    spec = importlib.util.spec_from_file_location(f"{WEEK}_plots", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


class TestW06Autodiff(WeeklyNotebookTests):
    week = WEEK

    @pytest.fixture(scope="class")
    @classmethod
    def printed(cls):
        nb, _ = harness.run_notebook(harness.source_notebook_path(WEEK), timeout=120)
        return {c.metadata["nbgrader"]["grade_id"]: "".join(o.get("text", "") for o in c.outputs)
                for c in nb.cells if c.cell_type == "code"}

    def test_the_sheets_numbers_and_errata_are_printed(self, printed):
        t_theta = 1.0 * math.cos(2.5) + 4.0
        assert f"by the formula {t_theta:.10f}" in printed["sheet_f_numbers"]
        assert "t_v0 = ∂L/∂x1 = 1.1814" in printed["sheet_L_numbers"]
        assert "t_v1 = ∂L/∂x2 = 0.0907" in printed["sheet_L_numbers"]
        assert "1.0907" in printed["sheet_L_numbers"]                     # the sheet's v0-for-v1 slip
        assert "∇L(1, 2) = (1.1814, 0.0907)" in printed["sheets_with_your_code"]
        assert f"t_θ = {t_theta:.6f}" in printed["sheets_with_your_code"]

    def test_the_timing_with_your_code_runs_and_the_gradients_agree(self, printed):
        text = printed["timing_with_your_code"]
        worst = float(text.split("gradients: ")[1].split()[0])
        assert worst < 1e-12

    @pytest.mark.parametrize("point", [(1.0, 2.0, 0.5), (-1.25, 0.75, 2.0), (0.3, -1.7, -0.6)])
    def test_the_widgets_walk_matches_the_reference_engine(self, point):
        plots = _plots()
        values, _, t_steps = plots.sheet_walk(*point)
        x1, x2, th = (ad.Var(v) for v in point)
        f = ad.sheet_f(x1, x2, th)
        ad.backward(f)
        assert values["f6"] == pytest.approx(f.value)
        final = t_steps[-1]
        for name, leaf in (("x1", x1), ("x2", x2), ("θ", th)):
            assert final[name] == pytest.approx(leaf.grad, rel=1e-12)
        # the schedule is a reverse schedule: each node's t is complete when its turn comes
        for k, node in enumerate(plots.SCHEDULE, start=1):
            assert t_steps[k][node] == pytest.approx(final[node])
        assert plots.walk_equation(len(plots.SCHEDULE), *point).endswith(f"{final['x2']:.6g}")

    def test_the_cost_figure_counts_what_it_says(self):
        plots = _plots()
        rows = plots.mode_costs([1, 4, 16, 64])
        n, ops, forward, reverse = rows.T
        assert np.all(forward[1:] > reverse[1:])
        assert np.all(reverse <= 3 * ops)                       # reverse: a constant times one evaluation
        assert forward[-1] / forward[-2] == pytest.approx(16, rel=0.1)   # forward: ~n² for this loss
        w, x = [0.3, -0.2, 0.5], [1.0, 2.0, -1.0]
        leaves = [ad.Var(v) for v in w]
        ad.backward(plots.neuron_loss(leaves, x))
        np.testing.assert_allclose(plots.forward_mode_gradient(w, x), [v.grad for v in leaves], rtol=1e-12)

    def test_the_release_ships_the_plots_module(self):
        assert (harness.ROOT / "release" / WEEK / f"{WEEK}_plots.py").is_file()
