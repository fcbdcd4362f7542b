"""CSV gradebooks: ``grades.csv`` (one row per student) and a long format (one row per test).

``grades.csv``: ``student,total,max,status`` then one column per question (its score). The long
format: ``student,question,test,visible,score,max_score,status,seeds`` — for spreadsheets and
item statistics. Scores are written with at most 6 decimals.
"""

from __future__ import annotations

import csv
import io

from cvquiz.report.model import SubmissionResult


def grades_csv(results: list[SubmissionResult], questions: list[str]) -> str:
    out = io.StringIO()
    w = csv.writer(out, lineterminator="\n")
    w.writerow(["student", "total", "max", "status", *questions])
    for r in sorted(results, key=lambda r: r.student):
        scores = r.by_question()
        w.writerow([r.student, _num(r.total), _num(r.max_score), r.status,
                    *(_num(scores.get(q, 0.0)) for q in questions)])
    return out.getvalue()


def long_csv(results: list[SubmissionResult]) -> str:
    out = io.StringIO()
    w = csv.writer(out, lineterminator="\n")
    w.writerow(["student", "question", "test", "visible", "score", "max_score", "status", "seeds"])
    for r in sorted(results, key=lambda r: r.student):
        for t in r.tests:
            w.writerow([r.student, t.question, t.test, "true" if t.visible else "false", _num(t.score),
                        _num(t.max_score), t.status, " ".join(str(s) for s in t.seeds)])
    return out.getvalue()


def _num(x: float) -> str:
    return f"{round(x, 6):g}"
