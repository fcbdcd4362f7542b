import torch


def scale(x):
    return torch.ones((50 << 30) // 4)  # 50 GB


def total(x):
    return x.sum()
