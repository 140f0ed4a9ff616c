"""Summarise a hostile-corpus log (``FOLLOWUP_HOSTILE_LOG=FILE pytest -m hostile``) for docs/reliability.md.

    FOLLOWUP_HOSTILE_LOG=hostile.jsonl python -m pytest -m hostile
    python bench/hostile_report.py hostile.jsonl

Prints runs by kind of input and by command, exit statuses, and the largest wall
time, peak resident memory and output of any run.
"""

from __future__ import annotations

import collections
import json
import sys


def main(path: str) -> None:
    with open(path, encoding="utf-8") as stream:
        runs = [json.loads(line) for line in stream if line.strip()]
    runs = [run for run in runs if run["label"] != "harness"]  # the suite's checks of its own limits
    if not runs:
        raise SystemExit(f"{path}: no runs")
    by_label = collections.Counter(run["label"] for run in runs)
    by_command = collections.Counter(run["command"] for run in runs)
    codes = collections.Counter(run["code"] for run in runs)
    slowest = max(runs, key=lambda run: run["wall"])
    biggest = max(runs, key=lambda run: run["rss_kb"])
    print(f"runs: {len(runs)}")
    print("by input: " + ", ".join(f"{k} {v}" for k, v in by_label.most_common()))
    print("by command: " + ", ".join(f"{k} {v}" for k, v in by_command.most_common()))
    print("exit status: " + ", ".join(f"{k}: {v}" for k, v in sorted(codes.items())))
    print(f"killed (time limit): {sum(run['killed'] for run in runs)}")
    print(f"outside exit 0/1/2: {sum(run['code'] not in (0, 1, 2) for run in runs)}")
    print(f"max wall time: {slowest['wall']:.2f} s ({slowest['label']} {slowest['command']})")
    print(f"max peak memory (RSS): {biggest['rss_kb'] / 1024:.0f} MiB ({biggest['label']} {biggest['command']})")
    print(f"over 10 s: {sum(run['wall'] > 10 for run in runs)}; over 1 GiB: {sum(run['rss_kb'] > 1 << 20 for run in runs)}")
    print(f"max output: {max(run['output_bytes'] for run in runs):,} bytes")
    generated = [run for run in runs if run["label"] in ("state", "rulebook", "ruletest", "option")]
    print(f"generated inputs: {len(generated)}")


if __name__ == "__main__":
    main(sys.argv[1])
