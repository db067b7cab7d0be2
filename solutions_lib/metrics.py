"""Classification metrics (week 8)."""
from __future__ import annotations

import numpy as np

from solutions_lib.validate import integer


def _labels(name, y, k):
    y = np.asarray(y)
    if y.ndim != 1:
        raise ValueError(f"{name} must be 1-D, got shape {y.shape}")
    if y.size and not np.issubdtype(y.dtype, np.integer):
        if not np.all(np.mod(y, 1) == 0):
            raise ValueError(f"{name} must hold integer class labels")
        y = y.astype(np.int64)
    if y.size and (y.min() < 0 or y.max() >= k):
        raise ValueError(f"{name} holds labels outside [0, {k}): from {y.min()} to {y.max()}")
    return y.astype(np.int64)


def confusion_matrix(y_true, y_pred, k) -> np.ndarray:
    """Counts of (true class, predicted class) pairs.

    Parameters
    ----------
    y_true, y_pred : ndarray (N,) of int in ``[0, k)``
    k : int >= 1
        Number of classes.

    Returns
    -------
    cm : ndarray (k, k) of int
        ``cm[a, b]`` = number of examples of true class ``a`` predicted as ``b``.
    """
    k = integer("k", k, 1)
    y_true, y_pred = _labels("y_true", y_true, k), _labels("y_pred", y_pred, k)
    if y_true.shape != y_pred.shape:
        raise ValueError(f"shape mismatch: y_true {y_true.shape} vs y_pred {y_pred.shape}")
    return np.bincount(y_true * k + y_pred, minlength=k * k).reshape(k, k)


def precision_recall(cm):
    """Per-class precision and recall of a confusion matrix.

    Parameters
    ----------
    cm : ndarray (k, k)
        Rows true class, columns predicted class.

    Returns
    -------
    precision : ndarray (k,)
        ``cm[c, c] / Σ_a cm[a, c]``; 0 for a class never predicted.
    recall : ndarray (k,)
        ``cm[c, c] / Σ_b cm[c, b]``; 0 for a class that never occurs.
    """
    cm = np.asarray(cm, dtype=np.float64)
    if cm.ndim != 2 or cm.shape[0] != cm.shape[1] or cm.shape[0] == 0:
        raise ValueError(f"cm must be a non-empty square (k, k) matrix, got shape {cm.shape}")
    if np.any(cm < 0):
        raise ValueError("cm must not hold negative counts")
    diag = np.diag(cm)
    predicted, actual = cm.sum(axis=0), cm.sum(axis=1)
    precision = np.divide(diag, predicted, out=np.zeros_like(diag), where=predicted > 0)
    recall = np.divide(diag, actual, out=np.zeros_like(diag), where=actual > 0)
    return precision, recall
