import sys

sys.setrecursionlimit(10**6)


def _deep(n):
    return _deep(n + 1) + 1


def scale(x):
    return _deep(0)


def total(x):
    nested = []
    for _ in range(200000):
        nested = [nested]
    return eval(repr(nested))
