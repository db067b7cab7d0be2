"""Week 1 notebook (source/w01_convolution): the checks of :class:`tests.notebooks.weekly.WeeklyNotebookTests`,
plus the week's own: the sheet-002 numbers in the executed notebook, the slide widget's arithmetic (signs
included) against the reference library, the widget and its drawing module in the student release, and
the operators of the figures' titles in mathtext.
"""
from __future__ import annotations

import contextlib
import io
import re
import sys

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
    run_all_coverage = True

    def test_executed_notebook_shows_the_sheet_numbers(self, source_run):
        nb, _ = source_run
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

        folder = harness.source_notebook_path(self.week).parent
        cells = _cells(nbformat.read(harness.source_notebook_path(self.week), as_version=4))
        ns: dict = {}
        sys.path.insert(0, str(folder))
        try:
            exec(cells["imports"].source.replace("%matplotlib inline", ""), ns)
            with contextlib.redirect_stdout(io.StringIO()):
                exec(cells["sheet002_numbers"].source, ns)
                exec(cells["widget_slide"].source, ns)  # display() of a widget prints its repr only
        finally:
            sys.path.remove(str(folder))
        draw_slide = sys.modules["w01_convolution_plots"].draw_slide
        assert np.array_equal(ns["IMAGE_002"], SHEET002_IMAGE)
        assert np.array_equal(ns["FILTERS_002"], SHEET002_FILTERS)
        for name, kernel in ns["SLIDE_FILTERS"].items():
            for flipped in (False, True):
                want = (convolve_valid if flipped else correlate_valid)(SHEET002_IMAGE, kernel)
                for i in range(3):
                    for j in range(3):
                        out = io.StringIO()
                        with contextlib.redirect_stdout(out):
                            draw_slide(ns["IMAGE_002"], ns["SLIDE_FILTERS"], i, j, name, flipped)
                        plt.close("all")
                        got = float(out.getvalue().strip().rsplit("= ", 1)[1])
                        assert got == want[i, j], f"{name}, flip={flipped}, ({i}, {j}): widget {got}, reference {want[i, j]}"

    def test_release_has_the_widget_and_blank_answers(self):
        folder = harness.ROOT / "release" / self.week
        cells = _cells(nbformat.read(folder / f"{self.week}.ipynb", as_version=4))
        assert "slide_widget(IMAGE_002, SLIDE_FILTERS)" in cells["widget_slide"].source
        plots = (folder / "w01_convolution_plots.py").read_text()
        assert "interactive_output" in plots and 'Checkbox(value=False, description="flip (convolution)")' in plots
        for drawing in (cells["widget_slide"].source, cells["filters_figure"].source, plots):
            assert "correlate_valid(" not in drawing and "convolve_valid(" not in drawing, \
                "the widget and the figure must not need student code"
        for answer in ("answer_commutativity", "answer_filters"):
            assert "Rubric" not in cells[answer].source and "BEGIN SOLUTION" not in cells[answer].source

    def test_figure_titles_write_the_operators_in_mathtext(self):
        """Every string the drawing module draws (docstrings aside) writes ⋆ as mathtext $\\star$."""
        import ast
        plots = (harness.source_notebook_path(self.week).parent / "w01_convolution_plots.py").read_text()
        tree = ast.parse(plots)
        docs = {id(n.body[0].value) for n in ast.walk(tree)
                if isinstance(n, (ast.Module, ast.FunctionDef)) and n.body and isinstance(n.body[0], ast.Expr)}
        drawn = [n.value for n in ast.walk(tree) if isinstance(n, ast.Constant) and isinstance(n.value, str)
                 and id(n) not in docs]
        assert not [t for t in drawn if "⋆" in t], "write $\\star$ in mathtext: the glyph ⋆ renders like a dot"
        assert r"cross-correlation $K \star X$" in drawn and r"convolution $X * K$" in drawn
