"""Elementwise activations and their backward passes: ReLU and the logistic sigmoid."""
from __future__ import annotations

import numpy as np


def _same_shape(x, delta):
    x, delta = np.asarray(x, dtype=float), np.asarray(delta, dtype=float)
    if x.shape != delta.shape:
        raise ValueError(f"x and delta must have the same shape, got {x.shape} and {delta.shape}")
    return x, delta


def relu(x):
    """``max(x, 0)`` elementwise; any shape."""
    return np.maximum(np.asarray(x, dtype=float), 0.0)


def relu_backward(x, delta):
    """``∂C/∂x = δ ⊙ [x > 0]`` for ``y = relu(x)``; ``x`` is the ReLU's input, same shape as ``delta``."""
    x, delta = _same_shape(x, delta)
    return delta * (x > 0)


def sigmoid(x):
    """``σ(x) = 1 / (1 + e^{-x})`` elementwise, without overflow for large ``|x|``."""
    x = np.asarray(x, dtype=float)
    with np.errstate(under="ignore"):  # e^{-|x|} never overflows; underflow to 0 is exact enough
        e = np.exp(-np.abs(x))
    return np.where(x >= 0, 1.0 / (1.0 + e), e / (1.0 + e))


def sigmoid_backward(x, delta):
    """``∂C/∂x = δ ⊙ σ(x)(1 - σ(x))`` for ``y = σ(x)``; ``x`` is the sigmoid's input."""
    x, delta = _same_shape(x, delta)
    s = sigmoid(x)
    return delta * s * (1.0 - s)
