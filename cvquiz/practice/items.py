"""Turn bank questions into practice :class:`~cvquiz.practice.session.Item` objects.

A fixed question becomes one item as written. A ``generated`` question asks its problem
generator for a fresh variant: the seed derives from (the user's practice secret, the question
id, the attempt number), so every review brings new numbers, and the same numbers come back
for the same attempt (an instructor or a test can regenerate them). Code questions are graded
by the grader, not drilled here.
"""

from __future__ import annotations

import random
from typing import Iterable, Sequence

from cvquiz.answers import Mistake
from cvquiz.bank import schema as S
from cvquiz.practice.schedule import Schedule
from cvquiz.practice.session import Item, Part
from cvquiz.practice.store import Store
from cvquiz.problems.registry import Rng, Variant, derive_seed
from cvquiz.text import Text

PRACTISED_KINDS = tuple(k for k in S.KINDS if k != "code")


def _join(first: Text | None, second: Text | None) -> Text | None:
    if first is None:
        return second
    if second is None:
        return first
    return Text(f"{first.en}\n\n{second.en}", f"{first.zh}\n\n{second.zh}")


def item_from_question(question: S.Question, order: Sequence[int] | None = None) -> Item:
    """A fixed (not generated) question as an item; ``order`` shows choice ``order[p]`` at
    position ``p`` (a bank lists its right choice anywhere, but a drill must not teach that
    position)."""
    choices_in_file = tuple(getattr(question, "choices", ()))
    order = list(order) if order is not None and choices_in_file else list(range(len(choices_in_file)))
    position = {original: shown for shown, original in enumerate(order)}
    expected = question.answer
    mistakes = tuple(question.mistakes)
    if isinstance(question, S.ChoiceQuestion):
        expected = position[question.answer]
        mistakes = tuple(Mistake(position[m.answer], m.feedback) for m in mistakes)
    elif isinstance(question, S.MultiQuestion):
        expected = frozenset(position[i] for i in question.answer)
        # The commonest slip: every right choice plus one wrong one; say why that one is wrong.
        mistakes += tuple(Mistake(expected | {position[i]}, c.feedback) for i, c in enumerate(choices_in_file)
                          if not c.correct and c.feedback is not None)
    part = Part(kind=question.answer_kind, expected=expected, tolerance=question.tolerance,
                mistakes=mistakes, symbols=tuple(question.symbols), n_choices=question.n_choices)
    return Item(question_id=question.id, topic=question.topic, concepts=tuple(question.concepts),
                prompt=question.prompt, parts=(part,), explanation=question.explanation,
                hint=question.hint, choices=tuple(choices_in_file[i].text for i in order),
                difficulty=question.difficulty, order=tuple(order))


def parts_of(variant: Variant) -> tuple[Part, ...]:
    """One part per answer; a mapping answer is asked one named part at a time."""
    if variant.answer_kind != "mapping":
        return (Part(kind=variant.answer_kind, expected=variant.answer, tolerance=variant.tolerance,
                     mistakes=tuple(variant.mistakes)),)
    parts = []
    for name, expected in variant.answer.items():
        kind = (variant.parts_kind or {}).get(name, "number")
        mistakes = tuple(Mistake(m.answer[name], m.feedback) for m in variant.mistakes
                         if isinstance(m.answer, dict) and name in m.answer and m.answer[name] != expected)
        tolerance = (variant.part_tolerances or {}).get(name, variant.tolerance)
        tolerance = tolerance if kind in ("number", "vector") else None
        parts.append(Part(kind=kind, expected=expected, name=name, tolerance=tolerance, mistakes=mistakes))
    return tuple(parts)


def item_from_variant(question: S.GeneratedQuestion, variant: Variant) -> Item:
    return Item(question_id=question.id, topic=question.topic, concepts=tuple(question.concepts),
                prompt=_join(question.prompt, variant.prompt), parts=parts_of(variant),
                explanation=_join(variant.solution, question.explanation),
                hint=variant.hint or question.hint, seed=variant.seed, figure=variant.figure,
                difficulty=question.difficulty)


def build_item(question: S.Question, secret: bytes, attempt: int) -> Item:
    """The item for ``question`` at this ``attempt``: fresh numbers for a generated question,
    a fresh choice order for a choice question (both fixed by the secret and the attempt)."""
    if isinstance(question, S.GeneratedQuestion):
        from cvquiz.problems.registry import make

        variant = make(question.generator, secret=secret, question=question.id, attempt=attempt,
                       **dict(question.options))
        return item_from_variant(question, variant)
    choices = getattr(question, "choices", ())
    if not choices:
        return item_from_question(question)
    rng = Rng(derive_seed(secret, "", question.id, attempt))
    return item_from_question(question, rng.shuffle(list(range(len(choices)))))


#: Kinds whose item needs sympy or a generator before it can be shown (an exact answer decides
#: how the accepted answer is described; a generated question draws its numbers).
_HEAVY_KINDS = ("numeric", "expression", "generated")


class PlannedItems(Sequence[Item]):
    """A session's items in order, each built when first asked for (then kept).

    Building an item of a generated question draws its numbers, which needs sympy and the
    generators; built one at a time, the first question can be shown before they load
    (:mod:`cvquiz.practice.warmup` loads them while the student reads it).
    """

    def __init__(self, questions: Sequence[S.Question], secret: bytes, attempts: dict[str, int]):
        self.questions = list(questions)
        self._secret = secret
        self._attempts = attempts
        self._built: dict[int, Item] = {}

    def __len__(self) -> int:
        return len(self.questions)

    def __getitem__(self, index):  # type: ignore[override]
        if isinstance(index, slice):
            return [self[i] for i in range(*index.indices(len(self)))]
        if index < 0:
            index += len(self)
        if not 0 <= index < len(self):
            raise IndexError(index)
        if index not in self._built:
            question = self.questions[index]
            if question.kind in _HEAVY_KINDS:
                from cvquiz.practice import warmup

                warmup.wait()
            self._built[index] = build_item(question, self._secret, self._attempts.get(question.id, 0))
        return self._built[index]


def light_first(plan: Sequence[str], by_id: dict[str, S.Question]) -> list[str]:
    """``plan`` with, when it starts with a question that needs sympy to be shown (numeric,
    expression, generated), the first one that does not (and follows no other) moved to the front:
    the session then opens at once while sympy loads in the background. Nothing else moves."""
    plan = list(plan)
    if plan and by_id[plan[0]].kind in _HEAVY_KINDS:
        for k, qid in enumerate(plan):
            if by_id[qid].kind not in _HEAVY_KINDS and by_id[qid].follows is None:
                plan.insert(0, plan.pop(k))
                break
    return plan


def practised(questions: Iterable[S.Question]) -> list[S.Question]:
    """The questions that can be drilled in the terminal (all but code)."""
    return [q for q in questions if q.kind in PRACTISED_KINDS]


def leads_first(plan: Sequence[str], by_id: dict[str, S.Question]) -> list[str]:
    """``plan`` with every follower asked after the question it ``follows``.

    A follower continues its lead ("Same model: ...") and cannot be asked alone: its lead (and
    the lead's own lead, ...) is asked just before it unless already asked earlier in the plan.
    A follower whose lead is not among ``by_id`` (the questions being practised) is left out.
    """
    out: list[str] = []
    for qid in plan:
        chain = [qid]
        while by_id[chain[-1]].follows is not None and chain[-1] not in out:
            lead = by_id[chain[-1]].follows
            if lead not in by_id or lead in chain:
                chain = []
                break
            chain.append(lead)
        out.extend(q for q in reversed(chain) if q not in out)
    return out


def plan_items(questions: Sequence[S.Question], store: Store, schedule: Schedule, *, count: int, new: int,
               mistakes: bool = False, ahead: bool = False, seed: str | None = None) -> PlannedItems:
    """The session's items: with ``mistakes`` the questions last answered wrong; otherwise due
    questions first, then up to ``new`` never-seen ones in a random order (fixed by ``seed``), then,
    with ``ahead``, the soonest-due others. A follower comes after its lead (:func:`leads_first`),
    the lead counting towards ``count``.
    A ``seed`` also replaces the user's secret, so the whole session (order, choice order, numbers)
    repeats.
    """
    by_id = {q.id: q for q in questions}
    if mistakes:
        plan = [qid for qid in store.last_wrong() if qid in by_id][:count]
    else:
        rng = random.Random(int(seed, 16) if seed else None)
        seen = [q.id for q in questions if schedule.card(q.id) is not None]
        unseen = [q.id for q in questions if schedule.card(q.id) is None]
        plan = schedule.plan(seen + rng.sample(unseen, k=len(unseen)), count=count, new=new, ahead=ahead)
    # A lead brought in before its follower counts towards ``count``: the session keeps the
    # size it announces (cutting the tail never leaves a follower without its lead).
    plan = light_first(leads_first(plan, by_id)[:count], by_id)
    secret = f"session seed {seed}".encode() if seed else store.secret()
    attempts: dict[str, int] = {}
    for review in store.reviews():
        attempts[review.question_id] = attempts.get(review.question_id, 0) + 1
    return PlannedItems([by_id[qid] for qid in plan], secret, attempts)
