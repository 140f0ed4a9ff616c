"""Delivery: turning due actions into messages and sending them through channels.

Owns the types a channel works with (``_channel``: :class:`Message`, :class:`Party`,
:class:`Receipt`, :class:`Channel`, :class:`ChannelSpec`, :class:`Block`, the
:data:`MEDIA`), the user's configuration of channels and routes (``_config``:
:class:`Config`), the :class:`Dispatcher` (``_dispatcher``: claim, re-check caps,
render, check, deliver, record, one action at a time), the store's active rulebook and
configuration shared by every worker (``_activation``), and two subpackages that are plugins themselves:
:mod:`followup.delivery.channels` (the built-in channels, ``console`` included) and
:mod:`followup.delivery.messages` (templates, rendering and the message checks).

May import: ``followup.stores``, ``followup.engine``, ``followup.rules``,
``followup.state``, ``followup.plugins``, ``followup._errors``, ``followup._time``.
The dispatcher loads channels and the renderer lazily, so importing this package
does not import Jinja2 or smtplib.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from .._lazy import lazy_attributes

if TYPE_CHECKING:
    from ._activation import (
        ACTIVATION_KINDS,
        ActivationChanged,
        RulebookMismatch,
        activate,
        active,
        fingerprint,
        guard_for,
        resolve_config,
        resolve_rules,
    )
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
    from ._dispatcher import ChannelUnavailable, Dispatcher
    from ._routing import DEFAULT_CHANNEL, DEFAULT_ROUTES, route, route_name, routes

# Public names -> the private module defining them, imported on first use: a built-in
# channel plugin imports ``followup.delivery.channels`` without the dispatcher, the
# activations or the configuration reader coming along.
_LAZY = {
    "ACTIVATION_KINDS": "._activation",
    "ActivationChanged": "._activation",
    "RulebookMismatch": "._activation",
    "activate": "._activation",
    "active": "._activation",
    "fingerprint": "._activation",
    "guard_for": "._activation",
    "resolve_config": "._activation",
    "resolve_rules": "._activation",
    "MEDIA": "._channel",
    "MEDIA_ORDER": "._channel",
    "TASK_MEDIA": "._channel",
    "Block": "._channel",
    "Channel": "._channel",
    "ChannelSpec": "._channel",
    "DeliveryError": "._channel",
    "Message": "._channel",
    "Party": "._channel",
    "Receipt": "._channel",
    "collect_channels": "._channel",
    "get_channels": "._channel",
    "CONFIG_SCHEMA": "._config",
    "Config": "._config",
    "load_config": "._config",
    "validate_channel_settings": "._config",
    "ChannelUnavailable": "._dispatcher",
    "Dispatcher": "._dispatcher",
    "DEFAULT_CHANNEL": "._routing",
    "DEFAULT_ROUTES": "._routing",
    "route": "._routing",
    "route_name": "._routing",
    "routes": "._routing",
}


__all__ = [
    "ACTIVATION_KINDS",
    "CONFIG_SCHEMA",
    "DEFAULT_CHANNEL",
    "DEFAULT_ROUTES",
    "MEDIA",
    "MEDIA_ORDER",
    "TASK_MEDIA",
    "ActivationChanged",
    "Block",
    "Channel",
    "ChannelSpec",
    "ChannelUnavailable",
    "Config",
    "DeliveryError",
    "Dispatcher",
    "Message",
    "Party",
    "Receipt",
    "RulebookMismatch",
    "activate",
    "active",
    "collect_channels",
    "fingerprint",
    "get_channels",
    "guard_for",
    "load_config",
    "resolve_config",
    "resolve_rules",
    "route",
    "route_name",
    "routes",
    "validate_channel_settings",
]

__getattr__, __dir__ = lazy_attributes(__name__, _LAZY, __all__)
