"""Tests of solutions_lib.dense: naive loops and central finite differences as oracles."""
import numpy as np
import pytest

from solutions_lib.dense import dense_backward, dense_forward, two_layer_gradients
from solutions_lib.gradcheck import numerical_gradient, relative_error

TOL = 1e-7


def naive_dense(x, W, b):
    N, n_in = x.shape
    out = np.zeros((N, W.shape[1]))
    for n in range(N):
        for j in range(W.shape[1]):
            out[n, j] = b[j] + sum(x[n, i] * W[i, j] for i in range(n_in))
    return out


def test_sheet_003_task_1():
    W = np.array([[1.0, 3, 5], [2, 4, 6]])
    b = np.array([1.0, 2, 3])
    x = np.array([[1.0, 2]])
    np.testing.assert_allclose(dense_forward(x, W, b), [[6, 13, 20]])
    dx, dW, db = dense_backward(np.array([[0, 0.5, 1]]), x, W)
    np.testing.assert_allclose(dx, [[6.5, 8.0]])  # errata: the sheet prints "6.58"
    np.testing.assert_allclose(dW, [[0, 0.5, 1], [0, 1, 2]])
    np.testing.assert_allclose(db, [0, 0.5, 1])


@pytest.mark.parametrize("N,n_in,n_out", [(1, 1, 1), (3, 4, 2), (7, 5, 6)])
def test_forward_against_loops(N, n_in, n_out):
    rng = np.random.default_rng(N * 100 + n_in)
    x, W, b = rng.normal(size=(N, n_in)), rng.normal(size=(n_in, n_out)), rng.normal(size=n_out)
    np.testing.assert_allclose(dense_forward(x, W, b), naive_dense(x, W, b), rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("N,n_in,n_out", [(1, 1, 1), (3, 4, 2), (6, 3, 5)])
def test_backward_finite_differences(N, n_in, n_out):
    rng = np.random.default_rng(7 + N)
    x, W, b = rng.normal(size=(N, n_in)), rng.normal(size=(n_in, n_out)), rng.normal(size=n_out)
    R = rng.normal(size=(N, n_out))  # C = Σ R ⊙ z, so ∂C/∂z = R
    dx, dW, db = dense_backward(R, x, W)
    assert relative_error(dx, numerical_gradient(lambda v: np.sum(R * dense_forward(v, W, b)), x)) < TOL
    assert relative_error(dW, numerical_gradient(lambda v: np.sum(R * dense_forward(x, v, b)), W)) < TOL
    assert relative_error(db, numerical_gradient(lambda v: np.sum(R * dense_forward(x, W, v)), b)) < TOL
    # db must be summed over the batch, not averaged or taken from one row
    np.testing.assert_allclose(db, [sum(R[n, j] for n in range(N)) for j in range(n_out)])


def test_bad_shapes():
    with pytest.raises(ValueError, match="mismatch"):
        dense_forward(np.ones((2, 3)), np.ones((4, 2)), np.ones(2))
    with pytest.raises(ValueError, match="b must"):
        dense_forward(np.ones((2, 3)), np.ones((3, 2)), np.ones(3))
    with pytest.raises(ValueError, match="2-D"):
        dense_forward(np.ones(3), np.ones((3, 2)), np.ones(2))
    with pytest.raises(ValueError, match="delta"):
        dense_backward(np.ones((2, 3)), np.ones((2, 3)), np.ones((3, 2)))


def _two_layer_loss(x, y, V, W):
    sig = lambda z: 1 / (1 + np.exp(-z))
    N = x.shape[0]
    a = sig(np.hstack([np.ones((N, 1)), x]) @ V)
    y_hat = sig(np.hstack([np.ones((N, 1)), a]) @ W)
    return 0.5 * np.sum((y_hat - y) ** 2)


@pytest.mark.parametrize("N,n_in,n_h,n_out", [(1, 2, 2, 1), (5, 3, 4, 2), (8, 1, 3, 3)])
def test_two_layer_gradients_finite_differences(N, n_in, n_h, n_out):
    rng = np.random.default_rng(N + 10 * n_in)
    x, y = rng.normal(size=(N, n_in)), rng.uniform(size=(N, n_out))
    V, W = rng.normal(size=(n_in + 1, n_h)), rng.normal(size=(n_h + 1, n_out))
    dV, dW = two_layer_gradients(x, y, V, W)
    assert dV.shape == V.shape and dW.shape == W.shape
    assert relative_error(dV, numerical_gradient(lambda v: _two_layer_loss(x, y, v, W), V)) < TOL
    assert relative_error(dW, numerical_gradient(lambda w: _two_layer_loss(x, y, V, w), W)) < TOL


def test_two_layer_gradients_bad_shapes():
    with pytest.raises(ValueError, match="V must"):
        two_layer_gradients(np.ones((2, 3)), np.ones((2, 1)), np.ones((3, 2)), np.ones((3, 1)))
    with pytest.raises(ValueError, match="y must"):
        two_layer_gradients(np.ones((2, 3)), np.ones((2, 2)), np.ones((4, 2)), np.ones((3, 1)))
