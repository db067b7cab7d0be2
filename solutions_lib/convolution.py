"""Discrete convolution (``*``, kernel flipped) and cross-correlation (``⋆``) in any dimension.

Conventions of the sheets: ``flip`` is the tilde (every axis reversed);
``(x * f)[n] = Σ_i x[n - i] f[i]`` and ``(k ⋆ x)[n] = Σ_i k[i] x[n + i]``, with multi-indices.
Also the sheet-002 image and filters (week 1) and the kernel gradient of week 4.
"""
from __future__ import annotations

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

#: Sheet 002 ex. 4-2: the 5×5 single-channel image.
SHEET002_IMAGE = np.array(
    [
        [5, 5, 2, 5, 5],
        [5, 5, 2, 5, 5],
        [7, 7, 5, 7, 7],
        [5, 5, 2, 5, 5],
        [5, 5, 2, 5, 5],
    ],
    dtype=float,
)
#: Sheet 002 ex. 4-2: Sobel (vertical edges), Sobel (horizontal edges), Laplace; ``[filter, m, n]``.
SHEET002_FILTERS = np.array(
    [
        [[1, 0, -1], [2, 0, -2], [1, 0, -1]],
        [[1, 2, 1], [0, 0, 0], [-1, -2, -1]],
        [[0, 1, 0], [1, -4, 1], [0, 1, 0]],
    ],
    dtype=float,
)


def _pair(x, k, what):
    x, k = np.asarray(x, dtype=float), np.asarray(k, dtype=float)
    if x.ndim == 0 or x.ndim != k.ndim:
        raise ValueError(f"{what}: input and kernel need the same number of dimensions (>= 1), got {x.ndim} and {k.ndim}")
    if x.size == 0 or k.size == 0:
        raise ValueError(f"{what}: empty input {x.shape} or kernel {k.shape}")
    return x, k


def flip(a):
    """Reverse every axis of ``a`` (the tilde of the sheets); same shape as ``a``."""
    a = np.asarray(a)
    return a[(slice(None, None, -1),) * a.ndim].copy()


def correlate_valid(x, k):
    """'Valid' cross-correlation ``(k ⋆ x)[n] = Σ_i k[i] x[n + i]`` in any number of dimensions.

    Parameters
    ----------
    x : ndarray, shape (n_1, ..., n_d)
    k : ndarray, shape (k_1, ..., k_d) with k_i <= n_i

    Returns
    -------
    ndarray, shape (n_1 - k_1 + 1, ..., n_d - k_d + 1)
    """
    x, k = _pair(x, k, "correlate_valid")
    if any(ki > ni for ki, ni in zip(k.shape, x.shape)):
        raise ValueError(f"correlate_valid: kernel {k.shape} is larger than the input {x.shape} in some axis")
    windows = sliding_window_view(x, k.shape)  # (out..., k...)
    return np.tensordot(windows, k, axes=k.ndim)


def convolve_valid(x, f):
    """'Valid' convolution ``x * f``: correlation with the flipped kernel; shape ``n_i - k_i + 1``."""
    x, f = _pair(x, f, "convolve_valid")
    return correlate_valid(x, flip(f))


def convolve_full(x, f):
    """Full discrete convolution ``(x * f)[n] = Σ_i x[n - i] f[i]`` in any number of dimensions.

    Parameters
    ----------
    x : ndarray, shape (n_1, ..., n_d)
    f : ndarray, shape (k_1, ..., k_d)

    Returns
    -------
    ndarray, shape (n_1 + k_1 - 1, ..., n_d + k_d - 1); equal to ``convolve_full(f, x)``.
    """
    x, f = _pair(x, f, "convolve_full")
    padded = np.pad(x, [(ki - 1, ki - 1) for ki in f.shape])
    return correlate_valid(padded, flip(f))


def sobel_laplace_responses():
    """The three sheet-002 filters cross-correlated ('valid', stride 1) with its 5×5 image.

    Returns
    -------
    ndarray, shape (3, 3, 3)
        ``[filter, i, j]``; ``[0, 0, 0] == 11``.
    """
    return np.stack([correlate_valid(SHEET002_IMAGE, k) for k in SHEET002_FILTERS])


def kernel_gradient(a, delta):
    """``∂C/∂F = flip(A) * Δ`` ('valid') for a layer ``Z = A * F`` (true convolution, valid).

    Parameters
    ----------
    a : ndarray, shape (H, W)
        The layer's input ``A``.
    delta : ndarray, shape (H - kh + 1, W - kw + 1)
        ``Δ = ∂C/∂Z``.

    Returns
    -------
    ndarray, shape (kh, kw)
        Equal to ``flip(A * flip(Δ))`` (sheet 000 ex. 2).
    """
    a, delta = np.asarray(a, dtype=float), np.asarray(delta, dtype=float)
    if a.ndim != 2 or delta.ndim != 2:
        raise ValueError(f"kernel_gradient needs 2-D a and delta, got {a.ndim}-D and {delta.ndim}-D")
    if delta.shape[0] > a.shape[0] or delta.shape[1] > a.shape[1] or delta.size == 0:
        raise ValueError(f"delta {delta.shape} does not fit the input {a.shape}")
    return convolve_valid(flip(a), delta)


def conv2d_input_gradient(delta, w):
    """``∂C/∂x`` of a conv layer at stride 1 without padding, composed as sheet 003 task 2 does it.

    The delta, zero-padded by ``kh - 1`` rows and ``kw - 1`` columns on each side, is
    cross-correlated with the backward filters (channels swapped, rotated 180°), summing over
    the delta's channels: ``dx[n, :, :, c] = Σ_k pad(δ)[n, :, :, k] ⋆ backward_filters(w)[:, :, k, c]``.
    Equal to the ``dx`` of ``conv2d_backward(delta, x, w)`` (week 4's graded composition).

    Parameters
    ----------
    delta : ndarray, shape (N, H_out, W_out, C_out)
    w : ndarray, shape (kh, kw, C_in, C_out)

    Returns
    -------
    ndarray, shape (N, H_out + kh - 1, W_out + kw - 1, C_in)
    """
    from solutions_lib.conv2d import backward_filters

    delta, w = np.asarray(delta, dtype=float), np.asarray(w, dtype=float)
    if delta.ndim != 4 or w.ndim != 4:
        raise ValueError(f"delta must be (N, H_out, W_out, C_out) and w (kh, kw, C_in, C_out); "
                         f"got {delta.shape} and {w.shape}")
    if delta.shape[3] != w.shape[3]:
        raise ValueError(f"shape mismatch: delta has {delta.shape[3]} channels but w has {w.shape[3]} filters")
    kh, kw, c_in, _ = w.shape
    back = backward_filters(w)                                               # (kh, kw, C_out, C_in)
    padded = np.pad(delta, ((0, 0), (kh - 1, kh - 1), (kw - 1, kw - 1), (0, 0)))
    return np.stack([correlate_valid(padded, back[None, :, :, :, c])[..., 0] for c in range(c_in)], axis=-1)
