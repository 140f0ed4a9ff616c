"""The engine's loop one step at a time, on a small rulebook: keys, the order of the
agenda, the words of each status, settling by hand, expiry, caps together, next wake."""

from __future__ import annotations

import datetime as dt
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from conftest import application, at, interviewer, state_doc
from followup import Agenda, Engine, InvalidInput, load_rulebook, load_state
from followup._time import Offset

RULES = {
    "version": 1,
    "caps": [
        {"id": "weekly", "per": "application", "max": 1, "within": {"days": 7}, "counts": ["follow_up"]},
        {"id": "patience", "per": "application", "max": 1, "since": "employer_reply", "counts": ["follow_up"]},
        {"id": "gap", "per": "application", "min_gap": {"days": 3}, "counts": ["follow_up"]},
    ],
    "rules": [
        {"id": "note", "kind": "thank_you_note", "for_each": "interviewer", "channel": "email", "priority": 10,
         "window": {"opens": {"at": "interview.ended_at"}, "due": {"at": "opens", "plus": {"days": 1}}},
         "done_when": [{"kind": "thank_you_note", "to": "recipient", "after": {"at": "interview.ended_at"}}]},
        {"id": "chase", "kind": "follow_up", "for_each": "application", "channel": "email", "repeats": True,
         "caps": ["weekly", "patience", "gap"],
         "window": {"opens": {"at": "application.applied_at"}, "due": {"at": "opens", "plus": {"days": 2}},
                    "expires": {"at": "opens", "plus": {"days": 30}}}},
        {"id": "once", "kind": "follow_up", "for_each": "interviewer", "distinct": "recipient", "channel": "email",
         "window": {"opens": {"at": "interview.ended_at"}, "due": {"at": "opens", "plus": {"days": 5}}}},
    ],
}  # fmt: skip
ENGINE_RULES = load_rulebook(RULES)
FIRST = {"id": "one", "starts_at": "2026-03-02T10:00:00+01:00", "ended_at": "2026-03-02T11:00:00+01:00",
         "interviewers": [interviewer("jane"), interviewer("kim")]}  # fmt: skip
SECOND = {"id": "two", "starts_at": "2026-03-04T10:00:00+01:00", "ended_at": "2026-03-04T11:00:00+01:00",
          "interviewers": [interviewer("jane")]}  # fmt: skip
APPLIED = "2026-03-01T09:00:00+01:00"


def agenda(doc: dict[str, Any], now: str, **options: Any) -> Agenda:
    """The agenda of the generated code, checked against the reference closures, word for word."""
    state = load_state(doc)
    reference = Engine(ENGINE_RULES, reference=True).evaluate(state, at(now), **options)
    compiled = Engine(ENGINE_RULES)
    assert compiled.program is not None  # generated now, so that even this first evaluation runs it
    result = compiled.evaluate(state, at(now), **options)
    assert rows(result) == rows(reference) and result.next_wake_at == reference.next_wake_at
    assert [(a.channel, a.opens_at, a.due_at, a.expires_at, a.done_at) for a in result] == [
        (a.channel, a.opens_at, a.due_at, a.expires_at, a.done_at) for a in reference
    ]
    return result


def rows(result: Agenda) -> list[tuple[Any, ...]]:
    return [(a.key, a.status, a.reason, a.cap, a.frees_at) for a in result]


def test_the_agenda_in_due_order_with_its_keys_words_and_the_cap_that_holds_longest() -> None:
    doc = state_doc(application(interviews=[FIRST, SECOND], applied_at=APPLIED, contacts=[{"at": "2026-03-02T09:00:00+01:00", "kind": "follow_up"}]))
    result = agenda(doc, "2026-03-05T12:00:00+01:00")
    assert rows(result) == [
        # two caps hold it, one until a reply: that one is named, and it frees at no set time
        ("chase:acme:20260301T0800Z", "suppressed",
         "held back by cap 'weekly': 1 of 1 contacts per application in the last 7 days; frees Mon 9 Mar 2026 09:00 CET; "
         "cap 'patience': 1 of 1 unanswered follow-ups per application and the employer has never replied; frees when "
         "the employer replies", "patience", None),
        ("note:acme:one:jane", "overdue", "was due Tue 3 Mar 2026 11:00 CET; still worth doing", None, None),
        ("note:acme:one:kim", "overdue", "was due Tue 3 Mar 2026 11:00 CET; still worth doing", None, None),
        ("note:acme:two:jane", "overdue", "was due Thu 5 Mar 2026 11:00 CET; still worth doing", None, None),
        # one per person, whichever interview: the latest interview decides
        ("once:acme::kim", "due", "due by Sat 7 Mar 2026 11:00 CET", None, None),
        ("once:acme::jane", "due", "due by Mon 9 Mar 2026 11:00 CET", None, None),
    ]  # fmt: skip
    assert [(a.priority, a.interview, a.recipient) for a in result][:2] == [(50, None, None), (10, "one", "jane")]
    # the chase frees only with a reply; the next change is a due time passing
    assert result.next_wake_at == at("2026-03-07T11:00:00+01:00")


def test_caps_holding_together_name_the_one_that_frees_last() -> None:
    contacts = [{"at": "2026-03-04T12:00:00+01:00", "kind": "follow_up"}, {"at": "2026-03-04T13:00:00+01:00", "kind": "reply"},
                {"at": "2026-03-02T12:00:00+01:00", "kind": "thank_you_note", "to": "jane"}]  # fmt: skip
    result = agenda(state_doc(application(interviews=[FIRST], applied_at=APPLIED, contacts=contacts)), "2026-03-05T12:00:00+01:00")
    assert rows(result)[:2] == [
        ("chase:acme:20260301T0800Z", "suppressed",
         "held back by cap 'weekly': 1 of 1 contacts per application in the last 7 days; frees Wed 11 Mar 2026 12:00 CET; "
         "cap 'gap': last counted contact Wed 4 Mar 2026 12:00 CET, and it asks for 3 days between contacts per "
         "application; frees Sat 7 Mar 2026 12:00 CET", "weekly", at("2026-03-11T12:00:00+01:00")),
        ("note:acme:one:jane", "done", "done: thank you note to jane Mon 2 Mar 2026 12:00 CET", None, None),
    ]  # fmt: skip
    assert result.next_wake_at == at("2026-03-07T11:00:00+01:00")
    # with nothing else coming, the cap freeing is the next change
    later = agenda(state_doc(application(applied_at=APPLIED, contacts=contacts[:2])), "2026-03-05T12:00:00+01:00")
    assert later.next_wake_at == at("2026-03-11T12:00:00+01:00")


def test_an_upcoming_action_says_when_it_opens_on_both_clocks() -> None:
    doc = state_doc(application(applied_at=APPLIED, employer={"timezone": "America/New_York"}))
    result = agenda(doc, "2026-03-01T08:00:00+01:00")
    assert rows(result) == [
        ("chase:acme:20260301T0800Z", "upcoming",
         "opens Sun 1 Mar 2026 09:00 CET (Sun 1 Mar 03:00 EST for the employer), due Tue 3 Mar 2026 09:00 CET "
         "(Tue 3 Mar 03:00 EST for the employer)", None, None),
    ]  # fmt: skip
    assert result.next_wake_at == at(APPLIED)
    (due,) = agenda(doc, "2026-03-02T12:00:00+01:00")
    assert due.reason == "due by Tue 3 Mar 2026 09:00 CET (Tue 3 Mar 03:00 EST for the employer)"
    assert due.employer_timezone == "America/New_York"
    (late,) = agenda(doc, "2026-03-04T12:00:00+01:00")
    assert late.reason == "was due Tue 3 Mar 2026 09:00 CET (Tue 3 Mar 03:00 EST for the employer); still worth doing"
    # an employer in the candidate's own zone adds nothing
    (same,) = agenda(state_doc(application(applied_at=APPLIED, employer={"timezone": "Europe/Berlin"})), "2026-03-02T12:00:00+01:00")
    assert same.reason == "due by Tue 3 Mar 2026 09:00 CET" and same.employer_timezone is None


def test_an_action_leaves_the_agenda_when_it_expires() -> None:
    doc = state_doc(application(applied_at=APPLIED))
    (last,) = agenda(doc, "2026-03-31T08:59:00+02:00")
    assert (last.status, last.expires_at) == ("overdue", at("2026-03-31T09:00:00+02:00"))
    assert agenda(doc, "2026-03-31T08:59:00+02:00").next_wake_at == at("2026-03-31T09:00:00+02:00")
    gone = agenda(doc, "2026-03-31T09:00:00+02:00")
    assert rows(gone) == [] and gone.next_wake_at is None


@pytest.mark.parametrize(
    ("entry", "status", "reason"),
    [
        ({"kind": "dismissed", "action": "chase:acme:20260301T0800Z", "note": "they said no"}, "done",
         "dismissed Mon 2 Mar 2026 09:00 CET: they said no"),
        ({"kind": "dismissed", "action": "chase:acme:20260301T0800Z"}, "done", "dismissed Mon 2 Mar 2026 09:00 CET"),
        ({"kind": "retired"}, "done", "application retired Mon 2 Mar 2026 09:00 CET"),
        ({"kind": "snoozed", "action": "chase:acme:20260301T0800Z", "until": "2026-03-04T10:00:00+01:00"}, "upcoming",
         "snoozed until Wed 4 Mar 2026 10:00 CET"),
        ({"kind": "snoozed", "action": "chase:acme:20260301T0800Z", "until": "2026-03-02T10:00:00+01:00"}, "due",
         "due by Tue 3 Mar 2026 09:00 CET"),
        ({"kind": "dismissed", "action": "chase:acme:20260308T0800Z"}, "due", "due by Tue 3 Mar 2026 09:00 CET"),
    ],
)  # fmt: skip
def test_settling_an_action_by_hand(entry: dict[str, Any], status: str, reason: str) -> None:
    doc = state_doc(application(applied_at=APPLIED, contacts=[{"at": "2026-03-02T09:00:00+01:00", **entry}]))
    result = agenda(doc, "2026-03-02T12:00:00+01:00")
    (chase,) = [a for a in result if a.rule == "chase"]
    assert (chase.status, chase.reason) == (status, reason)
    if status == "upcoming":
        assert result.next_wake_at == at("2026-03-04T10:00:00+01:00")
    if reason.startswith(("dismissed", "application")):
        assert chase.done_at == at("2026-03-02T09:00:00+01:00")


def test_done_when_the_log_shows_it_in_its_words() -> None:
    contacts = [{"at": "2026-03-02T12:00:00+01:00", "kind": "thank_you_note", "to": "jane"},
                {"at": "2026-03-02T11:30:00+01:00", "kind": "thank_you_note", "to": "kim"}]  # fmt: skip
    result = agenda(state_doc(application(interviews=[FIRST], contacts=contacts)), "2026-03-02T13:00:00+01:00")
    notes = {a.recipient: (a.status, a.reason, a.done_at) for a in result if a.rule == "note"}
    assert notes == {
        "jane": ("done", "done: thank you note to jane Mon 2 Mar 2026 12:00 CET", at("2026-03-02T12:00:00+01:00")),
        "kim": ("done", "done: thank you note to kim Mon 2 Mar 2026 11:30 CET", at("2026-03-02T11:30:00+01:00")),
    }


def test_one_application_or_none_of_the_candidates_work() -> None:
    doc = state_doc(application(applied_at=APPLIED), application("globex", applied_at=APPLIED))
    everything = agenda(doc, "2026-03-02T12:00:00+01:00")
    assert [a.key for a in everything] == ["chase:acme:20260301T0800Z", "chase:globex:20260301T0800Z"]
    only = agenda(doc, "2026-03-02T12:00:00+01:00", applications=["globex"], candidate=False)
    assert [a.key for a in only] == ["chase:globex:20260301T0800Z"]
    assert [a.key for a in agenda(doc, "2026-03-02T12:00:00+01:00", applications=[])] == []


def test_each_action_comes_with_the_item_it_was_worked_out_for() -> None:
    doc = state_doc(application(interviews=[FIRST], applied_at=APPLIED))
    result, items = Engine(ENGINE_RULES).evaluate_items(load_state(doc), at("2026-03-02T12:00:00+01:00"))
    assert sorted(items) == sorted(a.key for a in result)
    jane = items["note:acme:one:jane"]
    assert (jane.recipient, jane.interview.id if jane.interview else None) == ("jane", "one")


def test_a_moment_without_a_time_zone_is_refused() -> None:
    with pytest.raises(InvalidInput) as caught:
        Engine(ENGINE_RULES).evaluate(load_state(state_doc(application())), dt.datetime(2026, 3, 2, 12, 0))
    assert [str(p) for p in caught.value.problems] == ["now: 2026-03-02T12:00:00 has no time zone; pass an aware datetime"]


MORE = {
    "version": 1,
    "caps": [
        {"id": "p1", "per": "application", "max": 2, "since": "employer_reply", "counts": ["follow_up"]},
        {"id": "p2", "per": "application", "max": 3, "since": "employer_reply", "counts": ["status_call"], "quiet_after": {"days": 9}},
        {"id": "c", "per": "application", "max": 1, "within": {"days": 2}},
    ],
    "rules": [
        {"id": "settle", "kind": "follow_up", "for_each": "application", "channel": "email",
         "window": {"opens": {"at": "application.applied_at"}, "due": {"at": "opens", "plus": {"days": 1}}},
         "done_when": [{"kind": "reply", "direction": "in"}]},
        {"id": "plain", "kind": "follow_up", "for_each": "application", "channel": "email",
         "window": {"opens": {"at": "application.applied_at"}, "due": {"at": "opens", "plus": {"days": 1}}},
         "done_when": [{"kind": "follow_up"}]},
        {"id": "refs", "kind": "reference_alert", "for_each": "reference", "channel": "email",
         "window": {"opens": {"at": "application.applied_at"}, "due": {"at": "opens", "plus": {"days": 1}}}},
        {"id": "me", "kind": "reminder_to_self", "for_each": "candidate", "channel": "reminder",
         "window": {"opens": {"at": "candidate.last_activity_at"}, "due": {"at": "opens", "plus": {"days": 1}}}},
    ],
}  # fmt: skip


def test_every_level_settled_by_the_log_in_its_words_and_each_with_its_item() -> None:
    engine = Engine(load_rulebook(MORE))
    doc = state_doc(
        application(applied_at=APPLIED, contacts=[{"at": "2026-03-02T09:00:00+01:00", "kind": "follow_up"},
                                                  {"at": "2026-03-03T09:00:00+01:00", "kind": "reply"}]),
        references=[{"id": "ref-a", "name": "Ann Ref", "email": "a@x.org"}, {"id": "ref-b", "name": "Bo Ref", "email": "b@x.org"}],
    )  # fmt: skip
    result, items = engine.evaluate_items(load_state(doc), at("2026-03-04T12:00:00+01:00"))
    assert [(a.key, a.status, a.reason, a.recipient) for a in result] == [
        ("me", "overdue", "was due Mon 2 Mar 2026 09:00 CET; still worth doing", None),
        ("plain:acme", "done", "done: follow up Mon 2 Mar 2026 09:00 CET", None),
        ("refs:acme::ref-a", "overdue", "was due Mon 2 Mar 2026 09:00 CET; still worth doing", "ref-a"),
        ("refs:acme::ref-b", "overdue", "was due Mon 2 Mar 2026 09:00 CET; still worth doing", "ref-b"),
        ("settle:acme", "done", "settled by the employer's reply Tue 3 Mar 2026 09:00 CET", None),
    ]
    assert sorted(items) == ["me", "plain:acme", "refs:acme::ref-a", "refs:acme::ref-b", "settle:acme"]
    assert items["refs:acme::ref-b"].reference is not None and items["refs:acme::ref-b"].reference.id == "ref-b"


def test_the_patience_of_a_rulebook_is_its_cap_that_knows_when_silence_means_gone_quiet() -> None:
    patience = Engine(load_rulebook(MORE)).patience
    assert patience is not None
    assert (patience.kinds, patience.max, patience.quiet_after) == (frozenset({"status_call"}), 3, Offset("days", 9))
    first = Engine(load_rulebook({**MORE, "caps": MORE["caps"][:1] + MORE["caps"][2:]})).patience
    assert first is not None and (first.kinds, first.max, first.quiet_after) == (frozenset({"follow_up"}), 2, None)
    assert Engine(load_rulebook({**MORE, "caps": MORE["caps"][2:]})).patience is None


def test_an_action_carries_what_a_message_and_a_table_need() -> None:
    doc = state_doc(application(interviews=[FIRST], applied_at=APPLIED, company="Acme Corp", employer={"timezone": "America/New_York"}))
    result = agenda(doc, "2026-03-02T12:00:00+01:00")
    jane = result.get("note:acme:one:jane")
    assert jane is not None
    assert (jane.company, jane.position, jane.recipient, jane.recipient_name, jane.message, jane.channel, jane.kind) == (
        "Acme Corp", "Engineer", "jane", "Jane Example", "thank_you_note", "email", "thank_you_note",
    )  # fmt: skip
    assert (jane.employer_timezone, jane.priority, jane.interview, jane.application) == ("America/New_York", 10, "one", "acme")
    assert result.now == at("2026-03-02T12:00:00+01:00")


def test_at_the_instant_a_window_opens_it_is_due_and_the_next_wake_is_later() -> None:
    doc = state_doc(application(applied_at=APPLIED))
    (chase,) = agenda(doc, APPLIED)
    assert chase.status == "due"
    result = agenda(doc, "2026-03-03T09:00:00+01:00")  # exactly the due time: overdue from then on
    assert [a.status for a in result] == ["overdue"]
    assert result.next_wake_at is not None and result.next_wake_at > at("2026-03-03T09:00:00+01:00")


def test_a_snooze_ends_at_its_instant() -> None:
    until = "2026-03-02T12:00:00+01:00"
    contacts = [{"at": "2026-03-02T09:00:00+01:00", "kind": "snoozed", "action": "chase:acme:20260301T0800Z", "until": until}]
    (chase,) = agenda(state_doc(application(applied_at=APPLIED, contacts=contacts)), until)
    assert chase.status == "due"


def test_settling_one_action_by_hand_leaves_the_others_alone() -> None:
    contacts = [{"at": "2026-03-02T12:00:00+01:00", "kind": "dismissed", "action": "note:acme:one:jane"},
                {"at": "2026-03-02T12:00:00+01:00", "kind": "snoozed", "action": "note:acme:one:kim", "until": "2026-03-09T09:00:00+01:00"}]  # fmt: skip
    result = agenda(state_doc(application(interviews=[FIRST], applied_at=APPLIED, contacts=contacts)), "2026-03-02T13:00:00+01:00")
    assert [(a.key, a.status) for a in result] == [
        ("chase:acme:20260301T0800Z", "due"),
        ("note:acme:one:jane", "done"),
        ("note:acme:one:kim", "upcoming"),
        ("once:acme::jane", "due"),
        ("once:acme::kim", "due"),
    ]


def test_under_a_shared_cap_the_more_important_application_goes_first() -> None:
    rules = {"version": 1, "caps": [{"id": "one-a-day", "per": "everything", "max": 1, "within": {"days": 1}}],
             "rules": [{"id": "chase", "kind": "follow_up", "for_each": "application", "channel": "email", "caps": ["one-a-day"],
                        "window": {"opens": {"at": "application.applied_at"}, "due": {"at": "opens", "plus": {"days": 2}}}}]}  # fmt: skip
    doc = state_doc(application("early", applied_at="2026-03-01T09:00:00+01:00", priority=4),
                    application("keen", applied_at="2026-03-01T10:00:00+01:00", priority=1))  # fmt: skip
    for engine in (Engine(load_rulebook(rules), reference=True), Engine(load_rulebook(rules))):
        assert engine.program is not None
        result = engine.evaluate(load_state(doc), at("2026-03-02T12:00:00+01:00"))
        assert {a.application: a.status for a in result} == {"keen": "due", "early": "suppressed"}


def test_an_employers_answer_settles_in_the_words_of_its_kind() -> None:
    from followup import Contact
    from followup.engine._engine import _done_reason

    answer = Contact(at=at("2026-03-02T09:00:00+01:00"), kind="status_call", direction="in")
    assert _done_reason(answer, ZoneInfo("Europe/Berlin")) == "settled by the employer's status call Mon 2 Mar 2026 09:00 CET"


def test_the_default_rulebook_is_used_when_none_is_given() -> None:
    assert [r.id for r in Engine().rulebook.rules] == [r.id for r in load_rulebook().rules]


class _Unknown(dt.tzinfo):
    """A time zone that cannot say its offset."""

    def utcoffset(self, when: dt.datetime | None) -> dt.timedelta | None:
        return None

    def dst(self, when: dt.datetime | None) -> dt.timedelta | None:
        return None


def test_a_now_whose_zone_gives_no_offset_is_refused() -> None:
    with pytest.raises(InvalidInput, match="has no time zone"):
        Engine(ENGINE_RULES).evaluate(load_state(state_doc(application())), dt.datetime(2026, 3, 2, 12, 0, tzinfo=_Unknown()))


def test_done_when_after_the_window_opens_counts_from_this_windows_opening() -> None:
    rules = {"version": 1, "rules": [{"id": "ask", "kind": "follow_up", "for_each": "application", "channel": "email",
             "window": {"opens": {"at": "application.applied_at", "plus": {"days": 3}}, "due": {"at": "opens", "plus": {"days": 2}}},
             "done_when": [{"kind": "follow_up", "after": {"at": "opens"}}]}]}  # fmt: skip
    engines = (Engine(load_rulebook(rules), reference=True), Engine(load_rulebook(rules)))
    for when, status in (("2026-03-02T09:00:00+01:00", "due"), ("2026-03-04T10:00:00+01:00", "done")):
        doc = state_doc(application(applied_at=APPLIED, contacts=[{"at": when, "kind": "follow_up"}]))
        for engine in engines:
            assert engine.program is not None
            (ask,) = engine.evaluate(load_state(doc), at("2026-03-05T12:00:00+01:00"))
            assert ask.status == status, (when, engine.reference)


SHARED = {
    "version": 1,
    "rules": [
        {"id": "thanks", "kind": "thank_you_note", "for_each": "interviewer", "channel": "email",
         "window": {"opens": {"at": "interview.ended_at"}, "due": {"at": "opens", "plus": {"days": 1}},
                    "expires": {"at": "opens", "plus": {"days": 3}}}},
        {"id": "each", "kind": "follow_up", "for_each": "interviewer", "distinct": "recipient", "channel": "email",
         "window": {"opens": {"at": "interview.ended_at"}, "due": {"at": "opens", "plus": {"days": 2}},
                    "expires": {"at": "opens", "plus": {"days": 4}}}},
    ],
}  # fmt: skip
LATER = {"id": "later", "starts_at": "2026-03-09T10:00:00+01:00", "interviewers": [interviewer("lee")]}  # not held yet
EARLY = {"id": "zero", "starts_at": "2026-02-27T10:00:00+01:00", "interviewers": [interviewer("max")]}  # its end never logged
VOID = {"id": "void", "starts_at": "2026-02-26T10:00:00+01:00", "status": "cancelled", "interviewers": [interviewer("ann")]}  # no end ever


@pytest.mark.parametrize(
    ("now", "expected"),
    [
        # the first interview's notes expire at exactly 3 days; the second's are still open
        ("2026-03-05T10:59:00+01:00", ["each:acme::jane", "each:acme::kim", "thanks:acme:one:jane", "thanks:acme:one:kim", "thanks:acme:two:jane"]),
        ("2026-03-05T11:00:00+01:00", ["each:acme::jane", "each:acme::kim", "thanks:acme:two:jane"]),
        # one per person, the latest interview deciding: Kim's expired with the first, Jane's lives on with the second
        ("2026-03-06T11:00:00+01:00", ["each:acme::jane", "thanks:acme:two:jane"]),
        ("2026-03-08T11:00:00+01:00", []),
    ],
)  # fmt: skip
def test_windows_shared_by_an_interviews_people_expire_at_their_instant(now: str, expected: list[str]) -> None:
    doc = state_doc(application(interviews=[VOID, EARLY, FIRST, SECOND, LATER], applied_at=APPLIED))  # the ones without an end first
    results = []
    for engine in (Engine(load_rulebook(SHARED), reference=True), Engine(load_rulebook(SHARED))):
        assert engine.program is not None
        result = engine.evaluate(load_state(doc), at(now))
        results.append(sorted((a.key, a.status, a.due_at, a.expires_at) for a in result))
        assert sorted(a.key for a in result) == expected, engine.reference
    assert results[0] == results[1]


def test_keys_and_times_do_not_depend_on_the_machines_time_zone() -> None:
    """A repeating action's key carries its opening in UTC, whatever zone the machine is set to."""
    import os
    import time

    before = os.environ.get("TZ")
    os.environ["TZ"] = "Asia/Tokyo"
    time.tzset()
    try:
        (chase,) = agenda(state_doc(application(applied_at=APPLIED)), "2026-03-02T12:00:00+01:00")
    finally:
        if before is None:
            del os.environ["TZ"]
        else:
            os.environ["TZ"] = before
        time.tzset()
    assert chase.key == "chase:acme:20260301T0800Z"
    assert chase.due_at == at("2026-03-03T09:00:00+01:00")
