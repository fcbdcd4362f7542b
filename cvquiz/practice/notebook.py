"""The mistake notebook (错题本): each question whose last answer was wrong, read back from the store.

An entry gives the question id, what the student typed, the right answer and the misconception
the typed answer matches (a bank's ``mistakes``/choice feedback, or a generator's). A generated
question is rebuilt from the variant's stored seed, so the right answer is that of the numbers
the student saw. A choice answer is stored in the bank's order of choices (see
:meth:`~cvquiz.practice.session.Item.bank_labels`), so the entry shows the bank's letters.

``everything=True`` also lists questions once answered wrong and since answered right.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Sequence

from cvquiz.bank import schema as S
from cvquiz.practice.session import REVEALED, Item
from cvquiz.practice.store import Review, Store
from cvquiz.text import Text

LETTERS = "ABCDEFGHIJ"


@dataclass(frozen=True)
class Entry:
    question_id: str
    topic: str
    at: datetime  # when it was last answered wrong
    typed: str  # what was typed then (parts joined by " | ")
    answer: Text | None  # the right answer (None when the question left the bank)
    misconception: Text | None
    fixed: bool  # answered right since


def last_wrong_reviews(store: Store) -> tuple[dict[str, Review], set[str]]:
    """The last wrong review of each question ever answered wrong, and the ids whose last
    review is wrong."""
    wrong: dict[str, Review] = {}
    last: dict[str, Review] = {}
    for review in store.reviews():
        last[review.question_id] = review
        if not review.correct:
            wrong[review.question_id] = review
    return wrong, {qid for qid, r in last.items() if not r.correct}


def notebook(store: Store, questions: Sequence[S.Question], everything: bool = False) -> list[Entry]:
    """The notebook's entries, by topic then most recent first (the order of ``store.last_wrong``
    within a topic). Only questions of ``questions`` are listed."""
    by_id = {q.id: q for q in questions}
    wrong, still_wrong = last_wrong_reviews(store)
    entries = []
    for qid in sorted(wrong, key=lambda q: wrong[q].at, reverse=True):
        if qid not in by_id or (qid not in still_wrong and not everything):
            continue
        review = wrong[qid]
        answer, misconception = _read_back(by_id[qid], review)
        entries.append(Entry(qid, by_id[qid].topic, review.at, review.answer, answer, misconception,
                             fixed=qid not in still_wrong))
    entries.sort(key=lambda e: e.topic)  # stable: most recent first within a topic
    return entries


def _item_for(question: S.Question, review: Review) -> Item | None:
    from cvquiz.practice.items import item_from_question, item_from_variant

    if isinstance(question, S.GeneratedQuestion):
        if not review.seed:
            return None
        from cvquiz.problems.registry import make

        return item_from_variant(question, make(question.generator, seed=review.seed, **dict(question.options)))
    return item_from_question(question)


def _read_back(question: S.Question, review: Review) -> tuple[Text | None, Text | None]:
    """The right answer of the variant the student saw, and the misconception the typed answer shows."""
    from cvquiz.errors import CvquizError

    try:
        item = _item_for(question, review)
    except CvquizError:  # the generator changed or went away: the id and the typed answer remain
        return None, None
    if item is None:
        return None, None
    return answer_of(item), _misconception(item, review.answer)


def answer_of(item: Item) -> Text:
    """The right answer of every part of ``item``, in both languages."""
    from cvquiz.problems.display import answer_text

    en, zh = [], []
    for part in item.parts:
        prefix = f"{part.name} = " if part.name and len(item.parts) > 1 else ""
        if part.kind == "choice" and item.choices:
            c = item.choices[part.expected]
            en.append(f"{prefix}{LETTERS[part.expected]}) {c.en}")
            zh.append(f"{prefix}{LETTERS[part.expected]}) {c.zh}")
        elif part.kind == "multi" and item.choices:
            en.append(prefix + "; ".join(f"{LETTERS[i]}) {item.choices[i].en}" for i in sorted(part.expected)))
            zh.append(prefix + "; ".join(f"{LETTERS[i]}) {item.choices[i].zh}" for i in sorted(part.expected)))
        else:
            shown = answer_text(part.kind, part.expected, part.tolerance)
            en.append(prefix + shown)
            zh.append(prefix + shown)
    return Text("; ".join(en), "；".join(zh))


def _misconception(item: Item, typed: str) -> Text | None:
    from cvquiz.answers.check import check_answer

    answers = [a for a in typed.split(" | ") if a != REVEALED]
    found = []
    for part, text in zip(item.parts, answers):
        if not part.mistakes:
            continue
        verdict = check_answer(part.kind, part.expected, text, tolerance=part.tolerance, mistakes=part.mistakes,
                               symbols=part.symbols, n_choices=part.n_choices)
        if verdict.feedback is not None:
            found.append(verdict.feedback)
    if not found:
        return None
    return Text(" ".join(f.en for f in found), "".join(f.zh for f in found))


# -- output -----------------------------------------------------------------------

HEAD = {
    "title": Text("Mistake notebook", "错题本"),
    "typed": Text("My answer", "我的答案"),
    "answer": Text("Answer", "答案"),
    "why": Text("Misconception", "错因"),
    "fixed": Text("answered right since", "之后已答对"),
    "shown": Text("asked to see the answer", "查看了答案"),
    "gone": Text("(the question changed; see `cvquiz bank show`)", "（题目已改动；见 `cvquiz bank show`）"),
    "empty": Text("No question's last answer was wrong. Well done.", "没有最近答错的题目。"),
    "drill": Text("Drill them with `cvquiz practice --mistakes`.", "用 `cvquiz practice --mistakes` 重练这些题。"),
}


def _typed(entry: Entry, lang: str) -> str:
    parts = [p for p in entry.typed.split(" | ") if p]
    shown = [HEAD["shown"].get(lang) if p == REVEALED else p for p in parts]
    return " | ".join(shown) or "—"


def render_text(entries: Sequence[Entry], lang: str) -> str:
    """The notebook as plain text grouped by topic."""
    if not entries:
        return HEAD["empty"].get(lang)
    out = [f"{HEAD['title'].get(lang)} ({len(entries)})"]
    topic = None
    for e in entries:
        if e.topic != topic:
            topic = e.topic
            out += ["", f"{topic} ({sum(x.topic == topic for x in entries)})"]
        flag = f"  [{HEAD['fixed'].get(lang)}]" if e.fixed else ""
        out.append(f"  {e.question_id}  {e.at.astimezone():%Y-%m-%d}{flag}")
        out.append(f"    {HEAD['typed'].get(lang)}: {_typed(e, lang)}")
        out.append(f"    {HEAD['answer'].get(lang)}: " + (e.answer.get(lang) if e.answer else HEAD["gone"].get(lang)))
        if e.misconception is not None:
            out.append(f"    {HEAD['why'].get(lang)}: {e.misconception.get(lang)}")
    out += ["", HEAD["drill"].get(lang)]
    return "\n".join(out)


def _md(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def render_markdown(entries: Sequence[Entry], lang: str) -> str:
    """The notebook as Markdown: a heading per topic, a table row per question."""
    out = [f"# {HEAD['title'].get(lang)}", ""]
    if not entries:
        return "\n".join(out + [HEAD["empty"].get(lang), ""])
    heads = ["id", HEAD["typed"].get(lang), HEAD["answer"].get(lang), HEAD["why"].get(lang)]
    topic = None
    for e in entries:
        if e.topic != topic:
            if topic is not None:
                out.append("")
            topic = e.topic
            out += [f"## {topic}", "", "| " + " | ".join(heads) + " |", "|" + " --- |" * len(heads)]
        qid = f"`{e.question_id}`" + (f" ({HEAD['fixed'].get(lang)})" if e.fixed else "")
        answer = e.answer.get(lang) if e.answer else HEAD["gone"].get(lang)
        why = e.misconception.get(lang) if e.misconception else ""
        out.append(f"| {qid} | {_md(_typed(e, lang))} | {_md(answer)} | {_md(why)} |")
    return "\n".join(out) + "\n"
