"""Week 1 catalogue — convolution and its commutativity: hidden cases, typical mistakes, alternatives."""
from __future__ import annotations

import numpy as np

from solutions_lib.grading.catalogue import Week, case, error, shape_of

week = Week("w01_convolution")


# ======================================================================================
# hidden cases
# ======================================================================================

@week.cases("flip")
def _flip_cases(r):
    return [case(f"a of shape {shape}", [r.standard_normal(shape)])
            for shape in [(7,), (3, 4), (2, 3, 4), (1,), (1, 5), (2, 2, 2, 3)]]


def _pairs_nd(r, allow_bigger_kernel):
    pairs = [((6,), (3,)), ((4, 5), (2, 3)), ((5, 5), (3, 3)), ((3, 4, 5), (2, 2, 3)),
             ((5, 4), (1, 1)), ((1, 6), (1, 2)), ((2, 3, 2, 3), (2, 1, 2, 2)), ((4,), (4,))]
    if allow_bigger_kernel:
        pairs += [((3,), (5,)), ((2, 3), (3, 2))]
    return [(r.standard_normal(xs), r.standard_normal(ks)) for xs, ks in pairs]


@week.cases("convolve_full")
def _full_cases(r):
    cases = [case(f"x {shape_of(x)}, f {shape_of(f)}", [x, f]) for x, f in _pairs_nd(r, True)]
    cases.append(case("x and f as nested lists of integers", [[[1, 2, 0], [3, 4, 1]], [[1, 0], [0, -1]]]))
    cases.append(error("x of 2 dimensions, f of 1 (ndim differ)", [r.standard_normal((3, 3)), r.standard_normal(2)]))
    cases.append(error("x empty, shape (0, 3)", [np.zeros((0, 3)), r.standard_normal((2, 2))]))
    cases.append(error("x and f 0-dimensional (numbers, not arrays)", [np.float64(3.0), np.float64(2.0)]))
    return cases


@week.cases("correlate_valid", "convolve_valid")
def _valid_cases(r):
    cases = [case(f"x {shape_of(x)}, kernel {shape_of(k)}", [x, k]) for x, k in _pairs_nd(r, False)]
    cases.append(case("x and kernel as nested lists of integers", [[[1, 2, 0], [3, 4, 1]], [[1, 0], [0, -1]]]))
    cases.append(error("kernel (5,) larger than x (3,)", [r.standard_normal(3), r.standard_normal(5)]))
    cases.append(error("kernel empty, shape (0, 2)", [r.standard_normal((3, 3)), np.zeros((0, 2))]))
    cases.append(error("kernel (2, 6) wider than x (4, 4)", [r.standard_normal((4, 4)), r.standard_normal((2, 6))]))
    cases.append(error("x of 2 dimensions, kernel of 1 (ndim differ)",
                       [r.standard_normal((4, 4)), r.standard_normal(2)]))
    return cases


@week.cases("sobel_laplace_responses")
def _sobel_cases(r):
    return [case("no arguments (the sheet-002 image and filters)", [])]


# ======================================================================================
# typical mistakes
# ======================================================================================

@week.mistake("only the first axis is reversed; flip reverses every axis")
def flip__only_first_axis(a):
    return np.asarray(a)[::-1].copy()


@week.mistake("you transposed the array; flip reverses the order of the entries along every axis")
def flip__transposed(a):
    return np.asarray(a).T.copy()


def _full(x, f, correlate=False, only_2d=False, crop=False):
    """Full convolution by shifted copies; the switches plant one mistake each."""
    x, f = np.asarray(x, dtype=float), np.asarray(f, dtype=float)
    if x.ndim != f.ndim:
        raise ValueError("x and f must have the same number of dimensions")
    if only_2d and x.ndim != 2:
        raise ValueError("only 2-D arrays are supported")
    out = np.zeros([n + k - 1 for n, k in zip(x.shape, f.shape)])
    for idx in np.ndindex(*f.shape):
        weight = f[tuple(k - 1 - i for k, i in zip(f.shape, idx))] if correlate else f[idx]
        out[tuple(slice(i, i + n) for i, n in zip(idx, x.shape))] += weight * x
    return out[tuple(slice(0, n) for n in x.shape)] if crop else out


@week.mistake("your kernel is not flipped: this is cross-correlation, not convolution")
def convolve_full__kernel_not_flipped(x, f):
    return _full(x, f, correlate=True)


@week.mistake("your code handles only 2-D arrays; convolve_full must work for any number of dimensions")
def convolve_full__only_2d(x, f):
    return _full(x, f, only_2d=True)


@week.mistake("wrong output size: the full convolution has n_i + k_i - 1 entries along axis i "
              "(you kept the size of x)")
def convolve_full__wrong_output_size(x, f):
    return _full(x, f, crop=True)


def _valid(x, k, flip_kernel, only_2d=False, swap=False, plus=1):
    """'valid' correlation (``flip_kernel=False``) or convolution; the other switches plant mistakes."""
    x, k = np.asarray(x, dtype=float), np.asarray(k, dtype=float)
    if x.ndim != k.ndim:
        raise ValueError("x and the kernel must have the same number of dimensions")
    if only_2d and x.ndim != 2:
        raise ValueError("only 2-D arrays are supported")
    if swap and all(m >= n for m, n in zip(k.shape, x.shape)):
        x, k = k, x
    if any(m > n for m, n in zip(k.shape, x.shape)):
        raise ValueError("the kernel is larger than the input")
    if flip_kernel:
        k = k[tuple(slice(None, None, -1) for _ in range(k.ndim))]
    shape = [n - m + plus for n, m in zip(x.shape, k.shape)]
    out = np.zeros(shape)
    for idx in np.ndindex(*k.shape):
        out += k[idx] * x[tuple(slice(i, i + s) for i, s in zip(idx, shape))]
    return out


_SWAPPED = ("the arguments are swapped silently when the kernel is larger than the input; in 'valid' mode "
            "the kernel must fit inside the input: raise ValueError")
_ONLY_2D = "your code handles only 2-D arrays; it must work for any number of dimensions"
_OFF_BY_ONE = "wrong output size: 'valid' keeps n_i - k_i + 1 entries along axis i (off by one)"


@week.mistake("you flipped the kernel: this is convolution, not cross-correlation")
def correlate_valid__kernel_flipped(x, k):
    return _valid(x, k, flip_kernel=True)


@week.mistake(_SWAPPED)
def correlate_valid__arguments_swapped(x, k):
    return _valid(x, k, flip_kernel=False, swap=True)


@week.mistake(_ONLY_2D)
def correlate_valid__only_2d(x, k):
    return _valid(x, k, flip_kernel=False, only_2d=True)


@week.mistake(_OFF_BY_ONE)
def correlate_valid__wrong_output_size(x, k):
    return _valid(x, k, flip_kernel=False, plus=0)


@week.mistake("your kernel is not flipped: this is cross-correlation, not convolution")
def convolve_valid__kernel_not_flipped(x, f):
    return _valid(x, f, flip_kernel=False)


@week.mistake(_SWAPPED)
def convolve_valid__arguments_swapped(x, f):
    return _valid(x, f, flip_kernel=True, swap=True)


@week.mistake(_ONLY_2D)
def convolve_valid__only_2d(x, f):
    return _valid(x, f, flip_kernel=True, only_2d=True)


@week.mistake(_OFF_BY_ONE)
def convolve_valid__wrong_output_size(x, f):
    return _valid(x, f, flip_kernel=True, plus=0)


def _sheet002():
    """The sheet-002 image (5, 5) and its three filters (3, 3, 3), ``[filter, m, n]``."""
    image = np.array([[5, 5, 2, 5, 5], [5, 5, 2, 5, 5], [7, 7, 5, 7, 7], [5, 5, 2, 5, 5], [5, 5, 2, 5, 5]],
                     dtype=float)
    filters = np.array([[[1, 0, -1], [2, 0, -2], [1, 0, -1]],
                        [[1, 2, 1], [0, 0, 0], [-1, -2, -1]],
                        [[0, 1, 0], [1, -4, 1], [0, 1, 0]]], dtype=float)
    return image, filters


def _responses(filters):
    image, _ = _sheet002()
    out = np.zeros((3, 3, 3))
    for f in range(3):
        for i in range(3):
            for j in range(3):
                out[f, i, j] = np.sum(filters[f] * image[i:i + 3, j:j + 3])
    return out


@week.mistake("you flipped the filters (convolution): the sheet asks for cross-correlation; "
              "the signs of the Sobel responses flip")
def sobel_laplace_responses__convolution_instead_of_correlation():
    return _responses(_sheet002()[1][:, ::-1, ::-1])


@week.mistake("the filters are transposed (rows and columns swapped): [filter, m, n] has m the row index")
def sobel_laplace_responses__filters_transposed():
    return _responses(_sheet002()[1].transpose(0, 2, 1))


# ======================================================================================
# correct alternatives (written differently from the reference)
# ======================================================================================

@week.alternative
def flip(a):
    """One axis at a time with ``np.flip``."""
    out = np.asarray(a)
    for axis in range(out.ndim):
        out = np.flip(out, axis=axis)
    return np.array(out, copy=True)


@week.alternative
def convolve_full(x, f):
    """The convolution theorem: a product of zero-padded discrete Fourier transforms."""
    x, f = np.asarray(x, dtype=float), np.asarray(f, dtype=float)
    if x.ndim == 0 or x.ndim != f.ndim:
        raise ValueError("x and f must have the same number of dimensions")
    if x.size == 0 or f.size == 0:
        raise ValueError("empty input")
    shape = [n + k - 1 for n, k in zip(x.shape, f.shape)]
    axes = list(range(x.ndim))
    spectrum = np.fft.fftn(x, shape, axes=axes) * np.fft.fftn(f, shape, axes=axes)
    return np.real(np.fft.ifftn(spectrum, shape, axes=axes))


@week.alternative
def correlate_valid(x, k):
    """A Python loop over the output positions."""
    x, k = np.asarray(x, dtype=float), np.asarray(k, dtype=float)
    if x.ndim == 0 or x.ndim != k.ndim:
        raise ValueError("x and k must have the same number of dimensions")
    if x.size == 0 or k.size == 0:
        raise ValueError("empty input")
    if any(a > b for a, b in zip(k.shape, x.shape)):
        raise ValueError("the kernel does not fit inside x")
    out = np.empty([n - m + 1 for n, m in zip(x.shape, k.shape)])
    for pos in np.ndindex(*out.shape):
        window = tuple(slice(p, p + m) for p, m in zip(pos, k.shape))
        out[pos] = np.sum(k * x[window])
    return out


@week.alternative
def convolve_valid(x, f):
    """The middle part of the full convolution, entries k_i - 1 .. n_i - 1."""
    x, f = np.asarray(x, dtype=float), np.asarray(f, dtype=float)
    if x.ndim == 0 or x.ndim != f.ndim:
        raise ValueError("x and f must have the same number of dimensions")
    if x.size == 0 or f.size == 0:
        raise ValueError("empty input")
    if any(a > b for a, b in zip(f.shape, x.shape)):
        raise ValueError("the kernel does not fit inside x")
    full = np.zeros([n + k - 1 for n, k in zip(x.shape, f.shape)])
    for idx in np.ndindex(*f.shape):
        full[tuple(slice(i, i + n) for i, n in zip(idx, x.shape))] += f[idx] * x
    return full[tuple(slice(k - 1, n) for n, k in zip(x.shape, f.shape))].copy()


@week.alternative
def sobel_laplace_responses():
    """im2col: the nine windows as rows of a matrix, one matrix product for all three filters."""
    image = np.array([[5, 5, 2, 5, 5], [5, 5, 2, 5, 5], [7, 7, 5, 7, 7], [5, 5, 2, 5, 5], [5, 5, 2, 5, 5]],
                     dtype=float)
    filters = np.array([[1, 0, -1, 2, 0, -2, 1, 0, -1],
                        [1, 2, 1, 0, 0, 0, -1, -2, -1],
                        [0, 1, 0, 1, -4, 1, 0, 1, 0]], dtype=float)
    patches = np.array([image[i:i + 3, j:j + 3].ravel() for i in range(3) for j in range(3)])
    return (filters @ patches.T).reshape(3, 3, 3)
