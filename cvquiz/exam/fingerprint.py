"""Fingerprints of the fixed bank questions an exam was built from, so marking notices a bank edit.

A generated question is pinned by its generator's kind, version and seed (see
:mod:`cvquiz.exam.paper`); a fixed question has only its id, so ``exam build`` also records two
sha256 digests of its canonical JSON:

- ``key``: what decides a score: the answer kind, the answer, the tolerance, the symbols and the
  number of choices (for a choice question the answer is the index of the right choice in the
  file, so moving the right choice changes it);
- ``content``: the key plus the prompt, the choices' texts and the known mistakes with their
  feedback.

``exam mark`` compares them with the current bank (:func:`changes`): a changed key means scores
may change, a changed content with the same key means only the wording or the feedback changed.
Marking goes on with the current bank either way (a key correction is a reason to re-mark; the
before/after diff shows its effect) and each change is named.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
from dataclasses import dataclass
from typing import Any

from cvquiz.bank import schema as S
from cvquiz.text import Text


@dataclass(frozen=True)
class Change:
    """A fixed question whose bank entry differs from the one the papers were built from."""

    id: str
    key_changed: bool

    def describe(self) -> str:
        if self.key_changed:
            return (f"question {self.id!r}: its answer key changed in the bank since the papers were built "
                    "(answer, tolerance or choices); it is marked with the current key")
        return (f"question {self.id!r}: its wording or feedback changed in the bank since the papers were "
                "built; the answer key is the same")


def canonical(x: Any) -> Any:
    """``x`` as plain JSON data in one canonical form (sets sorted, sympy values as their str)."""
    if x is None or isinstance(x, (bool, int, str)):
        return x
    if isinstance(x, float):
        return repr(x)
    if isinstance(x, Text):
        return {"en": x.en, "zh": x.zh}
    if isinstance(x, (set, frozenset)):
        return sorted((canonical(v) for v in x), key=lambda v: json.dumps(v, sort_keys=True))
    if isinstance(x, (list, tuple)):
        return [canonical(v) for v in x]
    if isinstance(x, dict):
        return {str(k): canonical(v) for k, v in sorted(x.items(), key=lambda kv: str(kv[0]))}
    if dataclasses.is_dataclass(x) and not isinstance(x, type):
        return {f.name: canonical(getattr(x, f.name)) for f in dataclasses.fields(x)}
    return str(x)


def _digest(data: Any) -> str:
    text = json.dumps(data, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def fingerprint(question: S.Question) -> dict[str, str]:
    """``{"key": sha256, "content": sha256}`` of a fixed question (see the module doc)."""
    key = {"kind": question.answer_kind, "answer": canonical(question.answer),
           "tolerance": canonical(question.tolerance), "symbols": canonical(question.symbols),
           "n_choices": question.n_choices}
    content = {**key, "prompt": canonical(question.prompt),
               "choices": canonical(getattr(question, "choices", ())),
               "mistakes": canonical(question.mistakes)}
    return {"key": _digest(key), "content": _digest(content)}


def fingerprints(questions: list[S.Question]) -> dict[str, dict[str, str]]:
    """The fingerprint of every fixed (not generated) question, by id."""
    return {q.id: fingerprint(q) for q in questions if not isinstance(q, S.GeneratedQuestion)}


def changes(recorded: dict[str, dict[str, str]], questions: dict[str, S.Question]) -> list[Change]:
    """Every recorded question whose current fingerprint differs, in the recorded order."""
    out = []
    for qid, was in recorded.items():
        question = questions.get(qid)
        if question is None:
            continue  # refused with its own message by the caller
        now = fingerprint(question)
        if now != was:
            out.append(Change(qid, now["key"] != was.get("key")))
    return out
