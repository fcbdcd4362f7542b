"""`cvquiz generate`'s seed, student and secret arguments (issue #14 items 6, 11, 12)."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest
from click.testing import CliRunner

from cvquiz.cli import main
from cvquiz.errors import ExitCode
from tests.cli_helpers import ROOT

PUBLIC_WARNING = "cvquiz: warning: --student without --secret-file derives the seed from a public constant"


def generate(*args: str):
    result = CliRunner().invoke(main, ["generate", *args], prog_name="cvquiz")
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    return result


@pytest.mark.parametrize("flag,raw", [("--student", b"\xff\xfe"), ("--question", b"\xff")])
def test_undecodable_bytes_in_student_or_question_are_one_message_not_a_traceback(flag, raw):
    # Regression (item 6): a UnicodeEncodeError traceback from the seed derivation.
    proc = subprocess.run([sys.executable, "-m", "cvquiz", "generate", "iou", flag, raw], cwd=ROOT,
                          capture_output=True, env={**os.environ, "PYTHONIOENCODING": "utf-8"}, timeout=120)
    stderr = proc.stderr.decode("utf-8")
    assert proc.returncode == ExitCode.USAGE, stderr
    assert "Traceback" not in stderr
    assert stderr.strip() == (f"cvquiz: error: {flag}: {raw!r} holds bytes that are not UTF-8 text; "
                              "use letters and digits, e.g. s123")


@pytest.mark.parametrize("flag", ["--student", "--question"])
def test_any_text_student_or_question_still_derives_a_seed(flag):
    result = generate("iou", flag, "学生-Ω 1")
    assert result.exit_code == 0 and "seed" in result.stdout


def test_a_student_without_a_secret_file_is_warned_that_anyone_can_recompute_the_numbers():
    # Regression (item 11): the public constant was used without a word.
    result = generate("iou", "--student", "s123")
    assert result.exit_code == 0 and "seed" in result.stdout
    assert result.stderr.startswith(PUBLIC_WARNING) and "--secret-file FILE" in result.stderr


def test_a_students_key_without_a_secret_file_is_refused(tmp_path):
    result = generate("iou", "--student", "s123", "--key")
    assert result.exit_code == ExitCode.USAGE and result.stdout == ""
    assert result.stderr.startswith("cvquiz: error: --key with --student needs --secret-file")


def test_a_students_json_without_a_secret_file_is_refused_since_json_holds_the_answers():
    result = generate("iou", "--student", "s123", "--format", "json")
    assert result.exit_code == ExitCode.USAGE and result.stdout == ""
    assert result.stderr.startswith("cvquiz: error: --format json with --student needs --secret-file")


def test_with_a_secret_file_a_students_key_is_made_without_a_warning(tmp_path):
    secret = tmp_path / "exam.secret"
    secret.write_text("a long random string", encoding="utf-8")
    result = generate("iou", "--student", "s123", "--key", "--secret-file", str(secret))
    assert result.exit_code == 0 and result.stderr == ""


@pytest.mark.parametrize("args", [["iou"], ["iou", "--key"], ["iou", "--seed", "1a", "--key"],
                                  ["iou", "--seed", "1a", "--student", "s1", "--key"]],
                         ids=["practice", "practice-key", "seed-key", "seed-overrides-student"])
def test_without_a_student_the_public_secret_needs_no_warning(args):
    result = generate(*args)
    assert result.exit_code == 0 and result.stderr == ""


def test_help_says_why_the_secret_file_matters():
    result = CliRunner().invoke(main, ["generate", "--help"], terminal_width=200)
    text = " ".join(result.stdout.split())
    assert "anyone could recompute a student's numbers and answers" in text
    assert "--student with --key or --format json is refused" in text


def test_a_seed_whose_count_runs_past_64_hex_digits_is_refused_naming_the_seed_typed():
    # Regression (item 12): a 65-digit seed the user never typed was reported.
    seed = "f" * 64
    result = generate("iou", "--seed", seed, "--count", "3")
    assert result.exit_code == ExitCode.USAGE and result.stdout == ""
    assert result.stderr.strip() == (f"cvquiz: error: --seed: {seed} with --count 3 runs past the largest seed "
                                     "(64 hex digits); give a smaller seed or a smaller --count")


def test_the_largest_seed_with_a_count_that_fits_is_made():
    result = generate("iou", "--seed", "f" * 63 + "d", "--count", "3")
    assert result.exit_code == 0
    assert "f" * 64 in result.stdout and "f" * 65 not in result.stdout
