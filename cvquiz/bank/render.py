"""A question as text blocks, as a student sees it and then with its answer (``cvquiz bank show``).

The library's counterpart of :mod:`cvquiz.problems.export` for bank questions: the prompt,
choices and hint, a rule, then the answer, the feedback for wrong choices and listed mistakes,
and the explanation; a generated question shows the variant of the given seed with its worked
solution. Every label is a bilingual :class:`~cvquiz.text.Text`.
"""

from __future__ import annotations

from cvquiz.text import Text

LABELS = {
    "answer": Text("Answer", "答案"), "hint": Text("Hint", "提示"), "explanation": Text("Explanation", "解析"),
    "why_not": Text("Why not", "为何不选"), "mistake": Text("Common mistake", "常见错误"),
    "accepted": Text("Accepted", "判定标准"), "solution": Text("Worked solution", "解答"),
    "symbols": Text("Symbols", "可用符号"), "assignment": Text("Code assignment", "编程作业"),
    "true": Text("true", "对"), "false": Text("false", "错"), "set": Text("in any order", "顺序不限"),
    "follows": Text("Continues", "接续"),
}
COLON = Text(": ", "：")


def _label(name: str, lang: str) -> str:
    return LABELS[name].get(lang)


def _colon(lang: str) -> str:
    return COLON.get(lang)


def render_question(q, lang: str, seed: str = "0") -> list[str]:
    """``q`` (a :class:`~cvquiz.bank.schema.Question`) as plain text blocks in ``lang``.

    The blocks: header (with the lead a follower continues), prompt, choices, hint, a rule, answer,
    explanation. ``seed`` (hex) picks the variant of a generated question; a bad one is a
    ``ProblemError`` naming ``seed``.
    """
    from cvquiz.bank import schema as S

    out = [f"{q.id} · {q.kind} · difficulty {q.difficulty} · {', '.join(q.concepts)}  ({q.where})"]
    if q.follows is not None:  # asked after its lead, whose setting it reuses
        out[0] += f"\n{_label('follows', lang)}{_colon(lang)}{q.follows}"
    if q.prompt is not None:
        out.append(q.prompt.get(lang))
    answer_lines: list[str] = []
    if isinstance(q, (S.ChoiceQuestion, S.MultiQuestion)):
        out.append("\n".join(f"  {chr(65 + i)}. {c.text.get(lang)}" for i, c in enumerate(q.choices)))
        right = [i for i, c in enumerate(q.choices) if c.correct]
        answer_lines.append(f"{_label('answer', lang)}{_colon(lang)}" + "; ".join(
            f"{chr(65 + i)}. {q.choices[i].text.get(lang)}" for i in right))
        for i, c in enumerate(q.choices):
            if c.feedback is not None:
                tag = _label("why_not", lang) + f" {chr(65 + i)}" if not c.correct else chr(65 + i)
                answer_lines.append(f"  {tag}{_colon(lang)}{c.feedback.get(lang)}")
    elif isinstance(q, S.TrueFalseQuestion):
        answer_lines.append(f"{_label('answer', lang)}{_colon(lang)}{_label('true' if q.truth else 'false', lang)}")
        answer_lines.append(f"  {_label('why_not', lang)} {_label('false' if q.truth else 'true', lang)}"
                            f"{_colon(lang)}{q.feedback.get(lang)}")
    elif isinstance(q, S.GeneratedQuestion):
        answer_lines.extend(_render_variant(q, lang, seed, out))
    elif isinstance(q, S.CodeQuestion):
        answer_lines.append(f"{_label('assignment', lang)}{_colon(lang)}assignments/{q.assignment}/")
    else:
        from cvquiz.answers.check import format_answer

        shown = q.answer_text if isinstance(q, S.ExpressionQuestion) else format_answer(q.answer_kind, q.answer)
        line = f"{_label('answer', lang)}{_colon(lang)}{shown}"
        if isinstance(q, S.NumericQuestion):
            line += f"  ({_label('accepted', lang)}{_colon(lang)}{q.tolerance.describe().get(lang)})"
        if q.answer_kind == "set":
            line += f"  ({_label('set', lang)})"
        answer_lines.append(line)
        if isinstance(q, S.ExpressionQuestion):
            answer_lines.append(f"  {_label('symbols', lang)}{_colon(lang)}{', '.join(q.symbols)}")
        for m in q.mistakes:
            wrong = format_answer(q.answer_kind, m.answer)
            answer_lines.append(f"  {_label('mistake', lang)} {wrong}{_colon(lang)}{m.feedback.get(lang)}")
    if q.hint is not None:
        out.append(f"{_label('hint', lang)}{_colon(lang)}{q.hint.get(lang)}")
    out.append("─" * 40)
    out.append("\n".join(answer_lines))
    if q.explanation is not None:
        out.append(f"{_label('explanation', lang)}{_colon(lang)}{q.explanation.get(lang)}")
    return out


def _render_variant(q, lang: str, seed: str, out: list[str]) -> list[str]:
    from cvquiz.problems.export import rule, shown_answer
    from cvquiz.problems.registry import make

    v = make(q.generator, seed, question=q.id, **q.options)
    out.append(v.prompt.get(lang))
    out.append(f"{_label('hint', lang)}{_colon(lang)}{v.hint.get(lang)}")
    lines = [f"{_label('answer', lang)}{_colon(lang)}{shown_answer(v)}  ({q.generator}, seed {v.seed})"]
    if v.tolerance is not None:
        lines[0] += f"  ({_label('accepted', lang)}{_colon(lang)}{rule(v).get(lang)})"
    lines.append(f"{_label('solution', lang)}{_colon(lang)}{v.solution.get(lang)}")
    return lines
