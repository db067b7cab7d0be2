"""Tests of solutions_lib.losses against loops, float128 oracles and finite differences."""
import warnings

import numpy as np
import pytest

from solutions_lib.gradcheck import numerical_gradient, relative_error
from solutions_lib.losses import softmax_cross_entropy, sum_of_squares


def naive_softmax_ce(logits, labels):
    """Loop oracle in extended precision with explicit log-sum-exp."""
    total = np.longdouble(0)
    for row, lab in zip(np.asarray(logits, dtype=np.longdouble), labels):
        m = max(row)
        lse = m + np.log(sum(np.exp(v - m) for v in row))
        total += lse - row[lab]
    return float(total / len(labels))


@pytest.mark.parametrize("N,K", [(1, 1), (1, 3), (4, 5), (9, 10)])
def test_softmax_ce_against_loop_and_fd(N, K):
    rng = np.random.default_rng(N * K)
    logits, labels = rng.normal(scale=3, size=(N, K)), rng.integers(0, K, size=N)
    loss, d = softmax_cross_entropy(logits, labels)
    assert isinstance(loss, float)
    assert loss == pytest.approx(naive_softmax_ce(logits, labels), rel=1e-12, abs=1e-12)
    num = numerical_gradient(lambda z: softmax_cross_entropy(z, labels)[0], logits)
    assert relative_error(d, num) < 1e-7
    # mean, not sum: each row of dlogits sums to zero and is scaled by 1/N
    np.testing.assert_allclose(d.sum(axis=1), 0, atol=1e-15)


def test_softmax_ce_large_logits_stable():
    rng = np.random.default_rng(1)
    logits = rng.normal(scale=1000, size=(6, 1000))
    logits[0, 3] = 1000.0
    labels = rng.integers(0, 1000, size=6)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        loss, d = softmax_cross_entropy(logits, labels)
    assert np.isfinite(loss) and np.all(np.isfinite(d))
    assert loss == pytest.approx(naive_softmax_ce(logits, labels), rel=1e-12)
    z = np.full((1, 1000), 1000.0)
    loss, _ = softmax_cross_entropy(z, np.array([0]))
    assert loss == pytest.approx(np.log(1000), rel=1e-12)


def test_softmax_ce_bad_input():
    with pytest.raises(ValueError, match="labels must lie"):
        softmax_cross_entropy(np.zeros((2, 3)), np.array([0, 3]))
    with pytest.raises(ValueError, match="labels must lie"):
        softmax_cross_entropy(np.zeros((2, 3)), np.array([-1, 0]))
    with pytest.raises(ValueError, match="mismatch"):
        softmax_cross_entropy(np.zeros((2, 3)), np.array([0]))
    with pytest.raises(ValueError, match="2-D"):
        softmax_cross_entropy(np.zeros(3), np.array([0]))


@pytest.mark.parametrize("N,K", [(1, 1), (3, 4), (10, 2)])
def test_sum_of_squares(N, K):
    rng = np.random.default_rng(N + K)
    yp, y = rng.normal(size=(N, K)), rng.normal(size=(N, K))
    loss, d = sum_of_squares(yp, y)
    oracle = sum((yp[n, k] - y[n, k]) ** 2 for n in range(N) for k in range(K)) / (2 * N)
    assert loss == pytest.approx(oracle, rel=1e-12)
    assert relative_error(d, numerical_gradient(lambda v: sum_of_squares(v, y)[0], yp)) < 1e-7


def test_sum_of_squares_bad_input():
    with pytest.raises(ValueError, match="mismatch"):
        sum_of_squares(np.zeros((2, 3)), np.zeros((3, 2)))
