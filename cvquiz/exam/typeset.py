"""A question's prose as typst markup: paragraphs of text with its formulas typeset as inline math.

Prompts are plain text in the course's own notation (``h_t = tanh(x_t W_xh + h_(t−1) W_hh + b)``,
``softmax(QKᵀ/√d_k)V``, ``x @ W``, ``2²⁰``). :func:`prose_typst` turns one into typst:

- paragraphs (split at blank lines) become typst paragraphs, and a line break inside one stays a
  line break;
- a run of indented lines (a matrix, a table of numbers, a drawn grid, code) stays a raw block,
  so its columns stay aligned;
- inside a line (:func:`line_typst`), maximal runs of formula tokens (:mod:`cvquiz.exam.formula`),
  cut at words, at punctuation outside brackets, at code and at unmatched brackets, are formula
  *candidates*; a candidate becomes inline math only when it is plainly a formula (a script, a
  Greek letter, √, a math operator such as × ≤ ⊙ @, a function such as softmax applied to
  something, or ``=`` beside a one-letter name) and :func:`~cvquiz.exam.formula.formula_math`
  is sure of it;
- everything else stays literal text, escaped for typst.
"""

from __future__ import annotations

import re
from functools import lru_cache

from cvquiz.exam.formula import Token, formula_math, tokenize

#: A one-letter word that is an article or a pronoun at the start of a candidate, not a variable.
ARTICLES = {"a", "A", "I"}
#: Characters escaped in typst markup (each is markup syntax somewhere: strong, emph, raw, math,
#: code, label, reference, heading, list, term, comment, dash, non-breaking space, smart quote).
MARKUP_SPECIAL = set("\\*_`$#@<>[]~/=-+'\"{}")


def escape_markup(text: str) -> str:
    """``text`` as literal typst markup: every markup character escaped, ``...`` kept as three dots
    (a line is also passed through :func:`escape_line_start`)."""
    return "".join("\\" + ch if ch in MARKUP_SPECIAL or (ch == "." and (text[i + 1:i + 2] == "." or
                                                                      text[i - 1:i] == ".")) else ch
                   for i, ch in enumerate(text))


def _string(text: str) -> str:
    """``text`` as a typst string literal."""
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n").replace("\r", "") + '"'


def _balanced(tokens: list[Token], s: int, e: int) -> list[tuple[int, int]]:
    """``tokens[s:e]`` cut at its unmatched brackets into pieces (``x = 2 (which`` → ``x = 2``;
    ``(2^20 bytes`` → ``2^20``)."""
    stack: list[int] = []
    cuts: list[int] = []
    for i in range(s, e):
        if tokens[i].kind == "open":
            stack.append(i)
        elif tokens[i].kind == "close":
            if stack:
                stack.pop()
            else:
                cuts.append(i)
    pieces, start = [], s
    for c in sorted(cuts + stack):
        end = c
        if c in stack:  # "P(real": the name glued to an unmatched bracket goes with it
            while end > start and tokens[end - 1].kind != "space":
                end -= 1
        pieces.append((start, end))
        start = c + 1
    pieces.append((start, e))
    out = []
    for a, b in pieces:  # a comma outside brackets ends a formula
        depth, start = 0, a
        for i in range(a, b):
            depth += (tokens[i].kind == "open") - (tokens[i].kind == "close")
            if depth == 0 and tokens[i].text in ",;":
                out.append((start, i))
                start = i + 1
        out.append((start, b))
    return out


def _candidates(tokens: list[Token]) -> list[tuple[int, int]]:
    """(start, end) token ranges of formula candidates: runs of formula tokens, cut at punctuation
    outside brackets (a comma inside brackets belongs to the formula)."""
    out, start, depth = [], None, 0
    for i, t in enumerate(tokens):
        inside = t.formula or (t.kind == "punct" and t.text == "," and depth > 0 and start is not None)
        if inside:
            if start is None:
                start, depth = i, 0
            if t.kind == "open":
                depth += 1
            elif t.kind == "close":
                depth -= 1
        elif start is not None:
            out.append((start, i))
            start = None
    if start is not None:
        out.append((start, len(tokens)))
    trimmed = []
    for s, e in (piece for s0, e0 in out for piece in _balanced(tokens, s0, e0)):
        while s < e and tokens[s].kind == "space":
            s += 1
        while e > s and (tokens[e - 1].kind == "space" or tokens[e - 1].text in ",;"):
            e -= 1
        # "a 3×3 kernel": an article before a formula is not a variable
        if e - s > 2 and tokens[s].kind == "atom" and tokens[s].text in ARTICLES and tokens[s + 1].kind == "space" \
                and tokens[s + 2].kind != "op":
            s += 2
        if s < e:
            trimmed.append((s, e))
    return trimmed


@lru_cache(maxsize=16384)  # choices and fixed prompts repeat on every paper
def line_typst(line: str) -> str:
    """One line of prose as typst markup: literal text, with each formula as inline math."""
    tokens = tokenize(line)
    spans = {}
    for s, e in _candidates(tokens):
        text = "".join(t.text for t in tokens[s:e])
        math = formula_math(text)
        if math is not None:
            spans[s] = (e, math)
    out, i = [], 0
    while i < len(tokens):
        if i in spans:
            e, math = spans[i]
            out.append(f"${math}$")
            i = e
            continue
        t = tokens[i]
        if t.kind == "raw":
            body = t.text[1:-1]
            out.append(f"#raw({_string(body)});")  # ";" ends the call: a "(" after it is text
        else:
            out.append(escape_markup(t.text))
        i += 1
    return escape_line_start("".join(out))


def escape_line_start(markup: str) -> str:
    """Keep ``12. foo`` at the start of a line of markup from becoming a numbered list item."""
    m = re.match(r"(\s*\d+)\.", markup)
    return markup if m is None else m.group(1) + "\\." + markup[m.end():]


def _is_block_line(line: str) -> bool:
    """An indented line (a matrix row, a table, a drawn grid, code) keeps its spacing."""
    return line.startswith(("  ", "\t")) and bool(line.strip())


@lru_cache(maxsize=4096)
def prose_typst(text: str) -> str:
    """A question's text as typst markup: paragraphs with inline math, indented runs as raw blocks."""
    out: list[str] = []
    for paragraph in re.split(r"\n[ \t]*\n", text.strip("\n")):
        lines = paragraph.split("\n")
        prose: list[str] = []
        i = 0
        while i < len(lines):
            if _is_block_line(lines[i]):
                j = i
                while j < len(lines) and _is_block_line(lines[j]):
                    j += 1
                if prose:
                    out.append(" \\\n".join(prose) + "\n")
                    prose = []
                block = "\n".join(lines[i:j])
                out.append(f"#raw(block: true, {_string(block)})\n")
                i = j
                continue
            prose.append(line_typst(lines[i].rstrip()))
            i += 1
        if prose:
            out.append(" \\\n".join(prose) + "\n")
        out.append("\n")
    return "".join(out)
