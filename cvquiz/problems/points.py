"""Problem generators for the points topic: farthest point sampling, voxel grids, sparse conv.

Conventions stated in every prompt: indices count from 0; FPS compares squared Euclidean
distances (the order is the same as with distances); a voxel's index is
floor((p − range_min) / voxel_size) and the range is half-open [min, max); sparse
convolutions use a 3-wide kernel, stride 1, padding 1.
"""

from __future__ import annotations

import itertools
import math

import sympy

from cvquiz.answers import DEFAULT_TOLERANCE
from cvquiz.problems.display import INDICES, NUMBER, WHOLE, answer_rule, as_param, exact_and_approx, show
from cvquiz.problems.mistakes import distinct_mistakes, reject_near_boundary
from cvquiz.problems.registry import Draft, Redraw, Rng, option, problem
from cvquiz.text import Text


# ---------------------------------------------------------------------------------------
# farthest point sampling

def _sq(a, b) -> int:
    return sum((x - y) ** 2 for x, y in zip(a, b))


def _fps(points: list[list[int]], k: int, start: int, strict: bool = True):
    """FPS order and, for each pick after the first, every point's distance² to the chosen set.

    With ``strict`` a tie for the farthest point raises :class:`Redraw`; otherwise the
    lower index wins (the reference's rule).
    """
    order = [start]
    nearest = [_sq(p, points[start]) for p in points]
    steps = []
    while len(order) < k:
        candidates = {i: nearest[i] for i in range(len(points)) if i not in order}
        best = max(candidates.values())
        winners = [i for i, d in candidates.items() if d == best]
        if strict and len(winners) > 1:
            raise Redraw
        steps.append((dict(candidates), winners[0]))
        order.append(winners[0])
        nearest = [min(nearest[i], _sq(p, points[winners[0]])) for i, p in enumerate(points)]
    return order, steps


def _farthest_from_last(points, k, start):
    order = [start]
    while len(order) < k:
        last = points[order[-1]]
        rest = [i for i in range(len(points)) if i not in order]
        order.append(max(rest, key=lambda i: (_sq(points[i], last), -i)))
    return order


def _farthest_by_sum(points, k, start):
    order = [start]
    while len(order) < k:
        rest = [i for i in range(len(points)) if i not in order]
        order.append(max(rest, key=lambda i: (sum(math.dist(points[i], points[j]) for j in order), -i)))
    return order


def _point(p) -> str:
    return "(" + ", ".join(str(c) for c in p) + ")"


@problem("fps_order", topic="points", concepts=("points.pointnet2",), version=1,
         title=Text("Farthest point sampling order", "最远点采样的顺序"), options=("dim", "k"))
def fps_order(rng: Rng, dim: int | None = None, k: int | None = None) -> Draft:
    dim = option(rng, "dim", dim, (2, 3))
    n = rng.integer(6, 8)
    k = option(rng, "k", k, (3, 4)) if k is None else option(rng, "k", k, (2, 3, 4, 5))
    cells = rng.sample(list(itertools.product(range(10), repeat=dim)), n)
    points = [list(c) for c in cells]
    start = rng.integer(0, n - 1)
    order, steps = _fps(points, k, start)

    listing = "\n".join(f"  {i}: {_point(p)}" for i, p in enumerate(points))
    prompt = Text(
        f"Farthest point sampling picks k = {k} of these {n} points in {dim}-D, starting from point "
        f"{start} (indices count from 0). Each next pick is the point whose distance to its "
        f"nearest already-picked point is largest.\n{listing}\n"
        f"List the {k} picked indices in order, e.g. `{' '.join(str(i) for i in range(k))}`.",
        f"最远点采样（FPS）从下面 {n} 个 {dim} 维点中选出 k = {k} 个点，从第 {start} 号点开始"
        f"（编号从 0 起）。之后每一步选“到已选点集中最近一点的距离”最大的那个点。\n{listing}\n"
        f"按选取顺序写出这 {k} 个编号，例如 `{' '.join(str(i) for i in range(k))}`。")

    lines_en, lines_zh = [], []
    for step, (dists, pick) in enumerate(steps, start=2):
        table = ", ".join(f"{i}: {d}" for i, d in dists.items())
        lines_en.append(f"Pick {step}: distance² to the nearest picked point — {table}; the largest is "
                        f"point {pick} ({dists[pick]}).")
        lines_zh.append(f"第 {step} 次：各点到最近已选点的距离平方为 {table}；最大的是 {pick} 号（{dists[pick]}）。")
    answer_text = " ".join(str(i) for i in order)
    solution = Text(
        f"Start from point {start}. Keep, for every unpicked point, its squared distance to the nearest "
        f"picked point, and take the largest each time.\n" + "\n".join(lines_en) +
        f"\nOrder: {answer_text}.",
        f"从 {start} 号点开始。对每个未选点记录它到最近已选点的距离平方，每次取最大者。\n" +
        "\n".join(lines_zh) + f"\n顺序：{answer_text}。")
    hint = Text(
        "Compare squared distances (no square roots needed), and after each pick update every point's "
        "distance to the nearest picked point: d_i ← min(d_i, ‖p_i − p_new‖²).",
        "比较距离的平方即可（不必开方）；每选一个新点，就更新每个点到已选集合的最近距离："
        "d_i ← min(d_i, ‖p_i − p_new‖²)。")
    mistakes = distinct_mistakes(order, None, [
        (_farthest_from_last(points, k, start), Text(
            "You took the point farthest from the last pick only. FPS measures the distance to the "
            "nearest of all picked points, so a point close to an earlier pick is not chosen.",
            "你只看了离上一个选中点最远的点。FPS 看的是到所有已选点中最近一点的距离，"
            "离先前某个已选点很近的点不会被选中。")),
        (_farthest_by_sum(points, k, start), Text(
            "You summed the distances to the picked points. FPS maximizes the minimum distance to the "
            "picked set, not the total distance.",
            "你把到各已选点的距离加起来了。FPS 最大化的是到已选集合的最小距离，而不是距离之和。")),
        (_fps(points, k + 1, start, strict=False)[0][1:] if k < n else None, Text(
            f"The starting point {start} is the first of the k picks; your list leaves it out.",
            f"起点 {start} 本身就是 k 个选中点中的第一个，你的答案漏掉了它。")),
        ([i + 1 for i in order], Text(
            "Indices count from 0 here; your answer is shifted by one.",
            "本题编号从 0 开始，你的答案整体多了 1。")),
    ])
    prompt = prompt + answer_rule(None, INDICES)
    return Draft(params={"points": points, "k": k, "start": start, "dim": dim}, prompt=prompt,
                 answer=order, answer_kind="indices", solution=solution, hint=hint,
                 tolerance=None, mistakes=mistakes)


# ---------------------------------------------------------------------------------------
# voxel grids

def _voxel_index(p, lo, size):
    return tuple(sympy.floor((c - m) / size) for c, m in zip(p, lo))


@problem("voxel_count", topic="points", concepts=("points.voxelization",), version=1,
         title=Text("Occupied voxels", "被占据的体素数"))
def voxel_count(rng: Rng) -> Draft:
    size = rng.choice([sympy.Rational(1, 2), sympy.Integer(1), sympy.Integer(2)])
    cells = [rng.integer(2, 4) for _ in range(3)]
    lo = [sympy.Integer(rng.integer(-2, 1)) for _ in range(3)]
    hi = [m + c * size for m, c in zip(lo, cells)]
    quarter = sympy.Rational(1, 4)
    steps_per_voxel = int(size / quarter)

    occupied = rng.sample(list(itertools.product(*[range(c) for c in cells])), rng.integer(3, 5))
    points = []
    for v in occupied:
        for _ in range(rng.integer(1, 3)):
            points.append([lo[a] + v[a] * size + rng.integer(0, steps_per_voxel - 1) * quarter
                           for a in range(3)])
    outside = []
    for _ in range(rng.integer(1, 2)):
        p = [lo[a] + rng.integer(0, cells[a] * steps_per_voxel - 1) * quarter for a in range(3)]
        axis = rng.integer(0, 2)
        # on the upper face (dropped by the half-open range) or just beyond either side
        p[axis] = rng.choice([hi[axis], hi[axis] + quarter * rng.integer(1, 4), lo[axis] - quarter * rng.integer(1, 4)])
        outside.append(p)
    points = rng.shuffle(points + outside)
    inside = [p for p in points if all(m <= c < M for c, m, M in zip(p, lo, hi))]
    answer = sympy.Integer(len({_voxel_index(p, lo, size) for p in inside}))
    closed = [p for p in points if all(m <= c <= M for c, m, M in zip(p, lo, hi))]
    closed_count = len({_voxel_index(p, lo, size) for p in closed})
    all_count = len({_voxel_index(p, lo, size) for p in points})

    listing = "\n".join(f"  {i}: (" + ", ".join(show(c) for c in p) + ")" for i, p in enumerate(points))
    rng_text = ", ".join(f"{ax} ∈ [{show(m)}, {show(M)})" for ax, m, M in zip("xyz", lo, hi))
    prompt = Text(
        f"Voxelize these {len(points)} points with voxel size {show(size)} over the range {rng_text} "
        f"(half-open: a point on the upper bound is outside). A voxel's index is "
        f"⌊(p − range_min) / voxel_size⌋ on each axis, and points outside the range are dropped.\n"
        f"{listing}\nHow many voxels are occupied (contain at least one point)?",
        f"以体素边长 {show(size)} 在范围 {rng_text} 内对下面 {len(points)} 个点做体素化"
        f"（左闭右开：恰在上界上的点不算在内）。每个轴上体素编号为 ⌊(p − range_min) / voxel_size⌋，"
        f"范围外的点被丢弃。\n{listing}\n有多少个体素被占据（至少含一个点）？")
    rows = []
    for i, p in enumerate(points):
        where = _voxel_index(p, lo, size)
        keep = p in inside
        rows.append((i, tuple(int(c) for c in where), keep))
    en_rows = "\n".join(f"  {i}: voxel {v}" + ("" if keep else " — outside the range, dropped") for i, v, keep in rows)
    zh_rows = "\n".join(f"  {i}: 体素 {v}" + ("" if keep else " — 在范围外，丢弃") for i, v, keep in rows)
    distinct = sorted({v for _, v, keep in rows if keep})
    solution = Text(
        f"Index of each point:\n{en_rows}\nDistinct voxels among the kept points: "
        f"{', '.join(str(v) for v in distinct)} — {answer} voxels.",
        f"各点的体素编号：\n{zh_rows}\n保留下来的点落在的不同体素：{', '.join(str(v) for v in distinct)}，"
        f"共 {answer} 个。")
    hint = Text(
        "Drop the points outside [min, max) first, then compute each point's integer voxel index and "
        "count the distinct indices: several points may share a voxel.",
        "先去掉不在 [min, max) 内的点，再算每个点的整数体素编号并数不同编号的个数：多个点可以落在同一体素。")
    mistakes = distinct_mistakes(answer, None, [
        (sympy.Integer(len(inside)), Text(
            "You counted points, not voxels. Several points can fall into one voxel; count the distinct "
            "voxel indices.",
            "你数的是点数而不是体素数。多个点可能落在同一体素里，应数不同的体素编号。")),
        (sympy.Integer(closed_count), Text(
            "The range is half-open: a point exactly on the upper bound is outside and dropped.",
            "范围是左闭右开的：恰好落在上界上的点在范围之外，应丢弃。")),
        (sympy.Integer(all_count), Text(
            "Points outside the range are dropped before counting; you kept them.",
            "范围外的点在计数前就被丢弃了，你把它们也算进去了。")),
        (sympy.Integer(math.prod(cells)), Text(
            "That is the size of the whole dense grid; the question asks how many voxels hold points.",
            "这是整个稠密网格的体素总数；题目问的是含有点的体素数。")),
    ])
    params = {"points": [[as_param(c) for c in p] for p in points], "voxel_size": as_param(size),
              "point_range": [as_param(c) for c in lo + hi],
              "case": "a point on an upper bound" if closed_count != answer else "no point on an upper bound"}
    prompt = prompt + answer_rule(None, WHOLE)
    return Draft(params=params, prompt=prompt, answer=answer, answer_kind="number", solution=solution,
                 hint=hint, tolerance=None, mistakes=mistakes)


_MIB = 2**20


@problem("voxel_memory", topic="points", concepts=("points.voxelization",), version=1,
         title=Text("Memory of a dense voxel grid", "稠密体素网格的内存"))
def voxel_memory(rng: Rng) -> Draft:
    size = rng.choice([sympy.Rational(1, 10), sympy.Rational(1, 5), sympy.Rational(1, 4),
                       sympy.Rational(2, 5), sympy.Rational(1, 2)])
    cells = [rng.choice([100, 128, 160, 200, 256, 320, 400]) for _ in range(2)] + [rng.choice([8, 10, 16, 20, 32, 40])]
    extent = [c * size for c in cells]
    channels = rng.choice([4, 8, 16, 32, 64])
    dtype, nbytes = rng.choice([("float32", 4), ("float16", 2)])
    elements = math.prod(cells) * channels
    answer = sympy.Rational(elements * nbytes, _MIB)
    tolerance = None if answer.is_Integer else DEFAULT_TOLERANCE  # whole numbers are checked exactly
    reject_near_boundary(answer, tolerance)

    ext = " × ".join(show(e) for e in extent)
    prompt = Text(
        f"A scene of {ext} m (x × y × z) is stored as a dense voxel grid with voxel size {show(size)} m "
        f"and {channels} feature channels in {dtype} ({nbytes} bytes each). How much memory does the "
        f"grid take, in MiB (1 MiB = 2²⁰ bytes)?",
        f"一个 {ext} 米（x × y × z）的场景用体素边长 {show(size)} 米的稠密体素网格存储，每个体素 "
        f"{channels} 个特征通道，类型 {dtype}（每个 {nbytes} 字节）。这个网格占多少内存？以 MiB 为单位"
        f"（1 MiB = 2²⁰ 字节）。")
    dims = " × ".join(str(c) for c in cells)
    solution = Text(
        f"Voxels per axis: {' , '.join(f'{show(e)}/{show(size)} = {c}' for e, c in zip(extent, cells))}. "
        f"Elements: {dims} × {channels} = {elements}. Bytes: × {nbytes} = {elements * nbytes}. "
        f"In MiB: {elements * nbytes} / 2²⁰ = {exact_and_approx(answer)}.",
        f"每个轴的体素数：{'，'.join(f'{show(e)}/{show(size)} = {c}' for e, c in zip(extent, cells))}。"
        f"元素个数：{dims} × {channels} = {elements}。字节数：× {nbytes} = {elements * nbytes}。"
        f"换算为 MiB：{elements * nbytes} / 2²⁰ = {exact_and_approx(answer)}。")
    hint = Text("Voxels per axis = extent / voxel size; memory = voxels × channels × bytes per value.",
                "每轴体素数 = 长度 / 体素边长；内存 = 体素数 × 通道数 × 每个数的字节数。")
    mistakes = distinct_mistakes(answer, tolerance, [
        (sympy.Rational(elements * nbytes, 10**6), Text(
            "You divided by 10⁶ (MB); the question asks for MiB, 2²⁰ = 1 048 576 bytes.",
            "你除以了 10⁶（MB）；题目要的是 MiB，即 2²⁰ = 1 048 576 字节。")),
        (sympy.Rational(math.prod(cells) * nbytes, _MIB), Text(
            "Every voxel stores all its feature channels; multiply by the channel count.",
            "每个体素存全部特征通道，要乘以通道数。")),
        (sympy.Rational(elements, _MIB), Text(
            f"That is the number of values; each {dtype} value takes {nbytes} bytes.",
            f"这是数值的个数；每个 {dtype} 数占 {nbytes} 字节。")),
        (sympy.Rational(elements * (6 - nbytes), _MIB), Text(
            f"The grid is stored in {dtype}, {nbytes} bytes per value.",
            f"网格以 {dtype} 存储，每个数 {nbytes} 字节。")),
        (sympy.Rational(cells[0] * cells[1] * channels * nbytes, _MIB), Text(
            "A voxel grid is 3-D: multiply by the number of voxels along z too.",
            "体素网格是三维的：还要乘以 z 方向的体素数。")),
    ])
    params = {"extent": [as_param(e) for e in extent], "voxel_size": as_param(size),
              "channels": channels, "dtype": dtype, "bytes_per_element": nbytes}
    prompt = prompt + answer_rule(tolerance, WHOLE if answer.is_Integer else NUMBER)
    return Draft(params=params, prompt=prompt, answer=answer, answer_kind="number", solution=solution,
                 hint=hint, tolerance=tolerance, mistakes=mistakes)


@problem("conv3d_params", topic="points", concepts=("points.voxelization",), version=1,
         title=Text("Parameters of a 3D convolution", "3D 卷积的参数量"), options=("bias",))
def conv3d_params(rng: Rng, bias: bool | None = None) -> Draft:
    bias = option(rng, "bias", bias, (True, False))
    k = rng.choice([3, 3, 5])
    c_in = rng.choice([1, 4, 16, 32, 64])
    c_out = rng.choice([16, 32, 64, 128])
    weights = k**3 * c_in * c_out
    answer = sympy.Integer(weights + (c_out if bias else 0))
    with_bias = (Text("with a bias per output channel", "每个输出通道一个偏置") if bias
                 else Text("without bias", "无偏置"))
    prompt = Text(
        f"A 3D convolution over a voxel grid has a {k}×{k}×{k} kernel, {c_in} input channels and {c_out} "
        f"output channels, {with_bias.en}. How many learnable parameters does it have?",
        f"体素网格上的一个 3D 卷积层：卷积核 {k}×{k}×{k}，输入 {c_in} 通道，输出 {c_out} 通道，"
        f"{with_bias.zh}。它有多少个可学习参数？")
    bias_en = f" + {c_out} biases" if bias else ""
    bias_zh = f" + {c_out} 个偏置" if bias else ""
    solution = Text(
        f"Each output channel has a 4-D kernel k×k×k×C_in = {k}×{k}×{k}×{c_in} = {k**3 * c_in} weights. "
        f"Total: {k**3 * c_in} × {c_out}{bias_en} = {answer}.",
        f"每个输出通道的卷积核是四维的 k×k×k×C_in = {k}×{k}×{k}×{c_in} = {k**3 * c_in} 个权重。"
        f"合计：{k**3 * c_in} × {c_out}{bias_zh} = {answer}。")
    hint = Text("Weights = k³ · C_in · C_out; a bias adds one number per output channel.",
                "权重数 = k³ · C_in · C_out；偏置每个输出通道一个。")
    b = c_out if bias else 0
    mistakes = distinct_mistakes(answer, None, [
        (sympy.Integer(k**2 * c_in * c_out + b), Text(
            "A 3D kernel spans k×k×k voxels, not k×k: use k³.",
            "3D 卷积核覆盖 k×k×k 个体素，而不是 k×k：应为 k³。")),
        (sympy.Integer(weights + (0 if bias else c_out)), Text(
            "Check the bias: " + ("this layer has one bias per output channel." if bias else "this layer has no bias."),
            "注意偏置：" + ("该层每个输出通道有一个偏置。" if bias else "该层没有偏置。"))),
        (sympy.Integer(k**3 * c_out + b), Text(
            "Each kernel also spans all input channels: multiply by C_in.",
            "每个卷积核还要覆盖全部输入通道：要乘以 C_in。")),
        (sympy.Integer(k**3 * c_in + b), Text(
            "There is one k×k×k×C_in kernel per output channel: multiply by C_out.",
            "每个输出通道各有一个 k×k×k×C_in 的卷积核：要乘以 C_out。")),
    ])
    params = {"kernel_size": k, "in_channels": c_in, "out_channels": c_out, "bias": bias,
              "case": "with bias" if bias else "without bias"}
    prompt = prompt + answer_rule(None, WHOLE)
    return Draft(params=params, prompt=prompt, answer=answer, answer_kind="number", solution=solution,
                 hint=hint, tolerance=None, mistakes=mistakes)


# ---------------------------------------------------------------------------------------
# sparse convolution

def _dilate(sites, dim):
    offsets = list(itertools.product((-1, 0, 1), repeat=dim))
    return {tuple(s[a] + o[a] for a in range(dim)) for s in sites for o in offsets}


def _grid_picture(sites, size, outputs=frozenset()) -> str:
    """A 2-D grid, y up: ■ an active site, □ a new output site (when ``outputs`` is given), · empty."""
    rows = []
    for y in reversed(range(size)):
        marks = ("■" if (x, y) in sites else "□" if (x, y) in outputs else "·" for x in range(size))
        rows.append(f"  {y} " + " ".join(marks))
    rows.append("    " + " ".join(str(x) for x in range(size)))
    return "\n".join(rows)


@problem("sparse_sites", topic="points", concepts=("points.sparse_conv",), version=1,
         title=Text("Active sites after a sparse convolution", "稀疏卷积后的活跃位置"), options=("dim", "mode"))
def sparse_sites(rng: Rng, dim: int | None = None, mode: str | None = None) -> Draft:
    dim = option(rng, "dim", dim, (2, 3))
    mode = option(rng, "mode", mode, ("submanifold", "regular"))
    size = 7 if dim == 2 else 5
    n = rng.integer(3, 5)
    sites = [tuple(c) for c in rng.sample(list(itertools.product(range(1, size - 1), repeat=dim)), n)]
    regular = _dilate(sites, dim)
    if len(regular) == n * 3**dim and rng.random.random() < 0.7:
        raise Redraw  # prefer drawings whose neighbourhoods overlap
    answer = sympy.Integer(n if mode == "submanifold" else len(regular))

    kernel = "×".join(["3"] * dim)
    listing = ", ".join("(" + ", ".join(str(c) for c in s) + ")" for s in sites)
    picture_en = f"\n{_grid_picture(set(sites), size)}\n(■ active, x to the right, y up)" if dim == 2 else ""
    picture_zh = f"\n{_grid_picture(set(sites), size)}\n（■ 为活跃位置，x 向右，y 向上）" if dim == 2 else ""
    mode_en = "submanifold sparse convolution" if mode == "submanifold" else "regular sparse convolution"
    mode_zh = "子流形稀疏卷积（submanifold）" if mode == "submanifold" else "普通稀疏卷积（regular）"
    prompt = Text(
        f"A {dim}-D sparse voxel grid has {n} active sites: {listing}.{picture_en}\n"
        f"One {mode_en} layer is applied (kernel {kernel}, stride 1, padding 1). How many active sites "
        f"does its output have?",
        f"一个 {dim} 维稀疏体素网格有 {n} 个活跃位置：{listing}。{picture_zh}\n"
        f"经过一层{mode_zh}（卷积核 {kernel}，步长 1，padding 1）后，输出有多少个活跃位置？")
    if mode == "submanifold":
        work = Text(
            f"A submanifold sparse convolution computes outputs only at the active input sites, so the "
            f"output keeps exactly the {n} input sites (the full dilation would have {len(regular)}).",
            f"子流形稀疏卷积只在活跃的输入位置上计算输出，所以输出恰好保留这 {n} 个位置"
            f"（若像普通稀疏卷积那样扩张则会有 {len(regular)} 个）。")
    else:
        work = Text(
            f"A regular sparse convolution writes an output at every site whose {kernel} window touches an "
            f"active input: the union of the {kernel} neighbourhoods of the {n} sites. They hold "
            f"{n} × {3**dim} = {n * 3**dim} sites counted with repeats; without repeats {len(regular)}.",
            f"普通稀疏卷积在所有 {kernel} 窗口碰到活跃输入的位置上都产生输出，即这 {n} 个位置各自 "
            f"{kernel} 邻域的并集。带重复共 {n} × {3**dim} = {n * 3**dim} 个，去重后 {len(regular)} 个。")
        if dim == 2:
            picture = _grid_picture(set(sites), size, regular)
            work = work + Text(f"\n{picture}\n(■ active input, □ new output site)",
                               f"\n{picture}\n（■ 活跃输入，□ 新增的输出位置）")
    hint = Text(
        "Submanifold: outputs only where the input is active. Regular: every site within one step "
        "(in each axis) of an active site; count overlapping neighbourhoods once.",
        "子流形：只在输入活跃处输出。普通：所有在某个活跃位置各轴一步范围内的位置；重叠的邻域只算一次。")
    other = len(regular) if mode == "submanifold" else n
    mistakes = distinct_mistakes(answer, None, [
        (sympy.Integer(other), Text(
            "That is the other kind of sparse convolution: submanifold keeps exactly the active input sites, "
            "regular dilates them to every site its kernel touches.",
            "这是另一种稀疏卷积的结果：子流形卷积只保留活跃输入位置，普通稀疏卷积会扩张到卷积核覆盖的所有位置。")),
        (sympy.Integer(n * 3**dim), Text(
            "Neighbourhoods of nearby sites overlap; an output site is counted once.",
            "相邻位置的邻域会重叠；每个输出位置只算一次。")),
        (sympy.Integer(size**dim), Text(
            "A sparse convolution does not produce a dense output; count only the active output sites.",
            "稀疏卷积不会产生稠密输出；只数活跃的输出位置。")),
    ])
    params = {"dim": dim, "mode": mode, "sites": [list(s) for s in sites], "grid_size": size,
              "kernel_size": 3, "stride": 1, "padding": 1, "case": f"{mode}, {dim}-D"}
    prompt = prompt + answer_rule(None, WHOLE)
    return Draft(params=params, prompt=prompt, answer=answer, answer_kind="number", solution=work,
                 hint=hint, tolerance=None, mistakes=mistakes)
