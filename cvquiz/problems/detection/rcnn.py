"""Detection problems about the R-CNN family: RoI Align, RoI Pool and Faster R-CNN anchors.

RoI Align and RoI Pool follow torchvision (``aligned=False``).
"""

from __future__ import annotations

import math
from fractions import Fraction

import sympy
from sympy import Rational

from cvquiz.answers import DEFAULT_TOLERANCE
from cvquiz.problems.detection.boxes import box_text
from cvquiz.problems.display import answer_rule, as_param, exact_and_approx, show
from cvquiz.problems.mistakes import distinct_mistakes, reject_near_boundary
from cvquiz.problems.registry import Draft, Redraw, Rng, option, problem
from cvquiz.text import Text, lines, same


def _grid_text(features) -> list[Text]:
    width = max(len(str(v)) for row in features for v in row)
    head = "      " + " ".join(f"x={j}".rjust(max(width, 3)) for j in range(len(features[0])))
    rows = [f"  y={i} " + " ".join(str(v).rjust(max(width, 3)) for v in row) for i, row in enumerate(features)]
    return [same(head), *[same(r) for r in rows]]


def _bilinear(features, x, y) -> Rational:
    """The cheatsheet's f(x, y) = Σ f_ij·max(0, 1 − |x − x_i|)·max(0, 1 − |y − y_j|)."""
    total = Rational(0)
    for j in (math.floor(y), math.floor(y) + 1):
        for i in (math.floor(x), math.floor(x) + 1):
            if 0 <= j < len(features) and 0 <= i < len(features[0]):
                total += features[j][i] * max(0, 1 - abs(x - i)) * max(0, 1 - abs(y - j))
    return total


SCALES = (Rational(1, 2), Rational(1, 4))


@problem("roi_align", topic="detection", concepts=("detection.mask_rcnn",), version=1,
         title=Text("RoI Align: one bilinear sample", "RoI Align：一次双线性采样"))
def roi_align(rng: Rng) -> Draft:
    height, width = 4, 5
    features = [[rng.integer(0, 9) for _ in range(width)] for _ in range(height)]
    scale = rng.choice(SCALES)
    stride = int(1 / scale)
    centre = []
    for size in (width, height):
        m = rng.integer(1, int((size - 1) * 2 / scale) - 1)  # centre = m·scale/2, inside (0, size − 1)
        c = m * scale / 2
        if c == int(c):
            raise Redraw  # on a grid line the sample is a plain read-out
        side = rng.integer(stride, 3 * stride)  # RoI side in the image, at least one feature cell
        if (m - side) % 2:
            side += 1
        lo = (m - side) // 2
        if lo < 0:
            raise Redraw
        centre.append((c, lo, lo + side))
    (x, x1, x2), (y, y1, y2) = centre
    roi = [x1, y1, x2, y2]
    answer = _bilinear(features, x, y)
    tolerance = DEFAULT_TOLERANCE
    if answer == 0:
        raise Redraw
    reject_near_boundary(answer, tolerance)
    x0, y0 = math.floor(x), math.floor(y)
    a, b = x - x0, y - y0
    prompt = lines(
        Text(f"A 1-channel feature map ({height}×{width}; value at row y, column x) comes from a backbone with "
             f"stride {stride} (spatial_scale = 1/{stride}):",
             f"一个单通道特征图（{height}×{width}；第 y 行第 x 列的值），来自步长为 {stride} 的主干网络"
             f"（spatial_scale = 1/{stride}）："),
        *_grid_text(features),
        Text(f"RoI Align (aligned=False) pools the image RoI {box_text(roi)} (xyxy, image pixels) to a 1×1 output with "
             "sampling_ratio = 1, i.e. one bilinear sample at the centre of the projected RoI. What is the output?",
             f"RoI Align（aligned=False）把图像上的 RoI {box_text(roi)}（xyxy，图像像素）池化为 1×1 输出，"
             "sampling_ratio = 1，即在投影后 RoI 的中心做一次双线性采样。输出是多少？"),
        Text("Bilinear: f(x, y) = Σ f(xᵢ, yⱼ)·max(0, 1 − |x − xᵢ|)·max(0, 1 − |y − yⱼ|) over the grid points.",
             "双线性插值：f(x, y) = Σ f(xᵢ, yⱼ)·max(0, 1 − |x − xᵢ|)·max(0, 1 − |y − yⱼ|)，对网格点求和。"),
    ) + answer_rule(tolerance, Text("a number", "一个数"))
    f = lambda i, j: features[j][i]  # noqa: E731
    solution = lines(
        Text(f"Project the RoI: ×1/{stride} gives [{show(x1 * scale)}, {show(y1 * scale)}, {show(x2 * scale)}, "
             f"{show(y2 * scale)}]; its centre is (x, y) = ({show(x)}, {show(y)}).",
             f"投影 RoI：乘 1/{stride} 得 [{show(x1 * scale)}, {show(y1 * scale)}, {show(x2 * scale)}, "
             f"{show(y2 * scale)}]；中心 (x, y) = ({show(x)}, {show(y)})。"),
        Text(f"Neighbours: x ∈ {{{x0}, {x0 + 1}}}, y ∈ {{{y0}, {y0 + 1}}}; weights along x: {show(1 - a)}, {show(a)}; "
             f"along y: {show(1 - b)}, {show(b)}.",
             f"相邻网格点：x ∈ {{{x0}, {x0 + 1}}}，y ∈ {{{y0}, {y0 + 1}}}；x 方向权重 {show(1 - a)}、{show(a)}；"
             f"y 方向权重 {show(1 - b)}、{show(b)}。"),
        same(f"f = {f(x0, y0)}·{show(1 - a)}·{show(1 - b)} + {_at(features, x0 + 1, y0)}·{show(a)}·{show(1 - b)}"
             f" + {_at(features, x0, y0 + 1)}·{show(1 - a)}·{show(b)} + {_at(features, x0 + 1, y0 + 1)}·{show(a)}·{show(b)}"),
        same(f"  = {exact_and_approx(answer)}"),
    )
    candidates = [
        (Rational(features[y0][x0]),
         Text("RoI Align does not snap to the grid (that is RoI Pool's quantization); interpolate the four neighbours.",
              "RoI Align 不会吸附到网格上（那是 RoI Pool 的量化）；要对四个邻点插值。")),
        (_bilinear(features, x0 + b, y0 + a) if x0 + b <= width - 1 and y0 + a <= height - 1 else None,
         Text("The weights are swapped: the x-distance weights the columns, the y-distance the rows.",
              "权重用反了：x 方向的距离给列加权，y 方向的距离给行加权。")),
        (_bilinear(features, y, x) if y <= width - 1 and x <= height - 1 else None,
         Text("x is the column and y the row: f(x, y) is read at row y, column x.",
              "x 是列、y 是行：f(x, y) 取第 y 行第 x 列。")),
        (sum((_at(features, i, j) for i in (x0, x0 + 1) for j in (y0, y0 + 1)), Rational(0)) / 4,
         Text("The four neighbours are weighted by closeness, not averaged equally.",
              "四个邻点按距离加权，而不是简单平均。")),
    ]
    return Draft(
        params={"features": features, "roi": roi, "spatial_scale": as_param(scale), "output_size": [1, 1],
                "sampling_ratio": 1, "aligned": False, "sample": [as_param(x), as_param(y)]},
        prompt=prompt, answer=answer, answer_kind="number", tolerance=tolerance, solution=solution,
        hint=Text("Scale the RoI to feature coordinates, take its centre, then interpolate between the four surrounding grid values.",
                  "先把 RoI 缩放到特征图坐标并求中心，再在周围四个网格值之间插值。"),
        mistakes=distinct_mistakes(answer, tolerance, candidates),
    )


def _at(features, i, j):
    return features[j][i] if 0 <= j < len(features) and 0 <= i < len(features[0]) else 0


def _round_half_away(v: Rational) -> int:
    return int(math.floor(abs(v) + Rational(1, 2))) * (1 if v >= 0 else -1)


def _roi_pool(features, roi, scale, size, plus_one=True, quantize=_round_half_away, reduce=max):
    height, width = len(features), len(features[0])
    x1, y1, x2, y2 = (quantize(v * scale) for v in roi)
    roi_w = max(x2 - x1 + (1 if plus_one else 0), 1)
    roi_h = max(y2 - y1 + (1 if plus_one else 0), 1)
    out, cells = [], []
    for ph in range(size):
        for pw in range(size):
            hs = min(max(math.floor(Fraction(ph * roi_h, size)) + y1, 0), height)
            he = min(max(math.ceil(Fraction((ph + 1) * roi_h, size)) + y1, 0), height)
            ws = min(max(math.floor(Fraction(pw * roi_w, size)) + x1, 0), width)
            we = min(max(math.ceil(Fraction((pw + 1) * roi_w, size)) + x1, 0), width)
            values = [features[j][i] for j in range(hs, he) for i in range(ws, we)]
            out.append(Rational(reduce(values)) if values else Rational(0))
            cells.append((hs, he, ws, we))
    return out, (x1, y1, x2, y2), cells


def _mean(values):
    return Rational(sum(values), len(values))


@problem("roi_pool", topic="detection", concepts=("detection.fast_rcnn",), version=1,
         title=Text("RoI Pool to a 2×2 output", "RoI Pool 池化到 2×2"))
def roi_pool(rng: Rng) -> Draft:
    height, width = 6, 6
    features = [[rng.integer(0, 20) for _ in range(width)] for _ in range(height)]
    scale = rng.choice(SCALES)
    stride = int(1 / scale)
    roi = []
    for _ in range(2):
        lo = rng.integer(0, 2 * stride)
        hi = lo + rng.integer(2 * stride, 4 * stride)
        roi.append((lo, hi))
    roi = [roi[0][0], roi[1][0], roi[0][1], roi[1][1]]
    scaled = [v * scale for v in roi]
    if any(v - math.floor(v) == Rational(1, 2) for v in scaled):
        raise Redraw  # round-half cases depend on the rounding rule
    if any(_round_half_away(v) > size - 1 for v, size in zip(scaled, (width, height, width, height))):
        raise Redraw
    answer, (qx1, qy1, qx2, qy2), cells = _roi_pool(features, roi, scale, 2)
    prompt = lines(
        Text(f"A 1-channel {height}×{width} feature map (row y, column x) from a backbone with stride {stride} "
             f"(spatial_scale = 1/{stride}):",
             f"一个单通道 {height}×{width} 特征图（第 y 行第 x 列），来自步长 {stride} 的主干网络（spatial_scale = 1/{stride}）："),
        *_grid_text(features),
        Text(f"RoI Pool the image RoI {box_text(roi)} (xyxy) to 2×2, as torchvision does: round each corner ×1/{stride} "
             "to the nearest cell; the RoI covers cells x1..x2 and y1..y2 inclusive (L = x2 − x1 + 1 cells across); "
             "bin p spans cells ⌊p·L/2⌋ to ⌈(p+1)·L/2⌉ − 1 from the start; take the max in each bin.",
             f"按 torchvision 的做法把图像 RoI {box_text(roi)}（xyxy）RoI Pool 到 2×2：各角点乘 1/{stride} 后四舍五入到格点；"
             "RoI 覆盖第 x1..x2 列与第 y1..y2 行（含两端，横向 L = x2 − x1 + 1 格）；第 p 个 bin 覆盖起点之后的"
             "第 ⌊p·L/2⌋ 到 ⌈(p+1)·L/2⌉ − 1 格；每个 bin 取最大值。"),
    ) + answer_rule(None, Text("the 2×2 output row by row as a list, e.g. [7, 3, 5, 9]",
                               "按行列出 2×2 输出，如 [7, 3, 5, 9]"))
    bins = []
    names = ("top-left", "top-right", "bottom-left", "bottom-right")
    names_zh = ("左上", "右上", "左下", "右下")
    for name, name_zh, (hs, he, ws, we), v in zip(names, names_zh, cells, answer):
        bins.append(Text(f"  {name}: rows {hs}..{he - 1}, columns {ws}..{we - 1} → max {show(v)}",
                         f"  {name_zh}：第 {hs}..{he - 1} 行，第 {ws}..{we - 1} 列 → 最大值 {show(v)}"))
    solution = lines(
        Text(f"Quantize: {box_text(roi)} × 1/{stride} = {box_text(scaled)} → rounded [{qx1}, {qy1}, {qx2}, {qy2}].",
             f"量化：{box_text(roi)} × 1/{stride} = {box_text(scaled)} → 取整 [{qx1}, {qy1}, {qx2}, {qy2}]。"),
        Text(f"The RoI spans {qx2 - qx1 + 1} columns and {qy2 - qy1 + 1} rows; split each in two:",
             f"RoI 横跨 {qx2 - qx1 + 1} 列、{qy2 - qy1 + 1} 行；各分成两半："),
        *bins,
        Text(f"Output: [{', '.join(show(v) for v in answer)}]", f"输出：[{', '.join(show(v) for v in answer)}]"),
    )
    candidates = [
        (_roi_pool(features, roi, scale, 2, reduce=_mean)[0],
         Text("RoI Pool takes the maximum in each bin, not the average.", "RoI Pool 在每个 bin 内取最大值，而不是平均。")),
        (_roi_pool(features, roi, scale, 2, plus_one=False)[0],
         Text("The rounded corners are both inside the RoI: it covers x2 − x1 + 1 cells, not x2 − x1.",
              "取整后的两个角点都在 RoI 内：共 x2 − x1 + 1 格，而不是 x2 − x1 格。")),
        (_roi_pool(features, roi, scale, 2, quantize=math.floor)[0],
         Text("The corners are rounded to the nearest cell, not floored.", "角点是四舍五入到最近的格点，而不是向下取整。")),
        (_roi_pool(features, roi, 1, 2)[0] if max(roi) <= width - 1 else None,
         Text(f"Scale the RoI to the feature map first (× 1/{stride}).", f"要先把 RoI 缩放到特征图上（× 1/{stride}）。")),
    ]
    return Draft(
        params={"features": features, "roi": roi, "spatial_scale": as_param(scale), "output_size": [2, 2]},
        prompt=prompt, answer=answer, answer_kind="vector", tolerance=None, solution=solution,
        hint=Text("Quantize the RoI onto the grid, split it into 2×2 bins of whole cells, and take each bin's max.",
                  "把 RoI 量化到网格，分成 2×2 个由整格组成的 bin，各取最大值。"),
        mistakes=distinct_mistakes(answer, None, candidates),
    )


# ---------------------------------------------------------------------------
# Faster R-CNN anchors

ANCHOR_ASKS = ("anchors", "cls_channels", "reg_channels")


@problem("anchor_count", topic="detection", concepts=("detection.faster_rcnn",), version=2,
         title=Text("Faster R-CNN anchors and RPN outputs", "Faster R-CNN 的锚框数与 RPN 输出"), options=("ask",))
def anchor_count(rng: Rng, ask: str | None = None) -> Draft:
    ask = option(rng, "ask", ask, ANCHOR_ASKS)
    stride = rng.choice((8, 16, 32))
    fh, fw = rng.integer(10, 50), rng.integer(10, 50)
    n_scales, n_ratios = rng.integer(2, 5), rng.integer(2, 3)
    k = n_scales * n_ratios
    objectness = rng.choice(("softmax", "sigmoid"))
    cls = 2 * k if objectness == "softmax" else k
    answer = {"anchors": fh * fw * k, "cls_channels": cls, "reg_channels": 4 * k}[ask]
    answer = sympy.Integer(answer)
    obj_text = (Text("a 2-way softmax (object / background) per anchor", "每个锚框一个二类 softmax（物体/背景）")
                if objectness == "softmax" else
                Text("one sigmoid objectness score per anchor", "每个锚框一个 sigmoid 前景得分"))
    question = {
        "anchors": Text("How many anchors does the RPN score for this image?", "RPN 对这张图一共评估多少个锚框？"),
        "cls_channels": Text("How many output channels does the RPN's objectness (classification) convolution have?",
                             "RPN 的前景得分（分类）卷积有多少个输出通道？"),
        "reg_channels": Text("How many output channels does the RPN's box-regression convolution have?",
                             "RPN 的边框回归卷积有多少个输出通道？"),
    }[ask]
    prompt = lines(
        Text(f"A Faster R-CNN backbone with stride {stride} takes a {fh * stride}×{fw * stride} image (H×W). "
             f"At every feature-map position the RPN places anchors of {n_scales} scales × {n_ratios} aspect ratios; "
             f"objectness is {obj_text.en}, and each anchor gets 4 box offsets.",
             f"Faster R-CNN 主干网络步长 {stride}，输入图像 {fh * stride}×{fw * stride}（H×W）。RPN 在特征图每个位置放置 "
             f"{n_scales} 种尺度 × {n_ratios} 种长宽比的锚框；前景得分用{obj_text.zh}，每个锚框回归 4 个偏移量。"),
        question,
    ) + answer_rule(None, Text("a whole number", "一个整数"))
    steps = [
        Text(f"Feature map: {fh * stride}/{stride} × {fw * stride}/{stride} = {fh}×{fw}; k = {n_scales} × {n_ratios} = {k} anchors per position.",
             f"特征图：{fh * stride}/{stride} × {fw * stride}/{stride} = {fh}×{fw}；每个位置 k = {n_scales} × {n_ratios} = {k} 个锚框。"),
    ]
    steps.append({
        "anchors": Text(f"Anchors = H·W·k = {fh}·{fw}·{k} = {answer}", f"锚框数 = H·W·k = {fh}·{fw}·{k} = {answer}"),
        "cls_channels": Text(f"Objectness channels = {'2k' if objectness == 'softmax' else 'k'} = {cls}",
                             f"前景得分通道数 = {'2k' if objectness == 'softmax' else 'k'} = {cls}"),
        "reg_channels": Text(f"Regression channels = 4k = 4·{k} = {4 * k}", f"回归通道数 = 4k = 4·{k} = {4 * k}"),
    }[ask])
    candidates = {
        "anchors": [
            (sympy.Integer(fh * fw), Text("Each position has k anchors, not one.", "每个位置有 k 个锚框，不是一个。")),
            (sympy.Integer(fh * fw * stride * stride * k),
             Text("Anchors sit on the feature map, not on every image pixel: divide by the stride.",
                  "锚框放在特征图上，而不是每个图像像素上：要除以步长。")),
            (sympy.Integer(fh * fw * (n_scales + n_ratios)),
             Text("k is scales × ratios (every combination), not scales + ratios.", "k = 尺度数 × 长宽比数（所有组合），不是相加。")),
        ],
        "cls_channels": [
            (sympy.Integer(k if objectness == "softmax" else 2 * k),
             Text(f"With {obj_text.en} the count is {'2k' if objectness == 'softmax' else 'k'}.",
                  f"使用{obj_text.zh}时通道数为 {'2k' if objectness == 'softmax' else 'k'}。")),
            (sympy.Integer(fh * fw * cls), Text("Channels are per position; do not multiply by H·W.", "通道数是每个位置的，不要乘 H·W。")),
            (sympy.Integer(2 if objectness == "softmax" else 1), Text("Every one of the k anchors needs its own score.", "k 个锚框各自需要分数。")),
        ],
        "reg_channels": [
            (sympy.Integer(4), Text("Every one of the k anchors gets its own 4 offsets: 4k.", "k 个锚框各有 4 个偏移量：4k。")),
            (sympy.Integer(4 * k * fh * fw), Text("Channels are per position; do not multiply by H·W.", "通道数是每个位置的，不要乘 H·W。")),
            (sympy.Integer(2 * k), Text("A box needs 4 numbers (dx, dy, dw, dh), so 4k.", "一个框需要 4 个数 (dx, dy, dw, dh)，所以是 4k。")),
        ],
    }[ask]
    return Draft(
        params={"image_size": [fh * stride, fw * stride], "stride": stride, "num_scales": n_scales,
                "num_ratios": n_ratios, "objectness": objectness, "ask": ask},
        prompt=prompt, answer=answer, answer_kind="number", tolerance=None, solution=lines(*steps),
        hint=Text("k = scales × ratios anchors sit at every position of the H/stride × W/stride feature map.",
                  "特征图 (H/步长)×(W/步长) 的每个位置都有 k 个锚框，k = 尺度数 × 长宽比数。"),
        mistakes=distinct_mistakes(answer, None, candidates),
    )
