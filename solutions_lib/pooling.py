"""Max and average pooling over ``(N, H, W, C)`` volumes, forward and backward.

A window of ``size × size`` moves with ``stride`` over the two spatial axes; the output size is
``floor((H - size)/stride) + 1``. Backward passes scatter with ``np.bincount`` so that
overlapping windows (``stride < size``) accumulate correctly.
"""
from __future__ import annotations

import numbers

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view


def _check(x, size, stride):
    x = np.asarray(x, dtype=float)
    if x.ndim != 4:
        raise ValueError(f"x must have shape (N, H, W, C), got {x.shape}")
    for name, v in (("size", size), ("stride", stride)):
        if isinstance(v, bool) or not isinstance(v, numbers.Integral) or v < 1:
            raise ValueError(f"{name} must be an integer >= 1, got {v!r}")
    if size > x.shape[1] or size > x.shape[2]:
        raise ValueError(f"pooling window {size}x{size} is larger than the input {x.shape[1:3]}")
    return x, int(size), int(stride)


def _windows(x, size, stride):
    """``(N, Ho, Wo, C, size*size)`` view-copy of every window, row-major inside the window."""
    win = sliding_window_view(x, (size, size), axis=(1, 2))[:, ::stride, ::stride]
    return win.reshape(*win.shape[:4], size * size)


def _window_input_index(shape, size, stride, offsets):
    """Flat index into ``x`` of entry ``offsets`` (row-major in the window) of every window."""
    n, h, w, c = shape
    ho, wo = (h - size) // stride + 1, (w - size) // stride + 1
    ni = np.arange(n)[:, None, None, None]
    yi = (np.arange(ho) * stride)[None, :, None, None]
    xi = (np.arange(wo) * stride)[None, None, :, None]
    ci = np.arange(c)[None, None, None, :]
    if offsets.ndim == 5:  # one offset per window and entry
        ni, yi, xi, ci = (a[..., None] for a in (ni, yi, xi, ci))
    rows = yi + offsets // size
    cols = xi + offsets % size
    return ((ni * h + rows) * w + cols) * c + ci


def _check_delta(delta, x, size, stride):
    n, h, w, c = x.shape
    expected = (n, (h - size) // stride + 1, (w - size) // stride + 1, c)
    delta = np.asarray(delta, dtype=float)
    if delta.shape != expected:
        raise ValueError(f"delta must have shape {expected}, got {delta.shape}")
    return delta


def maxpool2d_forward(x, size=2, stride=2):
    """Maximum of every window. ``x (N, H, W, C)`` -> ``(N, H_out, W_out, C)``."""
    x, size, stride = _check(x, size, stride)
    return _windows(x, size, stride).max(axis=-1)


def maxpool2d_backward(delta, x, size=2, stride=2):
    """Route each window's ``δ`` to its maximum (the first one, row-major, when tied).

    Parameters
    ----------
    delta : ndarray (N, H_out, W_out, C)
    x : ndarray (N, H, W, C), the forward input

    Returns
    -------
    ndarray (N, H, W, C)
    """
    x, size, stride = _check(x, size, stride)
    delta = _check_delta(delta, x, size, stride)
    winner = _windows(x, size, stride).argmax(axis=-1)  # argmax picks the first maximum
    idx = _window_input_index(x.shape, size, stride, winner)
    return np.bincount(idx.ravel(), weights=delta.ravel(), minlength=x.size).reshape(x.shape)


def avgpool2d_forward(x, size=2, stride=2):
    """Mean of every window. ``x (N, H, W, C)`` -> ``(N, H_out, W_out, C)``."""
    x, size, stride = _check(x, size, stride)
    return _windows(x, size, stride).mean(axis=-1)


def avgpool2d_backward(delta, x, size=2, stride=2):
    """Each input receives ``δ / k`` (``k = size²``) from every window it lies in.

    Returns
    -------
    ndarray (N, H, W, C)
    """
    x, size, stride = _check(x, size, stride)
    delta = _check_delta(delta, x, size, stride)
    k = size * size
    offsets = np.broadcast_to(np.arange(k), (*delta.shape, k))
    idx = _window_input_index(x.shape, size, stride, offsets)
    weights = np.broadcast_to((delta / k)[..., None], idx.shape)
    return np.bincount(idx.ravel(), weights=weights.ravel(), minlength=x.size).reshape(x.shape)
