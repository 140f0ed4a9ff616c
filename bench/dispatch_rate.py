"""The dispatcher's own cost: deliveries per second to the file outbox.

A store (SQLite, or PostgreSQL when ``FOLLOWUP_TEST_POSTGRES_URL`` names a server)
holds one candidate with ``N`` applications cloned from the seeded workload (the
same templates as ``bench/scale.py``), all of them due; the dispatcher runs with the
default rulebook and every medium routed to the file outbox channel until nothing
is due. The figure is deliveries per second of wall time, everything included:
lease, load, evaluate, claim, render, check, write the file, record, release.

With PostgreSQL, the same store is dispatched again by two worker processes at
once (each leasing its own share of the applications) and their wall time is put
side by side with one worker's on the same data.

Run ``python bench/dispatch_rate.py [applications] [--profile]``.
"""

from __future__ import annotations

import multiprocessing
import os
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

BENCH = Path(__file__).resolve().parent
if str(BENCH) not in sys.path:
    sys.path.insert(0, str(BENCH))

import scale  # noqa: E402

__all__ = ["TARGET_PG_SPEEDUP", "TARGET_RATE", "measure", "postgres_workers"]

#: the issue's goals: deliveries per second with one SQLite worker, and two PostgreSQL workers against one
TARGET_RATE = 300.0
TARGET_PG_SPEEDUP = 1.7


def _filled(url: str, count: int) -> Any:
    """A store at ``url`` with ``count`` applications, every one due."""
    from followup.stores import open_store

    store = open_store(url)
    candidate, apps = scale.templates()
    for state in scale.clones(candidate, apps, count):
        store.import_state(state)
    return store


def _run(url: str, folder: str, worker: str) -> tuple[int, float]:
    """Dispatch the store at ``url`` until nothing is due; (deliveries, seconds)."""
    from followup.stores import open_store

    store = open_store(url, create=False)
    try:
        runner = scale.dispatcher(store, Path(folder))
        runner.worker = worker
        start = time.perf_counter()
        report = runner.run_once(scale.NOW)
        return len(report.delivered), time.perf_counter() - start
    finally:
        store.close()


def _profile(url: str, folder: str) -> list[str]:
    rows: list[str] = []
    rows += scale._profiled(lambda: _run(url, folder, "profiled"))
    return rows


def measure(count: int = 300, *, profile: bool = False) -> dict[str, Any]:
    """Deliveries per second of one worker on a fresh SQLite store of ``count`` due applications."""
    with tempfile.TemporaryDirectory() as scratch:
        url = f"sqlite:///{scratch}/rate.sqlite3"
        _filled(url, count).close()
        delivered, seconds = _run(url, f"{scratch}/outbox", "bench")
        figures: dict[str, Any] = {"applications": count, "delivered": delivered, "seconds": seconds, "rate": delivered / seconds}
        if profile:
            second = f"sqlite:///{scratch}/profiled.sqlite3"
            _filled(second, count).close()
            figures["profile"] = _profile(second, f"{scratch}/outbox-profiled")
        return figures


def _reset_postgres(url: str) -> None:
    """Drop every followup table of the database at ``url``."""
    import psycopg

    with psycopg.connect(url, autocommit=True) as connection:
        tables = [row[0] for row in connection.execute("SELECT tablename FROM pg_tables WHERE tablename LIKE 'followup_%'")]
        for table in tables:
            connection.execute(f'DROP TABLE IF EXISTS "{table}" CASCADE')


def _worker(url: str, folder: str, name: str, queue: Any) -> None:
    queue.put(_run(url, folder, name))


def postgres_workers(count: int = 300, url: str | None = None) -> dict[str, Any] | None:
    """One worker, then two worker processes, on the same PostgreSQL data; ``None`` without a server."""
    url = url or os.environ.get("FOLLOWUP_TEST_POSTGRES_URL")
    if not url:
        return None
    figures: dict[str, Any] = {"applications": count}
    context = multiprocessing.get_context("spawn")
    with tempfile.TemporaryDirectory() as scratch:
        for workers in (1, 2):
            _reset_postgres(url)
            _filled(url, count).close()
            queue = context.Queue()
            processes = [
                context.Process(target=_worker, args=(url, f"{scratch}/outbox-{workers}", f"w{workers}-{n}", queue)) for n in range(workers)
            ]
            start = time.perf_counter()
            for process in processes:
                process.start()
            results = [queue.get() for _ in processes]
            for process in processes:
                process.join()
            wall = time.perf_counter() - start
            delivered = sum(result[0] for result in results)
            # the work itself, without the workers' start-up (imports) counted in the wall time
            busy = max(result[1] for result in results)
            figures[f"{workers} delivered"] = delivered
            figures[f"{workers} rate"] = delivered / busy
            figures[f"{workers} wall s"] = wall
        _reset_postgres(url)
    figures["speedup"] = figures["2 rate"] / figures["1 rate"]
    return figures


if __name__ == "__main__":
    size = int(next((a for a in sys.argv[1:] if a.isdigit()), "300"))
    result = measure(size, profile="--profile" in sys.argv)
    for row in result.pop("profile", []):
        print(row)
    print(result)
    pg = postgres_workers(size)
    print(pg if pg is not None else "PostgreSQL: set FOLLOWUP_TEST_POSTGRES_URL to measure two workers")
