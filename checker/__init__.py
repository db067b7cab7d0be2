"""The course's checker as the student's kernel sees it: ``check(name, obj)``.

A hidden test cell calls, after the student's cells have run::

    from checker import check
    check("convolve_full", convolve_full)

This package is the only part of the course a grading kernel can reach (the jail of
:mod:`autograder.sandbox` mounts exactly this folder, read-only). It holds no reference
code, no cases and no catalogue: :mod:`.client` asks the verifier (a process outside the
kernel, :mod:`solutions_lib.grading.verifier`) for the inputs of the name's cases, runs the
student's object through a driver (:mod:`.drivers`) and sends the outputs back as bytes
(:mod:`.wire`); the verifier compares them with the reference and answers with its verdict.
It imports only the standard library and numpy.
"""
from __future__ import annotations

from .client import check

__all__ = ["check"]
