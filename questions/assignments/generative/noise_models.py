"""Support module of the built-in generative assignment: the noise predictors handed to ``ddpm_loss``.

The grader calls :func:`make_eps_model` inside the sandbox with seeded weights and hands the result
to the student's ``ddpm_loss``; the reference gets the same model, made from the same arrays, in the
grader's own process. A submission may import this module to test.
"""

import torch


class LinearEps:
    """A toy noise predictor: ``eps(x_t, t) = x_t @ W + t_embed[t]`` for x_t Tensor[B, D].

    ``t`` must be an int64 Tensor[B] (one step per example), as ``ddpm_loss`` passes it.
    """

    def __init__(self, W, t_embed):
        self.W, self.t_embed = W, t_embed

    def __call__(self, x_t, t):
        if not isinstance(t, torch.Tensor) or t.dtype != torch.long or t.shape != x_t.shape[:1]:
            raise TypeError(f"eps_model: t must be an int64 Tensor[{x_t.shape[0]}] (one step per example), "
                            f"got {t!r}")
        return x_t @ self.W + self.t_embed[t]

    def __repr__(self):
        return f"LinearEps(D={self.W.shape[0]}, T={self.t_embed.shape[0] - 1})"


def make_eps_model(W, t_embed):
    """A noise predictor from ``W`` Tensor[D, D] and ``t_embed`` Tensor[T + 1, D] (see :class:`LinearEps`)."""
    return LinearEps(W, t_embed)
