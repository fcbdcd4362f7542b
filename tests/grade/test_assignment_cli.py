"""`cvquiz assignment list|init|check` and the fail-closed rule of `check --all`, through the CLI."""

from __future__ import annotations

import ast
import shutil

from click.testing import CliRunner

from cvquiz.cli import main
from tests.cli_helpers import ROOT, run_cvquiz


def test_assignment_list_names_each_assignment_with_its_functions_and_points():
    result = CliRunner().invoke(main, ["assignment", "list"])
    assert result.exit_code == 0, result.output
    assert ("detection: Detection: boxes, NMS, losses, AP, RoI pooling and masks "
            "(9 functions, 18 points, torch; files: detection.py)") in result.output.splitlines()
    assert "  nms(boxes, scores, iou_threshold)  3 pt, 3 tests (1 hidden)" in result.output


def test_assignment_init_writes_stubs_with_docstrings_and_refuses_to_overwrite(tmp_path):
    out = tmp_path / "hw1"
    result = CliRunner().invoke(main, ["assignment", "init", "detection", "--out", str(out)])
    assert result.exit_code == 0, result.output
    tree = ast.parse((out / "detection.py").read_text())
    functions = {f.name: f for f in tree.body if isinstance(f, ast.FunctionDef)}
    assert list(functions) == ["box_convert", "box_iou", "nms", "smooth_l1_loss", "precision_recall",
                               "average_precision", "roi_pool", "roi_align", "mask_loss"]
    assert "strictly greater than iou_threshold" in ast.get_docstring(functions["nms"])
    assert f"cvquiz check . --assignment detection" in (out / "README.md").read_text()
    again = CliRunner().invoke(main, ["assignment", "init", "detection", "--out", str(out)])
    assert again.exit_code == 3
    assert "already exists; pass --force" in again.output


def test_the_starter_runs_and_scores_zero_with_a_message_per_test(tmp_path):
    CliRunner().invoke(main, ["assignment", "init", "detection", "--out", str(tmp_path / "hw")])
    result = run_cvquiz("check", str(tmp_path / "hw"), "-a", "detection", "--json", timeout=300)
    assert result.returncode == 1
    import json

    data = json.loads(result.stdout)
    assert data["total"] == 0 and {t["status"] for t in data["tests"]} == {"crash"}
    assert 'NotImplementedError: nms' in next(t for t in data["tests"] if t["question"] == "nms")["message"]["en"]


def test_assignment_check_gives_the_built_in_reference_full_marks(tmp_path):
    course = tmp_path / "course"
    shutil.copytree(ROOT / "questions", course / "questions")
    shutil.copytree(ROOT / "reference", course / "reference")
    result = run_cvquiz("--course", str(course), "assignment", "check", timeout=600)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "detection: the reference gets full marks (18/18, 27 tests)" in result.stdout


def test_check_all_refuses_without_the_required_isolation_layers(tmp_path, monkeypatch):
    from cvquiz.grade import sandbox

    monkeypatch.setattr(sandbox, "probe", lambda refresh=False: {name: name != "network" for name in sandbox.LAYERS})
    shutil.copytree(ROOT / "tests" / "fixtures" / "grade" / "detection" / "honest", tmp_path / "hw")
    result = CliRunner().invoke(main, ["check", str(tmp_path / "hw"), "-a", "detection", "--all"])
    assert result.exit_code == 3
    assert "refusing to grade untrusted code" in result.output and "network" in result.output
    graded = CliRunner().invoke(main, ["grade", str(tmp_path), "-a", "detection", "--out", str(tmp_path / "out")])
    assert graded.exit_code == 3 and "network" in graded.output
    assert not (tmp_path / "out" / "grades.csv").exists()


def test_grade_refuses_to_write_into_the_submissions_folder(tmp_path):
    (tmp_path / "alice").mkdir()
    result = CliRunner().invoke(main, ["grade", str(tmp_path), "-a", "detection", "--out", str(tmp_path),
                                       "--unsafe-no-sandbox"])
    assert result.exit_code == 3
    assert "the output folder is the submissions folder" in result.output
    assert not (tmp_path / "grades.sqlite").exists()


def test_a_roster_without_a_student_id_column_is_refused_with_its_line(tmp_path):
    (tmp_path / "subs").mkdir()
    (tmp_path / "roster.csv").write_text("name,email\nAlice,a@x\n")
    result = CliRunner().invoke(main, ["grade", str(tmp_path / "subs"), "-a", "detection", "--out",
                                       str(tmp_path / "out"), "--roster", str(tmp_path / "roster.csv")])
    assert result.exit_code == 3
    assert "roster.csv:1: expected a column 'student_id', got name, email" in result.output
