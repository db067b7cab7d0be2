"""The coordinator's write per notebook: how many notebooks an hour one gradebook takes.

Starts a temporary PostgreSQL server (Debian's binaries, as the tests do), releases a week
into it and into a SQLite file, then times :class:`autograder.gradebook.Writer` writing N
submissions' records (every grade and comment of the week, as a grader returns them) — the
only gradebook work the coordinator does per notebook — plus a second write of the same
records (a repeated task). Prints milliseconds per notebook and the notebooks an hour that
one coordinator can record.

Usage::

    .venv/bin/python benchmarks/bench_gradebook.py [--n 200] [--week w02_volume_sizes]
"""
from __future__ import annotations

import argparse
import os
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))   # for tests.autograder.pgserver (`tests` is not installed)


def _record(url: str, aid: str) -> dict:
    """A full record of ``aid``: every grade cell scored, every comment set."""
    from nbgrader.api import Gradebook

    with Gradebook(url) as gb:
        a = gb.find_assignment(aid)
        grades = {nb.name: {c.name: float(c.max_score) for c in nb.grade_cells} for nb in a.notebooks}
        comments = {nb.name: {c.name: None for c in nb.solution_cells} for nb in a.notebooks}
    return {"timestamp": "2026-12-01 23:59:00.000000 UTC", "grades": grades, "comments": comments}


def time_writes(url: str, aid: str, n: int) -> tuple[float, float]:
    """Mean seconds per first write and per repeated write of ``n`` submissions."""
    from autograder import gradebook

    students = [f"bench{i:05d}" for i in range(n)]
    gradebook.ensure_students(url, students)
    record = _record(url, aid)
    first, again = [], []
    with gradebook.Writer(url) as w:
        for sid in students:
            t = time.perf_counter()
            w.write(aid, sid, record)
            first.append(time.perf_counter() - t)
        for sid in students:
            t = time.perf_counter()
            w.write(aid, sid, record)
            again.append(time.perf_counter() - t)
    return statistics.mean(first), statistics.mean(again)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--n", type=int, default=200, help="submissions written")
    ap.add_argument("--week", default="w02_volume_sizes")
    args = ap.parse_args(argv)
    from autograder.course import tools_on_path
    from autograder.release import generate
    from tests.autograder.pgserver import PgServer, binaries

    tools_on_path()
    bindir = binaries()
    if bindir is None:
        print("no PostgreSQL server binaries: make postgres")
        return 1
    base = Path(tempfile.mkdtemp(prefix="nnmath-bench-gb-"))
    server = PgServer(bindir).start()
    try:
        course = base / "course"
        shutil.copytree(ROOT / "source" / args.week, course / "source" / args.week)
        sqlite_url = f"sqlite:///{course / 'gradebook.db'}"
        generate([args.week], root=course, db_url=sqlite_url)
        os.environ["NNMATH_GRADEBOOK_URL"] = server.url
        generate([args.week], root=course, db_url=server.url)
        print(f"{args.n} submissions of {args.week}, one coordinator, machine: "
              f"{os.cpu_count()} CPU(s)")
        for name, url in (("PostgreSQL (Unix socket)", server.url), ("SQLite file", sqlite_url)):
            first, again = time_writes(url, args.week, args.n)
            print(f"{name:<26}: first write {1000 * first:6.1f} ms/notebook, repeated "
                  f"{1000 * again:6.1f} ms/notebook -> {3600 / first:9.0f} notebooks/hour")
    finally:
        server.destroy()
        shutil.rmtree(base, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
