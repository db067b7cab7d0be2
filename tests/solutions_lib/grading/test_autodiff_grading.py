"""Week 6 through the checker: correct engines written differently pass, each name is graded alone.

The engines are student code (exec'd into a namespace of their own, as a notebook's cells are):
closures per node (micrograd) with a recursive schedule, and stored local derivatives with an
explicit stack and a ``backward`` that calls the student's own ``reverse_schedule``.
"""
import math

import numpy as np
import pytest

from checker import check
from checker.graph_drivers import ENGINE, DriverVar
from solutions_lib.grading.catalogue import make_cases
from solutions_lib.grading.graph_properties import schedule_failure

NAMES = ["Var", "reverse_schedule", "backward", "sheet_f", "sheet_L", "mlp_gradients_autodiff"]

GIVEN = '''
import math
import numpy as np

def sin(x): return x.sin() if hasattr(x, "parents") else math.sin(x)
def cos(x): return x.cos() if hasattr(x, "parents") else math.cos(x)
def exp(x): return x.exp() if hasattr(x, "parents") else math.exp(x)
def log(x): return x.log() if hasattr(x, "parents") else math.log(x)
def tanh(x): return x.tanh() if hasattr(x, "parents") else math.tanh(x)
'''

SHEETS_AND_MLP = '''
def sheet_f(x1, x2, theta):
    return sin(theta * x1 + x2) + theta * x2 ** 2

def sheet_L(x1, x2):
    v = x1 * x2
    return cos(v) + v + x1

def mlp_gradients_autodiff(x, y, V, W):
    x, y, V, W = (np.asarray(a, float) for a in (x, y, V, W))
    if V.shape[0] != x.shape[1] + 1 or W.shape[0] != V.shape[1] + 1 or y.shape != (len(x), W.shape[1]):
        raise ValueError("shapes do not fit")
    Vn = [[Var(v) for v in row] for row in V]
    Wn = [[Var(w) for w in row] for row in W]
    loss = 0.0
    for xn, yn in zip(x, y):
        h = [1.0] + [1 / (1 + exp(-sum((Vn[i][j] * xi for i, xi in enumerate([1.0, *xn])), Var(0.0))))
                     for j in range(V.shape[1])]
        for k in range(W.shape[1]):
            out = 1 / (1 + exp(-sum((Wn[j][k] * a for j, a in enumerate(h)), Var(0.0))))
            loss = (out - yn[k]) ** 2 * 0.5 + loss
    backward(loss)
    return np.array([[v.grad for v in r] for r in Vn]), np.array([[w.grad for w in r] for r in Wn])
'''

#: micrograd's style: a closure per node, ``_prev``; recursive schedule; backward calls the closures
CLOSURES = GIVEN + '''
class Var:
    def __init__(self, value, parents=()):
        self.value = float(value)
        self.parents = tuple(parents)
        self._prev = tuple(p for p, _ in self.parents)
        self.grad = 0.0
        self._backward = lambda: None

    def _op(self, value, pairs):
        out = Var(value, pairs)
        def _backward():
            for p, d in pairs:
                p.grad += d * out.grad
        out._backward = _backward
        return out

    def __add__(self, o):
        o = o if isinstance(o, Var) else Var(o)
        return self._op(self.value + o.value, ((self, 1.0), (o, 1.0)))
    __radd__ = __add__
    def __mul__(self, o):
        o = o if isinstance(o, Var) else Var(o)
        return self._op(self.value * o.value, ((self, o.value), (o, self.value)))
    __rmul__ = __mul__
    def __neg__(self): return self * -1
    def __sub__(self, o): return self + (-o)
    def __rsub__(self, o): return (-self) + o
    def __truediv__(self, o): return self * o ** -1 if isinstance(o, Var) else self * (1.0 / o)
    def __rtruediv__(self, o): return self ** -1 * o
    def __pow__(self, n): return self._op(self.value ** n, ((self, n * self.value ** (n - 1)),))
    def sin(self): return self._op(math.sin(self.value), ((self, math.cos(self.value)),))
    def cos(self): return self._op(math.cos(self.value), ((self, -math.sin(self.value)),))
    def exp(self): return self._op(math.exp(self.value), ((self, math.exp(self.value)),))
    def log(self): return self._op(math.log(self.value), ((self, 1 / self.value),))
    def tanh(self):
        t = math.tanh(self.value)
        return self._op(t, ((self, 1 - t * t),))

def reverse_schedule(output):
    if not hasattr(output, "_prev"):
        raise ValueError("not a Var")
    topo, visited = [], set()
    def build(v):
        if v not in visited:
            visited.add(v)
            for child in v._prev:
                build(child)
            topo.append(v)
    build(output)
    return list(reversed(topo))

def backward(output):
    if not isinstance(output, Var):
        raise ValueError("not a Var")
    topo, visited = [], set()
    def build(v):
        if v not in visited:
            visited.add(v)
            for child in v._prev:
                build(child)
            topo.append(v)
    build(output)
    for v in topo:
        v.grad = 0.0
    output.grad = 1.0
    for v in reversed(topo):
        v._backward()
''' + SHEETS_AND_MLP

#: stored local derivatives; explicit stack; backward composes the student's reverse_schedule
STORED = GIVEN + '''
class Var:
    def __init__(self, value, parents=()):
        if isinstance(value, str):
            raise ValueError("not a number")
        self.value, self.parents, self.grad = float(value), tuple(parents), 0.0
    @staticmethod
    def _v(x): return x if isinstance(x, Var) else Var(x)
    def __add__(self, o): o = Var._v(o); return Var(self.value + o.value, ((self, 1.0), (o, 1.0)))
    def __radd__(self, o): return Var._v(o) + self
    def __sub__(self, o): o = Var._v(o); return Var(self.value - o.value, ((self, 1.0), (o, -1.0)))
    def __rsub__(self, o): return Var._v(o) - self
    def __mul__(self, o): o = Var._v(o); return Var(self.value * o.value, ((self, o.value), (o, self.value)))
    def __rmul__(self, o): return Var._v(o) * self
    def __truediv__(self, o): o = Var._v(o); return self * o ** -1
    def __rtruediv__(self, o): return Var._v(o) * self ** -1
    def __neg__(self): return Var(-self.value, ((self, -1.0),))
    def __pow__(self, n): return Var(self.value ** n, ((self, n * self.value ** (n - 1)),))
    def sin(self): return Var(math.sin(self.value), ((self, math.cos(self.value)),))
    def cos(self): return Var(math.cos(self.value), ((self, -math.sin(self.value)),))
    def exp(self): return Var(math.exp(self.value), ((self, math.exp(self.value)),))
    def log(self):
        if self.value <= 0: raise ValueError("log of a non-positive value")
        return Var(math.log(self.value), ((self, 1 / self.value),))
    def tanh(self): t = math.tanh(self.value); return Var(t, ((self, 1 - t * t),))

def reverse_schedule(output):
    if not isinstance(output, Var):
        raise ValueError("not a Var")
    order, seen, stack = [], set(), [(output, False)]
    while stack:
        node, expanded = stack.pop()
        if expanded:
            order.append(node)
        elif id(node) not in seen:
            seen.add(id(node))
            stack.append((node, True))
            stack.extend((p, False) for p, _ in node.parents)
    return order[::-1]

def backward(output):
    schedule = reverse_schedule(output)
    for n in schedule:
        n.grad = 0.0
    output.grad = 1.0
    for n in schedule:
        for p, d in n.parents:
            p.grad += d * n.grad
''' + SHEETS_AND_MLP

ENGINES = {"closures_recursive": CLOSURES, "stored_explicit_stack": STORED}


def _namespace(source):
    ns = {"__name__": "__main__"}
    exec(compile(source, "<student>", "exec"), ns)
    return ns


@pytest.mark.parametrize("engine", sorted(ENGINES))
@pytest.mark.parametrize("name", NAMES)
def test_a_correct_engine_written_differently_passes(engine, name, capsys):
    ns = _namespace(ENGINES[engine])
    check(name, ns[name])
    assert capsys.readouterr().out.strip() == f"{name}: {len(make_cases(name))} cases passed"


def test_the_engine_works_in_its_own_namespace_too():
    for source in ENGINES.values():
        ns = _namespace(source)
        x1, x2 = ns["Var"](1.0), ns["Var"](2.0)
        ns["backward"](ns["sheet_L"](x1, x2))
        assert (x1.grad, x2.grad) == (pytest.approx(3 - 2 * math.sin(2)), pytest.approx(1 - math.sin(2)))


def test_each_name_is_graded_alone_and_the_globals_come_back():
    """A broken Var, reverse_schedule and backward cost only their own questions."""
    ns = _namespace(STORED)
    ns["reverse_schedule"] = lambda output: [output]                    # broken schedule
    with pytest.raises(AssertionError):
        check("reverse_schedule", ns["reverse_schedule"])
    check("backward", ns["backward"])                                    # composes the broken one: still passes
    broken_backward = ns["backward"] = lambda output: None
    broken_var = ns["Var"] = DriverVar.__mro__[1]                        # object: no operators at all
    for name in ("sheet_f", "sheet_L", "mlp_gradients_autodiff"):
        check(name, ns[name])
    assert ns["backward"] is broken_backward and ns["Var"] is broken_var
    assert ns["reverse_schedule"] is not ENGINE["reverse_schedule"]


def test_a_sheet_function_that_leaves_the_graph_is_told_so():
    ns = _namespace(STORED)
    exec("def sheet_L(x1, x2):\n    return math.cos(x1.value * x2.value) + x1.value * x2.value + x1.value", ns)
    with pytest.raises(AssertionError, match="must return the output node"):
        check("sheet_L", ns["sheet_L"])


def test_a_schedule_is_judged_by_its_properties():
    diamond = {"args": [[[1.0, []], [2.0, [[0, 1.0]]], [3.0, [[0, 1.0]]], [4.0, [[1, 1.0], [2, 1.0]]]]]}
    assert schedule_failure(diamond, [3, 1, 2, 0]) is None
    assert schedule_failure(diamond, [3, 2, 1, 0]) is None
    assert schedule_failure(diamond, [3, 1, 0, 2])[1] == "parents_before_children"
    assert schedule_failure(diamond, [3, 1, 0, 2, 0])[1] == "node_visited_twice"
    assert "missing" in schedule_failure(diamond, [3, 1, 2])[0]
    assert "not a node" in schedule_failure(diamond, [3, 1, 2, 0, -1])[0]


def test_driver_var_agrees_with_finite_differences():
    from checker.graph_drivers import driver_backward

    def f(a, b):
        return (a * b).tanh() / (b ** 2 + 1.0) - (a - 3.0).exp() + (2.0 - b).cos() * a.log()

    a0, b0 = 1.3, -0.4
    a, b = DriverVar(a0), DriverVar(b0)
    driver_backward(f(a, b))
    h = 1e-6
    num_a = (f(DriverVar(a0 + h), DriverVar(b0)).value - f(DriverVar(a0 - h), DriverVar(b0)).value) / (2 * h)
    num_b = (f(DriverVar(a0), DriverVar(b0 + h)).value - f(DriverVar(a0), DriverVar(b0 - h)).value) / (2 * h)
    np.testing.assert_allclose([a.grad, b.grad], [num_a, num_b], rtol=1e-7)
