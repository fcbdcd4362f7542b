"""Detection problems about boxes themselves: IoU, NMS and box formats.

Boxes are continuous coordinates without VOC's +1; NMS suppresses at IoU strictly greater
than the threshold.
"""

from __future__ import annotations

from sympy import Rational

from cvquiz.answers import DEFAULT_TOLERANCE
from cvquiz.problems.display import answer_rule, as_param, exact_and_approx, show
from cvquiz.problems.mistakes import distinct_mistakes, reject_near_boundary
from cvquiz.problems.registry import Draft, Redraw, Rng, option, problem
from cvquiz.text import Text, lines, same


FORMATS = ("xyxy", "cxcywh")


def box_text(values) -> str:
    """``[1, 2, 3.5, 4]``: a box's exact coordinates as a student types them."""
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
        same(f"  A = {box_text(box_a)}"),
        same(f"  B = {box_text(box_b)}"),
        Text("Compute their intersection over union (IoU). Coordinates are continuous (no +1).",
             "求它们的交并比 IoU。坐标是连续的（不加 1）。"),
    ) + answer_rule(tolerance, Text("a number such as 0.25 or 1/4", "一个数，如 0.25 或 1/4"))

    steps = []
    if fmt == "cxcywh":
        steps.append(Text(
            f"Corners: x1 = cx − w/2, x2 = cx + w/2 (same for y): A = {box_text(a)}, B = {box_text(b)}.",
            f"先换成角点：x1 = cx − w/2，x2 = cx + w/2（y 同理）：A = {box_text(a)}，B = {box_text(b)}。"))
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
        params={"box_a": [as_param(v) for v in box_a], "box_b": [as_param(v) for v in box_b], "format": fmt,
                # item analysis groups difficulty by this label (one box inside the other, or not)
                "case": "nested" if inter in (area_a, area_b) else "partial"},
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

    rows = [same(f"  {i}: {box_text(b)}  score {show(s)}") for i, (b, s) in enumerate(zip(boxes, scores))]
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
                "iou_threshold": as_param(thr), "format": "xyxy",
                # a box kept only because the box that would suppress it was suppressed first
                "case": "chain suppression" if set(no_chain) != set(kept) else "independent clusters"},
        prompt=prompt, answer=kept, answer_kind="indices", tolerance=None,
        solution=lines(*steps),
        hint=Text("Take boxes in score order; keep one unless it overlaps an already kept box by IoU > threshold.",
                  "按分数顺序处理；若与某个已保留框的 IoU > 阈值则丢弃，否则保留。"),
        mistakes=distinct_mistakes(kept, None, candidates),
        figure={"type": "boxes", "boxes": [[as_param(v) for v in b] for b in boxes],
                "labels": [str(i) for i in range(n)], "format": "xyxy"},
    )


# ---------------------------------------------------------------------------
# Box formats

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
        Text(f"A box in {FORMAT_TEXT[in_fmt].en}: {box_text(given)}.", f"一个 {FORMAT_TEXT[in_fmt].zh} 格式的框：{box_text(given)}。"),
        Text(f"Write it in {FORMAT_TEXT[out_fmt].en}.", f"把它写成 {FORMAT_TEXT[out_fmt].zh} 格式。"),
    ) + answer_rule(None, Text("four numbers as a list, e.g. [10, 4, 22.5, 18]", "四个数的列表，如 [10, 4, 22.5, 18]"))
    steps = []
    if in_fmt != "xyxy":
        steps.append(Text(f"Corners first: {box_text(xyxy)} (xyxy).", f"先求角点：{box_text(xyxy)}（xyxy）。"))
    if out_fmt == "cxcywh":
        steps.append(same(f"cx = (x1 + x2)/2 = {show(answer[0])}, cy = (y1 + y2)/2 = {show(answer[1])}, "
                          f"w = x2 − x1 = {show(answer[2])}, h = y2 − y1 = {show(answer[3])}"))
    elif out_fmt == "xywh":
        steps.append(same(f"x = x1 = {show(answer[0])}, y = y1 = {show(answer[1])}, "
                          f"w = x2 − x1 = {show(answer[2])}, h = y2 − y1 = {show(answer[3])}"))
    else:
        steps.append(same(f"x1 = {show(answer[0])}, y1 = {show(answer[1])}, x2 = x1 + w = {show(answer[2])}, "
                          f"y2 = y1 + h = {show(answer[3])}"))
    steps.append(same(f"{out_fmt}: {box_text(answer)}"))
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
        params={"box": [as_param(v) for v in given], "in_fmt": in_fmt, "out_fmt": out_fmt,
                "case": f"{in_fmt} to {out_fmt}"},
        prompt=prompt, answer=answer, answer_kind="vector", tolerance=None, solution=lines(*steps),
        hint=Text("Go through the corners (xyxy): every format is a simple function of them.",
                  "先换成角点 (xyxy)：各种格式都是角点的简单函数。"),
        mistakes=distinct_mistakes(answer, None, wrong),
    )
