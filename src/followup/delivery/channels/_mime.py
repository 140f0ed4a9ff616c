"""Turning a :class:`followup.Message` into a standards-conforming email, safely.

Headers are built with :mod:`email.headerregistry`, so names with commas, quotes or
non-ASCII letters are encoded correctly. Every value that reaches a header (names,
addresses, the subject, extra headers) is checked twice:

1. as written and after decoding RFC 2047 encoded words (``=?utf-8?q?...?=``), the
   way the standard library will read it when it folds the header: any line break
   (CR, LF, VT, FF, the separators 0x1c-0x1e, NEL, U+2028, U+2029) refuses it;
2. once the message is built, its serialized header block is parsed back and must
   hold exactly the headers that were set, in order, each on its own (folded) lines.

So no value from a state file or a template can add a header, end the header block
early or push text into the body, whatever the Python version's folding does.
"""

from __future__ import annotations

import datetime as dt
import email.policy
import email.utils
from email.errors import HeaderParseError
from email.header import decode_header, make_header
from email.headerregistry import Address
from email.message import EmailMessage

from .._channel import DeliveryError, Message, Party

__all__ = ["address", "build_email", "decoded", "header_problem", "refuse_line_breaks"]

#: every character :meth:`str.splitlines` breaks on
LINE_BREAKS = "\r\n\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029"
_EXCERPT = 80


def _excerpt(value: str) -> str:
    return repr(value if len(value) <= _EXCERPT else value[:_EXCERPT] + "…")


def decoded(value: str) -> str:
    """``value`` with its RFC 2047 encoded words decoded, as a mail reader would show it.

    A malformed encoded word, or one in an unknown charset, is left as written
    (the standard library does the same when it folds the header).
    """
    if "=?" not in value:
        return value
    try:
        return str(make_header(decode_header(value)))
    except (HeaderParseError, LookupError, UnicodeError, ValueError):
        return value


def header_problem(value: str | None) -> str | None:
    """Why ``value`` cannot go into an email header (a line break, raw or encoded), or ``None``."""
    if value is None:
        return None
    if any(ch in value for ch in LINE_BREAKS):
        return "contains a line break"
    text = decoded(value)
    # decoded words may themselves hold encoded words; two rounds cover what folding decodes
    for layer in (text, decoded(text)):
        if any(ch in layer for ch in LINE_BREAKS):
            return "contains a line break once its encoded words (=?charset?q?...?=) are decoded"
    return None


def refuse_line_breaks(key: str, what: str, value: str | None) -> None:
    """Raise a permanent :class:`followup.DeliveryError` if ``value`` holds a line break, raw or RFC 2047 encoded."""
    problem = header_problem(value)
    if problem is not None:
        assert value is not None
        raise DeliveryError(
            f"{key}: the {what} {_excerpt(value)} {problem}; refusing to put it in an email header",
            transient=False,
        )


def address(key: str, what: str, name: str | None, addr: str) -> Address:
    """An :class:`email.headerregistry.Address`, or a permanent DeliveryError naming the bad part."""
    refuse_line_breaks(key, f"{what} name", name)
    refuse_line_breaks(key, f"{what} address", addr)
    if addr.count("@") != 1 or any(ch.isspace() for ch in addr) or addr.startswith("@") or addr.endswith("@"):
        raise DeliveryError(
            f"{key}: the {what} address {_excerpt(addr)} is not an email address (want user@domain)", transient=False
        )
    try:
        built = Address(display_name=name or "", addr_spec=addr)
    except (ValueError, IndexError) as exc:
        raise DeliveryError(
            f"{key}: the {what} address {_excerpt(addr)} cannot be used: {exc}", transient=False
        ) from None
    # what the header registry made of it: display name, user and domain, each checked again
    for part, value in (("name", built.display_name), ("address", built.username), ("address", built.domain)):
        refuse_line_breaks(key, f"{what} {part}", value)
    return built


def _verify_headers(key: str, mail: EmailMessage) -> None:
    """Parse the serialized header block back: exactly the headers set, nothing added, nothing cut."""
    try:
        raw = mail.as_bytes()
    except (ValueError, UnicodeError, HeaderParseError) as exc:
        raise DeliveryError(f"{key}: the email cannot be written out: {exc}", transient=False) from None
    head = raw.split(b"\r\n\r\n", 1)[0]
    found: list[str] = []
    stray = False
    for line in head.split(b"\r\n"):
        stray = stray or any(byte in line for byte in b"\r\n\x0b\x0c\x1c\x1d\x1e")
        if line[:1] in (b" ", b"\t") and found:
            continue
        name, colon, _ = line.partition(b":")
        found.append(name.decode("ascii", "replace").strip().lower() if colon else "<text>")
    expected = [name.lower() for name in mail]
    if stray or found != expected:
        extra = [name for name in found if name not in expected]
        raise DeliveryError(
            f"{key}: refusing to send: a value would change the email's headers"
            + (f" (it would add {', '.join(extra[:3])})" if extra else ""),
            transient=False,
        )


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
    for name in ("From", "To", "Subject"):
        refuse_line_breaks(message.key, f"{name} header", str(mail[name]))
    mail.set_content(message.body)
    if message.html is not None:
        mail.add_alternative(message.html, subtype="html")
    _verify_headers(message.key, mail)
    return mail
