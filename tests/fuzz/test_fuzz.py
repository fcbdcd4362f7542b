"""Fuzz runs (issue #14): a 500-case sample of typed answers and of mutated banks in the default
run; 10,000 of each with ``-m slow``. Each case has a time bound (2x the checker's budget for an
answer, 2 s for a bank) enforced by a watchdog that kills the case's process."""

from __future__ import annotations

import os
import time

import pytest

from tests.fuzz import answers, banks
from tests.fuzz.runner import Case, run_cases

SAMPLE = 500
FULL = 10_000
#: A different sample each day (the seed of a failure is in the report); pin it to rerun one.
FIRST = int(os.environ.get("CVQUIZ_FUZZ_SEED", time.strftime("%Y%m%d"))) * 100_000


def test_a_sample_of_hostile_typed_answers_each_end_with_a_verdict_within_the_bound():
    report = run_cases(answers.check_target, answers.answer_cases(FIRST, SAMPLE), bound_s=answers.answer_bound_s(),
                         setup=answers.setup)
    assert not report.failures, report.summary()


def test_a_sample_of_mutated_banks_each_end_with_questions_or_a_file_line_error_within_2_s():
    report = run_cases(banks.load_target, banks.bank_cases(FIRST, SAMPLE), bound_s=banks.BANK_BOUND_S,
                       setup=banks.setup)
    assert not report.failures, report.summary()


@pytest.mark.slow
def test_ten_thousand_hostile_typed_answers_each_end_with_a_verdict_within_the_bound():
    report = run_cases(answers.check_target, answers.answer_cases(FIRST + SAMPLE, FULL),
                       bound_s=answers.answer_bound_s(),
                         setup=answers.setup)
    assert not report.failures, report.summary()


@pytest.mark.slow
def test_ten_thousand_mutated_banks_each_end_with_questions_or_a_file_line_error_within_2_s():
    report = run_cases(banks.load_target, banks.bank_cases(FIRST + SAMPLE, FULL), bound_s=banks.BANK_BOUND_S,
                       setup=banks.setup)
    assert not report.failures, report.summary()


# -- the runner itself ------------------------------------------------------------------------------

def _sleepy(data):
    time.sleep(data)


def _picky(data):
    assert data != "bad", "bad input"


def test_the_runner_kills_a_case_past_its_bound_names_its_seed_and_goes_on():
    cases = [Case(1, "fast", 0), Case(2, "slow", 30), Case(3, "fast", 0)]
    start = time.monotonic()
    report = run_cases(_sleepy, cases, bound_s=0.5)
    assert time.monotonic() - start < 15
    assert report.cases == 3 and [f.case.seed for f in report.failures] == [2]
    assert report.failures[0].reason == "timeout after 0.5 s"
    assert "seed 2 [slow]" in report.summary()


def test_the_runner_reports_a_case_that_raises_with_its_message():
    report = run_cases(_picky, [Case(7, "ok", "good"), Case(8, "boom", "bad")], bound_s=5)
    [failure] = report.failures
    assert failure.case.seed == 8 and "AssertionError: bad input" in failure.reason
    assert "input: 'bad'" in failure.describe()


def test_the_mutators_remake_a_case_from_its_seed():
    assert banks.bank_cases(FIRST, 20) == banks.bank_cases(FIRST, 20)
    assert answers.answer_cases(FIRST, 20) == answers.answer_cases(FIRST, 20)
    labels = {c.label.split("+")[0] for c in banks.bank_cases(0, 400)}
    assert {"alias-bomb", "nesting-bomb", "truncate", "type-swap", "odd-char", "tag"} <= labels
    assert {c.label for c in answers.answer_cases(0, 200)} == {"composition", "soup", "long", "tower"}
