"""`cvquiz exam`, `assignment`, `grade` and `check`: papers and code autograding."""

from __future__ import annotations

import click

from cvquiz.cli._notbuilt import not_built


@click.command(context_settings={"ignore_unknown_options": True, "allow_extra_args": True})
def exam() -> None:
    """Print per-student exam papers with answer keys, and mark them.

    \b
    Example:
      cvquiz exam make --students roster.csv --secret-file exam.key
    """
    not_built("exam")


@click.command(context_settings={"ignore_unknown_options": True, "allow_extra_args": True})
def assignment() -> None:
    """List code assignments and write their starter files.

    \b
    Example:
      cvquiz assignment start nms
    """
    not_built("assignment")


@click.command(context_settings={"ignore_unknown_options": True, "allow_extra_args": True})
def grade() -> None:
    """Grade a folder of student submissions against the reference.

    \b
    Example:
      cvquiz grade nms submissions/ --csv grades.csv
    """
    not_built("grade")


@click.command(context_settings={"ignore_unknown_options": True, "allow_extra_args": True})
def check() -> None:
    """Check one submission (for CI): exit code, results.json, JUnit XML.

    \b
    Example:
      cvquiz check nms solution.py --junit junit.xml
    """
    not_built("check")


COMMANDS = [exam, assignment, grade, check]
