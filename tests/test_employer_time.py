"""Time on the employer's side: their calendar, calls in their working time, naive local times.

The properties are stated from the job seeker's side: whatever the interview and
whichever two zones and holiday calendars, a call never opens or falls due on a
weekend, a holiday or outside the employer's business hours, and business days
counted on the employer's calendar are the employer's, across clock changes in
both zones.
"""

from __future__ import annotations

import datetime as dt
import json
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from conftest import EXAMPLE, ROOT, application, at, examples, interviewer, state_doc
from followup import Engine, InvalidInput, load_rulebook, load_state
from followup._time import Calendar, calendar_for, fit_working_time, zone

ZONES = [
    "Europe/Berlin",
    "America/New_York",
    "America/Los_Angeles",
    "Asia/Tokyo",
    "Australia/Sydney",
    "Asia/Kolkata",
    "America/Sao_Paulo",
    "Pacific/Auckland",
    "Pacific/Chatham",
    "UTC",
]
HOLIDAYS = [None, {"country": "DE", "subdivision": "BE"}, {"country": "US"}, {"country": "JP"}, {"country": "AU", "subdivision": "NSW"}, {"country": "GB"}]
HOURS = [("09:00", "17:00"), ("08:30", "18:00"), ("10:00", "16:00"), ("07:00", "12:00")]

ends = st.datetimes(min_value=dt.datetime(2024, 1, 1), max_value=dt.datetime(2030, 12, 31), timezones=st.just(dt.UTC))


def _calendar(tz: str, holidays: dict[str, str] | None, hours: tuple[str, str] = ("09:00", "17:00")) -> Calendar:
    start, end = (dt.time.fromisoformat(h) for h in hours)
    return calendar_for(tz, holidays["country"] if holidays else None, holidays.get("subdivision") if holidays else None, start, end)


def _inside_working_time(instant: dt.datetime, employer: Calendar, candidate: Calendar) -> bool:
    local = instant.astimezone(employer.tz)
    return (
        employer.is_business_day(local.date())
        and employer.workday_start <= local.time().replace(tzinfo=None) <= employer.workday_end
        and candidate.is_business_day(instant.astimezone(candidate.tz).date())
    )


@st.composite
def two_sides(draw: st.DrawFn) -> tuple[dict[str, Any], dict[str, Any]]:
    candidate: dict[str, Any] = {"timezone": draw(st.sampled_from(ZONES))}
    holidays = draw(st.sampled_from(HOLIDAYS))
    if holidays:
        candidate["holidays"] = holidays
    employer: dict[str, Any] = {"timezone": draw(st.sampled_from(ZONES))}
    holidays = draw(st.sampled_from(HOLIDAYS))
    if holidays:
        employer["holidays"] = holidays
    start, end = draw(st.sampled_from(HOURS))
    employer["business_hours"] = {"start": start, "end": end}
    return candidate, employer


@pytest.fixture(scope="module")
def engine() -> Engine:
    return Engine(load_rulebook())


@settings(max_examples=examples(150), deadline=None)
@given(sides=two_sides(), end=ends, decision=st.one_of(st.none(), st.integers(min_value=-3, max_value=14)))
def test_a_call_opens_and_falls_due_in_the_employers_working_time(
    engine: Engine, sides: tuple[dict[str, Any], dict[str, Any]], end: dt.datetime, decision: int | None
) -> None:
    candidate, employer = sides
    extra: dict[str, Any] = {}
    if decision is not None:
        extra["decision_expected_by"] = (end + dt.timedelta(days=decision)).date().isoformat()
    doc = state_doc(
        application(
            "acme",
            company="Acme",
            employer=employer,
            preferred_medium="phone",
            interviews=[{"id": "i1", "ended_at": end.isoformat(), "interviewers": [interviewer("kai", phone="+1 555 0100")]}],
            **extra,
        ),
        **candidate,
    )
    state = load_state(doc)
    agenda = engine.evaluate(state, end + dt.timedelta(hours=1))
    calls = [a for a in agenda if a.channel == "phone"]
    assert [a.rule for a in calls] == ["status-call"]
    app = state.applications[0]
    assert app.employer is not None or employer["timezone"] == candidate["timezone"]
    hours = app.employer or state.candidate.calendar
    for call in calls:
        assert _inside_working_time(call.opens_at, hours, state.candidate.calendar), call
        assert _inside_working_time(call.due_at, hours, state.candidate.calendar), call
        assert call.opens_at <= call.due_at


@settings(max_examples=examples(300), deadline=None)
@given(
    hours_zone=st.sampled_from(ZONES),
    other_zone=st.sampled_from(ZONES),
    holidays=st.sampled_from(HOLIDAYS),
    other_holidays=st.sampled_from(HOLIDAYS),
    hours=st.sampled_from(HOURS),
    opens=ends,
    length=st.integers(min_value=0, max_value=24 * 15),
)
def test_fitting_a_window_lands_both_ends_in_working_time(
    hours_zone: str,
    other_zone: str,
    holidays: dict[str, str] | None,
    other_holidays: dict[str, str] | None,
    hours: tuple[str, str],
    opens: dt.datetime,
    length: int,
) -> None:
    employer = _calendar(hours_zone, holidays, hours)
    candidate = _calendar(other_zone, other_holidays)
    due = opens + dt.timedelta(hours=length)
    fitted_opens, fitted_due = fit_working_time(opens, due, employer, candidate)
    assert _inside_working_time(fitted_opens, employer, candidate)
    assert _inside_working_time(fitted_due, employer, candidate)
    assert opens <= fitted_opens <= fitted_due
    # the opening moves no later than it must: nothing in between is working time in
    # which a call could start (the last minute of a stretch is its end, not a start)
    probe = opens
    soon = dt.timedelta(minutes=2)
    while probe < fitted_opens:
        startable = _inside_working_time(probe, employer, candidate) and _inside_working_time(probe + soon, employer, candidate)
        assert not startable or probe + soon > fitted_opens, probe
        probe += dt.timedelta(minutes=30)


# Zones whose clocks change, in both hemispheres: the DST weeks of 2026 are in range.
DST_ZONES = ["Europe/Berlin", "America/New_York", "Australia/Sydney", "America/Santiago", "Pacific/Auckland"]
dst_ends = st.datetimes(min_value=dt.datetime(2026, 2, 20), max_value=dt.datetime(2026, 11, 20), timezones=st.just(dt.UTC))


@settings(max_examples=examples(200), deadline=None)
@given(
    candidate_zone=st.sampled_from(DST_ZONES),
    employer_zone=st.sampled_from(DST_ZONES),
    employer_holidays=st.sampled_from(HOLIDAYS),
    end=dst_ends,
    n=st.integers(min_value=1, max_value=25),
)
def test_business_days_on_the_employers_calendar_across_clock_changes(
    candidate_zone: str, employer_zone: str, employer_holidays: dict[str, str] | None, end: dt.datetime, n: int
) -> None:
    # A rule counting n business days on the employer's calendar, at 10:00 their time.
    rules = {
        "extends": "default",
        "rules": [
            {
                "id": "employer-days",
                "kind": "reminder_to_self",
                "for_each": "interview",
                "when": {"fact": "interview.ended_at", "is": "set"},
                "window": {
                    "opens": {"at": "interview.ended_at"},
                    "due": {"at": "interview.ended_at", "plus": {"business_days": n}, "time": "10:00", "calendar": "employer"},
                },
                "channel": "reminder",
            }
        ],
    }
    employer: dict[str, Any] = {"timezone": employer_zone}
    if employer_holidays:
        employer["holidays"] = employer_holidays
    doc = state_doc(
        application("acme", employer=employer, interviews=[{"id": "i1", "ended_at": end.isoformat()}]),
        timezone=candidate_zone,
    )
    state = load_state(doc)
    (action,) = [a for a in Engine(load_rulebook(rules)).evaluate(state, end + dt.timedelta(minutes=1)) if a.rule == "employer-days"]
    calendar = state.applications[0].employer or state.candidate.calendar
    local = action.due_at.astimezone(calendar.tz)
    assert local.time().replace(tzinfo=None) == dt.time(10, 0)  # no clock change happens at 10:00 in these zones
    assert calendar.is_business_day(local.date())
    first = end.astimezone(calendar.tz).date()
    between = [first + dt.timedelta(days=i) for i in range(1, (local.date() - first).days)]
    assert sum(calendar.is_business_day(d) for d in between) == n - 1


def _phone_actions(agenda: dict[str, Any]) -> list[dict[str, Any]]:
    return [a for a in agenda["actions"] if a["channel"] == "phone"]


@pytest.mark.parametrize("example", sorted((ROOT / "examples").glob("*.yaml")), ids=lambda p: p.name)
def test_no_call_in_the_examples_opens_or_falls_due_outside_working_time(engine: Engine, example: Path) -> None:
    state = load_state(example)
    checked = 0
    start = at("2026-10-01T00:00:00+02:00")
    for day in range(0, 120, 2):
        for action in engine.evaluate(state, start + dt.timedelta(days=day, hours=9)):
            if action.channel != "phone":
                continue
            app = state.application(action.application or "")
            assert app is not None
            hours = app.employer or state.candidate.calendar
            for moment in (action.opens_at, action.due_at):
                assert _inside_working_time(moment, hours, state.candidate.calendar), (action.key, moment)
            checked += 1
    assert checked > 0


def test_the_shipped_example_has_an_employer_in_another_zone() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "followup", "agenda", str(EXAMPLE), "--now", "2026-11-30T09:30:00+01:00", "--format", "json"],
        capture_output=True,
        text=True,
        check=True,
    )
    calls = _phone_actions(json.loads(result.stdout))
    assert {a["employer_timezone"] for a in calls} >= {"America/New_York"}
    for call in calls:
        for name in ("opens_at", "due_at"):
            moment = dt.datetime.fromisoformat(call[name])
            theirs = moment.astimezone(zone(call["employer_timezone"] or "Europe/Berlin"))
            assert moment.weekday() < 5 and theirs.weekday() < 5, (call["key"], name)
    (bluepeak,) = [a for a in calls if a["application"] == "bluepeak-platform"]
    assert "EST for the employer" in bluepeak["reason"]


def test_the_status_call_never_lands_on_thanksgiving(engine: Engine) -> None:
    # Interview on Monday 16 November 2026; ten days later is Thanksgiving.
    doc = state_doc(
        application("acme", interviews=[{"id": "i1", "ended_at": "2026-11-16T11:00:00-05:00"}]),
        timezone="America/New_York",
        holidays={"country": "US"},
    )
    (call,) = [a for a in engine.evaluate(load_state(doc), at("2026-11-17T09:00:00-05:00")) if a.rule == "status-call"]
    assert call.opens_at == at("2026-11-23T09:00:00-05:00")
    assert call.due_at == at("2026-11-25T17:00:00-05:00")


def test_a_new_york_candidate_calls_berlin_in_berlin_hours(engine: Engine) -> None:
    doc = state_doc(
        application(
            "acme",
            company="Acme GmbH",
            interviews=[{"id": "i1", "starts_at": "2026-11-11T10:00:00-05:00", "ended_at": "2026-11-11T11:00:00-05:00"}],
        ),
        timezone="America/New_York",
        holidays={"country": "US"},
    )
    doc["companies"] = [{"name": "Acme GmbH", "timezone": "Europe/Berlin", "holidays": {"country": "DE", "subdivision": "BE"}}]
    (call,) = [a for a in engine.evaluate(load_state(doc), at("2026-11-12T09:00:00-05:00")) if a.rule == "status-call"]
    berlin = zone("Europe/Berlin")
    # a week later, Wednesday 18 November, at 09:00 in Berlin (03:00 in New York);
    # ten days is Saturday: due Friday 20 November, 17:00 in Berlin
    assert call.opens_at.astimezone(berlin) == dt.datetime(2026, 11, 18, 9, 0, tzinfo=berlin)
    assert call.due_at.astimezone(berlin) == dt.datetime(2026, 11, 20, 17, 0, tzinfo=berlin)
    assert call.employer_timezone == "Europe/Berlin"


def test_explain_shows_both_clocks() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "followup", "explain", str(EXAMPLE), "status-call:bluepeak-platform", "--now", "2026-11-18T09:30:00+01:00"],
        capture_output=True,
        text=True,
        check=True,
    )
    out = result.stdout
    assert "employer's calendar: America/New_York, holidays US-NY, 09:00-17:00" in out
    assert "candidate's calendar: Europe/Berlin, holidays DE-BE, 09:00-17:30" in out
    assert "working time: moved into the employer's business hours" in out
    assert "Fri 20 Nov 2026 23:00 CET (Fri 20 Nov 17:00 EST for the employer)" in out
    assert "(employer's calendar)" in out


def test_the_calendar_file_gives_the_call_on_the_employers_clock_too(tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "followup", "agenda", str(EXAMPLE), "--now", "2026-11-18T09:30:00+01:00", "--format", "ics"],
        capture_output=True,
        text=True,
        check=True,
    )
    text = re.sub(r"\r?\n ", "", result.stdout)  # unfold the content lines
    assert "On the employer's clock (America/New_York): Fri 20 Nov 16:30-17:00 EST" in text


# -- naive local times ---------------------------------------------------------


def test_naive_times_are_read_on_the_candidates_clock_and_employer_dates_on_theirs() -> None:
    doc = state_doc(
        application(
            "acme",
            company="Acme",
            decision_expected_by="2026-12-04",
            follow_up_requested_on="2026-12-07T10:00",
            offer={"received_at": "2026-11-20T10:00", "respond_by": "2026-12-09"},
            interviews=[{"id": "i1", "starts_at": "2026-11-12T15:00", "ended_at": "2026-11-12T16:00"}],
            contacts=[{"at": "2026-11-12T18:00", "kind": "thank_you_note"}],
        ),
        timezone="Europe/Berlin",
    )
    doc.pop("version")  # version defaults to 1
    doc["applications"][0].pop("position")  # position may be left out
    doc["companies"] = [{"name": "Acme", "timezone": "America/New_York"}]
    state = load_state(doc)
    app = state.applications[0]
    assert state.version == 1 and app.position is None
    assert app.interviews[0].ended_at == at("2026-11-12T16:00:00+01:00")
    assert app.contacts[0].at == at("2026-11-12T18:00:00+01:00")
    assert app.offer is not None and app.offer.received_at == at("2026-11-20T10:00:00+01:00")
    # the employer's dates are on their clock
    assert app.decision_expected_by == at("2026-12-04T00:00:00-05:00")
    assert app.follow_up_requested_on == at("2026-12-07T10:00:00-05:00")
    assert app.offer.respond_by == at("2026-12-09T00:00:00-05:00")


@pytest.mark.parametrize(
    ("written", "words"),
    [
        # Berlin's clocks skip 02:00-03:00 on 29 March 2026 and repeat 02:00-03:00 on 25 October
        ("2026-03-29T02:30:00", ["does not exist on the clocks of Europe/Berlin", "+01:00", "+02:00"]),
        ("2026-10-25T02:30:00", ["happens twice on the clocks of Europe/Berlin", "+02:00", "+01:00"]),
    ],
)
def test_a_naive_time_in_the_gap_or_the_fold_names_both_offsets(written: str, words: list[str]) -> None:
    doc = state_doc(application("acme", interviews=[{"id": "i1", "ended_at": written}]))
    with pytest.raises(InvalidInput) as caught:
        load_state(doc)
    (problem,) = caught.value.problems
    for word in words:
        assert word in problem.message
    assert written[:16] in problem.message


def test_a_naive_employer_date_in_their_gap_is_an_error_on_their_clock() -> None:
    # New York's clocks skip 02:00-03:00 on 8 March 2026; Berlin's do not that day
    doc = state_doc(application("acme", company="Acme", follow_up_requested_on="2026-03-08T02:30"))
    doc["companies"] = [{"name": "Acme", "timezone": "America/New_York"}]
    with pytest.raises(InvalidInput, match=r"does not exist on the clocks of America/New_York .*-05:00.*-04:00"):
        load_state(doc)


def test_now_without_an_offset_is_on_the_candidates_clock() -> None:
    def agenda(now: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "followup", "agenda", str(EXAMPLE), "--now", now, "--format", "json"],
            capture_output=True,
            text=True,
        )

    assert json.loads(agenda("2026-11-30T09:30").stdout)["now"] == "2026-11-30T09:30:00+01:00"
    fold = agenda("2026-10-25T02:30")
    assert fold.returncode == 1 and "--now" in fold.stderr and "happens twice" in fold.stderr
    assert "Traceback" not in fold.stderr


# -- every problem of a file in one run ------------------------------------------

BROKEN = """\
candidate:
  name: Alex Morgan
  timezone: Europe/Berlin
  workday: {start: "09:00", end: "17:30"}
  holidays: {country: DE, subdivision: BX}
companies:
  - name: Acme
    timezone: America/New_Yrok
    holidays: {country: XX}
    business_hours: {start: "17:00", end: "09:00"}
applications:
  - id: acme
    company: Acme
    status: interviewing
    interviews:
      - id: first
        kind: phone
        status: postponed
        ended_at: 2026-03-29T02:30:00
      - id: second
        status: rescheduled
        rescheduled_to: thrid
        starts_at: 2026-11-20T10:00:00+01:00
      - {id: third}
  - company: Beta
"""


def test_a_file_with_many_problems_reports_them_all_in_one_run(tmp_path: Path) -> None:
    path = tmp_path / "broken.yaml"
    path.write_text(BROKEN)
    with pytest.raises(InvalidInput) as caught:
        load_state(path)
    text = str(caught.value)
    expected = [
        ":5:40: country 'DE' has no subdivision 'BX' (the candidate); valid: BB, BE, BW, BY",
        ":8:15: unknown time zone 'America/New_Yrok' for company 'Acme' (did you mean 'America/New_York'?)",
        ":9:25: no holiday calendar for country 'XX' (company 'Acme')",
        ":10:43: business_hours of company 'Acme' end at 09:00, which is not after their start at 17:00",
        ":17:15: applications[0].interviews[0].kind: 'phone' is not one of 'phone_screen', 'video', 'onsite', 'technical', 'panel', 'informal' (did you mean 'phone_screen'?)",
        ":18:17: applications[0].interviews[0].status: 'postponed' is not one of 'scheduled', 'happened', 'cancelled', 'no_show', 'rescheduled'",
        ":19:19: ended_at: 2026-03-29T02:30 does not exist on the clocks of Europe/Berlin",
        ":22:25: rescheduled_to 'thrid' names no interview of application 'acme' (did you mean 'third'?)",
        ":24:9: interview 'third' needs starts_at, ended_at or both; it has neither",
        ":25:5: applications[1] is missing the required field 'id'",
        ":25:5: applications[1] is missing the required field 'status'",
    ]
    for line in expected:
        assert line in text, (line, text)
    assert len(caught.value.problems) == len(expected), text


def test_the_command_line_reports_them_all_with_exit_1(tmp_path: Path) -> None:
    path = tmp_path / "broken.yaml"
    path.write_text(BROKEN)
    result = subprocess.run([sys.executable, "-m", "followup", "validate", str(path)], capture_output=True, text=True)
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    assert result.stderr.count(str(path)) == 11, result.stderr  # eleven problems, one line each


# -- what the other parts of followup make of it ----------------------------------


def _rule_test_state(name: str) -> Any:
    from followup.state import load_document, state_from_document

    return state_from_document(load_document(ROOT / "rules" / "tests" / name)["state"])


@pytest.mark.parametrize("name", ["employer-calendar.yaml", "interview-life.yaml"])
def test_a_store_keeps_the_employers_calendar_and_the_life_of_interviews(name: str) -> None:
    from followup.state import state_from_document
    from followup.stores._store import state_to_document

    state = _rule_test_state(name)
    assert state_from_document(state_to_document(state)) == state


def test_one_note_for_two_meetings_on_one_day_mentions_both(engine: Engine) -> None:
    from followup.delivery.messages import build_context

    doc = state_doc(
        application(
            "cobalt",
            interviews=[
                {"id": "morning", "starts_at": "2026-11-12T09:00", "ended_at": "2026-11-12T10:30", "topics": ["the data model"], "interviewers": [interviewer("mia")]},
                {"id": "afternoon", "starts_at": "2026-11-12T14:00", "ended_at": "2026-11-12T15:00", "topics": ["the roadmap"], "interviewers": [interviewer("mia")]},
            ],
        )
    )
    state = load_state(doc)
    notes = [a for a in engine.evaluate(state, at("2026-11-12T16:00:00+01:00")) if a.rule == "thank-you-note"]
    assert [(a.interview, a.recipient) for a in notes] == [("afternoon", "mia")]
    context = build_context(state, notes[0], {})
    assert context["interview"].topics == ("the data model", "the roadmap")


def test_a_position_left_out_reads_as_the_open_position(engine: Engine) -> None:
    from followup.delivery.messages import build_context, render_message

    doc = state_doc(application("acme", interviews=[{"id": "i1", "ended_at": "2026-11-12T10:30", "interviewers": [interviewer("kai")]}]))
    doc["applications"][0].pop("position")
    state = load_state(doc)
    (note,) = [a for a in engine.evaluate(state, at("2026-11-12T16:00:00+01:00")) if a.rule == "thank-you-note"]
    message = render_message(build_context(state, note, {}))
    assert "None" not in message.subject + message.body
    assert "open" in message.subject + message.body


def test_the_employers_calendar_needs_an_application() -> None:
    rules = {
        "extends": "default",
        "rules": [
            {
                "id": "keep-searching",
                "working_time": "employer",
                "window": {"opens": {"at": "candidate.last_activity_at", "plus": {"days": 7}, "calendar": "employer"}, "due": {"at": "opens"}},
            }
        ],
    }
    with pytest.raises(InvalidInput) as caught:
        load_rulebook(rules)
    messages = [p.message for p in caught.value.problems]
    assert "'calendar: employer' needs for_each: application or below; this rule is for_each: candidate" in messages
    assert "'working_time: employer' needs for_each: application or below; this rule is for_each: candidate" in messages
