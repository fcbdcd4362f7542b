"""`cvquiz bank`: check, inspect and document question banks."""

from __future__ import annotations

import click

from cvquiz.cli.options import console, lang_option, plain_option, seed_value

#: Three-letter column headings, so that the coverage table fits 80 columns.
KIND_HEADINGS = {"choice": "cho", "multi": "mul", "truefalse": "t/f", "numeric": "num", "expression": "exp",
                 "shape": "shp", "order": "ord", "generated": "gen", "code": "cod"}


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
    from cvquiz.bank.load import load_banks
    from cvquiz.bank.selftest import missing_hints, self_test
    from cvquiz.bank.syllabus import load_syllabus
    from cvquiz.bank.targets import check_targets
    from cvquiz.cli import get_course
    from cvquiz.errors import BankError, ExitCode

    course = get_course(ctx)
    targets = check_targets(course, paths)
    files, assignments, problems = targets.banks, targets.assignments, list(targets.problems)
    questions = []
    warnings: list[str] = []
    try:
        syllabus = load_syllabus(course.syllabus_path)
    except BankError as exc:
        problems.extend(exc.problems)
    else:
        try:
            questions = load_banks(files, syllabus, syllabus_path=course.syllabus_path)
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
    from cvquiz.bank.render import render_question
    from cvquiz.cli import get_course

    import dataclasses
    from pathlib import Path

    course = get_course(ctx)
    q = load_course_bank(course).get(question_id)
    try:  # cite the bank as the course lays it out (questions/...), wherever it is installed
        q = dataclasses.replace(q, file=Path(q.file).resolve().relative_to(course.root.resolve()).as_posix())
    except (ValueError, OSError):
        pass
    out = console(ctx)
    for block in render_question(q, lang, seed_value(seed)):
        out.print(block, markup=False)


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
