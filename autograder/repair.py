"""Pre-validation and repair of a submitted notebook against its release.

A submission is whatever a student's JupyterLab (or a determined student) wrote. Before nbgrader
sees it, :func:`prevalidate` compares it with the release notebook: invalid JSON or a notebook of
another assignment make the task ``errored``; deleted, duplicated or edited locked cells and
changed nbgrader metadata flag their questions; and :func:`repair` rebuilds the notebook from the
release with the student's answers and extra cells, so that nbgrader's "Inconsistent checksums"
never aborts a student. (nbgrader's own ``OverwriteCells`` preprocessor, which autograde runs too,
restores locked cells from the gradebook but not deleted or duplicated ones, and says nothing of
what it changed: the flags are this module's job.)
"""
from __future__ import annotations

import copy
import json

import nbformat

from autograder import cells

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
    rel_ids = [(cells.nbgrader(c).get("grade_id"), c) for c in release_nb.cells if cells.nbgrader(c).get("grade_id")]
    rel_by_id = dict(rel_ids)
    seen: dict[str, list] = {}
    for cell in nb.cells:
        if not isinstance(cell, dict):
            return None, "invalid notebook JSON (a cell is not an object)", {}
        gid = cells.nbgrader(cell).get("grade_id")
        if gid:
            seen.setdefault(gid, []).append(cell)
    common = [g for g in rel_by_id if g in seen]
    if len(common) < max(1, len(rel_by_id) // 2):
        foreign = sorted(g for g in seen if g not in rel_by_id)[:3]
        return None, ("notebook from another assignment (its graded cells "
                      f"{foreign or 'are missing'} do not match this assignment)"), {}
    flags: dict[str, str] = {}

    def flag(gid, why):
        q = cells.question_of(gid)
        flags[q] = flags.get(q) + "; " + why if q in flags else why

    for gid, rcell in rel_ids:
        rm = cells.nbgrader(rcell)
        copies = seen.get(gid, [])
        if not copies:
            if rm.get("locked") or rm.get("grade"):
                flag(gid, f"cell {gid} deleted (restored from the release)")
            continue
        if len(copies) > 1:
            flag(gid, f"cell {gid} duplicated {len(copies)} times (one kept)")
        scell = copies[0]
        sm = cells.nbgrader(scell)
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
    rel_by_id = {cells.nbgrader(c)["grade_id"]: c for c in release_nb.cells if cells.nbgrader(c).get("grade_id")}
    answers, extras, anchor = {}, {None: []}, None
    for cell in nb.cells:
        gid = cells.nbgrader(cell).get("grade_id")
        if gid in rel_by_id:
            answers.setdefault(gid, cell)
            anchor = gid
        elif not gid and cell.get("cell_type") in ("code", "markdown"):
            extras.setdefault(anchor, []).append(cell)
    out = copy.deepcopy(release_nb)
    ordered = list(extras[None])
    for rcell in release_nb.cells:
        gid = cells.nbgrader(rcell).get("grade_id")
        new = copy.deepcopy(rcell)
        if gid and cells.nbgrader(rcell).get("solution") and gid in answers:
            src = answers[gid].get("source", "")
            new.source = "".join(src) if isinstance(src, list) else str(src)
        ordered.append(new)
        if gid:
            ordered.extend(extras.get(gid, []))
    clean = []
    for cell in ordered:
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
