"""`cvquiz generate`: randomized numeric problems."""

from __future__ import annotations

import click

from cvquiz.cli.options import lang_option, seed_value

FORMATS = ["text", "json", "md", "tex"]


def _options(pairs: tuple[str, ...]) -> dict[str, str]:
    from cvquiz.errors import ProblemError

    options: dict[str, str] = {}
    for pair in pairs:
        name, sep, value = pair.partition("=")
        if not sep or not name.strip() or not value.strip():
            raise ProblemError(f"--option: expected NAME=VALUE (e.g. format=cxcywh), got {pair!r}")
        options[name.strip()] = value.strip()
    return options


def _read_secret(path: str) -> bytes:
    from cvquiz.errors import ProblemError

    try:
        with open(path, "rb") as f:
            secret = f.read().strip()
    except OSError as exc:
        raise ProblemError(f"--secret-file: cannot read {path}: {exc.strerror or exc}") from None
    if not secret:
        raise ProblemError(f"--secret-file: {path} is empty; put a long random string in it")
    return secret


#: Longest seed, in hex digits (the registry's limit).
MAX_SEED_DIGITS = 64


def _check_text(value: str | None, flag: str) -> None:
    """Refuse an argument holding bytes that are not UTF-8 text (they reach Python as surrogates)."""
    from cvquiz.errors import ProblemError

    if value is None:
        return
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        try:
            typed = value.encode("utf-8", "surrogateescape")  # the bytes as typed
        except UnicodeEncodeError:
            typed = value.encode("utf-8", "backslashreplace")
        raise ProblemError(f"{flag}: {typed!r} holds bytes that are not UTF-8 text; "
                           "use letters and digits, e.g. s123") from None


def _list(fmt: str, lang: str) -> str:
    import json

    from cvquiz.problems.registry import registry

    generators = sorted(registry().values(), key=lambda g: (g.topic, g.kind))
    if fmt == "json":
        return json.dumps([{"kind": g.kind, "topic": g.topic, "concepts": list(g.concepts), "version": g.version,
                            "title": g.title.to_json(), "options": list(g.options)} for g in generators],
                          ensure_ascii=False, indent=2) + "\n"
    rows = [("kind", "topic", "v", "options", "concepts", "title")]
    rows += [(g.kind, g.topic, str(g.version), ",".join(g.options) or "-", " ".join(g.concepts), g.title.get(lang))
             for g in generators]
    widths = [max(len(r[i]) for r in rows) for i in range(5)]
    lines = ["  ".join(cell.ljust(w) for cell, w in zip(r[:5], widths)) + "  " + r[5] for r in rows]
    return "\n".join(lines) + f"\n\n{len(generators)} kinds\n"


def resolve_kinds(names: tuple[str, ...]) -> list[str]:
    """Problem kinds for ``names``: each a kind, or a topic standing for all of its kinds (in
    order, without repeats). An unknown name is a ``ProblemError`` with the nearest kind or topic."""
    import difflib

    from cvquiz.errors import ProblemError
    from cvquiz.problems.registry import registry

    generators = registry()
    topics: dict[str, list[str]] = {}
    for g in sorted(generators.values(), key=lambda g: g.kind):
        topics.setdefault(g.topic, []).append(g.kind)
    kinds: list[str] = []
    for name in names:
        if name in generators:
            found = [name]
        elif name in topics:
            found = topics[name]
        else:
            close = difflib.get_close_matches(name, list(generators) + list(topics), n=1)
            hint = f"; did you mean {close[0]!r}?" if close else "; see `cvquiz generate --list`"
            raise ProblemError(f"unknown problem kind or topic {name!r}{hint}")
        kinds += [k for k in found if k not in kinds]
    return kinds


def worksheet_seed(seed: str, kind: str) -> str:
    """The seed of ``kind`` on a worksheet seeded ``seed``: from (seed, kind), so adding or
    removing a kind leaves the others' numbers as they were."""
    from cvquiz.problems.registry import derive_seed

    return derive_seed(f"worksheet {seed}".encode(), "", kind, 0)


@click.command()
@click.argument("kinds", nargs=-1)
@click.option("--list", "list_kinds", is_flag=True, help="List every problem kind (topic, concepts, version, title).")
@click.option("--seed", metavar="HEX", help="Use this seed (hex) instead of deriving one.")
@click.option("--student", default="", metavar="ID", help="Student id the seed derives from.")
@click.option("--question", default=None, metavar="ID", help="Question id the seed derives from (default: KIND).")
@click.option("--secret-file", type=click.Path(dir_okay=False), metavar="FILE",
              help="Secret for deriving per-student seeds (exams; keep it out of git). Without it seeds "
                   "derive from a public constant, so anyone could recompute a student's numbers and "
                   "answers: --student then warns, and --student with --key or --format json is refused.")
@click.option("--count", type=click.IntRange(1, 1000), default=1, show_default=True,
              help="Number of variants: attempts 0..N-1 of the derived seed, or consecutive seeds after --seed.")
@click.option("--format", "fmt", type=click.Choice(FORMATS), default="text", show_default=True)
@click.option("--key", is_flag=True, help="Add answers and worked solutions (text, md, tex; JSON always has them).")
@lang_option
@click.option("--option", "-o", "option_pairs", multiple=True, metavar="NAME=VALUE",
              help="A generator option, e.g. -o format=cxcywh (see --list).")
def generate(kinds: tuple[str, ...], list_kinds: bool, seed: str | None, student: str, question: str | None,
             secret_file: str | None, count: int, fmt: str, key: bool, lang: str,
             option_pairs: tuple[str, ...]) -> None:
    """Make seeded variants of numeric problems (IoU, AP, FID, ...): one kind, or a worksheet.

    The seed derives from (secret, student, question, attempt) by HMAC-SHA256, so the same
    student always gets the same numbers; --seed replaces the derivation. With --count N the
    variants are attempts 0..N-1, or seeds S, S+1, ... when --seed S is given.

    A worksheet: several KINDS, or a topic (detection) for all its kinds. Each variant's
    question id is its kind, and --seed S seeds each kind from (S, kind); with --key the
    answers and worked solutions follow the questions as a separate key.

    \b
    Example:
      cvquiz generate iou --seed 1a2b --key
      cvquiz generate detection --seed 7 --key --format md > worksheet.md
      cvquiz generate ap11 --student s123 --secret-file exam.secret --count 3 --format json
      cvquiz generate --list
    """
    from cvquiz.errors import ProblemError

    if list_kinds:
        click.echo(_list(fmt, lang), nl=False)
        return
    if not kinds:
        raise ProblemError("generate: give a problem KIND or a topic (see `cvquiz generate --list`)")
    from cvquiz.problems.export import render
    from cvquiz.problems.registry import PUBLIC_SECRET, make

    names = resolve_kinds(kinds)  # an unknown kind fails before anything else
    options = _options(option_pairs)
    if len(names) > 1:
        if question is not None or option_pairs:
            raise ProblemError("--question and --option name one problem; a worksheet of several kinds "
                               "takes neither")
        secret = _read_secret(secret_file) if secret_file else PUBLIC_SECRET
        variants = []
        for kind in names:
            if seed is not None:
                base = int(worksheet_seed(seed_value(seed), kind), 16)
                variants += [make(kind, format(base + i, "x")) for i in range(count)]
            else:
                variants += [make(kind, secret=secret, student=student, question=kind, attempt=i)
                             for i in range(count)]
        sheet = render(variants, fmt, lang=lang, key=False)
        if key and fmt != "json":
            title = {"text": "Key\n===\n", "md": "# Key\n", "tex": "\\section*{Key}\n"}[fmt]
            sheet += "\n" + (title if lang == "en" else title.replace("Key", "答案")) + "\n" + \
                render(variants, fmt, lang=lang, key=True)
        elif key:
            sheet = render(variants, fmt, lang=lang, key=True)
        click.echo(sheet, nl=False)
        return
    kind = names[0]
    _check_text(student, "--student")
    _check_text(question, "--question")
    secret = _read_secret(secret_file) if secret_file else PUBLIC_SECRET
    if student and seed is None and not secret_file:
        if key or fmt == "json":  # JSON always carries the answers, so it is a key too
            flag = "--key" if key else "--format json"
            raise ProblemError(f"{flag} with --student needs --secret-file: without it the seed derives from a "
                               "public constant, so anyone could recompute this student's numbers and answers")
        click.echo("cvquiz: warning: --student without --secret-file derives the seed from a public constant; "
                   "anyone can recompute this student's numbers and answers (pass --secret-file FILE for exams)",
                   err=True)
    if seed is not None:
        start = int(seed_value(seed), 16)
        if len(format(start + count - 1, "x")) > MAX_SEED_DIGITS:
            raise ProblemError(f"--seed: {seed} with --count {count} runs past the largest seed "
                               f"({MAX_SEED_DIGITS} hex digits); give a smaller seed or a smaller --count")
        variants = [make(kind, format(start + i, "x"), **options) for i in range(count)]
    else:
        variants = [make(kind, secret=secret, student=student, question=question or kind, attempt=i, **options)
                    for i in range(count)]
    click.echo(render(variants, fmt, lang=lang, key=key), nl=False)


COMMANDS = [generate]
