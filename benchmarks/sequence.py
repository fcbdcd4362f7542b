"""Recurrent cells against torch: ``lstm_step``/``gru_step`` vs ``nn.LSTMCell``/``nn.GRUCell``; beam search alone."""

from __future__ import annotations

import torch
import torch.nn as nn

from benchmarks._common import close, reference
from benchmarks.harness import Row, synced


def rows(device: str, quick: bool) -> list[Row]:
    S = reference("sequence")
    tv = f"torch {torch.__version__}"
    g = torch.Generator().manual_seed(0)
    B, D, H = (32, 128, 128) if quick else (64, 512, 512)
    x, h, c = (torch.randn(B, n, generator=g).to(device) for n in (D, H, H))
    out = []

    lstm = nn.LSTMCell(D, H).to(device)
    wi, wh, bias = lstm.weight_ih.detach(), lstm.weight_hh.detach(), (lstm.bias_ih + lstm.bias_hh).detach()
    # nn.LSTMCell stacks i, f, g, o; the reference stacks i, f, o, g (the lecture's order)
    perm = torch.cat([torch.arange(0, 2 * H), torch.arange(3 * H, 4 * H), torch.arange(2 * H, 3 * H)]).to(device)
    W_xh, W_hh, b = wi[perm].T.contiguous(), wh[perm].T.contiguous(), bias[perm]

    def lstm_peer():
        with torch.no_grad():
            return lstm(x, (h, c))

    out.append(Row(f"lstm_step B={B}, D={D}, H={H}", synced(lambda: S.lstm_step(x, h, c, W_xh, W_hh, b), device),
                   synced(lstm_peer, device), f"{tv} nn.LSTMCell (no_grad)", same=close(), target="<= 1.5x"))

    gru = nn.GRUCell(D, H).to(device)
    gW_xh, gW_hh = gru.weight_ih.detach().T.contiguous(), gru.weight_hh.detach().T.contiguous()
    gb_xh, gb_hh = gru.bias_ih.detach(), gru.bias_hh.detach()

    def gru_peer():
        with torch.no_grad():
            return gru(x, h)

    out.append(Row(f"gru_step B={B}, D={D}, H={H}",
                   synced(lambda: S.gru_step(x, h, gW_xh, gW_hh, gb_xh, gb_hh), device), synced(gru_peer, device), f"{tv} nn.GRUCell (no_grad)", same=close(), target="<= 1.5x"))

    V, k, steps, Bb = (1000, 4, 10, 4) if quick else (10000, 5, 20, 8)
    table = torch.randn(V, V // 10 if not quick else 100, generator=g).to(device)
    proj = torch.randn(table.shape[1], V, generator=g).to(device)

    def step_fn(tokens):  # a fixed "language model": logits from the last token
        return table[tokens[:, -1]] @ proj

    start = torch.zeros(Bb, 1, dtype=torch.long, device=device)
    out.append(Row(f"beam_search B={Bb}, k={k}, V={V}, {steps} steps (the model is a table lookup)",
                   synced(lambda: S.beam_search(step_fn, start, k, steps), device), None, "-",
                   missing="no peer: the reference alone (topk per step, no full sort)"))
    return out
