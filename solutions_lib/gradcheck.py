"""Numerical gradients by central finite differences, and the relative error to compare them."""
from __future__ import annotations

import numpy as np


def numerical_gradient(f, x, eps=1e-6):
    """Central-difference gradient of a scalar function at ``x``.

    Parameters
    ----------
    f : callable
        ``f(x) -> float``; may read ``x`` (it is perturbed in place and restored).
    x : ndarray, any shape, float64
    eps : float
        Step of the central difference.

    Returns
    -------
    ndarray, shape of ``x``
        ``(f(x + eps e_i) - f(x - eps e_i)) / (2 eps)`` for every entry ``i``.
    """
    if not isinstance(x, np.ndarray) or x.dtype != np.float64:
        raise ValueError("numerical_gradient needs a float64 ndarray x (it is perturbed in place)")
    if eps <= 0:
        raise ValueError(f"eps must be positive, got {eps}")
    grad = np.zeros_like(x)
    flat, gflat = x.reshape(-1), grad.reshape(-1)
    if not np.shares_memory(flat, x):
        raise ValueError("x must be contiguous so that it can be perturbed in place")
    for i in range(flat.size):  # one entry at a time: this is the oracle, not a hot path
        old = flat[i]
        flat[i] = old + eps
        up = float(f(x))
        flat[i] = old - eps
        down = float(f(x))
        flat[i] = old
        gflat[i] = (up - down) / (2 * eps)
    return grad


def relative_error(a, b):
    """``max |a - b| / max(|a| + |b|)`` over all entries (0 for two zero arrays).

    Analytic and central-difference gradients of smooth float64 functions agree to about
    1e-8 or better; 1e-5 and above means a bug.
    """
    a, b = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    if a.shape != b.shape:
        raise ValueError(f"shapes differ: {a.shape} vs {b.shape}")
    if a.size == 0:
        return 0.0
    scale = np.max(np.abs(a) + np.abs(b))
    if scale == 0:
        return 0.0
    return float(np.max(np.abs(a - b)) / scale)
