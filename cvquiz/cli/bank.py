"""`cvquiz bank`: check, inspect and document question banks."""

from __future__ import annotations

import click

from cvquiz.cli._notbuilt import not_built


@click.group()
def bank() -> None:
    """Check and inspect question banks.

    \b
    Example:
      cvquiz bank check
    """


@bank.command()
@click.argument("paths", nargs=-1, type=click.Path())
def check(paths: tuple[str, ...]) -> None:
    """Check banks strictly and report every problem as file:line.

    \b
    Example:
      cvquiz bank check questions/detection.yaml
    """
    not_built("bank check")


COMMANDS = [bank]
