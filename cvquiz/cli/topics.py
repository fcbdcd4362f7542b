"""`cvquiz topics`: the course's topics and concepts, with question counts."""

from __future__ import annotations

import click

from cvquiz.cli.options import console, lang_option, plain_option


@click.command()
@lang_option
@plain_option
@click.pass_context
def topics(ctx: click.Context, lang: str, plain: bool) -> None:
    """List the course's topics and concepts, their aliases and question counts.

    Any topic, concept id or alias names what to practise: `cvquiz practice iou`.

    \b
    Example:
      cvquiz topics --lang zh
    """
    from rich import box
    from rich.table import Table
    from rich.text import Text

    from cvquiz.bank.load import load_course_bank
    from cvquiz.cli import get_course

    bank = load_course_bank(get_course(ctx), strict=False)
    if bank.problems:
        n = len(bank.problems)
        click.echo(f"warning: the question banks have {n} problem{'s' * (n != 1)}; the counts leave out "
                   "the broken questions (`cvquiz bank check` lists them)", err=True)
    out = console(ctx)
    counts = [(t.id, len({q.id for c in t.concepts for q in bank.by_concept[c.id]})) for t in bank.syllabus.topics]
    listed = ", ".join(f"{tid} {n}" for tid, n in counts)
    out.print(f"{len(counts)} topics, {len(bank.syllabus.concepts)} concepts, {len(bank.questions)} questions: "
              f"{listed}. Practise one with `cvquiz practice TOPIC`; `cvquiz stats` says what is due.\n"
              if lang == "en" else
              f"共 {len(counts)} 个主题、{len(bank.syllabus.concepts)} 个概念、{len(bank.questions)} 道题：{listed}。"
              "用 `cvquiz practice 主题` 练习；`cvquiz stats` 显示到期题目。\n", markup=False)
    heads = {"en": ("concept", "title", "questions", "aliases", "needs"),
             "zh": ("概念", "标题", "题数", "别名", "需要")}[lang]
    for topic in bank.syllabus.topics:
        n_topic = len({q.id for c in topic.concepts for q in bank.by_concept[c.id]})
        table = Table(title=Text(f"{topic.id} — {topic.title.get(lang)} ({n_topic})"), title_justify="left",
                      box=box.ASCII if plain else box.HEAVY_HEAD)
        table.add_column(heads[0], no_wrap=True)
        table.add_column(heads[1])
        table.add_column(heads[2], justify="right")
        table.add_column(heads[3])
        table.add_column(heads[4])
        for c in topic.concepts:
            table.add_row(c.id, Text(c.title.get(lang) if c.title else ""), str(len(bank.by_concept[c.id])),
                          Text(", ".join(c.aliases[:3]) + (", …" if len(c.aliases) > 3 else "")), " ".join(c.needs))
        out.print(table)
    total = len(bank.questions)
    out.print(f"{len(bank.syllabus.concepts)} concepts, {total} questions" if lang == "en"
              else f"共 {len(bank.syllabus.concepts)} 个概念，{total} 道题", markup=False)


COMMANDS = [topics]
