"""pooling: forward against loops, backward against finite differences and the tie rule."""
import numpy as np
import pytest

from solutions_lib import avgpool2d_backward, avgpool2d_forward, maxpool2d_backward, maxpool2d_forward
from solutions_lib.gradcheck import numerical_gradient, relative_error

RNG = np.random.default_rng(3)
CASES = [((2, 4, 4, 3), 2, 2), ((1, 5, 7, 1), 2, 2), ((2, 6, 5, 2), 3, 1), ((1, 7, 7, 2), 3, 2), ((3, 3, 3, 1), 1, 1)]


def loop_pool(x, size, stride, fn):
    n, h, w, c = x.shape
    ho, wo = (h - size) // stride + 1, (w - size) // stride + 1
    out = np.zeros((n, ho, wo, c))
    for y in range(ho):
        for xx in range(wo):
            out[:, y, xx, :] = fn(x[:, y * stride:y * stride + size, xx * stride:xx * stride + size, :], axis=(1, 2))
    return out


@pytest.mark.parametrize("shape,size,stride", CASES)
def test_forward_equals_loops(shape, size, stride):
    x = RNG.normal(size=shape)
    np.testing.assert_allclose(maxpool2d_forward(x, size, stride), loop_pool(x, size, stride, np.max))
    np.testing.assert_allclose(avgpool2d_forward(x, size, stride), loop_pool(x, size, stride, np.mean))


@pytest.mark.parametrize("shape,size,stride", CASES)
def test_backward_equals_finite_differences(shape, size, stride):
    x = RNG.normal(size=shape)  # distinct values: max pooling is differentiable there
    delta = RNG.normal(size=maxpool2d_forward(x, size, stride).shape)
    num = numerical_gradient(lambda v: np.sum(delta * maxpool2d_forward(v, size, stride)), x.copy(), eps=1e-7)
    assert relative_error(maxpool2d_backward(delta, x, size, stride), num) < 1e-7
    num = numerical_gradient(lambda v: np.sum(delta * avgpool2d_forward(v, size, stride)), x.copy())
    assert relative_error(avgpool2d_backward(delta, x, size, stride), num) < 1e-8


def test_ties_send_gradient_to_the_first_maximum_only():
    x = np.ones((1, 2, 2, 1))
    dx = maxpool2d_backward(np.array([[[[5.0]]]]), x)
    np.testing.assert_array_equal(dx[0, :, :, 0], [[5, 0], [0, 0]])


def loop_maxpool_backward(delta, x, size, stride):
    """Oracle: each window's delta to its first maximum in row-major order, window by window."""
    dx = np.zeros_like(x)
    for n, y, xx, c in np.ndindex(delta.shape):
        window = x[n, y * stride:y * stride + size, xx * stride:xx * stride + size, c]
        u, v = np.unravel_index(np.argmax(window), window.shape)  # argmax: the first maximum
        dx[n, y * stride + u, xx * stride + v, c] += delta[n, y, xx, c]
    return dx


@pytest.mark.parametrize("shape,size,stride", CASES)
def test_backward_with_ties_equals_the_window_loop(shape, size, stride):
    x = RNG.integers(0, 3, size=shape).astype(float)  # few values: many tied maxima, overlapping windows too
    delta = RNG.normal(size=maxpool2d_forward(x, size, stride).shape)
    np.testing.assert_allclose(maxpool2d_backward(delta, x, size, stride), loop_maxpool_backward(delta, x, size, stride),
                               rtol=1e-12, atol=1e-15)


def test_average_backward_divides_by_k():
    dx = avgpool2d_backward(np.full((1, 1, 1, 1), 4.0), np.zeros((1, 2, 2, 1)))
    np.testing.assert_array_equal(dx[0, :, :, 0], np.ones((2, 2)))


@pytest.mark.parametrize("call", [
    lambda: maxpool2d_forward(np.ones((1, 1, 1, 1)), 2, 2),
    lambda: maxpool2d_forward(np.ones((4, 4)), 2, 2),
    lambda: avgpool2d_forward(np.ones((1, 4, 4, 1)), 0, 1),
    lambda: maxpool2d_backward(np.ones((1, 3, 3, 1)), np.ones((1, 4, 4, 1))),
])
def test_bad_input(call):
    with pytest.raises(ValueError):
        call()
