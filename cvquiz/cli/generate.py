"""`cvquiz generate`: randomized numeric problems."""

from __future__ import annotations

import click

from cvquiz.cli._notbuilt import not_built


@click.command()
@click.argument("kind", required=False)
def generate(kind: str | None) -> None:
    """Make seeded variants of a numeric problem (IoU, AP, FID, ...).

    \b
    Example:
      cvquiz generate iou --seed 1a2b --key
    """
    not_built("generate")


COMMANDS = [generate]
