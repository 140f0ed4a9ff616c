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

A 2xx answer is success. 5xx, 408, 429, a refused connection and a timeout are
transient: retried here, then reported as a transient
:class:`followup.DeliveryError` so the dispatcher tries again later. Any other
answer is permanent.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import time
import urllib.error
import urllib.request
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from typing import Any

from .._channel import DeliveryError, Message, Receipt
from .._config import secret_from_env
from ._mime import refuse_line_breaks
from ._schemas import WEBHOOK_SCHEMA

__all__ = ["WEBHOOK_SCHEMA", "WebhookChannel", "build_webhook", "payload", "sign"]


SIGNATURE_HEADER = "X-Followup-Signature"
_TRANSIENT_STATUS = frozenset({408, 425, 429})


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
            refuse_line_breaks(message.key, f"header {name}", value)
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
        request = urllib.request.Request(self.url, data=body, headers=dict(headers), method="POST")
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:
                status = response.status
                response.read()
        except urllib.error.HTTPError as exc:
            status = exc.code
            transient = status >= 500 or status in _TRANSIENT_STATUS
            raise DeliveryError(
                f"{message.key}: {self.url} answered HTTP {status} {exc.reason}", transient=transient
            ) from None
        except TimeoutError:
            raise DeliveryError(
                f"{message.key}: {self.url} did not answer within {self.timeout:g} s", transient=True
            ) from None
        except urllib.error.URLError as exc:
            reason = exc.reason
            if isinstance(reason, TimeoutError):
                raise DeliveryError(
                    f"{message.key}: {self.url} did not answer within {self.timeout:g} s", transient=True
                ) from None
            raise DeliveryError(f"{message.key}: cannot reach {self.url}: {reason}", transient=True) from None
        except OSError as exc:
            raise DeliveryError(f"{message.key}: cannot reach {self.url}: {exc}", transient=True) from None
        return Receipt(channel=self.name, reference=message.idempotency_key, detail=f"HTTP {status} from {self.url}")


def build_webhook(settings: Mapping[str, Any]) -> WebhookChannel:
    """The ``webhook`` channel from its settings."""
    return WebhookChannel(
        url=str(settings["url"]),
        secret=secret_from_env(settings, "secret_env", channel="webhook"),
        timeout=float(settings.get("timeout", 10)),
        retries=int(settings.get("retries", 2)),
        backoff=float(settings.get("backoff", 1.0)),
        headers=dict(settings.get("headers", {})),
    )
