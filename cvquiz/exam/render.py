"""A paper (or a student's feedback) as Markdown, self-contained HTML and typst source.

``lang`` is ``en``, ``zh`` or ``both`` (each text in English, then in Chinese). In the PDF a
prompt is prose with its formulas typeset (:mod:`cvquiz.exam.typeset`), its aligned tables and
matrices kept as monospace blocks; worked solutions stay monospace (their columns line up).
Markdown and HTML keep the prompt's plain text. Figures: boxes and PR curves are
drawn with typst's own shapes in the PDF and as inline SVG in the HTML; Markdown lists the
numbers only (they are in the prompt). Nothing here fetches anything: no typst packages, no
external stylesheets.
"""

from __future__ import annotations

import html
from typing import Any, Iterable

from cvquiz.exam.paper import LETTERS, Entry, Paper
from cvquiz.exam.spec import Exam
from cvquiz.exam.typeset import escape_markup, line_typst, prose_typst
from cvquiz.practice.session import Item, Part
from cvquiz.text import Text

LABELS = {
    "student": Text("Student", "学生"),
    "id": Text("ID", "学号"),
    "points": Text("points", "分"),
    "answer": Text("Answer", "答案"),
    "accepted": Text("Accepted", "判定"),
    "format": Text("Type", "格式"),
    "solution": Text("Worked solution", "解答"),
    "yours": Text("Your answer", "你的答案"),
    "score": Text("Score", "得分"),
    "total": Text("Total", "总分"),
    "blank": Text("(blank)", "（未作答）"),
}


def _numbered(exam: Exam, paper: Paper, lang: str):
    """``(number, entry, section title)`` for each question of ``paper``, in order; the title is
    given only on the first question of a titled section, and is "" everywhere else."""
    section = None
    for n, entry in enumerate(paper.entries, start=1):
        title = ""
        if entry.exam_question.section != section:
            section = entry.exam_question.section
            title = tr(exam.sections[section], lang) if section < len(exam.sections) else ""
        yield n, entry, title


def tr(text: Text | None, lang: str) -> str:
    """``text`` in ``lang``; ``both`` gives English, then Chinese on the next line (once when equal)."""
    if text is None:
        return ""
    if lang == "both":
        return text.en if text.en == text.zh else f"{text.en}\n{text.zh}"
    return text.get(lang)


def label(name: str, lang: str) -> str:
    t = LABELS[name]
    return f"{t.en} / {t.zh}" if lang == "both" else t.get(lang)


def expected_text(part: Part) -> str:
    """How the key writes a part's expected answer (the student's own letters for choices)."""
    from cvquiz.problems.display import answer_text

    return answer_text(part.kind, part.expected, part.tolerance)


def column_label(entry: Entry, part: Part) -> str:
    return entry.item.question_id if part.name is None else f"{entry.item.question_id}.{part.name}"


def _points(x: float) -> str:
    return f"{x:g}"


def points_label(x: float, lang: str) -> str:
    """``2 points``, ``1 point``, ``2 分`` (both: ``1 point / 1 分``)."""
    en, zh = f"{x:g} point{'' if x == 1 else 's'}", f"{x:g} 分"
    return {"en": en, "zh": zh}.get(lang, f"{en} / {zh}")


_PAPER_BOOL = Text("true or false (T or F)", "对或错（也可写 T 或 F）")


def answer_hint(part: Part, lang: str) -> str:
    """How to write a part's answer on paper (the drill's format line), with the accepted rule
    of a numeric part: a true/false or a tolerance must not be a surprise in an exam."""
    # On paper a true/false is written, not typed: the drill's list of typable synonyms (with
    # 对/错, which an English paper's fonts may lack) is not needed.
    shown = _PAPER_BOOL if part.kind == "truefalse" else part.answer_format
    hint = tr(shown, lang).replace("\n", " / ")
    if part.kind in ("number", "vector"):
        hint += f"; {label('accepted', lang)}: {_rule(part, lang)}"
    return f"{label('format', lang)}: {hint}"


# --------------------------------------------------------------------------- Markdown

def paper_markdown(exam: Exam, paper: Paper, lang: str, *, key: bool = False) -> str:
    s = paper.student
    lines = [f"# {tr(exam.title, lang)}", "", f"**{label('student', lang)}:** {s.name}  ",
             f"**{label('id', lang)}:** `{s.id}`", ""]
    for n, entry, title in _numbered(exam, paper, lang):
        if title:
            lines += [f"## {title}", ""]
        item = entry.item
        lines += [f"### {n}. `{item.question_id}` ({points_label(entry.exam_question.points, lang)})",
                  "", "```text", tr(item.prompt, lang), "```", ""]
        for i, choice in enumerate(item.choices):
            lines.append(f"- **{LETTERS[i]}.** {tr(choice, lang)}")
        if item.choices:
            lines.append("")
        for part in item.parts:
            lines.append(f"- {label('answer', lang)} `{column_label(entry, part)}`: ____ ({answer_hint(part, lang)})")
            if key:
                lines.append(f"  - **{label('answer', lang)}:** `{expected_text(part)}`")
        if key and item.explanation is not None:
            lines += ["", f"**{label('solution', lang)}:**", "", "```text", tr(item.explanation, lang), "```"]
        lines.append("")
    return "\n".join(lines).rstrip() + "\n"


def _rule(part: Part, lang: str) -> str:
    rule = part.tolerance.describe() if part.tolerance is not None else Text("exact", "须完全正确")
    return tr(rule, lang).replace("\n", " / ")


# --------------------------------------------------------------------------- HTML

_CSS = ("body{font-family:serif;max-width:48em;margin:2em auto;padding:0 1em;line-height:1.45}"
        "pre{white-space:pre-wrap;background:#f6f6f6;padding:.6em;font-size:.92em}"
        "h3{margin-top:1.6em}.answer{border-bottom:1px solid #444;display:inline-block;min-width:12em}"
        "svg{display:block;margin:.5em 0}")


def paper_html(exam: Exam, paper: Paper, lang: str) -> str:
    e = html.escape
    s = paper.student
    out = ["<!DOCTYPE html>", f'<html lang="{"zh" if lang == "zh" else "en"}"><head><meta charset="utf-8">',
           f"<title>{e(tr(exam.title, lang))} – {e(s.id)}</title><style>{_CSS}</style></head><body>",
           f"<h1>{e(tr(exam.title, lang))}</h1>",
           f"<p><b>{e(label('student', lang))}:</b> {e(s.name)}<br><b>{e(label('id', lang))}:</b> {e(s.id)}</p>"]
    for n, entry, title in _numbered(exam, paper, lang):
        if title:
            out.append(f"<h2>{e(title)}</h2>")
        item = entry.item
        out.append(f"<h3>{n}. {e(item.question_id)} ({e(points_label(entry.exam_question.points, lang))})</h3>"
                   f"<pre>{e(tr(item.prompt, lang))}</pre>")
        if item.figure:
            out.append(figure_svg(item.figure))
        if item.choices:
            out.append("<ol type=\"A\">" + "".join(f"<li>{e(tr(c, lang))}</li>" for c in item.choices) + "</ol>")
        for part in item.parts:
            out.append(f"<p>{e(label('answer', lang))} <code>{e(column_label(entry, part))}</code>: "
                       f"<span class=\"answer\">&nbsp;</span><br><small>{e(answer_hint(part, lang))}</small></p>")
    out.append("</body></html>")
    return "\n".join(out) + "\n"


def _xyxy(box: list[float], fmt: str) -> tuple[float, float, float, float]:
    a, b, c, d = (float(v) for v in box)
    if fmt == "xywh":
        return a, b, a + c, b + d
    if fmt == "cxcywh":
        return a - c / 2, b - d / 2, a + c / 2, b + d / 2
    return a, b, c, d


def _boxes_layout(figure: dict[str, Any], width: float) -> tuple[list[tuple[float, ...]], float]:
    boxes = [_xyxy(b, figure.get("format", "xyxy")) for b in figure["boxes"]]
    x0, y0 = min(b[0] for b in boxes), min(b[1] for b in boxes)
    x1, y1 = max(b[2] for b in boxes), max(b[3] for b in boxes)
    span = max(x1 - x0, y1 - y0, 1e-9)
    scale = width / span
    return [((b[0] - x0) * scale, (b[1] - y0) * scale, (b[2] - x0) * scale, (b[3] - y0) * scale) for b in boxes], \
        (y1 - y0) * scale


COLOURS = ("#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#8c564b")


def figure_svg(figure: dict[str, Any], width: float = 240) -> str:
    """An inline SVG of a ``boxes`` or ``pr_curve`` figure ('' for other figure types)."""
    if figure.get("type") == "boxes":
        boxes, height = _boxes_layout(figure, width)
        labels = figure.get("labels") or [str(i) for i in range(len(boxes))]
        shapes = "".join(
            f'<rect x="{b[0] + 10:.2f}" y="{b[1] + 10:.2f}" width="{b[2] - b[0]:.2f}" height="{b[3] - b[1]:.2f}" '
            f'fill="none" stroke="{COLOURS[i % len(COLOURS)]}" stroke-width="2"/>'
            f'<text x="{b[0] + 13:.2f}" y="{b[1] + 24:.2f}" font-size="12" fill="{COLOURS[i % len(COLOURS)]}">'
            f"{html.escape(str(labels[i]) if i < len(labels) else str(i))}</text>" for i, b in enumerate(boxes))
        return f'<svg xmlns="http://www.w3.org/2000/svg" width="{width + 20:.0f}" height="{height + 20:.0f}">{shapes}</svg>'
    if figure.get("type") == "pr_curve":
        pts = " ".join(f"{10 + r * width:.2f},{10 + (1 - p) * width:.2f}"
                       for r, p in zip(figure["recall"], figure["precision"]))
        return (f'<svg xmlns="http://www.w3.org/2000/svg" width="{width + 20:.0f}" height="{width + 20:.0f}">'
                f'<rect x="10" y="10" width="{width}" height="{width}" fill="none" stroke="#888"/>'
                f'<polyline points="{pts}" fill="none" stroke="#1f77b4" stroke-width="2"/></svg>')
    return ""


# --------------------------------------------------------------------------- typst

def typst_string(text: str) -> str:
    """``text`` as a typst string literal."""
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n").replace("\r", "") + '"'


def _typst_figure(figure: dict[str, Any] | None, width: float = 6.0) -> str:
    if not figure:
        return ""
    if figure.get("type") == "boxes":
        boxes, height = _boxes_layout(figure, width)
        labels = figure.get("labels") or [str(i) for i in range(len(boxes))]
        shapes = "\n".join(
            f'  #place(dx: {b[0]:.3f}cm, dy: {b[1]:.3f}cm, rect(width: {max(b[2] - b[0], 0.01):.3f}cm, '
            f'height: {max(b[3] - b[1], 0.01):.3f}cm, stroke: 1.2pt + rgb("{COLOURS[i % len(COLOURS)]}")))\n'
            f'  #place(dx: {b[0] + 0.08:.3f}cm, dy: {b[1] + 0.08:.3f}cm, text(size: 8pt, '
            f'fill: rgb("{COLOURS[i % len(COLOURS)]}"), {typst_string(str(labels[i]) if i < len(labels) else str(i))}))'
            for i, b in enumerate(boxes))
        return f"#block(breakable: false, width: {width + 0.2:.3f}cm, height: {height + 0.2:.3f}cm)[\n{shapes}\n]\n"
    if figure.get("type") == "pr_curve":
        points = [(r * width, (1 - p) * width) for r, p in zip(figure["recall"], figure["precision"])]
        segments = "\n".join(
            f'  #place(line(start: ({x0:.3f}cm, {y0:.3f}cm), end: ({x1:.3f}cm, {y1:.3f}cm), '
            f'stroke: 1.2pt + rgb("#1f77b4")))' for (x0, y0), (x1, y1) in zip(points, points[1:]))
        marks = "\n".join(f"  #place(dx: {x - 0.05:.3f}cm, dy: {y - 0.05:.3f}cm, circle(radius: 0.05cm, "
                          f'fill: rgb("#1f77b4")))' for x, y in points)
        return (f"#block(breakable: false, width: {width:.3f}cm, height: {width + 0.5:.3f}cm)[\n"
                f"  #place(rect(width: {width:.3f}cm, height: {width:.3f}cm, stroke: 0.5pt + gray))\n"
                f"{segments}\n{marks}\n"
                f'  #place(dx: 0cm, dy: {width + 0.1:.3f}cm, text(size: 8pt, "recall 0 → 1; precision 0 ↑ 1"))\n]\n')
    return ""


def typst_document(title: str, date: str, body: str, cjk_family: str | None) -> str:
    """The typst preamble (fonts, page, the build date as the document date) around ``body``."""
    year, month, day = (int(x) for x in date.split("-"))
    fonts = ["Libertinus Serif", *( [cjk_family] if cjk_family else []), "DejaVu Sans Mono"]
    mono = ["DejaVu Sans Mono", *([cjk_family] if cjk_family else [])]
    return (f"#set document(title: {typst_string(title)}, date: datetime(year: {year}, month: {month}, day: {day}))\n"
            '#set page(paper: "a4", margin: 2cm, numbering: "1 / 1")\n'
            f"#set text(font: ({', '.join(typst_string(f) for f in fonts)},), size: 10.5pt)\n"
            f"#show raw: set text(font: ({', '.join(typst_string(f) for f in mono)},), size: 9pt)\n"
            "#show raw.where(block: true): block.with(fill: luma(246), inset: 6pt, width: 100%)\n"
            + body)


def _typst_raw(text: str) -> str:
    return f"#raw(block: true, {typst_string(text)})\n"


def _typst_par(text: str) -> str:
    return f"#text({typst_string(text)})\n"


def paper_typst_body(exam: Exam, paper: Paper, lang: str, *, key: bool = False,
                     answers: dict[str, Any] | None = None) -> str:
    """The body of a paper; with ``answers`` (a student's marked answers, see :mod:`cvquiz.exam.mark`)
    it is that student's feedback: their answer and score under each question, and the worked solution."""
    s = paper.student
    out = [f"#align(center, text(size: 16pt, weight: \"bold\", {typst_string(tr(exam.title, lang))}))\n",
           _typst_par(f"{label('student', lang)}: {s.name}    {label('id', lang)}: {s.id}"),
           "#v(4pt)\n"]
    if answers is not None:
        out.append(_typst_par(f"{label('total', lang)}: {answers['total']:g} / {answers['max']:g}"))
    for n, entry, title in _numbered(exam, paper, lang):
        if title:
            out.append(f"#heading(level: 1, {typst_string(title)})\n")
        item = entry.item
        heading = f"{n}. {item.question_id} ({points_label(entry.exam_question.points, lang)})"
        out.append(f"#heading(level: 2, {typst_string(heading)})\n")
        out.append(prose_typst(tr(item.prompt, lang)))
        out.append(_typst_figure(item.figure))
        for i, choice in enumerate(item.choices):
            lines = " \\\n".join(line_typst(line) for line in tr(choice, lang).split("\n"))
            out.append(f"{escape_markup(LETTERS[i])}. {lines}" + " \\\n")
        for part in item.parts:
            col = column_label(entry, part)
            if answers is None:
                out.append(_typst_par(f"{label('answer', lang)} [{col}]: ______________________") + "#linebreak()\n"
                           + f"#text(size: 0.85em, fill: luma(90), {typst_string(answer_hint(part, lang))})\n#v(6pt)\n")
            else:
                got = answers["parts"].get(col, {})
                typed = got.get("typed") or label("blank", lang)
                out.append(_typst_par(f"{label('yours', lang)} [{col}]: {typed}  ({got.get('status', '')})")
                           + "#linebreak()\n")
                if "message" in got:  # an invalid format: what was expected
                    out.append(_typst_par(tr(Text(**got["message"]), lang)) + "#linebreak()\n")
            if key or answers is not None:
                math = typst_math(part.expected) if part.kind in ("number", "expression") else None
                if math is None:
                    out.append(_typst_par(f"{label('answer', lang)}: {expected_text(part)}") + "#linebreak()\n")
                else:
                    out.append(_typst_par(f"{label('answer', lang)}: ") + f"${math}$ "
                               + _typst_par(f"  ({expected_text(part)})") + "#linebreak()\n")
        if answers is not None:
            q = answers["questions"][item.question_id]
            out.append(_typst_par(f"{label('score', lang)}: {q['score']:g} / {q['points']:g}") + "\n")
            for fb in q.get("feedback", []):
                out.append(_typst_par(tr(Text(**fb), lang)) + "#linebreak()\n")
        if (key or answers is not None) and item.explanation is not None:
            out.append(f"#text(weight: \"bold\", {typst_string(label('solution', lang))})\n")
            out.append(_typst_raw(tr(item.explanation, lang)))
    return "".join(out)


def characters(texts: Iterable[str]) -> set[str]:
    """Every character of ``texts`` (for the font coverage check)."""
    out: set[str] = set()
    for t in texts:
        out.update(t)
    return out


def item_texts(item: Item, lang: str) -> list[str]:
    """Every text of ``item`` that its paper prints (the font must cover each character)."""
    texts = [tr(item.prompt, lang), tr(item.explanation, lang)] + [tr(c, lang) for c in item.choices]
    return texts + [answer_hint(part, lang) for part in item.parts]


# --------------------------------------------------------------------------- typst math

_GREEK = {"alpha", "beta", "gamma", "delta", "epsilon", "eta", "theta", "lambda", "mu", "pi", "rho", "sigma", "tau",
          "phi", "omega"}


def typst_math(x: Any) -> str | None:
    """A sympy number or expression as typst math (``8/105``, ``sqrt(2)/2``, ``2 N^2 d``); ``None``
    for anything this small printer does not know (the caller then prints plain text)."""
    import sympy

    try:
        e = sympy.sympify(x)
    except (sympy.SympifyError, TypeError):
        return None
    return _math(e)


def _math(e) -> str | None:
    import sympy

    if e.is_Integer:
        return str(e)
    if e.is_Rational:
        return f"{'-' if e < 0 else ''}{abs(e.p)}/{e.q}"
    if e.is_Float:
        return str(e)
    if e is sympy.pi:
        return "pi"
    if e is sympy.E:
        return "e"
    if e.is_Symbol:
        name = e.name
        base, _, sub = name.partition("_")
        base = base if len(base) == 1 or base in _GREEK else f'"{base}"'
        sub = sub if len(sub) <= 1 or sub in _GREEK else f'"{sub}"'
        return f"{base}_({sub})" if sub else base
    if isinstance(e, sympy.Add):
        terms = [_math(t) for t in sympy.Add.make_args(e)]
        if any(t is None for t in terms):
            return None
        out = terms[0]
        for t in terms[1:]:
            out += f" - {t[1:]}" if t.startswith("-") else f" + {t}"
        return out
    if isinstance(e, sympy.Mul):
        num, den = sympy.fraction(e)
        if den != 1:
            top, bottom = _math(num), _math(den)
            return None if top is None or bottom is None else f"({top})/({bottom})"
        coeff, rest = e.as_coeff_Mul()
        args = sympy.Mul.make_args(rest)
        factors = [_math(f) for f in args]
        if any(f is None for f in factors):
            return None
        # only a sum needs brackets as a factor; a power of a sum has its own
        body = " ".join(f"({f})" if isinstance(a, sympy.Add) else f for a, f in zip(args, factors))
        if coeff == 1:
            return body
        if coeff == -1:
            return f"-{body}"
        return f"{_math(coeff)} {body}"
    if isinstance(e, sympy.Pow):
        base, exp = e.as_base_exp()
        if exp.is_negative:
            inner = _math(base ** -exp)
            return None if inner is None else f"1/({inner})"
        if exp == sympy.Rational(1, 2):
            inner = _math(base)
            return None if inner is None else f"sqrt({inner})"
        b, x = _math(base), _math(exp)
        if b is None or x is None:
            return None
        b = b if base.is_Symbol or (base.is_Integer and base >= 0) else f"({b})"
        return f"{b}^({x})"
    if isinstance(e, (sympy.log, sympy.exp)):
        inner = _math(e.args[0])
        if inner is None:
            return None
        return f"ln({inner})" if isinstance(e, sympy.log) else f"e^({inner})"
    return None
