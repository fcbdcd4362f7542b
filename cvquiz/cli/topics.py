"""`cvquiz topics`: the course's topics and concepts."""

from __future__ import annotations

import click


@click.command()
@click.option("--lang", type=click.Choice(["en", "zh"]), default="en", show_default=True)
@click.pass_context
def topics(ctx: click.Context, lang: str) -> None:
    """List the course's topics and their concept ids.

    \b
    Example:
      cvquiz topics --lang zh
    """
    from rich.console import Console
    from rich.table import Table

    from cvquiz.bank.syllabus import load_syllabus
    from cvquiz.cli import get_course

    course = get_course(ctx)
    syllabus = load_syllabus(course.syllabus_path)
    console = Console()
    for topic in syllabus.topics:
        table = Table(title=f"{topic.id} — {topic.title.get(lang)}", title_justify="left", expand=False)
        table.add_column("concept")
        table.add_column("title")
        table.add_column("needs")
        for c in topic.concepts:
            table.add_row(c.id, c.title.get(lang) if c.title else "", " ".join(c.needs))
        console.print(table)


COMMANDS = [topics]
