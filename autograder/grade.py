"""Parallel, resumable autograding: one task = one (student, assignment).

:func:`grade` splits the work by student across ``jobs`` worker processes ('spawn'): a
worker takes a student's whole set of assignments at once, so no student is ever graded in
two processes. Each task:

1. **pre-validates** the submission against the release notebook (:func:`prevalidate`):
   invalid JSON or a notebook of another assignment -> ``errored`` (that task only); deleted,
   duplicated or edited locked cells and changed nbgrader metadata -> those questions
   ``flagged``, and the notebook is *repaired* (rebuilt from the release with the student's
   answer cells and extra cells), so nbgrader's "Inconsistent checksums" never aborts the
   student. The student's file in ``submitted/`` is not changed: nbgrader grades a repaired
   copy in ``<root>/.grading/submitted``.
2. starts the verifier (``solutions_lib.grading.VerifierProcess``) before the kernel and
   passes its environment on; runs nbgrader's ``autograde`` through its Python API
   (``NbGraderAPI``, config from :func:`autograder.nbconfig.nbgrader_settings`) in the
   sandbox kernel (:mod:`autograder.sandbox`), with the per-cell limit of nbgrader and a
   whole-notebook wall limit (``NOTEBOOK_TIMEOUT_S``) enforced by killing the kernel;
3. when the kernel died (``os._exit``, a limit, a kill) nbgrader removes the autograded
   folder: the cell that was running is known (an nbclient ``on_cell_start`` hook), so that
   cell is replaced by a stub that raises and the notebook is graded again — the questions
   that depended on it are ``errored`` with the reason (quoting the kernel's log, e.g. a
   crash's ``Fatal Python error``), the others keep their scores. A run that failed before
   any cell ran (a kernel that could not start, any other nbgrader failure) or while a
   locked cell of the release ran is repeated with a new kernel instead
   (:data:`MAX_KERNEL_RESTARTS`): that is not the student's doing;
4. reads the scores from the gradebook and the checker's messages from the autograded
   notebook, reconciles passing test cells with the signed verifier verdicts (passed
   without a passing verdict -> ``flagged``, score 0) and adds the static tampering scan;
5. writes the result atomically to the store (:mod:`autograder.results`).

Re-running grades only tasks without a result file (``force`` regrades). Ctrl-C stops the
workers; finished results are kept.
"""
from __future__ import annotations

import copy
import json
import multiprocessing as mp
import os
import queue as _queue
import shutil
import signal
import sys
import threading
import time
import traceback
from pathlib import Path

import nbformat

import course_config as cc
from autograder import results as store
from autograder import sandbox

#: Folder (under the course root) where nbgrader reads the repaired copies of submissions.
GRADING_DIR = ".grading"
#: How many times a notebook whose kernel died is re-graded without the fatal cell.
MAX_SALVAGE_ROUNDS = 3
#: How many times a run that failed outside the student's cells (before any cell ran, or in
#: a locked setup cell of the release) is repeated with a new kernel before
#: the task is ``errored``.
MAX_KERNEL_RESTARTS = 2
_STUB = ("raise RuntimeError('this cell was removed by the grader: {why}')\n")


class PreflightError(RuntimeError):
    """The grading kernel cannot import ``solutions_lib.grading``: grading would be wrong."""


# ======================================================================================
# public API
# ======================================================================================
def grade(assignments, students=None, jobs=None, root=None, progress=True, force=False):
    """Autograde submissions in parallel into the results store.

    Parameters
    ----------
    assignments : str or list of str
        Assignment ids.
    students : list of str, optional
        Only these students (default: every student with a submission, plus gradebook
        students without one, recorded as ``missing``).
    jobs : int, optional
        Worker processes (default ``os.cpu_count()``).
    root : path, optional
        Course root (default ``course_config.COURSE_ROOT``).
    progress : bool
        Progress bar with ETA on stderr.
    force : bool
        Regrade tasks that already have a result.

    Returns
    -------
    list of dict
        The result of every requested task (newly graded or already stored), in the store's
        format, sorted by assignment then student.
    """
    if isinstance(assignments, str):
        assignments = [assignments]
    root = Path(root if root is not None else cc.COURSE_ROOT).resolve()
    jobs = max(1, int(jobs or os.cpu_count() or 1))
    _ensure_path()
    tasks = []      # (student, assignment)
    for aid in assignments:
        if not _release_notebooks(root, aid):
            raise ValueError(f"assignment {aid!r} has no release notebook in {root / 'release'}")
        for sid in _students(root, aid, students):
            if force or store.read_result(aid, sid, root) is None:
                tasks.append((sid, aid))
    if tasks:
        _run_tasks(tasks, jobs, root, progress)
    out = []
    for aid in assignments:
        for sid in _students(root, aid, students):
            r = store.read_result(aid, sid, root)
            if r is not None:
                out.append(r)
    return out


def preflight(root=None) -> str:
    """Check that a kernel started exactly as for grading imports ``solutions_lib.grading``.

    Returns the file it imported; raises :class:`PreflightError` otherwise (without it every
    correct student would silently score 0).
    """
    from jupyter_client.manager import start_new_kernel

    _ensure_path()
    sandbox.install_kernel_spec()
    env_backup = dict(os.environ)
    os.environ[sandbox._ENV_UID] = str(sandbox.uid_block() + 99)
    scratch = sandbox.new_scratch()
    os.environ[sandbox._ENV_SCRATCH] = str(scratch)
    code = ("import solutions_lib.grading as g\nfrom solutions_lib.grading import check\n"
            "print('NNMATH-OK', g.__file__)")
    km = kc = None
    try:
        cwd = scratch / "cwd"
        cwd.mkdir(mode=0o755)
        os.chmod(cwd, 0o755)
        km, kc = start_new_kernel(kernel_name=sandbox.KERNEL_NAME, cwd=str(cwd),
                                  startup_timeout=60)
        out = []
        reply = kc.execute_interactive(code, timeout=60,
                                       output_hook=lambda m: out.append(m))
        text = "".join(m["content"].get("text", "") for m in out
                       if m["msg_type"] == "stream")
        errors = [f"{m['content']['ename']}: {m['content']['evalue']}" for m in out
                  if m["msg_type"] == "error"]
        if reply["content"]["status"] != "ok" or "NNMATH-OK" not in text:
            raise PreflightError(
                "pre-flight failed: the grading kernel cannot import solutions_lib.grading "
                f"({'; '.join(errors) or text.strip() or 'no output'}). Every student would "
                "score 0; fix the installation before grading.")
        return text.split("NNMATH-OK", 1)[1].strip()
    except PreflightError:
        raise
    except Exception as exc:   # kernel did not start, timeouts ...
        log = sandbox.kernel_log_tail(scratch)
        raise PreflightError(f"pre-flight failed: could not run the grading kernel: {exc!r}"
                             + (f" [kernel log: {log}]" if log else ""))
    finally:
        if kc is not None:
            kc.stop_channels()
        if km is not None:
            km.shutdown_kernel(now=True)
        os.environ.clear()
        os.environ.update(env_backup)
        sandbox.kill_sandbox(None, sandbox.uid_block() + 99)
        sandbox.remove_scratch(scratch)


# ======================================================================================
# discovery
# ======================================================================================
def _ensure_path() -> None:
    """This interpreter's bin/ first on PATH (nbgrader runs ``alembic`` from PATH)."""
    bindir = str(Path(sys.executable).parent)
    parts = os.environ.get("PATH", "").split(os.pathsep)
    if parts[:1] != [bindir]:
        os.environ["PATH"] = os.pathsep.join([bindir, *[p for p in parts if p != bindir]])
    root = str(cc.COURSE_ROOT)
    pp = [p for p in os.environ.get("PYTHONPATH", "").split(os.pathsep) if p]
    if root not in pp:
        os.environ["PYTHONPATH"] = os.pathsep.join([root, *pp])


def _release_notebooks(root: Path, aid: str) -> list[Path]:
    return sorted((root / "release" / aid).glob("*.ipynb"))


def _students(root: Path, aid: str, students) -> list[str]:
    if students:
        return sorted(set(students))
    found = {p.parent.name for p in (root / "submitted").glob(f"*/{aid}") if p.is_dir()}
    db = root / "gradebook.db"
    if db.is_file():
        try:
            from nbgrader.api import Gradebook

            with Gradebook(f"sqlite:///{db}") as gb:
                found |= {s.id for s in gb.students}
        except Exception:
            pass
    return sorted(s for s in found if s and not s.startswith("."))


# ======================================================================================
# notebook structure and pre-validation
# ======================================================================================
def _nbmeta(cell) -> dict:
    return dict(cell.get("metadata", {}).get("nbgrader", {}) or {})


def question_of(grade_id: str) -> str:
    """Question name of a cell: ``test_<name>`` -> ``<name>``; others their grade id."""
    return grade_id[5:] if grade_id.startswith("test_") else grade_id


def release_questions(release_nb) -> dict:
    """``{question: {"max_score", "manual", "grade_id"}}`` of the graded cells of a release."""
    qs = {}
    for cell in release_nb.cells:
        m = _nbmeta(cell)
        if m.get("grade"):
            q = question_of(m["grade_id"])
            qs[q] = {"max_score": float(m.get("points", 0)),
                     "manual": bool(m.get("solution")) or cell.cell_type == "markdown",
                     "grade_id": m["grade_id"]}
    return qs


_META_KEYS = ("grade", "solution", "locked", "points", "grade_id", "checksum", "cell_type")


def prevalidate(text: str, release_nb):
    """Check a submitted notebook against its release and repair it.

    Parameters
    ----------
    text : str
        The submitted file's content.
    release_nb : NotebookNode
        The release version (locked cells, metadata, checksums are taken from it).

    Returns
    -------
    (repaired, error, flags)
        ``repaired`` the notebook to grade (``None`` if it cannot be graded), ``error`` a
        reason that makes the whole task ``errored`` (or ``None``), ``flags`` a dict
        ``{question: reason}`` of tampered questions.
    """
    try:
        raw = json.loads(text)
        nb = nbformat.from_dict(raw)
        if not isinstance(nb.get("cells"), list):
            raise ValueError("no cells")
        if nb.get("nbformat", 4) < 4:
            raise ValueError("nbformat < 4")
        for cell in nb.cells:
            if isinstance(cell, dict) and isinstance(cell.get("source"), list):
                cell["source"] = "".join(cell["source"])
    except Exception as exc:
        return None, f"invalid notebook JSON ({type(exc).__name__})", {}
    rel_ids = [(_nbmeta(c).get("grade_id"), c) for c in release_nb.cells if _nbmeta(c).get("grade_id")]
    rel_by_id = dict(rel_ids)
    seen: dict[str, list] = {}
    for cell in nb.cells:
        if not isinstance(cell, dict):
            return None, "invalid notebook JSON (a cell is not an object)", {}
        gid = _nbmeta(cell).get("grade_id")
        if gid:
            seen.setdefault(gid, []).append(cell)
    common = [g for g in rel_by_id if g in seen]
    if len(common) < max(1, len(rel_by_id) // 2):
        foreign = sorted(g for g in seen if g not in rel_by_id)[:3]
        return None, ("notebook from another assignment (its graded cells "
                      f"{foreign or 'are missing'} do not match this assignment)"), {}
    flags: dict[str, str] = {}

    def flag(gid, why):
        q = question_of(gid)
        flags[q] = flags.get(q) + "; " + why if q in flags else why

    for gid, rcell in rel_ids:
        rm = _nbmeta(rcell)
        cells = seen.get(gid, [])
        if not cells:
            if rm.get("locked") or rm.get("grade"):
                flag(gid, f"cell {gid} deleted (restored from the release)")
            continue
        if len(cells) > 1:
            flag(gid, f"cell {gid} duplicated {len(cells)} times (one kept)")
        scell = cells[0]
        sm = _nbmeta(scell)
        changed = [k for k in _META_KEYS if k != "cell_type" and sm.get(k) != rm.get(k)]
        if scell.get("cell_type") != rcell.cell_type:
            changed.append("cell_type")
        if changed and (rm.get("locked") or rm.get("grade") or "checksum" in changed):
            flag(gid, f"nbgrader metadata of {gid} changed ({', '.join(changed)}; restored)")
        if (rm.get("locked") and not rm.get("solution")
                and str(scell.get("source", "")).strip() != rcell.source.strip()):
            flag(gid, f"locked cell {gid} edited (restored from the release)")
    return repair(nb, release_nb), None, flags


def repair(nb, release_nb):
    """The release notebook with the student's answers and extra cells, in order.

    Locked cells and every cell's nbgrader metadata come from the release; the student's
    solution cells keep their source (first copy); cells without nbgrader metadata that the
    student added stay after the graded cell they followed.
    """
    rel_by_id = {_nbmeta(c)["grade_id"]: c for c in release_nb.cells if _nbmeta(c).get("grade_id")}
    answers, extras, anchor = {}, {None: []}, None
    for cell in nb.cells:
        gid = _nbmeta(cell).get("grade_id")
        if gid in rel_by_id:
            answers.setdefault(gid, cell)
            anchor = gid
        elif not gid and cell.get("cell_type") in ("code", "markdown"):
            extras.setdefault(anchor, []).append(cell)
    out = copy.deepcopy(release_nb)
    cells = list(extras[None])
    for rcell in release_nb.cells:
        gid = _nbmeta(rcell).get("grade_id")
        new = copy.deepcopy(rcell)
        if gid and _nbmeta(rcell).get("solution") and gid in answers:
            src = answers[gid].get("source", "")
            new.source = "".join(src) if isinstance(src, list) else str(src)
        cells.append(new)
        if gid:
            cells.extend(extras.get(gid, []))
    clean = []
    for cell in cells:
        c = copy.deepcopy(cell)
        src = c.get("source", "")
        c["source"] = "".join(src) if isinstance(src, list) else str(src)
        if c.get("cell_type") == "code":
            c["outputs"], c["execution_count"] = [], None
        c.pop("attachments", None) if c.get("cell_type") == "code" else None
        clean.append(nbformat.from_dict(c))
    out.cells = clean
    for i, c in enumerate(out.cells):
        c["id"] = f"nnmath-{i}"
    return out


# ======================================================================================
# one task
# ======================================================================================
_RUNNING = {"cell": None, "history": []}   # set by the nbclient hook: cells as they start


def _on_cell_start(cell=None, cell_index=None, **_):
    _RUNNING["cell"] = (cell_index, cell.get("id") if cell is not None else None,
                        _nbmeta(cell).get("grade_id") if cell is not None else None)
    _RUNNING["history"].append((time.monotonic(), _RUNNING["cell"]))


def _slow_cell():
    """The first cell that ran for at least the cell time limit (None if none)."""
    hist = _RUNNING["history"]
    for k, (t, cell) in enumerate(hist):
        end = hist[k + 1][0] if k + 1 < len(hist) else time.monotonic()
        if end - t >= cc.CELL_TIMEOUT_S * 0.9:
            return cell
    return None


def _verifier():
    """``solutions_lib.grading.VerifierProcess`` (None if the checker predates it)."""
    try:
        from solutions_lib.grading import VerifierProcess  # type: ignore
        return VerifierProcess
    except ImportError:
        try:
            from solutions_lib.grading.verifier import VerifierProcess  # type: ignore
            return VerifierProcess
        except ImportError:
            return None


#: Used only when ``solutions_lib.grading.scan_source`` is unavailable: the loudest signals.
_FALLBACK_SIGNALS = {
    "mentions solutions_lib": r"solutions_lib",
    "reads NBGRADER_EXECUTION": r"NBGRADER_EXECUTION",
    "touches sys.modules": r"sys\.modules",
    "replaces builtins": r"__builtins__|\bbuiltins\b",
    "patches numpy's comparisons": r"(allclose|array_equal|testing\.\w+)\s*=[^=]",
    "calls os._exit": r"os\._exit",
    "talks to the verifier": r"NNMATH_VERIFIER",
}


def _scan(code: str) -> list:
    try:
        from solutions_lib.grading import scan_source  # type: ignore
    except ImportError:
        import re

        return [name for name, rx in _FALLBACK_SIGNALS.items() if re.search(rx, code)]
    try:
        return list(scan_source(code))
    except Exception as exc:   # a syntax error etc.: no signal, not a crash
        return [] if isinstance(exc, SyntaxError) else [f"scan failed: {exc}"]


def _missing_result(student, aid, qs, reason, status="missing"):
    questions = {q: store.question(0.0, v["max_score"], status="missing" if status == "missing"
                                   else "errored", message=reason) for q, v in qs.items()}
    return store.new_result(student, aid, status, reason=reason, questions=questions)


def grade_task(student: str, aid: str, root, worker: int = 0) -> dict:
    """Grade one student's one assignment and write its result; never raises for the student."""
    root = Path(root).resolve()
    t0 = time.monotonic()
    rel_paths = _release_notebooks(root, aid)
    release = {p.stem: nbformat.read(str(p), as_version=4) for p in rel_paths}
    qs = {}
    for nb in release.values():
        qs.update(release_questions(nb))
    sub_dir = root / "submitted" / student / aid
    try:
        if not sub_dir.is_dir() or not any(sub_dir.glob("*.ipynb")):
            result = _missing_result(student, aid, qs, "no submission")
        else:
            result = _grade_submission(student, aid, root, release, qs, worker)
    except Exception as exc:   # a grader bug must cost this task only, with the reason
        tb = traceback.format_exc(limit=3)
        result = _missing_result(student, aid, qs, f"grader error: {exc!r}", status="errored")
        result["reason"] = f"grader error: {exc!r} | {tb.splitlines()[-1]}"
    result["seconds"] = round(time.monotonic() - t0, 3)
    if _STOP.is_set():
        # Ctrl-C arrived while grading (nbgrader swallows KeyboardInterrupt): this result may
        # be an artefact of the interruption, so it is not stored; a re-run grades it again.
        raise KeyboardInterrupt
    store.write_result(result, root)
    return result


def _grade_submission(student, aid, root, release, qs, worker):
    sub_dir = root / "submitted" / student / aid
    stage = root / GRADING_DIR / "submitted" / student / aid
    if stage.exists():
        shutil.rmtree(stage)
    stage.mkdir(parents=True)
    for f in sub_dir.iterdir():
        if f.is_file() and f.suffix != ".ipynb":
            shutil.copy2(f, stage / f.name)
    flags, errors, scan_flags, sub_flags = {}, [], {}, []
    repaired = {}
    for name, rel in release.items():
        path = sub_dir / f"{name}.ipynb"
        if not path.is_file():
            cands = sorted(sub_dir.glob("*.ipynb"))
            path = cands[0] if len(release) == 1 and len(cands) == 1 else None
        if path is None:
            errors.append(f"{name}.ipynb not submitted")
            continue
        text = path.read_text(encoding="utf-8", errors="replace")
        nb, err, fl = prevalidate(text, rel)
        if err:
            errors.append(err)
            continue
        flags.update(fl)
        repaired[name] = nb
        for cell in nb.cells:
            if cell.cell_type != "code":
                continue
            m = _nbmeta(cell)
            if m.get("locked") and not m.get("solution"):
                continue
            sig = _scan(cell.source)
            if sig:
                if m.get("solution") and m.get("grade_id") in qs:
                    scan_flags[m["grade_id"]] = sig
                elif m.get("solution"):
                    scan_flags[m["grade_id"]] = sig
                else:
                    sub_flags.extend(sig)
        nbformat.write(nb, str(stage / f"{name}.ipynb"))
    if not repaired:
        return _missing_result(student, aid, qs, "; ".join(errors), status="errored")

    stubbed: dict[str, str] = {}     # question -> why its cell was replaced
    outcome = None
    restarts = 0
    for _round in range(MAX_SALVAGE_ROUNDS + MAX_KERNEL_RESTARTS + 1):
        outcome = _run_nbgrader(student, aid, root, worker)
        if outcome["success"]:
            break
        culprit = outcome.get("culprit")
        why = outcome["why"]
        if _round - restarts >= MAX_SALVAGE_ROUNDS:
            break
        if _not_the_students_cell(outcome, repaired) and restarts < MAX_KERNEL_RESTARTS:
            restarts += 1       # the grading kernel failed outside the student's cells: again
            continue
        if culprit is None:
            break
        hit = _stub_culprit(repaired, culprit, why)
        if hit is None:
            break
        stubbed[hit] = why
        for name, nb in repaired.items():
            nbformat.write(nb, str(stage / f"{name}.ipynb"))

    verdicts = outcome.get("verdicts")
    if not outcome["success"]:
        reason = outcome["why"]
        res = _missing_result(student, aid, qs, reason, status="errored")
        for q, why in flags.items():
            if q in res["questions"]:
                res["questions"][q]["status"] = "flagged"
                res["questions"][q]["message"] = why
        return res
    questions = _read_scores(student, aid, root, qs)
    _add_messages(questions, root / "autograded" / student / aid)
    if verdicts is not None:
        _apply_verdicts(questions, verdicts)
    for q, why in stubbed.items():
        for qq in ([q] if q in questions else []):
            questions[qq].update(status="errored", score=0.0,
                                 message=f"{why}; the cell was removed and the rest graded")
    # questions whose test cell had no own culprit but depended on a removed helper cell:
    for q, why in flags.items():
        if q in questions:
            questions[q]["status"] = "flagged"
            questions[q]["message"] = why + (f" | {questions[q]['message']}"
                                             if questions[q].get("message") else "")
    for gid, sig in scan_flags.items():
        q = question_of(gid)
        if q in questions:
            questions[q].update(status="flagged", score=0.0,
                                message=f"suspected tampering: {', '.join(sig)}")
    status, reason = "graded", None
    flagged = [q for q, v in questions.items() if v["status"] == "flagged"]
    errored = [q for q, v in questions.items() if v["status"] == "errored"]
    if outcome.get("forged"):
        sub_flags.append(f"{len(outcome['forged'])} forged or unsigned verifier line(s)")
    if sub_flags:
        status, reason = "flagged", "suspected tampering outside answer cells: " + ", ".join(
            sorted(set(sub_flags)))
    elif flagged:
        status, reason = "flagged", "; ".join(f"{q}: {questions[q]['message']}" for q in flagged)
    elif errored or errors:
        status = "errored"
        reason = "; ".join(errors + [f"{q}: {questions[q]['message']}" for q in errored])
    for q in qs:
        if q not in questions:
            questions[q] = store.question(0.0, qs[q]["max_score"], "errored",
                                          message="not in the gradebook")
    return store.new_result(student, aid, status, reason=reason,
                            questions={q: store.question(**v) for q, v in questions.items()})


def _not_the_students_cell(outcome: dict, repaired: dict) -> bool:
    """True when the run failed before any cell ran or while a locked setup cell ran.

    Neither is the student's doing (their cells had not run yet, or a cell of the release
    was running): the task is graded again with a new kernel instead of being lost. Time
    limits are never retried.
    """
    if outcome["success"] or outcome["failure"] not in ("kernel died", "nbgrader"):
        return False
    if not outcome.get("started"):
        return True
    culprit = outcome.get("culprit")
    if culprit is None:
        return False
    cid = culprit[1]
    for nb in repaired.values():
        for cell in nb.cells:
            if cell.get("id") == cid:
                m = _nbmeta(cell)
                return (bool(m.get("locked")) and not m.get("solution")
                        and not m.get("grade_id", "").startswith("test_"))
    return False


def _stub_culprit(repaired: dict, culprit: tuple, why: str):
    """Replace the cell that killed the kernel by a raising stub; return its question."""
    index, cid, gid = culprit
    for nb in repaired.values():
        for cell in nb.cells:
            if cell.get("id") == cid or (gid and _nbmeta(cell).get("grade_id") == gid):
                m = _nbmeta(cell)
                target = cell
                if m.get("grade_id", "").startswith("test_"):
                    # the test cell ran the student's function: stub the answer cell instead
                    name = m["grade_id"][5:]
                    target = next((c for c in nb.cells if _nbmeta(c).get("grade_id") == name),
                                  None)
                    if target is None or target.get("_nnmath_stubbed"):
                        return None
                elif m.get("locked") and not m.get("solution"):
                    return None
                if target.source.startswith("raise RuntimeError('this cell was removed"):
                    return None
                target.source = _STUB.format(why=why.replace("'", ""))
                tg = _nbmeta(target).get("grade_id")
                return question_of(tg) if tg else f"cell {index}"
    return None


_TASK_COUNTER = [0]


def _run_nbgrader(student, aid, root, worker) -> dict:
    """One nbgrader autograde of one student in the sandbox, under the wall limit."""
    from nbgrader.apps.api import NbGraderAPI

    from autograder.nbconfig import nbgrader_settings

    cfg = nbgrader_settings(root=root, db_url=f"sqlite:///{root / 'gradebook.db'}")
    if root == cc.COURSE_ROOT.resolve():
        cfg.CourseDirectory.db_url = cc.GRADEBOOK_URL
    cfg.CourseDirectory.submitted_directory = f"{GRADING_DIR}/submitted"
    cfg.Execute.kernel_name = sandbox.KERNEL_NAME
    cfg.Execute.on_cell_start = _on_cell_start
    cfg.Execute.startup_timeout = 60
    cfg.Execute.raise_on_iopub_timeout = False
    cfg.Execute.shutdown_kernel = "immediate"   # the kernel is thrown away anyway
    _TASK_COUNTER[0] += 1
    uid = sandbox.uid_block() + _TASK_COUNTER[0] % 99
    scratch = sandbox.new_scratch()
    pidfile = scratch / sandbox.PID_FILE
    hide = [str(cc.COURSE_ROOT / "source"), str(root / "source"),
            str(root / "submitted"), str(root / GRADING_DIR), str(root / "gradebook.db"),
            str(root / "grades"), str(cc.COURSE_ROOT / "gradebook.db")]
    env_backup = dict(os.environ)
    v_cls = _verifier()
    verdicts = None
    forged = []
    killed = threading.Event()
    _RUNNING["cell"] = None
    _RUNNING["history"] = []

    def watchdog():
        killed.set()
        pid = None
        try:
            pid = int(pidfile.read_text())
        except (OSError, ValueError):
            pass
        sandbox.kill_sandbox(pid, uid if sandbox.can_drop_uid() else None)

    timer = threading.Timer(cc.NOTEBOOK_TIMEOUT_S, watchdog)
    try:
        os.environ[sandbox._ENV_UID] = str(uid)
        os.environ[sandbox._ENV_SCRATCH] = str(scratch)
        os.environ[sandbox._ENV_HIDE] = os.pathsep.join(p for p in hide if os.path.exists(p))
        ctx = v_cls(label=f"{student}/{aid}") if v_cls is not None else _NullCtx()
        with ctx as v:
            extra = dict(getattr(v, "env", {}) or {})
            os.environ.update(extra)
            _share_socket(extra, uid)
            timer.start()
            for attempt in range(4):
                api = NbGraderAPI(config=cfg)
                res = api.autograde(aid, student, force=True, create=True)
                log = (res.get("log") or "") + (res.get("error") or "")
                if res.get("success") or "database is locked" not in log or killed.is_set():
                    break
                time.sleep(0.5 + attempt)
            timer.cancel()
        if v_cls is not None:
            verdicts = list(getattr(v, "verdicts", []) or [])
            forged = list(getattr(v, "rejected", []) or [])
    finally:
        timer.cancel()
        try:
            pid = int(pidfile.read_text())
        except (OSError, ValueError):
            pid = None
        sandbox.kill_sandbox(pid, uid if sandbox.can_drop_uid() else None)
        sandbox.reap()
        kernel_log = sandbox.kernel_log_tail(scratch)
        sandbox.remove_scratch(scratch)
        os.environ.clear()
        os.environ.update(env_backup)
    success = bool(res.get("success"))
    out = {"success": success, "verdicts": verdicts, "culprit": None, "why": None,
           "forged": forged, "started": bool(_RUNNING["history"]), "failure": None}
    if not success:
        log = (res.get("log") or "") + "\n" + (res.get("error") or "")
        out["culprit"] = _RUNNING["cell"]
        if killed.is_set():
            out["failure"] = "notebook time limit"
            out["why"] = f"notebook time limit ({cc.NOTEBOOK_TIMEOUT_S} s) exceeded"
            out["culprit"] = _slow_cell() or out["culprit"]
        elif "DeadKernel" in log or "Kernel died" in log or "kernel died" in log:
            out["failure"] = "kernel died"
            out["why"] = "the kernel died (os._exit, a crash or a resource limit)"
            if not out["started"]:
                out["why"] = "the grading kernel died before running any cell"
            if kernel_log:
                out["why"] += f" [kernel log: {kernel_log}]"
        elif "CellTimeoutError" in log or "Timeout waiting" in log:
            out["failure"] = "cell time limit"
            out["why"] = f"cell time limit ({cc.CELL_TIMEOUT_S} s) exceeded"
        else:
            # inconsistent checksums are the notebook's, and would fail again: not repeated
            out["failure"] = "checksums" if "Inconsistent" in log else "nbgrader"
            out["why"] = f"nbgrader autograde failed: {_failure_line(log)}"
            if kernel_log:
                out["why"] += f" [kernel log: {kernel_log}]"
            out["culprit"] = None if "Inconsistent" in log else out["culprit"]
    return out


#: ``SomeError: ...`` or ``package.module.SomeException: ...``: how a traceback ends.
_EXCEPTION_LINE = __import__("re").compile(r"^([A-Za-z_]\w*\.)*[A-Z]\w*: .+")


def _failure_line(log: str) -> str:
    """The most telling line of a failed autograde's log (at most 300 characters).

    nbgrader ends its log with a generic ``NbGraderException: Please see the above
    traceback``; the cause is the last other exception line above it.
    """
    lines = [ln.strip() for ln in log.splitlines() if ln.strip()]
    causes = [ln for ln in lines if _EXCEPTION_LINE.match(ln)
              and "Please see the the above traceback" not in ln]
    return ((causes or lines or ["unknown"])[-1])[:300]


class _NullCtx:
    env: dict = {}
    verdicts = None

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False


def _share_socket(env: dict, uid: int) -> None:
    """Let the sandbox uid reach the verifier's socket (its folder is mode 0700)."""
    path = env.get("NNMATH_VERIFIER_SOCKET")
    if not path or not sandbox.can_drop_uid():
        return
    for p in (Path(path).parent, Path(path)):
        try:
            os.chown(p, uid, sandbox.SANDBOX_GID)
        except OSError:
            pass


def _read_scores(student, aid, root, qs) -> dict:
    from nbgrader.api import Gradebook

    db = cc.GRADEBOOK_URL if root == cc.COURSE_ROOT.resolve() else f"sqlite:///{root / 'gradebook.db'}"
    out = {}
    with Gradebook(db) as gb:
        sub = gb.find_submission(aid, student)
        for nb in sub.notebooks:
            for g in nb.grades:
                q = question_of(g.name)
                maxs = float(qs.get(q, {}).get("max_score", g.max_score or 0))
                if g.cell_type == "markdown" or (qs.get(q, {}).get("manual")):
                    if g.manual_score is None:
                        out[q] = dict(score=0.0, max_score=maxs, status="pending",
                                      mistake=None, message="awaiting manual grading")
                    else:
                        out[q] = dict(score=min(float(g.score), maxs), max_score=maxs,
                                      status="graded", mistake=None, message=None)
                else:
                    out[q] = dict(score=min(float(g.score or 0.0), maxs), max_score=maxs,
                                  status="graded", mistake=None, message=None)
    return out


def _add_messages(questions: dict, autograded: Path) -> None:
    for path in autograded.glob("*.ipynb"):
        try:
            nb = nbformat.read(str(path), as_version=4)
        except Exception:
            continue
        for cell in nb.cells:
            gid = _nbmeta(cell).get("grade_id", "")
            q = question_of(gid)
            if q not in questions or cell.cell_type != "code":
                continue
            msgs = []
            if not gid.startswith("test_"):
                enames = {o.get("ename") for o in cell.get("outputs", [])
                          if o.get("output_type") == "error"}
                why = _limit_error(enames)
                if why and questions[q]["status"] == "graded":
                    questions[q]["status"] = "errored"
                    questions[q]["message"] = f"your answer cell: {why}"
                continue
            for o in cell.get("outputs", []):
                if o.get("output_type") == "error":
                    msgs.append(f"{o.get('ename')}: {o.get('evalue')}"[:500])
                elif o.get("output_type") == "stream" and o.get("name") == "stdout":
                    lines = [ln for ln in o.get("text", "").splitlines() if ln.strip()]
                    if lines:
                        msgs.append(lines[-1][:300])
            if msgs:
                text = " | ".join(msgs[-2:])
                if questions[q]["status"] == "errored" and questions[q].get("message"):
                    text = f"{questions[q]['message']} | {text}"
                questions[q]["message"] = text


def _limit_error(enames: set):
    """Reason when an answer cell hit a grading limit (None otherwise)."""
    if enames & {"CellTimeoutError", "TimeoutError"} or "KeyboardInterrupt" in enames:
        return f"cell time limit ({cc.CELL_TIMEOUT_S} s) exceeded, the cell was interrupted"
    if "MemoryError" in enames:
        return f"memory limit ({cc.KERNEL_MEMORY_MB} MiB) exceeded"
    if "BlockingIOError" in enames:
        return f"process limit ({cc.KERNEL_MAX_PROCESSES}) exceeded"
    return None


def _vget(v, key):
    return v.get(key) if isinstance(v, dict) else getattr(v, key, None)


_REFERENCE_BROKEN = __import__("re").compile(r"No module named '?solutions_lib\.(?!grading)")


def _apply_verdicts(questions: dict, verdicts) -> None:
    """Signed verdicts decide: a test nbgrader passed without a passing verdict is flagged.

    Uses ``solutions_lib.grading.reconcile`` (the checker's own rule); a flagged question
    scores 0 until an instructor reviews it.
    """
    auto = {q: e for q, e in questions.items() if e["status"] != "pending"}
    cell_passed = {q: e["score"] >= e["max_score"] > 0 for q, e in auto.items()}
    last = {}
    for v in verdicts:
        last[_vget(v, "name")] = v
    try:
        from solutions_lib.grading import reconcile  # type: ignore

        decided = {q: (r[0], r[1]) for q, r in reconcile(cell_passed, verdicts).items()}
    except ImportError:   # a checker without reconcile: the same rule, inline
        decided = {}
        for q, ok in cell_passed.items():
            v = last.get(q)
            if not ok:
                decided[q] = ("failed", "")
            elif v is None or not _vget(v, "passed"):
                decided[q] = ("flagged", "test passed in the kernel without a passing signed "
                                         "verifier verdict")
            else:
                decided[q] = ("passed", "")
    for q, (status, reason) in decided.items():
        entry = auto[q]
        v = last.get(q)
        if v is not None and not _vget(v, "passed"):
            entry["mistake"] = _vget(v, "mistake")
            msg = (_vget(v, "message") or "").strip()
            if msg:
                entry["message"] = msg if entry["status"] == "graded" else (
                    f"{entry['message']} | {msg}" if entry.get("message") else msg)
        if v is not None and not _vget(v, "passed") and _REFERENCE_BROKEN.search(
                _vget(v, "message") or ""):
            # the verifier could not run the reference: a grader fault, not the student's 0
            entry.update(status="errored", score=0.0,
                         message="grader error (reference unavailable in the verifier): "
                                 + (_vget(v, "message") or "").strip()[:300])
            continue
        if status == "flagged":
            entry.update(status="flagged", score=0.0,
                         message=f"suspected tampering: {reason}")
        elif status == "failed" and entry["score"] > 0 and entry["score"] >= entry["max_score"]:
            entry["score"] = 0.0


# ======================================================================================
# workers and progress
# ======================================================================================
_STOP = threading.Event()


def _on_sigint(signum, frame):
    _STOP.set()
    raise KeyboardInterrupt


def _worker(index: int, todo, done, root: str) -> None:
    signal.signal(signal.SIGINT, _on_sigint)
    signal.signal(signal.SIGTERM, _on_sigint)
    parent = os.getppid()
    sandbox.become_subreaper()
    sandbox.install_kernel_spec()
    _ensure_path()
    import nbgrader.apps.api  # noqa: F401  (warm up while the parent runs the pre-flight)
    import nbgrader.api  # noqa: F401
    while True:
        if os.getppid() != parent:
            return
        try:
            unit = todo.get(timeout=1)
        except _queue.Empty:
            continue
        if unit is None or _STOP.is_set():
            return
        for student, aid in unit:
            try:
                r = grade_task(student, aid, root, worker=index)
                done.put(("done", student, aid, r["status"]))
            except KeyboardInterrupt:
                return
            except Exception as exc:   # grade_task already guards; belt and braces
                done.put(("done", student, aid, f"errored: {exc!r}"))
            if _STOP.is_set():
                return


class Progress:
    """A one-line progress bar with ETA on stderr (no third-party dependency)."""

    def __init__(self, total: int, enabled: bool = True, stream=None):
        self.total, self.n, self.t0 = total, 0, time.monotonic()
        self.enabled, self.stream = enabled, stream or sys.stderr

    def update(self, label: str = "") -> None:
        self.n += 1
        if not self.enabled:
            return
        el = time.monotonic() - self.t0
        eta = el / self.n * (self.total - self.n) if self.n else 0
        width = 24
        fill = int(width * self.n / max(self.total, 1))
        self.stream.write(f"\rgrading [{'#' * fill}{'.' * (width - fill)}] {self.n}/{self.total} "
                          f"elapsed {_hms(el)} ETA {_hms(eta)} {label[:40]:<40}")
        if self.n >= self.total:
            self.stream.write("\n")
        self.stream.flush()


def _hms(s: float) -> str:
    s = int(round(s))
    return f"{s // 3600}:{s % 3600 // 60:02d}:{s % 60:02d}"


def _run_tasks(tasks, jobs, root: Path, progress: bool) -> None:
    by_student: dict[str, list] = {}
    for sid, aid in tasks:
        by_student.setdefault(sid, []).append((sid, aid))
    units = sorted(by_student.values(), key=len, reverse=True)
    ctx = mp.get_context("spawn")
    todo, done = ctx.Queue(), ctx.Queue()
    n = min(jobs, len(units))
    workers = [ctx.Process(target=_worker, args=(i, todo, done, str(root)), daemon=True)
               for i in range(n)]
    for w in workers:      # they import nbgrader while the pre-flight kernel runs here
        w.start()
    try:
        preflight(root)
    except BaseException:
        for _ in range(n):
            todo.put(None)
        for w in workers:
            w.join(10)
            if w.is_alive():
                w.kill()
        raise
    for u in units:
        todo.put(u)
    for _ in range(n):
        todo.put(None)
    bar = Progress(len(tasks), progress)
    finished = 0
    try:
        while finished < len(tasks):
            try:
                _, sid, aid, status = done.get(timeout=1)
            except _queue.Empty:
                if not any(w.is_alive() for w in workers):
                    break
                continue
            finished += 1
            bar.update(f"{sid}/{aid}: {status}")
    except KeyboardInterrupt:
        for w in workers:
            if w.is_alive():
                os.kill(w.pid, signal.SIGINT)
        for w in workers:
            w.join(10)
            if w.is_alive():
                w.kill()
        raise
    for w in workers:
        w.join(30)
        if w.is_alive():
            w.kill()
