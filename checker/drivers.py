"""Drivers: how one hidden-test case exercises a graded function or class.

A case sent to the kernel is a dict ``{"driver": kind, "args": [...], "kwargs": {...}}``.
:func:`run` calls ``DRIVERS[kind](obj, args, kwargs)`` and returns ``(output, inputs_after)``:
``output`` is what the verifier compares, ``inputs_after`` the positional arguments as they
are after the call (the verifier compares them with what it sent to detect in-place
mutation of inputs). The verifier runs the *same* driver on the reference and on the
mistaken implementations of the catalogue (:mod:`solutions_lib.grading.catalogue`).

Classes are tested alone: a layer gets a driver-made optimizer (:class:`DriverSGD`), a
``SequentialNet`` is built from driver-made layers (:class:`DriverLinear`), so a student's
class never depends on their other classes. A function that composes earlier exercises runs
with correct versions of them in its globals (:func:`drive_composed`).
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

    ``args = [params, steps]`` with ``steps`` a list of gradient lists. The update is handed
    the very gradient arrays of ``steps`` (copies made by :func:`run`), so whatever it does
    to them is seen. Returns ``{"params": the arrays passed as params after every update
    (the update must happen in place), "grads": the gradient arrays after the updates (an
    optimizer reads its gradients, it must not change them)}``.
    """
    params, steps = args
    opt = obj(**kwargs["ctor"])
    arrays = [_array(p, dtype=float) for p in params]
    work = list(arrays)
    for grads in steps:
        opt.update(work, list(grads))
    return {"params": [a.copy() for a in arrays], "grads": [[_snap(g) for g in grads] for grads in steps]}


class DriverCountingSGD:
    """A stateful optimizer for the copy test: its ``t``-th update steps by ``-eta * t * g``.

    A layer that keeps its own copy of the optimizer it is given counts its own updates; two
    layers sharing one object would count each other's.
    """

    def __init__(self, eta):
        self.eta = eta
        self.t = 0

    def update(self, params, grads):
        self.t += 1
        for p, g in zip(params, grads):
            p -= self.eta * self.t * _asarray(g)


def drive_layer_shared_optimizer(obj, args, kwargs):
    """Two DenseLayers handed ONE :class:`DriverCountingSGD`; each must step with its own copy.

    ``args = [x, delta, W, b]``; ``kwargs = {"ctor": [...], "activation", "eta", "rounds"}``.
    Both layers start from ``W``, ``b``; every round does forward, backward, ``update`` of the
    first layer, then of the second. Returns both layers' ``W`` after every round.
    """
    x, delta, W, b = args
    opt = DriverCountingSGD(kwargs["eta"])
    layers = [obj(*kwargs["ctor"], activation=kwargs["activation"], optimizer=opt) for _ in range(2)]
    history = []
    for layer in layers:
        layer.W = _array(W, dtype=float)
        layer.b = _array(b, dtype=float)
    for _ in range(kwargs["rounds"]):
        for layer in layers:
            layer.forward(x)
            layer.backward(delta)
            layer.update()
        history.append([_snap(layer.W) for layer in layers])
    return history


def drive_layer_init(obj, args, kwargs):
    """DenseLayer's initial weights, as statistics (the draw order is the student's own).

    ``args = []``; ``kwargs = {"ctor": [n_in, n_out], "activation", "seed"}`` with a large layer.
    Returns ``(W shape, b shape, std(W) * sqrt(n_in) rounded to 0.1, mean(W) / std(W) rounded
    to 0.1, max |b|)``: 1.0 for N(0, 1/n_in), 1.4 for N(0, 2/n_in).
    """
    n_in = kwargs["ctor"][0]
    layer = obj(*kwargs["ctor"], activation=kwargs["activation"], optimizer=DriverSGD(0.1),
                rng=np.random.default_rng(kwargs["seed"]))
    W, b = _asarray(layer.W, dtype=float), _asarray(layer.b, dtype=float)
    std = float(W.std())
    return (tuple(W.shape), tuple(b.shape), round(std * float(np.sqrt(n_in)), 1),
            round(float(W.mean()) / max(std, 1e-300), 1) + 0.0, float(np.max(np.abs(b))))


def drive_sequential(obj, args, kwargs):
    """SequentialNet built from :class:`DriverLinear` layers.

    ``args = [x, y, Ws, bs]``; ``kwargs = {"loss", "eta", "epochs", "activations"}``.
    Returns a dict: forward output, loss and delta of ``loss_and_delta``, ``backward``'s
    result and every layer's ``dW``, ``db``; then the losses of ``train`` (minibatches of
    ``kwargs.get("batch_size", len(x))``, the last one partial where it does not divide
    ``len(x)``) and the weights after training.
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
    batch_size = kwargs.get("batch_size", len(x))
    losses = net2.train(x, y, batch_size=batch_size, epochs=kwargs["epochs"], rng=np.random.default_rng(0))
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


def _given_flip(a):
    a = _asarray(a, dtype=float)
    return a[(slice(None, None, -1),) * a.ndim].copy()


def _given_correlate_valid(x, k):
    """'Valid' cross-correlation of week 4's given helper: ``x.ndim == k.ndim``, output ``n_i - k_i + 1``."""
    x, k = _asarray(x, dtype=float), _asarray(k, dtype=float)
    if x.ndim != k.ndim or any(kk > xx for kk, xx in zip(k.shape, x.shape)):
        raise ValueError(f"kernel {k.shape} does not fit inside x {x.shape}")
    return np.tensordot(np.lib.stride_tricks.sliding_window_view(x, k.shape), k, axes=k.ndim)


def _given_convolve_valid(x, f):
    return _given_correlate_valid(x, _given_flip(f))


def _given_backward_filters(w):
    """Week 4's ``backward_filters``, correct: channels swapped, each slice rotated by 180°."""
    w = _asarray(w, dtype=float)
    if w.ndim != 4:
        raise ValueError(f"w must have shape (kh, kw, C_in, C_out), got {w.shape}")
    return np.transpose(w[::-1, ::-1], (0, 1, 3, 2)).copy()


#: the building blocks a composed exercise may call, by name: while its driver runs the student's
#: function, these (correct) versions stand in for the notebook's, so a mistake in one exercise
#: is not charged again to the exercise that composes it
BUILDING_BLOCKS = {"flip": _given_flip, "correlate_valid": _given_correlate_valid,
                   "convolve_valid": _given_convolve_valid, "backward_filters": _given_backward_filters}


class _building_blocks:
    """Context: :data:`BUILDING_BLOCKS` in place of the same names in ``obj``'s globals, restored after
    (the reference library's modules are left alone; the catalogue's mistakes, student code
    written in a module, get them as a notebook does)."""

    def __init__(self, obj):
        g = getattr(obj, "__globals__", None)
        name = g.get("__name__", "") if isinstance(g, dict) else ""
        name = name if isinstance(name, str) else ""
        reference = name.split(".")[0] == "solutions_lib" and not name.startswith("solutions_lib.grading.weeks.")
        ok = isinstance(g, dict) and not reference
        self.globals = g if ok else None
        self.saved = {}

    def __enter__(self):
        if self.globals is not None:
            self.saved = {k: self.globals[k] for k in BUILDING_BLOCKS if k in self.globals}
            self.globals.update(BUILDING_BLOCKS)

    def __exit__(self, *exc):
        if self.globals is not None:
            for k in BUILDING_BLOCKS:
                self.globals.pop(k, None)
            self.globals.update(self.saved)


def drive_composed(obj, args, kwargs):
    """A function that composes earlier exercises: ``obj(*args, **kwargs)`` with the
    :data:`BUILDING_BLOCKS` in its globals (week 4's ``conv2d_input_gradient``)."""
    with _building_blocks(obj):
        return obj(*args, **kwargs)


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
    "composed": drive_composed,
    "grad_w1111": drive_grad_w1111,
    "layer": drive_layer,
    "layer_init": drive_layer_init,
    "layer_shared_optimizer": drive_layer_shared_optimizer,
    "optimizer": drive_optimizer,
    "sequential": drive_sequential,
}

from .graph_drivers import DRIVERS as _GRAPH_DRIVERS  # noqa: E402  (week 6; see that module)

DRIVERS.update(_GRAPH_DRIVERS)

from .capstone_drivers import DRIVERS as _CAPSTONE_DRIVERS  # noqa: E402  (week 8; see that module)

DRIVERS.update(_CAPSTONE_DRIVERS)


def run(obj, case):
    """Run ``case`` on ``obj``; returns ``(output, args_after_call)``.

    The arguments handed to ``obj`` are copies of ``case["args"]`` (so the caller's case
    stays intact); ``args_after_call`` are those copies after the call.
    """
    args = _copy(case["args"])
    kwargs = _copy(case.get("kwargs", {}))
    out = DRIVERS[case["driver"]](obj, args, kwargs)
    return out, args
