"""Which questions an exam asks: an exam spec (YAML), or a list of topics or question ids.

Spec format (read with the banks' strict YAML reader, so every problem names ``file:line``)::

    title: {en: Midterm, zh: 期中考试}     # or one string
    sections:
      - title: {en: Detection, zh: 检测}
        questions:
          - id: detection.boxes-generated-iou     # one question by id
            points: 2
          - concept: detection.nms                # or pick by concept / topic / kind / difficulty
            kind: generated
            difficulty: 2
            count: 1                              # how many to pick (default 1)
            points: 1                             # points of each (default 1)

``questions:`` at the top level instead of ``sections:`` makes one untitled section. A pick by
filter takes ``count`` of the matching questions not already on the exam, chosen with a seed
from the exam secret (the same for every student; the manifest records the choice). ``code``
questions are refused: they are graded by ``cvquiz grade``.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any, Sequence

from cvquiz.bank import schema as S
from cvquiz.bank.load import Bank
from cvquiz.bank.yamltree import YList, YMap, line_in, read_tree
from cvquiz.errors import ExamError
from cvquiz.problems.registry import Rng, derive_seed
from cvquiz.text import Text

ENTRY_KEYS = ("id", "concept", "topic", "kind", "difficulty", "count", "points")
TOP_KEYS = ("title", "sections", "questions")
SECTION_KEYS = ("title", "questions")
DEFAULT_TITLE = Text("Exam", "考试")


@dataclass(frozen=True)
class ExamQuestion:
    """One question of the exam: the bank question, its points and its section's number."""

    question: S.Question
    points: float = 1.0
    section: int = 0

    @property
    def id(self) -> str:
        return self.question.id


@dataclass(frozen=True)
class Exam:
    title: Text
    sections: tuple[Text, ...]
    questions: tuple[ExamQuestion, ...]


def refuse_code(question: S.Question, where: str = "") -> None:
    if question.kind == "code":
        raise ExamError(f"{where}question {question.id!r} is a code question; exams print only questions "
                        "answered on paper (grade code with `cvquiz grade`)")


def from_names(bank: Bank, topics: Sequence[str] = (), ids: Sequence[str] = (),
               title: Text = DEFAULT_TITLE) -> Exam:
    """An exam of every non-code question on ``topics`` (topic, concept ids or aliases), or of ``ids``."""
    if ids:
        picked = [bank.get(i) for i in ids]
        for q in picked:
            refuse_code(q, "--questions: ")
    else:
        picked = [q for q in bank.select(list(topics)) if q.kind != "code"]
    seen: set[str] = set()
    unique = [q for q in picked if not (q.id in seen or seen.add(q.id))]
    if not unique:
        raise ExamError("the exam has no questions: the topics name only code questions")
    return Exam(title, (Text("", ""),), tuple(ExamQuestion(q) for q in unique))


def _text(node: Any, where: str) -> Text:
    if isinstance(node, str) and node.strip():
        return Text(node, node)
    if isinstance(node, dict) and set(node) == {"en", "zh"} and all(isinstance(v, str) for v in node.values()):
        return Text(node["en"], node["zh"])
    raise ExamError(f"{where}: expected a text (one string, or en: and zh:), got {node!r}")


def _check_keys(node: YMap, allowed: tuple[str, ...], path: Path, what: str) -> None:
    import difflib

    for k in node:
        if k not in allowed:
            close = difflib.get_close_matches(str(k), allowed, n=1)
            hint = f"; did you mean {close[0]!r}?" if close else f"; expected one of {', '.join(allowed)}"
            raise ExamError(f"{path}:{line_in(node, k)}: {what}{k}: unknown key{hint}")
    for k, line in node.duplicates:
        raise ExamError(f"{path}:{line}: {what}{k}: given twice")


def load_spec(path: Path, bank: Bank, secret: bytes) -> Exam:
    """The exam described by the spec file ``path``, its questions taken from ``bank``."""
    path = Path(path)
    tree = read_tree(path)
    if not isinstance(tree, YMap):
        raise ExamError(f"{path}:1: expected a mapping with title: and sections: (or questions:)")
    _check_keys(tree, TOP_KEYS, path, "")
    title = _text(tree["title"], f"{path}:{line_in(tree, 'title')}: title") if "title" in tree else DEFAULT_TITLE
    if ("sections" in tree) == ("questions" in tree):
        raise ExamError(f"{path}:{tree.line}: give either sections: or questions:, not both and not neither")
    if "sections" in tree:
        sections_node = tree["sections"]
        if not isinstance(sections_node, YList) or not sections_node:
            raise ExamError(f"{path}:{line_in(tree, 'sections')}: sections: expected a list of sections")
    else:
        sections_node = YList(tree.line)
        wrapper = YMap(tree.line)
        wrapper["questions"] = tree["questions"]
        wrapper.key_lines["questions"] = line_in(tree, "questions")
        sections_node.append(wrapper)
        sections_node.item_lines.append(tree.line)
    titles: list[Text] = []
    picked: list[ExamQuestion] = []
    taken: set[str] = set()
    for s, section in enumerate(sections_node):
        where = f"sections[{s}]." if "sections" in tree else ""
        if not isinstance(section, YMap):
            raise ExamError(f"{path}:{line_in(sections_node, s)}: {where[:-1]}: expected a mapping with questions:")
        _check_keys(section, SECTION_KEYS, path, where)
        titles.append(_text(section["title"], f"{path}:{line_in(section, 'title')}: {where}title")
                      if "title" in section else Text("", ""))
        entries = section.get("questions")
        if not isinstance(entries, YList) or not entries:
            raise ExamError(f"{path}:{line_in(section, 'questions')}: {where}questions: expected a list of entries")
        for e, entry in enumerate(entries):
            at = f"{path}:{line_in(entries, e)}: {where}questions[{e}]"
            if not isinstance(entry, YMap):
                raise ExamError(f"{at}: expected a mapping such as {{id: ..., points: 2}}")
            _check_keys(entry, ENTRY_KEYS, path, f"{where}questions[{e}].")
            points = entry.get("points", 1)
            if isinstance(points, bool) or not isinstance(points, (int, float)) or not 0 < points <= 1000:
                raise ExamError(f"{path}:{line_in(entry, 'points')}: {where}questions[{e}].points: "
                                f"expected a number above 0, got {points!r}")
            for q in _pick(entry, bank, taken, secret, at, f"{s}.{e}"):
                taken.add(q.id)
                picked.append(ExamQuestion(q, float(points), s))
    return Exam(title, tuple(titles), tuple(picked))


def _pick(entry: YMap, bank: Bank, taken: set[str], secret: bytes, at: str, slot: str) -> list[S.Question]:
    if "id" in entry:
        extra = [k for k in entry if k not in ("id", "points")]
        if extra:
            raise ExamError(f"{at}: id picks one question; {extra[0]}: cannot be combined with it")
        if entry["id"] not in bank.questions:
            raise ExamError(f"{at}.id: unknown question id {entry['id']!r}; see `cvquiz bank coverage`")
        question = bank.questions[entry["id"]]
        refuse_code(question, f"{at}.id: ")
        if question.id in taken:
            raise ExamError(f"{at}.id: question {question.id!r} is already on the exam")
        return [question]
    filters = [k for k in ("concept", "topic", "kind", "difficulty") if k in entry]
    if not filters:
        raise ExamError(f"{at}: expected id:, or at least one of concept:, topic:, kind:, difficulty:")
    count = entry.get("count", 1)
    if isinstance(count, bool) or not isinstance(count, int) or count < 1:
        raise ExamError(f"{at}.count: expected a whole number of at least 1, got {count!r}")
    if entry.get("kind") == "code":
        raise ExamError(f"{at}.kind: code questions are graded by `cvquiz grade`, not on an exam paper")
    if "kind" in entry and entry["kind"] not in S.KINDS:
        raise ExamError(f"{at}.kind: expected one of {', '.join(k for k in S.KINDS if k != 'code')}, "
                        f"got {entry['kind']!r}")
    if "difficulty" in entry and entry["difficulty"] not in (1, 2, 3):
        raise ExamError(f"{at}.difficulty: expected 1, 2 or 3, got {entry['difficulty']!r}")
    if "concept" in entry and entry["concept"] not in bank.syllabus.concepts:
        raise ExamError(f"{at}.concept: unknown concept {entry['concept']!r}")
    if "topic" in entry and entry["topic"] not in [t.id for t in bank.syllabus.topics]:
        raise ExamError(f"{at}.topic: unknown topic {entry['topic']!r}")
    matches = [q for q in bank.questions.values()
               if q.kind != "code" and q.id not in taken
               and ("concept" not in entry or entry["concept"] in q.concepts)
               and ("topic" not in entry or entry["topic"] == q.topic)
               and ("kind" not in entry or entry["kind"] == q.kind)
               and ("difficulty" not in entry or entry["difficulty"] == q.difficulty)]
    if len(matches) < count:
        raise ExamError(f"{at}: asks for {count} question(s) but {len(matches)} match that are not "
                        "already on the exam")
    rng = Rng(derive_seed(secret, "", f"exam-spec-pick {slot}"))
    chosen = set(q.id for q in rng.sample(matches, count))
    return [q for q in matches if q.id in chosen]  # file order
