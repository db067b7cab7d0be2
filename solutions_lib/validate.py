"""Argument checks shared by the reference library: one meaning of "an integer" everywhere."""
from __future__ import annotations

import numbers


def integer(name: str, value, minimum: int) -> int:
    """``value`` as an ``int``, or ``ValueError`` naming ``name``.

    An integer is a ``numbers.Integral`` (Python or numpy) that is not a ``bool``: ``2.0`` is
    rejected, as a stride of ``2.0`` is almost always a bug upstream (a division that should
    have been ``//``).

    Parameters
    ----------
    name : str
        The argument's name, for the message.
    value : object
        What the caller passed.
    minimum : int
        The smallest value allowed.
    """
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise ValueError(f"{name} must be an integer, got {value!r}")
    if value < minimum:
        raise ValueError(f"{name} must be an integer >= {minimum}, got {value!r}")
    return int(value)
