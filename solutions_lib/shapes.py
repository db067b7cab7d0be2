"""Volume sizes of convolution layers: output sizes, same padding, parameter counts."""
from __future__ import annotations

from .validate import integer as _int


def conv_output_size(n, f, p=0, s=1):
    """Output width ``floor((n + 2p - f) / s) + 1`` of a convolution along one axis.

    Parameters
    ----------
    n : int >= 1   input size
    f : int >= 1   filter size
    p : int >= 0   zero padding on each side
    s : int >= 1   stride
    """
    n, f, p, s = _int("n", n, 1), _int("f", f, 1), _int("p", p, 0), _int("s", s, 1)
    if f > n + 2 * p:
        raise ValueError(f"filter size f={f} is larger than the padded input n + 2p = {n + 2 * p}")
    return (n + 2 * p - f) // s + 1


def same_padding(f):
    """Padding ``(f - 1) / 2`` that keeps the size at stride 1; ``f`` must be odd."""
    f = _int("f", f, 1)
    if f % 2 == 0:
        raise ValueError(f"same padding needs an odd filter size, got f={f}")
    return (f - 1) // 2


def conv_output_shape(input_shape, filter_shape, stride=1, padding=0):
    """``(H, W, C)`` and ``(kh, kw, C, K)`` to the output volume ``(H_out, W_out, K)``."""
    if len(input_shape) != 3 or len(filter_shape) != 4:
        raise ValueError(
            f"need input (H, W, C) and filter (kh, kw, C, K), got {tuple(input_shape)} and {tuple(filter_shape)}"
        )
    h, w, c = input_shape
    kh, kw, c_f, k = filter_shape
    if c != c_f:
        raise ValueError(f"the filter has {c_f} input channels but the input has {c}")
    _int("K", k, 1)
    return (conv_output_size(h, kh, padding, stride), conv_output_size(w, kw, padding, stride), int(k))


def conv_param_count(kh, kw, c_in, c_out):
    """Trainable parameters of a conv layer: ``kh·kw·c_in·c_out`` weights plus ``c_out`` biases."""
    kh, kw = _int("kh", kh, 1), _int("kw", kw, 1)
    c_in, c_out = _int("c_in", c_in, 1), _int("c_out", c_out, 1)
    return kh * kw * c_in * c_out + c_out
