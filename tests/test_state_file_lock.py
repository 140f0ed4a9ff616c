"""Many `followup done` / `retire` processes writing one state file at once: every entry is kept.

Each writer is a separate process started at the same moment (they wait on a shared
barrier file so they really overlap). Without the lock, each read the file, added its
entry and replaced the file, and the last rename won: entries were lost while every
command said "logged".
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from followup import load_state

WRITERS = 8
NOW = "2026-03-06T10:00:00+01:00"

#: started as ``python -c``: wait for the starting gun, then run the command line in this process
_RUNNER = """
import os, sys, time
gun = sys.argv[1]
deadline = time.monotonic() + 60
while not os.path.exists(gun) and time.monotonic() < deadline:
    time.sleep(0.005)
sys.argv = ["followup", *sys.argv[2:]]
from followup.cli import main
main()
"""


def _state(applications: int) -> str:
    lines = ["version: 1", "candidate: {name: Alex Candidate, email: alex@example.org, timezone: Europe/Berlin}", "applications:"]
    for n in range(applications):
        lines += [
            f"  # application {n}: kept as written",
            f"  - id: app{n}",
            f"    company: Company {n}",
            "    position: Engineer",
            "    status: interviewing",
            "    interviews:",
            "      - id: onsite",
            "        starts_at: 2026-03-05T10:00:00+01:00",
            "        ended_at: 2026-03-05T12:00:00+01:00",
            f"        interviewers: [{{id: i{n}, name: Person {n}, email: p{n}@company{n}.example}}]",
        ]
    return "\n".join(lines) + "\n"


@pytest.mark.parametrize("suffix", [".yaml", ".json"])
def test_concurrent_writers_keep_every_entry(tmp_path: Path, suffix: str) -> None:
    state = tmp_path / f"race{suffix}"
    text = _state(WRITERS + 2)
    if suffix == ".json":
        import json

        import yaml

        text = json.dumps(yaml.safe_load(text), indent=2, default=str)
    state.write_text(text)
    gun = tmp_path / "go"
    commands = [["done", f"thank-you-note:app{n}:onsite:i{n}", "--state", str(state), "--at", NOW] for n in range(WRITERS)]
    commands += [["retire", f"app{n}", "--state", str(state), "--at", NOW] for n in range(WRITERS, WRITERS + 2)]
    env = {**os.environ, "FOLLOWUP_STORE": f"sqlite:///{tmp_path / 'unused.db'}"}
    runner = [sys.executable, "-c", _RUNNER, str(gun)]
    pipes = {"stdout": subprocess.PIPE, "stderr": subprocess.PIPE, "text": True, "env": env, "cwd": tmp_path}
    writers = [subprocess.Popen([*runner, *args], **pipes) for args in commands]  # type: ignore[call-overload]
    gun.touch()
    results = [(w.wait(timeout=300), *w.communicate()) for w in writers]
    for code, _, err in results:
        assert code == 0, err
        assert "Traceback" not in err
    loaded = load_state(state)
    logged = sum(len(a.contacts) for a in loaded.applications) + len(loaded.contacts)
    assert logged == len(commands), f"{logged} entries kept of {len(commands)} written"
    if suffix == ".yaml":
        assert state.read_text().count("kept as written") == WRITERS + 2  # comments survive every write
