"""equivariance: the sheet-001 tables, shifting, and the count of changed pooled units."""
import numpy as np
import pytest
from scipy import signal

from solutions_lib import SHEET001_FILTERS, SHEET001_IMAGE, count_changed_units, pooled_features
from solutions_lib.equivariance import shift_image

CONV1 = [[3, 3, 5, 1], [7, 4, 4, 5], [2, 7, 5, 3], [4, 3, 2, 4]]
CONV2 = [[2, 5, 2, 4], [8, 9, 5, 7], [7, 3, 4, 6], [5, 2, 5, 3]]
CONV1_LEFT = [[3, 5, 1, 3], [4, 4, 5, 1], [7, 5, 3, 2], [3, 2, 4, 1]]
CONV2_LEFT = [[5, 2, 4, 1], [9, 5, 7, 2], [3, 4, 6, 1], [2, 5, 3, 0]]


def test_sheet_convolution_tables():
    left = shift_image(SHEET001_IMAGE, (0, -1))
    for k, (before, after) in enumerate([(CONV1, CONV1_LEFT), (CONV2, CONV2_LEFT)]):
        np.testing.assert_array_equal(signal.correlate(SHEET001_IMAGE, SHEET001_FILTERS[:, :, k], "valid"), before)
        np.testing.assert_array_equal(signal.correlate(left, SHEET001_FILTERS[:, :, k], "valid"), after)


def test_sheet_pooled_features_and_three_changes():
    p = pooled_features(SHEET001_IMAGE, SHEET001_FILTERS)
    assert p.shape == (2, 2, 2)
    np.testing.assert_array_equal(p[:, :, 0], [[7, 5], [7, 5]])
    np.testing.assert_array_equal(p[:, :, 1], [[9, 7], [7, 6]])
    assert count_changed_units(SHEET001_IMAGE, SHEET001_FILTERS, (0, -1)) == 3
    assert count_changed_units(SHEET001_IMAGE, SHEET001_FILTERS, (0, 0)) == 0


def test_shift_image_against_np_roll():
    img = np.arange(1, 26.).reshape(5, 5)
    for dy, dx in [(0, -1), (1, 0), (-2, 3), (2, 2)]:
        rolled = np.roll(img, (dy, dx), axis=(0, 1))
        out = shift_image(img, (dy, dx))
        mask = shift_image(np.ones_like(img), (dy, dx)).astype(bool)
        np.testing.assert_array_equal(out[mask], rolled[mask])
        assert np.all(out[~mask] == 0)


def test_bad_input():
    with pytest.raises(ValueError):
        pooled_features(np.ones((6, 6, 1)), SHEET001_FILTERS)
    with pytest.raises(ValueError):
        count_changed_units(SHEET001_IMAGE, SHEET001_FILTERS, (1,))
