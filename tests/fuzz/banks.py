"""The bank-specific half of bank fuzzing: seed banks and the loader as the target.

The promise under test: any file given to the loader ends, within the time bound, with questions
or a :class:`~cvquiz.errors.BankError` whose every problem starts with ``file:line:`` — never
another exception, never a hang.
"""

from __future__ import annotations

import os
import re
import tempfile
from pathlib import Path

from tests.bank.conftest import GOOD_BANK, SYLLABUS
from tests.fuzz.runner import Case
from tests.fuzz.mutators import yaml_mutants

#: Per-case bound for a bank (issue #14).
BANK_BOUND_S = 2.0

#: Small banks to mutate: the loader's tests' good bank (the test generator swapped for a real
#: one) cut into pieces of a few questions, so that a case stays fast.
_FULL = GOOD_BANK.replace("    generator: bank_test_gen\n    options: {size: 3}\n", "    generator: nms\n")
_HEAD, _BODY = _FULL.split("questions:\n")
_QUESTIONS = re.split(r"(?m)^(?=  - id: )", _BODY)[1:]
SEEDS = [_HEAD + "questions:\n" + "".join(_QUESTIONS[i:i + 3]) for i in range(0, len(_QUESTIONS), 3)]

_STATE: dict = {}


def setup() -> None:
    """In the fuzz child: a course folder, the syllabus read once, the YAML cache off."""
    from cvquiz.bank.syllabus import load_syllabus

    os.environ["CVQUIZ_CACHE_DIR"] = ""
    root = Path(tempfile.mkdtemp(prefix="cvquiz-fuzz-"))
    (root / "assignments" / "nms").mkdir(parents=True)
    (root / "syllabus.yaml").write_text(SYLLABUS, encoding="utf-8")
    _STATE.update(root=root, syllabus=load_syllabus(root / "syllabus.yaml"))
    for seed in SEEDS:  # warm up: imports, the generator registry, sympy's caches
        load_target(seed)


def load_target(data: str | bytes) -> None:
    """Load one bank text; anything but questions or a file:line BankError is a failure."""
    from cvquiz.bank.load import load_banks
    from cvquiz.errors import BankError

    path = _STATE["root"] / "detection.yaml"
    path.write_bytes(data if isinstance(data, bytes) else data.encode("utf-8", "surrogatepass"))
    try:
        load_banks([path], _STATE["syllabus"], assignments_dir=_STATE["root"] / "assignments")
    except BankError as exc:
        bad = [p for p in exc.problems if not re.match(rf"{re.escape(str(path))}:\d+: ", p)]
        assert not bad, f"a problem without file:line: {bad[0]!r}"


def bank_cases(first_seed: int, n: int) -> list[Case]:
    out = []
    for seed in range(first_seed, first_seed + n):
        label, text = yaml_mutants(SEEDS, seed)
        out.append(Case(seed, label, text))
    return out
