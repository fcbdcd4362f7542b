"""Attention and Transformers: additive and dot-product attention, multi-head attention, norms,
feed-forward layers, Transformer blocks, mixture of experts, ViT patch embedding.

Dimension letters (used in every docstring below):

- ``B`` batch; ``T`` query (target) length; ``S`` key/value (source) length;
- ``D`` model width; ``h`` heads; ``d`` width per head (``D = h·d``); ``F`` hidden width of a
  feed-forward layer; ``E`` experts;
- ``C``, ``H``, ``W`` image channels, height, width; ``p`` patch size; ``N`` patches (tokens).

Conventions: a weight is ``[in, out]`` and applied as ``x @ W + b`` (``Q = X W_Q`` as in the
lecture); tests transpose weights into ``nn`` modules, which store ``[out, in]``. A boolean mask is
True where a query may attend to a key (PyTorch's ``scaled_dot_product_attention`` convention; the
opposite of ``nn.MultiheadAttention``'s ``attn_mask``). A query whose keys are all masked gets
all-zero weights and a zero output, not NaN.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence

import torch
import torch.nn.functional as F
from torch import Tensor

__all__ = [
    "additive_attention",
    "causal_mask",
    "attention_weights",
    "scaled_dot_product_attention",
    "multi_head_attention",
    "layer_norm",
    "rms_norm",
    "ffn",
    "swiglu_ffn",
    "transformer_block",
    "prenorm_block",
    "moe",
    "patchify",
    "vit_embed",
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


def _check_shape(x: object, name: str, shape: tuple, expected: str) -> Tensor:
    """:func:`_check_tensor`, and the shape matches ``shape`` (None = any size)."""
    _check_tensor(x, name, expected)
    if x.dim() != len(shape) or any(s is not None and s != a for s, a in zip(shape, x.shape)):
        raise ValueError(f"{name}: expected {expected}, got {_describe(x)}")
    return x


def _check_optional(x: Tensor | None, name: str, shape: tuple, expected: str) -> None:
    if x is not None:
        _check_shape(x, name, shape, expected)


def _check_int(value: object, name: str, low: int, high: int | None = None, expected: str | None = None) -> int:
    """An int (not a bool) in ``[low, high]``; ``expected`` overrides the description."""
    if isinstance(value, bool) or not isinstance(value, int) or value < low or (high is not None and value > high):
        raise ValueError(f"{name}: expected {expected or f'an int >= {low}'}, got {_describe(value)}")
    return value


def _linear(x: Tensor, W: Tensor, b: Tensor | None) -> Tensor:
    """``x @ W + b`` (one fused matmul-and-add; ``F.linear`` takes the weight as ``[out, in]``)."""
    return F.linear(x, W.T, b)


def _opmath(x: Tensor) -> Tensor:
    """Half-precision tensors widened to float32 for sums and squares (torch's "opmath" rule):
    a float16 square overflows past |x| = 256 and a bfloat16 sum loses digits."""
    return x.float() if x.dtype in (torch.float16, torch.bfloat16) else x


def _masked_softmax(scores: Tensor, mask: Tensor | None) -> Tensor:
    """Softmax over the last dim; masked-out entries get weight 0, a fully masked row all zeros."""
    if mask is None:
        return torch.softmax(scores, dim=-1)
    weights = torch.softmax(scores.masked_fill(~mask, float("-inf")), dim=-1)
    return weights.masked_fill(~mask, 0.0)  # also turns a fully masked row's NaNs into zeros


def _check_mask(mask: Tensor | None, name: str, target: tuple[int, ...]) -> Tensor | None:
    if mask is None:
        return None
    expected = f"a bool tensor (True = may attend) broadcastable to [{', '.join(map(str, target))}]"
    _check_tensor(mask, name, expected)
    try:
        torch.broadcast_shapes(mask.shape, target)
    except RuntimeError:
        ok = False
    else:
        ok = mask.dtype == torch.bool and mask.dim() <= len(target)
    if not ok:
        raise ValueError(f"{name}: expected {expected}, got {_describe(mask)}")
    return mask


def additive_attention(
    query: Tensor,
    keys: Tensor,
    values: Tensor,
    W_q: Tensor,
    W_k: Tensor,
    v: Tensor,
    mask: Tensor | None = None,
) -> tuple[Tensor, Tensor]:
    """Bahdanau (additive, MLP) attention of one decoder state over the encoder states.

    ``e_i = tanh(s W_q + h_i W_k) · v``, ``α = softmax(e)`` over the ``S`` positions,
    ``c = Σ_i α_i v_i`` (the context vector).

    Args:
        query (Tensor[B, D_q]): the decoder state ``s_{t-1}``.
        keys (Tensor[B, S, D_k]): the encoder states ``h_i`` that are scored.
        values (Tensor[B, S, D_v]): what is averaged (usually the same ``h_i``).
        W_q (Tensor[D_q, A]), W_k (Tensor[D_k, A]): projections into the attention width ``A``.
        v (Tensor[A]): the scoring vector.
        mask (Tensor[B, S] bool or None): True where a position may be attended to.

    Returns:
        (Tensor[B, D_v], Tensor[B, S]): the context ``c_t`` and the weights ``α_t`` (each row sums to
        1, or is all zeros when fully masked).

    Reference: Bahdanau, Cho & Bengio, Neural Machine Translation by Jointly Learning to Align and
    Translate (ICLR 2015), Eq. 6 and App. A.1.2; cheatsheet §3 "Attention (RNN)".
    Concepts: attention.rnn_attention
    """
    _check_shape(query, "query", (None, None), "Tensor[B, D_q]")
    B, Dq = query.shape
    _check_shape(keys, "keys", (B, None, None), f"Tensor[B={B}, S, D_k]")
    S, Dk = keys.shape[1:]
    _check_shape(values, "values", (B, S, None), f"Tensor[B={B}, S={S}, D_v]")
    _check_shape(W_q, "W_q", (Dq, None), f"Tensor[D_q={Dq}, A]")
    A = W_q.shape[1]
    _check_shape(W_k, "W_k", (Dk, A), f"Tensor[D_k={Dk}, A={A}]")
    _check_shape(v, "v", (A,), f"Tensor[A={A}]")
    mask = _check_mask(mask, "mask", (B, S))
    e = torch.tanh((query @ W_q).unsqueeze(1) + keys @ W_k) @ v  # (B, S)
    alpha = _masked_softmax(e, mask)  # (B, S)
    context = (alpha.unsqueeze(1) @ values).squeeze(1)  # (B, D_v)
    return context, alpha


def causal_mask(T: int, S: int | None = None, device: torch.device | str | None = None) -> Tensor:
    """The causal mask, lower-right aligned: query ``t`` may attend to key ``s`` iff ``s <= t + S - T``.

    With ``T == S`` this is the usual lower triangle (a token sees itself and the past). With
    ``S > T`` (queries are the last ``T`` of ``S`` positions, as when decoding with a cache) the last
    query sees every key. With ``S < T`` the first ``T - S`` queries see nothing. Note that
    ``F.scaled_dot_product_attention(is_causal=True)`` aligns top-left instead; the two agree only
    when ``T == S``.

    Args:
        T (int): number of queries.
        S (int or None): number of keys (``T`` when None).
        device: where to make the mask.

    Returns:
        Tensor[T, S] bool: True = may attend.

    Reference: Vaswani et al., Attention Is All You Need (2017), Sec. 3.2.3; cheatsheet §3
    "Masked Self-Attention".
    Concepts: attention.causal_mask
    """
    if S is None:
        S = T
    for name, n in (("T", T), ("S", S)):
        _check_int(n, name, 0)
    return torch.ones(T, S, dtype=torch.bool, device=device).tril(diagonal=S - T)


def _check_qkv(query: Tensor, key: Tensor, value: Tensor | None) -> None:
    for name, t in (("query", query), ("key", key)):
        expected = f"a float Tensor[..., {'T' if name == 'query' else 'S'}, d] (e.g. Tensor[B, h, T, d])"
        _check_tensor(t, name, expected)
        if t.dim() < 2 or not t.is_floating_point():
            raise ValueError(f"{name}: expected {expected}, got {_describe(t)}")
    if key.shape[-1] != query.shape[-1]:
        raise ValueError(f"key: expected Tensor[..., S, d={query.shape[-1]}] (query's d), got {_describe(key)}")
    if value is not None:
        expected = f"Tensor[..., S={key.shape[-2]}, d_v]"
        _check_tensor(value, "value", expected)
        if value.dim() < 2 or value.shape[-2] != key.shape[-2]:
            raise ValueError(f"value: expected {expected}, got {_describe(value)}")
    try:
        torch.broadcast_shapes(query.shape[:-2], key.shape[:-2], *(() if value is None else (value.shape[:-2],)))
    except RuntimeError:
        raise ValueError(f"key: expected leading (batch, head) dims that broadcast with query's "
                         f"{_describe(query)}, got {_describe(key)}") from None


def attention_weights(query: Tensor, key: Tensor, mask: Tensor | None = None, causal: bool = False) -> Tensor:
    """The attention matrix ``softmax(Q Kᵀ / √d)`` with an optional mask.

    Args:
        query (Tensor[..., T, d]): queries, e.g. ``Tensor[B, h, T, d]``.
        key (Tensor[..., S, d]): keys (leading dims broadcast with query's).
        mask (bool Tensor broadcastable to [..., T, S] or None): True = may attend.
        causal (bool): also apply :func:`causal_mask` (lower-right aligned).

    Returns:
        Tensor[..., T, S]: weights; each row sums to 1, a fully masked row is all zeros.

    Reference: Vaswani et al. (2017), Eq. 1; cheatsheet §3 "General Attention Layer".
    Concepts: attention.scaled_dot_product, attention.why_scale, attention.causal_mask
    """
    _check_qkv(query, key, None)
    T, S = query.shape[-2], key.shape[-2]
    lead = torch.broadcast_shapes(query.shape[:-2], key.shape[:-2])
    mask = _check_mask(mask, "mask", (*lead, T, S))
    if not isinstance(causal, bool):
        raise ValueError(f"causal: expected a bool, got {_describe(causal)}")
    if causal:
        cm = causal_mask(T, S, device=query.device)
        mask = cm if mask is None else mask & cm
    scores = query @ key.transpose(-2, -1) / math.sqrt(query.shape[-1])  # (..., T, S)
    return _masked_softmax(scores, mask)


def scaled_dot_product_attention(
    query: Tensor, key: Tensor, value: Tensor, mask: Tensor | None = None, causal: bool = False
) -> Tensor:
    """Scaled dot-product attention: ``softmax(Q Kᵀ / √d) V``.

    Equivariant to permuting the queries, invariant to permuting the key/value pairs together.
    Masks as in :func:`attention_weights` (True = may attend; fully masked query → zero output;
    ``causal`` is lower-right aligned, the same as PyTorch's ``is_causal`` when ``T == S``).

    Args:
        query (Tensor[..., T, d]): e.g. ``Tensor[B, h, T, d]``.
        key (Tensor[..., S, d]).
        value (Tensor[..., S, d_v]).
        mask (bool Tensor broadcastable to [..., T, S] or None): True = may attend.
        causal (bool): hide keys after each query's position.

    Returns:
        Tensor[..., T, d_v]: the attended values.

    Reference: Vaswani et al., Attention Is All You Need (2017), Eq. 1; cheatsheet §3
    "General Attention Layer" and "Masked Self-Attention".
    Concepts: attention.scaled_dot_product, attention.why_scale, attention.causal_mask
    """
    _check_qkv(query, key, value)
    if mask is None and isinstance(causal, bool):
        return _blocked_attention(query, key, value, causal)
    return attention_weights(query, key, mask, causal) @ value  # (..., T, d_v)


# Scores held at once by the block-wise path: 2^19 elements (2 MB in float32) stay in cache and in
# the allocator's pool, where one (B·h, T, S) matrix would be fetched from fresh pages on every call.
_BLOCK_ELEMENTS = 1 << 19


def _blocked_attention(query: Tensor, key: Tensor, value: Tensor, causal: bool) -> Tensor:
    """``softmax(Q Kᵀ / √d) V`` without a mask, computed block by block (the same numbers).

    Block-wise attention: the heads are taken a few at a time and, with ``causal``, the queries in
    blocks of rows; a query block reads only the keys it may see (the causal "upper triangle" of
    blocks is never computed) and its diagonal block gets ``-inf`` added above the lower-right
    diagonal. Each block is a plain softmax over all of its allowed keys, so the result is the
    formula of :func:`attention_weights` (not an online-softmax approximation). Queries with no
    allowed key (``causal`` with ``S < T``) get zeros.
    """
    lead = torch.broadcast_shapes(query.shape[:-2], key.shape[:-2], value.shape[:-2])
    T, d = query.shape[-2:]
    S, dv = value.shape[-2:]
    N = math.prod(lead)  # B·h
    if N == 0 or T == 0 or S == 0:
        return query.new_zeros(*lead, T, dv)
    q = (query * (1 / math.sqrt(d))).expand(*lead, T, d).reshape(N, T, d)  # (N, T, d); scale Q once
    k = key.expand(*lead, S, d).reshape(N, S, d)  # (N, S, d)
    v = value.expand(*lead, S, dv).reshape(N, S, dv)  # (N, S, d_v)
    rows = T if not causal else max(1, min(T, 128, _BLOCK_ELEMENTS // S))  # queries per block
    heads = max(1, min(N, _BLOCK_ELEMENTS // (rows * S)))  # (batch, head) pairs per block
    blocks = []
    for t0 in range(0, T, rows):
        t1 = min(T, t0 + rows)
        s1 = S if not causal else max(0, min(S, t1 + S - T))  # keys this block may see: s <= t + S - T
        if s1 == 0:
            blocks.append(q.new_zeros(N, t1 - t0, dv))
            continue
        bias = None
        if causal and t0 + S - T < s1 - 1:  # the block straddles the diagonal
            allowed = causal_mask(T, S, device=q.device)[t0:t1, :s1]
            allowed[:max(0, T - S - t0)] = True  # rows that see no key: finite here, zeroed below
            bias = torch.zeros(t1 - t0, s1, dtype=q.dtype, device=q.device).masked_fill_(~allowed, float("-inf"))
        parts = []
        for n0 in range(0, N, heads):
            kt = k[n0:n0 + heads, :s1].transpose(1, 2)  # (n, d, s1)
            qb = q[n0:n0 + heads, t0:t1]  # (n, rows, d)
            scores = torch.bmm(qb, kt) if bias is None else torch.baddbmm(bias, qb, kt)  # (n, rows, s1)
            parts.append(torch.bmm(torch.softmax(scores, dim=-1), v[n0:n0 + heads, :s1]))  # (n, rows, d_v)
        blocks.append(torch.cat(parts) if len(parts) > 1 else parts[0])
    out = torch.cat(blocks, dim=1) if len(blocks) > 1 else blocks[0]  # (N, T, d_v)
    if causal and T > S:
        out[:, :T - S] = 0  # those queries see no key at all (zero output, zero gradient, no NaN)
    return out.reshape(*lead, T, dv)


def multi_head_attention(
    x_q: Tensor,
    x_kv: Tensor,
    W_q: Tensor,
    W_k: Tensor,
    W_v: Tensor,
    W_o: Tensor,
    num_heads: int,
    mask: Tensor | None = None,
    causal: bool = False,
    b_q: Tensor | None = None,
    b_k: Tensor | None = None,
    b_v: Tensor | None = None,
    b_o: Tensor | None = None,
) -> Tensor:
    """Multi-head attention: project, split into heads, attend per head, concatenate, project.

    ``Q = x_q W_q``, ``K = x_kv W_k``, ``V = x_kv W_v``; head ``j`` uses columns ``j·d … (j+1)·d - 1``
    of each projection; ``O = concat_j(softmax(Q_j K_jᵀ / √d) V_j) W_o``. Self-attention is
    ``x_q = x_kv``; cross-attention takes ``x_kv`` from another sequence.

    Args:
        x_q (Tensor[B, T, D_q]): the sequence the queries come from.
        x_kv (Tensor[B, S, D_kv]): the sequence the keys and values come from.
        W_q (Tensor[D_q, h·d]), W_k (Tensor[D_kv, h·d]): query and key projections.
        W_v (Tensor[D_kv, h·d_v]): value projection.
        W_o (Tensor[h·d_v, D]): output projection.
        num_heads (int): ``h``; must divide the projection widths.
        mask (bool Tensor[T, S], [B, T, S] or [B, h, T, S], or None): True = may attend.
        causal (bool): also apply the (lower-right aligned) causal mask.
        b_q, b_k, b_v (Tensor[h·d] / Tensor[h·d_v] or None), b_o (Tensor[D] or None): biases.

    Returns:
        Tensor[B, T, D]: the output.

    Reference: Vaswani et al. (2017), Sec. 3.2.2; cheatsheet §3 "Self-Attention" (the four
    matmuls) and "Multi-Head Attention".
    Concepts: attention.multi_head, attention.self_attention, attention.scaled_dot_product
    """
    _check_shape(x_q, "x_q", (None, None, None), "Tensor[B, T, D_q]")
    B, T, Dq = x_q.shape
    _check_shape(x_kv, "x_kv", (B, None, None), f"Tensor[B={B}, S, D_kv]")
    S, Dkv = x_kv.shape[1:]
    h = _check_int(num_heads, "num_heads", 1)
    _check_shape(W_q, "W_q", (Dq, None), f"Tensor[D_q={Dq}, h·d]")
    HD = W_q.shape[1]
    if HD % h:
        raise ValueError(f"W_q: expected Tensor[D_q={Dq}, h·d] with h·d divisible by num_heads={h}, "
                         f"got {_describe(W_q)}")
    _check_shape(W_k, "W_k", (Dkv, HD), f"Tensor[D_kv={Dkv}, h·d={HD}]")
    _check_shape(W_v, "W_v", (Dkv, None), f"Tensor[D_kv={Dkv}, h·d_v]")
    HDv = W_v.shape[1]
    if HDv % h:
        raise ValueError(f"W_v: expected Tensor[D_kv={Dkv}, h·d_v] with h·d_v divisible by num_heads={h}, "
                         f"got {_describe(W_v)}")
    _check_shape(W_o, "W_o", (HDv, None), f"Tensor[h·d_v={HDv}, D]")
    _check_optional(b_q, "b_q", (HD,), f"Tensor[h·d={HD}]")
    _check_optional(b_k, "b_k", (HD,), f"Tensor[h·d={HD}]")
    _check_optional(b_v, "b_v", (HDv,), f"Tensor[h·d_v={HDv}]")
    _check_optional(b_o, "b_o", (W_o.shape[1],), f"Tensor[D={W_o.shape[1]}]")
    if mask is not None:
        expected = "a bool Tensor[T, S], [B, T, S] or [B, h, T, S] (True = may attend)"
        _check_tensor(mask, "mask", expected)
        if mask.dim() not in (2, 3, 4):
            raise ValueError(f"mask: expected {expected}, got {_describe(mask)}")
        if mask.dim() == 3:
            mask = mask.unsqueeze(1)  # (B, 1, T, S): the same mask for every head
        _check_mask(mask, "mask", (B, h, T, S))
    d, dv = HD // h, HDv // h
    q = _linear(x_q, W_q, b_q).reshape(B, T, h, d).transpose(1, 2)  # (B, h, T, d)
    k = _linear(x_kv, W_k, b_k).reshape(B, S, h, d).transpose(1, 2)  # (B, h, S, d)
    v = _linear(x_kv, W_v, b_v).reshape(B, S, h, dv).transpose(1, 2)  # (B, h, S, d_v)
    y = scaled_dot_product_attention(q, k, v, mask, causal)  # (B, h, T, d_v)
    y = y.transpose(1, 2).reshape(B, T, HDv)  # (B, T, h·d_v): concatenate the heads
    return _linear(y, W_o, b_o)  # (B, T, D)


def _check_last(x: Tensor, name: str) -> int:
    """A float tensor with at least one dim; returns its last size ``D``."""
    _check_tensor(x, name, "a float Tensor[..., D]")
    if x.dim() < 1 or not x.is_floating_point():
        raise ValueError(f"{name}: expected a float Tensor[..., D], got {_describe(x)}")
    return x.shape[-1]


def layer_norm(x: Tensor, weight: Tensor | None = None, bias: Tensor | None = None, eps: float = 1e-5) -> Tensor:
    """Layer normalisation over the last dimension (each token on its own).

    ``μ = mean(x)``, ``σ² = mean((x - μ)²)`` (biased), ``y = (x - μ) / sqrt(σ² + ε) · γ + β``.
    float16/bfloat16 input is normalised in float32 and cast back (as torch's own kernel does).

    Args:
        x (Tensor[..., D]).
        weight (Tensor[D] or None): ``γ`` (ones when None).
        bias (Tensor[D] or None): ``β`` (zeros when None).
        eps (float): ``ε`` inside the square root.

    Returns:
        Tensor[..., D].

    Reference: Ba, Kiros & Hinton, Layer Normalization (2016), Eq. 4; cheatsheet §3 "Transformer".
    Concepts: attention.transformer_block
    """
    D = _check_last(x, "x")
    _check_optional(weight, "weight", (D,), f"Tensor[D={D}]")
    _check_optional(bias, "bias", (D,), f"Tensor[D={D}]")
    z = _opmath(x)  # statistics of float16/bfloat16 input in float32, result cast back
    mu = z.mean(dim=-1, keepdim=True)
    var = (z - mu).square().mean(dim=-1, keepdim=True)
    y = (z - mu) / torch.sqrt(var + eps)
    if weight is not None:
        y = y * weight
    if bias is not None:
        y = y + bias
    return y if z is x else y.to(x.dtype)


def rms_norm(x: Tensor, weight: Tensor | None = None, eps: float = 1e-6) -> Tensor:
    """RMS normalisation over the last dimension: rescale by the root mean square, no centring.

    ``y = x / sqrt(ε + mean(x²)) · γ``; float16/bfloat16 input is computed in float32 and cast back.

    Args:
        x (Tensor[..., D]).
        weight (Tensor[D] or None): ``γ`` (ones when None).
        eps (float): ``ε`` inside the square root (``nn.RMSNorm(eps=...)`` with the same value agrees).

    Returns:
        Tensor[..., D].

    Reference: Zhang & Sennrich, Root Mean Square Layer Normalization (NeurIPS 2019), Eq. 4;
    cheatsheet §3 "RMSNorm".
    Concepts: attention.rmsnorm
    """
    D = _check_last(x, "x")
    _check_optional(weight, "weight", (D,), f"Tensor[D={D}]")
    z = _opmath(x)  # float16's square overflows past |x| = 256: work in float32, cast back
    y = z * torch.rsqrt(z.square().mean(dim=-1, keepdim=True) + eps)
    y = y * weight if weight is not None else y
    return y if z is x else y.to(x.dtype)


_ACTIVATIONS: dict[str, Callable[[Tensor], Tensor]] = {"relu": torch.relu, "gelu": F.gelu}


def ffn(
    x: Tensor,
    W1: Tensor,
    W2: Tensor,
    b1: Tensor | None = None,
    b2: Tensor | None = None,
    activation: str = "relu",
) -> Tensor:
    """The Transformer's position-wise feed-forward layer: ``act(x W1 + b1) W2 + b2``.

    Args:
        x (Tensor[..., D]).
        W1 (Tensor[D, F]), b1 (Tensor[F] or None): expansion (usually ``F = 4D``).
        W2 (Tensor[F, D_out]), b2 (Tensor[D_out] or None): projection back.
        activation (str): ``"relu"`` (the original Transformer) or ``"gelu"`` (exact erf form).

    Returns:
        Tensor[..., D_out]: applied to every token independently.

    Reference: Vaswani et al. (2017), Eq. 2; cheatsheet §3 "Transformer".
    Concepts: attention.transformer_block
    """
    D = _check_last(x, "x")
    _check_shape(W1, "W1", (D, None), f"Tensor[D={D}, F]")
    Fw = W1.shape[1]
    _check_shape(W2, "W2", (Fw, None), f"Tensor[F={Fw}, D_out]")
    _check_optional(b1, "b1", (Fw,), f"Tensor[F={Fw}]")
    _check_optional(b2, "b2", (W2.shape[1],), f"Tensor[D_out={W2.shape[1]}]")
    if activation not in _ACTIVATIONS:
        raise ValueError(f"activation: expected one of {', '.join(map(repr, sorted(_ACTIVATIONS)))}, "
                         f"got {_describe(activation)}")
    return _linear(_ACTIVATIONS[activation](_linear(x, W1, b1)), W2, b2)


def swiglu_ffn(x: Tensor, W1: Tensor, W2: Tensor, W3: Tensor) -> Tensor:
    """SwiGLU feed-forward layer: ``(Swish(x W1) ⊙ x W2) W3``, with ``Swish(z) = z · σ(z)`` (SiLU).

    Three ``D×F`` matrices instead of two: ``F = 8D/3`` keeps the parameter count of a
    ``D → 4D → D`` FFN (``3·D·8D/3 = 2·D·4D``).

    Args:
        x (Tensor[..., D]).
        W1 (Tensor[D, F]): the gated branch (through Swish).
        W2 (Tensor[D, F]): the linear branch.
        W3 (Tensor[F, D_out]): the output projection.

    Returns:
        Tensor[..., D_out].

    Reference: Shazeer, GLU Variants Improve Transformer (2020), Eq. 6 (FFN_SwiGLU, no biases);
    cheatsheet §3 "SwiGLU".
    Concepts: attention.swiglu
    """
    D = _check_last(x, "x")
    _check_shape(W1, "W1", (D, None), f"Tensor[D={D}, F]")
    Fw = W1.shape[1]
    _check_shape(W2, "W2", (D, Fw), f"Tensor[D={D}, F={Fw}]")
    _check_shape(W3, "W3", (Fw, None), f"Tensor[F={Fw}, D_out]")
    return (F.silu(x @ W1) * (x @ W2)) @ W3


_BLOCK_KEYS = ("W_q", "W_k", "W_v", "W_o", "W1", "W2")
_BLOCK_OPTIONAL = ("b_q", "b_k", "b_v", "b_o", "b1", "b2", "ln1_weight", "ln1_bias", "ln2_weight", "ln2_bias")


def transformer_block(
    x: Tensor,
    params: Mapping[str, Tensor],
    num_heads: int,
    mask: Tensor | None = None,
    causal: bool = False,
    norm_first: bool = False,
    activation: str = "relu",
    eps: float = 1e-5,
) -> Tensor:
    """One Transformer encoder block: self-attention and an FFN, each with a residual and LayerNorm.

    Post-norm (``norm_first=False``, the original): ``x = LN1(x + MHA(x))``, ``x = LN2(x + FFN(x))``.
    Pre-norm (``norm_first=True``): ``x = x + MHA(LN1(x))``, ``x = x + FFN(LN2(x))`` — the norm sits
    on the residual branch, so the identity path stays clean. Dropout is left out (eval mode). Only
    the attention mixes tokens; LayerNorm and the FFN act on each token alone.

    Args:
        x (Tensor[B, T, D]).
        params (mapping of str to Tensor): required ``W_q``, ``W_k``, ``W_v`` (Tensor[D, D]),
            ``W_o`` (Tensor[D, D]), ``W1`` (Tensor[D, F]), ``W2`` (Tensor[F, D]); optional (zeros /
            ones when missing) ``b_q``, ``b_k``, ``b_v``, ``b_o``, ``b1``, ``b2``, ``ln1_weight``,
            ``ln1_bias``, ``ln2_weight``, ``ln2_bias``. All weights ``[in, out]``.
        num_heads (int): ``h``, dividing ``D``.
        mask (bool Tensor[T, T], [B, T, T] or [B, h, T, T], or None): True = may attend.
        causal (bool): decoder-style causal self-attention.
        norm_first (bool): pre-norm (True) or post-norm (False).
        activation (str): the FFN's activation, ``"relu"`` or ``"gelu"``.
        eps (float): the LayerNorms' ``ε``.

    Returns:
        Tensor[B, T, D].

    Reference: Vaswani et al. (2017), Sec. 3.1; Xiong et al., On Layer Normalization in the
    Transformer Architecture (ICML 2020) for pre-norm; cheatsheet §3 "Transformer", "Pre-Norm".
    Concepts: attention.transformer_block, attention.prenorm
    """
    _check_shape(x, "x", (None, None, None), "Tensor[B, T, D]")
    if not isinstance(params, Mapping):
        raise ValueError(f"params: expected a mapping of weight names to tensors, got {_describe(params)}")
    missing = [k for k in _BLOCK_KEYS if k not in params]
    if missing:
        raise ValueError(f"params: missing {', '.join(missing)} (expected keys {', '.join(_BLOCK_KEYS)})")
    unknown = sorted(set(params) - set(_BLOCK_KEYS) - set(_BLOCK_OPTIONAL))
    if unknown:
        raise ValueError(f"params: unknown keys {', '.join(unknown)} (allowed: "
                         f"{', '.join(_BLOCK_KEYS + _BLOCK_OPTIONAL)})")
    p = params
    D = x.shape[-1]
    for k in ("W_q", "W_k", "W_v", "W_o"):
        _check_shape(p[k], f"params[{k!r}]", (D, D), f"Tensor[D={D}, D={D}]")

    def attn(z: Tensor) -> Tensor:
        return multi_head_attention(z, z, p["W_q"], p["W_k"], p["W_v"], p["W_o"], num_heads, mask, causal,
                                    p.get("b_q"), p.get("b_k"), p.get("b_v"), p.get("b_o"))

    def ln(z: Tensor, i: int) -> Tensor:
        return layer_norm(z, p.get(f"ln{i}_weight"), p.get(f"ln{i}_bias"), eps)

    def mlp(z: Tensor) -> Tensor:
        return ffn(z, p["W1"], p["W2"], p.get("b1"), p.get("b2"), activation)

    if norm_first:
        x = x + attn(ln(x, 1))
        return x + mlp(ln(x, 2))
    x = ln(x + attn(x), 1)
    return ln(x + mlp(x), 2)


def prenorm_block(
    x: Tensor,
    params: Mapping[str, Tensor],
    num_heads: int,
    mask: Tensor | None = None,
    causal: bool = False,
    activation: str = "relu",
    eps: float = 1e-5,
) -> Tensor:
    """A pre-norm Transformer block: ``x = x + MHA(LN1(x))``, then ``x = x + FFN(LN2(x))``.

    The same as :func:`transformer_block` with ``norm_first=True`` (``nn.TransformerEncoderLayer(
    norm_first=True)`` in eval mode); ``params`` has the keys listed there.

    Args:
        x (Tensor[B, T, D]).
        params (mapping of str to Tensor): ``W_q``, ``W_k``, ``W_v``, ``W_o`` (Tensor[D, D]),
            ``W1`` (Tensor[D, F]), ``W2`` (Tensor[F, D]) and the optional biases and norm weights.
        num_heads (int), mask, causal, activation, eps: as in :func:`transformer_block`.

    Returns:
        Tensor[B, T, D].

    Reference: Xiong et al., On Layer Normalization in the Transformer Architecture (ICML 2020);
    cheatsheet §3 "Pre-Norm".
    Concepts: attention.prenorm, attention.transformer_block
    """
    return transformer_block(x, params, num_heads, mask, causal, True, activation, eps)


def moe(
    x: Tensor, router_weight: Tensor, experts: Sequence[Callable[[Tensor], Tensor]], k: int
) -> tuple[Tensor, Tensor, Tensor]:
    """A mixture-of-experts layer with top-k routing.

    Router probabilities ``softmax(x W_r)`` over the ``E`` experts; each token keeps its ``k`` most
    probable experts (ties to the lower expert index), renormalises their probabilities to sum to
    1, and outputs ``Σ_j gate_j · expert_{idx_j}(x)``. Each expert runs only on the tokens routed to
    it: parameters grow ×E, compute per token ×k. The top-k choice itself is not differentiable.

    Args:
        x (Tensor[..., D]): tokens.
        router_weight (Tensor[D, E]): the router, applied as ``x @ router_weight``.
        experts (sequence of E callables): each maps ``Tensor[M, D]`` to ``Tensor[M, D_out]``
            (e.g. a :func:`ffn` or :func:`swiglu_ffn` with its own weights).
        k (int): experts per token, ``1 <= k <= E``.

    Returns:
        (Tensor[..., D_out], Tensor[..., k] int64, Tensor[..., k]): the outputs, the chosen expert
        indices (most probable first) and their renormalised gate weights.

    Reference: Shazeer et al., Outrageously Large Neural Networks (ICLR 2017), Sec. 2; Fedus et al.,
    Switch Transformers (2021); cheatsheet §3 "MoE".
    Concepts: attention.moe
    """
    D = _check_last(x, "x")
    _check_shape(router_weight, "router_weight", (D, None), f"Tensor[D={D}, E]")
    E = router_weight.shape[1]
    if isinstance(experts, (str, bytes)) or not isinstance(experts, Sequence) or len(experts) != E \
            or not all(callable(e) for e in experts):
        n = f"{len(experts)} items" if isinstance(experts, Sequence) else _describe(experts)
        raise ValueError(f"experts: expected a sequence of E={E} callables (router_weight's columns), got {n}")
    _check_int(k, "k", 1, E, f"an int in [1, E={E}]")
    lead = x.shape[:-1]
    tokens = x.reshape(-1, D)  # (M, D)
    probs = torch.softmax(tokens @ router_weight, dim=-1)  # (M, E)
    order = torch.sort(probs, dim=-1, descending=True, stable=True).indices[:, :k]  # (M, k)
    top = torch.gather(probs, 1, order)
    gates = top / top.sum(dim=-1, keepdim=True)  # renormalised over the chosen k
    out: Tensor | None = None
    for e, expert in enumerate(experts):  # one batched call per expert, on its tokens only
        chosen = order == e  # (M, k)
        rows = chosen.any(dim=-1).nonzero().squeeze(1)  # tokens routed to e
        weight = (gates * chosen).sum(dim=-1)[rows]  # (M_e,)
        y = expert(tokens[rows])  # (M_e, D_out)
        if out is None:
            out = y.new_zeros(tokens.shape[0], y.shape[-1])
        out.index_add_(0, rows, y * weight.unsqueeze(-1).to(y.dtype))
    return out.reshape(*lead, out.shape[-1]), order.reshape(*lead, k), gates.reshape(*lead, k)


def patchify(images: Tensor, patch: int) -> Tensor:
    """Cut images into non-overlapping ``p × p`` patches and flatten each one.

    Patches are numbered row by row (left to right, then top to bottom); each is flattened in
    ``(C, p, p)`` order, the order of a ``Conv2d`` weight ``[D, C, p, p]`` flattened to ``[D, C·p·p]``.

    Args:
        images (Tensor[B, C, H, W]): ``H`` and ``W`` divisible by ``patch``.
        patch (int): ``p``.

    Returns:
        Tensor[B, N, C·p·p] with ``N = (H/p)·(W/p)``.

    Reference: Dosovitskiy et al., An Image is Worth 16x16 Words (ICLR 2021), Sec. 3.1, Eq. 1;
    cheatsheet §3 "ViT".
    Concepts: attention.vit
    """
    _check_shape(images, "images", (None, None, None, None), "Tensor[B, C, H, W]")
    _check_int(patch, "patch", 1)
    B, C, H, W = images.shape
    if H % patch or W % patch:
        raise ValueError(f"images: expected Tensor[B, C, H, W] with H and W divisible by patch={patch}, "
                         f"got {_describe(images)}")
    gh, gw = H // patch, W // patch
    x = images.reshape(B, C, gh, patch, gw, patch).permute(0, 2, 4, 1, 3, 5)  # (B, gh, gw, C, p, p)
    return x.reshape(B, gh * gw, C * patch * patch)  # (B, N, C·p·p)


def vit_embed(
    images: Tensor,
    patch: int,
    weight: Tensor,
    bias: Tensor | None,
    pos_embed: Tensor,
    cls_token: Tensor | None = None,
) -> Tensor:
    """ViT input tokens: patchify, project linearly, prepend an optional class token, add positions.

    ``z = [x_cls; patchify(images) W + b] + E_pos``. The learned position embedding has one row
    per token (``N`` or ``N + 1`` with a class token), added after the class token is prepended.

    Args:
        images (Tensor[B, C, H, W]).
        patch (int): ``p``.
        weight (Tensor[C·p·p, D]): the patch projection (a ``Conv2d`` with kernel = stride = ``p``).
        bias (Tensor[D] or None).
        pos_embed (Tensor[N, D], or Tensor[N + 1, D] with a class token): learned positions.
        cls_token (Tensor[D] or None): the learned class token.

    Returns:
        Tensor[B, N, D], or Tensor[B, N + 1, D] with the class token first.

    Reference: Dosovitskiy et al., An Image is Worth 16x16 Words (ICLR 2021), Eq. 1; cheatsheet §3 "ViT".
    Concepts: attention.vit
    """
    x = patchify(images, patch)  # (B, N, C·p·p)
    B, N, P = x.shape
    _check_shape(weight, "weight", (P, None), f"Tensor[C·p·p={P}, D]")
    D = weight.shape[1]
    _check_optional(bias, "bias", (D,), f"Tensor[D={D}]")
    _check_optional(cls_token, "cls_token", (D,), f"Tensor[D={D}]")
    n = N + (cls_token is not None)
    _check_shape(pos_embed, "pos_embed", (n, D), f"Tensor[{'N + 1' if cls_token is not None else 'N'}={n}, D={D}]")
    z = _linear(x, weight, bias)  # (B, N, D)
    if cls_token is not None:
        z = torch.cat([cls_token.expand(B, 1, D).to(z.dtype), z], dim=1)  # (B, N + 1, D)
    return z + pos_embed
