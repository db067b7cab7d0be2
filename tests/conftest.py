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
