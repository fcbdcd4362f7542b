"""Code assignments: ``questions/assignments/<name>/assignment.yaml`` read strictly into typed data.

The format is documented in ``questions/README.md`` ("Assignments"); the strict reader and the
key tables live in :mod:`cvquiz.grade.assignment_reader`. Reading uses the bank loader's machinery (:mod:`cvquiz.bank.yamltree` for line numbers, the same key checks and "did
you mean"), so every problem is one line ``file:line: key.path: what is wrong; what was expected``
and all of a file's problems come in one :class:`~cvquiz.errors.BankError`.

Everything is checked statically, without importing torch or numpy (``cvquiz bank check`` runs
this): keys and their values, generator names and parameters (:mod:`cvquiz.grade.inputs`), that
each test's arguments fit the function's ``signature``, that the support modules exist, and that
the ``reference`` function is defined in the course's ``reference/<module>.py`` (read with
``ast``, never imported).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cvquiz.bank.load import shown_path
from cvquiz.bank.reader import _did_you_mean
from cvquiz.bank.syllabus import Syllabus, load_syllabus
from cvquiz.course import Course
from cvquiz.errors import BankError, CvquizError, ExitCode
from cvquiz.grade.inputs import ArgSpec
from cvquiz.text import Text

FILE_NAME = "assignment.yaml"
LIBRARIES = ("torch", "numpy")
COMPARISONS = ("allclose", "exact", "set", "sorted")
DTYPE_RULES = ("kind", "exact", "any")
IDENT = r"^[A-Za-z_][A-Za-z0-9_]*$"
MODULE_FILE = r"^[A-Za-z_][A-Za-z0-9_]*\.py$"
MAX_REPEAT = 50


class UnknownAssignmentError(CvquizError):
    """An assignment name the course does not have."""

    exit_code = ExitCode.USAGE


# --- the model ---------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Compare:
    """How a returned value is compared with the reference's (in the parent)."""

    how: str = "allclose"  # allclose | exact | set | sorted
    rtol: float | None = None  # None: by the expected dtype (see cvquiz.grade.compare)
    atol: float | None = None
    part: tuple[int, ...] = ()  # (0,): the first element of a returned tuple
    keys: tuple[str, ...] = ()  # a returned dict: the keys compared (default: all the reference's)
    dtype: str = "kind"  # kind: int/float/bool must match; exact: the same dtype; any
    equal_nan: bool = True


@dataclass(frozen=True)
class TimeLimit:
    """A call may take ``factor`` × the reference's own time on that input, but never less than ``floor`` s."""

    factor: float = 10.0
    floor: float = 1.0


@dataclass(frozen=True)
class Test:
    """One test of a function: named arguments, ``repeat`` seeded draws, visible or hidden."""

    id: str
    visible: bool
    args: tuple[tuple[str, ArgSpec], ...]
    repeat: int = 1
    stable: bool = True  # redraw an input that sits within rounding of a threshold or a tie
    about: Text | None = None
    line: int = 0

    @property
    def generated(self) -> bool:
        return any(a.generated for _, a in self.args)


@dataclass(frozen=True)
class Function:
    """A function the student writes, and how it is tested."""

    name: str
    file: str  # the student's file, e.g. "detection.py"
    reference: str  # "<reference module>.<function>", e.g. "detection.nms"
    concepts: tuple[str, ...]
    points: float
    signature: str  # "nms(boxes, scores, iou_threshold)"
    params: tuple[tuple[str, bool], ...]  # (name, has a default) in order
    doc: str
    compare: Compare
    time: TimeLimit
    tests: tuple[Test, ...]
    line: int = 0

    @property
    def module(self) -> str:
        return self.file[:-3]

    @property
    def reference_module(self) -> str:
        return self.reference.rsplit(".", 1)[0]

    @property
    def reference_function(self) -> str:
        return self.reference.rsplit(".", 1)[1]

    def split_args(self, test: Test) -> tuple[list[str], list[str]]:
        """Argument names passed by position (the leading run in signature order) and by keyword."""
        given = dict(test.args)
        positional, keyword = [], []
        gap = False
        for name, _ in self.params:
            if name not in given:
                gap = True
            elif gap:
                keyword.append(name)
            else:
                positional.append(name)
        return positional, keyword


@dataclass(frozen=True)
class Assignment:
    name: str
    folder: Path
    title: Text
    library: str
    support: tuple[str, ...]
    functions: tuple[Function, ...]
    seed: int = 0

    @property
    def files(self) -> list[str]:
        """The files a student hands in, in the order their functions are listed."""
        return list(dict.fromkeys(f.file for f in self.functions))

    @property
    def max_points(self) -> float:
        return sum(f.points for f in self.functions)

    def function(self, name: str) -> Function:
        for f in self.functions:
            if f.name == name:
                return f
        raise KeyError(name)

# --- the reader's entry points (cvquiz.grade.assignment_reader holds the reader) --------------------

def json_schema() -> dict[str, Any]:
    """The JSON Schema of ``assignment.yaml`` (made from the reader's key tables)."""
    from cvquiz.grade.assignment_reader import json_schema as make

    return make()


def parse_signature(text: str) -> tuple[tuple[str, bool], ...] | str:
    """``(name, has_default)`` of each parameter of ``name(a, b=1)``, or a message saying what is wrong."""
    from cvquiz.grade.assignment_reader import parse_signature as parse

    return parse(text)


# --- finding and loading --------------------------------------------------------------------------------

def assignment_names(course: Course) -> list[str]:
    """Folders of ``questions/assignments/`` that hold an ``assignment.yaml``, sorted."""
    root = course.assignments_dir
    if not root.is_dir():
        return []
    return sorted(p.name for p in root.iterdir() if (p / FILE_NAME).is_file())


def load_assignment(course: Course, name: str, syllabus: Syllabus | None = None) -> Assignment:
    """Read ``questions/assignments/<name>/assignment.yaml`` of ``course``.

    Raises :class:`UnknownAssignmentError` (with a "did you mean") for a name the course lacks and
    :class:`BankError` listing every problem of the file.
    """
    names = assignment_names(course)
    if name not in names:
        raise UnknownAssignmentError(
            f"no assignment {name!r} in {shown_path(course.assignments_dir)}/"
            + _did_you_mean(name, names, f"; expected one of {', '.join(names)}" if names else
                            " (the course has no assignments)"))
    if syllabus is None:
        syllabus = load_syllabus(course.syllabus_path)
    return read_assignment(course.assignments_dir / name / FILE_NAME, syllabus, course.reference_dir)


def read_assignment(path: Path, syllabus: Syllabus, reference_dir: Path) -> Assignment:
    """Read one ``assignment.yaml``; :class:`BankError` lists every problem."""
    from cvquiz.grade.assignment_reader import AssignmentReader

    reader = AssignmentReader(shown_path(path), syllabus, reference_dir)
    result = reader.read()
    problems = reader.sorted_problems()
    if problems or result is None:
        raise BankError(problems or [f"{reader.display}: cannot be read"])
    return result


def check_assignments(course: Course, syllabus: Syllabus, paths: list[Path] | None = None) -> list[str]:
    """Every problem of the course's assignment files (or of ``paths``), for ``bank check``."""
    if paths is None:
        paths = [course.assignments_dir / n / FILE_NAME for n in assignment_names(course)]
    problems: list[str] = []
    for path in paths:
        try:
            read_assignment(path, syllabus, course.reference_dir)
        except BankError as exc:
            problems.extend(exc.problems)
    return problems


def fingerprint(course: Course, assignment: Assignment) -> str:
    """A hash of what decides the scores: the assignment folder, the reference modules, cvquiz's version."""
    from cvquiz import __version__

    h = hashlib.sha256(f"cvquiz {__version__}\n".encode())
    for path in sorted(p for p in assignment.folder.rglob("*") if p.is_file() and "__pycache__" not in p.parts):
        h.update(f"{path.relative_to(assignment.folder)}\n".encode())
        h.update(path.read_bytes())
    for module in sorted({f.reference_module for f in assignment.functions}):
        path = course.reference_dir / f"{module}.py"
        h.update(f"reference/{module}.py\n".encode())
        h.update(path.read_bytes() if path.is_file() else b"")
    return h.hexdigest()[:16]
