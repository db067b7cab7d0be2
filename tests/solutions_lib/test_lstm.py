"""Tests of solutions_lib.lstm: equations by hand, BPTT and delta_c against finite differences."""
import numpy as np
import pytest

from solutions_lib.gradcheck import numerical_gradient, relative_error
from solutions_lib.lstm import PARAM_NAMES, delta_c, lstm_backward, lstm_forward, lstm_step_forward

TOL = 1e-6


def make_params(rng, D, H, scale=0.5):
    p = {k: rng.normal(scale=scale, size=(D, H)) for k in ("W_f", "W_i", "W_o", "W_c")}
    p.update({k: rng.normal(scale=scale, size=(H, H)) for k in ("W_fc", "W_ic", "W_oc")})
    p.update({k: rng.normal(scale=scale, size=H) for k in ("b_f", "b_i", "b_o", "b_c")})
    return p


def test_step_against_per_example_equations():
    rng = np.random.default_rng(0)
    D, H, N = 3, 2, 4
    p = make_params(rng, D, H)
    x, c0 = rng.normal(size=(N, D)), rng.normal(size=(N, H))
    h, c, cache = lstm_step_forward(x, c0, p)
    sig = lambda z: 1 / (1 + np.exp(-z))
    for n in range(N):
        f = sig(x[n] @ p["W_f"] + c0[n] @ p["W_fc"] + p["b_f"])
        i = sig(x[n] @ p["W_i"] + c0[n] @ p["W_ic"] + p["b_i"])
        o = sig(x[n] @ p["W_o"] + c0[n] @ p["W_oc"] + p["b_o"])
        cn = f * c0[n] + i * np.tanh(x[n] @ p["W_c"] + p["b_c"])
        np.testing.assert_allclose(c[n], cn, rtol=1e-13)
        np.testing.assert_allclose(h[n], np.tanh(o * cn), rtol=1e-13)  # tanh(o ⊙ c), the sheet's form
    assert set(cache) >= {"x", "c_prev", "f", "i", "o", "g", "c", "h"}


def _loss(xs, c0, p, dhs):
    hs, _, _ = lstm_forward(xs, c0, p)
    return np.sum(dhs * hs)


@pytest.mark.parametrize("T,N,D,H", [(3, 2, 3, 2), (4, 1, 2, 3), (5, 3, 1, 1), (1, 1, 2, 3), (1, 3, 4, 2), (2, 2, 5, 3)])
def test_lstm_backward_finite_differences(T, N, D, H):
    rng = np.random.default_rng(T * 10 + H)
    p = make_params(rng, D, H)
    xs, c0 = rng.normal(size=(T, N, D)), rng.normal(size=(N, H))
    dhs = rng.normal(size=(T, N, H))
    hs, cs, caches = lstm_forward(xs, c0, p)
    assert hs.shape == cs.shape == (T, N, H)
    dxs, dc0, dp = lstm_backward(dhs, caches, p)
    assert set(dp) == set(PARAM_NAMES)
    assert relative_error(dxs, numerical_gradient(lambda v: _loss(v, c0, p, dhs), xs.copy())) < TOL
    assert relative_error(dc0, numerical_gradient(lambda v: _loss(xs, v, p, dhs), c0.copy())) < TOL
    for k in PARAM_NAMES:
        def f(v, k=k):
            q = dict(p)
            q[k] = v
            return _loss(xs, c0, q, dhs)
        assert dp[k].shape == p[k].shape
        assert relative_error(dp[k], numerical_gradient(f, p[k].copy())) < TOL, k


def test_delta_c_against_finite_differences():
    """δc_t = ∂C/∂c_t with C = Σ dhs ⊙ hs: perturb c_t and rerun the remaining steps."""
    rng = np.random.default_rng(11)
    T, N, D, H = 4, 2, 3, 3
    p = make_params(rng, D, H, scale=0.8)
    xs, c0, dhs = rng.normal(size=(T, N, D)), rng.normal(size=(N, H)), rng.normal(size=(T, N, H))
    hs, cs, caches = lstm_forward(xs, c0, p)

    def loss_from(t, c_t):
        """C as a function of c_t (h_t = tanh(o_t ⊙ c_t) with o_t fixed, later steps rerun)."""
        total = np.sum(dhs[:t] * hs[:t]) + np.sum(dhs[t] * np.tanh(caches[t]["o"] * c_t))
        if t + 1 < T:
            later, _, _ = lstm_forward(xs[t + 1:], c_t, p)
            total += np.sum(dhs[t + 1:] * later)
        return total

    dc_next = None
    for t in range(T - 1, -1, -1):
        nxt = t + 1 < T
        dc = delta_c(dhs[t], caches[t], p,
                     dh_next=dhs[t + 1] if nxt else None, dc_next=dc_next,
                     cache_next=caches[t + 1] if nxt else None)
        num = numerical_gradient(lambda v: loss_from(t, v), cs[t].copy())  # noqa: B023 (called at once)
        assert relative_error(dc, num) < TOL, t
        dc_next = dc


def test_delta_c_peephole_terms_matter():
    rng = np.random.default_rng(2)
    p = make_params(rng, 2, 2, scale=1.0)
    xs, c0, dhs = rng.normal(size=(2, 1, 2)), rng.normal(size=(1, 2)), rng.normal(size=(2, 1, 2))
    _, _, caches = lstm_forward(xs, c0, p)
    last = delta_c(dhs[1], caches[1], p)
    full = delta_c(dhs[0], caches[0], p, dh_next=dhs[1], dc_next=last, cache_next=caches[1])
    no_peep = delta_c(dhs[0], caches[0], p) + last * caches[1]["f"]
    assert not np.allclose(full, no_peep)


def test_bad_input():
    rng = np.random.default_rng(0)
    p = make_params(rng, 3, 2)
    with pytest.raises(ValueError, match="x_t"):
        lstm_step_forward(np.ones((2, 4)), np.ones((2, 2)), p)
    with pytest.raises(ValueError, match="c_prev"):
        lstm_step_forward(np.ones((2, 3)), np.ones((2, 3)), p)
    q = dict(p)
    q["W_fc"] = np.ones((3, 2))
    with pytest.raises(ValueError, match="W_fc"):
        lstm_step_forward(np.ones((2, 3)), np.ones((2, 2)), q)
    q = dict(p)
    del q["b_o"]
    with pytest.raises(ValueError, match="missing"):
        lstm_step_forward(np.ones((2, 3)), np.ones((2, 2)), q)
    _, _, caches = lstm_forward(np.ones((3, 2, 3)), np.ones((2, 2)), p)
    with pytest.raises(ValueError, match="dhs"):
        lstm_backward(np.ones((2, 2, 2)), caches, p)


def _complex_step_forward(xs, c0, p):
    """hs of the sheet's LSTM written per gate from the equations, in complex arithmetic (an independent oracle)."""
    sig = lambda z: 1.0 / (1.0 + np.exp(-z))
    c, hs = c0, []
    for x in xs:
        f = sig(x @ p["W_f"] + c @ p["W_fc"] + p["b_f"])
        i = sig(x @ p["W_i"] + c @ p["W_ic"] + p["b_i"])
        o = sig(x @ p["W_o"] + c @ p["W_oc"] + p["b_o"])
        c = f * c + i * np.tanh(x @ p["W_c"] + p["b_c"])
        hs.append(np.tanh(o * c))
    return np.stack(hs)


def test_lstm_backward_against_complex_step_derivatives():
    """Complex-step derivatives are exact to rounding (no cancellation): dc0 and dW_ic to 1e-12."""
    rng = np.random.default_rng(5)
    T, N, D, H = 6, 2, 3, 4
    p = make_params(rng, D, H, scale=0.7)
    xs, c0, dhs = rng.normal(size=(T, N, D)), rng.normal(size=(N, H)), rng.normal(size=(T, N, H))
    _, _, caches = lstm_forward(xs, c0, p)
    _, dc0, dp = lstm_backward(dhs, caches, p)
    step = 1e-30
    for idx in np.ndindex(c0.shape):
        c = c0.astype(complex)
        c[idx] += 1j * step
        assert abs(np.sum(dhs * _complex_step_forward(xs, c, p)).imag / step - dc0[idx]) < 1e-12
    for idx in np.ndindex(p["W_ic"].shape):
        q = dict(p)
        q["W_ic"] = p["W_ic"].astype(complex)
        q["W_ic"][idx] += 1j * step
        assert abs(np.sum(dhs * _complex_step_forward(xs, c0, q)).imag / step - dp["W_ic"][idx]) < 1e-12


def test_delta_c_defaults_and_the_bptt_recursion_agree():
    """delta_c with dh_next / dc_next omitted means zeros; run backwards it gives lstm_backward's dc0."""
    rng = np.random.default_rng(8)
    T, N, D, H = 3, 2, 2, 3
    p = make_params(rng, D, H)
    xs, c0, dhs = rng.normal(size=(T, N, D)), rng.normal(size=(N, H)), rng.normal(size=(T, N, H))
    _, _, caches = lstm_forward(xs, c0, p)
    z = np.zeros((N, H))
    a = delta_c(dhs[0], caches[0], p, cache_next=caches[1])
    b = delta_c(dhs[0], caches[0], p, dh_next=z, dc_next=z, cache_next=caches[1])
    np.testing.assert_allclose(a, b)
    np.testing.assert_allclose(delta_c(dhs[0], caches[0], p, cache_next=caches[1]), delta_c(dhs[0], caches[0], p))
    # δc_{-1} = ∂C/∂c0: a zero dh for a virtual step before the first, whose "next" cache is step 0
    dc = None
    for t in range(T - 1, -1, -1):
        nxt = t + 1 < T
        dc = delta_c(dhs[t], caches[t], p, dh_next=dhs[t + 1] if nxt else None, dc_next=dc,
                     cache_next=caches[t + 1] if nxt else None)
    virtual = dict(caches[0], o=np.zeros((N, H)), h=np.zeros((N, H)))   # contributes no direct term
    dc0 = delta_c(z, virtual, p, dh_next=dhs[0], dc_next=dc, cache_next=caches[0])
    np.testing.assert_allclose(dc0, lstm_backward(dhs, caches, p)[1], rtol=1e-12, atol=1e-14)


def test_bad_caches_raise_value_error():
    rng = np.random.default_rng(0)
    p = make_params(rng, 3, 2)
    _, _, caches = lstm_forward(np.ones((2, 2, 3)), np.ones((2, 2)), p)
    with pytest.raises(ValueError, match="caches"):
        lstm_backward(np.ones((0, 2, 2)), [], p)
    broken = [dict(caches[0]), caches[1]]
    del broken[0]["c_prev"]
    with pytest.raises(ValueError, match="missing"):
        lstm_backward(np.ones((2, 2, 2)), broken, p)
    with pytest.raises(ValueError, match="dh_t"):
        delta_c(np.ones((3, 2)), caches[0], p)
    with pytest.raises(ValueError, match="x"):
        delta_c(np.ones((2, 2)), caches[0], make_params(rng, 4, 2))
