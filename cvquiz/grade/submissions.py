"""Finding submissions and copying each into a private folder for its worker.

A class folder holds one entry per student: a folder, a ``.py`` file or a ``.zip`` (the name
without its suffix is the student id). Each is copied (never modified) into a fresh private
folder: for every file the assignment asks for (``detection.py``), the one match at any depth is
taken, with the plain ``.py`` files beside it (the student's own helpers). Several matches at the
same depth, a match only by letter case, or a notebook where a ``.py`` is expected is a clear
problem of that file, not a guess. Zip members are read without following paths outside the
archive, without symlinks, and within a size budget.
"""

from __future__ import annotations

import hashlib
import shutil
import stat
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

from cvquiz.text import Text

MAX_FILE_BYTES = 10 << 20  # one source file
MAX_TOTAL_BYTES = 50 << 20  # one submission, uncompressed
MAX_FILES = 2000
_SKIP = ("__MACOSX", "__pycache__", ".git", ".ipynb_checkpoints", "site-packages", "node_modules")


@dataclass
class Prepared:
    """A submission copied into ``folder``: what could not be handed over, and a hash of its files."""

    student: str
    folder: Path
    problems: dict[str, Text] = field(default_factory=dict)  # student file -> why it is missing
    digest: str = ""
    refused: dict[str, Text] = field(default_factory=dict)  # entry not copied -> why (link, too large, ...)


def find_submissions(root: Path) -> dict[str, Path]:
    """Student id → its folder, ``.py`` or ``.zip`` in ``root`` (hidden entries skipped)."""
    out: dict[str, Path] = {}
    for entry in sorted(root.iterdir()):
        if entry.name.startswith(".") or entry.name in _SKIP:
            continue
        if entry.is_symlink():
            continue
        if entry.is_dir() or entry.suffix.lower() in (".py", ".zip"):
            out.setdefault(entry.stem if entry.is_file() else entry.name, entry)
    return out


def prepare_submission(student: str, source: Path, files: list[str], dest: Path) -> Prepared:
    """Copy what the assignment needs from ``source`` into the empty folder ``dest``."""
    dest.mkdir(parents=True, exist_ok=True)
    prepared = Prepared(student, dest)
    members = _read_members(source, prepared, files)
    digest = hashlib.sha256()
    for rel in sorted(members):
        digest.update(rel.encode() + b"\0" + members[rel] + b"\0")
    prepared.digest = digest.hexdigest()[:16]
    for name in files:
        matches = [r for r in members if r.split("/")[-1] == name]
        if not matches:
            near = [r for r in members if r.split("/")[-1].lower() == name.lower()]
            notebook = [r for r in members if r.split("/")[-1] == name[:-3] + ".ipynb"]
            refused = [r for r in prepared.refused if r.split("/")[-1] == name]
            if refused:
                prepared.problems[name] = prepared.refused[refused[0]]
            elif near:
                prepared.problems[name] = Text(
                    f"{name} was not found; {near[0]} differs only in letter case (rename it to {name})",
                    f"找不到 {name}；{near[0]} 只是大小写不同（请改名为 {name}）")
            elif notebook:
                prepared.problems[name] = Text(
                    f"{name} was not found, only the notebook {notebook[0]}; hand in a .py file "
                    "(in Jupyter: File > Download as > Python)",
                    f"找不到 {name}，只有笔记本 {notebook[0]}；请提交 .py 文件（Jupyter：文件 > 下载为 > Python）")
            continue  # the worker reports the file as missing
        depth = min(r.count("/") for r in matches)
        top = [r for r in matches if r.count("/") == depth]
        if len(top) > 1:
            prepared.problems[name] = Text(
                f"several files named {name} ({', '.join(sorted(top)[:4])}); hand in exactly one",
                f"有多个名为 {name} 的文件（{', '.join(sorted(top)[:4])}）；只能提交一个")
            continue
        folder = top[0].rsplit("/", 1)[0] if "/" in top[0] else ""
        for rel, data in members.items():
            parent = rel.rsplit("/", 1)[0] if "/" in rel else ""
            if parent == folder and rel.endswith(".py"):
                target = dest / rel.split("/")[-1]
                if not target.exists():
                    target.write_bytes(data)
    return prepared


def _read_members(source: Path, prepared: Prepared, files: list[str]) -> dict[str, bytes]:
    """Relative path → bytes of the submission's regular files (.py and .ipynb only)."""
    out: dict[str, bytes] = {}
    total = 0

    def refuse(rel: str, why: Text) -> None:
        prepared.refused.setdefault(rel, why)

    def link(rel: str) -> Text:
        return Text(f"{rel} was refused: it is a symbolic link (hand in the file itself)",
                    f"{rel} 被拒绝：它是符号链接（请提交文件本身）")

    def keep(rel: str, size: int) -> bool:
        nonlocal total
        parts = rel.split("/")
        if any(p in _SKIP or p.startswith(".") for p in parts) or not parts[-1].endswith((".py", ".ipynb")):
            return False
        if size > MAX_FILE_BYTES or total + size > MAX_TOTAL_BYTES or len(out) >= MAX_FILES:
            refuse(rel, Text(f"{rel} was refused: larger than the {MAX_FILE_BYTES >> 20} MB a file (or "
                             f"{MAX_TOTAL_BYTES >> 20} MB a submission) may have",
                             f"{rel} 被拒绝：超过单个文件 {MAX_FILE_BYTES >> 20} MB（或整份提交 "
                             f"{MAX_TOTAL_BYTES >> 20} MB）的上限"))
            return False
        total += size
        return True

    if source.is_file() and source.suffix.lower() == ".py":
        name = files[0] if len(files) == 1 else source.name
        if source.stat().st_size > MAX_FILE_BYTES:
            keep(name, source.stat().st_size)  # refused with its reason, never cut short
            return out
        out[name] = source.read_bytes()
        return out
    if source.is_file() and source.suffix.lower() == ".zip":
        try:
            with zipfile.ZipFile(source) as z:
                for info in z.infolist():
                    raw = info.filename.replace("\\", "/")
                    rel = raw.strip("/")
                    if info.is_dir():
                        continue
                    if raw.startswith("/") or ".." in rel.split("/") or ":" in rel.split("/")[0]:
                        refuse(rel, Text(f"{raw} was refused: its path leads outside the archive",
                                         f"{raw} 被拒绝：它的路径指向压缩包之外"))
                        continue
                    if stat.S_ISLNK(info.external_attr >> 16):
                        refuse(rel, link(rel))
                        continue
                    if keep(rel, info.file_size):
                        with z.open(info) as fh:
                            data = fh.read(MAX_FILE_BYTES + 1)
                        if len(data) <= MAX_FILE_BYTES:
                            out[rel] = data
                        else:  # the header understated the size
                            keep(rel, len(data))
        # zipfile raises NotImplementedError for a compression method it cannot read
        except (zipfile.BadZipFile, OSError, ValueError, NotImplementedError) as exc:
            for name in files:
                prepared.problems[name] = Text(f"{source.name} cannot be opened as a zip file ({exc})",
                                               f"{source.name} 不是可以打开的 zip 文件（{exc}）")
        return out
    # Shallow files first: a virtual environment deeper in the folder cannot crowd out the answer.
    for path in sorted(source.rglob("*"), key=lambda q: (len(q.relative_to(source).parts), str(q))):
        rel = path.relative_to(source).as_posix()
        if path.is_symlink():
            refuse(rel, link(rel))
            continue
        if not path.is_file():
            continue
        try:
            size = path.stat().st_size
            if keep(rel, size):
                out[rel] = path.read_bytes()
        except OSError:
            continue
    return out


def clear(folder: Path) -> None:
    shutil.rmtree(folder, ignore_errors=True)
