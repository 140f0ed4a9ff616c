"""The conversation sets the pace: replies that say something, the employer's dates,
patience and the gone-quiet ending, the live pipeline, company-wide caps and the
medium of every chase. Seen from the job seeker's side: what is open on which day.

Dates are in November/December 2026, Europe/Berlin (Berlin holidays): the interviews
are on Thu 12 Nov; Christmas Day and Boxing Day are holidays.
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from conftest import ROOT, application, at, by_rule, state_doc
from followup import Engine, InvalidInput, load_rulebook, load_state
from followup.cli import main

PANEL = {"id": "panel", "starts_at": "2026-11-12T09:00:00+01:00", "ended_at": "2026-11-12T11:00:00+01:00"}
BERLIN = {"holidays": {"country": "DE", "subdivision": "BE"}}


def one(*contacts: dict[str, Any], **extra: Any) -> dict[str, Any]:
    """One application interviewed on Thu 12 Nov, with these log entries."""
    interviews = extra.pop("interviews", [PANEL])
    return state_doc(application(interviews=interviews, contacts=list(contacts), **extra), **BERLIN)


def reply(at_: str, **said: Any) -> dict[str, Any]:
    return {"at": at_, "kind": "reply", **said}


def chases(agenda: Any, application_id: str = "acme") -> list[Any]:
    kinds = {"status_call", "follow_up", "requested_follow_up"}
    return [a for a in agenda if a.kind in kinds and a.application == application_id and a.status != "done"]


# -- replies that say something ---------------------------------------------------


def test_a_reply_records_each_thing_the_employer_can_say() -> None:
    doc = one(
        reply("2026-11-13T09:00:00+01:00", decision_expected_by="2026-12-04", medium="phone"),
        reply("2026-11-14T09:00:00+01:00", follow_up_requested_on="2026-11-20", next_round=True, on_hold=True),
        reply("2026-11-20T09:00:00+01:00", outcome="offer", respond_by="2026-11-27"),
    )
    contacts = load_state(doc).applications[0].contacts
    first, second, third = contacts
    assert first.decision_expected_by == at("2026-12-04T00:00:00+01:00") and first.medium == "phone"
    assert second.follow_up_requested_on == at("2026-11-20T00:00:00+01:00") and second.next_round and second.on_hold
    assert third.outcome == "offer" and third.respond_by == at("2026-11-27T00:00:00+01:00")
    assert all(c.says_where_things_stand for c in contacts)
    assert not load_state(one(reply("2026-11-13T09:00:00+01:00"))).applications[0].contacts[0].says_where_things_stand
    assert not load_state(one(reply("2026-11-13T09:00:00+01:00", medium="fax"))).applications[0].contacts[0].says_where_things_stand


def test_the_latest_word_wins(evaluate: Any) -> None:
    from followup.rules import StateView

    doc = one(
        reply("2026-11-13T09:00:00+01:00", decision_expected_by="2026-11-20", medium="fax"),
        reply("2026-11-18T09:00:00+01:00", decision_expected_by="2026-12-04"),
        decision_expected_by="2026-11-16",
    )
    state = load_state(doc)
    early = StateView(state, at("2026-11-14T09:00:00+01:00")).applications[0].application
    late = StateView(state, at("2026-11-19T09:00:00+01:00")).applications[0].application
    assert early.decision_expected_by == at("2026-11-20T00:00:00+01:00")  # the reply beats the file's date
    assert late.decision_expected_by == at("2026-12-04T00:00:00+01:00")  # and the newer reply the older
    assert late.requested_medium == "fax" and late.written_medium == "fax"
    (call,) = by_rule(evaluate(doc, "2026-11-19T09:00:00+01:00"), "status-call")
    assert call.opens_at == at("2026-12-07T09:00:00+01:00")


def test_an_outcome_changes_the_status_from_the_reply_on(evaluate: Any) -> None:
    doc = one(reply("2026-11-17T09:00:00+01:00", outcome="rejected"))
    assert [a.status for a in by_rule(evaluate(doc, "2026-11-16T10:00:00+01:00"), "status-call")] == ["upcoming"]
    after = evaluate(doc, "2026-11-19T10:00:00+01:00")
    assert by_rule(after, "status-call") == []
    # a status set in the file after the reply is newer, and wins
    doc["applications"][0]["status"] = "interviewing"
    doc["applications"][0]["status_changed_at"] = "2026-11-18T09:00:00+01:00"
    (call,) = by_rule(evaluate(doc, "2026-11-19T10:00:00+01:00"), "status-call")
    assert call.opens_at == at("2026-11-24T09:00:00+01:00")  # the reply was news: a week after it


def test_an_offer_in_a_reply_is_leverage_for_a_more_wanted_application(evaluate: Any) -> None:
    wanted = application("bluepeak", priority=1, interviews=[PANEL])
    offering = application(
        "kestrel", priority=4, interviews=[PANEL],
        contacts=[reply("2026-11-18T09:00:00+01:00", outcome="offer", respond_by="2026-11-27")],
    )
    doc = state_doc(wanted, offering, **BERLIN)
    assert by_rule(evaluate(doc, "2026-11-17T10:00:00+01:00"), "leverage-offer") == []
    (note,) = by_rule(evaluate(doc, "2026-11-18T10:00:00+01:00"), "leverage-offer")
    assert note.application == "bluepeak" and note.expires_at == at("2026-11-27T00:00:00+01:00")


@pytest.mark.parametrize(
    ("entry", "words"),
    [
        ({"decision_expected_by": "next friday"}, ["decision_expected_by", "'next friday'", "ISO 8601"]),
        ({"medium": "pigeon"}, ["pigeon", "email", "postal", "fax", "phone"]),
        ({"follow_up_requested_on": "2026-11-12"}, ["follow_up_requested_on", "'2026-11-12'", "before the reply"]),
        ({"outcome": "ghosted"}, ["ghosted", "rejected", "offer"]),
        ({"respond_by": "2026-11-27"}, ["respond_by", "outcome: offer"]),
        ({"kind": "follow_up", "direction": "out", "on_hold": True}, ["on_hold", "direction 'in'"]),
    ],
)
def test_a_bad_reply_names_file_line_value_and_what_is_valid(tmp_path: Path, entry: dict[str, Any], words: list[str]) -> None:
    import yaml

    contact = {"at": "2026-11-13T09:00:00+01:00", "kind": "reply", **entry}
    path = tmp_path / "state.yaml"
    path.write_text(yaml.safe_dump(one(contact), sort_keys=False), encoding="utf-8")
    with pytest.raises(InvalidInput) as raised:
        load_state(path)
    text = str(raised.value)
    assert str(path) in text and ":" in text.split(str(path), 1)[1][:4]  # path:line:column
    for word in words:
        assert word in text, (word, text)


# -- followup log: each reply from the command line -----------------------------------------


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    with pytest.raises(SystemExit) as exit_info:
        main(list(args))
    captured = capsys.readouterr()
    return int(exit_info.value.code or 0), captured.out, captured.err


@pytest.fixture
def store_url(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> str:
    url = f"sqlite:///{tmp_path / 'search.db'}"
    code, _out, err = run(capsys, "import", str(ROOT / "examples" / "job-search.yaml"), "--store", url)
    assert code == 0, err
    return url


def _export(capsys: pytest.CaptureFixture[str], url: str) -> Any:
    code, out, err = run(capsys, "export", "--store", url, "--format", "json")
    assert code == 0, err
    return json.loads(out)


def test_followup_log_records_what_a_reply_says(store_url: str, capsys: pytest.CaptureFixture[str]) -> None:
    base = ("log", "contact", "bluepeak-platform", "reply", "--store", store_url)
    for extra in (
        ("--at", "2026-11-20T10:00:00+01:00", "--decision-expected-by", "2026-12-04"),
        ("--at", "2026-11-21T10:00:00+01:00", "--check-back-on", "2026-11-30", "--medium", "phone"),
        ("--at", "2026-11-22T10:00:00+01:00", "--next-round"),
        ("--at", "2026-11-23T10:00:00+01:00", "--on-hold"),
        ("--at", "2026-11-24T10:00:00+01:00", "--outcome", "offer", "--respond-by", "2026-12-01"),
    ):
        code, _out, err = run(capsys, *base, *extra)
        assert code == 0, err
    (bluepeak,) = [a for a in _export(capsys, store_url)["applications"] if a["id"] == "bluepeak-platform"]
    said = [c for c in bluepeak["contacts"] if c["at"] >= "2026-11-20"]
    assert said[0]["decision_expected_by"].startswith("2026-12-04")
    assert said[1]["follow_up_requested_on"].startswith("2026-11-30") and said[1]["medium"] == "phone"
    assert said[2]["next_round"] is True and said[3]["on_hold"] is True
    assert said[4]["outcome"] == "offer" and said[4]["respond_by"].startswith("2026-12-01")


@pytest.mark.parametrize(
    ("args", "words"),
    [
        (("bluepeak-platform", "reply", "--decision-expected-by", "soon"), ["--decision-expected-by", "'soon'", "ISO 8601"]),
        (("bluepeak-platform", "reply", "--medium", "pigeon"), ["--medium", "'pigeon'", "email, postal, fax, phone"]),
        (("bluepeak-platform", "reply", "--check-back-on", "2026-11-19"), ["--follow-up-requested-on", "'2026-11-19'", "before the reply"]),
        (("nowhere", "reply", "--on-hold"), ["'nowhere'", "bluepeak-platform"]),
        (("bluepeak-platform", "follow_up", "--on-hold"), ["--on-hold", "reply"]),
        (("bluepeak-platform", "reply", "--outcome", "ghosted"), ["--outcome", "rejected, offer"]),
        (("bluepeak-platform", "reply", "--respond-by", "2026-12-01"), ["--respond-by", "--outcome offer"]),
    ],
)
def test_a_refused_log_names_the_problem_and_writes_nothing(
    store_url: str, capsys: pytest.CaptureFixture[str], args: tuple[str, ...], words: list[str]
) -> None:
    before = _export(capsys, store_url)
    code, _out, err = run(capsys, "log", "contact", *args, "--store", store_url, "--at", "2026-11-20T10:00:00+01:00")
    assert code == 1 and "Traceback" not in err
    for word in words:
        assert word in err, (word, err)
    assert _export(capsys, store_url) == before


def test_followup_log_status_stale(store_url: str, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(capsys, "log", "status", "bluepeak-platform", "stale", "--store", store_url, "--at", "2026-12-20T10:00:00+01:00")
    assert code == 0, err and "stale" in out
    (bluepeak,) = [a for a in _export(capsys, store_url)["applications"] if a["id"] == "bluepeak-platform"]
    assert bluepeak["status"] == "stale"


# -- the employer's dates and a booked interview hold the chase --------------------------------


def test_a_courtesy_reply_then_two_weeks_of_silence(evaluate: Any) -> None:
    doc = one(reply("2026-11-13T09:00:00+01:00", note="Thanks, great meeting you!"))
    assert [a.status for a in chases(evaluate(doc, "2026-11-19T10:00:00+01:00"))] == ["due"]
    assert [(a.rule, a.status) for a in chases(evaluate(doc, "2026-11-27T10:00:00+01:00"))] == [("status-call", "overdue")]


def test_a_decision_date_later_than_ten_days_holds_every_chase(evaluate: Any) -> None:
    doc = one(reply("2026-11-13T09:00:00+01:00", decision_expected_by="2026-12-04"))
    for day in ("2026-11-19", "2026-11-24", "2026-12-04"):
        assert [a.status for a in chases(evaluate(doc, f"{day}T10:00:00+01:00"))] == ["upcoming"], day
    (call,) = chases(evaluate(doc, "2026-12-07T10:00:00+01:00"))
    assert (call.status, call.opens_at, call.due_at) == ("due", at("2026-12-07T09:00:00+01:00"), at("2026-12-08T17:00:00+01:00"))
    # called on the 7th, unanswered: the next follow-up a patient week later, not held by patience
    doc["applications"][0]["contacts"].append({"at": "2026-12-07T10:00:00+01:00", "kind": "status_call"})
    (follow_up,) = chases(evaluate(doc, "2026-12-16T10:00:00+01:00"))
    assert (follow_up.rule, follow_up.status) == ("patient-follow-up", "due")


def test_a_check_back_day_after_the_decision_date_holds_the_follow_ups(evaluate: Any) -> None:
    doc = one(
        {"at": "2026-11-19T10:00:00+01:00", "kind": "status_call"},
        reply("2026-11-19T15:00:00+01:00", decision_expected_by="2026-11-25", follow_up_requested_on="2026-12-09"),
    )
    agenda = evaluate(doc, "2026-12-01T10:00:00+01:00")
    assert [(a.rule, a.opens_at) for a in chases(agenda)] == [("requested-follow-up", at("2026-12-09T09:00:00+01:00"))]


def test_explain_names_the_employer_date_and_the_booked_interview(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    import yaml

    dated = tmp_path / "dated.yaml"
    dated.write_text(yaml.safe_dump(one(reply("2026-11-13T09:00:00+01:00", decision_expected_by="2026-12-04"))), encoding="utf-8")
    code, out, err = run(capsys, "explain", str(dated), "status-call:acme", "--now", "2026-11-20T10:00:00+01:00")
    assert code == 0, err
    assert "held back by the employer's date: they said they would decide by Fri 4 Dec 2026" in out
    booked = {"id": "onsite", "starts_at": "2026-11-25T10:00:00+01:00"}
    held = tmp_path / "booked.yaml"
    held.write_text(yaml.safe_dump(one(reply("2026-11-13T09:00:00+01:00", next_round=True), interviews=[PANEL, booked])), encoding="utf-8")
    code, out, err = run(capsys, "explain", str(held), "status-call:acme", "--now", "2026-11-20T10:00:00+01:00")
    assert code == 0, err
    assert "held back by the booked interview onsite on Wed 25 Nov 2026 10:00" in out


# -- patience, the closed loop, the live pipeline ----------------------------------------------


def test_patience_spent_then_silence_closes_the_loop_and_leaves_the_pipeline(evaluate: Any) -> None:
    others = [application(f"other{i}", company=f"Other {i}", status="applied", applied_at="2026-11-02") for i in range(2)]
    quiet = application(
        "acme", interviews=[PANEL], applied_at="2026-11-02",
        contacts=[
            {"at": "2026-11-19T10:00:00+01:00", "kind": "status_call"},
            {"at": "2026-11-30T10:00:00+01:00", "kind": "follow_up"},
            {"at": "2026-12-09T10:00:00+01:00", "kind": "follow_up"},
        ],
    )
    doc = state_doc(quiet, *others, **BERLIN)
    before = evaluate(doc, "2026-12-29T10:00:00+01:00")
    assert chases(before) == [] and by_rule(before, "keep-searching") == []
    (close,) = by_rule(before, "close-the-loop")
    assert close.status == "upcoming" and close.opens_at == at("2026-12-30T10:00:00+01:00")
    assert before.next_wake_at == at("2026-12-30T10:00:00+01:00")
    after = evaluate(doc, "2026-12-30T10:30:00+01:00")
    assert [a.status for a in by_rule(after, "close-the-loop")] == ["due"]
    assert len(by_rule(after, "keep-searching")) == 1  # only two live applications now
    # the note sent and the application marked stale: nothing more for it
    doc["applications"][0]["contacts"].append({"at": "2026-12-30T11:00:00+01:00", "kind": "close_the_loop"})
    assert [a.status for a in by_rule(evaluate(doc, "2026-12-30T12:00:00+01:00"), "close-the-loop")] == ["done"]
    doc["applications"][0].update(status="stale", status_changed_at="2026-12-30T11:05:00+01:00")
    assert [a for a in evaluate(doc, "2027-01-20T12:00:00+01:00") if a.application == "acme" and a.status != "done"] == []


def test_a_user_rulebook_without_quiet_after_keeps_the_old_hold(tmp_path: Path, evaluate: Any) -> None:
    overlay = tmp_path / "patient.yaml"
    overlay.write_text(
        "version: 1\nextends: default\n"
        "caps:\n  - {id: patience, enabled: false}\n"
        "  - {id: endless-patience, per: application, max: 3, since: employer_reply, counts: [status_call, follow_up]}\n"
        "rules:\n  - {id: patient-follow-up, caps: [endless-patience, breathing-room, ceiling]}\n",
        encoding="utf-8",
    )
    doc = one(
        {"at": "2026-11-19T10:00:00+01:00", "kind": "status_call"},
        {"at": "2026-11-30T10:00:00+01:00", "kind": "follow_up"},
        {"at": "2026-12-09T10:00:00+01:00", "kind": "follow_up"},
    )
    agenda = evaluate(doc, "2026-12-29T10:00:00+01:00", rules=str(overlay))
    assert [(a.rule, a.cap) for a in chases(agenda)] == [("patient-follow-up", "endless-patience")]
    assert by_rule(agenda, "close-the-loop") == []


def test_quiet_after_belongs_to_a_patience_cap(tmp_path: Path) -> None:
    path = tmp_path / "bad.yaml"
    path.write_text("version: 1\nextends: default\ncaps:\n  - {id: ceiling, quiet_after: {weeks: 3}}\n", encoding="utf-8")
    with pytest.raises(InvalidInput) as raised:
        load_rulebook(str(path))
    assert "quiet_after" in str(raised.value) and "since: employer_reply" in str(raised.value)


# -- company-wide courtesy and the medium of every chase -------------------------------------------


def test_two_roles_at_one_company_get_one_status_call_at_a_time(evaluate: Any) -> None:
    manager = [{"id": "pia", "name": "Pia Holm", "title": "Head of Data", "email": "pia@northwind.example"}]
    data = application("northwind-data", company="Northwind", priority=1, interviews=[{**PANEL, "interviewers": manager}])
    ml = application("northwind-ml", company="Northwind", priority=2, interviews=[{**PANEL, "id": "ml", "interviewers": manager}])
    doc = state_doc(data, ml, **BERLIN)
    calls = {a.application: a for a in by_rule(evaluate(doc, "2026-11-19T10:00:00+01:00"), "status-call")}
    assert calls["northwind-data"].status == "due"
    assert (calls["northwind-ml"].status, calls["northwind-ml"].cap) == ("suppressed", "breathing-room")
    doc["applications"][0]["contacts"] = [{"at": "2026-11-19T10:30:00+01:00", "kind": "status_call"}]
    calls = {a.application: a for a in by_rule(evaluate(doc, "2026-11-23T10:00:00+01:00"), "status-call")}
    assert calls["northwind-ml"].frees_at == at("2026-11-26T10:30:00+01:00")
    assert [a.status for a in by_rule(evaluate(doc, "2026-11-26T11:00:00+01:00"), "status-call") if a.application == "northwind-ml"] == ["overdue"]


def test_a_user_rulebook_can_still_scope_a_cap_per_application(tmp_path: Path, evaluate: Any) -> None:
    overlay = tmp_path / "per-application.yaml"
    overlay.write_text("version: 1\nextends: default\ncaps:\n  - {id: breathing-room, per: application}\n", encoding="utf-8")
    data = application("northwind-data", company="Northwind", interviews=[PANEL])
    ml = application("northwind-ml", company="Northwind", interviews=[PANEL])
    agenda = evaluate(state_doc(data, ml, **BERLIN), "2026-11-19T10:00:00+01:00", rules=str(overlay))
    assert [a.status for a in by_rule(agenda, "status-call")] == ["due", "due"]


@pytest.mark.parametrize(
    ("preferred", "said", "channel"),
    [("postal", {}, "postal"), ("fax", {}, "fax"), ("phone", {}, "phone"), ("postal", {"medium": "email"}, "email"), ("email", {"medium": "phone"}, "phone")],
)
def test_follow_ups_go_by_the_medium_asked_for_else_the_preferred_one(
    evaluate: Any, preferred: str, said: dict[str, Any], channel: str
) -> None:
    contacts = [{"at": "2026-11-19T10:00:00+01:00", "kind": "status_call"}]
    if said:
        contacts.append(reply("2026-11-19T15:00:00+01:00", **said))
    (follow_up,) = by_rule(evaluate(one(*contacts, preferred_medium=preferred), "2026-12-01T10:00:00+01:00"), "patient-follow-up")
    assert follow_up.channel == channel


def test_call_me_on_the_first_is_a_call(evaluate: Any) -> None:
    doc = one(reply("2026-11-20T09:00:00+01:00", follow_up_requested_on="2026-12-01", medium="phone"), preferred_medium="fax")
    (request,) = by_rule(evaluate(doc, "2026-12-01T10:00:00+01:00"), "requested-follow-up")
    assert (request.channel, request.status) == ("phone", "due")


def test_a_postal_only_employer_gets_letters_that_pass_the_contact_detail_check() -> None:
    from followup.delivery.messages import build_context, render_message
    from followup.delivery.messages.checks import check_contact_detail

    person = {"id": "jan", "name": "Jan Novak", "title": "Plant Manager", "postal_address": "Hafenstr. 1\n20457 Hamburg"}
    doc = one({"at": "2026-11-19T10:00:00+01:00", "kind": "status_call"}, preferred_medium="postal", interviews=[{**PANEL, "interviewers": [person]}])
    state = load_state(doc)
    now = at("2026-12-01T10:00:00+01:00")
    (follow_up,) = [a for a in Engine(load_rulebook()).evaluate(state, now) if a.rule == "patient-follow-up"]
    context = build_context(state, follow_up, {}, now=now)
    message = render_message(context)
    assert message.medium == "postal"
    assert check_contact_detail(message, context) == []


def test_the_agenda_shows_keys_as_written_not_as_emoji(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import yaml

    monkeypatch.setenv("COLUMNS", "200")  # wide enough for whole keys (pytest-xdist sets 80)

    path = tmp_path / "soon.yaml"
    path.write_text(yaml.safe_dump(state_doc(application("soon", interviews=[PANEL]), **BERLIN)), encoding="utf-8")
    code, out, err = run(capsys, "agenda", str(path), "--now", "2026-11-19T10:00:00+01:00", "--wide")
    assert code == 0, err
    assert "status-call:soon:" in out


def test_a_message_sees_the_application_as_the_replies_left_it() -> None:
    from followup.delivery.messages import build_context, render_message

    person = {"id": "pia", "name": "Pia Holm", "title": "Head of Data", "email": "pia@acme.example"}
    doc = one(
        reply("2026-11-20T09:00:00+01:00", follow_up_requested_on="2026-12-01", medium="fax"),
        interviews=[{**PANEL, "interviewers": [{**person, "fax": "+49 30 5550 9999"}]}],
    )
    state = load_state(doc)
    now = at("2026-12-01T10:00:00+01:00")
    (request,) = [a for a in Engine(load_rulebook()).evaluate(state, now) if a.rule == "requested-follow-up"]
    context = build_context(state, request, {}, now=now)
    assert context["application"].follow_up_requested_on == at("2026-12-01T00:00:00+01:00")
    assert context["medium"] == "fax" and render_message(context).medium == "fax"


def test_an_outcome_logged_in_a_store_is_the_applications_status_there(store_url: str, capsys: pytest.CaptureFixture[str]) -> None:
    code, _out, err = run(
        capsys, "log", "contact", "bluepeak-platform", "reply", "--store", store_url,
        "--at", "2026-12-02T10:00:00+01:00", "--outcome", "offer", "--respond-by", "2026-12-09",
    )
    assert code == 0, err
    (bluepeak,) = [a for a in _export(capsys, store_url)["applications"] if a["id"] == "bluepeak-platform"]
    assert bluepeak["status"] == "offer" and bluepeak["status_changed_at"].startswith("2026-12-02T10:00")
    assert bluepeak["offer"]["received_at"].startswith("2026-12-02T10:00") and bluepeak["offer"]["respond_by"].startswith("2026-12-09")
    from followup.stores import open_store

    store = open_store(store_url)
    try:
        assert "bluepeak-platform" in {o.application for o in _offers(store)}
    finally:
        store.close()


def _offers(store: Any) -> list[Any]:
    from followup.rules import StateView

    state = store.load_state([], heads="offers", as_of=at("2026-12-03T10:00:00+01:00"))
    return StateView(state, at("2026-12-03T10:00:00+01:00")).offers


def test_a_phone_follow_up_is_a_call_in_the_employers_working_time(evaluate: Any) -> None:
    doc = one(
        {"at": "2026-11-19T16:00:00+01:00", "kind": "status_call"},
        reply("2026-11-19T17:30:00+01:00", medium="phone"),
        company="Bluepeak Software",
    )
    doc["companies"] = [{"name": "Bluepeak Software", "timezone": "America/New_York", "holidays": {"country": "US", "subdivision": "NY"}}]
    (call,) = by_rule(evaluate(doc, "2026-11-30T10:00:00+01:00"), "patient-follow-up")
    assert call.channel == "phone"
    new_york = ZoneInfo("America/New_York")
    for moment in (call.opens_at, call.due_at):
        local = moment.astimezone(new_york)
        assert local.weekday() < 5 and dt.time(9) <= local.time() <= dt.time(17), local
        assert local.date() != dt.date(2026, 11, 26)  # Thanksgiving
