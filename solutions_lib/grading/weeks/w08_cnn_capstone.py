"""Week 8 catalogue — the CNN capstone: hidden cases, typical mistakes, alternatives.

``confusion_matrix`` and ``precision_recall`` are plain functions, graded exactly.

``train_network(x_train, y_train, x_test, y_test, settings, fit)`` is the student's pipeline: it
builds the Table 1 network from their layers, prepares the data and trains it by calling ``fit``,
which it is *given*. Grading it must cost seconds, not a training run, and must name the
network-level mistakes, so its hidden test has two parts (``checker.capstone_drivers``,
``solutions_lib.grading.capstone_properties``):

1. **The pipeline, watched.** The verifier makes small uint8 image sets whose training and test
   images differ in content and passes a ``fit`` that records what it is handed and trains nothing
   (three cases, milliseconds each). The record must be the training images as ``images / 255``
   with a channel axis (else ``pixels_not_scaled``), their integer labels — the loss, softmax
   cross-entropy, takes integer labels; one-hot ones are ``labels_one_hot`` —, the test images only
   as validation data (the test images as training data are ``test_set_used_for_training``), the
   case's epochs and batch size; the network maps a batch to ``(N, 10)`` and has Table 1's 14 682
   parameters if it counts them. The same properties are the visible test's
   (``check_pipeline`` of the notebook's ``w08_cnn_train.py``), and the locked training cell runs
   that check first and trains nothing for a pipeline that fails it, so a network-level mistake
   costs no training run.
2. **The network the student trained.** The locked training cell trains with the student's
   ``train_network`` and the notebook's real ``fit`` (autograde budget of
   ``course_config.CAPSTONE``) and records the outcome in ``train_network.training``; the
   verifier sends the 10 000 MNIST test images, the kernel sends back the predicted classes, and
   the verifier — which alone holds the test labels — requires ``CAPSTONE["threshold"]``.

The mistakes and the alternative are self-contained student code (numpy only), so they carry the
network as one private class, ``_Table1`` (checked against the reference layers in
``tests/solutions_lib/grading/test_capstone_grading.py``).
"""
from __future__ import annotations

import numpy as np

from solutions_lib.grading.catalogue import Week, case, error

week = Week("w08_cnn_capstone")


# ======================================================================================
# hidden cases
# ======================================================================================

@week.cases("confusion_matrix")
def _confusion_matrix_cases(r):
    cases = [case(f"{n} labels, k={k}", [r.integers(0, k, n), r.integers(0, k, n), k])
             for n, k in [(10, 3), (1, 2), (30, 5), (5, 4)]]
    cases.append(case("k=4, but only classes 0 and 1 occur", [np.array([0, 1, 1, 0]), np.array([1, 1, 0, 0]), 4]))
    cases.append(error("label 3 with k=3", [np.array([0, 3]), np.array([0, 1]), 3]))
    return cases


@week.cases("precision_recall")
def _precision_recall_cases(r):
    cases = [case(f"a {k}x{k} confusion matrix", [r.integers(0, 6, (k, k))]) for k in (2, 3, 5)]
    cm = np.array([[3, 0, 1], [2, 0, 0], [0, 0, 4]])
    cases.append(case("a class never predicted (column of zeros)", [cm]))
    cases.append(error("a 2x3 matrix", [np.ones((2, 3), int)]))
    return cases


# ======================================================================================
# typical mistakes
# ======================================================================================

@week.mistake("rows and columns are swapped: rows are the true class, columns the predicted")
def confusion_matrix__transposed(y_true, y_pred, k):
    y_true, y_pred = np.asarray(y_true), np.asarray(y_pred)
    if y_true.shape != y_pred.shape or y_true.min() < 0 or y_pred.min() < 0 or max(y_true.max(), y_pred.max()) >= k:
        raise ValueError("bad labels")
    cm = np.zeros((k, k), dtype=int)
    np.add.at(cm, (y_pred, y_true), 1)
    return cm


@week.mistake("the matrix is sized by the largest label present; it must be k x k (k is the argument)")
def confusion_matrix__k_from_data(y_true, y_pred, k):
    y_true, y_pred = np.asarray(y_true), np.asarray(y_pred)
    if y_true.shape != y_pred.shape or y_true.min() < 0 or y_pred.min() < 0 or max(y_true.max(), y_pred.max()) >= k:
        raise ValueError("bad labels")
    n = int(max(y_true.max(), y_pred.max())) + 1
    cm = np.zeros((n, n), dtype=int)
    np.add.at(cm, (y_true, y_pred), 1)
    return cm


def _square(cm):
    """``cm`` as a float array; ``ValueError`` unless it is a square matrix."""
    cm = np.asarray(cm, dtype=float)
    if cm.ndim != 2 or cm.shape[0] != cm.shape[1]:
        raise ValueError("cm must be square")
    return cm


@week.mistake("a class never predicted gets precision NaN; it must be 0")
def precision_recall__nan_for_never_predicted(cm):
    cm = _square(cm)
    tp = np.diag(cm)
    with np.errstate(all="ignore"):
        return tp / cm.sum(axis=0), np.where(cm.sum(axis=1) > 0, tp / np.maximum(cm.sum(axis=1), 1), 0.0)


@week.mistake("precision and recall are swapped: precision divides by the column (predicted) sums")
def precision_recall__swapped(cm):
    cm = _square(cm)
    tp = np.diag(cm)
    col, row = cm.sum(axis=0), cm.sum(axis=1)
    return np.where(row > 0, tp / np.maximum(row, 1), 0.0), np.where(col > 0, tp / np.maximum(col, 1), 0.0)


# ======================================================================================
# correct alternatives (written differently from the reference)
# ======================================================================================

@week.alternative
def confusion_matrix(y_true, y_pred, k):
    """A Python loop over the (true, predicted) pairs, one count at a time."""
    y_true, y_pred = np.asarray(y_true), np.asarray(y_pred)
    if y_true.shape != y_pred.shape or y_true.min() < 0 or y_pred.min() < 0 or max(y_true.max(), y_pred.max()) >= k:
        raise ValueError("bad labels")
    cm = np.zeros((k, k), dtype=int)
    for t, p in zip(y_true, y_pred):
        cm[t, p] += 1
    return cm


@week.alternative
def precision_recall(cm):
    """A loop over the classes: the diagonal entry over its column sum (precision) and its row sum (recall)."""
    cm = np.asarray(cm, dtype=float)
    if cm.ndim != 2 or cm.shape[0] != cm.shape[1]:
        raise ValueError("cm must be square")
    k = cm.shape[0]
    precision, recall = np.zeros(k), np.zeros(k)
    for c in range(k):
        predicted, actual = sum(cm[a, c] for a in range(k)), sum(cm[c, b] for b in range(k))
        precision[c] = cm[c, c] / predicted if predicted > 0 else 0.0
        recall[c] = cm[c, c] / actual if actual > 0 else 0.0
    return precision, recall


# ======================================================================================
# train_network: the student's pipeline, watched (see the module docstring)
# ======================================================================================

#: settings of the watched cases: (n_train, n_test, epochs, batch_size)
_PIPELINE_SHAPES = [(24, 12, 1, 8), (40, 16, 2, 16), (17, 9, 3, 5)]


def _digit_like_images(r, n):
    """``n`` distinct uint8 images (28, 28): random strokes on a black ground, max 255 each."""
    x = np.zeros((n, 28, 28), dtype=np.uint8)
    for i in range(n):
        rows, cols = r.integers(2, 26, 2), r.integers(2, 26, 2)
        x[i, min(rows):max(rows) + 1, cols[0]] = 255
        x[i, rows[1], min(cols):max(cols) + 1] = r.integers(100, 256)
        x[i] = np.maximum(x[i], r.integers(0, 40, (28, 28)).astype(np.uint8))
        x[i, 0, 0] = 255
    return x


@week.cases("train_network")
def _train_network_cases(r):
    """Watched runs of the pipeline on images made here (training and test sets differ in
    content), then the accuracy of the network the notebook trained on the 10 000 MNIST test
    images, whose labels stay in the verifier (``capstone_properties``)."""
    cases = []
    for n_train, n_test, epochs, batch_size in _PIPELINE_SHAPES:
        x = _digit_like_images(r, n_train + n_test)
        y = r.integers(0, 10, n_train + n_test).astype(np.uint8)
        settings = {"epochs": epochs, "batch_size": batch_size, "eta": 0.1, "mu": 0.9,
                    "seed": int(r.integers(1 << 20))}
        cases.append(case(f"train_network on {n_train} training and {n_test} test images, settings {settings} "
                          "(fit is the grader's: it records what it is handed)",
                          [x[:n_train], y[:n_train], x[n_train:], y[n_train:]], {"settings": settings},
                          driver="train_network"))
    from solutions_lib.grading.capstone_properties import mnist_test_set
    cases.append(case("the network trained by the notebook's training cell (recorded in train_network.training) on "
                      "the 10 000 MNIST test images", [mnist_test_set()[0]], driver="trained_accuracy"))
    return cases


class _Table1:
    """The sheet-004 Table 1 network as one class: conv 5x5x16 same, ReLU, max-pool 2, twice, then
    dense 784 -> 10; softmax cross-entropy on integer labels; momentum SGD (eq. 30-31)."""

    def __init__(self, eta, mu, seed):
        r = np.random.default_rng(seed)
        self.params = [r.normal(0, np.sqrt(2 / 25), (5, 5, 1, 16)), np.zeros(16),
                       r.normal(0, np.sqrt(2 / 400), (5, 5, 16, 16)), np.zeros(16),
                       r.normal(0, np.sqrt(1 / 784), (784, 10)), np.zeros(10)]
        self.eta, self.mu = eta, mu
        self.m = [np.zeros_like(p) for p in self.params]
        self.n_params = sum(p.size for p in self.params)

    @staticmethod
    def _cols(x):
        n, h, w, c = x.shape
        xp = np.zeros((n, h + 4, w + 4, c))
        xp[:, 2:-2, 2:-2] = x
        cols = np.empty((n, h, w, 5, 5, c))
        for i in range(5):
            for j in range(5):
                cols[:, :, :, i, j] = xp[:, i:i + h, j:j + w]
        return cols.reshape(n * h * w, 25 * c)

    @staticmethod
    def _pool(a):
        n, h, w, c = a.shape
        t = a.reshape(n, h // 2, 2, w // 2, 2, c)
        out = t.max(axis=(2, 4))
        first = np.zeros(t.shape, dtype=bool)        # the first maximum of every window
        taken = np.zeros(out.shape, dtype=bool)
        for i in range(2):
            for j in range(2):
                hit = (t[:, :, i, :, j] == out) & ~taken
                first[:, :, i, :, j] = hit
                taken |= hit
        return out, first

    def forward(self, x, keep=False):
        w1, b1, w2, b2, wd, bd = self.params
        x = np.asarray(x, dtype=float)
        n = len(x)
        c1 = self._cols(x)
        z1 = (c1 @ w1.reshape(25, 16) + b1).reshape(n, 28, 28, 16)
        p1, f1 = self._pool(np.maximum(z1, 0))
        c2 = self._cols(p1)
        z2 = (c2 @ w2.reshape(400, 16) + b2).reshape(n, 14, 14, 16)
        p2, f2 = self._pool(np.maximum(z2, 0))
        flat = p2.reshape(n, 784)
        if keep:
            self.saved = (c1, z1, f1, c2, z2, f2, flat)
        return flat @ wd + bd

    def loss_and_delta(self, x, labels):
        logits = self.forward(x, keep=True)
        labels = np.asarray(labels)
        if labels.shape != (len(logits),):
            raise ValueError(f"integer labels of shape ({len(logits)},) wanted, got {labels.shape}")
        e = np.exp(logits - logits.max(axis=1, keepdims=True))
        p = e / e.sum(axis=1, keepdims=True)
        rows = np.arange(len(labels))
        loss = -np.mean(np.log(p[rows, labels]))
        p[rows, labels] -= 1
        return loss, p / len(labels)

    def backward(self, delta):
        c1, z1, f1, c2, z2, f2, flat = self.saved
        w1, b1, w2, b2, wd, bd = self.params
        n = len(delta)
        grads = [None] * 6
        grads[4], grads[5] = flat.T @ delta, delta.sum(axis=0)
        d = (delta @ wd.T).reshape(n, 7, 1, 7, 1, 16) * f2
        dz2 = d.reshape(n, 14, 14, 16) * (z2 > 0)
        grads[2], grads[3] = (c2.T @ dz2.reshape(-1, 16)).reshape(5, 5, 16, 16), dz2.sum(axis=(0, 1, 2))
        dcols = (dz2.reshape(-1, 16) @ w2.reshape(400, 16).T).reshape(n, 14, 14, 5, 5, 16)
        dp1 = np.zeros((n, 18, 18, 16))
        for i in range(5):
            for j in range(5):
                dp1[:, i:i + 14, j:j + 14] += dcols[:, :, :, i, j]
        d = dp1[:, 2:-2, 2:-2].reshape(n, 14, 1, 14, 1, 16) * f1
        dz1 = d.reshape(n, 28, 28, 16) * (z1 > 0)
        grads[0], grads[1] = (c1.T @ dz1.reshape(-1, 16)).reshape(5, 5, 1, 16), dz1.sum(axis=(0, 1, 2))
        self.grads = grads

    def update(self):
        for p, m, g in zip(self.params, self.m, self.grads):
            m *= self.mu
            m += (1 - self.mu) * g
            p -= self.eta * m

    def predict(self, x):
        return np.argmax(self.forward(x), axis=1)


@week.mistake("the pixels are handed to fit as bytes 0..255; scale them to [0, 1] (divide by 255)")
def train_network__pixels_not_scaled(x_train, y_train, x_test, y_test, settings, fit):
    net = _Table1(settings["eta"], settings["mu"], settings["seed"])
    x, x_val = x_train[..., None].astype(float), x_test[..., None].astype(float)
    history = fit(net, x, y_train.astype(int), x_val, y_test.astype(int), epochs=settings["epochs"],
                  batch_size=settings["batch_size"], seed=settings["seed"])
    return net, history


@week.mistake("the labels are made one-hot, but the loss (softmax cross-entropy) takes integer labels")
def train_network__labels_one_hot(x_train, y_train, x_test, y_test, settings, fit):
    net = _Table1(settings["eta"], settings["mu"], settings["seed"])
    x, x_val = x_train[..., None] / 255.0, x_test[..., None] / 255.0
    history = fit(net, x, np.eye(10)[y_train], x_val, np.eye(10)[y_test], epochs=settings["epochs"],
                  batch_size=settings["batch_size"], seed=settings["seed"])
    return net, history


@week.mistake("the network is trained on the test set; train on the training set, test on the test set")
def train_network__test_set_used_for_training(x_train, y_train, x_test, y_test, settings, fit):
    net = _Table1(settings["eta"], settings["mu"], settings["seed"])
    x, x_val = x_train[..., None] / 255.0, x_test[..., None] / 255.0
    history = fit(net, x_val, y_test.astype(int), x, y_train.astype(int), epochs=settings["epochs"],
                  batch_size=settings["batch_size"], seed=settings["seed"])
    return net, history


@week.alternative
def train_network(x_train, y_train, x_test, y_test, settings, fit):
    """The whole Table 1 network as one class (its own im2col and pooling), not the given layers."""
    net = _Table1(settings["eta"], settings["mu"], settings["seed"])
    scale = np.float64(1 / 255)
    x = np.expand_dims(x_train * scale, axis=3)
    x_val = np.expand_dims(x_test * scale, axis=3)
    history = fit(net, x, np.array(y_train, dtype=np.int64), x_val, np.array(y_test, dtype=np.int64),
                  epochs=settings["epochs"], batch_size=settings["batch_size"], seed=settings["seed"])
    return net, history
