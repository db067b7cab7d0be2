"""Reverse-mode automatic differentiation on scalars (week 6, sheets 001 ex. 4, 003 ex. 4).

A ``Var`` is a node of the computation graph: its ``value``, its ``parents`` as
``(node, ∂self/∂parent)`` pairs, and ``grad``, the adjoint ``t = ∂output/∂self`` that
:func:`backward` fills in. The elementary functions are methods (``x.sin()``); the
module-level ``sin(x)`` … ``tanh(x)`` call them (and ``math`` for a plain number).

:func:`reverse_schedule`, :func:`backward` and the sheet functions use nothing of a node but
``value``, ``parents``, ``grad``, its operators and methods, so they work on any node class
with that interface (the checker hands them its own).
"""
from __future__ import annotations

import math
import numbers

import numpy as np


def _is_number(x) -> bool:
    return isinstance(x, numbers.Real) and not isinstance(x, bool)


class Var:
    """A scalar node of the computation graph.

    Parameters
    ----------
    value : float
    parents : tuple of (Var, float)
        The nodes this one was computed from, each with the local derivative ∂self/∂parent.
    """

    __slots__ = ("value", "parents", "grad")

    def __init__(self, value, parents=()):
        if isinstance(value, Var) or not _is_number(value):
            raise ValueError(f"value must be a real number, got {type(value).__name__} {value!r:.40}")
        self.value = float(value)
        parents = tuple(parents)
        for pair in parents:
            if not (isinstance(pair, tuple) and len(pair) == 2 and isinstance(pair[0], Var)):
                raise ValueError("parents must be (Var, local_derivative) pairs")
        self.parents = tuple((p, float(d)) for p, d in parents)
        self.grad = 0.0

    def __repr__(self):
        return f"Var({self.value!r}, grad={self.grad!r})"

    # --- arithmetic ------------------------------------------------------------------
    def __add__(self, other):
        other = _lift(other)
        return Var(self.value + other.value, ((self, 1.0), (other, 1.0)))

    __radd__ = __add__

    def __sub__(self, other):
        other = _lift(other)
        return Var(self.value - other.value, ((self, 1.0), (other, -1.0)))

    def __rsub__(self, other):
        return _lift(other) - self

    def __mul__(self, other):
        other = _lift(other)
        return Var(self.value * other.value, ((self, other.value), (other, self.value)))

    __rmul__ = __mul__

    def __truediv__(self, other):
        return self * _lift(other) ** -1

    def __rtruediv__(self, other):
        return _lift(other) * self ** -1

    def __neg__(self):
        return Var(-self.value, ((self, -1.0),))

    def __pow__(self, other):
        if isinstance(other, Var):
            # a**b = exp(b log a), defined for a > 0
            if self.value <= 0:
                raise ValueError("Var ** Var needs a positive base")
            val = self.value ** other.value
            return Var(val, ((self, other.value * self.value ** (other.value - 1)),
                             (other, val * math.log(self.value))))
        if not _is_number(other):
            raise ValueError(f"the exponent must be a number or a Var, got {type(other).__name__}")
        n = float(other)
        if self.value == 0 and n < 1:
            raise ValueError(f"0 ** {n} has no derivative")
        return Var(self.value ** n, ((self, n * self.value ** (n - 1) if n != 0 else 0.0),))

    def __rpow__(self, other):
        base = float(_lift(other).value)
        if base <= 0:
            raise ValueError("number ** Var needs a positive base")
        val = base ** self.value
        return Var(val, ((self, val * math.log(base)),))

    # --- elementary functions ---------------------------------------------------------
    def sin(self):
        """``sin x``, local derivative ``cos x``."""
        return Var(math.sin(self.value), ((self, math.cos(self.value)),))

    def cos(self):
        """``cos x``, local derivative ``-sin x``."""
        return Var(math.cos(self.value), ((self, -math.sin(self.value)),))

    def exp(self):
        """``exp x``, local derivative ``exp x``."""
        e = math.exp(self.value)
        return Var(e, ((self, e),))

    def log(self):
        """Natural logarithm, local derivative ``1/x``; ``ValueError`` for ``x <= 0``."""
        if self.value <= 0:
            raise ValueError(f"log needs a positive argument, got {self.value}")
        return Var(math.log(self.value), ((self, 1.0 / self.value),))

    def tanh(self):
        """``tanh x``, local derivative ``1 - tanh² x``."""
        t = math.tanh(self.value)
        return Var(t, ((self, 1.0 - t * t),))


def _lift(x) -> Var:
    if isinstance(x, Var):
        return x
    if _is_number(x):
        return Var(x)
    raise ValueError(f"cannot combine a Var with {type(x).__name__}")


def _is_node(x) -> bool:
    return hasattr(x, "value") and hasattr(x, "parents") and hasattr(x, "grad")


def _apply(name, x):
    if _is_node(x):
        return getattr(x, name)()
    if _is_number(x):
        if name == "log" and x <= 0:
            raise ValueError(f"log needs a positive argument, got {x}")
        return getattr(math, name)(x)
    raise ValueError(f"{name} expects a Var or a number, got {type(x).__name__}")


def sin(x):
    """``x.sin()`` for a node, ``math.sin(x)`` for a number."""
    return _apply("sin", x)


def cos(x):
    """``x.cos()`` for a node, ``math.cos(x)`` for a number."""
    return _apply("cos", x)


def exp(x):
    """``x.exp()`` for a node, ``math.exp(x)`` for a number."""
    return _apply("exp", x)


def log(x):
    """``x.log()`` for a node, ``math.log(x)`` for a number (``ValueError`` for ``x <= 0``)."""
    return _apply("log", x)


def tanh(x):
    """``x.tanh()`` for a node, ``math.tanh(x)`` for a number."""
    return _apply("tanh", x)


def _need_node(x, name):
    if not _is_node(x):
        raise ValueError(f"{name} expects a Var (a node of the graph), got {type(x).__name__}")


def reverse_schedule(output) -> list:
    """Every node reachable from ``output``, each after all of its children.

    A child of ``n`` is a node computed from ``n`` (``n`` is among its parents). The list
    starts with ``output``; it is a reversed topological order (iterative, no recursion
    limit). ``ValueError`` if ``output`` is not a node.
    """
    _need_node(output, "reverse_schedule")
    order, seen = [], set()
    stack = [(output, False)]
    while stack:
        node, done = stack.pop()
        if done:
            order.append(node)
            continue
        if id(node) in seen:
            continue
        seen.add(id(node))
        stack.append((node, True))
        for parent, _ in node.parents:
            if id(parent) not in seen:
                stack.append((parent, False))
    order.reverse()  # post-order lists parents first; reversed: children first
    return order


def backward(output) -> None:
    """Set ``grad`` of every node reachable from ``output`` to ``∂output/∂node``.

    ``output.grad = 1``; then along ``reverse_schedule`` every node hands
    ``local_derivative * t`` to each parent, so ``t_n = Σ_c ∂f_c/∂f_n · t_c``. Every
    reachable ``grad`` is reset first, so calling it twice gives the same result.
    """
    schedule = reverse_schedule(output)
    for node in schedule:
        node.grad = 0.0
    output.grad = 1.0
    for node in schedule:
        for parent, local in node.parents:
            parent.grad += local * node.grad


def sheet_f(x1, x2, theta):
    """Sheet 001 ex. 4: ``f = sin(θ x1 + x2) + θ x2²``, the graph ``f6(f3(f2(f1, x2)), f5(θ, f4))``.

    For nodes it returns the output node; for plain numbers the number.
    """
    return sin(theta * x1 + x2) + theta * x2 ** 2


def sheet_L(x1, x2):
    """Sheet 003 ex. 4: ``L = cos(x1 x2) + x1 x2 + x1``; at (1, 2) ``∇L = (1.1814…, 0.0907…)``.

    ``v2 = x1 x2`` is one node used twice (as in the sheet's forward pass).
    """
    v2 = x1 * x2
    return cos(v2) + v2 + x1


def _sigmoid(z):
    return 1.0 / (1.0 + exp(-z))


def mlp_gradients_autodiff(x, y, V, W):
    """``two_layer_gradients`` computed by building the graph from ``Var``s.

    Parameters
    ----------
    x : ndarray (N, n_in); y : ndarray (N, n_out)
    V : ndarray (n_in + 1, n_h); W : ndarray (n_h + 1, n_out) (row 0: biases)

    Returns
    -------
    dV, dW : ndarrays like ``V`` and ``W``
    """
    x, y, V, W = (np.asarray(a, dtype=np.float64) for a in (x, y, V, W))
    if x.ndim != 2 or y.ndim != 2 or V.ndim != 2 or W.ndim != 2:
        raise ValueError("x, y, V and W must all be 2-D")
    if V.shape[0] != x.shape[1] + 1:
        raise ValueError(f"shape mismatch: V must have {x.shape[1] + 1} rows (bias + inputs), got {V.shape[0]}")
    if W.shape[0] != V.shape[1] + 1:
        raise ValueError(f"shape mismatch: W must have {V.shape[1] + 1} rows (bias + hidden), got {W.shape[0]}")
    if y.shape != (x.shape[0], W.shape[1]):
        raise ValueError(f"shape mismatch: y must have shape ({x.shape[0]}, {W.shape[1]}), got {y.shape}")
    Vv = [[Var(v) for v in row] for row in V]
    Wv = [[Var(v) for v in row] for row in W]
    terms = []
    for n in range(x.shape[0]):
        xn = [1.0] + list(x[n])
        a = [1.0] + [_sigmoid(sum((Vv[i][j] * xn[i] for i in range(len(xn))), Var(0.0)))
                     for j in range(V.shape[1])]
        for k in range(W.shape[1]):
            out = _sigmoid(sum((Wv[j][k] * a[j] for j in range(len(a))), Var(0.0)))
            terms.append(0.5 * (out - y[n, k]) ** 2)
    loss = sum(terms, Var(0.0))
    backward(loss)
    return (np.array([[v.grad for v in row] for row in Vv]),
            np.array([[v.grad for v in row] for row in Wv]))
