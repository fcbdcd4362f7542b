"""A bank file read clean before is trusted: loaded without sympy, with the same questions."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from cvquiz.bank import trust
from cvquiz.bank.load import load_course_bank
from cvquiz.course import Course
from cvquiz.errors import BankError
from tests.bank.conftest import write

ROOT = Path(__file__).resolve().parents[2]


def _answers(bank):
    """Every question's answer and listed mistakes, as comparable data."""
    out = {}
    for q in bank.questions.values():
        mistakes = [(str(m.answer), m.feedback) for m in q.mistakes] if q.answer_kind else []
        out[q.id] = (q.kind, str(q.answer) if q.answer_kind else None, mistakes, q.prompt, q.explanation)
    return out


def test_a_trusted_load_of_the_built_in_course_gives_the_same_answers_and_mistakes_as_a_full_one():
    course = Course(ROOT, builtin=True)
    first = load_course_bank(course)  # a full read marks each file clean
    assert all(trust.was_clean(trust.key_of(f, course.syllabus_path, course.assignments_dir)) for f in first.files)
    second = load_course_bank(course)
    from cvquiz.bank.schema import Deferred

    numeric = [q for q in second.questions.values() if q.kind in ("numeric", "expression")]
    assert numeric and all(isinstance(object.__getattribute__(q, "wrong"), Deferred) for q in numeric)
    assert list(second.questions) == list(first.questions)
    assert _answers(second) == _answers(first)


def test_a_trusted_load_imports_neither_sympy_nor_a_generator(tmp_path):
    code = ("import sys\n"
            "from cvquiz.course import find_course\n"
            "from cvquiz.bank.load import load_course_bank\n"
            "bank = load_course_bank(find_course())\n"
            "print(len(bank.questions), 'sympy' in sys.modules, any(m.startswith('cvquiz.problems.') and "
            "m != 'cvquiz.problems.registry' for m in sys.modules))\n")
    env = {"CVQUIZ_CACHE_DIR": str(tmp_path / "cache"), "PATH": "/usr/bin:/bin"}
    full = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, env=env, check=True)
    trusted = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, env=env,
                             check=True)
    count = full.stdout.split()[0]
    assert full.stdout.split() == [count, "True", "True"]  # the first read checks everything
    assert trusted.stdout.split() == [count, "False", "False"]


def test_an_edited_file_is_checked_in_full_again(tiny_course):
    course = Course(tiny_course)
    load_course_bank(course)
    bank = tiny_course / "questions" / "detection.yaml"
    text = bank.read_text(encoding="utf-8")
    broken = text.replace("value: 0.4286", "value: 123.0", 1)
    assert broken != text
    write(bank, broken)
    with pytest.raises(BankError) as info:
        load_course_bank(course)
    assert "does not agree with the answer" in str(info.value)


def test_a_stale_marker_cannot_hide_a_problem_from_bank_check_and_a_bad_answer_is_named_on_use(tiny_course):
    from click.testing import CliRunner

    from cvquiz.cli import main

    course = Course(tiny_course)
    bank = tiny_course / "questions" / "detection.yaml"
    text = bank.read_text(encoding="utf-8")
    start = text.index("kind: numeric")
    answer_line = text.index("    answer:", start)
    end = text.index("\n", answer_line)
    write(bank, text[:answer_line] + '    answer: "3/"' + text[end:])
    trust.mark_clean(trust.key_of(bank, course.syllabus_path, course.assignments_dir))  # as if it had been read clean
    loaded = load_course_bank(course)  # trusted: the exact answer is parsed on first use
    numeric = next(q for q in loaded.questions.values() if q.kind == "numeric")
    with pytest.raises(BankError, match=r"cannot read '3/', which read before; `cvquiz bank check`"):
        numeric.answer
    result = CliRunner().invoke(main, ["--course", str(tiny_course), "bank", "check"])
    assert result.exit_code != 0 and "cannot read '3/' as a number" in result.output


def test_without_a_cache_folder_nothing_is_trusted(tiny_course, monkeypatch):
    monkeypatch.setenv("CVQUIZ_CACHE_DIR", "")
    course = Course(tiny_course)
    load_course_bank(course)
    assert not trust.was_clean(trust.key_of(tiny_course / "questions" / "detection.yaml", course.syllabus_path,
                                            course.assignments_dir))


def test_a_file_using_a_generator_from_outside_cvquiz_is_never_marked_clean(tmp_path):
    from tests.bank.conftest import GOOD_BANK, SYLLABUS

    root = tmp_path / "course"
    write(root / "questions" / "syllabus.yaml", SYLLABUS)
    write(root / "questions" / "detection.yaml", GOOD_BANK)  # its generated question uses bank_test_gen
    (root / "questions" / "assignments" / "nms").mkdir(parents=True)
    assert "bank_test_gen" in GOOD_BANK
    course = Course(root)
    load_course_bank(course)
    assert not trust.was_clean(trust.key_of(root / "questions" / "detection.yaml", course.syllabus_path,
                                            course.assignments_dir))
