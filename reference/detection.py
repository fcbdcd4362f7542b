"""Reference implementations for detection and segmentation (cheatsheet section 4).

Dimension letters: ``N``, ``M`` sizes of two sets of boxes; ``K`` RoIs; ``B`` batch;
``C``, ``H``, ``W`` channels, height, width; ``P`` sample points.

Conventions used throughout:

- Boxes are ``xyxy`` in continuous coordinates: ``(x1, y1, x2, y2)`` with ``x1 <= x2`` and
  ``y1 <= y2``; width is ``x2 - x1`` (no ``+1``). A box with ``x2 < x1`` or ``y2 < y1`` is empty.
- Pixel ``(i, j)`` of a feature map has its centre at ``x = j, y = i`` (torchvision's RoI ops
  use the same grid; ``aligned=True`` shifts RoIs by half a pixel onto it).
- Ranking is by score, highest first; equal scores keep the lower index first (a stable sort).
- Results are on the input's device and in its floating dtype; indices are ``int64``.
- Half-precision inputs are computed in float32 and cast back (as torch's kernels do); IoU that
  is compared with a threshold (NMS, matching) is computed in float64, so the rule is exact.
"""

from __future__ import annotations

import math
from typing import Sequence

import torch
from torch import Tensor
import torch.nn.functional as F

__all__ = [
    "box_convert", "box_area", "box_iou", "nms", "batched_nms",
    "l1_loss", "l2_loss", "smooth_l1_loss", "rmse",
    "match_detections", "precision_recall", "average_precision", "mean_average_precision",
    "coco_evaluate",
    "roi_pool", "bilinear_sample", "roi_align", "mask_loss", "box3d_iou",
]

_BOX_FORMATS = ("xyxy", "xywh", "cxcywh")


# ---------------------------------------------------------------------------- argument checks
# One vocabulary across the reference files: ``<name>: expected <what>, got <_describe(value)>``.

def _describe(x: object) -> str:
    """What an argument is, for error messages: ``Tensor[3, 5] float32``, or a value's repr."""
    if isinstance(x, Tensor):
        return f"Tensor[{', '.join(str(s) for s in x.shape)}] {str(x.dtype).removeprefix('torch.')}"
    if x is None or isinstance(x, (bool, int, float, str)):
        return repr(x)
    return type(x).__name__


def _check_tensor(x: object, name: str, expected: str) -> Tensor:
    """Raise ``ValueError("<name>: expected <expected>, got <_describe(x)>")`` unless x is a tensor."""
    if not isinstance(x, Tensor):
        raise ValueError(f"{name}: expected {expected}, got {_describe(x)}")
    return x


def _check_float(x: object, name: str, expected: str, dims: int) -> Tensor:
    """A floating-point tensor with ``dims`` dimensions (-1: at least 2), else the message."""
    _check_tensor(x, name, expected)
    if (x.dim() != dims if dims >= 0 else x.dim() < 2) or not x.is_floating_point():
        raise ValueError(f"{name}: expected {expected}, got {_describe(x)}")
    return x


def _check_boxes(boxes: object, name: str, last: int = 4, rows: str = "N") -> Tensor:
    """A float Tensor[N, last]."""
    expected = f"a float Tensor[{rows}, {last}]"
    _check_float(boxes, name, expected, 2)
    if boxes.shape[-1] != last:
        raise ValueError(f"{name}: expected {expected}, got {_describe(boxes)}")
    return boxes


def _check_vector(x: object, name: str, n: int, what: str = "N") -> Tensor:
    """A Tensor[n] (any dtype)."""
    expected = f"Tensor[{what}] with {what} = {n}"
    _check_tensor(x, name, expected)
    if x.dim() != 1 or x.shape[0] != n:
        raise ValueError(f"{name}: expected {expected}, got {_describe(x)}")
    return x


def _check_fraction(x: object, name: str) -> float:
    if isinstance(x, bool) or not isinstance(x, (int, float)) or not 0.0 <= x <= 1.0:
        raise ValueError(f"{name}: expected a number in [0, 1], got {_describe(x)}")
    return float(x)


def _check_choice(x: object, name: str, choices: Sequence[str]) -> str:
    if not isinstance(x, str) or x not in choices:
        raise ValueError(f"{name}: expected one of {', '.join(map(repr, choices))}, got {_describe(x)}")
    return x


def _output_size(output_size) -> tuple[int, int]:
    if isinstance(output_size, int) and not isinstance(output_size, bool):
        output_size = (output_size, output_size)
    if (not isinstance(output_size, (tuple, list)) or len(output_size) != 2
            or not all(isinstance(s, int) and not isinstance(s, bool) and s > 0 for s in output_size)):
        got = repr(output_size) if isinstance(output_size, (tuple, list)) else _describe(output_size)
        raise ValueError(f"output_size: expected a positive int or a pair (height, width) of them, got {got}")
    return int(output_size[0]), int(output_size[1])


def _check_features_rois(features, rois) -> None:
    _check_float(features, "features", "a float Tensor[B, C, H, W]", 4)
    _check_boxes(rois, "rois", last=5, rows="K")
    if rois.dtype != features.dtype or rois.device != features.device:
        raise ValueError(f"rois: expected dtype {features.dtype} on {features.device} like features, "
                         f"got {rois.dtype} on {rois.device}")
    bad = ~torch.isfinite(rois).all(1)
    if bool(bad.any()):  # one host synchronisation; NaN would become an int64-min index
        row = int(bad.nonzero()[0, 0])
        raise ValueError(f"rois: expected finite coordinates in Tensor[K, 5], got {rois[row].tolist()} "
                         f"in row {row}")


# ---------------------------------------------------------------------------- boxes

def box_convert(boxes: Tensor, in_fmt: str, out_fmt: str) -> Tensor:
    """Convert boxes between the ``xyxy``, ``xywh`` and ``cxcywh`` formats.

    Args:
        boxes (Tensor[N, 4]): boxes in ``in_fmt``; ``xyxy`` = (x1, y1, x2, y2) corners,
            ``xywh`` = (x1, y1, w, h) top-left corner and size, ``cxcywh`` = (cx, cy, w, h)
            centre and size.
        in_fmt (str): one of ``"xyxy"``, ``"xywh"``, ``"cxcywh"``.
        out_fmt (str): one of the same.

    Returns:
        Tensor[N, 4]: the boxes in ``out_fmt`` (a new tensor, even when the formats agree).

    Reference: cheatsheet 4, "4 DoF (x, y, h, w) / (cx, cy, w, h)"; torchvision.ops.box_convert.
    Concepts: detection.boxes
    """
    _check_boxes(boxes, "boxes")
    _check_choice(in_fmt, "in_fmt", _BOX_FORMATS)
    _check_choice(out_fmt, "out_fmt", _BOX_FORMATS)
    a, b, c, d = boxes.unbind(-1)
    if in_fmt == "xyxy":
        x1, y1, x2, y2 = a, b, c, d
    elif in_fmt == "xywh":
        x1, y1, x2, y2 = a, b, a + c, b + d
    else:
        x1, y1, x2, y2 = a - c / 2, b - d / 2, a + c / 2, b + d / 2
    if out_fmt == "xyxy":
        out = (x1, y1, x2, y2)
    elif out_fmt == "xywh":
        out = (x1, y1, x2 - x1, y2 - y1)
    else:
        out = ((x1 + x2) / 2, (y1 + y2) / 2, x2 - x1, y2 - y1)
    if in_fmt == out_fmt:
        return boxes.clone()
    return torch.stack(out, dim=-1)


def box_area(boxes: Tensor) -> Tensor:
    """Area of ``xyxy`` boxes, ``(x2 - x1) * (y2 - y1)``; an inverted box has area 0.

    Args:
        boxes (Tensor[N, 4]): ``xyxy`` boxes.

    Returns:
        Tensor[N]: the areas, ``>= 0``.

    Reference: torchvision.ops.box_area (which returns a negative area for an inverted box).
    Concepts: detection.boxes
    """
    _check_boxes(boxes, "boxes")
    return _area(boxes)


def _opmath(dtype: torch.dtype) -> torch.dtype:
    """The dtype arithmetic runs in: float32 for half types (whose areas overflow at ~256 px), as
    torch's own kernels do; the dtype itself otherwise."""
    return torch.float32 if dtype in (torch.float16, torch.bfloat16) else dtype


def _area(boxes: Tensor) -> Tensor:
    return (boxes[..., 2] - boxes[..., 0]).clamp(min=0) * (boxes[..., 3] - boxes[..., 1]).clamp(min=0)


def _iou_grid(boxes1: Tensor, area1: Tensor, boxes2: Tensor, area2: Tensor) -> Tensor:
    """IoU of boxes1 (..., N, 4) with boxes2 (..., M, 4), given their areas: (..., N, M)."""
    x1, y1, x2, y2 = (c[..., :, None] for c in boxes1.unbind(-1))
    u1, v1, u2, v2 = (c[..., None, :] for c in boxes2.unbind(-1))
    iw = (torch.minimum(x2, u2) - torch.maximum(x1, u1)).clamp_(min=0)
    ih = (torch.minimum(y2, v2) - torch.maximum(y1, v1)).clamp_(min=0)
    inter = iw.mul_(ih)  # (..., N, M)
    union = (area1[..., :, None] + area2[..., None, :]).sub_(inter)
    # union = 0 only where inter = 0 too (two empty boxes): 0 / tiny = 0, never NaN
    return inter.div_(union.clamp_(min=torch.finfo(union.dtype).tiny))


def _pairwise_iou(boxes1: Tensor, boxes2: Tensor, dtype: torch.dtype | None = None) -> Tensor:
    """IoU (N, M) computed in ``dtype`` (default: the opmath of the boxes' dtype)."""
    dtype = dtype or _opmath(boxes1.dtype)
    b1, b2 = boxes1.to(dtype), boxes2.to(dtype)
    return _iou_grid(b1, _area(b1), b2, _area(b2))


def box_iou(boxes1: Tensor, boxes2: Tensor) -> Tensor:
    """Pairwise intersection over union of two sets of ``xyxy`` boxes.

    IoU = area(A ∩ B) / area(A ∪ B) in continuous coordinates (no ``+1`` pixel convention, unlike
    the PASCAL VOC devkit). Two empty boxes (zero union) give 0, not NaN. Half-precision boxes are
    computed in float32 (their areas overflow float16 above ~256 px) and the IoU cast back.

    Args:
        boxes1 (Tensor[N, 4]): ``xyxy`` boxes.
        boxes2 (Tensor[M, 4]): ``xyxy`` boxes, same dtype and device.

    Returns:
        Tensor[N, M]: IoU values in [0, 1], in the boxes' dtype.

    Reference: cheatsheet 4 (NMS: "IoU = 交集面积/并集面积"); torchvision.ops.box_iou.
    Concepts: detection.nms
    """
    _check_boxes(boxes1, "boxes1")
    _check_boxes(boxes2, "boxes2")
    return _pairwise_iou(boxes1, boxes2).to(boxes1.dtype)


_NMS_BLOCK = (256, 128)  # boxes per block of the block-wise NMS: one group, several groups
_NMS_PAIRS = 1 << 18  # IoU values computed at once (2 MB of float64): bounds memory, stays in cache


def _iou_above(c1: Tensor, a1: Tensor, c2: Tensor, a2: Tensor, thr: float, work: Tensor) -> Tensor:
    """IoU > thr for boxes c1 (4, G, N) against c2 (4, G, M), coordinates first, given their
    areas a1 (G, N) and a2 (G, M): (G, N, M) bool. ``work`` holds 3 x G·N·M float64 scratch."""
    shape = (c1.shape[1], c1.shape[2], c2.shape[2])
    n = shape[0] * shape[1] * shape[2]
    w1, w2, w3 = (work[i, :n].view(shape) for i in range(3))
    x1, y1, x2, y2 = (c[..., :, None] for c in c1)
    u1, v1, u2, v2 = (c[..., None, :] for c in c2)
    iw = torch.minimum(x2, u2, out=w1).sub_(torch.maximum(x1, u1, out=w2)).clamp_(min=0)
    ih = torch.minimum(y2, v2, out=w2).sub_(torch.maximum(y1, v1, out=w3)).clamp_(min=0)
    inter = iw.mul_(ih)
    union = torch.add(a1[..., :, None], a2[..., None, :], out=w2).sub_(inter)
    # union = 0 only for two empty boxes, where inter = 0 too: 0 / 0 = NaN is not > thr
    return inter.div_(union) > thr


def _pack(mask: Tensor, *tables: Tensor) -> tuple[Tensor, list[Tensor]]:
    """Move the entries where ``mask`` (G, L) holds to the front of each row, in order; rows end
    at the longest count. Returns the new valid mask and the tables (…, G, L') packed alike."""
    count = mask.sum(1)
    width = int(count.max()) if mask.shape[0] else 0  # host synchronisation
    rows = torch.arange(mask.shape[0], device=mask.device)[:, None].expand_as(mask)[mask]
    cols = (mask.cumsum(1) - 1)[mask]
    packed = []
    for t in tables:
        out = t.new_zeros(*t.shape[:-2], mask.shape[0], width)
        out[..., rows, cols] = t[..., mask]
        packed.append(out)
    return torch.arange(width, device=mask.device) < count[:, None], packed


def _nms(boxes: Tensor, scores: Tensor, labels: Tensor | None, thr: float) -> Tensor:
    """Greedy NMS, independently per label when ``labels`` is given; returns kept indices.

    Algorithm (block-wise greedy NMS): rank by score and group by label (score order kept within
    a group); the groups run side by side. Repeat on the boxes still in play:

    1. take the first ``m`` (``_NMS_BLOCK``) of each group; none of them overlaps a kept box (step 3
       removed those), so their fate depends only on each other: resolve it with Cluster-NMS
       (Zheng et al., 2020), iterating ``keep_j = no i < j with keep_i and IoU_ij > thr`` to its
       fixed point. Position ``j`` depends only on the positions before it, so the fixed point is
       unique and equals the box-by-box greedy result;
    2. the kept ones are final;
    3. drop every later box that a newly kept box overlaps (IoU > thr), and pack the rest.

    This compares each kept box with the boxes still in play after it, as the loop of the
    lecture (and torchvision's kernel) does, but a block at a time. Memory is bounded (IoUs in
    chunks of ``_NMS_PAIRS``, no N x N matrix); host synchronisations are a few per block and one
    per Cluster-NMS iteration, never one per box. IoU is computed and compared in float64.
    """
    n = boxes.shape[0]
    device = boxes.device
    order = torch.sort(scores, descending=True, stable=True).indices  # rank -> box index
    if n == 0:
        return order
    if labels is None:
        pos = torch.arange(n, device=device)[None]  # (G, L): rank of each group member
        valid = torch.ones_like(pos, dtype=torch.bool)
    else:
        lab = labels[order]
        member = torch.sort(lab, stable=True).indices  # ranks grouped by label, score order within
        counts = torch.unique_consecutive(lab[member], return_counts=True)[1]
        group = torch.repeat_interleave(torch.arange(counts.shape[0], device=device), counts)
        col = torch.arange(n, device=device) - torch.repeat_interleave(torch.cumsum(counts, 0) - counts, counts)
        valid = torch.zeros(counts.shape[0], int(counts.max()), dtype=torch.bool, device=device)
        valid[group, col] = True
        pos = torch.zeros(valid.shape, dtype=torch.long, device=device)
        pos[group, col] = member
    coords = boxes[order].to(torch.float64)[pos].permute(2, 0, 1)  # (4, G, L)
    area = _area(coords.permute(1, 2, 0))  # (G, L)
    keep_rank = torch.zeros(n, dtype=torch.bool, device=device)
    m = _NMS_BLOCK[0] if valid.shape[0] == 1 else _NMS_BLOCK[1]  # step 1 costs G·m² per block
    work = coords.new_empty(3, _NMS_PAIRS + m * m * valid.shape[0])
    while valid.shape[1]:
        live = valid.any(1)
        if not bool(live.all()):  # groups that are done leave
            valid, pos, coords, area = valid[live], pos[live], coords[:, live], area[live]
        G = valid.shape[0]
        cb, ca, alive = coords[:, :, :m], area[:, :m], valid[:, :m]
        over = _iou_above(cb, ca, cb, ca, thr, work).triu_(1)  # 1. (G, m, m): i before j, overlapping
        keep = alive
        while True:  # Cluster-NMS: Jacobi iteration of the greedy recurrence
            new = alive & ~(over & keep[:, :, None]).any(1)
            if torch.equal(new, keep):
                break
            keep = new
        keep_rank[pos[:, :m][keep]] = True  # 2.
        valid, pos, coords, area = valid[:, m:], pos[:, m:], coords[:, :, m:], area[:, m:]
        if not valid.shape[1]:
            break
        has, (kc, ka) = _pack(keep, cb, ca)  # the newly kept boxes, packed: (4, G, k), (G, k)
        step = max(1, _NMS_PAIRS // max(G * kc.shape[2], 1))
        for s in range(0, valid.shape[1], step):  # 3. (G, k, chunk): kept box i removes box j
            hit = _iou_above(kc, ka, coords[:, :, s:s + step], area[:, s:s + step], thr, work)
            valid[:, s:s + step] &= ~(hit & has[:, :, None]).any(1)
        valid, (pos, coords, area) = _pack(valid, pos, coords, area)
    return order[keep_rank]


def nms(boxes: Tensor, scores: Tensor, iou_threshold: float) -> Tensor:
    """Non-maximum suppression: keep the best box, drop those overlapping it, repeat.

    Algorithm (the lecture's): rank the boxes by score; take the best remaining box, keep it, and
    remove every remaining box whose IoU with it is strictly greater than ``iou_threshold``; repeat
    until no box remains. An IoU equal to the threshold keeps both. Equal scores keep the lower
    index first (torchvision's sort is not stable, so its order among exactly tied scores may
    differ). IoU is computed and compared with the threshold in float64 whatever the boxes'
    dtype, so the rule is exact: boxes ``[0, 0, 2, 1]`` and ``[1, 0, 3, 1]`` have IoU exactly 1/3
    and both stay at ``iou_threshold=1/3`` (torchvision compares a float32 IoU, 0.33333334, and
    drops one). Keep graded inputs away from the threshold.

    The same result is computed block-wise (see ``_nms``) so no N x N matrix is built.

    Args:
        boxes (Tensor[N, 4]): ``xyxy`` boxes.
        scores (Tensor[N]): their scores.
        iou_threshold (float): in [0, 1].

    Returns:
        Tensor[K] int64: indices of the kept boxes, highest score first.

    Reference: cheatsheet 4 "NMS"; torchvision.ops.nms.
    Concepts: detection.nms
    """
    _check_boxes(boxes, "boxes")
    _check_vector(scores, "scores", boxes.shape[0])
    thr = _check_fraction(iou_threshold, "iou_threshold")
    return _nms(boxes, scores, None, thr)


def batched_nms(boxes: Tensor, scores: Tensor, labels: Tensor, iou_threshold: float) -> Tensor:
    """NMS done independently per label: boxes of different labels never suppress each other.

    Args:
        boxes (Tensor[N, 4]): ``xyxy`` boxes.
        scores (Tensor[N]): their scores.
        labels (Tensor[N] int): category (or image) of each box.
        iou_threshold (float): in [0, 1]; suppression when IoU > threshold (strict, in float64).

    Returns:
        Tensor[K] int64: indices of the kept boxes over all labels, highest score first, equal
        scores lower index first.

    Reference: torchvision.ops.batched_nms (done here with per-label groups run side by side
    rather than coordinate offsets, so IoUs are computed on the boxes as given).
    Concepts: detection.nms
    """
    _check_boxes(boxes, "boxes")
    _check_vector(scores, "scores", boxes.shape[0])
    _check_vector(labels, "labels", boxes.shape[0])
    thr = _check_fraction(iou_threshold, "iou_threshold")
    return _nms(boxes, scores, labels, thr)


# ---------------------------------------------------------------------------- regression losses

def _check_pair(pred, target) -> None:
    _check_tensor(pred, "pred", "a Tensor[..., 4]")
    _check_tensor(target, "target", f"a Tensor like pred, {_describe(pred)}")
    if pred.shape != target.shape:
        raise ValueError(f"target: expected a Tensor like pred, {_describe(pred)}, got {_describe(target)}")


def _reduce(loss: Tensor, reduction: str) -> Tensor:
    _check_choice(reduction, "reduction", ("sum", "mean", "none"))
    if reduction == "sum":
        return loss.sum()
    if reduction == "mean":
        return loss.mean()
    return loss


def l1_loss(pred: Tensor, target: Tensor, reduction: str = "sum") -> Tensor:
    """L1 box regression loss, Σ_i |ŷ_i − y_i| over the coordinates.

    Args:
        pred (Tensor[..., 4]): predicted box parameters (any shape; usually (x, y, w, h)).
        target (Tensor[..., 4]): targets, same shape.
        reduction (str): ``"sum"`` (the cheatsheet's Σ over all elements), ``"mean"`` or ``"none"``.

    Returns:
        Tensor: a scalar, or the elementwise loss for ``"none"``.

    Reference: cheatsheet 4, 回归损失 L1.
    Concepts: detection.losses
    """
    _check_pair(pred, target)
    return _reduce((pred - target).abs(), reduction)


def l2_loss(pred: Tensor, target: Tensor, reduction: str = "sum") -> Tensor:
    """L2 box regression loss, Σ_i (ŷ_i − y_i)² (the squared error, not the L2 norm).

    Args:
        pred (Tensor[..., 4]): predicted box parameters.
        target (Tensor[..., 4]): targets, same shape.
        reduction (str): ``"sum"`` (default), ``"mean"`` or ``"none"``.

    Returns:
        Tensor: a scalar, or the elementwise loss for ``"none"``.

    Reference: cheatsheet 4, 回归损失 L2 ("不等于 L2 Norm").
    Concepts: detection.losses
    """
    _check_pair(pred, target)
    return _reduce((pred - target).square(), reduction)


def smooth_l1_loss(pred: Tensor, target: Tensor, beta: float = 1.0, reduction: str = "sum") -> Tensor:
    """Smooth L1 loss: 0.5 x² / β where |x| < β, else |x| − 0.5 β, with x = ŷ − y.

    Quadratic near 0 (smooth), linear far away (bounded gradient); with β = 1 the switch is at
    x = ±1 as on the cheatsheet. β = 0 is plain L1.

    Args:
        pred (Tensor[..., 4]): predicted box parameters.
        target (Tensor[..., 4]): targets, same shape.
        beta (float): ``>= 0``, where the two pieces meet.
        reduction (str): ``"sum"`` (default), ``"mean"`` (as ``F.smooth_l1_loss``) or ``"none"``.

    Returns:
        Tensor: a scalar, or the elementwise loss for ``"none"``.

    Reference: Girshick, Fast R-CNN (2015), eq. 3; cheatsheet 4 Smooth L1.
    Concepts: detection.losses
    """
    _check_pair(pred, target)
    if isinstance(beta, bool) or not isinstance(beta, (int, float)) or beta < 0:
        raise ValueError(f"beta: expected a number >= 0, got {_describe(beta)}")
    x = (pred - target).abs()
    if beta == 0:
        return _reduce(x, reduction)
    return _reduce(torch.where(x < beta, 0.5 * x * x / beta, x - 0.5 * beta), reduction)


def rmse(pred: Tensor, target: Tensor) -> Tensor:
    """Root mean squared error, sqrt(mean over all elements of (ŷ − y)²).

    Args:
        pred (Tensor[..., 4]): predicted box parameters.
        target (Tensor[..., 4]): targets, same shape.

    Returns:
        Tensor: a scalar, in the units of the target.

    Reference: cheatsheet 4, RMSE.
    Concepts: detection.losses
    """
    _check_pair(pred, target)
    return (pred - target).square().mean().sqrt()


# ---------------------------------------------------------------------------- matching and AP

def match_detections(boxes: Tensor, scores: Tensor, gt_boxes: Tensor, iou_threshold: float = 0.5,
                     rule: str = "voc") -> Tensor:
    """Mark each detection of one image and one class as a true or false positive.

    Detections are visited by score, highest first (equal scores: lower index first); each GT box
    is matched at most once.

    - ``rule="voc"`` (PASCAL VOC): a detection's best GT is the one of highest IoU among *all*
      GT boxes; it is a true positive when that IoU is strictly greater than ``iou_threshold`` and
      that GT is still free; if the best GT is already taken, the detection is a false positive
      (duplicates count against a detector). The MATLAB devkit writes ``>=``; py-faster-rcnn's
      ``voc_eval`` and this function use ``>``.
    - ``rule="coco"`` (pycocotools ``COCOeval.evaluateImg``, no crowd or ignored boxes): the
      detection takes the *free* GT of highest IoU provided that IoU is ``>= iou_threshold``;
      equal IoUs go to the GT listed last, as in pycocotools.

    IoU is computed and compared with the threshold in float64 whatever the boxes' dtype. The loop
    over detections is sequential by nature (each match changes what is free) and runs on tensors
    without host synchronisation.

    Args:
        boxes (Tensor[N, 4]): detected ``xyxy`` boxes.
        scores (Tensor[N]): their confidences.
        gt_boxes (Tensor[G, 4]): ground-truth ``xyxy`` boxes.
        iou_threshold (float): in [0, 1].
        rule (str): ``"voc"`` or ``"coco"``.

    Returns:
        Tensor[N] bool: ``True`` for a true positive, in the detections' input order.

    Reference: Everingham et al., The PASCAL VOC Challenge (IJCV 2010), sec. 4.2; pycocotools
    cocoeval.py; cheatsheet 4 评估指标.
    Concepts: detection.metrics
    """
    _check_boxes(boxes, "boxes")
    _check_vector(scores, "scores", boxes.shape[0])
    _check_boxes(gt_boxes, "gt_boxes")
    thr = _check_fraction(iou_threshold, "iou_threshold")
    _check_choice(rule, "rule", ("voc", "coco"))
    n, g = boxes.shape[0], gt_boxes.shape[0]
    is_tp = torch.zeros(n, dtype=torch.bool, device=boxes.device)
    if n == 0 or g == 0:
        return is_tp
    order = torch.sort(scores, descending=True, stable=True).indices
    iou = _pairwise_iou(boxes[order], gt_boxes, torch.float64)  # (N, G), rows in rank order
    taken = torch.zeros(g, dtype=torch.bool, device=boxes.device)
    hit = torch.zeros(n, dtype=torch.bool, device=boxes.device)
    if rule == "coco":
        thr = min(thr, 1 - 1e-10)  # as pycocotools
    for r in range(n):
        row = iou[r]
        if rule == "voc":
            j = row.argmax()
            ok = (row[j] > thr) & ~taken[j]
        else:
            free = torch.where(taken, torch.full_like(row, -1.0), row)
            j = (g - 1) - free.flip(0).argmax()  # the last maximum, as pycocotools
            ok = free[j] >= thr
        hit[r] = ok
        taken[j] |= ok
    is_tp[order] = hit
    return is_tp


def precision_recall(scores: Tensor, is_tp: Tensor, num_gt: int | Tensor) -> tuple[Tensor, Tensor]:
    """The precision-recall curve: precision and recall after each detection in confidence order.

    After the top k detections, precision = TP / k and recall = TP / num_gt. Detections are ranked
    by score, highest first; equal scores keep the lower index first. TPs are counted in int64
    and each value is one float64 division of whole numbers, rounded once to the scores' dtype:
    recall k/num_gt is then the correctly rounded value of that fraction (exact comparison with
    grid points in :func:`average_precision` relies on this; float64 has more than twice the bits
    of float32, so the double rounding is harmless for N < 2**28).

    Args:
        scores (Tensor[N]): confidences (floating point; the outputs take this dtype).
        is_tp (Tensor[N] bool): true positive flags (e.g. from :func:`match_detections`).
        num_gt (int or 0-dim Tensor): number of ground-truth objects, ``>= 1``.

    Returns:
        tuple[Tensor[N], Tensor[N]]: ``(precision, recall)`` in rank order; recall is
        non-decreasing, precision can zigzag.

    Reference: cheatsheet 4 "画 PR 曲线"; Everingham et al. (IJCV 2010), sec. 4.2.
    Concepts: detection.metrics
    """
    _check_float(scores, "scores", "a float Tensor[N]", 1)
    _check_vector(is_tp, "is_tp", scores.shape[0])
    if isinstance(num_gt, Tensor):
        if num_gt.dim() != 0:
            raise ValueError(f"num_gt: expected an int or a 0-dim Tensor, got {_describe(num_gt)}")
    elif isinstance(num_gt, bool) or not isinstance(num_gt, int) or num_gt < 1:
        raise ValueError(f"num_gt: expected an int >= 1, got {_describe(num_gt)}")
    order = torch.sort(scores, descending=True, stable=True).indices
    tp = is_tp[order].to(torch.int64).cumsum(0).to(torch.float64)  # counted exactly in any dtype
    k = torch.arange(1, scores.shape[0] + 1, device=scores.device, dtype=torch.float64)
    num = torch.as_tensor(num_gt, device=scores.device).to(torch.float64)
    return (tp / k).to(scores.dtype), (tp / num).to(scores.dtype)


def average_precision(precision: Tensor, recall: Tensor, method: str = "all") -> Tensor:
    """Average precision: the area under a precision-recall curve.

    - ``"voc11"``: (1/11) Σ_{t ∈ {0, 0.1, …, 1}} P(t) with P(t) = max precision over the points of
      recall ``>= t`` (0 when there is none). This is VOC2007's definition; the cheatsheet writes
      ``r > R``, which differs only when a recall lands exactly on a grid point. The grid is
      ``k / 10`` computed by division in the recall's dtype, so recall 3/10 meets t = 0.3 exactly
      (0.1 · 3 would give 0.30000000000000004).
    - ``"all"``: VOC2010+ area under the monotone envelope: Σ (r_i − r_{i−1}) · max_{j>=i} p_j,
      with r_0 = 0.
    - ``"coco101"``: as ``"voc11"`` on the 101 points t = k / 100 (COCO). pycocotools builds its grid
      with ``np.linspace`` and so can miss a recall that lands exactly on a grid point (for
      example 7/100 < 0.07000000000000001); this function compares exactly.

    Args:
        precision (Tensor[N]): precision in rank order (from :func:`precision_recall`).
        recall (Tensor[N]): recall in rank order, non-decreasing.
        method (str): ``"voc11"``, ``"all"`` or ``"coco101"``.

    Returns:
        Tensor: a scalar in [0, 1] in the dtype of ``precision``; 0 for an empty curve.

    Reference: Everingham et al. (IJCV 2010), sec. 4.2; VOC devkit VOCevaldet.m; pycocotools
    COCOeval.accumulate; cheatsheet 4 "11 点法".
    Concepts: detection.metrics
    """
    _check_float(precision, "precision", "a float Tensor[N]", 1)
    _check_vector(recall, "recall", precision.shape[0])
    _check_choice(method, "method", ("voc11", "all", "coco101"))
    out_dtype, op = precision.dtype, _opmath(precision.dtype)  # sums of half types run in float32
    if method == "all":
        envelope = precision.to(op).flip(0).cummax(0).values.flip(0)
        r = recall.to(op)
        prev = torch.cat([r.new_zeros(1), r[:-1]])
        return ((r - prev) * envelope).sum().to(out_dtype)
    steps = 10 if method == "voc11" else 100
    grid = torch.arange(steps + 1, device=recall.device, dtype=recall.dtype) / steps  # (R,)
    reached = recall[None, :] >= grid[:, None]  # (R, N)
    best = torch.where(reached, precision[None, :], torch.zeros_like(precision)[None, :])
    p_interp = best.amax(dim=1) if precision.shape[0] else precision.new_zeros(steps + 1)
    return p_interp.to(op).mean().to(out_dtype)


_COCO_AREAS = ((0.0, 1e10), (0.0, 32.0 ** 2), (32.0 ** 2, 96.0 ** 2), (96.0 ** 2, 1e10))  # all, S, M, L
_COCO_THRESHOLDS = [k / 100 for k in range(50, 100, 5)]


def _check_dataset(lists: dict) -> int:
    for name, value in lists.items():
        if not isinstance(value, (list, tuple)):
            raise ValueError(f"{name}: expected a list with one Tensor per image, got {_describe(value)}")
    n_img = len(lists["pred_boxes"])
    for name, value in lists.items():
        if len(value) != n_img:
            raise ValueError(f"{name}: expected {n_img} images like pred_boxes, got {len(value)}")
    if n_img == 0:
        raise ValueError("pred_boxes: expected at least one image, got an empty list")
    for i in range(n_img):
        _check_boxes(lists["pred_boxes"][i], f"pred_boxes[{i}]")
        _check_vector(lists["pred_scores"][i], f"pred_scores[{i}]", lists["pred_boxes"][i].shape[0])
        _check_vector(lists["pred_labels"][i], f"pred_labels[{i}]", lists["pred_boxes"][i].shape[0])
        _check_boxes(lists["gt_boxes"][i], f"gt_boxes[{i}]")
        _check_vector(lists["gt_labels"][i], f"gt_labels[{i}]", lists["gt_boxes"][i].shape[0], what="G")
    return n_img


def _groups(key: Tensor) -> tuple[Tensor, Tensor, Tensor]:
    """For ``key`` sorted: the distinct keys, their counts, and each element's rank in its run."""
    keys, counts = torch.unique_consecutive(key, return_counts=True)
    start = torch.repeat_interleave(torch.cumsum(counts, 0) - counts, counts)
    return keys, counts, torch.arange(key.shape[0], device=key.device) - start


def _pad(group: Tensor, rank: Tensor, n_groups: int, width: int) -> Tensor:
    """(n_groups, width) table of element indices by (group, rank); -1 where there is none."""
    table = torch.full((n_groups, max(width, 1)), -1, dtype=torch.long, device=group.device)
    table[group, rank] = torch.arange(group.shape[0], device=group.device)
    return table


def _evaluate(lists: dict, thresholds: list[float], rule: str, areas, max_det: int | None):
    """Match the detections of a dataset and build the per-class PR curves.

    Per (image, class) the IoU matrix is computed once (float64); matching then runs for every IoU
    threshold and area range at once, one detection rank at a time, over all (image, class) groups
    side by side (a group with fewer detections drops out; groups are ordered by size so the
    running ones are a prefix). Per class, detections of all images are ranked by score (equal
    scores: image order, then index). Returns ``tp``, ``fp`` (A, T, K, L) per ranked detection
    (0 for padding and ignored ones), ``rank`` (K, L) of each detection in its image (L for
    padding), ``size`` (K,) detections per class, ``npig`` (A, K) GT boxes per class and area.
    """
    device = lists["pred_boxes"][0].device
    f64 = torch.float64
    n_img = len(lists["pred_boxes"])
    gt_lab = torch.cat([g.to(device).long() for g in lists["gt_labels"]])
    classes = torch.unique(gt_lab)
    K = classes.shape[0]
    g_img = torch.repeat_interleave(torch.arange(n_img, device=device),
                                    torch.tensor([g.shape[0] for g in lists["gt_boxes"]], device=device))
    d_img = torch.repeat_interleave(torch.arange(n_img, device=device),
                                    torch.tensor([b.shape[0] for b in lists["pred_boxes"]], device=device))
    g_box = torch.cat([b.to(device=device, dtype=f64) for b in lists["gt_boxes"]])
    d_box = torch.cat([b.to(device=device, dtype=f64) for b in lists["pred_boxes"]])
    d_score = torch.cat([s.to(device) for s in lists["pred_scores"]])  # ranked as given
    d_lab = torch.cat([lab.to(device).long() for lab in lists["pred_labels"]])
    g_cls = torch.searchsorted(classes, gt_lab)
    d_cls = torch.searchsorted(classes, d_lab).clamp(max=max(K - 1, 0))
    known = classes[d_cls] == d_lab if K else torch.zeros_like(d_lab, dtype=torch.bool)
    # detections grouped by (image, class), score order within: image order then index on ties
    order = torch.sort(d_score, descending=True, stable=True).indices
    order = order[known[order]]
    order = order[torch.sort((d_img * K + d_cls)[order], stable=True).indices]
    d_key, d_count, d_rank = _groups((d_img * K + d_cls)[order])
    if max_det is not None:  # the best max_det per image and class
        order, d_rank = order[d_rank < max_det], d_rank[d_rank < max_det]
        d_key, d_count, _ = _groups((d_img * K + d_cls)[order])
    g_order = torch.sort(g_img * K + g_cls, stable=True).indices
    g_key, g_count, g_rank = _groups((g_img * K + g_cls)[g_order])
    # groups with detections, largest first
    by_size = torch.sort(d_count, descending=True, stable=True)
    sizes = by_size.values.tolist()
    P = len(sizes)
    d_group = torch.repeat_interleave(torch.argsort(by_size.indices), d_count)
    d_tab = _pad(d_group, d_rank, P, sizes[0] if P else 0)  # (P, Dmax) into order
    gkey_of_group = d_key[by_size.indices]
    slot = torch.searchsorted(g_key, gkey_of_group).clamp(max=max(g_key.shape[0] - 1, 0))
    has_gt = (g_key[slot] == gkey_of_group) if g_key.shape[0] else torch.zeros(P, dtype=torch.bool, device=device)
    n_gt = torch.where(has_gt, g_count[slot] if g_key.shape[0] else torch.zeros_like(has_gt, dtype=torch.long), 0)
    G = max(int(n_gt.max()) if P else 0, 1)
    g_start = torch.cumsum(g_count, 0) - g_count
    gcol = torch.arange(G, device=device)
    g_valid = gcol < n_gt[:, None]  # (P, G)
    g_tab = g_order[(g_start[slot][:, None] + gcol).clamp(max=max(g_order.shape[0] - 1, 0))] if g_order.shape[0] \
        else torch.zeros(P, G, dtype=torch.long, device=device)
    d_valid = d_tab >= 0
    db = d_box[order][d_tab.clamp(min=0)] if order.shape[0] else d_box.new_zeros(P, d_tab.shape[1], 4)
    gb = g_box[g_tab] if g_box.shape[0] else g_box.new_zeros(P, G, 4)
    iou = _iou_grid(db, _area(db), gb, _area(gb))  # (P, Dmax, G), once for every threshold
    A, T = len(areas), len(thresholds)
    lo = torch.tensor([a[0] for a in areas], dtype=f64, device=device)[:, None, None]
    hi = torch.tensor([a[1] for a in areas], dtype=f64, device=device)[:, None, None]
    g_ig = (_area(gb) < lo) | (_area(gb) > hi)  # (A, P, G) outside the area range: ignored
    d_out = (_area(db) < lo) | (_area(db) > hi)  # (A, P, Dmax)
    thr = torch.tensor(thresholds, dtype=f64, device=device)
    if rule == "coco":
        thr = thr.clamp(max=1 - 1e-10)  # as pycocotools
    thr = thr[None, :, None, None]
    taken = torch.zeros(A, T, P, G, dtype=torch.bool, device=device)
    hit = torch.zeros(A, T, P, d_tab.shape[1], dtype=torch.bool, device=device)
    hit_ig = torch.zeros_like(hit)
    for r in range(sizes[0] if P else 0):  # sequential by nature: each match changes what is free
        p = sum(s > r for s in sizes)
        row = iou[:p, r][None, None]  # (1, 1, p, G)
        free = ~taken[:, :, :p] & g_valid[:p]
        if rule == "coco":  # the free GT of highest IoU >= thr (last on ties); regular before ignored
            ok = free & (row >= thr)
            ig = g_ig[:, None, :p]
            reg, alt = ok & ~ig, ok & ig
            j_reg = (G - 1) - torch.where(reg, row, -1.0).flip(-1).argmax(-1)
            j_alt = (G - 1) - torch.where(alt, row, -1.0).flip(-1).argmax(-1)
            has_reg, has_alt = reg.any(-1), alt.any(-1)
            j = torch.where(has_reg, j_reg, j_alt)
            got = has_reg | has_alt
            hit_ig[:, :, :p, r] = got & ~has_reg
        else:  # VOC: the best GT of all; a hit if IoU > thr and that GT is free
            j = torch.where(g_valid[:p], iou[:p, r], -1.0).argmax(-1)[None, None].expand(A, T, p)
            best = row.expand(A, T, p, G).gather(-1, j[..., None])[..., 0]
            got = (best > thr[..., 0]) & free.gather(-1, j[..., None])[..., 0]
        hit[:, :, :p, r] = got
        part = taken[:, :, :p]
        part.scatter_(-1, j[..., None], part.gather(-1, j[..., None]) | got[..., None])
    ignored = (hit_ig | (~hit & d_out[:, None])) & d_valid  # (A, T, P, Dmax)
    # per class: pool the detections of all images, ranked by score, image order, index
    n = order.shape[0]
    flat = d_tab[d_valid]  # positions into order, in (group, rank) layout
    tp_all = torch.zeros(A, T, n, dtype=torch.bool, device=device)
    fp_all = torch.zeros_like(tp_all)
    tp_all[:, :, flat] = (hit & ~ignored)[:, :, d_valid]
    fp_all[:, :, flat] = (~hit & ~ignored)[:, :, d_valid]
    rank_all = torch.zeros(n, dtype=torch.long, device=device)
    rank_all[flat] = torch.arange(d_tab.shape[1], device=device).expand_as(d_tab)[d_valid]
    cls_of = d_cls[order]
    pool = torch.sort(d_score[order], descending=True, stable=True).indices  # order is image-major
    pool = pool[torch.sort(cls_of[pool], stable=True).indices]  # (class, score, image, index)
    _, size, col = _groups(cls_of[pool])
    full = torch.zeros(K, dtype=torch.long, device=device)
    full[torch.unique_consecutive(cls_of[pool])] = size
    L = int(full.max()) if K and n else 1
    cls_tab = _pad(cls_of[pool], col, K, L)  # (K, L) into pool
    c_valid = cls_tab >= 0
    if n:
        take = pool[cls_tab.clamp(min=0)]
        tp = (tp_all[:, :, take] & c_valid).to(f64)  # (A, T, K, L)
        fp = (fp_all[:, :, take] & c_valid).to(f64)
        rank = torch.where(c_valid, rank_all[take], L)
    else:
        tp = fp = torch.zeros(A, T, K, L, dtype=f64, device=device)
        rank = torch.full((K, L), L, dtype=torch.long, device=device)
    g_area = _area(g_box)
    g_out = (g_area < lo[:, 0]) | (g_area > hi[:, 0])  # (A, Ng)
    npig = torch.zeros(A, K, dtype=f64, device=device)
    npig.index_add_(1, g_cls, (~g_out).to(f64))
    return tp, fp, rank, full, npig


def _curve_ap(tp: Tensor, fp: Tensor, npig: Tensor, method: str) -> tuple[Tensor, Tensor]:
    """AP and final recall per curve from ranked TP/FP flags (..., K, L) and GT counts (..., K)."""
    tp, fp = tp.cumsum(-1), fp.cumsum(-1)
    n = tp + fp
    precision = torch.where(n > 0, tp / n.clamp(min=1), 0.0)
    recall = tp / npig[..., None].clamp(min=1)
    envelope = precision.flip(-1).cummax(-1).values.flip(-1)  # max precision from here on
    if method == "all":
        prev = torch.cat([torch.zeros_like(recall[..., :1]), recall[..., :-1]], -1)
        ap = ((recall - prev) * envelope).sum(-1)
    else:
        steps = 10 if method == "voc11" else 100
        grid = torch.arange(steps + 1, dtype=recall.dtype, device=recall.device) / steps
        first = torch.searchsorted(recall.contiguous(), grid.expand(*recall.shape[:-1], steps + 1).contiguous())
        reached = first < recall.shape[-1]  # some point has recall >= t
        ap = torch.where(reached, envelope.gather(-1, first.clamp(max=recall.shape[-1] - 1)), 0.0).mean(-1)
    return ap, recall[..., -1]


def coco_evaluate(pred_boxes: Sequence[Tensor], pred_scores: Sequence[Tensor], pred_labels: Sequence[Tensor],
                  gt_boxes: Sequence[Tensor], gt_labels: Sequence[Tensor]) -> Tensor:
    """COCO's 12 box-detection summary numbers, as pycocotools ``COCOeval.summarize`` prints them.

    ``[AP, AP50, AP75, AP_small, AP_medium, AP_large, AR_1, AR_10, AR_100, AR_small, AR_medium,
    AR_large]``: AP is the 101-point AP (recall grid ``k / 100``, compared exactly) averaged over
    IoU thresholds 0.50:0.05:0.95 and classes with ground truth; AR the final recall with at most
    1, 10 or 100 detections per image and class, averaged the same way. Area ranges (box area in
    px²): small ``[0, 32²]``, medium ``[32², 96²]``, large ``[96², 1e10]``; a GT box outside the range
    is ignored, as is a detection matched to it or an unmatched detection outside it. Matching is
    the COCO rule of :func:`match_detections`, a free regular GT before an ignored one. No crowd
    boxes. A number with no class to average over is -1, as in pycocotools.

    pycocotools' own recall grid is ``np.linspace(0, 1, 101)``, a hair above k/100 at some k
    (0.07000000000000001 misses a recall of exactly 7/100); with ``params.recThrs =
    np.arange(101) / 100`` it gives the same numbers as this function.

    Args:
        pred_boxes (list of Tensor[N_i, 4]): detected ``xyxy`` boxes per image.
        pred_scores (list of Tensor[N_i]): their confidences.
        pred_labels (list of Tensor[N_i] int): their classes.
        gt_boxes (list of Tensor[G_i, 4]): ground-truth ``xyxy`` boxes per image.
        gt_labels (list of Tensor[G_i] int): their classes.

    Returns:
        Tensor[12] float64: the summary numbers.

    Reference: Lin et al., Microsoft COCO (2014); pycocotools cocoeval.py (evaluateImg,
    accumulate, summarize); cheatsheet 4 mAP.
    Concepts: detection.metrics
    """
    lists = {"pred_boxes": pred_boxes, "pred_scores": pred_scores, "pred_labels": pred_labels,
             "gt_boxes": gt_boxes, "gt_labels": gt_labels}
    _check_dataset(lists)
    tp, fp, rank, size, npig = _evaluate(lists, _COCO_THRESHOLDS, "coco", _COCO_AREAS, 100)
    stats = []

    def mean(values: Tensor, valid: Tensor) -> Tensor:
        return values[valid].mean() if bool(valid.any()) else values.new_tensor(-1.0)

    ap, ar = _curve_ap(tp, fp, npig[:, None], "coco101")  # (A, T, K)
    has = (npig > 0)[:, None].expand_as(ap)  # (A, T, K)
    stats += [mean(ap[0], has[0]), mean(ap[0, 0], has[0, 0]), mean(ap[0, 5], has[0, 5])]
    stats += [mean(ap[a], has[a]) for a in (1, 2, 3)]
    for m in (1, 10):
        keep = rank < m
        stats.append(mean(_curve_ap(tp[:1] * keep, fp[:1] * keep, npig[:1, None], "coco101")[1][0], has[0]))
    stats.append(mean(ar[0], has[0]))
    stats += [mean(ar[a], has[a]) for a in (1, 2, 3)]
    return torch.stack(stats).to(torch.float64)


def mean_average_precision(pred_boxes: Sequence[Tensor], pred_scores: Sequence[Tensor],
                           pred_labels: Sequence[Tensor], gt_boxes: Sequence[Tensor],
                           gt_labels: Sequence[Tensor], style: str = "voc",
                           method: str | None = None,
                           iou_thresholds: Sequence[float] | None = None) -> Tensor:
    """mAP over classes of a dataset, VOC or COCO style.

    - ``style="voc"``: IoU > 0.5 with the VOC rule of :func:`match_detections`; AP by ``method``
      (default ``"voc11"``, VOC2007; ``"all"`` for VOC2010+). All detections count.
    - ``style="coco"``: AP@[.5:.95]: the mean over IoU thresholds 0.50, 0.55, …, 0.95 (COCO rule)
      and over classes of 101-point AP (``method`` default ``"coco101"``), keeping at most the 100
      best detections per image and class (maxDets = 100). No crowd, ignore or area ranges.

    Per class, detections of all images are pooled and ranked by score; equal scores keep image
    order, then index order (as pycocotools, with images in list order). A class with no
    ground truth in any image is left out of the mean. Each (image, class) IoU matrix is computed
    once for all thresholds; matching walks the detection ranks with every image, class and
    threshold side by side (see :func:`coco_evaluate`); the slow oracle is
    :func:`match_detections` + :func:`precision_recall` + :func:`average_precision` per class.

    Args:
        pred_boxes (list of Tensor[N_i, 4]): detected ``xyxy`` boxes per image.
        pred_scores (list of Tensor[N_i]): their confidences.
        pred_labels (list of Tensor[N_i] int): their classes.
        gt_boxes (list of Tensor[G_i, 4]): ground-truth ``xyxy`` boxes per image.
        gt_labels (list of Tensor[G_i] int): their classes.
        style (str): ``"voc"`` or ``"coco"``.
        method (str or None): AP method (see :func:`average_precision`); None picks the style's.
        iou_thresholds (list of float or None): None picks the style's ([0.5] for VOC,
            0.50:0.05:0.95 for COCO); ``[0.75]`` with ``style="coco"`` gives COCO's AP75.

    Returns:
        Tensor: a scalar in the dtype of the boxes; NaN when no class has ground truth.

    Reference: Everingham et al. (IJCV 2010); Lin et al., Microsoft COCO (2014) and pycocotools;
    cheatsheet 4 mAP.
    Concepts: detection.metrics
    """
    _check_choice(style, "style", ("voc", "coco"))
    if method is None:
        method = "voc11" if style == "voc" else "coco101"
    _check_choice(method, "method", ("voc11", "all", "coco101"))
    lists = {"pred_boxes": pred_boxes, "pred_scores": pred_scores, "pred_labels": pred_labels,
             "gt_boxes": gt_boxes, "gt_labels": gt_labels}
    _check_dataset(lists)
    dtype, device = pred_boxes[0].dtype, pred_boxes[0].device
    if style == "voc":
        thresholds, rule, max_dets = [0.5], "voc", None
    else:
        thresholds, rule, max_dets = _COCO_THRESHOLDS, "coco", 100
    if iou_thresholds is not None:
        if not isinstance(iou_thresholds, (list, tuple)) or not iou_thresholds:
            raise ValueError(f"iou_thresholds: expected a non-empty list of numbers in [0, 1], "
                             f"got {iou_thresholds!r}")
        thresholds = [_check_fraction(t, "iou_thresholds") for t in iou_thresholds]
    tp, fp, _, _, npig = _evaluate(lists, thresholds, rule, ((0.0, math.inf),), max_dets)
    if npig.shape[1] == 0:
        return torch.tensor(float("nan"), dtype=dtype, device=device)
    ap, _ = _curve_ap(tp[0], fp[0], npig[0], method)  # (T, K)
    return ap.mean().to(dtype)


# ---------------------------------------------------------------------------- RoI Pool / RoI Align

def _round_half_away(x: Tensor) -> Tensor:
    # C's round(), as torchvision uses; torch.round rounds half to even.
    return torch.sign(x) * torch.floor(x.abs() + 0.5)


def _check_batch_index(batch: Tensor, B: int) -> None:
    if batch.numel() and bool(((batch < 0) | (batch >= B)).any()):  # one host synchronisation
        row = int(((batch < 0) | (batch >= B)).nonzero()[0, 0])
        raise ValueError(f"rois: expected batch indices rois[:, 0] in [0, {B}), got {batch[row].item()} "
                         f"in row {row}")


def _by_image(batch: Tensor, B: int) -> list[Tensor]:
    """Indices of the RoIs of each image (one host synchronisation for the counts)."""
    order = torch.sort(batch, stable=True).indices
    return list(order.split(torch.bincount(batch, minlength=B).tolist()))


def _range_max_table(f: Tensor, levels_h: int, levels_w: int,
                     with_index: bool = False) -> tuple[Tensor, Tensor | None]:
    """Sparse table of f (B, H, W, C): ``t[i, j, :, h, w] = max f[:, h:h + 2**i, w:w + 2**j]``
    (cut at the edge); shape (Li + 1, Lj + 1, B, H, W, C), channels last so that one bin corner
    is one contiguous row. With ``with_index``, also where that maximum is, as ``h * W + w``: the
    first in row-major order among equal values, the cell torchvision's kernel picks (it scans
    rows, then columns, and takes a strictly greater value)."""
    B, H, W, C = f.shape
    t = f.new_empty(levels_h + 1, levels_w + 1, B, H, W, C)
    t[0, 0] = f
    ix = None
    if with_index:
        ix = torch.empty(t.shape, dtype=torch.long, device=f.device)
        ix[0, 0] = torch.arange(H * W, device=f.device).view(1, H, W, 1)

    def merge(src: tuple[int, int], dst: tuple[int, int], s: int, dim: int) -> None:
        """dst[x] = the larger of src[x] and src[x + s] along dim (src[x] alone near the edge)."""
        prev, cur = t[src], t[dst]
        n = prev.shape[dim] - s
        cur.copy_(prev)
        a, b = prev.narrow(dim, 0, n), prev.narrow(dim, s, n)
        if ix is not None:
            pa, pb = ix[src].narrow(dim, 0, n), ix[src].narrow(dim, s, n)
            take_b = (b > a) | ((b == a) & (pb < pa))
            ix[dst].copy_(ix[src])
            ix[dst].narrow(dim, 0, n).copy_(torch.where(take_b, pb, pa))
        torch.maximum(a, b, out=cur.narrow(dim, 0, n))

    for i in range(levels_h + 1):
        if i:
            merge((i - 1, 0), (i, 0), 1 << (i - 1), -3)
        for j in range(1, levels_w + 1):
            merge((i, j - 1), (i, j), 1 << (j - 1), -2)
    return t, ix


def roi_pool(features: Tensor, rois: Tensor, output_size: int | tuple[int, int],
             spatial_scale: float = 1.0) -> Tensor:
    """RoI Pooling (Fast R-CNN): snap the RoI to the feature grid, max-pool each of the bins.

    With torchvision's (Caffe's) quantization: the RoI corners are scaled by ``spatial_scale`` and
    rounded half away from zero to whole cells; the RoI spans ``round(x2) − round(x1) + 1`` cells
    (at least 1); bin ``p`` of ``P`` covers cells ``[floor(p·s), ceil((p+1)·s))`` with s = span / P,
    offset by the RoI's start and clipped to the map. An empty bin (entirely outside) gives 0.

    Each bin's maximum is read from a range-maximum sparse table of the feature maps (the max of
    four overlapping power-of-two rectangles), so all bins are gathered at once; sizing the table
    needs one host synchronisation (the largest bin). The gradient of a bin goes to its maximum;
    among equal maxima, to the first in row-major order, as torchvision's kernel does.

    Args:
        features (Tensor[B, C, H, W]): feature maps.
        rois (Tensor[K, 5]): ``(batch_index, x1, y1, x2, y2)`` in image coordinates, same dtype.
        output_size (int or (int, int)): ``(PH, PW)`` bins.
        spatial_scale (float): image-to-feature scale (1 / stride).

    Returns:
        Tensor[K, C, PH, PW]: the pooled features.

    Reference: Girshick, Fast R-CNN (2015), sec. 2.1; torchvision.ops.roi_pool (CPU kernel);
    cheatsheet 4 RoI Pooling ("吸附 (Snap)").
    Concepts: detection.fast_rcnn
    """
    _check_features_rois(features, rois)
    ph_n, pw_n = _output_size(output_size)
    B, C, H, W = features.shape
    K = rois.shape[0]
    dtype, device = features.dtype, features.device
    batch = rois[:, 0].long()
    _check_batch_index(batch, B)
    if K == 0:
        return features.new_zeros(0, C, ph_n, pw_n)
    start = _round_half_away(rois[:, 1:3] * spatial_scale)  # (K, 2) x, y
    end = _round_half_away(rois[:, 3:5] * spatial_scale)
    span = (end - start + 1).clamp(min=1)  # (K, 2)

    def bins(n_bins: int, axis: int, size: int) -> tuple[Tensor, Tensor]:
        p = torch.arange(n_bins, device=device, dtype=dtype)
        step = span[:, axis:axis + 1] / n_bins  # (K, 1)
        lo = torch.floor(p * step) + start[:, axis:axis + 1]
        hi = torch.ceil((p + 1) * step) + start[:, axis:axis + 1]
        return lo.clamp(0, size).long(), hi.clamp(0, size).long()  # (K, P)

    w0, w1 = bins(pw_n, 0, W)
    h0, h1 = bins(ph_n, 1, H)
    len_h, len_w = (h1 - h0).clamp(min=1), (w1 - w0).clamp(min=1)
    longest = torch.stack([len_h.max(), len_w.max()]).tolist()  # the one host synchronisation
    li_n, lj_n = longest[0].bit_length() - 1, longest[1].bit_length() - 1

    def level(length: Tensor, n_levels: int) -> Tensor:  # floor(log2(length)), exactly
        powers = 2 ** torch.arange(1, n_levels + 1, device=device)
        return (length[..., None] >= powers).sum(-1)

    li, lj = level(len_h, li_n), level(len_w, lj_n)  # (K, PH), (K, PW)
    rows = torch.stack([h0, h1 - 2 ** li], -1).clamp(0, H - 1)  # (K, PH, 2)
    cols = torch.stack([w0, w1 - 2 ** lj], -1).clamp(0, W - 1)  # (K, PW, 2)
    # row of each bin corner in the table laid out (Li+1, Lj+1, B, H, W) x C; (K, PH, PW, 2, 2)
    lvl = li[:, :, None] * (lj_n + 1) + lj[:, None, :]  # (K, PH, PW)
    base = (lvl * B + batch[:, None, None]) * H * W
    flat = (base[..., None, None] + rows[:, :, None, :, None] * W + cols[:, None, :, None, :]).reshape(-1)
    grad = features.requires_grad and torch.is_grad_enabled()
    table, where = _range_max_table(features.detach().permute(0, 2, 3, 1), li_n, lj_n, with_index=grad)
    corners = table.view(-1, C)[flat].view(K, ph_n, pw_n, 4, C)
    if not grad:
        out = corners.amax(3)  # (K, PH, PW, C)
    else:  # read each maximum from its cell, so the gradient goes there (to the first of ties)
        cell = where.view(-1, C)[flat].view(K, ph_n, pw_n, 4, C)
        first = torch.where(corners == corners.amax(3, keepdim=True), cell, H * W).amin(3)
        plane = batch[:, None, None, None] * C + torch.arange(C, device=device)
        out = features.reshape(-1)[plane * (H * W) + first.clamp(max=H * W - 1)]  # (K, PH, PW, C)
    empty = (h1 <= h0)[:, :, None] | (w1 <= w0)[:, None, :]  # (K, PH, PW)
    return out.masked_fill(empty[..., None], 0).permute(0, 3, 1, 2).contiguous()


def bilinear_sample(features: Tensor, x: Tensor, y: Tensor) -> Tensor:
    """Bilinear interpolation at real coordinates, straight from the cheatsheet's formula.

    f(x, y) = Σ_{i,j} f_ij · max(0, 1 − |x − x_j|) · max(0, 1 − |y − y_i|) over the grid, where
    cell (i, j) sits at x_j = j, y_i = i. Only the (up to) four neighbours have non-zero weight.
    Outside the map this is zero padding: a point in (−1, 0) gets only the weight 1 − |x| of the
    first column and fades to 0 at −1 (RoI Align instead clamps such points to the edge).

    Args:
        features (Tensor[..., H, W]): values on the grid (e.g. Tensor[C, H, W]).
        x (Tensor[P]): column coordinates.
        y (Tensor[P]): row coordinates.

    Returns:
        Tensor[..., P]: the interpolated values.

    Reference: cheatsheet 4 RoI Align, f_xy = Σ f_ij max(0, 1−|x−x_i|) max(0, 1−|y−y_j|).
    Concepts: detection.mask_rcnn
    """
    _check_float(features, "features", "a float Tensor[..., H, W]", -1)
    _check_tensor(x, "x", "a Tensor[P]")
    if x.dim() != 1:
        raise ValueError(f"x: expected a Tensor[P], got {_describe(x)}")
    _check_vector(y, "y", x.shape[0], what="P")
    H, W = features.shape[-2:]
    x, y = x.to(features.dtype), y.to(features.dtype)
    cols = torch.arange(W, device=features.device, dtype=features.dtype)
    rows = torch.arange(H, device=features.device, dtype=features.dtype)
    wx = (1 - (x[:, None] - cols).abs()).clamp(min=0)  # (P, W)
    wy = (1 - (y[:, None] - rows).abs()).clamp(min=0)  # (P, H)
    return torch.einsum("...hw,ph,pw->...p", features, wy, wx)


_ROI_CHUNK = 32  # RoIs per pair of matrix products in roi_align


def roi_align(features: Tensor, rois: Tensor, output_size: int | tuple[int, int],
              spatial_scale: float = 1.0, sampling_ratio: int = -1, aligned: bool = False) -> Tensor:
    """RoI Align (Mask R-CNN) with torchvision's semantics: no rounding, bilinear samples averaged.

    The RoI ``(x1, y1, x2, y2) · spatial_scale`` (minus 0.5 when ``aligned``, which puts pixel
    centres at half-integers as in the paper) is split into ``PH × PW`` bins; each bin averages a
    regular grid of ``sampling_ratio²`` bilinear samples, or, for ``sampling_ratio <= 0``,
    ``ceil(roi_h / PH) × ceil(roi_w / PW)`` samples (adaptive, per RoI). Without ``aligned`` the
    RoI's size is clamped to at least 1 (the legacy behaviour); with it, an empty RoI has no
    samples and pools to 0, as in torchvision. Non-finite RoI coordinates raise ValueError.

    At the borders this differs from the plain formula of :func:`bilinear_sample`: a sample with
    y < −1 or y > H (x < −1 or x > W) counts 0; a sample in [−1, 0) is clamped to 0, and one in
    (H − 1, H] to H − 1, so it takes the full edge value instead of fading out.

    The interpolation is separable: each bin is ``A_y · F · A_xᵀ`` with per-RoI weight matrices
    summed over the samples, computed image by image as two matrix products. Host
    synchronisations: the largest adaptive sample count and the number of RoIs per image.

    Args:
        features (Tensor[B, C, H, W]): feature maps.
        rois (Tensor[K, 5]): ``(batch_index, x1, y1, x2, y2)`` in image coordinates, same dtype.
        output_size (int or (int, int)): ``(PH, PW)`` bins.
        spatial_scale (float): image-to-feature scale (1 / stride).
        sampling_ratio (int): samples per bin side; ``<= 0`` for adaptive.
        aligned (bool): shift by −0.5 pixel (Detectron2's ``ROIAlignV2``).

    Returns:
        Tensor[K, C, PH, PW]: the pooled features.

    Reference: He et al., Mask R-CNN (2017), sec. 3; torchvision.ops.roi_align (CPU kernel);
    cheatsheet 4 RoI Align.
    Concepts: detection.mask_rcnn
    """
    _check_features_rois(features, rois)
    ph_n, pw_n = _output_size(output_size)
    if isinstance(sampling_ratio, bool) or not isinstance(sampling_ratio, int):
        raise ValueError(f"sampling_ratio: expected an int (<= 0 for adaptive), got {_describe(sampling_ratio)}")
    # Autocast would run the matrix products in bfloat16/float16; like torchvision's autocast
    # wrapper, compute in the inputs' dtype instead (float32 for half inputs, cast back).
    op = _opmath(features.dtype)
    with torch.autocast(features.device.type, enabled=False):
        out = _roi_align(features.to(op), rois.to(op), ph_n, pw_n, spatial_scale, sampling_ratio, aligned)
    return out.to(features.dtype)


def _roi_align(features: Tensor, rois: Tensor, ph_n: int, pw_n: int, spatial_scale: float,
               sampling_ratio: int, aligned: bool) -> Tensor:
    B, C, H, W = features.shape
    K = rois.shape[0]
    dtype, device = features.dtype, features.device
    batch = rois[:, 0].long()
    _check_batch_index(batch, B)
    offset = 0.5 if aligned else 0.0
    start = rois[:, 1:3] * spatial_scale - offset  # (K, 2) x, y
    size = rois[:, 3:5] * spatial_scale - offset - start
    if not aligned:
        size = size.clamp(min=1.0)
    if sampling_ratio > 0:
        grid = torch.full_like(size, float(sampling_ratio))
    else:
        grid = torch.ceil(size / torch.tensor([pw_n, ph_n], dtype=dtype, device=device))
    count = (grid[:, 0] * grid[:, 1]).clamp(min=1)  # (K,)
    g_max = int(grid.max()) if K else 0  # the one host synchronisation

    def weights(axis: int, n_bins: int, length: int) -> Tensor:
        """Σ over the bin's samples of their 1D interpolation weights: (K, P, length)."""
        bin_size = size[:, axis] / n_bins  # (K,)
        g = grid[:, axis]
        p = torch.arange(n_bins, device=device, dtype=dtype)
        i = torch.arange(max(g_max, 1), device=device, dtype=dtype)
        pos = (start[:, axis, None, None] + p[None, :, None] * bin_size[:, None, None]
               + (i[None, None, :] + 0.5) * bin_size[:, None, None] / g.clamp(min=1)[:, None, None])
        use = ((i[None, None, :] < g[:, None, None]) & (pos >= -1.0) & (pos <= length)).to(dtype)
        pos = pos.clamp(0, length - 1)  # samples in [-1, 0) and (L-1, L] take the edge value
        lo = pos.floor()
        frac = (pos - lo) * use  # weight of the upper neighbour; unused samples weigh 0
        lo = lo.long()
        hi = (lo + 1).clamp(max=length - 1)
        acc = torch.zeros(K, n_bins, length, dtype=dtype, device=device)
        acc.scatter_add_(2, lo, use - frac)
        acc.scatter_add_(2, hi, frac)
        return acc

    ay = weights(1, ph_n, H)  # (K, PH, H)
    ax = weights(0, pw_n, W)  # (K, PW, W)
    out = features.new_empty(K, ph_n, C, pw_n)
    for b, idx in enumerate(_by_image(batch, B)):  # per image: two matrix products, no gather of maps
        rows_of_map = features[b].transpose(0, 1).reshape(H, C * W)  # (H, C·W)
        for part in idx.split(_ROI_CHUNK):  # a chunk's intermediate stays in cache
            k = part.shape[0]
            tmp = (ay[part].reshape(k * ph_n, H) @ rows_of_map).view(k, ph_n * C, W)  # Σ_h: (k, PH·C, W)
            out[part] = (tmp @ ax[part].transpose(1, 2)).view(k, ph_n, C, pw_n)  # Σ_w: (k, PH, C, PW)
    return out.permute(0, 2, 1, 3).div_(count[:, None, None, None]).contiguous()


# ---------------------------------------------------------------------------- masks

def mask_loss(mask_logits: Tensor, labels: Tensor, targets: Tensor, independent: bool = True) -> Tensor:
    """Mask R-CNN's mask loss, per-class sigmoid (independent) or per-pixel softmax (multinomial).

    - ``independent=True`` (Mask R-CNN): for RoI k only the channel of its class ``labels[k]``
      counts; binary cross-entropy with logits against ``targets[k]``, averaged over RoIs and
      pixels. Classes do not compete.
    - ``independent=False`` (the multinomial variant of the paper's ablation): a softmax over the
      ``C`` channels of each pixel, channel 0 being background; a pixel of the target mask has
      class ``labels[k]``, any other background. Cross-entropy averaged over RoIs and pixels;
      soft targets t give −[t·log p_label + (1 − t)·log p_0]. Classes compete for each pixel.

    Args:
        mask_logits (Tensor[K, C, M, M]): predicted mask logits per RoI and class.
        labels (Tensor[K] int64): ground-truth class of each RoI, in [0, C) (>= 1 when
            ``independent=False``, since 0 is background there).
        targets (Tensor[K, M, M]): ground-truth masks in [0, 1] (usually 0/1).
        independent (bool): per-class sigmoid (True) or multinomial softmax (False).

    Returns:
        Tensor: a scalar; 0 when K = 0.

    Reference: He et al., Mask R-CNN (2017), sec. 3 and Table 2b; torchvision maskrcnn_loss;
    cheatsheet 4 掩码设计 / 像素分类.
    Concepts: detection.mask_design
    """
    _check_float(mask_logits, "mask_logits", "a float Tensor[K, C, M, M]", 4)
    K, C = mask_logits.shape[:2]
    _check_vector(labels, "labels", K, what="K")
    expected = f"a Tensor[K, M, M] with K, M, M = {', '.join(map(str, (K, *mask_logits.shape[2:])))}"
    _check_tensor(targets, "targets", expected)
    if targets.shape != (K, *mask_logits.shape[2:]):
        raise ValueError(f"targets: expected {expected}, got {_describe(targets)}")
    if K == 0:
        return mask_logits.sum() * 0
    t = targets.to(mask_logits.dtype)
    idx = labels.long()[:, None, None, None].expand(K, 1, *mask_logits.shape[2:])
    if independent:
        chosen = mask_logits.gather(1, idx)[:, 0]  # (K, M, M)
        return F.binary_cross_entropy_with_logits(chosen, t)
    logp = mask_logits.log_softmax(dim=1)  # (K, C, M, M)
    fg = logp.gather(1, idx)[:, 0]
    bg = logp[:, 0]
    return -(t * fg + (1 - t) * bg).mean()


# ---------------------------------------------------------------------------- 3D boxes

def _bev_corners(boxes: Tensor) -> Tensor:
    """Corners (counter-clockwise) of the boxes' footprints: (N, 4, 2)."""
    x, y, w, l, yaw = boxes[:, 0], boxes[:, 1], boxes[:, 3], boxes[:, 5], boxes[:, 6]
    sx = torch.tensor([0.5, -0.5, -0.5, 0.5], dtype=boxes.dtype, device=boxes.device)
    sy = torch.tensor([0.5, 0.5, -0.5, -0.5], dtype=boxes.dtype, device=boxes.device)
    dx = sx * l[:, None]  # along the box's length axis
    dy = sy * w[:, None]
    c, s = torch.cos(yaw)[:, None], torch.sin(yaw)[:, None]
    return torch.stack([x[:, None] + c * dx - s * dy, y[:, None] + s * dx + c * dy], dim=-1)


def _cross(a: Tensor, b: Tensor) -> Tensor:
    return a[..., 0] * b[..., 1] - a[..., 1] * b[..., 0]


def _inside(points: Tensor, corners: Tensor) -> Tensor:
    """points (..., P, 2) inside the convex CCW quadrilaterals corners (..., 4, 2): (..., P)."""
    edges = corners.roll(-1, dims=-2) - corners  # (..., 4, 2)
    rel = points[..., :, None, :] - corners[..., None, :, :]  # (..., P, 4, 2)
    length = edges.norm(dim=-1)  # (..., 4)
    dist = _cross(edges[..., None, :, :], rel) / length.clamp(min=torch.finfo(length.dtype).tiny)[..., None, :]
    # A point on an edge counts as inside; the tolerance absorbs round-off in the corners.
    tol = 64 * torch.finfo(points.dtype).eps * (1 + corners.abs().amax(dim=(-1, -2)))  # (...)
    return (dist >= -tol[..., None, None]).all(-1)


def _bev_intersection(c1: Tensor, c2: Tensor) -> Tensor:
    """Intersection areas of convex CCW quadrilaterals c1 (N, 4, 2) and c2 (M, 4, 2): (N, M)."""
    N, M = c1.shape[0], c2.shape[0]
    a = c1[:, None].expand(N, M, 4, 2)
    b = c2[None].expand(N, M, 4, 2)
    # Vertices of one inside the other.
    a_in = _inside(a, b)  # (N, M, 4)
    b_in = _inside(b, a)
    # Edge-edge crossings: p + t r = q + u s, t and u in [0, 1].
    p, r = a, a.roll(-1, dims=-2) - a  # (N, M, 4, 2)
    q, s = b, b.roll(-1, dims=-2) - b
    p, r = p[:, :, :, None], r[:, :, :, None]  # (N, M, 4, 1, 2)
    q, s = q[:, :, None], s[:, :, None]  # (N, M, 1, 4, 2)
    denom = _cross(r, s)  # (N, M, 4, 4)
    safe = torch.where(denom == 0, torch.ones_like(denom), denom)
    t = _cross(q - p, s) / safe
    u = _cross(q - p, r) / safe
    x_ok = (denom != 0) & (t >= 0) & (t <= 1) & (u >= 0) & (u <= 1)
    x_pts = p + t[..., None] * r  # (N, M, 4, 4, 2)
    pts = torch.cat([a, b, x_pts.reshape(N, M, 16, 2)], dim=2)  # (N, M, 24, 2)
    ok = torch.cat([a_in, b_in, x_ok.reshape(N, M, 16)], dim=2)  # (N, M, 24)
    # Order the valid points by angle around their centroid, then the shoelace formula; invalid
    # points are replaced by the first valid one, which adds only zero-area slivers.
    n_ok = ok.sum(-1, keepdim=True).clamp(min=1)
    centre = (pts * ok[..., None]).sum(2) / n_ok  # (N, M, 2)
    rel = pts - centre[:, :, None]
    angle = torch.atan2(rel[..., 1], rel[..., 0])
    angle = torch.where(ok, angle, torch.full_like(angle, 10.0))  # invalid points last
    order = angle.argsort(dim=-1)
    rel = rel.gather(2, order[..., None].expand_as(rel))
    ok = ok.gather(2, order)
    rel = torch.where(ok[..., None], rel, rel[:, :, :1])
    area = 0.5 * _cross(rel, rel.roll(-1, dims=2)).sum(-1)
    return torch.where(ok.sum(-1) >= 3, area.clamp(min=0), torch.zeros_like(area))


def box3d_iou(boxes1: Tensor, boxes2: Tensor) -> Tensor:
    """IoU of 7-DoF 3D boxes: rotated bird's-eye-view overlap × height overlap / union volume.

    Axes: right-handed, ``z`` points up. A box ``(x, y, z, w, h, l, yaw)`` has its centre at
    ``(x, y, z)``; ``h`` is its extent along ``z``; at ``yaw = 0`` its length ``l`` lies along ``x``
    and its width ``w`` along ``y``. ``yaw`` (radians) turns the box about ``+z``, counter-clockwise
    seen from above (from ``+x`` toward ``+y``). The footprint intersection is computed exactly as
    a convex polygon (vertices inside the other box plus edge crossings, shoelace area).

    Args:
        boxes1 (Tensor[N, 7]): ``(x, y, z, w, h, l, yaw)``.
        boxes2 (Tensor[M, 7]): the same, same dtype and device.

    Returns:
        Tensor[N, M]: 3D IoU in [0, 1]; 0 when the union is empty.

    Reference: cheatsheet 4 "3D 目标检测" (7 DoF x, y, z, w, h, l, yaw); Geiger et al., KITTI
    (2012) evaluates 3D boxes the same way (there in camera axes, y down).
    Concepts: detection.det3d
    """
    _check_boxes(boxes1, "boxes1", last=7)
    _check_boxes(boxes2, "boxes2", last=7)
    N, M = boxes1.shape[0], boxes2.shape[0]
    if N == 0 or M == 0:
        return boxes1.new_zeros(N, M)
    bev = _bev_intersection(_bev_corners(boxes1), _bev_corners(boxes2))  # (N, M)
    z1, h1 = boxes1[:, 2], boxes1[:, 4].clamp(min=0)
    z2, h2 = boxes2[:, 2], boxes2[:, 4].clamp(min=0)
    top = torch.minimum((z1 + h1 / 2)[:, None], (z2 + h2 / 2)[None])
    bottom = torch.maximum((z1 - h1 / 2)[:, None], (z2 - h2 / 2)[None])
    inter = bev * (top - bottom).clamp(min=0)
    vol1 = boxes1[:, 3].clamp(min=0) * h1 * boxes1[:, 5].clamp(min=0)
    vol2 = boxes2[:, 3].clamp(min=0) * h2 * boxes2[:, 5].clamp(min=0)
    union = vol1[:, None] + vol2[None] - inter
    iou = inter / torch.where(union > 0, union, torch.ones_like(union))
    return torch.where(union > 0, iou.clamp(0, 1), torch.zeros_like(iou))
