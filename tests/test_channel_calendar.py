"""The calendar channel and `followup calendar`: iCalendar that parses back with the right events and zone."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from icalendar import Calendar

from followup import Engine, State, load_rulebook, load_state, parse_instant
from followup.cli import main
from followup.delivery import Config, DeliveryError
from followup.delivery.channels import CHANNELS, build_channel
from followup.delivery.channels.ical import uid_for
from followup.delivery.messages import build_context, render_message

EXAMPLE = Path(__file__).resolve().parent.parent / "examples" / "job-search.yaml"
NOW = parse_instant("2026-11-30T09:30:00+01:00")
CALENDAR = next(spec for spec in CHANNELS if spec.name == "calendar")
BERLIN = ZoneInfo("Europe/Berlin")


@pytest.fixture(scope="module")
def example() -> tuple[State, Any]:
    state = load_state(EXAMPLE)
    return state, Engine(load_rulebook()).evaluate(state, NOW)


def run(*args: str) -> int:
    try:
        main(list(args))
    except SystemExit as exit:
        return int(exit.code or 0)
    return 0


def test_the_calendar_command_writes_one_event_per_task_in_the_candidates_zone(
    tmp_path: Path, example: tuple[State, Any], capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path))
    monkeypatch.delenv("FOLLOWUP_CONFIG", raising=False)
    state, agenda = example
    out = tmp_path / "followup.ics"
    assert run("calendar", str(EXAMPLE), "--now", "2026-11-30T09:30:00+01:00", "-o", str(out)) == 0
    calendar = Calendar.from_ical(out.read_bytes())
    events = list(calendar.walk("VEVENT"))
    tasks = [a for a in agenda if a.status != "done" and a.channel in ("phone", "reminder")]
    assert len(events) == len(tasks) == 5
    assert {str(e["categories"].cats[0]) for e in events} == {a.kind for a in tasks}
    (zone,) = calendar.walk("VTIMEZONE")
    assert str(zone["tzid"]) == "Europe/Berlin"
    by_summary = {str(e["summary"]): e for e in events}
    interview = by_summary["At the Delta Robotics interview, ask when they will decide"]
    start = interview.decoded("dtstart")
    assert start.tzinfo is not None and str(start.tzinfo) in ("Europe/Berlin", "CET")
    # due when the interview starts (11:00 Berlin): the half hour before it
    assert start == dt.datetime(2026, 12, 1, 10, 30, tzinfo=BERLIN)
    assert interview.decoded("dtend") == dt.datetime(2026, 12, 1, 11, 0, tzinfo=BERLIN)
    alarms = list(interview.walk("VALARM"))
    assert alarms and alarms[0].decoded("trigger") == dt.timedelta(minutes=-15)
    action = agenda.get("ask-decision-timeline:delta-robotics:first-round")
    assert str(interview["uid"]) == f"{render_message(build_context(state, action, {})).idempotency_key}@followup"
    # an overdue call is put at the next quarter hour after now, not in the past
    overdue = by_summary["Call Bluepeak Software about the Platform Engineer position"]
    assert overdue.decoded("dtstart") == dt.datetime(2026, 11, 30, 9, 30, tzinfo=BERLIN)
    assert "tel:+493055508800" in str(overdue["location"])
    # exporting again gives the same UIDs (a calendar program updates instead of duplicating)
    again = tmp_path / "again.ics"
    assert run("calendar", str(EXAMPLE), "--now", "2026-11-30T10:00:00+01:00", "-o", str(again)) == 0
    uids = {str(e["uid"]) for e in Calendar.from_ical(again.read_bytes()).walk("VEVENT")}
    assert uids == {str(e["uid"]) for e in events}


def test_the_channel_keeps_one_event_per_action(tmp_path: Path, example: tuple[State, Any]) -> None:
    state, agenda = example
    file = tmp_path / "tasks" / "followup.ics"
    channel = build_channel(
        CALENDAR, Config(None, {"channels": {"calendar": {"file": str(file), "alarm_minutes": 30}}})
    )
    keys = ["status-call:northwind-data", "status-call:harbor-logistics"]
    messages = [render_message(build_context(state, agenda.get(k), {}, now=NOW)) for k in keys]
    for message in messages + messages:  # twice: idempotent
        receipt = channel.deliver(message)
        assert receipt.reference == uid_for(message)
    calendar = Calendar.from_ical(file.read_bytes())
    events = list(calendar.walk("VEVENT"))
    assert sorted(str(e["uid"]) for e in events) == sorted(uid_for(m) for m in messages)
    assert [str(z["tzid"]) for z in calendar.walk("VTIMEZONE")] == ["Europe/Berlin"]
    northwind = next(e for e in events if "Northwind" in str(e["summary"]))
    due = agenda.get("status-call:northwind-data").due_at
    assert northwind.decoded("dtend") == due
    assert northwind.decoded("dtend").utcoffset() == dt.timedelta(hours=1)
    assert any(a.decoded("trigger") == dt.timedelta(minutes=-30) for a in northwind.walk("VALARM"))
    # the window opens days before: a second alarm at the opening
    opens = agenda.get("status-call:northwind-data").opens_at
    assert any(a.decoded("trigger") == opens for a in northwind.walk("VALARM"))
    assert CALENDAR.idempotent is True


def test_a_damaged_calendar_file_is_a_clear_permanent_failure(tmp_path: Path, example: tuple[State, Any]) -> None:
    state, agenda = example
    file = tmp_path / "followup.ics"
    file.write_text("this is not a calendar")
    channel = build_channel(CALENDAR, Config(None, {"channels": {"calendar": {"file": str(file)}}}))
    message = render_message(build_context(state, agenda.get("status-call:northwind-data"), {}, now=NOW))
    with pytest.raises(DeliveryError, match="not a readable iCalendar file") as caught:
        channel.deliver(message)
    assert not caught.value.transient
    assert file.read_text() == "this is not a calendar"


def test_agenda_format_ics_gives_the_same_events_as_the_calendar_command(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path))
    monkeypatch.delenv("FOLLOWUP_CONFIG", raising=False)
    assert run("agenda", str(EXAMPLE), "--now", "2026-11-30T09:30:00+01:00", "--format", "ics") == 0
    from_agenda = Calendar.from_ical(capsys.readouterr().out)
    assert run("calendar", str(EXAMPLE), "--now", "2026-11-30T09:30:00+01:00") == 0
    from_calendar = Calendar.from_ical(capsys.readouterr().out)
    uids = sorted(str(e["uid"]) for e in from_agenda.walk("VEVENT"))
    assert len(uids) == 5
    assert uids == sorted(str(e["uid"]) for e in from_calendar.walk("VEVENT"))
    assert [str(z["tzid"]) for z in from_agenda.walk("VTIMEZONE")] == ["Europe/Berlin"]
