"""``OUT/grades.sqlite``: a class's results as they come, so an interrupted run resumes.

One row per student, written in its own transaction as soon as the submission is graded (a
crash loses at most the submissions in flight, never a stored grade). Each row records the
fingerprint of what decided its scores (the assignment files, the reference modules and cvquiz's
version, :func:`cvquiz.grade.assignment.fingerprint`) and a hash of the submission's files.
A rerun skips students whose row matches both; a changed submission is graded again; a changed
fingerprint makes ``grade`` refuse unless ``--regrade`` (:meth:`GradeStore.stale`).
"""

from __future__ import annotations

import json
import sqlite3
from datetime import datetime, timezone
from pathlib import Path

from cvquiz.errors import StoreError
from cvquiz.report.model import SubmissionResult

SCHEMA_VERSION = 1
FILE_NAME = "grades.sqlite"


class GradeStore:
    """The results of one assignment in ``OUT/grades.sqlite``."""

    def __init__(self, path: Path, assignment: str):
        self.path = Path(path)
        self.assignment = assignment
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self.db = sqlite3.connect(self.path, isolation_level=None, timeout=30)
            self.db.execute("PRAGMA journal_mode=WAL")
            self.db.execute("PRAGMA synchronous=FULL")
            self.db.execute("CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)")
            self.db.execute(
                "CREATE TABLE IF NOT EXISTS results (student TEXT PRIMARY KEY, assignment TEXT NOT NULL, "
                "status TEXT NOT NULL, total REAL NOT NULL, max REAL NOT NULL, fingerprint TEXT NOT NULL, "
                "submission_hash TEXT NOT NULL, data TEXT NOT NULL, graded_at TEXT NOT NULL)")
            found = dict(self.db.execute("SELECT key, value FROM meta").fetchall())
        except sqlite3.Error as exc:
            raise StoreError(f"{self.path}: cannot be opened as a grade store ({exc})") from None
        if found.get("assignment") not in (None, assignment):
            raise StoreError(f"{self.path}: holds grades of assignment {found['assignment']!r}, not "
                             f"{assignment!r}; choose another --out folder")
        if int(found.get("schema", SCHEMA_VERSION)) > SCHEMA_VERSION:
            raise StoreError(f"{self.path}: written by a newer cvquiz (schema {found['schema']})")
        with self.db:
            self.db.execute("INSERT OR IGNORE INTO meta VALUES ('assignment', ?)", (assignment,))
            self.db.execute("INSERT OR IGNORE INTO meta VALUES ('schema', ?)", (str(SCHEMA_VERSION),))

    def close(self) -> None:
        self.db.close()

    def __enter__(self) -> "GradeStore":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def put(self, result: SubmissionResult) -> None:
        """Store one student's result (one transaction)."""
        row = (result.student, result.assignment, result.status, result.total, result.max_score,
               result.fingerprint, result.submission_hash, json.dumps(result.to_json(), ensure_ascii=False),
               datetime.now(timezone.utc).isoformat(timespec="seconds"))
        try:
            self.db.execute("BEGIN IMMEDIATE")
            self.db.execute("INSERT OR REPLACE INTO results VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)", row)
            self.db.execute("COMMIT")
        except sqlite3.Error as exc:
            if self.db.in_transaction:
                self.db.execute("ROLLBACK")
            raise StoreError(f"{self.path}: cannot store the result of {result.student!r} ({exc})") from None

    def get(self, student: str) -> SubmissionResult | None:
        row = self.db.execute("SELECT data FROM results WHERE student = ?", (student,)).fetchone()
        return SubmissionResult.from_json(json.loads(row[0])) if row else None

    def all(self) -> list[SubmissionResult]:
        """Every stored result, by student id."""
        try:
            rows = self.db.execute("SELECT data FROM results ORDER BY student").fetchall()
            return [SubmissionResult.from_json(json.loads(r[0])) for r in rows]
        except (sqlite3.Error, ValueError, KeyError, TypeError) as exc:
            raise StoreError(f"{self.path}: a stored result cannot be read ({exc})") from None

    def done(self) -> dict[str, tuple[str, str, str]]:
        """student → (status, fingerprint, submission hash) of each stored row."""
        return {s: (st, fp, h) for s, st, fp, h in
                self.db.execute("SELECT student, status, fingerprint, submission_hash FROM results")}

    def stale(self, fingerprint: str) -> list[str]:
        """Students graded (not missing) under another fingerprint."""
        return sorted(s for s, (st, fp, _) in self.done().items() if st != "missing" and fp != fingerprint)
