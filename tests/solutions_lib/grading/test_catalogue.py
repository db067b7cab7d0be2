"""The per-week catalogue (solutions_lib.grading.catalogue): coverage, self-contained code, verdicts.

Here each name's correct alternative plays the reference, so the catalogue and the case sets
are checked independently of ``solutions_lib``'s own modules: the alternative passes, and every
mistaken version fails with its key named. Outcomes go through the wire encoding, as they do
between kernel and verifier. The alternatives that play the oracle are themselves checked
against finite differences and scipy below.
"""
from pathlib import Path

import numpy as np
import pytest

import course_config
from autograder import cells
from checker import wire
from solutions_lib.grading import catalogue
from solutions_lib.grading.judge import judge, outcome

NAMES = catalogue.graded_names()
MISTAKES = [(name, m.key) for name in NAMES for m in catalogue.mistakes(name)]
PRESENT_WEEKS = [w for w in course_config.POINTS if (course_config.COURSE_ROOT / "source" / w).is_dir()]


def _define(source, name):
    """Execute student code in a fresh namespace (no course module in reach) and return ``name``."""
    ns = {}
    exec(compile(source, f"<test {name}>", "exec"), ns)
    return ns[name]


def _results(obj, cases):
    return wire.decode(wire.encode([list(outcome(obj, case)) for case in cases]))


@pytest.mark.parametrize("week", PRESENT_WEEKS)
def test_every_graded_name_of_a_present_week_has_a_catalogue_entry(week):
    """Cases, at least one typical mistake and a correct alternative, in that week's module."""
    names = [q for q in course_config.POINTS[week] if not cells.is_written_answer(q)]
    entries = catalogue.weeks()
    assert week in entries, f"no catalogue module solutions_lib/grading/weeks/{week}.py"
    for name in names:
        assert name in entries[week].makers, f"{week}: {name} has no hidden cases"
        assert entries[week].mistakes.get(name), f"{week}: {name} has no typical mistake"
        assert name in entries[week].alternatives, f"{week}: {name} has no correct alternative"


def test_a_catalogue_module_holds_only_its_weeks_names():
    for week_id, week in catalogue.weeks().items():
        graded = {q for q in course_config.POINTS.get(week_id, {}) if not cells.is_written_answer(q)}
        if graded:
            assert set(week.makers) == graded, f"{week_id}: catalogue {sorted(week.makers)} vs points {sorted(graded)}"
        assert set(week.mistakes) <= set(week.makers) and set(week.alternatives) <= set(week.makers), week_id


def test_catalogue_files_are_named_by_their_week():
    folder = Path(catalogue.__file__).parent / "weeks"
    modules = {p.stem for p in folder.glob("w*.py")}
    assert modules == set(catalogue.weeks()) and modules <= set(course_config.ASSIGNMENT_IDS)


@pytest.mark.parametrize("name", NAMES)
def test_alternative_passes_against_itself(name):
    cases = catalogue.make_cases(name)
    ref = catalogue.alternative(name)
    v = judge(name, ref, _results(_define(catalogue.alternative_source(name), name), cases), [])
    assert v.passed, v.message
    assert v.n_cases == len(cases) >= 4 or name == "sobel_laplace_responses"


@pytest.mark.parametrize("name,key", MISTAKES)
def test_each_mistake_fails_and_is_named(name, key):
    cases = catalogue.make_cases(name)
    v = judge(name, catalogue.alternative(name), _results(_define(catalogue.mistake_source(name, key), name),
                                                          cases), [])
    assert not v.passed
    assert v.mistake == key, v.message
    assert f"Likely mistake: {key}:" in v.message


@pytest.mark.parametrize("name", NAMES)
def test_student_code_from_the_catalogue_is_self_contained_numpy(name):
    sources = [catalogue.alternative_source(name)] + [m.source for m in catalogue.mistakes(name)]
    for source in sources:
        assert source.startswith("import numpy as np\n")
        assert "solutions_lib" not in source and "catalogue" not in source and "@week" not in source
        assert f"def {name}(" in source or f"class {name}" in source
        assert callable(_define(source, name))


def test_a_mistake_must_be_named_name__key():
    week = catalogue.Week("w99_test")
    with pytest.raises(ValueError, match="<graded name>__<key>"):
        week.mistake("why")(lambda: None)


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
    fwd, back = catalogue.alternative("conv2d_forward"), catalogue.alternative("conv2d_backward")
    x, w, b = r.standard_normal((2, 6, 5, 2)), r.standard_normal((3, 2, 2, 3)), r.standard_normal(3)
    d = r.standard_normal(fwd(x, w, b, stride=2, padding=1).shape)
    dx, dw, db = back(d, x, w, stride=2, padding=1)
    L = lambda: np.sum(fwd(x, w, b, stride=2, padding=1) * d)
    assert np.allclose(dx, _num_grad(L, x), atol=1e-6) and np.allclose(dw, _num_grad(L, w), atol=1e-6)
    assert np.allclose(db, _num_grad(L, b), atol=1e-6)
    for pool in ("avgpool2d", "maxpool2d"):
        pf, pb = catalogue.alternative(f"{pool}_forward"), catalogue.alternative(f"{pool}_backward")
        x = r.standard_normal((2, 5, 5, 2))
        d = r.standard_normal(pf(x, size=3, stride=2).shape)
        numerical = _num_grad(lambda: np.sum(pf(x, size=3, stride=2) * d), x)  # noqa: B023 (called at once)
        assert np.allclose(pb(d, x, size=3, stride=2), numerical, atol=1e-6)
    step, bptt = catalogue.alternative("lstm_step_forward"), catalogue.alternative("lstm_backward")
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
    kg = catalogue.alternative("kernel_gradient")
    cv = catalogue.alternative("convolve_valid")
    a, f = r.standard_normal((5, 6)), r.standard_normal((3, 2))
    d = r.standard_normal(cv(a, f).shape)
    assert np.allclose(kg(a, d), _num_grad(lambda: np.sum(cv(a, f) * d), f), atol=1e-6)


def test_correct_convolutions_agree_with_scipy():
    from scipy import signal
    r = np.random.default_rng(2)
    full = catalogue.alternative("convolve_full")
    corr = catalogue.alternative("correlate_valid")
    conv = catalogue.alternative("convolve_valid")
    for xs, ks in [((7,), (3,)), ((5, 6), (2, 3)), ((4, 3, 5), (2, 2, 3))]:
        x, k = r.standard_normal(xs), r.standard_normal(ks)
        assert np.allclose(full(x, k), signal.convolve(x, k, mode="full", method="direct"))
        assert np.allclose(corr(x, k), signal.correlate(x, k, mode="valid", method="direct"))
        assert np.allclose(conv(x, k), signal.convolve(x, k, mode="valid", method="direct"))
