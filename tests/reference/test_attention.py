"""reference/attention.py against torch's SDPA, nn.MultiheadAttention, norms, encoder layers and Conv2d."""

from __future__ import annotations

import math
import re

import pytest
import torch
import torch.nn as nn
import torch.nn.functional as F
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

f64 = torch.float64

# the device fixture is fixed for a whole test, so reusing it across examples is safe
FIXTURE_OK = [HealthCheck.function_scoped_fixture]


@pytest.fixture(scope="module")
def A(course):
    return course.reference("attention")


def randn(*shape, g, device="cpu"):
    return torch.randn(*shape, generator=g, dtype=f64).to(device)


# ---------------------------------------------------------------- additive attention


def test_additive_attention_matches_the_bahdanau_formula_written_out(A, device):
    g = torch.Generator().manual_seed(0)
    B, S, Dq, Dk, Dv, Aw = 2, 5, 3, 4, 6, 7
    q, keys, values = randn(B, Dq, g=g), randn(B, S, Dk, g=g), randn(B, S, Dv, g=g)
    W_q, W_k, v = randn(Dq, Aw, g=g), randn(Dk, Aw, g=g), randn(Aw, g=g)
    ctx, alpha = A.additive_attention(*(t.to(device) for t in (q, keys, values, W_q, W_k, v)))
    assert ctx.shape == (B, Dv) and alpha.shape == (B, S) and ctx.device.type == device
    for b in range(B):
        e = torch.stack([torch.tanh(q[b] @ W_q + keys[b, i] @ W_k) @ v for i in range(S)])
        a = torch.exp(e) / torch.exp(e).sum()
        torch.testing.assert_close(alpha[b].cpu(), a)
        torch.testing.assert_close(ctx[b].cpu(), sum(a[i] * values[b, i] for i in range(S)))


def test_additive_attention_gives_masked_positions_zero_weight(A, device):
    g = torch.Generator().manual_seed(1)
    mask = torch.tensor([[True, False, True], [False, False, False]], device=device)
    args = (randn(2, 2, g=g), randn(2, 3, 2, g=g), randn(2, 3, 4, g=g),
            randn(2, 5, g=g), randn(2, 5, g=g), randn(5, g=g))
    ctx, alpha = A.additive_attention(*(t.to(device) for t in args), mask)
    assert alpha[0, 1] == 0 and alpha[0].sum().item() == pytest.approx(1)
    assert (alpha[1] == 0).all() and (ctx[1] == 0).all()


# ---------------------------------------------------------------- scaled dot-product attention


def test_causal_mask_is_lower_right_aligned(A, device):
    m = A.causal_mask(2, 4, device=device)
    assert m.device.type == device and m.dtype == torch.bool
    assert m.tolist() == [[True, True, True, False], [True, True, True, True]]
    assert A.causal_mask(3).tolist() == torch.ones(3, 3, dtype=torch.bool).tril().tolist()
    assert A.causal_mask(3, 2).tolist() == [[False, False], [True, False], [True, True]]


@pytest.mark.parametrize("masking", ["none", "random", "causal-square", "causal-rect"])
def test_sdpa_matches_torch_sdpa_in_float64(A, device, masking):
    g = torch.Generator().manual_seed(2)
    B, h, T, S, d, dv = 2, 3, 5, 5 if masking == "causal-square" else 7, 4, 6
    q, k, v = randn(B, h, T, d, g=g), randn(B, h, S, d, g=g), randn(B, h, S, dv, g=g)
    mask, causal = None, False
    if masking == "random":
        mask = torch.rand(B, 1, T, S, generator=g) < 0.6
        mask[..., 0] = True  # no fully masked rows: torch gives NaN there
    elif masking.startswith("causal"):
        causal = True
    if masking == "causal-rect":  # lower-right aligned: query t sees keys s <= t + S - T
        mask_rect = torch.tensor([[s <= t + S - T for s in range(S)] for t in range(T)])
    expected_mask = mask if masking != "causal-rect" else mask_rect
    expected = F.scaled_dot_product_attention(q, k, v, attn_mask=expected_mask, is_causal=masking == "causal-square")
    out = A.scaled_dot_product_attention(q.to(device), k.to(device), v.to(device),
                                         None if mask is None else mask.to(device), causal)
    assert out.shape == (B, h, T, dv) and out.device.type == device and out.dtype == f64
    torch.testing.assert_close(out.cpu(), expected)


def lecture_attention(q, k, v, causal):
    """The lecture's order, written out: scores, scale, mask, softmax, weighted sum (float64)."""
    T, S = q.shape[-2], k.shape[-2]
    scores = q.double() @ k.double().transpose(-2, -1) / math.sqrt(q.shape[-1])
    if causal:
        allowed = torch.tensor([[s <= t + S - T for s in range(S)] for t in range(T)])
        scores = scores.masked_fill(~allowed, float("-inf"))
    w = torch.softmax(scores, -1).nan_to_num(0.0)  # a query with no key: zeros
    return w @ v.double()


@pytest.mark.parametrize("T, S", [(7, 7), (5, 9), (9, 4), (1, 6)], ids=["square", "wide", "tall", "one-query"])
@pytest.mark.parametrize("causal", [False, True], ids=["full", "causal"])
def test_blockwise_sdpa_equals_the_lecture_formula_for_any_block_size(A, device, monkeypatch, T, S, causal):
    g = torch.Generator().manual_seed(20)
    q, k, v = randn(2, 3, T, 4, g=g), randn(2, 3, S, 4, g=g), randn(2, 3, S, 5, g=g)
    expected = lecture_attention(q, k, v, causal)
    for block in (1, 3, 2 * S, 1 << 20):  # one row of one head at a time ... everything at once
        monkeypatch.setattr(A, "_BLOCK_ELEMENTS", block)
        out = A.scaled_dot_product_attention(q.to(device), k.to(device), v.to(device), causal=causal)
        torch.testing.assert_close(out.cpu(), expected)


@pytest.mark.parametrize("dtype", [torch.float16, torch.bfloat16, torch.float32], ids=str)
def test_sdpa_on_non_contiguous_and_broadcast_inputs_matches_the_formula(A, device, dtype):
    g = torch.Generator().manual_seed(21)
    q = randn(2, 6, 3, 4, g=g).transpose(1, 2)  # (2, 3, 6, 4), not contiguous
    k = randn(1, 5, 4, g=g)  # broadcast over the batch and the heads
    v = randn(2, 1, 5, 3, g=g)
    for causal in (False, True):
        out = A.scaled_dot_product_attention(*(t.to(device, dtype) for t in (q, k, v)), causal=causal)
        assert out.shape == (2, 3, 6, 3) and out.dtype == dtype
        tol = dict(atol=1e-2, rtol=1e-2) if dtype != torch.float32 else dict(atol=1e-5, rtol=1e-5)
        torch.testing.assert_close(out.cpu().double(), lecture_attention(q, k, v, causal), **tol)


@pytest.mark.parametrize("T, S", [(0, 3), (3, 0), (0, 0)], ids=["no-query", "no-key", "neither"])
def test_sdpa_with_an_empty_sequence_returns_the_formula_s_empty_or_zero_output(A, device, T, S):
    q, k, v = torch.ones(T, 2, device=device), torch.ones(S, 2, device=device), torch.ones(S, 3, device=device)
    for causal in (False, True):
        out = A.scaled_dot_product_attention(q, k, v, causal=causal)
        assert out.shape == (T, 3) and not out.isnan().any() and (out == 0).all()


@pytest.mark.parametrize("T, S", [(4, 4), (5, 3), (3, 5)], ids=["square", "tall", "wide"])
def test_sdpa_passes_gradients_to_query_key_and_value(A, T, S):
    # tall causal: the first T - S queries see no key; their rows must give zero gradients, not NaN
    g = torch.Generator().manual_seed(22)
    q, k, v = randn(1, 2, T, 3, g=g), randn(1, 2, S, 3, g=g), randn(1, 2, S, 3, g=g)
    q, k, v = (t.requires_grad_() for t in (q, k, v))
    assert torch.autograd.gradcheck(lambda q, k, v: A.scaled_dot_product_attention(q, k, v, causal=True), (q, k, v))


def test_sdpa_keeps_float32_and_float16_on_the_input_dtype(A, device):
    for dtype in (torch.float32, torch.float16 if device == "cuda" else torch.bfloat16):
        q = torch.randn(1, 2, 3, 4, device=device, dtype=dtype)
        assert A.scaled_dot_product_attention(q, q, q).dtype == dtype


def test_a_fully_masked_query_gets_zeros_not_nan(A, device):
    q = torch.randn(1, 3, 4, device=device)
    mask = torch.tensor([[True, True, False], [False, False, False], [True, False, False]], device=device)
    out = A.scaled_dot_product_attention(q, q, q, mask)
    w = A.attention_weights(q, q, mask)
    assert not out.isnan().any() and (out[0, 1] == 0).all() and (w[0, 1] == 0).all()
    assert A.scaled_dot_product_attention(q, q[:, :1], q[:, :1], causal=True)[0, :2].abs().sum() == 0


def test_sdpa_scales_by_the_square_root_of_d(A, device):
    # one query, two keys: scores 4/√4 = 2 and 0, so weights are softmax([2, 0])
    q = torch.tensor([[1.0, 1, 1, 1]], device=device)
    k = torch.tensor([[1.0, 1, 1, 1], [0, 0, 0, 0]], device=device)
    w = A.attention_weights(q, k)
    torch.testing.assert_close(w.cpu(), torch.softmax(torch.tensor([[2.0, 0.0]]), -1))


@st.composite
def qkv(draw):
    T, S, d = draw(st.integers(1, 6)), draw(st.integers(1, 6)), draw(st.integers(1, 5))
    seed = draw(st.integers(0, 2**16))
    g = torch.Generator().manual_seed(seed)
    scale = draw(st.sampled_from([0.1, 1.0, 5.0]))
    return randn(2, T, d, g=g) * scale, randn(2, S, d, g=g) * scale, randn(2, S, 3, g=g), g


@given(qkv())
@settings(max_examples=50, suppress_health_check=FIXTURE_OK)
def test_attention_rows_sum_to_one(A, device, args):
    q, k = (t.to(device) for t in args[:2])
    w = A.attention_weights(q, k)
    assert (w >= 0).all()
    torch.testing.assert_close(w.sum(-1), torch.ones(w.shape[:-1], dtype=f64, device=device))


@given(qkv())
@settings(max_examples=50, suppress_health_check=FIXTURE_OK)
def test_permuting_the_key_value_set_leaves_the_output_unchanged(A, device, args):
    q, k, v, g = args
    perm = torch.randperm(k.shape[1], generator=g)
    q, k, v = q.to(device), k.to(device), v.to(device)
    torch.testing.assert_close(A.scaled_dot_product_attention(q, k[:, perm], v[:, perm]),
                               A.scaled_dot_product_attention(q, k, v))


@given(qkv())
@settings(max_examples=50, suppress_health_check=FIXTURE_OK)
def test_permuting_the_queries_permutes_the_outputs(A, device, args):
    q, k, v, g = args
    perm = torch.randperm(q.shape[1], generator=g)
    q, k, v = q.to(device), k.to(device), v.to(device)
    torch.testing.assert_close(A.scaled_dot_product_attention(q[:, perm], k, v),
                               A.scaled_dot_product_attention(q, k, v)[:, perm])


@given(T=st.integers(2, 8), t=st.data(), seed=st.integers(0, 2**16))
@settings(max_examples=50, suppress_health_check=FIXTURE_OK)
def test_with_a_causal_mask_output_t_ignores_later_inputs(A, device, T, t, seed):
    t = t.draw(st.integers(0, T - 2))
    g = torch.Generator().manual_seed(seed)
    x = randn(1, T, 4, g=g, device=device)
    W = [randn(4, 4, g=g, device=device) for _ in range(4)]
    y = A.multi_head_attention(x, x, *W, num_heads=2, causal=True)
    x2 = x.clone()
    x2[:, t + 1:] = randn(1, T - t - 1, 4, g=g, device=device) * 10  # change the future only
    y2 = A.multi_head_attention(x2, x2, *W, num_heads=2, causal=True)
    torch.testing.assert_close(y2[:, : t + 1], y[:, : t + 1])
    assert not torch.allclose(y2[:, t + 1:], y[:, t + 1:])


@pytest.mark.parametrize("call, message", [
    (lambda A: A.scaled_dot_product_attention(torch.zeros(2, 3, 4), torch.zeros(2, 3, 5), torch.zeros(2, 3, 5)),
     "key: expected Tensor[..., S, d=4] (query's d), got Tensor[2, 3, 5] float32"),
    (lambda A: A.scaled_dot_product_attention(torch.zeros(3, 4), torch.zeros(3, 4), torch.zeros(2, 4)),
     "value: expected Tensor[..., S=3, d_v], got Tensor[2, 4] float32"),
    (lambda A: A.attention_weights(torch.zeros(3, 4), torch.zeros(3, 4), torch.ones(3, 3)),
     "mask: expected a bool tensor (True = may attend) broadcastable to [3, 3], got Tensor[3, 3] float32"),
    (lambda A: A.multi_head_attention(torch.zeros(1, 2, 6), torch.zeros(1, 2, 6), torch.zeros(6, 6),
                                      torch.zeros(6, 6), torch.zeros(6, 6), torch.zeros(6, 6), 4),
     "W_q: expected Tensor[D_q=6, h·d] with h·d divisible by num_heads=4, got Tensor[6, 6] float32"),
    (lambda A: A.multi_head_attention(torch.zeros(1, 2, 6), [[0.0]], torch.zeros(6, 6),
                                      torch.zeros(6, 6), torch.zeros(6, 6), torch.zeros(6, 6), 2),
     "x_kv: expected Tensor[B=1, S, D_kv], got list"),
    (lambda A: A.multi_head_attention(torch.zeros(1, 2, 6), torch.zeros(1, 2, 6), torch.zeros(6, 6),
                                      torch.zeros(6, 6), torch.zeros(6, 6), torch.zeros(6, 6), True),
     "num_heads: expected an int >= 1, got True"),
    (lambda A: A.layer_norm(torch.zeros(3, dtype=torch.long)),
     "x: expected a float Tensor[..., D], got Tensor[3] int64"),
], ids=["key-width", "value-length", "float-mask", "heads", "not-a-tensor", "bool-heads", "int-input"])
def test_attention_names_the_argument_with_the_wrong_shape(A, call, message):
    with pytest.raises(ValueError) as info:
        call(A)
    assert str(info.value) == message


# ---------------------------------------------------------------- multi-head attention


def mha_oracle(D, h, W_q, W_k, W_v, W_o, biases, kdim=None):
    mha = nn.MultiheadAttention(D, h, bias=biases is not None, batch_first=True, dtype=f64,
                                kdim=kdim, vdim=kdim)
    with torch.no_grad():
        if kdim is None:
            mha.in_proj_weight.copy_(torch.cat([W_q.T, W_k.T, W_v.T]))
        else:
            mha.q_proj_weight.copy_(W_q.T)
            mha.k_proj_weight.copy_(W_k.T)
            mha.v_proj_weight.copy_(W_v.T)
        mha.out_proj.weight.copy_(W_o.T)
        if biases is not None:
            mha.in_proj_bias.copy_(torch.cat(biases[:3]))
            mha.out_proj.bias.copy_(biases[3])
    return mha.eval()


@pytest.mark.parametrize("case", ["self", "self-masked", "cross-kdim", "biases"])
def test_multi_head_attention_matches_nn_multiheadattention(A, device, case):
    g = torch.Generator().manual_seed(3)
    B, T, S, D, h = 2, 4, 6, 8, 2
    Dkv = 5 if case == "cross-kdim" else D
    x_q = randn(B, T, D, g=g)
    x_kv = x_q if case.startswith("self") else randn(B, S, Dkv, g=g)
    S = x_kv.shape[1]
    W_q, W_k, W_v, W_o = randn(D, D, g=g), randn(Dkv, D, g=g), randn(Dkv, D, g=g), randn(D, D, g=g)
    biases = [randn(D, g=g) for _ in range(4)] if case == "biases" else None
    mask = None
    if case == "self-masked":
        mask = torch.rand(B, T, S, generator=g) < 0.5
        mask[..., 0] = True
    mha = mha_oracle(D, h, W_q, W_k, W_v, W_o, biases, kdim=Dkv if case == "cross-kdim" else None)
    torch_mask = None if mask is None else (~mask).repeat_interleave(h, dim=0)  # True = blocked, [B·h, T, S]
    expected, _ = mha(x_q, x_kv, x_kv, attn_mask=torch_mask, need_weights=False)
    dev = lambda t: None if t is None else t.to(device)  # noqa: E731
    b = biases or [None] * 4
    out = A.multi_head_attention(dev(x_q), dev(x_kv), dev(W_q), dev(W_k), dev(W_v), dev(W_o), h, dev(mask),
                                 False, *(dev(t) for t in b))
    assert out.shape == (B, T, D) and out.device.type == device
    torch.testing.assert_close(out.cpu(), expected)


def test_multi_head_attention_with_one_head_is_plain_attention_with_projections(A, device):
    g = torch.Generator().manual_seed(4)
    x = randn(1, 3, 4, g=g, device=device)
    W = [randn(4, 4, g=g, device=device) for _ in range(4)]
    expected = torch.softmax((x @ W[0]) @ (x @ W[1]).transpose(1, 2) / 2, -1) @ (x @ W[2]) @ W[3]
    torch.testing.assert_close(A.multi_head_attention(x, x, *W, num_heads=1), expected)


# ---------------------------------------------------------------- norms and feed-forward layers


def test_layer_norm_matches_nn_layernorm(A, device):
    g = torch.Generator().manual_seed(5)
    x, w, b = randn(2, 3, 6, g=g) * 3 + 1, randn(6, g=g), randn(6, g=g)
    ln = nn.LayerNorm(6, dtype=f64)
    with torch.no_grad():
        ln.weight.copy_(w)
        ln.bias.copy_(b)
        expected = ln(x)
    out = A.layer_norm(x.to(device), w.to(device), b.to(device))
    assert out.device.type == device
    torch.testing.assert_close(out.cpu(), expected)


def test_layer_norm_of_a_small_vector_by_hand(A, device):
    # [1, 2, 3]: μ = 2, σ² = 2/3
    out = A.layer_norm(torch.tensor([1.0, 2.0, 3.0], dtype=f64, device=device), eps=0.0)
    torch.testing.assert_close(out.cpu(), torch.tensor([-1, 0, 1], dtype=f64) * math.sqrt(1.5))


def test_rms_norm_matches_nn_rmsnorm(A, device):
    g = torch.Generator().manual_seed(6)
    x, w = randn(2, 3, 6, g=g) * 3 + 1, randn(6, g=g)
    rms = nn.RMSNorm(6, eps=1e-6, dtype=f64)
    with torch.no_grad():
        rms.weight.copy_(w)
        expected = rms(x)
    out = A.rms_norm(x.to(device), w.to(device))
    torch.testing.assert_close(out.cpu(), expected)
    # [3, 4]: rms = sqrt(12.5), no centring
    torch.testing.assert_close(A.rms_norm(torch.tensor([3.0, 4.0], dtype=f64), eps=0.0),
                               torch.tensor([3.0, 4.0], dtype=f64) / math.sqrt(12.5))


@pytest.mark.parametrize("dtype", [torch.float16, torch.bfloat16], ids=["float16", "bfloat16"])
@pytest.mark.parametrize("norm", ["layer_norm", "rms_norm"])
def test_norms_in_half_precision_match_float32_for_values_above_256(A, device, norm, dtype):
    # |x| > 256 squares past float16's 65504: the statistics must be computed in float32 (opmath)
    g = torch.Generator().manual_seed(15)
    x = (torch.randn(3, 16, generator=g) * 1000).to(dtype)
    w = torch.rand(16, generator=g).to(dtype) + 0.5
    out = getattr(A, norm)(x.to(device), w.to(device))
    expected = getattr(A, norm)(x.float(), w.float())
    assert out.dtype == dtype and out.isfinite().all()
    torch.testing.assert_close(out.cpu().float(), expected, atol=2e-2, rtol=1e-2)
    torch.testing.assert_close(out.cpu().float(), (F.layer_norm(x.float(), (16,), w.float()) if norm == "layer_norm"
                                                   else F.rms_norm(x.float(), (16,), w.float(), 1e-6)),
                               atol=2e-2, rtol=1e-2)


def test_norms_accept_a_non_contiguous_input(A, device):
    g = torch.Generator().manual_seed(16)
    x = randn(6, 4, g=g, device=device).T  # (4, 6), not contiguous
    assert not x.is_contiguous()
    torch.testing.assert_close(A.layer_norm(x), F.layer_norm(x.contiguous(), (6,)))
    torch.testing.assert_close(A.rms_norm(x), F.rms_norm(x.contiguous(), (6,), eps=1e-6))


def test_swiglu_ffn_is_swish_gate_times_linear_branch(A, device):
    g = torch.Generator().manual_seed(7)
    x, W1, W2, W3 = randn(2, 5, 6, g=g), randn(6, 16, g=g), randn(6, 16, g=g), randn(16, 6, g=g)
    a = x @ W1
    expected = (a * torch.sigmoid(a) * (x @ W2)) @ W3
    out = A.swiglu_ffn(*(t.to(device) for t in (x, W1, W2, W3)))
    torch.testing.assert_close(out.cpu(), expected)
    # H = 8D/3 keeps the parameters of a D → 4D → D FFN
    D = 6
    assert 3 * D * (8 * D // 3) == 2 * D * 4 * D


def test_ffn_matches_a_torch_sequential(A, device):
    g = torch.Generator().manual_seed(8)
    x = randn(3, 4, g=g)
    lin1, lin2 = nn.Linear(4, 10, dtype=f64), nn.Linear(10, 4, dtype=f64)
    ws = [t.detach().to(device) for t in (lin1.weight.T, lin2.weight.T, lin1.bias, lin2.bias)]
    for act, mod in (("relu", nn.ReLU()), ("gelu", nn.GELU())):
        expected = nn.Sequential(lin1, mod, lin2)(x)
        out = A.ffn(x.to(device), *ws, act)
        torch.testing.assert_close(out.cpu(), expected.detach())


# ---------------------------------------------------------------- transformer blocks


def encoder_layer_and_params(D, h, Fw, norm_first, g):
    layer = nn.TransformerEncoderLayer(D, h, Fw, dropout=0.0, batch_first=True, norm_first=norm_first,
                                       dtype=f64).eval()
    with torch.no_grad():
        for p in layer.parameters():
            p.copy_(torch.randn(p.shape, generator=g, dtype=f64) * 0.5)
    sa = layer.self_attn
    Wq, Wk, Wv = sa.in_proj_weight.detach().chunk(3)
    bq, bk, bv = sa.in_proj_bias.detach().chunk(3)
    params = dict(W_q=Wq.T, W_k=Wk.T, W_v=Wv.T, W_o=sa.out_proj.weight.detach().T,
                  b_q=bq, b_k=bk, b_v=bv, b_o=sa.out_proj.bias.detach(),
                  W1=layer.linear1.weight.detach().T, b1=layer.linear1.bias.detach(),
                  W2=layer.linear2.weight.detach().T, b2=layer.linear2.bias.detach(),
                  ln1_weight=layer.norm1.weight.detach(), ln1_bias=layer.norm1.bias.detach(),
                  ln2_weight=layer.norm2.weight.detach(), ln2_bias=layer.norm2.bias.detach())
    return layer, params


@pytest.mark.parametrize("causal", [False, True], ids=["encoder", "causal"])
def test_prenorm_block_matches_a_norm_first_transformer_encoder_layer(A, device, causal):
    g = torch.Generator().manual_seed(9)
    layer, params = encoder_layer_and_params(8, 2, 16, True, g)
    x = randn(2, 5, 8, g=g)
    with torch.no_grad():
        expected = layer(x, src_mask=nn.Transformer.generate_square_subsequent_mask(5, dtype=f64) if causal else None,
                         is_causal=causal)
    out = A.prenorm_block(x.to(device), {k: v.to(device) for k, v in params.items()}, 2, causal=causal)
    assert out.device.type == device
    torch.testing.assert_close(out.cpu(), expected)


def test_transformer_block_post_norm_matches_the_original_encoder_layer(A, device):
    g = torch.Generator().manual_seed(10)
    layer, params = encoder_layer_and_params(8, 4, 12, False, g)
    x = randn(2, 5, 8, g=g)
    with torch.no_grad():
        expected = layer(x)
    params = {k: v.to(device) for k, v in params.items()}
    out = A.transformer_block(x.to(device), params, 4)
    assert out.device.type == device
    torch.testing.assert_close(out.cpu(), expected)
    assert not torch.allclose(A.transformer_block(x.to(device), params, 4, norm_first=True).cpu(), expected)


def test_transformer_block_names_missing_and_unknown_weights(A):
    x = torch.zeros(1, 2, 4)
    with pytest.raises(ValueError, match="params: missing W1, W2"):
        A.prenorm_block(x, {k: torch.zeros(4, 4) for k in ("W_q", "W_k", "W_v", "W_o")}, 2)
    with pytest.raises(ValueError, match="params: unknown keys Wq"):
        A.prenorm_block(x, {"Wq": torch.zeros(4, 4), **{k: torch.zeros(4, 4) for k in
                                                        ("W_q", "W_k", "W_v", "W_o", "W1", "W2")}}, 2)


# ---------------------------------------------------------------- mixture of experts


def test_moe_routes_each_token_to_its_top_k_experts_with_renormalised_weights(A, device):
    g = torch.Generator().manual_seed(11)
    N, D, E, k = 10, 4, 5, 2
    x, Wr = randn(N, D, g=g, device=device), randn(D, E, g=g, device=device)
    mats = [randn(D, 3, g=g, device=device) for _ in range(E)]
    calls = []

    def make(e):
        def expert(t):
            calls.append(t.shape[0])
            return t @ mats[e]
        return expert

    out, idx, gates = A.moe(x, Wr, [make(e) for e in range(E)], k)
    assert out.shape == (N, 3) and idx.shape == gates.shape == (N, k) and out.device.type == device
    assert sum(calls) == N * k  # each expert sees only its own tokens: compute ×k, not ×E
    probs = torch.softmax(x @ Wr, -1)
    for n in range(N):
        top = sorted(range(E), key=lambda e: -probs[n, e].item())[:k]
        assert idx[n].tolist() == top
        w = probs[n, top] / probs[n, top].sum()
        torch.testing.assert_close(gates[n], w)
        torch.testing.assert_close(out[n], sum(w[j] * (x[n] @ mats[top[j]]) for j in range(k)))


def test_moe_with_every_expert_chosen_is_the_softmax_mixture(A, device):
    g = torch.Generator().manual_seed(12)
    x, Wr = randn(2, 3, 4, g=g, device=device), randn(4, 3, g=g, device=device)
    mats = [randn(4, 4, g=g, device=device) for _ in range(3)]
    out, _, _ = A.moe(x, Wr, [lambda t, m=m: t @ m for m in mats], 3)
    p = torch.softmax(x @ Wr, -1)
    torch.testing.assert_close(out, sum(p[..., e: e + 1] * (x @ mats[e]) for e in range(3)))


def test_moe_with_zero_tokens_returns_empty_outputs(A, device):
    x, Wr = torch.zeros(0, 4, device=device), torch.ones(4, 3, device=device)
    W = torch.ones(4, 2, device=device)
    out, idx, gates = A.moe(x, Wr, [lambda t: t @ W] * 3, 2)
    assert out.shape == (0, 2) and idx.shape == gates.shape == (0, 2)
    out, _, _ = A.moe(torch.zeros(2, 0, 4, device=device), Wr, [lambda t: t @ W] * 3, 1)
    assert out.shape == (2, 0, 2)


def test_moe_names_a_wrong_expert_count(A):
    with pytest.raises(ValueError, match=re.escape("experts: expected a sequence of E=3 callables")):
        A.moe(torch.zeros(2, 4), torch.zeros(4, 3), [lambda t: t], 1)


# ---------------------------------------------------------------- ViT


def test_patchify_then_project_equals_a_conv2d_with_kernel_equal_to_stride(A, device):
    g = torch.Generator().manual_seed(13)
    B, C, H, W, p, D = 2, 3, 8, 12, 4, 5
    images = randn(B, C, H, W, g=g)
    conv = nn.Conv2d(C, D, p, stride=p, dtype=f64)
    expected = conv(images).flatten(2).transpose(1, 2).detach()  # (B, N, D), patches row by row
    weight = conv.weight.detach().reshape(D, C * p * p).T
    patches = A.patchify(images.to(device), p)
    assert patches.shape == (B, (H // p) * (W // p), C * p * p) and patches.device.type == device
    torch.testing.assert_close((patches @ weight.to(device) + conv.bias.detach().to(device)).cpu(), expected)
    pos = randn(6, D, g=g)
    out = A.vit_embed(images.to(device), p, weight.to(device), conv.bias.detach().to(device), pos.to(device))
    torch.testing.assert_close(out.cpu(), expected + pos)


def test_vit_embed_prepends_the_class_token_before_adding_positions(A, device):
    g = torch.Generator().manual_seed(14)
    images, weight, cls, pos = (randn(1, 1, 4, 4, g=g, device=device), randn(4, 3, g=g, device=device),
                                randn(3, g=g, device=device), randn(5, 3, g=g, device=device))
    out = A.vit_embed(images, 2, weight, None, pos, cls)
    assert out.shape == (1, 5, 3)
    torch.testing.assert_close(out[0, 0], cls + pos[0])
    torch.testing.assert_close(out[0, 1], images[0, 0, :2, :2].reshape(4) @ weight + pos[1])


def test_patchify_names_an_image_size_that_does_not_divide(A):
    message = "images: expected Tensor[B, C, H, W] with H and W divisible by patch=4, got Tensor[1, 3, 8, 10] float32"
    with pytest.raises(ValueError, match=re.escape(message)):
        A.patchify(torch.zeros(1, 3, 8, 10), 4)


# ---------------------------------------------------------------- slow sweeps (pytest -m slow)


@pytest.mark.slow
@given(seed=st.integers(0, 2**16), B=st.integers(1, 3), T=st.integers(1, 6), S=st.integers(1, 6),
       h=st.sampled_from([1, 2, 4]), d=st.integers(1, 4), bias=st.booleans(), masked=st.booleans())
@settings(max_examples=150, suppress_health_check=FIXTURE_OK)
def test_multi_head_attention_matches_nn_multiheadattention_over_random_shapes(A, device, seed, B, T, S, h, d,
                                                                               bias, masked):
    g = torch.Generator().manual_seed(seed)
    D = h * d
    x_q, x_kv = randn(B, T, D, g=g), randn(B, S, D, g=g)
    W = [randn(D, D, g=g) for _ in range(4)]
    biases = [randn(D, g=g) for _ in range(4)] if bias else None
    mask = None
    if masked:
        mask = torch.rand(B, T, S, generator=g) < 0.5
        mask[..., 0] = True
    mha = mha_oracle(D, h, *W, biases)
    torch_mask = None if mask is None else (~mask).repeat_interleave(h, dim=0)
    expected, _ = mha(x_q, x_kv, x_kv, attn_mask=torch_mask, need_weights=False)
    dev = lambda t: None if t is None else t.to(device)  # noqa: E731
    out = A.multi_head_attention(dev(x_q), dev(x_kv), *(dev(w) for w in W), h, dev(mask), False,
                                 *(dev(t) for t in (biases or [None] * 4)))
    torch.testing.assert_close(out.cpu(), expected.detach())
