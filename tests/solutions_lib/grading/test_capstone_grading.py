"""Week 8's grading of ``train_network``: the watched pipeline and the trained network's accuracy.

The catalogue's generic tests (``test_catalogue.py``) already run every mistake and the alternative
through the verifier's judge. Here: the catalogue's one-class network equals the reference layers
(values and gradients), the property checks read what they should from real driver outputs, and the
accuracy check counts against the real MNIST test labels.
"""
from __future__ import annotations

import numpy as np
import pytest

import course_config
from checker import capstone_drivers, wire
from solutions_lib.capstone import table1_network
from solutions_lib.grading import catalogue
from solutions_lib.grading.capstone_properties import (
    TABLE1_PARAMS,
    mnist_test_set,
    train_network_failure,
    trained_accuracy_failure,
)
from solutions_lib.grading.judge import judge, outcome
from solutions_lib.grading.weeks.w08_cnn_capstone import _Table1

CASES = catalogue.make_cases("train_network")
WATCHED = [c for c in CASES if c["driver"] == "train_network"]
ACCURACY = next(c for c in CASES if c["driver"] == "trained_accuracy")


def _through_the_wire(obj, cases):
    return wire.decode(wire.encode([list(outcome(obj, c)) for c in cases]))


def test_the_catalogues_network_is_table1_and_matches_the_reference_layers():
    net = _Table1(0.1, 0.9, seed=0)
    ref = table1_network(0.1, 0.9, rng=np.random.default_rng(1))
    conv1, conv2, dense = ref.layers[0], ref.layers[2], ref.layers[5]
    for target, value in zip([conv1.w, conv1.b, conv2.w, conv2.b, dense.W, dense.b], net.params):
        target[...] = value
    r = np.random.default_rng(2)
    x, labels = r.random((3, 28, 28, 1)), r.integers(0, 10, 3)
    loss, delta = net.loss_and_delta(x, labels)
    net.backward(delta)
    ref_loss, ref_delta = ref.loss_and_delta(x, labels)
    ref.backward(ref_delta)
    assert net.n_params == ref.n_params == TABLE1_PARAMS
    assert loss == pytest.approx(ref_loss, rel=1e-12)
    for got, want in zip(net.grads, [conv1.dw, conv1.db, conv2.dw, conv2.db, dense.dW, dense.db]):
        np.testing.assert_allclose(got, want, rtol=1e-9, atol=1e-13)


def test_the_alternative_hands_fit_exactly_what_the_contract_asks():
    results = _through_the_wire(catalogue.alternative("train_network"), WATCHED)
    for case, res in zip(WATCHED, results):
        assert res[0] == "ok", res
        assert train_network_failure(case, res[1]) is None
        (record,) = res[1]["calls"]
        x_train, y_train, x_test, _ = case["args"]
        np.testing.assert_allclose(record["x"], x_train[..., None] / 255.0, rtol=1e-15)
        np.testing.assert_array_equal(record["labels"], y_train)
        np.testing.assert_allclose(record["x_val"], x_test[..., None] / 255.0, rtol=1e-15)


@pytest.mark.parametrize("key", ["pixels_not_scaled", "labels_one_hot", "test_set_used_for_training"])
def test_each_network_level_mistake_is_named_on_the_first_watched_case(key):
    mistake = next(m for m in catalogue.mistakes("train_network") if m.key == key)
    res = _through_the_wire(mistake.impl, WATCHED[:1])[0]
    why, named = train_network_failure(WATCHED[0], res[1])
    assert named == key, why


def test_a_pipeline_that_never_calls_fit_or_returns_the_wrong_thing_fails():
    def never_fits(x_train, y_train, x_test, y_test, settings, fit):
        return None, None

    def returns_only_the_net(x_train, y_train, x_test, y_test, settings, fit):
        net, _ = catalogue.alternative("train_network")(x_train, y_train, x_test, y_test, settings, fit)
        return net

    for fn, text in ((never_fits, "never called fit"), (returns_only_the_net, "(net, history)")):
        res = _through_the_wire(fn, WATCHED[:1])[0]
        why, key = train_network_failure(WATCHED[0], res[1])
        assert text in why and key is None


class _Classifier:
    """A stand-in trained network whose outputs are given logits (the accuracy check's arithmetic
    is what is tested here, not a network)."""

    def __init__(self, classes):
        self.classes, self.seen = np.asarray(classes), 0

    def forward(self, x):
        out = np.eye(10)[self.classes[self.seen:self.seen + len(x)]]
        self.seen += len(x)
        return out


def _with_training(record):
    def train_network(*args):
        raise AssertionError("not called by the accuracy driver")
    if record is not None:
        train_network.training = record
    return train_network


def test_the_accuracy_check_counts_against_the_mnist_test_labels():
    _, labels = mnist_test_set()
    threshold = course_config.CAPSTONE["threshold"]
    wrong = int(np.ceil((1 - threshold) * len(labels))) + 1        # just below the threshold
    bad = labels.astype(np.int64).copy()
    bad[:wrong] = (bad[:wrong] + 1) % 10
    good = labels.astype(np.int64).copy()
    good[:wrong - 2] = (good[:wrong - 2] + 1) % 10                 # just above it
    for classes, passes in ((good, True), (bad, False)):
        obj = _with_training({"status": "trained", "net": _Classifier(classes)})
        res = _through_the_wire(obj, [ACCURACY])[0]
        assert res[0] == "ok"
        failure = trained_accuracy_failure(ACCURACY, res[1])
        assert (failure is None) is passes, failure


def test_the_accuracy_check_fails_without_a_trained_network_and_says_why():
    for status in ("not trained: fit got one-hot labels", "too slow: one training step takes 3.1 s"):
        res = _through_the_wire(_with_training({"status": status}), [ACCURACY])[0]
        why, key = trained_accuracy_failure(ACCURACY, res[1])
        assert status in why and key is None
    # never through a training cell (the catalogue's own tests): not measured
    res = _through_the_wire(_with_training(None), [ACCURACY])[0]
    assert trained_accuracy_failure(ACCURACY, res[1]) is None


def test_judge_names_a_mistake_before_the_missing_network():
    mistake = next(m for m in catalogue.mistakes("train_network") if m.key == "labels_one_hot")
    obj = mistake.impl
    obj.training = {"status": "not trained: fit got one-hot labels (24, 10)"}
    try:
        v = judge("train_network", catalogue.alternative("train_network"), _through_the_wire(obj, CASES), [])
    finally:
        del obj.training
    assert not v.passed and v.mistake == "labels_one_hot", v.message


def test_the_drivers_chunk_the_test_set():
    images = np.zeros((capstone_drivers.CHUNK * 2 + 7, 28, 28), dtype=np.uint8)
    net = _Classifier(np.arange(len(images)) % 10)
    out = capstone_drivers.drive_trained_accuracy(_with_training({"status": "trained", "net": net}), [images], {})
    np.testing.assert_array_equal(out["predictions"], np.arange(len(images)) % 10)
