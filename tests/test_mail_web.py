"""The web agenda lists the replies `followup mail sync` found and confirms or changes their meaning."""

from __future__ import annotations

import html
import urllib.parse
from pathlib import Path

import pytest
import yaml

from followup import load_state
from test_mail_sync import STATE
from test_web_api import FORM, _csrf, _form, _session, call
from web_server import serve

pytest.importorskip("starlette")

REJECTION = "<no.1@northwind.example>"
DECISION = "<no.2@bluepeak.example>"


def synced(tmp_path: Path) -> Path:
    document = yaml.safe_load(yaml.safe_dump(STATE))
    for application in document["applications"]:
        if application["id"] == "northwind":
            application["contacts"] = [
                {"at": "2026-11-24T11:00:00+01:00", "kind": "reply", "to": "priya", "channel": "email", "message_id": REJECTION,
                 "proposed": {"outcome": "rejected", "evidence": "We decided to move forward with other candidates."}, "note": "Your application"},
            ]
        if application["id"] == "bluepeak":
            application["contacts"] = [
                {"at": "2026-11-23T09:15:00+01:00", "kind": "reply", "to": "maria", "channel": "email", "message_id": DECISION,
                 "proposed": {"decision_expected_by": "2026-12-04"}, "note": "Re: Thank you"},
            ]
    path = tmp_path / "state.yaml"
    path.write_text(yaml.safe_dump(document, sort_keys=False), encoding="utf-8")
    return path


def test_confirm_as_proposed_or_changed_from_the_web_agenda(tmp_path: Path) -> None:
    state = synced(tmp_path)
    with serve([str(state), "--now", "2026-11-25T09:00:00+01:00"]) as running:
        browser = _session()
        _, _, page = call(running.url, opener=browser)
        assert "Replies to confirm" in page and html.escape(REJECTION) in page and "outcome rejected" in page
        status, _, page = call(
            running.url + "replies/northwind/confirm", _form({"csrf": _csrf(page), "message_id": REJECTION, "as_proposed": "yes"}), headers=FORM, opener=browser
        )
        assert status == 200 and html.escape(REJECTION) not in page  # back on the agenda, settled
        northwind = load_state(state).application("northwind")
        assert northwind is not None and [c.outcome for c in northwind.contacts] == [None, "rejected"]

        change = running.url + "replies/bluepeak/confirm?message_id=" + urllib.parse.quote(DECISION)
        _, _, form = call(change, opener=browser)
        assert 'value="2026-12-04"' in form  # the proposal, ready to change
        fields = {"csrf": _csrf(form), "message_id": DECISION, "decision_expected_by": "not a date"}
        before = state.read_text(encoding="utf-8")
        status, _, page = call(change, _form(fields), headers=FORM, opener=browser)
        assert status == 422 and state.read_text(encoding="utf-8") == before
        status, _, page = call(change, _form({**fields, "decision_expected_by": "2026-12-09", "medium": "phone"}), headers=FORM, opener=browser)
        assert status == 200
        bluepeak = load_state(state).application("bluepeak")
        assert bluepeak is not None
        confirmed = bluepeak.contacts[-1]
        assert confirmed.proposed is None and confirmed.medium == "phone" and confirmed.decision_expected_by is not None
        assert confirmed.decision_expected_by.date().isoformat() == "2026-12-09"
        _, _, page = call(running.url, opener=browser)
        assert "Replies to confirm" not in page
        assert call(change, opener=browser)[0] == 404  # nothing waits any more
