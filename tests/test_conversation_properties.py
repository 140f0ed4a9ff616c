"""Property tests for the conversation: whatever the log says, the employer's dates and a
booked interview hold every chase, and the courtesy caps hold per company.

The expectations are worked out here from the state document itself (the latest word
of the replies, the interviews), not from the engine's facts, so the tests check the
default rulebook's wiring against the rules as the issue states them.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from followup import Engine, load_rulebook, load_state
from followup.state import State

ENGINE = Engine(load_rulebook())
BASE = dt.datetime(2026, 3, 2, 9, 0, tzinfo=dt.UTC)  # a Monday
ZONES = ["Europe/Berlin", "America/New_York", "Asia/Tokyo"]
CHASES = ("status_call", "follow_up", "requested_follow_up")
OPEN = ("due", "overdue", "suppressed")


def _iso(hours: int) -> str:
    return (BASE + dt.timedelta(hours=hours)).isoformat()


def _day(days: int) -> str:
    return (BASE + dt.timedelta(days=days)).date().isoformat()


@st.composite
def searches(draw: st.DrawFn) -> dict[str, Any]:
    """A few applications, some at one company, with replies that say things and chases logged."""
    hour = st.integers(min_value=0, max_value=24 * 50)
    applications = []
    for index in range(draw(st.integers(1, 4))):
        interviews = []
        for number in range(draw(st.integers(1, 3))):
            start = draw(hour)
            interview: dict[str, Any] = {"id": f"i{number}", "starts_at": _iso(start)}
            if draw(st.booleans()):
                interview["ended_at"] = _iso(start + draw(st.integers(1, 3)))
            interviews.append(interview)
        contacts = []
        for _ in range(draw(st.integers(0, 8))):
            at_hour = draw(hour)
            if draw(st.booleans()):
                entry: dict[str, Any] = {"at": _iso(at_hour), "kind": "reply"}
                said_day = at_hour // 24
                if draw(st.booleans()):
                    entry["decision_expected_by"] = _day(said_day + draw(st.integers(0, 25)))
                if draw(st.booleans()):
                    entry["follow_up_requested_on"] = _day(said_day + draw(st.integers(1, 25)))  # after the reply in any zone
                if draw(st.booleans()):
                    entry["medium"] = draw(st.sampled_from(["email", "postal", "fax", "phone"]))
                flag = draw(st.sampled_from([None, "next_round", "on_hold"]))
                if flag:
                    entry[flag] = True
                contacts.append(entry)
            else:
                contacts.append({"at": _iso(at_hour), "kind": draw(st.sampled_from([*CHASES, "thank_you_note", "leverage_follow_up"]))})
        app: dict[str, Any] = {
            "id": f"app{index}",
            "company": draw(st.sampled_from(["Acme", "acme", "Globex"])),
            "position": "Engineer",
            "status": draw(st.sampled_from(["applied", "interviewing", "interviewing", "interviewing"])),
            "preferred_medium": draw(st.sampled_from(["email", "postal", "phone"])),
            "interviews": interviews,
            "contacts": contacts,
        }
        if draw(st.booleans()):
            app["decision_expected_by"] = _day(draw(st.integers(0, 50)))
        if draw(st.booleans()):
            app["follow_up_requested_on"] = _day(draw(st.integers(0, 50)))
        applications.append(app)
    return {
        "version": 1,
        "candidate": {"name": "Alex", "timezone": draw(st.sampled_from(ZONES)), **({"holidays": {"country": "DE"}} if draw(st.booleans()) else {})},
        "applications": applications,
    }


nows = st.integers(min_value=0, max_value=24 * 80).map(lambda h: BASE + dt.timedelta(hours=h, minutes=7))
SETTINGS = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def _employer_dates(state: State, application_id: str, now: dt.datetime) -> tuple[dt.datetime | None, dt.datetime | None]:
    """The decision date and check-back day that still stand at ``now``: the latest word of
    the replies so far (else the document's), unless an interview ended, or a reply with
    news came, on a later day."""
    application = state.application(application_id)
    assert application is not None
    said = [c for c in application.contacts if c.at <= now and c.direction == "in"]
    decision, check_back = application.decision_expected_by, application.follow_up_requested_on
    for reply in said:
        decision = reply.decision_expected_by or decision
        check_back = reply.follow_up_requested_on or check_back
    moments = [i.ends_at for i in application.interviews if i.ends_at is not None and i.ends_at <= now]
    moments += [c.at for c in said if c.says_where_things_stand]
    since = max(moments) if moments else None

    def standing(date: dt.datetime | None) -> dt.datetime | None:
        return None if date is None or (since is not None and since >= date + dt.timedelta(days=1)) else date

    return standing(decision), standing(check_back)


def _local_day(instant: dt.datetime, state: State) -> dt.date:
    return instant.astimezone(state.candidate.calendar.tz).date()


@SETTINGS
@given(searches(), nows)
def test_no_chase_opens_before_the_employers_latest_date(doc: dict[str, Any], now: dt.datetime) -> None:
    state = load_state(doc)
    for action in ENGINE.evaluate(state, now):
        if action.kind not in CHASES or action.status not in OPEN:
            continue
        assert action.application is not None
        decision, check_back = _employer_dates(state, action.application, now)
        opens = _local_day(action.opens_at, state)
        if action.kind == "requested_follow_up":
            assert check_back is not None and opens >= _local_day(check_back, state), action.key
            continue
        for date in (decision, check_back):
            if date is not None:
                # on the employer's next business day after their date, never on it or before
                assert opens > _local_day(date, state), (action.key, date)


@SETTINGS
@given(searches(), nows)
def test_no_chase_is_open_while_an_interview_is_booked(doc: dict[str, Any], now: dt.datetime) -> None:
    state = load_state(doc)
    booked = {
        a.id
        for a in state.applications
        for i in a.interviews
        if i.ends_at is not None and i.ends_at > now and (i.starts_at is None or i.starts_at <= now + dt.timedelta(days=365))
    }
    for action in ENGINE.evaluate(state, now):
        if action.kind in CHASES and action.status in (*OPEN, "upcoming"):
            assert action.application not in booked, action.key


@SETTINGS
@given(searches(), nows)
def test_one_chase_at_a_time_per_company(doc: dict[str, Any], now: dt.datetime) -> None:
    state = load_state(doc)
    agenda = ENGINE.evaluate(state, now)
    rules = {r.id: r for r in ENGINE.rulebook.rules}
    companies = {a.id: a.company.casefold() for a in state.applications}
    let_through = Counter(
        companies[a.application]  # type: ignore[index]
        for a in agenda
        if a.status in ("due", "overdue") and any(cap.id == "breathing-room" for cap in rules[a.rule].caps)
    )
    assert all(count <= 1 for count in let_through.values()), let_through
