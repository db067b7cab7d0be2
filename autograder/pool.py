"""The local worker pool: grading tasks spread over processes, with a progress bar.

:func:`run_tasks` splits the work by student across ``jobs`` worker processes ('spawn'): a
worker takes a student's whole set of assignments at once, so no student is ever graded in two
processes. A worker lives for the whole run (nbgrader, the kernel spec and the imports are set
up once) and sends each task's outcome back; this process hands it to ``on_result`` — the one
writer. The task function, the check that runs before any task (the pre-flight) and
``on_result`` are parameters: the pool knows nothing of grading. Ctrl-C stops the workers; what
was recorded is kept. When ``on_result`` raises (the gradebook went away), the workers are
stopped and the error propagates.
"""
from __future__ import annotations

import multiprocessing as mp
import os
import queue as _queue
import signal
import sys
import threading
import time

from autograder import sandbox

#: Set when Ctrl-C (or SIGTERM) reaches a worker: finish nothing more, store nothing half-done.
STOP = threading.Event()



def _on_sigint(signum, frame):
    STOP.set()
    raise KeyboardInterrupt



def _worker(index: int, todo, done, root: str, task) -> None:
    """One worker process: run ``task(student, assignment, root, worker=index)`` for each unit."""
    signal.signal(signal.SIGINT, _on_sigint)
    signal.signal(signal.SIGTERM, _on_sigint)
    try:
        _serve(index, todo, done, root, task)
    except KeyboardInterrupt:      # stopped (Ctrl-C, or the coordinator could not record)
        return


def _serve(index: int, todo, done, root: str, task) -> None:
    parent = os.getppid()
    sandbox.become_subreaper()
    sandbox.install_kernel_spec()
    import nbgrader.api  # noqa: F401  (warm up while the parent runs the pre-flight)
    import nbgrader.apps.api  # noqa: F401
    while True:
        if os.getppid() != parent:
            return
        try:
            unit = todo.get(timeout=1)
        except _queue.Empty:
            continue
        if unit is None or STOP.is_set():
            return
        for student, aid in unit:
            try:
                r = task(student, aid, root, worker=index)
                done.put(("done", student, aid, r))
            except KeyboardInterrupt:
                return
            except Exception as exc:   # the task guards itself; a bug must not stop the pool
                done.put(("failed", student, aid, f"errored: {exc!r}"))
            if STOP.is_set():
                return


class Progress:
    """A one-line progress bar with ETA on stderr (no third-party dependency)."""

    def __init__(self, total: int, enabled: bool = True, stream=None):
        self.total, self.n, self.t0 = total, 0, time.monotonic()
        self.enabled, self.stream = enabled, stream or sys.stderr

    def update(self, label: str = "") -> None:
        self.n += 1
        if not self.enabled:
            return
        el = time.monotonic() - self.t0
        eta = el / self.n * (self.total - self.n) if self.n else 0
        width = 24
        fill = int(width * self.n / max(self.total, 1))
        self.stream.write(f"\rgrading [{'#' * fill}{'.' * (width - fill)}] {self.n}/{self.total} "
                          f"elapsed {_hms(el)} ETA {_hms(eta)} {label[:40]:<40}")
        if self.n >= self.total:
            self.stream.write("\n")
        self.stream.flush()



def _hms(s: float) -> str:
    s = int(round(s))
    return f"{s // 3600}:{s % 3600 // 60:02d}:{s % 60:02d}"



def run_tasks(tasks, jobs: int, root, progress: bool, task, before=None, on_result=None) -> None:
    """Run ``task`` for every ``(student, assignment)`` of ``tasks`` in ``jobs`` processes.

    Parameters
    ----------
    tasks : list of (str, str)
        ``(student, assignment)`` pairs.
    jobs : int
        Worker processes (at most one per student).
    root : path
        Passed to ``task``.
    progress : bool
        Draw the progress bar on stderr.
    task : callable
        ``task(student, assignment, root, worker=index) -> outcome`` (picklable); a
        module-level function or a ``functools.partial`` of one (it is sent to 'spawn'
        workers).
    before : callable, optional
        Run here while the workers start (they import nbgrader meanwhile); if it raises, the
        workers are stopped and the error propagates.
    on_result : callable, optional
        ``on_result(outcome) -> str`` in this process, for each outcome as it arrives (the
        returned status labels the progress bar); if it raises, the workers are stopped and
        the error propagates.
    """
    by_student: dict[str, list] = {}
    for sid, aid in tasks:
        by_student.setdefault(sid, []).append((sid, aid))
    units = sorted(by_student.values(), key=len, reverse=True)
    ctx = mp.get_context("spawn")
    todo, done = ctx.Queue(), ctx.Queue()
    n = min(jobs, len(units))
    workers = [ctx.Process(target=_worker, args=(i, todo, done, str(root), task), daemon=True)
               for i in range(n)]
    for w in workers:      # they import nbgrader while the pre-flight kernel runs here
        w.start()
    try:
        if before is not None:
            before()
    except BaseException:
        for _ in range(n):
            todo.put(None)
        for w in workers:
            w.join(10)
            if w.is_alive():
                w.kill()
        raise
    for u in units:
        todo.put(u)
    for _ in range(n):
        todo.put(None)
    bar = Progress(len(tasks), progress)
    finished = 0
    try:
        while finished < len(tasks):
            try:
                kind, sid, aid, outcome = done.get(timeout=1)
            except _queue.Empty:
                if not any(w.is_alive() for w in workers):
                    break
                continue
            finished += 1
            status = outcome
            if kind == "done":
                status = on_result(outcome) if on_result is not None else "done"
            bar.update(f"{sid}/{aid}: {status}")
    except BaseException:
        for w in workers:
            if w.is_alive():
                os.kill(w.pid, signal.SIGINT)
        for w in workers:
            w.join(10)
            if w.is_alive():
                w.kill()
        raise
    for w in workers:
        w.join(30)
        if w.is_alive():
            w.kill()

