"""Mastery per topic and concept, what is due, and recent accuracy (for ``cvquiz stats``).

Mastery of a concept is the mean FSRS retrievability (the predicted chance of recalling it
now) over its questions, counting never-seen questions as 0.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Sequence

import fsrs

from cvquiz.practice.store import Store, now

RECENT_DAYS = 7


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


def _row(name: str, question_ids: Sequence[str], cards: dict, scheduler: fsrs.Scheduler,
         recent: dict[str, tuple[int, int]], at: datetime) -> Row:
    seen = due = 0
    total_r = 0.0
    right = answered = 0
    for qid in question_ids:
        data = cards.get(qid)
        if data is not None:
            card = fsrs.Card.from_dict(data)
            seen += 1
            due += card.due <= at
            total_r += scheduler.get_card_retrievability(card, current_datetime=at)
        r, a = recent.get(qid, (0, 0))
        right += r
        answered += a
    mastery = total_r / len(question_ids) if question_ids else 0.0
    return Row(name, len(question_ids), seen, due, mastery, right, answered)


def mastery(store: Store, topics: dict[str, dict[str, list[str]]], at: datetime | None = None
            ) -> list[tuple[Row, list[Row]]]:
    """``topics`` maps topic → concept → question ids; returns (topic row, concept rows) pairs."""
    at = at or now()
    cards = store.cards()
    scheduler = fsrs.Scheduler()
    recent: dict[str, tuple[int, int]] = {}
    for review in store.reviews(since=at - timedelta(days=RECENT_DAYS)):
        r, a = recent.get(review.question_id, (0, 0))
        recent[review.question_id] = (r + review.correct, a + 1)
    out = []
    for topic, concepts in topics.items():
        rows = [_row(cid, qids, cards, scheduler, recent, at) for cid, qids in concepts.items()]
        all_ids = list(dict.fromkeys(q for qids in concepts.values() for q in qids))
        out.append((_row(topic, all_ids, cards, scheduler, recent, at), rows))
    return out
