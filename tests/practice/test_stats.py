"""Mastery: predicted recall at the exam day (or one day ahead), 0 for a card last answered wrong."""

from __future__ import annotations

from datetime import date, timedelta

from click.testing import CliRunner

from cvquiz.cli import main
from cvquiz.practice.schedule import Schedule, exam_start, rating_for
from cvquiz.practice.stats import DEFAULT_HORIZON, horizon, mastery
from cvquiz.practice.store import Review, Store, now

TOPICS = {"detection": {"detection.nms": ["q1", "q2"]}}


def replay(path, answers, *, qid="q1", until=None):
    """Answer ``qid`` once a day for the given right/wrong answers, ending now."""
    start = now() - timedelta(days=len(answers))
    with Store(path) as store:
        schedule = Schedule(store, until=until, fuzz=False)
        for day, right in enumerate(answers):
            schedule.record(Review(qid, start + timedelta(days=day), int(rating_for(right, False)), right,
                                   topic="detection", concepts=("detection.nms",)))


def concept_mastery(path, **kwargs) -> float:
    with Store(path) as store:
        [(topic_row, [concept_row])] = mastery(store, TOPICS, **kwargs)
    return concept_row.mastery


def test_a_wrong_last_answer_makes_mastery_strictly_lower_than_two_right_ones(tmp_path):
    replay(tmp_path / "rr.db", [True, True])
    replay(tmp_path / "rrw.db", [True, True, False])
    right_right = concept_mastery(tmp_path / "rr.db")
    assert 0 < right_right <= 0.5  # q1 recalled, q2 never seen
    assert concept_mastery(tmp_path / "rrw.db") < right_right


def test_a_wrongly_answered_card_counts_zero_until_answered_right_again(tmp_path):
    replay(tmp_path / "rrw.db", [True, True, False])
    replay(tmp_path / "rrwr.db", [True, True, False, True])
    assert concept_mastery(tmp_path / "rrw.db") == 0
    assert concept_mastery(tmp_path / "rrwr.db") > 0


def test_mastery_is_measured_at_the_exam_day_so_a_far_exam_lowers_it(tmp_path):
    replay(tmp_path / "p.db", [True, True])
    tomorrow = concept_mastery(tmp_path / "p.db")
    in_a_month = concept_mastery(tmp_path / "p.db", exam_day=(now() + timedelta(days=30)).date())
    assert 0 < in_a_month < tomorrow


def test_practice_until_stores_the_exam_day_that_stats_then_uses(tmp_path):
    exam = (now() + timedelta(days=30)).date()
    replay(tmp_path / "p.db", [True, True], until=exam)
    with Store(tmp_path / "p.db") as store:
        assert store.exam_day() == exam
    assert concept_mastery(tmp_path / "p.db") == concept_mastery(tmp_path / "p.db", exam_day=exam)


def test_a_past_exam_day_or_none_means_one_day_ahead():
    at = now()
    assert horizon(at, None) == at + DEFAULT_HORIZON
    assert horizon(at, date(2000, 1, 1)) == at + DEFAULT_HORIZON
    future = (at + timedelta(days=10)).date()
    assert horizon(at, future) == exam_start(future)


def test_stats_help_says_what_mastery_means():
    result = CliRunner().invoke(main, ["stats", "--help"])
    assert result.exit_code == 0
    text = " ".join(result.output.split())
    assert "predicted" in text and "--until" in text and "wrong" in text and "one day ahead" in text
