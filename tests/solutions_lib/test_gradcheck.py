"""gradcheck: exact on polynomials, relative error semantics."""
import numpy as np
import pytest

from solutions_lib.gradcheck import numerical_gradient, relative_error


def test_numerical_gradient_of_a_quadratic_is_exact():
    a = np.random.default_rng(5).normal(size=(3, 4))
    x = np.random.default_rng(6).normal(size=(3, 4))
    g = numerical_gradient(lambda v: float(np.sum(a * v ** 2)), x.copy())
    np.testing.assert_allclose(g, 2 * a * x, rtol=1e-7, atol=1e-9)


def test_numerical_gradient_restores_x():
    x = np.arange(4.0)
    numerical_gradient(lambda v: float(np.sum(v ** 3)), x)
    np.testing.assert_array_equal(x, np.arange(4.0))


def test_relative_error():
    assert relative_error(np.zeros(3), np.zeros(3)) == 0.0
    assert relative_error(np.array([1.0]), np.array([1.0 + 1e-9])) < 1e-9
    assert relative_error(np.array([1.0]), np.array([-1.0])) == 1.0
    with pytest.raises(ValueError):
        relative_error(np.zeros(2), np.zeros(3))
    with pytest.raises(ValueError):
        numerical_gradient(lambda v: 0.0, np.arange(3))  # integer array cannot be perturbed
