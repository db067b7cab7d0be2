"""Reconcile what nbgrader recorded with the verifier's signed verdicts (pure function)."""
from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import NamedTuple


class Reconciled(NamedTuple):
    """Final status of one graded name: ``"passed"``, ``"failed"`` or ``"flagged"``, and why."""

    status: str
    reason: str


#: more verifier queries than this for one name look like probing the expected values
MAX_CHECKS_PER_NAME = 3


def reconcile(cell_passed: Mapping[str, bool], verdicts: Iterable,
              max_checks: int = MAX_CHECKS_PER_NAME) -> dict[str, Reconciled]:
    """Decide each graded name from nbgrader's cell results and the verifier's verdicts.

    Parameters
    ----------
    cell_passed : mapping name -> bool
        Whether nbgrader scored the test cell ``test_<name>`` as passed.
    verdicts : iterable of Verdict
        The authenticated verdicts of :class:`VerifierProcess`, in order. The LAST verdict
        of a name counts (a notebook runs top to bottom once under autograde).

    Returns
    -------
    dict name -> Reconciled
        - cell passed and last verdict passed: ``passed``;
        - cell failed: ``failed`` (whatever the verifier said; a passing verdict with a
          failing cell means the cell failed for another reason, e.g. a visible assert);
        - cell passed but no verdict: ``flagged`` (the hidden check never reached the verifier);
        - cell passed but the verdict failed: ``flagged`` (the kernel hid a failure);
        - a flagged-by-verifier verdict (mistake ``reference_used``): ``flagged``;
        - more than ``max_checks`` verdicts for one name: ``flagged`` (a failing message
          shows one expected entry, so repeated queries could extract the answer).
    """
    last, count = {}, {}
    for v in verdicts:
        last[v.name] = v
        count[v.name] = count.get(v.name, 0) + 1
    out = {}
    for name, passed in cell_passed.items():
        v = last.get(name)
        if count.get(name, 0) > max_checks:
            out[name] = Reconciled("flagged", f"the verifier was queried {count[name]} times for this name "
                                              f"(at most {max_checks} expected)")
        elif v is not None and v.mistake == "reference_used":
            out[name] = Reconciled("flagged", "the reference library was used by the graded code")
        elif not passed:
            out[name] = Reconciled("failed", "the test cell failed" + ("" if v is None else f"; verifier: {v.message.splitlines()[0]}"))
        elif v is None:
            out[name] = Reconciled("flagged", "the test cell passed but the verifier received no check of this name")
        elif not v.passed:
            out[name] = Reconciled("flagged", f"the test cell passed but the verifier's verdict failed: {v.message.splitlines()[0]}")
        else:
            out[name] = Reconciled("passed", v.message.splitlines()[0])
    return out
