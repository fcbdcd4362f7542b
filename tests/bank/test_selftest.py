"""`bank check` answers every question with its own answer and with each listed mistake."""

from __future__ import annotations

import sympy

from cvquiz.answers import Mistake, Tolerance
from cvquiz.bank import schema as S
from cvquiz.bank.load import load_bank_file
from cvquiz.bank.selftest import missing_hints, self_test, typed_answer
from cvquiz.text import Text
from tests.bank.conftest import GOOD_BANK, write

T = Text("t", "文")


def test_a_good_bank_answers_itself(tmp_path, syllabus):
    (tmp_path / "assignments" / "nms").mkdir(parents=True)
    questions = load_bank_file(write(tmp_path / "detection.yaml", GOOD_BANK), syllabus)
    assert {q.id: typed_answer(q) for q in questions if q.answer_kind} == {
        "detection.nms-tie": "A", "detection.ap-facts": "A, B", "detection.nms-differentiable": "false",
        "detection.precision": "3/7", "attention.score-scale": "d_k", "attention.scores-shape": "[2, 8, 64, 64]",
        "detection.nms-kept": "0 2"}
    assert self_test(questions) == []


def numeric(exact, *, tol=Tolerance(abs=0), wrong=()):
    return S.NumericQuestion(id="q", concepts=("detection.metrics",), difficulty=1, prompt=T, explanation=T,
                             exact=exact, tol=tol, wrong=wrong, file="f.yaml", line=7)


def test_a_mistake_the_checker_accepts_is_reported():
    q = numeric(sympy.Rational(1, 3), tol=Tolerance(rel=0.05), wrong=(Mistake(sympy.Rational(33, 100), T),))
    assert self_test([q]) == ["f.yaml:7: q: mistakes[0] typed as '33/100' is judged correct; expected wrong, "
                              "with that mistake's feedback"]


def test_an_answer_the_checker_cannot_take_is_reported_not_raised():
    problems = self_test([numeric(sympy.Symbol("x"))])
    assert len(problems) == 1
    assert problems[0].startswith("f.yaml:7: q: its own answer typed as 'x' is judged ")
    assert problems[0].endswith("; expected correct")


def test_a_generated_question_whose_generator_refuses_its_options_is_reported():
    q = S.GeneratedQuestion(id="g", concepts=("detection.nms",), difficulty=1, generator="bank_test_gen",
                            options={"size": 0}, file="f.yaml", line=3)
    assert self_test([q]) == ["f.yaml:3: g.options: generator 'bank_test_gen' fails with these options (seed 0): "
                              "problem 'bank_test_gen': option 'size': expected a positive integer, got 0"]


def test_a_generated_question_is_warned_only_when_neither_it_nor_its_generator_has_a_hint():
    from cvquiz.problems import registry as reg

    def make(rng):
        return reg.Draft(params={}, prompt=T, answer=sympy.Integer(1), answer_kind="number", solution=T,
                         hint=None)  # a hint is required of generators; a careless one may still omit it

    reg.problem("bank_test_nohint", topic="detection", concepts=("detection.nms",), version=1, title=T)(make)
    try:
        plain = dict(concepts=("detection.nms",), difficulty=1, file="f.yaml")
        questions = [S.GeneratedQuestion(id="hinted-by-generator", generator="bank_test_gen", line=3, **plain),
                     S.GeneratedQuestion(id="hinted", generator="bank_test_nohint", hint=T, line=9, **plain),
                     S.GeneratedQuestion(id="bare", generator="bank_test_nohint", line=15, **plain)]
        assert missing_hints(questions) == [
            "f.yaml:15: hint: bare: a generated question without a hint; expected a hint in 'en' and 'zh' "
            "(a nudge towards the method, not the answer)"]
    finally:
        reg.unregister("bank_test_nohint")


def test_choice_truefalse_and_code_questions_want_no_hint():
    assert {kind for kind, cls in S.QUESTION_TYPES.items() if cls.wants_hint} == {
        "numeric", "expression", "shape", "order", "generated"}
