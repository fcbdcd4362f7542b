"""Attention problems about sizes: tensor shapes, FLOPs and memory, and parameter counts of
multi-head self-attention.

Conventions stated in the prompts: shapes are unbatched as the cheatsheet draws them (``X`` is
[N, D]); a weight is [in, out]; ``d`` is the width per head; one multiply-add is 2 FLOPs;
1 MiB = 2²⁰ bytes.
"""

from __future__ import annotations

import sympy

from cvquiz.answers import DEFAULT_TOLERANCE, Mistake
from cvquiz.problems.display import NUMBER, SHAPE, WHOLE, answer_rule, exact_and_approx
from cvquiz.problems.mistakes import distinct_mistakes, reject_near_boundary
from cvquiz.problems.registry import Draft, Redraw, Rng, option, problem
from cvquiz.text import Text


_MIB = 2**20


def _shape(t) -> str:
    return "[" + ", ".join(str(v) for v in t) + "]"


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
