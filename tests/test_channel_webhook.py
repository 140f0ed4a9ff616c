"""The webhook channel against a real HTTP server on loopback: signature, idempotency key, retries, timeouts."""

from __future__ import annotations

import hashlib
import hmac
import json
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

EXAMPLE = Path(__file__).resolve().parent.parent / "examples" / "job-search.yaml"
NOW = parse_instant("2026-11-30T09:30:00+01:00")
WEBHOOK = next(spec for spec in CHANNELS if spec.name == "webhook")


class Hook(BaseHTTPRequestHandler):
    def do_POST(self) -> None:
        server: Any = self.server
        body = self.rfile.read(int(self.headers["Content-Length"]))
        server.requests.append({"headers": dict(self.headers), "body": body, "path": self.path})
        if server.statuses and server.statuses[0] == "hang":
            server.statuses.pop(0)
            server.release.wait(30)  # until the test is over; the client times out first
            return
        status = server.statuses.pop(0) if server.statuses else 204
        self.send_response(status)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *args: Any) -> None:
        pass


@pytest.fixture
def server() -> Iterator[Any]:
    httpd: Any = ThreadingHTTPServer(("127.0.0.1", 0), Hook)
    httpd.daemon_threads = True
    httpd.requests = []
    httpd.statuses = []
    httpd.release = threading.Event()
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


def webhook(server: Any, **settings: Any) -> Any:
    values = {"url": f"http://127.0.0.1:{server.server_port}/followup", "backoff": 0, **settings}
    return build_channel(WEBHOOK, Config(None, {"channels": {"webhook": values}}))


def test_the_action_is_posted_as_signed_json_with_an_idempotency_key(
    server: Any, message: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TEST_WEBHOOK_SECRET", "hush")
    receipt = webhook(server, secret_env="TEST_WEBHOOK_SECRET").deliver(message)
    assert receipt.channel == "webhook" and "HTTP 204" in receipt.detail
    (request,) = server.requests
    assert request["path"] == "/followup"
    headers = {k.lower(): v for k, v in request["headers"].items()}
    assert headers["idempotency-key"] == message.idempotency_key
    assert headers["content-type"].startswith("application/json")
    expected = "sha256=" + hmac.new(b"hush", request["body"], hashlib.sha256).hexdigest()
    assert hmac.compare_digest(headers["x-followup-signature"], expected)
    document = json.loads(request["body"])
    assert document["key"] == message.key == "status-call:northwind-data"
    assert document["kind"] == "status_call"
    assert document["subject"] == message.subject
    assert document["action"]["due_at"].endswith("+01:00")
    assert document["recipient"]["name"] == "Priya Raman"


def test_a_5xx_is_retried_with_the_same_idempotency_key(server: Any, message: Any) -> None:
    server.statuses = [503, 500]
    webhook(server, retries=2).deliver(message)
    assert len(server.requests) == 3
    assert len({r["headers"]["Idempotency-Key"] for r in server.requests}) == 1
    assert len({r["body"] for r in server.requests}) == 1


def test_a_500_after_the_last_retry_is_a_transient_failure(server: Any, message: Any) -> None:
    server.statuses = [500, 500]
    with pytest.raises(DeliveryError, match="HTTP 500") as caught:
        webhook(server, retries=1).deliver(message)
    assert caught.value.transient
    assert len(server.requests) == 2


def test_a_client_error_is_permanent_and_not_retried(server: Any, message: Any) -> None:
    server.statuses = [404]
    with pytest.raises(DeliveryError, match="HTTP 404") as caught:
        webhook(server, retries=3).deliver(message)
    assert not caught.value.transient
    assert len(server.requests) == 1


def test_a_timeout_is_a_transient_failure(server: Any, message: Any) -> None:
    server.statuses = ["hang"]
    with pytest.raises(DeliveryError, match=r"did not answer within 0\.2 s") as caught:
        webhook(server, timeout=0.2, retries=0).deliver(message)
    assert caught.value.transient


def test_a_refused_connection_is_a_transient_failure(message: Any) -> None:
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    channel = build_channel(
        WEBHOOK, Config(None, {"channels": {"webhook": {"url": f"http://127.0.0.1:{port}/", "retries": 0}}})
    )
    with pytest.raises(DeliveryError, match="cannot reach") as caught:
        channel.deliver(message)
    assert caught.value.transient


def test_settings_are_checked_and_secrets_stay_out_of_the_file(monkeypatch: pytest.MonkeyPatch) -> None:
    with pytest.raises(InvalidInput, match=r"channels\.webhook\.url"):
        build_channel(WEBHOOK, Config(None, {"channels": {"webhook": {"url": "ftp://example.org"}}}))
    monkeypatch.delenv("TEST_WEBHOOK_UNSET", raising=False)
    with pytest.raises(InvalidInput, match=r"TEST_WEBHOOK_UNSET.*not set"):
        build_channel(
            WEBHOOK,
            Config(None, {"channels": {"webhook": {"url": "http://x.example", "secret_env": "TEST_WEBHOOK_UNSET"}}}),
        )
    assert WEBHOOK.idempotent is True
