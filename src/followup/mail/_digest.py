"""The morning digest: one message a day to the candidate instead of one reminder per action.

``followup digest`` (run it from cron as often as you like) sends, on a digest day
once the digest's time of day has passed on the candidate's clock, one message
listing what is overdue, what is due today, what is held back and until when, what
opens in the coming week, and the replies whose meaning waits for confirmation.
A day with nothing to say sends nothing.

It is sent once a day whatever the number of workers: the day's key
(``digest:YYYY-MM-DD``) is claimed before sending, in the store's outbox (the claim
the dispatcher makes for an action; a key is claimed once, ever) or, for a state
file, in a private claims file beside it, under a lock. A delivery that surely did
not happen releases the key (the next run tries again); one that may have gone out
through a channel that cannot be asked twice stays ``uncertain``, as an action would.

Settings (``[digest]`` in the configuration): ``time`` (``"07:30"``), ``days``
(``["mon", "tue", "wed", "thu", "fri"]``), ``channel`` (a channel name; default: the
one ``email`` is routed to).
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from .._errors import InvalidInput

__all__ = ["DAY_NAMES", "Digest", "DigestReport", "DigestSettings", "FileClaims", "StoreClaims", "build_digest", "send_digest"]

DAY_NAMES = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


@dataclass(frozen=True)
class DigestSettings:
    """When the digest goes out (on the candidate's clock), and through which channel."""

    time: dt.time = dt.time(7, 30)
    days: frozenset[int] = frozenset(range(5))
    channel: str | None = None

    @classmethod
    def from_config(cls, config: Any) -> DigestSettings:
        from .._time import parse_clock

        section: Mapping[str, Any] = config.data.get("digest") or {}
        time = parse_clock(section["time"]) if "time" in section else cls.time
        days = frozenset(DAY_NAMES.index(d) for d in section["days"]) if "days" in section else cls.days
        channel = section.get("channel")
        return cls(time=time, days=days, channel=str(channel) if channel else None)


@dataclass(frozen=True)
class Digest:
    """The day's digest: its key, subject and text."""

    day: dt.date
    subject: str
    body: str
    counts: Mapping[str, int] = field(default_factory=dict)

    @property
    def key(self) -> str:
        return f"digest:{self.day.isoformat()}"


@dataclass
class DigestReport:
    """What ``followup digest`` did: ``sent``, or why not (``status`` and ``detail``)."""

    status: str
    detail: str
    digest: Digest | None = None


def _when(moment: dt.datetime, tz: dt.tzinfo) -> str:
    from .._time import format_local

    return format_local(moment, tz)


def build_digest(state: Any, agenda: Any, now: dt.datetime) -> Digest | None:
    """The digest of ``agenda`` (evaluated at ``now``) for ``state``; ``None`` when there is nothing to say."""
    from ..journal import proposals

    tz = state.candidate.calendar.tz
    today = now.astimezone(tz).date()
    week_end = now + dt.timedelta(days=7)
    actions = list(agenda)

    def line(action: Any, moment: dt.datetime | None, label: str) -> str:
        who = action.recipient_name or action.recipient
        about = " · ".join(p for p in (action.company, action.position) if p) or action.application or "your search"
        what = action.kind.replace("_", " ") + (f" to {who}" if who else "")
        return f"  - {what} ({about}){f'; {label} {_when(moment, tz)}' if moment else ''}  [{action.key}]"

    overdue = [a for a in actions if a.status == "overdue"]
    due = [a for a in actions if a.status == "due"]
    held = [a for a in actions if a.status == "suppressed"]
    opening = [a for a in actions if a.status == "upcoming" and a.opens_at <= week_end]
    waiting = proposals(state)
    sections = []
    if overdue:
        sections.append("Overdue:\n" + "\n".join(line(a, a.due_at, "was due") for a in sorted(overdue, key=lambda a: a.due_at)))
    if due:
        sections.append("Due now:\n" + "\n".join(line(a, a.due_at, "due by") for a in sorted(due, key=lambda a: a.due_at)))
    if held:
        rows = []
        for action in sorted(held, key=lambda a: (a.frees_at is None, a.frees_at or a.due_at)):
            until = f"held back by {action.cap} until {_when(action.frees_at, tz)}" if action.frees_at else f"held back by {action.cap or 'a cap'} until the employer replies"
            rows.append(line(action, None, "") + f"\n      {until}")
        sections.append("Held back:\n" + "\n".join(rows))
    if opening:
        sections.append("Opening this week:\n" + "\n".join(line(a, a.opens_at, "opens") for a in sorted(opening, key=lambda a: a.opens_at)))
    if waiting:
        rows = []
        for application, reply in waiting:
            assert reply.proposed is not None
            said = reply.proposed.said()
            meaning = ", ".join(k if v is True else f"{k} {v.date().isoformat() if isinstance(v, dt.datetime) else v}" for k, v in said.items())
            rows.append(
                f"  - {application or 'your own log'}: {reply.note or 'a reply'} ({_when(reply.at, tz)}): "
                f"proposed {meaning or 'an acknowledgement'}\n      followup log confirm {application or '-'} '{reply.message_id}'"
            )
        sections.append("Replies to confirm:\n" + "\n".join(rows))
    if not sections:
        return None
    counts = {"overdue": len(overdue), "due": len(due), "held": len(held), "opening": len(opening), "to_confirm": len(waiting)}
    open_now = len(overdue) + len(due)
    subject = f"followup: {open_now} to do today, {len(opening)} opening this week ({today:%a %d %b})"
    greeting = f"Good morning {state.candidate.name.split()[0] if state.candidate.name else ''}".rstrip() + ","
    body = greeting + "\n\n" + "\n\n".join(sections) + "\n\n`followup agenda` has the details; `followup explain KEY` says why.\n"
    return Digest(today, subject, body, counts)


class Claims(Protocol):
    """Where the day's key is claimed: the store's outbox, or a claims file."""

    def claim(self, key: str, channel: str, idempotent: bool, action: Any, now: dt.datetime) -> bool: ...

    def settle(self, key: str, status: str, now: dt.datetime, detail: str | None) -> None: ...

    def release(self, key: str) -> None: ...


class StoreClaims:
    """The day's key as an outbox entry of the candidate's own log, claimed like an action."""

    def __init__(self, store: Any) -> None:
        self.store = store

    def claim(self, key: str, channel: str, idempotent: bool, action: Any, now: dt.datetime) -> bool:
        from ..stores import JOURNAL, OutboxEntry, action_to_dict

        entry = OutboxEntry(
            key=key,
            identity=key,
            application=JOURNAL,
            status="claimed",
            attempts=1,
            channel=channel,
            idempotent=idempotent,
            claimed_at=now,
            updated_at=now,
            action=action_to_dict(action),
            lease_until=now + dt.timedelta(hours=1),
        )
        with self.store.locked(JOURNAL):
            return bool(self.store.claim(entry, None))

    def settle(self, key: str, status: str, now: dt.datetime, detail: str | None) -> None:
        self.store.update_outbox(key, status=status, now=now, error=detail)

    def release(self, key: str) -> None:
        self.store.forget(key)


class FileClaims:
    """The day's keys in a private JSON file beside a state file (``.NAME.digests.json``), under a lock."""

    def __init__(self, state_path: str | Path) -> None:
        state = Path(state_path)
        self.path = state.with_name(f".{state.name}.digests.json")
        self.lock_path = state.with_name(f".{state.name}.digests.lock")

    def _change(self, change: Any) -> Any:
        from filelock import FileLock

        from .._private import write_private

        with FileLock(str(self.lock_path), timeout=30, mode=0o600):
            try:
                data = json.loads(self.path.read_text(encoding="utf-8"))
            except (OSError, ValueError):
                data = {}
            result = change(data)
            write_private(self.path, (json.dumps(data, indent=2, sort_keys=True) + "\n").encode("utf-8"))
            return result

    def claim(self, key: str, channel: str, idempotent: bool, action: Any, now: dt.datetime) -> bool:
        def change(data: dict[str, Any]) -> bool:
            if key in data:
                return False
            data[key] = {"status": "claimed", "channel": channel, "at": now.isoformat()}
            return True

        return bool(self._change(change))

    def settle(self, key: str, status: str, now: dt.datetime, detail: str | None) -> None:
        def change(data: dict[str, Any]) -> None:
            data[key] = {**data.get(key, {}), "status": status, "at": now.isoformat(), **({"error": detail} if detail else {})}

        self._change(change)

    def release(self, key: str) -> None:
        self._change(lambda data: data.pop(key, None))


def _action(digest: Digest, now: dt.datetime) -> Any:
    from ..engine import Action

    # key, rule, kind, status; no application, interview, recipient or channel; open and due now
    return Action(digest.key, "digest", "digest", "due", None, None, None, None, now, now, "the morning digest")


def send_digest(
    state: Any,
    agenda: Any,
    claims: Claims,
    config: Any,
    now: dt.datetime,
    *,
    settings: DigestSettings | None = None,
    dry_run: bool = False,
    force: bool = False,
) -> DigestReport:
    """Send today's digest once, if today is a digest day, its time has come and there is something to say.

    :param force: send even before the time of day or on a day that is not a digest
        day (still once a day).
    :raises InvalidInput: the channel is not installed or its settings are wrong.
    """
    from ..delivery import DeliveryError, Message, Party, get_channels, route
    from ..delivery.channels import build_channel

    settings = settings if settings is not None else DigestSettings.from_config(config)
    tz = state.candidate.calendar.tz
    local = now.astimezone(tz)
    if not force and local.weekday() not in settings.days:
        days = ", ".join(DAY_NAMES[d] for d in sorted(settings.days))
        return DigestReport("not-today", f"{local:%A} is not a digest day ({days})")
    if not force and local.time() < settings.time:
        return DigestReport("too-early", f"the digest goes out from {settings.time:%H:%M} ({_when(now, tz)} now)")
    digest = build_digest(state, agenda, now)
    if digest is None:
        return DigestReport("nothing", f"nothing to say on {local.date().isoformat()}: nothing sent")
    specs = get_channels()
    if settings.channel is not None and settings.channel not in specs:
        raise InvalidInput.single(
            config.where, f"[digest] channel {settings.channel!r} is not an installed channel; installed: {', '.join(sorted(specs))}"
        )
    spec = route("email", config, specs, requested=settings.channel)
    if dry_run:
        return DigestReport("would-send", f"would send {digest.key} through {spec.name}", digest)
    action = _action(digest, now)
    if not claims.claim(digest.key, spec.name, spec.idempotent, action, now):
        return DigestReport("already", f"{digest.key} was sent (or is being sent) already", digest)
    candidate = state.candidate
    sender_email = (config.data.get("sender") or {}).get("email") or candidate.email
    message = Message(
        key=digest.key,
        kind="digest",
        medium="email",
        subject=digest.subject,
        body=digest.body,
        sender=Party(name=candidate.name, email=sender_email),
        recipient=Party(name=candidate.name, email=candidate.email),
        action=action,
        timezone=candidate.timezone,
    )
    try:
        receipt = build_channel(spec, config).deliver(message)
    except DeliveryError as exc:
        if exc.maybe_sent and not spec.idempotent:
            claims.settle(digest.key, "uncertain", now, str(exc))
            return DigestReport("uncertain", f"{digest.key} may or may not have gone out through {spec.name}: {exc}", digest)
        claims.release(digest.key)
        return DigestReport("failed", f"{digest.key} was not sent through {spec.name}: {exc}; the next run tries again", digest)
    except Exception as exc:  # noqa: BLE001 - a channel's bug: reported, and never a second copy
        if spec.idempotent:
            claims.release(digest.key)
            return DigestReport("failed", f"{digest.key}: channel {spec.name!r} failed ({type(exc).__name__}: {exc}); the next run tries again", digest)
        claims.settle(digest.key, "uncertain", now, f"{type(exc).__name__}: {exc}")
        return DigestReport("uncertain", f"{digest.key} may or may not have gone out through {spec.name}: {type(exc).__name__}: {exc}", digest)
    claims.settle(digest.key, "delivered", now, None)
    where = f" ({receipt.reference})" if receipt.reference else ""
    return DigestReport("sent", f"sent {digest.key} through {spec.name}{where}", digest)
