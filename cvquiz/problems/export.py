"""Rendering variants: the JSON contract, plain text, Markdown and LaTeX.

The JSON contract (``cvquiz generate KIND --format json``) is a list of objects, one per
variant, described by the JSON Schema shipped beside this module (``variant.schema.json``,
read with :func:`schema`). Each object has ``kind``, ``version``, ``seed`` (hex), ``params``,
``prompt`` {en, zh}, ``answer`` (exact, a sympy-parsable string), ``answer_value`` (number,
list, nested list or mapping), ``answer_kind``, ``tolerance`` ({abs, rel, sig_figs} or null),
``rule`` {en, zh} (the accepted-answer rule), ``solution``, ``hint`` and ``mistakes``
[{answer, answer_value, feedback {en, zh}}], plus ``topic``, ``concepts`` and ``figure``.
"""

from __future__ import annotations

import json
from importlib import resources
from typing import Any, Iterable

import sympy

from cvquiz.problems.registry import Variant, registry
from cvquiz.text import Text

SCHEMA_FILE = "variant.schema.json"
FORMATS = ("text", "json", "md", "tex")


def schema() -> dict:
    """The JSON Schema of the JSON contract (a list of variants)."""
    return json.loads(resources.files("cvquiz.problems").joinpath(SCHEMA_FILE).read_text(encoding="utf-8"))


# ---------------------------------------------------------------------------
# Answers as exact strings and as JSON values

def answer_string(answer: Any) -> str:
    """The exact answer as a string that ``sympy.sympify`` reads back to the same value.

    Numbers: ``3/7``, ``sqrt(2)/2``, ``-log(2) + 3/5``; shapes ``(2, 8, 64)``; index lists and
    vectors ``[0, 2, 5]``, ``[3/5, sqrt(2)]``; sets ``{0, 2}``; mappings ``{'q': (2, 4, 8), ...}``.
    """
    if isinstance(answer, bool):
        return "True" if answer else "False"
    if isinstance(answer, dict):
        return "{" + ", ".join(f"{name!r}: {answer_string(v)}" for name, v in answer.items()) + "}"
    if isinstance(answer, tuple):
        inner = ", ".join(answer_string(v) for v in answer)
        return f"({inner},)" if len(answer) == 1 else f"({inner})"
    if isinstance(answer, list):
        return "[" + ", ".join(answer_string(v) for v in answer) + "]"
    if isinstance(answer, (set, frozenset)):
        return "{" + ", ".join(answer_string(v) for v in sorted(answer)) + "}" if answer else "set()"
    return sympy.sstr(sympy.sympify(answer))


def answer_value(answer: Any) -> Any:
    """The answer as plain JSON: a number (int when whole), a list, a nested list or a mapping."""
    if isinstance(answer, bool):
        return answer
    if isinstance(answer, dict):
        return {name: answer_value(v) for name, v in answer.items()}
    if isinstance(answer, (list, tuple)):
        return [answer_value(v) for v in answer]
    if isinstance(answer, (set, frozenset)):
        return [answer_value(v) for v in sorted(answer)]
    if isinstance(answer, int):
        return answer
    value = sympy.sympify(answer)
    if value.is_Integer:
        return int(value)
    return float(sympy.N(value, 20))


def rule(variant: Variant) -> Text:
    """The accepted-answer rule of a variant, as stated to the student."""
    whole = Text("exact", "须完全正确") if variant.tolerance is None else variant.tolerance.describe()
    if not variant.part_tolerances:
        return whole
    rules = [(name, variant.part_tolerances.get(name)) for name in variant.answer]
    en = "; ".join(f"{name}: {t.describe().en if t else whole.en}" for name, t in rules)
    zh = "；".join(f"{name}：{t.describe().zh if t else whole.zh}" for name, t in rules)
    return Text(en, zh)


def to_dict(variant: Variant, title: Text | None = None) -> dict:
    """One variant as a JSON-able mapping (the JSON contract's item)."""
    return {
        "kind": variant.kind,
        "version": variant.version,
        "seed": variant.seed,
        "topic": variant.topic,
        "concepts": list(variant.concepts),
        **({"title": title.to_json()} if title is not None else {}),
        "params": variant.params,
        "prompt": variant.prompt.to_json(),
        "answer": answer_string(variant.answer),
        "answer_value": answer_value(variant.answer),
        "answer_kind": variant.answer_kind,
        **({"parts_kind": dict(variant.parts_kind)} if variant.parts_kind else {}),
        "tolerance": variant.tolerance.to_json() if variant.tolerance is not None else None,
        **({"part_tolerances": {name: t.to_json() for name, t in variant.part_tolerances.items()}}
           if variant.part_tolerances else {}),
        "rule": rule(variant).to_json(),
        "solution": variant.solution.to_json(),
        "hint": variant.hint.to_json(),
        "mistakes": [{"answer": answer_string(m.answer), "answer_value": answer_value(m.answer),
                      "feedback": m.feedback.to_json()} for m in variant.mistakes],
        "figure": variant.figure,
    }


def to_json(variants: Iterable[Variant]) -> str:
    """The JSON contract: a list of variants, pretty-printed, UTF-8 text (not ASCII-escaped)."""
    generators = registry()
    items = [to_dict(v, generators[v.kind].title if v.kind in generators else None) for v in variants]
    return json.dumps(items, ensure_ascii=False, indent=2)


# ---------------------------------------------------------------------------
# Text, Markdown, LaTeX

def shown_answer(variant: Variant) -> str:
    """The expected answer as a student reads it (``3/7 ≈ 0.4286``, ``23 − 2√11 ≈ 16.37``, ``0 2 5``), each part
    of a mapping with its own tolerance's digits."""
    from cvquiz.problems.display import answer_text

    if variant.answer_kind != "mapping":
        return answer_text(variant.answer_kind, variant.answer, variant.tolerance)
    kinds, tolerances = variant.parts_kind or {}, variant.part_tolerances or {}
    return "; ".join(f"{name}: {answer_text(kinds.get(name, 'number'), value, tolerances.get(name, variant.tolerance))}"
                     for name, value in variant.answer.items())


_LABELS = {
    "seed": Text("seed", "种子"),
    "answer": Text("Answer", "答案"),
    "rule": Text("accepted", "判定"),
    "solution": Text("Solution", "解答"),
    "hint": Text("Hint", "提示"),
    "key": Text("Answer key", "答案"),
}


def _label(name: str, lang: str) -> str:
    return _LABELS[name].get(lang)


def _heading(variant: Variant, number: int, lang: str) -> str:
    return f"{number}. {variant.kind} (v{variant.version}, {_label('seed', lang)} {variant.seed})"


def to_text(variants: Iterable[Variant], *, lang: str = "en", key: bool = False) -> str:
    """Plain text for a terminal; ``key`` adds the answer, the rule and the worked solution."""
    blocks = []
    for n, v in enumerate(variants, start=1):
        head = _heading(v, n, lang)
        lines = [head, "─" * min(len(head) + 2, 72), v.prompt.get(lang)]
        if key:
            lines += ["", f"{_label('answer', lang)}: {shown_answer(v)}   ({_label('rule', lang)}: {rule(v).get(lang)})",
                      f"{_label('solution', lang)}:", v.solution.get(lang)]
        blocks.append("\n".join(lines))
    return "\n\n".join(blocks) + "\n"


def to_markdown(variants: Iterable[Variant], *, lang: str = "en", key: bool = False) -> str:
    """Markdown: one section per variant; prompts and solutions in text blocks (they hold aligned tables)."""
    blocks = []
    for n, v in enumerate(variants, start=1):
        lines = [f"## {_heading(v, n, lang)}", "", "```text", v.prompt.get(lang), "```"]
        if key:
            lines += ["", f"**{_label('answer', lang)}:** `{shown_answer(v)}` ({_label('rule', lang)}: {rule(v).get(lang)})",
                      "", f"**{_label('solution', lang)}:**", "", "```text", v.solution.get(lang), "```"]
        blocks.append("\n".join(lines))
    return "\n\n".join(blocks) + "\n"


_TEX_SPECIAL = {"\\": r"\textbackslash{}", "{": r"\{", "}": r"\}", "$": r"\$", "&": r"\&", "#": r"\#",
                "^": r"\^{}", "_": r"\_", "%": r"\%", "~": r"\~{}"}


def tex_escape(text: str) -> str:
    return "".join(_TEX_SPECIAL.get(c, c) for c in text)


def _verbatim(text: str) -> str:
    # A prompt never contains the closing line of the environment; guard it anyway.
    return "\\begin{verbatim}\n" + text.replace("\\end{verbatim}", "\\end {verbatim}") + "\n\\end{verbatim}"


def to_latex(variants: Iterable[Variant], *, lang: str = "en", key: bool = False) -> str:
    """A standalone LaTeX document; compile with XeLaTeX (Unicode math symbols and Chinese)."""
    parts = [
        "% Generated by `cvquiz generate`; compile with xelatex.",
        "\\documentclass[11pt]{article}",
        "\\usepackage{fontspec}",
        "\\usepackage{xeCJK}",
        "\\usepackage[margin=2cm]{geometry}",
        "\\begin{document}",
    ]
    for n, v in enumerate(variants, start=1):
        parts += [f"\\section*{{{tex_escape(_heading(v, n, lang))}}}", _verbatim(v.prompt.get(lang))]
        if key:
            parts += [f"\\paragraph{{{_label('answer', lang)}}} \\texttt{{{tex_escape(shown_answer(v))}}} "
                      f"({tex_escape(_label('rule', lang))}: {tex_escape(rule(v).get(lang))})",
                      f"\\paragraph{{{_label('solution', lang)}}}", _verbatim(v.solution.get(lang))]
    parts.append("\\end{document}")
    return "\n".join(parts) + "\n"


def render(variants: list[Variant], fmt: str, *, lang: str = "en", key: bool = False) -> str:
    """Render in one of :data:`FORMATS` (JSON always carries the answers and solutions)."""
    if fmt == "json":
        return to_json(variants) + "\n"
    if fmt == "md":
        return to_markdown(variants, lang=lang, key=key)
    if fmt == "tex":
        return to_latex(variants, lang=lang, key=key)
    return to_text(variants, lang=lang, key=key)
