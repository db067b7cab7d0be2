"""Suite-wide settings: the course root on sys.path, the venv's bin/ first on PATH."""
import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))
_bin = str(Path(sys.executable).parent)
if not os.environ.get("PATH", "").startswith(_bin):
    # nbgrader runs `alembic` from PATH; kernels must find this venv's python.
    os.environ["PATH"] = _bin + os.pathsep + os.environ.get("PATH", "")
os.environ["PYTHONPATH"] = os.pathsep.join(
    [str(ROOT)] + [p for p in os.environ.get("PYTHONPATH", "").split(os.pathsep) if p and p != str(ROOT)]
)
os.environ.setdefault("MPLBACKEND", "Agg")
