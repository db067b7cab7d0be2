"""End to end through a real nbgrader exchange in ``tmp_path``.

release_assignment -> students fetch_assignment -> fill in -> submit -> instructor collect
-> grade (``autograder.grade``: verifier + sandboxed kernels) -> feedback (sanitized) ->
release_feedback -> students fetch_feedback -> export, with the expected score of every
student. Three students on the one-notebook fixture assignment keep it fast.
"""
from __future__ import annotations

import nbformat
from traitlets.config import Config

from autograder import collect, export, feedback
from autograder.feedback import leaks
from autograder.release import generate, nbgrader_api
from tests.autograder.conftest import CORRECT_ANSWERS
from tests.autograder.conftest import FIXTURE_ASSIGNMENT as A

WRONG_SIZE = "def conv_output_size(n, f, p=0, s=1):\n    return (n + p - f) / s + 1\n"
STUDENTS = {
    # student -> (code answers, expected autograded scores)
    "alice": (CORRECT_ANSWERS, {"flip": 1.0, "conv_output_size": 2.0}),
    "bob": ({**CORRECT_ANSWERS, "conv_output_size": WRONG_SIZE},
            {"flip": 1.0, "conv_output_size": 0.0}),
    "carol": ({}, {"flip": 0.0, "conv_output_size": 0.0}),
}


def _student_config(home, student, exchange):
    c = Config()
    c.CourseDirectory.course_id = "nnmath"
    c.CourseDirectory.root = str(home)
    c.CourseDirectory.assignment_id = A
    c.CourseDirectory.student_id = student
    c.Exchange.root = str(exchange)
    c.Exchange.cache = str(home / ".nbgrader_cache")
    c.Exchange.assignment_dir = str(home)
    return c


def _student_run(cls_name, home, student, exchange):
    from nbgrader import exchange as ex
    from nbgrader.auth import Authenticator
    from nbgrader.coursedir import CourseDirectory

    c = _student_config(home, student, exchange)
    coursedir = CourseDirectory(config=c)
    app = getattr(ex.default, cls_name)(coursedir=coursedir,
                                        authenticator=Authenticator(config=c), config=c)
    return app.start()


def test_exchange_end_to_end(course, tmp_path):
    from autograder.grade import grade

    exchange = tmp_path / "exchange"
    exchange.mkdir()
    generate([A], root=course.root)
    api = nbgrader_api(course.root, **{"Exchange.root": str(exchange)})
    assert api.release_assignment(A)["success"]

    for student, (answers, _) in STUDENTS.items():
        home = tmp_path / "home" / student
        home.mkdir(parents=True)
        _student_run("ExchangeFetchAssignment", home, student, exchange)
        nb_path = home / A / f"{A}.ipynb"
        nb = nbformat.read(str(nb_path), as_version=4)
        for cell in nb.cells:
            gid = cell.metadata.get("nbgrader", {}).get("grade_id")
            if gid in answers:
                cell.source = answers[gid]
            if gid == "answer_flip":
                cell.source = f"{student}: flipping is its own inverse."
        nbformat.write(nb, str(nb_path))
        _student_run("ExchangeSubmit", home, student, exchange)

    done = collect.collect_exchange([A], root=course.root, exchange_root=exchange)
    assert done == {A: sorted(STUDENTS)}

    results = {r["student"]: r for r in grade([A], root=course.root, jobs=2)}
    assert sorted(results) == sorted(STUDENTS)
    for student, (_, expected) in STUDENTS.items():
        qs = results[student]["questions"]
        assert {q: qs[q]["score"] for q in expected} == expected, (student, qs)
        assert all(qs[q]["status"] == "graded" for q in expected), (student, qs)
        assert qs["answer_flip"]["status"] == "pending"
        assert results[student]["status"] == "graded"

    feedback.feedback([A], root=course.root, release=True, exchange_root=exchange)
    for student, (_, expected) in STUDENTS.items():
        home = tmp_path / "home" / student
        _student_run("ExchangeFetchFeedback", home, student, exchange)
        pages = list((home / A / "feedback").rglob("*.html"))
        assert len(pages) == 1, pages
        page = pages[0].read_text()
        assert leaks(page) == [] and "BEGIN HIDDEN" not in page and "solutions_lib" not in page
        assert f"{student}: flipping is its own inverse." in page
        total = sum(expected.values())
        assert f"{total:g} / 4" in page  # 3 autograded points + 1 pending written answer

    rows = export.read_csv(export.export([A], root=course.root))
    got = {(r["student"], r["question"]): (r["score"], r["status"]) for r in rows}
    for student, (_, expected) in STUDENTS.items():
        for q, score in expected.items():
            assert got[(student, q)] == (score, "graded")
        assert got[(student, "answer_flip")] == (0.0, "pending")
