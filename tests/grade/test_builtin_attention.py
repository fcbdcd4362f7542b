"""The built-in `attention` assignment through `cvquiz check`: an honest submission gets full
marks, and attention without the √d_k scale loses exactly the scaled tests, with a message that
names the scale."""

from __future__ import annotations

import pytest

from tests.grade.builtin import (assert_reference_signatures, check_json, failing, honest_dir, patched,
                                 private_course, write_submission)
from tests.grade.conftest import sandbox_flags

NO_SCALE = [("scores = query @ key.transpose(-1, -2) / math.sqrt(d)", "scores = query @ key.transpose(-1, -2)")]


@pytest.fixture(scope="module")
def course(tmp_path_factory):
    return private_course(tmp_path_factory.mktemp("course"))


def test_an_honest_attention_submission_gets_full_marks_hidden_tests_included(course):
    code, report = check_json(course, honest_dir("attention"), "attention", "--all", *sandbox_flags())
    assert failing(report) == {}
    assert code == 0
    assert report["total"] == report["max_score"] == 23


def test_attention_without_the_sqrt_dk_scale_loses_the_scaled_tests_and_the_message_names_the_scale(
        course, tmp_path):
    sub = write_submission(tmp_path / "no_scale", "attention", patched("attention", NO_SCALE))
    code, report = check_json(course, sub, "attention")
    assert code == 1
    problems = failing(report)
    assert set(problems) == {
        "attention_weights/divided-by-sqrt-d", "attention_weights/random-causal",
        "scaled_dot_product_attention/divided-by-sqrt-d", "scaled_dot_product_attention/random",
        "scaled_dot_product_attention/causal-hides-the-future",
        "scaled_dot_product_attention/a-fully-masked-query-gives-zeros",
        "multi_head_attention/self-attention", "multi_head_attention/cross-attention-causal-with-biases",
        # the Transformer blocks are built from multi_head_attention
        "transformer_block/post-norm", "transformer_block/pre-norm-causal-with-biases", "prenorm_block/pre-norm",
    }
    assert {status for status, _ in problems.values()} == {"values"}
    status, message = problems["scaled_dot_product_attention/divided-by-sqrt-d"]
    assert "got 0.531689, expected 0.577681" in message
    assert "divided by sqrt(d_k) = 2 before the softmax" in message
    assert "divides its scores by sqrt(d), d being the width of one head" in problems["multi_head_attention/self-attention"][1]


NO_RENORMALISE = [("gates = top / top.sum(dim=-1, keepdim=True)", "gates = top")]


def test_moe_that_does_not_renormalise_the_top_k_gates_loses_the_top_k_tests_but_not_switch_routing(course, tmp_path):
    sub = write_submission(tmp_path / "no_renorm", "attention", patched("attention", NO_RENORMALISE))
    code, report = check_json(course, sub, "attention", "--all", *sandbox_flags())
    assert code == 1
    problems = failing(report)
    # With k = 1 the renormalised gate is 1 and the raw probability is not, so switch routing fails too;
    # the message names the element that differs and the test's stated convention.
    assert set(problems) == {"moe/top-2-of-4-gates-renormalised", "moe/top-1-switch-routing",
                             "moe/top-3-of-8-float64"}
    status, message = problems["moe/top-2-of-4-gates-renormalised"]
    assert status == "values"
    assert "renormalised to sum to 1" in message
    assert "experts.make_experts(W1=" in message


PRENORM_RESIDUAL_FROM_THE_NORM = [("x = x + attn(norm(x, 1))", "x = norm(x, 1) + attn(norm(x, 1))")]


def test_a_pre_norm_block_whose_residual_starts_from_the_normalised_input_loses_the_pre_norm_tests(course, tmp_path):
    sub = write_submission(tmp_path / "prenorm", "attention", patched("attention", PRENORM_RESIDUAL_FROM_THE_NORM))
    code, report = check_json(course, sub, "attention", "--all", *sandbox_flags())
    assert code == 1
    problems = failing(report)
    assert set(problems) == {"transformer_block/pre-norm-causal-with-biases", "prenorm_block/pre-norm",
                             "prenorm_block/pre-norm-float64-causal"}
    status, message = problems["transformer_block/pre-norm-causal-with-biases"]
    assert status == "values"
    assert "x = x + sublayer(LN(x))" in message
    assert "params = {'W_q': <tensor of shape (8, 8), float32>" in message


def test_the_attention_assignment_names_the_reference_functions_and_their_parameters():
    assert_reference_signatures("attention")
