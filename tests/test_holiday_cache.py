"""Holiday dates kept on disk give the answers the holidays package gives, and a bad file is ignored."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path

import holidays
import pytest

from followup import _holidays


@pytest.fixture
def cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    monkeypatch.setenv("FOLLOWUP_CACHE_DIR", str(tmp_path))
    monkeypatch.setattr(_holidays, "_memory", None)
    yield tmp_path
    _holidays._memory = None


def _fresh() -> None:
    _holidays._memory = None  # as a new process would start


def test_dates_from_the_file_are_those_of_the_package(cache: Path) -> None:
    expected = frozenset(holidays.country_holidays("DE", subdiv="BY", years=2026).keys())
    assert _holidays.holiday_dates("DE", "BY", 2026) == expected
    (written,) = cache.glob("holidays-*.json")
    assert "DE|BY|2026" in written.read_text()
    _fresh()
    assert _holidays.holiday_dates("DE", "BY", 2026) == expected
    assert dt.date(2026, 1, 6) in expected  # Epiphany: in Bavaria, not in all of Germany


def test_unknown_calendars_are_refused_and_never_remembered(cache: Path) -> None:
    _holidays.check_calendar("DE", "BY")
    with pytest.raises(NotImplementedError):
        _holidays.check_calendar("DE", "XX")
    _fresh()
    with pytest.raises(NotImplementedError):
        _holidays.check_calendar("DE", "XX")
    assert "DE|BY" in _holidays._cache()["calendars"]


def test_a_damaged_file_is_ignored_and_replaced(cache: Path) -> None:
    _holidays.holiday_dates("FR", None, 2026)
    (written,) = cache.glob("holidays-*.json")
    written.write_text('{"calendars": [], "years": {"FR||2026": ["not a date"]}}')
    _fresh()
    assert _holidays.holiday_dates("FR", None, 2026) == frozenset(holidays.country_holidays("FR", years=2026).keys())
    written.write_text("{ truncated")
    _fresh()
    assert dt.date(2026, 7, 14) in _holidays.holiday_dates("FR", None, 2026)


def test_an_empty_setting_keeps_nothing_on_disk(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FOLLOWUP_CACHE_DIR", "")
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(_holidays, "_memory", None)
    assert _holidays.holiday_dates("US", None, 2026)
    assert list(tmp_path.iterdir()) == []
    _holidays._memory = None
