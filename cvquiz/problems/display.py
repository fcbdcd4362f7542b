"""Exact numbers, vectors and prompts as a student reads and types them.

:func:`show` / :func:`factor` / :func:`approx` / :func:`exact_and_approx` write exact numbers
as a person does (``3/7``, ``0.35``, ``3/7 ≈ 0.4286``, ``23 − 2√11 − 2√7``), through the one
pretty-printer, :func:`pretty`, that every worked solution and shown answer goes through
(:func:`answer_text` for expected answers); :func:`as_param` makes them JSON numbers;
:func:`vector`, :func:`matrix` and :func:`power` lay out worked steps; :func:`answer_rule` and
the format texts (:data:`NUMBER`, :data:`SHAPE`, ...) state what to type in a prompt's last line.
"""

from __future__ import annotations

import math
from typing import Any, Iterable

import sympy

from cvquiz.answers import Tolerance
from cvquiz.text import Text

_SUPERSCRIPT = str.maketrans("0123456789-", "⁰¹²³⁴⁵⁶⁷⁸⁹⁻")


def _decimal(x: sympy.Rational) -> str | None:
    """A rational whose denominator divides a power of ten as an exact decimal, else None."""
    q = int(x.q)
    twos = fives = 0
    while q % 2 == 0:
        q //= 2
        twos += 1
    while q % 5 == 0:
        q //= 5
        fives += 1
    if q != 1:
        return None
    places = max(twos, fives)
    digits = abs(int(x.p)) * 10**places // int(x.q)
    whole, frac = divmod(digits, 10**places)
    sign = "-" if x < 0 else ""
    return f"{sign}{whole}.{frac:0{places}d}".rstrip("0").rstrip(".")


def show(x: Any) -> str:
    """An exact number as a person writes it: ``3``, ``-0.35``, ``3/7``, ``√2/2``, ``23 − 2√11``.

    Rationals whose denominator divides a power of ten are written as exact decimals; anything
    else as mathematics (:func:`pretty`).
    """
    x = sympy.sympify(x)
    if x.is_Integer:
        return str(int(x))
    if x.is_Rational:
        return _decimal(x) or f"{x.p}/{x.q}"
    return pretty(x)


# ---------------------------------------------------------------------------
# The pretty-printer: exact sympy values as mathematics, never as code.

MINUS = "−"
_ATOM, _PRODUCT, _SUM = 3, 2, 1


def pretty(x: Any) -> str:
    """An exact value as a student reads it: ``23 − 2√11 − 2√7``, ``(s − d)/(s + d)``,
    ``469/200 − ln(36/25)/2``, ``(0.6√(…))²⁹``, ``e^(1/2)``: √ for square roots, superscript
    integer powers, ``ln`` for the natural log, ``−`` between terms, positive terms first, and
    never ``*``, ``**`` or ``sqrt(``. Every form it writes is also accepted as a typed answer,
    except superscripts. Lists and tuples are written ``[a, b]``.
    """
    if isinstance(x, (list, tuple)):
        return "[" + ", ".join(pretty(v) for v in x) + "]"
    return _pretty(sympy.sympify(x))[0]


def _wrap(text: str, level: int, need: int) -> str:
    return f"({text})" if level < need else text


def _pretty(e: sympy.Basic) -> tuple[str, int]:
    """(text, binding level): an atom binds tightest, a sum loosest."""
    if e.is_Integer:
        return str(int(e)).replace("-", MINUS), _ATOM if e >= 0 else _SUM
    if e.is_Rational:
        text = _decimal(e)
        if text is not None:
            return text.replace("-", MINUS), _ATOM if e >= 0 else _SUM
        return f"{MINUS if e < 0 else ''}{abs(int(e.p))}/{int(e.q)}", _SUM if e < 0 else _PRODUCT
    if e.is_Float:
        value = float(e)
        return f"{value:.6g}".replace("-", MINUS), _ATOM if value >= 0 else _SUM
    if e is sympy.E:
        return "e", _ATOM
    if e is sympy.pi:
        return "π", _ATOM
    if e.is_Symbol:
        return e.name, _ATOM
    if e.is_Add:
        return _sum(e), _SUM
    if e.is_Mul:
        return _product(e)
    if e.is_Pow:
        return _power(e)
    if isinstance(e, sympy.exp):
        return f"e^{_wrap(*_pretty(e.args[0]), _ATOM)}", _PRODUCT
    if isinstance(e, sympy.log):
        return f"ln({_pretty(e.args[0])[0]})", _ATOM
    if isinstance(e, sympy.Abs):
        return f"|{_pretty(e.args[0])[0]}|", _ATOM
    if isinstance(e, sympy.Function):
        return f"{type(e).__name__}({', '.join(_pretty(a)[0] for a in e.args)})", _ATOM
    return sympy.sstr(e), _ATOM


def _negative(e: sympy.Basic) -> bool:
    return e.could_extract_minus_sign()


def _sum(e: sympy.Add, like: list[sympy.Symbol] | None = None) -> str:
    """The terms: the number first (unless the sum has symbols and the number is negative), then
    the positive terms, then the negative ones; with
    ``like`` (a numerator's symbols), a denominator lists its symbols in the same order."""
    terms = list(e.as_ordered_terms())
    if like:
        rank = {sym: i for i, sym in enumerate(like)}
        terms.sort(key=lambda t: min((rank.get(sym, len(rank)) for sym in t.free_symbols), default=-1))
    first = [t for t in terms if t.is_Number and not (e.free_symbols and _negative(t))]  # 23 − 2√11; x − 1
    rest = [t for t in terms if t not in first]
    terms = first + [t for t in rest if not _negative(t)] + [t for t in rest if _negative(t)]
    out = ""
    for i, term in enumerate(terms):
        negative = _negative(term)
        text, level = _pretty(-term if negative else term)
        text = _wrap(text, level, _PRODUCT) if level == _SUM else text
        if i == 0:
            out = f"{MINUS}{text}" if negative else text
        else:
            out += f" {MINUS} {text}" if negative else f" + {text}"
    return out


def _symbols_in_order(e: sympy.Add) -> list[sympy.Symbol]:
    """The symbols of a sum in the order :func:`_sum` writes its terms."""
    seen: list[sympy.Symbol] = []
    terms = list(e.as_ordered_terms())
    for t in [t for t in terms if not _negative(t)] + [t for t in terms if _negative(t)]:
        seen += [sym for sym in sorted(t.free_symbols, key=str) if sym not in seen]
    return seen


def _product(e: sympy.Mul) -> tuple[str, int]:
    if _negative(e):
        text, level = _pretty(-e)
        return f"{MINUS}{_wrap(text, level, _PRODUCT)}", _SUM
    numerator, denominator = sympy.fraction(e, exact=True)
    if denominator != 1:
        top, top_level = _pretty(numerator)
        if denominator.is_Add and numerator.is_Add:
            bottom, bottom_level = _sum(denominator, _symbols_in_order(numerator)), _SUM
        else:
            bottom, bottom_level = _pretty(denominator)
        return f"{_wrap(top, top_level, _PRODUCT)}/{_wrap(bottom, bottom_level, _ATOM)}", _PRODUCT
    coefficient, rest = e.as_coeff_mul()
    factors = list(rest)
    text = ""
    if coefficient != 1:
        text = _wrap(*_pretty(coefficient), _ATOM) if not coefficient.is_Integer else str(int(coefficient))
    for f in factors:
        part, level = _pretty(f)
        part = _wrap(part, level, _PRODUCT)
        if not text:
            text = part
        elif part[0] == "(" or (text.isdigit() and (part[0] == "√" or f.is_Symbol)):
            text += part  # 2√11, 3(x + 1), (x + 1)(x − 1), 2x
        else:
            text += f"·{part}"
    return text, _PRODUCT


def _power(e: sympy.Pow) -> tuple[str, int]:
    base, exponent = e.args
    if exponent == sympy.Rational(1, 2):
        text, level = _pretty(base)
        return f"√{text}" if level == _ATOM and not text.startswith("√") else f"√({text})", _ATOM
    if exponent.is_Integer and exponent < 0:
        bottom, level = _pretty(base if exponent == -1 else sympy.Pow(base, -exponent, evaluate=False))
        return f"1/{_wrap(bottom, level, _ATOM)}", _PRODUCT
    text, level = _pretty(base)
    text = _wrap(text, level, _ATOM) if not (level == _ATOM and text.isalnum()) else text
    if exponent.is_Integer:
        return text + str(int(exponent)).translate(_SUPERSCRIPT), _ATOM
    return f"{text}^{_wrap(*_pretty(exponent), _ATOM)}", _PRODUCT


def factor(x: Any) -> str:
    """:func:`show`, in parentheses when negative or a sum (for a product in a worked step)."""
    text = show(x)
    return f"({text})" if text.startswith(("-", MINUS)) or " " in text else text


def approx(x: Any, sig: int = 4) -> str:
    """A float rendering of an exact number with ``sig`` significant figures: ``0.4286``."""
    value = float(sympy.N(x, 30))
    return "0" if value == 0 else f"{value:.{sig}g}"


def exact_and_approx(x: Any, sig: int = 4) -> str:
    """``3/7 ≈ 0.4286`` for a value that is not a short decimal; ``0.35`` for one that is."""
    exact = show(x)
    shown = approx(x, sig)
    if exact == shown or (sympy.sympify(x).is_Rational and "/" not in exact and len(exact) <= sig + 3):
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


# ---------------------------------------------------------------------------
# Expected answers as shown after an attempt and in answer keys.

def _digits_for(x: sympy.Expr, tolerance: Tolerance | None) -> int:
    """Significant digits for an approximation that the tolerance itself would accept: 4, one
    more than ``sig_figs``, and enough decimals for an ``abs`` rule (±0.05 needs 3)."""
    digits = max(4, (tolerance.sig_figs + 1) if tolerance and tolerance.sig_figs else 4)
    value = abs(float(sympy.N(x, 30)))
    if tolerance is not None and tolerance.abs and value:
        places = math.ceil(-math.log10(tolerance.abs)) + 1
        digits = max(digits, math.floor(math.log10(value)) + 1 + places)
    return digits


def _number_text(x: sympy.Expr, tolerance: Tolerance | None) -> str:
    x = sympy.sympify(x)
    if x.is_Integer or (x.is_Rational and _decimal(x) is not None and len(_decimal(x)) <= 24):
        return show(x)
    return f"{show(x)} ≈ {approx(x, _digits_for(x, tolerance))}"


def answer_text(kind: str, value: Any, tolerance: Tolerance | None = None) -> str:
    """An expected answer as mathematics, with an approximation that passes its own tolerance:
    ``23 − 2√11 − 2√7 ≈ 11.08``, ``(s − d)/(s + d)``, ``[√2/2, 0.5] ≈ [0.7071, 0.5]``; other
    kinds (shapes, indices, sets, choices) as :func:`~cvquiz.answers.check.format_answer` writes them."""
    if kind == "number":
        return _number_text(value, tolerance)
    if kind == "expression":
        return pretty(value)
    if kind == "vector":
        values = [sympy.sympify(v) for v in value]
        exact = "[" + ", ".join(show(v) for v in values) + "]"
        if all(v.is_Rational and _decimal(v) is not None for v in values):
            return exact
        return exact + " ≈ [" + ", ".join(
            show(v) if v.is_Rational and _decimal(v) is not None else approx(v, _digits_for(v, tolerance))
            for v in values) + "]"
    from cvquiz.answers.check import format_answer

    return format_answer(kind, value, tolerance=tolerance)


def after_han(text: str) -> str:
    """A Chinese phrase as it follows a Han character: with one space in front when it starts
    with a Latin letter or digit ("每类用 11 点 AP", "考虑 RNN"), else as it is ("一个普通 RNN")."""
    return f" {text}" if text[:1].isascii() and text[:1].isalnum() else text
