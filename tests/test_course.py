"""Finding a course and loading its reference modules by path."""

from __future__ import annotations

import shutil
import sys

import pytest

from cvquiz.course import TOPICS, find_course
from cvquiz.errors import CourseError
from tests.cli_helpers import ROOT, run_cvquiz


def make_course(tmp_path, reference_source: str = "import math\nVALUE = 42\n"):
    root = tmp_path / "course"
    (root / "questions").mkdir(parents=True)
    (root / "reference").mkdir()
    shutil.copy(ROOT / "questions" / "syllabus.yaml", root / "questions" / "syllabus.yaml")
    (root / "reference" / "points.py").write_text(reference_source, encoding="utf-8")
    return root


def test_the_builtin_course_is_found_in_a_source_checkout():
    course = find_course()
    assert course.builtin
    assert course.syllabus_path.is_file()


def test_a_course_directory_is_used_when_given(tmp_path):
    root = make_course(tmp_path)
    course = find_course(root)
    assert course.root == root.resolve() and not course.builtin


def test_the_environment_variable_selects_a_course(tmp_path, monkeypatch):
    root = make_course(tmp_path)
    monkeypatch.setenv("CVQUIZ_COURSE", str(root))
    assert find_course().root == root.resolve()


def test_a_directory_without_a_syllabus_is_refused_with_its_name(tmp_path):
    with pytest.raises(CourseError, match="questions/syllabus.yaml"):
        find_course(tmp_path)


def test_reference_modules_load_by_path_under_private_names_without_touching_sys_path(tmp_path):
    root = make_course(tmp_path)
    before = list(sys.path)
    module = find_course(root).reference("points")
    assert module.VALUE == 42
    assert module.__name__.startswith("_cvquiz_reference_")
    assert "points" not in sys.modules or sys.modules["points"] is not module
    assert sys.path == before


def test_a_broken_reference_module_is_a_course_error_naming_the_file(tmp_path):
    root = make_course(tmp_path, "raise RuntimeError('boom')\n")
    with pytest.raises(CourseError, match=r"points\.py: failed to import: RuntimeError: boom"):
        find_course(root).reference("points")


def test_a_missing_reference_module_is_a_course_error(tmp_path):
    root = make_course(tmp_path)
    with pytest.raises(CourseError, match="no reference module for topic 'detection'"):
        find_course(root).reference("detection")


def test_topics_lists_the_five_topics_of_another_course(tmp_path):
    root = make_course(tmp_path)
    result = run_cvquiz("--course", str(root), "topics")
    assert result.returncode == 0, result.stderr
    for topic in TOPICS:
        assert topic in result.stdout
