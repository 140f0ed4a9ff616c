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
    "UTC",
    "Calendar",
    "HolidaySet",
    "Offset",
    "format_instant",
    "format_local",
    "local_wall_time",
    "parse_clock",
    "zone",
]

UTC = dt.UTC
_ONE_DAY = dt.timedelta(days=1)


@lru_cache(maxsize=512)
def zone(name: str) -> ZoneInfo:
    """The IANA zone called ``name``; raises :class:`LookupError` if there is none."""
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, TypeError):
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
    candidate = dt.datetime.combine(day, clock, tzinfo=tz)
    # fold=0 reads a repeated wall time as its first pass and a skipped one with
    # the offset from before the gap, so a round trip through UTC lands that one
    # the size of the gap later, on a wall time that exists.
    return candidate.astimezone(UTC).astimezone(tz)


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
    question "is this date a holiday?" costs one hash lookup.
    """

    __slots__ = ("_years", "country", "subdivision")

    def __init__(self, country: str, subdivision: str | None = None) -> None:
        import holidays

        self.country = country
        self.subdivision = subdivision
        # Raises NotImplementedError for unknown countries or subdivisions.
        holidays.country_holidays(country, subdiv=subdivision, years=[])
        self._years: dict[int, frozenset[dt.date]] = {}

    def __contains__(self, day: object) -> bool:
        if not isinstance(day, dt.date):
            return False
        dates = self._years.get(day.year)
        if dates is None:
            import holidays

            calendar = holidays.country_holidays(self.country, subdiv=self.subdivision, years=day.year)
            dates = self._years[day.year] = frozenset(calendar.keys())
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

    def local(self, instant: dt.datetime) -> dt.datetime:
        return instant.astimezone(self.tz)

    def is_business_day(self, day: dt.date) -> bool:
        return day.weekday() < 5 and day not in self.holidays

    def add_business_days(self, instant: dt.datetime, count: int) -> dt.datetime:
        """Move ``count`` business days (negative: back), keeping the local time of day.

        Counting starts from the local date of ``instant``, business day or not, so
        two business days after a Saturday is the Tuesday.
        """
        local = self.local(instant)
        day = local.date()
        step = _ONE_DAY if count >= 0 else -_ONE_DAY
        remaining = abs(count)
        while remaining:
            day += step
            if self.is_business_day(day):
                remaining -= 1
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
        return local_wall_time(self.local(instant).date(), clock, self.tz)

    def start_of_date(self, day: dt.date) -> dt.datetime:
        """Local midnight (or the first instant) of ``day``."""
        return local_wall_time(day, dt.time(0, 0), self.tz)
