"""The question renderer of `bank show`, called as a library function."""

from __future__ import annotations

import pytest

from cvquiz.bank.load import load_course_bank
from cvquiz.bank.render import LABELS, render_question
from cvquiz.course import find_course
from cvquiz.errors import ProblemError


@pytest.fixture
def bank(tiny_course):
    return load_course_bank(find_course(tiny_course))


def test_every_label_of_the_renderer_exists_in_both_languages():
    assert all(text.en and text.zh and text.en != text.zh for text in LABELS.values())


@pytest.mark.parametrize("lang,answer,why_not", [("en", "Answer: A.", "Why not B: "), ("zh", "答案：A.", "为何不选 B：")])
def test_a_choice_question_renders_its_answer_after_the_choices_in_either_language(bank, lang, answer, why_not):
    blocks = render_question(bank.get("detection.nms-tie"), lang)
    text = "\n".join(blocks)
    assert blocks[0].startswith("detection.nms-tie · choice · difficulty")
    assert text.index("  B. ") < text.index(answer) < text.index(why_not)


def test_a_generated_question_renders_the_variant_of_the_seed_with_its_solution(bank):
    q = bank.get("detection.nms-generated")
    first, again, other = (render_question(q, "en", s) for s in ("1", "1", "2"))
    assert first == again and first != other
    assert any(b.startswith("Answer: ") and "seed 1" in b for b in first)
    assert any("Worked solution: " in b for b in first)


def test_a_bad_seed_names_the_argument(bank):
    with pytest.raises(ProblemError, match="^seed: expected a hex string"):
        render_question(bank.get("detection.nms-generated"), "en", "zz")


@pytest.mark.parametrize("lang,line", [("en", "Continues: sequence.lstm-cell-fixed"), ("zh", "接续：sequence.lstm-cell-fixed")])
def test_a_follower_names_the_question_it_continues_under_its_header(lang, line):
    bank = load_course_bank(find_course())
    header = render_question(bank.get("sequence.lstm-hidden-fixed"), lang)[0]
    assert header.splitlines()[1] == line
    assert "\n" not in render_question(bank.get("sequence.lstm-cell-fixed"), lang)[0]
