"""Property checks for graded objects whose outputs are random (verifier only).

A student's ``DropoutLayer`` draws its own random numbers, so its output cannot equal the
reference's bit for bit. :func:`dropout_failure` checks what the contract says instead:
mask of shape ``(1, F)`` with values in ``{0, 1/p}``, ``forward = x * mask``, ``backward``
with the same mask, identity at evaluation, and the Monte-Carlo mean of the output close
to ``x``. It returns ``(why, mistake key or None)`` or ``None``.
"""
from __future__ import annotations

import numpy as np

from .compare import compare


def _arr(v):
    try:
        a = np.asarray(v, dtype=float)
    except (TypeError, ValueError):
        return None
    return a


def dropout_failure(case, out):
    x, delta = (np.asarray(a, float) for a in case["args"])
    p, trials = case["kwargs"]["p"], case["kwargs"]["trials"]
    if not isinstance(out, dict):
        return f"internal: unexpected driver output {type(out).__name__}", None
    why = compare(x, out.get("out_eval"), "the evaluation output")
    if why:
        return f"at evaluation (trainable=False) the output must equal the input: {why}", "dropping_at_evaluation"
    why = compare(delta, out.get("dx_eval"), "backward at evaluation")
    if why:
        return f"at evaluation backward must pass delta unchanged: {why}", "dropping_at_evaluation"
    mask = _arr(out.get("mask"))
    if mask is None or mask.ndim == 0:
        return "the layer has no attribute `mask` (an array) after forward", None
    if mask.shape != (1, x.shape[1]):
        key = "mask_per_example" if mask.shape == x.shape else None
        return f"the mask has shape {mask.shape}; one mask of shape (1, {x.shape[1]}) serves the whole minibatch", key
    nonzero = mask[mask != 0]
    if nonzero.size and not np.allclose(nonzero, 1.0 / p):
        key = None
        if np.allclose(nonzero, 1.0):
            key = "scale_omitted"
        elif p < 1 and np.allclose(nonzero, 1.0 / (1.0 - p)):
            key = "scale_1_over_1_minus_p"
        return (f"the kept entries of the mask are {np.unique(nonzero)[:3]} but must be 1/p = {1.0 / p:.6g} "
                f"(p = {p} is the probability to KEEP)"), key
    why = compare(x * mask, out.get("out"), "forward's output")
    if why:
        return f"forward must return x * mask: {why}", None
    why = compare(delta * mask, out.get("dx"), "backward's output")
    if why:
        return f"backward must multiply delta by the SAME mask as forward: {why}", "new_mask_in_backward"
    mean = _arr(out.get("mean_out"))
    if mean is None or mean.shape != x.shape:
        return "internal: no mean output", None
    sigma = np.abs(x) * np.sqrt((1.0 - p) / p) / np.sqrt(trials)
    bad = np.abs(mean - x) > 6.0 * sigma + 1e-9
    if bad.any():
        idx = tuple(int(i) for i in np.argwhere(bad)[0])
        return (f"the mean of {trials} training outputs is not the input: at {idx} expected about {x[idx]:.6g}, "
                f"got {mean[idx]:.6g} (keep each unit with probability p)"), None
    return None


#: driver kind -> property check
PROPERTY_CHECKS = {"dropout": dropout_failure}
