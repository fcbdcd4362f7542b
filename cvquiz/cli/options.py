"""Options and I/O every command shares: ``--lang``, ``--plain``, ``--seed`` and the console.

One convention for all commands (the grader's and the exam's included): declare an option with
the decorator here instead of a local ``click.option``, and print rich output through
:func:`console` rather than a ``Console()`` of one's own.

- :data:`lang_option`: ``--lang en|zh``; default from the locale (:func:`default_lang`);
  :data:`paper_lang_option` adds ``both`` for printed papers.
- :data:`plain_option`: ``--plain``: no colour, no box drawing (screen-reader friendly).
- :func:`console`: the one rich console of a run, built on first use from the root context:
  no colour under ``--plain`` or ``NO_COLOR`` (``--plain`` also drops box drawing), the
  terminal's width (``COLUMNS`` when set), no highlighting. A test
  injects its own with ``CliRunner().invoke(main, args, obj={"console": Console(file=...)})``.
- :func:`seed_value`: a ``--seed`` value checked by the library, its message naming the flag.

Like every command module this imports only click at its top, so ``cvquiz --help`` stays fast.
"""

from __future__ import annotations

import os
from typing import Callable

import click

from cvquiz.text import LANGS


def default_lang() -> str:
    """Chinese when the locale says so (LANGUAGE, LC_ALL, LC_MESSAGES, LANG), else English."""
    for var in ("LANGUAGE", "LC_ALL", "LC_MESSAGES", "LANG"):
        value = os.environ.get(var, "")
        if value:
            return "zh" if value.lower().startswith("zh") else "en"
    return "en"


def _resolve_lang(ctx: click.Context, param: click.Parameter, value: str | None) -> str:
    return value or default_lang()


def _remember_plain(ctx: click.Context, param: click.Parameter, value: bool) -> bool:
    if value:
        root_obj(ctx)["plain"] = True
    return value


def lang_option(f: Callable) -> Callable:
    """``--lang en|zh``: the language of questions and messages; default from the locale."""
    return click.option("--lang", type=click.Choice(LANGS), default=None, callback=_resolve_lang,
                        help="Language: en or zh (default: from the locale, LANG/LC_ALL).")(f)


def paper_lang_option(f: Callable) -> Callable:
    """``--lang en|zh|both``: :data:`lang_option` for printed papers, where ``both`` puts each text
    in English, then Chinese (``cvquiz exam``)."""
    return click.option("--lang", type=click.Choice([*LANGS, "both"]), default=None, callback=_resolve_lang,
                        help="Language: en, zh or both (default: from the locale, LANG/LC_ALL).")(f)


def plain_option(f: Callable) -> Callable:
    """``--plain``: no colour or box drawing (for screen readers and logs)."""
    return click.option("--plain", is_flag=True, callback=_remember_plain,
                        help="No colour or box drawing (screen-reader friendly).")(f)


def root_obj(ctx: click.Context) -> dict:
    """The dict every command shares through the root context (course, console, flags)."""
    root = ctx.find_root()
    if root.obj is None:
        root.obj = {}
    return root.obj


def is_plain(ctx: click.Context) -> bool:
    """Whether ``--plain`` asked for output without colour or box drawing."""
    return bool(root_obj(ctx).get("plain"))


def console(ctx: click.Context):
    """The run's one :class:`rich.console.Console` (built on first use, or the injected one)."""
    obj = root_obj(ctx)
    if obj.get("console") is None:
        from rich.console import Console

        plain = is_plain(ctx)
        no_color = plain or bool(os.environ.get("NO_COLOR"))
        obj["console"] = Console(no_color=no_color, highlight=False, emoji=False, soft_wrap=False,
                                 **({"force_terminal": False} if plain else {}))
        obj["console"].on_broken_pipe = _broken_pipe  # rich would exit 1; the CLI's rule is exit 0
    return obj["console"]


def _broken_pipe() -> None:
    import errno

    raise BrokenPipeError(errno.EPIPE, "Broken pipe")


def seed_value(seed: str, flag: str = "--seed") -> str:
    """``seed`` as the library's hex seed; a bad one is a ``ProblemError`` naming ``flag``."""
    from cvquiz.errors import ProblemError
    from cvquiz.problems.registry import parse_seed

    try:
        return parse_seed(seed)
    except ProblemError as exc:
        raise ProblemError(flag_message(str(exc), "seed", flag)) from None


def flag_message(message: str, argument: str, flag: str) -> str:
    """A library message about ``argument`` ("seed: ...") restated about the CLI's ``flag``."""
    prefix = f"{argument}:"
    return f"{flag}:{message[len(prefix):]}" if message.startswith(prefix) else f"{flag}: {message}"
