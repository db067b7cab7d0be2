"""``report``: per-question score distributions and the most frequent named mistakes.

Built from the export rows (:func:`autograder.export.rows`), so a report and the CSV never
disagree. For each assignment: a text table (question, max, n graded, mean, median, share of
full marks, counts of errored/flagged/missing/pending) and the most frequent mistakes
(question, mistake, students), plus one matplotlib figure (Agg backend) saved as
``<root>/reports/<assignment>.png``: the score distribution per question as stacked bars
(0, partial, full, not graded), the distribution of the students' total scores, and a bar
chart of the mistakes. The text goes to
``<root>/reports/<assignment>.txt``.
"""
from __future__ import annotations

from collections import Counter, defaultdict
from pathlib import Path

from autograder import export as ex
from autograder.release import course_root, resolve_assignments
from autograder.results import format_table

NOT_GRADED = ("errored", "flagged", "missing", "pending")


def question_stats(rows) -> list[dict]:
    """One dict per question of ``rows`` (all of one assignment), in first-seen order."""
    by_q = defaultdict(list)
    for r in rows:
        by_q[r["question"]].append(r)
    out = []
    for q, rs in by_q.items():
        graded = sorted(r["score"] for r in rs if r["status"] == "graded")
        max_score = max(r["max_score"] for r in rs)
        n = len(graded)
        stats = {
            "question": q, "max": max_score, "n": len(rs), "graded": n,
            "mean": sum(graded) / n if n else float("nan"),
            "median": (graded[(n - 1) // 2] + graded[n // 2]) / 2 if n else float("nan"),
            "full": sum(1 for s in graded if max_score and s >= max_score),
            "zero": sum(1 for s in graded if s == 0),
        }
        for status in NOT_GRADED:
            stats[status] = sum(1 for r in rs if r["status"] == status)
        out.append(stats)
    return out


def frequent_mistakes(rows, top: int = 10) -> list[tuple[str, str, int]]:
    """``(question, mistake, count)`` of the named mistakes, most frequent first."""
    counts = Counter((r["question"], r["mistake"]) for r in rows if r.get("mistake"))
    return [(q, m, c) for (q, m), c in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))][:top]


def format_report(assignment: str, rows) -> str:
    """The text report of one assignment."""
    stats = question_stats(rows)
    def num(x):
        return "-" if x != x else f"{x:.2f}"

    table = [{**s, "mean": num(s["mean"]), "median": num(s["median"]),
              "max": f"{s['max']:g}"} for s in stats]
    cols = ["question", "max", "graded", "mean", "median", "full", "zero", *NOT_GRADED]
    students = sorted({r["student"] for r in rows})
    parts = [f"== {assignment}: {len(students)} student(s) ==", format_table(table, cols)]
    mistakes = frequent_mistakes(rows)
    if mistakes:
        parts += ["", "Most frequent mistakes:",
                  format_table([{"question": q, "mistake": m, "students": c}
                                for q, m, c in mistakes], ["question", "mistake", "students"])]
    else:
        parts.append("No named mistake recognised.")
    return "\n".join(parts)


def student_totals(rows) -> list[float]:
    """Each student's total score on the assignment, as a share of its maximum (0..1)."""
    got, best = defaultdict(float), defaultdict(float)
    for r in rows:
        got[r["student"]] += r["score"] if r["status"] == "graded" else 0.0
        best[r["student"]] += r["max_score"]
    return [got[s] / best[s] if best[s] else 0.0 for s in sorted(got)]


def plot(assignment: str, rows, path) -> Path:
    """Save the figure of one assignment to ``path`` (PNG).

    Three panels: the scores per question (stacked bars: full, partial, zero, not graded), the
    distribution of the students' total scores (the week's score distribution, in tenths of
    the maximum), and the most frequent named mistakes. The legend sits above the bars and the
    figure is saved with a tight bounding box, so nothing is clipped.
    """
    import matplotlib

    matplotlib.use("Agg", force=True)
    import matplotlib.pyplot as plt

    stats = question_stats(rows)
    mistakes = frequent_mistakes(rows)
    fig, axes = plt.subplots(1, 3, figsize=(17, max(3.5, 0.45 * len(stats) + 2.0)),
                             gridspec_kw={"width_ratios": [3, 2, 2]})
    ax = axes[0]
    names = [s["question"] for s in stats]
    full = [s["full"] for s in stats]
    zero = [s["zero"] for s in stats]
    partial = [s["graded"] - s["full"] - s["zero"] for s in stats]
    other = [sum(s[k] for k in NOT_GRADED) for s in stats]
    y = range(len(names))
    left = [0] * len(names)
    for values, label, color in ((full, "full marks", "#2a9d3a"), (partial, "partial", "#e9a23b"),
                                 (zero, "zero", "#c0392b"),
                                 (other, "not graded (errored/flagged/missing/pending)", "#999")):
        ax.barh(list(y), values, left=left, label=label, color=color)
        left = [a + b for a, b in zip(left, values)]
    ax.set_yticks(list(y), names)
    ax.invert_yaxis()
    ax.set_xlabel("students")
    ax.set_title(f"{assignment}: scores per question", pad=34)
    ax.legend(loc="lower left", bbox_to_anchor=(0.0, 1.0), ncol=2, fontsize="small", frameon=False)
    ax.xaxis.get_major_locator().set_params(integer=True)

    ax = axes[1]
    totals = student_totals(rows)
    ax.hist([100 * t for t in totals], bins=[10 * i for i in range(11)], color="#4a6fa5",
            edgecolor="white")
    ax.set_xlim(0, 100)
    ax.set_xlabel("total score (% of the maximum)")
    ax.set_ylabel("students")
    ax.yaxis.get_major_locator().set_params(integer=True)
    mean = 100 * sum(totals) / len(totals) if totals else float("nan")
    ax.set_title(f"score distribution ({len(totals)} students, mean {mean:.0f} %)", pad=34)

    ax = axes[2]
    if mistakes:
        labels = [f"{q}: {m}" for q, m, _ in mistakes]
        ax.barh(range(len(labels)), [c for *_, c in mistakes], color="#8e5ea2")
        ax.set_yticks(range(len(labels)), labels, fontsize="small")
        ax.invert_yaxis()
        ax.set_xlabel("students")
        ax.xaxis.get_major_locator().set_params(integer=True)
    else:
        ax.text(0.5, 0.5, "no named mistake", ha="center", va="center")
        ax.set_axis_off()
    ax.set_title("most frequent mistakes", pad=34)
    fig.tight_layout()
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=90, bbox_inches="tight", pad_inches=0.2)
    plt.close(fig)
    return path


def report(assignments=None, root=None, db_url=None) -> tuple[str, list[Path]]:
    """Text report of every assignment and the figures saved; also writes ``reports/*.txt``."""
    root = course_root(root)
    texts, figures = [], []
    all_rows = ex.rows(assignments, root, db_url)
    for aid in resolve_assignments(assignments, root):
        rows = [r for r in all_rows if r["assignment"] == aid]
        if not rows:
            continue
        text = format_report(aid, rows)
        out = root / "reports"
        out.mkdir(parents=True, exist_ok=True)
        (out / f"{aid}.txt").write_text(text + "\n", encoding="utf-8")
        texts.append(text)
        figures.append(plot(aid, rows, out / f"{aid}.png"))
    return "\n\n".join(texts) if texts else "nothing graded yet", figures
