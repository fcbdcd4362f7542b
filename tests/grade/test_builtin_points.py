"""The built-in `points` assignment through `cvquiz check`: a copy of reference/points.py is a
full-marks submission, hidden tests included; a ball query that counts a point on the sphere as
inside loses only the visible test that states the strict rule, because no scored random input
sits within rounding of the radius."""

from __future__ import annotations

import shutil

import pytest

from tests.grade.builtin import assert_reference_signatures, check_json, failing, private_course
from tests.grade.conftest import sandbox_flags


@pytest.fixture(scope="module")
def course(tmp_path_factory):
    return private_course(tmp_path_factory.mktemp("course"))


def test_a_copy_of_the_reference_is_a_full_marks_points_submission(course, tmp_path):
    (tmp_path / "hw").mkdir()
    shutil.copyfile(course / "reference" / "points.py", tmp_path / "hw" / "points.py")
    code, report = check_json(course, tmp_path / "hw", "points", "--all", *sandbox_flags())
    assert failing(report) == {}
    assert code == 0
    assert report["total"] == report["max_score"] == 12


def test_the_points_assignment_names_the_reference_functions_and_their_parameters():
    assert_reference_signatures("points")


def test_a_ball_query_with_less_or_equal_loses_only_the_visible_test_stating_the_strict_rule(course, tmp_path):
    text = (course / "reference" / "points.py").read_text(encoding="utf-8")
    strict = "inside = d2 < radius * radius"
    assert text.count(strict) == 1
    (tmp_path / "hw").mkdir()
    (tmp_path / "hw" / "points.py").write_text(text.replace(strict, "inside = d2 <= radius * radius"),
                                               encoding="utf-8")
    code, report = check_json(course, tmp_path / "hw", "points")
    assert code == 1
    problems = failing(report)
    assert set(problems) == {"ball_query/on-the-sphere-is-outside"}
    status, message = problems["ball_query/on-the-sphere-is-outside"]
    assert status == "values" and "Inside means d^2 < radius^2, strictly" in message
