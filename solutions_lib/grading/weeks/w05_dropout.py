"""Week 5 catalogue — inverted dropout: hidden cases, typical mistakes, alternatives.

A ``DropoutLayer`` draws its own random numbers (in whatever correct way: ``np.random.binomial``,
``rng.random() < p``, the global generator, a generator passed in), so it is graded by the
property checks of :mod:`solutions_lib.grading.properties` on what ``checker.drivers.drive_dropout``
records: every training output is ``x * m`` with one row ``m`` of entries 0 or 1/p, ``backward``
uses the forward's ``m``, evaluation is the identity (deterministic: never fails a correct layer),
and the kept fraction / Monte-Carlo mean of ``TRIALS`` forwards agree with ``p`` and the input
(Hoeffding bounds; a correct layer fails a whole run with probability below 1e-10, see
``properties.FALSE_FAILURE``). The same checks name the mistakes by their keys.

``expected_output`` is graded exactly, with a stand-in layer whose masks repeat with a period
dividing the number of trials (``checker.drivers.DriverMaskLayer``).
"""
from __future__ import annotations

import numpy as np

from solutions_lib.grading.catalogue import Week, case, error
from solutions_lib.grading.properties import STAT_TESTS

week = Week("w05_dropout")


# ======================================================================================
# hidden cases
# ======================================================================================

#: training forward + backward pairs recorded per case, and further forwards for the statistics
ROUNDS, TRIALS = 4, 1500

#: (N, F, p) of the hidden DropoutLayer cases: p = 0.5 first (where the sheet's scale happens
#: to be right), p = 1 (nothing dropped), a single example, and wide layers so that a mask drawn
#: anew in backward cannot coincide with the forward's in every round
_DROPOUT_SHAPES = [(4, 12, 0.5), (3, 10, 0.8), (1, 8, 0.6), (5, 6, 1.0), (6, 16, 0.65), (2, 20, 0.75)]
assert sum(f + 1 for _, f, _ in _DROPOUT_SHAPES) <= STAT_TESTS  # the union bound of properties.py


@week.cases("DropoutLayer")
def _dropout_cases(r):
    """Property cases (``driver="dropout"``, see :mod:`solutions_lib.grading.properties`): a correct
    layer fails a run of them with probability below ``properties.FALSE_FAILURE`` = 1e-10."""
    cases = []
    for n, f, p in _DROPOUT_SHAPES:
        x = r.uniform(0.5, 2.0, (n, f)) * r.choice([-1.0, 1.0], (n, f))
        cases.append(case(f"DropoutLayer(p={p}), x ({n}, {f})", [x, r.standard_normal((n, f))],
                          {"p": p, "trials": TRIALS, "rounds": ROUNDS, "seed": int(r.integers(1 << 30))},
                          driver="dropout"))
    for p in (0.0, 1.5, -0.2):
        cases.append(error(f"p = {p} (outside (0, 1])", [np.ones((2, 2)), np.ones((2, 2))],
                           {"p": p, "trials": 1, "rounds": 1, "seed": 0}, driver="dropout"))
    return cases


@week.cases("expected_output")
def _expected_output_cases(r):
    """A stand-in layer (``checker.drivers.DriverMaskLayer``) cycles through ``P`` masks; the
    number of trials is a multiple of ``P``, so the exact Monte-Carlo mean is known."""
    cases = []
    for n, f, period, trials, p in [(3, 5, 4, 8, 0.5), (2, 7, 3, 12, 0.8), (1, 4, 1, 1, 0.6),
                                    (4, 3, 5, 5, 0.75), (5, 6, 2, 10, 0.65)]:
        a = r.standard_normal((n, f))
        masks = r.binomial(1, p, (period, 1, f)) / p
        cases.append(case(f"a ({n}, {f}), {trials} trials, a layer whose masks repeat every {period} forwards",
                          [a, masks], {"trials": trials}, driver="expected_output"))
    for trials in (0, -2):
        cases.append(error(f"trials = {trials}", [np.ones((2, 3)), np.ones((1, 1, 3))], {"trials": trials},
                           driver="expected_output"))
    return cases


# ======================================================================================
# typical mistakes
# ======================================================================================

class _Dropout:
    """Inverted dropout, one mask ``Binomial(1, p) / p`` of shape (1, features) per forward.

    The mistakes below are subclasses that override one piece: ``_mask`` (how the mask is
    drawn and scaled), ``forward`` or ``backward``.
    """

    def __init__(self, p=0.5, trainable=True, rng=None):
        if not 0 < p <= 1:
            raise ValueError("the keep probability p must lie in (0, 1]")
        self.p = p
        self.trainable = trainable
        self.rng = np.random.default_rng() if rng is None else rng
        self.mask = None

    def _mask(self, x):
        return self.rng.binomial(1, self.p, size=(1, x.shape[1])) / self.p

    def forward(self, x):
        x = np.asarray(x, dtype=float)
        if not self.trainable:
            self.mask = np.ones((1, x.shape[1]))
            return x.copy()
        self.mask = self._mask(x)
        return x * self.mask

    def evaluate(self, x):
        return self.forward(x)

    def backward(self, delta):
        return np.asarray(delta, dtype=float) * self.mask

    def backprop(self, delta):
        return self.backward(delta)

    def update(self):
        pass


@week.mistake("the mask is scaled by 1/(1-p); with p the probability to KEEP, the scale is 1/p "
              "(the sheet's listing is wrong)")
class DropoutLayer__scale_1_over_1_minus_p(_Dropout):
    def _mask(self, x):
        return self.rng.binomial(1, self.p, size=(1, x.shape[1])) / (1.0 - self.p) if self.p < 1 else np.ones((1, x.shape[1]))


@week.mistake("the mask is not scaled: divide it by p so that the expected output equals the input")
class DropoutLayer__scale_omitted(_Dropout):
    def _mask(self, x):
        return self.rng.binomial(1, self.p, size=(1, x.shape[1])) * 1.0


@week.mistake("backward draws a new mask; it must reuse the mask of the last forward")
class DropoutLayer__new_mask_in_backward(_Dropout):
    def backward(self, delta):
        if self.trainable:
            self.mask = self.rng.binomial(1, self.p, size=self.mask.shape) / self.p
        return np.asarray(delta, dtype=float) * self.mask


@week.mistake("one mask per example; the sheet asks one mask (1, features) for the whole minibatch")
class DropoutLayer__mask_per_example(_Dropout):
    def _mask(self, x):
        return self.rng.binomial(1, self.p, size=x.shape) / self.p


@week.mistake("units are dropped at evaluation too; with trainable=False the layer is the identity")
class DropoutLayer__dropping_at_evaluation(_Dropout):
    def forward(self, x):
        x = np.asarray(x, dtype=float)
        self.mask = self._mask(x)
        return x * self.mask


def _check_trials(trials):
    if not isinstance(trials, (int, np.integer)) or isinstance(trials, bool) or trials < 1:
        raise ValueError(f"trials must be a positive integer, got {trials!r}")


@week.mistake("forward is called once and its output reused for every trial; each trial must call "
              "layer.forward again, so that a new mask is drawn")
def expected_output__one_trial_reused(layer, a, trials):
    _check_trials(trials)
    out = layer.forward(a)
    total = np.zeros_like(np.asarray(a, dtype=float))
    for _ in range(trials):
        total = total + out
    return total / trials


@week.mistake("the outputs are summed but not divided by the number of trials")
def expected_output__not_divided_by_trials(layer, a, trials):
    _check_trials(trials)
    return sum(np.asarray(layer.forward(a), dtype=float) for _ in range(trials))


@week.mistake("the mean is taken over the wrong axis (over the examples of the batch); average over "
              "the trials, keeping the shape of a")
def expected_output__wrong_axis(layer, a, trials):
    _check_trials(trials)
    outs = np.array([layer.forward(a) for _ in range(trials)])
    return outs.mean(axis=1)


# ======================================================================================
# correct alternatives (written differently from the reference)
# ======================================================================================

@week.alternative
class DropoutLayer:
    """Inverted dropout with keep probability ``p``: a unit is kept where a uniform draw falls below p.

    Parameters
    ----------
    p : float in (0, 1]
        The probability to KEEP a unit.
    trainable : bool
        ``False``: the layer is the identity (evaluation).
    rng : numpy.random.Generator, optional
    """

    def __init__(self, p=0.5, trainable=True, rng=None):
        if not 0 < p <= 1:
            raise ValueError("the keep probability p must lie in (0, 1]")
        self.p = p
        self.trainable = trainable
        self.rng = np.random.default_rng() if rng is None else rng
        self.mask = None

    def forward(self, x):
        """``x (N, F)`` times one mask of shape (1, F) with entries 0 or 1/p (identity at evaluation)."""
        x = np.asarray(x, dtype=float)
        if self.trainable:
            self.mask = np.where(self.rng.random((1, x.shape[1])) < self.p, 1.0 / self.p, 0.0)
        else:
            self.mask = np.ones((1, x.shape[1]))
        return x * self.mask

    evaluate = forward

    def backward(self, delta):
        """``delta`` times the mask of the last forward."""
        return np.asarray(delta, dtype=float) * self.mask

    backprop = backward

    def update(self):
        pass


@week.alternative
def expected_output(layer, a, trials):
    """Running mean of ``trials`` training outputs ``layer.forward(a)``: an array shaped like ``a``."""
    if isinstance(trials, bool) or int(trials) != trials or trials < 1:
        raise ValueError("trials must be a positive integer")
    mean = np.zeros(np.shape(a))
    for t in range(1, int(trials) + 1):
        mean += (np.asarray(layer.forward(a), dtype=float) - mean) / t
    return mean
