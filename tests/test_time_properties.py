"""Property tests for calendar arithmetic: weekends, holidays and clock changes."""

from __future__ import annotations

import datetime as dt

from hypothesis import assume, given, settings
from hypothesis import strategies as st

from followup._time import Calendar, HolidaySet, Offset, local_wall_time, zone

ZONES = ["Europe/Berlin", "America/New_York", "Australia/Sydney", "Asia/Kolkata", "America/Sao_Paulo", "UTC", "Pacific/Chatham"]
COUNTRIES = [None, ("DE", None), ("US", "CA"), ("GB", "SCT"), ("AU", "NSW"), ("FR", None)]

instants = st.datetimes(
    min_value=dt.datetime(2019, 1, 1), max_value=dt.datetime(2031, 12, 31), timezones=st.just(dt.UTC)
)


@st.composite
def calendars(draw: st.DrawFn) -> Calendar:
    tz = zone(draw(st.sampled_from(ZONES)))
    where = draw(st.sampled_from(COUNTRIES))
    holidays = HolidaySet(*where) if where else frozenset()
    return Calendar(tz=tz, holidays=holidays)


@settings(max_examples=300, deadline=None)
@given(calendars(), instants, st.integers(min_value=1, max_value=40))
def test_business_days_land_on_a_business_day_after_exactly_n(cal: Calendar, start: dt.datetime, n: int) -> None:
    result = cal.add_business_days(start, n)
    day = cal.local(result).date()
    assert cal.is_business_day(day)
    begin = cal.local(start).date()
    between = [begin + dt.timedelta(days=i) for i in range(1, (day - begin).days)]
    assert sum(cal.is_business_day(d) for d in between) == n - 1
    assert result > start


@settings(max_examples=300, deadline=None)
@given(calendars(), instants, st.integers(min_value=0, max_value=30), st.integers(min_value=0, max_value=30))
def test_business_days_are_monotonic(cal: Calendar, start: dt.datetime, a: int, b: int) -> None:
    assume(a != b)
    first, second = cal.add_business_days(start, a), cal.add_business_days(start, b)
    assert (first < second) == (a < b)


@settings(max_examples=300, deadline=None)
@given(calendars(), instants, st.integers(min_value=1, max_value=30))
def test_business_days_back_and_forth_return_to_a_business_day(cal: Calendar, start: dt.datetime, n: int) -> None:
    assume(cal.is_business_day(cal.local(start).date()))
    there = cal.add_business_days(start, n)
    back = cal.add_business_days(there, -n)
    assert cal.local(back).date() == cal.local(start).date()


@settings(max_examples=300, deadline=None)
@given(calendars(), instants, st.integers(min_value=-30, max_value=30))
def test_business_days_keep_the_local_time_of_day_unless_it_does_not_exist(cal: Calendar, start: dt.datetime, n: int) -> None:
    local = cal.local(start)
    result = cal.local(cal.add_business_days(start, n))
    if result.time() != local.time():
        # Only a skipped wall time may move, and only forward by the gap (at most 1 h here,
        # 30 min on Lord Howe, 45 min never occurs in these zones).
        naive = dt.datetime.combine(result.date(), local.time())
        shift = result.replace(tzinfo=None) - naive
        assert dt.timedelta(0) < shift <= dt.timedelta(hours=1)


@settings(max_examples=300, deadline=None)
@given(st.sampled_from(ZONES), st.dates(min_value=dt.date(2019, 1, 1), max_value=dt.date(2031, 12, 31)),
       st.times())
def test_local_wall_time_exists_and_is_the_first_pass(name: str, day: dt.date, clock: dt.time) -> None:
    tz = zone(name)
    instant = local_wall_time(day, clock, tz)
    shown = instant.astimezone(tz)
    wanted = dt.datetime.combine(day, clock)
    if shown.replace(tzinfo=None) == wanted:
        # A repeated wall time means its first pass: an hour earlier is not the same wall time.
        earlier = (instant - dt.timedelta(hours=1)).astimezone(tz)
        assert earlier.replace(tzinfo=None) != wanted
    else:
        gap = shown.replace(tzinfo=None) - wanted
        assert dt.timedelta(0) < gap <= dt.timedelta(hours=1)


@settings(max_examples=200, deadline=None)
@given(calendars(), instants, st.sampled_from(["start_of_day", "end_of_day"]))
def test_pinning_the_time_of_day_keeps_the_local_date(cal: Calendar, start: dt.datetime, which: str) -> None:
    clock = cal.workday_start if which == "start_of_day" else cal.workday_end
    pinned = cal.at_clock(start, clock)
    assert cal.local(pinned).date() == cal.local(start).date()


@settings(max_examples=200, deadline=None)
@given(calendars(), instants, st.integers(min_value=1, max_value=60))
def test_calendar_days_keep_wall_clock_and_hours_keep_elapsed_time(cal: Calendar, start: dt.datetime, n: int) -> None:
    assert cal.shift(start, Offset("hours", n)) - start == dt.timedelta(hours=n)
    later = cal.local(cal.shift(start, Offset("days", n)))
    assert later.date() == cal.local(start).date() + dt.timedelta(days=n)


def test_known_holidays_are_skipped() -> None:
    cal = Calendar(tz=zone("Europe/Berlin"), holidays=HolidaySet("DE"))
    thursday = dt.datetime(2026, 4, 2, 15, 0, tzinfo=zone("Europe/Berlin"))
    assert cal.add_business_days(thursday, 1).date() == dt.date(2026, 4, 7)  # Good Friday, Easter Monday
    assert cal.add_business_days(thursday, -3).date() == dt.date(2026, 3, 30)
