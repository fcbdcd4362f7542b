import time


def scale(x):
    time.sleep(3600)


def total(x):
    return x.sum()
