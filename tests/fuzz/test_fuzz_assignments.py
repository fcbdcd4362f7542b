"""Fuzz runs of the assignment loader (issue #15): a 500-case sample of mutated assignment.yaml
files in the default run, 10,000 with ``-m slow``; each case ends with an assignment or a
file:line error within 2 s (the watchdog kills a case's process past that)."""

from __future__ import annotations

import pytest

from tests.fuzz import assignments
from tests.fuzz.test_fuzz import FIRST, FULL, SAMPLE
from tests.fuzz.mutators import alias_bomb, nesting_bomb
from tests.fuzz.runner import Case, run_cases


def test_a_sample_of_mutated_assignments_each_end_with_an_assignment_or_a_file_line_error_within_2_s():
    report = run_cases(assignments.load_target, assignments.assignment_cases(FIRST, SAMPLE),
                       bound_s=assignments.ASSIGNMENT_BOUND_S, setup=assignments.setup)
    assert not report.failures, report.summary()


def test_alias_and_nesting_bombs_in_an_assignment_end_with_a_file_line_error_within_2_s():
    import random

    cases = []
    for seed in range(20):
        rng = random.Random(seed)
        bomb = alias_bomb(rng) if seed % 2 else nesting_bomb(rng)
        cases.append(Case(seed, "bomb", bomb))
        inside = assignments.SEEDS[seed % 2] + "bomb:\n" + "".join(f"  {line}\n" for line in bomb.splitlines())
        cases.append(Case(seed, "bomb inside a valid assignment", inside))
    report = run_cases(assignments.load_target, cases, bound_s=assignments.ASSIGNMENT_BOUND_S,
                       setup=assignments.setup)
    assert not report.failures, report.summary()


@pytest.mark.slow
def test_ten_thousand_mutated_assignments_each_end_with_an_assignment_or_a_file_line_error_within_2_s():
    report = run_cases(assignments.load_target, assignments.assignment_cases(FIRST + SAMPLE, FULL),
                       bound_s=assignments.ASSIGNMENT_BOUND_S, setup=assignments.setup)
    assert not report.failures, report.summary()
