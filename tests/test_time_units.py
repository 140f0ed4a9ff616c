"""The small pieces of time handling, one by one: zones, clocks, offsets, holiday sets, shifts."""

from __future__ import annotations

import datetime as dt

import holidays
import pytest

from followup._time import (
    MAX_OFFSET,
    Calendar,
    HolidaySet,
    Offset,
    _offset_text,
    _periods,
    format_instant,
    format_local,
    local_wall_time,
    parse_clock,
    strict_wall_time,
    supported,
    their_clock,
    zone,
    zone_name,
)

BERLIN = zone("Europe/Berlin")


def test_zone_finds_iana_zones_and_refuses_the_rest() -> None:
    assert zone("Europe/Berlin").key == "Europe/Berlin"
    for bad in ("Europe/Nowhere", "", "../etc/passwd"):
        with pytest.raises(LookupError):
            zone(bad)


@pytest.mark.parametrize(("text", "expected"), [("09:30", dt.time(9, 30)), ("00:00", dt.time(0, 0)), ("23:59", dt.time(23, 59))])
def test_parse_clock_reads_hh_mm(text: str, expected: dt.time) -> None:
    assert parse_clock(text) == expected


@pytest.mark.parametrize("text", ["9:30", "0930", "09:3", "09:300", "ab:cd", "09:3x", "24:00", "12:60", "", ":", "09-30"])
def test_parse_clock_refuses_anything_else(text: str) -> None:
    with pytest.raises(ValueError) as caught:
        parse_clock(text)
    if text not in ("24:00", "12:60"):  # those two are refused by datetime.time, in its words
        assert caught.value.args == (text,)  # the offending text, for the caller's message


def test_format_instant_is_iso_to_the_second_with_the_offset() -> None:
    assert format_instant(None) is None
    moment = dt.datetime(2026, 3, 2, 17, 0, 5, 999_999, tzinfo=BERLIN)
    assert format_instant(moment) == "2026-03-02T17:00:05+01:00"


def test_offsets_from_rulebook_mappings() -> None:
    assert Offset.from_mapping({"days": 2}) == Offset("days", 2)
    assert Offset.from_mapping({"business_days": "3"}, sign=-1) == Offset("business_days", -3)
    with pytest.raises(ValueError) as caught:
        Offset.from_mapping({"fortnights": 1})
    assert caught.value.args == ("fortnights",)
    with pytest.raises(ValueError):
        Offset.from_mapping({"days": 1, "hours": 2})


@pytest.mark.parametrize(
    ("offset", "text"),
    [
        (Offset("days", 1), "+1 day"),
        (Offset("days", -2), "-2 days"),
        (Offset("business_days", 1), "+1 business day"),
        (Offset("business_days", -5), "-5 business days"),
        (Offset("minutes", 0), "+0 minutes"),
        (Offset("weeks", -1), "-1 week"),
        (Offset("hours", 36), "+36 hours"),
    ],
)
def test_offsets_say_what_they_are(offset: Offset, text: str) -> None:
    assert str(offset) == text


def test_a_holiday_set_reads_its_subdivision() -> None:
    epiphany = dt.date(2026, 1, 6)  # a holiday in Bavaria, not in Germany as a whole
    bavaria, germany = HolidaySet("DE", "BY"), HolidaySet("DE")
    assert bavaria.subdivision == "BY" and germany.subdivision is None
    assert epiphany in bavaria and epiphany not in germany
    assert bavaria.name(epiphany) == "Epiphany" and germany.name(epiphany) is None
    assert dt.date(2026, 1, 7) not in bavaria
    assert "2026-01-06" not in bavaria  # only dates are holidays
    assert dt.date(2027, 1, 6) in bavaria  # another year
    with pytest.raises(NotImplementedError):
        HolidaySet("DE", "XX")
    with pytest.raises(NotImplementedError):
        HolidaySet("XX")


def test_a_holiday_set_looks_each_year_up_once(monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[object] = []
    real = holidays.country_holidays

    def counting(*args: object, **kwargs: object) -> object:
        calls.append(kwargs.get("years"))
        return real(*args, **kwargs)  # type: ignore[arg-type]

    from followup import _holidays

    monkeypatch.setattr(_holidays, "_memory", None)  # no year known yet, in memory or on disk
    germany = HolidaySet("DE")
    monkeypatch.setattr(holidays, "country_holidays", counting)
    for day in (dt.date(2026, 12, 25), dt.date(2026, 12, 24), dt.date(2026, 1, 1), dt.date(2027, 1, 1)):
        day in germany  # noqa: B015 - the lookup is the point
    assert calls == [2026, 2027]


def test_holiday_sets_compare_by_place() -> None:
    assert HolidaySet("DE", "BY") == HolidaySet("DE", "BY")
    assert HolidaySet("DE", "BY") != HolidaySet("DE")
    assert HolidaySet("DE") != HolidaySet("FR")
    assert HolidaySet("DE") != "DE"
    assert len({HolidaySet("DE", "BY"), HolidaySet("DE", "BY"), HolidaySet("DE")}) == 2
    assert repr(HolidaySet("DE", "BY")) == "HolidaySet(DE-BY)" and repr(HolidaySet("FR")) == "HolidaySet(FR)"


def test_shift_by_each_unit() -> None:
    cal = Calendar(tz=BERLIN, holidays=HolidaySet("DE"))
    friday = dt.datetime(2026, 4, 3, 9, 0, tzinfo=BERLIN)  # Good Friday
    assert cal.shift(friday, Offset("minutes", 90)) == friday + dt.timedelta(minutes=90)
    assert cal.shift(friday, Offset("minutes", -90)) == friday - dt.timedelta(minutes=90)
    assert cal.shift(friday, Offset("hours", -2)) == friday - dt.timedelta(hours=2)
    assert cal.shift(friday, Offset("days", 2)) == dt.datetime(2026, 4, 5, 9, 0, tzinfo=BERLIN)
    assert cal.shift(friday, Offset("weeks", 1)) == dt.datetime(2026, 4, 10, 9, 0, tzinfo=BERLIN)
    assert cal.shift(friday, Offset("weeks", 2)) == dt.datetime(2026, 4, 17, 9, 0, tzinfo=BERLIN)
    assert cal.shift(friday, Offset("weeks", -3)) == dt.datetime(2026, 3, 13, 9, 0, tzinfo=BERLIN)
    # Easter Monday is a holiday: one business day after Good Friday is Tuesday
    assert cal.shift(friday, Offset("business_days", 1)) == dt.datetime(2026, 4, 7, 9, 0, tzinfo=BERLIN)
    assert cal.shift(friday, Offset("business_days", -1)) == dt.datetime(2026, 4, 2, 9, 0, tzinfo=BERLIN)
    assert cal.shift(friday, Offset("business_days", 0)) == friday


def test_a_day_starts_at_midnight_or_when_the_clocks_say() -> None:
    cal = Calendar(tz=zone("America/Santiago"))
    assert cal.start_of_date(dt.date(2026, 3, 2)) == dt.datetime(2026, 3, 2, 3, 0, tzinfo=dt.UTC)
    # on 6 September 2026 the clocks jump from 00:00 to 01:00
    assert cal.start_of_date(dt.date(2026, 9, 6)) == dt.datetime(2026, 9, 6, 4, 0, tzinfo=dt.UTC)
    assert local_wall_time(dt.date(2026, 9, 6), dt.time(0, 0), cal.tz).hour == 1


def test_format_local_is_how_a_person_reads_an_instant() -> None:
    winter = dt.datetime(2026, 3, 2, 16, 0, tzinfo=dt.UTC)
    summer = dt.datetime(2026, 7, 2, 15, 5, tzinfo=dt.UTC)
    assert format_local(winter, BERLIN) == "Mon 2 Mar 2026 17:00 CET"
    assert format_local(summer, BERLIN) == "Thu 2 Jul 2026 17:05 CEST"
    assert format_local(summer, BERLIN, short=True) == "Thu 2 Jul 17:05"
    assert format_local(summer, zone("America/New_York"), short=False) == "Thu 2 Jul 2026 11:05 EDT"
    assert format_local(None, BERLIN) == "never"
    # the same instant in another zone's clothes reads the same
    assert format_local(summer.astimezone(zone("Asia/Tokyo")), BERLIN) == "Thu 2 Jul 2026 17:05 CEST"


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (dt.date(1900, 1, 1), None),
        (dt.date(2200, 12, 31), None),
        (dt.datetime(2200, 12, 31, 23, 59, 59, tzinfo=dt.UTC), None),
        (dt.datetime(1900, 1, 1, 0, 0, tzinfo=dt.UTC), None),
        (dt.datetime(2200, 12, 31, 23, 59, 59), None),  # naive: only the year is checked
        (dt.datetime(1900, 1, 1, 0, 30, tzinfo=dt.timezone(dt.timedelta(hours=-1))), None),
    ],
)
def test_the_supported_range_takes_its_edges(value: dt.date, text: str | None) -> None:
    supported(value, text)


@pytest.mark.parametrize(
    ("value", "text", "shown"),
    [
        (dt.date(1899, 12, 31), None, "1899-12-31"),
        (dt.date(2201, 1, 1), None, "2201-01-01"),
        (dt.date(2201, 1, 1), "2201-01-01 in the file", "'2201-01-01 in the file'"),
        # the year is 2200 on this clock, but the instant is in 2201
        (dt.datetime(2200, 12, 31, 23, 59, 59, tzinfo=dt.timezone(dt.timedelta(hours=-1))), None, "2200-12-31T23:59:59-01:00"),
        # and 1900 here is still 1899 in UTC
        (dt.datetime(1900, 1, 1, 0, 30, tzinfo=dt.timezone(dt.timedelta(hours=1))), "then", "'then'"),
    ],
)
def test_outside_the_supported_range_is_refused_in_words(value: dt.date, text: str | None, shown: str) -> None:
    with pytest.raises(ValueError) as caught:
        supported(value, text)
    assert str(caught.value) == f"{shown} is outside the supported range, the years 1900 to 2200"


def test_a_zone_is_named_by_its_iana_key() -> None:
    assert zone_name(BERLIN) == "Europe/Berlin"
    assert zone_name(dt.UTC) == "UTC"
    assert zone_name(dt.timezone(dt.timedelta(hours=-3, minutes=-30))) == "UTC-03:30"


@pytest.mark.parametrize(
    ("offset", "text"),
    [
        (None, "+00:00"),
        (dt.timedelta(0), "+00:00"),
        (dt.timedelta(hours=5, minutes=45), "+05:45"),
        (dt.timedelta(hours=-3, minutes=-30), "-03:30"),
        (dt.timedelta(hours=-10), "-10:00"),
        (dt.timedelta(minutes=-1), "-00:01"),
        (dt.timedelta(minutes=-44, seconds=-30), "-00:44:30"),
        (dt.timedelta(hours=1, seconds=5), "+01:00:05"),
    ],
)
def test_an_offset_is_written_as_iso_8601_writes_it(offset: dt.timedelta | None, text: str) -> None:
    assert _offset_text(offset) == text


def test_a_wall_time_that_exists_once_is_read_on_that_clock() -> None:
    moment = strict_wall_time(dt.datetime(2026, 3, 2, 10, 0), BERLIN)
    assert moment == dt.datetime(2026, 3, 2, 9, 0, tzinfo=dt.UTC)
    assert moment.tzinfo is BERLIN and moment.replace(tzinfo=None) == dt.datetime(2026, 3, 2, 10, 0)


@pytest.mark.parametrize(
    ("naive", "name", "message"),
    [
        (
            dt.datetime(2026, 3, 29, 2, 30),
            "Europe/Berlin",
            "2026-03-29T02:30 does not exist on the clocks of Europe/Berlin (they skip from +01:00 to +02:00); "
            "add the offset you mean: 2026-03-29T02:30+01:00 or 2026-03-29T02:30+02:00",
        ),
        (
            dt.datetime(2026, 10, 25, 2, 30, 15),
            "Europe/Berlin",
            "2026-10-25T02:30:15 happens twice on the clocks of Europe/Berlin (first at +02:00, again at +01:00 "
            "after they go back); add the offset you mean: 2026-10-25T02:30:15+02:00 or 2026-10-25T02:30:15+01:00",
        ),
        (
            dt.datetime(2026, 3, 8, 2, 30),
            "America/St_Johns",
            "2026-03-08T02:30 does not exist on the clocks of America/St_Johns (they skip from -03:30 to -02:30); "
            "add the offset you mean: 2026-03-08T02:30-03:30 or 2026-03-08T02:30-02:30",
        ),
        (
            # Liberia set its clocks from -00:44:30 to UTC in 1972: the offset to add has seconds
            dt.datetime(1972, 1, 7, 0, 20),
            "Africa/Monrovia",
            "1972-01-07T00:20 does not exist on the clocks of Africa/Monrovia (they skip from -00:44:30 to +00:00); "
            "add the offset you mean: 1972-01-07T00:20-00:44:30 or 1972-01-07T00:20+00:00",
        ),
        (
            dt.datetime(2026, 11, 1, 1, 30),
            "America/St_Johns",
            "2026-11-01T01:30 happens twice on the clocks of America/St_Johns (first at -02:30, again at -03:30 "
            "after they go back); add the offset you mean: 2026-11-01T01:30-02:30 or 2026-11-01T01:30-03:30",
        ),
    ],
)
def test_a_wall_time_skipped_or_repeated_is_refused_naming_both_offsets(naive: dt.datetime, name: str, message: str) -> None:
    with pytest.raises(ValueError) as caught:
        strict_wall_time(naive, zone(name))
    assert str(caught.value) == message


def test_a_repeated_wall_time_is_refused_whichever_pass_the_naive_value_was_taken_from() -> None:
    second_pass = dt.datetime(2026, 10, 25, 1, 30, tzinfo=dt.UTC).astimezone(BERLIN).replace(tzinfo=None)
    assert second_pass == dt.datetime(2026, 10, 25, 2, 30) and second_pass.fold == 1
    with pytest.raises(ValueError, match="happens twice on the clocks of Europe/Berlin"):
        strict_wall_time(second_pass, BERLIN)


def test_an_offset_suggested_for_a_skipped_time_reads_back_as_the_instant_meant() -> None:
    with pytest.raises(ValueError) as caught:
        strict_wall_time(dt.datetime(1972, 1, 7, 0, 20), zone("Africa/Monrovia"))
    suggested = str(caught.value).rsplit(": ", 1)[1].split(" or ")
    before, after = (dt.datetime.fromisoformat(text) for text in suggested)
    assert before == dt.datetime(1972, 1, 7, 1, 4, 30, tzinfo=dt.UTC)  # on the old clock, 44 min 30 s behind
    assert after == dt.datetime(1972, 1, 7, 0, 20, tzinfo=dt.UTC)


def test_the_employers_clock_is_shown_beside_the_candidates() -> None:
    moment = dt.datetime(2026, 11, 20, 16, 0, tzinfo=dt.UTC)
    assert their_clock(moment, "America/New_York") == " (Fri 20 Nov 11:00 EST for the employer)"
    assert their_clock(moment, "Asia/Tokyo", day=False) == " (01:00 JST for the employer)"
    assert their_clock(moment, None) == "" and their_clock(moment, "") == ""


def test_a_calendar_says_what_it_counts_with() -> None:
    new_york = Calendar(tz=zone("America/New_York"), holidays=HolidaySet("US", "CA"), workday_start=dt.time(8, 30), workday_end=dt.time(16, 15))
    assert new_york.describe() == "America/New_York, holidays US-CA, 08:30-16:15"
    assert Calendar(tz=BERLIN, holidays=HolidaySet("DE")).describe() == "Europe/Berlin, holidays DE, 09:00-17:00"
    assert Calendar(tz=dt.UTC).describe() == "UTC, holidays none, 09:00-17:00"


def test_holidays_given_as_a_plain_set_or_a_holidays_calendar_count_like_a_holiday_set() -> None:
    """A calendar freezes what it is given, so business days are counted (and cached) alike."""
    friday = dt.datetime(2026, 12, 18, 10, 0, tzinfo=BERLIN)
    christmas = {dt.date(2026, 12, 24), dt.date(2026, 12, 25)}
    as_set = Calendar(tz=BERLIN, holidays=set(christmas))
    as_package = Calendar(tz=BERLIN, holidays=holidays.country_holidays("DE", years=2026))
    assert isinstance(as_set.holidays, frozenset) and as_set.holidays == christmas
    assert as_set.add_business_days(friday, 5) == dt.datetime(2026, 12, 29, 10, 0, tzinfo=BERLIN)  # not the 24th, 25th
    assert as_package.add_business_days(friday, 5) == dt.datetime(2026, 12, 28, 10, 0, tzinfo=BERLIN)  # the 25th only (26th: Saturday)
    assert as_set.add_business_days(friday, -1) == dt.datetime(2026, 12, 17, 10, 0, tzinfo=BERLIN)
    assert as_set == Calendar(tz=BERLIN, holidays=frozenset(christmas))


LOS_ANGELES = zone("America/Los_Angeles")


def _la(day: int, hour: int, minute: int = 0, month: int = 3) -> dt.datetime:
    return dt.datetime(2026, month, day, hour, minute, tzinfo=LOS_ANGELES)


def test_working_time_is_the_business_hours_of_a_business_day() -> None:
    employer = Calendar(tz=LOS_ANGELES)
    assert _periods(dt.date(2026, 3, 3), employer, None) == [(_la(3, 9), _la(3, 17))]
    assert _periods(dt.date(2026, 3, 7), employer, None) == []  # a Saturday
    # on the day the clocks go forward (a Sunday, so take a business calendar of every day)
    every_day = Calendar(tz=LOS_ANGELES, workday_start=dt.time(1, 0), workday_end=dt.time(3, 0))
    assert _periods(dt.date(2026, 3, 9), every_day, None) == [(_la(9, 1), _la(9, 3))]


def test_working_time_is_cut_to_the_other_calendars_business_days_on_its_clock() -> None:
    """Los Angeles hours seen from Berlin: 09:00-17:00 there is 18:00-02:00 here, so
    Berlin's midnight (15:00 in Los Angeles) cuts each working day in two."""
    employer, candidate = Calendar(tz=LOS_ANGELES), Calendar(tz=BERLIN, holidays=HolidaySet("DE"))
    # a Tuesday: both parts are on Berlin business days (Tuesday, Wednesday); the first
    # ends a minute before Berlin's midnight, so that it is still on Berlin's Tuesday
    assert _periods(dt.date(2026, 3, 3), employer, candidate) == [(_la(3, 9), _la(3, 14, 59)), (_la(3, 15), _la(3, 17))]
    # a Friday: the part after 15:00 is Berlin's Saturday
    assert _periods(dt.date(2026, 3, 6), employer, candidate) == [(_la(6, 9), _la(6, 14, 59))]
    # Thursday 2 April: the part after 15:00 is Good Friday in Berlin
    assert _periods(dt.date(2026, 4, 2), employer, candidate) == [(_la(2, 9, month=4), _la(2, 14, 59, month=4))]
    # a working day starting at Berlin's 23:59 has that one minute on Berlin's Tuesday
    late = Calendar(tz=LOS_ANGELES, workday_start=dt.time(14, 59))
    assert _periods(dt.date(2026, 3, 3), late, candidate) == [(_la(3, 14, 59), _la(3, 14, 59)), (_la(3, 15), _la(3, 17))]
    # a Sunday in Los Angeles is no working time, whatever Berlin says
    assert _periods(dt.date(2026, 3, 8), employer, candidate) == []
    # the other way round, Berlin hours seen from Los Angeles end before its midnight
    assert _periods(dt.date(2026, 3, 3), candidate, employer) == [
        (dt.datetime(2026, 3, 3, 9, 0, tzinfo=BERLIN), dt.datetime(2026, 3, 3, 17, 0, tzinfo=BERLIN))
    ]


class _OnlyOn:
    """A holiday calendar under which every date is a holiday except ``days``."""

    def __init__(self, *days: dt.date) -> None:
        self.days = set(days)

    def __contains__(self, day: object) -> bool:
        return day not in self.days


MONDAY = dt.datetime(2026, 3, 2, 10, 0, tzinfo=BERLIN)


@pytest.mark.parametrize("sign", [1, -1])
@pytest.mark.parametrize("count", [1, 2])
def test_business_days_are_looked_for_up_to_seven_days_each_and_a_year(count: int, sign: int) -> None:
    """Counting n business days scans at most 7 n + 366 days: a business day just
    inside that is found, one a day further is not, and the error says how far it looked."""
    limit = 7 * count + 366
    weekdays = (day for d in range(1, 10) if (day := MONDAY.date() + sign * dt.timedelta(days=d)).weekday() < 5)
    near = [next(weekdays) for _ in range(count - 1)]  # the first n - 1, close by
    last = MONDAY.date() + sign * dt.timedelta(days=limit + 1)
    found = Calendar(tz=BERLIN, holidays=_OnlyOn(*near, last)).add_business_days(MONDAY, sign * count)
    assert found == dt.datetime.combine(last, dt.time(10, 0), tzinfo=BERLIN)
    beyond = MONDAY.date() + sign * dt.timedelta(days=limit + 2)
    assert last.weekday() < 5 and beyond.weekday() < 5
    with pytest.raises(ValueError) as caught:
        Calendar(tz=BERLIN, holidays=_OnlyOn(*near, beyond)).add_business_days(MONDAY, sign * count)
    assert str(caught.value) == f"no {count} business days within {limit + 1} days of 2026-03-02"


def test_business_days_stop_at_about_ten_years() -> None:
    cal = Calendar(tz=dt.UTC)
    most = MAX_OFFSET["business_days"]
    start = dt.datetime(2026, 3, 2, 10, 0, tzinfo=dt.UTC)  # a Monday: 2,610 business days are 522 weeks
    assert cal.add_business_days(start, most) == start + dt.timedelta(weeks=522)
    assert cal.add_business_days(start, -most) == start - dt.timedelta(weeks=522)
    for count in (most + 1, -most - 1):
        with pytest.raises(ValueError) as caught:
            cal.add_business_days(start, count)
        assert str(caught.value) == f"{count} business days is more than the 2,610 allowed"
