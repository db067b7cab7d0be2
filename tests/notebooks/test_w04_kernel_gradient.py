"""Week 4 notebook (source/w04_kernel_gradient): the checks of :class:`tests.notebooks.weekly.WeeklyNotebookTests`.

``ALTERNATIVES`` holds a second, differently written correct solution of every graded name
(loops vs vectorised, another formula); each must earn full points.
"""
from __future__ import annotations

import pytest

from tests.notebooks.weekly import WeeklyNotebookTests

WEEK = "w04_kernel_gradient"
pytestmark = pytest.mark.xdist_group(WEEK)

ALTERNATIVES = {
    "kernel_gradient": """
import numpy as np

def kernel_gradient(a, delta):
    a, delta = np.asarray(a, dtype=float), np.asarray(delta, dtype=float)
    if a.ndim != 2 or delta.ndim != 2 or delta.shape[0] > a.shape[0] or delta.shape[1] > a.shape[1]:
        raise ValueError("need 2-D a and a delta no larger than a")
    kh, kw = a.shape[0] - delta.shape[0] + 1, a.shape[1] - delta.shape[1] + 1
    dh, dw = delta.shape
    g = np.zeros((kh, kw))
    for p in range(kh):
        for q in range(kw):
            r, c = kh - 1 - p, kw - 1 - q
            g[p, q] = np.sum(delta * a[r:r + dh, c:c + dw])
    return g
""",
    "backward_filters": """
import numpy as np

def backward_filters(w):
    w = np.asarray(w, dtype=float)
    if w.ndim != 4:
        raise ValueError("w must be 4-D")
    return np.rot90(w, 2, axes=(0, 1)).swapaxes(2, 3)
""",
    "conv2d_backward": """
import numpy as np

def conv2d_backward(delta, x, w, stride=1, padding=0):
    delta, x, w = (np.asarray(t, dtype=float) for t in (delta, x, w))
    if x.ndim != 4 or w.ndim != 4 or x.shape[3] != w.shape[2]:
        raise ValueError("x and w do not fit")
    n, h, wd, c = x.shape
    kh, kw, _, k = w.shape
    ho, wo = (h + 2 * padding - kh) // stride + 1, (wd + 2 * padding - kw) // stride + 1
    if delta.shape != (n, ho, wo, k):
        raise ValueError("delta has the wrong shape")
    xp = np.pad(x, ((0, 0), (padding, padding), (padding, padding), (0, 0)))
    dxp, dw = np.zeros_like(xp), np.zeros_like(w)
    for i in range(ho):                      # loop over output positions, vectorised over batch
        for j in range(wo):
            r, s = i * stride, j * stride
            patch = xp[:, r:r + kh, s:s + kw, :]
            dw += np.tensordot(patch, delta[:, i, j, :], axes=([0], [0]))
            dxp[:, r:r + kh, s:s + kw, :] += np.tensordot(delta[:, i, j, :], w, axes=([1], [3]))
    return dxp[:, padding:padding + h, padding:padding + wd, :], dw, delta.sum(axis=(0, 1, 2))
""",
    "maxpool2d_backward": """
import numpy as np

def maxpool2d_backward(delta, x, size=2, stride=2):
    delta, x = np.asarray(delta, dtype=float), np.asarray(x, dtype=float)
    if x.ndim != 4 or size < 1 or stride < 1 or size > x.shape[1] or size > x.shape[2]:
        raise ValueError("bad pooling parameters")
    n, h, w, c = x.shape
    ho, wo = (h - size) // stride + 1, (w - size) // stride + 1
    if delta.shape != (n, ho, wo, c):
        raise ValueError("delta has the wrong shape")
    dx = np.zeros_like(x)
    nn, cc = np.meshgrid(np.arange(n), np.arange(c), indexing="ij")
    for i in range(ho):
        for j in range(wo):
            win = x[:, i * stride:i * stride + size, j * stride:j * stride + size, :].reshape(n, size * size, c)
            first = np.argmax(win, axis=1)            # first maximum, row-major
            r, s = i * stride + first // size, j * stride + first % size
            np.add.at(dx, (nn, r, s, cc), delta[:, i, j, :])
    return dx
""",
    "avgpool2d_forward": """
import numpy as np

def avgpool2d_forward(x, size=2, stride=2):
    x = np.asarray(x, dtype=float)
    if x.ndim != 4 or size < 1 or stride < 1 or size > x.shape[1] or size > x.shape[2]:
        raise ValueError("bad pooling parameters")
    ho, wo = (x.shape[1] - size) // stride + 1, (x.shape[2] - size) // stride + 1
    out = np.zeros((x.shape[0], ho, wo, x.shape[3]))
    for i in range(ho):
        for j in range(wo):
            out[:, i, j, :] = x[:, i * stride:i * stride + size, j * stride:j * stride + size, :].sum(axis=(1, 2))
    return out / size ** 2
""",
    "avgpool2d_backward": """
import numpy as np

def avgpool2d_backward(delta, x, size=2, stride=2):
    delta, x = np.asarray(delta, dtype=float), np.asarray(x, dtype=float)
    if x.ndim != 4 or size < 1 or stride < 1 or size > x.shape[1] or size > x.shape[2]:
        raise ValueError("bad pooling parameters")
    n, h, w, c = x.shape
    ho, wo = (h - size) // stride + 1, (w - size) // stride + 1
    if delta.shape != (n, ho, wo, c):
        raise ValueError("delta has the wrong shape")
    dx = np.zeros_like(x)
    for i in range(ho):
        for j in range(wo):
            dx[:, i * stride:i * stride + size, j * stride:j * stride + size, :] += delta[:, i:i + 1, j:j + 1, :] / size ** 2
    return dx
""",
    "grad_w1111": """
import numpy as np

def grad_w1111(I, w, b, v, y_hat, sigma, dsigma):
    I, w, b, v, y_hat = (np.asarray(t, dtype=float) for t in (I, w, b, v, y_hat))
    kh, kw, c, k = w.shape
    ho, wo = I.shape[0] - kh + 1, I.shape[1] - kw + 1
    if I.shape[2] != c or v.shape[:3] != (ho, wo, k) or b.shape != (k,) or y_hat.shape != v.shape[3:]:
        raise ValueError("shapes do not fit")
    a = np.zeros((ho, wo, k))
    for i in range(ho):
        for j in range(wo):
            a[i, j] = b + np.tensordot(I[i:i + kh, j:j + kw, :], w, axes=3)
    y = np.tensordot(sigma(a), v, axes=3)
    total = 0.0
    for o in range(len(y_hat)):
        for i in range(ho):
            for j in range(wo):
                total -= (y_hat[o] - y[o]) * v[i, j, 0, o] * dsigma(a[i, j, 0]) * I[i, j, 0]
    return total
""",
}


class TestW04KernelGradient(WeeklyNotebookTests):
    week = WEEK
    alternatives = ALTERNATIVES
