"""Week 6 catalogue — reverse-mode automatic differentiation: hidden cases, typical mistakes, alternatives.

Each graded name is tested alone (the drivers are in :mod:`checker.graph_drivers`): ``Var`` runs
small programs with the student's class (values, ``grad`` at creation, local derivatives);
``reverse_schedule`` and ``backward`` get graphs of the driver's own nodes, described by numbers
(node ``i`` = ``[value, [[parent index, ∂i/∂parent], ...]]``, the output last), and a schedule is
judged by its properties (:mod:`solutions_lib.grading.graph_properties`), since many are correct;
``sheet_f``, ``sheet_L`` get driver-made leaves and ``mlp_gradients_autodiff`` week 3's cases of
``two_layer_gradients``, all three run with the driver's ``Var`` and ``backward``.
"""
from __future__ import annotations

import numpy as np

from solutions_lib.grading.catalogue import Week, case, error
from solutions_lib.grading.weeks.w03_dense_backprop import _two_layer_cases

week = Week("w06_autodiff")


# ======================================================================================
# hidden cases
# ======================================================================================

#: the sheet-001 graph of f(x1, x2, θ) = sin(θ x1 + x2) + θ x2² as a ``var_ops`` program
def _sheet_program(x1, x2, theta):
    return [["leaf", x1], ["leaf", x2], ["leaf", theta], ["mul", 2, 0], ["add", 3, 1], ["sin", 4],
            ["pow_num", 1, 2.0], ["mul", 2, 6], ["add", 5, 7]]


def _random_program(r, steps):
    """Leaves in (-1.5, 1.5), then random steps; tanh now and then keeps the values moderate."""
    prog = [["leaf", float(v)] for v in r.uniform(-1.5, 1.5, 3)]
    binary = ["add", "sub", "mul"]
    numeric = ["add_num", "num_add", "sub_num", "num_sub", "mul_num", "num_mul"]
    unary = ["neg", "sin", "cos", "tanh"]
    for _ in range(steps):
        n = len(prog)
        kind = r.integers(4)
        i, j = int(r.integers(n)), int(r.integers(n))
        if kind == 0:
            prog.append([binary[r.integers(3)], i, j])
        elif kind == 1:
            prog.append([numeric[r.integers(6)], i, float(np.round(r.uniform(-2, 2), 3))])
        elif kind == 2:
            prog.append([unary[r.integers(4)], i])
        else:
            prog.append(["tanh", i])
            prog.append(["pow_num", n, float(r.choice([2.0, 3.0, 4.0]))])
    return prog


@week.cases("Var")
def _var_cases(r):
    x1, x2, th = (float(v) for v in r.uniform(-1.5, 1.5, 3))
    cases = [case("the sheet-001 graph f = sin(θ·x1 + x2) + θ·x2², node by node", [_sheet_program(x1, x2, th)],
                  driver="var_ops")]
    x, c = float(r.uniform(0.5, 2.0)), float(np.round(r.uniform(1, 3), 3))
    cases.append(case(f"x = {x:.4g} with the number {c} on either side: x+c, c+x, x-c, c-x, x*c, c*x, -x",
                      [[["leaf", x], ["add_num", 0, c], ["num_add", 0, c], ["sub_num", 0, c], ["num_sub", 0, c],
                        ["mul_num", 0, c], ["num_mul", 0, c], ["neg", 0]]], driver="var_ops"))
    cases.append(case(f"powers x**n of x = {x:.4g}, n = 3, -1, 0.5, 2, 1.5, 4, 1",
                      [[["leaf", x]] + [["pow_num", 0, n] for n in (3.0, -1.0, 0.5, 2.0, 1.5, 4.0, 1.0)]],
                      driver="var_ops"))
    y = float(r.uniform(0.3, 2.0))
    cases.append(case(f"sin, cos, exp, log, tanh of {y:.4g}",
                      [[["leaf", y]] + [[f, 0] for f in ("sin", "cos", "exp", "log", "tanh")]], driver="var_ops"))
    z = float(r.uniform(-2, -0.5))
    cases.append(case(f"sin, cos, exp, tanh of the negative {z:.4g}",
                      [[["leaf", z]] + [[f, 0] for f in ("sin", "cos", "exp", "tanh")]], driver="var_ops"))
    cases.append(case(f"a node used twice in one operation: x*x, x+x, x-x for x = {z:.4g}",
                      [[["leaf", z], ["mul", 0, 0], ["add", 0, 0], ["sub", 0, 0]]], driver="var_ops"))
    for steps in (10, 25):
        cases.append(case(f"a random graph of {steps} operations", [_random_program(r, steps)], driver="var_ops"))
    cases.append(error("Var('a'): the value is not a number", [[["leaf", "a"]]], driver="var_ops"))
    cases.append(error("log of a negative node", [[["leaf", -2.0], ["log", 0]]], driver="var_ops"))
    return cases


def _random_graph(r, n_leaves, n_ops, twice=0.15):
    """``[value, [[parent, local], ...]]`` nodes: random DAG, shared nodes, some nodes unused."""
    nodes = [[float(v), []] for v in r.uniform(-1, 1, n_leaves)]
    for _ in range(n_ops):
        n = len(nodes)
        # parents mostly among the recent nodes (long paths), sometimes anywhere (sharing)
        lo = max(0, n - 6) if r.uniform() < 0.7 else 0
        i = int(r.integers(lo, n))
        if r.uniform() < twice:
            parents = [[i, float(r.uniform(-2, 2))], [i, float(r.uniform(-2, 2))]]
        elif r.uniform() < 0.3:
            parents = [[i, float(r.uniform(-2, 2))]]
        else:
            j = int(r.integers(0, n))
            parents = [[i, float(r.uniform(-2, 2))], [j, float(r.uniform(-2, 2))]]
        nodes.append([float(r.uniform(-1, 1)), parents])
    return nodes


def _sheet_graph(x1, x2, th):
    """The sheet-001 graph as numbers: x1, x2, θ, f1 = θx1, f2 = f1 + x2, f3 = sin f2, f4 = x2², f5 = θf4, f6."""
    f1, f4 = th * x1, x2 * x2
    f2 = f1 + x2
    return [[x1, []], [x2, []], [th, []], [f1, [[2, x1], [0, th]]], [f2, [[3, 1.0], [1, 1.0]]],
            [float(np.sin(f2)), [[4, float(np.cos(f2))]]], [f4, [[1, 2 * x2]]], [th * f4, [[2, f4], [6, th]]],
            [float(np.sin(f2) + th * f4), [[5, 1.0], [7, 1.0]]]]


def _diamond():
    """x -> a, b -> c (x reached along two paths), and a node d nobody uses."""
    return [[1.5, []], [3.0, [[0, 2.0]]], [0.5, [[0, -1.0]]], [9.0, [[0, 4.0]]], [2.0, [[1, 0.5], [2, 3.0]]]]


def _graph_cases(r, driver):
    x1, x2, th = (float(v) for v in r.uniform(-1.5, 1.5, 3))
    cases = [case("the sheet-001 graph of f(x1, x2, θ) (nodes x1, x2, θ, f1 … f6)", [_sheet_graph(x1, x2, th)],
                  driver=driver),
             case("a diamond: x feeds a and b, both feed the output; one node unused", [_diamond()], driver=driver),
             case("the output is a leaf", [[[0.7, []]]], driver=driver),
             case("one node that uses the same parent twice (x*x)", [[[1.5, []], [2.25, [[0, 1.5], [0, 1.5]]]]],
                  driver=driver),
             case("a chain of 200 nodes", [[[0.3, []]] + [[0.0, [[k, 0.99]]] for k in range(200)]], driver=driver)]
    for leaves, ops in ((2, 8), (3, 20), (4, 60), (5, 150)):
        cases.append(case(f"a random graph: {leaves} leaves, {ops} operations, shared nodes",
                          [_random_graph(r, leaves, ops)], driver=driver))
    cases.append(error("the output is a plain number, not a Var", [[]], {"not_a_node": 2.5}, driver=driver))
    return cases


@week.cases("reverse_schedule")
def _schedule_cases(r):
    return _graph_cases(r, "schedule")


@week.cases("backward")
def _backward_cases(r):
    return _graph_cases(r, "backward")


@week.cases("sheet_f")
def _sheet_f_cases(r):
    cases = [case("x1 = 1, x2 = 2, θ = 3", [1.0, 2.0, 3.0], driver="sheet")]
    for _ in range(4):
        v = [float(a) for a in np.round(r.uniform(-2, 2, 3), 4)]
        cases.append(case(f"x1 = {v[0]}, x2 = {v[1]}, θ = {v[2]}", v, driver="sheet"))
    return cases


@week.cases("sheet_L")
def _sheet_L_cases(r):
    cases = [case("the sheet's point (1, 2)", [1.0, 2.0], driver="sheet")]
    for _ in range(4):
        v = [float(a) for a in np.round(r.uniform(-2, 2, 2), 4)]
        cases.append(case(f"x1 = {v[0]}, x2 = {v[1]}", v, driver="sheet"))
    return cases


@week.cases("mlp_gradients_autodiff")
def _mlp_cases(r):
    return [dict(c, driver="engine_call") for c in _two_layer_cases(r)]


# ======================================================================================
# typical mistakes
# ======================================================================================

class _Var:
    """A correct node, the base of the ``Var`` mistakes (each overrides one operation)."""

    def __init__(self, value, parents=()):
        if isinstance(value, str) or isinstance(value, _Var):
            raise ValueError("value must be a number")
        self.value = float(value)
        self.parents = tuple(parents)
        self.grad = 0.0

    def _node(self, value, parents):
        return type(self)(value, parents)

    def _lift(self, other):
        return other if isinstance(other, _Var) else type(self)(other)

    def __add__(self, other):
        other = self._lift(other)
        return self._node(self.value + other.value, ((self, 1.0), (other, 1.0)))

    def __radd__(self, other):
        return self + other

    def __sub__(self, other):
        other = self._lift(other)
        return self._node(self.value - other.value, ((self, 1.0), (other, -1.0)))

    def __rsub__(self, other):
        return self._lift(other) - self

    def __mul__(self, other):
        other = self._lift(other)
        return self._node(self.value * other.value, ((self, other.value), (other, self.value)))

    def __rmul__(self, other):
        return self * other

    def __neg__(self):
        return self._node(-self.value, ((self, -1.0),))

    def __pow__(self, n):
        return self._node(self.value ** n, ((self, n * self.value ** (n - 1)),))

    def sin(self):
        return self._node(np.sin(self.value), ((self, np.cos(self.value)),))

    def cos(self):
        return self._node(np.cos(self.value), ((self, -np.sin(self.value)),))

    def exp(self):
        return self._node(np.exp(self.value), ((self, np.exp(self.value)),))

    def log(self):
        if self.value <= 0:
            raise ValueError("log needs a positive argument")
        return self._node(np.log(self.value), ((self, 1.0 / self.value),))

    def tanh(self):
        return self._node(np.tanh(self.value), ((self, 1.0 - np.tanh(self.value) ** 2),))


@week.mistake("∂(a·b)/∂a is b and ∂(a·b)/∂b is a: the local derivatives of a product are swapped")
class Var__mul_local_derivatives_swapped(_Var):
    def __mul__(self, other):
        other = self._lift(other)
        return self._node(self.value * other.value, ((self, self.value), (other, other.value)))


@week.mistake("c - x is not x - c: __rsub__ was made the same as __sub__ (as __radd__ = __add__ is right)")
class Var__rsub_as_sub(_Var):
    def __rsub__(self, other):
        return self - other


@week.mistake("∂(x**n)/∂x = n·x**(n-1); 2·x is right only for n = 2")
class Var__pow_derivative_2x(_Var):
    def __pow__(self, n):
        return self._node(self.value ** n, ((self, 2 * self.value),))


@week.mistake("∂(cos x)/∂x = -sin x: the sign is missing")
class Var__cos_derivative_sign(_Var):
    def cos(self):
        return self._node(np.cos(self.value), ((self, np.sin(self.value)),))


def _preorder(output):
    """Depth-first, a node before its parents (NOT a reverse topological order on shared nodes)."""
    order, seen, stack = [], set(), [output]
    while stack:
        node = stack.pop()
        if id(node) in seen:
            continue
        seen.add(id(node))
        order.append(node)
        stack.extend(p for p, _ in reversed(node.parents))
    return order


def _postorder_repeating(output):
    """Reversed depth-first post-order without remembering visited nodes: shared nodes repeat."""
    order = []

    def visit(node):
        for p, _ in node.parents:
            visit(p)
        order.append(node)

    visit(output)
    return order[::-1]


def _need_node(output):
    if not (hasattr(output, "parents") and hasattr(output, "grad")):
        raise ValueError("expected a Var")


@week.mistake("a node is scheduled before all of its children have been (depth-first pre-order): "
              "visit a node only after every node computed from it")
def reverse_schedule__parents_before_children(output):
    _need_node(output)
    return _preorder(output)


@week.mistake("a node reached along two paths is scheduled twice: remember the nodes already visited")
def reverse_schedule__node_visited_twice(output):
    _need_node(output)
    return _postorder_repeating(output)


def _correct_order(output):
    order, seen = [], set()

    def visit(node):
        if id(node) in seen:
            return
        seen.add(id(node))
        for p, _ in node.parents:
            visit(p)
        order.append(node)

    visit(output)
    return order[::-1]


def _propagate(output, order, accumulate=True, reset=True):
    """The reverse pass along ``order``; the switches plant one mistake each."""
    if not hasattr(output, "parents"):
        return None                    # (these mistakes do not check their input)
    if reset:
        for node in order:
            node.grad = 0.0
    output.grad = 1.0
    for node in order:
        for parent, local in node.parents:
            parent.grad = parent.grad + local * node.grad if accumulate else local * node.grad


@week.mistake("parent.grad = … overwrites what other children already sent: a node used twice must "
              "accumulate, parent.grad += ∂f_c/∂f_n · t_c")
def backward__overwrite_instead_of_accumulate(output):
    return _propagate(output, _correct_order(output) if hasattr(output, "parents") else [], accumulate=False)


@week.mistake("the nodes are processed before all of their children have sent their share of t "
              "(depth-first pre-order): follow a reverse topological order")
def backward__parents_before_children(output):
    return _propagate(output, _preorder(output) if hasattr(output, "parents") else [])


@week.mistake("a node reached along two paths is processed twice, so its t is passed on twice: "
              "schedule each node once")
def backward__node_visited_twice(output):
    return _propagate(output, _postorder_repeating(output) if hasattr(output, "parents") else [])


@week.mistake("grad is not reset to 0 before the pass: a second call of backward adds to the first")
def backward__grad_not_reset(output):
    return _propagate(output, _correct_order(output) if hasattr(output, "parents") else [], reset=False)


def _sin(x):
    """``x.sin()`` for a node, ``np.sin`` for a plain number (as the notebook's ``sin``)."""
    return x.sin() if hasattr(x, "parents") else float(np.sin(x))


def _cos(x):
    """``x.cos()`` for a node, ``np.cos`` for a plain number (as the notebook's ``cos``)."""
    return x.cos() if hasattr(x, "parents") else float(np.cos(x))


@week.mistake("θ·x2² squares θ as well: (θ·x2)**2 is not θ·x2**2")
def sheet_f__theta_squared(x1, x2, theta):
    return _sin(theta * x1 + x2) + (theta * x2) ** 2


@week.mistake("np.sin of the node's .value is a plain number: the graph is cut there and no gradient "
              "flows through sin; use the node's own sin")
def sheet_f__sin_of_value_breaks_graph(x1, x2, theta):
    return float(np.sin((theta * x1 + x2).value)) + theta * x2 ** 2


@week.mistake("the last term + x1 of L is missing")
def sheet_L__last_x1_term_missing(x1, x2):
    v = x1 * x2
    return _cos(v) + v


@week.mistake("np.cos of the node's .value is a plain number: the graph is cut there and no gradient "
              "flows through cos; use the node's own cos")
def sheet_L__cos_of_value_breaks_graph(x1, x2):
    v = x1 * x2
    return float(np.cos(v.value)) + v + x1


def _gradients(x, y, V, W, output_sigma_prime=True, hidden_sigma_prime=True):
    """``(dV, dW)`` of the two-layer sigmoid net; switching a ``σ'`` off plants that mistake."""
    x, y = np.asarray(x, dtype=float), np.asarray(y, dtype=float)
    V, W = np.asarray(V, dtype=float), np.asarray(W, dtype=float)
    if V.shape[0] != x.shape[1] + 1 or W.shape[0] != V.shape[1] + 1 or W.shape[1] != y.shape[1]:
        raise ValueError("shapes of x, y, V and W do not match")
    x1 = np.hstack([np.ones((len(x), 1)), x])
    a = 0.5 * (1.0 + np.tanh(0.5 * (x1 @ V)))
    a1 = np.hstack([np.ones((len(x), 1)), a])
    yhat = 0.5 * (1.0 + np.tanh(0.5 * (a1 @ W)))
    dout = (yhat - y) * yhat * (1.0 - yhat) if output_sigma_prime else yhat - y
    dW = a1.T @ dout
    dh = dout @ W[1:].T
    if hidden_sigma_prime:
        dh = dh * a * (1.0 - a)
    dV = x1.T @ dh
    return dV, dW


@week.mistake("σ'(z_out) is missing from the output node's local derivative")
def mlp_gradients_autodiff__output_sigma_prime_omitted(x, y, V, W):
    return _gradients(x, y, V, W, output_sigma_prime=False)


@week.mistake("σ'(z_hidden) is missing from the hidden nodes' local derivatives")
def mlp_gradients_autodiff__hidden_sigma_prime_omitted(x, y, V, W):
    return _gradients(x, y, V, W, hidden_sigma_prime=False)


# ======================================================================================
# correct alternatives (written differently from the reference)
# ======================================================================================

@week.alternative
class Var:
    """micrograd's style: every operation leaves a closure ``_backward`` that pushes ``grad`` to
    the parents; ``parents`` keeps the ``(parent, local derivative)`` pairs of the contract."""

    def __init__(self, value, parents=()):
        if isinstance(value, (str, bytes)):
            raise ValueError(f"value must be a number, got {value!r}")
        self.value = float(value)
        self.parents = tuple(parents)
        self.grad = 0.0
        self._backward = lambda: None

    def _result(self, value, pairs):
        out = Var(value, pairs)

        def push():
            for parent, local in pairs:
                parent.grad += local * out.grad

        out._backward = push
        return out

    @staticmethod
    def _as_var(x):
        return x if isinstance(x, Var) else Var(x)

    def __add__(self, other):
        other = self._as_var(other)
        return self._result(self.value + other.value, ((self, 1.0), (other, 1.0)))

    def __radd__(self, other):
        return self._as_var(other) + self

    def __mul__(self, other):
        other = self._as_var(other)
        return self._result(self.value * other.value, ((self, other.value), (other, self.value)))

    def __rmul__(self, other):
        return self._as_var(other) * self

    def __neg__(self):
        return self * -1.0

    def __sub__(self, other):
        return self + (-self._as_var(other))

    def __rsub__(self, other):
        return self._as_var(other) + (-self)

    def __pow__(self, n):
        n = float(n)
        return self._result(self.value ** n, ((self, n * self.value ** (n - 1) if n else 0.0),))

    def sin(self):
        return self._result(float(np.sin(self.value)), ((self, float(np.cos(self.value))),))

    def cos(self):
        return self._result(float(np.cos(self.value)), ((self, float(-np.sin(self.value))),))

    def exp(self):
        e = float(np.exp(self.value))
        return self._result(e, ((self, e),))

    def log(self):
        if not self.value > 0:
            raise ValueError(f"log of {self.value} is undefined")
        return self._result(float(np.log(self.value)), ((self, 1.0 / self.value),))

    def tanh(self):
        t = float(np.tanh(self.value))
        return self._result(t, ((self, 1.0 - t * t),))


@week.alternative
def reverse_schedule(output):
    """Recursive depth-first search: a node is appended after all its parents; the list reversed."""
    if not hasattr(output, "parents"):
        raise ValueError(f"reverse_schedule expects a Var, got {type(output).__name__}")
    done, order = set(), []

    def visit(node):
        done.add(id(node))
        for parent, _ in node.parents:
            if id(parent) not in done:
                visit(parent)
        order.append(node)

    visit(output)
    return order[::-1]


@week.alternative
def backward(output):
    """Kahn's algorithm: a node is processed once all of its children have sent their share."""
    if not (hasattr(output, "parents") and hasattr(output, "grad")):
        raise ValueError(f"backward expects a Var, got {type(output).__name__}")
    waiting, stack, seen = {}, [output], {id(output)}
    while stack:                                   # count each node's children in the graph
        node = stack.pop()
        for parent, _ in node.parents:
            waiting[id(parent)] = waiting.get(id(parent), 0) + 1
            if id(parent) not in seen:
                seen.add(id(parent))
                stack.append(parent)
    stack, reset = [output], {id(output)}
    output.grad = 1.0
    while stack:
        node = stack.pop()
        for parent, local in node.parents:
            if id(parent) not in reset:              # the first child to arrive resets grad
                reset.add(id(parent))
                parent.grad = 0.0
            parent.grad += local * node.grad
            waiting[id(parent)] -= 1
            if waiting[id(parent)] == 0:
                stack.append(parent)


@week.alternative
def sheet_f(x1, x2, theta):
    """The six elementary functions of the sheet, one node each."""
    f1 = x1 * theta
    f2 = f1 + x2
    f3 = _sin(f2)
    f4 = x2 * x2
    f5 = theta * f4
    return f3 + f5


@week.alternative
def sheet_L(x1, x2):
    """The sheet's forward pass: v2 = v0·v1, v3 = cos v2, v4 = v3 + v2 + v0."""
    v0, v1 = x1, x2
    v2 = v0 * v1
    v3 = _cos(v2)
    return v3 + v2 + v0


@week.alternative
def mlp_gradients_autodiff(x, y, V, W):
    """One example at a time: a forward pass, then the chain rule backwards as outer products.

    Parameters
    ----------
    x : ndarray (N, n_in)
    y : ndarray (N, n_out)
    V : ndarray (n_in + 1, n_h)
        Row 0: the hidden biases.
    W : ndarray (n_h + 1, n_out)
        Row 0: the output biases.

    Returns
    -------
    dV, dW : ndarrays like ``V`` and ``W``, the gradients of ``½ Σ_n Σ_k (ŷ_nk - y_nk)²``
    """
    x, y = np.asarray(x, dtype=float), np.asarray(y, dtype=float)
    V, W = np.asarray(V, dtype=float), np.asarray(W, dtype=float)
    if x.ndim != 2 or y.ndim != 2 or V.ndim != 2 or W.ndim != 2:
        raise ValueError("x, y, V and W must be 2-D")
    if V.shape[0] != x.shape[1] + 1 or W.shape[0] != V.shape[1] + 1 or y.shape != (len(x), W.shape[1]):
        raise ValueError("shapes of x, y, V and W do not match")
    dV, dW = np.zeros_like(V), np.zeros_like(W)
    for xn, yn in zip(x, y):
        inputs = np.concatenate([[1.0], xn])
        hidden = np.concatenate([[1.0], 1.0 / (1.0 + np.exp(-(inputs @ V)))])
        out = 1.0 / (1.0 + np.exp(-(hidden @ W)))
        t_out = (out - yn) * out * (1.0 - out)          # ∂L/∂z_out, the adjoint of the output sums
        dW += np.outer(hidden, t_out)
        t_hidden = (W[1:] @ t_out) * hidden[1:] * (1.0 - hidden[1:])
        dV += np.outer(inputs, t_hidden)
    return dV, dW
