"""The answer checker's backstop: sympy runs in a persistent worker process with a time budget.

The safe evaluator (:mod:`cvquiz.answers.arith`) refuses formulas whose size is known to be
costly before sympy sees them, but sympy's simplifications and sign reasoning have no time
limit of their own, and ``SIGALRM`` works only in the main thread. So a check runs in a worker
process started once per session (on the first check) and reused: a check that is not done
within :data:`CHECK_BUDGET_S` seconds has the worker killed and restarted and is answered
``Verdict("invalid")`` ("took too long"), which costs the student no attempt. Every check
therefore ends within its budget with a verdict.

The per-check overhead is one round trip over a pipe (the arguments and the verdict pickled);
``benchmarks/answers.py`` measures it. Setting ``CVQUIZ_CHECK_WORKER=0`` checks in-process
instead (no time bound beyond the evaluator's own), for debugging.
"""

from __future__ import annotations

import atexit
import multiprocessing
import os
import threading
from typing import Any

from cvquiz.answers import Verdict
from cvquiz.text import Text

#: Seconds a check may take (parsing, comparing, and every listed mistake) before it is refused.
CHECK_BUDGET_S = 2.0
#: Seconds a new worker may take to start (import sympy) before checks run in-process instead.
START_TIMEOUT_S = 60.0
ENV_VAR = "CVQUIZ_CHECK_WORKER"

TOO_SLOW = Text(f"This answer took longer than {CHECK_BUDGET_S:g} s to check; type it in a simpler form",
                f"检查这个答案超过了 {CHECK_BUDGET_S:g} 秒；请换一种更简单的写法")
WORKER_DIED = Text("This answer could not be checked (the checker stopped); type it in a simpler form",
                   "无法检查这个答案（检查进程意外退出）；请换一种更简单的写法")


def _serve(conn, other_end=None) -> None:
    """The worker's loop: ``(args, kwargs)`` in, ``("ok", verdict)`` or ``("error", exc)`` out.

    It ends when its session goes away: the session's end of the pipe, inherited by a forked
    worker, is closed here (so the pipe reports end-of-file), and on Linux the kernel kills the
    worker when its parent dies (a session killed during a long check leaves no orphan).
    """
    if other_end is not None:
        other_end.close()
    import signal

    # Ctrl-C in the terminal reaches the whole process group: the session handles it (and
    # stops this worker at exit), so the worker must not die printing its own traceback.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    _die_with_parent()
    from cvquiz.answers.check import check_here

    conn.send(("ready", None))
    while True:
        try:
            job = conn.recv()
        except (EOFError, OSError):
            return
        if job is None:
            return
        args, kwargs = job
        try:
            reply = ("ok", check_here(*args, **kwargs))
        except Exception as exc:  # a caller's error (an unknown kind): raised again in the parent
            reply = ("error", _portable(exc))
        conn.send(reply)


def _portable(exc: Exception) -> Exception:
    """``exc`` if it survives pickling, else a ValueError (or TypeError) with its message."""
    import pickle

    try:
        pickle.loads(pickle.dumps(exc))
        return exc
    except Exception:
        return (TypeError if isinstance(exc, TypeError) else ValueError)(str(exc))


def _die_with_parent() -> None:
    import sys

    if sys.platform.startswith("linux"):
        try:
            import ctypes
            import signal

            ctypes.CDLL(None, use_errno=True).prctl(1, int(signal.SIGKILL))  # PR_SET_PDEATHSIG
        except (OSError, AttributeError):
            pass


def _context():
    """fork where it is safe (one thread, POSIX): instant and shares the loaded sympy; else spawn."""
    methods = multiprocessing.get_all_start_methods()
    if "fork" in methods and threading.active_count() == 1:
        return multiprocessing.get_context("fork")
    return multiprocessing.get_context("spawn")


class CheckWorker:
    """One persistent checking process; :meth:`check` takes :func:`~cvquiz.answers.check.check_here`'s
    arguments and returns its verdict, or ``invalid`` past ``budget_s`` seconds."""

    def __init__(self, budget_s: float = CHECK_BUDGET_S):
        self.budget_s = budget_s
        self.restarts = 0
        self._proc = None
        self._conn = None
        self._lock = threading.Lock()

    def start(self) -> bool:
        """Start the process (when it is not running); False when it could not be started."""
        if self._proc is not None and self._proc.is_alive():
            return True
        self._stop()
        try:
            ctx = _context()
            parent, child = ctx.Pipe()
            other = parent if ctx.get_start_method() == "fork" else None
            proc = ctx.Process(target=_serve, args=(child, other), daemon=True, name="cvquiz-check")
            proc.start()
            child.close()
            if not parent.poll(START_TIMEOUT_S) or parent.recv()[0] != "ready":
                raise OSError("the worker did not start")
        except (OSError, EOFError, ValueError, RuntimeError, AssertionError):
            # AssertionError: multiprocessing lets no daemonic process (a pool's worker) have children
            self._stop()
            return False
        self._proc, self._conn = proc, parent
        return True

    def check(self, *args: Any, **kwargs: Any) -> Verdict:
        from cvquiz.answers.check import check_here

        with self._lock:
            if not self.start():
                return check_here(*args, **kwargs)
            try:
                self._conn.send((args, kwargs))
                done = self._conn.poll(self.budget_s)
                status, value = self._conn.recv() if done else ("slow", None)
            except (EOFError, OSError, BrokenPipeError):
                status, value = "died", None
            if status == "ok":
                return value
            if status == "error":
                raise value
            self._stop()  # killed now; the next check starts a fresh worker
            self.restarts += 1
            return Verdict("invalid", message=TOO_SLOW if status == "slow" else WORKER_DIED)

    def _stop(self) -> None:
        proc, conn = self._proc, self._conn
        self._proc = self._conn = None
        if conn is not None:
            conn.close()
        if proc is not None:
            if proc.is_alive():
                proc.kill()
            proc.join(5)

    def close(self) -> None:
        """Stop the worker (a later check starts a new one)."""
        with self._lock:
            if self._conn is not None and self._proc is not None and self._proc.is_alive():
                try:
                    self._conn.send(None)
                    self._proc.join(1)
                except (OSError, BrokenPipeError):
                    pass
            self._stop()


_SESSION: CheckWorker | None = None
_SESSION_PID: int | None = None


def session_worker() -> CheckWorker | None:
    """This process's worker (made on first use, stopped at exit); None when turned off."""
    global _SESSION, _SESSION_PID
    if os.environ.get(ENV_VAR, "1").strip() in ("0", "off", "no"):
        return None
    if _SESSION is None or _SESSION_PID != os.getpid():  # a forked child makes its own
        _SESSION, _SESSION_PID = CheckWorker(), os.getpid()
        atexit.register(_SESSION.close)
    return _SESSION
