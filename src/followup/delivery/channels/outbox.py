"""The ``outbox`` channel: each message as a file in a folder, ready to send, print or fax by hand.

Settings (``[channels.outbox]``): ``folder`` (default ``outbox`` in the platform's
user data folder; relative paths are read from the configuration file's folder).

What it writes, by medium:

* ``email`` → ``<kind>-<key>.eml``, a standards-conforming message (RFC 5322,
  MIME) that any mail program opens and sends;
* ``postal`` and ``fax`` → ``<kind>-<key>.html``, a printable letter with print CSS
  (open it in a browser and print, or "print to PDF");
* ``phone`` and ``reminder`` → ``<kind>-<key>.txt``.

Idempotent: the file name comes from the action's idempotency key, and files are
written to a temporary name and renamed into place, so delivering the same
message twice leaves one complete file, and a crash never leaves half a file.
"""

from __future__ import annotations

import datetime as dt
import html
import os
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .._channel import DeliveryError, Message, Receipt
from ._mime import build_email
from ._schemas import OUTBOX_SCHEMA

__all__ = ["OUTBOX_SCHEMA", "OutboxChannel", "build_outbox", "default_folder"]



def default_folder() -> Path:
    """``outbox`` in the platform's user data folder."""
    from platformdirs import user_data_dir

    return Path(user_data_dir("followup")) / "outbox"


@dataclass(frozen=True)
class OutboxChannel:
    """Writes messages as files into ``folder``."""

    folder: Path
    name: str = "outbox"

    def path_for(self, message: Message) -> Path:
        """Where ``message`` goes: the same path for every delivery of the same action."""
        suffix = {"email": ".eml", "postal": ".html", "fax": ".html"}.get(message.medium, ".txt")
        return self.folder / f"{message.kind}-{message.idempotency_key}{suffix}"

    def deliver(self, message: Message) -> Receipt:
        """Write ``message``'s file (replacing an earlier copy of the same action)."""
        path = self.path_for(message)
        if path.suffix == ".eml":
            recipient = message.recipient
            if recipient is None or not recipient.email:
                raise DeliveryError(f"{message.key}: the recipient has no email address on file", transient=False)
            mail = build_email(
                message, sender=message.sender, to=recipient.email, to_name=recipient.name, date=_dated(message)
            )
            data = bytes(mail)
        elif path.suffix == ".html":
            data = (message.html or _plain_letter(message)).encode("utf-8")
        else:
            data = f"{message.subject}\n\n{message.body}".encode()
        _write_atomically(path, data, message.key)
        return Receipt(channel=self.name, reference=str(path), detail=f"written to {path}")


def _dated(message: Message) -> dt.datetime:
    return message.action.due_at if message.action is not None else dt.datetime.now(dt.UTC)


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
        path.parent.mkdir(parents=True, exist_ok=True)
        if path.exists() and path.read_bytes() == data:
            return
        handle, temporary = tempfile.mkstemp(prefix=".tmp-", dir=path.parent)
        try:
            with os.fdopen(handle, "wb") as stream:
                stream.write(data)
                stream.flush()
                os.fsync(stream.fileno())
            os.replace(temporary, path)
        except BaseException:
            Path(temporary).unlink(missing_ok=True)
            raise
    except OSError as exc:
        raise DeliveryError(f"{key}: cannot write {path}: {exc.strerror or exc}", transient=False) from None


def build_outbox(settings: Mapping[str, Any]) -> OutboxChannel:
    """The ``outbox`` channel from its settings (``folder`` already resolved to an absolute path)."""
    folder = settings.get("folder")
    return OutboxChannel(Path(os.path.expanduser(str(folder))) if folder else default_folder())
