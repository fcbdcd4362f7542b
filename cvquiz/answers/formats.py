"""What format a typed answer is expected in, as told to the student, and the error that says so.

Kept apart from :mod:`cvquiz.answers.parse` (which needs sympy) so that the drill can state the
format under its first question before sympy has loaded.
"""

from __future__ import annotations

from typing import Sequence

from cvquiz.answers import AnswerKind
from cvquiz.text import Text


class AnswerFormatError(ValueError):
    """A typed answer could not be read.

    ``expected`` (:class:`~cvquiz.text.Text`) says what format is expected; ``reason`` (a
    ``Text`` or ``None``) says what was wrong; ``message`` joins the two for the student.
    """

    def __init__(self, expected: Text, reason: Text | None = None):
        self.expected = expected
        self.reason = reason
        super().__init__(self.message.en)

    @property
    def message(self) -> Text:
        if self.reason is None:
            return Text(f"Expected {self.expected.en}.", f"应输入{self.expected.zh}。")
        return Text(f"{self.reason.en}. Expected {self.expected.en}.",
                    f"{self.reason.zh}。应输入{self.expected.zh}。")



NUMBER_FORMAT = Text("a number such as 0.43, 3/7, 43% or sqrt(2)/2",
                     "一个数，例如 0.43、3/7、43% 或 sqrt(2)/2")
SHAPE_FORMAT = Text("a shape such as [2, 8, 64] or 2x8x64 (whole numbers)",
                    "一个形状，例如 [2, 8, 64] 或 2x8x64（整数）")
INDICES_FORMAT = Text("a list of whole numbers such as 0 2 5 or [0, 2, 5]",
                      "一列整数，例如 0 2 5 或 [0, 2, 5]")
SET_FORMAT = Text("whole numbers in any order, such as 0 2 5 or {0, 2, 5}",
                  "若干整数（顺序不限），例如 0 2 5 或 {0, 2, 5}")
VECTOR_FORMAT = Text("a list of numbers separated by commas, such as [0.5, 1/3, -2]",
                     "用逗号分隔的一列数，例如 [0.5, 1/3, -2]")
BOOL_FORMAT = Text("true or false (T/F, yes/no, 对/错)", "对或错（也可输入 T/F、是/否、true/false）")


def expression_format(symbols: Sequence[str]) -> Text:
    """The expected format of an expression answer in ``symbols``."""
    names = ", ".join(symbols)
    if not names:
        return Text("a formula such as 2*sqrt(3)/5 (use * for products and ^ for powers)",
                    "一个算式，例如 2*sqrt(3)/5（乘号用 *，乘方用 ^）")
    example = f"2*{symbols[0]}^2" if len(symbols) == 1 else f"2*{symbols[0]}*{symbols[1]}^2"
    return Text(f"a formula in {names} such as {example} (use * for products and ^ for powers)",
                f"关于 {names} 的算式，例如 {example}（乘号用 *，乘方用 ^）")


def labels_format(n_choices: int | None, several: bool) -> Text:
    """The expected format of a choice (one label) or multi (several labels) answer."""
    if n_choices:
        last = _letter(n_choices - 1)
        span_en, span_zh = f"from A to {last} (or 1 to {n_choices})", f"A 到 {last}（或 1 到 {n_choices}）"
    else:
        span_en, span_zh = "such as A or B (or 1, 2)", "例如 A 或 B（或 1、2）"
    if several:
        return Text(f"one or more letters {span_en}, such as A, C",
                    f"一个或多个选项字母，{span_zh}，例如 A, C")
    return Text(f"one letter {span_en}", f"一个选项字母，{span_zh}")


def expected_format(kind: AnswerKind, *, symbols: Sequence[str] = (), n_choices: int | None = None) -> Text:
    """What format an answer of ``kind`` is typed in, as shown to the student."""
    if kind == "number":
        return NUMBER_FORMAT
    if kind == "expression":
        return expression_format(symbols)
    if kind == "shape":
        return SHAPE_FORMAT
    if kind == "indices":
        return INDICES_FORMAT
    if kind == "set":
        return SET_FORMAT
    if kind == "vector":
        return VECTOR_FORMAT
    if kind in ("choice", "multi"):
        return labels_format(n_choices, several=kind == "multi")
    if kind == "truefalse":
        return BOOL_FORMAT
    raise ValueError(f"kind: expected one of number, expression, shape, indices, set, vector, "
                     f"choice, multi, truefalse; got {kind!r}")


def _letter(i: int) -> str:
    return chr(ord("A") + i)
