"""`cvquiz ref`: the course's reference implementations (read from source; no torch)."""

from __future__ import annotations

import click

from cvquiz.cli.options import console, plain_option


@click.group()
def ref() -> None:
    """Browse the reference implementations.

    \b
    Example:
      cvquiz ref list
    """


@ref.command("list")
@click.argument("topics", nargs=-1)
@click.option("--json", "as_json", is_flag=True, help="Print a JSON list instead of a table.")
@plain_option
@click.pass_context
def list_(ctx: click.Context, topics: tuple[str, ...], as_json: bool, plain: bool) -> None:
    """List every reference function with its topic and concept id.

    TOPICS limits the list to those topics (points, sequence, attention, detection, generative).

    \b
    Example:
      cvquiz ref list detection --json
    """
    from cvquiz.cli import get_course
    from cvquiz.reference_index import reference_index

    course = get_course(ctx)
    index = reference_index(course)
    known = course.reference_topics()
    for topic in topics:
        if topic not in known:
            raise click.BadParameter(f"{topic!r} has no reference module; expected one of "
                                     f"{', '.join(known) or '(none)'}", param_hint="TOPICS")
    if topics:
        index = [f for f in index if f.topic in topics]
    if as_json:
        import json

        click.echo(json.dumps([f.as_dict() for f in index], ensure_ascii=False, indent=2))
        return
    from rich import box
    from rich.table import Table

    table = Table(title="Reference functions", title_justify="left", box=box.ASCII if plain else box.HEAVY_HEAD)
    table.add_column("topic")
    table.add_column("function", no_wrap=True)
    table.add_column("concepts")
    table.add_column("summary")
    for f in index:
        table.add_row(f.topic, f.name, ", ".join(f.concepts) or "-", f.summary)
    console(ctx).print(table)


@ref.command("show")
@click.argument("name")
@click.pass_context
def show(ctx: click.Context, name: str) -> None:
    """Print a reference function's signature and docstring.

    NAME is a function (nms) or topic.function (detection.nms).

    \b
    Example:
      cvquiz ref show detection.roi_align
    """
    from cvquiz.cli import get_course
    from cvquiz.reference_index import find_function, reference_index

    index = reference_index(get_course(ctx))
    found = find_function(index, name)
    if not found:
        import difflib

        names = [f.name for f in index] + [f.qualname for f in index]
        close = difflib.get_close_matches(name, names, n=3)
        hint = f"; did you mean {', '.join(close)}?" if close else "; see `cvquiz ref list`"
        raise click.BadParameter(f"no reference function {name!r}{hint}", param_hint="NAME")
    if len(found) > 1:
        raise click.BadParameter(f"{name!r} is in several topics; write one of "
                                 f"{', '.join(f.qualname for f in found)}", param_hint="NAME")
    f = found[0]
    click.echo(f"{f.topic}.{f.signature}")
    click.echo(f"  ({f.path.name}:{f.line})")
    click.echo("")
    for line in f.docstring.splitlines():
        click.echo(f"    {line}".rstrip())


COMMANDS = [ref]
