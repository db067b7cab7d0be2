"""The checks every weekly notebook must pass, as a base class each week's test module subclasses.

A week's module sets one class attribute and may add tests of its own::

    pytestmark = pytest.mark.xdist_group(WEEK)      # one worker grades the week once

    class TestW04KernelGradient(WeeklyNotebookTests):
        week = "w04_kernel_gradient"

What the base checks, for ``week``:

- the source notebook runs top to bottom, solutions in, within the autograde time limits of
  ``course_config``, and every hidden check prints;
- the points in the notebook's nbgrader metadata equal ``course_config.POINTS[week]``;
- the cell conventions of ``docs/architecture.md`` (solution cells, ``test_<name>`` cells with the
  hidden check first, outputs stripped);
- the release (made with nbgrader's own preprocessors) leaks nothing, and run blank it errors in
  student cells only, every test cell failing;
- the visible tests alone pass for the reference, without ``solutions_lib``;
- autograded through the real pipeline (:func:`tests.notebooks.harness.grade_submissions`): the
  reference earns every automatic point, the blank release none, the week's correct alternatives
  (its catalogue module, :mod:`solutions_lib.grading.catalogue`) every point, and each catalogued
  mistake loses exactly its own question,
  with feedback that names it. Submission ``mistakes_i`` carries the i-th mistake of every
  question at once, so a week is graded in one run of a few notebooks;
- every catalogued mistake, put in its solution cell of the release, fails the question's
  visible test, unless the catalogue says why it must stay hidden (``stays_hidden``), and then
  it passes it (one kernel for the week: :func:`visible_catches`);
- for a week with ``run_all_coverage = True``: *Run All* of the fresh release (stopping at the
  first error, as JupyterLab does) renders every figure and widget of the cells before the
  first exercise (:func:`run_all_coverage`).

Run time is not asserted here beyond the autograder's limit: ``benchmarks/bench_notebooks.py``
reports each notebook's top-to-bottom time.
"""
from __future__ import annotations

import re
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path

import nbformat
import pytest

import course_config
from autograder import cells
from autograder.kernel_client import notebook_client
from solutions_lib.grading import catalogue
from tests.notebooks import harness

SECRETS = ("BEGIN SOLUTION", "HIDDEN TESTS", "solutions_lib", "Rubric", "check(")


def mistake_submissions(week: str, questions) -> tuple[dict[str, dict[str, str]], dict[str, dict[str, str]]]:
    """``(submissions, planted)``: submission ``mistakes_i`` carries the i-th catalogued mistake of
    every question that has one (the reference elsewhere); ``planted[student]`` is question -> key."""
    reference = harness.solution_sources(week)
    keys = {q: [m.key for m in catalogue.mistakes(q)] for q in questions}
    missing = [q for q in questions if not keys[q]]
    assert not missing, f"questions without a catalogued mistake: {missing}"
    subs, planted = {}, {}
    for i in range(max(len(k) for k in keys.values())):
        code, mistakes = dict(reference), {}
        for q in questions:
            if i < len(keys[q]):
                code[q] = catalogue.mistake_source(q, keys[q][i])
                mistakes[q] = keys[q][i]
        subs[f"mistakes_{i}"] = code
        planted[f"mistakes_{i}"] = mistakes
    return subs, planted


def copy_week_files(week: str, dest) -> None:
    """Copy the files beside the week's source notebook (helper modules, the data module, as
    files: symlinks are followed) into ``dest``, where a test runs a variant of the notebook."""
    for f in harness.source_notebook_path(week).parent.iterdir():
        if f.is_file() and f.suffix != ".ipynb":
            shutil.copy(f, dest / f.name)


def autograded_questions(week: str) -> list[str]:
    """The autograded questions (graded names) of ``week``: its points without the ``answer_`` ones."""
    return [q for q in course_config.POINTS[week] if not cells.is_written_answer(q)]


# --- Run All of the fresh release --------------------------------------------------------

#: the output kinds a student sees drawn: a figure, a widget
SHOWN = {"figures": "image/png", "widgets": "application/vnd.jupyter.widget-view+json"}


def shown(cell) -> dict[str, int]:
    """How many figures and widgets an executed code cell displays."""
    return {kind: sum(mime in o.get("data", {}) for o in cell.get("outputs", []))
            for kind, mime in SHOWN.items()}


@dataclass(frozen=True)
class Coverage:
    """What *Run All* of a week's fresh release shows, against the solved source notebook.

    ``explore``: per cell before the first exercise (solution cell), grade id -> what the source
    run shows there; ``rendered``: grade id -> what the release's Run All showed (cells that
    ran); ``present``: the totals of the whole source run; ``stopped_at``: the grade id of the
    cell where Run All stopped (``None`` if it ran through).
    """

    explore: dict[str, dict[str, int]]
    rendered: dict[str, dict[str, int]]
    present: dict[str, int]
    stopped_at: str | None

    def total(self, per_cell: dict[str, dict[str, int]]) -> dict[str, int]:
        return {kind: sum(c[kind] for c in per_cell.values()) for kind in SHOWN}

    def missing(self) -> list[str]:
        """The explore cells whose figures or widgets Run All did not render."""
        return [gid for gid, want in self.explore.items()
                if any(self.rendered.get(gid, {}).get(k, 0) < n for k, n in want.items())]

    def summary(self) -> str:
        r, p = self.total(self.rendered), self.present
        return (f"Run All shows {r['figures']} of {p['figures']} figures and {r['widgets']} of "
                f"{p['widgets']} widgets; stopped at {self.stopped_at}")


def _grade_id(cell) -> str:
    return cell.metadata.get("nbgrader", {}).get("grade_id", cell.get("id", "?"))


def run_all_coverage(week: str, source: nbformat.NotebookNode | None = None, release: Path | None = None) -> Coverage:
    """*Run All* the fresh release (a copy of ``release/<week>/``, or of the folder ``release``) and
    compare what it shows with the solved source notebook (``source``, executed; run here if
    ``None``)."""
    if source is None:
        source, _ = harness.run_notebook(harness.source_notebook_path(week))
    first_exercise = next(i for i, c in enumerate(source.cells) if c.cell_type == "code"
                          and c.metadata["nbgrader"].get("solution"))
    code = [c for c in source.cells if c.cell_type == "code"]
    explore = {_grade_id(c): shown(c) for c in source.cells[:first_exercise] if c.cell_type == "code"}
    present = {kind: sum(shown(c)[kind] for c in code) for kind in SHOWN}
    folder = Path(tempfile.mkdtemp(prefix=f"runall_{week}_"))
    try:
        shutil.copytree(release or harness.release_notebook_path(week).parent, folder, dirs_exist_ok=True)
        nb, stopped = harness.run_all(folder / f"{week}.ipynb")
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    ran = nb.cells if stopped is None else nb.cells[:stopped + 1]
    rendered = {_grade_id(c): shown(c) for c in ran if c.cell_type == "code"}
    return Coverage(explore, rendered, present, None if stopped is None else _grade_id(nb.cells[stopped]))


# --- every catalogued mistake against the visible tests -----------------------------------

@dataclass(frozen=True)
class Catch:
    """One catalogued mistake run against its question's visible test in the release."""

    question: str
    key: str
    stays_hidden: str | None
    error: str | None       # what the visible test raised (``None``: it passed)


def visible_catches(week: str) -> list[Catch]:
    """Every catalogued mistake of ``week``, each put in its solution cell of the release.

    One kernel runs the release top to bottom with the reference in every solution cell. At
    the visible test cell of a question, for each of its mistakes: the mistake's code runs as
    the solution cell, then the cells between the solution and the test, then the test (its
    failure recorded); then the reference and those cells again, and the test must pass (so a
    failure is the mistake's, not the test's).
    """
    nb = harness.release_from_source(week)
    reference = harness.solution_sources(week)
    solution_at: dict[str, int] = {}
    out: list[Catch] = []
    folder = Path(tempfile.mkdtemp(prefix=f"visible_{week}_"))
    try:
        copy_week_files(week, folder)
        with harness.Kernel(folder) as kernel:
            for i, cell in enumerate(nb.cells):
                if cell.cell_type != "code":
                    continue
                meta = cell.metadata["nbgrader"]
                gid = meta["grade_id"]
                if meta.get("solution"):
                    solution_at[gid] = i
                    source = reference[gid]
                else:
                    source = cell.source
                if not meta.get("grade"):
                    kernel.run(source)
                    continue
                name = cells.question_of(gid)
                between = [c.source for c in nb.cells[solution_at[name] + 1:i] if c.cell_type == "code"]
                for m in catalogue.mistakes(name):
                    for src in [m.source, *between]:
                        kernel.run(src)
                    out.append(Catch(name, m.key, m.stays_hidden, harness.raised(kernel.run(source))))
                for src in [reference[name], *between]:
                    kernel.run(src)
                passed = kernel.run(source)
                assert harness.raised(passed) is None, f"{gid} fails for the reference: {harness.raised(passed)}"
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    return out


class WeeklyNotebookTests:
    """Subclass with ``week`` (an assignment id)."""

    week: str = ""
    #: opt in to the Run All coverage test (the week's notebook follows ``NOTEBOOK_GUIDE``'s arc)
    run_all_coverage: bool = False

    @property
    def points(self) -> dict[str, float]:
        return course_config.POINTS[self.week]

    @property
    def auto(self) -> list[str]:
        return autograded_questions(self.week)

    def _assert_full(self, scores, who):
        for q in self.auto:
            s = scores[q]
            assert s.score == s.max_score == self.points[q], f"{who}: {q} scored {s.score}/{s.max_score}: {s.message}"

    # --- the source notebook ---------------------------------------------------------------

    @pytest.fixture(scope="class")
    @classmethod
    def source_run(cls):
        """The source notebook run top to bottom, solutions in: ``(notebook, seconds)``."""
        return harness.run_notebook(harness.source_notebook_path(cls.week), timeout=course_config.CELL_TIMEOUT_S)

    def test_source_notebook_runs_top_to_bottom_within_the_autograde_limits(self, source_run):
        """Within ``course_config``'s per-cell and per-notebook autograde limits (how fast it runs
        is a benchmark figure: ``benchmarks/bench_notebooks.py``)."""
        nb, seconds = source_run
        assert seconds < course_config.NOTEBOOK_TIMEOUT_S, \
            f"the source notebook took {seconds:.0f} s (autograde limit {course_config.NOTEBOOK_TIMEOUT_S} s)"
        printed = "".join(o.get("text", "") for c in nb.cells if c.cell_type == "code" for o in c.outputs)
        for name in self.auto:
            assert f"{name}: " in printed, f"the hidden check of {name} printed nothing"

    def test_points_in_notebook_equal_course_config(self):
        assert harness.notebook_points(self.week) == {k: float(v) for k, v in self.points.items()}

    def test_cells_follow_the_conventions(self):
        nb = nbformat.read(harness.source_notebook_path(self.week), as_version=4)
        assert nb.metadata["kernelspec"]["name"] == "python3"
        ids = [c.metadata["nbgrader"]["grade_id"] for c in nb.cells]
        assert len(ids) == len(set(ids)), "grade ids must be unique"
        sol = harness.solution_sources(self.week)
        for name in self.auto:
            assert name in sol, f"no solution cell {name}"
            assert "### BEGIN SOLUTION" in sol[name] and "### END SOLUTION" in sol[name]
            assert "solutions_lib" not in sol[name]
            assert f"test_{name}" in ids
        for c in nb.cells:
            if c.cell_type != "code":
                continue
            assert c.outputs == [] and c.execution_count is None, "outputs must be stripped"
            meta = c.metadata["nbgrader"]
            if meta.get("grade"):
                # hidden check first (so a known mistake is named before a visible assert stops
                # the cell), then the visible part, which alone survives in the release
                hidden = re.fullmatch(r"### BEGIN HIDDEN TESTS\n(.*?)### END HIDDEN TESTS\n(.*)", c.source, re.S)
                assert hidden, f"{meta['grade_id']}: expected the hidden region first"
                body, visible = hidden.group(1).strip().splitlines(), hidden.group(2)
                assert "solutions_lib" not in visible, f"{meta['grade_id']}: visible part imports solutions_lib"
                name = cells.question_of(meta["grade_id"])
                assert body == cells.hidden_check(name).strip().splitlines()

    def test_release_leaks_nothing_and_errors_only_in_student_cells(self, tmp_path):
        from nbgrader.preprocessors import ClearHiddenTests, ClearSolutions
        nb = nbformat.read(harness.source_notebook_path(self.week), as_version=4)
        nb, _ = ClearSolutions().preprocess(nb, {})
        nb, _ = ClearHiddenTests().preprocess(nb, {})
        text = "\n".join(c.source for c in nb.cells)
        copy_week_files(self.week, tmp_path)
        for secret in SECRETS:
            assert secret not in text, f"the release contains {secret!r}"
        client = notebook_client(nb, timeout=120, kernel_name="python3", allow_errors=True,
                                resources={"metadata": {"path": str(tmp_path)}})
        client.execute()
        errors = [c.metadata["nbgrader"] for c in nb.cells if c.cell_type == "code"
                  and any(o.output_type == "error" for o in c.outputs)]
        for meta in errors:
            assert meta.get("solution") or meta.get("grade"), f"teaching cell {meta['grade_id']} errors in the release"
        failing_tests = {m["grade_id"] for m in errors if m.get("grade")}
        assert failing_tests == {f"test_{n}" for n in self.auto}

    def test_visible_tests_pass_for_the_reference_without_solutions_lib(self, tmp_path):
        nb = nbformat.read(harness.source_notebook_path(self.week), as_version=4)
        for c in nb.cells:
            if c.cell_type == "code":
                c.source = re.sub(r"### BEGIN HIDDEN TESTS.*?### END HIDDEN TESTS", "", c.source, flags=re.S)
        path = tmp_path / "visible.ipynb"
        nbformat.write(nb, path)
        copy_week_files(self.week, tmp_path)
        nb, _ = harness.run_notebook(path)
        for c in nb.cells:
            if c.cell_type == "code" and c.metadata["nbgrader"].get("grade"):
                assert any("visible tests passed" in o.get("text", "") for o in c.outputs), c.metadata["nbgrader"]["grade_id"]

    # --- grading through the pipeline -------------------------------------------------------

    @pytest.fixture(scope="class")
    @classmethod
    def graded(cls):
        """Every submission of the week, autograded in one run: reference, blank, alternative,
        and the mistake submissions."""
        subs, planted = mistake_submissions(cls.week, autograded_questions(cls.week))
        subs.update({"reference": harness.solution_sources(cls.week), "blank": {},
                     "alternative": {q: catalogue.alternative_source(q) for q in autograded_questions(cls.week)}})
        return harness.grade_submissions(cls.week, subs), planted

    def test_reference_earns_every_point_and_blank_earns_none(self, graded):
        result, _ = graded
        self._assert_full(result["reference"], "reference")
        for q in self.auto:
            assert result["blank"][q].score == 0, f"blank release earned points for {q}"

    def test_alternative_correct_solutions_earn_full_points(self, graded):
        result, _ = graded
        self._assert_full(result["alternative"], "alternative")

    def test_each_mistake_loses_its_question_only_and_is_named(self, graded):
        result, planted = graded
        for student, mistakes in planted.items():
            for q in self.auto:
                s = result[student][q]
                if q in mistakes:
                    assert s.score == 0, f"{student}: mistake {mistakes[q]} of {q} earned {s.score}"
                    assert mistakes[q] in s.message, f"{student}: feedback of {q} does not name {mistakes[q]}: {s.message}"
                else:
                    assert s.score == self.points[q], f"{student}: {q} lost points without a mistake: {s.message}"

    # --- what the student sees --------------------------------------------------------------

    def test_every_catalogued_mistake_fails_the_visible_test_or_says_why_not(self):
        catches = visible_catches(self.week)
        assert {c.question for c in catches} == set(self.auto), "a question's visible test never ran"
        missed = [f"{c.question}__{c.key}" for c in catches if c.error is None and not c.stays_hidden]
        assert not missed, f"the visible tests pass these catalogued mistakes: {missed}"
        stale = [f"{c.question}__{c.key}: {c.error}" for c in catches if c.error is not None and c.stays_hidden]
        assert not stale, f"marked stays_hidden, yet the visible test catches them: {stale}"

    def test_run_all_of_the_fresh_release_shows_every_figure_and_widget_before_the_exercises(self, source_run):
        if not self.run_all_coverage:
            pytest.skip(f"{self.week} has not opted in (run_all_coverage = True)")
        coverage = run_all_coverage(self.week, source=source_run[0])
        want = coverage.total(coverage.explore)
        assert sum(want.values()) > 0, f"{self.week}: no figure or widget before the first exercise"
        assert coverage.stopped_at is None or coverage.stopped_at not in coverage.explore, \
            f"Run All stopped at {coverage.stopped_at}, before the exercises"
        assert not coverage.missing(), f"Run All did not render {coverage.missing()}; {coverage.summary()}"
