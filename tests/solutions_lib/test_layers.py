"""Tests of solutions_lib.layers: finite differences for every backward, dropout statistics."""
import numpy as np
import pytest

from solutions_lib.gradcheck import numerical_gradient, relative_error
from solutions_lib.layers import ConvLayer, DenseLayer, DropoutLayer, FlattenLayer, MaxPoolLayer, expected_output
from solutions_lib.optimizers import SGD, Momentum

TOL = 1e-6


def check_layer_gradients(layer, x, param_names):
    """C = Σ R ⊙ forward(x); compare backward's dx and stored parameter grads with FD."""
    rng = np.random.default_rng(99)
    out = layer.forward(x)
    R = rng.normal(size=out.shape)
    dx = layer.backward(R)
    grads = {n: getattr(layer, "d" + n).copy() for n in param_names}
    assert relative_error(dx, numerical_gradient(lambda v: np.sum(R * layer.forward(v)), x.copy())) < TOL
    for n in param_names:
        p = getattr(layer, n)

        def f(v, n=n, p=p):
            old = p.copy()
            p[...] = v
            val = np.sum(R * layer.forward(x))
            p[...] = old
            return val

        assert relative_error(grads[n], numerical_gradient(f, p.copy())) < TOL, n


@pytest.mark.parametrize("activation", ["identity", "relu", "sigmoid"])
def test_dense_layer_backward(activation):
    rng = np.random.default_rng(1)
    layer = DenseLayer(4, 3, activation=activation, rng=rng)
    layer.b[...] = rng.normal(size=3)
    check_layer_gradients(layer, rng.normal(size=(5, 4)), ["W", "b"])
    assert layer.W.shape == (4, 3) and layer.b.shape == (3,)


def test_dense_layer_update_and_alias():
    layer = DenseLayer(2, 2, activation="identity", optimizer=SGD(0.5), rng=np.random.default_rng(0))
    x = np.array([[1.0, 2.0]])
    np.testing.assert_allclose(layer.evaluate(x), x @ layer.W + layer.b)
    W0 = layer.W.copy()
    layer.backprop(np.array([[1.0, -1.0]]))
    layer.update()
    np.testing.assert_allclose(layer.W, W0 - 0.5 * x.T @ np.array([[1.0, -1.0]]))
    np.testing.assert_allclose(layer.b, [-0.5, 0.5])


def test_shared_optimizer_is_copied_per_layer():
    opt = Momentum(0.1, 0.9)
    a = DenseLayer(2, 2, optimizer=opt, rng=np.random.default_rng(0))
    b = DenseLayer(3, 3, optimizer=opt, rng=np.random.default_rng(0))
    for layer, n in ((a, 2), (b, 3)):
        layer.forward(np.ones((1, n)))
        layer.backward(np.ones((1, n)))
        layer.update()  # would fail on shape if the velocity were shared


@pytest.mark.parametrize("stride,padding,activation", [(1, 0, "relu"), (1, 2, "relu"), (2, 1, "sigmoid"),
                                                      (1, 1, "identity")])
def test_conv_layer_backward(stride, padding, activation):
    rng = np.random.default_rng(stride * 10 + padding)
    layer = ConvLayer(3, 3, 2, 3, stride=stride, padding=padding, activation=activation, rng=rng)
    layer.b[...] = rng.normal(size=3)
    check_layer_gradients(layer, rng.normal(size=(2, 6, 5, 2)), ["w", "b"])


def test_maxpool_and_flatten_backward():
    rng = np.random.default_rng(4)
    x = rng.normal(size=(2, 4, 6, 3))  # continuous values: no ties, FD is exact away from kinks
    check_layer_gradients(MaxPoolLayer(2, 2), x, [])
    check_layer_gradients(FlattenLayer(), x, [])
    assert FlattenLayer().forward(x).shape == (2, 72)


def test_dropout_backward_fixed_mask():
    rng = np.random.default_rng(5)
    layer = DropoutLayer(p=0.6, rng=np.random.default_rng(0))
    x = rng.normal(size=(4, 10))
    out = layer.forward(x)
    mask = layer.mask.copy()
    assert mask.shape == (1, 10)
    assert set(np.unique(mask)) <= {0.0, 1 / 0.6}
    np.testing.assert_allclose(out, x * mask)
    R = rng.normal(size=x.shape)
    dx = layer.backward(R)
    np.testing.assert_allclose(dx, numerical_gradient(lambda v: np.sum(R * v * mask), x.copy()), rtol=1e-7)
    np.testing.assert_array_equal(dx, R * mask)  # the stored mask, not a fresh one
    layer.update()  # does nothing
    np.testing.assert_array_equal(layer.mask, mask)


@pytest.mark.parametrize("p", [0.3, 0.5, 0.8, 1.0])
def test_dropout_expected_output(p):
    """Mean of T draws of Bernoulli(p)/p has std sqrt((1-p)/(p T)); allow 5 of them (+ 1e-12)."""
    a = np.linspace(-2, 3, 12).reshape(2, 6)
    trials = 4000
    est = expected_output(DropoutLayer(p=p, rng=np.random.default_rng(17)), a, trials)
    tol = 5 * np.sqrt((1 - p) / (p * trials)) * np.abs(a) + 1e-12
    assert np.all(np.abs(est - a) <= tol)


def test_dropout_scale_is_not_one_over_one_minus_p():
    a = np.ones((1, 2000))
    est = expected_output(DropoutLayer(p=0.8, rng=np.random.default_rng(1)), a, 50)
    assert abs(est.mean() - 1.0) < 0.05  # the wrong scale 1/(1-p) would give 4.0


def test_dropout_eval_is_identity():
    layer = DropoutLayer(p=0.3, trainable=False, rng=np.random.default_rng(0))
    x = np.random.default_rng(1).normal(size=(3, 5))
    np.testing.assert_array_equal(layer.forward(x), x)
    np.testing.assert_array_equal(layer.backward(x), x)


@pytest.mark.parametrize("p", [0, -0.1, 1.5, np.nan, "0.5"])
def test_dropout_bad_p(p):
    with pytest.raises(ValueError, match="p must lie"):
        DropoutLayer(p=p)


def test_bad_input():
    with pytest.raises(ValueError, match="activation"):
        DenseLayer(2, 2, activation="tanh")
    layer = DenseLayer(3, 2, rng=np.random.default_rng(0))
    with pytest.raises(ValueError, match="mismatch"):
        layer.forward(np.ones((2, 4)))
    with pytest.raises(ValueError, match="before forward"):
        DenseLayer(3, 2).backward(np.ones((1, 2)))
    layer.forward(np.ones((2, 3)))
    with pytest.raises(ValueError, match="delta"):
        layer.backward(np.ones((2, 3)))
    with pytest.raises(ValueError, match="mismatch"):
        ConvLayer(3, 3, 2, 4).forward(np.ones((1, 5, 5, 3)))


def test_dropout_one_mask_per_minibatch_and_a_new_one_per_forward():
    """The sheet asks one mask (1, F) for the whole minibatch; each forward draws anew."""
    layer = DropoutLayer(p=0.5, rng=np.random.default_rng(3))
    x = np.random.default_rng(4).uniform(0.5, 2.0, size=(6, 200))
    out = layer.forward(x)
    ratio = out / x
    np.testing.assert_allclose(ratio, np.broadcast_to(ratio[:1], x.shape))
    first = layer.mask.copy()
    layer.forward(x)
    assert not np.array_equal(first, layer.mask)  # P(equal) = 2^-200


def test_dropout_kept_fraction_is_p_by_hoeffding():
    """Oracle: the kept fraction of 200 000 Bernoulli(p) draws leaves p by more than
    sqrt(ln(2/1e-12) / (2 * 200000)) = 0.0118 with probability below 1e-12 (Hoeffding)."""
    for p in (0.5, 0.65, 0.8):
        layer = DropoutLayer(p=p, rng=np.random.default_rng(8))
        kept = np.mean([layer.forward(np.ones((1, 2000)))[0] != 0 for _ in range(100)])
        assert abs(kept - p) < 0.0118


def test_expected_output_equals_a_naive_loop():
    """Oracle: with a stand-in layer cycling through known masks, the Monte-Carlo mean is exact."""
    class Cycle:
        def __init__(self, masks):
            self.masks, self.t = masks, 0

        def forward(self, a):
            self.t += 1
            return a * self.masks[(self.t - 1) % len(self.masks)]

    rng = np.random.default_rng(6)
    a, masks = rng.normal(size=(3, 4)), rng.binomial(1, 0.6, size=(5, 1, 4)) / 0.6
    naive = sum(a * masks[t % 5] for t in range(10)) / 10
    np.testing.assert_allclose(expected_output(Cycle(masks), a, 10), naive, rtol=1e-12)


@pytest.mark.parametrize("trials", [0, -1, 2.5])
def test_expected_output_bad_trials(trials):
    with pytest.raises(ValueError):
        expected_output(DropoutLayer(p=0.5), np.ones((1, 2)), trials)


def test_dropout_sheet_scale_is_right_only_at_one_half():
    """The erratum: E[output] = p / (1 - p) * input with the sheet's scale 1/(1-p)."""
    for p in np.linspace(0.5, 0.8, 7):
        layer = DropoutLayer(p=p, rng=np.random.default_rng(9))
        est = expected_output(layer, np.ones((1, 4000)), 20).mean()   # 80 000 draws
        assert abs(est - 1.0) < 0.02
        assert abs(est * p / (1 - p) - p / (1 - p)) < 0.02 * p / (1 - p)
        assert np.isclose(p / (1 - p), 1.0) == np.isclose(p, 0.5)


@pytest.mark.parametrize("activation,variance", [("relu", 2.0), ("sigmoid", 1.0), ("identity", 1.0)])
def test_dense_layer_initial_weights_per_activation(activation, variance):
    """W ~ N(0, variance / n_in), b = 0; 20000 draws put the sample std within 2 % (about 4 sigma)."""
    n_in = 400
    layer = DenseLayer(n_in, 50, activation=activation, rng=np.random.default_rng(4))
    assert abs(layer.W.std() * np.sqrt(n_in / variance) - 1.0) < 0.02
    assert abs(layer.W.mean()) < 0.03 * layer.W.std()
    np.testing.assert_array_equal(layer.b, np.zeros(50))


def test_dense_layer_keeps_its_own_copy_of_the_optimizer():
    opt = Momentum(0.1, 0.9)
    layer = DenseLayer(2, 2, optimizer=opt, rng=np.random.default_rng(0))
    assert layer.optimizer is not opt and isinstance(layer.optimizer, Momentum)
