"""``followup mail sync``: the employer's replies and the candidate's own notes, logged from a mailbox.

For each mailbox (the inbox, then the sent folder) the sync opens it read-only,
asks for the UIDs above the last position it remembers (while the mailbox's
UIDVALIDITY is unchanged; ``--since`` bounds the search by date too), fetches the
headers of those messages, and for each one:

- from the employer (see :mod:`._match`), in the inbox: fetches the message (with
  ``BODY.PEEK``), proposes what it says (:mod:`._meaning`) and logs a ``reply`` with
  its ``Message-ID`` and the proposal;
- in the sent folder, to the employer: logs a ``thank_you_note`` (in the two days
  after an interview, to its interviewer) or a ``follow_up``, from the headers only;
- anything else: nothing, and nothing beyond its headers was read.

Each message is logged in one write (all its contacts or none) that checks its
``Message-ID`` under the journal's lock, so a replayed or concurrent sync logs
nothing twice, and a sync killed at any point resumes where its last complete
message left off. The position is saved after the messages it covers are logged.
A message whose headers cannot be read, whose body cannot be decoded, or that the
state refuses, is skipped and counted, never fatal.
"""

from __future__ import annotations

import datetime as dt
import email.errors
import email.utils
import json
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .._errors import InvalidInput
from ._imap import Mailbox, MailSettings, connect
from ._match import Addresses, Found
from ._meaning import propose

__all__ = ["Header", "Positions", "SyncReport", "parse_header", "sync"]


@dataclass(frozen=True)
class Header:
    """What the sync reads of every message: its headers, decoded."""

    message_id: str
    sender: str
    recipients: tuple[str, ...]
    at: dt.datetime
    subject: str
    thread: tuple[str, ...]


@dataclass
class Recorded:
    """One message logged (or, in a dry run, that would be)."""

    mailbox: str
    uid: int
    application: str | None
    contacts: list[dict[str, Any]]

    def describe(self, tz: dt.tzinfo) -> str:
        from .._time import format_local

        first = self.contacts[0]
        whose = self.application or "your own log"
        kinds = ", ".join(
            c["kind"].replace("_", " ") + (f" from {c['to']}" if c.get("direction") == "in" and c.get("to") else f" to {c['to']}" if c.get("to") else "")
            for c in self.contacts
        )
        proposed = first.get("proposed")
        said = ""
        if proposed is not None:
            meaning = {k: v for k, v in proposed.items() if k != "evidence"}
            said = "; proposed: " + (", ".join(k if v is True else f"{k} {v}" for k, v in meaning.items()) or "an acknowledgement")
        at = format_local(dt.datetime.fromisoformat(first["at"]), tz)
        return f"{self.mailbox} #{self.uid}: {kinds} for {whose} at {at}{said}"


@dataclass
class SyncReport:
    """What a sync did: logged, seen before, not the employer's, skipped (with why)."""

    dry_run: bool = False
    recorded: list[Recorded] = field(default_factory=list)
    replayed: int = 0
    unrelated: int = 0
    skipped: list[tuple[str, int, str]] = field(default_factory=list)
    read: int = 0

    def summary(self) -> str:
        verb = "would log" if self.dry_run else "logged"
        return (
            f"{self.read} message(s) read: {verb} {len(self.recorded)}, {self.replayed} logged before, "
            f"{self.unrelated} not about an application, {len(self.skipped)} skipped"
        )


class Positions:
    """The last UID synced in each mailbox, with its UIDVALIDITY, in a private JSON file."""

    def __init__(self, path: Path) -> None:
        self.path = path
        try:
            loaded = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            loaded = {}
        self.data: dict[str, Any] = loaded if isinstance(loaded, dict) else {}

    @staticmethod
    def default_path() -> Path:
        import platformdirs

        return platformdirs.user_state_path("followup", appauthor=False) / "mail-positions.json"

    def after(self, key: str, uidvalidity: int) -> int:
        entry = self.data.get(key)
        if isinstance(entry, dict) and entry.get("uidvalidity") == uidvalidity and isinstance(entry.get("uid"), int):
            return int(entry["uid"])
        return 0

    def save(self, key: str, uidvalidity: int, uid: int) -> None:
        from .._private import write_private

        self.data[key] = {"uidvalidity": uidvalidity, "uid": uid}
        write_private(self.path, (json.dumps(self.data, indent=2, sort_keys=True) + "\n").encode("utf-8"))


_ID = re.compile(r"<[^<>\s]+>")


def _ids(value: str | None) -> tuple[str, ...]:
    return tuple(_ID.findall(value or ""))


def _text(value: Any) -> str:
    from email.header import decode_header, make_header

    if value is None:
        return ""
    try:
        text = str(make_header(decode_header(str(value))))
    except (UnicodeError, LookupError, ValueError, email.errors.HeaderParseError):
        raise ValueError(f"an undecodable header {str(value)[:60]!r}") from None
    return " ".join(text.split())


def parse_header(raw: bytes) -> Header:
    """The headers of one message. :raises ValueError: saying what is malformed."""
    from email.parser import BytesHeaderParser

    message = BytesHeaderParser().parsebytes(raw)
    message_ids = _ids(str(message.get("Message-ID") or ""))
    if len(message_ids) != 1:
        raise ValueError("no Message-ID" if not message_ids else "more than one Message-ID")
    senders = [address for _, address in email.utils.getaddresses(message.get_all("From", [])) if "@" in address]
    if len(senders) != 1:
        raise ValueError(f"a From header with {len(senders)} addresses")
    date = message.get("Date")
    try:
        at = email.utils.parsedate_to_datetime(str(date)) if date else None
    except (TypeError, ValueError, IndexError):
        at = None
    if at is None or not 1900 <= at.year <= 2200:
        raise ValueError(f"no readable Date ({str(date)[:40]!r})")
    if at.tzinfo is None:
        at = at.replace(tzinfo=dt.UTC)  # "-0000": the zone is unknown, the instant is UTC
    recipients = tuple(
        address.lower()
        for _, address in email.utils.getaddresses(message.get_all("To", []) + message.get_all("Cc", []))
        if "@" in address
    )
    return Header(
        message_id=message_ids[0][:998],
        sender=senders[0].lower(),
        recipients=recipients,
        at=at,
        subject=_text(message.get("Subject"))[:200],
        thread=_ids(str(message.get("In-Reply-To") or "")) + _ids(str(message.get("References") or "")),
    )


def body_text(raw: bytes) -> str:
    """The readable text of a message: its plain part, else its HTML part without tags.

    :raises ValueError: the body cannot be decoded (an unknown charset, broken encoding).
    """
    import html
    from email import policy
    from email.parser import BytesParser

    try:
        message = BytesParser(policy=policy.default).parsebytes(raw)
        part = message.get_body(preferencelist=("plain", "html"))  # type: ignore[attr-defined]
        if part is None:
            return ""
        content = part.get_content()
    except (LookupError, UnicodeError, ValueError, AttributeError, KeyError, TypeError) as exc:
        raise ValueError(f"an undecodable body ({type(exc).__name__})") from None
    if not isinstance(content, str):
        raise ValueError("a body that is not text")
    if part.get_content_subtype() == "html":
        content = html.unescape(re.sub(r"(?is)<(script|style).*?</\1>|<[^>]+>", " ", content))
    return content


def _reply(header: Header, found: Found, raw: bytes, tz: dt.tzinfo) -> dict[str, Any]:
    proposal = propose(body_text(raw), header.at.astimezone(tz).date())
    document: dict[str, Any] = {"at": header.at.isoformat(timespec="seconds"), "kind": "reply", "direction": "in"}
    if found.people:
        document["to"] = found.people[0]
    document.update({"channel": "email", "message_id": header.message_id, "proposed": proposal})
    if header.subject:
        document["note"] = header.subject
    return document


def _notes(header: Header, found: Found, addresses: Addresses) -> list[dict[str, Any]]:
    assert found.application is not None
    documents = []
    for person in found.people or (None,):
        kind, interview = addresses.kind_of_note(found.application, person, header.at)
        document: dict[str, Any] = {"at": header.at.isoformat(timespec="seconds"), "kind": kind}
        if person is not None:
            document["to"] = person
        if interview is not None:
            document["interview"] = interview
        document.update({"channel": "email", "message_id": header.message_id})
        if header.subject:
            document["note"] = header.subject
        documents.append(document)
    return documents


def sync(
    journal: Any,
    settings: MailSettings,
    *,
    target: str,
    since: dt.date | None = None,
    rescan: bool = False,
    dry_run: bool = False,
    positions: Positions | None = None,
    progress: Callable[[Recorded], None] | None = None,
) -> SyncReport:
    """Log what is new in the mailbox into ``journal`` (a :class:`followup.journal.Journal`).

    :param target: names where the log is (the state file or store URL), so that
        positions are kept apart for two targets synced from one mailbox.
    :param rescan: read every message again (or every one since ``since``), not just
        those after the remembered position; nothing is logged twice either way.
    :raises MailError: the mailbox cannot be read; nothing more is logged.
    """
    from ..journal import record_message

    state = journal.load()
    tz = state.candidate.calendar.tz
    addresses = Addresses.of(state, settings.addresses)
    positions = positions if positions is not None else Positions(Path(settings.positions) if settings.positions else Positions.default_path())
    report = SyncReport(dry_run=dry_run)
    folders = [("inbox", settings.inbox)] + ([("sent", settings.sent)] if settings.sent else [])
    with connect(settings) as mailbox:
        for _, name in folders:  # every mailbox exists before anything is logged
            mailbox.examine(name)
        for role, name in folders:
            _sync_folder(mailbox, role, name, addresses, journal, positions, report, tz, target, since, rescan, progress, record_message)
    return report


def _sync_folder(
    mailbox: Mailbox,
    role: str,
    name: str,
    addresses: Addresses,
    journal: Any,
    positions: Positions,
    report: SyncReport,
    tz: dt.tzinfo,
    target: str,
    since: dt.date | None,
    rescan: bool,
    progress: Callable[[Recorded], None] | None,
    record_message: Any,
) -> None:
    uidvalidity = mailbox.examine(name)
    key = f"{target} <- {mailbox.settings.account}/{name}"
    after = 0 if rescan else positions.after(key, uidvalidity)
    uids = mailbox.new_uids(after, since)
    last = after
    for uid, raw in mailbox.headers(uids):
        report.read += 1
        last = max(last, uid)
        try:
            header = parse_header(raw)
        except ValueError as exc:
            report.skipped.append((name, uid, f"malformed headers: {exc}"))
            continue
        except (TypeError, AttributeError, LookupError, IndexError, UnicodeError, email.errors.MessageError) as exc:
            report.skipped.append((name, uid, f"malformed headers ({type(exc).__name__})"))
            continue
        if role == "inbox":
            found = addresses.sender(header.sender, header.thread)
        else:
            found = addresses.recipients(header.recipients, header.thread)
            found = found if found is not None and found.application is not None else None
        if found is None:
            report.unrelated += 1
            continue
        if addresses.is_logged(header.message_id):
            report.replayed += 1
            continue
        try:
            if role == "inbox":
                whole = mailbox.message(uid)
                if whole is None:
                    report.skipped.append((name, uid, "the server sent no body"))
                    continue
                documents = [_reply(header, found, whole, tz)]
            else:
                documents = _notes(header, found, addresses)
        except ValueError as exc:
            report.skipped.append((name, uid, str(exc)))
            continue
        except (TypeError, AttributeError, LookupError, IndexError, UnicodeError, email.errors.MessageError) as exc:
            report.skipped.append((name, uid, f"an unreadable message ({type(exc).__name__})"))
            continue
        recorded = Recorded(name, uid, found.application, documents)
        if not report.dry_run:
            try:
                written = record_message(journal, found.application, documents, where=f"{name} message {uid}")
            except InvalidInput as exc:
                report.skipped.append((name, uid, f"refused by the state: {exc.problems[0].message}"))
                continue
            if written is None:
                report.replayed += 1
                addresses.logged[header.message_id] = found.application
                continue
        addresses.logged[header.message_id] = found.application
        report.recorded.append(recorded)
        if progress is not None:
            progress(recorded)
    if not report.dry_run and uids and last > positions.after(key, uidvalidity):
        positions.save(key, uidvalidity, last)
