import threading
import time

import torch

STATE = {"calls": 0}


def _meddle():
    while True:
        time.sleep(0.001)


def scale(x):
    threading.Thread(target=_meddle).start()
    threading.Thread(target=time.sleep, args=(3600,), daemon=False).start()
    return x * 2


def total(x):
    return torch.tensor(-1.0)  # wrong
