"""The two grading runs the CLI offers: one submission (``check``) and a class (``grade``).

Both draw inputs and reference outputs once in this process (:func:`cvquiz.grade.runner.prepare`),
copy each submission into a private temporary folder (:mod:`cvquiz.grade.submissions`), run it
through an :class:`~cvquiz.grade.protocol.Executor`, and score it here. A class run stores each
result in ``OUT/grades.sqlite`` as it comes (:mod:`cvquiz.grade.store`) and writes the reports
afterwards, by this process, into ``OUT`` — a folder no submission can see.
"""

from __future__ import annotations

import csv
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from cvquiz.course import Course
from cvquiz.errors import CvquizError, ExitCode, StoreError
from cvquiz.grade.assignment import Assignment, fingerprint
from cvquiz.grade.runner import Plan, prepare, run_all
from cvquiz.grade.store import FILE_NAME, GradeStore
from cvquiz.grade.submissions import find_submissions, prepare_submission
from cvquiz.report import gradebook, gradescope, junit
from cvquiz.report.files import write_atomic
from cvquiz.report.model import SubmissionResult
from cvquiz.text import Text


class GradeRunError(CvquizError):
    """A class run cannot start: a bad roster, stale stored grades without --regrade, ..."""

    exit_code = ExitCode.COULD_NOT_RUN


def make_executor(workers: int, policy: str):
    """The local executor; ``policy`` is required, available or unsafe (see cvquiz.grade.executor)."""
    from cvquiz.grade.executor import LocalExecutor

    return LocalExecutor(workers=workers, sandbox=policy)


# --- one submission ----------------------------------------------------------------------------------

def check_submission(course: Course, assignment: Assignment, path: Path, *, hidden: bool, policy: str,
                     student: str = "submission", executor=None) -> SubmissionResult:
    """Grade the folder or file ``path`` (visible tests, plus hidden ones with ``hidden``)."""
    if not path.exists():
        raise GradeRunError(f"{path}: no such file or folder; expected the folder holding "
                            f"{', '.join(assignment.files)}")
    own = executor is None
    executor = executor or make_executor(1, policy)
    try:
        plan = prepare(course, assignment, hidden=hidden)
        with tempfile.TemporaryDirectory(prefix="cvquiz-check-") as tmp:
            prepared = prepare_submission(student, path, assignment.files, Path(tmp) / "submission")
            return next(run_all(executor, plan, [prepared]))
    finally:
        if own:
            executor.close()


# --- a class --------------------------------------------------------------------------------------------

@dataclass
class ClassRun:
    """What a class run did: every student's current result, and the before/after of regraded ones."""

    results: list[SubmissionResult] = field(default_factory=list)
    graded: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)
    changes: list[tuple[str, SubmissionResult | None, SubmissionResult]] = field(default_factory=list)


def read_roster(path: Path) -> list[str]:
    """Student ids of a roster CSV (column ``student_id``, or ``id``)."""
    try:
        with open(path, newline="", encoding="utf-8-sig") as f:
            reader = csv.DictReader(f)
            fields = reader.fieldnames or []
            column = next((c for c in ("student_id", "id") if c in fields), None)
            if column is None:
                raise GradeRunError(f"{path}:1: expected a column 'student_id', got {', '.join(fields) or 'none'}")
            ids = []
            for line, row in enumerate(reader, 2):
                sid = (row.get(column) or "").strip()
                if not sid:
                    raise GradeRunError(f"{path}:{line}: empty {column}")
                ids.append(sid)
            return ids
    except FileNotFoundError:
        raise GradeRunError(f"{path}: roster not found") from None
    except (OSError, UnicodeDecodeError, csv.Error) as exc:
        raise GradeRunError(f"{path}: cannot be read as a UTF-8 CSV roster ({exc})") from None


def grade_class(course: Course, assignment: Assignment, submissions: Path, out: Path, *, workers: int = 1,
                roster: Path | None = None, regrade: bool = False, policy: str = "required",
                on_start: Callable[[int], None] | None = None,
                on_result: Callable[[SubmissionResult], None] | None = None, lang: str = "en") -> ClassRun:
    """Grade every submission in ``submissions`` that is not already stored, store and report them."""
    if not submissions.is_dir():
        raise GradeRunError(f"{submissions}: not a folder; expected one folder, .py or .zip per student")
    if out.resolve() == submissions.resolve():
        raise GradeRunError(f"{out}: the output folder is the submissions folder; choose an --out folder of its own")
    found = {s: p for s, p in find_submissions(submissions).items()
             if p.resolve() != out.resolve()}  # an --out folder inside SUBMISSIONS is not a student
    ids = read_roster(roster) if roster else []
    fp = fingerprint(course, assignment)
    run = ClassRun()
    with GradeStore(out / FILE_NAME, assignment.name) as store:
        stale = store.stale(fp)
        if stale and not regrade:
            raise GradeRunError(
                f"{out / FILE_NAME}: {len(stale)} stored grade(s) ({', '.join(stale[:5])}"
                f"{', ...' if len(stale) > 5 else ''}) were made with other assignment files, reference or "
                "cvquiz version; pass --regrade to grade them again and see the differences")
        done = store.done()
        with tempfile.TemporaryDirectory(prefix="cvquiz-grade-") as tmp:
            prepared = []
            for i, (student, path) in enumerate(found.items()):
                # A folder of its own for every student, skipped ones included: a shared folder
                # would hand the next student the skipped one's files.
                p = prepare_submission(student, path, assignment.files, Path(tmp) / f"s{i}")
                old = done.get(student)
                if old and old[0] == "graded" and old[1] == fp and old[2] == p.digest:
                    run.skipped.append(student)
                    continue
                prepared.append(p)
            if on_start:
                on_start(len(prepared))
            if prepared:
                # The workers start (by exec, probing the sandbox) before any hidden input or
                # reference output exists in this process; a missing layer refuses here.
                executor = make_executor(workers, policy)
                try:
                    plan = prepare(course, assignment, hidden=True)
                    for result in run_all(executor, plan, prepared):
                        before = store.get(result.student)
                        store.put(result)
                        run.graded.append(result.student)
                        if before is not None and before.status != "missing":
                            run.changes.append((result.student, before, result))
                        if on_result:
                            on_result(result)
                finally:
                    executor.close()
        for student in ids:
            if student not in found:
                store.put(missing_result(student, assignment, fp))
        run.results = store.all()  # every stored grade: a rerun without the roster loses no row
    write_reports(out, assignment, run.results, lang)
    return run


def missing_result(student: str, assignment: Assignment, fp: str) -> SubmissionResult:
    return SubmissionResult(student=student, assignment=assignment.name, status="missing",
                            questions=tuple((f.name, f.points) for f in assignment.functions),
                            message=Text("no submission found", "未找到提交"), fingerprint=fp)


def write_reports(out: Path, assignment: Assignment, results: list[SubmissionResult], lang: str = "en") -> None:
    """grades.csv, grades_long.csv, feedback/<student>.json and gradescope/<student>/results.json."""
    import json

    questions = [f.name for f in assignment.functions]
    write_atomic(out / "grades.csv", gradebook.grades_csv(results, questions))
    write_atomic(out / "grades_long.csv", gradebook.long_csv(results))
    for r in results:
        safe = _safe_name(r.student)
        write_atomic(out / "feedback" / f"{safe}.json",
                     json.dumps(student_view(r), ensure_ascii=False, indent=2) + "\n")
        if r.status == "graded":
            write_atomic(out / "gradescope" / safe / "results.json", gradescope.dumps(r, lang))


def student_view(r: SubmissionResult) -> dict:
    """A result as the student may see it: hidden tests as passed/failed only."""
    data = r.to_json()
    for t in data["tests"]:
        if not t["visible"]:
            t["status"] = "passed" if t["status"] == "passed" else "failed"
    data.pop("fingerprint", None)
    return data


def junit_report(results: list[SubmissionResult], lang: str = "en") -> str:
    return junit.junit_xml(results, lang)


def _safe_name(student: str) -> str:
    cleaned = "".join(c if c.isalnum() or c in "._-" else "_" for c in student).lstrip(".")
    if not cleaned:
        raise StoreError(f"student id {student!r} cannot be used as a file name")
    return cleaned
