"""Run the benchmark suites: ours against each peer, interleaved, in one run.

    python -m benchmarks [--device cuda] [--quick] [--suite NAME ...] [--threads N] [--markdown]

Peers (torchvision, pycocotools, fpsample, scipy) are optional; a row whose peer is missing says
so. The peer environment in which every row has both sides is described in BENCHMARKS.md:

    PYTHONPATH=/work/main /work/peer-venv/bin/python -m benchmarks
"""

from __future__ import annotations

import argparse
import importlib
import os
import platform
import sys
import time

from benchmarks.harness import Result, measure, table

# The suites in the order they run; a suite whose module does not exist yet is skipped.
SUITES = ("startup", "points", "sequence", "attention", "detection", "generative", "grade", "answers", "exam")


def _cpu_model() -> str:
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown CPU"


def header(device: str) -> str:
    import torch

    load = " ".join(f"{v:.2f}" for v in os.getloadavg()) if hasattr(os, "getloadavg") else "?"
    lines = [
        f"torch {torch.__version__}, python {platform.python_version()}, device {device}",
        f"machine: {os.cpu_count()} CPUs ({_cpu_model()}), torch threads {torch.get_num_threads()}, "
        f"load average {load}",
    ]
    if device.startswith("cuda"):
        lines.append(f"gpu: {torch.cuda.get_device_name(0)}")
    return "\n".join(lines)


def load_suite(name: str):
    """The suite module, or None when ``benchmarks/<name>.py`` does not exist."""
    try:
        return importlib.import_module(f"benchmarks.{name}")
    except ModuleNotFoundError as exc:
        if exc.name == f"benchmarks.{name}":
            return None
        raise


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks", description=__doc__.split("\n\n")[0])
    parser.add_argument("--device", default="cpu", help="cpu (default) or cuda")
    parser.add_argument("--quick", action="store_true", help="smaller inputs, fewer repetitions")
    parser.add_argument("--suite", action="append", choices=SUITES, metavar="NAME",
                        help=f"run only this suite (repeatable): {', '.join(SUITES)}")
    parser.add_argument("--threads", type=int, metavar="N",
                        help="torch intra-op threads for both sides (default: torch's choice); 1 compares the "
                             "algorithms on a machine whose other cores are busy")
    parser.add_argument("--markdown", action="store_true", help="print Markdown tables (for BENCHMARKS.md)")
    args = parser.parse_args(argv)
    if args.threads is not None:
        if args.threads < 1:
            parser.error("--threads: expected an int >= 1")
        import torch

        torch.set_num_threads(args.threads)

    if args.device.startswith("cuda"):
        import torch

        if not torch.cuda.is_available():
            print("--device cuda: CUDA is not available on this machine", file=sys.stderr)
            return 2

    print(header(args.device))
    print(f"command: python -m benchmarks {' '.join(argv if argv is not None else sys.argv[1:])}".rstrip())
    started = time.perf_counter()
    everything: list[Result] = []
    for name in args.suite or SUITES:
        module = load_suite(name)
        if module is None:
            print(f"\n## {name}: no suite yet (benchmarks/{name}.py does not exist)")
            continue
        suite_start = time.perf_counter()
        try:
            rows = module.rows(args.device, args.quick)
        except Exception as exc:  # a suite whose optional parts are missing here
            print(f"\n## {name}: could not build its rows: {type(exc).__name__}: {exc}")
            continue
        results = [measure(row, quick=args.quick) for row in rows]
        everything += results
        print(f"\n## {name} ({time.perf_counter() - suite_start:.0f} s)\n")
        print(table(results, markdown=args.markdown), flush=True)
    missed = [r.row.name for r in everything if r.row.gate and r.met is False]
    wrong = [r.row.name for r in everything if r.same is False]
    print(f"\ntotal {time.perf_counter() - started:.0f} s")
    if missed:
        print("gating rows that missed their target: " + "; ".join(missed))
    if wrong:
        print("rows whose answers differ from the peer's: " + "; ".join(wrong))
    return 0


if __name__ == "__main__":
    sys.exit(main())
