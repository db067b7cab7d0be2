"""A convolution layer as functions: forward (cross-correlation), backward, backward filters.

Shapes: ``x (N, H, W, C)``, ``w (kh, kw, C, K)``, ``b (K,)``, output ``(N, H_out, W_out, K)`` with
``H_out = floor((H + 2p - kh)/s) + 1``. Vectorised as one matrix product over im2col patches;
the only Python loops run over the ``kh·kw`` kernel offsets, never over pixels or batch entries.
"""
from __future__ import annotations

import numpy as np

from .validate import integer


def _check(x, w, stride, padding):
    x, w = np.asarray(x, dtype=float), np.asarray(w, dtype=float)
    if x.ndim != 4:
        raise ValueError(f"x must have shape (N, H, W, C), got {x.shape}")
    if w.ndim != 4:
        raise ValueError(f"w must have shape (kh, kw, C_in, C_out), got {w.shape}")
    if x.shape[3] != w.shape[2]:
        raise ValueError(f"x has {x.shape[3]} channels but w expects C_in = {w.shape[2]}")
    stride = integer("stride", stride, 1)
    padding = integer("padding", padding, 0)
    kh, kw = w.shape[:2]
    if kh > x.shape[1] + 2 * padding or kw > x.shape[2] + 2 * padding:
        raise ValueError(f"kernel {kh}x{kw} is larger than the padded input {x.shape[1:3]} + 2*{padding}")
    return x, w, stride, padding


def _patches(xp, kh, kw, stride):
    """im2col: ``(N, H_out, W_out, kh*kw*C)`` patches of the padded input ``xp``.

    Filled by one strided slice per kernel offset (``kh·kw`` copies of a whole output-sized
    block), which is faster than copying a transposed sliding-window view.
    """
    n, hp, wp, c = xp.shape
    ho, wo = (hp - kh) // stride + 1, (wp - kw) // stride + 1
    cols = np.empty((n, ho, wo, kh, kw, c))
    for i in range(kh):
        for j in range(kw):
            cols[:, :, :, i, j, :] = xp[:, i:i + stride * (ho - 1) + 1:stride, j:j + stride * (wo - 1) + 1:stride, :]
    return cols.reshape(n, ho, wo, kh * kw * c)


def _col2im(dcols, shape, kh, kw, stride):
    """Adjoint of :func:`_patches`: add every patch gradient back onto a ``shape`` volume."""
    n, hp, wp, c = shape
    ho, wo = dcols.shape[1:3]
    dcols = dcols.reshape(n, ho, wo, kh, kw, c)
    out = np.zeros(shape)
    for i in range(kh):
        for j in range(kw):
            out[:, i:i + stride * (ho - 1) + 1:stride, j:j + stride * (wo - 1) + 1:stride, :] += dcols[:, :, :, i, j, :]
    return out


def conv2d_forward(x, w, b, stride=1, padding=0):
    """Cross-correlation layer ``z[n, y, x, k] = b[k] + Σ_{i,j,c} x_p[n, ys + i, xs + j, c] w[i, j, c, k]``.

    Parameters
    ----------
    x : ndarray (N, H, W, C)
    w : ndarray (kh, kw, C, K)
    b : ndarray (K,)
    stride : int >= 1
    padding : int >= 0, zeros on every side

    Returns
    -------
    ndarray (N, H_out, W_out, K)
    """
    x, w, stride, padding = _check(x, w, stride, padding)
    b = np.asarray(b, dtype=float)
    if b.shape != (w.shape[3],):
        raise ValueError(f"b must have shape ({w.shape[3]},), got {b.shape}")
    kh, kw, c, k = w.shape
    xp = np.pad(x, ((0, 0), (padding, padding), (padding, padding), (0, 0))) if padding else x
    cols = _patches(xp, kh, kw, stride)
    return cols @ w.reshape(kh * kw * c, k) + b


def backward_filters(w):
    """The filters that carry ``δ`` back to the input: channels swapped, rotated 180°.

    Parameters
    ----------
    w : ndarray (kh, kw, C_in, C_out)

    Returns
    -------
    ndarray (kh, kw, C_out, C_in)
    """
    w = np.asarray(w, dtype=float)
    if w.ndim != 4:
        raise ValueError(f"w must have shape (kh, kw, C_in, C_out), got {w.shape}")
    return np.ascontiguousarray(w[::-1, ::-1].transpose(0, 1, 3, 2))


def conv2d_backward(delta, x, w, stride=1, padding=0):
    """Derivatives of :func:`conv2d_forward` given ``δ = ∂C/∂z``.

    Parameters
    ----------
    delta : ndarray (N, H_out, W_out, K)
    x, w, stride, padding : as in the forward pass

    Returns
    -------
    dx : ndarray (N, H, W, C)
    dw : ndarray (kh, kw, C, K)
    db : ndarray (K,)
    """
    x, w, stride, padding = _check(x, w, stride, padding)
    kh, kw, c, k = w.shape
    n, h, wd, _ = x.shape
    hp, wp = h + 2 * padding, wd + 2 * padding
    ho, wo = (hp - kh) // stride + 1, (wp - kw) // stride + 1
    delta = np.asarray(delta, dtype=float)
    if delta.shape != (n, ho, wo, k):
        raise ValueError(f"delta must have shape {(n, ho, wo, k)}, got {delta.shape}")

    db = delta.sum(axis=(0, 1, 2))
    xp = np.pad(x, ((0, 0), (padding, padding), (padding, padding), (0, 0))) if padding else x
    cols = _patches(xp, kh, kw, stride).reshape(-1, kh * kw * c)
    dw = (cols.T @ delta.reshape(-1, k)).reshape(kh, kw, c, k)

    # dx: every output position sends δ·wᵀ back to the patch it was computed from (col2im).
    # Equivalent to the full correlation of the stride-dilated δ with backward_filters(w).
    dcols = delta.reshape(-1, k) @ w.reshape(kh * kw * c, k).T
    dxp = _col2im(dcols.reshape(n, ho, wo, -1), xp.shape, kh, kw, stride)
    dx = dxp[:, padding:padding + h, padding:padding + wd]
    return dx, dw, db
