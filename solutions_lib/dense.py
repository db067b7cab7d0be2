"""Dense (fully connected) layers as plain functions (week 3).

Row convention of the sheets: ``z = x @ W + b`` with ``x (N, n_in)``, ``W (n_in, n_out)``,
``b (n_out,)``.
"""
from __future__ import annotations

import numpy as np

from solutions_lib.activations import sigmoid


def _matrix(name: str, a) -> np.ndarray:
    a = np.asarray(a, dtype=np.float64)
    if a.ndim != 2:
        raise ValueError(f"{name} must be 2-D, got shape {a.shape}")
    return a


def dense_forward(x, W, b) -> np.ndarray:
    """Affine map of a batch.

    Parameters
    ----------
    x : ndarray (N, n_in)
    W : ndarray (n_in, n_out)
    b : ndarray (n_out,)

    Returns
    -------
    z : ndarray (N, n_out)
        ``x @ W + b``.
    """
    x, W = _matrix("x", x), _matrix("W", W)
    b = np.asarray(b, dtype=np.float64)
    if x.shape[1] != W.shape[0]:
        raise ValueError(f"shape mismatch: x has {x.shape[1]} features but W has {W.shape[0]} rows")
    if b.shape != (W.shape[1],):
        raise ValueError(f"shape mismatch: b must have shape ({W.shape[1]},), got {b.shape}")
    return x @ W + b


def dense_backward(delta, x, W):
    """Derivatives of a dense layer ``z = x @ W + b``.

    Parameters
    ----------
    delta : ndarray (N, n_out)
        ``∂C/∂z``.
    x : ndarray (N, n_in)
        The layer's input in the forward pass.
    W : ndarray (n_in, n_out)

    Returns
    -------
    dx : ndarray (N, n_in)
        ``delta @ W.T``.
    dW : ndarray (n_in, n_out)
        ``x.T @ delta`` (summed over the batch).
    db : ndarray (n_out,)
        ``delta.sum(axis=0)``.
    """
    delta, x, W = _matrix("delta", delta), _matrix("x", x), _matrix("W", W)
    if x.shape[1] != W.shape[0]:
        raise ValueError(f"shape mismatch: x has {x.shape[1]} features but W has {W.shape[0]} rows")
    if delta.shape != (x.shape[0], W.shape[1]):
        raise ValueError(
            f"shape mismatch: delta must have shape ({x.shape[0]}, {W.shape[1]}), got {delta.shape}"
        )
    return delta @ W.T, x.T @ delta, delta.sum(axis=0)


def two_layer_gradients(x, y, V, W):
    """Gradients of the two-layer sigmoid network of sheet 002 ex. 4-1.

    ``a = σ([1, x] @ V)``, ``ŷ = σ([1, a] @ W)``, ``L = 1/2 Σ_n Σ_k (ŷ_nk - y_nk)²``
    (summed over the batch). Row 0 of ``V`` and ``W`` holds the biases.

    Parameters
    ----------
    x : ndarray (N, n_in)
    y : ndarray (N, n_out)
    V : ndarray (n_in + 1, n_h)
    W : ndarray (n_h + 1, n_out)

    Returns
    -------
    dV : ndarray (n_in + 1, n_h)
    dW : ndarray (n_h + 1, n_out)
    """
    x, y, V, W = (_matrix(n, a) for n, a in (("x", x), ("y", y), ("V", V), ("W", W)))
    if V.shape[0] != x.shape[1] + 1:
        raise ValueError(f"shape mismatch: V must have {x.shape[1] + 1} rows (bias + inputs), got {V.shape[0]}")
    if W.shape[0] != V.shape[1] + 1:
        raise ValueError(f"shape mismatch: W must have {V.shape[1] + 1} rows (bias + hidden), got {W.shape[0]}")
    if y.shape != (x.shape[0], W.shape[1]):
        raise ValueError(f"shape mismatch: y must have shape ({x.shape[0]}, {W.shape[1]}), got {y.shape}")
    ones = np.ones((x.shape[0], 1))
    x1 = np.hstack([ones, x])
    a = sigmoid(x1 @ V)
    a1 = np.hstack([ones, a])
    y_hat = sigmoid(a1 @ W)
    delta_out = (y_hat - y) * y_hat * (1.0 - y_hat)          # (N, n_out)
    dW = a1.T @ delta_out
    delta_h = (delta_out @ W[1:].T) * a * (1.0 - a)          # (N, n_h)
    dV = x1.T @ delta_h
    return dV, dW
