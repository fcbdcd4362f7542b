"""Run the real `cvquiz` in a subprocess (as a user would)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def run_cvquiz(*args: str, input: str | None = None, env: dict | None = None,
               cwd: Path | None = None, timeout: float = 120) -> subprocess.CompletedProcess:
    full_env = {**os.environ, "PYTHONIOENCODING": "utf-8", **(env or {})}
    return subprocess.run([sys.executable, "-m", "cvquiz", *args], input=input, env=full_env,
                          cwd=cwd or ROOT, capture_output=True, text=True, timeout=timeout)
