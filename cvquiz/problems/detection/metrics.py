"""Detection problems about evaluation: precision and recall, 11-point and all-point AP, mAP.

11-point AP takes the maximum precision at recall ≥ t (VOC 2007); all-point AP integrates
the precision envelope over recall.
"""

from __future__ import annotations

import sympy
from sympy import Rational

from cvquiz.answers import DEFAULT_TOLERANCE
from cvquiz.problems.display import after_han, answer_rule, as_param, exact_and_approx, show
from cvquiz.problems.mistakes import distinct_mistakes, reject_near_boundary
from cvquiz.problems.registry import Draft, Redraw, Rng, option, problem
from cvquiz.text import Text, lines, same


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


def _strict_differs_at(precision, recall) -> list[Rational]:
    """The grid points t where the cheatsheet's P(t) over r > t and VOC's over r ≥ t differ: a
    recall lands exactly on t and its precision beats every higher recall (or none is higher)."""
    out = []
    for t in range(11):
        grid = Rational(t, 10)
        voc = max((p for p, r in zip(precision, recall) if r >= grid), default=Rational(0))
        strict = max((p for p, r in zip(precision, recall) if r > grid), default=Rational(0))
        if voc != strict:
            out.append(grid)
    return out


def _strict_feedback(points: list[Rational]) -> Text:
    """What the r > t reading is, and exactly where it differs from VOC's r ≥ t here."""
    at = ", ".join(show(t) for t in points)
    return Text(
        f"That is P(t) over recall r > t, as the course cheatsheet writes it. VOC's rule, used here, takes r ≥ t; "
        f"the two differ only where a recall lands exactly on a grid point t with a precision higher than at every "
        f"larger recall (or no larger recall at all) — here at t = {at}.",
        f"这是按召回率 r > t 取的 P(t)，即课程速查表的写法。本题用 VOC 的规则 r ≥ t；两者只在某个召回率恰好落在"
        f"格点 t 上、且该点精确率高于所有更大召回率处的精确率（或没有更大的召回率）时不同——本题在 t = {at} 处。")


#: ap11's option: draws where r > t and r ≥ t agree ("avoid"), or where they differ and the
#: prompt says so ("ask").
RECALL_ON_GRID = ("avoid", "ask")


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
                "num_gt": num_gt, "score_threshold": as_param(tau),
                "case": "objects missed" if num_gt > all_tp else "every object found"},
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


@problem("ap11", topic="detection", concepts=("detection.metrics",), version=2,
         title=Text("11-point interpolated AP", "11 点插值 AP"), options=("recall_on_grid",))
def ap11(rng: Rng, recall_on_grid: str | None = None) -> Draft:
    recall_on_grid = option(rng, "recall_on_grid", recall_on_grid or "avoid", RECALL_ON_GRID)
    scores, is_tp, num_gt = _ranked(rng, 6, 8)
    order, precision, recall = _curve(scores, is_tp, num_gt)
    differs = _strict_differs_at(precision, recall)
    if bool(differs) != (recall_on_grid == "ask"):
        raise Redraw  # r > t and r ≥ t must agree unless the question is about where they differ
    answer = _ap11(precision, recall)
    tolerance = DEFAULT_TOLERANCE
    reject_near_boundary(answer, tolerance)
    note = Text("", "")
    if differs:
        note = Text(" Here some recall lands exactly on a grid point: it counts for that t (r ≥ t, VOC's rule).",
                    "本题有召回率恰好落在格点上：按 VOC 的规则（r ≥ t），它计入该 t。")
    prompt = _ap_prompt(scores, is_tp, num_gt, Text(
        "Compute the 11-point interpolated AP: AP = (1/11)·Σ P(t) over t ∈ {0, 0.1, …, 1}, where P(t) is the "
        f"highest precision at any recall ≥ t (0 if recall never reaches t).{note.en}",
        "求 11 点插值 AP：AP = (1/11)·Σ P(t)，t ∈ {0, 0.1, …, 1}，P(t) 为召回率 ≥ t 的所有点中精确率的最大值"
        f"（召回率达不到 t 时为 0）。{note.zh}"), tolerance)
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
        (_ap11(precision, recall, strict=True) if differs else None, _strict_feedback(differs)),
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
        params={"scores": [as_param(s) for s in scores], "is_tp": [bool(t) for t in is_tp], "num_gt": num_gt,
                # whether interpolation (max precision at recall >= t) changes any of the 11 readings
                "case": ("interpolation raises P(t)" if _ap11(precision, recall, interpolate=False) != answer
                         else "precision already monotone")},
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
        params={"scores": [as_param(s) for s in scores], "is_tp": [bool(t) for t in is_tp], "num_gt": num_gt,
                "case": "objects missed" if num_gt > sum(bool(t) for t in is_tp) else "every object found"},
        prompt=prompt, answer=answer, answer_kind="number", tolerance=tolerance, solution=solution,
        hint=Text("Only the TPs raise recall; each rise of 1/#GT is weighted by the best precision from there on.",
                  "只有 TP 让召回率上升；每上升 1/#GT，乘以此后（含此点）的最高精确率。"),
        mistakes=distinct_mistakes(answer, tolerance, candidates),
        figure=_pr_figure(precision, recall, "all"),
    )


CLASS_NAMES = ("cat", "dog", "car", "person", "bike")
CLASS_NAMES_ZH = {"cat": "猫", "dog": "狗", "car": "车", "person": "人", "bike": "自行车"}
AP_METHODS = ("all", "voc11")


@problem("map", topic="detection", concepts=("detection.metrics",), version=2,
         title=Text("mAP over classes", "多类别 mAP"), options=("method",))
def map_(rng: Rng, method: str | None = None) -> Draft:
    method = option(rng, "method", method, AP_METHODS)
    names = rng.sample(CLASS_NAMES, rng.integer(2, 3))
    classes, aps = [], []
    for name in names:
        scores, is_tp, num_gt = _ranked(rng, 3, 5, extra_gt=1)
        _, precision, recall = _curve(scores, is_tp, num_gt)
        if method == "voc11" and _strict_differs_at(precision, recall):
            raise Redraw  # the cheatsheet's r > t and VOC's r ≥ t would give different APs
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
             f"每类用{after_han(how.zh)}，求 mAP。没有真实目标的类别不计入平均。"),
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
         Text(f"Use the {how.en} asked for.", f"请使用题目要求的{after_han(how.zh)}。")),
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
