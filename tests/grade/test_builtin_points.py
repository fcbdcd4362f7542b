"""The built-in `points` assignment through `cvquiz check`: a copy of reference/points.py is a
full-marks submission, hidden tests included (the student's own file name, literally)."""

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
