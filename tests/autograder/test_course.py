"""autograder.course: one rule for where the gradebook is, one place for the course's folders."""
from __future__ import annotations

from pathlib import Path

import course_config as cc
from autograder.course import Course, gradebook_url
from autograder.nbconfig import nbgrader_settings


def test_the_course_root_uses_course_config(monkeypatch):
    monkeypatch.delenv("NNMATH_GRADEBOOK_URL", raising=False)
    assert gradebook_url() == gradebook_url(cc.COURSE_ROOT) == cc.GRADEBOOK_URL


def test_another_root_gets_its_own_sqlite_file(monkeypatch, tmp_path):
    monkeypatch.delenv("NNMATH_GRADEBOOK_URL", raising=False)
    assert gradebook_url(tmp_path) == f"sqlite:///{tmp_path.resolve() / 'gradebook.db'}"


def test_the_environment_wins_for_every_root(monkeypatch, tmp_path):
    """Once, the grader built root/gradebook.db and ignored NNMATH_GRADEBOOK_URL."""
    url = "postgresql://grader@localhost/nnmath"
    monkeypatch.setenv("NNMATH_GRADEBOOK_URL", url)
    assert gradebook_url(tmp_path) == gradebook_url() == url
    assert Course.at(tmp_path).gradebook_url == url
    assert nbgrader_settings(root=tmp_path).CourseDirectory.db_url == url


def test_folders_and_students(monkeypatch, tmp_path):
    monkeypatch.delenv("NNMATH_GRADEBOOK_URL", raising=False)
    course = Course.at(tmp_path)
    assert course.folder("release") == Path(tmp_path).resolve() / "release"
    for student in ("bob", "alice", ".hidden"):
        (tmp_path / "submitted" / student / "w01_convolution").mkdir(parents=True)
    (tmp_path / "release" / "w01_convolution").mkdir(parents=True)
    (tmp_path / "release" / "w01_convolution" / "w01_convolution.ipynb").write_text("{}")
    assert course.students("w01_convolution") == ["alice", "bob"]
    assert [p.name for p in course.release_notebooks("w01_convolution")] == ["w01_convolution.ipynb"]
