"""Week 5's given code: the week-3 layers (a dense layer, SGD, a sequential net) and the training
loop of the dropout experiment, with a progress bar. Not graded; read it freely.

The layers follow the course's protocol: ``forward(x)`` (alias ``evaluate``), ``backward(delta)``
(alias ``backprop``) returning the derivative with respect to the input, and ``update()``.
"""
from __future__ import annotations

import time

import numpy as np


def sigmoid(z):
    """The logistic function, without overflow for large |z|."""
    return 0.5 * (1.0 + np.tanh(0.5 * z))


class SGD:
    """Plain gradient descent ``w -= eta * g`` (week 3)."""

    def __init__(self, eta):
        self.eta = eta

    def update(self, params, grads):
        for w, g in zip(params, grads):
            w -= self.eta * g


class DenseLayer:
    """Dense layer ``a = g(x @ W + b)`` with ``g`` the logistic function or the identity (week 3)."""

    def __init__(self, n_in, n_out, activation="sigmoid", optimizer=None, rng=None):
        rng = np.random.default_rng() if rng is None else rng
        self.W = rng.normal(0.0, np.sqrt(1.0 / n_in), size=(n_in, n_out))
        self.b = np.zeros(n_out)
        self.activation = activation
        self.optimizer = optimizer if optimizer is not None else SGD(0.1)

    def forward(self, x):
        self.x = x
        z = x @ self.W + self.b
        self.a = sigmoid(z) if self.activation == "sigmoid" else z
        return self.a

    def backward(self, delta):
        if self.activation == "sigmoid":
            delta = delta * self.a * (1.0 - self.a)
        self.dW = self.x.T @ delta
        self.db = delta.sum(axis=0)
        return delta @ self.W.T

    evaluate, backprop = forward, backward

    def update(self):
        self.optimizer.update([self.W, self.b], [self.dW, self.db])


class SequentialNet:
    """Layers in a row with the sum-of-squares loss ``1/(2N) sum ||y_pred - y||^2`` (week 3)."""

    def __init__(self, layers):
        self.layers = list(layers)

    def forward(self, x):
        for layer in self.layers:
            x = layer.forward(x)
        return x

    def backward(self, delta):
        for layer in reversed(self.layers):
            delta = layer.backward(delta)
        return delta

    def train_step(self, x, y):
        out = self.forward(x)
        loss = 0.5 * np.sum((out - y) ** 2) / len(x)
        self.backward((out - y) / len(x))
        for layer in self.layers:
            layer.update()
        return loss


def accuracy(net, x, labels, dropout_layers=()):
    """Test accuracy with every layer of ``dropout_layers`` switched to evaluation."""
    for layer in dropout_layers:
        layer.trainable = False
    try:
        return float(np.mean(np.argmax(net.forward(x), axis=1) == labels))
    finally:
        for layer in dropout_layers:
            layer.trainable = True


class Progress:
    """A progress bar (an ipywidgets bar in a notebook, one line of text elsewhere).

    The bar is redrawn at most every ``interval`` seconds and at the last step: each redraw is a
    message from the kernel to the browser, and a redraw per minibatch (thousands in a few
    seconds) trips the Jupyter server's output rate limit, which then drops the notebook's
    output and prints a warning where the student's results should be.
    """

    def __init__(self, total, label, interval=0.1):
        self.total, self.label, self.interval = total, label, interval
        self.done, self.start = 0, time.perf_counter()
        self.shown = float("-inf")                 # when the bar was last redrawn
        try:
            import ipywidgets as widgets
            from IPython.display import display
            self.bar = widgets.IntProgress(value=0, min=0, max=total, description=label,
                                           style={"description_width": "initial"},
                                           layout=widgets.Layout(width="60%"))
            display(self.bar)
        except ImportError:
            self.bar = None

    def step(self, text=""):
        self.done += 1
        now = time.perf_counter()
        if self.bar is not None and (now - self.shown >= self.interval or self.done == self.total):
            self.shown = now
            with self.bar.hold_sync():             # value and label in one message
                self.bar.value = self.done
                self.bar.description = f"{self.label} {text}"

    def close(self):
        return time.perf_counter() - self.start


def dropout_experiment(x_train, y_train, x_test, y_test, DropoutLayer, ps, epochs, batch_size=100,
                       eta=0.5, dropout_eta_factor=2.0, seed=0):
    """Train the 784-100-10 logistic net without dropout and with dropout (keep probability p on
    the hidden layer) for every p in ``ps``; return ``(accuracy without, {p: accuracy}, seconds)``.

    ``x_*`` are (N, 784) floats in [0, 1], ``y_*`` integer labels. The nets with dropout learn
    with ``dropout_eta_factor * eta`` (the sheet's advice: a larger rate with dropout). Every net
    starts from the same weights and sees the same minibatches.
    """
    one_hot = np.eye(10)[y_train]
    n_batches = int(np.ceil(len(x_train) / batch_size))
    progress = Progress((1 + len(ps)) * epochs * n_batches, "training")

    def run(p):
        rng = np.random.default_rng(seed)
        rate = eta if p is None else eta * dropout_eta_factor
        layers = [DenseLayer(784, 100, optimizer=SGD(rate), rng=rng)]
        drops = []
        if p is not None:
            drops = [DropoutLayer(p=p)]
            layers += drops
        layers.append(DenseLayer(100, 10, optimizer=SGD(rate), rng=rng))
        net = SequentialNet(layers)
        order_rng = np.random.default_rng(seed + 1)
        name = "no dropout" if p is None else f"p = {p:.2f}"
        for _ in range(epochs):
            order = order_rng.permutation(len(x_train))
            for i in range(n_batches):
                idx = order[i * batch_size:(i + 1) * batch_size]
                net.train_step(x_train[idx], one_hot[idx])
                progress.step(name)
        return accuracy(net, x_test, y_test, drops)

    base = run(None)
    with_p = {float(p): run(float(p)) for p in ps}
    return base, with_p, progress.close()
