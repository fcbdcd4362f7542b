"""Registers every command module with the main group."""

from __future__ import annotations

import click


def register(group: click.Group) -> None:
    from cvquiz.cli import bank, exam, generate, grade, practice, ref, topics

    for module in (practice, topics, bank, generate, grade, exam, ref):
        for command in module.COMMANDS:
            group.add_command(command)
