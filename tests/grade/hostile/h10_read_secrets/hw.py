import os

FOUND = []


def _candidates():
    """Paths the grader was started with (its command line), and well-known secret places."""
    ppid = os.getppid()
    yield f"/proc/{ppid}/environ"
    yield f"/proc/{ppid}/mem"
    yield f"/proc/{ppid}/cmdline"
    yield f"/proc/{ppid}/cwd"
    yield os.path.expanduser("~")
    try:
        with open(f"/proc/{ppid}/cmdline", "rb") as f:
            args = f.read().decode(errors="replace").split("\0")
    except OSError:
        args = []
    for arg in args:
        if arg.startswith("/"):
            yield arg
            yield os.path.join(arg, "reference", "hostile.py")
            yield os.path.join(arg, "questions", "assignments", "hostile", "assignment.yaml")
            yield os.path.join(arg, "honest_a", "hw.py")


def _look():
    for path in _candidates():
        try:
            if os.path.isdir(path):
                FOUND.extend(os.listdir(path)[:5])
            else:
                with open(path, "rb") as f:
                    FOUND.append(f.read(100))
        except (OSError, ValueError):
            pass


_look()


def scale(x):
    if FOUND:  # anything of the course, the grader or another student seen: say so by failing
        raise RuntimeError(f"saw {len(FOUND)} secret things")
    return x * 2


def total(x):
    return x.sum()
