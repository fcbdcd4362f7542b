"""Sequence problems about gradients through time: clipping by global norm, the bound on a
product of T Jacobians (vanishing and exploding), and truncated BPTT chunks.
"""

from __future__ import annotations

import sympy

from cvquiz.answers import DEFAULT_TOLERANCE, Tolerance
from cvquiz.problems.display import (
    VECTOR, WHOLE, after_han, answer_rule, approx, approx_vector, as_param, exact_and_approx, matrix, power, show,
    vector,
)
from cvquiz.problems.mistakes import distinct_mistakes, listed, reject_long, reject_near_boundary
from cvquiz.problems.registry import Draft, Redraw, Rng, option, problem
from cvquiz.problems.sequence.cells import json_matrix
from cvquiz.text import Text


@problem("grad_clip", topic="sequence", concepts=("sequence.gradients",), version=1,
         title=Text("Gradient clipping by global norm", "按全局范数裁剪梯度"), options=("tensors",))
def grad_clip(rng: Rng, tensors: int | None = None) -> Draft:
    tensors = option(rng, "tensors", tensors, (1, 2))
    sizes = [rng.integer(2, 3)] if tensors == 1 else [2, rng.integer(1, 2)]
    grads = [[sympy.Integer(rng.integer(-6, 6)) for _ in range(n)] for n in sizes]
    flat = [g for part in grads for g in part]
    sq = sum(g**2 for g in flat)
    norm = sympy.sqrt(sq)
    max_norm = sympy.Integer(rng.integer(1, 8)) if rng.random.random() < 0.7 else rng.decimal(0.5, 5, 1)
    if sq == 0 or abs(float(norm / max_norm) - 1) < 0.05 or len([g for g in flat if g]) < 2:
        raise Redraw
    clipped = norm > max_norm
    scale = max_norm / norm if clipped else sympy.Integer(1)
    answer = [g * scale for g in flat]
    tolerance = DEFAULT_TOLERANCE
    reject_near_boundary(answer, tolerance)
    reject_long(answer)

    names = ["g_W", "g_b"] if tensors == 2 else ["g"]
    given = ",  ".join(f"{n} = {vector(part)}" for n, part in zip(names, grads))
    order_en = " followed by ".join(names)
    order_zh = " 后接 ".join(names)
    prompt = Text(
        f"Gradients: {given}. Clip them by their global L2 norm with max_norm = {show(max_norm)} "
        f"(scale every gradient by max_norm / ‖g‖ when the norm over all of them exceeds max_norm; "
        f"ignore PyTorch's tiny eps). Give the clipped values as one vector, {order_en}.",
        f"梯度：{given}。按全局 L2 范数裁剪，max_norm = {show(max_norm)}（若所有梯度合在一起的范数超过 "
        f"max_norm，就把每个梯度都乘以 max_norm / ‖g‖；忽略 PyTorch 中极小的 eps）。把裁剪后的值写成一个向量，"
        f"顺序为 {order_zh}。")
    squares = " + ".join(f"({show(g)})²" if g < 0 else f"{show(g)}²" for g in flat)
    if clipped:
        work_en = (f"‖g‖ = √({squares}) = {exact_and_approx(norm)} > {show(max_norm)}, so scale by "
                   f"{show(max_norm)}/‖g‖ = {exact_and_approx(scale)}: {approx_vector(answer)}.")
        work_zh = (f"‖g‖ = √({squares}) = {exact_and_approx(norm)} > {show(max_norm)}，所以乘以 "
                   f"{show(max_norm)}/‖g‖ = {exact_and_approx(scale)}：{approx_vector(answer)}。")
    else:
        work_en = (f"‖g‖ = √({squares}) = {exact_and_approx(norm)} ≤ {show(max_norm)}: the gradients are left "
                   f"unchanged, {vector(answer)}.")
        work_zh = (f"‖g‖ = √({squares}) = {exact_and_approx(norm)} ≤ {show(max_norm)}：梯度保持不变，"
                   f"{vector(answer)}。")
    solution = Text("One norm over all gradients together. " + work_en, "所有梯度合起来算一个范数。" + work_zh)
    hint = Text("‖g‖ = √(sum of the squares of every entry of every gradient); clipping only ever scales down.",
                "‖g‖ = √(所有梯度所有分量的平方和)；裁剪只会缩小，不会放大。")
    candidates = []
    if tensors == 2:
        per = []
        for part in grads:
            n = sympy.sqrt(sum(g**2 for g in part))
            per += [g * max_norm / n if n > max_norm else g for g in part]
        candidates.append((per, Text(
            "You clipped each tensor by its own norm; the rule uses one global norm over all of them, so "
            "every gradient is scaled by the same factor.",
            "你对每个张量分别按各自的范数裁剪；规则使用所有梯度合起来的一个全局范数，所有梯度乘同一个系数。")))
    candidates += [
        ([max(-max_norm, min(max_norm, g)) for g in flat], Text(
            "That is clipping by value (clamping each entry). Clipping by norm rescales the whole vector, "
            "keeping its direction.",
            "这是按值裁剪（逐个截断）。按范数裁剪是整体缩放，方向不变。")),
        ([g / norm for g in flat], Text(
            "You normalised to unit length; multiply by max_norm as well.",
            "你把向量归一化成了单位长度；还要乘以 max_norm。")),
        ([g * max_norm / norm for g in flat], Text(
            "The norm does not exceed max_norm, so nothing changes: clipping never scales up.",
            "范数没有超过 max_norm，所以保持不变：裁剪从不放大梯度。")),
        ([g * max_norm / sq for g in flat], Text(
            "Divide by the norm √(Σg²), not by the sum of squares.", "要除以范数 √(Σg²)，而不是平方和。")),
    ]
    mistakes = listed(distinct_mistakes(answer, tolerance, candidates))
    params = {"grads": [[as_param(g) for g in part] for part in grads], "names": names,
              "max_norm": as_param(max_norm),
              "case": "norm above max_norm (scaled down)" if norm > max_norm else "norm within max_norm (unchanged)"}
    prompt = prompt + answer_rule(tolerance, VECTOR)
    return Draft(params=params, prompt=prompt, answer=answer, answer_kind="vector", solution=solution,
                 hint=hint, tolerance=tolerance, mistakes=mistakes)


def _singular_max(W):
    """Largest singular value of a 2×2 matrix: σ² = (‖W‖_F² + √(‖W‖_F⁴ − 4·det²)) / 2."""
    fro2 = sum(v**2 for row in W for v in row)
    det = W[0][0] * W[1][1] - W[0][1] * W[1][0]
    return sympy.sqrt((fro2 + sympy.sqrt(fro2**2 - 4 * det**2)) / 2)


def _power(base, exponent: int):
    """``base ** exponent`` kept as a power, so that its exact form stays short to write and parse."""
    return sympy.Pow(base, exponent, evaluate=False)


def _spectral_radius(W) -> float:
    tr = float(W[0][0] + W[1][1])
    det = float(W[0][0] * W[1][1] - W[0][1] * W[1][0])
    disc = complex(tr * tr - 4 * det) ** 0.5
    return max(abs((tr + disc) / 2), abs((tr - disc) / 2))


#: σ^(T−1) with T − 1 up to 49: a relative error of 1.16 % is a log10 error of 0.005, which a
#: base typed to 5 significant figures always meets; 3 significant figures of the value also pass.
JACOBIAN_TOLERANCE = Tolerance(rel=0.0116, sig_figs=3)


def _scientific(x) -> str:
    """``3.398e9``: four significant figures, with an exponent when the value is large or small."""
    value = float(sympy.N(x, 30))
    if 1e-3 <= abs(value) < 1e4:
        return approx(x)
    mantissa, exponent = f"{value:.3e}".split("e")
    return f"{mantissa}e{int(exponent)}"


@problem("jacobian_bound", topic="sequence", concepts=("sequence.gradients",), version=2,
         title=Text("Vanishing and exploding gradients over T steps", "T 步上的梯度消失与爆炸"),
         options=("activation",))
def jacobian_bound(rng: Rng, activation: str | None = None) -> Draft:
    activation = option(rng, "activation", activation, ("linear", "tanh"))
    W = [[rng.decimal(-1.2, 1.2) for _ in range(2)] for _ in range(2)]
    T = rng.choice([10, 15, 20, 30, 40, 50])
    if W[0][0] * W[1][1] == W[0][1] * W[1][0] or W[0][1] == W[1][0]:
        raise Redraw  # singular, or symmetric (which would make the eigenvalue mistake invisible)
    sigma = _singular_max(W)
    s = float(sympy.N(sigma))
    gamma = rng.choice([sympy.Rational(k, 10) for k in (5, 6, 7, 8, 9)]) if activation == "tanh" else sympy.Integer(1)
    factor = gamma * sigma
    if not 0.6 < s < 1.6 or abs(float(sympy.N(factor)) - 1) < 0.03:
        raise Redraw
    answer = _power(factor, T - 1)
    tolerance = JACOBIAN_TOLERANCE
    reject_near_boundary(answer, tolerance)
    reject_long(answer)

    rho = sympy.Float(_spectral_radius(W), 30)
    frob = sympy.sqrt(sum(v**2 for row in W for v in row))
    trend = Text("explodes" if float(sympy.N(factor)) > 1 else "vanishes",
                 "爆炸" if float(sympy.N(factor)) > 1 else "消失")
    if activation == "linear":
        model_en = "a linear RNN (no nonlinearity): h_t = h_(t−1) W_hh + x_t W_xh"
        model_zh = "一个线性 RNN（没有非线性）：h_t = h_(t−1) W_hh + x_t W_xh"
        bound_en = "Each Jacobian is W_hh, so ‖∂h_T/∂h_1‖ ≤ σ_max(W_hh)^(T−1)."
        bound_zh = "每个雅可比矩阵就是 W_hh，所以 ‖∂h_T/∂h_1‖ ≤ σ_max(W_hh)^(T−1)。"
        extra_en = extra_zh = ""
    else:
        model_en = "an RNN h_t = tanh(h_(t−1) W_hh + x_t W_xh)"
        model_zh = "RNN h_t = tanh(h_(t−1) W_hh + x_t W_xh)"
        extra_en = f" Along this sequence every tanh'(a) ≤ γ = {show(gamma)}."
        extra_zh = f" 在这条序列上每个 tanh'(a) ≤ γ = {show(gamma)}。"
        bound_en = ("Each Jacobian is diag(tanh'(a_t))·W_hh (up to the row/column convention), so "
                    "‖∂h_T/∂h_1‖ ≤ (γ·σ_max(W_hh))^(T−1).")
        bound_zh = ("每个雅可比矩阵是 diag(tanh'(a_t))·W_hh（行列约定不影响范数），所以 "
                    "‖∂h_T/∂h_1‖ ≤ (γ·σ_max(W_hh))^(T−1)。")
    prompt = Text(
        f"Take {model_en}, with W_hh =\n{matrix(W)}\n{extra_en.strip() + chr(10) if extra_en else ''}"
        f"Bound the spectral norm of ∂h_T/∂h_1 for T = {T} by a power of W_hh's largest singular value "
        f"(times the tanh' bound, where there is one). Give the value of the bound.",
        f"考虑{after_han(model_zh)}，W_hh =\n{matrix(W)}\n{extra_zh.strip() + chr(10) if extra_zh else ''}"
        f"对 T = {T}，用 W_hh 最大奇异值的幂（若有 tanh 导数上界，也乘进去）给出 ∂h_T/∂h_1 谱范数的上界，"
        f"写出这个上界的数值。")
    # Six figures in the base: a base rounded to 4 figures can move a 49th power by over 1 %.
    base = approx(factor, 6)
    scaled = f"γ·σ_max = {show(gamma)} × {approx(sigma, 6)} = {base}. " if activation == "tanh" else ""
    log10 = (T - 1) * sympy.log(factor, 10)
    value = f"{power(base, T - 1)} ≈ {_scientific(answer)}  (log10 ≈ {approx(log10, 5)})"
    solution = Text(
        f"σ_max(W_hh) = √(largest eigenvalue of W_hhᵀW_hh) = {show(sigma)} ≈ {approx(sigma, 6)}. ∂h_T/∂h_1 is a "
        f"product of T − 1 = {T - 1} Jacobians. {bound_en}\n{scaled}Bound: {value}; "
        f"the factor is {'above' if trend.en == 'explodes' else 'below'} 1, so the gradient {trend.en}.",
        f"σ_max(W_hh) = √(W_hhᵀW_hh 的最大特征值) = {show(sigma)} ≈ {approx(sigma, 6)}。∂h_T/∂h_1 是 T − 1 = {T - 1} "
        f"个雅可比矩阵的乘积。{bound_zh}\n{scaled.replace('. ', '。')}上界：{value}；因子"
        f"{'大于' if trend.en == 'explodes' else '小于'} 1，梯度{trend.zh}。")
    hint = Text("Singular values of W are square roots of the eigenvalues of WᵀW. From h_1 to h_T there are "
                "T − 1 steps.",
                "W 的奇异值是 WᵀW 特征值的平方根。从 h_1 到 h_T 共 T − 1 步。")
    candidates = [
        (_power(factor, T), Text(f"From h_1 to h_T there are T − 1 = {T - 1} Jacobians, not T.",
                         f"从 h_1 到 h_T 共有 T − 1 = {T - 1} 个雅可比矩阵，不是 T 个。")),
        (_power(gamma * rho, T - 1), Text(
            "You used the largest |eigenvalue| of W_hh. For a non-symmetric matrix the norm bound uses the "
            "largest singular value, √(λ_max(W_hhᵀW_hh)).",
            "你用了 W_hh 特征值绝对值的最大者。对非对称矩阵，范数上界要用最大奇异值 √(λ_max(W_hhᵀW_hh))。")),
        (_power(gamma * frob, T - 1), Text(
            "You used the Frobenius norm; the spectral norm is the largest singular value.",
            "你用了 Frobenius 范数；谱范数是最大奇异值。")),
    ]
    if activation == "tanh":
        candidates.append((_power(sigma, T - 1), Text(
            "Each step also multiplies by tanh' ≤ γ; include γ^(T−1).", "每一步还乘上 tanh' ≤ γ；要包含 γ^(T−1)。")))
    mistakes = listed(distinct_mistakes(answer, tolerance, candidates))
    params = {"W_hh": json_matrix(W), "T": T, "activation": activation, "tanh_prime_bound": as_param(gamma)}
    prompt = prompt + Text(
        f"\n(Answer: a number, typed as a power such as 1.2345^{T - 1} (keep 5 significant figures in the base), "
        "as a decimal such as 3.40e9, or as 10^x. Accepted when correct to 3 significant figures, or when its "
        "log10 is within 0.005 of the bound's (that is, within 1.16 %).)",
        f"\n（答案要求：一个数，可写成幂如 1.2345^{T - 1}（底数保留 5 位有效数字）、小数如 3.40e9，或 10^x。"
        "3 位有效数字正确，或其 log10 与上界的 log10 相差不超过 0.005（即相对误差不超过 1.16%），即判为正确。）")
    return Draft(params=params, prompt=prompt, answer=answer, answer_kind="number", solution=solution,
                 hint=hint, tolerance=tolerance, mistakes=mistakes)


@problem("bptt_chunks", topic="sequence", concepts=("sequence.bptt",), version=1,
         title=Text("Truncated BPTT: chunks and stored states", "截断 BPTT：块数与保存的状态"), options=("ask",))
def bptt_chunks(rng: Rng, ask: str | None = None) -> Draft:
    ask = option(rng, "ask", ask, ("chunks", "stored"))
    dT = rng.choice([16, 20, 25, 32, 35, 50, 64, 100])
    L = dT * rng.integer(3, 40) + (rng.integer(1, dT - 1) if rng.random.random() < 0.7 else 0)
    B = rng.choice([8, 16, 32, 64])
    H = rng.choice([64, 128, 256, 512])
    chunks = -(-L // dT)
    stored = dT * B * H
    setting = Text(
        f"Truncated BPTT trains an RNN on a sequence of length T = {L} in chunks of ΔT = {dT} steps "
        f"(batch B = {B}, hidden size H = {H}): the forward pass carries h across chunks, and each backward "
        f"pass stays inside its chunk.",
        f"截断 BPTT 在长度 T = {L} 的序列上训练 RNN，每块 ΔT = {dT} 步（批大小 B = {B}，隐藏维度 H = {H}）："
        f"前向时 h 跨块传递，每次反向传播只在本块内进行。")
    if ask == "chunks":
        answer = sympy.Integer(chunks)
        prompt = setting + Text(" How many chunks (backward passes) does one pass over the sequence take? "
                                "The last chunk may be shorter.",
                                "遍历一次序列需要多少块（多少次反向传播）？最后一块可以较短。")
        solution = Text(f"⌈T / ΔT⌉ = ⌈{L} / {dT}⌉ = {chunks}" +
                        (f" (the last chunk has {L - (chunks - 1) * dT} steps)." if L % dT else "."),
                        f"⌈T / ΔT⌉ = ⌈{L} / {dT}⌉ = {chunks}" +
                        (f"（最后一块有 {L - (chunks - 1) * dT} 步）。" if L % dT else "。"))
        candidates = [
            (sympy.Integer(L // dT), Text("The leftover steps form one more, shorter chunk: round up.",
                                          "剩下的步数还要组成一个较短的块：应向上取整。")),
            (sympy.Integer(L // dT + 1), Text(f"{L} is a multiple of {dT}: no extra chunk is needed.",
                                               f"{L} 是 {dT} 的整数倍：不需要多出一块。")),
            (sympy.Integer(L), Text("One backward pass per chunk of ΔT steps, not one per step.",
                                    "每 ΔT 步一块、一次反向传播，而不是每步一次。")),
        ]
        if L % dT:
            candidates.pop(1)
    else:
        answer = sympy.Integer(stored)
        prompt = setting + Text(
            " At most how many hidden-state values must be kept for one backward pass (the states h_t of "
            "the steps in the chunk, B × H values each; ignore the gates and the inputs)?",
            "一次反向传播最多需要保存多少个隐藏状态数值（本块内各步的 h_t，每个 B × H 个数；不计门和输入）？")
        solution = Text(f"One chunk holds ΔT = {dT} steps, each with a B × H = {B} × {H} state: "
                        f"{dT} × {B} × {H} = {stored} (full BPTT would keep {L} × {B} × {H} = {L * B * H}).",
                        f"一块有 ΔT = {dT} 步，每步的状态为 B × H = {B} × {H}：{dT} × {B} × {H} = {stored}"
                        f"（完整 BPTT 需保存 {L} × {B} × {H} = {L * B * H}）。")
        candidates = [
            (sympy.Integer(L * B * H), Text(
                "That is full BPTT. Truncation keeps only the states of the current chunk, since the "
                "backward pass stops at its start.",
                "这是完整 BPTT 的量。截断后只保存当前块的状态，因为反向传播在块的起点停止。")),
            (sympy.Integer(dT * H), Text("Every sequence of the batch has its own states: multiply by B.",
                                         "批中每条序列都有自己的状态：要乘以 B。")),
            (sympy.Integer(chunks * B * H), Text(
                "The number of chunks does not set the memory; the chunk length ΔT does.",
                "决定内存的是块长 ΔT，而不是块的个数。")),
        ]
    hint = Text("Chunks: ⌈T/ΔT⌉. Memory: only the states inside one chunk are kept for its backward pass.",
                "块数：⌈T/ΔT⌉。内存：一次反向传播只需保存本块内的状态。")
    mistakes = distinct_mistakes(answer, None, candidates)
    params = {"T": L, "chunk": dT, "batch": B, "hidden_size": H, "ask": ask}
    prompt = prompt + answer_rule(None, WHOLE)
    return Draft(params=params, prompt=prompt, answer=answer, answer_kind="number", solution=solution,
                 hint=hint, tolerance=None, mistakes=mistakes)
