"""`followup mail sync` against a real Dovecot: what the employer wrote and what the candidate sent, logged once.

Messages are delivered into a fresh mailbox with IMAP APPEND; the real command runs
twice in a subprocess; the log is read back from the state file (or the store). The
server's UIDs and flags are compared before and after: a sync changes nothing there.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import subprocess
import sys
import uuid
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid
from pathlib import Path
from typing import Any

import pytest
import yaml

from conftest import Dovecot
from followup import load_state

pytestmark = pytest.mark.service("dovecot")

BERLIN = dt.timezone(dt.timedelta(hours=1))

STATE = {
    "version": 1,
    "candidate": {"name": "Alex Doe", "email": "alex@candidate.example", "timezone": "Europe/Berlin"},
    "applications": [
        {
            "id": "bluepeak",
            "company": "Bluepeak",
            "position": "Data Engineer",
            "status": "interviewing",
            "domains": ["bluepeak.example"],
            "interviews": [
                {
                    "id": "onsite",
                    "starts_at": "2026-11-20T13:00:00+01:00",
                    "ended_at": "2026-11-20T15:00:00+01:00",
                    "interviewers": [
                        {"id": "maria", "name": "Maria Lopez", "email": "maria@bluepeak.example"},
                        {"id": "jonas", "name": "Jonas Berg", "email": "Jonas@Bluepeak.example"},
                    ],
                }
            ],
        },
        {
            "id": "northwind",
            "company": "Northwind",
            "status": "interviewing",
            "interviews": [
                {
                    "id": "screen",
                    "ended_at": "2026-11-10T10:30:00+01:00",
                    "interviewers": [{"id": "priya", "name": "Priya Raman", "email": "priya@northwind.example"}],
                }
            ],
        },
        {"id": "atlas", "company": "Atlas", "status": "applied", "applied_at": "2026-11-01", "recruiter": {"id": "sam", "email": "sam@atlas.example"}},
    ],
}


def message(sender: str, to: str, subject: str, body: str, when: dt.datetime, **headers: str) -> tuple[bytes, str]:
    mail = EmailMessage()
    mail["From"] = sender
    mail["To"] = to
    mail["Subject"] = subject
    mail["Date"] = format_datetime(when)
    message_id = make_msgid(domain=sender.rpartition("@")[2].rstrip(">"))
    mail["Message-ID"] = message_id
    for name, value in headers.items():
        mail[name.replace("_", "-")] = value
    mail.set_content(body)
    return mail.as_bytes(), message_id


def deliver_scenario(server: Dovecot, user: str) -> dict[str, str]:
    """The issue's messages: a decision date, a courtesy reply, a rejection, a hand-written thank-you, unrelated mail."""
    ids = {}
    for name, mailbox, (raw, message_id) in (
        ("decision", "INBOX", message(
            "Maria Lopez <maria@bluepeak.example>", "alex@candidate.example", "Re: Thank you",
            "Hi Alex,\n\nThanks again for coming in. We will get back to you with a decision by 4 December.\n\nBest, Maria\n\n"
            "On Sat, 21 Nov 2026, Alex wrote:\n> I look forward to hearing from you by Friday\n",
            dt.datetime(2026, 11, 23, 9, 15, tzinfo=BERLIN),
        )),
        ("courtesy", "INBOX", message(
            "Jonas Berg <jonas@bluepeak.example>", "alex@candidate.example", "Re: Thank you",
            "Thanks Alex, it was great meeting you too!", dt.datetime(2026, 11, 22, 18, 0, tzinfo=BERLIN),
        )),
        ("rejection", "INBOX", message(
            "Priya Raman <priya@northwind.example>", "alex@candidate.example", "Your application",
            "Dear Alex, thank you for your time. Unfortunately we have decided to move forward with other candidates.",
            dt.datetime(2026, 11, 24, 11, 0, tzinfo=BERLIN),
        )),
        ("newsletter", "INBOX", message(
            "Deals <news@shop.example>", "alex@candidate.example", "50% off", "Decide by 4 December or miss out!",
            dt.datetime(2026, 11, 23, 7, 0, tzinfo=BERLIN),
        )),
        ("thank-you", "Sent", message(
            "Alex Doe <alex@candidate.example>", "Maria Lopez <maria@bluepeak.example>", "Thank you",
            "Dear Maria, thank you for the onsite yesterday.", dt.datetime(2026, 11, 21, 10, 0, tzinfo=BERLIN),
        )),
        ("friend", "Sent", message(
            "Alex Doe <alex@candidate.example>", "Kim <kim@friends.example>", "Dinner?", "Friday?",
            dt.datetime(2026, 11, 21, 12, 0, tzinfo=BERLIN),
        )),
    ):
        server.deliver(user, mailbox, raw)
        ids[name] = message_id
    return ids


def write_setup(tmp_path: Path, server: Dovecot, user: str, *, port: int | None = None, security: str = "tls", ca: str | None = None, extra: str = "") -> tuple[Path, Path]:
    state = tmp_path / "state.yaml"
    state.write_text("# my search\n" + yaml.safe_dump(STATE, sort_keys=False), encoding="utf-8")
    config = tmp_path / "config.toml"
    config.write_text(
        "[mail]\n"
        f'host = "{server.host}"\nport = {port or server.port}\nsecurity = "{security}"\n'
        f'user = "{user}"\npassword_env = "FOLLOWUP_TEST_MAIL_PASSWORD"\n'
        f'ca_file = "{ca or server.ca_file}"\npositions = "{tmp_path / "positions.json"}"\ntimeout = 10\n' + extra,
        encoding="utf-8",
    )
    return state, config


def run(*args: str, password: str | None = None) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("FOLLOWUP_")}
    if password is not None:
        env["FOLLOWUP_TEST_MAIL_PASSWORD"] = password
    return subprocess.run([sys.executable, "-m", "followup", *args], capture_output=True, text=True, env=env, timeout=120, check=False)


def log_of(state: Path) -> dict[str, list[Any]]:
    loaded = load_state(state)
    return {a.id: list(a.contacts) for a in loaded.applications} | {"-": list(loaded.contacts)}


@pytest.fixture
def user() -> str:
    return f"alex-{uuid.uuid4().hex[:10]}"


def test_sync_twice_logs_each_message_once_with_its_meaning_and_changes_nothing_on_the_server(
    tmp_path: Path, dovecot: Dovecot, user: str
) -> None:
    ids = deliver_scenario(dovecot, user)
    before = dovecot.snapshot(user, "INBOX", "Sent")
    state, config = write_setup(tmp_path, dovecot, user)

    first = run("mail", "sync", "--state", str(state), "--config", str(config), password=dovecot.password)
    assert first.returncode == 0, first.stderr
    assert "6 message(s) read: logged 4, 0 logged before, 2 not about an application, 0 skipped" in first.stdout
    second = run("mail", "sync", "--state", str(state), "--config", str(config), password=dovecot.password)
    assert second.returncode == 0, second.stderr
    assert "0 message(s) read: logged 0" in second.stdout  # the positions: nothing new to read
    rescan = run("mail", "sync", "--rescan", "--state", str(state), "--config", str(config), password=dovecot.password)
    assert rescan.returncode == 0, rescan.stderr
    assert "6 message(s) read: logged 0, 4 logged before, 2 not about an application" in rescan.stdout

    log = log_of(state)
    by_id = {c.message_id: (application, c) for application, contacts in log.items() for c in contacts}
    assert sum(1 for contacts in log.values() for c in contacts if c.message_id) == 4
    assert ids["newsletter"] not in by_id and ids["friend"] not in by_id

    application, decision = by_id[ids["decision"]]
    assert (application, decision.kind, decision.direction, decision.to) == ("bluepeak", "reply", "in", "maria")
    assert decision.proposed is not None
    assert decision.proposed.decision_expected_by is not None
    assert decision.proposed.decision_expected_by.date() == dt.date(2026, 12, 4)
    assert decision.decision_expected_by is None  # proposed, not yet said
    assert "decision by 4 December" in (decision.proposed.evidence or "")

    application, courtesy = by_id[ids["courtesy"]]
    assert (application, courtesy.to) == ("bluepeak", "jonas")
    assert courtesy.proposed is not None and courtesy.proposed.said() == {}  # an acknowledgement

    application, rejection = by_id[ids["rejection"]]
    assert (application, rejection.to) == ("northwind", "priya")
    assert rejection.proposed is not None and rejection.proposed.outcome == "rejected"
    assert rejection.outcome is None

    application, note = by_id[ids["thank-you"]]
    assert (application, note.kind, note.direction, note.to, note.interview) == ("bluepeak", "thank_you_note", "out", "maria", "onsite")

    assert dovecot.snapshot(user, "INBOX", "Sent") == before  # same messages, same flags
    assert sum(len(rows) for rows in before.values()) == 6
    assert not [flags for rows in before.values() for _, flags in rows if "Seen" in flags]  # nothing marked read
    assert state.read_text(encoding="utf-8").startswith("# my search\n")  # the file's comment kept


def agenda(state: Path, now: str) -> dict[str, Any]:
    done = run("agenda", str(state), "--now", now, "--format", "json")
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)  # type: ignore[no-any-return]


def test_proposed_meanings_wait_for_the_person_and_a_confirmed_rejection_ends_the_application(
    tmp_path: Path, dovecot: Dovecot, user: str
) -> None:
    ids = deliver_scenario(dovecot, user)
    state, config = write_setup(tmp_path, dovecot, user)
    assert run("mail", "sync", "--state", str(state), "--config", str(config), password=dovecot.password).returncode == 0
    now = "2026-11-25T09:00:00+01:00"

    shown = agenda(state, now)
    waiting = {row["message_id"]: row for row in shown["to_confirm"]}
    assert set(waiting) == {ids["decision"], ids["courtesy"], ids["rejection"]}
    assert waiting[ids["rejection"]]["meaning"] == "outcome rejected"
    assert waiting[ids["courtesy"]]["meaning"] == "an acknowledgement"
    # a proposed rejection does not end the application: nothing of a rejection is on the agenda yet
    assert not [a for a in shown["actions"] if a["application"] == "northwind" and a["kind"] == "bridge_note"]
    table = run("agenda", str(state), "--now", now)
    assert "to confirm (3)" in table.stdout and f"followup log confirm northwind '{ids['rejection']}'" in table.stdout

    confirmed = run("log", "confirm", "northwind", "--state", str(state))
    assert confirmed.returncode == 0, confirmed.stderr
    assert "outcome rejected" in confirmed.stdout
    changed = run("log", "confirm", "bluepeak", ids["decision"], "--decision-expected-by", "2026-12-08", "--state", str(state))
    assert changed.returncode == 0, changed.stderr
    assert run("log", "confirm", "bluepeak", "--state", str(state)).returncode == 0  # the one left: the courtesy reply

    after = agenda(state, now)
    assert "to_confirm" not in after
    assert [a for a in after["actions"] if a["application"] == "northwind" and a["kind"] == "bridge_note"]
    bluepeak = load_state(state).application("bluepeak")
    assert bluepeak is not None
    said = [c for c in bluepeak.contacts if c.message_id == ids["decision"] and c.proposed is None]
    assert len(said) == 1 and said[0].decision_expected_by is not None
    assert said[0].decision_expected_by.date() == dt.date(2026, 12, 8)
    # confirming again is refused: nothing waits
    again = run("log", "confirm", "northwind", "--state", str(state))
    assert again.returncode == 1 and "no proposed reply waits" in again.stderr


def test_sync_into_a_store_and_confirm_there(tmp_path: Path, dovecot: Dovecot, user: str) -> None:
    ids = deliver_scenario(dovecot, user)
    state, config = write_setup(tmp_path, dovecot, user)
    store = f"sqlite:///{tmp_path / 'store.sqlite3'}"
    assert run("import", str(state), "--store", store).returncode == 0
    for _ in range(2):
        done = run("mail", "sync", "--store", store, "--config", str(config), "--rescan", password=dovecot.password)
        assert done.returncode == 0, done.stderr
    export = run("export", "--store", store, "--format", "json")
    document = json.loads(export.stdout)
    logged = [c["message_id"] for a in document["applications"] for c in a.get("contacts", []) if "message_id" in c]
    assert sorted(logged) == sorted(ids[n] for n in ("decision", "courtesy", "rejection", "thank-you"))
    northwind = next(a for a in document["applications"] if a["id"] == "northwind")
    assert northwind["status"] == "interviewing"  # proposed only
    assert run("log", "confirm", "northwind", "--store", store).returncode == 0
    document = json.loads(run("export", "--store", store, "--format", "json").stdout)
    assert next(a for a in document["applications"] if a["id"] == "northwind")["status"] == "rejected"


def test_dry_run_logs_nothing_and_remembers_nothing(tmp_path: Path, dovecot: Dovecot, user: str) -> None:
    deliver_scenario(dovecot, user)
    state, config = write_setup(tmp_path, dovecot, user)
    text = state.read_text(encoding="utf-8")
    done = run("mail", "sync", "--dry-run", "--state", str(state), "--config", str(config), password=dovecot.password)
    assert done.returncode == 0, done.stderr
    assert sum(line.startswith("would log ") for line in done.stdout.splitlines()) == 4 and "proposed: decision_expected_by 2026-12-04" in done.stdout
    assert state.read_text(encoding="utf-8") == text
    assert not (tmp_path / "positions.json").exists()


def test_since_bounds_the_search(tmp_path: Path, dovecot: Dovecot, user: str) -> None:
    deliver_scenario(dovecot, user)  # the messages' dates are 21-24 November; Dovecot searches by arrival (today)
    state, config = write_setup(tmp_path, dovecot, user)
    future = (dt.date.today() + dt.timedelta(days=2)).isoformat()
    done = run("mail", "sync", "--since", future, "--state", str(state), "--config", str(config), password=dovecot.password)
    assert done.returncode == 0, done.stderr
    assert "0 message(s) read" in done.stdout
    bad = run("mail", "sync", "--since", "next week", "--state", str(state), "--config", str(config), password=dovecot.password)
    assert bad.returncode == 1 and "--since" in bad.stderr and "YYYY-MM-DD" in bad.stderr


def test_starttls_works_too(tmp_path: Path, dovecot: Dovecot, user: str) -> None:
    deliver_scenario(dovecot, user)
    state, config = write_setup(tmp_path, dovecot, user, port=dovecot.starttls_port, security="starttls")
    done = run("mail", "sync", "--state", str(state), "--config", str(config), password=dovecot.password)
    assert done.returncode == 0, done.stderr
    assert "logged 4" in done.stdout
