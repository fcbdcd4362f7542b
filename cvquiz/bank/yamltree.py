"""YAML files as plain dicts and lists that remember their line numbers, parsed once per content.

ruamel.yaml is pure Python here (no C extension), and its scanner reads about 6,000 lines a
second: the whole course (several thousand lines) would take over a second on every command.
So :func:`read_tree` composes the YAML once, turns it into :class:`YMap` / :class:`YList` /
scalars carrying 1-based lines, and caches that tree as JSON under the user's cache directory,
keyed by a hash of the file's bytes. A changed file is a new key; a cache that cannot be read
or written is simply not used. The cache holds data only (JSON), never code.

Only the YAML core types survive: mappings, sequences, strings, integers, floats, booleans and
null. Any other tag (a date, ``!custom``) becomes its source text. A key given twice in one
mapping keeps its first value and is listed in :attr:`YMap.duplicates` for the checker to report.
"""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path
from typing import Any

from cvquiz.errors import BankError

#: Bump when the cached tree's layout changes.
CACHE_FORMAT = 1
CACHE_ENV_VAR = "CVQUIZ_CACHE_DIR"
#: Most files the cache keeps (every edit of a bank adds one).
CACHE_MAX = 256
_SCALAR_TAGS = {
    "tag:yaml.org,2002:str", "tag:yaml.org,2002:int", "tag:yaml.org,2002:float",
    "tag:yaml.org,2002:bool", "tag:yaml.org,2002:null",
}


class YMap(dict):
    """A YAML mapping: ``line`` of the mapping, ``key_lines[key]`` of each key (1-based)."""

    def __init__(self, line: int = 1):
        super().__init__()
        self.line = line
        self.key_lines: dict[Any, int] = {}
        self.duplicates: list[tuple[Any, int]] = []


class YList(list):
    """A YAML sequence: ``line`` of the sequence, ``item_lines[i]`` of each item (1-based)."""

    def __init__(self, line: int = 1):
        super().__init__()
        self.line = line
        self.item_lines: list[int] = []


def line_in(node: Any, key: Any = None, default: int = 1) -> int:
    """1-based line of ``node`` (or of its key / item ``key``); ``default`` when unknown."""
    if isinstance(node, YMap):
        if key is not None and key in node.key_lines:
            return node.key_lines[key]
        return node.line
    if isinstance(node, YList):
        if isinstance(key, int) and 0 <= key < len(node.item_lines):
            return node.item_lines[key]
        return node.line
    return default


def plain(node: Any) -> Any:
    """The same data as builtin dicts and lists (for JSON Schema validation, printing)."""
    if isinstance(node, dict):
        return {k: plain(v) for k, v in node.items()}
    if isinstance(node, list):
        return [plain(v) for v in node]
    return node


def read_tree(path: Path) -> Any:
    """Parse the YAML file ``path`` into a line-carrying tree (cached by content).

    Raises :class:`BankError` ``path:line: invalid YAML: ...`` or ``path: file not found``.
    """
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise BankError(f"{path}: file not found") from None
    except IsADirectoryError:
        raise BankError(f"{path}: is a directory, expected a YAML file") from None
    except OSError as exc:
        raise BankError(f"{path}: cannot be read: {exc.strerror or exc}") from None
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise BankError(f"{path}:{line}: cannot be read: not UTF-8 text") from None
    cache = _cache_file(data)
    if cache is not None:
        tree = _read_cache(cache)
        if tree is not _MISSING:
            return tree
    tree = _compose(text, path)
    if cache is not None:
        _write_cache(cache, tree)
    return tree


def _compose(text: str, path: Path) -> Any:
    from ruamel.yaml import YAML
    from ruamel.yaml.error import YAMLError

    yaml = YAML(typ="safe", pure=True)
    try:
        node = yaml.compose(text)
    except YAMLError as exc:
        mark = getattr(exc, "problem_mark", None) or getattr(exc, "context_mark", None)
        line = mark.line + 1 if mark is not None else 1
        problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        raise BankError(f"{path}:{line}: invalid YAML: {problem}") from None
    if node is None:
        return None
    return _convert(node, yaml.constructor, 0)


def _convert(node: Any, constructor: Any, depth: int) -> Any:
    from ruamel.yaml.nodes import MappingNode, SequenceNode

    if depth > 64:  # an alias that refers to itself
        return None
    line = node.start_mark.line + 1
    if isinstance(node, MappingNode):
        out = YMap(line)
        for key_node, value_node in node.value:
            key = _convert(key_node, constructor, depth + 1)
            if isinstance(key, (dict, list)):
                key = str(plain(key))
            key_line = key_node.start_mark.line + 1
            if key in out:
                out.duplicates.append((key, key_line))
                continue
            out[key] = _convert(value_node, constructor, depth + 1)
            out.key_lines[key] = key_line
        return out
    if isinstance(node, SequenceNode):
        out_list = YList(line)
        for item in node.value:
            out_list.append(_convert(item, constructor, depth + 1))
            out_list.item_lines.append(item.start_mark.line + 1)
        return out_list
    if node.tag in _SCALAR_TAGS:
        try:
            return constructor.construct_object(node, deep=True)
        except Exception:  # a malformed scalar of a core tag: keep its text
            return str(node.value)
    return str(node.value)


# --- the cache ---------------------------------------------------------------------------------

_MISSING = object()


def _cache_file(data: bytes) -> Path | None:
    root = os.environ.get(CACHE_ENV_VAR)
    if root == "":
        return None  # CVQUIZ_CACHE_DIR= (empty) turns the cache off
    if root is None:
        try:
            from platformdirs import user_cache_dir
        except ImportError:  # pragma: no cover - a declared dependency
            return None
        root = user_cache_dir("cvquiz", appauthor=False)
    from ruamel.yaml import __version__ as ruamel_version

    digest = hashlib.sha256(data + f"\0{CACHE_FORMAT}\0{ruamel_version}".encode()).hexdigest()
    return Path(root) / "yaml" / f"{digest}.json"


def _read_cache(path: Path) -> Any:
    try:
        return _decode(json.loads(path.read_text(encoding="utf-8")))
    except (OSError, ValueError, KeyError, TypeError, IndexError):
        return _MISSING


def _write_cache(path: Path, tree: Any) -> None:
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(f"{path.stem}.{os.getpid()}.tmp")
        tmp.write_text(json.dumps(_encode(tree), ensure_ascii=False), encoding="utf-8")
        os.replace(tmp, path)
        _prune(path.parent)
    except (OSError, ValueError, TypeError):
        pass


def _prune(folder: Path) -> None:
    """Keep the cache small: past :data:`CACHE_MAX` entries, drop the least recently written half."""
    entries = list(folder.glob("*.json"))
    if len(entries) <= CACHE_MAX:
        return
    entries.sort(key=lambda p: p.stat().st_mtime)
    for old in entries[: len(entries) - CACHE_MAX // 2]:
        old.unlink(missing_ok=True)


def _encode(node: Any) -> Any:
    if isinstance(node, YMap):
        return {"m": node.line,
                "i": [[k, node.key_lines[k], _encode(v)] for k, v in node.items()],
                "d": [[k, ln] for k, ln in node.duplicates]}
    if isinstance(node, YList):
        return {"l": node.line, "i": [[ln, _encode(v)] for ln, v in zip(node.item_lines, node)]}
    return node


def _decode(data: Any) -> Any:
    if isinstance(data, dict):
        if "m" in data:
            out = YMap(data["m"])
            for k, ln, v in data["i"]:
                out[k] = _decode(v)
                out.key_lines[k] = ln
            out.duplicates = [(k, ln) for k, ln in data["d"]]
            return out
        out_list = YList(data["l"])
        for ln, v in data["i"]:
            out_list.append(_decode(v))
            out_list.item_lines.append(ln)
        return out_list
    return data
