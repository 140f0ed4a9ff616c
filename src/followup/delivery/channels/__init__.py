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


CHANNELS: tuple[ChannelSpec, ...] = (
    ChannelSpec(
        name="outbox",
        media=MEDIA,
        idempotent=True,
        build=_built_by("outbox", "build_outbox"),
        config_schema=OUTBOX_SCHEMA,
        description="files in a folder: .eml for email, a printable HTML letter for postal mail and fax",
    ),
    ChannelSpec(
        name="email",
        media=frozenset({"email"}),
        idempotent=False,
        build=_built_by("smtp", "build_smtp"),
        config_schema=SMTP_SCHEMA,
        description="SMTP with STARTTLS or TLS; login from the environment",
        is_configured=_has("host"),
    ),
    ChannelSpec(
        name="fax",
        media=frozenset({"fax"}),
        idempotent=False,
        build=_built_by("fax", "build_fax"),
        config_schema=FAX_SCHEMA,
        description="email to a fax gateway address such as {number}@fax.example",
        is_configured=_has("host", "gateway"),
    ),
    ChannelSpec(
        name="calendar",
        media=TASK_MEDIA,
        idempotent=True,
        build=_built_by("ical", "build_calendar"),
        config_schema=CALENDAR_SCHEMA,
        description="one iCalendar event per task, stable UIDs, alarms, in the candidate's time zone",
    ),
    ChannelSpec(
        name="webhook",
        media=MEDIA,
        idempotent=True,
        build=_built_by("webhook", "build_webhook"),
        config_schema=WEBHOOK_SCHEMA,
        description="signed JSON POST with an Idempotency-Key header; retries 5xx and timeouts",
        is_configured=_has("url"),
    ),
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
