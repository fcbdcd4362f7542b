"""The one pretty-printer: worked solutions and shown answers read as mathematics."""

from __future__ import annotations

import re

import pytest
import sympy

from cvquiz.answers import Tolerance
from cvquiz.answers.check import check_answer
from cvquiz.practice.items import parts_of
from cvquiz.problems.display import answer_text, pretty
from cvquiz.problems.export import shown_answer
from cvquiz.problems.registry import make, registry
from tests.problems.variant_checks import seeds

s, d = sympy.symbols("s d")
CODE = re.compile(r"\*|sqrt\(")


@pytest.mark.parametrize("value, text", [
    (23 - 2 * sympy.sqrt(11) - 2 * sympy.sqrt(7), "23 − 2√11 − 2√7"),
    ((s - d) / (s + d), "(s − d)/(s + d)"),
    ((s - d) / (2 * s), "(s − d)/(2s)"),
    (sympy.Rational(469, 200) - sympy.log(sympy.Rational(36, 25)) / 2, "2.345 − ln(1.44)/2"),
    (sympy.sqrt(2) / 2, "√2/2"),
    (sympy.sqrt(sympy.sqrt(13) / 10 + sympy.Rational(19, 50)), "√(0.38 + √13/10)"),
    (sympy.Pow(sympy.Rational(3, 5) * sympy.sqrt(2), 29, evaluate=False), "(3√2/5)²⁹"),
    (sympy.exp(sympy.Rational(-1, 2)), "e^(−0.5)"),
    (sympy.E, "e"),
    (sympy.Rational(-3, 7), "−3/7"),
    (-sympy.Rational(23129, 200) + sympy.log(sympy.Rational(36, 25)) / 2, "−115.645 + ln(1.44)/2"),
    (sympy.sqrt(2) * sympy.log(3), "√2·ln(3)"),
    ((s + 1) * (s - 1), "(1 + s)(s − 1)"),
], ids=["surds", "ratio", "over-a-product", "kl", "half-root-2", "nested-root", "power", "exp", "e", "fraction",
        "elbo", "root-times-log", "product-of-sums"])
def test_pretty_writes_mathematics_not_code(value, text):
    assert pretty(value) == text


@pytest.mark.parametrize("kind", sorted(registry()))
def test_no_solution_or_shown_answer_contains_code_notation(kind):
    for seed in seeds(8):
        v = make(kind, seed)
        for lang in ("en", "zh"):
            for name, text in (("solution", v.solution.get(lang)), ("answer", shown_answer(v))):
                found = CODE.search(text)
                assert found is None, f"{kind} seed {seed} {lang} {name}: {found.group()!r} in {text!r}"


@pytest.mark.parametrize("kind", sorted(registry()))
def test_a_shown_exact_answer_types_back_to_itself(kind):
    """Except for superscript powers, what pretty writes the checker reads back exactly."""
    for seed in seeds(8):
        for part in parts_of(make(kind, seed)):
            if part.kind != "number" or not isinstance(part.expected, sympy.Expr):
                continue
            text = pretty(part.expected)
            if re.search("[⁰¹²³⁴⁵⁶⁷⁸⁹]", text):
                continue
            assert check_answer("number", part.expected, text).correct, f"{kind} seed {seed}: {text!r}"


def test_a_shown_approximation_passes_its_own_tolerance():
    """−115.463 with ±0.05 must not be shown as −115.5."""
    x = sympy.Rational(-23129, 200) + sympy.log(sympy.Rational(36, 25)) / 2
    shown = answer_text("number", x, Tolerance(abs=0.05)).split("≈ ")[1]
    assert shown == "-115.463"
    assert check_answer("number", x, shown, tolerance=Tolerance(abs=0.05)).correct
