"""Helpers of the built-in assignments' end-to-end tests (tests/grade/test_builtin_<topic>.py).

Each topic has an honest student submission under tests/fixtures/grade/<topic>/honest/; a classic
bug is that file with one textual patch, so the bug is the only difference the grader can see.
Every run goes through the real CLI against a private copy of the built-in course (others may be
editing questions/ and reference/ while the tests run).
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from tests.cli_helpers import ROOT, run_cvquiz

FIXTURES = ROOT / "tests" / "fixtures" / "grade"


def honest_dir(topic: str) -> Path:
    return FIXTURES / topic / "honest"


def patched(topic: str, patches: list[tuple[str, str]]) -> str:
    """The honest submission of ``topic`` with each (old, new) replaced; every old text must occur."""
    text = (honest_dir(topic) / f"{topic}.py").read_text(encoding="utf-8")
    for old, new in patches:
        assert text.count(old) == 1, f"patch target not found exactly once: {old!r}"
        text = text.replace(old, new)
    return text


def write_submission(folder: Path, topic: str, text: str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / f"{topic}.py").write_text(text, encoding="utf-8")
    return folder


def private_course(root: Path) -> Path:
    shutil.copytree(ROOT / "questions", root / "questions")
    shutil.copytree(ROOT / "reference", root / "reference", ignore=shutil.ignore_patterns("__pycache__"))
    return root


def check_json(course: Path, submission: Path, topic: str, *flags: str) -> tuple[int, dict]:
    """`cvquiz check SUBMISSION --assignment TOPIC --json [flags]`: (exit status, the JSON report)."""
    result = run_cvquiz("--course", str(course), "check", str(submission), "--assignment", topic, "--json", *flags,
                        timeout=300)
    assert "Traceback" not in result.stderr, result.stderr
    return result.returncode, json.loads(result.stdout)


def outcomes(report: dict) -> dict[str, tuple[str, str]]:
    """``question/test`` → (status, English message) of every test in a report."""
    return {f"{t['question']}/{t['test']}": (t["status"], t["message"]["en"]) for t in report["tests"]}


def failing(report: dict) -> dict[str, tuple[str, str]]:
    return {k: v for k, v in outcomes(report).items() if v[0] != "passed"}


def assert_reference_signatures(topic: str) -> None:
    """Each function of the built-in ``topic`` assignment is the reference function of the same name
    with the same parameters, so a copy of reference/<topic>.py is a submission."""
    import inspect

    from cvquiz.course import find_course
    from cvquiz.grade.assignment import load_assignment

    course = find_course()
    reference = course.reference(topic)
    for f in load_assignment(course, topic).functions:
        assert (f.file, f.reference_function) == (f"{topic}.py", f.name)
        ours = inspect.signature(getattr(reference, f.name))
        assert [p for p, _ in f.params] == list(ours.parameters), f.name
        assert [d for _, d in f.params] == [p.default is not inspect.Parameter.empty
                                            for p in ours.parameters.values()], f.name
