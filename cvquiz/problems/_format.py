"""Display helpers shared by the points, sequence and attention generators: vectors and
matrices as a student types them, and powers with superscript exponents."""

from __future__ import annotations

from typing import Iterable

import sympy

from cvquiz.answers import Mistake
from cvquiz.problems.registry import Redraw, approx, show
from cvquiz.text import Text

_SUPERSCRIPT = str.maketrans("0123456789-", "⁰¹²³⁴⁵⁶⁷⁸⁹⁻")


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


#: What to type, stated in the prompt's last line (see :func:`~cvquiz.problems.registry.answer_rule`).
WHOLE = Text("a whole number", "一个整数")
NUMBER = Text("a number, e.g. 0.25, 1/4 or 2.5e-3", "一个数，如 0.25、1/4 或 2.5e-3")
VECTOR = Text("a vector, e.g. [0.25, -1.5]", "一个向量，如 [0.25, -1.5]")
SHAPE = Text("a shape, e.g. [2, 8, 64]", "一个形状，如 [2, 8, 64]")
INDICES = Text("indices in order, separated by spaces, e.g. 3 0 2", "按顺序写出编号，用空格分隔，如 3 0 2")
POSITIONS = Text("positions separated by spaces, any order, e.g. 3 4", "用空格分隔的位置，顺序不限，如 3 4")
TOKENS = Text("token ids in order, separated by spaces", "按顺序写出词元编号，用空格分隔")


#: Longest exact answer, in characters, that a student could type (the parser takes up to 200).
MAX_EXACT_LENGTH = 160


def reject_long(answer) -> None:
    """Redraw when the exact form of ``answer`` is too long to type (e.g. a softmax of five terms)."""
    if len(sympy.sstr(answer)) > MAX_EXACT_LENGTH:
        raise Redraw


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
