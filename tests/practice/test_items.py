"""Bank questions become practice items: shuffled choices, fresh generated numbers."""

from __future__ import annotations

import pytest
import sympy

from cvquiz.answers.check import check_answer
from cvquiz.bank import schema as S
from cvquiz.bank.load import load_course_bank
from cvquiz.practice.items import PlannedItems, build_item, leads_first, light_first, plan_items, practised
from cvquiz.practice.schedule import Schedule
from cvquiz.practice.store import Store
from cvquiz.text import Text


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


def numeric(qid, follows=None):
    text = Text(qid, qid)
    return S.NumericQuestion(id=qid, concepts=("sequence.decoding",), difficulty=1, prompt=text, explanation=text,
                             exact=sympy.Integer(1), follows=follows, topic="sequence")


def test_a_follower_is_never_asked_before_its_lead_whatever_the_shuffle(tmp_path):
    questions = [numeric("beam"), numeric("beam-best", follows="beam"), numeric("beam-next", follows="beam-best"),
                 *(numeric(f"other{i}") for i in range(5))]
    with Store(tmp_path / "p.sqlite3") as store:
        schedule = Schedule(store, fuzz=False)
        for seed in range(40):
            plan = [i.question_id for i in plan_items(questions, store, schedule, count=8, new=8, seed=f"{seed:x}")]
            assert sorted(plan) == sorted(q.id for q in questions)
            assert plan.index("beam") < plan.index("beam-best") < plan.index("beam-next")


def test_a_follower_brings_its_lead_into_a_short_session_just_before_it():
    by_id = {q.id: q for q in (numeric("lead"), numeric("mid", follows="lead"), numeric("last", follows="mid"),
                               numeric("x"))}
    assert leads_first(["x", "last"], by_id) == ["x", "lead", "mid", "last"]
    assert leads_first(["lead", "x", "mid"], by_id) == ["lead", "x", "mid"]
    assert leads_first(["mid", "lead"], by_id) == ["lead", "mid"]


def test_a_follower_whose_lead_is_not_practised_is_left_out():
    by_id = {q.id: q for q in (numeric("alone", follows="elsewhere"), numeric("x"))}
    assert leads_first(["alone", "x"], by_id) == ["x"]


def test_the_built_in_followers_follow_a_question_of_their_own_concepts(bank):
    """Practising a concept never strands a follower: its lead is selected with it."""
    followers = [q for q in bank.questions.values() if q.follows]
    assert followers
    for q in followers:
        lead = bank.questions[q.follows]
        assert set(q.concepts) & set(lead.concepts), q.id


def truefalse(qid, follows=None):
    text = Text(qid, qid)
    return S.TrueFalseQuestion(id=qid, concepts=("sequence.decoding",), difficulty=1, prompt=text, explanation=text,
                               truth=True, feedback=text, follows=follows, topic="sequence")


def test_a_session_opening_on_a_question_that_needs_sympy_opens_on_the_first_light_one_instead():
    by_id = {q.id: q for q in (numeric("n1"), numeric("n2"), truefalse("t-follower", follows="n1"),
                               truefalse("t1"), truefalse("t2"))}
    assert light_first(["n1", "n2", "t-follower", "t1", "t2"], by_id) == ["t1", "n1", "n2", "t-follower", "t2"]
    assert light_first(["t2", "n1", "t1"], by_id) == ["t2", "n1", "t1"]  # already light: unchanged
    assert light_first(["n1", "n2"], by_id) == ["n1", "n2"]  # nothing light: unchanged
    assert light_first([], by_id) == []


def test_planned_items_are_built_one_at_a_time_when_asked_for(tmp_path):
    questions = [truefalse("t1"), numeric("n1"), truefalse("t2")]
    with Store(tmp_path / "p.sqlite3") as store:
        items = plan_items(questions, store, Schedule(store, fuzz=False), count=3, new=3, seed="1")
        assert isinstance(items, PlannedItems) and len(items) == 3
        assert items._built == {}
        first = items[0]
        assert list(items._built) == [0] and items[0] is first
        assert [i.question_id for i in items] == [q.id for q in items.questions]
        assert items[-1] is items[2] and items[0:2] == [items[0], items[1]]
        with pytest.raises(IndexError):
            items[3]


def test_a_lead_brought_in_for_its_follower_counts_towards_the_session_size(tmp_path):
    # Regression: `--count 2` could open "[1/3]" when a planned follower brought its lead along.
    questions = [numeric("lead"), numeric("follower", follows="lead"), *(numeric(f"other{i}") for i in range(4))]
    with Store(tmp_path / "p.sqlite3") as store:
        schedule = Schedule(store, fuzz=False)
        for seed in range(40):
            plan = [q.id for q in plan_items(questions, store, schedule, count=2, new=2, seed=f"{seed:x}").questions]
            assert len(plan) <= 2
            assert "follower" not in plan or plan.index("lead") < plan.index("follower")
