"""Every function of reference/detection.py on CUDA against its own CPU result.

Collected everywhere, skipped without CUDA (``pytest -m gpu`` selects them); the check that every
public function has a case runs everywhere. Each case checks the
device and dtype of the result and that the values agree with the CPU run of the same inputs
(exactly for indices, booleans and RoI Pool; to round-off elsewhere)."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch

gpu = pytest.mark.skipif(not torch.cuda.is_available(), reason="CUDA not available")


@pytest.fixture(scope="module")
def D(course):
    return course.reference("detection")


def boxes(g: torch.Generator, n: int, span: float = 40.0, size: float = 15.0, dtype=torch.float32):
    xy = torch.rand(n, 2, generator=g, dtype=torch.float64) * span
    wh = torch.rand(n, 2, generator=g, dtype=torch.float64) * size
    return torch.cat([xy, xy + wh], 1).to(dtype)


def to_cuda(x):
    if isinstance(x, torch.Tensor):
        return x.cuda()
    if isinstance(x, (list, tuple)):
        return type(x)(to_cuda(v) for v in x)
    return x


def agree(cpu, gpu, atol: float) -> None:
    if isinstance(cpu, (tuple, list)):
        for a, b in zip(cpu, gpu):
            agree(a, b, atol)
        return
    assert gpu.device.type == "cuda" and gpu.dtype == cpu.dtype and gpu.shape == cpu.shape
    if cpu.dtype in (torch.bool, torch.int64) or atol == 0:
        assert torch.equal(gpu.cpu(), cpu)
    else:
        assert torch.allclose(gpu.cpu().double(), cpu.double(), atol=atol, rtol=atol, equal_nan=True)


def cases():
    g = torch.Generator().manual_seed(0)
    b1, b2 = boxes(g, 300), boxes(g, 200)
    many = boxes(g, 3000, span=400.0, size=80.0)
    scores = torch.rand(3000, generator=g)
    labels = torch.randint(0, 7, (3000,), generator=g)
    pred, target = torch.randn(50, 4, generator=g), torch.randn(50, 4, generator=g)
    feats = torch.randn(2, 8, 20, 24, generator=g)
    rois = torch.cat([torch.randint(0, 2, (40, 1), generator=g).float(), boxes(g, 40, 300.0, 120.0) - 20], 1)
    rois[0, 1:] = torch.tensor([5.0, 5.0, 5.0, 5.0])  # zero size
    det_scores = torch.rand(300, generator=g)
    is_tp = torch.rand(300, generator=g) < 0.6
    rng = np.random.default_rng(1)
    images = []
    for _ in range(20):
        gb = boxes(g, int(rng.integers(0, 6)), span=200.0, size=120.0, dtype=torch.float64)
        db = torch.cat([gb + torch.randn(gb.shape, generator=g, dtype=torch.float64),
                        boxes(g, 3, span=200.0, size=120.0, dtype=torch.float64)])
        db[:, 2:] = torch.maximum(db[:, 2:], db[:, :2] + 0.5)
        images.append((db, torch.rand(len(db), generator=g, dtype=torch.float64), torch.randint(0, 3, (len(db),)),
                       gb, torch.randint(0, 3, (len(gb),))))
    dataset = [list(x) for x in zip(*images)]
    logits = torch.randn(6, 4, 8, 8, generator=g)
    mask_labels = torch.tensor([1, 3, 2, 1, 3, 2])
    masks = (torch.rand(6, 8, 8, generator=g) > 0.5).float()
    centre = torch.rand(30, 3, generator=g, dtype=torch.float64) * 6
    size = torch.rand(30, 3, generator=g, dtype=torch.float64) * 3 + 0.5
    yaw = (torch.rand(30, 1, generator=g, dtype=torch.float64) - 0.5) * 2 * math.pi
    b3d = torch.cat([centre, size, yaw], 1)
    x = torch.rand(17, generator=g, dtype=torch.float64) * 26 - 1
    y = torch.rand(17, generator=g, dtype=torch.float64) * 22 - 1
    return [
        ("box_convert", lambda D, a: D.box_convert(a, "xyxy", "cxcywh"), (b1,), 1e-5),
        ("box_area", lambda D, a: D.box_area(a), (b1,), 1e-4),
        ("box_iou", lambda D, a, b: D.box_iou(a, b), (b1, b2), 1e-6),
        ("box_iou f16", lambda D, a, b: D.box_iou(a.half() * 20, b.half() * 20), (b1, b2), 1e-3),
        ("nms", lambda D, a, s: D.nms(a, s, 0.5), (many, scores), 0),
        ("batched_nms", lambda D, a, s, lab: D.batched_nms(a, s, lab, 0.4), (many, scores, labels), 0),
        ("l1_loss", lambda D, p, t: D.l1_loss(p, t), (pred, target), 1e-5),
        ("l2_loss", lambda D, p, t: D.l2_loss(p, t, "mean"), (pred, target), 1e-5),
        ("smooth_l1_loss", lambda D, p, t: D.smooth_l1_loss(p, t, 0.5, "none"), (pred, target), 1e-5),
        ("rmse", lambda D, p, t: D.rmse(p, t), (pred, target), 1e-5),
        ("match_detections voc", lambda D, a, s, gt: D.match_detections(a, s, gt, 0.3, "voc"),
         (b1, det_scores, b2[:40]), 0),
        ("match_detections coco", lambda D, a, s, gt: D.match_detections(a, s, gt, 0.3, "coco"),
         (b1, det_scores, b2[:40]), 0),
        ("precision_recall", lambda D, s, t: D.precision_recall(s, t, 250), (det_scores, is_tp), 0),
        ("average_precision", lambda D, s, t: [D.average_precision(*D.precision_recall(s, t, 250), m)
                                               for m in ("voc11", "all", "coco101")], (det_scores, is_tp), 1e-6),
        ("mean_average_precision voc", lambda D, *d: D.mean_average_precision(*d, style="voc"), dataset, 1e-12),
        ("mean_average_precision coco", lambda D, *d: D.mean_average_precision(*d, style="coco"), dataset, 1e-12),
        ("coco_evaluate", lambda D, *d: D.coco_evaluate(*d), dataset, 1e-12),
        ("roi_pool", lambda D, f, r: D.roi_pool(f, r, (3, 4), 0.25), (feats, rois), 0),
        ("roi_align", lambda D, f, r: D.roi_align(f, r, (3, 4), 0.25, -1, True), (feats, rois), 1e-5),
        ("roi_align legacy", lambda D, f, r: D.roi_align(f, r, 2, 0.25, 2, False), (feats, rois), 1e-5),
        ("bilinear_sample", lambda D, f, x, y: D.bilinear_sample(f, x, y), (feats[0].double(), x, y), 1e-12),
        ("mask_loss", lambda D, lg, lab, m: D.mask_loss(lg, lab, m), (logits, mask_labels, masks), 1e-5),
        ("mask_loss multinomial", lambda D, lg, lab, m: D.mask_loss(lg, lab, m, independent=False),
         (logits, mask_labels, masks), 1e-5),
        ("box3d_iou", lambda D, a, b: D.box3d_iou(a, b), (b3d, b3d[:12]), 1e-9),
    ]


CASES = cases()


def test_every_public_detection_function_has_a_gpu_case(D):
    covered = {name.split()[0] for name, *_ in CASES}
    assert covered == set(D.__all__)


@pytest.mark.gpu
@gpu
@pytest.mark.parametrize("name, call, args, atol", CASES, ids=[c[0] for c in CASES])
def test_detection_function_on_cuda_matches_its_cpu_result(D, name, call, args, atol):
    agree(call(D, *args), call(D, *to_cuda(args)), atol)


@pytest.mark.gpu
@gpu
def test_roi_ops_gradients_on_cuda_match_the_cpu(D):
    g = torch.Generator().manual_seed(3)
    feats = torch.randn(2, 3, 9, 7, generator=g, dtype=torch.float64)
    rois = torch.tensor([[0, 0.5, 0.5, 3.2, 3.7], [1, -2, 1, 9, 12]], dtype=torch.float64)
    for op in (lambda f, r: D.roi_align(f, r, 2, 1.0, 2, True), lambda f, r: D.roi_pool(f, r, 2, 1.0)):
        grads = []
        for device in ("cpu", "cuda"):
            f = feats.to(device).requires_grad_()
            op(f, rois.to(device)).square().sum().backward()
            grads.append(f.grad.cpu())
        assert torch.allclose(grads[0], grads[1], atol=1e-12)
