"""`cvquiz exam build | mark | stats`: per-student exam papers, marking and item analysis.

Thin commands over :mod:`cvquiz.exam` (the library). Like every command module this imports only
click at its top.
"""

from __future__ import annotations

import click

from cvquiz.cli.options import console as _console
from cvquiz.cli.options import paper_lang_option


def _read_secret(path: str | None) -> bytes:
    from cvquiz.errors import ExamError

    if not path:
        raise ExamError("exam build: --secret-file is required: seeds derive from it, and a public secret "
                        "would let students compute each other's numbers and answers")
    try:
        with open(path, "rb") as f:
            secret = f.read(1_000_000).strip()
    except OSError as exc:
        raise ExamError(f"--secret-file: cannot read {path}: {exc.strerror or exc}") from None
    if not secret:
        raise ExamError(f"--secret-file: {path} is empty; put a long random string in it")
    return secret


def _date(value: str | None) -> str:
    from datetime import datetime, timezone

    from cvquiz.errors import ExamError

    if value is None:
        return datetime.now(timezone.utc).strftime("%Y-%m-%d")
    try:
        return datetime.strptime(value, "%Y-%m-%d").strftime("%Y-%m-%d")
    except ValueError:
        raise ExamError(f"--date: expected YYYY-MM-DD, got {value!r}") from None


@click.group()
def exam() -> None:
    """Per-student exam papers (PDF, Markdown, HTML) with answer keys; marking; item analysis.

    \b
    Example:
      cvquiz exam build --topics detection.nms --roster roster.csv --secret-file exam.secret --out exam1
      cvquiz exam mark exam1 answers.csv
      cvquiz exam stats exam1
    """


@exam.command()
@click.option("--topics", multiple=True, metavar="NAME", help="Every non-code question on these topics/concepts.")
@click.option("--questions", "question_ids", multiple=True, metavar="ID", help="These question ids.")
@click.option("--spec", type=click.Path(dir_okay=False), help="An exam spec (YAML): sections, picks, points.")
@click.option("--roster", required=True, type=click.Path(dir_okay=False),
              help="UTF-8 CSV: id (required), name, sis_id, section.")
@click.option("--secret-file", type=click.Path(dir_okay=False), metavar="FILE",
              help="Secret the per-student seeds derive from (required; keep it out of git).")
@click.option("--out", required=True, type=click.Path(file_okay=False), help="Folder for papers, keys, manifest.")
@click.option("--date", "date", metavar="YYYY-MM-DD", help="Build date printed in the PDFs (default: today, UTC).")
@paper_lang_option
@click.pass_context
def build(ctx: click.Context, topics: tuple[str, ...], question_ids: tuple[str, ...], spec: str | None,
          roster: str, secret_file: str | None, out: str, date: str | None, lang: str) -> None:
    """Build one paper per student (their own numbers and choice order), keys and a manifest.

    Writes papers/<id>.pdf, .md and .html, key.csv, key.json, answers-template.csv (the answer
    sheet to fill) and manifest.json (regenerates every paper; for the instructor only).

    \b
    Example:
      cvquiz exam build --spec midterm.yaml --roster roster.csv --secret-file exam.secret --out exam1 --lang zh
    """
    from pathlib import Path

    from cvquiz.bank import load_course_bank
    from cvquiz.cli import get_course
    from cvquiz.errors import ExamError
    from cvquiz.exam.build import build as build_exam
    from cvquiz.exam.roster import read_roster
    from cvquiz.exam.spec import from_names, load_spec

    if sum(bool(x) for x in (topics, question_ids, spec)) != 1:
        raise ExamError("exam build: give exactly one of --topics, --questions or --spec")
    secret = _read_secret(secret_file)
    students = read_roster(Path(roster))
    bank = load_course_bank(get_course(ctx))
    exam_ = load_spec(Path(spec), bank, secret) if spec else from_names(bank, topics, question_ids)
    result = build_exam(exam_, students, secret, Path(out), lang=lang, date=_date(date))
    papers = f"{result.papers} paper{'' if result.papers == 1 else 's'}"
    _console(ctx).print(f"built {papers} of {len(exam_.questions)} questions in {out} "
                        f"(PDF, Markdown, HTML; key.csv, key.json, answers-template.csv, manifest.json)")


def _load(ctx: click.Context, folder: str):
    from pathlib import Path

    from cvquiz.bank import load_course_bank
    from cvquiz.cli import get_course
    from cvquiz.exam.paper import papers_from_manifest, read_manifest

    data = read_manifest(Path(folder))
    bank = load_course_bank(get_course(ctx))
    exam_, papers = papers_from_manifest(data, bank)
    return data, exam_, papers, bank


@exam.command()
@click.argument("folder", type=click.Path(file_okay=False))
@click.argument("answers", type=click.Path(dir_okay=False))
@click.option("--gradebook", type=click.Choice(["plain", "canvas"]), default="plain", show_default=True,
              help="grades.csv layout: plain, or Canvas's import columns (ID left blank: Canvas matches "
                   "on SIS User ID, the roster's sis_id).")
@click.option("--no-pdf", is_flag=True, help="Write the feedback as Markdown only.")
@paper_lang_option
@click.pass_context
def mark(ctx: click.Context, folder: str, answers: str, gradebook: str, no_pdf: bool, lang: str) -> None:
    """Mark a filled answer sheet (answers-template.csv) with the same rules as practice.

    Writes FOLDER/marks/: results.json, grades.csv, long.csv and feedback/<id>.md and .pdf (in
    the papers' language unless --lang is given); marking again prints what changed (before -> after).
    A fixed question edited in the bank since the build is named on stderr (its key, or only its
    wording) and marked with the current bank; a question no longer in the bank is refused.

    \b
    Example:
      cvquiz exam mark exam1 answers.csv --gradebook canvas
    """
    from pathlib import Path

    from cvquiz.exam.build import columns
    from cvquiz.exam.fingerprint import changes
    from cvquiz.exam.mark import mark_papers, read_sheet, write_marks

    data, exam_, papers, bank = _load(ctx, folder)
    if "fingerprints" not in data:
        click.echo("cvquiz: note: this manifest records no fingerprints of its fixed questions (built by an "
                   "older cvquiz); bank edits since the build cannot be detected", err=True)
    for change in changes(data.get("fingerprints", {}), bank.questions):
        click.echo(f"cvquiz: warning: {change.describe()}", err=True)
    if ctx.get_parameter_source("lang") is not click.core.ParameterSource.COMMANDLINE:
        lang = data.get("lang", lang)  # feedback in the papers' language unless --lang says otherwise
    sheet = read_sheet(Path(answers), papers, columns(papers))
    no_sis = [p.student.id for p in papers if not p.student.sis_id]
    if gradebook == "canvas" and no_sis:
        click.echo(f"cvquiz: warning: canvas gradebook: {len(no_sis)} student(s) have no sis_id in the roster "
                   f"({', '.join(no_sis[:5])}{', ...' if len(no_sis) > 5 else ''}); Canvas matches rows on "
                   "SIS User ID, so these rows may not import", err=True)
    results = mark_papers(papers, sheet)
    changes = write_marks(Path(folder), exam_, papers, results, gradebook=gradebook, lang=lang,
                          date=data["date"], pdf=not no_pdf)
    out = _console(ctx)
    invalid = sum(p["status"] == "invalid" for r in results for p in r["parts"].values())
    out.print(f"marked {sum(r['status'] == 'graded' for r in results)} of {len(results)} students"
              f" ({invalid} answers in an invalid format, marked 0); results in {Path(folder) / 'marks'}")
    for r in results:
        out.print(f"  {r['student']['id']}: {r['total']:g} / {r['max']:g}" + ("  (no row: missing)"
                                                                          if r["status"] == "missing" else ""))
    if changes:
        out.print(f"changed since the last marking ({len(changes)}):")
        for c in changes:
            out.print(f"  {c.student} {c.question}: {c.before:g} -> {c.after:g}")


@exam.command()
@click.argument("folder", type=click.Path(file_okay=False))
@click.pass_context
def stats(ctx: click.Context, folder: str) -> None:
    """Item analysis of the marked results: facility, discrimination, reliability, distractors.

    Writes FOLDER/marks/report.html (self-contained), histogram.png and item-map.png.

    \b
    Example:
      cvquiz exam stats exam1
    """
    from pathlib import Path

    from cvquiz.errors import ExamError
    from cvquiz.exam.mark import MARKS, read_results
    from cvquiz.exam.paper import read_manifest
    from cvquiz.exam.report import write_report
    from cvquiz.exam.stats import analyse

    data = read_manifest(Path(folder))
    results = read_results(Path(folder))
    if results is None:
        raise ExamError(f"{Path(folder) / MARKS / 'results.json'}: not marked yet; run `cvquiz exam mark` first")
    ids = [q["id"] for q in data["questions"]]
    result = analyse(ids, {q["id"]: float(q["points"]) for q in data["questions"]}, results)
    paths = write_report(Path(folder) / MARKS, data["title"]["en"], result)
    out = _console(ctx)
    rel = "–" if result.reliability is None else f"{result.reliability:.3f}"
    out.print(f"{result.n} students, mean {result.mean:.2f} / {result.max_score:g} (sd {result.sd:.2f}), "
              f"{result.reliability_name} {rel}")
    out.print(f"{'#':>3}  {'facility':>8}  {'r_pb':>6}  {'D27':>6}  question")
    for i, item in enumerate(result.items, start=1):
        r = "–" if item.point_biserial is None else f"{item.point_biserial:.2f}"
        out.print(f"{i:>3}  {item.facility:>8.2f}  {r:>6}  {item.upper_lower:>6.2f}  {item.id}")
        for text, count in item.misconceptions.items():
            out.print(f"       misconception x{count}: {text}")
    out.print(f"report: {paths[-1]}")


COMMANDS = [exam]
