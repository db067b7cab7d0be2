"""The catalogue of typical mistakes: complete mistaken implementations, one bug each.

``MISTAKES[name]`` is a list of :class:`Mistake` ``(key, message, impl, source)``.
``source`` is self-contained code (``import numpy as np`` and nothing else; no
``solutions_lib``) that defines the graded ``name`` (helpers, if any, start with ``_``);
``impl`` is what executing it defines. Notebook tests can inject ``mistake_source(name,
key)`` as student code to check that the hidden test fails and names the mistake.

The verifier runs every mistaken implementation of a name, through the same driver, on
the cases the student failed; when the student's outputs match one of them (within
tolerance, NaN == NaN, or both raising), the message says ``Likely mistake: key: message``.
"""
from __future__ import annotations

import textwrap
from typing import Callable, NamedTuple

import numpy as np


class Mistake(NamedTuple):
    """One known mistake of a graded name."""

    key: str
    message: str
    impl: Callable
    source: str


MISTAKES: dict[str, list[Mistake]] = {}


def _add(name: str, key: str, message: str, source: str) -> None:
    source = "import numpy as np\n\n\n" + textwrap.dedent(source).strip() + "\n"
    namespace: dict = {"__name__": f"nnmath_mistake_{name}_{key}"}
    exec(compile(source, f"<mistake {name}/{key}>", "exec"), namespace)
    impl = namespace[name]
    try:
        impl.source = source
    except (AttributeError, TypeError):
        pass
    MISTAKES.setdefault(name, []).append(Mistake(key, message, impl, source))


def mistake_source(name: str, key: str) -> str:
    """Code (numpy only) defining ``name`` with the mistake ``key``; ``KeyError`` if unknown."""
    for m in MISTAKES.get(name, []):
        if m.key == key:
            return m.source
    raise KeyError(f"no mistake {key!r} for {name!r}")


def _variants(template: str, **bugs):
    """Format ``template`` ({placeholders}) with the correct code unless overridden."""
    return template.format(**bugs)


# ======================================================================================
# week 1
# ======================================================================================

_add("flip", "only_first_axis", "only the first axis is reversed; flip reverses every axis", """
def flip(a):
    return np.asarray(a)[::-1].copy()
""")
_add("flip", "transposed", "you transposed the array; flip reverses the order of the entries along every axis", """
def flip(a):
    return np.asarray(a).T.copy()
""")

_FULL = """
def convolve_full(x, f):
    x = np.asarray(x, dtype=float)
    f = np.asarray(f, dtype=float)
    if x.ndim != f.ndim:
        raise ValueError("x and f must have the same number of dimensions")
    {check}
    shape = tuple(n + k - 1 for n, k in zip(x.shape, f.shape))
    out = np.zeros(shape)
    for idx in np.ndindex(*f.shape):
        window = tuple(slice(i, i + n) for i, n in zip(idx, x.shape))
        out[window] += f[{fidx}] * x
    return {ret}
"""
_FULL_OK = dict(check="", fidx="idx", ret="out")
_add("convolve_full", "kernel_not_flipped", "your kernel is not flipped: this is cross-correlation, not convolution",
     _FULL.format(**dict(_FULL_OK, fidx="tuple(k - 1 - i for k, i in zip(f.shape, idx))")))
_add("convolve_full", "only_2d", "your code handles only 2-D arrays; convolve_full must work for any number of dimensions",
     _FULL.format(**dict(_FULL_OK, check='if x.ndim != 2:\n        raise ValueError("only 2-D arrays are supported")')))
_add("convolve_full", "wrong_output_size",
     "wrong output size: the full convolution has n_i + k_i - 1 entries along axis i (you kept the size of x)",
     _FULL.format(**dict(_FULL_OK, ret="out[tuple(slice(0, n) for n in x.shape)]")))

_VALID = """
def {name}(x, k):
    x = np.asarray(x, dtype=float)
    k = np.asarray(k, dtype=float)
    if x.ndim != k.ndim:
        raise ValueError("x and the kernel must have the same number of dimensions")
    {check}
    {swap}
    if any(m > n for m, n in zip(k.shape, x.shape)):
        raise ValueError("the kernel is larger than the input")
    shape = tuple(n - m + {plus} for n, m in zip(x.shape, k.shape))
    out = np.zeros(shape)
    for idx in np.ndindex(*k.shape):
        window = tuple(slice(i, i + s) for i, s in zip(idx, shape))
        out += k[{kidx}] * x[window]
    return out
"""
_SWAP = "if all(m >= n for m, n in zip(k.shape, x.shape)):\n        x, k = k, x"
_CHECK2D = 'if x.ndim != 2:\n        raise ValueError("only 2-D arrays are supported")'
_FLIPPED = "tuple(m - 1 - i for m, i in zip(k.shape, idx))"
for _name, _right, _wrong in [("correlate_valid", "idx", _FLIPPED), ("convolve_valid", _FLIPPED, "idx")]:
    _ok = dict(name=_name, check="", swap="", plus=1, kidx=_right)
    if _name == "correlate_valid":
        _add(_name, "kernel_flipped", "you flipped the kernel: this is convolution, not cross-correlation",
             _VALID.format(**dict(_ok, kidx=_wrong)))
    else:
        _add(_name, "kernel_not_flipped", "your kernel is not flipped: this is cross-correlation, not convolution",
             _VALID.format(**dict(_ok, kidx=_wrong)))
    _add(_name, "arguments_swapped",
         "the arguments are swapped silently when the kernel is larger than the input; in 'valid' mode the kernel "
         "must fit inside the input: raise ValueError", _VALID.format(**dict(_ok, swap=_SWAP)))
    _add(_name, "only_2d", "your code handles only 2-D arrays; it must work for any number of dimensions",
         _VALID.format(**dict(_ok, check=_CHECK2D)))
    _add(_name, "wrong_output_size", "wrong output size: 'valid' keeps n_i - k_i + 1 entries along axis i (off by one)",
         _VALID.format(**dict(_ok, plus=0)))

_SOBEL = """
def sobel_laplace_responses():
    image = np.array([[5, 5, 2, 5, 5], [5, 5, 2, 5, 5], [7, 7, 5, 7, 7], [5, 5, 2, 5, 5], [5, 5, 2, 5, 5]], dtype=float)
    filters = np.array([[[1, 0, -1], [2, 0, -2], [1, 0, -1]],
                        [[1, 2, 1], [0, 0, 0], [-1, -2, -1]],
                        [[0, 1, 0], [1, -4, 1], [0, 1, 0]]], dtype=float)
    out = np.zeros((3, 3, 3))
    for f in range(3):
        k = filters[f]{flip}
        for i in range(3):
            for j in range(3):
                out[f, i, j] = np.sum(k * image[i:i + 3, j:j + 3])
    return out
"""
_add("sobel_laplace_responses", "convolution_instead_of_correlation",
     "you flipped the filters (convolution): the sheet asks for cross-correlation; the signs of the Sobel responses flip",
     _SOBEL.format(flip="[::-1, ::-1]"))
_add("sobel_laplace_responses", "filters_transposed",
     "the filters are transposed (rows and columns swapped): [filter, m, n] has m the row index",
     _SOBEL.format(flip=".T"))

_KGRAD = """
def kernel_gradient(a, delta):
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
    return {ret}
"""
_add("kernel_gradient", "gradient_not_flipped",
     "the gradient is not flipped: you returned A ⋆ Δ; ∂C/∂F = flip(A) * Δ is its 180° rotation",
     _KGRAD.format(ret="out"))

# ======================================================================================
# week 2
# ======================================================================================

_SIZE = """
def conv_output_size(n, f, p=0, s=1):
    if n < 0 or f < 1 or p < 0:
        raise ValueError("sizes must be non-negative and f positive")
    if s < 1:
        raise ValueError("the stride must be at least 1")
    if f > n + 2 * p:
        raise ValueError("the filter is larger than the padded input")
    return {expr}
"""
_add("conv_output_size", "floor_forgotten",
     "the floor is missing: with stride > 1, (n + 2p - f)/s need not be an integer; use integer division //",
     _SIZE.format(expr="(n + 2 * p - f) / s + 1"))
_add("conv_output_size", "padding_counted_once", "padding counted once: p zeros are added on BOTH sides, so use n + 2p",
     _SIZE.format(expr="(n + p - f) // s + 1"))

_SAME = """
def same_padding(f):
    if f < 1:
        raise ValueError("the filter size must be positive")
    {check}
    return {expr}
"""
_EVEN = 'if f % 2 == 0:\n        raise ValueError("no same padding for an even filter size")'
_add("same_padding", "even_accepted", "no ValueError for an even filter size: no symmetric padding keeps the size then",
     _SAME.format(check="", expr="(f - 1) // 2"))
_add("same_padding", "padding_not_halved", "you returned f - 1, the padding of both sides together; each side gets (f - 1)/2",
     _SAME.format(check=_EVEN, expr="f - 1"))

_SHAPE = """
def conv_output_shape(input_shape, filter_shape, stride=1, padding=0):
    h, w, c = input_shape
    kh, kw, c_in, k = filter_shape
    {check}
    return (({h} - kh) {div} stride + 1, ({w} - kw) {div} stride + 1, k)
"""
_CH = 'if c != c_in:\n        raise ValueError("the channels of input and filter differ")'
_ok_shape = dict(check=_CH, h="h + 2 * padding", w="w + 2 * padding", div="//")
_add("conv_output_shape", "channels_ignored", "no ValueError when the filter's channels differ from the input's",
     _SHAPE.format(**dict(_ok_shape, check="")))
_add("conv_output_shape", "floor_forgotten", "the floor is missing: with stride > 1 use integer division //",
     _SHAPE.format(**dict(_ok_shape, div="/")))
_add("conv_output_shape", "padding_counted_once", "padding counted once: the input grows by 2 * padding in each axis",
     _SHAPE.format(**dict(_ok_shape, h="h + padding", w="w + padding")))

_PCOUNT = """
def conv_param_count(kh, kw, c_in, c_out):
    if min(kh, kw, c_in, c_out) < 1:
        raise ValueError("sizes must be positive")
    return {expr}
"""
_add("conv_param_count", "bias_forgotten", "the biases are not counted: each output channel has one (+ c_out)",
     _PCOUNT.format(expr="kh * kw * c_in * c_out"))
_add("conv_param_count", "channels_ignored", "the input channels are ignored: every filter spans all c_in channels",
     _PCOUNT.format(expr="kh * kw * c_out + c_out"))

_CONV = """
def conv2d_forward(x, w, b, stride=1, padding=0):
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
    {size}
    out = np.zeros((n, ho, wo, k)) + b
    for i in range(kh):
        for j in range(kw):
            patch = xp[:, i:i + stride * (ho - 1) + 1:stride, j:j + stride * (wo - 1) + 1:stride, :]
            out += {term}
    return out
"""
_CONV_SIZE = ("xp = np.pad(x, ((0, 0), (p, p), (p, p), (0, 0)))\n"
              "    ho, wo = (h + 2 * p - kh) // stride + 1, (wd + 2 * p - kw) // stride + 1")
_ok_conv = dict(size=_CONV_SIZE, term="patch @ w[i, j]")
_add("conv2d_forward", "convolution_instead_of_correlation",
     "you flipped the kernel (convolution); a conv layer computes cross-correlation",
     _CONV.format(**dict(_ok_conv, term="patch @ w[kh - 1 - i, kw - 1 - j]")))
_add("conv2d_forward", "padding_counted_once", "padding added on one side only: pad `padding` zeros on every side",
     _CONV.format(**dict(_ok_conv, size="xp = np.pad(x, ((0, 0), (p, 0), (p, 0), (0, 0)))\n"
                                        "    ho, wo = (h + p - kh) // stride + 1, (wd + p - kw) // stride + 1")))
_add("conv2d_forward", "floor_forgotten",
     "the output size is rounded up: use floor((H + 2p - kh)/stride) + 1, windows must fit inside the padded input",
     _CONV.format(**dict(_ok_conv, size="xp = np.pad(x, ((0, 0), (p, p + stride), (p, p + stride), (0, 0)))\n"
                                        "    ho, wo = -(-(h + 2 * p - kh) // stride) + 1, -(-(wd + 2 * p - kw) // stride) + 1")))
_add("conv2d_forward", "channels_ignored", "only the first input channel is used: each filter sums over all input channels",
     _CONV.format(**dict(_ok_conv, term="patch[..., :1] @ w[i, j, :1]")))

_add("relu", "mask_returned", "you returned the derivative (the 0/1 mask x > 0), not max(0, x)", """
def relu(x):
    return (np.asarray(x) > 0).astype(float)
""")
_add("relu", "absolute_value", "you returned |x|; relu sets negative entries to 0", """
def relu(x):
    return np.abs(np.asarray(x, dtype=float))
""")

_POOL = """
def {name}(x, size=2, stride=2):
    x = np.asarray(x, dtype=float)
    if x.ndim != 4:
        raise ValueError("x must have shape (N, H, W, C)")
    if size < 1 or stride < 1:
        raise ValueError("size and stride must be positive")
    n, h, w, c = x.shape
    if size > h or size > w:
        raise ValueError("the window is larger than the input")
    step = {step}
    ho, wo = (h - size) // step + 1, (w - size) // step + 1
    out = {init}
    for i in range(size):
        for j in range(size):
            win = x[:, i:i + step * (ho - 1) + 1:step, j:j + step * (wo - 1) + 1:step, :]
            out = {combine}
    return {ret}
"""
_pool_max = dict(name="maxpool2d_forward", step="stride", init="np.full((n, ho, wo, c), -np.inf)",
                 combine="np.maximum(out, win)", ret="out")
_add("maxpool2d_forward", "windows_overlapping",
     "your pooling windows overlap (they move by 1): the windows move by `stride` (2 by default)",
     _POOL.format(**dict(_pool_max, step="1")))
_add("maxpool2d_forward", "minimum_instead_of_maximum", "you took the minimum of each window, not the maximum",
     _POOL.format(**dict(_pool_max, init="np.full((n, ho, wo, c), np.inf)", combine="np.minimum(out, win)")))
_pool_avg = dict(name="avgpool2d_forward", step="stride", init="np.zeros((n, ho, wo, c))", combine="out + win",
                 ret="out / (size * size)")
_add("avgpool2d_forward", "not_divided_by_k", "you summed each window; the average divides by k = size²",
     _POOL.format(**dict(_pool_avg, ret="out")))
_add("avgpool2d_forward", "windows_overlapping", "your pooling windows overlap (they move by 1): they move by `stride`",
     _POOL.format(**dict(_pool_avg, step="1")))

_PF = """
def pooled_features(image, filters):
    image = np.asarray(image, dtype=float)
    filters = np.asarray(filters, dtype=float)
    kh, kw, k = filters.shape
    ho, wo = image.shape[0] - kh + 1, image.shape[1] - kw + 1
    maps = np.zeros((ho, wo, k))
    for i in range(kh):
        for j in range(kw):
            maps += image[i:i + ho, j:j + wo, None] * filters[{fidx}]
    {act}
    step = {step}
    ph, pw = (ho - 2) // step + 1, (wo - 2) // step + 1
    out = np.full((ph, pw, k), -np.inf)
    for i in range(2):
        for j in range(2):
            out = np.maximum(out, maps[i:i + step * (ph - 1) + 1:step, j:j + step * (pw - 1) + 1:step])
    return out
"""
_ok_pf = dict(fidx="i, j", act="maps = np.maximum(maps, 0.0)", step="2")
_add("pooled_features", "convolution_instead_of_correlation",
     "you flipped the filters (convolution); the layer computes cross-correlation",
     _PF.format(**dict(_ok_pf, fidx="kh - 1 - i, kw - 1 - j")))
_add("pooled_features", "relu_forgotten", "the ReLU between convolution and pooling is missing",
     _PF.format(**dict(_ok_pf, act="")))
_add("pooled_features", "windows_overlapping", "your pooling windows overlap (stride 1); 2x2 pooling moves by 2",
     _PF.format(**dict(_ok_pf, step="1")))

_CCU = """
def count_changed_units(image, filters, shift):
    image = np.asarray(image, dtype=float)
    filters = np.asarray(filters, dtype=float)

    def pooled(img):
        kh, kw, k = filters.shape
        ho, wo = img.shape[0] - kh + 1, img.shape[1] - kw + 1
        maps = np.zeros((ho, wo, k))
        for i in range(kh):
            for j in range(kw):
                maps += img[i:i + ho, j:j + wo, None] * filters[i, j]
        maps = np.maximum(maps, 0.0)
        ph, pw = ho // 2, wo // 2
        return maps[:2 * ph, :2 * pw].reshape(ph, 2, pw, 2, k).max(axis=(1, 3))

    dy, dx = {sign}shift[0], {sign}shift[1]
    {move}
    return int(np.sum(~np.isclose(pooled(image), pooled(moved))))
"""
_MOVE = """moved = np.zeros_like(image)
    h, w = image.shape
    ys, yd = (slice(0, h - dy), slice(dy, h)) if dy >= 0 else (slice(-dy, h), slice(0, h + dy))
    xs, xd = (slice(0, w - dx), slice(dx, w)) if dx >= 0 else (slice(-dx, w), slice(0, w + dx))
    moved[yd, xd] = image[ys, xs]"""
_add("count_changed_units", "wraps_around", "the image wraps around (np.roll); the shift must fill with zeros",
     _CCU.format(sign="", move="moved = np.roll(image, (dy, dx), axis=(0, 1))"))
_add("count_changed_units", "shift_reversed", "the image moves the wrong way: (0, -1) moves it one pixel LEFT",
     _CCU.format(sign="-", move=_MOVE))

# ======================================================================================
# week 3
# ======================================================================================

_add("dense_forward", "bias_forgotten", "the bias b is not added: z = x @ W + b", """
def dense_forward(x, W, b):
    x, W = np.asarray(x, dtype=float), np.asarray(W, dtype=float)
    if x.shape[-1] != W.shape[0] or np.shape(b) != (W.shape[1],):
        raise ValueError("shapes of x, W and b do not match")
    return x @ W
""")
_add("dense_forward", "W_transposed", "you computed x @ W.T; with the row convention z = x @ W + b", """
def dense_forward(x, W, b):
    x, W = np.asarray(x, dtype=float), np.asarray(W, dtype=float)
    if x.shape[-1] != W.shape[0] or np.shape(b) != (W.shape[1],):
        raise ValueError("shapes of x, W and b do not match")
    return x @ W.T + b
""")

_DB = """
def dense_backward(delta, x, W):
    delta = np.asarray(delta, dtype=float)
    x = np.asarray(x, dtype=float)
    W = np.asarray(W, dtype=float)
    if delta.shape[1] != W.shape[1] or x.shape[1] != W.shape[0] or len(x) != len(delta):
        raise ValueError("shapes of delta, x and W do not match")
    return {dx}, x.T @ delta, {db}
"""
_ok_db = dict(dx="delta @ W.T", db="delta.sum(axis=0)")
_add("dense_backward", "db_not_summed", "db is not summed over the batch: db = delta.sum(axis=0)",
     _DB.format(**dict(_ok_db, db="delta.copy()")))
_add("dense_backward", "W_instead_of_WT", "dx uses W instead of W.T: dx = delta @ W.T",
     _DB.format(**dict(_ok_db, dx="delta @ W")))
_add("dense_backward", "db_averaged", "db is averaged over the batch; it must be the sum delta.sum(axis=0)",
     _DB.format(**dict(_ok_db, db="delta.mean(axis=0)")))

_RB = """
def relu_backward(x, delta):
    x = np.asarray(x, dtype=float)
    delta = np.asarray(delta, dtype=float)
    if x.shape != delta.shape:
        raise ValueError("x and delta must have the same shape")
    return {expr}
"""
_add("relu_backward", "delta_not_multiplied", "you returned relu'(x) alone; the result is delta * relu'(x)",
     _RB.format(expr="(x > 0).astype(float)"))
_add("relu_backward", "mask_from_delta", "the mask is taken from delta; relu'(x) depends on the input x",
     _RB.format(expr="delta * (delta > 0)"))

_add("sigmoid", "sign_flipped", "you computed 1 / (1 + exp(x)); the sigmoid is 1 / (1 + exp(-x))", """
def sigmoid(x):
    x = np.asarray(x, dtype=float)
    return 0.5 * (1.0 - np.tanh(0.5 * x))
""")

_SB = """
def sigmoid_backward(x, delta):
    x = np.asarray(x, dtype=float)
    delta = np.asarray(delta, dtype=float)
    if x.shape != delta.shape:
        raise ValueError("x and delta must have the same shape")
    s = 0.5 * (1.0 + np.tanh(0.5 * x))
    {extra}
    return {expr}
"""
_add("sigmoid_backward", "sigma_prime_omitted", "σ' is omitted: the result is delta * σ(x) * (1 - σ(x))",
     _SB.format(extra="", expr="delta.copy()"))
_add("sigmoid_backward", "sigma_prime_applied_twice",
     "σ' is evaluated at the output σ(x) instead of the input x (σ applied twice)",
     _SB.format(extra="s = 0.5 * (1.0 + np.tanh(0.5 * s))", expr="delta * s * (1.0 - s)"))
_add("sigmoid_backward", "delta_not_multiplied", "you returned σ'(x) alone; the result is delta * σ'(x)",
     _SB.format(extra="", expr="s * (1.0 - s)"))

_SCE = """
def softmax_cross_entropy(logits, labels):
    logits = np.asarray(logits, dtype=float)
    labels = np.asarray(labels)
    if logits.ndim != 2 or labels.shape != (logits.shape[0],):
        raise ValueError("logits must be (N, K) and labels (N,)")
    if labels.min() < 0 or labels.max() >= logits.shape[1]:
        raise ValueError("labels out of range")
    n = logits.shape[0]
    {shift}
    e = np.exp(z)
    p = e / e.sum(axis=1, keepdims=True)
    logp = np.log(p)
    loss = -logp[np.arange(n), labels].sum() / {nl}
    d = p.copy()
    d[np.arange(n), labels] -= 1.0
    return float(loss), d / {nd}
"""
_ok_sce = dict(shift="z = logits - logits.max(axis=1, keepdims=True)", nl="n", nd="n")
_add("softmax_cross_entropy", "loss_summed", "the loss and its gradient are summed over the batch instead of averaged (divide by N)",
     _SCE.format(**dict(_ok_sce, nl="1", nd="1")))
_add("softmax_cross_entropy", "gradient_not_averaged", "the loss is averaged but its gradient is not: divide dlogits by N",
     _SCE.format(**dict(_ok_sce, nd="1")))
_add("softmax_cross_entropy", "softmax_overflow",
     "softmax overflow: exp(1000) is inf; subtract each row's maximum from the logits before exponentiating",
     _SCE.format(**dict(_ok_sce, shift="z = logits")))

_TWO = """
def two_layer_gradients(x, y, V, W):
    x, y = np.asarray(x, dtype=float), np.asarray(y, dtype=float)
    V, W = np.asarray(V, dtype=float), np.asarray(W, dtype=float)
    if V.shape[0] != x.shape[1] + 1 or W.shape[0] != V.shape[1] + 1 or W.shape[1] != y.shape[1]:
        raise ValueError("shapes of x, y, V and W do not match")
    sig = lambda t: 0.5 * (1.0 + np.tanh(0.5 * t))
    x1 = np.hstack([np.ones((len(x), 1)), x])
    a = sig(x1 @ V)
    a1 = np.hstack([np.ones((len(x), 1)), a])
    yhat = sig(a1 @ W)
    dout = (yhat - y) {dout}
    dW = a1.T @ dout
    dh = (dout @ W[1:].T) {dh}
    dV = x1.T @ dh
    return dV {scale}, dW {scale}
"""
_ok_two = dict(dout="* yhat * (1.0 - yhat)", dh="* a * (1.0 - a)", scale="")
_add("two_layer_gradients", "output_sigma_prime_omitted", "σ' of the output layer is omitted: δ_out = (ŷ - y) σ'(z_out)",
     _TWO.format(**dict(_ok_two, dout="")))
_add("two_layer_gradients", "hidden_sigma_prime_omitted", "σ' of the hidden layer is omitted when δ is carried back",
     _TWO.format(**dict(_ok_two, dh="")))
_add("two_layer_gradients", "loss_averaged", "the gradients are divided by N; the sheet's loss is summed over the batch",
     _TWO.format(**dict(_ok_two, scale="/ len(x)")))

for _key, _msg, _bug in [
        ("output_sigma_prime_omitted", "σ'(z_out) is missing from the output node's local derivative", dict(dout="")),
        ("hidden_sigma_prime_omitted", "σ'(z_hidden) is missing from the hidden nodes' local derivatives", dict(dh=""))]:
    _add("mlp_gradients_autodiff", _key, _msg,
         _TWO.format(**dict(_ok_two, **_bug)).replace("def two_layer_gradients", "def mlp_gradients_autodiff"))

_LAYER = """
class DenseLayer:
    def __init__(self, n_in, n_out, activation="sigmoid", optimizer=None, rng=None):
        if activation not in ("identity", "relu", "sigmoid"):
            raise ValueError("unknown activation")
        rng = np.random.default_rng() if rng is None else rng
        self.W = rng.standard_normal((n_in, n_out)) / np.sqrt(n_in)
        self.b = np.zeros(n_out)
        self.dW = np.zeros_like(self.W)
        self.db = np.zeros_like(self.b)
        self.activation = activation
        self.optimizer = optimizer if optimizer is not None else _DenseLayerSGD(0.1)

    def _act(self, z):
        if self.activation == "sigmoid":
            return 0.5 * (1.0 + np.tanh(0.5 * z))
        if self.activation == "relu":
            return np.maximum(z, 0.0)
        return z

    def _dact(self, z):
        if self.activation == "sigmoid":
            s = self._act(z)
            return s * (1.0 - s)
        if self.activation == "relu":
            return (z > 0).astype(float)
        return np.ones_like(z)

    def forward(self, x):
        self.x = np.asarray(x, dtype=float)
        self.z = self.x @ self.W + self.b
        self.a = self._act(self.z)
        return self.a

    evaluate = forward

    def backward(self, delta):
        {d}
        self.dW = self.x.T @ d
        self.db = {db}
        return {dx}

    backprop = backward

    def update(self):
        self.optimizer.update([self.W, self.b], [self.dW, self.db])


class _DenseLayerSGD:
    def __init__(self, eta):
        self.eta = eta

    def update(self, params, grads):
        for p, g in zip(params, grads):
            p -= self.eta * g
"""
_ok_layer = dict(d="d = np.asarray(delta, dtype=float) * self._dact(self.z)", db="d.sum(axis=0)", dx="d @ self.W.T")
_add("DenseLayer", "db_not_summed", "db is not summed over the batch: db = δ.sum(axis=0)",
     _LAYER.format(**dict(_ok_layer, db="d.copy()")))
_add("DenseLayer", "W_instead_of_WT", "backward returns δ @ W instead of δ @ W.T",
     _LAYER.format(**dict(_ok_layer, dx="d @ self.W")))
_add("DenseLayer", "sigma_prime_omitted", "the activation's derivative is omitted in backward: δ = delta * act'(z)",
     _LAYER.format(**dict(_ok_layer, d="d = np.asarray(delta, dtype=float)")))
_add("DenseLayer", "sigma_prime_applied_twice",
     "the activation's derivative is taken at the output a = act(z) instead of at z (activation applied twice)",
     _LAYER.format(**dict(_ok_layer, d="d = np.asarray(delta, dtype=float) * self._dact(self.a)")))

_add("SGD", "not_in_place", "update() rebinds the list entries; it must change the parameter arrays in place (p -= eta * g)", """
class SGD:
    def __init__(self, eta):
        self.eta = eta

    def update(self, params, grads):
        for i, g in enumerate(grads):
            params[i] = params[i] - self.eta * np.asarray(g)
""")
_add("SGD", "gradient_ascent", "update() adds the gradient; gradient descent subtracts it: p -= eta * g", """
class SGD:
    def __init__(self, eta):
        self.eta = eta

    def update(self, params, grads):
        for p, g in zip(params, grads):
            p += self.eta * np.asarray(g)
""")

_MOM = """
class Momentum:
    def __init__(self, eta, mu):
        self.eta = eta
        self.mu = mu
        self.m = None

    def update(self, params, grads):
        if self.m is None{reset}:
            self.m = [np.zeros_like(p) for p in params]
        for j, (p, g) in enumerate(zip(params, grads)):
            self.m[j] = self.mu * self.m[j] + {scale}np.asarray(g)
            p -= self.eta * self.m[j]
"""
_add("Momentum", "no_one_minus_mu", "momentum without the (1 - mu) factor: m = mu * m + (1 - mu) * g",
     _MOM.format(reset="", scale=""))
_add("Momentum", "velocity_reset", "m starts again from zero at every update(); it must persist between calls",
     _MOM.format(reset=" or True", scale="(1.0 - self.mu) * "))

_NET = """
class SequentialNet:
    def __init__(self, layers, loss="sum_of_squares"):
        if loss not in ("sum_of_squares", "softmax_cross_entropy"):
            raise ValueError("unknown loss")
        self.layers = list(layers)
        self.loss = loss

    def forward(self, x):
        for layer in self.layers:
            x = layer.forward(x)
        return x

    evaluate = forward

    def backward(self, delta):
        for layer in {order}:
            delta = layer.backward(delta)
        return delta

    def loss_and_delta(self, x, y):
        out = self.forward(x)
        n = len(out)
        if self.loss == "sum_of_squares":
            diff = out - y
            return 0.5 * float(np.sum(diff ** 2)) / n, diff / n
        z = out - out.max(axis=1, keepdims=True)
        p = np.exp(z) / np.exp(z).sum(axis=1, keepdims=True)
        loss = -float(np.log(p[np.arange(n), y]).sum()) / n
        d = p.copy()
        d[np.arange(n), y] -= 1.0
        return loss, d / n

    def train(self, x, y, batch_size, epochs, rng=None):
        rng = np.random.default_rng() if rng is None else rng
        losses = []
        for _ in range(epochs):
            order = rng.permutation(len(x))
            batch_losses = []
            for start in range(0, len(x), batch_size):
                idx = order[start:start + batch_size]
                loss, delta = self.loss_and_delta(x[idx], y[idx])
                self.backward(delta)
                {update}
                batch_losses.append(loss)
            losses.append(float(np.mean(batch_losses)))
        return losses
"""
_ok_net = dict(order="reversed(self.layers)", update="for layer in self.layers:\n                    layer.update()")
_add("SequentialNet", "backward_in_forward_order", "backward must visit the layers from the last to the first",
     _NET.format(**dict(_ok_net, order="self.layers")))
_add("SequentialNet", "no_update", "train() never calls update() on the layers, so nothing is learned",
     _NET.format(**dict(_ok_net, update="pass")))

# ======================================================================================
# week 4
# ======================================================================================

_add("backward_filters", "channels_not_swapped", "the filters are rotated but the channel axes are not swapped", """
def backward_filters(w):
    return np.asarray(w, dtype=float)[::-1, ::-1].copy()
""")
_add("backward_filters", "not_rotated", "the channel axes are swapped but the filters are not rotated by 180°", """
def backward_filters(w):
    return np.asarray(w, dtype=float).transpose(0, 1, 3, 2).copy()
""")
_add("backward_filters", "one_axis_flipped", "only one spatial axis is reversed; a 180° rotation reverses both", """
def backward_filters(w):
    return np.asarray(w, dtype=float)[::-1].transpose(0, 1, 3, 2).copy()
""")

_CB = """
def conv2d_backward(delta, x, w, stride=1, padding=0):
    delta = np.asarray(delta, dtype=float)
    x = np.asarray(x, dtype=float)
    w = np.asarray(w, dtype=float)
    n, h, wd, c = x.shape
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
            {dxsl}
            dxp[dsl] += {term}
    return dxp[:, p:p + h, p:p + wd, :], dw, delta.sum(axis=(0, 1, 2))
"""
_ok_cb = dict(dxsl="dsl = sl", term="delta @ w[i, j].T")
_add("conv2d_backward", "stride_ignored_in_dx",
     "the stride is ignored in dx: δ must be spread out with step `stride` before it is carried back",
     _CB.format(**dict(_ok_cb, dxsl="dsl = (slice(None), slice(i, min(i + ho, xp.shape[1])), "
                                    "slice(j, min(j + wo, xp.shape[2])), slice(None))",
                       term="(delta @ w[i, j].T)[:, :dxp[dsl].shape[1], :dxp[dsl].shape[2]]")))
_add("conv2d_backward", "channels_not_swapped",
     "the filters' channel axes are not swapped when δ is carried back (use w[i, j].T, i.e. (K, C) -> (C, K))",
     _CB.format(**dict(_ok_cb, term="delta @ w[i, j]")))
_add("conv2d_backward", "gradient_not_flipped",
     "the filters carrying δ back to the input are rotated by 180° once too often (or not at all)",
     _CB.format(**dict(_ok_cb, term="delta @ w[kh - 1 - i, kw - 1 - j].T")))

_MPB = """
def maxpool2d_backward(delta, x, size=2, stride=2):
    delta = np.asarray(delta, dtype=float)
    x = np.asarray(x, dtype=float)
    n, h, w, c = x.shape
    ho, wo = (h - size) // stride + 1, (w - size) // stride + 1
    if delta.shape != (n, ho, wo, c):
        raise ValueError("delta does not have the shape of the pooled output")
    wins = np.stack([x[:, i:i + stride * (ho - 1) + 1:stride, j:j + stride * (wo - 1) + 1:stride, :]
                     for i in range(size) for j in range(size)])
    {mask}
    dx = np.zeros_like(x)
    for t in range(size * size):
        i, j = divmod(t, size)
        dx[:, i:i + stride * (ho - 1) + 1:stride, j:j + stride * (wo - 1) + 1:stride, :] += delta * mask[t]
    return dx
"""
_add("maxpool2d_backward", "gradient_to_every_entry",
     "the gradient is sent to every entry of the window; only the window's maximum receives it",
     _MPB.format(mask="mask = np.ones_like(wins)"))
_add("maxpool2d_backward", "ties_get_gradient_twice",
     "with ties, every maximum of a window receives the gradient; only the first maximum (row-major) should",
     _MPB.format(mask="mask = (wins == wins.max(axis=0)).astype(float)"))
_add("maxpool2d_backward", "last_maximum_on_ties",
     "with ties, the gradient goes to the last maximum; the contract sends it to the first (row-major)",
     _MPB.format(mask="last = len(wins) - 1 - np.argmax(wins[::-1], axis=0)\n"
                      "    mask = (np.arange(len(wins))[:, None, None, None, None] == last).astype(float)"))

_APB = """
def avgpool2d_backward(delta, x, size=2, stride=2):
    delta = np.asarray(delta, dtype=float)
    x = np.asarray(x, dtype=float)
    n, h, w, c = x.shape
    ho, wo = (h - size) // stride + 1, (w - size) // stride + 1
    if delta.shape != (n, ho, wo, c):
        raise ValueError("delta does not have the shape of the pooled output")
    dx = np.zeros_like(x)
    for i in range(size):
        for j in range(size):
            dx[:, i:i + stride * (ho - 1) + 1:stride, j:j + stride * (wo - 1) + 1:stride, :] {op} delta {scale}
    return dx
"""
_add("avgpool2d_backward", "not_divided_by_k", "the delta is not divided by k = size²: each input gets δ/k from its window",
     _APB.format(op="+=", scale=""))
_add("avgpool2d_backward", "overlap_not_accumulated",
     "with overlapping windows an input lies in several windows: add up δ/k from each (+=), do not overwrite",
     _APB.format(op="=", scale="/ (size * size)"))

_GW = """
def grad_w1111(I, w, b, v, y_hat, sigma, dsigma):
    I, w, b = np.asarray(I, dtype=float), np.asarray(w, dtype=float), np.asarray(b, dtype=float)
    v, y_hat = np.asarray(v, dtype=float), np.asarray(y_hat, dtype=float)
    kh, kw, c, k = w.shape
    ho, wo = I.shape[0] - kh + 1, I.shape[1] - kw + 1
    a = np.zeros((ho, wo, k)) + b
    for m in range(kh):
        for n in range(kw):
            a += I[m:m + ho, n:n + wo, :] @ w[m, n]
    h = sigma(a)
    y = np.einsum("ijko,ijk->o", v, h)
    return float(np.sum({res} * np.einsum("ijo,ij->o", v[:, :, 0, :], {ds} * I[:ho, :wo, 0])))
"""
_add("grad_w1111", "dsigma_omitted", "σ'(a) is missing from the chain rule: ∂h/∂w = σ'(a) · I",
     _GW.format(res="(y - y_hat)", ds="1.0"))
_add("grad_w1111", "sign_flipped", "the sign is flipped: ∂L/∂y_o = y_o - ŷ_o for L = ½ Σ (ŷ_o - y_o)²",
     _GW.format(res="(y_hat - y)", ds="dsigma(a[:, :, 0])"))

# ======================================================================================
# week 5 (named by the property checks of .properties, not by re-running them)
# ======================================================================================

_DROP = """
class DropoutLayer:
    def __init__(self, p=0.5, trainable=True, rng=None):
        if not 0 < p <= 1:
            raise ValueError("the keep probability p must lie in (0, 1]")
        self.p = p
        self.trainable = trainable
        self.rng = np.random.default_rng() if rng is None else rng
        self.mask = None

    def forward(self, x):
        x = np.asarray(x, dtype=float)
        if not self.trainable{evalbug}:
            self.mask = np.ones((1, x.shape[1]))
            return x.copy()
        self.mask = self.rng.binomial(1, self.p, size={size}) {scale}
        return x * self.mask

    evaluate = forward

    def backward(self, delta):
        {back}
        return np.asarray(delta, dtype=float) * self.mask

    backprop = backward

    def update(self):
        pass
"""
_ok_drop = dict(evalbug="", size="(1, x.shape[1])", scale="/ self.p", back="pass")
_add("DropoutLayer", "scale_1_over_1_minus_p",
     "the mask is scaled by 1/(1-p); with p the probability to KEEP, the scale is 1/p (the sheet's listing is wrong)",
     _DROP.format(**dict(_ok_drop, scale="/ (1.0 - self.p) if self.p < 1 else 1.0")))
_add("DropoutLayer", "scale_omitted", "the mask is not scaled: divide it by p so that the expected output equals the input",
     _DROP.format(**dict(_ok_drop, scale="* 1.0")))
_add("DropoutLayer", "new_mask_in_backward", "backward draws a new mask; it must reuse the mask of the last forward",
     _DROP.format(**dict(_ok_drop, back="if self.trainable:\n            self.mask = self.rng.binomial(1, self.p, size=self.mask.shape) / self.p")))
_add("DropoutLayer", "mask_per_example", "one mask per example; the sheet asks one mask (1, features) for the whole minibatch",
     _DROP.format(**dict(_ok_drop, size="x.shape")))
_add("DropoutLayer", "dropping_at_evaluation", "units are dropped at evaluation too; with trainable=False the layer is the identity",
     _DROP.format(**dict(_ok_drop, evalbug=" and False")))

# ======================================================================================
# week 7
# ======================================================================================

_STEP = """
def lstm_step_forward(x_t, c_prev, params):
    p = {{k: np.asarray(v, dtype=float) for k, v in params.items()}}
    x_t, c_prev = np.asarray(x_t, dtype=float), np.asarray(c_prev, dtype=float)
    if x_t.shape[1] != p["W_f"].shape[0] or c_prev.shape != (x_t.shape[0], p["W_f"].shape[1]):
        raise ValueError("shapes of x_t, c_prev and params do not match")
    sig = lambda z: 0.5 * (1.0 + np.tanh(0.5 * z))
    f = sig(x_t @ p["W_f"] {pf}+ p["b_f"])
    i = sig(x_t @ p["W_i"] {pi}+ p["b_i"])
    o = sig(x_t @ p["W_o"] {po}+ p["b_o"])
    g = np.tanh(x_t @ p["W_c"] + p["b_c"])
    c = f * c_prev + i * g
    h = {h}
    return h, c, {{"x": x_t, "c_prev": c_prev, "f": f, "i": i, "o": o, "g": g, "c": c, "h": h}}
"""
_ok_step = dict(pf='+ c_prev @ p["W_fc"] ', pi='+ c_prev @ p["W_ic"] ', po='+ c_prev @ p["W_oc"] ', h="np.tanh(o * c)")
_add("lstm_step_forward", "common_variant", "you computed h = o ⊙ tanh(c), the common variant; the sheet's LSTM has h = tanh(o ⊙ c)",
     _STEP.format(**dict(_ok_step, h="o * np.tanh(c)")))
_add("lstm_step_forward", "peepholes_omitted", "the peephole terms c_prev @ W_*c are missing from the gates",
     _STEP.format(**dict(_ok_step, pf="", pi="", po="")))

_DC = """
def delta_c(dh_t, cache_t, params, dh_next=None, dc_next=None, cache_next=None):
    p = {{k: np.asarray(v, dtype=float) for k, v in params.items()}}
    dh_t = np.asarray(dh_t, dtype=float)
    if dh_t.shape != cache_t["c"].shape:
        raise ValueError("dh_t does not have the shape of c_t")
    o, c, h = cache_t["o"], cache_t["c"], cache_t["h"]
    dc = dh_t * {tprime} * o
    if cache_next is None:
        return dc
    dh_next = np.zeros_like(dc) if dh_next is None else np.asarray(dh_next, dtype=float)
    dc_next = np.zeros_like(dc) if dc_next is None else np.asarray(dc_next, dtype=float)
    f, i, o2, g = (cache_next[k] for k in ("f", "i", "o", "g"))
    dzo = dh_next * (1.0 - cache_next["h"] ** 2) * cache_next["c"] * o2 * (1.0 - o2)
    dzf = dc_next * cache_next["c_prev"] * f * (1.0 - f)
    dzi = dc_next * g * i * (1.0 - i)
    return dc + dc_next * f {peep}
"""
_ok_dc = dict(tprime="(1.0 - h * h)", peep='+ dzf @ p["W_fc"].T + dzi @ p["W_ic"].T + dzo @ p["W_oc"].T')
_add("delta_c", "peephole_terms_omitted",
     "the peephole terms are missing: c_t also feeds the gates f, i, o of step t+1 (δz @ W_*cᵀ)",
     _DC.format(**dict(_ok_dc, peep="")))
_add("delta_c", "tanh_prime_at_c", "tanh' is taken at c_t; h_t = tanh(o_t ⊙ c_t), so it is 1 - tanh²(o_t ⊙ c_t) = 1 - h_t²",
     _DC.format(**dict(_ok_dc, tprime="(1.0 - np.tanh(c) ** 2)")))

_BPTT = """
def lstm_backward(dhs, caches, params):
    p = {{k: np.asarray(v, dtype=float) for k, v in params.items()}}
    dhs = np.asarray(dhs, dtype=float)
    if dhs.ndim != 3 or len(dhs) != len(caches):
        raise ValueError("dhs must have shape (T, N, H) with one entry per cache")
    grads = {{k: np.zeros_like(v) for k, v in p.items()}}
    dxs = np.zeros((len(caches),) + np.shape(caches[0]["x"]))
    dc_next = np.zeros_like(dhs[0])
    for t in range(len(caches) - 1, -1, -1):
        cache = caches[t]
        x, c_prev, f, i, o, g, c, h = (np.asarray(cache[k], dtype=float) for k in ("x", "c_prev", "f", "i", "o", "g", "c", "h"))
        dh = dhs[t]
        tp = {tprime}
        dc = dh * tp * o + dc_next
        dzo = dh * tp * c * o * (1.0 - o)
        dzf = dc * c_prev * f * (1.0 - f)
        dzi = dc * g * i * (1.0 - i)
        dzg = dc * i * (1.0 - g * g)
        step = {{"W_f": x.T @ dzf, "W_i": x.T @ dzi, "W_o": x.T @ dzo, "W_c": x.T @ dzg,
                "W_fc": c_prev.T @ dzf, "W_ic": c_prev.T @ dzi, "W_oc": c_prev.T @ dzo,
                "b_f": dzf.sum(axis=0), "b_i": dzi.sum(axis=0), "b_o": dzo.sum(axis=0), "b_c": dzg.sum(axis=0)}}
        for k, v in step.items():
            grads[k] {acc} v
        dxs[t] = dzf @ p["W_f"].T + dzi @ p["W_i"].T + dzo @ p["W_o"].T + dzg @ p["W_c"].T
        dc_next = dc * f {peep}
    return dxs, dc_next, grads
"""
_ok_bptt = dict(tprime="1.0 - h * h", acc="+=", peep='+ dzf @ p["W_fc"].T + dzi @ p["W_ic"].T + dzo @ p["W_oc"].T')
_add("lstm_backward", "not_summed_over_time", "the parameter gradients are not summed over the time steps (= instead of +=)",
     _BPTT.format(**dict(_ok_bptt, acc="=")))
_add("lstm_backward", "peephole_terms_omitted",
     "the peephole terms of δc are missing: c_t also feeds the gates f, i, o of step t+1 (δz @ W_*cᵀ)",
     _BPTT.format(**dict(_ok_bptt, peep="")))
_add("lstm_backward", "tanh_prime_at_c", "tanh' is taken at c_t; h_t = tanh(o_t ⊙ c_t), so it is 1 - h_t²",
     _BPTT.format(**dict(_ok_bptt, tprime="1.0 - np.tanh(c) ** 2")))

# ======================================================================================
# week 8
# ======================================================================================

_add("confusion_matrix", "transposed", "rows and columns are swapped: rows are the true class, columns the predicted", """
def confusion_matrix(y_true, y_pred, k):
    y_true, y_pred = np.asarray(y_true), np.asarray(y_pred)
    if y_true.shape != y_pred.shape or y_true.min() < 0 or y_pred.min() < 0 or max(y_true.max(), y_pred.max()) >= k:
        raise ValueError("bad labels")
    cm = np.zeros((k, k), dtype=int)
    np.add.at(cm, (y_pred, y_true), 1)
    return cm
""")
_add("precision_recall", "nan_for_never_predicted", "a class never predicted gets precision NaN; it must be 0", """
def precision_recall(cm):
    cm = np.asarray(cm, dtype=float)
    if cm.ndim != 2 or cm.shape[0] != cm.shape[1]:
        raise ValueError("cm must be square")
    tp = np.diag(cm)
    with np.errstate(all="ignore"):
        return tp / cm.sum(axis=0), np.where(cm.sum(axis=1) > 0, tp / np.maximum(cm.sum(axis=1), 1), 0.0)
""")
_add("precision_recall", "swapped", "precision and recall are swapped: precision divides by the column (predicted) sums", """
def precision_recall(cm):
    cm = np.asarray(cm, dtype=float)
    if cm.ndim != 2 or cm.shape[0] != cm.shape[1]:
        raise ValueError("cm must be square")
    tp = np.diag(cm)
    col, row = cm.sum(axis=0), cm.sum(axis=1)
    return np.where(row > 0, tp / np.maximum(row, 1), 0.0), np.where(col > 0, tp / np.maximum(col, 1), 0.0)
""")

# ======================================================================================
# correct alternative implementations (loops where the reference vectorises), used by the
# tests and by notebook tests to check that a right answer passes
# ======================================================================================

#: name -> source of a correct implementation (numpy only)
CORRECT: dict[str, str] = {}


def _ok(name: str, source: str) -> None:
    CORRECT[name] = "import numpy as np\n\n\n" + textwrap.dedent(source).strip() + "\n"


_ok("flip", """
def flip(a):
    a = np.asarray(a)
    return a[tuple(slice(None, None, -1) for _ in range(a.ndim))].copy()
""")
_ok("convolve_full", _FULL.format(**_FULL_OK))
_ok("correlate_valid", _VALID.format(name="correlate_valid", check="", swap="", plus=1, kidx="idx"))
_ok("convolve_valid", _VALID.format(name="convolve_valid", check="", swap="", plus=1, kidx=_FLIPPED))
_ok("sobel_laplace_responses", _SOBEL.format(flip=""))
_ok("kernel_gradient", _KGRAD.format(ret="out[::-1, ::-1].copy()"))
_ok("conv_output_size", _SIZE.format(expr="(n + 2 * p - f) // s + 1"))
_ok("same_padding", _SAME.format(check=_EVEN, expr="(f - 1) // 2"))
_ok("conv_output_shape", _SHAPE.format(**_ok_shape))
_ok("conv_param_count", _PCOUNT.format(expr="kh * kw * c_in * c_out + c_out"))
_ok("conv2d_forward", _CONV.format(**_ok_conv))
_ok("relu", """
def relu(x):
    x = np.asarray(x, dtype=float)
    return np.where(x > 0, x, 0.0)
""")
_ok("maxpool2d_forward", _POOL.format(**_pool_max))
_ok("avgpool2d_forward", _POOL.format(**_pool_avg))
_ok("pooled_features", _PF.format(**_ok_pf))
_ok("count_changed_units", _CCU.format(sign="", move=_MOVE))
_ok("dense_forward", """
def dense_forward(x, W, b):
    x, W, b = np.asarray(x, dtype=float), np.asarray(W, dtype=float), np.asarray(b, dtype=float)
    if x.ndim != 2 or W.ndim != 2 or x.shape[1] != W.shape[0] or b.shape != (W.shape[1],):
        raise ValueError("shapes of x, W and b do not match")
    return np.einsum("ni,io->no", x, W) + b
""")
_ok("dense_backward", _DB.format(**_ok_db))
_ok("relu_backward", _RB.format(expr="np.where(x > 0, delta, 0.0)"))
_ok("sigmoid", """
def sigmoid(x):
    x = np.asarray(x, dtype=float)
    e = np.exp(-np.abs(x))
    return np.where(x >= 0, 1.0 / (1.0 + e), e / (1.0 + e))
""")
_ok("sigmoid_backward", _SB.format(extra="", expr="delta * s * (1.0 - s)"))
_ok("softmax_cross_entropy", _SCE.format(**_ok_sce))
_ok("two_layer_gradients", _TWO.format(**_ok_two))
_ok("mlp_gradients_autodiff", _TWO.format(**_ok_two).replace("def two_layer_gradients", "def mlp_gradients_autodiff"))
_ok("DenseLayer", _LAYER.format(**_ok_layer))
_ok("SGD", """
class SGD:
    def __init__(self, eta):
        self.eta = eta

    def update(self, params, grads):
        for p, g in zip(params, grads):
            p -= self.eta * np.asarray(g)
""")
_ok("Momentum", _MOM.format(reset="", scale="(1.0 - self.mu) * "))
_ok("SequentialNet", _NET.format(**_ok_net))
_ok("backward_filters", """
def backward_filters(w):
    w = np.asarray(w, dtype=float)
    return np.rot90(w, 2, axes=(0, 1)).transpose(0, 1, 3, 2).copy()
""")
_ok("conv2d_backward", _CB.format(**_ok_cb))
_ok("maxpool2d_backward", _MPB.format(mask="first = np.argmax(wins, axis=0)\n"
                                            "    mask = (np.arange(len(wins))[:, None, None, None, None] == first).astype(float)"))
_ok("avgpool2d_backward", _APB.format(op="+=", scale="/ (size * size)"))
_ok("grad_w1111", _GW.format(res="(y - y_hat)", ds="dsigma(a[:, :, 0])"))
_ok("DropoutLayer", _DROP.format(**_ok_drop))
_ok("lstm_step_forward", _STEP.format(**_ok_step))
_ok("delta_c", _DC.format(**_ok_dc))
_ok("lstm_backward", _BPTT.format(**_ok_bptt))
_ok("confusion_matrix", """
def confusion_matrix(y_true, y_pred, k):
    y_true, y_pred = np.asarray(y_true), np.asarray(y_pred)
    if y_true.shape != y_pred.shape or y_true.min() < 0 or y_pred.min() < 0 or max(y_true.max(), y_pred.max()) >= k:
        raise ValueError("bad labels")
    cm = np.zeros((k, k), dtype=int)
    for t, p in zip(y_true, y_pred):
        cm[t, p] += 1
    return cm
""")
_ok("precision_recall", """
def precision_recall(cm):
    cm = np.asarray(cm, dtype=float)
    if cm.ndim != 2 or cm.shape[0] != cm.shape[1]:
        raise ValueError("cm must be square")
    tp = np.diag(cm)
    col, row = cm.sum(axis=0), cm.sum(axis=1)
    return np.where(col > 0, tp / np.maximum(col, 1), 0.0), np.where(row > 0, tp / np.maximum(row, 1), 0.0)
""")

del _name, _right, _wrong
