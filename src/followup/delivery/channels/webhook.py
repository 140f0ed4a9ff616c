"""The ``webhook`` channel: each action as a signed JSON POST to a URL.

Settings (``[channels.webhook]``): ``url`` (required, http or https),
``secret_env`` (the environment variable holding the signing key), ``timeout`` in
seconds (default 10), ``retries`` (further attempts after a transient failure,
default 2), ``backoff`` (seconds before the first retry, doubling each time,
default 1), ``headers`` (extra, non-secret headers).

Every request carries:

``Idempotency-Key``
    the action's idempotency key, the same on every attempt: the receiver drops
    repeats, which makes the channel idempotent.
``X-Followup-Signature``
    ``sha256=<hex>``, the HMAC-SHA256 of the exact request body under the secret
    (sent only when ``secret_env`` is set). Verify it before trusting the body.

A 2xx answer is success. 5xx, 408, 425, 429, a refused connection and a timeout
are transient: retried here, then reported as a transient
:class:`followup.DeliveryError` so the dispatcher tries again later. Any other
answer is permanent.

Redirects are never followed: a client that follows a 302 turns the POST into a
body-less GET, and the message would be recorded as delivered while the receiver
got nothing. A 3xx is a permanent failure naming the status. ``timeout`` is one
wall-clock deadline for a whole attempt (connect, send, answer), however slowly
the server drips its reply. The URL is shown redacted (``https://host/…``) in every
error, log line and stored row: a token in its path, query or user part never
leaves the configuration.
"""

from __future__ import annotations

import contextlib
import hashlib
import hmac
import http.client
import json
import socket
import ssl
import threading
import time
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from typing import Any

from .._channel import DeliveryError, Message, Receipt
from .._config import seconds_setting, secret_from_env
from ._mime import header_problem
from ._schemas import WEBHOOK_SCHEMA

__all__ = ["WEBHOOK_SCHEMA", "WebhookChannel", "build_webhook", "payload", "redact_url", "sign"]


SIGNATURE_HEADER = "X-Followup-Signature"
_TRANSIENT_STATUS = frozenset({408, 425, 429})
#: the most of an answer read (the body is not used; this only drains the connection)
_MAX_ANSWER = 64 * 1024


def redact_url(url: str) -> str:
    """``url`` as it may be shown: scheme, host and port only (``https://hooks.example:8443/…``).

    The user part, the path and the query often carry a token (Slack, Discord and
    most "incoming webhook" services put it in the path), so none of them is shown.
    """
    scheme, sep, rest = url.partition("://")
    if not sep:
        return "<webhook url>"
    authority, slash, tail = rest.partition("/")
    host = authority.rpartition("@")[2]
    query = "?" in authority or "#" in authority
    host = host.split("?")[0].split("#")[0]
    return f"{scheme}://{host}" + ("/…" if (slash and tail) or query else "")


def payload(message: Message) -> bytes:
    """The JSON body: the message, its parties and the action (instants in ISO 8601 with offsets)."""
    document = {
        "idempotency_key": message.idempotency_key,
        "key": message.key,
        "kind": message.kind,
        "medium": message.medium,
        "subject": message.subject,
        "body": message.body,
        "timezone": message.timezone,
        "sender": asdict(message.sender),
        "recipient": asdict(message.recipient) if message.recipient is not None else None,
        "action": message.action.to_dict() if message.action is not None else None,
    }
    return json.dumps(document, ensure_ascii=False, sort_keys=True).encode("utf-8")


def sign(body: bytes, secret: str) -> str:
    """The signature header value for ``body``: ``sha256=`` and the hex HMAC-SHA256."""
    return "sha256=" + hmac.new(secret.encode("utf-8"), body, hashlib.sha256).hexdigest()


@dataclass(frozen=True)
class WebhookChannel:
    """POSTs messages to one URL."""

    url: str
    secret: str | None = None
    timeout: float = 10.0
    retries: int = 2
    backoff: float = 1.0
    headers: Mapping[str, str] = field(default_factory=dict)
    name: str = "webhook"

    def deliver(self, message: Message) -> Receipt:
        """POST ``message``; retry transient failures, then raise :class:`followup.DeliveryError`."""
        body = payload(message)
        headers = {
            "Content-Type": "application/json; charset=utf-8",
            "User-Agent": "followup-webhook",
            "Idempotency-Key": message.idempotency_key,
            **self.headers,
        }
        for name, value in headers.items():
            problem = header_problem(name) or header_problem(value)
            if problem is not None:  # the value may be a credential: it is not shown
                raise DeliveryError(f"{message.key}: the webhook header {name[:40]!r} {problem}", transient=False)
        if self.secret is not None:
            headers[SIGNATURE_HEADER] = sign(body, self.secret)
        attempt = 0
        while True:
            try:
                return self._post(message, body, headers)
            except DeliveryError as error:
                if not error.transient or attempt >= self.retries:
                    raise
            if self.backoff:
                time.sleep(self.backoff * 2**attempt)
            attempt += 1

    def _post(self, message: Message, body: bytes, headers: Mapping[str, str]) -> Receipt:
        where = redact_url(self.url)
        deadline = time.monotonic() + self.timeout
        late = f"{message.key}: {where} did not answer within {self.timeout:g} s"
        connection = self._connection()
        watchdog = threading.Timer(self.timeout, _abort, args=(connection,))
        watchdog.daemon = True
        watchdog.start()
        try:
            connection.request("POST", _target(self.url), body=body, headers=dict(headers))
            response = connection.getresponse()
            status, reason = response.status, str(response.reason)[:80]
            response.read(_MAX_ANSWER)
        except TimeoutError:
            raise DeliveryError(late, transient=True) from None
        except ssl.SSLCertVerificationError as exc:
            raise DeliveryError(
                f"{message.key}: the certificate of {where} cannot be trusted ({exc.verify_message})", transient=False
            ) from None
        except (OSError, http.client.HTTPException) as exc:
            if time.monotonic() >= deadline:
                raise DeliveryError(late, transient=True) from None
            raise DeliveryError(
                f"{message.key}: cannot reach {where}: {type(exc).__name__}: {str(exc)[:120]}", transient=True
            ) from None
        finally:
            watchdog.cancel()
            connection.close()
        if time.monotonic() > deadline:
            raise DeliveryError(late, transient=True)
        if 300 <= status < 400:
            raise DeliveryError(
                f"{message.key}: {where} answered HTTP {status} {reason}, a redirect; followup does not follow "
                "redirects of a POST (the message would be lost): set url to the address it points to",
                transient=False,
            )
        if not 200 <= status < 300:
            transient = status >= 500 or status in _TRANSIENT_STATUS
            raise DeliveryError(f"{message.key}: {where} answered HTTP {status} {reason}", transient=transient)
        return Receipt(channel=self.name, reference=message.idempotency_key, detail=f"HTTP {status} from {where}")

    def _connection(self) -> http.client.HTTPConnection:
        from urllib.parse import urlsplit

        parts = urlsplit(self.url)
        host = parts.hostname or ""
        if parts.scheme == "https":
            return http.client.HTTPSConnection(
                host, parts.port, timeout=self.timeout, context=ssl.create_default_context()
            )
        return http.client.HTTPConnection(host, parts.port, timeout=self.timeout)


def _target(url: str) -> str:
    """The request target (path and query) of ``url``."""
    from urllib.parse import urlsplit

    parts = urlsplit(url)
    return (parts.path or "/") + (f"?{parts.query}" if parts.query else "")


def _abort(connection: http.client.HTTPConnection) -> None:
    """The attempt's deadline passed: shut the socket so a blocked read returns at once."""
    sock = connection.sock
    if sock is not None:
        with contextlib.suppress(OSError):
            sock.shutdown(socket.SHUT_RDWR)


def build_webhook(settings: Mapping[str, Any]) -> WebhookChannel:
    """The ``webhook`` channel from its settings."""
    return WebhookChannel(
        url=str(settings["url"]),
        secret=secret_from_env(settings, "secret_env", channel="webhook"),
        timeout=seconds_setting(settings, "timeout", 10, channel="webhook"),
        retries=int(settings.get("retries", 2)),
        backoff=seconds_setting(settings, "backoff", 1.0, channel="webhook", longest=600) if settings.get("backoff", 1) else 0.0,
        headers=dict(settings.get("headers", {})),
    )
