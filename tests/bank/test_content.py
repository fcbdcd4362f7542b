"""Content rules of the built-in banks that `bank check` does not hold for every course.

The zh spacing rule is this course's house style (other courses may write differently), and
the regression table pins the wording fixes of issue #11 so that an edit cannot undo them.
"""

from __future__ import annotations

import re

import pytest

from cvquiz.bank.load import load_course_bank
from cvquiz.bank.selftest import missing_hints

HAN = r"[\u4e00-\u9fff]"
LATIN = r"[A-Za-z0-9]"
#: Two Han characters with a space between them ("一个 普通 RNN").
SPACED_HAN = re.compile(f"{HAN} +{HAN}")
#: A Han character touching a Latin letter or digit ("考虑RNN", "或3 位"), or two spaces between them.
UNSPACED = re.compile(f"{HAN}{LATIN}|{LATIN}{HAN}|{HAN} {{2,}}{LATIN}|{LATIN} {{2,}}{HAN}")


@pytest.fixture(scope="module")
def bank(course):
    return load_course_bank(course)


def zh_texts(bank):
    """(question or concept id, key, zh text) of every text of the built-in questions and syllabus."""
    for topic in bank.syllabus.topics:
        yield topic.id, "title", topic.title.zh
        for c in topic.concepts:
            yield c.id, "title", c.title.zh
            yield c.id, "summary", c.summary.zh
    for q in bank.questions.values():
        for name in ("prompt", "hint", "explanation", "feedback"):
            text = getattr(q, name, None)
            if text is not None:
                yield q.id, name, text.zh
        for i, c in enumerate(getattr(q, "choices", ())):
            yield q.id, f"choices[{i}].text", c.text.zh
            if c.feedback is not None:
                yield q.id, f"choices[{i}].feedback", c.feedback.zh
        for i, m in enumerate(getattr(q, "wrong", ())):
            yield q.id, f"mistakes[{i}].feedback", m.feedback.zh


def spacing_problems(text: str) -> list[str]:
    return [m.group() for pattern in (SPACED_HAN, UNSPACED) for m in pattern.finditer(text)]


@pytest.mark.parametrize("text,found", [
    ("一个 普通 RNN", ["个 普"]),
    ("考虑RNN 的梯度", ["虑R"]),
    ("或3 位有效数字", ["或3"]),
    ("每类用11 点", ["用1"]),
    ("取 3 位有效数字，考虑 RNN 的 h_t。", []),
    ("（RNN）与“LSTM”", []),
])
def test_the_spacing_rule_finds_exactly_the_spacing_slips(text, found):
    assert spacing_problems(text) == found


def test_zh_texts_put_one_space_between_han_and_latin_and_none_between_han(bank):
    """In Chinese text, one space separates a Han character from a Latin letter or digit, and
    no space separates two Han characters (punctuation is full-width and takes no space)."""
    slips = [f"{qid} {key}: {found!r}" for qid, key, text in zh_texts(bank) for found in spacing_problems(text)]
    assert slips == []


def test_every_built_in_question_that_computes_has_a_hint(bank):
    assert missing_hints(bank.questions.values()) == []


def test_hints_exist_in_both_languages_and_do_not_quote_the_answer(bank):
    for q in bank.questions.values():
        if q.hint is None or q.kind not in ("numeric", "expression"):
            continue
        assert q.hint.en.strip() and q.hint.zh.strip(), q.id
        assert getattr(q, "answer_text", "") not in (q.hint.en, q.hint.zh), q.id
        if q.kind == "numeric" and len(q.answer_text) > 2:
            assert q.answer_text not in q.hint.en and q.answer_text not in q.hint.zh, q.id


def text_of(bank, qid, path, lang):
    q = bank.questions[qid]
    node = q
    for part in path.split("."):
        m = re.fullmatch(r"(\w+)\[(\d+)\]", part)
        node = getattr(node, m.group(1))[int(m.group(2))] if m else getattr(node, part)
    return node.get(lang) if hasattr(node, "get") else node


#: (question id, key path, language, text that must appear, text that must not)
FIXES = [
    ("attention.swiglu-hidden-width", "wrong[0].feedback", "zh", "的 1.5 倍", "多出"),
    ("attention.swiglu-hidden-width", "wrong[0].feedback", "en", "1.5 times the FFN's", None),
    ("detection.nms-strict-threshold", "prompt", "en", "IoU > threshold", None),
    ("detection.nms-strict-threshold", "prompt", "zh", "IoU > 阈值", None),
    ("detection.metrics-ap11-ge-convention", "wrong[0].feedback", "en", "r > R", None),
    ("detection.metrics-ap11-ge-convention", "wrong[0].feedback", "zh", "r > R", None),
    ("detection.metrics-ap11-ge-convention", "wrong[0].feedback", "en", "unless some point's recall equals a level t exactly", None),
    ("attention.prenorm-formula", "choices[4].text", "en", "y = x + LN(F(x))", None),
    ("attention.prenorm-formula", "choices[4].feedback", "en", "cheatsheet", None),
    ("attention.prenorm-formula", "explanation", "zh", "速查表", None),
    ("sequence.embedding-one-hot-matmul", "explanation", "zh", "通常不参与反向传播", None),
    ("sequence.embedding-sparse-gradient", "prompt", "en", "not frozen", None),
    ("detection.mask_design-output-shape", "prompt", "en", "as in the Mask R-CNN paper", None),
    ("detection.mask_design-output-shape", "wrong[1].feedback", "en", "C + 1 channels", None),
    ("attention.vit-pipeline", "feedback", "en", "1-D position embeddings", None),
    ("attention.vit-pipeline", "feedback", "zh", "一维位置编码", None),
]


@pytest.mark.parametrize("qid,path,lang,must,must_not", [pytest.param(*f, id=f"{f[0]}:{f[1]}:{f[2]}") for f in FIXES])
def test_the_reviewed_wording_stays_fixed(bank, qid, path, lang, must, must_not):
    text = text_of(bank, qid, path, lang)
    assert must in text
    assert must_not is None or must_not not in text
