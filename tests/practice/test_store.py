"""The progress database: atomic reviews, migration, refusal of foreign files."""

from __future__ import annotations

import sqlite3
from datetime import timedelta

import pytest

from cvquiz.errors import StoreError
from cvquiz.practice.schedule import Schedule, rating_for
from cvquiz.practice.store import MIGRATIONS, SCHEMA_VERSION, Review, Store, now


def review(qid="q1", correct=True, rating=3, at=None):
    return Review(qid, at or now(), rating, correct, topic="detection", concepts=("detection.nms",))


def test_a_review_is_stored_with_its_card_and_survives_reopening(tmp_path):
    path = tmp_path / "p.sqlite3"
    with Store(path) as store:
        due = Schedule(store).record(review())
    with Store(path) as store:
        assert "q1" in store.cards()
        [r] = store.reviews()
        assert r.question_id == "q1" and r.correct and r.concepts == ("detection.nms",)
        assert Schedule(store).due_at("q1") == due


def test_the_practice_secret_is_made_once_and_kept(tmp_path):
    path = tmp_path / "p.sqlite3"
    with Store(path) as store:
        first = store.secret()
    with Store(path) as store:
        assert store.secret() == first and len(first) == 32


def test_a_database_from_schema_version_one_is_migrated_and_keeps_its_reviews(tmp_path):
    path = tmp_path / "old.sqlite3"
    db = sqlite3.connect(path)
    db.executescript(MIGRATIONS[0])
    db.execute("INSERT INTO reviews (question_id, at, rating, correct) VALUES ('old', ?, 3, 1)",
               (now().isoformat(),))
    db.execute("PRAGMA user_version = 1")
    db.commit()
    db.close()
    with Store(path) as store:
        assert store.db.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
        [r] = store.reviews()
        assert r.question_id == "old" and r.topic == "" and not r.hinted


def test_a_file_that_is_not_a_database_is_refused_and_left_untouched(tmp_path):
    path = tmp_path / "notes.txt"
    path.write_text("my notes", encoding="utf-8")
    with pytest.raises(StoreError, match="not a cvquiz progress database"):
        Store(path)
    assert path.read_text(encoding="utf-8") == "my notes"


def test_another_programs_database_is_refused(tmp_path):
    path = tmp_path / "other.sqlite3"
    db = sqlite3.connect(path)
    db.execute("CREATE TABLE x (y)")
    db.commit()
    db.close()
    with pytest.raises(StoreError, match="not a cvquiz progress database"):
        Store(path)


def test_a_database_from_a_newer_cvquiz_is_refused(tmp_path):
    path = tmp_path / "new.sqlite3"
    Store(path).close()
    db = sqlite3.connect(path)
    db.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    db.close()
    with pytest.raises(StoreError, match="newer cvquiz"):
        Store(path)


def test_two_stores_on_one_file_both_write(tmp_path):
    path = tmp_path / "p.sqlite3"
    with Store(path) as a, Store(path) as b:
        Schedule(a).record(review("a"))
        Schedule(b).record(review("b"))
        assert {r.question_id for r in a.reviews()} == {"a", "b"}


def test_last_wrong_lists_questions_whose_latest_answer_was_wrong(tmp_path):
    with Store(tmp_path / "p.sqlite3") as store:
        s = Schedule(store)
        t = now()
        s.record(review("x", correct=False, rating=1, at=t))
        s.record(review("y", correct=False, rating=1, at=t + timedelta(seconds=1)))
        s.record(review("x", correct=True, rating=3, at=t + timedelta(seconds=2)))
        assert store.last_wrong() == ["y"]


@pytest.mark.parametrize("correct,helped,rating", [(False, False, 1), (False, True, 1), (True, True, 2), (True, False, 3)])
def test_ratings_follow_the_rules(correct, helped, rating):
    assert int(rating_for(correct, helped)) == rating


def test_a_wrong_answer_comes_back_sooner_than_a_right_one(tmp_path):
    with Store(tmp_path / "p.sqlite3") as store:
        s = Schedule(store, fuzz=False)
        t = now()
        wrong = s.record(Review("w", t, 1, False))
        right = s.record(Review("r", t, 3, True))
        assert wrong < right


def test_with_an_exam_day_every_next_review_falls_before_it(tmp_path):
    from cvquiz.practice.schedule import exam_start

    until = (now() + timedelta(days=5)).date()
    with Store(tmp_path / "p.sqlite3") as store:
        s = Schedule(store, until=until, fuzz=False)
        t = now()
        for i in range(6):  # many right answers push the interval far past five days
            due = s.record(Review("q", t, 3, True))
            t = due
        assert due < exam_start(until)


def test_plan_puts_due_questions_first_then_new_ones_up_to_the_limit(tmp_path):
    with Store(tmp_path / "p.sqlite3") as store:
        s = Schedule(store, fuzz=False)
        t = now() - timedelta(days=30)
        s.record(Review("old", t, 1, False))
        plan = s.plan(["n1", "old", "n2", "n3"], count=10, new=2)
        assert plan == ["old", "n1", "n2"]
