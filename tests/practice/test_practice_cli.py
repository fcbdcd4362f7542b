"""`cvquiz practice` driven as a student would: in a pseudo-terminal, and with piped stdin."""

from __future__ import annotations

import io
import os
import re
import shutil
import sqlite3
import sys
import textwrap

import pexpect
import pytest

from tests.cli_helpers import ROOT, run_cvquiz

BANK = textwrap.dedent("""\
    topic: detection
    questions:
      - id: detection.nms-strict
        kind: choice
        concepts: [detection.nms]
        difficulty: 1
        prompt:
          en: "NMS threshold 0.5; two boxes have IoU exactly 0.5. What happens?"
          zh: "NMS 阈值 0.5，两个框 IoU 恰为 0.5，结果如何？"
        choices:
          - text: {en: "Both boxes are kept", zh: "两个框都保留"}
            correct: true
          - text: {en: "The lower-scoring box is removed", zh: "分数低的框被删除"}
            feedback: {en: "Suppression needs IoU strictly above the threshold.", zh: "只有 IoU 严格大于阈值才抑制。"}
        hint: {en: "Is the comparison > or >=?", zh: "比较是 > 还是 >=？"}
        explanation: {en: "NMS removes a box only when IoU > threshold.", zh: "只有 IoU > 阈值时才删除。"}
      - id: detection.iou-half
        kind: numeric
        concepts: [detection.nms]
        difficulty: 1
        prompt:
          en: "Boxes [0,0,2,2] and [1,0,3,2] (xyxy). IoU?"
          zh: "框 [0,0,2,2] 与 [1,0,3,2]（xyxy）的 IoU 是多少？"
        answer: "1/3"
        mistakes:
          - answer: "1/2"
            feedback: {en: "You divided by one box's area, not the union.", zh: "你除以了单个框面积而不是并集。"}
        explanation: {en: "Intersection 2, union 4 + 4 - 2 = 6, IoU = 1/3.", zh: "交集 2，并集 6，IoU = 1/3。"}
""")


@pytest.fixture()
def course(tmp_path):
    root = tmp_path / "course"
    (root / "questions").mkdir(parents=True)
    (root / "reference").mkdir()
    shutil.copy(ROOT / "questions" / "syllabus.yaml", root / "questions" / "syllabus.yaml")
    (root / "questions" / "detection.yaml").write_text(BANK, encoding="utf-8")
    return root


def spawn(course, db, *args, seed="7"):
    env = {**os.environ, "COLUMNS": "100", "LANG": "en_US.UTF-8", "PYTHONIOENCODING": "utf-8"}
    return pexpect.spawn(sys.executable, ["-m", "cvquiz", "--course", str(course), "practice", *args,
                                          "--db", str(db), "--seed", seed, "--plain"],
                         cwd=str(ROOT), env=env, encoding="utf-8", timeout=30, dimensions=(40, 100))


def letter_of(choice_text: str, screen: str) -> str:
    """The letter a choice is shown under (choices are shuffled per attempt)."""
    return re.search(r"([A-F])\) " + re.escape(choice_text), screen).group(1)


def drive(course, db, *args, right=True, questions=2, seed="7") -> str:
    """Answer ``questions`` questions of a real session (all right or all wrong); return the transcript."""
    log = io.StringIO()
    child = spawn(course, db, *args, seed=seed)
    child.logfile_read = log
    for _ in range(questions):
        if child.expect(["What happens\\?", "IoU\\?"]) == 0:
            child.expect("> ")
            choice = "Both boxes are kept" if right else "The lower-scoring box is removed"
            child.sendline(letter_of(choice, child.before))
        else:
            child.expect("> ")
            child.sendline("1/3" if right else "1/2")
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == 0, log.getvalue()
    return log.getvalue()


def reviews(db):
    con = sqlite3.connect(db)
    try:
        return con.execute("SELECT question_id, rating, correct, hinted FROM reviews ORDER BY id").fetchall()
    finally:
        con.close()


def test_a_session_in_a_terminal_answers_hints_rejects_malformed_input_and_quits(course, tmp_path):
    db = tmp_path / "p.sqlite3"
    child = spawn(course, db, "nms")
    # The seed fixes the order; answer whichever question comes first.
    index = child.expect(["What happens", "IoU\\?"])
    if index == 0:
        child.expect("> ")
        letter = letter_of("Both boxes are kept", child.before)
        child.sendline(":h")
        child.expect("Is the comparison")
        child.sendline(letter)
        child.expect("Correct")
        child.expect("IoU\\?")
        child.expect("> ")
        child.sendline("abc(")
        child.expect("Not an answer I can read")
        child.sendline("1/2")
        child.expect("Wrong")
        child.expect("You divided by one box's area")
    else:
        child.expect("> ")
        child.sendline("abc(")
        child.expect("Not an answer I can read")
        child.sendline("1/2")
        child.expect("Wrong")
        child.expect("You divided by one box's area")
        child.expect("What happens")
        child.expect("> ")
        letter = letter_of("Both boxes are kept", child.before)
        child.sendline(":h")
        child.expect("Is the comparison")
        child.sendline(letter)
        child.expect("Correct")
    child.expect("Session summary")
    child.expect("2 questions: 1 right, 1 wrong, 0 skipped, 1 with a hint")
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == 0
    rows = {qid: (rating, correct, hinted) for qid, rating, correct, hinted in reviews(db)}
    assert rows == {"detection.nms-strict": (2, 1, 1),  # right after a hint: Hard
                    "detection.iou-half": (1, 0, 0)}  # wrong: Again (the malformed try cost nothing)


def test_progress_is_kept_and_the_schedule_moves_between_sessions(course, tmp_path):
    db = tmp_path / "p.sqlite3"
    first = drive(course, db, "nms", right=True)
    assert "2 questions: 2 right" in first
    con = sqlite3.connect(db)
    dues = dict(con.execute("SELECT question_id, due FROM cards").fetchall())
    con.close()
    assert set(dues) == {"detection.nms-strict", "detection.iou-half"}
    # Nothing is due right after two right answers: with no topic the session says so.
    again = run_cvquiz("--course", str(course), "practice", "--db", str(db), "--plain", input="")
    assert again.returncode == 0
    assert "Nothing is due" in again.stdout and "next review is due" in again.stdout
    stats = run_cvquiz("--course", str(course), "stats", "--db", str(db), "--plain")
    assert stats.returncode == 0
    assert "detection.nms" in stats.stdout and "2/2" in stats.stdout


def test_piped_answers_run_a_session_and_end_of_input_ends_it_with_a_summary(course, tmp_path):
    db = tmp_path / "p.sqlite3"
    result = run_cvquiz("--course", str(course), "practice", "detection", "--db", str(db), "--seed", "3",
                        "--plain", input=":?\n:s\n")
    assert result.returncode == 0, result.stderr
    flat = " ".join(result.stdout.split())
    assert "Commands: :s skip" in flat and ":h hint where a question offers one" in flat
    assert ":a show the answer (counts as wrong)" in flat
    assert "Session summary" in result.stdout
    assert "1 skipped" in result.stdout
    # The skipped question's answer is in the summary.
    summary = result.stdout[result.stdout.index("Session summary"):]
    assert "Skipped, with their answers:" in summary and "detection.nms-strict" in summary
    assert "Answer: A) Both boxes are kept" in summary
    assert reviews(db) == []  # a skip is not a review; the end of input answers nothing


def test_only_the_question_with_a_hint_offers_the_hint_command(course, tmp_path):
    result = run_cvquiz("--course", str(course), "practice", "detection", "--db", str(tmp_path / "p.sqlite3"),
                        "--seed", "3", "--plain", input=":s\n:h\n:s\n")
    assert result.returncode == 0, result.stderr
    assert result.stdout.count("A hint is available: type :h.") == 1
    offered_at = result.stdout.index("A hint is available")
    assert result.stdout.rfind("What happens?", 0, offered_at) > result.stdout.rfind("IoU?", 0, offered_at)
    assert "No hint for this one." in result.stdout or "Is the comparison" in result.stdout


def test_mistakes_drills_what_was_last_answered_wrong(course, tmp_path):
    db = tmp_path / "p.sqlite3"
    drive(course, db, "nms", right=False)
    result = run_cvquiz("--course", str(course), "practice", "--mistakes", "--db", str(db), "--plain",
                        "--seed", "1", input=":s\n:s\n")
    assert result.returncode == 0
    assert "What happens" in result.stdout and "IoU?" in result.stdout


def test_the_chinese_interface_shows_chinese_text(course, tmp_path):
    result = run_cvquiz("--course", str(course), "practice", "nms", "--db", str(tmp_path / "p.sqlite3"),
                        "--lang", "zh", "--plain", "--seed", "5", input="")
    assert result.returncode == 0
    assert "命令" in result.stdout and "小结" in result.stdout


def test_an_unknown_topic_is_a_usage_error_with_a_suggestion(course, tmp_path):
    result = run_cvquiz("--course", str(course), "practice", "nmss", "--db", str(tmp_path / "p.sqlite3"))
    assert result.returncode == 2
    assert "did you mean 'nms'" in result.stderr


def test_a_corrupt_progress_file_is_reported_and_left_untouched(course, tmp_path):
    db = tmp_path / "p.sqlite3"
    db.write_bytes(b"not a database at all" * 100)
    result = run_cvquiz("--course", str(course), "practice", "nms", "--db", str(db), input="")
    assert result.returncode == 3
    assert "not a cvquiz progress database" in result.stderr and "Traceback" not in result.stderr
    assert db.read_bytes() == b"not a database at all" * 100


def test_a_killed_session_keeps_every_answer_before_the_kill(course, tmp_path):
    db = tmp_path / "p.sqlite3"
    child = spawn(course, db, "nms")
    child.expect("> ")
    child.sendline(":s")
    child.expect("> ")
    child.sendline("A" if "What happens" in child.before else "1/3")
    child.expect(["Correct", "Wrong"])
    child.kill(9)
    child.close()
    assert len(reviews(db)) <= 1
    con = sqlite3.connect(db)
    assert con.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    con.close()


def test_the_first_question_of_the_builtin_course_appears(tmp_path):
    result = run_cvquiz("practice", "attention", "--db", str(tmp_path / "p.sqlite3"), "--plain", "--count", "2",
                        input=":s\n:s\n")
    assert result.returncode == 0, result.stderr
    assert "[1/2] attention" in result.stdout and "Session summary" in result.stdout


def test_an_exam_session_gives_no_feedback_until_the_end(course, tmp_path):
    out = drive(course, tmp_path / "p.sqlite3", "nms", "--exam", "5", right=False)
    assert "Mock exam: 2 questions, 5 minutes" in out
    results_start = out.index("Review of the paper")  # the first verdict comes only after both answers
    assert out[:results_start].count("\n> ") + out[:results_start].count("\r\n> ") >= 1
    assert "Correct" not in out[:results_start] and "wrong" not in out[:results_start]
    assert re.search(r"\[1/2\] detection\.[a-z-]+ · detection\.nms · \* · [45]:\d\d left", out[:results_start])
    assert out.index("IoU?") < results_start and out.index("What happens") < results_start
    assert "Suppression needs IoU strictly above the threshold" in out[results_start:]
    assert "Score: 0/2 (2 wrong, 0 skipped, 0 late, 0 not reached)" in out
    assert "2 questions: 0 right, 2 wrong" in out


def exam_in_a_terminal(course, db, lang):
    child = spawn(course, db, "nms", "--exam", "0.1", "--lang", lang)
    log = io.StringIO()
    child.logfile_read = log
    return child, log


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_a_mock_exam_refuses_hints_marks_a_late_answer_and_scores_the_whole_paper(course, tmp_path, lang):
    import time

    zh = lang == "zh"
    child, log = exam_in_a_terminal(course, tmp_path / "p.sqlite3", lang)
    child.expect("剩余 0:0\\d" if zh else "0:0\\d left")
    child.expect("> ")
    child.sendline(":h")
    child.expect("考试中不提供提示" if zh else "Hints are off in the exam")
    child.sendline("：Ａ")  # full-width, as an IME types it: still the show-answer command, refused here
    child.expect("答案在考试结束后统一显示" if zh else "Answers are shown at the end of the exam")
    time.sleep(6.5)  # the six-second paper runs out while the student types
    child.sendline("1/2")
    child.expect("这个答案提交晚了，不计分" if zh else "that answer came late and is not counted")
    child.expect(pexpect.EOF)
    child.close()
    out = log.getvalue()
    assert child.exitstatus == 0, out
    review = out[out.index("试卷回顾" if zh else "Review of the paper"):]
    # Both questions are reviewed with their answers and solutions: the late one and the unreached one.
    assert review.count("超时提交，不计分" if zh else "late, not counted") == 1
    assert review.count("未作答（时间到）" if zh else "not reached") >= 1
    assert ("你的答案: 1/2" if zh else "Your answer: 1/2") in review
    assert ("只有 IoU > 阈值时才删除" if zh else "NMS removes a box only when IoU > threshold") in review
    assert ("交集 2，并集 6" if zh else "Intersection 2, union 4 + 4 - 2 = 6") in review
    assert ("得分：0/2（错误 0，跳过 0，超时 1，未作答 1）" if zh
            else "Score: 0/2 (0 wrong, 0 skipped, 1 late, 1 not reached)") in review
    assert reviews(tmp_path / "p.sqlite3") == []  # a late answer is not a review


def test_until_pulls_the_next_review_before_the_exam_day(course, tmp_path):
    from datetime import date, datetime, timedelta, timezone

    db = tmp_path / "p.sqlite3"
    exam_day = date.today() + timedelta(days=3)
    for _ in range(3):  # right answers again and again would push the interval far beyond three days
        drive(course, db, "detection.nms-strict", "--until", exam_day.isoformat(), questions=1)
    con = sqlite3.connect(db)
    (due,) = con.execute("SELECT due FROM cards WHERE question_id = 'detection.nms-strict'").fetchone()
    con.close()
    exam_midnight = datetime.combine(exam_day, datetime.min.time()).astimezone(timezone.utc)
    assert datetime.fromisoformat(due) < exam_midnight


def test_ctrl_c_ends_the_session_with_its_summary_and_keeps_the_answers_given(course, tmp_path):
    db = tmp_path / "p.sqlite3"
    child = spawn(course, db, "nms")
    if child.expect(["What happens\\?", "IoU\\?"]) == 0:
        child.expect("> ")
        child.sendline(letter_of("Both boxes are kept", child.before))
    else:
        child.expect("> ")
        child.sendline("1/3")
    child.expect("Correct")
    child.expect(r"\[2/")  # the next question ("> " alone also matches "IoU > threshold" in the feedback)
    child.expect("\r\n> ")
    child.sendintr()
    child.expect("Session summary")
    child.expect("1 question: 1 right")
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == 0
    assert [row[2] for row in reviews(db)] == [1]


def test_no_color_is_honoured_in_a_terminal_session(course, tmp_path):
    env = {**os.environ, "COLUMNS": "100", "LANG": "en_US.UTF-8", "NO_COLOR": "1", "TERM": "xterm-256color"}
    child = pexpect.spawn(sys.executable, ["-m", "cvquiz", "--course", str(course), "practice", "nms", "--db",
                                           str(tmp_path / "p.sqlite3"), "--seed", "7"],
                          cwd=str(ROOT), env=env, encoding="utf-8", timeout=30, dimensions=(40, 100))
    log = io.StringIO()
    child.logfile_read = log
    child.expect("> ")
    child.sendline(":S")  # Caps Lock: still skip
    child.expect("> ")
    child.sendline("：ｑ")  # a full-width IME colon and letter: still quit
    child.expect("Session summary")
    child.expect(pexpect.EOF)
    child.close()
    out = log.getvalue()
    assert "╭" in out  # still box drawing: NO_COLOR takes only the colour away
    assert not re.search(r"\x1b\[[0-9;]*3[0-9]m|\x1b\[[0-9;]*38;", out)
    assert "1 skipped" in out


def test_a_far_unknown_topic_gets_no_misleading_suggestion_and_a_problem_kind_drills_its_questions(tmp_path):
    far = run_cvquiz("practice", "nonexistent", "--db", str(tmp_path / "p.sqlite3"))
    assert far.returncode == 2 and "did you mean" not in far.stderr and "'nonexistent'" in far.stderr
    kind = run_cvquiz("practice", "attention_shapes", "--db", str(tmp_path / "p.sqlite3"), "--plain",
                      "--count", "1", "--seed", "1", input=":s\n")
    assert kind.returncode == 0, kind.stderr
    assert "[1/1] attention." in kind.stdout


def test_bank_show_of_a_concept_id_lists_its_questions():
    result = run_cvquiz("bank", "show", "attention.moe")
    assert result.returncode != 0
    assert "'attention.moe' is a concept id, not a question id; its questions: attention.moe-" in result.stderr
    assert "`cvquiz practice attention.moe` drills them" in result.stderr


def test_bank_show_cites_the_bank_as_the_course_lays_it_out_from_any_folder(tmp_path):
    result = run_cvquiz("bank", "show", "attention.moe-statements", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert re.search(r"\(questions/attention\.yaml:\d+\)", result.stdout.splitlines()[0] + result.stdout.splitlines()[1])
