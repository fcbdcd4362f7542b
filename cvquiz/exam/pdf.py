"""Typst source → PDF with the ``typst`` package (no TeX), and the CJK font check before it.

typst draws a missing glyph as an empty box without a warning, so a paper with Chinese text is
built only when an installed font covers every CJK character it holds: :func:`cjk_font` reads
the character maps of the system's fonts (``/usr/share/fonts``, ``/usr/local/share/fonts``,
``~/.fonts``, ``~/.local/share/fonts``; ``CVQUIZ_FONT_DIRS`` — paths separated by ``:`` —
replaces that list) with fontTools, and :func:`require_cjk_font` refuses with a message naming
``fonts-noto-cjk`` when none does. Only that one font file is given to typst, beside typst's
embedded fonts (system fonts are ignored), so a build does not depend on what else is installed.

Reproducibility: the document date is the manifest's build date and the PDF timestamp is that
date at 00:00 UTC, so the same input gives the same bytes.
"""

from __future__ import annotations

import os
import tempfile
from datetime import datetime, timezone
from functools import lru_cache
from pathlib import Path

from cvquiz.errors import ExamError

FONT_DIRS = ("/usr/share/fonts", "/usr/local/share/fonts", "~/.fonts", "~/.local/share/fonts")
FONT_ENV_VAR = "CVQUIZ_FONT_DIRS"
FONT_PACKAGE = "fonts-noto-cjk"
_FONT_SUFFIXES = (".ttf", ".otf", ".ttc", ".otc")


def is_cjk(ch: str) -> bool:
    """Whether ``ch`` is a CJK ideograph, kana, CJK punctuation or a full-width form."""
    o = ord(ch)
    return (0x2E80 <= o <= 0x9FFF or 0xF900 <= o <= 0xFAFF or 0xFF00 <= o <= 0xFFEF
            or 0x20000 <= o <= 0x3FFFF)


def font_dirs() -> list[Path]:
    env = os.environ.get(FONT_ENV_VAR)
    dirs = env.split(":") if env is not None else FONT_DIRS
    return [Path(d).expanduser() for d in dirs if d]


@lru_cache(maxsize=None)
def _faces(path: str) -> tuple[tuple[str, frozenset[int]], ...]:
    """(family, code points) of each face in the font file ``path`` (empty when unreadable)."""
    TTCollection, TTFont = needs("fontTools.ttLib").TTCollection, needs("fontTools.ttLib").TTFont
    try:
        fonts = TTCollection(path, lazy=True).fonts if path.lower().endswith((".ttc", ".otc")) \
            else [TTFont(path, lazy=True)]
        out = []
        for font in fonts:
            cmap = font.getBestCmap() or {}
            name = font["name"]
            family = name.getDebugName(16) or name.getDebugName(1) or Path(path).stem
            out.append((family, frozenset(cmap)))
        return tuple(out)
    except Exception:  # a broken or unsupported font file is simply not used
        return ()


def _font_files() -> list[Path]:
    files: list[Path] = []
    for d in font_dirs():
        if d.is_dir():
            files += sorted(p for p in d.rglob("*") if p.suffix.lower() in _FONT_SUFFIXES and p.is_file())
    # Fonts named for CJK first: they are the likely ones, and reading them first is quicker.
    return sorted(files, key=lambda p: (not any(k in p.name.lower() for k in ("cjk", "han", "hei", "song", "ming")),
                                        str(p)))


def cjk_font(chars: set[str]) -> tuple[Path, str] | None:
    """(file, family) of an installed font that covers every CJK character of ``chars``;
    ``None`` when none does. Without CJK characters there is nothing to find (``None``)."""
    needed = {ord(c) for c in chars if is_cjk(c)}
    if not needed:
        return None
    for path in _font_files():
        for family, points in _faces(str(path)):
            if needed <= points:
                return path, family
    return None


def require_cjk_font(chars: set[str], what: str = "the papers") -> tuple[Path, str] | None:
    """:func:`cjk_font`, or :class:`ExamError` naming ``fonts-noto-cjk`` when Chinese text has no font."""
    cjk = sorted(c for c in chars if is_cjk(c))
    if not cjk:
        return None
    found = cjk_font(chars)
    if found is None:
        sample = "".join(cjk[:8])
        where = ", ".join(str(d) for d in font_dirs()) or "(no font folders)"
        raise ExamError(f"{what} hold Chinese text ({len(cjk)} distinct characters, e.g. {sample}) but no "
                        f"installed font covers it (searched {where}); a PDF would print empty boxes. Install "
                        f"a CJK font, e.g. `sudo apt-get install {FONT_PACKAGE}`, or build with --lang en")
    return found


def needs(module: str):
    """Import ``module`` of the ``exam`` extra, or :class:`ExamError` saying how to install it."""
    import importlib

    try:
        return importlib.import_module(module)
    except ImportError:
        raise ExamError(f"{module} is not installed; install the exam extra: pip install 'cvquiz[exam]'") from None


def timestamp(date: str) -> int:
    """Seconds since the epoch of ``date`` (YYYY-MM-DD) at 00:00 UTC."""
    return int(datetime.strptime(date, "%Y-%m-%d").replace(tzinfo=timezone.utc).timestamp())


def compile_pdf(source: str, date: str, font: tuple[Path, str] | None) -> bytes:
    """The PDF of the typst ``source``; ``font`` is the CJK font file to add (or ``None``)."""
    typst = needs("typst")
    with tempfile.TemporaryDirectory(prefix="cvquiz-typst-") as tmp:
        font_paths = []
        if font is not None:
            link = Path(tmp) / "fonts"
            link.mkdir()
            os.symlink(font[0], link / font[0].name)
            font_paths.append(str(link))
        try:
            return typst.compile(source.encode("utf-8"), format="pdf", root=tmp, font_paths=font_paths,
                                 ignore_system_fonts=True, timestamp=timestamp(date))
        except Exception as exc:  # typst reports errors as its own exception type
            first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
            raise ExamError(f"typst could not build a PDF: {first}") from None
