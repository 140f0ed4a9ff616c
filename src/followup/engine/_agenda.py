"""What the engine produces: actions with their status and the reason for it."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from .._time import format_instant

__all__ = ["STATUSES", "Action", "Agenda"]

#: every status an action can have, in the order a person wants to read them
STATUSES = ("overdue", "due", "suppressed", "upcoming", "done")


@dataclass(frozen=True, slots=True)
class Action:
    """One follow-up: what to do, for whom, when, and why it has the status it has.

    :ivar key: stable identity ``rule:application:interview:recipient[:occurrence]``
        (empty parts in the middle stay empty, trailing ones are dropped); the same
        action has the same key in every evaluation.
    :ivar status: ``upcoming``, ``due``, ``overdue``, ``suppressed`` or ``done``.
    :ivar reason: a sentence saying why the action has this status.
    :ivar cap: for a suppressed action, the id of the cap holding it back.
    :ivar frees_at: for a suppressed action, when the cap lets go (``None``: when the
        employer replies, or never by itself).
    """

    key: str
    rule: str
    kind: str
    status: str
    application: str | None
    interview: str | None
    recipient: str | None
    channel: str | None
    opens_at: dt.datetime
    due_at: dt.datetime
    reason: str
    expires_at: dt.datetime | None = None
    company: str | None = None
    position: str | None = None
    recipient_name: str | None = None
    priority: int = 50
    cap: str | None = None
    frees_at: dt.datetime | None = None
    done_at: dt.datetime | None = None
    message: str | None = None

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready mapping; instants are ISO 8601 strings with offsets."""
        return {
            "key": self.key,
            "rule": self.rule,
            "kind": self.kind,
            "status": self.status,
            "application": self.application,
            "company": self.company,
            "position": self.position,
            "interview": self.interview,
            "recipient": self.recipient,
            "recipient_name": self.recipient_name,
            "channel": self.channel,
            "priority": self.priority,
            "opens_at": format_instant(self.opens_at),
            "due_at": format_instant(self.due_at),
            "expires_at": format_instant(self.expires_at),
            "reason": self.reason,
            "cap": self.cap,
            "frees_at": format_instant(self.frees_at),
            "done_at": format_instant(self.done_at),
        }


@dataclass(frozen=True)
class Agenda:
    """The result of one evaluation.

    :ivar now: the instant it was evaluated at.
    :ivar actions: every action, done ones included, ordered by due time then key.
    :ivar next_wake_at: the earliest instant after ``now`` at which any action's
        status can change without new input; ``None`` if nothing will change.
    """

    now: dt.datetime
    actions: tuple[Action, ...]
    next_wake_at: dt.datetime | None
    _by_key: dict[str, Action] = field(default_factory=dict, repr=False, compare=False)

    def __post_init__(self) -> None:
        self._by_key.update((a.key, a) for a in self.actions)

    def __iter__(self) -> Iterator[Action]:
        return iter(self.actions)

    def __len__(self) -> int:
        return len(self.actions)

    def get(self, key: str) -> Action | None:
        """The action with this key, if the agenda has one."""
        return self._by_key.get(key)

    def with_status(self, *statuses: str) -> list[Action]:
        return [a for a in self.actions if a.status in statuses]

    @property
    def pending(self) -> list[Action]:
        """Actions to do now: due and overdue."""
        return self.with_status("due", "overdue")

    def to_dict(self, *, include_done: bool = True) -> dict[str, Any]:
        return {
            "now": format_instant(self.now),
            "next_wake_at": format_instant(self.next_wake_at),
            "actions": [a.to_dict() for a in self.actions if include_done or a.status != "done"],
        }
