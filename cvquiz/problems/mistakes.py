"""Answers and listed mistakes a student can type and tell apart.

A generator lists predictable wrong answers (:class:`~cvquiz.answers.Mistake`) beside the exact
one. :func:`distinct_mistakes` keeps those clearly apart from the answer and from each other;
:func:`listed` writes each in a typable form; :func:`reject_near_boundary` and
:func:`reject_long` raise :class:`~cvquiz.problems.registry.Redraw` for a draw whose answer a
correct student could not type unambiguously.
"""

from __future__ import annotations

from typing import Any, Iterable

import sympy

from cvquiz.answers import Mistake, Tolerance
from cvquiz.problems.registry import Redraw
from cvquiz.text import Text

#: Longest exact answer, in characters, that a student could type (the parser takes up to 200).
MAX_EXACT_LENGTH = 160


def reject_near_boundary(answer: Any, tolerance: Tolerance | None) -> None:
    """Raise :class:`Redraw` when a correct student's rounding of ``answer`` would be ambiguous."""
    if tolerance is None:
        return
    from cvquiz.answers.check import near_boundary

    values = answer if isinstance(answer, (list, tuple)) else [answer]
    for value in values:
        if near_boundary(value, tolerance):
            raise Redraw


def reject_long(answer) -> None:
    """Redraw when the exact form of ``answer`` is too long to type (e.g. a softmax of five terms)."""
    if len(sympy.sstr(answer)) > MAX_EXACT_LENGTH:
        raise Redraw


def _numeric(value: Any) -> Any:
    """A comparable form of an answer (sympy numbers inside lists, sets and mappings);
    None when some number in it is not real and finite."""
    if isinstance(value, dict):
        parts = {k: _numeric(v) for k, v in value.items()}
        return None if any(p is None for p in parts.values()) else parts
    if isinstance(value, (list, tuple)):
        parts = [_numeric(v) for v in value]
        return None if any(p is None for p in parts) else parts
    if isinstance(value, (set, frozenset)):
        return frozenset(value)
    if isinstance(value, (bool, str)):
        return value
    v = sympy.sympify(value)
    if not (v.is_real and v.is_finite):
        return None
    return v


def _apart(a: Any, b: Any, exact: bool) -> bool:
    """Whether two answers of the same form are clearly different (2 % apart when not exact)."""
    if isinstance(a, dict) or isinstance(b, dict):
        if not isinstance(a, dict) or not isinstance(b, dict) or a.keys() != b.keys():
            return True
        return any(_apart(a[k], b[k], exact) for k in a)
    if isinstance(a, list) or isinstance(b, list):
        if not isinstance(a, list) or not isinstance(b, list) or len(a) != len(b):
            return True
        return any(_apart(x, y, exact) for x, y in zip(a, b))
    if exact or not isinstance(a, float) or not isinstance(b, float):
        return a != b
    return abs(a - b) > 0.02 * max(abs(a), abs(b)) + 1e-9


def _floats(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _floats(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_floats(v) for v in value]
    if isinstance(value, sympy.Expr):
        return float(sympy.N(value, 20))
    return value


def distinct_mistakes(answer: Any, tolerance: Tolerance | None,
                      candidates: list[tuple[Any, Text]]) -> tuple[Mistake, ...]:
    """The candidate mistakes that are real numbers clearly apart from the answer and from
    each other (a mistake that happens to give the right value here teaches nothing).
    Not exact (a tolerance): "clearly" means more than 2 % apart, so a student who rounds a
    mistake's value to 3 significant figures is still told about that mistake."""
    exact = tolerance is None
    convert = (lambda v: v) if exact else _floats
    target = convert(_numeric(answer))
    kept: list[tuple[Any, Mistake]] = []
    for value, feedback in candidates:
        if value is None:
            continue
        numeric = _numeric(value)
        if numeric is None:
            continue
        numeric = convert(numeric)
        if not _apart(numeric, target, exact) or any(not _apart(numeric, k, exact) for k, _ in kept):
            continue
        kept.append((numeric, Mistake(value, feedback)))
    return tuple(m for _, m in kept)


def typable(value, digits: int = 15):
    """A mistake's value as it is listed: exact when its exact form is short, else a decimal.

    A mistake is matched under the variant's tolerance, so 15 significant digits lose nothing.
    """
    if len(sympy.sstr(value)) <= MAX_EXACT_LENGTH:
        return value
    if isinstance(value, (list, tuple)):
        return [sympy.Float(sympy.N(v, digits + 5), digits) for v in value]
    return sympy.Float(sympy.N(value, digits + 5), digits)


def listed(mistakes: Iterable[Mistake]) -> tuple[Mistake, ...]:
    """The mistakes with each value in :func:`typable` form."""
    return tuple(Mistake(typable(m.answer), m.feedback) for m in mistakes)
