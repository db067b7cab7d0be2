"""A sequential network of layers (weeks 3, 8) and the sheet-001 ex. 1a derivative (week 4)."""
from __future__ import annotations

import numpy as np

from solutions_lib.losses import softmax_cross_entropy, sum_of_squares
from solutions_lib.validate import integer

_LOSSES = {"sum_of_squares": sum_of_squares, "softmax_cross_entropy": softmax_cross_entropy}


class SequentialNet:
    """Layers applied one after the other, trained by minibatch gradient descent.

    Parameters
    ----------
    layers : list of layers
        Objects with ``forward``, ``backward`` and ``update``.
    loss : {"sum_of_squares", "softmax_cross_entropy"}
        ``y`` is one-hot ``(N, k)`` for sum of squares, integer labels ``(N,)`` for
        softmax cross-entropy (applied to the last layer's output as logits).
    """

    def __init__(self, layers, loss="sum_of_squares"):
        if loss not in _LOSSES:
            raise ValueError(f"loss must be one of {tuple(_LOSSES)}, got {loss!r}")
        layers = list(layers)
        if not layers:
            raise ValueError("a SequentialNet needs at least one layer")
        self.layers = layers
        self.loss = loss

    def forward(self, x):
        """The last layer's output for a batch ``x``."""
        for layer in self.layers:
            x = layer.forward(x)
        return x

    evaluate = forward

    def backward(self, delta):
        """Propagate ``∂C/∂output`` through all layers, last first; returns ``∂C/∂x``."""
        for layer in reversed(self.layers):
            delta = layer.backward(delta)
        return delta

    backprop = backward

    def update(self) -> None:
        """Let every layer's optimizer step."""
        for layer in self.layers:
            layer.update()

    def loss_and_delta(self, x, y):
        """Forward pass, then the loss and its derivative w.r.t. the network output.

        Returns
        -------
        loss : float
        delta : ndarray like the output
        """
        return _LOSSES[self.loss](self.forward(x), y)

    def predict(self, x):
        """Class index (argmax of the output) per example, ``(N,)``."""
        return np.argmax(self.forward(x), axis=1)

    def train(self, x, y, batch_size, epochs, rng=None):
        """Minibatch training; returns the mean loss of each epoch.

        Each epoch shuffles the examples with ``rng.permutation(N)`` and cuts the order into
        minibatches of ``batch_size`` (the last one smaller when ``batch_size`` does not divide
        ``N``); each minibatch does forward, loss, backward and ``update()`` of every layer.

        The epoch loss is the mean loss over the epoch's *examples*: each minibatch's (mean)
        loss weighted by its size, ``Σ_b |b| L_b / N``. Every example counts once, as in the
        full-batch loss it equals when one minibatch holds them all; a plain mean of the
        minibatch losses would count the examples of a partial last minibatch more.

        Parameters
        ----------
        x : ndarray (N, ...)
        y : ndarray (N, k) one-hot, or (N,) int labels
        batch_size, epochs : int >= 1
        rng : numpy.random.Generator, optional

        Returns
        -------
        list of float, length ``epochs``
        """
        x = np.asarray(x, dtype=np.float64)
        y = np.asarray(y)
        if x.shape[0] == 0:
            raise ValueError("x must hold at least one example")
        if y.shape[0] != x.shape[0]:
            raise ValueError(f"shape mismatch: x has {x.shape[0]} examples but y has {y.shape[0]}")
        batch_size, epochs = integer("batch_size", batch_size, 1), integer("epochs", epochs, 1)
        rng = np.random.default_rng() if rng is None else rng
        n = x.shape[0]
        history = []
        for _ in range(int(epochs)):
            order = rng.permutation(n)
            total = 0.0
            for start in range(0, n, int(batch_size)):
                idx = order[start:start + int(batch_size)]
                loss, delta = self.loss_and_delta(x[idx], y[idx])
                self.backward(delta)
                self.update()
                total += loss * idx.size
            history.append(total / n)
        return history

    @property
    def n_params(self) -> int:
        """Number of trainable scalars of all layers."""
        return sum(getattr(layer, "n_params", 0) for layer in self.layers)


def grad_w1111(I, w, b, v, y_hat, sigma, dsigma) -> float:
    """``∂L/∂w[0, 0, 0, 0]`` for the network of sheet 001 ex. 1a.

    ``a = b + I ⋆ w`` (valid, stride 1), ``h = σ(a)``, ``y_o = Σ_ijk v_ijko h_ijk``,
    ``L = 1/2 Σ_o (ŷ_o - y_o)²`` with ``ŷ`` the target.

    Parameters
    ----------
    I : ndarray (H, W, C)
    w : ndarray (kh, kw, C, K)
    b : ndarray (K,)
    v : ndarray (H - kh + 1, W - kw + 1, K, O)
    y_hat : ndarray (O,)
        The target.
    sigma, dsigma : callables
        The activation and its derivative, elementwise.

    Returns
    -------
    float
        ``Σ_o (y_o - ŷ_o) Σ_ij v_ij0o σ'(a_ij0) I_ij0``.
    """
    I, w, b, v, y_hat = (np.asarray(t, dtype=np.float64) for t in (I, w, b, v, y_hat))
    if I.ndim != 3 or w.ndim != 4:
        raise ValueError(f"I must be (H, W, C) and w (kh, kw, C, K); got {I.shape} and {w.shape}")
    H, W_, C = I.shape
    kh, kw, c, K = w.shape
    if c != C:
        raise ValueError(f"shape mismatch: I has {C} channels but w expects {c}")
    if kh > H or kw > W_:
        raise ValueError(f"kernel {kh}x{kw} is larger than the image {H}x{W_}")
    if b.shape != (K,):
        raise ValueError(f"shape mismatch: b must have shape ({K},), got {b.shape}")
    ho, wo = H - kh + 1, W_ - kw + 1
    if v.ndim != 4 or v.shape[:3] != (ho, wo, K):
        raise ValueError(f"shape mismatch: v must have shape ({ho}, {wo}, {K}, O), got {v.shape}")
    if y_hat.shape != (v.shape[3],):
        raise ValueError(f"shape mismatch: y_hat must have shape ({v.shape[3]},), got {y_hat.shape}")
    windows = np.lib.stride_tricks.sliding_window_view(I, (kh, kw), axis=(0, 1))  # (ho, wo, C, kh, kw)
    a = np.einsum("ijcmn,mnck->ijk", windows, w) + b
    h = sigma(a)
    y = np.einsum("ijko,ijk->o", v, h)
    dy = y - y_hat                                               # ∂L/∂y_o
    da0 = np.einsum("ijo,o->ij", v[:, :, 0, :], dy) * dsigma(a[:, :, 0])
    return float(np.sum(da0 * I[:ho, :wo, 0]))
