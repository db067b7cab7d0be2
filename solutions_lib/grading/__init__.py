"""The instructor's side of the checker: verifier, catalogue, verdicts (never in a kernel).

A hidden test cell calls, after the student's cells::

    from checker import check
    check("convolve_full", convolve_full)

:mod:`checker` (a package of its own, the only part of the course a grading kernel can
reach) sends the student's outputs to the verifier defined here. ``check`` returns ``None``
(printing one line such as ``convolve_full: 14 cases passed``)
when the student's function or class agrees with the reference on every seeded case, and
raises ``AssertionError`` otherwise, saying which case (shapes, parameters, small inputs),
which entry, expected vs got, the max abs/rel error, and — when the wrong output equals
the output of a known mistaken implementation (:mod:`.catalogue`) — ``Likely mistake:
<key>: <explanation>``. It never writes to stderr (nbgrader would score the cell as
failed): warnings and stderr writes of the student's code are captured.

Threat model and design
-----------------------
By the time a hidden test runs, the student's code may have changed anything in the
kernel process: numpy and ``np.testing``, builtins, ``sys.modules`` (even a fake
``solutions_lib.grading``), the import system; it may inspect the call stack, import the
reference to return its output, or mutate its inputs. So nothing that decides the score
is computed in the kernel:

- **Verifier process** (:mod:`.verifier`). Case generation (seeded with
  ``course_config.HIDDEN_TEST_SEED`` and ``crc32(name)``, :mod:`.catalogue`), the reference
  computation, the comparison with ``course_config.RTOL``/``ATOL`` (:mod:`.compare`) and
  mistake naming (:mod:`.judge`) run in a separate Python process. The kernel-side client
  (:mod:`checker.client`) only receives the inputs as bytes, runs the student's object through a
  *driver* (:mod:`checker.drivers`, e.g. construct a ``Momentum``, call ``update`` 3 times) and
  sends the outputs back as bytes (JSON header + ``.npy`` blobs, :mod:`checker.wire`; nothing
  from the kernel is ever unpickled). The verifier runs the same driver on the reference
  with its own copies of the inputs, so a student mutating inputs cannot hurt the
  reference, and such a mutation is itself reported as a bug. Patching ``np.allclose``
  or ``np.testing`` in the kernel changes nothing: no comparison happens there.
- **Autograde mode.** The autograder starts the verifier before the kernel exists
  (``with VerifierProcess(label=...) as v``) and gives the kernel ``v.env``
  (``NNMATH_VERIFIER_SOCKET``). The verifier gets a random HMAC key on its stdin, makes
  itself non-dumpable (``prctl(PR_SET_DUMPABLE, 0)``: a same-uid kernel can neither ptrace
  it nor read its ``/proc/<pid>/{mem,fd,environ}``), and writes each verdict as a signed
  JSON line on its stdout, a pipe only the autograder reads. ``VerifierProcess`` accepts
  only lines with a valid signature (unsigned/forged lines land in ``v.rejected``).
  :func:`reconcile` compares those verdicts with what nbgrader recorded: a test cell that
  passed without a passing verdict — a fake ``check`` planted in ``sys.modules``, a cell
  that swallowed the ``AssertionError``, a forged line, a kernel that unset
  ``NNMATH_VERIFIER_SOCKET`` to fall back to a private verifier — is *flagged*, not
  passed. So is a name queried more than 3 times (a failure message reveals one
  expected entry; repeated queries could extract the answer). Expected outputs never
  enter the kernel, so stack inspection finds nothing but the inputs.
- **Using the reference.** The kernel must not import ``solutions_lib`` reference modules
  (:mod:`checker` imports none). The
  client reports a reference module appearing in ``sys.modules`` while the student's code
  runs, or an object under test defined in ``solutions_lib``: the verdict is then failed
  with mistake ``reference_used`` and reconciled as *flagged*. The real barrier is the
  autograder's kernel sandbox, which keeps ``solutions_lib`` out of the kernel's reach;
  a kernel that reimplements the detection away could still evade *this* heuristic.
- :func:`scan_source` lists tampering signals in a student's code (static AST + regex).

What local mode does NOT defend against
---------------------------------------
Without ``NNMATH_VERIFIER_SOCKET`` (instructor validation, tests) the client starts a
private verifier itself, with a key it generates. Everything then goes through the
kernel: a student who patched ``subprocess``, ``socket``, this package, or ``check``
itself can fake a pass, and nobody reads the signed verdict lines but the kernel. Local
mode proves that a correct implementation passes; only autograde mode's external
verifier + signed verdicts + :func:`reconcile` make the score trustworthy.

Public names: :class:`VerifierProcess`, :class:`Verdict`, :func:`reconcile`,
:func:`scan_source`; the catalogue of cases, mistakes and alternatives is
:mod:`.catalogue` (one module per week in :mod:`.weeks`).
"""
from __future__ import annotations

from .reconcile import Reconciled, reconcile
from .scan import scan_source
from .verdict import Verdict
from .verifier import VerifierError, VerifierProcess

__all__ = ["VerifierProcess", "VerifierError", "Verdict", "reconcile", "Reconciled", "scan_source"]
