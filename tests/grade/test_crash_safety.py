"""Crash safety of a class run (issue #15): SIGKILL the grader mid-run, rerun, lose and duplicate nothing.

A class of small submissions of the tiny course in tests/grade/hostile/course (each takes a few
tenths of a second, so the grader is caught while grading) is graded once without interruption.
Then the same class is graded in a fresh output folder, and the grader process is killed with
SIGKILL as soon as a seeded number of submissions is stored in ``grades.sqlite``; the run is
started again (and killed again, for a second seeded count) and finally run to the end. The final
grades.csv, grades_long.csv, feedback and database must equal the uninterrupted run's: no student
lost, none twice, the same scores and statuses.
"""

from __future__ import annotations

import csv
import json
import os
import random
import shutil
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.cli_helpers import ROOT, run_cvquiz
from tests.grade.conftest import sandbox_flags

HOSTILE = ROOT / "tests" / "grade" / "hostile"

#: student -> the body of scale(x); total(x) is always right. Each call sleeps so a run lasts a while.
BODIES = {
    "s00": "x * 2", "s01": "x * 3", "s02": "x + x", "s03": "x * 2.0001", "s04": "x.float() * 2",
    "s05": "x * 2", "s06": "1 / 0", "s07": "x[:1] * 2", "s08": "x * 2", "s09": "-x * 2",
}


def source(body: str) -> str:
    return (f"import time\n\n\ndef scale(x):\n    time.sleep(0.25)\n    return {body}\n\n\n"
            "def total(x):\n    return x.sum()\n")


@pytest.fixture(scope="module")
def klass(tmp_path_factory) -> dict:
    root = tmp_path_factory.mktemp("crash")
    course = root / "course"
    shutil.copytree(HOSTILE / "course", course)
    subs = root / "submissions"
    for student, body in BODIES.items():
        (subs / student).mkdir(parents=True)
        (subs / student / "hw.py").write_text(source(body), encoding="utf-8")
    roster = root / "roster.csv"
    roster.write_text("student_id\n" + "".join(f"{s}\n" for s in [*BODIES, "ghost"]), encoding="utf-8")
    args = ["--course", str(course), "grade", str(subs), "--assignment", "hostile", "--workers", "1",
            "--roster", str(roster), *sandbox_flags()]
    reference = root / "uninterrupted"
    result = run_cvquiz(*args, "--out", str(reference), timeout=600)
    assert result.returncode == 0, result.stderr
    return {"root": root, "args": args, "reference": reference}


def stored(db: Path) -> int:
    """How many results ``db`` holds now (0 while it does not exist yet)."""
    if not db.exists():
        return 0
    try:
        con = sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=5)
        try:
            return con.execute("SELECT count(*) FROM results").fetchone()[0]
        finally:
            con.close()
    except sqlite3.Error:
        return 0


def run_and_kill(args: list[str], out: Path, after: int, limit_s: float = 300) -> int:
    """Start the grader and SIGKILL it once ``after`` results are stored; its exit status."""
    env = {**os.environ, "PYTHONIOENCODING": "utf-8"}
    proc = subprocess.Popen([sys.executable, "-m", "cvquiz", *args, "--out", str(out)], cwd=ROOT, env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + limit_s
    try:
        while proc.poll() is None and time.monotonic() < deadline:
            if stored(out / "grades.sqlite") >= after:
                proc.send_signal(signal.SIGKILL)
                break
            time.sleep(0.02)
        return proc.wait(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()


def snapshot(out: Path) -> dict:
    def rows(name: str) -> list[tuple]:
        with (out / name).open(encoding="utf-8") as f:
            return [tuple(r) for r in csv.reader(f)]

    feedback = {}
    for path in sorted((out / "feedback").glob("*.json")):
        data = json.loads(path.read_text(encoding="utf-8"))
        for t in data["tests"]:
            t.pop("elapsed_s", None)  # measured, never scored
        feedback[path.name] = data
    con = sqlite3.connect(out / "grades.sqlite")
    try:
        db = sorted(con.execute("SELECT student, status FROM results").fetchall())
    finally:
        con.close()
    return {"grades": rows("grades.csv"), "long": rows("grades_long.csv"), "feedback": feedback, "db": db}


def interrupted_series(klass: dict, seed: int) -> None:
    rng = random.Random(seed)
    n = len(BODIES)
    first = rng.randint(1, n - 2)
    second = rng.randint(first + 1, n)  # n: killed while writing the reports, after the last result
    out = klass["root"] / f"interrupted-{seed}"
    for count in (first, second):
        code = run_and_kill(klass["args"], out, count)
        assert code == -signal.SIGKILL, f"the grader finished before {count} results were stored (exit {code})"
    final = run_cvquiz(*klass["args"], "--out", str(out), timeout=600)
    assert final.returncode == 0, final.stderr
    assert "Traceback" not in final.stderr
    got, want = snapshot(out), snapshot(klass["reference"])
    students = [r[0] for r in got["grades"][1:]]
    assert len(students) == len(set(students)) == n + 1  # everyone once, the ghost included
    assert got == want


def test_a_class_run_killed_twice_and_rerun_ends_with_the_grades_of_an_uninterrupted_run(klass):
    interrupted_series(klass, seed=0)


@pytest.mark.slow
@pytest.mark.parametrize("seed", [1, 2, 3, 4])
def test_more_seeded_kill_points_end_with_the_same_grades(klass, seed):
    interrupted_series(klass, seed)
