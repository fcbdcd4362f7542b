"""The course syllabus (``questions/syllabus.yaml``): topics and concept ids.

Format::

    topics:
      - id: detection
        title: {en: Detection and segmentation, zh: 检测与分割}
        concepts:
          - id: detection.nms
            title: {en: ..., zh: ...}
            summary: {en: ..., zh: ...}        # one line
            aliases: [nms, non-maximum suppression]
            needs: [algo, num]                 # algo: reference + code question; num: generator
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from cvquiz.bank.yamltree import YList, YMap, line_in, read_tree
from cvquiz.errors import BankError
from cvquiz.text import Text

NEEDS = ("algo", "num")


@dataclass(frozen=True)
class Concept:
    id: str
    topic: str
    title: Text | None = None
    summary: Text | None = None
    aliases: tuple[str, ...] = ()
    needs: tuple[str, ...] = ()


@dataclass(frozen=True)
class Topic:
    id: str
    title: Text
    concepts: tuple[Concept, ...] = field(default_factory=tuple)


@dataclass(frozen=True)
class Syllabus:
    topics: tuple[Topic, ...]

    @property
    def concepts(self) -> dict[str, Concept]:
        return {c.id: c for t in self.topics for c in t.concepts}

    def resolve(self, name: str) -> list[str]:
        """Concept ids named by a topic id, a concept id or an alias (case-insensitive)."""
        key = name.strip().lower()
        for topic in self.topics:
            if topic.id == key:
                return [c.id for c in topic.concepts]
        for concept in self.concepts.values():
            if concept.id == key or key in (a.lower() for a in concept.aliases):
                return [concept.id]
        return []

    def names(self) -> list[str]:
        """Every name :meth:`resolve` accepts (for "did you mean")."""
        out = [t.id for t in self.topics]
        for c in self.concepts.values():
            out.append(c.id)
            out.extend(a.lower() for a in c.aliases)
        return out


def read_yaml(path: Path) -> Any:
    """Parse YAML keeping line numbers (ruamel's round-trip nodes carry ``.lc``).

    Slow on large files; the loaders use :func:`cvquiz.bank.yamltree.read_tree` instead.
    """
    from ruamel.yaml import YAML
    from ruamel.yaml.error import YAMLError

    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise BankError(f"{path}: file not found") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise BankError(f"{path}: cannot be read: {exc}") from None
    try:
        return YAML(typ="rt", pure=True).load(text)
    except YAMLError as exc:
        mark = getattr(exc, "problem_mark", None) or getattr(exc, "context_mark", None)
        line = mark.line + 1 if mark is not None else 1
        problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        raise BankError(f"{path}:{line}: invalid YAML: {problem}") from None


def line_of(node: Any, key: Any = None, default: int = 1) -> int:
    """1-based line of ``node`` (or of ``node[key]``) in its YAML file.

    Works on :func:`read_tree`'s trees and on ruamel's round-trip nodes (:func:`read_yaml`).
    """
    if isinstance(node, (YMap, YList)):
        return line_in(node, key, default)
    lc = getattr(node, "lc", None)
    if lc is None:
        return default
    try:
        if key is not None:
            if isinstance(key, int):
                return lc.item(key)[0] + 1
            return lc.key(key)[0] + 1
        return lc.line + 1
    except (KeyError, IndexError, TypeError):
        return lc.line + 1


class _Reader:
    """Collects every problem of one file before raising."""

    def __init__(self, path: Path):
        self.path = path
        self.problems: list[str] = []

    def error(self, node: Any, key: Any, where: str, message: str) -> None:
        self.problems.append(f"{self.path}:{line_of(node, key)}: {where}: {message}")

    def mapping(self, node: Any, where: str, allowed: tuple[str, ...], required: tuple[str, ...],
                parent: Any = None, key: Any = None) -> dict | None:
        if not isinstance(node, dict):
            self.error(parent, key, where, f"expected a mapping, got {type(node).__name__}")
            return None
        for k, line in getattr(node, "duplicates", ()):
            self.problems.append(f"{self.path}:{line}: {f'{where}.{k}' if where else k}: "
                                 "key given twice; expected each key once")
        for k in node:
            if k not in allowed:
                close = difflib.get_close_matches(str(k), allowed, n=1)
                hint = f"; did you mean {close[0]!r}?" if close else f"; expected one of {', '.join(allowed)}"
                self.error(node, k, f"{where}.{k}" if where else str(k), f"unknown key{hint}")
        for k in required:
            if k not in node:
                self.error(node, None, where or "(top)", f"missing required key {k!r}")
        return node

    def text(self, node: Any, where: str, parent: Any, key: Any) -> Text | None:
        m = self.mapping(node, where, ("en", "zh"), ("en", "zh"), parent, key)
        if m is None or not all(isinstance(m.get(k), str) and m.get(k).strip() for k in ("en", "zh")):
            if m is not None:
                self.error(parent, key, where, "expected non-empty text in both 'en' and 'zh'")
            return None
        return Text(en=str(m["en"]).strip(), zh=str(m["zh"]).strip())


def load_syllabus(path: Path) -> Syllabus:
    """Read and check ``syllabus.yaml``; raise :class:`BankError` listing every problem."""
    data = read_tree(path)
    r = _Reader(path)
    top = r.mapping(data, "", ("topics",), ("topics",))
    topics: list[Topic] = []
    seen: set[str] = set()
    alias_owner: dict[str, str] = {}  # alias (lower case) -> the concept it names
    raw_topics = top.get("topics") if top else None
    if top is not None and not isinstance(raw_topics, list):
        r.error(top, "topics", "topics", "expected a list of topics")
        raw_topics = []
    for i, t in enumerate(raw_topics or []):
        where = f"topics[{i}]"
        tm = r.mapping(t, where, ("id", "title", "concepts"), ("id", "title", "concepts"), raw_topics, i)
        if tm is None:
            continue
        tid = str(tm.get("id", ""))
        title = r.text(tm.get("title"), f"{where}.title", tm, "title") if "title" in tm else None
        concepts: list[Concept] = []
        raw_concepts = tm.get("concepts") or []
        if not isinstance(raw_concepts, list):
            r.error(tm, "concepts", f"{where}.concepts", "expected a list of concepts")
            raw_concepts = []
        for j, c in enumerate(raw_concepts):
            cw = f"{where}.concepts[{j}]"
            cm = r.mapping(c, cw, ("id", "title", "summary", "aliases", "needs"), ("id", "title", "summary"),
                           raw_concepts, j)
            if cm is None:
                continue
            cid = str(cm.get("id", ""))
            if not cid.startswith(tid + ".") or len(cid) <= len(tid) + 1:
                r.error(cm, "id", f"{cw}.id", f"expected '{tid}.<name>', got {cid!r}")
            if cid in seen:
                r.error(cm, "id", f"{cw}.id", f"duplicate concept id {cid!r}")
            seen.add(cid)
            aliases = cm.get("aliases") or []
            if not isinstance(aliases, list) or not all(isinstance(a, str) for a in aliases):
                r.error(cm, "aliases", f"{cw}.aliases", "expected a list of strings")
                aliases = []
            for k, alias in enumerate(aliases):
                owner = alias_owner.setdefault(alias.strip().lower(), cid)
                if owner != cid:
                    r.error(aliases, k, f"{cw}.aliases[{k}]",
                            f"{alias!r} already names {owner}; expected each alias to name one concept")
            needs = cm.get("needs") or []
            if not isinstance(needs, list) or any(n not in NEEDS for n in needs):
                r.error(cm, "needs", f"{cw}.needs", f"expected a list drawn from {list(NEEDS)}, got {list(needs) if isinstance(needs, list) else needs!r}")
                needs = []
            concepts.append(Concept(
                id=cid, topic=tid,
                title=r.text(cm["title"], f"{cw}.title", cm, "title") if "title" in cm else None,
                summary=r.text(cm["summary"], f"{cw}.summary", cm, "summary") if "summary" in cm else None,
                aliases=tuple(str(a) for a in aliases), needs=tuple(str(n) for n in needs),
            ))
        if title is not None:
            topics.append(Topic(id=tid, title=title, concepts=tuple(concepts)))
    if r.problems:
        raise BankError(r.problems)
    return Syllabus(topics=tuple(topics))
