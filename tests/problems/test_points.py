"""Points generators over many seeds: sound variants whose exact answers match reference/points.py
(and, for the pure counts, torch itself)."""

from __future__ import annotations

from fractions import Fraction

import pytest
import torch

from cvquiz.errors import ProblemError
from cvquiz.problems.registry import make, registry
from tests.problems.variant_checks import seeds

F64 = torch.float64
KINDS = ["fps_order", "voxel_count", "voxel_memory", "conv3d_params", "sparse_sites"]


def t(values):
    return torch.tensor(values, dtype=F64)


def reference_fps_order(ref, p):
    return ref.points.farthest_point_sample(t([p["points"]]), p["k"], p["start"])[0].tolist()


def reference_voxel_count(ref, p):
    coords, _, counts = ref.points.voxelize(t(p["points"]), t(p["points"]), p["voxel_size"], p["point_range"])
    return coords.shape[0]


def reference_voxel_memory(ref, p):
    cells = [round(Fraction(e) / Fraction(p["voxel_size"])) for e in p["extent"]]
    dtype = {"float32": torch.float32, "float16": torch.float16}[p["dtype"]]
    grid = torch.empty(*cells, p["channels"], dtype=dtype, device="meta")
    return Fraction(grid.numel() * grid.element_size(), 2**20)


def reference_conv3d_params(ref, p):
    conv = torch.nn.Conv3d(p["in_channels"], p["out_channels"], p["kernel_size"], bias=p["bias"], device="meta")
    return sum(w.numel() for w in conv.parameters())


def reference_sparse_sites(ref, p):
    """Run the reference sparse convolution; a 2-D grid lies in the plane z = 0 of a 3³ kernel,
    so a regular convolution's outputs there come in threes (z = -1, 0, 1)."""
    sites = [s + [0] * (3 - p["dim"]) for s in p["sites"]]
    coords = torch.tensor(sites, dtype=torch.long)
    features = torch.ones(len(sites), 1, dtype=F64)
    weight = torch.ones(3, 3, 3, 1, 1, dtype=F64)
    out, _ = ref.points.sparse_conv3d(coords, features, weight, submanifold=p["mode"] == "submanifold")
    n = out.shape[0]
    if p["dim"] == 2 and p["mode"] == "regular":
        assert n % 3 == 0 and set(out[:, 2].tolist()) == {-1, 0, 1}
        n //= 3
    return n


REFERENCES = {kind: globals()[f"reference_{kind}"] for kind in KINDS}


def test_the_points_kinds_are_registered_under_the_points_topic():
    generators = registry()
    assert {kind: generators[kind].topic for kind in KINDS} == {kind: "points" for kind in KINDS}


def test_fps_starts_at_the_given_point_and_never_repeats_one():
    for seed in seeds(100):
        v = make("fps_order", seed)
        order = v.answer
        assert order[0] == v.params["start"] and len(set(order)) == len(order) == v.params["k"]


def test_fps_honours_the_dim_and_k_options():
    for seed in seeds(20):
        v = make("fps_order", seed, dim=3, k=5)
        assert all(len(p) == 3 for p in v.params["points"]) and len(v.answer) == 5


def test_the_farthest_from_the_last_pick_mistake_differs_from_fps_somewhere():
    feedbacks = [m.feedback.en for seed in seeds(100) for m in make("fps_order", seed).mistakes]
    assert any("last pick" in f for f in feedbacks)


def test_a_voxel_count_drops_a_point_on_the_upper_bound():
    found = False
    for seed in seeds(100):
        p = make("voxel_count", seed).params
        hi = p["point_range"][3:]
        found |= any(c == m for pt in p["points"] for c, m in zip(pt, hi))
    assert found, "no variant puts a point on the upper face of the range"


@pytest.mark.parametrize("mode", ["submanifold", "regular"])
def test_sparse_sites_answers_the_mode_asked(mode):
    for seed in seeds(30):
        v = make("sparse_sites", seed, mode=mode, dim=2)
        n = len(v.params["sites"])
        assert (v.answer == n) if mode == "submanifold" else (v.answer > n)


@pytest.mark.parametrize("kind, options, named", [
    ("sparse_sites", {"mode": "dense"}, "mode"),
    ("fps_order", {"dim": 4}, "dim"),
    ("conv3d_params", {"bias": "maybe"}, "bias"),
])
def test_a_bad_option_is_refused_with_its_name_and_value(kind, options, named):
    with pytest.raises(ProblemError) as err:
        make(kind, "1", **options)
    message = str(err.value)
    assert named in message and repr(next(iter(options.values()))) in message
