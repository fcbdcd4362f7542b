"""Detection generators over many seeds: sound variants whose exact answers match reference/detection.py."""

from __future__ import annotations


import pytest
import torch

from cvquiz.problems.display import show
from cvquiz.problems.registry import make
from tests.problems.variant_checks import close, seeds

F64 = torch.float64


def t(values):
    return torch.tensor(values, dtype=F64)


def reference_iou(ref, p):
    a, b = t([p["box_a"]]), t([p["box_b"]])
    if p["format"] != "xyxy":
        a, b = ref.detection.box_convert(a, p["format"], "xyxy"), ref.detection.box_convert(b, p["format"], "xyxy")
    return ref.detection.box_iou(a, b)[0, 0]


def reference_nms(ref, p):
    return ref.detection.nms(t(p["boxes"]), t(p["scores"]), p["iou_threshold"]).tolist()


def reference_smooth_l1(ref, p):
    return ref.detection.smooth_l1_loss(t(p["pred"]), t(p["target"]), beta=1.0, reduction="sum")


def reference_box_loss(ref, p):
    pred, target = t(p["pred"]), t(p["target"])
    if p["loss"] == "rmse":
        return ref.detection.rmse(pred, target)
    return getattr(ref.detection, f"{p['loss']}_loss")(pred, target, reduction="sum")


def reference_precision_recall(ref, p):
    precision, recall = ref.detection.precision_recall(t(p["scores"]), torch.tensor(p["is_tp"]), p["num_gt"])
    k = sum(s >= p["score_threshold"] for s in p["scores"])
    return [precision[k - 1], recall[k - 1]]


def _ap(ref, scores, is_tp, num_gt, method):
    precision, recall = ref.detection.precision_recall(t(scores), torch.tensor(is_tp), num_gt)
    return float(ref.detection.average_precision(precision, recall, method))


def reference_ap11(ref, p):
    return _ap(ref, p["scores"], p["is_tp"], p["num_gt"], "voc11")


def reference_ap_all(ref, p):
    return _ap(ref, p["scores"], p["is_tp"], p["num_gt"], "all")


def reference_map(ref, p):
    aps = [_ap(ref, c["scores"], c["is_tp"], c["num_gt"], p["method"]) for c in p["classes"] if c["num_gt"]]
    return sum(aps) / len(aps)


def reference_roi_align(ref, p):
    features = t(p["features"])[None, None]
    rois = t([[0, *p["roi"]]])
    out = ref.detection.roi_align(features, rois, 1, spatial_scale=p["spatial_scale"], sampling_ratio=1,
                                  aligned=False)[0, 0, 0, 0]
    x, y = p["sample"]
    sample = ref.detection.bilinear_sample(t(p["features"]), t([x]), t([y]))[0]
    assert close(out, sample), "RoI Align's one sample is not the plain bilinear formula here"
    return out


def reference_roi_pool(ref, p):
    out = ref.detection.roi_pool(t(p["features"])[None, None], t([[0, *p["roi"]]]), 2, p["spatial_scale"])
    return out.flatten().tolist()


def reference_box_convert(ref, p):
    return ref.detection.box_convert(t([p["box"]]), p["in_fmt"], p["out_fmt"])[0].tolist()


def reference_anchor_count(ref, p):
    h, w = (s // p["stride"] for s in p["image_size"])
    k = p["num_scales"] * p["num_ratios"]
    return {"anchors": h * w * k, "cls_channels": (2 if p["objectness"] == "softmax" else 1) * k,
            "reg_channels": 4 * k}[p["ask"]]


REFERENCES = {
    "iou": reference_iou, "nms": reference_nms, "smooth_l1": reference_smooth_l1, "box_loss": reference_box_loss,
    "precision_recall": reference_precision_recall, "ap11": reference_ap11, "ap_all": reference_ap_all,
    "map": reference_map, "roi_align": reference_roi_align, "roi_pool": reference_roi_pool,
    "box_convert": reference_box_convert, "anchor_count": reference_anchor_count,
}


@pytest.mark.parametrize("fmt", ["xyxy", "cxcywh"])
def test_iou_keeps_the_requested_format_and_the_boxes_overlap(fmt, ref):
    for seed in seeds(30):
        v = make("iou", seed, format=fmt)
        assert v.params["format"] == fmt
        assert 0 < float(v.answer) < 1
        assert v.figure["type"] == "boxes" and v.figure["format"] == "xyxy" and len(v.figure["boxes"]) == 2


def test_nms_variants_have_no_tied_scores_and_no_iou_next_to_the_threshold(ref):
    for seed in seeds(50):
        p = make("nms", seed).params
        assert len(set(p["scores"])) == len(p["scores"])
        iou = ref.detection.box_iou(t(p["boxes"]), t(p["boxes"]))
        off_diagonal = iou[~torch.eye(len(p["boxes"]), dtype=torch.bool)]
        assert ((off_diagonal - p["iou_threshold"]).abs() >= 0.02 - 1e-9).all()


def test_ap11_draws_avoid_a_recall_where_the_cheatsheets_r_above_t_would_differ():
    """The cheatsheet writes P(t) over r > t, VOC over r ≥ t: by default the two agree."""
    from cvquiz.problems.detection.metrics import _ap11, _curve

    for seed in seeds(60):
        v = make("ap11", seed)
        p = v.params
        _, precision, recall = _curve(p["scores"], p["is_tp"], p["num_gt"])
        assert _ap11(precision, recall, strict=True) == v.answer, f"seed {seed}"
        assert not any("cheatsheet" in m.feedback.en for m in v.mistakes)


def test_ap11_asked_about_the_grid_says_so_and_names_where_the_two_readings_differ():
    from cvquiz.problems.detection.metrics import _ap11, _curve

    listed = 0
    for seed in seeds(60):
        v = make("ap11", seed, recall_on_grid="ask")
        p = v.params
        _, precision, recall = _curve(p["scores"], p["is_tp"], p["num_gt"])
        strict = _ap11(precision, recall, strict=True)
        assert strict != v.answer and "exactly on a grid point" in v.prompt.en and "恰好落在格点上" in v.prompt.zh
        on_grid = {show(r) for r in recall if (10 * r).is_Integer and r > 0}
        for m in v.mistakes:
            if "cheatsheet" in m.feedback.en:
                listed += 1
                assert m.answer == strict and "r ≥ t" in m.feedback.en and "速查表" in m.feedback.zh
                named = m.feedback.en.split("here at t = ")[1].rstrip(".").split(", ")
                assert set(named) <= on_grid, f"seed {seed}: {named} vs recalls {on_grid}"
    assert listed >= 40, "the r > t reading should be listed wherever it is clearly apart"


def test_map_with_11_point_ap_avoids_recalls_where_the_two_readings_differ():
    from cvquiz.problems.detection.metrics import _strict_differs_at, _curve

    for seed in seeds(30):
        v = make("map", seed, method="voc11")
        for c in v.params["classes"]:
            if c["num_gt"]:
                assert _strict_differs_at(*_curve(c["scores"], c["is_tp"], c["num_gt"])[1:]) == [], f"seed {seed}"


def test_ap_params_are_not_always_in_score_order_and_carry_a_pr_curve_figure():
    unsorted = 0
    for seed in seeds(30):
        v = make("ap_all", seed)
        scores = v.params["scores"]
        unsorted += scores != sorted(scores, reverse=True)
        assert v.figure["type"] == "pr_curve" and v.figure["points"] == "all"
        assert len(v.figure["recall"]) == len(scores)
    assert unsorted > 0
    assert make("ap11", seeds(1)[0]).figure["points"] == 11


@pytest.mark.parametrize("ask", ["anchors", "cls_channels", "reg_channels"])
def test_anchor_count_answers_the_asked_quantity(ask, ref):
    v = make("anchor_count", "5eed", ask=ask)
    assert v.params["ask"] == ask and v.answer == reference_anchor_count(ref, v.params)
