"""Attention generators over many seeds: sound variants whose exact answers match reference/attention.py,
and counts (parameters, FLOPs, bytes, shapes) that match real torch modules and tensors."""

from __future__ import annotations

import math
from fractions import Fraction

import pytest
import torch
from torch.utils.flop_counter import FlopCounterMode

from cvquiz.problems.registry import make, registry
from tests.problems.variant_checks import close, float_of, seeds

F64 = torch.float64
KINDS = ["attention_shapes", "attention_cost", "mha_params", "attention_weights", "causal_mask", "layernorm",
         "rmsnorm", "swiglu_parity", "moe_ratio", "vit_tokens"]
META = torch.device("meta")


def t(values):
    return torch.tensor(values, dtype=F64)


def numel(*modules) -> int:
    return sum(p.numel() for m in modules for p in m.parameters())


def flops(fn) -> int:
    with FlopCounterMode(display=False) as counter:
        fn()
    return counter.get_total_flops()


def reference_attention_shapes(ref, p):
    """Run the four matmuls on tensors in the cheatsheet's unbatched layout and read the shapes
    (meta tensors: shapes without the arithmetic)."""
    N, D, h, d = p["N"], p["D"], p["h"], p["d"]
    x = torch.empty(N, D, device=META)
    W_q, W_k, W_v = (torch.empty(D, h * d, device=META) for _ in range(3))
    W_o = torch.empty(h * d, D, device=META)
    qkv = x @ torch.cat([W_q, W_k, W_v], dim=1)  # (N, 3hd)
    q, k, v = (part.reshape(N, h, d).transpose(0, 1) for part in qkv.split(h * d, dim=1))  # (h, N, d)
    scores = q @ k.transpose(-2, -1) / math.sqrt(d)  # (h, N, N)
    weights = ref.attention.attention_weights(q, k)  # (h, N, N)
    heads = ref.attention.scaled_dot_product_attention(q, k, v)  # (h, N, d)
    concat = heads.transpose(0, 1).reshape(N, h * d)  # (N, hd)
    out = ref.attention.multi_head_attention(x[None], x[None], W_q, W_k, W_v, W_o, h)[0]  # (N, D)
    assert (concat @ W_o).shape == out.shape
    tensors = {"qkv": qkv, "q": q, "k": k, "v": v, "scores": scores, "weights": weights, "heads": heads,
               "concat": concat, "out": out}
    return {name: tuple(tensor.shape) for name, tensor in tensors.items()}


def reference_attention_cost(ref, p):
    N, h, d = p["N"], p["h"], p["d"]
    dtype = {"fp16": torch.float16, "bf16": torch.bfloat16, "fp32": torch.float32}[p["dtype"]]
    q = k = v = torch.empty(h, N, d, device=META)
    weights = torch.empty(h, N, N, device=META)
    if p["ask"] == "qk_flops":
        return flops(lambda: q @ k.transpose(-2, -1))
    if p["ask"] == "av_flops":
        return flops(lambda: weights @ v)
    stored = torch.empty(h, N, N, dtype=dtype, device=META)
    return Fraction(stored.numel() * stored.element_size(), 2**20)


def reference_mha_params(ref, p):
    return numel(torch.nn.MultiheadAttention(p["D"], p["h"], bias=p["bias"], device=META))


def reference_attention_weights(ref, p):
    return ref.attention.attention_weights(t([p["q"]]), t(p["keys"]))[0].tolist()


def reference_causal_mask(ref, p):
    T, r = p["T"], p["row"]
    if p["ask"] == "masked":
        allowed = ref.attention.causal_mask(T)[r]
        return {j for j in range(T) if not allowed[j]}
    # query = S and key = √T·I give q·kᵀ/√T = S: the given scores.
    key = math.sqrt(T) * torch.eye(T, dtype=F64)
    return ref.attention.attention_weights(t(p["scores"]), key, causal=True)[r].tolist()


def reference_layernorm(ref, p):
    return ref.attention.layer_norm(t(p["x"]), t(p["gamma"]), t(p["beta"]), eps=p["eps"]).tolist()


def reference_rmsnorm(ref, p):
    return ref.attention.rms_norm(t(p["x"]), t(p["gamma"]), eps=p["eps"]).tolist()


def _linear(n_in, n_out):
    return torch.nn.Linear(n_in, n_out, bias=False, device=META)


def reference_swiglu_parity(ref, p):
    D = p["D"]
    if p["ask"] == "hidden":
        # the answer H must make three D×H matrices as large as the FFN D → 4D → D
        ffn = numel(_linear(D, 4 * D), _linear(4 * D, D))
        assert ffn % (3 * D) == 0
        return ffn // (3 * D)
    H = p["H"]
    x = torch.empty(1, D, device=META)
    W1, W2, W3 = _linear(D, H), _linear(D, H), _linear(H, D)
    y = ref.attention.swiglu_ffn(x, W1.weight.T, W2.weight.T, W3.weight.T)
    assert tuple(y.shape) == (1, D)
    return numel(W1, W2, W3)


def reference_moe_ratio(ref, p):
    E, A, D, H = p["E"], p["A"], p["D"], p["H"]
    router = _linear(D, E)
    experts = [(_linear(D, H), _linear(H, D)) for _ in range(E)]
    total = numel(router, *[layer for expert in experts for layer in expert])
    used = numel(router, *[layer for expert in experts[:A] for layer in expert])
    if p["ask"] == "params":
        return total
    if p["ask"] == "ratio":
        return Fraction(total, used)
    x = torch.empty(1, D, device=META)
    return flops(lambda: [x @ router.weight.T] + [(x @ up.weight.T) @ down.weight.T for up, down in experts[:A]])


def reference_vit_tokens(ref, p):
    B, C, H, W, patch, D = p["B"], p["C"], p["H"], p["W"], p["patch"], p["D"]
    images = torch.empty(B, C, H, W, device=META)
    patches = ref.attention.patchify(images, patch)  # (B, N, C·p·p)
    n_tokens = patches.shape[1] + (1 if p["cls"] else 0)
    tokens = ref.attention.vit_embed(images, patch, torch.empty(C * patch * patch, D, device=META), None,
                                     torch.empty(n_tokens, D, device=META),
                                     torch.empty(D, device=META) if p["cls"] else None)
    return {"tokens": n_tokens, "patch_dim": patches.shape[2], "sequence": tuple(tokens.shape)}[p["ask"]]


REFERENCES = {kind: globals()[f"reference_{kind}"] for kind in KINDS}


def test_the_attention_kinds_are_registered_under_the_attention_topic():
    generators = registry()
    assert {kind: generators[kind].topic for kind in KINDS} == {kind: "attention" for kind in KINDS}


def test_attention_weights_lists_the_missing_square_root_of_d_k_as_a_mistake():
    for seed in seeds(20):
        v = make("attention_weights", seed)
        assert any("√d_k" in m.feedback.en and "forgot" in m.feedback.en for m in v.mistakes), f"seed {seed}"


def test_a_causal_row_gives_zero_weight_to_the_future_and_sums_to_one():
    for seed in seeds(30):
        v = make("causal_mask", seed, ask="row")
        r = v.params["row"]
        assert all(w == 0 for w in v.answer[r + 1:])
        assert math.isclose(sum(float_of(v.answer)), 1.0, rel_tol=1e-12)


def test_attention_cost_memory_lists_forgetting_the_heads_as_a_mistake():
    for seed in seeds(30):
        v = make("attention_cost", seed, ask="memory")
        assert any("multiply by h" in m.feedback.en for m in v.mistakes)


def test_mha_params_lists_using_one_heads_width_as_a_mistake():
    for seed in seeds(30):
        v = make("mha_params", seed)
        assert any("one head's d" in m.feedback.en for m in v.mistakes)


@pytest.mark.parametrize("cls", [True, False])
def test_vit_tokens_counts_the_cls_token_only_when_there_is_one(cls):
    for seed in seeds(30):
        v = make("vit_tokens", seed, ask="tokens", cls=cls)
        p = v.params
        assert v.answer == (p["H"] // p["patch"]) * (p["W"] // p["patch"]) + (1 if cls else 0)


def test_swiglu_parity_hidden_size_is_eight_thirds_of_d():
    for seed in seeds(30):
        v = make("swiglu_parity", seed, ask="hidden")
        assert 3 * v.answer == 8 * v.params["D"]


@pytest.mark.parametrize("eps", [0, 0.5])
def test_rmsnorm_uses_the_given_eps(eps, ref):
    for seed in seeds(10):
        v = make("rmsnorm", seed, eps=eps)
        assert v.params["eps"] == eps
        assert close(float_of(v.answer), reference_rmsnorm(ref, v.params))


def test_moe_runs_each_token_through_exactly_a_of_the_e_experts(ref):
    """The premise of moe_ratio's compute answer (×A, not ×E), on the reference layer."""
    gen = torch.Generator().manual_seed(0)
    for seed in seeds(20):
        p = make("moe_ratio", seed).params
        E, A, tokens = p["E"], p["A"], 16
        rows_seen = []

        def expert(x, scale):
            rows_seen.append(x.shape[0])
            return x * scale

        experts = [lambda x, e=e: expert(x, e + 1) for e in range(E)]
        x = torch.randn(tokens, 8, generator=gen, dtype=F64)
        _, chosen, gates = ref.attention.moe(x, torch.randn(8, E, generator=gen, dtype=F64), experts, A)
        assert sum(rows_seen) == tokens * A and chosen.shape == (tokens, A)
