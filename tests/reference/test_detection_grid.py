"""The fast paths of reference/detection.py across their block boundaries, and every op over a
dtype x contiguity grid in the style of torchvision's test_ops.py (looser tolerance for half)."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.reference.test_detection import nms_loop, random_boxes, roi_align_loop, roi_pool_loop

DTYPES = [pytest.param(torch.float16, id="f16"), pytest.param(torch.bfloat16, id="bf16"),
          pytest.param(torch.float32, id="f32"), pytest.param(torch.float64, id="f64")]
TOL = {torch.float16: 5e-3, torch.bfloat16: 3e-2, torch.float32: 1e-5, torch.float64: 1e-12}


@pytest.fixture(scope="module")
def D(course):
    return course.reference("detection")


def strided(t: torch.Tensor, contiguous: bool) -> torch.Tensor:
    """The same values, laid out every other element of a wider tensor when not contiguous."""
    if contiguous:
        return t
    wide = torch.zeros(*t.shape[:-1], 2 * t.shape[-1], dtype=t.dtype, device=t.device)
    wide[..., ::2] = t
    out = wide[..., ::2]
    assert not out.is_contiguous()
    return out


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(n=st.integers(0, 70), seed=st.integers(0, 2**31 - 1), thr=st.sampled_from([0.0, 0.2, 0.5, 0.7]),
       n_labels=st.sampled_from([None, 1, 3, 7]), block=st.sampled_from([(1, 1), (4, 3), (16, 5)]),
       pairs=st.sampled_from([1, 7, 64]))
def test_block_wise_nms_matches_the_slow_loop_across_block_and_chunk_boundaries(
        D, monkeypatch, n, seed, thr, n_labels, block, pairs):
    monkeypatch.setattr(D, "_NMS_BLOCK", block)
    monkeypatch.setattr(D, "_NMS_PAIRS", pairs)
    g = torch.Generator().manual_seed(seed)
    boxes = random_boxes(g, n, size=8.0, span=15.0)
    scores = torch.randint(0, 8, (n,), generator=g).double() / 7  # ties
    if n_labels is None:
        assert D.nms(boxes, scores, thr).tolist() == nms_loop(boxes.tolist(), scores.tolist(), thr)
    else:
        labels = torch.randint(0, n_labels, (n,), generator=g) * 5 - 3  # not 0..L-1
        got = D.batched_nms(boxes, scores, labels, thr)
        assert got.tolist() == nms_loop(boxes.tolist(), scores.tolist(), thr, labels.tolist())


@pytest.mark.parametrize("contiguous", [True, False], ids=["contiguous", "strided"])
@pytest.mark.parametrize("dtype", DTYPES)
def test_box_iou_and_nms_over_dtypes_and_layouts(D, device, dtype, contiguous):
    g = torch.Generator().manual_seed(21)
    boxes64 = random_boxes(g, 40, size=60.0, span=200.0).round()  # whole numbers: exact in every dtype
    scores64 = torch.randperm(40, generator=g).double() / 40
    boxes = strided(boxes64.to(device, dtype), contiguous)
    scores = strided(scores64.to(device, dtype)[None], contiguous)[0]
    iou = D.box_iou(boxes, boxes)
    assert iou.dtype == dtype and iou.device.type == device
    want = D.box_iou(boxes64, boxes64)
    assert torch.allclose(iou.cpu().double(), want, atol=TOL[dtype], rtol=0)
    # NMS compares a float64 IoU of the given coordinates, so every dtype keeps the same boxes
    # (the scores of this case keep their order in half precision)
    for thr in (0.3, 0.5):
        assert D.nms(boxes, scores, thr).tolist() == nms_loop(boxes64.tolist(), scores64.tolist(), thr)


@pytest.mark.parametrize("contiguous", [True, False], ids=["contiguous", "strided"])
@pytest.mark.parametrize("dtype", DTYPES)
def test_roi_ops_over_dtypes_and_layouts_match_the_slow_loops(D, device, dtype, contiguous):
    g = torch.Generator().manual_seed(22)
    feats64 = torch.randn(2, 3, 9, 11, generator=g, dtype=torch.float64)
    rois64 = torch.cat([torch.randint(0, 2, (8, 1), generator=g).double(),
                        (random_boxes(g, 8, 10.0, 12.0) - 2).round()], 1)
    feats = strided(feats64.to(device, dtype), contiguous)
    rois = strided(rois64.to(device, dtype), contiguous)
    align = D.roi_align(feats, rois, (3, 2), 0.5, 2, True)
    pool = D.roi_pool(feats, rois, (3, 2), 0.5)
    assert align.dtype == pool.dtype == dtype and align.device.type == device
    # the slow loops run on the inputs as rounded to dtype
    f_in, r_in = feats.cpu().double().numpy(), rois.cpu().double().numpy()
    tol = TOL[dtype] * 10
    assert np.allclose(align.cpu().double().numpy(), roi_align_loop(f_in, r_in, (3, 2), 0.5, 2, True), atol=tol)
    assert np.allclose(pool.cpu().double().numpy(), roi_pool_loop(f_in, r_in, (3, 2), 0.5), atol=0)


@pytest.mark.parametrize("dtype", DTYPES)
def test_average_precision_over_dtypes_stays_in_unit_range(D, device, dtype):
    g = torch.Generator().manual_seed(23)
    n = 600
    scores = torch.rand(n, generator=g).to(device, dtype)
    is_tp = (torch.rand(n, generator=g) < 0.7).to(device)
    p, r = D.precision_recall(scores, is_tp, int(is_tp.sum()))
    p64, r64 = D.precision_recall(scores.double(), is_tp, int(is_tp.sum()))
    assert torch.equal(p, p64.to(dtype)) and torch.equal(r, r64.to(dtype))
    for method in ("voc11", "all", "coco101"):
        ap = D.average_precision(p, r, method)
        assert ap.dtype == dtype and 0 <= ap.item() <= 1
        assert ap.item() == pytest.approx(D.average_precision(p64, r64, method).item(), abs=TOL[dtype] * 10)
