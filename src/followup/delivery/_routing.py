"""Routing: which channel carries a message of a medium.

The one decision, used by the dispatcher when it delivers and by ``followup channels``
when it shows the routes, so the two cannot disagree.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING

from .._errors import FollowupError, InvalidInput
from ._channel import MEDIA, MEDIA_ORDER, ChannelSpec

if TYPE_CHECKING:
    from ._config import Config

__all__ = ["DEFAULT_CHANNEL", "DEFAULT_ROUTES", "route", "route_name", "routes"]

#: the channel a message goes to when nothing routes it elsewhere
DEFAULT_CHANNEL = "console"

#: where a message of each medium goes when ``[routes]`` does not say otherwise and
#: the configuration has a ``[channels.NAME]`` table for that channel
DEFAULT_ROUTES: Mapping[str, str] = {
    "email": "email",
    "postal": "outbox",
    "fax": "fax",
    "phone": "calendar",
    "reminder": "calendar",
}


def route_name(medium: str, config: Config, channels: Mapping[str, ChannelSpec], *, requested: str | None = None) -> str:
    """The name of the channel a message of ``medium`` goes through (it may not be installed).

    In order: ``requested`` (a rule's ``channel:``) when it names an installed
    channel rather than a medium; the medium's ``[routes]`` entry; the medium's
    default route (:data:`DEFAULT_ROUTES`) when that channel is installed and the
    configuration has a ``[channels.NAME]`` table for it, complete or not (a table
    with a mistake is reported when the channel is set up, never bypassed);
    otherwise :data:`DEFAULT_CHANNEL`.
    """
    if requested and requested not in MEDIA and requested in channels:
        return requested
    explicit = config.data.get("routes", {})
    if medium in explicit:
        return str(explicit[medium])
    name = DEFAULT_ROUTES.get(medium, DEFAULT_CHANNEL)
    if name in channels and config.has_channel_section(name):
        return name
    return DEFAULT_CHANNEL


def route(medium: str, config: Config, channels: Mapping[str, ChannelSpec], *, requested: str | None = None) -> ChannelSpec:
    """The channel a message of ``medium`` goes through, as :func:`route_name` decides.

    :raises InvalidInput: ``[routes]`` names a channel no installed plugin provides.
    :raises FollowupError: nothing is configured for the medium and the default
        channel is not installed (left out with ``FOLLOWUP_DISABLE_PLUGINS``).
    """
    name = route_name(medium, config, channels, requested=requested)
    spec = channels.get(name)
    if spec is not None:
        return spec
    if medium in config.data.get("routes", {}):
        raise InvalidInput.single(
            config.where,
            f"routes.{medium} names channel {name!r}, which no installed plugin provides; "
            f"installed: {', '.join(sorted(channels)) or 'none'}",
        )
    raise FollowupError(
        f"no channel is configured for {medium} and the default channel {DEFAULT_CHANNEL!r} is not installed "
        f"(blocked with FOLLOWUP_DISABLE_PLUGINS?); configure one under [channels] in {config.where}"
    )


def routes(config: Config, channels: Mapping[str, ChannelSpec]) -> dict[str, str]:
    """Every medium and the name of the channel it goes through, as ``followup channels`` shows them."""
    return {medium: route_name(medium, config, channels) for medium in MEDIA_ORDER}
