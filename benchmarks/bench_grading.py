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

With ``--rounds R`` every engine runs R times, interleaved and in turned order (a load that
comes and goes hits all of them), and the medians are reported. Prints the wall times, the
ratio plain / ours (target >= 2.5 on 2 cores), the per-notebook time of each, the notebook's
own cell time (nbclient's per-cell timing in the autograded notebooks) and the grader's
per-notebook cost against a bare kernel start plus those cells (target <= 2). On a shared,
loaded machine the absolute times are noisy: read the ratios of one run.

Usage::

    .venv/bin/python benchmarks/bench_grading.py [--n 40]
        [--jobs 2] [--week w01_convolution] [--cluster] [--rounds 2]

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
        km, kc = start_new_kernel(kernel_name="python3", stderr=subprocess.DEVNULL)
        kc.execute("1")
        kc.get_shell_msg(timeout=30)
        kc.stop_channels()
        km.shutdown_kernel(now=True)
        times.append(time.perf_counter() - t)
    return statistics.mean(times)


def cell_seconds(course: Path, aid: str) -> float:
    """Mean time a graded notebook spent in its own cells (nbclient's per-cell timing).

    Sums ``shell.execute_reply - iopub.execute_input`` of every code cell of each autograded
    notebook of ``aid`` under ``course`` (the kernel's own work: no start, no grader).
    """
    import datetime as dt
    import json

    def stamp(text):
        return dt.datetime.fromisoformat(text.replace("Z", "+00:00"))

    totals = []
    for path in (course / "autograded").glob(f"*/{aid}/*.ipynb"):
        total = 0.0
        for cell in json.loads(path.read_text())["cells"]:
            ex = cell.get("metadata", {}).get("execution", {})
            if "iopub.execute_input" in ex and "shell.execute_reply" in ex:
                total += (stamp(ex["shell.execute_reply"]) - stamp(ex["iopub.execute_input"])).total_seconds()
        totals.append(total)
    return statistics.mean(totals) if totals else float("nan")


def _plain(course: Path, aid: str) -> float:
    t = time.perf_counter()
    proc = subprocess.run(["nbgrader", "autograde", aid, "--force"], cwd=course,
                          capture_output=True, text=True)
    if proc.returncode != 0:
        print(proc.stderr[-2000:])
    return time.perf_counter() - t


def _pool(course: Path, aid: str, jobs: int) -> tuple[float, list]:
    from autograder.grade import grade

    t = time.perf_counter()
    res = grade([aid], root=course, jobs=jobs, progress=False, force=True)
    return time.perf_counter() - t, res


def _dask(course: Path, aid: str, client) -> tuple[float, list]:
    from autograder.grade import grade

    t = time.perf_counter()
    res = grade([aid], root=course, progress=False, force=True, scheduler=client)
    return time.perf_counter() - t, res


def _per_task(results) -> float:
    return statistics.mean(r["seconds"] for r in results if r.get("seconds"))


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--n", type=int, default=40, help="submissions (>= 40 for the report)")
    ap.add_argument("--jobs", type=int, default=2)
    ap.add_argument("--week", default=None)
    ap.add_argument("--cluster", action="store_true",
                    help="also grade through a 2-worker dask LocalCluster")
    ap.add_argument("--rounds", type=int, default=1,
                    help="interleaved rounds (each runs every engine once, in turned order)")
    args = ap.parse_args(argv)
    bindir = str(Path(sys.executable).parent)
    os.environ["PATH"] = bindir + os.pathsep + os.environ.get("PATH", "")

    base = Path(tempfile.mkdtemp(prefix="nnmath-bench-"))
    client = cluster = None
    try:
        plain, aid = _build_course(base / "plain", args.n, args.week)
        ours = base / "ours" / "course"
        shutil.copytree(plain, ours)
        engines = ["plain", "pool"]
        if args.cluster:
            from distributed import Client, LocalCluster

            viadask = base / "dask" / "course"
            shutil.copytree(plain, viadask)
            t = time.perf_counter()
            cluster = LocalCluster(n_workers=args.jobs, threads_per_worker=1, processes=True,
                                   dashboard_address=None, silence_logs=40)
            client = Client(cluster)
            t_start = time.perf_counter() - t
            engines.append("dask")
        print(f"{args.n} submissions of {aid}; machine: {os.cpu_count()} CPU(s); "
              f"{args.rounds} interleaved round(s) of {', '.join(engines)}")
        times: dict = {e: [] for e in engines}
        per_task: dict = {e: [] for e in engines if e != "plain"}
        for k in range(args.rounds):
            order = engines[k % len(engines):] + engines[:k % len(engines)]
            for e in order:
                if e == "plain":
                    times[e].append(_plain(plain, aid))
                    continue
                t, res = _pool(ours, aid, args.jobs) if e == "pool" else _dask(viadask, aid, client)
                assert len(res) == args.n, f"{e}: {len(res)} results of {args.n}"
                times[e].append(t)
                per_task[e].append(_per_task(res))
            print(f"round {k + 1}: " + ", ".join(f"{e} {times[e][-1]:.1f} s" for e in order))
        t_plain, t_ours = statistics.median(times["plain"]), statistics.median(times["pool"])
        n_plain = len(list((plain / "autograded").glob(f"*/{aid}")))
        worker = statistics.median(per_task["pool"])
        bare = bare_kernel_seconds()
        cells = cell_seconds(ours, aid)
        print(f"plain sequential nbgrader autograde : {t_plain:7.1f} s  "
              f"({t_plain / args.n:.2f} s/notebook, {n_plain} autograded)")
        print(f"grade --jobs {args.jobs}                     : {t_ours:7.1f} s  "
              f"({t_ours / args.n:.2f} s/notebook wall, {worker:.2f} s/notebook in a worker)")
        print(f"speed-up plain / ours              : {t_plain / t_ours:7.2f}  (target >= 2.5)")
        if args.cluster:
            t_dask = statistics.median(times["dask"])
            print(f"grade --scheduler (LocalCluster {args.jobs}x1) : {t_dask:7.1f} s  "
                  f"({statistics.median(per_task['dask']):.2f} s/notebook in a worker; cluster "
                  f"start {t_start:.1f} s not counted)")
            print(f"engine overhead dask / local pool  : {100 * (t_dask / t_ours - 1):+6.1f} %  "
                  "(target <= 10 %)")
        print(f"bare kernel start+exec+shutdown    : {bare:7.2f} s")
        print(f"the notebook's own cells (mean)    : {cells:7.2f} s")
        print(f"worker per notebook / (bare kernel + cells): {worker / (bare + cells):.2f}  "
              f"(target <= 2)")
        print(f"per-notebook overhead over a bare kernel: worker {worker - bare:+.2f} s, "
              f"plain nbgrader {t_plain / args.n - bare:+.2f} s")
    finally:
        if client is not None:
            client.close()
            cluster.close()
        shutil.rmtree(base, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
