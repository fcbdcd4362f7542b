"""`cvquiz practice` and `cvquiz stats`."""

from __future__ import annotations

import click

from cvquiz.cli._notbuilt import not_built


@click.command(context_settings={"ignore_unknown_options": True})
@click.argument("topic", nargs=-1)
def practice(topic: tuple[str, ...]) -> None:
    """Drill questions in the terminal, with spaced repetition.

    TOPIC is a chapter (attention), a concept id (detection.nms) or an alias (iou).

    \b
    Example:
      cvquiz practice attention
    """
    not_built("practice")


@click.command()
def stats() -> None:
    """Show mastery per topic and concept, what is due, and recent accuracy.

    \b
    Example:
      cvquiz stats
    """
    not_built("stats")


COMMANDS = [practice, stats]
