"""Typed questions, and the table of YAML keys they are read from.

Each question kind is one frozen dataclass. A field whose metadata carries a :class:`Key` is
read from the bank's YAML key of that name (its :class:`Spec`, from :mod:`cvquiz.bank.specs`,
says what the key may hold); the other fields are derived by the loader. One table thus drives
three things: the keys the strict loader (:mod:`cvquiz.bank.reader`) accepts, the checks it
makes, and the editors' JSON Schema (:func:`json_schema`, printed by ``cvquiz bank schema``),
which is never written by hand.

The expected answer is stored in the checker's types (see :mod:`cvquiz.answers`), so practice
calls :meth:`Question.check` (or ``check_answer`` with :attr:`Question.answer_kind`,
:attr:`Question.answer`, ...) directly:

========== ============ ==========================================
kind       answer_kind  answer
========== ============ ==========================================
choice     choice       int, the 0-based index of the correct choice
multi      multi        frozenset[int] of correct choices
truefalse  truefalse    bool
numeric    number       a sympy number (exact)
expression expression   a sympy expression in ``symbols``
shape      shape        tuple[int, ...]
order      indices/set  list[int] (``ordered``) or frozenset[int]
generated  None         None: the generator's variant has the answer
code       None         None: graded by the grader
========== ============ ==========================================
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import Any, ClassVar

from cvquiz.answers import DEFAULT_TOLERANCE, AnswerKind, Mistake, Tolerance
from cvquiz.bank.specs import (  # noqa: F401  (the patterns and specs are part of this module's vocabulary)
    ASSIGNMENT_PATTERN, CONCEPT_PATTERN, ID_PATTERN, SYMBOL_PATTERN, TEXT, TOPIC_PATTERN, Bool, ConceptId, Int, Key,
    ListOf, Number, NumberOrExpr, Options, Record, Spec, Str, TextSpec, _object_json, key,
)
from cvquiz.text import Text

MIN_CHOICES, MAX_CHOICES = 2, 6
#: Sensible ranges of a tolerance's keys.
REL_MAX = 0.1
SIG_FIGS_RANGE = (1, 10)


CHOICE_KEYS = (
    Key("text", TEXT, True, "The choice as the student reads it."),
    Key("correct", Bool(), False, "true for a correct choice (default false)."),
    Key("feedback", TEXT, False, "Required on a wrong choice: the misconception it reveals."),
)
TOLERANCE_KEYS = (
    Key("abs", Number(minimum=0, what="a number ≥ 0"), False, "Accept within ± abs."),
    Key("rel", Number(minimum=0, maximum=REL_MAX, exclusive=True,
                      what=f"a fraction in (0, {REL_MAX:g}] (0.01 means 1 %)"),
        False, "Accept within rel × |answer| (0.01 means 1 %)."),
    Key("sig_figs", Int(*SIG_FIGS_RANGE), False,
        "Accept an answer that rounds to the expected value at this many significant figures."),
)
TOLERANCE = Record(TOLERANCE_KEYS, min_keys=1, what="a mapping with abs, rel or sig_figs")


def mistakes_of(answer: Spec) -> ListOf:
    """The ``mistakes`` list of a kind whose answers are ``answer``."""
    return ListOf(Record((
        Key("answer", answer, True, "A predictable wrong answer, written like the answer."),
        Key("feedback", TEXT, True, "The misconception this wrong answer reveals."),
    )), min_items=1, what="a list of {answer, feedback}")


# --- the question models ----------------------------------------------------------------------

class Deferred:
    """A field computed on first use: the exact answer and mistakes of a numeric or expression
    question from a file read clean before (:mod:`cvquiz.bank.trust`), so that loading a bank
    does not import sympy. Questions that may hold one (:class:`ComputedOnRead`) compute it on
    the first read of the field, by whatever name (``q.exact`` or ``q.answer``), and keep it."""

    __slots__ = ("make",)

    def __init__(self, make):
        self.make = make

    def __repr__(self) -> str:
        return "Deferred(...)"


class ComputedOnRead:
    """Mixin of the question kinds whose fields may be :class:`Deferred`: reading such a field
    computes it once (so no caller ever sees a ``Deferred``)."""

    def __getattribute__(self, name: str) -> Any:
        value = object.__getattribute__(self, name)
        if type(value) is Deferred:
            value = value.make()
            object.__setattr__(self, name, value)  # a frozen dataclass: computed once, then kept
        return value


@dataclass(frozen=True)
class Choice:
    """One choice of a ``choice`` or ``multi`` question."""

    text: Text
    correct: bool = False
    feedback: Text | None = None


@dataclass(frozen=True, kw_only=True)
class Question:
    """What every question has. Subclasses add the answer of their kind."""

    kind: ClassVar[str] = ""
    #: True for kinds that test understanding rather than a computation.
    conceptual: ClassVar[bool] = False
    #: True for kinds whose question should carry a hint (``bank check`` warns when it has none).
    wants_hint: ClassVar[bool] = False

    id: str = field(metadata=key("id", Str(ID_PATTERN, "an id of lower-case letters, digits, '.', '_' and '-'"),
                                 True, "Stable id, unique across the course."))
    concepts: tuple[str, ...] = field(metadata=key(
        "concepts", ListOf(ConceptId(), min_items=1, what="a list of concept ids"),
        True, "Concept ids of syllabus.yaml that the question tests."))
    difficulty: int = field(metadata=key("difficulty", Int(1, 3), True,
                                         "1 recall/understand, 2 apply, 3 analyse."))
    prompt: Text | None = field(default=None, metadata=key("prompt", TEXT, True, "The question."))
    hint: Text | None = field(default=None, metadata=key("hint", TEXT, False, "A nudge shown on request."))
    explanation: Text | None = field(default=None, metadata=key(
        "explanation", TEXT, True, "Why the answer is right, shown after answering."))
    follows: str | None = field(default=None, metadata=key(
        "follows", Str(ID_PATTERN, "a question id"), False,
        "The id of the question this one continues (\"Same model: ...\"); practice and exam papers "
        "ask it after that one, never without it."))
    #: The bank's topic, and where the question was defined (``file``, 1-based ``line``).
    topic: str = ""
    file: str = ""
    line: int = 0

    # The arguments of cvquiz.answers.check.check_answer; overridden by the kinds that have them.
    @property
    def answer_kind(self) -> AnswerKind | None:
        return None

    @property
    def answer(self) -> Any:
        return None

    @property
    def tolerance(self) -> Tolerance | None:
        return None

    @property
    def mistakes(self) -> tuple[Mistake, ...]:
        return ()

    @property
    def symbols(self) -> tuple[str, ...]:
        return ()

    @property
    def n_choices(self) -> int | None:
        return None

    @property
    def where(self) -> str:
        """``file:line`` of the question's definition."""
        return f"{self.file}:{self.line}"

    def check(self, typed: str):
        """Check a typed answer; returns a :class:`cvquiz.answers.Verdict`.

        Raises ``TypeError`` for ``generated`` and ``code`` questions, which have no fixed answer.
        """
        if self.answer_kind is None:
            raise TypeError(f"question {self.id!r} ({self.kind}) has no fixed answer to check")
        from cvquiz.answers.check import check_answer

        return check_answer(self.answer_kind, self.answer, typed, tolerance=self.tolerance,
                            mistakes=self.mistakes, symbols=self.symbols, n_choices=self.n_choices)


def _choices_key(min_correct_doc: str) -> dict[str, Key]:
    return key("choices", ListOf(Record(CHOICE_KEYS), MIN_CHOICES, MAX_CHOICES,
                                 what=f"a list of {MIN_CHOICES} to {MAX_CHOICES} choices"),
               True, min_correct_doc)


@dataclass(frozen=True, kw_only=True)
class ChoiceQuestion(Question):
    """One correct choice among 2–6; every wrong choice names its misconception."""

    kind: ClassVar[str] = "choice"
    conceptual: ClassVar[bool] = True
    choices: tuple[Choice, ...] = field(metadata=_choices_key("Exactly one has correct: true."))

    @property
    def answer_kind(self) -> AnswerKind:
        return "choice"

    @property
    def answer(self) -> int:
        return next(i for i, c in enumerate(self.choices) if c.correct)

    @property
    def mistakes(self) -> tuple[Mistake, ...]:
        return tuple(Mistake(i, c.feedback) for i, c in enumerate(self.choices)
                     if not c.correct and c.feedback is not None)

    @property
    def n_choices(self) -> int:
        return len(self.choices)


@dataclass(frozen=True, kw_only=True)
class MultiQuestion(Question):
    """Several correct choices, answered in any order."""

    kind: ClassVar[str] = "multi"
    conceptual: ClassVar[bool] = True
    choices: tuple[Choice, ...] = field(metadata=_choices_key("At least one has correct: true."))

    @property
    def answer_kind(self) -> AnswerKind:
        return "multi"

    @property
    def answer(self) -> frozenset[int]:
        return frozenset(i for i, c in enumerate(self.choices) if c.correct)

    @property
    def n_choices(self) -> int:
        return len(self.choices)

    def feedback_for(self, selected: set[int] | frozenset[int]) -> list[tuple[int, Text]]:
        """Feedback of each wrong choice among ``selected`` (0-based), in choice order."""
        return [(i, c.feedback) for i, c in enumerate(self.choices)
                if i in selected and not c.correct and c.feedback is not None]


@dataclass(frozen=True, kw_only=True)
class TrueFalseQuestion(Question):
    """A statement that is true or false; ``feedback`` says why the other answer is wrong."""

    kind: ClassVar[str] = "truefalse"
    conceptual: ClassVar[bool] = True
    truth: bool = field(metadata=key("answer", Bool(), True, "true or false."))
    feedback: Text = field(metadata=key("feedback", TEXT, True,
                                        "Why the other answer is wrong (the misconception)."))

    @property
    def answer_kind(self) -> AnswerKind:
        return "truefalse"

    @property
    def answer(self) -> bool:
        return self.truth

    @property
    def mistakes(self) -> tuple[Mistake, ...]:
        return (Mistake(not self.truth, self.feedback),)


@dataclass(frozen=True, kw_only=True)
class NumericQuestion(ComputedOnRead, Question):
    """A fixed number, exact, accepted within a tolerance."""

    kind: ClassVar[str] = "numeric"
    wants_hint: ClassVar[bool] = True
    exact: Any = field(metadata=key("answer", NumberOrExpr(), True,
                                    "A number, or an exact expression as a string: \"3/7\", \"sqrt(2)/2\"."))
    answer_text: str = ""
    value: float | None = field(default=None, metadata=key(
        "value", Number(), False, "A decimal that must agree with answer (a check on the author)."))
    tol: Tolerance = field(default=DEFAULT_TOLERANCE, metadata=key(
        "tolerance", TOLERANCE, False, "Default: within 0.5 % or 3 significant figures."))
    wrong: tuple[Mistake, ...] = field(default=(), metadata=key(
        "mistakes", mistakes_of(NumberOrExpr()), False, "Predictable wrong answers and their feedback."))

    @property
    def answer_kind(self) -> AnswerKind:
        return "number"

    @property
    def answer(self) -> Any:
        return self.exact

    @property
    def tolerance(self) -> Tolerance:
        return self.tol

    @property
    def mistakes(self) -> tuple[Mistake, ...]:
        return self.wrong


@dataclass(frozen=True, kw_only=True)
class ExpressionQuestion(ComputedOnRead, Question):
    """A formula in named symbols, checked by sympy equivalence."""

    kind: ClassVar[str] = "expression"
    wants_hint: ClassVar[bool] = True
    formula: Any = field(metadata=key("answer", Str(what="a formula as text"), True,
                                      "The formula, e.g. \"4*(D*H + H*H + H)\"."))
    answer_text: str = ""
    names: tuple[str, ...] = field(metadata=key(
        "symbols", ListOf(Str(SYMBOL_PATTERN, "a symbol name such as d_k or N"), min_items=1,
                          what="a list of symbol names"),
        True, "The names the formula (and the student) may use."))
    wrong: tuple[Mistake, ...] = field(default=(), metadata=key(
        "mistakes", mistakes_of(Str(what="a formula as text")), False,
        "Predictable wrong formulas and their feedback."))

    @property
    def answer_kind(self) -> AnswerKind:
        return "expression"

    @property
    def answer(self) -> Any:
        return self.formula

    @property
    def symbols(self) -> tuple[str, ...]:
        return self.names

    @property
    def mistakes(self) -> tuple[Mistake, ...]:
        return self.wrong


SHAPE = ListOf(Int(minimum=1), min_items=1, what="a shape such as [2, 8, 64]")
INDICES = ListOf(Int(minimum=0), min_items=1, what="a list of indices such as [0, 2, 5]")


@dataclass(frozen=True, kw_only=True)
class ShapeQuestion(Question):
    """A tensor shape, exact."""

    kind: ClassVar[str] = "shape"
    wants_hint: ClassVar[bool] = True
    dims: tuple[int, ...] = field(metadata=key("answer", SHAPE, True, "The shape, e.g. [2, 8, 64, 64]."))
    wrong: tuple[Mistake, ...] = field(default=(), metadata=key(
        "mistakes", mistakes_of(SHAPE), False, "Predictable wrong shapes and their feedback."))

    @property
    def answer_kind(self) -> AnswerKind:
        return "shape"

    @property
    def answer(self) -> tuple[int, ...]:
        return self.dims

    @property
    def mistakes(self) -> tuple[Mistake, ...]:
        return self.wrong


@dataclass(frozen=True, kw_only=True)
class OrderQuestion(Question):
    """An ordering or list of indices (e.g. which boxes NMS keeps), exact."""

    kind: ClassVar[str] = "order"
    wants_hint: ClassVar[bool] = True
    indices: tuple[int, ...] = field(metadata=key("answer", INDICES, True, "The indices, e.g. [0, 2, 5]."))
    ordered: bool = field(default=True, metadata=key(
        "ordered", Bool(), False, "false compares the answer as a set (default true)."))
    wrong: tuple[Mistake, ...] = field(default=(), metadata=key(
        "mistakes", mistakes_of(INDICES), False, "Predictable wrong lists and their feedback."))

    @property
    def answer_kind(self) -> AnswerKind:
        return "indices" if self.ordered else "set"

    @property
    def answer(self) -> list[int] | frozenset[int]:
        return list(self.indices) if self.ordered else frozenset(self.indices)

    @property
    def mistakes(self) -> tuple[Mistake, ...]:
        return self.wrong


@dataclass(frozen=True, kw_only=True)
class GeneratedQuestion(Question):
    """A randomized problem: the named generator makes each variant (and its answer)."""

    kind: ClassVar[str] = "generated"
    wants_hint: ClassVar[bool] = True
    prompt: Text | None = field(default=None, metadata=key(
        "prompt", TEXT, False, "An introduction shown before the generated problem."))
    explanation: Text | None = field(default=None, metadata=key(
        "explanation", TEXT, False, "Shown after the generator's worked solution."))
    generator: str = field(metadata=key("generator", Str(what="a generator kind"), True,
                                        "A kind from `cvquiz generate --list`."))
    options: dict[str, Any] = field(default_factory=dict, metadata=key(
        "options", Options(), False, "Keyword options the generator accepts."))


@dataclass(frozen=True, kw_only=True)
class CodeQuestion(Question):
    """A code assignment, graded by the grader."""

    kind: ClassVar[str] = "code"
    prompt: Text | None = field(default=None, metadata=key(
        "prompt", TEXT, False, "What to implement (the assignment's own text is shown too)."))
    explanation: Text | None = field(default=None, metadata=key(
        "explanation", TEXT, False, "Notes shown after grading."))
    assignment: str = field(metadata=key("assignment", Str(ASSIGNMENT_PATTERN, "a folder name"), True,
                                         "A folder of questions/assignments/."))


QUESTION_TYPES: dict[str, type[Question]] = {cls.kind: cls for cls in (
    ChoiceQuestion, MultiQuestion, TrueFalseQuestion, NumericQuestion, ExpressionQuestion,
    ShapeQuestion, OrderQuestion, GeneratedQuestion, CodeQuestion)}
KINDS: tuple[str, ...] = tuple(QUESTION_TYPES)


def question_keys(cls: type[Question]) -> dict[str, tuple[str, Key]]:
    """YAML key name → (dataclass field name, :class:`Key`) of a question kind, in field order."""
    out = {}
    for f in dataclasses.fields(cls):
        k = f.metadata.get("key")
        if k is not None:
            out[k.name] = (f.name, k)
    return out


# --- the JSON Schema ------------------------------------------------------------------------------



@dataclass(frozen=True)
class Questions(Spec):
    """The list of questions: each a mapping whose ``kind`` selects its keys."""

    what: str = "a list of questions"

    def json(self) -> dict[str, Any]:
        kinds = []
        for kind, cls in QUESTION_TYPES.items():
            keys = tuple(k for _, k in question_keys(cls).values())
            then = _object_json(keys, extra={"kind": {"const": kind, "description": cls.__doc__.strip()}})
            kinds.append({"if": {"properties": {"kind": {"const": kind}}, "required": ["kind"]}, "then": then})
        return {"type": "array", "items": {
            "type": "object",
            "required": ["kind"],
            "properties": {"kind": {"enum": list(KINDS)}},
            "allOf": kinds,
        }}


#: The top of a bank file.
BANK_KEYS = (
    Key("topic", Str(TOPIC_PATTERN, "a topic id of syllabus.yaml"), True,
        "The topic id of syllabus.yaml this bank belongs to."),
    Key("questions", Questions(), True, "The questions, each with a kind."),
)


def json_schema() -> dict[str, Any]:
    """The JSON Schema of a bank file, made from the question models above."""
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "title": "cvquiz question bank",
        "description": "One topic's questions (questions/<topic>.yaml). Made by `cvquiz bank schema`.",
        **_object_json(BANK_KEYS),
        "$defs": {"text": {
            "type": "object",
            "description": "A text in English and Chinese.",
            "properties": {"en": {"type": "string", "minLength": 1},
                           "zh": {"type": "string", "minLength": 1}},
            "required": ["en", "zh"],
            "additionalProperties": False,
        }},
    }
