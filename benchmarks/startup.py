"""Start-up time of commands that need no tensors, measured as a user sees it.

Runs each command N times in a fresh process and prints the median wall time, next to a bare
``python -c pass`` measured in the same run (the machine is shared; compare ratios, not ms).

    python benchmarks/startup.py [N]

``rows`` gives the same measurements to ``python -m benchmarks`` (suite ``startup``).
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def median_seconds(argv: list[str], runs: int, stdin: str = "") -> float:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        subprocess.run(argv, input=stdin, capture_output=True, text=True, cwd=ROOT, check=False)
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def first_question_seconds(runs: int) -> float:
    """Time from launch until the first question's panel is printed (pexpect would add noise;
    the session reads an empty stdin, so the process ends right after the first question)."""
    with tempfile.TemporaryDirectory() as tmp:
        db = str(Path(tmp) / "p.sqlite3")
        return median_seconds([sys.executable, "-m", "cvquiz", "practice", "attention", "--count", "1",
                               "--plain", "--db", db], runs)


def bank_load_seconds(runs: int) -> tuple[float, float]:
    """In-process: (first load with an empty YAML cache, later loads), median seconds."""
    code = (
        "import time, tempfile, os\n"
        "os.environ['CVQUIZ_CACHE_DIR'] = tempfile.mkdtemp()\n"
        "from cvquiz.course import find_course\n"
        "from cvquiz.bank.load import load_course_bank\n"
        "import cvquiz.problems.registry, cvquiz.answers.check\n"
        "t = time.perf_counter(); load_course_bank(find_course()); cold = time.perf_counter() - t\n"
        "t = time.perf_counter(); load_course_bank(find_course()); warm = time.perf_counter() - t\n"
        "print(cold, warm)\n"
    )
    pairs = []
    for _ in range(max(3, runs // 3)):
        out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, check=True)
        pairs.append(tuple(float(v) for v in out.stdout.split()))
    return statistics.median(p[0] for p in pairs), statistics.median(p[1] for p in pairs)


def big_course(folder: Path, per_file: int = 1000) -> Path:
    """A copy of the built-in course whose attention, sequence and detection banks hold
    ``per_file`` questions each (the bank's own questions cloned under new ids; code questions
    and ``follows`` chains left out), for timing an uncached load of 3,000 questions in 3 files."""
    import shutil

    course = folder / "bigcourse"
    shutil.copytree(ROOT / "questions", course / "questions")
    shutil.copytree(ROOT / "reference", course / "reference")
    for topic in ("attention", "sequence", "detection"):
        head, *questions = (ROOT / "questions" / f"{topic}.yaml").read_text(encoding="utf-8").split("\n  - id: ")
        questions = [q for q in questions if "kind: code" not in q and "follows:" not in q]
        out = [head]
        for n in range(per_file):
            qid, rest = questions[n % len(questions)].split("\n", 1)
            out.append(f"{qid.strip()}-copy{n}\n{rest}")
        (course / "questions" / f"{topic}.yaml").write_text("\n  - id: ".join(out), encoding="utf-8")
    return course


def rows(device: str, quick: bool) -> list:
    """Start-up rows for the harness (the device plays no part: no command here imports torch)."""
    from benchmarks.harness import Row

    tmp = tempfile.mkdtemp(prefix="cvquiz-bench-")
    db = str(Path(tmp) / "p.sqlite3")

    def run(*args: str):
        return lambda: subprocess.run([sys.executable, *args], capture_output=True, text=True, cwd=ROOT,
                                      check=False).returncode

    practice = run("-m", "cvquiz", "practice", "attention", "--count", "1", "--plain", "--db", db)
    cold_env = {**os.environ, "CVQUIZ_CACHE_DIR": ""}  # no YAML cache, no bank read clean before

    def practice_cold():
        return subprocess.run([sys.executable, "-m", "cvquiz", "practice", "attention", "--count", "1", "--plain",
                               "--db", db], capture_output=True, text=True, cwd=ROOT, env=cold_env,
                              check=False).returncode
    course = str(big_course(Path(tmp)))

    def topics(pure: str):
        env = {**os.environ, "CVQUIZ_CACHE_DIR": "", "CVQUIZ_PURE_YAML": pure}
        return lambda: subprocess.run([sys.executable, "-m", "cvquiz", "--course", course, "topics"],
                                      capture_output=True, text=True, cwd=ROOT, env=env, check=False).stdout

    return [
        Row("cvquiz --help", run("-m", "cvquiz", "--help"), run("-c", "pass"), "python -c pass",
            same=lambda a, b: a == b == 0, target="< 200 ms"),
        Row("practice: to the first question and out", practice, None, "-", target="< 0.5 s"),
        Row("practice: the same with no cache (a first run after install or a bank edit)", practice_cold, None,
            "-", target="< 1.5 s"),
        Row("topics: 3,000 questions in 3 files, no YAML cache", topics(""), topics("1"),
            "the same with ruamel's pure-Python parser (CVQUIZ_PURE_YAML=1)",
            same=lambda a, b: a == b and "1000" in a, target="< 10 s"),
    ]


def main() -> None:
    runs = int(sys.argv[1]) if len(sys.argv) > 1 else 15
    python = [sys.executable]
    rows = [
        ("python -c pass", median_seconds([*python, "-c", "pass"], runs)),
        ("cvquiz --help", median_seconds([*python, "-m", "cvquiz", "--help"], runs)),
        ("cvquiz --version", median_seconds([*python, "-m", "cvquiz", "--version"], runs)),
        ("cvquiz topics", median_seconds([*python, "-m", "cvquiz", "topics"], runs)),
        ("cvquiz bank check", median_seconds([*python, "-m", "cvquiz", "bank", "check"], runs)),
        ("practice: to the first question and out", first_question_seconds(runs)),
        ("python -c 'import torch'", median_seconds([*python, "-c", "import torch"], max(3, runs // 3))),
    ]
    cold, warm = bank_load_seconds(runs)
    rows += [("load all banks in-process, empty cache", cold), ("load all banks in-process, cached", warm)]
    base = rows[0][1]
    print(f"median of {runs} runs; python {sys.version.split()[0]}")
    print(f"{'command':<42} {'median ms':>10} {'x python':>9}")
    for name, seconds in rows:
        print(f"{name:<42} {seconds * 1000:>10.0f} {seconds / base:>9.1f}")


if __name__ == "__main__":
    main()
