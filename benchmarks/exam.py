"""What one exam paper costs to build: typst PDF (English, and Chinese when a CJK font is
installed), Markdown and HTML, and what marking one answer sheet costs. No peer does this job;
the PDF rows compare a paper with the same paper's Markdown + HTML only (the PDF's own share).

    python -m benchmarks --suite exam
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

QUESTIONS = ["detection.tasks-semantic-no-instances", "points.voxelization-pros-cons",
             "detection.nms-generated-iou", "detection.metrics-generated-ap11",
             "attention.self_attention-generated-shapes", "sequence.rnn-output-shape"]


def rows(device: str, quick: bool) -> list:
    from benchmarks.harness import Row
    from cvquiz.bank import load_course_bank
    from cvquiz.course import find_course
    from cvquiz.exam.build import build, columns
    from cvquiz.exam.mark import mark_papers
    from cvquiz.exam.paper import build_paper
    from cvquiz.exam.pdf import cjk_font
    from cvquiz.exam.roster import parse_roster
    from cvquiz.exam.spec import from_names

    bank = load_course_bank(find_course(None))
    exam = from_names(bank, ids=QUESTIONS)
    one = parse_roster("id,name\ns1,Ann Lee\n")
    out = Path(tempfile.mkdtemp(prefix="cvquiz-bench-exam-"))
    secret = b"benchmark secret"

    def paper(lang: str, formats: tuple[str, ...]):
        return lambda: build(exam, one, secret, out / lang / "-".join(formats), lang=lang, date="2026-01-05",
                             formats=formats).papers

    result = []
    for lang in ("en", "zh"):
        if lang == "zh" and cjk_font(set("考试")) is None:
            result.append(Row("exam paper zh (PDF+MD+HTML)", paper("zh", ("md",)), None, "",
                              missing="no CJK font installed (apt-get install fonts-noto-cjk)"))
            continue
        result.append(Row(f"exam paper {lang} (PDF+MD+HTML)", paper(lang, ("pdf", "md", "html")),
                          paper(lang, ("md", "html")), "the same paper as Markdown + HTML only",
                          same=lambda a, b: a == b, target="< 1 s"))
    papers = [build_paper(exam, s, secret) for s in parse_roster("id\ns1\ns2\ns3\n")]
    blank = {p.student.id: {c: "1" for c in columns(papers)} for p in papers}
    result.append(Row("exam mark 3 sheets (every cell checked)", lambda: len(mark_papers(papers, blank)), None, "",
                      missing="no peer: nothing else marks these sheets", target="< 1 s"))
    return result
