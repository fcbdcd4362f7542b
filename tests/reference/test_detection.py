"""reference/detection.py against slow loops from the definitions, torch built-ins, pycocotools,
shapely and torchvision's own outputs (golden fixtures made by tests/fixtures/make_torchvision_golden.py)."""

from __future__ import annotations

import json
import math
from fractions import Fraction
from pathlib import Path

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from benchmarks.detection import coco_objects

GOLDEN = Path(__file__).resolve().parent.parent / "fixtures" / "torchvision_golden.npz"
FIXTURE_OK = settings(suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
                      deadline=None)


@pytest.fixture(scope="module")
def D(course):
    return course.reference("detection")


@pytest.fixture(scope="module")
def golden():
    data = np.load(GOLDEN)
    cases: dict[str, list[dict]] = {}
    prefixes = sorted({k.rsplit("/", 1)[0] for k in data.files if k != "versions"},
                      key=lambda p: (p.split("/")[0], int(p.split("/")[1])))
    for prefix in prefixes:
        op = prefix.split("/")[0]
        case = json.loads(str(data[prefix + "/params"]))
        for key in data.files:
            if key.startswith(prefix + "/") and not key.endswith("/params"):
                case[key.rsplit("/", 1)[1]] = data[key]
        cases.setdefault(op, []).append(case)
    return cases


def random_boxes(g: torch.Generator, n: int, size: float = 10.0, span: float = 20.0) -> torch.Tensor:
    xy = torch.rand(n, 2, generator=g, dtype=torch.float64) * span
    wh = torch.rand(n, 2, generator=g, dtype=torch.float64) * size
    return torch.cat([xy, xy + wh], dim=1)


# ---------------------------------------------------------------- slow oracles from the definitions


def iou_loop(a, b) -> float:
    iw = max(0.0, min(a[2], b[2]) - max(a[0], b[0]))
    ih = max(0.0, min(a[3], b[3]) - max(a[1], b[1]))
    inter = iw * ih
    union = max(0.0, a[2] - a[0]) * max(0.0, a[3] - a[1]) + max(0.0, b[2] - b[0]) * max(0.0, b[3] - b[1]) - inter
    return inter / union if union > 0 else 0.0


def nms_loop(boxes: list, scores: list, thr: float, labels: list | None = None) -> list[int]:
    order = sorted(range(len(boxes)), key=lambda i: (-scores[i], i))
    keep: list[int] = []
    for i in order:
        if all(iou_loop(boxes[i], boxes[k]) <= thr or (labels is not None and labels[i] != labels[k])
               for k in keep):
            keep.append(i)
    return keep


def pr_loop(is_tp: list[bool], num_gt: int) -> list[tuple[Fraction, Fraction]]:
    """(precision, recall) after each detection, exactly, for detections already in rank order."""
    out, tp = [], 0
    for k, hit in enumerate(is_tp, start=1):
        tp += hit
        out.append((Fraction(tp, k), Fraction(tp, num_gt)))
    return out


def interpolated_ap_loop(is_tp: list[bool], num_gt: int, steps: int) -> Fraction:
    """VOC 11-point (steps = 10) / COCO 101-point: mean of max precision at recall >= t."""
    pts = pr_loop(is_tp, num_gt)
    total = Fraction(0)
    for k in range(steps + 1):
        t = Fraction(k, steps)
        total += max([p for p, r in pts if r >= t], default=Fraction(0))
    return total / (steps + 1)


def all_point_ap_loop(is_tp: list[bool], num_gt: int) -> Fraction:
    """The VOC2010 devkit: mrec = [0, rec, 1], mpre = [0, prec, 0], envelope, sum over steps."""
    pts = pr_loop(is_tp, num_gt)
    mrec = [Fraction(0)] + [r for _, r in pts] + [Fraction(1)]
    mpre = [Fraction(0)] + [p for p, _ in pts] + [Fraction(0)]
    for i in range(len(mpre) - 2, -1, -1):
        mpre[i] = max(mpre[i], mpre[i + 1])
    return sum(((mrec[i + 1] - mrec[i]) * mpre[i + 1] for i in range(len(mrec) - 1)
                if mrec[i + 1] != mrec[i]), Fraction(0))


def roi_pool_loop(feats: np.ndarray, rois: np.ndarray, out_hw, scale: float) -> np.ndarray:
    """torchvision's CPU kernel, one bin at a time (round = C's round, half away from zero)."""
    def c_round(v):
        return math.floor(abs(v) + 0.5) * (1 if v >= 0 else -1)

    _, C, H, W = feats.shape
    PH, PW = out_hw
    out = np.zeros((len(rois), C, PH, PW))
    for k, (b, x1, y1, x2, y2) in enumerate(rois):
        sw, sh, ew, eh = (c_round(v * scale) for v in (x1, y1, x2, y2))
        rw, rh = max(ew - sw + 1, 1), max(eh - sh + 1, 1)
        for ph in range(PH):
            for pw in range(PW):
                hs = min(max(math.floor(ph * rh / PH) + sh, 0), H)
                he = min(max(math.ceil((ph + 1) * rh / PH) + sh, 0), H)
                ws = min(max(math.floor(pw * rw / PW) + sw, 0), W)
                we = min(max(math.ceil((pw + 1) * rw / PW) + sw, 0), W)
                if he <= hs or we <= ws:
                    continue
                out[k, :, ph, pw] = feats[int(b), :, hs:he, ws:we].max(axis=(1, 2))
    return out


def roi_align_loop(feats: np.ndarray, rois: np.ndarray, out_hw, scale: float, ratio: int,
                   aligned: bool) -> np.ndarray:
    """torchvision's CPU kernel, one sample at a time."""
    _, C, H, W = feats.shape
    PH, PW = out_hw

    def bilinear(img, y, x):
        if y < -1.0 or y > H or x < -1.0 or x > W:
            return np.zeros(C)
        y, x = max(y, 0.0), max(x, 0.0)
        y0, x0 = int(y), int(x)
        if y0 >= H - 1:
            y0 = y1 = H - 1
            y = float(y0)
        else:
            y1 = y0 + 1
        if x0 >= W - 1:
            x0 = x1 = W - 1
            x = float(x0)
        else:
            x1 = x0 + 1
        ly, lx = y - y0, x - x0
        return ((1 - ly) * (1 - lx) * img[:, y0, x0] + (1 - ly) * lx * img[:, y0, x1]
                + ly * (1 - lx) * img[:, y1, x0] + ly * lx * img[:, y1, x1])

    out = np.zeros((len(rois), C, PH, PW))
    off = 0.5 if aligned else 0.0
    for k, (b, x1, y1, x2, y2) in enumerate(rois):
        sx, sy = x1 * scale - off, y1 * scale - off
        rw, rh = x2 * scale - off - sx, y2 * scale - off - sy
        if not aligned:
            rw, rh = max(rw, 1.0), max(rh, 1.0)
        gh = ratio if ratio > 0 else math.ceil(rh / PH)
        gw = ratio if ratio > 0 else math.ceil(rw / PW)
        count = max(gh * gw, 1)
        for ph in range(PH):
            for pw in range(PW):
                acc = np.zeros(C)
                for iy in range(gh):
                    y = sy + ph * rh / PH + (iy + 0.5) * (rh / PH) / gh
                    for ix in range(gw):
                        x = sx + pw * rw / PW + (ix + 0.5) * (rw / PW) / gw
                        acc += bilinear(feats[int(b)], y, x)
                out[k, :, ph, pw] = acc / count
    return out


# ---------------------------------------------------------------- boxes and IoU


def test_box_convert_matches_hand_values_and_round_trips(D, device):
    xyxy = torch.tensor([[1.0, 2.0, 5.0, 8.0], [0.0, 0.0, 0.0, 0.0]], device=device)
    assert D.box_convert(xyxy, "xyxy", "xywh").tolist() == [[1, 2, 4, 6], [0, 0, 0, 0]]
    assert D.box_convert(xyxy, "xyxy", "cxcywh").tolist() == [[3, 5, 4, 6], [0, 0, 0, 0]]
    g = torch.Generator().manual_seed(1)
    boxes = random_boxes(g, 30).to(device)
    for a in ("xyxy", "xywh", "cxcywh"):
        for b in ("xyxy", "xywh", "cxcywh"):
            there = D.box_convert(D.box_convert(boxes, "xyxy", a), a, b)
            assert torch.allclose(D.box_convert(there, b, "xyxy"), boxes)
    out = D.box_convert(boxes, "xyxy", "xyxy")
    assert out.device.type == device and out.dtype == torch.float64 and out.data_ptr() != boxes.data_ptr()


def test_box_area_is_width_times_height_and_zero_for_an_inverted_box(D, device):
    boxes = torch.tensor([[0.0, 0.0, 2.0, 3.0], [5.0, 5.0, 4.0, 9.0]], device=device)
    assert D.box_area(boxes).tolist() == [6.0, 0.0]


def test_box_iou_matches_a_slow_loop(D, device):
    g = torch.Generator().manual_seed(2)
    a, b = random_boxes(g, 17), random_boxes(g, 11)
    a[3] = torch.tensor([4.0, 4.0, 4.0, 9.0], dtype=torch.float64)  # zero width
    got = D.box_iou(a.to(device), b.to(device))
    assert got.shape == (17, 11) and got.device.type == device and got.dtype == torch.float64
    want = torch.tensor([[iou_loop(x, y) for y in b.tolist()] for x in a.tolist()], dtype=torch.float64)
    assert torch.allclose(got.cpu(), want, rtol=1e-12, atol=1e-15)


def test_box_iou_of_two_unit_offset_squares_is_one_seventh(D, device):
    a = torch.tensor([[0.0, 0.0, 2.0, 2.0]], device=device)
    b = torch.tensor([[1.0, 1.0, 3.0, 3.0]], device=device)
    assert D.box_iou(a, b).item() == pytest.approx(1 / 7)


def test_box_iou_of_empty_boxes_is_zero_not_nan(D, device):
    empty = torch.tensor([[1.0, 1.0, 1.0, 1.0], [2.0, 2.0, 2.0, 5.0]], device=device)
    iou = D.box_iou(empty, empty)
    assert not torch.isnan(iou).any() and iou.abs().sum() == 0
    assert D.box_iou(torch.zeros(0, 4, device=device), empty).shape == (0, 2)


@pytest.mark.parametrize("call, message", [
    (lambda D: D.box_iou(torch.zeros(3, 5), torch.zeros(2, 4)),
     "boxes1: expected a float Tensor[N, 4], got Tensor[3, 5] float32"),
    (lambda D: D.box_iou([[0, 0, 1, 1]], torch.zeros(2, 4)), "boxes1: expected a float Tensor[N, 4], got list"),
    (lambda D: D.box_area(torch.zeros(3, 4, dtype=torch.int64)),
     "boxes: expected a float Tensor[N, 4], got Tensor[3, 4] int64"),
    (lambda D: D.nms(torch.zeros(3, 4), torch.zeros(2), 0.5),
     "scores: expected Tensor[N] with N = 3, got Tensor[2] float32"),
    (lambda D: D.nms(torch.zeros(3, 4), torch.zeros(3), 1.5), "iou_threshold: expected a number in [0, 1], got 1.5"),
    (lambda D: D.nms(torch.zeros(3, 4), torch.zeros(3), True), "iou_threshold: expected a number in [0, 1], got True"),
    (lambda D: D.box_convert(torch.zeros(1, 4), "xyxy", "xyhw"),
     "out_fmt: expected one of 'xyxy', 'xywh', 'cxcywh', got 'xyhw'"),
    (lambda D: D.roi_align(torch.zeros(1, 1, 4, 4), torch.zeros(2, 4), 2),
     "rois: expected a float Tensor[K, 5], got Tensor[2, 4] float32"),
    (lambda D: D.roi_pool(torch.zeros(1, 4, 4), torch.zeros(2, 5), 2),
     "features: expected a float Tensor[B, C, H, W], got Tensor[1, 4, 4] float32"),
    (lambda D: D.roi_pool(torch.zeros(2, 1, 4, 4), torch.tensor([[2.0, 0, 0, 1, 1]]), 2),
     "rois: expected batch indices rois[:, 0] in [0, 2), got 2 in row 0"),
    (lambda D: D.roi_align(torch.zeros(1, 1, 4, 4), torch.zeros(1, 5), 2, sampling_ratio=1.5),
     "sampling_ratio: expected an int (<= 0 for adaptive), got 1.5"),
    (lambda D: D.average_precision(torch.zeros(3), torch.zeros(3), "voc12"),
     "method: expected one of 'voc11', 'all', 'coco101', got 'voc12'"),
    (lambda D: D.precision_recall(torch.zeros(3), torch.zeros(3, dtype=torch.bool), 0),
     "num_gt: expected an int >= 1, got 0"),
    (lambda D: D.smooth_l1_loss(torch.zeros(2, 4), torch.zeros(2, 3)),
     "target: expected a Tensor like pred, Tensor[2, 4] float32, got Tensor[2, 3] float32"),
    (lambda D: D.mask_loss(torch.zeros(2, 3, 4, 4), torch.zeros(2, dtype=torch.int64), torch.zeros(2, 5, 5)),
     "targets: expected a Tensor[K, M, M] with K, M, M = 2, 4, 4, got Tensor[2, 5, 5] float32"),
    (lambda D: D.mean_average_precision(torch.zeros(1, 4), [], [], [], []),
     "pred_boxes: expected a list with one Tensor per image, got Tensor[1, 4] float32"),
    (lambda D: D.box3d_iou(torch.zeros(2, 6), torch.zeros(2, 7)),
     "boxes1: expected a float Tensor[N, 7], got Tensor[2, 6] float32"),
], ids=["iou-shape", "iou-list", "area-int", "nms-scores", "nms-threshold", "nms-bool-threshold", "format", "rois",
        "features", "batch-index", "sampling-ratio", "ap-method", "num-gt", "loss-shapes", "mask-targets",
        "map-lists", "box3d"])
def test_bad_arguments_raise_value_errors_naming_the_argument_and_what_came(D, call, message):
    with pytest.raises(ValueError) as info:
        call(D)
    assert str(info.value) == message


box_lists = st.lists(st.tuples(st.integers(0, 20), st.integers(0, 20), st.integers(1, 12), st.integers(1, 12)),
                     min_size=1, max_size=25)


def as_boxes(items, device, dtype=torch.float64) -> torch.Tensor:
    t = torch.tensor(items, dtype=dtype).reshape(-1, 4) / 2
    return torch.cat([t[:, :2], t[:, :2] + t[:, 2:]], dim=1).to(device)


@FIXTURE_OK
@given(items=box_lists, other=box_lists)
def test_iou_is_symmetric_in_unit_range_and_one_on_itself(D, device, items, other):
    a, b = as_boxes(items, device), as_boxes(other, device)
    ab, ba = D.box_iou(a, b), D.box_iou(b, a)
    assert torch.equal(ab, ba.T)
    assert ((ab >= 0) & (ab <= 1)).all()
    assert torch.allclose(D.box_iou(a, a).diagonal(), torch.ones(len(a), dtype=a.dtype, device=device))


# ---------------------------------------------------------------- NMS


@pytest.mark.parametrize("thr", [0.0, 0.3, 0.5, 0.8, 1.0])
def test_nms_matches_a_slow_loop_with_tied_scores(D, device, thr):
    g = torch.Generator().manual_seed(3)
    boxes = random_boxes(g, 60)
    scores = torch.randint(0, 6, (60,), generator=g).double() / 5  # many ties
    keep = D.nms(boxes.to(device), scores.to(device), thr)
    assert keep.dtype == torch.int64 and keep.device.type == device
    assert keep.tolist() == nms_loop(boxes.tolist(), scores.tolist(), thr)


def test_nms_matches_torchvision(D, device, golden):
    for case in golden["nms"]:
        keep = D.nms(torch.from_numpy(case["boxes"]).to(device), torch.from_numpy(case["scores"]).to(device),
                     case["iou_threshold"])
        assert keep.cpu().numpy().tolist() == case["keep"].tolist()


def test_nms_keeps_a_box_whose_iou_equals_the_threshold(D, device):
    boxes = torch.tensor([[0.0, 0.0, 2.0, 2.0], [0.0, 0.0, 2.0, 1.0]], device=device)  # IoU = 2/4
    scores = torch.tensor([0.9, 0.8], device=device)
    assert D.nms(boxes, scores, 0.5).tolist() == [0, 1]
    assert D.nms(boxes, scores, 0.49).tolist() == [0]


def test_nms_keeps_the_lower_index_of_two_equal_boxes_with_equal_scores(D, device):
    boxes = torch.tensor([[0.0, 0.0, 1.0, 1.0]] * 3 + [[5.0, 5.0, 6.0, 6.0]], device=device)
    scores = torch.tensor([0.5, 0.7, 0.7, 0.7], device=device)
    assert D.nms(boxes, scores, 0.5).tolist() == [1, 3]


def test_nms_of_no_boxes_is_an_empty_int64_tensor(D, device):
    keep = D.nms(torch.zeros(0, 4, device=device), torch.zeros(0, device=device), 0.5)
    assert keep.shape == (0,) and keep.dtype == torch.int64


@FIXTURE_OK
@given(items=box_lists, thr=st.sampled_from([0.0, 0.25, 0.5, 0.75]), data=st.data())
def test_nms_output_is_a_sorted_idempotent_subset_without_overlaps(D, device, items, thr, data):
    boxes = as_boxes(items, device)
    scores = torch.tensor(data.draw(st.lists(st.integers(0, 5), min_size=len(items), max_size=len(items))),
                          dtype=torch.float64, device=device)
    keep = D.nms(boxes, scores, thr)
    assert len(set(keep.tolist())) == len(keep) and all(0 <= i < len(items) for i in keep.tolist())
    assert (scores[keep][:-1] >= scores[keep][1:]).all()
    iou = D.box_iou(boxes[keep], boxes[keep])
    assert (iou.triu(1) <= thr).all()
    again = D.nms(boxes[keep], scores[keep], thr)
    assert torch.equal(keep[again], keep)


def test_batched_nms_suppresses_only_within_a_label(D, device):
    g = torch.Generator().manual_seed(4)
    boxes = random_boxes(g, 50)
    scores = torch.rand(50, generator=g, dtype=torch.float64)
    labels = torch.randint(0, 3, (50,), generator=g)
    keep = D.batched_nms(boxes.to(device), scores.to(device), labels.to(device), 0.4)
    assert keep.tolist() == nms_loop(boxes.tolist(), scores.tolist(), 0.4, labels.tolist())
    same = torch.tensor([[0.0, 0.0, 4.0, 4.0]] * 2, device=device)
    assert D.batched_nms(same, torch.tensor([0.9, 0.8], device=device),
                         torch.tensor([0, 1], device=device), 0.5).tolist() == [0, 1]


# ---------------------------------------------------------------- regression losses


@pytest.mark.parametrize("beta", [1.0, 0.5, 2.0, 0.0])
def test_smooth_l1_loss_matches_torch(D, device, beta):
    g = torch.Generator().manual_seed(5)
    pred, target = torch.randn(20, 4, generator=g) * 2, torch.randn(20, 4, generator=g) * 2
    pred, target = pred.to(device), target.to(device)
    got = D.smooth_l1_loss(pred, target, beta=beta)
    assert got.device.type == device and got.dtype == torch.float32
    assert torch.allclose(got, F.smooth_l1_loss(pred, target, beta=beta, reduction="sum"), rtol=1e-5)
    assert torch.allclose(D.smooth_l1_loss(pred, target, beta, "mean"), F.smooth_l1_loss(pred, target, beta=beta))
    assert torch.allclose(D.smooth_l1_loss(pred, target, beta, "none"),
                          F.smooth_l1_loss(pred, target, beta=beta, reduction="none"))


def test_l1_l2_and_rmse_match_torch_and_a_hand_value(D, device):
    g = torch.Generator().manual_seed(6)
    pred, target = torch.randn(7, 4, generator=g).to(device), torch.randn(7, 4, generator=g).to(device)
    assert torch.allclose(D.l1_loss(pred, target), F.l1_loss(pred, target, reduction="sum"))
    assert torch.allclose(D.l2_loss(pred, target), F.mse_loss(pred, target, reduction="sum"))
    assert torch.allclose(D.l2_loss(pred, target, "mean"), F.mse_loss(pred, target))
    assert torch.allclose(D.rmse(pred, target), F.mse_loss(pred, target).sqrt())
    p = torch.tensor([[1.0, 2.0, 3.0, 4.0]], device=device)
    t = torch.tensor([[1.0, 0.0, 3.0, 7.0]], device=device)  # errors 0, 2, 0, -3
    assert D.l1_loss(p, t).item() == 5.0 and D.l2_loss(p, t).item() == 13.0
    assert D.smooth_l1_loss(p, t).item() == pytest.approx(1.5 + 2.5)
    assert D.rmse(p, t).item() == pytest.approx(math.sqrt(13 / 4))


# ---------------------------------------------------------------- precision, recall and AP


def curve(D, is_tp: list[bool], num_gt: int, device, dtype=torch.float64):
    n = len(is_tp)
    scores = torch.arange(n, 0, -1, dtype=dtype, device=device)
    return D.precision_recall(scores, torch.tensor(is_tp, dtype=torch.bool, device=device), num_gt)


def test_eleven_tps_of_twelve_give_ten_elevenths_and_eleven_twelfths(D, device):
    p, r = curve(D, [True] * 11, 12, device)
    assert D.average_precision(p, r, "voc11").item() == pytest.approx(10 / 11, abs=1e-12)
    assert D.average_precision(p, r, "all").item() == pytest.approx(11 / 12, abs=1e-12)


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64], ids=["f32", "f64"])
def test_eleven_point_ap_counts_a_recall_exactly_on_the_grid(D, device, dtype):
    # recall 0.1, 0.2, 0.3, 0.3, 0.4 with precision 1, 1, 1, .75, .8: P(0.3) must be 1 (recall 3/10 >= 0.3),
    # not 0.8 as a grid of 0.1 * 3 = 0.30000000000000004 would give.
    p, r = curve(D, [True, True, True, False, True], 10, device, dtype)
    got = D.average_precision(p, r, "voc11")
    assert got.dtype == dtype
    assert got.item() == pytest.approx(4.8 / 11, rel=1e-6)


@pytest.mark.parametrize("seed", range(6))
@pytest.mark.parametrize("method, steps", [("voc11", 10), ("coco101", 100), ("all", None)])
def test_average_precision_matches_exact_slow_loops(D, device, seed, method, steps):
    rng = np.random.default_rng(seed)
    n, num_gt = int(rng.integers(1, 40)), int(rng.choice([5, 10, 20, 25, 7]))
    is_tp = (rng.random(n) < 0.5).tolist()
    is_tp = is_tp if sum(is_tp) <= num_gt else [False] * n
    p, r = curve(D, is_tp, num_gt, device)
    want = all_point_ap_loop(is_tp, num_gt) if steps is None else interpolated_ap_loop(is_tp, num_gt, steps)
    assert D.average_precision(p, r, method).item() == pytest.approx(float(want), abs=1e-12)


def test_precision_recall_ranks_equal_scores_by_index(D, device):
    scores = torch.tensor([0.5, 0.9, 0.5, 0.5], device=device)
    is_tp = torch.tensor([True, False, False, True], device=device)
    p, r = D.precision_recall(scores, is_tp, 4)  # order: 1, 0, 2, 3
    assert p.tolist() == pytest.approx([0.0, 0.5, 1 / 3, 0.5])
    assert r.tolist() == pytest.approx([0.0, 0.25, 0.25, 0.5])


@FIXTURE_OK
@given(flags=st.lists(st.booleans(), min_size=1, max_size=30), extra=st.integers(0, 5),
       method=st.sampled_from(["voc11", "all", "coco101"]))
def test_ap_is_in_unit_range_and_one_for_a_perfect_ranking(D, device, flags, extra, method):
    num_gt = sum(flags) + extra if sum(flags) + extra > 0 else 1
    p, r = curve(D, flags, num_gt, device)
    ap = D.average_precision(p, r, method).item()
    assert 0.0 <= ap <= 1.0 + 1e-12
    perfect = sorted(flags, reverse=True)
    p, r = curve(D, perfect, max(sum(flags), 1), device)
    if sum(flags):
        assert D.average_precision(p, r, method).item() == pytest.approx(1.0)


# ---------------------------------------------------------------- matching and mAP


def test_voc_matching_makes_a_duplicate_a_false_positive_where_coco_takes_the_next_gt(D, device):
    gt = torch.tensor([[0.0, 0.0, 10.0, 10.0], [1.0, 0.0, 11.0, 10.0]], device=device)
    det = torch.tensor([[0.0, 0.0, 10.0, 10.0], [0.2, 0.0, 10.2, 10.0]], device=device)
    scores = torch.tensor([0.9, 0.8], device=device)
    assert D.match_detections(det, scores, gt, 0.5, "voc").tolist() == [True, False]
    assert D.match_detections(det, scores, gt, 0.5, "coco").tolist() == [True, True]


def test_voc_matching_needs_iou_above_the_threshold_and_coco_at_least_it(D, device):
    gt = torch.tensor([[0.0, 0.0, 2.0, 2.0]], device=device)
    det = torch.tensor([[0.0, 0.0, 2.0, 1.0]], device=device)  # IoU exactly 0.5
    s = torch.tensor([1.0], device=device)
    assert D.match_detections(det, s, gt, 0.5, "voc").tolist() == [False]
    assert D.match_detections(det, s, gt, 0.5, "coco").tolist() == [True]


def test_coco_matching_gives_an_iou_tie_to_the_last_gt_like_pycocotools(D, device):
    gt = torch.tensor([[0.0, 0.0, 2.0, 2.0], [1.0, 0.0, 3.0, 2.0]], device=device)
    det = torch.tensor([[0.5, 0.0, 2.5, 2.0], [0.0, 0.0, 2.0, 2.0]], device=device)  # IoU 3/5 with both; 1 and 1/3
    scores = torch.tensor([0.9, 0.8], device=device)
    # COCO: the first detection takes the last GT, leaving the first GT to the second detection.
    assert D.match_detections(det, scores, gt, 0.5, "coco").tolist() == [True, True]
    # VOC: the first detection's best GT is the first; the second's best is then taken.
    assert D.match_detections(det, scores, gt, 0.5, "voc").tolist() == [True, False]


def test_matching_visits_detections_by_score_and_returns_input_order(D, device):
    gt = torch.tensor([[0.0, 0.0, 4.0, 4.0]], device=device)
    det = torch.tensor([[0.0, 0.0, 4.0, 3.9], [0.0, 0.0, 4.0, 4.0]], device=device)
    for rule in ("voc", "coco"):
        assert D.match_detections(det, torch.tensor([0.2, 0.8], device=device), gt, 0.5, rule).tolist() == [False, True]
        assert D.match_detections(det, torch.tensor([0.8, 0.2], device=device), gt, 0.5, rule).tolist() == [True, False]


def random_dataset(rng: np.random.Generator, n_img: int, n_cls: int):
    """GT boxes and noisy detections (some good, some duplicates, some random)."""
    gts, dets = [], []
    for _ in range(n_img):
        g = int(rng.integers(0, 6))
        xy = rng.uniform(0, 80, (g, 2))
        wh = rng.uniform(5, 40, (g, 2))
        gb = np.concatenate([xy, xy + wh], 1)
        gl = rng.integers(0, n_cls, g)
        db, dl, ds = [], [], []
        for box, lab in zip(gb, gl):
            for _ in range(int(rng.integers(0, 3))):
                db.append(box + rng.normal(0, 1.5, 4))
                dl.append(lab if rng.random() < 0.85 else rng.integers(0, n_cls))
                ds.append(rng.random())
        for _ in range(int(rng.integers(0, 4))):
            xy = rng.uniform(0, 80, 2)
            db.append(np.concatenate([xy, xy + rng.uniform(5, 40, 2)]))
            dl.append(rng.integers(0, n_cls))
            ds.append(rng.random())
        db = np.array(db, dtype=float).reshape(-1, 4)
        db[:, 2:] = np.maximum(db[:, 2:], db[:, :2] + 0.5)
        gts.append((gb, gl))
        dets.append((db, np.array(ds, dtype=float), np.array(dl, dtype=int)))
    return gts, dets


def to_tensors(gts, dets, device):
    T = lambda a, dt=torch.float64: torch.tensor(a, dtype=dt, device=device)  # noqa: E731
    return ([T(d[0]) for d in dets], [T(d[1]) for d in dets], [T(d[2], torch.int64) for d in dets],
            [T(g[0]).reshape(-1, 4) for g in gts], [T(g[1], torch.int64) for g in gts])


def coco_map(gts, dets, n_cls: int, stat: int = 0) -> float:
    """One of pycocotools' 12 summary numbers, on the exact recall grid k/100."""
    return float(coco_objects(gts, dets, n_cls)()[stat])


@pytest.mark.parametrize("seed", range(3))
def test_coco_map_matches_pycocotools(D, device, seed):
    rng = np.random.default_rng(100 + seed)
    gts, dets = random_dataset(rng, 8, 3)
    got = D.mean_average_precision(*to_tensors(gts, dets, device), style="coco")
    assert got.device.type == device
    assert got.item() == pytest.approx(coco_map(gts, dets, 3), abs=1e-9)


@pytest.mark.parametrize("threshold, stat", [(0.5, 1), (0.75, 2)], ids=["AP50", "AP75"])
def test_coco_ap_at_one_iou_threshold_matches_pycocotools(D, device, threshold, stat):
    rng = np.random.default_rng(200)
    gts, dets = random_dataset(rng, 10, 3)
    got = D.mean_average_precision(*to_tensors(gts, dets, device), style="coco", iou_thresholds=[threshold])
    assert got.item() == pytest.approx(coco_map(gts, dets, 3, stat), abs=1e-9)


@pytest.mark.slow
@pytest.mark.parametrize("seed", range(40))
def test_coco_map_matches_pycocotools_over_many_datasets(D, seed):
    rng = np.random.default_rng(1000 + seed)
    gts, dets = random_dataset(rng, 12, 4)
    got = D.mean_average_precision(*to_tensors(gts, dets, "cpu"), style="coco")
    assert got.item() == pytest.approx(coco_map(gts, dets, 4), abs=1e-9)


def voc_map_loop(gts, dets, n_cls: int, eleven: bool) -> float:
    """py-faster-rcnn's voc_eval (without difficult flags, continuous IoU), one class at a time."""
    aps = []
    for c in range(n_cls):
        npos = sum(int((gl == c).sum()) for _, gl in gts)
        if npos == 0:
            continue
        pool = [(s, i, b) for i, (db, ds, dl) in enumerate(dets) for b, s, lab in zip(db, ds, dl) if lab == c]
        pool.sort(key=lambda e: -e[0])  # stable: image order, then index
        used = {i: [False] * len(gts[i][0]) for i in range(len(gts))}
        flags = []
        for _, i, b in pool:
            gb = [g for g, lab in zip(*gts[i]) if lab == c]
            idx = [k for k, lab in enumerate(gts[i][1]) if lab == c]
            ious = [iou_loop(b.tolist(), g.tolist()) for g in gb]
            if ious and max(ious) > 0.5 and not used[i][idx[int(np.argmax(ious))]]:
                used[i][idx[int(np.argmax(ious))]] = True
                flags.append(True)
            else:
                flags.append(False)
        ap = interpolated_ap_loop(flags, npos, 10) if eleven else all_point_ap_loop(flags, npos)
        aps.append(float(ap))
    return sum(aps) / len(aps)


@pytest.mark.parametrize("method", ["voc11", "all"])
def test_voc_map_matches_a_slow_voc_eval_and_leaves_out_classes_without_gt(D, device, method):
    rng = np.random.default_rng(7)
    gts, dets = random_dataset(rng, 10, 4)
    gts = [(gb, np.where(gl == 3, 2, gl)) for gb, gl in gts]  # class 3: detections only
    got = D.mean_average_precision(*to_tensors(gts, dets, device), style="voc", method=method)
    assert got.item() == pytest.approx(voc_map_loop(gts, dets, 4, method == "voc11"), abs=1e-12)


def test_map_without_any_ground_truth_is_nan(D, device):
    empty_b = torch.zeros(0, 4, device=device, dtype=torch.float64)
    empty_l = torch.zeros(0, dtype=torch.int64, device=device)
    out = D.mean_average_precision([empty_b], [torch.zeros(0, device=device, dtype=torch.float64)], [empty_l],
                                   [empty_b], [empty_l])
    assert torch.isnan(out)


# ---------------------------------------------------------------- RoI Pool, bilinear, RoI Align


def test_roi_pool_matches_torchvision(D, device, golden):
    for case in golden["roi_pool"]:
        f = torch.from_numpy(case["features"]).to(device)
        r = torch.from_numpy(case["rois"]).to(device)
        out = D.roi_pool(f, r, tuple(case["output_size"]), case["spatial_scale"])
        assert out.dtype == f.dtype and out.device.type == device
        assert np.allclose(out.cpu().numpy(), case["out"], atol=1e-6)


def test_roi_pool_matches_a_slow_loop(D, device):
    g = torch.Generator().manual_seed(8)
    feats = torch.randn(2, 3, 9, 11, generator=g, dtype=torch.float64)
    rois = torch.cat([torch.randint(0, 2, (12, 1), generator=g).double(), random_boxes(g, 12, 12.0, 14.0) - 3], 1)
    rois[0, 1:] = torch.tensor([2.5, 1.5, 6.5, 4.5], dtype=torch.float64)  # rounding on halves
    for out_hw, scale in [((2, 2), 1.0), ((3, 4), 0.5)]:
        got = D.roi_pool(feats.to(device), rois.to(device), out_hw, scale)
        assert np.allclose(got.cpu().numpy(), roi_pool_loop(feats.numpy(), rois.numpy(), out_hw, scale))


def test_roi_ops_of_no_rois_are_empty(D, device):
    feats = torch.randn(1, 2, 4, 4, device=device)
    rois = torch.zeros(0, 5, device=device)
    assert D.roi_pool(feats, rois, 2).shape == (0, 2, 2, 2)
    assert D.roi_align(feats, rois, 2).shape == (0, 2, 2, 2)


def test_roi_pool_rounds_halves_away_from_zero_like_c(D, device):
    feats = torch.arange(16.0, device=device).reshape(1, 1, 4, 4)
    rois = torch.tensor([[0.0, 0.5, 0.5, 0.5, 0.5]], device=device)  # round(0.5) = 1, not 0
    assert D.roi_pool(feats, rois, 1).item() == 5.0


def test_bilinear_sample_follows_the_cheatsheet_formula(D, device):
    g = torch.Generator().manual_seed(9)
    feats = torch.randn(2, 5, 6, generator=g, dtype=torch.float64)
    x = torch.tensor([0.0, 2.5, 5.0, -0.5, 5.5, 1.25, -1.0, 7.0], dtype=torch.float64)
    y = torch.tensor([0.0, 1.5, 4.0, 2.0, 0.5, 3.75, 1.0, 2.0], dtype=torch.float64)
    got = D.bilinear_sample(feats.to(device), x.to(device), y.to(device))
    want = torch.zeros(2, len(x), dtype=torch.float64)
    for p in range(len(x)):
        for i in range(5):
            for j in range(6):
                want[:, p] += feats[:, i, j] * max(0.0, 1 - abs(x[p].item() - j)) * max(0.0, 1 - abs(y[p].item() - i))
    assert got.shape == (2, len(x)) and torch.allclose(got.cpu(), want)
    assert got[:, 3].cpu().tolist() == pytest.approx((0.5 * feats[:, 2, 0]).tolist())  # zero padding at x = -0.5
    centre = torch.tensor([[[1.0, 2.0], [3.0, 4.0]]], device=device)
    half = torch.tensor([0.5], device=device)
    assert D.bilinear_sample(centre, half, half).item() == 2.5


@pytest.mark.parametrize("aligned", [False, True], ids=["legacy", "aligned"])
@pytest.mark.parametrize("ratio", [-1, 2])
def test_roi_align_matches_a_slow_loop(D, device, aligned, ratio):
    g = torch.Generator().manual_seed(10)
    feats = torch.randn(2, 2, 7, 8, generator=g, dtype=torch.float64)
    rois = torch.cat([torch.randint(0, 2, (10, 1), generator=g).double(), random_boxes(g, 10, 9.0, 10.0) - 2], 1)
    rois[0, 1:] = torch.tensor([3.0, 3.0, 3.2, 3.1], dtype=torch.float64)  # smaller than a pixel
    for out_hw, scale in [((2, 2), 1.0), ((3, 2), 0.5)]:
        got = D.roi_align(feats.to(device), rois.to(device), out_hw, scale, ratio, aligned)
        want = roi_align_loop(feats.numpy(), rois.numpy(), out_hw, scale, ratio, aligned)
        assert np.allclose(got.cpu().numpy(), want, atol=1e-12)


def test_roi_align_matches_torchvision(D, device, golden):
    assert len(golden["roi_align"]) >= 40
    for case in golden["roi_align"]:
        f = torch.from_numpy(case["features"]).to(device)
        r = torch.from_numpy(case["rois"]).to(device)
        out = D.roi_align(f, r, tuple(case["output_size"]), case["spatial_scale"], case["sampling_ratio"],
                          case["aligned"])
        assert out.dtype == f.dtype and out.device.type == device
        assert np.allclose(out.cpu().numpy(), case["out"], atol=1e-5), case


def test_roi_align_clamps_to_the_edge_where_the_plain_formula_fades(D, device):
    feats = torch.full((1, 1, 3, 3), 2.0, device=device)
    # one sample at (-0.5, -0.5): RoI Align clamps to pixel (0, 0); the formula gives 2 * 0.25
    rois = torch.tensor([[0.0, -1.0, -1.0, 0.0, 0.0]], device=device)
    assert D.roi_align(feats, rois, 1, 1.0, 1).item() == 2.0
    half = torch.tensor([-0.5], device=device)
    assert D.bilinear_sample(feats[0], half, half).item() == 0.5
    beyond = torch.tensor([[0.0, -3.0, -3.0, -1.5, -1.5]], device=device)  # sample at -2.25: outside
    assert D.roi_align(feats, beyond, 1, 1.0, 1).item() == 0.0


# ---------------------------------------------------------------- mask loss


def test_independent_mask_loss_is_bce_on_the_gt_class_channel(D, device):
    g = torch.Generator().manual_seed(11)
    logits = torch.randn(5, 4, 6, 6, generator=g).to(device)
    labels = torch.tensor([1, 3, 0, 2, 3], device=device)
    targets = (torch.rand(5, 6, 6, generator=g) > 0.5).float().to(device)
    want = torch.stack([F.binary_cross_entropy_with_logits(logits[k, labels[k]], targets[k]) for k in range(5)]).mean()
    assert torch.allclose(D.mask_loss(logits, labels, targets), want)
    # other channels do not matter
    other = logits.clone()
    other[torch.arange(5), (labels + 1) % 4] += 100
    assert torch.allclose(D.mask_loss(other, labels, targets), want)


def test_multinomial_mask_loss_is_per_pixel_cross_entropy_against_background(D, device):
    g = torch.Generator().manual_seed(12)
    logits = torch.randn(5, 4, 6, 6, generator=g).to(device)
    labels = torch.tensor([1, 3, 2, 2, 3], device=device)
    targets = (torch.rand(5, 6, 6, generator=g) > 0.5).float().to(device)
    classes = torch.where(targets > 0, labels[:, None, None], torch.zeros_like(labels)[:, None, None])
    got = D.mask_loss(logits, labels, targets, independent=False)
    assert torch.allclose(got, F.cross_entropy(logits, classes))
    assert D.mask_loss(logits[:0], labels[:0], targets[:0]).item() == 0.0


# ---------------------------------------------------------------- 3D IoU


def iou3d_shapely(a, b) -> float:
    from shapely.affinity import rotate, translate
    from shapely.geometry import box as sbox

    def footprint(x, y, w, l, yaw):  # l along x, w along y at yaw 0; yaw counter-clockwise
        return translate(rotate(sbox(-l / 2, -w / 2, l / 2, w / 2), yaw, origin=(0, 0), use_radians=True), x, y)

    pa = footprint(a[0], a[1], a[3], a[5], a[6])
    pb = footprint(b[0], b[1], b[3], b[5], b[6])
    dz = max(0.0, min(a[2] + a[4] / 2, b[2] + b[4] / 2) - max(a[2] - a[4] / 2, b[2] - b[4] / 2))
    inter = pa.intersection(pb).area * dz
    union = a[3] * a[4] * a[5] + b[3] * b[4] * b[5] - inter
    return inter / union if union > 0 else 0.0


def random_boxes3d(g: torch.Generator, n: int) -> torch.Tensor:
    centre = torch.rand(n, 3, generator=g, dtype=torch.float64) * torch.tensor([6.0, 6.0, 2.0], dtype=torch.float64)
    size = torch.rand(n, 3, generator=g, dtype=torch.float64) * 3 + 0.5
    yaw = (torch.rand(n, 1, generator=g, dtype=torch.float64) - 0.5) * 2 * math.pi
    return torch.cat([centre, size, yaw], 1)


def test_box3d_iou_matches_shapely(D, device):
    g = torch.Generator().manual_seed(13)
    a, b = random_boxes3d(g, 12), random_boxes3d(g, 9)
    b[0] = a[0]
    b[1] = a[1].clone()
    b[1, 6] += math.pi / 2  # a square-ish overlap with shared centre
    got = D.box3d_iou(a.to(device), b.to(device))
    assert got.shape == (12, 9) and got.device.type == device
    want = torch.tensor([[iou3d_shapely(x, y) for y in b.tolist()] for x in a.tolist()], dtype=torch.float64)
    assert (want > 0).sum() > 10
    assert torch.allclose(got.cpu(), want, atol=1e-9)


def test_box3d_axes_and_yaw_direction(D, device):
    # At yaw 0 length lies along x; a quarter turn puts it along y.
    along_x = torch.tensor([[0.0, 0.0, 0.0, 2.0, 1.0, 4.0, 0.0]], device=device)
    turned = torch.tensor([[0.0, 0.0, 0.0, 2.0, 1.0, 4.0, math.pi / 2]], device=device)
    along_y = torch.tensor([[0.0, 0.0, 0.0, 4.0, 1.0, 2.0, 0.0]], device=device)
    assert D.box3d_iou(turned, along_y).item() == pytest.approx(1.0, abs=1e-6)
    assert D.box3d_iou(along_x, along_y).item() == pytest.approx(4 / 12)
    # yaw turns from +x toward +y: a long box turned by +30° covers a point at 30°, not at -30°.
    long = torch.tensor([[0.0, 0.0, 0.0, 0.2, 1.0, 10.0, math.radians(30)]], device=device)
    at = lambda deg: torch.tensor([[4 * math.cos(math.radians(deg)), 4 * math.sin(math.radians(deg)), 0.0,  # noqa: E731
                                    0.1, 1.0, 0.1, 0.0]], device=device)
    assert D.box3d_iou(long, at(30)).item() > 0 and D.box3d_iou(long, at(-30)).item() == 0
    # height overlap along z: half the height
    up = torch.tensor([[0.0, 0.0, 0.5, 2.0, 1.0, 4.0, 0.0]], device=device)
    assert D.box3d_iou(along_x, up).item() == pytest.approx(0.5 / 1.5)


@settings(FIXTURE_OK, max_examples=25)
@given(seed=st.integers(0, 2**31 - 1))
def test_box3d_iou_is_symmetric_in_unit_range_and_one_on_itself(D, device, seed):
    g = torch.Generator().manual_seed(seed)
    a, b = random_boxes3d(g, 5).to(device), random_boxes3d(g, 4).to(device)
    ab = D.box3d_iou(a, b)
    assert torch.allclose(ab, D.box3d_iou(b, a).T, atol=1e-9)
    assert ((ab >= 0) & (ab <= 1)).all()
    assert torch.allclose(D.box3d_iou(a, a).diagonal(), torch.ones(5, dtype=a.dtype, device=device), atol=1e-9)


# ---------------------------------------------------------------- gradients


def test_iou_roi_ops_and_3d_iou_pass_gradcheck(D, device):
    g = torch.Generator().manual_seed(14)
    boxes = random_boxes(g, 4, 3.0, 3.0).to(device).requires_grad_()
    other = random_boxes(g, 3, 3.0, 3.0).to(device)
    assert torch.autograd.gradcheck(lambda b: D.box_iou(b, other), (boxes,))
    feats = torch.randn(2, 2, 9, 7, generator=g, dtype=torch.float64).to(device).requires_grad_()
    rois = torch.tensor([[0, 0.5, 0.5, 3.2, 3.7], [1, -2, 1, 9, 12]], dtype=torch.float64, device=device)
    assert torch.autograd.gradcheck(lambda f: D.roi_align(f, rois, 2, 1.0, 2, True), (feats,))
    assert torch.autograd.gradcheck(lambda f: D.roi_pool(f, rois, 2, 1.0), (feats,))
    with torch.no_grad():  # the fast in-place table gives the values of the autograd one
        fast = D.roi_pool(feats, rois, 3, 1.0)
    assert torch.equal(fast, D.roi_pool(feats, rois, 3, 1.0).detach())
    a = (random_boxes3d(g, 3) + 0.5).to(device).requires_grad_()
    b = random_boxes3d(g, 2).to(device)
    assert torch.autograd.gradcheck(lambda x: D.box3d_iou(x, b), (a,))
