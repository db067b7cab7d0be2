"""Property checks of week 8's ``train_network`` (verifier only).

Two drivers of :mod:`checker.capstone_drivers` feed them:

- ``train_network``: the student's pipeline run with the grader's watching ``fit`` on small
  images the verifier made (training and test sets told apart by their content). What ``fit``
  was handed must be the training images as ``images / 255`` of shape ``(N, 28, 28, 1)``, their
  integer labels (the loss, softmax cross-entropy, takes integer labels), the test images and
  labels as validation data only, and the case's epochs and batch size; the network must map a
  batch to ``(N, 10)`` and, if it counts its parameters, have the 14 682 of Table 1. Each
  violation that is a catalogued mistake returns its key (``test_set_used_for_training``,
  ``pixels_not_scaled``, ``labels_one_hot``).
- ``trained_accuracy``: the classes the network trained in the notebook predicts for the 10 000
  MNIST test images; their labels stay here. The locked training cell records its outcome in
  ``train_network.training`` before the test cell runs (trained, refused because the pipeline is
  wrong, too slow, failed): anything but a trained network fails. A function that never went
  through a training cell (the catalogue's tests call the alternative directly) is not measured. The accuracy must reach
  ``course_config.CAPSTONE["threshold"]`` (set below the worst of 5 seeds of the autograde
  settings, see the week-8 notebook's table).
"""
from __future__ import annotations

import functools

import numpy as np

import course_config

from .compare import short

#: Table 1's parameter count (conv 416 + conv 6 416 + dense 7 850)
TABLE1_PARAMS = 14682


@functools.lru_cache(maxsize=1)
def mnist_test_set():
    """``(images (10000, 28, 28) uint8, labels (10000,) uint8)`` of the course's MNIST file."""
    from solutions_lib.data import load_mnist
    _, _, x_test, y_test = load_mnist()
    return x_test, y_test


def _keys(images):
    """One bytes key per image, the same for any positive rescaling of it (and any dtype)."""
    flat = np.asarray(images, dtype=np.float64).reshape(len(images), -1)
    top = np.maximum(flat.max(axis=1, keepdims=True), 1e-12)
    return [row.tobytes() for row in np.round(flat / top * 1000).astype(np.int32)]


def _which(x, train, test):
    """``"train"``, ``"test"``, ``"mixed"`` or ``None``: whose images the rows of ``x`` are."""
    try:
        keys = _keys(x)
    except (TypeError, ValueError):
        return None
    tr, te = set(_keys(train)), set(_keys(test))
    in_tr, in_te = sum(k in tr for k in keys), sum(k in te for k in keys)
    if in_tr == len(keys):
        return "train"
    if in_te == len(keys):
        return "test"
    return "mixed" if in_te else None


def _data_failure(record, train, test, labels_train, settings):
    """``(why, key)`` for what one ``fit`` call was handed, or ``None``."""
    x, labels = np.asarray(record["x"]), np.asarray(record["labels"])
    n = len(train)
    whose = _which(x, train, test) if x.ndim >= 2 else None
    if whose in ("test", "mixed"):
        return ("fit trained on the test images: train on the training set only; the test set "
                "measures the trained network (pass it as x_val, y_val)", "test_set_used_for_training")
    if whose != "train" or len(x) != n:
        return (f"fit was handed {len(x)} examples of shape {x.shape[1:]}, not the {n} training images "
                f"{train.shape[1:]} train_network received", None)
    if x.shape != (n, 28, 28, 1):
        return (f"fit got images of shape {x.shape}; the network's input is (N, 28, 28, 1): "
                "channels last, one channel", None)
    if not np.issubdtype(x.dtype, np.floating) or x.max() > 1.5:
        return (f"the pixels handed to fit reach {short(x.max())}: scale them to [0, 1] "
                "(divide the bytes by 255)", "pixels_not_scaled")
    if not np.allclose(x, train[..., None] / 255.0, rtol=1e-6, atol=1e-9):
        return ("the images handed to fit are not images / 255 (in the order train_network got "
                "them)", None)
    if labels.ndim == 2 and labels.shape == (n, 10):
        return ("fit's loss (softmax cross-entropy) takes integer labels of shape (N,); train_network "
                "handed it one-hot labels of shape (N, 10)", "labels_one_hot")
    if labels.shape != (n,) or not np.array_equal(labels, labels_train):
        return (f"fit got labels {short(labels, 60)} of shape {labels.shape}; it wants the training "
                "labels as they are, integers of shape (N,)", None)
    if record["x_val"] is None or record["y_val"] is None:
        return ("pass the test set to fit as validation data (x_val, y_val): the learning curve "
                "shows the test accuracy per epoch", None)
    if _which(record["x_val"], train, test) != "test" or np.asarray(record["x_val"]).shape != (len(test), 28, 28, 1):
        return ("x_val must be the test images, prepared like the training images", None)
    got = record["settings"]
    for k in ("epochs", "batch_size"):
        if got.get(k) != settings[k]:
            return (f"fit must train with {k}={settings[k]} (settings[{k!r}]), got {got.get(k)!r}", None)
    if record["out_shape"] != (2, 10):
        return (f"the network maps 2 images to shape {record['out_shape']}; Table 1 ends in 10 outputs "
                "per image", None)
    if record["n_params"] is not None and record["n_params"] != TABLE1_PARAMS:
        return (f"the network has {record['n_params']} parameters; Table 1 has {TABLE1_PARAMS} "
                "(416 + 6 416 + 7 850)", None)
    return None


def train_network_failure(case, out):
    """``(why, mistake key or None)`` for a ``train_network`` driver output, or ``None``."""
    x_train, y_train, x_test, _ = (np.asarray(a) for a in case["args"])
    settings = case["kwargs"]["settings"]
    if not isinstance(out, dict) or not isinstance(out.get("calls"), list):
        return f"internal: unexpected driver output {type(out).__name__}", None
    if not out["calls"]:
        return "train_network never called fit: train the network with the fit it is given", None
    for record in out["calls"]:
        why = _data_failure(record, x_train, x_test, y_train, settings)
        if why:
            return why
    if out["returned"] != 2:
        return "train_network must return (net, history): the network and what fit returned", None
    return None


def trained_accuracy_failure(case, out):
    """``(why, None)`` if the notebook's trained network misses the accuracy threshold, else ``None``."""
    threshold = course_config.CAPSTONE["threshold"]
    if not isinstance(out, dict):
        return f"internal: unexpected driver output {type(out).__name__}", None
    if out.get("status") == "absent":
        # the function was never handed to a training cell: graded outside a notebook (the
        # catalogue's own tests); in a graded notebook the locked training cell always records
        # its outcome before the test cell runs
        return None
    predictions = out.get("predictions")
    if out.get("status") != "trained" or predictions is None:
        return (f"no trained network to test: the training cell reports {out.get('status')!r}", None)
    _, labels = mnist_test_set()
    predictions = np.asarray(predictions)
    if predictions.shape != labels.shape:
        return f"the network gave {predictions.shape} predictions for {labels.shape[0]} test images", None
    accuracy = float(np.mean(predictions == labels))
    if accuracy < threshold:
        return (f"your trained network classifies {accuracy:.1%} of the 10 000 test images correctly; "
                f"it must reach {threshold:.0%}", None)
    return None
