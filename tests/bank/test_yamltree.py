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
g: "2020-01-01"
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


def _bomb(levels: int, fanout: int = 10) -> str:
    """Anchors that each hold ``fanout`` aliases of the one before: fanout**levels nodes."""
    lines = [f"a0: &a0 [{', '.join(['x'] * fanout)}]"]
    for i in range(1, levels + 1):
        lines.append(f"a{i}: &a{i} [{', '.join([f'*a{i - 1}'] * fanout)}]")
    return "\n".join(lines) + "\nquestions: []\n"


def test_an_alias_bomb_is_refused_at_the_anchor_it_repeats_before_it_is_expanded(tmp_path):
    # Regression (issue #14 item 2): 10 aliases x 8 levels ran for minutes and took 300 MB.
    path = write(tmp_path / "bomb.yaml", _bomb(8))
    assert path.stat().st_size < 600
    with pytest.raises(BankError) as info:
        read_tree(path)
    [problem] = info.value.problems
    assert problem.startswith(f"{path}:3: invalid YAML: aliases of the anchor &a2 expand to more than 10,000 nodes")


def test_aliases_that_repeat_a_little_are_still_read(tmp_path):
    tree = read_tree(write(tmp_path / "small.yaml", _bomb(2)))
    assert plain(tree)["a2"] == [[["x"] * 10] * 10] * 10


def test_an_anchor_that_contains_an_alias_to_itself_is_refused(tmp_path):
    path = write(tmp_path / "loop.yaml", "a: 1\nb: &me [1, *me]\n")
    with pytest.raises(BankError) as info:
        read_tree(path)
    assert info.value.problems == [f"{path}:2: invalid YAML: the anchor &me contains an alias to itself"]


@pytest.mark.parametrize("text,line", [
    ("q: " + "[" * 1000 + "]" * 1000 + "\n", 1),
    ("q: " + "{a:\n" * 2000 + "1" + "}" * 2000 + "\n", 101),
    ("".join("  " * i + f"k{i}:\n" for i in range(300)), 50),
], ids=["1000-brackets", "2000-braces", "300-indents"])
def test_nesting_past_the_limit_is_one_message_with_its_line_not_a_recursion_error(tmp_path, text, line):
    # Regression (issue #14 item 4): a RecursionError traceback, exit 1, no file:line.
    path = write(tmp_path / "deep.yaml", text)
    with pytest.raises(BankError) as info:
        read_tree(path)
    assert info.value.problems == [f"{path}:{line}: invalid YAML: nested more than 50 levels deep"]


def test_nesting_up_to_the_limit_is_read(tmp_path):
    from cvquiz.bank.yamltree import MAX_DEPTH

    tree = read_tree(write(tmp_path / "ok.yaml", "q: " + "[" * (MAX_DEPTH - 1) + "]" * (MAX_DEPTH - 1) + "\n"))
    depth, node = 0, plain(tree)["q"]
    while node:
        node, depth = node[0], depth + 1
    assert depth == MAX_DEPTH - 2


@pytest.mark.parametrize("text,message", [
    ("id: !custom x\n", "{f}:1: invalid YAML: unexpected tag !custom on 'x'; remove it"),
    ("id: 2024-01-01\n", '{f}:1: invalid YAML: 2024-01-01 reads as a YAML date, not text; quote it ("2024-01-01") if text is meant'),
    ("a:\n  b: !!set {x, y}\n", "{f}:2: invalid YAML: unexpected tag !!set on a mapping; remove it"),
    ("a: !!omap [x: 1]\n", "{f}:1: invalid YAML: unexpected tag !!omap on a list; remove it"),
    ("a: !!binary aGk=\n", "{f}:1: invalid YAML: unexpected tag !!binary on 'aGk='; remove it"),
], ids=["custom-tag", "date", "set", "omap", "binary"])
def test_tags_and_dates_are_named_instead_of_silently_read_as_text(tmp_path, text, message):
    # Regression (issue #14 item 13): `id: !custom x` and `id: 2024-01-01` were taken as strings.
    path = write(tmp_path / "tagged.yaml", text)
    with pytest.raises(BankError) as info:
        read_tree(path)
    [problem] = info.value.problems
    assert problem.startswith(message.format(f=path))


def test_a_quoted_date_and_an_explicit_core_tag_are_text(tmp_path):
    tree = read_tree(write(tmp_path / "q.yaml", 'a: "2024-01-01"\nb: !!str 2024-01-02\nc: !!int "3"\n'))
    assert plain(tree) == {"a": "2024-01-01", "b": "2024-01-02", "c": 3}


def test_a_long_run_of_unclosed_brackets_is_refused_before_the_parser_reads_it(tmp_path):
    # Found by the fuzz run: 3,000 unclosed `[` took ruamel's scanner seconds (quadratic).
    import time

    path = write(tmp_path / "run.yaml", "a: 1\nb: " + "[" * 3000 + "\n")
    start = time.monotonic()
    with pytest.raises(BankError) as info:
        read_tree(path)
    assert time.monotonic() - start < 1.0
    assert info.value.problems == [f"{path}:2: invalid YAML: nested more than 50 levels deep"]


def test_brackets_in_quotes_comments_and_words_do_not_count_as_nesting(tmp_path):
    text = ('a: "' + "[" * 300 + '"\n' + "b: '" + "{" * 300 + "'\n" + "# " + "[" * 300 + "\n"
            + "c: it's " + "[x] " * 3 + "\n")
    tree = read_tree(write(tmp_path / "quoted.yaml", text))
    assert plain(tree)["a"] == "[" * 300 and plain(tree)["b"] == "{" * 300


def test_a_line_longer_than_the_limit_is_refused_with_its_number(tmp_path):
    # Found by the 10,000-bank fuzz run: a 200,000-character plain scalar took seconds to scan.
    from cvquiz.bank.yamltree import MAX_LINE_CHARS

    path = write(tmp_path / "long.yaml", "a: 1\nb: " + "x" * MAX_LINE_CHARS + "\nc: 2\n")
    with pytest.raises(BankError) as info:
        read_tree(path)
    assert info.value.problems == [
        f"{path}:2: the line is longer than 10,000 characters; break it (a block scalar, | or >, holds long "
        "text over several lines)"]
    ok = write(tmp_path / "ok.yaml", "b: " + "x" * (MAX_LINE_CHARS - 3) + "\n")
    assert len(plain(read_tree(ok))["b"]) == MAX_LINE_CHARS - 3


def _both_parsers(text: str, path):
    """The encoded tree (values, lines, duplicates) from libyaml and from the pure parser."""
    from cvquiz.bank import yamltree

    out = []
    for pure in (False, True):
        yaml, node = yamltree._parse(text, pure=pure)
        out.append(yamltree._encode(yamltree._Converter(path, yaml.constructor, text).convert(node)))
    return out


def test_libyaml_is_used_when_installed_and_can_be_turned_off(monkeypatch):
    pytest.importorskip("ruamel.yaml.clib._ruamel_yaml", reason="ruamel.yaml.clib (libyaml) is not installed")
    from cvquiz.bank import yamltree

    monkeypatch.setattr(yamltree, "_LIBYAML", None)
    assert yamltree._has_libyaml()
    monkeypatch.setattr(yamltree, "_LIBYAML", None)
    monkeypatch.setenv("CVQUIZ_PURE_YAML", "1")
    assert not yamltree._has_libyaml()


@pytest.mark.parametrize("name", ["syllabus", "points", "sequence", "attention", "detection", "generative"])
def test_libyaml_and_the_pure_parser_give_the_same_tree_and_lines_for_every_built_in_bank(name):
    pytest.importorskip("ruamel.yaml.clib._ruamel_yaml", reason="ruamel.yaml.clib (libyaml) is not installed")
    from pathlib import Path

    path = Path(__file__).resolve().parents[2] / "questions" / f"{name}.yaml"
    fast, pure = _both_parsers(path.read_text(encoding="utf-8"), path)
    assert fast == pure


def test_libyaml_and_the_pure_parser_agree_on_anchors_duplicates_and_block_scalars(tmp_path):
    pytest.importorskip("ruamel.yaml.clib._ruamel_yaml", reason="ruamel.yaml.clib (libyaml) is not installed")
    text = TEXT + "h: &x {k: [1, 2]}\ni: *x\nj: |\n  two\n  lines\n'k': >-\n  folded\n  text\n"
    fast, pure = _both_parsers(text, tmp_path / "t.yaml")
    assert fast == pure


@pytest.mark.parametrize("pure", ["", "1"], ids=["libyaml", "pure"])
def test_an_anchor_deeper_for_its_alias_is_refused_by_either_parser_at_the_same_line(tmp_path, monkeypatch, pure):
    from cvquiz.bank import yamltree

    monkeypatch.setattr(yamltree, "_LIBYAML", None)
    monkeypatch.setenv("CVQUIZ_PURE_YAML", pure)
    deep = "[" * 30 + "]" * 30
    path = write(tmp_path / "alias.yaml", f"a: &deep {deep}\nb:\n  c: {'[' * 25}*deep{']' * 25}\n")
    with pytest.raises(BankError) as info:
        read_tree(path)
    assert info.value.problems == [f"{path}:1: invalid YAML: nested more than 50 levels deep"]
