"""Sequence problems about recurrent cells: parameter counts of RNN, LSTM and GRU layers, and one
step of a vanilla RNN or an LSTM.

A weight is ``[in, out]`` and applied as ``x @ W`` (row vectors, as in the reference); LSTM
gates are stacked i, f, o, g; ``σ`` is the logistic sigmoid.
"""

from __future__ import annotations

import sympy

from cvquiz.answers import DEFAULT_TOLERANCE
from cvquiz.problems.display import (
    NUMBER, VECTOR, WHOLE, after_han, answer_rule, approx, approx_vector, as_param, matrix, show, vector,
)
from cvquiz.problems.mistakes import distinct_mistakes, listed, reject_long, reject_near_boundary
from cvquiz.problems.registry import Draft, Redraw, Rng, option, problem
from cvquiz.text import Text


def _sigmoid(z):
    return 1 / (1 + sympy.exp(-z))


def _matmul_row(x, W):
    """Row vector ``x`` times matrix ``W`` (a list of rows)."""
    return [sum((x[i] * W[i][j] for i in range(len(x))), sympy.Integer(0)) for j in range(len(W[0]))]


def _transpose(W):
    return [list(col) for col in zip(*W)]


def json_matrix(W):
    """A matrix of exact values as JSON numbers (a list of rows), for a variant's params."""
    return [[as_param(v) for v in row] for row in W]


# ---------------------------------------------------------------------------------------
# parameter counts

_GATES = {"rnn": 1, "lstm": 4, "gru": 3}
_CELL_NAME = {"rnn": "vanilla RNN", "lstm": "LSTM", "gru": "GRU"}
_CELL_NAME_ZH = {"rnn": "普通 RNN", "lstm": "LSTM", "gru": "GRU"}


def _rnn_count(gates: int, inputs: int, hidden: int, layers: int, biases: int, second_input=None) -> int:
    total = 0
    for layer in range(layers):
        width = inputs if layer == 0 else (hidden if second_input is None else second_input)
        total += gates * (hidden * width + hidden * hidden + biases * hidden)
    return total


@problem("rnn_params", topic="sequence", concepts=("sequence.rnn", "sequence.lstm", "sequence.gru"), version=2,
         title=Text("Parameters of an RNN, LSTM or GRU", "RNN、LSTM、GRU 的参数量"),
         options=("cell", "bias", "layers"))
def rnn_params(rng: Rng, cell: str | None = None, bias: str | None = None, layers: int | None = None) -> Draft:
    cell = option(rng, "cell", cell, tuple(_GATES))
    bias = option(rng, "bias", bias, ("two", "one", "none"))
    layers = option(rng, "layers", layers, (1, 2))
    G = _GATES[cell]
    D = rng.choice([8, 10, 16, 20, 32, 50, 64, 100, 128])
    H = rng.choice([16, 20, 32, 64, 100, 128, 256])
    if D == H:
        raise Redraw  # keep the input and hidden widths apart so a swap shows
    nb = {"two": 2, "one": 1, "none": 0}[bias]
    answer = sympy.Integer(_rnn_count(G, D, H, layers, nb))

    bias_en = {"two": "two bias vectors per gate, b_ih and b_hh, as PyTorch stores them",
               "one": "one bias vector per gate, as in the lecture's formulas",
               "none": "no biases"}[bias]
    bias_zh = {"two": "每个门两个偏置向量 b_ih 和 b_hh（PyTorch 的存法）",
               "one": "每个门一个偏置向量（课件公式的写法）",
               "none": "没有偏置"}[bias]
    stack_en = f"{layers} stacked layers (layer 2 reads layer 1's hidden state)" if layers == 2 else "one layer"
    stack_zh = f"{layers} 层堆叠（第 2 层的输入是第 1 层的隐藏状态）" if layers == 2 else "单层"
    prompt = Text(
        f"A {_CELL_NAME[cell]} has input size {D}, hidden size {H}, {stack_en}, and {bias_en}. "
        f"How many learnable parameters does it have? (Count only the recurrent cell: no embedding "
        f"and no output layer.)",
        f"一个{after_han(_CELL_NAME_ZH[cell])}：输入维度 {D}，隐藏维度 {H}，{stack_zh}，{bias_zh}。"
        f"它有多少个可学习参数？（只算循环单元本身，不含嵌入层和输出层。）")

    gates_en = {"rnn": "1 block", "lstm": "4 blocks (i, f, o, g)", "gru": "3 blocks (r, z, n)"}[cell]
    gates_zh = {"rnn": "1 组", "lstm": "4 组（i, f, o, g）", "gru": "3 组（r, z, n）"}[cell]
    per_layer = []
    for layer in range(layers):
        width = D if layer == 0 else H
        n = G * (H * width + H * H + nb * H)
        b_txt = f" + {nb}·{H}" if nb else ""
        per_layer.append((layer + 1, width, n, f"{G} × ({H}·{width} + {H}·{H}{b_txt}) = {n}"))
    lines_en = "\n".join(f"Layer {l} (input {w}): {f}" for l, w, _, f in per_layer)
    lines_zh = "\n".join(f"第 {l} 层（输入 {w}）：{f}" for l, w, _, f in per_layer)
    solution = Text(
        f"A {_CELL_NAME[cell]} has {gates_en}; each has W_x [input × {H}], W_h [{H} × {H}] and "
        f"{nb} bias vector(s) of size {H}.\n{lines_en}\nTotal: {answer}.",
        f"{_CELL_NAME_ZH[cell]} 有 {gates_zh}；每组有 W_x [输入 × {H}]、W_h [{H} × {H}] 和 {nb} 个长 {H} 的"
        f"偏置向量。\n{lines_zh}\n合计：{answer}。")
    hint = Text("Per gate block: H·input + H·H weights plus H per bias vector; multiply by the number of "
                "blocks (RNN 1, GRU 3, LSTM 4) and add the layers.",
                "每组门：H·输入 + H·H 个权重，每个偏置向量再加 H；乘以组数（RNN 1、GRU 3、LSTM 4），各层相加。")
    candidates = []
    if bias == "two":
        candidates.append((_rnn_count(G, D, H, layers, 1), Text(
            "PyTorch stores two bias vectors per gate block (b_ih and b_hh); you counted one.",
            "PyTorch 每组门存两个偏置向量（b_ih 和 b_hh）；你只算了一个。")))
    else:
        candidates.append((_rnn_count(G, D, H, layers, 2), Text(
            f"This question states {bias_en}; you counted PyTorch's two bias vectors per gate.",
            f"题目说明的是{bias_zh}；你按 PyTorch 的每门两个偏置算了。")))
    if bias != "none":
        candidates.append((_rnn_count(G, D, H, layers, 0), Text(
            "You left out the biases.", "你漏掉了偏置。")))
    if cell == "lstm":
        candidates.append((_rnn_count(3, D, H, layers, nb), Text(
            "An LSTM has four weight blocks: the gates i, f, o and the candidate g.",
            "LSTM 有四组权重：门 i、f、o 以及候选值 g。")))
    if cell == "gru":
        candidates.append((_rnn_count(4, D, H, layers, nb), Text(
            "A GRU has three weight blocks (reset, update, candidate), not four like an LSTM.",
            "GRU 有三组权重（重置门、更新门、候选值），不是 LSTM 的四组。")))
    if G > 1:
        candidates.append((_rnn_count(1, D, H, layers, nb), Text(
            f"Each of the {G} blocks has its own weights and biases; multiply by {G}.",
            f"{G} 组各有自己的权重和偏置；要乘以 {G}。")))
    candidates.append((layers * G * (H * D + nb * H), Text(
        "You left out the recurrent weights W_h [H × H] that read the previous hidden state.",
        "你漏掉了读取上一时刻隐藏状态的循环权重 W_h [H × H]。")))
    candidates.append((_rnn_count(G, H, D, layers, nb), Text(
        "You swapped the input and hidden sizes: W_x is [input × H] and W_h is [H × H].",
        "你把输入维度和隐藏维度弄反了：W_x 是 [输入 × H]，W_h 是 [H × H]。")))
    if layers == 2:
        candidates.append((_rnn_count(G, D, H, 1, nb), Text(
            "There are two stacked layers; count both.", "有两层堆叠，两层都要算。")))
        candidates.append((_rnn_count(G, D, H, 2, nb, second_input=D), Text(
            f"The second layer's input is the first layer's hidden state, of size {H}, not the input size {D}.",
            f"第二层的输入是第一层的隐藏状态（维度 {H}），不是原始输入维度 {D}。")))
    mistakes = distinct_mistakes(answer, None, [(sympy.Integer(v), t) for v, t in candidates])
    params = {"cell": cell, "input_size": D, "hidden_size": H, "num_layers": layers, "bias": bias,
              "case": f"{_CELL_NAME[cell]}, {'two layers' if layers == 2 else 'one layer'}"}
    prompt = prompt + answer_rule(None, WHOLE)
    return Draft(params=params, prompt=prompt, answer=answer, answer_kind="number", solution=solution,
                 hint=hint, tolerance=None, mistakes=mistakes)


# ---------------------------------------------------------------------------------------
# one step of a cell

@problem("rnn_step", topic="sequence", concepts=("sequence.rnn", "sequence.vanilla_rnn"), version=1,
         title=Text("One vanilla RNN step", "普通 RNN 的一步"))
def rnn_step(rng: Rng) -> Draft:
    D, H = rng.choice([2, 3]), 2
    x = [sympy.Integer(rng.integer(-2, 2)) for _ in range(D)]
    h = [rng.decimal(-0.9, 0.9) for _ in range(H)]
    W_xh = [[sympy.Integer(rng.integer(-1, 1)) for _ in range(H)] for _ in range(D)]
    W_hh = [[sympy.Integer(rng.integer(-2, 2)) for _ in range(H)] for _ in range(H)]
    b = [rng.decimal(-0.5, 0.5) for _ in range(H)]
    xw, hw = _matmul_row(x, W_xh), _matmul_row(h, W_hh)
    a = [p + q + c for p, q, c in zip(xw, hw, b)]
    if any(abs(v) > 2 for v in a) or all(v == 0 for v in xw) or all(v == 0 for v in hw):
        raise Redraw  # saturated, or a term that plays no part
    answer = [sympy.tanh(v) for v in a]
    tolerance = DEFAULT_TOLERANCE
    reject_near_boundary(answer, tolerance)
    reject_long(answer)

    prompt = Text(
        f"A vanilla RNN computes h_t = tanh(x_t W_xh + h_(t−1) W_hh + b), with row vectors and weights "
        f"[in, out] applied as x @ W.\n"
        f"x_t = {vector(x)},  h_(t−1) = {vector(h)},  b = {vector(b)}\n"
        f"W_xh ({D}×{H}) =\n{matrix(W_xh)}\nW_hh ({H}×{H}) =\n{matrix(W_hh)}\n"
        f"Give h_t as a vector, e.g. [0.1, -0.2].",
        f"普通 RNN：h_t = tanh(x_t W_xh + h_(t−1) W_hh + b)，向量为行向量，权重形状为 [输入, 输出]，"
        f"按 x @ W 相乘。\n"
        f"x_t = {vector(x)}，h_(t−1) = {vector(h)}，b = {vector(b)}\n"
        f"W_xh（{D}×{H}）=\n{matrix(W_xh)}\nW_hh（{H}×{H}）=\n{matrix(W_hh)}\n"
        f"写出向量 h_t，例如 [0.1, -0.2]。")
    solution = Text(
        f"x_t W_xh = {vector(xw)}; h_(t−1) W_hh = {vector(hw)}; adding b gives the pre-activation "
        f"a = {vector(a)}.\nh_t = tanh(a) = {approx_vector(answer)}.",
        f"x_t W_xh = {vector(xw)}；h_(t−1) W_hh = {vector(hw)}；加上 b 得到激活前的值 a = {vector(a)}。\n"
        f"h_t = tanh(a) = {approx_vector(answer)}。")
    hint = Text("Entry j of x @ W is Σ_i x_i W[i][j]: multiply by the column. Add the three terms, then tanh.",
                "x @ W 的第 j 个分量是 Σ_i x_i W[i][j]：与第 j 列相乘。三项相加后再取 tanh。")
    hw_t = _matmul_row(h, _transpose(W_hh))
    mistakes = listed(distinct_mistakes(answer, tolerance, [
        (a, Text("You stopped at the pre-activation; apply tanh to each entry.",
                 "你停在了激活前的值；还要对每个分量取 tanh。")),
        ([sympy.tanh(p + q + c) for p, q, c in zip(xw, hw_t, b)], Text(
            "You multiplied by W_hh transposed. With weights [in, out] and row vectors, entry j is "
            "Σ_i h_i W_hh[i][j] (a column of W_hh).",
            "你乘的是 W_hh 的转置。权重为 [输入, 输出]、向量为行向量时，第 j 个分量是 Σ_i h_i W_hh[i][j]"
            "（W_hh 的一列）。")),
        ([sympy.tanh(p + q) for p, q in zip(xw, hw)], Text("You left out the bias b.", "你漏掉了偏置 b。")),
        ([sympy.tanh(p + c) for p, c in zip(xw, b)], Text(
            "The previous hidden state enters through h_(t−1) W_hh; that is the recurrence.",
            "上一时刻隐藏状态通过 h_(t−1) W_hh 进入计算，这正是循环所在。")),
        ([_sigmoid(v) for v in a], Text("A vanilla RNN uses tanh, not the sigmoid.",
                                        "普通 RNN 用的是 tanh，不是 sigmoid。")),
    ]))
    params = {"x": [as_param(v) for v in x], "h_prev": [as_param(v) for v in h], "W_xh": json_matrix(W_xh),
              "W_hh": json_matrix(W_hh), "b": [as_param(v) for v in b]}
    prompt = prompt + answer_rule(tolerance, VECTOR)
    return Draft(params=params, prompt=prompt, answer=answer, answer_kind="vector", solution=solution,
                 hint=hint, tolerance=tolerance, mistakes=mistakes)


@problem("lstm_step", topic="sequence", concepts=("sequence.lstm",), version=1,
         title=Text("One LSTM step", "LSTM 的一步"), options=("output",))
def lstm_step(rng: Rng, output: str | None = None) -> Draft:
    output = option(rng, "output", output, ("c", "h"))
    D, H = rng.choice([1, 2]), 1
    x = [sympy.Integer(rng.integer(-2, 2)) for _ in range(D)]
    h = [rng.decimal(-0.9, 0.9)]
    c = [rng.decimal(-1.5, 1.5)]
    W_xh = [[sympy.Integer(rng.integer(-2, 2)) for _ in range(4 * H)] for _ in range(D)]
    W_hh = [[sympy.Integer(rng.integer(-1, 1)) for _ in range(4 * H)] for _ in range(H)]
    b = [sympy.Integer(rng.integer(-1, 1)) for _ in range(4 * H)]
    z = [p + q + r for p, q, r in zip(_matmul_row(x, W_xh), _matmul_row(h, W_hh), b)]
    zi, zf, zo, zg = z
    if len(set(z)) < 4 or any(abs(v) > 3 for v in z) or c[0] == 0 or x == [0] * D:
        raise Redraw  # equal blocks would hide an order mix-up
    i, f, o, g = _sigmoid(zi), _sigmoid(zf), _sigmoid(zo), sympy.tanh(zg)
    c_t = f * c[0] + i * g
    h_t = o * sympy.tanh(c_t)
    answer = c_t if output == "c" else h_t
    tolerance = DEFAULT_TOLERANCE
    reject_near_boundary(answer, tolerance)
    reject_long(answer)

    def cell(i_, f_, g_):
        return f_ * c[0] + i_ * g_

    # the same blocks read in PyTorch's order i, f, g, o
    c_torch = cell(_sigmoid(zi), _sigmoid(zf), sympy.tanh(zo))
    c_swap = cell(_sigmoid(zf), _sigmoid(zi), sympy.tanh(zg))
    c_sig = cell(i, f, _sigmoid(zg))
    if output == "c":
        candidates = [
            (c_torch, Text("You read the blocks in PyTorch's order i, f, g, o; here they are stacked i, f, o, g.",
                           "你按 PyTorch 的顺序 i, f, g, o 读取了各块；本题的顺序是 i, f, o, g。")),
            (c_swap, Text("The forget gate multiplies the old cell, the input gate the candidate: "
                          "c_t = f ⊙ c_(t−1) + i ⊙ g.",
                          "遗忘门乘旧的细胞状态，输入门乘候选值：c_t = f ⊙ c_(t−1) + i ⊙ g。")),
            (c_sig, Text("The candidate g uses tanh (values in (−1, 1)); only i, f, o use the sigmoid.",
                         "候选值 g 用 tanh（取值 (−1, 1)）；只有 i、f、o 用 sigmoid。")),
            (h_t, Text("That is h_t; the question asks for the cell state c_t.",
                       "这是 h_t；题目问的是细胞状态 c_t。")),
        ]
    else:
        candidates = [
            (o * c_t, Text("h_t = o ⊙ tanh(c_t): apply tanh to the cell state before the output gate.",
                           "h_t = o ⊙ tanh(c_t)：先对细胞状态取 tanh，再乘输出门。")),
            (_sigmoid(zg) * sympy.tanh(c_torch), Text(
                "You read the blocks in PyTorch's order i, f, g, o; here they are stacked i, f, o, g.",
                "你按 PyTorch 的顺序 i, f, g, o 读取了各块；本题的顺序是 i, f, o, g。")),
            (o * sympy.tanh(c[0]), Text("Use the new cell state c_t, not c_(t−1).",
                                        "要用新的细胞状态 c_t，而不是 c_(t−1)。")),
            (o * sympy.tanh(c_swap), Text("The forget gate multiplies the old cell, the input gate the candidate: "
                                          "c_t = f ⊙ c_(t−1) + i ⊙ g.",
                                          "遗忘门乘旧的细胞状态，输入门乘候选值：c_t = f ⊙ c_(t−1) + i ⊙ g。")),
            (c_t, Text("That is c_t; the question asks for the hidden state h_t = o ⊙ tanh(c_t).",
                       "这是 c_t；题目问的是隐藏状态 h_t = o ⊙ tanh(c_t)。")),
        ]
    mistakes = listed(distinct_mistakes(answer, tolerance, candidates))

    ask_en = "the new cell state c_t" if output == "c" else "the new hidden state h_t"
    ask_zh = "新的细胞状态 c_t" if output == "c" else "新的隐藏状态 h_t"
    prompt = Text(
        f"An LSTM with hidden size 1 stacks its gate pre-activations as [i, f, o, g] = x_t W_xh + "
        f"h_(t−1) W_hh + b (weights [in, out], applied as x @ W); i, f, o = σ(·), g = tanh(·), "
        f"c_t = f·c_(t−1) + i·g, h_t = o·tanh(c_t).\n"
        f"x_t = {vector(x)},  h_(t−1) = {show(h[0])},  c_(t−1) = {show(c[0])}\n"
        f"W_xh ({D}×4, columns i, f, o, g) =\n{matrix(W_xh)}\nW_hh (1×4) =\n{matrix(W_hh)}\n"
        f"b = {vector(b)}\nCompute {ask_en}.",
        f"隐藏维度为 1 的 LSTM，门的激活前值按 [i, f, o, g] = x_t W_xh + h_(t−1) W_hh + b 堆叠"
        f"（权重形状 [输入, 输出]，按 x @ W 相乘）；i, f, o = σ(·)，g = tanh(·)，c_t = f·c_(t−1) + i·g，"
        f"h_t = o·tanh(c_t)。\n"
        f"x_t = {vector(x)}，h_(t−1) = {show(h[0])}，c_(t−1) = {show(c[0])}\n"
        f"W_xh（{D}×4，列依次为 i, f, o, g）=\n{matrix(W_xh)}\nW_hh（1×4）=\n{matrix(W_hh)}\n"
        f"b = {vector(b)}\n求{ask_zh}。")
    gates = (f"i = σ({show(zi)}) ≈ {approx(i)}, f = σ({show(zf)}) ≈ {approx(f)}, "
             f"o = σ({show(zo)}) ≈ {approx(o)}, g = tanh({show(zg)}) ≈ {approx(g)}")
    step_c = f"c_t = f·c_(t−1) + i·g = {approx(f)}·({show(c[0])}) + {approx(i)}·({approx(g)}) ≈ {approx(c_t)}"
    step_h = f"h_t = o·tanh(c_t) = {approx(o)}·tanh({approx(c_t)}) ≈ {approx(h_t)}"
    tail = step_c if output == "c" else step_c + ";\n" + step_h
    solution = Text(
        f"Pre-activations [i, f, o, g] = {vector(z)}.\n{gates}.\n{tail}.",
        f"激活前的值 [i, f, o, g] = {vector(z)}。\n{gates}。\n{tail}。")
    hint = Text("First the four pre-activations (one per column), then σ for i, f, o and tanh for g; "
                "c_t = f·c_(t−1) + i·g.",
                "先算四个激活前的值（每列一个），再对 i, f, o 取 σ、对 g 取 tanh；c_t = f·c_(t−1) + i·g。")
    params = {"x": [as_param(v) for v in x], "h_prev": [as_param(v) for v in h], "c_prev": [as_param(v) for v in c],
              "W_xh": json_matrix(W_xh), "W_hh": json_matrix(W_hh), "b": [as_param(v) for v in b],
              "gate_order": "ifog", "output": output}
    prompt = prompt + answer_rule(tolerance, NUMBER)
    return Draft(params=params, prompt=prompt, answer=answer, answer_kind="number", solution=solution,
                 hint=hint, tolerance=tolerance, mistakes=mistakes)
