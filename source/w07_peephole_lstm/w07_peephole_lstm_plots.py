"""Figures of week 7 (the peephole LSTM): drawing code kept out of the notebook's argument.

Nothing here is graded. The gradient-survival figure differentiates with the *complex step*:
for a function ``F`` that is analytic, ``Im F(z + i·ε) / ε = F'(z)`` up to ``O(ε²)``, with no
subtraction and hence no cancellation, so a tiny ``ε = 1e-30`` gives derivatives exact to
rounding even when they are ``1e-40``. Perturbing each of the ``H`` entries of the initial
state in its own row of a batch gives the whole gradient in one forward pass, and, reading the
cost after every step, its value for every sequence length at once. No backward pass is used.
"""
from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np

FONT = 11
STEP = 1e-30


def _sig(z):
    return 1.0 / (1.0 + np.exp(-z))


def survival_setup(H=16, D=4, T_max=60, seed=0):
    """Random weights and one input sequence shared by the LSTM and the tanh RNN of the figure."""
    r = np.random.default_rng(seed)
    lstm = {k: r.standard_normal((D, H)) / np.sqrt(D) for k in ("W_f", "W_i", "W_o", "W_c")}
    lstm.update({k: 0.5 * r.standard_normal((H, H)) / np.sqrt(H) for k in ("W_fc", "W_ic", "W_oc")})
    lstm.update({k: np.zeros(H) for k in ("b_f", "b_i", "b_o", "b_c")})
    rnn = {"W": r.standard_normal((D, H)) / np.sqrt(D), "U": r.standard_normal((H, H)) / np.sqrt(H),
           "b": np.zeros(H)}
    return {"lstm": lstm, "rnn": rnn, "xs": r.standard_normal((T_max, 1, D)),
            "c0": 0.5 * r.standard_normal((1, H))}


def lstm_gradient_norms(setup, b_f, variant="sheet"):
    """``‖∂C_T/∂c_0‖`` for ``T = 1..T_max``, ``C_T = Σ_j h_{T,j}`` (``variant`` "sheet" or "common")."""
    p = dict(setup["lstm"], b_f=np.full(setup["lstm"]["b_f"].shape, float(b_f)))
    H = p["b_f"].size
    c = setup["c0"] + 1j * STEP * np.eye(H)           # row j: c_0 perturbed in entry j
    norms = []
    for x in setup["xs"]:
        zx = {k: x @ p["W_" + k] for k in "fioc"}
        f = _sig(zx["f"] + c @ p["W_fc"] + p["b_f"])
        i = _sig(zx["i"] + c @ p["W_ic"] + p["b_i"])
        o = _sig(zx["o"] + c @ p["W_oc"] + p["b_o"])
        c = f * c + i * np.tanh(zx["c"] + p["b_c"])
        h = np.tanh(o * c) if variant == "sheet" else o * np.tanh(c)
        norms.append(np.linalg.norm(h.sum(axis=1).imag / STEP))
    return np.array(norms)


def rnn_gradient_norms(setup):
    """``‖∂C_T/∂h_0‖`` of the tanh RNN ``h_t = tanh(x_t W + h_{t-1} U + b)``, ``C_T = Σ_j h_{T,j}``."""
    p = setup["rnn"]
    H = p["b"].size
    h = setup["c0"] + 1j * STEP * np.eye(H)
    norms = []
    for x in setup["xs"]:
        h = np.tanh(x @ p["W"] + h @ p["U"] + p["b"])
        norms.append(np.linalg.norm(h.sum(axis=1).imag / STEP))
    return np.array(norms)


def mean_forget_gate(setup, b_f):
    """The forget gate's mean over the sequence and the units (the carousel's factor per step)."""
    p = dict(setup["lstm"], b_f=np.full(setup["lstm"]["b_f"].shape, float(b_f)))
    c, fs = setup["c0"], []
    for x in setup["xs"]:
        f = _sig(x @ p["W_f"] + c @ p["W_fc"] + p["b_f"])
        i = _sig(x @ p["W_i"] + c @ p["W_ic"] + p["b_i"])
        c = f * c + i * np.tanh(x @ p["W_c"] + p["b_c"])
        fs.append(f.mean())
    return float(np.mean(fs))


def draw_survival(setup, b_f=0.0, variant="sheet"):
    """The figure of the widget: both gradient norms against the sequence length, log scale."""
    lstm, rnn = lstm_gradient_norms(setup, b_f, variant), rnn_gradient_norms(setup)
    T = np.arange(1, lstm.size + 1)
    fbar = mean_forget_gate(setup, b_f)
    fig, ax = plt.subplots(figsize=(7.5, 4.2))
    ax.semilogy(T, lstm, "o-", ms=3, color="#0072B2", label=f"peephole LSTM, forget bias $b_f$ = {b_f:g}")
    ax.semilogy(T, rnn, "s-", ms=3, color="#D55E00", label="tanh RNN of the same size")
    ax.semilogy(T, lstm[0] * fbar ** (T - 1), ":", color="#0072B2",
                label=r"$\bar f^{\,T-1}$ from the first step" + f" ($\\bar f$ = {fbar:.2f})")
    ax.set_ylim(1e-30, 1e2)
    ax.set_xlabel("sequence length $T$", fontsize=FONT)
    ax.set_ylabel(r"$\|\partial C_T / \partial \mathbf{c}_0\|$", fontsize=FONT)
    ax.set_title(f"how much of the cost's gradient reaches the initial state (h = "
                 f"{'tanh(o ⊙ c)' if variant == 'sheet' else 'o ⊙ tanh(c)'})", fontsize=FONT)
    ax.tick_params(labelsize=FONT)
    ax.grid(True, which="major", alpha=0.4)
    ax.legend(fontsize=10, loc="lower left")
    fig.tight_layout()
    plt.show()
    return lstm, rnn


def draw_output_derivative():
    """``∂h/∂c`` of both output forms for three values of the output gate."""
    c = np.linspace(-6, 6, 401)
    fig, ax = plt.subplots(1, 2, figsize=(10, 3.6), sharey=True)
    colours = ["#0072B2", "#009E73", "#CC79A7"]
    for o, col in zip((0.2, 0.5, 0.9), colours):
        ax[0].plot(c, o * (1 - np.tanh(o * c) ** 2), color=col, label=f"o = {o}")
        ax[1].plot(c, o * (1 - np.tanh(c) ** 2), color=col, label=f"o = {o}")
    ax[0].set_title(r"the sheet: $h = \tanh(o\,c)$, $\partial h/\partial c = o\,(1-\tanh^2(o\,c))$", fontsize=FONT)
    ax[1].set_title(r"common: $h = o\,\tanh(c)$, $\partial h/\partial c = o\,(1-\tanh^2 c)$", fontsize=FONT)
    for a in ax:
        a.set_xlabel("cell state $c$", fontsize=FONT)
        a.tick_params(labelsize=FONT)
        a.grid(alpha=0.4)
        a.legend(fontsize=10)
    ax[0].set_ylabel(r"$\partial h / \partial c$", fontsize=FONT)
    fig.tight_layout()
    plt.show()


def draw_gates(before, after, sequence_sign):
    """Gate activations ``f, i, o`` (steps × units) of one sequence, before and after training.

    ``before`` and ``after`` map ``"f", "i", "o"`` to arrays ``(T, H)``.
    """
    fig, ax = plt.subplots(2, 3, figsize=(11, 5.2), sharex=True, sharey=True)
    names = {"f": "forget gate f", "i": "input gate i", "o": "output gate o"}
    for row, (label, gates) in enumerate((("before training", before), ("after training", after))):
        for col, g in enumerate("fio"):
            im = ax[row, col].imshow(gates[g].T, aspect="auto", cmap="viridis", vmin=0, vmax=1,
                                     interpolation="nearest")
            ax[row, col].set_title(f"{names[g]}, {label}", fontsize=FONT)
            ax[row, col].tick_params(labelsize=FONT)
    for a in ax[1]:
        a.set_xlabel("time step t", fontsize=FONT)
    for a in ax[:, 0]:
        a.set_ylabel("unit", fontsize=FONT)
    fig.colorbar(im, ax=ax, fraction=0.03)
    fig.suptitle(f"one sequence whose first input has sign {sequence_sign:+.0f}", fontsize=FONT)
    plt.show()
