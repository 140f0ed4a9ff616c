"""Property tests for calendar arithmetic: weekends, holidays and clock changes."""

from __future__ import annotations

import datetime as dt

from hypothesis import assume, event, given, settings
from hypothesis import strategies as st

from conftest import examples
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


@settings(max_examples=examples(300), deadline=None)
@given(calendars(), instants, st.integers(min_value=1, max_value=40))
def test_business_days_land_on_a_business_day_after_exactly_n(cal: Calendar, start: dt.datetime, n: int) -> None:
    result = cal.add_business_days(start, n)
    day = cal.local(result).date()
    assert cal.is_business_day(day)
    begin = cal.local(start).date()
    between = [begin + dt.timedelta(days=i) for i in range(1, (day - begin).days)]
    assert sum(cal.is_business_day(d) for d in between) == n - 1
    assert result > start


@settings(max_examples=examples(300), deadline=None)
@given(calendars(), instants, st.integers(min_value=0, max_value=30), st.integers(min_value=0, max_value=30))
def test_business_days_are_monotonic(cal: Calendar, start: dt.datetime, a: int, b: int) -> None:
    assume(a != b)
    first, second = cal.add_business_days(start, a), cal.add_business_days(start, b)
    assert (first < second) == (a < b)


@settings(max_examples=examples(300), deadline=None)
@given(calendars(), instants, st.integers(min_value=1, max_value=30))
def test_business_days_back_and_forth_return_to_a_business_day(cal: Calendar, start: dt.datetime, n: int) -> None:
    assume(cal.is_business_day(cal.local(start).date()))
    there = cal.add_business_days(start, n)
    back = cal.add_business_days(there, -n)
    assert cal.local(back).date() == cal.local(start).date()


@settings(max_examples=examples(300), deadline=None)
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


# ---------------------------------------------------------------------------
# Clock changes, aimed at: the real transitions of real zones, and an oracle that
# only ever converts UTC to local time (the one direction that is never ambiguous)
# ---------------------------------------------------------------------------

#: zones whose clock changes fall on weekdays (so business days land on them), at
#: midnight (so a day can start at 01:00), by 30 minutes, and the usual Sunday ones
DST_ZONES = [
    "Asia/Jerusalem",  # gap Friday 02:00
    "Africa/Cairo",  # gap Friday 00:00, Thursday 23:00-24:00 twice (2023 on)
    "Asia/Tehran",  # gaps and repeats at midnight on weekdays (until 2022)
    "America/Santiago",  # midnight gaps
    "America/Havana",  # midnight gaps
    "Australia/Lord_Howe",  # 30-minute changes
    "Europe/Berlin",
    "America/New_York",
    "Australia/Sydney",
    "Pacific/Chatham",
]

_SPAN = (dt.datetime(2019, 1, 1, tzinfo=dt.UTC), dt.datetime(2032, 1, 1, tzinfo=dt.UTC))


def _utc_offset(instant: dt.datetime, tz: dt.tzinfo) -> dt.timedelta:
    offset = instant.astimezone(tz).utcoffset()
    assert offset is not None
    return offset


def _transitions(name: str) -> list[tuple[dt.datetime, dt.timedelta, dt.timedelta]]:
    """(UTC instant, offset before, offset after) of every change of ``name``'s offset, found by
    scanning UTC a day at a time and bisecting to the second."""
    tz = zone(name)
    found = []
    day, (begin, end) = dt.timedelta(days=1), _SPAN
    here, offset = begin, _utc_offset(begin, tz)
    while here < end:
        there = here + day
        after = _utc_offset(there, tz)
        if after != offset:
            low, high = here, there
            while high - low > dt.timedelta(seconds=1):
                middle = (low + (high - low) / 2).replace(microsecond=0)
                if _utc_offset(middle, tz) == offset:
                    low = middle
                else:
                    high = middle
            found.append((high, offset, after))
            offset = after
        here = there
    return found


TRANSITIONS = {name: _transitions(name) for name in DST_ZONES}
assert all(TRANSITIONS[name] for name in DST_ZONES), "a zone listed for its clock changes has none"


def instants_showing(day: dt.date, clock: dt.time, name: str) -> list[dt.datetime]:
    """Every UTC instant at which zone ``name``'s clocks show ``clock`` on ``day``, in order."""
    tz = zone(name)
    wanted = dt.datetime.combine(day, clock)
    as_if_utc = wanted.replace(tzinfo=dt.UTC)
    offsets = {_utc_offset(as_if_utc + dt.timedelta(hours=h), tz) for h in range(-30, 31)}
    return sorted(
        as_if_utc - offset
        for offset in offsets
        if (as_if_utc - offset).astimezone(tz).replace(tzinfo=None) == wanted
    )


def oracle_wall_time(day: dt.date, clock: dt.time, name: str) -> dt.datetime:
    """The UTC instant meant by ``clock`` on ``day`` in zone ``name``, worked out without
    ``_time``: of the instants whose UTC-to-local conversion shows that wall time, the
    first; if none does (a gap), the wall time read with the offset from before the gap,
    which lands the size of the gap later."""
    wanted = dt.datetime.combine(day, clock)
    as_if_utc = wanted.replace(tzinfo=dt.UTC)
    shows = instants_showing(day, clock, name)
    if shows:
        return shows[0]
    for instant, before, after in TRANSITIONS[name]:
        if instant + before <= as_if_utc < instant + after:
            return as_if_utc - before
    raise AssertionError(f"{wanted} in {name} neither exists nor falls in a known gap")


def assert_is_the_wall_time(result: dt.datetime, expected_utc: dt.datetime, name: str) -> None:
    """``result`` is the expected instant, and its fields are what the zone's clocks show then
    (a datetime carrying a wall time that does not exist compares and adds wrongly)."""
    tz = zone(name)
    shown = expected_utc.astimezone(tz)
    assert result.astimezone(dt.UTC) == expected_utc, (result, shown)
    assert result.replace(tzinfo=None) == shown.replace(tzinfo=None), (result, shown)
    assert result.utcoffset() == shown.utcoffset(), (result, shown)


def _on_a_weekday(change: tuple[dt.datetime, dt.timedelta, dt.timedelta]) -> bool:
    """Whether a clock change (UTC instant, offset before, offset after) happens on a Monday to Friday, locally."""
    instant, before, after = change
    return (instant + min(before, after)).weekday() < 5


@st.composite
def near_clock_changes(draw: st.DrawFn, *, weekdays: bool = False) -> tuple[str, dt.datetime, str]:
    """(zone, naive wall time, what it is): inside a gap, inside a repeat, or minutes either side.

    With ``weekdays``, only the changes that happen on a Monday to Friday (most happen on a
    Sunday, and a test that needs a business day would discard nearly all of those).
    """
    zones = [z for z in DST_ZONES if any(_on_a_weekday(c) for c in TRANSITIONS[z])] if weekdays else DST_ZONES
    name = draw(st.sampled_from(zones))
    changes = [c for c in TRANSITIONS[name] if _on_a_weekday(c)] if weekdays else TRANSITIONS[name]
    instant, before, after = draw(st.sampled_from(changes))
    change = abs(after - before)
    low = (instant + min(before, after)).replace(tzinfo=None)  # the first wall time affected
    where = draw(st.sampled_from(["inside", "inside", "either side"]))
    if where == "inside":
        seconds = draw(st.integers(0, int(change.total_seconds()) - 1))
        kind = "gap" if after > before else "repeat"
    else:
        seconds = draw(st.integers(-180 * 60, int(change.total_seconds()) + 180 * 60))
        kind = "near"
    wall = low + dt.timedelta(seconds=seconds)
    event(kind)
    return name, wall, kind


@settings(max_examples=examples(400), deadline=None)
@given(near_clock_changes())
def test_local_wall_time_agrees_with_the_oracle_at_clock_changes(case: tuple[str, dt.datetime, str]) -> None:
    """Two examples in three are, by construction, a wall time that does not exist or exists
    twice (checked here against the oracle); the rest are minutes to hours either side."""
    name, wall, kind = case
    if kind != "near":
        assert len(instants_showing(wall.date(), wall.time(), name)) == {"gap": 0, "repeat": 2}[kind]
    result = local_wall_time(wall.date(), wall.time(), zone(name))
    assert_is_the_wall_time(result, oracle_wall_time(wall.date(), wall.time(), name), name)


def test_the_oracle_knows_the_gap_and_the_repeat() -> None:
    # Berlin 2026: 02:30 on 29 March does not exist (03:30 CEST); 02:30 on 25 October is
    # first CEST (00:30 UTC), then CET (01:30 UTC).
    spring = oracle_wall_time(dt.date(2026, 3, 29), dt.time(2, 30), "Europe/Berlin")
    assert spring == dt.datetime(2026, 3, 29, 1, 30, tzinfo=dt.UTC)
    autumn = oracle_wall_time(dt.date(2026, 10, 25), dt.time(2, 30), "Europe/Berlin")
    assert autumn == dt.datetime(2026, 10, 25, 0, 30, tzinfo=dt.UTC)
    gap = local_wall_time(dt.date(2026, 3, 29), dt.time(2, 30), zone("Europe/Berlin"))
    assert (gap.hour, gap.minute, gap.utcoffset()) == (3, 30, dt.timedelta(hours=2))


def _weekdays_between(start: dt.date, end: dt.date) -> int:
    """Mondays to Fridays after ``start`` up to and including ``end`` (``end`` >= ``start``)."""
    return sum((start + dt.timedelta(days=i)).weekday() < 5 for i in range(1, (end - start).days + 1))


@settings(max_examples=examples(300), deadline=None)
@given(near_clock_changes(), st.integers(min_value=1, max_value=25), st.booleans())
def test_calendar_days_onto_a_clock_change_agree_with_the_oracle(
    case: tuple[str, dt.datetime, str], days: int, backwards: bool
) -> None:
    """Start at that time of day ``days`` earlier (or later) and count to the day of the change."""
    name, wall, _ = case
    cal = Calendar(tz=zone(name))
    count = -days if backwards else days
    origin_day = wall.date() - dt.timedelta(days=count)
    start = oracle_wall_time(origin_day, wall.time(), name)
    assume(start.astimezone(zone(name)).time() == wall.time())  # the start itself is not in a gap
    expected = oracle_wall_time(wall.date(), wall.time(), name)
    assert_is_the_wall_time(cal.add_days(start, count), expected, name)
    if count % 7 == 0:
        assert_is_the_wall_time(cal.shift(start, Offset("weeks", count // 7)), expected, name)


@settings(max_examples=examples(300), deadline=None)
@given(near_clock_changes(weekdays=True), st.integers(min_value=1, max_value=25), st.booleans())
def test_business_days_onto_a_clock_change_agree_with_the_oracle(
    case: tuple[str, dt.datetime, str], days: int, backwards: bool
) -> None:
    name, wall, _ = case
    assume(wall.weekday() < 5)
    cal = Calendar(tz=zone(name))
    origin_day = wall.date() + dt.timedelta(days=days if backwards else -days)
    start = oracle_wall_time(origin_day, wall.time(), name)
    assume(start.astimezone(zone(name)).time() == wall.time())
    if backwards:  # the weekdays in [day of the change, origin)
        between = _weekdays_between(wall.date() - dt.timedelta(days=1), origin_day - dt.timedelta(days=1))
    else:  # the weekdays in (origin, day of the change]
        between = _weekdays_between(origin_day, wall.date())
    assume(between > 0)
    count = -between if backwards else between
    expected = oracle_wall_time(wall.date(), wall.time(), name)
    assert_is_the_wall_time(cal.add_business_days(start, count), expected, name)


@settings(max_examples=examples(300), deadline=None)
@given(near_clock_changes(), st.sampled_from(["at_clock", "start_of_date"]))
def test_pinning_a_time_of_day_at_a_clock_change_agrees_with_the_oracle(case: tuple[str, dt.datetime, str], how: str) -> None:
    name, wall, _ = case
    cal = Calendar(tz=zone(name), workday_start=wall.time())
    if how == "start_of_date":
        expected = oracle_wall_time(wall.date(), dt.time(0, 0), name)
        assert_is_the_wall_time(cal.start_of_date(wall.date()), expected, name)
        return
    noon = oracle_wall_time(wall.date(), dt.time(12, 0), name)
    expected = oracle_wall_time(wall.date(), wall.time(), name)
    assert_is_the_wall_time(cal.at_clock(noon, cal.workday_start), expected, name)


@settings(max_examples=examples(200), deadline=None)
@given(calendars(), instants, st.sampled_from(["start_of_day", "end_of_day"]))
def test_pinning_the_time_of_day_keeps_the_local_date(cal: Calendar, start: dt.datetime, which: str) -> None:
    clock = cal.workday_start if which == "start_of_day" else cal.workday_end
    pinned = cal.at_clock(start, clock)
    assert cal.local(pinned).date() == cal.local(start).date()


@settings(max_examples=examples(200), deadline=None)
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
