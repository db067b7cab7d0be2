"""One meaning of "an integer" across the reference library (solutions_lib.validate)."""
from __future__ import annotations

import numpy as np
import pytest

from solutions_lib import ConvLayer, MaxPoolLayer, confusion_matrix, conv2d_forward, conv_output_size, maxpool2d_forward
from solutions_lib.validate import integer


@pytest.mark.parametrize("value", [3, np.int64(3), np.int8(3)])
def test_integers_pass_as_int(value):
    out = integer("stride", value, 1)
    assert out == 3 and type(out) is int


@pytest.mark.parametrize("value", [2.0, 2.5, True, "2", None, np.float64(2.0)])
def test_non_integers_are_rejected_with_the_name(value):
    with pytest.raises(ValueError, match="stride must be an integer"):
        integer("stride", value, 1)


def test_below_the_minimum_is_rejected():
    with pytest.raises(ValueError, match=r"padding must be an integer >= 0, got -1"):
        integer("padding", -1, 0)


def test_layer_and_function_agree_on_a_float_stride():
    """Once, ConvLayer(stride=2.0) was accepted while conv2d_forward(stride=2.0) raised."""
    x, w, b = np.zeros((1, 5, 5, 1)), np.zeros((3, 3, 1, 2)), np.zeros(2)
    for make in (lambda: conv2d_forward(x, w, b, stride=2.0), lambda: ConvLayer(3, 3, 1, 2, stride=2.0),
                 lambda: ConvLayer(3, 3, 1, 2, padding=1.0), lambda: maxpool2d_forward(x, size=2.0),
                 lambda: MaxPoolLayer(stride=2.0).forward(x), lambda: conv_output_size(5, 3, 0, 2.0),
                 lambda: confusion_matrix([0, 1], [1, 0], 2.0)):
        with pytest.raises(ValueError, match="must be an integer"):
            make()
