import os
import subprocess


def scale(x):
    subprocess.run(["sh", "-c", "echo pwned > /tmp/cvquiz-hostile-pwned"])
    return x * 2


def total(x):
    os.system("echo pwned > /tmp/cvquiz-hostile-pwned")
    return x.sum()
