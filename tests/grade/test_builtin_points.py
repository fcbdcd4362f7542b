"""The built-in `points` assignment through `cvquiz check`: an honest submission written with plain
loops and dictionaries gets full marks, hidden tests included; a ball query that counts a point on
the sphere as inside loses only the visible test that states the strict rule, because no scored
random input sits within rounding of the radius."""

from __future__ import annotations

import pytest

from tests.grade.builtin import (assert_reference_signatures, check_json, failing, honest_dir, patched,
                                 private_course, write_submission)
from tests.grade.conftest import sandbox_flags

BALL_QUERY_LESS_OR_EQUAL = [("inside = torch.nonzero(d2[m] < radius ** 2)", "inside = torch.nonzero(d2[m] <= radius ** 2)")]


@pytest.fixture(scope="module")
def course(tmp_path_factory):
    return private_course(tmp_path_factory.mktemp("course"))


def test_an_honest_points_submission_gets_full_marks_hidden_tests_included(course):
    code, report = check_json(course, honest_dir("points"), "points", "--all", *sandbox_flags())
    assert failing(report) == {}
    assert code == 0
    assert report["total"] == report["max_score"] == 12


def test_a_ball_query_with_less_or_equal_loses_only_the_visible_test_stating_the_strict_rule(course, tmp_path):
    sub = write_submission(tmp_path / "le", "points", patched("points", BALL_QUERY_LESS_OR_EQUAL))
    code, report = check_json(course, sub, "points")
    assert code == 1
    problems = failing(report)
    assert set(problems) == {"ball_query/on-the-sphere-is-outside"}
    status, message = problems["ball_query/on-the-sphere-is-outside"]
    assert status == "values" and "Inside means d^2 < radius^2, strictly" in message


def test_the_points_assignment_names_the_reference_functions_and_their_parameters():
    assert_reference_signatures("points")
