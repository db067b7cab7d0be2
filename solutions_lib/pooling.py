"""Max and average pooling over ``(N, H, W, C)`` volumes, forward and backward.

A window of ``size × size`` moves with ``stride`` over the two spatial axes; the output size is
``floor((H - size)/stride) + 1``. Non-overlapping windows (``stride == size``, the usual 2×2/2)
are reshaped into a trailing window axis: max and argmax over it, one scatter back. Otherwise
every pass loops over the ``size²`` offsets inside the window, each step a strided slice of the
whole volume (never a loop over pixels). Overlapping windows
(``stride < size``) accumulate correctly in the backward passes.
"""
from __future__ import annotations

import numpy as np

from .validate import integer


def _as_float(a):
    """``a`` as float32 if it is float32, as float64 otherwise."""
    a = np.asarray(a)
    return a if a.dtype in (np.float32, np.float64) else a.astype(np.float64)


def _check(x, size, stride):
    x = _as_float(x)
    if x.ndim != 4:
        raise ValueError(f"x must have shape (N, H, W, C), got {x.shape}")
    size, stride = integer("size", size, 1), integer("stride", stride, 1)
    if size > x.shape[1] or size > x.shape[2]:
        raise ValueError(f"pooling window {size}x{size} is larger than the input {x.shape[1:3]}")
    return x, size, stride


def _offsets(x_shape, size, stride):
    """Row-major window offsets ``(i, j)`` with the slices selecting that entry of every window."""
    ho, wo = (x_shape[1] - size) // stride + 1, (x_shape[2] - size) // stride + 1
    for i in range(size):
        for j in range(size):
            yield (slice(None), slice(i, i + stride * (ho - 1) + 1, stride),
                   slice(j, j + stride * (wo - 1) + 1, stride), slice(None))


def _check_delta(delta, x, size, stride):
    n, h, w, c = x.shape
    expected = (n, (h - size) // stride + 1, (w - size) // stride + 1, c)
    delta = np.asarray(delta, dtype=x.dtype)
    if delta.shape != expected:
        raise ValueError(f"delta must have shape {expected}, got {delta.shape}")
    return delta


def _tiles(x, size):
    """Non-overlapping windows (``stride == size``) as ``(N, H_out, W_out, C, size²)``, row-major
    inside each window; the rows and columns the last window does not reach are dropped."""
    n, h, w, c = x.shape
    ho, wo = h // size, w // size
    t = x[:, :ho * size, :wo * size].reshape(n, ho, size, wo, size, c)
    return t.transpose(0, 1, 3, 5, 2, 4).reshape(n, ho, wo, c, size * size)


def _maxpool_tiled(x, size):
    """``(out, winner)`` for ``stride == size``: the maxima and the index in ``[0, size²)`` of the
    first (row-major) maximum of every window."""
    tiles = _tiles(x, size)
    winner = tiles.argmax(axis=-1)
    return np.take_along_axis(tiles, winner[..., None], axis=-1)[..., 0], winner


def _maxpool_tiled_backward(delta, x_shape, size, winner):
    """Each window's ``δ`` written at its winner (see :func:`_maxpool_tiled`)."""
    n, h, w, c = x_shape
    ho, wo = delta.shape[1:3]
    tiles = np.zeros((n, ho, wo, c, size * size), dtype=delta.dtype)
    np.put_along_axis(tiles, winner[..., None], delta[..., None], axis=-1)
    tiles = tiles.reshape(n, ho, wo, c, size, size).transpose(0, 1, 4, 2, 5, 3).reshape(n, ho * size, wo * size, c)
    if (ho * size, wo * size) == (h, w):
        return tiles
    dx = np.zeros(x_shape, dtype=delta.dtype)
    dx[:, :ho * size, :wo * size] = tiles
    return dx


def maxpool2d_forward(x, size=2, stride=2):
    """Maximum of every window. ``x (N, H, W, C)`` -> ``(N, H_out, W_out, C)``."""
    x, size, stride = _check(x, size, stride)
    if stride == size:
        return _maxpool_tiled(x, size)[0]
    offsets = _offsets(x.shape, size, stride)
    out = x[next(offsets)].copy()
    for sl in offsets:
        np.maximum(out, x[sl], out=out)
    return out


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
    if stride == size:  # windows do not overlap: one argmax per window, one scatter
        return _maxpool_tiled_backward(delta, x.shape, size, _maxpool_tiled(x, size)[1])
    peak = maxpool2d_forward(x, size, stride)
    dx, maxima = _route_to_maxima(delta, x, peak, size, stride, first_only=False)
    if maxima > peak.size:  # some window has tied maxima: only the first may receive its δ
        dx, _ = _route_to_maxima(delta, x, peak, size, stride, first_only=True)
    return dx


def _route_to_maxima(delta, x, peak, size, stride, first_only):
    """``(dx, count)``: each window's ``δ`` sent to the entries equal to its maximum ``peak`` (to the
    first of them in row-major order if ``first_only``), and how many such entries there were."""
    unrouted = delta.copy() if first_only else delta  # zeroed per window once its δ is sent
    dx = np.zeros_like(x)
    count = 0
    for sl in _offsets(x.shape, size, stride):
        winner = x[sl] == peak
        count += np.count_nonzero(winner)
        if stride < size:  # overlapping windows share inputs: accumulate
            dx[sl] += winner * unrouted
        else:  # an input lies in one window at most: write in place
            np.multiply(winner, unrouted, out=dx[sl])
        if first_only:
            np.copyto(unrouted, 0.0, where=winner)
    return dx, count


def avgpool2d_forward(x, size=2, stride=2):
    """Mean of every window. ``x (N, H, W, C)`` -> ``(N, H_out, W_out, C)``."""
    x, size, stride = _check(x, size, stride)
    out = None
    for sl in _offsets(x.shape, size, stride):
        out = x[sl].copy() if out is None else out + x[sl]
    return out / (size * size)


def avgpool2d_backward(delta, x, size=2, stride=2):
    """Each input receives ``δ / k`` (``k = size²``) from every window it lies in.

    Returns
    -------
    ndarray (N, H, W, C)
    """
    x, size, stride = _check(x, size, stride)
    delta = _check_delta(delta, x, size, stride)
    share = delta / (size * size)
    dx = np.zeros_like(x)
    for sl in _offsets(x.shape, size, stride):
        dx[sl] += share
    return dx
