"""shapes: the formula against counting window positions; the sheet examples."""
import numpy as np
import pytest

from solutions_lib import conv2d_forward, conv_output_shape, conv_output_size, conv_param_count, same_padding


def count_positions(n, f, p, s):
    return len(range(0, n + 2 * p - f + 1, s))


def test_output_size_counts_window_positions():
    for n in range(1, 12):
        for f in range(1, 6):
            for p in range(3):
                for s in range(1, 4):
                    if f <= n + 2 * p:
                        assert conv_output_size(n, f, p, s) == count_positions(n, f, p, s)


def test_sheet_examples():
    assert conv_output_shape((20, 18, 5), (3, 4, 5, 1337), 2, 3) == (12, 11, 1337)
    assert same_padding(3) == 1 and conv_output_size(4, 3, same_padding(3)) == 4
    assert [conv_param_count(5, 5, 1, 16), conv_param_count(5, 5, 16, 16)] == [416, 6416]
    assert conv_param_count(5, 5, 3, 16) == 1216 and conv_param_count(3, 3, 24, 16) == 3472


def test_output_shape_matches_the_layer():
    x, w = np.zeros((1, 9, 7, 2)), np.zeros((3, 2, 2, 4))
    assert conv2d_forward(x, w, np.zeros(4), 2, 1).shape[1:] == conv_output_shape((9, 7, 2), (3, 2, 2, 4), 2, 1)


@pytest.mark.parametrize("call", [
    lambda: same_padding(4), lambda: same_padding(0), lambda: conv_output_size(-1, 3),
    lambda: conv_output_size(3, 5), lambda: conv_output_size(5, 3, 0, 0), lambda: conv_output_size(5.5, 3),
    lambda: conv_output_shape((5, 5, 3), (3, 3, 2, 4)), lambda: conv_param_count(3, 3, 0, 1),
])
def test_bad_input(call):
    with pytest.raises(ValueError):
        call()
