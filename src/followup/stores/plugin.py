"""The built-in stores: ``memory:`` and ``sqlite:///``."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from ..plugins import hookimpl

if TYPE_CHECKING:
    from ._store import StoreSpec


def _open_memory(url: str, *, create: bool = True) -> Any:
    from .memory import open_memory

    return open_memory(url)


def _open_sqlite(url: str, *, create: bool = True) -> Any:
    from .sqlite import open_sqlite

    return open_sqlite(url, create=create)


@hookimpl
def followup_register_stores(register: Callable[[StoreSpec], None]) -> None:
    from ._store import StoreSpec

    register(StoreSpec(schemes=("memory",), open=_open_memory, description="In this process's memory: tests and embedding."))
    register(
        StoreSpec(
            schemes=("sqlite",),
            open=_open_sqlite,
            description="A SQLite file (WAL, versioned migrations): the embedded default.",
        )
    )
