"""Reference of the hostile-submission suite's tiny assignment."""

import torch


def scale(x: torch.Tensor) -> torch.Tensor:
    """x times two, same dtype."""
    return x * 2


def total(x: torch.Tensor) -> torch.Tensor:
    """The sum of all elements of x (a 0-d tensor)."""
    return x.sum()
