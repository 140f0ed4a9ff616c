"""Scale benchmarks: the dispatcher's tick against what is stored, and streaming evaluation.

Used by ``bench/run.py``; can also be run alone::

    python bench/scale.py tick 10000 100000      # tick times, SQLite (and PostgreSQL)
    python bench/scale.py stream 1000000 [FILE]  # streaming evaluation, peak memory (FILE: save JSON)

**Tick.** A store holds one candidate with ``N`` applications. They are cloned (new
ids) from a few hundred applications of the seeded workload, so their shape is the
workload's: statuses, interviews, logs. Every one of them is settled, as a previous
run of the dispatcher leaves it: its ``next_wake_at`` lies in the future. Then 100
of them are made due, and one :meth:`followup.Dispatcher.tick` (batch of
100) is timed: lease, load, evaluate with the default rulebook, claim, render, check,
deliver through the file outbox channel, record, release. Each repeat makes a fresh
100 due, so every timed tick does the same kind of work.

**Streaming.** In a child process (so that its peak resident memory is its own),
every application of a store with ``N`` applications is read back in pages of
1000, evaluated with the default rulebook and dropped; the figure is the child's
peak resident set size (``ru_maxrss``), interpreter included.

Filling a store uses ``Store.import_state`` in batches; settling the clones (a
future ``next_wake_at``) and making 100 due write the store's ``followup_schedule``
table directly, because going through the dispatcher for a million applications
would take hours and measure nothing this benchmark is about.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

BENCH = Path(__file__).resolve().parent
if str(BENCH) not in sys.path:
    sys.path.insert(0, str(BENCH))

import workload  # noqa: E402

NOW = workload.NOW
DUE_PER_TICK = 100
TEMPLATES = 400
BATCH = 20_000
PAGE = 1000

#: the one candidate every benchmark store holds
CANDIDATE = {
    "name": "Bench Candidate",
    "email": "bench@example.org",
    "timezone": "Europe/Berlin",
    "holidays": {"country": "DE", "subdivision": "BE"},
    "references": [
        {"id": "ref-0", "name": "Reference Zero", "email": "ref0@example.net"},
        {"id": "ref-1", "name": "Reference One", "email": "ref1@example.net"},
    ],
}


def templates(count: int = TEMPLATES) -> tuple[Any, list[Any]]:
    """The benchmark candidate and ``count`` validated applications of the workload."""
    from followup.state import state_from_document

    applications = [a for document in workload.documents(count, seed=11) for a in document["applications"]]
    for application in applications:  # one candidate accepts no offer here: an acceptance would end every other search
        if application["status"] == "accepted":
            application["status"] = "withdrawn"
    state = state_from_document({"version": 1, "candidate": CANDIDATE, "applications": applications}, "<templates>")
    return state.candidate, list(state.applications)


def clones(candidate: Any, apps: list[Any], count: int, prefix: str = "app") -> Iterator[Any]:
    """States of up to ``BATCH`` applications each, ``count`` applications in all."""
    from followup import State

    for start in range(0, count, BATCH):
        batch = tuple(
            dataclasses.replace(apps[i % len(apps)], id=f"{prefix}-{i:07d}") for i in range(start, min(count, start + BATCH))
        )
        yield State(candidate=candidate, applications=batch)


def _connection(store: Any) -> Any:
    connection = getattr(store, "_connection", None)
    if connection is None:
        raise RuntimeError(f"{type(store).__name__} exposes no SQL connection; the scale benchmark needs an SQL store")
    return connection


def fill(url: str, count: int) -> Any:
    """A store at ``url`` holding ``count`` settled applications (none due)."""
    from followup.stores import open_store
    from followup.stores.sql import encode_instant

    store = open_store(url)
    candidate, apps = templates()
    for state in clones(candidate, apps, count):
        store.import_state(state)
    connection = _connection(store)
    later = encode_instant(NOW + dt.timedelta(days=30))
    with connection:
        connection.execute(_sql(store, "UPDATE followup_schedule SET next_wake_at = ?, dirty = 0"), (later,))
    return store


def _sql(store: Any, statement: str) -> str:
    dialect = getattr(store, "_dialect", None)
    placeholder = getattr(dialect, "placeholder", "?")
    return statement.replace("?", placeholder)


def make_due(store: Any, count: int, stored: int, round_number: int) -> list[str]:
    """Make ``count`` applications spread over the id range due now; a different set each round."""
    from followup.stores.sql import DUE

    step = max(1, stored // count)
    subjects = [f"app-{(i * step + round_number * 7 + 1) % stored:07d}" for i in range(count)]
    connection = _connection(store)
    with connection:
        for subject in subjects:
            connection.execute(_sql(store, "UPDATE followup_schedule SET next_wake_at = ?, dirty = 0 WHERE subject = ?"), (DUE, subject))
    return subjects


def dispatcher(store: Any, outbox: Path) -> Any:
    from followup import Engine, load_rulebook
    from followup.delivery import Config, Dispatcher

    config = Config(
        data={
            "routes": {medium: "outbox" for medium in ("email", "postal", "fax", "phone", "reminder")},
            "channels": {"outbox": {"folder": str(outbox)}},
        }
    )
    return Dispatcher(store, engine=Engine(load_rulebook()), config=config, batch=DUE_PER_TICK, worker="bench")


def tick_times(url: str, stored: int, repeats: int, folder: Path, profile: list[str] | None = None) -> tuple[float, int, int]:
    """Median seconds of one tick with ``DUE_PER_TICK`` due among ``stored``; subjects and deliveries of the last.

    With ``profile`` given, one more tick is run under cProfile and its busiest
    followup functions are appended to it as table rows.
    """
    store = fill(url, stored)
    try:
        runner = dispatcher(store, folder / f"outbox-{stored}")
        times = []
        subjects = outcomes = 0
        for round_number in range(repeats):
            make_due(store, DUE_PER_TICK, stored, round_number)
            start = time.perf_counter()
            report = runner.tick(NOW)
            times.append(time.perf_counter() - start)
            subjects, outcomes = len(report.subjects), len(report.outcomes)
        if profile is not None:
            make_due(store, DUE_PER_TICK, stored, repeats)
            profile += _profiled(lambda: runner.tick(NOW))
        return statistics.median(times), subjects, outcomes
    finally:
        store.close()


def _profiled(function: Any, top: int = 14) -> list[str]:
    """The followup functions ``function`` spends most time in, with callees, as table rows."""
    import cProfile
    import pstats

    profiler = cProfile.Profile()
    profiler.enable()
    function()
    profiler.disable()
    stats = pstats.Stats(profiler).stats  # type: ignore[attr-defined]
    total = max(entry[3] for entry in stats.values())
    rows = sorted(
        ((key, entry) for key, entry in stats.items() if "/followup/" in key[0] and "/bench/" not in key[0]),
        key=lambda item: item[1][3],
        reverse=True,
    )[:top]
    lines = []
    for (filename, line, function_name), (_, calls, _own, cumulative, _) in rows:
        where = "followup/" + filename.split("/followup/", 1)[1]
        lines.append(f"| `{function_name}` ({where}:{line}) | {calls:,} | {100 * cumulative / total:.0f}% |")
    return lines


def _postgres_url() -> str | None:
    return os.environ.get("FOLLOWUP_TEST_POSTGRES_URL") or None


def _reset_postgres(url: str) -> None:
    import psycopg

    with psycopg.connect(url, autocommit=True) as connection:
        for table in ("followup_outbox", "followup_schedule", "followup_contacts", "followup_applications", "followup_meta"):
            connection.execute(f"DROP TABLE IF EXISTS {table} CASCADE")


def measure(report: Any, sizes: list[int], stream_count: int, repeats: int = 3, budget: float = 900.0) -> None:
    """Fill ``report.ticks``, ``report.tick_notes`` and ``report.stream``.

    A size whose ticks would take longer than ``budget`` seconds at the growth seen
    so far is not run; the report says so and gives the estimate.
    """
    with tempfile.TemporaryDirectory(prefix="followup-bench-") as scratch:
        folder = Path(scratch)
        backends = {"SQLite": lambda size: f"sqlite:///{folder / f'tick-{size}.db'}"}
        postgres = _postgres_url()
        if postgres is not None:
            backends["PostgreSQL"] = lambda size: postgres
        else:
            report.tick_notes.append(
                "PostgreSQL: not measured in this run (set `FOLLOWUP_TEST_POSTGRES_URL` to a throwaway database to include it)."
            )
        for backend, url_for in backends.items():
            report.ticks[backend] = {}
            measured: dict[int, float] = report.ticks[backend]
            for size in sizes:
                if measured:
                    largest = max(measured)
                    estimate = measured[largest] * max(1.0, size / largest)
                    if estimate * (repeats + 1) > budget:
                        report.tick_notes.append(
                            f"{backend} at {size:,} stored: not run. Growing as it did up to {largest:,} (linearly with "
                            f"what is stored), one tick would take about {estimate:,.0f} s, over this run's budget of "
                            f"{budget:,.0f} s for {repeats + 1} ticks (`--tick-budget`)."
                        )
                        print(f"  {backend} {size:,}: skipped, estimated {estimate:,.0f} s per tick")
                        continue
                if backend == "PostgreSQL":
                    _reset_postgres(url_for(size))
                start = time.perf_counter()
                profile: list[str] | None = [] if backend == "SQLite" else None
                try:
                    seconds, subjects, outcomes = tick_times(url_for(size), size, repeats, folder, profile)
                except Exception as exc:  # noqa: BLE001 - reported in the document, then the next size
                    report.tick_notes.append(f"{backend} at {size:,} stored: failed, {type(exc).__name__}: {exc}")
                    print(f"  {backend} {size:,}: failed: {exc}")
                    continue
                finally:
                    for suffix in ("", "-wal", "-shm"):
                        (folder / f"tick-{size}.db{suffix}").unlink(missing_ok=True)
                report.ticks[backend][size] = seconds
                if profile:
                    report.tick_profile, report.tick_profile_size = profile, size
                print(
                    f"  {backend} {size:,} stored: tick {seconds * 1000:.0f} ms "
                    f"({subjects} subjects, {outcomes} outcomes; setup and ticks {time.perf_counter() - start:.0f} s)"
                )
        if stream_count:
            url = f"sqlite:///{folder / 'stream.db'}"
            fill(url, stream_count).close()
            report.stream = stream(url, stream_count)
    _notes(report)


def stream(url: str, count: int) -> dict[str, Any]:
    """Evaluate every application of the store at ``url`` in a child process; its peak memory."""
    done = subprocess.run(
        [sys.executable, str(Path(__file__).resolve()), "stream-child", url],
        capture_output=True,
        text=True,
        check=True,
    )
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    result["apps"] = count
    print(f"  streaming {result['evaluated']:,} applications: {result['seconds']:.0f} s, peak RSS {result['peak_mb']:.0f} MB")
    return result


def _stream_child(url: str) -> None:
    import resource

    from followup import Engine, load_rulebook
    from followup.stores import open_store

    store = open_store(url, create=False)
    connection = _connection(store)
    engine = Engine(load_rulebook())
    evaluated = actions = 0
    last = ""
    start = time.perf_counter()
    while True:
        rows = connection.execute(
            _sql(store, "SELECT id FROM followup_applications WHERE id > ? ORDER BY id LIMIT ?"), (last, PAGE)
        ).fetchall()
        if not rows:
            break
        ids = [row[0] for row in rows]
        last = ids[-1]
        state = store.load_state(ids)
        actions += len(engine.evaluate(state, NOW).actions)
        evaluated += len(state.applications)
    seconds = time.perf_counter() - start
    peak_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    print(json.dumps({"evaluated": evaluated, "actions": actions, "seconds": seconds, "peak_mb": peak_kb / 1024}))


def _notes(report: Any) -> None:
    lines = []
    growth = {}
    for backend, times in report.ticks.items():
        if len(times) >= 2:
            smallest, largest = min(times), max(times)
            growth[backend] = times[largest] / times[smallest]
            lines.append(
                f"{backend}: from {smallest:,} to {largest:,} stored the tick went from {times[smallest] * 1000:.0f} ms "
                f"to {times[largest] * 1000:.0f} ms ({growth[backend]:.2f}x)."
            )
    report.tick_notes[:0] = [*lines, ""] if lines else []
    stream_notes(report)


def stream_notes(report: Any) -> None:
    """The sentences describing ``report.stream``."""
    if report.stream:
        s = report.stream
        reused = s.get("reused")
        report.stream["notes"] = [
            *(
                [f"The streaming figures come from a separate run, `python bench/scale.py stream {s['apps']} {reused}`:"]
                if reused
                else []
            ),
            f"Streaming: {s['evaluated']:,} applications read from SQLite in pages of {PAGE}, evaluated with the",
            f"default rulebook ({s['actions']:,} actions) and dropped, in {s['seconds']:.0f} s "
            f"({s['evaluated'] / s['seconds']:,.0f} applications/s); peak resident memory of the process",
            f"{s['peak_mb']:.0f} MB, interpreter and libraries included.",
        ]


def main(argv: list[str]) -> int:
    if argv[:1] == ["stream-child"]:
        _stream_child(argv[1])
        return 0
    import run

    report = run.Report()
    if argv[:1] == ["tick"]:
        measure(report, [int(a) for a in argv[1:]] or [10_000, 100_000], 0)
    elif argv[:1] == ["stream"]:
        measure(report, [], int(argv[1]) if len(argv) > 1 else 100_000)
        if len(argv) > 2:
            Path(argv[2]).write_text(json.dumps(report.stream, indent=1) + "\n", encoding="utf-8")
    else:
        print(__doc__)
        return 2
    print("\n".join(run._scale_section(report)))
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
