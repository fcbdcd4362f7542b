import torch


def scale(x):
    return torch.full_like(x, float("nan"))


def total(x):
    return torch.tensor(float("inf"), dtype=x.dtype)
