"""The side-by-side harness: one row times our function and its peer, interleaved, in one run.

A suite is a module ``benchmarks/<suite>.py`` with ``def rows(device: str, quick: bool) -> list[Row]``.
Each :class:`Row` holds two zero-argument callables, each one timed repetition (a callable that
runs on CUDA synchronises itself, see :func:`synced`). The harness

1. calls each side once untimed (warm-up) and, when ``same`` is given, asks whether both answers agree;
2. alternates repetitions of ours and the peer (ours first on even rounds, the peer first on odd
   ones), so that a load spike on the shared machine hits both sides alike;
3. reports the median and the minimum of each side, and the ratio ours / peer of the minimums
   (the least disturbed figure) next to the ratio of the medians.

Rows never raise out of the harness: an exception in a row becomes that row's note.
"""

from __future__ import annotations

import math
import re
import statistics
import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass, field


@dataclass
class Row:
    name: str                                 # "nms 10k boxes"
    ours: Callable[[], object]                # one timed repetition (syncs CUDA itself when device is cuda)
    peer: Callable[[], object] | None         # None when the peer is not installed (or there is none)
    peer_name: str                            # "torchvision 0.29.1 ops.nms"
    same: Callable[[object, object], bool] | None = None  # called once, untimed: do both give the same answer?
    missing: str | None = None                # "peer not installed: torchvision"
    target: str = ""                          # "<= 3x", ">= 3x faster"
    gate: bool = False                        # a row that gates "done" in issue #10


@dataclass
class Result:
    row: Row
    ours: list[float] = field(default_factory=list)   # seconds per repetition
    peer: list[float] = field(default_factory=list)
    same: bool | None = None                          # None: not checked
    error: str | None = None

    @property
    def ours_min(self) -> float:
        return min(self.ours) if self.ours else math.nan

    @property
    def ours_median(self) -> float:
        return statistics.median(self.ours) if self.ours else math.nan

    @property
    def peer_min(self) -> float:
        return min(self.peer) if self.peer else math.nan

    @property
    def peer_median(self) -> float:
        return statistics.median(self.peer) if self.peer else math.nan

    @property
    def ratio(self) -> float:
        """ours / peer, minimum over minimum (nan without a peer)."""
        return self.ours_min / self.peer_min if self.peer else math.nan

    @property
    def ratio_median(self) -> float:
        return self.ours_median / self.peer_median if self.peer else math.nan

    @property
    def met(self) -> bool | None:
        return target_met(self.row.target, self.ratio, self.ours_min)


_TARGET = re.compile(r"^\s*(<=|>=)\s*([0-9.]+)\s*x(\s+faster)?\s*$")
_ABSOLUTE = re.compile(r"^\s*<\s*([0-9.]+)\s*(ms|s)\s*$")


def target_met(target: str, ratio: float, ours_min: float = math.nan) -> bool | None:
    """``"<= 3x"``: ours / peer at most 3; ``">= 5x faster"``: peer / ours at least 5;
    ``"< 200 ms"``: our minimum time under 200 ms.

    None when there is nothing to compare or the target is free text.
    """
    a = _ABSOLUTE.match(target)
    if a and not math.isnan(ours_min):
        return ours_min < float(a.group(1)) * (1e-3 if a.group(2) == "ms" else 1.0)
    m = _TARGET.match(target)
    if not m or math.isnan(ratio):
        return None
    bound = float(m.group(2))
    if m.group(3):  # "faster": a speed-up of ours over the peer
        return 1 / ratio >= bound if m.group(1) == ">=" else 1 / ratio <= bound
    return ratio <= bound if m.group(1) == "<=" else ratio >= bound


def synced(fn: Callable[[], object], device: str) -> Callable[[], object]:
    """Wrap ``fn`` so one call includes the GPU work it queued (a CUDA call returns early)."""
    if not str(device).startswith("cuda"):
        return fn
    import torch

    def call() -> object:
        out = fn()
        torch.cuda.synchronize()
        return out

    return call


def _timed(fn: Callable[[], object]) -> float:
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def measure(row: Row, quick: bool = False, budget_s: float | None = None) -> Result:
    """Time one row: warm-up and answer check, then interleaved repetitions.

    Repeats at least 5 times (3 with ``quick``) and then until the row has spent ``budget_s``
    seconds (default 3, quick 0.5) or reached 50 repetitions (quick 10). A row whose single call
    takes longer than the whole budget (seconds per call: first-call effects are lost in it) keeps
    its warm-up times as the first repetition and stops after 3, so one slow row cannot take
    the run past its 10 minutes.
    """
    result = Result(row)
    min_reps, max_reps = (3, 10) if quick else (5, 50)
    budget = budget_s if budget_s is not None else (0.5 if quick else 3.0)
    try:
        start = time.perf_counter()
        mine = row.ours()
        warm_ours = time.perf_counter() - start
        warm_peer = 0.0
        if row.peer is not None:
            start = time.perf_counter()
            theirs = row.peer()
            warm_peer = time.perf_counter() - start
            if row.same is not None:
                result.same = bool(row.same(mine, theirs))
        del mine
        spent = 0.0
        reps = 0
        if budget > 0 and max(warm_ours, warm_peer) > budget:
            result.ours.append(warm_ours)
            if row.peer is not None:
                result.peer.append(warm_peer)
            reps, min_reps = 1, min(min_reps, 3)
        while reps < min_reps or (spent < budget and reps < max_reps):
            sides = [("ours", row.ours)] + ([("peer", row.peer)] if row.peer is not None else [])
            if reps % 2:
                sides.reverse()
            for side, fn in sides:
                seconds = _timed(fn)
                getattr(result, side).append(seconds)
                spent += seconds
            reps += 1
    except Exception as exc:  # a broken row is reported, the run goes on
        last = traceback.extract_tb(exc.__traceback__)[-1]
        result.error = f"{type(exc).__name__}: {exc} ({last.filename.rsplit('/', 1)[-1]}:{last.lineno})"
    return result


def format_seconds(seconds: float) -> str:
    if math.isnan(seconds):
        return "-"
    if seconds >= 1:
        return f"{seconds:.2f} s"
    if seconds >= 1e-3:
        return f"{seconds * 1e3:.3g} ms"
    return f"{seconds * 1e6:.3g} us"


def _ratio_text(r: Result) -> str:
    if math.isnan(r.ratio):
        return "-"
    if r.ratio < 1:
        return f"{r.ratio:.2f}x ({1 / r.ratio:.1f}x faster)"
    return f"{r.ratio:.2f}x"


def _verdict(r: Result) -> str:
    if r.error:
        return "error"
    met = r.met
    if met is None:
        return ""
    return ("met" if met else "MISSED") + (" (gate)" if r.row.gate else "")


def _same_text(r: Result) -> str:
    return {None: "-", True: "yes", False: "NO"}[r.same]


def _note(r: Result) -> str:
    if r.error:
        return r.error
    if r.row.peer is None:
        return r.row.missing or ""
    return ""


def table(results: list[Result], markdown: bool = False) -> str:
    """The results as a plain-text table (or a Markdown one for BENCHMARKS.md)."""
    head = ["row", "ours min", "ours median", "peer", "peer min", "peer median", "ratio (min)",
            "ratio (median)", "target", "verdict", "same", "note"]
    body = []
    for r in results:
        ratio_median = "-" if math.isnan(r.ratio_median) else f"{r.ratio_median:.2f}x"
        body.append([r.row.name, format_seconds(r.ours_min), format_seconds(r.ours_median),
                     r.row.peer_name if r.row.peer is not None else (r.row.peer_name or "-"),
                     format_seconds(r.peer_min), format_seconds(r.peer_median), _ratio_text(r),
                     ratio_median, r.row.target or "-", _verdict(r) or "-", _same_text(r), _note(r)])
    if markdown:
        lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
        lines += ["| " + " | ".join(cell.replace("|", "\\|") for cell in row) + " |" for row in body]
        return "\n".join(lines)
    widths = [max(len(h), *(len(row[i]) for row in body)) if body else len(h) for i, h in enumerate(head)]
    fmt = "  ".join(f"{{:<{w}}}" for w in widths)
    return "\n".join([fmt.format(*head), fmt.format(*("-" * w for w in widths))] + [fmt.format(*row) for row in body])
