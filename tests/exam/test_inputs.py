"""Bad inputs to `cvquiz exam`: rosters, specs, secrets, answer sheets and manifests, each refused
with one clear message naming the file and line (never a traceback)."""

from __future__ import annotations

import json
import shutil

import pytest

from cvquiz.bank import load_course_bank
from cvquiz.course import find_course
from cvquiz.errors import ExamError, ExitCode
from cvquiz.exam.roster import parse_roster
from cvquiz.exam.spec import load_spec
from tests.cli_helpers import run_cvquiz
from tests.exam.conftest import build_args, invoke


@pytest.fixture(scope="module")
def bank():
    return load_course_bank(find_course(None))


def test_a_roster_keeps_its_columns_and_order():
    students = parse_roster("\ufeffid,name,section\nb2,Bo,A\n\na1,Ann,\n")
    assert [(s.id, s.name, s.sis_id, s.section) for s in students] == [("b2", "Bo", "", "A"), ("a1", "Ann", "", "")]


@pytest.mark.parametrize("text,message", [
    ("id,name,email\ns1,Ann,a@x\n", "roster.csv:1: unknown column 'email'; expected id (required), name, sis_id, section"),
    ("name\nAnn\n", "roster.csv:1: no 'id' column"),
    ("id,name\ns1,Ann\ns 2,Bo\n", "roster.csv:3: id 's 2': expected letters, digits"),
    ("id,name\ns1,Ann\ns1,Bo\n", "roster.csv:3: id 's1' is already used on line 2"),
    ("id,name\ns1,Ann,extra\n", "roster.csv:2: 3 cells but the header has 2 columns"),
    ("id,name\n", "roster.csv: the roster lists no students"),
    ("id,name\n../x,Ann\n", "roster.csv:2: id '../x'"),
], ids=["unknown-column", "no-id", "bad-id", "repeated-id", "extra-cell", "no-students", "path-in-id"])
def test_a_bad_roster_is_refused_with_its_line(text, message):
    with pytest.raises(ExamError) as err:
        parse_roster(text)
    assert str(err.value).startswith(message)


def _spec(tmp_path, text):
    path = tmp_path / "exam.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def test_a_spec_picks_by_filter_with_points_and_sections(tmp_path, bank):
    path = _spec(tmp_path, "title: Quiz\nsections:\n  - title: A\n    questions:\n"
                           "      - concept: detection.nms\n        kind: generated\n        count: 2\n        points: 3\n"
                           "  - questions:\n      - id: detection.tasks-semantic-no-instances\n")
    exam = load_spec(path, bank, b"s")
    assert [eq.points for eq in exam.questions] == [3.0, 3.0, 1.0]
    assert [eq.section for eq in exam.questions] == [0, 0, 1]
    assert all(eq.question.kind == "generated" and "detection.nms" in eq.question.concepts
               for eq in exam.questions[:2])
    assert load_spec(path, bank, b"s") == exam, "the same secret picks the same questions"


@pytest.mark.parametrize("text,message", [
    ("questions:\n  - id: detection.tasks-semantic-no-instances\n    pionts: 2\n",
     "exam.yaml:3: questions[0].pionts: unknown key; did you mean 'points'?"),
    ("questions:\n  - id: no.such-question\n", "exam.yaml:2: questions[0].id: unknown question id 'no.such-question'"),
    ("questions:\n  - id: detection.tasks-semantic-no-instances\n    points: lots\n",
     "exam.yaml:3: questions[0].points: expected a number above 0, got 'lots'"),
    ("questions:\n  - topic: detection\n    kind: code\n", "exam.yaml:2: questions[0].kind: code questions are graded"),
    ("questions:\n  - concept: detection.nms\n    count: 500\n", "exam.yaml:2: questions[0]: asks for 500 question(s)"),
    ("title: x\n", "exam.yaml:1: give either sections: or questions:"),
    ("questions: [\n", "exam.yaml:"),
], ids=["typo", "unknown-id", "bad-points", "code-kind", "too-many", "no-questions", "broken-yaml"])
def test_a_bad_spec_is_refused_with_file_and_line(tmp_path, bank, text, message):
    path = _spec(tmp_path, text)
    with pytest.raises(Exception) as err:
        load_spec(path, bank, b"s")
    assert str(err.value).startswith(str(tmp_path / message)), str(err.value)


def test_a_code_question_is_refused_by_id(exam_inputs, tmp_path, bank):
    code = next(q.id for q in bank.questions.values() if q.kind == "code")
    result = invoke("exam", "build", "--questions", code, "--roster", str(exam_inputs / "roster.csv"),
                    "--secret-file", str(exam_inputs / "exam.secret"), "--out", str(tmp_path / "x"))
    assert result.exit_code == ExitCode.COULD_NOT_RUN
    assert "is a code question" in result.output and "cvquiz grade" in result.output


def test_build_without_a_secret_file_refuses_on_stderr_without_a_traceback(exam_inputs, tmp_path):
    result = run_cvquiz("exam", "build", "--topics", "detection", "--roster", str(exam_inputs / "roster.csv"),
                        "--out", str(tmp_path / "x"))
    assert result.returncode == ExitCode.COULD_NOT_RUN
    assert result.stdout == ""
    assert "--secret-file is required" in result.stderr and "Traceback" not in result.stderr
    assert not (tmp_path / "x").exists()


def test_a_malformed_answer_sheet_is_refused_with_its_line(built_exam, tmp_path):
    sheet = tmp_path / "answers.csv"
    sheet.write_text("id,detection.tasks-semantic-no-instances\ns1,A\nnobody,B\n", encoding="utf-8")
    result = invoke("exam", "mark", str(built_exam), str(sheet))
    assert result.exit_code == ExitCode.COULD_NOT_RUN
    assert f"{sheet}:3: student 'nobody' is not on this exam's roster" in result.output
    sheet.write_text("id,no-such-column\n", encoding="utf-8")
    result = invoke("exam", "mark", str(built_exam), str(sheet))
    assert f"{sheet}:1: unknown column 'no-such-column'" in result.output


def test_mark_refuses_a_manifest_whose_generator_version_is_gone(built_exam, tmp_path):
    work = tmp_path / "exam"
    shutil.copytree(built_exam, work)
    manifest = json.loads((work / "manifest.json").read_text(encoding="utf-8"))
    for student in manifest["students"]:
        for q in student["questions"]:
            if q.get("generator") == "iou":
                q["version"] += 100
    (work / "manifest.json").write_text(json.dumps(manifest), encoding="utf-8")
    (work / "answers.csv").write_text("id\ns1\n", encoding="utf-8")
    result = invoke("exam", "mark", str(work), str(work / "answers.csv"))
    assert result.exit_code == ExitCode.COULD_NOT_RUN
    assert "generator 'iou' is now version" in result.output and "cannot be regenerated" in result.output


def test_mark_on_a_folder_without_a_manifest_says_so(tmp_path):
    (tmp_path / "answers.csv").write_text("id\n", encoding="utf-8")
    result = invoke("exam", "mark", str(tmp_path), str(tmp_path / "answers.csv"))
    assert result.exit_code == ExitCode.COULD_NOT_RUN
    assert "no manifest" in result.output


def test_stats_before_marking_says_to_mark_first(built_exam):
    result = invoke("exam", "stats", str(built_exam))
    assert result.exit_code == ExitCode.COULD_NOT_RUN
    assert "not marked yet" in result.output


def test_building_over_a_marked_exam_is_refused(exam_inputs, built_exam, tmp_path):
    work = tmp_path / "exam"
    shutil.copytree(built_exam, work)
    (work / "answers.csv").write_text("id\ns1\n", encoding="utf-8")
    assert invoke("exam", "mark", str(work), str(work / "answers.csv"), "--no-pdf").exit_code == 0
    before = (work / "manifest.json").read_bytes()
    result = invoke(*build_args(exam_inputs, work))
    assert result.exit_code == ExitCode.COULD_NOT_RUN
    assert "already marked" in result.output
    assert (work / "manifest.json").read_bytes() == before
