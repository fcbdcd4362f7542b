"""The benchmark harness: interleaving, statistics, targets, answer checks and suite discovery.

No timing is asserted here; the rows below do no real work.
"""

from __future__ import annotations

import math

import pytest

from benchmarks import __main__ as bench
from benchmarks.harness import Result, Row, measure, table, target_met


@pytest.mark.parametrize("target, ratio, ours_min, met", [
    ("<= 3x", 2.9, math.nan, True),
    ("<= 3x", 3.1, math.nan, False),
    (">= 5x faster", 0.19, math.nan, True),
    (">= 5x faster", 0.25, math.nan, False),
    ("< 200 ms", math.nan, 0.15, True),
    ("< 1 s", math.nan, 1.2, False),
    ("<= 3x", math.nan, 0.1, None),
    ("as fast as it gets", 1.0, 0.1, None),
], ids=lambda v: str(v))
def test_a_target_reads_as_a_ratio_a_speed_up_or_a_time(target, ratio, ours_min, met):
    assert target_met(target, ratio, ours_min) is met


def test_measure_alternates_ours_and_the_peer_and_checks_the_answers_once():
    calls = []
    row = Row("toy", lambda: calls.append("ours") or 1, lambda: calls.append("peer") or 1, "toy peer",
              same=lambda a, b: calls.append("same") or a == b)
    result = measure(row, quick=True, budget_s=0)
    assert calls[:3] == ["ours", "peer", "same"]  # warm-up, then the answer check
    timed = calls[3:]
    assert timed == ["ours", "peer", "peer", "ours", "ours", "peer"]  # 3 rounds, the order alternates
    assert result.same is True and len(result.ours) == len(result.peer) == 3
    assert result.ratio == pytest.approx(min(result.ours) / min(result.peer))


def test_a_row_slower_than_its_budget_keeps_its_warm_up_and_stops_after_three_calls():
    import time

    calls = []
    row = Row("slow", lambda: calls.append("ours") or time.sleep(0.02), lambda: calls.append("peer"), "peer")
    result = measure(row, budget_s=0.01)
    assert calls.count("ours") == 3 and len(result.ours) == len(result.peer) == 3
    assert max(result.ours) >= 0.02


def test_a_row_that_raises_is_reported_and_the_run_goes_on():
    def broken():
        raise RuntimeError("out of memory")

    result = measure(Row("broken", broken, None, "-"), quick=True)
    assert result.error.startswith("RuntimeError: out of memory (test_benchmarks.py:")
    assert "error" in table([result]) and "out of memory" in table([result], markdown=True)


def test_answers_that_differ_are_reported_as_not_the_same():
    result = measure(Row("wrong", lambda: 1, lambda: 2, "peer", same=lambda a, b: a == b), quick=True, budget_s=0)
    assert result.same is False
    assert "NO" in table([result]).splitlines()[-1]


def test_a_missing_peer_is_named_in_the_table():
    result = Result(Row("fps", lambda: None, None, "fpsample", missing="peer not installed: fpsample"), ours=[0.1])
    line = table([result], markdown=True).splitlines()[-1]
    assert "peer not installed: fpsample" in line and "| - |" in line


def test_a_suite_module_that_does_not_exist_is_skipped_and_the_reference_suites_build_their_rows():
    assert bench.load_suite("no_such_suite") is None
    for name in ("points", "sequence", "attention", "generative"):  # the other suites test themselves
        assert name in bench.SUITES
        rows = bench.load_suite(name).rows("cpu", True)
        assert rows and all(isinstance(r, Row) and callable(r.ours) for r in rows), name
        assert all(r.peer is not None or r.missing for r in rows), f"{name}: a row without a peer says why"
