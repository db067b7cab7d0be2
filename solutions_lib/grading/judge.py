"""The verdict on one name: reference vs student outcomes, and mistake naming (verifier only).

A failure message reads first line first: ``<name>: case i of n fails: <what is wrong>`` in at most
:data:`FIRST_LINE` characters (nbgrader cuts long lines, and a calm validate shows only that
line); the case's description, the full comparison with its arrays, the inputs, the count of
failing cases and the likely mistake follow on their own lines.
"""
from __future__ import annotations

import numpy as np

from checker import drivers

from .catalogue import make_cases, mistakes
from .compare import compare, same_outcome, short
from .verdict import Verdict

#: at most this many failing cases are used to name a mistake
_MAX_FAILING = 4

#: the longest first line of a verdict's message
FIRST_LINE = 79


def first_line(text: str, limit: int = FIRST_LINE) -> str:
    """``text`` if it fits in ``limit`` characters, else cut at its last clause boundary
    (``"; "``, ``": "``, ``", "``, a space) that leaves at least half of it, and ``...`` added."""
    text = " ".join(text.split())
    if len(text) <= limit:
        return text
    cut = text[:limit - 3]
    for sep in ("; ", ": ", ", ", " "):
        k = cut.rfind(sep)
        if k >= limit // 2:
            return cut[:k].rstrip(":;, ") + "..."
    return cut + "..."


def _message(headline: str, *details: str) -> str:
    """A message: the headline shortened to one line, then the non-empty details, one a line."""
    return "\n".join([first_line(headline), *(d for d in details if d)])


def outcome(obj, case):
    """``("ok", output, args_after)`` or ``("raised", type name, message)`` of ``obj`` on ``case``."""
    import warnings
    try:
        with np.errstate(all="ignore"):
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                out, after = drivers.run(obj, case)
        return ("ok", out, after)
    except Exception as exc:  # a mistaken implementation may raise anything
        return ("raised", type(exc).__name__, str(exc)[:200], isinstance(exc, ValueError))


def _inputs_text(case) -> str:
    parts = []
    for i, a in enumerate(case["args"]):
        try:
            size = sum(np.size(v) for v in a) if isinstance(a, (list, tuple)) else np.size(a)
        except Exception:
            size = 99
        if size > 12:
            continue
        parts.append(f"arg {i + 1} = {short(a, 120)}")
    return ("inputs: " + "; ".join(parts)) if parts else ""


def failure(case, ref, student) -> str | None:
    """Why ``student`` (an outcome as sent by the kernel) fails on ``case``, or ``None``."""
    if case["expect_error"]:
        if student[0] == "raised" and student[3]:
            return None
        if student[0] == "raised":
            return f"expected ValueError for this bad input, but your code raised {student[1]}: {student[2]}"
        return f"expected ValueError for this bad input, but your code returned {short(student[1], 80)}"
    if ref[0] == "raised":
        return None  # the reference cannot run it: not graded (judge reports it as an internal error)
    if student[0] == "raised":
        return f"your code raised {student[1]}: {student[2]}"
    msg = compare(ref[1], student[1])
    if msg:
        return msg
    for i, (before, after) in enumerate(zip(case["args"], student[2])):
        if compare(before, after, rtol=0, atol=0, equal_nan=True) is not None:
            return (f"your code changed its input argument {i + 1} in place; "
                    "compute a new array instead of modifying the one you were given")
    return None


def _case(i, case):
    return f"case {i + 1}: {case['desc']}"


def judge(name: str, reference, student_results: list, flags: list) -> Verdict:
    """Compare the student's outcomes (one per case) with the reference's; name mistakes."""
    cases = make_cases(name)
    known = mistakes(name)
    n = len(cases)
    if flags:
        text = "; ".join(str(f) for f in flags)
        return Verdict(name, False, "reference_used",
                       _message(f"{name}: graded code must not use the course's reference library",
                                f"flagged: {text}"), n)
    if len(student_results) != n:
        return Verdict(name, False, None, _message(f"{name}: expected results for {n} cases, "
                                                   f"got {len(student_results)}"), n)
    from .properties import PROPERTY_CHECKS

    failing = []
    first = None      # (index of the first failing case, why, inputs text)
    named = None
    for i, (case, res) in enumerate(zip(cases, student_results)):
        prop = PROPERTY_CHECKS.get(case["driver"])
        if prop is not None and not case["expect_error"]:
            if res[0] == "raised":
                why, key = f"your code raised {res[1]}: {res[2]}", None
            else:
                got = prop(case, res[1])
                why, key = got if got else (None, None)
            if why:
                failing.append(i)
                if first is None:
                    first, named = (i, why, ""), key
            continue
        ref = outcome(reference, case)
        if case["expect_error"] and not (ref[0] == "raised" and ref[3]):
            continue  # the reference accepts this input: not graded
        if ref[0] == "raised" and not case["expect_error"]:
            return Verdict(name, False, None, _message(
                f"{name}: internal error of the grader (tell your instructor)", _case(i, case),
                f"the reference raised {ref[1]}: {ref[2]}"), n)
        why = failure(case, ref, res)
        if why:
            failing.append(i)
            if first is None:
                first = (i, why, _inputs_text(case))
    if first is None:
        return Verdict(name, True, None, f"{name}: {n} cases passed", n)
    mistake = None
    used = failing[:_MAX_FAILING]
    if named is not None:
        mistake = next((m for m in known if m.key == named), None)
    for m in ([] if mistake is not None or any(c["driver"] in PROPERTY_CHECKS for c in cases)
              else known):
        if all(same_outcome(_strip(outcome(m.impl, cases[i])), _strip(student_results[i])) for i in used):
            mistake = m
            break
    i, why, inputs = first
    headline = f"{name}: case {i + 1} of {n} fails: {why}"
    whole = first_line(headline) == " ".join(headline.split())
    message = _message(headline, _case(i, cases[i]), "" if whole else why, inputs,
                       f"{len(failing)} of {n} cases fail.",
                       mistake and f"Likely mistake: {mistake.key}: {mistake.message}")
    return Verdict(name, False, mistake.key if mistake else None, message, n)


def _strip(o):
    return (o[0], o[1]) if o[0] == "ok" else ("raised", o[1])
