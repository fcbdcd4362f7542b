"""Hostile submissions graded in one class run through the real `cvquiz grade` (issue #15).

Each folder ``tests/grade/hostile/hNN_*`` is one attack of the issue's list (NN is its number);
the zip attacks, the 50 MB source and the folder with a symlink are built here, since they cannot
be stored as plain files. They are graded together with two honest students, on the tiny course in
``tests/grade/hostile/course`` (two functions, a 2 s wall limit a call), and the run is checked
against a run of the honest students alone:

- each attack's tests score 0 with the status that says what happened (EXPECTED below);
- the run completes, and both honest students' results are identical to the run without attacks;
- no file outside the run's temporary space changes: the submissions, the course, the output
  folder's own files and ``$HOME`` are hashed before and after;
- nothing the submission printed or wrote is taken as a result.

The single attacks at the level of one worker are tested in test_sandbox.py and test_executor.py;
this file holds the guarantees of a whole class run. The fork bomb and ``kill(-1, 9)`` run only
where the sandbox probe confirms a PID namespace and a dropped uid (never unconfined).
"""

from __future__ import annotations

import csv
import hashlib
import json
import os
import shutil
import stat
import zipfile
from pathlib import Path

import pytest

from tests.cli_helpers import ROOT, run_cvquiz
from tests.grade.conftest import sandbox_flags

HOSTILE = ROOT / "tests" / "grade" / "hostile"
HONEST = (HOSTILE / "honest" / "hw.py").read_text(encoding="utf-8")
HONEST_STUDENTS = ("honest_a", "honest_b")
PWNED = Path("/tmp/cvquiz-hostile-pwned")  # where h06 tries to leave a mark

ANY_FAILURE = {"timeout", "not_run", "memory", "killed", "crash", "bad_output", "values", "type", "shape", "dtype",
               "import_error", "syntax_error", "missing_file", "missing_function"}
STOPPED = {"timeout", "not_run"}  # the import itself never ends: no test can run

#: student -> (item of the issue's list, {question: statuses its tests may have}, words in a visible
#: test's message). Every test of a question listed must have one of the statuses; "passed" is
#: allowed only where the attack fails harmlessly and the answer is right anyway.
EXPECTED: dict[str, tuple[int, dict[str, set[str]], str]] = {
    "h01_loop_at_import": (1, {"scale": STOPPED, "total": STOPPED}, "importing hw.py took longer than"),
    "h02_loop_in_function": (2, {"scale": {"timeout"}, "total": {"passed"}}, "took longer than"),
    "h03_sleep": (3, {"scale": {"timeout"}, "total": {"passed"}}, "took longer than"),
    "h04_huge_allocation": (4, {"scale": {"memory"}, "total": {"passed"}}, "memory"),
    "h05_fork_bomb": (5, {"scale": {"crash"}, "total": {"passed"}}, "PermissionError"),
    "h06_subprocess": (6, {"scale": {"crash"}, "total": {"passed"}}, "PermissionError"),
    "h07_sys_exit_at_import": (7, {"scale": {"import_error"}, "total": {"import_error"}}, "sys.exit"),
    "h07_sys_exit_in_function": (7, {"scale": {"crash"}, "total": {"passed"}}, "sys.exit(0)"),
    "h08_os_exit": (8, {"scale": {"killed", "not_run"}, "total": {"passed"}}, "exit code 0"),
    "h09_kill_parent": (9, {"scale": {"passed", "crash"}, "total": {"passed"}}, ""),
    "h09_kill_everyone": (9, {"scale": {"passed", "crash", "killed", "not_run"},
                              "total": {"passed", "not_run"}}, ""),
    "h10_read_secrets": (10, {"scale": {"passed"}, "total": {"passed"}}, ""),
    "h11_patch_comparisons": (11, {"scale": {"values"}, "total": {"values"}}, "wrong values"),
    "h12_lying_objects": (12, {"scale": {"bad_output"}, "total": {"bad_output", "values"}}, ""),
    "h12_nan_inf": (12, {"scale": {"values"}, "total": {"values"}}, ""),
    "h13_fake_output": (13, {"scale": {"values"}, "total": {"values"}}, "wrong values"),
    "h14_write_results": (14, {"scale": {"values"}, "total": {"values"}}, "wrong values"),
    "h15_gigabyte_of_stdout": (15, {"scale": {"crash", "timeout"},
                                    "total": {"passed"}}, "File too large"),
    "h16_huge_file": (16, {"scale": {"crash", "killed", "not_run"}, "total": {"passed", "not_run"}}, ""),
    "h17_network": (17, {"scale": {"crash"}, "total": {"crash", "passed"}}, ""),
    "h18_background_thread": (18, {"scale": {"passed"}, "total": {"values"}}, ""),
    "h19_catch_signals": (19, {"scale": {"timeout"}, "total": {"passed"}}, "took longer than"),
    "h20_recursion_bomb": (20, {"scale": {"crash", "killed", "memory", "timeout", "not_run"}, "total": ANY_FAILURE}, ""),
    "h21_ctypes_segfault": (21, {"scale": {"killed", "not_run"}, "total": {"passed"}}, "SIGSEGV"),
    "h22_memory_search": (22, {"scale": {"values"}, "total": {"values"}}, "wrong values"),
    "h23_change_submissions": (23, {"scale": {"values"}, "total": {"values"}}, "wrong values"),
    "h24_zip_traversal": (24, {"scale": {"missing_file"}, "total": {"missing_file"}}, "outside the archive"),
    "h24_zip_symlink": (24, {"scale": {"missing_file"}, "total": {"missing_file"}}, "symbolic link"),
    "h24_zip_bomb": (24, {"scale": {"missing_file"}, "total": {"missing_file"}}, "larger than"),
    "h24_folder_symlink": (24, {"scale": {"missing_file"}, "total": {"missing_file"}}, "symbolic link"),
    "h25_not_utf8": (25, {"scale": {"syntax_error"}, "total": {"syntax_error"}}, "does not compile"),
    "h25_empty_source": (25, {"scale": {"missing_function"}, "total": {"missing_function"}}, "defines no function"),
    "h25_50_mb_source": (25, {"scale": {"missing_file"}, "total": {"missing_file"}}, "larger than"),
}

#: Bad input of the issue's last part, graded in the same run: student -> (statuses of every test, words).
BAD_INPUT: dict[str, tuple[set[str], str]] = {
    "b_empty_folder": ({"missing_file"}, "hw.py was not found in the submission"),
    "b_notebook_only": ({"missing_file"}, "only the notebook hw.ipynb"),
    "b_two_files_named_hw": ({"missing_file"}, "several files named hw.py"),
    "b_case_only": ({"missing_file"}, "differs only in letter case"),
    "b_no_required_function": ({"missing_function"}, "defines no function"),
    "b_other_files_only": ({"missing_file"}, "hw.py was not found in the submission"),
}

#: Attacks run only where the sandbox probe confirms the layers that contain them (the fork bomb
#: and kill(-1, 9) need a PID namespace and a dropped uid); elsewhere they are skipped with the
#: reason, never run unconfined (they would reach this machine's files and processes).
CONFINED_ONLY = {
    "h05_fork_bomb": ("pid_namespace", "uid", "no_fork"),
    "h06_subprocess": ("no_fork",),
    "h09_kill_parent": ("pid_namespace", "uid"),
    "h09_kill_everyone": ("pid_namespace", "uid"),
    "h10_read_secrets": ("filesystem",),
    "h14_write_results": ("filesystem",),
    "h17_network": ("network",),
    "h23_change_submissions": ("filesystem",),
}


def _unconfined(student: str) -> list[str]:
    from cvquiz.grade import sandbox

    layers = sandbox.probe()
    if sandbox_flags():  # --unsafe-no-sandbox: only the separate process and its limits are in force
        layers = {"process": True, "rlimits": True}
    return [k for k in CONFINED_ONLY.get(student, ()) if not layers.get(k)]


def build_generated(subs: Path, outside: Path) -> None:
    """The attacks that cannot be stored as plain files in the repository."""
    with zipfile.ZipFile(subs / "h24_zip_traversal.zip", "w") as z:
        z.writestr("../../hw.py", HONEST)
        z.writestr("/abs/hw.py", HONEST)
    with zipfile.ZipFile(subs / "h24_zip_symlink.zip", "w") as z:
        info = zipfile.ZipInfo("hw1/hw.py")
        info.external_attr = (stat.S_IFLNK | 0o777) << 16
        z.writestr(info, str(outside / "secret_answer.py"))
    with zipfile.ZipFile(subs / "h24_zip_bomb.zip", "w", zipfile.ZIP_DEFLATED) as z:
        with z.open("hw.py", "w", force_zip64=True) as f:  # 200 MB that unpack from ~200 kB
            f.write(HONEST.encode())
            chunk = b"#" * (1 << 20)
            for _ in range(200):
                f.write(chunk)
    (subs / "b_empty_folder").mkdir()
    (subs / "b_notebook_only").mkdir()
    (subs / "b_notebook_only" / "hw.ipynb").write_text(json.dumps({"cells": [], "nbformat": 4}), encoding="utf-8")
    for sub in ("part1", "part2"):
        (subs / "b_two_files_named_hw" / sub).mkdir(parents=True)
        (subs / "b_two_files_named_hw" / sub / "hw.py").write_text(HONEST, encoding="utf-8")
    (subs / "b_case_only").mkdir()
    (subs / "b_case_only" / "Hw.py").write_text(HONEST, encoding="utf-8")
    (subs / "b_no_required_function").mkdir()
    (subs / "b_no_required_function" / "hw.py").write_text("def helper(x):\n    return x\n", encoding="utf-8")
    (subs / "b_other_files_only").mkdir()
    (subs / "b_other_files_only" / "notes.txt").write_text("forgot the code\n", encoding="utf-8")
    folder = subs / "h24_folder_symlink"
    folder.mkdir()
    (folder / "hw.py").symlink_to(outside / "secret_answer.py")
    with open(subs / "h25_50_mb_source.py", "w", encoding="utf-8") as f:  # right code, then 50 MB of comments
        f.write(HONEST)
        line = "# " + "x" * 1021 + "\n"
        for _ in range(50 << 10):
            f.write(line)


def tree_digest(root: Path, skip: tuple[str, ...] = ()) -> dict[str, str]:
    """Relative path -> sha256 (or 'link -> target') of everything under ``root``."""
    out = {}
    for path in sorted(root.rglob("*")):
        rel = path.relative_to(root).as_posix()
        if any(rel == s or rel.startswith(s + "/") for s in skip):
            continue
        if path.is_symlink():
            out[rel] = "link -> " + os.readlink(path)
        elif path.is_file():
            out[rel] = hashlib.sha256(path.read_bytes()).hexdigest()
        else:
            out[rel] = "dir"
    return out


def grade(subs: Path, out: Path, course: Path, home: Path) -> object:
    return run_cvquiz("--course", str(course), "grade", str(subs), "--assignment", "hostile", "--out", str(out),
                      "--workers", "2", *sandbox_flags(), env={"HOME": str(home)}, timeout=600)


@pytest.fixture(scope="module")
def runs(tmp_path_factory) -> dict:
    root = tmp_path_factory.mktemp("hostile")
    course = root / "course"
    shutil.copytree(HOSTILE / "course", course)
    home = root / "home"
    home.mkdir()
    (home / ".bashrc").write_text("# the grader's home\n", encoding="utf-8")
    outside = root / "outside"
    outside.mkdir()
    (outside / "secret_answer.py").write_text(HONEST, encoding="utf-8")

    alone = root / "alone"
    alone.mkdir()
    for s in HONEST_STUDENTS:
        shutil.copytree(HOSTILE / "honest", alone / s)
    alone_out = root / "alone_out"
    baseline = grade(alone, alone_out, course, home)

    subs = root / "submissions"
    subs.mkdir()
    for s in HONEST_STUDENTS:
        shutil.copytree(HOSTILE / "honest", subs / s)
    for entry in sorted(HOSTILE.iterdir()):
        if entry.name.startswith("h") and entry.name[1:3].isdigit() and not _unconfined(entry.name):
            shutil.copytree(entry, subs / entry.name)
    build_generated(subs, outside)
    out = root / "out"
    out.mkdir()
    (out / "notes.txt").write_text("the instructor's own file in the output folder\n", encoding="utf-8")
    PWNED.unlink(missing_ok=True)
    before = {name: tree_digest(path) for name, path in
              (("submissions", subs), ("course", course), ("home", home), ("outside", outside), ("out", out))}
    result = grade(subs, out, course, home)
    after = {name: tree_digest(path) for name, path in
             (("submissions", subs), ("course", course), ("home", home), ("outside", outside), ("out", out))}
    return {"baseline": baseline, "alone_out": alone_out, "result": result, "out": out, "before": before,
            "after": after, "subs": subs}


def long_rows(out: Path) -> dict[str, list[dict]]:
    rows: dict[str, list[dict]] = {}
    for r in csv.DictReader((out / "grades_long.csv").open(encoding="utf-8")):
        rows.setdefault(r["student"], []).append(r)
    return rows


def feedback(out: Path, student: str) -> dict:
    data = json.loads((out / "feedback" / f"{student}.json").read_text(encoding="utf-8"))
    for t in data["tests"]:
        t.pop("elapsed_s", None)  # measured, never scored
    return data


def test_every_fixture_folder_and_every_item_of_the_issue_has_an_expected_outcome():
    stored = {p.name for p in HOSTILE.iterdir() if p.name.startswith("h") and p.name[1:3].isdigit()}
    generated = {"h24_zip_traversal", "h24_zip_symlink", "h24_zip_bomb", "h24_folder_symlink", "h25_50_mb_source"}
    assert stored | generated == set(EXPECTED)
    assert {item for item, _, _ in EXPECTED.values()} == set(range(1, 26))
    assert all(name[1:3] == f"{EXPECTED[name][0]:02d}" for name in EXPECTED)


def test_the_class_run_with_every_attack_completes_without_a_traceback(runs):
    result = runs["result"]
    assert runs["baseline"].returncode == 0, runs["baseline"].stderr
    assert result.returncode == 0, result.stderr
    assert "Traceback" not in result.stderr + result.stdout
    graded = {r["student"]: r for r in csv.DictReader((runs["out"] / "grades.csv").open(encoding="utf-8"))}
    expected = {s for s in EXPECTED if not _unconfined(s)} | set(HONEST_STUDENTS) | set(BAD_INPUT)
    assert set(graded) == expected


@pytest.mark.parametrize("student", sorted(EXPECTED))
def test_each_attack_scores_zero_where_it_struck_with_a_status_naming_what_happened(runs, student):
    missing = _unconfined(student)
    if missing:
        pytest.skip(f"the sandbox lacks {', '.join(missing)} here: this attack is never run unconfined")
    _, allowed, words = EXPECTED[student]
    rows = long_rows(runs["out"])[student]
    for r in rows:
        assert r["status"] in allowed[r["question"]], (r["question"], r["test"], r["status"])
        if r["status"] != "passed":
            assert float(r["score"]) == 0, r
    assert any(r["status"] != "passed" for r in rows) or student in ("h09_kill_parent", "h10_read_secrets")
    if words:
        messages = " ".join(t["message"]["en"] for t in feedback(runs["out"], student)["tests"])
        assert words in messages, messages[:2000]


def test_the_honest_students_results_are_identical_to_a_run_without_the_attacks(runs):
    for s in HONEST_STUDENTS:
        assert feedback(runs["out"], s) == feedback(runs["alone_out"], s)
        assert feedback(runs["out"], s)["total"] == 3.0


@pytest.mark.parametrize("folder", ["submissions", "course", "home", "outside"])
def test_no_file_outside_the_runs_temporary_space_changes(runs, folder):
    assert runs["after"][folder] == runs["before"][folder]
    assert not PWNED.exists()


def test_the_output_folder_holds_only_what_the_grader_wrote(runs):
    before, after = runs["before"]["out"], runs["after"]["out"]
    assert after["notes.txt"] == before["notes.txt"]
    written = {rel for rel in after if rel != "notes.txt"}
    allowed_top = {"grades.sqlite", "grades.csv", "grades_long.csv", "feedback", "gradescope"}
    assert {rel.split("/")[0] for rel in written} <= allowed_top
    assert not (runs["out"] / "results.json").exists()
    # The gradescope files are the grader's: a student's planted results.json never lands there.
    for path in (runs["out"] / "gradescope").rglob("results.json"):
        assert '"score": 3, "tests": []' not in path.read_text(encoding="utf-8")


def test_nothing_printed_is_taken_as_a_result_and_printed_text_is_capped(runs):
    fake = feedback(runs["out"], "h13_fake_output")
    assert fake["total"] == 0 and "All tests passed" in fake["output"]
    loud = feedback(runs["out"], "h15_gigabyte_of_stdout")
    assert len(loud["output"].encode()) <= (1 << 20) + 4096


@pytest.mark.parametrize("student", sorted(BAD_INPUT))
def test_each_bad_submission_gets_a_clear_status_and_no_points(runs, student):
    allowed, words = BAD_INPUT[student]
    rows = long_rows(runs["out"])[student]
    assert {r["status"] for r in rows} <= allowed and all(float(r["score"]) == 0 for r in rows), rows
    messages = " ".join(t["message"]["en"] for t in feedback(runs["out"], student)["tests"])
    assert words in messages, messages[:1000]


def test_check_sandbox_prints_every_layer_on_or_off_and_exits_0_when_the_required_ones_are_on():
    from cvquiz.grade import sandbox

    result = run_cvquiz("grade", "--check-sandbox")
    lines = result.stdout.splitlines()
    for name in sandbox.LAYERS:
        assert any(line.split()[:2] in (["on", name], ["off", name]) for line in lines), name
    assert result.returncode == (3 if sandbox.missing(sandbox.probe()) else 0), result.stdout


def test_check_sandbox_names_a_missing_required_layer_and_exits_3(monkeypatch):
    from click.testing import CliRunner

    from cvquiz.cli import main
    from cvquiz.grade import sandbox

    monkeypatch.setattr(sandbox, "probe", lambda refresh=False: {n: n != "filesystem" for n in sandbox.LAYERS})
    result = CliRunner().invoke(main, ["grade", "--check-sandbox"])
    assert result.exit_code == 3
    assert "off  filesystem" in result.output and "missing required layer(s): filesystem" in result.output


@pytest.mark.parametrize("make", ["missing", "empty", "a_file"])
def test_a_missing_empty_or_wrong_submissions_folder_is_a_clear_message(tmp_path, make):
    from click.testing import CliRunner

    from cvquiz.cli import main

    subs = tmp_path / "submissions"
    if make == "empty":
        subs.mkdir()
    elif make == "a_file":
        subs.write_text("not a folder", encoding="utf-8")
    result = CliRunner().invoke(main, ["--course", str(HOSTILE / "course"), "grade", str(subs), "-a", "hostile",
                                       "--out", str(tmp_path / "out"), "--unsafe-no-sandbox"])
    assert "Traceback" not in result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)
    if make == "empty":
        assert result.exit_code == 0 and "graded 0" in result.output
    else:  # a file is refused by the option parser (usage, 2), a missing folder by the grader (3)
        assert result.exit_code == (2 if make == "a_file" else 3) and str(subs) in result.output
