"""coco_evaluate and the vectorised mean_average_precision against pycocotools' COCOeval (all 12
summary numbers) and against the per-class slow path (match_detections, precision_recall,
average_precision)."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from benchmarks.detection import coco_objects


@pytest.fixture(scope="module")
def D(course):
    return course.reference("detection")


def dataset(rng: np.random.Generator, n_img: int, n_cls: int, max_gt: int = 8, tie_scores: bool = False):
    """GT of every size (small, medium and large) and noisy, duplicate and random detections."""
    gts, dets = [], []
    for _ in range(n_img):
        g = int(rng.integers(0, max_gt + 1))
        xy = rng.uniform(0, 300, (g, 2))
        wh = np.exp(rng.uniform(np.log(4), np.log(200), (g, 2)))
        gb = np.concatenate([xy, xy + wh], 1)
        gl = rng.integers(0, n_cls, g)
        db, dl = [], []
        for box, lab in zip(gb, gl):
            for _ in range(int(rng.integers(0, 4))):
                size = np.r_[box[2:] - box[:2], box[2:] - box[:2]]
                db.append(box + rng.normal(0, 0.1, 4) * size)
                dl.append(lab if rng.random() < 0.85 else rng.integers(0, n_cls))
        for _ in range(int(rng.integers(0, 5))):
            p = rng.uniform(0, 300, 2)
            db.append(np.concatenate([p, p + np.exp(rng.uniform(np.log(4), np.log(200), 2))]))
            dl.append(rng.integers(0, n_cls))
        db = np.array(db, dtype=float).reshape(-1, 4)
        db[:, 2:] = np.maximum(db[:, 2:], db[:, :2] + 0.5)
        scores = rng.integers(0, 5, len(db)) / 4 if tie_scores else rng.random(len(db))
        gts.append((gb, gl))
        dets.append((db, scores, np.array(dl, dtype=int)))
    return gts, dets


def tensors(gts, dets, device):
    T = lambda a, dt=torch.float64: torch.tensor(np.asarray(a), dtype=dt, device=device)  # noqa: E731
    return ([T(d[0]).reshape(-1, 4) for d in dets], [T(d[1]) for d in dets], [T(d[2], torch.int64) for d in dets],
            [T(g[0]).reshape(-1, 4) for g in gts], [T(g[1], torch.int64) for g in gts])


def pycocotools_stats(gts, dets, n_cls: int) -> np.ndarray:
    """pycocotools' 12 summary numbers, on the exact recall grid k/100."""
    return coco_objects(gts, dets, n_cls)()


@pytest.mark.parametrize("seed, n_img, n_cls, ties", [(0, 12, 3, False), (1, 30, 5, False), (2, 20, 4, True),
                                                      (3, 5, 2, True), (4, 60, 8, False)])
def test_coco_evaluate_gives_pycocotools_twelve_numbers(D, device, seed, n_img, n_cls, ties):
    gts, dets = dataset(np.random.default_rng(seed), n_img, n_cls, tie_scores=ties)
    got = D.coco_evaluate(*tensors(gts, dets, device))
    assert got.shape == (12,) and got.dtype == torch.float64 and got.device.type == device
    want = pycocotools_stats(gts, dets, n_cls)
    assert np.abs(got.cpu().numpy() - want).max() <= 1e-12, (got.tolist(), want.tolist())


def test_coco_evaluate_keeps_at_most_100_detections_per_image_and_class(D):
    rng = np.random.default_rng(9)
    gts, dets = dataset(rng, 3, 1, max_gt=8)
    box, lab = gts[0][0][:1], gts[0][1][:1]
    many = np.repeat(box, 130, axis=0) + rng.normal(0, 1.0, (130, 4))
    many[:, 2:] = np.maximum(many[:, 2:], many[:, :2] + 0.5)
    dets[0] = (np.concatenate([dets[0][0], many]), np.concatenate([dets[0][1], rng.random(130)]),
               np.concatenate([dets[0][2], np.repeat(lab, 130)]))
    got = D.coco_evaluate(*tensors(gts, dets, "cpu")).numpy()
    assert np.abs(got - pycocotools_stats(gts, dets, 1)).max() <= 1e-12


def test_coco_evaluate_of_classes_without_ground_truth_is_minus_one(D):
    empty_b = torch.zeros(0, 4, dtype=torch.float64)
    empty_l = torch.zeros(0, dtype=torch.int64)
    det = torch.tensor([[0.0, 0.0, 5.0, 5.0]], dtype=torch.float64)
    got = D.coco_evaluate([det], [torch.tensor([0.5], dtype=torch.float64)], [torch.tensor([0])],
                          [empty_b], [empty_l])
    assert got.tolist() == [-1.0] * 12


@pytest.mark.parametrize("style, method", [("voc", "voc11"), ("voc", "all"), ("coco", "coco101"), ("coco", "all"),
                                           ("coco", "voc11")])
def test_mean_average_precision_equals_the_per_class_slow_path(D, device, style, method):
    gts, dets = dataset(np.random.default_rng(11), 15, 4, tie_scores=True)
    pb, ps, pl, gb, gl = tensors(gts, dets, device)
    thresholds = [0.5] if style == "voc" else [k / 100 for k in range(50, 100, 5)]
    aps = []
    for c in torch.unique(torch.cat(gl)).tolist():
        per_thr = []
        for thr in thresholds:
            scores, hits = [], []
            for i in range(len(pb)):
                sel = pl[i] == c
                b, s = pb[i][sel], ps[i][sel]
                order = torch.sort(s, descending=True, stable=True).indices
                if style == "coco":
                    order = order[:100]
                b, s = b[order], s[order]
                scores.append(s)
                hits.append(D.match_detections(b, s, gb[i][gl[i] == c], thr, style))
            num_gt = sum(int((g == c).sum()) for g in gl)
            p, r = D.precision_recall(torch.cat(scores), torch.cat(hits), num_gt)
            per_thr.append(D.average_precision(p, r, method).item())
        aps.append(sum(per_thr) / len(per_thr))
    got = D.mean_average_precision(pb, ps, pl, gb, gl, style=style, method=method)
    assert got.item() == pytest.approx(sum(aps) / len(aps), abs=1e-12)


@pytest.mark.slow
@pytest.mark.parametrize("seed", range(30))
def test_coco_evaluate_gives_pycocotools_twelve_numbers_over_many_datasets(D, seed):
    rng = np.random.default_rng(500 + seed)
    n_img, n_cls = int(rng.integers(1, 40)), int(rng.integers(1, 6))
    gts, dets = dataset(rng, n_img, n_cls, max_gt=int(rng.integers(0, 12)), tie_scores=bool(seed % 3 == 0))
    got = D.coco_evaluate(*tensors(gts, dets, "cpu")).numpy()
    assert np.abs(got - pycocotools_stats(gts, dets, n_cls)).max() <= 1e-12
