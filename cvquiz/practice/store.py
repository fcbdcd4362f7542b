"""Stored practice progress: one SQLite file per user.

Tables
------
``meta``     key/value: the schema version and the user's practice secret (random, made once;
             it seeds the user's generated variants, see :mod:`cvquiz.problems.registry`); the
             exam day of each course (``exam_day:<course>``, given to ``practice --until``).
``cards``    one FSRS card per question id (the question is the template; a generated question
             gets new numbers at every review but keeps one card).
``reviews``  every answered question: when, the rating, right or wrong, hinted, the typed answer
             (a choice by the bank's own letter, whatever order it was shown in; "(answer shown)"
             after ``:a``), the variant's seed; the history behind ``cvquiz stats``, ``cvquiz
             mistakes`` and ``--mistakes``.

Safety: WAL journal and a busy timeout, so two sessions at once do not clash; every review is
one transaction (card + review row together), so Ctrl-C or a killed process loses at most the
answer being typed and never leaves the file half-written.

Opening a file looks before it changes anything: the file is first read through a read-only
connection, and a foreign file (not SQLite, another program's tables, a cvquiz version number
without cvquiz's tables), a newer cvquiz's file, or a damaged one (``PRAGMA quick_check`` fails,
or the size is not a whole number of pages) is refused with a message and never altered, not
even switched to WAL. An older file is copied to ``<file>.bak-<date>`` and then migrated forward
in place by :data:`MIGRATIONS`; the message for a damaged file names that backup and says how to
go back to it. ``Store(path, readonly=True)`` (for commands that only read, such as ``stats``)
opens ``file:...?mode=ro`` (with ``immutable=1`` when the folder is read-only) and writes
nothing; a command that writes says "read-only" when the file or its folder is.
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
    # 2 -> 3: the exam day is kept per course (a student may sit two courses' exams); a day set
    # before belonged to the only course there was, the built-in one
    """
    UPDATE meta SET key = 'exam_day:builtin' WHERE key = 'exam_day';
    """,
]
#: The course key of the built-in course (another course is keyed by its folder).
BUILTIN_COURSE = "builtin"
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
    """The practice database. Use as a context manager or call :meth:`close`.

    ``readonly=True`` opens the file without writing to it (a missing file reads as empty; an
    older schema is upgraded in a copy in memory). ``backup`` is the copy made before a migration.
    """

    def __init__(self, path: str | os.PathLike[str] | None = None, *, readonly: bool = False):
        self.path = Path(path) if path is not None else default_db_path()
        self.readonly = readonly
        self.backup: Path | None = None
        self._upgrading = False  # a read-only store may still upgrade its copy in memory
        version = self._inspect() if self._exists() else 0
        self.db = self._open_readonly(version) if readonly else self._open_writable(version)

    # -- opening -----------------------------------------------------------
    def _exists(self) -> bool:
        try:
            return self.path.exists() and (self.path.is_dir() or self.path.stat().st_size > 0)
        except OSError as exc:
            raise StoreError(f"{self.path}: cannot read the progress database: {exc.strerror or exc}") from None

    def _folder_writable(self) -> bool:
        return os.access(self.path.parent, os.W_OK)

    def _uri(self) -> str:
        """A read-only URI of the file (``immutable=1`` when its folder cannot hold a lock file)."""
        from urllib.parse import quote

        uri = f"file:{quote(str(self.path.resolve()))}?mode=ro"
        return uri + ("&immutable=1" if not self._folder_writable() else "")

    def _foreign(self, why: str) -> StoreError:
        return StoreError(f"{self.path}: not a cvquiz progress database ({why}); it was left unchanged. "
                          "Pass --db PATH to keep your progress elsewhere, or move this file aside.")

    def _damaged(self, why: str) -> StoreError:
        backups = sorted(self.path.parent.glob(f"{self.path.name}.bak-*"))
        if backups:
            recover = (f"The last backup is {backups[-1]} (made before the last upgrade): copy it over "
                       f"{self.path.name} to go back to it (the answers given since then are lost)")
        else:
            recover = ("There is no backup (one is made as <file>.bak-<date> before every upgrade): "
                       f"`sqlite3 {self.path} .recover` may rescue its rows")
        return StoreError(f"{self.path}: the progress database is damaged ({why}); cvquiz will neither read "
                          f"nor write it. {recover}; or move it aside to start afresh, or pass --db PATH.")

    def _inspect(self) -> int:
        """Look at an existing file without changing it; its schema version, or StoreError."""
        if self.path.is_dir():
            raise StoreError(f"{self.path}: is a folder; expected the progress database file (pass --db PATH)")
        try:
            with open(self.path, "rb") as f:
                header = f.read(100)
            size = self.path.stat().st_size
        except OSError as exc:
            raise StoreError(f"{self.path}: cannot read the progress database: {exc.strerror or exc}") from None
        if not header.startswith(b"SQLite format 3\x00"):
            raise self._foreign("not an SQLite file")
        try:
            db = sqlite3.connect(self._uri(), uri=True, timeout=10)
        except sqlite3.Error as exc:
            raise StoreError(f"{self.path}: cannot open the progress database: {exc}") from None
        try:
            db.execute("PRAGMA busy_timeout = 10000")
            version = int(db.execute("PRAGMA user_version").fetchone()[0])
            if version > SCHEMA_VERSION:
                raise StoreError(
                    f"{self.path}: made by a newer cvquiz (schema {version}, this one knows "
                    f"{SCHEMA_VERSION}); it was left unchanged. Upgrade cvquiz or pass --db PATH.")
            tables = {name for (name,) in db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
            if version == 0 and tables:
                raise self._foreign(f"it holds other tables: {', '.join(sorted(tables)[:5])}")
            missing = sorted({"meta", "cards", "reviews"} - tables) if version else []
            if missing:
                raise self._foreign(f"schema {version} but no table {', '.join(missing)}")
            page_size = int(db.execute("PRAGMA page_size").fetchone()[0])
            if size % page_size:
                raise self._damaged(f"{size} bytes is not a whole number of {page_size}-byte pages; "
                                    "the file was cut short or added to")
            result = [row[0] for row in db.execute("PRAGMA quick_check")]
            if result != ["ok"]:
                raise self._damaged(f"quick_check: {result[0]}")
        except sqlite3.DatabaseError as exc:
            if "not a database" in str(exc) or "malformed" in str(exc) or "corrupt" in str(exc):
                raise self._damaged(str(exc)) from None
            raise StoreError(f"{self.path}: cannot read the progress database: {exc}") from None
        finally:
            db.close()
        return version

    def _read_only_error(self, detail: str) -> StoreError:
        return StoreError(f"{self.path}: the progress database is read-only ({detail}); this command "
                          "stores answers, so it needs to write there. Make it writable (chmod u+w on the "
                          "file and its folder) or pass --db PATH; `cvquiz stats` can still read it.")

    def _open_writable(self, version: int) -> sqlite3.Connection:
        existed = self._exists()
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise StoreError(f"{self.path}: cannot create the folder of the progress database: "
                             f"{exc.strerror or exc}") from None
        if existed and not os.access(self.path, os.W_OK):
            raise self._read_only_error("the file cannot be written")
        if not self._folder_writable():
            raise self._read_only_error(f"its folder {self.path.parent} cannot be written")
        try:
            db = sqlite3.connect(self.path, timeout=10, isolation_level=None)
        except sqlite3.Error as exc:
            raise StoreError(f"{self.path}: cannot open the progress database: {exc}") from None
        self.db = db
        try:
            db.execute("PRAGMA busy_timeout = 10000")
            if existed and version < SCHEMA_VERSION:
                self._back_up()
            db.execute("PRAGMA journal_mode = WAL")
            db.execute("PRAGMA synchronous = NORMAL")
            self._migrate(version)
        except sqlite3.OperationalError as exc:
            db.close()
            if "readonly" in str(exc):
                raise self._read_only_error(str(exc)) from None
            raise StoreError(f"{self.path}: cannot open the progress database: {exc}") from None
        except BaseException:
            db.close()
            raise
        return db

    def _open_readonly(self, version: int) -> sqlite3.Connection:
        try:
            if not self._exists():
                db = sqlite3.connect(":memory:", isolation_level=None)
                version = 0
            else:
                db = sqlite3.connect(self._uri(), uri=True, timeout=10, isolation_level=None)
                db.execute("PRAGMA busy_timeout = 10000")
                if version < SCHEMA_VERSION:  # upgrade a copy, never the file
                    memory = sqlite3.connect(":memory:", isolation_level=None)
                    db.backup(memory)
                    db.close()
                    db = memory
            self.db = db
            if version < SCHEMA_VERSION:
                self._migrate(version)
        except sqlite3.Error as exc:
            raise StoreError(f"{self.path}: cannot read the progress database: {exc}") from None
        return db

    def _back_up(self) -> None:
        """Copy the file to ``<file>.bak-<date>`` (a new name if taken) before it is migrated."""
        stem = f"{self.path.name}.bak-{now():%Y-%m-%d}"
        target = self.path.with_name(stem)
        n = 1
        while target.exists():
            n += 1
            target = self.path.with_name(f"{stem}.{n}")
        try:
            copy = sqlite3.connect(target)
            try:
                self.db.backup(copy)
            finally:
                copy.close()
        except sqlite3.Error as exc:
            target.unlink(missing_ok=True)
            raise StoreError(f"{self.path}: cannot make the backup {target} before upgrading the "
                             f"progress database ({exc}); nothing was changed") from None
        self.backup = target

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
        if self.readonly and not self._upgrading:
            raise StoreError(f"{self.path}: opened read-only; this command cannot store anything")
        self.db.execute("BEGIN IMMEDIATE")
        try:
            yield self.db
        except BaseException:
            self.db.execute("ROLLBACK")
            raise
        else:
            self.db.execute("COMMIT")

    def _migrate(self, version: int) -> None:
        self._upgrading = True
        try:
            while version < SCHEMA_VERSION:
                with self.transaction() as db:
                    for statement in MIGRATIONS[version].split(";"):
                        if statement.strip():
                            db.execute(statement)
                    version += 1
                    db.execute(f"PRAGMA user_version = {version}")
        finally:
            self._upgrading = False

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

    def exam_day(self, course: str = BUILTIN_COURSE) -> date | None:
        """The exam day of ``course`` last given to ``practice --until`` (None when never given)."""
        row = self.db.execute("SELECT value FROM meta WHERE key = ?", (f"exam_day:{course}",)).fetchone()
        try:
            return date.fromisoformat(row[0]) if row else None
        except ValueError:
            return None  # a hand-edited value: as if none were set

    def set_exam_day(self, day: date, course: str = BUILTIN_COURSE) -> None:
        with self.transaction() as db:
            db.execute("INSERT INTO meta (key, value) VALUES (?, ?) "
                       "ON CONFLICT(key) DO UPDATE SET value = excluded.value", (f"exam_day:{course}", day.isoformat()))

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
