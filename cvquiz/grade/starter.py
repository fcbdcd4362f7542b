"""Files made from an assignment: the student's starter files, and the reference as a submission.

A starter file holds, for each function of the assignment in that file, its signature, its
docstring (the conventions) and a body that raises ``NotImplementedError`` — the part the student
replaces. A README beside them says how to self-check with ``cvquiz check``. Support modules are
copied so that the starter imports work on the student's machine too.

:func:`write_reference_submission` writes what ``cvquiz assignment check`` grades: the course's
reference module itself when a student file holds functions of one reference module of the same
name (so "a copy of reference/detection.py" is literally what is graded), else a file importing
the reference functions from private copies of the reference modules.
"""

from __future__ import annotations

import shutil
import textwrap
from pathlib import Path

from cvquiz.course import Course
from cvquiz.errors import CvquizError, ExitCode
from cvquiz.grade.assignment import Assignment


class StarterError(CvquizError):
    exit_code = ExitCode.COULD_NOT_RUN


def starter_text(a: Assignment, file: str) -> str:
    """The starter source of one student file."""
    functions = [f for f in a.functions if f.file == file]
    header = f'"""{a.title.en} ({a.name}): {", ".join(f.name for f in functions)}.\n\n' \
             f"Replace each `raise NotImplementedError` with your implementation. Check your work with\n" \
             f"`cvquiz check . --assignment {a.name}`.\n\"\"\"\n\n"
    imports = "import torch\n" if a.library == "torch" else "import numpy as np\n"
    body = []
    for f in functions:
        doc = textwrap.indent(f.doc.strip(), "    ")
        body.append(f"def {f.signature}:\n    \"\"\"{doc.strip()}\n    \"\"\"\n"
                    f"    raise NotImplementedError(\"{f.name}\")\n")
    return header + imports + "\n\n" + "\n\n".join(body)


def readme_text(a: Assignment) -> str:
    lines = [f"# {a.title.en}", "", a.title.zh, "",
             f"Write these functions ({a.max_points:g} points in all):", ""]
    for f in a.functions:
        lines.append(f"- `{f.signature}` in `{f.file}` ({f.points:g} points)")
    lines += ["", "Check your work (visible tests; the hidden ones run when it is graded):", "",
              "```", f"cvquiz check . --assignment {a.name}", "```", "",
              "A failing test says what went wrong first: a missing file or function, an import or syntax",
              "error, a crash, a timeout, a wrong type, shape or dtype, then the first wrong value and the",
              "input it came from.", "",
              "自测：在本目录运行上面的命令（只运行可见测试；隐藏测试在评分时运行）。", ""]
    if a.support:
        lines.insert(-1, f"Helper modules you may import: {', '.join(a.support)}.")
    return "\n".join(lines)


def write_starter(a: Assignment, folder: Path, *, force: bool = False) -> list[Path]:
    """Write the starter files, the support modules and a README into ``folder``; the paths written."""
    files = {name: starter_text(a, name) for name in a.files}
    files["README.md"] = readme_text(a)
    targets = [folder / n for n in (*files, *a.support)]
    existing = [p for p in targets if p.exists()]
    if existing and not force:
        raise StarterError(f"{existing[0]}: already exists; pass --force to overwrite the starter files")
    try:
        folder.mkdir(parents=True, exist_ok=True)
        for name, text in files.items():
            (folder / name).write_text(text, encoding="utf-8")
        for name in a.support:
            shutil.copyfile(a.folder / name, folder / name)
    except OSError as exc:
        raise StarterError(f"{folder}: cannot write the starter files: {exc.strerror or exc}") from None
    return targets


def write_reference_submission(course: Course, a: Assignment, folder: Path) -> None:
    """The course's reference implementation laid out as a submission of ``a`` in ``folder``."""
    folder.mkdir(parents=True, exist_ok=True)
    for file in a.files:
        functions = [f for f in a.functions if f.file == file]
        modules = {f.reference_module for f in functions}
        same_names = all(f.name == f.reference_function for f in functions)
        if len(modules) == 1 and file == f"{next(iter(modules))}.py" and same_names:
            shutil.copyfile(course.reference_path(next(iter(modules))), folder / file)
            continue
        lines = []
        for m in sorted(modules):
            shutil.copyfile(course.reference_path(m), folder / f"_reference_{m}.py")
        for f in functions:
            lines.append(f"from _reference_{f.reference_module} import {f.reference_function} as {f.name}")
        (folder / file).write_text("\n".join(lines) + "\n", encoding="utf-8")
