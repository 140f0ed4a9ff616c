"""The whole path: the dispatcher, a SQLite store, the renderer, the checks and the built-in channels
(SMTP on loopback, fax gateway, outbox letters, calendar), on the shipped example."""

from __future__ import annotations

import email
import email.policy
from pathlib import Path

from icalendar import Calendar

from conftest import Inbox
from followup import load_state, parse_instant
from followup.delivery import Config, Dispatcher
from followup.plugins import build_plugin_manager
from followup.stores import open_store

EXAMPLE = Path(__file__).resolve().parent.parent / "examples" / "job-search.yaml"
NOW = parse_instant("2026-11-30T09:30:00+01:00")


def test_one_run_delivers_every_due_message_through_the_right_channel_once(
    tmp_path: Path, smtp: tuple[Inbox, int]
) -> None:
    inbox, port = smtp
    store = open_store(f"sqlite:///{tmp_path / 'followup.db'}")
    store.import_state(load_state(EXAMPLE))
    config = Config(
        None,
        {
            "channels": {
                "email": {"host": "127.0.0.1", "port": port, "security": "none"},
                "fax": {"extends": "email", "gateway": "{number}@fax.example"},
                "outbox": {"folder": str(tmp_path / "outbox")},
                "calendar": {"file": str(tmp_path / "followup.ics")},
            }
        },
    )
    worker = Dispatcher(store, config=config, plugin_manager=build_plugin_manager(entry_points=False))
    try:
        report = worker.run_once(NOW)
        results = {o.key: (o.result, o.channel) for o in report.outcomes}
        assert {result for result, _ in results.values()} == {"delivered"}, report.outcomes
        assert results["thank-you-note:northwind-data:onsite:jonas"] == ("delivered", "email")
        assert results["thank-you-note:harbor-logistics:panel:greta"] == ("delivered", "outbox")
        assert results["thank-you-note:harbor-logistics:panel:lars"] == ("delivered", "outbox")
        assert results["leverage-offer:atlas-insurance:20261125T1500Z"] == ("delivered", "fax")
        (call,) = [key for key in results if key.startswith("status-call:bluepeak-platform:")]  # this round's call
        assert results[call] == ("delivered", "calendar")
        recipients = sorted(address for e in inbox.envelopes for address in e.rcpt_tos)
        assert "jonas.weber@northwind.example" in recipients
        assert "494055503399@fax.example" in recipients
        assert "priya.raman@northwind.example" in recipients  # the leverage note; her thank-you was already sent
        assert len(recipients) == sum(1 for _, channel in results.values() if channel in ("email", "fax"))
        for envelope in inbox.envelopes:
            assert not email.message_from_bytes(envelope.original_content, policy=email.policy.default).defects
        letters = sorted((tmp_path / "outbox").glob("*-thank-you-note-*.html"))
        assert [letter.name.rsplit("-", 1)[0] for letter in letters] == [
            "greta-schulz-thank-you-note-2026-12-01", "lars-petersen-thank-you-note-2026-12-01"]  # fmt: skip
        assert all("@media print" in letter.read_text(encoding="utf-8") for letter in letters)
        events = Calendar.from_ical((tmp_path / "followup.ics").read_bytes()).walk("VEVENT")
        assert len(events) == sum(1 for _, channel in results.values() if channel == "calendar")
        # the next run finds everything recorded: nothing goes out twice
        again = worker.run_once(parse_instant("2026-11-30T09:45:00+01:00"))
        assert again.delivered == []
        assert len(inbox.envelopes) == len(recipients)
    finally:
        store.close()
