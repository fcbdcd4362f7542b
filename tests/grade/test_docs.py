"""The autograding recipes in docs/: Gradescope's run_autograder on a fake /autograder tree, the
GitHub Actions workflow's commands against the real CLI."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.cli_helpers import ROOT, run_cvquiz
from tests.grade.conftest import sandbox_flags

DOCS = ROOT / "docs"
SCHEMA = ROOT / "tests" / "fixtures" / "grade" / "gradescope-results.schema.json"


def run_autograder(root: Path, **env: str) -> subprocess.CompletedProcess:
    path = f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}"
    return subprocess.run(["bash", str(DOCS / "gradescope" / "run_autograder")], capture_output=True, text=True,
                          timeout=600, env={**os.environ, "PATH": path, "GRADESCOPE_ROOT": str(root), **env})


def fake_tree(tmp_path: Path) -> Path:
    root = tmp_path / "autograder"
    (root / "submission").mkdir(parents=True)
    (root / "source").mkdir()
    shutil.copyfile(ROOT / "tests" / "fixtures" / "grade" / "detection" / "honest" / "detection.py",
                    root / "submission" / "detection.py")
    return root


def test_run_autograder_grades_the_submission_with_hidden_tests_into_results_json(tmp_path):
    jsonschema = pytest.importorskip("jsonschema")
    course = tmp_path / "course"
    shutil.copytree(ROOT / "questions", course / "questions")
    shutil.copytree(ROOT / "reference", course / "reference")
    root = fake_tree(tmp_path)
    done = run_autograder(root, CVQUIZ_ASSIGNMENT="detection", CVQUIZ_COURSE=str(course),
                          CVQUIZ_CHECK_FLAGS=" ".join(sandbox_flags()))
    assert done.returncode == 0, done.stderr
    data = json.loads((root / "results" / "results.json").read_text())
    jsonschema.validate(data, json.loads(SCHEMA.read_text()))
    assert (data["score"], data["max_score"]) == (18, 18)
    assert any(t["visibility"] == "after_published" for t in data["tests"])  # --all ran the hidden tests


def test_run_autograder_leaves_a_valid_results_json_when_cvquiz_cannot_grade(tmp_path):
    jsonschema = pytest.importorskip("jsonschema")
    root = fake_tree(tmp_path)
    done = run_autograder(root, CVQUIZ_ASSIGNMENT="detektion")
    assert done.returncode == 0
    data = json.loads((root / "results" / "results.json").read_text())
    jsonschema.validate(data, json.loads(SCHEMA.read_text()))
    assert data["score"] == 0
    assert "could not grade" in data["output"] and "did you mean 'detection'?" in data["output"]


def test_the_github_workflow_runs_commands_the_cli_accepts():
    from ruamel.yaml import YAML

    workflow = YAML(typ="safe").load((DOCS / "github-actions" / "cvquiz-check.yml").read_text())
    steps = workflow["jobs"]["check"]["steps"]
    commands = [s["run"] for s in steps if "run" in s and s["run"].lstrip().startswith("cvquiz ")]
    assert commands == ['cvquiz check . --assignment "$ASSIGNMENT" --junit junit.xml']
    helped = run_cvquiz("check", "--help")
    assert "--assignment" in helped.stdout and "--junit" in helped.stdout
    assert workflow["env"]["ASSIGNMENT"] == "detection"
