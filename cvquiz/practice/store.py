"""Stored practice progress: one SQLite file per user.

Tables
------
``meta``     key/value: the schema version and the user's practice secret (random, made once;
             it seeds the user's generated variants, see :mod:`cvquiz.problems.registry`).
``cards``    one FSRS card per question id (the question is the template; a generated question
             gets new numbers at every review but keeps one card).
``reviews``  every answered question: when, the rating, right or wrong, hinted, the typed answer,
             the variant's seed; the history behind ``cvquiz stats`` and ``--mistakes``.

Safety: WAL journal and a busy timeout, so two sessions at once do not clash; every review is
one transaction (card + review row together), so Ctrl-C or a killed process loses at most the
answer being typed and never leaves the file half-written. An older file is migrated forward in
place by :data:`MIGRATIONS`; a newer or foreign file is refused with a message, never altered.
"""

from __future__ import annotations

import os
import secrets
import sqlite3
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, datetime, timezone
from pathlib import Path

from cvquiz.errors import StoreError

#: Each entry upgrades the schema from version i to i + 1.
MIGRATIONS: list[str] = [
    # 0 -> 1
    """
    CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
    CREATE TABLE cards (
        question_id TEXT PRIMARY KEY,
        card TEXT NOT NULL,              -- fsrs.Card.to_dict() as JSON
        due TEXT NOT NULL,               -- ISO 8601, UTC
        updated TEXT NOT NULL
    );
    CREATE TABLE reviews (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        question_id TEXT NOT NULL,
        at TEXT NOT NULL,
        rating INTEGER NOT NULL,         -- fsrs.Rating: 1 Again, 2 Hard, 3 Good, 4 Easy
        correct INTEGER NOT NULL
    );
    CREATE INDEX reviews_question ON reviews (question_id, at);
    """,
    # 1 -> 2: richer review rows (topic and concepts for stats; what was typed; the variant)
    """
    ALTER TABLE reviews ADD COLUMN topic TEXT NOT NULL DEFAULT '';
    ALTER TABLE reviews ADD COLUMN concepts TEXT NOT NULL DEFAULT '';
    ALTER TABLE reviews ADD COLUMN hinted INTEGER NOT NULL DEFAULT 0;
    ALTER TABLE reviews ADD COLUMN answer TEXT NOT NULL DEFAULT '';
    ALTER TABLE reviews ADD COLUMN seed TEXT;
    ALTER TABLE reviews ADD COLUMN seconds REAL;
    CREATE INDEX reviews_at ON reviews (at);
    """,
]
SCHEMA_VERSION = len(MIGRATIONS)


def default_db_path() -> Path:
    """``<user data dir>/cvquiz/progress.sqlite3`` (platformdirs), or ``$CVQUIZ_DB``."""
    env = os.environ.get("CVQUIZ_DB")
    if env:
        return Path(env).expanduser()
    from platformdirs import user_data_dir

    return Path(user_data_dir("cvquiz", appauthor=False)) / "progress.sqlite3"


def now() -> datetime:
    return datetime.now(timezone.utc)


@dataclass(frozen=True)
class Review:
    question_id: str
    at: datetime
    rating: int
    correct: bool
    topic: str = ""
    concepts: tuple[str, ...] = ()
    hinted: bool = False
    answer: str = ""
    seed: str | None = None
    seconds: float | None = None


class Store:
    """The practice database. Use as a context manager or call :meth:`close`."""

    def __init__(self, path: str | os.PathLike[str] | None = None):
        self.path = Path(path) if path is not None else default_db_path()
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self.db = sqlite3.connect(self.path, timeout=10, isolation_level=None)
        except (OSError, sqlite3.Error) as exc:
            raise StoreError(f"{self.path}: cannot open the progress database: {exc}") from None
        try:
            self.db.execute("PRAGMA busy_timeout = 10000")
            self.db.execute("PRAGMA journal_mode = WAL")
            self.db.execute("PRAGMA synchronous = NORMAL")
            self._migrate()
        except sqlite3.DatabaseError as exc:
            self.db.close()
            raise StoreError(
                f"{self.path}: not a cvquiz progress database ({exc}); "
                "move it aside or pass --db PATH") from None

    # -- lifecycle -------------------------------------------------------
    def close(self) -> None:
        self.db.close()

    def __enter__(self) -> "Store":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    @contextmanager
    def transaction(self):
        """One atomic write: all of it lands or none of it does."""
        self.db.execute("BEGIN IMMEDIATE")
        try:
            yield self.db
        except BaseException:
            self.db.execute("ROLLBACK")
            raise
        else:
            self.db.execute("COMMIT")

    def _version(self) -> int:
        return int(self.db.execute("PRAGMA user_version").fetchone()[0])

    def _migrate(self) -> None:
        version = self._version()
        if version > SCHEMA_VERSION:
            raise StoreError(
                f"{self.path}: made by a newer cvquiz (schema {version}, this one knows "
                f"{SCHEMA_VERSION}); upgrade cvquiz or pass --db PATH")
        if version == 0:
            tables = self.db.execute("SELECT count(*) FROM sqlite_master").fetchone()[0]
            if tables:
                raise StoreError(f"{self.path}: not a cvquiz progress database; pass --db PATH")
        while version < SCHEMA_VERSION:
            with self.transaction() as db:
                for statement in MIGRATIONS[version].split(";"):
                    if statement.strip():
                        db.execute(statement)
                version += 1
                db.execute(f"PRAGMA user_version = {version}")

    # -- meta ------------------------------------------------------------
    def secret(self) -> bytes:
        """This user's practice secret (made on first use, then kept)."""
        row = self.db.execute("SELECT value FROM meta WHERE key = 'secret'").fetchone()
        if row:
            return bytes.fromhex(row[0])
        value = secrets.token_hex(32)
        with self.transaction() as db:
            db.execute("INSERT OR IGNORE INTO meta (key, value) VALUES ('secret', ?)", (value,))
            row = db.execute("SELECT value FROM meta WHERE key = 'secret'").fetchone()
        return bytes.fromhex(row[0])

    def exam_day(self) -> date | None:
        """The exam day last given to ``practice --until`` (None when never given)."""
        row = self.db.execute("SELECT value FROM meta WHERE key = 'exam_day'").fetchone()
        try:
            return date.fromisoformat(row[0]) if row else None
        except ValueError:
            return None  # a hand-edited value: as if none were set

    def set_exam_day(self, day: date) -> None:
        with self.transaction() as db:
            db.execute("INSERT INTO meta (key, value) VALUES ('exam_day', ?) "
                       "ON CONFLICT(key) DO UPDATE SET value = excluded.value", (day.isoformat(),))

    # -- cards -----------------------------------------------------------
    def cards(self) -> dict[str, dict]:
        """Every stored card by question id (fsrs.Card.to_dict() form)."""
        import json

        return {qid: json.loads(card) for qid, card in self.db.execute("SELECT question_id, card FROM cards")}

    def save_review(self, card: dict, due: datetime, review: Review) -> None:
        """Store the new card and its review row atomically."""
        import json

        with self.transaction() as db:
            db.execute(
                "INSERT INTO cards (question_id, card, due, updated) VALUES (?, ?, ?, ?) "
                "ON CONFLICT(question_id) DO UPDATE SET card = excluded.card, due = excluded.due, "
                "updated = excluded.updated",
                (review.question_id, json.dumps(card), due.isoformat(), review.at.isoformat()))
            db.execute(
                "INSERT INTO reviews (question_id, at, rating, correct, topic, concepts, hinted, answer, seed, seconds) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (review.question_id, review.at.isoformat(), review.rating, int(review.correct), review.topic,
                 ",".join(review.concepts), int(review.hinted), review.answer[:500], review.seed, review.seconds))

    # -- history ---------------------------------------------------------
    def reviews(self, since: datetime | None = None) -> list[Review]:
        query = ("SELECT question_id, at, rating, correct, topic, concepts, hinted, answer, seed, seconds "
                 "FROM reviews")
        args: tuple = ()
        if since is not None:
            query += " WHERE at >= ?"
            args = (since.isoformat(),)
        query += " ORDER BY id"
        return [Review(qid, datetime.fromisoformat(at), rating, bool(correct), topic,
                       tuple(c for c in concepts.split(",") if c), bool(hinted), answer, seed, seconds)
                for qid, at, rating, correct, topic, concepts, hinted, answer, seed, seconds
                in self.db.execute(query, args)]

    def last_wrong(self) -> list[str]:
        """Question ids whose most recent review was wrong, most recent first."""
        rows = self.db.execute(
            "SELECT question_id, correct, max(id) AS last FROM reviews GROUP BY question_id ORDER BY last DESC")
        return [qid for qid, correct, _ in rows if not correct]
