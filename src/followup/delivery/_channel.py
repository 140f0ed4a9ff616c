"""What travels between the dispatcher and the channels: messages, receipts, channel specs.

These are the types a plugin author works with. Channels are contributed
through ``followup_register_channels`` as specs
(name, what they serve, how to build one from configuration); the core validates
them and refuses duplicates, naming both plugins.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable

from .._errors import FollowupError
from ..plugins import collect, describe, registry

if TYPE_CHECKING:
    import pluggy

    from ..engine import Action

__all__ = [
    "MEDIA",
    "MEDIA_ORDER",
    "TASK_MEDIA",
    "Block",
    "Channel",
    "ChannelSpec",
    "DeliveryError",
    "Message",
    "Party",
    "Receipt",
    "collect_channels",
    "get_channels",
]

#: the media a message can travel by, in the order they are shown: the ways to reach
#: a person, then a reminder to oneself
MEDIA_ORDER: tuple[str, ...] = ("email", "postal", "fax", "phone", "reminder")
#: the media as a set; a :class:`ChannelSpec` serves some of them
MEDIA: frozenset[str] = frozenset(MEDIA_ORDER)
#: the media whose message is a task for the candidate (a call to make, a reminder),
#: not something that reaches anyone: no contact is logged for them
TASK_MEDIA: frozenset[str] = frozenset({"phone", "reminder"})


@dataclass(frozen=True, slots=True)
class Party:
    """Someone a message is from or to, with whatever contact details are known."""

    name: str | None = None
    title: str | None = None
    email: str | None = None
    postal_address: str | None = None
    fax: str | None = None
    phone: str | None = None
    organisation: str | None = None


@dataclass(frozen=True)
class Message:
    """A rendered message, ready for a channel.

    :ivar key: the action's key; channels that are idempotent use it (or
        :attr:`idempotency_key`) so that delivering twice has the effect of once.
    :ivar medium: ``email``, ``postal``, ``fax``, ``phone`` or ``reminder``.
    :ivar body: plain text; ``html`` is an optional HTML alternative.
    :ivar timezone: the candidate's IANA zone, for channels that show times.
    """

    key: str
    kind: str
    medium: str
    subject: str
    body: str
    sender: Party
    recipient: Party | None
    action: Action
    html: str | None = None
    timezone: str = "UTC"
    headers: Mapping[str, str] = field(default_factory=dict)

    @property
    def idempotency_key(self) -> str:
        """A stable token for this action, safe in headers, file names and UIDs."""
        import hashlib

        return hashlib.sha256(self.key.encode("utf-8")).hexdigest()[:32]


@dataclass(frozen=True, slots=True)
class Receipt:
    """What a channel reports after delivering: where the message went, an id to find it by."""

    channel: str
    reference: str | None = None
    detail: str = ""


class DeliveryError(FollowupError):
    """A delivery that did not happen.

    :param transient: ``True`` when trying again later may work (a server down, an
        HTTP 5xx, a timeout); ``False`` when it never will (a refused address, a
        missing contact detail). The dispatcher retries only transient failures.
    """

    def __init__(self, message: str, *, transient: bool) -> None:
        super().__init__(message)
        self.transient = transient


@dataclass(frozen=True, slots=True)
class Block:
    """A message check refusing a message: which check, and why (what to fix)."""

    check: str
    reason: str


@runtime_checkable
class Channel(Protocol):
    """A configured delivery channel."""

    def deliver(self, message: Message) -> Receipt:
        """Deliver ``message`` or raise :class:`DeliveryError`."""
        ...


@dataclass(frozen=True)
class ChannelSpec:
    """A delivery channel a plugin offers.

    :param name: what rules and configuration call it (``email``, ``outbox``…).
    :param media: the media it can carry (``email``, ``postal``, ``fax``, ``phone``,
        ``reminder``).
    :param idempotent: ``True`` if delivering the same message twice has the effect
        of once (it uses :attr:`Message.idempotency_key`). Non-idempotent channels
        are never retried after a crash between claim and record.
    :param build: makes a :class:`Channel` from its configuration mapping (already
        checked against ``config_schema``).
    :param config_schema: JSON Schema of the channel's configuration.
    :param kinds: the action kinds it serves; ``None`` for every kind.
    :param is_configured: tells from a configuration mapping whether the channel has
        what it needs (``followup channels`` shows it); by default, always.
    """

    name: str
    media: frozenset[str]
    idempotent: bool
    build: Callable[[Mapping[str, Any]], Channel]
    config_schema: Mapping[str, Any] = field(default_factory=lambda: {"type": "object"})
    kinds: frozenset[str] | None = None
    description: str = ""
    is_configured: Callable[[Mapping[str, Any]], bool] = field(default=lambda config: True)
    plugin: str = "followup"


def _channel_problem(spec: Any) -> str | None:
    if not isinstance(spec, ChannelSpec):
        return f"{spec!r} is not a followup.ChannelSpec"
    if not isinstance(spec.name, str) or not spec.name or spec.name.strip() != spec.name or " " in spec.name:
        return f"name {spec.name!r} must be a non-empty word without spaces"
    unknown = sorted(set(spec.media) - MEDIA) if isinstance(spec.media, (set, frozenset)) else None
    if unknown is None or not spec.media or unknown:
        return (
            f"channel {spec.name!r}: media {sorted(spec.media) if unknown is not None else spec.media!r} must be a "
            f"non-empty frozenset of {', '.join(sorted(MEDIA))}"
        )
    if not isinstance(spec.idempotent, bool):
        return f"channel {spec.name!r}: idempotent must be True or False, not {spec.idempotent!r}"
    if not callable(spec.build):
        return f"channel {spec.name!r}: build must be callable, not {spec.build!r}"
    return None


def collect_channels(pm: pluggy.PluginManager) -> dict[str, ChannelSpec]:
    """Every channel the plugins of ``pm`` register, by name, each stamped with its plugin's name.

    :raises PluginLoadError: a channel is malformed, or two plugins register the
        same name (the message names both and their distributions).
    """
    def problem(spec: Any) -> str | None:
        wrong = _channel_problem(spec)
        return None if wrong is None else f"registered a channel that cannot be used: {wrong}"

    def clash(name: str, first: str, second: str) -> str:
        return (
            f"channel {name!r} is registered by both {describe(pm, first)} and {describe(pm, second)}; "
            "uninstall one, or leave one out with FOLLOWUP_DISABLE_PLUGINS"
        )

    specs = collect(pm, "followup_register_channels", problem=problem, keys=lambda spec: [spec.name], clash=clash)
    return {spec.name: spec for spec in sorted(specs, key=lambda spec: spec.name)}


def get_channels() -> dict[str, ChannelSpec]:
    """The delivery channels of the installed plugins (built-ins included), by name."""
    return registry("channels", collect_channels)
