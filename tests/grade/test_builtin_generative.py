"""The built-in `generative` assignment through `cvquiz check`: an honest submission gets full
marks, and a KL divergence written with log σ where log σ² belongs loses the KL tests (and the ELBO
tests built on it), with a message that names the log term."""

from __future__ import annotations

import pytest

from tests.grade.builtin import (assert_reference_signatures, check_json, failing, honest_dir, patched,
                                 private_course, write_submission)
from tests.grade.conftest import sandbox_flags

KL_WITH_LOG_SIGMA = [("torch.exp(logvar) - 1 - logvar, dim=-1)", "torch.exp(logvar) - 1 - logvar / 2, dim=-1)")]


@pytest.fixture(scope="module")
def course(tmp_path_factory):
    return private_course(tmp_path_factory.mktemp("course"))


def test_an_honest_generative_submission_gets_full_marks_hidden_tests_included(course):
    code, report = check_json(course, honest_dir("generative"), "generative", "--all", *sandbox_flags())
    assert failing(report) == {}
    assert code == 0
    assert report["total"] == report["max_score"] == 23


def test_kl_with_log_sigma_instead_of_log_sigma_squared_loses_the_kl_and_elbo_tests_naming_the_log_term(
        course, tmp_path):
    sub = write_submission(tmp_path / "kl_log_sigma", "generative", patched("generative", KL_WITH_LOG_SIGMA))
    code, report = check_json(course, sub, "generative")
    assert code == 1
    problems = failing(report)
    assert set(problems) == {"gaussian_kl/the-log-term-is-log-sigma-squared", "gaussian_kl/random",
                             "elbo/bernoulli", "elbo/gaussian"}
    assert {status for status, _ in problems.values()} == {"values"}
    message = problems["gaussian_kl/the-log-term-is-log-sigma-squared"][1]
    assert "got 1.23414, expected 0.984141" in message
    assert "the log term is log sigma^2 = logvar, not log sigma" in message


def test_the_generative_assignment_names_the_reference_functions_and_their_parameters():
    assert_reference_signatures("generative")


def test_a_ddpm_loss_that_feeds_x0_to_the_noise_model_instead_of_x_t_loses_the_ddpm_loss_tests(course, tmp_path):
    sub = write_submission(tmp_path / "ddpm_x0", "generative",
                           patched("generative", [("eps_model(x_t, t)", "eps_model(x0, t)")]))
    code, report = check_json(course, sub, "generative")
    assert code == 1
    problems = failing(report)
    assert set(problems) == {"ddpm_loss/one-step-per-example", "ddpm_loss/one-int-step-for-the-batch"}
    status, message = problems["ddpm_loss/one-step-per-example"]
    assert status == "values"
    assert "predicts the noise from the noised x_t" in message
    assert "eps_model = noise_models.make_eps_model(W=" in message
