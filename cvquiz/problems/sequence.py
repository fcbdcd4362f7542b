"""Problem generators for the sequence topic: RNN/LSTM/GRU sizes and steps, clipping, decoding.

Conventions stated in the prompts: a weight is ``[in, out]`` and applied as ``x @ W`` (row
vectors, as in the reference); LSTM gates are stacked i, f, o, g; ``σ`` is the logistic
sigmoid; indices and token ids count from 0.
"""

from __future__ import annotations

import sympy

from cvquiz.answers import DEFAULT_TOLERANCE, Tolerance
from cvquiz.problems.display import (
    NUMBER, TOKENS, VECTOR, WHOLE, answer_rule, approx, approx_vector, as_param, exact_and_approx,
    matrix, power, show, vector,
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



def _json_matrix(W):
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


@problem("rnn_params", topic="sequence", concepts=("sequence.rnn", "sequence.lstm", "sequence.gru"), version=1,
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
        f"一个 {_CELL_NAME_ZH[cell]}：输入维度 {D}，隐藏维度 {H}，{stack_zh}，{bias_zh}。"
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
    params = {"cell": cell, "input_size": D, "hidden_size": H, "num_layers": layers, "bias": bias}
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
    params = {"x": [as_param(v) for v in x], "h_prev": [as_param(v) for v in h], "W_xh": _json_matrix(W_xh),
              "W_hh": _json_matrix(W_hh), "b": [as_param(v) for v in b]}
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
              "W_xh": _json_matrix(W_xh), "W_hh": _json_matrix(W_hh), "b": [as_param(v) for v in b],
              "gate_order": "ifog", "output": output}
    prompt = prompt + answer_rule(tolerance, NUMBER)
    return Draft(params=params, prompt=prompt, answer=answer, answer_kind="number", solution=solution,
                 hint=hint, tolerance=tolerance, mistakes=mistakes)


# ---------------------------------------------------------------------------------------
# gradients

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
              "max_norm": as_param(max_norm)}
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
        f"考虑{model_zh}，W_hh =\n{matrix(W)}\n{extra_zh.strip() + chr(10) if extra_zh else ''}"
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
    params = {"W_hh": _json_matrix(W), "T": T, "activation": activation, "tanh_prime_bound": as_param(gamma)}
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


# ---------------------------------------------------------------------------------------
# decoding

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
    params = {"tokens": list(range(V)), "first": [as_param(p) for p in first], "table": _json_matrix(table),
              "steps": steps, "beam_width": k}
    prompt = prompt + answer_rule(None, TOKENS)
    return Draft(params=params, prompt=prompt, answer=answer, answer_kind="indices", solution=solution,
                 hint=hint, tolerance=None, mistakes=mistakes)
