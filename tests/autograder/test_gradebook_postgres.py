"""The gradebook on a real PostgreSQL server: one writer, one coordinator, a server that dies.

Each test starts its own server (:mod:`tests.autograder.pgserver`: Debian's ``initdb`` /
``pg_ctl`` in a temporary folder, a Unix socket) and points the course at it with
``NNMATH_GRADEBOOK_URL``, the one setting every part of the grader reads.
"""
from __future__ import annotations

import os
import subprocess
import sys
import time

import pytest

from autograder import gradebook
from autograder import results as store
from autograder.course import Course
from tests.autograder.conftest import CORRECT_ANSWERS
from tests.autograder.pgserver import PgServer, require_binaries

WRONG_CONV = "def conv_output_size(n, f, p=0, s=1):\n    return n - f + 1\n"
VARIANTS = [CORRECT_ANSWERS, {}, {"flip": CORRECT_ANSWERS["flip"], "conv_output_size": WRONG_CONV}]


@pytest.fixture
def pg():
    server = PgServer(require_binaries()).start()
    try:
        yield server
    finally:
        server.destroy()


@pytest.fixture
def pg_course(pg, course, monkeypatch):
    """The fixture course released into a gradebook on ``pg``."""
    from autograder.release import generate

    monkeypatch.setenv("NNMATH_GRADEBOOK_URL", pg.url)
    generate([course.assignment], root=course.root)
    course.pg = pg
    return course


def _class(course, n):
    students = [f"s{i:02d}" for i in range(n)]
    for i, s in enumerate(students):
        course.submit(s, VARIANTS[i % len(VARIANTS)])
    return students


def _grader(course, *extra, env=None):
    return subprocess.Popen([sys.executable, "-m", "autograder", "grade", course.assignment,
                             "--root", str(course.root), "--jobs", "1", *extra],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            start_new_session=True, env={**os.environ, **(env or {})})


def _wait_results(course, n, proc, timeout=240):
    folder = store.grades_dir(course.root) / course.assignment
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and proc.poll() is None:
        if folder.is_dir() and len(list(folder.glob("*.json"))) >= n:
            return
        time.sleep(0.1)
    raise AssertionError(f"no {n} result(s) in time; grader exit {proc.poll()}")


def _gradebook_scores(url, aid):
    """student -> total auto score of every submission in the gradebook."""
    from nbgrader.api import Gradebook

    with Gradebook(url) as gb:
        return {s.student.id: s.score for s in gb.assignment_submissions(aid)}


def test_template_holds_the_hidden_tests_and_no_student(pg_course):
    """A grader's private gradebook: the assignment's cells (hidden tests in the source
    cells) copied from Postgres, no student."""
    import sqlite3
    import tempfile

    data = gradebook.template(pg_course.pg.url, pg_course.assignment)
    with tempfile.NamedTemporaryFile(suffix=".db") as f:
        f.write(data)
        f.flush()
        conn = sqlite3.connect(f.name)
        sources = " ".join(r[0] or "" for r in conn.execute("SELECT source FROM source_cell"))
        assert 'check("flip", flip)' in sources
        assert conn.execute("SELECT count(*) FROM student").fetchone() == (0,)
        assert conn.execute("SELECT count(*) FROM grade_cells").fetchone()[0] == 3
        conn.close()


def test_graders_do_not_write_and_the_coordinator_writes_once(pg_course, monkeypatch):
    """Graded into Postgres: the coordinator's one session writes every submission once;
    a repeated outcome (a task redone after its worker died) changes nothing."""
    from autograder import grade as G

    students = _class(pg_course, 3)
    recorded = []
    real = G.Recorder.record

    def spy(self, outcome):
        recorded.append(outcome["result"]["student"])
        status = real(self, outcome)
        real(self, outcome)          # delivered twice: written once
        return status

    monkeypatch.setattr(G.Recorder, "record", spy)
    res = G.grade([pg_course.assignment], root=pg_course.root, jobs=2, progress=False)
    assert sorted(recorded) == students
    totals = [store.totals(r)[0] for r in res]
    assert totals[1] == 0.0 and totals[0] > totals[2] > 0     # correct > half > blank
    scores = _gradebook_scores(pg_course.pg.url, pg_course.assignment)
    assert scores == dict(zip(students, totals))
    n = pg_course.pg.psql("SELECT count(*) FROM submitted_assignment")
    assert n == "3"
    # writing a record again keeps one row per grade
    before = pg_course.pg.psql("SELECT count(*) FROM grade")
    with gradebook.Writer(pg_course.pg.url) as w:
        w.write(pg_course.assignment, "s00", {"timestamp": None, "grades": {
            pg_course.assignment: {"test_flip": 1.0, "test_conv_output_size": 2.0}}, "comments": {}})
    assert pg_course.pg.psql("SELECT count(*) FROM grade") == before
    assert _gradebook_scores(pg_course.pg.url, pg_course.assignment)["s00"] == 3.0   # full marks


def test_second_coordinator_for_the_same_week_is_refused(pg_course):
    """Two graders started for the same week at once: the second says so and exits 1; the
    first grades everything."""
    students = _class(pg_course, 3)
    first = _grader(pg_course)
    _wait_results(pg_course, 1, first)          # the first holds the lock and is grading
    second = _grader(pg_course, "--force")
    out, err = second.communicate(timeout=120)
    assert second.returncode == 1, (out, err)
    assert "refused" in err and "being graded" in err and pg_course.assignment in err
    out, err = first.communicate(timeout=300)
    assert first.returncode == 0, err[-2000:]
    assert sorted(r["student"] for r in store.load_results(root=pg_course.root)) == students


def test_second_coordinator_on_sqlite_is_refused(released_copy):
    """The same rule on the embedded SQLite gradebook (a file lock next to it)."""
    url = Course.at(released_copy.root).gradebook_url
    released_copy.submit("alice", CORRECT_ANSWERS)
    with gradebook.coordinator_lock(url, [released_copy.assignment]):
        proc = _grader(released_copy)
        out, err = proc.communicate(timeout=120)
    assert proc.returncode == 1 and "being graded" in err, (out, err)
    assert store.load_results(root=released_copy.root) == []
    with gradebook.coordinator_lock(url, [released_copy.assignment]):
        pass     # released when its holder ends


def test_postgres_going_away_mid_run_is_clear_and_resumable(pg_course):
    """The server dies after the first results: the grader stops with a clear error, every
    result file has its gradebook rows, and a re-run after the restart grades the rest."""
    students = _class(pg_course, 5)
    proc = _grader(pg_course)
    _wait_results(pg_course, 1, proc)
    pg_course.pg.stop("immediate")
    out, err = proc.communicate(timeout=180)
    assert proc.returncode == 1, (out, err[-2000:])
    assert "stopped: the gradebook" in err and "could not be written" in err and "again" in err
    assert "Traceback" not in err
    done = {r["student"] for r in store.load_results(root=pg_course.root)}
    assert 1 <= len(done) < len(students)
    pg_course.pg.start()
    scores = _gradebook_scores(pg_course.pg.url, pg_course.assignment)
    for r in store.load_results(root=pg_course.root):     # no result without its rows
        assert scores.get(r["student"]) == store.totals(r)[0]
    again = _grader(pg_course)
    out, err = again.communicate(timeout=300)
    assert again.returncode == 0, err[-2000:]
    res = {r["student"]: r for r in store.load_results(root=pg_course.root)}
    assert sorted(res) == students
    scores = _gradebook_scores(pg_course.pg.url, pg_course.assignment)
    assert scores == {s: store.totals(res[s])[0] for s in students}
    assert res["s00"]["questions"] == res["s03"]["questions"]    # same answers, same grades
    assert res["s01"]["questions"] == res["s04"]["questions"]
    assert {r["status"] for r in res.values()} == {"graded"}
    assert pg_course.pg.psql("SELECT count(*) FROM submitted_assignment") == "5"
