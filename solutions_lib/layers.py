"""Layer classes sharing one protocol (weeks 3, 5, 8).

Every layer has ``forward(x)`` (alias ``evaluate``), ``backward(delta)`` (alias
``backprop``), which takes ``∂C/∂output``, stores the parameter derivatives and returns
``∂C/∂input``, and ``update()``, which lets the layer's optimizer step.

Each trainable layer keeps its own copy of the optimizer passed in, so one ``Momentum``
object can be handed to several layers without them sharing velocity buffers.
"""
from __future__ import annotations

import copy

import numpy as np

from solutions_lib.activations import relu, relu_backward, sigmoid, sigmoid_backward
from solutions_lib.conv2d import _backward as _conv_backward
from solutions_lib.conv2d import _forward as _conv_forward
from solutions_lib.optimizers import SGD
from solutions_lib.pooling import (
    _maxpool_tiled,
    _maxpool_tiled_backward,
    maxpool2d_backward,
    maxpool2d_forward,
)
from solutions_lib.validate import integer

_ACTIVATIONS = ("identity", "relu", "sigmoid")


def _activate(name, z):
    if name == "relu":
        return relu(z)
    if name == "sigmoid":
        return sigmoid(z)
    return z


def _activate_backward(name, z, delta):
    if name == "relu":
        return relu_backward(z, delta)
    if name == "sigmoid":
        return sigmoid_backward(z, delta)
    return delta


def _check_activation(activation):
    if activation not in _ACTIVATIONS:
        raise ValueError(f"activation must be one of {_ACTIVATIONS}, got {activation!r}")


def _positive_int(name, v):
    return integer(name, v, 1)


class _Layer:
    def evaluate(self, x):
        """Alias of ``forward`` (the sheets' name)."""
        return self.forward(x)

    def backprop(self, delta):
        """Alias of ``backward`` (the sheets' name)."""
        return self.backward(delta)

    def update(self) -> None:
        """Layers without parameters do nothing."""

    @property
    def n_params(self) -> int:
        """Number of trainable scalars."""
        return 0

    def _need_forward(self):
        if getattr(self, "_x", None) is None:
            raise ValueError("backward called before forward")


class DenseLayer(_Layer):
    """Fully connected layer ``activation(x @ W + b)``.

    Parameters
    ----------
    n_in, n_out : int
        Input and output sizes; ``W (n_in, n_out)``, ``b (n_out,)``.
    activation : {"identity", "relu", "sigmoid"}
    optimizer : SGD or Momentum, optional
        Default ``SGD(0.1)``. The layer keeps its own copy.
    rng : numpy.random.Generator, optional
        Draws ``W ~ N(0, s²)`` with ``s² = 2/n_in`` for ReLU and ``1/n_in`` otherwise; ``b = 0``.
    """

    def __init__(self, n_in, n_out, activation="sigmoid", optimizer=None, rng=None):
        n_in, n_out = _positive_int("n_in", n_in), _positive_int("n_out", n_out)
        _check_activation(activation)
        rng = np.random.default_rng() if rng is None else rng
        scale = np.sqrt((2.0 if activation == "relu" else 1.0) / n_in)
        self.W = rng.normal(0.0, scale, size=(n_in, n_out))
        self.b = np.zeros(n_out)
        self.dW = np.zeros_like(self.W)
        self.db = np.zeros_like(self.b)
        self.activation = activation
        self.optimizer = copy.deepcopy(optimizer) if optimizer is not None else SGD(0.1)
        self._x = self._z = None

    def forward(self, x):
        """``x (N, n_in)`` -> ``(N, n_out)``."""
        x = np.asarray(x, dtype=np.float64)
        if x.ndim != 2 or x.shape[1] != self.W.shape[0]:
            raise ValueError(f"shape mismatch: DenseLayer expects input (N, {self.W.shape[0]}), got {x.shape}")
        self._x = x
        self._z = x @ self.W + self.b
        return _activate(self.activation, self._z)

    def backward(self, delta):
        """``delta (N, n_out)`` = ∂C/∂output -> ∂C/∂x ``(N, n_in)``; stores ``dW``, ``db``."""
        self._need_forward()
        delta = np.asarray(delta, dtype=np.float64)
        if delta.shape != self._z.shape:
            raise ValueError(f"shape mismatch: delta must have shape {self._z.shape}, got {delta.shape}")
        dz = _activate_backward(self.activation, self._z, delta)
        self.dW = self._x.T @ dz
        self.db = dz.sum(axis=0)
        return dz @ self.W.T

    def update(self) -> None:
        """One optimizer step on ``[W, b]`` with ``[dW, db]``."""
        self.optimizer.update([self.W, self.b], [self.dW, self.db])

    @property
    def n_params(self) -> int:
        return self.W.size + self.b.size


class ConvLayer(_Layer):
    """2-D convolutional layer (cross-correlation), channels-last.

    Parameters
    ----------
    kh, kw, c_in, c_out : int
        Weights ``w (kh, kw, c_in, c_out)``, bias ``b (c_out,)``.
    stride, padding : int
    activation : {"identity", "relu", "sigmoid"}
    optimizer : SGD or Momentum, optional
        Default ``SGD(0.1)``; the layer keeps its own copy.
    rng : numpy.random.Generator, optional
        He initialisation ``N(0, 2/(kh*kw*c_in))`` for ReLU, ``1/fan_in`` otherwise.
    """

    def __init__(self, kh, kw, c_in, c_out, stride=1, padding=0, activation="relu",
                 optimizer=None, rng=None):
        kh, kw = _positive_int("kh", kh), _positive_int("kw", kw)
        c_in, c_out = _positive_int("c_in", c_in), _positive_int("c_out", c_out)
        self.stride = _positive_int("stride", stride)
        self.padding = integer("padding", padding, 0)
        _check_activation(activation)
        rng = np.random.default_rng() if rng is None else rng
        fan_in = kh * kw * c_in
        scale = np.sqrt((2.0 if activation == "relu" else 1.0) / fan_in)
        self.w = rng.normal(0.0, scale, size=(kh, kw, c_in, c_out))
        self.b = np.zeros(c_out)
        self.dw = np.zeros_like(self.w)
        self.db = np.zeros_like(self.b)
        self.activation = activation
        self.optimizer = copy.deepcopy(optimizer) if optimizer is not None else SGD(0.1)
        self._x = self._z = None

    # the dense layer's names, for code that treats all layers alike
    @property
    def W(self):
        return self.w

    @property
    def dW(self):
        return self.dw

    def forward(self, x):
        """``x (N, H, W, c_in)`` -> ``(N, H_out, W_out, c_out)``."""
        x = np.asarray(x, dtype=np.float64)
        if x.ndim != 4 or x.shape[3] != self.w.shape[2]:
            raise ValueError(f"shape mismatch: ConvLayer expects input (N, H, W, {self.w.shape[2]}), got {x.shape}")
        self._x = x
        # the im2col matrix of the forward pass is kept for backward's dw (computed once per step)
        self._z, self._cols = _conv_forward(x, self.w, self.b, self.stride, self.padding)
        return _activate(self.activation, self._z)

    def backward(self, delta):
        """``delta`` like the output -> ∂C/∂x like the input; stores ``dw``, ``db``."""
        self._need_forward()
        delta = np.asarray(delta, dtype=np.float64)
        if delta.shape != self._z.shape:
            raise ValueError(f"shape mismatch: delta must have shape {self._z.shape}, got {delta.shape}")
        dz = _activate_backward(self.activation, self._z, delta)
        dx, self.dw, self.db = _conv_backward(dz, self._cols, self._x.shape, self.w, self.stride, self.padding)
        return dx

    def update(self) -> None:
        """One optimizer step on ``[w, b]`` with ``[dw, db]``."""
        self.optimizer.update([self.w, self.b], [self.dw, self.db])

    @property
    def n_params(self) -> int:
        return self.w.size + self.b.size


class MaxPoolLayer(_Layer):
    """Max pooling over ``size x size`` windows with ``stride``, channels-last."""

    def __init__(self, size=2, stride=2):
        self.size = _positive_int("size", size)
        self.stride = _positive_int("stride", stride)
        self._x = None

    def forward(self, x):
        """``x (N, H, W, C)`` -> ``(N, H_out, W_out, C)``."""
        x = np.asarray(x, dtype=np.float64)
        if self.size == self.stride and x.ndim == 4 and min(x.shape[1:3]) >= self.size:
            # non-overlapping windows: the winners of the forward pass are kept for backward
            out, self._winner = _maxpool_tiled(x, self.size)
        else:
            out, self._winner = maxpool2d_forward(x, size=self.size, stride=self.stride), None
        self._x = x
        return out

    def backward(self, delta):
        """Each window's gradient goes to its (first) maximum."""
        self._need_forward()
        if self._winner is None:
            return maxpool2d_backward(delta, self._x, size=self.size, stride=self.stride)
        delta = np.asarray(delta, dtype=np.float64)
        if delta.shape != self._winner.shape:
            raise ValueError(f"shape mismatch: delta must have shape {self._winner.shape}, got {delta.shape}")
        return _maxpool_tiled_backward(delta, self._x.shape, self.size, self._winner)


class FlattenLayer(_Layer):
    """``(N, ...)`` -> ``(N, prod(...))`` in C order; ``backward`` reshapes back."""

    def __init__(self):
        self._shape = None

    def forward(self, x):
        x = np.asarray(x, dtype=np.float64)
        if x.ndim < 1:
            raise ValueError("FlattenLayer needs an input with a batch axis")
        self._shape = x.shape
        return x.reshape(x.shape[0], -1)

    def backward(self, delta):
        if self._shape is None:
            raise ValueError("backward called before forward")
        delta = np.asarray(delta, dtype=np.float64)
        if delta.size != int(np.prod(self._shape)) or delta.shape[0] != self._shape[0]:
            raise ValueError(f"shape mismatch: delta {delta.shape} does not fit the input {self._shape}")
        return delta.reshape(self._shape)


class DropoutLayer(_Layer):
    """Inverted dropout with keep probability ``p`` (sheet 000 ex. 4, corrected scale).

    Training (``trainable=True``): each ``forward`` draws one mask of shape
    ``(1,) + x.shape[1:]`` — ``(1, features)`` for 2-D input — shared by the whole
    minibatch, ``mask = Binomial(1, p) / p``, so ``E[output] = input``. Evaluation
    (``trainable=False``): identity. ``backward`` multiplies by the stored mask.

    Parameters
    ----------
    p : float in (0, 1]
        Probability to KEEP a unit.
    trainable : bool
    rng : numpy.random.Generator, optional
    """

    def __init__(self, p=0.5, trainable=True, rng=None):
        if not (isinstance(p, (int, float, np.floating, np.integer)) and not isinstance(p, bool)) or not 0 < p <= 1:
            raise ValueError(f"keep probability p must lie in (0, 1], got {p!r}")
        self.p = float(p)
        self.trainable = bool(trainable)
        self.rng = np.random.default_rng() if rng is None else rng
        self.mask = None
        self._used_mask = None

    def forward(self, x):
        """``x (N, F)`` (or ``(N, ...)``) -> same shape."""
        x = np.asarray(x, dtype=np.float64)
        if x.ndim < 2:
            raise ValueError(f"DropoutLayer expects a batch (N, features), got shape {x.shape}")
        if not self.trainable:
            self._used_mask = None
            self._shape = x.shape
            return x.copy()
        self.mask = self.rng.binomial(1, self.p, size=(1,) + x.shape[1:]) / self.p
        self._used_mask = self.mask
        self._shape = x.shape
        return x * self.mask

    def backward(self, delta):
        """Applies the mask of the last ``forward`` (identity in evaluation)."""
        if not hasattr(self, "_shape"):
            raise ValueError("backward called before forward")
        delta = np.asarray(delta, dtype=np.float64)
        if delta.shape != self._shape:
            raise ValueError(f"shape mismatch: delta must have shape {self._shape}, got {delta.shape}")
        if self._used_mask is None:
            return delta.copy()
        return delta * self._used_mask


def expected_output(layer, a, trials):
    """Monte-Carlo mean of ``layer.forward(a)`` over ``trials`` calls.

    Parameters
    ----------
    layer : object with ``forward``
    a : ndarray (N, F)
    trials : int >= 1

    Returns
    -------
    ndarray like ``a``
    """
    trials = _positive_int("trials", trials)
    a = np.asarray(a, dtype=np.float64)
    total = np.zeros_like(a)
    for _ in range(trials):
        total += layer.forward(a)
    return total / trials
