"""`cvquiz practice` and `cvquiz stats`."""

from __future__ import annotations

import click

from cvquiz.cli.options import console, lang_option, plain_option, seed_value


def course_key(course) -> str:
    """The key of ``course``'s exam day in the store: ``builtin``, or the course folder."""
    return "builtin" if course.builtin else str(course.root.resolve())


def _future_day(ctx, param, value):
    """``--until``: a day from today on (a past exam day would plan nothing)."""
    from datetime import date

    if value is not None and value.date() < date.today():
        raise click.BadParameter(f"{value:%Y-%m-%d} has passed; give the exam day, today or later "
                                 f"(today is {date.today():%Y-%m-%d}).")
    return value


def when_due(nxt, lang: str) -> str:
    """A due time for a person: "now" when it has come, else local date and time."""
    from cvquiz.practice.store import now

    if nxt <= now():
        return "现在" if lang == "zh" else "now"
    return f"{nxt.astimezone():%Y-%m-%d %H:%M}"


def _db_option(f):
    return click.option("--db", type=click.Path(dir_okay=False), default=None,
                        help="Progress database (default: in your user data directory; or $CVQUIZ_DB).")(f)


@click.command()
@click.argument("topic", nargs=-1)
@lang_option
@click.option("--count", type=click.IntRange(1, 1000), default=None,
              help="At most this many questions (default: 20; every one with --mistakes).")
@click.option("--new", "new", type=click.IntRange(0, 1000), default=10, show_default=True,
              help="At most this many never-seen questions.")
@click.option("--seed", default=None, help="Hex seed: the same session (order and numbers) every time.")
@plain_option
@click.option("--exam", "exam_minutes", type=click.FloatRange(0.1, 600), default=None,
              help="Timed mock exam of this many minutes: a clock, no hints, no feedback until the "
                   "end; then the score out of every question and a review of each.")
@click.option("--until", type=click.DateTime(formats=["%Y-%m-%d"]), default=None, callback=_future_day,
              help="Exam day (YYYY-MM-DD, today or later): plan every review before it; kept for "
                   "this course, and `cvquiz stats` then shows what is due each day until it.")
@click.option("--mistakes", is_flag=True,
              help="Drill the questions last answered wrong: exactly the list of `cvquiz mistakes`.")
@_db_option
@click.pass_context
def practice(ctx, topic, lang, count, new, seed, plain, exam_minutes, until, mistakes, db) -> None:
    """Drill questions in the terminal, with spaced repetition.

    TOPIC is a chapter (attention), a concept id (detection.nms) or an alias (iou, lstm, fid);
    several may be given. Without TOPIC: what is due. Generated questions get new numbers
    at every review. Type :? during the drill for the commands.

    \b
    Example:
      cvquiz practice attention
    """
    import time

    from cvquiz.bank.load import load_course_bank
    from cvquiz.cli import get_course
    from cvquiz.practice.items import plan_items, practised
    from cvquiz.practice.schedule import Schedule
    from cvquiz.practice.screen import Screen, run_session
    from cvquiz.practice.session import Session
    from cvquiz.practice.store import Store
    from cvquiz.text import Text

    screen = Screen(console(ctx), lang=lang, plain=plain)
    course = get_course(ctx)
    questions = practised(load_course_bank(course).select(topic))
    ids = [q.id for q in questions]
    hex_seed = seed_value(seed) if seed is not None else None

    with Store(db) as store:
        schedule = Schedule(store, until=until.date() if until else None, fuzz=hex_seed is None,
                            course=course_key(course))
        count = count or (1000 if mistakes else 20)
        items = plan_items(questions, store, schedule, count=count, new=new, mistakes=mistakes,
                           ahead=bool(topic), seed=hex_seed)
        if not items:
            nxt = schedule.next_due(ids)
            if mistakes:
                what = Text("No questions were last answered wrong", "没有最近答错的题目")
            elif nxt:
                what = Text(f"Nothing is due; the next review is due {when_due(nxt, 'en')}",
                            f"目前没有到期的题目；下次复习时间 {when_due(nxt, 'zh')}")
            else:
                what = Text("Nothing is due", "目前没有到期的题目")
            click.echo(screen.t(what + Text(
                ". Name a topic to practise ahead, e.g. `cvquiz practice attention`.",
                "。可以指定主题提前练习，例如 `cvquiz practice attention`。")))
            return
        session = Session(items, schedule, exam=exam_minutes is not None)
        if not exam_minutes:
            old = sum(schedule.card(q.id) is not None for q in items.questions)  # items are built when asked
            why = Text(f" (at most --count {count}, of them at most --new {new} new)",
                       f"（最多 --count {count} 道，其中新题最多 --new {new} 道）") if not mistakes else Text("", "")
            click.echo(screen.t(Text(
                f"{old} review{'' if old == 1 else 's'} + {len(items) - old} new{why.en}; "
                f"progress is kept in {store.path}",
                f"{old} 道复习 + {len(items) - old} 道新题{why.zh}；进度保存在 {store.path}")))
        if exam_minutes:
            click.echo(screen.t(Text(
                f"Mock exam: {len(items)} questions, {exam_minutes:g} minutes. Results at the end; "
                "questions not reached when the time is up count as not right.",
                f"模拟考试：{len(items)} 题，{exam_minutes:g} 分钟。结束后统一显示结果；时间到时未作答的题目按未得分计。")))
        screen.show_help(exam=session.exam)
        run_session(session, screen, time.monotonic() + 60 * exam_minutes if exam_minutes else None)
        if session.exam:
            screen.show_exam_results(session)
        nxt = schedule.next_due(ids)
        extra = [screen.t(Text(f"Next review due: {when_due(nxt, 'en')}", f"下次复习：{when_due(nxt, 'zh')}"))] \
            if nxt else []
        screen.show_summary(session.summary(), extra)


@click.command()
@lang_option
@_db_option
@plain_option
@click.pass_context
def stats(ctx, lang, db, plain) -> None:
    """Show mastery per topic and concept, what is due, and recent accuracy.

    Mastery of a question is its predicted chance of recall (FSRS) on the exam day
    given to `practice --until`, or one day ahead when none is set; a question last
    answered wrong counts 0 until answered right again, and a never-seen one 0. A
    concept's mastery is the mean over its questions; recent accuracy covers the
    last 7 days.

    \b
    Example:
      cvquiz stats --lang zh
    """
    from rich import box
    from rich.table import Table

    from cvquiz.bank.load import load_course_bank
    from cvquiz.cli import get_course
    from cvquiz.practice.items import practised
    from cvquiz.practice.screen import bar
    from cvquiz.practice.schedule import Schedule
    from cvquiz.practice.stats import RECENT_DAYS, exam_plan, mastery
    from cvquiz.practice.store import Store

    course = get_course(ctx)
    bank = load_course_bank(course)
    topics: dict[str, dict[str, list[str]]] = {}
    for t in bank.syllabus.topics:
        topics[t.id] = {c.id: [q.id for q in practised(bank.by_concept.get(c.id, []))] for c in t.concepts}
    all_ids = list(dict.fromkeys(q for concepts in topics.values() for qids in concepts.values() for q in qids))
    with Store(db, readonly=True) as store:  # stats never writes
        rows = mastery(store, topics, course=course_key(course))
        answered = len(store.reviews())
        schedule = Schedule(store, course=course_key(course))
        plan = exam_plan(schedule, all_ids, schedule.until) if schedule.until else None
    zh = lang == "zh"
    out = console(ctx)
    table = Table(box=None if plain else box.SIMPLE_HEAVY, title=("掌握程度" if zh else "Mastery"),
                  title_justify="left")
    heads = (["主题 / 概念", "已练/题数", "到期", "掌握", f"近{RECENT_DAYS}天"] if zh else
             ["topic / concept", "seen", "due", "mastery", f"last {RECENT_DAYS} days"])
    # The id column gives way first (ellipsis); the numbers and the mastery bar never do, so a
    # narrow terminal (80 columns, or a pipe) still shows every mastery %.
    table.add_column(heads[0], no_wrap=True, overflow="ellipsis", min_width=12)
    for name in heads[1:]:
        table.add_column(name, no_wrap=True, justify="right" if name != heads[3] else "left",
                         min_width=15 if name == heads[3] else None)
    for topic_row, concept_rows in rows:
        if not plain and topic_row is not rows[0][0]:
            table.add_section()
        for row, indent in [(topic_row, "")] + [(r, "  ") for r in concept_rows]:
            acc = row.recent_accuracy
            table.add_row(f"{indent}{row.id}", f"{row.seen}/{row.questions}", str(row.due),
                          f"{bar(row.mastery, 10, plain)} {row.mastery:4.0%}",
                          f"{acc:.0%} ({row.recent_right}/{row.recent_answered})" if acc is not None else "—",
                          style="bold" if not indent and not plain else None)
    out.print(summary_text(rows, zh))
    out.print(table)
    total_due = sum(t.due for t, _ in rows)
    out.print(f"{answered} 次作答，{total_due} 题到期" if zh else f"{answered} answers stored; {total_due} due now")
    if plan is not None:
        out.print(plan_text(plan, zh))


def summary_text(rows, zh: bool, weakest: int = 5) -> str:
    """What to read first: the weakest concepts (seen or not) and what is due, by topic."""
    concepts = sorted((c for _, cs in rows for c in cs), key=lambda c: (c.mastery, c.id))[:weakest]
    weak = ", ".join(f"{c.id} {c.mastery:.0%}" for c in concepts)
    due = ", ".join(f"{t.id} {t.due}" for t, _ in rows)
    if zh:
        return f"最薄弱的概念：{weak}\n到期（按主题）：{due}\n"
    return f"Weakest concepts: {weak}\nDue by topic: {due}\n"


def plan_text(plan, zh: bool) -> str:
    """The exam plan: reviews due each day until the exam and a daily target."""
    n = len(plan.days)
    if zh:
        lines = [f"考试计划：{plan.exam_day:%Y-%m-%d}，还有 {n} 天；每天目标 {plan.target} 题"
                 f"（到期复习 {sum(c for _, c in plan.days)} 次 + 未练新题 {plan.unseen} 道）"]
        lines += [f"  {day:%m-%d}  到期 {count}" for day, count in plan.days]
    else:
        t = plan.target
        lines = [f"Exam plan: {plan.exam_day:%Y-%m-%d}, {n} day{'' if n == 1 else 's'} left; daily target "
                 f"{t} question{'' if t == 1 else 's'} ({sum(c for _, c in plan.days)} due + {plan.unseen} never seen)"]
        lines += [f"  {day:%a %m-%d}  {count} due" for day, count in plan.days]
    return "\n".join(lines)


# `mistakes` is registered here, beside the drill it feeds (`practice --mistakes`).
from cvquiz.cli.mistakes import mistakes  # noqa: E402

COMMANDS = [practice, stats, mistakes]
