"""Item analysis of marked results (``cvquiz exam stats``), as classical test theory defines it.

Only students whose sheet was marked (``graded``) count; ``n`` students, ``k`` items. Item
``i``'s score of student ``s`` is ``x[s, i]`` = score / points (in [0, 1]); the total ``T[s]`` is
the sum of the scores in points. Variances are population variances (divide by ``n``).

- facility ``p_i`` = mean of ``x[:, i]``;
- point-biserial ``r_i`` = Pearson correlation of ``x[:, i]`` with the rest score ``T - score_i``
  (the item left out, so it does not correlate with itself); ``None`` when either is constant;
- upper/lower 27 %: ``g = max(1, round(0.27 n))`` students with the highest totals and ``g``
  with the lowest (ties broken by student id); ``D_i`` = mean ``x`` in the upper group minus mean
  ``x`` in the lower group;
- reliability: Cronbach's ``alpha = k/(k-1) * (1 - sum_i var(score_i) / var(T))``, called KR-20
  when every item score is 0 or 1 (the two formulas agree then); ``None`` when ``k < 2`` or
  ``var(T) = 0``;
- distractor rates: for choice questions, the share of students who chose each choice (in the
  bank's order, so that every student's shuffled letters count together), and the blank share;
- misconceptions: how many answers matched each known mistake of each question;
- difficulty by case: facility per value of a generator's ``case`` parameter.
"""

from __future__ import annotations

import math
from collections import Counter
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class ItemStats:
    id: str
    points: float
    facility: float
    point_biserial: float | None
    upper_lower: float
    distractors: dict[int, float] = field(default_factory=dict)  # bank choice index -> share
    blank: float = 0.0
    misconceptions: dict[str, int] = field(default_factory=dict)  # feedback (en) -> count
    by_case: dict[str, tuple[int, float]] = field(default_factory=dict)  # case -> (n, facility)


@dataclass(frozen=True)
class ExamStats:
    n: int
    max_score: float
    totals: list[float]
    mean: float
    sd: float
    reliability: float | None
    reliability_name: str  # "Cronbach's alpha" or "KR-20"
    items: list[ItemStats]


def _mean(xs: list[float]) -> float:
    return sum(xs) / len(xs)


def _var(xs: list[float]) -> float:
    m = _mean(xs)
    return sum((x - m) ** 2 for x in xs) / len(xs)


def pearson(xs: list[float], ys: list[float]) -> float | None:
    """Pearson's correlation; ``None`` when either list is constant."""
    vx, vy = _var(xs), _var(ys)
    if vx <= 1e-15 or vy <= 1e-15:
        return None
    mx, my = _mean(xs), _mean(ys)
    return sum((x - mx) * (y - my) for x, y in zip(xs, ys)) / len(xs) / math.sqrt(vx * vy)


def cronbach_alpha(scores: list[list[float]]) -> float | None:
    """Cronbach's alpha of a students × items table of scores (KR-20 when all are 0/1)."""
    n = len(scores)
    k = len(scores[0]) if n else 0
    if n < 2 or k < 2:
        return None
    totals = [sum(row) for row in scores]
    var_t = _var(totals)
    if var_t <= 1e-15:
        return None
    sum_items = sum(_var([row[i] for row in scores]) for i in range(k))
    return k / (k - 1) * (1 - sum_items / var_t)


def analyse(question_ids: list[str], points: dict[str, float], results: list[dict[str, Any]]) -> ExamStats:
    """Item statistics of ``results`` (the ``results.json`` of ``exam mark``) over ``question_ids``."""
    graded = sorted((r for r in results if r["status"] == "graded"), key=lambda r: r["student"]["id"])
    n = len(graded)
    if n == 0:
        from cvquiz.errors import ExamError

        raise ExamError("no marked answer sheets: item statistics need at least one graded student")
    scores = [[r["questions"][q]["score"] for q in question_ids] for r in graded]
    totals = [sum(row) for row in scores]
    g = max(1, round(0.27 * n))
    ranked = sorted(range(n), key=lambda s: (-totals[s], graded[s]["student"]["id"]))
    upper, lower = ranked[:g], ranked[-g:]
    items = []
    for i, qid in enumerate(question_ids):
        pts = points[qid]
        x = [row[i] / pts for row in scores]
        rest = [totals[s] - scores[s][i] for s in range(n)]
        choices: Counter[int] = Counter()
        blank = 0
        misconceptions: Counter[str] = Counter()
        cases: dict[str, list[float]] = {}
        for s, r in enumerate(graded):
            q = r["questions"][qid]
            for part in q["parts"].values():
                for c in part.get("chosen", []):
                    choices[c] += 1
                blank += part["status"] == "blank"
                if "misconception" in part:
                    misconceptions[part["misconception"]["en"]] += 1
            case = (q.get("params") or {}).get("case")
            if case is not None:
                cases.setdefault(str(case), []).append(x[s])
        items.append(ItemStats(
            id=qid, points=pts, facility=_mean(x), point_biserial=pearson(x, rest),
            upper_lower=_mean([x[s] for s in upper]) - _mean([x[s] for s in lower]),
            distractors={c: choices[c] / n for c in sorted(choices)},
            blank=blank / n / max(1, len(graded[0]["questions"][qid]["parts"])),
            misconceptions=dict(sorted(misconceptions.items(), key=lambda kv: (-kv[1], kv[0]))),
            by_case={c: (len(v), _mean(v)) for c, v in sorted(cases.items())}))
    dichotomous = all(v in (0.0, 1.0) for row in scores for v in (row[i] / points[q] for i, q in enumerate(question_ids)))
    return ExamStats(n=n, max_score=sum(points[q] for q in question_ids), totals=totals, mean=_mean(totals),
                     sd=math.sqrt(_var(totals)), reliability=cronbach_alpha(scores),
                     reliability_name="KR-20" if dichotomous else "Cronbach's alpha", items=items)
