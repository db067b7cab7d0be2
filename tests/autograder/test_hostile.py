"""Every bad and hostile submission of the issue, graded in one batch with honest ones.

Each case is :data:`autograder.submissions.HOSTILE` applied to the fixture week (target
question ``flip``; ``conv_output_size`` is the reference). The whole class is graded by one
``grade(..., jobs=2)`` call with short limits, then every student's result is checked:

- the target question has the expected status (and the reason is recorded);
- every other autograded question keeps its full score (only the affected question is lost),
  except for cases that make the whole notebook ungradable (invalid JSON, other assignment);
- the honest students graded in the same batch get exactly their expected scores.
"""
from __future__ import annotations

import json
import os
import shutil
import tempfile
from pathlib import Path

import pytest

import course_config as cc
from autograder import results as store
from autograder.submissions import HOSTILE, ZERO_IF_GRADED, hostile_submission, write_sample
from tests.autograder.conftest import CORRECT_ANSWERS

TARGET, OTHER = "flip", "conv_output_size"

#: Status the target question must get here (stricter than the builders' "acceptable" sets
#: where this grader decides; ``None`` = whole submission errored).
EXPECTED = {
    "invalidjson": None,
    "otherassignment": None,
    "deletedtest": "flagged",
    "duplicatedtest": "flagged",
    "editedtest": "flagged",
    "points": "flagged",
    "unlocked": "flagged",
    "checksum": "flagged",
    "renamed": "graded",
    "infiniteloop": "errored",
    "sigintloop": "errored",
    "memorybomb": {"errored", "graded"},
    "forkbomb": {"errored", "graded", "flagged"},   # the static scan may flag os._exit
    "printflood": {"errored", "graded"},
    "osexit": {"errored", "flagged"},
    "sysexit": {"errored", "graded", "flagged"},
    "systemexit": {"errored", "graded"},
    "sniffenv": "flagged",
    "importref": "flagged",
    "readref": "flagged",
    "patchnumpy": "flagged",
    "patchchecker": "flagged",
    # the kernel's surroundings: the jail leaves nothing to find (a wrong stand-in earns 0),
    # and a query for a name of another notebook is refused and flags the question
    "readclassmate": "graded",
    "listenkernel": {"graded", "errored"},   # errored: the port scan hit the cell time limit
    "foreignname": "flagged",
    "coursecopy": "graded",
    "importall": "graded",
}


@pytest.fixture(scope="module")
def graded_class(tmp_path_factory):
    """The fixture week with every hostile case + two honest students, graded once."""
    from autograder.grade import grade
    from autograder.release import generate
    from tests.autograder.conftest import make_fixture_course

    mp = pytest.MonkeyPatch()
    # short limits, read by the worker processes (they re-import course_config)
    mp.setenv("NNMATH_CELL_TIMEOUT_S", "6")
    mp.setenv("NNMATH_NOTEBOOK_TIMEOUT_S", "30")
    course = make_fixture_course(tmp_path_factory.mktemp("hostile") / "course")
    generate([course.assignment], root=course.root)
    # a second copy of the course outside any course root (an instructor's backup)
    backup = Path(tempfile.mkdtemp(prefix="nnmath-backup-"))
    shutil.copytree(cc.COURSE_ROOT / "solutions_lib", backup / "solutions_lib",
                    ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copytree(course.root / "source", backup / "source")
    for d in [backup, *backup.rglob("*")]:
        os.chmod(d, 0o755 if d.is_dir() else 0o644)
    for key in HOSTILE:
        sample = hostile_submission(key, course.release_nb, course.source_nb,
                                    student=f"h{key}")
        write_sample(sample, course.root, course.assignment)
    course.submit("honest", CORRECT_ANSWERS)
    course.submit("blank", {})
    try:
        results = grade([course.assignment], root=course.root, jobs=2, progress=False)
    finally:
        mp.undo()
        shutil.rmtree(backup, ignore_errors=True)
    yield course, {r["student"]: r for r in results}
    shutil.rmtree(course.root, ignore_errors=True)


def test_honest_students_unaffected(graded_class):
    course, res = graded_class
    assert res["honest"]["status"] == "graded", res["honest"]
    assert res["honest"]["questions"][TARGET]["score"] == 1.0
    assert res["honest"]["questions"][OTHER]["score"] == 2.0
    assert res["honest"]["questions"]["answer_flip"]["status"] == "pending"
    assert res["blank"]["status"] == "graded"
    assert store.totals(res["blank"])[0] == 0.0


@pytest.mark.parametrize("key", sorted(HOSTILE))
def test_hostile_case(graded_class, key):
    course, res = graded_class
    r = res.get(f"h{key}")
    assert r is not None, f"no result for h{key}: the batch lost a student"
    detail = json.dumps(r, indent=1)
    want = EXPECTED[key]
    if want is None:
        assert r["status"] == "errored", detail
        assert r["reason"], detail
        assert all(q["status"] == "errored" for n, q in r["questions"].items()
                   if n != "answer_flip"), detail
        assert store.totals(r)[0] == 0.0
        return
    q = r["questions"][TARGET]
    allowed = {want} if isinstance(want, str) else want
    assert q["status"] in allowed, detail
    if q["status"] != "graded":
        assert r["status"] in ("errored", "flagged") and r["reason"], detail
        assert q["message"], detail
    if q["status"] == "flagged":
        assert q["score"] == 0.0, detail     # suspected tampering earns nothing until reviewed
    if key in ZERO_IF_GRADED or key in ("renamed", "importref"):
        assert q["score"] == 0.0, detail
    if key == "patchchecker":
        # the fake checker stays installed for every later test cell: those are flagged too
        assert r["questions"][OTHER]["status"] == "flagged", detail
        assert r["questions"][OTHER]["score"] == 0.0, detail
        return
    # the other autograded question is untouched: full marks
    assert r["questions"][OTHER]["status"] == "graded", detail
    assert r["questions"][OTHER]["score"] == 2.0, detail


def test_metadata_tampering_is_repaired_not_rewarded(graded_class):
    """Changed points/locks are restored from the release: the max score stays the release's,
    and the question is flagged: 0 until an instructor reviews it (one rule for every flag)."""
    course, res = graded_class
    for key in ("points", "unlocked", "checksum", "editedtest", "deletedtest", "duplicatedtest"):
        q = res[f"h{key}"]["questions"][TARGET]
        assert q["max_score"] == 1.0
        assert q["status"] == "flagged" and q["score"] == 0.0, (key, q)


def test_foreign_name_query_is_refused_and_flags_its_question(graded_class):
    course, res = graded_class
    q = res["hforeignname"]["questions"][TARGET]
    assert q["status"] == "flagged" and q["score"] == 0.0
    assert "refused in this notebook" in q["message"], q


def test_submitted_files_left_untouched(graded_class):
    course, res = graded_class
    text = (course.root / "submitted" / "hinvalidjson" / course.assignment
            / f"{course.assignment}.ipynb").read_text()
    with pytest.raises(json.JSONDecodeError):
        json.loads(text)
