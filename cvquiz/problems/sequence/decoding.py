"""Sequence problems about decoding: beam search over a table of next-token probabilities.

Token ids count from 0.
"""

from __future__ import annotations

import sympy

from cvquiz.problems.display import TOKENS, answer_rule, as_param, show, vector
from cvquiz.problems.mistakes import distinct_mistakes
from cvquiz.problems.registry import Draft, Redraw, Rng, option, problem
from cvquiz.problems.sequence.cells import json_matrix
from cvquiz.text import Text


def _beam(first, table, steps, k):
    """Beam search on a bigram table; returns the final beams (best first) and each step's candidates.

    Raises :class:`Redraw` on a tie at a cut (the k-th and (k+1)-th candidates) or at the top.
    """
    V = len(first)
    beams = [((), sympy.Integer(1))]
    history = []
    for t in range(steps):
        cands = []
        for seq, p in beams:
            probs = first if not seq else table[seq[-1]]
            cands += [(seq + (v,), p * probs[v]) for v in range(V)]
        cands.sort(key=lambda c: -c[1])
        if cands[0][1] == cands[1][1] or (len(cands) > k and cands[k - 1][1] == cands[k][1]):
            raise Redraw
        history.append(cands)
        beams = cands[:k]
    return beams, history


@problem("beam_search", topic="sequence", concepts=("sequence.sampling",), version=1,
         title=Text("Beam search on a small table", "小概率表上的束搜索"), options=("steps", "beam_width"))
def beam_search(rng: Rng, steps: int | None = None, beam_width: int | None = None) -> Draft:
    steps = option(rng, "steps", steps, (2, 3))
    k = option(rng, "beam_width", beam_width, (2,))
    V = 3

    def row(allow_zero=True):
        parts = rng.choice([(5, 3, 2), (6, 3, 1), (5, 4, 1), (7, 2, 1), (4, 3, 3), (8, 1, 1), (9, 1, 0), (6, 4, 0)])
        if 0 in parts and not allow_zero:
            raise Redraw  # every first token is possible
        return [sympy.Rational(p, 10) for p in rng.shuffle(parts)]

    first = row(allow_zero=False)
    table = [row() for _ in range(V)]
    beams, history = _beam(first, table, steps, k)
    greedy, _ = _beam(first, table, steps, 1)
    best_all, _ = _beam(first, table, steps, V**steps)
    answer = list(beams[0][0])
    if list(greedy[0][0]) == answer and rng.random.random() < 0.9:
        raise Redraw  # most variants should show greedy and beam apart

    head = " " * len("  y_prev=0 ") + " ".join(f"{f'y={v}':>5}" for v in range(V))
    rows = "\n".join(f"  y_prev={u} " + " ".join(f"{show(p):>5}" for p in table[u]) for u in range(V))
    tokens = " ".join(str(v) for v in answer)
    prompt = Text(
        f"A tiny language model over the tokens 0, 1, 2 has P(y_1) = {vector(first)} and, at every later "
        f"step, P(y_t | y_(t−1)) given by the rows below.\n{head}\n{rows}\n"
        f"Decode {steps} tokens with beam search, beam width k = {k}, ranking by the product of the "
        f"probabilities. Which sequence ranks first at the end? Type its tokens separated by spaces.",
        f"一个只有 0、1、2 三个词元的小语言模型：P(y_1) = {vector(first)}，之后每一步的 "
        f"P(y_t | y_(t−1)) 由下表各行给出。\n{head}\n{rows}\n"
        f"用束宽 k = {k} 的束搜索解码 {steps} 个词元，按概率乘积排序。最后排名第一的序列是什么？"
        f"写出它的词元，用空格分隔。")
    lines_en, lines_zh = [], []
    for t, cands in enumerate(history, start=1):
        shown = ", ".join(f"{''.join(map(str, s))}: {show(p)}" for s, p in cands[: max(2 * k, 4)])
        kept = ", ".join("".join(map(str, s)) for s, _ in cands[:k])
        lines_en.append(f"Step {t}: {shown} … keep {kept}.")
        lines_zh.append(f"第 {t} 步：{shown} …… 保留 {kept}。")
    solution = Text(
        "Extend every kept sequence by every token, multiply the probabilities, keep the best k.\n" +
        "\n".join(lines_en) + f"\nBest: {tokens} (P = {show(beams[0][1])}).",
        "把每个保留的序列接上每个词元，概率相乘，保留最好的 k 个。\n" + "\n".join(lines_zh) +
        f"\n最优：{tokens}（P = {show(beams[0][1])}）。")
    hint = Text("Greedy keeps one sequence; beam search keeps the k most probable prefixes at each step and "
                "compares products of probabilities, not the last step's probability.",
                "贪心只保留一个序列；束搜索每步保留概率最高的 k 个前缀，比较的是概率乘积，而不只是最后一步的概率。")
    mistakes = distinct_mistakes(answer, None, [
        (list(greedy[0][0]), Text(
            "That is the greedy choice (beam width 1). With k = 2 the second-best prefix survives and can "
            "lead to a more probable sequence.",
            "这是贪心解（束宽 1）。k = 2 时第二好的前缀也被保留，它可能引出概率更高的序列。")),
        (list(best_all[0][0]), Text(
            "That is the most probable sequence overall (exhaustive search), but beam search pruned its "
            "prefix early: beam search is not guaranteed to find the global optimum.",
            "这是全局概率最高的序列（穷举搜索），但它的前缀早早被束搜索剪掉了：束搜索不保证找到全局最优。")),
        (list(beams[1][0]) if len(beams) > 1 else None, Text(
            "That sequence is in the final beam but ranks second; compare the products of probabilities.",
            "这个序列在最终的束里，但排第二；比较概率乘积。")),
    ])
    params = {"tokens": list(range(V)), "first": [as_param(p) for p in first], "table": json_matrix(table),
              "steps": steps, "beam_width": k}
    prompt = prompt + answer_rule(None, TOKENS)
    return Draft(params=params, prompt=prompt, answer=answer, answer_kind="indices", solution=solution,
                 hint=hint, tolerance=None, mistakes=mistakes)
