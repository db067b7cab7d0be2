"""Week 8 catalogue — classification metrics of the CNN capstone: hidden cases, typical mistakes, alternatives."""
from __future__ import annotations

import numpy as np

from solutions_lib.grading.catalogue import Week, case, error

week = Week("w08_cnn_capstone")


# ======================================================================================
# hidden cases
# ======================================================================================

@week.cases("confusion_matrix")
def _confusion_matrix_cases(r):
    cases = [case(f"{n} labels, k={k}", [r.integers(0, k, n), r.integers(0, k, n), k])
             for n, k in [(10, 3), (1, 2), (30, 5), (5, 4)]]
    cases.append(error("label 3 with k=3", [np.array([0, 3]), np.array([0, 1]), 3]))
    return cases


@week.cases("precision_recall")
def _precision_recall_cases(r):
    cases = [case(f"a {k}x{k} confusion matrix", [r.integers(0, 6, (k, k))]) for k in (2, 3, 5)]
    cm = np.array([[3, 0, 1], [2, 0, 0], [0, 0, 4]])
    cases.append(case("a class never predicted (column of zeros)", [cm]))
    cases.append(error("a 2x3 matrix", [np.ones((2, 3), int)]))
    return cases


# ======================================================================================
# typical mistakes
# ======================================================================================

@week.mistake("rows and columns are swapped: rows are the true class, columns the predicted")
def confusion_matrix__transposed(y_true, y_pred, k):
    y_true, y_pred = np.asarray(y_true), np.asarray(y_pred)
    if y_true.shape != y_pred.shape or y_true.min() < 0 or y_pred.min() < 0 or max(y_true.max(), y_pred.max()) >= k:
        raise ValueError("bad labels")
    cm = np.zeros((k, k), dtype=int)
    np.add.at(cm, (y_pred, y_true), 1)
    return cm


def _square(cm):
    """``cm`` as a float array; ``ValueError`` unless it is a square matrix."""
    cm = np.asarray(cm, dtype=float)
    if cm.ndim != 2 or cm.shape[0] != cm.shape[1]:
        raise ValueError("cm must be square")
    return cm


@week.mistake("a class never predicted gets precision NaN; it must be 0")
def precision_recall__nan_for_never_predicted(cm):
    cm = _square(cm)
    tp = np.diag(cm)
    with np.errstate(all="ignore"):
        return tp / cm.sum(axis=0), np.where(cm.sum(axis=1) > 0, tp / np.maximum(cm.sum(axis=1), 1), 0.0)


@week.mistake("precision and recall are swapped: precision divides by the column (predicted) sums")
def precision_recall__swapped(cm):
    cm = _square(cm)
    tp = np.diag(cm)
    col, row = cm.sum(axis=0), cm.sum(axis=1)
    return np.where(row > 0, tp / np.maximum(row, 1), 0.0), np.where(col > 0, tp / np.maximum(col, 1), 0.0)


# ======================================================================================
# correct alternatives (written differently from the reference)
# ======================================================================================

@week.alternative
def confusion_matrix(y_true, y_pred, k):
    """A Python loop over the (true, predicted) pairs, one count at a time."""
    y_true, y_pred = np.asarray(y_true), np.asarray(y_pred)
    if y_true.shape != y_pred.shape or y_true.min() < 0 or y_pred.min() < 0 or max(y_true.max(), y_pred.max()) >= k:
        raise ValueError("bad labels")
    cm = np.zeros((k, k), dtype=int)
    for t, p in zip(y_true, y_pred):
        cm[t, p] += 1
    return cm


@week.alternative
def precision_recall(cm):
    """A loop over the classes: the diagonal entry over its column sum (precision) and its row sum (recall)."""
    cm = np.asarray(cm, dtype=float)
    if cm.ndim != 2 or cm.shape[0] != cm.shape[1]:
        raise ValueError("cm must be square")
    k = cm.shape[0]
    precision, recall = np.zeros(k), np.zeros(k)
    for c in range(k):
        predicted, actual = sum(cm[a, c] for a in range(k)), sum(cm[c, b] for b in range(k))
        precision[c] = cm[c, c] / predicted if predicted > 0 else 0.0
        recall[c] = cm[c, c] / actual if actual > 0 else 0.0
    return precision, recall
