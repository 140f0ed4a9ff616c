"""The in-memory store, for tests and for tools that embed followup: ``memory:`` or ``memory:NAME``.

It is the SQL store over a SQLite database that lives in this process's memory, so
it behaves exactly like the file store (same transactions, same outbox rules) and
vanishes with the process. ``memory:`` opens a fresh, private store every time;
``memory:NAME`` opens the same store again for the same name within one process.
"""

from __future__ import annotations

import sqlite3
import threading

from .._errors import InvalidInput
from .sql import Dialect, SQLStore

__all__ = ["open_memory"]

_named: dict[str, SQLStore] = {}
_lock = threading.Lock()


class MemoryDialect(Dialect):
    """A private SQLite database in memory: one connection, so every subject is locked
    by the transaction itself."""

    begin = "BEGIN IMMEDIATE"


def open_memory(url: str = "memory:") -> SQLStore:
    """A store in this process's memory (``memory:NAME``: the same one for the same name)."""
    scheme, _, name = url.partition(":")
    if scheme != "memory" or name.startswith("/") or "?" in name:
        raise InvalidInput.single("--store", f"{url!r} is not an in-memory store URL; use memory: or memory:NAME")
    if not name:
        return _new(url)
    with _lock:
        store = _named.get(name)
        if store is None:
            store = _named[name] = _new(url)
        return store


def _new(url: str) -> SQLStore:
    connection = sqlite3.connect(":memory:", isolation_level=None, check_same_thread=False)
    return SQLStore(connection, MemoryDialect(), url, sqlite3.Error)
