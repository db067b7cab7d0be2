"""Drawing helpers of week 4 (not graded, not secret): each computes with its own numpy code.

- :func:`delta_contributions` / :func:`draw_delta_feeds`: which entries of the input ``A`` one
  output delta sends to which kernel entry of ``∂C/∂F`` for the layer ``Z = A * F`` (true
  convolution, 'valid'), and the whole sum.
- :func:`pool_routes` / :func:`draw_pool_backward`: where max pooling and average pooling send
  an all-ones delta (2×2 windows, stride 2).

Indices are 0-based, as in numpy.
"""
from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np

ORANGE, BLUE, DARK, GREY = "#E69F00", "#0072B2", "#222222", "#9A9A9A"   # Okabe–Ito, colour-blind safe
LIGHT = "#FBE3B5"                                                       # light orange cell
FONT = 11


def delta_contributions(A, delta, pairs):
    """``(total, labels)``: ``total[p, q] = Σ δ[r, c] · A[r + kh-1-p, c + kw-1-q]`` over ``pairs``.

    ``A (H, W)``, ``delta (H-kh+1, W-kw+1)``, ``pairs`` a list of delta positions ``(r, c)``.
    ``labels[p][q]`` lists the products as text (``δ00·a11``).
    """
    A, delta = np.asarray(A, dtype=float), np.asarray(delta, dtype=float)
    kh, kw = A.shape[0] - delta.shape[0] + 1, A.shape[1] - delta.shape[1] + 1
    total = np.zeros((kh, kw))
    labels = [[[] for _ in range(kw)] for _ in range(kh)]
    for r, c in pairs:
        for p in range(kh):
            for q in range(kw):
                ar, ac = r + kh - 1 - p, c + kw - 1 - q                  # the flip of Z = A * F
                total[p, q] += delta[r, c] * A[ar, ac]
                labels[p][q].append(f"δ{r}{c}·a{ar}{ac}")
    return total, labels


def _grid(ax, shape):
    ax.set(xlim=(-0.5, shape[1] - 0.5), ylim=(shape[0] - 0.5, -0.5), xticks=[], yticks=[], aspect="equal")
    for t in range(shape[0] + 1):
        ax.axhline(t - 0.5, color=GREY, lw=1)
    for t in range(shape[1] + 1):
        ax.axvline(t - 0.5, color=GREY, lw=1)


def draw_delta_feeds(A, delta, position=(0, 0), show_all=False):
    """Three panels: the input window of ``z[position]``, the delta, the contributions to ``∂C/∂F``."""
    A, delta = np.asarray(A, dtype=float), np.asarray(delta, dtype=float)
    i, j = position
    kh, kw = A.shape[0] - delta.shape[0] + 1, A.shape[1] - delta.shape[1] + 1
    pairs = list(np.ndindex(delta.shape)) if show_all else [(i, j)]
    total, labels = delta_contributions(A, delta, pairs)
    fig, ax = plt.subplots(1, 3, figsize=(12, 3.8), gridspec_kw={"width_ratios": [3, 2, 2.6]})
    _grid(ax[0], A.shape)
    for (r, c), v in np.ndenumerate(A):
        inside = i <= r < i + kh and j <= c < j + kw and not show_all
        if inside:
            ax[0].add_patch(plt.Rectangle((c - 0.5, r - 0.5), 1, 1, color=LIGHT))
        ax[0].text(c, r, f"a{r}{c}\n= {v:g}", ha="center", va="center", fontsize=FONT, color=DARK,
                   fontweight="bold" if inside else "normal")
    if not show_all:
        ax[0].add_patch(plt.Rectangle((j - 0.5, i - 0.5), kw, kh, fill=False, ec=ORANGE, lw=3))
    ax[0].set_title("input A" + ("" if show_all else f": the window of z{i}{j}"), fontsize=FONT + 1)
    _grid(ax[1], delta.shape)
    for (r, c), v in np.ndenumerate(delta):
        chosen = (r, c) in pairs
        ax[1].text(c, r, f"δ{r}{c}\n= {v:g}", ha="center", va="center", fontsize=FONT,
                   color=DARK if chosen else GREY, fontweight="bold" if chosen else "normal")
    ax[1].set_title("output delta Δ", fontsize=FONT + 1)
    _grid(ax[2], total.shape)
    for p in range(kh):
        for q in range(kw):
            terms = "\n+ ".join(labels[p][q])
            ax[2].text(q, p, f"∂C/∂f{p}{q}\n{terms}\n= {total[p, q]:g}", ha="center", va="center",
                       fontsize=FONT - 1 if show_all else FONT, color=DARK)
    ax[2].set_title("∂C/∂F" + (" (all deltas)" if show_all else ": this delta's share"), fontsize=FONT + 1)
    plt.tight_layout()
    plt.show()
    return total


def pool_routes(x, size=2):
    """``(max_dx, avg_dx)`` for an all-ones delta on ``x (H, W)`` with windows ``size`` × ``size``, stride ``size``.

    Max pooling sends each window's delta to its first maximum in row-major order.
    """
    x = np.asarray(x, dtype=float)
    h, w = x.shape[0] // size, x.shape[1] // size
    blocks = x[:h * size, :w * size].reshape(h, size, w, size).transpose(0, 2, 1, 3).reshape(h, w, size * size)
    win = np.zeros_like(blocks)
    np.put_along_axis(win, np.argmax(blocks, axis=-1)[..., None], 1.0, axis=-1)
    max_dx = np.zeros_like(x)
    max_dx[:h * size, :w * size] = win.reshape(h, w, size, size).transpose(0, 2, 1, 3).reshape(h * size, w * size)
    avg_dx = np.zeros_like(x)
    avg_dx[:h * size, :w * size] = 1.0 / size ** 2
    return max_dx, avg_dx


def draw_pool_backward(x, size=2):
    """Input, max-pool δx and average-pool δx for δ = 1, with the windows outlined; dark text on light cells."""
    x = np.asarray(x, dtype=float)
    max_dx, avg_dx = pool_routes(x, size)
    fig, ax = plt.subplots(1, 3, figsize=(12, 4))
    panels = [(x, "input x (winners in orange)", max_dx > 0), (max_dx, "max pool: δx for δ = 1", max_dx > 0),
              (avg_dx, "average pool: δx for δ = 1", avg_dx > 0)]
    for a, (img, title, marked) in zip(ax, panels):
        _grid(a, img.shape)
        for (r, c), v in np.ndenumerate(img):
            if marked[r, c]:
                a.add_patch(plt.Rectangle((c - 0.5, r - 0.5), 1, 1, color=LIGHT))
            a.text(c, r, f"{v:g}", ha="center", va="center", fontsize=FONT + 1, color=DARK,
                   fontweight="bold" if marked[r, c] else "normal")
        for t in range(0, img.shape[0] + 1, size):
            a.axhline(t - 0.5, color=BLUE, lw=2.5)
        for t in range(0, img.shape[1] + 1, size):
            a.axvline(t - 0.5, color=BLUE, lw=2.5)
        a.set_title(title, fontsize=FONT + 1)
    plt.tight_layout()
    plt.show()
    return max_dx, avg_dx
