"""Support module of the built-in attention assignment: the experts handed to ``moe``.

The grader calls :func:`make_experts` inside the sandbox with seeded weight arrays and hands the
resulting list of callables to the student's ``moe``; the reference gets the same list, made from
the same arrays, in the grader's own process. A submission may import this module too.
"""

import torch


class Expert:
    """One expert: a two-layer ReLU feed-forward net ``relu(x @ W1) @ W2`` (weights [in, out])."""

    def __init__(self, W1, W2):
        self.W1, self.W2 = W1, W2

    def __call__(self, x):
        return torch.relu(x @ self.W1) @ self.W2

    def __repr__(self):
        return f"Expert(D={self.W1.shape[0]}, hidden={self.W1.shape[1]}, D_out={self.W2.shape[1]})"


def make_experts(W1, W2):
    """E experts from stacked weights: ``W1`` Tensor[E, D, H] and ``W2`` Tensor[E, H, D_out]."""
    if W1.shape[0] != W2.shape[0]:
        raise ValueError(f"W1 has {W1.shape[0]} experts but W2 has {W2.shape[0]}")
    return [Expert(W1[e], W2[e]) for e in range(W1.shape[0])]
