"""One grading task as plain data: what a grader needs, and what it gives back.

A task (one student's one assignment) travels to a grader — a process of the local pool or a
Dask worker on another machine — as a dict of bytes (:func:`pack`): the student's submitted
files, the release folder of the assignment (its notebooks carry the checksums of the locked
cells), the non-notebook files of the source folder (nbgrader copies them next to the graded
notebook) and the course settings the grading depends on. The grader rebuilds a private
course folder from it (:func:`unpack`), grades there against its private gradebook, and
returns the autograded folder as bytes (:func:`read_folder`); only the coordinator writes
them into the course (:func:`write_folder`).

``digest`` (sha-256 of everything the grade depends on) keys the task: a task repeated after
a worker died is the same task, and its result is written once.
"""
from __future__ import annotations

import hashlib
import os
import shutil
import tempfile
from pathlib import Path

import course_config as cc
from autograder.course import Course

#: The settings of ``course_config`` a grade depends on; a grader whose installed course has
#: other values refuses the task (it would grade under other limits).
SETTINGS = ("COURSE_ID", "CELL_TIMEOUT_S", "NOTEBOOK_TIMEOUT_S", "KERNEL_MEMORY_MB",
            "KERNEL_MAX_PROCESSES")

#: Prefix of a grader's private course folders (``<prefix><pid>-...`` in the temporary folder).
PREFIX = "nnmath-task-"


def settings() -> dict:
    """The values of :data:`SETTINGS` in this installation."""
    return {k: getattr(cc, k, None) for k in SETTINGS}


def read_folder(folder: Path) -> dict:
    """``{relative path: bytes}`` of every file below ``folder`` (empty if it does not exist)."""
    folder = Path(folder)
    if not folder.is_dir():
        return {}
    return {str(p.relative_to(folder)): p.read_bytes()
            for p in sorted(folder.rglob("*")) if p.is_file()}


def write_folder(folder: Path, files: dict) -> None:
    """Replace ``folder`` by exactly ``files`` (``{relative path: bytes}``)."""
    folder = Path(folder)
    if folder.exists():
        shutil.rmtree(folder)
    folder.mkdir(parents=True)
    for rel, data in files.items():
        path = folder / rel
        if ".." in Path(rel).parts or Path(rel).is_absolute():
            raise ValueError(f"unsafe path in a task: {rel!r}")
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)


def pack(course: Course, student: str, assignment: str) -> dict:
    """The task of ``student``'s ``assignment`` in ``course``, as plain data.

    Returns
    -------
    dict
        ``student``, ``assignment``, ``submitted`` / ``release`` / ``source`` (``{path:
        bytes}``), ``settings`` (:func:`settings`) and ``digest`` (hex sha-256).
    """
    src = course.folder("source") / assignment
    spec = {
        "student": student,
        "assignment": assignment,
        "submitted": read_folder(course.folder("submitted") / student / assignment),
        "release": read_folder(course.folder("release") / assignment),
        "source": {k: v for k, v in read_folder(src).items() if not k.endswith(".ipynb")},
        "settings": settings(),
    }
    h = hashlib.sha256()
    for part in ("submitted", "release", "source"):
        for rel in sorted(spec[part]):
            h.update(f"{part}/{rel}\0".encode())
            h.update(spec[part][rel])
    h.update(repr(sorted(spec["settings"].items())).encode())
    spec["digest"] = h.hexdigest()
    return spec


def unpack(spec: dict, folder: Path, gradebook_url: str) -> Course:
    """Rebuild the task's course below ``folder`` (grading it uses ``gradebook_url``)."""
    mine = settings()
    if spec["settings"] != mine:
        diff = {k: (v, mine.get(k)) for k, v in spec["settings"].items() if mine.get(k) != v}
        raise RuntimeError(f"this grader's course settings differ from the coordinator's: {diff}")
    root = Path(folder)
    aid, sid = spec["assignment"], spec["student"]
    if spec["submitted"]:
        write_folder(root / "submitted" / sid / aid, spec["submitted"])
    write_folder(root / "release" / aid, spec["release"])
    if spec["source"]:
        write_folder(root / "source" / aid, spec["source"])
    return Course(root.resolve(), gradebook_url)


def new_folder() -> Path:
    """A fresh private course folder for one task (named after this process)."""
    return Path(tempfile.mkdtemp(prefix=f"{PREFIX}{os.getpid()}-"))


def sweep_stale() -> int:
    """Remove the private course folders of graders that no longer exist; how many."""
    n = 0
    for d in Path(tempfile.gettempdir()).glob(f"{PREFIX}*-*"):
        pid = d.name[len(PREFIX):].split("-", 1)[0]
        if pid.isdigit() and not Path(f"/proc/{pid}").exists():
            shutil.rmtree(d, ignore_errors=True)
            n += 1
    return n
