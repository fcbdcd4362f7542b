"""A formula written in the course's plain-text notation, as typst math.

:func:`tokenize` splits a line into tokens: letters with their sub- and superscripts, Greek
letters, numbers, operators, brackets, words, punctuation, inline code. :func:`formula_math`
turns a run of them into typst math, or says ``None`` when it is not sure the run is a formula
(a word, code such as ``batch_first=True``, ``nn.RNN``, ``x1``, an unbalanced bracket).

``x_i`` → ``x_(i)``, ``s_{t-1}`` and ``h_(t−1)`` → ``s_(t-1)``, ``W_xh`` → ``W_("xh")`` (an
upright label), ``x^T`` / ``xᵀ`` → ``x^(T)``, ``W^{(1)}`` → ``W^((1))``, ``√d_k`` →
``sqrt(d_(k))``, ``QKᵀ/√d_k`` (no spaces round the slash) → a fraction of the two unspaced runs,
``a / b`` (spaced) → an inline slash, ``x @ W`` → ``@`` as a binary operator, ``softmax`` →
``op("softmax")``, ``XW_1`` → ``X W_(1)`` (a run of capitals before a script is a product).
A typst math name is never written from the source: one letter, a known function, or a quoted
label, so nothing a prompt says can call typst code.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field

from cvquiz.exam.pdf import is_cjk

# Functions that typst's math mode knows by name; any other known function is printed with op().
TYPST_FUNCS = {"log", "ln", "exp", "tanh", "sin", "cos", "max", "min", "det", "arg", "sup", "inf", "lim"}
FUNCS = TYPST_FUNCS | {"softmax", "sigmoid", "diag", "mean", "KL", "Swish", "ReLU", "GELU", "concat", "argmax",
                       "argmin", "sign", "erf", "var", "sqrt", "floor", "ceil", "trace", "tr"}
#: Multi-letter names of quantities, printed upright.
NAMES = {"eps"}
#: A relation or an operator that marks a candidate as a formula by itself.
MATH_OPS = set("×·⊙≤≥≈≠∈∉∑∏∞‖→←↦∝⊗⊕±∓√")
#: Symbols that stand like a letter (∂h, ∇f).
SYMBOLS = set("∂∇")
OPS = MATH_OPS | set("=+-−*/<>|@~…↑↓!")
#: Binary operators that cannot end a formula, nor (the first four) start one.
NO_START, NO_END = set("×·⊙*/@"), set("×·⊙*/@+-−<>≤≥∈")
OPENERS, CLOSERS = "([{⌊⌈", ")]}⌋⌉"
DIGITS = "0123456789"
SUPERSCRIPTS = dict(zip("⁰¹²³⁴⁵⁶⁷⁸⁹⁺⁻⁼⁽⁾ᵀⁿⁱᵏᵗᵈ", "0123456789+-=()Tniktd"))
SUBSCRIPTS = dict(zip("₀₁₂₃₄₅₆₇₈₉₊₋ᵢⱼₜₖₙₘ", "0123456789+-ijtknm"))

@dataclass
class Token:
    """One piece of a line: ``kind`` is atom, func, num, op, open, close, root, space, punct, word,
    code or raw; ``math`` is its typst math (formula kinds), ``scripts`` its sub/superscripts."""

    kind: str
    text: str
    math: str = ""
    scripts: str = ""
    has_scripts: bool = False

    @property
    def formula(self) -> bool:
        return self.kind in ("atom", "func", "name", "num", "op", "open", "close", "root", "space")


def is_letter(ch: str) -> bool:
    """A Latin or Greek letter (not CJK, not a modifier letter used as a super/subscript)."""
    return ch.isalpha() and not is_cjk(ch) and ch not in SUPERSCRIPTS and ch not in SUBSCRIPTS


def is_greek(ch: str) -> bool:
    return "GREEK" in unicodedata.name(ch, "")




def _label(text: str) -> str:
    """A multi-letter subscript or name as an upright string in typst math."""
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


# --------------------------------------------------------------------------- tokenizer

def _scripted(scripts: str) -> bool:
    """Whether ``scripts`` holds a sub- or superscript (a prime alone does not make a formula)."""
    return "_" in scripts or "^" in scripts


def _group_end(line: str, i: int) -> int:
    """Index just past the bracket group starting at ``line[i]`` (-1 when unbalanced)."""
    depth = 0
    for j in range(i, len(line)):
        if line[j] in OPENERS:
            depth += 1
        elif line[j] in CLOSERS:
            depth -= 1
            if depth == 0:
                return j + 1
    return -1


def _script_body(line: str, i: int) -> tuple[str | None, int]:
    """The typst math of a script body starting at ``line[i]`` (after ``_`` or ``^``), and where it ends;
    ``None`` when the body is not one this converter understands."""
    if i >= len(line):
        return None, i
    ch = line[i]
    if ch in "({":
        end = _group_end(line, i)
        if end < 0:
            return None, i
        inner = line[i + 1:end - 1]
        math = formula_math(inner, require_formula=False)
        return (None if math is None else f"({math})"), end
    m = re.match(r"[A-Za-z0-9]+", line[i:])
    if m:
        body = m.group(0)
        if len(body) == 1 or body.isdigit():
            return f"({body})", i + len(body)
        return f"({_label(body)})", i + len(body)
    if is_letter(ch) and is_greek(ch):
        return f"({ch})", i + 1
    if ch == "*":
        return "(*)", i + 1
    return None, i


def _scripts(line: str, i: int) -> tuple[str | None, int]:
    """Every sub/superscript from ``line[i]`` on, as typst math (``""`` when none); ``None`` when one
    of them cannot be read."""
    out = ""
    while i < len(line):
        ch = line[i]
        if ch in "_^":
            body, j = _script_body(line, i + 1)
            if body is None:
                return None, i
            out += ch + body
            i = j
        elif ch == "'" and out == "" and not is_letter(line[i + 1:i + 2]):
            out += "'"  # a prime: tanh'(a)
            i += 1
        elif ch in SUPERSCRIPTS or ch in SUBSCRIPTS:
            table, mark = (SUPERSCRIPTS, "^") if ch in SUPERSCRIPTS else (SUBSCRIPTS, "_")
            j = i
            while j < len(line) and line[j] in table:
                j += 1
            body = "".join(table[c] for c in line[i:j])
            out += f"{mark}({re.sub('(?<=[A-Za-z])(?=[A-Za-z0-9])', ' ', body)})"  # ⁿᵏ: n k, not one name
            i = j
        else:
            break
    return out, i


def tokenize(line: str) -> list[Token]:
    """The tokens of one line of prose (see the module doc)."""
    tokens: list[Token] = []
    i, n = 0, len(line)
    while i < n:
        ch = line[i]
        if ch == "`":
            end = line.find("`", i + 1)
            if end > i:
                tokens.append(Token("raw", line[i:end + 1]))
                i = end + 1
                continue
            tokens.append(Token("punct", ch))
            i += 1
        elif ch.isspace():
            j = i
            while j < n and line[j].isspace():
                j += 1
            tokens.append(Token("space", line[i:j], " "))
            i = j
        elif ch in DIGITS:
            m = re.match(r"\d+(?:\.\d+)?", line[i:])
            j = i + len(m.group(0))
            if j < n and is_letter(line[j]) and not (line[j] in "×"):
                # 3D, 2x, 16k: a number glued to letters is a word, not a product
                k = j
                while k < n and (is_letter(line[k]) or line[k] in DIGITS):
                    k += 1
                if k - j > 1 or line[j] in "xX":
                    tokens.append(Token("word", line[i:k]))
                    i = k
                    continue
            scripts, k = _scripts(line, j)
            if scripts is None:
                tokens.append(Token("code", line[i:k]))
                i = k
                continue
            tokens.append(Token("num", line[i:k], m.group(0), scripts, _scripted(scripts)))
            i = k
        elif is_letter(ch):
            j = i
            while j < n and (is_letter(line[j]) or (line[j] == "-" and j + 1 < n and is_letter(line[j + 1])
                                                     and j > i and is_letter(line[j - 1]))):
                j += 1
            word = line[i:j]
            prime = line[j:j + 1] == "'" and (len(word) == 1 or word in FUNCS) and not is_letter(line[j + 1:j + 2])
            if j < n and (line[j] in DIGITS or (line[j] == "." and j + 1 < n and is_letter(line[j + 1]))
                          or (line[j] in "'" and not prime)):
                # x1, float32, nn.RNN, h.detach, don't: not a formula
                k = j
                while k < n and (line[k].isalnum() or line[k] in "._'"):
                    k += 1
                tokens.append(Token("word" if line[j] in "'" else "code", line[i:k]))
                i = k
                continue
            scripts, k = _scripts(line, j)
            if scripts is None or (scripts and "-" in word) or (word in FUNCS and '("' in scripts):
                k = j  # x_<i, max_norm: code up to the next space
                while k < n and not line[k].isspace():
                    k += 1
                tokens.append(Token("code", line[i:k]))
                i = k
                continue
            text = line[i:k]
            if len(word) == 1:
                tokens.append(Token("atom", text, word, scripts, _scripted(scripts)))
            elif word in NAMES and not scripts:
                tokens.append(Token("name", text, _label(word)))
            elif word in FUNCS:
                name = word if word in TYPST_FUNCS else f"op({_label(word)})"
                tokens.append(Token("func", text, name, scripts, _scripted(scripts)))
            elif scripts and word.isupper() and len(word) <= 4:
                tokens.append(Token("atom", text, " ".join(word), scripts, True))
            elif scripts:
                tokens.append(Token("code", text))  # batch_first, max_norm, range_min
            else:
                tokens.append(Token("word", text))
            i = k
        elif ch in SYMBOLS:
            tokens.append(Token("atom", ch, ch, "", True))
            i += 1
        elif unicodedata.category(ch) == "No" and ch not in SUPERSCRIPTS and ch not in SUBSCRIPTS:
            tokens.append(Token("num", ch, ch))  # ½, ¼
            i += 1
        elif ch == "√":
            tokens.append(Token("root", ch, "sqrt"))
            i += 1
        elif ch in OPENERS:
            tokens.append(Token("open", ch, ch))
            i += 1
        elif ch in CLOSERS:
            scripts, k = _scripts(line, i + 1)
            if scripts is None:
                tokens.append(Token("code", line[i:i + 1]))
                i += 1
                continue
            tokens.append(Token("close", line[i:k], ch, scripts, _scripted(scripts)))
            i = k
        elif ch in OPS:
            if line.startswith("->", i):
                tokens.append(Token("op", "->", "->"))
                i += 2
                continue
            if line[i:i + 2] in ("**", "==", "!=", "+=", "-=", "//"):
                tokens.append(Token("code", line[i:i + 2]))
                i += 2
                continue
            math = {"@": 'class("binary", "@")', "~": "tilde.op", "/": "/"}.get(ch, ch)
            tokens.append(Token("op", ch, math))
            i += 1
        else:
            kind = "punct" if not (is_letter(ch) or is_cjk(ch)) or unicodedata.category(ch)[0] == "P" else "word"
            tokens.append(Token(kind, ch, ch if ch == "," else ""))
            i += 1
    return tokens


# --------------------------------------------------------------------------- formulas

@dataclass
class _Unit:
    """A token, a bracket group (open, children, close) or a root with its operand."""

    token: Token | None = None
    children: list["_Unit"] = field(default_factory=list)
    close: Token | None = None
    operand: "_Unit | None" = None
    space_before: bool = False
    call: bool = False


def _units(tokens: list[Token]) -> list[_Unit] | None:
    """Tokens (without spaces; a space sets the next unit's ``space_before``) as a list of units."""
    stack: list[list[_Unit]] = [[]]
    opens: list[_Unit] = []
    space = False
    for t in tokens:
        if t.kind == "space":
            space = True
            continue
        if t.kind == "open":
            u = _Unit(token=t, space_before=space)
            u.call = not space and bool(stack[-1])  # typst reads f( as a call: it must end with )
            stack[-1].append(u)
            opens.append(u)
            stack.append(u.children)
        elif t.kind == "close":
            if not opens:
                return None
            u = opens.pop()
            if u.call and u.token.text == "(" and t.text != ")":
                return None
            u.close = t
            stack.pop()
        else:
            stack[-1].append(_Unit(token=t, space_before=space))
        space = False
    return stack[0] if not opens else None


def _bind_roots(units: list[_Unit]) -> list[_Unit] | None:
    """Give each √ the unit right after it (its operand); ``None`` when a √ has none."""
    out: list[_Unit] = []
    i = 0
    while i < len(units):
        u = units[i]
        if u.children:
            u.children = _bind_roots(u.children)
            if u.children is None:
                return None
        if u.token is not None and u.token.kind == "root":
            if i + 1 >= len(units) or units[i + 1].space_before:
                return None
            operand = units[i + 1]
            if operand.token is not None and operand.token.kind not in ("atom", "num", "open"):
                return None
            if operand.token.kind == "open" and (not operand.children or any(
                    c.token is not None and c.token.text == "," for c in operand.children)):
                return None  # sqrt() has no radicand, sqrt(a, b) two arguments
            if operand.children:
                operand.children = _bind_roots(operand.children)
                if operand.children is None:
                    return None
            u.operand = operand
            i += 2
        else:
            i += 1
        out.append(u)
    return out


def _render(u: _Unit) -> str:
    t = u.token
    if u.operand is not None:
        inner = u.operand
        if inner.close is not None and inner.token.text == "(" and not inner.close.scripts:
            return f"sqrt({_render_seq(inner.children)})"
        return f"sqrt({_render(inner)})"
    if t is not None and t.kind == "open":
        close = u.close
        return f"{t.math}{_render_seq(u.children)}{close.math}{close.scripts}"
    return f"{t.math}{t.scripts}"


def _is_paren_group(u: _Unit) -> bool:
    return u.close is not None and u.token.text == "(" and u.close.text == ")"


def _side(units: list[_Unit]) -> str:
    if len(units) == 1 and (_is_paren_group(units[0]) or units[0].token.kind in ("atom", "num")
                            and not units[0].token.has_scripts and " " not in units[0].token.math):
        return _render(units[0])
    return f"({_join(units)})"


def _join(units: list[_Unit]) -> str:
    parts: list[str] = []
    for u in units:
        text = "\\/" if _is_slash(u) else _render(u)
        if parts and _needs_gap(parts[-1], text):
            parts.append(" ")
        parts.append(text)
    return "".join(parts)


def _is_op(u: _Unit) -> bool:
    return u.token is not None and u.token.kind == "op"


def _is_slash(u: _Unit) -> bool:
    return u.token is not None and u.token.kind == "op" and u.token.text == "/"


def _render_seq(units: list[_Unit]) -> str:
    """A sequence of units as typst math. Units written together (no space between) form a run; a
    run ``a/b`` with one slash inside is a fraction of its two sides, any other slash is printed."""
    runs: list[list[_Unit]] = []
    for u in units:
        if u.space_before or not runs:
            runs.append([])
        runs[-1].append(u)
    out = []
    for run in runs:
        slashes = [k for k, u in enumerate(run) if _is_slash(u)]
        if len(slashes) == 1 and 0 < slashes[0] < len(run) - 1:
            k = slashes[0]
            # the sides stop at an operator: |∂/∂a| is | (∂/∂a) |
            a = k
            while a > 0 and not _is_op(run[a - 1]):
                a -= 1
            b = k + 1
            while b < len(run) and not _is_op(run[b]):
                b += 1
            if a == k or b == k + 1:
                out.append(_join(run))
                continue
            fraction = f"{_side(run[a:k])}/{_side(run[k + 1:b])}"
            pieces = [x for x in (_join(run[:a]), fraction, _join(run[b:])) if x]
            out.append("".join(x if not n or not _needs_gap(pieces[n - 1], x) else " " + x
                               for n, x in enumerate(pieces)))
        else:
            out.append(_join(run))
    return " ".join(out)


def _needs_gap(before: str, after: str) -> bool:
    """Two pieces written together in the source that typst would read as one name (``Q`` ``K``,
    ``w`` ``·h``: the middle dot continues a name in typst)."""
    end, start = before[-1], after[0]
    return (_name_char(end) or end in "\")") and (_name_char(start) or start == '"')


def _name_char(ch: str) -> bool:
    return ch.isalnum() or ch in "·_"


def _is_formula(tokens: list[Token]) -> bool:
    """Whether a balanced candidate is plainly a formula (see the module doc)."""
    solid = [t for t in tokens if t.kind != "space"]
    letters = [t for t in solid if t.kind == "atom"]
    for n, t in enumerate(solid):
        after = solid[n + 1] if n + 1 < len(solid) else None
        if t.has_scripts or t.kind == "root" or (t.kind == "atom" and is_greek(t.text[0])):
            return True
        if t.kind == "op" and (t.text in MATH_OPS or t.text == "@"):
            return True
        if t.kind == "func" and after is not None and (after.kind in ("open", "atom", "root") or t.has_scripts):
            return True
        if t.kind == "op" and t.text in "=<>" and letters:
            return True
        if t.kind == "op" and t.text == "/" and any(x.kind == "atom" for x in solid):
            return True
    return False


def _well_formed(tokens: list[Token]) -> bool:
    """Not a fragment: something in it, bars paired outside brackets, no binary operator dangling
    at either end (``× 3``, ``d/``)."""
    solid = [t.text for t in tokens if t.kind != "space"]
    depth, bars = 0, 0
    for t in tokens:
        depth += (t.kind == "open") - (t.kind == "close")
        bars += depth == 0 and t.text == "|"
    return bool(solid) and solid[0] not in NO_START and solid[-1] not in NO_END and bars % 2 == 0


def formula_math(text: str, *, require_formula: bool = True) -> str | None:
    """``text`` (one formula, e.g. ``softmax(QKᵀ/√d_k)V``) as typst math, or ``None`` when it is not
    one this converter is sure of (with ``require_formula``, also when it does not look like a formula)."""
    tokens = tokenize(text)
    # a ";" would make typst's call arguments a matrix: not a formula here
    if not tokens or not all(t.formula or t.text == "," for t in tokens) or not _well_formed(tokens):
        return None
    if require_formula and not _is_formula(tokens):
        return None
    units = _units(tokens)
    units = _bind_roots(units) if units is not None else None
    if units is None:
        return None
    return _render_seq(units)
