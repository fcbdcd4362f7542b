"""The answer checker's per-check cost: through its worker process (what the drill uses) against
the same check in-process (the peer: the cost without the time-budget backstop).

    python benchmarks/answers.py [N]

``rows`` gives the same rows to ``python -m benchmarks`` (suite ``answers``). The difference of
the two columns is the worker's overhead per check: one pickled round trip over a pipe.
"""

from __future__ import annotations

import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

#: (name, kind, expected, typed, symbols): what a drill checks most.
CASES = [
    ("number 3/7 typed 0.4286", "number", "3/7", "0.4286", ()),
    ("expression 2*N^2*d", "expression", "2*N^2*d", "2 N^2 d", ("N", "d")),
    ("shape [2, 8, 64, 64]", "shape", [2, 8, 64, 64], "2x8x64x64", ()),
]


def rows(device: str, quick: bool) -> list:
    from benchmarks.harness import Row
    from cvquiz.answers.check import check_answer, check_here

    out = []
    for name, kind, expected, typed, symbols in CASES:
        def ours(kind=kind, expected=expected, typed=typed, symbols=symbols):
            return check_answer(kind, expected, typed, symbols=symbols)

        def peer(kind=kind, expected=expected, typed=typed, symbols=symbols):
            return check_here(kind, expected, typed, symbols=symbols)

        out.append(Row(f"check {name}", ours, peer, "the same check in-process (no worker)",
                       same=lambda a, b: a == b, target="overhead < 2 ms"))
    return out


def main(runs: int) -> None:
    from cvquiz.answers.check import check_answer, check_here
    from cvquiz.answers.worker import session_worker

    start = time.perf_counter()
    check_answer("number", "1", "1")
    print(f"worker start (first check): {1000 * (time.perf_counter() - start):.1f} ms")
    for name, kind, expected, typed, symbols in CASES:
        for label, fn in (("worker", check_answer), ("in-process", check_here)):
            times = []
            for _ in range(runs):
                t = time.perf_counter()
                fn(kind, expected, typed, symbols=symbols)
                times.append(time.perf_counter() - t)
            print(f"{name:28s} {label:10s} median {1000 * statistics.median(times):.3f} ms, "
                  f"min {1000 * min(times):.3f} ms")
    session_worker().close()


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 200)
