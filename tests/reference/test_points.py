"""reference/points.py against slow loops written from the definitions and against F.conv3d."""

from __future__ import annotations

import itertools
import re

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st


# the device fixture is fixed for a whole test, so reusing it across examples is safe
FIXTURE_OK = [HealthCheck.function_scoped_fixture]


@pytest.fixture(scope="module")
def P(course):
    return course.reference("points")


# ---------------------------------------------------------------- slow oracles from the definitions


def fps_loop(pts: np.ndarray, k: int, start: int) -> list[int]:
    """Farthest point sampling one point at a time, in exact float64 arithmetic."""
    chosen = [start]
    n = len(pts)
    while len(chosen) < k:
        best, best_d = None, -1.0
        for i in range(n):
            if i in chosen:
                continue
            d = min(float(((pts[i] - pts[j]) ** 2).sum()) for j in chosen)
            if d > best_d:  # strict: ties keep the lowest index
                best, best_d = i, d
        chosen.append(best)
    return chosen


def ball_query_loop(pts: np.ndarray, center: np.ndarray, r: float, k: int) -> list[int]:
    found = [i for i in range(len(pts)) if float(((pts[i] - center) ** 2).sum()) < r * r][:k]
    if not found:
        return [-1] * k
    return found + [found[0]] * (k - len(found))


# ---------------------------------------------------------------- farthest point sampling


def test_fps_matches_a_slow_loop_on_random_clouds(P, device):
    g = torch.Generator().manual_seed(0)
    pts = torch.randn(3, 40, 3, generator=g, dtype=torch.float64)
    idx = P.farthest_point_sample(pts.to(device), 12, start=5)
    assert idx.device.type == device and idx.dtype == torch.int64 and idx.shape == (3, 12)
    for b in range(3):
        assert idx[b].tolist() == fps_loop(pts[b].numpy(), 12, 5)


def test_fps_breaks_ties_towards_the_lowest_index(P, device):
    # from the origin, points 1 and 2 are equally far (distance² 4); 1 must win
    pts = torch.tensor([[[0.0, 0, 0], [2, 0, 0], [0, 2, 0], [0.5, 0, 0]]], device=device)
    assert P.farthest_point_sample(pts, 3).tolist() == [[0, 1, 2]]


def test_fps_on_a_line_picks_the_far_end_then_the_middle(P, device):
    pts = torch.tensor([[[0.0, 0, 0], [1, 0, 0], [2, 0, 0], [3, 0, 0], [4, 0, 0]]], device=device)
    assert P.farthest_point_sample(pts, 3, start=0).tolist() == [[0, 4, 2]]


def test_fps_never_repeats_an_index_even_with_duplicate_points(P, device):
    pts = torch.zeros(1, 5, 3, device=device)
    assert P.farthest_point_sample(pts, 5, start=2).tolist() == [[2, 0, 1, 3, 4]]


@given(n=st.integers(1, 30), seed=st.integers(0, 2**16), data=st.data())
@settings(max_examples=40, suppress_health_check=FIXTURE_OK)
def test_fps_indices_are_distinct_and_start_with_start(P, device, n, seed, data):
    k = data.draw(st.integers(1, n))
    start = data.draw(st.integers(0, n - 1))
    pts = torch.randn(2, n, 3, generator=torch.Generator().manual_seed(seed)).to(device)
    idx = P.farthest_point_sample(pts, k, start)
    assert idx.device.type == device
    assert (idx[:, 0] == start).all()
    for row in idx.tolist():
        assert len(set(row)) == k and all(0 <= i < n for i in row)


@pytest.mark.parametrize("args, message", [
    ((torch.zeros(5, 3), 2), "points: expected a float Tensor[B, N, 3], got Tensor[5, 3] float32"),
    ((torch.zeros(1, 5, 3), 6), "k: expected an int in [1, N=5], got 6"),
    ((torch.zeros(1, 5, 3), 2, 5), "start: expected an int in [0, N=5), got 5"),
    (([[[0.0, 0.0, 0.0]]], 1), "points: expected a float Tensor[B, N, 3], got list"),
    ((torch.tensor([[[0.0, 0, 0], [float("nan"), 0, 0]]]), 2),
     "points: expected finite coordinates, got NaN or inf in Tensor[1, 2, 3] float32"),
], ids=["unbatched", "k-too-large", "start-out-of-range", "list", "nan"])
def test_fps_rejects_bad_arguments_by_name(P, args, message):
    with pytest.raises(ValueError) as info:
        P.farthest_point_sample(*args)
    assert str(info.value) == message


@pytest.mark.parametrize("dtype", [torch.float16, torch.bfloat16], ids=["float16", "bfloat16"])
def test_fps_in_half_precision_picks_what_float32_picks_on_a_large_cloud(P, device, dtype):
    # coordinates in the hundreds: float16 squared distances overflow to inf unless widened
    g = torch.Generator().manual_seed(4)
    pts = (torch.rand(2, 300, 3, generator=g) * 1000).to(dtype)
    idx = P.farthest_point_sample(pts.to(device), 20)
    assert idx.cpu().tolist() == P.farthest_point_sample(pts.float(), 20).tolist()
    assert all(len(set(row)) == 20 for row in idx.tolist())


def test_fps_on_a_non_contiguous_cloud_matches_the_slow_loop(P, device):
    g = torch.Generator().manual_seed(5)
    pts = torch.randn(3, 30, 2, generator=g, dtype=torch.float64).transpose(0, 1)  # (30, 3, 2) -> use (2, 30, 3)
    pts = pts.permute(2, 0, 1)  # (2, 30, 3), not contiguous
    assert not pts.is_contiguous()
    idx = P.farthest_point_sample(pts.to(device), 8, start=3)
    for b in range(2):
        assert idx[b].tolist() == fps_loop(pts[b].contiguous().numpy(), 8, 3)


# ---------------------------------------------------------------- ball query and grouping


def test_ball_query_matches_a_slow_loop(P, device):
    g = torch.Generator().manual_seed(1)
    pts = torch.rand(2, 50, 3, generator=g, dtype=torch.float64)
    centers = torch.rand(2, 7, 3, generator=g, dtype=torch.float64) * 1.6 - 0.3  # some far outside
    idx = P.ball_query(pts.to(device), centers.to(device), 0.3, 5)
    assert idx.shape == (2, 7, 5) and idx.dtype == torch.int64 and idx.device.type == device
    for b, m in itertools.product(range(2), range(7)):
        assert idx[b, m].tolist() == ball_query_loop(pts[b].numpy(), centers[b, m].numpy(), 0.3, 5)


def test_ball_query_is_strict_at_the_radius_and_pads_with_the_first_neighbour(P, device):
    pts = torch.tensor([[[1.0, 0, 0], [0.5, 0, 0], [3, 0, 0], [0, 0.25, 0]]], device=device)
    centers = torch.tensor([[[0.0, 0, 0], [10, 0, 0]]], device=device)
    idx = P.ball_query(pts, centers, 1.0, 4)  # point 0 lies exactly on the sphere: outside
    assert idx.tolist() == [[[1, 3, 1, 1], [-1, -1, -1, -1]]]


@given(seed=st.integers(0, 2**16), r=st.floats(0.05, 1.5), k=st.integers(1, 8))
@settings(max_examples=40, suppress_health_check=FIXTURE_OK)
def test_every_ball_query_neighbour_lies_inside_the_radius(P, device, seed, r, k):
    g = torch.Generator().manual_seed(seed)
    pts, centers = torch.rand(1, 30, 3, generator=g).to(device), torch.rand(1, 6, 3, generator=g).to(device)
    idx = P.ball_query(pts, centers, r, k)
    for m in range(6):
        row = idx[0, m]
        if (row == -1).any():
            assert (row == -1).all()
            assert ((pts[0] - centers[0, m]).square().sum(-1) >= r * r).all()
            continue
        d2 = (pts[0, row] - centers[0, m]).square().sum(-1)
        assert (d2 < r * r).all()


def test_group_gives_relative_coordinates_then_features_and_zeros_for_missing(P, device):
    pts = torch.tensor([[[0.0, 0, 0], [1, 2, 3], [5, 5, 5]]], device=device)
    feats = torch.tensor([[[10.0], [20.0], [30.0]]], device=device)
    centers = torch.tensor([[[1.0, 1, 1]]], device=device)
    out = P.group(pts, centers, torch.tensor([[[1, 0, -1]]], device=device), feats)
    assert out.shape == (1, 1, 3, 4)
    assert out.tolist() == [[[[0.0, 1, 2, 20], [-1, -1, -1, 10], [0, 0, 0, 0]]]]


def test_set_abstraction_matches_a_slow_pointnet_layer(P, device):
    g = torch.Generator().manual_seed(2)
    pts = torch.rand(2, 30, 3, generator=g, dtype=torch.float64)
    feats = torch.randn(2, 30, 4, generator=g, dtype=torch.float64)
    mlp = [(torch.randn(7, 8, generator=g, dtype=torch.float64), torch.randn(8, generator=g, dtype=torch.float64)),
           (torch.randn(8, 6, generator=g, dtype=torch.float64), None)]
    centers, out = P.set_abstraction(pts.to(device), feats.to(device), 5, 0.4, 6,
                                     [(W.to(device), None if b is None else b.to(device)) for W, b in mlp], start=3)
    assert centers.shape == (2, 5, 3) and out.shape == (2, 5, 6) and out.device.type == device
    for b in range(2):
        P_, Fe = pts[b].numpy(), feats[b].numpy()
        chosen = fps_loop(P_, 5, 3)
        for m, c in enumerate(chosen):
            nbrs = ball_query_loop(P_, P_[c], 0.4, 6)
            rows = []
            for j in nbrs:
                x = np.concatenate([P_[j] - P_[c], Fe[j]])
                for W, bias in mlp:
                    x = x @ W.numpy() + (0 if bias is None else bias.numpy())
                    x = np.maximum(x, 0)
                rows.append(x)
            np.testing.assert_allclose(out[b, m].cpu().numpy(), np.max(rows, axis=0), rtol=1e-10, atol=1e-12)
            np.testing.assert_allclose(centers[b, m].cpu().numpy(), P_[c])


def test_set_abstraction_names_a_mismatched_mlp_layer(P):
    with pytest.raises(ValueError, match=r"mlp\[0\] weight: expected Tensor\[5, C_out\]"):
        P.set_abstraction(torch.rand(1, 8, 3), torch.rand(1, 8, 2), 2, 0.5, 3, [(torch.rand(4, 4), None)])


# ---------------------------------------------------------------- voxelization


def voxelize_loop(pts, feats, size, lo, hi):
    cells: dict[tuple, list] = {}
    for p, f in zip(pts, feats):
        if all(lo[a] <= p[a] < hi[a] for a in range(3)):
            key = tuple(int(np.floor((p[a] - lo[a]) / size[a])) for a in range(3))
            cells.setdefault(key, []).append(f)
    keys = sorted(cells)
    return keys, [np.mean(cells[k], axis=0) for k in keys], [len(cells[k]) for k in keys]


def test_voxelize_matches_a_dictionary_of_cells(P, device):
    g = torch.Generator().manual_seed(3)
    pts = torch.rand(200, 3, generator=g, dtype=torch.float64) * 4 - 1  # partly outside the range
    feats = torch.randn(200, 2, generator=g, dtype=torch.float64)
    size, rng = (0.5, 0.25, 1.0), (0.0, -0.5, 0.0, 2.0, 1.5, 2.0)
    coords, mean, counts = P.voxelize(pts.to(device), feats.to(device), size, rng)
    keys, means, cnts = voxelize_loop(pts.numpy(), feats.numpy(), size, rng[:3], rng[3:])
    assert coords.dtype == counts.dtype == torch.int64 and mean.dtype == torch.float64
    assert coords.device.type == device
    assert [tuple(c) for c in coords.tolist()] == keys
    assert counts.tolist() == cnts
    np.testing.assert_allclose(mean.cpu().numpy(), np.array(means), rtol=1e-12)


def test_voxelize_drops_points_on_the_upper_bound_and_keeps_the_lower_bound(P, device):
    pts = torch.tensor([[0.0, 0, 0], [2.0, 0, 0], [1.99, 1.0, 0.5]], device=device)
    coords, mean, counts = P.voxelize(pts, pts, 1.0, (0, 0, 0, 2, 2, 2))
    assert coords.tolist() == [[0, 0, 0], [1, 1, 0]]
    assert counts.tolist() == [1, 1]


def test_voxelize_batched_adds_a_batch_column_first(P, device):
    pts = torch.tensor([[[0.5, 0.5, 0.5], [0.6, 0.6, 0.6]], [[1.5, 0.5, 0.5], [0.2, 0.2, 0.2]]], device=device)
    coords, mean, counts = P.voxelize(pts, pts, 1.0, (0, 0, 0, 2, 2, 2))
    assert coords.tolist() == [[0, 0, 0, 0], [1, 0, 0, 0], [1, 1, 0, 0]]
    assert counts.tolist() == [2, 1, 1]
    assert torch.allclose(mean[0], torch.tensor([0.55, 0.55, 0.55], device=device))


def test_batched_voxelize_on_a_grid_finer_than_an_int64_key_keeps_voxels_apart(P, device):
    # 2 clouds x (4e6)^3 voxels > 2^63: a linear key (b·G + x)·G… would wrap and merge voxels
    pts = torch.tensor([[[0.0, 0, 0], [1e-6, 0, 0]], [[0.0, 0, 0], [0.0, 0, 0.999999]]], dtype=torch.float64)
    coords, mean, counts = P.voxelize(pts.to(device), pts.to(device), 2.5e-7, (0, 0, 0, 1, 1, 1))
    assert coords.tolist() == [[0, 0, 0, 0], [0, 4, 0, 0], [1, 0, 0, 0], [1, 0, 0, 3999996]]
    assert counts.tolist() == [1, 1, 1, 1]
    torch.testing.assert_close(mean.cpu(), pts.reshape(4, 3))


@pytest.mark.parametrize("dtype", [torch.float16, torch.bfloat16], ids=["float16", "bfloat16"])
def test_ball_query_in_half_precision_agrees_with_float32(P, device, dtype):
    g = torch.Generator().manual_seed(6)
    pts = (torch.rand(1, 60, 3, generator=g) * 400).to(dtype)  # squared distances past float16's range
    centers = pts[:, :5]
    idx = P.ball_query(pts.to(device), centers.to(device), 150.0, 8)
    assert idx.cpu().tolist() == P.ball_query(pts.float(), centers.float(), 150.0, 8).tolist()


def test_voxelize_names_a_bad_range(P):
    with pytest.raises(ValueError, match="point_range: expected 6 numbers"):
        P.voxelize(torch.rand(4, 3), torch.rand(4, 1), 0.5, (0, 0, 0, 1, 1))


# ---------------------------------------------------------------- sparse convolution


def dense_oracle(coords, feats, weight, bias, stride, G):
    """F.conv3d on the densified grid, padding K//2, in (x, y, z) = (D, H, W) order."""
    K, C_in = weight.shape[0], weight.shape[3]
    grid = torch.zeros(1, C_in, G, G, G, dtype=feats.dtype)
    grid[0, :, coords[:, 0], coords[:, 1], coords[:, 2]] = feats.T
    w = weight.permute(4, 3, 0, 1, 2)  # [C_out, C_in, K, K, K]
    return F.conv3d(grid, w, bias, stride=stride, padding=K // 2)[0]  # (C_out, G', G', G')


def active_outputs_loop(coords, K, stride, G_out):
    r = K // 2
    act = {tuple(c) for c in coords.tolist()}
    out = []
    for o in itertools.product(range(G_out), repeat=3):
        if any(tuple(o[a] * stride + d[a] for a in range(3)) in act
               for d in itertools.product(range(-r, r + 1), repeat=3)):
            out.append(o)
    return out


@pytest.mark.parametrize("K, stride, submanifold", [(3, 1, True), (3, 1, False), (3, 2, False), (5, 1, True),
                                                    (1, 1, True), (1, 2, False)],
                         ids=["sub-k3", "regular-k3", "regular-k3-stride2", "sub-k5", "sub-k1", "regular-k1-stride2"])
def test_sparse_conv3d_equals_dense_conv3d_at_the_output_sites(P, device, K, stride, submanifold):
    g = torch.Generator().manual_seed(4)
    G, r = 10, K // 2
    flat = torch.randperm((G - 2 * r) ** 3, generator=g)[:25]
    coords = torch.stack([flat // (G - 2 * r) ** 2, flat // (G - 2 * r) % (G - 2 * r), flat % (G - 2 * r)], 1) + r
    feats = torch.randn(25, 3, generator=g, dtype=torch.float64)
    weight = torch.randn(K, K, K, 3, 4, generator=g, dtype=torch.float64)
    bias = torch.randn(4, generator=g, dtype=torch.float64)
    oc, of = P.sparse_conv3d(coords.to(device), feats.to(device), weight.to(device), bias.to(device),
                             submanifold=submanifold, stride=stride)
    assert oc.device.type == of.device.type == device and oc.dtype == torch.int64 and of.dtype == torch.float64
    dense = dense_oracle(coords, feats, weight, bias, stride, G)
    oc = oc.cpu()
    if submanifold:
        assert oc.tolist() == coords.tolist()
    else:
        assert [tuple(c) for c in oc.tolist()] == active_outputs_loop(coords, K, stride, dense.shape[1])
    expected = dense[:, oc[:, 0], oc[:, 1], oc[:, 2]].T
    torch.testing.assert_close(of.cpu(), expected, rtol=1e-10, atol=1e-10)


def test_regular_sparse_conv_dilates_a_single_voxel_into_a_cube(P, device):
    coords = torch.tensor([[0, 0, 0]], device=device)
    oc, of = P.sparse_conv3d(coords, torch.ones(1, 1, device=device), torch.ones(3, 3, 3, 1, 1, device=device),
                             submanifold=False)
    assert oc.shape == (27, 3) and oc.min().item() == -1 and oc.max().item() == 1
    assert (of == 1).all()


def test_sparse_conv3d_keeps_batches_apart(P, device):
    coords = torch.tensor([[0, 0, 0, 0], [1, 0, 0, 1]], device=device)
    feats = torch.tensor([[1.0], [2.0]], device=device)
    w = torch.ones(3, 3, 3, 1, 1, device=device)
    oc, of = P.sparse_conv3d(coords, feats, w)
    assert of.flatten().tolist() == [1.0, 2.0]  # adjacent in space, but in different clouds


def test_strided_sparse_conv3d_with_no_aligned_output_site_returns_nothing(P, device):
    coords = torch.tensor([[1, 1, 1]], device=device)  # with K = 1 and stride 3 no o satisfies 3·o = q
    oc, of = P.sparse_conv3d(coords, torch.ones(1, 2, device=device), torch.ones(1, 1, 1, 2, 3, device=device),
                             submanifold=False, stride=3)
    assert oc.shape == (0, 3) and of.shape == (0, 3)


@pytest.mark.parametrize("kwargs, message", [
    (dict(coords=torch.zeros(2, 3, dtype=torch.long)), "coords: expected distinct active sites"),
    (dict(weight=torch.zeros(2, 2, 2, 1, 1)), "weight: expected Tensor[K, K, K, C_in=1, C_out] with K odd"),
    (dict(stride=2), "stride: submanifold convolution keeps the input sites"),
    (dict(coords=torch.zeros(2, 3)), "coords: expected Tensor[M, 3] or Tensor[M, 4] int64"),
], ids=["duplicates", "even-kernel", "strided-submanifold", "float-coords"])
def test_sparse_conv3d_rejects_bad_arguments_by_name(P, kwargs, message):
    args = dict(coords=torch.tensor([[0, 0, 0], [1, 1, 1]]), features=torch.zeros(2, 1),
                weight=torch.zeros(3, 3, 3, 1, 1))
    args.update(kwargs)
    with pytest.raises(ValueError, match=re.escape(message)):
        P.sparse_conv3d(**args)


@pytest.mark.parametrize("kwargs, message", [
    (dict(weight=torch.zeros(2, 2, 2, 1, 1)),
     "weight: expected Tensor[K, K, K, C_in=1, C_out] with K odd, got Tensor[2, 2, 2, 1, 1] float32"),
    (dict(coords=torch.zeros(2, 3)), "coords: expected Tensor[M, 3] or Tensor[M, 4] int64, got Tensor[2, 3] float32"),
    (dict(bias=torch.zeros(2)), "bias: expected Tensor[C_out=1] or None, got Tensor[2] float32"),
    (dict(stride=0, submanifold=False), "stride: expected an int >= 1, got 0"),
], ids=["even-kernel", "float-coords", "bias", "stride"])
def test_sparse_conv3d_error_messages_are_exact(P, kwargs, message):
    args = dict(coords=torch.tensor([[0, 0, 0], [1, 1, 1]]), features=torch.zeros(2, 1),
                weight=torch.zeros(3, 3, 3, 1, 1))
    args.update(kwargs)
    with pytest.raises(ValueError) as info:
        P.sparse_conv3d(**args)
    assert str(info.value) == message


# ---------------------------------------------------------------- slow sweeps (pytest -m slow)


@pytest.mark.slow
@given(seed=st.integers(0, 2**16), K=st.sampled_from([1, 3, 5]), stride=st.integers(1, 3),
       submanifold=st.booleans(), n=st.integers(1, 40), dtype=st.sampled_from([torch.float32, torch.float64]))
@settings(max_examples=200, suppress_health_check=FIXTURE_OK)
def test_sparse_conv3d_equals_dense_conv3d_over_random_layers(P, device, seed, K, stride, submanifold, n, dtype):
    if submanifold:
        stride = 1
    g = torch.Generator().manual_seed(seed)
    G, r = 9, K // 2
    inner = G - 2 * r
    flat = torch.randperm(inner ** 3, generator=g)[:n]
    coords = torch.stack([flat // inner ** 2, flat // inner % inner, flat % inner], 1) + r
    feats = torch.randn(len(flat), 2, generator=g, dtype=dtype)
    weight = torch.randn(K, K, K, 2, 3, generator=g, dtype=dtype)
    oc, of = P.sparse_conv3d(coords.to(device), feats.to(device), weight.to(device), None, submanifold, stride)
    assert of.dtype == dtype
    dense = dense_oracle(coords, feats.double(), weight.double(), None, stride, G)
    oc = oc.cpu()
    if not submanifold:
        assert [tuple(c) for c in oc.tolist()] == active_outputs_loop(coords, K, stride, dense.shape[1])
    expected = dense[:, oc[:, 0], oc[:, 1], oc[:, 2]].T
    torch.testing.assert_close(of.cpu().double(), expected, rtol=1e-4, atol=1e-4)


@pytest.mark.slow
@given(seed=st.integers(0, 2**16), n=st.integers(1, 60), r=st.floats(0.05, 1.0), k=st.integers(1, 10),
       dtype=st.sampled_from([torch.float32, torch.float64]))
@settings(max_examples=200, suppress_health_check=FIXTURE_OK)
def test_fps_and_ball_query_match_the_slow_loops_over_random_clouds(P, device, seed, n, r, k, dtype):
    g = torch.Generator().manual_seed(seed)
    pts = torch.rand(1, n, 3, generator=g, dtype=dtype)
    m = min(k, n)
    idx = P.farthest_point_sample(pts.to(device), m, start=n - 1)
    if dtype == torch.float64:  # float32 distances may round a near-tie the other way
        assert idx[0].tolist() == fps_loop(pts[0].numpy(), m, n - 1)
    assert len(set(idx[0].tolist())) == m and idx[0, 0] == n - 1
    centers = torch.rand(1, 4, 3, generator=g, dtype=torch.float64)
    got = P.ball_query(pts.double().to(device), centers.to(device), r, k)
    for j in range(4):
        assert got[0, j].tolist() == ball_query_loop(pts[0].double().numpy(), centers[0, j].numpy(), r, k)
