"""Time in the candidate's terms: their zone, their working day, their business days.

Everything here takes and returns time-zone aware :class:`datetime.datetime` values.
Calendar arithmetic (days, weeks, business days, a time of day) happens on the
candidate's local wall clock and is then mapped back to an instant, so that "two
business days later at the end of the day" means the same thing in March and in
November, whatever the clocks did in between. Exact durations (hours, minutes) are
plain elapsed time.

Wall-clock times that do not exist (the hour skipped when clocks go forward) move
forward by the size of the gap; wall-clock times that happen twice (the hour
repeated when clocks go back) mean the first of the two.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

__all__ = [
    "EARLIEST",
    "LATEST",
    "MAX_OFFSET",
    "UTC",
    "Calendar",
    "HolidaySet",
    "Offset",
    "calendar_for",
    "fit_working_time",
    "format_instant",
    "format_local",
    "local_wall_time",
    "parse_clock",
    "strict_wall_time",
    "supported",
    "their_clock",
    "zone",
    "zone_name",
]

UTC = dt.UTC
_ONE_DAY = dt.timedelta(days=1)
_ONE_MINUTE = dt.timedelta(minutes=1)

#: the supported range of instants: every instant read (files, options, stores) lies in it
EARLIEST = dt.datetime(1900, 1, 1, tzinfo=UTC)
LATEST = dt.datetime(2200, 12, 31, 23, 59, 59, tzinfo=UTC)

#: the largest amount an offset may have, per unit (about ten years of each)
MAX_OFFSET = {"minutes": 5_256_000, "hours": 87_600, "days": 3_660, "weeks": 522, "business_days": 2_610}

#: the longest IANA zone name accepted (the real ones are under 40 characters)
_LONGEST_ZONE = 64


def supported(value: dt.date, text: str | None = None) -> None:
    """Raise :class:`ValueError` unless ``value`` lies in the supported range (years 1900 to 2200).

    Checked on the year first, so an instant at the edge of what Python can hold
    (9999-12-31T23:59:59-12:00) is refused before any arithmetic could overflow.
    """
    if EARLIEST.year < value.year < LATEST.year:
        return  # well inside the range, whatever the offset (at most a day) does
    if not EARLIEST.year <= value.year <= LATEST.year or (
        isinstance(value, dt.datetime) and value.tzinfo is not None and not EARLIEST <= value <= LATEST
    ):
        shown = repr(text) if text is not None else value.isoformat()
        raise ValueError(f"{shown} is outside the supported range, the years {EARLIEST.year} to {LATEST.year}")


@lru_cache(maxsize=512)
def zone(name: str) -> ZoneInfo:
    """The IANA zone called ``name``; raises :class:`LookupError` if there is none."""
    if len(name) > _LONGEST_ZONE or "\x00" in name:
        raise LookupError(name[:_LONGEST_ZONE])
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, TypeError, OSError):
        raise LookupError(name) from None


def parse_clock(text: str) -> dt.time:
    """``"HH:MM"`` (24-hour) as a :class:`datetime.time`; raises :class:`ValueError`."""
    hours, sep, minutes = text.partition(":")
    if not sep or len(hours) != 2 or len(minutes) != 2 or not (hours + minutes).isdigit():
        raise ValueError(text)
    return dt.time(int(hours), int(minutes))


def local_wall_time(day: dt.date, clock: dt.time, tz: dt.tzinfo) -> dt.datetime:
    """The instant at which ``tz``'s clocks show ``clock`` on ``day``.

    Skipped wall times move forward by the gap; repeated ones take the first pass.
    """
    # fold=0 reads a repeated wall time as its first pass and a skipped one with
    # the offset from before the gap, so reading that instant back off the clock
    # lands a skipped one the size of the gap later, on a wall time that exists.
    return _as_shown(dt.datetime.combine(day, clock, tzinfo=tz), tz)


def _as_shown(moment: dt.datetime, tz: dt.tzinfo) -> dt.datetime:
    """The instant ``moment`` (aware, in ``tz``) with the fields ``tz``'s clocks show at it:
    the same fields unless ``moment`` holds a wall time that does not exist there."""
    offset = moment.utcoffset()
    assert offset is not None
    # ``moment - offset`` holds the UTC wall time; ``fromutc`` reads it off ``tz``'s clocks
    return tz.fromutc(moment - offset)


def zone_name(tz: dt.tzinfo) -> str:
    """The IANA name of ``tz`` (``UTC`` for the UTC singleton)."""
    return str(tz)  # a ZoneInfo's text is its key


def _offset_text(offset: dt.timedelta | None) -> str:
    """``+05:45``, ``-03:30``; with the seconds when there are any (Monrovia kept -00:44:30 until 1972)."""
    seconds = int((offset or dt.timedelta()).total_seconds())
    sign = "+" if seconds >= 0 else "-"
    hours, rest = divmod(abs(seconds), 3600)
    minutes, seconds = divmod(rest, 60)
    return f"{sign}{hours:02d}:{minutes:02d}" + (f":{seconds:02d}" if seconds else "")


def strict_wall_time(naive: dt.datetime, tz: dt.tzinfo) -> dt.datetime:
    """The instant at which ``tz``'s clocks show ``naive``; raises :class:`ValueError`
    when that wall time does not exist there (clocks skip it) or happens twice,
    naming the two offsets it could mean.
    """
    first = naive.replace(tzinfo=tz, fold=0)
    second = naive.replace(tzinfo=tz, fold=1)
    before, after = first.utcoffset(), second.utcoffset()
    if before == after:
        return first
    text = naive.isoformat(timespec="minutes" if not naive.second else "seconds")
    name = zone_name(tz)
    if _as_shown(first, tz).replace(tzinfo=None) == naive:
        return _raise(
            f"{text} happens twice on the clocks of {name} (first at {_offset_text(before)}, again at "
            f"{_offset_text(after)} after they go back); add the offset you mean: "
            f"{text}{_offset_text(before)} or {text}{_offset_text(after)}"
        )
    return _raise(
        f"{text} does not exist on the clocks of {name} (they skip from {_offset_text(before)} to "
        f"{_offset_text(after)}); add the offset you mean: {text}{_offset_text(before)} or {text}{_offset_text(after)}"
    )


def _raise(message: str) -> dt.datetime:
    raise ValueError(message)


def their_clock(instant: dt.datetime, zone_key: str | None, *, day: bool = True) -> str:
    """`` (Fri 20 Nov 11:00 EST for the employer)`` when ``zone_key`` names a zone,
    else the empty string: the employer's clock, to show beside the candidate's."""
    if not zone_key:
        return ""
    local = instant.astimezone(zone(zone_key))
    when = f"{local:%a} {local.day} {local:%b %H:%M %Z}" if day else f"{local:%H:%M %Z}"
    return f" ({when} for the employer)"


def format_local(instant: dt.datetime | None, tz: dt.tzinfo, *, short: bool = False) -> str:
    """An instant as a person reads it in zone ``tz``: ``Mon 2 Mar 2026 17:00 CET``.

    ``short`` leaves out the year and the zone (``Mon 2 Mar 17:00``); ``None`` is
    ``never``. The one formatter of local times: reasons, explanations, tables and
    messages all use it.
    """
    if instant is None:
        return "never"
    return _formatted(instant, tz, short)


@lru_cache(maxsize=4096)
def _formatted(instant: dt.datetime, tz: dt.tzinfo, short: bool) -> str:
    # Cached: one evaluation writes the same instant into many reasons (every
    # interviewer of an interview, opens and due of one window). Equal instants give
    # equal text whatever their own zone, since only the instant in ``tz`` is shown.
    local = instant.astimezone(tz)
    if short:
        return f"{local:%a} {local.day} {local:%b %H:%M}"
    return f"{local:%a} {local.day} {local:%b %Y %H:%M %Z}"


def format_instant(value: dt.datetime | None) -> str | None:
    """ISO 8601 with its offset, to the second (``2026-03-02T17:00:00+01:00``)."""
    if value is None:
        return None
    return value.isoformat(timespec="seconds")


@dataclass(frozen=True, slots=True)
class Offset:
    """A signed amount of time in one unit: minutes, hours, days, weeks or business days."""

    unit: str
    amount: int

    UNITS = ("minutes", "hours", "days", "weeks", "business_days")

    @classmethod
    def from_mapping(cls, spec: Mapping[str, Any], sign: int = 1) -> Offset:
        ((unit, amount),) = spec.items()
        if unit not in cls.UNITS:
            raise ValueError(unit)
        return cls(unit, sign * int(amount))

    def __str__(self) -> str:
        unit = self.unit.replace("_", " ")
        if abs(self.amount) == 1:
            unit = unit[:-1]
        sign = "+" if self.amount >= 0 else "-"
        return f"{sign}{abs(self.amount)} {unit}"


class HolidaySet:
    """The public holidays of one country (and subdivision), looked up year by year.

    Wraps the ``holidays`` package and keeps each year's dates as a plain set, so the
    question "is this date a holiday?" costs one hash lookup; the sets are also kept
    on disk between runs (:mod:`followup._holidays`), so a command that has seen a
    calendar before does not import ``holidays`` at all.
    """

    __slots__ = ("_years", "country", "subdivision")

    def __init__(self, country: str, subdivision: str | None = None) -> None:
        from ._holidays import check_calendar

        self.country = country
        self.subdivision = subdivision
        # Raises NotImplementedError for unknown countries or subdivisions.
        check_calendar(country, subdivision)
        self._years: dict[int, frozenset[dt.date]] = {}

    def __contains__(self, day: object) -> bool:
        if not isinstance(day, dt.date):
            return False
        dates = self._years.get(day.year)
        if dates is None:
            from ._holidays import holiday_dates

            dates = self._years[day.year] = holiday_dates(self.country, self.subdivision, day.year)
        return day in dates

    def name(self, day: dt.date) -> str | None:
        import holidays

        calendar = holidays.country_holidays(self.country, subdiv=self.subdivision, years=day.year)
        return calendar.get(day)

    def __repr__(self) -> str:
        where = f"{self.country}-{self.subdivision}" if self.subdivision else self.country
        return f"HolidaySet({where})"

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, HolidaySet):
            return NotImplemented
        return (self.country, self.subdivision) == (other.country, other.subdivision)

    def __hash__(self) -> int:
        return hash((self.country, self.subdivision))


@dataclass(frozen=True)
class Calendar:
    """A person's time zone, working day and business-day calendar.

    :param tz: the candidate's zone.
    :param holidays: dates that are not business days (weekends never are).
    :param workday_start: local time meant by ``start_of_day``.
    :param workday_end: local time meant by ``end_of_day``.
    """

    tz: dt.tzinfo
    holidays: Any = field(default_factory=frozenset)
    workday_start: dt.time = dt.time(9, 0)
    workday_end: dt.time = dt.time(17, 0)

    def __post_init__(self) -> None:
        try:
            hash(self.holidays)
        except TypeError:  # a plain set, or a holidays.HolidayBase (a dict): frozen, so that a calendar keys caches
            object.__setattr__(self, "holidays", frozenset(self.holidays))

    def local(self, instant: dt.datetime) -> dt.datetime:
        return instant.astimezone(self.tz)

    def is_business_day(self, day: dt.date) -> bool:
        return day.weekday() < 5 and day not in self.holidays

    def add_business_days(self, instant: dt.datetime, count: int) -> dt.datetime:
        """Move ``count`` business days (negative: back), keeping the local time of day.

        Counting starts from the local date of ``instant``, business day or not, so
        two business days after a Saturday is the Tuesday.
        """
        if abs(count) > MAX_OFFSET["business_days"]:
            raise ValueError(f"{count} business days is more than the {MAX_OFFSET['business_days']:,} allowed")
        local = self.local(instant)
        day = _business_day(self, local.date(), count)
        return local_wall_time(day, local.time().replace(tzinfo=None), self.tz)

    def add_days(self, instant: dt.datetime, count: int) -> dt.datetime:
        """Move ``count`` calendar days on the local wall clock."""
        local = self.local(instant)
        return local_wall_time(local.date() + dt.timedelta(days=count), local.time(), self.tz)

    def shift(self, instant: dt.datetime, offset: Offset) -> dt.datetime:
        unit, amount = offset.unit, offset.amount
        if unit == "minutes":
            return instant + dt.timedelta(minutes=amount)
        if unit == "hours":
            return instant + dt.timedelta(hours=amount)
        if unit == "days":
            return self.add_days(instant, amount)
        if unit == "weeks":
            return self.add_days(instant, 7 * amount)
        return self.add_business_days(instant, amount)

    def at_clock(self, instant: dt.datetime, clock: dt.time) -> dt.datetime:
        """The same local date as ``instant``, at local time ``clock``."""
        return _pinned(self.local(instant).date(), clock, self.tz)

    def start_of_date(self, day: dt.date) -> dt.datetime:
        """Local midnight (or the first instant) of ``day``."""
        return _pinned(day, _MIDNIGHT, self.tz)

    def describe(self) -> str:
        """``America/New_York, holidays US, 09:00-17:00``: what this calendar counts with."""
        holidays = self.holidays
        where = repr(holidays)[len("HolidaySet(") : -1] if isinstance(holidays, HolidaySet) else "none"
        return f"{zone_name(self.tz)}, holidays {where}, {self.workday_start:%H:%M}-{self.workday_end:%H:%M}"


_MIDNIGHT = dt.time(0, 0)

#: a day at a fixed time of day (``start_of_day``, ``end_of_day``, ``"09:30"``): the same
#: few days and times come back for every rule and state, so each is worked out once
_pinned = lru_cache(maxsize=8192)(local_wall_time)


def _count_business_days(calendar: Calendar, start: dt.date, count: int) -> dt.date:
    """The date ``count`` business days of ``calendar`` from ``start`` (negative: back),
    counting from ``start``, business day or not."""
    day = start
    step = _ONE_DAY if count >= 0 else -_ONE_DAY
    remaining = abs(count)
    scanned = 0
    while remaining:
        day += step
        scanned += 1
        if calendar.is_business_day(day):
            remaining -= 1
        elif scanned > 7 * abs(count) + 366:  # a calendar with (nearly) no business days
            raise ValueError(f"no {abs(count)} business days within {scanned} days of {start}")
    return day


#: worked out once per calendar, date and count: many windows count from the same days
_business_day = lru_cache(maxsize=8192)(_count_business_days)


@lru_cache(maxsize=256)
def _holiday_set(country: str, subdivision: str | None) -> HolidaySet:
    return HolidaySet(country, subdivision)


@lru_cache(maxsize=256)
def calendar_for(
    timezone: str,
    country: str | None = None,
    subdivision: str | None = None,
    start: dt.time = dt.time(9, 0),
    end: dt.time = dt.time(17, 0),
) -> Calendar:
    """The calendar with these settings, built once: equal settings give the same object.

    Raises :class:`LookupError` for an unknown zone and :class:`NotImplementedError`
    for an unknown holiday country or subdivision.
    """
    holidays: Any = _holiday_set(country, subdivision) if country else frozenset()
    return Calendar(tz=zone(timezone), holidays=holidays, workday_start=start, workday_end=end)


#: how far ahead (or back) working time is looked for before giving up
_SEARCH_DAYS = 400


def _periods(day: dt.date, hours: Calendar, also: Calendar | None) -> list[tuple[dt.datetime, dt.datetime]]:
    """The working time of ``hours``'s local ``day``: its business hours if it is a
    business day, cut to the stretches that fall on ``also``'s business days."""
    if not hours.is_business_day(day):
        return []
    start = local_wall_time(day, hours.workday_start, hours.tz)
    end = local_wall_time(day, hours.workday_end, hours.tz)
    if also is None:
        return [(start, end)]
    periods = []
    cursor = start
    while cursor < end:
        local = also.local(cursor)
        midnight = also.start_of_date(local.date() + _ONE_DAY)
        stop = min(end, midnight)
        # a stretch cut by ``also``'s midnight ends a minute before it, so that its
        # end is still on that business day on ``also``'s clock
        last = stop if stop < midnight else midnight - _ONE_MINUTE
        if also.is_business_day(local.date()) and last >= cursor:
            periods.append((cursor, last))
        cursor = stop
    return periods


@lru_cache(maxsize=8192)
def fit_working_time(
    opens: dt.datetime, due: dt.datetime, hours: Calendar, also: Calendar | None = None
) -> tuple[dt.datetime, dt.datetime]:
    """Move a window into working time: inside ``hours``'s business hours on its
    business days, and (with ``also``) on days that are business days in ``also``'s
    calendar too, on its clock.

    ``opens`` moves forward to the first working instant at or after it, ``due``
    back to the last one at or before it; a due time that would then come before the
    opening becomes the end of the working stretch the opening falls in.
    """
    first = None
    day = hours.local(opens).date()
    for _ in range(_SEARCH_DAYS):
        for start, end in _periods(day, hours, also):
            if end > opens:
                first = (max(start, opens), end)
                break
        if first is not None:
            break
        day += _ONE_DAY
    if first is None:
        raise ValueError(f"no working time within {_SEARCH_DAYS} days of {opens.isoformat()}")
    fitted_opens, stretch_end = first
    fitted_due = None
    day = hours.local(due).date()
    while fitted_due is None and day >= hours.local(fitted_opens).date():
        for start, end in reversed(_periods(day, hours, also)):
            if start <= due:
                fitted_due = min(end, due)
                break
        day -= _ONE_DAY
    if fitted_due is None or fitted_due < fitted_opens:
        fitted_due = stretch_end
    return fitted_opens, fitted_due
