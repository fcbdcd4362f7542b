"""What a YAML key of a bank may hold: the :class:`Spec` types, :class:`Key`, and their JSON Schema.

A :class:`Spec` names the type of one YAML value (text, an integer in a range, a bilingual
text, a list of records, ...) and writes its JSON Schema; a :class:`Key` names a YAML key, its
spec, whether it is required and its documentation. The question models of
:mod:`cvquiz.bank.schema` (and the assignment format of :mod:`cvquiz.grade.assignment`) are
declared with them; the strict reader (:mod:`cvquiz.bank.reader`) checks values against them.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass
from typing import Any

#: A question id: lower-case letters, digits, '.', '_' and '-' (``detection.nms-strict-threshold``).
ID_PATTERN = r"^[a-z0-9][a-z0-9._-]*$"
#: A topic or concept id (``detection``, ``detection.nms``).
CONCEPT_PATTERN = r"^[a-z0-9_]+\.[a-z0-9_]+$"
TOPIC_PATTERN = r"^[a-z0-9_]+$"
#: A symbol of an expression question (``d_k``, ``N``, ``alpha_bar``).
SYMBOL_PATTERN = r"^[A-Za-z][A-Za-z0-9_]*$"
#: A folder of questions/assignments/.
ASSIGNMENT_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9_.-]*$"


class Spec(ABC):
    """The type of one YAML value; :meth:`json` is its JSON Schema (each kind of value says its own)."""

    what: str = "a value"

    @abstractmethod
    def json(self) -> dict[str, Any]: ...


@dataclass(frozen=True)
class Str(Spec):
    pattern: str | None = None
    what: str = "text"

    def json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"type": "string", "minLength": 1}
        if self.pattern:
            out["pattern"] = self.pattern
        return out


@dataclass(frozen=True)
class ConceptId(Str):
    """A concept id; the loader checks it against the syllabus (and suggests one for an alias)."""

    pattern: str | None = CONCEPT_PATTERN
    what: str = "a concept id"


@dataclass(frozen=True)
class Int(Spec):
    minimum: int | None = None
    maximum: int | None = None

    @property
    def what(self) -> str:
        if self.minimum is not None and self.maximum is not None:
            return f"an integer from {self.minimum} to {self.maximum}"
        if self.minimum == 1:
            return "a positive integer"
        if self.minimum == 0:
            return "a non-negative integer"
        return "an integer"

    def json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"type": "integer"}
        if self.minimum is not None:
            out["minimum"] = self.minimum
        if self.maximum is not None:
            out["maximum"] = self.maximum
        return out


@dataclass(frozen=True)
class Number(Spec):
    """An int or float (never a bool); ``minimum`` excluded when ``exclusive``."""

    minimum: float | None = None
    maximum: float | None = None
    exclusive: bool = False
    what: str = "a number"

    def json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"type": "number"}
        if self.minimum is not None:
            out["exclusiveMinimum" if self.exclusive else "minimum"] = self.minimum
        if self.maximum is not None:
            out["maximum"] = self.maximum
        return out


@dataclass(frozen=True)
class Bool(Spec):
    what: str = "true or false"

    def json(self) -> dict[str, Any]:
        return {"type": "boolean"}


@dataclass(frozen=True)
class TextSpec(Spec):
    """A text in both languages: ``{en: ..., zh: ...}``, both non-empty."""

    what: str = "a mapping with non-empty 'en' and 'zh' texts"

    def json(self) -> dict[str, Any]:
        return {"$ref": "#/$defs/text"}


@dataclass(frozen=True)
class NumberOrExpr(Spec):
    """A number, or an exact expression as a string (``"3/7"``, ``"sqrt(2)/2"``)."""

    what: str = "a number or an exact expression such as \"3/7\""

    def json(self) -> dict[str, Any]:
        return {"type": ["number", "string"], "minLength": 1}


@dataclass(frozen=True)
class ListOf(Spec):
    item: Spec
    min_items: int = 0
    max_items: int | None = None
    what: str = "a list"

    def json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"type": "array", "items": self.item.json()}
        if self.min_items:
            out["minItems"] = self.min_items
        if self.max_items is not None:
            out["maxItems"] = self.max_items
        return out


@dataclass(frozen=True)
class Record(Spec):
    """A nested mapping with keys of its own (a choice, a mistake, a tolerance)."""

    keys: tuple["Key", ...]
    min_keys: int = 0
    what: str = "a mapping"

    def json(self) -> dict[str, Any]:
        return _object_json(self.keys, min_properties=self.min_keys)


@dataclass(frozen=True)
class Options(Spec):
    """Keyword options of a problem generator: names to numbers, text, booleans or lists."""

    what: str = "a mapping of option names to values"

    def json(self) -> dict[str, Any]:
        scalar = {"type": ["number", "string", "boolean"]}
        return {"type": "object", "additionalProperties": {
            "anyOf": [scalar, {"type": "array", "items": scalar}]}}


@dataclass(frozen=True)
class Key:
    """One YAML key: its name, what it holds, whether it is required, and what it means."""

    name: str
    spec: Spec
    required: bool = False
    doc: str = ""


def key(name: str, spec: Spec, required: bool = False, doc: str = "") -> dict[str, Key]:
    """Dataclass field metadata naming the YAML key a field is read from."""
    return {"key": Key(name, spec, required, doc)}


TEXT = TextSpec()


def _object_json(keys: tuple[Key, ...], extra: dict[str, Any] | None = None,
                 min_properties: int = 0) -> dict[str, Any]:
    props: dict[str, Any] = dict(extra or {})
    for k in keys:
        props[k.name] = {**k.spec.json(), **({"description": k.doc} if k.doc else {})}
    out: dict[str, Any] = {"type": "object", "properties": props, "additionalProperties": False}
    required = [k.name for k in keys if k.required]
    if extra:
        required = [*extra, *required]
    if required:
        out["required"] = required
    if min_properties:
        out["minProperties"] = min_properties
    return out
