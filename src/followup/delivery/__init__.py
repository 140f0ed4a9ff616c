"""Delivery: turning due actions into messages and sending them through channels.

Owns the types a channel works with (``_channel``: :class:`Message`, :class:`Party`,
:class:`Receipt`, :class:`Channel`, :class:`ChannelSpec`, :class:`Block`, the
:data:`MEDIA`), the user's configuration of channels and routes (``_config``:
:class:`Config`), the :class:`Dispatcher` (``_dispatcher``: claim, re-check caps,
render, check, deliver, record), and two subpackages that are plugins themselves:
:mod:`followup.delivery.channels` (the built-in channels, ``console`` included) and
:mod:`followup.delivery.messages` (templates, rendering and the message checks).

May import: ``followup.stores``, ``followup.engine``, ``followup.rules``,
``followup.state``, ``followup.plugins``, ``followup._errors``, ``followup._time``.
The dispatcher loads channels and the renderer lazily, so importing this package
does not import Jinja2 or smtplib.
"""

from __future__ import annotations

from ._channel import (
    MEDIA,
    MEDIA_ORDER,
    TASK_MEDIA,
    Block,
    Channel,
    ChannelSpec,
    DeliveryError,
    Message,
    Party,
    Receipt,
    collect_channels,
    get_channels,
)
from ._config import CONFIG_SCHEMA, Config, load_config, validate_channel_settings
from ._dispatcher import Dispatcher
from ._routing import DEFAULT_CHANNEL, DEFAULT_ROUTES, route, route_name, routes

__all__ = [
    "CONFIG_SCHEMA",
    "DEFAULT_CHANNEL",
    "DEFAULT_ROUTES",
    "MEDIA",
    "MEDIA_ORDER",
    "TASK_MEDIA",
    "Block",
    "Channel",
    "ChannelSpec",
    "Config",
    "DeliveryError",
    "Dispatcher",
    "Message",
    "Party",
    "Receipt",
    "collect_channels",
    "get_channels",
    "load_config",
    "route",
    "route_name",
    "routes",
    "validate_channel_settings",
]
