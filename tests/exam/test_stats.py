"""Item statistics on constructed data, against a hand computation and independent formulas."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import stats as scipy_stats

from cvquiz.exam.stats import analyse, cronbach_alpha


def _results(table, ids=("q1", "q2", "q3"), chosen=None, cases=None):
    out = []
    for s, row in enumerate(table):
        questions = {}
        for i, q in enumerate(ids):
            part = {"typed": "x", "status": "correct" if row[i] == 1 else "wrong"}
            if chosen and q in chosen:
                part["chosen"] = chosen[q][s]
            questions[q] = {"score": row[i], "points": 1.0, "parts": {q: part},
                            "params": {"case": cases[s]} if cases and i == 0 else {}}
        out.append({"student": {"id": f"s{s}"}, "status": "graded", "questions": questions})
    return out


# Four students, three 1-point items, a Guttman pattern: totals 3, 2, 1, 0.
GUTTMAN = [[1, 1, 1], [1, 1, 0], [1, 0, 0], [0, 0, 0]]


def test_facility_kr20_and_upper_lower_match_a_hand_computation():
    result = analyse(["q1", "q2", "q3"], {"q1": 1, "q2": 1, "q3": 1}, _results(GUTTMAN))
    assert [i.facility for i in result.items] == [0.75, 0.5, 0.25]
    # var(T) = ((1.5² + 0.5²) * 2) / 4 = 1.25; sum of p q = 0.1875 + 0.25 + 0.1875 = 0.625
    # KR-20 = 3/2 * (1 - 0.625 / 1.25) = 0.75
    assert result.reliability_name == "KR-20"
    assert result.reliability == pytest.approx(0.75)
    # g = round(0.27 * 4) = 1: the top student answered all, the bottom none
    assert [i.upper_lower for i in result.items] == [1.0, 1.0, 1.0]
    assert result.mean == 1.5 and result.sd == pytest.approx(math.sqrt(1.25))


def test_point_biserial_is_the_correlation_with_the_rest_score():
    result = analyse(["q1", "q2", "q3"], {"q1": 1, "q2": 1, "q3": 1}, _results(GUTTMAN))
    # item 1: x = [1, 1, 1, 0], rest = [2, 1, 0, 0]: cov 0.1875, var x 0.1875, var rest 0.6875
    assert result.items[0].point_biserial == pytest.approx(math.sqrt(3 / 11))
    table = np.array(GUTTMAN, dtype=float)
    for i, item in enumerate(result.items):
        rest = table.sum(axis=1) - table[:, i]
        assert item.point_biserial == pytest.approx(scipy_stats.pointbiserialr(table[:, i], rest).statistic)


def test_cronbach_alpha_of_partial_scores_matches_the_covariance_formula():
    rng = np.random.default_rng(7)
    table = rng.integers(0, 5, size=(12, 4)) / 2.0  # scores 0, 0.5, ..., 2
    cov = np.cov(table, rowvar=False)
    k = table.shape[1]
    expected = k / (k - 1) * (1 - np.trace(cov) / cov.sum())
    assert cronbach_alpha(table.tolist()) == pytest.approx(expected)
    ids = ("a", "b", "c", "d")
    results = _results(table.tolist(), ids)
    for r in results:
        for q in r["questions"].values():
            q["points"] = 2.0
    result = analyse(list(ids), {q: 2.0 for q in ids}, results)
    assert result.reliability_name == "Cronbach's alpha"
    assert result.reliability == pytest.approx(expected)


def test_a_constant_item_has_no_point_biserial_and_one_item_no_reliability():
    result = analyse(["q1"], {"q1": 1}, _results([[1], [1], [1]], ids=("q1",)))
    assert result.items[0].point_biserial is None
    assert result.reliability is None


def test_distractor_rates_misconceptions_and_difficulty_by_case():
    results = _results(GUTTMAN, chosen={"q1": [[0], [0], [0], [2]]}, cases=["nested", "nested", "partial", "partial"])
    results[3]["questions"]["q1"]["parts"]["q1"]["misconception"] = {"en": "used the union", "zh": "用了并集"}
    result = analyse(["q1", "q2", "q3"], {"q1": 1, "q2": 1, "q3": 1}, results)
    item = result.items[0]
    assert item.distractors == {0: 0.75, 2: 0.25}
    assert item.misconceptions == {"used the union": 1}
    assert item.by_case == {"nested": (2, 1.0), "partial": (2, 0.5)}


def test_only_graded_students_count():
    results = _results(GUTTMAN)
    results[3]["status"] = "missing"
    result = analyse(["q1", "q2", "q3"], {"q1": 1, "q2": 1, "q3": 1}, results)
    assert result.n == 3
    assert result.items[0].facility == 1.0
