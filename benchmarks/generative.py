"""Generative models: FID's Fréchet distance vs pytorch-fid's ``scipy.linalg.sqrtm`` route."""

from __future__ import annotations

import numpy as np
import torch

from benchmarks._common import installed, reference
from benchmarks.harness import Row, synced


def pytorch_fid_distance(mu1, sigma1, mu2, sigma2, eps=1e-6) -> float:
    """pytorch-fid's ``calculate_frechet_distance`` (v0.3.0), restated: sqrtm of the product."""
    from scipy import linalg

    diff = mu1 - mu2
    covmean, _ = linalg.sqrtm(sigma1.dot(sigma2), disp=False)
    if not np.isfinite(covmean).all():
        offset = np.eye(sigma1.shape[0]) * eps
        covmean = linalg.sqrtm((sigma1 + offset).dot(sigma2 + offset))
    if np.iscomplexobj(covmean):
        covmean = covmean.real
    return float(diff.dot(diff) + np.trace(sigma1) + np.trace(sigma2) - 2 * np.trace(covmean))


def rows(device: str, quick: bool) -> list[Row]:
    G = reference("generative")
    g = torch.Generator().manual_seed(0)
    D, N = (256, 512) if quick else (2048, 4096)
    f1 = torch.randn(N, D, generator=g, dtype=torch.float64)
    f2 = torch.randn(N, D, generator=g, dtype=torch.float64) * 1.1 + 0.05
    stats = [(f.mean(0), torch.cov(f.T)) for f in (f1, f2)]
    (m1, s1), (m2, s2) = [(m.to(device), s.to(device)) for m, s in stats]
    arrays = [(m.numpy(), s.numpy()) for m, s in stats]
    if installed("scipy"):
        import scipy

        peer = lambda: pytorch_fid_distance(arrays[0][0], arrays[0][1], arrays[1][0], arrays[1][1])  # noqa: E731
        peer_name, missing = f"scipy {scipy.__version__} linalg.sqrtm (pytorch-fid's route)", None
    else:
        peer, peer_name, missing = None, "scipy", "peer not installed: scipy"
    return [Row(f"FID Fréchet distance D={D}", synced(lambda: G.frechet_distance(m1, s1, m2, s2), device), peer,
                peer_name, same=lambda a, b: abs(float(a) - b) <= 1e-6 * max(1.0, abs(b)), missing=missing,
                target=">= 5x faster")]
