"""Which bank files were read clean before, so that a later read may skip the checks that need sympy.

Reading a bank strictly checks more than its structure: every exact answer is parsed, a
``value`` must agree with its ``answer``, no listed mistake may be accepted as right, and every
generator and option must exist. Those checks import sympy and the generators (over half a
second), which a drill does not need to show its first question. So when a file has been read
with no problem at all, :func:`mark_clean` leaves an empty marker in the user's cache folder,
keyed by everything the result depends on: the file's bytes, the syllabus's bytes, the names of
the assignment folders, and the engine that checked it (cvquiz's version and the size and time
of its top-level modules and of every module of ``cvquiz.bank``, ``cvquiz.answers`` and
``cvquiz.problems``). A later read
that finds the marker (:func:`was_clean`) keeps every structural check and leaves the answers
to be parsed when first used. Any edit of the file, the syllabus or the engine is a new key,
so it is checked in full again; ``cvquiz bank check`` always checks in full. Without a cache
folder (``CVQUIZ_CACHE_DIR=``) nothing is trusted.
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

from cvquiz.bank.yamltree import cache_root

_ENGINE_PACKAGES = ("bank", "answers", "problems")
_engine: str | None = None


def _engine_stamp() -> str:
    """cvquiz's version and the size and time of each module that decides what a clean bank is."""
    global _engine
    if _engine is None:
        import cvquiz

        root = Path(cvquiz.__file__).resolve().parent
        parts = [cvquiz.__version__]
        for name in sorted(os.listdir(root)):  # the top-level modules (text, errors, course, ...)
            if name.endswith(".py"):
                try:
                    st = os.stat(root / name)
                except OSError:
                    continue
                parts.append(f"{name}:{st.st_size}:{st.st_mtime_ns}")
        for package in _ENGINE_PACKAGES:
            for dirpath, _, names in sorted(os.walk(root / package)):
                for name in sorted(n for n in names if n.endswith(".py")):
                    try:
                        st = os.stat(os.path.join(dirpath, name))
                    except OSError:
                        continue
                    parts.append(f"{os.path.relpath(os.path.join(dirpath, name), root)}:{st.st_size}:{st.st_mtime_ns}")
        _engine = "\n".join(parts)
    return _engine


def key_of(path: Path, syllabus: Path | None, assignments_dir: Path | None) -> str | None:
    """What a clean read of ``path`` depends on, hashed (None when a file cannot be read)."""
    try:
        digest = hashlib.sha256(Path(path).read_bytes())
        digest.update(b"\0syllabus\0" + (Path(syllabus).read_bytes() if syllabus and Path(syllabus).is_file() else b""))
    except OSError:
        return None
    folders = sorted(p.name for p in assignments_dir.iterdir() if p.is_dir()) \
        if assignments_dir is not None and assignments_dir.is_dir() else []
    digest.update(("\0assignments\0" + "\n".join(folders) + "\0engine\0" + _engine_stamp()).encode())
    return digest.hexdigest()


def _marker(key: str | None) -> Path | None:
    root = cache_root()
    return None if root is None or key is None else root / "clean" / key


def was_clean(key: str | None) -> bool:
    """Whether the file of ``key`` (:func:`key_of`: this file, syllabus, assignments, engine) was read clean."""
    marker = _marker(key)
    return marker is not None and marker.is_file()


def mark_clean(key: str | None) -> None:
    """Remember that the file of ``key`` was read with no problem (a cache that cannot be written is not used)."""
    marker = _marker(key)
    if marker is None:
        return
    try:
        marker.parent.mkdir(parents=True, exist_ok=True)
        marker.touch()
        _prune(marker.parent)
    except OSError:
        pass


def _prune(folder: Path, keep: int = 256) -> None:
    """Past ``keep`` markers (each edit of a bank adds one), drop the oldest half."""
    entries = list(folder.iterdir())
    if len(entries) <= keep:
        return
    entries.sort(key=lambda p: p.stat().st_mtime)
    for old in entries[: len(entries) - keep // 2]:
        old.unlink(missing_ok=True)
