"""Attention problems about the weights themselves: scaled dot-product softmax and causal masks.

Indices count from 0.
"""

from __future__ import annotations

import sympy

from cvquiz.answers import DEFAULT_TOLERANCE, Mistake
from cvquiz.problems.display import POSITIONS, VECTOR, answer_rule, approx_vector, show, vector
from cvquiz.problems.mistakes import distinct_mistakes, listed, reject_long, reject_near_boundary
from cvquiz.problems.registry import Draft, Redraw, Rng, option, problem
from cvquiz.text import Text


def _softmax(scores):
    """Exact softmax, written relative to the largest score (whose term is 1) to stay short."""
    top = max(scores, key=lambda s: float(sympy.N(s)))
    exps = [sympy.exp(s - top) for s in scores]
    total = sum(exps)
    return [e / total for e in exps]


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
