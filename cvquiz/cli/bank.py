"""`cvquiz bank`: check, inspect and document question banks."""

from __future__ import annotations

import click

from cvquiz.cli.options import console, lang_option, plain_option, seed_value

#: Three-letter column headings, so that the coverage table fits 80 columns.
KIND_HEADINGS = {"choice": "cho", "multi": "mul", "truefalse": "t/f", "numeric": "num", "expression": "exp",
                 "shape": "shp", "order": "ord", "generated": "gen", "code": "cod"}
LABELS = {
    "answer": ("Answer", "答案"), "hint": ("Hint", "提示"), "explanation": ("Explanation", "解析"),
    "why_not": ("Why not", "为何不选"), "mistake": ("Common mistake", "常见错误"),
    "accepted": ("Accepted", "判定标准"), "solution": ("Worked solution", "解答"),
    "symbols": ("Symbols", "可用符号"), "assignment": ("Code assignment", "编程作业"),
    "true": ("true", "对"), "false": ("false", "错"), "set": ("in any order", "顺序不限"),
}


def _label(name: str, lang: str) -> str:
    en, zh = LABELS[name]
    return zh if lang == "zh" else en


def _colon(lang: str) -> str:
    return "：" if lang == "zh" else ": "


@click.group()
def bank() -> None:
    """Check and inspect question banks.

    \b
    Example:
      cvquiz bank check
    """


@bank.command()
@click.argument("paths", nargs=-1, type=click.Path())
@click.pass_context
def check(ctx: click.Context, paths: tuple[str, ...]) -> None:
    """Check banks strictly and report every problem as file:line.

    PATHS are bank files or folders of them (default: every bank of the course); ids must be
    unique across the files checked. Besides reading each question strictly, every question must
    accept its own answer and reject its listed mistakes, and every generated question must make
    a variant with its options. Exit status 1 when there are problems. A numeric, expression,
    shape, order or generated question without a hint is listed as a warning
    (file:line: hint: ...), which does not fail the check.

    \b
    Example:
      cvquiz bank check questions/detection.yaml
    """
    from pathlib import Path

    from cvquiz.bank.load import bank_files, load_banks, shown_path
    from cvquiz.bank.selftest import missing_hints, self_test
    from cvquiz.bank.syllabus import load_syllabus
    from cvquiz.cli import get_course
    from cvquiz.errors import BankError, ExitCode

    course = get_course(ctx)
    problems: list[str] = []
    files: list[Path] = []
    assignments: list[Path] = []  # assignment.yaml files, checked statically (no torch)
    if not paths:
        files = [shown_path(p) for p in bank_files(course)]
        assignments = [shown_path(p) for p in sorted(course.assignments_dir.glob("*/assignment.yaml"))]
    for raw in paths:
        path = Path(raw)
        if path.is_dir():
            found = sorted(p for p in path.glob("*.yaml") if p.name not in ("syllabus.yaml", "assignment.yaml"))
            inside = sorted(path.glob("assignment.yaml")) + sorted(path.glob("*/assignment.yaml"))
            if not found and not inside and path.name != "assignments":
                problems.append(f"{path}: no bank files (*.yaml) in this folder")
            files.extend(found)
            assignments.extend(inside)
        elif path.name == "syllabus.yaml" and path.is_file():
            continue  # the course's syllabus is always checked
        elif path.name == "assignment.yaml" and path.is_file():
            assignments.append(path)
        elif not path.exists():
            problems.append(f"{path}: file not found")
        else:
            files.append(path)
    questions = []
    warnings: list[str] = []
    try:
        syllabus = load_syllabus(course.syllabus_path)
    except BankError as exc:
        problems.extend(exc.problems)
    else:
        try:
            questions = load_banks(files, syllabus)
        except BankError as exc:
            problems.extend(exc.problems)
        else:
            problems.extend(self_test(questions))
            warnings = missing_hints(questions)
        from cvquiz.grade.assignment import check_assignments

        problems.extend(check_assignments(course, syllabus, assignments))
    for line in problems + warnings:
        click.echo(line)
    n_files = len(files) + 1
    summary = f"checked {n_files} file{'s' * (n_files != 1)} (syllabus and {len(files)} bank{'s' * (len(files) != 1)})"
    if assignments:
        n_files += len(assignments)
        summary = (f"checked {n_files} files (syllabus, {len(files)} bank{'s' * (len(files) != 1)} and "
                   f"{len(assignments)} assignment{'s' * (len(assignments) != 1)})")
    if problems:
        click.echo(f"{summary}: {len(problems)} problem{'s' * (len(problems) != 1)}")
        ctx.exit(int(ExitCode.CHECKS_FAILED))
    counts: dict[str, int] = {}
    for q in questions:
        counts[q.kind] = counts.get(q.kind, 0) + 1
    by_kind = ", ".join(f"{k} {n}" for k, n in counts.items())
    warned = f", {len(warnings)} warning{'s' * (len(warnings) != 1)}" if warnings else ""
    click.echo(f"{summary}: {len(questions)} questions ({by_kind or 'none'}), no problems{warned}")


@bank.command()
@click.option("--json", "as_json", is_flag=True, help="Print JSON (one object per concept) instead of a table.")
@plain_option
@click.pass_context
def coverage(ctx: click.Context, as_json: bool, plain: bool) -> None:
    """Show questions per concept and kind, concepts with gaps first.

    A gap: fewer than 3 questions, no conceptual question, or (for a concept marked num)
    no numeric or generated question.

    \b
    Example:
      cvquiz bank coverage --json
    """
    import json

    from cvquiz.bank.coverage import coverage as compute
    from cvquiz.bank.load import load_course_bank
    from cvquiz.cli import get_course

    bank_ = load_course_bank(get_course(ctx))
    rows = compute(bank_)
    if as_json:
        click.echo(json.dumps([r.to_json() for r in rows], ensure_ascii=False, indent=2))
        return
    from rich import box
    from rich.table import Table

    table = Table(title="questions per concept and kind (gaps first)", title_justify="left",
                  box=box.ASCII if plain else box.SIMPLE_HEAD, padding=0, collapse_padding=True, show_edge=False)
    table.add_column("concept", no_wrap=True)
    for heading in KIND_HEADINGS.values():
        table.add_column(heading, justify="right", no_wrap=True)
    table.add_column("all", justify="right", no_wrap=True)
    for r in rows:
        table.add_row(r.concept.id, *[str(r.counts[k] or "") for k in KIND_HEADINGS], str(r.total),
                      style="bold red" if r.gaps else None)
    out = console(ctx)
    out.print(table)
    out.print(" ".join(f"{h}={k}" for k, h in KIND_HEADINGS.items()), markup=False, style="dim")
    with_gaps = [r for r in rows if r.gaps]
    for r in with_gaps:
        out.print(f"gap: {r.concept.id}: {'; '.join(r.gaps)}", markup=False)
    out.print(f"{len(rows)} concepts, {len(bank_.questions)} questions, "
                  f"{len(with_gaps)} concept{'s' * (len(with_gaps) != 1)} with gaps", markup=False)


@bank.command()
@click.argument("question_id")
@lang_option
@click.option("--seed", default="0", show_default=True, help="Seed of the variant shown for a generated question.")
@click.pass_context
def show(ctx: click.Context, question_id: str, lang: str, seed: str) -> None:
    """Show a question as a student sees it, then its answer and explanation.

    \b
    Example:
      cvquiz bank show detection.nms-strict-threshold --lang zh
    """
    from cvquiz.bank.load import load_course_bank
    from cvquiz.cli import get_course

    q = load_course_bank(get_course(ctx)).get(question_id)
    out = console(ctx)
    for block in render_question(q, lang, seed_value(seed)):
        out.print(block, markup=False)


def render_question(q, lang: str, seed: str = "0") -> list[str]:
    """A question as plain text blocks: header, prompt, choices, hint, answer, explanation."""
    from cvquiz.bank import schema as S

    out = [f"{q.id} · {q.kind} · difficulty {q.difficulty} · {', '.join(q.concepts)}  ({q.where})"]
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
    from cvquiz.answers.check import format_answer
    from cvquiz.problems.registry import make

    v = make(q.generator, seed, question=q.id, **q.options)
    out.append(v.prompt.get(lang))
    out.append(f"{_label('hint', lang)}{_colon(lang)}{v.hint.get(lang)}")
    if v.answer_kind == "mapping":
        shown = "; ".join(f"{name} = {format_answer((v.parts_kind or {})[name], part)}"
                          for name, part in v.answer.items())
    else:
        shown = format_answer(v.answer_kind, v.answer)
    lines = [f"{_label('answer', lang)}{_colon(lang)}{shown}  ({q.generator}, seed {v.seed})"]
    if v.tolerance is not None:
        lines[0] += f"  ({_label('accepted', lang)}{_colon(lang)}{v.tolerance.describe().get(lang)})"
    lines.append(f"{_label('solution', lang)}{_colon(lang)}{v.solution.get(lang)}")
    return lines


@bank.command()
@click.option("--assignment", "of_assignment", is_flag=True,
              help="The schema of an assignment.yaml instead of a bank file.")
def schema(of_assignment: bool) -> None:
    """Print the JSON Schema of a bank file (for editors), made from the question models.

    \b
    Example:
      cvquiz bank schema > bank.schema.json
      cvquiz bank schema --assignment > assignment.schema.json
    """
    import json

    if of_assignment:
        from cvquiz.grade.assignment import json_schema
    else:
        from cvquiz.bank.schema import json_schema

    click.echo(json.dumps(json_schema(), ensure_ascii=False, indent=2))


COMMANDS = [bank]
