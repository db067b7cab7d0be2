"""Week 2 notebook (source/w02_volume_sizes): the checks of :class:`tests.notebooks.weekly.WeeklyNotebookTests`,
plus the week's own: the sheets' numbers appear in the executed notebook, the sheet's omissions and
erratum are stated, the visible test of ``conv2d_forward`` hands out no solution, and the teaching cells
(widgets, figure, tables) never call a graded function, so they run in the blank release.
"""
from __future__ import annotations

import ast

import nbformat
import pytest

from tests.notebooks import harness
from tests.notebooks.weekly import WeeklyNotebookTests

WEEK = "w02_volume_sizes"
pytestmark = pytest.mark.xdist_group(WEEK)


class TestW02VolumeSizes(WeeklyNotebookTests):
    week = WEEK
    run_all_coverage = True

    def test_executed_notebook_shows_the_sheets_numbers(self, source_run):
        nb, _ = source_run
        printed = "".join(o.get("text", "") for c in nb.cells if c.cell_type == "code" for o in c.outputs)
        for expected in ["(12, 11, 1337)", "416 parameters", "6416 parameters", "7850 parameters",
                         "1216 parameters", "20500 parameters", "210 parameters",
                         "pooled before, filter 1 and 2: [[7.0, 5.0], [7.0, 5.0]] [[9.0, 7.0], [7.0, 6.0]]",
                         "pooled after,  filter 1 and 2: [[5.0, 5.0], [7.0, 4.0]] [[9.0, 7.0], [5.0, 6.0]]",
                         "3 of 8 pooled units change"]:
            assert expected in printed, f"the executed notebook does not print {expected!r}"
        images = [o for c in nb.cells if c.cell_type == "code" for o in c.outputs if "image/png" in o.get("data", {})]
        assert images, "no matplotlib figure in the executed notebook"
        shown = [o for c in nb.cells if c.cell_type == "code" for o in c.outputs
                 if "application/vnd.jupyter.widget-view+json" in o.get("data", {})]
        assert len(shown) >= 2, "expected the two widget explorations (sizes and shifts)"

    def test_markdown_states_the_table3_erratum(self):
        nb = nbformat.read(harness.source_notebook_path(WEEK), as_version=4)
        text = "\n".join(c.source for c in nb.cells if c.cell_type == "markdown")
        assert "Erratum" in text and "64 output channels" in text and "20500" in text and "**20** outputs" in text

    def test_markdown_states_what_table1_leaves_out(self):
        nb = nbformat.read(harness.source_notebook_path(WEEK), as_version=4)
        text = " ".join("\n".join(c.source for c in nb.cells if c.cell_type == "markdown").split())
        assert "does not state padding or pooling" not in text
        assert "lists the two max pooling layers but leaves out their size and stride" in text

    def test_the_visible_test_of_conv2d_forward_holds_no_solution(self):
        """No loop implementation a student could paste: the visible checks are worked by hand."""
        nb = nbformat.read(harness.release_notebook_path(WEEK), as_version=4)
        visible = next(c.source for c in nb.cells if c.metadata["nbgrader"]["grade_id"] == "test_conv2d_forward")
        assert "def " not in visible and "for " not in visible and "np.pad" not in visible, visible

    def test_teaching_cells_never_call_graded_functions(self):
        """Widgets, figures and tables use their own code, so they run in the blank release; only the
        guarded cell of section 7 uses the student's functions, and it catches NotImplementedError."""
        nb = nbformat.read(harness.source_notebook_path(WEEK), as_version=4)
        graded = {q for q in self.points if not q.startswith("answer_")}
        for cell in nb.cells:
            meta = cell.metadata["nbgrader"]
            if cell.cell_type != "code" or meta.get("solution") or meta.get("grade"):
                continue
            if meta["grade_id"] == "with_your_code":
                assert "except NotImplementedError:" in cell.source
                continue
            source = "\n".join(line for line in cell.source.splitlines() if not line.startswith("%"))
            names = {n.id for n in ast.walk(ast.parse(source)) if isinstance(n, ast.Name)}
            assert not names & graded, f"teaching cell {meta['grade_id']} uses graded names {names & graded}"
