"""Tests of solutions_lib.autodiff: sheet numbers, finite differences on random graphs."""
import math

import numpy as np
import pytest

from solutions_lib import autodiff as ad
from solutions_lib.autodiff import Var, backward, reverse_schedule, sheet_f, sheet_L
from solutions_lib.gradcheck import numerical_gradient, relative_error


def test_sheet_001_ex4():
    x1, x2, th = Var(0.7), Var(-1.3), Var(0.4)
    f = sheet_f(x1, x2, th)
    backward(f)
    s = 0.4 * 0.7 - 1.3
    assert f.value == pytest.approx(math.sin(s) + 0.4 * 1.3 ** 2, rel=1e-14)
    assert th.grad == pytest.approx(0.7 * math.cos(s) + 1.3 ** 2, rel=1e-14)
    assert x1.grad == pytest.approx(0.4 * math.cos(s), rel=1e-14)
    assert x2.grad == pytest.approx(math.cos(s) + 2 * 0.4 * -1.3, rel=1e-14)


def test_sheet_003_ex4():
    x1, x2 = Var(1.0), Var(2.0)
    backward(sheet_L(x1, x2))
    assert x1.grad == pytest.approx(-math.sin(2) * 2 + 2 + 1, rel=1e-14)
    assert x2.grad == pytest.approx(-math.sin(2) + 1, rel=1e-14)
    assert x1.grad == pytest.approx(1.1814, abs=5e-5)   # errata: not 1.19
    assert x2.grad == pytest.approx(0.0907, abs=5e-5)


def _children_map(nodes):
    children = {id(n): [] for n in nodes}
    for n in nodes:
        for p, _ in n.parents:
            children[id(p)].append(n)
    return children


def test_reverse_schedule_on_sheet_f():
    x1, x2, th = Var(1.0), Var(2.0), Var(3.0)
    out = sheet_f(x1, x2, th)
    sched = reverse_schedule(out)
    assert sched[0] is out
    assert len(sched) == 9  # f1..f6 and x1, x2, θ, as in the sheet's full schedule
    assert len({id(n) for n in sched}) == len(sched)
    assert {id(x1), id(x2), id(th)} <= {id(n) for n in sched}
    pos = {id(n): k for k, n in enumerate(sched)}
    for n in sched:
        for child in _children_map(sched)[id(n)]:
            assert pos[id(child)] < pos[id(n)], "a node comes before one of its children"


def test_operators_with_numbers_both_sides():
    x = Var(1.5)
    exprs = {
        "x+2": (lambda v: v + 2, 1.0), "2+x": (lambda v: 2 + v, 1.0),
        "x-2": (lambda v: v - 2, 1.0), "2-x": (lambda v: 2 - v, -1.0),
        "3*x": (lambda v: 3 * v, 3.0), "x*3": (lambda v: v * 3, 3.0),
        "-x": (lambda v: -v, -1.0), "x**3": (lambda v: v ** 3, 3 * 1.5 ** 2),
        "x**-0.5": (lambda v: v ** -0.5, -0.5 * 1.5 ** -1.5), "2**x": (lambda v: 2 ** v, 2 ** 1.5 * math.log(2)),
        "x/4": (lambda v: v / 4, 0.25), "3/x": (lambda v: 3 / v, -3 / 1.5 ** 2),
    }
    for name, (fn, d) in exprs.items():
        out = fn(x)
        backward(out)
        assert out.value == pytest.approx(fn(1.5)), name
        assert x.grad == pytest.approx(d, rel=1e-13), name


def _random_expression(rng, leaves):
    """A random graph using every operator and function, leaves and nodes used several times."""
    nodes = list(leaves)
    ops = ["add", "sub", "mul", "pow", "neg", "sin", "cos", "exp", "log", "tanh", "radd", "rsub", "rmul", "powvar"]
    for op in list(ops) + list(rng.choice(ops, size=12)):
        a = nodes[rng.integers(len(nodes))]
        b = nodes[rng.integers(len(nodes))]
        if op == "add":
            n = a + b
        elif op == "sub":
            n = a - b
        elif op == "mul":
            n = a * b
        elif op == "pow":
            n = a ** int(rng.integers(2, 4))
        elif op == "neg":
            n = -a
        elif op == "sin":
            n = ad.sin(a)
        elif op == "cos":
            n = ad.cos(a)
        elif op == "exp":
            n = ad.exp(ad.tanh(a))
        elif op == "log":
            n = ad.log(a * a + 1.0)
        elif op == "tanh":
            n = ad.tanh(a)
        elif op == "radd":
            n = 0.5 + a
        elif op == "rsub":
            n = 1.0 - a
        elif op == "rmul":
            n = 0.3 * a
        else:
            n = (ad.exp(ad.tanh(a))) ** ad.tanh(b)
        nodes.append(ad.tanh(n) if abs(n.value) > 5 else n)
    out = nodes[-1]
    for n in nodes[len(leaves):-1:3]:
        out = out + n  # reuse intermediate nodes
    return out


@pytest.mark.parametrize("seed", range(6))
def test_backward_against_finite_differences(seed):
    rng = np.random.default_rng(seed)
    x0 = rng.uniform(-1, 1, size=3)

    def build(x):
        gen = np.random.default_rng(1000 + seed)  # same graph for every x
        return _random_expression(gen, [Var(v) for v in x])

    def value(x):
        return build(x).value

    gen = np.random.default_rng(1000 + seed)
    leaves = [Var(v) for v in x0]
    out = _random_expression(gen, leaves)
    backward(out)
    grad = np.array([v.grad for v in leaves])
    assert relative_error(grad, numerical_gradient(value, x0.copy())) < 1e-7


def test_node_used_twice_accumulates():
    x = Var(3.0)
    y = x * x + x
    backward(y)
    assert x.grad == pytest.approx(7.0)
    backward(y)  # a second backward starts from zero again
    assert x.grad == pytest.approx(7.0)


def test_mlp_gradients_autodiff_equals_backprop():
    from solutions_lib.dense import two_layer_gradients

    rng = np.random.default_rng(5)
    x, y = rng.normal(size=(4, 3)), rng.uniform(size=(4, 2))
    V, W = rng.normal(size=(4, 3)), rng.normal(size=(4, 2))
    dV, dW = ad.mlp_gradients_autodiff(x, y, V, W)
    rV, rW = two_layer_gradients(x, y, V, W)
    np.testing.assert_allclose(dV, rV, rtol=1e-10, atol=1e-13)
    np.testing.assert_allclose(dW, rW, rtol=1e-10, atol=1e-13)


def test_bad_input():
    with pytest.raises(ValueError, match="log"):
        ad.log(Var(0.0))
    assert ad.sin(1.0) == math.sin(1.0)  # plain numbers go to math
    with pytest.raises(ValueError, match="Var or a number"):
        ad.sin("a")
    with pytest.raises(ValueError, match="log"):
        ad.log(-1.0)
    with pytest.raises(ValueError, match="real number"):
        Var(True)
    with pytest.raises(ValueError, match="no derivative"):
        Var(0.0) ** 0.5
    with pytest.raises(ValueError, match="node"):
        reverse_schedule(2.0)
    with pytest.raises(ValueError, match="node"):
        backward(Var(1.0).value)
    with pytest.raises(ValueError, match="real number"):
        Var("a")
    with pytest.raises(ValueError):
        Var(1.0) + "a"
    with pytest.raises(ValueError, match="rows"):
        ad.mlp_gradients_autodiff(np.ones((2, 3)), np.ones((2, 1)), np.ones((3, 2)), np.ones((3, 1)))


def test_sheet_003_reverse_pass_erratum():
    """The sheet's ∂L/∂v0 = 1.09 multiplies (1 - sin 2) by v0 = 1; the factor is v1 = x2 = 2."""
    x1, x2 = Var(1.0), Var(2.0)
    v2 = x1 * x2
    L = v2.cos() + v2 + x1
    backward(L)
    assert v2.grad == pytest.approx(1 - math.sin(2))
    assert x1.grad == pytest.approx((1 - math.sin(2)) * 2.0 + 1)
    assert x1.grad != pytest.approx(1.09, abs=5e-3)


def test_sheet_functions_on_numbers_are_their_values():
    assert sheet_f(0.7, -1.3, 0.4) == pytest.approx(math.sin(0.4 * 0.7 - 1.3) + 0.4 * 1.3 ** 2)
    assert sheet_L(1.0, 2.0) == pytest.approx(math.cos(2) + 3)


class _OtherNode:
    """A different node class with the same interface: the graph functions must not care."""

    def __init__(self, value, parents=()):
        self.value, self.parents, self.grad = float(value), tuple(parents), 0.0

    def __add__(self, o):
        o = o if isinstance(o, _OtherNode) else _OtherNode(o)
        return _OtherNode(self.value + o.value, ((self, 1.0), (o, 1.0)))

    __radd__ = __add__

    def __mul__(self, o):
        o = o if isinstance(o, _OtherNode) else _OtherNode(o)
        return _OtherNode(self.value * o.value, ((self, o.value), (o, self.value)))

    __rmul__ = __mul__

    def __pow__(self, n):
        return _OtherNode(self.value ** n, ((self, n * self.value ** (n - 1)),))

    def sin(self):
        return _OtherNode(math.sin(self.value), ((self, math.cos(self.value)),))

    def cos(self):
        return _OtherNode(math.cos(self.value), ((self, -math.sin(self.value)),))


def test_graph_functions_work_on_any_node_class():
    x1, x2, th = _OtherNode(0.7), _OtherNode(-1.3), _OtherNode(0.4)
    f = sheet_f(x1, x2, th)
    assert len(reverse_schedule(f)) == 9
    backward(f)
    assert th.grad == pytest.approx(0.7 * math.cos(0.4 * 0.7 - 1.3) + 1.3 ** 2)
    a, b = _OtherNode(1.0), _OtherNode(2.0)
    backward(sheet_L(a, b))
    assert (a.grad, b.grad) == (pytest.approx(1.1814, abs=5e-5), pytest.approx(0.0907, abs=5e-5))
