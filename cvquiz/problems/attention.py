"""Problem generators for the attention topic: shapes, costs and parameters of attention,
softmax weights, causal masks, normalisation layers, SwiGLU, mixture of experts, ViT tokens.

Conventions stated in the prompts: shapes are unbatched as the cheatsheet draws them
(``X`` is [N, D]); a weight is [in, out]; ``d`` is the width per head; one multiply-add is
2 FLOPs; 1 MiB = 2²⁰ bytes; indices count from 0.
"""

from __future__ import annotations

import sympy

from cvquiz.answers import DEFAULT_TOLERANCE, Mistake
from cvquiz.errors import ProblemError
from cvquiz.problems.display import (
    NUMBER, POSITIONS, SHAPE, VECTOR, WHOLE, answer_rule, approx, approx_vector, as_param,
    exact_and_approx, show, vector,
)
from cvquiz.problems.mistakes import distinct_mistakes, listed, reject_long, reject_near_boundary
from cvquiz.problems.registry import Draft, Redraw, Rng, option, problem
from cvquiz.text import Text

_MIB = 2**20



def _softmax(scores):
    """Exact softmax, written relative to the largest score (whose term is 1) to stay short."""
    top = max(scores, key=lambda s: float(sympy.N(s)))
    exps = [sympy.exp(s - top) for s in scores]
    total = sum(exps)
    return [e / total for e in exps]


def _shape(t) -> str:
    return "[" + ", ".join(str(v) for v in t) + "]"


# ---------------------------------------------------------------------------------------
# shapes, cost and parameters of multi-head self-attention

#: The parts of an attention_shapes answer, in the order of the four matmuls.
SHAPE_PARTS = ("qkv", "q", "k", "v", "scores", "weights", "heads", "concat", "out")


@problem("attention_shapes", topic="attention", concepts=("attention.self_attention", "attention.multi_head"),
         version=1, title=Text("Shapes in multi-head self-attention", "多头自注意力中的形状"))
def attention_shapes(rng: Rng) -> Draft:
    h = rng.choice([2, 4, 8, 12])
    d = rng.choice([16, 32, 64])
    D = h * d if rng.random.random() < 0.5 else rng.choice([128, 192, 256, 384, 512, 768])
    N = rng.choice([10, 16, 49, 50, 64, 100, 196, 197])
    if len({N, D, h, d, h * d}) < 5 and D != h * d:
        raise Redraw  # equal sizes would let a mixed-up shape pass
    if len({N, h, d, h * d}) < 4:
        raise Redraw
    answer = {"qkv": (N, 3 * h * d), "q": (h, N, d), "k": (h, N, d), "v": (h, N, d),
              "scores": (h, N, N), "weights": (h, N, N), "heads": (h, N, d), "concat": (N, h * d),
              "out": (N, D)}
    prompt = Text(
        f"Multi-head self-attention on X [N × D] with N = {N} tokens, width D = {D}, h = {h} heads of width "
        f"d = {d} (unbatched). The four matmuls: (1) QKV = X W_QKV with W_QKV [D × 3hd], split into "
        f"Q, K, V per head; (2) scores = Q Kᵀ / √d, weights = softmax(scores) over the keys; (3) heads = "
        f"weights · V, concatenated; (4) out = concat · W_O. Give the shape of each: qkv, q, k, v, "
        f"scores, weights, heads, concat, out (e.g. [2, 3, 4]).",
        f"对 X [N × D] 做多头自注意力：N = {N} 个词元，宽度 D = {D}，h = {h} 个头，每头宽度 d = {d}"
        f"（不含 batch 维）。四次矩阵乘法：(1) QKV = X W_QKV，W_QKV 为 [D × 3hd]，再按头拆成 Q、K、V；"
        f"(2) scores = Q Kᵀ / √d，weights = 对键做 softmax；(3) heads = weights · V，再拼接；"
        f"(4) out = concat · W_O。写出各个张量的形状：qkv、q、k、v、scores、weights、heads、concat、out"
        f"（例如 [2, 3, 4]）。")
    solution = Text(
        f"(1) [{N} × {D}][{D} × {3 * h * d}] → qkv {_shape(answer['qkv'])}; split and reshape: q, k, v each "
        f"{_shape((h, N, d))}.\n(2) [{h} × {N} × {d}][{h} × {d} × {N}] → scores and weights "
        f"{_shape((h, N, N))}.\n(3) [{h} × {N} × {N}][{h} × {N} × {d}] → heads {_shape((h, N, d))}, "
        f"concatenated to {_shape((N, h * d))}.\n(4) [{N} × {h * d}][{h * d} × {D}] → out {_shape((N, D))}.",
        f"(1) [{N} × {D}][{D} × {3 * h * d}] → qkv {_shape(answer['qkv'])}；拆分并变形：q、k、v 各为 "
        f"{_shape((h, N, d))}。\n(2) [{h} × {N} × {d}][{h} × {d} × {N}] → scores 与 weights "
        f"{_shape((h, N, N))}。\n(3) [{h} × {N} × {N}][{h} × {N} × {d}] → heads {_shape((h, N, d))}，"
        f"拼接为 {_shape((N, h * d))}。\n(4) [{N} × {h * d}][{h * d} × {D}] → out {_shape((N, D))}。")
    hint = Text("Each head works on its own d columns: [h × N × d]. Scores compare every query with every "
                "key of the same head.",
                "每个头只用自己的 d 列：[h × N × d]。scores 在同一个头内把每个查询和每个键比较。")
    candidates = [
        ({"q": (N, h * d), "k": (N, h * d), "v": (N, h * d)}, Text(
            f"Q, K and V are split into heads: [h × N × d] = [{h} × {N} × {d}], not [N × hd].",
            f"Q、K、V 要按头拆开：[h × N × d] = [{h} × {N} × {d}]，而不是 [N × hd]。")),
        ({"q": (h, d, N), "k": (h, d, N), "v": (h, d, N)}, Text(
            "Tokens stay in the rows: each head's Q is [N × d]; only Kᵀ in the scores is transposed.",
            "词元在行上：每个头的 Q 是 [N × d]；只有计算 scores 时的 Kᵀ 是转置的。")),
        ({"scores": (N, N), "weights": (N, N)}, Text(
            f"Every head has its own N × N matrix: [{h} × {N} × {N}].",
            f"每个头都有自己的 N × N 矩阵：[{h} × {N} × {N}]。")),
        ({"scores": (h, N, d), "weights": (h, N, d)}, Text(
            "Q Kᵀ contracts over the width d, leaving one score per (query, key) pair: [h × N × N].",
            "Q Kᵀ 在宽度 d 上求和，每对（查询, 键）得到一个分数：[h × N × N]。")),
        ({"heads": (h, N, N)}, Text(
            "weights · V contracts over the keys: [h × N × N][h × N × d] → [h × N × d].",
            "weights · V 在键的维度上求和：[h × N × N][h × N × d] → [h × N × d]。")),
        ({"concat": (h, N, d)}, Text(
            f"Concatenating the heads puts them side by side per token: [N × hd] = [{N} × {h * d}].",
            f"拼接是把各头按词元并排放：[N × hd] = [{N} × {h * d}]。")),
        ({"concat": (N, d)}, Text(
            "Concatenation keeps every head's d columns: the width is h·d.",
            "拼接保留每个头的 d 列：宽度是 h·d。")),
        ({"qkv": (N, 3 * D)}, Text(
            f"W_QKV maps D to 3·h·d = {3 * h * d}; here h·d = {h * d} differs from D = {D}.",
            f"W_QKV 把 D 映射到 3·h·d = {3 * h * d}；本题 h·d = {h * d} 与 D = {D} 不同。")),
        ({"qkv": (N, 3 * d)}, Text(
            "The projection makes Q, K and V for all heads at once: 3·h·d columns.",
            "这次投影一次性得到所有头的 Q、K、V：共 3·h·d 列。")),
        ({"out": (N, h * d)}, Text(
            f"W_O [hd × D] maps the concatenated heads back to the model width D = {D}.",
            f"W_O [hd × D] 把拼接后的结果映射回模型宽度 D = {D}。")),
    ]
    mistakes = []
    for wrong, feedback in candidates:
        parts = {name: shape for name, shape in wrong.items() if shape != answer[name]}
        if parts:
            mistakes.append(Mistake(parts, feedback))
    params = {"N": N, "D": D, "h": h, "d": d}
    prompt = prompt + answer_rule(None, SHAPE)
    return Draft(params=params, prompt=prompt, answer=answer, answer_kind="mapping", solution=solution,
                 hint=hint, tolerance=None, mistakes=tuple(mistakes),
                 parts_kind={name: "shape" for name in SHAPE_PARTS})


@problem("attention_cost", topic="attention", concepts=("attention.complexity", "attention.self_attention"),
         version=1, title=Text("FLOPs and memory of attention", "注意力的计算量与内存"), options=("ask",))
def attention_cost(rng: Rng, ask: str | None = None) -> Draft:
    ask = option(rng, "ask", ask, ("qk_flops", "av_flops", "memory"))
    h = rng.choice([4, 8, 12, 16])
    d = rng.choice([32, 64, 128])
    D = h * d
    if ask == "memory":
        N = rng.choice([1024, 2048, 4096, 8192])
    else:
        N = rng.choice([64, 128, 196, 256, 512, 1024])
    nbytes, dtype = rng.choice([(2, "fp16"), (2, "bf16"), (4, "fp32")])
    setting = Text(
        f"Self-attention on one sequence of N = {N} tokens, model width D = {D}, h = {h} heads of width "
        f"d = D/h = {d}.",
        f"对一条长 N = {N} 的序列做自注意力，模型宽度 D = {D}，h = {h} 个头，每头宽度 d = D/h = {d}。")
    flop_rule = Text(" Count one multiply-add as 2 FLOPs.", "一次乘加计为 2 FLOPs。")
    if ask in ("qk_flops", "av_flops"):
        answer = sympy.Integer(2 * h * N * N * d)
        if ask == "qk_flops":
            what = Text(" How many FLOPs does computing the scores Q Kᵀ take, over all heads?",
                        "计算所有头的 scores = Q Kᵀ 需要多少 FLOPs？")
            mm = f"[{h} × {N} × {d}][{h} × {d} × {N}]"
        else:
            what = Text(" How many FLOPs does weights · V take, over all heads?",
                        "计算所有头的 weights · V 需要多少 FLOPs？")
            mm = f"[{h} × {N} × {N}][{h} × {N} × {d}]"
        prompt = setting + what + flop_rule
        if ask == "qk_flops":
            each = Text("each of the h·N·N scores is a length-d dot product (d multiply-adds)",
                        "h·N·N 个分数每个都是长度为 d 的点积（d 次乘加）")
        else:
            each = Text("each of the h·N·d outputs sums over the N keys (N multiply-adds)",
                        "h·N·d 个输出每个都对 N 个键求和（N 次乘加）")
        solution = Text(
            f"{mm}: {each.en}, so 2·h·N²·d = 2 × {h} × {N}² × {d} = {answer} FLOPs (= 2·N²·D: splitting "
            f"into heads does not change the cost).",
            f"{mm}：{each.zh}，共 2·h·N²·d = 2 × {h} × {N}² × {d} = {answer} FLOPs（= 2·N²·D：分头并不改变"
            f"计算量）。")
        candidates = [
            (h * N * N * d, Text("A multiply-add counts as 2 FLOPs here; you counted it as 1.",
                                 "本题一次乘加计为 2 FLOPs；你按 1 计了。")),
            (2 * h * N * N * D, Text(
                f"Each head works on d = {d} columns, not the full D = {D}: 2·h·N²·d.",
                f"每个头只处理 d = {d} 列，而不是整个 D = {D}：2·h·N²·d。")),
            (2 * N * N * d, Text("That is one head; there are h heads.", "这是一个头的量；一共有 h 个头。")),
            (2 * h * N * d * d, Text("The matmul runs over N × N (query, key) pairs: the cost grows as N².",
                                     "这次矩阵乘涉及 N × N 个（查询, 键）对：计算量随 N² 增长。")),
            (4 * h * N * N * d, Text("That counts both Q Kᵀ and weights · V; the question asks for one.",
                                     "这把 Q Kᵀ 和 weights · V 都算进去了；题目只问其中一个。")),
        ]
        tolerance = None
    else:
        answer = sympy.Rational(h * N * N * nbytes, _MIB)
        prompt = setting + Text(
            f" How much memory do the attention weights (softmax(Q Kᵀ/√d)) of all heads take in {dtype} "
            f"({nbytes} bytes per value), in MiB (1 MiB = 2²⁰ bytes)?",
            f"所有头的注意力权重 softmax(Q Kᵀ/√d) 以 {dtype}（每个数 {nbytes} 字节）存储，占多少 MiB"
            f"（1 MiB = 2²⁰ 字节）？")
        solution = Text(
            f"h × N × N values: {h} × {N}² = {h * N * N}; × {nbytes} bytes = {h * N * N * nbytes} bytes = "
            f"{exact_and_approx(answer)} MiB. It grows as N² (FlashAttention avoids storing it).",
            f"h × N × N 个数：{h} × {N}² = {h * N * N}；× {nbytes} 字节 = {h * N * N * nbytes} 字节 = "
            f"{exact_and_approx(answer)} MiB。它随 N² 增长（FlashAttention 正是避免存下它）。")
        candidates = [
            (sympy.Rational(N * N * nbytes, _MIB), Text(
                "Every head has its own N × N matrix: multiply by h.", "每个头都有自己的 N × N 矩阵：要乘以 h。")),
            (sympy.Rational(h * N * N * nbytes, 10**6), Text(
                "1 MiB is 2²⁰ = 1 048 576 bytes, not 10⁶.", "1 MiB 是 2²⁰ = 1 048 576 字节，不是 10⁶。")),
            (sympy.Rational(h * N * N * (6 - nbytes), _MIB), Text(
                f"{dtype} takes {nbytes} bytes per value.", f"{dtype} 每个数占 {nbytes} 字节。")),
            (sympy.Rational(h * N * N, _MIB), Text(
                f"That counts values; multiply by {nbytes} bytes each.", f"这是数值个数；还要乘以每个 {nbytes} 字节。")),
            (sympy.Rational(h * N * d * nbytes, _MIB), Text(
                "The weights matrix is N × N per head, not N × d.", "权重矩阵每个头是 N × N，不是 N × d。")),
        ]
        tolerance = None if answer.is_Integer else DEFAULT_TOLERANCE
        reject_near_boundary(answer, tolerance)
    hint = Text("Per head the score matrix is N × N and each entry is a length-d dot product.",
                "每个头的分数矩阵是 N × N，每个元素是长度为 d 的点积。")
    mistakes = distinct_mistakes(answer, tolerance, [(sympy.sympify(v), t) for v, t in candidates])
    params = {"N": N, "D": D, "h": h, "d": d, "ask": ask, "dtype": dtype, "bytes_per_element": nbytes}
    prompt = prompt + answer_rule(tolerance, WHOLE if answer.is_Integer else NUMBER)
    return Draft(params=params, prompt=prompt, answer=answer, answer_kind="number", solution=solution,
                 hint=hint, tolerance=tolerance, mistakes=mistakes)


@problem("mha_params", topic="attention", concepts=("attention.multi_head",), version=1,
         title=Text("Parameters of multi-head attention", "多头注意力的参数量"), options=("bias",))
def mha_params(rng: Rng, bias: bool | None = None) -> Draft:
    bias = option(rng, "bias", bias, (True, False))
    h = rng.choice([2, 4, 8, 12, 16])
    d = rng.choice([16, 32, 64])
    D = h * d
    nb = 1 if bias else 0
    answer = sympy.Integer(4 * D * D + 4 * D * nb)
    bias_en = "every projection has a bias" if bias else "no biases"
    bias_zh = "每个投影都有偏置" if bias else "没有偏置"
    prompt = Text(
        f"A multi-head attention layer has model width D = {D} and h = {h} heads (d = D/h = {d}), with "
        f"projections W_Q, W_K, W_V [D × hd] and W_O [hd × D], {bias_en}. How many learnable parameters "
        f"does it have?",
        f"一个多头注意力层：模型宽度 D = {D}，h = {h} 个头（d = D/h = {d}），投影 W_Q、W_K、W_V 为 "
        f"[D × hd]，W_O 为 [hd × D]，{bias_zh}。它有多少个可学习参数？")
    b_en = f" + 4 × {D} biases" if bias else ""
    b_zh = f" + 4 × {D} 个偏置" if bias else ""
    solution = Text(
        f"hd = {D}, so each of the four projections is {D} × {D} = {D * D}: 4 × {D * D}{b_en} = {answer}. "
        f"The heads split these matrices; they do not add parameters.",
        f"hd = {D}，四个投影各为 {D} × {D} = {D * D}：4 × {D * D}{b_zh} = {answer}。"
        f"多头只是把这些矩阵分块使用，并不增加参数。")
    hint = Text("Four D × D matrices (Q, K, V, O), whatever the number of heads; plus D per bias.",
                "无论几个头，都是四个 D × D 矩阵（Q、K、V、O）；每个偏置再加 D。")
    mistakes = distinct_mistakes(answer, None, [(sympy.Integer(v), t) for v, t in [
        (h * (3 * D * D + 3 * D * nb) + D * D + D * nb, Text(
            "The heads share the D × hd projections, each head using its own d columns; they are not h "
            "separate D × D matrices.",
            "各头共用 D × hd 的投影，每个头用其中自己的 d 列；并不是 h 个独立的 D × D 矩阵。")),
        (3 * D * D + 3 * D * nb, Text("You left out the output projection W_O.", "你漏掉了输出投影 W_O。")),
        (4 * D * D + 4 * D * (1 - nb), Text(
            "Check the biases: " + ("each of the four projections has one." if bias else "this layer has none."),
            "注意偏置：" + ("四个投影各有一个。" if bias else "本层没有偏置。"))),
        (4 * D * d + 4 * d * nb, Text(f"The projections map D to h·d = {D}, not to one head's d = {d}.",
                                      f"投影把 D 映射到 h·d = {D}，而不是单个头的 d = {d}。")),
    ]])
    params = {"D": D, "h": h, "d": d, "bias": bias}
    prompt = prompt + answer_rule(None, WHOLE)
    return Draft(params=params, prompt=prompt, answer=answer, answer_kind="number", solution=solution,
                 hint=hint, tolerance=None, mistakes=mistakes)


# ---------------------------------------------------------------------------------------
# softmax weights and masks

@problem("attention_weights", topic="attention", concepts=("attention.scaled_dot_product", "attention.why_scale"),
         version=1, title=Text("Scaled dot-product attention weights", "缩放点积注意力的权重"), options=("d_k",))
def attention_weights(rng: Rng, d_k: int | None = None) -> Draft:
    d_k = option(rng, "d_k", d_k, (2, 3, 4))
    n = 3
    q = [sympy.Integer(rng.integer(-2, 2)) for _ in range(d_k)]
    keys = [[sympy.Integer(rng.integer(-2, 2)) for _ in range(d_k)] for _ in range(n)]
    scores = [sum(a * b for a, b in zip(q, k)) for k in keys]
    if len(set(scores)) < n or max(scores) - min(scores) > 8:
        raise Redraw  # score ties, or a weight too small to read
    scaled = [s / sympy.sqrt(d_k) for s in scores]
    answer = _softmax(scaled)
    tolerance = DEFAULT_TOLERANCE
    reject_near_boundary(answer, tolerance)
    reject_long(answer)
    keys_text = "\n".join(f"  k_{i} = {vector(k)}" for i, k in enumerate(keys))
    prompt = Text(
        f"A query q = {vector(q)} attends to {n} keys (d_k = {d_k}):\n{keys_text}\n"
        f"Compute the attention weights α_i = softmax_i(q·k_i / √d_k) as a vector [α_0, α_1, α_2].",
        f"查询 q = {vector(q)} 对 {n} 个键做注意力（d_k = {d_k}）：\n{keys_text}\n"
        f"求注意力权重 α_i = softmax_i(q·k_i / √d_k)，写成向量 [α_0, α_1, α_2]。")
    root = show(sympy.sqrt(d_k))
    solution = Text(
        f"Dot products q·k_i = {vector(scores)}; divided by √d_k = {root}: {approx_vector(scaled)}. "
        f"Softmax: exp of each over the sum = {approx_vector(answer)}.",
        f"点积 q·k_i = {vector(scores)}；除以 √d_k = {root}：{approx_vector(scaled)}。"
        f"softmax：各自取 exp 再除以总和 = {approx_vector(answer)}。")
    hint = Text("Scale before the softmax: divide each dot product by √d_k, then exponentiate and normalise.",
                "先缩放再 softmax：每个点积除以 √d_k，然后取指数并归一化。")
    candidates = [
        (_softmax(scores), Text(
            f"You forgot to divide by √d_k = {root} before the softmax. Without it large d_k saturates the softmax.",
            f"你在 softmax 之前没有除以 √d_k = {root}。不缩放时 d_k 大会让 softmax 饱和。")),
        (_softmax([s / d_k for s in scores]), Text(
            f"Divide by √d_k = {root}, not by d_k = {d_k}.", f"要除以 √d_k = {root}，而不是 d_k = {d_k}。")),
        ([s / sum(scores) for s in scores] if sum(scores) != 0 and min(scores) > 0 else None, Text(
            "Softmax exponentiates before normalising; dividing the scores by their sum is not a softmax.",
            "softmax 先取指数再归一化；直接用分数除以其总和不是 softmax。")),
    ]
    mistakes = listed(distinct_mistakes(answer, tolerance, candidates))
    params = {"q": [int(v) for v in q], "keys": [[int(v) for v in k] for k in keys], "d_k": d_k}
    prompt = prompt + answer_rule(tolerance, VECTOR)
    return Draft(params=params, prompt=prompt, answer=answer, answer_kind="vector", solution=solution,
                 hint=hint, tolerance=tolerance, mistakes=mistakes)


def _masked_row(row, allowed, fill=None):
    """Softmax of ``row`` over the ``allowed`` positions; the others get weight 0, or score ``fill``."""
    if fill is None:
        kept = _softmax([row[j] for j in allowed])
        out = [sympy.Integer(0)] * len(row)
        for j, w in zip(allowed, kept):
            out[j] = w
        return out
    return _softmax([row[j] if j in allowed else fill for j in range(len(row))])


@problem("causal_mask", topic="attention", concepts=("attention.causal_mask",), version=1,
         title=Text("Attention under a causal mask", "因果掩码下的注意力"), options=("ask",))
def causal_mask(rng: Rng, ask: str | None = None) -> Draft:
    ask = option(rng, "ask", ask, ("row", "masked"))
    T = rng.integer(3, 5)
    if ask == "masked":
        r = rng.integer(1, T - 2) if T > 3 else 1
        answer = set(range(r + 1, T))
        prompt = Text(
            f"A decoder runs causal self-attention over T = {T} tokens (positions 0 … {T - 1}). Which key "
            f"positions are masked (score set to −∞) for the query at position {r}? Type them, e.g. `0 2`.",
            f"解码器在 T = {T} 个词元（位置 0 … {T - 1}）上做因果自注意力。位置 {r} 的查询有哪些键的位置被掩码"
            f"（分数置为 −∞）？写出这些位置，例如 `0 2`。")
        solution = Text(
            f"A query may attend to itself and to earlier positions, j ≤ {r}; the future positions "
            f"{', '.join(map(str, sorted(answer)))} are masked.",
            f"查询可以关注自己和之前的位置 j ≤ {r}；未来的位置 {', '.join(map(str, sorted(answer)))} 被掩码。")
        candidates = [
            (set(range(0, r)), Text("Those are the past positions, which the query may see; the mask hides the future.",
                                    "这些是过去的位置，查询是可以看到的；掩码遮住的是未来。")),
            (set(range(r, T)), Text("A token may attend to itself: only positions after it are masked.",
                                    "词元可以关注自己：只有它之后的位置被掩码。")),
            (set(range(0, r + 1)), Text("The causal mask hides positions after the query, not the ones up to it.",
                                        "因果掩码遮住的是查询之后的位置，而不是它及之前的位置。")),
        ]
        mistakes = tuple(Mistake(w, t) for w, t in candidates if w != answer and w)
        params = {"T": T, "row": r, "ask": ask}
        prompt = prompt + answer_rule(None, POSITIONS)
        return Draft(params=params, prompt=prompt, answer=answer, answer_kind="set",
                     solution=solution, hint=Text("Causal: position i sees j ≤ i.", "因果：位置 i 只能看到 j ≤ i。"),
                     tolerance=None, mistakes=mistakes)

    r = rng.integer(1, T - 2)
    S = [[sympy.Integer(rng.integer(-2, 3)) for _ in range(T)] for _ in range(T)]
    row = S[r]
    allowed = list(range(r + 1))
    if len({row[j] for j in allowed}) < len(allowed):
        raise Redraw  # score ties among the visible keys
    answer = _masked_row(row, allowed)
    tolerance = DEFAULT_TOLERANCE
    reject_near_boundary(answer, tolerance)
    reject_long(answer)
    grid = "\n".join(f"  {i}: {vector(S[i])}" for i in range(T))
    prompt = Text(
        f"Causal self-attention over T = {T} tokens has these (already scaled) scores, row i = query i, "
        f"column j = key j:\n{grid}\nGive the attention weights of query {r} over all {T} keys as a "
        f"vector (masked keys get weight 0).",
        f"T = {T} 个词元上的因果自注意力，分数（已缩放）如下，第 i 行是查询 i，第 j 列是键 j：\n{grid}\n"
        f"写出查询 {r} 对全部 {T} 个键的注意力权重向量（被掩码的键权重为 0）。")
    visible = ", ".join(show(row[j]) for j in allowed)
    solution = Text(
        f"Query {r} sees keys 0 … {r}; the scores of keys {r + 1} … {T - 1} become −∞, so exp gives 0. "
        f"Softmax over [{visible}]: {approx_vector(answer)}.",
        f"查询 {r} 能看到键 0 … {r}；键 {r + 1} … {T - 1} 的分数变为 −∞，exp 后为 0。"
        f"对 [{visible}] 做 softmax：{approx_vector(answer)}。")
    candidates = [
        (_softmax(row), Text("You did not apply the mask: keys after the query get weight 0.",
                             "你没有加掩码：查询之后的键权重为 0。")),
        (_masked_row(row, list(range(r, T))), Text(
            "You masked the past instead of the future: query i sees keys j ≤ i.",
            "你遮住的是过去而不是未来：查询 i 看到的是 j ≤ i 的键。")),
        (_masked_row(row, list(range(r))), Text("A query may attend to itself (j = i is not masked).",
                                                "查询可以关注自己（j = i 不被掩码）。")),
        (_masked_row(row, allowed, fill=sympy.Integer(0)), Text(
            "Masked scores are set to −∞ before the softmax, not to 0: a score of 0 still gets weight exp(0) = 1.",
            "被掩码的分数在 softmax 前置为 −∞，而不是 0：分数 0 仍有 exp(0) = 1 的权重。")),
        ([w for w in _softmax(row)[: r + 1]] + [sympy.Integer(0)] * (T - r - 1), Text(
            "Mask before the softmax: zeroing weights afterwards leaves a row that no longer sums to 1.",
            "应在 softmax 之前加掩码：之后再把权重置零，这一行的和就不再是 1。")),
    ]
    mistakes = listed(distinct_mistakes(answer, tolerance, candidates))
    params = {"T": T, "row": r, "scores": [[int(v) for v in s] for s in S], "ask": ask}
    prompt = prompt + answer_rule(tolerance, VECTOR)
    return Draft(params=params, prompt=prompt, answer=answer, answer_kind="vector", solution=solution,
                 hint=Text("Mask (−∞) the keys after the query, then softmax over the rest.",
                           "把查询之后的键置为 −∞，再对其余的做 softmax。"),
                 tolerance=tolerance, mistakes=mistakes)


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
