"""The registry: seeding, options, redraws, exact display, mistake filtering."""

from __future__ import annotations

import pytest
import sympy

from cvquiz.answers import DEFAULT_TOLERANCE
from cvquiz.errors import ProblemError
from cvquiz.problems.display import show
from cvquiz.problems.mistakes import distinct_mistakes
from cvquiz.problems.registry import (
    PUBLIC_SECRET, Draft, Redraw, Rng, derive_seed, get, make, option, parse_seed, problem, registry, unregister,
)
from cvquiz.text import Text


def test_a_derived_seed_depends_on_secret_student_question_and_attempt_and_is_hex():
    base = derive_seed(PUBLIC_SECRET, "s1", "q", 0)
    assert base == derive_seed(PUBLIC_SECRET, "s1", "q", 0)
    assert all(c in "0123456789abcdef" for c in base) and len(base) == 16
    others = {derive_seed(b"other", "s1", "q", 0), derive_seed(PUBLIC_SECRET, "s2", "q", 0),
              derive_seed(PUBLIC_SECRET, "s1", "q2", 0), derive_seed(PUBLIC_SECRET, "s1", "q", 1)}
    assert base not in others and len(others) == 4


def test_make_derives_the_seed_from_student_and_attempt_unless_a_seed_is_given():
    v = make("iou", student="s1", attempt=2)
    assert v.seed == derive_seed(PUBLIC_SECRET, "s1", "iou", 2)
    assert make("iou", "0x1F").seed == "1f" == make("iou", 31).seed


@pytest.mark.parametrize("bad", ["xyz", "", "-1", "1" * 65, -3], ids=repr)
def test_a_bad_seed_is_a_problem_error_naming_the_argument_not_a_flag(bad):
    with pytest.raises(ProblemError, match="^seed: expected"):
        parse_seed(bad)


def test_an_unknown_kind_suggests_the_closest_one():
    with pytest.raises(ProblemError, match="did you mean 'ap11'"):
        get("ap_11")
    with pytest.raises(ProblemError, match="cvquiz generate --list"):
        get("zzzzzz")


def test_options_are_checked_by_name_and_by_value():
    with pytest.raises(ProblemError, match="unknown option 'colour'"):
        make("iou", "1", colour="red")
    with pytest.raises(ProblemError, match="problem 'fid': option 'covariance'"):
        make("fid", "1", covariance="banded")
    assert option(Rng("1"), "k", "3", (2, 3)) == 3  # a typed number for an int option


def test_registry_holds_at_least_25_kinds_with_bilingual_titles_and_known_topics():
    generators = registry()
    assert len(generators) >= 25
    for g in generators.values():
        assert g.topic in ("points", "sequence", "attention", "detection", "generative")
        assert g.title.en and g.title.zh and g.version >= 1 and g.concepts


@pytest.fixture
def temporary_kind():
    names = []

    def register(name, fn):
        problem(name, topic="detection", concepts=("detection.nms",), version=1, title=Text("t", "t"))(fn)
        names.append(name)

    yield register
    for name in names:
        unregister(name)


def test_a_redraw_draws_again_from_the_same_stream_so_the_seed_still_fixes_the_result(temporary_kind):
    def odd_only(rng):
        n = rng.integer(0, 1000)
        if n % 2 == 0:
            raise Redraw
        return Draft(params={"n": n}, prompt=Text("p", "p"), answer=sympy.Integer(n), answer_kind="number",
                     solution=Text("s", "s"), hint=Text("h", "h"))

    temporary_kind("test_odd_only", odd_only)
    values = [make("test_odd_only", format(i, "x")).params["n"] for i in range(20)]
    assert all(n % 2 for n in values)
    assert values == [make("test_odd_only", format(i, "x")).params["n"] for i in range(20)]


def test_a_generator_that_always_redraws_is_a_clear_error(temporary_kind):
    def never(rng):
        raise Redraw

    temporary_kind("test_never", never)
    with pytest.raises(ProblemError, match="no valid variant after"):
        make("test_never", "1")


def test_registering_a_kind_twice_is_refused():
    with pytest.raises(ValueError, match="registered twice"):
        problem("iou", topic="detection", concepts=(), version=1, title=Text("x", "x"))(lambda rng: None)


@pytest.mark.parametrize("value,text", [
    (sympy.Rational(7, 20), "0.35"), (sympy.Rational(-1, 8), "-0.125"), (sympy.Integer(3), "3"),
    (sympy.Rational(3, 7), "3/7"), (sympy.sqrt(2) / 2, "√2/2"), (sympy.E, "e"),
    (sympy.Rational(1, 1000), "0.001"),
], ids=["decimal", "negative", "integer", "fraction", "surd", "e", "small"])
def test_show_writes_exact_numbers_as_a_person_does(value, text):
    assert show(value) == text


def test_distinct_mistakes_drop_values_equal_or_close_to_the_answer_or_to_each_other():
    fb = Text("f", "f")
    answer = sympy.Rational(1, 2)
    kept = distinct_mistakes(answer, DEFAULT_TOLERANCE, [
        (sympy.Rational(1, 2), fb),            # the answer itself
        (sympy.Rational(501, 1000), fb),        # within 2 % of it
        (sympy.Rational(3, 4), fb),             # kept
        (sympy.Rational(751, 1000), fb),        # within 2 % of an earlier mistake
        (sympy.log(-1), fb),                    # not a real number
        (None, fb),                             # not applicable here
        (sympy.Rational(1, 4), fb),             # kept
    ])
    assert [m.answer for m in kept] == [sympy.Rational(3, 4), sympy.Rational(1, 4)]
    assert [m.answer for m in distinct_mistakes([0, 2], None, [([2, 0], fb), ([0, 2], fb)])] == [[2, 0]]


def test_distinct_mistakes_compare_mappings_part_by_part_and_sets_as_sets():
    fb = Text("f", "f")
    answer = {"q": (2, 4, 8), "out": (4, 16)}
    kept = distinct_mistakes(answer, None, [({"q": (2, 4, 8), "out": (4, 16)}, fb),
                                            ({"q": (2, 8, 4), "out": (4, 16)}, fb)])
    assert [m.answer for m in kept] == [{"q": (2, 8, 4), "out": (4, 16)}]
    assert distinct_mistakes(frozenset({0, 2}), None, [({2, 0}, fb), ({0, 1}, fb)])[0].answer == {0, 1}
    assert distinct_mistakes(True, None, [(True, fb), (False, fb)])[0].answer is False


def test_the_registry_imports_no_generator_at_module_level_and_registers_every_topic_on_first_use():
    import ast
    from pathlib import Path

    import cvquiz.problems.registry as module

    tree = ast.parse(Path(module.__file__).read_text(encoding="utf-8"))
    top = [n for n in tree.body if isinstance(n, (ast.Import, ast.ImportFrom))]
    imported = {n.module for n in top if isinstance(n, ast.ImportFrom)}
    imported |= {a.name for n in top if isinstance(n, ast.Import) for a in n.names}
    assert not {m for m in imported if m and (m.startswith("cvquiz.problems") or m == "sympy")}
    assert {g.topic for g in registry().values()} == {"points", "sequence", "attention", "detection", "generative"}


def test_seeding_is_importable_without_sympy_or_any_generator():
    # The drill shuffles a bank question's choices before sympy has loaded (issue #17, start-up).
    import subprocess
    import sys

    code = ("import sys; from cvquiz.problems.registry import Rng, derive_seed; "
            "Rng(derive_seed(b's', 'a', 'q', 0)).shuffle([1, 2, 3]); "
            "print(sorted(m for m in sys.modules if m == 'sympy' or m.startswith('cvquiz.problems.')))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "['cvquiz.problems.registry']"


def test_unregister_removes_a_temporary_kind(temporary_kind):
    temporary_kind("test_gone", lambda rng: None)
    assert "test_gone" in registry()
    unregister("test_gone")
    assert "test_gone" not in registry()
    with pytest.raises(ProblemError, match="unknown problem kind 'test_gone'"):
        get("test_gone")
