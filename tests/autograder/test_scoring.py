"""autograder.scoring: signed verdicts decide; a grader fault is not the student's zero."""
from __future__ import annotations

import pytest

from autograder import scoring
from solutions_lib.grading.verdict import Verdict


def _verdict(name, passed, mistake=None, message="msg"):
    return Verdict(name, passed, mistake, message, 5)


@pytest.mark.parametrize("cell_score, verdicts, status, score", [
    (1.0, [("flip", True)], "graded", 1.0),              # honest pass
    (1.0, [], "flagged", 0.0),                           # passed without reaching the verifier
    (1.0, [("flip", False)], "flagged", 0.0),            # kernel hid a failing verdict
    (0.0, [("flip", False)], "graded", 0.0),             # honest failure, mistake recorded
    (0.0, [], "graded", 0.0),                            # e.g. NameError before check()
])
def test_apply_verdicts(cell_score, verdicts, status, score):
    qs = {"flip": dict(score=cell_score, max_score=1.0, status="graded", mistake=None,
                       message="kernel said"),
          "answer_flip": dict(score=0.0, max_score=1.0, status="pending", mistake=None,
                              message=None)}
    vs = [_verdict(n, p, mistake=None if p else "not_flipped",
                   message="ok" if p else "not flipped") for n, p in verdicts]
    scoring.apply_verdicts(qs, vs)
    assert qs["flip"]["status"] == status and qs["flip"]["score"] == score
    assert qs["answer_flip"]["status"] == "pending"
    if verdicts and not verdicts[0][1] and status == "graded":
        assert qs["flip"]["mistake"] == "not_flipped"
    if status == "flagged":
        assert "tampering" in qs["flip"]["message"]


def test_reference_failure_is_errored_not_zero():
    """A verifier that cannot import the reference must not look like the student's 0."""
    qs = {"flip": dict(score=0.0, max_score=1.0, status="graded", mistake=None, message=None)}
    msg = "flip: no valid results from the kernel (ModuleNotFoundError: No module named " \
          "'solutions_lib.convolution')"
    scoring.apply_verdicts(qs, [_verdict("flip", False, message=msg)])
    assert qs["flip"]["status"] == "errored" and "grader error" in qs["flip"]["message"]
