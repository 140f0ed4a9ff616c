"""A proposed meaning counts for nothing until confirmed: the reply it sits on is an acknowledgement.

And which application a message belongs to (thread, person, domain, ties), without a server.
"""

from __future__ import annotations

import copy
import datetime as dt
import json
from typing import Any

import pytest

from conftest import EXAMPLE
from followup import Engine, load_rulebook, load_state, parse_instant
from followup.mail import Addresses
from followup.state import load_document, state_from_document

NOW = parse_instant("2026-12-10T10:00:00+01:00")
REPLY_AT = "2026-12-02T10:00:00+01:00"
PROPOSALS = [
    {"outcome": "rejected", "evidence": "we decided to move forward with other candidates"},
    {"outcome": "offer", "respond_by": "2026-12-20"},
    {"decision_expected_by": "2026-12-30"},
    {"follow_up_requested_on": "2026-12-21", "medium": "phone"},
    {"next_round": True},
    {"on_hold": True},
    {},
]


def example() -> dict[str, Any]:
    """The shipped example as plain data, its instants kept as the text the file gives."""
    return json.loads(json.dumps(load_document(EXAMPLE)))  # type: ignore[no-any-return]


@pytest.fixture(scope="module")
def engine() -> Engine:
    return Engine(load_rulebook())


def with_reply(document: dict[str, Any], application: str, **extra: Any) -> dict[str, Any]:
    changed = copy.deepcopy(document)
    for item in changed["applications"]:
        if item["id"] == application:
            item.setdefault("contacts", []).append({"at": REPLY_AT, "kind": "reply", "message_id": "<m1@employer.example>", **extra})
    return changed


def agenda(engine: Engine, document: dict[str, Any]) -> Any:
    return engine.evaluate(state_from_document(document), NOW).to_dict(include_done=True)


@pytest.mark.parametrize("proposed", PROPOSALS, ids=lambda p: ",".join(k for k in p if k != "evidence") or "acknowledgement")
def test_a_proposed_meaning_changes_nothing_the_reply_is_an_acknowledgement(engine: Engine, proposed: dict[str, Any]) -> None:
    document = example()
    changed_somewhere = False
    for application in ("atlas-insurance", "northwind-data", "bluepeak-platform", "harbor-logistics"):
        plain = agenda(engine, with_reply(document, application))
        assert agenda(engine, with_reply(document, application, proposed=proposed)) == plain, application
        changed_somewhere |= plain != agenda(engine, document)
    assert changed_somewhere  # the acknowledgement itself counts: some agenda moves with it


def test_a_confirmed_rejection_ends_the_application(engine: Engine) -> None:
    document = example()
    proposed = with_reply(document, "atlas-insurance", proposed={"outcome": "rejected"})
    confirmed = with_reply(proposed, "atlas-insurance", outcome="rejected")
    kinds = {a["kind"] for a in agenda(engine, confirmed)["actions"] if a["application"] == "atlas-insurance" and a["status"] != "done"}
    before = {a["kind"] for a in agenda(engine, proposed)["actions"] if a["application"] == "atlas-insurance" and a["status"] != "done"}
    assert "bridge_note" in kinds and "bridge_note" not in before


def test_proposed_is_refused_on_an_outbound_entry() -> None:
    document = example()
    bad = with_reply(document, "atlas-insurance")
    entry = bad["applications"][[a["id"] for a in bad["applications"]].index("atlas-insurance")]["contacts"][-1]
    entry.update(kind="follow_up", proposed={"outcome": "rejected"})
    with pytest.raises(Exception, match="proposed"):
        state_from_document(bad)


STATE = {
    "version": 1,
    "candidate": {"name": "Alex", "email": "Alex@Me.example", "timezone": "Europe/Berlin",
                  "references": [{"id": "kim", "name": "Kim", "email": "kim@ref.example"}]},
    "applications": [
        {"id": "old-role", "company": "Acme", "status": "rejected", "domains": ["acme.example"],
         "interviews": [{"id": "i1", "ended_at": "2026-10-01T10:00:00+02:00", "interviewers": [{"id": "lee", "email": "lee@acme.example"}]}]},
        {"id": "new-role", "company": "Acme", "status": "interviewing", "domains": ["acme.example"],
         "interviews": [{"id": "i2", "ended_at": "2026-11-20T15:00:00+01:00", "interviewers": [{"id": "lee", "email": "lee@acme.example"}]}],
         "contacts": [{"at": "2026-11-21T09:00:00+01:00", "kind": "thank_you_note", "to": "lee", "message_id": "<note@me.example>"}]},
        {"id": "third", "company": "Acme", "status": "applied", "domains": ["acme.example"], "applied_at": "2026-11-25"},
    ],
}


def test_which_application_a_message_belongs_to() -> None:
    state = load_state(STATE)
    addresses = Addresses.of(state, ["alias@me.example"])
    # a person in two applications: the live one, then the latest
    assert addresses.sender("Lee@acme.example") is not None
    found = addresses.sender("lee@acme.example")
    assert found is not None and (found.application, found.people) == ("new-role", ("lee",))
    # the thread names the application, even an ended one
    state_old = load_state({**STATE, "applications": [{**STATE["applications"][0], "contacts": [
        {"at": "2026-10-02T09:00:00+02:00", "kind": "thank_you_note", "to": "lee", "message_id": "<old@me.example>"}]}, *STATE["applications"][1:]]})
    threaded = Addresses.of(state_old).sender("lee@acme.example", ["<old@me.example>"])
    assert threaded is not None and threaded.application == "old-role"
    # a domain (or a subdomain) with nobody known: the live application with the latest activity
    by_domain = addresses.sender("jobs@eu.acme.example")
    assert by_domain is not None and (by_domain.application, by_domain.people) == ("third", ())
    assert addresses.sender("someone@acme.example.evil") is None
    assert addresses.sender("alex@me.example") is None and addresses.sender("alias@me.example") is None  # your own
    reference = addresses.sender("kim@ref.example")
    assert reference is not None and (reference.application, reference.people) == (None, ("kim",))
    assert addresses.sender("news@shop.example") is None


def test_which_kind_a_note_you_sent_is() -> None:
    addresses = Addresses.of(load_state(STATE))
    found = addresses.recipients(["lee@acme.example", "friend@else.example"])
    assert found is not None and (found.application, found.people) == ("new-role", ("lee",))
    ended = dt.datetime(2026, 11, 20, 15, 0, tzinfo=dt.timezone(dt.timedelta(hours=1)))
    assert addresses.kind_of_note("new-role", "lee", ended + dt.timedelta(hours=47)) == ("thank_you_note", "i2")
    assert addresses.kind_of_note("new-role", "lee", ended + dt.timedelta(hours=49)) == ("follow_up", None)
    assert addresses.kind_of_note("new-role", "lee", ended - dt.timedelta(minutes=5)) == ("follow_up", None)
    assert addresses.kind_of_note("new-role", None, ended) == ("follow_up", None)
    assert addresses.recipients(["friend@else.example"]) is None
