"""The command line: thin click commands over the library.

This is the one place where errors become messages and exit codes
(:class:`cvquiz.errors.ExitCode`). Command modules import only click at the top;
anything heavier (rich, sympy, torch) is imported inside the command that needs it,
so ``cvquiz --help`` starts fast and never imports torch.
"""

from __future__ import annotations

import sys

import click

from cvquiz import __version__
from cvquiz.errors import CvquizError, ExitCode


class CvquizGroup(click.Group):
    """A group whose commands' :class:`CvquizError` become one message and an exit code."""

    def invoke(self, ctx: click.Context):
        try:
            return super().invoke(ctx)
        except CvquizError as exc:
            click.echo(f"cvquiz: error: {exc}", err=True)
            ctx.exit(int(exc.exit_code))
        except BrokenPipeError:  # `cvquiz ... | head`
            sys.stderr.close()
            ctx.exit(int(ExitCode.OK))


@click.group(cls=CvquizGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, "--version", prog_name="cvquiz")
@click.option(
    "--course",
    type=click.Path(file_okay=False),
    envvar="CVQUIZ_COURSE",
    help="Course directory (questions/ + reference/); default: the built-in course.",
)
@click.pass_context
def main(ctx: click.Context, course: str | None) -> None:
    """Practice, exams and code autograding for the computer-vision course.

    \b
    Example:
      cvquiz practice attention
    """
    ctx.obj = {"course": course}


def get_course(ctx: click.Context):
    """The course selected by ``--course`` / ``CVQUIZ_COURSE``, or the built-in one."""
    from cvquiz.course import find_course

    return find_course((ctx.find_root().obj or {}).get("course"))


def run() -> None:
    """Console-script entry point."""
    try:
        main(prog_name="cvquiz")
    except KeyboardInterrupt:
        click.echo("\ninterrupted", err=True)
        sys.exit(130)


# Register the commands (each module imports only click at its top).
from cvquiz.cli import commands as _commands  # noqa: E402

_commands.register(main)
