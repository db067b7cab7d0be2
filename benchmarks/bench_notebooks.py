"""Time each source notebook top to bottom (solutions in, a fresh kernel each); print seconds.

Run::

    .venv/bin/python benchmarks/bench_notebooks.py [week ...] [--repeats 3]

Each figure is the best of ``--repeats`` runs, kernel start included, against the target of
60 s a notebook (a week a student runs in a minute). The notebook tests assert only
``course_config``'s autograde limits, which hold on a busy machine; this is where speed is read.
"""
from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import nbformat

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import course_config  # noqa: E402
from autograder.kernel_client import notebook_client  # noqa: E402

#: seconds a source notebook should take top to bottom (a benchmark target, not a test)
TARGET_S = 60


def seconds_top_to_bottom(path: Path) -> float:
    """Wall seconds of one run of the notebook at ``path`` in a fresh kernel, kernel start included."""
    nb = nbformat.read(path, as_version=4)
    client = notebook_client(nb, timeout=course_config.CELL_TIMEOUT_S, kernel_name="python3",
                            resources={"metadata": {"path": str(path.parent)}})
    start = time.perf_counter()
    client.execute()
    return time.perf_counter() - start


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("weeks", nargs="*", help="assignment ids (default: every week with a source notebook)")
    parser.add_argument("--repeats", type=int, default=1)
    args = parser.parse_args(argv)
    weeks = args.weeks or [w for w in course_config.ASSIGNMENT_IDS if (ROOT / "source" / w / f"{w}.ipynb").is_file()]
    slow = 0
    print(f"{'week':24} {'best s':>7}  (target {TARGET_S} s)")
    for week in weeks:
        best = min(seconds_top_to_bottom(ROOT / "source" / week / f"{week}.ipynb") for _ in range(args.repeats))
        slow += best >= TARGET_S
        print(f"{week:24} {best:7.1f}{'  over target' if best >= TARGET_S else ''}", flush=True)
    return 1 if slow else 0


if __name__ == "__main__":
    raise SystemExit(main())
