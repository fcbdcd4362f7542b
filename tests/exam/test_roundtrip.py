"""build → fill the answer sheet → mark → stats, through the CLI, on the built-in course."""

from __future__ import annotations

import csv
import io
import json
import re
import shutil
import unicodedata

import pypdf
import pytest
import sympy

from cvquiz.bank import load_course_bank
from cvquiz.course import find_course
from cvquiz.exam.build import columns
from cvquiz.exam.paper import papers_from_manifest, read_manifest
from tests.exam.conftest import build_args, invoke, typed

MULTI = "points.voxelization-pros-cons"
CHOICE = "detection.tasks-semantic-no-instances"
NUMERIC = "points.pointnet2-fps-distance-count"
IOU = "detection.nms-generated-iou"
SHAPES = "attention.self_attention-generated-shapes"


def _papers(folder):
    return papers_from_manifest(read_manifest(folder), load_course_bank(find_course(None)))[1]


def _sheet(rows: dict[str, dict[str, str]], cols: list[str]) -> str:
    out = io.StringIO()
    w = csv.writer(out, lineterminator="\n")
    w.writerow(["id", *cols])
    for sid, answers in rows.items():
        w.writerow([sid, *(answers.get(c, "") for c in cols)])
    return out.getvalue()


@pytest.fixture(scope="module")
def marked(built_exam, tmp_path_factory):
    """s1 answers everything right; s2 mixes wrong, malformed, partial and misconception answers;
    s3 hands in no row."""
    folder = tmp_path_factory.mktemp("marked") / "exam"
    shutil.copytree(built_exam, folder)
    papers = {p.student.id: p for p in _papers(folder)}
    right = {sid: {c: typed(part) for e in p.entries for c, part in zip(e.columns, e.item.parts)}
             for sid, p in papers.items()}
    s2 = dict(right["s2"])
    entries = {e.item.question_id: e for e in papers["s2"].entries}
    choice = entries[CHOICE].item.parts[0]
    s2[CHOICE] = "ABCD"[(choice.expected + 1) % 4]  # wrong letter
    multi = entries[MULTI].item.parts[0]
    wrong_letter = next(i for i in range(multi.n_choices) if i not in multi.expected)
    s2[MULTI] = " ".join("ABCDEFGH"[i] for i in sorted(multi.expected | {wrong_letter}))
    numeric = entries[NUMERIC].item.parts[0]
    s2[NUMERIC] = sympy.sstr(numeric.mistakes[0].answer)  # a known misconception
    s2[IOU] = "0.5.5"  # malformed
    shape_cols = entries[SHAPES].columns
    for col in shape_cols[1::2]:
        s2[col] = "[1, 1]"  # wrong shapes: the odd parts
    sheet = folder / "answers.csv"
    cols = columns(list(papers.values()))
    sheet.write_text(_sheet({"s1": right["s1"], "s2": s2}, cols), encoding="utf-8")
    result = invoke("exam", "mark", str(folder), str(sheet))
    assert result.exit_code == 0, result.output
    results = json.loads((folder / "marks" / "results.json").read_text(encoding="utf-8"))["results"]
    return folder, {r["student"]["id"]: r for r in results}, papers, result, multi, shape_cols


def test_every_question_kind_typed_as_the_key_says_gets_full_marks(marked):
    _, results, papers, _, _, _ = marked
    kinds = {part.kind for e in papers["s1"].entries for part in e.item.parts}
    assert kinds == {"choice", "multi", "truefalse", "number", "shape", "expression", "indices", "set", "vector"}
    s1 = results["s1"]
    assert s1["status"] == "graded"
    assert s1["total"] == s1["max"] == 14
    assert all(q["status"] == "correct" for q in s1["questions"].values())


def test_wrong_malformed_partial_and_misconception_answers_score_as_stated(marked):
    _, results, _, _, multi, shape_cols = marked
    q = results["s2"]["questions"]
    assert q[CHOICE]["score"] == 0 and q[CHOICE]["status"] == "wrong"
    correct = len(multi.expected)
    assert q[MULTI]["score"] == pytest.approx(2 * max(0, (correct - 1) / correct))
    assert q[NUMERIC]["score"] == 0 and q[NUMERIC]["feedback"], "the misconception's feedback is kept"
    assert q[IOU]["score"] == 0 and q[IOU]["status"] == "invalid"
    assert "message" in results["s2"]["parts"][IOU]
    n = len(shape_cols)
    right_parts = n - len(shape_cols[1::2])
    assert q[SHAPES]["score"] == pytest.approx(round(3 * right_parts / n, 6))
    assert q["points.pointnet2-shuffle-invariance"]["score"] == 1


def test_a_student_without_a_row_is_missing_with_zero(marked):
    _, results, _, output, _, _ = marked
    assert results["s3"]["status"] == "missing" and results["s3"]["total"] == 0
    assert "s3: 0 / 14  (no row: missing)" in output.console_text


def test_marking_writes_gradebooks_long_csv_and_feedback_with_the_students_own_solution(marked):
    folder, results, papers, _, _, _ = marked
    grades = list(csv.DictReader(io.StringIO((folder / "marks" / "grades.csv").read_text(encoding="utf-8"))))
    assert [g["student"] for g in grades] == ["s1", "s2", "s3"]
    assert float(grades[0]["total"]) == 14
    long_rows = list(csv.DictReader(io.StringIO((folder / "marks" / "long.csv").read_text(encoding="utf-8"))))
    assert {r["status"] for r in long_rows} >= {"passed", "wrong", "invalid", "blank"}
    feedback = (folder / "marks" / "feedback" / "s2.md").read_text(encoding="utf-8")
    iou_entry = next(e for e in papers["s2"].entries if e.item.question_id == IOU)
    assert iou_entry.item.explanation.en.splitlines()[0] in feedback
    pages = pypdf.PdfReader(folder / "marks" / "feedback" / "s2.pdf").pages
    pdf_text = "".join("".join(page.extract_text() for page in pages).split())
    assert "Youranswer" in pdf_text and "".join(iou_entry.item.explanation.en.split())[:40] in pdf_text


def test_the_canvas_gradebook_has_canvas_columns_from_the_roster(marked):
    folder, _, _, _, _, _ = marked
    result = invoke("exam", "mark", str(folder), str(folder / "answers.csv"), "--gradebook", "canvas", "--no-pdf")
    assert result.exit_code == 0, result.output
    rows = list(csv.reader(io.StringIO((folder / "marks" / "grades.csv").read_text(encoding="utf-8"))))
    assert rows[0][:5] == ["Student", "ID", "SIS User ID", "SIS Login ID", "Section"]
    assert rows[2][:5] == ["Ann Lee", "", "901", "s1", "A"]
    assert rows[3][:5] == ["Bo Wu", "", "", "s2", "B"]
    assert ("cvquiz: warning: canvas gradebook: 1 student(s) have no sis_id in the roster (s2); Canvas matches "
            "rows on SIS User ID") in result.stderr
    assert "Canvas matches on SIS User ID" in " ".join(invoke("exam", "mark", "--help").output.split())


def test_re_marking_after_a_correction_shows_the_before_and_after_scores(marked, tmp_path):
    folder, _, papers, _, _, _ = marked
    work = tmp_path / "exam"
    shutil.copytree(folder, work)
    text = (work / "answers.csv").read_text(encoding="utf-8")
    rows = list(csv.reader(io.StringIO(text)))
    col = rows[0].index(IOU)
    iou_entry = next(e for e in papers["s2"].entries if e.item.question_id == IOU)
    rows[2][col] = typed(iou_entry.item.parts[0])
    out = io.StringIO()
    csv.writer(out, lineterminator="\n").writerows(rows)
    (work / "answers.csv").write_text(out.getvalue(), encoding="utf-8")
    result = invoke("exam", "mark", str(work), str(work / "answers.csv"), "--no-pdf")
    assert result.exit_code == 0, result.output
    assert f"s2 {IOU}: 0 -> 1" in result.console_text
    assert (work / "marks" / "results.previous.json").exists()


def test_stats_summarise_in_the_terminal_and_write_a_self_contained_report(marked, tmp_path):
    folder, _, _, _, _, _ = marked
    work = tmp_path / "exam"
    shutil.copytree(folder, work)
    result = invoke("exam", "stats", str(work))
    assert result.exit_code == 0, result.output
    assert "2 students" in result.console_text and "misconception x1" in result.console_text
    html = (work / "marks" / "report.html").read_text(encoding="utf-8")
    assert html.count('src="data:image/png;base64,') == 2
    assert "src=\"http" not in html and "<script" not in html
    assert (work / "marks" / "histogram.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    case = marked[1]["s1"]["questions"][IOU]["params"]["case"]
    assert case in ("nested", "partial") and f"{case}: " in html, "the iou generator's case label is analysed"


def _pdf_text(path) -> str:
    """The PDF's text without whitespace, math letters folded to plain ones and − read as -."""
    text = "".join(page.extract_text() for page in pypdf.PdfReader(path).pages)
    return "".join(unicodedata.normalize("NFKC", text).replace("−", "-").split())


def test_each_pdf_holds_that_students_own_numbers(built_exam):
    papers = _papers(built_exam)
    lines, formulas = {}, {}
    for p in papers:
        entries = {e.item.question_id: e for e in p.entries}
        # the boxes are an aligned block; the shapes question's sizes are typeset formulas
        lines[p.student.id] = [ln for ln in entries[IOU].item.prompt.en.splitlines() if "= [" in ln]
        formulas[p.student.id] = [f"{name}={value}" for name, value in
                                  re.findall(r"\b([A-Za-z]) = (\d+)", entries[SHAPES].item.prompt.en)]
    assert len({tuple(v) for v in lines.values()}) == 3, "every student has their own boxes"
    assert all(formulas.values()) and len({tuple(v) for v in formulas.values()}) == 3
    for sid, own in lines.items():
        text = _pdf_text(built_exam / "papers" / f"{sid}.pdf")
        for line in own:
            assert "".join(line.split()) in text
        for formula in formulas[sid]:
            assert formula in text
        for other, theirs in lines.items():
            if other != sid:
                assert not all("".join(ln.split()) in text for ln in theirs)


def test_the_key_and_answer_template_use_each_students_own_letters(built_exam):
    papers = {p.student.id: p for p in _papers(built_exam)}
    key = json.loads((built_exam / "key.json").read_text(encoding="utf-8"))
    for sid, p in papers.items():
        choice = next(e for e in p.entries if e.item.question_id == CHOICE)
        assert key[sid][CHOICE]["answer"] == "ABCD"[choice.item.parts[0].expected]
    orders = {tuple(next(e for e in p.entries if e.item.question_id == CHOICE).record["order"])
              for p in papers.values()}
    assert len(orders) > 1, "choice order is shuffled per student"
    template = (built_exam / "answers-template.csv").read_text(encoding="utf-8").splitlines()
    assert template[0].startswith(f"id,{CHOICE},{MULTI},")
    assert [row.split(",")[0] for row in template[1:]] == ["s1", "s2", "s3"]


def test_building_twice_gives_byte_identical_papers_keys_and_manifest(exam_inputs, built_exam, tmp_path):
    again = tmp_path / "again"
    result = invoke(*build_args(exam_inputs, again))
    assert result.exit_code == 0, result.output
    first = sorted(p.relative_to(built_exam) for p in built_exam.rglob("*") if p.is_file())
    second = sorted(p.relative_to(again) for p in again.rglob("*") if p.is_file())
    assert first == second
    for rel in first:
        assert (built_exam / rel).read_bytes() == (again / rel).read_bytes(), rel


def test_re_marking_after_a_key_correction_in_the_bank_shows_the_changed_score(exam_inputs, tmp_path):
    from tests.cli_helpers import ROOT

    course = tmp_path / "course"
    shutil.copytree(ROOT / "questions", course / "questions")
    shutil.copytree(ROOT / "reference", course / "reference")
    out = tmp_path / "exam"
    result = invoke("--course", str(course), "exam", "build", "--questions", NUMERIC, "--questions", CHOICE,
                    "--roster", str(exam_inputs / "roster.csv"), "--secret-file", str(exam_inputs / "exam.secret"),
                    "--out", str(out), "--lang", "en", "--date", "2026-01-05")
    assert result.exit_code == 0, result.output
    (out / "answers.csv").write_text(f"id,{NUMERIC}\ns1,261120\ns2,262144\n", encoding="utf-8")
    assert invoke("--course", str(course), "exam", "mark", str(out), str(out / "answers.csv"), "--no-pdf").exit_code == 0
    bank = course / "questions" / "points.yaml"
    text = bank.read_text(encoding="utf-8")
    start = text.index(f"  - id: {NUMERIC}\n")
    block_end = text.index("\n\n", start)
    block = text[start:block_end]
    fixed = block.replace("answer: 261120", "answer: 262144")
    fixed = "\n".join(ln for i, ln in enumerate(fixed.splitlines())
                      if not (ln.strip() == "- answer: 262144" or (i and fixed.splitlines()[i - 1].strip()
                                                                   == "- answer: 262144")))
    bank.write_text(text[:start] + fixed + text[block_end:], encoding="utf-8")
    result = invoke("--course", str(course), "exam", "mark", str(out), str(out / "answers.csv"), "--no-pdf")
    assert result.exit_code == 0, result.output
    assert f"s1 {NUMERIC}: 1 -> 0" in result.console_text
    assert f"s2 {NUMERIC}: 0 -> 1" in result.console_text
