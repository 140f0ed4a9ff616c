"""Scenario tests: each rule and cap of rules/default.yaml doing what the advice asks.

Dates are in March/April 2026, Europe/Berlin: Thu 5 Mar, Mon 9 Mar; clocks go
forward on Sun 29 Mar; Good Friday is 3 Apr and Easter Monday 6 Apr.
"""

from __future__ import annotations

from typing import Any

from conftest import application, at, by_rule, interviewer, state_doc

ONSITE = {
    "id": "onsite",
    "starts_at": "2026-03-05T10:00:00+01:00",
    "ended_at": "2026-03-05T16:00:00+01:00",
    "interviewers": [interviewer("jane", title="Head of Data"), interviewer("raj", title="Staff Engineer")],
}


def one_interview(**extra: Any) -> dict[str, Any]:
    return state_doc(application(interviews=[ONSITE], **extra))


# -- thank-you-note -------------------------------------------------------------


def test_thank_you_note_per_interviewer_due_end_of_second_business_day(evaluate: Any) -> None:
    agenda = evaluate(one_interview(), "2026-03-06T10:00:00+01:00")
    notes = by_rule(agenda, "thank-you-note")
    assert sorted(a.recipient for a in notes) == ["jane", "raj"]
    for note in notes:
        assert note.kind == "thank_you_note"
        assert note.status == "due"
        assert note.channel == "email"
        assert note.opens_at == at("2026-03-05T16:00:00+01:00")
        # Thu -> Fri (1) -> Mon (2), at the end of the working day.
        assert note.due_at == at("2026-03-09T17:00:00+01:00")
        assert note.key == f"thank-you-note:acme:onsite:{note.recipient}"


def test_thank_you_note_overdue_then_done_once_logged(evaluate: Any) -> None:
    doc = one_interview()
    late = evaluate(doc, "2026-03-09T18:00:00+01:00")
    assert {a.status for a in by_rule(late, "thank-you-note")} == {"overdue"}
    doc["applications"][0]["contacts"] = [
        {"at": "2026-03-09T18:30:00+01:00", "kind": "thank_you_note", "to": "jane", "interview": "onsite"}
    ]
    after = evaluate(doc, "2026-03-09T19:00:00+01:00")
    status = {a.recipient: a.status for a in by_rule(after, "thank-you-note")}
    assert status == {"jane": "done", "raj": "overdue"}


def test_thank_you_note_needs_the_same_interview_and_recipient(evaluate: Any) -> None:
    doc = one_interview()
    doc["applications"][0]["contacts"] = [{"at": "2026-03-06T09:00:00+01:00", "kind": "thank_you_note", "to": "raj"}]
    status = {a.recipient: a.status for a in by_rule(evaluate(doc, "2026-03-06T10:00:00+01:00"), "thank-you-note")}
    assert status == {"jane": "due", "raj": "due"}  # no interview named: not this interview's note


def test_thank_you_note_sent_whatever_the_status(evaluate: Any) -> None:
    for status in ("withdrawn", "rejected", "offer"):
        agenda = evaluate(one_interview(status=status), "2026-03-06T10:00:00+01:00")
        assert len(by_rule(agenda, "thank-you-note")) == 2, status


def test_thank_you_note_goes_through_the_preferred_written_medium(evaluate: Any) -> None:
    for medium, channel in (("postal", "postal"), ("fax", "fax"), ("phone", "email"), ("email", "email")):
        agenda = evaluate(one_interview(preferred_medium=medium), "2026-03-06T10:00:00+01:00")
        assert {a.channel for a in by_rule(agenda, "thank-you-note")} == {channel}, medium


def test_thank_you_note_skips_easter_in_the_candidates_calendar(evaluate: Any) -> None:
    interview = dict(ONSITE, starts_at="2026-04-02T10:00:00+02:00", ended_at="2026-04-02T12:00:00+02:00")
    doc = state_doc(application(interviews=[interview]), holidays={"country": "DE"})
    notes = by_rule(evaluate(doc, "2026-04-02T13:00:00+02:00"), "thank-you-note")
    # Thu 2 Apr; Fri 3 and Mon 6 are holidays: Tue 7 (1), Wed 8 (2).
    assert {a.due_at for a in notes} == {at("2026-04-08T17:00:00+02:00")}
    plain = state_doc(application(interviews=[interview]))
    notes = by_rule(evaluate(plain, "2026-04-02T13:00:00+02:00"), "thank-you-note")
    assert {a.due_at for a in notes} == {at("2026-04-06T17:00:00+02:00")}


def test_thank_you_note_deadline_across_the_spring_clock_change(evaluate: Any) -> None:
    interview = dict(ONSITE, starts_at="2026-03-27T10:00:00+01:00", ended_at="2026-03-27T16:00:00+01:00")
    notes = by_rule(evaluate(state_doc(application(interviews=[interview])), "2026-03-27T17:00:00+01:00"), "thank-you-note")
    # Fri 27 Mar (CET) -> Tue 31 Mar 17:00 local, which is CEST (+02:00).
    assert {a.due_at for a in notes} == {at("2026-03-31T17:00:00+02:00")}


def test_overlay_moves_the_thank_you_deadline_to_one_business_day(evaluate: Any, tmp_path: Any) -> None:
    overlay = tmp_path / "mine.yaml"
    overlay.write_text(
        "extends: default\n"
        "rules:\n"
        "  - id: thank-you-note\n"
        "    window:\n"
        "      due: {at: interview.ended_at, plus: {business_days: 1}, time: end_of_day}\n"
        "  - id: keep-searching\n"
        "    enabled: false\n"
    )
    doc = one_interview(applied_at="2026-03-01")
    agenda = evaluate(doc, "2026-03-06T10:00:00+01:00", rules=overlay)
    notes = by_rule(agenda, "thank-you-note")
    assert {a.due_at for a in notes} == {at("2026-03-06T17:00:00+01:00")}
    assert {a.opens_at for a in notes} == {at("2026-03-05T16:00:00+01:00")}  # opens kept from the base
    assert by_rule(agenda, "keep-searching") == []
    assert by_rule(evaluate(doc, "2026-03-06T10:00:00+01:00"), "keep-searching")


# -- collect-interviewer-details ------------------------------------------------------


def test_collect_details_for_interviewers_missing_a_title_or_the_medium_detail(evaluate: Any) -> None:
    people = [
        interviewer("jane"),
        interviewer("raj", title=None),
        {"id": "lee", "name": "Lee Park", "title": "CTO", "email": "lee@employer.example"},
    ]
    doc = state_doc(application(preferred_medium="postal", interviews=[dict(ONSITE, interviewers=people)]))
    doc["applications"][0]["interviews"][0]["interviewers"][2]["postal_address"] = "1 Main St"
    actions = by_rule(evaluate(doc, "2026-03-05T17:00:00+01:00"), "collect-interviewer-details")
    # jane has no postal address, raj no title (nor address); lee has everything.
    assert sorted(a.recipient for a in actions) == ["jane", "raj"]
    assert {a.due_at for a in actions} == {at("2026-03-06T09:00:00+01:00")}
    assert {a.channel for a in actions} == {"reminder"}


def test_collect_details_disappears_once_the_details_are_known(evaluate: Any) -> None:
    assert by_rule(evaluate(one_interview(), "2026-03-05T17:00:00+01:00"), "collect-interviewer-details") == []


# -- alert-references -----------------------------------------------------------------


def test_references_alerted_after_the_first_interview(evaluate: Any) -> None:
    references = [{"id": "kim", "name": "Kim Ref", "email": "kim@example.org"}, {"id": "omar", "name": "Omar Ref"}]
    doc = state_doc(application(interviews=[ONSITE]), references=references)
    before = evaluate(doc, "2026-03-05T12:00:00+01:00")
    assert by_rule(before, "alert-references") == []  # the interview has not ended yet
    agenda = evaluate(doc, "2026-03-05T17:00:00+01:00")
    alerts = by_rule(agenda, "alert-references")
    assert sorted(a.recipient for a in alerts) == ["kim", "omar"]
    assert {a.due_at for a in alerts} == {at("2026-03-06T17:00:00+01:00")}
    assert {a.key for a in alerts} == {"alert-references:acme::kim", "alert-references:acme::omar"}
    doc["applications"][0]["contacts"] = [{"at": "2026-03-05T18:00:00+01:00", "kind": "reference_alert", "to": "kim"}]
    status = {a.recipient: a.status for a in by_rule(evaluate(doc, "2026-03-05T19:00:00+01:00"), "alert-references")}
    assert status == {"kim": "done", "omar": "due"}


# -- status-call ----------------------------------------------------------------------


def test_status_call_opens_after_a_week_and_is_due_at_ten_days(evaluate: Any) -> None:
    agenda = evaluate(one_interview(), "2026-03-12T10:00:00+01:00")
    (call,) = by_rule(agenda, "status-call")
    assert call.kind == "status_call"
    assert call.channel == "phone"
    assert call.status == "due"
    assert call.opens_at == at("2026-03-12T09:00:00+01:00")
    # ten days land on Sunday 15 March: due on the Friday before, the last working day
    assert call.due_at == at("2026-03-13T17:00:00+01:00")
    (early,) = by_rule(evaluate(one_interview(), "2026-03-11T10:00:00+01:00"), "status-call")
    assert early.status == "upcoming"


def test_status_call_comes_sooner_when_the_employer_decides_sooner(evaluate: Any) -> None:
    (call,) = by_rule(evaluate(one_interview(decision_expected_by="2026-03-06"), "2026-03-09T10:00:00+01:00"), "status-call")
    # Decision date Fri 6 Mar: call from Mon 9 Mar 09:00, due Tue 10 Mar 17:00.
    assert call.opens_at == at("2026-03-09T09:00:00+01:00")
    assert call.due_at == at("2026-03-10T17:00:00+01:00")
    assert call.status == "due"


def test_status_call_only_while_interviewing(evaluate: Any) -> None:
    for status in ("applied", "offer", "rejected", "withdrawn", "accepted"):
        assert by_rule(evaluate(one_interview(status=status), "2026-03-13T10:00:00+01:00"), "status-call") == [], status


def test_status_call_settled_by_a_chase_not_by_a_mere_thank_you(evaluate: Any) -> None:
    logged = {"at": "2026-03-12T11:00:00+01:00", "kind": "status_call"}
    (call,) = by_rule(evaluate(one_interview(contacts=[logged]), "2026-03-13T10:00:00+01:00"), "status-call")
    assert call.status == "done"
    for entry in (
        {"at": "2026-03-10T11:00:00+01:00", "kind": "reply", "note": "Thanks, great meeting you!"},
        {"at": "2026-03-10T11:00:00+01:00", "kind": "email", "direction": "in"},
        {"at": "2026-03-04T11:00:00+01:00", "kind": "reply"},  # before the interview
    ):
        (call,) = by_rule(evaluate(one_interview(contacts=[entry]), "2026-03-13T10:00:00+01:00"), "status-call")
        assert call.status == "due", entry  # an acknowledgement does not say where things stand


def test_news_without_a_date_starts_a_new_round_a_week_after_it(evaluate: Any) -> None:
    news = {"at": "2026-03-10T11:00:00+01:00", "kind": "reply", "on_hold": True}
    (call,) = by_rule(evaluate(one_interview(contacts=[news]), "2026-03-13T10:00:00+01:00"), "status-call")
    assert call.status == "upcoming"
    assert call.opens_at == at("2026-03-17T09:00:00+01:00")


# -- patient-follow-up and the patience cap ----------------------------------------------

CALLED = {"at": "2026-03-12T10:00:00+01:00", "kind": "status_call"}


def test_patient_follow_up_seven_business_days_after_an_unanswered_call(evaluate: Any) -> None:
    doc = one_interview(contacts=[CALLED])
    (follow_up,) = by_rule(evaluate(doc, "2026-03-23T10:00:00+01:00"), "patient-follow-up")
    assert follow_up.kind == "follow_up"
    assert follow_up.opens_at == at("2026-03-23T09:00:00+01:00")  # Thu 12 + 7 business days
    assert follow_up.due_at == at("2026-03-25T17:00:00+01:00")
    assert follow_up.status == "due"
    assert follow_up.key == "patient-follow-up:acme:20260323T0800Z"
    assert by_rule(evaluate(one_interview(), "2026-03-23T10:00:00+01:00"), "patient-follow-up") == []


def test_each_follow_up_logged_starts_the_next_occurrence(evaluate: Any) -> None:
    doc = one_interview(contacts=[CALLED, {"at": "2026-03-23T11:00:00+01:00", "kind": "follow_up"}])
    (follow_up,) = by_rule(evaluate(doc, "2026-03-24T10:00:00+01:00"), "patient-follow-up")
    assert follow_up.status == "upcoming"
    # Mon 23 Mar + 7 business days = Wed 1 Apr, after the clocks changed.
    assert follow_up.opens_at == at("2026-04-01T09:00:00+02:00")


def test_patience_spent_no_fourth_follow_up_and_the_loop_closes_after_three_weeks(evaluate: Any) -> None:
    contacts = [
        CALLED,
        {"at": "2026-03-23T11:00:00+01:00", "kind": "follow_up"},
        {"at": "2026-04-01T11:00:00+02:00", "kind": "follow_up"},
    ]
    agenda = evaluate(one_interview(contacts=contacts), "2026-04-10T10:00:00+02:00")
    assert by_rule(agenda, "patient-follow-up") == []
    (close,) = by_rule(agenda, "close-the-loop")
    assert close.kind == "close_the_loop" and close.status == "upcoming" and close.channel == "email"
    assert close.opens_at == at("2026-04-22T11:00:00+02:00")  # three weeks after the last chase
    (close,) = by_rule(evaluate(one_interview(contacts=contacts), "2026-04-22T12:00:00+02:00"), "close-the-loop")
    assert close.status == "due"


def test_a_reply_resets_patience_and_the_pace_counts_from_it(evaluate: Any) -> None:
    contacts = [
        CALLED,
        {"at": "2026-03-23T11:00:00+01:00", "kind": "follow_up"},
        {"at": "2026-04-01T11:00:00+02:00", "kind": "follow_up"},
        {"at": "2026-04-02T09:00:00+02:00", "kind": "reply"},
    ]
    agenda = evaluate(one_interview(contacts=contacts), "2026-04-10T10:00:00+02:00")
    (follow_up,) = by_rule(agenda, "patient-follow-up")
    assert follow_up.status == "upcoming"
    # Thu 2 Apr (the reply) + 7 business days, not Wed 1 Apr (the last chase) + 7.
    assert follow_up.opens_at == at("2026-04-13T09:00:00+02:00")
    assert by_rule(agenda, "close-the-loop") == []


# -- requested-follow-up -------------------------------------------------------------


def test_requested_follow_up_due_on_the_requested_day(evaluate: Any) -> None:
    doc = one_interview(follow_up_requested_on="2026-03-16", contacts=[CALLED])
    (request,) = by_rule(evaluate(doc, "2026-03-16T10:00:00+01:00"), "requested-follow-up")
    assert request.kind == "requested_follow_up"
    assert request.opens_at == at("2026-03-16T09:00:00+01:00")
    assert request.due_at == at("2026-03-16T17:00:00+01:00")
    assert request.status == "due"
    doc["applications"][0]["contacts"].append({"at": "2026-03-16T11:00:00+01:00", "kind": "requested_follow_up"})
    (request,) = by_rule(evaluate(doc, "2026-03-16T12:00:00+01:00"), "requested-follow-up")
    assert request.status == "done"


def test_requested_follow_up_is_exempt_from_patience(evaluate: Any) -> None:
    contacts = [
        CALLED,
        {"at": "2026-03-23T11:00:00+01:00", "kind": "follow_up"},
        {"at": "2026-04-01T11:00:00+02:00", "kind": "follow_up"},
    ]
    doc = one_interview(follow_up_requested_on="2026-04-13", contacts=contacts)
    agenda = evaluate(doc, "2026-04-13T10:00:00+02:00")
    (request,) = by_rule(agenda, "requested-follow-up")
    assert request.status == "due"
    assert by_rule(agenda, "patient-follow-up") == []  # patience is spent for the unprompted ones


def test_requested_follow_up_is_not_exempt_from_the_ceiling(evaluate: Any) -> None:
    contacts = [
        {"at": "2026-03-10T10:00:00+01:00", "kind": "leverage_follow_up"},
        {"at": "2026-03-12T10:00:00+01:00", "kind": "status_call"},
    ]
    doc = one_interview(follow_up_requested_on="2026-03-13", contacts=contacts)
    (request,) = by_rule(evaluate(doc, "2026-03-13T10:00:00+01:00"), "requested-follow-up")
    assert request.status == "suppressed"
    assert request.cap == "ceiling"
    # The older of the two leaves the 7-day window on 17 Mar at 10:00.
    assert request.frees_at == at("2026-03-17T10:00:00+01:00")


# -- breathing-room and the ceiling ----------------------------------------------------


def test_breathing_room_holds_a_status_call_after_a_recent_follow_up(evaluate: Any) -> None:
    contacts = [{"at": "2026-03-11T10:00:00+01:00", "kind": "leverage_follow_up"}]
    (call,) = by_rule(evaluate(one_interview(contacts=contacts), "2026-03-12T10:00:00+01:00"), "status-call")
    assert call.status == "suppressed"
    assert call.cap == "breathing-room"
    assert call.frees_at == at("2026-03-18T10:00:00+01:00")  # Wed 11 + 5 business days
    (call,) = by_rule(evaluate(one_interview(contacts=contacts), "2026-03-18T10:00:00+01:00"), "status-call")
    assert call.status == "overdue"


def test_actions_let_through_count_against_caps_within_one_evaluation(evaluate: Any) -> None:
    offer = application(
        "quill", status="offer", priority=5, offer={"received_at": "2026-03-11T09:00:00+01:00", "respond_by": "2026-03-20"}
    )
    doc = state_doc(application(interviews=[ONSITE], priority=1), offer)
    agenda = evaluate(doc, "2026-03-12T10:00:00+01:00")
    (leverage,) = by_rule(agenda, "leverage-offer")
    (call,) = by_rule(agenda, "status-call")
    assert leverage.status == "due"  # priority 15 goes first
    assert call.status == "suppressed"
    assert call.cap == "breathing-room"
    assert leverage.key in call.reason


def test_ceiling_counts_two_in_seven_days() -> None:
    from followup import Engine, load_rulebook, load_state

    doc = one_interview(follow_up_requested_on="2026-03-20")
    doc["applications"][0]["contacts"] = [
        {"at": "2026-03-14T10:00:00+01:00", "kind": "requested_follow_up"},
        {"at": "2026-03-18T10:00:00+01:00", "kind": "follow_up"},
    ]
    agenda = Engine(load_rulebook()).evaluate(load_state(doc), at("2026-03-20T10:00:00+01:00"))
    (request,) = by_rule(agenda, "requested-follow-up")
    assert (request.status, request.cap) == ("suppressed", "ceiling")
    assert request.frees_at == at("2026-03-21T10:00:00+01:00")
    later = Engine(load_rulebook()).evaluate(load_state(doc), at("2026-03-21T10:00:00+01:00"))
    assert by_rule(later, "requested-follow-up")[0].status == "overdue"


# -- leverage-offer ---------------------------------------------------------------------


def test_leverage_offer_for_more_wanted_open_applications_only(evaluate: Any) -> None:
    offer = application(
        "quill", status="offer", priority=4, offer={"received_at": "2026-03-10T14:00:00+01:00", "respond_by": "2026-03-13"}
    )
    met = [{"id": "one", "starts_at": "2026-03-02T10:00:00+01:00", "ended_at": "2026-03-02T11:00:00+01:00",
            "interviewers": [interviewer("ana")]}]
    wanted = application("acme", priority=1, interviews=met)
    equal = application("equal", priority=4, interviews=met)
    closed = application("gone", priority=1, status="rejected", interviews=met)
    never_met = application("unmet", priority=2)  # no interview yet: nothing to lean on
    doc = state_doc(wanted, equal, closed, never_met, offer)
    actions = by_rule(evaluate(doc, "2026-03-11T10:00:00+01:00"), "leverage-offer")
    assert [a.application for a in actions] == ["acme"]
    (leverage,) = actions
    assert leverage.kind == "leverage_follow_up"
    assert leverage.due_at == at("2026-03-12T17:00:00+01:00")  # 2 business days, before respond_by
    assert leverage.expires_at == at("2026-03-13T00:00:00+01:00")
    assert by_rule(evaluate(doc, "2026-03-13T00:00:00+01:00"), "leverage-offer") == []  # too late now


def test_leverage_offer_due_no_later_than_respond_by(evaluate: Any) -> None:
    offer = application(
        "quill", status="offer", priority=4, offer={"received_at": "2026-03-10T14:00:00+01:00", "respond_by": "2026-03-11T12:00:00+01:00"}
    )
    met = [{"id": "one", "starts_at": "2026-03-02T10:00:00+01:00", "ended_at": "2026-03-02T11:00:00+01:00",
            "interviewers": [interviewer("ana")]}]
    acme = application("acme", priority=2, interviews=met)
    (leverage,) = by_rule(evaluate(state_doc(acme, offer), "2026-03-10T15:00:00+01:00"), "leverage-offer")
    assert leverage.due_at == at("2026-03-11T12:00:00+01:00")


# -- keep-searching ---------------------------------------------------------------------


def test_keep_searching_while_fewer_than_three_are_active(evaluate: Any) -> None:
    two = state_doc(application("a", applied_at="2026-03-02"), application("b", applied_at="2026-03-03"))
    (nudge,) = by_rule(evaluate(two, "2026-03-04T10:00:00+01:00"), "keep-searching")
    assert nudge.kind == "keep_searching"
    assert nudge.opens_at == at("2026-03-03T09:00:00+01:00")
    assert nudge.status == "due"
    three = state_doc(*(application(x, applied_at="2026-03-02") for x in "abc"))
    assert by_rule(evaluate(three, "2026-03-04T10:00:00+01:00"), "keep-searching") == []
    closed = state_doc(*(application(x, applied_at="2026-03-02") for x in "ab"), application("c", status="rejected"))
    assert by_rule(evaluate(closed, "2026-03-04T10:00:00+01:00"), "keep-searching")


def test_keep_searching_comes_back_weekly(evaluate: Any) -> None:
    doc = state_doc(application("a", applied_at="2026-03-02"))
    doc["contacts"] = [{"at": "2026-03-04T12:00:00+01:00", "kind": "keep_searching"}]
    (nudge,) = by_rule(evaluate(doc, "2026-03-05T10:00:00+01:00"), "keep-searching")
    assert nudge.status == "upcoming"
    assert nudge.opens_at == at("2026-03-11T09:00:00+01:00")


# -- bridge-note ------------------------------------------------------------------------


def test_bridge_note_once_per_interviewer_after_a_rejection(evaluate: Any) -> None:
    second = dict(ONSITE, id="final", starts_at="2026-03-10T10:00:00+01:00", ended_at="2026-03-10T11:00:00+01:00",
                  interviewers=[interviewer("jane", title="VP Data")])
    doc = one_interview(status="rejected", status_changed_at="2026-03-12T09:00:00+01:00")
    doc["applications"][0]["interviews"].append(second)
    notes = by_rule(evaluate(doc, "2026-03-12T10:00:00+01:00"), "bridge-note")
    assert sorted(a.key for a in notes) == ["bridge-note:acme::jane", "bridge-note:acme::raj"]
    assert {a.due_at for a in notes} == {at("2026-03-17T17:00:00+01:00")}
    assert {a.interview for a in notes if a.recipient == "jane"} == {"final"}  # the latest meeting
    assert by_rule(evaluate(one_interview(), "2026-03-12T10:00:00+01:00"), "bridge-note") == []


# -- ask-decision-timeline ------------------------------------------------------------------


def test_ask_decision_timeline_before_an_interview(evaluate: Any) -> None:
    upcoming = {"id": "first", "starts_at": "2026-03-10T10:00:00+01:00", "interviewers": [interviewer("jane")]}
    doc = state_doc(application(interviews=[upcoming]))
    (ask,) = by_rule(evaluate(doc, "2026-03-09T12:00:00+01:00"), "ask-decision-timeline")
    assert ask.kind == "ask_decision_timeline"
    assert ask.status == "due"
    assert ask.due_at == at("2026-03-10T10:00:00+01:00")
    assert by_rule(evaluate(doc, "2026-03-10T23:00:00+01:00"), "ask-decision-timeline") == []  # expired
    known = state_doc(application(interviews=[upcoming], decision_expected_by="2026-03-20"))
    assert by_rule(evaluate(known, "2026-03-09T12:00:00+01:00"), "ask-decision-timeline") == []


# -- the agenda as a whole -------------------------------------------------------------------


def test_next_wake_at_is_the_next_status_change(evaluate: Any) -> None:
    agenda = evaluate(one_interview(), "2026-03-06T10:00:00+01:00")
    # The thank-you notes are due Mon 9 Mar 17:00; the status call opens Thu 12 Mar.
    assert agenda.next_wake_at == at("2026-03-09T17:00:00+01:00")
    later = evaluate(one_interview(), agenda.next_wake_at.isoformat())
    assert {a.status for a in by_rule(later, "thank-you-note")} == {"overdue"}


def test_bookkeeping_dismiss_and_snooze(evaluate: Any) -> None:
    doc = one_interview()
    doc["applications"][0]["contacts"] = [
        {"at": "2026-03-06T09:00:00+01:00", "kind": "dismissed", "action": "thank-you-note:acme:onsite:raj", "note": "met twice"},
        {"at": "2026-03-06T09:00:00+01:00", "kind": "snoozed", "action": "thank-you-note:acme:onsite:jane", "until": "2026-03-08T12:00:00+01:00"},
    ]
    agenda = evaluate(doc, "2026-03-06T10:00:00+01:00")
    status = {a.recipient: (a.status, a.reason) for a in by_rule(agenda, "thank-you-note")}
    assert status["raj"][0] == "done" and "met twice" in status["raj"][1]
    assert status["jane"][0] == "upcoming" and "snoozed" in status["jane"][1]
    assert agenda.next_wake_at == at("2026-03-08T12:00:00+01:00")
