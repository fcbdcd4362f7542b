"""Import what checking answers needs while the student reads the first question.

Showing a bank question needs neither sympy nor the problem generators; checking an answer,
printing an exact answer and drawing a generated variant need both (over half a second of
imports). :func:`start` imports them in a background thread once the first question is on the
screen and the drill waits for input (the main thread then holds no lock and runs no Python),
and :func:`wait` is called before anything that needs them, so the two threads never import
the same modules at once. A failure in the thread is left for the main thread to meet, and to
report, on its own import.
"""

from __future__ import annotations

import threading

_thread: threading.Thread | None = None


def _work() -> None:
    try:
        import cvquiz.answers.check  # noqa: F401  (sympy and the safe parser)
        import cvquiz.problems.display  # noqa: F401  (sympy's printers)
        from cvquiz.problems.registry import registry

        registry()  # the generators
    except Exception:  # noqa: BLE001 - the main thread's own import reports it
        pass


def start() -> None:
    """Start the imports in the background (once; later calls do nothing)."""
    global _thread
    if _thread is None:
        # A daemon: a student who quits at once is not kept waiting for sympy.
        _thread = threading.Thread(target=_work, name="cvquiz-warm-up", daemon=True)
        _thread.start()


def wait() -> None:
    """Return once the background imports (if started) are done."""
    if _thread is not None and _thread is not threading.current_thread():
        _thread.join()
