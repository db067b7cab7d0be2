"""Week 8 notebook (source/w08_cnn_capstone): the checks of :class:`tests.notebooks.weekly.WeeklyNotebookTests`,
plus the week's own: the settings cell equals ``course_config.CAPSTONE``, the given layers equal the
reference layers, the notebook's pipeline check names every catalogued mistake of ``train_network``
(the training cell trains nothing for them), and ``fit`` refuses a training too slow for its budget.
"""
from __future__ import annotations

import ast
import importlib.util
import sys

import nbformat
import numpy as np
import pytest

import course_config
from solutions_lib.capstone import table1_network
from solutions_lib.grading import catalogue
from tests.notebooks import harness
from tests.notebooks.weekly import WeeklyNotebookTests

WEEK = "w08_cnn_capstone"
pytestmark = pytest.mark.xdist_group(WEEK)
SOURCE = harness.SOURCE / WEEK


def _module(name):
    if name not in sys.modules:
        spec = importlib.util.spec_from_file_location(name, SOURCE / f"{name}.py")
        module = importlib.util.module_from_spec(spec)
        sys.modules[name] = module
        spec.loader.exec_module(module)
    return sys.modules[name]


def _cell(grade_id):
    nb = nbformat.read(harness.source_notebook_path(WEEK), as_version=4)
    return next(c.source for c in nb.cells if c.metadata["nbgrader"]["grade_id"] == grade_id)


class TestW08CnnCapstone(WeeklyNotebookTests):
    week = WEEK


def test_the_settings_cell_states_course_config():
    ns = {}
    exec(_cell("settings"), ns)
    cap = course_config.CAPSTONE
    for kind in ("autograde", "full"):
        assert ns["SETTINGS"][kind] == {**cap[kind], "seed": 0}
    assert ns["SETTINGS"]["threshold"] == cap["threshold"]
    assert ns["SETTINGS"]["max_training_s"] == cap["max_training_s"]


def test_the_given_layers_equal_the_reference_layers():
    given = _module("w08_cnn_layers")
    ref = table1_network(0.2, 0.9, rng=np.random.default_rng(0))
    net = given.SequentialNet([
        given.ConvLayer(5, 5, 1, 16, padding=2, optimizer=given.Momentum(0.2, 0.9)), given.MaxPoolLayer(2),
        given.ConvLayer(5, 5, 16, 16, padding=2, optimizer=given.Momentum(0.2, 0.9)), given.MaxPoolLayer(2),
        given.FlattenLayer(), given.DenseLayer(784, 10, optimizer=given.Momentum(0.2, 0.9))])
    for mine, theirs in zip(net.layers, ref.layers):
        for attr in ("w", "b", "W"):
            if hasattr(mine, attr):
                getattr(mine, attr)[...] = getattr(theirs, attr)
    r = np.random.default_rng(1)
    x = r.random((4, 28, 28, 1))
    x[0, :2, :2] = 0.5                         # tied maxima in a pooling window
    labels = r.integers(0, 10, 4)
    for _ in range(2):                         # two steps: the momentum buffers are compared too
        loss, delta = net.loss_and_delta(x, labels)
        ref_loss, ref_delta = ref.loss_and_delta(x, labels)
        assert loss == pytest.approx(ref_loss, rel=1e-12)
        np.testing.assert_allclose(net.backward(delta), ref.backward(ref_delta), rtol=1e-9, atol=1e-14)
        net.update()
        ref.update()
    np.testing.assert_allclose(net.layers[2].w, ref.layers[2].w, rtol=1e-9, atol=1e-14)
    assert net.n_params == ref.n_params == 14682


def _student_namespace():
    given = _module("w08_cnn_layers")
    return {name: getattr(given, name) for name in
            ("ConvLayer", "DenseLayer", "FlattenLayer", "MaxPoolLayer", "Momentum", "SequentialNet")}


def _define(source):
    ns = _student_namespace()
    exec(compile(source, "<train_network>", "exec"), ns)
    return ns["train_network"]


def test_the_pipeline_check_passes_the_reference_and_the_alternative_and_names_every_mistake():
    check_pipeline = _module("w08_cnn_train").check_pipeline
    assert check_pipeline(_define(harness.solution_sources(WEEK)["train_network"])) is None
    assert check_pipeline(_define(catalogue.alternative_source("train_network"))) is None
    words = {"pixels_not_scaled": "scale them", "labels_one_hot": "one-hot",
             "test_set_used_for_training": "test images"}
    for m in catalogue.mistakes("train_network"):
        problem = check_pipeline(_define(m.source))
        assert problem and words[m.key] in problem, (m.key, problem)


def test_fit_refuses_a_training_longer_than_its_budget_and_says_how_long():
    train = _module("w08_cnn_train")
    given = _module("w08_cnn_layers")
    net = given.SequentialNet([given.FlattenLayer(), given.DenseLayer(784, 10)])
    x, labels = np.zeros((640, 28, 28, 1)), np.zeros(640, dtype=int)
    with pytest.raises(train.TrainingTooSlow, match=r"the 100 steps of this training would take about \d+:\d\d"):
        train.fit(net, x, labels, epochs=10, batch_size=64, max_seconds=1e-6)
    history = train.fit(net, x, labels, x, labels, epochs=2, batch_size=64, max_seconds=60)
    assert len(history["epoch"]) == 8 and history["epoch"][-1] == 2.0
    assert all(0 <= a <= 1 for a in history["val_accuracy"])


def test_the_training_cell_records_its_outcome_for_the_hidden_test():
    tree = ast.parse(_cell("training"))
    assigned = {ast.unparse(t) for node in ast.walk(tree) if isinstance(node, ast.Assign) for t in node.targets}
    assert "train_network.training" in assigned
