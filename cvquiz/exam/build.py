"""``cvquiz exam build``: every student's paper, the answer keys, the manifest and the answer-sheet template.

Layout of the output folder::

    manifest.json           rebuilds every paper (seeds, versions, choice orders; instructor only)
    key.csv, key.json       each student's expected answer per answer-sheet column (their letters)
    answers-template.csv    the answer sheet to fill: id, then one column per answer
    papers/<id>.pdf|.md|.html

The keys and the manifest are written 0600 (only the instructor reads them: the manifest's seeds
give every answer); the papers and the template get the usual mode under the user's umask.

The answer sheet (``answers.csv``): UTF-8 CSV, a header ``id,<column>,...``, one row per
student. A column is a question id, or ``<question id>.<part>`` for each part of a multi-part
question. Cells are typed as in practice: ``3/7`` or ``0.4286``, ``[2, 8, 64]``, ``0 2 5``, a
letter ``B`` (the student's own paper's letters), ``A C`` for several, ``true``/``false``.
"""

from __future__ import annotations

import csv
import io
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path

from cvquiz.errors import ExamError
from cvquiz.exam.paper import Paper, build_paper, manifest, write_json
from cvquiz.exam.render import (column_label, expected_text, item_texts, paper_html, paper_markdown,
                                paper_typst_body, tr, typst_document)
from cvquiz.exam.roster import Student
from cvquiz.exam.spec import Exam

TEMPLATE = "answers-template.csv"
FORMATS = ("pdf", "md", "html")


@dataclass(frozen=True)
class BuildResult:
    folder: Path
    papers: int
    files: tuple[Path, ...]


def public_mode() -> int:
    """The mode a new file gets under the process's umask (``0o666 & ~umask``)."""
    mask = os.umask(0o022)
    os.umask(mask)
    return 0o666 & ~mask


def write_bytes(path: Path, data: bytes | str, *, private: bool = True) -> None:
    """Write ``data`` (str as UTF-8) to ``path`` through a temporary file and an atomic rename.

    ``private`` files (keys, the manifest, marks) stay 0600 as ``mkstemp`` makes them; the others
    (papers, a student's feedback, the answer-sheet template) get the mode of any new file under
    the user's umask.
    """
    if isinstance(data, str):
        data = data.encode("utf-8")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
        try:
            with os.fdopen(fd, "wb") as f:
                if not private:
                    os.fchmod(f.fileno(), public_mode())
                f.write(data)
            os.replace(tmp, path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
    except OSError as exc:
        raise ExamError(f"{path}: cannot be written: {exc.strerror or exc}") from None


def columns(papers: list[Paper]) -> list[str]:
    """The answer sheet's columns, in exam order (a union over papers)."""
    out: list[str] = []
    for paper in papers:
        for entry in paper.entries:
            for col in entry.columns:
                if col not in out:
                    out.append(col)
    return out


def key_rows(papers: list[Paper]) -> list[dict[str, str]]:
    rows = []
    for paper in papers:
        for entry in paper.entries:
            for part in entry.item.parts:
                rows.append({"student": paper.student.id, "question": entry.item.question_id,
                             "column": column_label(entry, part), "kind": part.kind,
                             "answer": expected_text(part), "points": f"{entry.exam_question.points:g}",
                             "seed": entry.record.get("seed", "")})
    return rows


def key_csv(papers: list[Paper]) -> str:
    out = io.StringIO()
    fields = ["student", "question", "column", "kind", "answer", "points", "seed"]
    w = csv.DictWriter(out, fieldnames=fields, lineterminator="\n")
    w.writeheader()
    w.writerows(key_rows(papers))
    return out.getvalue()


def key_json(papers: list[Paper]) -> dict:
    out: dict = {}
    for row in key_rows(papers):
        out.setdefault(row["student"], {})[row["column"]] = {"question": row["question"], "kind": row["kind"],
                                                             "answer": row["answer"]}
    return out


def template_csv(papers: list[Paper]) -> str:
    out = io.StringIO()
    w = csv.writer(out, lineterminator="\n")
    cols = columns(papers)
    w.writerow(["id", *cols])
    for paper in papers:
        w.writerow([paper.student.id, *([""] * len(cols))])
    return out.getvalue()


def paper_chars(exam: Exam, papers: list[Paper], lang: str) -> set[str]:
    chars = set(tr(exam.title, lang))
    for t in exam.sections:
        chars.update(tr(t, lang))
    for p in papers:
        chars.update(p.student.name)
        for e in p.entries:
            for t in item_texts(e.item, lang):
                chars.update(t)
    if lang in ("zh", "both"):
        chars.update("学生学号分答案判定格式解答你的得分总未作")
    return chars


def build(exam: Exam, students: list[Student], secret: bytes, out: Path, *, lang: str, date: str,
          formats: tuple[str, ...] = FORMATS) -> BuildResult:
    """Build every paper of ``exam`` for ``students`` into ``out`` (see the module doc for the layout)."""
    from cvquiz.exam.pdf import compile_pdf, require_cjk_font

    if not secret:
        raise ExamError("--secret-file: the secret is empty; put a long random string in it")
    if (Path(out) / "marks" / "results.json").exists():
        raise ExamError(f"{out}: this exam is already marked (marks/results.json); building again would "
                        "replace the papers its marks refer to; build into a new folder")
    papers = [build_paper(exam, s, secret) for s in students]
    font = require_cjk_font(paper_chars(exam, papers, lang)) if "pdf" in formats else None
    out = Path(out)
    files: list[Path] = []

    def text(path: Path, content: str, private: bool = False) -> None:
        write_bytes(path, content, private=private)
        files.append(path)

    for paper in papers:
        base = out / "papers" / paper.student.id
        if "md" in formats:
            text(base.with_suffix(".md"), paper_markdown(exam, paper, lang))
        if "html" in formats:
            text(base.with_suffix(".html"), paper_html(exam, paper, lang))
        if "pdf" in formats:
            source = typst_document(f"{tr(exam.title, 'en')} {paper.student.id}", date,
                                    paper_typst_body(exam, paper, lang), font[1] if font else None)
            write_bytes(base.with_suffix(".pdf"), compile_pdf(source, date, font), private=False)
            files.append(base.with_suffix(".pdf"))
    text(out / "key.csv", key_csv(papers), private=True)
    write_json(out / "key.json", key_json(papers))
    files.append(out / "key.json")
    text(out / TEMPLATE, template_csv(papers))
    write_json(out / "manifest.json", manifest(exam, papers, secret=secret, date=date, lang=lang))
    files.append(out / "manifest.json")
    return BuildResult(out, len(papers), tuple(files))
