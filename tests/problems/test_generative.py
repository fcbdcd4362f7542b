"""Generative generators: the oracles the generator contract (test_contract.py) checks them against, and
topic properties (the ELBO asks the KL apart, FID stays exact, the non-saturating gradient is the stronger)."""

from __future__ import annotations

import pytest
import sympy
import torch

from cvquiz.problems.registry import make
from tests.problems.variant_checks import seeds

F64 = torch.float64


def t(values):
    return torch.tensor(values, dtype=F64)


def logit(p):
    p = t(p)
    return torch.log(p / (1 - p))


def reference_gaussian_kl(ref, p):
    return ref.generative.gaussian_kl(t([p["mu"]]), 2 * torch.log(t([p["sigma"]])))[0]


def reference_elbo(ref, p):
    kl = reference_gaussian_kl(ref, p)
    return {"kl": kl, "elbo": p["recon_log_likelihood"] - kl}


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


def test_elbo_is_the_reconstruction_minus_the_kl_and_lists_the_loss_as_a_mistake():
    for seed in seeds(30):
        v = make("elbo", seed)
        kl, elbo = v.answer["kl"], v.answer["elbo"]
        assert kl > 0 and elbo + kl == sympy.Rational(str(v.params["recon_log_likelihood"]))
        assert any(m.answer.get("elbo") == -elbo for m in v.mistakes), "the loss −ELBO should be a listed mistake"


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


def test_elbo_rejects_a_kl_with_log_sigma_for_log_sigma_squared_in_both_parts():
    """The review's case: seed 22d6e056d27d73b9 took −115.65 (ln σ in the KL) for −115.46."""
    from cvquiz.answers.check import check_answer
    from cvquiz.practice.items import parts_of

    v = make("elbo", "22d6e056d27d73b9")
    parts = {part.name or "elbo": part for part in parts_of(v)}
    for name, typed in (("elbo", "-115.65"), ("kl", "2.35")):
        if name not in parts:
            continue
        part = parts[name]
        verdict = check_answer(part.kind, part.expected, typed, tolerance=part.tolerance, mistakes=part.mistakes)
        assert not verdict.correct, f"{name} = {typed} accepted"
    assert "kl" in parts, "the KL is asked as a part of its own"


def test_the_elbo_item_states_each_parts_own_rule():
    from cvquiz.practice.items import parts_of
    from cvquiz.practice.session import Item

    v = make("elbo", "22d6e056d27d73b9")
    item = Item("q", "generative", v.concepts, v.prompt, parts_of(v))
    assert [p.name for p in item.parts] == ["kl", "elbo"]
    assert item.accepted.en.startswith("kl: within 0.5 %") and "elbo: within ±0.05" in item.accepted.en
    assert "kl：" in item.accepted.zh and "elbo：" in item.accepted.zh


@pytest.mark.parametrize("wrt, variable", [("D", "对判别器输出 D = D(G(z)) 的梯度"),
                                           ("logit", "对判别器的 logit a（D = σ(a)）的梯度")])
def test_the_zh_nonsaturating_prompt_names_the_variable_before_asking_for_the_gradient(wrt, variable):
    prompt = make("nonsaturating_grad", "3", wrt=wrt).prompt.zh
    assert variable in prompt and "σ(a)的梯度大小" not in prompt


def test_a_practice_session_marks_the_reviewed_elbo_wrong_when_the_kl_drops_the_log_term():
    """The review's case end to end: KL typed without its log term, ELBO carried from it."""
    from cvquiz.practice.items import parts_of
    from cvquiz.practice.session import Item, Session

    v = make("elbo", "22d6e056d27d73b9")
    session = Session([Item("generative.vae-generated-elbo", "generative", v.concepts, v.prompt, parts_of(v))], None)
    first = session.answer("2.345")
    assert first.verdict.status == "wrong" and "log term" in first.verdict.feedback.en
    last = session.answer("-115.65")
    assert last.item_done and last.verdict.status == "wrong" and not last.attempt.correct
    right = Session([Item("q", "generative", v.concepts, v.prompt, parts_of(v))], None)
    right.answer("2.16")
    assert right.answer("-115.46").attempt.correct


def test_generate_elbo_key_shows_both_parts_and_their_rules():
    from click.testing import CliRunner

    from cvquiz.cli import main

    out = CliRunner().invoke(main, ["generate", "elbo", "--seed", "22d6e056d27d73b9", "--key"]).output
    assert "(v2," in out and "kl: 2.345 − ln(1.44)/2 ≈ 2.163" in out and "elbo: −115.645 + ln(1.44)/2 ≈ -115.463" in out
    assert "elbo: within ±0.05" in out and "ELBO = -113.3 − (2.345 − ln(1.44)/2)" in out
