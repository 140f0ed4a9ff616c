"""Run every followup benchmark side by side and write docs/benchmarks.md and its plot.

Usage (from the repository root, with ``pip install -e '.[bench]'``)::

    python bench/run.py                 # everything; regenerates docs/benchmarks.md + .png
    python bench/run.py --quick         # smaller sizes, fewer runs; prints, writes nothing
    python bench/run.py --help

All five implementations of the reference rules R1-R4 (followup, hand-written
Python, business-rules, rule-engine, zen-engine) run on the same seeded workload in
the same process, and the run stops with exit code 1 if their action sets differ.
Throughput is applications per second, the median of several interleaved runs;
every ratio is to hand-written Python measured in the same run.
"""

from __future__ import annotations

import argparse
import dataclasses
import datetime as dt
import gc
import json
import os
import platform
import statistics
import subprocess
import sys
import time
import tracemalloc
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
if str(BENCH) not in sys.path:
    sys.path.insert(0, str(BENCH))

import workload  # noqa: E402

ActionKey = tuple[str, str, str, str]
Evaluate = Callable[[Iterable[Any], dt.datetime], set[ActionKey]]

REFERENCE_RULES = BENCH / "reference_rules.yaml"
#: every implementation of R1-R4, in the order the report lists them
PEERS = ("hand-written", "followup", "business-rules", "rule-engine", "zen-engine")
PENDING = ("due", "overdue")

# Targets from the issue
TARGET_RATIO = 0.5
TARGET_DEFAULT_RATE = 10_000.0
TARGET_COMPILE_MS = 50.0
TARGET_TICK_GROWTH = 2.0
TARGET_STREAM_MB = 500.0


# ---------------------------------------------------------------------------
# The five implementations
# ---------------------------------------------------------------------------


def followup_evaluator(rulebook: Any = None) -> Evaluate:
    """The followup engine with ``rulebook`` (the reference rules by default) as an evaluate function."""
    from followup import Engine, load_rulebook

    engine = Engine(rulebook if rulebook is not None else load_rulebook(REFERENCE_RULES))

    def evaluate(states: Iterable[Any], now: dt.datetime) -> set[ActionKey]:
        actions: set[ActionKey] = set()
        add = actions.add
        for state in states:
            for action in engine.evaluate(state, now).actions:
                if action.status in PENDING:
                    add((action.rule, action.application or "", action.interview or "", action.recipient or ""))
        return actions

    return evaluate


def implementations() -> dict[str, Evaluate | str]:
    """Name -> evaluate function, or the reason it cannot run (a peer not installed)."""
    import handwritten

    found: dict[str, Evaluate | str] = {"hand-written": handwritten.evaluate, "followup": followup_evaluator()}
    try:
        import peer_business_rules

        found["business-rules"] = peer_business_rules.evaluate
    except ImportError as exc:
        found["business-rules"] = f"not installed ({exc}); pip install -e '.[bench]'"
    try:
        import peer_rule_engine

        found["rule-engine"] = peer_rule_engine.evaluate
    except ImportError as exc:
        found["rule-engine"] = f"not installed ({exc}); pip install -e '.[bench]'"
    try:
        import peer_zen_engine

        found["zen-engine"] = peer_zen_engine.evaluate
    except ImportError as exc:
        found["zen-engine"] = f"not installed ({exc}); pip install -e '.[bench]'"
    return found


def disagreements(results: dict[str, set[ActionKey]], reference: str = "hand-written") -> list[str]:
    """What each implementation adds or misses compared with ``reference``; empty when all agree."""
    lines = []
    base = results[reference]
    for name, found in results.items():
        extra, missing = sorted(found - base), sorted(base - found)
        if extra or missing:
            lines.append(f"{name}: {len(extra)} actions {reference} does not have {extra[:5]}, misses {len(missing)} {missing[:5]}")
    return lines


# ---------------------------------------------------------------------------
# Measuring
# ---------------------------------------------------------------------------


def _seconds(function: Callable[[], Any]) -> float:
    gc.collect()
    start = time.perf_counter()
    function()
    return time.perf_counter() - start


def _peak_bytes(function: Callable[[], Any]) -> int:
    gc.collect()
    tracemalloc.start()
    try:
        function()
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


@dataclass
class Report:
    """Everything measured in one run; rendered into docs/benchmarks.md."""

    machine: dict[str, str] = field(default_factory=dict)
    apps: int = 0
    runs: int = 0
    load_seconds: float = 0.0
    action_counts: dict[str, int] = field(default_factory=dict)
    agree: bool = False
    skipped: dict[str, str] = field(default_factory=dict)
    throughput: dict[str, float] = field(default_factory=dict)
    peak_mb: dict[str, float] = field(default_factory=dict)
    reference_compile_ms: float = 0.0
    compile_ms: float = 0.0
    compile_cold_ms: float = 0.0
    default_throughput: float = 0.0
    default_peak_mb: float = 0.0
    default_statuses: dict[str, int] = field(default_factory=dict)
    cli_ms: float = 0.0
    python_ms: float = 0.0
    cli_modules: int = 0
    cli_profile: list[str] = field(default_factory=list)
    profile: list[str] = field(default_factory=list)
    default_profile: list[str] = field(default_factory=list)
    ticks: dict[str, dict[int, float]] = field(default_factory=dict)
    tick_notes: list[str] = field(default_factory=list)
    tick_profile: list[str] = field(default_factory=list)
    tick_profile_size: int = 0
    command: str = ""
    stream: dict[str, Any] = field(default_factory=dict)
    #: bench/loading.py, bench/startup.py, bench/dispatch_rate.py (see speed_figures)
    loading: dict[str, Any] = field(default_factory=dict)
    startup: dict[str, Any] = field(default_factory=dict)
    dispatch: dict[str, Any] = field(default_factory=dict)
    dispatch_pg: dict[str, Any] = field(default_factory=dict)


def machine() -> dict[str, str]:
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    try:
        commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True, check=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        commit = "unknown"
    import followup

    return {
        "cpu": cpu,
        "cores": str(os.cpu_count()),
        "python": f"{platform.python_implementation()} {platform.python_version()}",
        "os": f"{platform.system()} {platform.release()}",
        "followup": f"{followup.__version__} (commit {commit})",
        "date": dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "load average at the start (1, 5, 15 min)": ", ".join(f"{v:.2f}" for v in os.getloadavg()),
    }


def reference_rules(report: Report, states: list[Any], runs: int) -> None:
    """R1-R4 five ways: same actions, throughput, ratio to hand-written, peak memory."""
    now = workload.NOW
    engines = implementations()
    runnable: dict[str, Evaluate] = {}
    for name, value in engines.items():
        if isinstance(value, str):
            report.skipped[name] = value
            print(f"  {name}: skipped, {value}")
        else:
            runnable[name] = value
    results = {name: evaluate(states, now) for name, evaluate in runnable.items()}
    problems = disagreements(results)
    if problems:
        print("The implementations disagree on the reference rules:", *problems, sep="\n  ", file=sys.stderr)
        raise SystemExit(1)
    report.agree = True
    report.action_counts = dict(sorted(Counter(key[0] for key in results["hand-written"]).items()))
    print(f"  all {len(runnable)} agree: {len(results['hand-written'])} actions {report.action_counts}")
    timings: dict[str, list[float]] = {name: [] for name in runnable}
    for round_number in range(runs):
        for name, evaluate in runnable.items():
            timings[name].append(_seconds(lambda evaluate=evaluate: evaluate(states, now)))
        print(f"  run {round_number + 1}/{runs}: " + ", ".join(f"{n} {report.apps / t[-1]:,.0f}/s" for n, t in timings.items()))
    for name, values in timings.items():
        report.throughput[name] = report.apps / statistics.median(values)
    for name, evaluate in runnable.items():
        report.peak_mb[name] = _peak_bytes(lambda evaluate=evaluate: evaluate(states, now)) / 2**20


def profile_followup(states: list[Any], top: int = 12, rulebook: Any = None) -> list[str]:
    """Where the followup engine spends its time on R1-R4 (or ``rulebook``): the top functions by own time."""
    import cProfile
    import pstats

    evaluate = followup_evaluator(rulebook)
    profiler = cProfile.Profile()
    profiler.enable()
    evaluate(states, workload.NOW)
    profiler.disable()
    stats = pstats.Stats(profiler)
    total = sum(entry[2] for entry in stats.stats.values())  # type: ignore[attr-defined]
    rows = sorted(stats.stats.items(), key=lambda item: item[1][2], reverse=True)[:top]  # type: ignore[attr-defined]
    lines = []
    for (filename, line, function), (_, calls, own, cumulative, _) in rows:
        where = filename.split("/src/", 1)[-1] if "/src/" in filename else Path(filename).name
        lines.append(f"| `{function}` ({where}:{line}) | {calls:,} | {100 * own / total:.1f}% | {100 * cumulative / total:.1f}% |")
    return lines


def default_rulebook(report: Report, states: list[Any], runs: int) -> None:
    """Compile time of the default rulebook, and its throughput on the workload."""
    from followup import Engine, load_rulebook

    compile_times = [_seconds(lambda: load_rulebook("default")) for _ in range(max(runs * 2, 10))]
    report.compile_ms = statistics.median(compile_times) * 1000
    report.reference_compile_ms = statistics.median(
        _seconds(lambda: load_rulebook(REFERENCE_RULES)) for _ in range(max(runs * 2, 10))
    ) * 1000
    cold = []
    for _ in range(3):
        code = (
            "import time; from followup.rules import get_vocabulary; get_vocabulary();"
            "from followup import load_rulebook; t = time.perf_counter(); load_rulebook('default');"
            "print(time.perf_counter() - t)"
        )
        out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
        cold.append(float(out.strip()) * 1000)
    report.compile_cold_ms = statistics.median(cold)
    engine = Engine(load_rulebook("default"))
    now = workload.NOW

    def run() -> Counter[str]:
        statuses: Counter[str] = Counter()
        for state in states:
            for action in engine.evaluate(state, now).actions:
                statuses[action.status] += 1
        return statuses

    report.default_statuses = dict(run())
    report.default_profile = profile_followup(states, rulebook=load_rulebook("default"))
    times = [_seconds(run) for _ in range(runs)]
    report.default_throughput = report.apps / statistics.median(times)
    report.default_peak_mb = _peak_bytes(run) / 2**20


def cli_startup(report: Report, runs: int) -> None:
    """Whole-process time of ``followup agenda`` on the shipped example, and of ``python -c pass``."""
    import shutil

    script = shutil.which("followup") or str(Path(sys.executable).with_name("followup"))
    example = str(ROOT / "examples" / "job-search.yaml")
    agenda = [script, "agenda", example, "--now", "2026-11-30T09:30:00+01:00"]
    floor = [sys.executable, "-c", "pass"]
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}  # bytecode kept, as installed
    subprocess.run(agenda, capture_output=True, check=True, env=env)  # warm the file cache and bytecode

    def once(command: list[str]) -> float:
        start = time.perf_counter()
        subprocess.run(command, capture_output=True, check=True, env=env)
        return time.perf_counter() - start

    count = max(runs * 2, 10)
    agenda_times, floor_times = [], []
    for _ in range(count):
        agenda_times.append(once(agenda))
        floor_times.append(once(floor))
    report.cli_ms = statistics.median(agenda_times) * 1000
    report.python_ms = statistics.median(floor_times) * 1000
    argv = ["followup", "agenda", example, "--now", "2026-11-30T09:30:00+01:00"]
    code = "\n".join(
        [
            "import atexit, sys",
            "before = len(sys.modules)",
            "atexit.register(lambda: print(len(sys.modules) - before, file=sys.stderr))",
            f"sys.argv = {argv!r}",
            "from followup.cli import main",
            "main()",
        ]
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    try:
        report.cli_modules = int(done.stderr.strip().splitlines()[-1])
    except (ValueError, IndexError):
        report.cli_modules = 0
    report.cli_profile = cli_profile(argv)


def cli_profile(argv: list[str], top: int = 12) -> list[str]:
    """Where a fresh ``followup agenda`` process spends its time: the followup functions by cumulative time."""
    import pstats
    import tempfile

    with tempfile.TemporaryDirectory() as scratch:
        output = str(Path(scratch) / "cli.prof")
        code = "\n".join(
            [
                "import cProfile, sys",
                f"sys.argv = {argv!r}",
                "profiler = cProfile.Profile()",
                "profiler.enable()",
                "try:",
                "    from followup.cli import main",
                "    main()",
                "except SystemExit:",
                "    pass",
                "profiler.disable()",
                f"profiler.dump_stats({output!r})",
            ]
        )
        subprocess.run([sys.executable, "-c", code], capture_output=True, check=True)
        stats = pstats.Stats(output).stats  # type: ignore[attr-defined]
    total = max(entry[3] for entry in stats.values())
    rows = sorted(
        ((key, entry) for key, entry in stats.items() if "/followup/" in key[0] and key[2] not in ("<module>", "main")),
        key=lambda item: item[1][3],
        reverse=True,
    )[:top]
    lines = []
    for (filename, line, function), (_, calls, _own, cumulative, _) in rows:
        where = "followup/" + filename.split("/followup/", 1)[1]
        lines.append(f"| `{function}` ({where}:{line}) | {calls:,} | {cumulative * 1000:.0f} ms | {100 * cumulative / total:.0f}% |")
    return lines


# ---------------------------------------------------------------------------
# Load + evaluate, start-up, the dispatcher's rate (bench/loading.py, startup.py, dispatch_rate.py)
# ---------------------------------------------------------------------------


def speed_figures(report: Report, apps: int, runs: int, dispatch_apps: int) -> None:
    """Fill ``report.loading``, ``.startup``, ``.dispatch`` and ``.dispatch_pg``, each measured beside its peer."""
    import dispatch_rate
    import loading
    import startup

    report.loading = loading.measure(min(apps, 5000), runs)
    print(f"  load + evaluate {report.loading['ratio']:.2f}x hand-written")
    figures = startup.measure(max(runs * 2, 10))
    figures["imports"] = [list(row) for row in figures["imports"]]
    report.startup = figures
    print(f"  followup agenda {figures['ratio']:.1f}x python -c pass")
    report.dispatch = dispatch_rate.measure(dispatch_apps, profile=True)
    print(f"  {report.dispatch['rate']:.0f} deliveries/s (SQLite, one worker)")
    report.dispatch_pg = dispatch_rate.postgres_workers(dispatch_apps) or {}
    if report.dispatch_pg:
        print(f"  two PostgreSQL workers {report.dispatch_pg['speedup']:.2f}x one")


def _speed_targets(report: Report) -> list[str]:
    from dispatch_rate import TARGET_PG_SPEEDUP, TARGET_RATE
    from loading import TARGET_LOAD_RATIO
    from startup import TARGET_STARTUP_RATIO

    rows = []
    if report.loading:
        ratio = report.loading["ratio"]
        rows.append(f"| load + evaluate at least {TARGET_LOAD_RATIO}x hand-written parsing + evaluating | {ratio:.2f}x | {_met(ratio >= TARGET_LOAD_RATIO)} |")
    if report.startup:
        ratio = report.startup["ratio"]
        rows.append(f"| `followup agenda` within {TARGET_STARTUP_RATIO:.0f}x `python -c pass` | {ratio:.1f}x | {_met(ratio <= TARGET_STARTUP_RATIO)} |")
    if report.dispatch:
        rate = report.dispatch["rate"]
        rows.append(f"| at least {TARGET_RATE:.0f} deliveries/s to the outbox, one worker, SQLite | {rate:.0f}/s | {_met(rate >= TARGET_RATE)} |")
    if report.dispatch_pg:
        speedup = report.dispatch_pg["speedup"]
        rows.append(f"| two PostgreSQL workers at least {TARGET_PG_SPEEDUP}x one | {speedup:.2f}x | {_met(speedup >= TARGET_PG_SPEEDUP)} |")
    elif report.dispatch:
        rows.append(f"| two PostgreSQL workers at least {TARGET_PG_SPEEDUP}x one | not measured (no FOLLOWUP_TEST_POSTGRES_URL) | |")
    return rows


def _speed_sections(report: Report) -> list[str]:
    lines: list[str] = []
    if report.loading:
        figures = report.loading
        lines += [
            "",
            "## Load + evaluate",
            "",
            "What an embedding tool pays for a state it holds as a dict: `load_state(document)`",
            "(schema check, then the model) and `Engine.evaluate`, next to building the same",
            "model objects by hand (`datetime.fromisoformat`, no checks) and running the",
            "hand-written R1-R4 (`bench/loading.py`; both find the same actions):",
            "",
            "| | applications/s |",
            "| --- | ---: |",
            f"| hand-written parsing + evaluating | {figures['hand-written apps/s']:,.0f} |",
            f"| followup `load_state` + `evaluate` | {figures['followup apps/s']:,.0f} ({figures['ratio']:.2f}x) |",
            f"| followup `load_state` alone | {figures['load apps/s']:,.0f} |",
            f"| followup `evaluate` alone | {figures['evaluate apps/s']:,.0f} |",
            "",
            f"Loading costs {figures['load / evaluate']:.1f}x evaluating. A valid document is checked by",
            "the schema's generated checker (`followup.state._checker`); `jsonschema` runs only",
            "for an invalid one, to word and place its errors.",
        ]
    if report.startup:
        figures = report.startup
        lines += [
            "",
            "## Start-up, imports left",
            "",
            f"`bench/startup.py`: `followup agenda` {figures['agenda ms']:.0f} ms against `python -c pass`",
            f"{figures['python ms']:.0f} ms ({figures['ratio']:.1f}x), medians of interleaved runs with the",
            f"holiday dates kept on disk; a first run, without them, took {figures['agenda ms without the holiday cache']:.0f} ms.",
            "The imports that take longest by their own time (`python -X importtime`):",
            "",
            "| module | own | with what it imports |",
            "| --- | ---: | ---: |",
            *(f"| `{name}` | {own:.1f} ms | {cumulative:.1f} ms |" for name, own, cumulative in figures["imports"]),
        ]
    if report.dispatch:
        figures = report.dispatch
        lines += [
            "",
            "## Deliveries per second",
            "",
            f"`bench/dispatch_rate.py`: {figures['applications']:,} due applications in a SQLite store, the",
            "default rulebook, every medium routed to the file outbox, one worker until nothing",
            f"is due: {figures['delivered']:,} deliveries in {figures['seconds']:.1f} s, **{figures['rate']:.0f} per second**.",
        ]
        if report.dispatch_pg:
            pg = report.dispatch_pg
            lines += [
                f"On PostgreSQL, one worker: {pg['1 rate']:.0f} per second; two worker processes on the same",
                f"data: {pg['2 rate']:.0f} per second together ({pg['speedup']:.2f}x).",
            ]
        lines += [
            "",
            "Where one worker spends its time (cProfile of the dispatcher's thread; rendering,",
            "checking and writing the file happen in its courier thread, inside `_deliver`):",
            "",
            "| function | calls | share |",
            "| --- | ---: | ---: |",
            *figures.get("profile", []),
        ]
    return lines


# ---------------------------------------------------------------------------
# Report
# ---------------------------------------------------------------------------


def _met(ok: bool) -> str:
    return "met" if ok else "**missed**"


def render(report: Report) -> str:
    hand = report.throughput.get("hand-written", 0.0)
    lines = [
        "# Benchmarks",
        "",
        "<!-- Generated by `python bench/run.py`; edit bench/run.py, not this file. -->",
        "",
        "How fast followup evaluates rules next to the alternatives a developer has, how",
        "long a command takes to start, and how the dispatcher's cost grows with what is",
        "stored. Regenerate this page and its plot with one command from the repository",
        "root:",
        "",
        "```sh",
        "pip install -e '.[bench]'   # business-rules, rule-engine, zen-engine and matplotlib",
        "python bench/run.py",
        "```",
        "",
        "`python bench/run.py --quick` runs smaller sizes and prints the figures without",
        "writing anything; `--help` lists the sizes and run counts that can be changed.",
        f"This page was written by `{report.command}`.",
        "",
        "## Machine",
        "",
        *(f"- {name}: {value}" for name, value in report.machine.items()),
        "",
        "## Targets",
        "",
        "| target | measured | |",
        "| --- | --- | --- |",
    ]
    ratio = report.throughput.get("followup", 0.0) / hand if hand else 0.0
    lines.append(f"| R1-R4: followup at least {TARGET_RATIO}x hand-written | {ratio:.2f}x | {_met(ratio >= TARGET_RATIO)} |")
    zen = report.throughput.get("zen-engine")
    if zen:
        ahead = report.throughput.get("followup", 0.0) / zen
        lines.append(f"| R1-R4: followup ahead of zen-engine | {ahead:.2f}x zen-engine ({zen / hand:.2f}x hand-written) | {_met(ahead > 1)} |")
    lines.append(
        f"| default rulebook: at least {TARGET_DEFAULT_RATE:,.0f} applications/s | {report.default_throughput:,.0f}/s | "
        f"{_met(report.default_throughput >= TARGET_DEFAULT_RATE)} |"
    )
    lines.append(f"| default rulebook compiles in under {TARGET_COMPILE_MS:.0f} ms | {report.compile_ms:.1f} ms | {_met(report.compile_ms < TARGET_COMPILE_MS)} |")
    growth = _tick_growth(report)
    if growth:
        for backend, value in growth.items():
            lines.append(f"| {backend}: tick at 1 M stored within {TARGET_TICK_GROWTH:.0f}x of 10 k | {value:.2f}x | {_met(value <= TARGET_TICK_GROWTH)} |")
    else:
        lines.append(f"| tick at 1 M stored within {TARGET_TICK_GROWTH:.0f}x of 10 k | {_tick_estimate(report)} | {'**missed** (extrapolated)' if len(report.ticks.get('SQLite', {})) >= 2 else 'not measured'} |")
    lines += _speed_targets(report)
    if report.stream.get("peak_mb") is not None:
        peak = report.stream["peak_mb"]
        lines.append(f"| streaming {report.stream['apps']:,} applications under {TARGET_STREAM_MB:.0f} MB | {peak:.0f} MB | {_met(peak < TARGET_STREAM_MB)} |")
    else:
        lines.append(f"| streaming 1 M applications under {TARGET_STREAM_MB:.0f} MB | not measured | see below |")
    lines += _missed(report)
    lines += [
        "",
        "## The workload",
        "",
        f"`bench/workload.py` generates {report.apps:,} applications (seed 7), evaluated at",
        f"{workload.NOW.isoformat()}: one to four applications per candidate, candidates in",
        "twelve time zones, every timestamp written in one of eight employer offsets, 1-3",
        "interviews with 1-4 interviewers, 0-6 log entries, mixed statuses, and about 10% of",
        "the timestamps exactly on or one minute either side of a threshold of R1-R4. Loading",
        f"and validating it took {report.load_seconds:.1f} s; that is not part of any figure below.",
        "Print a sample with `python bench/workload.py 3`.",
        "",
        "## Reference rules R1-R4, five ways",
        "",
        "`bench/reference_rules.yaml` (a followup rulebook), `bench/handwritten.py`,",
        "`bench/peer_business_rules.py`, `bench/peer_rule_engine.py` and",
        "`bench/peer_zen_engine.py` (GoRules' ZEN engine, written in Rust: one compiled ZEN",
        "expression per application) implement:",
        "",
        "- **R1** a thank-you note to each interviewer of every interview that ended within the",
        "  last two calendar days (today or yesterday), unless a thank-you note to that",
        "  interviewer for that interview is logged;",
        "- **R2** a status call while `interviewing`, once the latest interview that has ended",
        "  ended at least 7 x 24 hours ago, unless a status call was logged after it;",
        "- **R3** R2 is held back when the application had two or more contacts, of any kind, in",
        "  the 7 x 24 hours before now;",
        "- **R4** the follow-up the employer asked for, once `follow_up_requested_on` is today",
        "  or earlier, unless a contact was logged since that day began (not subject to R3).",
        "",
        "An action is identified by rule, application, interview and recipient; the set",
        "compared is every action that is due or overdue. Where the issue leaves a choice,",
        "all five implementations make the same one:",
        "",
        "- a *contact* is an outbound entry of the log (what the candidate did, of any kind)",
        "  logged at or before now; entries logged after now have not happened yet;",
        "- *after* and *since* are strict (a contact at exactly the start of the requested",
        "  day does not settle R4), *at least 7 x 24 hours* includes the instant itself, and",
        "  R3's week is the 168 hours up to and including now;",
        "- R2's *latest interview* is the latest of those that have ended by now (one still",
        "  ahead does not count yet);",
        "- R4 applies whatever the application's status (the issue names none).",
        "",
        f"On {report.apps:,} applications all implementations produced exactly the same",
        f"{sum(report.action_counts.values()):,} actions ({', '.join(f'{k}: {v:,}' for k, v in report.action_counts.items())}).",
        "The test suite checks the same on 500 applications (`tests/test_bench_equivalence.py`).",
        "",
        f"Median of {report.runs} interleaved runs over the whole workload:",
        "",
        "| implementation | applications/s | ratio to hand-written | peak memory (tracemalloc) |",
        "| --- | ---: | ---: | ---: |",
    ]
    for name in PEERS:
        if name in report.throughput:
            value = report.throughput[name]
            lines.append(f"| {name} | {value:,.0f} | {value / hand:.3f}x | {report.peak_mb[name]:.1f} MB |")
        elif name in report.skipped:
            lines.append(f"| {name} | skipped: {report.skipped[name]} | | |")
    peers = {n: report.throughput[n] for n in PEERS[2:] if n in report.throughput}
    if "followup" in report.throughput and peers:
        lines += ["", "followup is " + ", ".join(f"{report.throughput['followup'] / v:.1f}x as fast as {n}" for n, v in peers.items()) + "."]
    lines += [
        "",
        "Peak memory is what one evaluation of the whole workload allocates on top of the",
        "loaded states (the result included).",
        "",
        "The followup figure is the whole engine: every action it finds gets a status",
        "(`upcoming`, `due`, `overdue`, `suppressed` or `done`), a stable key, a reason in",
        "words and a wake-up time, and the agenda is sorted; the other three only collect the",
        "keys of the actions that are due. Where the engine spends its time on R1-R4",
        "(cProfile, share of the total):",
        "",
        "| function | calls | own time | with callees |",
        "| --- | ---: | ---: | ---: |",
        *report.profile,
        "",
        *_ratio_gap(report),
        "### What the DSL cannot say",
        "",
        "The issue defines R1's two calendar days in UTC. A followup rulebook counts calendar",
        "days and pins a time of day (`plus: {days: n}`, `time: \"00:00\"`) on the *candidate's*",
        "wall clock, and has no way to name another zone; for a candidate outside UTC the",
        "start of a UTC day is not a moment a rule can express. Rather than approximate, all",
        "five implementations count R1's calendar days, and R4's \"today\", in the candidate's",
        "zone, the zone in which the state format reads plain dates such as",
        "`follow_up_requested_on` (for the workload's UTC candidates this is exactly the",
        "issue's R1). What would be needed for the literal R1: a `zone:` key on a moment, for",
        "example `{at: interview.ended_at, plus: {days: 2}, time: \"00:00\", zone: UTC}`.",
        "",
        "R3 is written as a cap (`max: 2` `within: {hours: 168}` per application). Caps count",
        "what the candidate sent, which is why a contact means an outbound entry in all five",
        "implementations; R2 gets priority 1 so that it meets the cap before any other action",
        "of the same evaluation is counted as sent.",
        "",
        "## The default rulebook",
        "",
        f"- compile (parse, validate against the schema, compile), warm: **{report.compile_ms:.1f} ms**",
        f"  median; in a fresh process after the plugins are loaded: {report.compile_cold_ms:.1f} ms;",
        f"  the four-rule reference rulebook: {report.reference_compile_ms:.1f} ms;",
        f"- throughput on the same workload: **{report.default_throughput:,.0f} applications/s**",
        f"  ({report.default_throughput / hand:.3f}x the hand-written R1-R4, which do far less),",
        f"  peak memory {report.default_peak_mb:.1f} MB;",
        "- statuses found: " + ", ".join(f"{k} {v:,}" for k, v in sorted(report.default_statuses.items())) + ".",
        "",
        "No peer implements the default rulebook; this figure is tracked from run to run.",
        *(
            [
                "Where the engine spends its time on it (cProfile, share of the total):",
                "",
                "| function | calls | own time | with callees |",
                "| --- | ---: | ---: | ---: |",
                *report.default_profile,
            ]
            if report.default_profile
            else []
        ),
        "",
        "## Command-line start-up",
        "",
        "Whole-process wall time, median of repeated runs:",
        "",
        "| command | time |",
        "| --- | ---: |",
        f"| `python -c pass` | {report.python_ms:.0f} ms |",
        f"| `followup agenda examples/job-search.yaml --now 2026-11-30T09:30:00+01:00` | {report.cli_ms:.0f} ms |",
        "",
        f"followup adds {report.cli_ms - report.python_ms:.0f} ms over the bare interpreter, importing",
        f"{report.cli_modules} modules. `followup/__init__.py` imports nothing until a name is",
        "used, and every command imports what it needs inside its function. Where the",
        "time goes in one such process (cProfile, so slower than the figure above; the",
        "followup functions with the largest time including callees, imports included):",
        "",
        "| function | calls | with callees | share |",
        "| --- | ---: | ---: | ---: |",
        *report.cli_profile,
        "",
        "## The dispatcher's tick and streaming from the store",
        "",
    ]
    lines += _scale_section(report)
    lines += _speed_sections(report)
    lines += [
        "",
        "## Plot",
        "",
        "![Tick time against stored applications, and throughput against the peers](benchmarks.png)",
        "",
    ]
    return "\n".join(lines)


def _missed(report: Report) -> list[str]:
    """For every target missed: by how much, and what the profile in its section shows."""
    from dispatch_rate import TARGET_PG_SPEEDUP, TARGET_RATE
    from loading import TARGET_LOAD_RATIO
    from startup import TARGET_STARTUP_RATIO

    notes = []
    hand = report.throughput.get("hand-written", 0.0)
    mine = report.throughput.get("followup", 0.0)
    if hand and mine / hand < TARGET_RATIO:
        notes.append(
            f"- **R1-R4**: {mine / hand:.2f}x hand-written, {TARGET_RATIO / (mine / hand):.1f}x short of {TARGET_RATIO}x. "
            "The time is spread over work the hand-written code does not do (views as of now, "
            "`next_wake_at`, keys, statuses, `Action` objects, caps, sorting): see *Reference rules R1-R4*."
        )
    zen = report.throughput.get("zen-engine")
    if zen and mine < zen:
        notes.append(f"- **zen-engine**: followup runs at {mine / zen:.2f}x its speed; it would have to become {zen / mine:.1f}x faster.")
    if report.default_throughput and report.default_throughput < TARGET_DEFAULT_RATE:
        notes.append(
            f"- **default rulebook**: {report.default_throughput:,.0f} applications/s, {TARGET_DEFAULT_RATE / report.default_throughput:.1f}x "
            f"short of {TARGET_DEFAULT_RATE:,.0f}. It finds about "
            f"{sum(report.default_statuses.values()) / max(report.apps, 1):.1f} actions per application (R1-R4: "
            f"{sum(report.action_counts.values()) / max(report.apps, 1):.1f}); the profile under *The default rulebook* "
            "shows no single hot spot: the generated function per application, settling each action "
            "(`_settle`: done by hand, `done_when`, caps) and building it (`_action`) take most, then "
            "business-day arithmetic for its windows."
        )
    if report.loading and report.loading["ratio"] < TARGET_LOAD_RATIO:
        notes.append(
            f"- **load + evaluate**: {report.loading['ratio']:.2f}x, {TARGET_LOAD_RATIO / report.loading['ratio']:.2f}x short of "
            f"{TARGET_LOAD_RATIO}x; loading costs {report.loading['load / evaluate']:.1f}x evaluating (instants parsed one by "
            "one, with the checks a hand-written parser leaves out)."
        )
    if report.startup and report.startup["ratio"] > TARGET_STARTUP_RATIO:
        figures = report.startup
        imported = "The profile under *Command-line start-up* shows where it goes"
        if "import ms" in figures:
            imported = (
                f"Imports take {figures['import ms']:.0f} ms of it ({figures['modules']} modules, measured with "
                f"`-X importtime`; followup's own modules {figures['followup import ms']:.0f} ms of that: the model's "
                "and the compiler's dataclasses, the rule vocabulary); the profile under *Command-line start-up* shows the rest"
            )
        notes.append(
            f"- **start-up**: {figures['ratio']:.1f}x `python -c pass`, {figures['ratio'] / TARGET_STARTUP_RATIO:.1f}x over "
            f"{TARGET_STARTUP_RATIO:.0f}x ({figures['agenda ms']:.0f} ms against {figures['python ms']:.0f} ms). {imported}: "
            "finding the plugins' entry points (`importlib.metadata`), reading the rulebook with the positions "
            "its error messages need, compiling it, and rich laying out the table."
        )
    if report.dispatch and report.dispatch["rate"] < TARGET_RATE:
        notes.append(
            f"- **deliveries per second**: {report.dispatch['rate']:.0f}/s, {TARGET_RATE / report.dispatch['rate']:.1f}x short of "
            f"{TARGET_RATE:.0f}/s. About half of a worker's time is the courier (rendering the message, checking "
            "its spelling, building the email, writing the file with fsync); most of the other half is "
            "loading and evaluating the application again, under its lock, before each claim, so that "
            "a claim always sees what was recorded a moment earlier (see *Deliveries per second*)."
        )
    if report.dispatch_pg and report.dispatch_pg["speedup"] < TARGET_PG_SPEEDUP:
        notes.append(
            f"- **two PostgreSQL workers**: {report.dispatch_pg['speedup']:.2f}x one, {TARGET_PG_SPEEDUP / report.dispatch_pg['speedup']:.2f}x "
            f"short of {TARGET_PG_SPEEDUP}x. This machine has {report.machine.get('cores', '?')} cores, and the "
            "PostgreSQL server runs on them too: two workers and the server's two backends share them."
        )
    if not notes:
        return []
    return ["", "Targets missed, by how much, and what the profile shows:", "", *notes]


def _ratio_gap(report: Report) -> list[str]:
    """What the R1-R4 figure means when the 0.5x target is missed."""
    hand = report.throughput.get("hand-written")
    mine = report.throughput.get("followup")
    if not hand or not mine or mine / hand >= TARGET_RATIO:
        return []
    ratio = mine / hand
    zen = report.throughput.get("zen-engine")
    versus = ""
    if zen:
        versus = f", and it runs at {mine / zen:.2f}x zen-engine ({'ahead' if mine > zen else 'behind'})"
    return [
        f"**The {TARGET_RATIO}x target is missed**: followup runs at {ratio:.2f}x hand-written, so it would",
        f"have to become {TARGET_RATIO / ratio:.1f}x faster{versus}.",
        "The rulebook is compiled to Python now (`followup rules compile --show` prints it):",
        "the fan-out, the conditions and the moments of every rule are one generated",
        "function per application, each part of a condition tested once in the outermost",
        "loop it reads, facts and moments kept in locals; and reasons are written only when",
        "read. What the profile above shows is left is the work the engine does and the",
        "hand-written code does not: per state, the views of each application as of now",
        "(the log cut at now, the replies applied) and the instants at which anything will",
        "change by itself (`next_wake_at`); per interview, R1's expiry counted on the",
        "candidate's wall clock through the time-zone database (`add_days`, `at_clock`),",
        "where the hand-written code compares with one instant worked out once per state;",
        "per action, the `done_when` look-up in the log, the cap ledger (`_tally`), a key, a",
        "status, an `Action`; and sorting the agenda. Each is a few per cent: closing the",
        "gap needs the engine to answer a narrower question (the keys that are due, without",
        "the agenda around them), not a faster version of the same work.",
        "",
    ]


def _tick_estimate(report: Report) -> str:
    """For a run that could not reach 1 M stored: what the measured growth predicts."""
    times = report.ticks.get("SQLite", {})
    if len(times) < 2:
        return "not measured"
    small, large = min(times), max(times)
    per_stored = (times[large] - times[small]) / (large - small)
    estimate = times[large] + per_stored * (1_000_000 - large)
    return (
        f"not run; the tick grew {times[large] / times[small]:.1f}x from {small:,} to {large:,} stored, "
        f"which puts 1 M at about {estimate:,.0f} s ({estimate / times[large]:.0f}x the {large:,} figure)"
    )


def _tick_growth(report: Report) -> dict[str, float]:
    growth = {}
    for backend, times in report.ticks.items():
        if times and min(times) <= 10_000 and max(times) >= 1_000_000:
            growth[backend] = times[max(times)] / times[min(times)]
    return growth


def _scale_section(report: Report) -> list[str]:
    lines: list[str] = []
    if report.ticks:
        sizes = sorted({size for times in report.ticks.values() for size in times})
        lines += [
            "Time of one dispatcher tick that finds 100 applications due among the stored ones",
            "(median of repeated ticks):",
            "",
            "| stored | " + " | ".join(report.ticks) + " |",
            "| ---: | " + " | ".join("---:" for _ in report.ticks) + " |",
        ]
        for size in sizes:
            cells = [f"{report.ticks[b][size] * 1000:.1f} ms" if size in report.ticks[b] else "" for b in report.ticks]
            lines.append(f"| {size:,} | " + " | ".join(cells) + " |")
        lines.append("")
    lines += report.tick_notes
    growth = {b: t[max(t)] / t[min(t)] for b, t in report.ticks.items() if len(t) >= 2}
    if any(g > TARGET_TICK_GROWTH for g in growth.values()) and any("_load" in row for row in report.tick_profile):
        lines += [
            "",
            "**The tick does not stay flat**: its cost grows with what is stored although only",
            "100 applications are due. The profile below shows why: for each due application",
            "the dispatcher's `_load` asks the store for that application *and every stored",
            "application at the offer stage* (their heads, for the competing-offer facts),",
            "three times (before taking the lock, under it, and to set the next wake-up), and",
            "the engine evaluates every rule over all of them twice. The number of offers grows",
            "with the store, so each due application costs more as the store grows. What would",
            "make it flat: the store keeping the pending offers that matter (the newest per",
            "priority) as a small precomputed set, loading them once per tick rather than",
            "three times per application, and the engine evaluating only the rules of the due",
            "application while reading the others as facts.",
        ]
    if report.tick_profile:
        lines += [
            "",
            f"Where one tick with 100 due among {report.tick_profile_size:,} stored spends its time (cProfile,",
            "followup functions by time including their callees, share of the whole tick):",
            "",
            "| function | calls | with callees |",
            "| --- | ---: | ---: |",
            *report.tick_profile,
        ]
    if report.stream:
        lines += ["", *report.stream.get("notes", [])]
    elif not report.ticks:
        lines += ["Not measured in this run (`--no-scale`)."]
    return lines


def plot(report: Report, path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    figure, (left, right) = plt.subplots(1, 2, figsize=(11, 4.2))
    if report.ticks:
        for backend, times in report.ticks.items():
            sizes = sorted(times)
            left.plot(sizes, [times[s] * 1000 for s in sizes], marker="o", label=backend)
        left.set_xscale("log")
        left.set_ylim(bottom=0)
        left.legend()
    else:
        left.text(0.5, 0.5, "not measured\n(see docs/benchmarks.md)", ha="center", va="center", transform=left.transAxes)
    left.set_xlabel("applications stored")
    left.set_ylabel("tick time with 100 due (ms)")
    left.set_title("Dispatcher tick vs stored applications")
    names = [n for n in PEERS if n in report.throughput]
    values = [report.throughput[n] for n in names]
    bars = right.bar(names, values, color=["#777777", "#2b7bba", "#d08c2b", "#c0504d", "#5a9e4b"][: len(names)])
    for bar, value in zip(bars, values, strict=True):
        right.annotate(f"{value:,.0f}", (bar.get_x() + bar.get_width() / 2, value), ha="center", va="bottom", fontsize=8)
    right.set_yscale("log")
    right.set_ylabel("applications per second (log scale)")
    right.set_title(f"R1-R4 throughput, {report.apps:,} applications")
    figure.tight_layout()
    figure.savefig(path, dpi=110)
    plt.close(figure)


# ---------------------------------------------------------------------------
# Main
# ---------------------------------------------------------------------------


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0], formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--apps", type=int, default=20_000, help="applications in the R1-R4 workload (default 20000)")
    parser.add_argument("--runs", type=int, default=5, help="timed runs per implementation; the median is reported (default 5)")
    parser.add_argument("--tick-sizes", default="10000,100000,1000000", help="stored applications for the tick benchmark")
    parser.add_argument("--tick-repeats", type=int, default=3, help="timed ticks per size; the median is reported (default 3)")
    parser.add_argument("--tick-budget", type=float, default=900.0, help="seconds a size's ticks may take; larger sizes that would not fit are reported as not run (default 900)")
    parser.add_argument("--stream", type=int, default=1_000_000, help="applications streamed from the store (default 1000000)")
    parser.add_argument(
        "--stream-json",
        type=Path,
        help="reuse the streaming figures saved by `python bench/scale.py stream N FILE` instead of measuring again",
    )
    parser.add_argument("--dispatch-apps", type=int, default=300, help="due applications the deliveries-per-second figures dispatch (default 300)")
    parser.add_argument("--quick", action="store_true", help="2000 applications, 3 runs, small stores; print only")
    parser.add_argument("--no-scale", action="store_true", help="skip the store benchmarks (tick and streaming)")
    parser.add_argument("--output", type=Path, default=ROOT / "docs" / "benchmarks.md", help="where to write the report")
    parser.add_argument(
        "--results",
        type=Path,
        default=BENCH / "results" / "latest.json",
        help="where to save every figure of this run as JSON (default bench/results/latest.json)",
    )
    parser.add_argument(
        "--from-results",
        type=Path,
        help="measure nothing: write the report and plot again from a saved results file (with --stream-json merged in)",
    )
    args = parser.parse_args(argv)
    if args.from_results is not None:
        report = load_results(args.from_results)
        given = argv if argv is not None else sys.argv[1:]
        report.command += "`, then re-written without measuring by `python bench/run.py " + " ".join(given)
        if args.stream_json is not None:
            import scale

            report.stream = json.loads(args.stream_json.read_text(encoding="utf-8"))
            report.stream["reused"] = str(args.stream_json)
            scale.stream_notes(report)
        return write(report, args.output)
    if args.quick:
        args.apps, args.runs, args.tick_sizes, args.stream = 2000, 3, "1000,10000", 10_000
        args.dispatch_apps = min(args.dispatch_apps, 100)
    report = Report(machine=machine(), apps=args.apps, runs=args.runs)
    report.command = " ".join(["python bench/run.py", *(a if " " not in a else repr(a) for a in (argv if argv is not None else sys.argv[1:]))])
    print(f"workload: {args.apps:,} applications")
    start = time.perf_counter()
    states = list(workload.states(args.apps))
    report.load_seconds = time.perf_counter() - start
    print("reference rules R1-R4:")
    reference_rules(report, states, args.runs)
    report.profile = profile_followup(states)
    print("default rulebook:")
    default_rulebook(report, states, args.runs)
    print(f"  compile {report.compile_ms:.1f} ms, {report.default_throughput:,.0f} applications/s")
    print("command-line start-up:")
    cli_startup(report, args.runs)
    print(f"  followup agenda {report.cli_ms:.0f} ms, python -c pass {report.python_ms:.0f} ms")
    del states
    gc.collect()
    print("load + evaluate, start-up, deliveries per second:")
    speed_figures(report, args.apps, args.runs, args.dispatch_apps)
    if not args.no_scale:
        import scale

        sizes = [int(s) for s in args.tick_sizes.split(",") if s]
        stream_count = args.stream
        if args.stream_json is not None:
            report.stream = json.loads(args.stream_json.read_text(encoding="utf-8"))
            report.stream["reused"] = str(args.stream_json)
            stream_count = 0
        scale.measure(report, sizes, stream_count, repeats=args.tick_repeats, budget=args.tick_budget)
    if args.quick:
        print(render(report))
        return 0
    save_results(report, args.results)
    return write(report, args.output)


def write(report: Report, output: Path) -> int:
    """Write the report and its plot."""
    output.parent.mkdir(parents=True, exist_ok=True)
    output.write_text(render(report) + "\n", encoding="utf-8")
    plot(report, output.with_suffix(".png"))
    print(f"wrote {output} and {output.with_suffix('.png')}")
    return 0


def save_results(report: Report, path: Path) -> None:
    """Every figure of ``report`` as JSON, for ``--from-results``."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(dataclasses.asdict(report), indent=1, sort_keys=True) + "\n", encoding="utf-8")
    print(f"saved the figures to {path}")


def load_results(path: Path) -> Report:
    """A report saved by :func:`save_results`."""
    data = json.loads(path.read_text(encoding="utf-8"))
    data["ticks"] = {backend: {int(size): value for size, value in times.items()} for backend, times in data["ticks"].items()}
    return Report(**data)


if __name__ == "__main__":
    raise SystemExit(main())
