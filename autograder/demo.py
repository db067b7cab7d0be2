"""The main job (``make main`` -> ``python -m autograder demo``): the whole pipeline on a sample class.

1. ``generate`` every week present in ``source/`` (nbgrader + release checks);
2. build the sample class of each week (:func:`autograder.submissions.sample_class`): the
   reference solutions, a blank notebook, a few students who together hand in every typical
   mistake of the week's catalogue (``solutions_lib.grading.catalogue``), and hostile
   submissions — the kinds of :data:`~autograder.submissions.DEMO_HOSTILE` spread over the weeks
   (with one week, all of them), so the class stays representative and quick;
3. pack each week's class as an LMS zip and ``collect`` it with nbgrader's zip_collect;
4. ``grade`` in parallel (``--jobs``, default the CPU count) on the SQLite gradebook;
5. ``feedback``, ``export``, ``report``;
6. print the summary table (student, week, score, status) and check every student's
   verdict against what the sample was built to show; exit 1 if one disagrees.

Re-running gives the same result: the demo students' previous grades, autograded copies and
feedback are removed first, so every run grades from scratch.
"""
from __future__ import annotations

import contextlib
import shutil
import sys
import time
from pathlib import Path

from autograder import collect, export, feedback, report
from autograder import results as rs
from autograder import submissions as sb
from autograder.release import ReleaseError, course_root, generate


def _clear(root: Path, assignment: str, students) -> None:
    for student in students:
        for folder in (root / "submitted" / student / assignment,
                       root / "autograded" / student / assignment,
                       root / "feedback" / student / assignment):
            if folder.exists():
                shutil.rmtree(folder)
        path = rs.result_path(assignment, student, root)
        if path.exists():
            path.unlink()


def build_class(assignment: str, root: Path, hostile=sb.DEMO_HOSTILE) -> list[sb.Sample]:
    """The sample class of ``assignment`` (see :func:`autograder.submissions.sample_class`)."""
    release_nb = root / "release" / assignment / f"{assignment}.ipynb"
    source_nb = root / "source" / assignment / f"{assignment}.ipynb"
    return sb.sample_class(release_nb, source_nb, hostile=hostile)


def check_expectations(samples, results_by_student) -> list[str]:
    """Disagreements between what each sample should show and its stored result."""
    problems = []
    for s in samples:
        r = results_by_student.get(s.student)
        if r is None:
            problems.append(f"{s.student}: no result")
            continue
        qs = r.get("questions", {})
        for q, ok in s.expect.items():
            entry = qs.get(q)
            status = entry["status"] if entry else r["status"]
            if status not in ok:
                problems.append(f"{s.student} ({s.note}): {q} is {status}, expected one of "
                                f"{sorted(ok)}")
            elif entry and entry["score"] > 0 and q in s.zero:
                problems.append(f"{s.student}: {q} scored {entry['score']} ({s.note})")
        if s.kind == "reference":
            bad = [q for q, e in qs.items() if e["status"] == "graded" and e["score"] < e["max_score"]]
            if bad:
                problems.append(f"reference: not full marks on {bad}")
        if s.kind == "blank":
            bad = [q for q, e in qs.items() if e["score"] > 0]
            if bad:
                problems.append(f"blank: points on {bad}")
        for name, key in s.mistakes.items():
            e = qs.get(name)
            if not e or e["score"] > 0:
                problems.append(f"{s.student}: mistake {key} in {name} scored {e and e['score']}")
        if s.kind == "mistake":
            full = [q for q, e in qs.items() if q not in s.mistakes and e["status"] == "graded"
                    and e["score"] < e["max_score"]]
            if full:
                problems.append(f"{s.student}: lost points without a mistake on {full}")
    return problems


@contextlib.contextmanager
def course_copy_outside(root: Path):
    """A second copy of the course (reference and sources) outside the course root, like an
    instructor's backup in ``/tmp/nnmath-backup-*``, for the time of the block: the jail must
    keep it out of every kernel's reach."""
    import os
    import tempfile

    backup = Path(tempfile.mkdtemp(prefix="nnmath-backup-"))
    try:
        for name in ("solutions_lib", "source"):
            if (Path(root) / name).is_dir():
                shutil.copytree(Path(root) / name, backup / name,
                                ignore=shutil.ignore_patterns("__pycache__"))
        for d in [backup, *backup.rglob("*")]:
            os.chmod(d, 0o755 if d.is_dir() else 0o644)
        yield backup
    finally:
        shutil.rmtree(backup, ignore_errors=True)


def main(root=None, jobs=None, assignments=None, out=sys.stdout) -> int:
    """Run the main job; return the exit status (0 when every verdict is as expected)."""
    from autograder.grade import grade

    t0 = time.perf_counter()
    root = course_root(root)
    try:
        ids = generate(assignments, root=root)
    except (ReleaseError, ValueError) as exc:
        print(f"demo: the release could not be built:\n{exc}", file=out)
        return 1
    print(f"[1/6] generated and checked release/ for {', '.join(ids)}", file=out)

    classes = {}
    for k, aid in enumerate(ids):
        samples = build_class(aid, root, hostile=sb.DEMO_HOSTILE[k::len(ids)])
        _clear(root, aid, [s.student for s in samples])
        zpath = root / "downloaded" / f"{aid}_lms.zip"
        collect.make_lms_zip({f"{s.student}_{s.notebook_name or aid + '.ipynb'}": s.text
                              for s in samples}, zpath)
        collect.collect_zip(aid, zpath, root=root)
        classes[aid] = samples
        print(f"[2/6] {aid}: {len(samples)} sample submissions collected from an LMS zip "
              f"({sum(s.kind == 'mistake' for s in samples)} typical mistakes, "
              f"{sum(s.kind == 'hostile' for s in samples)} hostile)", file=out)

    students = sorted({s.student for samples in classes.values() for s in samples})
    t1 = time.perf_counter()
    with course_copy_outside(root):     # the hostile "coursecopy" student looks for it
        grade(ids, students=students, jobs=jobs, root=root)
    print(f"[3/6] graded in {time.perf_counter() - t1:.0f} s", file=out)
    paths = feedback.feedback(ids, students=students, root=root)
    print(f"[4/6] {len(paths)} feedback pages under {root / 'feedback'}", file=out)
    csv_path = export.export(ids, root=root)
    print(f"[5/6] export: {csv_path}", file=out)
    text, figures = report.report(ids, root=root)
    print(f"[6/6] report: {', '.join(str(f) for f in figures)}\n", file=out)
    print(text, file=out)

    problems = []
    rows = []
    for aid, samples in classes.items():
        results = {r["student"]: r for r in rs.load_results([aid], root=root)}
        problems += [f"{aid}: {p}" for p in check_expectations(samples, results)]
        rows += rs.summary_rows(results[s.student] for s in samples if s.student in results)
    print("\nSummary", file=out)
    print(rs.format_table([{**r, "week": r["assignment"]} for r in rows],
                          ["student", "week", "score", "status"]), file=out)
    print(f"\nmain job finished in {time.perf_counter() - t0:.0f} s", file=out)
    if problems:
        print("\nUNEXPECTED VERDICTS:\n  " + "\n  ".join(problems), file=out)
        return 1
    print("every verdict as expected", file=out)
    return 0
