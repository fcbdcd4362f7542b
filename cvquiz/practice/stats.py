"""Mastery per topic and concept, what is due, and recent accuracy (for ``cvquiz stats``).

Mastery of a question is its predicted chance of recall (FSRS retrievability) on the exam day
given to ``practice --until``, or one day ahead when no exam day is set (or it has passed). A
question whose last answer was wrong counts 0 until it is answered right again (FSRS puts
recall at 1.0 right after any review, a failed one included), and so does a never-seen one.
Mastery of a concept or topic is the mean over its questions.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Sequence

import fsrs

from cvquiz.practice.schedule import exam_start
from cvquiz.practice.store import BUILTIN_COURSE, Store, now

RECENT_DAYS = 7
#: How far ahead mastery looks when no exam day is set.
DEFAULT_HORIZON = timedelta(days=1)


@dataclass(frozen=True)
class Row:
    id: str
    questions: int
    seen: int
    due: int
    mastery: float  # 0..1
    recent_right: int
    recent_answered: int

    @property
    def recent_accuracy(self) -> float | None:
        return self.recent_right / self.recent_answered if self.recent_answered else None


def horizon(at: datetime, exam_day: date | None) -> datetime:
    """When mastery is measured: the start of the exam day if it is still ahead, else one day after ``at``."""
    if exam_day is not None and exam_start(exam_day) > at:
        return exam_start(exam_day)
    return at + DEFAULT_HORIZON


def card_mastery(card: fsrs.Card, scheduler: fsrs.Scheduler, when: datetime, last_wrong: bool) -> float:
    """The predicted recall of one reviewed question at ``when``; 0 when its last answer was wrong."""
    if last_wrong:
        return 0.0
    return float(scheduler.get_card_retrievability(card, current_datetime=when))


def _row(name: str, question_ids: Sequence[str], cards: dict, scheduler: fsrs.Scheduler,
         recent: dict[str, tuple[int, int]], wrong: set[str], at: datetime, when: datetime) -> Row:
    seen = due = 0
    total = 0.0
    right = answered = 0
    for qid in question_ids:
        data = cards.get(qid)
        if data is not None:
            card = fsrs.Card.from_dict(data)
            seen += 1
            due += card.due <= at
            total += card_mastery(card, scheduler, when, qid in wrong)
        r, a = recent.get(qid, (0, 0))
        right += r
        answered += a
    mastery = total / len(question_ids) if question_ids else 0.0
    return Row(name, len(question_ids), seen, due, mastery, right, answered)


def mastery(store: Store, topics: dict[str, dict[str, list[str]]], at: datetime | None = None,
            exam_day: date | None = None, course: str = BUILTIN_COURSE) -> list[tuple[Row, list[Row]]]:
    """``topics`` maps topic → concept → question ids; returns (topic row, concept rows) pairs.

    ``exam_day`` defaults to the one ``practice --until`` stored for ``course``; see :func:`horizon`.
    """
    at = at or now()
    when = horizon(at, exam_day if exam_day is not None else store.exam_day(course))
    cards = store.cards()
    scheduler = fsrs.Scheduler()
    wrong = set(store.last_wrong())
    recent: dict[str, tuple[int, int]] = {}
    for review in store.reviews(since=at - timedelta(days=RECENT_DAYS)):
        r, a = recent.get(review.question_id, (0, 0))
        recent[review.question_id] = (r + review.correct, a + 1)
    out = []
    for topic, concepts in topics.items():
        rows = [_row(cid, qids, cards, scheduler, recent, wrong, at, when) for cid, qids in concepts.items()]
        all_ids = list(dict.fromkeys(q for qids in concepts.values() for q in qids))
        out.append((_row(topic, all_ids, cards, scheduler, recent, wrong, at, when), rows))
    return out


@dataclass(frozen=True)
class Plan:
    """What is left before the exam: reviews due on each day, never-seen questions, a daily target."""

    exam_day: date
    days: list[tuple[date, int]]  # each day from today to the day before the exam
    unseen: int

    @property
    def target(self) -> int:
        """Questions a day that cover every review due before the exam and every unseen question."""
        if not self.days:
            return 0
        work = sum(n for _, n in self.days) + self.unseen
        return -(-work // len(self.days))  # ceiling


def exam_plan(schedule, question_ids: Sequence[str], exam_day: date, today: date | None = None) -> Plan:
    """The :class:`Plan` for ``question_ids`` until ``exam_day`` (``schedule`` is a
    :class:`~cvquiz.practice.schedule.Schedule`)."""
    days = schedule.due_by_day(question_ids, exam_day, today)
    unseen = sum(schedule.card(q) is None for q in question_ids)
    return Plan(exam_day, days, unseen)
