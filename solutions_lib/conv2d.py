"""A convolution layer as functions: forward (cross-correlation), backward, backward filters.

Shapes: ``x (N, H, W, C)``, ``w (kh, kw, C, K)``, ``b (K,)``, output ``(N, H_out, W_out, K)`` with
``H_out = floor((H + 2p - kh)/s) + 1``. Vectorised as one matrix product over im2col patches;
the only Python loops run over the ``kh·kw`` kernel offsets, never over pixels or batch entries.
"""
from __future__ import annotations

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

from .validate import integer


def _float(*arrays):
    """The arrays as one floating dtype: float32 if all of them are float32, float64 otherwise."""
    dtype = np.float32 if all(np.asarray(a).dtype == np.float32 for a in arrays) else np.float64
    return [np.asarray(a, dtype=dtype) for a in arrays]


def _check(x, w, stride, padding):
    x, w = _float(x, w)
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


def _pad(x, padding):
    """``x (N, H, W, C)`` with ``padding`` zeros on both sides of the two spatial axes."""
    if not padding:
        return x
    n, h, w, c = x.shape
    xp = np.zeros((n, h + 2 * padding, w + 2 * padding, c), dtype=x.dtype)
    xp[:, padding:padding + h, padding:padding + w] = x
    return xp


def _patches(xp, kh, kw, stride):
    """im2col: the ``(N·H_out·W_out, kh·kw·C)`` matrix of patches of the padded input ``xp``.

    Row ``(n, y, x)`` holds ``xp[n, ys:ys+kh, xs:xs+kw, :]`` in ``(i, j, c)`` order, so that
    ``patches @ w.reshape(kh·kw·C, K)`` is the layer. With several channels the whole matrix is
    one copy of a strided sliding-window view; with one or two channels a copy per kernel offset
    (``kh·kw`` copies of an output-sized block) is faster, because the view's last axis is short.
    """
    n, hp, wp, c = xp.shape
    ho, wo = (hp - kh) // stride + 1, (wp - kw) // stride + 1
    if c > 2:
        windows = sliding_window_view(xp, (kh, kw), axis=(1, 2))[:, ::stride, ::stride]  # (N, ho, wo, C, kh, kw)
        cols = np.ascontiguousarray(windows.transpose(0, 1, 2, 4, 5, 3))
    else:
        cols = np.empty((n, ho, wo, kh, kw, c), dtype=xp.dtype)
        for i in range(kh):
            for j in range(kw):
                cols[:, :, :, i, j, :] = xp[:, i:i + stride * (ho - 1) + 1:stride, j:j + stride * (wo - 1) + 1:stride, :]
    return cols.reshape(n * ho * wo, kh * kw * c)


def _col2im(dcols, shape, kh, kw, stride):
    """Adjoint of :func:`_patches`: add every patch gradient back onto a ``shape`` volume."""
    n, hp, wp, c = shape
    ho, wo = (hp - kh) // stride + 1, (wp - kw) // stride + 1
    dcols = dcols.reshape(n, ho, wo, kh, kw, c)
    out = np.zeros(shape, dtype=dcols.dtype)
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
    b = np.asarray(b, dtype=x.dtype)
    if b.shape != (w.shape[3],):
        raise ValueError(f"b must have shape ({w.shape[3]},), got {b.shape}")
    return _forward(x, w, b, stride, padding)[0]


def _forward(x, w, b, stride, padding):
    """``(z, cols)``: the layer's output and the im2col matrix it was computed from (checked input)."""
    kh, kw, c, k = w.shape
    cols = _patches(_pad(x, padding), kh, kw, stride)
    n, h, wd, _ = x.shape
    ho, wo = (h + 2 * padding - kh) // stride + 1, (wd + 2 * padding - kw) // stride + 1
    z = np.dot(cols, w.reshape(kh * kw * c, k))
    z += b
    return z.reshape(n, ho, wo, k), cols


def backward_filters(w):
    """The filters that carry ``δ`` back to the input: channels swapped, rotated 180°.

    Parameters
    ----------
    w : ndarray (kh, kw, C_in, C_out)

    Returns
    -------
    ndarray (kh, kw, C_out, C_in)
    """
    (w,) = _float(w)
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
    delta = np.asarray(delta, dtype=x.dtype)
    if delta.shape != (n, ho, wo, k):
        raise ValueError(f"delta must have shape {(n, ho, wo, k)}, got {delta.shape}")

    return _backward(delta, _patches(_pad(x, padding), kh, kw, stride), x.shape, w, stride, padding)


def _backward(delta, cols, x_shape, w, stride, padding, input_gradient=True):
    """``(dx, dw, db)`` from ``δ`` and the forward pass's im2col matrix ``cols`` (checked input).

    ``dw`` is one matrix product ``colsᵀ δ``. ``dx``: every output position sends ``δ·wᵀ`` back to
    the patch it was computed from (col2im), which equals the full correlation of the
    stride-dilated ``δ`` with :func:`backward_filters` ``(w)``. ``dx`` is ``None`` unless
    ``input_gradient``.
    """
    kh, kw, c, k = w.shape
    n, h, wd, _ = x_shape
    delta2 = delta.reshape(-1, k)
    db = delta2.sum(axis=0)
    dw = np.dot(cols.T, delta2).reshape(kh, kw, c, k)
    if not input_gradient:
        return None, dw, db
    if stride == 1 and padding <= min(kh, kw) - 1 and c > 2:
        # the full correlation of δ with the backward filters: one more im2col and one product
        # (for several input channels cheaper than scattering kh·kw patch gradients)
        dpad = np.zeros((n, h + kh - 1, wd + kw - 1, k), dtype=delta.dtype)
        top, left = kh - 1 - padding, kw - 1 - padding
        dpad[:, top:top + delta.shape[1], left:left + delta.shape[2]] = delta
        dx = np.dot(_patches(dpad, kh, kw, 1), backward_filters(w).reshape(kh * kw * k, c))
        return dx.reshape(n, h, wd, c), dw, db
    dcols = np.dot(delta2, w.reshape(kh * kw * c, k).T)
    dxp = _col2im(dcols, (n, h + 2 * padding, wd + 2 * padding, c), kh, kw, stride)
    dx = dxp[:, padding:padding + h, padding:padding + wd] if padding else dxp
    return dx, dw, db
