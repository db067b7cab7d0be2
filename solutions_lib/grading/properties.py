"""Property checks for graded objects whose outputs are random (verifier only).

A student's ``DropoutLayer`` draws its own random numbers (``np.random.binomial``,
``rng.random() < p``, numpy's global generator, a generator passed in: all correct), so its
output cannot equal the reference's bit for bit. :func:`dropout_failure` checks what the
contract says instead, on what :func:`checker.drivers.drive_dropout` records. It returns
``(why, mistake key or None)`` or ``None``.

Deterministic properties (a correct layer satisfies them with probability 1):

1. evaluation (``trainable=False``): ``forward(x) == x`` and ``backward(delta) == delta``
   (else ``dropping_at_evaluation``);
2. every training forward returns ``x * m`` for ONE row ``m`` shared by all examples
   (else ``mask_per_example``) whose entries are ``0`` or ``1/p`` (kept entries equal to
   1 name ``scale_omitted``, equal to ``1/(1-p)`` name ``scale_1_over_1_minus_p``);
3. the attribute ``mask`` after forward is that row, of shape ``(1, F)`` or ``(F,)`` (or
   its 0/1 indicator ``m * p``, for a layer that stores the mask unscaled);
4. ``backward(delta) == delta * m`` with the ``m`` of the forward just before (else
   ``new_mask_in_backward``).

Statistical properties, on ``T = trials`` further training forwards. With property 2
verified on each of them, the Monte-Carlo mean of the outputs is ``x_j K_j / (p T)``, where
``K_j`` counts the forwards that kept feature ``j``; for a correct layer the draws are
independent Bernoulli(p), so ``K_j ~ Binomial(T, p)``. Hoeffding's inequality gives

    P(|K_j / T - p| >= eps) <= 2 exp(-2 T eps²),

for each feature, and the same with ``F T`` draws for the kept fraction of all features.
:func:`hoeffding_eps` chooses ``eps`` so that each of these tests fails a correct layer with
probability at most ``FALSE_FAILURE / STAT_TESTS``; a run of the check has at most
``STAT_TESTS`` of them (``weeks/w05_dropout.py`` asserts it), so by the union bound a correct
``DropoutLayer`` fails one run of the hidden test with probability below
``FALSE_FAILURE = 1e-10`` (the course asks for 1e-9). The mean-output test is the per-feature
test read on the output (``mean_j / x_j = K_j / (p T)``).

How surely a catalogued mistake is caught: properties 1–2 and the scale are deterministic (a
mask per example escapes only when all rows of every recorded forward coincide); a new mask in
backward escapes only if every redrawn mask equals the forward's in every round of every case
(probability at most ``max_p (p² + (1-p)²)^F`` per round, below 1e-20 over the cases).
"""
from __future__ import annotations

import math

import numpy as np

from .compare import compare

#: bound on the probability that a correct DropoutLayer fails one run of its hidden test
FALSE_FAILURE = 1e-10
#: at most this many statistical tests per run (a feature test per feature, a total per case)
STAT_TESTS = 200


def hoeffding_eps(n: int, delta: float = FALSE_FAILURE / STAT_TESTS) -> float:
    """``eps`` with ``2 exp(-2 n eps²) = delta``: a mean of ``n`` independent draws in [0, 1]
    leaves its expectation by ``eps`` or more with probability at most ``delta``."""
    return math.sqrt(math.log(2.0 / delta) / (2.0 * n))


def _arr(v):
    try:
        return np.asarray(v, dtype=float)
    except (TypeError, ValueError):
        return None


def _scale_key(kept, p):
    if p < 1 and np.allclose(kept, 1.0):
        return "scale_omitted"
    if p < 1 and np.allclose(kept, 1.0 / (1.0 - p)):
        return "scale_1_over_1_minus_p"
    return None


def _row(x, out, p, what):
    """The shared mask row of one training output, or ``(why, key)``."""
    out = _arr(out)
    if out is None or out.shape != x.shape:
        shape = None if out is None else out.shape
        return None, (f"{what} has shape {shape}; it must have the input's shape {x.shape}", None)
    ratio = out / x                        # the cases' x lie in [0.5, 2]: never 0
    row = ratio[:1]
    if not np.allclose(ratio, row, rtol=1e-9, atol=1e-12):
        return None, (f"{what}: the examples of the minibatch are masked differently; one mask of shape "
                      f"(1, {x.shape[1]}) serves the whole minibatch", "mask_per_example")
    kept = row[~np.isclose(row, 0.0, atol=1e-12)]
    if kept.size and not np.allclose(kept, 1.0 / p, rtol=1e-9):
        return None, (f"{what}: the kept units are multiplied by {np.unique(np.round(kept, 6))[:3]} but must be "
                      f"multiplied by 1/p = {1.0 / p:.6g} (p = {p} is the probability to KEEP)", _scale_key(kept, p))
    return np.where(np.isclose(row, 0.0, atol=1e-12), 0.0, 1.0 / p), None


def dropout_failure(case, out):
    """Why the recorded behaviour of a student's DropoutLayer breaks the contract, or ``None``."""
    x, delta = (np.asarray(a, float) for a in case["args"])
    p, trials = case["kwargs"]["p"], case["kwargs"]["trials"]
    n, f = x.shape
    if not isinstance(out, dict):
        return f"internal: unexpected driver output {type(out).__name__}", None
    # 1. evaluation
    for got_x, got_d in zip(out.get("out_eval", []), out.get("dx_eval", [])):
        why = compare(x, got_x, "the evaluation output")
        if why:
            return f"at evaluation (trainable=False) the output must equal the input: {why}", "dropping_at_evaluation"
        why = compare(delta, got_d, "backward at evaluation")
        if why:
            return f"at evaluation backward must pass delta unchanged: {why}", "dropping_at_evaluation"
    # 2.-4. training rounds: forward, mask attribute, backward
    for r, (o, mask, dx) in enumerate(zip(out["out"], out["mask"], out["dx"])):
        row, bad = _row(x, o, p, f"training forward {r + 1}")
        if bad:
            return bad
        mask = _arr(mask)
        if mask is None or mask.ndim == 0:
            return "after forward the layer must keep its mask in the attribute `mask` (an array)", None
        if mask.shape not in ((1, f), (f,)):
            key = "mask_per_example" if mask.shape == (n, f) and n > 1 else None
            return (f"the mask has shape {mask.shape}; one mask of shape (1, {f}) serves the whole "
                    "minibatch", key)
        if not (np.allclose(mask.reshape(1, f), row) or np.allclose(mask.reshape(1, f) * (1.0 / p), row)):
            return f"the attribute `mask` is not the mask forward applied (forward {r + 1})", None
        why = compare(delta * row, dx, "backward's output")
        if why:
            return (f"backward must multiply delta by the SAME mask as the forward before it (round {r + 1}): "
                    f"{why}", "new_mask_in_backward")
    # statistics on `trials` further forwards
    outs = _arr(out.get("outs"))
    if outs is None or outs.shape != (trials, n, f):
        return f"internal: expected {trials} recorded forwards", None
    ratio = outs / x                                 # (trials, N, F)
    rows = ratio[:, :1]
    if not np.allclose(ratio, rows, rtol=1e-9, atol=1e-12):
        t = int(np.argmax(np.any(~np.isclose(ratio, rows, rtol=1e-9, atol=1e-12), axis=(1, 2))))
        return _row(x, outs[t], p, f"training forward {len(out['out']) + t + 1}")[1]
    dropped = np.isclose(rows, 0.0, atol=1e-12)
    if not np.allclose(rows[~dropped], 1.0 / p, rtol=1e-9):
        t = int(np.argmax(np.any(~dropped & ~np.isclose(rows, 1.0 / p, rtol=1e-9), axis=(1, 2))))
        return _row(x, outs[t], p, f"training forward {len(out['out']) + t + 1}")[1]
    rows = ~dropped[:, 0]                            # (trials, F): kept or not
    kept = rows.mean(axis=0)                         # K_j / T
    eps_total, eps_one = hoeffding_eps(trials * f), hoeffding_eps(trials)
    if abs(kept.mean() - p) >= eps_total:
        return (f"over {trials} training forwards the layer kept {kept.mean():.1%} of the units; with keep "
                f"probability p = {p} it should keep about {p:.0%} (|difference| < {eps_total:.3f} unless "
                "something is wrong)"), None
    worst = int(np.argmax(np.abs(kept - p)))
    if abs(kept[worst] - p) >= eps_one:
        mean = outs.mean(axis=0)
        return (f"the mean of {trials} training outputs is not the input: feature {worst} (kept in "
                f"{kept[worst]:.1%} of the forwards) averages {mean[0, worst]:.6g} where the input is "
                f"{x[0, worst]:.6g} (draw a new mask in every forward, each unit kept with probability p)"), None
    return None


#: driver kind -> property check
PROPERTY_CHECKS = {"dropout": dropout_failure}

from .graph_properties import schedule_failure  # noqa: E402  (week 6's reverse_schedule)

PROPERTY_CHECKS["schedule"] = schedule_failure

from .capstone_properties import train_network_failure, trained_accuracy_failure  # noqa: E402  (week 8)

PROPERTY_CHECKS["train_network"] = train_network_failure
PROPERTY_CHECKS["trained_accuracy"] = trained_accuracy_failure
