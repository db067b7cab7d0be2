"""check() against correct alternative implementations and every catalogued mistake (local mode)."""
import pytest

import solutions_lib
from checker import check
from solutions_lib.grading import catalogue
from solutions_lib.grading.catalogue import make_cases

GRADED_NAMES = catalogue.graded_names()


def _define(source, name):
    ns = {}
    exec(compile(source, f"<test {name}>", "exec"), ns)
    return ns[name]


@pytest.mark.parametrize("name", GRADED_NAMES)
def test_correct_alternative_passes(name, capsys):
    check(name, _define(catalogue.alternative_source(name), name))
    out = capsys.readouterr()
    assert out.out.strip() == f"{name}: {len(make_cases(name))} cases passed"
    assert out.err == ""


MISTAKE_PARAMS = [(name, m.key) for name in GRADED_NAMES for m in catalogue.mistakes(name)]


@pytest.mark.parametrize("name,key", MISTAKE_PARAMS)
def test_mistake_fails_and_is_named(name, key, capsys):
    with pytest.raises(AssertionError) as info:
        check(name, _define(catalogue.mistake_source(name, key), name))
    msg = str(info.value)
    assert f"Likely mistake: {key}:" in msg, msg
    assert msg.startswith(f"{name}: case "), msg
    assert capsys.readouterr().err == ""


def test_cases_are_deterministic_and_differ_between_names():
    a, b = make_cases("conv2d_forward"), make_cases("conv2d_forward")
    assert (a[0]["args"][0] == b[0]["args"][0]).all()
    assert not (make_cases("correlate_valid")[0]["args"][0] == make_cases("convolve_valid")[0]["args"][0]).all()


def test_edge_cases_present():
    descs = " | ".join(c["desc"] for c in make_cases("conv2d_forward"))
    assert "stride 2" in descs and "padding 1" in descs and "x 1x" in descs and "w 1x1" in descs
    assert any("ties" in c["desc"] for c in make_cases("maxpool2d_backward"))
    assert any("1000" in c["desc"] for c in make_cases("softmax_cross_entropy"))
    assert any(c["expect_error"] for c in make_cases("same_padding"))


def test_unknown_name_fails():
    with pytest.raises(AssertionError, match="unknown graded name"):
        check("no_such_name", lambda x: x)


def test_wrong_shape_and_exception_messages(capsys):

    def softmax_cross_entropy(logits, labels):
        raise KeyError("boom")

    with pytest.raises(AssertionError, match=r"case 1 of \d+ .*raised KeyError: 'boom'"):
        check("softmax_cross_entropy", softmax_cross_entropy)

    def confusion_matrix(y_true, y_pred, k):
        import numpy as np
        return np.zeros((k, k + 1), dtype=int)

    with pytest.raises(AssertionError, match=r"wrong shape: expected \(3, 3\), got \(3, 4\)"):
        check("confusion_matrix", confusion_matrix)
    assert capsys.readouterr().err == ""


def test_missing_value_error_is_reported():
    import numpy as np

    def confusion_matrix(y_true, y_pred, k):
        cm = np.zeros((k, k), dtype=int)
        for t, p in zip(y_true, y_pred):
            if t < k and p < k:
                cm[t, p] += 1
        return cm

    with pytest.raises(AssertionError, match="expected ValueError for this bad input, but your code returned"):
        check("confusion_matrix", confusion_matrix)


def test_input_mutation_is_a_failure():
    good = catalogue.alternative("softmax_cross_entropy")

    def softmax_cross_entropy(logits, labels):
        out = good(logits, labels)
        logits -= logits.max(axis=1, keepdims=True)
        return out

    with pytest.raises(AssertionError, match="changed its input argument 1 in place"):
        check("softmax_cross_entropy", softmax_cross_entropy)


@pytest.mark.parametrize("name", GRADED_NAMES)
def test_reference_agrees_with_the_case_set(name):
    """Every bad-input case makes the reference raise ValueError, every other case runs."""
    from solutions_lib.grading.judge import outcome
    cases = make_cases(name)
    ref = getattr(solutions_lib, name)
    for case in cases:
        o = outcome(ref, case)
        if case["expect_error"]:
            assert o[0] == "raised" and o[3], f"{name}: {case['desc']}: the reference does not raise ValueError"
        else:
            assert o[0] == "ok", f"{name}: {case['desc']}: the reference raised {o[1:3]}"
