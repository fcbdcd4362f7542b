"""Generative generators over many seeds: sound variants whose exact answers match reference/generative.py."""

from __future__ import annotations


import pytest
import torch

from cvquiz.problems.registry import make
from tests.problems.variant_checks import close as variant_close, SEED_COUNTS, assert_variant_is_sound, float_of, seeds

F64 = torch.float64


def t(values):
    return torch.tensor(values, dtype=F64)


def logit(p):
    p = t(p)
    return torch.log(p / (1 - p))


def reference_gaussian_kl(ref, p):
    return ref.generative.gaussian_kl(t([p["mu"]]), 2 * torch.log(t([p["sigma"]])))[0]


def reference_elbo(ref, p):
    return p["recon_log_likelihood"] - reference_gaussian_kl(ref, p)


def reference_gan_losses(ref, p):
    real, fake = logit(p["d_real"]), logit(p["d_fake"])
    if p["loss"] == "discriminator":
        return ref.generative.discriminator_loss(real, fake)
    return getattr(ref.generative, f"generator_loss_{p['loss'].split('_')[1]}")(fake)


def reference_nonsaturating_grad(ref, p):
    if p["wrt"] == "logit":
        grads = []
        for loss in (ref.generative.generator_loss_minimax, ref.generative.generator_loss_nonsaturating):
            a = logit([p["d_fake"]]).requires_grad_()
            loss(a).backward()
            grads.append(abs(float(a.grad[0])))
        return grads
    grads = []
    for loss in (lambda d: torch.log(1 - d), lambda d: -torch.log(d)):
        d = t(p["d_fake"]).requires_grad_()
        loss(d).backward()
        grads.append(abs(float(d.grad)))
    return grads


def reference_fid(ref, p):
    return ref.generative.frechet_distance(t(p["mu1"]), t(p["sigma1"]), t(p["mu2"]), t(p["sigma2"]))


def reference_ddpm_alpha_bar(ref, p):
    return ref.generative.alpha_bar(t([0.0, *p["betas"]]))[p["t"]]


def reference_q_sample(ref, p):
    schedule = t([1.0, p["alpha_bar"]])
    return ref.generative.q_sample(t([p["x0"]]), 1, t([p["noise"]]), schedule)[0].tolist()


def reference_reparameterize(ref, p):
    logvar = 2 * torch.log(t([p["sigma"]])) if p["given"] == "sigma" else t([p["logvar"]])
    return ref.generative.reparameterize(t([p["mu"]]), logvar, t([p["noise"]]))[0].tolist()


REFERENCES = {
    "gaussian_kl": reference_gaussian_kl, "elbo": reference_elbo, "gan_losses": reference_gan_losses,
    "nonsaturating_grad": reference_nonsaturating_grad, "fid": reference_fid,
    "ddpm_alpha_bar": reference_ddpm_alpha_bar, "q_sample": reference_q_sample,
    "reparameterize": reference_reparameterize,
}



def close(a, b, rel=1e-9):
    return variant_close(a, b, rel, abs_tol=1e-9)


@pytest.mark.parametrize("n", SEED_COUNTS)
@pytest.mark.parametrize("kind", sorted(REFERENCES))
def test_every_variant_is_sound_and_its_exact_answer_matches_the_reference(kind, n, ref):
    for seed in seeds(n):
        v = assert_variant_is_sound(kind, seed)
        expected = REFERENCES[kind](ref, v.params)
        got = float_of(v.answer)
        assert close(got, expected if isinstance(expected, list) else float(expected)), \
            f"{kind} seed {seed}: exact {got} != reference {expected}"


def test_elbo_is_the_reconstruction_minus_the_kl_and_lists_the_loss_as_a_mistake():
    for seed in seeds(30):
        v = make("elbo", seed)
        assert float(v.answer) < v.params["recon_log_likelihood"]  # the KL is positive
        assert any(m.answer == -v.answer for m in v.mistakes), "the loss −ELBO should be a listed mistake"


@pytest.mark.parametrize("covariance", ["diagonal", "full"])
def test_fid_answers_are_exact_sympy_numbers_with_nonsingular_covariances(covariance):
    import sympy

    for seed in seeds(30):
        v = make("fid", seed, covariance=covariance)
        assert v.params["covariance"] == covariance
        assert isinstance(v.answer, sympy.Expr) and not v.answer.free_symbols
        for name in ("sigma1", "sigma2"):
            assert sympy.Matrix(v.params[name]).det() > 0


def test_the_non_saturating_gradient_is_the_stronger_one_at_small_d():
    for seed in seeds(20):
        v = make("nonsaturating_grad", seed)
        saturating, nonsaturating = v.answer
        assert nonsaturating > saturating
