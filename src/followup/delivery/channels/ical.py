"""The ``calendar`` channel: tasks the candidate must do, as events in an iCalendar file.

Settings (``[channels.calendar]``): ``file`` (default ``followup.ics`` in the
platform's user data folder), ``alarm_minutes`` (default 15).

Each action becomes one ``VEVENT``:

* ``UID`` is ``<idempotency key>@followup``, so delivering the same action again
  replaces its event instead of adding a second one: the channel is idempotent,
  and calendar programs that subscribe to the file see updates, not duplicates;
* it occupies the half hour before the action is due (never starting before the
  window opens), in the candidate's time zone, with the zone's ``VTIMEZONE``; an
  action already past due gets the next quarter hour after the stamp instead;
* a ``VALARM`` fires ``alarm_minutes`` before it, and a second one when the
  window opens if that is earlier;
* ``SUMMARY`` and ``DESCRIPTION`` are the rendered task text and the reason.

:func:`agenda_calendar` builds the same events for a whole agenda (``followup
calendar``).
"""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from .._channel import DeliveryError, Message, Receipt
from ._schemas import CALENDAR_SCHEMA

if TYPE_CHECKING:
    from .._config import Config

__all__ = ["CALENDAR_SCHEMA", "CalendarChannel", "agenda_calendar", "agenda_ics", "build_calendar", "event_for", "uid_for"]


PRODID = "-//followup//interview follow-ups//EN"
_SLOT = dt.timedelta(minutes=30)


def uid_for(message: Message) -> str:
    """The event's stable UID."""
    return f"{message.idempotency_key}@followup"


def event_for(message: Message, *, stamp: dt.datetime, alarm_minutes: int = 15) -> Any:
    """One ``VEVENT`` for ``message`` (its action's window decides when)."""
    from icalendar import Alarm, Event

    action = message.action
    tz = ZoneInfo(message.timezone)
    end = action.due_at.astimezone(tz)
    start = max(end - _SLOT, action.opens_at.astimezone(tz))
    if start >= end:
        start = end - _SLOT
    if end <= stamp:
        # overdue: the next quarter hour, so the task shows up where it can still be done
        start = _next_quarter(stamp.astimezone(tz))
        end = start + _SLOT
    event = Event()
    event.add("uid", uid_for(message))
    event.add("dtstamp", stamp.astimezone(dt.UTC))
    event.add("dtstart", start)
    event.add("dtend", end)
    event.add("summary", message.subject)
    description = message.body.rstrip()
    if action.reason:
        description += f"\n\nWhy now: {action.reason}"
    description += f"\n\nfollowup action: {action.key}"
    event.add("description", description)
    event.add("categories", [action.kind])
    if message.recipient is not None and message.recipient.phone:
        event.add("location", f"tel:{message.recipient.phone.replace(' ', '')}")
    event.add("transp", "TRANSPARENT")
    reminder = Alarm()
    reminder.add("action", "DISPLAY")
    reminder.add("description", message.subject)
    reminder.add("trigger", dt.timedelta(minutes=-alarm_minutes))
    event.add_component(reminder)
    opens = action.opens_at.astimezone(tz)
    if stamp < opens < start - dt.timedelta(minutes=alarm_minutes):
        window = Alarm()
        window.add("action", "DISPLAY")
        window.add("description", f"Now possible: {message.subject}")
        window.add("trigger", opens.astimezone(dt.UTC), parameters={"VALUE": "DATE-TIME"})
        event.add_component(window)
    return event


def _next_quarter(moment: dt.datetime) -> dt.datetime:
    floor = moment.replace(minute=moment.minute - moment.minute % 15, second=0, microsecond=0)
    return floor if floor == moment else floor + dt.timedelta(minutes=15)


def new_calendar(timezone: str) -> Any:
    from icalendar import Calendar

    calendar = Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("x-wr-calname", "followup")
    calendar.add("x-wr-timezone", timezone)
    return calendar


def agenda_calendar(
    messages: Iterable[Message], *, timezone: str, stamp: dt.datetime, alarm_minutes: int = 15
) -> bytes:
    """An iCalendar document with one event per message, time zones included."""
    calendar = new_calendar(timezone)
    for message in messages:
        calendar.add_component(event_for(message, stamp=stamp, alarm_minutes=alarm_minutes))
    _add_zones(calendar)
    return bytes(calendar.to_ical())


def _add_zones(calendar: Any) -> None:
    """Add a ``VTIMEZONE`` for every zone used, covering a year either side of the events."""
    starts = [c.decoded("dtstart") for c in calendar.walk("VEVENT") if c.get("dtstart") is not None]
    days = [d.date() if isinstance(d, dt.datetime) else d for d in starts]
    if not days:
        return
    first, last = min(days), max(days)
    calendar.add_missing_timezones(
        first_date=first.replace(month=1, day=1) - dt.timedelta(days=366),
        last_date=last.replace(month=1, day=1) + dt.timedelta(days=2 * 366),
    )


@dataclass(frozen=True)
class CalendarChannel:
    """Keeps one event per action in an ``.ics`` file."""

    file: Path
    alarm_minutes: int = 15
    name: str = "calendar"

    def deliver(self, message: Message) -> Receipt:
        """Add or replace the event of ``message``'s action in the file."""
        from icalendar import Calendar

        uid = uid_for(message)
        try:
            self.file.parent.mkdir(parents=True, exist_ok=True)
            with _locked(self.file):
                if self.file.exists() and self.file.stat().st_size:
                    try:
                        calendar = Calendar.from_ical(self.file.read_bytes())
                    except ValueError as exc:
                        raise DeliveryError(
                            f"{message.key}: {self.file} is not a readable iCalendar file ({exc}); "
                            "move it away or point [channels.calendar] file elsewhere",
                            transient=False,
                        ) from None
                else:
                    calendar = new_calendar(message.timezone)
                calendar.subcomponents = [
                    c for c in calendar.subcomponents if not (c.name == "VEVENT" and str(c.get("uid")) == uid)
                ]
                calendar.add_component(
                    event_for(message, stamp=dt.datetime.now(dt.UTC), alarm_minutes=self.alarm_minutes)
                )
                _add_zones(calendar)
                data = bytes(calendar.to_ical())
                Calendar.from_ical(data)  # what we write must parse back
                temporary = self.file.with_name(f".{self.file.name}.tmp")
                temporary.write_bytes(data)
                os.replace(temporary, self.file)
        except OSError as exc:
            raise DeliveryError(
                f"{message.key}: cannot update {self.file}: {exc.strerror or exc}", transient=False
            ) from None
        return Receipt(channel=self.name, reference=uid, detail=f"event in {self.file}")


class _locked:
    """An exclusive lock on ``<file>.lock`` while the calendar is rewritten (POSIX ``flock``)."""

    def __init__(self, file: Path) -> None:
        self.path = file.with_name(f".{file.name}.lock")
        self.handle: Any = None

    def __enter__(self) -> None:
        self.handle = self.path.open("a")
        try:
            import fcntl
        except ImportError:  # pragma: no cover - Windows: one writer at a time is up to the user
            return
        fcntl.flock(self.handle.fileno(), fcntl.LOCK_EX)

    def __exit__(self, *exc: object) -> None:
        self.handle.close()


def default_file() -> Path:
    from platformdirs import user_data_dir

    return Path(user_data_dir("followup")) / "followup.ics"


def build_calendar(settings: Mapping[str, Any]) -> CalendarChannel:
    """The ``calendar`` channel from its settings."""
    file = settings.get("file")
    return CalendarChannel(
        Path(os.path.expanduser(str(file))) if file else default_file(),
        alarm_minutes=int(settings.get("alarm_minutes", 15)),
    )


def agenda_ics(
    state: Any, agenda: Any, now: Any, config: Config | None = None, *, include_done: bool = False
) -> tuple[bytes, int]:
    """The tasks of ``agenda`` the candidate must do (calls, reminders) as iCalendar, and how many.

    Pending, upcoming and held-back actions (and done ones with ``include_done``)
    whose medium is ``phone`` or ``reminder`` become one event each; see
    :func:`agenda_calendar`.
    """
    from .._channel import TASK_MEDIA
    from .._config import load_config
    from ..messages import build_context, render_message

    config = config if config is not None else load_config()
    statuses = {"due", "overdue", "upcoming", "suppressed"} | ({"done"} if include_done else set())
    messages = []
    for action in agenda:
        if action.status not in statuses:
            continue
        context = build_context(state, action, config.as_context(), now=now)
        if context["medium"] not in TASK_MEDIA:
            continue
        messages.append(render_message(context))
    settings = config.channel_settings("calendar")
    data = agenda_calendar(
        messages,
        timezone=state.candidate.timezone,
        stamp=now,
        alarm_minutes=int(settings.get("alarm_minutes", 15)),
    )
    return data, len(messages)
