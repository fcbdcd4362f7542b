"""Reference implementations for generative models (cheatsheet section 5): VAE, GAN, FID, diffusion.

Dimension letters: ``B`` batch; ``Z`` latent width; ``D`` feature width; ``N``, ``M`` sizes of two
sets of samples; ``T`` number of diffusion steps.

Conventions used throughout:

- Losses are to be minimised; the VAE loss is −ELBO.
- Diffusion time runs t = 1..T as in the lecture: ᾱ_t = Π_{s<=t} (1 − β_s). Schedules are stored
  with a leading entry for t = 0 (β_0 = 0, ᾱ_0 = 1), so ``betas[t]`` is β_t and
  ``alpha_bar[t]`` is ᾱ_t: both are ``Tensor[T + 1]``.
- Results are on the input's device and in its floating dtype.
"""

from __future__ import annotations

import math

import torch
from torch import Tensor
import torch.nn.functional as F

__all__ = [
    "reparameterize", "gaussian_kl", "elbo",
    "discriminator_loss", "generator_loss_minimax", "generator_loss_nonsaturating",
    "frechet_distance", "fid_from_features",
    "linear_beta_schedule", "cosine_beta_schedule", "alpha_bar", "q_sample", "ddpm_loss",
    "ddpm_step", "ddim_step",
]


# ---------------------------------------------------------------------------- argument checks

def _describe(x: object) -> str:
    """What an argument is, for error messages: ``Tensor[3, 5] float32``, or a value's repr."""
    if isinstance(x, Tensor):
        return f"Tensor[{', '.join(str(s) for s in x.shape)}] {str(x.dtype).removeprefix('torch.')}"
    if x is None or isinstance(x, (bool, int, float, str)):
        return repr(x)
    return type(x).__name__


def _check_tensor(x: object, name: str, expected: str) -> Tensor:
    """Raise ``ValueError("<name>: expected <expected>, got <_describe(x)>")`` unless x is a tensor."""
    if not isinstance(x, Tensor):
        raise ValueError(f"{name}: expected {expected}, got {_describe(x)}")
    return x


def _check_float(x: object, name: str, shape: str, min_dim: int = 0) -> Tensor:
    """A floating-point tensor with at least ``min_dim`` dims; ``shape`` describes it, e.g. ``"[B, Z]"``."""
    expected = f"a floating-point Tensor{shape}"
    _check_tensor(x, name, expected)
    if not x.is_floating_point() or x.dim() < min_dim:
        raise ValueError(f"{name}: expected {expected}, got {_describe(x)}")
    return x


def _check_same(x: object, name: str, like: Tensor, like_name: str) -> None:
    """A floating-point tensor of the shape of ``like``."""
    expected = f"a floating-point Tensor[{', '.join(map(str, like.shape))}] (the shape of {like_name})"
    _check_tensor(x, name, expected)
    if not x.is_floating_point() or x.shape != like.shape:
        raise ValueError(f"{name}: expected {expected}, got {_describe(x)}")


def _check_schedule(x: object, name: str) -> None:
    expected = "a floating-point Tensor[T + 1] (index 0 is t = 0) with T >= 1"
    _check_tensor(x, name, expected)
    if not x.is_floating_point() or x.dim() != 1 or x.shape[0] < 2:
        raise ValueError(f"{name}: expected {expected}, got {_describe(x)}")


def _timesteps(name: str, t, x: Tensor, schedule: Tensor, low: int = 0) -> Tensor:
    """``t`` as an int64 Tensor[B] on x's device (an int is broadcast over the batch).

    An int and a tensor are held to the same range ``[low, T]`` with the same message. A tensor's
    check reads its values back to the host once per call (Python indexing would otherwise take
    t = -1 as t = T, and an index past T is a device-side assert on CUDA).
    """
    B, T = x.shape[0], schedule.shape[0] - 1
    expected = f"a step in [{low}, {T}] (an int or an integer Tensor[B={B}])"
    if isinstance(t, bool) or not isinstance(t, (int, Tensor)):
        raise ValueError(f"{name}: expected {expected}, got {_describe(t)}")
    if isinstance(t, int):
        if not low <= t <= T:
            raise ValueError(f"{name}: expected {expected}, got {t}")
        return torch.full((B,), t, dtype=torch.long, device=x.device)
    if t.is_floating_point() or t.is_complex() or t.dtype == torch.bool or t.shape not in ((B,), ()):
        raise ValueError(f"{name}: expected {expected}, got {_describe(t)}")
    if t.numel() and bool(((t < low) | (t > T)).any()):
        bad = t[(t < low) | (t > T)].flatten()[0].item()
        raise ValueError(f"{name}: expected {expected}, got {bad} in {_describe(t)}")
    return t.to(device=x.device, dtype=torch.long).expand(B)


def _at(schedule: Tensor, t: Tensor, x: Tensor) -> Tensor:
    """``schedule[t]`` shaped to broadcast over x (B, ...), read where the schedule lives.

    Only the B gathered values move to x's device (nothing moves when the schedule is already
    there, e.g. made with ``device=``): the whole schedule is never copied on each step.
    """
    return _per_sample(schedule[t.to(schedule.device)].to(x.device), x)


def _per_sample(v: Tensor, x: Tensor) -> Tensor:
    """A per-sample value (B,) shaped to broadcast over x (B, ...)."""
    return v.to(x.dtype).reshape(-1, *([1] * (x.dim() - 1)))


# ---------------------------------------------------------------------------- VAE

def reparameterize(mu: Tensor, logvar: Tensor, noise: Tensor) -> Tensor:
    """The reparameterization trick: z = μ + σ ⊙ ε with σ = exp(logvar / 2).

    Args:
        mu (Tensor[B, Z]): encoder means.
        logvar (Tensor[B, Z]): encoder log-variances log σ².
        noise (Tensor[B, Z]): ε ~ N(0, I), drawn by the caller (so the result is reproducible).

    Returns:
        Tensor[B, Z]: samples of q(z | x), differentiable in ``mu`` and ``logvar``.

    Reference: Kingma & Welling, Auto-Encoding Variational Bayes (2014), sec. 2.4;
    cheatsheet 5 重参数化技巧.
    Concepts: generative.vae
    """
    _check_float(mu, "mu", "[B, Z]", min_dim=1)
    _check_same(logvar, "logvar", mu, "mu")
    _check_same(noise, "noise", mu, "mu")
    return mu + torch.exp(0.5 * logvar) * noise


def gaussian_kl(mu: Tensor, logvar: Tensor) -> Tensor:
    """KL(N(μ, diag σ²) ‖ N(0, I)) = ½ Σ_z (μ² + σ² − 1 − log σ²), summed over latent dims.

    Args:
        mu (Tensor[B, Z]): means.
        logvar (Tensor[B, Z]): log-variances.

    Returns:
        Tensor[B]: the KL divergence of each example, >= 0.

    Reference: Kingma & Welling (2014), appendix B; cheatsheet 5 ELBO 正则项.
    Concepts: generative.vae
    """
    _check_float(mu, "mu", "[B, Z]", min_dim=1)
    _check_same(logvar, "logvar", mu, "mu")
    return 0.5 * (mu.square() + logvar.exp() - 1 - logvar).sum(-1)


def elbo(x: Tensor, decoder_output: Tensor, mu: Tensor, logvar: Tensor,
         likelihood: str = "bernoulli", decoder_logvar: float | Tensor = 0.0) -> Tensor:
    """The evidence lower bound E_q[log p(x | z)] − KL(q(z | x) ‖ p(z)), one sample of z.

    The VAE *loss* is ``-elbo(...)`` (usually averaged over the batch). The reconstruction term is
    the single-sample Monte Carlo estimate, the decoder having been run on one z from
    :func:`reparameterize`; it is summed over all dimensions of an example.

    - ``likelihood="bernoulli"``: ``decoder_output`` holds logits; log p(x | z) =
      Σ [x log σ(ℓ) + (1 − x) log(1 − σ(ℓ))], for x in [0, 1].
    - ``likelihood="gaussian"``: ``decoder_output`` holds the mean μ_x; log p(x | z) =
      Σ [−(x − μ_x)² / (2 σ²) − ½ log σ² − ½ log 2π] with log σ² = ``decoder_logvar``. With
      σ² fixed this is −½‖x − μ_x‖² plus a constant: the cheatsheet's L2 reconstruction.

    Args:
        x (Tensor[B, ...]): data.
        decoder_output (Tensor[B, ...]): logits or means, same shape as ``x``.
        mu (Tensor[B, Z]): encoder means.
        logvar (Tensor[B, Z]): encoder log-variances.
        likelihood (str): ``"bernoulli"`` or ``"gaussian"``.
        decoder_logvar (float or Tensor broadcastable to x): Gaussian decoder log-variance.

    Returns:
        Tensor[B]: the ELBO of each example (a log-likelihood bound: larger is better).

    Reference: Kingma & Welling (2014), eq. 10 and appendix C; cheatsheet 5 ELBO.
    Concepts: generative.vae
    """
    _check_float(x, "x", "[B, ...]", min_dim=1)
    _check_same(decoder_output, "decoder_output", x, "x")
    _check_float(mu, "mu", "[B, Z]", min_dim=2)
    _check_same(logvar, "logvar", mu, "mu")
    if mu.shape[0] != x.shape[0]:
        raise ValueError(f"mu: expected a floating-point Tensor[B={x.shape[0]}, Z] (x's batch), got {_describe(mu)}")
    if likelihood not in ("bernoulli", "gaussian"):
        raise ValueError(f"likelihood: expected 'bernoulli' or 'gaussian', got {_describe(likelihood)}")
    if likelihood == "bernoulli":
        log_px = -F.binary_cross_entropy_with_logits(decoder_output, x, reduction="none")
    else:
        lv = torch.as_tensor(decoder_logvar, dtype=x.dtype, device=x.device)
        log_px = -0.5 * ((x - decoder_output).square() / lv.exp() + lv + math.log(2 * math.pi))
    return log_px.reshape(x.shape[0], -1).sum(-1) - gaussian_kl(mu, logvar)


# ---------------------------------------------------------------------------- GAN

def discriminator_loss(real_logits: Tensor, fake_logits: Tensor) -> Tensor:
    """The discriminator's loss −[E log D(x) + E log(1 − D(G(z)))], from logits.

    D = σ(logit); log D = −softplus(−ℓ) and log(1 − D) = −softplus(ℓ), which stay finite for any
    logit. Each expectation is a mean over its own tensor.

    Args:
        real_logits (Tensor[...]): D's logits on real data.
        fake_logits (Tensor[...]): D's logits on generated data.

    Returns:
        Tensor: a scalar (minimise it; the minimax objective is its negative).

    Reference: Goodfellow et al., Generative Adversarial Nets (2014), eq. 1; cheatsheet 5 GAN.
    Concepts: generative.gan
    """
    _check_float(real_logits, "real_logits", "[...]")
    _check_float(fake_logits, "fake_logits", "[...]")
    return F.softplus(-real_logits).mean() + F.softplus(fake_logits).mean()


def generator_loss_minimax(fake_logits: Tensor) -> Tensor:
    """The generator's original (saturating) loss E log(1 − D(G(z))), from logits.

    Its gradient vanishes when D confidently rejects the samples (D(G(z)) ≈ 0, early in training).

    Args:
        fake_logits (Tensor[...]): D's logits on generated data.

    Returns:
        Tensor: a scalar, −mean(softplus(ℓ)) (minimise it).

    Reference: Goodfellow et al. (2014), eq. 1; cheatsheet 5 GAN 目标函数.
    Concepts: generative.gan, generative.nonsaturating
    """
    _check_float(fake_logits, "fake_logits", "[...]")
    return -F.softplus(fake_logits).mean()


def generator_loss_nonsaturating(fake_logits: Tensor) -> Tensor:
    """The generator's non-saturating loss −E log D(G(z)), from logits.

    Strong gradient exactly where the minimax loss saturates (D(G(z)) ≈ 0).

    Args:
        fake_logits (Tensor[...]): D's logits on generated data.

    Returns:
        Tensor: a scalar, mean(softplus(−ℓ)) (minimise it).

    Reference: Goodfellow et al. (2014), sec. 3; cheatsheet 5 非饱和损失.
    Concepts: generative.gan, generative.nonsaturating
    """
    _check_float(fake_logits, "fake_logits", "[...]")
    return F.softplus(-fake_logits).mean()


# ---------------------------------------------------------------------------- FID

def _psd_sqrt(sigma: Tensor) -> Tensor:
    """Symmetric square root of a PSD matrix by eigendecomposition (negative round-off → 0)."""
    evals, evecs = torch.linalg.eigh(sigma)
    return (evecs * evals.clamp(min=0).sqrt()) @ evecs.T


def frechet_distance(mu1: Tensor, sigma1: Tensor, mu2: Tensor, sigma2: Tensor) -> Tensor:
    """Fréchet distance between N(μ1, Σ1) and N(μ2, Σ2): ‖μ1 − μ2‖² + Tr(Σ1 + Σ2 − 2 (Σ1 Σ2)^½).

    Tr (Σ1 Σ2)^½ is computed by a symmetric route, no ``sqrtm`` of a non-symmetric matrix:
    with S = Σ1^½ (eigh), Σ1 Σ2 = S (S Σ2 S) S⁻¹ is similar to the PSD matrix S Σ2 S, so the trace
    is Σ √λ_i(S Σ2 S). (When Σ1 is positive definite its Cholesky factor L plays the part of S,
    with Lᵀ Σ2 L: the same eigenvalues, found faster.) Works in float64 and is stable for singular covariances (fewer samples
    than dimensions); eigenvalues below 0 from round-off are set to 0, and the result is
    clamped at 0.

    Args:
        mu1 (Tensor[D]): mean of the first Gaussian (e.g. real features).
        sigma1 (Tensor[D, D]): its covariance (symmetric PSD).
        mu2 (Tensor[D]): mean of the second.
        sigma2 (Tensor[D, D]): its covariance.

    Returns:
        Tensor: a scalar >= 0 in the dtype of ``mu1``; lower is better.

    Reference: Heusel et al., GANs Trained by a Two Time-Scale Update Rule (2017), eq. 6; Dowson &
    Landau (1982); cheatsheet 5 FID.
    Concepts: generative.evaluation
    """
    _check_float(mu1, "mu1", "[D]", min_dim=1)
    if mu1.dim() != 1:
        raise ValueError(f"mu1: expected a floating-point Tensor[D], got {_describe(mu1)}")
    D = mu1.shape[0]
    _check_same(mu2, "mu2", mu1, "mu1")
    for name, s in (("sigma1", sigma1), ("sigma2", sigma2)):
        _check_float(s, name, "[D, D]")
        if s.shape != (D, D):
            raise ValueError(f"{name}: expected a floating-point Tensor[D={D}, D={D}], got {_describe(s)}")
    m1, m2 = mu1.double(), mu2.double()
    s1 = sigma1.double()
    s2 = sigma2.double()
    s1, s2 = (s1 + s1.T) / 2, (s2 + s2.T) / 2  # symmetrise round-off
    # Σ1 = L Lᵀ (Cholesky) makes Σ1 Σ2 = L (Lᵀ Σ2 L) L⁻¹ similar to the PSD matrix Lᵀ Σ2 L: one
    # factorisation and one eigvalsh, no eigenvectors. A singular Σ1 has no Cholesky factor: then
    # the symmetric root S = Σ1^½ (eigh) gives the similar matrix S Σ2 S instead.
    L, info = torch.linalg.cholesky_ex(s1)
    if int(info) == 0:
        middle = L.T @ s2 @ L
    else:
        root = _psd_sqrt(s1)
        middle = root @ s2 @ root
    tr_covmean = torch.linalg.eigvalsh((middle + middle.T) / 2).clamp(min=0).sqrt().sum()
    fd = (m1 - m2).square().sum() + torch.trace(s1) + torch.trace(s2) - 2 * tr_covmean
    return fd.clamp(min=0).to(mu1.dtype)


def fid_from_features(features1: Tensor, features2: Tensor) -> Tensor:
    """Fréchet distance between the Gaussians fitted to two sets of feature vectors.

    Means and unbiased covariances (divisor N − 1, as ``numpy.cov`` and pytorch-fid), then
    :func:`frechet_distance`. FID proper uses Inception-v3 pool features (D = 2048).

    Args:
        features1 (Tensor[N, D]): features of real images, N >= 2.
        features2 (Tensor[M, D]): features of generated images, M >= 2.

    Returns:
        Tensor: a scalar >= 0 in the dtype of ``features1``.

    Reference: Heusel et al. (2017); pytorch-fid's calculate_frechet_distance; cheatsheet 5 FID.
    Concepts: generative.evaluation
    """
    for name, f in (("features1", features1), ("features2", features2)):
        _check_float(f, name, "[N, D]")
        if f.dim() != 2 or f.shape[0] < 2:
            raise ValueError(f"{name}: expected a floating-point Tensor[N, D] with N >= 2, got {_describe(f)}")
    if features2.shape[1] != features1.shape[1]:
        raise ValueError(f"features2: expected a floating-point Tensor[M, D={features1.shape[1]}] (features1's D), "
                         f"got {_describe(features2)}")
    f1, f2 = features1.double(), features2.double()
    fd = frechet_distance(f1.mean(0), torch.cov(f1.T), f2.mean(0), torch.cov(f2.T))
    return fd.to(features1.dtype)


# ---------------------------------------------------------------------------- diffusion

def _check_steps(T) -> None:
    if isinstance(T, bool) or not isinstance(T, int) or T < 1:
        raise ValueError(f"T: expected an int >= 1, got {_describe(T)}")


def linear_beta_schedule(T: int, beta_start: float = 1e-4, beta_end: float = 0.02,
                         dtype: torch.dtype = torch.float64, device=None) -> Tensor:
    """DDPM's linear noise schedule: β_1 … β_T evenly spaced from ``beta_start`` to ``beta_end``.

    Args:
        T (int): number of steps, >= 1.
        beta_start (float): β_1.
        beta_end (float): β_T.
        dtype, device: of the result.

    Returns:
        Tensor[T + 1]: ``betas[0] = 0`` (t = 0), then ``betas[t] = β_t`` for t = 1..T.

    Reference: Ho et al., Denoising Diffusion Probabilistic Models (2020), sec. 4.
    Concepts: generative.diffusion
    """
    _check_steps(T)
    for name, v in (("beta_start", beta_start), ("beta_end", beta_end)):
        if isinstance(v, bool) or not isinstance(v, (int, float)) or not 0 <= v < 1:
            raise ValueError(f"{name}: expected a number in [0, 1), got {_describe(v)}")
    betas = torch.linspace(beta_start, beta_end, T, dtype=torch.float64)
    return torch.cat([betas.new_zeros(1), betas]).to(dtype=dtype, device=device)


def cosine_beta_schedule(T: int, s: float = 0.008, max_beta: float = 0.999,
                         dtype: torch.dtype = torch.float64, device=None) -> Tensor:
    """The cosine schedule: ᾱ_t = f(t) / f(0), f(t) = cos²(π/2 · (t/T + s) / (1 + s)).

    β_t = 1 − ᾱ_t / ᾱ_{t−1}, clipped at ``max_beta`` (the last steps would otherwise reach 1).

    Args:
        T (int): number of steps, >= 1.
        s (float): the small offset that keeps β_1 from being tiny.
        max_beta (float): upper clip for β_t.
        dtype, device: of the result.

    Returns:
        Tensor[T + 1]: ``betas[0] = 0``, then β_1..β_T.

    Reference: Nichol & Dhariwal, Improved Denoising Diffusion Probabilistic Models (2021), eq. 17.
    Concepts: generative.diffusion
    """
    _check_steps(T)
    t = torch.arange(T + 1, dtype=torch.float64)
    f = torch.cos((t / T + s) / (1 + s) * math.pi / 2).square()
    ab = f / f[0]
    betas = (1 - ab[1:] / ab[:-1]).clamp(max=max_beta)
    return torch.cat([betas.new_zeros(1), betas]).to(dtype=dtype, device=device)


def alpha_bar(betas: Tensor) -> Tensor:
    """Cumulative products ᾱ_t = Π_{s=1}^{t} (1 − β_s).

    Args:
        betas (Tensor[T + 1]): a schedule with ``betas[0] = 0`` (as the schedules here return).

    Returns:
        Tensor[T + 1]: ``alpha_bar[t] = ᾱ_t``; ``alpha_bar[0] = 1``.

    Reference: Ho et al. (2020), sec. 2, q(x_t | x_0) = N(√ᾱ_t x_0, (1 − ᾱ_t) I).
    Concepts: generative.diffusion
    """
    _check_schedule(betas, "betas")
    return torch.cumprod(1 - betas, dim=0)


def q_sample(x0: Tensor, t: int | Tensor, noise: Tensor, alpha_bar: Tensor) -> Tensor:
    """Sample the forward process in one jump: x_t = √ᾱ_t x_0 + √(1 − ᾱ_t) ε.

    Args:
        x0 (Tensor[B, ...]): clean data.
        t (int or Tensor[B] int64): steps in 0..T (0 returns x0).
        noise (Tensor[B, ...]): ε ~ N(0, I), same shape as ``x0``.
        alpha_bar (Tensor[T + 1]): from :func:`alpha_bar`.

    Returns:
        Tensor[B, ...]: x_t.

    Reference: Ho et al. (2020), eq. 4; cheatsheet 5 Diffusion 前向加噪.
    Concepts: generative.diffusion
    """
    _check_float(x0, "x0", "[B, ...]", min_dim=1)
    _check_same(noise, "noise", x0, "x0")
    _check_schedule(alpha_bar, "alpha_bar")
    t = _timesteps("t", t, x0, alpha_bar)
    ab = _at(alpha_bar, t, x0)
    return ab.sqrt() * x0 + (1 - ab).sqrt() * noise


def ddpm_loss(eps_model, x0: Tensor, t: int | Tensor, noise: Tensor, alpha_bar: Tensor) -> Tensor:
    """The simplified DDPM objective ‖ε − ε_θ(√ᾱ_t x_0 + √(1 − ᾱ_t) ε, t)‖², averaged.

    Args:
        eps_model (callable): ``eps_model(x_t, t) -> Tensor[B, ...]``, the noise prediction;
            called with x_t and t as an int64 Tensor[B].
        x0 (Tensor[B, ...]): clean data.
        t (int or Tensor[B] int64): steps in 1..T.
        noise (Tensor[B, ...]): ε ~ N(0, I).
        alpha_bar (Tensor[T + 1]): from :func:`alpha_bar`.

    Returns:
        Tensor: a scalar, the mean squared error over all elements.

    Reference: Ho et al. (2020), eq. 14 and Algorithm 1; cheatsheet 5 Diffusion.
    Concepts: generative.diffusion
    """
    if not callable(eps_model):
        raise ValueError(f"eps_model: expected a callable (x_t, t) -> Tensor, got {_describe(eps_model)}")
    _check_schedule(alpha_bar, "alpha_bar")
    _check_float(x0, "x0", "[B, ...]", min_dim=1)
    t = _timesteps("t", t, x0, alpha_bar, low=1)
    x_t = q_sample(x0, t, noise, alpha_bar)
    eps = eps_model(x_t, t)
    if not isinstance(eps, Tensor) or eps.shape != x0.shape:
        raise ValueError(f"eps_model: expected it to return a Tensor[{', '.join(map(str, x0.shape))}] (the shape "
                         f"of x0), got {_describe(eps)}")
    return (noise - eps).square().mean()


def ddpm_step(x_t: Tensor, t: int | Tensor, eps: Tensor, betas: Tensor, noise: Tensor | None = None,
              variance: str = "beta", clip_x0: float | None = None) -> Tensor:
    """One ancestral sampling step x_t → x_{t−1} (DDPM Algorithm 2).

    x_{t−1} = (x_t − β_t / √(1 − ᾱ_t) · ε_θ) / √α_t + σ_t z, with α_t = 1 − β_t and z = ``noise``
    except at t = 1, where z = 0. ``variance="beta"``: σ_t² = β_t; ``"posterior"``: σ_t² = β̃_t =
    (1 − ᾱ_{t−1}) / (1 − ᾱ_t) · β_t. With ``clip_x0 = c`` the predicted x̂_0 = (x_t − √(1 − ᾱ_t) ε_θ)
    / √ᾱ_t is clamped to [−c, c] and the mean is the posterior mean μ̃_t(x̂_0, x_t) (equal to the
    formula above when nothing is clipped); by default nothing is clipped.

    Args:
        x_t (Tensor[B, ...]): current samples.
        t (int or Tensor[B] int64): current steps in 1..T.
        eps (Tensor[B, ...]): the model's noise prediction ε_θ(x_t, t).
        betas (Tensor[T + 1]): the schedule (``betas[0] = 0``).
        noise (Tensor[B, ...] or None): z ~ N(0, I); None gives the mean (z = 0).
        variance (str): ``"beta"`` or ``"posterior"``.
        clip_x0 (float or None): clamp x̂_0 to [−c, c].

    Returns:
        Tensor[B, ...]: x_{t−1}.

    Reference: Ho et al. (2020), Algorithm 2 and eq. 7; cheatsheet 5 Diffusion 反向去噪.
    Concepts: generative.diffusion
    """
    _check_float(x_t, "x_t", "[B, ...]", min_dim=1)
    _check_same(eps, "eps", x_t, "x_t")
    if noise is not None:
        _check_same(noise, "noise", x_t, "x_t")
    _check_schedule(betas, "betas")
    if variance not in ("beta", "posterior"):
        raise ValueError(f"variance: expected 'beta' or 'posterior', got {_describe(variance)}")
    t = _timesteps("t", t, x_t, betas, low=1)
    ab_all = torch.cumprod(1 - betas, dim=0)  # on the schedule's device
    beta_t = _at(betas, t, x_t)
    ab_t, ab_prev = _at(ab_all, t, x_t), _at(ab_all, t - 1, x_t)
    if clip_x0 is None:
        mean = (x_t - beta_t / (1 - ab_t).sqrt() * eps) / (1 - beta_t).sqrt()
    else:
        x0 = ((x_t - (1 - ab_t).sqrt() * eps) / ab_t.sqrt()).clamp(-clip_x0, clip_x0)
        mean = (ab_prev.sqrt() * beta_t * x0 + (1 - beta_t).sqrt() * (1 - ab_prev) * x_t) / (1 - ab_t)
    if noise is None:
        return mean
    var = beta_t if variance == "beta" else (1 - ab_prev) / (1 - ab_t) * beta_t
    last = _per_sample((t == 1).to(x_t.dtype), x_t)
    return mean + (1 - last) * var.sqrt() * noise


def ddim_step(x_t: Tensor, t: int | Tensor, t_prev: int | Tensor, eps: Tensor, alpha_bar: Tensor,
              eta: float = 0.0, noise: Tensor | None = None, clip_x0: float | None = None) -> Tensor:
    """One DDIM step x_t → x_{t_prev}, for any earlier t_prev (skipping steps is allowed).

    x̂_0 = (x_t − √(1 − ᾱ_t) ε) / √ᾱ_t;
    σ = η √((1 − ᾱ_prev) / (1 − ᾱ_t)) √(1 − ᾱ_t / ᾱ_prev);
    x_prev = √ᾱ_prev x̂_0 + √(1 − ᾱ_prev − σ²) ε + σ z.
    η = 0 is deterministic (DDIM); η = 1 with t_prev = t − 1 is DDPM with σ_t² = β̃_t.

    Args:
        x_t (Tensor[B, ...]): current samples.
        t (int or Tensor[B] int64): current steps in 1..T.
        t_prev (int or Tensor[B] int64): target steps in 0..t−1 (0 returns x̂_0).
        eps (Tensor[B, ...]): the model's noise prediction ε_θ(x_t, t).
        alpha_bar (Tensor[T + 1]): from :func:`alpha_bar`.
        eta (float): >= 0, the stochasticity.
        noise (Tensor[B, ...] or None): z ~ N(0, I); needed when ``eta > 0``.
        clip_x0 (float or None): clamp x̂_0 to [−c, c]; by default nothing is clipped.

    Returns:
        Tensor[B, ...]: x_{t_prev}.

    Reference: Song et al., Denoising Diffusion Implicit Models (2021), eq. 12 and eq. 16;
    cheatsheet 5 Diffusion (DDIM).
    Concepts: generative.diffusion
    """
    _check_float(x_t, "x_t", "[B, ...]", min_dim=1)
    _check_same(eps, "eps", x_t, "x_t")
    _check_schedule(alpha_bar, "alpha_bar")
    if isinstance(eta, bool) or not isinstance(eta, (int, float)) or eta < 0:
        raise ValueError(f"eta: expected a number >= 0, got {_describe(eta)}")
    if noise is not None:
        _check_same(noise, "noise", x_t, "x_t")
    elif eta > 0:
        raise ValueError("noise: expected a Tensor of the shape of x_t when eta > 0, got None")
    t = _timesteps("t", t, x_t, alpha_bar, low=1)
    t_prev = _timesteps("t_prev", t_prev, x_t, alpha_bar)
    ab_t, ab_prev = _at(alpha_bar, t, x_t), _at(alpha_bar, t_prev, x_t)
    x0 = (x_t - (1 - ab_t).sqrt() * eps) / ab_t.sqrt()
    if clip_x0 is not None:
        x0 = x0.clamp(-clip_x0, clip_x0)
    sigma = eta * ((1 - ab_prev) / (1 - ab_t) * (1 - ab_t / ab_prev)).clamp(min=0).sqrt()
    out = ab_prev.sqrt() * x0 + (1 - ab_prev - sigma.square()).clamp(min=0).sqrt() * eps
    if noise is not None:
        out = out + sigma * noise
    return out
