"""`cvquiz assignment`, `check` and `grade`: code autograding.

Thin commands over :mod:`cvquiz.grade` (the library) and :mod:`cvquiz.report` (the writers).
Student code runs only in isolated workers, never in this process.
"""

from __future__ import annotations

import click

from cvquiz.cli.options import console as _shared_console
from cvquiz.cli.options import lang_option


def _load(ctx: click.Context, name: str):
    from cvquiz.cli import get_course
    from cvquiz.grade.assignment import load_assignment

    course = get_course(ctx)
    return course, load_assignment(course, name)


def _policy(hidden: bool, unsafe: bool) -> str:
    if unsafe:
        return "unsafe"
    return "required" if hidden else "available"


_UNSAFE = click.option("--unsafe-no-sandbox", "unsafe", is_flag=True,
                       help="Run without the isolation layers this machine lacks (only a separate process "
                            "with resource limits). Never for code you do not trust.")


# --- assignment ------------------------------------------------------------------------------------------

@click.group()
def assignment() -> None:
    """List code assignments, write their starter files, and check them against the reference.

    \b
    Example:
      cvquiz assignment init detection --out hw1/
    """


@assignment.command("list")
@lang_option
@click.pass_context
def assignment_list(ctx: click.Context, lang: str) -> None:
    """List the course's code assignments, their functions and points.

    \b
    Example:
      cvquiz assignment list
    """
    from cvquiz.cli import get_course
    from cvquiz.grade.assignment import assignment_names, load_assignment

    course = get_course(ctx)
    names = assignment_names(course)
    if not names:
        click.echo("no assignments in " + str(course.assignments_dir))
        return
    for name in names:
        a = load_assignment(course, name)
        click.echo(f"{name}: {a.title.get(lang)} ({len(a.functions)} functions, {a.max_points:g} points, "
                   f"{a.library}; files: {', '.join(a.files)})")
        for f in a.functions:
            hidden = sum(not t.visible for t in f.tests)
            click.echo(f"  {f.signature}  {f.points:g} pt, {len(f.tests)} tests ({hidden} hidden)")


@assignment.command("init")
@click.argument("name")
@click.option("--out", "out", type=click.Path(file_okay=False), default=None,
              help="Folder for the starter files (default: ./NAME).")
@click.option("--force", is_flag=True, help="Overwrite starter files that already exist.")
@click.pass_context
def assignment_init(ctx: click.Context, name: str, out: str | None, force: bool) -> None:
    """Write the starter files of assignment NAME: stubs with docstrings, and how to self-check.

    \b
    Example:
      cvquiz assignment init detection --out hw1/
    """
    from pathlib import Path

    from cvquiz.grade.starter import write_starter

    course, a = _load(ctx, name)
    folder = Path(out) if out else Path(name)
    for path in write_starter(a, folder, force=force):
        click.echo(f"wrote {path}")
    click.echo(f"check your work with: cvquiz check {folder} --assignment {name}")


@assignment.command("check")
@click.argument("name", required=False)
@lang_option
@click.pass_context
def assignment_check(ctx: click.Context, name: str | None, lang: str) -> None:
    """Grade the reference implementation as a submission: it must get full marks.

    Runs every test, hidden ones included, in the isolated worker. Without NAME, every
    assignment of the course. Exit status 1 when one loses a point.

    \b
    Example:
      cvquiz assignment check detection
    """
    import tempfile
    from pathlib import Path

    from cvquiz.cli import get_course
    from cvquiz.errors import ExitCode
    from cvquiz.grade.assignment import assignment_names, load_assignment
    from cvquiz.grade.classroom import check_submission
    from cvquiz.grade.starter import write_reference_submission
    from cvquiz.report.terminal import submission_report

    course = get_course(ctx)
    names = [name] if name else assignment_names(course)
    failed = []
    console = _shared_console(ctx)
    for n in names:
        a = load_assignment(course, n)
        with tempfile.TemporaryDirectory(prefix="cvquiz-reference-") as tmp:
            write_reference_submission(course, a, Path(tmp))
            result = check_submission(course, a, Path(tmp), hidden=True, policy="available", student="reference")
        if result.passed and result.total == result.max_score:
            click.echo(f"{n}: the reference gets full marks ({result.total:g}/{result.max_score:g}, "
                       f"{len(result.tests)} tests)")
        else:
            failed.append(n)
            submission_report(console, result, lang)
    if failed:
        click.echo(f"the reference loses points in: {', '.join(failed)}", err=True)
        ctx.exit(int(ExitCode.CHECKS_FAILED))


# --- check ------------------------------------------------------------------------------------------------

@click.command()
@click.argument("path", required=False, default=".", type=click.Path())
@click.option("--assignment", "-a", "name", required=True, help="The assignment (see `cvquiz assignment list`).")
@click.option("--all", "hidden", is_flag=True, help="Also run the hidden tests (reported as passed/failed only).")
@click.option("--gradescope", "gradescope_path", type=click.Path(dir_okay=False),
              help="Write Gradescope's results.json here.")
@click.option("--junit", "junit_path", type=click.Path(dir_okay=False), help="Write JUnit XML here.")
@click.option("--json", "as_json", is_flag=True, help="Print the results as JSON instead of a table.")
@_UNSAFE
@lang_option
@click.pass_context
def check(ctx: click.Context, path: str, name: str, hidden: bool, gradescope_path: str | None,
          junit_path: str | None, as_json: bool, unsafe: bool, lang: str) -> None:
    """Check one submission: the visible tests, a table, exit status 0 only when all pass.

    PATH is the folder holding your files (default: the current folder), or a single .py file.
    Your code runs in an isolated process; on a laptop without every isolation layer the
    visible tests still run and the layers in force are listed. --all (CI, Gradescope) also
    runs the hidden tests and refuses to run without the full sandbox unless --unsafe-no-sandbox.

    \b
    Example:
      cvquiz check hw1/ --assignment detection
      cvquiz check . -a detection --all --gradescope results.json --junit junit.xml
    """
    import json
    from pathlib import Path

    from cvquiz.errors import ExitCode
    from cvquiz.grade.classroom import check_submission, student_view
    from cvquiz.report import gradescope, junit
    from cvquiz.report.files import write_atomic
    from cvquiz.report.terminal import submission_report

    course, a = _load(ctx, name)
    result = check_submission(course, a, Path(path), hidden=hidden, policy=_policy(hidden, unsafe))
    if gradescope_path:
        write_atomic(Path(gradescope_path), gradescope.dumps(result, lang))
    if junit_path:
        write_atomic(Path(junit_path), junit.junit_xml([result], lang))
    if as_json:
        click.echo(json.dumps(student_view(result), ensure_ascii=False, indent=2))
    else:
        console = _shared_console(ctx)
        submission_report(console, result, lang)
        off = [k for k, on in result.layers if not on]
        if off and not hidden:
            click.echo(("isolation layers not available here: " if lang != "zh" else "此机器上不可用的隔离层：")
                       + ", ".join(off))
    if not result.passed:
        ctx.exit(int(ExitCode.CHECKS_FAILED))


# --- grade ------------------------------------------------------------------------------------------------

def _check_sandbox(ctx: click.Context, _param: click.Parameter, value: bool) -> None:
    """``--check-sandbox``: probe this machine, print each isolation layer on/off, and stop."""
    if not value or ctx.resilient_parsing:
        return
    from cvquiz.errors import ExitCode
    from cvquiz.grade import sandbox

    layers = sandbox.probe()
    click.echo(sandbox.describe(layers))
    gone = sandbox.missing(layers)
    if gone:
        click.echo(f"missing required layer(s): {', '.join(gone)}; `cvquiz grade` and `cvquiz check --all` "
                   "refuse to run here without --unsafe-no-sandbox")
        ctx.exit(int(ExitCode.COULD_NOT_RUN))
    click.echo("every required layer is on: `cvquiz grade` and `cvquiz check --all` will run here")
    ctx.exit(0)


@click.command()
@click.argument("submissions", type=click.Path(file_okay=False))
@click.option("--assignment", "-a", "name", required=True, help="The assignment (see `cvquiz assignment list`).")
@click.option("--out", "out", required=True, type=click.Path(file_okay=False),
              help="Folder for grades.sqlite, grades.csv, grades_long.csv, feedback/ and gradescope/.")
@click.option("--workers", type=click.IntRange(1, 64), default=1, show_default=True,
              help="Submissions graded at the same time.")
@click.option("--roster", type=click.Path(dir_okay=False),
              help="CSV with a student_id column: students without a submission get a 'missing' row.")
@click.option("--regrade", is_flag=True,
              help="Grade again what was graded with other assignment files, reference or cvquiz version, "
                   "and print each student's before/after.")
@_UNSAFE
@click.option("--check-sandbox", is_flag=True, expose_value=False, is_eager=True, callback=_check_sandbox,
              help="Print each isolation layer as on/off on this machine (required ones marked) and exit: "
                   "0 when every required layer is on, 3 when one is missing.")
@lang_option
@click.pass_context
def grade(ctx: click.Context, submissions: str, name: str, out: str, workers: int, roster: str | None,
          regrade: bool, unsafe: bool, lang: str) -> None:
    """Grade a class: every folder, .py or .zip in SUBMISSIONS (its name is the student id).

    Visible and hidden tests run for each student in an isolated worker; results are stored in
    OUT/grades.sqlite as they come, so an interrupted run resumes where it stopped. Refuses to run
    without the full sandbox unless --unsafe-no-sandbox.

    \b
    Example:
      cvquiz grade submissions/ --assignment detection --out grades/ --workers 2 --roster roster.csv
    """
    from pathlib import Path

    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    from cvquiz.grade.classroom import grade_class
    from cvquiz.report.terminal import class_summary

    course, a = _load(ctx, name)
    console = _shared_console(ctx)
    progress = Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                        console=console, transient=True)
    task = None

    def on_start(n: int) -> None:
        nonlocal task
        task = progress.add_task(f"grading {a.name}", total=n)

    def on_result(result) -> None:
        if task is not None:
            progress.update(task, advance=1, description=f"graded {result.student}")

    with progress:
        run = grade_class(course, a, Path(submissions), Path(out), workers=workers,
                          roster=Path(roster) if roster else None, regrade=regrade,
                          policy=_policy(True, unsafe), on_start=on_start, on_result=on_result, lang=lang)
    for student, before, after in run.changes:
        old = f"{before.total:g}" if before else "-"
        if before is None or before.total != after.total or before.by_question() != after.by_question():
            diffs = [f"{q} {before.by_question().get(q, 0):g} -> {s:g}" for q, s in after.by_question().items()
                     if before and before.by_question().get(q, 0) != s]
            click.echo(f"regraded {student}: {old} -> {after.total:g}/{after.max_score:g}"
                       + (f" ({'; '.join(diffs)})" if diffs else ""))
        else:
            click.echo(f"regraded {student}: unchanged ({after.total:g}/{after.max_score:g})")
    click.echo(f"graded {len(run.graded)}, already graded {len(run.skipped)}; wrote {Path(out) / 'grades.csv'}")
    class_summary(console, run.results, lang)


COMMANDS = [assignment, grade, check]
