"""Week 2 catalogue — padding, stride, pooling and equivariance: hidden cases, typical mistakes, alternatives.

Week 4 imports the shared case makers from here: :func:`_pool_forward_cases` (also the cases of
``avgpool2d_forward``), :func:`_pool_shapes` and :func:`_pool_x` (the pooling backward cases),
:func:`_conv_shapes` and :func:`_conv_inputs` (the ``conv2d_backward`` cases).
"""
from __future__ import annotations

import numpy as np

from solutions_lib.grading.catalogue import Week, case, error, shape_of

week = Week("w02_volume_sizes")


# ======================================================================================
# hidden cases
# ======================================================================================

@week.cases("conv_output_size")
def _conv_output_size_cases(r):
    cases = [case(f"n={n}, f={f}, p={p}, s={s}", [n, f, p, s])
             for n, f, p, s in [(5, 3, 0, 1), (32, 5, 2, 1), (7, 3, 0, 2), (8, 3, 1, 2), (10, 4, 1, 3), (6, 6, 0, 1),
                                (1, 1, 0, 1), (20, 3, 3, 2), (227, 11, 0, 4), (9, 2, 0, 4)]]
    cases.append(case("n=7, f=3 (defaults p=0, s=1)", [7, 3]))
    cases.append(case("n=3, f=5, p=1, s=1 (the filter exactly fills the padded input)", [3, 5, 1, 1]))
    for n, f, p, s, why in [(-1, 3, 0, 1, "negative n"), (5, 3, -1, 1, "negative p"), (5, 3, 0, 0, "stride 0"),
                            (3, 5, 0, 1, "filter larger than the input"), (5, -3, 0, 1, "negative f"),
                            (5.5, 3, 0, 1, "n not an integer"), (5, 3, 0, 1.5, "s not an integer")]:
        cases.append(error(f"n={n}, f={f}, p={p}, s={s} ({why})", [n, f, p, s]))
    return cases


@week.cases("same_padding")
def _same_padding_cases(r):
    cases = [case(f"f={f}", [f]) for f in (1, 3, 5, 7, 11)]
    cases += [error(f"f={f} ({'even' if f % 2 == 0 else 'not positive'})", [f]) for f in (2, 4, 0, -3)]
    cases.append(error("f=2.5 (not an integer)", [2.5]))
    return cases


@week.cases("conv_output_shape")
def _conv_output_shape_cases(r):
    cases = [case(f"input {i}, filter {f}, stride {s}, padding {p}", [i, f, s, p])
             for i, f, s, p in [((20, 18, 5), (3, 4, 5, 1337), 2, 3), ((28, 28, 1), (5, 5, 1, 16), 1, 2),
                                ((7, 9, 3), (3, 3, 3, 8), 2, 0), ((4, 4, 2), (1, 1, 2, 3), 1, 0),
                                ((11, 6, 4), (4, 3, 4, 2), 3, 1)]]
    cases.append(case("input (6, 6, 3), filter (3, 3, 3, 2) (defaults)", [(6, 6, 3), (3, 3, 3, 2)]))
    cases.append(case("input (3, 3, 1), filter (5, 5, 1, 2), stride 1, padding 1 (exactly fits)",
                      [(3, 3, 1), (5, 5, 1, 2), 1, 1]))
    cases.append(error("channels differ: input (6, 6, 3), filter (3, 3, 2, 4)", [(6, 6, 3), (3, 3, 2, 4), 1, 0]))
    cases.append(error("input of 2 entries (6, 6)", [(6, 6), (3, 3, 1, 2), 1, 0]))
    cases.append(error("filter of 3 entries (3, 3, 1)", [(6, 6, 1), (3, 3, 1), 1, 0]))
    cases.append(error("stride 0", [(6, 6, 1), (3, 3, 1, 2), 0, 0]))
    cases.append(error("filter (5, 5) larger than the padded input (4, 4)", [(2, 2, 1), (5, 5, 1, 2), 1, 1]))
    return cases


@week.cases("conv_param_count")
def _conv_param_count_cases(r):
    cases = [case(f"kh={a}, kw={b}, c_in={c}, c_out={d}", [a, b, c, d])
             for a, b, c, d in [(3, 3, 1, 16), (5, 5, 16, 16), (1, 1, 3, 7), (3, 4, 5, 1337), (2, 3, 4, 1)]]
    cases.append(error("negative c_in", [3, 3, -1, 4]))
    cases.append(error("kh = 0", [0, 3, 1, 4]))
    cases.append(error("kh = 2.5 (not an integer)", [2.5, 3, 1, 4]))
    return cases


def _conv_inputs(r, n, h, w, c, kh, kw, k):
    """``x (n, h, w, c)``, ``w (kh, kw, c, k)`` and ``b (k,)``, drawn in this order (shared with week 4)."""
    return r.standard_normal((n, h, w, c)), r.standard_normal((kh, kw, c, k)), r.standard_normal(k)


def _conv_shapes():
    """The conv layer shapes ``(n, h, w, c, kh, kw, k, stride, padding)`` of the hidden cases (shared with week 4)."""
    return [(2, 5, 5, 3, 3, 3, 4, 1, 0), (1, 4, 6, 1, 2, 3, 1, 1, 0), (2, 6, 6, 2, 3, 3, 3, 1, 1),
            (2, 7, 7, 2, 3, 3, 2, 2, 0), (1, 8, 6, 3, 3, 2, 2, 3, 1), (3, 4, 4, 2, 1, 1, 3, 1, 0),
            (1, 5, 5, 2, 5, 5, 1, 1, 2), (2, 6, 5, 1, 2, 2, 2, 2, 1), (1, 6, 6, 3, 3, 3, 3, 2, 1)]


@week.cases("conv2d_forward")
def _conv2d_forward_cases(r):
    cases = []
    for n, h, w, c, kh, kw, k, s, p in _conv_shapes():
        x, wt, b = _conv_inputs(r, n, h, w, c, kh, kw, k)
        cases.append(case(f"x {shape_of(x)}, w {shape_of(wt)}, stride {s}, padding {p}", [x, wt, b],
                          {"stride": s, "padding": p}))
    x, wt, b = _conv_inputs(r, 1, 4, 4, 2, 3, 3, 2)
    cases.append(case("x 1x4x4x2, w 3x3x2x2 (defaults)", [x, wt, b]))
    cases.append(error("channels differ: x (1, 4, 4, 2), w (3, 3, 3, 2)", [x, r.standard_normal((3, 3, 3, 2)), b]))
    cases.append(error("bias of shape (3,) for 2 filters", [x, wt, r.standard_normal(3)]))
    cases.append(error("x of 3 dimensions (4, 4, 2), no batch axis", [x[0], wt, b]))
    cases.append(error("stride 0", [x, wt, b], {"stride": 0, "padding": 0}))
    cases.append(error("padding -1", [x, wt, b], {"stride": 1, "padding": -1}))
    cases.append(error("filter 5x5 larger than the input 4x4 (no padding)", [x, r.standard_normal((5, 5, 2, 2)), b]))
    return cases


@week.cases("relu")
def _relu_cases(r):
    cases = [case(f"x {s}", [r.standard_normal(s)]) for s in [(5,), (3, 4), (2, 3, 3, 2)]]
    cases.append(case("x with exact zeros", [np.array([-1.0, 0.0, 0.0, 2.0, -0.0])]))
    return cases


def _pool_shapes():
    """The pooling shapes ``(n, h, w, c, size, stride)`` of the hidden cases (shared with week 4)."""
    return [(2, 4, 4, 3, 2, 2), (1, 5, 5, 1, 2, 2), (2, 6, 4, 2, 3, 3), (1, 5, 5, 2, 3, 2), (2, 4, 6, 1, 2, 1),
            (1, 3, 3, 2, 1, 1), (3, 6, 6, 1, 2, 2)]


def _pool_x(r, shape, ties=False):
    """A pooling input of ``shape``: normal, or small integers (many tied maxima) if ``ties`` (shared with week 4)."""
    if ties:
        return r.integers(0, 3, size=shape).astype(float)
    return r.standard_normal(shape)


@week.cases("maxpool2d_forward")
def _pool_forward_cases(r):
    """The cases of ``maxpool2d_forward`` here and of ``avgpool2d_forward`` in week 4."""
    cases = []
    for n, h, w, c, size, stride in _pool_shapes():
        x = _pool_x(r, (n, h, w, c))
        cases.append(case(f"x {shape_of(x)}, size {size}, stride {stride}", [x], {"size": size, "stride": stride}))
    x = r.standard_normal((2, 4, 4, 2))
    cases.append(case("x 2x4x4x2 (defaults size 2, stride 2)", [x]))
    cases.append(error("size 0", [x], {"size": 0, "stride": 2}))
    cases.append(error("stride 0", [x], {"size": 2, "stride": 0}))
    cases.append(error("x of 3 dimensions (4, 4, 2), no batch axis", [x[0]]))
    cases.append(error("window larger than the input (size 5 on 4x4)", [x], {"size": 5, "stride": 1}))
    return cases


def _sheet001():
    """The sheet-001 image (6, 6) and filters (3, 3, 2), from the reference library (cases only)."""
    import solutions_lib
    return np.asarray(solutions_lib.SHEET001_IMAGE, float), np.asarray(solutions_lib.SHEET001_FILTERS, float)


@week.cases("pooled_features")
def _pooled_features_cases(r):
    img, filt = _sheet001()
    cases = [case("the sheet-001 image and filters", [img, filt])]
    for (h, w), (kh, kw, k) in [((6, 6), (3, 3, 2)), ((9, 8), (2, 3, 3)), ((5, 5), (2, 2, 1)), ((7, 7), (1, 1, 2))]:
        cases.append(case(f"image {h}x{w}, filters {kh}x{kw}x{k}",
                          [r.standard_normal((h, w)), r.standard_normal((kh, kw, k))]))
    cases.append(error("image of 3 dimensions (6, 6, 1)", [img[:, :, None], filt]))
    cases.append(error("filters of 2 dimensions (3, 3)", [img, filt[:, :, 0]]))
    cases.append(error("image 3x3: the 1x1 maps are too small for 2x2 pooling", [img[:3, :3], filt]))
    return cases


@week.cases("count_changed_units")
def _count_changed_units_cases(r):
    img, filt = _sheet001()
    cases = [case(f"the sheet-001 image and filters, shift {s}", [img, filt, s])
             for s in [(0, -1), (0, 1), (1, 0), (-1, 0), (0, 0), (1, -1), (0, -2)]]
    for s in [(0, -1), (2, 1)]:
        im = np.zeros((8, 8))
        im[2:6, 2:6] = r.integers(0, 3, (4, 4))
        cases.append(case(f"an 8x8 image with a 4x4 blob, filters of the sheet, shift {s}", [im, filt, s]))
    im = np.zeros((6, 6))
    im[:, -1] = 1.0
    im[2, 0] = 2.0
    cases.append(case("a 6x6 image with bright border pixels, shift (0, -1)", [im, filt, (0, -1)]))
    cases.append(case("the same image, shift (0, 1)", [im, filt, (0, 1)]))
    cases.append(error("shift (1,): not a pair", [img, filt, (1,)]))
    return cases


# ======================================================================================
# typical mistakes
# ======================================================================================

def _size(n, f, p, s, floor=True, sides=2):
    """``floor((n + sides·p - f)/s) + 1`` (true division if not ``floor``), after the checks of the padded size."""
    if n < 0 or f < 1 or p < 0:
        raise ValueError("sizes must be non-negative and f positive")
    if s < 1:
        raise ValueError("the stride must be at least 1")
    if f > n + 2 * p:
        raise ValueError("the filter is larger than the padded input")
    return (n + sides * p - f) // s + 1 if floor else (n + sides * p - f) / s + 1


@week.mistake("the floor is missing: with stride > 1, (n + 2p - f)/s need not be an integer; use integer division //")
def conv_output_size__floor_forgotten(n, f, p=0, s=1):
    return _size(n, f, p, s, floor=False)


@week.mistake("padding counted once: p zeros are added on BOTH sides, so use n + 2p")
def conv_output_size__padding_counted_once(n, f, p=0, s=1):
    return _size(n, f, p, s, sides=1)


def _same(f, reject_even=True, halve=True):
    """Same padding ``(f - 1) // 2``; the switches plant one mistake each."""
    if f < 1:
        raise ValueError("the filter size must be positive")
    if reject_even and f % 2 == 0:
        raise ValueError("no same padding for an even filter size")
    return (f - 1) // 2 if halve else f - 1


@week.mistake("no ValueError for an even filter size: no symmetric padding keeps the size then")
def same_padding__even_accepted(f):
    return _same(f, reject_even=False)


@week.mistake("you returned f - 1, the padding of both sides together; each side gets (f - 1)/2")
def same_padding__padding_not_halved(f):
    return _same(f, halve=False)


def _out_shape(input_shape, filter_shape, stride, padding, check=True, floor=True, sides=2):
    """The output volume ``(H_out, W_out, K)``; the switches plant one mistake each."""
    h, w, c = input_shape
    kh, kw, c_in, k = filter_shape
    if check and c != c_in:
        raise ValueError("the channels of input and filter differ")
    hp, wp = h + sides * padding, w + sides * padding
    if floor:
        return ((hp - kh) // stride + 1, (wp - kw) // stride + 1, k)
    return ((hp - kh) / stride + 1, (wp - kw) / stride + 1, k)


@week.mistake("no ValueError when the filter's channels differ from the input's")
def conv_output_shape__channels_ignored(input_shape, filter_shape, stride=1, padding=0):
    return _out_shape(input_shape, filter_shape, stride, padding, check=False)


@week.mistake("the floor is missing: with stride > 1 use integer division //")
def conv_output_shape__floor_forgotten(input_shape, filter_shape, stride=1, padding=0):
    return _out_shape(input_shape, filter_shape, stride, padding, floor=False)


@week.mistake("padding counted once: the input grows by 2 * padding in each axis")
def conv_output_shape__padding_counted_once(input_shape, filter_shape, stride=1, padding=0):
    return _out_shape(input_shape, filter_shape, stride, padding, sides=1)


def _param_count(kh, kw, c_in, c_out, bias=True, channels=True):
    """``kh·kw·c_in·c_out + c_out``; the switches plant one mistake each."""
    if min(kh, kw, c_in, c_out) < 1:
        raise ValueError("sizes must be positive")
    weights = kh * kw * c_in * c_out if channels else kh * kw * c_out
    return weights + c_out if bias else weights


@week.mistake("the biases are not counted: each output channel has one (+ c_out)")
def conv_param_count__bias_forgotten(kh, kw, c_in, c_out):
    return _param_count(kh, kw, c_in, c_out, bias=False)


@week.mistake("the input channels are ignored: every filter spans all c_in channels")
def conv_param_count__channels_ignored(kh, kw, c_in, c_out):
    return _param_count(kh, kw, c_in, c_out, channels=False)


def _conv(x, w, b, stride, padding, flip=False, one_side=False, round_up=False, first_channel=False):
    """Conv layer forward by one strided slice per kernel offset; the switches plant one mistake each.

    ``one_side`` pads only at the top and left, ``round_up`` takes the ceiling of the output size
    (padding ``stride`` more zeros at the bottom and right so that the last window exists).
    """
    x = np.asarray(x, dtype=float)
    w = np.asarray(w, dtype=float)
    b = np.asarray(b, dtype=float)
    if x.ndim != 4 or w.ndim != 4 or x.shape[3] != w.shape[2]:
        raise ValueError("x (N, H, W, C) and w (kh, kw, C, K) do not match")
    if b.shape != (w.shape[3],):
        raise ValueError("b must have shape (K,)")
    n, h, wd, c = x.shape
    kh, kw, _, k = w.shape
    p = padding
    if one_side:
        xp = np.pad(x, ((0, 0), (p, 0), (p, 0), (0, 0)))
        ho, wo = (h + p - kh) // stride + 1, (wd + p - kw) // stride + 1
    elif round_up:
        xp = np.pad(x, ((0, 0), (p, p + stride), (p, p + stride), (0, 0)))
        ho, wo = -(-(h + 2 * p - kh) // stride) + 1, -(-(wd + 2 * p - kw) // stride) + 1
    else:
        xp = np.pad(x, ((0, 0), (p, p), (p, p), (0, 0)))
        ho, wo = (h + 2 * p - kh) // stride + 1, (wd + 2 * p - kw) // stride + 1
    out = np.zeros((n, ho, wo, k)) + b
    for i in range(kh):
        for j in range(kw):
            patch = xp[:, i:i + stride * (ho - 1) + 1:stride, j:j + stride * (wo - 1) + 1:stride, :]
            if first_channel:
                out += patch[..., :1] @ w[i, j, :1]
            else:
                out += patch @ (w[kh - 1 - i, kw - 1 - j] if flip else w[i, j])
    return out


@week.mistake("you flipped the kernel (convolution); a conv layer computes cross-correlation")
def conv2d_forward__convolution_instead_of_correlation(x, w, b, stride=1, padding=0):
    return _conv(x, w, b, stride, padding, flip=True)


@week.mistake("padding added on one side only: pad `padding` zeros on every side")
def conv2d_forward__padding_counted_once(x, w, b, stride=1, padding=0):
    return _conv(x, w, b, stride, padding, one_side=True)


@week.mistake("the output size is rounded up: use floor((H + 2p - kh)/stride) + 1, "
              "windows must fit inside the padded input")
def conv2d_forward__floor_forgotten(x, w, b, stride=1, padding=0):
    return _conv(x, w, b, stride, padding, round_up=True)


@week.mistake("only the first input channel is used: each filter sums over all input channels")
def conv2d_forward__channels_ignored(x, w, b, stride=1, padding=0):
    return _conv(x, w, b, stride, padding, first_channel=True)


@week.mistake("you returned the derivative (the 0/1 mask x > 0), not max(0, x)")
def relu__mask_returned(x):
    return (np.asarray(x) > 0).astype(float)


@week.mistake("you returned |x|; relu sets negative entries to 0")
def relu__absolute_value(x):
    return np.abs(np.asarray(x, dtype=float))


def _maxpool(x, size, stride, overlapping=False, minimum=False):
    """Max pooling by one strided slice per window offset; the switches plant one mistake each."""
    x = np.asarray(x, dtype=float)
    if x.ndim != 4:
        raise ValueError("x must have shape (N, H, W, C)")
    if size < 1 or stride < 1:
        raise ValueError("size and stride must be positive")
    n, h, w, c = x.shape
    if size > h or size > w:
        raise ValueError("the window is larger than the input")
    step = 1 if overlapping else stride
    ho, wo = (h - size) // step + 1, (w - size) // step + 1
    out = np.full((n, ho, wo, c), np.inf if minimum else -np.inf)
    for i in range(size):
        for j in range(size):
            win = x[:, i:i + step * (ho - 1) + 1:step, j:j + step * (wo - 1) + 1:step, :]
            out = np.minimum(out, win) if minimum else np.maximum(out, win)
    return out


@week.mistake("your pooling windows overlap (they move by 1): the windows move by `stride` (2 by default)")
def maxpool2d_forward__windows_overlapping(x, size=2, stride=2):
    return _maxpool(x, size, stride, overlapping=True)


@week.mistake("you took the minimum of each window, not the maximum")
def maxpool2d_forward__minimum_instead_of_maximum(x, size=2, stride=2):
    return _maxpool(x, size, stride, minimum=True)


def _pooled(image, filters, flip=False, relu=True, step=2):
    """Conv (stride 1, no padding) → ReLU → 2×2 max-pool moving by ``step``; the switches plant mistakes."""
    image = np.asarray(image, dtype=float)
    filters = np.asarray(filters, dtype=float)
    kh, kw, k = filters.shape
    ho, wo = image.shape[0] - kh + 1, image.shape[1] - kw + 1
    maps = np.zeros((ho, wo, k))
    for i in range(kh):
        for j in range(kw):
            maps += image[i:i + ho, j:j + wo, None] * (filters[kh - 1 - i, kw - 1 - j] if flip else filters[i, j])
    if relu:
        maps = np.maximum(maps, 0.0)
    ph, pw = (ho - 2) // step + 1, (wo - 2) // step + 1
    out = np.full((ph, pw, k), -np.inf)
    for i in range(2):
        for j in range(2):
            out = np.maximum(out, maps[i:i + step * (ph - 1) + 1:step, j:j + step * (pw - 1) + 1:step])
    return out


@week.mistake("you flipped the filters (convolution); the layer computes cross-correlation")
def pooled_features__convolution_instead_of_correlation(image, filters):
    return _pooled(image, filters, flip=True)


@week.mistake("the ReLU between convolution and pooling is missing")
def pooled_features__relu_forgotten(image, filters):
    return _pooled(image, filters, relu=False)


@week.mistake("your pooling windows overlap (stride 1); 2x2 pooling moves by 2")
def pooled_features__windows_overlapping(image, filters):
    return _pooled(image, filters, step=1)


def _changed(image, filters, shift, wrap=False, reverse=False):
    """Pooled units that change when the image moves by ``shift``; the switches plant one mistake each.

    ``wrap`` moves with ``np.roll`` instead of filling with zeros, ``reverse`` moves by ``-shift``.
    """
    image = np.asarray(image, dtype=float)
    dy, dx = (-shift[0], -shift[1]) if reverse else (shift[0], shift[1])
    if wrap:
        moved = np.roll(image, (dy, dx), axis=(0, 1))
    else:
        moved = np.zeros_like(image)
        h, w = image.shape
        ys, yd = (slice(0, h - dy), slice(dy, h)) if dy >= 0 else (slice(-dy, h), slice(0, h + dy))
        xs, xd = (slice(0, w - dx), slice(dx, w)) if dx >= 0 else (slice(-dx, w), slice(0, w + dx))
        moved[yd, xd] = image[ys, xs]
    return int(np.sum(~np.isclose(_pooled(image, filters), _pooled(moved, filters))))


@week.mistake("the image wraps around (np.roll); the shift must fill with zeros")
def count_changed_units__wraps_around(image, filters, shift):
    return _changed(image, filters, shift, wrap=True)


@week.mistake("the image moves the wrong way: (0, -1) moves it one pixel LEFT")
def count_changed_units__shift_reversed(image, filters, shift):
    return _changed(image, filters, shift, reverse=True)


# ======================================================================================
# correct alternatives (written differently from the reference)
# ======================================================================================

@week.alternative
def conv_output_size(n, f, p=0, s=1):
    """Counts the placements of the filter one by one instead of using the formula."""
    for v in (n, f, p, s):
        if not isinstance(v, (int, np.integer)) or isinstance(v, bool):
            raise ValueError("sizes must be integers")
    if n < 1 or f < 1 or p < 0 or s < 1:
        raise ValueError("need n, f, s >= 1 and p >= 0")
    if f > n + 2 * p:
        raise ValueError("the filter does not fit into the padded input")
    count, start = 0, 0
    while start + f <= n + 2 * p:
        count += 1
        start += s
    return count


@week.alternative
def same_padding(f):
    """Solves n + 2p - f + 1 = n for p."""
    if not isinstance(f, (int, np.integer)) or isinstance(f, bool) or f < 1:
        raise ValueError("f must be a positive integer")
    p, odd = divmod(f - 1, 2)
    if odd:
        raise ValueError("even f: no symmetric same padding")
    return int(p)


@week.alternative
def conv_output_shape(input_shape, filter_shape, stride=1, padding=0):
    """The floor of the true quotient, one spatial axis at a time."""
    if len(input_shape) != 3 or len(filter_shape) != 4:
        raise ValueError("need (H, W, C) and (kh, kw, C, K)")
    if input_shape[2] != filter_shape[2]:
        raise ValueError("channels of input and filters differ")
    if stride < 1 or padding < 0 or min(input_shape) < 1 or min(filter_shape) < 1:
        raise ValueError("bad sizes")
    sizes = []
    for n, f in zip(input_shape[:2], filter_shape[:2]):
        if f > n + 2 * padding:
            raise ValueError("filter larger than the padded input")
        sizes.append(int(np.floor((n + 2 * padding - f) / stride)) + 1)
    return tuple(sizes) + (int(filter_shape[3]),)


@week.alternative
def conv_param_count(kh, kw, c_in, c_out):
    """The size of the weight tensor (kh, kw, c_in, c_out) plus one bias per output channel."""
    sizes = np.array([kh, kw, c_in, c_out])
    if sizes.dtype.kind not in "iu" or np.any(sizes < 1):
        raise ValueError("all sizes must be positive integers")
    weight_shape = (kh, kw, c_in, c_out)
    return int(np.prod(weight_shape)) + int(c_out)


@week.alternative
def conv2d_forward(x, w, b, stride=1, padding=0):
    """One output position at a time, vectorised over batch and filters."""
    x, w, b = (np.asarray(t, dtype=float) for t in (x, w, b))
    if x.ndim != 4 or w.ndim != 4 or x.shape[3] != w.shape[2]:
        raise ValueError("x (N, H, W, C) and w (kh, kw, C, K) do not fit")
    if b.shape != (w.shape[3],):
        raise ValueError("b must have one entry per filter")
    if stride < 1 or padding < 0:
        raise ValueError("stride >= 1 and padding >= 0 needed")
    kh, kw, c, k = w.shape
    xp = np.pad(x, ((0, 0), (padding, padding), (padding, padding), (0, 0)))
    if kh > xp.shape[1] or kw > xp.shape[2]:
        raise ValueError("filter larger than the padded input")
    ho, wo = (xp.shape[1] - kh) // stride + 1, (xp.shape[2] - kw) // stride + 1
    wmat = w.reshape(kh * kw * c, k)
    z = np.empty((x.shape[0], ho, wo, k))
    for i in range(ho):
        for j in range(wo):
            patch = xp[:, i * stride:i * stride + kh, j * stride:j * stride + kw, :]
            z[:, i, j, :] = patch.reshape(x.shape[0], -1) @ wmat + b
    return z


@week.alternative
def relu(x):
    """``(x + |x|) / 2``."""
    x = np.asarray(x, dtype=float)
    return (x + np.abs(x)) / 2


@week.alternative
def maxpool2d_forward(x, size=2, stride=2):
    """One output position at a time, the maximum of its window."""
    x = np.asarray(x, dtype=float)
    if x.ndim != 4 or size < 1 or stride < 1 or size > x.shape[1] or size > x.shape[2]:
        raise ValueError("bad pooling parameters")
    n, h, w, c = x.shape
    ho, wo = (h - size) // stride + 1, (w - size) // stride + 1
    out = np.empty((n, ho, wo, c))
    for i in range(ho):
        for j in range(wo):
            out[:, i, j, :] = x[:, i * stride:i * stride + size, j * stride:j * stride + size, :].max(axis=(1, 2))
    return out


@week.alternative
def pooled_features(image, filters):
    """Loops over filters and output positions, then over the 2×2 pooling windows."""
    image, filters = np.asarray(image, dtype=float), np.asarray(filters, dtype=float)
    if image.ndim != 2 or filters.ndim != 3:
        raise ValueError("image (H, W) and filters (kh, kw, K) expected")
    kh, kw, k = filters.shape
    ho, wo = image.shape[0] - kh + 1, image.shape[1] - kw + 1
    if ho < 2 or wo < 2:
        raise ValueError("the maps are too small for 2x2 pooling")
    maps = np.empty((ho, wo, k))
    for q in range(k):
        for i in range(ho):
            for j in range(wo):
                maps[i, j, q] = np.sum(image[i:i + kh, j:j + kw] * filters[:, :, q])
    maps = np.clip(maps, 0.0, None)
    out = np.empty((ho // 2, wo // 2, k))
    for i in range(ho // 2):
        for j in range(wo // 2):
            out[i, j] = maps[2 * i:2 * i + 2, 2 * j:2 * j + 2].reshape(4, k).max(axis=0)
    return out


@week.alternative
def count_changed_units(image, filters, shift):
    """Pads the image by the shift on every side and cuts the moved window out."""
    image, filters = np.asarray(image, dtype=float), np.asarray(filters, dtype=float)
    if len(shift) != 2:
        raise ValueError("shift must be (dy, dx)")
    dy, dx = int(shift[0]), int(shift[1])
    h, w = image.shape
    kh, kw, k = filters.shape

    def features(img):
        rows = []
        for i in range(h - kh + 1):
            rows.append([[max(0.0, float(np.vdot(img[i:i + kh, j:j + kw], filters[:, :, q]))) for q in range(k)]
                         for j in range(w - kw + 1)])
        maps = np.array(rows)
        return np.array([[maps[2 * i:2 * i + 2, 2 * j:2 * j + 2].max(axis=(0, 1))
                          for j in range(maps.shape[1] // 2)] for i in range(maps.shape[0] // 2)])

    big = np.pad(image, ((abs(dy), abs(dy)), (abs(dx), abs(dx))))
    moved = big[abs(dy) - dy:abs(dy) - dy + h, abs(dx) - dx:abs(dx) - dx + w]
    return int(np.sum(~np.isclose(features(image), features(moved))))
