import ctypes


def scale(x):
    return ctypes.string_at(0)


def total(x):
    return x.sum()
