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


def _check_points(points: object, name: str = "points", like: Tensor | None = None) -> Tensor:
    """A float Tensor[B, N, 3] (any number of coordinate columns); with ``like``, the same B and columns."""
    expected = "a float Tensor[B, N, 3]" if like is None else f"a float Tensor[B={like.shape[0]}, M, {like.shape[2]}]"
    _check_tensor(points, name, expected)
    if points.dim() != 3 or points.shape[-1] < 1 or not points.is_floating_point() or (
            like is not None and (points.shape[0] != like.shape[0] or points.shape[2] != like.shape[2])):
        raise ValueError(f"{name}: expected {expected}, got {_describe(points)}")
    return points


def _check_finite(points: Tensor, name: str = "points") -> None:
    """NaN or inf coordinates have no nearest or farthest point: refuse them (one host sync)."""
    if not bool(torch.isfinite(points).all()):
        raise ValueError(f"{name}: expected finite coordinates, got NaN or inf in {_describe(points)}")


def _check_int(value: object, name: str, low: int, high: int | None = None, expected: str | None = None) -> int:
    """An int (not a bool) in ``[low, high]``; ``expected`` overrides the description."""
    if isinstance(value, bool) or not isinstance(value, int) or value < low or (high is not None and value > high):
        raise ValueError(f"{name}: expected {expected or f'an int >= {low}'}, got {_describe(value)}")
    return value


def _opmath(x: Tensor) -> Tensor:
    """Half-precision coordinates widened to float32: a float16 squared distance overflows past 256."""
    return x.float() if x.dtype in (torch.float16, torch.bfloat16) else x


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
    positions taken in index order (distance 0, lowest unpicked index first). Distances of
    float16/bfloat16 points are compared in float32 (a float16 square overflows past 256); a NaN or
    infinite coordinate has no farthest point and raises ValueError.

    Args:
        points (Tensor[B, N, 3]): finite coordinates (any number of coordinate columns works).
        k (int): number of samples, ``1 <= k <= N``.
        start (int): index of the first sample, ``0 <= start < N`` (deterministic start).

    Returns:
        Tensor[B, k] int64: indices into ``points``, in the order they were picked.

    Reference: Qi et al., PointNet++ (NeurIPS 2017), Sec. 3.2 "Sampling layer"; cheatsheet §1.
    Concepts: points.pointnet2
    """
    _check_points(points)
    B, N, P = points.shape
    _check_int(k, "k", 1, N, f"an int in [1, N={N}]")
    _check_int(start, "start", 0, N - 1, f"an int in [0, N={N})")
    _check_finite(points)
    # float16 distances overflow: compare them in float32. Coordinates as rows (B, 3, N), so that
    # each step's sum over the coordinates runs along contiguous memory.
    p = _opmath(points).transpose(1, 2).contiguous()  # (B, 3, N)
    # distance of every point to its nearest picked point; picked points get -1 so they never win
    dist = torch.full((B, N), float("inf"), dtype=p.dtype, device=p.device)
    last = torch.full((B,), start, dtype=torch.long, device=p.device)
    picks = [last]
    for _ in range(1, k):  # inherently sequential over the k samples; vectorized over B and N
        dist.scatter_(1, last.unsqueeze(1), -1.0)
        center = torch.gather(p, 2, last.view(B, 1, 1).expand(B, P, 1))  # (B, 3, 1)
        torch.minimum(dist, torch.sub(p, center).square_().sum(1), out=dist)  # (B, N)
        last = torch.argmax(dist, dim=1)  # first maximal index: ties to the lowest index
        picks.append(last)
    return torch.stack(picks, dim=1)  # (B, k)


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
    _check_points(points)
    _check_points(centers, "centers", like=points)
    B, N, P = points.shape
    if isinstance(radius, bool) or not isinstance(radius, (int, float)) or not radius > 0:
        raise ValueError(f"radius: expected a positive number, got {_describe(radius)}")
    _check_int(k, "k", 1)
    p, c = _opmath(points), _opmath(centers)
    d2 = (c[..., 0:1] - p[..., 0].unsqueeze(1)).square()  # (B, M, N), one coordinate at a time:
    for j in range(1, P):  # no (B, M, N, 3) intermediate
        d2 += (c[..., j:j + 1] - p[..., j].unsqueeze(1)).square()
    inside = d2 < radius * radius
    # The first k inside points by a selection, not a sort of all N: inside points get the key
    # N - index (distinct, larger for lower indices), outside ones -1; topk takes the k largest keys.
    key = torch.where(inside, N - torch.arange(N, dtype=torch.int32, device=points.device), -1)  # (B, M, N) int32
    top = torch.topk(key, min(k, N), dim=-1)  # (B, M, min(k, N)), inside points in index order first
    cand = torch.where(top.values > 0, top.indices, -1)
    if cand.shape[-1] < k:
        cand = torch.cat([cand, cand.new_full((B, cand.shape[1], k - cand.shape[-1]), -1)], dim=-1)
    first = cand[..., :1]
    return torch.where(cand < 0, first.expand_as(cand), cand)  # pad with the first (-1 when there is none)


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
    _check_points(points)
    _check_points(centers, "centers", like=points)
    B, N, P = points.shape
    M = centers.shape[1]
    expected = f"Tensor[B={B}, M={M}, k] int64"
    _check_tensor(idx, "idx", expected)
    if idx.dim() != 3 or idx.shape[:2] != (B, M) or idx.dtype != torch.long:
        raise ValueError(f"idx: expected {expected}, got {_describe(idx)}")
    if features is not None:
        expected = f"Tensor[B={B}, N={N}, C]"
        _check_tensor(features, "features", expected)
        if features.dim() != 3 or features.shape[:2] != (B, N):
            raise ValueError(f"features: expected {expected}, got {_describe(features)}")
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
    _check_points(points)
    if isinstance(mlp, Tensor) or not isinstance(mlp, Sequence) or len(mlp) == 0:
        raise ValueError(f"mlp: expected a non-empty sequence of (weight, bias) pairs, got {_describe(mlp)}")
    width = points.shape[-1] + (0 if features is None else features.shape[-1])
    for i, layer in enumerate(mlp):
        if not isinstance(layer, (tuple, list)) or len(layer) != 2:
            raise ValueError(f"mlp[{i}]: expected a (weight, bias) pair, got {_describe(layer)}")
        W, b = layer
        _check_tensor(W, f"mlp[{i}] weight", f"Tensor[{width}, C_out]")
        if W.dim() != 2 or W.shape[0] != width:
            raise ValueError(f"mlp[{i}] weight: expected Tensor[{width}, C_out], got {_describe(W)}")
        if b is not None and (not isinstance(b, Tensor) or b.shape != (W.shape[1],)):
            raise ValueError(f"mlp[{i}] bias: expected Tensor[{W.shape[1]}] or None, got {_describe(b)}")
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
        raise ValueError(f"{name}: expected a positive number or 3 positive numbers (x, y, z), got {voxel_size!r}")
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
    (b, x, y, z) order, where ``G = ceil((range_max - range_min) / voxel_size)`` is the grid size
    (a grid too fine for that index to fit in int64 is sorted as (b, x, y, z) rows: the same order).

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
    expected = "a float Tensor[N, 3] or Tensor[B, N, 3]"
    _check_tensor(points, "points", expected)
    if points.dim() not in (2, 3) or points.shape[-1] != 3 or not points.is_floating_point():
        raise ValueError(f"points: expected {expected}, got {_describe(points)}")
    expected = "Tensor[N, C]" if points.dim() == 2 else "Tensor[B, N, C]"
    expected += f" matching points {_describe(points)}"
    _check_tensor(features, "features", expected)
    if features.dim() != points.dim() or features.shape[:-1] != points.shape[:-1]:
        raise ValueError(f"features: expected {expected}, got {_describe(features)}")
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
    n_batch = points.shape[0] if batched else 1
    if n_batch * grid[0] * grid[1] * grid[2] <= torch.iinfo(torch.long).max:  # exact in Python ints
        key = ((bidx * grid[0] + vox[:, 0]) * grid[1] + vox[:, 1]) * grid[2] + vox[:, 2]
        uniq, inverse, counts = torch.unique(key, sorted=True, return_inverse=True, return_counts=True)
        z = uniq % grid[2]
        y = (uniq // grid[2]) % grid[1]
        x = (uniq // (grid[2] * grid[1])) % grid[0]
        coords = torch.stack([uniq // (grid[2] * grid[1] * grid[0]), x, y, z], dim=1)
    else:  # the linear key would overflow int64: unique rows (b, x, y, z), the same lexicographic order
        coords, inverse, counts = torch.unique(torch.cat([bidx.unsqueeze(1), vox], dim=1), dim=0,
                                               return_inverse=True, return_counts=True)
    M = coords.shape[0]
    sums = torch.zeros(M, feats.shape[1], dtype=_opmath(feats).dtype, device=dev).index_add_(0, inverse, _opmath(feats))
    mean = (sums / counts.unsqueeze(1).to(sums.dtype)).to(feats.dtype)
    return (coords if batched else coords[:, 1:]), mean, counts


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
    expected = "Tensor[M, 3] or Tensor[M, 4] int64"
    _check_tensor(coords, "coords", expected)
    if coords.dim() != 2 or coords.shape[1] not in (3, 4) or coords.dtype != torch.long:
        raise ValueError(f"coords: expected {expected}, got {_describe(coords)}")
    M = coords.shape[0]
    expected = f"Tensor[M={M}, C_in]"
    _check_tensor(features, "features", expected)
    if features.dim() != 2 or features.shape[0] != M:
        raise ValueError(f"features: expected {expected}, got {_describe(features)}")
    C_in = features.shape[1]
    expected = f"Tensor[K, K, K, C_in={C_in}, C_out] with K odd"
    _check_tensor(weight, "weight", expected)
    if weight.dim() != 5 or weight.shape[0] % 2 != 1 or not (weight.shape[0] == weight.shape[1] == weight.shape[2]) \
            or weight.shape[3] != C_in:
        raise ValueError(f"weight: expected {expected}, got {_describe(weight)}")
    K, C_out = weight.shape[0], weight.shape[4]
    if bias is not None and (not isinstance(bias, Tensor) or bias.shape != (C_out,)):
        raise ValueError(f"bias: expected Tensor[C_out={C_out}] or None, got {_describe(bias)}")
    _check_int(stride, "stride", 1)
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
    # Gather-GEMM (im2col over the active sites): look every (offset, output) query up at once,
    # gather the input features it reads (zeros where the site is inactive), and do one matmul
    # (M', K³·C_in) @ (K³·C_in, C_out). The same sum as Σ_δ features[o·s + δ] @ weight[δ + r],
    # with no host sync per offset.
    qk = _row_keys(queries.reshape(-1, coords.shape[1]), lo, extent)  # (K³·M',)
    pos = torch.searchsorted(table_sorted, qk).clamp(max=M - 1)
    hit = (table_sorted[pos] == qk).unsqueeze(1)  # (K³·M', 1)
    cols = features[order[pos]] * hit.to(features.dtype)  # (K³·M', C_in)
    M_out = out_coords.shape[0]
    cols = cols.reshape(K ** 3, M_out, C_in).transpose(0, 1).reshape(M_out, K ** 3 * C_in)  # (M', K³·C_in)
    out = cols @ weight.reshape(-1, C_out)  # rows of weight in the same offset order as `offsets`
    if bias is not None:
        out = out + bias
    return out_coords, out
