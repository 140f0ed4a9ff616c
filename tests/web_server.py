"""Start ``followup serve`` in a subprocess on a free loopback port, for the web tests."""

from __future__ import annotations

import os
import queue
import subprocess
import sys
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

#: the instant the web tests look at the shipped example: Jonas's thank-you note is overdue
NOW = "2026-12-01T09:30:00+01:00"
#: how long a server may take to print its address before the test gives up (a hang guard)
START_LIMIT = 120.0


@dataclass
class Served:
    url: str
    feed_url: str
    process: subprocess.Popen[str]


@contextmanager
def serve(args: Sequence[str], env: dict[str, str] | None = None) -> Iterator[Served]:
    """``followup serve ARGS --port 0``; yields once it has printed where it listens."""
    command = [sys.executable, "-m", "followup", "serve", *args, "--port", "0"]
    environment = {**os.environ, **(env or {})}
    environment.pop("FOLLOWUP_WEB_TOKEN", None) if env is None or "FOLLOWUP_WEB_TOKEN" not in env else None
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=environment)
    try:
        lines = _first_lines(process, 2)
        url = lines[0].split()[2]
        feed = lines[1].split()[2]
        yield Served(url=url, feed_url=feed, process=process)
    finally:
        process.terminate()
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        for stream in (process.stdout, process.stderr):
            if stream is not None:
                stream.close()


def _first_lines(process: subprocess.Popen[str], count: int) -> list[str]:
    """The first ``count`` lines the server prints (read on a thread, so a hang is caught)."""
    assert process.stdout is not None
    stdout = process.stdout
    lines: queue.Queue[str] = queue.Queue()

    def read() -> None:
        for _ in range(count):
            lines.put(stdout.readline())

    threading.Thread(target=read, daemon=True).start()
    got = []
    for _ in range(count):
        try:
            line = lines.get(timeout=START_LIMIT)
        except queue.Empty:
            raise AssertionError("followup serve printed no address in time") from None
        if not line:
            err = process.stderr.read() if process.stderr else ""
            raise AssertionError(f"followup serve exited ({process.wait()}): {err}")
        got.append(line)
    return got


def example_copy(tmp_path: Path) -> Path:
    source = Path(__file__).resolve().parent.parent / "examples" / "job-search.yaml"
    target = tmp_path / "job-search.yaml"
    target.write_text(source.read_text(encoding="utf-8"), encoding="utf-8")
    return target
