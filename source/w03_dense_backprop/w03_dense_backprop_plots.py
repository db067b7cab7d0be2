"""Drawing helpers of week 3 (not graded, not secret): each computes with its own numpy code.

- :func:`two_layer_output` / :func:`draw_two_layer`: the output of a 2-2-1 sigmoid network whose
  hidden units are given as lines (angle, offset, steepness) and its decision boundary.
- :func:`step_size_errors` / :func:`draw_step_size`: the error of central differences against the
  exact gradient of a sigmoid layer, for steps from 1e-13 to 1e-1.
- :func:`make_moons` and :func:`draw_training`: the data and the figures of the closing experiment.
"""
from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np

BLUE, ORANGE, GREEN, DARK = "#0072B2", "#E69F00", "#009E73", "#222222"   # Okabe–Ito, colour-blind safe

#: the four XOR corners and their classes
XOR_X = np.array([[-1.0, -1.0], [-1.0, 1.0], [1.0, -1.0], [1.0, 1.0]])
XOR_Y = np.array([0, 1, 1, 0])


def _sigmoid(t):
    return 0.5 * (1.0 + np.tanh(0.5 * t))


def _normal(angle):
    """Unit normal of a hidden unit's line, from its angle in degrees."""
    return np.array([np.cos(np.radians(angle)), np.sin(np.radians(angle))])


def two_layer_output(points, angles, offsets, w, w0, steepness):
    """Output of the 2-2-1 sigmoid net at ``points (P, 2)``.

    Hidden unit ``j`` computes ``σ(steepness · (n_j · x - offset_j))`` with ``n_j`` the unit normal
    at ``angles[j]`` degrees; the output is ``σ(w0 + w[0] h_0 + w[1] h_1)``. Returns ``(P,)``.
    """
    V = steepness * np.stack([_normal(a) for a in angles], axis=1)          # (2, 2)
    c = -steepness * np.asarray(offsets, dtype=float)
    return _sigmoid(w0 + _sigmoid(points @ V + c) @ np.asarray(w, dtype=float))


def draw_two_layer(angle1=45, offset1=-1.0, angle2=45, offset2=1.0, w1=6.0, w2=-6.0, w0=-3.0, steepness=4.0):
    """The output over the plane, its 0.5 contour (black) and each hidden unit's line (coloured)."""
    g = np.linspace(-2, 2, 121)
    gx, gy = np.meshgrid(g, g)
    out = two_layer_output(np.c_[gx.ravel(), gy.ravel()], (angle1, angle2), (offset1, offset2),
                           (w1, w2), w0, steepness).reshape(gx.shape)
    fig, ax = plt.subplots(figsize=(5.2, 4.4))
    im = ax.contourf(gx, gy, out, levels=np.linspace(0, 1, 11), cmap="cividis", alpha=0.9)
    ax.contour(gx, gy, out, levels=[0.5], colors=DARK, linewidths=2)
    for (a, o), colour, label in [((angle1, offset1), ORANGE, "hidden unit 1"),
                                  ((angle2, offset2), GREEN, "hidden unit 2")]:
        n = _normal(a)
        p, d = o * n, np.array([-n[1], n[0]])
        ax.plot(*(p[:, None] + d[:, None] * np.array([-3, 3])), ls=(0, (6, 3)), color=colour, lw=2.5, label=label)
    for label, face, edge in [(0, DARK, "white"), (1, "white", DARK)]:
        ax.scatter(*XOR_X[XOR_Y == label].T, c=face, edgecolors=edge, linewidths=2, s=120, zorder=3,
                   label=f"class {label}")
    ax.set(xlim=(-2, 2), ylim=(-2, 2), aspect="equal", title="output ŷ; black: ŷ = 0.5")
    ax.legend(loc="lower left", fontsize=10, framealpha=0.9)
    fig.colorbar(im, ax=ax, fraction=0.046)
    plt.show()


def step_size_errors(seed=11, epsilons=None):
    """``(epsilons, relative errors)`` of central differences of ``Σ G ⊙ σ(x W)`` w.r.t. ``W``."""
    rng = np.random.default_rng(seed)
    x, W, G = rng.normal(size=(5, 3)), rng.normal(size=(3, 2)), rng.normal(size=(5, 2))
    s = _sigmoid(x @ W)
    exact = x.T @ (G * s * (1 - s))
    epsilons = np.logspace(-13, -1, 25) if epsilons is None else np.asarray(epsilons, dtype=float)
    errors = []
    for eps in epsilons:
        num = np.zeros_like(W)
        for idx in np.ndindex(W.shape):
            E = np.zeros_like(W)
            E[idx] = eps
            num[idx] = (np.sum(G * _sigmoid(x @ (W + E))) - np.sum(G * _sigmoid(x @ (W - E)))) / (2 * eps)
        errors.append(np.max(np.abs(num - exact)) / np.max(np.abs(num) + np.abs(exact)))
    return epsilons, np.array(errors)


def draw_step_size():
    """The relative error against the step on log-log axes; returns the best step."""
    epsilons, errors = step_size_errors()
    fig, ax = plt.subplots(figsize=(5.8, 3.6))
    ax.loglog(epsilons, errors, "o-", color=BLUE)
    ax.set(xlabel=r"step $\varepsilon$", ylabel="relative error", title="central differences: rounding vs truncation")
    ax.grid(True, which="major", alpha=0.4)
    plt.show()
    return float(epsilons[np.argmin(errors)])


def make_moons(n, noise, rng):
    """Two interleaved half circles: ``x (n, 2)``, integer labels ``(n,)``."""
    t = rng.uniform(0, np.pi, n)
    lab = rng.integers(0, 2, n)
    x = np.where(lab[:, None] == 0, np.c_[np.cos(t), np.sin(t)], np.c_[1 - np.cos(t), 0.5 - np.sin(t)])
    return x + noise * rng.normal(size=(n, 2)), lab


def draw_training(losses, forward, x, labels):
    """The loss curve and the decision regions of a trained 2-class network ``forward``."""
    fig, ax = plt.subplots(1, 2, figsize=(10.5, 4))
    ax[0].plot(losses, color=BLUE)
    ax[0].set(xlabel="epoch", ylabel="mean cross-entropy", title="loss curve", yscale="log")
    gx, gy = np.meshgrid(np.linspace(-2.5, 2.5, 150), np.linspace(-2.5, 2.5, 150))
    logits = forward(np.c_[gx.ravel(), gy.ravel()])
    ax[1].contourf(gx, gy, (logits[:, 1] - logits[:, 0]).reshape(gx.shape) > 0, levels=[-0.5, 0.5, 1.5],
                   colors=["#cfe3f3", "#f6dfb0"])
    ax[1].scatter(*x.T, c=[BLUE if y == 0 else ORANGE for y in labels], s=12)
    ax[1].set(title="learned decision regions", aspect="equal")
    plt.tight_layout()
    plt.show()
