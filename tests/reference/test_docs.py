"""Every public function of the five reference modules documents itself as STYLE.md asks.

Read with ``ast`` (as ``cvquiz ref list`` does), so this holds without importing torch.
"""

from __future__ import annotations

import ast
import re

import pytest

from tests.cli_helpers import ROOT

TOPICS = ("points", "sequence", "attention", "detection", "generative")


def public_functions(topic: str) -> list[tuple[str, str, list[str]]]:
    tree = ast.parse((ROOT / "reference" / f"{topic}.py").read_text(encoding="utf-8"))
    exported = next(ast.literal_eval(n.value) for n in tree.body if isinstance(n, ast.Assign)
                    and any(isinstance(t, ast.Name) and t.id == "__all__" for t in n.targets))
    out = []
    for node in tree.body:
        if isinstance(node, ast.FunctionDef) and not node.name.startswith("_"):
            out.append((node.name, ast.get_docstring(node) or "", exported))
    return out


CASES = [pytest.param(t, name, doc, exported, id=f"{t}.{name}")
         for t in TOPICS for name, doc, exported in public_functions(t)]


def test_each_module_states_its_dimension_letters_once_at_the_top():
    for topic in TOPICS:
        doc = ast.get_docstring(ast.parse((ROOT / "reference" / f"{topic}.py").read_text(encoding="utf-8")))
        assert doc and "Dimension letters" in doc and "``B`` batch" in doc, topic


@pytest.mark.parametrize("topic, name, doc, exported", CASES)
def test_public_function_has_summary_shapes_reference_and_known_concepts(course, topic, name, doc, exported):
    from cvquiz.bank.syllabus import load_syllabus

    assert name in exported, f"{topic}.{name} is public but not in __all__"
    lines = doc.splitlines()
    assert lines and lines[0].strip().endswith("."), f"{name}: the first line is a one-line summary"
    assert re.search(r"Tensor\[", doc), f"{name}: the docstring states shapes as Tensor[...]"
    assert any(line.startswith("Reference: ") for line in lines), f"{name}: no Reference: line"
    concept_lines = [line for line in lines if line.startswith("Concepts: ")]
    assert len(concept_lines) == 1, f"{name}: expected one Concepts: line"
    ids = [c.strip() for c in concept_lines[0].removeprefix("Concepts: ").split(",")]
    known = load_syllabus(course.syllabus_path).concepts
    for cid in ids:
        assert cid.startswith(f"{topic}.") and cid in known, f"{name}: unknown concept id {cid!r}"
