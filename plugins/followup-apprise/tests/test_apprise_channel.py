"""The apprise channel delivers a reminder to a real HTTP server on loopback through Apprise's json:// target."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from followup import DeliveryError, Engine, InvalidInput, load_rulebook, load_state, parse_instant
from followup.delivery.messages import build_context, render_message
from followup.plugins import build_plugin_manager


class Recorder(BaseHTTPRequestHandler):
    received: list[dict[str, Any]]
    status = 200

    def do_POST(self) -> None:
        length = int(self.headers["Content-Length"])
        self.server.received.append({"path": self.path, "body": json.loads(self.rfile.read(length))})  # type: ignore[attr-defined]
        self.send_response(self.server.status)  # type: ignore[attr-defined]
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *args: Any) -> None:
        pass


@pytest.fixture
def server() -> Iterator[ThreadingHTTPServer]:
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Recorder)
    httpd.received = []  # type: ignore[attr-defined]
    httpd.status = 200  # type: ignore[attr-defined]
    thread = threading.Thread(target=httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    yield httpd
    httpd.shutdown()
    httpd.server_close()
    thread.join()


def reminder() -> Any:
    state = load_state(
        {
            "version": 1,
            "candidate": {"name": "Alex Candidate", "email": "alex@example.org", "timezone": "Europe/Berlin"},
            "applications": [
                {
                    "id": "acme",
                    "company": "Acme Tools",
                    "position": "Data Engineer",
                    "status": "interviewing",
                    "interviews": [
                        {
                            "id": "first",
                            "starts_at": "2026-12-01T11:00:00+01:00",
                            "interviewers": [{"id": "kai", "name": "Kai Berg", "title": "Team Lead"}],
                        }
                    ],
                }
            ],
        }
    )
    now = parse_instant("2026-11-30T12:00:00+01:00")
    action = Engine(load_rulebook()).evaluate(state, now).get("ask-decision-timeline:acme:first")
    assert action is not None
    return render_message(build_context(state, action, {}, now=now))


def spec() -> Any:
    found: list[Any] = []
    pm = build_plugin_manager()
    pm.hook.followup_register_channels(register=found.append)
    return next(s for s in found if s.name == "apprise")


def test_the_entry_point_registers_a_non_idempotent_channel() -> None:
    channel = spec()
    assert channel.idempotent is False
    assert channel.is_configured({"urls": ["json://127.0.0.1/"]})
    assert not channel.is_configured({})


def test_a_reminder_reaches_the_json_target(server: ThreadingHTTPServer) -> None:
    message = reminder()
    channel = spec().build({"urls": [f"json://127.0.0.1:{server.server_port}/hook"]})
    receipt = channel.deliver(message)
    assert receipt.channel == "apprise"
    (request,) = server.received  # type: ignore[attr-defined]
    assert request["path"] == "/hook"
    assert request["body"]["title"] == message.subject
    assert "ask when they expect to make a decision" in request["body"]["message"]


def test_urls_with_secrets_come_from_the_environment(
    server: ThreadingHTTPServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(
        "TEST_APPRISE_URLS", f"json://127.0.0.1:{server.server_port}/a, json://127.0.0.1:{server.server_port}/b"
    )
    spec().build({"urls_env": "TEST_APPRISE_URLS"}).deliver(reminder())
    assert sorted(r["path"] for r in server.received) == ["/a", "/b"]  # type: ignore[attr-defined]


def test_a_failing_service_is_a_transient_failure(server: ThreadingHTTPServer) -> None:
    server.status = 503  # type: ignore[attr-defined]
    channel = spec().build({"urls": [f"json://127.0.0.1:{server.server_port}/"]})
    with pytest.raises(DeliveryError) as caught:
        channel.deliver(reminder())
    assert caught.value.transient


def test_an_unknown_url_and_an_unset_variable_are_configuration_errors(monkeypatch: pytest.MonkeyPatch) -> None:
    with pytest.raises(InvalidInput, match="does not understand"):
        spec().build({"urls": ["nosuchservice://abcdefghijklmnopqrstuvwxyz"]})
    monkeypatch.delenv("TEST_APPRISE_MISSING", raising=False)
    with pytest.raises(InvalidInput, match="TEST_APPRISE_MISSING"):
        spec().build({"urls_env": "TEST_APPRISE_MISSING"})
    with pytest.raises(InvalidInput, match="no URLs"):
        spec().build({})
