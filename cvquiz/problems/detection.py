"""Problem generators for the detection topic.

Conventions stated in every prompt (and followed by ``reference/detection.py``): boxes are
continuous coordinates without VOC's +1; NMS suppresses at IoU strictly greater than the
threshold; 11-point AP takes the maximum precision at recall ≥ t; RoI Align and RoI Pool
follow torchvision (``aligned=False``).
"""

from __future__ import annotations

import math
from fractions import Fraction

import sympy
from sympy import Rational

from cvquiz.answers import DEFAULT_TOLERANCE
from cvquiz.problems.display import answer_rule, as_param, exact_and_approx, show
from cvquiz.problems.mistakes import distinct_mistakes, reject_near_boundary
from cvquiz.problems.registry import Draft, Redraw, Rng, option, problem
from cvquiz.text import Text, lines, same

FORMATS = ("xyxy", "cxcywh")


def _box(values) -> str:
    return "[" + ", ".join(show(v) for v in values) + "]"


def _area(b) -> Rational:
    return (b[2] - b[0]) * (b[3] - b[1])


def _inter(a, b) -> Rational:
    iw = min(a[2], b[2]) - max(a[0], b[0])
    ih = min(a[3], b[3]) - max(a[1], b[1])
    return max(iw, 0) * max(ih, 0)


def _iou(a, b) -> Rational:
    inter = _inter(a, b)
    union = _area(a) + _area(b) - inter
    return Rational(inter, union) if union else Rational(0)


def _to_xyxy(box, fmt: str) -> list[Rational]:
    box = [Rational(v) for v in box]
    if fmt == "xyxy":
        return box
    if fmt == "xywh":
        x, y, w, h = box
        return [x, y, x + w, y + h]
    cx, cy, w, h = box
    return [cx - w / 2, cy - h / 2, cx + w / 2, cy + h / 2]


def _from_xyxy(box, fmt: str) -> list[Rational]:
    x1, y1, x2, y2 = box
    if fmt == "xyxy":
        return list(box)
    if fmt == "xywh":
        return [x1, y1, x2 - x1, y2 - y1]
    return [(x1 + x2) / 2, (y1 + y2) / 2, x2 - x1, y2 - y1]


# ---------------------------------------------------------------------------
# IoU

@problem("iou", topic="detection", concepts=("detection.nms", "detection.boxes"), version=1,
         title=Text("IoU of two boxes", "两个框的 IoU"), options=("format",))
def iou(rng: Rng, format: str | None = None) -> Draft:
    fmt = option(rng, "format", format, FORMATS)
    # Box A, then box B placed so that the two overlap (an IoU of 0 teaches nothing here).
    if fmt == "xyxy":
        wa, ha, wb, hb = (rng.integer(3, 10) for _ in range(4))
    else:  # even sizes keep the corners whole numbers
        wa, ha, wb, hb = (2 * rng.integer(2, 5) for _ in range(4))
    ax, ay = rng.integer(10, 16), rng.integer(10, 16)
    bx, by = ax + rng.integer(-wb + 1, wa - 1), ay + rng.integer(-hb + 1, ha - 1)
    a = [Rational(v) for v in (ax, ay, ax + wa, ay + ha)]
    b = [Rational(v) for v in (bx, by, bx + wb, by + hb)]
    if a == b or _inter(a, b) <= 0:
        raise Redraw
    inter, area_a, area_b = _inter(a, b), _area(a), _area(b)
    union = area_a + area_b - inter
    answer = Rational(inter, union)
    tolerance = DEFAULT_TOLERANCE
    reject_near_boundary(answer, tolerance)

    box_a, box_b = _from_xyxy(a, fmt), _from_xyxy(b, fmt)
    ix1, ix2 = max(a[0], b[0]), min(a[2], b[2])
    iy1, iy2 = max(a[1], b[1]), min(a[3], b[3])
    fmt_text = (Text("(x1, y1, x2, y2): top-left and bottom-right corners",
                     "(x1, y1, x2, y2)：左上角与右下角")
                if fmt == "xyxy" else
                Text("(cx, cy, w, h): centre, width and height", "(cx, cy, w, h)：中心、宽、高"))
    prompt = lines(
        Text(f"Two axis-aligned boxes are given as {fmt_text.en}:",
             f"两个轴对齐的框，格式为 {fmt_text.zh}："),
        same(f"  A = {_box(box_a)}"),
        same(f"  B = {_box(box_b)}"),
        Text("Compute their intersection over union (IoU). Coordinates are continuous (no +1).",
             "求它们的交并比 IoU。坐标是连续的（不加 1）。"),
    ) + answer_rule(tolerance, Text("a number such as 0.25 or 1/4", "一个数，如 0.25 或 1/4"))

    steps = []
    if fmt == "cxcywh":
        steps.append(Text(
            f"Corners: x1 = cx − w/2, x2 = cx + w/2 (same for y): A = {_box(a)}, B = {_box(b)}.",
            f"先换成角点：x1 = cx − w/2，x2 = cx + w/2（y 同理）：A = {_box(a)}，B = {_box(b)}。"))
    steps += [
        Text(f"Overlap in x: from max({show(a[0])}, {show(b[0])}) = {show(ix1)} to "
             f"min({show(a[2])}, {show(b[2])}) = {show(ix2)}, width {show(ix2 - ix1)}.",
             f"x 方向重叠：从 max({show(a[0])}, {show(b[0])}) = {show(ix1)} 到 "
             f"min({show(a[2])}, {show(b[2])}) = {show(ix2)}，宽 {show(ix2 - ix1)}。"),
        Text(f"Overlap in y: from {show(iy1)} to {show(iy2)}, height {show(iy2 - iy1)}; "
             f"intersection I = {show(ix2 - ix1)} × {show(iy2 - iy1)} = {show(inter)}.",
             f"y 方向重叠：从 {show(iy1)} 到 {show(iy2)}，高 {show(iy2 - iy1)}；"
             f"交集 I = {show(ix2 - ix1)} × {show(iy2 - iy1)} = {show(inter)}。"),
        Text(f"Areas: |A| = {show(a[2] - a[0])} × {show(a[3] - a[1])} = {show(area_a)}, "
             f"|B| = {show(b[2] - b[0])} × {show(b[3] - b[1])} = {show(area_b)}.",
             f"面积：|A| = {show(a[2] - a[0])} × {show(a[3] - a[1])} = {show(area_a)}，"
             f"|B| = {show(b[2] - b[0])} × {show(b[3] - b[1])} = {show(area_b)}。"),
        Text(f"Union U = |A| + |B| − I = {show(area_a)} + {show(area_b)} − {show(inter)} = {show(union)}.",
             f"并集 U = |A| + |B| − I = {show(area_a)} + {show(area_b)} − {show(inter)} = {show(union)}。"),
        same(f"IoU = I / U = {show(inter)}/{show(union)} = {exact_and_approx(answer)}"),
    ]

    candidates = [
        (Rational(inter, area_a + area_b),
         Text("You divided by |A| + |B|: the union counts the overlap once, so subtract I.",
              "你除以了 |A| + |B|：并集里重叠部分只算一次，要减去 I。")),
        (Rational(inter, min(area_a, area_b)),
         Text("You divided by the smaller box's area; IoU divides by the union of both boxes.",
              "你除以了较小框的面积；IoU 的分母是两个框的并集。")),
    ]
    plus = [(v[0], v[1], v[2] + 1, v[3] + 1) for v in (a, b)]
    candidates.append((_iou(plus[0], plus[1]),
                       Text("You used the old VOC pixel convention (+1 on widths and heights); "
                            "here coordinates are continuous, so width = x2 − x1.",
                            "你用了旧 VOC 的像素约定（宽高各加 1）；这里坐标是连续的，宽 = x2 − x1。")))
    if fmt == "cxcywh":
        raw_a, raw_b = [Rational(v) for v in box_a], [Rational(v) for v in box_b]
        if raw_a[2] > raw_a[0] and raw_a[3] > raw_a[1] and raw_b[2] > raw_b[0] and raw_b[3] > raw_b[1]:
            candidates.append((_iou(raw_a, raw_b),
                               Text("You read (cx, cy, w, h) as corners; convert to x1 = cx − w/2, ... first.",
                                    "你把 (cx, cy, w, h) 当成了角点；应先换算 x1 = cx − w/2 等。")))
        half = [[v[0] - v[2], v[1] - v[3], v[0] + v[2], v[1] + v[3]] for v in (raw_a, raw_b)]
        candidates.append((_iou(half[0], half[1]),
                           Text("You used w and h as half-sizes (x1 = cx − w); the corners are cx ± w/2.",
                                "你把 w、h 当成了半宽半高（x1 = cx − w）；角点是 cx ± w/2。")))
    return Draft(
        params={"box_a": [as_param(v) for v in box_a], "box_b": [as_param(v) for v in box_b], "format": fmt},
        prompt=prompt, answer=answer, answer_kind="number", tolerance=tolerance,
        solution=lines(*steps),
        hint=Text("IoU = intersection area / union area, and union = |A| + |B| − intersection.",
                  "IoU = 交集面积 / 并集面积，并集 = |A| + |B| − 交集。"),
        mistakes=distinct_mistakes(answer, tolerance, candidates),
        figure={"type": "boxes", "boxes": [[as_param(v) for v in a], [as_param(v) for v in b]],
                "labels": ["A", "B"], "format": "xyxy"},
    )


# ---------------------------------------------------------------------------
# NMS

def _nms(boxes, scores, thr, suppress=lambda iou, thr: iou > thr) -> list[int]:
    order = sorted(range(len(boxes)), key=lambda i: (-scores[i], i))
    kept: list[int] = []
    for i in order:
        if all(not suppress(_iou(boxes[i], boxes[k]), thr) for k in kept):
            kept.append(i)
    return kept


@problem("nms", topic="detection", concepts=("detection.nms",), version=1,
         title=Text("Non-maximum suppression: which boxes are kept", "非极大值抑制：保留哪些框"))
def nms(rng: Rng) -> Draft:
    n = rng.integer(5, 6)
    thr = Rational(rng.choice((3, 4, 5, 6, 7)), 10)
    # Two clusters of boxes, so that suppression happens within each.
    cx1, cy1 = rng.integer(8, 12), rng.integer(8, 12)
    centres = [(cx1, cy1), (cx1 + rng.integer(12, 16), cy1 + rng.integer(-3, 3))]
    boxes = []
    for i in range(n):
        cx, cy = centres[i % 2] if i < 4 else rng.choice(centres)
        cx, cy = cx + rng.integer(-3, 3), cy + rng.integer(-3, 3)
        w, h = 2 * rng.integer(3, 5), 2 * rng.integer(3, 5)
        boxes.append([Rational(v) for v in (cx - w // 2, cy - h // 2, cx + w // 2, cy + h // 2)])
    boxes = rng.shuffle(boxes)
    scores = [Rational(s, 100) for s in rng.sample(range(30, 100), n)]
    ious = {(i, j): _iou(boxes[i], boxes[j]) for i in range(n) for j in range(i + 1, n)}
    if any(abs(v - thr) < Rational(2, 100) for v in ious.values()):
        raise Redraw  # an IoU next to the threshold makes the reading of "> thr" a coin toss
    if any(boxes[i] == boxes[j] for i, j in ious):
        raise Redraw
    kept = _nms(boxes, scores, thr)
    if len(kept) < 2 or len(kept) == n:
        raise Redraw
    order = sorted(range(n), key=lambda i: -scores[i])

    rows = [same(f"  {i}: {_box(b)}  score {show(s)}") for i, (b, s) in enumerate(zip(boxes, scores))]
    prompt = lines(
        Text(f"Detections of one class, boxes in xyxy (index: box, score). Run NMS with IoU threshold {show(thr)}:",
             f"同一类别的检测结果，框为 xyxy 格式（序号：框，分数）。以 IoU 阈值 {show(thr)} 做 NMS："),
        *rows,
        Text("A box is suppressed when its IoU with a kept box is strictly greater than the threshold. "
             "Which indices are kept?",
             "与已保留框的 IoU 严格大于阈值的框被抑制。保留哪些序号？"),
    ) + answer_rule(None, Text("the kept indices, best score first, e.g. 3 0 4",
                               "按分数从高到低列出保留的序号，如 3 0 4"))

    steps = [Text("Sort by score: " + " > ".join(f"{i} ({show(scores[i])})" for i in order) + ".",
                  "按分数排序：" + " > ".join(f"{i} ({show(scores[i])})" for i in order) + "。")]
    kept_so_far: list[int] = []
    for i in order:
        over = [(k, _iou(boxes[i], boxes[k])) for k in kept_so_far]
        over_text = ", ".join(f"IoU({i},{k}) = {exact_and_approx(v, 3)}" for k, v in over)
        blocker = next((k for k, v in over if v > thr), None)
        if blocker is None:
            kept_so_far.append(i)
            steps.append(Text(f"Box {i}: " + (over_text + f", none > {show(thr)}" if over else "first box")
                              + " → keep.",
                              f"框 {i}：" + (over_text + f"，都不大于 {show(thr)}" if over else "分数最高")
                              + " → 保留。"))
        else:
            steps.append(Text(f"Box {i}: {over_text}; IoU with {blocker} > {show(thr)} → suppressed.",
                              f"框 {i}：{over_text}；与 {blocker} 的 IoU > {show(thr)} → 被抑制。"))
    steps.append(Text(f"Kept: {' '.join(map(str, kept))}", f"保留：{' '.join(map(str, kept))}"))

    suppressed = [i for i in order if i not in kept]
    no_chain = [i for i in order if not any(scores[k] > scores[i] and _iou(boxes[i], boxes[k]) > thr
                                            for k in range(n))]
    inverted = _nms(boxes, scores, thr, suppress=lambda iou, thr: 0 < iou <= thr)
    candidates = [
        (sorted(kept), Text("Those are the right boxes, but list them best score first, not by index.",
                            "保留的框对了，但要按分数从高到低排列，而不是按序号。")),
        (no_chain, Text("A box that was itself suppressed no longer suppresses others: compare each box "
                        "only with the boxes already kept.",
                        "已被抑制的框不再抑制别的框：每个框只和已保留的框比较。")),
        (suppressed, Text("You listed the suppressed boxes; the answer is the boxes NMS keeps.",
                          "你列出的是被抑制的框；题目问的是保留的框。")),
        (inverted, Text("Suppression removes boxes that overlap a kept box a lot (IoU > threshold), "
                        "not those that overlap a little.",
                        "NMS 去掉的是与已保留框重叠大（IoU > 阈值）的框，而不是重叠小的。")),
    ]
    return Draft(
        params={"boxes": [[as_param(v) for v in b] for b in boxes], "scores": [as_param(s) for s in scores],
                "iou_threshold": as_param(thr), "format": "xyxy"},
        prompt=prompt, answer=kept, answer_kind="indices", tolerance=None,
        solution=lines(*steps),
        hint=Text("Take boxes in score order; keep one unless it overlaps an already kept box by IoU > threshold.",
                  "按分数顺序处理；若与某个已保留框的 IoU > 阈值则丢弃，否则保留。"),
        mistakes=distinct_mistakes(kept, None, candidates),
        figure={"type": "boxes", "boxes": [[as_param(v) for v in b] for b in boxes],
                "labels": [str(i) for i in range(n)], "format": "xyxy"},
    )


# ---------------------------------------------------------------------------
# Box regression losses

def _smooth(d: Rational) -> Rational:
    return d * d / 2 if abs(d) < 1 else abs(d) - Rational(1, 2)


def _loss_values(rng: Rng):
    target = [rng.decimal(-1, 1, 1) for _ in range(4)]
    diffs = [rng.decimal(-2.5, 2.5, 1) for _ in range(4)]
    if any(d == 0 or abs(d) == 1 for d in diffs):
        raise Redraw
    if not any(abs(d) < 1 for d in diffs) or not any(abs(d) > 1 for d in diffs):
        raise Redraw
    pred = [t + d for t, d in zip(target, diffs)]
    return pred, target, diffs


def _loss_prompt(pred, target, what: Text, tolerance) -> Text:
    return lines(
        Text("A box regressor predicts the offsets (t_x, t_y, t_w, t_h); the targets are given.",
             "边框回归器预测偏移量 (t_x, t_y, t_w, t_h)；目标值已知。"),
        same(f"  predicted ŷ = {_box(pred)}"),
        same(f"  target    y = {_box(target)}"),
        what,
    ) + answer_rule(tolerance, Text("a number", "一个数"))


@problem("smooth_l1", topic="detection", concepts=("detection.losses",), version=1,
         title=Text("Smooth L1 loss of a box regression", "边框回归的 Smooth L1 损失"))
def smooth_l1(rng: Rng) -> Draft:
    pred, target, diffs = _loss_values(rng)
    answer = sum((_smooth(d) for d in diffs), Rational(0))
    tolerance = DEFAULT_TOLERANCE
    reject_near_boundary(answer, tolerance)
    prompt = _loss_prompt(pred, target, Text(
        "Compute the Smooth L1 loss (β = 1) summed over the four coordinates: "
        "s(x) = 0.5·x² if |x| < 1, else |x| − 0.5, with x = ŷ − y.",
        "求四个坐标上 Smooth L1 损失（β = 1）之和：|x| < 1 时 s(x) = 0.5·x²，否则 |x| − 0.5，其中 x = ŷ − y。"),
        tolerance)
    terms = []
    for d in diffs:
        if abs(d) < 1:
            terms.append(f"x = {show(d)}: 0.5·{show(d)}² = {show(_smooth(d))}")
        else:
            terms.append(f"x = {show(d)}: |{show(d)}| − 0.5 = {show(_smooth(d))}")
    solution = lines(
        same(f"x = ŷ − y = {_box(diffs)}"),
        *[same("  " + t) for t in terms],
        Text(f"Sum = {exact_and_approx(answer)}", f"求和 = {exact_and_approx(answer)}"),
    )
    candidates = [
        (sum((d * d if abs(d) < 1 else abs(d) - Rational(1, 2) for d in diffs), Rational(0)),
         Text("The quadratic part is 0.5·x², not x²: the halving makes it meet the linear part smoothly at |x| = 1.",
              "二次部分是 0.5·x² 而不是 x²：系数 0.5 保证在 |x| = 1 处与线性部分平滑衔接。")),
        (sum((abs(d) for d in diffs), Rational(0)),
         Text("That is the plain L1 loss; Smooth L1 is quadratic for |x| < 1 and subtracts 0.5 beyond.",
              "这是普通 L1 损失；Smooth L1 在 |x| < 1 时是二次的，之外要减 0.5。")),
        (sum((d * d / 2 for d in diffs), Rational(0)),
         Text("You used 0.5·x² for every coordinate; for |x| ≥ 1 Smooth L1 is linear, |x| − 0.5.",
              "你对每个坐标都用了 0.5·x²；|x| ≥ 1 时 Smooth L1 是线性的 |x| − 0.5。")),
        (answer / 4, Text("The loss here is summed over the four coordinates, not averaged.",
                          "这里是四个坐标求和，不是取平均。")),
        (sum((abs(d) - Rational(1, 2) if abs(d) < 1 else d * d / 2 for d in diffs), Rational(0)),
         Text("The two pieces are swapped: small errors are squared, large ones are linear.",
              "两段公式用反了：误差小的用平方，误差大的用线性。")),
    ]
    return Draft(
        params={"pred": [as_param(v) for v in pred], "target": [as_param(v) for v in target],
                "beta": 1, "reduction": "sum"},
        prompt=prompt, answer=answer, answer_kind="number", tolerance=tolerance, solution=solution,
        hint=Text("Work coordinate by coordinate with x = ŷ − y, pick the piece by |x| < 1, then add up.",
                  "逐个坐标算 x = ŷ − y，按 |x| < 1 选公式，再相加。"),
        mistakes=distinct_mistakes(answer, tolerance, candidates),
    )


LOSSES = ("l1", "l2", "rmse")


@problem("box_loss", topic="detection", concepts=("detection.losses",), version=1,
         title=Text("L1, L2 and RMSE of a box regression", "边框回归的 L1、L2 与 RMSE"), options=("loss",))
def box_loss(rng: Rng, loss: str | None = None) -> Draft:
    loss = option(rng, "loss", loss, LOSSES)
    pred, target, diffs = _loss_values(rng)
    l1 = sum((abs(d) for d in diffs), Rational(0))
    l2 = sum((d * d for d in diffs), Rational(0))
    rmse = sympy.sqrt(l2 / 4)
    answer = {"l1": l1, "l2": l2, "rmse": rmse}[loss]
    tolerance = DEFAULT_TOLERANCE
    reject_near_boundary(answer, tolerance)
    what = {
        "l1": Text("Compute the L1 loss Σ|ŷᵢ − yᵢ| over the four coordinates.",
                   "求四个坐标上的 L1 损失 Σ|ŷᵢ − yᵢ|。"),
        "l2": Text("Compute the L2 loss Σ(ŷᵢ − yᵢ)² over the four coordinates (a sum of squares, no root).",
                   "求四个坐标上的 L2 损失 Σ(ŷᵢ − yᵢ)²（平方和，不开方）。"),
        "rmse": Text("Compute the RMSE √((1/N)·Σ(ŷᵢ − yᵢ)²) over the N = 4 coordinates.",
                     "求 N = 4 个坐标上的 RMSE √((1/N)·Σ(ŷᵢ − yᵢ)²)。"),
    }[loss]
    prompt = _loss_prompt(pred, target, what, tolerance)
    abs_terms = " + ".join(show(abs(d)) for d in diffs)
    sq_terms = " + ".join(f"{show(d * d)}" for d in diffs)
    steps = [same(f"x = ŷ − y = {_box(diffs)}")]
    if loss == "l1":
        steps.append(same(f"L1 = {abs_terms} = {show(l1)}"))
    else:
        steps.append(same(f"Σx² = {sq_terms} = {show(l2)}"))
        if loss == "rmse":
            steps.append(same(f"RMSE = √({show(l2)}/4) = √{show(l2 / 4)} = {exact_and_approx(rmse)}"))
    candidates = {
        "l1": [(l1 / 4, Text("L1 here is the sum over the coordinates, not the mean.",
                             "这里的 L1 是各坐标之和，不是平均。")),
               (sum((d for d in diffs), Rational(0)),
                Text("Take absolute values first: positive and negative errors must not cancel.",
                     "先取绝对值：正负误差不能相互抵消。")),
               (l2, Text("That is the L2 loss (squares); L1 adds absolute values.",
                         "这是 L2 损失（平方）；L1 是绝对值相加。"))],
        "l2": [(sympy.sqrt(l2), Text("The L2 loss is the sum of squares itself, not the L2 norm (no square root).",
                                     "L2 损失就是平方和，不是 L2 范数（不开方）。")),
               (l2 / 4, Text("L2 here is the sum over the coordinates, not the mean.",
                             "这里的 L2 是各坐标之和，不是平均。")),
               (l1, Text("That is the L1 loss; L2 squares each error.", "这是 L1 损失；L2 要对误差平方。"))],
        "rmse": [(l2 / 4, Text("That is the mean squared error; RMSE takes its square root.",
                               "这是均方误差 MSE；RMSE 还要开方。")),
                 (sympy.sqrt(l2), Text("Divide by N = 4 before the square root: RMSE is a root of the mean.",
                                       "开方前要除以 N = 4：RMSE 是均值的平方根。")),
                 (l1 / 4, Text("That is the mean absolute error; RMSE squares, averages, then takes the root.",
                               "这是平均绝对误差；RMSE 是平方、平均、再开方。"))],
    }[loss]
    return Draft(
        params={"pred": [as_param(v) for v in pred], "target": [as_param(v) for v in target], "loss": loss},
        prompt=prompt, answer=answer, answer_kind="number", tolerance=tolerance, solution=lines(*steps),
        hint=Text("Compute x = ŷ − y per coordinate first.", "先逐个坐标算 x = ŷ − y。"),
        mistakes=distinct_mistakes(answer, tolerance, candidates),
    )


# ---------------------------------------------------------------------------
# Precision, recall, AP, mAP

def _ranked(rng: Rng, n_low: int, n_high: int, extra_gt: int = 2):
    """Detections with distinct two-decimal scores, listed in a shuffled order."""
    n = rng.integer(n_low, n_high)
    scores = [Rational(s, 100) for s in rng.sample(range(5, 100), n)]
    is_tp = [rng.random.random() < 0.6 for _ in range(n)]
    tp = sum(is_tp)
    if tp < 2 or tp == n:
        raise Redraw
    num_gt = tp + rng.integer(0, extra_gt)
    return scores, is_tp, num_gt


def _curve(scores, is_tp, num_gt, ranked: bool = True, recall_denominator: int | None = None):
    """Precision and recall after each detection, in confidence order (or as listed)."""
    order = sorted(range(len(scores)), key=lambda i: (-scores[i], i)) if ranked else list(range(len(scores)))
    precision, recall, tp = [], [], 0
    for k, i in enumerate(order, start=1):
        tp += bool(is_tp[i])
        precision.append(Rational(tp, k))
        recall.append(Rational(tp, recall_denominator or num_gt))
    return order, precision, recall


def _ap11(precision, recall, strict: bool = False, interpolate: bool = True) -> Rational:
    total = Rational(0)
    for t in range(11):
        grid = Rational(t, 10)
        if interpolate:
            total += max((p for p, r in zip(precision, recall) if (r > grid if strict else r >= grid)),
                         default=Rational(0))
        else:
            total += next((p for p, r in zip(precision, recall) if r >= grid), Rational(0))
    return total / 11


def _ap_all(precision, recall, envelope: bool = True) -> Rational:
    total, previous = Rational(0), Rational(0)
    for k, (p, r) in enumerate(zip(precision, recall)):
        height = max(precision[k:]) if envelope else p
        total += (r - previous) * height
        previous = r
    return total


def _detections_table(scores, is_tp) -> list[Text]:
    return [Text(f"  {i}: score {show(s)}  {'TP' if t else 'FP'}", f"  {i}：分数 {show(s)}  {'TP' if t else 'FP'}")
            for i, (s, t) in enumerate(zip(scores, is_tp))]


def _curve_table(order, scores, is_tp, precision, recall) -> list[Text]:
    head = Text("rank  det  score  TP/FP  precision  recall", "名次  检测  分数  TP/FP  精确率  召回率")
    rows = [same(f"{k:>4}  {i:>3}  {show(scores[i]):>5}  {'TP' if is_tp[i] else 'FP':>5}  "
                 f"{show(p) if len(show(p)) < 6 else str(p.p) + '/' + str(p.q):>9}  {show(r) if len(show(r)) < 6 else str(r.p) + '/' + str(r.q):>6}")
            for k, (i, p, r) in enumerate(zip(order, precision, recall), start=1)]
    return [head, *rows]


@problem("precision_recall", topic="detection", concepts=("detection.metrics",), version=1,
         title=Text("Precision and recall at a score threshold", "给定分数阈值下的精确率与召回率"))
def precision_recall(rng: Rng) -> Draft:
    scores, is_tp, num_gt = _ranked(rng, 6, 8)
    order = sorted(range(len(scores)), key=lambda i: -scores[i])
    k = rng.integer(2, len(scores) - 1)
    tau = scores[order[k - 1]]
    kept = order[:k]
    tp = sum(bool(is_tp[i]) for i in kept)
    if tp == 0:
        raise Redraw
    answer = [Rational(tp, k), Rational(tp, num_gt)]
    tolerance = DEFAULT_TOLERANCE
    reject_near_boundary(answer, tolerance)
    prompt = lines(
        Text(f"Detections of one class (TP/FP already matched to the {num_gt} ground-truth objects):",
             f"某一类别的检测结果（已与 {num_gt} 个真实目标匹配出 TP/FP）："),
        *_detections_table(scores, is_tp),
        Text(f"Keep the detections with score ≥ {show(tau)}. What are precision and recall?",
             f"只保留分数 ≥ {show(tau)} 的检测。精确率和召回率各是多少？"),
    ) + answer_rule(tolerance, Text("[precision, recall], e.g. [0.75, 0.6]", "[精确率, 召回率]，如 [0.75, 0.6]"))
    solution = lines(
        Text(f"Kept (score ≥ {show(tau)}): detections {', '.join(map(str, kept))} — {k} in all, {tp} TP.",
             f"保留（分数 ≥ {show(tau)}）：检测 {', '.join(map(str, kept))}，共 {k} 个，其中 TP {tp} 个。"),
        same(f"precision = TP/(TP+FP) = {tp}/{k} = {exact_and_approx(answer[0])}"),
        same(f"recall = TP/#GT = {tp}/{num_gt} = {exact_and_approx(answer[1])}"),
    )
    all_tp = sum(bool(t) for t in is_tp)
    strict = order[:k - 1]
    tp_strict = sum(bool(is_tp[i]) for i in strict)
    candidates = [
        (answer[::-1], Text("Swapped: precision is TP over detections kept, recall is TP over ground truth.",
                            "顺序反了：精确率 = TP / 保留的检测数，召回率 = TP / 真实目标数。")),
        ([Rational(tp, k), Rational(tp, all_tp)],
         Text("Recall divides by all ground-truth objects, including those no detection found.",
              "召回率除以全部真实目标数，包括没有被检测到的。")),
        ([Rational(tp, len(scores)), Rational(tp, num_gt)],
         Text("Precision divides by the detections kept at this threshold, not by all detections.",
              "精确率除以该阈值下保留的检测数，而不是全部检测数。")),
        ([Rational(tp_strict, k - 1), Rational(tp_strict, num_gt)] if tp_strict else None,
         Text(f"A score equal to {show(tau)} is kept (≥, not >).", f"分数等于 {show(tau)} 的检测也要保留（≥ 而不是 >）。")),
    ]
    return Draft(
        params={"scores": [as_param(s) for s in scores], "is_tp": [bool(t) for t in is_tp],
                "num_gt": num_gt, "score_threshold": as_param(tau)},
        prompt=prompt, answer=answer, answer_kind="vector", tolerance=tolerance, solution=solution,
        hint=Text("Count the kept detections and the true positives among them.",
                  "数一数保留了几个检测，其中几个是 TP。"),
        mistakes=distinct_mistakes(answer, tolerance, candidates),
    )


def _pr_figure(precision, recall, points) -> dict:
    return {"type": "pr_curve", "recall": [float(r) for r in recall],
            "precision": [float(p) for p in precision], "points": points}


def _ap_prompt(scores, is_tp, num_gt, what: Text, tolerance) -> Text:
    return lines(
        Text(f"Detections of one class, in the order the detector returned them; {num_gt} ground-truth "
             "objects in all (TP/FP already matched):",
             f"某一类别的检测结果，按检测器输出的顺序列出；共有 {num_gt} 个真实目标（TP/FP 已匹配）："),
        *_detections_table(scores, is_tp),
        what,
    ) + answer_rule(tolerance, Text("a number", "一个数"))


#: Feedback for the two slips every AP problem lists.
RECALL_OVER_DETECTIONS = Text("Recall divides by the number of ground-truth objects, not by the number of detections.",
                              "召回率的分母是真实目标数，而不是检测数。")
UNRANKED = Text("Rank the detections by score first; the list was not sorted.",
                "要先按分数给检测排序；题目给出的顺序并未排序。")


@problem("ap11", topic="detection", concepts=("detection.metrics",), version=1,
         title=Text("11-point interpolated AP", "11 点插值 AP"))
def ap11(rng: Rng) -> Draft:
    scores, is_tp, num_gt = _ranked(rng, 6, 8)
    order, precision, recall = _curve(scores, is_tp, num_gt)
    answer = _ap11(precision, recall)
    tolerance = DEFAULT_TOLERANCE
    reject_near_boundary(answer, tolerance)
    prompt = _ap_prompt(scores, is_tp, num_gt, Text(
        "Compute the 11-point interpolated AP: AP = (1/11)·Σ P(t) over t ∈ {0, 0.1, …, 1}, where P(t) is the "
        "highest precision at any recall ≥ t (0 if recall never reaches t).",
        "求 11 点插值 AP：AP = (1/11)·Σ P(t)，t ∈ {0, 0.1, …, 1}，P(t) 为召回率 ≥ t 的所有点中精确率的最大值"
        "（召回率达不到 t 时为 0）。"), tolerance)
    per_t = []
    for t in range(11):
        grid = Rational(t, 10)
        p = max((p for p, r in zip(precision, recall) if r >= grid), default=Rational(0))
        per_t.append(f"P({show(grid)}) = {show(p) if len(show(p)) < 6 else sympy.sstr(p)}")
    solution = lines(
        Text("Sort by score and accumulate precision = TP/k and recall = TP/#GT:",
             "按分数排序，逐个累计精确率 = TP/k 与召回率 = TP/#GT："),
        *_curve_table(order, scores, is_tp, precision, recall),
        Text("Interpolated precision at each recall level:", "各召回率点的插值精确率："),
        same("  " + ", ".join(per_t[:6])),
        same("  " + ", ".join(per_t[6:])),
        same(f"AP = (P(0) + P(0.1) + … + P(1))/11 = ({sympy.sstr(answer * 11)})/11 = {exact_and_approx(answer)}"),
    )
    _, p_listed, r_listed = _curve(scores, is_tp, num_gt, ranked=False)
    _, p_det, r_det = _curve(scores, is_tp, num_gt, recall_denominator=len(scores))
    candidates = [
        (_ap11(precision, recall, strict=True),
         Text("Read P(t) as the maximum over recall ≥ t: with a strict r > t, a recall that lands exactly "
              "on a grid point (such as 1.0) is lost.",
              "P(t) 取召回率 ≥ t 的最大精确率：若用严格的 r > t，恰好落在格点（如 1.0）上的召回率会被漏掉。")),
        (_ap11(precision, recall, interpolate=False),
         Text("You took the precision at the first point reaching each recall level; interpolation takes the "
              "maximum precision at any recall ≥ t, which makes the curve monotone.",
              "你取的是首次达到该召回率时的精确率；插值应取召回率 ≥ t 处的最大精确率，使曲线单调。")),
        (_ap11(p_det, r_det),
         RECALL_OVER_DETECTIONS),
        (_ap11(p_listed, r_listed),
         UNRANKED),
    ]
    return Draft(
        params={"scores": [as_param(s) for s in scores], "is_tp": [bool(t) for t in is_tp], "num_gt": num_gt},
        prompt=prompt, answer=answer, answer_kind="number", tolerance=tolerance, solution=solution,
        hint=Text("Sort by score, tabulate precision and recall after each detection, then read P(t) for t = 0, 0.1, …, 1.",
                  "按分数排序，列出每个检测后的精确率和召回率，再读出 t = 0, 0.1, …, 1 处的 P(t)。"),
        mistakes=distinct_mistakes(answer, tolerance, candidates),
        figure=_pr_figure(precision, recall, 11),
    )


@problem("ap_all", topic="detection", concepts=("detection.metrics",), version=1,
         title=Text("All-point interpolated AP", "全点插值 AP"))
def ap_all(rng: Rng) -> Draft:
    scores, is_tp, num_gt = _ranked(rng, 6, 8)
    order, precision, recall = _curve(scores, is_tp, num_gt)
    answer = _ap_all(precision, recall)
    tolerance = DEFAULT_TOLERANCE
    reject_near_boundary(answer, tolerance)
    prompt = _ap_prompt(scores, is_tp, num_gt, Text(
        "Compute the all-point AP: the area under the interpolated PR curve, "
        "AP = Σₖ (rₖ − rₖ₋₁)·P̂(rₖ) with r₀ = 0 and P̂(r) the highest precision at any recall ≥ r.",
        "求全点插值 AP：插值 PR 曲线下的面积，AP = Σₖ (rₖ − rₖ₋₁)·P̂(rₖ)，r₀ = 0，"
        "P̂(r) 为召回率 ≥ r 处的最大精确率。"), tolerance)
    terms, previous = [], Rational(0)
    for k, (p, r) in enumerate(zip(precision, recall)):
        if r != previous:
            terms.append(f"({show(r)} − {show(previous)})·{sympy.sstr(max(precision[k:]))}")
        previous = r
    solution = lines(
        Text("Sort by score and accumulate precision and recall:", "按分数排序，累计精确率与召回率："),
        *_curve_table(order, scores, is_tp, precision, recall),
        Text("Each rise in recall contributes its width times the interpolated precision:",
             "召回率每上升一次，贡献“宽度 × 插值精确率”："),
        same("AP = " + " + ".join(terms)),
        same(f"   = {exact_and_approx(answer)}"),
    )
    _, p_listed, r_listed = _curve(scores, is_tp, num_gt, ranked=False)
    _, p_det, r_det = _curve(scores, is_tp, num_gt, recall_denominator=len(scores))
    candidates = [
        (_ap_all(precision, recall, envelope=False),
         Text("Use the interpolated precision P̂(r) (the maximum precision at recall ≥ r), not the raw zigzag.",
              "要用插值精确率 P̂(r)（召回率 ≥ r 的最大精确率），而不是原始的锯齿曲线。")),
        (_ap11(precision, recall),
         Text("That is the 11-point AP; all-point AP integrates over every recall step.",
              "这是 11 点 AP；全点 AP 对每个召回率台阶积分。")),
        (_ap_all(p_det, r_det),
         RECALL_OVER_DETECTIONS),
        (_ap_all(p_listed, r_listed),
         UNRANKED),
    ]
    return Draft(
        params={"scores": [as_param(s) for s in scores], "is_tp": [bool(t) for t in is_tp], "num_gt": num_gt},
        prompt=prompt, answer=answer, answer_kind="number", tolerance=tolerance, solution=solution,
        hint=Text("Only the TPs raise recall; each rise of 1/#GT is weighted by the best precision from there on.",
                  "只有 TP 让召回率上升；每上升 1/#GT，乘以此后（含此点）的最高精确率。"),
        mistakes=distinct_mistakes(answer, tolerance, candidates),
        figure=_pr_figure(precision, recall, "all"),
    )


CLASS_NAMES = ("cat", "dog", "car", "person", "bike")
CLASS_NAMES_ZH = {"cat": "猫", "dog": "狗", "car": "车", "person": "人", "bike": "自行车"}
AP_METHODS = ("all", "voc11")


@problem("map", topic="detection", concepts=("detection.metrics",), version=1,
         title=Text("mAP over classes", "多类别 mAP"), options=("method",))
def map_(rng: Rng, method: str | None = None) -> Draft:
    method = option(rng, "method", method, AP_METHODS)
    names = rng.sample(CLASS_NAMES, rng.integer(2, 3))
    classes, aps = [], []
    for name in names:
        scores, is_tp, num_gt = _ranked(rng, 3, 5, extra_gt=1)
        _, precision, recall = _curve(scores, is_tp, num_gt)
        aps.append(_ap_all(precision, recall) if method == "all" else _ap11(precision, recall))
        classes.append({"name": name, "scores": scores, "is_tp": is_tp, "num_gt": num_gt})
    empty = None
    if rng.random.random() < 0.4:  # a class with detections but no ground truth: left out of the mean
        empty_name = rng.choice([c for c in CLASS_NAMES if c not in names])
        m = rng.integer(1, 2)
        empty = {"name": empty_name, "scores": [Rational(s, 100) for s in rng.sample(range(5, 100), m)],
                 "is_tp": [False] * m, "num_gt": 0}
        classes.append(empty)
    answer = sum(aps, Rational(0)) / len(aps)
    tolerance = DEFAULT_TOLERANCE
    reject_near_boundary(answer, tolerance)
    how = (Text("all-point AP (area under the interpolated PR curve)", "全点插值 AP（插值 PR 曲线下面积）")
           if method == "all" else
           Text("11-point AP (mean of the highest precision at recall ≥ t, t = 0, 0.1, …, 1)",
                "11 点 AP（t = 0, 0.1, …, 1 时召回率 ≥ t 的最高精确率的平均）"))
    rows = []
    for c in classes:
        dets = ", ".join(f"{show(s)} {'TP' if t else 'FP'}" for s, t in zip(c["scores"], c["is_tp"]))
        rows.append(Text(f"  {c['name']}: {c['num_gt']} ground truth; detections {dets}",
                         f"  {CLASS_NAMES_ZH[c['name']]}：真实目标 {c['num_gt']} 个；检测 {dets}"))
    prompt = lines(
        Text("Per-class detections (score and TP/FP after matching):", "各类别的检测结果（分数与匹配后的 TP/FP）："),
        *rows,
        Text(f"Compute mAP with {how.en} per class. A class without ground truth is left out of the mean.",
             f"每类用{how.zh}，求 mAP。没有真实目标的类别不计入平均。"),
    ) + answer_rule(tolerance, Text("a number", "一个数"))
    ap_lines = [Text(f"  AP({c['name']}) = {exact_and_approx(ap)}", f"  AP({CLASS_NAMES_ZH[c['name']]}) = {exact_and_approx(ap)}")
                for c, ap in zip(classes, aps)]
    if empty:
        ap_lines.append(Text(f"  {empty['name']}: no ground truth, left out",
                             f"  {CLASS_NAMES_ZH[empty['name']]}：没有真实目标，不计入"))
    solution = lines(
        Text("AP of each class on its own ranking:", "每个类别按自己的排序单独算 AP："),
        *ap_lines,
        same(f"mAP = ({' + '.join(sympy.sstr(a) for a in aps)})/{len(aps)} = {exact_and_approx(answer)}"),
    )
    pooled_scores = [s for c in classes if c["num_gt"] for s in c["scores"]]
    pooled_tp = [t for c in classes if c["num_gt"] for t in c["is_tp"]]
    pooled_gt = sum(c["num_gt"] for c in classes)
    _, pp, pr = _curve(pooled_scores, pooled_tp, pooled_gt) if len(set(pooled_scores)) == len(pooled_scores) else (None, None, None)
    other = [_ap11(*_curve(c["scores"], c["is_tp"], c["num_gt"])[1:]) if method == "all" else
             _ap_all(*_curve(c["scores"], c["is_tp"], c["num_gt"])[1:]) for c in classes if c["num_gt"]]
    candidates = [
        (sum(aps, Rational(0)) / (len(aps) + 1) if empty else None,
         Text("A class with no ground truth has no AP; leave it out of the mean instead of counting 0.",
              "没有真实目标的类别没有 AP；不计入平均，而不是按 0 计。")),
        ((_ap_all(pp, pr) if method == "all" else _ap11(pp, pr)) if pp else None,
         Text("mAP averages the per-class APs; pooling every class into one ranking gives a different number.",
              "mAP 是各类 AP 的平均；把所有类别混在一起排序会得到不同的数。")),
        (sum(other, Rational(0)) / len(other),
         Text(f"Use the {how.en} asked for.", f"请使用题目要求的{how.zh}。")),
        (sum((a * c["num_gt"] for a, c in zip(aps, classes)), Rational(0)) / sum(c["num_gt"] for c in classes[:len(aps)]),
         Text("mAP is the plain mean over classes, not weighted by the number of ground-truth objects.",
              "mAP 是各类别的简单平均，不按真实目标数加权。")),
    ]
    return Draft(
        params={"classes": [{"name": c["name"], "scores": [as_param(s) for s in c["scores"]],
                             "is_tp": [bool(t) for t in c["is_tp"]], "num_gt": c["num_gt"]} for c in classes],
                "method": method},
        prompt=prompt, answer=answer, answer_kind="number", tolerance=tolerance, solution=solution,
        hint=Text("Compute each class's AP on its own ranking, then average over the classes with ground truth.",
                  "每个类别分别排序算 AP，再对有真实目标的类别取平均。"),
        mistakes=distinct_mistakes(answer, tolerance, candidates),
    )


# ---------------------------------------------------------------------------
# RoI Align and RoI Pool

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
        Text(f"RoI Align (aligned=False) pools the image RoI {_box(roi)} (xyxy, image pixels) to a 1×1 output with "
             "sampling_ratio = 1, i.e. one bilinear sample at the centre of the projected RoI. What is the output?",
             f"RoI Align（aligned=False）把图像上的 RoI {_box(roi)}（xyxy，图像像素）池化为 1×1 输出，"
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
        Text(f"RoI Pool the image RoI {_box(roi)} (xyxy) to 2×2, as torchvision does: round each corner ×1/{stride} "
             "to the nearest cell; the RoI covers cells x1..x2 and y1..y2 inclusive (L = x2 − x1 + 1 cells across); "
             "bin p spans cells ⌊p·L/2⌋ to ⌈(p+1)·L/2⌉ − 1 from the start; take the max in each bin.",
             f"按 torchvision 的做法把图像 RoI {_box(roi)}（xyxy）RoI Pool 到 2×2：各角点乘 1/{stride} 后四舍五入到格点；"
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
        Text(f"Quantize: {_box(roi)} × 1/{stride} = {_box(scaled)} → rounded [{qx1}, {qy1}, {qx2}, {qy2}].",
             f"量化：{_box(roi)} × 1/{stride} = {_box(scaled)} → 取整 [{qx1}, {qy1}, {qx2}, {qy2}]。"),
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
# Box formats and anchors

BOX_FORMATS = ("xyxy", "xywh", "cxcywh")
FORMAT_TEXT = {
    "xyxy": Text("xyxy (x1, y1, x2, y2: two corners)", "xyxy（x1, y1, x2, y2：两个角点）"),
    "xywh": Text("xywh (x, y, w, h: top-left corner, width, height)", "xywh（x, y, w, h：左上角、宽、高）"),
    "cxcywh": Text("cxcywh (cx, cy, w, h: centre, width, height)", "cxcywh（cx, cy, w, h：中心、宽、高）"),
}


@problem("box_convert", topic="detection", concepts=("detection.boxes",), version=1,
         title=Text("Convert a box between formats", "边框格式转换"), options=("in_fmt", "out_fmt"))
def box_convert(rng: Rng, in_fmt: str | None = None, out_fmt: str | None = None) -> Draft:
    in_fmt = option(rng, "in_fmt", in_fmt, BOX_FORMATS)
    out_fmt = option(rng, "out_fmt", out_fmt, tuple(f for f in BOX_FORMATS if f != in_fmt))
    x1, y1 = rng.integer(0, 40), rng.integer(0, 40)
    w, h = rng.integer(3, 30), rng.integer(3, 30)
    xyxy = [Rational(v) for v in (x1, y1, x1 + w, y1 + h)]
    if in_fmt == "cxcywh" and (w % 2 or h % 2) and rng.random.random() < 0.5:
        raise Redraw  # mostly whole-number centres in the prompt
    given = _from_xyxy(xyxy, in_fmt)
    answer = _from_xyxy(xyxy, out_fmt)
    prompt = lines(
        Text(f"A box in {FORMAT_TEXT[in_fmt].en}: {_box(given)}.", f"一个 {FORMAT_TEXT[in_fmt].zh} 格式的框：{_box(given)}。"),
        Text(f"Write it in {FORMAT_TEXT[out_fmt].en}.", f"把它写成 {FORMAT_TEXT[out_fmt].zh} 格式。"),
    ) + answer_rule(None, Text("four numbers as a list, e.g. [10, 4, 22.5, 18]", "四个数的列表，如 [10, 4, 22.5, 18]"))
    steps = []
    if in_fmt != "xyxy":
        steps.append(Text(f"Corners first: {_box(xyxy)} (xyxy).", f"先求角点：{_box(xyxy)}（xyxy）。"))
    if out_fmt == "cxcywh":
        steps.append(same(f"cx = (x1 + x2)/2 = {show(answer[0])}, cy = (y1 + y2)/2 = {show(answer[1])}, "
                          f"w = x2 − x1 = {show(answer[2])}, h = y2 − y1 = {show(answer[3])}"))
    elif out_fmt == "xywh":
        steps.append(same(f"x = x1 = {show(answer[0])}, y = y1 = {show(answer[1])}, "
                          f"w = x2 − x1 = {show(answer[2])}, h = y2 − y1 = {show(answer[3])}"))
    else:
        steps.append(same(f"x1 = {show(answer[0])}, y1 = {show(answer[1])}, x2 = x1 + w = {show(answer[2])}, "
                          f"y2 = y1 + h = {show(answer[3])}"))
    steps.append(same(f"{out_fmt}: {_box(answer)}"))
    X1, Y1, X2, Y2 = xyxy
    wrong = {
        ("xyxy", "cxcywh"): [([(X2 - X1) / 2, (Y2 - Y1) / 2, X2 - X1, Y2 - Y1],
                              Text("The centre is the midpoint (x1 + x2)/2, not half the width.",
                                   "中心是中点 (x1 + x2)/2，而不是宽度的一半。"))],
        ("xyxy", "xywh"): [([X1, Y1, X2, Y2], Text("w and h are x2 − x1 and y2 − y1, not the far corner.",
                                                  "w、h 是 x2 − x1 和 y2 − y1，而不是另一个角点。"))],
        ("cxcywh", "xyxy"): [([X1 - w / Rational(2), Y1 - h / Rational(2), X2 + w / Rational(2), Y2 + h / Rational(2)],
                              Text("Go half a width each way from the centre: x1 = cx − w/2, not cx − w.",
                                   "从中心向两边各走半个宽度：x1 = cx − w/2，而不是 cx − w。"))],
        ("cxcywh", "xywh"): [([given[0], given[1], w, h],
                              Text("xywh starts at the top-left corner: x = cx − w/2.", "xywh 从左上角开始：x = cx − w/2。"))],
        ("xywh", "cxcywh"): [([X1, Y1, w, h], Text("(x, y) in xywh is the top-left corner; the centre is x + w/2.",
                                                   "xywh 中的 (x, y) 是左上角；中心是 x + w/2。"))],
        ("xywh", "xyxy"): [([X1, Y1, Rational(w), Rational(h)],
                            Text("x2 = x + w: add the width to the corner.", "x2 = x + w：角点加上宽度。"))],
    }[(in_fmt, out_fmt)]
    return Draft(
        params={"box": [as_param(v) for v in given], "in_fmt": in_fmt, "out_fmt": out_fmt},
        prompt=prompt, answer=answer, answer_kind="vector", tolerance=None, solution=lines(*steps),
        hint=Text("Go through the corners (xyxy): every format is a simple function of them.",
                  "先换成角点 (xyxy)：各种格式都是角点的简单函数。"),
        mistakes=distinct_mistakes(answer, None, wrong),
    )


ANCHOR_ASKS = ("anchors", "cls_channels", "reg_channels")


@problem("anchor_count", topic="detection", concepts=("detection.faster_rcnn",), version=1,
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
                Text("one sigmoid objectness score per anchor", "每个锚框一个 sigmoid 物体性分数"))
    question = {
        "anchors": Text("How many anchors does the RPN score for this image?", "RPN 对这张图一共评估多少个锚框？"),
        "cls_channels": Text("How many output channels does the RPN's objectness (classification) convolution have?",
                             "RPN 的物体性（分类）卷积有多少个输出通道？"),
        "reg_channels": Text("How many output channels does the RPN's box-regression convolution have?",
                             "RPN 的边框回归卷积有多少个输出通道？"),
    }[ask]
    prompt = lines(
        Text(f"A Faster R-CNN backbone with stride {stride} takes a {fh * stride}×{fw * stride} image (H×W). "
             f"At every feature-map position the RPN places anchors of {n_scales} scales × {n_ratios} aspect ratios; "
             f"objectness is {obj_text.en}, and each anchor gets 4 box offsets.",
             f"Faster R-CNN 主干网络步长 {stride}，输入图像 {fh * stride}×{fw * stride}（H×W）。RPN 在特征图每个位置放置 "
             f"{n_scales} 种尺度 × {n_ratios} 种长宽比的锚框；物体性用{obj_text.zh}，每个锚框回归 4 个偏移量。"),
        question,
    ) + answer_rule(None, Text("a whole number", "一个整数"))
    steps = [
        Text(f"Feature map: {fh * stride}/{stride} × {fw * stride}/{stride} = {fh}×{fw}; k = {n_scales} × {n_ratios} = {k} anchors per position.",
             f"特征图：{fh * stride}/{stride} × {fw * stride}/{stride} = {fh}×{fw}；每个位置 k = {n_scales} × {n_ratios} = {k} 个锚框。"),
    ]
    steps.append({
        "anchors": Text(f"Anchors = H·W·k = {fh}·{fw}·{k} = {answer}", f"锚框数 = H·W·k = {fh}·{fw}·{k} = {answer}"),
        "cls_channels": Text(f"Objectness channels = {'2k' if objectness == 'softmax' else 'k'} = {cls}",
                             f"物体性通道数 = {'2k' if objectness == 'softmax' else 'k'} = {cls}"),
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
                  "特征图 (H/步长)×(W/步长) 的每个位置都有 k = 尺度数 × 长宽比数 个锚框。"),
        mistakes=distinct_mistakes(answer, None, candidates),
    )
