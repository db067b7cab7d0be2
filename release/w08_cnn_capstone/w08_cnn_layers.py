"""Week 8's given layers: what you wrote in weeks 2–5, in the course's layer protocol, fast.

Every layer has ``forward(x)`` (alias ``evaluate``), ``backward(delta)`` (alias ``backprop``),
which takes ``∂C/∂output``, stores the parameter derivatives and returns ``∂C/∂input``, and
``update()``, which lets the layer's optimizer step. Arrays are float64, images channels-last
``(N, H, W, C)``, filters ``(kh, kw, C_in, C_out)``.

Where these come from (use your own instead if you like: the grader only looks at what your
network does):

- ``ConvLayer``: week 2's ``conv2d_forward`` and week 4's ``conv2d_backward``;
- ``MaxPoolLayer``: week 2's ``maxpool2d_forward`` and week 4's ``maxpool2d_backward``;
- ``DenseLayer``, ``Momentum``, ``SequentialNet``, ``softmax_cross_entropy``: week 3;
- ``FlattenLayer``: new, a reshape and its inverse.

Speed: a training step of the Table 1 network must take tens of milliseconds, so nothing here
loops over pixels. The convolution is *im2col*: all ``kh·kw·C`` inputs of every output position
are copied into one row of a matrix, and the layer is one matrix product with the filters; its
backward pass is two more products. Max-pooling with 2×2 windows and stride 2 is a reshape that
puts the 4 entries of every window on a last axis.
"""
from __future__ import annotations

import copy

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

# --- the convolution as matrix products (weeks 2 and 4) ---------------------------------------

def _pad(x, p):
    if not p:
        return x
    n, h, w, c = x.shape
    out = np.zeros((n, h + 2 * p, w + 2 * p, c))
    out[:, p:p + h, p:p + w] = x
    return out


def im2col(xp, kh, kw):
    """``(N·H_out·W_out, kh·kw·C)``: row ``(n, y, x)`` holds the patch ``xp[n, y:y+kh, x:x+kw, :]``
    in ``(i, j, c)`` order (stride 1)."""
    n, hp, wp, c = xp.shape
    ho, wo = hp - kh + 1, wp - kw + 1
    if c > 2:   # one copy of a strided view (N, ho, wo, C, kh, kw), reordered to (i, j, c)
        cols = np.ascontiguousarray(sliding_window_view(xp, (kh, kw), axis=(1, 2)).transpose(0, 1, 2, 4, 5, 3))
    else:       # one or two channels: a copy per kernel offset is faster
        cols = np.empty((n, ho, wo, kh, kw, c))
        for i in range(kh):
            for j in range(kw):
                cols[:, :, :, i, j, :] = xp[:, i:i + ho, j:j + wo, :]
    return cols.reshape(n * ho * wo, kh * kw * c)


class ConvLayer:
    """Convolution (cross-correlation) with ``kh × kw`` filters, stride 1, ``padding`` zeros.

    ``z = b + Σ_{i,j,c} x_p[n, y+i, x+j, c] w[i, j, c, k]``, then the activation (``"relu"`` or
    ``"identity"``). He initialisation ``w ~ N(0, 2/(kh·kw·c_in))``, ``b = 0``.
    """

    def __init__(self, kh, kw, c_in, c_out, padding=0, activation="relu", optimizer=None, rng=None):
        rng = np.random.default_rng() if rng is None else rng
        self.w = rng.normal(0.0, np.sqrt(2.0 / (kh * kw * c_in)), size=(kh, kw, c_in, c_out))
        self.b = np.zeros(c_out)
        self.padding, self.activation = padding, activation
        self.optimizer = copy.deepcopy(optimizer) if optimizer is not None else Momentum(0.1, 0.9)
        self.dw, self.db = np.zeros_like(self.w), np.zeros_like(self.b)

    @property
    def n_params(self):
        return self.w.size + self.b.size

    def forward(self, x):
        """``x (N, H, W, c_in)`` -> ``(N, H', W', c_out)``."""
        x = np.asarray(x, dtype=np.float64)
        kh, kw, c, k = self.w.shape
        n, h, wd, _ = x.shape
        ho, wo = h + 2 * self.padding - kh + 1, wd + 2 * self.padding - kw + 1
        self.x_shape = x.shape
        self.cols = im2col(_pad(x, self.padding), kh, kw)     # kept for backward's dw
        self.z = (self.cols @ self.w.reshape(-1, k) + self.b).reshape(n, ho, wo, k)
        return np.maximum(self.z, 0.0) if self.activation == "relu" else self.z

    def backward(self, delta):
        """``delta`` like the output -> ``∂C/∂x`` like the input; stores ``dw``, ``db``."""
        kh, kw, c, k = self.w.shape
        n, h, wd, _ = self.x_shape
        p = self.padding
        dz = delta * (self.z > 0) if self.activation == "relu" else np.asarray(delta, dtype=np.float64)
        d2 = dz.reshape(-1, k)
        self.db = d2.sum(axis=0)
        self.dw = (self.cols.T @ d2).reshape(kh, kw, c, k)
        if c > 2:   # ∂C/∂x: the full correlation of δ with the flipped filters (week 4), im2col again
            dpad = np.zeros((n, h + kh - 1, wd + kw - 1, k))
            dpad[:, kh - 1 - p:kh - 1 - p + dz.shape[1], kw - 1 - p:kw - 1 - p + dz.shape[2]] = dz
            flipped = self.w[::-1, ::-1].transpose(0, 1, 3, 2).reshape(-1, c)
            return (im2col(dpad, kh, kw) @ flipped).reshape(n, h, wd, c)
        # one or two input channels: send every patch gradient back to its patch (col2im)
        dcols = (d2 @ self.w.reshape(-1, k).T).reshape(n, dz.shape[1], dz.shape[2], kh, kw, c)
        dxp = np.zeros((n, h + 2 * p, wd + 2 * p, c))
        for i in range(kh):
            for j in range(kw):
                dxp[:, i:i + dz.shape[1], j:j + dz.shape[2], :] += dcols[:, :, :, i, j, :]
        return dxp[:, p:p + h, p:p + wd]

    def update(self):
        self.optimizer.update([self.w, self.b], [self.dw, self.db])

    evaluate, backprop = forward, backward


class MaxPoolLayer:
    """Max-pooling over ``size × size`` windows with stride ``size``; the gradient of a window goes
    to its first (row-major) maximum."""

    def __init__(self, size=2):
        self.size = size
        self.n_params = 0

    def forward(self, x):
        x = np.asarray(x, dtype=np.float64)
        n, h, w, c = x.shape
        s = self.size
        ho, wo = h // s, w // s
        tiles = x[:, :ho * s, :wo * s].reshape(n, ho, s, wo, s, c).transpose(0, 1, 3, 5, 2, 4).reshape(n, ho, wo, c, s * s)
        self.x_shape, self.winner = x.shape, tiles.argmax(axis=-1)
        return np.take_along_axis(tiles, self.winner[..., None], axis=-1)[..., 0]

    def backward(self, delta):
        n, h, w, c = self.x_shape
        s = self.size
        ho, wo = delta.shape[1:3]
        tiles = np.zeros((n, ho, wo, c, s * s))
        np.put_along_axis(tiles, self.winner[..., None], np.asarray(delta, dtype=np.float64)[..., None], axis=-1)
        dx = np.zeros(self.x_shape)
        dx[:, :ho * s, :wo * s] = tiles.reshape(n, ho, wo, c, s, s).transpose(0, 1, 4, 2, 5, 3).reshape(n, ho * s, wo * s, c)
        return dx

    def update(self):
        pass

    evaluate, backprop = forward, backward


class FlattenLayer:
    """``(N, ...)`` -> ``(N, prod(...))``; backward reshapes back."""

    n_params = 0

    def forward(self, x):
        self.shape = np.shape(x)
        return np.reshape(x, (self.shape[0], -1))

    def backward(self, delta):
        return np.reshape(delta, self.shape)

    def update(self):
        pass

    evaluate, backprop = forward, backward


class DenseLayer:
    """``x @ W + b`` then the activation (``"relu"`` or ``"identity"``); ``W ~ N(0, 2/n_in)`` for
    ReLU, ``N(0, 1/n_in)`` otherwise."""

    def __init__(self, n_in, n_out, activation="identity", optimizer=None, rng=None):
        rng = np.random.default_rng() if rng is None else rng
        self.W = rng.normal(0.0, np.sqrt((2.0 if activation == "relu" else 1.0) / n_in), size=(n_in, n_out))
        self.b = np.zeros(n_out)
        self.activation = activation
        self.optimizer = copy.deepcopy(optimizer) if optimizer is not None else Momentum(0.1, 0.9)
        self.dW, self.db = np.zeros_like(self.W), np.zeros_like(self.b)

    @property
    def n_params(self):
        return self.W.size + self.b.size

    def forward(self, x):
        self.x = np.asarray(x, dtype=np.float64)
        self.z = self.x @ self.W + self.b
        return np.maximum(self.z, 0.0) if self.activation == "relu" else self.z

    def backward(self, delta):
        dz = delta * (self.z > 0) if self.activation == "relu" else np.asarray(delta, dtype=np.float64)
        self.dW, self.db = self.x.T @ dz, dz.sum(axis=0)
        return dz @ self.W.T

    def update(self):
        self.optimizer.update([self.W, self.b], [self.dW, self.db])

    evaluate, backprop = forward, backward


class Momentum:
    """Sheet 004 eq. 30–31: ``m ← μ m + (1 − μ) g``, ``w ← w − η m`` (one ``m`` per parameter)."""

    def __init__(self, eta=0.1, mu=0.9):
        self.eta, self.mu, self.m = eta, mu, None

    def update(self, params, grads):
        if self.m is None:
            self.m = [np.zeros_like(p) for p in params]
        for p, m, g in zip(params, self.m, grads):
            m *= self.mu
            m += (1.0 - self.mu) * g
            p -= self.eta * m


def softmax_cross_entropy(logits, labels):
    """``(loss, ∂loss/∂logits)``: the mean of ``-log softmax(logits_n)[labels_n]``.

    ``logits (N, K)``, ``labels (N,)`` **integer** class labels (not one-hot).
    """
    labels = np.asarray(labels)
    if labels.shape != (len(logits),) or not np.issubdtype(labels.dtype, np.integer):
        raise ValueError(f"softmax_cross_entropy takes integer labels of shape ({len(logits)},), "
                         f"got {labels.dtype} {labels.shape}" + (" (one-hot?)" if labels.ndim == 2 else ""))
    shifted = logits - logits.max(axis=1, keepdims=True)
    log_p = shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))
    rows = np.arange(len(labels))
    delta = np.exp(log_p)
    delta[rows, labels] -= 1.0
    return float(-log_p[rows, labels].mean()), delta / len(labels)


class SequentialNet:
    """Layers applied in order; the loss is softmax cross-entropy on integer labels."""

    def __init__(self, layers):
        self.layers = list(layers)

    @property
    def n_params(self):
        return sum(getattr(layer, "n_params", 0) for layer in self.layers)

    def forward(self, x):
        for layer in self.layers:
            x = layer.forward(x)
        return x

    def backward(self, delta):
        for layer in reversed(self.layers):
            delta = layer.backward(delta)
        return delta

    def update(self):
        for layer in self.layers:
            layer.update()

    def loss_and_delta(self, x, labels):
        return softmax_cross_entropy(self.forward(x), labels)

    def predict(self, x):
        return np.argmax(self.forward(x), axis=1)

    evaluate, backprop = forward, backward
