"""Regression tests for bugs found in reference/detection.py (issue #10): each failed before its fix.

Half precision, exact threshold comparisons, degenerate RoIs, autocast and tied maxima.
"""

from __future__ import annotations

import pytest
import torch

HALF = [pytest.param(torch.float16, id="f16"), pytest.param(torch.bfloat16, id="bf16")]


@pytest.fixture(scope="module")
def D(course):
    return course.reference("detection")


# ---------------------------------------------------------------- RoI Align on degenerate RoIs


@pytest.mark.parametrize("aligned", [True, False], ids=["aligned", "legacy"])
def test_roi_align_of_a_zero_size_roi_is_zero_like_torchvision(D, device, aligned):
    feats = torch.randn(1, 2, 8, 8, device=device)
    rois = torch.tensor([[0, 5, 5, 5, 5.0]], device=device)
    out = D.roi_align(feats, rois, 3, 1.0, sampling_ratio=-1, aligned=aligned)
    assert out.shape == (1, 2, 3, 3) and torch.isfinite(out).all()
    if aligned:  # an empty RoI has no sample points (torchvision: 0 samples, count 1)
        assert out.abs().sum() == 0


def test_roi_align_of_a_zero_width_roi_is_zero_with_adaptive_sampling(D, device):
    feats = torch.randn(2, 1, 6, 6, device=device)
    rois = torch.tensor([[1, 2, 1, 2, 4.0], [0, 1, 1, 4, 4]], device=device)  # first: zero width
    out = D.roi_align(feats, rois, 2, 1.0, sampling_ratio=-1, aligned=True)
    assert out[0].abs().sum() == 0 and out[1].abs().sum() > 0


@pytest.mark.parametrize("op", ["roi_align", "roi_pool"])
@pytest.mark.parametrize("bad", [float("nan"), float("inf"), -float("inf")], ids=["nan", "inf", "-inf"])
def test_roi_ops_reject_non_finite_rois_with_a_clear_message(D, device, op, bad):
    feats = torch.randn(1, 1, 4, 4, device=device)
    rois = torch.tensor([[0, 0, 0, 2, 2.0], [0, 1, bad, 3, 3]], device=device)
    with pytest.raises(ValueError, match=r"rois: expected finite coordinates in Tensor\[K, 5\], got"):
        getattr(D, op)(feats, rois, 2)


# ---------------------------------------------------------------- half precision


@pytest.mark.parametrize("dtype", HALF)
def test_box_iou_of_large_half_precision_boxes_does_not_overflow(D, device, dtype):
    # 300 x 300 = 90000 overflows float16 (max 65504): area / area was inf / inf = NaN
    a = torch.tensor([[0.0, 0.0, 300.0, 300.0]], device=device, dtype=dtype)
    b = torch.tensor([[0.0, 0.0, 300.0, 150.0], [0.0, 0.0, 600.0, 600.0]], device=device, dtype=dtype)
    iou = D.box_iou(a, b)
    assert iou.dtype == dtype
    assert iou.float().tolist() == [[0.5, 0.25]]


@pytest.mark.parametrize("dtype", HALF)
def test_nms_of_large_half_precision_boxes_suppresses_the_duplicate(D, device, dtype):
    boxes = torch.tensor([[0.0, 0.0, 400.0, 400.0], [4.0, 4.0, 404.0, 404.0], [500, 500, 900, 900]],
                         device=device, dtype=dtype)
    scores = torch.tensor([0.9, 0.8, 0.7], device=device, dtype=dtype)
    assert D.nms(boxes, scores, 0.5).tolist() == [0, 2]
    labels = torch.tensor([3, 3, 3], device=device)
    assert D.batched_nms(boxes, scores, labels, 0.5).tolist() == [0, 2]


def test_precision_recall_in_bfloat16_counts_true_positives_exactly(D, device):
    # bf16 holds whole numbers exactly only up to 256: a bf16 running count stalls there.
    n = 3000
    scores = torch.linspace(1, 0, n, device=device).to(torch.bfloat16)
    is_tp = torch.ones(n, dtype=torch.bool, device=device)
    p, r = D.precision_recall(scores, is_tp, n)
    assert p.dtype == r.dtype == torch.bfloat16
    order = torch.sort(scores, descending=True, stable=True).indices
    k = torch.arange(1, n + 1, dtype=torch.float64, device=device)
    assert torch.equal(p, torch.ones(n, device=device, dtype=torch.bfloat16))
    assert torch.equal(r, (k / n).to(torch.bfloat16))
    assert order.tolist() == list(range(n))
    for method in ("voc11", "all", "coco101"):
        ap = D.average_precision(p, r, method)
        assert ap.dtype == torch.bfloat16 and ap.item() <= 1.0


def test_mean_average_precision_ranks_by_the_scores_as_given_not_in_the_boxes_dtype(D, device):
    # float16 boxes, float32 scores 0.50001 and 0.50002: both are 0.5 in float16.
    gt = torch.tensor([[0.0, 0.0, 10.0, 10.0]], device=device, dtype=torch.float16)
    miss = torch.tensor([[50.0, 50.0, 60.0, 60.0]], device=device, dtype=torch.float16)
    labels = [torch.zeros(1, dtype=torch.int64, device=device)] * 2
    scores = [torch.tensor([0.50001], device=device), torch.tensor([0.50002], device=device)]
    # image 0: a false positive; image 1: a true positive with the (slightly) higher score -> AP 1
    got = D.mean_average_precision([miss, gt], scores, labels, [gt, gt], labels, style="voc", method="all")
    assert got.dtype == torch.float16
    assert got.item() == pytest.approx(0.5)  # one of the two GT found, at precision 1
    got = D.mean_average_precision([miss, gt], scores, labels, [gt[:0], gt], [labels[0][:0], labels[1]],
                                   style="voc", method="all")
    assert got.item() == 1.0


# ---------------------------------------------------------------- the threshold compare is exact


@pytest.mark.parametrize("dtype", [torch.float16, torch.float32, torch.float64], ids=["f16", "f32", "f64"])
def test_nms_compares_iou_with_the_threshold_in_float64(D, device, dtype):
    boxes = torch.tensor([[0.0, 0.0, 2.0, 1.0], [1.0, 0.0, 3.0, 1.0]], device=device, dtype=dtype)  # IoU 1/3
    scores = torch.tensor([0.9, 0.8], device=device, dtype=dtype)
    labels = torch.zeros(2, dtype=torch.int64, device=device)
    # exactly 1/3 is not greater than 1/3: both stay
    assert D.nms(boxes, scores, 1 / 3).tolist() == [0, 1]
    assert D.batched_nms(boxes, scores, labels, 1 / 3).tolist() == [0, 1]
    # 1/3 > 0.33333333; in float32 both round to 0.3333333433, which kept both
    assert D.nms(boxes, scores, 0.33333333).tolist() == [0]
    assert D.batched_nms(boxes, scores, labels, 0.33333333).tolist() == [0]


def test_voc_matching_compares_iou_with_the_threshold_in_float64(D, device):
    gt = torch.tensor([[0.0, 0.0, 2.0, 1.0]], device=device)
    det = torch.tensor([[1.0, 0.0, 3.0, 1.0]], device=device)  # IoU 1/3
    s = torch.tensor([1.0], device=device)
    assert D.match_detections(det, s, gt, 0.33333333, "voc").tolist() == [True]
    assert D.match_detections(det, s, gt, 1 / 3, "voc").tolist() == [False]
    assert D.match_detections(det, s, gt, 0.3333333334, "coco").tolist() == [False]


# ---------------------------------------------------------------- autocast and gradients


def test_roi_align_under_cpu_autocast_keeps_float32(D):
    g = torch.Generator().manual_seed(0)
    feats = torch.randn(2, 3, 10, 10, generator=g)
    rois = torch.tensor([[0, 1.0, 1.0, 7.0, 6.0], [1, 0.5, 2.0, 9.0, 9.5]])
    want = D.roi_align(feats, rois, 3, 1.0, 2, True)
    with torch.autocast("cpu"):
        got = D.roi_align(feats, rois, 3, 1.0, 2, True)
        pooled = D.roi_pool(feats, rois, 3, 1.0)
    assert got.dtype == torch.float32 and torch.equal(got, want)
    assert pooled.dtype == torch.float32


def test_roi_pool_routes_the_gradient_of_tied_maxima_to_the_first_like_torchvision(D, device):
    feats = torch.zeros(1, 1, 4, 4, device=device, dtype=torch.float64)
    feats[0, 0, 1, 2] = feats[0, 0, 2, 0] = feats[0, 0, 2, 3] = 5.0  # three equal maxima
    feats.requires_grad_()
    rois = torch.tensor([[0, 0.0, 0.0, 3.0, 3.0]], device=device, dtype=torch.float64)
    D.roi_pool(feats, rois, 1).sum().backward()
    want = torch.zeros(4, 4, dtype=torch.float64)
    want[1, 2] = 1.0  # the first in row-major order, as torchvision's kernel scans (h, then w)
    assert torch.equal(feats.grad[0, 0].cpu(), want)
    feats.grad = None
    flat = torch.ones(1, 1, 4, 4, device=device, dtype=torch.float64, requires_grad=True)
    D.roi_pool(flat, rois, 2).sum().backward()  # four 2x2 bins of equal values: each bin's top-left
    want = torch.zeros(4, 4, dtype=torch.float64)
    want[0::2, 0::2] = 1.0
    assert torch.equal(flat.grad[0, 0].cpu(), want)
