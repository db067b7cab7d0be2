"""Tests of solutions_lib.metrics against loops."""
import warnings

import numpy as np
import pytest

from solutions_lib.metrics import confusion_matrix, precision_recall


@pytest.mark.parametrize("N,k", [(0, 1), (1, 1), (20, 3), (200, 10)])
def test_confusion_matrix_against_loop(N, k):
    rng = np.random.default_rng(N + k)
    yt, yp = rng.integers(0, k, size=N), rng.integers(0, k, size=N)
    cm = confusion_matrix(yt, yp, k)
    ref = np.zeros((k, k), dtype=int)
    for a, b in zip(yt, yp):
        ref[a, b] += 1
    np.testing.assert_array_equal(cm, ref)
    assert np.issubdtype(cm.dtype, np.integer) and cm.sum() == N


def test_precision_recall_against_loop():
    cm = np.array([[5, 1, 0], [2, 3, 1], [0, 0, 4]])
    p, r = precision_recall(cm)
    for c in range(3):
        assert p[c] == pytest.approx(cm[c, c] / sum(cm[a, c] for a in range(3)))
        assert r[c] == pytest.approx(cm[c, c] / sum(cm[c, b] for b in range(3)))


def test_never_predicted_class_has_precision_zero_without_warning():
    cm = confusion_matrix(np.array([0, 1, 2, 2]), np.array([0, 0, 0, 1]), 4)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        p, r = precision_recall(cm)
    assert not np.any(np.isnan(p)) and not np.any(np.isnan(r))
    assert p[2] == 0 and p[3] == 0 and r[3] == 0
    assert p[0] == pytest.approx(1 / 3)


def test_bad_input():
    with pytest.raises(ValueError, match="outside"):
        confusion_matrix(np.array([0, 3]), np.array([0, 1]), 3)
    with pytest.raises(ValueError, match="outside"):
        confusion_matrix(np.array([0, 1]), np.array([-1, 1]), 3)
    with pytest.raises(ValueError, match="mismatch"):
        confusion_matrix(np.array([0, 1]), np.array([0]), 3)
    with pytest.raises(ValueError, match="square"):
        precision_recall(np.zeros((2, 3)))


@pytest.mark.parametrize("seed", range(5))
def test_precision_recall_against_loop_with_empty_rows_and_columns(seed):
    """Random matrices with some classes never predicted (zero column) and some never occurring
    (zero row): the loop's 0/0 -> 0 convention, everywhere else the plain quotient."""
    rng = np.random.default_rng(seed)
    k = 6
    cm = rng.integers(0, 5, (k, k))
    cm[:, rng.integers(0, k)] = 0
    cm[rng.integers(0, k), :] = 0
    p, r = precision_recall(cm)
    for c in range(k):
        col, row = sum(cm[a, c] for a in range(k)), sum(cm[c, b] for b in range(k))
        assert p[c] == (cm[c, c] / col if col else 0.0)
        assert r[c] == (cm[c, c] / row if row else 0.0)
