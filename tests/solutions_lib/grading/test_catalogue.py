"""The mistake catalogue against the correct alternative implementations, in-process.

Here the correct alternative of :data:`CORRECT` plays the reference, so the catalogue and
the case sets are checked even before (and independently of) ``solutions_lib``'s own
modules: the correct version passes, and every mistaken version fails with its key named.
Outcomes go through the wire encoding, as they do between kernel and verifier.
"""
import numpy as np
import pytest

from solutions_lib.grading import wire
from solutions_lib.grading.judge import judge, outcome
from solutions_lib.grading.cases import make_cases
from solutions_lib.grading.mistakes import CORRECT, MISTAKES

#: names whose cases are built with the reference library (sheet constants, LSTM caches)
NEED_REFERENCE = {"pooled_features", "count_changed_units"}


def _define(source, name):
    ns = {}
    exec(compile(source, f"<test {name}>", "exec"), ns)
    return ns[name]


def _cases_or_skip(name):
    if name in NEED_REFERENCE:
        try:
            return make_cases(name)
        except ImportError as exc:
            pytest.skip(f"cases of {name} need the reference: {exc}")
    return make_cases(name)


def _results(obj, cases):
    out = []
    for case in cases:
        o = outcome(obj, case)
        out.append(list(o) if o[0] == "ok" else list(o))
    return wire.decode(wire.encode(out))


@pytest.mark.parametrize("name", sorted(CORRECT))
def test_correct_passes_against_itself(name):
    cases = _cases_or_skip(name)
    ref = _define(CORRECT[name], name)
    v = judge(name, ref, _results(_define(CORRECT[name], name), cases), [])
    assert v.passed, v.message
    assert v.n_cases == len(cases) >= 4 or name == "sobel_laplace_responses"


@pytest.mark.parametrize("name,key", [(n, m.key) for n, ms in sorted(MISTAKES.items()) for m in ms if n in CORRECT])
def test_each_mistake_fails_and_is_named(name, key):
    cases = _cases_or_skip(name)
    ref = _define(CORRECT[name], name)
    m = next(m for m in MISTAKES[name] if m.key == key)
    v = judge(name, ref, _results(_define(m.source, name), cases), [])
    assert not v.passed
    assert v.mistake == key, v.message
    assert f"Likely mistake: {key}:" in v.message


def test_mistake_sources_use_numpy_only():
    for name, ms in MISTAKES.items():
        for m in ms:
            assert "solutions_lib" not in m.source
            assert m.source.startswith("import numpy as np\n")
            assert f"def {name}(" in m.source or f"class {name}:" in m.source


def _num_grad(f, a, eps=1e-6):
    g = np.zeros_like(a)
    for idx in np.ndindex(a.shape):
        old = a[idx]
        a[idx] = old + eps
        fp = f()
        a[idx] = old - eps
        fm = f()
        a[idx] = old
        g[idx] = (fp - fm) / (2 * eps)
    return g


def test_correct_backward_versions_agree_with_finite_differences():
    """The correct alternatives that play the oracle here are themselves checked."""
    r = np.random.default_rng(1)
    fwd, back = _define(CORRECT["conv2d_forward"], "conv2d_forward"), _define(CORRECT["conv2d_backward"], "conv2d_backward")
    x, w, b = r.standard_normal((2, 6, 5, 2)), r.standard_normal((3, 2, 2, 3)), r.standard_normal(3)
    d = r.standard_normal(fwd(x, w, b, stride=2, padding=1).shape)
    dx, dw, db = back(d, x, w, stride=2, padding=1)
    L = lambda: np.sum(fwd(x, w, b, stride=2, padding=1) * d)
    assert np.allclose(dx, _num_grad(L, x), atol=1e-6) and np.allclose(dw, _num_grad(L, w), atol=1e-6)
    assert np.allclose(db, _num_grad(L, b), atol=1e-6)
    for pool in ("avgpool2d", "maxpool2d"):
        pf, pb = _define(CORRECT[f"{pool}_forward"], f"{pool}_forward"), _define(CORRECT[f"{pool}_backward"], f"{pool}_backward")
        x = r.standard_normal((2, 5, 5, 2))
        d = r.standard_normal(pf(x, size=3, stride=2).shape)
        assert np.allclose(pb(d, x, size=3, stride=2), _num_grad(lambda: np.sum(pf(x, size=3, stride=2) * d), x), atol=1e-6)
    step, bptt = _define(CORRECT["lstm_step_forward"], "lstm_step_forward"), _define(CORRECT["lstm_backward"], "lstm_backward")
    T, N, D, H = 3, 2, 3, 4
    P = {k: 0.5 * r.standard_normal((D, H)) for k in ("W_f", "W_i", "W_o", "W_c")}
    P.update({k: 0.5 * r.standard_normal((H, H)) for k in ("W_fc", "W_ic", "W_oc")})
    P.update({k: 0.1 * r.standard_normal(H) for k in ("b_f", "b_i", "b_o", "b_c")})
    xs, c0, dhs = r.standard_normal((T, N, D)), r.standard_normal((N, H)), r.standard_normal((T, N, H))

    def run():
        c, hs, caches = c0, [], []
        for t in range(T):
            h, c, cache = step(xs[t], c, P)
            hs.append(h)
            caches.append(cache)
        return np.stack(hs), caches

    dxs, dc0, dP = bptt(dhs, run()[1], P)
    L = lambda: np.sum(run()[0] * dhs)
    assert np.allclose(dxs, _num_grad(L, xs), atol=1e-6) and np.allclose(dc0, _num_grad(L, c0), atol=1e-6)
    for k in P:
        assert np.allclose(dP[k], _num_grad(L, P[k]), atol=1e-6), k
    kg = _define(CORRECT["kernel_gradient"], "kernel_gradient")
    cv = _define(CORRECT["convolve_valid"], "convolve_valid")
    a, f = r.standard_normal((5, 6)), r.standard_normal((3, 2))
    d = r.standard_normal(cv(a, f).shape)
    assert np.allclose(kg(a, d), _num_grad(lambda: np.sum(cv(a, f) * d), f), atol=1e-6)


def test_correct_convolutions_agree_with_scipy():
    from scipy import signal
    r = np.random.default_rng(2)
    full = _define(CORRECT["convolve_full"], "convolve_full")
    corr = _define(CORRECT["correlate_valid"], "correlate_valid")
    conv = _define(CORRECT["convolve_valid"], "convolve_valid")
    for xs, ks in [((7,), (3,)), ((5, 6), (2, 3)), ((4, 3, 5), (2, 2, 3))]:
        x, k = r.standard_normal(xs), r.standard_normal(ks)
        assert np.allclose(full(x, k), signal.convolve(x, k, mode="full", method="direct"))
        assert np.allclose(corr(x, k), signal.correlate(x, k, mode="valid", method="direct"))
        assert np.allclose(conv(x, k), signal.convolve(x, k, mode="valid", method="direct"))
