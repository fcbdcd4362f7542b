"""Every check ends within its budget (issue #14 item 1): the combined degree bound in the safe
evaluator, and the worker process that is killed and restarted past the budget."""

from __future__ import annotations

import itertools
import time

import pytest

from cvquiz.answers import Mistake, Verdict
from cvquiz.answers.arith import MAX_DEGREE
from cvquiz.answers.check import check_answer, check_here
from cvquiz.answers.parse import AnswerFormatError, parse_expression
from cvquiz.answers.worker import CHECK_BUDGET_S, TOO_SLOW, CheckWorker, session_worker
from cvquiz.text import Text

BOUND_S = 2 * CHECK_BUDGET_S  # what a student may wait at most, with room for a loaded machine

CORES = ["(N^1000)^1000", "((sqrt(N))^-1000)^999", "((N+1)^1000)^1000"]
WRAPPERS = ["log", "floor", "sqrt", "exp", "abs", "sin", "tanh"]


def timed_check(typed: str, expected: str = "N^2") -> tuple[Verdict, float]:
    start = time.monotonic()
    verdict = check_answer("expression", expected, typed, symbols=["N"])
    return verdict, time.monotonic() - start


def test_the_triple_log_of_a_huge_combined_power_is_invalid_at_once_instead_of_taking_a_minute():
    # Regression: this took 20-80 s against an expression question in N.
    verdict, seconds = timed_check("log(log(log(((sqrt(N))^-1000)^999)))")
    assert verdict.status == "invalid" and seconds < BOUND_S
    assert "degree above 100" in verdict.message.en and "100 次" in verdict.message.zh


@pytest.mark.parametrize("core,outer,inner", [
    (c, o, i) for c, o, i in itertools.product(CORES, WRAPPERS, WRAPPERS)])
def test_two_functions_around_a_huge_combined_power_end_within_the_budget(core, outer, inner):
    # Regression: 46 of these 147 ran past 5 s.
    verdict, seconds = timed_check(f"{outer}({inner}({core}))")
    assert verdict.status in ("invalid", "wrong") and seconds < BOUND_S


@pytest.mark.parametrize("text,degree_ok", [
    ("(N^10)^10", True), ("(N^10)^11", False), ("N^50*N^50", True), ("N^50*N^51", False),
    ("N^60+N^100", True), ("(N+1)^100/N", False), ("log((N^20)^5)", True), ("sqrt((N^20)^6)", False),
    ("2^N", True), ("(2^N)^50", True), ("(2^N)^51", False), ("-(N^101)", False),
])
def test_the_degree_bound_adds_over_products_and_multiplies_through_powers(text, degree_ok):
    if degree_ok:
        parse_expression(text, ["N"])
    else:
        with pytest.raises(AnswerFormatError, match=f"degree above {MAX_DEGREE}"):
            parse_expression(text, ["N"])


def test_answers_of_the_course_size_are_untouched_by_the_degree_bound():
    assert check_answer("expression", "2*N^2*d + 4*N*d^2", "2N^2 d + 4 N d^2", symbols=["N", "d"]).correct


def test_a_check_past_the_budget_is_invalid_and_the_worker_is_restarted_for_the_next_one():
    worker = CheckWorker(budget_s=0.05)
    try:
        assert worker.check("number", "3/7", "3/7").correct  # started and warm
        start = time.monotonic()
        # Legal (degree 100) but slow for sympy in a fresh worker: far more than 0.05 s.
        verdict = worker.check("expression", "N", "log(log(log((N+1)^100))) + log(log(log((N+2)^100)))",
                               symbols=("N",))
        assert time.monotonic() - start < 0.05 + 1.0
        assert verdict == Verdict("invalid", message=TOO_SLOW)
        assert worker.restarts == 1
        assert worker.check("number", "3/7", "6/14").correct
    finally:
        worker.close()


def test_the_worker_gives_the_same_verdicts_as_checking_in_process():
    cases = [("number", "3/7", "0.4286"), ("number", "3/7", "3/4"), ("expression", "d_k", "sqrt(d_k)"),
             ("shape", [2, 8], "2x8"), ("choice", 1, "B"), ("truefalse", True, "对"), ("number", "1", "abc")]
    mistakes = {"number": (Mistake("3/4", Text("TP/FP", "TP/FP")),),
                "expression": (Mistake("sqrt(d_k)", Text("std", "标准差")),)}
    for kind, expected, typed in cases:
        kwargs = dict(mistakes=mistakes.get(kind, ()))
        assert check_answer(kind, expected, typed, **kwargs) == check_here(kind, expected, typed, **kwargs)


def test_a_callers_mistake_is_still_raised_through_the_worker():
    with pytest.raises(ValueError, match="kind: expected one of"):
        check_answer("colour", 1, "red")
    with pytest.raises(ValueError, match="Unknown name 'd_k'"):  # an error that does not pickle as itself
        check_answer("number", "3/7", "0.4", mistakes=[Mistake("sqrt(d_k)", Text("x", "x"))])


def test_the_worker_is_started_once_per_session_and_reused():
    worker = session_worker()
    check_answer("number", "1/2", "0.5")
    proc = worker._proc
    for typed in ("0.5", "1/2", "2/4"):
        assert check_answer("number", "1/2", typed).correct
    assert worker._proc is proc and proc.is_alive()


def test_turning_the_worker_off_checks_in_process(monkeypatch):
    monkeypatch.setenv("CVQUIZ_CHECK_WORKER", "0")
    assert session_worker() is None
    assert check_answer("number", "3/7", "3/7").correct


@pytest.mark.parametrize("typed", ["max(N+1, (N+1)^100)", "min(N, (N+2)^100 - N)", "max(N, (N+1)^60) + min(1, N^40)"])
def test_max_and_min_of_formulas_are_compared_at_points_without_sympy_ordering_them(typed):
    # Found by the fuzz run: sympy ordered N + 1 and (N + 1)^100 for every positive N (24 s).
    start = time.monotonic()
    assert check_here("expression", "N^2", typed, symbols=["N"]).status == "wrong"
    assert time.monotonic() - start < CHECK_BUDGET_S


def test_max_of_formulas_still_agrees_where_it_is_the_same_function():
    assert check_here("expression", "N^2", "max(N^2, N^2 - 1)", symbols=["N"]).correct
