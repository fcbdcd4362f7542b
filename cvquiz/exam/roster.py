"""The class roster: a UTF-8 CSV with one row per student.

Columns: ``id`` (required; ``[A-Za-z0-9._-]+``, it is used in file names), ``name``, and the
optional ``sis_id`` and ``section`` (Canvas's import columns). Any other column, a missing ``id``
column, a bad or repeated id, or a row with too many cells is refused with its line number.
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass
from pathlib import Path

from cvquiz.errors import ExamError

ID_PATTERN = re.compile(r"[A-Za-z0-9._-]+")
COLUMNS = ("id", "name", "sis_id", "section")
#: Largest roster file accepted (a class of thousands is a few hundred kB).
MAX_ROSTER_BYTES = 5_000_000


@dataclass(frozen=True)
class Student:
    id: str
    name: str = ""
    sis_id: str = ""
    section: str = ""

    def to_json(self) -> dict[str, str]:
        return {"id": self.id, "name": self.name, "sis_id": self.sis_id, "section": self.section}


def read_text(path: Path, what: str, limit: int = MAX_ROSTER_BYTES) -> str:
    """The UTF-8 text of ``path`` (a leading BOM dropped); :class:`ExamError` naming the file otherwise."""
    try:
        with open(path, "rb") as f:
            data = f.read(limit + 1)
    except FileNotFoundError:
        raise ExamError(f"{path}: {what} not found") from None
    except IsADirectoryError:
        raise ExamError(f"{path}: is a directory, expected the {what} (a CSV file)") from None
    except OSError as exc:
        raise ExamError(f"{path}: cannot read the {what}: {exc.strerror or exc}") from None
    if len(data) > limit:
        raise ExamError(f"{path}: the {what} is larger than {limit // 1_000_000} MB")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise ExamError(f"{path}:{line}: the {what} is not UTF-8 text; save it as UTF-8 CSV") from None


def parse_roster(text: str, path: str = "roster.csv") -> list[Student]:
    """The students of a roster's CSV ``text``, in file order; ``path`` names it in messages."""
    reader = csv.reader(io.StringIO(text.removeprefix("\ufeff"), newline=""))
    rows, lines = [], []
    try:
        for row in reader:
            rows.append(row)
            lines.append(reader.line_num)  # the file's line where the row ends (quoted cells may span lines)
    except csv.Error as exc:
        raise ExamError(f"{path}:{reader.line_num}: not a valid CSV line: {exc}") from None
    if not rows or not any(cell.strip() for cell in rows[0]):
        raise ExamError(f"{path}:1: the roster is empty; expected a header line such as id,name,sis_id,section")
    header = [cell.strip() for cell in rows[0]]
    for cell in header:
        if cell not in COLUMNS:
            raise ExamError(f"{path}:1: unknown column {cell!r}; expected id (required), name, sis_id, section")
    if len(set(header)) != len(header):
        raise ExamError(f"{path}:1: a column appears twice in the header")
    if "id" not in header:
        raise ExamError(f"{path}:1: no 'id' column; expected a header such as id,name,sis_id,section")
    students: list[Student] = []
    seen: dict[str, int] = {}
    for line, row in zip(lines[1:], rows[1:]):
        if not any(cell.strip() for cell in row):
            continue
        if len(row) > len(header):
            raise ExamError(f"{path}:{line}: {len(row)} cells but the header has {len(header)} columns")
        values = {name: (row[i].strip() if i < len(row) else "") for i, name in enumerate(header)}
        sid = values["id"]
        if not ID_PATTERN.fullmatch(sid):
            raise ExamError(f"{path}:{line}: id {sid!r}: expected letters, digits, '.', '_' or '-' "
                            "(it is used in file names)")
        if sid in seen:
            raise ExamError(f"{path}:{line}: id {sid!r} is already used on line {seen[sid]}")
        seen[sid] = line
        students.append(Student(sid, values.get("name", ""), values.get("sis_id", ""), values.get("section", "")))
    if not students:
        raise ExamError(f"{path}: the roster lists no students")
    return students


def read_roster(path: Path) -> list[Student]:
    """The students of the roster file ``path``; :class:`ExamError` with ``file:line`` when malformed."""
    return parse_roster(read_text(Path(path), "roster"), str(path))
