"""Digits grouped in threes are one number (as cvquiz prints 1,048,576); a stray e is a typo."""

from __future__ import annotations

import pytest
import sympy

from cvquiz.answers.check import check_answer
from cvquiz.answers.parse import parse_number, parse_shape


@pytest.mark.parametrize("typed, value", [("1,048,576", 1048576), ("-12,000.5", sympy.Rational(-24001, 2)),
                                          ("１,０００", 1000)])
def test_a_number_grouped_in_exact_threes_is_read_as_one_number(typed, value):
    assert parse_number(typed) == value
    assert check_answer("number", value, typed).correct


@pytest.mark.parametrize("typed", ["1,04,8576", "0,43", "1,0000", "12,34,567"])
def test_any_other_comma_in_a_number_is_invalid_not_wrong(typed):
    verdict = check_answer("number", 1048576, typed)
    assert verdict.status == "invalid" and "threes" in verdict.message.en


def test_a_comma_still_separates_the_entries_of_a_shape():
    assert parse_shape("1,048,576") == (1, 48, 576)


@pytest.mark.parametrize("typed", ["0.5e", "2E+", ".5e-"])
def test_an_exponent_marker_without_an_exponent_is_invalid_not_half_of_e(typed):
    verdict = check_answer("number", sympy.Rational(1, 2), typed)
    assert verdict.status == "invalid" and "no power of ten" in verdict.message.en
    assert check_answer("number", sympy.E / 2, "0.5*e").correct and check_answer("number", sympy.Rational(1, 2), "5e-1").correct
