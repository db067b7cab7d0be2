"""The week-8 capstone: the sheet-004 Table 1 network from the course's layers, and its training.

Table 1 (sheet 004), channels-last, input ``(N, 28, 28, 1)``:

==========================  ================  =====================================
layer                       output            parameters
==========================  ================  =====================================
conv 5×5, 16 filters, same  (N, 28, 28, 16)   5·5·1·16 + 16 = 416
ReLU, max-pool 2×2 / 2      (N, 14, 14, 16)   0
conv 5×5, 16 filters, same  (N, 14, 14, 16)   5·5·16·16 + 16 = 6 416
ReLU, max-pool 2×2 / 2      (N, 7, 7, 16)     0
flatten, dense 784 → 10     (N, 10)           784·10 + 10 = 7 850
softmax cross-entropy
==========================  ================  =====================================

14 682 parameters in all. The sheet's Table 1 counts the same numbers, but writes the first row as
``5×5×16 + 16`` (the factor 1, its one input channel, left out) and is captioned "Confusion Matrix
for the AIC-model with the optimal p", a caption copied from another table: the errata the
notebook states.
"""
from __future__ import annotations

import numpy as np

from solutions_lib.layers import ConvLayer, DenseLayer, FlattenLayer, MaxPoolLayer
from solutions_lib.network import SequentialNet
from solutions_lib.optimizers import Momentum
from solutions_lib.validate import integer

#: Trainable parameters per layer of Table 1, in order (conv1, conv2, dense).
TABLE1_PARAMS = (5 * 5 * 1 * 16 + 16, 5 * 5 * 16 * 16 + 16, 784 * 10 + 10)


def table1_network(eta=0.05, mu=0.9, rng=None) -> SequentialNet:
    """The Table 1 network with momentum SGD (sheet 004 eq. 30–31) on every trainable layer.

    Parameters
    ----------
    eta : float > 0
        Learning rate.
    mu : float in [0, 1)
        Momentum coefficient.
    rng : numpy.random.Generator, optional
        Draws the He-initialised weights.

    Returns
    -------
    SequentialNet
        Loss ``softmax_cross_entropy`` on integer labels; ``predict(x)`` gives ``(N,)`` classes.
    """
    rng = np.random.default_rng() if rng is None else rng
    opt = Momentum(eta, mu)
    return SequentialNet([
        ConvLayer(5, 5, 1, 16, padding=2, activation="relu", optimizer=opt, rng=rng),
        MaxPoolLayer(2, 2),
        ConvLayer(5, 5, 16, 16, padding=2, activation="relu", optimizer=opt, rng=rng),
        MaxPoolLayer(2, 2),
        FlattenLayer(),
        DenseLayer(784, 10, activation="identity", optimizer=opt, rng=rng),
    ], loss="softmax_cross_entropy")


def images(x_uint8) -> np.ndarray:
    """MNIST images ``(N, 28, 28)`` of bytes -> the network's input ``(N, 28, 28, 1)`` in [0, 1]."""
    x = np.asarray(x_uint8)
    if x.ndim != 3:
        raise ValueError(f"images must have shape (N, H, W), got {x.shape}")
    return (x.astype(np.float64) / 255.0)[..., None]


def train_epochs(net, x, labels, epochs, batch_size, rng):
    """Minibatch training of ``net`` (``loss_and_delta``/``backward``/``update``); mean loss per epoch.

    Parameters
    ----------
    net : SequentialNet with the softmax cross-entropy loss
    x : ndarray (N, 28, 28) uint8 or (N, 28, 28, 1) float in [0, 1]
    labels : ndarray (N,) of int
    epochs, batch_size : int >= 1
    rng : numpy.random.Generator
        Shuffles the examples every epoch.

    Returns
    -------
    list of float, length ``epochs``
    """
    x = images(x) if np.asarray(x).ndim == 3 else np.asarray(x, dtype=np.float64)
    labels = np.asarray(labels, dtype=np.int64)
    epochs, batch_size = integer("epochs", epochs, 1), integer("batch_size", batch_size, 1)
    history = []
    for _ in range(epochs):
        order = rng.permutation(len(x))
        total = 0.0
        for start in range(0, len(x), batch_size):
            idx = order[start:start + batch_size]
            loss, delta = net.loss_and_delta(x[idx], labels[idx])
            net.backward(delta)
            net.update()
            total += loss * len(idx)
        history.append(total / len(x))
    return history


def train_network(x_train, y_train, x_test, y_test, settings, fit):
    """The week-8 pipeline: build the Table 1 network, prepare the data, train it with ``fit``.

    Parameters
    ----------
    x_train, x_test : ndarray (N, 28, 28) uint8
        MNIST images (bytes 0..255).
    y_train, y_test : ndarray (N,) of int
        Their digits.
    settings : dict
        ``epochs``, ``batch_size``, ``eta``, ``mu``, ``seed``.
    fit : callable
        ``fit(net, x, labels, x_val, y_val, epochs=..., batch_size=..., seed=...)`` -> history; the
        notebook's training loop (the grader passes one that watches what it is handed).

    Returns
    -------
    net : SequentialNet
    history : what ``fit`` returned
    """
    net = table1_network(settings["eta"], settings["mu"], rng=np.random.default_rng(settings["seed"]))
    history = fit(net, images(x_train), np.asarray(y_train, dtype=np.int64), images(x_test),
                  np.asarray(y_test, dtype=np.int64), epochs=settings["epochs"],
                  batch_size=settings["batch_size"], seed=settings["seed"])
    return net, history
