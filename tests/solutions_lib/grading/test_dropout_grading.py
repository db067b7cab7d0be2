"""Grading a random layer fairly: every correct way of drawing a dropout mask passes ``check``,
each catalogued mistake fails with its name, and the statistics' false-failure bound holds."""
import math

import numpy as np
import pytest

from checker import check, drivers
from solutions_lib.grading import properties
from solutions_lib.grading.catalogue import make_cases

# --- correct implementations, drawn in every way a student might ------------------------------

class SheetGlobalBinomial:
    """The sheet's listing with the scale corrected: numpy's global generator, no rng
    parameter, the mask shape ``(1,) + a.shape[1:]``, ``delta *= mask`` in place."""

    def __init__(self, p=.5, trainable=True):
        if not 0 < p <= 1:
            raise ValueError("p must lie in (0, 1]")
        self.p, self.trainable, self.mask = p, trainable, None

    def evaluate(self, a):
        if self.trainable:
            shape = (1,) + a.shape[1:]
            self.mask = np.random.binomial(1, self.p, size=shape) / self.p
            return a * self.mask
        return a

    forward = evaluate

    def backprop(self, delta):
        if self.trainable:
            delta *= self.mask
        return delta

    backward = backprop

    def update(self):
        pass


class GlobalUniformBelowP(SheetGlobalBinomial):
    """``np.random.rand(...) < p`` from the global generator."""

    def evaluate(self, a):
        if not self.trainable:
            return a
        self.mask = (np.random.rand(1, a.shape[1]) < self.p) / self.p
        return a * self.mask

    forward = evaluate


class GeneratorBinomial:
    """A generator passed in (``rng``), ``rng.binomial``; the reference's way."""

    def __init__(self, p=0.5, trainable=True, rng=None):
        if not 0 < p <= 1:
            raise ValueError("bad p")
        self.p, self.trainable = p, trainable
        self.rng = rng if rng is not None else np.random.default_rng()

    def forward(self, x):
        if not self.trainable:
            return x
        self.mask = self.rng.binomial(1, self.p, (1, x.shape[1])) / self.p
        return x * self.mask

    def backward(self, delta):
        return delta * self.mask if self.trainable else delta

    evaluate, backprop = forward, backward

    def update(self):
        pass


class GeneratorChoice(GeneratorBinomial):
    """``rng.choice([0, 1/p], p=[1-p, p])``: the scaled mask drawn directly."""

    def forward(self, x):
        if not self.trainable:
            return x
        self.mask = self.rng.choice([0.0, 1.0 / self.p], size=(1, x.shape[1]), p=[1 - self.p, self.p])
        return x * self.mask

    evaluate = forward


class OwnUnseededGenerator(GeneratorBinomial):
    """No rng parameter: an unseeded ``default_rng()`` of its own, ``random() < p``; the mask
    kept with shape ``(F,)`` (it broadcasts like ``(1, F)``)."""

    def __init__(self, p=0.5, trainable=True):
        super().__init__(p, trainable, np.random.default_rng())

    def forward(self, x):
        if not self.trainable:
            return x.copy()
        self.mask = np.where(self.rng.random(x.shape[1]) < self.p, 1 / self.p, 0.0)
        return x * self.mask

    evaluate = forward


class IndicatorMaskAndKwargs(GeneratorBinomial):
    """``**kwargs`` in the constructor; ``mask`` stored as 0/1, the scale applied in forward
    and backward."""

    def __init__(self, p=0.5, trainable=True, **kwargs):
        super().__init__(p, trainable, kwargs.get("rng"))

    def forward(self, x):
        if not self.trainable:
            return x
        self.mask = (self.rng.uniform(size=(1, x.shape[1])) < self.p).astype(float)
        return x * self.mask / self.p

    def backward(self, delta):
        return delta * self.mask / self.p if self.trainable else delta

    evaluate, backprop = forward, backward


CORRECT = [SheetGlobalBinomial, GlobalUniformBelowP, GeneratorBinomial, GeneratorChoice,
           OwnUnseededGenerator, IndicatorMaskAndKwargs]


@pytest.mark.parametrize("impl", CORRECT, ids=lambda c: c.__name__)
def test_every_correct_way_to_draw_the_mask_passes(impl, capsys):
    check("DropoutLayer", impl)
    assert capsys.readouterr().out.strip() == f"DropoutLayer: {len(make_cases('DropoutLayer'))} cases passed"


# --- wrong implementations written as students write them -------------------------------------

class SheetListingVerbatim(SheetGlobalBinomial):
    """The sheet's own listing: scale 1/(1-p)."""

    def evaluate(self, a):
        if self.trainable:
            self.mask = 1 / (1 - self.p) * np.random.binomial(1, self.p, size=(1,) + a.shape[1:]) \
                if self.p < 1 else np.ones((1,) + a.shape[1:])
            return a * self.mask
        return a

    forward = evaluate


class KeepsWithOneMinusP(GeneratorBinomial):
    """Keeps a unit with probability 1 - p (p read as the drop probability), scale 1/p."""

    def forward(self, x):
        if not self.trainable:
            return x
        self.mask = (self.rng.random((1, x.shape[1])) >= self.p) / self.p
        return x * self.mask

    evaluate = forward


class MaskDrawnOnce(GeneratorBinomial):
    """Draws one mask at the first forward and keeps it for ever."""

    def forward(self, x):
        if not self.trainable:
            return x
        if getattr(self, "mask", None) is None:
            self.mask = self.rng.binomial(1, self.p, (1, x.shape[1])) / self.p
        return x * self.mask

    evaluate = forward


@pytest.mark.parametrize("impl,key", [(SheetListingVerbatim, "scale_1_over_1_minus_p"),
                                      (KeepsWithOneMinusP, None), (MaskDrawnOnce, None)],
                         ids=["sheet_listing", "keeps_1_minus_p", "mask_drawn_once"])
def test_wrong_implementations_fail(impl, key):
    with pytest.raises(AssertionError) as info:
        check("DropoutLayer", impl)
    msg = str(info.value)
    if key:
        assert f"Likely mistake: {key}:" in msg, msg
    else:
        assert "Likely mistake" not in msg and ("kept" in msg or "mean" in msg), msg


# --- the statistics ---------------------------------------------------------------------------

def test_hoeffding_eps_meets_its_bound():
    for n in (1, 100, 1500, 30000):
        eps = properties.hoeffding_eps(n)
        assert math.isclose(2 * math.exp(-2 * n * eps ** 2), properties.FALSE_FAILURE / properties.STAT_TESTS)


def test_union_bound_covers_every_statistical_test_of_a_run():
    cases = [c for c in make_cases("DropoutLayer") if not c["expect_error"]]
    n_tests = sum(c["args"][0].shape[1] + 1 for c in cases)  # one per feature, one total per case
    assert n_tests <= properties.STAT_TESTS
    assert properties.FALSE_FAILURE < 1e-9


def test_the_reference_passes_the_properties_for_many_seeds():
    """Not a proof (the bound is): 8 fresh seeds per case, no failure."""
    from solutions_lib import DropoutLayer
    for c in (c for c in make_cases("DropoutLayer") if not c["expect_error"]):
        for seed in range(8):
            c2 = dict(c, kwargs=dict(c["kwargs"], seed=seed))
            out, _ = drivers.run(DropoutLayer, c2)
            assert properties.dropout_failure(c2, out) is None, (c["desc"], seed)


def test_expected_output_is_exact_for_the_stand_in_layer():
    from solutions_lib import expected_output
    for c in (c for c in make_cases("expected_output") if not c["expect_error"]):
        a, masks = c["args"]
        want = a * masks.mean(axis=0)          # trials is a multiple of the period
        np.testing.assert_allclose(drivers.run(expected_output, c)[0], want, rtol=1e-12)
