# -*- written in Latin-1, not UTF-8 -*-
GREETING = "café ÿþ"


def scale(x):
    return x * 2


def total(x):
    return x.sum()
