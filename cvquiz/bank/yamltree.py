"""YAML files as plain dicts and lists that remember their line numbers, parsed once per content.

ruamel.yaml is pure Python here (no C extension), and its scanner reads about 6,000 lines a
second: the whole course (several thousand lines) would take over a second on every command.
So :func:`read_tree` composes the YAML once, turns it into :class:`YMap` / :class:`YList` /
scalars carrying 1-based lines, and caches that tree as JSON under the user's cache directory,
keyed by a hash of the file's bytes. A changed file is a new key; a cache that cannot be read
or written is simply not used. The cache holds data only (JSON), never code.

Only the YAML core types are read: mappings, sequences, strings, integers, floats, booleans and
null. Anything else is refused with its line rather than guessed at: a tag (``!custom x``,
``!!set``), and a plain scalar that YAML reads as a date (``2024-01-01``; quote it to mean text).
A key given twice in one mapping keeps its first value and is listed in :attr:`YMap.duplicates`
for the checker to report.

Hostile files are refused with their line before they cost time or memory: a file over
:data:`MAX_FILE_BYTES` (the line where the limit falls is named), a line longer than
:data:`MAX_LINE_CHARS`, nesting deeper than
:data:`MAX_DEPTH` levels, aliases that would expand to more than :data:`MAX_ALIAS_NODES` nodes
(an "alias bomb": ten aliases of ten aliases of ... is billions of nodes from a few hundred
bytes), and an alias inside its own anchor.
"""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path
from typing import Any

from cvquiz.errors import BankError

#: Bump when the cached tree's layout changes.
CACHE_FORMAT = 2  # 2: dates and tags are refused, no longer kept as text
CACHE_ENV_VAR = "CVQUIZ_CACHE_DIR"
#: Most files the cache keeps (every edit of a bank adds one).
CACHE_MAX = 256
#: Largest accepted YAML file (the pure-Python parser reads a few thousand lines a second).
MAX_FILE_BYTES = 2_000_000
#: Longest accepted line, in characters (ruamel scans a long plain scalar at a few hundred
#: thousand characters a second; a long text belongs in a block scalar, ``|`` or ``>``).
MAX_LINE_CHARS = 10_000
#: Deepest accepted nesting of mappings and sequences (a question bank needs fewer than ten).
MAX_DEPTH = 50
#: Most nodes that aliases may add by repeating their anchors' contents.
MAX_ALIAS_NODES = 10_000
_SCALAR_TAGS = {
    "tag:yaml.org,2002:str", "tag:yaml.org,2002:int", "tag:yaml.org,2002:float",
    "tag:yaml.org,2002:bool", "tag:yaml.org,2002:null",
}
_STR_TAG = "tag:yaml.org,2002:str"
_MAP_TAG = "tag:yaml.org,2002:map"
_SEQ_TAG = "tag:yaml.org,2002:seq"
_TIMESTAMP_TAG = "tag:yaml.org,2002:timestamp"


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

    Raises :class:`BankError` ``path:line: invalid YAML: ...``, ``path:line: the file is larger
    than 2 MB ...`` or ``path: file not found``.
    """
    try:
        with open(path, "rb") as f:
            data = f.read(MAX_FILE_BYTES + 1)
    except FileNotFoundError:
        raise BankError(f"{path}: file not found") from None
    except IsADirectoryError:
        raise BankError(f"{path}: is a directory, expected a YAML file") from None
    except OSError as exc:
        raise BankError(f"{path}: cannot be read: {exc.strerror or exc}") from None
    if len(data) > MAX_FILE_BYTES:
        line = data.count(b"\n", 0, MAX_FILE_BYTES) + 1
        raise BankError(f"{path}:{line}: the file is larger than {MAX_FILE_BYTES // 1_000_000} MB, the limit "
                        "for one YAML file; split it into several files")
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


_SIGNIFICANT = None


def _flow_depth_line(text: str, limit: int) -> int | None:
    """The line where ``[``/``{`` nesting first passes ``limit``, or None.

    ruamel's scanner reads a run of unclosed brackets before its parser sees the depth, and
    slows down quadratically with it (3,000 ``[`` take seconds), so this linear pass refuses
    such a run first. Quoted scalars and comments are skipped; a quote counts only where a
    scalar may start (after ``[{,:-`` or at a line's start), as in YAML.
    """
    global _SIGNIFICANT
    import re

    if text.count("[") + text.count("{") <= limit:
        return None
    if _SIGNIFICANT is None:
        _SIGNIFICANT = re.compile(r"""[\[\]{}'"#\n]""")
    depth, i, n = 0, 0, len(text)
    while True:
        m = _SIGNIFICANT.search(text, i)
        if m is None:
            return None
        i, c = m.start(), m.group()
        if c in "[{":
            depth += 1
            if depth > limit:
                return text.count("\n", 0, i) + 1
        elif c in "]}":
            depth = max(0, depth - 1)
        elif c == "#":
            if i == 0 or text[i - 1] in " \t\n":
                end = text.find("\n", i)
                i = n if end < 0 else end
                continue
        elif c in "'\"":
            j = i - 1
            while j >= 0 and text[j] in " \t":
                j -= 1
            if j < 0 or text[j] in "[{,:-\n":
                i = _quote_end(text, i)
                continue
        i += 1


def _quote_end(text: str, i: int) -> int:
    """The index after the quoted scalar that starts at ``text[i]`` (the end when unclosed)."""
    quote, j, n = text[i], i + 1, len(text)
    while j < n:
        c = text[j]
        if quote == '"' and c == "\\":
            j += 2
            continue
        if c == quote:
            if quote == "'" and j + 1 < n and text[j + 1] == "'":
                j += 2  # '' is a quote inside single quotes
                continue
            return j + 1
        j += 1
    return n


def _compose(text: str, path: Path) -> Any:
    from ruamel.yaml.error import YAMLError

    longest = max(text.split("\n"), key=len)
    if len(longest) > MAX_LINE_CHARS:
        line = text.split("\n").index(longest) + 1
        raise BankError(f"{path}:{line}: the line is longer than {MAX_LINE_CHARS:,} characters; break it "
                        "(a block scalar, | or >, holds long text over several lines)")
    line = _flow_depth_line(text, 2 * MAX_DEPTH)
    if line is not None:
        raise BankError(f"{path}:{line}: invalid YAML: nested more than {MAX_DEPTH} levels deep")
    try:
        yaml, node = _parse(text, pure=not _has_libyaml())
    except YAMLError:
        try:  # libyaml's messages are terser: the pure parser's say the same thing in words
            yaml, node = _parse(text, pure=True)
        except YAMLError as exc:
            mark = getattr(exc, "problem_mark", None) or getattr(exc, "context_mark", None)
            line = mark.line + 1 if mark is not None else 1
            problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
            if "maximum depth" in problem:
                problem = f"nested more than {MAX_DEPTH} levels deep"
            raise BankError(f"{path}:{line}: invalid YAML: {problem}") from None
        except RecursionError:  # pragma: no cover - max_depth stops nesting first
            raise BankError(f"{path}:1: invalid YAML: nested too deeply") from None
    if node is None:
        return None
    return _Converter(path, yaml.constructor, text).convert(node)


def _parse(text: str, *, pure: bool) -> tuple[Any, Any]:
    """``(yaml, node)``: the composed node tree of ``text`` (raises ruamel's YAMLError)."""
    import warnings

    from ruamel.yaml import YAML

    yaml = YAML(typ="safe", pure=pure)
    yaml.max_depth = MAX_DEPTH  # the pure composer stops here; the converter stops libyaml's trees
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # a reused anchor name is legal YAML
        return yaml, yaml.compose(text)


_LIBYAML: bool | None = None


def _has_libyaml() -> bool:
    """Whether ruamel's libyaml parser (``ruamel.yaml.clib``) is installed and not turned off.

    It composes about eight times faster than the pure-Python parser (3,000 questions in a
    few seconds rather than fifteen) and gives the same nodes with the same line marks. Without
    it (PyPy, a platform with no wheel, or ``CVQUIZ_PURE_YAML=1``) the pure parser is used.
    libyaml does not stop deep nesting itself: block nesting is bounded by
    :data:`MAX_LINE_CHARS` (each level takes a column), flow nesting by
    :func:`_flow_depth_line`, and :class:`_Converter` refuses a tree deeper than :data:`MAX_DEPTH`.
    """
    global _LIBYAML
    if _LIBYAML is None:
        _LIBYAML = False
        if not os.environ.get("CVQUIZ_PURE_YAML"):
            try:
                import ruamel.yaml.clib._ruamel_yaml  # noqa: F401
            except ImportError:
                pass
            else:
                _LIBYAML = True
    return _LIBYAML


class _Converter:
    """Composed YAML nodes to :class:`YMap` / :class:`YList` / scalars, refusing what is not data."""

    def __init__(self, path: Path, constructor: Any, text: str):
        self.path = path
        self.text = text
        self.constructor = constructor
        self.seen: set[int] = set()  # ids of nodes converted once (a second visit is an alias)
        self.repeated = 0  # nodes added by aliases
        self.open: set[int] = set()  # ids of the nodes being converted (an alias to one is a loop)
        self.expanding: Any = None  # the anchored node whose alias is being expanded
        self.depth = 0  # mappings and sequences open around the node being converted

    def refuse(self, node: Any, message: str) -> BankError:
        return BankError(f"{self.path}:{node.start_mark.line + 1}: invalid YAML: {message}")

    def anchor(self, node: Any) -> str:
        """The anchor's name of an anchored node (libyaml's nodes do not keep it: read it at the mark)."""
        if node.anchor:
            return str(node.anchor)
        import re

        mark = node.start_mark
        lines = self.text.split("\n")
        rest = lines[mark.line][mark.column:] if mark.line < len(lines) else ""
        found = re.match(r"&([^\s,\[\]{}]+)", rest)
        return found.group(1) if found else "?"

    def convert(self, node: Any) -> Any:
        key = id(node)
        if key in self.open:
            raise self.refuse(node, f"the anchor &{self.anchor(node)} contains an alias to itself")
        if key in self.seen:
            if self.expanding is None:
                self.expanding = node
                try:
                    return self.convert_node(node)
                finally:
                    self.expanding = None
            self.repeated += 1
            if self.repeated > MAX_ALIAS_NODES:
                raise self.refuse(self.expanding, f"aliases of the anchor &{self.anchor(self.expanding)} expand "
                                                  f"to more than {MAX_ALIAS_NODES:,} nodes (an alias bomb?)")
        else:
            self.seen.add(key)
        return self.convert_node(node)

    def convert_node(self, node: Any) -> Any:
        from ruamel.yaml.nodes import MappingNode, SequenceNode

        # Depth counts every node, scalars included, as ruamel's pure composer does, so both
        # parsers refuse the same files at the same line (and an alias cannot nest deeper).
        self.depth += 1
        try:
            if self.depth > MAX_DEPTH:
                raise self.refuse(node, f"nested more than {MAX_DEPTH} levels deep")
            if isinstance(node, (MappingNode, SequenceNode)):
                return self.convert_collection(node)
            return self.convert_scalar(node)
        finally:
            self.depth -= 1

    def convert_scalar(self, node: Any) -> Any:
        if node.tag == _STR_TAG:
            return node.value  # what the constructor returns, without its dispatch
        if node.tag in _SCALAR_TAGS:
            try:
                return self.constructor.construct_object(node, deep=True)
            except Exception:  # a malformed scalar of a core tag: keep its text
                return str(node.value)
        if node.tag == _TIMESTAMP_TAG and not node.style:  # plain: None (pure) or '' (libyaml)
            raise self.refuse(node, f"{node.value} reads as a YAML date, not text; "
                                    f"quote it (\"{node.value}\") if text is meant")
        raise self.refuse(node, f"unexpected tag {_shown_tag(node.tag)} on {_short(node.value)!r}; "
                                "remove it (only plain text, numbers, true/false, null, lists and "
                                "mappings are read)")

    def convert_collection(self, node: Any) -> Any:
        from ruamel.yaml.nodes import MappingNode

        key = id(node)
        line = node.start_mark.line + 1
        if isinstance(node, MappingNode):
            if node.tag != _MAP_TAG:
                raise self.refuse(node, f"unexpected tag {_shown_tag(node.tag)} on a mapping; remove it")
            self.open.add(key)
            out = YMap(line)
            for key_node, value_node in node.value:
                k = self.convert(key_node)
                if isinstance(k, (dict, list)):
                    k = str(plain(k))
                key_line = key_node.start_mark.line + 1
                if k in out:
                    out.duplicates.append((k, key_line))
                    continue
                out[k] = self.convert(value_node)
                out.key_lines[k] = key_line
            self.open.discard(key)
            return out
        else:
            if node.tag != _SEQ_TAG:
                raise self.refuse(node, f"unexpected tag {_shown_tag(node.tag)} on a list; remove it")
            self.open.add(key)
            out_list = YList(line)
            for item in node.value:
                out_list.append(self.convert(item))
                out_list.item_lines.append(item.start_mark.line + 1)
            self.open.discard(key)
            return out_list


def _shown_tag(tag: Any) -> str:
    tag = str(tag)
    return "!!" + tag[len("tag:yaml.org,2002:"):] if tag.startswith("tag:yaml.org,2002:") else tag


def _short(value: Any) -> str:
    text = str(value)
    return text if len(text) <= 40 else text[:37] + "..."


# --- the cache ---------------------------------------------------------------------------------

_MISSING = object()


def cache_root() -> Path | None:
    """The user's cache folder for cvquiz (``CVQUIZ_CACHE_DIR``; None when set empty: no cache)."""
    root = os.environ.get(CACHE_ENV_VAR)
    if root == "":
        return None  # CVQUIZ_CACHE_DIR= (empty) turns the cache off
    if root is None:
        try:
            from platformdirs import user_cache_dir
        except ImportError:  # pragma: no cover - a declared dependency
            return None
        root = user_cache_dir("cvquiz", appauthor=False)
    return Path(root)


def _parser_stamp() -> str:
    """Which ruamel is installed, without importing it (its import alone costs ~40 ms): the
    location, size and time of its ``__init__.py``."""
    import importlib.util

    try:
        spec = importlib.util.find_spec("ruamel.yaml")
        st = os.stat(spec.origin)  # type: ignore[union-attr, arg-type]
        return f"{spec.origin}:{st.st_size}:{st.st_mtime_ns}"  # type: ignore[union-attr]
    except (ImportError, AttributeError, TypeError, ValueError, OSError):
        from ruamel.yaml import __version__

        return str(__version__)


def _cache_file(data: bytes) -> Path | None:
    root = cache_root()
    if root is None:
        return None
    digest = hashlib.sha256(data + f"\0{CACHE_FORMAT}\0{_parser_stamp()}".encode()).hexdigest()
    return root / "yaml" / f"{digest}.json"


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
