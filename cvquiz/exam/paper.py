"""Each student's paper (their own variants and choice order) and the manifest that rebuilds it.

A generated question's seed derives from (exam secret, student id, question id) by HMAC-SHA256
(:func:`cvquiz.problems.registry.derive_seed`); a choice question's order is a shuffle seeded the
same way. The manifest (``manifest.json``, for the instructor only: its seeds give every answer)
records, for every student and question, the generator kind, its version, the seed, the options
and the choice order, so that anyone can regenerate every paper without the secret, and a
fingerprint of each fixed question (:mod:`cvquiz.exam.fingerprint`), so that marking notices a
bank edit made after the build.
:func:`papers_from_manifest` does that, and refuses a manifest whose generator version is no
longer available (the numbers would differ from the printed paper).
"""

from __future__ import annotations

import hashlib
import hmac
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cvquiz.bank import schema as S
from cvquiz.bank.load import Bank
from cvquiz.errors import ExamError
from cvquiz.exam.fingerprint import fingerprints
from cvquiz.exam.roster import Student
from cvquiz.exam.spec import Exam, ExamQuestion, refuse_code
from cvquiz.practice.items import item_from_question, item_from_variant
from cvquiz.practice.session import Item
from cvquiz.problems.registry import Rng, derive_seed, make, registry
from cvquiz.text import Text

MANIFEST = "manifest.json"
MANIFEST_FORMAT = 1
LETTERS = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"


@dataclass(frozen=True)
class Entry:
    """One question of one student's paper."""

    exam_question: ExamQuestion
    item: Item
    record: dict[str, Any]  # what the manifest stores to rebuild it

    @property
    def columns(self) -> list[str]:
        """The answer sheet's columns of this question: its id, or ``id.part`` for each part."""
        if len(self.item.parts) == 1:
            return [self.item.question_id]
        return [f"{self.item.question_id}.{p.name}" for p in self.item.parts]

    @property
    def params(self) -> dict[str, Any]:
        return self.record.get("params", {})


@dataclass(frozen=True)
class Paper:
    student: Student
    entries: tuple[Entry, ...]


def secret_check(secret: bytes) -> str:
    """A short fingerprint of the secret (not the secret): tells whether two builds used the same one."""
    return hmac.new(secret, b"cvquiz exam secret check", hashlib.sha256).hexdigest()[:12]


def _entry(eq: ExamQuestion, record: dict[str, Any]) -> Entry:
    q = eq.question
    if isinstance(q, S.GeneratedQuestion):
        gen = registry().get(record["generator"])
        if gen is None:
            raise ExamError(f"{MANIFEST}: question {q.id!r}: generator {record['generator']!r} is no longer "
                            "available; this paper cannot be regenerated")
        if gen.version != record["version"]:
            raise ExamError(f"{MANIFEST}: question {q.id!r}: generator {gen.kind!r} is now version {gen.version}, "
                            f"but the papers were built with version {record['version']}; their numbers "
                            "cannot be regenerated (mark with the cvquiz release that built them)")
        variant = make(gen.kind, record["seed"], **record.get("options", {}))
        return Entry(eq, item_from_variant(q, variant), {**record, "params": variant.params})
    order = record.get("order")
    return Entry(eq, item_from_question(q, order) if order else item_from_question(q), record)


def build_paper(exam: Exam, student: Student, secret: bytes) -> Paper:
    """``student``'s paper: every exam question with that student's own variant and choice order."""
    entries = []
    for eq in exam.questions:
        q = eq.question
        refuse_code(q)
        seed = derive_seed(secret, student.id, q.id)
        if isinstance(q, S.GeneratedQuestion):
            gen = registry().get(q.generator)
            if gen is None:
                raise ExamError(f"question {q.id!r}: unknown generator {q.generator!r}")
            record = {"id": q.id, "generator": q.generator, "version": gen.version,
                      "seed": derive_seed(secret, student.id, q.id), "options": dict(q.options)}
        elif getattr(q, "choices", ()):
            record = {"id": q.id, "order": Rng(seed).shuffle(list(range(len(q.choices))))}
        else:
            record = {"id": q.id}
        entries.append(_entry(eq, record))
    return Paper(student, tuple(entries))


def manifest(exam: Exam, papers: list[Paper], *, secret: bytes, date: str, lang: str) -> dict[str, Any]:
    """The manifest of a build (JSON-able): exam, roster, and every paper's seeds and orders."""
    return {
        "format": MANIFEST_FORMAT,
        "date": date,
        "lang": lang,
        "secret_check": secret_check(secret),
        "title": exam.title.to_json(),
        "sections": [t.to_json() for t in exam.sections],
        "questions": [{"id": eq.id, "points": eq.points, "section": eq.section, "kind": eq.question.kind}
                      for eq in exam.questions],
        "fingerprints": fingerprints([eq.question for eq in exam.questions]),
        "students": [{**p.student.to_json(),
                      "questions": [{k: v for k, v in e.record.items() if k != "params"} for e in p.entries]}
                     for p in papers],
    }


def write_json(path: Path, data: Any) -> None:
    from cvquiz.report.files import write_atomic

    write_atomic(path, json.dumps(data, ensure_ascii=False, indent=2, sort_keys=False) + "\n")


def read_manifest(folder: Path) -> dict[str, Any]:
    path = Path(folder) / MANIFEST
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ExamError(f"{path}: no manifest; is {folder} a folder written by `cvquiz exam build`?") from None
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ExamError(f"{path}: cannot be read as a manifest: {exc}") from None
    if not isinstance(data, dict) or data.get("format") != MANIFEST_FORMAT:
        raise ExamError(f"{path}: not a manifest of format {MANIFEST_FORMAT} (written by `cvquiz exam build`)")
    return data


def papers_from_manifest(data: dict[str, Any], bank: Bank) -> tuple[Exam, list[Paper]]:
    """The exam and every paper, rebuilt from a manifest and the course's bank (no secret needed)."""
    try:
        eqs = []
        for row in data["questions"]:
            if row["id"] not in bank.questions:
                raise ExamError(f"{MANIFEST}: question {row['id']!r} of this exam is no longer in the course's "
                                "banks (removed or renamed since `exam build`); its papers cannot be marked "
                                "without it: put it back, or mark with the course the papers were built from")
            eqs.append(ExamQuestion(bank.questions[row["id"]], float(row["points"]), int(row["section"])))
        exam = Exam(Text(**data["title"]), tuple(Text(**t) for t in data["sections"]), tuple(eqs))
        by_id = {eq.id: eq for eq in eqs}
        papers = []
        for s in data["students"]:
            student = Student(s["id"], s.get("name", ""), s.get("sis_id", ""), s.get("section", ""))
            papers.append(Paper(student, tuple(_entry(by_id[r["id"]], r) for r in s["questions"])))
    except (KeyError, TypeError, ValueError) as exc:
        raise ExamError(f"{MANIFEST}: malformed manifest ({type(exc).__name__}: {exc})") from None
    return exam, papers
