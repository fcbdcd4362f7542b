"""Parsing what a person types: accepted forms, malformed input, hostile input, fuzzing."""

from __future__ import annotations

import ast
import subprocess
import sys
import time
from pathlib import Path

import pytest
import sympy
from hypothesis import given
from hypothesis import strategies as st

from cvquiz.answers.parse import (
    BOOL_FORMAT,
    INDICES_FORMAT,
    NUMBER_FORMAT,
    SHAPE_FORMAT,
    VECTOR_FORMAT,
    AnswerFormatError,
    normalize,
    parse_answer,
    parse_bool,
    parse_expression,
    parse_indices,
    parse_labels,
    parse_number,
    parse_set,
    parse_shape,
    parse_vector,
)

ROOT = Path(__file__).resolve().parents[2]
R = sympy.Rational
KINDS = ["number", "expression", "shape", "indices", "set", "vector", "choice", "multi", "truefalse"]

# ------------------------------------------------------------------ numbers

ACCEPTED_NUMBERS = [
    ("0.4286", R(2143, 5000)),
    ("3/7", R(3, 7)),
    ("42.86%", R(2143, 5000)),
    ("42.86 %", R(2143, 5000)),
    ("3/7%", R(3, 700)),
    ("4.286e-1", R(2143, 5000)),
    ("4.286E-1", R(2143, 5000)),
    ("4.286×10⁻¹", R(2143, 5000)),
    ("4.286*10^-1", R(2143, 5000)),
    ("sqrt(2)/2", sympy.sqrt(2) / 2),
    ("√2/2", sympy.sqrt(2) / 2),
    ("√(2)/2", sympy.sqrt(2) / 2),
    ("√√16", sympy.Integer(2)),
    ("sqrt 2", sympy.sqrt(2)),
    ("exp(-1)", sympy.exp(-1)),
    ("e^-1", sympy.exp(-1)),
    ("pi/4", sympy.pi / 4),
    ("π/4", sympy.pi / 4),
    ("2π", 2 * sympy.pi),
    ("2 pi", 2 * sympy.pi),
    ("PI/4", sympy.pi / 4),
    ("ln(2)", sympy.log(2)),
    ("ln2", sympy.log(2)),
    ("log(8, 2)", sympy.Integer(3)),
    ("2^3", sympy.Integer(8)),
    ("2**3", sympy.Integer(8)),
    ("2²", sympy.Integer(4)),
    ("-1.5", R(-3, 2)),
    ("--1.5", R(3, 2)),
    (".5", R(1, 2)),
    ("5.", sympy.Integer(5)),
    ("007", sympy.Integer(7)),
    ("1e-5", R(1, 100000)),
    ("2(3+1)", sympy.Integer(8)),
    ("sigmoid(0)", R(1, 2)),
    ("max(0, -2)", sympy.Integer(0)),
    ("abs(-3/4)", R(3, 4)),
    ("acos(1/2)", sympy.pi / 3),
    ("= 0.43", R(43, 100)),
    ("≈0.43", R(43, 100)),
    ("  0.43  ", R(43, 100)),
    # the same typed with a Chinese input method
    ("０．４３", R(43, 100)),
    ("３／７", R(3, 7)),
    ("４２．８６％", R(2143, 5000)),
    ("－１．５", R(-3, 2)),
    ("（１＋２）／７", R(3, 7)),
    ("２×３", sympy.Integer(6)),
    ("２＾３", sympy.Integer(8)),
    ("０。４３", R(43, 100)),
    ("0.43。", R(43, 100)),
    ("√２／２", sympy.sqrt(2) / 2),
    ("\u30000.43\u3000", R(43, 100)),
    ("3 − 1", sympy.Integer(2)),
]


@pytest.mark.parametrize("text, value", ACCEPTED_NUMBERS, ids=[t for t, _ in ACCEPTED_NUMBERS])
def test_a_number_typed_in_any_accepted_form_parses_to_its_exact_value(text, value):
    got = parse_number(text)
    assert sympy.simplify(got - value) == 0, (text, got)


def test_a_typed_decimal_becomes_an_exact_rational_not_a_float():
    assert parse_number("0.1") == R(1, 10)
    assert isinstance(parse_number("0.1"), sympy.Rational)


MALFORMED_NUMBERS = [
    "", "   ", "abc", "0.43.2", "2 3", "1,5", "1,00", "3/", "*3", "(1+2", "1+2)", "[0.5]", "0.5, 0.3",
    "50%*2", "%5", "x", "1/0", "0^-1", "sqrt(-1)", "log(0)", "log(-2)", "asin(2)", "(-8)^(1/3)",
    "tan(pi/2)", "sqrt()", "sqrt(1, 2)", "ln", "√", "3/7 ≈ 0.4286", "0.43 m", "一半", "0.4３3 kg",
    "1 // 2", "7 % 2", "2 < 3", "a = 1", "'0.5'", "{1}", "inf", "nan", "i", "_n0", "x_1",
]


@pytest.mark.parametrize("text", MALFORMED_NUMBERS)
def test_a_malformed_number_is_refused_saying_what_format_is_expected(text):
    with pytest.raises(AnswerFormatError) as info:
        parse_number(text)
    assert info.value.expected == NUMBER_FORMAT
    assert "0.43" in info.value.message.en and "3/7" in info.value.message.en
    assert "3/7" in info.value.message.zh and "应输入" in info.value.message.zh


def test_the_refusal_names_what_was_wrong():
    with pytest.raises(AnswerFormatError) as info:
        parse_number("sqrt(2)/foo")
    assert "'foo'" in info.value.message.en and "'foo'" in info.value.message.zh


# ------------------------------------------------------------------ hostile input

HOSTILE = [
    pytest.param("9**9**9**9", id="power-tower"),
    pytest.param("10**100000", id="huge-power"),
    pytest.param("(10**999)**999", id="huge-power-of-power"),
    pytest.param("1e100000", id="huge-literal"),
    pytest.param("1.0001**10000", id="huge-exact-rational"),
    pytest.param("exp(exp(exp(10)))", id="huge-exp"),
    pytest.param("e^(e^(e^10))", id="huge-exp-power"),
    pytest.param("(10**300+7)**(1/3)", id="root-of-long-integer"),
    pytest.param("9" * 150 + "**" + "9" * 40, id="long-base-long-exponent"),
    pytest.param("1" * 10**6, id="1MB-of-digits"),
    pytest.param("(" * 10**6, id="1MB-of-brackets"),
    pytest.param("(" * 1000 + "1" + ")" * 1000, id="1000-nested-brackets"),
    pytest.param("(" * 60 + "1" + ")" * 60, id="60-nested-brackets"),
    pytest.param("-" * 190 + "1", id="deep-unary-chain"),
    pytest.param("√" * 190 + "2", id="deep-root-chain"),
    pytest.param("__import__('os').system('true')", id="import"),
    pytest.param("().__class__.__bases__[0].__subclasses__()", id="dunder-walk"),
    pytest.param("sqrt.__globals__", id="attribute"),
    pytest.param("(2).real", id="attribute-of-number"),
    pytest.param("lambda: 0", id="lambda"),
    pytest.param("[x for x in (1,2)]", id="list-comprehension"),
    pytest.param("{x: 1 for x in (1,)}", id="dict-comprehension"),
    pytest.param("(x for x in (1,))", id="generator"),
    pytest.param("eval('1')", id="eval"),
    pytest.param("open('/etc/passwd')", id="open"),
    pytest.param("sqrt(2) if 1 else 0", id="conditional"),
    pytest.param("f'{1}'", id="f-string"),
    pytest.param("sqrt(*[2])", id="star-args"),
    pytest.param("log(x=2)", id="keyword-args"),
    pytest.param("(a := 1)", id="walrus"),
    pytest.param("1;2", id="statements"),
    pytest.param("\x00", id="nul"),
    pytest.param("sin(10**999)", id="trig-of-huge"),
]


@pytest.mark.parametrize("kind", ["number", "expression", "vector", "shape"])
@pytest.mark.parametrize("text", HOSTILE)
def test_hostile_input_is_refused_at_once(kind, text):
    start = time.monotonic()
    with pytest.raises(AnswerFormatError):
        parse_answer(kind, text, symbols=("x",) if kind == "expression" else ())
    assert time.monotonic() - start < 2.0  # loose: the machine is shared


@pytest.mark.parametrize("module", ["arith.py", "parse.py"])
def test_the_parser_never_calls_eval_sympify_or_parse_expr(module):
    tree = ast.parse((ROOT / "cvquiz" / "answers" / module).read_text(encoding="utf-8"))
    calls = [node.func for node in ast.walk(tree) if isinstance(node, ast.Call)]
    names = {f.id for f in calls if isinstance(f, ast.Name)}
    attributes = {f.attr for f in calls if isinstance(f, ast.Attribute)}
    assert not names & {"eval", "exec", "compile", "sympify", "parse_expr", "S", "__import__"}
    assert not attributes & {"eval", "sympify", "parse_expr", "S", "literal_eval"}
    assert "re" in {f.value.id for f in calls if isinstance(f, ast.Attribute) and isinstance(f.value, ast.Name)}


def test_importing_the_checker_does_not_import_torch():
    code = "import sys, cvquiz.answers.check, cvquiz.answers.parse, cvquiz.answers.arith; print('torch' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "False"


# ------------------------------------------------------------------ normalize

NORMALIZED = [
    ("０．４３", "0.43"), ("３／７", "3/7"), ("（２，８）", "(2,8)"), ("［０，２］", "[0,2]"), ("【0、2】", "[0,2]"),
    ("2×8", "2*8"), ("４２％", "42%"), ("－１", "-1"), ("10⁻³", "10^(-3)"), ("2π", "2pi"), ("  x  ", "x"),
    ("0.43。", "0.43"), ("a÷b", "a/b"), ("2·3", "2*3"),
]


@pytest.mark.parametrize("text, ascii_text", NORMALIZED, ids=[t for t, _ in NORMALIZED])
def test_normalize_turns_full_width_and_math_signs_into_ascii(text, ascii_text):
    assert normalize(text) == ascii_text


# ------------------------------------------------------------------ expressions

@pytest.mark.parametrize("text, value", [
    ("2*N*d_k", "2*N*d_k"), ("2N d_k", "2*N*d_k"), ("N^2 d_k", "N**2*d_k"), ("N(N+1)", "N*(N+1)"),
    ("sqrt(d_k)", "sqrt(d_k)"), ("√d_k", "sqrt(d_k)"), ("N²", "N**2"), ("２Ｎ", "2*N"), ("exp(-T)", "exp(-T)"),
])
def test_an_expression_in_the_named_symbols_parses(text, value):
    names = ("N", "d_k", "T")
    local = {n: sympy.Symbol(n, positive=True) for n in names}
    expected = eval(value, {"sqrt": sympy.sqrt, "exp": sympy.exp}, local)  # trusted test literal
    assert sympy.simplify(parse_expression(text, names) - expected) == 0


def test_a_keyword_can_be_a_symbol_name():
    lam = parse_expression("2*lambda", ["lambda"])
    assert lam == 2 * sympy.Symbol("lambda", positive=True)


def test_an_unknown_name_in_an_expression_is_refused_with_the_symbols_listed():
    with pytest.raises(AnswerFormatError) as info:
        parse_expression("2*N*d", ["N", "d_k"])
    assert "'d'" in info.value.message.en
    assert "N, d_k" in info.value.message.en and "N, d_k" in info.value.message.zh


def test_a_bad_symbol_name_is_a_programming_error():
    with pytest.raises(ValueError, match="symbols"):
        parse_expression("x", ["x y"])


# ------------------------------------------------------------------ shapes, indices, sets, vectors

SHAPES = [
    ("[2, 8, 64, 64]", (2, 8, 64, 64)), ("(2,8,64,64)", (2, 8, 64, 64)), ("2x8x64x64", (2, 8, 64, 64)),
    ("2 x 8 X 64", (2, 8, 64)), ("2×8×64×64", (2, 8, 64, 64)), ("２×８×６４×６４", (2, 8, 64, 64)),
    ("［２，８，６４］", (2, 8, 64)), ("（２，８）", (2, 8)), ("[2 8 64]", (2, 8, 64)), ("torch.Size([2, 8])", (2, 8)),
    ("[4, 3*64]", (4, 192)), ("(64,)", (64,)), ("64", (64,)), ("[]", ()), ("2*8", (2, 8)),
]


@pytest.mark.parametrize("text, shape", SHAPES, ids=[t for t, _ in SHAPES])
def test_a_shape_parses_from_brackets_commas_or_x(text, shape):
    assert parse_shape(text) == shape


@pytest.mark.parametrize("text", ["[2, -8]", "[2.5, 8]", "[2, x]", "2x", "[[2, 8]]", "[2,,8]", "[,]", "2x8y", "shape"])
def test_a_malformed_shape_is_refused(text):
    with pytest.raises(AnswerFormatError) as info:
        parse_shape(text)
    assert info.value.expected == SHAPE_FORMAT


INDICES = [
    ("0 2 5", [0, 2, 5]), ("[0, 2, 5]", [0, 2, 5]), ("0,2,5", [0, 2, 5]), ("5 0 2", [5, 0, 2]),
    ("０，２，５", [0, 2, 5]), ("0、2、5", [0, 2, 5]), ("［０， ２， ５］", [0, 2, 5]), ("(3)", [3]),
    ("[]", []), ("none", []), ("无", []),
]


@pytest.mark.parametrize("text, indices", INDICES, ids=[t for t, _ in INDICES])
def test_an_index_list_keeps_the_typed_order(text, indices):
    assert parse_indices(text) == indices


@pytest.mark.parametrize("text", ["", "0 2.5", "a b", "[0, [2]]", "0-2", "0 2 5%"])
def test_a_malformed_index_list_is_refused(text):
    with pytest.raises(AnswerFormatError) as info:
        parse_indices(text)
    assert info.value.expected == INDICES_FORMAT


def test_a_set_ignores_order_and_accepts_braces():
    assert parse_set("{5, 0, 2}") == parse_set("0 2 5") == frozenset({0, 2, 5})


VECTORS = [
    ("[0.5, 1/3, -2]", [R(1, 2), R(1, 3), -2]), ("0.5, 1/3, -2", [R(1, 2), R(1, 3), -2]),
    ("[0.5 0.25 -2.]", [R(1, 2), R(1, 4), -2]), ("（０．５，１／３）", [R(1, 2), R(1, 3)]),
    ("[sqrt(2)/2, log(8, 2)]", [sympy.sqrt(2) / 2, 3]), ("[50%, 25%]", [R(1, 2), R(1, 4)]), ("[]", []),
]


@pytest.mark.parametrize("text, vector", VECTORS, ids=[t for t, _ in VECTORS])
def test_a_vector_parses_each_entry_exactly(text, vector):
    assert parse_vector(text) == vector


@pytest.mark.parametrize("text", ["[0.5, ]", "[0.5, x]", "[[1, 2], [3, 4]]", "[1/0]", "0.5 - 2"])
def test_a_malformed_vector_is_refused(text):
    with pytest.raises(AnswerFormatError) as info:
        parse_vector(text)
    assert info.value.expected == VECTOR_FORMAT


# ------------------------------------------------------------------ labels and true/false

@pytest.mark.parametrize("text, labels", [
    ("A", [0]), ("b", [1]), ("2", [1]), ("A, C", [0, 2]), ("AC", [0, 2]), ("1 3", [0, 2]), ("A和C", [0, 2]),
    ("Ａ，Ｃ", [0, 2]), ("C A", [2, 0]), ("A A", [0]), ("(B)", [1]), ("B.", [1]), ("A and D", [0, 3]),
])
def test_choice_labels_become_zero_based_indices(text, labels):
    assert parse_labels(text, 4) == labels


@pytest.mark.parametrize("text", ["E", "5", "0", "", "?", "A-C"])
def test_a_label_beyond_the_choices_is_refused(text):
    with pytest.raises(AnswerFormatError) as info:
        parse_labels(text, 4)
    assert "D" in info.value.message.en


def test_a_single_choice_refuses_two_labels():
    assert parse_answer("choice", "c", n_choices=3) == 2
    with pytest.raises(AnswerFormatError, match="exactly one"):
        parse_answer("choice", "A, B", n_choices=3)


@pytest.mark.parametrize("text, value", [
    ("true", True), ("T", True), ("yes", True), ("y", True), ("对", True), ("是", True), ("正确", True), ("√", True),
    ("false", False), ("F", False), ("no", False), ("错", False), ("否", False), ("错误", False), ("×", False),
    ("ｔｒｕｅ", True), (" 对。", True),
])
def test_true_or_false_in_english_chinese_or_signs(text, value):
    assert parse_bool(text) is value


def test_something_else_is_not_true_or_false():
    with pytest.raises(AnswerFormatError) as info:
        parse_bool("maybe")
    assert info.value.expected == BOOL_FORMAT


def test_a_mapping_or_unknown_kind_is_a_programming_error():
    with pytest.raises(ValueError, match="kind"):
        parse_answer("mapping", "1")
    with pytest.raises(ValueError, match="kind"):
        parse_answer("fraction", "1")


# ------------------------------------------------------------------ fuzzing

FULL_WIDTH = "０１２３４５６７８９．／，（）［］％－＋×÷√π⁻²³、。【】ｘＸ　"
TYPED_TEXT = st.text(alphabet=st.characters(codec="utf-8") | st.sampled_from(list(FULL_WIDTH + "0123456789.+-*/^%()[], ex")),
                     max_size=80)
NUMBERISH = st.from_regex(
    r"\A[ ]?[-+－]?(\d{1,6}|[０-９]{1,4})([.．]\d{0,6})?([eE][-+]?\d{1,4})?[ ]?([%％]|[*/^×／][ ]?\(?[-+]?\d{1,4}\)?)?\Z")
EXPRESSIONISH = st.from_regex(
    r"\A(sqrt|exp|ln|log|sin|cos|tan|√|)\(?[-+]?(\d{1,3}|pi|π|e|N|d_k)(\^|\*\*|/|\*)?\d{0,4}\)?([ ,x×]\d{1,3}){0,4}\Z")


def _parse_quietly(kind, text):
    start = time.monotonic()
    try:
        parse_answer(kind, text, symbols=("N", "d_k"), n_choices=4)
    except AnswerFormatError:
        pass
    assert time.monotonic() - start < 2.0


@pytest.mark.parametrize("kind", KINDS)
@given(text=TYPED_TEXT)
def test_random_text_is_parsed_or_refused_never_crashing(kind, text):
    _parse_quietly(kind, text)


@pytest.mark.parametrize("kind", KINDS)
@given(text=NUMBERISH | EXPRESSIONISH)
def test_number_like_text_is_parsed_or_refused_never_crashing(kind, text):
    _parse_quietly(kind, text)


@given(text=NUMBERISH)
def test_a_parsed_number_is_finite_and_real(text):
    try:
        value = parse_number(text)
    except AnswerFormatError:
        return
    assert value.is_real and value.is_finite
