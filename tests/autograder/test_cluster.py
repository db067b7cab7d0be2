"""Grading on a real ``dask.distributed`` cluster (a ``LocalCluster`` of 2 worker processes).

The same class graded through the cluster into PostgreSQL and through the local pool on
SQLite gives the same results; a worker killed mid-task loses no student and duplicates none.
The jail runs inside the Dask workers exactly as in the pool (the pre-flight on every worker
refuses otherwise).
"""
from __future__ import annotations

import os
import shutil
import signal
import threading
import time

import pytest

from autograder import grade as G
from autograder import results as store
from autograder.course import Course
from tests.autograder.conftest import CORRECT_ANSWERS
from tests.autograder.pgserver import PgServer, require_binaries

distributed = pytest.importorskip("distributed")

WRONG_CONV = "def conv_output_size(n, f, p=0, s=1):\n    return n - f + 1\n"
WRONG_FLIP = "def flip(a):\n    return a\n"
VARIANTS = [CORRECT_ANSWERS, {}, {"flip": CORRECT_ANSWERS["flip"], "conv_output_size": WRONG_CONV},
            {"flip": WRONG_FLIP, "conv_output_size": CORRECT_ANSWERS["conv_output_size"]}]


def _class(course, n):
    students = [f"s{i:02d}" for i in range(n)]
    for i, s in enumerate(students):
        course.submit(s, VARIANTS[i % len(VARIANTS)])
    return students


def _comparable(results):
    """Everything of the results that must not depend on the engine."""
    return {(r["student"], r["assignment"]): (r["status"], r["reason"], {
        q: (v["score"], v["status"], v["mistake"], v["message"]) for q, v in r["questions"].items()})
        for r in results}


@pytest.fixture
def cluster():
    from distributed import Client, LocalCluster

    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                      dashboard_address=None, silence_logs=40) as lc, Client(lc) as client:
        yield client


def test_cluster_into_postgres_equals_pool_on_sqlite(course, tmp_path, monkeypatch):
    """One class, two set-ups: results, statuses, messages and gradebook scores agree."""
    from nbgrader.api import Gradebook

    from autograder.release import generate

    server = PgServer(require_binaries()).start()
    try:
        generate([course.assignment], root=course.root)            # SQLite twin first
        students = _class(course, 4)
        twin = tmp_path / "twin"
        shutil.copytree(course.root, twin)
        local = G.grade([course.assignment], root=course.root, jobs=2, progress=False)

        (twin / "gradebook.db").unlink()
        monkeypatch.setenv("NNMATH_GRADEBOOK_URL", server.url)       # before the workers start
        generate([course.assignment], root=twin)
        from distributed import Client, LocalCluster

        with LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                          dashboard_address=None, silence_logs=40) as lc, Client(lc) as client:
            remote = G.grade([course.assignment], root=twin, progress=False, scheduler=client)
        assert _comparable(local) == _comparable(remote)
        totals = [store.totals(r)[0] for r in remote]
        assert totals[1] == 0.0 and len(set(totals)) == 4      # four variants, four totals
        with Gradebook(f"sqlite:///{course.root / 'gradebook.db'}") as a, Gradebook(server.url) as b:
            sa = {s.student.id: s.score for s in a.assignment_submissions(course.assignment)}
            sb = {s.student.id: s.score for s in b.assignment_submissions(course.assignment)}
        assert sa == sb == dict(zip(students, totals))
        # the autograded notebooks came back to the coordinator's course folder
        for s in students:
            assert (twin / "autograded" / s / course.assignment / f"{course.assignment}.ipynb").is_file()
    finally:
        server.destroy()


def test_killed_worker_loses_no_student_and_duplicates_none(released_copy, cluster, monkeypatch):
    """SIGKILL a worker while it grades: its task runs again elsewhere, every student has
    one result, written once."""
    course = released_copy
    students = _class(course, 6)
    recorded = []
    real = G.Recorder.record

    def spy(self, outcome):
        recorded.append(outcome["result"]["student"])
        return real(self, outcome)

    monkeypatch.setattr(G.Recorder, "record", spy)
    killed = []

    def killer():
        deadline = time.monotonic() + 240
        while time.monotonic() < deadline and not recorded:
            time.sleep(0.1)
        while time.monotonic() < deadline:
            busy = [w for w, keys in cluster.processing().items()
                    if any(str(k).startswith("nnmath-grade-") for k in keys)]
            if busy:
                pids = cluster.run(os.getpid, workers=busy[:1])
                for pid in pids.values():
                    os.kill(pid, signal.SIGKILL)
                    killed.append(pid)
                return
            time.sleep(0.1)

    t = threading.Thread(target=killer, daemon=True)
    t.start()
    res = G.grade([course.assignment], root=course.root, progress=False, scheduler=cluster)
    t.join(10)
    assert killed, "no worker was killed mid-task"
    assert sorted(recorded) == students                 # each outcome written once
    assert sorted(r["student"] for r in res) == students
    assert {r["status"] for r in res} == {"graded"}, [(r["student"], r["reason"]) for r in res]
    by = {r["student"]: r["questions"] for r in res}
    assert by["s00"] == by["s04"] and by["s01"] == by["s05"]    # same answers, same grades
    assert len({store.totals(r)[0] for r in res}) == 4
    from nbgrader.api import Gradebook

    with Gradebook(Course.at(course.root).gradebook_url) as gb:
        subs = gb.assignment_submissions(course.assignment)
        assert sorted(s.student.id for s in subs) == students
