"""Command-line interface: ``python -m autograder <command> --help``.

One subcommand per step of the pipeline; each parses its options and calls one module:

=========  =====================  ==========================================================
command    module                 what it does
=========  =====================  ==========================================================
generate   :mod:`.release`        ``source/`` -> ``release/`` with nbgrader, then leak checks
collect    :mod:`.collect`        exchange or LMS zip -> ``submitted/``
grade      :mod:`.grade`          parallel, resumable autograding into ``grades/``
feedback   :mod:`.feedback`       sanitized per-student HTML (+ nbgrader's, for the exchange)
export     :mod:`.export`         CSV student x question with a ``status`` column
report     :mod:`.report`         score distributions and frequent mistakes (table + PNG)
demo       :mod:`.demo`           the main job: all of the above on a generated sample class
validate   :mod:`.validate`       a student's check: per question passed/failed/not attempted
student-   :mod:`.student_setup`  a student's JupyterLab config: no instructor tool, calm
setup                             Validate
=========  =====================  ==========================================================

Every command takes ``--root`` (the course root; default ``course_config.COURSE_ROOT``).
Exit status: 0 on success, 1 when the step failed (e.g. a release check), 2 on bad usage.
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path


def _assignments(values):
    if not values or values == ["all"]:
        return None
    return values


def _add_common(p: argparse.ArgumentParser, assignments: bool = True) -> None:
    p.add_argument("--root", type=Path, default=None,
                   help="course root (default: course_config.COURSE_ROOT)")
    if assignments:
        p.add_argument("assignments", nargs="*", metavar="ASSIGNMENT",
                       help="assignment id(s); none or 'all' = every week in source/")


def cmd_generate(args) -> int:
    from autograder.release import ReleaseError, generate

    try:
        ids = generate(_assignments(args.assignments), root=args.root)
    except (ReleaseError, ValueError) as exc:
        print(f"generate: FAILED\n{exc}", file=sys.stderr)
        return 1
    print(f"generated and checked: {', '.join(ids)}")
    return 0


def cmd_collect(args) -> int:
    from autograder import collect

    if args.zip:
        if not args.assignments or len(args.assignments) != 1:
            print("collect --zip needs exactly one ASSIGNMENT", file=sys.stderr)
            return 2
        done = collect.collect_zip(args.assignments[0], args.zip, root=args.root)
    else:
        done = collect.collect_exchange(_assignments(args.assignments), root=args.root,
                                        exchange_root=args.exchange)
    for aid, students in done.items():
        print(f"{aid}: collected {len(students)} submission(s): {', '.join(students)}")
    return 0


def cmd_grade(args) -> int:
    from autograder import grade
    from autograder.cluster import ClusterTasksFailed
    from autograder.gradebook import GradebookUnavailable, GradingLocked
    from autograder.release import resolve_assignments

    try:
        results = grade.grade(resolve_assignments(_assignments(args.assignments), args.root),
                              students=args.student or None, jobs=args.jobs, root=args.root,
                              force=args.force, unsandboxed=args.unsandboxed,
                              scheduler=args.scheduler)
    except GradingLocked as exc:
        print(f"grade: refused: {exc}", file=sys.stderr)
        return 1
    except (GradebookUnavailable, ClusterTasksFailed) as exc:
        print(f"grade: stopped: {exc}. The results recorded so far are kept; run the same "
              "command again to grade the rest.", file=sys.stderr)
        return 1
    from autograder import formgrader_notes
    from autograder.results import format_table, summary_rows

    formgrader_notes.annotate(results, root=args.root)   # the grader's decisions, shown in formgrader
    print(format_table(summary_rows(results), ["student", "assignment", "score", "status"]))
    return 0


def cmd_feedback(args) -> int:
    from autograder import feedback

    paths = feedback.feedback(_assignments(args.assignments), students=args.student or None,
                              root=args.root, release=args.release, exchange_root=args.exchange)
    print(f"wrote {len(paths)} feedback file(s) under {Path(paths[0]).parents[2] if paths else '-'}")
    return 0


def cmd_export(args) -> int:
    from autograder import export

    path = export.export(_assignments(args.assignments), root=args.root, out=args.out)
    print(f"wrote {path}")
    return 0


def cmd_report(args) -> int:
    from autograder import report

    text, figures = report.report(_assignments(args.assignments), root=args.root)
    print(text)
    for f in figures:
        print(f"figure: {f}")
    return 0


def cmd_validate(args) -> int:
    from autograder import validate

    argv = [str(args.notebook)] + (["--json"] if args.json else [])
    return validate.main(argv + (["--timeout", str(args.timeout)] if args.timeout else []))


def cmd_student_setup(args) -> int:
    from autograder import student_setup

    folder = student_setup.write(args.config_dir, exchange=args.exchange, course_id=args.course_id,
                                 student_id=args.student_id)
    print(f"student JupyterLab configuration in {folder}\n"
          f"start it with:  JUPYTER_CONFIG_DIR={folder} jupyter lab")
    return 0


def cmd_demo(args) -> int:
    from autograder import demo

    return demo.main(root=args.root, jobs=args.jobs, assignments=_assignments(args.assignments))


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m autograder",
        description="Grading pipeline of the nnmath course on top of nbgrader 0.9.6.")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)

    p = sub.add_parser("generate", help="source/ -> release/ for one week or all, then check it",
                       description="Generate the student release with nbgrader (forced) and check "
                       "it: no solutions, no hidden tests, no solutions_lib, no outputs, graded "
                       "cells locked and check-summed. Exits 1 on any violation.")
    _add_common(p)
    p.set_defaults(func=cmd_generate)

    p = sub.add_parser("collect", help="exchange submissions or an LMS zip -> submitted/",
                       description="Collect submissions into submitted/: from nbgrader's exchange "
                       "(after students submit), or with --zip from an LMS download via "
                       "nbgrader zip_collect.")
    _add_common(p)
    p.add_argument("--zip", type=Path, help="LMS zip of per-student files "
                   "(<student>_<anything>.ipynb or <student>/<notebook>.ipynb)")
    p.add_argument("--exchange", type=Path, default=None, help="exchange root directory")
    p.set_defaults(func=cmd_collect)

    p = sub.add_parser("grade", help="autograde in parallel, resumable",
                       description="Autograde submissions in worker processes (disjoint student "
                       "sets), with a progress bar; re-running grades only what is missing.")
    _add_common(p)
    p.add_argument("--student", action="append", help="only this student (repeatable)")
    p.add_argument("--jobs", type=int, default=None, help="worker processes (default: CPU count)")
    p.add_argument("--force", action="store_true",
                   help="regrade submissions that already have a result")
    p.add_argument("--unsandboxed", action="store_true",
                   help="grade without the kernel jail when it cannot be built (not root, no "
                   "bwrap): kernels can then read everything the grader can; only for "
                   "submissions you trust")
    p.add_argument("--scheduler", default=None, metavar="ADDRESS",
                   help="grade on a Dask cluster: the scheduler's address (tcp://host:8786); "
                   "workers: 'dask worker ADDRESS --nthreads 1 --nworkers N' on machines with "
                   "this course installed (docs/scale.md). Default: the local pool (--jobs)")
    p.set_defaults(func=cmd_grade)

    p = sub.add_parser("feedback", help="per-student HTML without hidden tests or reference code",
                       description="Write feedback/<student>/<assignment>/<notebook>.html: the "
                       "student's code, the score per question and the checker's message, with "
                       "what nbgrader's release_feedback and fetch_feedback need.")
    _add_common(p)
    p.add_argument("--student", action="append", help="only this student (repeatable)")
    p.add_argument("--release", action="store_true",
                   help="also release_feedback to the exchange")
    p.add_argument("--exchange", type=Path, default=None, help="exchange root directory")
    p.set_defaults(func=cmd_feedback)

    p = sub.add_parser("export", help="CSV student x question with a status column",
                       description="Write exports/grades.csv: student, assignment, question, "
                       "score, max_score, status (graded/missing/errored/flagged/pending), "
                       "reason, mistake.")
    _add_common(p)
    p.add_argument("--out", type=Path, default=None, help="CSV path (default exports/grades.csv)")
    p.set_defaults(func=cmd_export)

    p = sub.add_parser("report", help="score distributions and frequent mistakes",
                       description="Print per-question score distributions and the most "
                       "frequent named mistakes; save a matplotlib figure into reports/.")
    _add_common(p)
    p.set_defaults(func=cmd_report)

    p = sub.add_parser("validate", help="a student's check: per question passed / failed / not attempted",
                       description="Run a notebook (all cells, as Restart and Run All) and print "
                       "one line per question: passed, failed with the error's first line, or not "
                       "attempted (still raises NotImplementedError). Exit 0 when all passed.")
    p.add_argument("notebook", type=Path)
    p.add_argument("--json", action="store_true", help="machine-readable output")
    p.add_argument("--timeout", type=int, default=None, help="seconds per cell")
    p.set_defaults(func=cmd_validate, root=None)

    p = sub.add_parser("student-setup", help="a student's JupyterLab configuration (no instructor tool)",
                       description="Write a JUPYTER_CONFIG_DIR for students: nbgrader's assignment "
                       "list and Validate only (no Create Assignment, formgrader or course list), "
                       "the course's calm Validate, the exchange and course id.")
    p.add_argument("config_dir", type=Path)
    p.add_argument("--exchange", type=Path, default=None, help="nbgrader exchange root")
    p.add_argument("--course-id", default=None, help="default course_config.COURSE_ID")
    p.add_argument("--student-id", default=None, help="the student's id (default: the login name)")
    p.set_defaults(func=cmd_student_setup, root=None)

    p = sub.add_parser("demo", help="the main job: release + a sample class graded end to end",
                       description="Generate every week in source/, build a sample class "
                       "(reference, blank, one student per typical mistake, hostile ones), "
                       "collect, grade, feedback, export, report, and print a summary table.")
    _add_common(p)
    p.add_argument("--jobs", type=int, default=None, help="worker processes (default: CPU count)")
    p.set_defaults(func=cmd_demo)
    return parser


def main(argv=None) -> int:
    from autograder.course import Course, tools_on_path

    tools_on_path()
    args = build_parser().parse_args(argv)
    args.root = Course.at(args.root).root     # the one course object's root, for every command
    from autograder.kernel_run import PreflightError

    try:
        return args.func(args)
    except PreflightError as exc:      # no jail, no checker: refuse in one line
        print(f"error: {exc}", file=__import__("sys").stderr)
        return 1
