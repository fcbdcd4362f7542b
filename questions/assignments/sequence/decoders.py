"""Support module of the built-in sequence assignment: the step functions handed to the decoders.

The grader calls :func:`make_step_fn` inside the sandbox with seeded tables and hands the result to
the student's ``greedy_decode`` / ``beam_search``; the reference gets the same step function, made
from the same tables, in the grader's own process. A submission may import this module to test.
"""

import torch


class TableLM:
    """A toy language model: the next-token logits are ``bigram[last token] + position[t]``.

    ``bigram`` is Tensor[V, V] (row = previous token), ``position`` Tensor[L, V] (row = the number
    of tokens so far, minus one; the last row is reused beyond L). The position term makes the most
    probable next token depend on the step, so greedy and beam search can disagree.
    """

    def __init__(self, bigram, position):
        self.bigram, self.position = bigram, position

    def __call__(self, tokens):
        t = min(tokens.shape[1] - 1, self.position.shape[0] - 1)
        return self.bigram[tokens[:, -1]] + self.position[t]

    def __repr__(self):
        return f"TableLM(V={self.bigram.shape[0]}, L={self.position.shape[0]})"


def make_step_fn(bigram, position):
    """A step function ``prefix Tensor[B, t] int64 -> logits Tensor[B, V]`` (see :class:`TableLM`)."""
    if bigram.shape[0] != bigram.shape[1] or position.shape[1] != bigram.shape[1]:
        raise ValueError(f"bigram must be [V, V] and position [L, V]; got {tuple(bigram.shape)} and "
                         f"{tuple(position.shape)}")
    return TableLM(bigram, position)
