"""The practice loop, without any terminal I/O.

A :class:`Session` walks through a list of :class:`Item` (a bank question, or a fresh variant
of a generated one), takes what the student typed, checks it with :mod:`cvquiz.answers.check`
and records the review in the :class:`~cvquiz.practice.schedule.Schedule`. The screen
(:mod:`cvquiz.practice.screen`) only shows what the session says.

Rules: a malformed answer is not an attempt (it says what format is expected and asks again,
and a later right answer is rated Hard); a hint makes a right answer Hard; a skip is not a
review; asking for the answer (:meth:`Session.reveal`) is a lapse (rated Again). In exam mode
nothing is revealed until the end, an answer typed after the time is up is kept as late (shown in
the review, never scored), and the score is out of every question of the paper, those not
reached included.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any, Callable, Sequence

from cvquiz.answers import AnswerKind, Mistake, Tolerance, Verdict
from cvquiz.practice.schedule import Schedule, rating_for
from cvquiz.practice.store import Review, now
from cvquiz.text import Text


#: The stored answer of a question whose answer the student asked to see.
REVEALED = "(answer shown)"


@dataclass(frozen=True)
class Part:
    """One answer to type: the whole question, or one named part of a mapping answer."""

    kind: AnswerKind
    expected: Any
    name: str | None = None
    tolerance: Tolerance | None = None
    mistakes: tuple[Mistake, ...] = ()
    symbols: tuple[str, ...] = ()
    n_choices: int | None = None

    @property
    def answer_format(self) -> Text:
        """How to type this answer (the drill's format line; an exam paper prints it too)."""
        from cvquiz.answers.formats import expected_format

        symbols = self.symbols
        if self.kind == "expression":
            # Name the symbols the answer is written in; a symbol kept only so that a known wrong
            # answer (H·N²·D) can be typed and explained is still accepted, but not announced.
            named = {str(x) for x in getattr(self.expected, "free_symbols", ())}
            symbols = tuple(x for x in symbols if x in named) or symbols
        return expected_format(self.kind, symbols=symbols, n_choices=self.n_choices)


@dataclass(frozen=True)
class Item:
    """A question ready to ask."""

    question_id: str
    topic: str
    concepts: tuple[str, ...]
    prompt: Text
    parts: tuple[Part, ...]
    explanation: Text | None = None
    hint: Text | None = None
    choices: tuple[Text, ...] = ()
    seed: str | None = None  # the variant's seed, for a generated question
    figure: dict | None = None
    difficulty: int = 1
    order: tuple[int, ...] = ()  # choice order[p] of the bank is shown at position p

    def bank_labels(self, typed: str, part: Part) -> str:
        """A typed choice answer restated in the bank's own order of choices ("C" typed where
        the bank's choice A was shown third gives "A"), so that a stored answer can be read
        back without knowing the shuffle; other answers as typed."""
        if part.kind not in ("choice", "multi") or not self.order:
            return typed
        from cvquiz.answers.parse import parse_labels

        try:
            shown = parse_labels(typed, part.n_choices)
        except Exception:  # noqa: BLE001 - an unreadable answer is kept as typed
            return typed
        return ", ".join(chr(ord("A") + self.order[i]) for i in shown if i < len(self.order))

    @property
    def accepted(self) -> Text | None:
        """The accepted-answer rule, as stated to the student (numeric answers only)."""
        numeric = [p for p in self.parts if p.kind in ("number", "vector")]
        if not numeric:
            return None
        if len({p.tolerance for p in numeric}) > 1:  # parts with rules of their own: name each
            rules = [(p.name, _rule(p)) for p in numeric]
            return Text("; ".join(f"{name}: {r.en}" for name, r in rules),
                        "；".join(f"{name}：{r.zh}" for name, r in rules))
        return _rule(numeric[0])

    @property
    def answer_format(self) -> Text:
        """How to type the answer (of the first part)."""
        return self.parts[0].answer_format


def _rule(part: Part) -> Text:
    """The accepted-answer rule of one numeric part."""
    whole = part.kind == "number" and getattr(part.expected, "is_Integer", isinstance(part.expected, int))
    if whole and (part.tolerance is None or not part.tolerance.abs):
        return Text("the exact whole number", "须为精确的整数")
    return part.tolerance.describe() if part.tolerance is not None else Tolerance().describe()


@dataclass
class Attempt:
    """What happened to one item."""

    item: Item
    typed: list[str] = field(default_factory=list)
    stored: list[str] = field(default_factory=list)  # what is stored: choices in the bank's order
    verdicts: list[Verdict] = field(default_factory=list)
    hinted: bool = False
    invalid_tries: int = 0
    skipped: bool = False
    revealed: bool = False  # the student asked for the answer (a lapse)
    late: str | None = None  # an exam answer typed after the time was up (not scored)
    correct: bool | None = None
    rating: int | None = None
    started: float = field(default_factory=time.monotonic)


@dataclass(frozen=True)
class Outcome:
    """The session's answer to one typed line."""

    verdict: Verdict
    part: Part
    item_done: bool
    attempt: Attempt


@dataclass(frozen=True)
class Summary:
    asked: int
    correct: int
    wrong: int
    skipped: int
    hinted: int
    by_topic: dict[str, tuple[int, int]]  # topic -> (correct, answered)
    revealed: int = 0
    total: int = 0  # the questions of the session (of the paper, in an exam)
    skipped_items: tuple[Item, ...] = ()


@dataclass(frozen=True)
class ExamRow:
    """One question of a mock exam paper as reviewed at the end."""

    number: int
    item: Item
    status: str  # "correct", "wrong", "skipped", "late" or "unreached"
    attempt: Attempt | None


class Session:
    """Practice over ``items``; reviews go to ``schedule`` (None: record nothing)."""

    def __init__(self, items: Sequence[Item], schedule: Schedule | None,
                 check: Callable[..., Verdict] | None = None, exam: bool = False):
        self.items = items if isinstance(items, Sequence) else list(items)  # a plan may build items lazily
        self.schedule = schedule
        self._check = check
        self.exam = exam
        self.attempts: list[Attempt] = []
        self._index = 0
        self._part = 0
        self._current: Attempt | None = None

    @property
    def check(self) -> Callable[..., Verdict]:
        """The answer checker (:func:`cvquiz.answers.check.check_answer` unless one was given),
        imported on the first answer: sympy is not needed to show a bank question."""
        if self._check is None:
            from cvquiz.practice import warmup

            warmup.wait()
            from cvquiz.answers.check import check_answer

            self._check = check_answer
        return self._check

    # -- where we are ----------------------------------------------------
    @property
    def item(self) -> Item | None:
        return self.items[self._index] if self._index < len(self.items) else None

    @property
    def part(self) -> Part | None:
        item = self.item
        return item.parts[self._part] if item is not None else None

    @property
    def position(self) -> tuple[int, int]:
        """(1-based number of the current item, total)."""
        return self._index + 1, len(self.items)

    @property
    def finished(self) -> bool:
        return self.item is None

    def _attempt(self) -> Attempt:
        if self._current is None or self._current.item is not self.item:
            self._current = Attempt(self.item)
        return self._current

    @property
    def hint_offered(self) -> bool:
        """Whether ``:h`` is offered for the current item: it has a hint, and this is no exam."""
        item = self.item
        return item is not None and item.hint is not None and not self.exam

    # -- actions ---------------------------------------------------------
    def hint(self) -> Text | None:
        item = self.item
        if item is None or self.exam:
            return None
        if item.hint is not None:
            self._attempt().hinted = True
        return item.hint

    def reveal(self) -> Attempt | None:
        """Give up on the current item: its answer is shown, and it is recorded as a lapse
        (wrong, rated Again). Not in an exam (None there)."""
        if self.item is None or self.exam:
            return None
        attempt = self._attempt()
        attempt.revealed = True
        attempt.correct = False
        self._record(attempt)
        self.attempts.append(attempt)
        self._advance()
        return attempt

    def late_answer(self, typed: str) -> None:
        """An exam answer typed after the time was up: kept for the review, never scored; the
        paper ends there."""
        if self.item is None:
            return
        attempt = self._attempt()
        attempt.late = typed
        self.attempts.append(attempt)
        self._index = len(self.items)
        self._current = None

    def skip(self) -> None:
        """Move on without a review."""
        if self.item is None:
            return
        attempt = self._attempt()
        attempt.skipped = True
        self.attempts.append(attempt)
        self._advance()

    def answer(self, typed: str) -> Outcome:
        """Check ``typed`` against the current part and, when the item is done, record it."""
        item, part = self.item, self.part
        if item is None or part is None:
            raise RuntimeError("the session is finished")
        attempt = self._attempt()
        verdict = self.check(part.kind, part.expected, typed, tolerance=part.tolerance,
                             mistakes=part.mistakes, symbols=part.symbols, n_choices=part.n_choices)
        if verdict.status == "invalid":
            attempt.invalid_tries += 1
            return Outcome(verdict, part, False, attempt)
        attempt.typed.append(typed)
        attempt.stored.append(item.bank_labels(typed, part))
        attempt.verdicts.append(verdict)
        if self._part + 1 < len(item.parts):
            self._part += 1
            return Outcome(verdict, part, False, attempt)
        attempt.correct = all(v.correct for v in attempt.verdicts)
        self._record(attempt)
        self.attempts.append(attempt)
        self._advance()
        return Outcome(verdict, part, True, attempt)

    def _record(self, attempt: Attempt) -> None:
        rating = rating_for(bool(attempt.correct), attempt.hinted or attempt.invalid_tries > 0)
        answer = " | ".join(attempt.stored + ([REVEALED] if attempt.revealed else []))
        attempt.rating = int(rating)
        if self.schedule is None:
            return
        item = attempt.item
        self.schedule.record(Review(
            question_id=item.question_id, at=now(), rating=int(rating), correct=bool(attempt.correct),
            topic=item.topic, concepts=item.concepts, hinted=attempt.hinted,
            answer=answer, seed=item.seed,
            seconds=round(time.monotonic() - attempt.started, 1)))

    def _advance(self) -> None:
        self._index += 1
        self._part = 0
        self._current = None

    # -- the end ---------------------------------------------------------
    def exam_rows(self) -> list[ExamRow]:
        """Every question of the paper in order, with what became of it."""
        by_item = {id(a.item): a for a in self.attempts}
        rows = []
        for number, item in enumerate(self.items, start=1):
            attempt = by_item.get(id(item))
            if attempt is None:
                status = "unreached"
            elif attempt.late is not None:
                status = "late"
            elif attempt.skipped:
                status = "skipped"
            else:
                status = "correct" if attempt.correct else "wrong"
            rows.append(ExamRow(number, item, status, attempt))
        return rows

    def summary(self) -> Summary:
        answered = [a for a in self.attempts if not a.skipped and a.late is None]
        by_topic: dict[str, tuple[int, int]] = {}
        for a in answered:
            right, total = by_topic.get(a.item.topic, (0, 0))
            by_topic[a.item.topic] = (right + bool(a.correct), total + 1)
        return Summary(
            asked=len(self.attempts),
            correct=sum(bool(a.correct) for a in answered),
            wrong=sum(not a.correct for a in answered),
            skipped=sum(a.skipped for a in self.attempts),
            hinted=sum(a.hinted for a in answered),
            by_topic=by_topic,
            revealed=sum(a.revealed for a in answered),
            total=len(self.items),
            skipped_items=tuple(a.item for a in self.attempts if a.skipped),
        )
