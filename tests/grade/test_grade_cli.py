"""`cvquiz grade` and `cvquiz check` end to end: a class of fixture submissions through the real CLI.

The class (built under tmp from tests/fixtures/grade/detection/): an honest student's own
implementation (its NMS orders tied scores differently), a copy of reference/detection.py, the
same honest file as a .zip and as a single .py, one submission per failure kind, and the classic
bugs (NMS suppressing at IoU >= threshold, IoU with +1 widths, 11-point AP where all-point is asked)
made by patching the honest file. A roster names one student who handed in nothing.
"""

from __future__ import annotations

import csv
import json
import shutil
import zipfile
from pathlib import Path

import pytest

from tests.cli_helpers import ROOT, run_cvquiz
from tests.grade.conftest import sandbox_flags

FIXTURES = ROOT / "tests" / "fixtures" / "grade" / "detection"
HONEST = (FIXTURES / "honest" / "detection.py").read_text(encoding="utf-8")

#: (student, [(old, new), ...]): a classic bug made by patching the honest implementation.
CLASSIC_BUGS = {
    "nms_suppresses_at_equal_iou": [("if all(iou[i, k] <= iou_threshold for k in keep)",
                                     "if all(iou[i, k] < iou_threshold for k in keep)")],
    "iou_plus_one": [
        ("(boxes1[:, 2] - boxes1[:, 0]).clamp(min=0) * (boxes1[:, 3] - boxes1[:, 1]).clamp(min=0)",
         "(boxes1[:, 2] - boxes1[:, 0] + 1) * (boxes1[:, 3] - boxes1[:, 1] + 1)"),
        ("(boxes2[:, 2] - boxes2[:, 0]).clamp(min=0) * (boxes2[:, 3] - boxes2[:, 1]).clamp(min=0)",
         "(boxes2[:, 2] - boxes2[:, 0] + 1) * (boxes2[:, 3] - boxes2[:, 1] + 1)"),
        ("- torch.maximum(boxes1[:, None, 0], boxes2[None, :, 0])).clamp(min=0)",
         "- torch.maximum(boxes1[:, None, 0], boxes2[None, :, 0]) + 1).clamp(min=0)"),
        ("- torch.maximum(boxes1[:, None, 1], boxes2[None, :, 1])).clamp(min=0)",
         "- torch.maximum(boxes1[:, None, 1], boxes2[None, :, 1]) + 1).clamp(min=0)"),
    ],
    "ap_11_point_by_default": [('def average_precision(precision, recall, method="all"):',
                                'def average_precision(precision, recall, method="voc11"):')],
}


def patched(patches: list[tuple[str, str]]) -> str:
    text = HONEST
    for old, new in patches:
        assert old in text, old
        text = text.replace(old, new)
    return text


@pytest.fixture(scope="module")
def course(tmp_path_factory) -> Path:
    """A private copy of the built-in course: grades depend on its files, which others may be editing."""
    root = tmp_path_factory.mktemp("course")
    shutil.copytree(ROOT / "questions", root / "questions")
    shutil.copytree(ROOT / "reference", root / "reference", ignore=shutil.ignore_patterns("__pycache__"))
    return root


@pytest.fixture(scope="module")
def graded(tmp_path_factory, course) -> tuple[Path, Path, object, Path]:
    root = tmp_path_factory.mktemp("class")
    subs = root / "submissions"
    subs.mkdir()
    for kind in sorted(p.name for p in FIXTURES.iterdir() if p.is_dir()):
        shutil.copytree(FIXTURES / kind, subs / kind)
    shutil.copytree(FIXTURES / "honest", subs / "reference_copy")
    shutil.copyfile(course / "reference" / "detection.py", subs / "reference_copy" / "detection.py")
    with zipfile.ZipFile(subs / "zipped.zip", "w") as z:
        z.writestr("hw1/detection.py", HONEST)
        z.writestr("../escape.py", "print('never extracted')")
    (subs / "single.py").write_text(HONEST, encoding="utf-8")
    for student, patches in CLASSIC_BUGS.items():
        (subs / student).mkdir()
        (subs / student / "detection.py").write_text(patched(patches), encoding="utf-8")
    roster = root / "roster.csv"
    students = sorted([*(p.stem if p.is_file() else p.name for p in subs.iterdir()), "ghost"])
    roster.write_text("student_id,name\n" + "".join(f"{s},{s.title()}\n" for s in students), encoding="utf-8")
    out = root / "out"
    result = run_cvquiz("--course", str(course), "grade", str(subs), "--assignment", "detection", "--out", str(out), "--workers", "2",
                        "--roster", str(roster), *sandbox_flags(), timeout=600)
    return subs, out, result, course


def feedback(out: Path, student: str) -> dict:
    return json.loads((out / "feedback" / f"{student}.json").read_text(encoding="utf-8"))


def failing(out: Path, student: str) -> dict[str, tuple[str, str]]:
    return {f"{t['question']}/{t['test']}": (t["status"], t["message"]["en"])
            for t in feedback(out, student)["tests"] if t["status"] != "passed"}


def test_the_class_is_graded_with_a_row_per_student_and_a_column_per_question(graded):
    _, out, result, _ = graded
    assert result.returncode == 0, result.stderr
    assert "Traceback" not in result.stderr
    rows = {r["student"]: r for r in csv.DictReader((out / "grades.csv").open(encoding="utf-8"))}
    assert list(next(csv.reader((out / "grades.csv").open())))[:4] == ["student", "total", "max", "status"]
    for student in ("honest", "reference_copy", "zipped", "single"):
        assert (rows[student]["total"], rows[student]["max"], rows[student]["status"]) == ("18", "18", "graded"), student
    assert [rows["honest"][q] for q in ("box_convert", "box_iou", "nms", "smooth_l1_loss")] == ["1", "2", "3", "1"]
    assert (rows["ghost"]["status"], rows["ghost"]["total"]) == ("missing", "0")
    assert (out / "grades_long.csv").is_file() and (out / "gradescope" / "honest" / "results.json").is_file()
    assert "graded 17, already graded 0" in result.stdout


@pytest.mark.parametrize("student, test, status, words", [
    ("missing_file", "box_iou/random", "missing_file", "detection.py was not found in the submission"),
    ("syntax_error", "box_iou/random", "syntax_error", "detection.py does not compile"),
    ("import_error", "box_iou/random", "import_error", "torchvison"),
    ("missing_function", "nms/random", "missing_function", "detection.py defines no function nms()"),
    ("crash", "box_iou/random", "crash", "box_iou() raised an exception"),
    ("timeout", "nms/random", "timeout", "nms() took longer than"),
    ("bad_output", "box_iou/random", "structure", "got a dict"),  # a dict is read back now, and is not a tensor
    ("wrong_type", "box_iou/random", "type", "expected a torch.Tensor, got numpy.ndarray"),
    ("wrong_shape", "box_iou/random", "shape", "expected shape (6, 5), got (5, 6)"),
    ("wrong_dtype", "nms/random", "dtype", "expected integers (torch.int64), got floating-point values"),
    ("nms_suppresses_at_equal_iou", "nms/iou-exactly-at-threshold-is-kept", "shape", "expected shape (2,), got (1,)"),
    ("iou_plus_one", "box_iou/no-plus-one-in-the-width", "values", "expected 0.142857"),
    ("ap_11_point_by_default", "average_precision/all-point-area", "values", "wrong values"),
], ids=lambda v: v if isinstance(v, str) and "/" not in v and " " not in v else "")
def test_each_failure_kind_and_classic_bug_loses_points_with_a_message_naming_it(graded, student, test, status,
                                                                                  words):
    _, out, _, _ = graded
    problems = failing(out, student)
    assert test in problems, sorted(problems)
    assert problems[test][0] == status
    assert words in problems[test][1]


def test_a_classic_bug_costs_only_the_tests_it_breaks(graded):
    _, out, _, _ = graded
    assert {k.split("/")[0] for k in failing(out, "ap_11_point_by_default")} == {"average_precision"}
    assert {k.split("/")[0] for k in failing(out, "nms_suppresses_at_equal_iou")} == {"nms"}


def test_hidden_tests_say_only_passed_or_failed(graded):
    _, out, _, _ = graded
    hidden = [t for t in feedback(out, "timeout")["tests"] if not t["visible"]]
    assert hidden and {t["status"] for t in hidden} <= {"passed", "failed"}
    assert {t["message"]["en"] for t in hidden} <= {"hidden test: passed", "hidden test: failed"}


def test_a_zip_entry_outside_the_archive_is_never_extracted(graded):
    subs, out, _, _ = graded
    assert not (subs / "escape.py").exists() and not (subs.parent / "escape.py").exists()


def test_a_rerun_skips_what_is_graded_and_keeps_the_grades(graded):
    subs, out, _, course = graded
    before = (out / "grades.csv").read_text()
    again = run_cvquiz("--course", str(course), "grade", str(subs), "--assignment", "detection", "--out", str(out), *sandbox_flags(),
                       timeout=300)
    assert again.returncode == 0, again.stderr
    assert "graded 0, already graded 17" in again.stdout
    assert (out / "grades.csv").read_text() == before  # the roster's missing row included


def test_check_exits_0_for_a_full_marks_submission_and_writes_valid_reports(tmp_path, course):
    jsonschema = pytest.importorskip("jsonschema")
    xmlschema = pytest.importorskip("xmlschema")
    shutil.copytree(FIXTURES / "honest", tmp_path / "hw")
    result = run_cvquiz("--course", str(course), "check", str(tmp_path / "hw"), "--assignment", "detection", "--all",
                        "--gradescope", str(tmp_path / "results.json"), "--junit", str(tmp_path / "junit.xml"),
                        *sandbox_flags(), timeout=300)
    assert result.returncode == 0, result.stdout + result.stderr
    data = json.loads((tmp_path / "results.json").read_text())
    jsonschema.validate(data, json.loads((ROOT / "tests/fixtures/grade/gradescope-results.schema.json").read_text()))
    assert (data["score"], data["max_score"]) == (18, 18)
    xmlschema.XMLSchema(str(ROOT / "tests/fixtures/grade/junit.xsd")).validate(str(tmp_path / "junit.xml"))


def test_check_exits_1_and_names_the_problem_in_the_table(tmp_path, course):
    (tmp_path / "hw").mkdir()
    (tmp_path / "hw" / "detection.py").write_text(patched(CLASSIC_BUGS["nms_suppresses_at_equal_iou"]))
    result = run_cvquiz("--course", str(course), "check", str(tmp_path / "hw"), "-a", "detection", "--lang", "zh",
                        timeout=300,
                        env={"COLUMNS": "200"})
    assert result.returncode == 1
    assert "nms/iou-exactly-at-threshold-is-kept" in result.stdout
    assert "形状应为 (2,)，实际为 (1,)" in result.stdout and "两个框的 IoU 恰好是 1/3" in result.stdout
    assert "Traceback" not in result.stderr


def test_a_failing_visible_test_shows_a_smaller_input_that_fails_the_same_way(graded):
    _, out, _, _ = graded
    status, message = failing(out, "iou_plus_one")["box_iou/random"]
    assert status == "values"
    shown, smaller = message.split("a smaller input that fails the same way (not scored):")
    assert "boxes1 = torch.tensor(" in smaller
    assert smaller.count("], [") + smaller.count("],\n") < shown.count("],\n")  # fewer rows than the scored input
