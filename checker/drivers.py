"""Drivers: how one hidden-test case exercises a graded function or class.

A case sent to the kernel is a dict ``{"driver": kind, "args": [...], "kwargs": {...}}``.
:func:`run` calls ``DRIVERS[kind](obj, args, kwargs)`` and returns ``(output, inputs_after)``:
``output`` is what the verifier compares, ``inputs_after`` the positional arguments as they
are after the call (the verifier compares them with what it sent to detect in-place
mutation of inputs). The verifier runs the *same* driver on the reference and on the
mistaken implementations of the catalogue (:mod:`solutions_lib.grading.catalogue`).

Classes are tested alone: a layer gets a driver-made optimizer (:class:`DriverSGD`), a
``SequentialNet`` is built from driver-made layers (:class:`DriverLinear`), so a student's
class never depends on their other classes.
Week 6's graphs (``Var``, ``reverse_schedule``, ``backward``, …) have their drivers in
:mod:`checker.graph_drivers`, registered below.

Only numpy (and the standard library's ``inspect``) is imported; no reference code.
"""
from __future__ import annotations

import inspect

import numpy as np

_asarray = np.asarray
_array = np.array


def _copy(value):
    """Deep copy of arrays inside lists/tuples/dicts (what the student gets)."""
    if isinstance(value, np.ndarray):
        return value.copy()
    if isinstance(value, list):
        return [_copy(v) for v in value]
    if isinstance(value, tuple):
        return tuple(_copy(v) for v in value)
    if isinstance(value, dict):
        return {k: _copy(v) for k, v in value.items()}
    return value


def _snap(value):
    """A copy of what a student's object exposes (an attribute may be changed later)."""
    if isinstance(value, np.ndarray):
        return value.copy()
    return value


def _sigmoid(x):
    return 0.5 * (1.0 + np.tanh(0.5 * x))


#: activation functions passed by name to ``grad_w1111`` cases: name -> (sigma, dsigma)
ACTIVATIONS = {
    "sigmoid": (_sigmoid, lambda x: _sigmoid(x) * (1.0 - _sigmoid(x))),
    "tanh": (np.tanh, lambda x: 1.0 - np.tanh(x) ** 2),
}


class DriverSGD:
    """Plain SGD handed to a layer under test: ``p -= eta * g`` in place."""

    def __init__(self, eta):
        self.eta = eta

    def update(self, params, grads):
        for p, g in zip(params, grads):
            p -= self.eta * _asarray(g)


class DriverLinear:
    """A minimal dense layer (optionally tanh) used to test ``SequentialNet`` alone."""

    def __init__(self, W, b, eta, activation="identity"):
        self.W = _array(W, dtype=float)
        self.b = _array(b, dtype=float)
        self.eta = eta
        self.activation = activation
        self.dW = np.zeros_like(self.W)
        self.db = np.zeros_like(self.b)

    def forward(self, x):
        self.x = _asarray(x, dtype=float)
        z = self.x @ self.W + self.b
        self.y = np.tanh(z) if self.activation == "tanh" else z
        return self.y

    evaluate = forward

    def backward(self, delta):
        delta = _asarray(delta, dtype=float)
        if self.activation == "tanh":
            delta = delta * (1.0 - self.y ** 2)
        self.dW = self.x.T @ delta
        self.db = delta.sum(axis=0)
        return delta @ self.W.T

    backprop = backward

    def update(self):
        self.W -= self.eta * self.dW
        self.b -= self.eta * self.db


def drive_call(obj, args, kwargs):
    """A function: ``obj(*args, **kwargs)``."""
    return obj(*args, **kwargs)


def drive_grad_w1111(obj, args, kwargs):
    """``grad_w1111(I, w, b, v, y_hat, sigma, dsigma)`` with sigma named in ``kwargs``."""
    sigma, dsigma = ACTIVATIONS[kwargs["activation"]]
    return obj(*args, sigma, dsigma)


def drive_layer(obj, args, kwargs):
    """DenseLayer: construct, set W and b, forward, backward, update with SGD(eta).

    ``args = [x, delta, W, b]``; ``kwargs = {"ctor": [...], "activation": ..., "eta": ...}``.
    Returns ``(out, dx, dW, db, W_after, b_after)``.
    """
    x, delta, W, b = args
    layer = obj(*kwargs["ctor"], activation=kwargs["activation"], optimizer=DriverSGD(kwargs["eta"]))
    layer.W = _array(W, dtype=float)
    layer.b = _array(b, dtype=float)
    out = _snap(layer.forward(x))
    dx = _snap(layer.backward(delta))
    dW, db = _snap(layer.dW), _snap(layer.db)
    layer.update()
    return (out, dx, dW, db, _snap(layer.W), _snap(layer.b))


def drive_optimizer(obj, args, kwargs):
    """SGD/Momentum: construct with ``kwargs["ctor"]``, ``update`` once per list of grads.

    ``args = [params, steps]`` with ``steps`` a list of gradient lists. Returns the very
    arrays that were passed in ``params`` (the update must happen in place).
    """
    params, steps = args
    opt = obj(**kwargs["ctor"])
    arrays = [_array(p, dtype=float) for p in params]
    work = list(arrays)
    for grads in steps:
        opt.update(work, [_array(g, dtype=float) for g in grads])
    return [a.copy() for a in arrays]


def drive_sequential(obj, args, kwargs):
    """SequentialNet built from :class:`DriverLinear` layers.

    ``args = [x, y, Ws, bs]``; ``kwargs = {"loss", "eta", "epochs", "activations"}``.
    Returns a dict: forward output, loss and delta of ``loss_and_delta``, ``backward``'s
    result and every layer's ``dW``, ``db``; then the losses of ``train`` (one minibatch
    of the whole set per epoch) and the weights after training.
    """
    x, y, Ws, bs = args
    acts = kwargs["activations"]

    def layers():
        return [DriverLinear(W, b, kwargs["eta"], a) for W, b, a in zip(Ws, bs, acts)]

    ls = layers()
    net = obj(ls, loss=kwargs["loss"])
    out = _snap(net.forward(x))
    loss, delta = net.loss_and_delta(x, y)
    loss, delta = _snap(loss), _snap(delta)
    dx = _snap(net.backward(delta))
    grads = [(_snap(l.dW), _snap(l.db)) for l in ls]
    ls2 = layers()
    net2 = obj(ls2, loss=kwargs["loss"])
    losses = net2.train(x, y, batch_size=len(x), epochs=kwargs["epochs"], rng=np.random.default_rng(0))
    losses = [float(v) for v in losses]
    return {"forward": out, "loss": loss, "delta": delta, "backward": dx, "grads": grads,
            "train_losses": losses, "trained_W": [l.W.copy() for l in ls2]}


def _dropout_layer(obj, p, trainable, seed):
    """``obj(p=p, trainable=trainable)``, seeded however the student's class draws.

    numpy's global generator is seeded (for layers that call ``np.random.binomial``), and a
    seeded ``np.random.Generator`` is passed as ``rng`` only if the constructor takes it: the
    sheet's signature ``DropoutLayer(p=0.5, trainable=True)`` is as correct as the course's.
    """
    np.random.seed(seed % (1 << 32))
    try:
        params = inspect.signature(obj).parameters
    except (TypeError, ValueError):
        params = {}
    takes_rng = "rng" in params or any(v.kind is v.VAR_KEYWORD for v in params.values())
    if takes_rng:
        return obj(p=p, trainable=trainable, rng=np.random.default_rng(seed))
    return obj(p=p, trainable=trainable)


def drive_dropout(obj, args, kwargs):
    """DropoutLayer: properties, not bits (the student's random numbers are their own).

    ``args = [x (N, F), delta (N, F)]``; ``kwargs = {"p", "trials", "rounds", "seed"}``.
    Every call gets fresh copies of ``x`` and ``delta`` (a layer that changes its input in
    place, as the sheet's ``delta *= self.mask`` does, is not penalised for it). Returns a dict:

    - ``rounds`` training steps of one layer: ``out`` (rounds, N, F), ``mask`` (the attribute
      right after each forward, a list), ``dx`` (rounds, N, F) of the backward that follows;
    - ``trials`` further training forwards of the same layer: ``outs`` (trials, N, F);
    - an evaluation layer (``trainable=False``): ``out_eval``, ``dx_eval`` (rounds, N, F).
    """
    x, delta = (_asarray(a, dtype=float) for a in args)
    p, seed, rounds = kwargs["p"], kwargs["seed"], kwargs["rounds"]
    layer = _dropout_layer(obj, p, True, seed)
    outs, masks, dxs = [], [], []
    for _ in range(rounds):
        outs.append(_asarray(layer.forward(x.copy()), dtype=float).copy())
        mask = getattr(layer, "mask", None)
        masks.append(None if mask is None else _asarray(mask, dtype=float).copy())
        dxs.append(_asarray(layer.backward(delta.copy()), dtype=float).copy())
    trials = [_asarray(layer.forward(x.copy()), dtype=float).copy() for _ in range(kwargs["trials"])]
    ev = _dropout_layer(obj, p, False, seed + 1)
    out_eval, dx_eval = [], []
    for _ in range(rounds):
        out_eval.append(_asarray(ev.forward(x.copy()), dtype=float).copy())
        dx_eval.append(_asarray(ev.backward(delta.copy()), dtype=float).copy())
    return {"out": outs, "mask": masks, "dx": dxs, "outs": np.array(trials),
            "out_eval": out_eval, "dx_eval": dx_eval}


class DriverMaskLayer:
    """A stand-in dropout layer for ``expected_output``: ``forward(a) = a * masks[t % P]``.

    The masks repeat with period ``P``, and the cases use a number of trials that is a
    multiple of ``P``: any ``trials`` consecutive calls have the same mean, so an
    ``expected_output`` that calls ``forward`` once more (to learn the shape) is not penalised.
    ``calls`` counts the forwards.
    """

    def __init__(self, masks):
        self.masks = _array(masks, dtype=float)
        self.calls = 0
        self.trainable = True
        self.mask = None

    def forward(self, a):
        self.mask = self.masks[self.calls % len(self.masks)].copy()
        self.calls += 1
        return _asarray(a, dtype=float) * self.mask

    evaluate = forward

    def backward(self, delta):
        return _asarray(delta, dtype=float) * self.mask

    backprop = backward

    def update(self):
        pass


def drive_expected_output(obj, args, kwargs):
    """``expected_output(layer, a, trials)`` with a :class:`DriverMaskLayer`.

    ``args = [a (N, F), masks (P, 1, F)]``; ``kwargs = {"trials"}``. Returns the result.
    """
    a, masks = args
    return obj(DriverMaskLayer(masks), a, kwargs["trials"])


DRIVERS = {
    "dropout": drive_dropout,
    "expected_output": drive_expected_output,
    "call": drive_call,
    "grad_w1111": drive_grad_w1111,
    "layer": drive_layer,
    "optimizer": drive_optimizer,
    "sequential": drive_sequential,
}

from .graph_drivers import DRIVERS as _GRAPH_DRIVERS  # noqa: E402  (week 6; see that module)

DRIVERS.update(_GRAPH_DRIVERS)


def run(obj, case):
    """Run ``case`` on ``obj``; returns ``(output, args_after_call)``.

    The arguments handed to ``obj`` are copies of ``case["args"]`` (so the caller's case
    stays intact); ``args_after_call`` are those copies after the call.
    """
    args = _copy(case["args"])
    kwargs = _copy(case.get("kwargs", {}))
    out = DRIVERS[case["driver"]](obj, args, kwargs)
    return out, args
