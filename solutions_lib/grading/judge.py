"""The verdict on one name: reference vs student outcomes, and mistake naming (verifier only)."""
from __future__ import annotations

import numpy as np

from checker import drivers

from .catalogue import make_cases, mistakes
from .compare import compare, same_outcome, short
from .verdict import Verdict

#: at most this many failing cases are used to name a mistake
_MAX_FAILING = 4


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
    return ("; inputs: " + "; ".join(parts)) if parts else ""


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


def _desc(name, i, n, case):
    return f"{name}: case {i + 1} of {n} ({case['desc']})"


def judge(name: str, reference, student_results: list, flags: list) -> Verdict:
    """Compare the student's outcomes (one per case) with the reference's; name mistakes."""
    cases = make_cases(name)
    known = mistakes(name)
    n = len(cases)
    if flags:
        text = "; ".join(str(f) for f in flags)
        return Verdict(name, False, "reference_used",
                       f"{name}: flagged: {text}. Graded code must not use the course's reference library.", n)
    if len(student_results) != n:
        return Verdict(name, False, None, f"{name}: expected results for {n} cases, got {len(student_results)}", n)
    from .properties import PROPERTY_CHECKS

    failing = []
    first = None
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
                    first, named = f"{_desc(name, i, n, case)}: {why}", key
            continue
        ref = outcome(reference, case)
        if case["expect_error"] and not (ref[0] == "raised" and ref[3]):
            continue  # the reference accepts this input: not graded
        if ref[0] == "raised" and not case["expect_error"]:
            return Verdict(name, False, None, f"{_desc(name, i, n, case)}: internal error of the grader: the "
                           f"reference raised {ref[1]}: {ref[2]} (tell your instructor)", n)
        why = failure(case, ref, res)
        if why:
            failing.append(i)
            if first is None:
                first = f"{_desc(name, i, n, case)}: {why}{_inputs_text(case)}"
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
    message = f"{first}\n{len(failing)} of {n} cases fail."
    if mistake is not None:
        message += f"\nLikely mistake: {mistake.key}: {mistake.message}"
    return Verdict(name, False, mistake.key if mistake else None, message, n)


def _strip(o):
    return (o[0], o[1]) if o[0] == "ok" else ("raised", o[1])
