"""Week 7 catalogue — the peephole LSTM and backpropagation through time: hidden cases, typical mistakes, alternatives.

The sheet's LSTM (row convention, batch first): ``f, i, o = σ(x W_* + c_prev W_*c + b_*)``,
``g = tanh(x W_c + b_c)``, ``c = f ⊙ c_prev + i ⊙ g``, ``h = tanh(o ⊙ c)``; a step's cache
holds ``x, c_prev, f, i, o, g, c, h``.
"""
from __future__ import annotations

import numpy as np

from solutions_lib.grading.catalogue import Week, case, error

week = Week("w07_peephole_lstm")


# ======================================================================================
# hidden cases
# ======================================================================================

_LSTM_SHAPES = [(3, 2, 3, 4), (1, 1, 2, 2), (4, 3, 1, 3), (2, 2, 4, 1)]  # T, N, D, H


def _lstm_params(r, d, h):
    p = {k: 0.5 * r.standard_normal((d, h)) for k in ("W_f", "W_i", "W_o", "W_c")}
    p.update({k: 0.5 * r.standard_normal((h, h)) for k in ("W_fc", "W_ic", "W_oc")})
    p.update({k: 0.1 * r.standard_normal(h) for k in ("b_f", "b_i", "b_o", "b_c")})
    return p


def _lstm_caches(xs, c0, params):
    """The step caches of a forward pass over ``xs``, by this module's correct ``lstm_step_forward``."""
    c, caches = c0, []
    for x in xs:
        _, c, cache = lstm_step_forward(x, c, params)
        caches.append({k: np.asarray(v, float) for k, v in cache.items()})
    return caches


@week.cases("lstm_step_forward")
def _lstm_step_forward_cases(r):
    cases = [case(f"x_t ({n}, {d}), c_prev ({n}, {h})",
                  [r.standard_normal((n, d)), r.standard_normal((n, h)), _lstm_params(r, d, h)])
             for _, n, d, h in _LSTM_SHAPES]
    cases.append(error("x_t with 3 features for D = 2",
                       [r.standard_normal((2, 3)), r.standard_normal((2, 2)), _lstm_params(r, 2, 2)]))
    cases.append(case("x_t (5, 3), c_prev (5, 2), large inputs (saturated gates)",
                      [4.0 * r.standard_normal((5, 3)), 3.0 * r.standard_normal((5, 2)), _lstm_params(r, 3, 2)]))
    cases.append(error("c_prev with 3 units for H = 2",
                       [r.standard_normal((2, 3)), r.standard_normal((2, 3)), _lstm_params(r, 3, 2)]))
    return cases


@week.cases("lstm_forward")
def _lstm_forward_cases(r):
    cases = [case(f"xs ({t}, {n}, {d}), c0 ({n}, {h})",
                  [r.standard_normal((t, n, d)), r.standard_normal((n, h)), _lstm_params(r, d, h)])
             for t, n, d, h in _LSTM_SHAPES]
    cases.append(case("xs (6, 1, 3), c0 (1, 2), a longer sequence",
                      [r.standard_normal((6, 1, 3)), r.standard_normal((1, 2)), _lstm_params(r, 3, 2)]))
    cases.append(error("c0 (2, 3) for H = 2", [r.standard_normal((3, 2, 3)), r.standard_normal((2, 3)),
                                               _lstm_params(r, 3, 2)]))
    cases.append(error("xs of 2 dimensions (N, D), not (T, N, D)",
                       [r.standard_normal((2, 3)), r.standard_normal((2, 2)), _lstm_params(r, 3, 2)]))
    return cases


@week.cases("lstm_backward")
def _lstm_backward_cases(r):
    cases = []
    for t, n, d, h in _LSTM_SHAPES:
        params = _lstm_params(r, d, h)
        caches = _lstm_caches(r.standard_normal((t, n, d)), r.standard_normal((n, h)), params)
        cases.append(case(f"T={t}, N={n}, D={d}, H={h}", [r.standard_normal((t, n, h)), caches, params]))
    params = _lstm_params(r, 3, 2)
    caches = _lstm_caches(r.standard_normal((6, 1, 3)), r.standard_normal((1, 2)), params)
    dhs = np.zeros((6, 1, 2))
    dhs[-1] = r.standard_normal((1, 2))
    cases.append(case("T=6, N=1, D=3, H=2, loss at the last step only (everything flows back through c)",
                      [dhs, caches, params]))
    cases.append(error("dhs with 2 steps for 6 caches", [r.standard_normal((2, 1, 2)), caches, params]))
    return cases


@week.cases("delta_c")
def _delta_c_cases(r):
    cases = []
    for t, n, d, h in _LSTM_SHAPES:
        params = _lstm_params(r, d, h)
        caches = _lstm_caches(r.standard_normal((max(t, 2), n, d)), r.standard_normal((n, h)), params)
        dh, dhn, dcn = (r.standard_normal((n, h)) for _ in range(3))
        cases.append(case(f"N={n}, H={h}, a middle step (dh_next, dc_next, cache_next given)",
                          [dh, caches[0], params], {"dh_next": dhn, "dc_next": dcn, "cache_next": caches[1]}))
        cases.append(case(f"N={n}, H={h}, the last step (no next step)", [dh, caches[-1], params]))
    params = _lstm_params(r, 2, 3)
    caches = _lstm_caches(r.standard_normal((2, 2, 2)), r.standard_normal((2, 3)), params)
    dh, dhn, dcn = (r.standard_normal((2, 3)) for _ in range(3))
    cases.append(case("N=2, H=3, dc_next given, dh_next omitted (zero)",
                      [dh, caches[0], params], {"dc_next": dcn, "cache_next": caches[1]}))
    cases.append(case("N=2, H=3, dh_next given, dc_next omitted (zero)",
                      [dh, caches[0], params], {"dh_next": dhn, "cache_next": caches[1]}))
    cases.append(error("dh_t (2, 2) for H = 3", [r.standard_normal((2, 2)), caches[0], params]))
    return cases


# ======================================================================================
# typical mistakes
# ======================================================================================

def _logistic(z):
    return 0.5 * (1.0 + np.tanh(0.5 * z))


def _step(x_t, c_prev, params, peepholes=True, common_variant=False, cache_c_prev_is_c=False):
    """One LSTM step; each switch plants one mistake.

    ``peepholes=False`` drops ``c_prev @ W_*c``, ``common_variant`` takes ``h = o ⊙ tanh(c)``,
    ``cache_c_prev_is_c`` stores the new state ``c_t`` under the cache's ``c_prev``.
    """
    p = {k: np.asarray(v, dtype=float) for k, v in params.items()}
    x_t, c_prev = np.asarray(x_t, dtype=float), np.asarray(c_prev, dtype=float)
    if (x_t.ndim != 2 or x_t.shape[1] != p["W_f"].shape[0]
            or c_prev.shape != (x_t.shape[0], p["W_f"].shape[1])):
        raise ValueError("shapes of x_t, c_prev and params do not match")

    def gate(name):
        z = x_t @ p["W_" + name]
        if peepholes:
            z = z + c_prev @ p["W_" + name + "c"]
        return _logistic(z + p["b_" + name])

    f, i, o = gate("f"), gate("i"), gate("o")
    g = np.tanh(x_t @ p["W_c"] + p["b_c"])
    c = f * c_prev + i * g
    h = o * np.tanh(c) if common_variant else np.tanh(o * c)
    return h, c, {"x": x_t, "c_prev": c if cache_c_prev_is_c else c_prev,
                  "f": f, "i": i, "o": o, "g": g, "c": c, "h": h}


@week.mistake("you computed h = o ⊙ tanh(c), the common variant; the sheet's LSTM has h = tanh(o ⊙ c)")
def lstm_step_forward__common_variant(x_t, c_prev, params):
    return _step(x_t, c_prev, params, common_variant=True)


@week.mistake("the peephole terms c_prev @ W_*c are missing from the gates")
def lstm_step_forward__peepholes_omitted(x_t, c_prev, params):
    return _step(x_t, c_prev, params, peepholes=False)


@week.mistake("the cache's c_prev holds c_t, the state this step computed; it must hold c_{t-1}, "
              "the state the step started from (backward needs it for δz_f and the peephole gradients)")
def lstm_step_forward__c_prev_of_wrong_step(x_t, c_prev, params):
    return _step(x_t, c_prev, params, cache_c_prev_is_c=True)


def _run(xs, c0, params, carry_state=True, cache_c_prev_is_c=False):
    """A forward pass over ``xs``; ``carry_state=False`` starts every step from ``c0``."""
    xs, c0 = np.asarray(xs, dtype=float), np.asarray(c0, dtype=float)
    if xs.ndim != 3 or len(xs) == 0:
        raise ValueError("xs must have shape (T, N, D) with T >= 1")
    c, hs, cs, caches = c0, [], [], []
    for x in xs:
        h, c_new, cache = _step(x, c if carry_state else c0, params, cache_c_prev_is_c=cache_c_prev_is_c)
        hs.append(h)
        cs.append(c_new)
        caches.append(cache)
        c = c_new
    return np.stack(hs), np.stack(cs), caches


@week.mistake("the caches' c_prev hold c_t instead of c_{t-1} (the state of the wrong step; with an in-place "
              "update c *= f the array stored as c_prev changes afterwards)")
def lstm_forward__c_prev_of_wrong_step(xs, c0, params):
    return _run(xs, c0, params, cache_c_prev_is_c=True)


@week.mistake("every step starts from c0: the state c_t must be carried to the next step")
def lstm_forward__state_not_carried(xs, c0, params):
    return _run(xs, c0, params, carry_state=False)


def _delta_c(dh_t, cache_t, params, dh_next, dc_next, cache_next, peepholes=("f", "i", "o"),
             tanh_prime_at_c=False, f_of_step_t=False):
    """``δc_t``; ``peepholes`` lists the gates whose ``δz @ W_*cᵀ`` is added, ``tanh_prime_at_c`` takes
    tanh' at ``c_t``, ``f_of_step_t`` multiplies ``δc_{t+1}`` by ``f_t`` instead of ``f_{t+1}``."""
    p = {k: np.asarray(v, dtype=float) for k, v in params.items()}
    dh_t = np.asarray(dh_t, dtype=float)
    if dh_t.shape != np.shape(cache_t["c"]):
        raise ValueError("dh_t does not have the shape of c_t")
    o, c, h = cache_t["o"], cache_t["c"], cache_t["h"]
    dc = dh_t * ((1.0 - np.tanh(c) ** 2) if tanh_prime_at_c else (1.0 - h * h)) * o
    if cache_next is None:
        return dc
    dh_next = np.zeros_like(dc) if dh_next is None else np.asarray(dh_next, dtype=float)
    dc_next = np.zeros_like(dc) if dc_next is None else np.asarray(dc_next, dtype=float)
    f, i, o2, g = (cache_next[k] for k in ("f", "i", "o", "g"))
    dz = {"o": dh_next * (1.0 - cache_next["h"] ** 2) * cache_next["c"] * o2 * (1.0 - o2),
          "f": dc_next * cache_next["c_prev"] * f * (1.0 - f),
          "i": dc_next * g * i * (1.0 - i)}
    total = dc + dc_next * (cache_t["f"] if f_of_step_t else f)
    for gate in peepholes:
        total = total + dz[gate] @ p["W_" + gate + "c"].T
    return total


@week.mistake("the peephole terms are missing: c_t also feeds the gates f, i, o of step t+1 (δz @ W_*cᵀ)")
def delta_c__peephole_terms_omitted(dh_t, cache_t, params, dh_next=None, dc_next=None, cache_next=None):
    return _delta_c(dh_t, cache_t, params, dh_next, dc_next, cache_next, peepholes=())


@week.mistake("the forget gate's peephole term is missing: c_t feeds f_{t+1} through W_fc (add δz^f_{t+1} W_fcᵀ)")
def delta_c__forget_peephole_omitted(dh_t, cache_t, params, dh_next=None, dc_next=None, cache_next=None):
    return _delta_c(dh_t, cache_t, params, dh_next, dc_next, cache_next, peepholes=("i", "o"))


@week.mistake("the input gate's peephole term is missing: c_t feeds i_{t+1} through W_ic (add δz^i_{t+1} W_icᵀ)")
def delta_c__input_peephole_omitted(dh_t, cache_t, params, dh_next=None, dc_next=None, cache_next=None):
    return _delta_c(dh_t, cache_t, params, dh_next, dc_next, cache_next, peepholes=("f", "o"))


@week.mistake("the output gate's peephole term is missing: c_t feeds o_{t+1} through W_oc, and o_{t+1} "
              "reaches the cost through h_{t+1} (add δz^o_{t+1} W_ocᵀ, which needs dh_next)")
def delta_c__output_peephole_omitted(dh_t, cache_t, params, dh_next=None, dc_next=None, cache_next=None):
    return _delta_c(dh_t, cache_t, params, dh_next, dc_next, cache_next, peepholes=("f", "i"))


@week.mistake("tanh' is taken at c_t; h_t = tanh(o_t ⊙ c_t), so it is 1 - tanh²(o_t ⊙ c_t) = 1 - h_t²")
def delta_c__tanh_prime_at_c(dh_t, cache_t, params, dh_next=None, dc_next=None, cache_next=None):
    return _delta_c(dh_t, cache_t, params, dh_next, dc_next, cache_next, tanh_prime_at_c=True)


@week.mistake("off by one in time: δc_{t+1} reaches c_t through c_{t+1} = f_{t+1} ⊙ c_t + ..., so it is "
              "multiplied by f_{t+1} (cache_next['f']), not by f_t")
def delta_c__off_by_one_in_time(dh_t, cache_t, params, dh_next=None, dc_next=None, cache_next=None):
    return _delta_c(dh_t, cache_t, params, dh_next, dc_next, cache_next, f_of_step_t=True)


def _bptt(dhs, caches, params, summed=True, peepholes=("f", "i", "o"), tanh_prime_at_c=False,
          f_of_step_t=False, c_for_c_prev=False):
    """Backpropagation through time; each switch plants one mistake.

    ``summed=False`` overwrites the parameter gradients at each step instead of adding them up,
    ``peepholes`` lists the gates whose ``δz @ W_*cᵀ`` is carried back into ``δc``,
    ``tanh_prime_at_c`` takes tanh' at ``c_t`` instead of at ``o_t ⊙ c_t``, ``f_of_step_t``
    multiplies the ``δc`` arriving from step ``t+1`` by ``f_t`` instead of ``f_{t+1}``,
    ``c_for_c_prev`` uses ``c_t`` where ``c_{t-1}`` belongs.
    """
    p = {k: np.asarray(v, dtype=float) for k, v in params.items()}
    dhs = np.asarray(dhs, dtype=float)
    if dhs.ndim != 3 or len(dhs) != len(caches) or len(caches) == 0:
        raise ValueError("dhs must have shape (T, N, H) with one entry per cache")
    grads = {k: np.zeros_like(v) for k, v in p.items()}
    dxs = np.zeros((len(caches),) + np.shape(caches[0]["x"]))
    dc_raw = np.zeros_like(dhs[0])      # δc_{t+1}, not yet multiplied by a forget gate
    peep = np.zeros_like(dhs[0])        # the peephole terms carried back from step t+1
    f_next = np.zeros_like(dhs[0])
    for t in range(len(caches) - 1, -1, -1):
        x, c_prev, f, i, o, g, c, h = (np.asarray(caches[t][k], dtype=float)
                                       for k in ("x", "c_prev", "f", "i", "o", "g", "c", "h"))
        if c_for_c_prev:
            c_prev = c
        dh = dhs[t]
        tp = 1.0 - np.tanh(c) ** 2 if tanh_prime_at_c else 1.0 - h * h
        dc = dh * tp * o + dc_raw * (f if f_of_step_t else f_next) + peep
        dzo = dh * tp * c * o * (1.0 - o)
        dzf = dc * c_prev * f * (1.0 - f)
        dzi = dc * g * i * (1.0 - i)
        dzg = dc * i * (1.0 - g * g)
        step = {"W_f": x.T @ dzf, "W_i": x.T @ dzi, "W_o": x.T @ dzo, "W_c": x.T @ dzg,
                "W_fc": c_prev.T @ dzf, "W_ic": c_prev.T @ dzi, "W_oc": c_prev.T @ dzo,
                "b_f": dzf.sum(axis=0), "b_i": dzi.sum(axis=0), "b_o": dzo.sum(axis=0), "b_c": dzg.sum(axis=0)}
        for k, v in step.items():
            if summed:
                grads[k] += v
            else:
                grads[k] = v
        dxs[t] = dzf @ p["W_f"].T + dzi @ p["W_i"].T + dzo @ p["W_o"].T + dzg @ p["W_c"].T
        dz = {"f": dzf, "i": dzi, "o": dzo}
        dc_raw, f_next = dc, f
        peep = np.zeros_like(dc)
        for gate in peepholes:
            peep = peep + dz[gate] @ p["W_" + gate + "c"].T
    return dxs, dc_raw * f_next + peep, grads


@week.mistake("the parameter gradients are not summed over the time steps (= instead of +=)")
def lstm_backward__not_summed_over_time(dhs, caches, params):
    return _bptt(dhs, caches, params, summed=False)


@week.mistake("the peephole terms of δc are missing: c_t also feeds the gates f, i, o of step t+1 (δz @ W_*cᵀ)")
def lstm_backward__peephole_terms_omitted(dhs, caches, params):
    return _bptt(dhs, caches, params, peepholes=())


@week.mistake("tanh' is taken at c_t; h_t = tanh(o_t ⊙ c_t), so it is 1 - h_t²")
def lstm_backward__tanh_prime_at_c(dhs, caches, params):
    return _bptt(dhs, caches, params, tanh_prime_at_c=True)


@week.mistake("the forget gate's peephole term of δc is missing: c_{t-1} feeds f_t through W_fc (δz^f W_fcᵀ)")
def lstm_backward__forget_peephole_omitted(dhs, caches, params):
    return _bptt(dhs, caches, params, peepholes=("i", "o"))


@week.mistake("the input gate's peephole term of δc is missing: c_{t-1} feeds i_t through W_ic (δz^i W_icᵀ)")
def lstm_backward__input_peephole_omitted(dhs, caches, params):
    return _bptt(dhs, caches, params, peepholes=("f", "o"))


@week.mistake("the output gate's peephole term of δc is missing: c_{t-1} feeds o_t through W_oc (δz^o W_ocᵀ)")
def lstm_backward__output_peephole_omitted(dhs, caches, params):
    return _bptt(dhs, caches, params, peepholes=("f", "i"))


@week.mistake("off by one in time: the δc coming back from step t+1 is multiplied by f_t; "
              "c_{t+1} = f_{t+1} ⊙ c_t + ..., so it is f_{t+1}, the forget gate of the later step")
def lstm_backward__off_by_one_in_time(dhs, caches, params):
    return _bptt(dhs, caches, params, f_of_step_t=True)


@week.mistake("c_t is used where c_{t-1} belongs: δz_f and the peephole gradients need the cache's c_prev")
def lstm_backward__c_t_for_c_prev(dhs, caches, params):
    return _bptt(dhs, caches, params, c_for_c_prev=True)


# ======================================================================================
# correct alternatives (written differently from the reference)
# ======================================================================================

@week.alternative
def lstm_step_forward(x_t, c_prev, params):
    """The three peephole gates in one loop, σ(z) written as (1 + tanh(z/2))/2.

    Parameters
    ----------
    x_t : ndarray (N, D)
    c_prev : ndarray (N, H)
    params : dict
        ``W_f W_i W_o W_c (D, H)``, ``W_fc W_ic W_oc (H, H)``, ``b_f b_i b_o b_c (H,)``.

    Returns
    -------
    h_t, c_t : ndarrays (N, H)
    cache : dict with keys ``x, c_prev, f, i, o, g, c, h``
    """
    p = {k: np.asarray(v, dtype=float) for k, v in params.items()}
    x_t, c_prev = np.asarray(x_t, dtype=float), np.asarray(c_prev, dtype=float)
    if x_t.ndim != 2 or x_t.shape[1] != p["W_f"].shape[0] or c_prev.shape != (x_t.shape[0], p["W_f"].shape[1]):
        raise ValueError("shapes of x_t, c_prev and params do not match")
    cache = {"x": x_t, "c_prev": c_prev}
    for gate in ("f", "i", "o"):
        z = x_t @ p[f"W_{gate}"] + c_prev @ p[f"W_{gate}c"] + p[f"b_{gate}"]
        cache[gate] = 0.5 * (1.0 + np.tanh(0.5 * z))
    cache["g"] = np.tanh(x_t @ p["W_c"] + p["b_c"])
    cache["c"] = cache["f"] * c_prev + cache["i"] * cache["g"]
    cache["h"] = np.tanh(cache["o"] * cache["c"])
    return cache["h"], cache["c"], cache


@week.alternative
def lstm_forward(xs, c0, params):
    """The input projections of all T steps at once (one matmul per gate), then the recurrence in c.

    Parameters
    ----------
    xs : ndarray (T, N, D)
    c0 : ndarray (N, H)
    params : dict

    Returns
    -------
    hs, cs : ndarrays (T, N, H)
    caches : list of T step caches (keys ``x, c_prev, f, i, o, g, c, h``)
    """
    p = {k: np.asarray(v, dtype=float) for k, v in params.items()}
    xs, c = np.asarray(xs, dtype=float), np.asarray(c0, dtype=float)
    if xs.ndim != 3 or len(xs) == 0 or xs.shape[2] != p["W_f"].shape[0]:
        raise ValueError("xs must have shape (T, N, D) with T >= 1")
    if c.shape != (xs.shape[1], p["W_f"].shape[1]):
        raise ValueError("c0 must have shape (N, H)")
    projected = {gate: np.matmul(xs, p[f"W_{gate}"]) + p[f"b_{gate}"] for gate in "fioc"}
    hs, cs, caches = np.zeros((len(xs),) + c.shape), np.zeros((len(xs),) + c.shape), []
    for t in range(len(xs)):
        f, i, o = (1.0 / (1.0 + np.exp(-(projected[gate][t] + c @ p[f"W_{gate}c"]))) for gate in "fio")
        g = np.tanh(projected["c"][t])
        c_new = f * c + i * g
        hs[t], cs[t] = np.tanh(o * c_new), c_new
        caches.append({"x": xs[t], "c_prev": c, "f": f, "i": i, "o": o, "g": g, "c": c_new, "h": hs[t].copy()})
        c = c_new
    return hs, cs, caches


@week.alternative
def delta_c(dh_t, cache_t, params, dh_next=None, dc_next=None, cache_next=None):
    """``δc_t`` with tanh' recomputed at ``o_t ⊙ c_t`` and the peephole terms summed in a loop over f, i, o.

    Parameters
    ----------
    dh_t : ndarray (N, H)
        ``∂C/∂h_t`` from the loss at step t.
    cache_t : dict
        The cache of step t.
    params : dict
    dh_next, dc_next : ndarray (N, H), optional
        ``∂C/∂h_{t+1}`` and the total ``δc_{t+1}``; zero if omitted.
    cache_next : dict, optional
        The cache of step t+1; omitted at the last step.

    Returns
    -------
    dc_t : ndarray (N, H)
    """
    dh_t = np.asarray(dh_t, dtype=float)
    o, c = np.asarray(cache_t["o"], dtype=float), np.asarray(cache_t["c"], dtype=float)
    if dh_t.shape != c.shape:
        raise ValueError("dh_t does not have the shape of c_t")
    dc = dh_t * (1.0 - np.tanh(o * c) ** 2) * o
    if cache_next is None:
        return dc
    nxt = {k: np.asarray(v, dtype=float) for k, v in cache_next.items()}
    dh_next = np.zeros(c.shape) if dh_next is None else np.asarray(dh_next, dtype=float)
    dc_next = np.zeros(c.shape) if dc_next is None else np.asarray(dc_next, dtype=float)
    upstream = {"f": dc_next * c, "i": dc_next * nxt["g"],
                "o": dh_next * (1.0 - np.tanh(nxt["o"] * nxt["c"]) ** 2) * nxt["c"]}
    total = dc + dc_next * nxt["f"]
    for gate, d_gate in upstream.items():
        dz = d_gate * nxt[gate] * (1.0 - nxt[gate])
        total = total + np.einsum("nj,kj->nk", dz, np.asarray(params[f"W_{gate}c"], dtype=float))
    return total


@week.alternative
def lstm_backward(dhs, caches, params):
    """Two passes: the gate deltas of every step backwards in time, then every gradient as one sum over t and n.

    Parameters
    ----------
    dhs : ndarray (T, N, H)
        ``∂C/∂h_t`` from the loss at every step.
    caches : list of T step caches
    params : dict

    Returns
    -------
    dxs : ndarray (T, N, D)
    dc0 : ndarray (N, H)
    dparams : dict with the keys and shapes of ``params``
    """
    p = {k: np.asarray(v, dtype=float) for k, v in params.items()}
    dhs = np.asarray(dhs, dtype=float)
    if dhs.ndim != 3 or len(dhs) != len(caches) or len(caches) == 0:
        raise ValueError("dhs must have shape (T, N, H) with one entry per cache")
    keys = ("x", "c_prev", "f", "i", "o", "g", "c", "h")
    s = {k: np.stack([np.asarray(cache[k], dtype=float) for cache in caches]) for k in keys}
    dz = {gate: np.zeros_like(dhs) for gate in "fiog"}
    carry = np.zeros_like(dhs[0])
    for t in reversed(range(len(caches))):
        f, i, o, g, c, c_prev = (s[k][t] for k in ("f", "i", "o", "g", "c", "c_prev"))
        du = dhs[t] * (1.0 - np.tanh(o * c) ** 2)
        dc = du * o + carry
        dz["o"][t] = du * c * o * (1.0 - o)
        dz["f"][t] = dc * c_prev * f * (1.0 - f)
        dz["i"][t] = dc * g * i * (1.0 - i)
        dz["g"][t] = dc * i * (1.0 - g * g)
        carry = dc * f
        for gate in "fio":
            carry = carry + dz[gate][t] @ p[f"W_{gate}c"].T
    grads = {}
    for gate, name in (("f", "f"), ("i", "i"), ("o", "o"), ("g", "c")):
        grads[f"W_{name}"] = np.einsum("tnd,tnh->dh", s["x"], dz[gate])
        grads[f"b_{name}"] = np.einsum("tnh->h", dz[gate])
        if gate != "g":
            grads[f"W_{name}c"] = np.einsum("tnk,tnh->kh", s["c_prev"], dz[gate])
    dxs = sum(np.einsum("tnh,dh->tnd", dz[gate], p[f"W_{name}"])
              for gate, name in (("f", "f"), ("i", "i"), ("o", "o"), ("g", "c")))
    return dxs, carry, grads
