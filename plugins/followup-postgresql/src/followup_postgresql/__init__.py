"""followup-postgresql: the followup store on PostgreSQL, for many workers on many machines.

Store URLs: ``postgresql://USER@HOST:PORT/DATABASE`` (also ``postgres://``), with any
libpq parameter in the query string (``?sslmode=require&connect_timeout=5``). The
password comes from ``PGPASSWORD`` or ``~/.pgpass`` as for any libpq client, never
from the URL in a shared configuration.

Concurrency: workers take due applications with ``SELECT ... FOR UPDATE SKIP LOCKED``
(so they never wait for each other and each takes a distinct share), and every
claim runs in a transaction holding a transaction-level advisory lock on its
application, so two workers can never claim for the same application at once and
every cap is re-checked against what the other workers recorded.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from followup import StoreSpec, hookimpl

__all__ = ["open_postgresql"]

__version__ = "0.1.0"


def open_postgresql(url: str, *, create: bool = True) -> Any:
    """Open the PostgreSQL store at ``url``; its tables are created or migrated on first use."""
    from ._store import open_postgresql as _open

    return _open(url, create=create)


@hookimpl
def followup_register_stores(register: Callable[[StoreSpec], None]) -> None:
    register(
        StoreSpec(
            schemes=("postgresql", "postgres"),
            open=open_postgresql,
            description="PostgreSQL (psycopg 3): many workers on many machines share one database.",
        )
    )
