"""reference/sequence.py against torch's RNN cells, clip_grad_norm_, autograd and exhaustive search."""

from __future__ import annotations

import itertools
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
def S(course):
    return course.reference("sequence")


def randn(*shape, g, device="cpu"):
    return torch.randn(*shape, generator=g, dtype=f64).to(device)


# ---------------------------------------------------------------- cells against nn.*Cell


def test_rnn_step_matches_nn_rnncell(S, device):
    g = torch.Generator().manual_seed(0)
    B, D, H = 4, 3, 5
    x, h = randn(B, D, g=g), randn(B, H, g=g)
    W_xh, W_hh, b = randn(D, H, g=g), randn(H, H, g=g), randn(H, g=g)
    cell = nn.RNNCell(D, H, dtype=f64)
    with torch.no_grad():
        cell.weight_ih.copy_(W_xh.T)
        cell.weight_hh.copy_(W_hh.T)
        cell.bias_ih.copy_(b)
        cell.bias_hh.zero_()
        expected = cell(x, h)
    out = S.rnn_step(x.to(device), h.to(device), W_xh.to(device), W_hh.to(device), b.to(device))
    assert out.device.type == device and out.dtype == f64
    torch.testing.assert_close(out.cpu(), expected)


def test_rnn_forward_matches_nn_rnn_over_a_whole_sequence(S, device):
    g = torch.Generator().manual_seed(1)
    B, T, D, H = 2, 6, 3, 4
    x, h0 = randn(B, T, D, g=g), randn(B, H, g=g)
    W_xh, W_hh = randn(D, H, g=g), randn(H, H, g=g)
    rnn = nn.RNN(D, H, batch_first=True, bias=False, dtype=f64)
    with torch.no_grad():
        rnn.weight_ih_l0.copy_(W_xh.T)
        rnn.weight_hh_l0.copy_(W_hh.T)
        hs_expected, hT_expected = rnn(x, h0.unsqueeze(0))
    hs, hT = S.rnn_forward(x.to(device), h0.to(device), W_xh.to(device), W_hh.to(device))
    assert hs.shape == (B, T, H) and hs.device.type == device
    torch.testing.assert_close(hs.cpu(), hs_expected)
    torch.testing.assert_close(hT.cpu(), hT_expected[0])


def ifog_to_torch(w: torch.Tensor) -> torch.Tensor:
    """Reorder gate blocks i, f, o, g (ours, along dim 0) into torch's i, f, g, o."""
    i, f, o, g_ = w.chunk(4, dim=0)
    return torch.cat([i, f, g_, o], dim=0)


def test_lstm_step_matches_nn_lstmcell_with_gates_reordered(S, device):
    g = torch.Generator().manual_seed(2)
    B, D, H = 3, 4, 5
    x, h, c = randn(B, D, g=g), randn(B, H, g=g), randn(B, H, g=g)
    W_xh, W_hh, b = randn(D, 4 * H, g=g), randn(H, 4 * H, g=g), randn(4 * H, g=g)
    cell = nn.LSTMCell(D, H, dtype=f64)
    with torch.no_grad():
        cell.weight_ih.copy_(ifog_to_torch(W_xh.T))
        cell.weight_hh.copy_(ifog_to_torch(W_hh.T))
        cell.bias_ih.copy_(ifog_to_torch(b))
        cell.bias_hh.zero_()
        h_exp, c_exp = cell(x, (h, c))
    h1, c1 = S.lstm_step(*(t.to(device) for t in (x, h, c, W_xh, W_hh, b)))
    assert h1.device.type == device
    torch.testing.assert_close(h1.cpu(), h_exp)
    torch.testing.assert_close(c1.cpu(), c_exp)


def test_lstm_step_disagrees_with_torch_when_the_gates_are_not_reordered(S):
    # guards the test above: the i, f, o, g order really matters
    g = torch.Generator().manual_seed(3)
    x, h, c = randn(2, 3, g=g), randn(2, 4, g=g), randn(2, 4, g=g)
    W_xh, W_hh = randn(3, 16, g=g), randn(4, 16, g=g)
    cell = nn.LSTMCell(3, 4, bias=False, dtype=f64)
    with torch.no_grad():
        cell.weight_ih.copy_(W_xh.T)
        cell.weight_hh.copy_(W_hh.T)
        h_exp, _ = cell(x, (h, c))
    assert not torch.allclose(S.lstm_step(x, h, c, W_xh, W_hh)[0], h_exp)


@given(seed=st.integers(0, 2**16))
@settings(max_examples=30, suppress_health_check=FIXTURE_OK)
def test_lstm_with_forget_gate_one_and_input_gate_zero_keeps_the_cell(S, device, seed):
    g = torch.Generator().manual_seed(seed)
    B, D, H = 2, 3, 4
    x, h, c = randn(B, D, g=g), randn(B, H, g=g), randn(B, H, g=g)
    W_xh = randn(D, 4 * H, g=g)
    W_hh = randn(H, 4 * H, g=g)
    W_xh[:, : 2 * H] = 0  # i and f ignore the inputs ...
    W_hh[:, : 2 * H] = 0
    b = randn(4 * H, g=g)
    b[:H], b[H: 2 * H] = -1e4, 1e4  # ... so i = σ(-∞) = 0 and f = σ(+∞) = 1
    _, c1 = S.lstm_step(*(t.to(device) for t in (x, h, c, W_xh, W_hh, b)))
    assert c1.device.type == device
    torch.testing.assert_close(c1.cpu(), c)


@pytest.mark.parametrize("bias", [True, False], ids=["bias", "no-bias"])
def test_gru_step_matches_nn_grucell(S, device, bias):
    g = torch.Generator().manual_seed(4)
    B, D, H = 3, 4, 5
    x, h = randn(B, D, g=g), randn(B, H, g=g)
    W_xh, W_hh = randn(D, 3 * H, g=g), randn(H, 3 * H, g=g)
    b_xh, b_hh = (randn(3 * H, g=g), randn(3 * H, g=g)) if bias else (None, None)
    cell = nn.GRUCell(D, H, bias=bias, dtype=f64)
    with torch.no_grad():
        cell.weight_ih.copy_(W_xh.T)
        cell.weight_hh.copy_(W_hh.T)
        if bias:
            cell.bias_ih.copy_(b_xh)
            cell.bias_hh.copy_(b_hh)
        expected = cell(x, h)
    dev = [None if t is None else t.to(device) for t in (x, h, W_xh, W_hh, b_xh, b_hh)]
    out = S.gru_step(*dev)
    assert out.device.type == device
    torch.testing.assert_close(out.cpu(), expected)


def test_gru_paper_variant_applies_the_reset_before_the_matmul(S, device):
    g = torch.Generator().manual_seed(5)
    B, D, H = 2, 3, 4
    x, h = randn(B, D, g=g, device=device), randn(B, H, g=g, device=device)
    W_xh, W_hh, b_hh = (randn(D, 3 * H, g=g, device=device), randn(H, 3 * H, g=g, device=device),
                        randn(3 * H, g=g, device=device))
    Wr, Wz, Wn = W_hh.chunk(3, dim=1)
    xr, xz, xn = (x @ W_xh).chunk(3, dim=1)
    br, bz, bn = b_hh.chunk(3)
    r = torch.sigmoid(xr + h @ Wr + br)
    z = torch.sigmoid(xz + h @ Wz + bz)
    n = torch.tanh(xn + (r * h) @ Wn + bn)  # Cho et al. (2014), Eq. 8
    expected = (1 - z) * n + z * h
    torch.testing.assert_close(S.gru_step(x, h, W_xh, W_hh, None, b_hh, reset_after=False), expected)
    assert not torch.allclose(S.gru_step(x, h, W_xh, W_hh, None, b_hh), expected)


@pytest.mark.parametrize("call, message", [
    (lambda S: S.rnn_step(torch.zeros(2, 3), torch.zeros(2, 4), torch.zeros(4, 4), torch.zeros(4, 4)),
     "W_xh: expected Tensor[D=3, H=4], got Tensor[4, 4] float32"),
    (lambda S: S.lstm_step(torch.zeros(2, 3), torch.zeros(2, 4), torch.zeros(2, 4), torch.zeros(3, 12),
                           torch.zeros(4, 16)),
     "W_xh: expected Tensor[D=3, 4·H=16], got Tensor[3, 12] float32"),
    (lambda S: S.gru_step(torch.zeros(2, 3), torch.zeros(3, 4), torch.zeros(3, 12), torch.zeros(4, 12)),
     "h: expected Tensor[B=2, H], got Tensor[3, 4] float32"),
    (lambda S: S.rnn_step([[1.0]], torch.zeros(2, 4), torch.zeros(4, 4), torch.zeros(4, 4)),
     "x: expected Tensor[B, D], got list"),
    (lambda S: S.truncated_bptt_grads(torch.zeros(1, 2, 3), torch.zeros(1, 2), None, torch.zeros(3, 4),
                                      torch.zeros(4, 4), torch.zeros(4, 5), 1),
     "targets: expected Tensor[B=1, T=2] int64, got Tensor[1, 2] float32"),
    (lambda S: S.truncated_bptt_grads(torch.zeros(1, 2, 3), torch.zeros(1, 2, dtype=torch.long), None,
                                      torch.zeros(3, 4), torch.zeros(4, 4), torch.zeros(4, 5), 0),
     "chunk: expected an int >= 1, got 0"),
    (lambda S: S.sample(torch.zeros(3, dtype=torch.long)),
     "logits: expected a float Tensor[..., V] with V >= 1, got Tensor[3] int64"),
    (lambda S: S.greedy_decode(lambda t: t, torch.tensor([[0]]), 1),
     "step_fn: expected it to return a float Tensor[1, V] of logits, got Tensor[1, 1] int64"),
], ids=["rnn", "lstm", "gru", "not-a-tensor", "float-targets", "chunk", "int-logits", "step-fn"])
def test_cells_name_the_argument_with_the_wrong_shape(S, call, message):
    with pytest.raises(ValueError) as info:
        call(S)
    assert str(info.value) == message


# ---------------------------------------------------------------- BPTT


def char_rnn_problem(g, B=2, T=7, D=3, H=4, V=5, device="cpu"):
    p = dict(x=randn(B, T, D, g=g), targets=torch.randint(0, V, (B, T), generator=g), h0=randn(B, H, g=g),
             W_xh=randn(D, H, g=g) * 0.7, W_hh=randn(H, H, g=g) * 0.7, W_hy=randn(H, V, g=g),
             b=randn(H, g=g), b_y=randn(V, g=g))
    return {k: v.to(device) for k, v in p.items()}


def full_bptt(p):
    leaves = {k: p[k].clone().requires_grad_(True) for k in ("W_xh", "W_hh", "W_hy", "b", "b_y")}
    h, loss = p["h0"], 0
    for t in range(p["x"].shape[1]):
        h = torch.tanh(p["x"][:, t] @ leaves["W_xh"] + h @ leaves["W_hh"] + leaves["b"])
        logits = h @ leaves["W_hy"] + leaves["b_y"]
        loss = loss + F.cross_entropy(logits, p["targets"][:, t], reduction="sum") / p["x"].shape[0]
    loss.backward()
    return loss.detach(), {k: v.grad for k, v in leaves.items()}


@pytest.mark.parametrize("chunk", [7, 100], ids=["chunk=T", "chunk>T"])
def test_truncated_bptt_with_a_window_of_the_whole_sequence_is_full_bptt(S, device, chunk):
    p = char_rnn_problem(torch.Generator().manual_seed(6))
    loss_exp, grads_exp = full_bptt(p)
    loss, grads = S.truncated_bptt_grads(*(p[k].to(device) for k in ("x", "targets", "h0", "W_xh", "W_hh", "W_hy")),
                                         chunk, b=p["b"].to(device), b_y=p["b_y"].to(device))
    assert set(grads) == {"W_xh", "W_hh", "W_hy", "b", "b_y"}
    torch.testing.assert_close(loss.cpu(), loss_exp)
    for k in grads:
        assert grads[k].device.type == device
        torch.testing.assert_close(grads[k].cpu(), grads_exp[k])


def test_truncated_bptt_sums_the_gradients_of_detached_windows(S, device):
    p = char_rnn_problem(torch.Generator().manual_seed(7), device=device)
    chunk = 3
    # oracle: each window separately, its start state a constant
    total = {k: torch.zeros_like(p[k]) for k in ("W_xh", "W_hh", "W_hy", "b", "b_y")}
    h = p["h0"]
    with torch.no_grad():
        states = [h]
        for t in range(p["x"].shape[1]):
            h = torch.tanh(p["x"][:, t] @ p["W_xh"] + h @ p["W_hh"] + p["b"])
            states.append(h)
    for s in range(0, 7, chunk):
        sub = dict(p, x=p["x"][:, s:s + chunk], targets=p["targets"][:, s:s + chunk], h0=states[s])
        _, gr = full_bptt(sub)
        for k in total:
            total[k] += gr[k]
    loss, grads = S.truncated_bptt_grads(p["x"], p["targets"], p["h0"], p["W_xh"], p["W_hh"], p["W_hy"], chunk,
                                         b=p["b"], b_y=p["b_y"])
    for k in total:
        torch.testing.assert_close(grads[k], total[k])
    loss_full, grads_full = full_bptt(p)
    torch.testing.assert_close(loss, loss_full)  # the forward pass is not truncated
    torch.testing.assert_close(grads["W_hy"], grads_full["W_hy"])  # no path through time
    assert not torch.allclose(grads["W_hh"], grads_full["W_hh"])  # the cross-boundary paths are gone


# ---------------------------------------------------------------- clipping


@given(seed=st.integers(0, 2**16), max_norm=st.floats(0.01, 20))
@settings(max_examples=30, suppress_health_check=FIXTURE_OK)
def test_clip_grad_norm_matches_torch_clip_grad_norm_(S, device, seed, max_norm):
    g = torch.Generator().manual_seed(seed)
    grads = [randn(3, 4, g=g, device=device), randn(5, g=g, device=device) * 3, randn(2, 2, 2, g=g, device=device)]
    params = [nn.Parameter(torch.zeros_like(t)) for t in grads]
    for p_, gr in zip(params, grads):
        p_.grad = gr.clone()
    norm_exp = torch.nn.utils.clip_grad_norm_(params, max_norm)
    clipped, norm = S.clip_grad_norm(grads, max_norm)
    torch.testing.assert_close(norm, norm_exp)
    for c, p_ in zip(clipped, params):
        torch.testing.assert_close(c, p_.grad)


def test_clip_grad_norm_scales_a_3_4_gradient_to_the_threshold(S, device):
    (g,), norm = S.clip_grad_norm(torch.tensor([3.0, 4.0], device=device), 1.0, eps=0)
    assert norm.item() == 5.0 and g.device.type == device
    torch.testing.assert_close(g, torch.tensor([0.6, 0.8], device=device))
    (g,), _ = S.clip_grad_norm(torch.tensor([0.3, 0.4], device=device), 1.0)
    assert g.tolist() == pytest.approx([0.3, 0.4])  # below the threshold: unchanged


def test_clip_grad_norm_rejects_a_negative_threshold(S):
    with pytest.raises(ValueError, match="max_norm: expected a number >= 0, got -1"):
        S.clip_grad_norm([torch.ones(2)], -1)


# ---------------------------------------------------------------- embedding and sampling


def test_embed_equals_one_hot_times_the_table(S, device):
    g = torch.Generator().manual_seed(8)
    weight = randn(6, 3, g=g, device=device)
    tokens = torch.tensor([[0, 5, 2], [3, 3, 1]], device=device)
    out = S.embed(tokens, weight)
    assert out.shape == (2, 3, 3) and out.device.type == device
    torch.testing.assert_close(out, F.one_hot(tokens, 6).to(f64) @ weight)


def test_embed_names_an_out_of_range_token(S):
    with pytest.raises(ValueError, match=re.escape("tokens: expected ids in [0, V=4), got values in [0, 4]")):
        S.embed(torch.tensor([0, 4]), torch.zeros(4, 2))


def test_sample_at_temperature_zero_is_the_argmax(S, device):
    logits = torch.tensor([[0.1, 2.0, 2.0, -1.0], [5.0, 0.0, 0.0, 0.0]], device=device)
    assert S.sample(logits, 0.0).tolist() == [1, 0]


def test_sample_frequencies_follow_the_softmax_at_the_temperature(S, device):
    logits = torch.log(torch.tensor([0.5, 0.3, 0.2], device=device)).expand(20000, 3)
    gen = torch.Generator(device=device).manual_seed(9)
    for temperature in (1.0, 2.0):
        draws = S.sample(logits, temperature, gen)
        assert draws.device.type == device and draws.shape == (20000,)
        freq = torch.bincount(draws, minlength=3).double().cpu() / 20000
        expected = torch.softmax(logits[0].cpu().double() / temperature, 0)
        # 5 standard errors of a binomial proportion
        assert (freq - expected).abs().max() < 5 * math.sqrt(0.25 / 20000)


# ---------------------------------------------------------------- greedy and beam search on a table

# A 2-step table over V = 3 tokens {0: "a", 1: "b", 2: "c"} (the lecture's kind of example):
# P(y1) = [0.5, 0.4, 0.1]; after "a" the next token is nearly uniform, after "b" it is almost sure.
FIRST = [0.5, 0.4, 0.1]
SECOND = {0: [0.4, 0.3, 0.3], 1: [0.05, 0.9, 0.05], 2: [1 / 3, 1 / 3, 1 / 3]}


def table_step(tokens: torch.Tensor) -> torch.Tensor:
    """log P(next | prefix) from the table; prefix starts with a start token 9."""
    rows = []
    for seq in tokens.tolist():
        gen = seq[1:]
        probs = FIRST if not gen else SECOND[gen[0]] if len(gen) == 1 else [1 / 3, 1 / 3, 1 / 3]
        rows.append(probs)
    return torch.log(torch.tensor(rows, dtype=f64, device=tokens.device))


def exhaustive(step, V, T):
    scores = {}
    for seq in itertools.product(range(V), repeat=T):
        s = 0.0
        for t in range(T):
            s += torch.log_softmax(step(torch.tensor([[9, *seq[:t]]]))[0], 0)[seq[t]].item()
        scores[seq] = s
    return sorted(scores.items(), key=lambda kv: -kv[1])


def test_greedy_and_beam_search_differ_on_a_small_table_as_the_lecture_says(S, device):
    start = torch.tensor([[9]], device=device)
    seq, logp = S.greedy_decode(table_step, start, 2)
    assert seq.tolist() == [[9, 0, 0]]  # "a" then "a": 0.5 · 0.4 = 0.20
    assert logp.item() == pytest.approx(math.log(0.2))
    beams, scores = S.beam_search(table_step, start, 2, 2)
    assert beams.shape == (1, 2, 3) and beams.device.type == device
    assert beams[0, 0].tolist() == [9, 1, 1]  # "b" then "b": 0.4 · 0.9 = 0.36 > 0.20
    assert scores[0].tolist() == pytest.approx([math.log(0.36), math.log(0.2)])


def test_beam_search_with_width_one_is_greedy(S, device):
    start = torch.tensor([[9], [9]], device=device)
    beams, scores = S.beam_search(table_step, start, 1, 2)
    seq, logp = S.greedy_decode(table_step, start, 2)
    assert beams[:, 0].tolist() == seq.tolist()
    torch.testing.assert_close(scores[:, 0], logp)


def test_beam_search_with_width_v_to_the_t_is_exhaustive_search(S, device):
    ranked = exhaustive(table_step, 3, 2)
    beams, scores = S.beam_search(table_step, torch.tensor([[9]], device=device), 9, 2)
    assert [tuple(b[1:]) for b in beams[0].tolist()][0] == ranked[0][0]
    assert scores[0].tolist() == pytest.approx([s for _, s in ranked])


def random_table_step(V, seed):
    """A random deterministic language model: the logits are a hash of the whole prefix."""
    def step(tokens):
        rows = []
        for seq in tokens.tolist():
            g = torch.Generator().manual_seed(hash((seed, *seq)) % 2**31)
            rows.append(torch.randn(V, generator=g, dtype=f64) * 2)
        return torch.stack(rows).to(tokens.device)
    return step


@given(seed=st.integers(0, 2**16), V=st.integers(2, 3), T=st.integers(1, 3))
@settings(max_examples=15, suppress_health_check=FIXTURE_OK)
def test_beam_search_finds_the_best_sequence_when_the_beam_holds_them_all(S, device, seed, V, T):
    step = random_table_step(V, seed)
    ranked = exhaustive(step, V, T)
    beams, scores = S.beam_search(step, torch.tensor([[9]], device=device), V ** T, T)
    assert beams.device.type == scores.device.type == device
    assert scores[0].tolist() == pytest.approx([s for _, s in ranked])
    # never worse than greedy, at any width
    start = torch.tensor([[9]], device=device)
    _, greedy_logp = S.greedy_decode(step, start, T)
    assert S.beam_search(step, start, 2, T)[1][0, 0] >= greedy_logp[0] - 1e-12


@given(values=st.lists(st.lists(st.sampled_from([0.0, -1.0, 2.5, float("-inf"), 2.5, 7.0]), min_size=6, max_size=6),
                        min_size=1, max_size=3),
       k=st.integers(1, 6))
def test_beam_selection_equals_a_stable_descending_sort_with_ties_to_the_lower_index(S, values, k):
    v = torch.tensor(values, dtype=torch.float64)
    expected = torch.sort(v, dim=1, descending=True, stable=True).indices[:, :k]  # the slow oracle
    assert S._top_k_stable(v, k).tolist() == expected.tolist()


def test_beam_search_keeps_finished_beams_and_pads_them_with_eos(S, device):
    # token 0 is eos. A = "eos" has P = 0.55 (1 token); B = "x eos" has P = 0.45 · 0.9 = 0.405 (2 tokens)
    def step(tokens):
        rows = [[0.55, 0.45] if len(seq) == 1 else [0.9, 0.1] for seq in tokens.tolist()]
        return torch.log(torch.tensor(rows, dtype=f64, device=tokens.device))
    beams, scores = S.beam_search(step, torch.tensor([[9]], device=device), 2, 3, eos=0)
    assert beams[0].tolist() == [[9, 0, 0, 0], [9, 1, 0, 0]]
    assert scores[0].tolist() == pytest.approx([math.log(0.55), math.log(0.405)])
    # length normalisation with α = 1 ranks by log-probability per token: B (-0.45) beats A (-0.60)
    beams, scores = S.beam_search(step, torch.tensor([[9]], device=device), 2, 3, length_penalty=1.0, eos=0)
    assert beams[0].tolist() == [[9, 1, 0, 0], [9, 0, 0, 0]]
    assert scores[0].tolist() == pytest.approx([math.log(0.405), math.log(0.55)])


def test_greedy_decode_pads_after_eos_at_no_cost(S, device):
    def step(tokens):
        probs = [[0.2, 0.8]] if tokens.shape[1] > 1 else [[0.7, 0.3]]
        return torch.log(torch.tensor(probs * tokens.shape[0], dtype=f64, device=tokens.device))
    seq, logp = S.greedy_decode(step, torch.tensor([[9]], device=device), 3, eos=0)
    assert seq.device.type == logp.device.type == device
    assert seq.tolist() == [[9, 0, 0, 0]] and logp.item() == pytest.approx(math.log(0.7))


def test_decoders_name_a_bad_start(S):
    with pytest.raises(ValueError, match=r"start: expected Tensor\[B, t0\] int64"):
        S.greedy_decode(table_step, torch.tensor([9]), 2)
    with pytest.raises(ValueError, match="beam_width: expected an int >= 1, got 0"):
        S.beam_search(table_step, torch.tensor([[9]]), 0, 2)


# ---------------------------------------------------------------- slow sweeps (pytest -m slow)


@pytest.mark.slow
@given(seed=st.integers(0, 2**16), V=st.integers(2, 4), T=st.integers(1, 4), width=st.integers(1, 6))
@settings(max_examples=100, suppress_health_check=FIXTURE_OK)
def test_beam_search_returns_the_top_sequences_of_its_own_search_and_never_beats_exhaustive(S, device, seed, V, T,
                                                                                          width):
    step = random_table_step(V, seed)
    ranked = exhaustive(step, V, T)
    beams, scores = S.beam_search(step, torch.tensor([[9]], device=device), width, T)
    finite = scores[0][scores[0] > float("-inf")]
    assert len(finite) == min(width, V ** T)
    assert (finite[:-1] >= finite[1:]).all()  # best first
    assert finite[0] <= ranked[0][1] + 1e-12  # the global optimum bounds any beam
    exact = dict(ranked)
    for seq, sc in zip(beams[0].tolist(), scores[0].tolist()):
        if sc > float("-inf"):
            assert sc == pytest.approx(exact[tuple(seq[1:])])


@pytest.mark.slow
@given(seed=st.integers(0, 2**16), T=st.integers(1, 12), chunk=st.integers(1, 12))
@settings(max_examples=100, suppress_health_check=FIXTURE_OK)
def test_truncated_bptt_keeps_the_loss_and_output_gradient_for_every_window(S, device, seed, T, chunk):
    p = char_rnn_problem(torch.Generator().manual_seed(seed), T=T, device=device)
    loss_full, grads_full = full_bptt(p)
    loss, grads = S.truncated_bptt_grads(p["x"], p["targets"], p["h0"], p["W_xh"], p["W_hh"], p["W_hy"], chunk,
                                         b=p["b"], b_y=p["b_y"])
    torch.testing.assert_close(loss, loss_full)
    torch.testing.assert_close(grads["W_hy"], grads_full["W_hy"])
    if chunk >= T:
        torch.testing.assert_close(grads["W_hh"], grads_full["W_hh"])
