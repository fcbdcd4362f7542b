"""The practice screen rendered at a fixed width, compared as text (rich's own test style)."""

from __future__ import annotations

import io

import sympy
from rich.console import Console

from cvquiz.answers import Tolerance
from cvquiz.practice.screen import Screen, draw_pr_curve
from cvquiz.practice.session import Item, Part, Session
from cvquiz.text import Text


def render(plain=False, lang="en"):
    out = io.StringIO()
    console = Console(file=out, width=60, color_system=None, highlight=False, emoji=False)
    screen = Screen(console, lang=lang, plain=plain)
    item = Item("detection.iou-demo", "detection", ("detection.nms",),
                Text("IoU of A and B?", "A 与 B 的 IoU？"),
                (Part("number", sympy.Rational(1, 7), tolerance=Tolerance(rel=0.005)),),
                explanation=Text("Intersection 4, union 28.", "交集 4，并集 28。"),
                figure={"type": "boxes", "boxes": [[0, 0, 4, 4], [2, 2, 6, 6]], "format": "xyxy"},
                difficulty=2)
    screen.show_question(item, (1, 3))
    screen.show_result(Session([item], None).answer("0.2"))
    return out.getvalue()


EXPECTED_EN = '╭─ [1/3] detection.iou-demo · detection.nms · ★★ ──────────╮\n│ IoU of A and B?                                          │\n│                                                          │\n│ ┌A───────────────┐                                       │\n│ │                │                                       │\n│ │                │                                       │\n│ │                │                                       │\n│ │        ┌B───────────────┐                              │\n│ │        │▒▒▒▒▒▒▒│        │                              │\n│ │        │▒▒▒▒▒▒▒│        │                              │\n│ │        │▒▒▒▒▒▒▒│        │                              │\n│ │        │▒▒▒▒▒▒▒│        │                              │\n│ └────────│───────┘        │                              │\n│          │                │                              │\n│          │                │                              │\n│          │                │                              │\n│          └────────────────┘                              │\n│ boxes A, B (coordinates in the question); ▒ overlap      │\n│                                                          │\n│ Type: a number such as 0.43, 3/7, 43% or sqrt(2)/2       │\n│ Accepted: within 0.5 % of the exact value                │\n╰──────────────────────────────────────────────────────────╯\n╭─ ✗ Wrong ────────────────────────────────────────────────╮\n│ Answer: 1/7 ≈ 0.1429                                     │\n│ Accepted: within 0.5 % of the exact value                │\n│                                                          │\n│ Why: Intersection 4, union 28.                           │\n╰──────────────────────────────────────────────────────────╯\n'

EXPECTED_ZH_PLAIN = '[1/3] detection.iou-demo · detection.nms · **\nA 与 B 的 IoU？\n\n+A---------------+\n|                |\n|                |\n|                |\n|        +B---------------+\n|        |#######|        |\n|        |#######|        |\n|        |#######|        |\n|        |#######|        |\n+--------|-------+        |\n         |                |\n         |                |\n         |                |\n         +----------------+\n框 A、B（坐标见题目）；# 为重叠部分\n\n作答格式: 一个数，例如 0.43、3/7、43% 或 sqrt(2)/2\n判定标准: 与精确值的相对误差不超过 0.5%\n\n✗ 错误\n答案: 1/7 ≈ 0.1429\n判定标准: 与精确值的相对误差不超过 0.5%\n\n解析: 交集 4，并集 28。\n\n'


def test_a_wrong_iou_answer_renders_the_boxes_the_rule_the_answer_and_the_solution():
    assert render() == EXPECTED_EN


def test_plain_chinese_mode_uses_no_box_drawing_and_chinese_labels():
    text = render(plain=True, lang="zh")
    assert text == EXPECTED_ZH_PLAIN
    assert not any(ch in text for ch in "╭│─▒★")


def test_the_pr_curve_marks_the_eleven_interpolation_points():
    picture = draw_pr_curve([0.2, 0.4, 0.4, 0.6, 0.8], [1, 1, 2 / 3, 0.75, 0.8], points=11, plain=True,
                            width=11, height=6)
    rows = picture.splitlines()
    assert rows[0] == "1.0 |++*+*"  # recall 0..0.4 interpolate to precision 1
    assert rows[5].endswith("++")  # recall 0.9 and 1.0 are never reached: precision 0
    assert "11-point interpolation" in picture


def test_a_pr_curve_is_drawn_with_the_solution_not_with_the_question():
    out = io.StringIO()
    screen = Screen(Console(file=out, width=80, color_system=None), lang="en", plain=True)
    item = Item("detection.ap-demo", "detection", ("detection.metrics",), Text("AP?", "AP？"),
                (Part("number", sympy.Rational(10, 11), tolerance=Tolerance(rel=0.005)),),
                explanation=Text("See the curve.", "见曲线。"),
                figure={"type": "pr_curve", "recall": [0.5, 1.0], "precision": [1.0, 1.0], "points": 11},
                seed="1")
    screen.show_question(item, (1, 1))
    asked = out.getvalue()
    screen.show_result(Session([item], None).answer("10/11"))
    answered = out.getvalue()[len(asked):]
    assert "11-point interpolation" not in asked
    assert "11-point interpolation" in answered


def offered(hint, exam=False, lang="en"):
    """What the question screen of a session shows about a hint."""
    out = io.StringIO()
    screen = Screen(Console(file=out, width=80, color_system=None), lang=lang, plain=True)
    item = Item("detection.q", "detection", ("detection.nms",), Text("IoU?", "IoU？"),
                (Part("number", sympy.Rational(1, 3)),), hint=hint)
    session = Session([item], None, exam=exam)
    screen.show_question(item, session.position, hint=session.hint_offered)
    return session, out.getvalue()


def test_the_hint_command_is_offered_only_on_a_question_with_a_hint():
    session, shown = offered(Text("Union = |A| + |B| − intersection.", "并集 = |A| + |B| − 交集。"))
    assert session.hint_offered and "A hint is available: type :h." in shown
    session, shown = offered(None)
    assert not session.hint_offered and ":h" not in shown
    _, shown = offered(Text("h", "提示"), lang="zh")
    assert "本题有提示：输入 :h 查看。" in shown


def test_a_mock_exam_offers_no_hint():
    session, shown = offered(Text("h", "提示"), exam=True)
    assert not session.hint_offered and ":h" not in shown and session.hint() is None


def test_nms_boxes_are_numbered_as_the_question_numbers_them_and_no_legend_gives_coordinates():
    from cvquiz.practice.screen import draw_figure

    figure = {"type": "boxes", "boxes": [[0, 0, 4, 4], [1, 1, 5, 5], [6, 0, 9, 3]], "format": "xyxy",
              "labels": ["0", "1", "2"]}
    picture = draw_figure(figure, plain=True)
    assert "+0--" in picture and "+1--" in picture and "+2--" in picture and "A" not in picture
    assert picture.splitlines()[-1] == "boxes 0, 1, 2 (coordinates in the question); # overlap"
    cxcywh = draw_figure({"type": "boxes", "boxes": [[0, 0, 4, 4], [2, 2, 6, 6]], "format": "xyxy",
                          "labels": ["A", "B"]}, plain=True, lang="zh")
    assert "4" not in cxcywh.splitlines()[-1]  # the corners (step one of a cxcywh question) are not shown
    assert cxcywh.splitlines()[-1] == "框 A、B（坐标见题目）；# 为重叠部分"


def choice_result(typed, lang="en", kind="choice"):
    from cvquiz.answers import Mistake

    out = io.StringIO()
    screen = Screen(Console(file=out, width=80, color_system=None), lang=lang, plain=True)
    if kind == "truefalse":
        item = Item("q.tf", "detection", ("detection.nms",), Text("True?", "对吗？"), (Part("truefalse", True),))
    else:
        item = Item("q.c", "detection", ("detection.nms",), Text("Which?", "哪个？"),
                    (Part("choice", 0, n_choices=2, mistakes=(Mistake(1, Text("B suppresses at equality.",
                                                                               "B 在相等时也抑制。")),)),),
                    choices=(Text("kept", "保留"), Text("removed", "删除")))
    screen.show_result(Session([item], None).answer(typed))
    return out.getvalue()


def test_a_known_wrong_choice_is_answered_with_why_not_that_choice():
    assert "Why not B: B suppresses at equality." in choice_result("b")
    assert "为什么不是 B: B 在相等时也抑制。" in choice_result("b", lang="zh")


def test_a_true_false_answer_is_said_in_the_language_of_the_screen():
    assert "答案: 对" in choice_result("错", lang="zh", kind="truefalse")
    assert "Answer: true" in choice_result("false", kind="truefalse")


def test_a_single_choice_invalid_answer_asks_for_one_label():
    session = Session([Item("q.c", "detection", ("detection.nms",), Text("Which?", "哪个？"),
                            (Part("choice", 0, n_choices=3),), choices=(Text("a", "a"),) * 3)], None)
    message = session.answer("Z").verdict.message.en
    assert message == "There is no choice 'Z'. Expected one letter from A to C (or 1 to 3)."


def test_a_multi_select_answer_says_what_was_missed_and_what_was_wrongly_chosen():
    out = io.StringIO()
    screen = Screen(Console(file=out, width=80, color_system=None), lang="en", plain=True)
    item = Item("q.m", "detection", ("detection.nms",), Text("Which?", "哪些？"),
                (Part("multi", frozenset({0, 1}), n_choices=3),), choices=(Text("a", "a"),) * 3)
    screen.show_result(Session([item], None).answer("A, C"))
    assert "You missed B; C should not be chosen." in out.getvalue()
    screen.lang = "zh"
    screen.show_result(Session([item], None).answer("A"))
    assert "漏选了 B。" in out.getvalue()


def test_a_multi_part_answer_says_how_many_parts_were_right():
    out = io.StringIO()
    screen = Screen(Console(file=out, width=80, color_system=None), lang="en", plain=True)
    item = Item("q.p", "attention", ("attention.mha",), Text("Shapes?", "形状？"),
                tuple(Part("number", v, name=n) for n, v in (("a", 1), ("b", 2), ("c", 3))))
    session = Session([item], None)
    session.answer("1")
    session.answer("5")
    screen.show_result(session.answer("3"))
    assert "2 of 3 parts right" in out.getvalue()


def test_the_format_line_names_only_the_symbols_the_answer_is_written_in():
    from cvquiz.bank.load import load_course_bank
    from cvquiz.course import find_course
    from cvquiz.practice.items import item_from_question

    question = load_course_bank(find_course()).get("attention.complexity-score-cost-formula")
    item = item_from_question(question)
    assert item.answer_format.en.startswith("a formula in N, D such as")
    verdict = Session([item], None).answer("H*N^2*D")  # H still typable: the known mistake is explained
    assert verdict.verdict.status == "wrong" and verdict.verdict.feedback is not None
