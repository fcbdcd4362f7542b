"""Bank questions become practice items: shuffled choices, fresh generated numbers."""

from __future__ import annotations

import pytest

from cvquiz.answers.check import check_answer
from cvquiz.bank import schema as S
from cvquiz.bank.load import load_course_bank
from cvquiz.practice.items import build_item, practised


@pytest.fixture(scope="module")
def bank(course):
    return load_course_bank(course)


def test_choice_order_changes_between_attempts_and_the_right_choice_follows_it(bank):
    question = next(q for q in bank.questions.values() if isinstance(q, S.ChoiceQuestion) and len(q.choices) >= 4)
    right_text = question.choices[question.answer].text
    orders = set()
    for attempt in range(12):
        item = build_item(question, b"secret", attempt)
        [part] = item.parts
        assert item.choices[part.expected] == right_text
        assert sorted(c.en for c in item.choices) == sorted(c.text.en for c in question.choices)
        orders.add(tuple(c.en for c in item.choices))
        assert check_answer("choice", part.expected, "ABCDEF"[part.expected], n_choices=len(item.choices)).correct
    assert len(orders) > 1


def test_a_wrong_choice_keeps_its_feedback_after_shuffling(bank):
    question = next(q for q in bank.questions.values() if isinstance(q, S.ChoiceQuestion))
    item = build_item(question, b"k", 3)
    [part] = item.parts
    for mistake in part.mistakes:
        original = next(c for c in question.choices if c.text == item.choices[mistake.answer])
        assert original.feedback == mistake.feedback and not original.correct


def test_multi_choice_answers_are_remapped_as_a_set(bank):
    question = next(q for q in bank.questions.values() if isinstance(q, S.MultiQuestion))
    item = build_item(question, b"k", 5)
    [part] = item.parts
    assert {item.choices[i] for i in part.expected} == {c.text for c in question.choices if c.correct}


def test_a_generated_question_gets_new_numbers_at_each_attempt_and_the_same_for_the_same_attempt(bank):
    question = next(q for q in bank.questions.values() if isinstance(q, S.GeneratedQuestion) and q.generator == "iou")
    first, again, second = (build_item(question, b"s", a) for a in (0, 0, 1))
    assert first.prompt == again.prompt and first.seed == again.seed
    assert first.seed != second.seed


def test_code_questions_are_not_drilled(bank):
    assert all(q.kind != "code" for q in practised(bank.questions.values()))
