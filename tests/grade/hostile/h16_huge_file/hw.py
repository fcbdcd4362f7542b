def scale(x):
    block = b"\0" * (1 << 20)
    with open("huge.bin", "wb") as f:
        for _ in range(1 << 10):  # 1 GB, stopped by the 64 MB file-size limit
            f.write(block)
    return x * 2


def total(x):
    return x.sum()
