"""The bank loader: typed answers, ids across files, selection, lenient loading, speed, no torch."""

from __future__ import annotations

import subprocess
import sys

import pytest
import sympy
from hypothesis import given, settings
from hypothesis import strategies as st

from cvquiz.bank import schema as S
from cvquiz.bank.load import (Bank, UnknownNameError, load_bank_file, load_banks, load_course_bank,
                              shown_path)
from cvquiz.course import Course
from cvquiz.errors import BankError
from cvquiz.problems.registry import registry
from tests.bank.conftest import GOOD_BANK, write
from tests.cli_helpers import ROOT


@pytest.fixture
def good(tmp_path, syllabus) -> dict[str, S.Question]:
    (tmp_path / "assignments" / "nms").mkdir(parents=True)
    questions = load_bank_file(write(tmp_path / "detection.yaml", GOOD_BANK), syllabus)
    return {q.id: q for q in questions}


def test_every_kind_loads_with_its_answer_in_the_checkers_types(good):
    q = good
    assert (q["detection.nms-tie"].answer_kind, q["detection.nms-tie"].answer) == ("choice", 0)
    assert (q["detection.ap-facts"].answer_kind, q["detection.ap-facts"].answer) == ("multi", frozenset({0, 1}))
    assert (q["detection.nms-differentiable"].answer_kind, q["detection.nms-differentiable"].answer) == \
        ("truefalse", False)
    assert q["detection.precision"].answer_kind == "number"
    assert q["detection.precision"].answer == sympy.Rational(3, 7)
    assert q["detection.precision"].value == 0.4286
    assert q["detection.precision"].tolerance == S.DEFAULT_TOLERANCE
    assert str(q["attention.score-scale"].answer) == "d_k"
    assert isinstance(q["attention.score-scale"].answer, sympy.Symbol)
    assert q["attention.score-scale"].symbols == ("d_k",)
    assert (q["attention.scores-shape"].answer_kind, q["attention.scores-shape"].answer) == ("shape", (2, 8, 64, 64))
    assert (q["detection.nms-kept"].answer_kind, q["detection.nms-kept"].answer) == ("set", frozenset({0, 2}))
    assert (q["detection.nms-generated"].generator, q["detection.nms-generated"].options) == ("bank_test_gen", {"size": 3})
    assert q["detection.nms-generated"].answer_kind is None
    assert q["detection.nms-code"].assignment == "nms"


def test_questions_remember_their_topic_file_and_line(good, tmp_path):
    q = good["detection.nms-differentiable"]
    assert (q.topic, q.file, q.line) == ("detection", str(tmp_path / "detection.yaml"), 28)


def test_wrong_choices_and_the_other_truth_value_become_mistakes_with_feedback(good):
    choice = good["detection.nms-tie"]
    assert [m.answer for m in choice.mistakes] == [1]
    assert choice.mistakes[0].feedback.en == "Suppression needs IoU strictly above the threshold."
    tf = good["detection.nms-differentiable"]
    assert [m.answer for m in tf.mistakes] == [True]
    multi = good["detection.ap-facts"]
    assert [i for i, _ in multi.feedback_for({0, 2})] == [2]


@pytest.mark.parametrize("qid,typed,status", [
    ("detection.nms-tie", "A", "correct"),
    ("detection.nms-tie", "b", "wrong"),
    ("detection.ap-facts", "B, A", "correct"),
    ("detection.ap-facts", "A", "wrong"),
    ("detection.nms-differentiable", "错", "correct"),
    ("detection.nms-differentiable", "true", "wrong"),
    ("detection.precision", "3/7", "correct"),
    ("detection.precision", "0.4286", "correct"),
    ("detection.precision", "0.45", "wrong"),
    ("detection.precision", "three sevenths", "invalid"),
    ("attention.score-scale", "d_k", "correct"),
    ("attention.scores-shape", "2x8x64x64", "correct"),
    ("attention.scores-shape", "[2, 64, 64]", "wrong"),
    ("detection.nms-kept", "2 0", "correct"),
    ("detection.nms-kept", "0 1 2", "wrong"),
])
def test_a_loaded_question_checks_what_a_student_types(good, qid, typed, status):
    assert good[qid].check(typed).status == status


def test_a_listed_mistake_gets_its_feedback_when_checked(good):
    verdict = good["detection.precision"].check("3/4")
    assert verdict.status == "wrong"
    assert verdict.feedback.en == "That is TP/FP."
    assert good["detection.nms-tie"].check("B").feedback.zh == "只有 IoU 严格大于阈值才抑制。"


def test_generated_and_code_questions_have_no_fixed_answer_to_check(good):
    with pytest.raises(TypeError, match="no fixed answer"):
        good["detection.nms-code"].check("anything")


def test_a_decimal_answer_is_read_as_the_exact_decimal(tmp_path, syllabus):
    path = write(tmp_path / "d.yaml", GOOD_BANK.replace('answer: "3/7"\n    value: 0.4286', "answer: 0.1"))
    (tmp_path / "assignments" / "nms").mkdir(parents=True)
    q = {q.id: q for q in load_bank_file(path, syllabus)}["detection.precision"]
    assert q.answer == sympy.Rational(1, 10)
    assert q.answer_text == "0.1"


def test_all_problems_of_a_file_are_reported_at_once_in_line_order(tmp_path, syllabus):
    (tmp_path / "assignments" / "nms").mkdir(parents=True)
    broken = (GOOD_BANK.replace("difficulty: 1\n    prompt: {en: NMS is differentiable.",
                                "difficulty: 5\n    prompt: {en: NMS is differentiable.")
              .replace("generator: bank_test_gen", "generator: bank_test_gn")
              .replace("    answer: [2, 8, 64, 64]", "    answer: [2, 8, 64, -64]")
              .replace("kind: choice", "kind: choise"))
    path = write(tmp_path / "detection.yaml", broken)
    with pytest.raises(BankError) as info:
        load_bank_file(path, syllabus)
    problems = info.value.problems
    assert [p.split(": ")[1] for p in problems] == [
        "questions[0].kind", "questions[2].difficulty", "questions[5].answer[3]", "questions[7].generator"]
    lines = [int(p.split(":")[1]) for p in problems]
    assert lines == sorted(lines)


def test_ids_are_unique_across_files_and_the_duplicate_names_the_first(tmp_path, syllabus):
    (tmp_path / "assignments" / "nms").mkdir(parents=True)
    first = write(tmp_path / "detection.yaml", GOOD_BANK)
    second = write(tmp_path / "more.yaml", "topic: attention\nquestions:\n" + GOOD_BANK.split("questions:\n")[1]
                   .split("  - id: detection.ap-facts")[0])
    with pytest.raises(BankError) as info:
        load_banks([first, second], syllabus)
    assert info.value.problems == [
        f"{second}:3: questions[0].id: duplicate id 'detection.nms-tie'; first defined at {first}:3"]


def test_a_question_may_follow_a_question_of_another_file(tmp_path, syllabus):
    (tmp_path / "assignments" / "nms").mkdir(parents=True)
    first = write(tmp_path / "detection.yaml", GOOD_BANK)
    second = write(tmp_path / "more.yaml", "topic: attention\nquestions:\n" + GOOD_BANK.split("questions:\n")[1]
                   .split("  - id: detection.ap-facts")[0].replace("detection.nms-tie", "attention.next")
                   + "    follows: detection.nms-kept\n")
    questions = {q.id: q for q in load_banks([first, second], syllabus)}
    assert questions["attention.next"].follows == "detection.nms-kept"
    assert questions["detection.nms-kept"].follows is None


def test_lenient_loading_leaves_out_a_follower_of_an_unknown_question(tiny_course):
    bank_path = tiny_course / "questions" / "detection.yaml"
    bank_path.write_text(bank_path.read_text(encoding="utf-8").replace(
        "    answer: [0, 2]\n", "    answer: [0, 2]\n    follows: detection.nms-tye\n"), encoding="utf-8")
    bank = load_course_bank(Course(tiny_course), strict=False)
    assert "detection.nms-kept" not in bank.questions and len(bank.questions) == 8
    assert bank.problems == (f"{shown_path(bank_path)}:74: questions[6].follows: unknown question id "
                             "'detection.nms-tye'; did you mean 'detection.nms-tie'?",)


def test_a_code_question_needs_its_folder_under_assignments(tmp_path, syllabus):
    path = write(tmp_path / "detection.yaml", GOOD_BANK)
    with pytest.raises(BankError) as info:
        load_bank_file(path, syllabus)
    assert info.value.problems == [f"{path}:89: questions[8].assignment: no folder 'nms' in {tmp_path}/assignments/; "
                                   f"expected a folder of {tmp_path}/assignments/"]
    elsewhere = tmp_path / "elsewhere"
    (elsewhere / "nms").mkdir(parents=True)
    assert len(load_bank_file(path, syllabus, assignments_dir=elsewhere)) == 9


def test_a_generated_question_may_name_a_real_generator_with_its_real_options(tmp_path, syllabus):
    generators = registry()
    kind = next((k for k, g in generators.items() if g.options and k != "bank_test_gen"), None)
    if kind is None:
        pytest.skip("no registered generator takes options yet")
    option = generators[kind].options[0]
    text = GOOD_BANK.replace("generator: bank_test_gen\n    options: {size: 3}",
                             f"generator: {kind}\n    options: {{{option}: x, not_an_option: 1}}")
    (tmp_path / "assignments" / "nms").mkdir(parents=True)
    path = write(tmp_path / "detection.yaml", text)
    with pytest.raises(BankError) as info:
        load_bank_file(path, syllabus)
    assert len(info.value.problems) == 1
    assert info.value.problems[0].startswith(
        f"{path}:84: questions[7].options.not_an_option: generator {kind!r} has no option 'not_an_option'")


# --- the course bank ---------------------------------------------------------------------------

def test_the_course_bank_selects_by_topic_concept_alias_and_question_id(tiny_course):
    bank = load_course_bank(Course(tiny_course))
    assert isinstance(bank, Bank)
    ids = list(bank.questions)
    assert ids[0] == "detection.nms-tie" and len(ids) == 9
    assert [q.id for q in bank.select([])] == ids
    assert [q.id for q in bank.select(["attention"])] == ["attention.score-scale", "attention.scores-shape"]
    assert [q.id for q in bank.select(["AP"])] == ["detection.ap-facts", "detection.precision"]
    assert [q.id for q in bank.select(["detection.metrics", "scaling"])] == [
        "detection.ap-facts", "detection.precision", "attention.score-scale", "attention.scores-shape"]
    assert [q.id for q in bank.select(["detection.nms-code"])] == ["detection.nms-code"]
    assert bank.select("scaling") == bank.select(["scaling"])


def test_selecting_an_unknown_name_suggests_the_closest_one(tiny_course):
    bank = load_course_bank(Course(tiny_course))
    with pytest.raises(UnknownNameError) as info:
        bank.select(["atention", "nmss", "zzz"])
    assert str(info.value) == ("unknown topic, concept, question id or problem kind 'atention'; did you mean "
                               "'attention'?; unknown topic, concept, question id or problem kind 'nmss'; did you "
                               "mean 'nms'?; unknown topic, concept, question id or problem kind 'zzz' "
                               "(`cvquiz topics` lists topics and concepts)")
    with pytest.raises(UnknownNameError, match="did you mean 'detection.nms-tie'"):
        bank.get("detection.nms-tei")


def test_by_concept_lists_every_syllabus_concept_even_without_questions(tiny_course):
    bank = load_course_bank(Course(tiny_course))
    counts = {cid: len(qs) for cid, qs in bank.by_concept.items()}
    assert counts == {"detection.nms": 5, "detection.metrics": 2, "attention.why_scale": 2}


def test_lenient_loading_leaves_out_broken_questions_and_keeps_their_problems(tiny_course):
    bank_path = tiny_course / "questions" / "detection.yaml"
    bank_path.write_text(bank_path.read_text(encoding="utf-8").replace("difficulty: 3", "difficulty: 9"),
                         encoding="utf-8")
    with pytest.raises(BankError):
        load_course_bank(Course(tiny_course))
    bank = load_course_bank(Course(tiny_course), strict=False)
    assert "detection.nms-code" not in bank.questions and len(bank.questions) == 8
    assert len(bank.problems) == 1 and "questions[8].difficulty: expected an integer from 1 to 3, got 9" in bank.problems[0]


def test_a_broken_syllabus_stops_even_lenient_loading(tiny_course):
    (tiny_course / "questions" / "syllabus.yaml").write_text("topics: 3\n", encoding="utf-8")
    with pytest.raises(BankError, match="topics: expected a list of topics"):
        load_course_bank(Course(tiny_course), strict=False)


def test_reading_the_banks_imports_no_torch():
    code = ("import sys\nfrom cvquiz.course import find_course\nfrom cvquiz.bank.load import load_course_bank\n"
            "bank = load_course_bank(find_course(), strict=False)\n"
            "from cvquiz.bank.schema import json_schema\njson_schema()\n"
            "print(len(bank.questions), 'torch' in sys.modules)\n")
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    count, torch_loaded = out.stdout.split()
    assert int(count) > 0 and torch_loaded == "False"


# --- robustness: any damage to a good bank is a BankError, never a crash -----------------------

def _paths(node, prefix=()):
    yield prefix
    if isinstance(node, dict):
        for k, v in node.items():
            yield from _paths(v, (*prefix, k))
    elif isinstance(node, list):
        for i, v in enumerate(node):
            yield from _paths(v, (*prefix, i))


def _replace(node, path, value):
    if not path:
        return value
    head, rest = path[0], path[1:]
    if isinstance(node, dict):
        return {k: (_replace(v, rest, value) if k == head else v) for k, v in node.items()}
    return [(_replace(v, rest, value) if i == head else v) for i, v in enumerate(node)]


_scalars = st.one_of(st.none(), st.booleans(), st.integers(-5, 10**6), st.floats(allow_nan=False),
                     st.text(max_size=12), st.sampled_from(["choice", "numeric", "3/7", "sqrt(", "detection.nms",
                                                            "1/0", "x**99999", "en", "zh", "kind", "answer"]))
_values = st.recursive(_scalars, lambda inner: st.one_of(
    st.lists(inner, max_size=3), st.dictionaries(st.sampled_from(["en", "zh", "text", "answer", "x"]), inner,
                                                 max_size=3)), max_leaves=6)


def _tree(data, line=1):
    """``data`` as the loader's line-carrying tree (every node on line ``line``)."""
    from cvquiz.bank.yamltree import YList, YMap

    if isinstance(data, dict):
        out = YMap(line)
        for k, v in data.items():
            out[k], out.key_lines[k] = _tree(v, line), line
        return out
    if isinstance(data, list):
        out_list = YList(line)
        for v in data:
            out_list.append(_tree(v, line))
            out_list.item_lines.append(line)
        return out_list
    return data


@pytest.fixture(scope="module")
def fuzz_setup(tmp_path_factory):
    from cvquiz.bank.syllabus import load_syllabus
    from cvquiz.bank.yamltree import plain, read_tree
    from tests.bank.conftest import SYLLABUS

    folder = tmp_path_factory.mktemp("fuzz")
    (folder / "assignments" / "nms").mkdir(parents=True)
    good = plain(read_tree(write(folder / "good.yaml", GOOD_BANK)))
    return folder / "detection.yaml", good, load_syllabus(write(folder / "syllabus.yaml", SYLLABUS))


@settings(deadline=None)
@given(data=st.data())
def test_any_damage_to_a_good_bank_is_reported_not_raised(fuzz_setup, data):
    """The reader is fed the damaged tree directly (parsing YAML is ruamel's job, tested above)."""
    from unittest import mock

    bank, good, syllabus = fuzz_setup
    path = data.draw(st.sampled_from(list(_paths(good))))
    damaged = _replace(good, path, data.draw(_values))
    with mock.patch("cvquiz.bank.reader.read_tree", return_value=_tree(damaged)):
        try:
            load_bank_file(bank, syllabus)
        except BankError as exc:
            assert exc.problems and all(p.startswith(f"{bank}:1: ") for p in exc.problems)


@settings(deadline=None)
@given(data=st.data())
def test_any_damage_to_a_good_syllabus_is_reported_not_raised(fuzz_setup, data):
    from unittest import mock

    from cvquiz.bank.syllabus import load_syllabus
    from cvquiz.bank.yamltree import plain, read_tree
    from tests.bank.conftest import SYLLABUS

    bank, _, _ = fuzz_setup
    good = plain(read_tree(write(bank.parent / "syllabus.yaml", SYLLABUS)))
    path = data.draw(st.sampled_from(list(_paths(good))))
    damaged = _replace(good, path, data.draw(_values))
    with mock.patch("cvquiz.bank.syllabus.read_tree", return_value=_tree(damaged)):
        try:
            load_syllabus(bank.parent / "syllabus.yaml")
        except BankError as exc:
            assert exc.problems and all(p.startswith(f"{bank.parent / 'syllabus.yaml'}:1: ") for p in exc.problems)


def test_an_alias_names_one_concept_only(tmp_path):
    from cvquiz.bank.syllabus import load_syllabus
    from tests.bank.conftest import SYLLABUS

    path = write(tmp_path / "syllabus.yaml", SYLLABUS.replace("aliases: [ap, map]", "aliases: [ap, NMS]"))
    with pytest.raises(BankError) as info:
        load_syllabus(path)
    assert info.value.problems == [
        f"{path}:13: topics[0].concepts[1].aliases[1]: 'NMS' already names detection.nms; "
        "expected each alias to name one concept"]
