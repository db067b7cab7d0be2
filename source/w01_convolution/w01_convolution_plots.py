"""Drawing code of week 1, shipped beside the notebook (not graded, not secret).

Each picture computes with its own few lines of numpy, never with the student's functions, so
*Run All* of a fresh release draws all of them before the first exercise:

- :func:`slide_widget` / :func:`draw_slide`: one step of 'valid' cross-correlation (or, flipped,
  convolution) of a 3x3 filter over a 5x5 image, the window, the products and the output so far;
- :func:`sample_picture` and :func:`draw_filters_figure`: the sheet's three filters applied by
  correlation and by convolution to a 64x64 picture with a ramp, a disc, a line and a spot.

Operators are written in mathtext (``$\\star$``, ``$*$``) so that the two never render as
look-alike glyphs.
"""
from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

#: what the two operations are called in titles (mathtext)
CORRELATION = r"cross-correlation $K \star X$"
CONVOLUTION = r"convolution $X * K$"


def valid_correlation(image, kernel):
    """'Valid' cross-correlation of a 2-D ``image (H, W)`` with ``kernel (kh, kw)``, shape
    ``(H - kh + 1, W - kw + 1)`` (the figures' own code)."""
    return np.einsum("ijmn,mn->ij", sliding_window_view(image, kernel.shape), kernel)


def _annotate(ax, values, lim, current=None):
    """Write each value into its cell: white on strong colours, black on pale ones; the current cell bold."""
    for (r, c), v in np.ndenumerate(values):
        if np.isnan(v):
            continue
        bold = current is not None and current[r, c]
        ax.text(c, r, f"{v:g}", ha="center", va="center", fontsize=12 if bold else 10,
                fontweight="bold" if bold else "normal", color="white" if abs(v) > 0.55 * lim else "black")


def draw_slide(image, filters, i=0, j=0, name=None, flipped=False):
    """Draw output entry ``(i, j)`` of the filter ``filters[name]`` slid over ``image``, and print
    its sum term by term (``S[i,j] = (k)*x + ... = value``).

    Parameters
    ----------
    image : ndarray, shape (H, W)
    filters : dict of str -> ndarray, shape (kh, kw)
    i, j : int
        The output position, ``0 <= i <= H - kh``, ``0 <= j <= W - kw``.
    flipped : bool
        Rotate the kernel by 180 degrees first (convolution instead of cross-correlation).
    """
    kernel = filters[name if name is not None else next(iter(filters))]
    used = kernel[::-1, ::-1] if flipped else kernel
    kh, kw = used.shape
    window = image[i:i + kh, j:j + kw]
    products = used * window
    full = valid_correlation(image, used)
    shown = np.full(full.shape, np.nan)
    for r, c in np.ndindex(full.shape):
        if (r, c) <= (i, j):
            shown[r, c] = full[r, c]
    inside = np.zeros(image.shape, bool)
    inside[i:i + kh, j:j + kw] = True

    fig, ax = plt.subplots(1, 4, figsize=(14, 3.6))
    ax[0].imshow(image, cmap="Greys_r", vmin=-6, vmax=9)
    for (r, c), v in np.ndenumerate(image):
        ax[0].text(c, r, f"{v:g}", ha="center", va="center", fontsize=12 if inside[r, c] else 10,
                   color="crimson" if inside[r, c] else "black", fontweight="bold" if inside[r, c] else "normal")
    ax[0].add_patch(plt.Rectangle((j - 0.5, i - 0.5), kw, kh, fill=False, ec="crimson", lw=2.5))
    ax[0].set_title(f"image X, window of S[{i},{j}]")
    lim = max(1.0, np.abs(used).max())
    ax[1].imshow(used, cmap="RdBu_r", vmin=-lim, vmax=lim)
    _annotate(ax[1], used, lim)
    ax[1].set_title("kernel flipped (convolution)" if flipped else "kernel as is (cross-correlation)")
    plim = max(1.0, np.abs(products).max())
    ax[2].imshow(products, cmap="RdBu_r", vmin=-plim, vmax=plim)
    _annotate(ax[2], products, plim)
    ax[2].set_title(f"products, sum = {products.sum():g}")
    olim = max(1.0, np.abs(full).max())
    ax[3].imshow(np.where(np.isnan(shown), 0.0, shown), cmap="RdBu_r", vmin=-olim, vmax=olim)
    current = np.zeros(full.shape, bool)
    current[i, j] = True
    _annotate(ax[3], shown, olim, current)
    ax[3].add_patch(plt.Rectangle((j - 0.5, i - 0.5), 1, 1, fill=False, ec="crimson", lw=2.5))
    ax[3].set_title("output so far " + (r"($X * K$)" if flipped else r"($K \star X$)"))
    for a in ax:
        a.set_xticks([])
        a.set_yticks([])
    plt.tight_layout()
    plt.show()
    terms = " + ".join(f"({k:g})*{v:g}" for k, v in zip(used.ravel(), window.ravel()))
    print(f"S[{i},{j}] = {terms} = {products.sum():g}")


def slide_widget(image, filters):
    """The sliders (row, column), the filter menu and the flip box around :func:`draw_slide`."""
    import ipywidgets as widgets

    kh, kw = next(iter(filters.values())).shape
    row = widgets.IntSlider(value=0, min=0, max=image.shape[0] - kh, description="row i")
    col = widgets.IntSlider(value=0, min=0, max=image.shape[1] - kw, description="column j")
    menu = widgets.Dropdown(options=list(filters), value=next(iter(filters)), description="filter",
                            layout=widgets.Layout(width="340px"))
    flip = widgets.Checkbox(value=False, description="flip (convolution)")

    def draw(i, j, name, flipped):
        draw_slide(image, filters, i, j, name, flipped)

    out = widgets.interactive_output(draw, {"i": row, "j": col, "name": menu, "flipped": flip})
    return widgets.VBox([widgets.HBox([row, col]), widgets.HBox([menu, flip]), out])


def sample_picture():
    """A 64x64 picture: a ramp that bends into a flat background, a bright disc, a dark diagonal
    line and one bright pixel."""
    yy, xx = np.mgrid[0:64, 0:64].astype(float)
    picture = np.where(xx < 16, 0.25 * xx, 4.0)
    picture[(yy - 20) ** 2 + (xx - 44) ** 2 <= 9 ** 2] = 8.0
    picture[(np.abs((yy - xx) - 12) <= 1) & (yy >= 36) & (yy <= 60)] = 0.0
    picture[50, 8] = 8.0
    return picture


def draw_filters_figure(picture, filters, names):
    """Top row: ``picture`` and ``K ⋆ X`` for each filter; bottom row: the gradient magnitude of
    the first two and ``X * K`` for each. One colour scale per filter for both rows.

    Returns ``(correlations, convolutions)``, lists of the response maps.
    """
    corr = [valid_correlation(picture, k) for k in filters]
    conv = [valid_correlation(picture, k[::-1, ::-1]) for k in filters]
    magnitude = np.sqrt(corr[0] ** 2 + corr[1] ** 2)
    fig, ax = plt.subplots(2, 1 + len(filters), figsize=(15, 7.4))
    ax[0, 0].imshow(picture, cmap="Greys_r")
    ax[0, 0].set_title(f"image X ({picture.shape[0]}x{picture.shape[1]})")
    ax[1, 0].imshow(magnitude, cmap="magma")
    ax[1, 0].set_title("gradient magnitude (same for both)")
    for f, name in enumerate(names):
        lim = 0.6 * np.abs(corr[f]).max()          # saturate a little: weak responses stay visible
        ax[0, f + 1].imshow(corr[f], cmap="RdBu_r", vmin=-lim, vmax=lim)
        ax[0, f + 1].set_title(f"{name}\n{CORRELATION}")
        ax[1, f + 1].imshow(conv[f], cmap="RdBu_r", vmin=-lim, vmax=lim)
        ax[1, f + 1].set_title(f"{name}\n{CONVOLUTION}")
    for a in ax.ravel():
        a.set_xticks([])
        a.set_yticks([])
    plt.tight_layout()
    plt.show()
    return corr, conv


def draw_full_and_valid(full, valid, title):
    """Side by side: a 'full' response map and its 'valid' middle part, the border where the
    kernel meets the imagined zeros framed on the full map.

    Parameters
    ----------
    full : ndarray, shape (H + kh - 1, W + kw - 1)
    valid : ndarray, shape (H - kh + 1, W - kw + 1)
    """
    border_h, border_w = (full.shape[0] - valid.shape[0]) // 2, (full.shape[1] - valid.shape[1]) // 2
    lim = 0.6 * max(np.abs(full).max(), 1e-12)
    fig, ax = plt.subplots(1, 2, figsize=(10, 4.8))
    for a, values, label in [(ax[0], full, f"'full' {full.shape[0]}x{full.shape[1]}"),
                             (ax[1], valid, f"'valid' {valid.shape[0]}x{valid.shape[1]}")]:
        a.imshow(values, cmap="RdBu_r", vmin=-lim, vmax=lim)
        a.set_title(f"{title}: {label}")
        a.set_xticks([])
        a.set_yticks([])
    ax[0].add_patch(plt.Rectangle((border_w - 0.5, border_h - 0.5), valid.shape[1], valid.shape[0],
                                  fill=False, ec="black", lw=2, ls="--"))
    plt.tight_layout()
    plt.show()
