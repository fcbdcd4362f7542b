"""Gradescope's ``results.json`` for one submission.

Format (Gradescope's autograder specification): top-level ``score``, ``max_score``,
``execution_time``, ``output``, ``visibility``, ``stdout_visibility`` and ``tests``, each test with
``score``, ``max_score``, ``status`` ("passed"/"failed"), ``name``, ``output`` and ``visibility``.
Visible tests are ``visible``; hidden tests are ``after_published`` and their output says only
passed or failed.
"""

from __future__ import annotations

import json
from typing import Any

from cvquiz.report.model import SubmissionResult


def results_json(result: SubmissionResult, lang: str = "en") -> dict[str, Any]:
    tests = []
    for i, t in enumerate(result.tests, 1):
        tests.append({
            "name": t.name,
            "number": str(i),
            "score": round(t.score, 6),
            "max_score": round(t.max_score, 6),
            "status": "passed" if t.passed else "failed",
            "output": t.message.get(lang) or ("passed" if t.passed else "failed"),
            "visibility": "visible" if t.visible else "after_published",
            "tags": [t.question],
            "extra_data": {"seeds": [str(s) for s in t.seeds], "status": t.status if t.visible else
                           ("passed" if t.passed else "failed")},
        })
    summary = (f"{result.assignment}: {_num(result.total)} / {_num(result.max_score)}"
               if result.status == "graded" else result.message.get(lang))
    return {
        "score": round(result.total, 6),
        "max_score": round(result.max_score, 6),
        "execution_time": round(sum(t.elapsed_s for t in result.tests), 3),
        "output": summary,
        "visibility": "visible",
        "stdout_visibility": "hidden",
        "tests": tests,
    }


def dumps(result: SubmissionResult, lang: str = "en") -> str:
    return json.dumps(results_json(result, lang), ensure_ascii=False, indent=2) + "\n"


def _num(x: float) -> str:
    return f"{x:g}"
