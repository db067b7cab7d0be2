"""Parameter update rules (week 3, sheet 004 eq. 30-31).

Both optimizers change the parameter arrays in place (a layer keeps references to them) and
never change the gradient arrays they are handed.
"""
from __future__ import annotations

import numpy as np


def _check(params, grads):
    if len(params) != len(grads):
        raise ValueError(f"got {len(params)} parameters but {len(grads)} gradients")
    for k, (p, g) in enumerate(zip(params, grads)):
        if np.shape(p) != np.shape(g):
            raise ValueError(f"shape mismatch at position {k}: parameter {np.shape(p)} vs gradient {np.shape(g)}")


class SGD:
    """Plain gradient descent ``w -= eta * g``.

    Parameters
    ----------
    eta : float > 0
        Learning rate.
    """

    def __init__(self, eta: float = 0.1):
        if not eta > 0:
            raise ValueError(f"learning rate eta must be positive, got {eta}")
        self.eta = float(eta)

    def update(self, params, grads) -> None:
        """Change every array of ``params`` in place by ``-eta`` times the matching gradient.

        ``grads`` is only read: a layer's ``dW``, ``db`` keep their values after the step.
        """
        _check(params, grads)
        for p, g in zip(params, grads):
            p -= self.eta * np.asarray(g)


class Momentum:
    """Gradient descent with momentum: ``m = mu*m + (1-mu)*g``, ``w -= eta*m``.

    One ``m`` is kept per position of the parameter list, starting at zero.

    Parameters
    ----------
    eta : float > 0
        Learning rate.
    mu : float in [0, 1)
        Momentum coefficient.
    """

    def __init__(self, eta: float = 0.1, mu: float = 0.9):
        if not eta > 0:
            raise ValueError(f"learning rate eta must be positive, got {eta}")
        if not 0 <= mu < 1:
            raise ValueError(f"momentum mu must lie in [0, 1), got {mu}")
        self.eta = float(eta)
        self.mu = float(mu)
        self.m = None

    def update(self, params, grads) -> None:
        """Advance the moving averages and change ``params`` in place; ``grads`` is only read."""
        _check(params, grads)
        if self.m is None:
            self.m = [np.zeros(np.shape(p)) for p in params]
        elif len(self.m) != len(params) or any(m.shape != np.shape(p) for m, p in zip(self.m, params)):
            raise ValueError("the parameter list changed shape between Momentum updates")
        for k, (p, g) in enumerate(zip(params, grads)):
            self.m[k] = self.mu * self.m[k] + (1.0 - self.mu) * np.asarray(g)
            p -= self.eta * self.m[k]
