"""The committed ``release/`` equals a fresh generation from ``source/`` and leaks nothing.

Parametrised over every week present in the repository's ``source/`` (and every week present
in ``release/``, so a release without a source is caught too). The fresh generation runs in
a temporary course root holding a copy of ``source/``; notebooks are compared as parsed JSON.
"""
from __future__ import annotations

import json
import shutil

import pytest

from autograder.release import check_release, generate, source_assignments
from tests.autograder.conftest import ROOT

WEEKS = sorted(set(source_assignments(ROOT))
               | {p.name for p in (ROOT / "release").glob("*") if p.is_dir()})


def _tree(folder):
    """relative path -> parsed JSON (notebooks) or bytes (anything else)."""
    out = {}
    for path in sorted(folder.rglob("*")):
        if path.is_file() and ".ipynb_checkpoints" not in path.parts:
            rel = str(path.relative_to(folder))
            out[rel] = json.loads(path.read_text()) if path.suffix == ".ipynb" else path.read_bytes()
    return out


@pytest.mark.skipif(not WEEKS, reason="no week in source/ or release/ yet")
@pytest.mark.parametrize("week", WEEKS)
def test_release_is_in_sync_with_source(week, tmp_path):
    assert (ROOT / "source" / week).is_dir(), f"release/{week} has no source/{week}"
    committed = ROOT / "release" / week
    assert committed.is_dir(), f"release/{week} missing: run `python -m autograder generate {week}`"
    assert check_release([week], ROOT) == []
    shutil.copytree(ROOT / "source" / week, tmp_path / "source" / week,
                    ignore=shutil.ignore_patterns(".ipynb_checkpoints", "__pycache__"))
    generate([week], root=tmp_path)
    fresh, old = _tree(tmp_path / "release" / week), _tree(committed)
    assert sorted(fresh) == sorted(old), "files differ: run `python -m autograder generate`"
    for rel in fresh:
        assert fresh[rel] == old[rel], f"release/{week}/{rel} is stale: run `python -m autograder generate {week}`"
