"""Tests of solutions_lib.optimizers against explicit loops over steps."""
import numpy as np
import pytest

from solutions_lib.optimizers import SGD, Momentum


def test_sgd_in_place():
    w, b = np.array([[1.0, 2.0]]), np.array([0.5])
    ref_w, ref_b = w, b
    SGD(0.1).update([w, b], [np.array([[1.0, -2.0]]), np.array([4.0])])
    assert w is ref_w and b is ref_b
    np.testing.assert_allclose(w, [[0.9, 2.2]])
    np.testing.assert_allclose(b, [0.1])


def test_momentum_against_loop():
    rng = np.random.default_rng(3)
    eta, mu = 0.05, 0.8
    shapes = [(3, 2), (2,)]
    params = [rng.normal(size=s) for s in shapes]
    ref = [p.copy() for p in params]
    m = [np.zeros(s) for s in shapes]
    opt = Momentum(eta, mu)
    for _ in range(6):
        grads = [rng.normal(size=s) for s in shapes]
        opt.update(params, grads)
        for k in range(len(shapes)):
            m[k] = mu * m[k] + (1 - mu) * grads[k]
            ref[k] = ref[k] - eta * m[k]
    for p, r in zip(params, ref):
        np.testing.assert_allclose(p, r, rtol=1e-13)


def test_momentum_first_step_has_one_minus_mu_factor():
    w = np.array([1.0])
    Momentum(1.0, 0.9).update([w], [np.array([1.0])])
    np.testing.assert_allclose(w, [1.0 - 0.1])


def test_bad_input():
    with pytest.raises(ValueError, match="eta"):
        SGD(0)
    with pytest.raises(ValueError, match="mu"):
        Momentum(0.1, 1.0)
    with pytest.raises(ValueError, match="mismatch"):
        SGD(0.1).update([np.zeros(2)], [np.zeros(3)])
    with pytest.raises(ValueError, match="gradients"):
        SGD(0.1).update([np.zeros(2)], [])


@pytest.mark.parametrize("make", [lambda: SGD(0.3), lambda: Momentum(0.3, 0.7)])
def test_update_leaves_the_gradient_arrays_unchanged(make):
    rng = np.random.default_rng(5)
    params = [rng.normal(size=(2, 3)), rng.normal(size=3)]
    opt = make()
    for _ in range(3):
        grads = [rng.normal(size=(2, 3)), rng.normal(size=3)]
        kept = [g.copy() for g in grads]
        opt.update(params, grads)
        for g, k in zip(grads, kept):
            np.testing.assert_array_equal(g, k)
