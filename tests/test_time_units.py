"""The small pieces of time handling, one by one: zones, clocks, offsets, holiday sets, shifts."""

from __future__ import annotations

import datetime as dt

import holidays
import pytest

from followup._time import (
    Calendar,
    HolidaySet,
    Offset,
    format_instant,
    format_local,
    local_wall_time,
    parse_clock,
    zone,
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
