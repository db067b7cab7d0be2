"""Loss functions returning the loss and its derivative w.r.t. the prediction (week 3)."""
from __future__ import annotations

import numpy as np


def softmax_cross_entropy(logits, labels):
    """Mean cross-entropy of the softmax of ``logits`` against integer ``labels``.

    Computed with log-sum-exp, so logits of size 1000 give finite results.

    Parameters
    ----------
    logits : ndarray (N, K)
    labels : ndarray (N,) of int in ``[0, K)``

    Returns
    -------
    loss : float
        ``-1/N Σ_n log softmax(logits_n)[labels_n]``.
    dlogits : ndarray (N, K)
        ``(softmax(logits) - onehot(labels)) / N``.
    """
    logits = np.asarray(logits, dtype=np.float64)
    labels = np.asarray(labels)
    if logits.ndim != 2:
        raise ValueError(f"logits must be 2-D (N, K), got shape {logits.shape}")
    n, k = logits.shape
    if n == 0:
        raise ValueError("logits must hold at least one example")
    if labels.shape != (n,):
        raise ValueError(f"shape mismatch: labels must have shape ({n},), got {labels.shape}")
    if not np.issubdtype(labels.dtype, np.integer):
        if not np.all(np.equal(np.mod(labels, 1), 0)):
            raise ValueError("labels must be integers")
        labels = labels.astype(np.int64)
    if np.any(labels < 0) or np.any(labels >= k):
        raise ValueError(f"labels must lie in [0, {k}), got values from {labels.min()} to {labels.max()}")
    shifted = logits - logits.max(axis=1, keepdims=True)
    log_z = np.log(np.exp(shifted).sum(axis=1, keepdims=True))
    log_p = shifted - log_z
    rows = np.arange(n)
    loss = float(-log_p[rows, labels].mean())
    dlogits = np.exp(log_p)
    dlogits[rows, labels] -= 1.0
    return loss, dlogits / n


def sum_of_squares(y_pred, y):
    """Half the mean squared error summed over outputs: ``1/(2N) Σ_n ||y_pred_n - y_n||²``.

    Parameters
    ----------
    y_pred, y : ndarray (N, K)

    Returns
    -------
    loss : float
    dy_pred : ndarray (N, K)
        ``(y_pred - y) / N``.
    """
    y_pred = np.asarray(y_pred, dtype=np.float64)
    y = np.asarray(y, dtype=np.float64)
    if y_pred.shape != y.shape:
        raise ValueError(f"shape mismatch: y_pred {y_pred.shape} vs y {y.shape}")
    if y_pred.ndim != 2 or y_pred.shape[0] == 0:
        raise ValueError(f"y_pred must be 2-D (N, K) with N >= 1, got shape {y_pred.shape}")
    n = y_pred.shape[0]
    diff = y_pred - y
    return float(0.5 * np.sum(diff ** 2) / n), diff / n
