"""YAML trees that remember their lines, and their content-keyed cache."""

from __future__ import annotations

import pytest

from cvquiz.bank.yamltree import YList, YMap, line_in, plain, read_tree
from cvquiz.errors import BankError
from tests.bank.conftest import GOOD_BANK, write

TEXT = """\
a: 1
b:
  - x
  - {c: 2.5, d: null}
e: yes
f: true
g: 2020-01-01
a: 3
"""


def test_a_tree_keeps_the_line_of_every_key_and_item(tmp_path):
    tree = read_tree(write(tmp_path / "t.yaml", TEXT))
    assert isinstance(tree, YMap) and isinstance(tree["b"], YList)
    assert plain(tree) == {"a": 1, "b": ["x", {"c": 2.5, "d": None}], "e": "yes", "f": True, "g": "2020-01-01"}
    assert [line_in(tree, k) for k in tree] == [1, 2, 5, 6, 7]
    assert [line_in(tree["b"], i) for i in range(2)] == [3, 4]
    assert line_in(tree["b"][1], "d") == 4
    assert tree.duplicates == [("a", 8)]


def test_the_cache_returns_the_same_tree_with_the_same_lines(tmp_path, yaml_cache):
    path = write(tmp_path / "bank.yaml", GOOD_BANK)
    first = read_tree(path)
    cached = list(yaml_cache.glob("yaml/*.json"))
    assert cached, "the first read should fill the cache"
    second = read_tree(path)
    assert plain(second) == plain(first)
    q = second["questions"][3]
    assert (line_in(second["questions"], 3), line_in(q, "answer")) == (36, 41)


def test_a_corrupt_cache_entry_is_ignored(tmp_path, yaml_cache):
    path = write(tmp_path / "c.yaml", "x: [1, 2]\n")
    read_tree(path)
    for entry in yaml_cache.glob("yaml/*.json"):
        entry.write_text("{not json", encoding="utf-8")
    assert plain(read_tree(path)) == {"x": [1, 2]}


def test_the_cache_keeps_at_most_its_limit_of_files(tmp_path, yaml_cache, monkeypatch):
    from cvquiz.bank import yamltree

    monkeypatch.setattr(yamltree, "CACHE_MAX", 4)
    monkeypatch.setenv("CVQUIZ_CACHE_DIR", str(tmp_path / "cache"))
    for i in range(6):
        read_tree(write(tmp_path / f"f{i}.yaml", f"x: {i}\n"))
    assert len(list((tmp_path / "cache" / "yaml").glob("*.json"))) <= 4


def test_an_empty_cache_dir_setting_turns_the_cache_off(tmp_path, monkeypatch):
    monkeypatch.setenv("CVQUIZ_CACHE_DIR", "")
    assert plain(read_tree(write(tmp_path / "d.yaml", "x: 1\n"))) == {"x": 1}


@pytest.mark.parametrize("content,message", [
    (b"a: [1\n", "{f}:2: invalid YAML: expected ',' or ']', but got '<stream end>'"),
    (b"a: \xff\n", "{f}:1: cannot be read: not UTF-8 text"),
], ids=["unclosed", "not-utf8"])
def test_an_unreadable_file_is_one_clear_message(tmp_path, content, message):
    path = tmp_path / "bad.yaml"
    path.write_bytes(content)
    with pytest.raises(BankError) as info:
        read_tree(path)
    assert info.value.problems == [message.format(f=path)]


def test_a_missing_file_is_named(tmp_path):
    with pytest.raises(BankError, match=r"nope\.yaml: file not found"):
        read_tree(tmp_path / "nope.yaml")
