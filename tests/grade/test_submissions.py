"""Finding a student's files: folders, single .py files and zips, searched at any depth, copied privately."""

from __future__ import annotations

import zipfile
from pathlib import Path

from cvquiz.grade.submissions import find_submissions, prepare_submission


def test_each_folder_py_and_zip_is_one_student_named_by_it(tmp_path):
    (tmp_path / "alice").mkdir()
    (tmp_path / "bob.py").write_text("x = 1\n")
    with zipfile.ZipFile(tmp_path / "carol.zip", "w") as z:
        z.writestr("detection.py", "x = 1\n")
    (tmp_path / ".DS_Store").write_text("")
    (tmp_path / "notes.txt").write_text("")
    assert {k: v.name for k, v in find_submissions(tmp_path).items()} == {
        "alice": "alice", "bob": "bob.py", "carol": "carol.zip"}


def test_a_single_py_file_becomes_the_one_file_the_assignment_asks_for(tmp_path):
    (tmp_path / "bob.py").write_text("def nms(): pass\n")
    p = prepare_submission("bob", tmp_path / "bob.py", ["detection.py"], tmp_path / "copy")
    assert (tmp_path / "copy" / "detection.py").read_text() == "def nms(): pass\n" and not p.problems


def test_the_file_is_found_at_any_depth_with_the_helpers_beside_it(tmp_path):
    src = tmp_path / "alice" / "hw1" / "src"
    src.mkdir(parents=True)
    (src / "detection.py").write_text("from helpers import f\n")
    (src / "helpers.py").write_text("def f(): pass\n")
    (tmp_path / "alice" / "scratch.py").write_text("elsewhere\n")
    p = prepare_submission("alice", tmp_path / "alice", ["detection.py"], tmp_path / "copy")
    assert sorted(x.name for x in (tmp_path / "copy").iterdir()) == ["detection.py", "helpers.py"]
    assert not p.problems and p.digest


def test_ambiguous_misnamed_and_notebook_submissions_get_a_clear_problem(tmp_path):
    two = tmp_path / "two"
    for d in ("a", "b"):
        (two / d).mkdir(parents=True)
        (two / d / "detection.py").write_text("x = 1\n")
    assert "several files named detection.py (a/detection.py, b/detection.py)" in \
        prepare_submission("two", two, ["detection.py"], tmp_path / "c1").problems["detection.py"].en
    (tmp_path / "case").mkdir()
    (tmp_path / "case" / "Detection.py").write_text("x = 1\n")
    assert "differs only in letter case" in \
        prepare_submission("case", tmp_path / "case", ["detection.py"], tmp_path / "c2").problems["detection.py"].en
    (tmp_path / "nb").mkdir()
    (tmp_path / "nb" / "detection.ipynb").write_text("{}")
    assert "only the notebook detection.ipynb" in \
        prepare_submission("nb", tmp_path / "nb", ["detection.py"], tmp_path / "c3").problems["detection.py"].en


def test_a_zip_never_writes_outside_its_copy_and_skips_links_and_mac_metadata(tmp_path):
    with zipfile.ZipFile(tmp_path / "eve.zip", "w") as z:
        z.writestr("../../evil.py", "boom")
        z.writestr("/abs.py", "boom")
        z.writestr("__MACOSX/hw/._detection.py", "junk")
        z.writestr("hw/detection.py", "def nms(): pass\n")
        link = zipfile.ZipInfo("hw/link.py")
        link.external_attr = (0o120777 << 16)
        z.writestr(link, "/etc/passwd")
    p = prepare_submission("eve", tmp_path / "eve.zip", ["detection.py"], tmp_path / "copy")
    assert sorted(x.name for x in (tmp_path / "copy").iterdir()) == ["detection.py"]
    assert not (tmp_path / "evil.py").exists() and not p.problems


def test_a_broken_zip_is_a_problem_of_every_file_not_a_crash(tmp_path):
    (tmp_path / "bad.zip").write_bytes(b"not a zip")
    p = prepare_submission("bad", tmp_path / "bad.zip", ["detection.py"], tmp_path / "copy")
    assert "cannot be opened as a zip file" in p.problems["detection.py"].en


def test_the_digest_changes_when_the_submission_changes(tmp_path):
    (tmp_path / "a").mkdir()
    (tmp_path / "a" / "detection.py").write_text("x = 1\n")
    first = prepare_submission("a", tmp_path / "a", ["detection.py"], tmp_path / "c1").digest
    (tmp_path / "a" / "detection.py").write_text("x = 2\n")
    assert prepare_submission("a", tmp_path / "a", ["detection.py"], tmp_path / "c2").digest != first


def test_a_virtual_environment_in_the_folder_cannot_crowd_out_the_answer(tmp_path, monkeypatch):
    import cvquiz.grade.submissions as subs

    monkeypatch.setattr(subs, "MAX_FILES", 5)
    pkg = tmp_path / "me" / "aenv" / "lib"
    pkg.mkdir(parents=True)
    for i in range(20):
        (pkg / f"m{i}.py").write_text("x = 1\n")
    (tmp_path / "me" / "zz").mkdir()
    (tmp_path / "me" / "zz" / "detection.py").write_text("def nms(): pass\n")
    p = prepare_submission("me", tmp_path / "me", ["detection.py"], tmp_path / "copy")
    assert (tmp_path / "copy" / "detection.py").is_file() and not p.problems
