"""Point clouds: farthest point sampling vs fpsample (Rust) and vs a numpy loop; ball query and
sparse convolution on their own (no installed peer computes the same thing)."""

from __future__ import annotations

import numpy as np
import torch

from benchmarks._common import installed, reference
from benchmarks.harness import Row, synced


def numpy_fps(points: np.ndarray, k: int) -> np.ndarray:
    """The classic numpy FPS, vectorised over the batch: points (B, N, 3) -> indices (B, k)."""
    B, N, _ = points.shape
    idx = np.zeros((B, k), dtype=np.int64)
    dist = np.full((B, N), np.inf, dtype=points.dtype)
    rows = np.arange(B)
    for j in range(1, k):
        last = idx[:, j - 1]
        dist[rows, last] = -1  # never pick a point twice (as the reference does)
        np.minimum(dist, ((points - points[rows, last][:, None, :]) ** 2).sum(-1), out=dist)
        idx[:, j] = dist.argmax(1)
    return idx


def rows(device: str, quick: bool) -> list[Row]:
    P = reference("points")
    g = torch.Generator().manual_seed(0)
    N, k = (4096, 256) if quick else (16384, 1024)
    cloud = torch.rand(1, N, 3, generator=g)
    pts = cloud.to(device)
    out = []
    same = lambda a, b: a.cpu().reshape(-1).tolist() == np.asarray(b, dtype=np.int64).reshape(-1).tolist()  # noqa: E731
    if installed("fpsample"):
        import fpsample
        from importlib.metadata import version

        pc = cloud[0].numpy()
        peer, peer_name, missing = (lambda: fpsample.fps_sampling(pc, k, start_idx=0)), \
            f"fpsample {version('fpsample')} fps_sampling", None
    else:
        peer, peer_name, missing = None, "fpsample", "peer not installed: fpsample"
    out.append(Row(f"FPS N={N}, k={k}", synced(lambda: P.farthest_point_sample(pts, k), device), peer, peer_name,
                   same=same, missing=missing, target="<= 3x"))

    B = 8
    clouds = torch.rand(B, N, 3, generator=g)
    batch = clouds.to(device)
    arr = clouds.numpy()
    out.append(Row(f"FPS B={B}, N={N}, k={k}", synced(lambda: P.farthest_point_sample(batch, k), device),
                   lambda: numpy_fps(arr, k), f"numpy {np.__version__} FPS loop (vectorised over B)", same=same,
                   target="<= 3x"))

    Nq, M, kq = (2048, 256, 32) if quick else (4096, 1024, 32)  # a (B, M, N) problem of 32M pairs
    cloud_q = batch[:, :Nq]
    centers = cloud_q[:, :M]
    out.append(Row(f"ball_query B={B}, N={Nq}, M={M}, k={kq}",
                   synced(lambda: P.ball_query(cloud_q, centers, 0.1, kq), device), None, "-",
                   missing="no peer: the reference alone (topk, no full sort of (B, M, N))"))

    G, n = (32, 2000) if quick else (64, 20000)
    flat = torch.randperm(G ** 3, generator=g)[:n]
    coords = torch.stack([flat // G ** 2, flat // G % G, flat % G], 1).to(device)
    feats = torch.randn(n, 16, generator=g).to(device)
    weight = torch.randn(3, 3, 3, 16, 16, generator=g).to(device)
    out.append(Row(f"sparse_conv3d submanifold, {n} sites, 3x3x3, 16->16",
                   synced(lambda: P.sparse_conv3d(coords, feats, weight), device), None, "-",
                   missing="no peer: the reference alone (one gather-GEMM, no per-offset sync)"))
    return out
