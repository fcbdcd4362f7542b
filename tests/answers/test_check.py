"""Checking typed answers: tolerance semantics, exact cases, mistakes, formatting, boundaries."""

from __future__ import annotations

import time

import pytest
import sympy
from hypothesis import assume, given
from hypothesis import strategies as st

from cvquiz.answers import DEFAULT_TOLERANCE, Mistake, Tolerance, Verdict
from cvquiz.answers.check import agrees, as_number, check_answer, format_answer, near_boundary
from cvquiz.answers.parse import NUMBER_FORMAT, SHAPE_FORMAT, parse_answer
from cvquiz.text import Text

R = sympy.Rational
N, d_k, T = sympy.symbols("N d_k T")
ABS = Tolerance(abs=0.01)
REL = Tolerance(rel=0.01)
SIG3 = Tolerance(sig_figs=3)


def status(expected, typed, tolerance=None, kind="number", **kw):
    return check_answer(kind, expected, typed, tolerance=tolerance, **kw).status


# ------------------------------------------------------------------ tolerance boundaries

@pytest.mark.parametrize("typed, verdict", [
    ("0.5", "correct"), ("0.51", "correct"), ("0.49", "correct"),       # exactly at ±abs: inclusive
    ("0.5101", "wrong"), ("0.4899", "wrong"), ("51%", "correct"),
])
def test_an_absolute_tolerance_accepts_up_to_and_including_its_bound(typed, verdict):
    assert status(R(1, 2), typed, ABS) == verdict


@pytest.mark.parametrize("typed, verdict", [
    ("200.5", "correct"), ("202.505", "correct"), ("198.495", "correct"),  # 1 % of 200.5 is 2.005: inclusive
    ("202.506", "wrong"), ("198.494", "wrong"), ("-200.5", "wrong"),
])
def test_a_relative_tolerance_is_relative_to_the_expected_value(typed, verdict):
    assert status(R(401, 2), typed, REL) == verdict


def test_a_relative_tolerance_at_zero_accepts_only_zero():
    zero_ish = R(0)
    assert status(zero_ish, "0", REL) == "correct"
    assert status(zero_ish, "0.0", REL) == "correct"
    assert status(zero_ish, "1e-30", REL) == "wrong"
    assert status(zero_ish, "1e-30", Tolerance(rel=0.01, abs=1e-6)) == "correct"


def test_a_non_integer_near_zero_with_relative_tolerance_does_not_divide_by_zero():
    x = R(1, 10**20)
    assert status(x, "1.005e-20", REL) == "correct"
    assert status(x, "0", REL) == "wrong"
    assert status(x, "0", Tolerance(sig_figs=3)) == "wrong"
    assert near_boundary(x, REL) in (True, False)


@pytest.mark.parametrize("typed, verdict", [
    ("0.429", "correct"),     # 3/7 rounded to 3 figures
    ("0.4286", "correct"),    # more digits, close
    ("0.42857", "correct"),
    ("0.4289", "correct"),    # within half a unit of the 3rd figure (|err| = 0.00033 <= 0.0005)
    ("0.428", "wrong"),       # wrong rounding: |err| = 0.00057
    ("0.43", "wrong"),        # only 2 figures
    ("0.4291", "wrong"),      # |err| = 0.00053
    ("3/7", "correct"),
])
def test_significant_figures_accept_half_a_unit_in_the_last_required_figure(typed, verdict):
    assert status(R(3, 7), typed, SIG3) == verdict


def test_significant_figures_follow_the_magnitude_of_the_expected_value():
    assert status(R(1234567, 1000), "1230", SIG3) == "correct"  # 1234.567 → 1230
    assert status(R(1234567, 1000), "1240", SIG3) == "wrong"
    assert status(R(1234567, 10**9), "0.00123", SIG3) == "correct"
    assert status(R(1234567, 10**9), "1.23e-3", SIG3) == "correct"
    assert status(R(1234567, 10**9), "0.0012", SIG3) == "wrong"
    assert status(R(-3, 7), "-0.429", SIG3) == "correct"
    assert status(R(-3, 7), "0.429", SIG3) == "wrong"


def test_a_value_exactly_at_a_rounding_midpoint_accepts_both_roundings():
    x = R(4285, 10000)
    assert status(x, "0.428", SIG3) == "correct"
    assert status(x, "0.429", SIG3) == "correct"
    assert near_boundary(x, SIG3)


def test_significant_figures_do_not_apply_at_zero():
    assert status(R(0), "0.0001", SIG3) == "wrong"


def test_the_default_tolerance_accepts_half_a_percent_or_three_figures():
    x = R(3, 7)  # 0.428571...
    assert status(x, "0.4286", DEFAULT_TOLERANCE) == "correct"
    assert status(x, "0.43", DEFAULT_TOLERANCE) == "correct"    # 0.33 % off
    assert status(x, "0.4307", DEFAULT_TOLERANCE) == "correct"  # 0.497 % off
    assert status(x, "0.431", DEFAULT_TOLERANCE) == "wrong"     # 0.57 % off
    assert status(x, "0.4", DEFAULT_TOLERANCE) == "wrong"


def test_an_irrational_answer_is_compared_to_thirty_digits():
    x = sympy.sqrt(2) / 2
    assert status(x, "0.7071", DEFAULT_TOLERANCE) == "correct"
    assert status(x, "1/sqrt(2)", DEFAULT_TOLERANCE) == "correct"
    assert status(x, "0.7", DEFAULT_TOLERANCE) == "wrong"
    assert status(x, "0.707", SIG3) == "correct"
    assert status(x, "0.708", SIG3) == "wrong"


# ------------------------------------------------------------------ exact cases

@pytest.mark.parametrize("expected, typed, verdict", [
    (R(3, 7), "3/7", "correct"),
    (R(3, 7), "6/14", "correct"),
    (R(3, 7), "0.428571428571", "correct"),    # a decimal for a value with no finite decimal: within 1e-9
    (R(3, 7), "0.4285714", "wrong"),
    (R(3, 7), "0.4286", "wrong"),
    (R(3, 8), "0.375", "correct"),
    (R(3, 8), "0.37500000001", "wrong"),        # 3/8 can be typed exactly, so it must be
    (sympy.sqrt(2) / 2, "sqrt(2)/2", "correct"),
    (sympy.sqrt(2) / 2, "√2/2", "correct"),
    (sympy.sqrt(2) / 2, "0.70710678118655", "correct"),
    (sympy.sqrt(2) / 2, "0.7071", "wrong"),
    (sympy.log(8), "3 ln 2", "correct"),        # the same number written another way
    (sympy.pi / 4, "atan(1)", "correct"),
])
def test_without_a_tolerance_the_value_must_be_exact(expected, typed, verdict):
    assert status(expected, typed, None) == verdict
    assert status(expected, typed, Tolerance()) == verdict


@pytest.mark.parametrize("typed, verdict", [("12", "correct"), ("12.0", "correct"), ("1.2e1", "correct"),
                                            ("24/2", "correct"), ("12.01", "wrong"), ("11.99", "wrong")])
def test_an_integer_answer_is_exact_under_relative_and_significant_figure_tolerances(typed, verdict):
    assert status(12, typed, DEFAULT_TOLERANCE) == verdict
    assert status(sympy.Integer(12), typed, Tolerance(rel=0.5, sig_figs=1)) == verdict


def test_an_explicit_absolute_tolerance_still_applies_to_an_integer_answer():
    assert status(12, "12.01", Tolerance(abs=0.01, rel=0.5)) == "correct"
    assert status(12, "12.02", Tolerance(abs=0.01, rel=0.5)) == "wrong"
    assert near_boundary(12, Tolerance(abs=2)) is True        # 12 rounded to 1 figure is 10: on the ±2 edge
    assert near_boundary(12, Tolerance(abs=0.5)) is False
    assert near_boundary(12, Tolerance(rel=0.5)) is False


def test_expected_values_may_be_given_as_floats_ints_or_strings():
    assert as_number(0.1) == R(1, 10)
    assert as_number(7) == 7
    assert as_number("3/7") == R(3, 7)
    assert as_number(sympy.Float("0.25")) == R(1, 4)
    assert status(0.1, "1/10") == "correct"
    with pytest.raises(ValueError):
        as_number(True)
    with pytest.raises(ValueError):
        as_number(float("nan"))


@pytest.mark.parametrize("kind, expected, typed, verdict", [
    ("shape", (2, 8, 64, 64), "[2, 8, 64, 64]", "correct"),
    ("shape", (2, 8, 64, 64), "２×８×６４×６４", "correct"),
    ("shape", (2, 8, 64, 64), "[2, 64, 8, 64]", "wrong"),
    ("shape", [4, 192], "(4, 3*64)", "correct"),
    ("indices", [0, 2, 5], "0 2 5", "correct"),
    ("indices", [0, 2, 5], "[0, 5, 2]", "wrong"),       # order matters
    ("set", {0, 2, 5}, "5 0 2", "correct"),
    ("set", [0, 2, 5], "{0, 2}", "wrong"),
    ("choice", 1, "B", "correct"),
    ("choice", 1, "2", "correct"),
    ("choice", 1, "c", "wrong"),
    ("multi", {0, 2}, "C, A", "correct"),
    ("multi", {0, 2}, "A", "wrong"),
    ("truefalse", False, "错", "correct"),
    ("truefalse", False, "T", "wrong"),
    ("vector", [R(1, 2), R(1, 3)], "[0.5, 0.3333]", "correct"),
    ("vector", [R(1, 2), R(1, 3)], "[0.5]", "wrong"),
    ("vector", [R(1, 2), R(1, 3)], "[0.5, 0.34]", "wrong"),
])
def test_each_kind_compares_as_its_kind(kind, expected, typed, verdict):
    assert check_answer(kind, expected, typed, tolerance=DEFAULT_TOLERANCE, n_choices=4).status == verdict


@pytest.mark.parametrize("typed, verdict", [
    ("2*N*d_k", "correct"), ("2 N d_k", "correct"), ("d_k N 2", "correct"), ("N*d_k + N*d_k", "correct"),
    ("sqrt(4 N^2 d_k^2)", "correct"), ("N*d_k", "wrong"), ("2*N*d_k + 1e-6", "wrong"), ("2^N d_k", "wrong"),
    ("2^2^2^2^2^N", "wrong"),  # too large to evaluate: refused quickly as a different expression
])
def test_expressions_agree_when_they_are_the_same_function(typed, verdict):
    start = time.monotonic()
    assert check_answer("expression", 2 * N * d_k, typed, symbols=["N", "d_k"]).status == verdict
    assert time.monotonic() - start < 2.0


def test_expression_symbols_are_matched_by_name_whatever_their_assumptions():
    plain = sympy.Symbol("N") ** 2
    assert check_answer("expression", plain, "N^2").status == "correct"  # symbols taken from expected
    assert check_answer("expression", "N^2/2", "N*N/2").status == "correct"


# ------------------------------------------------------------------ invalid and mistakes

@pytest.mark.parametrize("typed", ["", "abc", "0.43.2", "1,5", "9**9**9**9", "x" * 10**6])
def test_a_malformed_answer_is_invalid_not_wrong_and_says_the_expected_format(typed):
    verdict = check_answer("number", R(3, 7), typed, tolerance=DEFAULT_TOLERANCE)
    assert verdict.status == "invalid"
    assert not verdict.correct
    assert NUMBER_FORMAT.en in verdict.message.en and NUMBER_FORMAT.zh in verdict.message.zh


def test_a_malformed_shape_says_the_shape_format():
    verdict = check_answer("shape", (2, 8), "[2, eight]")
    assert verdict.status == "invalid" and SHAPE_FORMAT.en in verdict.message.en


MISTAKES = (
    Mistake(R(1, 7), Text("You divided by the union twice.", "你把并集除了两次。")),
    Mistake("3/10", Text("You used the sum of areas, not the union.", "你用了面积之和而不是并集。")),
)


def test_a_known_mistake_gets_its_feedback():
    verdict = check_answer("number", R(3, 7), "0.3", tolerance=DEFAULT_TOLERANCE, mistakes=MISTAKES)
    assert verdict == Verdict("wrong", feedback=MISTAKES[1].feedback)
    verdict = check_answer("number", R(3, 7), "0.1429", tolerance=DEFAULT_TOLERANCE, mistakes=MISTAKES)
    assert verdict.feedback == MISTAKES[0].feedback


def test_an_unknown_wrong_answer_gets_no_feedback_and_a_correct_one_wins_over_mistakes():
    assert check_answer("number", R(3, 7), "0.2", tolerance=DEFAULT_TOLERANCE, mistakes=MISTAKES) == Verdict("wrong")
    both = (Mistake(R(3, 7), Text("never shown", "不显示")),)
    assert check_answer("number", R(3, 7), "3/7", mistakes=both) == Verdict("correct")


def test_mistakes_of_other_kinds_match_too():
    strict = (Mistake([0, 1, 2], Text("You kept boxes above the threshold.", "你保留了超过阈值的框。")),)
    verdict = check_answer("indices", [0, 2], "0 1 2", mistakes=strict)
    assert verdict.feedback == strict[0].feedback


def test_a_mapping_is_checked_part_by_part():
    with pytest.raises(ValueError, match="part by part"):
        check_answer("mapping", {"q": (4, 8)}, "[4, 8]")


# ------------------------------------------------------------------ format_answer

@pytest.mark.parametrize("kind, value, text", [
    ("number", R(3, 7), "3/7 ≈ 0.4286"),
    ("number", sympy.sqrt(2) / 2, "sqrt(2)/2 ≈ 0.7071"),
    ("number", sympy.pi / 4, "pi/4 ≈ 0.7854"),
    ("number", R(3, 8), "0.375"),
    ("number", 42, "42"),
    ("number", R(-1, 3), "-1/3 ≈ -0.3333"),
    ("shape", (2, 8, 64), "[2, 8, 64]"),
    ("indices", [0, 2, 5], "0 2 5"),
    ("indices", [], "[]"),
    ("set", {5, 0, 2}, "{0, 2, 5}"),
    ("vector", [R(1, 2), R(1, 3), -2], "[0.5, 1/3, -2] ≈ [0.5, 0.3333, -2]"),
    ("vector", [R(1, 2), -2], "[0.5, -2]"),
    ("choice", 1, "B"),
    ("multi", {2, 0}, "A, C"),
    ("truefalse", True, "true"),
    ("expression", N**2 * sympy.sqrt(d_k), "N^2*sqrt(d_k)"),
    ("mapping", {"q": (4, 8), "loss": R(1, 3)}, "q: [4, 8]; loss: 1/3 ≈ 0.3333"),
])
def test_format_answer_shows_the_expected_answer_readably(kind, value, text):
    assert format_answer(kind, value) == text


def test_format_answer_shows_one_more_digit_than_the_significant_figures_asked():
    assert format_answer("number", R(3, 7), tolerance=Tolerance(sig_figs=5)) == "3/7 ≈ 0.428571"


def _parts(text: str) -> list[str]:
    return text.split(" ≈ ")


RATIONALS = st.fractions(min_value=-10**6, max_value=10**6, max_denominator=10**4).map(
    lambda f: sympy.Rational(f.numerator, f.denominator))
IRRATIONALS = st.builds(lambda r, k: r * sympy.sqrt(k), RATIONALS, st.sampled_from([2, 3, 5, 7])) | \
    st.builds(lambda r: r * sympy.pi, RATIONALS) | st.builds(lambda r: sympy.exp(r), st.integers(-30, 30).map(sympy.Integer))


@given(value=RATIONALS | IRRATIONALS)
def test_a_formatted_number_parses_back_to_its_value(value):
    exact, *approx = _parts(format_answer("number", value))
    assert agrees("number", value, parse_answer("number", exact))
    for shown in approx:
        assert agrees("number", value, parse_answer("number", shown), DEFAULT_TOLERANCE)


@given(value=st.lists(RATIONALS | IRRATIONALS, max_size=5))
def test_a_formatted_vector_parses_back_to_its_value(value):
    exact, *approx = _parts(format_answer("vector", value))
    assert agrees("vector", value, parse_answer("vector", exact))
    for shown in approx:
        assert agrees("vector", value, parse_answer("vector", shown), DEFAULT_TOLERANCE)


@given(shape=st.lists(st.integers(0, 10**6), max_size=6).map(tuple))
def test_a_formatted_shape_parses_back_to_itself(shape):
    assert parse_answer("shape", format_answer("shape", shape)) == shape


@given(indices=st.lists(st.integers(-100, 10**6), max_size=12))
def test_formatted_indices_and_sets_parse_back_to_themselves(indices):
    assert parse_answer("indices", format_answer("indices", indices)) == indices
    assert parse_answer("set", format_answer("set", set(indices))) == frozenset(indices)


@given(labels=st.sets(st.integers(0, 7), min_size=1))
def test_formatted_labels_parse_back_to_themselves(labels):
    assert parse_answer("multi", format_answer("multi", labels), n_choices=8) == labels
    one = min(labels)
    assert parse_answer("choice", format_answer("choice", one), n_choices=8) == one


# ------------------------------------------------------------------ near_boundary

def test_near_boundary_flags_a_value_a_hair_from_a_rounding_midpoint():
    assert near_boundary(R(42850001, 10**8), SIG3)      # 0.42850001: 0.428 fails by a hair
    assert not near_boundary(R(3, 7), SIG3)
    assert not near_boundary(R(3, 7), DEFAULT_TOLERANCE)


def test_near_boundary_flags_a_rounding_that_lands_on_the_relative_edge():
    # 0.995 rounded to 2 figures is 1.0, which is 0.5025 % off: right at the 0.5 % edge
    assert near_boundary(R(995, 1000), DEFAULT_TOLERANCE)
    assert not near_boundary(R(990, 1000), DEFAULT_TOLERANCE)


def test_near_boundary_is_false_for_exact_and_integer_answers():
    assert not near_boundary(R(4285, 10000), None)
    assert not near_boundary(12, DEFAULT_TOLERANCE)
    assert near_boundary([R(3, 7), R(4285, 10000)], SIG3)


@given(value=RATIONALS.filter(lambda r: not r.is_Integer))
def test_when_not_near_a_boundary_every_plain_rounding_to_enough_figures_passes(value):
    assume(not near_boundary(value, SIG3))
    from fractions import Fraction

    from cvquiz.answers.check import _round_sig

    for k in (3, 4, 5):
        shown = _round_sig(Fraction(int(value.p), int(value.q)), k, True)
        assert agrees("number", value, sympy.Rational(shown.numerator, shown.denominator), SIG3)


# ------------------------------------------------------------------ Tolerance

def test_tolerance_describe_states_the_rule_in_both_languages():
    text = DEFAULT_TOLERANCE.describe()
    assert "0.5 %" in text.en and "3 significant figures" in text.en and " or " in text.en
    assert "0.5%" in text.zh and "3 位有效数字" in text.zh
    assert "exact" in Tolerance().describe().en and "精确" in Tolerance().describe().zh


@pytest.mark.parametrize("kwargs, field", [({"rel": -0.1}, "rel"), ({"abs": "tight"}, "abs"),
                                           ({"sig_figs": 0}, "sig_figs"), ({"sig_figs": 2.5}, "sig_figs"),
                                           ({"rel": float("inf")}, "rel")])
def test_a_bad_tolerance_is_refused_naming_the_field(kwargs, field):
    with pytest.raises(ValueError, match=f"Tolerance.{field}"):
        Tolerance(**kwargs)


def test_tolerance_round_trips_through_json():
    assert Tolerance.from_json(DEFAULT_TOLERANCE.to_json()) == DEFAULT_TOLERANCE
    assert Tolerance.from_json(None) is None
    assert Tolerance.from_json({"abs": None, "rel": None, "sig_figs": None}) is None
    with pytest.raises(ValueError, match="tight"):
        Tolerance.from_json({"tight": 1})


# ------------------------------------------------------------------ fuzzing the checker

@given(typed=st.text(max_size=40) | st.from_regex(r"\A[-+]?\d{1,4}([./]\d{1,4})?%?\Z"))
def test_checking_random_text_returns_a_verdict(typed):
    start = time.monotonic()
    for kind, expected in (("number", R(3, 7)), ("vector", [R(1, 2)]), ("expression", 2 * N)):
        verdict = check_answer(kind, expected, typed, tolerance=DEFAULT_TOLERANCE, mistakes=MISTAKES[:1]
                               if kind == "number" else ())
        assert verdict.status in ("correct", "wrong", "invalid")
        assert (verdict.message is not None) == (verdict.status == "invalid")
    assert time.monotonic() - start < 3.0


def test_near_boundary_looks_inside_mappings_and_ignores_what_is_not_a_number():
    assert near_boundary({"a": R(3, 7), "b": R(4285, 10000)}, SIG3)
    assert not near_boundary({"shape": (2, 8), "ok": True}, SIG3)
    assert not near_boundary(True, SIG3)
