"""The peephole LSTM of sheet 003 task 3 (week 7).

Row convention, batch first. For one step, with ``σ`` the logistic function::

    f_t = σ(x_t W_f + c_{t-1} W_fc + b_f)
    i_t = σ(x_t W_i + c_{t-1} W_ic + b_i)
    o_t = σ(x_t W_o + c_{t-1} W_oc + b_o)
    g_t = tanh(x_t W_c + b_c)
    c_t = f_t ⊙ c_{t-1} + i_t ⊙ g_t
    h_t = tanh(o_t ⊙ c_t)

``params``: ``W_f W_i W_o W_c (D, H)``, ``W_fc W_ic W_oc (H, H)``, ``b_f b_i b_o b_c (H,)``.
There is no recurrent ``h`` weight: the state enters the next step only through ``c``.
"""
from __future__ import annotations

import numpy as np

from solutions_lib.activations import sigmoid

_INPUT = ("W_f", "W_i", "W_o", "W_c")
_PEEP = ("W_fc", "W_ic", "W_oc")
_BIAS = ("b_f", "b_i", "b_o", "b_c")
PARAM_NAMES = _INPUT + _PEEP + _BIAS


def _check_params(params):
    if not isinstance(params, dict):
        raise ValueError("params must be a dict")
    missing = [k for k in PARAM_NAMES if k not in params]
    if missing:
        raise ValueError(f"params is missing {missing}")
    p = {k: np.asarray(params[k], dtype=np.float64) for k in PARAM_NAMES}
    if p["W_f"].ndim != 2:
        raise ValueError(f"W_f must be 2-D (D, H), got shape {p['W_f'].shape}")
    D, H = p["W_f"].shape
    for k in _INPUT:
        if p[k].shape != (D, H):
            raise ValueError(f"shape mismatch: {k} must have shape ({D}, {H}), got {p[k].shape}")
    for k in _PEEP:
        if p[k].shape != (H, H):
            raise ValueError(f"shape mismatch: {k} must have shape ({H}, {H}), got {p[k].shape}")
    for k in _BIAS:
        if p[k].shape != (H,):
            raise ValueError(f"shape mismatch: {k} must have shape ({H},), got {p[k].shape}")
    return p, D, H


_CACHE_KEYS = ("x", "c_prev", "f", "i", "o", "g", "c", "h")


def _check_cache(cache, D, H, name="cache"):
    """The step cache as float arrays; ``ValueError`` for a missing key or a shape that does not fit."""
    if not isinstance(cache, dict):
        raise ValueError(f"{name} must be a dict with keys {list(_CACHE_KEYS)}, got {type(cache).__name__}")
    missing = [k for k in _CACHE_KEYS if k not in cache]
    if missing:
        raise ValueError(f"{name} is missing {missing}")
    c = {k: np.asarray(cache[k], dtype=np.float64) for k in _CACHE_KEYS}
    if c["x"].ndim != 2 or c["x"].shape[1] != D:
        raise ValueError(f"shape mismatch: {name}['x'] must have shape (N, {D}), got {c['x'].shape}")
    N = c["x"].shape[0]
    for k in _CACHE_KEYS[1:]:
        if c[k].shape != (N, H):
            raise ValueError(f"shape mismatch: {name}[{k!r}] must have shape ({N}, {H}), got {c[k].shape}")
    return c


def lstm_step_forward(x_t, c_prev, params):
    """One step of the peephole LSTM.

    Parameters
    ----------
    x_t : ndarray (N, D)
    c_prev : ndarray (N, H)
    params : dict (see module docstring)

    Returns
    -------
    h_t, c_t : ndarrays (N, H)
    cache : dict with keys ``x, c_prev, f, i, o, g, c, h``
    """
    p, D, H = _check_params(params)
    x_t = np.asarray(x_t, dtype=np.float64)
    c_prev = np.asarray(c_prev, dtype=np.float64)
    if x_t.ndim != 2 or x_t.shape[1] != D:
        raise ValueError(f"shape mismatch: x_t must have shape (N, {D}), got {x_t.shape}")
    if c_prev.shape != (x_t.shape[0], H):
        raise ValueError(f"shape mismatch: c_prev must have shape ({x_t.shape[0]}, {H}), got {c_prev.shape}")
    f = sigmoid(x_t @ p["W_f"] + c_prev @ p["W_fc"] + p["b_f"])
    i = sigmoid(x_t @ p["W_i"] + c_prev @ p["W_ic"] + p["b_i"])
    o = sigmoid(x_t @ p["W_o"] + c_prev @ p["W_oc"] + p["b_o"])
    g = np.tanh(x_t @ p["W_c"] + p["b_c"])
    c = f * c_prev + i * g
    h = np.tanh(o * c)
    cache = {"x": x_t, "c_prev": c_prev, "f": f, "i": i, "o": o, "g": g, "c": c, "h": h}
    return h, c, cache


def _logistic(z):
    """``σ(z) = 1 / (1 + e^{-z})``; for very negative ``z`` the exponential overflows to inf and σ to 0, exactly."""
    with np.errstate(over="ignore"):
        return 1.0 / (1.0 + np.exp(-z))


def _stacked(p):
    """The weights side by side in gate order f, i, o, c: inputs ``(D, 4H)``, peepholes ``(H, 3H)``, biases ``(4H,)``.

    ``x_t Wx + c_{t-1} Wp`` is then every gate's pre-activation in two matrix products.
    """
    return (np.concatenate([p[k] for k in _INPUT], axis=1), np.concatenate([p[k] for k in _PEEP], axis=1),
            np.concatenate([p[k] for k in _BIAS]))


def lstm_forward(xs, c0, params):
    """Run the LSTM over a sequence (the steps of :func:`lstm_step_forward`, gates stacked).

    Parameters
    ----------
    xs : ndarray (T, N, D)
    c0 : ndarray (N, H)
    params : dict

    Returns
    -------
    hs, cs : ndarrays (T, N, H)
    caches : list of T step caches
    """
    p, D, H = _check_params(params)
    xs, c = np.asarray(xs, dtype=np.float64), np.asarray(c0, dtype=np.float64)
    if xs.ndim != 3 or xs.shape[0] == 0:
        raise ValueError(f"xs must have shape (T, N, D) with T >= 1, got {xs.shape}")
    T, N, _ = xs.shape
    if xs.shape[2] != D:
        raise ValueError(f"shape mismatch: xs must have shape (T, N, {D}), got {xs.shape}")
    if c.shape != (N, H):
        raise ValueError(f"shape mismatch: c0 must have shape ({N}, {H}), got {c.shape}")
    Wx, Wp, b = _stacked(p)
    zx = xs @ Wx + b                      # (T, N, 4H): the input part of every step at once
    hs, cs, caches = np.empty((T, N, H)), np.empty((T, N, H)), []
    for t in range(T):
        fio = _logistic(zx[t, :, :3 * H] + c @ Wp)
        f, i, o = fio[:, :H], fio[:, H:2 * H], fio[:, 2 * H:]
        g = np.tanh(zx[t, :, 3 * H:])
        c_new = f * c + i * g
        hs[t] = np.tanh(o * c_new)
        cs[t] = c_new
        caches.append({"x": xs[t], "c_prev": c, "f": f, "i": i, "o": o, "g": g, "c": c_new, "h": hs[t]})
        c = c_new
    return hs, cs, caches


def _gate_deltas(dh, dc, cache):
    """Pre-activation deltas ``(dz_f, dz_i, dz_o, dz_g)`` of one step, given ``δh_t`` and the total ``δc_t``."""
    f, i, o, g, c, h = (cache[k] for k in ("f", "i", "o", "g", "c", "h"))
    du = dh * (1.0 - h * h)              # ∂/∂(o ⊙ c)
    dzo = du * c * o * (1.0 - o)
    dzf = dc * cache["c_prev"] * f * (1.0 - f)
    dzi = dc * g * i * (1.0 - i)
    dzg = dc * i * (1.0 - g * g)
    return dzf, dzi, dzo, dzg


def delta_c(dh_t, cache_t, params, dh_next=None, dc_next=None, cache_next=None):
    """Total derivative ``δc_t = ∂C/∂c_t`` of the loss w.r.t. the cell state.

    ``δc_t = δh_t ⊙ (1 - tanh²(o_t ⊙ c_t)) ⊙ o_t``
    ``      + δc_{t+1} ⊙ f_{t+1}``
    ``      + δz^f_{t+1} W_fcᵀ + δz^i_{t+1} W_icᵀ + δz^o_{t+1} W_ocᵀ``

    where ``δz^*_{t+1}`` are the pre-activation deltas of the three peephole gates of step
    ``t+1`` (which see ``c_t`` as their ``c_{t-1}``).

    Parameters
    ----------
    dh_t : ndarray (N, H)
        Direct derivative ``∂C/∂h_t`` (from the loss at step ``t``).
    cache_t : dict
        Cache of step ``t``.
    params : dict
    dh_next, dc_next : ndarray (N, H), optional
        ``∂C/∂h_{t+1}`` and the total ``δc_{t+1}``; zero if omitted.
    cache_next : dict, optional
        Cache of step ``t+1``; omit at the last step (then only the first term remains).

    Returns
    -------
    dc_t : ndarray (N, H)
    """
    p, D, H = _check_params(params)
    cache_t = _check_cache(cache_t, D, H, "cache_t")
    dh_t = np.asarray(dh_t, dtype=np.float64)
    if dh_t.shape != cache_t["c"].shape:
        raise ValueError(f"shape mismatch: dh_t must have shape {cache_t['c'].shape}, got {dh_t.shape}")
    o, h = cache_t["o"], cache_t["h"]
    dc = dh_t * (1.0 - h * h) * o
    if cache_next is None:
        return dc
    cache_next = _check_cache(cache_next, D, H, "cache_next")
    if cache_next["c"].shape != dc.shape:
        raise ValueError(f"shape mismatch: cache_next is for a batch of {cache_next['c'].shape[0]}, "
                         f"cache_t for {dc.shape[0]}")
    zeros = np.zeros_like(dc)
    dh_next = zeros if dh_next is None else np.asarray(dh_next, dtype=np.float64)
    dc_next = zeros if dc_next is None else np.asarray(dc_next, dtype=np.float64)
    for name, a in (("dh_next", dh_next), ("dc_next", dc_next)):
        if a.shape != dc.shape:
            raise ValueError(f"shape mismatch: {name} must have shape {dc.shape}, got {a.shape}")
    dzf, dzi, dzo, _ = _gate_deltas(dh_next, dc_next, cache_next)
    return (dc + dc_next * cache_next["f"]
            + dzf @ p["W_fc"].T + dzi @ p["W_ic"].T + dzo @ p["W_oc"].T)


def lstm_backward(dhs, caches, params):
    """Backpropagation through time.

    Parameters
    ----------
    dhs : ndarray (T, N, H)
        ``∂C/∂h_t`` coming directly from the loss at every step.
    caches : list of T step caches from ``lstm_forward``
    params : dict

    Returns
    -------
    dxs : ndarray (T, N, D)
    dc0 : ndarray (N, H)
    dparams : dict with the keys and shapes of ``params`` (summed over time and batch)
    """
    p, D, H = _check_params(params)
    dhs = np.asarray(dhs, dtype=np.float64)
    if not isinstance(caches, (list, tuple)) or len(caches) == 0:
        raise ValueError("caches must be a non-empty list of step caches (one per time step)")
    caches = [_check_cache(c, D, H, f"caches[{t}]") for t, c in enumerate(caches)]
    T = len(caches)
    N = caches[0]["x"].shape[0]
    if any(c["x"].shape[0] != N for c in caches):
        raise ValueError("shape mismatch: the step caches hold different batch sizes")
    if dhs.shape != (T, N, H):
        raise ValueError(f"shape mismatch: dhs must have shape ({T}, {N}, {H}), got {dhs.shape}")
    Wx, Wp, _ = _stacked(p)
    dz = np.empty((T, N, 4 * H))           # pre-activation deltas of f, i, o, g at every step
    dc_carry = np.zeros((N, H))            # the part of δc_t that comes from step t+1
    for t in range(T - 1, -1, -1):
        k = caches[t]
        du = dhs[t] * (1.0 - k["h"] ** 2)  # ∂C/∂(o_t ⊙ c_t) through h_t
        dc = du * k["o"] + dc_carry        # δc_t: route 1 plus what step t+1 sent back
        f, i, g = k["f"], k["i"], k["g"]
        dz[t, :, :H] = dc * k["c_prev"] * f * (1.0 - f)
        dz[t, :, H:2 * H] = dc * g * i * (1.0 - i)
        dz[t, :, 2 * H:3 * H] = du * k["c"] * k["o"] * (1.0 - k["o"])
        dz[t, :, 3 * H:] = dc * i * (1.0 - g * g)
        # routes 2-5 into c_{t-1}: the carousel and the three peephole gates of step t
        dc_carry = dc * f + dz[t, :, :3 * H] @ Wp.T
    # every parameter is shared by all steps: its gradient is a sum over time and batch
    flat = dz.reshape(T * N, 4 * H)
    dWx = np.concatenate([k["x"] for k in caches]).T @ flat
    dWp = np.concatenate([k["c_prev"] for k in caches]).T @ flat[:, :3 * H]
    db = flat.sum(axis=0)
    grads = {}
    for n, gate in enumerate("fioc"):
        grads[f"W_{gate}"] = dWx[:, n * H:(n + 1) * H].copy()
        grads[f"b_{gate}"] = db[n * H:(n + 1) * H].copy()
        if gate != "c":
            grads[f"W_{gate}c"] = dWp[:, n * H:(n + 1) * H].copy()
    dxs = dz @ Wx.T
    return dxs, dc_carry, grads
