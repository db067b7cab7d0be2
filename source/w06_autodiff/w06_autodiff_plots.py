"""Drawing and counting helpers of week 6 (not graded, not secret).

- :func:`sheet_walk` / :func:`draw_walk`: the computation graph of sheet 001's
  ``f(x1, x2, θ) = sin(θ x1 + x2) + θ x2²`` walked node by node in the reverse schedule, each
  ``t`` filled in from the ``t`` of the node's children (the graph is written out by hand here,
  node by node, so this works before you have written any code).
- :class:`Dual`: forward-mode differentiation with dual numbers ``a + b ε`` (``ε² = 0``), counting
  the elementary operations it performs; :func:`mode_costs` and :func:`draw_costs` compare the cost
  of the whole gradient by forward mode and by reverse mode as the number of inputs grows.
"""
from __future__ import annotations

import math
import time

import matplotlib.pyplot as plt
import numpy as np

BLUE, ORANGE, GREY, DARK = "#56B4E9", "#E69F00", "#DDDDDD", "#222222"   # Okabe–Ito, colour-blind safe

#: the sheet's reverse schedule of the full graph
SCHEDULE = ["f6", "f3", "f2", "f1", "x1", "f5", "θ", "f4", "x2"]

_POS = {"x1": (0.0, 0.0), "θ": (0.0, 1.6), "x2": (0.0, 3.2), "f1": (1.7, 0.5), "f4": (1.7, 3.2),
        "f2": (3.4, 1.0), "f5": (3.4, 2.9), "f3": (5.1, 1.0), "f6": (6.8, 2.0)}
_LABEL_AT = {("f2", "x2"): 0.72, ("f5", "θ"): 0.4}
_WHAT = {"f1": "θ·x1", "f2": "f1 + x2", "f3": "sin f2", "f4": "x2²", "f5": "θ·f4", "f6": "f3 + f5"}


def sheet_walk(x1=1.0, x2=2.0, theta=0.5):
    """The sheet-001 graph at a point: ``(values, edges, t)``.

    ``values[n]`` is node ``n``'s value; ``edges`` lists ``(child, parent, ∂child/∂parent as text,
    its number)``; ``t[k]`` is the dict of the adjoints known after the first ``k`` nodes of
    :data:`SCHEDULE` have been processed.
    """
    v = {"x1": x1, "x2": x2, "θ": theta}
    v["f1"] = theta * x1
    v["f2"] = v["f1"] + x2
    v["f3"] = math.sin(v["f2"])
    v["f4"] = x2 ** 2
    v["f5"] = theta * v["f4"]
    v["f6"] = v["f3"] + v["f5"]
    edges = [("f1", "x1", "θ", theta), ("f1", "θ", "x1", x1), ("f2", "f1", "1", 1.0), ("f2", "x2", "1", 1.0),
             ("f3", "f2", "cos f2", math.cos(v["f2"])), ("f4", "x2", "2·x2", 2 * x2),
             ("f5", "θ", "f4", v["f4"]), ("f5", "f4", "θ", theta), ("f6", "f3", "1", 1.0), ("f6", "f5", "1", 1.0)]
    t, known = [{}], {}
    for node in SCHEDULE:
        if node == "f6":
            known[node] = 1.0
        else:
            known[node] = sum(d * known[c] for c, p, _, d in edges if p == node)
        t.append(dict(known))
    return v, edges, t


def walk_equation(step, x1=1.0, x2=2.0, theta=0.5) -> str:
    """The sum that gives ``t`` of the ``step``-th node of the schedule (1-based), as text."""
    if step == 0:
        return "forward pass done: every value is known, no t yet"
    v, edges, t = sheet_walk(x1, x2, theta)
    node = SCHEDULE[step - 1]
    if node == "f6":
        return "t_f6 = 1   (the output: ∂f/∂f6 = 1)"
    terms = [(c, txt, d) for c, p, txt, d in edges if p == node]
    symbolic = " + ".join(f"∂{c}/∂{node}·t_{c}" for c, _, _ in terms)
    numbers = " + ".join(f"({txt} = {d:.4g})·{t[step][c]:.4g}" for c, txt, d in terms)
    return f"t_{node} = {symbolic} = {numbers} = {t[step][node]:.6g}"


def draw_walk(step=0, x1=1.0, x2=2.0, theta=0.5):
    """Draw the graph with the first ``step`` nodes of the reverse schedule processed."""
    v, edges, t = sheet_walk(x1, x2, theta)
    known = t[step]
    current = SCHEDULE[step - 1] if step else None
    fig, ax = plt.subplots(figsize=(11, 5.8))
    for child, parent, txt, _ in edges:
        (xa, ya), (xb, yb) = _POS[parent], _POS[child]
        active = child == current or parent == current and child in known
        ax.annotate("", xy=(xb, yb), xytext=(xa, ya),
                    arrowprops=dict(arrowstyle="-|>", lw=2.4 if active else 1.2, color=DARK if active else "#888888",
                                    shrinkA=24, shrinkB=24))
        k = _LABEL_AT.get((child, parent), 0.45)          # where along the arrow its label sits
        ax.text((1 - k) * xa + k * xb, (1 - k) * ya + k * yb + 0.12, txt, fontsize=10, ha="center",
                color=DARK, bbox=dict(boxstyle="round,pad=0.15", fc="white", ec="none", alpha=0.85))
    for name, (x, y) in _POS.items():
        colour = ORANGE if name == current else BLUE if name in known else GREY
        ax.add_patch(plt.Circle((x, y), 0.42, fc=colour, ec=DARK, lw=1.2, zorder=3))
        label = name if name not in _WHAT else f"{name}\n{_WHAT[name]}"
        ax.text(x, y + 0.06, label, ha="center", va="center", fontsize=10, zorder=4, color=DARK)
        tt = f"t = {known[name]:.4g}" if name in known else "t = ?"
        top = y > 2.5                      # the upper row carries its numbers above the circle
        ax.text(x, y + 0.5 if top else y - 0.5, f"value {v[name]:.4g}\n{tt}", ha="center",
                va="bottom" if top else "top", fontsize=10, color=DARK)
    ax.set_xlim(-0.8, 7.6)
    ax.set_ylim(-1.3, 4.5)
    ax.set_aspect("equal")
    ax.axis("off")
    order = "  →  ".join(f"[{n}]" if n == current else n for n in SCHEDULE)
    ax.set_title(f"reverse schedule: {order}", fontsize=11)
    fig.text(0.5, 0.02, walk_equation(step, x1, x2, theta), ha="center", fontsize=11, color=DARK)
    plt.show()


# --- forward mode, and the cost of a whole gradient ------------------------------------------

class Dual:
    """``a + b ε`` with ``ε² = 0``: ``b`` carries one directional derivative forward.

    ``Dual.ops`` counts elementary operations, ``Dual.edges`` the local derivatives they use
    (one per argument): the work of one forward-mode sweep.
    """

    ops = 0
    edges = 0

    def __init__(self, a, b=0.0):
        self.a, self.b = float(a), float(b)

    @classmethod
    def _count(cls, arity):
        cls.ops += 1
        cls.edges += arity

    @staticmethod
    def _lift(x):
        return x if isinstance(x, Dual) else Dual(x)

    def __add__(self, o):
        o = self._lift(o)
        Dual._count(2)
        return Dual(self.a + o.a, self.b + o.b)

    __radd__ = __add__

    def __sub__(self, o):
        o = self._lift(o)
        Dual._count(2)
        return Dual(self.a - o.a, self.b - o.b)

    def __mul__(self, o):
        o = self._lift(o)
        Dual._count(2)
        return Dual(self.a * o.a, self.a * o.b + self.b * o.a)

    __rmul__ = __mul__

    def __pow__(self, n):
        Dual._count(1)
        return Dual(self.a ** n, n * self.a ** (n - 1) * self.b)

    def tanh(self):
        Dual._count(1)
        th = math.tanh(self.a)
        return Dual(th, (1 - th * th) * self.b)


def neuron_loss(w, x, y=0.5, tanh=None):
    """``(tanh(Σ_i w_i x_i) - y)² + 0.01 Σ_i w_i²``: a loss with ``len(w)`` parameters, built from
    ``+ * ** tanh`` only, so it runs on dual numbers, on ``Var``s, or on floats."""
    tanh = tanh or (lambda z: z.tanh())
    s = w[0] * x[0]
    reg = w[0] ** 2
    for wi, xi in zip(w[1:], x[1:]):
        s = s + wi * xi
        reg = reg + wi ** 2
    return (tanh(s) - y) ** 2 + 0.01 * reg


def forward_mode_gradient(w, x):
    """All ``n`` partial derivatives by forward mode: ``n`` sweeps, one seed ``ε`` per input."""
    grad = []
    for i in range(len(w)):
        duals = [Dual(wj, 1.0 if j == i else 0.0) for j, wj in enumerate(w)]
        grad.append(neuron_loss(duals, x).b)
    return np.array(grad)


def mode_costs(ns):
    """Elementary operations for the whole gradient of :func:`neuron_loss` with ``n`` inputs.

    Forward mode: ``n`` sweeps of the dual-number evaluation, each costing its operations plus its
    local derivatives. Reverse mode: one evaluation that records the graph (its operations) and one
    backward sweep that uses every local derivative once. Counted on :class:`Dual`.
    """
    rows = []
    for n in ns:
        w, x = [0.1] * n, [float(v) for v in np.linspace(-1, 1, n)]
        Dual.ops = Dual.edges = 0
        neuron_loss([Dual(v) for v in w], x)
        ops, edges = Dual.ops, Dual.edges
        rows.append((n, ops, n * (ops + edges), ops + edges))
    return np.array(rows, dtype=float)


def draw_costs(ns=(1, 2, 4, 8, 16, 32, 64, 128, 256, 512), timings=None):
    """Log-log plot of the cost of a whole gradient against the number of inputs.

    ``timings``: optional ``(ns, forward seconds, reverse seconds)`` measured on real engines,
    drawn in a second panel.
    """
    rows = mode_costs(ns)
    panels = 2 if timings is not None else 1
    fig, axes = plt.subplots(1, panels, figsize=(6.2 * panels, 4.4), squeeze=False)
    ax = axes[0, 0]
    ax.loglog(rows[:, 0], rows[:, 2], "o-", color=ORANGE, lw=2, label="forward mode: n sweeps")
    ax.loglog(rows[:, 0], rows[:, 3], "s-", color="#0072B2", lw=2, label="reverse mode: 1 forward + 1 backward")
    ax.loglog(rows[:, 0], rows[:, 1], ":", color=DARK, lw=1.5, label="one evaluation of the loss")
    ax.set_xlabel("number of inputs n (parameters)", fontsize=11)
    ax.set_ylabel("elementary operations", fontsize=11)
    ax.set_title("cost of the whole gradient (counted)", fontsize=12)
    ax.legend(fontsize=10)
    ax.tick_params(labelsize=10)
    ax.grid(True, which="both", alpha=0.3)
    if timings is not None:
        tn, tf, tr = (np.asarray(a, float) for a in timings)
        ax = axes[0, 1]
        ax.loglog(tn, tf, "o-", color=ORANGE, lw=2, label="forward mode (Dual)")
        ax.loglog(tn, tr, "s-", color="#0072B2", lw=2, label="reverse mode (your Var + backward)")
        ax.set_xlabel("number of inputs n", fontsize=11)
        ax.set_ylabel("seconds", fontsize=11)
        ax.set_title("measured", fontsize=12)
        ax.legend(fontsize=10)
        ax.tick_params(labelsize=10)
        ax.grid(True, which="both", alpha=0.3)
    plt.tight_layout()
    plt.show()
    return rows


def time_modes(make_var, run_backward, ns=(2, 8, 32, 128)):
    """Seconds for the whole gradient by forward mode and by reverse mode with your engine.

    ``make_var(value)`` makes a leaf, ``run_backward(output)`` fills ``grad``. Returns
    ``(ns, forward seconds, reverse seconds, largest difference of the two gradients)``.
    """
    tf, tr, worst = [], [], 0.0
    for n in ns:
        w, x = [0.1] * n, [float(v) for v in np.linspace(-1, 1, n)]
        start = time.perf_counter()
        g_forward = forward_mode_gradient(w, x)
        tf.append(time.perf_counter() - start)
        start = time.perf_counter()
        leaves = [make_var(v) for v in w]
        run_backward(neuron_loss(leaves, x))
        g_reverse = np.array([leaf.grad for leaf in leaves])
        tr.append(time.perf_counter() - start)
        worst = max(worst, float(np.max(np.abs(g_forward - g_reverse))))
    return list(ns), tf, tr, worst
