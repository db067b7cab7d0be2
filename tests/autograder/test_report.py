"""``autograder.report``: distributions and frequent mistakes, as text and as a PNG."""
from __future__ import annotations

from autograder import results as rs
from autograder.report import frequent_mistakes, question_stats, report
from tests.autograder.conftest import FIXTURE_ASSIGNMENT

A = FIXTURE_ASSIGNMENT


def _fill(root):
    scores = {"s1": 2, "s2": 1, "s3": 0, "s4": 0, "s5": 2}
    mistakes = {"s3": "no_stride_floor", "s4": "no_stride_floor", "s2": "padding_once"}
    for s, v in scores.items():
        rs.write_result(rs.new_result(s, A, "graded", questions={
            "flip": rs.question(1, 1),
            "conv_output_size": rs.question(v, 2, mistake=mistakes.get(s)),
            "answer_flip": rs.question(0, 1, "pending")}), root)
    rs.write_result(rs.new_result("s6", A, "errored", reason="kernel died"), root)


def test_stats_and_mistakes(released_copy):
    from autograder.export import rows

    _fill(released_copy.root)
    data = rows(None, released_copy.root)
    stats = {s["question"]: s for s in question_stats(data)}
    cos = stats["conv_output_size"]
    assert (cos["graded"], cos["full"], cos["zero"], cos["errored"]) == (5, 2, 2, 1)
    assert cos["mean"] == 1.0 and cos["median"] == 1.0 and cos["max"] == 2
    assert stats["answer_flip"]["pending"] == 5 and stats["answer_flip"]["graded"] == 0
    assert frequent_mistakes(data) == [("conv_output_size", "no_stride_floor", 2),
                                       ("conv_output_size", "padding_once", 1)]


def test_report_writes_text_and_png(released_copy):
    root = released_copy.root
    _fill(root)
    text, figures = report(None, root)
    assert "no_stride_floor" in text and "conv_output_size" in text
    assert text.index("no_stride_floor") < text.index("padding_once")
    assert figures == [root / "reports" / f"{A}.png"]
    data = figures[0].read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n" and len(data) > 5000
    assert (root / "reports" / f"{A}.txt").read_text().strip() == text.strip()


def test_report_of_empty_course(released_copy):
    text, figures = report(None, released_copy.root)
    assert figures == [] or all(p.exists() for p in figures)


def test_cli_report(released_copy):
    import subprocess
    import sys

    from tests.autograder.conftest import ROOT

    _fill(released_copy.root)
    out = subprocess.run([sys.executable, "-m", "autograder", "report", "--root",
                          str(released_copy.root)], capture_output=True, text=True, cwd=ROOT)
    assert out.returncode == 0, out.stderr
    assert "no_stride_floor" in out.stdout and f"{A}.png" in out.stdout


def test_score_distribution_per_week(released_copy):
    """The figure's middle panel: each student's total as a share of the maximum."""
    from autograder.export import rows
    from autograder.report import student_totals

    _fill(released_copy.root)
    totals = student_totals(rows([A], released_copy.root))
    # 4 points per student: flip 1 + conv_output_size (2, 1, 0, 0, 2) + a pending answer; s6 errored
    assert sorted(totals) == sorted([3 / 4, 2 / 4, 1 / 4, 1 / 4, 3 / 4, 0.0])


def test_figure_keeps_its_legend_inside(released_copy, monkeypatch):
    """The legend (clipped at the bottom before) lies inside the saved figure's bounding box."""
    import matplotlib.figure

    from autograder.export import rows
    from autograder.report import plot

    _fill(released_copy.root)
    seen = {}
    real = matplotlib.figure.Figure.savefig

    def savefig(fig, *args, **kwargs):
        renderer = fig.canvas.get_renderer()
        box = fig.get_tightbbox(renderer)
        legend = fig.axes[0].get_legend().get_window_extent(renderer).transformed(fig.dpi_scale_trans.inverted())
        seen["inside"] = (legend.y0 >= box.y0 and legend.y1 <= box.y1 and legend.x0 >= box.x0)
        seen["tight"] = kwargs.get("bbox_inches") == "tight"
        return real(fig, *args, **kwargs)

    monkeypatch.setattr(matplotlib.figure.Figure, "savefig", savefig)
    path = plot(A, rows([A], released_copy.root), released_copy.root / "reports" / "f.png")
    assert path.exists() and seen == {"inside": True, "tight": True}
