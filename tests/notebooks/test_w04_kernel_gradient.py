"""Week 4 notebook (source/w04_kernel_gradient): the checks of :class:`tests.notebooks.weekly.WeeklyNotebookTests`.
"""
from __future__ import annotations

import pytest

from tests.notebooks.weekly import WeeklyNotebookTests

WEEK = "w04_kernel_gradient"
pytestmark = pytest.mark.xdist_group(WEEK)


class TestW04KernelGradient(WeeklyNotebookTests):
    week = WEEK
    run_all_coverage = True
