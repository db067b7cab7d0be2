"""The catalogue: what the checker knows of every graded name, gathered from one module per week.

Each week has one module in :mod:`solutions_lib.grading.weeks` (``weeks/w01_convolution.py``),
and that module is the one place for the week's grading knowledge:

- the **hidden cases** of each graded name: a function of a seeded generator returning case
  dicts (:func:`case`, :func:`error`), registered with ``@week.cases("name", ...)``;
- the **typical mistakes**: real functions (or classes), one bug each, registered with
  ``@week.mistake("explanation")`` and named ``<graded name>__<mistake key>``
  (``def flip__only_first_axis(a): ...``). The visible test of the name's question must catch
  every mistake (``tests/notebooks/weekly.py`` checks it), unless the mistake is registered with
  ``stays_hidden="why"``: the reason the visible test must not catch it (catching it would hand
  out the answer, say) — the one place that fact and its reason are written;
- **one correct alternative** per graded name, written differently from the reference
  (loops where it vectorises, another formula), registered with ``@week.alternative`` under
  the graded name itself (``def flip(a): ...``).

Mistakes and alternatives are executable where they stand (the verifier calls them to name a
student's mistake; the tests call them) and are also handed out as *student code*:
:func:`source` turns one into a self-contained cell (``import numpy as np``, the module's
private helpers it uses, and the definition renamed to the graded name). So they may use
``np``, builtins, and module-level private helpers (functions or classes whose names start
with ``_``) and nothing else.

Who reads it: the verifier (cases, mistakes) — never the student's kernel —, the notebook
tests (mistakes and alternatives as submissions) and ``make main``'s sample class.
"""
from __future__ import annotations

import ast
import importlib
import inspect
import pkgutil
import re
import textwrap
import types
import zlib
from collections.abc import Callable
from typing import NamedTuple

import numpy as np

import course_config

# --------------------------------------------------------------------------------------
# building cases
# --------------------------------------------------------------------------------------


def case(desc: str, args, kwargs=None, driver: str = "call", expect_error: bool = False) -> dict:
    """One hidden-test case: ``desc`` is what a failing student reads about the input."""
    return {"desc": desc, "driver": driver, "args": list(args), "kwargs": dict(kwargs or {}),
            "expect_error": bool(expect_error)}


def error(desc: str, args, kwargs=None, driver: str = "call") -> dict:
    """A case whose input is bad: the graded name must raise ``ValueError``."""
    return case(desc, args, kwargs, driver, expect_error=True)


def shape_of(a) -> str:
    """``"2x3"`` for an array of shape (2, 3), ``"scalar"`` for a 0-d value."""
    return "x".join(str(s) for s in np.shape(a)) if np.ndim(a) else "scalar"


def rng_for(name: str) -> np.random.Generator:
    """The seeded generator of ``name``'s cases (``HIDDEN_TEST_SEED`` and ``crc32(name)``)."""
    return np.random.default_rng([course_config.HIDDEN_TEST_SEED, zlib.crc32(name.encode())])


# --------------------------------------------------------------------------------------
# a week's registrations
# --------------------------------------------------------------------------------------


class Mistake(NamedTuple):
    """One known mistake of a graded name: ``impl`` is the mistaken function or class."""

    key: str
    message: str
    impl: Callable
    #: ``None``: the visible test catches this mistake; else why only the hidden cases do
    stays_hidden: str | None = None

    @property
    def source(self) -> str:
        """The mistake as self-contained student code defining the graded name."""
        return source(self.impl, self.impl.__name__.split("__")[0])


class Week:
    """The registrations of one week's catalogue module."""

    def __init__(self, week_id: str):
        self.id = week_id
        self.makers: dict[str, Callable[[np.random.Generator], list]] = {}
        self.mistakes: dict[str, list[Mistake]] = {}
        self.alternatives: dict[str, Callable] = {}

    def cases(self, *names: str):
        """Register ``fn(rng) -> list of cases`` as the case maker of ``names``."""
        def register(fn):
            for name in names:
                if name in self.makers:
                    raise ValueError(f"{self.id}: cases of {name!r} registered twice")
                self.makers[name] = fn
            return fn
        return register

    def mistake(self, message: str, stays_hidden: str | None = None):
        """Register a function or class named ``<graded name>__<key>`` as a typical mistake.

        ``stays_hidden``: why the question's visible test must not catch this mistake (left
        ``None``, the visible test must catch it).
        """
        if stays_hidden is not None and not stays_hidden.strip():
            raise ValueError(f"{self.id}: stays_hidden needs the reason, not an empty text")

        def register(obj):
            name, sep, key = obj.__name__.partition("__")
            if not sep or not key:
                raise ValueError(f"{self.id}: a mistake is named <graded name>__<key>, not {obj.__name__!r}")
            if any(m.key == key for m in self.mistakes.get(name, [])):
                raise ValueError(f"{self.id}: mistake {key!r} of {name!r} registered twice")
            self.mistakes.setdefault(name, []).append(Mistake(key, message, obj, stays_hidden))
            return obj
        return register

    def alternative(self, obj):
        """Register ``obj`` (named as the graded name) as its correct alternative."""
        if obj.__name__ in self.alternatives:
            raise ValueError(f"{self.id}: two alternatives of {obj.__name__!r}")
        self.alternatives[obj.__name__] = obj
        return obj

    @property
    def names(self) -> list[str]:
        """The graded names this week's catalogue covers (those with cases)."""
        return sorted(self.makers)


# --------------------------------------------------------------------------------------
# student code from a catalogue entry
# --------------------------------------------------------------------------------------

def _code_names(code: types.CodeType) -> set[str]:
    names = set(code.co_names)
    for const in code.co_consts:
        if isinstance(const, types.CodeType):
            names |= _code_names(const)
    return names


def _globals_used(obj) -> set[str]:
    if inspect.isclass(obj):
        names = set()
        for value in vars(obj).values():
            fn = getattr(value, "__func__", value)
            if inspect.isfunction(fn):
                names |= _code_names(fn.__code__)
        for base in obj.__bases__:
            if base is not object:
                names.add(base.__name__)
        return names
    return _code_names(obj.__code__)


def _definition(obj, rename: str | None = None) -> str:
    text = textwrap.dedent(inspect.getsource(obj))
    first = ast.parse(text).body[0].lineno        # the def/class line, after any decorators
    text = "\n".join(text.splitlines()[first - 1:]) + "\n"
    if rename and rename != obj.__name__:
        text = re.sub(rf"\b{re.escape(obj.__name__)}\b", rename, text)
    return text


def _helpers(obj) -> list:
    """Module-level private helpers ``obj`` uses, directly or through other helpers, in order.

    Only names are looked at (an attribute named like a helper would count too: harmless,
    the helper is then merely included). Whether the result runs on its own is what
    ``tests/solutions_lib/grading/test_catalogue.py`` checks for every entry.
    """
    module = inspect.getmodule(obj)
    found: dict[str, object] = {}
    todo = [obj]
    while todo:
        for name in sorted(_globals_used(todo.pop())):
            value = getattr(module, name, None)
            if (name.startswith("_") and name not in found and value is not obj
                    and (inspect.isfunction(value) or inspect.isclass(value))
                    and value.__module__ == module.__name__):
                found[name] = value
                todo.append(value)
    return sorted(found.values(), key=lambda v: inspect.getsourcelines(v)[1])


def source(obj, name: str) -> str:
    """Self-contained student code (numpy only) defining ``name`` as ``obj`` does.

    Parameters
    ----------
    obj : function or class
        A catalogue mistake or alternative.
    name : str
        The graded name the code must define.
    """
    parts = ["import numpy as np\n"]
    parts += [_definition(h) for h in _helpers(obj)]
    parts.append(_definition(obj, rename=name))
    return "\n\n".join(parts)


# --------------------------------------------------------------------------------------
# the whole catalogue
# --------------------------------------------------------------------------------------

_WEEKS: dict[str, Week] = {}


def weeks() -> dict[str, Week]:
    """Every week's catalogue, by week id (the modules of :mod:`solutions_lib.grading.weeks`)."""
    if not _WEEKS:
        from solutions_lib.grading import weeks as package
        for info in sorted(pkgutil.iter_modules(package.__path__), key=lambda i: i.name):
            module = importlib.import_module(f"{package.__name__}.{info.name}")
            week = module.week
            if week.id != info.name:
                raise ValueError(f"weeks/{info.name}.py registers week {week.id!r}")
            _WEEKS[week.id] = week
    return _WEEKS


def week_of(name: str) -> Week:
    """The week whose catalogue holds ``name`` (``KeyError`` if none)."""
    for week in weeks().values():
        if name in week.makers:
            return week
    raise KeyError(f"no catalogue entry for {name!r}")


def graded_names() -> list[str]:
    """Every name the checker can grade."""
    return sorted(n for w in weeks().values() for n in w.makers)


def make_cases(name: str) -> list[dict]:
    """The seeded hidden-test cases of ``name`` (``KeyError`` for an unknown name)."""
    return week_of(name).makers[name](rng_for(name))


def mistakes(name: str) -> list[Mistake]:
    """The typical mistakes of ``name`` (empty if it has none)."""
    return list(week_of(name).mistakes.get(name, [])) if name in graded_names() else []


def mistake_source(name: str, key: str) -> str:
    """Student code defining ``name`` with the mistake ``key``; ``KeyError`` if unknown."""
    for m in mistakes(name):
        if m.key == key:
            return m.source
    raise KeyError(f"no mistake {key!r} for {name!r}")


def alternative(name: str):
    """The correct alternative of ``name`` (a function or class); ``KeyError`` if none."""
    return week_of(name).alternatives[name]


def alternative_source(name: str) -> str:
    """The correct alternative of ``name`` as self-contained student code."""
    return source(alternative(name), name)
