"""Detection suite: reference/detection.py against torchvision.ops and pycocotools.

Inputs (seeded, made once per run):

- boxes: ``xyxy`` in a 1000 x 1000 image, corners uniform, sides uniform in [16, 256) px, float32
  scores uniform in [0, 1), NMS threshold 0.5 (about half the boxes survive at 1k, a fifth at 10k);
  ``batched_nms`` adds 20 labels drawn uniformly.
- RoI ops: features 2 x 256 x 50 x 50 (stride 16 of an 800 x 800 image), 512 RoIs of sides
  32-512 px, output 7 x 7, ``spatial_scale`` 1/16; RoI Align adaptive sampling, ``aligned=True``.
- COCO: 500 images, 20 classes, 0-9 objects per image (sides 8-300 px, so every area range is
  used), 0-2 noisy detections per object plus 0-4 random ones. pycocotools is timed on
  ``evaluate(); accumulate(); summarize()`` of prebuilt COCO objects with the exact recall grid
  ``np.arange(101) / 100`` (its default ``np.linspace`` grid is a hair above k/100 at some k); ours
  on :func:`coco_evaluate` from tensors. Both give the 12 summary numbers.

Both sides of every row run on one CPU thread (torch.set_num_threads(1) around each call, the
previous setting restored after). The peers' kernels are single-threaded loops anyway; ours are
vectorised torch ops, which on a machine shared by more processes than cores lose most of their
time in OpenMP barriers waiting for a descheduled worker (on the project's 2-core machine at load
7, two threads made NMS 10k 14x slower than one, while torchvision's loop did not notice). One
thread measures the algorithms, not the scheduler, and gives ours no parallel advantage.

Peers are optional: without torchvision or pycocotools a row says "peer not installed".
"""

from __future__ import annotations

import contextlib
import io

import numpy as np
import torch

from benchmarks.harness import Row, synced


def one_thread(fn):
    """``fn`` run with one intra-op thread (restored afterwards); None stays None."""
    if fn is None:
        return None

    def call():
        before = torch.get_num_threads()
        torch.set_num_threads(1)
        try:
            return fn()
        finally:
            torch.set_num_threads(before)

    return call


def _reference():
    from cvquiz.course import find_course

    return find_course().reference("detection")


def _import(name: str):
    try:
        return __import__(name, fromlist=["_"])
    except ImportError:
        return None


def _boxes(n: int, seed: int, device: str) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    g = torch.Generator().manual_seed(seed)
    xy = torch.rand(n, 2, generator=g) * 1000
    wh = torch.rand(n, 2, generator=g) * 240 + 16
    scores = torch.rand(n, generator=g)
    labels = torch.randint(0, 20, (n,), generator=g)
    return torch.cat([xy, xy + wh], 1).to(device), scores.to(device), labels.to(device)


def _same_keep(scores: torch.Tensor):
    """Same kept boxes, in the same score order (torchvision's sort is not stable among ties)."""
    def same(ours, theirs) -> bool:
        ours, theirs = ours.cpu(), theirs.cpu()
        return (sorted(ours.tolist()) == sorted(theirs.tolist())
                and torch.equal(scores.cpu()[ours], scores.cpu()[theirs]))
    return same


def _close(atol: float):
    return lambda ours, theirs: bool(torch.allclose(ours.cpu().double(), theirs.cpu().double(), atol=atol))


def _rois(device: str) -> tuple[torch.Tensor, torch.Tensor]:
    g = torch.Generator().manual_seed(3)
    feats = torch.randn(2, 256, 50, 50, generator=g)
    k = 512
    xy = torch.rand(k, 2, generator=g) * 700
    wh = torch.rand(k, 2, generator=g) * 480 + 32
    batch = torch.randint(0, 2, (k, 1), generator=g).float()
    rois = torch.cat([batch, xy, xy + wh], 1)
    return feats.to(device), rois.to(device)


def coco_dataset(n_img: int, n_cls: int, seed: int = 5):
    """Random ground truth and detections: lists of numpy arrays per image (xyxy, float64)."""
    rng = np.random.default_rng(seed)
    gts, dets = [], []
    for _ in range(n_img):
        g = int(rng.integers(0, 10))
        xy = rng.uniform(0, 600, (g, 2))
        wh = np.exp(rng.uniform(np.log(8), np.log(300), (g, 2)))
        gb = np.concatenate([xy, xy + wh], 1)
        gl = rng.integers(0, n_cls, g)
        db, dl = [], []
        for box, lab in zip(gb, gl):
            for _ in range(int(rng.integers(0, 3))):
                size = np.r_[box[2:] - box[:2], box[2:] - box[:2]]
                db.append(box + rng.normal(0, 0.08, 4) * size)  # an IoU of about 0.4-0.95
                dl.append(lab if rng.random() < 0.85 else rng.integers(0, n_cls))
        for _ in range(int(rng.integers(0, 5))):
            p = rng.uniform(0, 600, 2)
            db.append(np.concatenate([p, p + np.exp(rng.uniform(np.log(8), np.log(300), 2))]))
            dl.append(rng.integers(0, n_cls))
        db = np.array(db, dtype=float).reshape(-1, 4)
        db[:, 2:] = np.maximum(db[:, 2:], db[:, :2] + 1.0)
        gts.append((gb, gl))
        dets.append((db, rng.random(len(db)), np.array(dl, dtype=int)))
    return gts, dets


def coco_objects(gts, dets, n_cls: int):
    """pycocotools COCO ground truth and results for :func:`coco_dataset` (exact recall grid)."""
    from pycocotools.coco import COCO
    from pycocotools.cocoeval import COCOeval

    images, anns, results = [], [], []
    for i, ((gb, gl), (db, ds, dl)) in enumerate(zip(gts, dets), start=1):
        images.append({"id": i, "width": 1000, "height": 1000})
        for b, lab in zip(gb, gl):
            anns.append({"id": len(anns) + 1, "image_id": i, "category_id": int(lab) + 1, "iscrowd": 0,
                         "bbox": [b[0], b[1], b[2] - b[0], b[3] - b[1]], "area": (b[2] - b[0]) * (b[3] - b[1])})
        for b, s, lab in zip(db, ds, dl):
            results.append({"image_id": i, "category_id": int(lab) + 1, "score": float(s),
                            "bbox": [b[0], b[1], b[2] - b[0], b[3] - b[1]]})
    with contextlib.redirect_stdout(io.StringIO()):
        coco = COCO()
        coco.dataset = {"images": images, "annotations": anns,
                        "categories": [{"id": c + 1, "name": str(c)} for c in range(n_cls)]}
        coco.createIndex()
        dt = coco.loadRes(results) if results else COCO()  # loadRes refuses an empty list

    def run() -> np.ndarray:
        with contextlib.redirect_stdout(io.StringIO()):
            ev = COCOeval(coco, dt, "bbox")
            ev.params.recThrs = np.arange(101) / 100
            ev.evaluate()
            ev.accumulate()
            ev.summarize()
        return ev.stats

    return run


def coco_tensors(gts, dets, device: str):
    T = lambda a, dt=torch.float64: torch.tensor(np.asarray(a), dtype=dt, device=device)  # noqa: E731
    return ([T(d[0]).reshape(-1, 4) for d in dets], [T(d[1]) for d in dets], [T(d[2], torch.int64) for d in dets],
            [T(g[0]).reshape(-1, 4) for g in gts], [T(g[1], torch.int64) for g in gts])


def rows(device: str, quick: bool) -> list[Row]:
    D = _reference()
    tv = _import("torchvision")
    ops = tv.ops if tv is not None else None
    tv_name = f"torchvision {tv.__version__}" if tv is not None else "torchvision"
    no_tv = None if tv is not None else "peer not installed: torchvision"
    out: list[Row] = []

    def row(name, ours, peer, peer_name, same, target="", gate=False, missing=no_tv):
        out.append(Row(f"{name}, 1 thread", one_thread(synced(ours, device)), one_thread(synced(peer, device))
                       if peer is not None else None, peer_name, same, missing if peer is None else None, target, gate))

    a, _, _ = _boxes(1000, 1, device)
    b, _, _ = _boxes(1000, 2, device)
    row("box_iou 1k x 1k", lambda: D.box_iou(a, b), (lambda: ops.box_iou(a, b)) if ops else None,
        f"{tv_name} ops.box_iou", _close(1e-6), "<= 3x")

    sizes = [(1000, "1k"), (10000, "10k")] if not quick else [(1000, "1k"), (3000, "3k")]
    for n, tag in sizes:
        boxes, scores, labels = _boxes(n, 7, device)
        row(f"nms {tag} boxes", lambda boxes=boxes, scores=scores: D.nms(boxes, scores, 0.5),
            (lambda boxes=boxes, scores=scores: ops.nms(boxes, scores, 0.5)) if ops else None,
            f"{tv_name} ops.nms", _same_keep(scores), "<= 3x", gate=(n == sizes[-1][0]))
    for n, tag in sizes:
        boxes, scores, labels = _boxes(n, 8, device)
        row(f"batched_nms {tag} boxes, 20 labels",
            lambda boxes=boxes, scores=scores, labels=labels: D.batched_nms(boxes, scores, labels, 0.5),
            (lambda boxes=boxes, scores=scores, labels=labels: ops.batched_nms(boxes, scores, labels, 0.5))
            if ops else None, f"{tv_name} ops.batched_nms", _same_keep(scores), "<= 3x")

    feats, rois = _rois(device)
    row("roi_align 2x256x50x50, 512 RoIs, 7x7",
        lambda: D.roi_align(feats, rois, 7, 1 / 16, -1, True),
        (lambda: ops.roi_align(feats, rois, 7, 1 / 16, -1, True)) if ops else None,
        f"{tv_name} ops.roi_align", _close(1e-4), "<= 3x")
    row("roi_pool 2x256x50x50, 512 RoIs, 7x7",
        lambda: D.roi_pool(feats, rois, 7, 1 / 16),
        (lambda: ops.roi_pool(feats, rois, 7, 1 / 16)) if ops else None,
        f"{tv_name} ops.roi_pool", _close(0.0), "<= 2x")

    n_img = 100 if quick else 500
    gts, dets = coco_dataset(n_img, 20)
    tensors = coco_tensors(gts, dets, device)
    coco = _import("pycocotools")
    if coco is not None:
        peer = coco_objects(gts, dets, 20)
        peer_name = f"pycocotools {getattr(coco, '__version__', '')} COCOeval".replace("  ", " ")
    else:
        peer, peer_name = None, "pycocotools COCOeval"
    row(f"COCO eval, 12 numbers, {n_img} images", lambda: D.coco_evaluate(*tensors), peer, peer_name,
        lambda ours, theirs: bool(np.allclose(ours.cpu().numpy(), theirs, rtol=0, atol=1e-12)),
        ">= 3x faster", gate=True, missing="peer not installed: pycocotools")
    return out
