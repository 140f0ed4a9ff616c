"""Shared helpers for the test suite: small state documents built in code."""

from __future__ import annotations

import contextlib
import copy
import datetime as dt
import io
import os
import socket
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import Phase, settings

# no holiday dates kept in the user's cache folder by the tests (tests/test_holiday_cache.py
# and tests/test_startup.py give it a folder of their own)
os.environ.setdefault("FOLLOWUP_CACHE_DIR", "")

from followup import Agenda, Engine, State, load_rulebook, load_state, parse_instant

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE = ROOT / "examples" / "job-search.yaml"

#: ``FOLLOWUP_HYPOTHESIS_PROFILE=mutation`` (set by ``bench/mutation.py``) runs every property
#: on a few fixed examples, so each mutant is judged quickly and the same way every time; a
#: failing example is not shrunk (the mutant is caught; nobody reads the smallest example)
settings.register_profile(
    "mutation",
    max_examples=12,
    derandomize=True,
    database=None,
    deadline=None,
    phases=[Phase.explicit, Phase.generate],
    report_multiple_bugs=False,
)
PROFILE = os.environ.get("FOLLOWUP_HYPOTHESIS_PROFILE", "default")
settings.load_profile(PROFILE)


def examples(n: int) -> int:
    """``n`` examples for a property, or the loaded profile's number when that is smaller and
    the profile is not the default (a test's own ``max_examples`` overrides any profile)."""
    return n if PROFILE == "default" else min(n, settings.get_profile(PROFILE).max_examples)


def pytest_sessionstart(session: pytest.Session) -> None:
    """Under the mutation profile, forget what followup's functions memoized before this session.

    mutmut runs the tests once in its own process to learn which test reaches which
    function, then forks that process to test each mutant: without this, a memoized
    result from that first run (a zone, a fitted window) would answer in place of the
    mutated code below it.
    """
    if PROFILE != "mutation":
        return
    for name, module in list(sys.modules.items()):
        if name == "followup" or name.startswith("followup."):
            for value in list(vars(module).values()):
                if callable(getattr(value, "cache_clear", None)) and hasattr(value, "cache_info"):
                    value.cache_clear()


def at(text: str) -> dt.datetime:
    """An aware instant from ISO 8601 text (an offset is required)."""
    return parse_instant(text)


def interviewer(id: str, **extra: Any) -> dict[str, Any]:
    person = {
        "id": id,
        "name": extra.pop("name", id.capitalize() + " Example"),
        "title": extra.pop("title", "Engineering Manager"),
        "email": extra.pop("email", f"{id}@employer.example"),
    }
    person.update(extra)
    return {k: v for k, v in person.items() if v is not None}


def application(id: str = "acme", **extra: Any) -> dict[str, Any]:
    doc = {"id": id, "company": extra.pop("company", id.capitalize() + " Corp"), "position": "Engineer", "status": "interviewing"}
    doc.update(extra)
    return doc


def state_doc(*applications: dict[str, Any], timezone: str = "Europe/Berlin", **candidate: Any) -> dict[str, Any]:
    person = {"name": "Alex Candidate", "email": "alex@example.org", "timezone": timezone}
    person.update(candidate)
    return {"version": 1, "candidate": person, "applications": [copy.deepcopy(a) for a in applications]}


@pytest.fixture(autouse=True)
def _no_inherited_columns(monkeypatch: pytest.MonkeyPatch) -> None:
    """Tables are as wide as ``$COLUMNS``; pytest-xdist sets it to 80 in its workers, so a
    test (and the commands it starts) sees the piped widths unless it sets its own."""
    monkeypatch.delenv("COLUMNS", raising=False)


# Compiled once per session, but once per test under the mutation profile: mutmut runs a
# mutant of the compiler against the tests that compiled something in its first run, so
# every test evaluating the default rules must compile them itself.
@pytest.fixture(scope="function" if PROFILE == "mutation" else "session")
def default_engine() -> Engine:
    return Engine(load_rulebook())


@pytest.fixture
def evaluate(default_engine: Engine) -> Callable[..., Agenda]:
    """evaluate(doc_or_state, "2026-03-05T10:00:00+01:00", rules=None) -> Agenda."""

    def run(document: dict[str, Any] | State, now: str, rules: Any = None) -> Agenda:
        state = document if isinstance(document, State) else load_state(document)
        engine = default_engine if rules is None else Engine(load_rulebook(rules))
        return engine.evaluate(state, at(now))

    return run


def by_rule(agenda: Agenda, rule: str) -> list[Any]:
    return [a for a in agenda if a.rule == rule]


class Inbox:
    """What a loopback SMTP server received, envelope by envelope."""

    def __init__(self) -> None:
        self.envelopes: list[Any] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.envelopes.append(envelope)
        return "250 OK"


@pytest.fixture
def smtp() -> Iterator[tuple[Inbox, int]]:
    """A real SMTP server (aiosmtpd) on a free loopback port, offering neither STARTTLS nor AUTH."""
    from aiosmtpd.controller import Controller

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = int(probe.getsockname()[1])
    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    yield inbox, port
    controller.stop()


# ---------------------------------------------------------------------------
# A real IMAP server (Dovecot) for `followup mail sync`
# ---------------------------------------------------------------------------

DOVECOT_SCRIPT = ROOT / ".ci" / "dovecot.sh"
_IMAP_VARIABLES = ("HOST", "PORT", "STARTTLS_PORT", "PASSWORD", "CA", "ROOT")


class Dovecot:
    """A running Dovecot: where it listens, the test password, its certificate; any user name logs in."""

    def __init__(self, settings: dict[str, str]) -> None:
        self.host = settings["HOST"]
        self.port = int(settings["PORT"])
        self.starttls_port = int(settings["STARTTLS_PORT"])
        self.password = settings["PASSWORD"]
        self.ca_file = settings["CA"]
        self.root = settings["ROOT"]

    def client(self, user: str) -> Any:
        """A logged-in IMAP connection (TLS, the test certificate verified) for ``user``."""
        import imaplib
        import ssl

        client = imaplib.IMAP4_SSL(self.host, self.port, ssl_context=ssl.create_default_context(cafile=self.ca_file), timeout=30)
        client.login(user, self.password)
        return client

    def deliver(self, user: str, mailbox: str, message: bytes) -> None:
        """Put ``message`` into ``mailbox`` of ``user`` with IMAP APPEND (no flags)."""
        client = self.client(user)
        try:
            typ, data = client.append(f'"{mailbox}"', "", None, message)
            assert typ == "OK", data
        finally:
            client.logout()

    def snapshot(self, user: str, *mailboxes: str) -> dict[str, list[tuple[int, str]]]:
        """``{mailbox: [(uid, flags)]}``: what a sync must leave exactly as it was."""
        import re

        client = self.client(user)
        found: dict[str, list[tuple[int, str]]] = {}
        try:
            for mailbox in mailboxes:
                typ, _ = client.select(f'"{mailbox}"', readonly=True)
                assert typ == "OK"
                typ, data = client.uid("FETCH", "1:*", "(UID FLAGS)")
                rows = []
                for line in data:
                    if isinstance(line, bytes) and b"UID" in line:
                        uid = re.search(rb"UID (\d+)", line)
                        flags = re.search(rb"FLAGS \(([^)]*)\)", line)
                        assert uid is not None
                        rows.append((int(uid.group(1)), flags.group(1).decode() if flags else ""))
                found[mailbox] = sorted(rows)
        finally:
            client.logout()
        return found


@pytest.fixture(scope="session")
def dovecot() -> Iterator[Dovecot]:
    """$FOLLOWUP_TEST_IMAP_* (CI starts Dovecot with .ci/dovecot.sh), else a Dovecot started here with that script."""
    import os
    import shutil
    import signal
    import subprocess

    from followup.testing import service_missing

    given = {name: os.environ.get(f"FOLLOWUP_TEST_IMAP_{name}", "") for name in _IMAP_VARIABLES}
    if all(given.values()):
        yield Dovecot(given)
        return
    binary = os.environ.get("FOLLOWUP_DOVECOT_BIN") or shutil.which("dovecot") or "/usr/sbin/dovecot"
    if not os.access(binary, os.X_OK):
        service_missing("dovecot", f"FOLLOWUP_TEST_IMAP_HOST is unset and {binary} is not installed (apt-get install dovecot-imapd)")
    script = "; ".join(f'echo "${{FOLLOWUP_TEST_IMAP_{name}}}"' for name in _IMAP_VARIABLES)
    done = subprocess.run(
        ["bash", "-c", f'unset FOLLOWUP_TEST_IMAP_HOST; source "{DOVECOT_SCRIPT}" >/dev/null && {script}'],
        capture_output=True, text=True, timeout=600, check=False,
    )
    lines = done.stdout.split("\n")
    if done.returncode != 0 or len(lines) < len(_IMAP_VARIABLES) or not lines[0]:
        service_missing("dovecot", "no server could be started with .ci/dovecot.sh: " + " ".join(done.stderr.strip().splitlines()[-3:] or ["no output"]))
    server = Dovecot(dict(zip(_IMAP_VARIABLES, lines, strict=False)))
    try:
        yield server
    finally:
        pid_file = Path(server.root) / "run" / "master.pid"
        if pid_file.exists():
            with contextlib.suppress(OSError, ValueError):
                os.kill(int(pid_file.read_text().strip()), signal.SIGTERM)
        shutil.rmtree(server.root, ignore_errors=True)


def run_cli(*args: str) -> tuple[int, str, str]:
    """Run ``followup ARGS...`` in this process: ``(exit code, stdout, stderr)``."""
    from followup.cli import main

    out, err = io.StringIO(), io.StringIO()
    code = 0
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            main(list(args))
        except SystemExit as exc:
            code = exc.code if isinstance(exc.code, int) else 1
    return code, out.getvalue(), err.getvalue()


def example_copy(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A copy of the shipped example to write to, with no state or store from the environment."""
    for name in ("FOLLOWUP_STATE", "FOLLOWUP_STORE"):
        monkeypatch.delenv(name, raising=False)
    target = tmp_path / "search.yaml"
    target.write_text(EXAMPLE.read_text(encoding="utf-8"), encoding="utf-8")
    return target
