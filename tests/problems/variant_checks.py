"""Helpers the generator tests share: the seeds they walk, and exact answers against floats."""

from __future__ import annotations

import math

import sympy


def seeds(n: int) -> list[str]:
    return [format(7919 * i + 104729, "x") for i in range(n)]


def float_of(value):
    if isinstance(value, (list, tuple)):
        return [float_of(v) for v in value]
    return float(sympy.N(value, 30))


def close(a, b, rel=1e-9, abs_tol=1e-12):
    """An exact answer (as numbers or nested lists) against a float reference."""
    if isinstance(a, (list, tuple)):
        return len(a) == len(b) and all(close(x, y, rel, abs_tol) for x, y in zip(a, b))
    return math.isclose(float(a), float(b), rel_tol=rel, abs_tol=abs_tol)
