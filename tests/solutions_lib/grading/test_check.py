"""check() against correct alternative implementations and every catalogued mistake (local mode)."""
import importlib

import pytest

import solutions_lib
from solutions_lib.grading import check
from solutions_lib.grading.cases import GRADED_NAMES, make_cases
from solutions_lib.grading.mistakes import CORRECT, MISTAKES


def _reference_or_skip(name):
    module = solutions_lib._EXPORTS[name]
    try:
        importlib.import_module(f"solutions_lib.{module}")
    except ImportError as exc:
        pytest.skip(f"reference module solutions_lib.{module} not available yet: {exc}")


def _define(source, name):
    ns = {}
    exec(compile(source, f"<test {name}>", "exec"), ns)
    return ns[name]


@pytest.mark.parametrize("name", sorted(CORRECT))
def test_correct_alternative_passes(name, capsys):
    _reference_or_skip(name)
    check(name, _define(CORRECT[name], name))
    out = capsys.readouterr()
    assert out.out.strip() == f"{name}: {len(make_cases(name))} cases passed"
    assert out.err == ""


MISTAKE_PARAMS = [(name, m.key) for name, ms in sorted(MISTAKES.items()) for m in ms]


@pytest.mark.parametrize("name,key", MISTAKE_PARAMS)
def test_mistake_fails_and_is_named(name, key, capsys):
    _reference_or_skip(name)
    m = next(m for m in MISTAKES[name] if m.key == key)
    with pytest.raises(AssertionError) as info:
        check(name, _define(m.source, name))
    msg = str(info.value)
    assert f"Likely mistake: {key}:" in msg, msg
    assert msg.startswith(f"{name}: case "), msg
    assert capsys.readouterr().err == ""


def test_every_graded_name_of_weeks_1_to_4_has_cases_and_a_correct_version():
    import course_config
    weeks = ["w01_convolution", "w02_volume_sizes", "w03_dense_backprop", "w04_kernel_gradient"]
    names = {n for w in weeks for n in course_config.POINTS[w] if not n.startswith("answer_")}
    assert names <= set(GRADED_NAMES)
    assert names - {"sobel_laplace_responses"} <= set(CORRECT)


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
    _reference_or_skip("softmax_cross_entropy")

    def softmax_cross_entropy(logits, labels):
        raise KeyError("boom")

    with pytest.raises(AssertionError, match=r"case 1 of \d+ .*raised KeyError: 'boom'"):
        check("softmax_cross_entropy", softmax_cross_entropy)

    def confusion_matrix(y_true, y_pred, k):
        import numpy as np
        return np.zeros((k, k + 1), dtype=int)

    _reference_or_skip("confusion_matrix")
    with pytest.raises(AssertionError, match=r"wrong shape: expected \(3, 3\), got \(3, 4\)"):
        check("confusion_matrix", confusion_matrix)
    assert capsys.readouterr().err == ""


def test_missing_value_error_is_reported():
    _reference_or_skip("confusion_matrix")
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
    _reference_or_skip("softmax_cross_entropy")
    ns = {}
    exec(CORRECT["softmax_cross_entropy"], ns)
    good = ns["softmax_cross_entropy"]

    def softmax_cross_entropy(logits, labels):
        out = good(logits, labels)
        logits -= logits.max(axis=1, keepdims=True)
        return out

    with pytest.raises(AssertionError, match="changed its input argument 1 in place"):
        check("softmax_cross_entropy", softmax_cross_entropy)


@pytest.mark.parametrize("name", GRADED_NAMES)
def test_reference_agrees_with_the_case_set(name):
    """Every bad-input case makes the reference raise ValueError, every other case runs."""
    _reference_or_skip(name)
    from solutions_lib.grading.judge import outcome
    try:
        cases = make_cases(name)
    except ImportError as exc:
        pytest.skip(f"cases need a reference module not available yet: {exc}")
    ref = getattr(solutions_lib, name)
    for case in cases:
        o = outcome(ref, case)
        if case["expect_error"]:
            assert o[0] == "raised" and o[3], f"{name}: {case['desc']}: the reference does not raise ValueError"
        else:
            assert o[0] == "ok", f"{name}: {case['desc']}: the reference raised {o[1:3]}"
