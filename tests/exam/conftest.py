"""Shared pieces of the exam tests: a 3-student roster, a spec with one question of every kind,
and typing a part's expected answer the way a student would."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
import sympy
from click.testing import CliRunner
from rich.console import Console

from cvquiz.cli import main

ROSTER = "id,name,sis_id,section\ns1,Ann Lee,901,A\ns2,Bo Wu,,B\ns3,Cy Ng,903,\n"

#: One question of every kind a paper can hold (and a mapping generator, a multi with points 2).
SPEC = """\
title: {en: Test exam, zh: 测试}
sections:
  - title: {en: Concepts, zh: 概念}
    questions:
      - id: detection.tasks-semantic-no-instances
      - id: points.voxelization-pros-cons
        points: 2
      - id: points.pointnet2-shuffle-invariance
  - title: {en: Numbers, zh: 计算}
    questions:
      - id: points.pointnet2-fps-distance-count
      - id: sequence.rnn-output-shape
      - id: sequence.vanilla_rnn-step-derivative
      - id: points.pointnet2-fps-fixed-order
      - id: detection.nms-generated-iou
      - id: attention.self_attention-generated-shapes
        points: 3
      - id: detection.boxes-generated-convert
      - id: attention.causal_mask-with-padding
"""


def invoke(*args: str):
    """Run ``cvquiz ARGS`` in this process; returns click's result (stdout and stderr mixed)."""
    out = io.StringIO()
    result = CliRunner().invoke(main, list(args), obj={"console": Console(file=out, width=200, color_system=None)})
    result.console_text = out.getvalue()
    return result


def typed(part) -> str:
    """The expected answer of ``part`` as a student would type it."""
    kind, x = part.kind, part.expected
    if kind in ("number", "expression"):
        return sympy.sstr(sympy.sympify(x))
    if kind == "vector":
        return "[" + ", ".join(sympy.sstr(sympy.sympify(v)) for v in x) + "]"
    if kind == "shape":
        return "[" + ", ".join(str(v) for v in x) + "]"
    if kind == "indices":
        return " ".join(str(v) for v in x)
    if kind == "set":
        return " ".join(str(v) for v in sorted(x))
    if kind == "choice":
        return "ABCDEFGH"[x]
    if kind == "multi":
        return " ".join("ABCDEFGH"[i] for i in sorted(x))
    if kind == "truefalse":
        return "true" if x else "false"
    raise AssertionError(kind)


@pytest.fixture(scope="session")
def exam_inputs(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("exam-inputs")
    (folder / "roster.csv").write_text(ROSTER, encoding="utf-8")
    (folder / "exam.yaml").write_text(SPEC, encoding="utf-8")
    (folder / "exam.secret").write_text("a long random test secret\n", encoding="utf-8")
    return folder


def build_args(inputs: Path, out: Path, lang: str = "en") -> list[str]:
    return ["exam", "build", "--spec", str(inputs / "exam.yaml"), "--roster", str(inputs / "roster.csv"),
            "--secret-file", str(inputs / "exam.secret"), "--out", str(out), "--lang", lang, "--date", "2026-01-05"]


@pytest.fixture(scope="session")
def built_exam(exam_inputs, tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("exam") / "exam1"
    result = invoke(*build_args(exam_inputs, out))
    assert result.exit_code == 0, result.output + result.console_text
    return out
