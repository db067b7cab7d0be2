"""Reverse-mode automatic differentiation on scalars (week 6, sheets 001 ex. 4, 003 ex. 4).

A ``Var`` is a node of the computational graph: its ``value``, its ``parents`` as
``(Var, ∂self/∂parent)`` pairs, and ``grad``, the adjoint ``t = ∂output/∂self`` that
``backward`` fills in.
"""
from __future__ import annotations

import math

import numpy as np


class Var:
    """A scalar node of the computational graph.

    Parameters
    ----------
    value : float
    parents : tuple of (Var, float)
        The nodes this one was computed from, each with the local derivative.
    """

    __slots__ = ("value", "parents", "grad")

    def __init__(self, value, parents=()):
        if isinstance(value, Var):
            raise ValueError("value must be a number, not a Var")
        try:
            self.value = float(value)
        except (TypeError, ValueError):
            raise ValueError(f"value must be a real number, got {value!r}") from None
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
        n = float(other)
        return Var(self.value ** n, ((self, n * self.value ** (n - 1) if n != 0 else 0.0),))

    def __rpow__(self, other):
        base = float(other)
        if base <= 0:
            raise ValueError("number ** Var needs a positive base")
        val = base ** self.value
        return Var(val, ((self, val * math.log(base)),))


def _lift(x) -> Var:
    if isinstance(x, Var):
        return x
    if isinstance(x, (int, float, np.integer, np.floating)) and not isinstance(x, bool):
        return Var(x)
    raise ValueError(f"cannot combine a Var with {type(x).__name__}")


def _need_var(x, name):
    if not isinstance(x, Var):
        raise ValueError(f"{name} expects a Var, got {type(x).__name__}")


def sin(x: Var) -> Var:
    """``sin x`` with local derivative ``cos x``."""
    _need_var(x, "sin")
    return Var(math.sin(x.value), ((x, math.cos(x.value)),))


def cos(x: Var) -> Var:
    """``cos x`` with local derivative ``-sin x``."""
    _need_var(x, "cos")
    return Var(math.cos(x.value), ((x, -math.sin(x.value)),))


def exp(x: Var) -> Var:
    """``exp x`` with local derivative ``exp x``."""
    _need_var(x, "exp")
    e = math.exp(x.value)
    return Var(e, ((x, e),))


def log(x: Var) -> Var:
    """Natural logarithm, local derivative ``1/x``; ``ValueError`` for ``x <= 0``."""
    _need_var(x, "log")
    if x.value <= 0:
        raise ValueError(f"log needs a positive argument, got {x.value}")
    return Var(math.log(x.value), ((x, 1.0 / x.value),))


def tanh(x: Var) -> Var:
    """``tanh x`` with local derivative ``1 - tanh² x``."""
    _need_var(x, "tanh")
    t = math.tanh(x.value)
    return Var(t, ((x, 1.0 - t * t),))


def reverse_schedule(output: Var) -> list:
    """Every node reachable from ``output``, each after all of its children.

    A child of ``n`` is a node computed from ``n`` (``n`` is among its parents). The list
    starts with ``output``; it is a reversed topological order (iterative, no recursion
    limit).
    """
    _need_var(output, "reverse_schedule")
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


def backward(output: Var) -> None:
    """Set ``grad`` of every node to ``∂output/∂node``.

    ``output.grad = 1``; then along ``reverse_schedule`` every node hands
    ``local_derivative * t`` to each parent, so ``t_n = Σ_c ∂f_c/∂f_n · t_c``.
    """
    schedule = reverse_schedule(output)
    for node in schedule:
        node.grad = 0.0
    output.grad = 1.0
    for node in schedule:
        for parent, local in node.parents:
            parent.grad += local * node.grad


def sheet_f(x1, x2, theta) -> Var:
    """Sheet 001 ex. 4: ``f = sin(θ x1 + x2) + θ x2²`` (arguments ``Var`` or numbers)."""
    x1, x2, theta = _lift(x1), _lift(x2), _lift(theta)
    return sin(theta * x1 + x2) + theta * x2 ** 2


def sheet_L(x1, x2) -> Var:
    """Sheet 003 ex. 4: ``L = cos(x1 x2) + x1 x2 + x1``; at (1, 2) ``∇L = (1.1814…, 0.0907…)``."""
    x1, x2 = _lift(x1), _lift(x2)
    v0 = x1 * x2
    return cos(v0) + v0 + x1


def _sigmoid(z: Var) -> Var:
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
