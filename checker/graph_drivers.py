"""Drivers of week 6 (autodiff): graphs built from numbers, graded one name at a time.

Registered in :data:`checker.drivers.DRIVERS`. A graph is described by numbers only: a list of
nodes in creation order, node ``i`` as ``[value, [[parent index, ∂i/∂parent], ...]]``, the last
node the output.

- ``var_ops`` (``Var``): a small program (``["leaf", v]``, ``["add", i, j]``, ``["num_sub", i, c]``
  for ``c - node_i``, ``["pow_num", i, n]``, ``["neg", i]``, ``["sin", i]``, …) run with the
  student's class; for every step ``[value, grad at creation, [∂node/∂operand, ...]]``, the local
  derivatives measured by a backward pass from the new node down to the earlier nodes (through any
  node the operation made inside), each node stepping by ``node._backward()`` if the class has it
  (micrograd's closures), else ``p.grad += d * node.grad`` over its ``parents`` pairs.
- ``schedule`` (``reverse_schedule``): the schedule of a :class:`DriverVar` graph's output as node
  indices (``-1`` for anything not a node of the graph); the verifier checks its properties.
- ``backward``: ``backward(output)`` twice on a :class:`DriverVar` graph; every ``grad`` after each call.
- ``sheet`` (``sheet_f``, ``sheet_L``): the function on :class:`DriverVar` leaves; its value and
  the gradient with respect to the leaves (by :func:`driver_backward`).
- ``engine_call`` (``mlp_gradients_autodiff``): a plain call.

While ``schedule``, ``backward``, ``sheet`` and ``engine_call`` run the student's function, the
names ``Var``, ``reverse_schedule``, ``backward``, ``sin`` … ``tanh`` of its globals (the
notebook's namespace; never a ``solutions_lib`` module's) are the driver's own (:data:`ENGINE`)
and are restored afterwards: a mistake in the student's ``Var`` or ``backward`` costs only that
question. :class:`DriverVar` offers both styles of node: ``parents`` as ``(node, local)`` pairs,
and micrograd's ``_prev`` and ``_backward()``.

Only the standard library's ``math`` is imported; no reference code.
"""
from __future__ import annotations

import math


class DriverVar:
    """A correct minimal graph node: ``value``, ``grad``, ``parents`` as ``(node, local)`` pairs."""

    def __init__(self, value, parents=()):
        self.value = float(value)
        self.parents = tuple(parents)
        self.grad = 0.0

    @property
    def _prev(self):
        return tuple(p for p, _ in self.parents)

    def _backward(self):
        for p, d in self.parents:
            p.grad += d * self.grad

    def __repr__(self):
        return f"DriverVar({self.value!r}, grad={self.grad!r})"

    def _binary(self, other, fn):
        o = other if isinstance(other, DriverVar) else DriverVar(other)
        value, da, db = fn(self.value, o.value)
        return DriverVar(value, ((self, da), (o, db)))

    def __add__(self, o):
        return self._binary(o, lambda a, b: (a + b, 1.0, 1.0))

    def __radd__(self, o):
        return DriverVar(o) + self

    def __sub__(self, o):
        return self._binary(o, lambda a, b: (a - b, 1.0, -1.0))

    def __rsub__(self, o):
        return DriverVar(o) - self

    def __mul__(self, o):
        return self._binary(o, lambda a, b: (a * b, b, a))

    def __rmul__(self, o):
        return DriverVar(o) * self

    def __truediv__(self, o):
        return self._binary(o, lambda a, b: (a / b, 1.0 / b, -a / (b * b)))

    def __rtruediv__(self, o):
        return DriverVar(o) / self

    def __neg__(self):
        return DriverVar(-self.value, ((self, -1.0),))

    def __pow__(self, n):
        n = float(n)
        return DriverVar(self.value ** n, ((self, n * self.value ** (n - 1) if n else 0.0),))

    def _unary(self, value, local):
        return DriverVar(value, ((self, local),))

    def sin(self):
        return self._unary(math.sin(self.value), math.cos(self.value))

    def cos(self):
        return self._unary(math.cos(self.value), -math.sin(self.value))

    def exp(self):
        e = math.exp(self.value)
        return self._unary(e, e)

    def log(self):
        if self.value <= 0:
            raise ValueError("log needs a positive argument")
        return self._unary(math.log(self.value), 1.0 / self.value)

    def tanh(self):
        t = math.tanh(self.value)
        return self._unary(t, 1.0 - t * t)


def driver_reverse_schedule(output):
    """The nodes reachable from ``output``, children first (iterative depth-first post-order)."""
    if not hasattr(output, "parents"):
        raise ValueError(f"expected a node (a Var), got {type(output).__name__}")
    order, seen, stack = [], set(), [(output, False)]
    while stack:
        node, done = stack.pop()
        if done:
            order.append(node)
        elif id(node) not in seen:
            seen.add(id(node))
            stack.append((node, True))
            stack.extend((p, False) for p, _ in node.parents)
    return order[::-1]


def driver_backward(output):
    """``grad = ∂output/∂node`` on every node reachable from ``output``."""
    schedule = driver_reverse_schedule(output)
    for node in schedule:
        node.grad = 0.0
    output.grad = 1.0
    for node in schedule:
        node._backward()


def _elementary(name):
    def fn(x):
        return getattr(x, name)() if isinstance(x, DriverVar) else float(getattr(math, name)(x))
    fn.__name__ = name
    return fn


#: the names a graph function finds in its globals while a driver runs it
ENGINE = {"Var": DriverVar, "reverse_schedule": driver_reverse_schedule, "backward": driver_backward,
          **{name: _elementary(name) for name in ("sin", "cos", "exp", "log", "tanh")}}


class _driver_engine:
    """Context: :data:`ENGINE` in place of the same names in ``obj``'s globals, restored after."""

    def __init__(self, obj):
        g = getattr(obj, "__globals__", None)
        name = g.get("__name__", "") if isinstance(g, dict) else ""
        ok = isinstance(g, dict) and not (isinstance(name, str) and name.split(".")[0] == "solutions_lib")
        self.globals = g if ok else None
        self.saved = {}

    def __enter__(self):
        if self.globals is not None:
            self.saved = {k: self.globals[k] for k in ENGINE if k in self.globals}
            self.globals.update(ENGINE)

    def __exit__(self, *exc):
        if self.globals is not None:
            for k in ENGINE:
                self.globals.pop(k, None)
            self.globals.update(self.saved)


def _graph(nodes):
    built = []
    for value, parents in nodes:
        built.append(DriverVar(value, tuple((built[int(j)], float(d)) for j, d in parents)))
    return built


_VAR_OPS = {
    "add": lambda a, b: a + b, "sub": lambda a, b: a - b, "mul": lambda a, b: a * b,
    "add_num": lambda a, c: a + c, "num_add": lambda a, c: c + a,
    "sub_num": lambda a, c: a - c, "num_sub": lambda a, c: c - a,
    "mul_num": lambda a, c: a * c, "num_mul": lambda a, c: c * a,
    "pow_num": lambda a, c: a ** c,
}


def _parent_nodes(node):
    """The parents of a student's node: from ``parents`` (pairs or nodes), else micrograd's ``_prev``."""
    parents = getattr(node, "parents", None)
    if parents is None:
        return list(getattr(node, "_prev", ()))
    return [p[0] if isinstance(p, (tuple, list)) else p for p in parents]


def _local_derivatives(node, operands, earlier):
    """∂node/∂operand for each operand, through the nodes the operation made (a ``c - x`` built as
    ``c + (-x)`` has an inner node): a backward pass from ``node`` that stops at ``earlier`` nodes."""
    stop = {id(n) for n in earlier}
    order, seen, stack = [], set(), [(node, False)]
    while stack:
        n, done = stack.pop()
        if done:
            order.append(n)
        elif id(n) not in seen:
            seen.add(id(n))
            stack.append((n, True))
            if id(n) not in stop:
                stack.extend((p, False) for p in _parent_nodes(n))
    for n in order:
        n.grad = 0.0
    node.grad = 1.0
    for n in reversed(order):
        if id(n) in stop:
            continue
        step = getattr(n, "_backward", None)
        if callable(step):
            step()
        else:
            for p, d in n.parents:
                p.grad += float(d) * n.grad
    found = [float(p.grad) for p in operands]
    for n in order:
        n.grad = 0.0
    return found


def drive_var_ops(obj, args, kwargs):
    """``Var``: run the program ``args[0]`` with the student's class (see the module docstring)."""
    nodes, report = [], []
    for step in args[0]:
        op = step[0]
        if op == "leaf":
            node, operands = obj(step[1]), []
        elif op in ("add", "sub", "mul"):
            a, b = nodes[int(step[1])], nodes[int(step[2])]
            node, operands = _VAR_OPS[op](a, b), ([a] if a is b else [a, b])
        elif op in _VAR_OPS:
            a = nodes[int(step[1])]
            node, operands = _VAR_OPS[op](a, step[2]), [a]
        else:
            a = nodes[int(step[1])]
            node, operands = (-a if op == "neg" else getattr(a, op)()), [a]
        created = float(node.grad)
        report.append([float(node.value), created, _local_derivatives(node, operands, nodes)])
        nodes.append(node)
    return report


def drive_schedule(obj, args, kwargs):
    """``reverse_schedule`` of the output of the graph ``args[0]``, as node indices.

    ``kwargs["not_a_node"]``: call it on that number instead (it must raise ``ValueError``).
    """
    if "not_a_node" in kwargs:
        with _driver_engine(obj):
            return obj(kwargs["not_a_node"])
    nodes = _graph(args[0])
    index = {id(n): i for i, n in enumerate(nodes)}
    with _driver_engine(obj):
        schedule = list(obj(nodes[-1]))
    return [index.get(id(n), -1) for n in schedule]


def drive_backward(obj, args, kwargs):
    """``backward`` twice on the output of the graph ``args[0]``: ``[grads after 1st, after 2nd]``."""
    if "not_a_node" in kwargs:
        with _driver_engine(obj):
            return obj(kwargs["not_a_node"])
    nodes = _graph(args[0])
    grads = []
    with _driver_engine(obj):
        for _ in range(2):
            obj(nodes[-1])
            grads.append([float(n.grad) for n in nodes])
    return grads


def drive_sheet(obj, args, kwargs):
    """A sheet function on :class:`DriverVar` leaves ``args``: ``[value, [∂out/∂leaf, ...]]``."""
    leaves = [DriverVar(v) for v in args]
    with _driver_engine(obj):
        out = obj(*leaves)
    if not isinstance(out, DriverVar):
        raise TypeError(f"it must return the output node (a Var) of the graph, got {type(out).__name__}")
    driver_backward(out)
    return [out.value, [leaf.grad for leaf in leaves]]


def drive_engine_call(obj, args, kwargs):
    """A function that builds its own graph (``mlp_gradients_autodiff``), run on :data:`ENGINE`."""
    with _driver_engine(obj):
        return obj(*args, **kwargs)


DRIVERS = {"var_ops": drive_var_ops, "schedule": drive_schedule, "backward": drive_backward,
           "sheet": drive_sheet, "engine_call": drive_engine_call}
