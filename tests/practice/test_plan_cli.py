"""The exam plan (`practice --until`, kept per course; `stats` shows each day until the exam)
and the session banner, driven through the CLI."""

from __future__ import annotations

import shutil
import sqlite3
from datetime import date, timedelta

import pytest

from cvquiz.practice.store import SCHEMA_VERSION, Store
from tests.cli_helpers import run_cvquiz
from tests.practice.test_practice_cli import course, drive  # noqa: F401 - the fixture


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_a_past_exam_day_is_refused_and_nothing_is_stored(course, tmp_path, lang):
    db = tmp_path / "p.sqlite3"
    past = date.today() - timedelta(days=1)
    result = run_cvquiz("--course", str(course), "practice", "nms", "--until", past.isoformat(), "--db", str(db),
                        "--lang", lang, input="")
    assert result.returncode == 2
    assert f"{past:%Y-%m-%d} has passed" in result.stderr and "Traceback" not in result.stderr
    assert not db.exists()


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_stats_shows_each_day_until_the_exam_and_a_daily_target(course, tmp_path, lang):
    db = tmp_path / "p.sqlite3"
    exam = date.today() + timedelta(days=3)
    drive(course, db, "detection.nms-strict", "--until", exam.isoformat(), questions=1)
    result = run_cvquiz("--course", str(course), "stats", "--db", str(db), "--plain", "--lang", lang)
    assert result.returncode == 0, result.stderr
    out = result.stdout
    flat = " ".join(out.split())
    # One question answered (due again before the exam), one never seen, three days: 1 a day.
    if lang == "zh":
        assert f"考试计划：{exam:%Y-%m-%d}，还有 3 天；每天目标 1 题（到期复习 1 次 + 未练新题 1 道）" in flat
        days = [line for line in out.splitlines() if "到期 " in line and line.startswith("  ")]
    else:
        assert f"Exam plan: {exam:%Y-%m-%d}, 3 days left; daily target 1 question (1 due + 1 never seen)" in flat
        days = [line for line in out.splitlines() if line.endswith(" due") and line.startswith("  ")]
    assert len(days) == 3 and f"{date.today():%m-%d}" in days[0]
    assert sum(int(line.split()[-2 if lang == "en" else -1]) for line in days) == 1


def test_the_exam_day_is_kept_per_course(course, tmp_path):
    db = tmp_path / "p.sqlite3"
    other = tmp_path / "other"
    shutil.copytree(course, other)
    exam = date.today() + timedelta(days=5)
    drive(course, db, "detection.nms-strict", "--until", exam.isoformat(), questions=1)
    here = run_cvquiz("--course", str(course), "stats", "--db", str(db), "--plain")
    there = run_cvquiz("--course", str(other), "stats", "--db", str(db), "--plain")
    assert "Exam plan" in here.stdout and "Exam plan" not in there.stdout
    with Store(db, readonly=True) as store:
        assert store.exam_day(str(course.resolve())) == exam and store.exam_day() is None


def test_an_older_store_keeps_its_exam_day_for_the_builtin_course_after_a_backup(tmp_path):
    from cvquiz.practice.store import MIGRATIONS

    db = tmp_path / "p.sqlite3"
    con = sqlite3.connect(db)
    for script in MIGRATIONS[:2]:
        con.executescript(script)
    con.execute("INSERT INTO meta (key, value) VALUES ('exam_day', '2031-06-01')")
    con.execute("PRAGMA user_version = 2")
    con.commit()
    con.close()
    with Store(db) as store:
        assert store.db.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
        assert store.exam_day() == date(2031, 6, 1)
        backup = store.backup
    assert backup is not None and backup.exists()
    old = sqlite3.connect(backup)
    assert old.execute("SELECT value FROM meta WHERE key = 'exam_day'").fetchone() == ("2031-06-01",)
    old.close()


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_the_banner_says_how_many_reviews_and_new_and_where_progress_is_kept(course, tmp_path, lang):
    db = tmp_path / "p.sqlite3"
    drive(course, db, "detection.iou-half", questions=1, right=False)  # due again at once
    result = run_cvquiz("--course", str(course), "practice", "nms", "--db", str(db), "--plain", "--lang", lang,
                        "--seed", "2", input="")
    assert result.returncode == 0, result.stderr
    flat = " ".join(result.stdout.split())
    if lang == "zh":
        assert "1 道复习 + 1 道新题" in flat and f"进度保存在 {db}" in flat
    else:
        assert "1 review + 1 new (at most --count 20, of them at most --new 10 new)" in flat
        assert f"progress is kept in {db}" in flat


def test_the_next_review_is_in_local_time_or_now(course, tmp_path):
    db = tmp_path / "p.sqlite3"
    out = drive(course, db, "detection.iou-half", questions=1, right=False)
    assert "Next review due: " in out and "UTC" not in out
    right = drive(course, db, "detection.nms-strict", questions=1, right=True)
    # A wrong answer is due again within minutes: the next review of the two is at a local time or now.
    line = [ln for ln in right.splitlines() if "Next review due:" in ln][0]
    assert line.split("Next review due: ")[1].strip() == "now" or line.count(":") == 2


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_stats_leads_with_a_summary_and_keeps_every_mastery_at_80_columns(course, tmp_path, lang):
    from rich.cells import cell_len

    db = tmp_path / "p.sqlite3"
    drive(course, db, "nms", right=False)
    result = run_cvquiz("--course", str(tmp_path / "course"), "stats", "--db", str(db), "--lang", lang,
                        env={"COLUMNS": "80"})
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0].startswith("最薄弱的概念：" if lang == "zh" else "Weakest concepts: ")
    due = result.stdout.index("到期（按主题）：" if lang == "zh" else "Due by topic: ")
    assert due < result.stdout.index("掌握程度" if lang == "zh" else "Mastery")
    assert "detection 2" in " ".join(result.stdout[due:].split())
    rows = [ln for ln in lines if ln.strip().startswith(("detection", "points", "sequence", "attention", "generative"))
            and "/" in ln]
    assert rows and all("%" in ln for ln in rows)
    assert all(cell_len(ln) <= 80 for ln in lines)


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_topics_leads_with_a_summary_of_every_topic(lang):
    result = run_cvquiz("topics", "--lang", lang)
    assert result.returncode == 0, result.stderr
    first = " ".join(result.stdout.split("\n\n")[0].split())
    assert first.startswith("5 topics, " if lang == "en" else "共 5 个主题、")
    assert all(topic in first for topic in ("points", "sequence", "attention", "detection", "generative"))
