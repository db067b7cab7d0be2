"""Tests of solutions_lib.network: whole-net gradients, learning, the Table-1 CNN, grad_w1111."""
import numpy as np
import pytest

from solutions_lib.gradcheck import numerical_gradient, relative_error
from solutions_lib.layers import ConvLayer, DenseLayer, DropoutLayer, FlattenLayer, MaxPoolLayer
from solutions_lib.network import SequentialNet, grad_w1111
from solutions_lib.optimizers import SGD, Momentum

TOL = 1e-6


def _params(net):
    out = []
    for layer in net.layers:
        for name in ("W", "w", "b"):
            if name in vars(layer):
                out.append((layer, name))
    return out


@pytest.mark.parametrize("loss", ["sum_of_squares", "softmax_cross_entropy"])
def test_whole_net_backward_finite_differences(loss):
    rng = np.random.default_rng(3)
    net = SequentialNet([
        ConvLayer(3, 3, 1, 2, padding=1, activation="sigmoid", rng=rng),
        MaxPoolLayer(2, 2), FlattenLayer(),
        DenseLayer(8, 5, activation="relu", rng=rng),
        DenseLayer(5, 3, activation="sigmoid" if loss == "sum_of_squares" else "identity", rng=rng),
    ], loss=loss)
    for layer, name in _params(net):
        if name == "b":
            getattr(layer, name)[...] = rng.normal(scale=0.3, size=getattr(layer, name).shape)
    x = rng.normal(size=(4, 4, 4, 1))
    y = np.eye(3)[[0, 2, 1, 2]] if loss == "sum_of_squares" else np.array([0, 2, 1, 2])
    _, delta = net.loss_and_delta(x, y)
    dx = net.backward(delta)
    assert relative_error(dx, numerical_gradient(lambda v: net.loss_and_delta(v, y)[0], x.copy())) < TOL
    for layer, name in _params(net):
        p = getattr(layer, name)
        g = getattr(layer, "d" + name).copy()

        def f(v, p=p):
            old = p.copy()
            p[...] = v
            val = net.loss_and_delta(x, y)[0]
            p[...] = old
            return val

        assert relative_error(g, numerical_gradient(f, p.copy())) < TOL, (type(layer).__name__, name)


def test_learns_xor():
    rng = np.random.default_rng(0)
    base = np.array([[0.0, 0], [0, 1], [1, 0], [1, 1]])
    x = np.repeat(base, 25, axis=0) + rng.normal(scale=0.1, size=(100, 2))
    labels = np.repeat([0, 1, 1, 0], 25)
    net = SequentialNet([DenseLayer(2, 8, "sigmoid", Momentum(0.5, 0.9), rng),
                         DenseLayer(8, 2, "sigmoid", Momentum(0.5, 0.9), rng)])
    history = net.train(x, np.eye(2)[labels], batch_size=10, epochs=300, rng=rng)
    assert len(history) == 300 and history[-1] < history[0]
    acc = np.mean(np.argmax(net.forward(x), axis=1) == labels)
    assert acc > 0.95, acc


def test_learns_blobs_with_softmax_and_dropout():
    rng = np.random.default_rng(1)
    x = np.vstack([rng.normal(-1.5, 1, size=(60, 2)), rng.normal(1.5, 1, size=(60, 2))])
    labels = np.repeat([0, 1], 60)
    drop = DropoutLayer(p=0.8, rng=rng)
    net = SequentialNet([DenseLayer(2, 16, "relu", SGD(0.1), rng), drop,
                         DenseLayer(16, 2, "identity", SGD(0.1), rng)], loss="softmax_cross_entropy")
    net.train(x, labels, batch_size=16, epochs=40, rng=rng)
    drop.trainable = False
    assert np.mean(net.predict(x) == labels) > 0.95


def test_table1_cnn_builds_and_learns():
    rng = np.random.default_rng(2)
    opt = Momentum(0.05, 0.9)
    net = SequentialNet([
        ConvLayer(5, 5, 1, 16, padding=2, activation="relu", optimizer=opt, rng=rng),
        MaxPoolLayer(2, 2),
        ConvLayer(5, 5, 16, 16, padding=2, activation="relu", optimizer=opt, rng=rng),
        MaxPoolLayer(2, 2),
        FlattenLayer(),
        DenseLayer(784, 10, activation="identity", optimizer=opt, rng=rng),
    ], loss="softmax_cross_entropy")
    assert [layer.n_params for layer in net.layers] == [416, 0, 6416, 0, 0, 7850]
    assert net.n_params == 416 + 6416 + 7850
    x = rng.uniform(size=(8, 28, 28, 1))
    y = rng.integers(0, 10, size=8)
    assert net.forward(x).shape == (8, 10)
    losses = net.train(x, y, batch_size=8, epochs=6, rng=rng)
    assert losses[-1] < 0.5 * losses[0], losses


def test_bad_input():
    with pytest.raises(ValueError, match="loss"):
        SequentialNet([DenseLayer(2, 2)], loss="hinge")
    net = SequentialNet([DenseLayer(2, 2)])
    with pytest.raises(ValueError, match="mismatch"):
        net.train(np.ones((4, 2)), np.ones((3, 2)), 2, 1)
    with pytest.raises(ValueError, match="batch_size"):
        net.train(np.ones((4, 2)), np.ones((4, 2)), 0, 1)


def _sheet001_loss(I, w, b, v, y_hat, sigma):
    H, W, C = I.shape
    kh, kw, _, K = w.shape
    a = np.zeros((H - kh + 1, W - kw + 1, K))
    for i in range(a.shape[0]):
        for j in range(a.shape[1]):
            for k in range(K):
                a[i, j, k] = b[k] + np.sum(I[i:i + kh, j:j + kw, :] * w[:, :, :, k])
    y = np.einsum("ijko,ijk->o", v, sigma(a))
    return 0.5 * np.sum((y_hat - y) ** 2)


@pytest.mark.parametrize("shape", [((5, 5, 1), (3, 3, 1, 2), 2), ((6, 4, 2), (2, 3, 2, 3), 1)])
def test_grad_w1111_finite_differences(shape):
    (H, W, C), (kh, kw, _, K), O = shape
    rng = np.random.default_rng(H + K)
    I, w, b = rng.normal(size=(H, W, C)), rng.normal(size=(kh, kw, C, K)), rng.normal(size=K)
    v, y_hat = rng.normal(size=(H - kh + 1, W - kw + 1, K, O)), rng.normal(size=O)
    sigma = lambda z: 1 / (1 + np.exp(-z))
    dsigma = lambda z: sigma(z) * (1 - sigma(z))
    got = grad_w1111(I, w, b, v, y_hat, sigma, dsigma)

    def f(val):
        w2 = w.copy()
        w2[0, 0, 0, 0] = val[0]
        return _sheet001_loss(I, w2, b, v, y_hat, sigma)

    num = numerical_gradient(f, np.array([w[0, 0, 0, 0]]))[0]
    assert isinstance(got, float)
    assert relative_error(np.array([got]), np.array([num])) < TOL
    # the full network's gradient: every other weight has its own derivative
    assert got != 0
    with pytest.raises(ValueError, match="channels"):
        grad_w1111(I, w[:, :, :1] if C > 1 else np.ones((kh, kw, 2, K)), b, v, y_hat, sigma, dsigma)


def test_epoch_loss_with_a_partial_last_minibatch_is_the_mean_over_examples():
    """batch_size 3 on 7 examples (3 + 3 + 1): the epoch loss weights each minibatch by its size.

    The oracle replays the same minibatches with an explicit loop over the examples: it adds
    every example's own loss at the moment its minibatch is trained on, then divides by N.
    """
    rng = np.random.default_rng(12)
    x, y = rng.normal(size=(7, 3)), np.eye(2)[rng.integers(0, 2, 7)]

    def fresh():
        return SequentialNet([DenseLayer(3, 4, "sigmoid", SGD(0.5), rng=np.random.default_rng(1)),
                              DenseLayer(4, 2, "sigmoid", SGD(0.5), rng=np.random.default_rng(2))])

    got = fresh().train(x, y, batch_size=3, epochs=2, rng=np.random.default_rng(0))
    net, order_rng, expected = fresh(), np.random.default_rng(0), []
    for _ in range(2):
        order, per_example = order_rng.permutation(7), []
        for start in range(0, 7, 3):
            idx = order[start:start + 3]
            out = net.forward(x[idx])
            per_example += [0.5 * float(np.sum((o - t) ** 2)) for o, t in zip(out, y[idx])]
            net.backward((out - y[idx]) / len(idx))
            net.update()
        expected.append(sum(per_example) / 7)
    np.testing.assert_allclose(got, expected, rtol=1e-12)
    # a single minibatch holding every example gives the full-batch loss of the starting weights
    full = fresh()
    first = full.loss_and_delta(x, y)[0]
    np.testing.assert_allclose(fresh().train(x, y, batch_size=7, epochs=1, rng=np.random.default_rng(0))[0], first)
