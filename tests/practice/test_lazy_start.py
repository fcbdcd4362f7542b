"""The drill shows its first question before sympy loads, then checks answers as before (issue #17)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

#: Runs `cvquiz practice` with Screen.show_question reporting, at the first question, whether
#: sympy or a problem generator was already imported.
DRIVER = """
import sys
from cvquiz.practice import screen as S
original = S.Screen.show_question
seen = []
def show_question(self, *args, **kwargs):
    if not seen:
        loaded = sorted(m for m in sys.modules if m == "sympy" or m.startswith("cvquiz.problems.")
                        and m != "cvquiz.problems.registry" or m == "cvquiz.answers.check")
        print("LOADED-AT-FIRST-QUESTION", loaded, flush=True)
        seen.append(1)
    return original(self, *args, **kwargs)
S.Screen.show_question = show_question
from cvquiz.cli import run
sys.argv = ["cvquiz", *sys.argv[1:]]
run()
"""


def practise(tmp_path, stdin: str) -> str:
    env = {"CVQUIZ_CACHE_DIR": str(tmp_path / "cache"), "PATH": "/usr/bin:/bin", "COLUMNS": "100",
           "LANG": "C.UTF-8", "PYTHONIOENCODING": "utf-8"}
    out = subprocess.run([sys.executable, "-c", DRIVER, "practice", "attention", "--count", "3", "--plain",
                          "--seed", "5", "--db", str(tmp_path / "p.sqlite3")],
                         input=stdin, capture_output=True, text=True, cwd=ROOT, env=env, timeout=120)
    assert out.returncode == 0, out.stderr
    return out.stdout


def test_the_first_question_comes_before_sympy_and_the_answers_are_still_checked(tmp_path):
    first = practise(tmp_path, ":s\n:s\n:s\n")  # the first run reads the banks in full (and marks them)
    assert "LOADED-AT-FIRST-QUESTION []" not in first
    again = practise(tmp_path, "?!\n:a\n:s\n")  # the same session again: the banks are trusted now
    assert "LOADED-AT-FIRST-QUESTION []" in again
    assert "Not an answer I can read" in again  # the typed answer went through the checker
    assert "Answer shown (counts as wrong)" in again and "Answer: " in again  # printed by sympy's printer
    assert "Session summary" in again and "(1 with the answer shown)" in again
