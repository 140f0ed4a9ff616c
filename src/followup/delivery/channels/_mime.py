"""Turning a :class:`followup.Message` into a standards-conforming email, safely.

Headers are built with :mod:`email.headerregistry`, so names with commas, quotes or
non-ASCII letters are encoded correctly; a carriage return or line feed in a name,
an address or the subject is refused outright, so no value from a state file or a
template can add a header of its own.
"""

from __future__ import annotations

import datetime as dt
import email.policy
import email.utils
from email.headerregistry import Address
from email.message import EmailMessage

from .._channel import DeliveryError, Message, Party

__all__ = ["address", "build_email", "refuse_line_breaks"]


def refuse_line_breaks(key: str, what: str, value: str | None) -> None:
    """Raise a permanent :class:`followup.DeliveryError` if ``value`` holds CR, LF or another line break."""
    if value is not None and any(ch in value for ch in "\r\n\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029"):
        raise DeliveryError(
            f"{key}: the {what} {value!r} contains a line break; refusing to put it in an email header",
            transient=False,
        )


def address(key: str, what: str, name: str | None, addr: str) -> Address:
    """An :class:`email.headerregistry.Address`, or a permanent DeliveryError naming the bad part."""
    refuse_line_breaks(key, f"{what} name", name)
    refuse_line_breaks(key, f"{what} address", addr)
    if addr.count("@") != 1 or any(ch.isspace() for ch in addr) or addr.startswith("@") or addr.endswith("@"):
        raise DeliveryError(
            f"{key}: the {what} address {addr!r} is not an email address (want user@domain)", transient=False
        )
    try:
        return Address(display_name=name or "", addr_spec=addr)
    except (ValueError, IndexError) as exc:
        raise DeliveryError(f"{key}: the {what} address {addr!r} cannot be used: {exc}", transient=False) from None


def build_email(
    message: Message, *, sender: Party, to: str, to_name: str | None = None, date: dt.datetime | None = None
) -> EmailMessage:
    """The email for ``message`` from ``sender`` to ``to``, with a Message-ID derived from its key.

    :param date: the Date header; the current time by default.

    The Message-ID is the same for every attempt at the same action, so a receiving
    system that deduplicates by it sees one message even if the channel retries.
    """
    if not sender.email:
        raise DeliveryError(
            f"{message.key}: no sender address: set the candidate's email in the state or "
            "[sender] email in the configuration file",
            transient=False,
        )
    refuse_line_breaks(message.key, "subject", message.subject)
    for name, value in message.headers.items():
        refuse_line_breaks(message.key, f"header {name}", name)
        refuse_line_breaks(message.key, f"header {name}", value)
    mail = EmailMessage(policy=email.policy.SMTP)
    mail["From"] = address(message.key, "sender", sender.name, sender.email)
    mail["To"] = address(message.key, "recipient", to_name, to)
    mail["Subject"] = message.subject
    domain = sender.email.rpartition("@")[2]
    mail["Message-ID"] = f"<{message.idempotency_key}@{domain}>"
    mail["Date"] = email.utils.format_datetime(date or dt.datetime.now(dt.UTC))
    mail["X-Followup-Key"] = message.idempotency_key
    for name, value in message.headers.items():
        mail[name] = value
    mail.set_content(message.body)
    if message.html is not None:
        mail.add_alternative(message.html, subtype="html")
    return mail
