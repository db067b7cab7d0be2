"""Translation equivariance of convolution and (partial) invariance of max pooling, sheet 001 ex. 3."""
from __future__ import annotations

import numpy as np

from solutions_lib.activations import relu
from solutions_lib.conv2d import conv2d_forward
from solutions_lib.pooling import maxpool2d_forward

#: Sheet 001 ex. 3: the 6×6 image.
SHEET001_IMAGE = np.array(
    [
        [0, 0, 0, 0, 0, 0],
        [0, 1, 2, 0, 3, 0],
        [0, 1, 2, 0, 1, 0],
        [0, 4, 1, 1, 2, 0],
        [0, 0, 0, 2, 1, 0],
        [0, 0, 0, 0, 0, 0],
    ],
    dtype=float,
)
#: Sheet 001 ex. 3: the two 3×3 filters, ``[m, n, filter]``.
SHEET001_FILTERS = np.stack(
    [
        np.array([[0, 1, 0], [1, 0, 1], [0, 1, 0]], dtype=float),
        np.array([[0, 1, 1], [0, 1, 0], [1, 1, 0]], dtype=float),
    ],
    axis=-1,
)


def pooled_features(image, filters):
    """Conv (stride 1, no padding, zero bias) → ReLU → 2×2 max-pool (stride 2) of one image.

    Parameters
    ----------
    image : ndarray (H, W)
    filters : ndarray (kh, kw, K)

    Returns
    -------
    ndarray (H', W', K); ``(2, 2, 2)`` for the sheet's image and filters.
    """
    image, filters = np.asarray(image, dtype=float), np.asarray(filters, dtype=float)
    if image.ndim != 2:
        raise ValueError(f"image must be 2-D (H, W), got shape {image.shape}")
    if filters.ndim != 3:
        raise ValueError(f"filters must have shape (kh, kw, K), got {filters.shape}")
    z = conv2d_forward(image[None, :, :, None], filters[:, :, None, :], np.zeros(filters.shape[2]))
    return maxpool2d_forward(relu(z), 2, 2)[0]


def shift_image(image, shift):
    """Move ``image`` by ``shift = (dy, dx)`` pixels, filling with zeros: ``new[i, j] = old[i-dy, j-dx]``."""
    image = np.asarray(image, dtype=float)
    dy, dx = (int(s) for s in shift)
    out = np.zeros_like(image)
    h, w = image.shape
    if abs(dy) >= h or abs(dx) >= w:
        return out
    out[max(dy, 0):h + min(dy, 0), max(dx, 0):w + min(dx, 0)] = \
        image[max(-dy, 0):h + min(-dy, 0), max(-dx, 0):w + min(-dx, 0)]
    return out


def count_changed_units(image, filters, shift):
    """How many pooled units change when the image moves by ``shift = (dy, dx)`` (zero fill).

    ``(0, -1)`` moves the image one pixel left; for the sheet this changes 3 of the 8 units.
    """
    if len(tuple(shift)) != 2:
        raise ValueError(f"shift must be a pair (dy, dx), got {shift!r}")
    before = pooled_features(image, filters)
    after = pooled_features(shift_image(image, shift), filters)
    return int(np.count_nonzero(before != after))
