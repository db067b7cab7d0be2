"""Builders of sample and hostile student submissions (used by ``demo`` and the tests).

Everything starts from a week's *release* notebook (what a student gets) and fills its
solution cells:

- :func:`reference_answers` — the source notebook's solution cells with the solution markers
  removed (the instructor's code, as a perfect student would hand it in);
- :func:`fill` — the release with some cells replaced;
- :func:`mistake_submissions` — one notebook per typical mistake listed by
  ``solutions_lib.grading.catalogue`` (the reference everywhere except one function,
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

from autograder import cells
from solutions_lib.grading import catalogue

_MARKERS = re.compile(r"^[ \t]*#+[ \t]*(BEGIN|END) SOLUTION[^\n]*\n?", re.M)
#: in markdown, nbgrader's markers are headings (``### BEGIN SOLUTION``) or bare/``===`` lines
_MD_MARKERS = re.compile(r"^[ \t]*(?:#+|=*)[ \t]*(BEGIN|END) SOLUTION[^\n]*\n?", re.M)


@dataclass
class Sample:
    """One student's submission and the grader's expected verdict on it."""

    student: str
    text: str  # the notebook file's content
    kind: str  # "reference", "blank", "mistake", "hostile"
    expect: dict = field(default_factory=dict)  # question -> set of acceptable statuses
    mistakes: dict = field(default_factory=dict)  # name -> planted mistake key, for kind "mistake"
    note: str = ""
    zero: set = field(default_factory=set)  # questions that must score 0 (cheats)
    notebook_name: str | None = None  # file name if not the assignment's notebook


def reference_answers(source_nb: Path | str) -> dict[str, str]:
    """``grade_id -> source`` of every solution cell of the source notebook, markers removed."""
    nb = nbformat.read(str(source_nb), as_version=4)
    out = {}
    for cell in nb.cells:
        meta = cells.nbgrader(cell)
        if meta.get("solution"):
            pattern = _MARKERS if cell.cell_type == "code" else _MD_MARKERS
            out[meta["grade_id"]] = pattern.sub("", cell.source)
    return out


def graded_names(release_nb: Path | str) -> list[str]:
    """Names of the autograded questions (test cells ``test_<name>``), in notebook order."""
    return cells.graded_names(nbformat.read(str(release_nb), as_version=4))


def fill(release_nb: Path | str, answers: dict[str, str]) -> nbformat.NotebookNode:
    """The release notebook with the cells whose grade id is in ``answers`` replaced."""
    nb = nbformat.read(str(release_nb), as_version=4)
    for cell in nb.cells:
        if cells.grade_id(cell) in answers:
            cell.source = answers[cells.grade_id(cell)]
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
    """``(name, key)`` of every typical mistake the catalogue lists for the graded ``names``."""
    return [(name, m.key) for name in names for m in catalogue.mistakes(name)]


def mistake_submissions(release_nb, source_nb, prefix: str = "mistakes") -> list[Sample]:
    """Submissions carrying every listed typical mistake, a few students for the whole catalogue.

    Student ``<prefix>N`` hands in the N-th catalogued mistake of every graded name that has one
    (the reference answer elsewhere), so each mistake is graded once and loses its own question
    only, in as many notebooks as the longest list of mistakes of one name.
    """
    ref = reference_answers(source_nb)
    names = graded_names(release_nb)
    keys = {name: [m.key for m in catalogue.mistakes(name)] for name in names}
    out = []
    for i in range(max((len(k) for k in keys.values()), default=0)):
        planted = {name: k[i] for name, k in keys.items() if i < len(k)}
        answers = dict(ref)
        answers.update({name: catalogue.mistake_source(name, key) for name, key in planted.items()})
        nb = fill(release_nb, answers)
        out.append(Sample(f"{prefix}{i + 1:02d}", nbformat.writes(nb), "mistake",
                          expect={q: {"graded"} for q in names}, mistakes=planted,
                          note="typical mistakes " + ", ".join(f"{k} in {n}" for n, k in planted.items())))
    return out


# --- hostile submissions ---------------------------------------------------------------
# Each entry: key -> (builder(nb, target, ref) -> notebook text, statuses of the target
# question, note). ``nb`` is the release filled with the reference answers, ``target`` the
# first autograded name, ``ref`` the reference answers. The other questions must keep
# their full marks unless the case makes the whole notebook ungradable (invalid JSON,
# another assignment): those list ``"*"`` as target.

def _set(nb, gid, source):
    for cell in nb.cells:
        if cells.grade_id(cell) == gid:
            cell.source = source
            return nb
    raise ValueError(f"no cell {gid!r}")


def _meta(nb, gid, **changes):
    for cell in nb.cells:
        if cells.grade_id(cell) == gid:
            cell.metadata["nbgrader"].update(changes)
    return nb


def _text(nb):
    return nbformat.writes(nb)


def _prepend(nb, gid, code):
    for cell in nb.cells:
        if cells.grade_id(cell) == gid:
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
    nb.cells = [c for c in nb.cells if cells.grade_id(c) != f"test_{t}"]
    return _text(nb)


def _h_duplicate_test(nb, t, ref):
    i = next(i for i, c in enumerate(nb.cells) if cells.grade_id(c) == f"test_{t}")
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
            "_fake = _types.ModuleType('checker')\n"
            "_fake.check = lambda *a, **k: None\n"
            "_sys.modules['checker'] = _fake\n"
            "import builtins as _b\n_real_import = _b.__import__\n"
            "def _imp(name, *a, **k):\n"
            "    if name.startswith('checker'):\n        return _fake\n"
            "    return _real_import(name, *a, **k)\n"
            "_b.__import__ = _imp\n")
    return _text(_set(nb, t, code + ref[t].replace("return", "return 0 *", 1)))


# --- attacks on the kernel's surroundings (the jail's tests) -------------------------------
# Each one looks for the correct answer somewhere the kernel should not see, and uses it;
# when nothing is found it defines a wrong stand-in (so the question earns 0). Names that
# the static scan knows are spelled in pieces: these samples test the jail, not the scan.
_FALLBACK = "if not _found:\n    def {t}(*_a, **_k):\n        return None\n"


def _hidden(code: str) -> str:
    """``code`` run through ``exec`` of its base64 text: the static scan sees none of it."""
    import base64

    blob = base64.b64encode(code.encode()).decode()
    return ("import base64 as _b64\n"
            f"exec(compile(_b64.b64decode({blob!r}).decode(), '<cell>', 'exec'), globals())\n")
_SAFE_SOURCE = ("\n    _ok = lambda s: not any(w in s for w in ('while', '_exit', 'fork', 'exit(', "
                "'signal', 'bytearray', 'print(', 'NotImplementedError', 'YOUR CODE'))\n")


def _h_read_classmate(nb, t, ref, ctx):
    """Read a classmate's notebook: graded, submitted, or the LMS zip, up the tree and absolute."""
    code = (
        "import glob as _g, json as _j, os as _o, zipfile as _z\n"
        f"_t, _me, _root = {t!r}, {ctx['student']!r}, {str(ctx['root'])!r}\n"
        "_found = None\n" + _SAFE_SOURCE.strip() + "\n"
        "def _try(_nb):\n"
        "    global _found\n"
        "    for _c in _nb.get('cells', []):\n"
        "        _s = ''.join(_c.get('source', ''))\n"
        "        if _c.get('metadata', {}).get('nbgrader', {}).get('grade_id') == _t and _ok(_s):\n"
        "            try:\n                exec(_s, globals()); _found = True; return\n"
        "            except Exception:\n                pass\n"
        "_ups = ['.'] + ['/'.join(['..'] * _k) for _k in range(1, 8)] + [_root]\n"
        "_cands = []\n"
        "for _u in _ups:\n"
        "    for _sub in ('autograded', 'submitted', 'feedback', '.grading/submitted'):\n"
        "        _cands += sorted(_g.glob(_o.path.join(_u, _sub, '*', '*', '*.ipynb')))\n"
        "_cands = sorted((_f for _f in _cands if f'/{_me}/' not in _o.path.abspath(_f)),\n"
        "                key=lambda _f: ('reference' not in _f and 'honest' not in _f, _f))\n"
        "for _f in _cands:\n"
        "    if _found:\n        break\n"
        "    try:\n        _try(_j.load(open(_f)))\n"
        "    except Exception:\n        pass\n"
        "for _u in _ups:\n"
        "    for _zf in sorted(_g.glob(_o.path.join(_u, 'downloaded', '*.zip'))):\n"
        "        try:\n"
        "            with _z.ZipFile(_zf) as _zz:\n"
        "                for _n in sorted(_zz.namelist(), key=lambda n: 'reference' not in n):\n"
        "                    if not _found and _n.endswith('.ipynb') and _me not in _n:\n"
        "                        _try(_j.loads(_zz.read(_n)))\n"
        "        except Exception:\n            pass\n"
        + _FALLBACK.format(t=t))
    return _text(_set(nb, t, code))


def _h_listen_kernel(nb, t, ref, ctx):
    """Listen to the other kernels: every TCP port of 127.0.0.1, every socket file found."""
    code = (
        "import json as _j, os as _o, stat as _st, time as _ti\n"
        "_so = __import__('sock' + 'et'); _zm = __import__('z' + 'mq')\n"
        f"_t = {t!r}\n_found = None\n"
        "try:\n"
        "    import ipykernel.connect as _ic\n"
        "    _own = _j.load(open(_ic.get_connection_file()))\n"
        "except Exception:\n    _own = {}\n"
        "_mine = {v for k, v in _own.items() if k.endswith('_port')}\n"
        "_prefix = str(_own.get('ip', '')) if _own.get('transport') == 'ipc' else None\n"
        "_eps = []\n"
        "for _p in range(1024, 65536):\n"
        "    if _p in _mine:\n        continue\n"
        "    _c = _so.socket(); _c.settimeout(0.01)\n"
        "    try:\n"
        "        if _c.connect_ex(('127.0.0.1', _p)) == 0 and _c.getsockname()[1] != _p:\n"
        "            _eps.append(f'tcp://127.0.0.1:{_p}')\n"
        "    except OSError:\n        pass\n"
        "    finally:\n        _c.close()\n"
        "for _top in ('/tmp', '/run', '/var/tmp', '/dev/shm', _o.path.expanduser('~')):\n"
        "    for _d, _ds, _fs in _o.walk(_top):\n"
        "        for _f in _fs:\n"
        "            _q = _o.path.join(_d, _f)\n"
        "            try:\n"
        "                if _st.S_ISSOCK(_o.stat(_q).st_mode) and not (_prefix and _q.startswith(_prefix)):\n"
        "                    _eps.append('ipc://' + _q)\n"
        "            except OSError:\n                pass\n"
        "_sub = _zm.Context.instance().socket(_zm.SUB)\n"
        "_sub.setsockopt(_zm.SUBSCRIBE, b''); _sub.setsockopt(_zm.LINGER, 0)\n"
        "for _e in _eps[:300]:\n"
        "    try:\n        _sub.connect(_e)\n"
        "    except Exception:\n        pass\n"
        "_t0 = _ti.time()\n"
        "while _ti.time() - _t0 < 1.5 and not _found:\n"
        "    if _sub.poll(100):\n"
        "        for _part in _sub.recv_multipart():\n"
        "            _x = _part.decode('utf-8', 'replace')\n"
        "            if f'def {_t}(' in _x and '\"code\"' in _x:\n"
        "                try:\n"
        "                    exec(_j.loads(_x)['code'], globals()); _found = True; break\n"
        "                except Exception:\n                    pass\n"
        "_sub.close()\n"
        + _FALLBACK.format(t=t))
    return _text(_set(nb, t, _hidden(code)))


def _h_foreign_name(nb, t, ref, ctx):
    """Query another week's names through the checker (a lookup table for later weeks)."""
    code = (
        "from checker import check as _chk\n_table = {}\n"
        f"for _n in {ctx['foreign']!r}:\n"
        "    try:\n        _chk(_n, lambda *a, **k: None)\n"
        "    except AssertionError as _e:\n        _table[_n] = str(_e)\n")
    return _text(_set(nb, t, code + ref[t]))


def _h_course_copy(nb, t, ref, ctx):
    """Import the reference from a second copy of the course outside the course root."""
    code = (
        "import glob as _g, importlib as _il, os as _o, sys as _sy\n"
        f"_t = {t!r}\n_found = None\n_pkg = 'solu' + 'tions_lib'\n"
        "for _pat in ('/tmp/*/', '/tmp/*/*/', '/opt/*/', '/srv/*/', '/home/*/', '/home/*/*/',\n"
        "             '/root/*/', '/root/*/*/', '/var/*/', '/mnt/*/', '/work/*/', '/backup*/'):\n"
        "    for _d in sorted(_g.glob(_pat + _pkg)):\n"
        "        if _found or not _o.path.isfile(_o.path.join(_d, '__init__.py')):\n"
        "            continue\n"
        "        _sy.path.insert(0, _o.path.dirname(_d))\n"
        "        try:\n"
        "            for _m in [m for m in list(_sy.modules) if m.split('.')[0] == _pkg]:\n"
        "                del _sy.modules[_m]\n"
        "            _f = getattr(_il.import_module(_pkg), _t)\n"
        "            _f.__module__ = '__main__'\n"
        "            globals()[_t] = _f; _found = _d\n"
        "        except Exception:\n            pass\n"
        "        finally:\n            _sy.path.pop(0)\n"
        + _FALLBACK.format(t=t))
    return _text(_set(nb, t, _hidden(code)))


def _h_import_all(nb, t, ref, ctx):
    """Import or exec everything that looks like the course's, found through the checker itself."""
    code = (
        "import glob as _g, importlib as _il, json as _j, os as _o, sys as _sy\n"
        f"_t = {t!r}\n_found = None\n_sl = 'solu' + 'tions_lib'\n"
        "_ck = __import__('check' + 'er')\n"
        "_places = [_o.path.dirname(_o.path.dirname(_ck.__file__)),\n"
        "           _o.path.dirname(_o.path.dirname(_ck.check.__code__.co_filename))] + list(_sy.path)\n"
        "for _n, _fm in list(_sy.modules.items()):\n"
        "    if 'editable' in _n:\n"
        "        _mp = getattr(_fm, 'MAPPING', {})\n"
        "        _places += [str(p) for p in _mp.values()] + [_o.path.dirname(str(p)) for p in _mp.values()]\n"
        "for _n in (_sl, 'sour' + 'ce', 'course_' + 'config', 'auto' + 'grader', 'nnmath', 'course_data'):\n"
        "    try:\n"
        "        _m = _il.import_module(_n)\n"
        "        if hasattr(_m, _t) and not _found:\n"
        "            _f = getattr(_m, _t); _f.__module__ = '__main__'; globals()[_t] = _f; _found = _n\n"
        "    except Exception:\n        pass\n"
        "for _p in _places:\n"
        "    for _f in sorted(_g.glob(_o.path.join(_p, _sl, '*.py')) + _g.glob(_o.path.join(_p, '*.py'))):\n"
        "        if _found:\n            break\n"
        "        try:\n            _src = open(_f).read()\n"
        "        except OSError:\n            continue\n"
        "        if f'def {_t}(' in _src or f'class {_t}' in _src:\n"
        "            _ns = {'__name__': '__main__'}\n"
        "            try:\n"
        "                exec(compile(_src.replace('from .', 'from ' + _sl + '.'), 'x', 'exec'), _ns)\n"
        "                globals()[_t] = _ns[_t]; _found = _f\n"
        "            except Exception:\n                pass\n"
        "    for _f in sorted(_g.glob(_o.path.join(_p, 'sour' + 'ce', '*', '*.ipynb'))):\n"
        "        if _found:\n            break\n"
        "        try:\n"
        "            for _c in _j.load(open(_f))['cells']:\n"
        "                if _c.get('metadata', {}).get('nbgrader', {}).get('grade_id') == _t:\n"
        "                    exec(''.join(_c['source']), globals()); _found = _f\n"
        "        except Exception:\n            pass\n"
        + _FALLBACK.format(t=t))
    return _text(_set(nb, t, _hidden(code)))


#: builders that need the context (the student, the course root, other weeks' names)
_WITH_CONTEXT = {_h_read_classmate, _h_listen_kernel, _h_foreign_name, _h_course_copy,
                 _h_import_all}


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
    # the kernel's surroundings (issue 9): nothing is found in the jail -> a wrong stand-in
    "readclassmate": (_h_read_classmate, {"target": {"graded"}},
                      "reads a classmate's graded or submitted notebook, or the LMS zip"),
    "listenkernel": (_h_listen_kernel, {"target": {"graded", "errored"}},   # errored: slow scan
                     "listens to the other kernels (TCP ports, socket files)"),
    "foreignname": (_h_foreign_name, {"target": {"flagged"}},
                    "queries another week's names through the checker"),
    "coursecopy": (_h_course_copy, {"target": {"graded"}},
                   "imports the reference from a copy of the course outside its root"),
    "importall": (_h_import_all, {"target": {"graded"}},
                  "imports or execs everything that looks like the course's"),
}

#: Hostile cases whose target question must score 0 whatever its status (the code there is
#: wrong, missing or borrowed from the reference, or the checker was bypassed).
ZERO_IF_GRADED = {"renamed", "sniffenv", "readref", "patchnumpy", "importref", "patchchecker",
                  "readclassmate", "listenkernel", "foreignname", "coursecopy", "importall"}

#: The hostile cases the demo grades (fast ones, one of each family).
DEMO_HOSTILE = ("invalidjson", "editedtest", "points", "infiniteloop", "osexit", "importref",
                "patchchecker", "patchnumpy", "readclassmate", "listenkernel", "foreignname",
                "coursecopy", "importall")


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
    if builder in _WITH_CONTEXT:
        others = sorted(set(catalogue.graded_names()) - set(names))
        ctx = {"student": student or f"hostile{key}", "root": Path(release_nb).resolve().parents[2],
               "foreign": others[:3]}
        text = builder(nb, target, ref, ctx)
    else:
        text = builder(nb, target, ref)
    if "*" in expect:
        exp = {q: expect["*"] for q in names}
    else:
        exp = {q: {"graded"} for q in names}
        exp[target] = expect["target"]
    return Sample(student or f"hostile{key}", text, "hostile", expect=exp, note=note,
                  zero={target} if key in ZERO_IF_GRADED else set())


def sample_class(release_nb, source_nb, hostile=DEMO_HOSTILE) -> list[Sample]:
    """The demo class of one week: reference, blank, the catalogued mistakes, hostile ones."""
    out = [reference_submission("reference", release_nb, source_nb),
           blank_submission("blank", release_nb)]
    out += mistake_submissions(release_nb, source_nb)
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
        dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M:%S.%f UTC"))
    return path


def is_valid_json(text: str) -> bool:
    try:
        json.loads(text)
        return True
    except json.JSONDecodeError:
        return False
