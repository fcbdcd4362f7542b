"""`cvquiz generate` through a real subprocess, as a user runs it."""

from __future__ import annotations

import json
import subprocess
import sys

import jsonschema
import pytest

from cvquiz.problems.export import schema
from tests.cli_helpers import ROOT, run_cvquiz

MY_KINDS = {"iou", "nms", "smooth_l1", "box_loss", "precision_recall", "ap11", "ap_all", "map", "roi_align",
            "roi_pool", "box_convert", "anchor_count", "gaussian_kl", "elbo", "gan_losses", "nonsaturating_grad",
            "fid", "ddpm_alpha_bar", "q_sample", "reparameterize"}


def generate_json(*args: str) -> list[dict]:
    out = run_cvquiz("generate", *args, "--format", "json")
    assert out.returncode == 0, out.stderr
    data = json.loads(out.stdout)
    jsonschema.validate(data, schema(), cls=jsonschema.Draft202012Validator)
    return data


def test_list_shows_at_least_25_kinds_with_topic_version_and_title():
    out = run_cvquiz("generate", "--list")
    assert out.returncode == 0, out.stderr
    rows = {line.split()[0]: line for line in out.stdout.splitlines()[1:] if line.strip() and "kinds" not in line}
    assert len(rows) >= 25
    assert MY_KINDS <= set(rows)
    assert "detection" in rows["iou"] and "IoU of two boxes" in rows["iou"] and "format" in rows["iou"]


def test_list_as_json_names_every_kind_with_its_options():
    out = run_cvquiz("generate", "--list", "--format", "json")
    kinds = {g["kind"]: g for g in json.loads(out.stdout)}
    assert MY_KINDS <= set(kinds)
    assert kinds["fid"]["options"] == ["covariance"] and kinds["fid"]["topic"] == "generative"


def test_the_same_seed_gives_the_same_variant_and_the_json_validates():
    first = generate_json("fid", "--seed", "1a2b")
    assert first == generate_json("fid", "--seed", "0x1A2B")
    (v,) = first
    assert v["seed"] == "1a2b" and v["kind"] == "fid" and v["version"] >= 1
    assert set(v["params"]) >= {"mu1", "mu2", "sigma1", "sigma2"}


def test_count_makes_consecutive_seeds_after_an_explicit_seed():
    data = generate_json("iou", "--seed", "ff", "--count", "3")
    assert [v["seed"] for v in data] == ["ff", "100", "101"]


def test_count_makes_attempts_whose_seeds_depend_on_the_student_and_the_secret(tmp_path):
    first = tmp_path / "first.secret"
    first.write_text("a long random exam secret\n")
    a = generate_json("ap11", "--student", "s1", "--count", "2", "--secret-file", str(first))
    b = generate_json("ap11", "--student", "s2", "--count", "2", "--secret-file", str(first))
    assert len({v["seed"] for v in a + b}) == 4
    assert a == generate_json("ap11", "--student", "s1", "--count", "2", "--secret-file", str(first))
    second = tmp_path / "second.secret"
    second.write_text("another long random exam secret\n")
    c = generate_json("ap11", "--student", "s1", "--count", "2", "--secret-file", str(second))
    assert {v["seed"] for v in c}.isdisjoint(v["seed"] for v in a)


def test_an_option_fixes_the_generator_choice():
    (v,) = generate_json("iou", "--seed", "7", "-o", "format=cxcywh")
    assert v["params"]["format"] == "cxcywh"


def test_text_with_key_shows_the_answer_and_the_worked_solution():
    plain = run_cvquiz("generate", "nms", "--seed", "3")
    keyed = run_cvquiz("generate", "nms", "--seed", "3", "--key")
    assert plain.returncode == keyed.returncode == 0
    assert "Answer:" not in plain.stdout.split("(Answer:")[0] and "Solution:" not in plain.stdout
    assert "Solution:" in keyed.stdout and "Sort by score" in keyed.stdout


def test_lang_zh_prints_the_chinese_prompt():
    out = run_cvquiz("generate", "elbo", "--seed", "3", "--lang", "zh", "--key")
    assert out.returncode == 0 and "再给出 (elbo) ELBO" in out.stdout and "解答" in out.stdout


@pytest.mark.parametrize("fmt,marker", [("md", "## 1. roi_align"), ("tex", "\\begin{document}")])
def test_markdown_and_latex_carry_the_prompt_and_with_key_the_solution(fmt, marker):
    out = run_cvquiz("generate", "roi_align", "--seed", "9", "--format", fmt, "--key")
    assert out.returncode == 0, out.stderr
    assert marker in out.stdout and "bilinear" in out.stdout and "Project the RoI" in out.stdout


@pytest.mark.parametrize("args,message", [
    (["iuo"], "did you mean 'iou'"),
    (["iou", "--seed", "xyz"], "--seed: expected a hex string"),
    (["iou", "--secret-file", "/no/such/secret"], "--secret-file: cannot read /no/such/secret"),
    (["iou", "-o", "format=xywh"], "option 'format': expected one of xyxy, cxcywh"),
    (["iou", "-o", "colour=red"], "unknown option 'colour'"),
    (["iou", "-o", "format"], "--option: expected NAME=VALUE"),
    ([], "give a problem KIND"),
], ids=["unknown-kind", "bad-seed", "missing-secret", "bad-option-value", "unknown-option", "malformed-option",
        "no-kind"])
def test_bad_input_is_a_one_line_error_with_exit_code_2(args, message):
    out = run_cvquiz("generate", *args)
    assert out.returncode == 2
    assert message in out.stderr and "Traceback" not in out.stderr


def test_an_empty_secret_file_is_refused(tmp_path):
    empty = tmp_path / "empty.secret"
    empty.write_text("\n")
    out = run_cvquiz("generate", "iou", "--secret-file", str(empty))
    assert out.returncode == 2 and "is empty" in out.stderr


def test_generate_never_imports_torch():
    code = (
        "import runpy, sys\n"
        "sys.argv = ['cvquiz', 'generate', 'fid', '--count', '2', '--format', 'json']\n"
        "try:\n    runpy.run_module('cvquiz', run_name='__main__')\n"
        "except SystemExit as exc:\n    assert not exc.code, exc.code\n"
        "print('TORCH', 'torch' in sys.modules, file=sys.stderr)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    assert "TORCH False" in out.stderr
