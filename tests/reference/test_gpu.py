"""Every function of reference/{points,sequence,attention,generative}.py on CUDA against its CPU result.

The cases are built once on the CPU from a seeded generator; each is run on the CPU and again on
CUDA with every tensor moved there, and the two answers must agree (exactly for indices, within a
float32 tolerance for values). The GPU tests are collected everywhere and skipped without CUDA;
the coverage test (every public function has a case) runs everywhere.
"""

from __future__ import annotations

import pytest
import torch

f64 = torch.float64
TOPICS = ("points", "sequence", "attention", "generative")


def randn(*shape, seed=0, dtype=f64):
    return torch.randn(*shape, generator=torch.Generator().manual_seed(seed), dtype=dtype)


def to(x, device):
    """Move every tensor inside x (tuples, lists, dicts) to device."""
    if isinstance(x, torch.Tensor):
        return x.to(device)
    if isinstance(x, (tuple, list)):
        return type(x)(to(v, device) for v in x)
    if isinstance(x, dict):
        return {k: to(v, device) for k, v in x.items()}
    return x


def table_step(V=5, seed=1):
    """A device-agnostic step function: next-token logits from a fixed table of the last token."""
    table = randn(V, V, seed=seed)
    return lambda tokens: table.to(tokens.device)[tokens[:, -1]]


def linear_expert(seed):
    W = randn(4, 3, seed=seed)
    return lambda t: t @ W.to(t.device)


def mlp_layers():
    return [(randn(3 + 2, 8, seed=30), randn(8, seed=31)), (randn(8, 6, seed=32), None)]


def block_params(D=8, F=16):
    names = {"W_q": (D, D), "W_k": (D, D), "W_v": (D, D), "W_o": (D, D), "W1": (D, F), "W2": (F, D),
             "b1": (F,), "ln1_weight": (D,)}
    return {k: randn(*shape, seed=40 + i) for i, (k, shape) in enumerate(names.items())}


def cases():
    """(topic, function, args, kwargs) for every public function; args hold CPU tensors."""
    pts, feats = randn(2, 40, 3, seed=1), randn(2, 40, 2, seed=2)
    centers = pts[:, :6]
    idx = torch.randint(-1, 40, (2, 6, 5), generator=torch.Generator().manual_seed(3))
    coords = torch.tensor([[0, 0, 0], [1, 0, 0], [1, 1, 0], [3, 2, 1], [4, 4, 4]])
    x, h, c = randn(3, 4, seed=4), randn(3, 5, seed=5), randn(3, 5, seed=6)
    q, k, v = randn(2, 2, 6, 4, seed=7), randn(2, 2, 7, 4, seed=8), randn(2, 2, 7, 3, seed=9)
    xs = randn(2, 6, 8, seed=10)
    mu, logvar, noise = randn(4, 3, seed=11), randn(4, 3, seed=12) * 0.3, randn(4, 3, seed=13)
    betas = torch.linspace(1e-4, 0.02, 10, dtype=f64)
    betas = torch.cat([betas.new_zeros(1), betas])
    ab = torch.cumprod(1 - betas, 0)
    x0, eps = randn(3, 2, 2, seed=14), randn(3, 2, 2, seed=15)
    t = torch.tensor([1, 5, 10])
    return [
        ("points", "farthest_point_sample", (pts, 10), {"start": 3}),
        ("points", "ball_query", (pts, centers, 0.8, 5), {}),
        ("points", "group", (pts, centers, idx, feats), {}),
        ("points", "set_abstraction", (pts, feats, 6, 0.8, 5, mlp_layers()), {}),
        ("points", "voxelize", (pts, feats, 0.5, (-1, -1, -1, 1, 1, 1)), {}),
        ("points", "sparse_conv3d", (coords, randn(5, 2, seed=16), randn(3, 3, 3, 2, 3, seed=17)),
         {"submanifold": False, "stride": 2}),
        ("sequence", "rnn_step", (x, h, randn(4, 5, seed=18), randn(5, 5, seed=19), randn(5, seed=20)), {}),
        ("sequence", "rnn_forward", (randn(3, 4, 4, seed=21), h, randn(4, 5, seed=18), randn(5, 5, seed=19)), {}),
        ("sequence", "lstm_step", (x, h, c, randn(4, 20, seed=22), randn(5, 20, seed=23), randn(20, seed=24)), {}),
        ("sequence", "gru_step", (x, h, randn(4, 15, seed=25), randn(5, 15, seed=26), randn(15, seed=27),
                                  randn(15, seed=28)), {}),
        ("sequence", "truncated_bptt_grads",
         (randn(2, 7, 4, seed=29), torch.randint(0, 6, (2, 7), generator=torch.Generator().manual_seed(2)), None,
          randn(4, 5, seed=18) * 0.5, randn(5, 5, seed=19) * 0.5, randn(5, 6, seed=30), 3), {}),
        ("sequence", "clip_grad_norm", ([randn(3, 4, seed=31), randn(5, seed=32)], 1.0), {}),
        ("sequence", "embed", (torch.tensor([[0, 3], [2, 2]]), randn(4, 3, seed=33)), {}),
        ("sequence", "sample", (randn(3, 6, seed=34), 0.0), {}),  # temperature 0: no random stream
        ("sequence", "greedy_decode", (table_step(), torch.zeros(2, 1, dtype=torch.long), 4), {"eos": 4}),
        ("sequence", "beam_search", (table_step(), torch.zeros(2, 1, dtype=torch.long), 3, 4),
         {"eos": 4, "length_penalty": 0.7}),
        ("attention", "additive_attention", (randn(2, 3, seed=35), randn(2, 5, 4, seed=36), randn(2, 5, 6, seed=37),
                                             randn(3, 7, seed=38), randn(4, 7, seed=39), randn(7, seed=40)),
         {"mask": torch.tensor([[True, True, False, True, False], [False] * 5])}),
        ("attention", "causal_mask", (3, 5), {}),
        ("attention", "attention_weights", (q, k), {"causal": True}),
        ("attention", "scaled_dot_product_attention", (q, k, v), {"causal": True}),
        ("attention", "scaled_dot_product_attention", (q, k, v),
         {"mask": torch.rand(2, 1, 6, 7, generator=torch.Generator().manual_seed(4)) < 0.5}),
        ("attention", "multi_head_attention", (xs, xs, *(randn(8, 8, seed=s) for s in (41, 42, 43, 44)), 2),
         {"causal": True, "b_o": randn(8, seed=45)}),
        ("attention", "layer_norm", (xs, randn(8, seed=46), randn(8, seed=47)), {}),
        ("attention", "rms_norm", (xs, randn(8, seed=46)), {}),
        ("attention", "ffn", (xs, randn(8, 16, seed=48), randn(16, 8, seed=49)), {"activation": "gelu"}),
        ("attention", "swiglu_ffn", (xs, randn(8, 12, seed=50), randn(8, 12, seed=51), randn(12, 8, seed=52)), {}),
        ("attention", "transformer_block", (xs, block_params(), 2), {"causal": True}),
        ("attention", "prenorm_block", (xs, block_params(), 4), {}),
        ("attention", "moe", (randn(5, 4, seed=53), randn(4, 3, seed=54), [linear_expert(s) for s in (55, 56, 57)], 2),
         {}),
        ("attention", "patchify", (randn(2, 3, 4, 6, seed=58), 2), {}),
        ("attention", "vit_embed", (randn(2, 3, 4, 6, seed=58), 2, randn(12, 8, seed=59), randn(8, seed=60),
                                    randn(7, 8, seed=61), randn(8, seed=62)), {}),
        ("generative", "reparameterize", (mu, logvar, noise), {}),
        ("generative", "gaussian_kl", (mu, logvar), {}),
        ("generative", "elbo", (torch.rand(4, 6, generator=torch.Generator().manual_seed(5), dtype=f64),
                                randn(4, 6, seed=63), mu, logvar), {}),
        ("generative", "discriminator_loss", (randn(6, 1, seed=64), randn(5, 1, seed=65)), {}),
        ("generative", "generator_loss_minimax", (randn(5, 1, seed=65),), {}),
        ("generative", "generator_loss_nonsaturating", (randn(5, 1, seed=65),), {}),
        ("generative", "frechet_distance", (randn(6, seed=66), torch.cov(randn(6, 20, seed=67)), randn(6, seed=68),
                                            torch.cov(randn(6, 20, seed=69))), {}),
        ("generative", "fid_from_features", (randn(20, 6, seed=70), randn(15, 6, seed=71)), {}),
        ("generative", "linear_beta_schedule", (10,), {}),
        ("generative", "cosine_beta_schedule", (10,), {}),
        ("generative", "alpha_bar", (betas,), {}),
        ("generative", "q_sample", (x0, t, eps, ab), {}),
        ("generative", "ddpm_loss", (lambda x_t, t: x_t * 0.5, x0, t, eps, ab), {}),
        ("generative", "ddpm_step", (x0, t, eps, betas, randn(3, 2, 2, seed=72)),
         {"variance": "posterior", "clip_x0": 1.0}),
        ("generative", "ddim_step", (x0, t, t - 1, eps, ab), {"eta": 0.5, "noise": eps.flip(0)}),
    ]


CASES = cases()


def case_id(case):
    topic, name, _, kwargs = case
    return f"{topic}.{name}" + ("[" + ",".join(sorted(kwargs)) + "]" if kwargs else "")


def assert_same(cpu, gpu, where):
    if isinstance(cpu, (tuple, list)):
        assert isinstance(gpu, (tuple, list)) and len(cpu) == len(gpu), where
        for i, (a, b) in enumerate(zip(cpu, gpu)):
            assert_same(a, b, f"{where}[{i}]")
    elif isinstance(cpu, dict):
        assert cpu.keys() == gpu.keys(), where
        for key in cpu:
            assert_same(cpu[key], gpu[key], f"{where}[{key!r}]")
    elif isinstance(cpu, torch.Tensor):
        assert gpu.device.type == "cuda", f"{where}: the result stayed on {gpu.device}"
        assert gpu.dtype == cpu.dtype and gpu.shape == cpu.shape, where
        if cpu.is_floating_point():
            torch.testing.assert_close(gpu.cpu(), cpu, atol=1e-6, rtol=1e-6, msg=lambda m: f"{where}: {m}")
        else:
            assert torch.equal(gpu.cpu(), cpu), where
    else:
        assert cpu == gpu, where


def test_every_public_reference_function_has_a_gpu_case(course):
    covered = {(topic, name) for topic, name, _, _ in CASES}
    for topic in TOPICS:
        missing = sorted(set(course.reference(topic).__all__) - {name for t, name in covered if t == topic})
        assert not missing, f"reference/{topic}.py functions without a CUDA case: {', '.join(missing)}"


@pytest.mark.parametrize("case", CASES, ids=case_id)
def test_reference_function_gives_the_same_answer_twice_on_the_cpu(course, case):
    # the CUDA test below compares against this CPU answer, so it must be deterministic itself
    topic, name, args, kwargs = case
    fn = getattr(course.reference(topic), name)
    first = fn(*args, **kwargs)
    second = fn(*args, **kwargs)
    assert_same_cpu(first, second, f"{topic}.{name}")


def assert_same_cpu(a, b, where):
    if isinstance(a, (tuple, list)):
        for i, (x, y) in enumerate(zip(a, b, strict=True)):
            assert_same_cpu(x, y, f"{where}[{i}]")
    elif isinstance(a, dict):
        for key in a:
            assert_same_cpu(a[key], b[key], f"{where}[{key!r}]")
    elif isinstance(a, torch.Tensor):
        assert torch.equal(a, b), where
    else:
        assert a == b, where


@pytest.mark.gpu
@pytest.mark.skipif(not torch.cuda.is_available(), reason="CUDA not available")
@pytest.mark.parametrize("case", CASES, ids=case_id)
def test_reference_function_on_cuda_matches_its_cpu_result(course, case):
    topic, name, args, kwargs = case
    fn = getattr(course.reference(topic), name)
    if name in ("causal_mask", "linear_beta_schedule", "cosine_beta_schedule"):  # they make tensors
        cpu, gpu = fn(*args, **kwargs, device="cpu"), fn(*args, **kwargs, device="cuda")
    else:
        cpu = fn(*args, **kwargs)
        gpu = fn(*to(args, "cuda"), **to(kwargs, "cuda"))
        torch.cuda.synchronize()
    assert_same(cpu, gpu, f"{topic}.{name}")


@pytest.mark.gpu
@pytest.mark.skipif(not torch.cuda.is_available(), reason="CUDA not available")
@pytest.mark.parametrize("dtype", [torch.float16, torch.bfloat16], ids=["float16", "bfloat16"])
def test_half_precision_on_cuda_agrees_with_float32_where_bugs_were_found(course, dtype):
    P, A = course.reference("points"), course.reference("attention")
    pts = (torch.rand(2, 300, 3, generator=torch.Generator().manual_seed(6)) * 1000).to(dtype)
    assert P.farthest_point_sample(pts.cuda(), 20).cpu().tolist() == P.farthest_point_sample(pts.float(), 20).tolist()
    x = (randn(3, 16, seed=7, dtype=torch.float32) * 1000).to(dtype)
    for norm in (A.layer_norm, A.rms_norm):
        out = norm(x.cuda())
        assert out.dtype == dtype
        torch.testing.assert_close(out.float().cpu(), norm(x.float()), atol=2e-2, rtol=1e-2)
