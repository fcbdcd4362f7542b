"""The result model every reporter reads: one submission's tests, scores and feedback."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from cvquiz.text import Text

#: Submission statuses: graded; no submission found (roster); the grader could not run it.
SUBMISSION_STATUSES = ("graded", "missing", "error")


@dataclass(frozen=True)
class TestResult:
    """One test (all its seeded inputs) of one question (function) for one student."""

    __test__ = False  # not a pytest class

    question: str  # the function, e.g. "nms" (JUnit classname, gradebook column)
    test: str  # the test id, e.g. "random"
    visible: bool
    score: float
    max_score: float
    # "passed", or what went wrong first: missing_file, syntax_error, import_error,
    # missing_function, crash, timeout, memory, bad_output, killed, not_run, structure, type,
    # shape, dtype, values, error
    status: str
    message: Text = Text("", "")  # student-facing; a hidden test's says only passed/failed
    seeds: tuple[int, ...] = ()
    elapsed_s: float = 0.0

    @property
    def passed(self) -> bool:
        return self.status == "passed"

    @property
    def name(self) -> str:
        return f"{self.question}/{self.test}"

    def to_json(self) -> dict[str, Any]:
        return {"question": self.question, "test": self.test, "visible": self.visible,
                "score": self.score, "max_score": self.max_score, "status": self.status,
                "message": self.message.to_json(), "seeds": list(self.seeds),
                "elapsed_s": round(self.elapsed_s, 4)}

    @classmethod
    def from_json(cls, d: dict[str, Any]) -> "TestResult":
        return cls(question=d["question"], test=d["test"], visible=d["visible"], score=d["score"],
                   max_score=d["max_score"], status=d["status"], message=Text(**d["message"]),
                   seeds=tuple(d.get("seeds", ())), elapsed_s=d.get("elapsed_s", 0.0))


@dataclass(frozen=True)
class SubmissionResult:
    """Everything graded for one student (or one `cvquiz check` run)."""

    student: str
    assignment: str
    status: str  # one of SUBMISSION_STATUSES
    tests: tuple[TestResult, ...] = ()
    questions: tuple[tuple[str, float], ...] = ()  # every question and its points, in order
    output: str = ""  # what the submission printed (capped), for feedback only
    layers: tuple[tuple[str, bool], ...] = ()
    message: Text = Text("", "")  # for "missing" and "error"
    fingerprint: str = ""  # of the assignment files, the reference and cvquiz's version
    submission_hash: str = ""
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def total(self) -> float:
        return round(sum(t.score for t in self.tests), 6)

    @property
    def max_score(self) -> float:
        if self.questions:
            return round(sum(p for _, p in self.questions), 6)
        return round(sum(t.max_score for t in self.tests), 6)

    @property
    def passed(self) -> bool:
        return self.status == "graded" and all(t.passed for t in self.tests)

    def by_question(self) -> dict[str, float]:
        """Each question's score (0 for a question with no test run)."""
        out = {q: 0.0 for q, _ in self.questions}
        for t in self.tests:
            out[t.question] = out.get(t.question, 0.0) + t.score
        return {q: round(v, 6) for q, v in out.items()}

    def to_json(self) -> dict[str, Any]:
        return {"student": self.student, "assignment": self.assignment, "status": self.status,
                "total": self.total, "max_score": self.max_score,
                "questions": [{"question": q, "points": p} for q, p in self.questions],
                "tests": [t.to_json() for t in self.tests], "output": self.output,
                "layers": {k: v for k, v in self.layers}, "message": self.message.to_json(),
                "fingerprint": self.fingerprint, "submission_hash": self.submission_hash}

    @classmethod
    def from_json(cls, d: dict[str, Any]) -> "SubmissionResult":
        return cls(student=d["student"], assignment=d["assignment"], status=d["status"],
                   tests=tuple(TestResult.from_json(t) for t in d["tests"]),
                   questions=tuple((q["question"], q["points"]) for q in d["questions"]),
                   output=d.get("output", ""), layers=tuple(d.get("layers", {}).items()),
                   message=Text(**d["message"]), fingerprint=d.get("fingerprint", ""),
                   submission_hash=d.get("submission_hash", ""))
