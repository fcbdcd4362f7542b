"""The dependency rules of STYLE.md, held by reading the source."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

from tests.cli_helpers import ROOT

REFERENCE_ALLOWED = {"torch", "numpy"}


def imported_modules(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                names.add("." * node.level + (node.module or ""))
            else:
                names.add(node.module or "")
    return names


LIBRARY = sorted(p for p in (ROOT / "cvquiz").rglob("*.py")
                 if "cli" not in p.relative_to(ROOT / "cvquiz").parts and p.name != "__main__.py")
REFERENCE = sorted((ROOT / "reference").glob("*.py"))


@pytest.mark.parametrize("path", LIBRARY, ids=lambda p: str(p.relative_to(ROOT)))
def test_the_library_never_imports_the_cli(path):
    assert not any(n == "cvquiz.cli" or n.startswith("cvquiz.cli.") for n in imported_modules(path))


@pytest.mark.parametrize("path", REFERENCE or [pytest.param(None, marks=pytest.mark.skip("no reference modules yet"))],
                         ids=lambda p: p.name if p else "none")
def test_reference_modules_import_only_torch_numpy_and_the_standard_library(path):
    for name in imported_modules(path):
        top = name.split(".")[0]
        assert not name.startswith("."), f"{path.name}: relative import {name!r}"
        assert top in REFERENCE_ALLOWED or top in sys.stdlib_module_names or top == "__future__", \
            f"{path.name} imports {name!r}; reference/ may import only torch, numpy and the standard library"


def test_reading_the_course_imports_no_torch():
    code = (
        "import sys\n"
        "from cvquiz.course import find_course\n"
        "from cvquiz.bank.syllabus import load_syllabus\n"
        "load_syllabus(find_course().syllabus_path)\n"
        "print('torch' in sys.modules)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "False"
