"""Static scan of a student's code for tampering signals (AST + regex, no execution)."""
from __future__ import annotations

import ast
import re

#: (regex on the raw text, signal) — matched anywhere, comments included
_PATTERNS = [
    (r"\bsolutions_lib\b", "mentions solutions_lib"),
    (r"\bsys\s*\.\s*modules\b", "uses sys.modules"),
    (r"\bimportlib\b", "uses importlib"),
    (r"\b__import__\b", "uses __import__"),
    (r"\b__builtins__\b", "uses __builtins__"),
    (r"NBGRADER_EXECUTION", "reads NBGRADER_EXECUTION"),
    (r"NNMATH_VERIFIER", "mentions NNMATH_VERIFIER"),
    (r"\bsys\s*\.\s*_getframe\b", "uses sys._getframe"),
    (r"\binspect\s*\.\s*(stack|currentframe|getouterframes)\b", "inspects the call stack"),
    (r"\bf_back\b", "walks frames (f_back)"),
    (r"\bos\s*\.\s*_exit\b", "calls os._exit"),
    (r"\bgc\s*\.\s*get_objects\b", "uses gc.get_objects"),
    (r"\bctypes\b", "uses ctypes"),
    (r"/proc/", "reads /proc/"),
    (r"\bsocket\b", "uses socket"),
]

_ASSIGN_TARGETS = re.compile(r"(^|\.)(allclose|isclose|array_equal|testing|assert_\w+)$")


def _dotted(node) -> str:
    parts = []
    while isinstance(node, ast.Attribute):
        parts.append(node.attr)
        node = node.value
    if isinstance(node, ast.Name):
        parts.append(node.id)
    return ".".join(reversed(parts))


def scan_source(code: str) -> list[str]:
    """Tampering signals in ``code`` (a student's code cells), sorted, without duplicates.

    Regex signals (``solutions_lib``, ``sys.modules``, ``importlib``, ``__import__``,
    ``NBGRADER_EXECUTION``, stack inspection, ``os._exit``, ``gc.get_objects``, ``ctypes``,
    ``/proc/``, ``socket``, ``NNMATH_VERIFIER``) plus AST signals: assignment to
    ``builtins``/``__builtins__`` attributes, to numpy's comparison functions
    (``np.allclose = ...``, ``np.testing.assert_allclose = ...``), ``setattr`` on them,
    and imports of ``builtins``. Code that does not parse is itself a signal.
    """
    signals = {sig for pat, sig in _PATTERNS if re.search(pat, code)}
    try:
        tree = ast.parse(code)
    except SyntaxError:
        signals.add("code does not parse (cannot scan it)")
        return sorted(signals)
    for node in ast.walk(tree):
        targets = []
        if isinstance(node, (ast.Assign, ast.AugAssign, ast.AnnAssign)):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
        elif isinstance(node, ast.Delete):
            targets = node.targets
        for t in targets:
            name = _dotted(t)
            subscripted = isinstance(t, ast.Subscript) and _dotted(t.value) in ("__builtins__", "builtins.__dict__")
            if name.startswith(("builtins.", "__builtins__")) or subscripted:
                signals.add("assigns to builtins")
            if isinstance(t, ast.Attribute) and _ASSIGN_TARGETS.search(name):
                signals.add(f"assigns to {name}")
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "setattr" and node.args:
            target = _dotted(node.args[0])
            if target in ("builtins", "__builtins__", "np", "numpy", "np.testing", "numpy.testing", "sys"):
                signals.add(f"setattr on {target}")
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            mods = [a.name for a in node.names] if isinstance(node, ast.Import) else [node.module or ""]
            for m in mods:
                if m.split(".")[0] == "builtins":
                    signals.add("imports builtins")
    return sorted(signals)
