"""followup-apprise: the ``apprise`` delivery channel, for reminders to any service Apprise knows.

Registered through the ``followup`` entry-point group; see README.md for the settings.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from followup import ChannelSpec, DeliveryError, InvalidInput, Message, Receipt, hookimpl

__all__ = ["SCHEMA", "AppriseChannel", "build", "followup_register_channels"]

SCHEMA: Mapping[str, Any] = {
    "type": "object",
    "additionalProperties": False,
    "properties": {
        "urls": {"type": "array", "items": {"type": "string", "minLength": 3}},
        "urls_env": {"type": "string", "pattern": "^[A-Za-z_][A-Za-z0-9_]*$"},
    },
}


def mask(url: str) -> str:
    """``url`` with anything that may be a secret (user info, long tokens) replaced by ``***``."""
    masked = re.sub(r"(://)[^/@]*@", r"\1***@", url)
    return re.sub(r"[A-Za-z0-9_\-]{16,}", "***", masked)


@dataclass(frozen=True)
class AppriseChannel:
    """Notifies every configured Apprise URL."""

    urls: Sequence[str]
    name: str = "apprise"

    def deliver(self, message: Message) -> Receipt:
        """Send the subject as the title and the text as the body to every URL."""
        import apprise

        notifier = apprise.Apprise()
        for url in self.urls:
            if not notifier.add(url):
                raise DeliveryError(f"{message.key}: Apprise does not understand the URL {mask(url)}", transient=False)
        body = message.body.rstrip() or message.subject
        if not notifier.notify(title=message.subject, body=body):
            raise DeliveryError(
                f"{message.key}: Apprise could not notify every service ({', '.join(mask(u) for u in self.urls)})",
                transient=True,
            )
        return Receipt(channel=self.name, detail=f"notified {len(self.urls)} service(s)")


def _urls(settings: Mapping[str, Any]) -> list[str]:
    import os

    urls = [str(url) for url in settings.get("urls", ())]
    variable = settings.get("urls_env")
    if variable:
        value = os.environ.get(str(variable))
        if value is None:
            raise InvalidInput.single("channels.apprise.urls_env", f"the environment variable {variable!r} is not set")
        urls.extend(part for part in re.split(r"[\s,]+", value) if part)
    return urls


def build(settings: Mapping[str, Any]) -> AppriseChannel:
    """The channel from its settings; every URL is checked with Apprise now, not at the first reminder."""
    import apprise

    urls = _urls(settings)
    if not urls:
        raise InvalidInput.single("channels.apprise", "no URLs: set 'urls' or 'urls_env'")
    for url in urls:
        if apprise.Apprise.instantiate(url) is None:
            raise InvalidInput.single("channels.apprise", f"Apprise does not understand the URL {mask(url)}")
    return AppriseChannel(tuple(urls))


def _configured(settings: Mapping[str, Any]) -> bool:
    return bool(settings.get("urls") or settings.get("urls_env"))


@hookimpl
def followup_register_channels(register: Callable[[ChannelSpec], None]) -> None:
    """Register the ``apprise`` channel."""
    register(
        ChannelSpec(
            name="apprise",
            media=frozenset({"reminder", "phone"}),
            idempotent=False,
            build=build,
            config_schema=SCHEMA,
            description="reminders through Apprise to chat, push, SMS and other services",
            is_configured=_configured,
        )
    )
