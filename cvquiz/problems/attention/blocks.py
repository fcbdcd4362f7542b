"""Attention problems about the rest of a transformer block: LayerNorm, RMSNorm, SwiGLU,
mixture of experts, and ViT tokens.
"""

from __future__ import annotations

import sympy

from cvquiz.answers import DEFAULT_TOLERANCE
from cvquiz.errors import ProblemError
from cvquiz.problems.display import (
    NUMBER, SHAPE, VECTOR, WHOLE, answer_rule, approx, approx_vector, as_param, exact_and_approx, show,
    vector,
)
from cvquiz.problems.mistakes import distinct_mistakes, listed, reject_long, reject_near_boundary
from cvquiz.problems.registry import Draft, Redraw, Rng, option, problem
from cvquiz.text import Text


# ---------------------------------------------------------------------------------------
# normalisation layers

@problem("layernorm", topic="attention", concepts=("attention.transformer_block",), version=1,
         title=Text("LayerNorm of a small vector", "小向量的 LayerNorm"), options=("affine",))
def layernorm(rng: Rng, affine: bool | None = None) -> Draft:
    affine = option(rng, "affine", affine, (True, False))
    D = rng.integer(3, 5)
    x = [sympy.Integer(rng.integer(-3, 6)) for _ in range(D)]
    gamma = [sympy.Integer(rng.integer(1, 3)) for _ in range(D)] if affine else [sympy.Integer(1)] * D
    beta = [rng.decimal(-1, 1, 1) for _ in range(D)] if affine else [sympy.Integer(0)] * D
    mu = sum(x) / D
    var = sum((v - mu) ** 2 for v in x) / D
    if var == 0 or (affine and all(g == 1 for g in gamma) and all(b == 0 for b in beta)):
        raise Redraw
    sd = sympy.sqrt(var)
    answer = [g * (v - mu) / sd + b for v, g, b in zip(x, gamma, beta)]
    tolerance = DEFAULT_TOLERANCE
    reject_near_boundary(answer, tolerance)
    reject_long(answer)
    affine_en = f" with γ = {vector(gamma)} and β = {vector(beta)}" if affine else " with γ = 1 and β = 0"
    affine_zh = f"，γ = {vector(gamma)}，β = {vector(beta)}" if affine else "，γ = 1，β = 0"
    prompt = Text(
        f"Apply LayerNorm to the token x = {vector(x)}{affine_en}, eps = 0: y = γ ⊙ (x − μ)/σ + β, where μ "
        f"and σ² are the mean and the (biased, divide-by-D) variance over the vector. Give y.",
        f"对词元向量 x = {vector(x)} 做 LayerNorm{affine_zh}，eps = 0：y = γ ⊙ (x − μ)/σ + β，其中 μ 和 σ² "
        f"是该向量的均值和（有偏、除以 D 的）方差。求 y。")
    devs = vector([v - mu for v in x])
    mean_text = f"({' + '.join(show(v) for v in x)})/{D} = {exact_and_approx(mu)}".replace("+ -", "− ")
    tail_en = f"; then y = γ ⊙ z + β = {approx_vector(answer)}" if affine else " = y"
    tail_zh = f"；再算 y = γ ⊙ z + β = {approx_vector(answer)}" if affine else " = y"
    solution = Text(
        f"μ = {mean_text}; x − μ = {devs}; σ² = {exact_and_approx(var)}, σ = {exact_and_approx(sd)}. "
        f"z = (x − μ)/σ = {approx_vector([(v - mu) / sd for v in x])}{tail_en}.",
        f"μ = {mean_text}；x − μ = {devs}；σ² = {exact_and_approx(var)}，σ = {exact_and_approx(sd)}。"
        f"z = (x − μ)/σ = {approx_vector([(v - mu) / sd for v in x])}{tail_zh}。")
    hint = Text("Mean, then the mean of the squared deviations (divide by D), then divide by its square root.",
                "先求均值，再求偏差平方的均值（除以 D），最后除以它的平方根。")
    sd_unbiased = sympy.sqrt(sum((v - mu) ** 2 for v in x) / (D - 1))
    rms = sympy.sqrt(sum(v**2 for v in x) / D)
    candidates = [
        ([g * (v - mu) / sd_unbiased + b for v, g, b in zip(x, gamma, beta)], Text(
            f"LayerNorm uses the biased variance (divide by D = {D}), not the sample variance (D − 1).",
            f"LayerNorm 用有偏方差（除以 D = {D}），不是样本方差（除以 D − 1）。")),
        ([g * (v - mu) / var + b for v, g, b in zip(x, gamma, beta)], Text(
            "Divide by the standard deviation σ, not by the variance σ².", "要除以标准差 σ，而不是方差 σ²。")),
        ([g * v / rms + b for v, g, b in zip(x, gamma, beta)], Text(
            "That is RMSNorm: LayerNorm subtracts the mean first.", "那是 RMSNorm：LayerNorm 要先减去均值。")),
    ]
    if affine:
        candidates.append(([(v - mu) / sd for v in x], Text("Apply the scale γ and the shift β at the end.",
                                                            "最后还要乘以 γ 并加上 β。")))
        candidates.append(([g * (v - mu) / sd for v, g in zip(x, gamma)], Text("You left out the shift β.",
                                                                              "你漏掉了平移 β。")))
    mistakes = listed(distinct_mistakes(answer, tolerance, candidates))
    params = {"x": [int(v) for v in x], "gamma": [as_param(g) for g in gamma], "beta": [as_param(b) for b in beta],
              "eps": 0}
    prompt = prompt + answer_rule(tolerance, VECTOR)
    return Draft(params=params, prompt=prompt, answer=answer, answer_kind="vector", solution=solution,
                 hint=hint, tolerance=tolerance, mistakes=mistakes)


@problem("rmsnorm", topic="attention", concepts=("attention.rmsnorm",), version=1,
         title=Text("RMSNorm of a small vector", "小向量的 RMSNorm"), options=("eps",))
def rmsnorm(rng: Rng, eps: float | int | None = None) -> Draft:
    if eps is None:
        eps = sympy.Integer(0) if rng.random.random() < 0.7 else sympy.Rational(rng.choice([1, 2, 5]), 10)
    elif isinstance(eps, bool) or not isinstance(eps, (int, float)) or eps < 0:
        raise ProblemError(f"option eps: expected a number >= 0, got {eps!r}")
    else:
        eps = sympy.nsimplify(eps)
    D = rng.integer(3, 5)
    x = [sympy.Integer(rng.integer(-4, 4)) for _ in range(D)]
    gamma = [sympy.Integer(rng.integer(1, 3)) for _ in range(D)]
    ms = sum(v**2 for v in x) / D
    if ms == 0 or sum(x) == 0:
        raise Redraw  # zero-mean input would make RMSNorm and LayerNorm agree
    r = sympy.sqrt(ms + eps)
    answer = [g * v / r for v, g in zip(x, gamma)]
    tolerance = DEFAULT_TOLERANCE
    reject_near_boundary(answer, tolerance)
    reject_long(answer)
    prompt = Text(
        f"Apply RMSNorm to x = {vector(x)} with gain γ = {vector(gamma)} and eps = {show(eps)}: "
        f"y_i = γ_i · x_i / √(eps + (1/D) Σ_j x_j²). Give y.",
        f"对 x = {vector(x)} 做 RMSNorm，增益 γ = {vector(gamma)}，eps = {show(eps)}："
        f"y_i = γ_i · x_i / √(eps + (1/D) Σ_j x_j²)。求 y。")
    eps_text = f" + {show(eps)}" if eps else ""
    solution = Text(
        f"(1/D) Σ x² = {show(sum(v**2 for v in x))}/{D} = {show(ms)}; RMS = √({show(ms)}{eps_text}) ≈ {approx(r)}. "
        f"y = γ ⊙ x / RMS = {approx_vector(answer)}. No mean is subtracted.",
        f"(1/D) Σ x² = {show(sum(v**2 for v in x))}/{D} = {show(ms)}；RMS = √({show(ms)}{eps_text}) ≈ {approx(r)}。"
        f"y = γ ⊙ x / RMS = {approx_vector(answer)}。不减均值。")
    hint = Text("Root of the mean of the squares (divide by D); RMSNorm does not centre.",
                "平方的均值再开方（除以 D）；RMSNorm 不做中心化。")
    mu = sum(x) / D
    sd = sympy.sqrt(sum((v - mu) ** 2 for v in x) / D + eps)
    norm = sympy.sqrt(sum(v**2 for v in x) + eps)
    candidates = [
        ([g * (v - mu) / sd for v, g in zip(x, gamma)], Text(
            "You subtracted the mean (that is LayerNorm); RMSNorm only rescales.",
            "你减去了均值（那是 LayerNorm）；RMSNorm 只做缩放。")),
        ([g * v / norm for v, g in zip(x, gamma)], Text(
            "You divided by the L2 norm; RMSNorm divides by the root *mean* square, √(Σx²/D).",
            "你除以的是 L2 范数；RMSNorm 除以均方根 √(Σx²/D)。")),
        ([g * v / (ms + eps) for v, g in zip(x, gamma)], Text("Take the square root of the mean square.",
                                                             "要对均方开平方根。")),
        ([v / r for v in x], Text("Multiply by the gain γ at the end.", "最后要乘以增益 γ。")),
    ]
    if eps:
        candidates.append(([g * v / sympy.sqrt(ms) for v, g in zip(x, gamma)], Text(
            f"eps = {show(eps)} is added inside the square root.", f"eps = {show(eps)} 要加在根号里面。")))
    mistakes = listed(distinct_mistakes(answer, tolerance, candidates))
    params = {"x": [int(v) for v in x], "gamma": [int(g) for g in gamma], "eps": as_param(eps)}
    prompt = prompt + answer_rule(tolerance, VECTOR)
    return Draft(params=params, prompt=prompt, answer=answer, answer_kind="vector", solution=solution,
                 hint=hint, tolerance=tolerance, mistakes=mistakes)


# ---------------------------------------------------------------------------------------
# feed-forward variants

@problem("swiglu_parity", topic="attention", concepts=("attention.swiglu",), version=1,
         title=Text("SwiGLU hidden size and parameters", "SwiGLU 的隐藏维度与参数量"), options=("ask",))
def swiglu_parity(rng: Rng, ask: str | None = None) -> Draft:
    ask = option(rng, "ask", ask, ("hidden", "params"))
    D = rng.choice([384, 576, 768, 1152, 1536, 2304, 3072])
    ffn = 8 * D * D
    if ask == "hidden":
        answer = sympy.Integer(8 * D // 3)
        prompt = Text(
            f"A standard FFN D → 4D → D (no biases) with D = {D} is replaced by SwiGLU, "
            f"(Swish(X W_1) ⊙ X W_2) W_3 with W_1, W_2 [D × H] and W_3 [H × D], no biases. Which hidden "
            f"size H keeps the parameter count unchanged?",
            f"把宽度 D = {D} 的标准 FFN（D → 4D → D，无偏置）换成 SwiGLU：(Swish(X W_1) ⊙ X W_2) W_3，"
            f"W_1、W_2 为 [D × H]，W_3 为 [H × D]，无偏置。隐藏维度 H 取多少时参数量不变？")
        solution = Text(
            f"FFN: 2 · D · 4D = 8D² = {ffn}. SwiGLU: 3 · D · H. Setting 3DH = 8D² gives H = 8D/3 = {answer}.",
            f"FFN：2 · D · 4D = 8D² = {ffn}。SwiGLU：3 · D · H。令 3DH = 8D²，得 H = 8D/3 = {answer}。")
        candidates = [
            (4 * D, Text("SwiGLU has three matrices, not two: with H = 4D it has 12D² parameters.",
                         "SwiGLU 有三个矩阵而不是两个：H = 4D 时参数量为 12D²。")),
            (sympy.Rational(4 * D, 3), Text("The FFN has two D × 4D matrices: 8D² parameters, not 4D².",
                                             "FFN 有两个 D × 4D 矩阵：参数量是 8D²，不是 4D²。")),
            (2 * D, Text("Three matrices of D × H must match 8D²: H = 8D/3.", "三个 D × H 矩阵要等于 8D²：H = 8D/3。")),
            (sympy.Rational(16 * D, 3), Text("SwiGLU has three D × H matrices; H = 8D/3.",
                                              "SwiGLU 有三个 D × H 矩阵；H = 8D/3。")),
        ]
    else:
        H = (8 * D // 3) + rng.choice([-64, 0, 64, 128]) if rng.random.random() < 0.5 else 8 * D // 3
        answer = sympy.Integer(3 * D * H)
        prompt = Text(
            f"A SwiGLU feed-forward layer (Swish(X W_1) ⊙ X W_2) W_3 has D = {D} and hidden size H = {H}, "
            f"no biases (W_1, W_2 [D × H], W_3 [H × D]). How many parameters does it have?",
            f"一个 SwiGLU 前馈层 (Swish(X W_1) ⊙ X W_2) W_3，D = {D}，隐藏维度 H = {H}，无偏置"
            f"（W_1、W_2 为 [D × H]，W_3 为 [H × D]）。它有多少个参数？")
        solution = Text(
            f"3 · D · H = 3 × {D} × {H} = {answer} (the FFN D → 4D → D has 8D² = {ffn}).",
            f"3 · D · H = 3 × {D} × {H} = {answer}（FFN D → 4D → D 有 8D² = {ffn}）。")
        candidates = [
            (2 * D * H, Text("SwiGLU has three matrices: W_1 and W_2 (the gate and the value) and W_3.",
                             "SwiGLU 有三个矩阵：W_1、W_2（门与值）以及 W_3。")),
            (ffn, Text("That is the 8D² of the standard FFN; use the given H.", "这是标准 FFN 的 8D²；要用题目给的 H。")),
            (3 * D * 4 * D, Text(f"The hidden size is H = {H}, not 4D.", f"隐藏维度是 H = {H}，不是 4D。")),
        ]
    hint = Text("FFN: two matrices D × 4D. SwiGLU: three matrices D × H.",
                "FFN：两个 D × 4D 矩阵。SwiGLU：三个 D × H 矩阵。")
    mistakes = distinct_mistakes(answer, None, [(sympy.sympify(v), t) for v, t in candidates])
    params = {"D": D, "ask": ask} | ({"H": H} if ask == "params" else {})
    prompt = prompt + answer_rule(None, WHOLE)
    return Draft(params=params, prompt=prompt, answer=answer, answer_kind="number", solution=solution,
                 hint=hint, tolerance=None, mistakes=mistakes)


@problem("moe_ratio", topic="attention", concepts=("attention.moe",), version=1,
         title=Text("Mixture of experts: parameters vs compute", "混合专家：参数量与计算量"), options=("ask",))
def moe_ratio(rng: Rng, ask: str | None = None) -> Draft:
    ask = option(rng, "ask", ask, ("params", "flops", "ratio"))
    E = rng.choice([4, 8, 16, 32, 64])
    A = rng.choice([a for a in (1, 2, 4) if a < E])
    D = rng.choice([256, 512, 768, 1024])
    H = 4 * D
    expert = 2 * D * H
    setting = Text(
        f"A mixture-of-experts layer replaces one FFN (D → {H} → D with D = {D}, no biases) by E = {E} such "
        f"expert FFNs and a router W_r [D × E]; each token is sent to its top A = {A} experts.",
        f"一个混合专家层把一个 FFN（D → {H} → D，D = {D}，无偏置）换成 E = {E} 个同样的专家 FFN 和一个路由器 "
        f"W_r [D × E]；每个词元送往得分最高的 A = {A} 个专家。")
    if ask == "params":
        answer = sympy.Integer(E * expert + D * E)
        prompt = setting + Text(" How many parameters does the layer have?", "该层共有多少个参数？")
        solution = Text(
            f"Each expert: 2 · D · 4D = {expert}. Experts: {E} × {expert} = {E * expert}; router: {D} × {E} = "
            f"{D * E}; total {answer} — about E = {E} times a dense FFN.",
            f"每个专家：2 · D · 4D = {expert}。专家合计：{E} × {expert} = {E * expert}；路由器：{D} × {E} = "
            f"{D * E}；总计 {answer}，约为稠密 FFN 的 E = {E} 倍。")
        candidates = [
            (A * expert + D * E, Text("Every expert's weights exist, even if a token uses only A of them: count all E.",
                                      "所有专家的权重都存在，哪怕一个词元只用到 A 个：要算全部 E 个。")),
            (E * expert, Text("Add the router's D × E weights.", "还要加上路由器的 D × E 个权重。")),
            (E * D * H + D * E, Text("Each expert FFN has two matrices, D × 4D and 4D × D.",
                                     "每个专家 FFN 有两个矩阵：D × 4D 和 4D × D。")),
        ]
        tolerance = None
    elif ask == "flops":
        answer = sympy.Integer(2 * D * E + A * 2 * expert)
        prompt = setting + Text(
            " How many FLOPs does one token take through the layer (router included; one multiply-add = 2 "
            "FLOPs; ignore the softmax and the gating sums)?",
            "一个词元通过该层需要多少 FLOPs（含路由器；一次乘加计 2 FLOPs；忽略 softmax 与加权求和）？")
        solution = Text(
            f"Router: 2 · D · E = {2 * D * E}. Each chosen expert: 2 · (2 · D · 4D) = {2 * expert}; A = {A} of "
            f"them: {A * 2 * expert}. Total {answer} — about A = {A} times a dense FFN, not E = {E}.",
            f"路由器：2 · D · E = {2 * D * E}。每个被选中的专家：2 · (2 · D · 4D) = {2 * expert}；共 A = {A} 个："
            f"{A * 2 * expert}。总计 {answer}，约为稠密 FFN 的 A = {A} 倍，而不是 E = {E} 倍。")
        candidates = [
            (2 * D * E + E * 2 * expert, Text("Only the A routed experts run for a token; compute grows ×A, not ×E.",
                                              "一个词元只经过被选中的 A 个专家；计算量增长 ×A，而不是 ×E。")),
            (D * E + A * expert, Text("A multiply-add counts as 2 FLOPs here.", "本题一次乘加计为 2 FLOPs。")),
            (A * 2 * expert, Text("Include the router's 2 · D · E FLOPs.", "要算上路由器的 2 · D · E FLOPs。")),
        ]
        tolerance = None
    else:
        answer = sympy.Rational(E * expert + D * E, A * expert + D * E)
        prompt = setting + Text(
            " What is the ratio of the layer's total parameters to the parameters one token uses (its A "
            "experts plus the router)?",
            "该层的总参数量与一个词元实际用到的参数量（它的 A 个专家加路由器）之比是多少？")
        solution = Text(
            f"Total: {E} × {expert} + {D * E} = {E * expert + D * E}. Used: {A} × {expert} + {D * E} = "
            f"{A * expert + D * E}. Ratio {exact_and_approx(answer)} ≈ E/A = {show(sympy.Rational(E, A))}: parameters "
            f"grow ×E, compute ×A.",
            f"总量：{E} × {expert} + {D * E} = {E * expert + D * E}。实际用到：{A} × {expert} + {D * E} = "
            f"{A * expert + D * E}。比值 {exact_and_approx(answer)} ≈ E/A = {show(sympy.Rational(E, A))}：参数量 ×E，"
            f"计算量 ×A。")
        candidates = [
            (sympy.Integer(E), Text("A token uses A experts, not one: the ratio is about E/A.",
                                    "一个词元用 A 个专家而不是一个：比值约为 E/A。")),
            (sympy.Rational(A, E), Text("That is the inverse: total over used is about E/A ≥ 1.",
                                        "这是倒数：总量比用到的量约为 E/A ≥ 1。")),
            (sympy.Integer(A), Text("A is how many times a dense FFN's compute a token takes; the ratio asked is E/A.",
                                    "A 是计算量相对稠密 FFN 的倍数；题目问的比值约为 E/A。")),
        ]
        tolerance = DEFAULT_TOLERANCE
        reject_near_boundary(answer, tolerance)
    hint = Text("Parameters count every expert; compute per token counts only the A chosen experts.",
                "参数量算全部专家；每个词元的计算量只算被选中的 A 个专家。")
    mistakes = distinct_mistakes(answer, tolerance, [(sympy.sympify(v), t) for v, t in candidates])
    params = {"E": E, "A": A, "D": D, "H": H, "ask": ask}
    prompt = prompt + answer_rule(tolerance, NUMBER if ask == "ratio" else WHOLE)
    return Draft(params=params, prompt=prompt, answer=answer, answer_kind="number", solution=solution,
                 hint=hint, tolerance=tolerance, mistakes=mistakes)


# ---------------------------------------------------------------------------------------
# ViT

@problem("vit_tokens", topic="attention", concepts=("attention.vit",), version=1,
         title=Text("ViT patches and token shapes", "ViT 的图块与词元形状"), options=("ask", "cls"))
def vit_tokens(rng: Rng, ask: str | None = None, cls: bool | None = None) -> Draft:
    ask = option(rng, "ask", ask, ("tokens", "patch_dim", "sequence"))
    cls = option(rng, "cls", cls, (True, False))
    p = rng.choice([8, 14, 16, 32])
    gh, gw = rng.choice([4, 7, 8, 14, 16]), rng.choice([4, 7, 8, 14, 16])
    H, W = gh * p, gw * p
    C = rng.choice([1, 3, 3])
    D = rng.choice([192, 384, 768, 1024])
    B = rng.choice([1, 8, 16, 32])
    N = gh * gw
    n_tok = N + (1 if cls else 0)
    cls_en = "a learnable [CLS] token is prepended" if cls else "there is no [CLS] token (the head pools the tokens)"
    cls_zh = "序列前面加一个可学习的 [CLS] 词元" if cls else "没有 [CLS] 词元（分类头对词元做平均池化）"
    setting = Text(
        f"A ViT cuts a batch of B = {B} images of C × H × W = {C} × {H} × {W} into non-overlapping {p} × {p} "
        f"patches, flattens each patch and projects it linearly to D = {D}; {cls_en}.",
        f"ViT 把 B = {B} 张 C × H × W = {C} × {H} × {W} 的图像切成不重叠的 {p} × {p} 图块，每块展平后线性投影到 "
        f"D = {D}；{cls_zh}。")
    if ask == "tokens":
        answer = sympy.Integer(n_tok)
        kind = "number"
        prompt = setting + Text(" How many tokens does each image give the Transformer?",
                                "每张图像送入 Transformer 的词元有多少个？")
        candidates = [
            (sympy.Integer(N + (0 if cls else 1)), Text(
                "Check the [CLS] token: " + ("it adds one token." if cls else "there is none here."),
                "注意 [CLS] 词元：" + ("它会多出一个词元。" if cls else "本题没有。"))),
            (sympy.Integer(H * W // p + (1 if cls else 0)), Text(
                f"Each patch covers p × p = {p * p} pixels: (H/p)·(W/p) patches.",
                f"每个图块覆盖 p × p = {p * p} 个像素：共 (H/p)·(W/p) 块。")),
            (sympy.Integer(gh + gw + (1 if cls else 0)), Text(
                "The patches form a grid: multiply the counts per side, don't add them.",
                "图块排成网格：两边的块数相乘，而不是相加。")),
            (sympy.Integer(N * C + (1 if cls else 0)), Text(
                "The channels go into each patch vector; they do not make more tokens.",
                "通道被放进每个图块向量里，不会产生更多词元。")),
        ]
        work = Text(f"(H/p)·(W/p) = {gh} × {gw} = {N} patches" + (" + 1 [CLS]" if cls else "") + f" = {n_tok}.",
                    f"(H/p)·(W/p) = {gh} × {gw} = {N} 个图块" + (" + 1 个 [CLS]" if cls else "") + f" = {n_tok}。")
    elif ask == "patch_dim":
        answer = sympy.Integer(C * p * p)
        kind = "number"
        prompt = setting + Text(" How long is one flattened patch vector, before the projection?",
                                "一个图块展平后（投影之前）的向量有多长？")
        candidates = [
            (sympy.Integer(p * p), Text(f"Each pixel of the patch has C = {C} channels: C·p·p.",
                                        f"图块的每个像素有 C = {C} 个通道：C·p·p。")),
            (sympy.Integer(D), Text("D is the width after the linear projection.", "D 是线性投影之后的宽度。")),
            (sympy.Integer(C * p), Text("A patch is p × p pixels: C·p·p.", "一个图块有 p × p 个像素：C·p·p。")),
        ]
        work = Text(f"C·p·p = {C} × {p} × {p} = {answer}.", f"C·p·p = {C} × {p} × {p} = {answer}。")
    else:
        answer = (B, n_tok, D)
        kind = "shape"
        prompt = setting + Text(
            " What is the shape of the token sequence that enters the first Transformer block "
            "(batch first, e.g. [2, 3, 4])?",
            "进入第一个 Transformer 块的词元序列是什么形状（batch 在前，例如 [2, 3, 4]）？")
        candidates = [
            ((B, N + (0 if cls else 1), D), Text(
                "Check the [CLS] token: " + ("it adds one token." if cls else "there is none here."),
                "注意 [CLS] 词元：" + ("它会多出一个词元。" if cls else "本题没有。"))),
            ((B, n_tok, C * p * p), Text("The patches are projected to width D before the Transformer.",
                                         "图块在进入 Transformer 之前已被投影到宽度 D。")),
            ((B, D, gh, gw), Text("That is the conv-style layout; the Transformer takes a sequence [B, tokens, D].",
                                  "那是卷积式的布局；Transformer 接收的是序列 [B, 词元数, D]。")),
            ((B, D, n_tok), Text("Tokens come before the feature width: [B, tokens, D].",
                                 "词元维在特征宽度之前：[B, 词元数, D]。")),
        ]
        work = Text(f"{gh} × {gw} = {N} patches" + (" + 1 [CLS]" if cls else "") + f" = {n_tok} tokens of width "
                    f"{D}: [{B}, {n_tok}, {D}].",
                    f"{gh} × {gw} = {N} 个图块" + (" + 1 个 [CLS]" if cls else "") + f" = {n_tok} 个宽度为 {D} 的词元："
                    f"[{B}, {n_tok}, {D}]。")
    hint = Text("Patches per image = (H/p)·(W/p); a patch vector holds C·p·p numbers; [CLS] adds one token.",
                "每张图的图块数 = (H/p)·(W/p)；一个图块向量有 C·p·p 个数；[CLS] 多一个词元。")
    mistakes = distinct_mistakes(answer, None, candidates)
    params = {"B": B, "C": C, "H": H, "W": W, "patch": p, "D": D, "cls": cls, "ask": ask}
    prompt = prompt + answer_rule(None, SHAPE if kind == "shape" else WHOLE)
    return Draft(params=params, prompt=prompt, answer=answer, answer_kind=kind, solution=work,
                 hint=hint, tolerance=None, mistakes=mistakes)
