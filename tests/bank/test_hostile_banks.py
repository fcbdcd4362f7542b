"""Hostile bank files (issue #14 items 2, 3, 4, 13): each is one message with file:line, fast.

Before these limits an alias bomb ran for minutes, deep nesting was a RecursionError traceback,
a 20 MB line or 3,000 questions did not finish ``bank check``, and tags and dates were read as
text without a word.
"""

from __future__ import annotations

import pytest
from click.testing import CliRunner

from cvquiz.bank import reader
from cvquiz.bank.load import load_bank_file
from cvquiz.bank.yamltree import MAX_FILE_BYTES, read_tree
from cvquiz.cli import main
from cvquiz.errors import BankError
from tests.bank.conftest import GOOD_BANK, SYLLABUS, write

BOMB = "\n".join(["a0: &a0 [x, x, x, x, x, x, x, x, x, x]"]
                 + [f"a{i}: &a{i} [{', '.join([f'*a{i - 1}'] * 10)}]" for i in range(1, 9)]) + "\n"

HOSTILE = {
    # name: (bank text, line, start of the message after "file:line: ")
    "alias-bomb": ("topic: detection\n" + BOMB + "questions: []\n", 4, "invalid YAML: aliases of the anchor"),
    "1000-brackets": ("topic: detection\nquestions:\n  - " + "[" * 1000 + "]" * 1000 + "\n", 3,
                      "invalid YAML: nested more than 50 levels deep"),
    "2000-braces": ("topic: detection\nquestions:\n  - " + "{a: " * 2000 + "1" + "}" * 2000 + "\n", 3,
                    "the line is longer than 10,000 characters"),
    "2000-braces-on-lines": ("topic: detection\nquestions:\n  - " + "{a:\n" * 2000 + "1" + "}" * 2000 + "\n",
                             103, "invalid YAML: nested more than 50 levels deep"),
    "custom-tag": (GOOD_BANK.replace("id: detection.precision", "id: !custom detection.precision"), 36,
                   "invalid YAML: unexpected tag !custom"),
    "date-id": (GOOD_BANK.replace("id: detection.precision", "id: 2024-01-01"), 36,
                "invalid YAML: 2024-01-01 reads as a YAML date"),
    "20MB-line": ("topic: detection\n# " + "x" * (10 * MAX_FILE_BYTES) + "\nquestions: []\n", 2,
                  "the file is larger than 2 MB"),
    "200k-line": ("topic: detection\nquestions: []\n# " + "x" * 200_000 + "\n", 3,
                  "the line is longer than 10,000 characters"),
}


@pytest.fixture
def course(tmp_path):
    root = tmp_path / "course"
    write(root / "questions" / "syllabus.yaml", SYLLABUS)
    (root / "questions" / "assignments" / "nms").mkdir(parents=True)
    return root


def _install(course, text):
    path = course / "questions" / "detection.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def _run(course, *args, db=None):
    env = {"CVQUIZ_DB": str(db)} if db else {}
    result = CliRunner().invoke(main, ["--course", str(course), *args], input="", env=env, prog_name="cvquiz")
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    return result


@pytest.mark.parametrize("name", list(HOSTILE))
def test_a_hostile_bank_is_one_message_with_its_file_and_line(tmp_path, name):
    text, line, message = HOSTILE[name]
    path = write(tmp_path / "detection.yaml", text) if name != "20MB-line" else tmp_path / "detection.yaml"
    if name == "20MB-line":
        path.write_text(text, encoding="utf-8")
    with pytest.raises(BankError) as info:
        read_tree(path)
    [problem] = info.value.problems
    assert problem.startswith(f"{path}:{line}: {message}")


@pytest.mark.parametrize("command", [["bank", "check"], ["topics"], ["practice", "detection"]],
                         ids=["bank-check", "topics", "practice"])
@pytest.mark.parametrize("name", ["alias-bomb", "1000-brackets", "2000-braces-on-lines", "20MB-line"])
def test_every_command_that_reads_banks_names_the_hostile_file_instead_of_hanging_or_crashing(
        course, tmp_path, name, command):
    text, line, message = HOSTILE[name]
    path = _install(course, text)
    result = _run(course, *command, db=tmp_path / "p.sqlite3")
    assert "Traceback" not in result.output
    if command == ["topics"]:  # topics counts what it can and points to `bank check`
        assert result.exit_code == 0 and "the question banks have 1 problem" in result.stderr
    else:
        assert result.exit_code == 1
        assert f"{path.name}:{line}: {message}" in result.stdout + result.stderr


def test_a_bank_with_more_questions_than_the_limit_is_refused_at_the_first_question_past_it(
        tmp_path, syllabus, monkeypatch):
    monkeypatch.setattr(reader, "MAX_QUESTIONS", 3)
    path = write(tmp_path / "detection.yaml", GOOD_BANK)
    with pytest.raises(BankError) as info:
        load_bank_file(path, syllabus, assignments_dir=tmp_path)
    assert info.value.problems == [
        f"{path}:36: questions[3]: more than 3 questions in one file (9); split the bank into several files"]


def test_a_bank_of_exactly_the_limit_is_read(tmp_path, syllabus, monkeypatch):
    monkeypatch.setattr(reader, "MAX_QUESTIONS", 9)
    (tmp_path / "nms").mkdir()
    questions = load_bank_file(write(tmp_path / "detection.yaml", GOOD_BANK), syllabus, assignments_dir=tmp_path)
    assert len(questions) == 9


def test_a_file_of_exactly_the_byte_limit_is_read(tmp_path):
    line = "# " + "x" * 997 + "\n"  # 1,000 bytes
    path = tmp_path / "edge.yaml"
    path.write_text("a: 1\n" + line * (MAX_FILE_BYTES // 1000 - 1) + "#" * 994 + "\n", encoding="utf-8")
    assert path.stat().st_size == MAX_FILE_BYTES
    assert read_tree(path) == {"a": 1}


@pytest.mark.slow
def test_the_real_question_limit_refuses_2001_questions(tmp_path, syllabus):
    head, body = GOOD_BANK.split("questions:\n")
    one = body.split("  - id: detection.nms-differentiable")[1].split("  - id: detection.precision")[0]
    lines = [head, "questions:\n"]
    for i in range(reader.MAX_QUESTIONS + 1):
        lines.append(f"  - id: detection.tf-{i}" + one)
    path = write(tmp_path / "detection.yaml", "".join(lines))
    with pytest.raises(BankError) as info:
        load_bank_file(path, syllabus, assignments_dir=tmp_path)
    [problem] = info.value.problems
    assert "questions[2000]: more than 2,000 questions in one file (2,001)" in problem
