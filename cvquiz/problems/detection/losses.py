"""Detection problems about box regression losses: smooth L1, L1, L2 and RMSE."""

from __future__ import annotations

import sympy
from sympy import Rational

from cvquiz.answers import DEFAULT_TOLERANCE
from cvquiz.problems.detection.boxes import box_text
from cvquiz.problems.display import answer_rule, as_param, exact_and_approx, show
from cvquiz.problems.mistakes import distinct_mistakes, reject_near_boundary
from cvquiz.problems.registry import Draft, Redraw, Rng, option, problem
from cvquiz.text import Text, lines, same


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
        same(f"  predicted ŷ = {box_text(pred)}"),
        same(f"  target    y = {box_text(target)}"),
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
        same(f"x = ŷ − y = {box_text(diffs)}"),
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
    steps = [same(f"x = ŷ − y = {box_text(diffs)}")]
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
