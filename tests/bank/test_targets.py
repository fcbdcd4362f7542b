"""Which files a bank check reads, from the paths it is given."""

from __future__ import annotations

from pathlib import Path

from cvquiz.bank.targets import check_targets
from cvquiz.course import find_course


def test_without_paths_every_bank_and_assignment_of_the_course_is_checked(tiny_course):
    found = check_targets(find_course(tiny_course))
    assert [p.name for p in found.banks] == ["detection.yaml"]
    assert found.problems == []


def test_a_folder_gives_its_banks_and_assignments_and_the_syllabus_is_skipped(tiny_course, tmp_path):
    folder = tiny_course / "questions"
    (folder / "assignments" / "nms" / "assignment.yaml").write_text("{}\n", encoding="utf-8")
    found = check_targets(find_course(tiny_course),
                          [str(folder), str(folder / "syllabus.yaml"), str(folder / "assignments")])
    assert [p.name for p in found.banks] == ["detection.yaml"]
    assert [p.parent.name for p in found.assignments] == ["nms"]
    assert found.problems == []


def test_a_missing_file_and_an_empty_folder_are_problem_lines_not_errors(tiny_course, tmp_path):
    empty = tmp_path / "empty"
    empty.mkdir()
    found = check_targets(find_course(tiny_course), [str(tmp_path / "nope.yaml"), empty])
    assert found.problems == [f"{tmp_path / 'nope.yaml'}: file not found",
                              f"{Path(empty)}: no bank files (*.yaml) in this folder"]
    assert found.banks == found.assignments == []
