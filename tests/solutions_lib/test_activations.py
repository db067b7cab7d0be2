"""activations: closed forms, stability, finite-difference derivatives."""
import numpy as np
import pytest

from solutions_lib import relu, relu_backward, sigmoid, sigmoid_backward
from solutions_lib.gradcheck import numerical_gradient, relative_error

RNG = np.random.default_rng(4)


def test_values():
    np.testing.assert_array_equal(relu(np.array([-2.0, 0.0, 3.0])), [0, 0, 3])
    np.testing.assert_allclose(sigmoid(np.array([0.0, np.log(3)])), [0.5, 0.75])


def test_sigmoid_is_stable_for_large_inputs():
    with np.errstate(all="raise"):
        s = sigmoid(np.array([-1000.0, 1000.0]))
    np.testing.assert_array_equal(s, [0.0, 1.0])


@pytest.mark.parametrize("shape", [(5,), (3, 4), (2, 3, 4, 2)])
def test_backward_equals_finite_differences(shape):
    x = RNG.normal(size=shape)
    x[np.abs(x) < 1e-3] = 0.5  # keep away from the ReLU kink
    delta = RNG.normal(size=shape)
    assert relative_error(relu_backward(x, delta), numerical_gradient(lambda v: np.sum(delta * relu(v)), x.copy())) < 1e-8
    assert relative_error(sigmoid_backward(x, delta), numerical_gradient(lambda v: np.sum(delta * sigmoid(v)), x.copy())) < 1e-8


def test_shape_mismatch():
    with pytest.raises(ValueError):
        relu_backward(np.ones(3), np.ones(4))
    with pytest.raises(ValueError):
        sigmoid_backward(np.ones((2, 3)), np.ones((3, 2)))
