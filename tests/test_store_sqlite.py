"""The SQLite store: conformance (crash and four-worker tests included), migrations, locks, full disks, URLs."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from followup import InvalidInput
from followup.stores import Store, StoreError, open_store
from followup.stores.sql import SCHEMA_VERSION
from followup.testing.stores import StoreConformance, sample_state


class TestSQLiteStore(StoreConformance):
    concurrency_companies = 100

    def open_store(self, tmp_path: Path) -> Store:
        return open_store(f"sqlite:///{tmp_path / 'followup.sqlite3'}")

    def reopen_store(self, store: Store, tmp_path: Path) -> Store | None:
        return open_store(store.url, create=False)


def url(path: Path, query: str = "") -> str:
    return f"sqlite:///{path}{query}"


def test_creates_the_file_and_its_folder_in_wal_mode(tmp_path: Path) -> None:
    path = tmp_path / "deep" / "er" / "store.sqlite3"
    store = open_store(url(path))
    store.close()
    with sqlite3.connect(path) as connection:
        assert connection.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        version = connection.execute("SELECT value FROM followup_meta WHERE key = 'schema_version'").fetchone()[0]
    assert int(version) == SCHEMA_VERSION


def test_a_missing_store_says_to_run_init(tmp_path: Path) -> None:
    with pytest.raises(StoreError, match=r"no store at .*missing\.sqlite3: run `followup init`"):
        open_store(url(tmp_path / "missing.sqlite3"), create=False)


def test_a_store_from_a_newer_followup_is_refused_untouched(tmp_path: Path) -> None:
    path = tmp_path / "future.sqlite3"
    open_store(url(path)).close()
    with sqlite3.connect(path) as connection:
        connection.execute("UPDATE followup_meta SET value = ? WHERE key = 'schema_version'", (str(SCHEMA_VERSION + 1),))
    with pytest.raises(StoreError, match=rf"schema version {SCHEMA_VERSION + 1}, written by a newer followup.*upgrade followup"):
        open_store(url(path))
    with sqlite3.connect(path) as connection:
        assert connection.execute("SELECT value FROM followup_meta WHERE key = 'schema_version'").fetchone()[0] == str(SCHEMA_VERSION + 1)


def test_an_old_store_is_migrated(tmp_path: Path) -> None:
    """A database made before the first migration (only the meta table) is brought up to date."""
    path = tmp_path / "old.sqlite3"
    with sqlite3.connect(path) as connection:
        connection.execute("CREATE TABLE followup_meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)")
    store = open_store(url(path))
    assert store.schema_version == SCHEMA_VERSION  # type: ignore[attr-defined]
    store.import_state(sample_state())
    assert store.has_state()


def test_a_locked_store_gives_a_clear_message(tmp_path: Path) -> None:
    path = tmp_path / "locked.sqlite3"
    store = open_store(url(path, "?timeout=0.05"))
    other = sqlite3.connect(path, isolation_level=None)
    other.execute("BEGIN IMMEDIATE")
    try:
        with pytest.raises(StoreError, match=r"locked by another process and stayed locked for 0.05 s.*\?timeout=60"):
            store.import_state(sample_state())
    finally:
        other.execute("ROLLBACK")
        other.close()
    store.import_state(sample_state())  # and nothing was left half-done
    assert store.has_state()


def test_a_full_store_gives_a_clear_message_and_keeps_what_it_had(tmp_path: Path) -> None:
    path = tmp_path / "full.sqlite3"
    store = open_store(url(path))
    store.import_state(sample_state())
    before = store.export_document()
    pages = store._one("PRAGMA page_count")[0]  # type: ignore[attr-defined]
    store._run(f"PRAGMA max_page_count = {pages}")  # type: ignore[attr-defined]
    document = sample_state()
    from dataclasses import replace

    from followup import Contact

    application = document.applications[0]
    big = tuple(
        Contact(at=application.contacts[0].at, kind="reply", direction="in", note=f"{n} " + "x" * 4000) for n in range(50)
    )
    bigger = replace(document, applications=(replace(application, contacts=application.contacts + big), *document.applications[1:]))
    with pytest.raises(StoreError, match=r"is full .*nothing was lost"):
        store.import_state(bigger)
    assert store.export_document() == before


def test_not_a_database(tmp_path: Path) -> None:
    path = tmp_path / "notes.txt"
    path.write_text("just some notes, not a database\n" * 100)
    with pytest.raises(StoreError, match="not a followup SQLite store"):
        open_store(url(path))


@pytest.mark.parametrize(
    ("bad", "message"),
    [
        ("sqlite://relative.db", "not a SQLite store URL"),
        ("sqlite:///", "not a SQLite store URL"),
        ("sqlite:///x.db?timeout=soon", "timeout='soon'"),
        ("sqlite:///x.db?mode=ro", "unknown SQLite store option 'mode'"),
        ("followup.db", "not a store URL"),
        ("mysql://db/followup", "no installed store serves 'mysql:'"),
    ],
)
def test_bad_urls_are_refused_with_what_would_do(bad: str, message: str) -> None:
    with pytest.raises(InvalidInput, match=message):
        open_store(bad)
