"""Exact numbers, vectors and prompts as a student reads and types them.

:func:`show` / :func:`factor` / :func:`approx` / :func:`exact_and_approx` write exact numbers
as a person does (``3/7``, ``0.35``, ``3/7 ≈ 0.4286``); :func:`as_param` makes them JSON numbers;
:func:`vector`, :func:`matrix` and :func:`power` lay out worked steps; :func:`answer_rule` and
the format texts (:data:`NUMBER`, :data:`SHAPE`, ...) state what to type in a prompt's last line.
"""

from __future__ import annotations

import re
from typing import Any, Iterable

import sympy

from cvquiz.answers import Tolerance
from cvquiz.text import Text

_SUPERSCRIPT = str.maketrans("0123456789-", "⁰¹²³⁴⁵⁶⁷⁸⁹⁻")


def show(x: Any) -> str:
    """An exact number as a person writes it: ``3``, ``-0.35``, ``3/7``, ``sqrt(2)/2``.

    Rationals whose denominator divides a power of ten are written as exact decimals.
    """
    x = sympy.sympify(x)
    if x.is_Integer:
        return str(int(x))
    if x.is_Rational:
        q = int(x.q)
        twos = fives = 0
        while q % 2 == 0:
            q //= 2
            twos += 1
        while q % 5 == 0:
            q //= 5
            fives += 1
        if q == 1:
            places = max(twos, fives)
            digits = abs(int(x.p)) * 10**places // int(x.q)
            whole, frac = divmod(digits, 10**places)
            sign = "-" if x < 0 else ""
            return f"{sign}{whole}.{frac:0{places}d}".rstrip("0").rstrip(".")
        return f"{x.p}/{x.q}"
    return re.sub(r"\bE\b", "exp(1)", sympy.sstr(x))


def factor(x: Any) -> str:
    """:func:`show`, in parentheses when negative or a sum (for a product in a worked step)."""
    text = show(x)
    return f"({text})" if text.startswith("-") or " " in text else text


def approx(x: Any, sig: int = 4) -> str:
    """A float rendering of an exact number with ``sig`` significant figures: ``0.4286``."""
    value = float(sympy.N(x, 30))
    return "0" if value == 0 else f"{value:.{sig}g}"


def exact_and_approx(x: Any, sig: int = 4) -> str:
    """``3/7 ≈ 0.4286`` for a value that is not a short decimal; ``0.35`` for one that is."""
    exact = show(x)
    shown = approx(x, sig)
    if exact == shown or ("/" not in exact and "(" not in exact and len(exact) <= sig + 3):
        return exact
    return f"{exact} ≈ {shown}"


def as_param(x: Any) -> int | float:
    """A display-ready exact value as a JSON number (int when whole)."""
    x = sympy.sympify(x)
    if x.is_Integer:
        return int(x)
    return float(x)


def vector(xs: Iterable, written=show) -> str:
    """``[1, -0.5, 2]``: a list of exact values as typed."""
    return "[" + ", ".join(written(x) for x in xs) + "]"


def approx_vector(xs: Iterable, sig: int = 4) -> str:
    """``[0.4286, 0.5714]``: a list of decimal approximations."""
    return vector(xs, lambda x: approx(x, sig))


def matrix(rows: Iterable[Iterable], indent: str = "  ") -> str:
    """A matrix one row per line, each row as typed: ``[1, -2]``."""
    return "\n".join(indent + vector(row) for row in rows)


def power(base: str, exponent: int) -> str:
    """``1.1¹⁹``: a power with a superscript exponent."""
    return f"{base}{str(exponent).translate(_SUPERSCRIPT)}"


#: What to type, stated in the prompt's last line (see :func:`answer_rule`).
WHOLE = Text("a whole number", "一个整数")
NUMBER = Text("a number, e.g. 0.25, 1/4 or 2.5e-3", "一个数，如 0.25、1/4 或 2.5e-3")
VECTOR = Text("a vector, e.g. [0.25, -1.5]", "一个向量，如 [0.25, -1.5]")
SHAPE = Text("a shape, e.g. [2, 8, 64]", "一个形状，如 [2, 8, 64]")
INDICES = Text("indices in order, separated by spaces, e.g. 3 0 2", "按顺序写出编号，用空格分隔，如 3 0 2")
POSITIONS = Text("positions separated by spaces, any order, e.g. 3 4", "用空格分隔的位置，顺序不限，如 3 4")
TOKENS = Text("token ids in order, separated by spaces", "按顺序写出词元编号，用空格分隔")


def answer_rule(tolerance: Tolerance | None, form: Text | None = None) -> Text:
    """The accepted-answer rule as the last line of a prompt: what to type and how close."""
    rule = tolerance.describe() if tolerance is not None else Text("exact", "须完全正确")
    if form is None:
        return Text(f"\n(Answer: {rule.en}.)", f"\n（答案要求：{rule.zh}。）")
    return Text(f"\n(Answer: {form.en}; {rule.en}.)", f"\n（答案要求：{form.zh}；{rule.zh}。）")
