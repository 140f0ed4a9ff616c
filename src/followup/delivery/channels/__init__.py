"""The built-in delivery channels, registered like any plugin's.

=========  ==========================  ==========  =====================================
channel    media                       idempotent  needs configuration
=========  ==========================  ==========  =====================================
outbox     email, postal, fax,         yes         no (a folder in the user data dir)
           phone, reminder
email      email                       no          ``host``
fax        fax                         no          ``host`` and ``gateway``
calendar   phone, reminder             yes         no (a file in the user data dir)
webhook    every medium                yes         ``url``
=========  ==========================  ==========  =====================================

``console`` (the default) lives in :mod:`followup.delivery.channels.console`. Use
:func:`build_channel` to make a channel from the user's configuration.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Mapping
from typing import Any

from ...plugins import hookimpl
from .._channel import MEDIA, TASK_MEDIA, Channel, ChannelSpec
from .._config import Config, validate_channel_settings
from ._schemas import CALENDAR_SCHEMA, FAX_SCHEMA, OUTBOX_SCHEMA, SMTP_SCHEMA, WEBHOOK_SCHEMA

__all__ = ["CHANNELS", "build_channel"]


def _built_by(module: str, function: str) -> Callable[[Mapping[str, Any]], Channel]:
    """A builder that imports the channel's module only when a channel is made."""

    def build(settings: Mapping[str, Any]) -> Channel:
        made: Channel = getattr(importlib.import_module(f"{__name__}.{module}"), function)(settings)
        return made

    build.__qualname__ = build.__name__ = function
    return build


def _has(*keys: str) -> Callable[[Mapping[str, Any]], bool]:
    def configured(settings: Mapping[str, Any]) -> bool:
        return all(settings.get(key) for key in keys)

    return configured


def _spec(
    name: str, media: frozenset[str], idempotent: bool, module: str, function: str, schema: Mapping[str, Any], description: str, *needs: str
) -> ChannelSpec:
    """A built-in channel; ``needs``: the settings without which it counts as not configured."""
    return ChannelSpec(
        name=name,
        media=media,
        idempotent=idempotent,
        build=_built_by(module, function),
        config_schema=schema,
        description=description,
        is_configured=_has(*needs),
    )


CHANNELS: tuple[ChannelSpec, ...] = (
    _spec("outbox", MEDIA, True, "outbox", "build_outbox", OUTBOX_SCHEMA,
          "files in a folder: .eml for email, a printable HTML letter for postal mail and fax"),
    _spec("email", frozenset({"email"}), False, "smtp", "build_smtp", SMTP_SCHEMA,
          "SMTP with STARTTLS or TLS; login from the environment", "host"),
    _spec("fax", frozenset({"fax"}), False, "fax", "build_fax", FAX_SCHEMA,
          "email to a fax gateway address such as {number}@fax.example", "host", "gateway"),
    _spec("calendar", TASK_MEDIA, True, "ical", "build_calendar", CALENDAR_SCHEMA,
          "one iCalendar event per task, stable UIDs, alarms, in the candidate's time zone"),
    _spec("webhook", MEDIA, True, "webhook", "build_webhook", WEBHOOK_SCHEMA,
          "signed JSON POST with an Idempotency-Key header; retries 5xx and timeouts", "url"),
)


@hookimpl
def followup_register_channels(register: Callable[[ChannelSpec], None]) -> None:
    """Register the built-in channels."""
    for spec in CHANNELS:
        register(spec)


def build_channel(spec: ChannelSpec, config: Config) -> Channel:
    """Make ``spec``'s channel from the user's configuration, after checking its settings.

    :raises followup.InvalidInput: the settings break the channel's schema, or name
        an environment variable that is not set.
    """
    settings = config.channel_settings(spec.name)
    validate_channel_settings(spec.name, settings, spec.config_schema, config.where)
    return spec.build(settings)
