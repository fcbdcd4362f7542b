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
Nothing here calls ``eval``, ``sympify`` or ``parse_expr`` on typed text. The text is
normalized, checked against a whitelist of characters, and split into tokens; every number and
name becomes a placeholder (``_n0``, ``_v1``, ``_f2``), so the Python ``ast`` of the result holds
only placeholders and the arithmetic operators, and the walker accepts only the node types,
names and functions listed below, building sympy objects itself. Bounds refuse hostile input
at once: at most :data:`MAX_LENGTH` characters, :data:`MAX_NESTING` levels of brackets,
magnitudes within 10^±:data:`MAX_DIGITS` (checked *before* a power or ``exp`` is computed, so
``9**9**9**9`` and ``10**100000`` are never evaluated), and :data:`TIME_BUDGET_S` seconds.
Anything refused or malformed raises :class:`AnswerFormatError`, whose ``expected`` says what
format is expected, in English and Chinese.
"""

from __future__ import annotations

import ast
import math
import re
import time
import unicodedata
from typing import Callable, NamedTuple, Sequence

import mpmath
import sympy

from cvquiz.answers import AnswerKind
from cvquiz.text import Text

#: Longest accepted answer, in characters (after normalizing).
MAX_LENGTH = 200
#: Deepest accepted nesting of brackets.
MAX_NESTING = 20
#: Deepest accepted expression tree (a long sum is a deep tree).
MAX_TREE_DEPTH = 150
#: Numbers must lie within 10^-MAX_DIGITS .. 10^MAX_DIGITS in magnitude.
MAX_DIGITS = 1000
#: Largest numeric exponent of a power.
MAX_EXPONENT = 10_000
#: A root (non-integer power) of a rational number is taken only when its parts have at most
#: this many bits: sympy factors the base to simplify the root.
MAX_ROOT_BITS = 340
#: Numerators and denominators of exact values stay below 2^MAX_EXACT_BITS (about 3000 digits).
MAX_EXACT_BITS = 10_000
#: Seconds a parse may take before it is refused.
TIME_BUDGET_S = 1.0

_MAX_BITS = int(MAX_DIGITS * math.log2(10)) + 1
_MP = mpmath.MPContext()
_MP.prec = 64


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


class _Refused(Exception):
    """Raised inside the parser; the public functions add the expected format."""

    def __init__(self, en: str, zh: str):
        super().__init__(en)
        self.reason = Text(en, zh)


# --------------------------------------------------------------------------- expected formats

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


# --------------------------------------------------------------------------- tokens

class _Tok(NamedTuple):
    kind: str   # "num", "name", "op", "space"
    text: str


_TOKEN = re.compile(r"""
    (?P<space>\s+)
  | (?P<num>(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?)
  | (?P<name>[A-Za-z_][A-Za-z0-9_]*)
  | (?P<op>\*\*|[-+*/^(),\[\]%√])
""", re.VERBOSE)


def _tokenize(text: str) -> list[_Tok]:
    tokens, pos, depth = [], 0, 0
    while pos < len(text):
        m = _TOKEN.match(text, pos)
        if m is None:
            ch = text[pos]
            raise _Refused(f"Unexpected character {ch!r}", f"无法识别的字符 {ch!r}")
        kind = m.lastgroup
        tok = _Tok(kind, m.group())
        if kind == "op" and tok.text in "([":
            depth += 1
            if depth > MAX_NESTING:
                raise _Refused(f"Brackets nested more than {MAX_NESTING} deep",
                               f"括号嵌套超过 {MAX_NESTING} 层")
        elif kind == "op" and tok.text in ")]":
            depth -= 1
            if depth < 0:
                raise _Refused("A closing bracket has no opening one", "右括号没有对应的左括号")
        tokens.append(tok)
        pos = m.end()
    if depth:
        raise _Refused("A bracket is not closed", "有括号没有闭合")
    return tokens


def _decimal(text: str) -> sympy.Rational:
    """An exact rational from a decimal literal such as ``4.286e-1``."""
    mantissa, _, exponent = text.lower().partition("e")
    whole, _, frac = mantissa.partition(".")
    exp10 = (int(exponent) if exponent else 0) - len(frac)
    digits = int((whole or "0") + frac)
    if digits and abs(exp10 + len(str(digits))) > MAX_DIGITS:
        raise _Refused(f"The number {text} is too large or too small",
                       f"数 {text} 太大或太小")
    if exp10 >= 0:
        return sympy.Integer(digits * 10**exp10)
    return sympy.Rational(digits, 10**-exp10)


# --------------------------------------------------------------------------- functions

class _Func(NamedTuple):
    name: str
    arity: tuple[int, int]              # min, max number of arguments
    exact: Callable[..., sympy.Expr]     # builds the sympy value
    approx: Callable[..., object]        # mpmath value, for bounds and reality checks
    max_arg: float | None = None         # refuse |argument| above this (exp overflows)


def _log(x, base=None):
    return sympy.log(x) if base is None else sympy.log(x, base)


def _mp_log(x, base=None):
    return _MP.log(x) if base is None else _MP.log(x) / _MP.log(base)


_EXP_LIMIT = _MAX_BITS * math.log(2)
_FUNCTIONS: dict[str, _Func] = {f.name: f for f in [
    _Func("sqrt", (1, 1), sympy.sqrt, _MP.sqrt),
    _Func("cbrt", (1, 1), sympy.cbrt, _MP.cbrt),
    _Func("exp", (1, 1), sympy.exp, _MP.exp, _EXP_LIMIT),
    _Func("log", (1, 2), _log, _mp_log),
    _Func("ln", (1, 1), sympy.log, _MP.log),
    _Func("log10", (1, 1), lambda x: sympy.log(x, 10), _MP.log10),
    _Func("log2", (1, 1), lambda x: sympy.log(x, 2), lambda x: _MP.log(x, 2)),
    _Func("sin", (1, 1), sympy.sin, _MP.sin, 1e6),
    _Func("cos", (1, 1), sympy.cos, _MP.cos, 1e6),
    _Func("tan", (1, 1), sympy.tan, _MP.tan, 1e6),
    _Func("asin", (1, 1), sympy.asin, _MP.asin),
    _Func("acos", (1, 1), sympy.acos, _MP.acos),
    _Func("atan", (1, 1), sympy.atan, _MP.atan),
    _Func("arcsin", (1, 1), sympy.asin, _MP.asin),
    _Func("arccos", (1, 1), sympy.acos, _MP.acos),
    _Func("arctan", (1, 1), sympy.atan, _MP.atan),
    _Func("sinh", (1, 1), sympy.sinh, _MP.sinh, _EXP_LIMIT),
    _Func("cosh", (1, 1), sympy.cosh, _MP.cosh, _EXP_LIMIT),
    _Func("tanh", (1, 1), sympy.tanh, _MP.tanh),
    _Func("sigmoid", (1, 1), lambda x: 1 / (1 + sympy.exp(-x)), lambda x: 1 / (1 + _MP.exp(-x)), _EXP_LIMIT),
    _Func("abs", (1, 1), sympy.Abs, abs),
    _Func("floor", (1, 1), sympy.floor, _MP.floor, 1e15),
    _Func("ceil", (1, 1), sympy.ceiling, _MP.ceil, 1e15),
    _Func("ceiling", (1, 1), sympy.ceiling, _MP.ceil, 1e15),
    _Func("max", (1, 10), sympy.Max, max),
    _Func("min", (1, 10), sympy.Min, min),
]}
_CONSTANTS = {"pi": sympy.pi, "e": sympy.E}
_FUNC_PREFIX = re.compile(r"^(sqrt|cbrt|exp|ln|log|sin|cos|tan)([0-9]+(?:\.[0-9]+)?)$")


# --------------------------------------------------------------------------- the walker

_AFTER_FUNC = Text("A function or √ must be followed by a number or a bracket, as in sqrt(2)",
                   "函数名或 √ 后面应是一个数或括号，例如 sqrt(2)")


class _Val(NamedTuple):
    exact: sympy.Expr
    approx: object | None  # an mpmath number, or None when the value holds symbols


class _Parser:
    """Turns one normalized scalar text into a sympy value (see the module docstring)."""

    def __init__(self, symbols: Sequence[str], deadline: float):
        self.symbols = {name: sympy.Symbol(name, positive=True) for name in symbols}
        self.deadline = deadline
        self.table: dict[str, _Val] = {}
        self.funcs: dict[str, _Func] = {}

    # -- tokens to a placeholder source
    def _placeholder(self, prefix: str, value) -> str:
        key = f"_{prefix}{len(self.table) + len(self.funcs)}"
        if prefix == "f":
            self.funcs[key] = value
        else:
            self.table[key] = value
        return key

    def _name(self, text: str) -> list[tuple[str, str]]:
        """Resolve one typed name to [(role, placeholder)]: role is "atom" or "func"."""
        if text.startswith("_"):
            raise _Refused(f"Unknown name {text!r}", f"无法识别的名称 {text!r}")
        if text in self.symbols:
            sym = self.symbols[text]
            return [("atom", self._placeholder("v", _Val(sym, None)))]
        low = text.lower()
        if low in _CONSTANTS:
            c = _CONSTANTS[low]
            return [("atom", self._placeholder("v", _Val(c, _MP.mpf(c.evalf(25)))))]
        if low in _FUNCTIONS:
            return [("func", self._placeholder("f", _FUNCTIONS[low]))]
        m = _FUNC_PREFIX.match(low)
        if m:  # ln2, sqrt2: a function applied to the number written after it
            num = _decimal(m.group(2))
            return [("func", self._placeholder("f", _FUNCTIONS[m.group(1)])),
                    ("atom", self._placeholder("n", _Val(num, _approx_rational(num))))]
        if self.symbols:
            raise _Refused(f"Unknown name {text!r} (write products with *, as in a*b)",
                           f"无法识别的名称 {text!r}（乘积请写 *，如 a*b）")
        raise _Refused(f"Unknown name {text!r}", f"无法识别的名称 {text!r}")

    def source(self, text: str) -> str:
        """The placeholder source of ``text``: only placeholders and operators remain."""
        items: list[tuple[str, str]] = []  # (role, text); role: atom, func or op
        for tok in _tokenize(text):
            if time.monotonic() > self.deadline:
                raise _Refused("The answer took too long to read", "读取答案超时")
            if tok.kind == "space":
                continue
            if tok.kind == "num":
                num = _decimal(tok.text)
                new = [("atom", self._placeholder("n", _Val(num, _approx_rational(num))))]
            elif tok.kind == "name":
                new = self._name(tok.text)
            else:
                new = [("op", "**" if tok.text == "^" else tok.text)]
            items += new
        items = self._percent(items)
        items = self._roots(items)
        return self._products(items)

    @staticmethod
    def _percent(items):
        out = []
        for i, (role, text) in enumerate(items):
            if text != "%":
                out.append((role, text))
                continue
            after = items[i + 1][1] if i + 1 < len(items) else None
            before = out[-1] if out else None
            if before is None or not (before[0] == "atom" or before[1] in ")]") or after not in (None, ",", ")", "]"):
                raise _Refused("% may only follow a number, as in 43%", "% 只能跟在数后面，例如 43%")
            out += [("op", "*"), ("atom", "_pct")]
        return out

    @staticmethod
    def _atom_end(items, i) -> int:
        """Index after the atom starting at ``i``: a number or name, a call, a bracket, a root."""
        if i >= len(items):
            raise _Refused(_AFTER_FUNC.en, _AFTER_FUNC.zh)
        role, text = items[i]
        if role == "atom":
            return i + 1
        if role == "func":
            if i + 1 < len(items) and items[i + 1][1] == "(":
                return _Parser._group_end(items, i + 1)
            return _Parser._atom_end(items, i + 1)
        if text == "(":
            return _Parser._group_end(items, i)
        if text == "√":
            return _Parser._atom_end(items, i + 1)
        raise _Refused(_AFTER_FUNC.en, _AFTER_FUNC.zh)

    @staticmethod
    def _group_end(items, i) -> int:
        depth = 0
        for j in range(i, len(items)):
            if items[j][1] in "([":
                depth += 1
            elif items[j][1] in ")]":
                depth -= 1
                if depth == 0:
                    return j + 1
        raise _Refused("A bracket is not closed", "有括号没有闭合")

    def _roots(self, items):
        """√x → sqrt(x); a function name before a bare atom (``ln 2``) gets its brackets."""
        i = len(items) - 1
        while i >= 0:
            role, text = items[i]
            if text == "√":
                end = self._atom_end(items, i + 1)
                sqrt = self._placeholder("f", _FUNCTIONS["sqrt"])
                items = items[:i] + [("func", sqrt), ("op", "(")] + items[i + 1:end] + [("op", ")")] + items[end:]
            elif role == "func" and (i + 1 >= len(items) or items[i + 1][1] != "("):
                end = self._atom_end(items, i + 1)
                items = items[:i + 1] + [("op", "(")] + items[i + 1:end] + [("op", ")")] + items[end:]
            i -= 1
        return items

    @staticmethod
    def _products(items) -> str:
        """Join the items, writing * for an implicit product: 2pi, 2 N, N(N+1), (a)(b)."""
        out = []
        for k, (role, text) in enumerate(items):
            if k:
                prev_role, prev_text = items[k - 1]
                left = prev_role == "atom" or prev_text == ")"
                right = role in ("atom", "func") or text == "("
                if left and right and not (prev_role == "atom" and role == "atom" and
                                           text.startswith("_n") and prev_text.startswith("_n")):
                    out.append("*")
            out.append(text)
        return " ".join(out)

    # -- the ast walk
    def scalar(self, text: str) -> _Val:
        src = self.source(text)
        self.table["_pct"] = _Val(sympy.Rational(1, 100), _MP.mpf(1) / 100)
        try:
            tree = ast.parse(src, mode="eval")
        except (SyntaxError, ValueError, RecursionError, MemoryError):
            raise _Refused("This is not a well-formed formula", "算式格式不正确") from None
        return self._walk(tree.body, 0)

    def _walk(self, node: ast.AST, depth: int) -> _Val:
        if depth > MAX_TREE_DEPTH:
            raise _Refused("The formula is nested too deeply", "算式嵌套太深")
        if time.monotonic() > self.deadline:
            raise _Refused("The answer took too long to read", "读取答案超时")
        if isinstance(node, ast.Name) and node.id in self.table:
            return self.table[node.id]
        if isinstance(node, ast.UnaryOp) and isinstance(node.op, (ast.USub, ast.UAdd)):
            v = self._walk(node.operand, depth + 1)
            if isinstance(node.op, ast.UAdd):
                return v
            return _Val(-v.exact, None if v.approx is None else -v.approx)
        if isinstance(node, ast.BinOp) and isinstance(node.op, (ast.Add, ast.Sub, ast.Mult, ast.Div, ast.Pow)):
            a = self._walk(node.left, depth + 1)
            b = self._walk(node.right, depth + 1)
            return self._binop(node.op, a, b)
        if (isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id in self.funcs
                and not node.keywords and not any(isinstance(a, ast.Starred) for a in node.args)):
            func = self.funcs[node.func.id]
            lo, hi = func.arity
            if not lo <= len(node.args) <= hi:
                want = str(lo) if lo == hi else f"{lo} to {hi}"
                raise _Refused(f"{func.name} takes {want} argument(s), got {len(node.args)}",
                               f"{func.name} 需要 {want} 个参数，给了 {len(node.args)} 个")
            args = [self._walk(a, depth + 1) for a in node.args]
            return self._call(func, args)
        if isinstance(node, (ast.Tuple, ast.List)):
            raise _Refused("Expected a single value, not a list", "应是单个值，而不是一列数")
        raise _Refused("This is not a well-formed formula", "算式格式不正确")

    def _binop(self, op: ast.operator, a: _Val, b: _Val) -> _Val:
        approx = None
        if isinstance(op, ast.Pow):
            self._check_power(a, b)
        if a.approx is not None and b.approx is not None:
            approx = self._approx_op(op, a.approx, b.approx)
        exact = _sympy_op(op, a.exact, b.exact)
        if exact.is_Rational and max(abs(exact.p).bit_length(), exact.q.bit_length()) > MAX_EXACT_BITS:
            raise _Refused("The exact value would have too many digits", "精确值的位数太多")
        return _Val(exact, approx)

    def _check_power(self, base: _Val, exp: _Val) -> None:
        if exp.approx is None:
            return
        e = exp.approx
        if isinstance(e, _MP.mpc) or abs(e) > MAX_EXPONENT:
            raise _Refused(f"An exponent is larger than {MAX_EXPONENT}", f"指数超过 {MAX_EXPONENT}")
        if base.approx is None:
            if abs(e) > 1000:
                raise _Refused("An exponent is larger than 1000", "指数超过 1000")
            return
        b = base.approx
        if isinstance(b, _MP.mpc):
            raise _Refused("This is not a real number", "这不是实数")
        if b == 0:
            if e < 0:
                raise _Refused("Division by zero", "除以零")
            return
        if abs(e) * abs(_MP.log(abs(b), 2)) > _MAX_BITS:
            raise _Refused(f"The number is beyond 10^{MAX_DIGITS}", f"数值超出 10^{MAX_DIGITS}")
        is_int = exp.exact.is_Integer
        r = base.exact
        if is_int and r.is_Rational:
            if max(abs(r.p).bit_length(), r.q.bit_length()) * abs(e) > MAX_EXACT_BITS:
                raise _Refused("The exact value would have too many digits", "精确值的位数太多")
        if not is_int:
            if b < 0:
                raise _Refused("A negative number has no real root here", "负数在这里没有实数根")
            if r.is_Rational and max(abs(r.p).bit_length(), r.q.bit_length()) > MAX_ROOT_BITS:
                raise _Refused("A root of such a long number is not taken", "不对位数这么多的数开方")

    @staticmethod
    def _approx_op(op, x, y):
        try:
            if isinstance(op, ast.Add):
                r = x + y
            elif isinstance(op, ast.Sub):
                r = x - y
            elif isinstance(op, ast.Mult):
                r = x * y
            elif isinstance(op, ast.Div):
                if y == 0:
                    raise _Refused("Division by zero", "除以零")
                r = x / y
            else:
                r = x ** y
        except (ZeroDivisionError, ValueError, OverflowError):
            raise _Refused("This value cannot be computed", "无法计算这个值") from None
        _check_magnitude(r)
        return r

    def _call(self, func: _Func, args: list[_Val]) -> _Val:
        approx = None
        if all(a.approx is not None for a in args):
            xs = [a.approx for a in args]
            if any(isinstance(x, _MP.mpc) for x in xs):
                raise _Refused("This is not a real number", "这不是实数")
            if func.max_arg is not None and abs(xs[0]) > func.max_arg:
                raise _Refused(f"The argument of {func.name} is too large", f"{func.name} 的参数太大")
            if func.name in ("log", "ln", "log10", "log2") and any(x <= 0 for x in xs):
                raise _Refused("The logarithm of a number ≤ 0 is not real", "≤ 0 的数的对数不是实数")
            if func.name == "log" and len(xs) == 2 and xs[1] == 1:
                raise _Refused("A logarithm to base 1 is undefined", "以 1 为底的对数无定义")
            try:
                approx = func.approx(*xs)
            except (ZeroDivisionError, ValueError, OverflowError):
                raise _Refused("This value cannot be computed", "无法计算这个值") from None
            if isinstance(approx, _MP.mpc):
                raise _Refused(f"{func.name} of this value is not a real number", f"{func.name} 在此处不是实数")
            _check_magnitude(approx)
        else:
            bad = [a for a in args if a.approx is not None and isinstance(a.approx, _MP.mpc)]
            if bad:
                raise _Refused("This is not a real number", "这不是实数")
        exact = func.exact(*[a.exact for a in args])
        return _Val(exact, approx)


def _sympy_op(op, x, y):
    if isinstance(op, ast.Add):
        return x + y
    if isinstance(op, ast.Sub):
        return x - y
    if isinstance(op, ast.Mult):
        return x * y
    if isinstance(op, ast.Div):
        return x / y
    return x ** y


def _approx_rational(r: sympy.Rational):
    return _MP.mpf(int(r.p)) / int(r.q)


def _check_magnitude(x) -> None:
    if isinstance(x, _MP.mpc):
        if x.imag != 0:
            return  # reality is checked where it matters
        x = x.real
    if x and abs(_MP.mag(x)) > _MAX_BITS:
        raise _Refused(f"The number is beyond 10^±{MAX_DIGITS}", f"数值超出 10^±{MAX_DIGITS}")


def _finite(value: sympy.Expr) -> bool:
    return not value.has(sympy.zoo, sympy.oo, -sympy.oo, sympy.nan, sympy.I)


# --------------------------------------------------------------------------- public parsers

def _prepare(text: str) -> str:
    if not isinstance(text, str):
        raise _Refused(f"Expected text, got {type(text).__name__}", f"应为文本，得到 {type(text).__name__}")
    if len(text) > 4 * MAX_LENGTH:
        raise _Refused(f"The answer is longer than {MAX_LENGTH} characters", f"答案超过 {MAX_LENGTH} 个字符")
    text = normalize(text)
    if len(text) > MAX_LENGTH:
        raise _Refused(f"The answer is longer than {MAX_LENGTH} characters", f"答案超过 {MAX_LENGTH} 个字符")
    if not text:
        raise _Refused("Nothing was typed", "没有输入内容")
    return text


def _strip_approx(text: str) -> str:
    """Drop a leading ``=``, ``≈`` or ``~`` that a person copies from a worked solution."""
    return text.lstrip("=≈~").strip() or text


def _scalar(text: str, symbols: Sequence[str], deadline: float, *, numeric: bool) -> sympy.Expr:
    if "≈" in text:
        raise _Refused("Type one value, not an equation with ≈", "只输入一个值，不要写 ≈ 式子")
    if numeric and re.fullmatch(r"-?[0-9]+(,[0-9]+)+", text):
        raise _Refused("Use a point for decimals, as in 0.43, and no separators in long numbers",
                       "小数点请用“.”，例如 0.43；长数字中间不要加分隔符")
    parser = _Parser(symbols, deadline)
    try:
        val = parser.scalar(text)
        value = val.exact
        finite = _finite(value)
    except _Refused:
        raise
    except Exception:  # sympy raising on an odd value must not reach the student
        raise _Refused("This value cannot be computed", "无法计算这个值") from None
    if not finite:
        raise _Refused("The value is not a finite real number (division by zero?)",
                       "结果不是有限实数（是否除以了零？）")
    if numeric and isinstance(val.approx, _MP.mpc):
        raise _Refused("This is not a real number", "这不是实数")
    return value


def _run(expected: Text, fn, *args):
    try:
        return fn(*args)
    except _Refused as err:
        raise AnswerFormatError(expected, err.reason) from None
    except RecursionError:
        raise AnswerFormatError(expected, Text("The answer is nested too deeply", "答案嵌套太深")) from None


def _deadline() -> float:
    return time.monotonic() + TIME_BUDGET_S


def parse_number(text: str) -> sympy.Expr:
    """A real number, exactly: ``0.4286`` → 2143/5000, ``3/7``, ``42.86%``, ``sqrt(2)/2``, ``pi/4``.

    Raises :class:`AnswerFormatError` when ``text`` is not one finite real number.
    """
    def go():
        t = _strip_approx(_prepare(text))
        return _scalar(t, (), _deadline(), numeric=True)
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
        return _scalar(_prepare(text), symbols, _deadline(), numeric=False)
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
        raise _Refused("Nested brackets are not expected here", "这里不应有嵌套的括号")
    if inner.endswith(","):
        inner = inner[:-1].rstrip()  # (64,) or "0, 2,"
    seps = r"\s*,\s*|\s+" if not allow_x else r"\s*[,xX*]\s*|\s+"
    out = []
    for p in re.split(seps, inner):
        if not re.fullmatch(r"[+-]?[0-9]+", p):
            if not p:
                raise _Refused("An entry is missing", "缺少一项")
            raise _Refused(f"{p!r} is not a whole number", f"{p!r} 不是整数")
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
                    raise _Refused("An entry of the shape is empty", "形状中有空的项")
                v = _scalar(part, (), _deadline(), numeric=True)
                if not v.is_Integer:
                    raise _Refused(f"{part!r} is not a whole number", f"{part!r} 不是整数")
                dims.append(int(v))
        else:
            dims = _integers(t, allow_x=True)
        if any(d < 0 for d in dims):
            raise _Refused("A size is negative", "尺寸不能为负")
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
        deadline = _deadline()
        out = []
        for p in parts:
            if not p:
                raise _Refused("An entry is empty", "有一项是空的")
            if p[0] in "[{":
                raise _Refused("Nested lists are not expected here", "这里不应有嵌套的列表")
            out.append(_scalar(p, (), deadline, numeric=True))
        return out
    return _run(VECTOR_FORMAT, go)


def _letter(i: int) -> str:
    return chr(ord("A") + i)


def parse_labels(text: str, n_choices: int | None) -> list[int]:
    """Choice labels as 0-based indices, in the order typed, without repeats.

    ``A``/``b`` (letters), ``2`` (1-based numbers), ``A, C``, ``AC``, ``1 3``, ``A和C``.
    With ``n_choices`` labels beyond the last choice are refused.
    """
    expected = labels_format(n_choices, several=True)

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
                raise _Refused(f"{p!r} is not a choice label", f"{p!r} 不是选项")
            for i in idx:
                if i < 0 or (n_choices is not None and i >= n_choices):
                    raise _Refused(f"There is no choice {p!r}", f"没有选项 {p!r}")
                if i not in out:
                    out.append(i)
        if not out:
            raise _Refused("No choice was given", "没有选择任何选项")
        return out
    return _run(expected, go)


_TRUE = {"true", "t", "yes", "y", "1", "对", "是", "正确", "对的", "是的", "√", "✓", "✔", "right", "correct"}
_FALSE = {"false", "f", "no", "n", "0", "错", "否", "错误", "错的", "不对", "不是", "不正确",
          "×", "✗", "✘", "x", "wrong", "incorrect"}


def parse_bool(text: str) -> bool:
    """True or false: true/false, t/f, yes/no, y/n, 对/错, 是/否, 正确/错误, √/×."""
    def go():
        if not isinstance(text, str) or len(text) > 4 * MAX_LENGTH:
            raise _Refused("This is not true or false", "这不是对或错")
        t = unicodedata.normalize("NFKC", text).strip().strip("。.!！").strip().lower()
        if t in _TRUE:
            return True
        if t in _FALSE:
            return False
        if not t:
            raise _Refused("Nothing was typed", "没有输入内容")
        raise _Refused(f"{t[:20]!r} is not true or false", f"{t[:20]!r} 不是对或错")
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
        labels = parse_labels(text, n_choices)
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
