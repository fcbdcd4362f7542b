"""``cvquiz exam mark``: mark a filled answer sheet with the same checking rules as practice.

Every cell is checked by :func:`cvquiz.answers.check.check_answer` against that student's own
variant (tolerance, significant figures, symbolic equivalence, shapes, index lists; a malformed
cell is ``invalid`` with the expected format, never silently wrong; a blank one is ``blank``).

Partial credit, exactly:

- a ``multi`` question scores ``points * max(0, (right - wrong) / correct)``, where ``right`` and
  ``wrong`` count the ticked letters that are right and wrong, and ``correct`` is how many are
  right on the key;
- a multi-part question scores ``points * (parts right) / (number of parts)``;
- every other question scores all its points or none.

``points`` come from the exam spec (default 1). Results are written to ``DIR/marks/``:
``results.json`` (the previous one is kept as ``results.previous.json`` and compared: the
before/after diff of every changed score), ``grades.csv`` (``--gradebook plain``: the grader's
gradebook writer; ``canvas``: ``Student, ID, SIS User ID, SIS Login ID, Section`` and the exam's
column; ``ID`` is Canvas's own user id, which a roster does not have, so it is blank: Canvas
matches the rows on ``SIS User ID``, the roster's ``sis_id``; ``SIS Login ID`` is the roster's
``id``), ``long.csv`` (one row per answer) and ``feedback/<id>.md`` and ``.pdf`` with the student's answers and their own worked solutions.
The results, the previous results and both CSVs hold grades and are written 0600; the feedback
files are meant to be handed out and get the usual mode under the user's umask.
"""

from __future__ import annotations

import csv
import io
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cvquiz.answers.check import check_answer
from cvquiz.answers.parse import AnswerFormatError, parse_answer
from cvquiz.errors import ExamError
from cvquiz.exam.paper import Entry, Paper, write_json
from cvquiz.exam.roster import read_text
from cvquiz.exam.spec import Exam
from cvquiz.text import Text

MARKS = "marks"
GRADEBOOKS = ("plain", "canvas")


@dataclass(frozen=True)
class Diff:
    student: str
    question: str
    before: float
    after: float


def read_sheet(path: Path, papers: list[Paper], known_columns: list[str]) -> dict[str, dict[str, str]]:
    """Each student's typed answers by column; refuses unknown columns and students with their line."""
    text = read_text(Path(path), "answer sheet")
    reader = csv.reader(io.StringIO(text, newline=""))
    rows, lines = [], []
    try:
        for row in reader:
            rows.append(row)
            lines.append(reader.line_num)
    except csv.Error as exc:
        raise ExamError(f"{path}:{reader.line_num}: not a valid CSV line: {exc}") from None
    if not rows or not rows[0] or rows[0][0].strip() != "id":
        raise ExamError(f"{path}:1: expected a header starting with id, then the question columns "
                        "(see answers-template.csv written by `cvquiz exam build`)")
    header = [c.strip() for c in rows[0]]
    for col in header[1:]:
        if col not in known_columns:
            raise ExamError(f"{path}:1: unknown column {col!r}; the exam's columns are {', '.join(known_columns)}")
    if len(set(header)) != len(header):
        raise ExamError(f"{path}:1: a column appears twice in the header")
    ids = {p.student.id for p in papers}
    sheet: dict[str, dict[str, str]] = {}
    for line, row in zip(lines[1:], rows[1:]):
        if not any(c.strip() for c in row):
            continue
        if len(row) > len(header):
            raise ExamError(f"{path}:{line}: {len(row)} cells but the header has {len(header)} columns")
        sid = row[0].strip()
        if sid not in ids:
            raise ExamError(f"{path}:{line}: student {sid!r} is not on this exam's roster")
        if sid in sheet:
            raise ExamError(f"{path}:{line}: student {sid!r} has a second row")
        sheet[sid] = {header[i]: row[i].strip() for i in range(1, len(row))}
    return sheet


def _multi_score(entry: Entry, typed: str) -> float | None:
    part = entry.item.parts[0]
    try:
        chosen = parse_answer("multi", typed, n_choices=part.n_choices)
    except AnswerFormatError:
        return None
    expected = frozenset(part.expected)
    right, wrong = len(chosen & expected), len(chosen - expected)
    return max(0.0, (right - wrong) / len(expected))


def mark_entry(entry: Entry, answers: dict[str, str]) -> dict[str, Any]:
    """One question of one student: its score and each part's verdict."""
    points = entry.exam_question.points
    parts: dict[str, dict[str, Any]] = {}
    right = 0
    for col, part in zip(entry.columns, entry.item.parts):
        typed = answers.get(col, "").strip()
        if not typed:
            parts[col] = {"typed": "", "status": "blank"}
            continue
        verdict = check_answer(part.kind, part.expected, typed, tolerance=part.tolerance, mistakes=part.mistakes,
                               symbols=part.symbols, n_choices=part.n_choices)
        got: dict[str, Any] = {"typed": typed, "status": verdict.status}
        if verdict.message is not None:
            got["message"] = verdict.message.to_json()
        if verdict.feedback is not None:
            got["misconception"] = verdict.feedback.to_json()
        if part.kind in ("choice", "multi") and verdict.status != "invalid":
            shown = parse_answer(part.kind, typed, n_choices=part.n_choices)
            order = entry.record.get("order") or list(range(part.n_choices or 0))
            got["chosen"] = sorted(order[i] for i in ([shown] if part.kind == "choice" else shown))
        right += verdict.status == "correct"
        parts[col] = got
    if entry.item.parts[0].kind == "multi" and len(entry.item.parts) == 1:
        only = parts[entry.columns[0]]
        fraction = _multi_score(entry, only["typed"]) if only["status"] in ("correct", "wrong") else 0.0
        fraction = fraction or 0.0
    else:
        fraction = right / len(entry.item.parts)
    score = round(points * fraction, 6)
    feedback = [p["misconception"] for p in parts.values() if "misconception" in p]
    status = "correct" if score == points else ("partial" if score > 0 else
                                                 ("invalid" if any(p["status"] == "invalid" for p in parts.values())
                                                  else "blank" if all(p["status"] == "blank" for p in parts.values())
                                                  else "wrong"))
    return {"score": score, "points": points, "status": status, "feedback": feedback,
            "params": entry.params, "parts": parts}


def mark_papers(papers: list[Paper], sheet: dict[str, dict[str, str]]) -> list[dict[str, Any]]:
    """Every student's marked paper (a student without a row is ``missing``: all blank, 0 points)."""
    results = []
    for paper in papers:
        answers = sheet.get(paper.student.id)
        questions = {e.item.question_id: mark_entry(e, answers or {}) for e in paper.entries}
        parts = {col: got for q in questions.values() for col, got in q["parts"].items()}
        results.append({"student": paper.student.to_json(), "status": "graded" if answers is not None else "missing",
                        "total": round(sum(q["score"] for q in questions.values()), 6),
                        "max": round(sum(q["points"] for q in questions.values()), 6),
                        "questions": questions, "parts": parts})
    return results


def diff(before: list[dict[str, Any]], after: list[dict[str, Any]]) -> list[Diff]:
    """Every (student, question) whose score changed between two markings."""
    old = {r["student"]["id"]: r for r in before}
    out = []
    for r in after:
        prev = old.get(r["student"]["id"])
        for qid, q in r["questions"].items():
            was = prev["questions"].get(qid, {}).get("score", 0.0) if prev else 0.0
            if was != q["score"]:
                out.append(Diff(r["student"]["id"], qid, was, q["score"]))
    return out


def submission_results(exam: Exam, results: list[dict[str, Any]], papers: list[Paper]):
    """The results as the grader's report model, for its gradebook and long-CSV writers."""
    from cvquiz.report.model import SubmissionResult, TestResult

    by_id = {p.student.id: p for p in papers}
    out = []
    for r in results:
        tests = []
        for entry in by_id[r["student"]["id"]].entries:
            q = r["questions"][entry.item.question_id]
            n = len(entry.columns)
            for col in entry.columns:
                part = q["parts"][col]
                score = q["score"] if n == 1 else (q["points"] / n if part["status"] == "correct" else 0.0)
                tests.append(TestResult(question=entry.item.question_id, test=col, visible=True,
                                        score=round(score, 6), max_score=round(q["points"] / n, 6),
                                        status="passed" if part["status"] == "correct" else part["status"]))
        out.append(SubmissionResult(student=r["student"]["id"], assignment=exam.title.en, status=r["status"],
                                    tests=tuple(tests),
                                    questions=tuple((eq.id, eq.points) for eq in exam.questions)))
    return out


def canvas_csv(exam: Exam, results: list[dict[str, Any]]) -> str:
    out = io.StringIO()
    w = csv.writer(out, lineterminator="\n")
    total = sum(eq.points for eq in exam.questions)
    w.writerow(["Student", "ID", "SIS User ID", "SIS Login ID", "Section", exam.title.en])
    w.writerow(["    Points Possible", "", "", "", "", f"{total:g}"])
    for r in sorted(results, key=lambda r: r["student"]["id"]):
        s = r["student"]
        w.writerow([s["name"], "", s["sis_id"], s["id"], s["section"], f"{r['total']:g}"])
    return out.getvalue()


def feedback_markdown(exam: Exam, paper: Paper, result: dict[str, Any], lang: str) -> str:
    from cvquiz.exam.render import expected_text, label, tr

    lines = [f"# {tr(exam.title, lang)}: {paper.student.id}", "",
             f"**{label('total', lang)}:** {result['total']:g} / {result['max']:g}", ""]
    for n, entry in enumerate(paper.entries, start=1):
        item = entry.item
        q = result["questions"][item.question_id]
        lines += [f"## {n}. `{item.question_id}`: {q['score']:g} / {q['points']:g}", "", "```text",
                  tr(item.prompt, lang), "```", ""]
        for i, choice in enumerate(item.choices):
            lines.append(f"- **{chr(65 + i)}.** {tr(choice, lang)}")
        if item.choices:
            lines.append("")
        for col, part in zip(entry.columns, item.parts):
            got = q["parts"][col]
            lines.append(f"- `{col}`: {label('yours', lang)} `{got['typed'] or '-'}` ({got['status']}); "
                         f"{label('answer', lang)} `{expected_text(part)}`")
            if "message" in got:
                lines.append(f"  - {tr(Text(**got['message']), lang)}")
            if "misconception" in got:
                lines.append(f"  - {tr(Text(**got['misconception']), lang)}")
        if item.explanation is not None:
            lines += ["", f"**{label('solution', lang)}:**", "", "```text", tr(item.explanation, lang), "```"]
        lines.append("")
    return "\n".join(lines).rstrip() + "\n"


def read_results(folder: Path) -> list[dict[str, Any]] | None:
    path = Path(folder) / MARKS / "results.json"
    if not path.exists():
        return None
    try:
        return json.loads(path.read_text(encoding="utf-8"))["results"]
    except (OSError, UnicodeDecodeError, json.JSONDecodeError, KeyError, TypeError) as exc:
        raise ExamError(f"{path}: cannot be read as marked results: {exc}") from None


def write_marks(folder: Path, exam: Exam, papers: list[Paper], results: list[dict[str, Any]], *,
                gradebook: str, lang: str, date: str, pdf: bool = True) -> list[Diff]:
    """Write everything under ``folder/marks`` and return the diff against the previous marking."""
    from cvquiz.exam.build import paper_chars, write_bytes
    from cvquiz.report.files import write_atomic
    from cvquiz.report.gradebook import grades_csv, long_csv

    marks = Path(folder) / MARKS
    before = read_results(folder)
    if before is not None:
        write_atomic(marks / "results.previous.json", (marks / "results.json").read_text(encoding="utf-8"))
    changes = diff(before, results) if before is not None else []
    write_json(marks / "results.json", {"exam": exam.title.to_json(), "results": results})
    reports = submission_results(exam, results, papers)
    write_atomic(marks / "grades.csv", grades_csv(reports, [eq.id for eq in exam.questions]) if gradebook == "plain"
                 else canvas_csv(exam, results))
    write_atomic(marks / "long.csv", long_csv(reports))
    font = None
    if pdf:
        from cvquiz.exam.pdf import require_cjk_font

        font = require_cjk_font(paper_chars(exam, papers, lang), "the feedback")
    for paper, result in zip(papers, results):
        base = marks / "feedback" / paper.student.id
        write_bytes(base.with_suffix(".md"), feedback_markdown(exam, paper, result, lang), private=False)
        if pdf:
            from cvquiz.exam.pdf import compile_pdf
            from cvquiz.exam.render import paper_typst_body, typst_document

            body = paper_typst_body(exam, paper, lang, answers=result)
            write_bytes(base.with_suffix(".pdf"), compile_pdf(
                typst_document(f"{exam.title.en} {paper.student.id}", date, body, font[1] if font else None),
                date, font), private=False)
    return changes
