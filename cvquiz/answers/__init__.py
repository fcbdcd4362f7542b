"""Safe parsing and checking of what a person types.

``parse`` turns typed text into sympy values through an AST whitelist (never
``eval``/``sympify``/``parse_expr`` on raw input); ``check`` compares it with an
expected answer under stated tolerance semantics. The shared types live here so
that problem generators and banks can state tolerances without importing the checker.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Literal

from cvquiz.text import Text

#: How an answer is typed and compared.
#: number      a real number (fractions, %, sqrt, pi, exp allowed); tolerance applies
#: expression  a formula in named symbols, checked by sympy equivalence
#: shape       a tensor shape: [2, 8, 64], (2,8,64) or 2x8x64; exact
#: indices     an ordered list of integers: 0 2 5 or [0, 2, 5]; exact, order matters
#: set         an unordered set of integers; exact
#: vector      an ordered list of numbers; tolerance applies elementwise
#: choice      one label (A, B, ... or 1, 2, ...)
#: multi       several labels, any order
#: truefalse   true/false (also T/F, 对/错, 是/否, yes/no)
#: mapping     several named parts, each with its own kind (asked one part at a time)
AnswerKind = Literal["number", "expression", "shape", "indices", "set", "vector",
                     "choice", "multi", "truefalse", "mapping"]


@dataclass(frozen=True)
class Tolerance:
    """Accepted error of a number (or of each entry of a vector); all ``None`` means exact.

    A typed value ``v`` passes for the exact expected value ``x`` if ANY stated rule holds:

    - ``abs``: ``|v - x| <= abs``;
    - ``rel``: ``|v - x| <= rel * |x|`` (at ``x = 0`` only ``v = 0`` passes; nothing divides by ``x``);
    - ``sig_figs = n``: ``v`` is correct to ``n`` significant figures: ``|v - x|`` is at most half
      a unit in the ``n``-th significant digit of ``x`` (``x`` rounded to ``n`` figures always
      passes, and so does a value typed with more digits that is that close; not used at ``x = 0``).

    Bounds are inclusive. An expected integer is compared exactly (only ``abs`` applies to it). The full rules, and
    exact comparison (``None``), are in :mod:`cvquiz.answers.check`.
    """

    abs: float | None = None
    rel: float | None = None
    sig_figs: int | None = None

    def __post_init__(self):
        for name in ("abs", "rel"):
            value = getattr(self, name)
            if value is not None and (isinstance(value, bool) or not isinstance(value, (int, float))
                                      or not math.isfinite(value) or value < 0):
                raise ValueError(f"Tolerance.{name}: expected a number >= 0, got {value!r}")
        if self.sig_figs is not None and (isinstance(self.sig_figs, bool) or not isinstance(self.sig_figs, int)
                                          or not 1 <= self.sig_figs <= 15):
            raise ValueError(f"Tolerance.sig_figs: expected a whole number from 1 to 15, got {self.sig_figs!r}")

    def to_json(self) -> dict:
        return {"abs": self.abs, "rel": self.rel, "sig_figs": self.sig_figs}

    @classmethod
    def from_json(cls, data: dict | None) -> "Tolerance | None":
        """The inverse of :meth:`to_json`; ``None`` (or all fields null) gives ``None`` (exact)."""
        if data is None:
            return None
        unknown = set(data) - {"abs", "rel", "sig_figs"}
        if unknown:
            raise ValueError(f"tolerance: unknown key {sorted(unknown)[0]!r}; expected abs, rel or sig_figs")
        tol = cls(abs=data.get("abs"), rel=data.get("rel"), sig_figs=data.get("sig_figs"))
        return None if tol.exact else tol

    @property
    def exact(self) -> bool:
        """True when no rule is stated (the value must be exact)."""
        return self.abs is None and self.rel is None and self.sig_figs is None

    def describe(self) -> Text:
        """The rule as stated to the student."""
        parts_en, parts_zh = [], []
        if self.rel is not None:
            parts_en.append(f"within {self.rel * 100:g} % of the exact value")
            parts_zh.append(f"与精确值的相对误差不超过 {self.rel * 100:g}%")
        if self.abs:  # abs = 0 adds nothing: the value must be exact
            parts_en.append(f"within ±{self.abs:g} of the exact value")
            parts_zh.append(f"与精确值之差不超过 ±{self.abs:g}")
        if self.sig_figs is not None:
            parts_en.append(f"correct to {self.sig_figs} significant figures "
                            f"(off by at most half a unit in the {_ordinal(self.sig_figs)} figure)")
            parts_zh.append(f"{self.sig_figs} 位有效数字正确（误差不超过第 {self.sig_figs} 位有效数字的半个单位）")
        if not parts_en:
            return Text("the exact value (best as a fraction such as 3/7; a decimal for a value such as "
                        "3/7 needs 10 significant figures)",
                        "须为精确值（最好写成分数如 3/7；像 3/7 这样的值若写成小数须有 10 位有效数字）")
        # "或 3 位": a space between a Chinese character and a digit, none before one.
        zh = parts_zh[0] + "".join(("，或 " if p[:1].isdigit() else "，或") + p for p in parts_zh[1:])
        return Text(", or ".join(parts_en), zh)


def _ordinal(n: int) -> str:
    suffix = "th" if 10 <= n % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n}{suffix}"


#: The tolerance most numeric problems use.
DEFAULT_TOLERANCE = Tolerance(rel=0.005, sig_figs=3)


@dataclass(frozen=True)
class Mistake:
    """A predictable wrong answer and the misconception it reveals."""

    answer: object  # the same type as the expected answer (sympy value, list, ...)
    feedback: Text


@dataclass(frozen=True)
class Verdict:
    """The result of checking one typed answer.

    ``status`` is ``"correct"``, ``"wrong"`` or ``"invalid"``: an invalid answer (malformed)
    is not an attempt; ``message`` then says what format is expected. ``feedback`` is the
    matched mistake's feedback for a known wrong answer.
    """

    status: Literal["correct", "wrong", "invalid"]
    message: Text | None = None
    feedback: Text | None = None

    @property
    def correct(self) -> bool:
        return self.status == "correct"
