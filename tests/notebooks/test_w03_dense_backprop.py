"""Week 3 notebook (source/w03_dense_backprop): the checks of :class:`tests.notebooks.weekly.WeeklyNotebookTests`.

``ALTERNATIVES`` holds a second, differently written correct solution of every graded name
(loops vs vectorised, another formula); each must earn full points.
"""
from __future__ import annotations

import pytest

from tests.notebooks.weekly import WeeklyNotebookTests

WEEK = "w03_dense_backprop"
pytestmark = pytest.mark.xdist_group(WEEK)

ALTERNATIVES = {
    "dense_forward": '''
import numpy as np

def dense_forward(x, W, b):
    x = np.array(x, dtype=float); W = np.array(W, dtype=float); b = np.array(b, dtype=float)
    if x.ndim != 2 or W.ndim != 2 or x.shape[1] != W.shape[0] or b.shape != W.shape[1:]:
        raise ValueError("shapes of x, W, b do not fit")
    return np.einsum("ni,io->no", x, W) + b[None, :]
''',
    "dense_backward": '''
import numpy as np

def dense_backward(delta, x, W):
    delta, x, W = (np.array(t, dtype=float) for t in (delta, x, W))
    if x.shape[1] != W.shape[0] or delta.shape != (x.shape[0], W.shape[1]):
        raise ValueError("shape mismatch")
    dW = np.zeros_like(W)
    db = np.zeros(W.shape[1])
    for n in range(x.shape[0]):
        dW += np.outer(x[n], delta[n])
        db += delta[n]
    dx = np.stack([W @ delta[n] for n in range(x.shape[0])])
    return dx, dW, db
''',
    "relu_backward": '''
import numpy as np

def relu_backward(x, delta):
    if np.shape(x) != np.shape(delta):
        raise ValueError("x and delta differ in shape")
    return np.where(np.asarray(x) > 0, np.asarray(delta, dtype=float), 0.0)
''',
    "sigmoid": '''
import numpy as np

def sigmoid(x):
    return 0.5 * (1.0 + np.tanh(0.5 * np.asarray(x, dtype=float)))
''',
    "sigmoid_backward": '''
import numpy as np

def sigmoid_backward(x, delta):
    x = np.asarray(x, dtype=float)
    if x.shape != np.shape(delta):
        raise ValueError("x and delta differ in shape")
    s = np.exp(-np.logaddexp(0.0, -x))
    return np.asarray(delta) * (s - s * s)
''',
    "softmax_cross_entropy": '''
import numpy as np

def softmax_cross_entropy(logits, labels):
    logits = np.asarray(logits, dtype=float)
    labels = np.asarray(labels)
    if logits.ndim != 2 or labels.shape != (logits.shape[0],):
        raise ValueError("need logits (N, K) and N labels")
    if labels.min() < 0 or labels.max() >= logits.shape[1]:
        raise ValueError("label out of range")
    n = len(labels)
    total, grad = 0.0, np.zeros_like(logits)
    for i in range(n):
        row = logits[i]
        m = row.max()
        lse = m + np.log(np.sum(np.exp(row - m)))
        total += lse - row[labels[i]]
        grad[i] = np.exp(row - lse)
        grad[i, labels[i]] -= 1
    return total / n, grad / n
''',
    "two_layer_gradients": '''
import numpy as np

def two_layer_gradients(x, y, V, W):
    x, y, V, W = (np.asarray(t, dtype=float) for t in (x, y, V, W))
    if V.shape[0] != x.shape[1] + 1 or W.shape[0] != V.shape[1] + 1 or y.shape != (x.shape[0], W.shape[1]):
        raise ValueError("shapes do not fit (bias rows?)")
    s = lambda t: 1.0 / (1.0 + np.exp(-t))
    dV, dW = np.zeros_like(V), np.zeros_like(W)
    for xn, yn in zip(x, y):
        xi = np.concatenate([[1.0], xn])
        a = np.concatenate([[1.0], s(xi @ V)])
        out = s(a @ W)
        d_o = (out - yn) * out * (1 - out)
        for j in range(W.shape[0]):
            for k in range(W.shape[1]):
                dW[j, k] += d_o[k] * a[j]
        d_h = np.array([a[j + 1] * (1 - a[j + 1]) * np.sum(d_o * W[j + 1]) for j in range(V.shape[1])])
        dV += np.outer(xi, d_h)
    return dV, dW
''',
    "SGD": '''
import numpy as np

class SGD:
    def __init__(self, eta=0.1):
        self.eta = eta

    def update(self, params, grads):
        for i in range(len(params)):
            np.subtract(params[i], self.eta * np.asarray(grads[i]), out=params[i])
''',
    "Momentum": '''
import numpy as np

class Momentum:
    def __init__(self, eta=0.1, mu=0.9):
        self.eta, self.mu, self.velocity = eta, mu, {}

    def update(self, params, grads):
        for i, (p, g) in enumerate(zip(params, grads)):
            m = self.velocity.setdefault(i, np.zeros_like(p, dtype=float))
            m *= self.mu
            m += (1 - self.mu) * np.asarray(g)
            p -= self.eta * m
''',
    "DenseLayer": '''
import numpy as np

class DenseLayer:
    _ACT = {
        "identity": (lambda z: z, lambda a: np.ones_like(a)),
        "relu": (lambda z: z * (z > 0), lambda a: (a > 0).astype(float)),
        "sigmoid": (lambda z: 1 / (1 + np.exp(-z)), lambda a: a * (1 - a)),
    }

    def __init__(self, n_in, n_out, activation="sigmoid", optimizer=None, rng=None):
        rng = rng or np.random.default_rng(0)
        self.g, self.dg = self._ACT[activation]
        self.W = rng.normal(0, 1 / np.sqrt(n_in), (n_in, n_out))
        self.b = np.zeros(n_out)
        self.optimizer = optimizer

    def forward(self, x):
        self.inp = np.asarray(x, dtype=float)
        self.out = self.g(self.inp @ self.W + self.b)
        return self.out

    def backward(self, delta):
        dz = np.asarray(delta) * self.dg(self.out)       # derivative from the output a
        self.dW = np.einsum("ni,no->io", self.inp, dz)
        self.db = np.einsum("no->o", dz)
        return np.einsum("no,io->ni", dz, self.W)

    def update(self):
        self.optimizer.update([self.W, self.b], [self.dW, self.db])
''',
    "SequentialNet": '''
import numpy as np
from functools import reduce

class SequentialNet:
    def __init__(self, layers, loss="sum_of_squares"):
        self.layers, self.loss = layers, loss

    def forward(self, x):
        return reduce(lambda a, layer: layer.forward(a), self.layers, x)

    def backward(self, delta):
        return reduce(lambda d, layer: layer.backward(d), self.layers[::-1], delta)

    def loss_and_delta(self, x, y):
        out = self.forward(x)
        n = len(out)
        if self.loss == "sum_of_squares":
            return np.sum((out - y) ** 2) / (2 * n), (out - y) / n
        z = out - np.max(out, axis=1, keepdims=True)
        p = np.exp(z) / np.exp(z).sum(axis=1, keepdims=True)
        onehot = np.eye(out.shape[1])[np.asarray(y, dtype=int)]
        return -np.mean(np.sum(onehot * np.log(p), axis=1)), (p - onehot) / n

    def train(self, x, y, batch_size, epochs, rng=None):
        rng = rng if rng is not None else np.random.default_rng()
        history = []
        for _ in range(epochs):
            order = np.arange(len(x))
            rng.shuffle(order)
            batch_losses = []
            for idx in np.array_split(order, int(np.ceil(len(x) / batch_size))):
                loss, delta = self.loss_and_delta(x[idx], y[idx])
                self.backward(delta)
                for layer in self.layers:
                    layer.update()
                batch_losses.append(loss)
            history.append(float(np.mean(batch_losses)))
        return history
''',
}


class TestW03DenseBackprop(WeeklyNotebookTests):
    week = WEEK
    alternatives = ALTERNATIVES
