"""Week 3 catalogue — dense layers, activations, losses, optimizers: hidden cases, typical mistakes, alternatives."""
from __future__ import annotations

import numpy as np

from solutions_lib.grading.catalogue import Week, case, error

week = Week("w03_dense_backprop")


# ======================================================================================
# hidden cases
# ======================================================================================

def _dense_shapes():
    """``(N, n_in, n_out)`` of the dense cases."""
    return [(4, 3, 3), (2, 3, 5), (1, 4, 2), (5, 1, 1), (3, 2, 4)]


@week.cases("dense_forward")
def _dense_forward_cases(r):
    cases = [case(f"x ({n}, {i}), W ({i}, {o})",
                  [r.standard_normal((n, i)), r.standard_normal((i, o)), r.standard_normal(o)])
             for n, i, o in _dense_shapes()]
    cases.append(error("x (2, 3) but W (4, 2)",
                       [r.standard_normal((2, 3)), r.standard_normal((4, 2)), r.standard_normal(2)]))
    cases.append(error("x of shape (3,), not 2-D", [r.standard_normal(3), r.standard_normal((3, 2)), r.standard_normal(2)]))
    cases.append(error("b (3,) but W (3, 2)",
                       [r.standard_normal((2, 3)), r.standard_normal((3, 2)), r.standard_normal(3)]))
    return cases


@week.cases("dense_backward")
def _dense_backward_cases(r):
    cases = [case(f"delta ({n}, {o}), x ({n}, {i}), W ({i}, {o})",
                  [r.standard_normal((n, o)), r.standard_normal((n, i)), r.standard_normal((i, o))])
             for n, i, o in _dense_shapes()]
    cases.append(error("delta (2, 3) but W (3, 2)",
                       [r.standard_normal((2, 3)), r.standard_normal((2, 3)), r.standard_normal((3, 2))]))
    return cases


@week.cases("relu_backward", "sigmoid_backward")
def _activation_backward_cases(r):
    cases = [case(f"x {s}", [3 * r.standard_normal(s), r.standard_normal(s)]) for s in [(5,), (3, 4), (2, 3, 2)]]
    x = np.array([-1000.0, -30.0, -1.0, 0.5, 30.0, 1000.0])
    cases.append(case("x with large |x|", [x, np.ones_like(x)]))
    x = np.array([[-2.0, 0.0, 1.5], [0.0, 3.0, -0.5]])
    cases.append(case("x with entries exactly 0 (ReLU's derivative is taken as 0 there)", [x, r.standard_normal((2, 3))]))
    cases.append(error("delta of another shape than x", [r.standard_normal((2, 3)), r.standard_normal((3, 2))]))
    return cases


@week.cases("sigmoid")
def _sigmoid_cases(r):
    cases = [case(f"x {s}", [3 * r.standard_normal(s)]) for s in [(5,), (3, 4), (2, 2, 3)]]
    cases.append(case("x with large |x| (-1000 ... 1000)",
                      [np.array([-1000.0, -745.0, -40.0, 0.0, 40.0, 745.0, 1000.0])]))
    return cases


@week.cases("softmax_cross_entropy")
def _softmax_cases(r):
    cases = []
    for n, k, scale in [(4, 3, 1.0), (1, 5, 1.0), (6, 2, 3.0), (3, 10, 1.0), (2, 4, 1000.0), (3, 3, 300.0)]:
        logits = scale * r.standard_normal((n, k))
        labels = r.integers(0, k, size=n)
        cases.append(case(f"logits ({n}, {k}) of size ~{scale:g}, labels {labels.tolist()}", [logits, labels]))
    logits = np.array([[1000.0, 0.0, -1000.0], [0.0, 1000.0, 999.0]])
    cases.append(case("logits of size 1000", [logits, np.array([0, 2])]))
    logits = np.array([[0.0, 1.0, 2.0], [500.0, 501.0, 499.0], [-400.0, -401.0, -399.5]])
    cases.append(case("rows whose maxima differ by hundreds (2, 501, -399.5)", [logits, np.array([2, 0, 1])]))
    cases.append(case("one example, one class", [r.standard_normal((1, 1)), np.array([0])]))
    cases.append(error("3 labels for 2 rows of logits", [r.standard_normal((2, 3)), np.array([0, 1, 2])]))
    cases.append(error("label 3 for 3 classes", [r.standard_normal((2, 3)), np.array([0, 3])]))
    return cases


@week.cases("two_layer_gradients")
def _two_layer_cases(r):
    """Cases of ``f(x, y, V, W)`` for the two-layer sigmoid network (also week 6's ``mlp_gradients_autodiff``)."""
    cases = []
    for n, i, h, o in [(1, 2, 2, 1), (4, 3, 5, 2), (2, 1, 3, 3), (6, 4, 2, 2)]:
        x = r.standard_normal((n, i))
        y = r.uniform(0, 1, (n, o))
        V = r.standard_normal((i + 1, h))
        W = r.standard_normal((h + 1, o))
        cases.append(case(f"x ({n}, {i}), y ({n}, {o}), V ({i + 1}, {h}), W ({h + 1}, {o})", [x, y, V, W]))
    cases.append(error("V with n_in rows (bias row missing)",
                       [r.standard_normal((2, 3)), r.uniform(0, 1, (2, 1)),
                        r.standard_normal((3, 2)), r.standard_normal((3, 1))]))
    return cases


@week.cases("DenseLayer")
def _dense_layer_cases(r):
    cases = []
    for n, i, o, act in [(4, 3, 3, "sigmoid"), (3, 2, 4, "relu"), (1, 3, 2, "identity"), (5, 4, 4, "relu"),
                         (2, 3, 3, "identity"), (3, 4, 2, "sigmoid")]:
        x, d = r.standard_normal((n, i)), r.standard_normal((n, o))
        W, b = r.standard_normal((i, o)), r.standard_normal(o)
        cases.append(case(f"DenseLayer({i}, {o}, activation={act!r}), batch {n}, SGD(0.1)", [x, d, W, b],
                          {"ctor": [i, o], "activation": act, "eta": 0.1}, driver="layer"))
    for act in ("relu", "sigmoid", "identity"):
        cases.append(case(f"the initial W and b of DenseLayer(400, 50, activation={act!r}, rng=...)", [],
                          {"ctor": [400, 50], "activation": act, "seed": int(r.integers(1 << 30))},
                          driver="layer_init"))
    x, d = r.standard_normal((3, 2)), r.standard_normal((3, 3))
    W, b = r.standard_normal((2, 3)), r.standard_normal(3)
    cases.append(case("two DenseLayer(2, 3, 'sigmoid') given ONE optimizer object, 2 rounds of updates",
                      [x, d, W, b], {"ctor": [2, 3], "activation": "sigmoid", "eta": 0.1, "rounds": 2},
                      driver="layer_shared_optimizer"))
    return cases


def _optimizer_cases(r, name):
    """Cases of the optimizer class ``name`` ("SGD" or "Momentum"): a few updates of a few arrays."""
    cases = []
    for shapes, k, eta, mu in [([(3,)], 1, 0.1, 0.9), ([(2, 3), (3,)], 3, 0.05, 0.9), ([(4, 2)], 5, 0.5, 0.5),
                               ([(1,), (2, 2)], 2, 1.0, 0.0)]:
        params = [r.standard_normal(s) for s in shapes]
        steps = [[r.standard_normal(s) for s in shapes] for _ in range(k)]
        ctor = {"eta": eta} if name == "SGD" else {"eta": eta, "mu": mu}
        args = ", ".join(f"{kk}={vv}" for kk, vv in ctor.items())
        cases.append(case(f"{name}({args}), params of shapes {shapes}, {k} update(s)", [params, steps],
                          {"ctor": ctor}, driver="optimizer"))
    # bad constructor arguments; values chosen so that an unchecked update differs from every mistake
    bad = [{"eta": -0.1}] if name == "SGD" else [{"eta": -0.1, "mu": 0.5}, {"eta": 0.1, "mu": 1.5}]
    for ctor in bad:
        args = ", ".join(f"{kk}={vv}" for kk, vv in ctor.items())
        steps = [[r.standard_normal(2)] for _ in range(2)]
        cases.append(error(f"{name}({args}): eta must be > 0, mu in [0, 1)", [[r.standard_normal(2)], steps],
                           {"ctor": ctor}, driver="optimizer"))
    return cases


@week.cases("SGD")
def _sgd_cases(r):
    return _optimizer_cases(r, "SGD")


@week.cases("Momentum")
def _momentum_cases(r):
    return _optimizer_cases(r, "Momentum")


def _sequential_inputs(r, n, sizes, loss):
    """``(x, y, Ws, bs)`` for a net of layer ``sizes`` and ``n`` examples: one-hot targets for
    the sum of squares, integer labels for the softmax cross-entropy."""
    x = r.standard_normal((n, sizes[0]))
    if loss == "sum_of_squares":
        y = np.eye(sizes[-1])[r.integers(0, sizes[-1], n)]
    else:
        y = r.integers(0, sizes[-1], n)
    Ws = [0.5 * r.standard_normal((a, b)) for a, b in zip(sizes[:-1], sizes[1:])]
    bs = [0.1 * r.standard_normal(b) for b in sizes[1:]]
    return x, y, Ws, bs


@week.cases("SequentialNet")
def _sequential_cases(r):
    cases = []
    for n, sizes, acts, loss in [(4, [3, 2], ["identity"], "sum_of_squares"),
                                 (5, [3, 4, 2], ["tanh", "identity"], "sum_of_squares"),
                                 (6, [2, 5, 3], ["tanh", "identity"], "softmax_cross_entropy"),
                                 (3, [4, 3, 3, 2], ["tanh", "tanh", "identity"], "softmax_cross_entropy")]:
        x, y, Ws, bs = _sequential_inputs(r, n, sizes, loss)
        cases.append(case(f"{len(Ws)} layers {sizes}, loss {loss!r}, batch {n}, 3 epochs of one minibatch",
                          [x, y, Ws, bs], {"loss": loss, "eta": 0.1, "epochs": 3, "activations": acts},
                          driver="sequential"))
    for n, batch_size, sizes, acts, loss in [(5, 2, [3, 2], ["identity"], "sum_of_squares"),
                                             (7, 3, [2, 4, 3], ["tanh", "identity"], "softmax_cross_entropy"),
                                             (4, 3, [3, 3, 2], ["tanh", "identity"], "sum_of_squares")]:
        x, y, Ws, bs = _sequential_inputs(r, n, sizes, loss)
        cases.append(case(f"{len(Ws)} layers {sizes}, loss {loss!r}, {n} examples, batch_size {batch_size} "
                          f"(last minibatch partial), 2 epochs", [x, y, Ws, bs],
                          {"loss": loss, "eta": 0.1, "epochs": 2, "activations": acts, "batch_size": batch_size},
                          driver="sequential"))
    return cases


# ======================================================================================
# typical mistakes
# ======================================================================================

def _dense_forward(x, W, b, add_bias=True, transpose_W=False):
    """``x @ W + b`` after a shape check; the switches plant one mistake each."""
    x, W = np.asarray(x, dtype=float), np.asarray(W, dtype=float)
    if x.shape[-1] != W.shape[0] or np.shape(b) != (W.shape[1],):
        raise ValueError("shapes of x, W and b do not match")
    z = x @ W.T if transpose_W else x @ W
    return z + b if add_bias else z


@week.mistake("the bias b is not added: z = x @ W + b")
def dense_forward__bias_forgotten(x, W, b):
    return _dense_forward(x, W, b, add_bias=False)


@week.mistake("you computed x @ W.T; with the row convention z = x @ W + b")
def dense_forward__W_transposed(x, W, b):
    return _dense_forward(x, W, b, transpose_W=True)


def _dense_backward(delta, x, W, dx_with_W=False, db_over_batch="sum"):
    """``(dx, dW, db)`` of ``z = x @ W + b``; the switches plant one mistake each.

    Parameters
    ----------
    dx_with_W : bool
        ``dx = delta @ W`` instead of ``delta @ W.T``.
    db_over_batch : {"sum", "mean", "none"}
        How ``db`` is reduced over the batch (only "sum" is right).
    """
    delta = np.asarray(delta, dtype=float)
    x = np.asarray(x, dtype=float)
    W = np.asarray(W, dtype=float)
    if delta.shape[1] != W.shape[1] or x.shape[1] != W.shape[0] or len(x) != len(delta):
        raise ValueError("shapes of delta, x and W do not match")
    dx = delta @ W if dx_with_W else delta @ W.T
    if db_over_batch == "sum":
        db = delta.sum(axis=0)
    elif db_over_batch == "mean":
        db = delta.mean(axis=0)
    else:
        db = delta.copy()
    return dx, x.T @ delta, db


@week.mistake("db is not summed over the batch: db = delta.sum(axis=0)")
def dense_backward__db_not_summed(delta, x, W):
    return _dense_backward(delta, x, W, db_over_batch="none")


@week.mistake("dx uses W instead of W.T: dx = delta @ W.T")
def dense_backward__W_instead_of_WT(delta, x, W):
    return _dense_backward(delta, x, W, dx_with_W=True)


@week.mistake("db is averaged over the batch; it must be the sum delta.sum(axis=0)")
def dense_backward__db_averaged(delta, x, W):
    return _dense_backward(delta, x, W, db_over_batch="mean")


def _same_shape(x, delta):
    """``x`` and ``delta`` as float arrays; ``ValueError`` unless their shapes agree."""
    x = np.asarray(x, dtype=float)
    delta = np.asarray(delta, dtype=float)
    if x.shape != delta.shape:
        raise ValueError("x and delta must have the same shape")
    return x, delta


def _logistic(t):
    """The sigmoid ``1 / (1 + exp(-t))`` written with tanh (no overflow)."""
    return 0.5 * (1.0 + np.tanh(0.5 * t))


@week.mistake("you returned relu'(x) alone; the result is delta * relu'(x)")
def relu_backward__delta_not_multiplied(x, delta):
    x, delta = _same_shape(x, delta)
    return (x > 0).astype(float)


@week.mistake("relu'(0) is taken as 1 (x >= 0); the course takes relu'(0) = 0 (x > 0)")
def relu_backward__one_at_zero(x, delta):
    x, delta = _same_shape(x, delta)
    return delta * (x >= 0)


@week.mistake("the mask is taken from delta; relu'(x) depends on the input x")
def relu_backward__mask_from_delta(x, delta):
    x, delta = _same_shape(x, delta)
    return delta * (delta > 0)


@week.mistake("you computed 1 / (1 + exp(x)); the sigmoid is 1 / (1 + exp(-x))")
def sigmoid__sign_flipped(x):
    x = np.asarray(x, dtype=float)
    return 0.5 * (1.0 - np.tanh(0.5 * x))


@week.mistake("σ' is omitted: the result is delta * σ(x) * (1 - σ(x))")
def sigmoid_backward__sigma_prime_omitted(x, delta):
    x, delta = _same_shape(x, delta)
    return delta.copy()


@week.mistake("σ' is evaluated at the output σ(x) instead of the input x (σ applied twice)")
def sigmoid_backward__sigma_prime_applied_twice(x, delta):
    x, delta = _same_shape(x, delta)
    s = _logistic(_logistic(x))
    return delta * s * (1.0 - s)


@week.mistake("you returned σ'(x) alone; the result is delta * σ'(x)")
def sigmoid_backward__delta_not_multiplied(x, delta):
    x, delta = _same_shape(x, delta)
    s = _logistic(x)
    return s * (1.0 - s)


def _softmax_cross_entropy(logits, labels, shift="row", average_loss=True, average_gradient=True):
    """Mean cross-entropy of the softmax and its gradient; the switches plant one mistake each.

    Parameters
    ----------
    shift : {"row", "global", "none"}
        Subtract each row's maximum before exponentiating ("none": exp(1000) overflows;
        "global": one maximum for the whole batch underflows the rows far below it).
    average_loss, average_gradient : bool
        Divide the loss, the gradient by N.
    """
    logits = np.asarray(logits, dtype=float)
    labels = np.asarray(labels)
    if logits.ndim != 2 or labels.shape != (logits.shape[0],):
        raise ValueError("logits must be (N, K) and labels (N,)")
    if labels.min() < 0 or labels.max() >= logits.shape[1]:
        raise ValueError("labels out of range")
    n = logits.shape[0]
    if shift == "row":
        z = logits - logits.max(axis=1, keepdims=True)
    elif shift == "global":
        z = logits - logits.max()
    else:
        z = logits
    e = np.exp(z)
    p = e / e.sum(axis=1, keepdims=True)
    logp = np.log(p)
    loss = -logp[np.arange(n), labels].sum() / (n if average_loss else 1)
    d = p.copy()
    d[np.arange(n), labels] -= 1.0
    return float(loss), d / (n if average_gradient else 1)


@week.mistake("the loss and its gradient are summed over the batch instead of averaged (divide by N)")
def softmax_cross_entropy__loss_summed(logits, labels):
    return _softmax_cross_entropy(logits, labels, average_loss=False, average_gradient=False)


@week.mistake("the loss is averaged but its gradient is not: divide dlogits by N")
def softmax_cross_entropy__gradient_not_averaged(logits, labels):
    return _softmax_cross_entropy(logits, labels, average_gradient=False)


@week.mistake("softmax overflow: exp(1000) is inf; subtract each row's maximum from the logits before exponentiating")
def softmax_cross_entropy__softmax_overflow(logits, labels):
    return _softmax_cross_entropy(logits, labels, shift="none")


@week.mistake("one maximum for the whole batch: rows far below it underflow; subtract each row's own maximum")
def softmax_cross_entropy__global_max_shift(logits, labels):
    return _softmax_cross_entropy(logits, labels, shift="global")


def _two_layer(x, y, V, W, output_prime=True, hidden_prime=True, average=False):
    """``(dV, dW)`` of the two-layer sigmoid network (bias in row 0); the switches plant one mistake each.

    Parameters
    ----------
    output_prime, hidden_prime : bool
        Multiply by σ' of the output layer, of the hidden layer.
    average : bool
        Divide the gradients by N (the sheet's loss is summed, not averaged).
    """
    x, y = np.asarray(x, dtype=float), np.asarray(y, dtype=float)
    V, W = np.asarray(V, dtype=float), np.asarray(W, dtype=float)
    if V.shape[0] != x.shape[1] + 1 or W.shape[0] != V.shape[1] + 1 or W.shape[1] != y.shape[1]:
        raise ValueError("shapes of x, y, V and W do not match")
    x1 = np.hstack([np.ones((len(x), 1)), x])
    a = _logistic(x1 @ V)
    a1 = np.hstack([np.ones((len(x), 1)), a])
    yhat = _logistic(a1 @ W)
    dout = (yhat - y) * yhat * (1.0 - yhat) if output_prime else yhat - y
    dW = a1.T @ dout
    dh = (dout @ W[1:].T) * a * (1.0 - a) if hidden_prime else dout @ W[1:].T
    dV = x1.T @ dh
    return (dV / len(x), dW / len(x)) if average else (dV, dW)


@week.mistake("σ' of the output layer is omitted: δ_out = (ŷ - y) σ'(z_out)")
def two_layer_gradients__output_sigma_prime_omitted(x, y, V, W):
    return _two_layer(x, y, V, W, output_prime=False)


@week.mistake("σ' of the hidden layer is omitted when δ is carried back")
def two_layer_gradients__hidden_sigma_prime_omitted(x, y, V, W):
    return _two_layer(x, y, V, W, hidden_prime=False)


@week.mistake("the gradients are divided by N; the sheet's loss is summed over the batch")
def two_layer_gradients__loss_averaged(x, y, V, W):
    return _two_layer(x, y, V, W, average=True)


class _DenseLayerSGD:
    """The default optimizer of :class:`_Layer`: ``p -= eta * g`` in place."""

    def __init__(self, eta):
        self.eta = eta

    def update(self, params, grads):
        for p, g in zip(params, grads):
            p -= self.eta * g


class _Layer:
    """A dense layer ``act(x @ W + b)``; the initial scale, the optimizer copy and each step of
    ``backward`` are hooks that a mistake overrides."""

    def __init__(self, n_in, n_out, activation="sigmoid", optimizer=None, rng=None):
        if activation not in ("identity", "relu", "sigmoid"):
            raise ValueError("unknown activation")
        rng = np.random.default_rng() if rng is None else rng
        self.activation = activation
        self.W = rng.standard_normal((n_in, n_out)) * self._init_scale(n_in)
        self.b = np.zeros(n_out)
        self.dW = np.zeros_like(self.W)
        self.db = np.zeros_like(self.b)
        self.optimizer = self._own(optimizer) if optimizer is not None else _DenseLayerSGD(0.1)

    def _init_scale(self, n_in):
        """sqrt(2 / n_in) for ReLU (it zeroes half its inputs), sqrt(1 / n_in) otherwise."""
        return np.sqrt((2.0 if self.activation == "relu" else 1.0) / n_in)

    def _own(self, optimizer):
        """The layer's own copy of the optimizer it is given (layers must not share state)."""
        import copy
        return copy.deepcopy(optimizer)

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
        d = self._local_delta(np.asarray(delta, dtype=float))
        self.dW = self.x.T @ d
        self.db = self._bias_gradient(d)
        return self._input_delta(d)

    backprop = backward

    def _local_delta(self, delta):
        """δ = delta * act'(z)."""
        return delta * self._dact(self.z)

    def _bias_gradient(self, d):
        return d.sum(axis=0)

    def _input_delta(self, d):
        return d @ self.W.T

    def update(self):
        self.optimizer.update([self.W, self.b], [self.dW, self.db])


@week.mistake("ReLU layers start from N(0, 1/n_in); the contract draws W ~ N(0, 2/n_in) for ReLU")
class DenseLayer__relu_init_not_scaled(_Layer):
    def _init_scale(self, n_in):
        return np.sqrt(1.0 / n_in)


@week.mistake("the layer keeps the optimizer it is given; it must keep its own copy (copy.deepcopy)")
class DenseLayer__optimizer_shared(_Layer):
    def _own(self, optimizer):
        return optimizer


@week.mistake("db is not summed over the batch: db = δ.sum(axis=0)")
class DenseLayer__db_not_summed(_Layer):
    def _bias_gradient(self, d):
        return d.copy()


@week.mistake("backward returns δ @ W instead of δ @ W.T")
class DenseLayer__W_instead_of_WT(_Layer):
    def _input_delta(self, d):
        return d @ self.W


@week.mistake("the activation's derivative is omitted in backward: δ = delta * act'(z)")
class DenseLayer__sigma_prime_omitted(_Layer):
    def _local_delta(self, delta):
        return delta


@week.mistake("the activation's derivative is taken at the output a = act(z) instead of at z "
              "(activation applied twice)")
class DenseLayer__sigma_prime_applied_twice(_Layer):
    def _local_delta(self, delta):
        return delta * self._dact(self.a)


@week.mistake("update() rebinds the list entries; it must change the parameter arrays in place (p -= eta * g)")
class SGD__not_in_place:
    def __init__(self, eta):
        self.eta = eta

    def update(self, params, grads):
        for i, g in enumerate(grads):
            params[i] = params[i] - self.eta * np.asarray(g)


@week.mistake("update() adds the gradient; gradient descent subtracts it: p -= eta * g")
class SGD__gradient_ascent:
    def __init__(self, eta):
        self.eta = eta

    def update(self, params, grads):
        for p, g in zip(params, grads):
            p += self.eta * np.asarray(g)


@week.mistake("update() scales the gradient arrays in place (g *= eta); it must leave grads unchanged")
class SGD__gradients_changed_in_place:
    def __init__(self, eta):
        self.eta = eta

    def update(self, params, grads):
        for p, g in zip(params, grads):
            g *= self.eta
            p -= g


class _Momentum:
    """``m = mu * m + (1 - mu) * g``, ``p -= eta * m``; the restart test and the weight of g are hooks."""

    def __init__(self, eta, mu):
        self.eta = eta
        self.mu = mu
        self.m = None

    def update(self, params, grads):
        if self.m is None or self._restart():
            self.m = [np.zeros_like(p) for p in params]
        for j, (p, g) in enumerate(zip(params, grads)):
            self.m[j] = self.mu * self.m[j] + self._gradient_weight() * np.asarray(g)
            p -= self.eta * self.m[j]

    def _restart(self):
        """Whether m starts again from zero (only before the first update)."""
        return False

    def _gradient_weight(self):
        return 1.0 - self.mu


@week.mistake("momentum without the (1 - mu) factor: m = mu * m + (1 - mu) * g")
class Momentum__no_one_minus_mu(_Momentum):
    def _gradient_weight(self):
        return 1.0


@week.mistake("m starts again from zero at every update(); it must persist between calls")
class Momentum__velocity_reset(_Momentum):
    def _restart(self):
        return True


@week.mistake("update() changes the gradient arrays in place (g *= 1 - mu); it must leave grads unchanged")
class Momentum__gradients_changed_in_place(_Momentum):
    def update(self, params, grads):
        if self.m is None:
            self.m = [np.zeros_like(p) for p in params]
        for j, (p, g) in enumerate(zip(params, grads)):
            g *= 1.0 - self.mu
            self.m[j] = self.mu * self.m[j] + g
            p -= self.eta * self.m[j]


class _Net:
    """Layers one after the other, minibatch training; the backward order and the update step are hooks."""

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
        for layer in self._backward_order():
            delta = layer.backward(delta)
        return delta

    def _backward_order(self):
        return reversed(self.layers)

    def _update_layers(self):
        for layer in self.layers:
            layer.update()

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
            batch_losses, sizes = [], []
            for start in range(0, len(x), batch_size):
                idx = order[start:start + batch_size]
                loss, delta = self.loss_and_delta(x[idx], y[idx])
                self.backward(delta)
                self._update_layers()
                batch_losses.append(loss)
                sizes.append(len(idx))
            losses.append(self._epoch_loss(np.array(batch_losses), np.array(sizes)))
        return losses

    def _epoch_loss(self, batch_losses, sizes):
        """The mean loss over the epoch's examples: minibatch losses weighted by their sizes."""
        return float(np.sum(batch_losses * sizes) / np.sum(sizes))


@week.mistake("backward must visit the layers from the last to the first")
class SequentialNet__backward_in_forward_order(_Net):
    def _backward_order(self):
        return self.layers


@week.mistake("train() never calls update() on the layers, so nothing is learned")
class SequentialNet__no_update(_Net):
    def _update_layers(self):
        pass


@week.mistake("the epoch loss is the plain mean of the minibatch losses; weight each by its size "
              "(a partial last minibatch counts for fewer examples)")
class SequentialNet__epoch_loss_plain_mean(_Net):
    def _epoch_loss(self, batch_losses, sizes):
        return float(np.mean(batch_losses))


# ======================================================================================
# correct alternatives (written differently from the reference)
# ======================================================================================

@week.alternative
def dense_forward(x, W, b):
    """``np.einsum`` and an explicitly broadcast bias row."""
    x = np.array(x, dtype=float)
    W = np.array(W, dtype=float)
    b = np.array(b, dtype=float)
    if x.ndim != 2 or W.ndim != 2 or x.shape[1] != W.shape[0] or b.shape != W.shape[1:]:
        raise ValueError("shapes of x, W, b do not fit")
    return np.einsum("ni,io->no", x, W) + b[None, :]


@week.alternative
def dense_backward(delta, x, W):
    """A loop over the examples of the batch: outer products for dW, one W @ delta_n per row of dx."""
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


@week.alternative
def relu_backward(x, delta):
    """``np.where`` on the sign of x."""
    if np.shape(x) != np.shape(delta):
        raise ValueError("x and delta differ in shape")
    return np.where(np.asarray(x) > 0, np.asarray(delta, dtype=float), 0.0)


@week.alternative
def sigmoid(x):
    """Through tanh: σ(x) = (1 + tanh(x / 2)) / 2, which never overflows."""
    return 0.5 * (1.0 + np.tanh(0.5 * np.asarray(x, dtype=float)))


@week.alternative
def sigmoid_backward(x, delta):
    """σ(x) = exp(-log(1 + e^{-x})) with ``np.logaddexp``; σ' = s - s²."""
    x = np.asarray(x, dtype=float)
    if x.shape != np.shape(delta):
        raise ValueError("x and delta differ in shape")
    s = np.exp(-np.logaddexp(0.0, -x))
    return np.asarray(delta) * (s - s * s)


@week.alternative
def softmax_cross_entropy(logits, labels):
    """A loop over the rows, each with its own log-sum-exp."""
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


@week.alternative
def two_layer_gradients(x, y, V, W):
    """One example at a time, dW entry by entry."""
    x, y, V, W = (np.asarray(t, dtype=float) for t in (x, y, V, W))
    if V.shape[0] != x.shape[1] + 1 or W.shape[0] != V.shape[1] + 1 or y.shape != (x.shape[0], W.shape[1]):
        raise ValueError("shapes do not fit (bias rows?)")

    def s(t):
        return 1.0 / (1.0 + np.exp(-t))

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


@week.alternative
class DenseLayer:
    """Activations from a table of (function, derivative from the output a); einsum for the gradients;
    a shallow copy of the optimizer."""

    _ACT = {
        "identity": (lambda z: z, lambda a: np.ones_like(a)),
        "relu": (lambda z: z * (z > 0), lambda a: (a > 0).astype(float)),
        "sigmoid": (lambda z: 1 / (1 + np.exp(-z)), lambda a: a * (1 - a)),
    }

    def __init__(self, n_in, n_out, activation="sigmoid", optimizer=None, rng=None):
        import copy  # a shallow copy is enough for a fresh optimizer
        rng = rng or np.random.default_rng(0)
        self.g, self.dg = self._ACT[activation]
        gain = 2.0 if activation == "relu" else 1.0
        self.W = rng.normal(0, np.sqrt(gain / n_in), (n_in, n_out))
        self.b = np.zeros(n_out)
        self.optimizer = copy.copy(optimizer)

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


@week.alternative
class SGD:
    """``np.subtract(..., out=p)``: in place by an explicit output array."""

    def __init__(self, eta=0.1):
        if eta <= 0:
            raise ValueError("eta must be positive")
        self.eta = eta

    def update(self, params, grads):
        for i in range(len(params)):
            np.subtract(params[i], self.eta * np.asarray(grads[i]), out=params[i])


@week.alternative
class Momentum:
    """Velocities in a dict by position, updated in place (``m *= mu; m += (1 - mu) g``)."""

    def __init__(self, eta=0.1, mu=0.9):
        if not (eta > 0 and 0 <= mu < 1):
            raise ValueError("need eta > 0 and 0 <= mu < 1")
        self.eta, self.mu, self.velocity = eta, mu, {}

    def update(self, params, grads):
        for i, (p, g) in enumerate(zip(params, grads)):
            m = self.velocity.setdefault(i, np.zeros_like(p, dtype=float))
            m *= self.mu
            m += (1 - self.mu) * np.asarray(g)
            p -= self.eta * m


def _fold(step, items, start):
    """``functools.reduce(step, items, start)``, written out (student code imports numpy only)."""
    for item in items:
        start = step(start, item)
    return start


@week.alternative
class SequentialNet:
    """Forward and backward as folds over the layers; one-hot labels; minibatch starts from ``np.arange``."""

    def __init__(self, layers, loss="sum_of_squares"):
        self.layers, self.loss = layers, loss

    def forward(self, x):
        return _fold(lambda a, layer: layer.forward(a), self.layers, x)

    def backward(self, delta):
        return _fold(lambda d, layer: layer.backward(d), self.layers[::-1], delta)

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
            total = 0.0
            for start in np.arange(0, len(x), batch_size):
                idx = order[start:start + batch_size]
                loss, delta = self.loss_and_delta(x[idx], y[idx])
                self.backward(delta)
                for layer in self.layers:
                    layer.update()
                total += loss * len(idx)
            history.append(float(total / len(x)))
        return history
