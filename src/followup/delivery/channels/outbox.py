"""The ``outbox`` channel: each message as a file in a folder, ready to send, print or fax by hand.

Settings (``[channels.outbox]``): ``folder`` (default ``outbox`` in the platform's
user data folder; relative paths are read from the configuration file's folder).

What it writes, by medium, named after the recipient, the kind and the day the
action is due (on the candidate's clock), then the start of the idempotency key:
``jonas-weber-thank-you-note-2026-11-30-3f9a1c2e07.eml``.

* ``email`` → ``.eml``, a standards-conforming message (RFC 5322, MIME) that any
  mail program opens and sends; its ``Date:`` is when the file was written, in
  the candidate's zone;
* ``postal`` and ``fax`` → ``.html``, a printable letter with print CSS (open it in
  a browser and print, or "print to PDF");
* ``phone`` and ``reminder`` → ``.txt``.

The name is made of ASCII letters, digits and ``-`` only, whatever the names in the
state hold (:func:`followup._private.safe_name`), so a hostile name cannot reach
outside the folder.

Each file carries the whole idempotency key: an ``.eml`` in its ``X-Followup-Key``
header, a letter in ``<meta name="followup-key">``, a text file on its last line.

Idempotent: the same action always gets the same file name (the key part keeps two
actions apart), and files are written to a temporary name and renamed into place,
so delivering the same message twice leaves one complete file, and a crash never
leaves half a file.
"""

from __future__ import annotations

import datetime as dt
import html
import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..._private import safe_name, write_private
from ..._time import zone
from .._channel import DeliveryError, Message, Receipt
from ._mime import build_email
from ._schemas import OUTBOX_SCHEMA

__all__ = ["OUTBOX_SCHEMA", "OutboxChannel", "build_outbox", "default_folder"]



def default_folder() -> Path:
    """``outbox`` in the platform's user data folder."""
    from platformdirs import user_data_dir

    return Path(user_data_dir("followup")) / "outbox"


#: how much of the idempotency key a file name carries (it tells two actions apart)
_KEY = 10


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


@dataclass(frozen=True)
class OutboxChannel:
    """Writes messages as files into ``folder``.

    :ivar clock: what time it is (the ``Date:`` of an email); the system clock by default.
    """

    folder: Path
    name: str = "outbox"
    clock: Callable[[], dt.datetime] = field(default=_now, repr=False, compare=False)

    def path_for(self, message: Message) -> Path:
        """Where ``message`` goes: the same path for every delivery of the same action.

        A file the folder holds already for this action keeps its name, even if the
        recipient's name or the due day changed since it was written.
        """
        suffix = {"email": ".eml", "postal": ".html", "fax": ".html"}.get(message.medium, ".txt")
        tail = f"-{message.idempotency_key[:_KEY]}{suffix}"
        if self.folder.is_dir():
            written = sorted(self.folder.glob(f"*{tail}"))
            if written:
                return written[0]
        action = message.action
        recipient = message.recipient.name if message.recipient is not None and message.recipient.name else None
        who = recipient or action.recipient_name or action.recipient or "you"
        day = action.due_at.astimezone(_zone(message.timezone)).date().isoformat()
        return self.folder / f"{safe_name(who, 40)}-{safe_name(message.kind, 40)}-{day}{tail}"

    def deliver(self, message: Message) -> Receipt:
        """Write ``message``'s file (replacing an earlier copy of the same action)."""
        path = self.path_for(message)
        if path.suffix == ".eml":
            recipient = message.recipient
            if recipient is None or not recipient.email:
                raise DeliveryError(f"{message.key}: the recipient has no email address on file", transient=False)
            written = self.clock().astimezone(_zone(message.timezone))
            mail = build_email(message, sender=message.sender, to=recipient.email, to_name=recipient.name, date=written)
            data = bytes(mail)
        elif path.suffix == ".html":
            data = _keyed_letter(message.html or _plain_letter(message), message.idempotency_key).encode("utf-8")
        else:
            data = f"{message.subject}\n\n{message.body}\n-- \nfollowup key: {message.idempotency_key}\n".encode()
        _write_atomically(path, data, message.key)
        return Receipt(channel=self.name, reference=str(path), detail=f"written to {path}")


def _zone(name: str) -> dt.tzinfo:
    try:
        return zone(name)
    except LookupError:
        return dt.UTC


def _keyed_letter(page: str, key: str) -> str:
    """``page`` with the action's key in a ``<meta name="followup-key">`` of its head (the .eml's X-Followup-Key)."""
    head = page.find("<head>")
    if head < 0:
        return page
    at = head + len("<head>")
    return f'{page[:at]}\n<meta name="followup-key" content="{key}">{page[at:]}'


def _plain_letter(message: Message) -> str:
    """A minimal printable page, for a message a third-party renderer gave no HTML for."""
    return (
        '<!DOCTYPE html>\n<html><head><meta charset="utf-8"><title>'
        f"{html.escape(message.subject)}</title><style>@page {{ size: A4; margin: 25mm; }} "
        "body { font-family: serif; white-space: pre-wrap; }</style></head>\n<body>"
        f"{html.escape(message.body)}</body></html>\n"
    )


def _write_atomically(path: Path, data: bytes, key: str) -> None:
    try:
        if path.exists() and path.read_bytes() == data:
            return
        write_private(path, data)
    except OSError as exc:
        raise DeliveryError(f"{key}: cannot write {path}: {exc.strerror or exc}", transient=False) from None


def build_outbox(settings: Mapping[str, Any]) -> OutboxChannel:
    """The ``outbox`` channel from its settings (``folder`` already resolved to an absolute path)."""
    folder = settings.get("folder")
    return OutboxChannel(Path(os.path.expanduser(str(folder))) if folder else default_folder())
