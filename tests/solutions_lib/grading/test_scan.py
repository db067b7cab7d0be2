"""Static tampering scan of student code."""
from solutions_lib.grading import scan_source


def test_clean_code_has_no_signals():
    code = "import numpy as np\n\ndef relu(x):\n    return np.maximum(x, 0)\n"
    assert scan_source(code) == []


def test_signals():
    code = """
import sys, builtins, ctypes, gc, os, inspect
import numpy as np
from solutions_lib import relu as ref
np.allclose = lambda *a, **k: True
np.testing.assert_allclose = lambda *a, **k: None
builtins.print = None
__builtins__['len'] = None
sys.modules['solutions_lib.grading'] = None
f = sys._getframe().f_back
inspect.stack()
os._exit(0)
gc.get_objects()
open('/proc/self/environ').read()
import socket
os.environ['NNMATH_VERIFIER_SOCKET']
os.environ.get('NBGRADER_EXECUTION')
__import__('importlib')
setattr(np, 'isclose', None)
"""
    s = set(scan_source(code))
    for expected in ["mentions solutions_lib", "uses sys.modules", "uses importlib", "uses __import__",
                     "uses __builtins__", "reads NBGRADER_EXECUTION", "mentions NNMATH_VERIFIER",
                     "uses sys._getframe", "inspects the call stack", "walks frames (f_back)", "calls os._exit",
                     "uses gc.get_objects", "uses ctypes", "reads /proc/", "uses socket", "assigns to builtins",
                     "assigns to np.allclose", "assigns to np.testing.assert_allclose", "imports builtins",
                     "setattr on np"]:
        assert expected in s, expected


def test_unparsable_code_is_a_signal():
    assert "code does not parse (cannot scan it)" in scan_source("def f(:\n")
