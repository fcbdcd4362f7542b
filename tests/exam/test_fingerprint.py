"""A bank edited after `exam build`: marking names each changed fixed question (key or wording)
and goes on with the current bank; a question gone from the bank is refused, naming it."""

from __future__ import annotations

import dataclasses
import json
import shutil

import pytest

from cvquiz.bank import load_course_bank
from cvquiz.course import find_course
from cvquiz.errors import ExitCode
from cvquiz.exam.fingerprint import changes, fingerprint
from cvquiz.text import Text
from tests.cli_helpers import ROOT
from tests.exam.conftest import invoke

CHOICE = "detection.tasks-semantic-no-instances"
NUMERIC = "points.pointnet2-fps-distance-count"
GENERATED = "detection.nms-generated-iou"
PROMPT = "A street photo shows two cars touching each other."


@pytest.fixture(scope="module")
def built(exam_inputs, tmp_path_factory):
    """A course copy and an exam of a choice, a numeric and a generated question built from it."""
    root = tmp_path_factory.mktemp("fingerprint")
    course = root / "course"
    shutil.copytree(ROOT / "questions", course / "questions")
    shutil.copytree(ROOT / "reference", course / "reference")
    out = root / "exam"
    result = invoke("--course", str(course), "exam", "build", "--questions", CHOICE, "--questions", NUMERIC,
                    "--questions", GENERATED, "--roster", str(exam_inputs / "roster.csv"),
                    "--secret-file", str(exam_inputs / "exam.secret"), "--out", str(out), "--lang", "en",
                    "--date", "2026-01-05")
    assert result.exit_code == 0, result.output
    (out / "answers.csv").write_text(f"id,{NUMERIC}\ns1,261120\ns2,262144\n", encoding="utf-8")
    return root


@pytest.fixture
def work(built, tmp_path):
    shutil.copytree(built, tmp_path / "w")
    return tmp_path / "w"


def _mark(work):
    return invoke("--course", str(work / "course"), "exam", "mark", str(work / "exam"),
                  str(work / "exam" / "answers.csv"), "--no-pdf")


def _edit(work, bank: str, old: str, new: str) -> None:
    path = work / "course" / "questions" / bank
    text = path.read_text(encoding="utf-8")
    assert text.count(old) == 1, old
    path.write_text(text.replace(old, new), encoding="utf-8")


def test_the_manifest_fingerprints_each_fixed_question_and_no_generated_one(built):
    data = json.loads((built / "exam" / "manifest.json").read_text(encoding="utf-8"))
    assert sorted(data["fingerprints"]) == sorted([CHOICE, NUMERIC])
    bank = load_course_bank(find_course(None))
    assert data["fingerprints"][CHOICE] == fingerprint(bank.questions[CHOICE])
    assert all(len(d) == 64 for f in data["fingerprints"].values() for d in f.values())


def test_marking_against_the_unchanged_bank_warns_about_nothing(work):
    result = _mark(work)
    assert result.exit_code == 0, result.output
    assert "warning" not in result.stderr


def test_a_reworded_prompt_is_named_as_a_wording_change_and_marking_goes_on(work):
    _edit(work, "detection.yaml", PROMPT, "A street photo shows two cars that touch.")
    result = _mark(work)
    assert result.exit_code == 0, result.output
    assert (f"cvquiz: warning: question {CHOICE!r}: its wording or feedback changed in the bank since the "
            "papers were built; the answer key is the same") in result.stderr
    assert NUMERIC not in result.stderr
    assert (work / "exam" / "marks" / "results.json").exists()


def test_a_corrected_answer_is_named_as_a_key_change_and_marked_with_the_current_key(work):
    assert _mark(work).exit_code == 0
    _edit(work, "points.yaml", "answer: 261120", "answer: 261121")
    result = _mark(work)
    assert result.exit_code == 0, result.output
    assert (f"cvquiz: warning: question {NUMERIC!r}: its answer key changed in the bank since the papers "
            "were built (answer, tolerance or choices); it is marked with the current key") in result.stderr
    assert f"s1 {NUMERIC}: 1 -> 0" in result.console_text, "the before/after diff shows the correction"


def test_moving_the_right_choice_changes_the_key_and_a_choice_feedback_only_the_wording():
    bank = load_course_bank(find_course(None))
    q = bank.questions[CHOICE]
    moved = dataclasses.replace(q, choices=(q.choices[1], q.choices[0], *q.choices[2:]))
    assert [c.key_changed for c in changes({CHOICE: fingerprint(q)}, {CHOICE: moved})] == [True]
    wrong = dataclasses.replace(q.choices[1], feedback=Text("Detection counts the cars.", "检测能数出车。"))
    reworded = dataclasses.replace(q, choices=(q.choices[0], wrong, *q.choices[2:]))
    assert [c.key_changed for c in changes({CHOICE: fingerprint(q)}, {CHOICE: reworded})] == [False]


def test_a_manifest_without_fingerprints_is_marked_with_a_note_that_edits_cannot_be_seen(work):
    path = work / "exam" / "manifest.json"
    data = json.loads(path.read_text(encoding="utf-8"))
    del data["fingerprints"]
    path.write_text(json.dumps(data), encoding="utf-8")
    _edit(work, "detection.yaml", PROMPT, "A street photo shows two cars that touch.")
    result = _mark(work)
    assert result.exit_code == 0, result.output
    assert "records no fingerprints of its fixed questions" in result.stderr
    assert "warning" not in result.stderr


def test_a_question_gone_from_the_bank_is_refused_naming_it(work):
    path = work / "course" / "questions" / "points.yaml"
    text = path.read_text(encoding="utf-8")
    path.write_text(text.replace(f"id: {NUMERIC}\n", f"id: {NUMERIC}-renamed\n"), encoding="utf-8")
    result = _mark(work)
    assert result.exit_code == ExitCode.COULD_NOT_RUN, result.output
    assert (f"manifest.json: question {NUMERIC!r} of this exam is no longer in the course's banks (removed or "
            "renamed since `exam build`)") in result.output
    assert "Traceback" not in result.output
    assert not (work / "exam" / "marks").exists(), "nothing is marked"
