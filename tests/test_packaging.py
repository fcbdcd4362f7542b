"""A non-editable install carries the built-in course beside the engine and finds it."""

from __future__ import annotations

import os
import subprocess
import sys
import zipfile

import pytest

from tests.cli_helpers import ROOT


@pytest.fixture(scope="module")
def wheel(tmp_path_factory):
    out = tmp_path_factory.mktemp("wheel")
    build = subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(out), str(ROOT)],
                           capture_output=True, text=True, timeout=300)
    assert build.returncode == 0, build.stderr
    [path] = out.glob("cvquiz-*.whl")
    return path


def test_the_wheel_ships_the_course_beside_the_engine_not_inside_it(wheel):
    names = set(zipfile.ZipFile(wheel).namelist())
    assert "cvquiz_course/questions/syllabus.yaml" in names
    for topic in ("points", "sequence", "attention", "detection", "generative"):
        assert f"cvquiz_course/questions/{topic}.yaml" in names
        assert f"cvquiz_course/reference/{topic}.py" in names
    assert "cvquiz/problems/variant.schema.json" in names
    assert not any(n.startswith("cvquiz/") and ("reference/" in n or "questions/" in n) for n in names)


def test_an_installed_copy_run_outside_the_checkout_lists_the_topics_and_loads_the_reference(wheel, tmp_path):
    site = tmp_path / "site"
    zipfile.ZipFile(wheel).extractall(site)
    env = {**os.environ, "PYTHONPATH": str(site), "PYTHONIOENCODING": "utf-8"}
    env.pop("CVQUIZ_COURSE", None)
    topics = subprocess.run([sys.executable, "-m", "cvquiz", "topics"], cwd=tmp_path, env=env,
                            capture_output=True, text=True, timeout=120)
    assert topics.returncode == 0, topics.stderr
    for topic in ("points", "sequence", "attention", "detection", "generative"):
        assert topic in topics.stdout
    probe = ("from cvquiz.course import find_course\n"
             "c = find_course(); print(c.root); print(c.reference('detection').box_iou.__name__)\n")
    found = subprocess.run([sys.executable, "-c", probe], cwd=tmp_path, env=env, capture_output=True,
                           text=True, timeout=120)
    assert found.returncode == 0, found.stderr
    root, name = found.stdout.split()
    assert root == str(site / "cvquiz_course") and name == "box_iou"
