"""`cvquiz ref`: the course's reference implementations."""

from __future__ import annotations

import click

from cvquiz.cli._notbuilt import not_built


@click.group()
def ref() -> None:
    """Browse the reference implementations.

    \b
    Example:
      cvquiz ref list
    """


@ref.command("list")
def list_() -> None:
    """List every reference function with its topic and concept id.

    \b
    Example:
      cvquiz ref list
    """
    not_built("ref list")


COMMANDS = [ref]
