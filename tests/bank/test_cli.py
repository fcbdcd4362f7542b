"""`cvquiz bank check|coverage|show|schema` and `cvquiz topics`, run as a user runs them."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from click.testing import CliRunner

from cvquiz.bank.load import shown_path as shown
from cvquiz.cli import main
from cvquiz.errors import ExitCode
from tests.cli_helpers import ROOT, run_cvquiz


class Result:
    """What a run printed, whether it ran in a subprocess or in-process."""

    def __init__(self, returncode: int, stdout: str, stderr: str):
        self.returncode, self.stdout, self.stderr = returncode, stdout, stderr


def cvquiz(course, *args) -> Result:
    """`cvquiz --course COURSE ARGS` in-process (fast); the subprocess tests below run the real thing."""
    result = CliRunner().invoke(main, ["--course", str(course), *args], prog_name="cvquiz")
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        raise result.exception
    return Result(result.exit_code, result.stdout, result.stderr)


def cvquiz_process(course, *args) -> Result:
    out = run_cvquiz("--course", str(course), *args)
    return Result(out.returncode, out.stdout, out.stderr)


def test_bank_check_passes_on_the_built_in_course():
    result = run_cvquiz("bank", "check")
    assert result.returncode == ExitCode.OK, result.stdout + result.stderr
    assert result.stdout.strip().splitlines()[-1].endswith("no problems")  # and no hint warnings


def test_bank_check_passes_on_a_good_course_and_counts_its_questions(tiny_course):
    result = cvquiz(tiny_course, "bank", "check")
    assert result.returncode == ExitCode.OK, result.stdout + result.stderr
    assert result.stdout.strip().splitlines()[-1] == (
        "checked 2 files (syllabus and 1 bank): 9 questions (choice 1, multi 1, truefalse 1, numeric 1, "
        "expression 1, shape 1, order 1, generated 1, code 1), no problems, 4 warnings")


def test_bank_check_warns_of_each_computed_question_without_a_hint_and_still_passes(tiny_course):
    result = cvquiz(tiny_course, "bank", "check")
    assert result.returncode == ExitCode.OK
    bank = shown(tiny_course / "questions" / "detection.yaml")
    expected = "a hint in 'en' and 'zh' (a nudge towards the method, not the answer)"
    assert result.stdout.strip().splitlines()[:-1] == [
        f"{bank}:36: hint: detection.precision: a numeric question without a hint; expected {expected}",
        f"{bank}:47: hint: attention.score-scale: an expression question without a hint; expected {expected}",
        f"{bank}:58: hint: attention.scores-shape: a shape question without a hint; expected {expected}",
        f"{bank}:68: hint: detection.nms-kept: an order question without a hint; expected {expected}",
    ]  # the generated question takes the hint of its generator; the choice kinds want none


def test_bank_check_prints_every_problem_with_its_line_and_fails(tiny_course):
    broken = tiny_course / "questions" / "detection.yaml"
    text = broken.read_text(encoding="utf-8")
    broken.write_text(text.replace("difficulty: 1", "difficulty: 0").replace("concepts: [detection.nms]",
                                                                             "concepts: [detection.nmz]", 1),
                      encoding="utf-8")
    result = cvquiz_process(tiny_course, "bank", "check", str(broken))
    assert result.returncode == ExitCode.CHECKS_FAILED
    assert "Traceback" not in result.stderr
    lines = result.stdout.strip().splitlines()
    assert lines == [
        f"{broken}:5: questions[0].concepts[0]: unknown concept 'detection.nmz'; did you mean 'detection.nms'?",
        f"{broken}:18: questions[1].difficulty: expected an integer from 1 to 3, got 0",
        f"{broken}:31: questions[2].difficulty: expected an integer from 1 to 3, got 0",
        f"{broken}:61: questions[5].difficulty: expected an integer from 1 to 3, got 0",
        "checked 2 files (syllabus and 1 bank): 4 problems",
    ]


def test_bank_check_takes_folders_and_skips_the_assignments_folder(tiny_course):
    questions = tiny_course / "questions"
    result = cvquiz(tiny_course, "bank", "check", str(questions), str(questions / "assignments"),
                    str(questions / "syllabus.yaml"))
    assert result.returncode == ExitCode.OK, result.stdout
    assert "9 questions" in result.stdout


def test_bank_check_names_a_missing_file(tiny_course, tmp_path):
    result = cvquiz(tiny_course, "bank", "check", str(tmp_path / "nope.yaml"))
    assert result.returncode == ExitCode.CHECKS_FAILED
    assert result.stdout.splitlines()[0] == f"{tmp_path / 'nope.yaml'}: file not found"


def test_bank_check_fails_when_a_generator_refuses_the_options_of_its_question(tiny_course):
    bank = tiny_course / "questions" / "detection.yaml"
    bank.write_text(bank.read_text(encoding="utf-8").replace("generator: nms\n", "generator: iou\n"
                                                             "    options: {format: polar}\n"),
                    encoding="utf-8")
    result = cvquiz(tiny_course, "bank", "check")
    assert result.returncode == ExitCode.CHECKS_FAILED
    assert "questions/detection.yaml:79: detection.nms-generated.options: generator 'iou' fails with these options" \
        in result.stdout.replace("\\", "/")


def test_bank_coverage_lists_gaps_first_as_json(tiny_course):
    result = cvquiz(tiny_course, "bank", "coverage", "--json")
    assert result.returncode == ExitCode.OK, result.stderr
    rows = json.loads(result.stdout)
    assert [r["concept"] for r in rows] == ["detection.metrics", "attention.why_scale", "detection.nms"]
    assert rows[0]["gaps"] == ["2 questions, expected at least 3"]
    assert rows[1]["gaps"] == ["2 questions, expected at least 3",
                               "no conceptual question (choice, multi, truefalse)"]
    assert rows[2]["gaps"] == [] and rows[2]["total"] == 5
    assert rows[2]["counts"]["generated"] == 1 and rows[2]["counts"]["code"] == 1


def test_bank_coverage_flags_a_num_concept_without_a_computed_question(tiny_course):
    bank = tiny_course / "questions" / "detection.yaml"
    text = bank.read_text(encoding="utf-8")
    bank.write_text(text.replace("    concepts: [detection.metrics]\n    difficulty: 2\n",
                                 "    concepts: [attention.why_scale]\n    difficulty: 2\n"), encoding="utf-8")
    rows = json.loads(cvquiz(tiny_course, "bank", "coverage", "--json").stdout)
    metrics = next(r for r in rows if r["concept"] == "detection.metrics")
    assert metrics["gaps"] == ["1 question, expected at least 3", "marked num, but no numeric or generated question"]


def test_bank_coverage_prints_a_table_with_a_summary(tiny_course):
    result = cvquiz(tiny_course, "bank", "coverage")
    assert result.returncode == ExitCode.OK
    assert "detection.metrics" in result.stdout
    assert result.stdout.strip().splitlines()[-1] == "3 concepts, 9 questions, 2 concepts with gaps"


def test_bank_show_renders_a_choice_question_with_its_answer_and_feedback(tiny_course):
    result = cvquiz(tiny_course, "bank", "show", "detection.nms-tie", "--lang", "zh")
    assert result.returncode == ExitCode.OK, result.stderr
    out = result.stdout
    assert "IoU 恰为 0.5、阈值 0.5 时 NMS 保留什么？" in out
    assert "  A. 两个框" in out and "  B. 只保留分数高的框" in out
    assert "答案：A. 两个框" in out
    assert "为何不选 B：只有 IoU 严格大于阈值才抑制。" in out
    assert "解析：IoU 相等不会抑制。" in out
    assert out.index("B. 只保留") < out.index("答案")


@pytest.mark.parametrize("qid,expected", [
    ("detection.precision", ["Answer: 3/7", "Common mistake 0.75: That is TP/FP."]),
    ("attention.scores-shape", ["Answer: [2, 8, 64, 64]"]),
    ("detection.nms-kept", ["(in any order)"]),
    ("attention.score-scale", ["Answer: d_k", "Symbols: d_k"]),
    ("detection.nms-differentiable", ["Answer: false", "Why not true: Keeping or dropping a box is a hard decision."]),
    ("detection.nms-code", ["Code assignment: assignments/nms/"]),
    ("detection.nms-generated", ["Worked solution:", "(nms, seed 0)"]),
])
def test_bank_show_renders_each_kind(tiny_course, qid, expected):
    result = cvquiz(tiny_course, "bank", "show", qid)
    assert result.returncode == ExitCode.OK, result.stderr
    for text in expected:
        assert text in result.stdout


def test_bank_show_of_an_unknown_id_suggests_the_closest(tiny_course):
    result = cvquiz_process(tiny_course, "bank", "show", "detection.nms-tei")
    assert result.returncode == ExitCode.USAGE
    assert "unknown question id 'detection.nms-tei'; did you mean 'detection.nms-tie'?" in result.stderr
    assert "Traceback" not in result.stderr


def test_bank_schema_prints_a_json_schema():
    result = run_cvquiz("bank", "schema")
    assert result.returncode == ExitCode.OK
    schema = json.loads(result.stdout)
    assert schema["$schema"].startswith("https://json-schema.org/")
    assert schema["required"] == ["topic", "questions"]


def test_topics_lists_concepts_with_their_question_counts(tiny_course):
    result = cvquiz_process(tiny_course, "topics")
    assert result.returncode == ExitCode.OK, result.stderr
    rows = {line.split("│")[1].strip(): line.split("│")[3].strip()
            for line in result.stdout.splitlines() if line.startswith("│") and line.split("│")[1].strip()}
    assert rows == {"detection.nms": "5", "detection.metrics": "2", "attention.why_scale": "2"}
    assert "detection — Detection (7)" in result.stdout
    assert result.stdout.strip().splitlines()[-1] == "3 concepts, 9 questions"


def test_topics_speaks_chinese(tiny_course):
    result = cvquiz(tiny_course, "topics", "--lang", "zh")
    assert "非极大值抑制" in result.stdout
    assert "共 3 个概念，9 道题" in result.stdout


def test_topics_still_lists_the_course_when_a_bank_is_broken(tiny_course):
    bank = tiny_course / "questions" / "detection.yaml"
    bank.write_text(bank.read_text(encoding="utf-8").replace("difficulty: 3", "difficulty: 7"), encoding="utf-8")
    result = cvquiz(tiny_course, "topics")
    assert result.returncode == ExitCode.OK
    assert result.stderr.startswith("warning: the question banks have 1 problem;")
    assert "3 concepts, 8 questions" in result.stdout


PROBE = """
import sys
from cvquiz.bank.load import shown_path as shown
from cvquiz.cli import main
for args in {commands!r}:
    try:
        main(["--course", {course!r}, *args], prog_name="cvquiz")
    except SystemExit as exc:
        assert not exc.code, (args, exc.code)
print("\\nTORCH", "torch" in sys.modules, file=sys.stderr)
"""


def test_bank_commands_never_import_torch(tiny_course):
    commands = [["bank", "check"], ["bank", "coverage"], ["bank", "show", "detection.nms-generated"],
                ["bank", "schema"], ["topics"]]
    out = subprocess.run([sys.executable, "-c", PROBE.format(commands=commands, course=str(tiny_course))],
                         cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    assert out.stderr.strip().splitlines()[-1] == "TORCH False"


def test_bank_check_reports_a_broken_syllabus_and_fails(tiny_course):
    syllabus = tiny_course / "questions" / "syllabus.yaml"
    syllabus.write_text(syllabus.read_text(encoding="utf-8").replace("needs: [algo, num]", "neds: [algo, num]", 1),
                        encoding="utf-8")
    result = cvquiz(tiny_course, "bank", "check")
    assert result.returncode == ExitCode.CHECKS_FAILED
    assert result.stdout.splitlines() == [
        f"{syllabus}:9: topics[0].concepts[0].neds: unknown key; did you mean 'needs'?",
        "checked 2 files (syllabus and 1 bank): 1 problem"]
