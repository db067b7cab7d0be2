"""Grading on a Dask cluster: ``python -m autograder grade ... --scheduler tcp://host:8786``.

The coordinator (the machine with the course folder and the gradebook) packs each task
(:func:`autograder.task.pack`: the submission, the release with its checksums, the course
settings) and submits it to the scheduler; a worker — a process started by ``dask worker
tcp://host:8786 --nworkers N --nthreads 1`` on any machine with this course installed (same
``solutions_lib``, bubblewrap, root) — grades it exactly as a local pool worker does
(:func:`autograder.grade.evaluate`: the jail, the verifier, the limits and the kernel restarts)
and returns the outcome as plain data. Only the coordinator writes (the ``on_result`` it
passes): the autograded notebooks, the gradebook, the result file.

- Before any task, every worker runs the pre-flight (:func:`autograder.kernel_run.preflight`)
  in a task of its own: a worker without a working jail stops the run with the reason.
- A worker that dies mid-task loses nothing: the scheduler gives its task to another worker
  (and ``retries`` covers a task that raised); the task key holds the student, the assignment
  and the digest of the task, and the coordinator writes an outcome once.
- At most ``window`` tasks are packed and in flight at once (the coordinator's memory does not
  grow with the class).
- Tasks that still failed (a task that killed its workers ``distributed.scheduler.allowed-
  failures`` times) are not recorded: :class:`ClusterTasksFailed` names them after the others
  are written; a re-run grades them again (resumable as the local pool).
"""
from __future__ import annotations

import os
import threading

from autograder import grade as _grade
from autograder import pool, task
from autograder.course import Course

__all__ = ["run_tasks", "ClusterTasksFailed", "remote_evaluate"]


class ClusterTasksFailed(RuntimeError):
    """Some tasks failed on every worker that tried them; the others were recorded."""


_READY: dict = {}
_READY_LOCK = threading.Lock()


def _prepare_worker(unsandboxed: bool) -> str:
    """Once per worker process: adopt orphans, install the kernel spec, run the pre-flight."""
    from autograder import sandbox
    from autograder.course import tools_on_path
    from autograder.kernel_run import preflight

    with _READY_LOCK:
        if unsandboxed not in _READY:
            tools_on_path()
            sandbox.become_subreaper()
            sandbox.install_kernel_spec()
            _READY[unsandboxed] = preflight(None, unsandboxed=unsandboxed)
        return _READY[unsandboxed]


def worker_preflight(unsandboxed: bool = False) -> dict:
    """The pre-flight of the worker process this runs in (a task pinned to one worker)."""
    import socket

    return {"host": socket.gethostname(), "pid": os.getpid(),
            "checker": _prepare_worker(unsandboxed)}


def remote_evaluate(spec: dict, template: bytes, unsandboxed: bool = False) -> dict:
    """A worker's job: one packed task graded in a private folder (nothing written back)."""
    _prepare_worker(unsandboxed)
    return _grade.evaluate(spec, template, unsandboxed=unsandboxed)


def connect(scheduler):
    """A ``distributed.Client`` for ``scheduler`` (an address or a client); is it ours?"""
    from distributed import Client

    if isinstance(scheduler, Client):
        return scheduler, False
    return Client(scheduler, timeout="30s"), True


def check_workers(client, unsandboxed: bool = False) -> list:
    """Run the pre-flight on every worker; ``PreflightError``-like failures propagate.

    Refuses workers with more than one thread: nbgrader's autograde is not thread-safe, so
    a worker grades one notebook at a time (``dask worker --nthreads 1 --nworkers N``).
    """
    from autograder.kernel_run import PreflightError

    workers = client.scheduler_info(n_workers=-1)["workers"] if _takes_n_workers(client) \
        else client.scheduler_info()["workers"]
    if not workers:
        raise PreflightError("pre-flight failed: the Dask scheduler has no worker")
    threaded = [a for a, w in workers.items() if w.get("nthreads", 1) != 1]
    if threaded:
        raise PreflightError(f"pre-flight failed: workers {threaded} run several threads; start "
                             "them with --nthreads 1 (one notebook at a time per process)")
    futs = [client.submit(worker_preflight, unsandboxed, workers=[a], allow_other_workers=False,
                          pure=False, key=f"nnmath-preflight-{a}") for a in workers]
    try:
        return client.gather(futs)
    except PreflightError:
        raise
    except Exception as exc:
        raise PreflightError(f"pre-flight failed on a Dask worker: {exc}") from None


def _takes_n_workers(client) -> bool:
    import inspect

    return "n_workers" in inspect.signature(client.scheduler_info).parameters


def run_tasks(scheduler, course: Course, tasks, templates: dict, on_result, progress: bool,
              unsandboxed: bool = False, retries: int = 2, window: int | None = None) -> None:
    """Grade ``tasks`` on the cluster; hand each outcome to ``on_result`` here.

    Parameters
    ----------
    scheduler : str or distributed.Client
        The scheduler's address, or a client (left open).
    course : Course
        The course the tasks are packed from.
    tasks : list of (str, str)
        ``(student, assignment)`` pairs.
    templates : dict
        assignment -> its gradebook template (:func:`autograder.gradebook.template`); sent
        once to every worker.
    on_result : callable
        ``on_result(outcome) -> status``, the coordinator's write; if it raises, the tasks
        in flight are cancelled and the error propagates.
    retries : int
        Extra attempts of a task that raised on a worker.
    window : int, optional
        Tasks in flight at once (default four per worker thread, at least 8).
    """
    from distributed import as_completed

    client, own = connect(scheduler)
    futures: dict = {}     # key -> (future, (student, assignment))
    try:
        check_workers(client, unsandboxed)
        threads = sum(client.nthreads().values()) or 1
        window = window or max(8, 4 * threads)
        shared = {aid: client.scatter(data, broadcast=True, hash=True)
                  for aid, data in templates.items()}
        todo = list(tasks)
        bar = pool.Progress(len(todo), progress)

        def submit(sid, aid):
            spec = task.pack(course, sid, aid)
            key = f"nnmath-grade-{aid}-{sid}-{spec['digest'][:16]}"
            fut = client.submit(remote_evaluate, spec, shared[aid], unsandboxed, key=key,
                                retries=retries, pure=False)
            futures[fut.key] = (fut, (sid, aid))
            return fut

        running = as_completed([submit(*todo.pop(0)) for _ in range(min(window, len(todo)))])
        failed = []
        for fut in running:
            sid, aid = futures[fut.key][1]
            try:
                outcome = fut.result()
            except Exception as exc:      # every attempt failed (workers killed, ...)
                failed.append(f"{sid}/{aid}: {type(exc).__name__}: {exc}")
                status = "not graded"
            else:
                status = on_result(outcome)
            del futures[fut.key]
            fut.release()
            bar.update(f"{sid}/{aid}: {status}")
            if todo:
                running.add(submit(*todo.pop(0)))
        if failed:
            raise ClusterTasksFailed(f"{len(failed)} task(s) failed on the cluster and were not "
                                     "recorded (re-run to grade them): " + "; ".join(failed[:5]))
    except BaseException:
        if futures:
            client.cancel([f for f, _ in futures.values()])
        raise
    finally:
        if own:
            client.close()
