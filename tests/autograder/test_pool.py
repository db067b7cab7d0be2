"""autograder.pool: the progress bar of the local worker pool."""
from __future__ import annotations

import io

from autograder import pool


def test_progress_bar_reports_eta():
    buf = io.StringIO()
    bar = pool.Progress(4, stream=buf)
    for _ in range(4):
        bar.update("alice/w01")
    out = buf.getvalue()
    assert "4/4" in out and "ETA" in out and out.endswith("\n")
