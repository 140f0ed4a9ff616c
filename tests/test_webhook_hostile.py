"""The webhook channel against hostile or broken receivers on loopback: redirects, slow drips, secrets in URLs."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from followup import Engine, InvalidInput, load_rulebook, load_state, parse_instant
from followup.delivery import Config, DeliveryError
from followup.delivery.channels import CHANNELS, build_channel
from followup.delivery.messages import build_context, render_message

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE = ROOT / "examples" / "job-search.yaml"
NOW = parse_instant("2026-11-30T09:30:00+01:00")
WEBHOOK = next(spec for spec in CHANNELS if spec.name == "webhook")
TOKEN = "T0KEN-s3cr3t-9f8e7d"


class Receiver(BaseHTTPRequestHandler):
    """Answers each POST with the next planned reply: a status, a redirect, or a slow drip."""

    protocol_version = "HTTP/1.1"

    def _answer(self) -> None:
        server: Any = self.server
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        server.requests.append({"method": self.command, "path": self.path, "body": body})
        plan = server.plan.pop(0) if server.plan else 204
        if plan == "drip":
            self._drip(server)
            return
        self.send_response(plan)
        if 300 <= plan < 400:
            self.send_header("Location", f"http://127.0.0.1:{server.server_port}/elsewhere")
        self.send_header("Content-Length", "0")
        self.end_headers()

    def _drip(self, server: Any) -> None:
        """A status line, then one header byte at a time, each well within any per-read timeout."""
        self.wfile.write(b"HTTP/1.1 200 OK\r\nX-Slow: ")
        self.wfile.flush()
        for _ in range(server.drips_before_giving_up):
            if server.release.wait(0.05):
                return
            try:
                self.wfile.write(b"z")
                self.wfile.flush()
            except OSError:  # the client hung up: what the deadline should do
                server.hung_up.set()
                return
            server.dripped += 1
        server.ran_out.set()  # the client kept listening through every drip

    do_POST = _answer
    do_GET = _answer

    def log_message(self, *args: Any) -> None:
        pass


@pytest.fixture
def receiver() -> Iterator[Any]:
    httpd: Any = ThreadingHTTPServer(("127.0.0.1", 0), Receiver)
    httpd.daemon_threads = True
    httpd.requests, httpd.plan, httpd.dripped = [], [], 0
    httpd.drips_before_giving_up = 400  # 20 s of drips at most: far past any deadline under test
    httpd.release, httpd.hung_up, httpd.ran_out = threading.Event(), threading.Event(), threading.Event()
    thread = threading.Thread(target=httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    yield httpd
    httpd.release.set()
    httpd.shutdown()
    httpd.server_close()
    thread.join()


@pytest.fixture(scope="module")
def message() -> Any:
    state = load_state(EXAMPLE)
    action = Engine(load_rulebook()).evaluate(state, NOW).get("status-call:northwind-data")
    return render_message(build_context(state, action, {}, now=NOW))


def hook(receiver: Any, path: str = "/followup", **settings: Any) -> Any:
    values = {"url": f"http://127.0.0.1:{receiver.server_port}{path}", "backoff": 0, "retries": 0, **settings}
    return build_channel(WEBHOOK, Config(None, {"channels": {"webhook": values}}))


@pytest.mark.parametrize("status", [301, 302, 303, 307, 308])
def test_a_redirect_is_a_permanent_failure_and_is_not_followed(receiver: Any, message: Any, status: int) -> None:
    receiver.plan = [status]
    with pytest.raises(DeliveryError, match=rf"HTTP {status}.*redirect") as caught:
        hook(receiver, retries=3).deliver(message)
    assert not caught.value.transient
    assert [r["method"] for r in receiver.requests] == ["POST"]  # no GET to the Location, no retry
    assert receiver.requests[0]["body"]


def test_the_deadline_covers_the_whole_attempt_not_each_read(receiver: Any, message: Any) -> None:
    receiver.plan = ["drip"]
    with pytest.raises(DeliveryError, match=r"did not answer within 0\.5 s") as caught:
        hook(receiver, timeout=0.5).deliver(message)
    assert caught.value.transient
    assert receiver.hung_up.wait(20) or not receiver.ran_out.is_set()
    assert not receiver.ran_out.is_set(), f"the client listened to all {receiver.dripped} drips"


def test_a_token_in_the_url_never_appears_in_an_error_or_a_receipt(receiver: Any, message: Any) -> None:
    path = f"/hooks/{TOKEN}?token={TOKEN}"
    receiver.plan = [500]
    with pytest.raises(DeliveryError) as caught:
        hook(receiver, path=path).deliver(message)
    assert TOKEN not in str(caught.value)
    assert f"127.0.0.1:{receiver.server_port}/…" in str(caught.value)
    receipt = hook(receiver, path=path).deliver(message)
    assert TOKEN not in receipt.detail and TOKEN not in receipt.reference
    assert receiver.requests[-1]["path"] == path  # the real URL is still the one used


def test_a_token_in_a_user_part_is_redacted_too() -> None:
    from followup.delivery.channels.webhook import redact_url

    assert redact_url(f"https://user:{TOKEN}@hooks.example:8443/x") == "https://hooks.example:8443/…"
    assert redact_url("https://hooks.example") == "https://hooks.example"
    assert TOKEN not in redact_url(f"https://hooks.example?{TOKEN}")


def test_a_header_with_a_line_break_is_refused_without_showing_its_value(receiver: Any, message: Any) -> None:
    with pytest.raises(DeliveryError) as caught:
        hook(receiver, headers={"Authorization": f"Bearer {TOKEN}\r\nX-Evil: 1"}).deliver(message)
    assert TOKEN not in str(caught.value) and "Authorization" in str(caught.value)
    assert receiver.requests == []


def test_an_empty_signing_secret_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TEST_WEBHOOK_EMPTY", "")
    settings = {"url": "http://127.0.0.1:9/", "secret_env": "TEST_WEBHOOK_EMPTY"}
    with pytest.raises(InvalidInput, match=r"TEST_WEBHOOK_EMPTY.*empty"):
        build_channel(WEBHOOK, Config(None, {"channels": {"webhook": settings}}))


@pytest.mark.parametrize("timeout", [float("inf"), float("nan"), 1e300, 0])
def test_a_timeout_that_is_not_a_finite_number_of_seconds_is_refused(timeout: float) -> None:
    with pytest.raises(InvalidInput, match=r"channels\.webhook\.timeout"):
        build_channel(WEBHOOK, Config(None, {"channels": {"webhook": {"url": "http://x.example", "timeout": timeout}}}))


def test_run_keeps_the_token_out_of_stderr_and_of_the_store(receiver: Any, tmp_path: Path) -> None:
    """The whole path: `followup run` against a failing receiver, then the database file read byte by byte."""
    receiver.plan = [500] * 50
    config = tmp_path / "config.toml"
    routes = "\n".join(f'{medium} = "webhook"' for medium in ("email", "postal", "fax", "phone", "reminder"))
    config.write_text(
        f"[routes]\n{routes}\n[channels.webhook]\n"
        f'url = "http://127.0.0.1:{receiver.server_port}/hooks/{TOKEN}?token={TOKEN}"\nretries = 0\nbackoff = 0\n'
    )
    store = tmp_path / "f.db"
    env = {**os.environ, "FOLLOWUP_CONFIG": str(config), "FOLLOWUP_STORE": f"sqlite:///{store}"}

    def cli(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "followup", *args], capture_output=True, text=True, env=env, timeout=120, cwd=tmp_path
        )

    assert cli("import", str(EXAMPLE)).returncode == 0
    run = cli("run", "--once", "--now", "2026-11-30T09:30:00+01:00")
    outbox = cli("outbox", "--all", "--format", "json")
    assert receiver.requests, run.stderr  # something was attempted
    for text in (run.stdout, run.stderr, outbox.stdout, outbox.stderr):
        assert TOKEN not in text
    with sqlite3.connect(store) as db:  # every row of every table, as stored
        for (table,) in db.execute("SELECT name FROM sqlite_master WHERE type = 'table'").fetchall():
            for row in db.execute(f'SELECT * FROM "{table}"').fetchall():
                assert TOKEN not in repr(row), f"{table}: {row}"
    for file in tmp_path.glob("f.db*"):
        assert TOKEN.encode() not in file.read_bytes()
