"""Safe parsing of what a person types, into sympy values.

Accepted forms
--------------
- numbers: ``0.4286``, ``3/7``, ``42.86%``, ``4.286e-1``, ``4.286×10⁻¹``, ``sqrt(2)/2``, ``√2/2``,
  ``exp(-1)``, ``pi/4``, ``2π``, ``ln(2)``, ``2^3`` or ``2**3``, ``-1.5``; decimals become exact
  rationals (``0.4286`` is ``2143/5000``), so nothing is rounded on the way in;
- expressions: the same, plus the symbols a question names (``2*N*d_k``, ``N^2 d``);
  implicit products are read where unambiguous (``2N``, ``N(N+1)``, ``2 pi``);
- shapes: ``[2, 8, 64, 64]``, ``(2,8,64,64)``, ``2x8x64x64``, ``2×8×64×64``, ``torch.Size([2, 8])``;
- index lists and sets: ``0 2 5``, ``[0, 2, 5]``, ``0,2,5``, ``{0, 2, 5}``;
- vectors: ``[0.5, 1/3, -2]`` or numpy's ``[0.5 0.3333 -2.]``;
- labels: ``A``, ``b``, ``2``, ``A, C``, ``AC``, ``1 3``; true/false: ``T``, ``yes``, ``对``, ``√``, ...

and all of it typed with a Chinese input method: full-width digits and punctuation
(``０．４３``, ``３／７``, ``，``, ``、``, ``（）``, ``［］``, ``【】``, ``×``, ``％``, ``－``), see
:func:`normalize`.

Safety
------
Every scalar (a number, a formula, an entry of a vector or shape) is computed by the safe
evaluator :mod:`cvquiz.answers.arith`, which never calls ``eval``, ``sympify`` or
``parse_expr`` and refuses hostile input at once (length, nesting, magnitude and time bounds).
This module normalizes the text, splits it per kind and says what format is expected: anything
refused or malformed raises :class:`AnswerFormatError`, whose ``expected`` says what format is
expected, in English and Chinese.
"""

from __future__ import annotations

import re
import unicodedata
from typing import Sequence

import sympy

from cvquiz.answers import AnswerKind
from cvquiz.answers.arith import MAX_LENGTH, Refused, deadline_from_now, evaluate
from cvquiz.answers.arith import CONSTANTS as _CONSTANTS  # noqa: F401  (read by answers.check)
from cvquiz.answers.arith import FUNCTIONS as _FUNCTIONS  # noqa: F401  (read by answers.check)
from cvquiz.answers.formats import (  # noqa: F401  (the formats are part of this module's interface)
    BOOL_FORMAT, INDICES_FORMAT, NUMBER_FORMAT, SET_FORMAT, SHAPE_FORMAT, VECTOR_FORMAT, AnswerFormatError,
    expected_format, expression_format, labels_format)
from cvquiz.text import Text


# --------------------------------------------------------------------------- normalize

_SUPERSCRIPTS = str.maketrans("⁰¹²³⁴⁵⁶⁷⁸⁹⁺⁻", "0123456789+-")
_SUPERSCRIPT_RUN = re.compile("[⁰¹²³⁴⁵⁶⁷⁸⁹⁺⁻]+")
_GREEK = {"π": "pi", "α": "alpha", "β": "beta", "γ": "gamma", "δ": "delta", "ε": "epsilon",
          "θ": "theta", "λ": "lambda", "μ": "mu", "σ": "sigma", "τ": "tau", "η": "eta"}
# Characters NFKC leaves alone (or maps to non-ASCII) that a person means as ASCII.
_CHARS = {
    "×": "*", "✕": "*", "·": "*", "⋅": "*", "•": "*", "∗": "*", "÷": "/", "⁄": "/", "∕": "/",
    "−": "-", "‐": "-", "‑": "-", "‒": "-", "–": "-", "﹣": "-",
    "、": ",", "；": ";", "【": "[", "】": "]", "〔": "(", "〕": ")", "｛": "{", "｝": "}",
    "“": '"', "”": '"', "‘": "'", "’": "'", "。": ".",
    **_GREEK,
}
_CHAR_MAP = str.maketrans(_CHARS)


def normalize(text: str) -> str:
    """Full-width digits and punctuation to ASCII, Unicode math signs to operators, trimmed.

    ``０．４３`` → ``0.43``, ``３／７`` → ``3/7``, ``（２，８）`` → ``(2,8)``, ``×`` → ``*``,
    ``１０⁻³`` → ``10^(-3)``, ``π`` → ``pi``, ``、`` → ``,``; a trailing ``。`` is dropped.
    ``√`` is kept: the number parser reads it as a square root of what follows.
    """
    text = _SUPERSCRIPT_RUN.sub(lambda m: "^(" + m.group().translate(_SUPERSCRIPTS) + ")", text)
    text = unicodedata.normalize("NFKC", text).strip()
    text = text.rstrip("。").strip()
    return text.translate(_CHAR_MAP).strip()


# --------------------------------------------------------------------------- public parsers

def _prepare(text: str) -> str:
    if not isinstance(text, str):
        raise Refused(f"Expected text, got {type(text).__name__}", f"应为文本，得到 {type(text).__name__}")
    if len(text) > 4 * MAX_LENGTH:
        raise Refused(f"The answer is longer than {MAX_LENGTH} characters", f"答案超过 {MAX_LENGTH} 个字符")
    text = normalize(text)
    if len(text) > MAX_LENGTH:
        raise Refused(f"The answer is longer than {MAX_LENGTH} characters", f"答案超过 {MAX_LENGTH} 个字符")
    if not text:
        raise Refused("Nothing was typed", "没有输入内容")
    return text


def _strip_approx(text: str) -> str:
    """Drop a leading ``=``, ``≈`` or ``~`` that a person copies from a worked solution."""
    return text.lstrip("=≈~").strip() or text


#: A whole number with its digits grouped by commas in exact threes (``1,048,576``, ``-12,000.5``).
_GROUPED = re.compile(r"[+-]?[1-9][0-9]{0,2}(,[0-9]{3})+(\.[0-9]+)?")
#: A number ending in an exponent marker with no exponent (``0.5e``, ``2E+``): a typo, not 0.5·e.
_HALF_EXPONENT = re.compile(r"[+-]?([0-9]+\.?[0-9]*|\.[0-9]+)[eE][+-]?")


def _scalar(text: str, symbols: Sequence[str], deadline: float, *, numeric: bool) -> sympy.Expr:
    if "≈" in text:
        raise Refused("Type one value, not an equation with ≈", "只输入一个值，不要写 ≈ 式子")
    if numeric and _GROUPED.fullmatch(text):  # 1,048,576: exact groups of three, as cvquiz prints them
        text = text.replace(",", "")
    if numeric and _HALF_EXPONENT.fullmatch(text):
        raise Refused(f"{text!r} has an e but no power of ten: write 5e-1 for a power of ten, or 0.5*e for "
                      "Euler's number",
                      f"{text!r} 有 e 却没有指数：10 的幂请写成 5e-1，欧拉数请写成 0.5*e")
    if numeric and re.fullmatch(r"-?[0-9]+(,[0-9]+)+", text):
        raise Refused("Use a point for decimals, as in 0.43; group a long number's digits in threes "
                      "(1,048,576) or not at all",
                      "小数点请用“.”，例如 0.43；长数字要么每三位用逗号分组（1,048,576），要么不加分隔符")
    return evaluate(text, symbols, deadline, numeric=numeric)


def _run(expected: Text, fn, *args):
    try:
        return fn(*args)
    except Refused as err:
        raise AnswerFormatError(expected, err.reason) from None
    except RecursionError:
        raise AnswerFormatError(expected, Text("The answer is nested too deeply", "答案嵌套太深")) from None


def parse_number(text: str) -> sympy.Expr:
    """A real number, exactly: ``0.4286`` → 2143/5000, ``3/7``, ``42.86%``, ``sqrt(2)/2``, ``pi/4``.

    Digits grouped in exact threes by commas (``1,048,576``) are one number; any other comma is
    refused (a decimal comma is ambiguous). ``0.5e`` (an exponent marker with no exponent) is
    refused, not read as 0.5·e.

    Raises :class:`AnswerFormatError` when ``text`` is not one finite real number.
    """
    def go():
        t = _strip_approx(_prepare(text))
        return _scalar(t, (), deadline_from_now(), numeric=True)
    return _run(NUMBER_FORMAT, go)


def parse_expression(text: str, symbols: Sequence[str] = ()) -> sympy.Expr:
    """A formula in the named ``symbols`` (each a positive real ``sympy.Symbol``).

    ``2*N*d_k``, ``N^2 d``, ``sqrt(d_k)``; any other name is refused with the list of symbols.
    """
    symbols = tuple(symbols)
    for name in symbols:
        if not re.fullmatch(r"[A-Za-z][A-Za-z0-9_]*", name):
            raise ValueError(f"symbols: expected names such as N or d_k, got {name!r}")

    def go():
        return _scalar(_prepare(text), symbols, deadline_from_now(), numeric=False)
    return _run(expression_format(symbols), go)


_BRACKETS = {"[": "]", "(": ")", "{": "}"}


def _unbracket(text: str) -> str:
    """Drop one pair of brackets around the whole text, if it has one."""
    if text and text[0] in _BRACKETS and text[-1] == _BRACKETS[text[0]]:
        inner = text[1:-1]
        depth = 0
        for ch in inner:  # "(1)+(2)" is not bracketed as a whole
            depth += ch in "([{"
            depth -= ch in ")]}"
            if depth < 0:
                return text
        return inner.strip()
    return text


def _split_top(text: str) -> list[str]:
    """Split at commas outside brackets."""
    parts, depth, start = [], 0, 0
    for i, ch in enumerate(text):
        if ch in "([{":
            depth += 1
        elif ch in ")]}":
            depth -= 1
        elif ch == "," and depth == 0:
            parts.append(text[start:i].strip())
            start = i + 1
    parts.append(text[start:].strip())
    return parts


def _integers(text: str, *, allow_x: bool) -> list[int]:
    inner = _unbracket(text)
    if not inner or inner.lower() in ("none", "empty", "无", "空"):
        return []
    if any(ch in inner for ch in "[]{}()"):
        raise Refused("Nested brackets are not expected here", "这里不应有嵌套的括号")
    if inner.endswith(","):
        inner = inner[:-1].rstrip()  # (64,) or "0, 2,"
    seps = r"\s*,\s*|\s+" if not allow_x else r"\s*[,xX*]\s*|\s+"
    out = []
    for p in re.split(seps, inner):
        if not re.fullmatch(r"[+-]?[0-9]+", p):
            if not p:
                raise Refused("An entry is missing", "缺少一项")
            raise Refused(f"{p!r} is not a whole number", f"{p!r} 不是整数")
        out.append(int(p))
    return out


def parse_shape(text: str) -> tuple[int, ...]:
    """A tensor shape: ``[2, 8, 64, 64]``, ``(2,8,64,64)``, ``2x8x64x64``, ``2×8×64×64``.

    Inside brackets with commas an entry may be a small product such as ``3*64``; ``[]`` is the
    shape of a scalar. Every size is a whole number ≥ 0.
    """
    def go():
        t = _prepare(text)
        m = re.fullmatch(r"(?:torch\.)?size\s*\((.*)\)", t, flags=re.IGNORECASE | re.DOTALL)
        if m:
            t = m.group(1).strip()
        inner = _unbracket(t)
        if "," in inner:
            dims = []
            parts = _split_top(inner)
            if len(parts) > 1 and parts[-1] == "":
                parts.pop()  # (64,) is a one-dimensional shape
            for part in parts:
                if re.fullmatch(r"[0-9]+", part):
                    dims.append(int(part))
                    continue
                if not part:
                    raise Refused("An entry of the shape is empty", "形状中有空的项")
                v = _scalar(part, (), deadline_from_now(), numeric=True)
                if not v.is_Integer:
                    raise Refused(f"{part!r} is not a whole number", f"{part!r} 不是整数")
                dims.append(int(v))
        else:
            dims = _integers(t, allow_x=True)
        if any(d < 0 for d in dims):
            raise Refused("A size is negative", "尺寸不能为负")
        return tuple(dims)
    return _run(SHAPE_FORMAT, go)


def parse_indices(text: str) -> list[int]:
    """An ordered list of whole numbers: ``0 2 5``, ``[0, 2, 5]``, ``0,2,5``; ``[]`` is empty."""
    return _run(INDICES_FORMAT, lambda: _integers(_prepare(text), allow_x=False))


def parse_set(text: str) -> frozenset[int]:
    """An unordered set of whole numbers: ``{0, 2, 5}``, ``5 0 2``."""
    return _run(SET_FORMAT, lambda: frozenset(_integers(_prepare(text), allow_x=False)))


def parse_vector(text: str) -> list[sympy.Expr]:
    """A list of numbers: ``[0.5, 1/3, -2]``, ``0.5, 1/3, -2`` or numpy's ``[0.5 0.3333 -2.]``.

    Without commas the entries are split at spaces, so each must then be written without any.
    """
    def go():
        t = _strip_approx(_prepare(text))
        inner = _unbracket(t)
        if not inner:
            return []
        parts = _split_top(inner) if "," in inner else inner.split()
        deadline = deadline_from_now()
        out = []
        for p in parts:
            if not p:
                raise Refused("An entry is empty", "有一项是空的")
            if p[0] in "[{":
                raise Refused("Nested lists are not expected here", "这里不应有嵌套的列表")
            out.append(_scalar(p, (), deadline, numeric=True))
        return out
    return _run(VECTOR_FORMAT, go)


def parse_labels(text: str, n_choices: int | None, several: bool = True) -> list[int]:
    """Choice labels as 0-based indices, in the order typed, without repeats.

    ``A``/``b`` (letters), ``2`` (1-based numbers), ``A, C``, ``AC``, ``1 3``, ``A和C``.
    With ``n_choices`` labels beyond the last choice are refused. ``several=False`` (a single
    choice) states the expected format as one label.
    """
    expected = labels_format(n_choices, several=several)

    def go():
        t = _prepare(text)
        parts = [p for p in re.split(r"[\s,;/&+]+|和|与|及", t) if p and p.lower() not in ("and", "or")]
        out: list[int] = []
        for p in parts:
            p = p.strip("().:：)（）")
            if re.fullmatch(r"[A-Za-z]+", p):
                idx = [ord(c) - ord("A") for c in p.upper()]
            elif re.fullmatch(r"[0-9]+", p):
                idx = [int(p) - 1]
            else:
                raise Refused(f"{p!r} is not a choice label", f"{p!r} 不是选项")
            for i in idx:
                if i < 0 or (n_choices is not None and i >= n_choices):
                    raise Refused(f"There is no choice {p!r}", f"没有选项 {p!r}")
                if i not in out:
                    out.append(i)
        if not out:
            raise Refused("No choice was given", "没有选择任何选项")
        return out
    return _run(expected, go)


_TRUE = {"true", "t", "yes", "y", "1", "对", "是", "正确", "对的", "是的", "√", "✓", "✔", "right", "correct"}
_FALSE = {"false", "f", "no", "n", "0", "错", "否", "错误", "错的", "不对", "不是", "不正确",
          "×", "✗", "✘", "x", "wrong", "incorrect"}


def parse_bool(text: str) -> bool:
    """True or false: true/false, t/f, yes/no, y/n, 对/错, 是/否, 正确/错误, √/×."""
    def go():
        if not isinstance(text, str) or len(text) > 4 * MAX_LENGTH:
            raise Refused("This is not true or false", "这不是对或错")
        t = unicodedata.normalize("NFKC", text).strip().strip("。.!！").strip().lower()
        if t in _TRUE:
            return True
        if t in _FALSE:
            return False
        if not t:
            raise Refused("Nothing was typed", "没有输入内容")
        raise Refused(f"{t[:20]!r} is not true or false", f"{t[:20]!r} 不是对或错")
    return _run(BOOL_FORMAT, go)


def parse_answer(kind: AnswerKind, text: str, *, symbols: Sequence[str] = (), n_choices: int | None = None):
    """Parse ``text`` as an answer of ``kind`` (see :data:`cvquiz.answers.AnswerKind`).

    Returns: number/expression → ``sympy.Expr``; shape → ``tuple[int, ...]``; indices →
    ``list[int]``; set → ``frozenset[int]``; vector → ``list[sympy.Expr]``; choice → ``int``
    (0-based); multi → ``frozenset[int]``; truefalse → ``bool``. Raises
    :class:`AnswerFormatError` for a malformed answer, ``ValueError`` for an unknown kind
    (a ``mapping`` is parsed part by part by the caller).
    """
    if kind == "number":
        return parse_number(text)
    if kind == "expression":
        return parse_expression(text, symbols)
    if kind == "shape":
        return parse_shape(text)
    if kind == "indices":
        return parse_indices(text)
    if kind == "set":
        return parse_set(text)
    if kind == "vector":
        return parse_vector(text)
    if kind == "choice":
        labels = parse_labels(text, n_choices, several=False)
        if len(labels) != 1:
            raise AnswerFormatError(labels_format(n_choices, several=False),
                                    Text("Choose exactly one", "只能选一个"))
        return labels[0]
    if kind == "multi":
        return frozenset(parse_labels(text, n_choices))
    if kind == "truefalse":
        return parse_bool(text)
    raise ValueError(f"kind: expected one of number, expression, shape, indices, set, vector, "
                     f"choice, multi, truefalse (a mapping is parsed part by part); got {kind!r}")
