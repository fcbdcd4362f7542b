"""An instructor's own course through the CLI: numpy, several functions in one file, `(out, cache)`
returns of which only `out` is graded, a helper module that submissions import; then a change of
the assignment, which `grade` refuses to mix with stored grades until `--regrade` shows the diff."""

from __future__ import annotations

import csv
import json
import shutil
from pathlib import Path

import pytest

from tests.cli_helpers import ROOT, run_cvquiz
from tests.grade.conftest import sandbox_flags

FIXTURE = ROOT / "tests" / "fixtures" / "grade" / "rnn_course"


@pytest.fixture(scope="module")
def course(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("rnn") / "course"
    shutil.copytree(FIXTURE, root)
    return root


def grade(course: Path, *extra: str):
    return run_cvquiz("--course", str(course), "grade", str(course / "submissions"), "--assignment", "rnn",
                      "--out", str(course / "out"), *sandbox_flags(), *extra, timeout=300)


def rows(course: Path) -> dict[str, dict[str, str]]:
    return {r["student"]: r for r in csv.DictReader((course / "out" / "grades.csv").open(encoding="utf-8"))}


def test_the_reference_of_an_instructor_course_gets_full_marks(course):
    result = run_cvquiz("--course", str(course), "assignment", "check", "rnn", timeout=300)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "rnn: the reference gets full marks (6/6, 4 tests)" in result.stdout


def test_a_numpy_class_is_graded_on_the_first_element_of_each_returned_tuple(course):
    result = grade(course)
    assert result.returncode == 0, result.stderr
    got = rows(course)
    assert {s: (r["total"], r["rnn_step_forward"], r["rnn_forward"], r["word_embedding_forward"])
            for s, r in got.items()} == {"good": ("6", "2", "3", "1"), "bad_step": ("2", "1", "0", "1"),
                                         "cache_only": ("1", "0", "0", "1")}
    tests = {(t["question"], t["test"]): t for t in
             json.loads((course / "out" / "feedback" / "cache_only.json").read_text())["tests"]}
    assert tests[("rnn_step_forward", "small")]["status"] == "bad_output"
    assert "expected a tuple whose element [0] is the answer" in tests[("rnn_step_forward", "small")]["message"]["en"]
    assert tests[("rnn_forward", "random")]["message"]["en"].startswith(
        "rnn_layers.py defines no function rnn_forward()")


def test_a_changed_assignment_is_refused_until_regrade_and_then_each_change_is_shown(course):
    assert (course / "out" / "grades.csv").is_file(), "runs after the class was graded"
    before = (course / "out" / "grades.csv").read_text()
    path = course / "questions" / "assignments" / "rnn" / "assignment.yaml"
    path.write_text(path.read_text().replace("    points: 3\n", "    points: 4\n"), encoding="utf-8")
    refused = grade(course)
    assert refused.returncode == 3
    assert "were made with other assignment files" in refused.stderr and "--regrade" in refused.stderr
    assert (course / "out" / "grades.csv").read_text() == before
    regraded = grade(course, "--regrade")
    assert regraded.returncode == 0, regraded.stderr
    assert "regraded good: 6 -> 7/7 (rnn_forward 3 -> 4)" in regraded.stdout
    assert "regraded bad_step: unchanged (2/7)" in regraded.stdout
    assert rows(course)["good"]["total"] == "7"
