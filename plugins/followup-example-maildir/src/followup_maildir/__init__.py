"""followup-example-maildir: the ``maildir`` channel files each follow-up into a local Maildir.

Any mail client (mutt, aerc, Thunderbird with a Maildir account, Evolution) shows
the folder, so you can read, edit and send the notes yourself. Nothing leaves the
machine and no account is needed.

The channel is idempotent: each message is stored under its action's
``idempotency_key``, so delivering it again (after a crash, by a second worker)
finds it already there and changes nothing.

Configuration (``[channels.maildir]`` in followup's configuration file)::

    path = "~/Mail/followups"   # created if missing, with cur/, new/ and tmp/
"""

from __future__ import annotations

import email.utils
import errno
import mailbox
import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from email.message import EmailMessage
from pathlib import Path
from typing import Any

from followup import ChannelSpec, DeliveryError, Message, Party, Receipt, hookimpl

__all__ = ["SCHEMA", "MaildirChannel", "build", "followup_register_channels"]

SCHEMA: Mapping[str, Any] = {
    "type": "object",
    "additionalProperties": False,
    "required": ["path"],
    "properties": {
        "path": {"type": "string", "minLength": 1, "description": "The Maildir folder; ~ is your home folder."},
    },
}

#: errors that trying again will not fix
_PERMANENT = {errno.EACCES, errno.EPERM, errno.EROFS, errno.ENOTDIR, errno.EEXIST, errno.ENAMETOOLONG}


def _one_line(text: str) -> str:
    """Header text on one line: a line break in a header would start a new header."""
    return " ".join(text.split())


def _address(party: Party | None) -> str | None:
    if party is None or not party.email:
        return None
    return email.utils.formataddr((_one_line(party.name or ""), _one_line(party.email)))


def to_email(message: Message) -> EmailMessage:
    """``message`` as an email: From the candidate, To the recipient (to the candidate for reminders)."""
    mail = EmailMessage()
    sender = _address(message.sender)
    recipient = _address(message.recipient) if message.medium != "reminder" else sender
    if sender:
        mail["From"] = sender
    if recipient:
        mail["To"] = recipient
    mail["Subject"] = _one_line(message.subject)
    if message.action is not None:
        mail["Date"] = email.utils.format_datetime(message.action.due_at)
    mail["Message-ID"] = f"<{message.idempotency_key}@followup.invalid>"
    mail["X-Followup-Key"] = message.idempotency_key
    mail["X-Followup-Action"] = _one_line(message.key)
    mail.set_content(message.body)
    if message.html:
        mail.add_alternative(message.html, subtype="html")
    return mail


@dataclass(frozen=True)
class MaildirChannel:
    """Stores each message as one file in ``path/new``, named by its idempotency key."""

    path: Path
    name: str = "maildir"

    def deliver(self, message: Message) -> Receipt:
        """File ``message``; if it is already in the folder (new or read), do nothing."""
        key = message.idempotency_key
        try:
            box = mailbox.Maildir(self.path, create=True)
            if key in box:
                return Receipt(channel=self.name, reference=key, detail=f"already in {self.path}")
            data = to_email(message).as_bytes()
            temporary = self.path / "tmp" / key
            temporary.write_bytes(data)
            os.replace(temporary, self.path / "new" / key)  # atomic: a reader never sees half a message
        except OSError as exc:
            raise DeliveryError(
                f"{message.key}: cannot file the message in the Maildir {self.path}: {exc.strerror or exc}",
                transient=exc.errno not in _PERMANENT,
            ) from None
        except ValueError as exc:  # a header the email library refuses
            raise DeliveryError(f"{message.key}: cannot write the message as email: {exc}", transient=False) from None
        return Receipt(channel=self.name, reference=key, detail=f"filed in {self.path / 'new'}")


def build(settings: Mapping[str, Any]) -> MaildirChannel:
    """The channel from its (already validated) settings."""
    return MaildirChannel(Path(os.path.expanduser(str(settings["path"]))))


@hookimpl
def followup_register_channels(register: Callable[[ChannelSpec], None]) -> None:
    """Offer the ``maildir`` channel for emails and reminders."""
    register(
        ChannelSpec(
            name="maildir",
            media=frozenset({"email", "reminder"}),
            idempotent=True,
            build=build,
            config_schema=SCHEMA,
            description="files each message into a local Maildir folder, once (no account needed)",
            is_configured=lambda settings: bool(settings.get("path")),
        )
    )
