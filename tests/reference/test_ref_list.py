"""`cvquiz ref list` / `ref show` and the ast index behind them (no torch), plus the docstring
contract every reference function keeps (summary, Reference: and Concepts: lines)."""

from __future__ import annotations

import ast
import json
import subprocess
import sys

import pytest
from click.testing import CliRunner

from cvquiz.cli import main
from cvquiz.errors import CourseError
from cvquiz.reference_index import find_function, parse_concepts, read_reference_module, reference_index
from tests.cli_helpers import ROOT, run_cvquiz

PROBE = """
import json, runpy, sys
sys.argv = ["cvquiz", "ref", "list", "--json"]
try:
    runpy.run_module("cvquiz", run_name="__main__")
except SystemExit as exc:
    assert not exc.code, exc.code
sys.stdout.flush()
print("\\nTORCH", "torch" in sys.modules, file=sys.stderr)
"""


def invoke(*args: str):
    return CliRunner().invoke(main, list(args), catch_exceptions=False)


def test_ref_list_runs_without_importing_torch():
    out = subprocess.run([sys.executable, "-c", PROBE], cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    assert out.stderr.strip().splitlines()[-1] == "TORCH False"
    names = {f["name"] for f in json.loads(out.stdout)}
    assert {"nms", "roi_align", "frechet_distance", "ddim_step"} <= names


def test_ref_list_prints_a_table_with_topic_function_and_concept():
    result = run_cvquiz("ref", "list", env={"COLUMNS": "200"})
    assert result.returncode == 0, result.stderr
    line = next(line for line in result.stdout.splitlines() if " nms " in line)
    assert "detection" in line and "detection.nms" in line
    assert "generative.evaluation" in result.stdout


def test_ref_list_json_covers_every_topic_module_and_only_known_concepts(course):
    from cvquiz.bank.syllabus import load_syllabus

    result = invoke("ref", "list", "--json")
    assert result.exit_code == 0
    rows = json.loads(result.output)
    assert {r["topic"] for r in rows} == set(course.reference_topics())
    known = set(load_syllabus(course.syllabus_path).concepts)
    for row in rows:
        assert row["concepts"], f"{row['topic']}.{row['name']} has no Concepts: line"
        assert set(row["concepts"]) <= known, f"{row['topic']}.{row['name']}: unknown {set(row['concepts']) - known}"


def test_ref_list_filters_by_topic_and_rejects_an_unknown_one():
    rows = json.loads(invoke("ref", "list", "generative", "--json").output)
    assert rows and {r["topic"] for r in rows} == {"generative"}
    bad = CliRunner().invoke(main, ["ref", "list", "detections"])
    assert bad.exit_code == 2 and "'detections' has no reference module" in bad.output


def test_ref_show_prints_the_signature_and_docstring():
    result = invoke("ref", "show", "detection.nms")
    assert result.exit_code == 0
    assert result.output.startswith("detection.nms(boxes: Tensor, scores: Tensor, iou_threshold: float) -> Tensor")
    assert "Concepts: detection.nms" in result.output


def test_signatures_read_from_source_match_inspect(course, ref):
    import inspect

    for f in reference_index(course):
        if f.topic in MINE:
            live = getattr(getattr(ref, f.topic), f.name)
            live_text = f"{f.name}{inspect.signature(live)}"  # string annotations come quoted
            assert f.signature.replace("'", "") == live_text.replace("'", "")


def test_ref_show_suggests_a_close_name():
    result = CliRunner().invoke(main, ["ref", "show", "roi_alin"])
    assert result.exit_code == 2 and "did you mean roi_align" in result.output


def test_a_course_with_a_broken_reference_module_is_a_course_error(tmp_path):
    path = tmp_path / "detection.py"
    path.write_text("def nms(:\n    pass\n", encoding="utf-8")
    with pytest.raises(CourseError, match=r"detection.py:1: not valid Python"):
        read_reference_module(path, "detection")


def test_the_index_honours_all_and_skips_private_functions(tmp_path):
    path = tmp_path / "points.py"
    path.write_text('__all__ = ["a"]\n\ndef a(x: int = 1) -> int:\n    """Do a.\n\n    Concepts: points.voxelization, '
                    'points.sparse_conv\n    """\n\ndef b():\n    pass\n\ndef _c():\n    pass\n', encoding="utf-8")
    (fn,) = read_reference_module(path, "points")
    assert (fn.name, fn.signature, fn.summary) == ("a", "a(x: int = 1) -> int", "Do a.")
    assert fn.concepts == ("points.voxelization", "points.sparse_conv")
    assert find_function([fn], "points.a") == [fn] and find_function([fn], "b") == []
    assert parse_concepts("no such line") == ()


MINE = ["detection", "generative"]


@pytest.mark.parametrize("topic", MINE)
def test_every_public_function_documents_summary_shapes_reference_and_concepts(course, topic):
    functions = [f for f in reference_index(course) if f.topic == topic]
    assert len(functions) >= 10
    for f in functions:
        doc = f.docstring
        assert f.summary.endswith("."), f"{f.qualname}: summary line {f.summary!r}"
        assert "Reference:" in doc and "Returns:" in doc, f.qualname
        assert f.concepts and all(c.startswith(topic + ".") for c in f.concepts), f.qualname


@pytest.mark.parametrize("topic", MINE)
def test_all_lists_exactly_the_public_functions(course, topic):
    tree = ast.parse(course.reference_path(topic).read_text(encoding="utf-8"))
    public = [n.name for n in tree.body if isinstance(n, ast.FunctionDef) and not n.name.startswith("_")]
    declared = next(ast.literal_eval(n.value) for n in tree.body if isinstance(n, ast.Assign)
                    and any(getattr(t, "id", None) == "__all__" for t in n.targets))
    assert sorted(public) == sorted(declared)


@pytest.mark.parametrize("topic", MINE)
def test_every_algo_concept_of_the_topic_has_a_reference_function(course, topic):
    from cvquiz.bank.syllabus import load_syllabus

    covered = {c for f in reference_index(course) for c in f.concepts}
    wanted = {c.id for c in load_syllabus(course.syllabus_path).concepts.values()
              if c.topic == topic and "algo" in c.needs}
    assert wanted and wanted <= covered, f"no reference function for {sorted(wanted - covered)}"
