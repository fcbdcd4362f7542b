"""A table of broken banks, each with the exact messages the loader must give.

Every snippet is a whole bank file; ``{f}`` in a message stands for its path. A question starts
on line 3 (after ``topic:`` and ``questions:``), so its keys sit on lines 3, 4, 5, ...
"""

from __future__ import annotations

import pytest

from cvquiz.answers import DEFAULT_TOLERANCE, Tolerance
from cvquiz.bank.load import load_bank_file
from cvquiz.errors import BankError
from tests.bank.conftest import write

HEAD = "topic: detection\nquestions:\n"

# A valid choice question; lines 3-13.
CHOICE = """\
  - id: detection.q
    kind: choice
    concepts: [detection.nms]
    difficulty: 2
    prompt: {en: P, zh: 问}
    choices:
      - text: {en: A, zh: 甲}
        correct: true
      - text: {en: B, zh: 乙}
        feedback: {en: F, zh: 反馈}
    explanation: {en: E, zh: 解}
"""

# The common keys of a question of another kind; lines 3-8, its answer keys from line 9 on.
def common(kind: str, concept: str = "detection.metrics") -> str:
    return (f"  - id: detection.p\n    kind: {kind}\n    concepts: [{concept}]\n    difficulty: 2\n"
            "    prompt: {en: P, zh: 问}\n    explanation: {en: E, zh: 解}\n")


CASES = [
    # --- the file
    ("empty-file", "", ["{f}:1: (top): empty file; expected a mapping with 'topic' and 'questions'"]),
    ("file-is-a-list", "- a\n- b\n",
     ["{f}:1: (top): expected a mapping with 'topic' and 'questions', got a list"]),
    ("invalid-yaml", "topic: detection\nquestions: [\n",
     ["{f}:3: invalid YAML: expected the node content, but found '<stream end>'"]),
    ("unknown-top-key", "topic: detection\nquestoins: []\n",
     ["{f}:1: (top): missing required key 'questions'; expected a list of questions",
      "{f}:2: questoins: unknown key; did you mean 'questions'?"]),
    ("missing-topic", "questions: []\n",
     ["{f}:1: (top): missing required key 'topic'; expected a topic id of syllabus.yaml"]),
    ("unknown-topic", "topic: detecton\nquestions: []\n",
     ["{f}:1: topic: unknown topic 'detecton'; did you mean 'detection'?"]),
    ("topic-of-another-file", "topic: attention\nquestions: []\n",
     ["{f}:1: topic: 'attention' in detection.yaml; expected 'detection' (the bank of topic T is T.yaml)"]),
    ("questions-not-a-list", "topic: detection\nquestions: {id: x}\n",
     ["{f}:2: questions: expected a list of questions, got a mapping"]),
    ("question-not-a-mapping", HEAD + "  - just some text\n",
     ["{f}:3: questions[0]: expected a question (a mapping with id, kind, concepts, ...), got 'just some text'"]),
    # --- keys of a question
    ("missing-kind", HEAD + CHOICE.replace("    kind: choice\n", ""),
     ["{f}:3: questions[0]: missing required key 'kind'; expected one of choice, multi, truefalse, numeric, "
      "expression, shape, order, generated, code"]),
    ("misspelt-kind", HEAD + CHOICE.replace("kind: choice", "kind: chioce"),
     ["{f}:4: questions[0].kind: unknown kind 'chioce'; did you mean 'choice'?"]),
    ("misspelt-key", HEAD + CHOICE.replace("    explanation:", "    explaination:"),
     ["{f}:3: questions[0]: missing required key 'explanation'; expected a mapping with non-empty 'en' and 'zh' texts",
      "{f}:13: questions[0].explaination: unknown key; did you mean 'explanation'?"]),
    ("key-of-another-kind", HEAD + CHOICE + "    tolerance: {rel: 0.01}\n",
     ["{f}:14: questions[0].tolerance: a choice question has no 'tolerance' (only numeric has it); expected one "
      "of kind, id, concepts, difficulty, prompt, hint, explanation, follows, choices"]),
    ("key-given-twice", HEAD + CHOICE.replace("    difficulty: 2\n", "    difficulty: 2\n    difficulty: 3\n"),
     ["{f}:7: questions[0].difficulty: key given twice; expected each key once"]),
    ("bad-id", HEAD + CHOICE.replace("id: detection.q", "id: NMS Basic"),
     ["{f}:3: questions[0].id: expected an id of lower-case letters, digits, '.', '_' and '-', got 'NMS Basic'"]),
    ("duplicate-id", HEAD + CHOICE + CHOICE,
     ["{f}:14: questions[1].id: duplicate id 'detection.q'; first defined at {f}:3"]),
    # --- concepts, difficulty
    ("misspelt-concept", HEAD + CHOICE.replace("[detection.nms]", "[detection.nsm]"),
     ["{f}:5: questions[0].concepts[0]: unknown concept 'detection.nsm'; did you mean 'detection.nms'?"]),
    ("alias-as-concept", HEAD + CHOICE.replace("[detection.nms]", "[nms]"),
     ["{f}:5: questions[0].concepts[0]: unknown concept 'nms'; did you mean 'detection.nms'?"]),
    ("concept-listed-twice", HEAD + CHOICE.replace("[detection.nms]", "[detection.nms, detection.nms]"),
     ["{f}:5: questions[0].concepts[1]: 'detection.nms' is listed twice; expected each concept once"]),
    ("no-concepts", HEAD + CHOICE.replace("[detection.nms]", "[]"),
     ["{f}:5: questions[0].concepts: expected a list of concept ids, got an empty list"]),
    ("concepts-not-a-list", HEAD + CHOICE.replace("[detection.nms]", "detection.nms"),
     ["{f}:5: questions[0].concepts: expected a list of concept ids, got 'detection.nms'"]),
    ("difficulty-too-high", HEAD + CHOICE.replace("difficulty: 2", "difficulty: 4"),
     ["{f}:6: questions[0].difficulty: expected an integer from 1 to 3, got 4"]),
    ("difficulty-a-word", HEAD + CHOICE.replace("difficulty: 2", "difficulty: hard"),
     ["{f}:6: questions[0].difficulty: expected an integer from 1 to 3, got 'hard'"]),
    # --- texts
    ("prompt-without-zh", HEAD + CHOICE.replace("prompt: {en: P, zh: 问}", "prompt: {en: P}"),
     ["{f}:7: questions[0].prompt: missing 'zh'; expected non-empty text in both 'en' and 'zh'"]),
    ("prompt-with-empty-zh", HEAD + CHOICE.replace("prompt: {en: P, zh: 问}", "prompt: {en: P, zh: '  '}"),
     ["{f}:7: questions[0].prompt.zh: empty; expected non-empty text in both 'en' and 'zh'"]),
    ("prompt-a-plain-string", HEAD + CHOICE.replace("prompt: {en: P, zh: 问}", "prompt: What is NMS?"),
     ["{f}:7: questions[0].prompt: expected a mapping with non-empty 'en' and 'zh' texts, got 'What is NMS?'"]),
    ("prompt-in-a-third-language", HEAD + CHOICE.replace("prompt: {en: P, zh: 问}", "prompt: {en: P, zh: 问, fr: Q}"),
     ["{f}:7: questions[0].prompt.fr: unknown key; expected one of en, zh"]),
    ("text-a-number", HEAD + CHOICE.replace("{en: B, zh: 乙}", "{en: 42, zh: 乙}"),
     ["{f}:11: questions[0].choices[1].text.en: expected text, got 42"]),
    # --- choice and multi
    ("one-choice", HEAD + common("choice", "detection.nms")
     + "    choices:\n      - text: {en: A, zh: 甲}\n        correct: true\n",
     ["{f}:9: questions[0].choices: expected a list of 2 to 6 choices, got 1 item"]),
    ("seven-choices", HEAD + common("choice", "detection.nms") + "    choices:\n"
     + "      - {text: {en: A, zh: 甲}, correct: true}\n"
     + "".join(f"      - {{text: {{en: W{i}, zh: 错{i}}}, feedback: {{en: F, zh: 反}}}}\n" for i in range(6)),
     ["{f}:9: questions[0].choices: expected a list of 2 to 6 choices, got 7 items"]),
    ("no-correct-choice", HEAD + CHOICE.replace("        correct: true\n", "        feedback: {en: G, zh: 反}\n"),
     ["{f}:8: questions[0].choices: no choice is marked 'correct: true'; expected exactly one"]),
    ("two-correct-choices", HEAD + CHOICE.replace("        feedback: {en: F, zh: 反馈}\n", "        correct: true\n"),
     ["{f}:8: questions[0].choices: choices[0] and choices[1] are marked correct; expected exactly one "
      "(a question with several correct choices is kind 'multi')"]),
    ("wrong-choice-without-feedback", HEAD + CHOICE.replace("        feedback: {en: F, zh: 反馈}\n", ""),
     ["{f}:11: questions[0].choices[1]: missing 'feedback'; a wrong choice needs feedback naming the "
      "misconception it reveals"]),
    ("same-choice-twice", HEAD + CHOICE.replace("{en: B, zh: 乙}", "{en: A, zh: 乙}"),
     ["{f}:11: questions[0].choices[1].text: same text as choices[0]; expected distinct choices"]),
    ("correct-as-a-word", HEAD + CHOICE.replace("correct: true", "correct: yes"),
     ["{f}:10: questions[0].choices[0].correct: expected true or false, got 'yes'"]),
    ("multi-without-correct", HEAD + CHOICE.replace("kind: choice", "kind: multi")
     .replace("        correct: true\n", "        feedback: {en: G, zh: 反}\n"),
     ["{f}:8: questions[0].choices: no choice is marked 'correct: true'; expected at least one"]),
    # --- truefalse
    ("truefalse-answer-a-word", HEAD + common("truefalse") + "    answer: yes\n    feedback: {en: F, zh: 反}\n",
     ["{f}:9: questions[0].answer: expected true or false, got 'yes'"]),
    ("truefalse-without-feedback", HEAD + common("truefalse") + "    answer: true\n",
     ["{f}:3: questions[0]: missing required key 'feedback'; expected a mapping with non-empty 'en' and 'zh' texts"]),
    # --- numeric
    ("numeric-unreadable", HEAD + common("numeric") + '    answer: "sqrt(2"\n',
     ["{f}:9: questions[0].answer: cannot read 'sqrt(2' as a number; expected a number or an exact expression "
      'such as "3/7" or "sqrt(2)/2"']),
    ("numeric-division-by-zero", HEAD + common("numeric") + '    answer: "1/0"\n',
     ["{f}:9: questions[0].answer: cannot read '1/0' as a number; expected a number or an exact expression "
      'such as "3/7" or "sqrt(2)/2"']),
    ("numeric-answer-a-list", HEAD + common("numeric") + "    answer: [3, 7]\n",
     ['{f}:9: questions[0].answer: expected a number or an exact expression such as "3/7", got a list']),
    ("numeric-value-disagrees", HEAD + common("numeric") + '    answer: "3/7"\n    value: 0.44\n',
     ["{f}:10: questions[0].value: 0.44 does not agree with the answer '3/7' (≈ 0.428571) within the tolerance "
      "({default}); expected the answer's value"]),
    ("numeric-value-disagrees-with-a-tight-tolerance", HEAD + common("numeric")
     + '    answer: "sqrt(2)/2"\n    value: 0.707\n    tolerance: {abs: 0.0001}\n',
     ["{f}:10: questions[0].value: 0.707 does not agree with the answer 'sqrt(2)/2' (≈ 0.707107) within the "
      "tolerance ({abs}); expected the answer's value"]),
    ("tolerance-rel-as-percent", HEAD + common("numeric") + '    answer: "3/7"\n    tolerance: {rel: 5}\n',
     ["{f}:10: questions[0].tolerance.rel: expected a fraction in (0, 0.1] (0.01 means 1 %), got 5"]),
    ("tolerance-empty", HEAD + common("numeric") + '    answer: "3/7"\n    tolerance: {}\n',
     ["{f}:10: questions[0].tolerance: expected a mapping with abs, rel or sig_figs, got an empty mapping"]),
    ("tolerance-misspelt-key", HEAD + common("numeric") + '    answer: "3/7"\n    tolerance: {relative: 0.01}\n',
     ["{f}:10: questions[0].tolerance.relative: unknown key; did you mean 'rel'?"]),
    ("tolerance-negative-abs", HEAD + common("numeric") + '    answer: "3/7"\n    tolerance: {abs: -0.1}\n',
     ["{f}:10: questions[0].tolerance.abs: expected a number ≥ 0, got -0.1"]),
    ("tolerance-zero-sig-figs", HEAD + common("numeric") + '    answer: "3/7"\n    tolerance: {sig_figs: 0}\n',
     ["{f}:10: questions[0].tolerance.sig_figs: expected an integer from 1 to 10, got 0"]),
    ("mistake-that-is-correct", HEAD + common("numeric") + '    answer: "3/7"\n    mistakes:\n'
     "      - answer: 0.4286\n        feedback: {en: F, zh: 反}\n",
     ["{f}:11: questions[0].mistakes[0].answer: 0.4286 would be accepted as correct (it is within the tolerance)"]),
    ("mistake-without-feedback", HEAD + common("numeric") + '    answer: "3/7"\n    mistakes:\n'
     "      - answer: 0.75\n",
     ["{f}:11: questions[0].mistakes[0]: missing required key 'feedback'; expected a mapping with non-empty "
      "'en' and 'zh' texts"]),
    ("mistakes-empty", HEAD + common("numeric") + '    answer: "3/7"\n    mistakes: []\n',
     ["{f}:10: questions[0].mistakes: expected a list of {{answer, feedback}}, got an empty list"]),
    # --- expression
    ("formula-with-an-unlisted-symbol", HEAD + common("expression", "attention.why_scale")
     + '    answer: "N**2 * D"\n    symbols: [N]\n',
     ["{f}:9: questions[0].answer: 'N**2 * D' uses D, not listed in 'symbols'; expected a formula in N "
      "(the names listed in 'symbols')"]),
    ("formula-unreadable", HEAD + common("expression", "attention.why_scale")
     + '    answer: "N**2 *"\n    symbols: [N]\n',
     ["{f}:9: questions[0].answer: cannot read 'N**2 *' as a formula; expected a formula in N "
      "(the names listed in 'symbols')"]),
    ("formula-mistake-equivalent", HEAD + common("expression", "attention.why_scale")
     + '    answer: "N*(N+1)"\n    symbols: [N]\n    mistakes:\n      - answer: "N**2 + N"\n'
     "        feedback: {en: F, zh: 反}\n",
     ["{f}:12: questions[0].mistakes[0].answer: 'N**2 + N' is equivalent to the answer; expected a wrong formula"]),
    ("symbol-listed-twice", HEAD + common("expression", "attention.why_scale")
     + '    answer: "N"\n    symbols: [N, N]\n',
     ["{f}:10: questions[0].symbols[1]: 'N' is listed twice; expected each symbol once"]),
    ("symbol-not-a-name", HEAD + common("expression", "attention.why_scale")
     + '    answer: "N"\n    symbols: [N, "d k"]\n',
     ["{f}:10: questions[0].symbols[1]: expected a symbol name such as d_k or N, got 'd k'"]),
    # --- shape and order
    ("shape-with-a-zero", HEAD + common("shape") + "    answer: [2, 0, 64]\n",
     ["{f}:9: questions[0].answer[1]: expected a positive integer, got 0"]),
    ("shape-as-text", HEAD + common("shape") + "    answer: 2x8x64\n",
     ["{f}:9: questions[0].answer: expected a shape such as [2, 8, 64], got '2x8x64'"]),
    ("shape-mistake-equal-to-the-answer", HEAD + common("shape") + "    answer: [2, 8]\n    mistakes:\n"
     "      - {answer: [2, 8], feedback: {en: F, zh: 反}}\n",
     ["{f}:11: questions[0].mistakes[0].answer: [2, 8] equals the answer; expected a wrong shape"]),
    ("order-negative-index", HEAD + common("order") + "    answer: [0, -1]\n",
     ["{f}:9: questions[0].answer[1]: expected a non-negative integer, got -1"]),
    ("set-with-a-repeated-index", HEAD + common("order") + "    answer: [0, 2, 0]\n    ordered: false\n",
     ["{f}:9: questions[0].answer[2]: index 0 is listed twice; expected each index once when 'ordered' is false"]),
    ("set-mistake-equal-as-a-set", HEAD + common("order") + "    answer: [0, 2]\n    ordered: false\n"
     "    mistakes:\n      - {answer: [2, 0], feedback: {en: F, zh: 反}}\n",
     ["{f}:12: questions[0].mistakes[0].answer: [2, 0] equals the answer as a set; expected a wrong list"]),
    # --- generated and code
    ("misspelt-generator", HEAD + common("generated", "detection.nms") + "    generator: bank_tset_gen\n",
     ["{f}:9: questions[0].generator: unknown generator 'bank_tset_gen'; did you mean 'bank_test_gen'?"]),
    ("unknown-generator", HEAD + common("generated", "detection.nms") + "    generator: zzzzzz\n",
     ["{f}:9: questions[0].generator: unknown generator 'zzzzzz'; expected a kind of `cvquiz generate --list`"]),
    ("misspelt-generator-option", HEAD + common("generated", "detection.nms")
     + "    generator: bank_test_gen\n    options: {sise: 3}\n",
     ["{f}:10: questions[0].options.sise: generator 'bank_test_gen' has no option 'sise'; did you mean 'size'?"]),
    ("generator-option-a-mapping", HEAD + common("generated", "detection.nms")
     + "    generator: bank_test_gen\n    options: {size: {a: 1}}\n",
     ["{f}:10: questions[0].options.size: expected a number, text, true/false or a list of them, got a mapping"]),
    # --- follows
    ("follows-an-unknown-id", HEAD + CHOICE + "    follows: detection.qq\n",
     ["{f}:14: questions[0].follows: unknown question id 'detection.qq'; did you mean 'detection.q'?"]),
    ("follows-nothing-close", HEAD + CHOICE + "    follows: sequence.beam-search\n",
     ["{f}:14: questions[0].follows: unknown question id 'sequence.beam-search'; expected the id of the "
      "question it continues"]),
    ("follows-itself", HEAD + CHOICE + "    follows: detection.q\n",
     ["{f}:14: questions[0].follows: a question cannot follow itself; expected the id of the question it "
      "continues"]),
    ("follows-in-a-cycle", HEAD + CHOICE + "    follows: detection.p\n"
     + common("numeric", "detection.nms") + '    answer: "3/7"\n    follows: detection.q\n',
     ["{f}:14: questions[0].follows: 'detection.q' → 'detection.p' → 'detection.q' is a cycle; expected a "
      "chain of followers that starts at a question following none",
      "{f}:22: questions[1].follows: 'detection.p' → 'detection.q' → 'detection.p' is a cycle; expected a "
      "chain of followers that starts at a question following none"]),
    ("follows-a-question-on-other-concepts", HEAD + CHOICE + common("numeric") + '    answer: "3/7"\n'
     "    follows: detection.q\n",
     ["{f}:21: questions[1].follows: 'detection.q' shares no concept with this question; expected a question "
      "on one of detection.metrics (practice selects by concept and asks a follower only with its lead)"]),
    ("follows-not-an-id", HEAD + CHOICE + "    follows: Same model\n",
     ["{f}:14: questions[0].follows: expected a question id, got 'Same model'"]),
    ("missing-assignment-folder", HEAD + common("code", "detection.nms") + "    assignment: nsm\n",
     ["{f}:9: questions[0].assignment: no folder 'nsm' in {d}/assignments/; did you mean 'nms'?"]),
]


@pytest.mark.parametrize("text,expected", [pytest.param(t, e, id=i) for i, t, e in CASES])
def test_a_broken_bank_gives_exactly_these_messages(tmp_path, syllabus, text, expected):
    (tmp_path / "bank" / "assignments" / "nms").mkdir(parents=True)
    path = write(tmp_path / "bank" / "detection.yaml", text)
    with pytest.raises(BankError) as info:
        load_bank_file(path, syllabus)
    # The tolerance, as the checker states it to students, is quoted in the message.
    tolerances = {"default": DEFAULT_TOLERANCE.describe().en, "abs": Tolerance(abs=0.0001).describe().en}
    assert info.value.problems == [m.format(f=path, d=path.parent, **tolerances) for m in expected]


def test_the_table_has_at_least_thirty_snippets():
    assert len(CASES) >= 30
    assert len({i for i, _, _ in CASES}) == len(CASES)


def test_every_snippet_is_the_valid_base_with_one_thing_broken(tmp_path, syllabus):
    """The bases themselves load, so each snippet's messages come from what it breaks."""
    (tmp_path / "assignments" / "nms").mkdir(parents=True)
    text = (HEAD + CHOICE + common("numeric").replace("detection.p", "detection.p1") + '    answer: "3/7"\n'
            + common("generated", "detection.nms").replace("detection.p", "detection.p2")
            + "    generator: bank_test_gen\n    options: {size: 3}\n"
            + common("code", "detection.nms").replace("detection.p", "detection.p3") + "    assignment: nms\n")
    questions = load_bank_file(write(tmp_path / "detection.yaml", text), syllabus)
    assert [q.kind for q in questions] == ["choice", "numeric", "generated", "code"]
