"""Run fuzz cases in a child process with a per-case time bound (a watchdog that kills).

A *target* is a module-level function ``target(data) -> None`` that raises ``AssertionError`` (or
anything else) when the case breaks a promise; returning is a pass. The child runs cases one at a
time and answers after each; the parent waits at most ``bound_s`` per case, and past it kills the
child, records a timeout, and starts a fresh child for the remaining cases. A case that raises is
recorded with its traceback's last lines. Every failure names its seed and label, so
``cases_for(seed)`` can make it again.

Nothing here knows about banks or answers: the hardening issue (#15) reuses it for assignment
files with a target of its own.
"""

from __future__ import annotations

import multiprocessing
import time
import traceback
from dataclasses import dataclass, field
from typing import Any, Callable, Iterable


@dataclass(frozen=True)
class Case:
    """One input: ``seed`` and ``label`` say how to make it again; ``data`` is what the target gets."""

    seed: int
    label: str
    data: Any


@dataclass(frozen=True)
class Failure:
    case: Case
    reason: str  # "timeout after 2.0 s", "raised AssertionError: ...", "child died"

    def describe(self, width: int = 300) -> str:
        shown = repr(self.case.data)
        if len(shown) > width:
            shown = shown[:width] + f"... ({len(shown)} chars)"
        return f"seed {self.case.seed} [{self.case.label}]: {self.reason}\n    input: {shown}"


@dataclass
class Report:
    cases: int = 0
    failures: list[Failure] = field(default_factory=list)
    slowest: tuple[float, Case | None] = (0.0, None)
    seconds: float = 0.0

    def summary(self) -> str:
        head = f"{self.cases} cases in {self.seconds:.1f} s, {len(self.failures)} failed"
        if self.slowest[1] is not None:
            head += f"; slowest {self.slowest[0]:.2f} s (seed {self.slowest[1].seed} [{self.slowest[1].label}])"
        return "\n".join([head] + [f.describe() for f in self.failures[:20]])


def _child(conn, target: Callable[[Any], None], setup: Callable[[], None] | None) -> None:
    if setup is not None:
        setup()
    conn.send(("ready", ""))
    while True:
        data = conn.recv()
        if isinstance(data, str) and data == _STOP:
            return
        try:
            target(data)
            conn.send(("ok", ""))
        except BaseException as exc:  # noqa: BLE001 - every way a case can break is a finding
            lines = traceback.format_exception_only(type(exc), exc)
            conn.send(("raised", f"raised {''.join(lines).strip()[:500]}"))


_STOP = "__cvquiz_fuzz_stop__"


class _Child:
    def __init__(self, target, setup, start_timeout: float):
        methods = multiprocessing.get_all_start_methods()
        ctx = multiprocessing.get_context("fork" if "fork" in methods else "spawn")
        self.conn, child_conn = ctx.Pipe()
        # not a daemon: a target may start processes of its own (the answer checker's worker)
        self.proc = ctx.Process(target=_child, args=(child_conn, target, setup), daemon=False)
        self.proc.start()
        child_conn.close()
        if not self.conn.poll(start_timeout):
            self.kill()
            raise RuntimeError("the fuzz child did not start")
        self.conn.recv()

    def kill(self) -> None:
        if self.proc.is_alive():
            self.proc.kill()
        self.proc.join(5)
        self.conn.close()

    def stop(self) -> None:
        try:
            self.conn.send(_STOP)
            self.proc.join(5)
        except OSError:
            pass
        self.kill()


def run_cases(target: Callable[[Any], None], cases: Iterable[Case], *, bound_s: float,
              setup: Callable[[], None] | None = None, max_failures: int = 20,
              start_timeout: float = 120.0) -> Report:
    """Run ``target`` on every case in a child process; a case may take at most ``bound_s`` seconds.

    ``setup`` runs once in each child before its first case (a new child after a timeout runs it
    again). Stops after ``max_failures`` failures.
    """
    report = Report()
    begin = time.monotonic()
    child = _Child(target, setup, start_timeout)
    try:
        for case in cases:
            report.cases += 1
            start = time.monotonic()
            try:
                child.conn.send(case.data)
                done = child.conn.poll(bound_s)
                status, detail = child.conn.recv() if done else ("timeout", f"timeout after {bound_s:g} s")
            except (EOFError, OSError):
                status, detail = "died", "the child process died"
            took = time.monotonic() - start
            if took > report.slowest[0]:
                report.slowest = (took, case)
            if status != "ok":
                report.failures.append(Failure(case, detail))
                if status in ("timeout", "died"):
                    child.kill()
                    child = _Child(target, setup, start_timeout)
                if len(report.failures) >= max_failures:
                    break
    finally:
        child.stop()
        report.seconds = time.monotonic() - begin
    return report
