"""Print one line listing every skipped test of a pytest run, with its reason.

Usage: ``python .ci/skips.py JUNIT.xml`` (the file ``pytest --junitxml`` writes).
Prints ``skips: none`` or ``skips: N — reason (test, test, ...); reason (...)``,
grouped by reason, so the end of a CI log says what did not run. Exits 0 whatever
it finds (a skip is not a failure here; in CI, tests that need a service CI starts
fail instead of skipping), 1 if the file cannot be read.
"""

from __future__ import annotations

import sys
import xml.etree.ElementTree as ET
from collections import defaultdict


def skips(path: str) -> dict[str, list[str]]:
    """``{reason: [test id, ...]}`` for every skipped test case in the junit file."""
    found: dict[str, list[str]] = defaultdict(list)
    for case in ET.parse(path).getroot().iter("testcase"):
        skipped = case.find("skipped")
        if skipped is None:
            continue
        reason = (skipped.get("message") or skipped.text or "no reason given").strip()
        name = f"{case.get('classname', '')}::{case.get('name', '')}".strip(":")
        found[reason].append(name)
    return dict(found)


def main(argv: list[str]) -> int:
    if len(argv) != 1:
        print(__doc__, file=sys.stderr)
        return 2
    try:
        found = skips(argv[0])
    except (OSError, ET.ParseError) as exc:
        print(f"skips: cannot read {argv[0]}: {exc}", file=sys.stderr)
        return 1
    total = sum(len(names) for names in found.values())
    if not total:
        print("skips: none")
        return 0
    parts = [f"{reason} ({', '.join(sorted(names))})" for reason, names in sorted(found.items())]
    print(f"skips: {total} — " + "; ".join(parts))
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
