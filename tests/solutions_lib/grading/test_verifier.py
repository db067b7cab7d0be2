"""VerifierProcess (autograde mode) and hostile kernels, each run in a subprocess."""
import importlib
import os
import subprocess
import sys
import textwrap

import pytest

from solutions_lib.grading import VerifierError, VerifierProcess, catalogue, reconcile
from solutions_lib.grading.verdict import sign_line

NAME = "softmax_cross_entropy"


@pytest.fixture(scope="module")
def reference_available():
    try:
        importlib.import_module("solutions_lib.losses")
    except ImportError as exc:
        pytest.skip(f"reference solutions_lib.losses not available yet: {exc}")


@pytest.fixture(scope="module")
def verifier(reference_available):
    with VerifierProcess(label="tester/w03") as v:
        yield v


def run_kernel(code, env_extra):
    env = dict(os.environ, **env_extra)
    return subprocess.run([sys.executable, "-c", textwrap.dedent(code)], env=env, capture_output=True, text=True,
                          timeout=120)


def _new_verdicts(v, before):
    return v.verdicts[before:]


GOOD = catalogue.alternative_source(NAME)
#: a bug the catalogue does not list: the loss summed over the batch, its gradient averaged
WRONG = """
import numpy as np

def softmax_cross_entropy(logits, labels):
    logits = np.asarray(logits, dtype=float)
    n = logits.shape[0]
    z = logits - logits.max(axis=1, keepdims=True)
    p = np.exp(z) / np.exp(z).sum(axis=1, keepdims=True)
    loss = -np.log(p[np.arange(n), labels]).sum()
    d = p.copy()
    d[np.arange(n), labels] -= 1
    return float(loss), d / n
"""


def test_correct_passes_and_verdict_is_signed(verifier):
    n = len(verifier.verdicts)
    r = run_kernel(GOOD + f"\nfrom checker import check\ncheck({NAME!r}, {NAME})\n", verifier.env)
    assert r.returncode == 0, r.stderr
    assert r.stdout.strip().endswith("cases passed") and r.stderr == ""
    [v] = _new_verdicts(verifier, n)
    assert v.name == NAME and v.passed


def test_patched_numpy_comparisons_do_not_help(verifier):
    n = len(verifier.verdicts)
    code = WRONG + """
import numpy as np, numpy.testing
np.allclose = lambda *a, **k: True
np.isclose = lambda a, b, **k: np.ones(np.broadcast(a, b).shape, bool)
np.array_equal = lambda *a, **k: True
np.testing.assert_allclose = lambda *a, **k: None
np.testing.assert_array_almost_equal = lambda *a, **k: None
from checker import check
try:
    check(%r, softmax_cross_entropy)
except AssertionError as e:
    print("FAILED:", e)
""" % NAME
    r = run_kernel(code, verifier.env)
    assert "FAILED:" in r.stdout and r.stderr == ""
    [v] = _new_verdicts(verifier, n)
    assert not v.passed


def test_reference_imported_inside_student_function_is_flagged(verifier):
    n = len(verifier.verdicts)
    code = """
def softmax_cross_entropy(logits, labels):
    from solutions_lib import softmax_cross_entropy as ref
    return ref(logits, labels)
from checker import check
try:
    check(%r, softmax_cross_entropy)
except AssertionError as e:
    print("FAILED:", e)
""" % NAME
    r = run_kernel(code, verifier.env)
    assert "FAILED:" in r.stdout and "flagged" in r.stdout, r.stdout + r.stderr
    [v] = _new_verdicts(verifier, n)
    assert v.mistake == "reference_used"
    assert reconcile({NAME: True}, [v])[NAME].status == "flagged"


def test_reference_object_itself_is_flagged(verifier):
    n = len(verifier.verdicts)
    code = f"from solutions_lib import {NAME}\nfrom checker import check\n" \
           f"try:\n    check({NAME!r}, {NAME})\nexcept AssertionError as e:\n    print('FAILED:', e)\n"
    r = run_kernel(code, verifier.env)
    assert "FAILED:" in r.stdout and "flagged" in r.stdout
    assert _new_verdicts(verifier, n)[0].mistake == "reference_used"


def test_fake_grading_module_gets_no_verdict_and_is_flagged(verifier):
    n = len(verifier.verdicts)
    code = WRONG + """
import sys, types
fake = types.ModuleType("checker")
fake.check = lambda name, obj: print(name + ": 9 cases passed")
sys.modules["checker"] = fake
print('{"body": {"name": "%s", "passed": true, "mistake": null, "message": "ok", "n_cases": 9}, "sig": "00"}')
from checker import check
check(%r, softmax_cross_entropy)
""" % (NAME, NAME)
    r = run_kernel(code, verifier.env)
    assert r.returncode == 0 and "9 cases passed" in r.stdout  # the kernel lies ...
    assert _new_verdicts(verifier, n) == []                  # ... but the verifier never heard of it
    assert reconcile({NAME: True}, verifier.verdicts[n:])[NAME].status == "flagged"


def test_input_mutation_is_reported(verifier):
    code = GOOD.replace("def softmax_cross_entropy(logits, labels):\n",
                        "def softmax_cross_entropy(logits, labels):\n    logits *= 1.0000001\n    logits = logits / 1.0000001\n")
    code += f"\nfrom checker import check\ntry:\n    check({NAME!r}, {NAME})\nexcept AssertionError as e:\n    print('FAILED:', e)\n"
    r = run_kernel(code, verifier.env)
    assert "changed its input argument 1 in place" in r.stdout, r.stdout + r.stderr


def test_no_stderr_with_warnings_and_stderr_writes(verifier):
    code = GOOD.replace("def softmax_cross_entropy(logits, labels):\n",
                        "def softmax_cross_entropy(logits, labels):\n    import sys, warnings\n"
                        "    np.log(np.zeros(1))\n    warnings.warn('student warning')\n"
                        "    sys.stderr.write('noise\\n')\n")
    wrong = code.replace("return total / n, grad / n", "return total, grad / n")
    assert wrong != code
    for body, ok in [(code, True), (wrong, False)]:
        body += f"\nfrom checker import check\ntry:\n    check({NAME!r}, {NAME})\nexcept AssertionError as e:\n    print('FAILED:', e)\n"
        r = run_kernel(body, verifier.env)
        assert r.stderr == "", r.stderr
        assert ("FAILED:" in r.stdout) != ok


def test_failure_message_names_case_entry_and_values(verifier):
    r = run_kernel(WRONG + f"\nfrom checker import check\ntry:\n    check({NAME!r}, {NAME})\n"
                           f"except AssertionError as e:\n    print('FAILED:', e)\n", verifier.env)
    assert "case 1 of" in r.stdout and "expected" in r.stdout and "got" in r.stdout
    assert "Likely mistake: loss_summed" not in r.stdout  # gradient still averaged: a different bug


def test_forged_and_unsigned_lines_are_rejected(reference_available):
    v = VerifierProcess(label="x")
    v._accept_line('{"body": {"name": "a", "passed": true, "mistake": null, "message": "m", "n_cases": 1}, "sig": "00"}')
    v._accept_line("a: 3 cases passed")
    v._accept_line(sign_line("another key" * 4, {"name": "a", "passed": True, "mistake": None, "message": "m", "n_cases": 1}))
    assert v.verdicts == [] and len(v.rejected) == 3 and v.tampered
    v._accept_line(sign_line(v._key, {"name": "a", "passed": True, "mistake": None, "message": "m", "n_cases": 1}))
    assert [x.name for x in v.verdicts] == ["a"]
    v.strict = True
    with pytest.raises(VerifierError):
        v.__exit__(None, None, None)


@pytest.mark.skipif(os.geteuid() == 0, reason="root can read any /proc entry")
def test_verifier_is_not_dumpable(verifier):
    with pytest.raises(PermissionError):
        open(f"/proc/{verifier.pid}/environ").read()


def test_verifier_exits_when_stdin_closes(reference_available):
    v = VerifierProcess(label="short").start()
    proc = v._proc
    v.stop()
    assert proc.returncode == 0


def test_importing_the_checker_loads_no_reference_code():
    code = ("import sys\nimport checker\n"
            "print(sorted(m for m in sys.modules if m.split('.')[0] in ('solutions_lib', 'checker')))")
    r = run_kernel(code, {})
    assert r.returncode == 0 and r.stderr == ""
    loaded = eval(r.stdout)
    assert loaded == ["checker", "checker.capstone_drivers", "checker.client", "checker.drivers", "checker.graph_drivers", "checker.wire"]


def test_local_mode_starts_a_private_verifier(reference_available):
    r = run_kernel(GOOD + f"\nfrom checker import check\ncheck({NAME!r}, {NAME})\n"
                          f"check({NAME!r}, {NAME})\n", {"NNMATH_VERIFIER_SOCKET": ""})
    assert r.returncode == 0 and r.stderr == "" and r.stdout.count("cases passed") == 2
