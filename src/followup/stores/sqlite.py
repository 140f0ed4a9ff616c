"""The SQLite store, followup's embedded default: ``sqlite:///relative/path`` or ``sqlite:////absolute/path``.

The database runs in WAL mode (readers never block the writer) with a busy timeout
(``?timeout=SECONDS``, default 10), so that ``followup run`` from cron and a
``followup log`` typed at the same moment wait for each other instead of failing.
The schema is migrated automatically when the database is opened; a database
written by a newer followup is refused rather than damaged.

The store holds a whole job search, so it is private: a folder it creates is 0700
and the database file 0600 whatever the umask (SQLite gives its ``-wal`` and
``-shm`` files the database file's permissions).
"""

from __future__ import annotations

import math
import os
import sqlite3
from pathlib import Path
from urllib.parse import parse_qs, unquote, urlsplit

from .._errors import InvalidInput
from .._private import FILE_MODE, private_folder
from ._store import StoreError
from .sql import Dialect, SQLStore

__all__ = ["SQLiteDialect", "open_sqlite", "sqlite_path"]

DEFAULT_TIMEOUT = 10.0
#: the longest busy timeout a URL may ask for, in seconds
MAX_TIMEOUT = 3600.0


class SQLiteDialect(Dialect):
    """SQLite: ``BEGIN IMMEDIATE`` takes the database's write lock, which also locks
    every subject; several processes on one machine take turns."""

    placeholder = "?"
    begin = "BEGIN IMMEDIATE"
    skip_locked = ""
    identity = "INTEGER PRIMARY KEY AUTOINCREMENT"

    def __init__(self, path: Path, timeout: float) -> None:
        self.path = path
        self.timeout = timeout

    def translate(self, error: Exception, url: str) -> StoreError | None:
        text = str(error).lower()
        if "locked" in text or "busy" in text:
            return StoreError(
                f"the SQLite store {self.path} is locked by another process and stayed locked for "
                f"{self.timeout:g} s; wait for it to finish, or raise the wait with {url.split('?')[0]}?timeout=60"
            )
        if "full" in text:
            return StoreError(
                f"the SQLite store {self.path} is full (no space left on its disk, or its size limit reached); "
                "free some space and run again: nothing was lost, the last change was rolled back"
            )
        if "readonly" in text or "read-only" in text:
            return StoreError(f"the SQLite store {self.path} is read-only for this user; check its permissions")
        if isinstance(error, sqlite3.DatabaseError) and ("not a database" in text or "malformed" in text):
            return StoreError(f"{self.path} is not a followup SQLite store (or it is damaged): {error}")
        return None


def sqlite_path(url: str) -> tuple[Path, float]:
    """The file and the busy timeout of a ``sqlite:///`` URL."""
    parts = urlsplit(url)
    if parts.scheme != "sqlite" or parts.netloc or not parts.path.startswith("/") or len(parts.path) < 2:
        raise InvalidInput.single(
            "--store",
            f"{url!r} is not a SQLite store URL; use sqlite:///relative/file.sqlite3 or sqlite:////absolute/file.sqlite3",
        )
    timeout = DEFAULT_TIMEOUT
    query = parse_qs(parts.query)
    unknown = sorted(set(query) - {"timeout"})
    if unknown:
        raise InvalidInput.single("--store", f"unknown SQLite store option {unknown[0][:40]!r}; valid: timeout")
    if "timeout" in query:
        raw = query["timeout"][-1]
        try:
            timeout = float(raw)
        except ValueError:
            timeout = -1.0
        if not (math.isfinite(timeout) and 0 <= timeout <= MAX_TIMEOUT):
            raise InvalidInput.single(
                "--store", f"timeout={raw[:40]!r} is not a number of seconds from 0 to {MAX_TIMEOUT:g} (e.g. timeout=30)"
            )
    path = unquote(parts.path[1:])
    if "\x00" in path or any(ord(ch) < 32 for ch in path):
        raise InvalidInput.single("--store", "the SQLite file name holds a NUL byte or a control character")
    if len(path) > 4096:
        raise InvalidInput.single("--store", f"the SQLite file name is {len(path):,} characters long; the limit is 4,096")
    return Path(path), timeout


def open_sqlite(url: str, *, create: bool = True) -> SQLStore:
    """Open (and with ``create``, create) the SQLite store at ``url``."""
    path, timeout = sqlite_path(url)
    try:
        exists = path.exists()
    except OSError as exc:
        raise StoreError(f"cannot use the SQLite store {path}: {exc.strerror}") from None
    if not exists:
        if not create:
            raise StoreError(f"no store at {path}: run `followup init` (or pass --store URL)")
        try:
            private_folder(path.parent)
            os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, FILE_MODE))
            os.chmod(path, FILE_MODE)  # whatever the umask
        except FileExistsError:
            pass  # another process made it at the same moment
        except OSError as exc:
            raise StoreError(f"cannot create the SQLite store {path}: {exc.strerror}") from None
    elif path.is_dir():
        raise StoreError(f"the SQLite store {path} is a directory; give a file name")
    dialect = SQLiteDialect(path, timeout)
    try:
        connection = sqlite3.connect(path, timeout=timeout, isolation_level=None, check_same_thread=False)
        connection.execute(f"PRAGMA busy_timeout = {int(timeout * 1000)}")
        mode = connection.execute("PRAGMA journal_mode = WAL").fetchone()
        connection.execute("PRAGMA synchronous = NORMAL")
    except sqlite3.Error as exc:
        translated = dialect.translate(exc, url)
        raise (translated or StoreError(f"cannot open the SQLite store {path}: {exc}")) from None
    if mode is None or str(mode[0]).lower() != "wal":
        connection.close()
        raise StoreError(f"the SQLite store {path} cannot use write-ahead logging (is it on a network drive?)")
    try:
        return SQLStore(connection, dialect, url, sqlite3.Error)
    except BaseException:
        connection.close()
        raise

