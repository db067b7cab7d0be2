"""Week 1 notebook (source/w01_convolution): the checks of :class:`tests.notebooks.weekly.WeeklyNotebookTests`,
plus the week's own: the sheet-002 numbers in the executed notebook, the slide widget's arithmetic (signs
included) against the reference library, and the widget in the student release.
"""
from __future__ import annotations

import contextlib
import io
import re

import nbformat
import numpy as np
import pytest

from tests.notebooks import harness
from tests.notebooks.weekly import WeeklyNotebookTests

WEEK = "w01_convolution"
pytestmark = pytest.mark.xdist_group(WEEK)


def _cells(nb) -> dict[str, nbformat.NotebookNode]:
    return {c.metadata["nbgrader"]["grade_id"]: c for c in nb.cells}


def _text(cell) -> str:
    return "".join(o.get("text", "") for o in cell.get("outputs", []))


class TestW01Convolution(WeeklyNotebookTests):
    week = WEEK

    def test_executed_notebook_shows_the_sheet_numbers(self):
        nb, _ = harness.run_notebook(harness.source_notebook_path(self.week))
        cells = _cells(nb)
        sheet = _text(cells["sheet002_numbers"])
        assert "(1)*5 + (0)*5 + (-1)*2 + (2)*5 + (0)*5 + (-2)*2 + (1)*7 + (0)*7 + (-1)*5 = 11" in sheet, sheet
        assert "(X * K1)[0,0] = -11" in sheet, sheet
        assert "[ 1.  2.  2. -2. -3.]" in _text(cells["full_example_numbers"])
        shown = _text(cells["show_commutativity"])
        diffs = [float(v) for v in re.findall(r"= (\S+)\n", shown)]
        assert len(diffs) == 3 and diffs[0] < 1e-12 and diffs[1] > 1 and diffs[2] < 1e-12, shown
        figure = cells["filters_figure"]
        assert any("image/png" in o.get("data", {}) for o in figure.outputs), "the filter figure drew nothing"
        assert "K1 ⋆ X takes the values [-2.] and K3 ⋆ X the values [0.]" in _text(figure), _text(figure)

    def test_slide_widget_computes_correlation_and_convolution_with_the_right_signs(self):
        """The widget's own arithmetic, at every position, filter and flip setting, against the reference."""
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt

        from solutions_lib.convolution import SHEET002_FILTERS, SHEET002_IMAGE, convolve_valid, correlate_valid

        cells = _cells(nbformat.read(harness.source_notebook_path(self.week), as_version=4))
        ns: dict = {}
        exec(cells["imports"].source.replace("%matplotlib inline", ""), ns)
        with contextlib.redirect_stdout(io.StringIO()):
            exec(cells["sheet002_numbers"].source, ns)
            exec(cells["widget_slide"].source, ns)  # display() of a widget prints its repr only
        assert np.array_equal(ns["IMAGE_002"], SHEET002_IMAGE)
        assert np.array_equal(ns["FILTERS_002"], SHEET002_FILTERS)
        for name, kernel in ns["SLIDE_FILTERS"].items():
            for flipped in (False, True):
                want = (convolve_valid if flipped else correlate_valid)(SHEET002_IMAGE, kernel)
                for i in range(3):
                    for j in range(3):
                        out = io.StringIO()
                        with contextlib.redirect_stdout(out):
                            ns["draw_slide"](i, j, name, flipped)
                        plt.close("all")
                        got = float(out.getvalue().strip().rsplit("= ", 1)[1])
                        assert got == want[i, j], f"{name}, flip={flipped}, ({i}, {j}): widget {got}, reference {want[i, j]}"

    def test_release_has_the_widget_and_blank_answers(self):
        release = harness.ROOT / "release" / self.week / f"{self.week}.ipynb"
        cells = _cells(nbformat.read(release, as_version=4))
        widget = cells["widget_slide"].source
        assert "interactive_output" in widget and 'Checkbox(value=False, description="flip (convolution)")' in widget
        assert "correlate_valid(" not in widget and "convolve_valid(" not in widget, "the widget must not need student code"
        for answer in ("answer_commutativity", "answer_filters"):
            assert "Rubric" not in cells[answer].source and "BEGIN SOLUTION" not in cells[answer].source
