"""Drawing code of week 2, shipped beside the notebook (not graded, not secret).

Every picture computes with its own few lines of numpy, never with the student's functions, so
*Run All* of a fresh release draws all of them before the first exercise:

- :func:`draw_placements` / :func:`placements_widget`: where a filter lands on a padded axis for
  given ``n, f, p, s``, and which rows and columns the floor of the size rule leaves out;
- :func:`draw_shift` / :func:`shift_widget`: sheet 001's network (conv → ReLU → 2x2 max pool)
  before and after moving the image, with the pooled units that change framed.
"""
from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.patches import Rectangle


def draw_placements(n=8, f=3, p=0, s=2):
    """The padded input of one layer with every filter placement (left) and the output grid (right).

    ``n`` input size, ``f`` filter size, ``p`` zeros on each side, ``s`` stride (one spatial axis;
    both axes drawn alike).
    """
    m = n + 2 * p                                          # padded length
    fig, ax = plt.subplots(1, 2, figsize=(11, 4.8), gridspec_kw={"width_ratios": [3, 2]})
    for r in range(m):
        for c in range(m):
            inside = p <= r < p + n and p <= c < p + n
            ax[0].add_patch(Rectangle((c, r), 1, 1, fc="white" if inside else "0.82", ec="0.55", lw=0.8))
    for a in ax:
        a.set_aspect("equal")
        a.axis("off")
    ax[0].set_xlim(-0.3, m + 0.3)
    ax[0].set_ylim(m + 0.3, -0.3)
    if f > m:
        ax[0].set_title(f"padded input {m}x{m}: a {f}x{f} filter does not fit, no output")
        ax[1].set_title("no output")
        plt.show()
        return
    n_out = (m - f) // s + 1
    starts = [j * s for j in range(n_out)]
    reached = starts[-1] + f                               # rows/columns 0 .. reached-1 lie in some window
    for t in range(reached, m):
        ax[0].add_patch(Rectangle((t, 0), 1, m, fc="red", alpha=0.22, ec="none"))
        ax[0].add_patch(Rectangle((0, t), m, 1, fc="red", alpha=0.22, ec="none"))
    for r in starts:
        for c in starts:
            ax[0].plot(c + 0.5, r + 0.5, "o", color="navy", ms=5)
    ax[0].add_patch(Rectangle((0, 0), f, f, fill=False, ec="royalblue", lw=3))
    ax[0].add_patch(Rectangle((starts[-1], starts[-1]), f, f, fill=False, ec="darkorange", lw=3, ls="--"))
    ax[0].set_title(f"padded input: n + 2p = {n} + 2·{p} = {m}")
    for r in range(n_out):
        for c in range(n_out):
            ax[1].add_patch(Rectangle((c, r), 1, 1, fc="lightsteelblue", ec="navy"))
    ax[1].set_xlim(-0.3, max(n_out, 3) + 0.3)
    ax[1].set_ylim(max(n_out, 3) + 0.3, -0.3)
    ax[1].set_title(f"output: {n_out} x {n_out}")
    exact = (m - f) / s + 1
    text = f"⌊(n + 2p − f)/s⌋ + 1 = ⌊({n} + {2 * p} − {f})/{s}⌋ + 1 = ⌊{m - f}/{s}⌋ + 1 = {n_out}"
    if (m - f) % s:
        text += (f"      without the floor: {exact:.3g};  the last {(m - f) % s} row(s)/column(s)"
                 f" are reached by no window")
    fig.suptitle(text, fontsize=11)
    plt.tight_layout()
    plt.show()


def placements_widget():
    """Sliders for ``n, f, p, s`` around :func:`draw_placements`."""
    import ipywidgets as widgets

    sliders = {name: widgets.IntSlider(value=v, min=lo, max=hi, description=name, continuous_update=False)
               for name, v, lo, hi in [("n", 8, 1, 12), ("f", 3, 1, 7), ("p", 0, 0, 3), ("s", 2, 1, 4)]}
    out = widgets.interactive_output(draw_placements, sliders)
    return widgets.VBox([widgets.HBox(list(sliders.values())), out])


def shifted(image, shift):
    """The 2-D ``image`` moved by ``shift = (dy, dx)``, zero fill: ``new[i, j] = old[i - dy, j - dx]``."""
    dy, dx = shift
    h, w = image.shape
    out = np.zeros_like(image)
    for i in range(h):
        for j in range(w):
            if 0 <= i - dy < h and 0 <= j - dx < w:
                out[i, j] = image[i - dy, j - dx]
    return out


def relu_maps(image, filters):
    """ReLU of the valid cross-correlation of a 2-D ``image`` with each of ``filters (kh, kw, K)``,
    shape ``(H - kh + 1, W - kw + 1, K)``, by loops."""
    kh, kw, k = filters.shape
    ho, wo = image.shape[0] - kh + 1, image.shape[1] - kw + 1
    maps = np.zeros((ho, wo, k))
    for i in range(ho):
        for j in range(wo):
            for q in range(k):
                maps[i, j, q] = max(0.0, np.sum(image[i:i + kh, j:j + kw] * filters[:, :, q]))
    return maps


def pool2x2(maps):
    """2x2 max pooling with stride 2 of ``maps (H', W', K)``, by loops."""
    ph, pw = maps.shape[0] // 2, maps.shape[1] // 2
    out = np.zeros((ph, pw, maps.shape[2]))
    for i in range(ph):
        for j in range(pw):
            out[i, j] = maps[2 * i:2 * i + 2, 2 * j:2 * j + 2].max(axis=(0, 1))
    return out


def _show_numbers(ax, values, title, vmax, cmap="Blues", bold=None):
    ax.imshow(values, cmap=cmap, vmin=0, vmax=vmax)
    for (r, c), v in np.ndenumerate(values):
        strong = bold is not None and bold[r, c]
        ax.text(c, r, f"{v:g}", ha="center", va="center", fontsize=12 if strong else 10,
                fontweight="bold" if strong else "normal", color="white" if v > 0.6 * vmax else "black")
    ax.set(title=title, xticks=[], yticks=[])


def draw_shift(image, filters, dy=0, dx=-1):
    """Sheet 001's network before (top) and after (bottom) moving ``image`` by ``(dy, dx)``.

    Shows the image, each filter's ReLU map with its pooling windows (maxima bold) and the pooled
    units; map entries with no old counterpart are hatched, changed pooled units framed in red.
    Returns the pooled volumes ``(before, after)``, each ``(H'', W'', K)``.
    """
    k = filters.shape[2]
    image1 = shifted(image, (dy, dx))
    maps0, maps1 = relu_maps(image, filters), relu_maps(image1, filters)
    pool0, pool1 = pool2x2(maps0), pool2x2(maps1)
    changed = pool0 != pool1
    ho, wo = maps0.shape[:2]
    fig, ax = plt.subplots(2, 1 + 2 * k, figsize=(12.5, 5.8), gridspec_kw={"width_ratios": [6] + [4, 2] * k})
    rows = [(image, maps0, pool0, "before"), (image1, maps1, pool1, f"after shift ({dy}, {dx})")]
    for row, (img, maps, pool, label) in enumerate(rows):
        _show_numbers(ax[row, 0], img, f"image, {label}", vmax=max(img.max(), 1), cmap="Greys")
        for q in range(k):
            winners = maps[:2 * pool.shape[0], :2 * pool.shape[1], q] == np.kron(pool[:, :, q], np.ones((2, 2)))
            a_map, a_pool = ax[row, 1 + 2 * q], ax[row, 2 + 2 * q]
            bold = np.zeros((ho, wo), bool)
            bold[:winners.shape[0], :winners.shape[1]] = winners
            _show_numbers(a_map, maps[:, :, q], f"filter {q + 1}: ReLU map", vmax=9, bold=bold)
            for t in range(2, ho, 2):
                a_map.axhline(t - 0.5, color="k", lw=2)
            for t in range(2, wo, 2):
                a_map.axvline(t - 0.5, color="k", lw=2)
            _show_numbers(a_pool, pool[:, :, q], "pooled", vmax=9)
            if row == 1:
                for i in range(ho):
                    for j in range(wo):
                        if not (0 <= i - dy < ho and 0 <= j - dx < wo):     # no old entry moved here
                            a_map.add_patch(Rectangle((j - 0.5, i - 0.5), 1, 1, fill=False, hatch="///",
                                                      ec="darkorange", lw=0))
                for i, j in zip(*np.nonzero(changed[:, :, q])):
                    a_pool.add_patch(Rectangle((j - 0.47, i - 0.47), 0.94, 0.94, fill=False, ec="red", lw=3))
                    a_pool.text(j, i + 0.32, f"was {pool0[i, j, q]:g}", ha="center", color="darkred", fontsize=10)
    fig.suptitle(f"shift (dy, dx) = ({dy}, {dx}): {int(changed.sum())} of {changed.size} pooled units change")
    plt.tight_layout()
    plt.show()
    return pool0, pool1


def shift_widget(image, filters):
    """Sliders for ``dy, dx`` around :func:`draw_shift`."""
    import ipywidgets as widgets

    dy = widgets.IntSlider(value=0, min=-3, max=3, description="dy", continuous_update=False)
    dx = widgets.IntSlider(value=1, min=-3, max=3, description="dx", continuous_update=False)

    def draw(dy, dx):
        draw_shift(image, filters, dy, dx)

    out = widgets.interactive_output(draw, {"dy": dy, "dx": dx})
    return widgets.VBox([widgets.HBox([dy, dx]), out])
