"""Checks every generator's variants must pass (shared by the detection and generative tests)."""

from __future__ import annotations

import math

import pytest
import sympy

from cvquiz.answers.check import check_answer, near_boundary
from cvquiz.problems.export import answer_string
from cvquiz.problems.registry import make

#: The default run checks 100 seeds per generator; ``-m slow`` checks 500.
SEED_COUNTS = [pytest.param(100, id="100-seeds"),
               pytest.param(500, id="500-seeds", marks=pytest.mark.slow)]


def seeds(n: int) -> list[str]:
    return [format(7919 * i + 104729, "x") for i in range(n)]


def float_of(value):
    if isinstance(value, (list, tuple)):
        return [float_of(v) for v in value]
    return float(sympy.N(value, 30))


def typed_decimal(value) -> str:
    """What a careful student types: 6 significant figures."""
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(typed_decimal(v) for v in value) + "]"
    return f"{float_of(value):.6g}"


def assert_variant_is_sound(kind: str, seed: str, **options):
    """Deterministic per seed; the answer passes the checker; each mistake fails with its feedback."""
    v = make(kind, seed, **options)
    again = make(kind, seed, **options)
    assert (v.params, answer_string(v.answer)) == (again.params, answer_string(again.answer)), \
        f"{kind} seed {seed}: not deterministic"
    assert v.prompt.en and v.prompt.zh and v.solution.en and v.solution.zh and v.hint.en and v.hint.zh
    exact = answer_string(v.answer)
    verdict = check_answer(v.answer_kind, v.answer, exact, tolerance=v.tolerance, mistakes=v.mistakes)
    assert verdict.correct, f"{kind} seed {seed}: exact answer {exact!r} judged {verdict}"
    if v.tolerance is not None:
        assert not near_boundary(v.answer, v.tolerance), f"{kind} seed {seed}: answer near a tolerance boundary"
        typed = typed_decimal(v.answer)
        verdict = check_answer(v.answer_kind, v.answer, typed, tolerance=v.tolerance, mistakes=v.mistakes)
        assert verdict.correct, f"{kind} seed {seed}: decimal answer {typed!r} judged {verdict}"
    for m in v.mistakes:
        typed = answer_string(m.answer)
        verdict = check_answer(v.answer_kind, v.answer, typed, tolerance=v.tolerance, mistakes=v.mistakes)
        assert verdict.status == "wrong", f"{kind} seed {seed}: mistake {typed!r} judged {verdict.status}"
        assert verdict.feedback == m.feedback, f"{kind} seed {seed}: mistake {typed!r} got other feedback"
    return v


def close(a, b, rel=1e-9, abs_tol=1e-12):
    """An exact answer (as numbers or nested lists) against a float reference."""
    if isinstance(a, (list, tuple)):
        return len(a) == len(b) and all(close(x, y, rel, abs_tol) for x, y in zip(a, b))
    return math.isclose(float(a), float(b), rel_tol=rel, abs_tol=abs_tol)
