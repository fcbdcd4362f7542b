"""Point clouds: PointNet++ sampling and grouping, voxelization, sparse 3D convolution.

Dimension letters (used in every docstring below):

- ``B`` batch; ``N`` points in a cloud; ``M`` sampled centres (or voxels, or output sites);
- ``k`` neighbours per centre (an argument, not a shape letter of the style guide's ``K`` RoIs);
- ``C`` feature channels (``C_in``, ``C_out`` for a layer); coordinates are ``3`` columns (x, y, z).

Conventions: distances are squared Euclidean; a weight is ``[in, out]`` and applied as
``x @ W + b``; integer voxel coordinates are in (x, y, z) order, with a leading batch column
(b, x, y, z) when the input is batched.
"""

from __future__ import annotations

from collections.abc import Sequence

import torch
from torch import Tensor

__all__ = [
    "farthest_point_sample",
    "ball_query",
    "group",
    "set_abstraction",
    "voxelize",
    "sparse_conv3d",
]


def _shape(t: Tensor) -> str:
    return "(" + ", ".join(str(s) for s in t.shape) + ")"


def _require_tensor(x: object, name: str) -> Tensor:
    if not isinstance(x, Tensor):
        raise ValueError(f"{name}: expected a torch.Tensor, got {type(x).__name__}")
    return x


def _require_points(points: object, name: str = "points") -> None:
    points = _require_tensor(points, name)
    if points.dim() != 3 or points.shape[-1] < 1:
        raise ValueError(f"{name}: expected Tensor[B, N, 3], got shape {_shape(points)}")
    if not points.is_floating_point():
        raise ValueError(f"{name}: expected a floating-point tensor, got dtype {points.dtype}")


def _gather_rows(x: Tensor, idx: Tensor) -> Tensor:
    """``x[b, idx[b, ...]]`` for x Tensor[B, N, C] and idx Tensor[B, ...] int64 (all valid)."""
    B, N, C = x.shape
    flat = idx.reshape(B, -1)  # (B, P)
    out = torch.gather(x, 1, flat.unsqueeze(-1).expand(B, flat.shape[1], C))  # (B, P, C)
    return out.reshape(*idx.shape, C)


def farthest_point_sample(points: Tensor, k: int, start: int = 0) -> Tensor:
    """Pick ``k`` points per cloud, each the farthest from those already picked.

    The first index is ``start``; every next one maximises the squared Euclidean distance to the
    nearest point picked so far. Ties go to the lowest index. A point is never picked twice, so when
    the cloud has fewer than ``k`` distinct positions the remaining picks are duplicates of earlier
    positions taken in index order (distance 0, lowest unpicked index first).

    Args:
        points (Tensor[B, N, 3]): coordinates (any number of coordinate columns works).
        k (int): number of samples, ``1 <= k <= N``.
        start (int): index of the first sample, ``0 <= start < N`` (deterministic start).

    Returns:
        Tensor[B, k] int64: indices into ``points``, in the order they were picked.

    Reference: Qi et al., PointNet++ (NeurIPS 2017), Sec. 3.2 "Sampling layer"; cheatsheet §1.
    Concepts: points.pointnet2
    """
    _require_points(points)
    B, N, _ = points.shape
    if not isinstance(k, int) or isinstance(k, bool) or not 1 <= k <= N:
        raise ValueError(f"k: expected an int in [1, N={N}], got {k!r}")
    if not isinstance(start, int) or isinstance(start, bool) or not 0 <= start < N:
        raise ValueError(f"start: expected an int in [0, N={N}), got {start!r}")
    idx = torch.empty(B, k, dtype=torch.long, device=points.device)
    idx[:, 0] = start
    # distance of every point to its nearest picked point; picked points get -1 so they never win
    dist = torch.full((B, N), float("inf"), dtype=points.dtype, device=points.device)
    rows = torch.arange(B, device=points.device)
    last = idx[:, 0]
    for j in range(1, k):  # inherently sequential over the k samples; vectorized over B and N
        dist[rows, last] = -1.0
        d = (points - points[rows, last].unsqueeze(1)).square().sum(-1)  # (B, N)
        dist = torch.minimum(dist, d)
        last = torch.argmax(dist, dim=1)  # first maximal index: ties to the lowest index
        idx[:, j] = last
    return idx


def ball_query(points: Tensor, centers: Tensor, radius: float, k: int) -> Tensor:
    """Indices of up to ``k`` points within ``radius`` of each centre.

    A point is inside when its squared distance is strictly less than ``radius**2``. The first ``k``
    inside points in index order are kept; a centre with fewer than ``k`` fills the remaining slots
    with the first neighbour found (as PointNet++'s CUDA kernel does); a centre with none gets ``-1``
    in every slot.

    Args:
        points (Tensor[B, N, 3]): the cloud.
        centers (Tensor[B, M, 3]): query centres (same coordinate count as ``points``).
        radius (float): ball radius, ``> 0``.
        k (int): neighbours per centre, ``>= 1``.

    Returns:
        Tensor[B, M, k] int64: indices into ``points``, ascending except for the padding; ``-1``
        only where a centre has no neighbour.

    Reference: Qi et al., PointNet++ (NeurIPS 2017), Sec. 3.2 "Grouping layer"; cheatsheet §1.
    Concepts: points.pointnet2
    """
    _require_points(points)
    _require_points(centers, "centers")
    B, N, P = points.shape
    if centers.shape[0] != B or centers.shape[2] != P:
        raise ValueError(f"centers: expected Tensor[B={B}, M, {P}], got shape {_shape(centers)}")
    if isinstance(radius, bool) or not isinstance(radius, (int, float)) or not radius > 0:
        raise ValueError(f"radius: expected a positive number, got {radius!r}")
    if not isinstance(k, int) or isinstance(k, bool) or k < 1:
        raise ValueError(f"k: expected an int >= 1, got {k!r}")
    d2 = (centers.unsqueeze(2) - points.unsqueeze(1)).square().sum(-1)  # (B, M, N)
    inside = d2 < radius * radius
    ar = torch.arange(N, device=points.device).expand_as(inside)
    # outside points get the sentinel N, so a sort puts the inside ones first in index order
    cand = torch.where(inside, ar, torch.full_like(ar, N))
    cand = torch.sort(cand, dim=-1).values[..., :k]  # (B, M, min(k, N))
    if cand.shape[-1] < k:
        cand = torch.cat([cand, cand.new_full((B, cand.shape[1], k - cand.shape[-1]), N)], dim=-1)
    first = cand[..., :1]
    cand = torch.where(cand == N, first.expand_as(cand), cand)
    return torch.where(cand == N, torch.full_like(cand, -1), cand)


def group(points: Tensor, centers: Tensor, idx: Tensor, features: Tensor | None = None) -> Tensor:
    """Gather each centre's neighbours in local coordinates, with their features.

    Output row ``[b, m, j]`` is ``points[b, idx[b, m, j]] - centers[b, m]`` followed by
    ``features[b, idx[b, m, j]]`` (PointNet++'s ``use_xyz``). Slots with index ``-1`` are all zeros.

    Args:
        points (Tensor[B, N, 3]): the cloud.
        centers (Tensor[B, M, 3]): the centres the neighbourhoods belong to.
        idx (Tensor[B, M, k] int64): neighbour indices, e.g. from :func:`ball_query`.
        features (Tensor[B, N, C] or None): per-point features to carry along.

    Returns:
        Tensor[B, M, k, 3 + C]: relative coordinates, then features (``C = 0`` when ``features`` is None).

    Reference: Qi et al., PointNet++ (NeurIPS 2017), Sec. 3.2 "Grouping layer" (relative coordinates).
    Concepts: points.pointnet2
    """
    _require_points(points)
    _require_points(centers, "centers")
    B, N, P = points.shape
    if centers.shape[0] != B or centers.shape[2] != P:
        raise ValueError(f"centers: expected Tensor[B={B}, M, {P}], got shape {_shape(centers)}")
    M = centers.shape[1]
    _require_tensor(idx, "idx")
    if idx.dim() != 3 or idx.shape[:2] != (B, M) or idx.dtype != torch.long:
        raise ValueError(f"idx: expected Tensor[B={B}, M={M}, k] int64, got shape {_shape(idx)} {idx.dtype}")
    if features is not None:
        _require_tensor(features, "features")
        if features.dim() != 3 or features.shape[:2] != (B, N):
            raise ValueError(f"features: expected Tensor[B={B}, N={N}, C], got shape {_shape(features)}")
    valid = idx >= 0
    safe = idx.clamp(min=0)
    rel = _gather_rows(points, safe) - centers.unsqueeze(2)  # (B, M, k, 3)
    parts = [rel]
    if features is not None:
        parts.append(_gather_rows(features, safe).to(rel.dtype))  # (B, M, k, C)
    out = torch.cat(parts, dim=-1)
    return out * valid.unsqueeze(-1).to(out.dtype)


def set_abstraction(
    points: Tensor,
    features: Tensor | None,
    num_centers: int,
    radius: float,
    k: int,
    mlp: Sequence[tuple[Tensor, Tensor | None]],
    start: int = 0,
) -> tuple[Tensor, Tensor]:
    """One PointNet++ set-abstraction level: FPS, ball query, group, shared MLP, max-pool.

    Centres are ``farthest_point_sample(points, num_centers, start)``; each gathers up to ``k``
    neighbours with :func:`ball_query` (a centre is one of the points, so it always has at least
    itself); :func:`group` gives ``[relative xyz, features]``; the shared MLP applies
    ``relu(h @ W + b)`` for every layer (batch norm left out) and a max over the ``k`` neighbours
    pools each neighbourhood into one feature vector.

    Args:
        points (Tensor[B, N, 3]): the cloud.
        features (Tensor[B, N, C] or None): per-point features (None on the first level).
        num_centers (int): ``M``, the number of centres.
        radius (float): ball-query radius (strict ``d² < r²``).
        k (int): neighbours per centre.
        mlp (sequence of (Tensor[C_in, C_out], Tensor[C_out] or None)): the shared MLP, first
            ``C_in = 3 + C``.
        start (int): FPS start index.

    Returns:
        (Tensor[B, M, 3], Tensor[B, M, C_out]): the centres and their pooled features.

    Reference: Qi et al., PointNet++ (NeurIPS 2017), Sec. 3.2, Fig. 2; cheatsheet §1.
    Concepts: points.pointnet2
    """
    _require_points(points)
    if isinstance(mlp, Tensor) or not isinstance(mlp, Sequence) or len(mlp) == 0:
        raise ValueError(f"mlp: expected a non-empty sequence of (weight, bias) pairs, got {type(mlp).__name__}")
    width = points.shape[-1] + (0 if features is None else features.shape[-1])
    for i, layer in enumerate(mlp):
        if not isinstance(layer, (tuple, list)) or len(layer) != 2:
            raise ValueError(f"mlp[{i}]: expected a (weight, bias) pair, got {type(layer).__name__}")
        W, b = layer
        _require_tensor(W, f"mlp[{i}] weight")
        if W.dim() != 2 or W.shape[0] != width:
            raise ValueError(f"mlp[{i}] weight: expected Tensor[{width}, C_out], got shape {_shape(W)}")
        if b is not None and (not isinstance(b, Tensor) or b.shape != (W.shape[1],)):
            got = _shape(b) if isinstance(b, Tensor) else type(b).__name__
            raise ValueError(f"mlp[{i}] bias: expected Tensor[{W.shape[1]}], got {got}")
        width = W.shape[1]
    center_idx = farthest_point_sample(points, num_centers, start)  # (B, M)
    centers = _gather_rows(points, center_idx)  # (B, M, 3)
    idx = ball_query(points, centers, radius, k)  # (B, M, k)
    h = group(points, centers, idx, features)  # (B, M, k, 3 + C)
    for W, b in mlp:
        h = h @ W
        if b is not None:
            h = h + b
        h = torch.relu(h)
    return centers, h.amax(dim=2)  # (B, M, C_out)


def _voxel_size3(voxel_size: float | Sequence[float], name: str = "voxel_size") -> list[float]:
    if isinstance(voxel_size, (int, float)) and not isinstance(voxel_size, bool):
        sizes = [float(voxel_size)] * 3
    elif isinstance(voxel_size, Sequence) and len(voxel_size) == 3:
        sizes = [float(s) for s in voxel_size]
    else:
        raise ValueError(f"{name}: expected a positive number or 3 numbers (x, y, z), got {voxel_size!r}")
    if not all(s > 0 for s in sizes):
        raise ValueError(f"{name}: expected positive sizes, got {voxel_size!r}")
    return sizes


def voxelize(
    points: Tensor,
    features: Tensor,
    voxel_size: float | Sequence[float],
    point_range: Sequence[float],
) -> tuple[Tensor, Tensor, Tensor]:
    """Put points into voxels and keep the mean feature of each occupied voxel.

    The voxel of a point ``p`` is ``floor((p - range_min) / voxel_size)`` per axis. Points outside
    the half-open box ``[range_min, range_max)`` are dropped. Voxels come out sorted by their
    linear index ``(x · G_y + y) · G_z + z`` (batch first when batched), i.e. in lexicographic
    (b, x, y, z) order, where ``G = ceil((range_max - range_min) / voxel_size)`` is the grid size.

    Args:
        points (Tensor[N, 3] or Tensor[B, N, 3]): coordinates (x, y, z).
        features (Tensor[N, C] or Tensor[B, N, C]): per-point features (pass ``points`` to store the
            mean position, as the cheatsheet suggests against discretisation error).
        voxel_size (float or 3 floats): edge length per axis (x, y, z).
        point_range (6 floats): ``(x_min, y_min, z_min, x_max, y_max, z_max)``.

    Returns:
        (coords, mean_features, counts): ``Tensor[M, 3]`` int64 voxel coordinates (x, y, z), or
        ``Tensor[M, 4]`` (b, x, y, z) for a batched input; ``Tensor[M, C]`` the mean feature of the
        points in each voxel (features' dtype); ``Tensor[M]`` int64 the number of points per voxel.

    Reference: cheatsheet §1 "Voxelization"; Zhou & Tuzel, VoxelNet (CVPR 2018), Sec. 2.1.1.
    Concepts: points.voxelization
    """
    _require_tensor(points, "points")
    _require_tensor(features, "features")
    if points.dim() not in (2, 3) or points.shape[-1] != 3 or not points.is_floating_point():
        raise ValueError("points: expected a float Tensor[N, 3] or Tensor[B, N, 3], "
                         f"got shape {_shape(points)} {points.dtype}")
    if features.dim() != points.dim() or features.shape[:-1] != points.shape[:-1]:
        want = "Tensor[N, C]" if points.dim() == 2 else "Tensor[B, N, C]"
        raise ValueError(f"features: expected {want} matching points {_shape(points)}, got shape {_shape(features)}")
    sizes = _voxel_size3(voxel_size)
    if isinstance(point_range, Tensor) or not isinstance(point_range, Sequence) or len(point_range) != 6:
        raise ValueError("point_range: expected 6 numbers (x_min, y_min, z_min, x_max, y_max, z_max), "
                         f"got {point_range!r}")
    lo = [float(v) for v in point_range[:3]]
    hi = [float(v) for v in point_range[3:]]
    if not all(h > l for l, h in zip(lo, hi)):
        raise ValueError(f"point_range: expected each max > min, got {point_range!r}")
    grid = [max(1, int(-(-(h - l) // s))) for l, h, s in zip(lo, hi, sizes)]  # ceil
    batched = points.dim() == 3
    if batched:
        B, N, _ = points.shape
        bidx = torch.arange(B, device=points.device).repeat_interleave(N)
        pts = points.reshape(B * N, 3)
        feats = features.reshape(B * N, -1)
    else:
        bidx = torch.zeros(points.shape[0], dtype=torch.long, device=points.device)
        pts, feats = points, features
    dev, dt = pts.device, pts.dtype
    lo_t = torch.tensor(lo, dtype=dt, device=dev)
    hi_t = torch.tensor(hi, dtype=dt, device=dev)
    size_t = torch.tensor(sizes, dtype=dt, device=dev)
    grid_t = torch.tensor(grid, dtype=torch.long, device=dev)
    keep = ((pts >= lo_t) & (pts < hi_t)).all(dim=1)
    pts, feats, bidx = pts[keep], feats[keep], bidx[keep]
    # clamp guards against p just below range_max rounding up to G
    vox = torch.floor((pts - lo_t) / size_t).long().clamp(min=torch.zeros_like(grid_t), max=grid_t - 1)  # (N', 3)
    key = ((bidx * grid[0] + vox[:, 0]) * grid[1] + vox[:, 1]) * grid[2] + vox[:, 2]
    uniq, inverse, counts = torch.unique(key, sorted=True, return_inverse=True, return_counts=True)
    M = uniq.shape[0]
    sums = torch.zeros(M, feats.shape[1], dtype=feats.dtype, device=dev).index_add_(0, inverse, feats)
    mean = sums / counts.unsqueeze(1).to(feats.dtype)
    z = uniq % grid[2]
    y = (uniq // grid[2]) % grid[1]
    x = (uniq // (grid[2] * grid[1])) % grid[0]
    cols = [x, y, z]
    if batched:
        cols.insert(0, uniq // (grid[2] * grid[1] * grid[0]))
    return torch.stack(cols, dim=1), mean, counts


def _row_keys(rows: Tensor, lo: Tensor, extent: Tensor) -> Tensor:
    """Linear keys of integer rows (b, x, y, z) given a per-column minimum and extent."""
    r = rows - lo
    key = r[:, 0]
    for j in range(1, rows.shape[1]):
        key = key * extent[j] + r[:, j]
    return key


def sparse_conv3d(
    coords: Tensor,
    features: Tensor,
    weight: Tensor,
    bias: Tensor | None = None,
    submanifold: bool = True,
    stride: int = 1,
) -> tuple[Tensor, Tensor]:
    """3D convolution over the active voxels only, looked up in a hash of active sites.

    The kernel is centred: with ``r = K // 2`` an output site ``o`` reads the inputs at
    ``o · stride + δ`` for every offset ``δ ∈ {-r, …, r}³`` (inactive sites count as zero) and
    computes ``Σ_δ features[o·stride + δ] @ weight[δ + r] + bias`` — the same as ``F.conv3d`` with
    ``padding = r`` on the densified grid, read at the output sites.

    - ``submanifold=True``: outputs only at the active input sites, in the input's order (so the
      set of active sites never dilates); needs ``stride == 1``.
    - ``submanifold=False`` (regular sparse conv): an output at every site whose receptive field
      touches an active input, i.e. every ``o`` with ``o · stride = q - δ`` for an active ``q``;
      output sites sorted in lexicographic (b, x, y, z) order. With ``stride = 1`` the active set
      dilates by ``r`` voxels in every direction.

    Args:
        coords (Tensor[M, 3] or Tensor[M, 4] int64): active sites (x, y, z), or (b, x, y, z) with
            a batch column first; no duplicates.
        features (Tensor[M, C_in]): features of the active sites.
        weight (Tensor[K, K, K, C_in, C_out]): one ``[C_in, C_out]`` matrix per offset, indexed by
            (x, y, z) offset ``+ r``; ``K`` odd.
        bias (Tensor[C_out] or None).
        submanifold (bool): submanifold (True) or regular (False) sparse convolution.
        stride (int): ``>= 1``; only regular convolution may stride.

    Returns:
        (Tensor[M', 3 or 4] int64, Tensor[M', C_out]): output sites and their features.

    Reference: Graham & van der Maaten, Submanifold Sparse Convolutional Networks (2017), Sec. 3;
    cheatsheet §1 "Sparse Convolution".
    Concepts: points.sparse_conv
    """
    _require_tensor(coords, "coords")
    _require_tensor(features, "features")
    _require_tensor(weight, "weight")
    if coords.dim() != 2 or coords.shape[1] not in (3, 4) or coords.dtype != torch.long:
        raise ValueError("coords: expected Tensor[M, 3] or Tensor[M, 4] int64, "
                         f"got shape {_shape(coords)} {coords.dtype}")
    M = coords.shape[0]
    if features.dim() != 2 or features.shape[0] != M:
        raise ValueError(f"features: expected Tensor[M={M}, C_in], got shape {_shape(features)}")
    C_in = features.shape[1]
    if weight.dim() != 5 or weight.shape[0] % 2 != 1 or not (weight.shape[0] == weight.shape[1] == weight.shape[2]) \
            or weight.shape[3] != C_in:
        raise ValueError(f"weight: expected Tensor[K, K, K, C_in={C_in}, C_out] with K odd, got shape {_shape(weight)}")
    K, C_out = weight.shape[0], weight.shape[4]
    if bias is not None and (not isinstance(bias, Tensor) or bias.shape != (C_out,)):
        got = _shape(bias) if isinstance(bias, Tensor) else type(bias).__name__
        raise ValueError(f"bias: expected Tensor[C_out={C_out}], got {got}")
    if not isinstance(stride, int) or isinstance(stride, bool) or stride < 1:
        raise ValueError(f"stride: expected an int >= 1, got {stride!r}")
    if submanifold and stride != 1:
        raise ValueError(f"stride: submanifold convolution keeps the input sites, expected 1, got {stride}")
    if M and torch.unique(coords, dim=0).shape[0] != M:
        raise ValueError("coords: expected distinct active sites, got duplicate rows")
    dev = coords.device
    if M == 0:
        out_feats = features.new_zeros(0, C_out)
        return coords.clone(), out_feats + bias if bias is not None else out_feats
    r = K // 2
    ar = torch.arange(-r, r + 1, device=dev)
    offsets = torch.stack(torch.meshgrid(ar, ar, ar, indexing="ij"), dim=-1).reshape(-1, 3)  # (K³, 3)
    nb = coords.shape[1] - 3  # 1 when there is a batch column
    pad = torch.zeros(offsets.shape[0], nb, dtype=torch.long, device=dev)
    offsets_b = torch.cat([pad, offsets], dim=1)  # (K³, 3 or 4), batch offset 0
    spatial = torch.cat([torch.ones(nb, dtype=torch.long, device=dev),
                         torch.full((3,), stride, dtype=torch.long, device=dev)])
    if submanifold:
        out_coords = coords
    else:
        cand = coords.unsqueeze(0) - offsets_b.unsqueeze(1)  # (K³, M, 3 or 4): o·s = q - δ
        cand = cand.reshape(-1, coords.shape[1])
        cand = cand[(cand % spatial == 0).all(dim=1)] // spatial
        out_coords = torch.unique(cand, dim=0)  # sorted lexicographically
    # every input site an output reads: (K³, M', 3 or 4)
    queries = out_coords.unsqueeze(0) * spatial + offsets_b.unsqueeze(1)
    both = torch.cat([coords, queries.reshape(-1, coords.shape[1])], dim=0)
    lo = both.amin(dim=0)
    extent = both.amax(dim=0) - lo + 1
    table = _row_keys(coords, lo, extent)  # the hash of active sites: sorted keys + their rows
    table_sorted, order = torch.sort(table)
    out = features.new_zeros(out_coords.shape[0], C_out)
    w = weight.reshape(-1, C_in, C_out)  # (K³, C_in, C_out), same offset order as `offsets`
    for j in range(offsets.shape[0]):  # one lookup and one matmul per kernel offset
        qk = _row_keys(queries[j], lo, extent)
        pos = torch.searchsorted(table_sorted, qk).clamp(max=M - 1)
        hit = table_sorted[pos] == qk
        src = order[pos[hit]]
        out[hit] += features[src] @ w[j]
    if bias is not None:
        out = out + bias
    return out_coords, out
