"""The assignment format: the strict loader's messages, the built-in assignments, the JSON Schema."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from cvquiz.bank.syllabus import load_syllabus
from cvquiz.course import find_course
from cvquiz.errors import BankError
from cvquiz.grade.assignment import (
    assignment_names, json_schema, load_assignment, parse_signature, read_assignment)

REFERENCE = '''\
import torch

def nms(boxes, scores, iou_threshold):
    return torch.arange(len(scores))

def box_iou(boxes1, boxes2):
    return boxes1[:, :1] * boxes2[:, 0]
'''

GOOD = """\
title: {en: Tiny, zh: 小作业}
functions:
  - name: nms
    file: detection.py
    reference: detection.nms
    concepts: [detection.nms]
    points: 2
    signature: "nms(boxes, scores, iou_threshold)"
    doc: Keep the best box.
    compare: {how: exact}
    tests:
      - id: edge
        visible: true
        args:
          boxes: {value: [[0, 0, 2, 1], [1, 0, 3, 1]], dtype: float64}
          scores: {value: [0.9, 0.8]}
          iou_threshold: 0.5
      - id: random
        visible: false
        repeat: 3
        args:
          boxes: {gen: boxes, n: 10}
          scores: {gen: scores, n: 10}
          iou_threshold: 0.5
"""


@pytest.fixture
def course(tmp_path: Path) -> Path:
    from tests.bank.conftest import SYLLABUS

    (tmp_path / "questions" / "assignments" / "tiny").mkdir(parents=True)
    (tmp_path / "questions" / "syllabus.yaml").write_text(SYLLABUS, encoding="utf-8")
    (tmp_path / "reference").mkdir()
    (tmp_path / "reference" / "detection.py").write_text(REFERENCE, encoding="utf-8")
    return tmp_path


def problems_of(course: Path, text: str, monkeypatch) -> list[str]:
    monkeypatch.chdir(course)
    path = course / "questions" / "assignments" / "tiny" / "assignment.yaml"
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    try:
        read_assignment(path, load_syllabus(course / "questions" / "syllabus.yaml"), course / "reference")
    except BankError as exc:
        return exc.problems
    return []


def test_a_good_assignment_reads_into_functions_and_tests(course, monkeypatch):
    assert problems_of(course, GOOD, monkeypatch) == []
    a = load_assignment(find_course(course), "tiny")
    (f,) = a.functions
    assert (a.library, a.files, a.max_points) == ("torch", ["detection.py"], 2)
    assert f.params == (("boxes", False), ("scores", False), ("iou_threshold", False))
    assert [(t.id, t.visible, t.repeat) for t in f.tests] == [("edge", True, 1), ("random", False, 3)]
    assert (f.compare.how, f.time.factor, f.time.floor) == ("exact", 10.0, 1.0)


P = "questions/assignments/tiny/assignment.yaml"

BROKEN = [
    pytest.param(GOOD.replace("compare: {how: exact}", "compare: {how: exactly}"),
                 [f"{P}:10: functions[0].compare.how: expected one of allclose, exact, set, sorted, got 'exactly'"],
                 id="unknown-comparison"),
    pytest.param(GOOD.replace("    points: 2\n", "    pionts: 2\n"),
                 [f"{P}:3: functions[0]: missing required key 'points'; expected a number > 0",
                  f"{P}:7: functions[0].pionts: unknown key; did you mean 'points'?"],
                 id="misspelt-key"),
    pytest.param(GOOD.replace("{gen: boxes, n: 10}", "{gen: box, n: 10}"),
                 [f"{P}:22: functions[0].tests[1].args.boxes.gen: unknown generator 'box'; did you mean 'boxes'?"],
                 id="unknown-generator"),
    pytest.param(GOOD.replace("{gen: scores, n: 10}", "{gen: scores, count: 10}"),
                 [f"{P}:23: functions[0].tests[1].args.scores.count: generator 'scores' has no parameter "
                  "'count'; expected one of n, distinct, dtype",
                  f"{P}:23: functions[0].tests[1].args.scores.gen: generator 'scores' needs 'n' (how many: "
                  "a non-negative integer)"],
                 id="bad-generator-parameter"),
    pytest.param(GOOD.replace("iou_threshold: 0.5\n      - id: random", "iou_thresh: 0.5\n      - id: random"),
                 [f"{P}:14: functions[0].tests[0].args: missing argument 'iou_threshold' (the signature has no "
                  "default for it)",
                  f"{P}:17: functions[0].tests[0].args.iou_thresh: not a parameter of the signature; "
                  "did you mean 'iou_threshold'?"],
                 id="argument-not-in-signature"),
    pytest.param(GOOD.replace("reference: detection.nms", "reference: detection.nsm"),
                 [f"{P}:5: functions[0].reference: reference/detection.py defines no function 'nsm'; "
                  "did you mean 'nms'?"],
                 id="reference-function-missing"),
    pytest.param(GOOD.replace("reference: detection.nms", "reference: detektion.nms"),
                 [f"{P}:5: functions[0].reference: no readable reference module 'detektion' "
                  "(reference/detektion.py); did you mean 'detection'?"],
                 id="reference-module-missing"),
    pytest.param(GOOD.replace('"nms(boxes, scores, iou_threshold)"', '"nms(boxes, scores, *rest)"'),
                 [f"{P}:8: functions[0].signature: *args, **kwargs and positional-only parameters are not "
                  "supported; name each parameter"],
                 id="star-args"),
    pytest.param(GOOD.replace("{value: [0.9, 0.8]}", "{value: [[0.9], 0.8]}"),
                 [f"{P}:16: functions[0].tests[0].args.scores.value: expected numbers, or nested lists of "
                  "numbers of equal lengths (a rectangular array), got a list"],
                 id="ragged-literal"),
    pytest.param(GOOD.replace("dtype: float64}", "dtype: float46}"),
                 [f"{P}:15: functions[0].tests[0].args.boxes.dtype: unknown dtype 'float46'; did you mean "
                  "'float64'?"],
                 id="unknown-dtype"),
    pytest.param(GOOD.replace("- id: random", "- id: edge"),
                 [f"{P}:18: functions[0].tests[1].id: duplicate test id 'edge' (first at line 12); expected "
                  "ids unique within the function"],
                 id="duplicate-test-id"),
    pytest.param(GOOD.replace("concepts: [detection.nms]", "concepts: [nms]"),
                 [f"{P}:6: functions[0].concepts[0]: unknown concept 'nms'; did you mean 'detection.nms'?"],
                 id="alias-for-concept"),
    pytest.param(GOOD.replace("{gen: boxes, n: 10}", "{gen: boxes, n: 100000000}"),
                 [f"{P}:22: functions[0].tests[1].args.boxes.gen: generator 'boxes' would make 400,000,000 "
                  "numbers; expected at most 5,000,000"],
                 id="input-too-large"),
    pytest.param("- just a list\n", [f"{P}:1: (top): expected a mapping with 'title' and 'functions', got a list"],
                 id="not-a-mapping"),
    pytest.param("title: [unclosed\n", [f"{P}:2: invalid YAML: expected ',' or ']', but got '<stream end>'"],
                 id="invalid-yaml"),
]


@pytest.mark.parametrize("text, expected", BROKEN)
def test_a_broken_assignment_is_reported_with_file_line_and_key_path(course, monkeypatch, text, expected):
    assert problems_of(course, text, monkeypatch) == expected


def test_an_unknown_assignment_name_suggests_the_closest(course):
    (course / "questions" / "assignments" / "tiny" / "assignment.yaml").write_text(GOOD, encoding="utf-8")
    with pytest.raises(Exception, match=r"no assignment 'tiyn' in .*; did you mean 'tiny'\?"):
        load_assignment(find_course(course), "tiyn")


def test_signatures_give_each_parameter_and_whether_it_has_a_default():
    assert parse_signature("f(a, b=1, *, c, d=None)") == (("a", False), ("b", True), ("c", False), ("d", True))
    assert "cannot read" in parse_signature("f(a,,)")


def test_arguments_after_an_omitted_default_are_passed_by_keyword():
    a = load_assignment(find_course(), "detection")
    f = a.function("roi_align")
    test = next(t for t in f.tests if t.id == "adaptive-not-aligned")
    assert f.split_args(test) == (["features", "rois", "output_size", "spatial_scale"], [])
    test = next(t for t in f.tests if t.id == "aligned-two-samples")
    assert f.split_args(test) == (["features", "rois", "output_size", "spatial_scale", "sampling_ratio",
                                   "aligned"], [])


def test_every_built_in_assignment_loads():
    course = find_course()
    names = assignment_names(course)
    assert "detection" in names
    for name in names:
        assert load_assignment(course, name).functions


def test_the_detection_assignment_names_the_reference_signatures():
    import inspect

    course = find_course()
    a = load_assignment(course, "detection")
    reference = course.reference("detection")
    for f in a.functions:
        ours = inspect.signature(getattr(reference, f.reference_function))
        assert f.reference_function == f.name
        assert [p for p, _ in f.params] == list(ours.parameters), f.name


def test_the_json_schema_accepts_the_built_in_assignments():
    jsonschema = pytest.importorskip("jsonschema")
    from cvquiz.bank.yamltree import plain, read_tree

    schema = json_schema()
    for name in assignment_names(find_course()):
        jsonschema.validate(plain(read_tree(find_course().assignments_dir / name / "assignment.yaml")), schema)


def _algo_concepts() -> set[str]:
    syllabus = load_syllabus(find_course().syllabus_path)
    return {cid for cid, c in syllabus.concepts.items() if "algo" in c.needs}


def _covered() -> set[str]:
    course = find_course()
    return {c for n in assignment_names(course) for f in load_assignment(course, n).functions for c in f.concepts}


def test_the_detection_assignment_covers_every_algo_concept_of_detection():
    assert {c for c in _algo_concepts() if c.startswith("detection.")} <= _covered()


def test_every_algo_concept_is_covered_by_some_built_in_assignment():
    assert sorted(_algo_concepts() - _covered()) == []


def test_bank_check_reports_a_broken_assignment_and_never_imports_torch(course, monkeypatch):
    import subprocess
    import sys

    from tests.cli_helpers import ROOT

    path = course / "questions" / "assignments" / "tiny" / "assignment.yaml"
    path.write_text(GOOD.replace("points: 2", "points: -2"), encoding="utf-8")
    probe = ("import runpy, sys; sys.argv = ['cvquiz', '--course', sys.argv[1], 'bank', 'check']\n"
             "try:\n    runpy.run_module('cvquiz', run_name='__main__')\n"
             "except SystemExit as e:\n    print('EXIT', e.code, 'TORCH', 'torch' in sys.modules)\n")
    out = subprocess.run([sys.executable, "-c", probe, str(course)], cwd=course, capture_output=True,
                         text=True, timeout=60, env={**__import__("os").environ, "PYTHONPATH": str(ROOT)})
    assert ("questions/assignments/tiny/assignment.yaml:7: functions[0].points: expected a number > 0, got -2"
            in out.stdout)
    assert out.stdout.strip().endswith("EXIT 1 TORCH False")
