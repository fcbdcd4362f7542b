"""Checks beyond reading a bank, made by ``cvquiz bank check``: each question answers itself.

- A question with a fixed answer must accept its own answer typed the plain way a student
  would (``B``; ``A, C``; ``true``; ``3/7``; ``[2, 8, 64]``; ``0 2 5``), and reject each listed mistake.
- A ``generated`` question must make variants with its options (a few fixed seeds).
"""

from __future__ import annotations

from typing import Iterable

from cvquiz.bank.schema import GeneratedQuestion, Question

SEEDS = ("0", "1", "2")


def typed_answer(q: Question) -> str:
    """The question's own answer as a student would type it."""
    kind, answer = q.answer_kind, q.answer
    if kind == "choice":
        return chr(ord("A") + answer)
    if kind == "multi":
        return ", ".join(chr(ord("A") + i) for i in sorted(answer))
    if kind == "truefalse":
        return "true" if answer else "false"
    if kind == "expression":
        return getattr(q, "answer_text", str(answer))
    if kind == "shape":
        return str(list(answer))
    if kind in ("indices", "set"):
        return " ".join(str(i) for i in (answer if kind == "indices" else sorted(answer)))
    return str(answer)


def self_test(questions: Iterable[Question]) -> list[str]:
    """Problems found by answering each question with its own answer (``file:line: id: ...``)."""
    problems = []
    for q in questions:
        if isinstance(q, GeneratedQuestion):
            problems.extend(_make_variants(q))
            continue
        if q.answer_kind is None:
            continue
        typed = typed_answer(q)
        try:
            verdict = q.check(typed)
        except Exception as exc:  # the checker failing on a bank's own answer is a finding, not a crash
            problems.append(f"{q.where}: {q.id}: checking its own answer {typed!r} failed: "
                            f"{type(exc).__name__}: {exc}")
            continue
        if not verdict.correct:
            why = f" ({verdict.message.en})" if verdict.message else ""
            problems.append(f"{q.where}: {q.id}: its own answer typed as {typed!r} is judged "
                            f"{verdict.status}{why}; expected correct")
    return problems


def _make_variants(q: GeneratedQuestion) -> list[str]:
    from cvquiz.problems.registry import make

    for seed in SEEDS:
        try:
            make(q.generator, seed, question=q.id, **q.options)
        except Exception as exc:  # a generator rejecting the bank's options, or failing outright
            return [f"{q.where}: {q.id}.options: generator {q.generator!r} fails with these options "
                    f"(seed {seed}): {exc}"]
    return []
