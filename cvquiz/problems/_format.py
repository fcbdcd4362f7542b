"""Shared by the topic generators: how exact values are shown, and the two guards every
draft passes (no answer within a hair of a tolerance boundary; no listed mistake that
the checker would accept or that repeats an earlier one).

The checker (:mod:`cvquiz.answers.check`) is imported on first use, so that importing
the generators stays cheap.
"""

from __future__ import annotations

from typing import Iterable, Sequence

import sympy

from cvquiz.answers import AnswerKind, Mistake, Tolerance
from cvquiz.problems.registry import Redraw
from cvquiz.text import Text

_SUPERSCRIPT = str.maketrans("0123456789-", "⁰¹²³⁴⁵⁶⁷⁸⁹⁻")


def show(x) -> str:
    """An exact value as written in a prompt: ``12``, ``-0.25``, ``3/7``, ``√2/2``.

    Rationals whose decimal expansion ends are written as decimals (that is how the
    parameters were drawn); others as fractions; irrational values in sympy's form
    with ``sqrt`` written ``√``.
    """
    x = sympy.nsimplify(x) if isinstance(x, float) else sympy.sympify(x)
    if x.is_Integer:
        return str(int(x))
    if x.is_Rational:
        return _decimal(x) or f"{x.p}/{x.q}"
    return str(x).replace("sqrt", "√").replace("**", "^").replace("*", "·")


def _decimal(x: sympy.Rational) -> str | None:
    for places in range(1, 13):
        scaled = x * 10**places
        if scaled.is_Integer:
            digits = str(abs(int(scaled))).rjust(places + 1, "0")
            sign = "-" if x < 0 else ""
            return f"{sign}{digits[:-places]}.{digits[-places:]}".rstrip("0").rstrip(".")
    return None


def approx(x, sig: int = 4) -> str:
    """A decimal approximation for worked solutions: ``0.4286``, ``1.235e5``, ``12``."""
    value = float(sympy.N(x, 30))
    if value == int(value) and abs(value) < 1e15:
        return str(int(value))
    text = f"{value:.{sig}g}"
    if "e" in text:
        mantissa, exponent = text.split("e")
        text = f"{mantissa}e{int(exponent)}"
    return text


def exact(x, sig: int = 4) -> str:
    """An exact value followed by its decimal when they differ: ``3/7 ≈ 0.4286``."""
    x = sympy.sympify(x)
    written = show(x)
    if x.is_Integer or (x.is_Rational and _decimal(x) is not None):
        return written
    if len(written) > 40:
        return f"≈ {approx(x, sig)}"
    return f"{written} ≈ {approx(x, sig)}"


def vector(xs: Iterable, written=show) -> str:
    """``[1, -0.5, 2]``: a list of values as typed."""
    return "[" + ", ".join(written(x) for x in xs) + "]"


def matrix(rows: Iterable[Iterable], indent: str = "  ") -> str:
    """A matrix one row per line, rows as typed: ``[1, -2]``."""
    return "\n".join(indent + vector(row) for row in rows)


def approx_vector(xs: Iterable, sig: int = 4) -> str:
    return vector(xs, lambda x: approx(x, sig))


def power(base: str, exponent: int) -> str:
    """``1.1^{19}`` written with superscripts: ``1.1¹⁹``."""
    return f"{base}{str(exponent).translate(_SUPERSCRIPT)}"


def json_number(x):
    """A display-ready exact value as it goes into ``params``: int, or a float when decimal."""
    x = sympy.sympify(x)
    if x.is_Integer:
        return int(x)
    return float(x)


def check_boundary(answer, tolerance: Tolerance | None) -> None:
    """Redraw when a correct student's rounding of ``answer`` would be ambiguous.

    ``answer`` is one number or a list of numbers (a vector answer is checked elementwise).
    """
    if tolerance is None:
        return
    from cvquiz.answers.check import near_boundary

    for value in answer if isinstance(answer, (list, tuple)) else [answer]:
        if near_boundary(value, tolerance):
            raise Redraw


def keep_mistakes(kind: AnswerKind, answer, tolerance: Tolerance | None,
                  candidates: Sequence[tuple[object, Text]]) -> tuple[Mistake, ...]:
    """The candidate mistakes the checker tells apart from the answer and from each other.

    A candidate the checker would accept as correct is no mistake in this variant; one
    that agrees with an earlier candidate would only ever get the earlier feedback.
    Under a tolerance, values are compared as 30-digit decimals (the comparison is the
    checker's; evaluating each exact expression once keeps this fast).
    """
    from cvquiz.answers.check import agrees

    approximate = tolerance is not None and kind in ("number", "vector")

    def value(x):
        if not approximate:
            return x
        if kind == "vector":
            return [sympy.Float(sympy.N(v, 30), 30) for v in x]
        return sympy.Float(sympy.N(x, 30), 30)

    target = value(answer)
    kept: list[tuple[Mistake, object]] = []
    for wrong, feedback in candidates:
        if wrong is None:
            continue
        approx_wrong = value(wrong)
        if _agrees(agrees, kind, target, approx_wrong, tolerance):
            continue
        if any(_agrees(agrees, kind, earlier, approx_wrong, tolerance) or
               _agrees(agrees, kind, approx_wrong, earlier, tolerance) for _, earlier in kept):
            continue
        kept.append((Mistake(wrong, feedback), approx_wrong))
    return tuple(m for m, _ in kept)


def _agrees(agrees, kind, expected, value, tolerance) -> bool:
    try:
        return agrees(kind, expected, value, tolerance)
    except (TypeError, ValueError):  # e.g. vectors of different lengths
        return False
