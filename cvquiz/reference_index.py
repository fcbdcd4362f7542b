"""An index of a course's reference functions, read from the source with ``ast`` (no torch).

Each public function of ``reference/<topic>.py`` (a top-level ``def`` whose name does not start
with ``_``, limited to ``__all__`` when the module defines it as a literal list) is listed with
its signature, the first line of its docstring and the concept ids of its ``Concepts:`` line::

    def nms(boxes, scores, iou_threshold):
        \"\"\"Non-maximum suppression: ...

        Concepts: detection.nms
        \"\"\"

Nothing here imports a reference module, so ``cvquiz ref list`` starts without torch.
"""

from __future__ import annotations

import ast
import inspect
from dataclasses import dataclass
from pathlib import Path

from cvquiz.errors import CourseError


@dataclass(frozen=True)
class RefFunction:
    """One public reference function, as its source describes it."""

    topic: str
    name: str
    signature: str
    summary: str
    concepts: tuple[str, ...]
    docstring: str
    path: Path
    line: int

    @property
    def qualname(self) -> str:
        return f"{self.topic}.{self.name}"

    def as_dict(self) -> dict:
        return {"topic": self.topic, "name": self.name, "signature": self.signature,
                "summary": self.summary, "concepts": list(self.concepts),
                "path": str(self.path), "line": self.line}


def parse_concepts(docstring: str) -> tuple[str, ...]:
    """The ids of the first ``Concepts:`` line (comma or space separated)."""
    for line in docstring.splitlines():
        text = line.strip()
        if text.startswith("Concepts:"):
            ids = text[len("Concepts:"):].replace(",", " ").split()
            return tuple(ids)
    return ()


def _param(arg: ast.arg, default: ast.expr | None, prefix: str = "") -> str:
    text = prefix + arg.arg
    if arg.annotation is not None:
        text += f": {ast.unparse(arg.annotation)}"
    if default is not None:
        text += f" = {ast.unparse(default)}" if arg.annotation is not None else f"={ast.unparse(default)}"
    return text


def _signature(node: ast.FunctionDef) -> str:
    """``name(a: T, b: int = 1, *, c=2) -> R``, formatted as ``inspect.signature`` would."""
    a = node.args
    positional = a.posonlyargs + a.args
    defaults = [None] * (len(positional) - len(a.defaults)) + list(a.defaults)
    parts = [_param(arg, d) for arg, d in zip(positional, defaults)]
    if a.posonlyargs:
        parts.insert(len(a.posonlyargs), "/")
    if a.vararg is not None:
        parts.append(_param(a.vararg, None, "*"))
    elif a.kwonlyargs:
        parts.append("*")
    parts += [_param(arg, d) for arg, d in zip(a.kwonlyargs, a.kw_defaults)]
    if a.kwarg is not None:
        parts.append(_param(a.kwarg, None, "**"))
    ret = f" -> {ast.unparse(node.returns)}" if node.returns is not None else ""
    return f"{node.name}({', '.join(parts)}){ret}"


def _literal_all(tree: ast.Module) -> set[str] | None:
    for node in tree.body:
        if isinstance(node, ast.Assign) and any(isinstance(t, ast.Name) and t.id == "__all__"
                                                for t in node.targets):
            try:
                value = ast.literal_eval(node.value)
            except ValueError:
                return None
            if isinstance(value, (list, tuple)) and all(isinstance(v, str) for v in value):
                return set(value)
    return None


def read_reference_module(path: Path, topic: str) -> list[RefFunction]:
    """The public functions of one reference module, in source order."""
    try:
        source = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise CourseError(f"{path}: cannot be read: {exc.strerror or exc}") from exc
    try:
        tree = ast.parse(source, filename=str(path))
    except SyntaxError as exc:
        raise CourseError(f"{path}:{exc.lineno}: not valid Python: {exc.msg}") from exc
    exported = _literal_all(tree)
    out = []
    for node in tree.body:
        if not isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) or node.name.startswith("_"):
            continue
        if exported is not None and node.name not in exported:
            continue
        doc = inspect.cleandoc(ast.get_docstring(node, clean=False) or "")
        summary = doc.splitlines()[0].strip() if doc else ""
        out.append(RefFunction(topic=topic, name=node.name, signature=_signature(node),
                               summary=summary, concepts=parse_concepts(doc), docstring=doc,
                               path=path, line=node.lineno))
    return out


def reference_index(course) -> list[RefFunction]:
    """Every public reference function of ``course`` (a :class:`cvquiz.course.Course`), by topic."""
    out: list[RefFunction] = []
    for topic in course.reference_topics():
        out.extend(read_reference_module(course.reference_path(topic), topic))
    return out


def find_function(index: list[RefFunction], name: str) -> list[RefFunction]:
    """Functions called ``name`` or ``topic.name`` (several when the bare name is ambiguous)."""
    if "." in name:
        return [f for f in index if f.qualname == name]
    return [f for f in index if f.name == name]
