"""Reading a mailbox over IMAP, and nothing but reading it.

Every mailbox is opened with ``EXAMINE`` (``select(readonly=True)``) and every part of
a message is fetched with ``BODY.PEEK``, so the server never sets ``\\Seen`` or any
other flag; nothing is stored, copied, moved, expunged or deleted. Headers are
fetched for every new message; a body only for a message :mod:`._match` has found to
be the employer's or the candidate's own note to them.

Every failure (the server cannot be reached, the certificate does not verify, the
login is refused, the mailbox does not exist) is a :class:`MailError` with one line a
person can act on; the password is never part of it.
"""

from __future__ import annotations

import contextlib
import os
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .._errors import FollowupError, InvalidInput

if TYPE_CHECKING:
    import imaplib

__all__ = ["HEADER_FIELDS", "MailError", "MailSettings", "Mailbox", "connect"]

#: the header fields fetched for every new message
HEADER_FIELDS = ("FROM", "TO", "CC", "DATE", "SUBJECT", "MESSAGE-ID", "IN-REPLY-TO", "REFERENCES")
#: how many messages' headers one FETCH asks for
_CHUNK = 200
#: how much of an employer's message is fetched to read what it says
MESSAGE_LIMIT = 1024 * 1024


class MailError(FollowupError):
    """A mailbox that cannot be read: unreachable, refused, unverifiable, missing."""


@dataclass(frozen=True)
class MailSettings:
    """The ``[mail]`` section of the configuration.

    :ivar security: ``tls`` (implicit TLS, port 993 by default) or ``starttls``
        (plain IMAP upgraded before the login, port 143 by default).
    :ivar password_env: the environment variable holding the (app) password; the
        password itself is never in a file.
    :ivar inbox: the mailbox the employer's mail arrives in; ``sent``: the candidate's
        sent mail (``[Gmail]/Sent Mail`` on Gmail).
    :ivar addresses: the candidate's own addresses besides the state's email (mail
        from them in the inbox is not a reply).
    :ivar positions: where the last position of each mailbox is kept (``None``: in
        the user's state folder).
    """

    host: str
    user: str
    password_env: str
    port: int = 993
    security: str = "tls"
    inbox: str = "INBOX"
    sent: str | None = "Sent"
    ca_file: str | None = None
    timeout: float = 30.0
    addresses: tuple[str, ...] = ()
    positions: str | None = None

    @classmethod
    def from_config(cls, config: Any) -> MailSettings:
        """The settings of ``config`` (a :class:`followup.delivery.Config`).

        :raises InvalidInput: there is no ``[mail]`` section.
        """
        section: Mapping[str, Any] = config.data.get("mail") or {}
        if not section:
            raise InvalidInput.single(
                config.where,
                "has no [mail] section; add host, user and password_env (see docs/mail.md)",
            )
        security = str(section.get("security", "tls"))
        port = int(section.get("port", 993 if security == "tls" else 143))
        sent = section.get("sent", "Sent")
        positions = section.get("positions")
        return cls(
            host=str(section["host"]),
            user=str(section["user"]),
            password_env=str(section["password_env"]),
            port=port,
            security=security,
            inbox=str(section.get("inbox", "INBOX")),
            sent=str(sent) if sent else None,
            ca_file=str(config.resolve_path(section["ca_file"])) if section.get("ca_file") else None,
            timeout=float(section.get("timeout", 30)),
            addresses=tuple(str(a).lower() for a in section.get("addresses", ())),
            positions=str(config.resolve_path(positions)) if positions else None,
        )

    @property
    def account(self) -> str:
        """``user@host:port``, naming the account in positions and messages."""
        return f"{self.user}@{self.host}:{self.port}"

    def password(self) -> str:
        value = os.environ.get(self.password_env)
        if value is None or not value.strip():
            state = "not set" if value is None else "empty"
            raise MailError(
                f"[mail] password_env: the environment variable {self.password_env!r} is {state}; "
                "export the (app) password there before `followup mail sync`"
            )
        return value


def _quote(name: str) -> str:
    """A mailbox name as an IMAP quoted string."""
    return '"' + name.replace("\\", "\\\\").replace('"', '\\"') + '"'


class Mailbox:
    """An open, logged-in IMAP connection that only reads."""

    def __init__(self, client: imaplib.IMAP4, settings: MailSettings) -> None:
        self.client = client
        self.settings = settings

    def close(self) -> None:
        with contextlib.suppress(Exception):  # the connection is going away either way
            self.client.logout()

    def __enter__(self) -> Mailbox:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _call(self, what: str, function: Any, *args: Any) -> Any:
        import imaplib
        import ssl

        try:
            typ, data = function(*args)
        except (TimeoutError, imaplib.IMAP4.error, ssl.SSLError, OSError) as exc:
            raise MailError(f"IMAP {self.settings.account}: {what} failed: {_one_line(exc)}") from None
        if typ != "OK":
            raise MailError(f"IMAP {self.settings.account}: {what} refused: {_one_line(data)}")
        return data

    def examine(self, name: str) -> int:
        """Open mailbox ``name`` read-only (``EXAMINE``); its UIDVALIDITY.

        :raises MailError: no such mailbox (naming the ones there are).
        """
        import imaplib

        try:
            typ, data = self.client.select(_quote(name), readonly=True)
        except imaplib.IMAP4.error as exc:
            typ, data = "NO", [str(exc).encode()]
        if typ != "OK":
            raise MailError(
                f"IMAP {self.settings.account}: mailbox {name!r} does not exist or cannot be opened "
                f"({_one_line(data)}); mailboxes there: {', '.join(self.mailboxes()) or 'none'}"
            )
        _, values = self.client.response("UIDVALIDITY")
        try:
            return int(values[0]) if values and values[0] is not None else 0
        except (TypeError, ValueError):
            return 0

    def mailboxes(self) -> list[str]:
        try:
            _, data = self.client.list()
        except Exception:  # noqa: BLE001 - only used to help an error message
            return []
        names = []
        for line in data or []:
            if isinstance(line, bytes):
                match = re.search(rb'"([^"]*)"\s*$|(\S+)\s*$', line)
                if match:
                    names.append((match.group(1) or match.group(2) or b"").decode("utf-8", "replace"))
        return sorted(names)

    def new_uids(self, after: int, since: Any = None) -> list[int]:
        """The UIDs above ``after`` (and, with ``since`` a date, of messages since that day)."""
        criteria = [f"UID {after + 1}:*"]
        if since is not None:
            criteria.append(f"SINCE {since.day:02d}-{_MONTHS[since.month - 1]}-{since.year}")
        data = self._call("SEARCH", self.client.uid, "SEARCH", None, *criteria)
        found = sorted({int(token) for token in b" ".join(d for d in data if d).split() if token.isdigit()})
        return [uid for uid in found if uid > after]  # "n:*" names the last message even below n

    def headers(self, uids: list[int]) -> Iterator[tuple[int, bytes]]:
        """``(uid, raw header bytes)`` of each message, fetched with ``BODY.PEEK``."""
        fields = " ".join(HEADER_FIELDS)
        for start in range(0, len(uids), _CHUNK):
            chunk = uids[start : start + _CHUNK]
            data = self._call(
                "FETCH headers", self.client.uid, "FETCH", ",".join(map(str, chunk)), f"(UID BODY.PEEK[HEADER.FIELDS ({fields})])"
            )
            yield from _parts(data)

    def message(self, uid: int) -> bytes | None:
        """Message ``uid``, its first :data:`MESSAGE_LIMIT` bytes (``BODY.PEEK[]``: the server marks nothing as read).

        The text of a reply comes before its attachments, so a large message is cut
        rather than read whole.
        """
        what = f"(UID BODY.PEEK[]<0.{MESSAGE_LIMIT}>)"
        for _, raw in _parts(self._call("FETCH message", self.client.uid, "FETCH", str(uid), what)):
            return raw
        return None


_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


def _parts(data: list[Any]) -> Iterator[tuple[int, bytes]]:
    for item in data:
        if not isinstance(item, tuple) or len(item) < 2:
            continue
        match = re.search(rb"UID (\d+)", item[0])
        if match and isinstance(item[1], bytes):
            yield int(match.group(1)), item[1]


def _one_line(value: Any) -> str:
    if isinstance(value, list):
        value = b" ".join(v if isinstance(v, bytes) else str(v).encode() for v in value if v is not None)
    if isinstance(value, bytes):
        value = value.decode("utf-8", "replace")
    text = " ".join(str(value).split())
    return text[:300] or type(value).__name__


def connect(settings: MailSettings) -> Mailbox:
    """Connect, secure the connection (TLS or STARTTLS, certificate verified) and log in.

    :raises MailError: with one line saying what failed and what to check.
    """
    import imaplib
    import ssl

    password = settings.password()
    where = f"{settings.host}:{settings.port}"
    if settings.ca_file is not None and not Path(settings.ca_file).is_file():
        raise MailError(f"[mail] ca_file {settings.ca_file!r} is not a file")
    try:
        context = ssl.create_default_context(cafile=settings.ca_file)
    except (ssl.SSLError, OSError) as exc:
        raise MailError(f"[mail] ca_file {settings.ca_file!r} cannot be read as certificates: {_one_line(exc)}") from None
    client: imaplib.IMAP4 | None = None
    try:
        if settings.security == "tls":
            client = imaplib.IMAP4_SSL(settings.host, settings.port, ssl_context=context, timeout=settings.timeout)
        else:
            client = imaplib.IMAP4(settings.host, settings.port, timeout=settings.timeout)
            if "STARTTLS" not in client.capabilities:
                raise MailError(f"IMAP server {where} does not offer STARTTLS; use security = \"tls\" (port 993)")
            client.starttls(ssl_context=context)
    except ssl.SSLCertVerificationError as exc:
        _drop(client)
        raise MailError(
            f"IMAP server {where}: its TLS certificate does not verify ({exc.verify_message or _one_line(exc)}); "
            "check the host name, or set [mail] ca_file for a private authority"
        ) from None
    except MailError:
        _drop(client)
        raise
    except (ssl.SSLError, imaplib.IMAP4.error) as exc:
        _drop(client)
        raise MailError(f"IMAP server {where}: TLS could not be set up: {_one_line(exc)}") from None
    except TimeoutError:
        _drop(client)
        raise MailError(f"IMAP server {where} did not answer within {settings.timeout:g} s") from None
    except OSError as exc:
        _drop(client)
        raise MailError(f"cannot reach the IMAP server {where}: {exc.strerror or _one_line(exc)}") from None
    try:
        client.login(settings.user, password)
    except imaplib.IMAP4.error as exc:
        _drop(client)
        detail = _one_line(exc).replace(password, "***")
        raise MailError(
            f"IMAP server {where} refused the login of {settings.user!r} ({detail}); check the password in "
            f"${settings.password_env} (most providers need an app password)"
        ) from None
    except (OSError, ssl.SSLError) as exc:
        _drop(client)
        raise MailError(f"IMAP server {where}: the connection broke during the login: {_one_line(exc)}") from None
    return Mailbox(client, settings)


def _drop(client: Any) -> None:
    if client is None:
        return
    with contextlib.suppress(Exception):  # closing a broken connection
        client.shutdown()
