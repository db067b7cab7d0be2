"""conv2d: forward against a naive loop, backward against finite differences."""
import numpy as np
import pytest

from solutions_lib import backward_filters, conv2d_backward, conv2d_forward
from solutions_lib.gradcheck import numerical_gradient, relative_error

RNG = np.random.default_rng(2)
# (N, H, W, C), (kh, kw, K), stride, padding
CASES = [((2, 5, 5, 3), (3, 3, 4), 1, 0), ((1, 6, 7, 1), (3, 2, 2), 2, 1), ((3, 7, 6, 2), (3, 3, 2), 2, 0),
         ((1, 4, 4, 1), (1, 1, 1), 1, 0), ((2, 5, 6, 2), (5, 5, 3), 1, 2), ((1, 8, 8, 2), (3, 3, 2), 3, 1)]


def naive_forward(x, w, b, s, p):
    xp = np.pad(x, ((0, 0), (p, p), (p, p), (0, 0)))
    kh, kw, _, k = w.shape
    ho, wo = (xp.shape[1] - kh) // s + 1, (xp.shape[2] - kw) // s + 1
    out = np.zeros((x.shape[0], ho, wo, k))
    for n in range(x.shape[0]):
        for y in range(ho):
            for xx in range(wo):
                for kk in range(k):
                    out[n, y, xx, kk] = b[kk] + np.sum(xp[n, y * s:y * s + kh, xx * s:xx * s + kw, :] * w[..., kk])
    return out


@pytest.mark.parametrize("xs,ws,s,p", CASES)
def test_forward_equals_naive_loop(xs, ws, s, p):
    x = RNG.normal(size=xs)
    w = RNG.normal(size=(ws[0], ws[1], xs[3], ws[2]))
    b = RNG.normal(size=ws[2])
    np.testing.assert_allclose(conv2d_forward(x, w, b, s, p), naive_forward(x, w, b, s, p), atol=1e-12)


@pytest.mark.parametrize("xs,ws,s,p", CASES)
def test_backward_equals_finite_differences(xs, ws, s, p):
    x = RNG.normal(size=xs)
    w = RNG.normal(size=(ws[0], ws[1], xs[3], ws[2]))
    b = RNG.normal(size=ws[2])
    delta = RNG.normal(size=conv2d_forward(x, w, b, s, p).shape)
    dx, dw, db = conv2d_backward(delta, x, w, s, p)
    assert relative_error(dx, numerical_gradient(lambda v: np.sum(delta * conv2d_forward(v, w, b, s, p)), x.copy())) < 1e-7
    assert relative_error(dw, numerical_gradient(lambda v: np.sum(delta * conv2d_forward(x, v, b, s, p)), w.copy())) < 1e-7
    numerical_db = numerical_gradient(lambda v: np.sum(delta * conv2d_forward(x, w, v, s, p)), b.copy())
    assert relative_error(db, numerical_db) < 1e-7


def test_backward_filters_sheet003_task2():
    # Two input channels, two filters, 2x3 kernels; w[:, :, c_in, c_out]. The sheet lists them
    # as f0 = (in 0, out 0), f1 = (in 1, out 0), f2 = (in 0, out 1), f3 = (in 1, out 1), with
    # consistent values 1..24 (its second f1, printed with a "24", is a typo).
    f = [np.array([[1, 3, 5], [2, 4, 6]]), np.array([[7, 9, 11], [8, 10, 12]]),
         np.array([[13, 15, 17], [14, 16, 18]]), np.array([[19, 21, 23], [20, 22, 24]])]
    w = np.zeros((2, 3, 2, 2))
    w[:, :, 0, 0], w[:, :, 1, 0], w[:, :, 0, 1], w[:, :, 1, 1] = f
    wb = backward_filters(w)
    assert wb.shape == (2, 3, 2, 2)
    np.testing.assert_array_equal(wb[:, :, 0, 0], [[6, 4, 2], [5, 3, 1]])
    np.testing.assert_array_equal(wb[:, :, 1, 0], [[18, 16, 14], [17, 15, 13]])  # channels swapped
    np.testing.assert_array_equal(wb[:, :, 0, 1], [[12, 10, 8], [11, 9, 7]])
    np.testing.assert_array_equal(backward_filters(np.zeros((3, 2, 4, 5))).shape, (3, 2, 5, 4))


@pytest.mark.parametrize("call", [
    lambda: conv2d_forward(np.ones((1, 4, 4, 2)), np.ones((3, 3, 3, 1)), np.ones(1)),
    lambda: conv2d_forward(np.ones((4, 4, 2)), np.ones((3, 3, 2, 1)), np.ones(1)),
    lambda: conv2d_forward(np.ones((1, 4, 4, 2)), np.ones((3, 3, 2, 1)), np.ones(2)),
    lambda: conv2d_forward(np.ones((1, 2, 2, 1)), np.ones((3, 3, 1, 1)), np.ones(1)),
    lambda: conv2d_forward(np.ones((1, 4, 4, 1)), np.ones((3, 3, 1, 1)), np.ones(1), stride=0),
    lambda: conv2d_backward(np.ones((1, 3, 3, 1)), np.ones((1, 4, 4, 1)), np.ones((3, 3, 1, 1))),
])
def test_bad_input(call):
    with pytest.raises(ValueError):
        call()
