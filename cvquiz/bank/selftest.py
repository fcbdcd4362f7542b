"""Checks beyond reading a bank, made by ``cvquiz bank check``: each question answers itself.

- A question with a fixed answer must accept its own answer typed the plain way a student
  would (``B``; ``A, C``; ``true``; ``3/7``; ``[2, 8, 64]``; ``0 2 5``), and reject each listed mistake.
- A ``generated`` question must make a variant with its options (seed 0; the generators' own
  tests run many seeds).

Besides these problems, :func:`missing_hints` lists warnings (not errors): every question of a
kind that computes something (``numeric``, ``expression``, ``shape``, ``order``, ``generated``)
should carry a hint in both languages, a nudge towards the method; a ``generated`` question may
take its hint from its generator.
"""

from __future__ import annotations

from typing import Iterable

from cvquiz.bank.schema import GeneratedQuestion, Question

SEEDS = ("0",)


def typed_answer(q: Question, value: object = None) -> str:
    """``value`` (default: the question's own answer) typed as a student would type it."""
    kind = q.answer_kind
    answer = q.answer if value is None else value
    if kind == "choice":
        return chr(ord("A") + answer)
    if kind == "multi":
        return ", ".join(chr(ord("A") + i) for i in sorted(answer))
    if kind == "truefalse":
        return "true" if answer else "false"
    if kind == "expression" and value is None:
        return getattr(q, "answer_text", str(answer))
    if kind == "shape":
        return str(list(answer))
    if kind in ("indices", "set"):
        return " ".join(str(i) for i in (answer if kind == "indices" else sorted(answer)))
    return str(answer)


def self_test(questions: Iterable[Question]) -> list[str]:
    """Problems found by answering each question with its own answer and its listed mistakes.

    Each problem reads ``file:line: id: what happened; what was expected``.
    """
    problems = []
    for q in questions:
        if isinstance(q, GeneratedQuestion):
            problems.extend(_make_variants(q))
            continue
        if q.answer_kind is None:
            continue
        attempts = [(typed_answer(q), "correct", None, "its own answer")]
        attempts += [(typed_answer(q, m.answer), "wrong", m.feedback, f"mistakes[{i}]")
                     for i, m in enumerate(q.mistakes if hasattr(q, "wrong") else ())]  # listed ones only
        for typed, status, feedback, what in attempts:
            try:
                verdict = q.check(typed)
            except Exception as exc:  # the checker failing on a bank's own answer is a finding, not a crash
                problems.append(f"{q.where}: {q.id}: checking {what} typed as {typed!r} failed: "
                                f"{type(exc).__name__}: {exc}")
                continue
            if verdict.status != status or (feedback is not None and verdict.feedback != feedback):
                why = f" ({verdict.message.en})" if verdict.message else ""
                expected = status if feedback is None else f"{status}, with that mistake's feedback"
                problems.append(f"{q.where}: {q.id}: {what} typed as {typed!r} is judged {verdict.status}{why}"
                                f"{'' if verdict.status != status else ' without its feedback'}; expected {expected}")
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


def missing_hints(questions: Iterable[Question]) -> list[str]:
    """Warnings ``file:line: hint: id: ...``, one per question that should have a hint and has none.

    The kinds that want one are those whose model sets ``wants_hint``; a ``generated`` question
    without a hint of its own is covered when its generator's variant (seed 0) has one.
    """
    warnings = []
    for q in questions:
        if not q.wants_hint or q.hint is not None:
            continue
        if isinstance(q, GeneratedQuestion) and _generator_hints(q):
            continue
        article = "an" if q.kind[0] in "aeiou" else "a"
        warnings.append(f"{q.where}: hint: {q.id}: {article} {q.kind} question without a hint; expected "
                        "a hint in 'en' and 'zh' (a nudge towards the method, not the answer)")
    return warnings


def _generator_hints(q: GeneratedQuestion) -> bool:
    from cvquiz.problems.registry import make

    try:
        return make(q.generator, SEEDS[0], question=q.id, **q.options).hint is not None
    except Exception:  # the failure itself is a problem that self_test reports
        return True
