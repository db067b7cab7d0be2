"""Week 8's figures and the widget that browses the misclassified digits. Not graded."""
from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np


def draw_learning_curves(history, ax_loss, ax_acc):
    """Training loss and validation accuracy against (fractional) epochs on two axes."""
    epochs = history["epoch"]
    ax_loss.plot(epochs, history["loss"], "o-", color="C0")
    ax_loss.set(xlabel="epoch", ylabel="training loss (cross-entropy)", title="training loss")
    acc = [a for a in history["val_accuracy"] if a is not None]
    if acc:
        ax_acc.plot(epochs[:len(acc)], 100 * np.array(acc), "o-", color="C1")
    ax_acc.set(xlabel="epoch", ylabel="accuracy (%)", title="test accuracy (first 1000 test images)")
    for ax in (ax_loss, ax_acc):
        ax.grid(alpha=0.3)


def plot_learning_curves(history):
    fig, (a, b) = plt.subplots(1, 2, figsize=(9, 3))
    draw_learning_curves(history, a, b)
    fig.tight_layout()
    plt.show()


def plot_filters(w):
    """The first layer's filters ``w (5, 5, 1, 16)`` as 16 small images (one colour scale each)."""
    k = w.shape[3]
    fig, axes = plt.subplots(2, (k + 1) // 2, figsize=(1.2 * ((k + 1) // 2), 2.8))
    for i, ax in enumerate(axes.flat):
        ax.axis("off")
        if i < k:
            lim = np.abs(w[:, :, 0, i]).max()
            ax.imshow(w[:, :, 0, i], cmap="RdBu_r", vmin=-lim, vmax=lim)
            ax.set_title(str(i), fontsize=8)
    fig.suptitle("the 16 filters of the first convolution (red +, blue −)")
    plt.show()


def plot_digits(images, true, pred, title, n=24):
    """A grid of up to ``n`` digits titled ``true → predicted``."""
    n = min(n, len(images))
    cols = 8
    rows = max(1, -(-n // cols))
    fig, axes = plt.subplots(rows, cols, figsize=(1.2 * cols, 1.4 * rows), squeeze=False)
    for i, ax in enumerate(axes.flat):
        ax.axis("off")
        if i < n:
            ax.imshow(images[i], cmap="gray_r")
            ax.set_title(f"{true[i]} → {pred[i]}", fontsize=9, color="C3")
    fig.suptitle(title)
    plt.show()


def plot_confusion(cm, title="confusion matrix (rows: true digit, columns: predicted)"):
    """The confusion matrix as an image with its counts written in."""
    cm = np.asarray(cm)
    fig, ax = plt.subplots(figsize=(5.5, 5))
    ax.imshow(np.log1p(cm), cmap="Blues")
    for a in range(cm.shape[0]):
        for b in range(cm.shape[1]):
            if cm[a, b]:
                ax.text(b, a, str(cm[a, b]), ha="center", va="center", fontsize=7,
                        color="white" if a == b else "black")
    ax.set(xlabel="predicted digit", ylabel="true digit", title=title,
           xticks=range(cm.shape[1]), yticks=range(cm.shape[0]))
    plt.show()


def browse_misclassified(images, true, pred):
    """A widget: pick a true and a predicted digit, see the test images confused that way."""
    import ipywidgets as widgets
    from IPython.display import display

    true_w = widgets.Dropdown(options=["any"] + list(range(10)), value="any", description="true")
    pred_w = widgets.Dropdown(options=["any"] + list(range(10)), value="any", description="predicted")

    def show(t, p):
        keep = true != pred
        if t != "any":
            keep &= true == t
        if p != "any":
            keep &= pred == p
        idx = np.flatnonzero(keep)
        if not idx.size:
            print(f"no test image of digit {t} was classified as {p}")
            return
        plot_digits(images[idx], true[idx], pred[idx], f"{idx.size} misclassified test images "
                    f"(true {t}, predicted {p}); the first {min(24, idx.size)}")

    out = widgets.interactive_output(show, {"t": true_w, "p": pred_w})
    display(widgets.VBox([widgets.HBox([true_w, pred_w]), out]))
