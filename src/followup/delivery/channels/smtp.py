"""The ``email`` channel: real SMTP, with STARTTLS or implicit TLS and optional login.

Settings (``[channels.email]`` in the configuration file; never in a rulebook):

``host`` (required), ``port`` (default 587 for ``starttls``, 465 for ``ssl``, 25 for
``none``), ``security`` (``starttls``, ``ssl`` or ``none``; default ``starttls``),
``username``, ``password_env`` (the environment variable holding the password),
``from`` (the sender address, when it differs from the candidate's email),
``timeout`` in seconds (default 30), ``ca_file`` (a PEM bundle to trust, for a
server with a private certificate authority).

SMTP is not idempotent: the dispatcher never resends after a crash between claim
and record. Failures say whether trying again may help: an unreachable server, a
timeout or a 4xx reply are transient; a refused login, address or message are not.
"""

from __future__ import annotations

import smtplib
import ssl
from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Any

from .._channel import DeliveryError, Message, Receipt
from .._config import secret_from_env
from ._mime import build_email
from ._schemas import SMTP_SCHEMA

__all__ = ["SMTP_SCHEMA", "SmtpChannel", "build_smtp", "recipient_detail"]


_DEFAULT_PORT = {"starttls": 587, "ssl": 465, "none": 25}


@dataclass(frozen=True)
class SmtpChannel:
    """Sends messages through one SMTP server.

    :param address_for: picks the envelope recipient from the message (the
        recipient's email by default; the fax channel maps fax numbers to a gateway).
    """

    host: str
    port: int
    security: str = "starttls"
    username: str | None = None
    password: str | None = None
    sender_email: str | None = None
    timeout: float = 30.0
    ca_file: str | None = None
    name: str = "email"

    def recipient_address(self, message: Message) -> str:
        """The address to send ``message`` to: the recipient's email."""
        return recipient_detail(message, "email", "email address")

    def deliver(self, message: Message) -> Receipt:
        """Send ``message``; raise :class:`followup.DeliveryError` saying whether a retry may help."""
        to = self.recipient_address(message)
        sender = message.sender if not self.sender_email else replace(message.sender, email=self.sender_email)
        recipient_name = message.recipient.name if message.recipient is not None else None
        mail = build_email(message, sender=sender, to=to, to_name=recipient_name)
        where = f"{self.host}:{self.port}"
        try:
            self._send(mail)
        except smtplib.SMTPAuthenticationError as exc:
            raise DeliveryError(
                f"{message.key}: {where} refused the login for {self.username!r}: {_reply(exc)}", transient=False
            ) from None
        except smtplib.SMTPRecipientsRefused as exc:
            codes = [code for code, _ in exc.recipients.values()]
            transient = all(400 <= code < 500 for code in codes)
            raise DeliveryError(
                f"{message.key}: {where} refused the recipient {to}: "
                + "; ".join(f"{code} {text.decode(errors='replace')}" for code, text in exc.recipients.values()),
                transient=transient,
            ) from None
        except smtplib.SMTPNotSupportedError:
            raise DeliveryError(
                f'{message.key}: {where} does not offer STARTTLS; set security = "ssl" (port 465) or, '
                'only on a trusted network, "none"',
                transient=False,
            ) from None
        except smtplib.SMTPResponseException as exc:
            raise DeliveryError(
                f"{message.key}: {where} answered {_reply(exc)}", transient=400 <= exc.smtp_code < 500
            ) from None
        except ssl.SSLCertVerificationError as exc:
            raise DeliveryError(
                f"{message.key}: the certificate of {where} cannot be trusted ({exc.verify_message}); "
                "set ca_file if the server uses a private certificate authority",
                transient=False,
            ) from None
        except (smtplib.SMTPException, OSError) as exc:
            raise DeliveryError(
                f"{message.key}: could not deliver through {where}: {type(exc).__name__}: {exc}", transient=True
            ) from None
        return Receipt(channel=self.name, reference=str(mail["Message-ID"]), detail=f"sent to {to} via {where}")

    def _send(self, mail: Any) -> None:
        context = ssl.create_default_context(cafile=self.ca_file) if self.security != "none" else None
        smtp: smtplib.SMTP
        if self.security == "ssl":
            smtp = smtplib.SMTP_SSL(self.host, self.port, timeout=self.timeout, context=context)
        else:
            smtp = smtplib.SMTP(self.host, self.port, timeout=self.timeout)
        with smtp:
            smtp.ehlo()
            if self.security == "starttls":
                smtp.starttls(context=context)
                smtp.ehlo()
            if self.username:
                smtp.login(self.username, self.password or "")
            smtp.send_message(mail)


def _reply(exc: smtplib.SMTPResponseException) -> str:
    text = exc.smtp_error.decode(errors="replace") if isinstance(exc.smtp_error, bytes) else str(exc.smtp_error)
    return f"{exc.smtp_code} {text}"


def smtp_settings(settings: Mapping[str, Any], *, channel: str) -> dict[str, Any]:
    """Keyword arguments for :class:`SmtpChannel` from a settings mapping (password read from the environment)."""
    security = str(settings.get("security", "starttls"))
    return {
        "host": str(settings["host"]),
        "port": int(settings.get("port", _DEFAULT_PORT[security])),
        "security": security,
        "username": settings.get("username"),
        "password": secret_from_env(settings, "password_env", channel=channel),
        "sender_email": settings.get("from"),
        "timeout": float(settings.get("timeout", 30)),
        "ca_file": settings.get("ca_file"),
        "name": channel,
    }


def build_smtp(settings: Mapping[str, Any]) -> SmtpChannel:
    """The ``email`` channel from its settings."""
    return SmtpChannel(**smtp_settings(settings, channel="email"))


def recipient_detail(message: Message, field: str, what: str) -> str:
    """The recipient's contact detail ``field`` (``email``, ``fax``); a permanent failure naming them without it."""
    recipient = message.recipient
    value = getattr(recipient, field, None) if recipient is not None else None
    if not value:
        who = recipient.name if recipient is not None and recipient.name else "the recipient"
        raise DeliveryError(f"{message.key}: {who} has no {what} on file", transient=False)
    return str(value)
