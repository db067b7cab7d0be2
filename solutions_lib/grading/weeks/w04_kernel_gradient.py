"""Week 4 catalogue — the flipped-kernel gradient, conv and pooling backward passes, ∂L/∂w₁₁₁₁: hidden cases,
typical mistakes, alternatives.

The conv and pooling shapes and inputs of the cases come from week 2's module (as there, drawn in the same
order); ``avgpool2d_forward`` has the very cases of week 2's ``maxpool2d_forward``.
"""
from __future__ import annotations

import numpy as np

from solutions_lib.grading.catalogue import Week, case, error, shape_of
from solutions_lib.grading.weeks.w02_volume_sizes import (
    _conv_inputs,
    _conv_shapes,
    _pool_forward_cases,
    _pool_shapes,
    _pool_x,
)

week = Week("w04_kernel_gradient")


# ======================================================================================
# hidden cases
# ======================================================================================

@week.cases("kernel_gradient")
def _kernel_gradient_cases(r):
    cases = []
    for (h, w), (kh, kw) in [((5, 5), (3, 3)), ((4, 6), (2, 3)), ((3, 3), (1, 1)), ((4, 4), (4, 4)),
                             ((6, 5), (3, 2))]:
        a = r.standard_normal((h, w))
        d = r.standard_normal((h - kh + 1, w - kw + 1))
        cases.append(case(f"a {shape_of(a)}, delta {shape_of(d)}", [a, d]))
    cases.append(error("delta larger than a", [r.standard_normal((2, 2)), r.standard_normal((3, 3))]))
    return cases


@week.cases("backward_filters")
def _backward_filters_cases(r):
    return [case(f"w {s}", [r.standard_normal(s)])
            for s in [(3, 3, 2, 2), (2, 3, 1, 4), (3, 2, 3, 1), (1, 1, 2, 3), (2, 2, 3, 3)]] + [
        error("w of shape (3, 3, 2), not 4-D", [r.standard_normal((3, 3, 2))])]


@week.cases("conv2d_input_gradient")
def _conv2d_input_gradient_cases(r):
    """Stride 1, no padding; run with correct ``backward_filters`` and ``correlate_valid`` in the
    function's globals (driver ``composed``), so only the composition is graded."""
    cases = []
    for n, ho, wo, c_in, kh, kw, c_out in [(1, 2, 2, 1, 2, 2, 1), (2, 3, 4, 2, 3, 2, 3), (1, 4, 3, 3, 2, 3, 2),
                                           (1, 1, 1, 2, 3, 3, 2), (3, 2, 3, 1, 1, 2, 4), (1, 3, 3, 2, 3, 3, 2)]:
        d = r.standard_normal((n, ho, wo, c_out))
        wt = r.standard_normal((kh, kw, c_in, c_out))
        cases.append(case(f"delta {shape_of(d)}, w {shape_of(wt)}", [d, wt], driver="composed"))
    cases.append(error("delta with 3 channels for w with 2 filters",
                       [r.standard_normal((1, 2, 2, 3)), r.standard_normal((2, 2, 1, 2))], driver="composed"))
    return cases


@week.cases("conv2d_backward")
def _conv2d_backward_cases(r):
    cases = []
    for n, h, w, c, kh, kw, k, s, p in _conv_shapes() + [(1, 5, 5, 2, 3, 3, 2, 1, 0)]:
        x, wt, _ = _conv_inputs(r, n, h, w, c, kh, kw, k)
        ho, wo = (h + 2 * p - kh) // s + 1, (w + 2 * p - kw) // s + 1
        d = r.standard_normal((n, ho, wo, k))
        cases.append(case(f"delta {shape_of(d)}, x {shape_of(x)}, w {shape_of(wt)}, stride {s}, padding {p}",
                          [d, x, wt], {"stride": s, "padding": p}))
    x, wt, _ = _conv_inputs(r, 1, 4, 4, 2, 3, 3, 2)
    cases.append(error("delta (1, 3, 3, 2) for an output of (1, 2, 2, 2)", [r.standard_normal((1, 3, 3, 2)), x, wt]))
    return cases


week.cases("avgpool2d_forward")(_pool_forward_cases)  # the cases of week 2's maxpool2d_forward


@week.cases("maxpool2d_backward", "avgpool2d_backward")
def _pool_backward_cases(r):
    cases = []
    for n, h, w, c, size, stride in _pool_shapes():
        for ties in (False, True):
            x = _pool_x(r, (n, h, w, c), ties)
            ho, wo = (h - size) // stride + 1, (w - size) // stride + 1
            d = r.standard_normal((n, ho, wo, c))
            cases.append(case(f"x {shape_of(x)}{' with ties' if ties else ''}, size {size}, stride {stride}",
                              [d, x], {"size": size, "stride": stride}))
    x = r.standard_normal((1, 4, 4, 1))
    cases.append(error("delta of the wrong shape (1, 3, 3, 1) for x 1x4x4x1, size 2, stride 2",
                       [r.standard_normal((1, 3, 3, 1)), x], {"size": 2, "stride": 2}))
    return cases


@week.cases("grad_w1111")
def _grad_w1111_cases(r):
    cases = []
    for (h, w, c), (kh, kw, _, k), o, act in [((4, 4, 1), (3, 3, 1, 1), 2, "sigmoid"),
                                              ((5, 5, 2), (3, 3, 2, 2), 3, "tanh"),
                                              ((3, 4, 3), (2, 2, 3, 3), 1, "sigmoid"),
                                              ((2, 2, 1), (1, 1, 1, 2), 2, "tanh")]:
        image = r.standard_normal((h, w, c))
        wt = r.standard_normal((kh, kw, c, k))
        b = r.standard_normal(k)
        v = r.standard_normal((h - kh + 1, w - kw + 1, k, o))
        y_hat = r.standard_normal(o)
        cases.append(case(f"I {shape_of(image)}, w {shape_of(wt)}, {o} outputs, sigma = {act}",
                          [image, wt, b, v, y_hat], {"activation": act}, driver="grad_w1111"))
    return cases


# ======================================================================================
# typical mistakes
# ======================================================================================

@week.mistake("the gradient is not flipped: you returned A ⋆ Δ; ∂C/∂F = flip(A) * Δ is its 180° rotation")
def kernel_gradient__gradient_not_flipped(a, delta):
    a = np.asarray(a, dtype=float)
    delta = np.asarray(delta, dtype=float)
    if a.ndim != 2 or delta.ndim != 2:
        raise ValueError("a and delta must be 2-D")
    if delta.shape[0] > a.shape[0] or delta.shape[1] > a.shape[1]:
        raise ValueError("delta is larger than a")
    kh, kw = a.shape[0] - delta.shape[0] + 1, a.shape[1] - delta.shape[1] + 1
    out = np.zeros((kh, kw))
    for m in range(kh):
        for n in range(kw):
            out[m, n] = np.sum(a[m:m + delta.shape[0], n:n + delta.shape[1]] * delta)
    return out


@week.mistake("the filters are rotated but the channel axes are not swapped")
def backward_filters__channels_not_swapped(w):
    return np.asarray(w, dtype=float)[::-1, ::-1].copy()


@week.mistake("the channel axes are swapped but the filters are not rotated by 180°")
def backward_filters__not_rotated(w):
    return np.asarray(w, dtype=float).transpose(0, 1, 3, 2).copy()


@week.mistake("only one spatial axis is reversed; a 180° rotation reverses both")
def backward_filters__one_axis_flipped(w):
    return np.asarray(w, dtype=float)[::-1].transpose(0, 1, 3, 2).copy()


def _conv_back(delta, x, w, stride, padding, dx_strided=True, swap_channels=True, rotate=False):
    """``(dx, dw, db)`` of the convolution layer, one kernel offset at a time.

    The switches plant one mistake each: ``dx_strided=False`` carries δ back to consecutive
    positions (the stride ignored), ``swap_channels=False`` uses ``w[i, j]`` instead of its
    transpose, ``rotate=True`` uses the filter entry rotated by 180°.
    """
    delta = np.asarray(delta, dtype=float)
    x = np.asarray(x, dtype=float)
    w = np.asarray(w, dtype=float)
    n, h, wd, _ = x.shape
    kh, kw, _, k = w.shape
    p, s = padding, stride
    ho, wo = (h + 2 * p - kh) // s + 1, (wd + 2 * p - kw) // s + 1
    if delta.shape != (n, ho, wo, k):
        raise ValueError("delta does not have the shape of the layer's output")
    xp = np.pad(x, ((0, 0), (p, p), (p, p), (0, 0)))
    dxp = np.zeros_like(xp)
    dw = np.zeros_like(w)
    for i in range(kh):
        for j in range(kw):
            sl = (slice(None), slice(i, i + s * (ho - 1) + 1, s), slice(j, j + s * (wo - 1) + 1, s), slice(None))
            dw[i, j] = np.tensordot(xp[sl], delta, axes=([0, 1, 2], [0, 1, 2]))
            wij = w[kh - 1 - i, kw - 1 - j] if rotate else w[i, j]
            term = delta @ (wij.T if swap_channels else wij)
            if dx_strided:
                dxp[sl] += term
            else:
                dsl = (slice(None), slice(i, min(i + ho, xp.shape[1])), slice(j, min(j + wo, xp.shape[2])),
                       slice(None))
                dxp[dsl] += term[:, :dxp[dsl].shape[1], :dxp[dsl].shape[2]]
    return dxp[:, p:p + h, p:p + wd, :], dw, delta.sum(axis=(0, 1, 2))


@week.mistake("the stride is ignored in dx: δ must be spread out with step `stride` before it is carried back")
def conv2d_backward__stride_ignored_in_dx(delta, x, w, stride=1, padding=0):
    return _conv_back(delta, x, w, stride, padding, dx_strided=False)


@week.mistake("the filters' channel axes are not swapped when δ is carried back "
              "(use w[i, j].T, i.e. (K, C) -> (C, K))")
def conv2d_backward__channels_not_swapped(delta, x, w, stride=1, padding=0):
    return _conv_back(delta, x, w, stride, padding, swap_channels=False)


@week.mistake("the filters carrying δ back to the input are rotated by 180° once too often (or not at all)")
def conv2d_backward__gradient_not_flipped(delta, x, w, stride=1, padding=0):
    return _conv_back(delta, x, w, stride, padding, rotate=True)


def _input_gradient(delta, w, filters="backward", pad=None):
    """δx composed from ``backward_filters`` and ``correlate_valid`` (the notebook's, in the globals);
    the switches plant one mistake each.

    Parameters
    ----------
    filters : {"backward", "swapped_only"}
        The filters correlated with the padded delta: ``backward_filters(w)``, or ``w`` with its
        channel axes swapped but not rotated.
    pad : None or int
        Rows and columns of zeros on each side of the delta (``None``: ``kh - 1`` and ``kw - 1``).
    """
    delta, w = np.asarray(delta, dtype=float), np.asarray(w, dtype=float)
    if delta.ndim != 4 or w.ndim != 4 or delta.shape[3] != w.shape[3]:
        raise ValueError("delta (N, H_out, W_out, C_out) and w (kh, kw, C_in, C_out) do not fit")
    kh, kw = w.shape[:2]
    back = backward_filters(w) if filters == "backward" else w.transpose(0, 1, 3, 2)
    ph, pw = (kh - 1, kw - 1) if pad is None else (pad, pad)
    padded = np.pad(delta, ((0, 0), (ph, ph), (pw, pw), (0, 0)))
    return np.stack([correlate_valid(padded, back[None, :, :, :, c])[..., 0]  # noqa: F821 (the notebook's helper)
                     for c in range(w.shape[2])], axis=-1)


@week.mistake("the filters are not rotated: correlate the padded delta with backward_filters(w), not with w")
def conv2d_input_gradient__filters_not_rotated(delta, w):
    return _input_gradient(delta, w, filters="swapped_only")


@week.mistake("the delta is padded by 1; pad kh - 1 rows and kw - 1 columns on each side")
def conv2d_input_gradient__padded_by_one(delta, w):
    return _input_gradient(delta, w, pad=1)


@week.mistake("the delta is not padded, so dx is too small: pad kh - 1 rows and kw - 1 columns")
def conv2d_input_gradient__not_padded(delta, w):
    return _input_gradient(delta, w, pad=0)


def _max_back(delta, x, size, stride, route):
    """Max-pooling backward pass where ``route`` says which window entries receive δ.

    Parameters
    ----------
    route : {"every", "all_maxima", "last_maximum"}
        Every entry of the window, every entry equal to its maximum, or the last maximum
        (row-major) — each a mistake; the contract is the first maximum.
    """
    delta = np.asarray(delta, dtype=float)
    x = np.asarray(x, dtype=float)
    n, h, w, c = x.shape
    ho, wo = (h - size) // stride + 1, (w - size) // stride + 1
    if delta.shape != (n, ho, wo, c):
        raise ValueError("delta does not have the shape of the pooled output")
    wins = np.stack([x[:, i:i + stride * (ho - 1) + 1:stride, j:j + stride * (wo - 1) + 1:stride, :]
                     for i in range(size) for j in range(size)])
    if route == "every":
        mask = np.ones_like(wins)
    elif route == "all_maxima":
        mask = (wins == wins.max(axis=0)).astype(float)
    else:
        last = len(wins) - 1 - np.argmax(wins[::-1], axis=0)
        mask = (np.arange(len(wins))[:, None, None, None, None] == last).astype(float)
    dx = np.zeros_like(x)
    for t in range(size * size):
        i, j = divmod(t, size)
        dx[:, i:i + stride * (ho - 1) + 1:stride, j:j + stride * (wo - 1) + 1:stride, :] += delta * mask[t]
    return dx


@week.mistake("the gradient is sent to every entry of the window; only the window's maximum receives it")
def maxpool2d_backward__gradient_to_every_entry(delta, x, size=2, stride=2):
    return _max_back(delta, x, size, stride, "every")


@week.mistake("with ties, every maximum of a window receives the gradient; only the first maximum (row-major) should")
def maxpool2d_backward__ties_get_gradient_twice(delta, x, size=2, stride=2):
    return _max_back(delta, x, size, stride, "all_maxima")


@week.mistake("with ties, the gradient goes to the last maximum; the contract sends it to the first (row-major)")
def maxpool2d_backward__last_maximum_on_ties(delta, x, size=2, stride=2):
    return _max_back(delta, x, size, stride, "last_maximum")


def _avg_pool(x, size, stride, step=None, divide=True):
    """Average pooling by window offsets; ``step`` (default ``stride``) and ``divide`` plant mistakes."""
    x = np.asarray(x, dtype=float)
    if x.ndim != 4:
        raise ValueError("x must have shape (N, H, W, C)")
    if size < 1 or stride < 1:
        raise ValueError("size and stride must be positive")
    n, h, w, c = x.shape
    if size > h or size > w:
        raise ValueError("the window is larger than the input")
    step = stride if step is None else step
    ho, wo = (h - size) // step + 1, (w - size) // step + 1
    out = np.zeros((n, ho, wo, c))
    for i in range(size):
        for j in range(size):
            win = x[:, i:i + step * (ho - 1) + 1:step, j:j + step * (wo - 1) + 1:step, :]
            out = out + win
    return out / (size * size) if divide else out


@week.mistake("you summed each window; the average divides by k = size²")
def avgpool2d_forward__not_divided_by_k(x, size=2, stride=2):
    return _avg_pool(x, size, stride, divide=False)


@week.mistake("your pooling windows overlap (they move by 1): they move by `stride`")
def avgpool2d_forward__windows_overlapping(x, size=2, stride=2):
    return _avg_pool(x, size, stride, step=1)


def _avg_back(delta, x, size, stride, divide=True, accumulate=True):
    """Average-pooling backward pass; ``divide=False`` or ``accumulate=False`` plants a mistake."""
    delta = np.asarray(delta, dtype=float)
    x = np.asarray(x, dtype=float)
    n, h, w, c = x.shape
    ho, wo = (h - size) // stride + 1, (w - size) // stride + 1
    if delta.shape != (n, ho, wo, c):
        raise ValueError("delta does not have the shape of the pooled output")
    share = delta / (size * size) if divide else delta
    dx = np.zeros_like(x)
    for i in range(size):
        for j in range(size):
            sl = (slice(None), slice(i, i + stride * (ho - 1) + 1, stride),
                  slice(j, j + stride * (wo - 1) + 1, stride), slice(None))
            if accumulate:
                dx[sl] += share
            else:
                dx[sl] = share
    return dx


@week.mistake("the delta is not divided by k = size²: each input gets δ/k from its window")
def avgpool2d_backward__not_divided_by_k(delta, x, size=2, stride=2):
    return _avg_back(delta, x, size, stride, divide=False)


@week.mistake("with overlapping windows an input lies in several windows: add up δ/k from each (+=), do not overwrite")
def avgpool2d_backward__overlap_not_accumulated(delta, x, size=2, stride=2):
    return _avg_back(delta, x, size, stride, accumulate=False)


def _grad_w(image, w, b, v, y_hat, sigma, dsigma, chain=True, sign_flipped=False):
    """``∂L/∂w[0, 0, 0, 0]`` of sheet 001 ex. 1a; ``chain=False`` drops σ'(a), ``sign_flipped`` uses ŷ - y."""
    image, w, b = np.asarray(image, dtype=float), np.asarray(w, dtype=float), np.asarray(b, dtype=float)
    v, y_hat = np.asarray(v, dtype=float), np.asarray(y_hat, dtype=float)
    kh, kw, _, k = w.shape
    ho, wo = image.shape[0] - kh + 1, image.shape[1] - kw + 1
    a = np.zeros((ho, wo, k)) + b
    for m in range(kh):
        for n in range(kw):
            a += image[m:m + ho, n:n + wo, :] @ w[m, n]
    h = sigma(a)
    y = np.einsum("ijko,ijk->o", v, h)
    res = (y_hat - y) if sign_flipped else (y - y_hat)
    ds = dsigma(a[:, :, 0]) if chain else 1.0
    return float(np.sum(res * np.einsum("ijo,ij->o", v[:, :, 0, :], ds * image[:ho, :wo, 0])))


@week.mistake("σ'(a) is missing from the chain rule: ∂h/∂w = σ'(a) · I")
def grad_w1111__dsigma_omitted(I, w, b, v, y_hat, sigma, dsigma):  # noqa: E741
    return _grad_w(I, w, b, v, y_hat, sigma, dsigma, chain=False)


@week.mistake("the sign is flipped: ∂L/∂y_o = y_o - ŷ_o for L = ½ Σ (ŷ_o - y_o)²")
def grad_w1111__sign_flipped(I, w, b, v, y_hat, sigma, dsigma):  # noqa: E741
    return _grad_w(I, w, b, v, y_hat, sigma, dsigma, sign_flipped=True)


# ======================================================================================
# correct alternatives (written differently from the reference)
# ======================================================================================

@week.alternative
def kernel_gradient(a, delta):
    """A loop over the kernel entries: entry (p, q) correlates Δ with the window of A at (kh-1-p, kw-1-q)."""
    a, delta = np.asarray(a, dtype=float), np.asarray(delta, dtype=float)
    if a.ndim != 2 or delta.ndim != 2 or delta.shape[0] > a.shape[0] or delta.shape[1] > a.shape[1]:
        raise ValueError("need 2-D a and a delta no larger than a")
    kh, kw = a.shape[0] - delta.shape[0] + 1, a.shape[1] - delta.shape[1] + 1
    dh, dw = delta.shape
    g = np.zeros((kh, kw))
    for p in range(kh):
        for q in range(kw):
            r, c = kh - 1 - p, kw - 1 - q
            g[p, q] = np.sum(delta * a[r:r + dh, c:c + dw])
    return g


@week.alternative
def backward_filters(w):
    """``np.rot90`` twice over the spatial axes, then the channel axes swapped."""
    w = np.asarray(w, dtype=float)
    if w.ndim != 4:
        raise ValueError("w must be 4-D")
    return np.rot90(w, 2, axes=(0, 1)).swapaxes(2, 3)


@week.alternative
def conv2d_input_gradient(delta, w):
    """The full convolution written out: every output position sends δ · w back to its window (no helpers)."""
    delta, w = np.asarray(delta, dtype=float), np.asarray(w, dtype=float)
    if delta.ndim != 4 or w.ndim != 4 or delta.shape[3] != w.shape[3]:
        raise ValueError("delta and w do not fit")
    n, ho, wo, _ = delta.shape
    kh, kw, c_in, _ = w.shape
    dx = np.zeros((n, ho + kh - 1, wo + kw - 1, c_in))
    for i in range(ho):
        for j in range(wo):
            dx[:, i:i + kh, j:j + kw, :] += np.einsum("nk,uvck->nuvc", delta[:, i, j, :], w)
    return dx


@week.alternative
def conv2d_backward(delta, x, w, stride=1, padding=0):
    """A loop over the output positions (vectorised over the batch), each sending δ back to its patch."""
    delta, x, w = (np.asarray(t, dtype=float) for t in (delta, x, w))
    if x.ndim != 4 or w.ndim != 4 or x.shape[3] != w.shape[2]:
        raise ValueError("x and w do not fit")
    n, h, wd, _ = x.shape
    kh, kw, _, k = w.shape
    ho, wo = (h + 2 * padding - kh) // stride + 1, (wd + 2 * padding - kw) // stride + 1
    if delta.shape != (n, ho, wo, k):
        raise ValueError("delta has the wrong shape")
    xp = np.pad(x, ((0, 0), (padding, padding), (padding, padding), (0, 0)))
    dxp, dw = np.zeros_like(xp), np.zeros_like(w)
    for i in range(ho):
        for j in range(wo):
            r, s = i * stride, j * stride
            patch = xp[:, r:r + kh, s:s + kw, :]
            dw += np.tensordot(patch, delta[:, i, j, :], axes=([0], [0]))
            dxp[:, r:r + kh, s:s + kw, :] += np.tensordot(delta[:, i, j, :], w, axes=([1], [3]))
    return dxp[:, padding:padding + h, padding:padding + wd, :], dw, delta.sum(axis=(0, 1, 2))


@week.alternative
def maxpool2d_backward(delta, x, size=2, stride=2):
    """A loop over the windows: ``np.argmax`` of the flattened window finds the first maximum (row-major)."""
    delta, x = np.asarray(delta, dtype=float), np.asarray(x, dtype=float)
    if x.ndim != 4 or size < 1 or stride < 1 or size > x.shape[1] or size > x.shape[2]:
        raise ValueError("bad pooling parameters")
    n, h, w, c = x.shape
    ho, wo = (h - size) // stride + 1, (w - size) // stride + 1
    if delta.shape != (n, ho, wo, c):
        raise ValueError("delta has the wrong shape")
    dx = np.zeros_like(x)
    nn, cc = np.meshgrid(np.arange(n), np.arange(c), indexing="ij")
    for i in range(ho):
        for j in range(wo):
            win = x[:, i * stride:i * stride + size, j * stride:j * stride + size, :].reshape(n, size * size, c)
            first = np.argmax(win, axis=1)
            r, s = i * stride + first // size, j * stride + first % size
            np.add.at(dx, (nn, r, s, cc), delta[:, i, j, :])
    return dx


@week.alternative
def avgpool2d_forward(x, size=2, stride=2):
    """A loop over the windows, each summed, all divided by size² at the end."""
    x = np.asarray(x, dtype=float)
    if x.ndim != 4 or size < 1 or stride < 1 or size > x.shape[1] or size > x.shape[2]:
        raise ValueError("bad pooling parameters")
    ho, wo = (x.shape[1] - size) // stride + 1, (x.shape[2] - size) // stride + 1
    out = np.zeros((x.shape[0], ho, wo, x.shape[3]))
    for i in range(ho):
        for j in range(wo):
            out[:, i, j, :] = x[:, i * stride:i * stride + size, j * stride:j * stride + size, :].sum(axis=(1, 2))
    return out / size ** 2


@week.alternative
def avgpool2d_backward(delta, x, size=2, stride=2):
    """A loop over the windows, each adding δ / size² to all its entries."""
    delta, x = np.asarray(delta, dtype=float), np.asarray(x, dtype=float)
    if x.ndim != 4 or size < 1 or stride < 1 or size > x.shape[1] or size > x.shape[2]:
        raise ValueError("bad pooling parameters")
    n, h, w, c = x.shape
    ho, wo = (h - size) // stride + 1, (w - size) // stride + 1
    if delta.shape != (n, ho, wo, c):
        raise ValueError("delta has the wrong shape")
    dx = np.zeros_like(x)
    for i in range(ho):
        for j in range(wo):
            r, s = i * stride, j * stride
            dx[:, r:r + size, s:s + size, :] += delta[:, i:i + 1, j:j + 1, :] / size ** 2
    return dx


@week.alternative
def grad_w1111(I, w, b, v, y_hat, sigma, dsigma):  # noqa: E741
    """Loops over the output positions: the forward pass by ``np.tensordot``, then the chain rule term by term."""
    I, w, b, v, y_hat = (np.asarray(t, dtype=float) for t in (I, w, b, v, y_hat))  # noqa: E741
    kh, kw, c, k = w.shape
    ho, wo = I.shape[0] - kh + 1, I.shape[1] - kw + 1
    if I.shape[2] != c or v.shape[:3] != (ho, wo, k) or b.shape != (k,) or y_hat.shape != v.shape[3:]:
        raise ValueError("shapes do not fit")
    a = np.zeros((ho, wo, k))
    for i in range(ho):
        for j in range(wo):
            a[i, j] = b + np.tensordot(I[i:i + kh, j:j + kw, :], w, axes=3)
    y = np.tensordot(sigma(a), v, axes=3)
    total = 0.0
    for o in range(len(y_hat)):
        for i in range(ho):
            for j in range(wo):
                total -= (y_hat[o] - y[o]) * v[i, j, 0, o] * dsigma(a[i, j, 0]) * I[i, j, 0]
    return total
