"""Week 5 notebook (source/w05_dropout): the checks of :class:`tests.notebooks.weekly.WeeklyNotebookTests`,
plus the week's own: the measured scales, the widget's arithmetic, the experiment, the data module.
"""
from __future__ import annotations

import filecmp
import importlib.util
import re
import shutil
import subprocess
import sys

import nbformat
import numpy as np
import pytest

from solutions_lib import DropoutLayer, expected_output
from tests.notebooks import harness
from tests.notebooks.weekly import WeeklyNotebookTests

WEEK = "w05_dropout"
pytestmark = pytest.mark.xdist_group(WEEK)
SOURCE = harness.SOURCE / WEEK
RELEASE = harness.ROOT / "release" / WEEK


def _printed(nb, grade_id):
    return "".join(o.get("text", "") for c in nb.cells if c.cell_type == "code"
                   and c.metadata["nbgrader"]["grade_id"] == grade_id for o in c.outputs)


def _plots_module():
    spec = importlib.util.spec_from_file_location("w05_dropout_plots", SOURCE / "w05_dropout_plots.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def executed():
    nb, _ = harness.run_notebook(harness.source_notebook_path(WEEK), timeout=180)
    return nb


class TestW05Dropout(WeeklyNotebookTests):
    week = WEEK

    def test_measurement_shows_the_sheet_scale_right_only_at_one_half(self, executed):
        rows = re.findall(r"p = ([\d.]+):\s+sheet's layer\s+([\d.]+)\s+your layer\s+([\d.]+)",
                          _printed(executed, "measure_scale"))
        assert len(rows) == 7
        for p, sheet, yours in ((float(a), float(b), float(c)) for a, b, c in rows):
            # 200 features x 400 trials: the mean of the kept fraction has sd <= 0.0018
            assert abs(sheet - p / (1 - p)) < 0.02 * p / (1 - p) + 0.01, (p, sheet)
            assert abs(yours - 1.0) < 0.02, (p, yours)

    def test_experiment_runs_on_mnist_and_reports_every_p(self, executed):
        text = _printed(executed, "experiment")
        accs = re.findall(r"p = ([\d.]+): ([\d.]+)%", text)
        assert [float(p) for p, _ in accs] == pytest.approx(list(np.linspace(.5, .8, 7)))
        base = float(re.search(r"without dropout: ([\d.]+)%", text).group(1))
        assert base > 70 and all(float(a) > 60 for _, a in accs), text

    def test_widget_arithmetic_agrees_with_the_reference(self):
        """The widget's mean picture is expected_output of a layer with the widget's scale."""
        plots = _plots_module()
        x = np.random.default_rng(0).uniform(0.2, 1.0, (1, 400))
        for p in (0.5, 0.65, 0.8):
            for scale in (f(p) for f in plots.SCALES.values()):
                widget = plots.average_masked(x, p, scale, 300, np.random.default_rng(1))
                # the reference's Monte-Carlo mean is the input; a layer scaled by `scale` instead of
                # 1/p has the mean p * scale * input. 120 000 draws: relative sd about 0.003
                ref = expected_output(DropoutLayer(p=p, rng=np.random.default_rng(2)), x, 300) * p * scale
                assert abs(widget.mean() - ref.mean()) < 0.05 * p * scale * x.mean(), (p, scale)
        # the widget's drawing runs for every option at the ends of its slider, and reports the ratio
        matplotlib = pytest.importorskip("matplotlib")
        matplotlib.use("Agg")
        digit, hidden = plots.fallback_digit(), np.random.default_rng(3).random(100)
        for p in (0.1, 0.5, 0.8, 1.0):
            for name, scale in plots.SCALES.items():
                ratio = plots.show_masks(digit, hidden, p, name, seed=0, n_average=400)
                assert abs(ratio - p * scale(p)) < 0.1 * p * scale(p) + 0.02, (p, name, ratio)
                matplotlib.pyplot.close("all")
        assert plots.SCALES["1/p"](0.8) == pytest.approx(1.25)
        assert plots.SCALES["1/(1-p)  (the sheet's listing)"](0.8) == pytest.approx(5.0)

    def test_release_ships_the_data_module_and_helpers_as_files(self):
        assert (SOURCE / "course_data.py").is_symlink()
        shipped = RELEASE / "course_data.py"
        assert shipped.is_file() and not shipped.is_symlink()
        assert filecmp.cmp(shipped, harness.ROOT / "solutions_lib" / "data.py", shallow=False)
        for helper in ("w05_dropout_net.py", "w05_dropout_plots.py"):
            assert filecmp.cmp(RELEASE / helper, SOURCE / helper, shallow=False)
        # the student runs it from the assignment folder, with nothing of the course installed
        proc = subprocess.run([sys.executable, "-I", str(shipped), "--help"], capture_output=True, text=True)
        assert proc.returncode == 0 and "fetch" in proc.stdout, proc.stderr

    def test_missing_data_gives_one_clear_line(self, tmp_path, monkeypatch):
        """Without mnist.npz the notebook runs to the end; the data cell and the experiment each
        print one line that says what to run, and nothing raises."""
        for f in SOURCE.iterdir():
            shutil.copy(f, tmp_path / f.name)                     # follows the symlink
        monkeypatch.setenv("NNMATH_DATA_DIR", str(tmp_path / "no_data_here"))
        nb, seconds = harness.run_notebook(tmp_path / f"{WEEK}.ipynb", timeout=120)
        load = _printed(nb, "load_data").strip().splitlines()
        assert len(load) == 1 and "python course_data.py fetch" in load[0], load
        exp = _printed(nb, "experiment").strip().splitlines()
        assert len(exp) == 1 and "python course_data.py fetch" in exp[0], exp
        assert not any(o.output_type == "error" or o.get("name") == "stderr"
                       for c in nb.cells if c.cell_type == "code" for o in c.outputs)


def _visible(grade_id):
    nb = nbformat.read(harness.source_notebook_path(WEEK), as_version=4)
    cell = next(c for c in nb.cells if c.metadata["nbgrader"]["grade_id"] == grade_id)
    return re.sub(r"### BEGIN HIDDEN TESTS.*?### END HIDDEN TESTS\n", "", cell.source, flags=re.S)


def _variants():
    path = harness.ROOT / "tests" / "solutions_lib" / "grading" / "test_dropout_grading.py"
    spec = importlib.util.spec_from_file_location("_w05_variants", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.CORRECT


@pytest.mark.parametrize("name", ["DropoutLayer", "expected_output"])
def test_visible_tests_catch_every_catalogued_mistake_and_pass_correct_variants(name):
    """The mistake x visible-test table of the week: every catalogued mistake fails the visible
    test (with a message in words), the alternative and every correct way of drawing a mask pass."""
    from solutions_lib.grading import catalogue
    visible = _visible(f"test_{name}")
    for m in catalogue.mistakes(name):
        ns = {}
        exec(m.source, ns)
        with pytest.raises(AssertionError) as info:
            exec(visible, ns)
        assert str(info.value), m.key
    correct = [catalogue.alternative(name)] + (_variants() if name == "DropoutLayer" else [])
    for impl in correct:
        ns = {"np": np, name: impl}
        exec(visible, ns)
