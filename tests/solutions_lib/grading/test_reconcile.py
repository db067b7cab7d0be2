"""Reconciliation of nbgrader's cell results with the verifier's verdicts."""
from solutions_lib.grading import Verdict, reconcile


def V(name, passed, mistake=None):
    return Verdict(name, passed, mistake, f"{name}: {'ok' if passed else 'bad'}", 3)


def test_statuses():
    cells = {"a": True, "b": False, "c": True, "d": True, "e": True, "f": False}
    verdicts = [V("a", True), V("b", False), V("d", False), V("e", True), V("e", False, "reference_used"), V("f", True)]
    out = reconcile(cells, verdicts)
    assert out["a"].status == "passed"
    assert out["b"].status == "failed"
    assert out["c"].status == "flagged" and "no check" in out["c"].reason
    assert out["d"].status == "flagged" and "verdict failed" in out["d"].reason
    assert out["e"].status == "flagged" and "reference" in out["e"].reason
    assert out["f"].status == "failed"


def test_last_verdict_counts():
    out = reconcile({"a": True}, [V("a", False), V("a", True)])
    assert out["a"].status == "passed"


def test_probing_by_many_checks_is_flagged():
    out = reconcile({"a": True}, [V("a", False)] * 5 + [V("a", True)])
    assert out["a"].status == "flagged" and "queried 6 times" in out["a"].reason
