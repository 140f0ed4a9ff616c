"""Property tests for the engine: determinism, order independence, caps, done, next_wake_at."""

from __future__ import annotations

import datetime as dt
import random
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from conftest import examples
from followup import Agenda, Engine, load_rulebook, load_state
from followup._time import Offset

ENGINE = Engine(load_rulebook())
BASE = dt.datetime(2026, 3, 2, 9, 0, tzinfo=dt.UTC)
KINDS = ["thank_you_note", "status_call", "follow_up", "requested_follow_up", "leverage_follow_up", "reference_alert", "bridge_note", "reply"]
ZONES = ["Europe/Berlin", "America/New_York", "Asia/Tokyo", "Australia/Sydney"]


def _iso(hours: int) -> str:
    return (BASE + dt.timedelta(hours=hours)).isoformat()


@st.composite
def states(draw: st.DrawFn) -> dict[str, Any]:
    """Random but valid state documents: a few applications over about six weeks."""
    hour = st.integers(min_value=0, max_value=24 * 45)
    references = [{"id": f"ref{i}", "name": f"Reference {i}"} for i in range(draw(st.integers(0, 2)))]
    applications = []
    for index in range(draw(st.integers(1, 4))):
        people: list[str] = []
        interviews = []
        for number in range(draw(st.integers(0, 3))):
            start = draw(hour)
            ids = [f"p{index}{number}{k}" for k in range(draw(st.integers(1, 3)))]
            if draw(st.booleans()) and people:
                ids[0] = people[0]  # the same person in two interviews
            people.extend(ids)
            interview: dict[str, Any] = {
                "id": f"i{number}",
                "starts_at": _iso(start),
                "interviewers": [
                    {"id": pid, "name": f"Person {pid}", "title": draw(st.sampled_from([None, "Lead"])), "email": f"{pid}@x.example"}
                    for pid in ids
                ],
            }
            interview["interviewers"] = [{k: v for k, v in p.items() if v is not None} for p in interview["interviewers"]]
            if draw(st.booleans()):
                interview["ended_at"] = _iso(start + draw(st.integers(1, 4)))
            interviews.append(interview)
        contacts = []
        for _ in range(draw(st.integers(0, 8))):
            kind = draw(st.sampled_from(KINDS))
            contact: dict[str, Any] = {"at": _iso(draw(hour)), "kind": kind}
            if kind != "reply" and people and draw(st.booleans()):
                contact["to"] = draw(st.sampled_from(people))
                contact["interview"] = draw(st.sampled_from([i["id"] for i in interviews]))
            contacts.append(contact)
        status = draw(st.sampled_from(["applied", "interviewing", "interviewing", "offer", "rejected", "withdrawn"]))
        app: dict[str, Any] = {
            "id": f"app{index}",
            "company": draw(st.sampled_from(["Acme", "Globex", "Initech"])),
            "position": "Engineer",
            "status": status,
            "priority": draw(st.integers(1, 5)),
            "preferred_medium": draw(st.sampled_from(["email", "postal", "fax", "phone"])),
            "applied_at": _iso(0),
            "status_changed_at": _iso(draw(hour)),
            "interviews": interviews,
            "contacts": contacts,
        }
        if draw(st.booleans()):
            app["follow_up_requested_on"] = (BASE + dt.timedelta(days=draw(st.integers(0, 45)))).date().isoformat()
        if draw(st.booleans()):
            app["decision_expected_by"] = (BASE + dt.timedelta(days=draw(st.integers(0, 45)))).date().isoformat()
        if status == "offer":
            received = draw(hour)
            app["offer"] = {"received_at": _iso(received), "respond_by": _iso(received + draw(st.integers(24, 240)))}
        applications.append(app)
    return {
        "version": 1,
        "candidate": {"name": "Alex", "timezone": draw(st.sampled_from(ZONES)), "references": references,
                      **({"holidays": {"country": "DE"}} if draw(st.booleans()) else {})},
        "applications": applications,
    }


nows = st.integers(min_value=0, max_value=24 * 50).map(lambda h: BASE + dt.timedelta(hours=h, minutes=7))
SETTINGS = settings(max_examples=examples(120), deadline=None, suppress_health_check=[HealthCheck.too_slow])


def _summary(agenda: Agenda) -> dict[str, Any]:
    return agenda.to_dict()


@SETTINGS
@given(states(), nows)
def test_evaluation_is_deterministic(doc: dict[str, Any], now: dt.datetime) -> None:
    state = load_state(doc)
    assert _summary(ENGINE.evaluate(state, now)) == _summary(ENGINE.evaluate(state, now))


@SETTINGS
@given(states(), nows, st.randoms(use_true_random=False))
def test_evaluation_does_not_depend_on_input_order(doc: dict[str, Any], now: dt.datetime, rnd: random.Random) -> None:
    expected = _summary(ENGINE.evaluate(load_state(doc), now))
    shuffled = dict(doc)
    applications = [dict(a) for a in doc["applications"]]
    for app in applications:
        app["contacts"] = rnd.sample(app["contacts"], len(app["contacts"]))
        app["interviews"] = rnd.sample(app["interviews"], len(app["interviews"]))
    shuffled["applications"] = rnd.sample(applications, len(applications))
    assert _summary(ENGINE.evaluate(load_state(shuffled), now)) == expected


def _sort_key(action: Any, priorities: dict[str, int]) -> tuple[Any, ...]:
    return (action.priority, priorities.get(action.application, 0), action.due_at, action.key)


@SETTINGS
@given(states(), nows)
def test_caps_are_never_exceeded(doc: dict[str, Any], now: dt.datetime) -> None:
    state = load_state(doc)
    agenda = ENGINE.evaluate(state, now)
    calendar = state.candidate.calendar
    priorities = {a.id: a.priority for a in state.applications}
    let_through = sorted((a for a in agenda if a.status in ("due", "overdue")), key=lambda a: _sort_key(a, priorities))
    rules = {r.id: r for r in ENGINE.rulebook.rules}
    for cap in ENGINE.rulebook.caps.values():
        assert cap.per in ("application", "company")
        groups: dict[str, list[Any]] = {}
        for application in state.applications:
            scope = application.company.casefold() if cap.per == "company" else application.id
            groups.setdefault(scope, []).append(application)
        for members in groups.values():
            ids = {a.id for a in members}
            logged = [c for a in members for c in a.contacts if c.at <= now]
            counted = sorted(c.at for c in logged if cap.counts(c))
            replies = [c.at for c in logged if c.direction == "in"]
            before = 0
            for action in let_through:
                if action.application not in ids:
                    continue
                if cap in rules[action.rule].caps:
                    if cap.min_gap is not None:
                        assert before == 0, (cap.id, action.key)
                        if counted:
                            assert calendar.shift(counted[-1], cap.min_gap) <= now, (cap.id, action.key)
                    elif cap.since_reply:
                        last = max(replies) if replies else None
                        unanswered = [t for t in counted if last is None or t > last]
                        assert len(unanswered) + before < cap.max, (cap.id, action.key)  # type: ignore[operator]
                    else:
                        start = calendar.shift(now, Offset(cap.within.unit, -cap.within.amount))  # type: ignore[union-attr]
                        inside = [t for t in counted if t > start]
                        assert len(inside) + before < cap.max, (cap.id, action.key)  # type: ignore[operator]
                if cap.kinds is None or action.kind in cap.kinds:
                    before += 1


@SETTINGS
@given(states(), nows)
def test_an_action_once_carried_out_is_never_due_again(doc: dict[str, Any], now: dt.datetime) -> None:
    agenda = ENGINE.evaluate(load_state(doc), now)
    pending = agenda.pending
    if not pending:
        return
    done_at = now + dt.timedelta(minutes=1)
    by_id = {a["id"]: a for a in doc["applications"]}
    journal = doc.setdefault("contacts", [])
    for action in pending:
        entry: dict[str, Any] = {"at": done_at.isoformat(), "kind": action.kind}
        if action.recipient:
            entry["to"] = action.recipient
        if action.interview:
            entry["interview"] = action.interview
        target = by_id[action.application]["contacts"] if action.application else journal
        target.append(entry)
    later = ENGINE.evaluate(load_state(doc), done_at + dt.timedelta(minutes=1))
    for action in pending:
        again = later.get(action.key)
        assert again is None or again.status in ("done", "upcoming", "suppressed"), (action.key, again)
        assert again is None or again.status == "done" or action.rule in ("keep-searching",), (action.key, again)


@SETTINGS
@given(states(), nows)
def test_nothing_changes_before_next_wake_at(doc: dict[str, Any], now: dt.datetime) -> None:
    state = load_state(doc)
    agenda = ENGINE.evaluate(state, now)
    horizon = agenda.next_wake_at or now + dt.timedelta(days=60)
    assert horizon > now
    middle = now + (horizon - now) / 2
    just_before = horizon - dt.timedelta(microseconds=1)
    for moment in (middle, just_before):
        later = ENGINE.evaluate(state, moment)
        assert {a.key: a.status for a in later} == {a.key: a.status for a in agenda}, moment


@SETTINGS
@given(states(), nows)
def test_every_status_is_explained(doc: dict[str, Any], now: dt.datetime) -> None:
    agenda = ENGINE.evaluate(load_state(doc), now)
    for action in agenda:
        assert action.reason
        if action.status == "suppressed":
            assert action.cap in ENGINE.rulebook.caps
            assert action.frees_at is None or action.frees_at > now
        if action.status == "upcoming":
            assert action.opens_at > now or "snoozed" in action.reason
        if action.status == "overdue":
            assert action.due_at <= now
        if action.status == "due":
            assert action.opens_at <= now < action.due_at
