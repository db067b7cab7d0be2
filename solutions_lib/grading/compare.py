"""Comparison of a student's output with the reference's (runs in the verifier).

:func:`compare` walks both structures and returns ``None`` when they agree within
``course_config.RTOL``/``ATOL``, or a one-paragraph description of the first
disagreement: where (path inside a tuple/dict, entry index), expected vs got, max
absolute and relative error, wrong shape, wrong dtype kind or wrong type.
"""
from __future__ import annotations

import numbers

import numpy as np

import course_config
from checker.wire import Opaque


def _is_num(v):
    return isinstance(v, (numbers.Number, np.generic)) and not isinstance(v, (str, bytes))


def _kind(a: np.ndarray) -> str:
    k = a.dtype.kind
    return {"b": "bool", "i": "integer", "u": "integer", "f": "float", "c": "complex"}.get(k, str(a.dtype))


def short(value, limit: int = 160) -> str:
    """A short text of a value for messages."""
    if isinstance(value, np.ndarray):
        with np.printoptions(precision=6, suppress=False, threshold=20, edgeitems=2, linewidth=1000):
            text = np.array2string(value, separator=", ").replace("\n", "")
        text = " ".join(text.split())
    elif isinstance(value, (list, tuple)) and any(isinstance(v, np.ndarray) for v in value):
        inner = ", ".join(short(v, limit) for v in value)
        text = f"[{inner}]" if isinstance(value, list) else f"({inner})"
    else:
        text = " ".join(repr(value).split())
    return text if len(text) <= limit else text[: limit - 3] + "..."


def compare(expected, got, path: str = "", rtol: float | None = None, atol: float | None = None,
            equal_nan: bool = False) -> str | None:
    """``None`` if ``got`` matches ``expected``, else a description of the first difference."""
    rtol = course_config.RTOL if rtol is None else rtol
    atol = course_config.ATOL if atol is None else atol
    where = f" in {path}" if path else ""
    if isinstance(got, Opaque):
        return f"expected {type(expected).__name__}{where}, got an object of type {got.type_name} ({got.text})"
    if isinstance(expected, (tuple, list)):
        if not isinstance(got, (tuple, list)):
            return f"expected a {type(expected).__name__} of {len(expected)} values{where}, got {type(got).__name__} {short(got, 60)}"
        if len(got) != len(expected):
            return f"expected {len(expected)} values{where}, got {len(got)}"
        for i, (e, g) in enumerate(zip(expected, got)):
            msg = compare(e, g, f"{path}[{i}]", rtol, atol, equal_nan)
            if msg:
                return msg
        return None
    if isinstance(expected, dict):
        if not isinstance(got, dict):
            return f"expected a dict{where}, got {type(got).__name__}"
        missing = [k for k in expected if k not in got]
        if missing:
            return f"missing key(s) {missing}{where}"
        for k in expected:
            msg = compare(expected[k], got[k], f"{path}[{k!r}]", rtol, atol, equal_nan)
            if msg:
                return msg
        return None
    if expected is None or isinstance(expected, str):
        return None if got == expected else f"expected {expected!r}{where}, got {short(got, 60)}"
    if isinstance(expected, (bool, np.bool_)):
        if not isinstance(got, (bool, np.bool_)) or bool(got) != bool(expected):
            return f"expected {bool(expected)}{where}, got {short(got, 60)}"
        return None
    if isinstance(expected, (numbers.Integral, np.integer)):
        if isinstance(got, np.ndarray) and got.shape == () and got.dtype.kind in "iu":
            got = got.item()
        if not isinstance(got, (numbers.Integral, np.integer)) or isinstance(got, (bool, np.bool_)):
            return f"expected an integer{where} ({int(expected)}), got {type(got).__name__} {short(got, 60)}"
        return None if int(got) == int(expected) else f"expected {int(expected)}{where}, got {int(got)}"
    if _is_num(expected) and not isinstance(expected, np.ndarray):
        if isinstance(got, np.ndarray) and got.size == 1 and got.ndim <= 1:
            got = got.reshape(()).item() if got.dtype.kind in "biuf" else got
        if not _is_num(got) or isinstance(got, (bool, np.bool_)):
            return f"expected a number{where} ({float(expected):.8g}), got {type(got).__name__} {short(got, 60)}"
        e, g = float(expected), complex(got).real if isinstance(got, complex) else float(got)
        if np.isclose(g, e, rtol=rtol, atol=atol, equal_nan=equal_nan):
            return None
        return f"expected {e:.10g}{where}, got {g:.10g} (abs error {abs(g - e):.3g})"
    expected = np.asarray(expected)
    if not isinstance(got, np.ndarray):
        if _is_num(got) or isinstance(got, (list, tuple)):
            try:
                got = np.asarray(got)
            except Exception:
                return f"expected an array{where}, got {type(got).__name__}"
            if got.dtype.kind not in "biufc":
                return f"expected an array of numbers{where}, got {short(got, 60)}"
        else:
            return f"expected an array of shape {expected.shape}{where}, got {type(got).__name__} {short(got, 60)}"
    if got.shape != expected.shape:
        return f"wrong shape{where}: expected {expected.shape}, got {got.shape}"
    ek, gk = _kind(expected), _kind(got)
    if ek != gk:
        return f"wrong dtype kind{where}: expected {ek} ({expected.dtype}), got {gk} ({got.dtype})"
    if expected.size == 0:
        return None
    if ek in ("integer", "bool"):
        bad = got != expected
    else:
        with np.errstate(all="ignore"):
            bad = ~np.isclose(got, expected, rtol=rtol, atol=atol, equal_nan=equal_nan)
    if not bad.any():
        return None
    idx = tuple(int(i) for i in np.argwhere(bad)[0])
    e_val, g_val = expected[idx].item(), got[idx].item()
    with np.errstate(all="ignore"):
        diff = np.abs(got.astype(complex if gk == "complex" else float) - expected)
        finite = np.isfinite(diff)
        max_abs = float(diff[finite].max()) if finite.any() else float("nan")
        rel = diff / np.maximum(np.abs(expected), max(atol, 1e-300))
        fr = np.isfinite(rel)
        max_rel = float(rel[fr].max()) if fr.any() else float("nan")
    n_bad = int(bad.sum())
    msg = (f"wrong value{where} at index {idx}: expected {e_val!r}, got {g_val!r}; "
           f"{n_bad} of {expected.size} entries differ; max abs error {max_abs:.3g}, max rel error {max_rel:.3g}")
    if not np.isfinite(np.asarray(got, dtype=complex if gk == "complex" else float)).all():
        msg += "; your output contains NaN or inf"
    return msg


def same_outcome(a, b) -> bool:
    """Do two driver outcomes agree? (used to name mistakes)

    An outcome is ``("ok", value)`` or ``("raised", type_name, message)``; two raised
    outcomes agree whatever their types, two values agree within tolerance (NaN == NaN).
    """
    if a[0] != b[0]:
        return False
    if a[0] == "raised":
        return True
    return compare(a[1], b[1], equal_nan=True) is None
