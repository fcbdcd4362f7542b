"""Papers in Chinese (PDF only where a CJK font is installed), the refusal without one, HTML and
figures; the optional headless-browser check of the item-analysis report."""

from __future__ import annotations

import shutil
import subprocess

import pypdf
import pytest

from cvquiz.bank import load_course_bank
from cvquiz.course import find_course
from cvquiz.errors import ExitCode
from cvquiz.exam.paper import papers_from_manifest, read_manifest
from cvquiz.exam.pdf import FONT_ENV_VAR, cjk_font
from cvquiz.exam.render import figure_svg, paper_markdown, typst_string
from tests.exam.conftest import build_args, invoke

HAS_CJK_FONT = cjk_font(set("考试答案")) is not None


def test_a_chinese_paper_without_a_cjk_font_is_refused_naming_the_package(exam_inputs, tmp_path, monkeypatch):
    monkeypatch.setenv(FONT_ENV_VAR, str(tmp_path / "no-fonts"))
    result = invoke(*build_args(exam_inputs, tmp_path / "zh", lang="zh"))
    assert result.exit_code == ExitCode.COULD_NOT_RUN
    assert "no installed font covers it" in result.output and "fonts-noto-cjk" in result.output
    assert not (tmp_path / "zh" / "papers").exists(), "nothing is printed with empty boxes"


def test_an_english_paper_needs_no_cjk_font(exam_inputs, tmp_path, monkeypatch):
    monkeypatch.setenv(FONT_ENV_VAR, str(tmp_path / "no-fonts"))
    result = invoke(*build_args(exam_inputs, tmp_path / "en"))
    assert result.exit_code == 0, result.output
    assert (tmp_path / "en" / "papers" / "s1.pdf").read_bytes()[:5] == b"%PDF-"


@pytest.mark.cjk_font
@pytest.mark.skipif(not HAS_CJK_FONT, reason="no installed font covers Chinese (apt-get install fonts-noto-cjk)")
def test_a_chinese_pdf_holds_the_chinese_prompt_and_marks_in_chinese(exam_inputs, tmp_path):
    out = tmp_path / "zh"
    result = invoke(*build_args(exam_inputs, out, lang="zh"))
    assert result.exit_code == 0, result.output
    text = "".join(pypdf.PdfReader(out / "papers" / "s1.pdf").pages[0].extract_text().split())
    assert "一张街景照片里两辆车紧挨在一起" in text and "学号" in text
    markdown = (out / "papers" / "s1.md").read_text(encoding="utf-8")
    assert "一张街景照片里两辆车紧挨在一起" in markdown


def test_both_languages_put_english_then_chinese_in_the_markdown(built_exam):
    data = read_manifest(built_exam)
    exam, papers = papers_from_manifest(data, load_course_bank(find_course(None)))
    md = paper_markdown(exam, papers[0], "both")
    assert md.index("A street photo shows two cars") < md.index("一张街景照片里两辆车紧挨在一起")
    assert "Student / 学生" in md


def test_the_html_paper_is_self_contained_and_draws_the_iou_boxes(built_exam):
    html = (built_exam / "papers" / "s2.html").read_text(encoding="utf-8")
    assert "<svg" in html and html.count("<rect") >= 2
    assert "http://" not in html.replace('xmlns="http://www.w3.org/2000/svg"', "") and "https://" not in html
    assert "<link" not in html and "<script" not in html


def test_figures_convert_box_formats_and_strings_escape_for_typst():
    svg = figure_svg({"type": "boxes", "boxes": [[5, 5, 2, 2]], "format": "cxcywh"}, width=100)
    assert 'width="100.00" height="100.00"' in svg
    assert typst_string('a "b" \\ c\nd') == '"a \\"b\\" \\\\ c\\nd"'


@pytest.mark.browser
def test_the_report_renders_in_headless_chromium(built_exam, tmp_path):
    browser = next((shutil.which(b) for b in ("chromium", "chromium-browser", "google-chrome") if shutil.which(b)), None)
    if browser is None:
        pytest.skip("no Chromium installed")
    work = tmp_path / "exam"
    shutil.copytree(built_exam, work)
    (work / "answers.csv").write_text((work / "answers-template.csv").read_text(encoding="utf-8"), encoding="utf-8")
    assert invoke("exam", "mark", str(work), str(work / "answers.csv"), "--no-pdf").exit_code == 0
    assert invoke("exam", "stats", str(work)).exit_code == 0
    shot = tmp_path / "shot.png"
    subprocess.run([browser, "--headless", "--disable-gpu", "--no-sandbox", f"--screenshot={shot}",
                    (work / "marks" / "report.html").as_uri()], check=True, capture_output=True, timeout=60)
    assert shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_a_missing_exam_extra_is_named_with_its_install_command(monkeypatch):
    import sys

    from cvquiz.errors import ExamError
    from cvquiz.exam.pdf import needs

    monkeypatch.setitem(sys.modules, "typst", None)  # import typst now raises ImportError
    with pytest.raises(ExamError, match=r"typst is not installed; install the exam extra: pip install 'cvquiz\[exam\]'"):
        needs("typst")


def test_expected_answers_are_typeset_as_typst_math_that_compiles():
    import sympy

    from cvquiz.exam.pdf import compile_pdf
    from cvquiz.exam.render import typst_document, typst_math

    n, d, d_k, alpha_bar = sympy.symbols("N d d_k alpha_bar_t", positive=True)
    cases = {sympy.Rational(8, 105): "8/105", sympy.sqrt(2) / 2: "(sqrt(2))/(2)", 2 * n**2 * d: "2 d N^(2)",
             1 / sympy.sqrt(d_k): "1/(sqrt(d_(k)))", alpha_bar: 'alpha_("bar_t")',
             sympy.Rational(3, 5) - sympy.log(2): "3/5 - ln(2)",
             sympy.exp(-8) / (1 + sympy.exp(-8))**2: "(1)/((1 + e^(-8))^(2) e^(8))"}
    for value, math in cases.items():
        assert typst_math(value) == math
    body = "".join(f"${m}$\n\n" for m in cases.values())
    assert compile_pdf(typst_document("math", "2026-01-05", body, None), "2026-01-05", None)[:5] == b"%PDF-"
    assert typst_math(sympy.Function("f")(n)) is None, "an unknown form falls back to plain text"


def test_every_answer_line_says_how_to_write_the_answer_and_points_are_counted_in_words(built_exam):
    # A true/false written as a letter, or an answer outside an unstated tolerance, must not be
    # a surprise in an exam: each paper states the format (and a numeric part's accepted rule).
    md = (built_exam / "papers" / "s1.md").read_text(encoding="utf-8")
    assert "(1 point)" in md and "(2 points)" in md and "(3 points)" in md and "(1 points)" not in md
    tf_line = next(line for line in md.splitlines() if "`points.pointnet2-shuffle-invariance`: ____" in line)
    assert "Type: true or false" in tf_line
    numeric = next(line for line in md.splitlines() if "`points.pointnet2-fps-distance-count`: ____" in line)
    assert "Type: " in numeric
    assert any("Accepted: " in line for line in md.splitlines() if ": ____ (" in line)
    pdf = "".join(page.extract_text() for page in pypdf.PdfReader(built_exam / "papers" / "s1.pdf").pages)
    assert "true or false" in pdf and "1 point)" in pdf and "Accepted:" in pdf
    html = (built_exam / "papers" / "s1.html").read_text(encoding="utf-8")
    assert "<small>Type: true or false" in html


def test_an_english_paper_prints_no_chinese_in_its_answer_lines(built_exam):
    import re

    md = (built_exam / "papers" / "s1.md").read_text(encoding="utf-8")
    hints = [line for line in md.splitlines() if ": ____ (" in line]
    assert hints and not any(re.search(r"[\u4e00-\u9fff]", line) for line in hints)
