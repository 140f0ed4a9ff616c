"""The PostgreSQL store: followup's conformance suite (crash and four-worker tests included) on a real server."""

from __future__ import annotations

from pathlib import Path

import pytest

from followup import InvalidInput, Store, StoreError, open_store
from followup.testing.stores import StoreConformance

pytestmark = [pytest.mark.postgres, pytest.mark.service("postgresql")]


class TestPostgreSQLStore(StoreConformance):
    #: 300 companies x 2 applications x 4 interviewers: 2,400 due actions, 1,500 within the ceiling
    concurrency_companies = 300
    concurrent_workers = 4

    @pytest.fixture(autouse=True)
    def _url(self, schema_url: str) -> None:
        self.url = schema_url

    def open_store(self, tmp_path: Path) -> Store:
        return open_store(self.url)

    def reopen_store(self, store: Store, tmp_path: Path) -> Store | None:
        return open_store(store.url, create=False)


def test_registered_under_both_schemes(schema_url: str) -> None:
    store = open_store(schema_url.replace("postgresql://", "postgres://", 1))
    assert store.schema_version >= 1  # type: ignore[attr-defined]
    store.close()


def test_an_unreachable_server_gives_a_clear_message_without_the_password() -> None:
    with pytest.raises(StoreError, match=r"cannot connect to the PostgreSQL store postgresql://u:\*\*\*@127\.0\.0\.1:1/db"):
        open_store("postgresql://u:secret@127.0.0.1:1/db?connect_timeout=2")


@pytest.mark.parametrize("bad", ["postgresql://host:port/db", "postgresql://host"])
def test_bad_urls(bad: str) -> None:
    with pytest.raises(InvalidInput, match="PostgreSQL"):
        open_store(bad)


def test_a_store_from_a_newer_followup_is_refused(schema_url: str) -> None:
    import psycopg

    from followup.stores.sql import SCHEMA_VERSION

    open_store(schema_url).close()
    with psycopg.connect(schema_url, autocommit=True) as connection:
        connection.execute("UPDATE followup_meta SET value = %s WHERE key = 'schema_version'", (str(SCHEMA_VERSION + 1),))
    with pytest.raises(StoreError, match="written by a newer followup"):
        open_store(schema_url)
