"""Week 5's figures: the dropout mask on a digit and on a hidden layer, the measured mean output
against p, and the test accuracy of the dropout experiment. Not graded; read it freely.

Every figure computes what it shows with its own code (a uniform draw below p keeps a unit), so
the explorations work before your exercises do.
"""
from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np

plt.rcParams.update({"font.size": 11, "axes.titlesize": 11})

#: the scale choices of the widget: label -> scale as a function of the keep probability p
SCALES = {
    "1/p": lambda p: 1.0 / p,
    "1/(1-p)  (the sheet's listing)": lambda p: 1.0 / (1.0 - p) if p < 1 else 1.0,
    "none": lambda p: 1.0,
}


def draw_mask(shape, p, rng):
    """A 0/1 mask of ``shape``: each entry is 1 (kept) with probability ``p``."""
    return (rng.random(shape) < p).astype(float)


def average_masked(x, p, scale, n, rng):
    """Mean of ``n`` dropped-and-scaled copies of ``x``: ``mean_t x * mask_t * scale``."""
    total = np.zeros_like(np.asarray(x, dtype=float))
    for _ in range(n):
        total += x * draw_mask(np.shape(x), p, rng) * scale
    return total / n


def fallback_digit():
    """A hand-drawn 28x28 'five' for when the MNIST files are missing."""
    img = np.zeros((28, 28))
    img[5:8, 8:21] = 1.0
    img[5:15, 8:11] = 1.0
    img[13:16, 8:19] = 1.0
    img[14:22, 18:21] = 1.0
    img[20:23, 7:20] = 1.0
    return img


def show_masks(digit, hidden, p, scale_name, seed, n_average=200):
    """Four panels: the digit, one dropout draw on it, the mean of ``n_average`` draws (with the
    chosen scale), and the hidden layer's 100 activations as a 10x10 grid under one draw."""
    rng = np.random.default_rng(seed)
    scale = SCALES[scale_name](p)
    mask = draw_mask(digit.shape, p, rng)
    mean = average_masked(digit, p, scale, n_average, rng)
    h_mask = draw_mask(hidden.shape, p, rng)
    fig, ax = plt.subplots(1, 4, figsize=(13, 3.6))
    top = max(1.0, scale)          # one colour scale for all panels: brightness is comparable
    panels = [(digit, "the digit (input)", top), (digit * mask * scale, f"one draw: kept × {scale:.3g}", top),
              (mean, f"mean of {n_average} draws", top),
              ((hidden * h_mask * scale).reshape(10, 10), "hidden layer (100 units), one draw", top)]
    for a, (img, title, vmax) in zip(ax, panels):
        im = a.imshow(img, cmap="cividis", vmin=0, vmax=vmax)
        a.set(title=title, xticks=[], yticks=[])
        fig.colorbar(im, ax=a, fraction=0.046)
    bright = digit.sum()
    ratio = mean.sum() / bright if bright else float("nan")
    kept = h_mask.mean()
    fig.suptitle(f"p = {p:.2f}, scale {scale_name.split()[0]}: {mask.mean():.0%} of the pixels and {kept:.0%} "
                 f"of the hidden units kept in this draw; mean brightness / original = {ratio:.3f}", fontsize=11)
    fig.tight_layout()
    plt.show()
    return ratio


def plot_scale_measurement(ps, measured, labels):
    """Measured mean output / input against p, one line per layer, with the theory ``p · scale``."""
    fig, ax = plt.subplots(figsize=(6.4, 4))
    fine = np.linspace(min(ps), max(ps), 100)
    ax.plot(fine, np.ones_like(fine), color="0.3", lw=1, label="1 (the input)")
    ax.plot(fine, fine / (1 - fine), color="0.3", lw=1, ls="--", label="p / (1 - p)")
    markers = ["o", "s", "^"]
    for (name, values), m, c in zip(measured.items(), markers, ["#0072B2", "#D55E00", "#009E73"]):
        ax.plot(ps, values, m, color=c, ms=7, label=labels.get(name, name))
    ax.set(xlabel="keep probability p", ylabel="mean output / input", title="expected_output, measured")
    ax.legend(fontsize=10)
    fig.tight_layout()
    plt.show()


def plot_accuracy(base, by_p, title):
    """Test accuracy against p, with the net without dropout as a horizontal line."""
    ps = sorted(by_p)
    fig, ax = plt.subplots(figsize=(6.4, 4))
    ax.plot(ps, [100 * by_p[p] for p in ps], "o-", color="#0072B2", ms=7, label="with dropout (hidden layer)")
    ax.axhline(100 * base, color="#D55E00", ls="--", label=f"without dropout: {100 * base:.1f}%")
    ax.set(xlabel="keep probability p", ylabel="test accuracy (%)", title=title)
    ax.legend(fontsize=10)
    fig.tight_layout()
    plt.show()
