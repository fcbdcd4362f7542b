"""Sequence models: RNN, LSTM and GRU cells, truncated BPTT, gradient clipping, decoding.

Dimension letters (used in every docstring below):

- ``B`` batch; ``T`` time steps (``t`` one step); ``D`` input width; ``H`` hidden width (here
  ``H`` is a width, not an image height); ``V`` vocabulary size.

Conventions: a weight is ``[in, out]`` and applied as ``x @ W + b`` (tests transpose it into
``nn.RNNCell`` and friends, which store ``[out, in]``). Sequences are batch-first, ``[B, T, ...]``.
Stacked gate weights list the gates in the order each docstring states.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import torch
import torch.nn.functional as F
from torch import Tensor

__all__ = [
    "rnn_step",
    "rnn_forward",
    "lstm_step",
    "gru_step",
    "truncated_bptt_grads",
    "clip_grad_norm",
    "embed",
    "sample",
    "greedy_decode",
    "beam_search",
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


def _check_int(value: object, name: str, low: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < low:
        raise ValueError(f"{name}: expected an int >= {low}, got {_describe(value)}")
    return value


def _check_number(value: object, name: str, low: float = 0) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not value >= low:
        raise ValueError(f"{name}: expected a number >= {low}, got {_describe(value)}")
    return value


def _check_cell(x: Tensor, h: Tensor, W_xh: Tensor, W_hh: Tensor, gates: int) -> tuple[int, int, int]:
    _check_shape(x, "x", (None, None), "Tensor[B, D]")
    B, D = x.shape
    _check_shape(h, "h", (B, None), f"Tensor[B={B}, H]")
    H = h.shape[1]
    g = f"{gates}·H={gates * H}" if gates > 1 else f"H={H}"
    _check_shape(W_xh, "W_xh", (D, gates * H), f"Tensor[D={D}, {g}]")
    _check_shape(W_hh, "W_hh", (H, gates * H), f"Tensor[H={H}, {g}]")
    return B, D, H


def _check_bias(b: Tensor | None, name: str, n: int, what: str) -> None:
    if b is not None:
        _check_shape(b, name, (n,), what)


def _affine(x: Tensor, W: Tensor, b: Tensor | None, h: Tensor | None = None, U: Tensor | None = None) -> Tensor:
    """``x W + b`` (+ ``h U``), each matmul fused with its addition (``addmm``)."""
    a = torch.addmm(b, x, W) if b is not None else x @ W
    return torch.addmm(a, h, U) if h is not None else a


def rnn_step(x: Tensor, h: Tensor, W_xh: Tensor, W_hh: Tensor, b: Tensor | None = None) -> Tensor:
    """One vanilla (Elman) RNN step: ``h_t = tanh(x_t W_xh + h_{t-1} W_hh + b)``.

    Args:
        x (Tensor[B, D]): input at step t.
        h (Tensor[B, H]): previous hidden state ``h_{t-1}``.
        W_xh (Tensor[D, H]): input-to-hidden weight, applied as ``x @ W_xh``.
        W_hh (Tensor[H, H]): hidden-to-hidden weight, applied as ``h @ W_hh``.
        b (Tensor[H] or None): bias (``nn.RNNCell``'s ``bias_ih + bias_hh``).

    Returns:
        Tensor[B, H]: the new hidden state, in (-1, 1).

    Reference: cheatsheet §2 "Vanilla RNN" (h_t = tanh(W_hh h_{t-1} + W_xh x_t), written here with
    row vectors); Elman, Finding Structure in Time (1990).
    Concepts: sequence.rnn, sequence.vanilla_rnn
    """
    _, _, H = _check_cell(x, h, W_xh, W_hh, 1)
    _check_bias(b, "b", H, f"Tensor[H={H}]")
    return torch.tanh(_affine(x, W_xh, b, h, W_hh))  # (B, H)


def rnn_forward(
    x: Tensor, h0: Tensor | None, W_xh: Tensor, W_hh: Tensor, b: Tensor | None = None
) -> tuple[Tensor, Tensor]:
    """Unroll :func:`rnn_step` over a sequence, sharing the same weights at every step.

    Args:
        x (Tensor[B, T, D]): the input sequence, batch-first.
        h0 (Tensor[B, H] or None): initial hidden state (zeros when None).
        W_xh (Tensor[D, H]), W_hh (Tensor[H, H]), b (Tensor[H] or None): as in :func:`rnn_step`.

    Returns:
        (Tensor[B, T, H], Tensor[B, H]): every hidden state ``h_1 … h_T``, and the last one ``h_T``.

    Reference: cheatsheet §2 "RNN" (h_t = f_W(h_{t-1}, x_t), weights shared over time).
    Concepts: sequence.rnn, sequence.vanilla_rnn
    """
    _check_shape(x, "x", (None, None, None), "Tensor[B, T, D]")
    B, T, D = x.shape
    _check_shape(W_hh, "W_hh", (None, None), "Tensor[H, H]")
    H = W_hh.shape[0]
    if h0 is None:
        h0 = x.new_zeros(B, H)
    _check_shape(h0, "h0", (B, H), f"Tensor[B={B}, H={H}]")
    h = h0
    hs = []
    for t in range(T):  # the recurrence is sequential in time; each step is batched
        h = rnn_step(x[:, t], h, W_xh, W_hh, b)
        hs.append(h)
    out = torch.stack(hs, dim=1) if hs else x.new_zeros(B, 0, H)  # (B, T, H)
    return out, h


def lstm_step(
    x: Tensor, h: Tensor, c: Tensor, W_xh: Tensor, W_hh: Tensor, b: Tensor | None = None
) -> tuple[Tensor, Tensor]:
    """One LSTM step with gates stacked i, f, o, g (the lecture's order).

    ``[i, f, o, g] = x W_xh + h W_hh + b`` split into four ``H``-wide blocks; ``i, f, o = σ(·)``,
    ``g = tanh(·)``; ``c_t = f ⊙ c_{t-1} + i ⊙ g``; ``h_t = o ⊙ tanh(c_t)``. With ``f = 1`` and
    ``i = 0`` the cell keeps ``c`` unchanged (the additive path that eases vanishing gradients).
    PyTorch's ``nn.LSTMCell`` stacks its gates i, f, g, o instead: swap the last two blocks.

    Args:
        x (Tensor[B, D]): input at step t.
        h (Tensor[B, H]): previous hidden state.
        c (Tensor[B, H]): previous cell state.
        W_xh (Tensor[D, 4H]): input weights, column blocks i, f, o, g.
        W_hh (Tensor[H, 4H]): hidden weights, column blocks i, f, o, g.
        b (Tensor[4H] or None): bias, blocks i, f, o, g.

    Returns:
        (Tensor[B, H], Tensor[B, H]): the new hidden state ``h_t`` and cell state ``c_t``.

    Reference: Hochreiter & Schmidhuber (1997); cheatsheet §2 "LSTM"; CS231n lecture 10 (i, f, o, g).
    Concepts: sequence.lstm
    """
    B, _, H = _check_cell(x, h, W_xh, W_hh, 4)
    _check_shape(c, "c", (B, H), f"Tensor[B={B}, H={H}]")
    _check_bias(b, "b", 4 * H, f"Tensor[4·H={4 * H}]")
    a = _affine(x, W_xh, b, h, W_hh)  # (B, 4H) = x W_xh + h W_hh + b
    i, f, o, g = a.chunk(4, dim=1)  # each (B, H)
    i, f, o, g = torch.sigmoid(i), torch.sigmoid(f), torch.sigmoid(o), torch.tanh(g)
    c_next = f * c + i * g
    h_next = o * torch.tanh(c_next)
    return h_next, c_next


def gru_step(
    x: Tensor,
    h: Tensor,
    W_xh: Tensor,
    W_hh: Tensor,
    b_xh: Tensor | None = None,
    b_hh: Tensor | None = None,
    reset_after: bool = True,
) -> Tensor:
    """One GRU step with gates stacked r, z, n (PyTorch's order and convention).

    ``r = σ(x W_xr + b_xr + h W_hr + b_hr)``, ``z = σ(x W_xz + b_xz + h W_hz + b_hz)``,
    ``n = tanh(x W_xn + b_xn + r ⊙ (h W_hn + b_hn))``, ``h_t = (1 - z) ⊙ n + z ⊙ h_{t-1}``.
    This is PyTorch's ``nn.GRUCell``: the reset gate multiplies the hidden matmul's result.
    ``reset_after=False`` gives the paper's variant instead, ``n = tanh(x W_xn + b_xn + (r ⊙ h) W_hn
    + b_hn)`` (reset applied before the matmul); the two differ whenever ``r ≠ 1``.

    Args:
        x (Tensor[B, D]): input at step t.
        h (Tensor[B, H]): previous hidden state.
        W_xh (Tensor[D, 3H]): input weights, column blocks r, z, n.
        W_hh (Tensor[H, 3H]): hidden weights, column blocks r, z, n.
        b_xh (Tensor[3H] or None): input bias (``bias_ih``), blocks r, z, n.
        b_hh (Tensor[3H] or None): hidden bias (``bias_hh``), blocks r, z, n.
        reset_after (bool): PyTorch's convention (True) or Cho et al.'s (False).

    Returns:
        Tensor[B, H]: the new hidden state.

    Reference: Cho et al., Learning Phrase Representations using RNN Encoder-Decoder (2014),
    Eqs. 5-8; PyTorch ``nn.GRU`` documentation; cheatsheet §2 "GRU".
    Concepts: sequence.gru
    """
    _, _, H = _check_cell(x, h, W_xh, W_hh, 3)
    _check_bias(b_xh, "b_xh", 3 * H, f"Tensor[3·H={3 * H}]")
    _check_bias(b_hh, "b_hh", 3 * H, f"Tensor[3·H={3 * H}]")
    xr, xz, xn = _affine(x, W_xh, b_xh).chunk(3, dim=1)  # each (B, H)
    if reset_after:  # one matmul for all three hidden blocks: r scales h W_hn + b_hn afterwards
        hr, hz, hn = _affine(h, W_hh, b_hh).chunk(3, dim=1)
    else:
        hr, hz = _affine(h, W_hh[:, :2 * H], None if b_hh is None else b_hh[:2 * H]).chunk(2, dim=1)
    r = torch.sigmoid(xr + hr)
    z = torch.sigmoid(xz + hz)
    if reset_after:
        n = torch.tanh(xn + r * hn)
    else:
        n = torch.tanh(xn + _affine(r * h, W_hh[:, 2 * H:], None if b_hh is None else b_hh[2 * H:]))
    return (1 - z) * n + z * h


def truncated_bptt_grads(
    x: Tensor,
    targets: Tensor,
    h0: Tensor | None,
    W_xh: Tensor,
    W_hh: Tensor,
    W_hy: Tensor,
    chunk: int,
    b: Tensor | None = None,
    b_y: Tensor | None = None,
) -> tuple[Tensor, dict[str, Tensor]]:
    """Gradients of a character-level RNN language model by truncated backpropagation through time.

    The model is :func:`rnn_forward` with outputs ``y_t = h_t W_hy + b_y`` and the loss
    ``L = Σ_t CE(y_t, targets_t)`` (summed over time, averaged over the batch). The sequence is cut
    into chunks of ``chunk`` = ΔT steps (the last may be shorter). The forward pass carries the
    hidden state from chunk to chunk, but it is detached at every boundary, so each chunk's loss
    backpropagates only inside its own window. The returned gradients are the sum of the chunks'
    gradients at the given weights (what accumulating ``.grad`` over the chunks gives, before any
    optimizer step). With ``chunk >= T`` this is full BPTT; for every ``chunk`` the loss and the
    gradient of ``W_hy`` are the same, and only the recurrent paths across boundaries are dropped.

    Args:
        x (Tensor[B, T, D]): inputs.
        targets (Tensor[B, T] int64): the class (next character) at each step, in ``[0, V)``.
        h0 (Tensor[B, H] or None): initial hidden state (zeros when None).
        W_xh (Tensor[D, H]), W_hh (Tensor[H, H]), b (Tensor[H] or None): the recurrence.
        W_hy (Tensor[H, V]), b_y (Tensor[V] or None): the output layer.
        chunk (int): ΔT, the window length, ``>= 1``.

    Returns:
        (Tensor[], dict[str, Tensor]): the loss (a 0-dim tensor, detached) and the gradients keyed
        ``"W_xh"``, ``"W_hh"``, ``"W_hy"`` and, when given, ``"b"`` and ``"b_y"``, each shaped like
        its weight.

    Reference: cheatsheet §2 "BPTT / Truncated BPTT"; Williams & Peng (1990); Sutskever, Training
    Recurrent Neural Networks (2013), Sec. 2.8.
    Concepts: sequence.bptt
    """
    _check_shape(x, "x", (None, None, None), "Tensor[B, T, D]")
    B, T, D = x.shape
    _check_shape(targets, "targets", (B, T), f"Tensor[B={B}, T={T}] int64")
    if targets.dtype != torch.long:
        raise ValueError(f"targets: expected Tensor[B={B}, T={T}] int64, got {_describe(targets)}")
    _check_shape(W_xh, "W_xh", (D, None), f"Tensor[D={D}, H]")
    H = W_xh.shape[1]
    _check_shape(W_hh, "W_hh", (H, H), f"Tensor[H={H}, H={H}]")
    _check_shape(W_hy, "W_hy", (H, None), f"Tensor[H={H}, V]")
    V = W_hy.shape[1]
    _check_bias(b, "b", H, f"Tensor[H={H}]")
    _check_bias(b_y, "b_y", V, f"Tensor[V={V}]")
    _check_int(chunk, "chunk", 1)
    if h0 is None:
        h0 = x.new_zeros(B, H)
    _check_shape(h0, "h0", (B, H), f"Tensor[B={B}, H={H}]")
    named = {"W_xh": W_xh, "W_hh": W_hh, "W_hy": W_hy, "b": b, "b_y": b_y}
    leaves = {k: v.detach().requires_grad_(True) for k, v in named.items() if v is not None}
    grads = {k: torch.zeros_like(v) for k, v in leaves.items()}
    total = x.new_zeros(())
    h = h0.detach()
    with torch.enable_grad():
        for s in range(0, T, chunk):
            xs, ys = x[:, s:s + chunk], targets[:, s:s + chunk]  # (B, ΔT, D), (B, ΔT)
            hs, h = rnn_forward(xs, h, leaves["W_xh"], leaves["W_hh"], leaves.get("b"))
            logits = hs @ leaves["W_hy"]  # (B, ΔT, V)
            if "b_y" in leaves:
                logits = logits + leaves["b_y"]
            loss = F.cross_entropy(logits.reshape(-1, V), ys.reshape(-1), reduction="sum") / B
            g = torch.autograd.grad(loss, list(leaves.values()), allow_unused=True)
            for (k, _), gk in zip(leaves.items(), g):
                if gk is not None:
                    grads[k] += gk
            total = total + loss.detach()
            h = h.detach()  # forward carries h on; backward stops at the boundary
    return total, grads


def clip_grad_norm(
    grads: Tensor | Sequence[Tensor], max_norm: float, eps: float = 1e-6
) -> tuple[list[Tensor], Tensor]:
    """Scale gradients down so that their global L2 norm is at most ``max_norm``.

    ``norm = sqrt(Σ_g ||g||²)`` over all tensors together; every gradient is multiplied by
    ``min(1, max_norm / (norm + eps))``. With the default ``eps = 1e-6`` this matches
    ``torch.nn.utils.clip_grad_norm_``; pass ``eps=0`` for the textbook rule ``g · max_norm / ||g||``.
    Clipping only rescales: it tames exploding gradients and cannot fix vanishing ones.

    Args:
        grads (Tensor or sequence of Tensor): gradients of any shapes (not modified).
        max_norm (float): the threshold, ``>= 0``.
        eps (float): added to the norm before dividing, ``>= 0``.

    Returns:
        (list[Tensor], Tensor[]): the clipped gradients (same shapes, dtypes and devices) and the
        total norm before clipping.

    Reference: Pascanu, Mikolov & Bengio, On the difficulty of training RNNs (ICML 2013), Alg. 1;
    cheatsheet §2 "Gradient Clipping".
    Concepts: sequence.gradients
    """
    if isinstance(grads, Tensor):
        grads = [grads]
    if isinstance(grads, (str, bytes)) or not isinstance(grads, Sequence) or len(grads) == 0 \
            or not all(isinstance(g, Tensor) for g in grads):
        raise ValueError(f"grads: expected a tensor or a non-empty sequence of tensors, got {_describe(grads)}")
    _check_number(max_norm, "max_norm")
    _check_number(eps, "eps")
    device = grads[0].device
    norms = torch.stack([torch.linalg.vector_norm(g.detach(), 2).to(device) for g in grads])
    total = torch.linalg.vector_norm(norms, 2)
    scale = torch.clamp(max_norm / (total + eps), max=1.0)
    if eps == 0:
        scale = torch.where(total > 0, scale, torch.ones_like(scale))  # no 0/0 for all-zero grads
    return [g * scale.to(g.device, g.dtype) for g in grads], total


def embed(tokens: Tensor, weight: Tensor) -> Tensor:
    """Look up token embeddings: row ``tokens[...]`` of ``weight``, equal to ``one_hot(tokens) @ weight``.

    Args:
        tokens (Tensor[...] int64): token ids in ``[0, V)``.
        weight (Tensor[V, D]): the embedding table, one row per token.

    Returns:
        Tensor[..., D]: the embeddings, in ``weight``'s dtype.

    Reference: cheatsheet §2 "Embedding Layer"; Bengio et al., A Neural Probabilistic Language Model (2003).
    Concepts: sequence.embedding
    """
    _check_shape(weight, "weight", (None, None), "Tensor[V, D]")
    _check_tensor(tokens, "tokens", "an integer tensor of ids in [0, V)")
    if tokens.is_floating_point() or tokens.is_complex() or tokens.dtype == torch.bool:
        raise ValueError(f"tokens: expected an integer tensor of ids in [0, V), got {_describe(tokens)}")
    V = weight.shape[0]
    if tokens.numel() and bool((tokens.min() < 0) | (tokens.max() >= V)):
        raise ValueError(f"tokens: expected ids in [0, V={V}), got values in "
                         f"[{int(tokens.min())}, {int(tokens.max())}]")
    return weight[tokens.long()]


def sample(logits: Tensor, temperature: float = 1.0, generator: torch.Generator | None = None) -> Tensor:
    """Draw one token per row from ``softmax(logits / temperature)``.

    ``temperature = 0`` means greedy: the argmax (ties to the lowest index). Higher temperatures
    flatten the distribution (more diverse samples, more errors that compound); lower ones sharpen it.

    Args:
        logits (Tensor[..., V]): unnormalised log-probabilities.
        temperature (float): ``>= 0``.
        generator (torch.Generator or None): the random source, on ``logits``' device.

    Returns:
        Tensor[...] int64: the sampled token ids.

    Reference: cheatsheet §2 "Character-Level Language Model Sampling" (weighted sampling);
    Hinton et al., Distilling the Knowledge in a Neural Network (2015) for the temperature.
    Concepts: sequence.sampling
    """
    _check_tensor(logits, "logits", "a float Tensor[..., V] with V >= 1")
    if logits.dim() < 1 or logits.shape[-1] < 1 or not logits.is_floating_point():
        raise ValueError(f"logits: expected a float Tensor[..., V] with V >= 1, got {_describe(logits)}")
    _check_number(temperature, "temperature")
    if temperature == 0:
        return logits.argmax(dim=-1)
    probs = torch.softmax(logits.reshape(-1, logits.shape[-1]) / temperature, dim=-1)  # (P, V)
    out = torch.multinomial(probs, 1, generator=generator).squeeze(-1)
    return out.reshape(logits.shape[:-1])


StepFn = Callable[[Tensor], Tensor]


def _start_tokens(start: Tensor) -> Tensor:
    expected = "Tensor[B, t0] int64 with t0 >= 1 (e.g. a start token)"
    _check_tensor(start, "start", expected)
    if start.dim() != 2 or start.dtype != torch.long or start.shape[1] < 1:
        raise ValueError(f"start: expected {expected}, got {_describe(start)}")
    return start


def _step_log_probs(step_fn: StepFn, tokens: Tensor) -> Tensor:
    out = step_fn(tokens)
    expected = f"it to return a float Tensor[{tokens.shape[0]}, V] of logits"
    if not isinstance(out, Tensor) or out.dim() != 2 or out.shape[0] != tokens.shape[0] or not out.is_floating_point():
        raise ValueError(f"step_fn: expected {expected}, got {_describe(out)}")
    return torch.log_softmax(out, dim=-1)


def _check_decode_args(max_len: int, eos: int | None) -> None:
    _check_int(max_len, "max_len", 0)
    if eos is not None and (not isinstance(eos, int) or isinstance(eos, bool) or eos < 0):
        raise ValueError(f"eos: expected a token id (int >= 0) or None, got {_describe(eos)}")


def greedy_decode(
    step_fn: StepFn, start: Tensor, max_len: int, eos: int | None = None
) -> tuple[Tensor, Tensor]:
    """Generate by always taking the most probable next token (deterministic).

    ``step_fn(tokens)`` takes the prefix ``Tensor[B', t] int64`` and returns ``Tensor[B', V]``
    logits for the next token; they are normalised with ``log_softmax`` (so returning
    log-probabilities is fine too). Ties go to the lowest token id. A sequence that has produced
    ``eos`` is finished: it is padded with ``eos`` at no further cost.

    Args:
        step_fn (callable): prefix ``Tensor[B, t]`` → next-token logits ``Tensor[B, V]``.
        start (Tensor[B, t0] int64): the prefix to continue (e.g. a start token).
        max_len (int): tokens to generate.
        eos (int or None): end-of-sequence token id.

    Returns:
        (Tensor[B, t0 + max_len] int64, Tensor[B]): the sequences (prefix included) and the
        log-probability of the generated part, ``Σ_t log P(y_t | y_<t)``.

    Reference: cheatsheet §2 "Character-Level Language Model Sampling" (greedy sampling).
    Concepts: sequence.sampling
    """
    tokens = _start_tokens(start)
    _check_decode_args(max_len, eos)
    B = tokens.shape[0]
    logp_total = None
    done = torch.zeros(B, dtype=torch.bool, device=tokens.device)
    for _ in range(max_len):  # autoregressive: each token depends on the previous ones
        logp = _step_log_probs(step_fn, tokens)  # (B, V)
        if logp_total is None:
            logp_total = logp.new_zeros(B)
        best, nxt = logp.max(dim=-1)  # first maximal index on ties
        if eos is not None:
            nxt = torch.where(done, torch.full_like(nxt, eos), nxt)
            best = torch.where(done, torch.zeros_like(best), best)
            done = done | (nxt == eos)
        logp_total = logp_total + best
        tokens = torch.cat([tokens, nxt.unsqueeze(1)], dim=1)
    if logp_total is None:
        logp_total = torch.zeros(B, device=tokens.device)
    return tokens, logp_total


def _top_k_stable(values: Tensor, k: int) -> Tensor:
    """Indices of the ``k`` largest entries of each row, best first, ties to the lower index.

    The same answer as ``sort(values, descending=True, stable=True).indices[:, :k]`` (the slow
    oracle in the tests) without sorting whole rows: a selection (``topk``) finds the k-th largest
    value; every entry above it is kept, and of the entries equal to it the lowest-indexed ones
    fill the remaining places; only those k are then sorted.
    """
    n = values.shape[1]
    kth = torch.topk(values, k, dim=1).values[:, -1:]  # (B, 1): the k-th largest value
    above, tied = values > kth, values == kth
    room = k - above.sum(dim=1, keepdim=True)  # places left for entries equal to the k-th
    keep = above | (tied & (tied.cumsum(dim=1) <= room))  # exactly k per row
    # the kept positions in index order: a key that is distinct per position, so topk has no ties
    key = torch.where(keep, n - torch.arange(n, device=values.device), -1)
    pos = torch.topk(key, k, dim=1).indices  # (B, k), ascending positions
    best_first = torch.sort(torch.gather(values, 1, pos), dim=1, descending=True, stable=True).indices
    return torch.gather(pos, 1, best_first)


def beam_search(
    step_fn: StepFn,
    start: Tensor,
    beam_width: int,
    max_len: int,
    length_penalty: float = 0.0,
    eos: int | None = None,
) -> tuple[Tensor, Tensor]:
    """Keep the ``beam_width`` most probable prefixes at every step; return them best first.

    Each step extends every beam by every token, scores a candidate by its summed log-probability
    ``Σ_t log P(y_t | y_<t)``, and keeps the best ``beam_width`` candidates (ties to the lower
    (beam, token) index). Beam width 1 is greedy decoding; a width of ``V**max_len`` keeps every
    sequence, i.e. exhaustive search. In between it is not guaranteed to find the most probable
    sequence. Finished beams (ended by ``eos``) stay in the beam, padded with ``eos`` at no cost. The
    final order uses ``score / length**length_penalty`` (``length`` = generated tokens up to and
    including ``eos``; ``length_penalty = 0`` ranks by the plain log-probability). Beams beyond the
    number of possible sequences have log-probability ``-inf``.

    Args:
        step_fn (callable): prefix ``Tensor[B·k, t]`` → next-token logits ``Tensor[B·k, V]``
            (normalised with ``log_softmax``), as in :func:`greedy_decode`.
        start (Tensor[B, t0] int64): the prefix (e.g. a start token).
        beam_width (int): ``k >= 1``.
        max_len (int): tokens to generate.
        length_penalty (float): exponent α of the length normalisation, ``>= 0``.
        eos (int or None): end-of-sequence token id.

    Returns:
        (Tensor[B, k, t0 + max_len] int64, Tensor[B, k]): the sequences, best first, and their
        log-probabilities (unnormalised sums).

    Reference: cheatsheet §2 "Beam Search" (between greedy and O(V^T) exhaustive search);
    Wu et al., Google's NMT system (2016), Sec. 7 (length penalty, here the simple lp = length^α).
    Concepts: sequence.sampling
    """
    tokens = _start_tokens(start)
    _check_decode_args(max_len, eos)
    _check_int(beam_width, "beam_width", 1)
    _check_number(length_penalty, "length_penalty")
    B, t0 = tokens.shape
    k = beam_width
    dev = tokens.device
    beams = tokens.unsqueeze(1).expand(B, k, t0).reshape(B * k, t0)  # (B·k, t)
    score = None  # (B, k)
    lengths = torch.zeros(B, k, dtype=torch.long, device=dev)
    done = torch.zeros(B, k, dtype=torch.bool, device=dev)
    for _ in range(max_len):
        logp = _step_log_probs(step_fn, beams)  # (B·k, V)
        V = logp.shape[1]
        if eos is not None and eos >= V:
            raise ValueError(f"eos: expected a token id in [0, V={V}), got {eos}")
        if score is None:
            # all k beams start equal: only the first may expand, or duplicates would fill the beam
            score = logp.new_full((B, k), float("-inf"))
            score[:, 0] = 0
        logp = logp.reshape(B, k, V)
        if eos is not None:
            # a finished beam continues only with eos, at log-probability 0
            frozen = torch.full_like(logp, float("-inf"))
            frozen[..., eos] = 0
            logp = torch.where(done.unsqueeze(-1), frozen, logp)
        cand = (score.unsqueeze(-1) + logp).reshape(B, k * V)  # (B, k·V)
        keep = _top_k_stable(cand, k)  # (B, k); k·V >= k candidates, so there are always k
        src, tok = keep // V, keep % V  # (B, k)
        score = torch.gather(cand, 1, keep)
        prev_done = torch.gather(done, 1, src)
        lengths = torch.gather(lengths, 1, src) + (~prev_done).long()
        done = prev_done | ((tok == eos) if eos is not None else torch.zeros_like(prev_done))
        flat_src = (src + torch.arange(B, device=dev).unsqueeze(1) * k).reshape(-1)
        beams = torch.cat([beams[flat_src], tok.reshape(-1, 1)], dim=1)
    if score is None:  # max_len == 0: the prefix itself, probability 1
        score = torch.zeros(B, k, device=dev)
        score[:, 1:] = float("-inf")
    if length_penalty:
        norm = score / lengths.clamp(min=1).to(score.dtype).pow(length_penalty)
        rank = torch.sort(norm, dim=1, descending=True, stable=True).indices
        score = torch.gather(score, 1, rank)
        beams = beams.reshape(B, k, -1)
        beams = torch.gather(beams, 1, rank.unsqueeze(-1).expand_as(beams))
    return beams.reshape(B, k, -1), score
