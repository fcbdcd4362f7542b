"""Read question banks strictly: YAML → typed questions, every problem with its file and line.

A bank is ``questions/<topic>.yaml`` (format: ``questions/README.md``; keys: the models of
:mod:`cvquiz.bank.schema`). Reading a file collects every problem before raising one
:class:`~cvquiz.errors.BankError`, each problem a line
``file:line: key.path: what is wrong; what was expected``. Unknown keys get a "did you mean".
One file is read by :mod:`cvquiz.bank.reader`; this module finds the course's files, checks
what spans files (duplicate ids, ``follows``) and holds the loaded :class:`Bank`. Nothing here
imports torch.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Iterable, Sequence

from cvquiz.bank import schema as S
from cvquiz.bank.reader import _did_you_mean, _FileReader
from cvquiz.bank.syllabus import Syllabus, load_syllabus
from cvquiz.course import TOPICS, Course
from cvquiz.errors import BankError, CvquizError, ExitCode


class UnknownNameError(CvquizError):
    """A topic, concept, alias or question id that the course does not have."""

    exit_code = ExitCode.USAGE


# --- the bank -------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Bank:
    """A course's questions, by id in file order, with the syllabus they refer to."""

    syllabus: Syllabus
    questions: dict[str, S.Question]
    files: tuple[Path, ...] = field(default=())
    #: Only when loaded with ``strict=False``: the problems found (their questions are left out).
    problems: tuple[str, ...] = field(default=())

    @cached_property
    def by_concept(self) -> dict[str, list[S.Question]]:
        """Every concept id of the syllabus (in syllabus order) → its questions (file order)."""
        out: dict[str, list[S.Question]] = {cid: [] for cid in self.syllabus.concepts}
        for q in self.questions.values():
            for cid in q.concepts:
                out.setdefault(cid, []).append(q)
        return out

    def get(self, question_id: str) -> S.Question:
        """The question ``question_id``; :class:`UnknownNameError` with a "did you mean"."""
        q = self.questions.get(question_id.strip())
        if q is None and question_id.strip() in self.syllabus.concepts:
            cid = question_id.strip()
            ids = [x.id for x in self.questions.values() if cid in x.concepts]
            listed = ", ".join(ids[:8]) + (f" and {len(ids) - 8} more" if len(ids) > 8 else "")
            raise UnknownNameError(f"{cid!r} is a concept id, not a question id; "
                                   + (f"its questions: {listed}" if ids else "it has no questions yet")
                                   + f" (`cvquiz practice {cid}` drills them)")
        if q is None:
            raise UnknownNameError(f"unknown question id {question_id!r}"
                                   f"{_did_you_mean(question_id, self.questions, '; see `cvquiz bank coverage`')}")
        return q

    def select(self, names: Iterable[str] | str = ()) -> list[S.Question]:
        """Questions on any of ``names`` (topic ids, concept ids, aliases or question ids), in file order.

        No names selects every question. Raises :class:`UnknownNameError` naming every unknown name.
        """
        names = [n for n in ([names] if isinstance(names, str) else names) if n.strip()]
        if not names:
            return list(self.questions.values())
        concepts: set[str] = set()
        ids: set[str] = set()
        unknown = []
        for name in names:
            found = self.syllabus.resolve(name)
            if found:
                concepts.update(found)
            elif name.strip() in self.questions:
                ids.add(name.strip())
            elif any(getattr(q, "generator", None) == name.strip() for q in self.questions.values()):
                # a problem kind (`cvquiz generate --list`): the questions that generate it
                ids.update(q.id for q in self.questions.values() if getattr(q, "generator", None) == name.strip())
            else:
                unknown.append(name)
        if unknown:
            import difflib

            choices = list(self.syllabus.names())

            def near(n: str) -> str:  # only a close name: a far one misleads ('nonexistent' is not 'one-stage')
                close = difflib.get_close_matches(n.strip().lower(), choices, n=1, cutoff=0.75)
                return f"; did you mean {close[0]!r}?" if close else ""
            raise UnknownNameError("; ".join(
                f"unknown topic, concept, question id or problem kind {n!r}{near(n)}"
                for n in unknown) + " (`cvquiz topics` lists topics and concepts)")
        return [q for q in self.questions.values() if q.id in ids or concepts.intersection(q.concepts)]


def bank_files(course: Course) -> list[Path]:
    """The course's bank files: ``questions/<topic>.yaml`` in topic order, then any others."""
    found = {p.stem: p for p in course.questions_dir.glob("*.yaml") if p.name != "syllabus.yaml"}
    return [found[t] for t in TOPICS if t in found] + [found[k] for k in sorted(set(found) - set(TOPICS))]


def load_course_bank(course: Course, *, strict: bool = True) -> Bank:
    """Load the syllabus and every bank of ``course``.

    Strict (the default): :class:`BankError` lists every problem of every file. With
    ``strict=False`` a broken question (or file) is left out and its problems are kept in
    :attr:`Bank.problems`, so that a student can still practise the rest; a broken syllabus
    still raises.
    """
    syllabus = load_syllabus(course.syllabus_path)
    files = [shown_path(p) for p in bank_files(course)]
    questions, problems = _load(files, syllabus, shown_path(course.assignments_dir),
                                syllabus_path=course.syllabus_path, trust=True)
    if problems and strict:
        raise BankError(problems)
    return Bank(syllabus, {q.id: q for q in questions}, tuple(files), tuple(problems))


def shown_path(path: Path) -> Path:
    """``path`` relative to the working directory when it lies below it (for messages)."""
    try:
        return Path(path).resolve().relative_to(Path.cwd())
    except (ValueError, OSError):
        return Path(path)


def load_bank_file(path: Path, syllabus: Syllabus, *, assignments_dir: Path | None = None) -> list[S.Question]:
    """Read one bank file; :class:`BankError` lists every problem of it."""
    return load_banks([path], syllabus, assignments_dir=assignments_dir)


def load_banks(paths: Sequence[Path], syllabus: Syllabus, *, assignments_dir: Path | None = None,
               syllabus_path: Path | None = None) -> list[S.Question]:
    """Read several bank files (ids unique across them); :class:`BankError` lists every problem of every file.

    ``assignments_dir`` defaults to ``assignments/`` beside each file. Every check runs, even
    for a file read clean before; given the ``syllabus_path``, a file found clean is marked so
    (:mod:`cvquiz.bank.trust`).
    """
    questions, problems = _load(paths, syllabus, assignments_dir, syllabus_path=syllabus_path)
    if problems:
        raise BankError(problems)
    return questions


def _load(paths: Sequence[Path], syllabus: Syllabus, assignments_dir: Path | None, *,
          syllabus_path: Path | None = None, trust: bool = False) -> tuple[list[S.Question], list[str]]:
    """The questions read without problems, and every problem (a duplicate id drops the later one).

    With a ``syllabus_path`` each file read clean is marked so; with ``trust`` too, a file marked
    clean before skips the checks that need sympy (:mod:`cvquiz.bank.trust`). What spans files
    (duplicate ids, ``follows``) is always checked.
    """
    from cvquiz.bank import trust as T

    problems: list[str] = []
    questions: list[S.Question] = []
    first: dict[str, str] = {}  # id -> "file:line" of its first definition
    readers = []
    keys: dict[Path, str | None] = {}  # each file's trust key, hashed once
    for path in paths:
        folder = assignments_dir if assignments_dir is not None else Path(path).parent / "assignments"
        if syllabus_path is not None:
            keys[Path(path)] = T.key_of(Path(path), syllabus_path, folder)
        trusted = trust and T.was_clean(keys.get(Path(path)))
        reader = _FileReader(Path(path), syllabus, assignments_dir, trusted=trusted)
        reader.run()
        duplicates = set()
        for qid, line, where, node_line in reader.ids:
            if qid in first:
                reader.problem(line, f"{where}.id", f"duplicate id {qid!r}; first defined at {first[qid]}")
                duplicates.add((qid, node_line))
            else:
                first[qid] = f"{reader.display}:{line}"
        readers.append((reader, duplicates))
    leads = {qid: lead for reader, _ in readers for qid, lead, _, _ in reader.follows}
    concepts = {q.id: q.concepts for reader, _ in readers for q in reader.questions}
    for reader, duplicates in readers:
        broken = _check_follows(reader, leads, first, concepts)
        if not reader.problems and not reader.trusted and reader.markable:
            T.mark_clean(keys.get(reader.path))
        problems.extend(reader.sorted_problems())
        questions.extend(q for q in reader.questions if (q.id, q.line) not in duplicates and q.id not in broken)
    return questions, problems


def _check_follows(reader: "_FileReader", leads: dict[str, str], known: dict[str, str],
                   concepts: dict[str, tuple[str, ...]]) -> set[str]:
    """Report each ``follows`` of ``reader``'s file that names no question, the question itself, a
    question on none of its concepts, or closes a cycle; return the ids of the questions reported.

    Practice selects questions by concept and asks a follower only together with its lead, so
    the two must share a concept (a lead that failed to load is not checked for it).
    """
    broken = set()
    for qid, lead, line, where in reader.follows:
        if lead == qid:
            message = "a question cannot follow itself; expected the id of the question it continues"
        elif lead not in known:
            message = f"unknown question id {lead!r}" + _did_you_mean(
                lead, known, "; expected the id of the question it continues")
        elif qid in concepts and lead in concepts and not set(concepts[qid]) & set(concepts[lead]):
            message = (f"{lead!r} shares no concept with this question; expected a question on one of "
                       f"{', '.join(concepts[qid])} (practice selects by concept and asks a follower "
                       "only with its lead)")
        else:
            chain = [qid, lead]
            while chain[-1] in leads and chain[-1] != qid and chain[-1] not in chain[1:-1]:
                chain.append(leads[chain[-1]])
            if chain[-1] != qid:
                continue
            message = (f"{' → '.join(repr(c) for c in chain)} is a cycle; expected a chain of followers "
                       "that starts at a question following none")
        reader.problem(line, where, message)
        broken.add(qid)
    return broken
