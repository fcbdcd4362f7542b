"""`cvquiz mistakes` (the mistake notebook) and `practice --mistakes`, driven through the CLI."""

from __future__ import annotations

import pytest

from tests.cli_helpers import run_cvquiz
from tests.practice.test_practice_cli import course, drive, reviews  # noqa: F401 - the fixture

EN = {"iou": "Answer: 1/3", "iou_typed": "My answer: 1/2", "iou_why": "You divided by one box's area",
      "nms": "Answer: A) Both boxes are kept", "nms_typed": "My answer: B",
      "nms_why": "Suppression needs IoU strictly above the threshold.", "title": "Mistake notebook (2)",
      "fixed": "[answered right since]"}
ZH = {"iou": "答案: 1/3", "iou_typed": "我的答案: 1/2", "iou_why": "你除以了单个框面积而不是并集",
      "nms": "答案: A) 两个框都保留", "nms_typed": "我的答案: B", "nms_why": "只有 IoU 严格大于阈值才抑制。",
      "title": "错题本 (2)", "fixed": "[之后已答对]"}


def notebook(course, db, *args, lang="en"):
    result = run_cvquiz("--course", str(course), "mistakes", "--db", str(db), "--lang", lang, *args)
    assert result.returncode == 0, result.stderr
    return result.stdout


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_the_notebook_lists_each_wrong_answer_with_the_right_one_and_its_misconception(course, tmp_path, lang):
    words = ZH if lang == "zh" else EN
    db = tmp_path / "p.sqlite3"
    drive(course, db, "nms", right=False)
    out = notebook(course, db, lang=lang)
    assert out.startswith(words["title"])
    assert "detection (2)" in out
    iou = out[out.index("detection.iou-half"):]
    iou = iou[:iou.index("\n  detection.") if "\n  detection." in iou else len(iou)]
    assert words["iou_typed"] in iou and words["iou"] in iou and words["iou_why"] in iou
    nms = out[out.index("detection.nms-strict"):]
    # The choice was shown shuffled; the notebook names it by the bank's own letter.
    assert words["nms_typed"] in nms and words["nms"] in nms and words["nms_why"] in nms


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_a_question_answered_right_since_leaves_the_notebook_unless_all_and_the_drill_follows(course, tmp_path,
                                                                                             lang):
    words = ZH if lang == "zh" else EN
    db = tmp_path / "p.sqlite3"
    drive(course, db, "nms", right=False)
    drive(course, db, "detection.iou-half", questions=1, right=True)
    out = notebook(course, db, lang=lang)
    assert "detection.nms-strict" in out and "detection.iou-half" not in out
    everything = notebook(course, db, "--all", lang=lang)
    fixed = everything[everything.index("detection.iou-half"):]
    assert fixed.splitlines()[0].endswith(words["fixed"])
    drill = run_cvquiz("--course", str(course), "practice", "--mistakes", "--db", str(db), "--plain",
                       "--lang", lang, "--seed", "1", input=":s\n:s\n:s\n")
    assert drill.returncode == 0, drill.stderr
    assert "[1/1] detection.nms-strict" in drill.stdout and "detection.iou-half" not in drill.stdout


def test_the_notebook_exports_markdown_by_topic(course, tmp_path):
    db = tmp_path / "p.sqlite3"
    drive(course, db, "nms", right=False)
    md = notebook(course, db, "--format", "md")
    lines = md.splitlines()
    assert lines[0] == "# Mistake notebook" and "## detection" in lines
    assert "| id | My answer | Answer | Misconception |" in lines
    assert ("| `detection.iou-half` | 1/2 | 1/3 ≈ 0.3333 | You divided by one box's area, not the union. |") in lines


def test_an_empty_notebook_says_so_and_a_revealed_answer_is_listed_as_such(course, tmp_path):
    db = tmp_path / "p.sqlite3"
    assert "No question's last answer was wrong" in notebook(course, db)
    assert not db.exists()  # reading the notebook creates nothing
    drill = run_cvquiz("--course", str(course), "practice", "detection.iou-half", "--db", str(db), "--plain",
                       "--seed", "1", input=":A\n")  # Caps Lock: still the show-answer command
    assert drill.returncode == 0, drill.stderr
    assert "Answer shown (counts as wrong)" in drill.stdout and "Answer: 1/3" in drill.stdout
    assert "Intersection 2, union 4 + 4 - 2 = 6" in drill.stdout
    assert "(1 with the answer shown)" in drill.stdout
    assert [(qid, rating, correct) for qid, rating, correct, _ in reviews(db)] == [("detection.iou-half", 1, 0)]
    assert "My answer: asked to see the answer" in notebook(course, db)


def test_in_chinese_the_ime_show_answer_command_shows_the_answer_and_counts_a_lapse(course, tmp_path):
    db = tmp_path / "p.sqlite3"
    drill = run_cvquiz("--course", str(course), "practice", "detection.iou-half", "--db", str(db), "--plain",
                       "--lang", "zh", "--seed", "1", input="：ａ\n")  # full-width, as a Chinese IME types it
    assert drill.returncode == 0, drill.stderr
    assert "已显示答案（记为答错）" in drill.stdout and "答案: 1/3" in drill.stdout and "交集 2，并集 6" in drill.stdout
    assert "（其中 1 题看了答案）" in drill.stdout
    assert [row[2] for row in reviews(db)] == [0]
    assert "我的答案: 查看了答案" in notebook(course, db, lang="zh")
