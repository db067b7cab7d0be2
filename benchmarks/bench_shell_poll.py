"""Replies left unread on the shell socket: nbclient's own kernel client vs the course's.

Runs a notebook of ``--cells`` cells, every other one an ``ipywidgets.interactive_output``
(nbclient's Output-widget mimic sends ``comm_msg`` on the shell socket while it waits for the
reply), with a cell time limit of ``--limit`` seconds; each cell takes milliseconds, so a cell
that lasts the whole limit is a reply the client did not read until the limit ran out
(:mod:`autograder.kernel_client`). The two clients alternate, ``--rounds`` times each::

    .venv/bin/python benchmarks/bench_shell_poll.py --cells 300 --rounds 3
"""
from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from jupyter_client import AsyncKernelManager  # noqa: E402
from nbclient import NotebookClient  # noqa: E402
from nbformat.v4 import new_code_cell, new_notebook  # noqa: E402

from autograder.kernel_client import KernelClient  # noqa: E402

SETUP = "import ipywidgets as w\ndef show(x):\n    print('x =', x)\n"


def widget_notebook(n_cells: int):
    cells = [new_code_cell(SETUP)]
    for i in range(n_cells):
        cells.append(new_code_cell(f"display(w.interactive_output(show, {{'x': w.IntSlider(value={i})}}))"
                                   if i % 2 else f"x = {i}"))
    return new_notebook(cells=cells)


def run(n_cells: int, limit: float, course_client: bool) -> tuple[int, float]:
    """(cells that lasted the whole limit, wall seconds) of one run in a fresh kernel."""
    starts: dict = {}
    stalls = []

    def started(cell, cell_index, **_):
        starts[cell_index] = time.monotonic()

    def executed(cell, cell_index, **_):
        if time.monotonic() - starts[cell_index] >= 0.9 * limit:
            stalls.append(cell_index)

    client = NotebookClient(widget_notebook(n_cells), timeout=limit, interrupt_on_timeout=True,
                            kernel_name="python3", on_cell_start=started, on_cell_executed=executed)
    client.km = AsyncKernelManager(kernel_name="python3", transport="ipc")
    if course_client:
        client.km.client_factory = KernelClient
    t = time.monotonic()
    client.execute()
    return len(stalls), time.monotonic() - t


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--cells", type=int, default=300)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--limit", type=float, default=3.0, help="cell time limit, seconds")
    args = ap.parse_args(argv)
    widgets = args.cells // 2
    totals = {False: [0, 0.0], True: [0, 0.0]}
    for k in range(args.rounds):
        for course_client in ((False, True) if k % 2 == 0 else (True, False)):
            stalls, wall = run(args.cells, args.limit, course_client)
            totals[course_client][0] += stalls
            totals[course_client][1] += wall
            name = "course KernelClient" if course_client else "nbclient's default"
            print(f"round {k + 1}, {name:<20}: {stalls:3d} of {widgets} widget cells waited "
                  f"out the {args.limit:g} s limit; {wall:5.1f} s", flush=True)
    for course_client, (stalls, wall) in totals.items():
        name = "course KernelClient" if course_client else "nbclient's default"
        print(f"{name:<20}: {stalls} stalls in {args.rounds * widgets} widget cells "
              f"({100 * stalls / (args.rounds * widgets):.1f} %), {wall / args.rounds:.1f} s a run")
    return 0


if __name__ == "__main__":
    sys.exit(main())
