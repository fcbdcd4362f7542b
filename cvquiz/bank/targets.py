"""Which files a bank check reads: bank files and ``assignment.yaml`` files, from given paths.

``cvquiz bank check [PATHS]`` and any other checker use :func:`check_targets`: without paths,
every bank of the course (in topic order) and every assignment; with paths, the files named and
the banks and assignments inside the folders named. What cannot be read is a problem line
(``path: file not found``), so that one bad path does not hide the others.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Sequence

from cvquiz.bank.load import bank_files, shown_path
from cvquiz.course import Course


@dataclass
class Targets:
    """The files to check; ``problems`` holds one line per path that names nothing to check."""

    banks: list[Path] = field(default_factory=list)
    assignments: list[Path] = field(default_factory=list)  # assignment.yaml files, checked without torch
    problems: list[str] = field(default_factory=list)


def check_targets(course: Course, paths: Sequence[str | Path] = ()) -> Targets:
    """The bank and assignment files named by ``paths`` (default: all of ``course``'s).

    A folder contributes its ``*.yaml`` banks and its ``assignment.yaml`` files (its own and
    its subfolders'); the syllabus is skipped (a checker always reads the course's own).
    """
    found = Targets()
    if not paths:
        found.banks = [shown_path(p) for p in bank_files(course)]
        found.assignments = [shown_path(p) for p in sorted(course.assignments_dir.glob("*/assignment.yaml"))]
    for raw in paths:
        path = Path(raw)
        if path.is_dir():
            banks = sorted(p for p in path.glob("*.yaml") if p.name not in ("syllabus.yaml", "assignment.yaml"))
            inside = sorted(path.glob("assignment.yaml")) + sorted(path.glob("*/assignment.yaml"))
            if not banks and not inside and path.name != "assignments":
                found.problems.append(f"{path}: no bank files (*.yaml) in this folder")
            found.banks.extend(banks)
            found.assignments.extend(inside)
        elif path.name == "syllabus.yaml" and path.is_file():
            continue  # the course's syllabus is always checked
        elif path.name == "assignment.yaml" and path.is_file():
            found.assignments.append(path)
        elif not path.exists():
            found.problems.append(f"{path}: file not found")
        else:
            found.banks.append(path)
    return found
