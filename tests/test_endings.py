"""Every application has an end, and every message fits where it stands (issue #14).

Seen from the job seeker: what each ending leaves on the agenda, what each note says
in each status, how leverage stays honest, how a typo in the state is caught before it
goes out, and the bad input around endings.
"""

from __future__ import annotations

import datetime as dt
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from conftest import ROOT, application, at, by_rule, interviewer, state_doc
from followup import Engine, State, load_rulebook, load_state, parse_instant
from followup.delivery import Config, Dispatcher
from followup.delivery.messages import build_context, render_message
from followup.delivery.messages.checks import followup_check_message
from followup.stores.memory import open_memory
from followup.testing.stores import RecordingChannel, channel_plugin, plugin_manager_with

ENGINE = Engine(load_rulebook())
ACCEPTED_EXAMPLE = ROOT / "examples" / "simulate-accepted-offer.yaml"

#: kinds that chase an employer (ask where things stand or push the process on)
CHASES = frozenset(
    {"status_call", "follow_up", "requested_follow_up", "leverage_follow_up", "application_follow_up", "close_the_loop"}
)


def interview(id: str, ended: str, *people: dict[str, Any], **extra: Any) -> dict[str, Any]:
    end = parse_instant(ended)
    start = (end - dt.timedelta(hours=1)).isoformat()
    return {"id": id, "starts_at": start, "ended_at": ended, "interviewers": list(people), **extra}


def messages(state: State, now: str, kind: str, application: str | None = None) -> list[Any]:
    """Every phrasing (three recipients' worth) of each open action of ``kind``."""
    moment = parse_instant(now)
    found = []
    for action in ENGINE.evaluate(state, moment):
        if action.kind != kind or action.status == "done" or (application and action.application != application):
            continue
        for index in range(3):
            context = build_context(state, action, {}, now=moment)
            context["recipient_index"] = index
            message = render_message(context)
            blocks = [b for b in followup_check_message(message, context) if b.check != "contact-detail"]
            assert blocks == [], (action.key, index, blocks)
            found.append(message)
    assert found, f"no open {kind} at {now}"
    return found


def text(message: Any) -> str:
    return f"{message.subject}\n{message.body}".lower()


#: wording that contradicts an ending: eagerness about what comes next, or asking for
#: an answer that has already been given
AFTER_AN_ENDING = re.compile(r"next step|enthusias|look forward to hearing|eager|any news|still keen|your decision")
STRENGTH = "ten years of building payment systems"


def search(**extra: Any) -> dict[str, Any]:
    people = [
        interviewer("ana", name="Ana Lopes", title="Director of Engineering"),
        interviewer("ben", name="Ben Ito", title="Staff Engineer"),
        interviewer("cleo", name="Cleo Marsh", title="Product Manager"),
    ]
    acme = application(
        "acme",
        company="Acme Payments",
        strengths=[STRENGTH],
        interviews=[interview("onsite", "2026-11-26T12:00:00+01:00", *people)],  # a Thursday
        **extra,
    )
    return state_doc(acme, references=[{"id": "ref-kim", "name": "Kim Lindqvist", "email": "kim@example.org"}])


# -- wording against the status ---------------------------------------------------------------


def test_a_rejection_the_next_morning_gets_one_note_per_person_with_thanks_feedback_and_referrals() -> None:
    state = load_state(search(status="rejected", status_changed_at="2026-11-27T09:00:00+01:00"))
    agenda = ENGINE.evaluate(state, at("2026-11-27T10:00:00+01:00"))
    assert {a.kind for a in agenda if a.status != "done" and a.application} == {"bridge_note"}
    assert sorted(a.recipient for a in agenda if a.application) == ["ana", "ben", "cleo"]
    for message in messages(state, "2026-11-27T10:00:00+01:00", "bridge_note"):
        body = text(message)
        assert not AFTER_AN_ENDING.search(body), message.body
        assert "decision" not in body  # the outcome is known: nothing to ask about it
        assert "thursday, 26 november" in body  # the thanks still owed for the interview
        assert "feedback" in body and ("referral" in body or "introduction" in body)
        assert STRENGTH in body


def test_a_withdrawal_note_thanks_and_withdraws_without_enthusiasm_for_next_steps() -> None:
    state = load_state(search(status="withdrawn", status_changed_at="2026-11-27T09:00:00+01:00"))
    agenda = ENGINE.evaluate(state, at("2026-11-27T10:00:00+01:00"))
    assert [a.key for a in agenda if a.status != "done" and a.application] == ["withdrawal-note:acme"]
    for message in messages(state, "2026-11-27T10:00:00+01:00", "withdrawal_note"):
        body = text(message)
        assert not AFTER_AN_ENDING.search(body), message.body
        assert "interested" not in body and "first choice" not in body
        assert "thank" in body and "withdraw" in body
        assert "accepted" not in body  # nobody else's offer was accepted


def test_the_notes_of_a_live_application_keep_their_interest() -> None:
    state = load_state(search(status="interviewing"))
    for message in messages(state, "2026-11-27T10:00:00+01:00", "thank_you_note"):
        assert STRENGTH in message.body  # why you fit, from the state
        assert "withdraw" not in text(message)


@pytest.mark.parametrize(
    ("kind", "doc", "now"),
    [
        ("thank_you_note", search(), "2026-11-27T10:00:00+01:00"),
        ("bridge_note", search(status="rejected", status_changed_at="2026-11-27T09:00:00+01:00"), "2026-11-27T10:00:00+01:00"),
        ("withdrawal_note", search(status="withdrawn", status_changed_at="2026-11-27T09:00:00+01:00"), "2026-11-27T10:00:00+01:00"),
        ("reference_alert", search(), "2026-11-27T10:00:00+01:00"),
        ("status_call", search(), "2026-12-03T10:00:00+01:00"),
    ],
)
def test_every_note_says_why_the_candidate_fits_and_stays_short(kind: str, doc: dict[str, Any], now: str) -> None:
    for message in messages(load_state(doc), now, kind):
        assert STRENGTH in message.body
        assert len(message.body.split()) <= 160, message.body


# -- accepting ends the search ----------------------------------------------------------------


def test_the_accepted_example_ends_the_search_in_preview_and_simulate() -> None:
    state = load_state(ACCEPTED_EXAMPLE)
    after = ENGINE.evaluate(state, at("2027-02-16T10:00:00+01:00"))
    open_ = [a for a in after if a.status in ("due", "overdue", "upcoming", "suppressed")]
    assert {a.kind for a in open_} == {"withdrawal_note", "reference_thanks"}
    assert {a.application for a in open_ if a.kind == "withdrawal_note"} == {"northwind-data", "lumen-health"}
    assert {a.recipient for a in open_ if a.kind == "reference_thanks"} == {"ref-kim", "ref-omar"}
    for kind in ("withdrawal_note", "reference_thanks"):
        for message in messages(state, "2027-02-16T10:00:00+01:00", kind):
            assert "accepted" in text(message)
            assert not AFTER_AN_ENDING.search(text(message))
    result = subprocess.run(
        [sys.executable, "-m", "followup", "simulate", str(ACCEPTED_EXAMPLE), "--from", "2027-01-11",
         "--until", "2027-03-15", "--assume-done", "--format", "json"],
        capture_output=True, text=True, timeout=300, check=False,
    )
    assert result.returncode == 0, result.stderr
    import json

    events = json.loads(result.stdout)["events"]
    accepted_at = at("2027-02-12T10:00:00+01:00")
    opened_after = [
        e for e in events
        if e["status"] in ("due", "overdue") and parse_instant(e["at"]) >= accepted_at and e["application"] != "quill-media"
    ]
    assert opened_after and all(e["kind"] in ("withdrawal_note",) for e in opened_after), opened_after
    kinds = {e["kind"] for e in events}
    assert {"application_follow_up", "leverage_follow_up", "offer_decision", "withdrawal_note", "reference_thanks"} <= kinds


def _any_search() -> st.SearchStrategy[tuple[dict[str, Any], str]]:
    statuses = st.sampled_from(["applied", "interviewing", "offer", "rejected", "withdrawn"])

    @st.composite
    def build(draw: Any) -> tuple[dict[str, Any], str]:
        base = at("2026-11-02T09:00:00+01:00")
        apps = []
        for index in range(draw(st.integers(1, 4))):
            status = draw(statuses)
            ended = base + dt.timedelta(hours=draw(st.integers(0, 24 * 30)))
            extra: dict[str, Any] = {"priority": draw(st.integers(1, 5)), "applied_at": "2026-10-26"}
            if draw(st.booleans()):
                extra["interviews"] = [interview("i", ended.isoformat(), interviewer(f"p{index}"))]
            if draw(st.booleans()):
                extra["recruiter"] = {"id": f"r{index}", "name": "Rae Example", "email": f"r{index}@x.example"}
            if status in ("rejected", "withdrawn"):
                extra["status_changed_at"] = (ended + dt.timedelta(days=1)).isoformat()
            if status == "offer":
                extra["offer"] = {"received_at": ended.isoformat(), "respond_by": (ended + dt.timedelta(days=5)).isoformat()}
            if draw(st.booleans()):
                extra["follow_up_requested_on"] = (ended + dt.timedelta(days=draw(st.integers(1, 20)))).date().isoformat()
            apps.append(application(f"a{index}", status=status, **extra))
        accepted_at = base + dt.timedelta(hours=draw(st.integers(0, 24 * 40)))
        apps.append(
            application("won", status="accepted", status_changed_at=accepted_at.isoformat(), priority=draw(st.integers(1, 5)),
                        offer={"received_at": (accepted_at - dt.timedelta(days=2)).isoformat()})
        )
        later = accepted_at + dt.timedelta(hours=draw(st.integers(0, 24 * 60)))
        return state_doc(*apps, references=[{"id": "ref", "name": "Kim Lindqvist"}]), later.isoformat()

    return build()


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_any_search())
def test_once_an_offer_is_accepted_no_chase_of_any_other_application_is_ever_open(case: tuple[dict[str, Any], str]) -> None:
    doc, later = case
    agenda = ENGINE.evaluate(load_state(doc), at(later))
    chasing = [a.key for a in agenda if a.kind in CHASES | {"keep_searching"} and a.status != "done"]
    assert chasing == []
    # and nothing new is asked of the other employers but a withdrawal note
    others = {a.kind for a in agenda if a.application not in (None, "won") and a.status != "done"}
    assert others <= {"withdrawal_note", "bridge_note"}


# -- offers and leverage ----------------------------------------------------------------------


def leverage_search(*, respond_by: str, harbor_medium: str = "postal") -> dict[str, Any]:
    met = [interview("one", "2026-11-20T12:00:00+01:00",
                     interviewer("greta", name="Greta Schulz", email=None, postal_address="Kaiserkai 12\n20457 Hamburg"))]
    return state_doc(
        application("quill", company="Quill Media", status="offer", priority=4,
                    offer={"received_at": "2026-11-25T16:00:00+01:00", "respond_by": respond_by}),
        application("north", company="Northwind", priority=1, interviews=met, strengths=[STRENGTH]),
        application("harbor", company="Harbor", priority=2, preferred_medium=harbor_medium, interviews=met),
        application("atlas", company="Atlas", priority=3, interviews=met),
        application("delta", company="Delta", priority=2),  # wanted more, never met: nothing to lean on
    )


def test_leverage_goes_only_to_employers_met_and_wanted_more_and_only_the_first_hears_it_is_first() -> None:
    state = load_state(leverage_search(respond_by="2026-12-31"))
    agenda = by_rule(ENGINE.evaluate(state, at("2026-11-26T10:00:00+01:00")), "leverage-offer")
    assert sorted(a.application for a in agenda) == ["atlas", "harbor", "north"]
    assert {a.application: a.channel for a in agenda}["harbor"] == "postal"  # a month: a letter arrives in time
    for message in messages(state, "2026-11-26T10:00:00+01:00", "leverage_follow_up", "north"):
        assert "first choice" in text(message) or "most like" in text(message)
    for other in ("harbor", "atlas"):
        for message in messages(state, "2026-11-26T10:00:00+01:00", "leverage_follow_up", other):
            assert "first choice" not in text(message) and "most like" not in text(message)
    for message in [m for app in ("north", "harbor", "atlas")
                    for m in messages(state, "2026-11-26T10:00:00+01:00", "leverage_follow_up", app)]:
        body = text(message)
        assert "where" in body and "stand" in body  # asks where things stand...
        assert "decision" not in body and "decide" not in body  # ...and demands nothing
        assert "31 december" in body  # given the deadline


def test_no_letter_for_a_deadline_a_letter_cannot_meet() -> None:
    state = load_state(leverage_search(respond_by="2026-12-01"))
    (harbor,) = [a for a in by_rule(ENGINE.evaluate(state, at("2026-11-26T10:00:00+01:00")), "leverage-offer")
                 if a.application == "harbor"]
    assert harbor.channel == "phone"  # no email or fax on file: a call, not a letter that comes too late


def test_an_offer_deadline_tomorrow_is_on_the_agenda_now() -> None:
    doc = state_doc(application("quill", status="offer", status_changed_at="2026-11-30T09:00:00+01:00",
                                offer={"received_at": "2026-11-30T09:00:00+01:00", "respond_by": "2026-12-01T17:00:00+01:00"}))
    agenda = ENGINE.evaluate(load_state(doc), at("2026-11-30T10:00:00+01:00"))
    assert {(a.kind, a.status) for a in agenda} >= {("offer_decision", "due"), ("offer_deadline", "due")}


# -- spelling: the state's typos are caught and named -----------------------------------------

TYPO_STATE = """\
version: 1
candidate: {name: Alex Morgan, email: alex@example.org, timezone: Europe/Berlin}
applications:
  - id: acme
    company: Acme Tools
    position: Sofware Engineer
    status: interviewing
    interviews:
      - id: onsite
        starts_at: 2026-11-26T10:00:00+01:00
        ended_at: 2026-11-26T12:00:00+01:00
        interviewers:
          - {id: ana, name: Ana Lopes, title: Director, email: ana@acme.example}
  - id: globex
    company: Globex
    position: Data Engineer
    status: interviewing
    interviews:
      - id: panel
        starts_at: 2026-11-26T10:00:00+01:00
        ended_at: 2026-11-26T12:00:00+01:00
        topics: [the databse migraton]
        interviewers:
          - {id: sam, name: Sam Okafor, title: Enginering Manager, email: sam@globex.example}
"""


def test_typos_in_a_position_a_title_a_topic_and_a_template_are_blocked_and_named(tmp_path: Path) -> None:
    path = tmp_path / "state.yaml"
    path.write_text(TYPO_STATE)
    templates = tmp_path / "templates"
    templates.mkdir()
    (templates / "reference_alert.txt").write_text(
        '{% extends "default/reference_alert.txt" %}\n{% block subject %}A quick heads-up from me{% endblock %}\n'
    )
    (templates / "thank_you_note.txt").write_text(
        '{% extends "default/thank_you_note.txt" %}\n'
        "{% block subject %}\n"
        "Thank you for the {{ application.position }} intervew\n"
        "{% endblock %}\n"
    )
    store = open_memory("memory:")
    store.import_state(load_state(path))
    channel = RecordingChannel()
    pm = plugin_manager_with(channel_plugin(channel))
    worker = Dispatcher(store, config=Config(data={"template_dir": str(templates)}), plugin_manager=pm)
    report = worker.run_once(at("2026-11-26T13:00:00+01:00"))
    failed = {key: store.outbox_entry(key).error for key in report.keys("failed")}  # type: ignore[union-attr]
    assert set(failed) == {"thank-you-note:acme:onsite:ana", "thank-you-note:globex:panel:sam"}
    acme = failed["thank-you-note:acme:onsite:ana"]
    assert "'Sofware'" in acme and f"{path}:6" in acme and "applications[acme].position" in acme
    assert "'intervew'" in acme and "thank_you_note.txt:3" in acme  # the template's own typo, by line
    globex = failed["thank-you-note:globex:panel:sam"]
    assert "'Enginering'" in globex and f"{path}:24" in globex and "interviewers[sam].title" in globex
    assert "'databse'" in globex and "'migraton'" in globex and f"{path}:22" in globex
    assert not {k for k in channel.keys if k.startswith("thank-you-note")}
    store.close()


def test_a_personal_word_list_accepts_what_the_dictionary_does_not(tmp_path: Path) -> None:
    config = tmp_path / "config.toml"
    config.write_text('[spelling]\nword_list = "my-words.txt"\n')
    (tmp_path / "my-words.txt").write_text("# my words\nSofware\n")
    from followup.delivery import load_config

    loaded = load_config(config)
    assert loaded.personal_words == ("Sofware",)
    state = load_state(TYPO_STATE_FILE(tmp_path))
    action = next(a for a in ENGINE.evaluate(state, at("2026-11-26T13:00:00+01:00")) if a.application == "acme")
    context = build_context(state, action, loaded.as_context())
    message = render_message(context)
    assert [b for b in followup_check_message(message, context) if b.check == "spelling"] == []


def TYPO_STATE_FILE(folder: Path) -> Path:
    path = folder / "state.yaml"
    path.write_text(TYPO_STATE)
    return path


# -- bad input --------------------------------------------------------------------------------


def followup(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    import os

    return subprocess.run([sys.executable, "-m", "followup", *args], capture_output=True, text=True, timeout=120,
                          env={**os.environ, **(env or {})}, check=False)


def test_two_accepted_offers_are_refused_with_file_line_and_value(tmp_path: Path) -> None:
    path = tmp_path / "state.yaml"
    path.write_text(
        "version: 1\ncandidate: {name: Alex Morgan, timezone: Europe/Berlin}\napplications:\n"
        "  - {id: one, company: One, position: Engineer, status: accepted}\n"
        "  - {id: two, company: Two, position: Engineer, status: accepted}\n"
    )
    result = followup("validate", str(path))
    assert result.returncode == 1 and "Traceback" not in result.stderr
    assert f"{path}:5" in result.stderr and "'two'" in result.stderr and "'one' (line 4)" in result.stderr


def test_an_offer_answered_before_it_arrived_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "state.yaml"
    path.write_text(
        "version: 1\ncandidate: {name: Alex Morgan, timezone: Europe/Berlin}\napplications:\n"
        "  - id: one\n    company: One\n    position: Engineer\n    status: offer\n"
        "    offer: {received_at: '2026-11-25T16:00:00+01:00', respond_by: 2026-11-20}\n"
    )
    result = followup("validate", str(path))
    assert result.returncode == 1 and "Traceback" not in result.stderr
    assert f"{path}:8" in result.stderr and "'2026-11-20'" in result.stderr and "before" in result.stderr


@pytest.mark.parametrize("problem", ["missing", "folder", "not-utf8", "two-words"])
def test_a_personal_word_list_that_cannot_be_read_is_an_error(tmp_path: Path, problem: str) -> None:
    config = tmp_path / "config.toml"
    config.write_text('# my settings\n[spelling]\nword_list = "words-list.txt"\n')
    target = tmp_path / "words-list.txt"
    if problem == "folder":
        target.mkdir()
    elif problem == "not-utf8":
        target.write_bytes(b"caf\xe9\n")
    elif problem == "two-words":
        target.write_text("fine\nnot fine\n")
    result = followup("preview", str(ROOT / "examples" / "job-search.yaml"), "--all", "--now",
                      "2026-11-30T09:30:00+01:00", env={"FOLLOWUP_CONFIG": str(config)})
    assert result.returncode == 1 and "Traceback" not in result.stderr, result.stderr
    if problem == "two-words":
        assert f"{target}:2" in result.stderr and "'not fine'" in result.stderr
    else:
        assert f"{config}:3" in result.stderr and "words-list.txt" in result.stderr


# -- preview shows every kind of the shipped examples -----------------------------------------


def test_preview_shows_every_kind_of_the_default_rulebook_for_the_shipped_examples() -> None:
    kinds: set[str] = set()
    for example, now in (
        ("job-search.yaml", "2026-11-30T09:30:00+01:00"),
        ("job-search.yaml", "2026-12-08T10:00:00+01:00"),
        ("simulate-accepted-offer.yaml", "2027-02-16T10:00:00+01:00"),
        ("simulate-accepted-offer.yaml", "2027-02-12T09:00:00+01:00"),
        ("simulate-accepted-offer.yaml", "2027-01-13T12:00:00+01:00"),
    ):
        result = followup("preview", str(ROOT / "examples" / example), "--all", "--now", now)
        assert result.returncode == 0, (example, now, result.stderr)
        kinds |= set(re.findall(r"^Action:  ([a-z-]+):", result.stdout, re.M))
    rules = {rule.id for rule in load_rulebook().rules}
    assert rules - kinds - {"close-the-loop", "patient-follow-up", "keep-searching"} == set()
