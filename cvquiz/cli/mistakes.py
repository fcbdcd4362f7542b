"""`cvquiz mistakes`: the mistake notebook (错题本)."""

from __future__ import annotations

import click

from cvquiz.cli.options import lang_option


@click.command()
@click.argument("topic", nargs=-1)
@lang_option
@click.option("--all", "everything", is_flag=True,
              help="Also list the questions answered wrong once and right since.")
@click.option("--format", "fmt", type=click.Choice(["text", "md"]), default="text", show_default=True,
              help="text for the terminal, md for a Markdown file to print or keep.")
@click.option("--db", type=click.Path(dir_okay=False), default=None,
              help="Progress database (default: in your user data directory; or $CVQUIZ_DB).")
@click.pass_context
def mistakes(ctx, topic, lang, everything, fmt, db) -> None:
    """List each question whose last answer was wrong (错题本), by topic.

    For each: the question id (for `cvquiz bank show`), your answer, the right answer
    (of the numbers you were given) and the misconception it shows. `cvquiz practice
    --mistakes` drills exactly this list. TOPIC narrows it like `practice` does.

    \b
    Example:
      cvquiz mistakes --format md > mistakes.md
    """
    from cvquiz.bank.load import load_course_bank
    from cvquiz.cli import get_course
    from cvquiz.practice.items import practised
    from cvquiz.practice.notebook import notebook, render_markdown, render_text
    from cvquiz.practice.store import Store

    questions = practised(load_course_bank(get_course(ctx)).select(topic))
    with Store(db, readonly=True) as store:  # reading the notebook never writes
        entries = notebook(store, questions, everything=everything)
    click.echo(render_markdown(entries, lang) if fmt == "md" else render_text(entries, lang))


COMMANDS = [mistakes]
