"""The in-memory store passes the store conformance suite."""

from __future__ import annotations

from pathlib import Path

import pytest

from followup import InvalidInput
from followup._store import Store, open_store
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
