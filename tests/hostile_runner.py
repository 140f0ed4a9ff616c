"""Run the followup command on hostile input, each run in its own process, bounded in time and memory.

Starting a fresh interpreter costs about a second of CPU (imports, plugins, the
default rulebook), which would make a corpus of hundreds of runs take many minutes
on a small CI machine. So a *zygote* process imports followup once, warms it with
one ordinary run, then forks one child per run. Each child:

* gets its own working folder, environment, standard input (``/dev/null``) and
  output files;
* runs under ``RLIMIT_AS`` (address space, 1 GiB by default) and ``RLIMIT_CPU``;
* is killed with SIGKILL when it passes its wall-clock limit (10 s by default);

and the zygote reports its exit status, whether it was killed, its wall time and
its peak resident memory (from ``wait4``). A few named cases also run through a
fresh ``python -m followup`` (:func:`run_fresh`) so the real entry point is covered.

Set ``FOLLOWUP_HOSTILE_LOG=FILE`` to append one JSON line per run to ``FILE``
(``python bench/hostile_report.py FILE`` summarises it for ``docs/reliability.md``).
"""

from __future__ import annotations

import json
import os
import resource
import subprocess
import sys
import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

#: the limits every run gets unless a test says otherwise
WALL_SECONDS = 10.0
MEMORY_BYTES = 1 << 30
#: the most output (stdout + stderr) a run may write before the harness calls it unbounded
MAX_OUTPUT = 1 << 20

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE = ROOT / "examples" / "job-search.yaml"

_ZYGOTE = r"""
import json, os, resource, select, signal, sys, time, traceback

def warm():
    import followup.cli
    devnull = os.open(os.devnull, os.O_WRONLY)
    saved = os.dup(1), os.dup(2)
    os.dup2(devnull, 1); os.dup2(devnull, 2)
    try:
        for args in (["validate", sys.argv[1]], ["agenda", sys.argv[1], "--now", "2026-11-30T09:30:00+01:00"]):
            try:
                followup.cli.main(args)
            except SystemExit:
                pass
    finally:
        sys.stdout.flush(); sys.stderr.flush()
        os.dup2(saved[0], 1); os.dup2(saved[1], 2)
    return followup.cli.main

main = warm()
report = os.fdopen(os.dup(1), "w", buffering=1)

def child(job):
    os.chdir(job["cwd"])
    os.environ.clear()
    os.environ.update(job["env"])
    memory = job["memory"]
    resource.setrlimit(resource.RLIMIT_AS, (memory, memory))
    cpu = int(job["wall"]) + 5
    resource.setrlimit(resource.RLIMIT_CPU, (cpu, cpu))
    stdin = os.open(job.get("stdin") or os.devnull, os.O_RDONLY)
    out = os.open(job["stdout"], os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    err = os.open(job["stderr"], os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    os.dup2(stdin, 0); os.dup2(out, 1); os.dup2(err, 2)
    code = 0
    try:
        main(job["args"])
    except SystemExit as exc:
        code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
    except BaseException:
        traceback.print_exc()
        code = 70
    try:
        sys.stdout.flush(); sys.stderr.flush()
    except BaseException:
        pass
    os._exit(code)

for line in sys.stdin:
    job = json.loads(line)
    sys.stdout.flush(); sys.stderr.flush()
    started = time.monotonic()
    pid = os.fork()
    if pid == 0:
        try:
            child(job)
        finally:
            os._exit(71)
    killed = False
    try:
        waiter = os.pidfd_open(pid)
    except (AttributeError, OSError):
        waiter = None
    while True:
        left = job["wall"] - (time.monotonic() - started)
        if waiter is not None:
            select.select([waiter], [], [], max(left, 0))
        done, status, usage = os.wait4(pid, os.WNOHANG)
        if done:
            break
        if time.monotonic() - started >= job["wall"]:
            os.kill(pid, signal.SIGKILL)
            done, status, usage = os.wait4(pid, 0)
            killed = True
            break
        if waiter is None:
            time.sleep(0.002)
    if waiter is not None:
        os.close(waiter)
    wall = time.monotonic() - started
    code = os.waitstatus_to_exitcode(status)
    report.write(json.dumps({"code": code, "killed": killed, "wall": wall, "rss_kb": usage.ru_maxrss}) + "\n")
"""


@dataclass(frozen=True)
class Run:
    """What one bounded run did."""

    args: tuple[str, ...]
    code: int
    killed: bool
    wall: float
    rss_kb: int
    stdout: str
    stderr: str
    output_bytes: int

    def problems(self, *, max_output: int = MAX_OUTPUT, codes: frozenset[int] = frozenset({0, 1, 2})) -> list[str]:
        """Everything wrong with this run by the hostile-input bar (empty when it behaved)."""
        found = []
        if self.killed:
            found.append(f"killed after {self.wall:.1f} s (time limit)")
        elif self.code not in codes:
            found.append(f"exit status {self.code}")
        if "Traceback (most recent call last)" in self.stderr or "internal error" in self.stderr:
            found.append("a traceback or an internal error reached the user")
        if self.output_bytes > max_output:
            found.append(f"{self.output_bytes:,} bytes of output")
        return found

    def check(self, **kwargs: Any) -> Run:
        """Fail the test, showing the command and the end of its stderr, if the run misbehaved."""
        problems = self.problems(**kwargs)
        assert not problems, (
            f"followup {' '.join(a[:80] for a in self.args)}: {'; '.join(problems)}\n{self.stderr[-3000:]}"
        )
        return self


def _read(path: Path, limit: int) -> tuple[str, int]:
    if not path.exists():  # killed before it opened its output
        return "", 0
    size = path.stat().st_size
    with open(path, "rb") as stream:
        data = stream.read(limit)
    return data.decode("utf-8", "replace"), size


def _log(run: Run, label: str) -> None:
    target = os.environ.get("FOLLOWUP_HOSTILE_LOG")
    if not target:
        return
    line = json.dumps(
        {"label": label, "command": run.args[0] if run.args else "", "code": run.code, "killed": run.killed,
         "wall": round(run.wall, 4), "rss_kb": run.rss_kb, "output_bytes": run.output_bytes}
    )  # fmt: skip
    fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
    try:
        os.write(fd, (line + "\n").encode())
    finally:
        os.close(fd)


class Zygote:
    """One warmed followup process that forks a bounded child per run."""

    def __init__(self, workdir: Path) -> None:
        self.workdir = workdir
        self.count = 0
        self.lock = threading.Lock()
        self.process = subprocess.Popen(
            [sys.executable, "-c", _ZYGOTE, str(EXAMPLE)],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, cwd=workdir, bufsize=1,
        )  # fmt: skip

    def run(
        self,
        *args: str,
        cwd: Path | None = None,
        env: Mapping[str, str] | None = None,
        stdin: Path | None = None,
        wall: float = WALL_SECONDS,
        memory: int = MEMORY_BYTES,
        label: str = "named",
    ) -> Run:
        """Run ``followup ARGS`` in a fresh child; never raises for what the child did."""
        with self.lock:
            self.count += 1
            out, err = self.workdir / f"run-{self.count}.out", self.workdir / f"run-{self.count}.err"
            job = {
                "args": list(args), "cwd": str(cwd or self.workdir), "env": dict(_base_env(self.workdir), **(env or {})),
                "stdin": str(stdin) if stdin else None, "stdout": str(out), "stderr": str(err), "wall": wall,
                "memory": memory,
            }  # fmt: skip
            assert self.process.stdin is not None and self.process.stdout is not None
            self.process.stdin.write(json.dumps(job) + "\n")
            self.process.stdin.flush()
            reply = self.process.stdout.readline()
        if not reply:
            raise RuntimeError("the hostile-input zygote died")
        result = json.loads(reply)
        stdout, out_size = _read(out, MAX_OUTPUT + 1)
        stderr, err_size = _read(err, MAX_OUTPUT + 1)
        out.unlink(missing_ok=True)
        err.unlink(missing_ok=True)
        run = Run(tuple(args), result["code"], result["killed"], result["wall"], result["rss_kb"], stdout, stderr, out_size + err_size)
        _log(run, label)
        return run

    def close(self) -> None:
        if self.process.stdin is not None:
            self.process.stdin.close()
        self.process.wait(timeout=60)
        if self.process.stdout is not None:
            self.process.stdout.close()


def _base_env(home: Path) -> dict[str, str]:
    """A small, fixed environment: no user configuration, no store of the user's, UTF-8."""
    keep = {k: v for k, v in os.environ.items() if k in ("PATH", "LANG", "LC_ALL", "PYTHONPATH", "VIRTUAL_ENV", "TMPDIR")}
    return {
        **keep,
        "HOME": str(home),
        "XDG_CONFIG_HOME": str(home / ".config"),
        "XDG_DATA_HOME": str(home / ".local" / "share"),
        "PYTHONIOENCODING": "utf-8",
        "COLUMNS": "160",
    }


def _limits(memory: int) -> Any:
    def apply() -> None:
        resource.setrlimit(resource.RLIMIT_AS, (memory, memory))

    return apply


def run_fresh(
    *args: str, cwd: Path, env: Mapping[str, str] | None = None, wall: float = 60.0, memory: int = MEMORY_BYTES
) -> Run:
    """``python -m followup ARGS`` in a new interpreter, under the same memory limit (for the entry point itself).

    The wall limit is larger than the zygote's: a fresh interpreter spends about a
    second importing before it reads any input, more on a busy machine.
    """
    started = time.monotonic()
    try:
        done = subprocess.run(
            [sys.executable, "-m", "followup", *args], cwd=cwd, capture_output=True, timeout=wall,
            env={**_base_env(cwd), **(env or {})}, preexec_fn=_limits(memory),
        )  # fmt: skip
        code, killed, out, err = done.returncode, False, done.stdout, done.stderr
    except subprocess.TimeoutExpired as exc:
        code, killed, out, err = -9, True, exc.stdout or b"", exc.stderr or b""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    run = Run(
        tuple(args), code, killed, time.monotonic() - started, usage.ru_maxrss,
        out[: MAX_OUTPUT + 1].decode("utf-8", "replace"), err[: MAX_OUTPUT + 1].decode("utf-8", "replace"),
        len(out) + len(err),
    )  # fmt: skip
    _log(run, "fresh")
    return run


def state_text(extra_interviewer: str = "{id: jonas, name: Jonas Berg, email: jonas@acme.example}") -> str:
    """A small valid state whose interview ended, so a thank-you note is due."""
    return (
        "version: 1\n"
        "candidate: {name: Alex Candidate, email: alex@example.org, timezone: Europe/Berlin}\n"
        "applications:\n"
        "  - id: acme\n"
        "    company: Acme\n"
        "    position: Engineer\n"
        "    status: interviewing\n"
        "    interviews:\n"
        "      - id: onsite\n"
        "        starts_at: 2026-03-05T10:00:00+01:00\n"
        "        ended_at: 2026-03-05T12:00:00+01:00\n"
        f"        interviewers: [{extra_interviewer}]\n"
    )


def write(folder: Path, name: str, text: str | bytes) -> Path:
    path = folder / name
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(text, bytes):
        path.write_bytes(text)
    else:
        path.write_text(text, encoding="utf-8")
    return path


__all__ = ["EXAMPLE", "MAX_OUTPUT", "MEMORY_BYTES", "WALL_SECONDS", "Run", "Zygote", "run_fresh", "state_text", "write"]
