"""Suite-wide settings: the ``tests`` package importable, the venv's bin/ first on PATH.

The course itself is installed (``pip install -e .``): nothing here puts it on a path.
"""
import os
import sys
from pathlib import Path

from autograder.course import tools_on_path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))    # `tests` is a package of the checkout, not of the install
tools_on_path()                      # nbgrader runs `alembic` from PATH
os.environ.setdefault("MPLBACKEND", "Agg")
# Two test workers on two cores, as the grader runs one notebook per core (autograder/sandbox.py):
# every process and kernel the suite starts uses one BLAS thread. More threads per kernel
# oversubscribe the cores, and OpenBLAS's spinning threads then slow the whole suite down.
for _var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")
