"""Week 3 notebook (source/w03_dense_backprop): the checks of :class:`tests.notebooks.weekly.WeeklyNotebookTests`.
"""
from __future__ import annotations

import pytest

from tests.notebooks.weekly import WeeklyNotebookTests

WEEK = "w03_dense_backprop"
pytestmark = pytest.mark.xdist_group(WEEK)


class TestW03DenseBackprop(WeeklyNotebookTests):
    week = WEEK
    run_all_coverage = True
