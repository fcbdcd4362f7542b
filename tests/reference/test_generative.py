"""reference/generative.py against torch.distributions, BCE with logits, scipy's sqrtm and
formulas written straight from the papers."""

from __future__ import annotations

import math
import re

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from torch.distributions import Bernoulli, Normal, kl_divergence

FIXTURE_OK = settings(suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
                      deadline=None)


@pytest.fixture(scope="module")
def G(course):
    return course.reference("generative")


def randn(g, *shape, dtype=torch.float64, device="cpu"):
    return torch.randn(*shape, generator=g, dtype=dtype).to(device)


# ---------------------------------------------------------------- VAE


def test_reparameterize_reproduces_normal_rsample(G, device):
    g = torch.Generator().manual_seed(0)
    mu, logvar = randn(g, 4, 6, device=device), randn(g, 4, 6, device=device)
    torch.manual_seed(5)
    want = Normal(mu, (0.5 * logvar).exp()).rsample()
    torch.manual_seed(5)
    eps = Normal(torch.zeros_like(mu), torch.ones_like(mu)).rsample()
    got = G.reparameterize(mu, logvar, eps)
    assert got.device.type == device and torch.allclose(got, want)


def test_reparameterize_passes_gradients_to_mu_and_logvar(G, device):
    mu = torch.zeros(2, 3, device=device, requires_grad=True)
    logvar = torch.zeros(2, 3, device=device, requires_grad=True)
    eps = torch.full((2, 3), 2.0, device=device)
    G.reparameterize(mu, logvar, eps).sum().backward()
    assert torch.equal(mu.grad, torch.ones_like(mu))
    assert torch.allclose(logvar.grad, torch.ones_like(logvar))  # d/dlv (e^{lv/2} * 2) = e^{lv/2} = 1


def test_gaussian_kl_matches_torch_distributions(G, device):
    g = torch.Generator().manual_seed(1)
    mu, logvar = randn(g, 5, 8, device=device), randn(g, 5, 8, device=device)
    want = kl_divergence(Normal(mu, (0.5 * logvar).exp()), Normal(0.0, 1.0)).sum(-1)
    got = G.gaussian_kl(mu, logvar)
    assert got.shape == (5,) and torch.allclose(got, want)
    assert G.gaussian_kl(torch.zeros(1, 3, device=device), torch.zeros(1, 3, device=device)).item() == 0.0


def test_bernoulli_elbo_is_log_likelihood_minus_kl(G, device):
    g = torch.Generator().manual_seed(2)
    x = (torch.rand(3, 2, 5, 5, generator=g) > 0.5).double().to(device)
    logits = randn(g, 3, 2, 5, 5, device=device) * 3
    mu, logvar = randn(g, 3, 4, device=device), randn(g, 3, 4, device=device)
    log_px = Bernoulli(logits=logits).log_prob(x).reshape(3, -1).sum(-1)
    kl = kl_divergence(Normal(mu, (0.5 * logvar).exp()), Normal(0.0, 1.0)).sum(-1)
    got = G.elbo(x, logits, mu, logvar, "bernoulli")
    assert got.shape == (3,) and torch.allclose(got, log_px - kl)
    assert (got < 0).all()  # a bound on a log-probability of binary data: the loss -ELBO is positive


@pytest.mark.parametrize("decoder_logvar", [0.0, -1.5], ids=["unit", "narrow"])
def test_gaussian_elbo_matches_normal_log_prob(G, device, decoder_logvar):
    g = torch.Generator().manual_seed(3)
    x, mean = randn(g, 4, 7, device=device), randn(g, 4, 7, device=device)
    mu, logvar = randn(g, 4, 2, device=device), randn(g, 4, 2, device=device)
    log_px = Normal(mean, math.exp(0.5 * decoder_logvar)).log_prob(x).sum(-1)
    kl = kl_divergence(Normal(mu, (0.5 * logvar).exp()), Normal(0.0, 1.0)).sum(-1)
    got = G.elbo(x, mean, mu, logvar, "gaussian", decoder_logvar=decoder_logvar)
    assert torch.allclose(got, log_px - kl)


def test_elbo_rejects_a_decoder_output_of_the_wrong_shape(G):
    message = "decoder_output: expected a floating-point Tensor[2, 3] (the shape of x), got Tensor[2, 4] float32"
    with pytest.raises(ValueError, match=re.escape(message)):
        G.elbo(torch.zeros(2, 3), torch.zeros(2, 4), torch.zeros(2, 1), torch.zeros(2, 1))


# ---------------------------------------------------------------- GAN


def test_gan_losses_match_binary_cross_entropy_with_logits(G, device):
    g = torch.Generator().manual_seed(4)
    real, fake = randn(g, 16, 1, device=device) * 3, randn(g, 9, 1, device=device) * 3
    bce = F.binary_cross_entropy_with_logits
    d = G.discriminator_loss(real, fake)
    assert torch.allclose(d, bce(real, torch.ones_like(real)) + bce(fake, torch.zeros_like(fake)))
    assert torch.allclose(G.generator_loss_nonsaturating(fake), bce(fake, torch.ones_like(fake)))
    assert torch.allclose(G.generator_loss_minimax(fake), -bce(fake, torch.zeros_like(fake)))


def test_gan_losses_are_finite_for_extreme_logits(G, device):
    logits = torch.tensor([-1000.0, -50.0, 0.0, 50.0, 1000.0], device=device)
    for loss in (G.discriminator_loss(logits, logits), G.generator_loss_minimax(logits),
                 G.generator_loss_nonsaturating(logits)):
        assert torch.isfinite(loss)
    assert G.generator_loss_nonsaturating(torch.tensor([-1000.0], device=device)).item() == pytest.approx(1000.0)


def test_nonsaturating_loss_has_the_stronger_gradient_when_d_rejects_fakes(G, device):
    # D(G(z)) = sigmoid(-6) ~ 0.0025: the minimax gradient is ~D, the non-saturating one ~1 - D.
    a = torch.tensor([-6.0], device=device, requires_grad=True)
    b = torch.tensor([-6.0], device=device, requires_grad=True)
    G.generator_loss_minimax(a).backward()
    G.generator_loss_nonsaturating(b).backward()
    d = torch.sigmoid(torch.tensor(-6.0)).item()
    assert a.grad.item() == pytest.approx(-d) and b.grad.item() == pytest.approx(-(1 - d))
    assert abs(b.grad.item()) > 100 * abs(a.grad.item())


# ---------------------------------------------------------------- FID


def scipy_fid(mu1, s1, mu2, s2) -> float:
    from scipy import linalg

    covmean = linalg.sqrtm(s1 @ s2)
    return float(((mu1 - mu2) ** 2).sum() + np.trace(s1) + np.trace(s2) - 2 * np.trace(covmean).real)


def random_cov(rng: np.random.Generator, d: int, n: int) -> np.ndarray:
    a = rng.normal(size=(n, d))
    return a.T @ a / n


@pytest.mark.parametrize("d", [1, 3, 16])
def test_frechet_distance_matches_scipy_sqrtm(G, device, d):
    rng = np.random.default_rng(d)
    mu1, mu2 = rng.normal(size=d), rng.normal(size=d)
    s1, s2 = random_cov(rng, d, 4 * d + 5), random_cov(rng, d, 4 * d + 5)
    T = lambda a: torch.tensor(a, dtype=torch.float64, device=device)  # noqa: E731
    got = G.frechet_distance(T(mu1), T(s1), T(mu2), T(s2))
    assert got.device.type == device and got.dtype == torch.float64
    assert got.item() == pytest.approx(scipy_fid(mu1, s1, mu2, s2), rel=1e-9, abs=1e-9)


def test_frechet_distance_is_stable_for_singular_covariances(G, device):
    rng = np.random.default_rng(7)
    d = 12
    s1, s2 = random_cov(rng, d, 5), random_cov(rng, d, 4)  # rank 5 and 4 of 12
    mu1, mu2 = rng.normal(size=d), rng.normal(size=d)
    T = lambda a: torch.tensor(a, dtype=torch.float64, device=device)  # noqa: E731
    got = G.frechet_distance(T(mu1), T(s1), T(mu2), T(s2)).item()
    assert math.isfinite(got) and got >= 0
    assert got == pytest.approx(scipy_fid(mu1, s1, mu2, s2), rel=1e-6, abs=1e-6)
    # in float32 too, computed in float64 inside
    got32 = G.frechet_distance(T(mu1).float(), T(s1).float(), T(mu2).float(), T(s2).float())
    assert got32.dtype == torch.float32 and got32.item() == pytest.approx(got, rel=1e-4)


def test_fid_from_features_uses_unbiased_covariances_like_numpy(G, device):
    rng = np.random.default_rng(8)
    f1, f2 = rng.normal(size=(30, 6)), rng.normal(1.0, 2.0, size=(25, 6))
    want = scipy_fid(f1.mean(0), np.cov(f1, rowvar=False), f2.mean(0), np.cov(f2, rowvar=False))
    got = G.fid_from_features(torch.tensor(f1, device=device), torch.tensor(f2, device=device))
    assert got.item() == pytest.approx(want, rel=1e-9)


def test_fid_of_few_samples_in_many_dimensions_is_finite(G, device):
    g = torch.Generator().manual_seed(9)
    f1, f2 = randn(g, 10, 64, device=device), randn(g, 12, 64, device=device)
    got = G.fid_from_features(f1, f2)
    assert torch.isfinite(got) and got.item() > 0
    assert G.fid_from_features(f1, f1).item() == pytest.approx(0.0, abs=1e-8)


@FIXTURE_OK
@given(seed=st.integers(0, 2**31 - 1), d=st.integers(1, 8), n=st.integers(2, 20))
def test_fid_is_zero_for_equal_inputs_and_the_mean_gap_for_equal_covariances(G, device, seed, d, n):
    rng = np.random.default_rng(seed)
    s = torch.tensor(random_cov(rng, d, n), device=device)
    mu1, mu2 = torch.tensor(rng.normal(size=d), device=device), torch.tensor(rng.normal(size=d), device=device)
    scale = 1 + s.diagonal().sum().item()
    assert G.frechet_distance(mu1, s, mu1, s).item() == pytest.approx(0.0, abs=1e-7 * scale)
    assert G.frechet_distance(mu1, s, mu2, s).item() == pytest.approx(
        (mu1 - mu2).square().sum().item(), abs=1e-7 * scale)


# ---------------------------------------------------------------- schedules


def test_linear_schedule_runs_from_1e4_to_0_02_with_a_zero_for_t0(G, device):
    betas = G.linear_beta_schedule(1000, device=device)
    assert betas.shape == (1001,) and betas.dtype == torch.float64 and betas.device.type == device
    assert betas[0].item() == 0.0 and betas[1].item() == pytest.approx(1e-4) and betas[1000].item() == pytest.approx(0.02)
    assert torch.allclose(betas[1:].cpu(), torch.linspace(1e-4, 0.02, 1000, dtype=torch.float64))


def test_cosine_schedule_follows_nichol_and_dhariwal(G, device):
    T, s = 50, 0.008
    f = lambda t: math.cos((t / T + s) / (1 + s) * math.pi / 2) ** 2  # noqa: E731
    want = [0.0] + [min(1 - (f(t) / f(0)) / (f(t - 1) / f(0)), 0.999) for t in range(1, T + 1)]
    betas = G.cosine_beta_schedule(T, device=device)
    assert torch.allclose(betas.cpu(), torch.tensor(want, dtype=torch.float64), atol=1e-12)
    assert betas[T].item() == pytest.approx(0.999)  # the last step is clipped
    ab = G.alpha_bar(betas)
    assert ab[T // 2].item() == pytest.approx(f(T // 2) / f(0), rel=1e-9)


def test_alpha_bar_is_the_running_product_of_one_minus_beta(G, device):
    betas = G.linear_beta_schedule(20, beta_start=0.01, beta_end=0.2, device=device, dtype=torch.float32)
    ab = G.alpha_bar(betas)
    assert ab.dtype == torch.float32 and ab[0].item() == 1.0
    prod = 1.0
    for t in range(1, 21):
        prod *= 1 - betas[t].item()
        assert ab[t].item() == pytest.approx(prod, rel=1e-5)


# ---------------------------------------------------------------- forward process and loss


def test_q_sample_is_the_closed_form_and_returns_x0_at_t0(G, device):
    ab = G.alpha_bar(G.linear_beta_schedule(100, device=device))
    g = torch.Generator().manual_seed(10)
    x0, eps = randn(g, 3, 2, 4, device=device), randn(g, 3, 2, 4, device=device)
    t = torch.tensor([0, 50, 100], device=device)
    xt = G.q_sample(x0, t, eps, ab)
    for i, ti in enumerate(t.tolist()):
        a = ab[ti].item()
        assert torch.allclose(xt[i], math.sqrt(a) * x0[i] + math.sqrt(1 - a) * eps[i])
    assert torch.equal(xt[0], x0[0])


def test_q_sample_has_the_forward_process_moments(G, device):
    ab = G.alpha_bar(G.cosine_beta_schedule(10, device=device))
    g = torch.Generator().manual_seed(11)
    x0 = torch.full((200_000, 1), 1.5, dtype=torch.float64, device=device)
    xt = G.q_sample(x0, 6, randn(g, 200_000, 1, device=device), ab)
    a = ab[6].item()
    assert xt.mean().item() == pytest.approx(math.sqrt(a) * 1.5, abs=0.01)
    assert xt.var().item() == pytest.approx(1 - a, rel=0.02)


def test_ddpm_loss_is_zero_for_a_perfect_noise_predictor(G, device):
    ab = G.alpha_bar(G.linear_beta_schedule(30, device=device))
    g = torch.Generator().manual_seed(12)
    x0, eps = randn(g, 4, 3, device=device), randn(g, 4, 3, device=device)
    t = torch.tensor([1, 7, 20, 30], device=device)

    def oracle(x_t, tt):  # invert q_sample, knowing x0
        a = ab[tt].reshape(-1, 1)
        return (x_t - a.sqrt() * x0) / (1 - a).sqrt()

    assert G.ddpm_loss(oracle, x0, t, eps, ab).item() == pytest.approx(0.0, abs=1e-20)
    zero = G.ddpm_loss(lambda x_t, tt: torch.zeros_like(x_t), x0, t, eps, ab)
    assert torch.allclose(zero, F.mse_loss(torch.zeros_like(eps), eps))


# ---------------------------------------------------------------- sampling steps


def ddpm_step_loop(x_t, t, eps, betas, noise, posterior):
    """Ho et al., Algorithm 2, one element at a time in float64."""
    out = []
    for i in range(len(x_t)):
        ti = t[i]
        beta = betas[ti]
        ab_t = math.prod(1 - betas[s] for s in range(1, ti + 1))
        ab_prev = math.prod(1 - betas[s] for s in range(1, ti))
        var = (1 - ab_prev) / (1 - ab_t) * beta if posterior else beta
        z = noise[i] if ti > 1 else [0.0] * len(x_t[i])
        out.append([(x - beta / math.sqrt(1 - ab_t) * e) / math.sqrt(1 - beta) + math.sqrt(var) * zz
                    for x, e, zz in zip(x_t[i], eps[i], z)])
    return out


@pytest.mark.parametrize("variance", ["beta", "posterior"])
def test_ddpm_step_matches_algorithm_2_and_adds_no_noise_at_t1(G, device, variance):
    betas = G.linear_beta_schedule(50, beta_start=1e-3, beta_end=0.05, device=device)
    g = torch.Generator().manual_seed(13)
    x_t, eps, z = (randn(g, 4, 5, device=device) for _ in range(3))
    t = torch.tensor([1, 2, 25, 50], device=device)
    got = G.ddpm_step(x_t, t, eps, betas, noise=z, variance=variance)
    want = ddpm_step_loop(x_t.tolist(), t.tolist(), eps.tolist(), betas.tolist(), z.tolist(), variance == "posterior")
    assert torch.allclose(got.cpu(), torch.tensor(want, dtype=torch.float64))
    mean = G.ddpm_step(x_t, t, eps, betas)
    assert torch.equal(got[0], mean[0])


def test_ddpm_step_with_a_loose_x0_clip_equals_the_unclipped_step(G, device):
    betas = G.cosine_beta_schedule(40, device=device)
    g = torch.Generator().manual_seed(14)
    x_t, eps, z = (randn(g, 3, 4, device=device) for _ in range(3))
    t = torch.tensor([3, 20, 39], device=device)
    a = G.ddpm_step(x_t, t, eps, betas, z, "posterior")
    b = G.ddpm_step(x_t, t, eps, betas, z, "posterior", clip_x0=1e9)
    assert torch.allclose(a, b)
    clipped = G.ddpm_step(x_t, t, eps, betas, None, clip_x0=0.0)  # x0 = 0: mean is the x_t term alone
    ab = G.alpha_bar(betas)
    coef = (1 - betas[t]).sqrt() * (1 - ab[t - 1]) / (1 - ab[t])
    assert torch.allclose(clipped, coef[:, None] * x_t)


def test_ddim_with_eta_one_and_a_single_step_is_ddpm_with_posterior_variance(G, device):
    betas = G.linear_beta_schedule(60, device=device)
    ab = G.alpha_bar(betas)
    g = torch.Generator().manual_seed(15)
    x_t, eps, z = (randn(g, 5, 3, device=device) for _ in range(3))
    t = torch.tensor([2, 9, 30, 45, 60], device=device)
    ddim = G.ddim_step(x_t, t, t - 1, eps, ab, eta=1.0, noise=z)
    ddpm = G.ddpm_step(x_t, t, eps, betas, noise=z, variance="posterior")
    assert torch.allclose(ddim, ddpm, atol=1e-10)


def test_deterministic_ddim_with_the_true_noise_jumps_along_the_forward_process(G, device):
    ab = G.alpha_bar(G.cosine_beta_schedule(100, device=device))
    g = torch.Generator().manual_seed(16)
    x0, eps = randn(g, 3, 4, device=device), randn(g, 3, 4, device=device)
    t, t_prev = torch.tensor([90, 50, 10], device=device), torch.tensor([40, 0, 9], device=device)
    x_t = G.q_sample(x0, t, eps, ab)
    got = G.ddim_step(x_t, t, t_prev, eps, ab)
    assert torch.allclose(got, G.q_sample(x0, t_prev, eps, ab), atol=1e-10)
    assert torch.allclose(got[1], x0[1], atol=1e-10)  # t_prev = 0 gives x0


def test_ddim_with_eta_needs_noise_and_checks_shapes(G):
    ab = G.alpha_bar(G.linear_beta_schedule(10))
    x = torch.zeros(2, 3, dtype=torch.float64)
    with pytest.raises(ValueError, match="noise: expected a Tensor"):
        G.ddim_step(x, 5, 4, x, ab, eta=0.5)
    with pytest.raises(ValueError) as info:
        G.ddim_step(x, 5, 4, torch.zeros(3, 2, dtype=torch.float64), ab)
    assert str(info.value) == ("eps: expected a floating-point Tensor[2, 3] (the shape of x_t), "
                               "got Tensor[3, 2] float64")
    with pytest.raises(ValueError) as info:
        G.ddpm_step(x, 11, x, G.linear_beta_schedule(10))
    assert str(info.value) == "t: expected a step in [1, 10] (an int or an integer Tensor[B=2]), got 11"


@pytest.mark.parametrize("call", ["q_sample", "ddpm_step", "ddpm_loss", "ddim_step"])
@pytest.mark.parametrize("bad", [-1, 0, 11], ids=["minus-one", "zero", "past-T"])
def test_a_tensor_timestep_out_of_range_raises_the_same_error_as_an_int(G, device, call, bad):
    betas = G.linear_beta_schedule(10, device=device)
    ab = G.alpha_bar(betas)
    x = torch.zeros(2, 3, dtype=torch.float64, device=device)
    low = 0 if call == "q_sample" else 1
    if low <= bad <= 10:
        pytest.skip("a legal step for this function")
    calls = {
        "q_sample": lambda t: G.q_sample(x, t, x, ab),
        "ddpm_step": lambda t: G.ddpm_step(x, t, x, betas, x),
        "ddpm_loss": lambda t: G.ddpm_loss(lambda x_t, t: x_t, x, t, x, ab),
        "ddim_step": lambda t: G.ddim_step(x, t, 0, x, ab),
    }
    with pytest.raises(ValueError) as as_int:
        calls[call](bad)
    with pytest.raises(ValueError) as as_tensor:
        calls[call](torch.tensor([5, bad], device=device))
    expected = f"t: expected a step in [{low}, 10] (an int or an integer Tensor[B=2])"
    assert str(as_int.value) == f"{expected}, got {bad}"
    assert str(as_tensor.value) == f"{expected}, got {bad} in Tensor[2] int64"


def test_steps_read_a_schedule_that_lives_on_another_device(G, device):
    betas = G.linear_beta_schedule(10)  # on the CPU
    x = torch.ones(2, 3, dtype=torch.float64, device=device)
    t = torch.tensor([3, 7], device=device)
    on_device = G.linear_beta_schedule(10, device=device)
    torch.testing.assert_close(G.ddpm_step(x, t, x, betas, x), G.ddpm_step(x, t, x, on_device, x))
    torch.testing.assert_close(G.q_sample(x, t, x, G.alpha_bar(betas)), G.q_sample(x, t, x, G.alpha_bar(on_device)))


def test_steps_keep_the_input_dtype(G, device):
    betas = G.linear_beta_schedule(10, device=device)  # float64 schedule
    x = torch.ones(2, 3, device=device)  # float32 samples
    assert G.q_sample(x, 3, x, G.alpha_bar(betas)).dtype == torch.float32
    assert G.ddpm_step(x, 3, x, betas, x).dtype == torch.float32
    assert G.ddim_step(x, 3, 1, x, G.alpha_bar(betas)).dtype == torch.float32
