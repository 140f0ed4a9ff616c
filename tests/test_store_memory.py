"""The in-memory store passes the store conformance suite."""

from __future__ import annotations

from pathlib import Path

import pytest

from followup import InvalidInput
from followup.stores import Store, open_store
from followup.stores.memory import open_memory
from followup.testing.stores import StoreConformance, sample_state


class TestMemoryStore(StoreConformance):
    def open_store(self, tmp_path: Path) -> Store:
        return open_store("memory:")


def test_named_memory_stores_are_shared_within_a_process() -> None:
    first = open_memory("memory:shared-for-test")
    first.import_state(sample_state())
    again = open_store("memory:shared-for-test")
    assert again.export_document() == first.export_document()
    assert not open_store("memory:").has_state()


@pytest.mark.parametrize("url", ["memory:/x", "memory:a?b=c"])
def test_bad_memory_urls(url: str) -> None:
    with pytest.raises(InvalidInput, match="not an in-memory store URL; use memory: or memory:NAME"):
        open_store(url)


def test_threads_sharing_one_store_take_turns() -> None:
    """Two threads claiming through one store object: each key once, no transaction error."""
    import datetime as dt
    import threading

    from followup import Contact
    from followup.stores import OutboxEntry
    from followup.testing.stores import SAMPLE_NOW

    store = open_store("memory:")
    store.import_state(sample_state())
    wins: list[str] = []
    errors: list[BaseException] = []
    start = threading.Barrier(2)
    import sys

    interval = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)  # switch threads as often as possible, inside transactions too

    def claim_all(worker: str) -> None:
        try:
            start.wait()
            for n in range(200):
                key = f"k{n}"
                entry = OutboxEntry(key, "acme", "claimed", 1, "recorder", True, SAMPLE_NOW, SAMPLE_NOW, {"key": key})
                with store.locked("acme"):
                    if store.claim(entry, Contact(at=SAMPLE_NOW + dt.timedelta(seconds=n), kind="note", action=key)):
                        wins.append(f"{worker}:{key}")
        except BaseException as exc:  # noqa: BLE001 - reported by the assertion below
            errors.append(exc)

    threads = [threading.Thread(target=claim_all, args=(name,)) for name in ("a", "b")]
    try:
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    finally:
        sys.setswitchinterval(interval)
    assert not errors
    assert sorted(w.split(":")[1] for w in wins) == sorted(f"k{n}" for n in range(200))
