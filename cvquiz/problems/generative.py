"""Problem generators for the generative topic.

Natural logarithms throughout (``log`` = ln). Standard deviations are written σ and
variances σ²; the VAE prior is N(0, I); diffusion time runs t = 1..T with
ᾱ_t = Π_{s≤t} (1 − β_s), as in the lecture.
"""

from __future__ import annotations

import sympy
from sympy import Rational, log, sqrt

from cvquiz.answers import DEFAULT_TOLERANCE, Mistake, Tolerance
from cvquiz.problems.display import answer_rule, approx, as_param, exact_and_approx, factor, show
from cvquiz.problems.mistakes import distinct_mistakes, reject_near_boundary
from cvquiz.problems.registry import Draft, Redraw, Rng, option, problem
from cvquiz.text import Text, lines, same


def _vec(values) -> str:
    return "[" + ", ".join(show(v) for v in values) + "]"


def _approx_vec(values) -> str:
    return "[" + ", ".join(exact_and_approx(v) for v in values) + "]"


SIGMAS = tuple(Rational(v, 10) for v in (3, 4, 5, 6, 8, 12, 15, 20, 25))


def _latent(rng: Rng):
    z = rng.integer(2, 3)
    mu = [rng.decimal(-1.5, 1.5, 1) for _ in range(z)]
    sigma = [rng.choice(SIGMAS) for _ in range(z)]
    return mu, sigma


def _kl(mu, sigma, variance=lambda s: s**2, log_of=lambda s: s**2, log_sign=-1, half=Rational(1, 2),
        mean=lambda m: m**2):
    """KL(N(μ, σ²) ‖ N(0, 1)) summed over dimensions: ½ Σ (σ² + μ² − 1 − ln σ²).

    The logs are gathered into one, ½(Σ(σ² + μ² − 1) − ln Π σ²), so the exact answer stays short;
    the keyword arguments make the predictable mistakes.
    """
    rational = sum((variance(s) + mean(m) - 1 for m, s in zip(mu, sigma)), Rational(0))
    return half * (rational + log_sign * log(sympy.prod([log_of(s) for s in sigma])))


def _kl_terms(mu, sigma) -> list[Text]:
    out = []
    for i, (m, s) in enumerate(zip(mu, sigma), start=1):
        term = s**2 + m**2 - 1 - log(s**2)
        out.append(same(f"  dim {i}: σ² + μ² − 1 − ln σ² = {show(s**2)} + {show(m**2)} − 1 − ln {show(s**2)} "
                        f"≈ {approx(term)}"))
    return out


def _kl_mistakes(mu, sigma) -> list[tuple[sympy.Expr, Text]]:
    """The predictable wrong KLs, each with what it reveals."""
    return [
        (_kl(mu, sigma, variance=lambda s: s, log_of=lambda s: s),
         Text("σ is the standard deviation: the formula needs the variance σ² (and ln σ²).",
              "σ 是标准差：公式里要用方差 σ²（以及 ln σ²）。")),
        (_kl(mu, sigma, half=1), Text("Don't forget the factor ½ in front of the sum.", "别忘了求和前的系数 ½。")),
        (_kl(mu, sigma, log_of=lambda s: s),
         Text("The log term is ln σ² = 2 ln σ, not ln σ.", "对数项是 ln σ² = 2 ln σ，而不是 ln σ。")),
        (_kl(mu, sigma, log_sign=1),
         Text("The log term enters with a minus sign: … − ln σ².", "对数项前是减号：… − ln σ²。")),
        (_kl(mu, sigma, log_sign=0),
         Text("The log term − ln σ² is missing: each dimension is σ² + μ² − 1 − ln σ².",
              "漏了对数项 − ln σ²：每一维是 σ² + μ² − 1 − ln σ²。")),
        (_kl(mu, sigma, mean=lambda m: 0),
         Text("The mean counts too: each dimension adds μ², the cost of moving away from the prior's 0.",
              "均值也要算：每一维都加上 μ²，即偏离先验均值 0 的代价。")),
        (_kl(mu, sigma) + Rational(len(mu), 2),
         Text("Each dimension has a − 1: the KL is 0 when μ = 0 and σ = 1.", "每一维都有 − 1：μ = 0、σ = 1 时 KL 为 0。")),
    ]


@problem("gaussian_kl", topic="generative", concepts=("generative.vae",), version=1,
         title=Text("KL divergence of a Gaussian encoder to N(0, I)", "高斯编码器到 N(0, I) 的 KL 散度"))
def gaussian_kl(rng: Rng) -> Draft:
    mu, sigma = _latent(rng)
    answer = _kl(mu, sigma)
    if sympy.N(answer) < Rational(1, 20):
        raise Redraw  # a posterior that is (almost) the prior
    tolerance = DEFAULT_TOLERANCE
    reject_near_boundary(answer, tolerance)
    prompt = lines(
        Text(f"A VAE encoder outputs q(z|x) = N(μ, diag(σ²)) over a {len(mu)}-dimensional latent:",
             f"VAE 编码器对 {len(mu)} 维隐变量输出 q(z|x) = N(μ, diag(σ²))："),
        same(f"  μ = {_vec(mu)}"),
        Text(f"  σ = {_vec(sigma)}   (standard deviations)", f"  σ = {_vec(sigma)}   （标准差）"),
        Text("Compute KL(q(z|x) ‖ N(0, I)) in nats (natural log).", "求 KL(q(z|x) ‖ N(0, I))，单位 nat（自然对数）。"),
    ) + answer_rule(tolerance, Text("a number", "一个数"))
    solution = lines(
        same("KL = ½ Σᵢ (σᵢ² + μᵢ² − 1 − ln σᵢ²)"),
        *_kl_terms(mu, sigma),
        Text(f"KL = ½ × (sum) = {exact_and_approx(answer)}", f"KL = ½ × (求和) = {exact_and_approx(answer)}"),
    )
    return Draft(
        params={"mu": [as_param(m) for m in mu], "sigma": [as_param(s) for s in sigma]},
        prompt=prompt, answer=answer, answer_kind="number", tolerance=tolerance, solution=solution,
        hint=Text("Per dimension KL = ½(σ² + μ² − 1 − ln σ²); add the dimensions.",
                  "每一维 KL = ½(σ² + μ² − 1 − ln σ²)；各维相加。"),
        mistakes=distinct_mistakes(answer, tolerance, _kl_mistakes(mu, sigma)),
    )


#: The ELBO part's rule. A KL accepted under DEFAULT_TOLERANCE is off by at most 0.5 % of a KL
#: below 9 nats (< 0.045), so an ELBO computed from it, rounded to two decimals, stays inside.
ELBO_TOLERANCE = Tolerance(abs=0.05)


def _clear_of(value, others, tolerance: Tolerance) -> bool:
    """Whether ``value`` lies more than twice the ``abs`` tolerance from each of ``others``."""
    return all(abs(float(sympy.N(value - o, 20))) > 2 * tolerance.abs for o in others)


@problem("elbo", topic="generative", concepts=("generative.vae",), version=2,
         title=Text("The ELBO of one example", "单个样本的 ELBO"))
def elbo(rng: Rng) -> Draft:
    mu, sigma = _latent(rng)
    recon = -rng.decimal(20, 120, 1)
    kl = _kl(mu, sigma)
    if sympy.N(kl) < Rational(1, 20):
        raise Redraw  # a posterior that is (almost) the prior
    answer = recon - kl
    reject_near_boundary(kl, DEFAULT_TOLERANCE)
    reject_near_boundary(answer, ELBO_TOLERANCE)
    prompt = lines(
        Text(f"A VAE encodes an image x as q(z|x) = N(μ, diag(σ²)) over a {len(mu)}-dimensional latent, prior N(0, I):",
             f"VAE 把图像 x 编码为 q(z|x) = N(μ, diag(σ²))，隐变量 {len(mu)} 维，先验 N(0, I)："),
        same(f"  μ = {_vec(mu)}"),
        Text(f"  σ = {_vec(sigma)}   (standard deviations)", f"  σ = {_vec(sigma)}   （标准差）"),
        Text(f"The decoder's reconstruction log-likelihood is E_q[log p(x|z)] = {show(recon)} nats.",
             f"解码器的重建对数似然 E_q[log p(x|z)] = {show(recon)} nat。"),
        Text("Give (kl) the KL term KL(q(z|x) ‖ N(0, I)), then (elbo) the ELBO, both in nats (natural log).",
             "先给出 (kl) KL 项 KL(q(z|x) ‖ N(0, I))，再给出 (elbo) ELBO，单位都是 nat（自然对数）。"),
        Text(f"(Answer: two numbers, asked in turn; kl {DEFAULT_TOLERANCE.describe().en}; "
             f"elbo {ELBO_TOLERANCE.describe().en}.)",
             f"（答案要求：依次回答两个数；kl {DEFAULT_TOLERANCE.describe().zh}；"
             f"elbo {ELBO_TOLERANCE.describe().zh}。）"),
    )
    solution = lines(
        same("ELBO = E_q[log p(x|z)] − KL(q(z|x) ‖ N(0, I)),  KL = ½ Σᵢ (σᵢ² + μᵢ² − 1 − ln σᵢ²)"),
        *_kl_terms(mu, sigma),
        same(f"KL = {exact_and_approx(kl)}"),
        same(f"ELBO = {show(recon)} − ({show(kl)}) ≈ {show(recon)} − {approx(kl)} ≈ {approx(answer, 5)}"),
        Text(f"(The training loss is −ELBO ≈ {approx(-answer, 5)}.)",
             f"（训练损失是 −ELBO ≈ {approx(-answer, 5)}。）"),
    )
    # A wrong KL is told on the KL part; on the ELBO part only where it moves the ELBO clearly
    # outside the ELBO's own tolerance (and clearly apart from the other listed ELBOs).
    elbo_only = [
        (recon + kl, Text("The KL term is subtracted: ELBO = reconstruction − KL.", "KL 项是减去的：ELBO = 重建项 − KL。")),
        (-answer, Text("That is the loss (−ELBO) a VAE minimizes; the ELBO itself is reconstruction − KL.",
                       "这是 VAE 最小化的损失 (−ELBO)；ELBO 本身是重建项 − KL。")),
    ]
    taken = [answer]
    mistakes = []
    for value, feedback in elbo_only:
        if _clear_of(value, taken, ELBO_TOLERANCE):
            taken.append(value)
            mistakes.append(Mistake({"elbo": value}, feedback))
    for m in distinct_mistakes(kl, DEFAULT_TOLERANCE, _kl_mistakes(mu, sigma)):
        parts = {"kl": m.answer}
        if _clear_of(recon - m.answer, taken, ELBO_TOLERANCE):
            taken.append(recon - m.answer)
            parts["elbo"] = recon - m.answer
        mistakes.append(Mistake(parts, m.feedback))
    return Draft(
        params={"mu": [as_param(m) for m in mu], "sigma": [as_param(s) for s in sigma],
                "recon_log_likelihood": as_param(recon)},
        prompt=prompt, answer={"kl": kl, "elbo": answer}, answer_kind="mapping",
        parts_kind={"kl": "number", "elbo": "number"},
        tolerance=DEFAULT_TOLERANCE, part_tolerances={"elbo": ELBO_TOLERANCE}, solution=solution,
        hint=Text("Compute the KL to N(0, I) in closed form, then subtract it from the reconstruction log-likelihood.",
                  "先用闭式公式算到 N(0, I) 的 KL，再从重建对数似然中减去。"),
        mistakes=tuple(mistakes),
    )


GAN_LOSSES = ("discriminator", "generator_minimax", "generator_nonsaturating")


def _mean_log(values) -> sympy.Expr:
    """(1/n) Σ ln vᵢ, written as one log, ln(Π vᵢ)/n, to keep the exact answer short."""
    return log(sympy.prod(values)) / len(values)


@problem("gan_losses", topic="generative", concepts=("generative.gan", "generative.nonsaturating"), version=1,
         title=Text("GAN losses for given discriminator outputs", "给定判别器输出时的 GAN 损失"), options=("loss",))
def gan_losses(rng: Rng, loss: str | None = None) -> Draft:
    loss = option(rng, "loss", loss, GAN_LOSSES)
    m = rng.integer(2, 3)
    d_real = [Rational(rng.integer(55, 95), 100) for _ in range(m)]
    d_fake = [Rational(rng.integer(5, 45), 100) for _ in range(m)]
    one_minus = [1 - d for d in d_fake]
    l_real, l_fake_d, l_fake_g = _mean_log(d_real), _mean_log(one_minus), _mean_log(d_fake)
    values = {
        "discriminator": -(l_real + l_fake_d),
        "generator_minimax": l_fake_d,
        "generator_nonsaturating": -l_fake_g,
    }
    answer = values[loss]
    tolerance = DEFAULT_TOLERANCE
    reject_near_boundary(answer, tolerance)
    what = {
        "discriminator": Text("the discriminator's loss L_D = −[mean log D(x) + mean log(1 − D(G(z)))]",
                              "判别器损失 L_D = −[mean log D(x) + mean log(1 − D(G(z)))]"),
        "generator_minimax": Text("the generator's minimax loss L_G = mean log(1 − D(G(z))) (which G minimizes)",
                                  "生成器的极小极大损失 L_G = mean log(1 − D(G(z)))（G 最小化它）"),
        "generator_nonsaturating": Text("the generator's non-saturating loss L_G = −mean log D(G(z))",
                                        "生成器的非饱和损失 L_G = −mean log D(G(z))"),
    }[loss]
    prompt = lines(
        Text(f"A GAN discriminator outputs probabilities D(·) = P(real) on a batch of {m} real and {m} generated images:",
             f"GAN 的判别器对一批 {m} 张真实图像和 {m} 张生成图像输出 D(·) = P(真实)："),
        same(f"  D(x)    = {_vec(d_real)}"),
        same(f"  D(G(z)) = {_vec(d_fake)}"),
        Text(f"Compute {what.en}, with natural logs and means over the batch.",
             f"求{what.zh}，用自然对数，对批次取平均。"),
    ) + answer_rule(tolerance, Text("a number", "一个数"))
    logs_real = " + ".join(f"ln {show(d)}" for d in d_real)
    logs_fake_d = " + ".join(f"ln {show(d)}" for d in one_minus)
    logs_fake_g = " + ".join(f"ln {show(d)}" for d in d_fake)
    steps = {
        "discriminator": [
            same(f"mean log D(x) = ({logs_real})/{m} = {approx_text(l_real)}"),
            same(f"mean log(1 − D(G(z))) = ({logs_fake_d})/{m} = {approx_text(l_fake_d)}"),
            same(f"L_D = −({approx_text(l_real)} + {approx_text(l_fake_d)}) = {approx_text(answer)}"),
        ],
        "generator_minimax": [
            same(f"1 − D(G(z)) = {_vec(one_minus)}"),
            same(f"L_G = ({logs_fake_d})/{m} = {approx_text(answer)}"),
        ],
        "generator_nonsaturating": [
            same(f"L_G = −({logs_fake_g})/{m} = {approx_text(answer)}"),
        ],
    }[loss]
    candidates = {
        "discriminator": [
            (l_real + l_fake_d, Text("The loss is the negative of the log-likelihood D maximizes, so it is positive.",
                                     "损失是 D 要最大化的对数似然取负，因此是正数。")),
            (-(l_real + l_fake_g), Text("For generated images D should say fake: use log(1 − D(G(z))), not log D(G(z)).",
                                        "对生成图像 D 应判为假：用 log(1 − D(G(z)))，而不是 log D(G(z))。")),
            (m * values["discriminator"], Text("Average over the batch instead of summing.", "对批次取平均，而不是求和。")),
            (values["discriminator"] / 2, Text("Each of the two terms is a mean over its own half of the batch; do not halve the total.",
                                               "两项各自对自己那一半批次取平均；不要再把总和除以 2。")),
        ],
        "generator_minimax": [
            (-l_fake_d, Text("In the minimax game G minimizes log(1 − D(G(z))) itself; it is negative.",
                             "极小极大博弈中 G 最小化的就是 log(1 − D(G(z)))，它是负数。")),
            (-l_fake_g, Text("That is the non-saturating loss −log D(G(z)); the minimax loss uses log(1 − D(G(z))).",
                             "这是非饱和损失 −log D(G(z))；极小极大损失用的是 log(1 − D(G(z)))。")),
            (l_fake_g, Text("Use 1 − D(G(z)) inside the log.", "对数里是 1 − D(G(z))。")),
        ],
        "generator_nonsaturating": [
            (l_fake_g, Text("G maximizes log D(G(z)), so the loss it minimizes is −log D(G(z)) (positive).",
                            "G 最大化 log D(G(z))，所以它最小化的损失是 −log D(G(z))（正数）。")),
            (l_fake_d, Text("That is the saturating minimax loss log(1 − D(G(z))).", "这是会饱和的极小极大损失 log(1 − D(G(z)))。")),
            (-l_fake_d, Text("The non-saturating loss uses D(G(z)) itself: −log D(G(z)).", "非饱和损失直接用 D(G(z))：−log D(G(z))。")),
        ],
    }[loss]
    return Draft(
        params={"d_real": [as_param(d) for d in d_real], "d_fake": [as_param(d) for d in d_fake], "loss": loss,
                "case": {"discriminator": "discriminator loss", "generator_minimax": "generator, minimax loss",
                         "generator_nonsaturating": "generator, non-saturating loss"}.get(loss, loss)},
        prompt=prompt, answer=answer, answer_kind="number", tolerance=tolerance, solution=lines(*steps),
        hint=Text("D(x) is the probability of 'real'; a generated image should get 1 − D(G(z)) from D's point of view.",
                  "D(x) 是“真实”的概率；从 D 的角度看，生成图像应得到 1 − D(G(z))。"),
        mistakes=distinct_mistakes(answer, tolerance, candidates),
    )


def approx_text(x) -> str:
    """A short decimal for a worked step: exact when it is a short decimal, else 4 significant figures."""
    x = sympy.sympify(x)
    if x.is_Rational:
        exact = show(x)
        if "/" not in exact and len(exact) <= 7:
            return exact
    return approx(x)


WRT = ("D", "logit")


@problem("nonsaturating_grad", topic="generative", concepts=("generative.nonsaturating",), version=2,
         title=Text("Saturating vs non-saturating generator gradients", "饱和与非饱和生成器损失的梯度"), options=("wrt",))
def nonsaturating_grad(rng: Rng, wrt: str | None = None) -> Draft:
    wrt = option(rng, "wrt", wrt, WRT)
    d = Rational(rng.integer(1, 20), 100)
    by_d = [1 / (1 - d), 1 / d]
    by_logit = [d, 1 - d]
    answer = by_d if wrt == "D" else by_logit
    tolerance = DEFAULT_TOLERANCE
    reject_near_boundary(answer, tolerance)
    wrt_text = (Text("with respect to the discriminator output D = D(G(z))", "对判别器输出 D = D(G(z)) ")
                if wrt == "D" else
                Text("with respect to the discriminator's logit a, where D = σ(a)",
                     "对判别器的 logit a（D = σ(a)）"))
    prompt = lines(
        Text(f"Early in training the discriminator easily rejects a generated image: D(G(z)) = {show(d)}.",
             f"训练初期判别器很容易识破生成图像：D(G(z)) = {show(d)}。"),
        Text(f"Give the gradient magnitudes {wrt_text.en} of (1) the minimax loss log(1 − D) and "
             "(2) the non-saturating loss −log D.",
             f"分别求 (1) 极小极大损失 log(1 − D) 与 (2) 非饱和损失 −log D {wrt_text.zh}的梯度，给出其大小（绝对值）。"),
    ) + answer_rule(tolerance, Text("[|grad of log(1 − D)|, |grad of −log D|]", "[|log(1 − D) 的梯度|, |−log D 的梯度|]"))
    if wrt == "D":
        steps = [same(f"d/dD log(1 − D) = −1/(1 − D) → |·| = 1/{show(1 - d)} = {exact_and_approx(by_d[0])}"),
                 same(f"d/dD (−log D) = −1/D → |·| = 1/{show(d)} = {exact_and_approx(by_d[1])}")]
    else:
        steps = [same("dD/da = σ(a)(1 − σ(a)) = D(1 − D)"),
                 same(f"d/da log(1 − D) = −D(1 − D)/(1 − D) = −D → |·| = {show(d)}"),
                 same(f"d/da (−log D) = −D(1 − D)/D = −(1 − D) → |·| = {show(1 - d)}")]
    steps.append(Text("The minimax loss gives G almost no signal when D is confident; the non-saturating one gives a strong one.",
                      "D 很自信时，极小极大损失几乎不给 G 梯度；非饱和损失则给出很强的梯度。"))
    other = by_logit if wrt == "D" else by_d
    candidates = [
        (answer[::-1], Text("The order is swapped: first log(1 − D), then −log D.", "顺序反了：先 log(1 − D)，再 −log D。")),
        (other, Text("Check the variable: " + ("differentiate with respect to D itself." if wrt == "D" else
                                               "apply the chain rule through D = σ(a), dD/da = D(1 − D)."),
                     "注意求导变量：" + ("直接对 D 求导。" if wrt == "D" else "要经过 D = σ(a) 用链式法则，dD/da = D(1 − D)。"))),
    ]
    return Draft(
        params={"d_fake": as_param(d), "wrt": wrt},
        prompt=prompt, answer=answer, answer_kind="vector", tolerance=tolerance, solution=lines(*steps),
        hint=Text("d/dD log(1 − D) = −1/(1 − D) and d/dD log D = 1/D; for the logit multiply by D(1 − D).",
                  "d/dD log(1 − D) = −1/(1 − D)，d/dD log D = 1/D；对 logit 求导再乘 D(1 − D)。"),
        mistakes=distinct_mistakes(answer, tolerance, candidates),
    )


COVARIANCES = ("diagonal", "full")


def _matrix(rng: Rng, kind: str):
    if kind == "diagonal":
        return [[rng.integer(1, 9), 0], [0, rng.integer(1, 9)]]
    a, c = rng.integer(1, 6), rng.integer(1, 6)
    b = rng.choice((-2, -1, 1, 2))
    return [[a, b], [b, c]]


def _mat_text(m) -> str:
    return "[[" + ", ".join(map(str, m[0])) + "], [" + ", ".join(map(str, m[1])) + "]]"


@problem("fid", topic="generative", concepts=("generative.evaluation",), version=1,
         title=Text("Fréchet distance of two 2-D Gaussians", "两个二维高斯的 Fréchet 距离（FID）"), options=("covariance",))
def fid(rng: Rng, covariance: str | None = None) -> Draft:
    covariance = option(rng, "covariance", covariance, COVARIANCES)
    mu1 = [rng.integer(-3, 3), rng.integer(-3, 3)]
    mu2 = [rng.integer(-3, 3), rng.integer(-3, 3)]
    s1, s2 = _matrix(rng, covariance), _matrix(rng, covariance)
    m1, m2 = sympy.Matrix(s1), sympy.Matrix(s2)
    if m1.det() <= 0 or m2.det() <= 0:
        raise Redraw  # singular or not a covariance
    if m1 == m2 and mu1 == mu2:
        raise Redraw
    product = m1 * m2
    # For 2×2 M with eigenvalues λ₁, λ₂ ≥ 0: (√λ₁ + √λ₂)² = tr M + 2√det M, so
    # Tr √M = √(tr M + 2√det M) exactly.
    root_det = sqrt(m1.det() * m2.det())
    tr_sqrt = sympy.sqrtdenest(sqrt(product.trace() + 2 * root_det))
    dmu = sum(((a - b) ** 2 for a, b in zip(mu1, mu2)), sympy.Integer(0))
    answer = dmu + m1.trace() + m2.trace() - 2 * tr_sqrt
    if sympy.N(answer) < Rational(1, 10):
        raise Redraw
    tolerance = DEFAULT_TOLERANCE
    reject_near_boundary(answer, tolerance)
    prompt = lines(
        Text("Inception features of real and generated images are summarized by two 2-D Gaussians:",
             "真实图像与生成图像的 Inception 特征分别用两个二维高斯概括："),
        same(f"  μ₁ = {_vec(mu1)},  Σ₁ = {_mat_text(s1)}"),
        same(f"  μ₂ = {_vec(mu2)},  Σ₂ = {_mat_text(s2)}"),
        Text("Compute FID = ‖μ₁ − μ₂‖² + Tr(Σ₁ + Σ₂ − 2(Σ₁Σ₂)^½).",
             "求 FID = ‖μ₁ − μ₂‖² + Tr(Σ₁ + Σ₂ − 2(Σ₁Σ₂)^½)。"),
    ) + answer_rule(tolerance, Text("a number", "一个数"))
    p = product.tolist()
    steps = [
        same(f"‖μ₁ − μ₂‖² = {' + '.join(f'({a} − {factor(b)})²' for a, b in zip(mu1, mu2))} = {dmu}"),
        same(f"Tr Σ₁ + Tr Σ₂ = {m1.trace()} + {m2.trace()} = {m1.trace() + m2.trace()}"),
        same(f"Σ₁Σ₂ = {_mat_text(p)}"),
    ]
    if covariance == "diagonal":
        steps.append(Text(f"Both are diagonal, so (Σ₁Σ₂)^½ takes the square root of each diagonal entry: "
                          f"Tr = √{p[0][0]} + √{p[1][1]} = {exact_and_approx(tr_sqrt)}",
                          f"两个都是对角阵，(Σ₁Σ₂)^½ 就是对角元素各自开方：Tr = √{p[0][0]} + √{p[1][1]} = {exact_and_approx(tr_sqrt)}"))
    else:
        steps.append(Text(f"For a 2×2 matrix with eigenvalues λ₁, λ₂: Tr √M = √λ₁ + √λ₂ = √(tr M + 2√det M). "
                          f"tr = {product.trace()}, det = det Σ₁ · det Σ₂ = {m1.det()}·{m2.det()} = {product.det()}, "
                          f"so Tr(Σ₁Σ₂)^½ = √({product.trace()} + 2√{product.det()}) = {exact_and_approx(tr_sqrt)}",
                          f"对 2×2 矩阵（特征值 λ₁, λ₂）：Tr √M = √λ₁ + √λ₂ = √(tr M + 2√det M)。"
                          f"tr = {product.trace()}，det = det Σ₁ · det Σ₂ = {m1.det()}·{m2.det()} = {product.det()}，"
                          f"所以 Tr(Σ₁Σ₂)^½ = √({product.trace()} + 2√{product.det()}) = {exact_and_approx(tr_sqrt)}"))
    steps.append(same(f"FID = {dmu} + {m1.trace() + m2.trace()} − 2·{approx_text(tr_sqrt)} = {exact_and_approx(answer)}"))
    base = dmu + m1.trace() + m2.trace()
    diag_root = (sqrt(p[0][0]) + sqrt(p[1][1])) if p[0][0] >= 0 and p[1][1] >= 0 else None
    candidates = [
        (base - 2 * sqrt(product.trace()),
         Text("Tr(√M) is not √(Tr M): take the matrix square root first (its eigenvalues' roots), then the trace.",
              "Tr(√M) 不等于 √(Tr M)：要先求矩阵平方根（特征值开方），再求迹。")),
        (base - 2 * product.trace(), Text("The cross term is the trace of the square root of Σ₁Σ₂, not of Σ₁Σ₂ itself.",
                                          "交叉项是 Σ₁Σ₂ 的平方根的迹，而不是 Σ₁Σ₂ 本身的迹。")),
        (base - tr_sqrt, Text("The cross term is −2·Tr(Σ₁Σ₂)^½: don't drop the 2.", "交叉项是 −2·Tr(Σ₁Σ₂)^½：别漏了系数 2。")),
        (sqrt(dmu) + m1.trace() + m2.trace() - 2 * tr_sqrt,
         Text("The mean term is the squared distance ‖μ₁ − μ₂‖², not the distance.", "均值项是距离的平方 ‖μ₁ − μ₂‖²，不是距离本身。")),
        (base - 2 * diag_root if diag_root is not None and covariance == "full" else None,
         Text("A matrix square root is not the square root of each entry; for a full matrix use the eigenvalues.",
              "矩阵平方根不是逐元素开方；非对角矩阵要用特征值。")),
    ]
    return Draft(
        params={"mu1": mu1, "mu2": mu2, "sigma1": s1, "sigma2": s2, "covariance": covariance},
        prompt=prompt, answer=answer, answer_kind="number", tolerance=tolerance, solution=lines(*steps),
        hint=Text("For a 2×2 matrix M with non-negative eigenvalues, Tr √M = √(tr M + 2√det M).",
                  "对特征值非负的 2×2 矩阵 M，Tr √M = √(tr M + 2√det M)。"),
        mistakes=distinct_mistakes(answer, tolerance, candidates),
    )


SCHEDULES = ("listed", "linear")


@problem("ddpm_alpha_bar", topic="generative", concepts=("generative.diffusion",), version=1,
         title=Text("ᾱ_t of a DDPM noise schedule", "DDPM 噪声日程的 ᾱ_t"), options=("schedule",))
def ddpm_alpha_bar(rng: Rng, schedule: str | None = None) -> Draft:
    schedule = option(rng, "schedule", schedule, SCHEDULES)
    T = rng.integer(4, 6)
    if schedule == "listed":
        betas = [Rational(rng.integer(1, 30), 100) for _ in range(T)]
    else:
        start, step = Rational(rng.integer(1, 10), 100), Rational(rng.integer(1, 10), 100)
        betas = [start + step * i for i in range(T)]
        if betas[-1] >= Rational(1, 2):
            raise Redraw
    t = rng.integer(3, T)
    alphas = [1 - b for b in betas]
    answer = sympy.prod(alphas[:t])
    tolerance = DEFAULT_TOLERANCE
    reject_near_boundary(answer, tolerance)
    if schedule == "listed":
        given = same(f"  β = {_vec(betas)}   (β₁ … β_{T})")
    else:
        given = Text(f"  a linear schedule with T = {T}: β₁ = {show(betas[0])}, β_T = {show(betas[-1])} "
                     f"(β_t = β₁ + (t − 1)(β_T − β₁)/(T − 1))",
                     f"  线性日程，T = {T}：β₁ = {show(betas[0])}，β_T = {show(betas[-1])}"
                     f"（β_t = β₁ + (t − 1)(β_T − β₁)/(T − 1)）")
    prompt = lines(
        Text("A DDPM forward process adds noise with variances β_t, t = 1..T:", "DDPM 的前向过程按方差 β_t（t = 1..T）加噪："),
        given,
        Text(f"Compute ᾱ_{t} = Π_(s=1..{t}) (1 − β_s), the fraction of the signal's variance left in x_{t}.",
             f"求 ᾱ_{t} = Π_(s=1..{t}) (1 − β_s)，即 x_{t} 中保留的信号方差比例。"),
    ) + answer_rule(tolerance, Text("a number", "一个数"))
    steps = []
    if schedule == "linear":
        steps.append(same(f"β = {_vec(betas)}"))
    steps += [
        same(f"α_s = 1 − β_s: {_vec(alphas[:t])}"),
        same(f"ᾱ_{t} = {' · '.join(show(a) for a in alphas[:t])} = {exact_and_approx(answer)}"),
    ]
    candidates = [
        (1 - sum(betas[:t], Rational(0)), Text("Noise compounds: multiply the (1 − β_s), do not subtract the β's.",
                                              "噪声是累乘的：把各 (1 − β_s) 相乘，而不是减去 β 之和。")),
        (sympy.prod(betas[:t]), Text("ᾱ multiplies the α_s = 1 − β_s, not the β_s.", "ᾱ 是 α_s = 1 − β_s 的连乘，而不是 β_s 的。")),
        (sympy.prod(alphas[:t - 1]), Text(f"The product runs over s = 1..{t}, including step {t}.", f"连乘范围是 s = 1..{t}，包括第 {t} 步。")),
        (alphas[t - 1], Text("That is α_t of one step; ᾱ_t is the product over all steps up to t.", "这只是单步的 α_t；ᾱ_t 是到 t 为止所有步的连乘。")),
        (sympy.prod(alphas) if t < T else None, Text(f"Stop at s = {t}; the steps after t do not matter.", f"乘到 s = {t} 为止；t 之后的步不参与。")),
    ]
    return Draft(
        params={"betas": [as_param(b) for b in betas], "t": t, "schedule": schedule},
        prompt=prompt, answer=answer, answer_kind="number", tolerance=tolerance, solution=lines(*steps),
        hint=Text("ᾱ_t = α₁·α₂·…·α_t with α_s = 1 − β_s.", "ᾱ_t = α₁·α₂·…·α_t，其中 α_s = 1 − β_s。"),
        mistakes=distinct_mistakes(answer, tolerance, candidates),
    )


# ᾱ values with whole square roots (3-4-5 and 7-24-25 triangles) and a few without.
ALPHA_BARS = tuple(Rational(v, 10000) for v in (3600, 6400, 784, 9216, 5000, 9000, 1000, 9900))


@problem("q_sample", topic="generative", concepts=("generative.diffusion",), version=1,
         title=Text("Sample x_t from q(x_t | x_0)", "从 q(x_t | x_0) 采样 x_t"))
def q_sample(rng: Rng) -> Draft:
    alpha_bar = rng.choice(ALPHA_BARS)
    n = 3
    x0 = [rng.decimal(-1, 1, 1) for _ in range(n)]
    eps = [rng.decimal(-2, 2, 1) for _ in range(n)]
    a, b = sqrt(alpha_bar), sqrt(1 - alpha_bar)
    answer = [a * x + b * e for x, e in zip(x0, eps)]
    if any(abs(sympy.N(v)) < Rational(1, 20) for v in answer):
        raise Redraw  # relative tolerance is meaningless at 0
    tolerance = DEFAULT_TOLERANCE
    reject_near_boundary(answer, tolerance)
    prompt = lines(
        Text(f"In a DDPM, ᾱ_t = {show(alpha_bar)} at some step t. For the clean sample x₀ and the noise ε:",
             f"DDPM 中某一步 t 的 ᾱ_t = {show(alpha_bar)}。已知干净样本 x₀ 与噪声 ε："),
        same(f"  x₀ = {_vec(x0)}"),
        same(f"  ε  = {_vec(eps)}"),
        Text("compute x_t = √ᾱ_t·x₀ + √(1 − ᾱ_t)·ε.", "求 x_t = √ᾱ_t·x₀ + √(1 − ᾱ_t)·ε。"),
    ) + answer_rule(tolerance, Text("three numbers as a list", "三个数的列表"))
    steps = [
        same(f"√ᾱ_t = √{show(alpha_bar)} = {exact_and_approx(a)},  √(1 − ᾱ_t) = √{show(1 - alpha_bar)} = {exact_and_approx(b)}"),
        *[same(f"  {approx_text(a)}·{factor(x)} + {approx_text(b)}·{factor(e)} = {exact_and_approx(v)}")
          for x, e, v in zip(x0, eps, answer)],
        same(f"x_t = {_approx_vec(answer)}"),
    ]
    candidates = [
        ([alpha_bar * x + (1 - alpha_bar) * e for x, e in zip(x0, eps)],
         Text("ᾱ_t and 1 − ᾱ_t are variances; the coefficients are their square roots.", "ᾱ_t 与 1 − ᾱ_t 是方差；系数要取平方根。")),
        ([b * x + a * e for x, e in zip(x0, eps)],
         Text("√ᾱ_t scales the signal x₀ and √(1 − ᾱ_t) scales the noise, not the other way round.",
              "√ᾱ_t 乘信号 x₀，√(1 − ᾱ_t) 乘噪声，不要反过来。")),
        ([a * x + (1 - alpha_bar) * e for x, e in zip(x0, eps)],
         Text("The noise coefficient is √(1 − ᾱ_t), the noise's standard deviation.", "噪声系数是 √(1 − ᾱ_t)，即噪声的标准差。")),
        ([a * x + (1 - a) * e for x, e in zip(x0, eps)],
         Text("The two coefficients are √ᾱ_t and √(1 − ᾱ_t): their squares, not themselves, add up to 1.",
              "两个系数是 √ᾱ_t 与 √(1 − ᾱ_t)：是它们的平方和为 1，而不是它们本身。")),
    ]
    return Draft(
        params={"alpha_bar": as_param(alpha_bar), "x0": [as_param(x) for x in x0], "noise": [as_param(e) for e in eps]},
        prompt=prompt, answer=answer, answer_kind="vector", tolerance=tolerance, solution=lines(*steps),
        hint=Text("The signal keeps variance ᾱ_t and the noise fills the rest, 1 − ᾱ_t; scale by the square roots.",
                  "信号保留方差 ᾱ_t，噪声占其余的 1 − ᾱ_t；系数是它们的平方根。"),
        mistakes=distinct_mistakes(answer, tolerance, candidates),
    )


GIVEN = ("sigma", "logvar")


@problem("reparameterize", topic="generative", concepts=("generative.vae",), version=1,
         title=Text("The reparameterization trick", "重参数化技巧"), options=("given",))
def reparameterize(rng: Rng, given: str | None = None) -> Draft:
    given = option(rng, "given", given, GIVEN)
    n = rng.integer(2, 3)
    mu = [rng.decimal(-1.5, 1.5, 1) for _ in range(n)]
    eps = [rng.decimal(-2, 2, 1) for _ in range(n)]
    if given == "sigma":
        sigma = [rng.choice(SIGMAS) for _ in range(n)]
        shown = Text(f"  σ = {_vec(sigma)}   (standard deviations)", f"  σ = {_vec(sigma)}   （标准差）")
    else:
        logvar = [sympy.Integer(rng.integer(-3, 2)) for _ in range(n)]
        sigma = [sympy.exp(lv / 2) for lv in logvar]
        shown = Text(f"  log σ² = {_vec(logvar)}   (log-variances, natural log)", f"  log σ² = {_vec(logvar)}   （对数方差，自然对数）")
    answer = [m + s * e for m, s, e in zip(mu, sigma, eps)]
    if any(abs(sympy.N(v)) < Rational(1, 20) for v in answer):
        raise Redraw
    tolerance = DEFAULT_TOLERANCE
    reject_near_boundary(answer, tolerance)
    prompt = lines(
        Text("A VAE encoder outputs, for one image,", "VAE 编码器对一张图像输出"),
        same(f"  μ = {_vec(mu)}"),
        shown,
        Text(f"and the noise drawn from N(0, I) is ε = {_vec(eps)}. Compute the latent sample z by the reparameterization trick.",
             f"从 N(0, I) 采得的噪声为 ε = {_vec(eps)}。用重参数化技巧求隐变量样本 z。"),
    ) + answer_rule(tolerance, Text(f"{n} numbers as a list", f"{n} 个数的列表"))
    steps = [same("z = μ + σ ⊙ ε")]
    if given == "logvar":
        steps.append(same(f"σ = exp(½ log σ²) = [{', '.join(exact_and_approx(s) for s in sigma)}]"))
    steps += [same(f"  {show(m)} + {approx_text(s)}·{factor(e)} = {exact_and_approx(v)}") for m, s, e, v in zip(mu, sigma, eps, answer)]
    steps.append(same(f"z = {_approx_vec(answer)}"))
    if given == "sigma":
        candidates = [
            ([m + s**2 * e for m, s, e in zip(mu, sigma, eps)],
             Text("Scale ε by the standard deviation σ, not by the variance σ².", "ε 乘的是标准差 σ，而不是方差 σ²。")),
            ([s + m * e for m, s, e in zip(mu, sigma, eps)],
             Text("μ is the shift and σ the scale: z = μ + σ·ε.", "μ 是平移，σ 是缩放：z = μ + σ·ε。")),
        ]
    else:
        candidates = [
            ([m + lv * e for m, lv, e in zip(mu, logvar, eps)],
             Text("The encoder gives log σ², not σ: σ = exp(½ log σ²).", "编码器给的是 log σ²，不是 σ：σ = exp(½ log σ²)。")),
            ([m + sympy.exp(lv) * e for m, lv, e in zip(mu, logvar, eps)],
             Text("exp(log σ²) is the variance; the scale is its square root, exp(½ log σ²).",
                  "exp(log σ²) 是方差；缩放系数是它的平方根 exp(½ log σ²)。")),
        ]
    return Draft(
        params={"mu": [as_param(m) for m in mu], "noise": [as_param(e) for e in eps], "given": given,
                "case": "given sigma" if given == "sigma" else "given log-variance",
                **({"sigma": [as_param(s) for s in sigma]} if given == "sigma" else {"logvar": [as_param(v) for v in logvar]})},
        prompt=prompt, answer=answer, answer_kind="vector", tolerance=tolerance, solution=lines(*steps),
        hint=Text("z = μ + σ ⊙ ε, where σ is the standard deviation.", "z = μ + σ ⊙ ε，其中 σ 是标准差。"),
        mistakes=distinct_mistakes(answer, tolerance, candidates),
    )
