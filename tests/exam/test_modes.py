"""File modes: keys, the manifest and marks stay 0600; papers, feedback and the answer-sheet
template are ordinary files under the user's umask."""

from __future__ import annotations

import os
import stat

import pytest

from tests.exam.conftest import invoke

PRIVATE = ["key.csv", "key.json", "manifest.json", "marks/results.json", "marks/results.previous.json",
           "marks/grades.csv", "marks/long.csv"]
PUBLIC = ["answers-template.csv", "papers/s1.pdf", "papers/s1.md", "papers/s1.html", "marks/feedback/s1.md",
          "marks/feedback/s2.pdf"]


@pytest.fixture
def umask():
    """Set the process umask for one test, and put the old one back."""
    old = os.umask(0o022)
    yield os.umask
    os.umask(old)


def _build_and_mark_twice(exam_inputs, out):
    result = invoke("exam", "build", "--questions", "points.pointnet2-fps-distance-count", "--questions",
                    "detection.nms-generated-iou", "--roster", str(exam_inputs / "roster.csv"),
                    "--secret-file", str(exam_inputs / "exam.secret"), "--out", str(out), "--lang", "en",
                    "--date", "2026-01-05")
    assert result.exit_code == 0, result.output
    sheet = out / "answers.csv"
    sheet.write_text((out / "answers-template.csv").read_text(encoding="utf-8"), encoding="utf-8")
    for _ in range(2):  # the second marking also writes results.previous.json
        result = invoke("exam", "mark", str(out), str(sheet))
        assert result.exit_code == 0, result.output


def _mode(path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@pytest.mark.parametrize("mask, public", [(0o022, 0o644), (0o002, 0o664), (0o077, 0o600)],
                         ids=["umask-022", "umask-002", "umask-077"])
def test_keys_manifest_and_marks_are_private_and_papers_follow_the_umask(exam_inputs, tmp_path, umask, mask, public):
    umask(mask)
    _build_and_mark_twice(exam_inputs, tmp_path / "exam")
    for name in PRIVATE:
        assert _mode(tmp_path / "exam" / name) == 0o600, name
    for name in PUBLIC:
        assert _mode(tmp_path / "exam" / name) == public, name
