"""Prompts as typst prose with inline math: the formula converter on real fragments of the banks,
literal text escaped, aligned blocks kept raw, and every prompt of the course compiling."""

from __future__ import annotations

import io
import random
import re
import unicodedata

import pypdf
import pytest

from cvquiz.bank import load_course_bank
from cvquiz.bank import schema as S
from cvquiz.course import find_course
from cvquiz.errors import ExamError
from cvquiz.exam.formula import formula_math
from cvquiz.exam.pdf import compile_pdf
from cvquiz.exam.render import typst_document
from cvquiz.exam.typeset import line_typst, prose_typst
from cvquiz.practice.items import item_from_question, item_from_variant
from cvquiz.problems.registry import make, registry

DATE = "2026-01-05"

#: (a line as the banks and generators write it, its typst markup); each fragment is from a real
#: prompt, some cut short.
FRAGMENTS = [
    pytest.param('A vanilla RNN computes h_t = tanh(x_t W_xh + h_(t−1) W_hh + b), with row vectors and weights [in, out] applied as x @ W.',
     'A vanilla RNN computes $h_(t) = tanh(x_(t) W_("xh") + h_(t−1) W_("hh") + b)$, with row vectors and weights \\[in, out\\] applied as $x class("binary", "@") W$.', id='rnn-step-with-matmul-operator'),
    pytest.param('In softmax(QKᵀ/√d_k)V you shuffle the rows of K and V.',
     'In $op("softmax")((Q K^(T))/(sqrt(d_(k)))) V$ you shuffle the rows of K and V.', id='softmax-fraction-and-root'),
    pytest.param('The decoder scores two encoder states: e_{t,1} = 3 and e_{t,2} = 1.',
     'The decoder scores two encoder states: $e_(t,1) = 3$ and $e_(t,2) = 1$.', id='braced-subscripts-with-commas'),
    pytest.param('h^{(1)} = W^{(1)} x and s_{t-1}',
     '$h^((1)) = W^((1)) x$ and $s_(t-1)$', id='parenthesised-superscripts'),
    pytest.param('How much memory (1 MiB = 2²⁰ bytes)?',
     'How much memory (1 MiB $= 2^(20)$ bytes)?', id='unicode-superscript-number'),
    pytest.param('A 3D convolution has a 3×3×3 kernel.',
     'A 3D convolution has a $3×3×3$ kernel.', id='times-between-numbers'),
    pytest.param('over the range x ∈ [1, 4), y ∈ [1, 3) (half-open)',
     'over the range $x ∈ [1, 4)$, $y ∈ [1, 3)$ (half\\-open)', id='half-open-intervals'),
    pytest.param('x has shape [8, 12, 16] and goes through nn.RNN(16, 32, batch_first=True).',
     'x has shape \\[8, 12, 16\\] and goes through nn.RNN(16, 32, batch\\_first\\=True).', id='code-stays-literal'),
    pytest.param("A voxel's index is ⌊(p − range_min) / voxel_size⌋ on each axis",
     "A voxel\\'s index is ⌊(p − range\\_min) \\/ voxel\\_size⌋ on each axis", id='unsure-floor-with-code-names'),
    pytest.param('y_i = γ_i · x_i / √(eps + (1/D) Σ_j x_j²)',
     '$y_(i) = γ_(i) · x_(i) \\/ sqrt("eps" + (1/D) Σ_(j) x_(j)^(2))$', id='rmsnorm-with-sum-and-root'),
    pytest.param('KL(q(z|x) ‖ N(0, I)) in nats',
     '$op("KL")(q(z|x) ‖ N(0, I))$ in nats', id='kl-with-double-bar'),
    pytest.param('D*(x) = p_data(x)/(p_data(x) + p_g(x))',
     '$D*(x) = (p_("data")(x))/(p_("data")(x) + p_(g)(x))$', id='fraction-of-function-calls'),
    pytest.param('Using KL = ½ Σ_j (μ_j² + σ_j² − 1 − log σ_j²)',
     'Using $op("KL") = ½ Σ_(j) (μ_(j)^(2) + σ_(j)^(2) − 1 − log σ_(j)^(2))$', id='vulgar-half-and-sum'),
    pytest.param('(Swish(XW_1) ⊙ XW_2)W_3 with W_1 of shape [D, H]',
     '$(op("Swish")(X W_(1)) ⊙ X W_(2)) W_(3)$ with $W_(1)$ of shape \\[D, H\\]', id='glued-capitals-before-scripts'),
    pytest.param('with N = 197 tokens, width d = 32 (unbatched)',
     'with $N = 197$ tokens, width $d = 32$ (unbatched)', id='relations-beside-one-letter-names'),
    pytest.param('(Answer: a vector, e.g. [0.25, -1.5]; exact.)',
     '(Answer: a vector, e.g. \\[0.25, \\-1.5\\]; exact.)', id='answer-format-line-stays-text'),
    pytest.param('List the picked indices, e.g. `0 1 2`.',
     'List the picked indices, e.g. #raw("0 1 2");.', id='inline-code-is-raw'),
    pytest.param("Along this sequence every tanh'(a) ≤ γ = 0.9.",
     "Along this sequence every $tanh'(a) ≤ γ = 0.9$.", id='prime-after-a-function'),
    pytest.param('|∂/∂a log(1 − σ(a))|',
     '$|(∂)/(∂a) log(1 − σ(a))|$', id='bars-around-a-derivative'),
    pytest.param('with a 3×3 kernel and max_norm = 5',
     'with a $3×3$ kernel and max\\_norm \\= 5', id='article-and-code-name-stay-text'),
    pytest.param('1. add the attention output',
     '1\\. add the attention output', id='numbered-line-start'),
    pytest.param('解码器的重建对数似然 E_q[log p(x|z)] = -69.7 nat。',
     '解码器的重建对数似然 $E_(q)[log p(x|z)] = -69.7$ nat。', id='chinese-around-a-formula'),
    pytest.param('p(x_i | x_<i) in one pass',
     'p(x\\_i | x\\_\\<i) in one pass', id='unreadable-subscript'),
    pytest.param('256 x 256 x 256 cells, P(real), 0.5 %',
     '256 x 256 x 256 cells, P(real), 0.5 %', id='plain-numbers-stay-text'),
    pytest.param('D(·) = P(real)',
     '$D(·) =$ P(real)', id='name-glued-to-an-open-bracket'),]


def pdf_text(source: str) -> str:
    """The text pypdf reads from the PDF of ``source``, with math letters folded to plain ones
    (NFKC), the minus sign as ``-`` and no whitespace."""
    pdf = compile_pdf(typst_document("t", DATE, source, None), DATE, None)
    text = "".join(page.extract_text() for page in pypdf.PdfReader(io.BytesIO(pdf)).pages)
    return "".join(unicodedata.normalize("NFKC", text).replace("−", "-").split())


@pytest.mark.parametrize("line, markup", FRAGMENTS)
def test_a_prompt_line_becomes_text_with_its_formulas_as_inline_math(line, markup):
    assert line_typst(line) == markup


@pytest.mark.parametrize("text", ["softmax(scores)", "batch_first=True", "x1 + y1", "(2, 3, 7)", "a / b /",
                                  "W_QKV [D × 3hd]", "x_", "nn.RNN(16)", "[1, 2"])
def test_what_the_converter_is_unsure_of_is_not_a_formula(text):
    assert formula_math(text) is None


def test_indented_rows_stay_an_aligned_raw_block_between_paragraphs():
    prompt = "A query q = [1, 2] attends to:\n  k_0 = [0, 1]\n  k_1 = [1, -1]\nGive α.\n\nSecond paragraph."
    assert prose_typst(prompt) == (
        "A query $q = [1, 2]$ attends to:\n"
        '#raw(block: true, "  k_0 = [0, 1]\\n  k_1 = [1, -1]")\n'
        "Give $α$.\n\nSecond paragraph.\n\n")


def test_markup_characters_in_literal_text_print_as_themselves():
    hostile = ["= not a heading", "- not a list", "+ not an enum", "/ not: a term", "12. not numbered",
               "// not a comment", "*not bold* _not emph_ $no math$", "#let x = 1 <label> @ref",
               "~ \\ [x] {y} 'q' \"d\" -- --- ...", "https://example.org/a_b"]
    text = pdf_text("".join(line_typst(line) + "\n\n" for line in hostile))
    for line in hostile:
        assert "".join(line.split()) in text


#: Pieces of prompt text, notation and markup that a fuzzed line is glued together from.
PIECES = ["x", "W", "√(", "√()", "√(1, 2)", "h", "t", "d", "k", "QK", "XW", "_", "^", "{", "}", "(", ")", "[", "]", "t-1", "√", "/", " ", " ",
          "=", "·", "×", "@", "α", "σ", "ᵀ", "²", "⁻¹", "ᵢ", "softmax", "log", "tanh", "KL", "1", "0.5", ",", ".", ":",
          ";", "|", "‖", "'", "`", "*", "#", "$", "\\", '"', "-", "−", "<", ">", "~", "…", "⌊", "⌋", "⌈", "学", "；",
          "（", "D", "eps", "_{", "}_", "^(", "max_norm", "nn.RNN", "x1", "the", "a", "½", "∂", "Σ", "∈", "≤", "->",
          "&", "%", "!", "+", "==", "**", "//", "/*", "@ref", "<lab>", "http://a.b/c", "ŷ", "ᾱ", "\n", "\n  ", "\t"]


@pytest.mark.parametrize("seeds", [pytest.param(range(1), id="1-document"),
                                   pytest.param(range(1, 41), id="40-documents", marks=pytest.mark.slow)])
def test_any_text_glued_from_notation_and_markup_pieces_compiles(seeds):
    for seed in seeds:
        rng = random.Random(seed)
        texts = ["".join(rng.choice(PIECES) for _ in range(rng.randint(1, 14))) for _ in range(1500)]
        try:
            compile_pdf(typst_document("fuzz", DATE, "".join(map(prose_typst, texts)), None), DATE, None)
        except ExamError:
            bad = []
            for text in texts:
                try:
                    compile_pdf(typst_document("fuzz", DATE, prose_typst(text), None), DATE, None)
                except ExamError as exc:
                    bad.append((text, prose_typst(text), str(exc)))
            pytest.fail(f"seed {seed}: {bad[:3]}")


def _every_prompt() -> list[tuple[str, object, tuple]]:
    bank = load_course_bank(find_course(None))
    out = []
    for q in bank.questions.values():
        if q.kind == "code":
            continue
        if isinstance(q, S.GeneratedQuestion):
            for seed in range(3):
                item = item_from_variant(q, make(q.generator, seed, **dict(q.options)))
                out.append((f"{q.id} seed {seed}", item.prompt, item.choices))
        else:
            item = item_from_question(q)
            out.append((q.id, item.prompt, item.choices))
    for kind in sorted(registry()):
        for seed in range(3):
            out.append((f"{kind} seed {seed}", make(kind, seed).prompt, ()))
    return out


def test_every_prompt_of_every_bank_question_and_generator_compiles_in_one_document():
    prompts = _every_prompt()
    body = []
    for _, prompt, choices in prompts:
        for lang in ("en", "zh"):
            body.append(prose_typst(prompt.get(lang)))
            body.extend(line_typst(c.get(lang)) + "\n\n" for c in choices)
    source = "".join(body)
    pdf = compile_pdf(typst_document("every prompt", DATE, source, None), DATE, None)
    assert pdf[:5] == b"%PDF-"
    assert len(re.findall(r"\$[^$]+\$", source)) > 1000, "formulas are typeset, not left as text"


def test_the_numbers_of_a_typeset_prompt_survive_into_the_pdf_text():
    variant = make("attention_shapes", 3)
    text = pdf_text(prose_typst(variant.prompt.en))
    pairs = re.findall(r"\b([A-Za-z]) = (\d+)", variant.prompt.en)
    assert pairs
    for name, value in pairs:
        assert f"{name}={value}" in text
