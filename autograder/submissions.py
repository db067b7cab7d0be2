"""Builders of sample and hostile student submissions (used by ``demo`` and the tests).

Everything starts from a week's *release* notebook (what a student gets) and fills its
solution cells:

- :func:`reference_answers` — the source notebook's solution cells with the solution markers
  removed (the instructor's code, as a perfect student would hand it in);
- :func:`fill` — the release with some cells replaced;
- :func:`mistake_submissions` — one notebook per typical mistake listed by
  ``solutions_lib.grading.mistakes`` (the reference everywhere except one function,
  replaced by ``mistake_source(name, key)``);
- :data:`HOSTILE` / :func:`hostile_submission` — the bad and hostile cases of the issue.

Each builder returns a :class:`Sample`: a student id, the notebook text to submit (a
string, so that invalid JSON can be represented) and what the grader must conclude:
``expect`` maps a question to the set of acceptable statuses and ``full`` says whether the
other questions keep full marks. The student ids contain no underscore (LMS zip naming).
"""
from __future__ import annotations

import copy
import json
import re
from dataclasses import dataclass, field
from pathlib import Path

import nbformat

_MARKERS = re.compile(r"^[ \t]*#+[ \t]*(BEGIN|END) SOLUTION[^\n]*\n?", re.M)
_MD_MARKERS = re.compile(r"^[ \t]*=*[ \t]*(BEGIN|END) SOLUTION[^\n]*\n?", re.M)


@dataclass
class Sample:
    """One student's submission and the grader's expected verdict on it."""

    student: str
    text: str  # the notebook file's content
    kind: str  # "reference", "blank", "mistake", "hostile"
    expect: dict = field(default_factory=dict)  # question -> set of acceptable statuses
    mistake: tuple | None = None  # (name, key) for kind "mistake"
    note: str = ""
    zero: set = field(default_factory=set)  # questions that must score 0 (cheats)
    notebook_name: str | None = None  # file name if not the assignment's notebook


def _gid(cell):
    return cell.get("metadata", {}).get("nbgrader", {}).get("grade_id")


def reference_answers(source_nb: Path | str) -> dict[str, str]:
    """``grade_id -> source`` of every solution cell of the source notebook, markers removed."""
    nb = nbformat.read(str(source_nb), as_version=4)
    out = {}
    for cell in nb.cells:
        meta = cell.get("metadata", {}).get("nbgrader", {})
        if meta.get("solution"):
            pattern = _MARKERS if cell.cell_type == "code" else _MD_MARKERS
            out[meta["grade_id"]] = pattern.sub("", cell.source)
    return out


def graded_names(release_nb: Path | str) -> list[str]:
    """Names of the autograded questions (test cells ``test_<name>``), in notebook order."""
    nb = nbformat.read(str(release_nb), as_version=4)
    return [_gid(c)[len("test_"):] for c in nb.cells
            if (_gid(c) or "").startswith("test_")
            and c.metadata.get("nbgrader", {}).get("grade")]


def fill(release_nb: Path | str, answers: dict[str, str]) -> nbformat.NotebookNode:
    """The release notebook with the cells whose grade id is in ``answers`` replaced."""
    nb = nbformat.read(str(release_nb), as_version=4)
    for cell in nb.cells:
        if _gid(cell) in answers:
            cell.source = answers[_gid(cell)]
    return nb


def reference_submission(student, release_nb, source_nb) -> Sample:
    nb = fill(release_nb, reference_answers(source_nb))
    return Sample(student, nbformat.writes(nb), "reference",
                  expect={q: {"graded"} for q in graded_names(release_nb)},
                  note="reference solutions: full marks")


def blank_submission(student, release_nb) -> Sample:
    return Sample(student, Path(release_nb).read_text(), "blank",
                  expect={q: {"graded"} for q in graded_names(release_nb)},
                  note="the release as is: honest zeros")


def listed_mistakes(names) -> list[tuple[str, str]]:
    """``(name, key)`` of every typical mistake ``solutions_lib.grading.mistakes`` lists for
    the graded ``names`` (empty when that module is not available)."""
    try:
        from solutions_lib.grading import mistakes as m
    except ImportError:
        return []
    out = []
    for name in names:
        keys = []
        if hasattr(m, "mistake_keys"):
            keys = list(m.mistake_keys(name))
        else:
            for attr in ("MISTAKES", "CATALOG", "REGISTRY"):
                table = getattr(m, attr, None)
                if isinstance(table, dict) and name in table:
                    keys = [getattr(entry, "key", entry) for entry in table[name]]
                    break
        out += [(name, k) for k in keys]
    return out


def mistake_submissions(release_nb, source_nb, prefix: str = "mistake") -> list[Sample]:
    """One submission per listed typical mistake: reference code except the mistaken name."""
    from solutions_lib.grading import mistakes as m

    ref = reference_answers(source_nb)
    names = graded_names(release_nb)
    out = []
    for i, (name, key) in enumerate(listed_mistakes(names), 1):
        answers = dict(ref)
        answers[name] = m.mistake_source(name, key)
        nb = fill(release_nb, answers)
        out.append(Sample(f"{prefix}{i:02d}", nbformat.writes(nb), "mistake",
                          expect={q: {"graded"} for q in names}, mistake=(name, key),
                          note=f"typical mistake {key} in {name}"))
    return out


# --- hostile submissions ---------------------------------------------------------------
# Each entry: key -> (builder(nb, target, ref) -> notebook text, statuses of the target
# question, note). ``nb`` is the release filled with the reference answers, ``target`` the
# first autograded name, ``ref`` the reference answers. The other questions must keep
# their full marks unless the case makes the whole notebook ungradable (invalid JSON,
# another assignment): those list ``"*"`` as target.

def _set(nb, gid, source):
    for cell in nb.cells:
        if _gid(cell) == gid:
            cell.source = source
            return nb
    raise ValueError(f"no cell {gid!r}")


def _meta(nb, gid, **changes):
    for cell in nb.cells:
        if _gid(cell) == gid:
            cell.metadata["nbgrader"].update(changes)
    return nb


def _text(nb):
    return nbformat.writes(nb)


def _prepend(nb, gid, code):
    for cell in nb.cells:
        if _gid(cell) == gid:
            cell.source = code + "\n" + cell.source
    return nb


def _h_invalid_json(nb, t, ref):
    return _text(nb)[: len(_text(nb)) // 2]


def _h_other_assignment(nb, t, ref):
    other = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(
        "def something_else():\n    return 42\n",
        metadata={"nbgrader": {"grade_id": "something_else", "solution": True, "grade": False,
                               "locked": False, "schema_version": 3}})])
    return _text(other)


def _h_delete_test(nb, t, ref):
    nb.cells = [c for c in nb.cells if _gid(c) != f"test_{t}"]
    return _text(nb)


def _h_duplicate_test(nb, t, ref):
    i = next(i for i, c in enumerate(nb.cells) if _gid(c) == f"test_{t}")
    nb.cells.insert(i + 1, copy.deepcopy(nb.cells[i]))
    return _text(nb)


def _h_edit_test(nb, t, ref):
    return _text(_set(nb, f"test_{t}", "pass  # nothing to see here\n"))


def _h_points(nb, t, ref):
    return _text(_meta(nb, f"test_{t}", points=1000))


def _h_unlock(nb, t, ref):
    return _text(_meta(nb, f"test_{t}", locked=False, grade=False))


def _h_checksum(nb, t, ref):
    return _text(_meta(nb, f"test_{t}", checksum="0" * 32))


def _h_rename(nb, t, ref):
    return _text(_set(nb, t, re.sub(rf"\b{re.escape(t)}\b", f"my_{t}", ref[t])))


def _h_infinite_loop(nb, t, ref):
    return _text(_set(nb, t, ref[t] + "\nwhile True:\n    pass\n"))


def _h_sigint_loop(nb, t, ref):
    return _text(_set(nb, t, ref[t] + "\nimport signal\nsignal.signal(signal.SIGINT, signal.SIG_IGN)"
                      "\nwhile True:\n    pass\n"))


def _h_memory_bomb(nb, t, ref):
    # bounded (16 GB) so that a missing cap cannot take a 24 GiB machine down for good
    return _text(_set(nb, t, ref[t] + "\n_hog = []\nfor _ in range(20):\n"
                      "    _hog.append(bytearray(800 * 1024 * 1024))\n"))


def _h_fork_bomb(nb, t, ref):
    # bounded: at most 300 children that sleep, then exit
    return _text(_set(nb, t, ref[t] + "\nimport os, time\nfor _ in range(300):\n"
                      "    if os.fork() == 0:\n        time.sleep(20)\n        os._exit(0)\n"))


def _h_print_flood(nb, t, ref):
    return _text(_set(nb, t, ref[t] + "\nfor _i in range(10_000_000):\n    print(_i)\n"))


def _h_os_exit(nb, t, ref):
    return _text(_set(nb, t, ref[t] + "\nimport os\nos._exit(0)\n"))


def _h_sys_exit(nb, t, ref):
    return _text(_set(nb, t, ref[t] + "\nimport sys\nsys.exit(0)\n"))


def _h_raise_systemexit(nb, t, ref):
    return _text(_set(nb, t, ref[t] + "\nraise SystemExit(3)\n"))


def _h_sniff(nb, t, ref):
    code = ("import os as _os\nif 'NBGRADER_EXECUTION' in _os.environ:\n"
            "    import numpy as _np\n"
            "    _np.allclose = lambda *a, **k: True\n"
            "    _np.testing.assert_allclose = lambda *a, **k: None\n")
    return _text(_set(nb, t, code + ref[t].replace("return", "return 0 *", 1)))


def _h_import_reference(nb, t, ref):
    return _text(_set(nb, t, f"from solutions_lib import {t}\n"))


def _h_read_reference(nb, t, ref):
    code = ("import glob as _g, os as _os\n"
            "_src = ''\n"
            "for _p in _os.environ.get('PYTHONPATH', '').split(':') + ['..', '../..', '../../..']:\n"
            "    for _f in _g.glob(_os.path.join(_p, 'solutions_lib', '*.py')):\n"
            "        try:\n            _src += open(_f).read() + '\\n'\n"
            "        except OSError:\n            pass\n"
            "exec(compile(_src.replace('from .', 'from solutions_lib.'), 'x', 'exec'))\n")
    return _text(_set(nb, t, code))


def _h_patch_numpy(nb, t, ref):
    code = ("import numpy as _np\n_np.allclose = lambda *a, **k: True\n"
            "_np.array_equal = lambda *a, **k: True\n"
            "_np.testing.assert_allclose = lambda *a, **k: None\n"
            "_np.testing.assert_array_equal = lambda *a, **k: None\n")
    return _text(_set(nb, t, code + ref[t].replace("return", "return 0 *", 1)))


def _h_patch_checker(nb, t, ref):
    code = ("import sys as _sys, types as _types\n"
            "_fake = _types.ModuleType('solutions_lib.grading')\n"
            "_fake.check = lambda *a, **k: None\n"
            "_sys.modules['solutions_lib.grading'] = _fake\n"
            "import builtins as _b\n_real_import = _b.__import__\n"
            "def _imp(name, *a, **k):\n"
            "    if name.startswith('solutions_lib'):\n        return _fake\n"
            "    return _real_import(name, *a, **k)\n"
            "_b.__import__ = _imp\n")
    return _text(_set(nb, t, code + ref[t].replace("return", "return 0 *", 1)))


#: key -> (builder, acceptable statuses of the target question ("*" = whole notebook), note)
HOSTILE = {
    "invalidjson": (_h_invalid_json, {"*": {"errored"}}, "truncated, invalid JSON"),
    "otherassignment": (_h_other_assignment, {"*": {"errored", "flagged"}},
                        "a notebook of another assignment"),
    "deletedtest": (_h_delete_test, {"target": {"flagged", "errored"}}, "test cell deleted"),
    "duplicatedtest": (_h_duplicate_test, {"target": {"flagged", "errored"}},
                       "test cell duplicated"),
    "editedtest": (_h_edit_test, {"target": {"flagged"}}, "test cell edited to `pass`"),
    "points": (_h_points, {"target": {"flagged"}}, "points metadata changed to 1000"),
    "unlocked": (_h_unlock, {"target": {"flagged"}}, "test cell unlocked and ungraded"),
    "checksum": (_h_checksum, {"target": {"flagged"}}, "checksum metadata changed"),
    "renamed": (_h_rename, {"target": {"graded", "errored"}}, "graded function renamed"),
    "infiniteloop": (_h_infinite_loop, {"target": {"errored"}}, "infinite loop"),
    "sigintloop": (_h_sigint_loop, {"target": {"errored"}}, "loop ignoring SIGINT"),
    "memorybomb": (_h_memory_bomb, {"target": {"errored"}}, "allocates 16 GB"),
    "forkbomb": (_h_fork_bomb, {"target": {"errored", "graded", "flagged"}},
                 "forks 300 processes"),
    "printflood": (_h_print_flood, {"target": {"errored", "graded"}}, "prints 10 million lines"),
    "osexit": (_h_os_exit, {"target": {"errored", "flagged"}}, "os._exit kills the kernel"),
    "sysexit": (_h_sys_exit, {"target": {"errored", "graded", "flagged"}}, "sys.exit in a cell"),
    "systemexit": (_h_raise_systemexit, {"target": {"errored", "graded"}},
                   "raise SystemExit in a cell"),
    "sniffenv": (_h_sniff, {"target": {"flagged", "graded"}},
                 "patches numpy only when NBGRADER_EXECUTION is set"),
    "importref": (_h_import_reference, {"target": {"flagged"}}, "imports the reference"),
    "readref": (_h_read_reference, {"target": {"flagged", "errored", "graded"}},
                "reads the reference's source files"),
    "patchnumpy": (_h_patch_numpy, {"target": {"flagged", "graded"}},
                   "monkeypatches numpy's comparisons"),
    # the fake checker stays installed for every later test cell: all of them are flagged
    "patchchecker": (_h_patch_checker, {"*": {"flagged"}}, "replaces the checker"),
}

#: Hostile cases whose target question must score 0 whatever its status (the code there is
#: wrong, missing or borrowed from the reference, or the checker was bypassed).
ZERO_IF_GRADED = {"renamed", "sniffenv", "readref", "patchnumpy", "importref", "patchchecker"}

#: The hostile cases the demo grades (fast ones, one of each family).
DEMO_HOSTILE = ("invalidjson", "editedtest", "points", "infiniteloop", "osexit", "importref",
                "patchchecker", "patchnumpy")


def hostile_submission(key: str, release_nb, source_nb, student: str | None = None) -> Sample:
    """The hostile submission ``key`` of :data:`HOSTILE` for one week."""
    if key not in HOSTILE:
        raise ValueError(f"unknown hostile case {key!r}; known: {sorted(HOSTILE)}")
    builder, expect, note = HOSTILE[key]
    ref = reference_answers(source_nb)
    names = graded_names(release_nb)
    if not names:
        raise ValueError(f"{release_nb} has no autograded question")
    target = names[0]
    nb = fill(release_nb, ref)
    text = builder(nb, target, ref)
    if "*" in expect:
        exp = {q: expect["*"] for q in names}
    else:
        exp = {q: {"graded"} for q in names}
        exp[target] = expect["target"]
    return Sample(student or f"hostile{key}", text, "hostile", expect=exp, note=note,
                  zero={target} if key in ZERO_IF_GRADED else set())


def sample_class(release_nb, source_nb, hostile=DEMO_HOSTILE) -> list[Sample]:
    """The demo class of one week: reference, blank, one per listed mistake, hostile ones."""
    out = [reference_submission("reference", release_nb, source_nb),
           blank_submission("blank", release_nb)]
    out += mistake_submissions(release_nb, source_nb) if listed_mistakes(
        graded_names(release_nb)) else []
    out += [hostile_submission(k, release_nb, source_nb) for k in hostile]
    return out


def write_sample(sample: Sample, root, assignment: str) -> Path:
    """Put ``sample`` into ``<root>/submitted/<student>/<assignment>/`` (with a timestamp)."""
    import datetime as dt

    folder = Path(root) / "submitted" / sample.student / assignment
    folder.mkdir(parents=True, exist_ok=True)
    for old in folder.glob("*.ipynb"):
        old.unlink()
    path = folder / (sample.notebook_name or f"{assignment}.ipynb")
    path.write_text(sample.text, encoding="utf-8")
    (folder / "timestamp.txt").write_text(
        dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%d %H:%M:%S.%f UTC"))
    return path


def is_valid_json(text: str) -> bool:
    try:
        json.loads(text)
        return True
    except json.JSONDecodeError:
        return False
