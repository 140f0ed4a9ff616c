"""What the engine produces: actions with their status and the reason for it."""

from __future__ import annotations

import datetime as dt
import hashlib
import re
from collections.abc import Callable, Iterator
from dataclasses import InitVar, dataclass, field, fields
from typing import TYPE_CHECKING, Any

from .._time import format_instant

#: the occurrence part of a repeating rule's key: its window's opening, in UTC
_OCCURRENCE = re.compile(r"[0-9]{8}T[0-9]{4}Z")

__all__ = ["STATUSES", "Action", "Agenda", "Why", "action_identity"]

#: a reason not put into words yet: called once, the first time it is read
Why = Callable[[], str]

#: every status an action can have, in the order a person wants to read them
STATUSES = ("overdue", "due", "suppressed", "upcoming", "done")

#: the length of a short key as shown (longer only when two actions of one agenda share the start)
SHORT_KEY = 5
#: the fewest characters of a short key :meth:`Agenda.get` accepts
_SHORTEST = 4
_HEX = re.compile(r"[0-9a-f]+")


def _digest(key: str) -> str:
    return hashlib.sha256(key.encode("utf-8")).hexdigest()


@dataclass(frozen=True, slots=True)
class Action:
    """One follow-up: what to do, for whom, when, and why it has the status it has.

    :ivar key: stable identity ``rule:application:interview:recipient[:occurrence]``
        (empty parts in the middle stay empty, trailing ones are dropped); the same
        action has the same key in every evaluation.
    :ivar status: ``upcoming``, ``due``, ``overdue``, ``suppressed`` or ``done``.
    :ivar reason: a sentence saying why the action has this status. It may be given
        as a function that writes it (:data:`Why`): the engine does, so that the
        sentence is written only for the actions someone reads it of. It is not
        compared: the other fields say everything it is made from.
    :ivar cap: for a suppressed action, the id of the cap holding it back.
    :ivar frees_at: for a suppressed action, when the cap lets go (``None``: when the
        employer replies, or never by itself).
    :ivar employer_timezone: the employer's zone when it differs from the
        candidate's, so that their clock can be shown beside the candidate's.

    :attr:`identity` is what the person receives rather than which rule asked for it.
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
    if TYPE_CHECKING:  # what a reader gets: the words
        reason: str
    else:  # what may be given: the words, or what writes them
        reason: InitVar[str | Why]
    expires_at: dt.datetime | None = None
    company: str | None = None
    position: str | None = None
    recipient_name: str | None = None
    priority: int = 50
    cap: str | None = None
    frees_at: dt.datetime | None = None
    done_at: dt.datetime | None = None
    message: str | None = None
    #: the employer's IANA zone, when it is not the candidate's
    employer_timezone: str | None = None
    _reason: str | Why = field(default="", init=False, repr=False, compare=False)

    if not TYPE_CHECKING:

        def __post_init__(self, reason: str | Why) -> None:
            object.__setattr__(self, "_reason", reason if isinstance(reason, str) or callable(reason) else "")

        @property
        def reason(self) -> str:
            """Why the action has its status, in words (written the first time it is read)."""
            why = self._reason
            if isinstance(why, str):
                return why
            text = why()
            object.__setattr__(self, "_reason", text)
            return text

    def __getstate__(self) -> list[Any]:
        # the words, not the function writing them, so that an action pickles
        return [self.reason if f.name == "_reason" else getattr(self, f.name) for f in fields(self)]

    @property
    def identity(self) -> str:
        """The message this action is: ``kind:application:interview:recipient[:occurrence]``.

        The key with the rule's id replaced by the action's kind. Two actions with one
        identity are one message to one person: the dispatcher delivers it once, under
        whichever rule asks for it (a renamed rule, two rules of the same kind), and the
        idempotency key channels get is derived from it.
        """
        return action_identity(self.kind, self.rule, self.key)

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
            "employer_timezone": self.employer_timezone,
        }


def action_identity(kind: str, rule: str, key: str) -> str:
    """:attr:`Action.identity` from an action's kind, rule and key (for stored actions too)."""
    if key == rule or key.startswith(rule + ":"):
        return kind + key[len(rule) :]
    return f"{kind}:{key}"


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
    _short: dict[str, str] = field(default_factory=dict, repr=False, compare=False)


    def short_key(self, action: Action) -> str:
        """A few hex characters standing for ``action``'s key, to type instead of it.

        The start of the key's SHA-256, :data:`SHORT_KEY` characters long, or longer
        when another action of this agenda starts the same way; it depends on the key
        alone, so the same action has the same short key in every evaluation (short
        of such a clash). :meth:`get` takes it.
        """
        if not self._short:
            digests = {a.key: _digest(a.key) for a in self.actions}
            ordered = sorted(digests.values())
            for key, digest in digests.items():
                index = ordered.index(digest)
                neighbours = [ordered[i] for i in (index - 1, index + 1) if 0 <= i < len(ordered)]
                length = SHORT_KEY
                while any(n[:length] == digest[:length] for n in neighbours if n != digest):
                    length += 1
                self._short[key] = digest[:length]
        return self._short.get(action.key) or _digest(action.key)[:SHORT_KEY]

    def __iter__(self) -> Iterator[Action]:
        return iter(self.actions)

    def __len__(self) -> int:
        return len(self.actions)

    def get(self, key: str) -> Action | None:
        """The action with this key, if the agenda has one.

        A key without its occurrence (``status-call:acme`` for a rule that repeats)
        means the current occurrence: the latest-opening one not done, else the
        latest-opening one. A short key (:meth:`short_key`, or any start of it at
        least four characters long) means the one action whose short key starts so.
        """
        if not self._by_key and self.actions:
            # built the first time a key is looked up: most callers never do
            self._by_key.update((a.key, a) for a in self.actions)
        found = self._by_key.get(key)
        if found is not None:
            return found
        if len(key) >= _SHORTEST and _HEX.fullmatch(key):
            matches = [a for a in self.actions if _digest(a.key).startswith(key)]
            if len(matches) == 1:
                return matches[0]
        prefix = key + ":"
        occurrences = [
            a for a in self.actions if a.key.startswith(prefix) and _OCCURRENCE.fullmatch(a.key[len(prefix):])
        ]
        if not occurrences:
            return None
        open_ones = [a for a in occurrences if a.status != "done"] or occurrences
        return max(open_ones, key=lambda a: (a.opens_at, a.key))

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
