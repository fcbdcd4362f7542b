"""Checking a typed answer against the expected one.

Tolerance semantics (numbers, and each entry of a vector)
---------------------------------------------------------
Let ``x`` be the exact expected value and ``v`` the typed one (typed decimals are exact
rationals, see :mod:`cvquiz.answers.parse`). ``v`` agrees with ``x`` under a
:class:`~cvquiz.answers.Tolerance` when ANY of the stated rules holds:

- ``abs``: ``|v - x| <= abs``;
- ``rel``: ``|v - x| <= rel * |x|``; at ``x = 0`` this only accepts ``v = 0`` (nothing is divided
  by ``x``, so zero is safe);
- ``sig_figs = n``: ``v`` is correct to ``n`` significant figures, i.e. ``|v - x|`` is at most half
  a unit in the ``n``-th significant digit of ``x``: ``|v - x| <= 0.5 * 10**(floor(log10|x|) - n + 1)``.
  Rounding ``x`` to ``n`` figures always passes; so does any value typed with more digits that is
  that close (``0.42849`` for ``x = 0.428571`` at 3 figures), while ``0.428`` fails. At ``x = 0``
  this rule does not apply (zero has no significant figures).

Bounds are inclusive and are computed exactly (rationals) or to 30 digits (irrationals).
Exact cases: an expected value that is an integer (a count, a size, a number of parameters) is
compared exactly: ``rel`` and ``sig_figs`` do not apply to it, only an explicit ``abs`` does
(so ``Tolerance(abs=1e-6)`` still accepts ``1e-9`` for an expected ``0``); shapes, index lists, sets, choices and
true/false are exact. ``tolerance=None`` (or a Tolerance with every field ``None``) means exact:
``3/7`` typed as ``3/7``, ``6/14`` or ``0.4286*1`` ... must equal ``3/7`` (different exact forms
of the same number agree: ``log(8)`` and ``3*log(2)``), with one allowance: when the expected
value has no finite decimal form (``3/7``, ``sqrt(2)/2``), a typed decimal agrees when it is
within a relative ``1e-9`` of it (``0.428571428571`` for ``3/7``), since it cannot be typed exactly.

Expressions agree when they are the same function of their symbols (each a positive real):
they are compared at several fixed random points to 12 digits, after a structural test.

A malformed answer is ``Verdict("invalid", message=...)`` (not an attempt); a wrong answer that
agrees with a listed :class:`~cvquiz.answers.Mistake` gets that mistake's feedback.
"""

from __future__ import annotations

import math
import numbers
import random
import re
from fractions import Fraction
from typing import Any, Sequence

import mpmath
import sympy

from cvquiz.answers import AnswerKind, Mistake, Tolerance, Verdict
from cvquiz.answers.parse import AnswerFormatError, parse_answer, parse_expression, parse_number

#: A decimal typed for an expected value without a finite decimal form, with tolerance None,
#: agrees within this relative error.
DECIMAL_FOR_EXACT_REL = Fraction(1, 10**9)
#: Expressions agree when their values at the test points agree to this relative error.
EXPRESSION_REL = 1e-12
#: near_boundary: a plausible typed value whose error is within this fraction of the allowed
#: error's edge makes the variant ambiguous.
BOUNDARY_MARGIN = Fraction(2, 100)

_KINDS = ("number", "expression", "shape", "indices", "set", "vector", "choice", "multi", "truefalse")


# --------------------------------------------------------------------------- coercion

def _exact_float(x: float) -> sympy.Rational:
    if not math.isfinite(x):
        raise ValueError(f"expected a finite number, got {x!r}")
    return sympy.Rational(repr(float(x)))


def as_number(x: Any) -> sympy.Expr:
    """An expected value as an exact sympy number: ints, floats (their shortest decimal),
    strings (parsed like a typed answer) and sympy numbers (Floats become their decimal)."""
    if isinstance(x, bool):
        raise ValueError(f"expected a number, got {x!r}")
    if isinstance(x, sympy.Basic):
        if x.free_symbols:
            raise ValueError(f"expected a number, got the expression {x}")
        floats = x.atoms(sympy.Float)
        if floats:
            x = x.xreplace({f: sympy.Rational(str(f)) for f in floats})
        return x
    if isinstance(x, numbers.Integral):
        return sympy.Integer(int(x))
    if isinstance(x, numbers.Real):
        return _exact_float(float(x))
    if isinstance(x, str):
        return parse_number(x)
    raise ValueError(f"expected a number, got {type(x).__name__} {x!r}")


def _names_in(text: str) -> list[str]:
    from cvquiz.answers.parse import _CONSTANTS, _FUNCTIONS

    names = re.findall(r"[A-Za-z][A-Za-z0-9_]*", text)
    return sorted({n for n in names if n.lower() not in _FUNCTIONS and n.lower() not in _CONSTANTS})


def _as_expression(x: Any) -> sympy.Expr:
    if isinstance(x, str):
        return parse_expression(x, _names_in(x))
    if isinstance(x, sympy.Basic):
        return x
    return as_number(x)


def _coerce(kind: AnswerKind, x: Any) -> Any:
    """An expected (or mistaken) answer in the form :func:`parse_answer` returns."""
    if kind == "number":
        return as_number(x)
    if kind == "expression":
        return _as_expression(x)
    if isinstance(x, str):
        return parse_answer(kind, x)
    if kind == "shape":
        return tuple(_int(d) for d in x)
    if kind == "indices":
        return [_int(i) for i in x]
    if kind in ("set", "multi"):
        return frozenset(_int(i) for i in x)
    if kind == "vector":
        return [as_number(e) for e in x]
    if kind == "choice":
        return _int(x)
    if kind == "truefalse":
        if not isinstance(x, bool):
            raise ValueError(f"expected true or false, got {x!r}")
        return x
    raise ValueError(f"kind: expected one of {', '.join(_KINDS)} (a mapping is checked part by part); got {kind!r}")


def _int(x: Any) -> int:
    if isinstance(x, bool):
        raise ValueError(f"expected a whole number, got {x!r}")
    if isinstance(x, numbers.Integral):
        return int(x)
    if isinstance(x, sympy.Basic) and x.is_Integer:
        return int(x)
    raise ValueError(f"expected a whole number, got {x!r}")


# --------------------------------------------------------------------------- numbers

def _is_decimal(x: sympy.Expr) -> bool:
    """True for a rational with a finite decimal expansion (denominator 2^a 5^b)."""
    if not x.is_Rational:
        return False
    q = int(x.q)
    for p in (2, 5):
        while q % p == 0:
            q //= p
    return q == 1


def _to_fraction(d: sympy.Expr) -> Fraction:
    """A sympy Rational or Float as an exact Fraction."""
    if d.is_Rational:
        return Fraction(int(d.p), int(d.q))
    if isinstance(d, sympy.Float):
        sign, man, exp, _ = d._mpf_
        if not man:
            return Fraction(0)
        value = Fraction(int(man)) * (Fraction(2) ** int(exp))
        return -value if sign else value
    raise ValueError(f"expected a real number, got {d}")


def _fraction(x: sympy.Expr, digits: int = 40) -> Fraction:
    """``x`` as a Fraction: exact for rationals, else to ``digits`` significant digits."""
    if x.is_Rational:
        return _to_fraction(x)
    return _to_fraction(sympy.N(x, digits))


def _difference(x: sympy.Expr, v: sympy.Expr) -> Fraction:
    """|v - x|, exactly when both are rational, else to 30 significant digits."""
    if x.is_Rational and v.is_Rational:
        return abs(_to_fraction(v) - _to_fraction(x))
    return abs(_to_fraction(sympy.N(v - x, 30)))


def _exponent10(x: Fraction) -> int:
    """floor(log10 |x|) for x != 0, exactly."""
    x = abs(x)
    k = math.floor(math.log10(x.numerator) - math.log10(x.denominator))
    while Fraction(10) ** k > x:
        k -= 1
    while Fraction(10) ** (k + 1) <= x:
        k += 1
    return k


def _half_unit(x: Fraction, n: int) -> Fraction:
    """Half a unit in the ``n``-th significant digit of ``x`` (x != 0)."""
    return Fraction(10) ** (_exponent10(x) - n + 1) / 2


def _is_exact(tolerance: Tolerance | None) -> bool:
    return tolerance is None or (tolerance.abs is None and tolerance.rel is None and tolerance.sig_figs is None)


def _allowed_errors(x: Fraction, tolerance: Tolerance) -> list[Fraction]:
    """The error each rule of ``tolerance`` allows around ``x``."""
    out = []
    if tolerance.abs is not None:
        out.append(Fraction(repr(float(tolerance.abs))))
    if tolerance.rel is not None:
        out.append(Fraction(repr(float(tolerance.rel))) * abs(x))
    if tolerance.sig_figs is not None and x != 0:
        out.append(_half_unit(x, tolerance.sig_figs))
    return out


def _number_agrees(x: sympy.Expr, v: sympy.Expr, tolerance: Tolerance | None) -> bool:
    if x == v:
        return True
    exact = _is_exact(tolerance)
    if x.is_Integer and not exact:
        tolerance = Tolerance(abs=tolerance.abs)  # an integer: only an explicit abs applies
        exact = tolerance.abs is None
    leniency = _is_decimal(v) and not _is_decimal(x)
    if exact and x.is_Rational and v.is_Rational and not leniency:
        return False
    try:
        d = _difference(x, v)
        if exact:
            xf = _fraction(x)
            if d <= Fraction(1, 10**40) * max(1, abs(xf)):
                return True  # the same number written another way (log(8) and 3*log(2))
            return leniency and d <= DECIMAL_FOR_EXACT_REL * abs(xf)
        return any(d <= allowed for allowed in _allowed_errors(_fraction(x), tolerance))
    except Exception:  # sympy could not evaluate the typed value precisely (PrecisionExhausted, ...)
        return False


# --------------------------------------------------------------------------- expressions

def _by_name(e: sympy.Expr) -> sympy.Expr:
    # Only symbols that change: rebuilding an unchanged formula would re-evaluate it (an
    # unevaluated max(N + 1, (N + 1)^30) would make sympy order its arguments, for seconds).
    rule = {s: sympy.Symbol(s.name, positive=True) for s in e.free_symbols}
    rule = {s: t for s, t in rule.items() if s != t}
    return e.xreplace(rule) if rule else e


class _Unevaluable(Exception):
    """A test point where an expression cannot be evaluated within bounds."""


_EV = mpmath.MPContext()
_EV.prec = 120
#: Values at a test point stay within 2^±EVAL_MAX_BITS; beyond that the point is skipped.
EVAL_MAX_BITS = 100_000
_EV_FUNCS = {
    sympy.exp: _EV.exp, sympy.log: _EV.log, sympy.sin: _EV.sin, sympy.cos: _EV.cos, sympy.tan: _EV.tan,
    sympy.asin: _EV.asin, sympy.acos: _EV.acos, sympy.atan: _EV.atan, sympy.sinh: _EV.sinh,
    sympy.cosh: _EV.cosh, sympy.tanh: _EV.tanh, sympy.Abs: abs,
}
_EV_GROWS = {sympy.exp, sympy.sinh, sympy.cosh}


def _bounded(z):
    for part in (_EV.re(z), _EV.im(z)):
        if part and abs(_EV.mag(part)) > EVAL_MAX_BITS:
            raise _Unevaluable
    return z


def _evaluate(e: sympy.Expr, env: dict[str, object]):
    """The value of ``e`` at the point ``env`` (name → mpmath number), refusing huge values
    before computing them (``2^2^2^2^2^N`` is skipped, not computed)."""
    if e.is_Symbol:
        return env[e.name]
    if e.is_Rational:
        return _EV.mpf(int(e.p)) / int(e.q)
    if e.is_Float:
        return _EV.mpf(e._mpf_)
    if e is sympy.pi:
        return +_EV.pi
    if e is sympy.E:
        return +_EV.e
    if e.is_Add:
        return _bounded(_EV.fsum(_evaluate(a, env) for a in e.args))
    if e.is_Mul:
        out = _EV.mpf(1)
        for a in e.args:
            out = _bounded(out * _evaluate(a, env))
        return out
    if e.is_Pow:
        b, x = _evaluate(e.base, env), _evaluate(e.exp, env)
        if b == 0:
            if _EV.re(x) <= 0:
                raise _Unevaluable
            return _EV.mpf(0)
        if abs(x) * abs(_EV.log(abs(b), 2)) > EVAL_MAX_BITS:
            raise _Unevaluable
        return _bounded(_EV.power(b, x))
    if e.func in _EV_FUNCS:
        (arg,) = [_evaluate(a, env) for a in e.args]
        if e.func in _EV_GROWS and abs(arg) > EVAL_MAX_BITS / 2:
            raise _Unevaluable
        if e.func is sympy.log and arg == 0:
            raise _Unevaluable
        return _bounded(_EV_FUNCS[e.func](arg))
    if e.func in (sympy.Max, sympy.Min, sympy.floor, sympy.ceiling):
        args = [_evaluate(a, env) for a in e.args]
        if any(_EV.im(a) for a in args):
            raise _Unevaluable
        reals = [_EV.re(a) for a in args]
        if e.func is sympy.Max:
            return max(reals)
        if e.func is sympy.Min:
            return min(reals)
        return _EV.floor(reals[0]) if e.func is sympy.floor else _EV.ceil(reals[0])
    raise _Unevaluable


def _expression_agrees(x: sympy.Expr, v: sympy.Expr) -> bool:
    x, v = _by_name(x), _by_name(v)
    if x == v:
        return True
    names = sorted({s.name for s in x.free_symbols | v.free_symbols})
    if not names:
        return _number_agrees(x, v, None)
    rng = random.Random(20240611)  # fixed points: the verdict never changes between runs
    compared = 0
    for _ in range(8):
        env = {n: _EV.mpf(rng.randint(1100, 3900)) / 1000 for n in names}
        try:
            a, b = _evaluate(x, env), _evaluate(v, env)
        except (_Unevaluable, ValueError, ZeroDivisionError, OverflowError):
            continue
        if abs(a - b) > EXPRESSION_REL * max(1, abs(a)):
            return False
        compared += 1
    return compared >= 3


# --------------------------------------------------------------------------- public API

def agrees(kind: AnswerKind, expected: Any, value: Any, tolerance: Tolerance | None = None) -> bool:
    """Whether a parsed ``value`` agrees with ``expected`` under ``tolerance`` (module docstring).

    ``expected`` may be given loosely (ints, floats, strings, lists); ``value`` is what
    :func:`~cvquiz.answers.parse.parse_answer` returns for ``kind``. The tolerance applies to
    numbers and vectors only.
    """
    if kind == "mapping":
        raise ValueError("kind: a mapping is checked part by part, each with its own kind")
    x = _coerce(kind, expected)
    try:
        v = _coerce(kind, value)
    except (ValueError, TypeError):
        return False
    if kind == "number":
        return _number_agrees(x, v, tolerance)
    if kind == "expression":
        return _expression_agrees(x, v)
    if kind == "vector":
        return len(x) == len(v) and all(_number_agrees(a, b, tolerance) for a, b in zip(x, v))
    return x == v


def check_answer(kind: AnswerKind, expected: Any, typed: str, *, tolerance: Tolerance | None = None,
                 mistakes: Sequence[Mistake] = (), symbols: Sequence[str] = (),
                 n_choices: int | None = None) -> Verdict:
    """Parse ``typed`` and compare it with ``expected``, within the checker's time budget.

    Returns ``Verdict("invalid", message=...)`` for a malformed answer (the message says what
    format is expected) or one that takes longer than
    :data:`cvquiz.answers.worker.CHECK_BUDGET_S` to check, ``Verdict("correct")``,
    ``Verdict("wrong", feedback=...)`` for a wrong answer that agrees with one of ``mistakes``,
    else ``Verdict("wrong")``. For an expression without ``symbols``, the symbols of
    ``expected`` are allowed. The work runs in this process's checking worker
    (:mod:`cvquiz.answers.worker`); :func:`check_here` is the same check without it.
    """
    from cvquiz.answers.worker import session_worker

    kwargs = dict(tolerance=tolerance, mistakes=tuple(mistakes), symbols=tuple(symbols), n_choices=n_choices)
    worker = session_worker()
    if worker is None:
        return check_here(kind, expected, typed, **kwargs)
    return worker.check(kind, expected, typed, **kwargs)


def check_here(kind: AnswerKind, expected: Any, typed: str, *, tolerance: Tolerance | None = None,
               mistakes: Sequence[Mistake] = (), symbols: Sequence[str] = (),
               n_choices: int | None = None) -> Verdict:
    """:func:`check_answer` in this process, bounded only by the evaluator's own limits."""
    if kind == "expression" and not symbols:
        symbols = sorted(s.name for s in _as_expression(expected).free_symbols)
    try:
        value = parse_answer(kind, typed, symbols=symbols, n_choices=n_choices)
    except AnswerFormatError as err:
        return Verdict("invalid", message=err.message)
    if agrees(kind, expected, value, tolerance):
        return Verdict("correct")
    for mistake in mistakes:
        if agrees(kind, mistake.answer, value, tolerance):
            return Verdict("wrong", feedback=mistake.feedback)
    return Verdict("wrong")


def _plain(e: sympy.Expr) -> str:
    return sympy.sstr(e).replace("**", "^")


def _nstr(x: sympy.Expr, digits: int) -> str:
    """``x`` to ``digits`` significant digits, as mpmath prints it (``0.4286``, ``3.333e-7``)."""
    if x.is_Rational:
        return _EV.nstr(_EV.mpf(int(x.p)) / int(x.q), digits)
    return _EV.nstr(_EV.mpf(_to_fraction(sympy.N(x, digits + 10)).numerator)
                    / _to_fraction(sympy.N(x, digits + 10)).denominator, digits)


def _format_number(x: sympy.Expr, digits: int) -> str:
    if x.is_Integer:
        return str(int(x))
    if _is_decimal(x):
        text = _decimal_text(x)
        if len(text) <= 24:
            return text
    exact = f"{int(x.p)}/{int(x.q)}" if x.is_Rational else _plain(x)
    return f"{exact} ≈ {_nstr(x, digits)}"


def _decimal_text(x: sympy.Rational) -> str:
    """The finite decimal expansion of ``x`` (a rational whose denominator is 2^a 5^b)."""
    p, q = int(x.p), int(x.q)
    places = 0
    while q != 1 and (10**places) % q:
        places += 1
    digits = str(abs(p) * (10**places // q)).rjust(places + 1, "0")
    whole, frac = digits[:len(digits) - places], digits[len(digits) - places:]
    return ("-" if p < 0 else "") + whole + ("." + frac if frac else "")


def _exact_number(x: sympy.Expr) -> str:
    if x.is_Integer:
        return str(int(x))
    if _is_decimal(x) and len(_decimal_text(x)) <= 24:
        return _decimal_text(x)
    return f"{int(x.p)}/{int(x.q)}" if x.is_Rational else _plain(x)


def _guess_kind(value: Any) -> AnswerKind:
    if isinstance(value, bool):
        return "truefalse"
    if isinstance(value, tuple):
        return "shape"
    if isinstance(value, (set, frozenset)):
        return "set"
    if isinstance(value, list):
        return "indices" if all(isinstance(i, numbers.Integral) and not isinstance(i, bool) for i in value) \
            else "vector"
    if isinstance(value, sympy.Basic) and value.free_symbols:
        return "expression"
    return "number"


def format_answer(kind: AnswerKind, value: Any, *, tolerance: Tolerance | None = None) -> str:
    """How an expected answer is shown (and could be typed).

    ``3/7 ≈ 0.4286``, ``sqrt(2)/2 ≈ 0.7071``, ``0.375``, ``42``; shapes ``[2, 8, 64]``; indices
    ``0 2 5``; sets ``{0, 2, 5}``; vectors ``[1/2, 1/3] ≈ [0.5, 0.3333]``; choices ``B``; several
    choices ``A, C``; ``true``/``false``; a mapping ``name: answer; ...`` (kinds guessed from the
    values). The approximation has 4 significant digits, or one more than ``tolerance.sig_figs``.
    """
    digits = max(4, (tolerance.sig_figs + 1) if tolerance and tolerance.sig_figs else 4)
    if kind == "mapping":
        return "; ".join(f"{name}: {format_answer(_guess_kind(v), v, tolerance=tolerance)}"
                         for name, v in dict(value).items())
    v = _coerce(kind, value)
    if kind == "number":
        return _format_number(v, digits)
    if kind == "expression":
        return _plain(v)
    if kind == "shape":
        return "[" + ", ".join(map(str, v)) + "]"
    if kind == "indices":
        return " ".join(map(str, v)) if v else "[]"
    if kind == "set":
        return "{" + ", ".join(map(str, sorted(v))) + "}"
    if kind == "vector":
        exact = "[" + ", ".join(_exact_number(e) for e in v) + "]"
        if all(_exact_number(e) == _nstr(e, digits) or _is_decimal(e) for e in v):
            return exact
        return exact + " ≈ [" + ", ".join(_exact_number(e) if _is_decimal(e) else _nstr(e, digits)
                                          for e in v) + "]"
    if kind == "choice":
        return _label(v)
    if kind == "multi":
        return ", ".join(_label(i) for i in sorted(v))
    return "true" if v else "false"


def _label(i: int) -> str:
    return chr(ord("A") + i) if 0 <= i < 26 else str(i + 1)


# --------------------------------------------------------------------------- near_boundary

def _round_sig(x: Fraction, k: int, half_up: bool) -> Fraction:
    """``x`` rounded to ``k`` significant figures, ties away from zero or towards it."""
    if x == 0:
        return x
    scale = Fraction(10) ** (k - 1 - _exponent10(x))
    y = abs(x) * scale
    n = math.floor(y + Fraction(1, 2)) if half_up else math.ceil(y - Fraction(1, 2))
    return (1 if x > 0 else -1) * Fraction(n) / scale


def near_boundary(expected: Any, tolerance: Tolerance | None) -> bool:
    """True when a correct student's rounding could land within a hair of the tolerance's edge.

    The plausible typed values are ``expected`` rounded to 1..8 significant figures (ties
    either way) and rounded twice (to k+1 or k+2 figures, then to k). The variant is ambiguous
    when one of them has an error within 2 % of the edge of the accepted region (its error
    divided by the largest allowed error is in [0.98, 1.02]). ``tolerance=None`` is never
    ambiguous, nor is an integer unless an ``abs`` tolerance is stated. A vector is ambiguous when any entry is.
    """
    if _is_exact(tolerance):
        return False
    if isinstance(expected, (list, tuple, set, frozenset)):
        return any(near_boundary(e, tolerance) for e in expected)
    if isinstance(expected, dict):
        return any(near_boundary(e, tolerance) for e in expected.values())
    try:
        x = as_number(expected)
    except ValueError:
        return False  # not a number (a label, a bool): compared exactly, never ambiguous
    if x.free_symbols or not x.is_real:
        return False
    if x.is_Integer:
        if tolerance.abs is None:
            return False
        tolerance = Tolerance(abs=tolerance.abs)
    xf = _fraction(x)
    allowed = _allowed_errors(xf, tolerance)
    if not allowed or max(allowed) == 0:
        return False
    edge = max(allowed)
    candidates = set()
    for k in range(1, 9):
        for half_up in (True, False):
            candidates.add(_round_sig(xf, k, half_up))
            for extra in (1, 2):
                candidates.add(_round_sig(_round_sig(xf, k + extra, half_up), k, half_up))
    for c in candidates:
        ratio = abs(c - xf) / edge
        if abs(ratio - 1) <= BOUNDARY_MARGIN:
            return True
    return False
