"""Start-up: the wall time of ``followup agenda`` on the shipped example, next to ``python -c pass``.

Both run as fresh processes, interleaved, several times; the figure is the ratio of
the medians. The holiday dates of the example's calendar are kept on disk after the
first run (see ``followup._holidays``): the runs use a cache folder of their own,
warmed by one run, and one more run with the cache turned off shows what a first
run costs. The warming run also writes the modules' bytecode, as installing them
does (``PYTHONDONTWRITEBYTECODE`` is dropped for these runs). ``python -X importtime``
then says which imports are left, by their own time.

Run ``python bench/startup.py [runs]`` to print the figures.
"""

from __future__ import annotations

import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE = str(ROOT / "examples" / "job-search.yaml")
NOW = "2026-11-30T09:30:00+01:00"

__all__ = ["TARGET_STARTUP_RATIO", "import_total", "imports", "measure"]

#: the issue's goal: `followup agenda` within this many times `python -c pass`
TARGET_STARTUP_RATIO = 10.0


def _command() -> list[str]:
    script = shutil.which("followup") or str(Path(sys.executable).with_name("followup"))
    return [script, "agenda", EXAMPLE, "--now", NOW]


def _once(command: list[str], env: dict[str, str]) -> float:
    start = time.perf_counter()
    subprocess.run(command, capture_output=True, check=True, env=env)
    return time.perf_counter() - start


def imports(env: dict[str, str] | None = None, top: int = 12) -> list[tuple[str, float, float]]:
    """The modules a ``followup agenda`` process imports that take longest by their own time:
    ``(module, own ms, cumulative ms)``."""
    return sorted(_import_times(env), key=lambda row: row[1], reverse=True)[:top]


def _import_times(env: dict[str, str] | None) -> list[tuple[str, float, float]]:
    """Every module one ``followup agenda`` process imports: ``(module, own ms, cumulative ms)``."""
    code = f"import sys; sys.argv = {['followup', *_command()[1:]]!r}; from followup.cli import main; main()"
    done = subprocess.run([sys.executable, "-X", "importtime", "-c", code], capture_output=True, text=True, env=env)
    rows = []
    for line in done.stderr.splitlines():
        if not line.startswith("import time:") or "cumulative" in line:
            continue
        own, cumulative, name = line.removeprefix("import time:").split("|")
        rows.append((name.strip(), int(own) / 1000, int(cumulative) / 1000))
    return rows


def import_total(env: dict[str, str] | None = None) -> tuple[float, float, int]:
    """Milliseconds one ``followup agenda`` spends importing: all of it, followup's own
    modules' own time, and how many modules (``-X importtime``, so a little slower than plain)."""
    rows = _import_times(env)
    return sum(own for _, own, _ in rows), sum(own for name, own, _ in rows if name.startswith("followup")), len(rows)


def measure(runs: int = 10) -> dict[str, Any]:
    """Median wall times (ms) of ``followup agenda`` and ``python -c pass``, interleaved, and their ratio."""
    agenda = _command()
    floor = [sys.executable, "-c", "pass"]
    with tempfile.TemporaryDirectory() as cache:
        # as installed: pip writes bytecode, so these runs may too (CI sets PYTHONDONTWRITEBYTECODE,
        # which would have every run compile followup's modules from source)
        inherited = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
        env = {**inherited, "FOLLOWUP_CACHE_DIR": cache}
        _once(agenda, env)  # bytecode written, holiday dates kept
        agenda_times, floor_times = [], []
        for _ in range(runs):
            agenda_times.append(_once(agenda, env))
            floor_times.append(_once(floor, env))
        first_run = _once(agenda, {**inherited, "FOLLOWUP_CACHE_DIR": ""})
        left = imports(env)
        total, own, modules = import_total(env)
    agenda_ms = statistics.median(agenda_times) * 1000
    python_ms = statistics.median(floor_times) * 1000
    return {
        "agenda ms": agenda_ms,
        "python ms": python_ms,
        "ratio": agenda_ms / python_ms,
        "agenda ms without the holiday cache": first_run * 1000,
        "imports": left,
        "import ms": total,
        "followup import ms": own,
        "modules": modules,
    }


if __name__ == "__main__":
    figures = measure(int(sys.argv[1]) if len(sys.argv) > 1 else 10)
    for name, own, cumulative in figures.pop("imports"):
        print(f"  {name}: {own:.1f} ms own, {cumulative:.1f} ms with what it imports")
    for key, value in figures.items():
        print(f"{key}: {value:,.2f}")
