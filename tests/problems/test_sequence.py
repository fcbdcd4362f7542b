"""Sequence generators over many seeds: sound variants whose exact answers match reference/sequence.py
(and, for parameter counts, PyTorch's own modules)."""

from __future__ import annotations

import math

import pytest
import torch

from cvquiz.problems.registry import make, registry
from tests.problems.variant_checks import float_of, seeds

F64 = torch.float64
KINDS = ["rnn_params", "rnn_step", "lstm_step", "grad_clip", "jacobian_bound", "bptt_chunks", "beam_search"]


def t(values):
    return torch.tensor(values, dtype=F64)


def reference_rnn_params(ref, p):
    module = {"rnn": torch.nn.RNN, "lstm": torch.nn.LSTM, "gru": torch.nn.GRU}[p["cell"]]
    net = module(p["input_size"], p["hidden_size"], num_layers=p["num_layers"], bias=p["bias"] != "none")
    count = sum(w.numel() for w in net.parameters())
    if p["bias"] == "one":  # PyTorch keeps b_ih and b_hh; the lecture's one bias per gate block
        gates = {"rnn": 1, "lstm": 4, "gru": 3}[p["cell"]]
        count -= gates * p["hidden_size"] * p["num_layers"]
    return count


def reference_rnn_step(ref, p):
    return ref.sequence.rnn_step(t([p["x"]]), t([p["h_prev"]]), t(p["W_xh"]), t(p["W_hh"]), t(p["b"]))[0].tolist()


def reference_lstm_step(ref, p):
    h, c = ref.sequence.lstm_step(t([p["x"]]), t([p["h_prev"]]), t([p["c_prev"]]), t(p["W_xh"]), t(p["W_hh"]),
                                  t(p["b"]))
    return float((c if p["output"] == "c" else h)[0, 0])


def reference_grad_clip(ref, p):
    clipped, _ = ref.sequence.clip_grad_norm([t(g) for g in p["grads"]], p["max_norm"], eps=0.0)
    return torch.cat(clipped).tolist()


def reference_jacobian_bound(ref, p):
    sigma = torch.linalg.matrix_norm(t(p["W_hh"]), ord=2)
    return float((p["tanh_prime_bound"] * sigma) ** (p["T"] - 1))


def reference_bptt_chunks(ref, p):
    if p["ask"] == "chunks":
        return len(torch.arange(p["T"]).split(p["chunk"]))
    states = torch.empty(p["chunk"], p["batch"], p["hidden_size"], device="meta")  # one window's h_t
    return states.numel()


def _table_step(p):
    """A step function over the bigram table; token 3 is the start token."""
    rows = t(p["table"] + [p["first"]])  # (4, V): row 3 is P(y_1)

    def step(tokens):
        return torch.log(rows[tokens[:, -1]])

    return step


def reference_beam_search(ref, p):
    start = torch.tensor([[3]])
    sequences, _ = ref.sequence.beam_search(_table_step(p), start, p["beam_width"], p["steps"])
    return sequences[0, 0, 1:].tolist()


REFERENCES = {kind: globals()[f"reference_{kind}"] for kind in KINDS}


def test_the_sequence_kinds_are_registered_under_the_sequence_topic():
    generators = registry()
    assert {kind: generators[kind].topic for kind in KINDS} == {kind: "sequence" for kind in KINDS}


def test_beam_search_lists_greedy_decoding_as_a_mistake_whenever_it_differs(ref):
    differs = 0
    for seed in seeds(100):
        v = make("beam_search", seed)
        greedy, _ = ref.sequence.greedy_decode(_table_step(v.params), torch.tensor([[3]]), v.params["steps"])
        greedy = greedy[0, 1:].tolist()
        if greedy != v.answer:
            differs += 1
            assert any(m.answer == greedy and "greedy" in m.feedback.en for m in v.mistakes), f"seed {seed}"
    assert differs >= 50, "most variants should tell greedy and beam search apart"


@pytest.mark.parametrize("cell, bias", [("lstm", "two"), ("lstm", "one"), ("gru", "two"), ("rnn", "none")])
def test_rnn_params_follows_the_stated_bias_convention(cell, bias):
    for seed in seeds(10):
        v = make("rnn_params", seed, cell=cell, bias=bias)
        assert v.params["cell"] == cell and v.params["bias"] == bias
        if bias == "two":
            assert any("two bias" in m.feedback.en for m in v.mistakes)
        if bias == "one":
            assert "one bias vector per gate" in v.prompt.en


def test_lstm_step_lists_pytorchs_gate_order_as_a_mistake():
    hits = sum(any("PyTorch's order" in m.feedback.en for m in make("lstm_step", seed).mistakes) for seed in seeds(20))
    assert hits >= 16


def test_grad_clip_never_scales_a_gradient_up():
    for seed in seeds(50):
        v = make("grad_clip", seed)
        flat = [g for part in v.params["grads"] for g in part]
        assert sum(float_of(a) ** 2 for a in v.answer) <= sum(g * g for g in flat) + 1e-9
        assert math.sqrt(sum(float_of(a) ** 2 for a in v.answer)) <= max(v.params["max_norm"], math.hypot(*flat)) + 1e-9


def test_jacobian_bound_lists_t_instead_of_t_minus_1_steps_as_a_mistake():
    for seed in seeds(30):
        v = make("jacobian_bound", seed)
        assert any("not T" in m.feedback.en for m in v.mistakes), f"seed {seed}"


def test_jacobian_bound_accepts_a_power_with_a_five_figure_base_three_figures_or_ten_to_the_log():
    """σ^(T−1) with T − 1 up to 49: a base rounded to 4 figures moved it by over 0.5 %."""
    from cvquiz.answers.check import check_answer

    for seed in seeds(60):
        v = make("jacobian_bound", seed)
        n = v.params["T"] - 1
        base = float_of(v.answer) ** (1 / n)
        log10 = math.log10(float_of(v.answer))
        for typed in (f"{base:.5g}^{n}", f"{float_of(v.answer):.3g}", f"10^{log10 + 0.0049:.6f}",
                      f"10^{log10 - 0.0049:.6f}"):
            assert check_answer("number", v.answer, typed, tolerance=v.tolerance).correct, f"seed {seed}: {typed}"
        assert not check_answer("number", v.answer, f"10^{log10 + 0.006:.6f}", tolerance=v.tolerance).correct
        assert "log10" in v.prompt.en and "log10" in v.prompt.zh


def test_jacobian_bound_solution_carries_enough_digits_for_its_value():
    """The review's case: 1.565⁴⁹ was shown as ≈ 3.424e+09 where the bound is 3.398e9."""
    for seed in seeds(60):
        v = make("jacobian_bound", seed)
        shown = v.solution.en.split("Bound: ")[1].split(" ≈ ")
        base, value = shown[0], float(shown[1].split()[0])
        assert math.isclose(value, float_of(v.answer), rel_tol=5e-4), f"seed {seed}: {value} for {float_of(v.answer)}"
        power = float(base.rstrip("⁰¹²³⁴⁵⁶⁷⁸⁹")) ** (v.params["T"] - 1)
        assert math.isclose(power, float_of(v.answer), rel_tol=5e-4), f"seed {seed}: {base} is not {value}"
