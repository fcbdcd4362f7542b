"""The answer-specific half of answer fuzzing: the checker as the target.

The promise under test: any typed text ends, within twice the checker's budget, with a verdict
(``invalid``, ``wrong`` or ``correct``), never an exception.
"""

from __future__ import annotations

from tests.fuzz.mutators import typed_answer
from tests.fuzz.runner import Case

#: What the checker is asked: (kind, expected, symbols).
QUESTIONS = [("expression", "N^2", ("N",)), ("expression", "2*N*d + d^2", ("N", "d")), ("number", "3/7", ())]


def answer_bound_s() -> float:
    from cvquiz.answers.worker import CHECK_BUDGET_S

    return 2 * CHECK_BUDGET_S


def setup() -> None:
    """In the fuzz child: start the checking worker before the first timed case."""
    for index in range(len(QUESTIONS)):
        check_target((index, "1"))


def check_target(data: tuple[int, str]) -> None:
    from cvquiz.answers.check import check_answer

    index, typed = data
    kind, expected, symbols = QUESTIONS[index % len(QUESTIONS)]
    verdict = check_answer(kind, expected, typed, symbols=symbols)
    assert verdict.status in ("invalid", "wrong", "correct"), verdict
    if verdict.status == "invalid":
        assert verdict.message.en and verdict.message.zh


def answer_cases(first_seed: int, n: int) -> list[Case]:
    out = []
    for seed in range(first_seed, first_seed + n):
        label, text = typed_answer(seed)
        out.append(Case(seed, label, (seed, text)))
    return out
