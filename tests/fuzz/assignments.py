"""The assignment half of the fuzz runs (issue #15): mutated ``assignment.yaml`` files as the target.

The promise under test: any file given to the assignment loader ends, within the time bound, with
an assignment or a :class:`~cvquiz.errors.BankError` whose every problem starts with
``file:line:`` — never another exception, never a hang. The mutators (alias and nesting bombs
included) and the runner are the bank fuzzing's own (tests/fuzz/mutators.py, runner.py).
"""

from __future__ import annotations

import os
import re
import tempfile
from pathlib import Path

from tests.fuzz.mutators import yaml_mutants
from tests.fuzz.runner import Case

#: Per-case bound for an assignment file, as for a bank.
ASSIGNMENT_BOUND_S = 2.0

_ROOT = Path(__file__).resolve().parent.parent
#: The hostile suite's tiny assignment and the loader tests' one (with generated inputs).
_TINY = (_ROOT / "grade" / "hostile" / "course" / "questions" / "assignments" / "hostile" / "assignment.yaml")
_REFERENCE = {
    "hostile.py": (_ROOT / "grade" / "hostile" / "course" / "reference" / "hostile.py").read_text(encoding="utf-8"),
}

_STATE: dict = {}


def seeds() -> list[str]:
    from tests.grade.test_assignment import GOOD, REFERENCE

    _REFERENCE["detection.py"] = REFERENCE
    return [_TINY.read_text(encoding="utf-8"), GOOD]


SEEDS = seeds()


def setup() -> None:
    """In the fuzz child: a course folder with the references, the syllabus read once."""
    from cvquiz.bank.syllabus import load_syllabus
    from tests.bank.conftest import SYLLABUS

    os.environ["CVQUIZ_CACHE_DIR"] = ""
    root = Path(tempfile.mkdtemp(prefix="cvquiz-fuzz-assignment-"))
    (root / "questions" / "assignments" / "fuzz").mkdir(parents=True)
    (root / "questions" / "syllabus.yaml").write_text(SYLLABUS, encoding="utf-8")
    (root / "reference").mkdir()
    for name, text in _REFERENCE.items():
        (root / "reference" / name).write_text(text, encoding="utf-8")
    _STATE.update(root=root, syllabus=load_syllabus(root / "questions" / "syllabus.yaml"))
    for seed in SEEDS:  # warm up the imports
        load_target(seed)


def load_target(data: str | bytes) -> None:
    """Load one assignment text; anything but an assignment or a file:line BankError is a failure."""
    from cvquiz.errors import BankError
    from cvquiz.grade.assignment import read_assignment

    root = _STATE["root"]
    path = root / "questions" / "assignments" / "fuzz" / "assignment.yaml"
    path.write_bytes(data if isinstance(data, bytes) else data.encode("utf-8", "surrogatepass"))
    try:
        read_assignment(path, _STATE["syllabus"], root / "reference")
    except BankError as exc:
        assert exc.problems, "a BankError without problems"
        bad = [p for p in exc.problems if not re.match(r"\S*assignment\.yaml:\d+: ", p)]
        assert not bad, f"a problem without file:line: {bad[0]!r}"


def assignment_cases(first_seed: int, n: int) -> list[Case]:
    out = []
    for seed in range(first_seed, first_seed + n):
        label, text = yaml_mutants(SEEDS, seed)
        out.append(Case(seed, label, text))
    return out
