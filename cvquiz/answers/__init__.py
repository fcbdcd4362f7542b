"""Safe parsing and checking of what a person types.

``parse`` turns typed text into sympy values through an AST whitelist (never
``eval``/``sympify``/``parse_expr`` on raw input); ``check`` compares it with an
expected answer under stated tolerance semantics. The shared types live here so
that problem generators and banks can state tolerances without importing the checker.
"""

from __future__ import annotations

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
    """Accepted error. A value passes if it is within ``abs`` OR within ``rel``
    (relative to the expected value) OR, with ``sig_figs``, if it rounds to the
    expected value at that many significant figures. All ``None`` means exact.
    """

    abs: float | None = None
    rel: float | None = None
    sig_figs: int | None = None

    def to_json(self) -> dict:
        return {"abs": self.abs, "rel": self.rel, "sig_figs": self.sig_figs}

    def describe(self) -> Text:
        """The rule as stated to the student."""
        parts_en, parts_zh = [], []
        if self.rel is not None:
            parts_en.append(f"within {self.rel * 100:g} %")
            parts_zh.append(f"相对误差 {self.rel * 100:g}% 以内")
        if self.abs is not None:
            parts_en.append(f"within ±{self.abs:g}")
            parts_zh.append(f"绝对误差 ±{self.abs:g} 以内")
        if self.sig_figs is not None:
            parts_en.append(f"correct to {self.sig_figs} significant figures")
            parts_zh.append(f"{self.sig_figs} 位有效数字正确")
        if not parts_en:
            return Text("exact value", "须精确相等")
        return Text(" or ".join(parts_en), " 或 ".join(parts_zh))


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
