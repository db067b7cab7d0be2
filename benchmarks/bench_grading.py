"""Benchmark of the grader: plain sequential ``nbgrader autograde`` vs ``grade --jobs 2``.

Builds a temporary course with one week and N (>= 40) submissions (a mix of correct, blank
and half-correct answers), then in one run:

1. ``nbgrader autograde <week> --force`` (the nbgrader 0.9.6 CLI, sequential, its default
   kernel, no sandbox) on one copy;
2. :func:`autograder.grade.grade` with ``jobs`` workers on an identical copy;
3. with ``--cluster``: the same grading through a ``dask.distributed`` ``LocalCluster`` of
   ``jobs`` worker processes (one thread each) on a third copy — the engine's overhead over
   the local pool (target <= 10 %);
4. a bare kernel start + shutdown (the floor of any per-notebook cost), averaged.

Prints the wall times, the ratio plain / ours (target >= 2.5 on 2 cores), the per-notebook
time of each, and the grader's per-notebook overhead over a bare kernel start. On a shared,
loaded machine the absolute times are noisy: read the ratios of one run.

Usage::

    .venv/bin/python benchmarks/bench_grading.py [--n 40]
        [--jobs 2] [--week w01_convolution] [--cluster]

Without ``--week`` (or when the week has no source notebook yet) the fixture week of the
tests (two graded functions, one written answer) is used.
"""
from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))   # for the test fixture course (`tests` is not installed)


def _build_course(base: Path, n: int, week: str | None) -> tuple[Path, str]:
    from autograder.release import generate
    from autograder.submissions import blank_submission, fill, reference_answers, reference_submission, write_sample

    course = base / "course"
    if week and (ROOT / "source" / week).is_dir():
        shutil.copytree(ROOT / "source" / week, course / "source" / week)
        aid = week
    else:
        from tests.autograder.conftest import make_fixture_course

        aid = make_fixture_course(course).assignment
    generate([aid], root=course)
    rel = next((course / "release" / aid).glob("*.ipynb"))
    src = course / "source" / aid / rel.name
    ref = reference_answers(src)
    names = list(ref)
    for i in range(n):
        sid = f"student{i:03d}"
        kind = i % 3
        if kind == 0:
            sample = reference_submission(sid, rel, src)
        elif kind == 1:
            sample = blank_submission(sid, rel)
        else:   # half the answers
            import nbformat

            from autograder.submissions import Sample
            half = {k: v for j, (k, v) in enumerate(ref.items()) if j % 2 == 0}
            sample = Sample(sid, nbformat.writes(fill(rel, half)), "half")
        sample.notebook_name = rel.name
        write_sample(sample, course, aid)
    (course / "nbgrader_config.py").write_text(
        "from autograder.nbconfig import nbgrader_settings\n"
        "c = get_config()\n"
        f"c.merge(nbgrader_settings(root={str(course)!r}))\n")
    del names
    return course, aid


def bare_kernel_seconds(repeat: int = 5) -> float:
    """Mean wall time of starting a python3 kernel, one trivial execution, shutdown."""
    from jupyter_client.manager import start_new_kernel

    times = []
    for _ in range(repeat):
        t = time.perf_counter()
        km, kc = start_new_kernel(kernel_name="python3")
        kc.execute_interactive("1", timeout=30)
        kc.stop_channels()
        km.shutdown_kernel(now=True)
        times.append(time.perf_counter() - t)
    return statistics.mean(times)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--n", type=int, default=40, help="submissions (>= 40 for the report)")
    ap.add_argument("--jobs", type=int, default=2)
    ap.add_argument("--week", default=None)
    ap.add_argument("--cluster", action="store_true",
                    help="also grade through a 2-worker dask LocalCluster")
    args = ap.parse_args(argv)
    bindir = str(Path(sys.executable).parent)
    os.environ["PATH"] = bindir + os.pathsep + os.environ.get("PATH", "")
    from autograder.grade import grade

    base = Path(tempfile.mkdtemp(prefix="nnmath-bench-"))
    try:
        plain, aid = _build_course(base / "plain", args.n, args.week)
        ours = base / "ours" / "course"
        shutil.copytree(plain, ours)
        print(f"{args.n} submissions of {aid}; machine: {os.cpu_count()} CPU(s)")

        t = time.perf_counter()
        proc = subprocess.run(["nbgrader", "autograde", aid, "--force"], cwd=plain,
                              capture_output=True, text=True)
        t_plain = time.perf_counter() - t
        if proc.returncode != 0:
            print(proc.stderr[-2000:])
        n_plain = len(list((plain / "autograded").glob(f"*/{aid}")))

        if args.cluster:
            viadask = base / "dask" / "course"
            shutil.copytree(plain, viadask)
        t = time.perf_counter()
        res = grade([aid], root=ours, jobs=args.jobs, progress=False, force=True)
        t_ours = time.perf_counter() - t
        per_task = statistics.mean(r["seconds"] for r in res if r.get("seconds"))
        if args.cluster:
            from distributed import Client, LocalCluster

            t = time.perf_counter()
            with LocalCluster(n_workers=args.jobs, threads_per_worker=1, processes=True,
                              dashboard_address=None, silence_logs=40) as lc, Client(lc) as client:
                t_start = time.perf_counter() - t
                t = time.perf_counter()
                res_d = grade([aid], root=viadask, progress=False, force=True, scheduler=client)
                t_dask = time.perf_counter() - t
            per_task_d = statistics.mean(r["seconds"] for r in res_d if r.get("seconds"))
        bare = bare_kernel_seconds()
        print(f"plain sequential nbgrader autograde : {t_plain:7.1f} s  "
              f"({t_plain / args.n:.2f} s/notebook, {n_plain} autograded)")
        print(f"grade --jobs {args.jobs}                     : {t_ours:7.1f} s  "
              f"({t_ours / args.n:.2f} s/notebook wall, {per_task:.2f} s/notebook in a worker; "
              f"{len(res)} results)")
        print(f"speed-up plain / ours              : {t_plain / t_ours:7.2f}  (target >= 2.5)")
        if args.cluster:
            print(f"grade --scheduler (LocalCluster {args.jobs}x1) : {t_dask:7.1f} s  "
                  f"({per_task_d:.2f} s/notebook in a worker; {len(res_d)} results; cluster "
                  f"start {t_start:.1f} s not counted)")
            print(f"engine overhead dask / local pool  : {100 * (t_dask / t_ours - 1):+6.1f} %  "
                  "(target <= 10 %)")
        print(f"bare kernel start+exec+shutdown    : {bare:7.2f} s")
        print(f"per-notebook overhead over a bare kernel: worker {per_task - bare:+.2f} s, "
              f"plain nbgrader {t_plain / args.n - bare:+.2f} s")
    finally:
        shutil.rmtree(base, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
