"""Commands that need no tensors start fast and never import torch."""

from __future__ import annotations

import subprocess
import sys

import pytest

from tests.cli_helpers import ROOT

PROBE = """
import runpy, sys
sys.argv = ["cvquiz", *{args!r}]
try:
    runpy.run_module("cvquiz", run_name="__main__")
except SystemExit as exc:
    code = exc.code
else:
    code = 0
sys.stdout.flush()
print("\\nEXIT", code, "TORCH", "torch" in sys.modules, file=sys.stderr)
"""


def probe(*args: str) -> tuple[int, bool, str]:
    out = subprocess.run([sys.executable, "-c", PROBE.format(args=list(args))], cwd=ROOT,
                         capture_output=True, text=True, timeout=60)
    last = out.stderr.strip().splitlines()[-1].split()
    return int(last[1]) if last[1] != "None" else 0, last[3] == "True", out.stdout


@pytest.mark.parametrize("args", [["--help"], ["--version"], ["topics"], ["bank", "--help"]],
                         ids=" ".join)
def test_command_runs_without_importing_torch(args):
    code, torch_imported, _ = probe(*args)
    assert code == 0
    assert not torch_imported, f"`cvquiz {' '.join(args)}` imported torch"
