"""Week 8's given training loop: minibatch training with a speed check, a progress bar with the
loss and the time left, and learning curves drawn while it trains. Not graded; read it freely.

``fit(net, x, labels, x_val, y_val, epochs=..., batch_size=...)`` trains any network of the
course's protocol (``loss_and_delta``, ``backward``, ``update``, ``forward``).
"""
from __future__ import annotations

import time

import numpy as np

#: training steps timed (after one warm-up step) before the rest of the run, to predict its time
PROBE_STEPS = 3


class TrainingTooSlow(RuntimeError):
    """The measured speed would make the training take longer than allowed."""


def _in_notebook():
    try:
        from IPython import get_ipython
    except ImportError:
        return False
    shell = get_ipython()
    return shell is not None and hasattr(shell, "kernel")


def _clock(seconds):
    seconds = int(round(seconds))
    return f"{seconds // 60}:{seconds % 60:02d}"


class Progress:
    """A progress bar with the loss and the time left: an ipywidgets bar in a notebook, a line of
    text every tenth of the run elsewhere."""

    def __init__(self, total):
        self.total, self.done, self.start = total, 0, time.perf_counter()
        self.bar = self.label = None
        if _in_notebook():
            import ipywidgets as widgets
            from IPython.display import display
            self.bar = widgets.IntProgress(value=0, min=0, max=total, description="training",
                                           layout=widgets.Layout(width="50%"))
            self.label = widgets.Label()
            display(widgets.HBox([self.bar, self.label]))

    def step(self, loss):
        self.done += 1
        elapsed = time.perf_counter() - self.start
        left = elapsed / self.done * (self.total - self.done)
        text = (f"step {self.done}/{self.total}  loss {loss:.3f}  elapsed {_clock(elapsed)}  "
                f"left {_clock(left)}")
        if self.bar is not None:
            if self.done % 5 == 0 or self.done == self.total:
                self.bar.value, self.label.value = self.done, text
        elif self.done % max(1, self.total // 10) == 0 or self.done == self.total:
            print(text, flush=True)


class LiveCurves:
    """The learning curves (training loss, validation accuracy) redrawn at every evaluation."""

    def __init__(self):
        self.handle = self.fig = None
        if _in_notebook():
            import matplotlib.pyplot as plt
            from IPython.display import display
            self.fig, (self.ax_loss, self.ax_acc) = plt.subplots(1, 2, figsize=(9, 3))
            plt.close(self.fig)                 # shown through the display handle only
            self.handle = display(self.fig, display_id=True)

    def update(self, history):
        if self.handle is None:
            return
        from w08_cnn_plots import draw_learning_curves
        self.ax_loss.clear()
        self.ax_acc.clear()
        draw_learning_curves(history, self.ax_loss, self.ax_acc)
        self.fig.tight_layout()
        self.handle.update(self.fig)


def accuracy(net, x, labels, chunk=500):
    """The fraction of ``x`` that ``net`` classifies as ``labels`` (forward in chunks)."""
    return float(np.mean(predict(net, x, chunk) == np.asarray(labels)))


def predict(net, x, chunk=500):
    """The class ``argmax`` of ``net.forward`` for every example of ``x``, ``(N,)`` int."""
    return np.concatenate([np.argmax(net.forward(x[i:i + chunk]), axis=1) for i in range(0, len(x), chunk)])


def fit(net, x, labels, x_val=None, y_val=None, *, epochs, batch_size, seed=0, max_seconds=None,
        evals_per_epoch=4, n_val_curve=1000):
    """Train ``net`` by minibatch gradient descent; return its history.

    Parameters
    ----------
    net : network with ``loss_and_delta(x, labels)``, ``backward``, ``update`` and ``forward``
    x : ndarray (N, 28, 28, 1) float in [0, 1]
        The training images.
    labels : ndarray (N,) int
        Their classes, as the loss (softmax cross-entropy) wants them: integers, not one-hot.
    x_val, y_val : ndarray, optional
        Validation data (the test set) for the learning curve: the accuracy on its first
        ``n_val_curve`` examples is measured ``evals_per_epoch`` times per epoch. Never trained on.
    epochs, batch_size : int
    seed : int
        Seeds the order of the examples (a new permutation every epoch).
    max_seconds : float, optional
        Before training, ``PROBE_STEPS`` steps are timed; if the whole training would take longer
        than this at the measured speed, :class:`TrainingTooSlow` is raised and nothing more runs.

    Returns
    -------
    dict
        ``"epoch"`` (fractional epochs of the evaluations), ``"loss"`` (mean training loss since
        the previous evaluation), ``"val_accuracy"`` (``None`` entries without validation data),
        ``"seconds"`` (training time).
    """
    x, labels = np.asarray(x), np.asarray(labels)
    rng = np.random.default_rng(seed)
    n = len(x)
    per_epoch = -(-n // batch_size)
    total = epochs * per_epoch
    history = {"epoch": [], "loss": [], "val_accuracy": [], "seconds": 0.0}
    marks = {round(per_epoch * k / evals_per_epoch) for k in range(1, evals_per_epoch + 1)}

    def step(idx):
        loss, delta = net.loss_and_delta(x[idx], labels[idx])
        net.backward(delta)
        net.update()
        return loss

    order = rng.permutation(n)
    start = time.perf_counter()
    probe, seconds = [], []
    for k in range(min(PROBE_STEPS + 1, per_epoch)):   # the first step warms up, the others are timed
        t = time.perf_counter()
        probe.append(step(order[k * batch_size:(k + 1) * batch_size]))
        seconds.append(time.perf_counter() - t)
    per_step = float(np.median(seconds[1:] or seconds))
    predicted = per_step * total
    if max_seconds is not None and predicted > max_seconds:
        raise TrainingTooSlow(
            f"one training step of your network takes {per_step:.2f} s, so the {total} steps of this "
            f"training would take about {_clock(predicted)} (min:s), more than the {max_seconds:.0f} s "
            "it may take here. Layers that loop over pixels in Python are the usual cause: use the "
            "given layers of w08_cnn_layers.py, or vectorise yours (im2col, section 1).")
    progress, curves = Progress(total), LiveCurves()
    losses = []
    for epoch in range(epochs):
        if epoch:
            order = rng.permutation(n)
        for b in range(per_epoch):
            if epoch == 0 and b < len(probe):       # already trained by the speed probe
                losses.append(probe[b])
            else:
                losses.append(step(order[b * batch_size:(b + 1) * batch_size]))
            progress.step(losses[-1])
            if b + 1 in marks:
                history["epoch"].append(epoch + (b + 1) / per_epoch)
                history["loss"].append(float(np.mean(losses)))
                losses = []
                history["val_accuracy"].append(
                    None if x_val is None else accuracy(net, x_val[:n_val_curve], y_val[:n_val_curve]))
                curves.update(history)
    history["seconds"] = time.perf_counter() - start
    return history


# --- a quick look at a pipeline before the long training ---------------------------------------

class _Recorder:
    """A ``fit`` that records what it is handed and trains nothing."""

    def __init__(self):
        self.calls = []

    def __call__(self, net, x, labels, x_val=None, y_val=None, **settings):
        self.calls.append((net, x, labels, x_val, y_val, settings))
        return {"epoch": [], "loss": [], "val_accuracy": [], "seconds": 0.0}


def _made_up_images(rng, n):
    x = rng.integers(0, 60, (n, 28, 28)).astype(np.uint8)
    x[:, 5:23, 13:15] = 255                     # a bright stroke, so every image reaches 255
    x[np.arange(n), rng.integers(0, 28, n), rng.integers(0, 28, n)] = 254   # and differs
    return x


def check_pipeline(train_network, settings=None):
    """Run ``train_network`` on 24 made-up training and 12 test images with a ``fit`` that only
    records what it is handed. Returns the first problem found, as a sentence, or ``None``."""
    rng = np.random.default_rng(8)
    x = _made_up_images(rng, 36)
    y = rng.integers(0, 10, 36).astype(np.uint8)
    settings = dict(settings or {"epochs": 2, "batch_size": 8, "eta": 0.1, "mu": 0.9, "seed": 3})
    record = _Recorder()
    try:
        result = train_network(x[:24], y[:24], x[24:], y[24:], settings, record)
    except Exception as exc:   # an unfinished or broken train_network
        return f"train_network raised {type(exc).__name__}: {exc}"
    if not record.calls:
        return "train_network never called fit"
    net, xf, labels, x_val, y_val, got = record.calls[-1]
    xf, labels = np.asarray(xf), np.asarray(labels)
    if np.shape(xf) != (24, 28, 28, 1):
        if np.shape(xf)[:1] == (12,):
            return "fit was handed the 12 test images: train on the training images"
        return f"fit must get the training images as (N, 28, 28, 1), got shape {np.shape(xf)}"
    if xf.max() > 1.5:
        return f"the pixels handed to fit reach {xf.max():.0f}: scale them to [0, 1] (divide by 255)"
    if not np.allclose(xf[..., 0], x[:24] / 255.0):
        return "fit must get the training images (divided by 255, in their order)"
    if labels.ndim == 2:
        return f"fit got one-hot labels {labels.shape}: its loss, softmax cross-entropy, takes integer labels (N,)"
    if labels.shape != (24,) or not np.array_equal(labels, y[:24]):
        return "fit must get the training labels, integers of shape (N,)"
    if x_val is None or np.shape(x_val) != (12, 28, 28, 1) or not np.allclose(np.asarray(x_val)[..., 0], x[24:] / 255.0):
        return "pass the test images, prepared like the training images, to fit as x_val (and y_val)"
    for k in ("epochs", "batch_size"):
        if got.get(k) != settings[k]:
            return f"fit must train with {k}=settings[{k!r}] = {settings[k]}, got {got.get(k)!r}"
    out = np.asarray(net.forward(xf[:2]))
    if out.shape != (2, 10):
        return f"the network maps 2 images to shape {out.shape}, not (2, 10)"
    if getattr(net, "n_params", 14682) != 14682:
        return f"the network has {net.n_params} parameters; Table 1 has 14 682"
    if not (isinstance(result, tuple) and len(result) == 2):
        return "train_network must return (net, history)"
    return None
