"""The registry of problem generators, seeding, and the :class:`Variant` they produce.

A generator is a plain function ``(rng: Rng, **options) -> Draft``, registered with
:func:`problem`. It draws display-ready parameters (integers or rounded values), computes
the exact answer with sympy from exactly those values, and raises :class:`Redraw` for a
degenerate draw (no overlap, score ties, an answer within a hair of a tolerance boundary);
:func:`make` then draws again from the same random stream, so a seed still fixes the result.

Seeds
-----
A variant's seed is a hex string. :func:`derive_seed` makes it from
(secret, student id, question id, attempt) with HMAC-SHA256, so the same student always
gets the same numbers and an instructor can regenerate any variant from the secret.
``random`` and numpy are seeded in one place, :class:`Rng`. Generators never import torch.

Helpers for generators
----------------------
:func:`option` (a checked option value, or a random pick), :func:`show` / :func:`factor` /
:func:`approx` / :func:`exact_and_approx` (exact numbers as a person writes them),
:func:`as_param` (display-ready JSON numbers), :func:`reject_near_boundary` (Redraw when a
correct student's rounding would be ambiguous), :func:`distinct_mistakes` (keep only the
mistakes clearly apart from the answer and from each other), :func:`answer_rule`,
:func:`lines` and :func:`same` (bilingual text building).
"""

from __future__ import annotations

import hashlib
import hmac
import random
import re
from dataclasses import dataclass, field
from typing import Any, Callable

import sympy

from cvquiz.answers import AnswerKind, Mistake, Tolerance
from cvquiz.errors import ProblemError
from cvquiz.text import Text

#: The fixed public secret used by `cvquiz generate` without --secret-file.
PUBLIC_SECRET = b"cvquiz public practice secret v1"
MAX_REDRAWS = 200


class Redraw(Exception):
    """Raised by a generator when its draw is degenerate; :func:`make` draws again."""


def derive_seed(secret: bytes, student: str = "", question: str = "", attempt: int = 0) -> str:
    """HMAC-SHA256(secret, student | question | attempt), as 16 hex digits."""
    message = "\x1f".join([student, question, str(attempt)]).encode("utf-8")
    return hmac.new(secret, message, hashlib.sha256).hexdigest()[:16]


def parse_seed(seed: str | int) -> str:
    """Normalise a user-given seed (hex string or int) to a lower-case hex string."""
    if isinstance(seed, int):
        if seed < 0:
            raise ProblemError(f"--seed: expected a non-negative number or hex string, got {seed}")
        return format(seed, "x")
    text = str(seed).strip().lower().removeprefix("0x")
    if not text or any(c not in "0123456789abcdef" for c in text) or len(text) > 64:
        raise ProblemError(f"--seed: expected a hex string such as 1a2b, got {seed!r}")
    return text


class Rng:
    """The one seeded source of randomness for a variant (``random`` and numpy)."""

    def __init__(self, seed: str):
        self.seed = seed
        value = int(seed, 16)
        self.random = random.Random(value)
        self._numpy_seed = value % (2**63)
        self._numpy = None

    @property
    def numpy(self):
        """A ``numpy.random.Generator`` seeded from the same seed (made on first use)."""
        if self._numpy is None:
            import numpy as np

            self._numpy = np.random.default_rng(self._numpy_seed)
        return self._numpy

    # The few draws generators need, so that they read like the problem statement.
    def integer(self, low: int, high: int) -> int:
        """Uniform integer in [low, high] (both inclusive)."""
        return self.random.randint(low, high)

    def choice(self, seq):
        return self.random.choice(list(seq))

    def sample(self, seq, k: int):
        return self.random.sample(list(seq), k)

    def shuffle(self, items: list) -> list:
        items = list(items)
        self.random.shuffle(items)
        return items

    def decimal(self, low: float, high: float, places: int = 1) -> sympy.Rational:
        """A display-ready decimal in [low, high] with ``places`` decimals, as an exact Rational."""
        scale = 10**places
        k = self.random.randint(round(low * scale), round(high * scale))
        return sympy.Rational(k, scale)


@dataclass(frozen=True)
class Draft:
    """What a generator returns: everything of a variant except kind, version and seed.

    ``params`` must be JSON-able (ints, floats, strings, bools, lists, dicts): write exact
    decimals as floats only when they are display-ready. ``answer`` is exact: a sympy number,
    a tuple of ints (shape), a list of ints (indices), or a dict of named parts. ``parts_kind``
    gives each part's kind when ``answer_kind`` is ``"mapping"``. ``figure`` is optional data
    for a picture in the terminal (e.g. ``{"type": "boxes", ...}``, ``{"type": "pr_curve", ...}``).
    """

    params: dict[str, Any]
    prompt: Text
    answer: Any
    answer_kind: AnswerKind
    solution: Text
    hint: Text
    tolerance: Tolerance | None = None
    mistakes: tuple[Mistake, ...] = ()
    parts_kind: dict[str, AnswerKind] | None = None
    figure: dict[str, Any] | None = None


@dataclass(frozen=True)
class Variant(Draft):
    """One seeded instance of a problem."""

    kind: str = ""
    version: int = 0
    seed: str = ""
    topic: str = ""
    concepts: tuple[str, ...] = ()


@dataclass(frozen=True)
class Generator:
    kind: str
    topic: str
    concepts: tuple[str, ...]
    version: int
    title: Text
    make: Callable[..., Draft] = field(repr=False)
    options: tuple[str, ...] = ()


_REGISTRY: dict[str, Generator] = {}


def problem(kind: str, *, topic: str, concepts: tuple[str, ...], version: int, title: Text,
            options: tuple[str, ...] = ()):
    """Register a generator. ``options`` names the keyword arguments a bank may fix."""

    def decorate(fn: Callable[..., Draft]) -> Callable[..., Draft]:
        if kind in _REGISTRY:
            raise ValueError(f"problem kind {kind!r} registered twice")
        _REGISTRY[kind] = Generator(kind, topic, tuple(concepts), version, title, fn, tuple(options))
        return fn

    return decorate


def registry() -> dict[str, Generator]:
    """Every registered generator by kind (imports the five topic modules once)."""
    from cvquiz.problems import attention, detection, generative, points, sequence  # noqa: F401

    return dict(_REGISTRY)


def get(kind: str) -> Generator:
    generators = registry()
    if kind not in generators:
        import difflib

        close = difflib.get_close_matches(kind, generators, n=1)
        hint = f"; did you mean {close[0]!r}?" if close else "; see `cvquiz generate --list`"
        raise ProblemError(f"unknown problem kind {kind!r}{hint}")
    return generators[kind]


def make(kind: str, seed: str | int | None = None, *, secret: bytes = PUBLIC_SECRET,
         student: str = "", question: str = "", attempt: int = 0, **options: Any) -> Variant:
    """Make the variant of ``kind`` for ``seed`` (or for the derived seed)."""
    gen = get(kind)
    unknown = set(options) - set(gen.options)
    if unknown:
        raise ProblemError(
            f"problem {kind!r}: unknown option {sorted(unknown)[0]!r}; "
            f"expected one of {list(gen.options) or 'none'}")
    hex_seed = parse_seed(seed) if seed is not None else derive_seed(secret, student, question or kind, attempt)
    rng = Rng(hex_seed)
    for _ in range(MAX_REDRAWS):
        try:
            draft = gen.make(rng, **options)
            break
        except Redraw:
            continue
        except ProblemError as exc:
            raise ProblemError(f"problem {kind!r}: {exc}") from None
    else:
        raise ProblemError(f"problem {kind!r}: no valid variant after {MAX_REDRAWS} draws (seed {hex_seed})")
    return Variant(**{f: getattr(draft, f) for f in Draft.__dataclass_fields__},
                   kind=kind, version=gen.version, seed=hex_seed, topic=gen.topic, concepts=gen.concepts)


# ---------------------------------------------------------------------------
# Helpers the topic modules share: options, display of exact numbers, mistakes.

def option(rng: Rng, name: str, value: Any, allowed: tuple) -> Any:
    """The value of a generator option: ``value`` when given (checked), else a random pick."""
    if value is None:
        return rng.choice(allowed)
    if isinstance(value, str) and all(isinstance(a, int) for a in allowed):
        try:
            value = int(value)
        except ValueError:
            pass
    if value not in allowed:
        raise ProblemError(f"option {name!r}: expected one of {', '.join(map(str, allowed))}; got {value!r}")
    return value


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


def reject_near_boundary(answer: Any, tolerance: Tolerance | None) -> None:
    """Raise :class:`Redraw` when a correct student's rounding of ``answer`` would be ambiguous."""
    if tolerance is None:
        return
    from cvquiz.answers.check import near_boundary

    values = answer if isinstance(answer, (list, tuple)) else [answer]
    for value in values:
        if near_boundary(value, tolerance):
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


def answer_rule(tolerance: Tolerance | None, form: Text | None = None) -> Text:
    """The accepted-answer rule as the last line of a prompt: what to type and how close."""
    rule = tolerance.describe() if tolerance is not None else Text("exact", "须完全正确")
    if form is None:
        return Text(f"\n(Answer: {rule.en}.)", f"\n（答案要求：{rule.zh}。）")
    return Text(f"\n(Answer: {form.en}; {rule.en}.)", f"\n（答案要求：{form.zh}；{rule.zh}。）")


def lines(*texts: Text) -> Text:
    """Join bilingual texts with newlines."""
    return Text("\n".join(t.en for t in texts), "\n".join(t.zh for t in texts))


def same(text: str) -> Text:
    """A text that reads the same in both languages (a formula line)."""
    return Text(text, text)
