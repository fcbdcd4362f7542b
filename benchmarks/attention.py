"""Attention against torch: SDPA vs ``F.scaled_dot_product_attention``, MHA vs ``nn.MultiheadAttention``."""

from __future__ import annotations

import torch
import torch.nn as nn
import torch.nn.functional as F

from benchmarks._common import close, reference
from benchmarks.harness import Row, synced


def rows(device: str, quick: bool) -> list[Row]:
    A = reference("attention")
    tv = f"torch {torch.__version__}"
    g = torch.Generator().manual_seed(0)
    B, h, T, d = (2, 8, 256, 64) if quick else (8, 8, 512, 64)
    q, k, v = (torch.randn(B, h, T, d, generator=g).to(device) for _ in range(3))
    shape = f"{B}x{h}x{T}x{d}"
    out = []
    for causal in (False, True):
        out.append(Row(
            f"SDPA {shape}, {'causal' if causal else 'no mask'}",
            synced(lambda c=causal: A.scaled_dot_product_attention(q, k, v, causal=c), device),
            synced(lambda c=causal: F.scaled_dot_product_attention(q, k, v, is_causal=c), device),
            f"{tv} F.scaled_dot_product_attention", same=close(), target="<= 1.5x", gate=True))

    D, heads = (256, 8) if quick else (512, 8)
    L = 256 if quick else 512
    mha = nn.MultiheadAttention(D, heads, batch_first=True).to(device).eval()
    x = torch.randn(B, L, D, generator=g).to(device)
    W_q, W_k, W_v = (w.T.detach() for w in mha.in_proj_weight.chunk(3))
    b_q, b_k, b_v = mha.in_proj_bias.detach().chunk(3)
    W_o, b_o = mha.out_proj.weight.T.detach(), mha.out_proj.bias.detach()

    def ours():
        return A.multi_head_attention(x, x, W_q, W_k, W_v, W_o, heads, b_q=b_q, b_k=b_k, b_v=b_v, b_o=b_o)

    def peer():
        with torch.no_grad():
            return mha(x, x, x, need_weights=False)[0]

    out.append(Row(f"MHA ({B}, {L}, {D}), {heads} heads, self-attention", synced(ours, device), synced(peer, device),
                   f"{tv} nn.MultiheadAttention (eval, no_grad, need_weights=False)", same=close(1e-4, 1e-3),
                   target="<= 1.2x"))
    return out
