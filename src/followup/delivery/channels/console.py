"""The ``console`` channel: prints a readable summary of each message on standard output.

It is where messages go until a real channel is configured, so that a first
``followup run`` shows what would be sent instead of sending it. Printing twice
shows the message twice, so it is not idempotent: after a crash between claiming
and recording, the dispatcher marks the action uncertain rather than printing it
again.

Configuration (``[channels.console]``, all optional)::

    body = true      # false: print the header lines only
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, TextIO

from ...plugins import hookimpl
from .._channel import MEDIA, ChannelSpec, Message, Party, Receipt

__all__ = ["CONSOLE", "CONSOLE_SCHEMA", "ConsoleChannel", "format_message"]

CONSOLE_SCHEMA: Mapping[str, Any] = {
    "type": "object",
    "additionalProperties": False,
    "properties": {
        "body": {"type": "boolean", "description": "Print the message body too (default true)."},
    },
}

#: which contact detail of a party each medium shows
_DETAIL = {"email": "email", "postal": "postal_address", "fax": "fax", "phone": "phone"}


def _party(party: Party | None, medium: str) -> str:
    if party is None:
        return "(nobody)"
    detail = getattr(party, _DETAIL[medium], None) if medium in _DETAIL else None
    name = party.name or party.organisation or "(no name)"
    if party.title and party.name:
        name = f"{name}, {party.title}"
    if party.organisation and party.name:
        name = f"{name} ({party.organisation})"
    if detail:
        detail = ", ".join(line.strip() for line in str(detail).splitlines() if line.strip())
        return f"{name} <{detail}>"
    return name


def format_message(message: Message, *, body: bool = True) -> str:
    """The text the console channel prints for ``message``: a rule, headers, a blank line, the body."""
    title = f"{message.kind.replace('_', ' ')} by {message.medium}"
    lines = [
        f"──── {title} ── {message.key}",
        f"From:    {_party(message.sender, message.medium)}",
        f"To:      {_party(message.recipient, message.medium)}",
        f"Subject: {message.subject}",
    ]
    if body:
        lines += ["", message.body.rstrip("\n")]
    return "\n".join(lines) + "\n\n"


@dataclass
class ConsoleChannel:
    """Writes :func:`format_message` to a stream (standard output as it is at delivery time)."""

    body: bool = True
    stream: Callable[[], TextIO] = lambda: sys.stdout

    def deliver(self, message: Message) -> Receipt:
        """Print ``message``; never fails except when the stream does."""
        out = self.stream()
        out.write(format_message(message, body=self.body))
        out.flush()
        return Receipt(channel="console", reference=message.key, detail="printed on standard output")


def build_console(settings: Mapping[str, Any]) -> ConsoleChannel:
    """The console channel from its (already validated) settings."""
    return ConsoleChannel(body=bool(settings.get("body", True)))


#: the channel's spec, as registered
CONSOLE = ChannelSpec(
    name="console",
    media=MEDIA,
    idempotent=False,
    build=build_console,
    config_schema=CONSOLE_SCHEMA,
    description="prints a readable summary of each message on standard output (the default until you configure a channel)",
)


@hookimpl
def followup_register_channels(register: Callable[[ChannelSpec], None]) -> None:
    """Register the console channel."""
    register(CONSOLE)
