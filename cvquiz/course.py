"""Find a course and load its reference modules.

A course is a directory with two folders:

- ``questions/``: ``syllabus.yaml``, one YAML bank per topic, ``assignments/``;
- ``reference/``: one PyTorch module per topic (``points.py``, ``sequence.py``,
  ``attention.py``, ``detection.py``, ``generative.py``).

The built-in course is this repository's own ``questions/`` + ``reference/``. In a
source checkout they sit beside the ``cvquiz`` package; after ``pip install .``
they are installed as ``cvquiz_course/`` beside it (never inside it, so that the
grader can hide ``reference/`` from student code that imports ``cvquiz``).
``--course DIR`` or ``CVQUIZ_COURSE`` selects another course with the same layout.

Reference modules are loaded by file path under private module names
(``_cvquiz_reference_<hash>_<topic>``); nothing is added to ``sys.path``.
Loading one imports torch, so only code that needs tensors calls :meth:`Course.reference`.
"""

from __future__ import annotations

import hashlib
import importlib.util
import os
import sys
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType

from cvquiz.errors import CourseError

TOPICS = ("points", "sequence", "attention", "detection", "generative")
ENV_VAR = "CVQUIZ_COURSE"

_ENGINE_DIR = Path(__file__).resolve().parent


@dataclass(frozen=True)
class Course:
    """A course on disk: ``root/questions`` and ``root/reference``."""

    root: Path
    builtin: bool = False

    @property
    def questions_dir(self) -> Path:
        return self.root / "questions"

    @property
    def reference_dir(self) -> Path:
        return self.root / "reference"

    @property
    def syllabus_path(self) -> Path:
        return self.questions_dir / "syllabus.yaml"

    @property
    def assignments_dir(self) -> Path:
        return self.questions_dir / "assignments"

    def reference_path(self, topic: str) -> Path:
        path = self.reference_dir / f"{topic}.py"
        if not path.is_file():
            raise CourseError(f"{path}: no reference module for topic {topic!r}")
        return path

    def reference_topics(self) -> list[str]:
        """Topics that have a reference module, in syllabus order, then any others."""
        if not self.reference_dir.is_dir():
            return []
        found = {p.stem for p in self.reference_dir.glob("*.py") if not p.name.startswith("_")}
        return [t for t in TOPICS if t in found] + sorted(found - set(TOPICS))

    def reference(self, topic: str) -> ModuleType:
        """Import ``reference/<topic>.py`` by path (imports torch)."""
        return load_module(self.reference_path(topic), _private_name(self.root, topic))


def _private_name(root: Path, topic: str) -> str:
    digest = hashlib.sha1(str(root.resolve()).encode()).hexdigest()[:10]
    return f"_cvquiz_reference_{digest}_{topic}"


def load_module(path: Path, name: str) -> ModuleType:
    """Import the file ``path`` as module ``name`` (cached in ``sys.modules``)."""
    cached = sys.modules.get(name)
    if cached is not None and getattr(cached, "__file__", None) == str(path):
        return cached
    spec = importlib.util.spec_from_file_location(name, path)
    if spec is None or spec.loader is None:
        raise CourseError(f"{path}: cannot be imported as a Python module")
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    try:
        spec.loader.exec_module(module)
    except Exception as exc:  # a broken course file is a course error, with its cause
        del sys.modules[name]
        raise CourseError(f"{path}: failed to import: {type(exc).__name__}: {exc}") from exc
    return module


def builtin_course_root() -> Path | None:
    """The built-in course: the source checkout's, else the installed ``cvquiz_course``."""
    for root in (_ENGINE_DIR.parent, _ENGINE_DIR.parent / "cvquiz_course"):
        if (root / "questions" / "syllabus.yaml").is_file():
            return root
    return None


def find_course(path: str | os.PathLike[str] | None = None) -> Course:
    """Resolve the course: ``path``, else ``$CVQUIZ_COURSE``, else the built-in one.

    Raises :class:`CourseError` naming the directory and what is missing.
    """
    if path is None:
        path = os.environ.get(ENV_VAR) or None
    if path is None:
        root = builtin_course_root()
        if root is None:
            raise CourseError(
                "the built-in course was not found beside the cvquiz package "
                f"(looked in {_ENGINE_DIR.parent}); reinstall cvquiz or pass --course DIR"
            )
        return Course(root, builtin=True)
    root = Path(path).expanduser()
    if not root.is_dir():
        raise CourseError(f"{root}: course directory does not exist")
    if not (root / "questions" / "syllabus.yaml").is_file():
        raise CourseError(
            f"{root}: not a course: expected questions/syllabus.yaml (and reference/) inside it"
        )
    return Course(root.resolve())
