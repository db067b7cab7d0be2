"""convolution: against np.convolve, scipy.signal and a naive loop; the sheet-002 numbers."""
import itertools

import numpy as np
import pytest
from scipy import signal

from solutions_lib import (
    SHEET002_FILTERS,
    SHEET002_IMAGE,
    convolve_full,
    convolve_valid,
    correlate_valid,
    flip,
    kernel_gradient,
    sobel_laplace_responses,
)
from solutions_lib.gradcheck import numerical_gradient, relative_error

RNG = np.random.default_rng(1)
SHAPES = [((7,), (3,)), ((5,), (5,)), ((1,), (1,)), ((6, 5), (3, 2)), ((4, 4), (1, 1)),
          ((5, 4, 3), (2, 3, 1)), ((3, 4, 2, 3), (2, 2, 2, 2))]


def naive_full(x, f):
    out = np.zeros(tuple(n + k - 1 for n, k in zip(x.shape, f.shape)))
    for n in itertools.product(*map(range, out.shape)):
        for i in itertools.product(*map(range, f.shape)):
            j = tuple(a - b for a, b in zip(n, i))
            if all(0 <= a < s for a, s in zip(j, x.shape)):
                out[n] += x[j] * f[i]
    return out


def test_flip_reverses_every_axis():
    a = np.arange(24.).reshape(2, 3, 4)
    assert np.array_equal(flip(a), a[::-1, ::-1, ::-1])
    assert np.array_equal(flip(flip(a)), a)


def test_convolve_full_1d_equals_np_convolve():
    for n, k in [(7, 3), (3, 7), (1, 4), (10, 10)]:
        x, f = RNG.normal(size=n), RNG.normal(size=k)
        np.testing.assert_allclose(convolve_full(x, f), np.convolve(x, f, "full"), rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("xs,ks", SHAPES)
def test_against_scipy_and_naive_loop(xs, ks):
    x, f = RNG.normal(size=xs), RNG.normal(size=ks)
    np.testing.assert_allclose(convolve_full(x, f), signal.convolve(x, f, "full", method="direct"), atol=1e-12)
    np.testing.assert_allclose(convolve_full(x, f), naive_full(x, f), atol=1e-12)
    np.testing.assert_allclose(correlate_valid(x, f), signal.correlate(x, f, "valid", method="direct"), atol=1e-12)
    np.testing.assert_allclose(convolve_valid(x, f), signal.convolve(x, f, "valid", method="direct"), atol=1e-12)
    assert convolve_full(x, f).shape == tuple(n + k - 1 for n, k in zip(xs, ks))


@pytest.mark.parametrize("xs,ks", SHAPES)
def test_convolution_commutes(xs, ks):
    x, f = RNG.normal(size=xs), RNG.normal(size=ks)
    np.testing.assert_allclose(convolve_full(x, f), convolve_full(f, x), atol=1e-12)


def test_bad_input_raises_value_error():
    with pytest.raises(ValueError, match="dimensions"):
        convolve_full(np.ones((3, 3)), np.ones(3))
    with pytest.raises(ValueError, match="larger"):
        correlate_valid(np.ones((3, 3)), np.ones((4, 1)))
    with pytest.raises(ValueError):
        convolve_valid(np.ones(0), np.ones(1))


def test_sheet002_responses():
    s = sobel_laplace_responses()
    assert s.shape == (3, 3, 3) and s[0, 0, 0] == 11
    # by hand: Sobel-x at (0, 0): 1*5 - 1*2 + 2*5 - 2*2 + 1*7 - 1*5 = 11;
    # Laplace at the centre: 5 + 2 + 7 + 7 - 4*5 = ... on the 5x5 image rows 1..3, cols 1..3
    img = SHEET002_IMAGE
    assert s[2, 1, 1] == img[1, 2] + img[3, 2] + img[2, 1] + img[2, 3] - 4 * img[2, 2]
    for k in range(3):
        np.testing.assert_array_equal(s[k], signal.correlate(SHEET002_IMAGE, SHEET002_FILTERS[k], "valid"))
    # convolution instead of correlation flips the sign of the antisymmetric Sobel responses
    np.testing.assert_array_equal(convolve_valid(SHEET002_IMAGE, SHEET002_FILTERS[0]), -s[0])


@pytest.mark.parametrize("a_shape,k_shape", [((3, 3), (2, 2)), ((6, 5), (3, 2)), ((4, 4), (1, 1)), ((5, 7), (5, 3))])
def test_kernel_gradient_is_finite_difference_gradient(a_shape, k_shape):
    a, f = RNG.normal(size=a_shape), RNG.normal(size=k_shape)
    delta = RNG.normal(size=tuple(n - k + 1 for n, k in zip(a_shape, k_shape)))
    cost = lambda F: float(np.sum(delta * convolve_valid(a, F)))  # C = Σ Δ ⊙ (A * F)
    g = kernel_gradient(a, delta)
    assert relative_error(g, numerical_gradient(cost, f.copy())) < 1e-8
    # sheet 000 ex. 2: flip(A * flip(Δ)) == flip(A) * Δ
    np.testing.assert_allclose(flip(convolve_valid(a, flip(delta))), g, atol=1e-12)


def test_kernel_gradient_rejects_bad_shapes():
    with pytest.raises(ValueError):
        kernel_gradient(np.ones((3, 3, 1)), np.ones((2, 2)))
    with pytest.raises(ValueError):
        kernel_gradient(np.ones((3, 3)), np.ones((4, 2)))


@pytest.mark.parametrize("n,h,w,c_in,kh,kw,c_out", [(1, 4, 4, 1, 2, 2, 1), (2, 5, 6, 2, 3, 2, 3), (1, 3, 3, 3, 3, 3, 2)])
def test_conv2d_input_gradient_is_the_dx_of_the_layer(n, h, w, c_in, kh, kw, c_out):
    """The composition (padded delta ⋆ backward filters) against conv2d_backward's dx and finite differences."""
    from solutions_lib import conv2d_backward, conv2d_forward, conv2d_input_gradient

    rng = np.random.default_rng(h * w + c_out)
    x, wt = rng.normal(size=(n, h, w, c_in)), rng.normal(size=(kh, kw, c_in, c_out))
    delta = rng.normal(size=(n, h - kh + 1, w - kw + 1, c_out))
    dx = conv2d_input_gradient(delta, wt)
    np.testing.assert_allclose(dx, conv2d_backward(delta, x, wt)[0], rtol=1e-12, atol=1e-12)
    num = numerical_gradient(lambda x_: np.sum(delta * conv2d_forward(x_, wt, np.zeros(c_out))), x)
    assert relative_error(dx, num) < 1e-8


def test_conv2d_input_gradient_bad_input():
    from solutions_lib import conv2d_input_gradient

    with pytest.raises(ValueError, match="channels"):
        conv2d_input_gradient(np.zeros((1, 2, 2, 3)), np.zeros((2, 2, 1, 2)))
    with pytest.raises(ValueError):
        conv2d_input_gradient(np.zeros((2, 2, 3)), np.zeros((2, 2, 1, 3)))
