"""Spaced repetition with FSRS (the ``fsrs`` package) over question templates.

One card per question id. Ratings: wrong -> Again; right after a hint or after an invalid
try -> Hard; right -> Good. A skip is not a review. With an exam day (``until``) every next
review is pulled before it, so everything is seen again before the exam, and the day is kept
in the store so that ``cvquiz stats`` measures mastery at it.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta, timezone
from typing import Iterable, Sequence

import fsrs

from cvquiz.practice.store import BUILTIN_COURSE, Review, Store, now


def rating_for(correct: bool, helped: bool) -> fsrs.Rating:
    """Again when wrong; Hard when right after a hint or an invalid try; Good otherwise."""
    if not correct:
        return fsrs.Rating.Again
    return fsrs.Rating.Hard if helped else fsrs.Rating.Good


def exam_start(until: date) -> datetime:
    """Midnight at the start of the exam day, in local time, as UTC."""
    return datetime.combine(until, time(0, 0)).astimezone(timezone.utc)


class Schedule:
    """Which questions to ask, and the record of each answer."""

    def __init__(self, store: Store, until: date | None = None, fuzz: bool = True,
                 course: str = BUILTIN_COURSE):
        """``until`` is stored as ``course``'s exam day; without it the stored one (if still
        ahead) applies."""
        self.store = store
        if until is not None and until != store.exam_day(course):
            store.set_exam_day(until, course)
        if until is None:
            stored = store.exam_day(course)
            until = stored if stored is not None and exam_start(stored) > now() else None
        self.until = until
        self.scheduler = fsrs.Scheduler(enable_fuzzing=fuzz)
        self._cards = store.cards()

    def card(self, question_id: str) -> fsrs.Card | None:
        data = self._cards.get(question_id)
        return fsrs.Card.from_dict(data) if data is not None else None

    def due_at(self, question_id: str) -> datetime | None:
        card = self.card(question_id)
        return card.due if card else None

    def record(self, review: Review) -> datetime:
        """Apply one review to the question's card and store both; return the next due time."""
        card = self.card(review.question_id) or fsrs.Card(card_id=_card_id(review.question_id))
        card, _ = self.scheduler.review_card(card, fsrs.Rating(review.rating), review_datetime=review.at)
        due = card.due
        if self.until is not None:
            deadline = exam_start(self.until) - timedelta(days=1)
            if due > deadline:
                # Seen again the day before the exam at the latest (but not in the past).
                due = max(deadline, review.at + timedelta(minutes=10))
                card.due = due
        data = card.to_dict()
        self.store.save_review(data, due, review)
        self._cards[review.question_id] = data
        return due

    def plan(self, question_ids: Sequence[str], *, count: int, new: int,
             at: datetime | None = None, ahead: bool = False) -> list[str]:
        """Up to ``count`` question ids: due ones (most overdue first), then up to ``new``
        never-seen ones in the given order; with ``ahead``, then the soonest-due others
        (practising ahead of schedule when a topic was asked for explicitly).
        """
        at = at or now()
        seen = [q for q in question_ids if q in self._cards]
        unseen = [q for q in question_ids if q not in self._cards]
        due = sorted((q for q in seen if self.due_at(q) <= at), key=self.due_at)
        chosen = due[:count]
        chosen += unseen[: max(0, min(new, count - len(chosen)))]
        if ahead and len(chosen) < count:
            later = sorted((q for q in seen if q not in chosen), key=self.due_at)
            chosen += later[: count - len(chosen)]
        return chosen

    def due_by_day(self, question_ids: Iterable[str], until: date, today: date | None = None) -> list[tuple[date, int]]:
        """How many reviews fall due on each local day from ``today`` to the day before ``until``
        (those overdue count on ``today``)."""
        today = today or datetime.now().date()
        days = [today + timedelta(days=k) for k in range(max(0, (until - today).days))]
        counts = dict.fromkeys(days, 0)
        for q in question_ids:
            due = self.due_at(q)
            if due is None:
                continue
            day = max(today, due.astimezone().date())
            if day in counts:
                counts[day] += 1
        return list(counts.items())

    def next_due(self, question_ids: Iterable[str]) -> datetime | None:
        dues = [d for d in (self.due_at(q) for q in question_ids) if d is not None]
        return min(dues) if dues else None


def _card_id(question_id: str) -> int:
    """A stable positive card id from the question id (fsrs wants an int)."""
    import hashlib

    return int.from_bytes(hashlib.sha1(question_id.encode()).digest()[:6], "big")
