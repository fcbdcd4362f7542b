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

The registry
------------
This module is a leaf: it imports no generator, and not sympy either until a generator needs
it, so that seeding (:class:`Rng`, :func:`derive_seed`) is cheap to import (the drill shuffles
a bank question's choices with it before sympy has loaded). :func:`registry`, :func:`get` and
:func:`make` first import the five topic modules (:func:`cvquiz.problems.load_generators`),
whose :func:`problem` decorators fill the registry once; :func:`unregister` removes a kind (a
test's temporary generator). Display helpers live in :mod:`cvquiz.problems.display`, mistake filtering in
:mod:`cvquiz.problems.mistakes`, bilingual text helpers in :mod:`cvquiz.text`.
"""

from __future__ import annotations

import hashlib
import hmac
import random
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Callable

from cvquiz.answers import AnswerKind, Mistake, Tolerance
from cvquiz.errors import ProblemError
from cvquiz.text import Text

if TYPE_CHECKING:
    import sympy

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
    """Normalise a user-given seed (hex string or int) to a lower-case hex string.

    A bad seed is a :class:`ProblemError` naming the argument (``seed: ...``); the CLI restates
    it about its flag.
    """
    if isinstance(seed, int):
        if seed < 0:
            raise ProblemError(f"seed: expected a non-negative number or hex string, got {seed}")
        return format(seed, "x")
    text = str(seed).strip().lower().removeprefix("0x")
    if not text or any(c not in "0123456789abcdef" for c in text) or len(text) > 64:
        raise ProblemError(f"seed: expected a hex string such as 1a2b, got {seed!r}")
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
        import sympy

        scale = 10**places
        k = self.random.randint(round(low * scale), round(high * scale))
        return sympy.Rational(k, scale)


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


@dataclass(frozen=True)
class Draft:
    """What a generator returns: everything of a variant except kind, version and seed.

    ``params`` must be JSON-able (ints, floats, strings, bools, lists, dicts): write exact
    decimals as floats only when they are display-ready. ``answer`` is exact: a sympy number,
    a tuple of ints (shape), a list of ints (indices), or a dict of named parts. ``parts_kind``
    gives each part's kind when ``answer_kind`` is ``"mapping"``, and ``part_tolerances`` the
    tolerance of each part whose rule differs from ``tolerance``. ``figure`` is optional data
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
    part_tolerances: dict[str, Tolerance] | None = None
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


def unregister(kind: str) -> None:
    """Remove ``kind`` from the registry (a generator a test registered for a while)."""
    _REGISTRY.pop(kind, None)


def registry() -> dict[str, Generator]:
    """Every registered generator by kind (a copy), the built-in ones imported first."""
    from cvquiz.problems import load_generators

    load_generators()
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
