"""How well a bank covers the syllabus: questions per concept and kind, and the gaps.

A concept has a gap when it has fewer than :data:`MIN_QUESTIONS` questions, no conceptual
question (choice, multi, truefalse), or, when the syllabus marks it ``num``, no computed one
(numeric, generated, shape, order, expression).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from cvquiz.bank.load import Bank
from cvquiz.bank.schema import KINDS, QUESTION_TYPES
from cvquiz.bank.syllabus import Concept

MIN_QUESTIONS = 3
CONCEPTUAL_KINDS = tuple(k for k, cls in QUESTION_TYPES.items() if cls.conceptual)
COMPUTED_KINDS = ("numeric", "generated", "shape", "order", "expression")


@dataclass(frozen=True)
class ConceptCoverage:
    """One concept's question counts by kind, and what it lacks."""

    concept: Concept
    counts: dict[str, int]
    gaps: tuple[str, ...]

    @property
    def total(self) -> int:
        return sum(self.counts.values())

    def to_json(self) -> dict[str, Any]:
        return {"concept": self.concept.id, "topic": self.concept.topic, "needs": list(self.concept.needs),
                "total": self.total, "counts": dict(self.counts), "gaps": list(self.gaps)}


def coverage(bank: Bank) -> list[ConceptCoverage]:
    """Every concept of the syllabus, those with gaps first, otherwise in syllabus order."""
    rows = []
    for cid, concept in bank.syllabus.concepts.items():
        counts = {kind: 0 for kind in KINDS}
        for q in bank.by_concept.get(cid, []):
            counts[q.kind] += 1
        gaps = []
        total = sum(counts.values())
        if total < MIN_QUESTIONS:
            gaps.append(f"{total} question{'s' * (total != 1)}, expected at least {MIN_QUESTIONS}")
        if not any(counts[k] for k in CONCEPTUAL_KINDS):
            gaps.append(f"no conceptual question ({', '.join(CONCEPTUAL_KINDS)})")
        if "num" in concept.needs and not any(counts[k] for k in COMPUTED_KINDS):
            gaps.append("marked num, but no numeric or generated question")
        rows.append(ConceptCoverage(concept, counts, tuple(gaps)))
    return sorted(rows, key=lambda r: not r.gaps)
