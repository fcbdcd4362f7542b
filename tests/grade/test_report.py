"""The reporters over one result model: Gradescope results.json, JUnit XML, CSV gradebooks, the store."""

from __future__ import annotations

import csv
import io
import json
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from cvquiz.errors import StoreError
from cvquiz.grade.store import GradeStore
from cvquiz.report import gradebook, gradescope, junit
from cvquiz.report.files import write_atomic
from cvquiz.report.model import SubmissionResult, TestResult
from cvquiz.text import Text

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "grade"


def result(student: str = "alice", nms_passed: bool = False) -> SubmissionResult:
    tests = (
        TestResult("box_iou", "random", True, 1.0, 1.0, "passed", seeds=(11, 12)),
        TestResult("nms", "edge", True, 1.5 if nms_passed else 0.0, 1.5, "passed" if nms_passed else "values",
                   Text("wrong values: 1 of 2 differ", "数值错误"), seeds=(7,)),
        TestResult("nms", "random", False, 1.5 if nms_passed else 0.0, 1.5, "passed" if nms_passed else "timeout",
                   Text("hidden test: failed", "隐藏测试：未通过")),
    )
    return SubmissionResult(student, "detection", "graded", tests, (("box_iou", 1.0), ("nms", 3.0)),
                            fingerprint="f1", submission_hash="h1")


def test_gradescope_results_follow_the_documented_format():
    jsonschema = pytest.importorskip("jsonschema")
    schema = json.loads((FIXTURES / "gradescope-results.schema.json").read_text())
    data = gradescope.results_json(result())
    jsonschema.validate(data, schema)
    assert (data["score"], data["max_score"]) == (1.0, 4.0)
    assert [(t["name"], t["status"], t["visibility"]) for t in data["tests"]] == [
        ("box_iou/random", "passed", "visible"), ("nms/edge", "failed", "visible"),
        ("nms/random", "failed", "after_published")]
    assert data["tests"][2]["output"] == "hidden test: failed"
    assert data["tests"][2]["extra_data"]["status"] == "failed"  # not "timeout": hidden tests say pass/fail only


def test_junit_xml_validates_against_the_common_schema_with_points_as_properties():
    xmlschema = pytest.importorskip("xmlschema")
    text = junit.junit_xml([result()], "en")
    xmlschema.XMLSchema(str(FIXTURES / "junit.xsd")).validate(text)
    root = ET.fromstring(text)
    assert (root.get("tests"), root.get("failures")) == ("3", "2")
    nms = root.find("testsuite[@name='detection.nms']")
    props = {p.get("name"): p.get("value") for p in nms.find("properties")}
    assert props["points"] == "3" and props["score"] == "0" and props["points:edge"] == "0/1.5"
    edge = nms.find("testcase[@name='edge [seed 7]']")
    assert edge.get("classname") == "detection.nms"
    assert edge.find("failure").get("type") == "values"
    assert edge.find("failure").text == "wrong values: 1 of 2 differ"
    assert nms.find("testcase[@name='random']/failure").get("type") == "failed"


def test_grades_csv_has_one_row_per_student_and_a_column_per_question():
    rows = list(csv.reader(io.StringIO(gradebook.grades_csv([result("bob", True), result("alice")],
                                                            ["box_iou", "nms"]))))
    assert rows == [["student", "total", "max", "status", "box_iou", "nms"],
                    ["alice", "1", "4", "graded", "1", "0"], ["bob", "4", "4", "graded", "1", "3"]]
    long = list(csv.reader(io.StringIO(gradebook.long_csv([result()]))))
    assert long[0] == ["student", "question", "test", "visible", "score", "max_score", "status", "seeds"]
    assert long[1] == ["alice", "box_iou", "random", "true", "1", "1", "passed", "11 12"]


def test_results_round_trip_through_json():
    r = result()
    assert SubmissionResult.from_json(json.loads(json.dumps(r.to_json()))) == r


def test_the_store_keeps_one_row_per_student_and_finds_stale_grades(tmp_path):
    with GradeStore(tmp_path / "grades.sqlite", "detection") as store:
        store.put(result("alice"))
        store.put(result("alice", True))
        store.put(result("bob"))
        assert [r.student for r in store.all()] == ["alice", "bob"]
        assert store.get("alice").total == 4.0
        assert store.stale("f1") == [] and store.stale("f2") == ["alice", "bob"]
    with GradeStore(tmp_path / "grades.sqlite", "detection") as store:  # survives reopening
        assert store.done()["bob"] == ("graded", "f1", "h1")


def test_the_store_refuses_another_assignments_grades(tmp_path):
    GradeStore(tmp_path / "grades.sqlite", "detection").close()
    with pytest.raises(StoreError, match="holds grades of assignment 'detection', not 'points'"):
        GradeStore(tmp_path / "grades.sqlite", "points")


def test_a_report_file_is_replaced_atomically_and_a_planted_symlink_is_not_followed(tmp_path):
    outside = tmp_path / "outside.txt"
    outside.write_text("keep me")
    (tmp_path / "out").mkdir()
    (tmp_path / "out" / "grades.csv").symlink_to(outside)
    write_atomic(tmp_path / "out" / "grades.csv", "student,total\n")
    assert outside.read_text() == "keep me"
    assert (tmp_path / "out" / "grades.csv").read_text() == "student,total\n"
    assert not (tmp_path / "out" / "grades.csv").is_symlink()
