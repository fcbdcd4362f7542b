"""The command line: thin click commands over the library.

This is the one place where errors become messages and exit codes
(:class:`cvquiz.errors.ExitCode`); the options every command shares (``--lang``, ``--plain``,
the rich console) are in :mod:`cvquiz.cli.options`. Command modules import only click at the top;
anything heavier (rich, sympy, torch) is imported inside the command that needs it,
so ``cvquiz --help`` starts fast and never imports torch.
"""

from __future__ import annotations

import errno
import os
import sys

import click

from cvquiz import __version__
from cvquiz.errors import CvquizError, ExitCode


#: What an unexpected error says after its one line (the stack is behind ``--traceback``).
REPORT = ("this is a bug in cvquiz; please report it with the output of the same command run "
          "as `cvquiz --traceback ...`")


#: Write errors that mean "the output cannot be written" (EPIPE: the reader went away).
_OUTPUT_ERRNOS = {errno.EPIPE, errno.ENOSPC, errno.EIO, errno.EBADF, errno.EFBIG,
                  getattr(errno, "EDQUOT", errno.ENOSPC)}


def _check_stdout() -> None:
    """Raise EBADF when standard output is closed (``cvquiz ... >&-``): Python then has no
    ``sys.stdout`` and click would drop every line without a word."""
    if sys.stdout is None:
        raise OSError(errno.EBADF, "standard output is closed")


def _flush_stdout() -> None:
    """Write out what is buffered, so that a write error surfaces here and not at exit."""
    if sys.stdout is not None:
        sys.stdout.flush()


def _output_failed(exc: OSError) -> int:
    """A write to standard output failed: a broken pipe exits 0 silently (``cvquiz ... | head``);
    any other error says ``cannot write output`` and exits ``COULD_NOT_RUN``. Standard output then
    points at the null device, so that nothing fails again at exit."""
    try:
        null = os.open(os.devnull, os.O_WRONLY)
        os.dup2(null, sys.stdout.fileno())
        os.close(null)
    except (OSError, ValueError, AttributeError):
        pass
    if exc.errno == errno.EPIPE:
        return int(ExitCode.OK)
    try:
        click.echo(f"cvquiz: error: cannot write output: {exc.strerror or exc}", err=True)
    except OSError:
        pass
    return int(ExitCode.COULD_NOT_RUN)


class CvquizGroup(click.Group):
    """A group whose commands' errors become one message and a named exit code.

    A :class:`CvquizError` prints its message; Ctrl-C exits ``INTERRUPTED`` (130); any other
    exception prints one line with a pointer to report it (its stack only under the hidden
    root option ``--traceback``) and exits ``UNEXPECTED``. Output that cannot be written is
    one rule for every command: a broken pipe exits 0 silently, any other write error (a full
    disk, a closed standard output) prints ``cvquiz: error: cannot write output: ...`` and exits
    ``COULD_NOT_RUN``.
    """

    def invoke(self, ctx: click.Context):
        try:
            _check_stdout()
            result = super().invoke(ctx)
            _flush_stdout()
            return result
        except CvquizError as exc:
            click.echo(f"cvquiz: error: {exc}", err=True)
            ctx.exit(int(exc.exit_code))
        except OSError as exc:
            if exc.errno not in _OUTPUT_ERRNOS:
                self._unexpected(ctx, exc)
            ctx.exit(_output_failed(exc))
        except KeyboardInterrupt:
            click.echo("\ncvquiz: interrupted", err=True)
            ctx.exit(int(ExitCode.INTERRUPTED))
        except (click.exceptions.Exit, click.exceptions.Abort, click.ClickException):
            raise
        except Exception as exc:
            self._unexpected(ctx, exc)

    @staticmethod
    def _unexpected(ctx: click.Context, exc: Exception):
        if (ctx.obj or {}).get("traceback"):
            raise exc
        summary = " ".join(str(exc).split())[:200]
        click.echo(f"cvquiz: unexpected error: {type(exc).__name__}"
                   f"{': ' + summary if summary else ''} ({REPORT})", err=True)
        ctx.exit(int(ExitCode.UNEXPECTED))


@click.group(cls=CvquizGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, "--version", prog_name="cvquiz")
@click.option(
    "--course",
    type=click.Path(file_okay=False),
    envvar="CVQUIZ_COURSE",
    help="Course directory (questions/ + reference/); default: the built-in course.",
)
@click.option("--traceback", "show_traceback", is_flag=True, hidden=True,
              help="Show the stack of an unexpected error (for a bug report).")
@click.pass_context
def main(ctx: click.Context, course: str | None, show_traceback: bool) -> None:
    """Practice, exams and code autograding for the computer-vision course.

    \b
    Example:
      cvquiz practice attention
    """
    obj = ctx.ensure_object(dict)  # a test may pass obj={"console": ...}
    obj.update(course=course, traceback=show_traceback)


def get_course(ctx: click.Context):
    """The course selected by ``--course`` / ``CVQUIZ_COURSE``, or the built-in one."""
    from cvquiz.course import find_course

    return find_course((ctx.find_root().obj or {}).get("course"))


def run() -> None:
    """Console-script entry point."""
    try:
        _check_stdout()
        main(prog_name="cvquiz")
    except KeyboardInterrupt:  # before a command runs (while the group parses its arguments)
        click.echo("\ncvquiz: interrupted", err=True)
        sys.exit(int(ExitCode.INTERRUPTED))
    except OSError as exc:  # --help, --version and usage errors write outside a command
        if exc.errno not in _OUTPUT_ERRNOS:
            raise
        sys.exit(_output_failed(exc))
    except SystemExit:
        from click.utils import PacifyFlushWrapper

        if isinstance(sys.stdout, PacifyFlushWrapper):  # click met a broken pipe outside a command
            sys.exit(int(ExitCode.OK))
        try:
            _flush_stdout()
        except OSError as exc:
            if exc.errno in _OUTPUT_ERRNOS:
                sys.exit(_output_failed(exc))
            raise
        raise


# Register the commands (each module imports only click at its top).
from cvquiz.cli import commands as _commands  # noqa: E402

_commands.register(main)
